/*
 * The epidemic routes of /api/v1 (docs/server.md): zones by day from the stored zone runs
 * (zone.h), close contacts, their summary and the transmission graph from the stored tracing runs
 * (trace.h), and a person's measures under a plan edition. Each handler checks the permission,
 * takes the area asked for (zn__area: 403 outside the caller's scope, before any query) and calls
 * the scoped query layer (query.c) with the caller's scope prefix. Person identifiers are masked
 * unless the role may see them, and every person record returned is written to the audit log
 * (read_person, with ?why=) in the same transaction as the read.
 */
#include "server_int.h"

#include "zhinao/ident.h"
#include "zhinao/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- helpers ---- */

static int need(zn__call *c, unsigned perm)
{
    if ((c->who.perms & perm) == perm)
        return 1;
    return zn__fail(c, 403, "forbidden", "your role (%s) may not do this", zn_role_name(c->who.user.role));
}

static int date_ok(const char *s)
{
    int y, m, d;
    char tail;
    return s && strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && m >= 1 && m <= 12 &&
           d >= 1 && d <= 31 && s[4] == '-' && s[7] == '-';
}

/* A name of data (rule set, plan edition): [A-Za-z0-9._-], 1..63 bytes, not starting with '.'. */
static int name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n >= 1 && n <= 63 && s[0] != '.' &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static int why_ok(zn__call *c, const char **why)
{
    *why = zn__arg(c, "why");
    if (!*why || strlen(*why) < 2 || strlen(*why) > 200)
        return zn__fail(c, 400, "why_required", "reading person records needs a reason: ?why=... (2-200 bytes)");
    return 1;
}

/* ?run= : a trace run id (absent = the latest). Returns 0 after a 400. */
static int run_arg(zn__call *c, int64_t *id)
{
    const char *r = zn__arg(c, "run");
    *id = 0;
    if (!r)
        return 1;
    if (!*r || strlen(r) > 18 || strspn(r, "0123456789") != strlen(r) || (*id = strtoll(r, NULL, 10)) < 1)
        return zn__fail(c, 400, "bad_request", "run is a trace run id (a whole number >= 1)");
    return 1;
}

/* A person identifier as the caller may see it: mobiles (11 digits from 1) unless unmask_phone,
 * anything else as an ID number unless unmask_id. */
static const char *mask_person(const zn__call *c, const char *p, char *out, size_t n)
{
    size_t len = strlen(p);
    if (len + 1 > n)
        return "***";
    if (len == 11 && p[0] == '1' && strspn(p, "0123456789") == 11)
        return (c->who.perms & ZN_PERM_UNMASK_PHONE) ? p : zn_mask_mobile(p, out, n);
    return (c->who.perms & ZN_PERM_UNMASK_ID) ? p : zn_mask_resident_id(p, out, n);
}

static json_t *masked_json(const zn__call *c)
{
    return json_pack("{s:b, s:b}", "resident_id", !(c->who.perms & ZN_PERM_UNMASK_ID), "mobile",
                     !(c->who.perms & ZN_PERM_UNMASK_PHONE));
}

static zn_status audit_read(zn__call *c, const char *object, const char *why, zn_error *err)
{
    return zn_audit_append(c->db->st, c->who.user.id, c->who.user.name, zn_role_name(c->who.user.role),
                           c->who.user.scope, "read_person", object, why, c->client, err);
}

static int64_t tz(const zn__call *c)
{
    return zn_ctx_tz_offset(c->srv->ctx);
}

static int32_t local_day(int64_t t, int64_t off)
{
    int64_t x = t + off;
    return (int32_t)(x >= 0 ? x / 86400 : -((-x + 86399) / 86400));
}

static json_t *day_json(int32_t d)
{
    char b[16];
    if (d == ZN_ZONE_NO_DAY)
        return json_null();
    return json_string(zn_zone_day_format(d, b, sizeof b));
}

