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

#include <stdint.h>
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

/* ?rules= (absent: any rule set): the run serving area prefix `area` (zn__q_zone_run). Returns 0
 * after the error answer. */
static int zone_run_arg(zn__call *c, const char *area, zn__zrun *r)
{
    const char *rules = zn__arg(c, "rules");
    if (rules && !name_ok(rules))
        return zn__fail(c, 400, "bad_request", "rules is the name of a rule set ([A-Za-z0-9._-])");
    zn_error err;
    zn_status s = zn__q_zone_run(c->db->st, rules, area, r, &err);
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
    /* only the runs that say something about the area asked for (itself inside the user's scope):
     * a run of every unit, or one whose area contains it or lies inside it; a Shanghai user does
     * not learn of a Hangzhou run */
    size_t plen = strlen(prefix);
    for (size_t i = json_array_size(rows); i-- > 0;) {
        const char *w = json_string_value(json_object_get(json_array_get(rows, i), "within"));
        size_t wlen = w ? strlen(w) : 0;
        size_t k = wlen < plen ? wlen : plen;
        if (w && strncmp(w, prefix, k) != 0)
            json_array_remove(rows, i);
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
    if (!zone_run_arg(c, prefix, &r))
        return 0;
    json_t *days = json_array();
    zn_error err;
    zn_status s = zn__q_zone_days(c->db->st, c->who.prefix, prefix, &r, from, to, days, &err);
    if (s != ZN_OK) {
        json_decref(days);
        return zn__fail_status(c, s, &err);
    }
    return zn__ok(c, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "rules", r.rules, "title", r.title,
                               "title_zh", r.title_zh, "area", code, "from", r.from, "to", r.to, "levels",
                               zn__zrun_levels(&r), "days", days));
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
    if (!zone_run_arg(c, prefix, &r))
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
    zn_buf_puts(&out, ",\"title\":");
    zn__json_str(&out, r.title);
    zn_buf_puts(&out, ",\"title_zh\":");
    zn__json_str(&out, r.title_zh);
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

/* The graph is built in three steps over the edges of the area (zn__q_contact_edges, read whole):
 * (1) every person once, with the kind that applies first (index: the source of a close-contact
 * edge; close: its target or the source of a secondary edge; secondary: the target of a secondary
 * edge) and the row where it first appears (its audit object); (2) the nodes, so that the cap is
 * shared fairly: the index cases (at most limit - min(close, limit / 2): half the cap stays for
 * close contacts when there are that many), then the close contacts one per index case in turn
 * (round robin over the index cases shown, each in stored order), then the close contacts reached
 * no other way; then, when asked for, the secondary contacts the same way over the nodes shown;
 * (3) every edge whose two ends are nodes, chain by chain (each close-contact edge in stored order,
 * then the secondary edges of its contact), once per (source, target, class). */

enum { K_INDEX, K_CLOSE, K_SECONDARY, K_N };
static const char *const KIND[K_N] = {"index", "close", "secondary"};

typedef struct ilist {
    size_t *v;
    size_t n, cap;
} ilist;

static int ilist_add(ilist *l, size_t x)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? 2 * l->cap : 4;
        size_t *v = realloc(l->v, nc * sizeof *v);
        if (!v)
            return 0;
        l->v = v;
        l->cap = nc;
    }
    l->v[l->n++] = x;
    return 1;
}

/* The edges as read. */
typedef struct edge {
    const char *table; /* static */
    int64_t rowid;
    char *src, *src_div, *dst, *dst_div, *cls;
    int src_in, dst_in, done;
    size_t a, b; /* persons of src, dst */
} edge;

typedef struct edges {
    edge *v;
    size_t n, cap;
    int nomem;
} edges;

/* One person of the edges. */
typedef struct gperson {
    const char *p, *div;       /* borrowed from the edges */
    const char *table, *col;   /* first appearance, for the audit object */
    int64_t rowid;
    int in, kind;
    long node;                 /* index in nodes, -1 = not shown */
    ilist reach[2];            /* targets of its close-contact / secondary edges, stored order */
    ilist sec;                 /* its secondary edges (indices in edges) */
} gperson;

