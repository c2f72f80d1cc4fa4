/* loop: the escalation timer. Rungs fire at their derived times, exactly once each, across a
 * store reopen and across a kill -9 of the process in the middle of a tick. */
#include "zn_test.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zhinao/loop.h"
#include "zhinao/store.h"

#define T0 1678070000 /* 2023-03-06 10:33:20 +08:00 */
#define H 3600

typedef struct fx {
    zn_ctx *ctx;
    zn_store *st;
    zn_loop *lp;
    int64_t instr;
    char path[512];
} fx;

static void die(zn_status rc, const zn_error *err)
{
    if (rc != ZN_OK) {
        char b[700];
        fprintf(stderr, "%s\n", zn_error_format(err, b, sizeof b));
    }
    assert_int_equal(rc, ZN_OK);
}

static void fx_open(fx *f)
{
    zn_error err;
    die(zn_ctx_new(&f->ctx), NULL);
    zn_ctx_set_now(f->ctx, T0);
    die(zn_store_open(f->ctx, f->path, &f->st, &err), &err);
    die(zn_loop_open(f->st, zn_test_src("data"), &f->lp, &err), &err);
}

static void fx_close(fx *f)
{
    zn_loop_free(f->lp);
    zn_store_close(f->st);
    zn_ctx_free(f->ctx);
    f->lp = NULL;
    f->st = NULL;
    f->ctx = NULL;
}

static int setup(void **state)
{
    static int k;
    fx *f = calloc(1, sizeof *f);
    snprintf(f->path, sizeof f->path, "%s/tick-%d.db", zn_test_tmpdir(), k++);
    fx_open(f);
    zn_error err;
    zn_loop_instruction in = {.issuer = "hz-command", .issuer_unit = "3301", .reason = "drill"};
    die(zn_loop_instruct(f->lp, &in, &f->instr, &err), &err);
    die(zn_loop_grid_put(f->st, "G-01", "330106001001", "grid 1", "worker-1", &err), &err);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    fx_close(f);
    free(f);
    return 0;
}

static int64_t issue(fx *f, const char *tpl, const char *kind, const char *who)
{
    zn_loop_task_spec sp = {.instruction_id = f->instr, .template_id = tpl, .assignee_kind = kind, .assignee = who};
    zn_loop_act a = {.actor = "dispatcher"};
    int64_t id;
    zn_error err;
    die(zn_loop_issue(f->lp, &sp, &a, &id, NULL, &err), &err);
    return id;
}

static int64_t count(fx *f, const char *sql)
{
    int64_t n = -1;
    zn_error err;
    die(zn_store_query_int64(f->st, sql, &n, &err), &err);
    return n;
}

static int64_t tick(fx *f, int64_t now)
{
    int64_t n = -1;
    zn_error err;
    die(zn_loop_tick(f->st, now, &n, &err), &err);
    return n;
}

static void test_ladder_times(void **state)
{
    fx *f = *state;
    /* quarantine transfer: 8 h; warning at 3/4 (6 h), overdue at 8 h, supervision 4 h later */
    int64_t id = issue(f, "epi.quarantine_transfer", "grid", "G-01");
    assert_int_equal(tick(f, T0 + 6 * H - 1), 0);
    assert_int_equal(tick(f, T0 + 6 * H), 1);
    assert_int_equal(tick(f, T0 + 6 * H), 0);
    assert_int_equal(tick(f, T0 + 8 * H), 1);
    assert_int_equal(tick(f, T0 + 12 * H - 1), 0);
    assert_int_equal(tick(f, T0 + 13 * H), 1);
    assert_int_equal(tick(f, T0 + 100 * H), 0);
    zn_stmt *s;
    zn_error err;
    die(zn_stmt_prepare(f->st, "SELECT rung, due_at, fired_at, notify_unit, state FROM loop_escalation WHERE task_id = ?"
                               " ORDER BY due_at",
                        &s, &err),
        &err);
    zn_stmt_bind_int64(s, 1, id);
    static const char *rung[] = {"warning", "overdue", "supervision"};
    static const int64_t dueat[] = {T0 + 6 * H, T0 + 8 * H, T0 + 12 * H};
    static const int64_t firedat[] = {T0 + 6 * H, T0 + 8 * H, T0 + 13 * H};
    /* warning and overdue go to the grid, supervision to the level above it: its community */
    static const char *unit[] = {"G-01", "G-01", "330106001001"};
    int row;
    for (int i = 0; i < 3; i++) {
        die(zn_stmt_step(s, &row, &err), &err);
        assert_true(row);
        assert_string_equal(zn_stmt_column_text(s, 0), rung[i]);
        assert_int_equal(zn_stmt_column_int64(s, 1), dueat[i]);
        assert_int_equal(zn_stmt_column_int64(s, 2), firedat[i]);
        assert_string_equal(zn_stmt_column_text(s, 3), unit[i]);
        assert_string_equal(zn_stmt_column_text(s, 4), "issued");
    }
    die(zn_stmt_step(s, &row, &err), &err);
    assert_false(row);
    zn_stmt_finalize(s);

    /* a division-level task: supervision goes to the parent division (by truncation when no
     * registry is loaded): township 330106001 -> county 330106 */
    issue(f, "epi.seal_unit", "division", "330106001000");
    assert_int_equal(tick(f, T0 + 2 * H + 1 * H), 3);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM loop_escalation WHERE rung = 'supervision'"
                              " AND notify_unit = '330106000000'"),
                     1);
}