/* ?rules= (absent: the latest stored run). Returns 0 after the error answer. */
static int zone_run_arg(zn__call *c, zn__zrun *r)
{
    const char *rules = zn__arg(c, "rules");
    if (rules && !name_ok(rules))
        return zn__fail(c, 400, "bad_request", "rules is the name of a rule set ([A-Za-z0-9._-])");
    zn_error err;
    zn_status s = zn__q_zone_run(c->db->st, rules, r, &err);
    return s == ZN_OK ? 1 : zn__fail_status(c, s, &err);
}

/* --------------------------------------------------------------- zones ---- */

int zn__h_zone_runs(zn__call *c)
{
    char code[13], prefix[13];
    if (!zn__area(c, "area", code, prefix))
        return 0;
    json_t *rows = json_array();
    zn_error err;
    zn_status s = zn__q_zone_runs(c->db->st, rows, &err);
    if (s != ZN_OK) {
        json_decref(rows);
        return zn__fail_status(c, s, &err);
    }
    return zn__ok(c, json_pack("{s:o}", "rows", rows));
}

int zn__h_zone_days(zn__call *c)
{
    char code[13], prefix[13];
    if (!zn__area(c, "area", code, prefix))
        return 0;
    const char *from = zn__arg(c, "from"), *to = zn__arg(c, "to");
    if ((from && !date_ok(from)) || (to && !date_ok(to)))
        return zn__fail(c, 400, "bad_request", "dates are YYYY-MM-DD");
    zn__zrun r;
    if (!zone_run_arg(c, &r))
        return 0;
    json_t *days = json_array();
    zn_error err;
    zn_status s = zn__q_zone_days(c->db->st, c->who.prefix, prefix, &r, from, to, days, &err);
    if (s != ZN_OK) {
        json_decref(days);
        return zn__fail_status(c, s, &err);
    }
    return zn__ok(c, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "rules", r.rules, "title", r.title, "area", code,
                               "from", r.from, "to", r.to, "levels", zn__zrun_levels(&r), "days", days));
}

int zn__h_zones(zn__call *c)
{
    char code[13], prefix[13];
    if (!zn__area(c, "area", code, prefix))
        return 0;
    const char *day = zn__arg(c, "day");
    if (!day)
        day = zn__arg(c, "date");
    if (!date_ok(day))
        return zn__fail(c, 400, "bad_request", "give day=YYYY-MM-DD");
    zn__zrun r;
    if (!zone_run_arg(c, &r))
        return 0;
    int rank = -1;
    const char *lv = zn__arg(c, "level");
    if (lv) {
        for (int i = 0; i < r.nlevels && rank < 0; i++)
            if (!strcmp(r.level[i], lv))
                rank = i;
        if (rank < 0)
            return zn__fail(c, 400, "bad_request", "level is one of the levels of %s", r.rules);
    }
    if (strcmp(day, r.from) < 0 || strcmp(day, r.to) > 0)
        return zn__fail(c, 404, "not_found", "%s is outside the stored run of %s (%s .. %s)", day, r.rules, r.from,
                        r.to);
    int64_t counts[ZN_ZONE_MAX_LEVELS] = {0};
    zn_buf feats = {0}, out = {0};
    zn_error err;
    zn_status s = zn__q_zone_features(c->db->st, c->who.prefix, prefix, &r, day, rank, &feats, counts, &err);
    if (s != ZN_OK) {
        zn_buf_fini(&feats);
        return zn__fail_status(c, s, &err);
    }
    zn_buf_puts(&out, "{\"type\":\"FeatureCollection\",\"rules\":");
    zn__json_str(&out, r.rules);
    zn_buf_printf(&out, ",\"day\":\"%s\",\"area\":\"%s\",\"crs\":\"WGS-84\",\"levels\":[", day, code);
    for (int i = 0; i < r.nlevels; i++) {
        zn_buf_puts(&out, i ? ",{\"name\":" : "{\"name\":");
        zn__json_str(&out, r.level[i]);
        zn_buf_puts(&out, ",\"zh\":");
        zn__json_str(&out, r.level_zh[i]);
        zn_buf_puts(&out, "}");
    }
    zn_buf_puts(&out, "],\"counts\":{");
    for (int i = 0; i < r.nlevels; i++) {
        if (i)
            zn_buf_puts(&out, ",");
        zn__json_str(&out, r.level[i]);
        zn_buf_printf(&out, ":%lld", (long long)counts[i]);
    }
    zn_buf_puts(&out, "},\"features\":[");
    if (feats.len)
        zn_buf_append(&out, feats.data, feats.len);
    zn_status bs = zn_buf_puts(&out, "]}\n");
    zn_buf_fini(&feats);
    if (bs != ZN_OK) {
        zn_buf_fini(&out);
        return zn__fail(c, 500, "internal", "out of memory");
    }
    c->status = 200;
    c->raw = out.data; /* ownership passes to the answer */
    c->raw_type = "application/geo+json; charset=utf-8";
    return 1;
}

