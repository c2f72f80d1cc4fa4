/*
 * Instructions and tasks: issue, moves through the closed loop, reassign, transfer (协查), the
 * clock ledger (suspend / resume / extend) and the derived schedule. Every move is one
 * transaction: history row + task row + schedule.
 */
#include "loop_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TASK_COLS                                                                                              \
    "id, instruction_id, parent_id, transferred_to, template_id, title, subject_kind, subject_ref,"           \
    " assignee_kind, assignee, division_code, grid_id, state, seq, budget_unit, budget, extension, suspended," \
    " created_at, deadline, done_at, ended_at"

static int64_t now_of(zn_loop *lp) { return zn_ctx_now(lp->ctx); }

static zn_status check_len(const char *s, size_t max, const char *field, zn_error *err)
{
    if (s && strlen(s) > max)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, field, "%s longer than %zu bytes", field, max);
    return ZN_OK;
}

static void bind_opt_int(zn_stmt *s, int idx, int64_t v)
{
    if (v)
        zn_stmt_bind_int64(s, idx, v);
    else
        zn_stmt_bind_null(s, idx);
}

static void bind_opt_text(zn_stmt *s, int idx, const char *v)
{
    if (v && *v)
        zn_stmt_bind_text(s, idx, v);
    else
        zn_stmt_bind_null(s, idx);
}

/* ---------------------------------------------------------------- instructions ---- */

zn_status zn_loop_instruct(zn_loop *lp, const zn_loop_instruction *in, int64_t *id, zn_error *err)
{
    if (!lp || !in || !id)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_loop_instruct: NULL argument");
    if (!in->issuer || !*in->issuer || !in->reason || !*in->reason)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, !in->issuer || !*in->issuer ? "issuer" : "reason",
                            "an instruction names its issuer and its reason");
    zn_status rc = check_len(in->issuer, 63, "issuer", err);
    char unit[13] = "";
    if (rc == ZN_OK && in->issuer_unit && *in->issuer_unit)
        rc = zn__code12(in->issuer_unit, unit, err);
    for (size_t i = 0; rc == ZN_OK && i < in->nlinks; i++)
        if (!in->links[i].kind || !*in->links[i].kind || !in->links[i].ref || !*in->links[i].ref)
            rc = zn_error_set(err, ZN_EINVAL, NULL, 0, "links", "link %zu needs a kind and a ref", i);
    if (rc != ZN_OK)
        return rc;
    if ((rc = zn_store_begin(lp->st, err)) != ZN_OK)
        return rc;
    zn_stmt *s = NULL;
    rc = zn_stmt_prepare(lp->st, "INSERT INTO loop_instruction(issuer, issuer_unit, reason, issued_at) VALUES (?,?,?,?)",
                         &s, err);
    if (rc == ZN_OK) {
        zn_stmt_bind_text(s, 1, in->issuer);
        bind_opt_text(s, 2, unit);
        zn_stmt_bind_text(s, 3, in->reason);
        zn_stmt_bind_int64(s, 4, now_of(lp));
        rc = zn_stmt_step(s, NULL, err);
        *id = zn_store_last_id(lp->st);
    }
    zn_stmt_finalize(s);
    s = NULL;
    if (rc == ZN_OK && in->nlinks)
        rc = zn_stmt_prepare(lp->st,
                             "INSERT INTO loop_instruction_link(instruction_id, kind, ref) VALUES (?,?,?) "
                             "ON CONFLICT DO NOTHING",
                             &s, err);
    for (size_t i = 0; rc == ZN_OK && i < in->nlinks; i++) {
        zn_stmt_bind_int64(s, 1, *id);
        zn_stmt_bind_text(s, 2, in->links[i].kind);
        zn_stmt_bind_text(s, 3, in->links[i].ref);
        rc = zn_stmt_step(s, NULL, err);
        zn_stmt_reset(s);
    }
    zn_stmt_finalize(s);
    if (rc != ZN_OK) {
        zn_store_rollback(lp->st);
        return rc;
    }
    return zn_store_commit(lp->st, err);
}

/* ---------------------------------------------------------------- task heads ---- */

typedef struct head {
    zn_task_state state;
    int64_t seq, parent_id, done_at, closed_at, ended_at, transferred_to, created_at, budget, extension;
    int suspended;
    zn_budget_unit unit;
} head;

static zn_status load_head(zn_loop *lp, int64_t id, head *h, zn_error *err)
{
    zn_stmt *s;
    zn_status rc = zn__q(lp, ZN__Q_TASK_HEAD, &s, err);
    if (rc != ZN_OK)
        return rc;
    zn_stmt_bind_int64(s, 1, id);
    int row = 0;
    rc = zn_stmt_step(s, &row, err);
    if (rc == ZN_OK && !row)
        rc = zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "task", "no task %lld", (long long)id);
    if (rc == ZN_OK) {
        if (zn_task_state_parse(zn_stmt_column_text(s, 0), &h->state) != ZN_OK)
            rc = zn_error_set(err, ZN_ESTORE, NULL, 0, "state", "task %lld has unknown state '%s'", (long long)id,
                              zn_stmt_column_text(s, 0));
        h->seq = zn_stmt_column_int64(s, 1);
        h->parent_id = zn_stmt_column_int64(s, 2);
        h->suspended = (int)zn_stmt_column_int64(s, 3);
        h->done_at = zn_stmt_column_int64(s, 4);
        h->closed_at = zn_stmt_column_int64(s, 5);
        h->ended_at = zn_stmt_column_int64(s, 6);
        h->transferred_to = zn_stmt_column_int64(s, 7);
        h->created_at = zn_stmt_column_int64(s, 8);
        if (rc == ZN_OK && zn__budget_unit_parse(zn_stmt_column_text(s, 9), &h->unit) != ZN_OK)
            rc = zn_error_set(err, ZN_ESTORE, NULL, 0, "budget_unit", "task %lld has unknown budget unit", (long long)id);
        h->budget = zn_stmt_column_int64(s, 10);
        h->extension = zn_stmt_column_int64(s, 11);
    }
    zn_stmt_reset(s);
    return rc;
}

