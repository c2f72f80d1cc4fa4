/*
 * The command side of the closed loop in the API (docs/server.md, "Instructions"): the task
 * templates, issuing an instruction with its tasks (指令下达), and the instructions of an area
 * with how far their tasks have got. Task moves (receive, report, verify, close) are in api.c.
 *
 * Scope: every target of a new instruction must route to a division inside the caller's scope
 * (403 otherwise, before anything is written); an instruction is listed to a user when at least
 * one of its tasks is inside the user's scope and the area asked for, and its counts cover those
 * tasks only.
 */
#include "server/server_int.h"

#include <string.h>

#include "zhinao/div.h"
#include "zhinao/loop.h"

#define MAX_TARGETS 500

/* String member k of o, NULL when absent; *bad = 1 when present but not a string. */
static const char *str(json_t *o, const char *k, int *bad)
{
    json_t *v = json_object_get(o, k);
    if (v && !json_is_string(v) && !json_is_null(v))
        *bad = 1;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* GET /templates: every task template with its steps, in English (steps) and in Chinese (steps_zh,
 * the same number, null when the template has none); the pages fetch it once and look a task's
 * steps up by its template_id. */
int zn__h_templates(zn__call *c)
{
    if (!c->db->loop)
        return zn__fail(c, 404, "not_found", "this store has no closed loop (no calendar or templates)");
    json_t *rows = json_array();
    for (size_t i = 0; i < zn_loop_template_count(c->db->loop); i++) {
        const zn_loop_template *t = zn_loop_template_at(c->db->loop, i);
        json_t *steps = json_array(), *steps_zh = t->steps_zh ? json_array() : json_null();
        for (size_t k = 0; k < t->nsteps; k++) {
            json_array_append_new(steps, json_string(t->steps[k]));
            if (t->steps_zh)
                json_array_append_new(steps_zh, json_string(t->steps_zh[k]));
        }
        json_array_append_new(
            rows, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:s}", "id", t->id, "name", t->name, "name_zh",
                            t->name_zh ? t->name_zh : "", "subject", t->subject ? t->subject : "", "budget_unit",
                            t->unit == ZN_BUDGET_WORKDAYS ? "workdays" : "hours", "budget",
                            (json_int_t)(t->unit == ZN_BUDGET_WORKDAYS ? t->budget : t->budget / 3600), "steps",
                            steps, "steps_zh", steps_zh, "source", t->source ? t->source : ""));
    }
    return zn__ok(c, json_pack("{s:o}", "rows", rows));
}

typedef struct target {
    const char *division, *place, *grid;
    zn_loop_route route;
} target;

/*
 * POST /instructions {"template", "reason", "title"?, "subject"?: {"kind", "ref"},
 * "links"?: [{"kind", "ref"}], "targets": [{"division", "place"?, "grid"?}, ...]}: one instruction
 * by the caller (issuer = user name, issuer unit = the user's scope), one task per target routed
 * as zn_loop_route_where does (a grid, the compound's grid, the community, or a division); a
 * target in another city becomes a transfer (协查). Every target is routed and checked against the
 * scope before the instruction is written.
 */