/* ------------------------------------------------------------ contacts ---- */

/* The run asked for (?run=, else the latest): *run set (owned), or 0 after the error answer. */
static int trace_run(zn__call *c, json_t **run, int64_t *run_id)
{
    int64_t id;
    if (!run_arg(c, &id))
        return 0;
    zn_error err;
    zn_status s = zn__q_trace_run(c->db->st, id, run, run_id, &err);
    return s == ZN_OK ? 1 : zn__fail_status(c, s, &err);
}

int zn__h_contacts(zn__call *c)
{
    char code[13], prefix[13];
    const char *why;
    int64_t limit, offset, run_id;
    if (!need(c, ZN_PERM_PERSON) || !why_ok(c, &why) || !zn__area(c, "area", code, prefix) ||
        !zn__page(c, 50, 500, &limit, &offset))
        return 0;
    json_t *run;
    if (!trace_run(c, &run, &run_id))
        return 0;
    json_t *rows = json_array();
    int64_t total = 0;
    zn_error err;
    zn_status s = zn_store_begin(c->db->st, &err);
    if (s == ZN_OK) {
        s = zn__q_contacts(c->db->st, c->who.prefix, prefix, run_id, limit, offset, rows, &total, &err);
        size_t i;
        json_t *row;
        json_array_foreach(rows, i, row)
        {
            if (s != ZN_OK)
                break;
            char obj[64], m1[64], m2[64];
            json_int_t rid = json_integer_value(json_object_get(row, "_rowid"));
            snprintf(obj, sizeof obj, "close_contact#%lld", (long long)rid);
            s = audit_read(c, obj, why, &err);
            json_object_set_new(row, "index_case",
                                json_string(mask_person(c, json_string_value(json_object_get(row, "index_case")), m1,
                                                        sizeof m1)));
            json_object_set_new(row, "contact",
                                json_string(mask_person(c, json_string_value(json_object_get(row, "contact")), m2,
                                                        sizeof m2)));
            snprintf(obj, sizeof obj, "cc-%lld", (long long)rid);
            json_object_set_new(row, "ref", json_string(obj));
            json_object_del(row, "_rowid");
        }
        /* nothing is returned unless its audit rows are stored */
        if (s == ZN_OK)
            s = zn_store_commit(c->db->st, &err);
        else
            zn_store_rollback(c->db->st);
    }
    if (s != ZN_OK) {
        json_decref(run);
        json_decref(rows);
        return zn__fail_status(c, s, &err);
    }
    return zn__ok(c, json_pack("{s:o, s:s, s:I, s:I, s:I, s:o, s:o, s:o}", "run", run, "area", code, "total",
                               (json_int_t)total, "limit", (json_int_t)limit, "offset", (json_int_t)offset,
                               "next_offset", offset + limit < total ? json_integer(offset + limit) : json_null(),
                               "rows", rows, "masked", masked_json(c)));
}

int zn__h_contacts_summary(zn__call *c)
{
    char code[13], prefix[13];
    int64_t run_id;
    if (!zn__area(c, "area", code, prefix))
        return 0;
    json_t *run;
    if (!trace_run(c, &run, &run_id))
        return 0;
    json_int_t at = json_integer_value(json_object_get(run, "finished_at"));
    if (!at)
        at = json_integer_value(json_object_get(run, "started_at"));
    json_t *out = json_pack("{s:o, s:s}", "run", run, "area", code);
    zn_error err;
    zn_status s = zn__q_contacts_summary(c->db->st, c->who.prefix, prefix, run_id, at, tz(c), out, &err);
    if (s != ZN_OK) {
        json_decref(out);
        return zn__fail_status(c, s, &err);
    }
    return zn__ok(c, out);
}