static zn_status add_history(zn_loop *lp, int64_t task, int64_t seq, zn_task_state from, zn_task_state to,
                             const zn_loop_act *act, const char *hex, const char *detail, int64_t at, zn_error *err)
{
    zn_stmt *s;
    zn_status rc = zn__q(lp, ZN__Q_TRANSITION_INSERT, &s, err);
    if (rc != ZN_OK)
        return rc;
    zn_stmt_bind_int64(s, 1, task);
    zn_stmt_bind_int64(s, 2, seq);
    zn_stmt_bind_text(s, 3, zn_task_state_name(from));
    zn_stmt_bind_text(s, 4, zn_task_state_name(to));
    zn_stmt_bind_text(s, 5, act->actor);
    zn_stmt_bind_int64(s, 6, at);
    bind_opt_text(s, 7, act->note);
    bind_opt_text(s, 8, act->evidence);
    bind_opt_text(s, 9, hex);
    bind_opt_text(s, 10, detail);
    rc = zn_stmt_step(s, NULL, err);
    zn_stmt_reset(s);
    return rc;
}

/* ---------------------------------------------------------------- schedule ---- */

/* The suspension spans of a task from its ledger, in order. *out is malloc'ed (NULL when none). */
static zn_status load_spans(zn_loop *lp, int64_t id, zn_clock_span **out, size_t *n, zn_error *err)
{
    *out = NULL;
    *n = 0;
    zn_stmt *s;
    zn_status rc = zn__q(lp, ZN__Q_CLOCK_SPANS, &s, err);
    if (rc != ZN_OK)
        return rc;
    zn_stmt_bind_int64(s, 1, id);
    size_t cap = 0;
    int row = 0;
    while ((rc = zn_stmt_step(s, &row, err)) == ZN_OK && row) {
        int suspend = !strcmp(zn_stmt_column_text(s, 0), "suspend");
        int64_t at = zn_stmt_column_int64(s, 1);
        if (suspend) {
            if (*n == cap) {
                cap = cap ? cap * 2 : 4;
                zn_clock_span *ns = realloc(*out, cap * sizeof *ns);
                if (!ns) {
                    rc = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                    break;
                }
                *out = ns;
            }
            (*out)[(*n)++] = (zn_clock_span){at, ZN_CLOCK_STOPPED};
        } else if (*n && (*out)[*n - 1].to == ZN_CLOCK_STOPPED) {
            (*out)[*n - 1].to = at;
        }
    }
    zn_stmt_reset(s);
    if (rc != ZN_OK) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

zn_status zn__task_refresh(zn_loop *lp, int64_t id, zn_error *err)
{
    head h;
    zn_status rc = load_head(lp, id, &h, err);
    if (rc != ZN_OK)
        return rc;
    zn_clock_span *sp;
    size_t nsp;
    if ((rc = load_spans(lp, id, &sp, &nsp, err)) != ZN_OK)
        return rc;
    int32_t tz = zn_ctx_tz_offset(lp->ctx);
    int64_t total = h.budget + h.extension, deadline;
    rc = zn_clock_due(lp->cal, tz, h.created_at, h.unit, total, 1.0, sp, nsp, &deadline, err);
    zn_stmt *s;
    if (rc == ZN_OK && (rc = zn__q(lp, ZN__Q_TASK_SET_DEADLINE, &s, err)) == ZN_OK) {
        if (deadline == ZN_CLOCK_STOPPED)
            zn_stmt_bind_null(s, 1);
        else
            zn_stmt_bind_int64(s, 1, deadline);
        zn_stmt_bind_int64(s, 2, id);
        rc = zn_stmt_step(s, NULL, err);
        zn_stmt_reset(s);
    }
    /* The unfired rungs, read in full before updating them. */
    struct {
        char name[32];
        double frac;
        int64_t after;
    } r[ZN_LOOP_MAX_RUNGS];
    size_t nr = 0;
    if (rc == ZN_OK && (rc = zn__q(lp, ZN__Q_RUNG_LIST, &s, err)) == ZN_OK) {
        zn_stmt_bind_int64(s, 1, id);
        int row = 0;
        while ((rc = zn_stmt_step(s, &row, err)) == ZN_OK && row && nr < ZN_LOOP_MAX_RUNGS) {
            snprintf(r[nr].name, sizeof r[nr].name, "%s", zn_stmt_column_text(s, 0));
            r[nr].frac = zn_stmt_column_double(s, 1);
            r[nr].after = zn_stmt_column_int64(s, 2);
            nr++;
        }
        zn_stmt_reset(s);
    }
    int active = zn_task_state_active(h.state);
    for (size_t i = 0; rc == ZN_OK && i < nr; i++) {
        int64_t due = ZN_CLOCK_STOPPED;
        if (active) {
            if (r[i].frac > 0)
                rc = zn_clock_due(lp->cal, tz, h.created_at, h.unit, total, r[i].frac, sp, nsp, &due, err);
            else if (deadline != ZN_CLOCK_STOPPED)
                due = deadline + r[i].after;
        }
        if (rc == ZN_OK && (rc = zn__q(lp, ZN__Q_RUNG_SET_DUE, &s, err)) == ZN_OK) {
            if (due == ZN_CLOCK_STOPPED)
                zn_stmt_bind_null(s, 1);
            else
                zn_stmt_bind_int64(s, 1, due);
            zn_stmt_bind_int64(s, 2, id);
            zn_stmt_bind_text(s, 3, r[i].name);
            rc = zn_stmt_step(s, NULL, err);
            zn_stmt_reset(s);
        }
    }
    free(sp);
    return rc;
}

static zn_status park_rungs(zn_loop *lp, int64_t id, zn_error *err)
{
    zn_stmt *s;
    zn_status rc = zn__q(lp, ZN__Q_RUNG_PARK, &s, err);
    if (rc != ZN_OK)
        return rc;
    zn_stmt_bind_int64(s, 1, id);
    rc = zn_stmt_step(s, NULL, err);
    zn_stmt_reset(s);
    return rc;
}

/* ---------------------------------------------------------------- moves ---- */

/* Apply one move inside an open transaction. */
static zn_status apply_move(zn_loop *lp, int64_t id, const head *h, zn_task_state to, const zn_loop_act *act,
                            const char *hex, const char *detail, int64_t transferred_to, zn_error *err)
{
    zn_status rc = zn_task_check_move(h->state, to, err);
    if (rc != ZN_OK) {
        if (err) {
            char tmp[sizeof err->msg];
            snprintf(tmp, sizeof tmp, "task %lld: %s", (long long)id, err->msg);
            memcpy(err->msg, tmp, sizeof tmp);
        }
        return rc;
    }
    int64_t at = now_of(lp);
    if ((rc = add_history(lp, id, h->seq + 1, h->state, to, act, hex, detail, at, err)) != ZN_OK)
        return rc;
    int64_t done_at = to == ZN_TASK_REPORTED ? at : h->done_at;
    int64_t closed_at = to == ZN_TASK_CLOSED ? at : h->closed_at;
    int64_t ended_at = 0;
    if (to == ZN_TASK_CLOSED || to == ZN_TASK_CANCELLED || to == ZN_TASK_TRANSFERRED)
        ended_at = h->ended_at ? h->ended_at : at;
    int64_t tr = to == ZN_TASK_TRANSFERRED ? transferred_to : to == ZN_TASK_RETURNED ? 0 : h->transferred_to;
    zn_stmt *s;
    int ends = ended_at != h->ended_at || tr != h->transferred_to;
    if ((rc = zn__q(lp, ends ? ZN__Q_TASK_MOVE_END : ZN__Q_TASK_MOVE, &s, err)) != ZN_OK)
        return rc;
    int k = 1;
    zn_stmt_bind_text(s, k++, zn_task_state_name(to));
    bind_opt_int(s, k++, done_at);
    bind_opt_int(s, k++, closed_at);
    if (ends) {
        bind_opt_int(s, k++, ended_at);
        bind_opt_int(s, k++, tr);
    }
    zn_stmt_bind_int64(s, k++, id);
    zn_stmt_bind_int64(s, k++, h->seq);
    rc = zn_stmt_step(s, NULL, err);
    zn_stmt_reset(s);
    if (rc == ZN_OK && zn_store_changes(lp->st) != 1)
        rc = zn_error_set(err, ZN_ESTATE, NULL, 0, "seq", "task %lld changed concurrently", (long long)id);
    if (rc != ZN_OK)
        return rc;
    int was = zn_task_state_active(h->state), is = zn_task_state_active(to);
    if (was && !is)
        rc = park_rungs(lp, id, err);
    else if (!was && is)
        rc = zn__task_refresh(lp, id, err);
    if (rc == ZN_OK && to == ZN_TASK_CLOSED && h->parent_id) {
        /* A transfer was done: its original, still waiting in `transferred`, closes with it. */
        head ph;
        if ((rc = load_head(lp, h->parent_id, &ph, err)) == ZN_OK && ph.state == ZN_TASK_TRANSFERRED) {
            char note[96];
            snprintf(note, sizeof note, "linked task %lld closed", (long long)id);
            zn_loop_act pa = {.actor = act->actor, .note = note};
            char det[48];
            snprintf(det, sizeof det, "closed_by=%lld", (long long)id);
            rc = apply_move(lp, h->parent_id, &ph, ZN_TASK_CLOSED, &pa, "", det, 0, err);
        }
    }
    return rc;
}

/* Run fn inside a transaction, rolling back on error. */
static zn_status finish(zn_loop *lp, zn_status rc, zn_error *err)
{
    if (rc != ZN_OK) {
        zn_store_rollback(lp->st);
        return rc;
    }
    return zn_store_commit(lp->st, err);
}

zn_status zn_loop_move(zn_loop *lp, int64_t task_id, zn_task_state to, const zn_loop_act *act, zn_error *err)
{
    if (!lp)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_loop_move: NULL argument");
    if (to == ZN_TASK_REASSIGNED || to == ZN_TASK_TRANSFERRED || to == ZN_TASK_ISSUED || (unsigned)to >= ZN_TASK_NSTATES)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "state", "use zn_loop_%s to move a task to '%s'",
                            to == ZN_TASK_REASSIGNED ? "reassign" : to == ZN_TASK_TRANSFERRED ? "transfer" : "issue",
                            zn_task_state_name(to));
    char hex[65];
    zn_status rc = zn__act_prepare(act, hex, err);
    if (rc != ZN_OK || (rc = zn_store_begin(lp->st, err)) != ZN_OK)
        return rc;
    head h;
    rc = load_head(lp, task_id, &h, err);
    if (rc == ZN_OK)
        rc = apply_move(lp, task_id, &h, to, act, hex, NULL, 0, err);
    return finish(lp, rc, err);
}

