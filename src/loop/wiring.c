/* The epidemic wiring: stored trace and zone results become tasks (zn_loop_from_trace,
 * zn_loop_from_zones in include/zhinao/loop.h). */
#include "zhinao/loop.h"
#include "zhinao/store.h"
#include "zhinao/zone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first instruction linked to (kind, ref) in *id, 0 when none. */
static zn_status find_link(zn_loop *lp, const char *kind, const char *ref, int64_t *id, zn_error *err)
{
    zn_stmt *s = NULL;
    zn_status rc = zn_stmt_prepare(zn_loop_store(lp),
                                   "SELECT MIN(instruction_id) FROM loop_instruction_link WHERE kind = ?1 AND ref = ?2",
                                   &s, err);
    *id = 0;
    if (rc != ZN_OK)
        return rc;
    zn_stmt_bind_text(s, 1, kind);
    zn_stmt_bind_text(s, 2, ref);
    int row = 0;
    rc = zn_stmt_step(s, &row, err);
    if (rc == ZN_OK && row && !zn_stmt_column_is_null(s, 0))
        *id = zn_stmt_column_int64(s, 0);
    zn_stmt_finalize(s);
    return rc;
}

/* The issuer of the wiring's instructions and the actor of its moves when the caller names none: a
 * display name shown as is by the (Chinese) cockpit; notifications to "issuer" go to it. */
#define WIRING_ISSUER "智脑"

/* The Chinese name of a control-plan edition (data/plans/<name>.json) for instruction reasons:
 * "第九版方案"; other names are written "方案 NAME" into buf. */
static const char *plan_zh(const char *plan, char *buf, size_t n)
{
    static const struct {
        const char *name, *zh;
    } map[] = {{"plan-8", "第八版方案"},
               {"plan-9", "第九版方案"},
               {"plan-10", "第十版方案"},
               {"plan-20measures", "二十条措施"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(plan, map[i].name))
            return map[i].zh;
    snprintf(buf, n, "方案 %s", plan);
    return buf;
}

/* A new instruction linked to (kind, ref). */
static zn_status instruct(zn_loop *lp, const char *kind, const char *ref, const char *issuer, const char *issuer_unit,
                          const char *reason, int64_t *id, zn_error *err)
{
    zn_loop_link link = {kind, ref};
    zn_loop_instruction in = {.issuer = issuer ? issuer : WIRING_ISSUER, .issuer_unit = issuer_unit, .reason = reason,
                              .links = &link, .nlinks = 1};
    return zn_loop_instruct(lp, &in, id, err);
}

/* The instruction linked to (kind, ref), or a new one with that link. */
static zn_status find_or_instruct(zn_loop *lp, const char *kind, const char *ref, const char *issuer,
                                  const char *issuer_unit, const char *reason, int64_t *id, zn_error *err)
{
    zn_status rc = find_link(lp, kind, ref, id, err);
    if (rc != ZN_OK || *id)
        return rc;
    return instruct(lp, kind, ref, issuer, issuer_unit, reason, id, err);
}

/* Is there already an original task of instruction `instr` about `ref`? */
static zn_status already_issued(zn_stmt *s, int64_t instr, const char *ref, int *yes, zn_error *err)
{
    zn_stmt_reset(s);
    zn_stmt_bind_int64(s, 1, instr);
    zn_stmt_bind_text(s, 2, ref);
    int row = 0;
    zn_status rc = zn_stmt_step(s, &row, err);
    *yes = rc == ZN_OK && row;
    zn_stmt_reset(s);
    return rc;
}

/* Issue `event` about `ref` at `division`; updates the counts. ZN_ENOTFOUND from routing counts
 * as unrouted. */
static zn_status issue_one(zn_loop *lp, const char *event, int64_t instr, const char *ref, const char *division,
                           const char *actor, zn_loop_wiring_result *out, zn_error *err)
{
    if (!division || !*division) {
        out->unrouted++;
        return ZN_OK;
    }
    zn_loop_task_spec sp = {.instruction_id = instr, .subject_ref = ref, .where = {division, NULL, NULL}};
    zn_loop_act a = {.actor = actor};
    int64_t ids[ZN_LOOP_WIRING_MAX_TEMPLATES];
    size_t n = 0;
    zn_status rc = zn_loop_issue_event(lp, event, &sp, &a, ids, ZN_LOOP_WIRING_MAX_TEMPLATES, &n, err);
    if (rc == ZN_ENOTFOUND) {
        out->unrouted++;
        return ZN_OK;
    }
    if (rc != ZN_OK)
        return rc;
    out->issued++;
    out->tasks += (int64_t)n;
    for (size_t i = 0; i < n && i < ZN_LOOP_WIRING_MAX_TEMPLATES; i++) {
        zn_loop_task t;
        if ((rc = zn_loop_task_get(lp, ids[i], &t, err)) != ZN_OK)
            return rc;
        if (t.transferred_to)
            out->transferred++;
    }
    return ZN_OK;
}

static zn_status need_template(zn_loop *lp, const char *event, zn_error *err)
{
    if (!zn_loop_template_for(lp, event, NULL))
        return zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "event", "no task template listens to '%s'", event);
    return ZN_OK;
}