/* ------------------------------------------------------------- graph ---- */

typedef struct graph {
    zn__call *c;
    size_t limit;
    int truncated;
    json_t *index;   /* person -> node index (as integer) */
    json_t *nodes;   /* array of node objects */
    json_t *shown;   /* ids already shown (masked ids must stay unique) */
    json_t *edges;
    json_t *seen;    /* edge keys */
    json_t *audits;  /* objects to audit */
    size_t outside;  /* placeholders given */
} graph;

static int kind_rank(const char *k)
{
    return !strcmp(k, "index") ? 0 : !strcmp(k, "close") ? 1 : 2;
}

/* The node of person p (created when absent); returns its id, or NULL when the cap is reached. */
static const char *node(graph *g, const char *p, const char *div, int in, const char *kind, const char *table,
                        int64_t rowid, const char *col)
{
    json_t *ix = json_object_get(g->index, p);
    if (ix) {
        json_t *n = json_array_get(g->nodes, (size_t)json_integer_value(ix));
        if (kind_rank(kind) < kind_rank(json_string_value(json_object_get(n, "kind"))))
            json_object_set_new(n, "kind", json_string(kind));
        return json_string_value(json_object_get(n, "id"));
    }
    char id[96], m[64];
    if (in) {
        snprintf(id, sizeof id, "%s", mask_person(g->c, p, m, sizeof m));
        for (int k = 2; json_object_get(g->shown, id); k++) /* two persons with the same masked id */
            snprintf(id, sizeof id, "%s~%d", mask_person(g->c, p, m, sizeof m), k);
        char obj[96];
        snprintf(obj, sizeof obj, "%s#%lld/%s", table, (long long)rowid, col);
        json_array_append_new(g->audits, json_string(obj));
    } else {
        snprintf(id, sizeof id, "outside-%zu", ++g->outside);
    }
    json_object_set_new(g->shown, id, json_true());
    json_t *n = json_pack("{s:s, s:s, s:o, s:b}", "id", id, "kind", kind, "area", in ? json_string(div) : json_null(),
                          "outside", !in);
    if (!n) /* not UTF-8: cannot happen with the hub's validated identifiers */
        return "?";
    json_object_set_new(g->index, p, json_integer((json_int_t)json_array_size(g->nodes)));
    json_array_append_new(g->nodes, n);
    return json_string_value(json_object_get(n, "id"));
}

static int graph_edge(void *user, const char *table, int64_t rowid, const char *src, const char *src_div, int src_in,
                      const char *dst, const char *dst_div, int dst_in, const char *cls)
{
    graph *g = user;
    int secondary = !strcmp(table, "secondary_contact");
    size_t need_nodes = !json_object_get(g->index, src) + !json_object_get(g->index, dst);
    if (json_array_size(g->nodes) + need_nodes > g->limit) {
        g->truncated = 1;
        return 1;
    }
    char a[96], b[96];
    snprintf(a, sizeof a, "%s", node(g, src, src_div, src_in, secondary ? "close" : "index", table, rowid,
                                   secondary ? "close_contact" : "index_case"));
    snprintf(b, sizeof b, "%s", node(g, dst, dst_div, dst_in, secondary ? "secondary" : "close", table, rowid, "contact"));
    char key[256];
    snprintf(key, sizeof key, "%s\x1f%s\x1f%s", a, b, cls);
    if (!json_object_get(g->seen, key)) {
        json_object_set_new(g->seen, key, json_true());
        json_array_append_new(g->edges, json_pack("{s:s, s:s, s:s}", "source", a, "target", b, "class", cls));
    }
    return 0;
}