/* ---------------------------------------------------------------- issue ---- */

zn_status zn__issue_one(zn_loop *lp, const zn_loop_task_spec *spec, const zn_loop_act *act, const char *hex,
                        const zn_loop_route *route, int64_t parent_id, int64_t *task_id, zn_error *err)
{
    const zn_loop_template *t = zn_loop_template_find(lp, spec->template_id);
    if (!t)
        return zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "template", "no template '%s'", spec->template_id);
    int64_t at = now_of(lp), deadline;
    int32_t tz = zn_ctx_tz_offset(lp->ctx);
    zn_status rc = zn_clock_due(lp->cal, tz, at, t->unit, t->budget, 1.0, NULL, 0, &deadline, err);
    zn_stmt *s;
    if (rc != ZN_OK || (rc = zn__q(lp, ZN__Q_TASK_INSERT, &s, err)) != ZN_OK)
        return rc;
    zn_stmt_bind_int64(s, 1, spec->instruction_id);
    bind_opt_int(s, 2, parent_id);
    zn_stmt_bind_text(s, 3, t->id);
    /* "" stands for the template's name, English or Chinese (rows stay narrow for the metrics scan;
     * a transfer passes on the filled title of its original) */
    zn_stmt_bind_text(s, 4, spec->title && *spec->title && strcmp(spec->title, t->name) &&
                                    !(t->name_zh && *t->name_zh && !strcmp(spec->title, t->name_zh))
                                ? spec->title
                                : "");
    bind_opt_text(s, 5, spec->subject_kind && *spec->subject_kind ? spec->subject_kind : t->subject);
    bind_opt_text(s, 6, spec->subject_ref);
    zn_stmt_bind_text(s, 7, route->assignee_kind);
    zn_stmt_bind_text(s, 8, route->assignee);
    zn_stmt_bind_text(s, 9, route->division_code);
    bind_opt_text(s, 10, route->grid_id);
    zn_stmt_bind_text(s, 11, zn_budget_unit_name(t->unit));
    zn_stmt_bind_int64(s, 12, t->budget);
    zn_stmt_bind_int64(s, 13, at);
    zn_stmt_bind_int64(s, 14, deadline);
    rc = zn_stmt_step(s, NULL, err);
    zn_stmt_reset(s);
    if (rc != ZN_OK)
        return rc;
    int64_t id = zn_store_last_id(lp->st);
    char detail[160];
    int k = snprintf(detail, sizeof detail, "assignee=%s:%s", route->assignee_kind, route->assignee);
    if (parent_id)
        snprintf(detail + k, sizeof detail - (size_t)k, " transfer_of=%lld", (long long)parent_id);
    if ((rc = add_history(lp, id, 1, ZN_TASK_ISSUED, ZN_TASK_ISSUED, act, hex, detail, at, err)) != ZN_OK)
        return rc;
    for (size_t i = 0; i < t->nrungs && rc == ZN_OK; i++) {
        const zn_rung_def *r = &t->rungs[i];
        int64_t due = deadline + r->after_deadline;
        if (r->at_fraction > 0 && r->at_fraction != 1.0)
            rc = zn_clock_due(lp->cal, tz, at, t->unit, t->budget, r->at_fraction, NULL, 0, &due, err);
        else if (r->at_fraction == 1.0)
            due = deadline;
        if (rc == ZN_OK && (rc = zn__q(lp, ZN__Q_RUNG_INSERT, &s, err)) == ZN_OK) {
            zn_stmt_bind_int64(s, 1, id);
            zn_stmt_bind_text(s, 2, r->name);
            zn_stmt_bind_int64(s, 3, (int64_t)i);
            zn_stmt_bind_double(s, 4, r->at_fraction);
            zn_stmt_bind_int64(s, 5, r->after_deadline);
            zn_stmt_bind_text(s, 6, zn__notify_name(r->notify));
            zn_stmt_bind_int64(s, 7, due);
            rc = zn_stmt_step(s, NULL, err);
            zn_stmt_reset(s);
        }
    }
    if (rc == ZN_OK)
        *task_id = id;
    return rc;
}