int zn__h_instruction_add(zn__call *c)
{
    if ((c->who.perms & ZN_PERM_TASK_COMMAND) != ZN_PERM_TASK_COMMAND)
        return zn__fail(c, 403, "forbidden", "your role (%s) may not issue instructions",
                        zn_role_name(c->who.user.role));
    if (!c->db->loop)
        return zn__fail(c, 404, "not_found", "this store has no closed loop (no calendar or templates)");
    json_t *b = zn__body_object(c);
    if (!b)
        return 0;
    int bad = 0, ok = 0;
    target *tg = NULL;
    zn_loop_link *links = NULL;
    const char *tpl = str(b, "template", &bad), *reason = str(b, "reason", &bad), *title = str(b, "title", &bad);
    json_t *subject = json_object_get(b, "subject"), *jl = json_object_get(b, "links"),
           *jt = json_object_get(b, "targets");
    const char *subj_kind = NULL, *subj_ref = NULL;
    if (json_is_object(subject)) {
        subj_kind = str(subject, "kind", &bad);
        subj_ref = str(subject, "ref", &bad);
    } else if (subject && !json_is_null(subject)) {
        bad = 1;
    }
    if (bad || !tpl || !reason) {
        zn__fail(c, 400, "bad_request", "give template and reason (strings), targets (an array), and optionally "
                                        "title, subject {kind, ref}, links [{kind, ref}]");
        goto done;
    }
    size_t rl = strlen(reason);
    if (rl < 2 || rl > 500 || (title && strlen(title) > 200)) {
        zn__fail(c, 400, "bad_request", "reason is 2..500 bytes, title at most 200");
        goto done;
    }
    if (!zn_loop_template_find(c->db->loop, tpl)) {
        zn__fail(c, 400, "bad_request", "no task template '%s' (GET /api/v1/templates lists them)", tpl);
        goto done;
    }
    size_t nt = json_is_array(jt) ? json_array_size(jt) : 0;
    if (nt == 0 || nt > MAX_TARGETS) {
        zn__fail(c, 400, "bad_request", "targets: an array of 1..%d objects {division, place?, grid?}", MAX_TARGETS);
        goto done;
    }
    size_t nl = json_is_array(jl) ? json_array_size(jl) : 0;
    if ((jl && !json_is_array(jl) && !json_is_null(jl)) || nl > 100) {
        zn__fail(c, 400, "bad_request", "links: an array of at most 100 objects {kind, ref}");
        goto done;
    }
    tg = calloc(nt, sizeof *tg);
    links = calloc(nl ? nl : 1, sizeof *links);
    if (!tg || !links) {
        zn__fail(c, 500, "internal", "no memory");
        goto done;
    }
    for (size_t i = 0; i < nl; i++) {
        json_t *o = json_array_get(jl, i);
        links[i].kind = json_is_object(o) ? str(o, "kind", &bad) : NULL;
        links[i].ref = json_is_object(o) ? str(o, "ref", &bad) : NULL;
        if (bad || !links[i].kind || !links[i].ref) {
            zn__fail(c, 400, "bad_request", "links[%zu]: give kind and ref (strings)", i);
            goto done;
        }
    }
    char issuer_unit[13];
    snprintf(issuer_unit, sizeof issuer_unit, "%s", c->who.user.scope);
    zn_error err;
    for (size_t i = 0; i < nt; i++) {
        json_t *o = json_array_get(jt, i);
        if (!json_is_object(o)) {
            zn__fail(c, 400, "bad_request", "targets[%zu] is not an object", i);
            goto done;
        }
        tg[i].division = str(o, "division", &bad);
        tg[i].place = str(o, "place", &bad);
        tg[i].grid = str(o, "grid", &bad);
        if (bad || (!tg[i].division && !tg[i].grid)) {
            zn__fail(c, 400, "bad_request", "targets[%zu]: give division (a code) and optionally place or grid", i);
            goto done;
        }
        char code[13];
        if (tg[i].division && zn_div_normalize(tg[i].division, code) != ZN_OK) {
            zn__fail(c, 400, "bad_request", "targets[%zu].division: '%s' is not a division code", i, tg[i].division);
            goto done;
        }
        /* refuse an area outside the scope before touching the store */
        if (tg[i].division && strncmp(code, c->who.prefix, strlen(c->who.prefix)) != 0) {
            zn__fail(c, 403, "forbidden", "targets[%zu]: division %s is outside your scope", i, code);
            goto done;
        }
        zn_loop_where w = {.division_code = tg[i].division, .place_key = tg[i].place, .grid_id = tg[i].grid};
        zn_status s = zn_loop_route_where(c->db->loop, &w, issuer_unit, &tg[i].route, &err);
        if (s != ZN_OK) {
            zn__fail_status(c, s, &err);
            goto done;
        }
        if (strncmp(tg[i].route.division_code, c->who.prefix, strlen(c->who.prefix)) != 0) {
            zn__fail(c, 403, "forbidden", "targets[%zu]: it routes to %s, outside your scope", i,
                     tg[i].route.division_code);
            goto done;
        }
    }
    zn_loop_instruction in = {.issuer = c->who.user.name, .issuer_unit = issuer_unit, .reason = reason,
                              .links = links, .nlinks = nl};
    int64_t iid = 0;
    /* loop writes queue on the server's write mutex (as task moves do), not in SQLite's busy handler */
    pthread_mutex_lock(&c->srv->pool.write_mu);
    zn_status s = zn_loop_instruct(c->db->loop, &in, &iid, &err);
    if (s != ZN_OK) {
        pthread_mutex_unlock(&c->srv->pool.write_mu);
        zn__fail_status(c, s, &err);
        goto done;
    }
    json_t *tasks = json_array();
    zn_loop_act act = {.actor = c->who.user.name, .note = reason};
    for (size_t i = 0; i < nt; i++) {
        zn_loop_task_spec sp = {.instruction_id = iid, .template_id = tpl, .subject_kind = subj_kind,
                                .subject_ref = subj_ref, .title = title,
                                .where = {.division_code = tg[i].division, .place_key = tg[i].place,
                                          .grid_id = tg[i].grid}};
        int64_t id = 0, tr = 0;
        s = zn_loop_issue(c->db->loop, &sp, &act, &id, &tr, &err);
        if (s != ZN_OK) { /* say what was issued before the failure */
            pthread_mutex_unlock(&c->srv->pool.write_mu);
            char buf[512];
            zn_log(c->srv->ctx, ZN_LOG_WARN, "serve: instruction %lld, target %zu: %s", (long long)iid, i,
                   zn_error_format(&err, buf, sizeof buf));
            json_decref(tasks);
            zn__fail_status(c, s, &err);
            goto done;
        }
        json_array_append_new(tasks, json_pack("{s:I, s:o, s:s, s:s, s:s}", "id", (json_int_t)id, "transfer_id",
                                               tr ? json_integer(tr) : json_null(), "assignee_kind",
                                               tg[i].route.assignee_kind, "assignee", tg[i].route.assignee,
                                               "division", tg[i].route.division_code));
    }
    pthread_mutex_unlock(&c->srv->pool.write_mu);
    c->status = 201;
    ok = zn__ok(c, json_pack("{s:I, s:s, s:s, s:o}", "instruction_id", (json_int_t)iid, "issuer", c->who.user.name,
                             "issuer_unit", issuer_unit, "tasks", tasks));
    c->status = 201;
done:
    free(tg);
    free(links);
    json_decref(b);
    return ok;
}