/* The edges as read, kept to be replayed chain by chain (so a cap keeps whole chains). */
typedef struct edge {
    const char *table; /* static */
    int64_t rowid;
    char *src, *src_div, *dst, *dst_div, *cls;
    int src_in, dst_in, done;
} edge;

typedef struct edges {
    edge *v;
    size_t n, cap;
    int nomem;
} edges;

static int collect_edge(void *user, const char *table, int64_t rowid, const char *src, const char *src_div, int src_in,
                        const char *dst, const char *dst_div, int dst_in, const char *cls)
{
    edges *e = user;
    if (e->n == e->cap) {
        size_t nc = e->cap ? 2 * e->cap : 256;
        edge *v = realloc(e->v, nc * sizeof *v);
        if (!v) {
            e->nomem = 1;
            return 1;
        }
        e->v = v;
        e->cap = nc;
    }
    edge *x = &e->v[e->n];
    *x = (edge){.table = !strcmp(table, "secondary_contact") ? "secondary_contact" : "close_contact",
                .rowid = rowid, .src = strdup(src), .src_div = strdup(src_div), .dst = strdup(dst),
                .dst_div = strdup(dst_div), .cls = strdup(cls), .src_in = src_in, .dst_in = dst_in};
    e->n++;
    if (!x->src || !x->src_div || !x->dst || !x->dst_div || !x->cls) {
        e->nomem = 1;
        return 1;
    }
    return 0;
}

static void edges_fini(edges *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->v[i].src);
        free(e->v[i].src_div);
        free(e->v[i].dst);
        free(e->v[i].dst_div);
        free(e->v[i].cls);
    }
    free(e->v);
}

static int replay(graph *g, edge *x)
{
    x->done = 1;
    return graph_edge(g, x->table, x->rowid, x->src, x->src_div, x->src_in, x->dst, x->dst_div, x->dst_in, x->cls);
}

/* Close-contact edges in stored order (by index case), each followed by the secondary edges of its
 * contact; then the secondary edges not reached that way. Stops at the node cap. */
static void build_graph(graph *g, edges *e)
{
    json_t *via = json_object(); /* close contact -> [secondary edge indices] */
    for (size_t i = 0; i < e->n; i++) {
        if (strcmp(e->v[i].table, "secondary_contact"))
            continue;
        json_t *a = json_object_get(via, e->v[i].src);
        if (!a) {
            a = json_array();
            json_object_set_new(via, e->v[i].src, a);
        }
        json_array_append_new(a, json_integer((json_int_t)i));
    }
    int stop = 0;
    for (size_t i = 0; i < e->n && !stop; i++) {
        if (e->v[i].done || strcmp(e->v[i].table, "close_contact"))
            continue;
        stop = replay(g, &e->v[i]);
        size_t k;
        json_t *ix;
        json_array_foreach(json_object_get(via, e->v[i].dst), k, ix)
        {
            edge *y = &e->v[json_integer_value(ix)];
            if (!stop && !y->done)
                stop = replay(g, y);
        }
    }
    for (size_t i = 0; i < e->n && !stop; i++)
        if (!e->v[i].done)
            stop = replay(g, &e->v[i]);
    json_decref(via);
}