static zn_status explicit_route(zn_loop *lp, const char *kind, const char *assignee, const char *division,
                                zn_loop_route *r, zn_error *err)
{
    memset(r, 0, sizeof *r);
    if (!kind || (strcmp(kind, "division") && strcmp(kind, "grid") && strcmp(kind, "team") && strcmp(kind, "person")))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "assignee_kind", "assignee kind '%s': expected division, grid, team or person",
                            kind ? kind : "");
    if (!assignee || !*assignee || strlen(assignee) > 63)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "assignee", "assignee must be 1..63 bytes");
    zn_status rc;
    if (!strcmp(kind, "grid")) {
        zn_loop_where w = {.grid_id = assignee};
        return zn_loop_route_where(lp, &w, NULL, r, err);
    }
    if (!strcmp(kind, "division")) {
        zn_loop_where w = {.division_code = assignee};
        if ((rc = zn_loop_route_where(lp, &w, NULL, r, err)) != ZN_OK)
            return rc;
        /* explicitly the division itself, not a grid below it */
        snprintf(r->assignee_kind, sizeof r->assignee_kind, "division");
        memcpy(r->assignee, r->division_code, 13);
        r->grid_id[0] = '\0';
        return ZN_OK;
    }
    if ((rc = zn__code12(division, r->division_code, err)) != ZN_OK)
        return rc;
    snprintf(r->assignee_kind, sizeof r->assignee_kind, "%s", kind);
    snprintf(r->assignee, sizeof r->assignee, "%s", assignee);
    return ZN_OK;
}

