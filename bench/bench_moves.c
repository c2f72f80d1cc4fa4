/*
 * bench_moves: what group commit saves per task move (zn_loop_move_batch), on the embedded store.
 *   bench_moves [--tasks N] [--moves M] [--data DIR] [--db PATH] [--reported]
 * Issues N tasks (default 300,000) to one community, then for each batch size k in 1, 2, 4, 8, 16,
 * 32 moves M further tasks (default 20,000) to `received` (with --reported: all tasks are first
 * received, 10,000 per transaction, and the measured move is received -> reported, the field
 * page's 反馈 as in bench/run-load.sh), k moves per transaction, in id order
 * (as bench/run-load.sh's report requests) and again in random order. Automatic checkpoints are
 * off while moving (PRAGMA wal_autocheckpoint=0), so the WAL's growth is exactly what the moves
 * wrote; then a TRUNCATE checkpoint copies it into the database and syncs, timed on its own.
 * Prints per batch size: moves/s (wall), CPU µs per move (user + system: what an idle core needs;
 * the machine may be shared), WAL bytes per move, and checkpoint ms per 1,000 moves.
 * Results are recorded in docs/benchmarks.md (Server load). Never run by the tests.
 */
#include "common.h"
#include "zhinao/loop.h"
#include "zhinao/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static long long wal_bytes(const char *db)
{
    char p[1100];
    snprintf(p, sizeof p, "%s-wal", db);
    struct stat sb;
    return stat(p, &sb) == 0 ? (long long)sb.st_size : 0;
}

