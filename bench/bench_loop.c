/*
 * bench_loop: the closed-loop engine on the embedded store at provincial scale.
 *   bench_loop [--tasks N] [--db PATH] [--moves M] [--data DIR] [--keep] [--query-only]
 * (--query-only: reuse a store built by an earlier --keep run; time listing and metrics only)
 * (--data: the shipped data folder, default $ZHINAO_DATA or ./data)
 * Builds a synthetic province (11 cities × 10 counties × 10 townships × 10 communities × 3 grids
 * = 33,000 grids), issues N tasks (default 1,000,000) over 30 days, then measures:
 *   - issue rate (10,000 tasks per transaction);
 *   - transitions per second, one transaction per transition (receive → start → report → verify →
 *     close on M tasks), i.e. what field staff produce one click at a time;
 *   - listing one grid worker's open tasks (100 random grids: median, p99, max);
 *   - escalation tick (300,000 due rungs, one transaction each);
 *   - province metrics over all tasks (by city, by county, by template).
 * Prints wall and CPU seconds (the machine may be shared: CPU time is what an idle core needs).
 * Results are recorded in docs/loop.md. Never run by the tests.
 */
#include "common.h"
#include "zhinao/loop.h"
#include "zhinao/store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define T0 1704067200 /* 2024-01-01T00:00:00Z */

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    long ntasks = 1000000, nmoves = 100000;
    const char *db = "/tmp/zn-bench-loop.db";
    const char *data = getenv("ZHINAO_DATA") ? getenv("ZHINAO_DATA") : "data";
    int keep = 0, query_only = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--tasks") && i + 1 < argc)
            ntasks = atol(argv[++i]);
        else if (!strcmp(argv[i], "--moves") && i + 1 < argc)
            nmoves = atol(argv[++i]);
        else if (!strcmp(argv[i], "--db") && i + 1 < argc)
            db = argv[++i];
        else if (!strcmp(argv[i], "--data") && i + 1 < argc)
            data = argv[++i];
        else if (!strcmp(argv[i], "--keep"))
            keep = 1;
        else if (!strcmp(argv[i], "--query-only"))
            query_only = keep = 1;
        else {
            fprintf(stderr, "usage: bench_loop [--tasks N] [--moves M] [--db PATH] [--data DIR] [--keep]\n");
            return 2;
        }
    }
    if (nmoves > ntasks)
        nmoves = ntasks;
    if (!query_only)
        zn_bench_remove_db(db);
    zn_ctx *ctx;
    zn_store *st;
    zn_loop *lp;
    zn_error err;
    zn_bench_check(zn_ctx_new(&ctx), NULL, "ctx");
    zn_ctx_set_now(ctx, T0);
    zn_bench_check(zn_store_open(ctx, db, &st, &err), &err, "open");
    zn_bench_check(zn_loop_open(st, data, &lp, &err), &err, "loop");

    const uint64_t NGRID = ZN_BENCH_NGRID;
    uint64_t rng = 88172645463325252ULL; /* xorshift state: the same tasks and grids on every run */
    char grid[24], comm[13];
    int64_t *ids = NULL;
    printf("bench_loop: %ld tasks, %llu grids, store %s (SQLite WAL, synchronous=NORMAL)\n", ntasks,
           (unsigned long long)NGRID, db);
    printf("%-46s %9s %9s %9s %11s %11s\n", "operation", "count", "wall s", "cpu s", "/s (wall)", "/s (cpu)");
    double w0, c0;
