/*
 * A simulated day of field work on the open tasks: a seeded share is worked through the loop
 * (receive → in progress → report → verify → close) at plausible times of the day, the timer runs
 * before every move and at midnight, so the rest escalate. Only public loop calls write: every
 * move goes through zn_loop_move and its transition table.
 */
#include "zhinao/loop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STEPS 5
#define GAP 60 /* s between two moves of one task */

typedef struct sim_move {
    int64_t at, task_id;
    int step;
    zn_task_state to;
    char actor[64];
    const char *note;
} sim_move;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double unif(uint64_t *x) { return (double)(splitmix64(x) >> 11) * (1.0 / 9007199254740992.0); }

static int cmp_move(const void *a, const void *b)
{
    const sim_move *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    if (x->task_id != y->task_id)
        return x->task_id < y->task_id ? -1 : 1;
    return x->step - y->step;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The moves that take a task in state s to closed; 0 when it is not worked (transferred, terminal). */
static int path_from(zn_task_state s, zn_task_state out[MAX_STEPS])
{
    static const zn_task_state full[] = {ZN_TASK_RECEIVED, ZN_TASK_IN_PROGRESS, ZN_TASK_REPORTED, ZN_TASK_VERIFIED,
                                         ZN_TASK_CLOSED};
    int from;
    switch (s) {
    case ZN_TASK_ISSUED:
    case ZN_TASK_REASSIGNED: from = 0; break;
    case ZN_TASK_RECEIVED:
    case ZN_TASK_RETURNED: from = 1; break;
    case ZN_TASK_IN_PROGRESS: from = 2; break;
    case ZN_TASK_REPORTED: from = 3; break;
    case ZN_TASK_VERIFIED: from = 4; break;
    default: return 0;
    }
    int n = 0;
    for (int i = from; i < MAX_STEPS; i++)
        out[n++] = full[i];
    return n;
}

/* Candidate task ids and their last history time. */
static zn_status open_tasks(zn_store *st, int64_t day_end, int64_t **ids, int64_t **last, size_t *n, zn_error *err)
{
    *ids = *last = NULL;
    *n = 0;
    zn_stmt *q = NULL;
    zn_status rc = zn_stmt_prepare(st,
                                   "SELECT t.id, (SELECT MAX(h.at) FROM loop_transition h WHERE h.task_id = t.id) "
                                   "FROM loop_task t WHERE t.ended_at IS NULL AND t.created_at < ? AND t.suspended = 0 "
                                   "ORDER BY t.id",
                                   &q, err);
    if (rc != ZN_OK)
        return rc;
    zn_stmt_bind_int64(q, 1, day_end);
    size_t cap = 0;
    int row = 0;
    while ((rc = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            int64_t *a = realloc(*ids, cap * sizeof *a);
            if (a)
                *ids = a;
            int64_t *b = a ? realloc(*last, cap * sizeof *b) : NULL;
            if (b)
                *last = b;
            if (!a || !b) {
                rc = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                break;
            }
        }
        (*ids)[*n] = zn_stmt_column_int64(q, 0);
        (*last)[*n] = zn_stmt_column_int64(q, 1);
        (*n)++;
    }
    zn_stmt_finalize(q);
    if (rc != ZN_OK) {
        free(*ids);
        free(*last);
        *ids = *last = NULL;
        *n = 0;
    }
    return rc;
}

/* The grid worker of a task's grid, "" when none. */
static zn_status grid_worker(zn_store *st, const char *grid_id, char out[64], zn_error *err)
{
    out[0] = '\0';
    if (!grid_id[0])
        return ZN_OK;
    zn_stmt *q = NULL;
    zn_status rc = zn_stmt_prepare(st, "SELECT worker FROM loop_grid WHERE grid_id = ?", &q, err);
    if (rc != ZN_OK)
        return rc;
    zn_stmt_bind_text(q, 1, grid_id);
    int row = 0;
    rc = zn_stmt_step(q, &row, err);
    if (rc == ZN_OK && row && !zn_stmt_column_is_null(q, 0))
        snprintf(out, 64, "%s", zn_stmt_column_text(q, 0));
    zn_stmt_finalize(q);
    return rc;
}

static const char *const report_notes[] = {
    "checked on site: done as instructed, see steps",
    "excluded: duplicate or delayed reports, no new event",
    "confirmed: cluster found, field investigation started",
    "done: residents contacted and registered",
};

zn_status zn_loop_simulate_day(zn_loop *lp, const zn_loop_sim_params *p, zn_loop_sim_result *out, zn_error *err)
{
    zn_error_clear(err);
    if (!lp || !p || !out || !(p->close_share >= 0 && p->close_share <= 1))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "close_share", "close share must be within [0, 1]");
    memset(out, 0, sizeof *out);
    zn_store *st = zn_loop_store(lp);
    zn_ctx *ctx = zn_store_ctx(st);
    int64_t day_start = p->day * 86400 - zn_ctx_tz_offset(ctx), day_end = day_start + 86400;
    out->day_start = day_start;
    out->day_end = day_end;

    int64_t *ids = NULL, *last = NULL;
    size_t n = 0;
    zn_status rc = open_tasks(st, day_end, &ids, &last, &n, err);
    if (rc != ZN_OK)
        return rc;
    sim_move *mv = NULL;
    size_t nmv = 0, cap = 0;
    for (size_t i = 0; i < n && rc == ZN_OK; i++) {
        zn_loop_task t;
        if ((rc = zn_loop_task_get(lp, ids[i], &t, err)) != ZN_OK)
            break;
        zn_task_state path[MAX_STEPS];
        int k = path_from(t.state, path);
        if (!k)
            continue; /* transferred: its linked task is worked */
        out->considered++;
        uint64_t h = p->seed ^ ((uint64_t)t.id * 0xD1B54A32D192ED03ull);
        if (!(unif(&h) < p->close_share))
            continue;
        int64_t begin = day_start + 8 * 3600, end = day_start + 22 * 3600;
        if (t.created_at + GAP > begin)
            begin = t.created_at + GAP;
        if (last[i] + GAP > begin)
            begin = last[i] + GAP;
        if (begin + (int64_t)k * GAP > end)
            end = day_end - 1;
        if (begin + (int64_t)k * GAP > end)
            continue; /* issued too late to be done today */
        int64_t at[MAX_STEPS];
        int64_t span = end - begin - (int64_t)k * GAP;
        for (int s = 0; s < k; s++)
            at[s] = begin + (int64_t)(unif(&h) * (double)span);
        qsort(at, (size_t)k, sizeof at[0], cmp_i64);
        for (int s = 0; s < k; s++)
            at[s] += (int64_t)s * GAP; /* strictly increasing, still before end */
        char worker[64];
        if ((rc = grid_worker(st, t.grid_id, worker, err)) != ZN_OK)
            break;
        if (!worker[0])
            snprintf(worker, sizeof worker, "worker@%.55s", t.assignee);
        const char *note = report_notes[splitmix64(&h) % (sizeof report_notes / sizeof report_notes[0])];
        if (nmv + (size_t)k > cap) {
            size_t nc = cap ? 2 * cap : 256;
            while (nc < nmv + (size_t)k)
                nc *= 2;
            sim_move *m2 = realloc(mv, nc * sizeof *m2);
            if (!m2) {
                rc = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                break;
            }
            mv = m2;
            cap = nc;
        }
        for (int s = 0; s < k; s++) {
            sim_move *m = &mv[nmv++];
            m->at = at[s];
            m->task_id = t.id;
            m->step = s;
            m->to = path[s];
            int command = path[s] == ZN_TASK_VERIFIED || path[s] == ZN_TASK_CLOSED;
            if (command)
                snprintf(m->actor, sizeof m->actor, "command@%s", t.division_code);
            else
                snprintf(m->actor, sizeof m->actor, "%s", worker);
            m->note = path[s] == ZN_TASK_REPORTED ? note : NULL;
        }
    }
    free(ids);
    free(last);
    if (rc == ZN_OK && nmv)
        qsort(mv, nmv, sizeof *mv, cmp_move);
    for (size_t i = 0; i < nmv && rc == ZN_OK; i++) {
        int64_t fired = 0;
        if ((rc = zn_loop_tick(st, mv[i].at, &fired, err)) != ZN_OK)
            break;
        out->fired += fired;
        zn_ctx_set_now(ctx, mv[i].at);
        zn_loop_act act = {.actor = mv[i].actor, .note = mv[i].note};
        if ((rc = zn_loop_move(lp, mv[i].task_id, mv[i].to, &act, err)) != ZN_OK)
            break;
        out->moves++;
        out->closed += mv[i].to == ZN_TASK_CLOSED;
    }
    free(mv);
    if (rc == ZN_OK) {
        int64_t fired = 0;
        rc = zn_loop_tick(st, day_end, &fired, err);
        out->fired += fired;
    }
    zn_ctx_set_now(ctx, day_end);
    out->left_open = out->considered - out->closed;
    return rc;
}
