/*
 * The escalation timer. Rung due times are derived and stored with each task (loop_rung.due_at,
 * NULL when not due), so the timer needs only the store. Each rung fires in its own transaction
 * that marks the rung fired and inserts its record (loop_escalation, primary key task + rung):
 * after a crash the next tick finds exactly the rungs that were not committed.
 */
#include "loop_int.h"

#include <stdlib.h>
#include <string.h>

#define BATCH 256

typedef struct due_rung {
    int64_t task_id;
    char rung[32];
} due_rung;

static zn_status fire_one(zn_store *st, zn_stmt *get, zn_stmt *mark, zn_stmt *rec, zn_stmt *park, const due_rung *d,
                          int64_t now, zn_loop_fire_fn fn, void *user, int *fired, zn_error *err)
{
    *fired = 0;
    zn_status rc = zn_store_begin(st, err);
    if (rc != ZN_OK)
        return rc;
    zn_stmt_bind_int64(get, 1, d->task_id);
    zn_stmt_bind_text(get, 2, d->rung);
    int row = 0;
    rc = zn_stmt_step(get, &row, err);
    int64_t due = 0;
    zn_task_state state = ZN_TASK_NSTATES;
    char notify[16] = "", kind[16] = "", assignee[64] = "", division[13] = "", issuer[64] = "";
    int fresh = 0;
    if (rc == ZN_OK && row) {
        fresh = zn_stmt_column_is_null(get, 0) && !zn_stmt_column_is_null(get, 1);
        due = zn_stmt_column_int64(get, 1);
        snprintf(notify, sizeof notify, "%s", zn_stmt_column_text(get, 2));
        if (zn_task_state_parse(zn_stmt_column_text(get, 3), &state) != ZN_OK)
            state = ZN_TASK_NSTATES;
        snprintf(kind, sizeof kind, "%s", zn_stmt_column_text(get, 4));
        snprintf(assignee, sizeof assignee, "%s", zn_stmt_column_text(get, 5));
        snprintf(division, sizeof division, "%s", zn_stmt_column_text(get, 6));
        snprintf(issuer, sizeof issuer, "%s", zn_stmt_column_text(get, 7));
    }
    zn_stmt_reset(get);
    if (rc == ZN_OK && fresh && due <= now && !zn_task_state_active(state)) {
        /* Should not happen (moves park the schedule); park it so it is not picked again. */
        zn_stmt_bind_int64(park, 1, d->task_id);
        zn_stmt_bind_text(park, 2, d->rung);
        rc = zn_stmt_step(park, NULL, err);
        zn_stmt_reset(park);
        fresh = 0;
    }
    if (rc == ZN_OK && fresh && due <= now) {
        char unit[64];
        if (!strcmp(notify, "issuer"))
            snprintf(unit, sizeof unit, "%s", issuer);
        else if (!strcmp(notify, "level_above")) {
            if (!strcmp(kind, "division"))
                rc = zn__parent_code(st, division, unit, err);
            else
                snprintf(unit, sizeof unit, "%s", division);
        } else
            snprintf(unit, sizeof unit, "%s", assignee);
        if (rc == ZN_OK) {
            zn_stmt_bind_int64(mark, 1, now);
            zn_stmt_bind_int64(mark, 2, d->task_id);
            zn_stmt_bind_text(mark, 3, d->rung);
            rc = zn_stmt_step(mark, NULL, err);
            zn_stmt_reset(mark);
        }
        if (rc == ZN_OK && zn_store_changes(st) == 1) {
            zn_stmt_bind_int64(rec, 1, d->task_id);
            zn_stmt_bind_text(rec, 2, d->rung);
            zn_stmt_bind_int64(rec, 3, due);
            zn_stmt_bind_int64(rec, 4, now);
            zn_stmt_bind_text(rec, 5, zn_task_state_name(state));
            zn_stmt_bind_text(rec, 6, unit);
            rc = zn_stmt_step(rec, NULL, err);
            zn_stmt_reset(rec);
            if (rc == ZN_OK) {
                *fired = 1;
                if (fn) {
                    zn_loop_fired f = {.task_id = d->task_id, .rung = d->rung, .due_at = due, .fired_at = now,
                                       .notify_unit = unit};
                    fn(user, &f);
                }
            }
        }
    }
    if (rc != ZN_OK) {
        zn_store_rollback(st);
        *fired = 0;
        return rc;
    }
    rc = zn_store_commit(st, err);
    if (rc != ZN_OK)
        *fired = 0;
    return rc;
}