static zn_status instruction_unit(zn_loop *lp, int64_t id, char unit[13], zn_error *err)
{
    zn_stmt *s;
    zn_status rc = zn__q(lp, ZN__Q_INSTRUCTION_UNIT, &s, err);
    if (rc != ZN_OK)
        return rc;
    zn_stmt_bind_int64(s, 1, id);
    int row = 0;
    rc = zn_stmt_step(s, &row, err);
    unit[0] = '\0';
    if (rc == ZN_OK && !row)
        rc = zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "instruction", "no instruction %lld", (long long)id);
    if (rc == ZN_OK)
        snprintf(unit, 13, "%s", zn_stmt_column_text(s, 0));
    zn_stmt_reset(s);
    return rc;
}

zn_status zn_loop_issue(zn_loop *lp, const zn_loop_task_spec *spec, const zn_loop_act *act, int64_t *task_id,
                        int64_t *transfer_id, zn_error *err)
{
    if (!lp || !spec || !task_id)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_loop_issue: NULL argument");
    if (transfer_id)
        *transfer_id = 0;
    if (!spec->template_id)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "template", "a task needs a template");
    zn_status rc = check_len(spec->subject_kind, 15, "subject_kind", err);
    if (rc == ZN_OK)
        rc = check_len(spec->subject_ref, 63, "subject_ref", err);
    if (rc == ZN_OK)
        rc = check_len(spec->title, 191, "title", err);
    if (rc != ZN_OK)
        return rc;
    if (!zn_loop_template_find(lp, spec->template_id))
        return zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "template", "no template '%s'", spec->template_id);
    char unit[13];
    if ((rc = instruction_unit(lp, spec->instruction_id, unit, err)) != ZN_OK)
        return rc;
    zn_loop_route route;
    if (spec->assignee)
        rc = explicit_route(lp, spec->assignee_kind, spec->assignee, spec->division_code, &route, err);
    else
        rc = zn_loop_route_where(lp, &spec->where, unit, &route, err);
    char hex[65];
    if (rc == ZN_OK)
        rc = zn__act_prepare(act, hex, err);
    if (rc != ZN_OK || (rc = zn_store_begin(lp->st, err)) != ZN_OK)
        return rc;
    if (!route.transfer) {
        rc = zn__issue_one(lp, spec, act, hex, &route, 0, task_id, err);
        return finish(lp, rc, err);
    }
    /* 协查: the issuing city keeps the original and hands it over at once. */
    zn_loop_route orig = {0};
    snprintf(orig.assignee_kind, sizeof orig.assignee_kind, "division");
    memcpy(orig.assignee, unit, 13);
    memcpy(orig.division_code, unit, 13);
    int64_t oid = 0, cid = 0;
    rc = zn__issue_one(lp, spec, act, hex, &orig, 0, &oid, err);
    route.transfer = 0;
    if (rc == ZN_OK)
        rc = zn__issue_one(lp, spec, act, "", &route, oid, &cid, err);
    head h;
    if (rc == ZN_OK)
        rc = load_head(lp, oid, &h, err);
    if (rc == ZN_OK) {
        char detail[128];
        snprintf(detail, sizeof detail, "transfer_to=%lld division=%s", (long long)cid, route.division_code);
        zn_loop_act ta = {.actor = act->actor, .note = "协查: target outside the issuing city"};
        rc = apply_move(lp, oid, &h, ZN_TASK_TRANSFERRED, &ta, "", detail, cid, err);
    }
    if (rc == ZN_OK) {
        *task_id = oid;
        if (transfer_id)
            *transfer_id = cid;
    }
    return finish(lp, rc, err);
}

zn_status zn_loop_issue_event(zn_loop *lp, const char *event, const zn_loop_task_spec *base, const zn_loop_act *act,
                              int64_t *ids, size_t max, size_t *n, zn_error *err)
{
    if (n)
        *n = 0;
    if (!lp || !event || !base)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_loop_issue_event: NULL argument");
    size_t pos = 0, k = 0;
    if (!zn_loop_template_for(lp, event, &pos))
        return zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "event", "no template is triggered by '%s'", event);
    zn_status rc = zn_store_begin(lp->st, err);
    if (rc != ZN_OK)
        return rc;
    pos = 0;
    const zn_loop_template *t;
    while (rc == ZN_OK && (t = zn_loop_template_for(lp, event, &pos))) {
        zn_loop_task_spec sp = *base;
        sp.template_id = t->id;
        int64_t id;
        rc = zn_loop_issue(lp, &sp, act, &id, NULL, err);
        if (rc == ZN_OK && ids && k < max)
            ids[k] = id;
        k += rc == ZN_OK;
    }
    rc = finish(lp, rc, err);
    if (rc == ZN_OK && n)
        *n = k;
    return rc;
}

/* ---------------------------------------------------------------- reassign, transfer ---- */