static void test_states_and_clock_gate_rungs(void **state)
{
    fx *f = *state;
    zn_error err;
    zn_loop_act a = {.actor = "w", .note = "waiting for the contact's lab result"};
    /* reported in time: nothing fires, not even later */
    int64_t done = issue(f, "epi.seal_unit", "grid", "G-01");
    zn_ctx_set_now(f->ctx, T0 + 1800);
    die(zn_loop_move(f->lp, done, ZN_TASK_RECEIVED, &a, &err), &err);
    die(zn_loop_move(f->lp, done, ZN_TASK_REPORTED, &a, &err), &err);
    assert_int_equal(tick(f, T0 + 10 * H), 0);
    /* returned after the deadline: the schedule comes back and overdue fires */
    zn_ctx_set_now(f->ctx, T0 + 10 * H);
    die(zn_loop_move(f->lp, done, ZN_TASK_RETURNED, &a, &err), &err);
    assert_int_equal(tick(f, T0 + 10 * H), 3); /* warning, overdue, supervision all due */

    /* a suspended clock fires nothing; resume moves the rungs by the suspension */
    zn_ctx_set_now(f->ctx, T0 + 10 * H);
    int64_t s = issue(f, "epi.quarantine_transfer", "grid", "G-01"); /* deadline T0+18h */
    zn_ctx_set_now(f->ctx, T0 + 11 * H);
    die(zn_loop_suspend(f->lp, s, &a, &err), &err);
    zn_loop_task t;
    die(zn_loop_task_get(f->lp, s, &t, &err), &err);
    assert_true(t.deadline == ZN_CLOCK_STOPPED);
    assert_int_equal(tick(f, T0 + 40 * H), 0);
    zn_ctx_set_now(f->ctx, T0 + 41 * H); /* suspended 30 h */
    die(zn_loop_resume(f->lp, s, &a, &err), &err);
    die(zn_loop_task_get(f->lp, s, &t, &err), &err);
    assert_int_equal(t.deadline, T0 + 48 * H);
    assert_int_equal(tick(f, T0 + 46 * H - 1), 0);
    assert_int_equal(tick(f, T0 + 46 * H), 1); /* warning at 6 h of clock */
    /* an approved extension of 2 h moves overdue to T0+50h */
    zn_loop_act ext = {.actor = "chief", .note = "contact abroad, returning by train"};
    die(zn_loop_extend(f->lp, s, 2 * H, "deputy director", "批复 2023-17", &ext, &err), &err);
    die(zn_loop_task_get(f->lp, s, &t, &err), &err);
    assert_int_equal(t.deadline, T0 + 50 * H);
    assert_int_equal(t.extension, 2 * H);
    assert_int_equal(tick(f, T0 + 49 * H), 0);
    assert_int_equal(tick(f, T0 + 50 * H), 1);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM loop_clock WHERE kind = 'extend' AND approver = 'deputy director'"
                              " AND approval_ref = '批复 2023-17'"),
                     1);
    /* ledger errors */
    assert_int_equal(zn_loop_resume(f->lp, s, &a, &err), ZN_ESTATE);
    zn_loop_act noreason = {.actor = "w"};
    assert_int_equal(zn_loop_suspend(f->lp, s, &noreason, &err), ZN_EINVAL);
    assert_int_equal(zn_loop_extend(f->lp, s, 0, "x", NULL, &ext, &err), ZN_EINVAL);
    assert_int_equal(zn_loop_extend(f->lp, s, 10, NULL, NULL, &ext, &err), ZN_EINVAL);
}

