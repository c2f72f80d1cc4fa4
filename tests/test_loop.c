/* loop: the instruction/task model, the transition table, history, evidence, templates, and a
 * property test of random operation sequences against an independent model of the closed loop. */
#include "zn_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhinao/loop.h"
#include "zhinao/store.h"
#include "zhinao/time.h"

typedef struct fx {
    zn_ctx *ctx;
    zn_store *st;
    zn_loop *lp;
    int64_t instr;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    zn_error err;
    if (!f || zn_ctx_new(&f->ctx) != ZN_OK)
        return -1;
    zn_ctx_set_now(f->ctx, 1678070000); /* 2023-03-06 10:33:20 +08:00, a Monday */
    if (zn_store_open(f->ctx, ":memory:", &f->st, &err) != ZN_OK || zn_loop_open(f->st, zn_test_src("data"), &f->lp, &err) != ZN_OK) {
        char b[700];
        fprintf(stderr, "%s\n", zn_error_format(&err, b, sizeof b));
        return -1;
    }
    zn_loop_link links[] = {{"case", "C-001"}, {"contact", "K-17"}};
    zn_loop_instruction in = {.issuer = "hz-command", .issuer_unit = "3301", .reason = "case C-001 confirmed",
                              .links = links, .nlinks = 2};
    if (zn_loop_instruct(f->lp, &in, &f->instr, &err) != ZN_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    zn_loop_free(f->lp);
    zn_store_close(f->st);
    zn_ctx_free(f->ctx);
    free(f);
    return 0;
}

static int64_t issue_to(fx *f, const char *tpl, const char *division)
{
    zn_loop_task_spec sp = {.instruction_id = f->instr, .template_id = tpl, .subject_ref = "K-17",
                            .assignee_kind = "division", .assignee = division};
    zn_loop_act a = {.actor = "dispatcher-1"};
    int64_t id = 0, tr = -1;
    zn_error err;
    zn_status rc = zn_loop_issue(f->lp, &sp, &a, &id, &tr, &err);
    if (rc != ZN_OK) {
        char b[700];
        fprintf(stderr, "%s\n", zn_error_format(&err, b, sizeof b));
    }
    assert_int_equal(rc, ZN_OK);
    assert_int_equal(tr, 0);
    return id;
}

static void test_state_names(void **state)
{
    (void)state;
    for (int i = 0; i < ZN_TASK_NSTATES; i++) {
        zn_task_state s;
        assert_int_equal(zn_task_state_parse(zn_task_state_name((zn_task_state)i), &s), ZN_OK);
        assert_int_equal(s, i);
    }
    zn_task_state s;
    assert_int_equal(zn_task_state_parse("done", &s), ZN_EINVAL);
    assert_string_equal(zn_task_state_name(ZN_TASK_IN_PROGRESS), "in_progress");
    assert_true(zn_task_state_terminal(ZN_TASK_CLOSED));
    assert_true(zn_task_state_terminal(ZN_TASK_CANCELLED));
    assert_false(zn_task_state_terminal(ZN_TASK_TRANSFERRED));
    assert_true(zn_task_state_active(ZN_TASK_RETURNED));
    assert_false(zn_task_state_active(ZN_TASK_REPORTED));
}

/* The model of the closed loop, written independently of the library's table (as a switch). */
static int model_allows(zn_task_state from, zn_task_state to)
{
    switch (from) {
    case ZN_TASK_ISSUED:
        return to == ZN_TASK_RECEIVED || to == ZN_TASK_REASSIGNED || to == ZN_TASK_TRANSFERRED || to == ZN_TASK_CANCELLED;
    case ZN_TASK_RECEIVED:
        return to == ZN_TASK_IN_PROGRESS || to == ZN_TASK_REPORTED || to == ZN_TASK_REASSIGNED ||
               to == ZN_TASK_TRANSFERRED || to == ZN_TASK_CANCELLED;
    case ZN_TASK_IN_PROGRESS:
        return to == ZN_TASK_REPORTED || to == ZN_TASK_REASSIGNED || to == ZN_TASK_TRANSFERRED || to == ZN_TASK_CANCELLED;
    case ZN_TASK_REPORTED:
        return to == ZN_TASK_VERIFIED || to == ZN_TASK_RETURNED || to == ZN_TASK_CANCELLED;
    case ZN_TASK_VERIFIED:
        return to == ZN_TASK_CLOSED || to == ZN_TASK_RETURNED;
    case ZN_TASK_RETURNED:
        return to == ZN_TASK_IN_PROGRESS || to == ZN_TASK_REPORTED || to == ZN_TASK_REASSIGNED || to == ZN_TASK_CANCELLED;
    case ZN_TASK_REASSIGNED:
        return to == ZN_TASK_RECEIVED || to == ZN_TASK_REASSIGNED || to == ZN_TASK_TRANSFERRED || to == ZN_TASK_CANCELLED;
    case ZN_TASK_TRANSFERRED:
        return to == ZN_TASK_CLOSED || to == ZN_TASK_RETURNED || to == ZN_TASK_CANCELLED;
    default:
        return 0;
    }
}

static void test_transition_table(void **state)
{
    (void)state;
    int legal = 0;
    for (int a = 0; a < ZN_TASK_NSTATES; a++)
        for (int b = 0; b < ZN_TASK_NSTATES; b++) {
            zn_error err;
            zn_status rc = zn_task_check_move((zn_task_state)a, (zn_task_state)b, &err);
            assert_int_equal(rc == ZN_OK, model_allows((zn_task_state)a, (zn_task_state)b));
            legal += rc == ZN_OK;
            if (rc != ZN_OK) {
                assert_int_equal(rc, ZN_ESTATE);
                char want[96];
                snprintf(want, sizeof want, "illegal transition %s -> %s", zn_task_state_name((zn_task_state)a),
                         zn_task_state_name((zn_task_state)b));
                assert_string_equal(err.msg, want);
            }
        }
    assert_int_equal(legal, 29);
}

static void test_issue_and_loop(void **state)
{
    fx *f = *state;
    int64_t id = issue_to(f, "epi.quarantine_transfer", "330106001001");
    zn_loop_task t;
    zn_error err;
    assert_int_equal(zn_loop_task_get(f->lp, id, &t, &err), ZN_OK);
    assert_int_equal(t.state, ZN_TASK_ISSUED);
    assert_string_equal(t.assignee_kind, "division");
    assert_string_equal(t.assignee, "330106001001");
    assert_string_equal(t.division_code, "330106001001");
    assert_string_equal(t.subject_kind, "contact"); /* from the template */
    assert_string_equal(t.subject_ref, "K-17");
    assert_string_equal(t.title, "密接转运集中隔离"); /* the template's name_zh */
    assert_int_equal(t.unit, ZN_BUDGET_HOURS);
    assert_int_equal(t.budget, 8 * 3600);
    assert_int_equal(t.created_at, 1678070000);
    assert_int_equal(t.deadline, 1678070000 + 8 * 3600);
    assert_int_equal(t.seq, 1);

    /* an illegal move leaves no trace */
    zn_loop_act a = {.actor = "grid-worker-7"};
    assert_int_equal(zn_loop_move(f->lp, id, ZN_TASK_VERIFIED, &a, &err), ZN_ESTATE);
    assert_non_null(strstr(err.msg, "issued -> verified"));
    assert_int_equal(zn_loop_move(f->lp, id, ZN_TASK_TRANSFERRED, &a, &err), ZN_EINVAL);
    zn_loop_act nobody = {0};
    assert_int_equal(zn_loop_move(f->lp, id, ZN_TASK_RECEIVED, &nobody, &err), ZN_EINVAL);
    assert_int_equal(zn_loop_move(f->lp, 999999, ZN_TASK_RECEIVED, &a, &err), ZN_ENOTFOUND);

    zn_ctx_set_now(f->ctx, 1678070000 + 600);
    assert_int_equal(zn_loop_move(f->lp, id, ZN_TASK_RECEIVED, &a, &err), ZN_OK);
    zn_ctx_set_now(f->ctx, 1678070000 + 1200);
    assert_int_equal(zn_loop_move(f->lp, id, ZN_TASK_IN_PROGRESS, &a, &err), ZN_OK);
    /* report with an attached file: sha256("abc") is the FIPS 180-2 example */
    const char *ev = zn_test_write_file("handover.txt", "abc", 3);
    zn_loop_act rep = {.actor = "grid-worker-7", .note = "at hotel", .evidence = "room 1203", .evidence_file = ev};
    zn_ctx_set_now(f->ctx, 1678070000 + 5 * 3600);
    assert_int_equal(zn_loop_move(f->lp, id, ZN_TASK_REPORTED, &rep, &err), ZN_OK);
    zn_loop_act ver = {.actor = "cdc-2", .note = "not the right hotel"};
    assert_int_equal(zn_loop_move(f->lp, id, ZN_TASK_RETURNED, &ver, &err), ZN_OK);
    assert_int_equal(zn_loop_move(f->lp, id, ZN_TASK_IN_PROGRESS, &a, &err), ZN_OK);
    zn_loop_act rep2 = {.actor = "grid-worker-7",
                        .evidence_sha256 = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"};
    zn_ctx_set_now(f->ctx, 1678070000 + 6 * 3600);
    assert_int_equal(zn_loop_move(f->lp, id, ZN_TASK_REPORTED, &rep2, &err), ZN_OK);
    assert_int_equal(zn_loop_move(f->lp, id, ZN_TASK_VERIFIED, &ver, &err), ZN_OK);
    zn_ctx_set_now(f->ctx, 1678070000 + 7 * 3600);
    assert_int_equal(zn_loop_move(f->lp, id, ZN_TASK_CLOSED, &ver, &err), ZN_OK);
    /* closed is terminal */
    assert_int_equal(zn_loop_move(f->lp, id, ZN_TASK_RETURNED, &ver, &err), ZN_ESTATE);

    assert_int_equal(zn_loop_task_get(f->lp, id, &t, &err), ZN_OK);
    assert_int_equal(t.state, ZN_TASK_CLOSED);
    assert_int_equal(t.seq, 9);
    assert_int_equal(t.done_at, 1678070000 + 6 * 3600);
    assert_int_equal(t.ended_at, 1678070000 + 7 * 3600);

    zn_loop_history *h;
    size_t n;
    assert_int_equal(zn_loop_history_get(f->lp, id, &h, &n, &err), ZN_OK);
    assert_int_equal(n, 9);
    assert_int_equal(h[0].from, ZN_TASK_ISSUED);
    assert_int_equal(h[0].to, ZN_TASK_ISSUED);
    assert_string_equal(h[0].actor, "dispatcher-1");
    assert_int_equal(h[1].at, 1678070000 + 600);
    assert_int_equal(h[3].to, ZN_TASK_REPORTED);
    assert_string_equal(h[3].evidence, "room 1203");
    assert_string_equal(h[3].note, "at hotel");
    assert_string_equal(h[3].evidence_sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_string_equal(h[4].note, "not the right hotel");
    assert_string_equal(h[4].evidence_sha256, "");
    assert_string_equal(h[6].evidence_sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(h[8].to, ZN_TASK_CLOSED);
    zn_loop_history_free(h, n);
    zn_task_state rs;
    assert_int_equal(zn_loop_replay(f->lp, id, &rs, &err), ZN_OK);
    assert_int_equal(rs, ZN_TASK_CLOSED);

    /* bad evidence */
    int64_t id2 = issue_to(f, "epi.verify_signal", "330106000000");
    zn_loop_act bad = {.actor = "x", .evidence_sha256 = "abc"};
    assert_int_equal(zn_loop_move(f->lp, id2, ZN_TASK_RECEIVED, &bad, &err), ZN_EINVAL);
    zn_loop_act missing = {.actor = "x", .evidence_file = "/nonexistent/photo.jpg"};
    assert_int_equal(zn_loop_move(f->lp, id2, ZN_TASK_RECEIVED, &missing, &err), ZN_EIO);
    assert_int_equal(zn_loop_task_get(f->lp, id2, &t, &err), ZN_OK);
    assert_int_equal(t.seq, 1);
    /* a tampered history is caught by the replay */
    assert_int_equal(zn_store_exec(f->st, "INSERT INTO loop_transition(task_id, seq, from_state, to_state, actor, at)"
                                          " SELECT id, 2, 'issued', 'verified', 'mallory', 0 FROM loop_task"
                                          " WHERE template_id = 'epi.verify_signal'",
                                   &err),
                     ZN_OK);
    assert_int_equal(zn_loop_replay(f->lp, id2, &rs, &err), ZN_ESTATE);
}

/* A task's title: the issuer's own, else the template's Chinese name (issue #5); the default is
 * stored as "" whichever of the template's names the issuer passed. */
static void test_titles(void **state)
{
    fx *f = *state;
    zn_error err;
    /* the issuer's own title is kept; the template's name, English or Chinese, is stored as "" */
    zn_loop_act by = {.actor = "dispatcher-1"};
    const char *titles[] = {"封控张东路2281弄", "密接转运集中隔离", "Transfer a close contact to centralized quarantine"};
    const char *shown[] = {"封控张东路2281弄", "密接转运集中隔离", "密接转运集中隔离"};
    const int64_t stored_empty[] = {0, 1, 1};
    for (size_t i = 0; i < 3; i++) {
        zn_loop_task_spec sp = {.instruction_id = f->instr, .template_id = "epi.quarantine_transfer",
                                .title = titles[i], .assignee_kind = "division", .assignee = "330106001001"};
        int64_t tid = 0, empty = -1;
        assert_int_equal(zn_loop_issue(f->lp, &sp, &by, &tid, NULL, &err), ZN_OK);
        zn_loop_task u;
        assert_int_equal(zn_loop_task_get(f->lp, tid, &u, &err), ZN_OK);
        assert_string_equal(u.title, shown[i]);
        char q[96];
        snprintf(q, sizeof q, "SELECT title = '' FROM loop_task WHERE id = %lld", (long long)tid);
        assert_int_equal(zn_store_query_int64(f->st, q, &empty, &err), ZN_OK);
        assert_int_equal(empty, stored_empty[i]);
        if (i == 1) { /* a transfer (协查) to Ningbo passes on the filled default title: stored as "" */
            zn_loop_where w = {.division_code = "330200000000"};
            int64_t child = 0;
            assert_int_equal(zn_loop_transfer(f->lp, tid, &w, &by, &child, &err), ZN_OK);
            assert_int_equal(zn_loop_task_get(f->lp, child, &u, &err), ZN_OK);
            assert_string_equal(u.title, "密接转运集中隔离");
            snprintf(q, sizeof q, "SELECT title = '' FROM loop_task WHERE id = %lld", (long long)child);
            assert_int_equal(zn_store_query_int64(f->st, q, &empty, &err), ZN_OK);
            assert_int_equal(empty, 1);
        }
    }
}

static void test_issue_errors(void **state)
{
    fx *f = *state;
    zn_loop_act a = {.actor = "d"};
    int64_t id;
    zn_error err;
    zn_loop_task_spec sp = {.instruction_id = f->instr, .template_id = "epi.nope", .assignee_kind = "division",
                            .assignee = "330106"};
    assert_int_equal(zn_loop_issue(f->lp, &sp, &a, &id, NULL, &err), ZN_ENOTFOUND);
    sp.template_id = "epi.seal_unit";
    sp.instruction_id = 424242;
    assert_int_equal(zn_loop_issue(f->lp, &sp, &a, &id, NULL, &err), ZN_ENOTFOUND);
    sp.instruction_id = f->instr;
    sp.assignee = "33010"; /* 5 digits */
    assert_int_equal(zn_loop_issue(f->lp, &sp, &a, &id, NULL, &err), ZN_EINVAL);
    sp.assignee_kind = "robot";
    sp.assignee = "330106";
    assert_int_equal(zn_loop_issue(f->lp, &sp, &a, &id, NULL, &err), ZN_EINVAL);
    sp.assignee_kind = "team";
    sp.division_code = NULL;
    assert_int_equal(zn_loop_issue(f->lp, &sp, &a, &id, NULL, &err), ZN_EINVAL);
    sp.division_code = "330106";
    assert_int_equal(zn_loop_issue(f->lp, &sp, &a, &id, NULL, &err), ZN_OK);
    zn_loop_task t;
    assert_int_equal(zn_loop_task_get(f->lp, id, &t, &err), ZN_OK);
    assert_string_equal(t.division_code, "330106000000");
    assert_string_equal(t.assignee, "330106");
    zn_loop_instruction in = {.issuer = "x"};
    int64_t iid;
    assert_int_equal(zn_loop_instruct(f->lp, &in, &iid, &err), ZN_EINVAL);
    assert_string_equal(err.field, "reason");
}

static void test_templates(void **state)
{
    fx *f = *state;
    assert_int_equal(zn_loop_template_count(f->lp), 4);
    const zn_loop_template *t = zn_loop_template_find(f->lp, "epi.quarantine_transfer");
    assert_non_null(t);
    assert_string_equal(t->name_zh, "密接转运集中隔离");
    assert_int_equal(t->unit, ZN_BUDGET_HOURS);
    assert_int_equal(t->budget, 8 * 3600);
    assert_int_equal(t->nsteps, 4);
    assert_non_null(t->steps_zh);
    assert_string_equal(t->steps[1], "assign a quarantine site and arrange a dedicated vehicle (点对点闭环转运)");
    assert_string_equal(t->steps_zh[1], "确定集中隔离点，安排专车点对点闭环转运");
    assert_string_equal(zn_loop_template_title(t), "密接转运集中隔离");
    assert_int_equal(t->nrungs, 3);
    assert_string_equal(t->rungs[0].name, "warning");
    assert_double_near(t->rungs[0].at_fraction, 0.75, 1e-12);
    assert_string_equal(t->rungs[2].name, "supervision");
    assert_int_equal(t->rungs[2].after_deadline, 4 * 3600);
    assert_int_equal(t->rungs[2].notify, ZN_NOTIFY_LEVEL_ABOVE);
    t = zn_loop_template_find(f->lp, "epi.seal_unit");
    assert_int_equal(t->budget, 2 * 3600);
    t = zn_loop_template_find(f->lp, "epi.test_zone");
    assert_int_equal(t->budget, 24 * 3600);
    /* new sealed units -> sealing and testing tasks */
    size_t pos = 0;
    t = zn_loop_template_for(f->lp, "zone.sealed", &pos);
    assert_string_equal(t->id, "epi.seal_unit");
    t = zn_loop_template_for(f->lp, "zone.sealed", &pos);
    assert_string_equal(t->id, "epi.test_zone");
    assert_null(zn_loop_template_for(f->lp, "zone.sealed", &pos));
    assert_string_equal(zn_loop_template_for(f->lp, "alert.new", NULL)->id, "epi.verify_signal");
    assert_string_equal(zn_loop_template_for(f->lp, "contact.new", NULL)->id, "epi.quarantine_transfer");
    /* every shipped template speaks Chinese: a name and one Chinese step per step, none empty, none
     * left in English (each has at least one CJK character: UTF-8 lead byte 0xE3..0xE9) */
    for (size_t i = 0; i < zn_loop_template_count(f->lp); i++) {
        t = zn_loop_template_at(f->lp, i);
        assert_true(*t->name_zh);
        assert_true(t->nsteps > 0);
        assert_non_null(t->steps_zh);
        for (size_t k = 0; k < t->nsteps; k++) {
            const unsigned char *z = (const unsigned char *)t->steps_zh[k];
            int cjk = 0;
            for (; *z; z++)
                cjk |= *z >= 0xE3 && *z <= 0xE9;
            assert_true(cjk);
            assert_string_not_equal(t->steps_zh[k], t->steps[k]);
        }
    }
}

static void test_issue_event(void **state)
{
    fx *f = *state;
    zn_error err;
    zn_loop_task_spec base = {.instruction_id = f->instr, .subject_ref = "Z-3", .assignee_kind = "division",
                              .assignee = "330106001001"};
    zn_loop_act a = {.actor = "zone-module"};
    int64_t ids[4];
    size_t n;
    /* a new sealed unit: a sealing task and a testing task */
    assert_int_equal(zn_loop_issue_event(f->lp, "zone.sealed", &base, &a, ids, 4, &n, &err), ZN_OK);
    assert_int_equal(n, 2);
    zn_loop_task t;
    assert_int_equal(zn_loop_task_get(f->lp, ids[0], &t, &err), ZN_OK);
    assert_string_equal(t.template_id, "epi.seal_unit");
    assert_string_equal(t.subject_kind, "zone");
    assert_string_equal(t.subject_ref, "Z-3");
    assert_int_equal(zn_loop_task_get(f->lp, ids[1], &t, &err), ZN_OK);
    assert_string_equal(t.template_id, "epi.test_zone");
    assert_int_equal(t.deadline, 1678070000 + 24 * 3600);
    assert_int_equal(zn_loop_issue_event(f->lp, "contact.new", &base, &a, ids, 4, &n, &err), ZN_OK);
    assert_int_equal(n, 1);
    assert_int_equal(zn_loop_issue_event(f->lp, "moon.landing", &base, &a, ids, 4, &n, &err), ZN_ENOTFOUND);
    /* all or nothing: a bad assignee issues none */
    int64_t before, after;
    assert_int_equal(zn_store_query_int64(f->st, "SELECT COUNT(*) FROM loop_task", &before, &err), ZN_OK);
    base.assignee = "3301x";
    assert_int_equal(zn_loop_issue_event(f->lp, "zone.sealed", &base, &a, ids, 4, &n, &err), ZN_EINVAL);
    assert_int_equal(zn_store_query_int64(f->st, "SELECT COUNT(*) FROM loop_task", &after, &err), ZN_OK);
    assert_int_equal(before, after);
}

static void test_templates_bad(void **state)
{
    fx *f = *state;
    zn_error err;
    zn_loop *lp = NULL;
    /* a data folder with the real calendar and a broken template file */
    char dir[512], cmd[1200];
    snprintf(dir, sizeof dir, "%s/data-bad", zn_test_tmpdir());
    snprintf(cmd, sizeof cmd, "mkdir -p %s/calendar %s/templates && cp %s %s/calendar/", dir, dir,
             zn_test_src("data/calendar/cn-holidays.csv"), dir);
    assert_int_equal(system(cmd), 0);
    static const char *bad[] = {
        "{\"templates\": [{\"id\": \"a\", \"name\": \"A\", \"budget\": {\"hours\": 2}},"
        " {\"id\": \"a\", \"name\": \"A2\", \"budget\": {\"hours\": 2}}]}",
        "{\"templates\": [{\"id\": \"a\", \"name\": \"A\", \"budget\": {\"hours\": 2, \"workdays\": 1}}]}",
        "{\"templates\": [{\"id\": \"a\", \"name\": \"A\", \"budget\": {\"hours\": 2}, \"escalation\": ["
        "{\"rung\": \"overdue\", \"at_fraction\": 1.0}, {\"rung\": \"warning\", \"at_fraction\": 0.5}]}]}",
        "{\"templates\": [{\"id\": \"a\", \"name\": \"A\", \"budget\": {\"hours\": 2}, \"escalation\": ["
        "{\"rung\": \"s\", \"after_deadline_hours\": 1, \"notify\": \"mayor\"}]}]}",
        "{\"templates\": [{\"id\": \"a\", \"name\": \"A\", \"budget\": {\"workdays\": 1.5}}]}",
        "{\"templates\": [ {\"id\": \"a\" ",
        /* one Chinese step short, one too many, not strings, not an array */
        "{\"templates\": [{\"id\": \"a\", \"name\": \"A\", \"budget\": {\"hours\": 2},"
        " \"steps\": [\"call\", \"report\"], \"steps_zh\": [\"电话联系\"]}]}",
        "{\"templates\": [{\"id\": \"a\", \"name\": \"A\", \"budget\": {\"hours\": 2},"
        " \"steps_zh\": [\"电话联系\"]}]}",
        "{\"templates\": [{\"id\": \"a\", \"name\": \"A\", \"budget\": {\"hours\": 2},"
        " \"steps\": [\"call\"], \"steps_zh\": [7]}]}",
        "{\"templates\": [{\"id\": \"a\", \"name\": \"A\", \"budget\": {\"hours\": 2},"
        " \"steps\": [\"call\"], \"steps_zh\": \"电话联系\"}]}",
    };
    static const zn_status want[] = {ZN_EDUPLICATE, ZN_EPARSE, ZN_EVALIDATE, ZN_EVALIDATE, ZN_EVALIDATE, ZN_EPARSE,
                                     ZN_EVALIDATE, ZN_EVALIDATE, ZN_EPARSE, ZN_EPARSE};
    static const char *want_field[] = {"id", "budget", "escalation[1]", "escalation[0]", "budget.workdays", NULL,
                                       "steps_zh", "steps_zh", "steps_zh", "steps_zh"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s/templates/t.json", dir);
        FILE *fp = fopen(path, "w");
        assert_non_null(fp);
        fputs(bad[i], fp);
        fclose(fp);
        assert_int_equal(zn_loop_open(f->st, dir, &lp, &err), want[i]);
        assert_null(lp);
        assert_non_null(strstr(err.file, "t.json"));
        if (want_field[i])
            assert_string_equal(err.field, want_field[i]);
        if (i == 6) /* the mismatch names the template and both counts */
            assert_non_null(strstr(err.msg, "template a: 1 steps_zh for 2 steps"));
    }
}

/* A working-day template run through the engine: the stored deadline follows the calendar, the
 * suspension ledger and an approved extension (the same figures as tests/test_loop_clock.c). */
static void test_workday_task_deadline(void **state)
{
    fx *f = *state;
    zn_error err;
    char dir[512], cmd[1200], path[600];
    snprintf(dir, sizeof dir, "%s/data-wd", zn_test_tmpdir());
    snprintf(cmd, sizeof cmd, "mkdir -p %s/calendar %s/templates && cp %s %s/calendar/", dir, dir,
             zn_test_src("data/calendar/cn-holidays.csv"), dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/templates/enforcement.json", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("{\"templates\": [{\"id\": \"enf.clue_check\", \"name\": \"Check a clue\", \"subject\": \"clue\","
          " \"budget\": {\"workdays\": 3}, \"escalation\": [{\"rung\": \"overdue\", \"at_fraction\": 1.0}]}]}",
          fp);
    fclose(fp);
    zn_loop *lp;
    assert_int_equal(zn_loop_open(f->st, dir, &lp, &err), ZN_OK);
    /* no name_zh, no steps_zh: steps_zh is NULL and a task's title is the English name */
    assert_null(zn_loop_template_find(lp, "enf.clue_check")->steps_zh);
    assert_string_equal(zn_loop_template_title(zn_loop_template_find(lp, "enf.clue_check")), "Check a clue");
    assert_null(zn_loop_template_title(NULL));
    zn_loop_instruction in = {.issuer = "samr", .reason = "clue 17"};
    int64_t instr, id;
    zn_ctx_set_now(f->ctx, 1707357600); /* Thu 2024-02-08 10:00 +08:00 */
    assert_int_equal(zn_loop_instruct(lp, &in, &instr, &err), ZN_OK);
    zn_loop_task_spec sp = {.instruction_id = instr, .template_id = "enf.clue_check", .assignee_kind = "team",
                            .assignee = "team-3", .division_code = "330106"};
    zn_loop_act a = {.actor = "chief", .note = "waiting for the lab (检验检测)"};
    assert_int_equal(zn_loop_issue(lp, &sp, &a, &id, NULL, &err), ZN_OK);
    zn_loop_task t;
    assert_int_equal(zn_loop_task_get(lp, id, &t, &err), ZN_OK);
    assert_int_equal(t.unit, ZN_BUDGET_WORKDAYS);
    assert_string_equal(t.title, "Check a clue");
    assert_int_equal(t.deadline, 1708358400); /* 2024-02-20 00:00 +08:00: 9 Feb, Sun 18 Feb, 19 Feb */
    /* suspended from Fri 9 Feb 12:00 to Sun 18 Feb 12:00: the clock used half of 9 Feb and uses the
     * second half of 18 Feb, then 19 Feb and 20 Feb: one working day later than without it */
    zn_ctx_set_now(f->ctx, 1707451200); /* 2024-02-09 12:00 */
    assert_int_equal(zn_loop_suspend(lp, id, &a, &err), ZN_OK);
    assert_int_equal(zn_loop_task_get(lp, id, &t, &err), ZN_OK);
    assert_true(t.deadline == ZN_CLOCK_STOPPED);
    zn_ctx_set_now(f->ctx, 1708228800); /* 2024-02-18 12:00 */
    assert_int_equal(zn_loop_resume(lp, id, &a, &err), ZN_OK);
    assert_int_equal(zn_loop_task_get(lp, id, &t, &err), ZN_OK);
    assert_int_equal(t.deadline, 1708444800); /* 2024-02-21 00:00 */
    /* one more working day approved: Wed 21 Feb, ending 22 Feb 00:00 */
    assert_int_equal(zn_loop_extend(lp, id, 1, "director", "批 2024-9", &a, &err), ZN_OK);
    assert_int_equal(zn_loop_task_get(lp, id, &t, &err), ZN_OK);
    assert_int_equal(t.deadline, 1708531200);
    assert_int_equal(t.extension, 1);
    int64_t due;
    assert_int_equal(zn_store_query_int64(f->st, "SELECT due_at FROM loop_rung WHERE rung = 'overdue'"
                                                 " AND task_id = (SELECT MAX(id) FROM loop_task)", &due, &err),
                     ZN_OK);
    assert_int_equal(due, 1708531200);
    zn_loop_free(lp);
}

/* ---- property: random operation sequences ---- */

typedef struct mtask {
    int64_t id;
    zn_task_state st;
    int suspended;
} mtask;

static void test_property_random_ops(void **state)
{
    fx *f = *state;
    zn_error err;
    enum { MAXT = 600 };
    static mtask m[MAXT];
    size_t nm = 0;
    srand(6);
    static const char *tpls[] = {"epi.quarantine_transfer", "epi.seal_unit", "epi.test_zone", "epi.verify_signal"};
    int64_t now = 1678070000;
    for (int i = 0; i < 150; i++) {
        int64_t id = issue_to(f, tpls[i % 4], (i % 3) ? "330106001001" : "330102000000");
        m[nm++] = (mtask){id, ZN_TASK_ISSUED, 0};
    }
    int ok = 0, refused = 0;
    for (int op = 0; op < 6000; op++) {
        now += 1 + rand() % 900;
        zn_ctx_set_now(f->ctx, now);
        mtask *t = &m[(size_t)rand() % nm];
        zn_loop_act a = {.actor = "p", .note = "n"};
        int kind = rand() % 10;
        zn_status rc;
        if (kind < 7) {
            zn_task_state to = (zn_task_state)(rand() % ZN_TASK_NSTATES);
            if (to == ZN_TASK_REASSIGNED || to == ZN_TASK_TRANSFERRED || to == ZN_TASK_ISSUED)
                to = ZN_TASK_RECEIVED;
            rc = zn_loop_move(f->lp, t->id, to, &a, &err);
            int allowed = model_allows(t->st, to);
            if (rc != (allowed ? ZN_OK : ZN_ESTATE)) { char b[700]; fprintf(stderr, "op %d task %lld %s -> %s: %s\n", op, (long long)t->id, zn_task_state_name(t->st), zn_task_state_name(to), zn_error_format(&err, b, sizeof b)); }
            assert_int_equal(rc, allowed ? ZN_OK : ZN_ESTATE);
            if (allowed) {
                t->st = to;
                /* closing a transfer closes its original, up the chain of transfers */
                int64_t cur = t->id;
                while (to == ZN_TASK_CLOSED && cur) {
                    zn_loop_task lt;
                    assert_int_equal(zn_loop_task_get(f->lp, cur, &lt, &err), ZN_OK);
                    cur = 0;
                    for (size_t j = 0; lt.parent_id && j < nm; j++)
                        if (m[j].id == lt.parent_id && m[j].st == ZN_TASK_TRANSFERRED) {
                            m[j].st = ZN_TASK_CLOSED;
                            cur = m[j].id;
                        }
                }
            }
        } else if (kind == 7) {
            rc = zn_loop_reassign(f->lp, t->id, "person", "worker-9", "330106001001", &a, &err);
            int allowed = model_allows(t->st, ZN_TASK_REASSIGNED);
            assert_int_equal(rc, allowed ? ZN_OK : ZN_ESTATE);
            if (allowed)
                t->st = ZN_TASK_REASSIGNED;
        } else if (kind == 8) {
            zn_loop_where w = {.division_code = "330200000000"};
            int64_t child = 0;
            rc = zn_loop_transfer(f->lp, t->id, &w, &a, &child, &err);
            int allowed = model_allows(t->st, ZN_TASK_TRANSFERRED) && nm < MAXT;
            if (nm >= MAXT && rc == ZN_OK)
                fail_msg("pool full");
            if (nm < MAXT) {
                assert_int_equal(rc, allowed ? ZN_OK : ZN_ESTATE);
                if (allowed) {
                    t->st = ZN_TASK_TRANSFERRED;
                    assert_true(child > t->id);
                    m[nm++] = (mtask){child, ZN_TASK_ISSUED, 0};
                }
            }
        } else {
            int want_ok = !zn_task_state_terminal(t->st);
            if (t->suspended) {
                rc = zn_loop_resume(f->lp, t->id, &a, &err);
                if (want_ok)
                    t->suspended = 0;
            } else if (rand() % 2) {
                rc = zn_loop_suspend(f->lp, t->id, &a, &err);
                if (want_ok)
                    t->suspended = 1;
            } else {
                rc = zn_loop_extend(f->lp, t->id, 3600, "chief", "ref-1", &a, &err);
            }
            assert_int_equal(rc, want_ok ? ZN_OK : ZN_ESTATE);
        }
        if (rc == ZN_OK)
            ok++;
        else
            refused++;
    }
    assert_true(ok > 1000);
    assert_true(refused > 1000);
    /* every task: stored state == model == replay of the stored history, and the history is
     * exactly seq rows long */
    size_t closed = 0;
    for (size_t i = 0; i < nm; i++) {
        zn_loop_task lt;
        zn_task_state rs;
        assert_int_equal(zn_loop_task_get(f->lp, m[i].id, &lt, &err), ZN_OK);
        assert_int_equal(lt.state, m[i].st);
        assert_int_equal(zn_loop_replay(f->lp, m[i].id, &rs, &err), ZN_OK);
        assert_int_equal(rs, m[i].st);
        assert_int_equal(lt.suspended, m[i].suspended);
        zn_loop_history *h;
        size_t n;
        assert_int_equal(zn_loop_history_get(f->lp, m[i].id, &h, &n, &err), ZN_OK);
        assert_int_equal((int64_t)n, lt.seq);
        zn_loop_history_free(h, n);
        closed += lt.state == ZN_TASK_CLOSED;
        /* ended tasks have no pending schedule; active, running ones do unless fired */
        if (!zn_task_state_active(lt.state)) {
            char q[160];
            int64_t k;
            snprintf(q, sizeof q, "SELECT COUNT(*) FROM loop_rung WHERE task_id = %lld AND due_at IS NOT NULL AND fired_at IS NULL",
                     (long long)lt.id);
            assert_int_equal(zn_store_query_int64(f->st, q, &k, &err), ZN_OK);
            assert_int_equal(k, 0);
        }
    }
    assert_true(closed > 0);
    assert_true(nm > 150);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_names),
        cmocka_unit_test(test_transition_table),
        cmocka_unit_test_setup_teardown(test_issue_and_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_titles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_issue_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_templates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_issue_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_workday_task_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_templates_bad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_property_random_ops, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