typedef struct graph {
    zn__call *c;
    size_t limit;
    int secondary; /* secondary contacts asked for */
    gperson *ps;
    size_t np, capp;
    json_t *by;     /* raw person -> index in ps */
    ilist order;    /* persons shown, in node order */
    json_t *nodes;  /* array of node objects */
    json_t *shown;  /* ids already shown (masked ids must stay unique) */
    json_t *edges;
    json_t *seen;   /* edge keys shown */
    size_t edges_total; /* distinct (source, target, class) */
    json_t *audits; /* objects to audit */
    size_t outside; /* placeholders given */
    size_t total[K_N], nshown[K_N];
    int nomem;
} graph;

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

static void graph_fini(graph *g)
{
    for (size_t i = 0; i < g->np; i++) {
        free(g->ps[i].reach[0].v);
        free(g->ps[i].reach[1].v);
        free(g->ps[i].sec.v);
    }
    free(g->ps);
    free(g->order.v);
    json_decref(g->by);
    json_decref(g->shown);
    json_decref(g->seen);
    json_decref(g->audits);
}

/* The person p (added when new, with the kind `kind`, else given the lower kind); its index in
 * g->ps, or (size_t)-1 out of memory. */
static size_t person_of(graph *g, const char *p, const char *div, int in, int kind, const char *table, int64_t rowid,
                        const char *col)
{
    json_t *ix = json_object_get(g->by, p);
    if (ix) {
        gperson *q = &g->ps[json_integer_value(ix)];
        if (kind < q->kind)
            q->kind = kind;
        return (size_t)json_integer_value(ix);
    }
    if (g->np == g->capp) {
        size_t nc = g->capp ? 2 * g->capp : 256;
        gperson *v = realloc(g->ps, nc * sizeof *v);
        if (!v)
            return (size_t)-1;
        g->ps = v;
        g->capp = nc;
    }
    g->ps[g->np] = (gperson){.p = p, .div = div, .table = table, .col = col, .rowid = rowid, .in = in, .kind = kind,
                            .node = -1};
    if (json_object_set_new(g->by, p, json_integer((json_int_t)g->np)))
        return (size_t)-1;
    return g->np++;
}

static int edge_cmp(const void *p, const void *q)
{
    const edge *x = *(edge *const *)p, *y = *(edge *const *)q;
    if (x->a != y->a)
        return x->a < y->a ? -1 : 1;
    if (x->b != y->b)
        return x->b < y->b ? -1 : 1;
    return strcmp(x->cls, y->cls);
}

/* Step 1: the persons, their kinds and reach; the distinct edges counted. 0 out of memory. */
static int persons(graph *g, edges *e)
{
    for (size_t i = 0; i < e->n; i++) {
        edge *x = &e->v[i];
        int sec = x->table[0] == 's';
        x->a = person_of(g, x->src, x->src_div, x->src_in, sec ? K_CLOSE : K_INDEX, x->table, x->rowid,
                         sec ? "close_contact" : "index_case");
        if (x->a == (size_t)-1)
            return 0;
        x->b = person_of(g, x->dst, x->dst_div, x->dst_in, sec ? K_SECONDARY : K_CLOSE, x->table, x->rowid, "contact");
        if (x->b == (size_t)-1 || !ilist_add(&g->ps[x->a].reach[sec], x->b) ||
            (sec && !ilist_add(&g->ps[x->a].sec, i)))
            return 0;
    }
    for (size_t i = 0; i < g->np; i++)
        g->total[g->ps[i].kind]++;
    /* the distinct edges: sorted by (source, target, class) */
    edge **v = malloc((e->n + 1) * sizeof *v);
    if (!v)
        return 0;
    for (size_t i = 0; i < e->n; i++)
        v[i] = &e->v[i];
    qsort(v, e->n, sizeof *v, edge_cmp);
    for (size_t i = 0; i < e->n; i++)
        g->edges_total += i == 0 || edge_cmp(&v[i - 1], &v[i]) != 0;
    free(v);
    return 1;
}