static void test_restart_no_repeat(void **state)
{
    fx *f = *state;
    for (int i = 0; i < 40; i++)
        issue(f, (i % 2) ? "epi.seal_unit" : "epi.test_zone", "grid", "G-01");
    /* seal: 1 h, 2 h, 3 h; test: 18 h, 24 h, 30 h */
    assert_int_equal(tick(f, T0 + 2 * H), 40);
    fx_close(f);
    fx_open(f);
    assert_int_equal(tick(f, T0 + 2 * H), 0);
    assert_int_equal(tick(f, T0 + 24 * H), 20 + 40);
    fx_close(f);
    fx_open(f);
    assert_int_equal(tick(f, T0 + 24 * H), 0);
    assert_int_equal(tick(f, T0 + 30 * H), 20);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM loop_escalation"), 120);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM loop_rung WHERE fired_at IS NULL"), 0);
}

/* ---- kill -9 in the middle of a tick ---- */

typedef struct killer {
    int at;
    int seen;
    int fd; /* -1: kill self at `at`; else write a byte per rung to the pipe */
} killer;

static void on_fire(void *user, const zn_loop_fired *fd)
{
    (void)fd;
    killer *k = user;
    k->seen++;
    if (k->fd >= 0) {
        char c = 'x';
        if (write(k->fd, &c, 1) != 1)
            _exit(3);
    } else if (k->seen == k->at) {
        raise(SIGKILL); /* inside the rung's transaction, before COMMIT */
    }
}

static void child_tick(const char *path, killer *k)
{
    zn_ctx *ctx;
    zn_store *st;
    zn_error err;
    if (zn_ctx_new(&ctx) != ZN_OK || zn_store_open(ctx, path, &st, &err) != ZN_OK)
        _exit(2);
    int64_t fired;
    zn_loop_tick_ex(st, T0 + 100 * H, 0, on_fire, k, &fired, &err);
    _exit(0); /* not reached when killed */
}

static void check_exactly_once(fx *f, int64_t ntasks)
{
    assert_int_equal(count(f, "SELECT COUNT(*) FROM loop_escalation"), 3 * ntasks);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM (SELECT DISTINCT task_id, rung FROM loop_escalation) x"), 3 * ntasks);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM loop_rung WHERE fired_at IS NULL"), 0);
    /* every fired mark has its record and vice versa */
    assert_int_equal(count(f, "SELECT COUNT(*) FROM loop_rung r JOIN loop_escalation e"
                              " ON e.task_id = r.task_id AND e.rung = r.rung AND e.fired_at = r.fired_at"),
                     3 * ntasks);
}

static void test_kill9_self(void **state)
{
    fx *f = *state;
    const int64_t N = 400;
    for (int64_t i = 0; i < N; i++)
        issue(f, "epi.seal_unit", "grid", "G-01");
    fx_close(f);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        killer k = {.at = 777, .fd = -1};
        child_tick(f->path, &k);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
    fx_open(f);
    /* the 777th rung died with its transaction: 776 committed */
    assert_int_equal(count(f, "SELECT COUNT(*) FROM loop_escalation"), 776);
    assert_int_equal(tick(f, T0 + 100 * H), 3 * N - 776);
    check_exactly_once(f, N);
    assert_int_equal(tick(f, T0 + 100 * H), 0);
}

static void test_kill9_from_parent(void **state)
{
    fx *f = *state;
    const int64_t N = 2000;
    for (int64_t i = 0; i < N; i++)
        issue(f, (i % 2) ? "epi.seal_unit" : "epi.quarantine_transfer", "grid", "G-01");
    fx_close(f);
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        killer k = {.fd = p[1]};
        child_tick(f->path, &k);
    }
    close(p[1]);
    /* let it fire a while, then kill it wherever it is */
    char buf[64];
    size_t got = 0;
    while (got < 1500) {
        ssize_t r = read(p[0], buf, sizeof buf);
        assert_true(r > 0);
        got += (size_t)r;
    }
    kill(pid, SIGKILL);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    close(p[0]);
    assert_true(WIFSIGNALED(status));
    fx_open(f);
    int64_t before = count(f, "SELECT COUNT(*) FROM loop_escalation");
    assert_true(before >= 1499 && before < 3 * N);
    assert_int_equal(tick(f, T0 + 100 * H), 3 * N - before);
    check_exactly_once(f, N);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ladder_times, setup, teardown),
        cmocka_unit_test_setup_teardown(test_states_and_clock_gate_rungs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_no_repeat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill9_self, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill9_from_parent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
