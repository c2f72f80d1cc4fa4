/*
 * The alert store: detector alarms in table `alert` (migration 5), unique on (method, series,
 * period), each verified by a task of the closed loop ("alert.new" → epi.verify_signal).
 */
#include "zhinao/stats.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* The issuer of alerts when the caller names none: a display name for the (Chinese) cockpit's
 * instruction list; notifications to "issuer" go to it. */
#define ALERT_ISSUER "监测预警系统"

static int all_digits(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

/* The detector as a Chinese command centre writes it in a reason ("ears-c3" -> "EARS-C3"); other
 * method names as they are. */
static const char *method_display(const char *method)
{
    static const struct {
        const char *name, *shown;
    } map[] = {{"ears-c1", "EARS-C1"},       {"ears-c2", "EARS-C2"},
               {"ears-c3", "EARS-C3"},       {"cusum", "CUSUM"},
               {"farrington", "Farrington"}, {"farrington-flexible", "Farrington（灵活版）"},
               {"noufaily", "Noufaily"},     {"cidars", "CIDARS"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(method, map[i].name))
            return map[i].shown;
    return method;
}

zn_status zn_alert_division_lookup(zn_store *st, const char *name, const char *prefix, char code[13], zn_error *err)
{
    zn_error_clear(err);
    if (!st || !name || !code || !all_digits(prefix) || strlen(prefix) > 12)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "prefix", "division lookup needs a name and a digit prefix");
    int exists = 0;
    zn_status rc = zn_store_table_exists(st, "division", &exists, err);
    if (rc != ZN_OK)
        return rc;
    if (!exists)
        return zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "division", "no divisions in the store");
    zn_stmt *q = NULL;
    rc = zn_stmt_prepare(st,
                         "SELECT code FROM division WHERE edition = 2021 AND level = 3 AND name = ? "
                         "AND substr(code, 1, ?) = ? ORDER BY code LIMIT 2",
                         &q, err);
    if (rc != ZN_OK)
        return rc;
    zn_stmt_bind_text(q, 1, name);
    zn_stmt_bind_int64(q, 2, (int64_t)strlen(prefix));
    zn_stmt_bind_text(q, 3, prefix);
    int row = 0, nrows = 0;
    while ((rc = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        if (nrows++ == 0)
            snprintf(code, 13, "%s", zn_stmt_column_text(q, 0));
    }
    zn_stmt_finalize(q);
    if (rc != ZN_OK)
        return rc;
    if (nrows == 0)
        return zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "division",
                            "no county-level division '%s' under %s in edition 2021", name, prefix);
    if (nrows > 1)
        return zn_error_set(err, ZN_EVALIDATE, NULL, 0, "division", "two county-level divisions named '%s' under %s",
                            name, prefix);
    return ZN_OK;
}

/* The stored alert (method, series, period): *found, its id and task. */
static zn_status find_alert(zn_store *st, const zn_alert *a, int *found, int64_t *id, int64_t *task, zn_error *err)
{
    zn_stmt *q = NULL;
    zn_status rc = zn_stmt_prepare(st, "SELECT id, task_id FROM alert WHERE method = ? AND series = ? AND period = ?",
                                   &q, err);
    if (rc != ZN_OK)
        return rc;
    zn_stmt_bind_text(q, 1, a->method);
    zn_stmt_bind_text(q, 2, a->series);
    zn_stmt_bind_text(q, 3, a->period);
    int row = 0;
    rc = zn_stmt_step(q, &row, err);
    *found = rc == ZN_OK && row;
    if (*found) {
        *id = zn_stmt_column_int64(q, 0);
        *task = zn_stmt_column_is_null(q, 1) ? 0 : zn_stmt_column_int64(q, 1);
    }
    zn_stmt_finalize(q);
    return rc;
}

/* A code of 2..12 digits padded with zeros to 12. */
static int pad12(const char *code, char out[13])
{
    size_t n = code ? strlen(code) : 0;
    if (n < 2 || n > 12 || !all_digits(code))
        return -1;
    memcpy(out, code, n);
    memset(out + n, '0', 12 - n);
    out[12] = '\0';
    return 0;
}