zn_status zn_loop_reassign(zn_loop *lp, int64_t task_id, const char *assignee_kind, const char *assignee,
                           const char *division_code, const zn_loop_act *act, zn_error *err)
{
    if (!lp)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_loop_reassign: NULL argument");
    zn_loop_route r;
    char hex[65];
    zn_status rc = explicit_route(lp, assignee_kind, assignee, division_code, &r, err);
    if (rc == ZN_OK)
        rc = zn__act_prepare(act, hex, err);
    if (rc != ZN_OK || (rc = zn_store_begin(lp->st, err)) != ZN_OK)
        return rc;
    head h;
    rc = load_head(lp, task_id, &h, err);
    if (rc == ZN_OK)
        rc = zn_task_check_move(h.state, ZN_TASK_REASSIGNED, err);
    zn_stmt *s = NULL;
    if (rc == ZN_OK)
        rc = zn_stmt_prepare(lp->st,
                             "UPDATE loop_task SET assignee_kind = ?, assignee = ?, division_code = ?, grid_id = ? WHERE id = ?",
                             &s, err);
    if (rc == ZN_OK) {
        zn_stmt_bind_text(s, 1, r.assignee_kind);
        zn_stmt_bind_text(s, 2, r.assignee);
        zn_stmt_bind_text(s, 3, r.division_code);
        bind_opt_text(s, 4, r.grid_id);
        zn_stmt_bind_int64(s, 5, task_id);
        rc = zn_stmt_step(s, NULL, err);
    }
    zn_stmt_finalize(s);
    if (rc == ZN_OK) {
        char detail[128];
        snprintf(detail, sizeof detail, "assignee=%s:%s", r.assignee_kind, r.assignee);
        rc = apply_move(lp, task_id, &h, ZN_TASK_REASSIGNED, act, hex, detail, 0, err);
    }
    return finish(lp, rc, err);
}

zn_status zn_loop_transfer(zn_loop *lp, int64_t task_id, const zn_loop_where *where, const zn_loop_act *act,
                           int64_t *child_id, zn_error *err)
{
    if (!lp || !where)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_loop_transfer: NULL argument");
    zn_loop_route r;
    char hex[65];
    zn_status rc = zn_loop_route_where(lp, where, NULL, &r, err);
    if (rc == ZN_OK)
        rc = zn__act_prepare(act, hex, err);
    if (rc != ZN_OK || (rc = zn_store_begin(lp->st, err)) != ZN_OK)
        return rc;
    head h;
    rc = load_head(lp, task_id, &h, err);
    if (rc == ZN_OK)
        rc = zn_task_check_move(h.state, ZN_TASK_TRANSFERRED, err);
    zn_loop_task t;
    if (rc == ZN_OK)
        rc = zn_loop_task_get(lp, task_id, &t, err);
    int64_t cid = 0;
    if (rc == ZN_OK) {
        zn_loop_task_spec spec = {.instruction_id = t.instruction_id,
                                  .template_id = t.template_id,
                                  .subject_kind = t.subject_kind,
                                  .subject_ref = t.subject_ref,
                                  .title = t.title};
        rc = zn__issue_one(lp, &spec, act, hex, &r, task_id, &cid, err);
    }
    if (rc == ZN_OK) {
        char detail[128];
        snprintf(detail, sizeof detail, "transfer_to=%lld division=%s", (long long)cid, r.division_code);
        rc = apply_move(lp, task_id, &h, ZN_TASK_TRANSFERRED, act, hex, detail, cid, err);
    }
    if (rc == ZN_OK && child_id)
        *child_id = cid;
    return finish(lp, rc, err);
}

/* ---------------------------------------------------------------- the clock ledger ---- */

static zn_status ledger(zn_loop *lp, int64_t task_id, const char *kind, int64_t amount, const char *approver,
                        const char *approval_ref, const zn_loop_act *act, zn_error *err)
{
    char hex[65];
    zn_status rc = zn__act_prepare(act, hex, err);
    if (rc != ZN_OK)
        return rc;
    if (!act->note || !*act->note)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "note", "%s needs a reason", kind);
    if ((rc = zn_store_begin(lp->st, err)) != ZN_OK)
        return rc;
    head h;
    rc = load_head(lp, task_id, &h, err);
    if (rc == ZN_OK && zn_task_state_terminal(h.state))
        rc = zn_error_set(err, ZN_ESTATE, NULL, 0, "state", "task %lld is %s: its clock is over", (long long)task_id,
                          zn_task_state_name(h.state));
    if (rc == ZN_OK && !strcmp(kind, "suspend") && h.suspended)
        rc = zn_error_set(err, ZN_ESTATE, NULL, 0, "suspended", "task %lld is already suspended", (long long)task_id);
    if (rc == ZN_OK && !strcmp(kind, "resume") && !h.suspended)
        rc = zn_error_set(err, ZN_ESTATE, NULL, 0, "suspended", "task %lld is not suspended", (long long)task_id);
    zn_stmt *s = NULL;
    if (rc == ZN_OK)
        rc = zn_stmt_prepare(lp->st,
                             "INSERT INTO loop_clock(task_id, kind, at, actor, reason, amount, approver, approval_ref)"
                             " VALUES (?,?,?,?,?,?,?,?)",
                             &s, err);
    if (rc == ZN_OK) {
        zn_stmt_bind_int64(s, 1, task_id);
        zn_stmt_bind_text(s, 2, kind);
        zn_stmt_bind_int64(s, 3, now_of(lp));
        zn_stmt_bind_text(s, 4, act->actor);
        zn_stmt_bind_text(s, 5, act->note);
        bind_opt_int(s, 6, amount);
        bind_opt_text(s, 7, approver);
        bind_opt_text(s, 8, approval_ref);
        rc = zn_stmt_step(s, NULL, err);
    }
    zn_stmt_finalize(s);
    s = NULL;
    if (rc == ZN_OK) {
        const char *q = !strcmp(kind, "extend") ? "UPDATE loop_task SET extension = extension + ? WHERE id = ?"
                                                : "UPDATE loop_task SET suspended = ? WHERE id = ?";
        rc = zn_stmt_prepare(lp->st, q, &s, err);
        if (rc == ZN_OK) {
            zn_stmt_bind_int64(s, 1, !strcmp(kind, "extend") ? amount : !strcmp(kind, "suspend"));
            zn_stmt_bind_int64(s, 2, task_id);
            rc = zn_stmt_step(s, NULL, err);
        }
        zn_stmt_finalize(s);
    }
    if (rc == ZN_OK)
        rc = zn__task_refresh(lp, task_id, err);
    return finish(lp, rc, err);
}