/* GET /instructions?area=&limit=&offset=: newest first, with task counts by state inside the area. */
int zn__h_instructions(zn__call *c)
{
    if (!c->db->loop)
        return zn__fail(c, 404, "not_found", "this store has no closed loop (no calendar or templates)");
    char code[13], prefix[13];
    if (!zn__area(c, "area", code, prefix))
        return 0;
    int64_t limit, offset;
    if (!zn__page(c, 50, 500, &limit, &offset))
        return 0;
    /* both prefixes: the area was checked against the scope, the scope is bound anyway */
    static const char *sql =
        "WITH t AS (SELECT instruction_id, state, ended_at, deadline, done_at FROM loop_task"
        "  WHERE substr(division_code, 1, length(?1)) = ?1 AND substr(division_code, 1, length(?2)) = ?2),"
        " i AS (SELECT instruction_id, COUNT(*) AS n,"
        "  SUM(state = 'issued') AS issued, SUM(state IN ('received', 'in_progress')) AS working,"
        "  SUM(state = 'reported') AS reported, SUM(state IN ('verified', 'closed')) AS done,"
        "  SUM(ended_at IS NULL AND deadline IS NOT NULL AND deadline < ?3) AS overdue"
        "  FROM t GROUP BY instruction_id)"
        " SELECT l.id, l.issuer, COALESCE(l.issuer_unit, ''), l.reason, l.issued_at, i.n, i.issued, i.working,"
        "  i.reported, i.done, i.overdue FROM i JOIN loop_instruction l ON l.id = i.instruction_id"
        " ORDER BY l.id DESC LIMIT ?4 OFFSET ?5";
    zn_stmt *q = NULL;
    zn_error err;
    zn_status s = zn_stmt_prepare(c->db->st, sql, &q, &err);
    if (s != ZN_OK)
        return zn__fail_status(c, s, &err);
    zn_stmt_bind_text(q, 1, c->who.prefix);
    zn_stmt_bind_text(q, 2, prefix);
    zn_stmt_bind_int64(q, 3, c->now);
    zn_stmt_bind_int64(q, 4, limit);
    zn_stmt_bind_int64(q, 5, offset);
    json_t *rows = json_array();
    int64_t total = 0;
    int has = 0;
    while ((s = zn_stmt_step(q, &has, &err)) == ZN_OK && has) {
        json_array_append_new(
            rows, json_pack("{s:I, s:s, s:s, s:s, s:I, s:I, s:{s:I, s:I, s:I, s:I, s:I}}", "id",
                            (json_int_t)zn_stmt_column_int64(q, 0), "issuer", zn_stmt_column_text(q, 1),
                            "issuer_unit", zn_stmt_column_text(q, 2), "reason", zn_stmt_column_text(q, 3),
                            "issued_at", (json_int_t)zn_stmt_column_int64(q, 4), "tasks",
                            (json_int_t)zn_stmt_column_int64(q, 5), "by_state", "issued",
                            (json_int_t)zn_stmt_column_int64(q, 6), "working", (json_int_t)zn_stmt_column_int64(q, 7),
                            "reported", (json_int_t)zn_stmt_column_int64(q, 8), "done",
                            (json_int_t)zn_stmt_column_int64(q, 9), "overdue",
                            (json_int_t)zn_stmt_column_int64(q, 10)));
    }
    zn_stmt_finalize(q);
    q = NULL;
    if (s == ZN_OK)
        s = zn_stmt_prepare(c->db->st,
                            "SELECT COUNT(DISTINCT instruction_id) FROM loop_task"
                            " WHERE substr(division_code, 1, length(?1)) = ?1 AND substr(division_code, 1, length(?2)) = ?2",
                            &q, &err);
    if (s == ZN_OK) {
        zn_stmt_bind_text(q, 1, c->who.prefix);
        zn_stmt_bind_text(q, 2, prefix);
        if ((s = zn_stmt_step(q, &has, &err)) == ZN_OK && has)
            total = zn_stmt_column_int64(q, 0);
    }
    zn_stmt_finalize(q);
    if (s != ZN_OK) {
        json_decref(rows);
        return zn__fail_status(c, s, &err);
    }
    return zn__ok(c, json_pack("{s:s, s:I, s:I, s:I, s:o}", "area", code, "total", (json_int_t)total, "limit",
                               (json_int_t)limit, "offset", (json_int_t)offset, "rows", rows));
}
