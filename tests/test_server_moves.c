/*
 * Task moves through the API under concurrency (group commit, src/server/commit.c): many clients
 * move the same tasks at once. Whatever the batches the server forms, every task is moved exactly
 * once (one 200, the other attempts 409 because the task is no longer `issued`), its history has
 * exactly one `received` row, the store agrees with the answers, and the server's move counters add
 * up. A real server on 127.0.0.1 (ephemeral port), started and stopped by the test.
 */
#include "zn_test.h"
#include "zn_http.h"

#include "zhinao/div.h"
#include "zhinao/loop.h"
#include "zhinao/server.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { NTASK = 48, NCLIENT = 12, TRIES = 3 }; /* each task is tried by TRIES different clients */

static struct {
    zn_ctx *ctx;
    zn_server *srv;
    char db[512];
    int64_t task[NTASK];
    char tok[65];
    int status[NCLIENT][NTASK]; /* HTTP status of client c's attempt at task i (0 = not tried) */
} F;

static void build_store(void)
{
    zn_error err;
    snprintf(F.db, sizeof F.db, "%s/moves.db", zn_test_tmpdir());
    zn_store *st = zn_fx_open(F.ctx, F.db);
    zn_fx_divisions(F.ctx, st);
    zn_loop *lp;
    zn_fx_check(zn_loop_open(st, zn_test_src("data"), &lp, &err), &err, "loop");
    zn_loop_instruction in = {.issuer = "sh-command", .issuer_unit = "31", .reason = "sealing 张江镇"};
    int64_t instr;
    zn_fx_check(zn_loop_instruct(lp, &in, &instr, &err), &err, "instruct");
    zn_loop_act act = {.actor = "dispatcher"};
    for (int i = 0; i < NTASK; i++) {
        char ref[16];
        snprintf(ref, sizeof ref, "U-%d", i);
        zn_loop_task_spec sp = {.instruction_id = instr, .template_id = "epi.seal_unit", .subject_ref = ref,
                                .assignee_kind = "division", .assignee = "310115125000",
                                .division_code = "310115125000"};
        zn_fx_check(zn_loop_issue(lp, &sp, &act, &F.task[i], NULL, &err), &err, "issue");
    }
    zn_loop_free(lp);
    zn_fx_users(st, &(zn_fx_user){"grid", ZN_ROLE_GRID_WORKER, "310115125"}, 1);
    zn_store_close(st);
}

static int setup(void **state)
{
    (void)state;
    if (zn_ctx_new(&F.ctx) != ZN_OK)
        return -1;
    build_store();
    zn_server_options tuning = {.threads = 8, .max_body = 4096, .timeout = 5, .login_max_failures = 3,
                                .event_interval = 1};
    zn_fx_serve(F.ctx, F.db, &tuning, &F.srv);
    zn_fx_login_all("grid", F.tok, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    zn_server_stop(F.srv);
    zn_ctx_free(F.ctx);
    return 0;
}

/* Client c tries task i when i % NCLIENT is c or one of the next TRIES - 1 clients; no cmocka
 * assertion here (not thread-safe): statuses are checked by the main thread. */
static void *client(void *arg)
{
    int c = (int)(intptr_t)arg;
    for (int i = 0; i < NTASK; i++) {
        int d = (c - i % NCLIENT + NCLIENT) % NCLIENT;
        if (d >= TRIES)
            continue;
        char path[64];
        snprintf(path, sizeof path, "/api/v1/tasks/%lld/move", (long long)F.task[i]);
        zn_http_resp r;
        zn_http_req(&r, "POST", path, F.tok, NULL, "{\"to\":\"received\",\"note\":\"到达现场\"}");
        F.status[c][i] = r.status;
        zn_http_free(&r);
    }
    return NULL;
}

static void test_concurrent_moves(void **state)
{
    (void)state;
    zn_server_write_stats w0 = {.moves = -1};
    zn_server_write_stats_get(F.srv, &w0);
    assert_int_equal(w0.moves, 0);
    assert_int_equal(w0.transactions, 0);
    pthread_t th[NCLIENT];
    for (int c = 0; c < NCLIENT; c++)
        assert_int_equal(pthread_create(&th[c], NULL, client, (void *)(intptr_t)c), 0);
    for (int c = 0; c < NCLIENT; c++)
        pthread_join(th[c], NULL);
    for (int i = 0; i < NTASK; i++) {
        int ok = 0, conflict = 0, other = 0;
        for (int c = 0; c < NCLIENT; c++) {
            int s = F.status[c][i];
            ok += s == 200;
            conflict += s == 409;
            other += s != 0 && s != 200 && s != 409;
        }
        if (ok != 1 || conflict != TRIES - 1 || other)
            fail_msg("task %d: %d x 200, %d x 409, %d other answers", i, ok, conflict, other);
    }
    zn_server_write_stats w;
    zn_server_write_stats_get(F.srv, &w);
    assert_int_equal(w.moves, NTASK * TRIES); /* refused moves went through the queue too */
    assert_true(w.transactions >= 1 && w.transactions <= w.moves);
    printf("# %lld moves in %lld transactions\n", (long long)w.moves, (long long)w.transactions);

    /* the store: every task received, with exactly two history rows (issued, received) */
    zn_error err;
    zn_store *st = zn_fx_open(F.ctx, F.db);
    int64_t n = -1;
    assert_int_equal(zn_store_query_int64(st, "SELECT COUNT(*) FROM loop_task WHERE state = 'received' AND seq = 2",
                                          &n, &err),
                     ZN_OK);
    assert_int_equal(n, NTASK);
    assert_int_equal(zn_store_query_int64(st, "SELECT COUNT(*) FROM loop_transition WHERE to_state = 'received'"
                                              " AND note = '到达现场' AND actor = 'grid'",
                                          &n, &err),
                     ZN_OK);
    assert_int_equal(n, NTASK);
    zn_store_close(st);

    /* a move after the storm: the next state, one more transaction */
    char path[64];
    snprintf(path, sizeof path, "/api/v1/tasks/%lld/move", (long long)F.task[0]);
    zn_http_resp r;
    zn_http_req(&r, "POST", path, F.tok, NULL, "{\"to\":\"in_progress\"}");
    assert_int_equal(r.status, 200);
    assert_string_equal(zn_jstr(json_object_get(r.json, "task"), "state"), "in_progress");
    zn_http_free(&r);
    zn_server_write_stats_get(F.srv, &w);
    assert_int_equal(w.moves, NTASK * TRIES + 1);

    /* the server's checkpoint thread copies the WAL into the database once a second when fewer
     * than 256 moves came (the connections themselves no longer do): wait for it, at most 10 s */
    for (int i = 0; i < 100 && w.checkpoints == 0; i++) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        zn_server_write_stats_get(F.srv, &w);
    }
    assert_true(w.checkpoints >= 1);
    assert_int_equal(w.checkpoints_locked, 0); /* a small WAL never needs the write lock */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_moves),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