static int full(const graph *g)
{
    return json_array_size(g->nodes) >= g->limit;
}

/* The node of person k: its id is the masked identifier inside the area (audited), a placeholder
 * outside-N outside it. 0 out of memory. */
static int show(graph *g, size_t k)
{
    gperson *q = &g->ps[k];
    char id[96], m[64];
    if (q->in) {
        snprintf(id, sizeof id, "%s", mask_person(g->c, q->p, m, sizeof m));
        for (int n = 2; json_object_get(g->shown, id); n++) /* two persons with the same masked id */
            snprintf(id, sizeof id, "%s~%d", mask_person(g->c, q->p, m, sizeof m), n);
        char obj[96];
        snprintf(obj, sizeof obj, "%s#%lld/%s", q->table, (long long)q->rowid, q->col);
        if (json_array_append_new(g->audits, json_string(obj)))
            return 0;
    } else {
        snprintf(id, sizeof id, "outside-%zu", ++g->outside);
    }
    json_t *n = json_pack("{s:s, s:s, s:o, s:b}", "id", id, "kind", KIND[q->kind], "area",
                          q->in ? json_string(q->div) : json_null(), "outside", !q->in);
    if (!n)
        return 0;
    if (json_object_set_new(g->shown, id, json_true()) || !ilist_add(&g->order, k)) {
        json_decref(n);
        return 0;
    }
    q->node = (long)json_array_size(g->nodes);
    g->nshown[q->kind]++;
    return !json_array_append_new(g->nodes, n);
}

/* Persons of kind `kind`, first appearance order, while room remains (and at most `max`). */
static int show_rest(graph *g, int kind, size_t max)
{
    for (size_t i = 0; i < g->np && !full(g) && g->nshown[kind] < max; i++)
        if (g->ps[i].kind == kind && g->ps[i].node < 0 && !show(g, i))
            return 0;
    return 1;
}

/* Persons of kind `kind` reached by the close-contact (t 0) / secondary (t 1) edges of the nodes
 * shown so far: one per source node in turn, in node order, while room remains. */
static int round_robin(graph *g, int t, int kind)
{
    size_t m = 0, *par = malloc((g->order.n + 1) * sizeof *par), *cur = calloc(g->order.n + 1, sizeof *cur);
    int ok = par && cur;
    for (size_t i = 0; ok && i < g->order.n; i++)
        if (g->ps[g->order.v[i]].reach[t].n)
            par[m++] = g->order.v[i];
    while (ok && m && !full(g)) {
        size_t k = 0;
        for (size_t i = 0; ok && i < m && !full(g); i++) {
            const ilist *l = &g->ps[par[i]].reach[t];
            while (cur[i] < l->n) {
                size_t q = l->v[cur[i]++];
                if (g->ps[q].node < 0 && g->ps[q].kind == kind) {
                    ok = show(g, q);
                    break;
                }
            }
            if (cur[i] < l->n) { /* keep the sources with more to give */
                par[k] = par[i];
                cur[k++] = cur[i];
            }
        }
        m = k;
    }
    free(par);
    free(cur);
    return ok;
}

static int emit(graph *g, edge *x)
{
    x->done = 1;
    const gperson *a = &g->ps[x->a], *b = &g->ps[x->b];
    if (a->node < 0 || b->node < 0)
        return 1;
    const char *s = json_string_value(json_object_get(json_array_get(g->nodes, (size_t)a->node), "id"));
    const char *d = json_string_value(json_object_get(json_array_get(g->nodes, (size_t)b->node), "id"));
    char key[256];
    snprintf(key, sizeof key, "%s\x1f%s\x1f%s", s, d, x->cls);
    if (json_object_get(g->seen, key))
        return 1;
    return !json_object_set_new(g->seen, key, json_true()) &&
           !json_array_append_new(g->edges, json_pack("{s:s, s:s, s:s}", "source", s, "target", d, "class", x->cls));
}

