/*
 * zn_loop_move_batch (the closed loop's group commit): a batch gives every move the result that
 * zn_loop_move gives it on its own, in order, and a refused move leaves no trace while the others
 * are kept. The reference is the same sequence of moves run one by one with zn_loop_move on a
 * second store built the same way: states, history lengths and the escalation schedule must match.
 */
#include "zn_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhinao/loop.h"
#include "zhinao/store.h"

typedef struct world {
    zn_ctx *ctx;
    zn_store *st;
    zn_loop *lp;
    int64_t task[4];
} world;

static void open_world(world *w)
{
    zn_error err;
    assert_int_equal(zn_ctx_new(&w->ctx), ZN_OK);
    zn_ctx_set_now(w->ctx, 1678070000); /* 2023-03-06 10:33:20 +08:00, a Monday */
    assert_int_equal(zn_store_open(w->ctx, ":memory:", &w->st, &err), ZN_OK);
    assert_int_equal(zn_loop_open(w->st, zn_test_src("data"), &w->lp, &err), ZN_OK);
    zn_loop_instruction in = {.issuer = "hz-command", .issuer_unit = "3301", .reason = "case C-001 confirmed"};
    int64_t instr;
    assert_int_equal(zn_loop_instruct(w->lp, &in, &instr, &err), ZN_OK);
    for (int i = 0; i < 4; i++) {
        char subject[16];
        snprintf(subject, sizeof subject, "K-%d", i + 1);
        zn_loop_task_spec sp = {.instruction_id = instr, .template_id = "epi.quarantine_transfer",
                                .subject_ref = subject, .assignee_kind = "division", .assignee = "330106001001"};
        zn_loop_act a = {.actor = "dispatcher-1"};
        assert_int_equal(zn_loop_issue(w->lp, &sp, &a, &w->task[i], NULL, &err), ZN_OK);
    }
}

static void close_world(world *w)
{
    zn_loop_free(w->lp);
    zn_store_close(w->st);
    zn_ctx_free(w->ctx);
}

/* "state/seq/deadline-or-null/unfired rungs with a due time" of every task, for comparing stores */
static void snapshot(world *w, char *out, size_t cap)
{
    zn_stmt *q;
    zn_error err;
    assert_int_equal(zn_stmt_prepare(w->st,
                                     "SELECT t.state || '/' || t.seq || '/' || IFNULL(t.deadline, 'null') || '/' ||"
                                     " (SELECT COUNT(*) FROM loop_transition h WHERE h.task_id = t.id) || '/' ||"
                                     " (SELECT COUNT(*) FROM loop_rung r WHERE r.task_id = t.id AND r.due_at"
                                     "  IS NOT NULL) FROM loop_task t ORDER BY t.id",
                                     &q, &err),
                     ZN_OK);
    out[0] = 0;
    int row = 0;
    while (zn_stmt_step(q, &row, &err) == ZN_OK && row) {
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s;", zn_stmt_column_text(q, 0));
    }
    zn_stmt_finalize(q);
}