zn_status zn_loop_from_trace(zn_loop *lp, int64_t run_id, const char *issuer, const char *issuer_unit,
                             zn_loop_wiring_result *out, zn_error *err)
{
    if (!lp || !out || run_id < 0)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_loop_from_trace: bad argument");
    memset(out, 0, sizeof *out);
    zn_status rc = need_template(lp, "contact.new", err);
    if (rc != ZN_OK)
        return rc;
    zn_store *st = zn_loop_store(lp);
    zn_stmt *s = NULL, *q = NULL, *reg = NULL;
    char plan[64] = "";
    if ((rc = zn_stmt_prepare(st,
                              run_id ? "SELECT id, plan FROM trace_run WHERE id = ?1"
                                     : "SELECT id, plan FROM trace_run ORDER BY id DESC LIMIT 1",
                              &s, err)) != ZN_OK)
        return rc;
    if (run_id)
        zn_stmt_bind_int64(s, 1, run_id);
    int row = 0;
    rc = zn_stmt_step(s, &row, err);
    if (rc == ZN_OK && row) {
        out->run_id = zn_stmt_column_int64(s, 0);
        const char *p = zn_stmt_column_text(s, 1);
        snprintf(plan, sizeof plan, "%s", p ? p : "");
    }
    zn_stmt_finalize(s);
    s = NULL;
    if (rc != ZN_OK)
        return rc;
    if (!row) {
        if (run_id)
            return zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "run", "no trace run %lld", (long long)run_id);
        return zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "run", "no trace run in the store (run zhinao trace first)");
    }
    int has_reg = 0;
    if ((rc = zn_store_table_exists(st, "feed_population_registry", &has_reg, err)) != ZN_OK)
        return rc;
    char ref[32], reason[192], pbuf[80];
    snprintf(ref, sizeof ref, "%lld", (long long)out->run_id);
    /* "第2次流调密接（第九版方案）": the close contacts of trace run 2, traced under plan-9 */
    snprintf(reason, sizeof reason, "第%lld次流调密接（%s）", (long long)out->run_id, plan_zh(plan, pbuf, sizeof pbuf));
    if ((rc = find_or_instruct(lp, "trace_run", ref, issuer, issuer_unit, reason, &out->instruction_id, err)) != ZN_OK)
        return rc;
    const char *actor = issuer ? issuer : WIRING_ISSUER;
    /* Read every contact first: issuing writes to the store while the cursor would be open. */
    char **contacts = NULL;
    size_t n = 0, cap = 0;
    rc = zn_stmt_prepare(st, "SELECT DISTINCT contact FROM close_contact WHERE run_id = ?1 ORDER BY contact", &s, err);
    if (rc == ZN_OK) {
        zn_stmt_bind_int64(s, 1, out->run_id);
        while ((rc = zn_stmt_step(s, &row, err)) == ZN_OK && row) {
            if (n == cap) {
                size_t nc = cap ? 2 * cap : 64;
                char **g = realloc(contacts, nc * sizeof *g);
                if (!g) {
                    rc = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                    break;
                }
                contacts = g;
                cap = nc;
            }
            const char *c = zn_stmt_column_text(s, 0);
            if (!(contacts[n] = strdup(c ? c : ""))) {
                rc = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                break;
            }
            n++;
        }
    }
    zn_stmt_finalize(s);
    if (rc == ZN_OK)
        rc = zn_stmt_prepare(st,
                             "SELECT 1 FROM loop_task WHERE instruction_id = ?1 AND subject_ref = ?2 "
                             "AND parent_id IS NULL LIMIT 1",
                             &q, err);
    if (rc == ZN_OK && has_reg)
        rc = zn_stmt_prepare(st,
                             "SELECT residence_division FROM feed_population_registry WHERE resident_id = ?1 "
                             "AND residence_division IS NOT NULL AND residence_division <> '' LIMIT 1",
                             &reg, err);
    for (size_t i = 0; rc == ZN_OK && i < n; i++) {
        out->subjects++;
        int yes = 0;
        if ((rc = already_issued(q, out->instruction_id, contacts[i], &yes, err)) != ZN_OK)
            break;
        if (yes) {
            out->already++;
            continue;
        }
        char div[16] = "";
        if (reg) {
            zn_stmt_reset(reg);
            zn_stmt_bind_text(reg, 1, contacts[i]);
            if ((rc = zn_stmt_step(reg, &row, err)) != ZN_OK)
                break;
            if (row) {
                const char *d = zn_stmt_column_text(reg, 0);
                snprintf(div, sizeof div, "%s", d ? d : "");
            }
            zn_stmt_reset(reg);
        }
        rc = issue_one(lp, "contact.new", out->instruction_id, contacts[i], div, actor, out, err);
    }
    zn_stmt_finalize(q);
    zn_stmt_finalize(reg);
    for (size_t i = 0; i < n; i++)
        free(contacts[i]);
    free(contacts);
    return rc;
}