/* The three steps (see above). 0 out of memory. */
static int build_graph(graph *g, edges *e)
{
    if (!persons(g, e))
        return 0;
    size_t close_room = g->total[K_CLOSE] < g->limit / 2 ? g->total[K_CLOSE] : g->limit / 2;
    if (!show_rest(g, K_INDEX, g->limit - close_room) || !round_robin(g, 0, K_CLOSE) ||
        !show_rest(g, K_CLOSE, SIZE_MAX))
        return 0;
    if (g->secondary && (!round_robin(g, 1, K_SECONDARY) || !show_rest(g, K_SECONDARY, SIZE_MAX)))
        return 0;
    for (size_t i = 0; i < e->n; i++) {
        edge *x = &e->v[i];
        if (x->done || x->table[0] == 's')
            continue;
        if (!emit(g, x))
            return 0;
        const ilist *l = &g->ps[x->b].sec;
        for (size_t k = 0; k < l->n; k++)
            if (!e->v[l->v[k]].done && !emit(g, &e->v[l->v[k]]))
                return 0;
    }
    for (size_t i = 0; i < e->n; i++)
        if (!e->v[i].done && !emit(g, &e->v[i]))
            return 0;
    return 1;
}

static json_t *shown_json(size_t total, size_t shown)
{
    return json_pack("{s:I, s:I}", "total", (json_int_t)total, "shown", (json_int_t)shown);
}

int zn__h_contacts_graph(zn__call *c)
{
    char code[13], prefix[13];
    const char *why;
    int64_t limit, offset, run_id;
    if (!need(c, ZN_PERM_PERSON) || !why_ok(c, &why) || !zn__area(c, "area", code, prefix) ||
        !zn__page(c, 2000, 10000, &limit, &offset))
        return 0;
    /* secondary contacts: by default only for a county or below (a city's secondary ring is many
     * times its close contacts and would hide them) */
    const char *sa = zn__arg(c, "secondary");
    if (sa && strcmp(sa, "0") && strcmp(sa, "1"))
        return zn__fail(c, 400, "bad_request", "secondary is 0 or 1");
    int secondary = sa ? sa[0] == '1' : strlen(prefix) >= 6;
    json_t *run;
    if (!trace_run(c, &run, &run_id))
        return 0;
    graph g = {.c = c, .limit = (size_t)limit, .secondary = secondary, .by = json_object(), .nodes = json_array(),
               .shown = json_object(), .edges = json_array(), .seen = json_object(),
               .audits = json_array()};
    zn_error err;
    zn_status s = zn_store_begin(c->db->st, &err);
    if (s == ZN_OK) {
        edges e = {0};
        s = zn__q_contact_edges(c->db->st, c->who.prefix, prefix, run_id, collect_edge, &e, &err);
        if (s == ZN_OK && (e.nomem || !g.by || !g.nodes || !g.shown || !g.edges || !g.seen || !g.audits ||
                           !build_graph(&g, &e)))
            s = zn_error_set(&err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
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
    size_t edges_total = g.edges_total;
    int truncated = g.nshown[K_INDEX] < g.total[K_INDEX] || g.nshown[K_CLOSE] < g.total[K_CLOSE] ||
                    (secondary && g.nshown[K_SECONDARY] < g.total[K_SECONDARY]);
    graph_fini(&g);
    if (s != ZN_OK) {
        json_decref(run);
        json_decref(g.nodes);
        json_decref(g.edges);
        return zn__fail_status(c, s, &err);
    }
    json_t *counts = json_pack("{s:o, s:o, s:o, s:o}", "index", shown_json(g.total[K_INDEX], g.nshown[K_INDEX]),
                               "close", shown_json(g.total[K_CLOSE], g.nshown[K_CLOSE]), "secondary",
                               shown_json(g.total[K_SECONDARY], g.nshown[K_SECONDARY]), "edges",
                               shown_json(edges_total, json_array_size(g.edges)));
    return zn__ok(c, json_pack("{s:o, s:s, s:o, s:o, s:b, s:I, s:b, s:o, s:o}", "run", run, "area", code, "nodes",
                               g.nodes, "edges", g.edges, "truncated", truncated, "limit", (json_int_t)limit,
                               "secondary", secondary, "counts", counts, "masked", masked_json(c)));
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