static void test_batch_matches_one_by_one(void **state)
{
    (void)state;
    world b, o;
    open_world(&b);
    open_world(&o);
    /* The moves, in order: t0 received, t1 received, t0 received again (refused: already
     * received), t9999 (no such task), t0 reported (sees the first move of this batch), t2 closed
     * (refused: issued -> closed), t3 cancelled (leaves the active states: its rungs are parked). */
    int64_t ids[] = {b.task[0], b.task[1], b.task[0], 9999, b.task[0], b.task[2], b.task[3]};
    zn_task_state to[] = {ZN_TASK_RECEIVED, ZN_TASK_RECEIVED, ZN_TASK_RECEIVED, ZN_TASK_RECEIVED,
                          ZN_TASK_REPORTED, ZN_TASK_CLOSED,   ZN_TASK_CANCELLED};
    zn_status want[] = {ZN_OK, ZN_OK, ZN_ESTATE, ZN_ENOTFOUND, ZN_OK, ZN_ESTATE, ZN_OK};
    enum { N = sizeof ids / sizeof ids[0] };
    for (int i = 0; i < 4; i++)
        assert_int_equal(b.task[i], o.task[i]);
    zn_loop_move_req reqs[N];
    memset(reqs, 0, sizeof reqs);
    for (size_t i = 0; i < N; i++) {
        reqs[i].task_id = ids[i];
        reqs[i].to = to[i];
        reqs[i].act = (zn_loop_act){.actor = "grid-worker-7", .note = "batch"};
    }
    zn_error err;
    assert_int_equal(zn_loop_move_batch(b.lp, reqs, N, &err), ZN_OK);
    for (size_t i = 0; i < N; i++) {
        zn_loop_act a = {.actor = "grid-worker-7", .note = "batch"};
        zn_error e1;
        zn_status one = zn_loop_move(o.lp, ids[i], to[i], &a, &e1); /* the same ids: built alike */
        assert_int_equal(one, want[i]);
        assert_int_equal(reqs[i].status, want[i]);
        if (want[i] != ZN_OK)
            assert_string_equal(reqs[i].err.msg, e1.msg); /* the same message as alone */
    }
    char sb[1024], so[1024];
    snapshot(&b, sb, sizeof sb);
    snapshot(&o, so, sizeof so);
    assert_string_equal(sb, so);
    /* hand-checked: t0 reported after 3 history rows (issued, received, reported); t1 received (2);
     * t2 untouched (1); t3 cancelled (2) with no deadline kept for its rungs */
    zn_loop_task t;
    assert_int_equal(zn_loop_task_get(b.lp, b.task[0], &t, &err), ZN_OK);
    assert_int_equal(t.state, ZN_TASK_REPORTED);
    assert_int_equal(t.seq, 3);
    assert_int_equal(zn_loop_task_get(b.lp, b.task[2], &t, &err), ZN_OK);
    assert_int_equal(t.state, ZN_TASK_ISSUED);
    assert_int_equal(t.seq, 1);
    assert_int_equal(zn_loop_task_get(b.lp, b.task[3], &t, &err), ZN_OK);
    assert_int_equal(t.state, ZN_TASK_CANCELLED);
    assert_int_equal(t.seq, 2);

    /* the store is out of any transaction afterwards: a plain move commits on its own */
    zn_loop_act a = {.actor = "grid-worker-7"};
    assert_int_equal(zn_loop_move(b.lp, b.task[1], ZN_TASK_IN_PROGRESS, &a, &err), ZN_OK);
    close_world(&b);
    close_world(&o);
}

static void test_batch_edges(void **state)
{
    (void)state;
    world w;
    open_world(&w);
    zn_error err;
    assert_int_equal(zn_loop_move_batch(w.lp, NULL, 0, &err), ZN_OK);
    assert_int_equal(zn_loop_move_batch(NULL, NULL, 0, &err), ZN_EINVAL);
    assert_int_equal(zn_loop_move_batch(w.lp, NULL, 2, &err), ZN_EINVAL);
    /* a batch where every move is refused commits nothing and reports each */
    zn_loop_move_req r[2] = {{.task_id = w.task[0], .to = ZN_TASK_VERIFIED, .act = {.actor = "x"}},
                             {.task_id = w.task[1], .to = ZN_TASK_RECEIVED, .act = {0}}}; /* no actor */
    assert_int_equal(zn_loop_move_batch(w.lp, r, 2, &err), ZN_OK);
    assert_int_equal(r[0].status, ZN_ESTATE);
    assert_non_null(strstr(r[0].err.msg, "issued -> verified"));
    assert_int_equal(r[1].status, ZN_EINVAL);
    char s[1024];
    snapshot(&w, s, sizeof s);
    assert_int_equal(strncmp(s, "issued/1/", 9), 0);
    /* one move is the plain zn_loop_move */
    zn_loop_move_req one = {.task_id = w.task[0], .to = ZN_TASK_RECEIVED, .act = {.actor = "x"}};
    assert_int_equal(zn_loop_move_batch(w.lp, &one, 1, &err), ZN_OK);
    assert_int_equal(one.status, ZN_OK);
    zn_loop_task t;
    assert_int_equal(zn_loop_task_get(w.lp, w.task[0], &t, &err), ZN_OK);
    assert_int_equal(t.state, ZN_TASK_RECEIVED);
    close_world(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_matches_one_by_one),
        cmocka_unit_test(test_batch_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