int main(int argc, char **argv)
{
    long ntasks = 300000, nmoves = 20000;
    const char *data = getenv("ZHINAO_DATA") ? getenv("ZHINAO_DATA") : "data";
    char db[1024] = "";
    int reported = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--tasks") && i + 1 < argc)
            ntasks = atol(argv[++i]);
        else if (!strcmp(argv[i], "--moves") && i + 1 < argc)
            nmoves = atol(argv[++i]);
        else if (!strcmp(argv[i], "--data") && i + 1 < argc)
            data = argv[++i];
        else if (!strcmp(argv[i], "--reported"))
            reported = 1;
        else if (!strcmp(argv[i], "--db") && i + 1 < argc)
            snprintf(db, sizeof db, "%s", argv[++i]);
        else {
            fprintf(stderr, "usage: bench_moves [--tasks N] [--moves M] [--data DIR] [--db PATH] [--reported]\n");
            return 2;
        }
    }
    static const int K[] = {1, 2, 4, 8, 16, 32};
    enum { NK = sizeof K / sizeof K[0] };
    if (ntasks < 2 * NK * nmoves) {
        fprintf(stderr, "bench_moves: --tasks must be at least %d x --moves\n", 2 * NK);
        return 2;
    }
    char dir[] = "/tmp/zn-bench-moves.XXXXXX";
    if (!*db) {
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            return 1;
        }
        snprintf(db, sizeof db, "%s/moves.db", dir);
    }
    zn_ctx *ctx;
    zn_store *st;
    zn_loop *lp;
    zn_error err;
    zn_bench_check(zn_ctx_new(&ctx), NULL, "ctx");
    zn_bench_check(zn_store_open(ctx, db, &st, &err), &err, "open");
    zn_bench_check(zn_loop_open(st, data, &lp, &err), &err, "loop");
    zn_loop_instruction in = {.issuer = "bench", .issuer_unit = "3301", .reason = "bench_moves"};
    int64_t instr, first = 0, id = 0;
    zn_bench_check(zn_loop_instruct(lp, &in, &instr, &err), &err, "instruct");
    zn_loop_act issuer = {.actor = "dispatcher"};
    double t = zn_bench_now_s();
    for (long i = 0; i < ntasks; i++) {
        if (i % 10000 == 0)
            zn_bench_check(zn_store_begin(st, &err), &err, "begin");
        char ref[24];
        snprintf(ref, sizeof ref, "U-%ld", i);
        zn_loop_task_spec sp = {.instruction_id = instr, .template_id = "epi.seal_unit", .subject_ref = ref,
                                .assignee_kind = "division", .assignee = "330106001001"};
        zn_bench_check(zn_loop_issue(lp, &sp, &issuer, &id, NULL, &err), &err, "issue");
        if (!first)
            first = id;
        if (i % 10000 == 9999 || i == ntasks - 1)
            zn_bench_check(zn_store_commit(st, &err), &err, "commit");
    }
    for (int64_t k = first; reported && k <= id; k++) {
        if ((k - first) % 10000 == 0)
            zn_bench_check(zn_store_begin(st, &err), &err, "begin");
        zn_loop_act w = {.actor = "grid-worker"};
        zn_bench_check(zn_loop_move(lp, k, ZN_TASK_RECEIVED, &w, &err), &err, "receive");
        if ((k - first) % 10000 == 9999 || k == id)
            zn_bench_check(zn_store_commit(st, &err), &err, "commit");
    }
    zn_bench_check(zn_store_exec(st, "PRAGMA wal_checkpoint(TRUNCATE)", &err), &err, "checkpoint");
    zn_bench_check(zn_store_exec(st, "PRAGMA wal_autocheckpoint=0", &err), &err, "autocheckpoint");
    printf("bench_moves: %ld tasks issued%s in %.1f s; %ld moves to %s per batch size and order; store %s\n", ntasks,
           reported ? " and received" : "", zn_bench_now_s() - t, nmoves, reported ? "reported" : "received", db);
    printf("| order | moves per transaction | moves/s (wall) | CPU µs per move | WAL bytes per move | checkpoint ms per 1,000 moves |\n");
    printf("|---|---:|---:|---:|---:|---:|\n");
    zn_loop_move_req *reqs = calloc(32, sizeof *reqs);
    int64_t *order = malloc((size_t)nmoves * sizeof *order);
    if (!reqs || !order)
        return 1;
    uint64_t rng = 88172645463325252ULL;
    int64_t next = first;
    for (int random = 0; random < 2; random++)
        for (int ki = 0; ki < NK; ki++) {
            int k = K[ki];
            for (long i = 0; i < nmoves; i++)
                order[i] = next + i;
            next += nmoves;
            for (long i = nmoves - 1; random && i > 0; i--) { /* Fisher-Yates, xorshift64 */
                long j = (long)(zn_bench_xorshift(&rng) % (uint64_t)(i + 1));
                int64_t tmp = order[i];
                order[i] = order[j];
                order[j] = tmp;
            }
            long long w0 = wal_bytes(db);
            double t0 = zn_bench_now_s(), c0 = zn_bench_cpu_s();
            for (long i = 0; i < nmoves; i += k) {
                int n = (int)(nmoves - i < k ? nmoves - i : k);
                for (int j = 0; j < n; j++)
                    reqs[j] = (zn_loop_move_req){.task_id = order[i + j],
                                                 .to = reported ? ZN_TASK_REPORTED : ZN_TASK_RECEIVED,
                                                 .act = {.actor = "grid-worker", .note = "到达现场"}};
                zn_bench_check(zn_loop_move_batch(lp, reqs, (size_t)n, &err), &err, "batch");
                for (int j = 0; j < n; j++)
                    zn_bench_check(reqs[j].status, &reqs[j].err, "move");
            }
            double wall = zn_bench_now_s() - t0, cpu = zn_bench_cpu_s() - c0;
            long long w1 = wal_bytes(db);
            double t1 = zn_bench_now_s();
            zn_bench_check(zn_store_exec(st, "PRAGMA wal_checkpoint(TRUNCATE)", &err), &err, "checkpoint");
            double ck = zn_bench_now_s() - t1;
            printf("| %s | %d | %.0f | %.1f | %.0f | %.1f |\n", random ? "random" : "id", k, nmoves / wall,
                   cpu / nmoves * 1e6, (double)(w1 - w0) / nmoves, ck * 1000.0 / nmoves * 1000.0);
            fflush(stdout);
        }
    free(reqs);
    free(order);
    zn_loop_free(lp);
    zn_store_close(st);
    zn_ctx_free(ctx);
    if (dir[sizeof dir - 2] != 'X') { /* our temp folder */
        zn_bench_remove_db(db);
        rmdir(dir);
    }
    return 0;
}
