/*
 * bench_serve_setup: the store for the HTTP load benchmark (bench/run-load.sh). Never run by tests.
 *   bench_serve_setup --db PATH [--data DIR] [--tasks N] [--report R] [--password PW]
 * Builds the synthetic province of bench_loop (11 cities x 10 counties x 10 townships x 10
 * communities x 3 grids = 33,000 grids, codes 33...), then issues, in transactions of 10,000:
 *   - R "report" tasks (default 800,000) to the 30 grids of township 330101001, each moved to
 *     `received`: the load script reports each one once (received -> reported), so every request
 *     of the report run is a real state change and none can be a 409;
 *   - N background tasks (default 200,000) to random grids over the province: a third left issued,
 *     a third received, a third taken through received -> reported -> verified -> closed.
 * All tasks are issued in the 10 minutes before now (the wall clock), so the server's escalation
 * timer has nothing due while the benchmark runs (the shortest budget is 2 h, warning at 75%).
 * Users (password PW, default "bench-password-0123"):
 *   gw_list    grid_worker, scope community 330505005005 (the field page's task list; with the
 *              default N about 18 tasks in the community's 3 grids, 12 open; the count is printed)
 *   gw_report  grid_worker, scope township 330101001 (owns the R report tasks)
 *   cmd        county command, scope 330101
 * Prints, on stdout, one line: "first_report_id last_report_id open_tasks_of_gw_list".
 */
#include "common.h"
#include "zhinao/loop.h"
#include "zhinao/server.h"
#include "zhinao/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
    long nbg = 200000, nrep = 800000;
    const char *db = NULL, *pw = "bench-password-0123";
    const char *data = getenv("ZHINAO_DATA") ? getenv("ZHINAO_DATA") : "data";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--tasks") && i + 1 < argc)
            nbg = atol(argv[++i]);
        else if (!strcmp(argv[i], "--report") && i + 1 < argc)
            nrep = atol(argv[++i]);
        else if (!strcmp(argv[i], "--db") && i + 1 < argc)
            db = argv[++i];
        else if (!strcmp(argv[i], "--data") && i + 1 < argc)
            data = argv[++i];
        else if (!strcmp(argv[i], "--password") && i + 1 < argc)
            pw = argv[++i];
        else {
            db = NULL;
            break;
        }
    }
    if (!db || nbg < 0 || nrep < 1) {
        fprintf(stderr, "usage: bench_serve_setup --db PATH [--data DIR] [--tasks N] [--report R] [--password PW]\n");
        return 2;
    }
    zn_bench_remove_db(db);
    zn_ctx *ctx;
    zn_store *st;
    zn_loop *lp;
    zn_error err;
    zn_bench_check(zn_ctx_new(&ctx), NULL, "ctx");
    zn_ctx_set_log_level(ctx, ZN_LOG_WARN);
    const int64_t t_end = (int64_t)time(NULL), t_start = t_end - 600;
    zn_ctx_set_now(ctx, t_start);
    zn_bench_check(zn_store_open(ctx, db, &st, &err), &err, "open");
    zn_bench_check(zn_loop_open(st, data, &lp, &err), &err, "loop");

    zn_bench_put_grids(st);

    uint64_t rng = 88172645463325252ULL; /* xorshift state: the same tasks on every run */
    zn_loop_instruction in = {.issuer = "bench-command", .issuer_unit = "33", .reason = "load benchmark"};
    int64_t instr;
    zn_bench_check(zn_loop_instruct(lp, &in, &instr, &err), &err, "instruct");
    static const char *tpl[] = {"epi.quarantine_transfer", "epi.seal_unit", "epi.test_zone", "epi.verify_signal"};
    zn_loop_act issuer = {.actor = "bench-command"}, worker = {.actor = "bench-worker"};
    const long total = nrep + nbg;
    int64_t first = 0, last = 0, id = 0;
    for (long i = 0; i < total; i++) {
        if (i % 10000 == 0)
            zn_bench_check(zn_store_begin(st, &err), &err, "begin");
        zn_ctx_set_now(ctx, t_start + (int64_t)((double)i / (double)total * 590.0));
        /* report tasks: the 30 grids of township 330101001 are grids 0..29 */
        char grid[24], comm[13];
        zn_bench_grid_of(i < nrep ? (uint64_t)i % 30 : zn_bench_xorshift(&rng) % ZN_BENCH_NGRID, grid, comm);
        zn_loop_task_spec sp = {.instruction_id = instr, .template_id = tpl[i % 4], .where = {.grid_id = grid}};
        zn_bench_check(zn_loop_issue(lp, &sp, &issuer, &id, NULL, &err), &err, "issue");
        if (i == 0)
            first = id;
        if (i == nrep - 1)
            last = id;
        if (i < nrep || i % 3 != 0)
            zn_bench_check(zn_loop_move(lp, id, ZN_TASK_RECEIVED, &worker, &err), &err, "receive");
        if (i >= nrep && i % 3 == 2) {
            static const zn_task_state rest[] = {ZN_TASK_REPORTED, ZN_TASK_VERIFIED, ZN_TASK_CLOSED};
            for (int k = 0; k < 3; k++)
                zn_bench_check(zn_loop_move(lp, id, rest[k], k ? &issuer : &worker, &err), &err, "move");
        }
        if (i % 10000 == 9999 || i == total - 1)
            zn_bench_check(zn_store_commit(st, &err), &err, "commit");
    }
    if (last - first != nrep - 1) {
        fprintf(stderr, "bench_serve_setup: report task ids are not contiguous (%lld..%lld)\n", (long long)first,
                (long long)last);
        return 1;
    }
    /* the users' scopes must be divisions of the store: a synthetic edition with their codes */
    zn_bench_check(zn_store_exec(st,
                                 "INSERT INTO division(edition, code, level, name, parent_code) VALUES"
                                 " (2023, '330000000000', 1, 'bench province', NULL),"
                                 " (2023, '330100000000', 2, 'bench city 1', '330000000000'),"
                                 " (2023, '330101000000', 3, 'bench county 1-1', '330100000000'),"
                                 " (2023, '330101001000', 4, 'bench township 1-1-1', '330101000000'),"
                                 " (2023, '330500000000', 2, 'bench city 5', '330000000000'),"
                                 " (2023, '330505000000', 3, 'bench county 5-5', '330500000000'),"
                                 " (2023, '330505005000', 4, 'bench township 5-5-5', '330505000000'),"
                                 " (2023, '330505005005', 5, 'bench community 5-5-5-5', '330505005000')",
                                 &err),
                   &err, "divisions");
    static const struct {
        const char *name;
        zn_role role;
        const char *scope;
    } users[] = {{"gw_list", ZN_ROLE_GRID_WORKER, "330505005005"},
                 {"gw_report", ZN_ROLE_GRID_WORKER, "330101001"},
                 {"cmd", ZN_ROLE_COUNTY, "330101"}};
    for (size_t i = 0; i < sizeof users / sizeof users[0]; i++) {
        int64_t uid;
        zn_bench_check(
            zn_user_add(st, users[i].name, users[i].name, pw, users[i].role, users[i].scope, "bench", &uid, &err), &err,
            "user");
    }
    zn_loop_filter f = {.division_prefix = "330505005005", .open_only = 1, .limit = 100000};
    zn_loop_task *v;
    size_t n;
    zn_bench_check(zn_loop_list(lp, &f, &v, &n, &err), &err, "list");
    free(v);
    printf("%lld %lld %zu\n", (long long)first, (long long)last, n);
    zn_loop_free(lp);
    zn_store_close(st);
    zn_ctx_free(ctx);
    return 0;
}