typedef struct zunit {
    char ref[64];
    char division[16];
} zunit;

static int valid_date(const char *d)
{
    if (!d || strlen(d) != 10 || d[4] != '-' || d[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9'))
            return 0;
    return 1;
}

/* The Chinese name of the top level of zone run `run_id` (zone_run.levels [[name, zh], ...]) into
 * buf; buf is left as it is when the run has none. */
static zn_status top_level_zh(zn_loop *lp, int64_t run_id, char *buf, size_t n, zn_error *err)
{
    zn_stmt *q;
    zn_status rc = zn_stmt_prepare(zn_loop_store(lp),
                                   "SELECT json_extract(levels, '$[0][1]') FROM zone_run WHERE id = ?1 AND json_valid(levels)",
                                   &q, err);
    if (rc != ZN_OK)
        return rc;
    zn_stmt_bind_int64(q, 1, run_id);
    int row = 0;
    rc = zn_stmt_step(q, &row, err);
    const char *zh = rc == ZN_OK && row ? zn_stmt_column_text(q, 0) : NULL;
    if (zh && *zh && strlen(zh) < n)
        snprintf(buf, n, "%s", zh);
    zn_stmt_finalize(q);
    return rc;
}

/*
 * The instruction of the units of `run` sealed on `date`, linked as ("zone_day", "RULES@DATE") for a
 * run without area and "RULES@DATE@AREA" (AREA = the run's within prefix, "31") for a run
 * restricted to an area: one instruction per (rule set, area, day), whichever run of that area
 * (re-running replaces it) and whichever issuer wires it. A link "RULES@DATE" stored before runs
 * had areas (one run per rule set) is taken for a run with an area too when its instruction
 * already has an original task about one of the run's units `u` (the run it was made from was that
 * area's); otherwise a new instruction. q: the already_issued statement.
 */
static zn_status zone_instruction(zn_loop *lp, const zn_zone_run_info *run, const char *date, const char *issuer,
                                  const char *issuer_unit, const zunit *u, size_t n, zn_stmt *q, int64_t *id,
                                  zn_error *err)
{
    char legacy[128], ref[160], reason[256], top[64] = "封控区";
    snprintf(legacy, sizeof legacy, "%.100s@%s", run->rules, date);
    zn_status rc = top_level_zh(lp, run->id, top, sizeof top, err);
    if (rc != ZN_OK)
        return rc;
    /* "2022-04-08 新增封控区单元（规则 shanghai-2022-04，范围 31）": the top level's Chinese name */
    if (!*run->within)
        snprintf(reason, sizeof reason, "%s 新增%s单元（规则 %.100s）", date, top, run->rules);
    else
        snprintf(reason, sizeof reason, "%s 新增%s单元（规则 %.100s，范围 %s）", date, top, run->rules, run->within);
    if (!*run->within)
        return find_or_instruct(lp, "zone_day", legacy, issuer, issuer_unit, reason, id, err);
    snprintf(ref, sizeof ref, "%s@%s", legacy, run->within);
    rc = find_link(lp, "zone_day", ref, id, err);
    if (rc != ZN_OK || *id)
        return rc;
    int64_t old = 0;
    if ((rc = find_link(lp, "zone_day", legacy, &old, err)) != ZN_OK)
        return rc;
    for (size_t i = 0; old && i < n; i++) {
        int yes = 0;
        if ((rc = already_issued(q, old, u[i].ref, &yes, err)) != ZN_OK)
            return rc;
        if (yes) {
            *id = old;
            return ZN_OK;
        }
    }
    return instruct(lp, "zone_day", ref, issuer, issuer_unit, reason, id, err);
}

zn_status zn_loop_from_zones(zn_loop *lp, const char *rules, const char *date, const char *issuer,
                             const char *issuer_unit, zn_loop_wiring_result *out, zn_error *err)
{
    if (!lp || !out || !rules || !*rules)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "rules", "zn_loop_from_zones: rules are required");
    memset(out, 0, sizeof *out);
    if (!valid_date(date))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "date", "date '%s': expected YYYY-MM-DD", date ? date : "");
    zn_status rc = need_template(lp, "zone.sealed", err);
    if (rc != ZN_OK)
        return rc;
    zn_store *st = zn_loop_store(lp);
    zn_stmt *s = NULL, *q = NULL;
    /* the run serving the issuer's area (the latest of `rules` whatever its area without one) */
    zn_zone_run_info run;
    if ((rc = zn_zone_run_find(st, rules, issuer_unit, &run, err)) != ZN_OK)
        return rc;
    out->run_id = run.id;
    int row = 0;
    zunit *u = NULL;
    size_t n = 0, cap = 0;
    rc = zn_stmt_prepare(st,
                         "SELECT u.id, u.key, COALESCE(NULLIF(u.township_code, ''), u.county_code) "
                         "FROM zone_period p JOIN zone_unit u ON u.id = p.unit_id "
                         "WHERE p.run_id = ?1 AND p.valid_from = ?2 AND p.level_rank = 0 AND NOT EXISTS ("
                         " SELECT 1 FROM zone_period r WHERE r.run_id = p.run_id AND r.unit_id = p.unit_id"
                         " AND r.level_rank = 0 AND r.valid_from < ?2 AND r.valid_to >= date(?2, '-1 day')) "
                         "GROUP BY u.id ORDER BY u.key",
                         &s, err);
    if (rc == ZN_OK) {
        zn_stmt_bind_int64(s, 1, out->run_id);
        zn_stmt_bind_text(s, 2, date);
        while ((rc = zn_stmt_step(s, &row, err)) == ZN_OK && row) {
            if (n == cap) {
                size_t nc = cap ? 2 * cap : 32;
                zunit *g = realloc(u, nc * sizeof *g);
                if (!g) {
                    rc = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                    break;
                }
                u = g;
                cap = nc;
            }
            const char *key = zn_stmt_column_text(s, 1), *d = zn_stmt_column_text(s, 2);
            if (key && strlen(key) < sizeof u[n].ref)
                snprintf(u[n].ref, sizeof u[n].ref, "%s", key);
            else
                snprintf(u[n].ref, sizeof u[n].ref, "zone_unit:%lld", (long long)zn_stmt_column_int64(s, 0));
            snprintf(u[n].division, sizeof u[n].division, "%s", d && strlen(d) < 16 ? d : "");
            n++;
        }
    }
    zn_stmt_finalize(s);
    if (rc == ZN_OK && n)
        rc = zn_stmt_prepare(st,
                             "SELECT 1 FROM loop_task WHERE instruction_id = ?1 AND subject_ref = ?2 "
                             "AND parent_id IS NULL LIMIT 1",
                             &q, err);
    if (rc == ZN_OK && n)
        rc = zone_instruction(lp, &run, date, issuer, issuer_unit, u, n, q, &out->instruction_id, err);
    const char *actor = issuer ? issuer : WIRING_ISSUER;
    for (size_t i = 0; rc == ZN_OK && i < n; i++) {
        out->subjects++;
        int yes = 0;
        if ((rc = already_issued(q, out->instruction_id, u[i].ref, &yes, err)) != ZN_OK)
            break;
        if (yes) {
            out->already++;
            continue;
        }
        rc = issue_one(lp, "zone.sealed", out->instruction_id, u[i].ref, u[i].division, actor, out, err);
    }
    zn_stmt_finalize(q);
    free(u);
    return rc;
}