static zn_status raise_in_tx(zn_loop *lp, const zn_alert *a, const char *issuer, const char *issuer_unit,
                             const char *div12, int64_t *alert_id, int64_t *task_id, int *is_new, zn_error *err)
{
    zn_store *st = zn_loop_store(lp);
    int found = 0;
    int64_t id = 0, task = 0;
    zn_status rc = find_alert(st, a, &found, &id, &task, err);
    if (rc != ZN_OK)
        return rc;
    if (found) {
        *alert_id = id;
        *task_id = task;
        *is_new = 0;
        return ZN_OK;
    }
    int64_t now = zn_ctx_now(zn_store_ctx(st));
    zn_stmt *ins = NULL;
    rc = zn_stmt_prepare(st,
                         "INSERT INTO alert (method, series, division_code, period, observed, upperbound, created_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)",
                         &ins, err);
    if (rc != ZN_OK)
        return rc;
    zn_stmt_bind_text(ins, 1, a->method);
    zn_stmt_bind_text(ins, 2, a->series);
    a->division_code ? zn_stmt_bind_text(ins, 3, div12) : zn_stmt_bind_null(ins, 3);
    zn_stmt_bind_text(ins, 4, a->period);
    zn_stmt_bind_double(ins, 5, a->observed);
    isnan(a->upperbound) ? zn_stmt_bind_null(ins, 6) : zn_stmt_bind_double(ins, 6, a->upperbound);
    zn_stmt_bind_int64(ins, 7, now);
    rc = zn_stmt_step(ins, NULL, err);
    zn_stmt_finalize(ins);
    if (rc != ZN_OK)
        return rc;
    id = zn_store_last_id(st);

    char ref[32], reason[384], ubs[32], title[256];
    const char *m = method_display(a->method);
    snprintf(ref, sizeof ref, "%lld", (long long)id);
    /* as a command centre writes it: "EARS-C3 预警：虹口区 2022-04-14 报告 930 例，超过上限 699.5" */
    if (isnan(a->upperbound)) {
        snprintf(reason, sizeof reason, "%s 预警：%s %s 报告 %.0f 例（上限 NA）", m, a->series, a->period, a->observed);
    } else {
        snprintf(ubs, sizeof ubs, "%.1f", a->upperbound);
        snprintf(reason, sizeof reason, "%s 预警：%s %s 报告 %.0f 例，超过上限 %s", m, a->series, a->period,
                 a->observed, ubs);
    }
    /* a task title is at most 191 bytes: cut before the character the limit falls in (the whole
     * title is at most 21 + 3 * 63 + 2 bytes: it fits title) */
    snprintf(title, sizeof title, "核实预警信号：%s %s %s", m, a->series, a->period);
    if (strlen(title) > 191) {
        size_t k = 191;
        while (k > 0 && ((unsigned char)title[k] & 0xC0) == 0x80)
            k--;
        title[k] = 0;
    }
    zn_loop_link link = {"alert", ref};
    zn_loop_instruction in = {.issuer = issuer, .issuer_unit = issuer_unit, .reason = reason, .links = &link, .nlinks = 1};
    int64_t instr = 0;
    rc = zn_loop_instruct(lp, &in, &instr, err);
    if (rc != ZN_OK)
        return rc;
    zn_loop_task_spec spec = {.instruction_id = instr, .subject_kind = "alert", .subject_ref = ref, .title = title};
    char unit12[13];
    if (a->division_code) {
        spec.where.division_code = div12;
    } else {
        pad12(issuer_unit, unit12);
        spec.assignee_kind = "division";
        spec.assignee = unit12;
        spec.division_code = unit12;
    }
    zn_loop_act act = {.actor = issuer, .note = reason};
    int64_t ids[8];
    size_t n = 0;
    rc = zn_loop_issue_event(lp, "alert.new", &spec, &act, ids, sizeof ids / sizeof ids[0], &n, err);
    if (rc != ZN_OK)
        return rc;
    task = n ? ids[0] : 0;
    zn_stmt *up = NULL;
    rc = zn_stmt_prepare(st, "UPDATE alert SET task_id = ? WHERE id = ?", &up, err);
    if (rc != ZN_OK)
        return rc;
    task ? zn_stmt_bind_int64(up, 1, task) : zn_stmt_bind_null(up, 1);
    zn_stmt_bind_int64(up, 2, id);
    rc = zn_stmt_step(up, NULL, err);
    zn_stmt_finalize(up);
    if (rc != ZN_OK)
        return rc;
    *alert_id = id;
    *task_id = task;
    *is_new = 1;
    return ZN_OK;
}

zn_status zn_alert_raise(zn_loop *lp, const zn_alert *a, const char *issuer, const char *issuer_unit,
                         int64_t *alert_id, int64_t *task_id, int *is_new, zn_error *err)
{
    zn_error_clear(err);
    int64_t id_, task_;
    int new_;
    if (!alert_id)
        alert_id = &id_;
    if (!task_id)
        task_id = &task_;
    if (!is_new)
        is_new = &new_;
    *alert_id = *task_id = 0;
    *is_new = 0;
    if (!issuer)
        issuer = ALERT_ISSUER;
    if (!lp || !a || !a->method || !a->series || !a->period || !a->method[0] || !a->series[0] || !a->period[0])
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "an alert needs a method, a series and a period");
    if (strlen(a->method) > 63 || strlen(a->series) > 63 || strlen(a->period) > 63 || strlen(issuer) > 63)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "alert method, series, period and issuer: at most 63 bytes");
    char div12[13] = "", unit12[13];
    if (a->division_code && pad12(a->division_code, div12))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "division_code", "bad division code '%s'", a->division_code);
    if (!a->division_code && (!issuer_unit || pad12(issuer_unit, unit12)))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "division_code",
                            "series '%s' maps to no division and no issuing unit was given", a->series);
    zn_store *st = zn_loop_store(lp);
    zn_status rc = zn_store_begin(st, err);
    if (rc != ZN_OK)
        return rc;
    rc = raise_in_tx(lp, a, issuer, issuer_unit, div12, alert_id, task_id, is_new, err);
    if (rc != ZN_OK) {
        zn_store_rollback(st);
        *alert_id = *task_id = 0;
        *is_new = 0;
        return rc;
    }
    return zn_store_commit(st, err);
}