zn_status zn_loop_suspend(zn_loop *lp, int64_t task_id, const zn_loop_act *act, zn_error *err)
{
    return ledger(lp, task_id, "suspend", 0, NULL, NULL, act, err);
}

zn_status zn_loop_resume(zn_loop *lp, int64_t task_id, const zn_loop_act *act, zn_error *err)
{
    return ledger(lp, task_id, "resume", 0, NULL, NULL, act, err);
}

zn_status zn_loop_extend(zn_loop *lp, int64_t task_id, int64_t amount, const char *approver, const char *approval_ref,
                         const zn_loop_act *act, zn_error *err)
{
    if (amount <= 0)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "amount", "an extension must be positive");
    if (!approver || !*approver)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "approver", "an extension needs its approver");
    return ledger(lp, task_id, "extend", amount, approver, approval_ref, act, err);
}

/* ---------------------------------------------------------------- reading ---- */

static void copy(char *dst, size_t n, zn_stmt *s, int col) { snprintf(dst, n, "%s", zn_stmt_column_text(s, col)); }

static void read_task(zn_stmt *s, zn_loop_task *t)
{
    memset(t, 0, sizeof *t);
    t->id = zn_stmt_column_int64(s, 0);
    t->instruction_id = zn_stmt_column_int64(s, 1);
    t->parent_id = zn_stmt_column_int64(s, 2);
    t->transferred_to = zn_stmt_column_int64(s, 3);
    copy(t->template_id, sizeof t->template_id, s, 4);
    copy(t->title, sizeof t->title, s, 5);
    copy(t->subject_kind, sizeof t->subject_kind, s, 6);
    copy(t->subject_ref, sizeof t->subject_ref, s, 7);
    copy(t->assignee_kind, sizeof t->assignee_kind, s, 8);
    copy(t->assignee, sizeof t->assignee, s, 9);
    copy(t->division_code, sizeof t->division_code, s, 10);
    copy(t->grid_id, sizeof t->grid_id, s, 11);
    if (zn_task_state_parse(zn_stmt_column_text(s, 12), &t->state) != ZN_OK)
        t->state = ZN_TASK_NSTATES;
    t->seq = zn_stmt_column_int64(s, 13);
    if (zn__budget_unit_parse(zn_stmt_column_text(s, 14), &t->unit) != ZN_OK)
        t->unit = 0;
    t->budget = zn_stmt_column_int64(s, 15);
    t->extension = zn_stmt_column_int64(s, 16);
    t->suspended = (int)zn_stmt_column_int64(s, 17);
    t->created_at = zn_stmt_column_int64(s, 18);
    t->deadline = zn_stmt_column_is_null(s, 19) ? ZN_CLOCK_STOPPED : zn_stmt_column_int64(s, 19);
    t->done_at = zn_stmt_column_int64(s, 20);
    t->ended_at = zn_stmt_column_int64(s, 21);
}

/* An empty stored title is the template's default title (zn_loop_template_title), the template id
 * when the template is gone. */
static void fill_title(const zn_loop *lp, zn_loop_task *t)
{
    if (!t->title[0]) {
        const char *d = zn_loop_template_title(zn_loop_template_find(lp, t->template_id));
        snprintf(t->title, sizeof t->title, "%s", d ? d : t->template_id);
    }
}

zn_status zn_loop_task_get(zn_loop *lp, int64_t task_id, zn_loop_task *out, zn_error *err)
{
    zn_stmt *s;
    zn_status rc = zn_stmt_prepare(lp->st, "SELECT " TASK_COLS " FROM loop_task WHERE id = ?", &s, err);
    if (rc != ZN_OK)
        return rc;
    zn_stmt_bind_int64(s, 1, task_id);
    int row = 0;
    rc = zn_stmt_step(s, &row, err);
    if (rc == ZN_OK && !row)
        rc = zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "task", "no task %lld", (long long)task_id);
    if (rc == ZN_OK) {
        read_task(s, out);
        fill_title(lp, out);
    }
    zn_stmt_finalize(s);
    return rc;
}