int zn__h_contacts_graph(zn__call *c)
{
    char code[13], prefix[13];
    const char *why;
    int64_t limit, offset, run_id;
    if (!need(c, ZN_PERM_PERSON) || !why_ok(c, &why) || !zn__area(c, "area", code, prefix) ||
        !zn__page(c, 2000, 10000, &limit, &offset))
        return 0;
    json_t *run;
    if (!trace_run(c, &run, &run_id))
        return 0;
    graph g = {.c = c, .limit = (size_t)limit, .index = json_object(), .nodes = json_array(), .shown = json_object(),
               .edges = json_array(), .seen = json_object(), .audits = json_array()};
    zn_error err;
    zn_status s = zn_store_begin(c->db->st, &err);
    if (s == ZN_OK) {
        edges e = {0};
        s = zn__q_contact_edges(c->db->st, c->who.prefix, prefix, run_id, collect_edge, &e, &err);
        if (s == ZN_OK && e.nomem)
            s = zn_error_set(&err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
        if (s == ZN_OK)
            build_graph(&g, &e);
        edges_fini(&e);
        size_t i;
        json_t *o;
        json_array_foreach(g.audits, i, o)
        {
            if (s != ZN_OK)
                break;
            s = audit_read(c, json_string_value(o), why, &err);
        }
        if (s == ZN_OK)
            s = zn_store_commit(c->db->st, &err);
        else
            zn_store_rollback(c->db->st);
    }
    json_decref(g.index);
    json_decref(g.shown);
    json_decref(g.seen);
    json_decref(g.audits);
    if (s != ZN_OK) {
        json_decref(run);
        json_decref(g.nodes);
        json_decref(g.edges);
        return zn__fail_status(c, s, &err);
    }
    return zn__ok(c, json_pack("{s:o, s:s, s:o, s:o, s:b, s:I, s:o}", "run", run, "area", code, "nodes", g.nodes,
                               "edges", g.edges, "truncated", g.truncated, "limit", (json_int_t)limit, "masked",
                               masked_json(c)));
}

/* ------------------------------------------------------------ measures ---- */

/* Resolve {id}: a person identifier (ID number or mobile: [0-9Xx], 11..18) or a row reference
 * cc-N / sc-N (a close / secondary contact row, as the contact lists give). 0 after an error. */
static int person_arg(zn__call *c, const char *id, char person[32])
{
    size_t n = strlen(id);
    if ((!strncmp(id, "cc-", 3) || !strncmp(id, "sc-", 3)) && n > 3 && n <= 21 && strspn(id + 3, "0123456789") == n - 3) {
        zn_stmt *q;
        zn_error err;
        zn_status s = zn_stmt_prepare(c->db->st,
                                      id[0] == 'c' ? "SELECT contact FROM close_contact WHERE rowid = ?1"
                                                   : "SELECT contact FROM secondary_contact WHERE rowid = ?1",
                                      &q, &err);
        if (s != ZN_OK)
            return zn__fail_status(c, s, &err);
        zn_stmt_bind_int64(q, 1, strtoll(id + 3, NULL, 10));
        int row = 0;
        if ((s = zn_stmt_step(q, &row, &err)) == ZN_OK && row)
            snprintf(person, 32, "%s", zn_stmt_column_text(q, 0));
        zn_stmt_finalize(q);
        if (s != ZN_OK)
            return zn__fail_status(c, s, &err);
        if (!row)
            return zn__fail(c, 404, "not_found", "no contact row %s", id);
        return 1;
    }
    if (n < 11 || n > 18 || strspn(id, "0123456789Xx") != n)
        return zn__fail(c, 400, "bad_request", "a person is an ID number, a mobile, or a row reference cc-N / sc-N");
    snprintf(person, 32, "%s", id);
    return 1;
}

int zn__h_person_measures(zn__call *c, const char *id)
{
    const char *why;
    char person[32];
    if (!need(c, ZN_PERM_PERSON) || !why_ok(c, &why))
        return 0;
    const char *plan_name = zn__arg(c, "plan"), *date = zn__arg(c, "date");
    if (plan_name && !name_ok(plan_name))
        return zn__fail(c, 400, "bad_request", "plan is the name of a plan edition, e.g. plan-9");
    if (date && !date_ok(date))
        return zn__fail(c, 400, "bad_request", "dates are YYYY-MM-DD");
    if (!person_arg(c, id, person))
        return 0;
    /* scope: the person's residence, before anything about the person is read */
    char div[16];
    int known = 0;
    zn_error err;
    zn_status s = zn__q_person_residence(c->db->st, person, div, &known, &err);
    if (s != ZN_OK)
        return zn__fail_status(c, s, &err);
    if (*c->who.prefix && (!known || strncmp(div, c->who.prefix, strlen(c->who.prefix)) != 0))
        return zn__fail(c, 403, "forbidden", "this person does not live inside your scope");
    json_t *run;
    int64_t run_id;
    if (!trace_run(c, &run, &run_id))
        return 0;
    int role = 0;
    int64_t times[64];
    size_t nt = 0;
    char object[64];
    s = zn__q_person_exposures(c->db->st, run_id, person, &role, times, 64, &nt, object, &err);
    if (s != ZN_OK || role == 0) {
        json_decref(run);
        return s != ZN_OK ? zn__fail_status(c, s, &err)
                          : zn__fail(c, 404, "not_found", "this person is not a contact in trace run %lld",
                                     (long long)run_id);
    }
    if (!plan_name)
        plan_name = json_string_value(json_object_get(run, "plan"));
    char dir[1024];
    zn_measure_plan plan;
    snprintf(dir, sizeof dir, "%s/rules", c->srv->data_dir ? c->srv->data_dir : "");
    /* the trace plan edition "plan-20measures" has its measures in measures-20-measures.json */
    if (plan_name && !strcmp(plan_name, "plan-20measures"))
        plan_name = "20-measures";
    if (!c->srv->data_dir || !name_ok(plan_name) ||
        (s = zn_measure_plan_find(dir, plan_name, &plan, &err)) == ZN_ENOTFOUND) {
        json_decref(run);
        return zn__fail(c, 404, "not_found", "no person measures for plan '%s'", plan_name ? plan_name : "");
    }
    if (s != ZN_OK) {
        json_decref(run);
        return zn__fail_status(c, s, &err);
    }
    int32_t ex[64];
    for (size_t i = 0; i < nt; i++)
        ex[i] = local_day(times[i], tz(c));
    const char *role_name = role == 1 ? "close_contact" : "secondary_contact";
    zn_measure m;
    if ((s = zn_measure_compute(&plan, role_name, ex, nt, &m, &err)) != ZN_OK) {
        json_decref(run);
        return zn__fail_status(c, s, &err);
    }
    int32_t today = local_day(c->now, tz(c));
    if (date && zn_zone_day_parse(date, &today, NULL) != ZN_OK) {
        json_decref(run);
        return zn__fail(c, 400, "bad_request", "%s is not a calendar date", date);
    }
    json_t *phases = json_array(), *tests = json_array();
    for (int i = 0; i < m.nphases; i++) {
        json_t *pt = json_array();
        for (int k = 0; k < m.phases[i].ntests; k++) {
            json_array_append_new(pt, day_json(m.phases[i].tests[k]));
            json_array_append_new(tests, day_json(m.phases[i].tests[k]));
        }
        json_array_append_new(phases, json_pack("{s:s, s:o, s:o, s:o, s:s}", "kind",
                                                zn_measure_kind_name(m.phases[i].kind), "start",
                                                day_json(m.phases[i].start), "end", day_json(m.phases[i].end), "tests",
                                                pt, "code", zn_health_code_name(m.phases[i].code)));
    }
    char masked[64];
    json_t *out = json_pack(
        "{s:s, s:s, s:s, s:s, s:b, s:s, s:o, s:o, s:o, s:o, s:s, s:s, s:o, s:o, s:I, s:o, s:o}", "person",
        mask_person(c, person, masked, sizeof masked), "area", div, "plan", plan.name, "role", role_name, "determined",
        m.determined, "measure", m.nphases ? zn_measure_kind_name(m.phases[0].kind) : "none", "start",
        m.nphases ? day_json(m.phases[0].start) : json_null(), "end",
        m.nphases ? day_json(m.phases[m.nphases - 1].end) : json_null(), "tests", tests, "phases", phases, "code_today",
        zn_health_code_name(zn_measure_code_on(&m, today)), "today", "", "reference", day_json(m.reference), "release",
        day_json(m.release), "exposures", (json_int_t)nt, "run", run, "masked", masked_json(c));
    json_object_set_new(out, "today", day_json(today));
    if ((s = zn_store_begin(c->db->st, &err)) == ZN_OK) {
        s = audit_read(c, object, why, &err);
        if (s == ZN_OK)
            s = zn_store_commit(c->db->st, &err);
        else
            zn_store_rollback(c->db->st);
    }
    if (s != ZN_OK) {
        json_decref(out);
        return zn__fail_status(c, s, &err);
    }
    return zn__ok(c, out);
}