#define START() (w0 = zn_bench_now_s(), c0 = zn_bench_cpu_s())
#define REPORT(name, count)                                                                                    \
    do {                                                                                                       \
        double w = zn_bench_now_s() - w0, c = zn_bench_cpu_s() - c0;                                           \
        printf("%-46s %9.0f %9.3f %9.3f %11.0f %11.0f\n", name, (double)(count), w, c, (count) / w, (count) / c); \
        fflush(stdout);                                                                                        \
    } while (0)
    if (query_only)
        goto queries;
    START();
    zn_bench_put_grids(st);
    REPORT("grids added (one transaction)", (double)NGRID);

    zn_loop_instruction in = {.issuer = "province-command", .issuer_unit = "33", .reason = "benchmark"};
    int64_t instr;
    zn_bench_check(zn_loop_instruct(lp, &in, &instr, &err), &err, "instruct");
    static const char *tpl[] = {"epi.quarantine_transfer", "epi.seal_unit", "epi.test_zone", "epi.verify_signal"};
    zn_loop_act a = {.actor = "dispatcher"};
    ids = malloc((size_t)ntasks * sizeof *ids);
    const int64_t span = 30 * 86400;
    START();
    for (long i = 0; i < ntasks; i++) {
        if (i % 10000 == 0)
            zn_bench_check(zn_store_begin(st, &err), &err, "begin");
        zn_ctx_set_now(ctx, T0 + (int64_t)((double)i / (double)ntasks * (double)span));
        zn_bench_grid_of(zn_bench_xorshift(&rng) % NGRID, grid, comm);
        zn_loop_task_spec sp = {.instruction_id = instr, .template_id = tpl[i % 4], .where = {.grid_id = grid}};
        zn_bench_check(zn_loop_issue(lp, &sp, &a, &ids[i], NULL, &err), &err, "issue");
        if (i % 10000 == 9999 || i == ntasks - 1)
            zn_bench_check(zn_store_commit(st, &err), &err, "commit");
    }
    REPORT("tasks issued (routed to a grid, 10k per txn)", (double)ntasks);

    /* transitions: one transaction each (a field worker's click), the five moves of the loop on
     * nmoves tasks spread over the store; half of them late */
    static const zn_task_state path5[] = {ZN_TASK_RECEIVED, ZN_TASK_IN_PROGRESS, ZN_TASK_REPORTED, ZN_TASK_VERIFIED,
                                          ZN_TASK_CLOSED};
    long step = ntasks / nmoves;
    long moves = 0;
    START();
    for (long j = 0; j < nmoves; j++) {
        int64_t id = ids[j * step];
        int64_t created = T0 + (int64_t)((double)(j * step) / (double)ntasks * (double)span);
        for (int k = 0; k < 5; k++) {
            zn_ctx_set_now(ctx, created + (j % 2 ? 3600 : 30 * 3600) + k * 60);
            zn_bench_check(zn_loop_move(lp, id, path5[k], &a, &err), &err, "move");
            moves++;
        }
    }
    REPORT("transitions, one transaction each", (double)moves);

    /* escalation: the first 300,000 rungs due by day 31, one transaction each */
    int64_t fired = 0;
    START();
    zn_bench_check(zn_loop_tick_ex(st, T0 + 31 * 86400, 300000, NULL, NULL, &fired, &err), &err, "tick");
    REPORT("tick: rungs fired, one transaction each", (double)fired);

queries:;
    /* one grid worker's open tasks */
    double lat[100];
    size_t total_listed = 0;
    for (int i = 0; i < 100; i++) {
        zn_bench_grid_of(zn_bench_xorshift(&rng) % NGRID, grid, comm);
        zn_loop_filter f = {.assignee = grid, .open_only = 1};
        zn_loop_task *v;
        size_t n;
        double t1 = zn_bench_now_s();
        zn_bench_check(zn_loop_list(lp, &f, &v, &n, &err), &err, "list");
        lat[i] = zn_bench_now_s() - t1;
        total_listed += n;
        free(v);
    }
    qsort(lat, 100, sizeof lat[0], cmp_d);
    printf("%-46s %9d  median %.3f ms, p99 %.3f ms, max %.3f ms wall; %.1f open tasks per grid\n",
           "list one grid's open tasks", 100, lat[50] * 1e3, lat[98] * 1e3, lat[99] * 1e3, (double)total_listed / 100);

    /* province metrics over every task */
    struct {
        const char *name;
        int level, by_tpl;
    } mq[] = {{"metrics: province total", 1, 0}, {"metrics: by city (11)", 2, 0}, {"metrics: by county (110)", 3, 0},
              {"metrics: by city x template (44)", 2, 1}};
    zn_loop_metrics_row *keep_rows = NULL;
    for (int k = 0; k < 4; k++) {
        zn_loop_metrics_query q = {.from = T0, .to = T0 + 31 * 86400, .division_prefix = "33", .group_level = mq[k].level,
                                   .by_template = mq[k].by_tpl};
        zn_loop_metrics_row *rows;
        size_t nrow;
        START();
        zn_bench_check(zn_loop_metrics(st, &q, &rows, &nrow, &err), &err, "metrics");
        REPORT(mq[k].name, 1.0);
        if (k == 0)
            keep_rows = rows;
        else
            free(rows);
    }
    if (keep_rows)
        printf("province: issued %lld, closed %lld, on time %.1f%%, median %.2f h, p90 %.2f h, backlog %lld, overdue %lld\n",
               (long long)keep_rows[0].issued, (long long)keep_rows[0].closed, 100 * keep_rows[0].on_time_rate,
               keep_rows[0].median_close_s / 3600, keep_rows[0].p90_close_s / 3600, (long long)keep_rows[0].backlog,
               (long long)keep_rows[0].overdue);
    free(keep_rows);
    free(ids);
    zn_loop_free(lp);
    zn_store_close(st);
    zn_ctx_free(ctx);
    if (!keep)
        zn_bench_remove_db(db);
    return 0;
}