zn_status zn_loop_list(zn_loop *lp, const zn_loop_filter *f, zn_loop_task **out, size_t *n, zn_error *err)
{
    *out = NULL;
    *n = 0;
    zn_loop_filter none = {0};
    if (!f)
        f = &none;
    zn_buf q = {0};
    zn_status rc = zn_buf_puts(&q, "SELECT " TASK_COLS " FROM loop_task WHERE 1 = 1");
    if (f->assignee) rc = rc ? rc : zn_buf_puts(&q, " AND assignee = ?");
    if (f->grid_id) rc = rc ? rc : zn_buf_puts(&q, " AND grid_id = ?");
    if (f->division_prefix && *f->division_prefix)
        rc = rc ? rc : zn_buf_puts(&q, " AND division_code >= ? AND division_code < ?");
    if (f->template_id) rc = rc ? rc : zn_buf_puts(&q, " AND template_id = ?");
    if (f->open_only || f->overdue_only) rc = rc ? rc : zn_buf_puts(&q, " AND ended_at IS NULL");
    if (f->overdue_only) rc = rc ? rc : zn_buf_puts(&q, " AND deadline < ?");
    rc = rc ? rc : zn_buf_puts(&q, " ORDER BY id LIMIT ?");
    zn_stmt *s = NULL;
    if (rc != ZN_OK) {
        zn_buf_fini(&q);
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    rc = zn_stmt_prepare(lp->st, q.data, &s, err);
    zn_buf_fini(&q);
    if (rc != ZN_OK)
        return rc;
    int i = 1;
    char hi[16];
    if (f->assignee) zn_stmt_bind_text(s, i++, f->assignee);
    if (f->grid_id) zn_stmt_bind_text(s, i++, f->grid_id);
    if (f->division_prefix && *f->division_prefix) {
        /* every code with this prefix sorts in [prefix, prefix ":"), ':' following '9' */
        snprintf(hi, sizeof hi, "%.12s:", f->division_prefix);
        zn_stmt_bind_text(s, i++, f->division_prefix);
        zn_stmt_bind_text(s, i++, hi);
    }
    if (f->template_id) zn_stmt_bind_text(s, i++, f->template_id);
    if (f->overdue_only) zn_stmt_bind_int64(s, i++, now_of(lp));
    size_t limit = f->limit ? f->limit : 1000;
    zn_stmt_bind_int64(s, i++, (int64_t)limit);
    zn_loop_task *v = NULL;
    size_t cap = 0;
    int row = 0;
    while ((rc = zn_stmt_step(s, &row, err)) == ZN_OK && row) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            zn_loop_task *nv = realloc(v, cap * sizeof *nv);
            if (!nv) {
                rc = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                break;
            }
            v = nv;
        }
        read_task(s, &v[*n]);
        fill_title(lp, &v[(*n)++]);
    }
    zn_stmt_finalize(s);
    if (rc != ZN_OK) {
        free(v);
        *n = 0;
        return rc;
    }
    *out = v;
    return ZN_OK;
}

void zn_loop_history_free(zn_loop_history *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) {
        free(rows[i].note);
        free(rows[i].evidence);
    }
    free(rows);
}

zn_status zn_loop_history_get(zn_loop *lp, int64_t task_id, zn_loop_history **rows, size_t *n, zn_error *err)
{
    *rows = NULL;
    *n = 0;
    zn_stmt *s;
    zn_status rc = zn_stmt_prepare(lp->st,
                                   "SELECT seq, from_state, to_state, at, actor, note, evidence, evidence_sha256"
                                   " FROM loop_transition WHERE task_id = ? ORDER BY seq",
                                   &s, err);
    if (rc != ZN_OK)
        return rc;
    zn_stmt_bind_int64(s, 1, task_id);
    size_t cap = 0;
    int row = 0;
    zn_loop_history *v = NULL;
    while ((rc = zn_stmt_step(s, &row, err)) == ZN_OK && row) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            zn_loop_history *nv = realloc(v, cap * sizeof *nv);
            if (!nv) {
                rc = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                break;
            }
            v = nv;
        }
        zn_loop_history *h = &v[*n];
        memset(h, 0, sizeof *h);
        h->seq = zn_stmt_column_int64(s, 0);
        if (zn_task_state_parse(zn_stmt_column_text(s, 1), &h->from) != ZN_OK)
            h->from = ZN_TASK_NSTATES;
        if (zn_task_state_parse(zn_stmt_column_text(s, 2), &h->to) != ZN_OK)
            h->to = ZN_TASK_NSTATES;
        h->at = zn_stmt_column_int64(s, 3);
        copy(h->actor, sizeof h->actor, s, 4);
        h->note = zn_strdup(zn_stmt_column_text(s, 5));
        h->evidence = zn_strdup(zn_stmt_column_text(s, 6));
        copy(h->evidence_sha256, sizeof h->evidence_sha256, s, 7);
        (*n)++;
        if (!h->note || !h->evidence) {
            rc = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
            break;
        }
    }
    zn_stmt_finalize(s);
    if (rc != ZN_OK) {
        zn_loop_history_free(v, *n);
        *n = 0;
        return rc;
    }
    if (*n == 0) {
        free(v);
        return zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "task", "no history for task %lld", (long long)task_id);
    }
    *rows = v;
    return ZN_OK;
}

zn_status zn_loop_replay(zn_loop *lp, int64_t task_id, zn_task_state *state, zn_error *err)
{
    zn_loop_history *h;
    size_t n;
    zn_status rc = zn_loop_history_get(lp, task_id, &h, &n, err);
    if (rc != ZN_OK)
        return rc;
    if (h[0].seq != 1 || h[0].from != ZN_TASK_ISSUED || h[0].to != ZN_TASK_ISSUED)
        rc = zn_error_set(err, ZN_ESTATE, NULL, 0, "history", "task %lld: history does not start with its issue",
                          (long long)task_id);
    zn_task_state cur = ZN_TASK_ISSUED;
    for (size_t i = 1; rc == ZN_OK && i < n; i++) {
        if (h[i].seq != (int64_t)i + 1 || h[i].from != cur)
            rc = zn_error_set(err, ZN_ESTATE, NULL, 0, "history", "task %lld: row %lld starts at %s, the task was %s",
                              (long long)task_id, (long long)h[i].seq, zn_task_state_name(h[i].from),
                              zn_task_state_name(cur));
        else if ((rc = zn_task_check_move(cur, h[i].to, err)) == ZN_OK)
            cur = h[i].to;
    }
    zn_loop_history_free(h, n);
    if (rc == ZN_OK)
        *state = cur;
    return rc;
}