zn_status zn_loop_tick_ex(zn_store *st, int64_t now, int64_t max, zn_loop_fire_fn fn, void *user, int64_t *fired,
                          zn_error *err)
{
    if (fired)
        *fired = 0;
    if (!st)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_loop_tick: NULL store");
    zn_stmt *pick = NULL, *get = NULL, *mark = NULL, *rec = NULL, *park = NULL;
    zn_status rc = zn_stmt_prepare(st,
                                   "SELECT task_id, rung FROM loop_rung WHERE fired_at IS NULL AND due_at IS NOT NULL"
                                   " AND due_at <= ? ORDER BY due_at, task_id, ord LIMIT ?",
                                   &pick, err);
    if (rc == ZN_OK)
        rc = zn_stmt_prepare(st,
                             "SELECT r.fired_at, r.due_at, r.notify, t.state, t.assignee_kind, t.assignee, t.division_code,"
                             " i.issuer FROM loop_rung r JOIN loop_task t ON t.id = r.task_id"
                             " JOIN loop_instruction i ON i.id = t.instruction_id WHERE r.task_id = ? AND r.rung = ?",
                             &get, err);
    if (rc == ZN_OK)
        rc = zn_stmt_prepare(st, "UPDATE loop_rung SET fired_at = ? WHERE task_id = ? AND rung = ? AND fired_at IS NULL",
                             &mark, err);
    if (rc == ZN_OK)
        rc = zn_stmt_prepare(st,
                             "INSERT INTO loop_escalation(task_id, rung, due_at, fired_at, state, notify_unit)"
                             " VALUES (?,?,?,?,?,?)",
                             &rec, err);
    if (rc == ZN_OK)
        rc = zn_stmt_prepare(st, "UPDATE loop_rung SET due_at = NULL WHERE task_id = ? AND rung = ?", &park, err);
    due_rung *batch = NULL;
    if (rc == ZN_OK && !(batch = malloc(BATCH * sizeof *batch)))
        rc = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    int64_t total = 0;
    while (rc == ZN_OK && (max <= 0 || total < max)) {
        size_t n = 0;
        zn_stmt_bind_int64(pick, 1, now);
        zn_stmt_bind_int64(pick, 2, BATCH);
        int row = 0;
        while ((rc = zn_stmt_step(pick, &row, err)) == ZN_OK && row && n < BATCH) {
            batch[n].task_id = zn_stmt_column_int64(pick, 0);
            snprintf(batch[n].rung, sizeof batch[n].rung, "%s", zn_stmt_column_text(pick, 1));
            n++;
        }
        zn_stmt_reset(pick);
        if (rc != ZN_OK || n == 0)
            break;
        int progress = 0;
        for (size_t i = 0; rc == ZN_OK && i < n && (max <= 0 || total < max); i++) {
            int one = 0;
            rc = fire_one(st, get, mark, rec, park, &batch[i], now, fn, user, &one, err);
            total += one;
            progress = 1; /* every picked rung is either fired or parked */
        }
        if (!progress)
            break;
    }
    free(batch);
    zn_stmt_finalize(pick);
    zn_stmt_finalize(get);
    zn_stmt_finalize(mark);
    zn_stmt_finalize(rec);
    zn_stmt_finalize(park);
    if (fired)
        *fired = total;
    return rc;
}

zn_status zn_loop_tick(zn_store *st, int64_t now, int64_t *fired, zn_error *err)
{
    return zn_loop_tick_ex(st, now, 0, NULL, NULL, fired, err);
}
