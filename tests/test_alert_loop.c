/* Early-warning alerts wired into the closed loop: EARS C3 alarms on a hand-built series become
 * stored alerts with exactly one verification task each (idempotently), and a simulated day of
 * field work closes a seeded share of the open tasks while the timer escalates the rest. */
#include "zn_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhinao/loop.h"
#include "zhinao/stats.h"
#include "zhinao/store.h"
#include "zhinao/time.h"

typedef struct fx {
    zn_ctx *ctx;
    zn_store *st;
    zn_loop *lp;
} fx;

static void show(const zn_error *err)
{
    char b[700];
    fprintf(stderr, "%s\n", zn_error_format(err, b, sizeof b));
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    zn_error err;
    if (!f || zn_ctx_new(&f->ctx) != ZN_OK)
        return -1;
    if (zn_store_open(f->ctx, ":memory:", &f->st, &err) != ZN_OK ||
        zn_store_exec(f->st,
                      "INSERT INTO division (edition, code, level, name, parent_code) VALUES "
                      "(2021, '310000000000', 1, '上海市', NULL),"
                      "(2021, '310100000000', 2, '市辖区', '310000000000'),"
                      "(2021, '310101000000', 3, '黄浦区', '310100000000'),"
                      "(2021, '310115000000', 3, '浦东新区', '310100000000'),"
                      "(2021, '330106000000', 3, '西湖区', '330100000000'),"
                      "(2021, '330100000000', 2, '杭州市', '330000000000')",
                      &err) != ZN_OK ||
        zn_loop_open(f->st, zn_test_src("data"), &f->lp, &err) != ZN_OK) {
        show(&err);
        return -1;
    }
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

static int64_t q1(fx *f, const char *sql)
{
    int64_t v = -1;
    zn_error err;
    if (zn_store_query_int64(f->st, sql, &v, &err) != ZN_OK)
        show(&err);
    return v;
}

/* UTC seconds of local (+08:00) y-m-d h:00. */
static int64_t at_local(int y, int m, int d, int h)
{
    return zn_days_from_civil(y, m, d) * 86400 + h * 3600 - 8 * 3600;
}

/*
 * The series 2,3,2,3,2,3,2,3,2,3,2,12,3,2,3,2 (16 days from 2022-04-01), EARS C3, baseline 7,
 * alpha 0.001 (z = qnorm(0.999) = 3.0902323). By hand, with C2_s = (x_s - mean)/sd over the C2
 * reference x[s-9 .. s-3] (7 values of 2 and 3: sd = sqrt(2/7) = 0.5345225):
 *   spike s = 11 (0-based): reference 2,3,2,3,2,3,2, mean 17/7, C2 = (12 - 17/7)/0.5345 = 17.9065;
 *   t = 11: C2_9 = (3 - 17/7)/0.5345 = 1.0690, C2_10 = (2 - 18/7)/0.5345 < 0, so
 *           upperbound = 12 + 0.5345 (3.0902 - 0.0690) = 13.6149 > 12: no alarm;
 *   t = 12, 13: the spike's C2 - 1 = 16.9065 > z, upperbound = max(0, x + sd (z - 16.9065)) = 0,
 *           and 3 > 0, 2 > 0: alarms (surveillance's C3 adds to x_t, see stats.h);
 *   t = 14, 15: C2_12 = (3 - 18/7)/0.5345 = 0.80 and C2_13 < 0 add nothing, and the reference of t
 *           (x[5..11], x[6..12]) now holds the spike: sd = sqrt(92/7) = 3.6253 (x[6..12] likewise), so
 *           upperbound = x + 3.6253 z = 14.2030 and 13.2030: no alarm.
 * So exactly two alarms: 2022-04-13 (observed 3) and 2022-04-14 (observed 2), upper bound 0.
 */
static const double series[16] = {2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 12, 3, 2, 3, 2};

static void test_ears_alerts_tasks(void **state)
{
    fx *f = *state;
    zn_error err;
    zn_ears_params p;
    zn_ears_params_default(&p, ZN_EARS_C3);
    double ub[16];
    int al[16];
    assert_int_equal(zn_ears(series, 16, 11, &p, ub, al, &err), ZN_OK);
    int want[16] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 1, 1, 0, 0};
    for (int t = 0; t < 16; t++)
        assert_int_equal(al[t], want[t]);
    assert_double_near(ub[11], 12 + sqrt(2.0 / 7) * (3.0902323061678132 - ((3 - 17.0 / 7) / sqrt(2.0 / 7) - 1)), 1e-9);
    assert_double_near(ub[11], 13.6149, 1e-4);
    assert_double_near(ub[14], 14.203043495660697, 1e-9);
    assert_double_near(ub[15], 13.203043495660697, 1e-9);
    assert_double_near(ub[12], 0, 0);
    assert_double_near(ub[13], 0, 0);

    char code[13];
    assert_int_equal(zn_alert_division_lookup(f->st, "浦东新区", "31", code, &err), ZN_OK);
    assert_string_equal(code, "310115000000");
    assert_int_equal(zn_alert_division_lookup(f->st, "西湖区", "31", code, &err), ZN_ENOTFOUND);
    assert_int_equal(zn_alert_division_lookup(f->st, "浦东新区", "3x", code, &err), ZN_EINVAL);

    int64_t day0 = zn_days_from_civil(2022, 4, 1);
    for (int pass = 0; pass < 2; pass++) {
        int news = 0;
        for (int t = 0; t < 16; t++) {
            if (al[t] != 1)
                continue;
            char label[16];
            int y, m, d;
            zn_civil_from_days(day0 + t, &y, &m, &d);
            snprintf(label, sizeof label, "%04d-%02d-%02d", y, m, d);
            zn_ctx_set_now(f->ctx, at_local(y, m, d + 1, 9));
            zn_alert a = {.method = "ears-c3", .series = "浦东新区", .division_code = code, .period = label,
                          .observed = series[t], .upperbound = ub[t]};
            int64_t aid = 0, tid = 0;
            int is_new = -1;
            zn_status rc = zn_alert_raise(f->lp, &a, NULL, NULL, &aid, &tid, &is_new, &err);
            if (rc)
                show(&err);
            assert_int_equal(rc, ZN_OK);
            assert_int_equal(is_new, pass == 0);
            assert_true(aid > 0 && tid > 0);
            news += is_new;
            zn_loop_task tk;
            assert_int_equal(zn_loop_task_get(f->lp, tid, &tk, &err), ZN_OK);
            assert_string_equal(tk.template_id, "epi.verify_signal");
            assert_string_equal(tk.assignee_kind, "division");
            assert_string_equal(tk.assignee, "310115000000");
            assert_string_equal(tk.subject_kind, "alert");
            assert_int_equal(tk.created_at, at_local(y, m, d + 1, 9));
            assert_int_equal(tk.deadline, tk.created_at + 24 * 3600);
            assert_int_equal(tk.state, ZN_TASK_ISSUED);
        }
        assert_int_equal(news, pass == 0 ? 2 : 0);
        /* exactly the two alarms, each with exactly one task, after either pass */
        assert_int_equal(q1(f, "SELECT COUNT(*) FROM alert"), 2);
        assert_int_equal(q1(f, "SELECT COUNT(*) FROM loop_task"), 2);
        assert_int_equal(q1(f, "SELECT COUNT(*) FROM alert a JOIN loop_task t ON t.id = a.task_id "
                               "AND t.subject_ref = CAST(a.id AS TEXT)"),
                         2);
        assert_int_equal(q1(f, "SELECT COUNT(*) FROM alert WHERE method = 'ears-c3' AND series = '浦东新区' "
                               "AND division_code = '310115000000' AND upperbound = 0 AND "
                               "((period = '2022-04-13' AND observed = 3) OR (period = '2022-04-14' AND observed = 2))"),
                         2);
        /* reason and title as a command centre writes them, issued by the default issuer */
        assert_int_equal(q1(f, "SELECT COUNT(*) FROM loop_instruction WHERE issuer = '监测预警系统' AND reason IN ("
                               "'EARS-C3 预警：浦东新区 2022-04-13 报告 3 例，超过上限 0.0', "
                               "'EARS-C3 预警：浦东新区 2022-04-14 报告 2 例，超过上限 0.0')"),
                         2);
        assert_int_equal(q1(f, "SELECT COUNT(*) FROM loop_task WHERE title IN ("
                               "'核实预警信号：EARS-C3 浦东新区 2022-04-13', '核实预警信号：EARS-C3 浦东新区 2022-04-14')"),
                         2);
    }
    /* no division and no issuing unit: refused, nothing stored */
    zn_alert u = {.method = "ears-c3", .series = "nowhere", .period = "2022-04-13", .observed = 5, .upperbound = NAN};
    assert_int_equal(zn_alert_raise(f->lp, &u, NULL, NULL, NULL, NULL, NULL, &err), ZN_EINVAL);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM alert"), 2);
    /* with an issuing unit it goes there; NA upper bound stored as NULL */
    int64_t tid = 0;
    assert_int_equal(zn_alert_raise(f->lp, &u, "sh-cdc", "310101", NULL, &tid, NULL, &err), ZN_OK);
    zn_loop_task tk;
    assert_int_equal(zn_loop_task_get(f->lp, tid, &tk, &err), ZN_OK);
    assert_string_equal(tk.assignee, "310101000000");
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM alert WHERE series = 'nowhere' AND upperbound IS NULL "
                           "AND division_code IS NULL"),
                     1);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM loop_instruction WHERE issuer = 'sh-cdc' AND "
                           "reason = 'EARS-C3 预警：nowhere 2022-04-13 报告 5 例（上限 NA）'"),
                     1);
    /* a title over 191 bytes is cut before the character the limit falls in: 148 bytes of
     * "核实预警信号：M S " then 14 of the period's 21 characters (3 bytes each), 190 bytes */
    char longm[64], longs[63], longp[64] = "";
    memset(longm, 'm', 63);
    longm[63] = 0;
    memset(longs, 's', 62);
    longs[62] = 0;
    for (int i = 0; i < 21; i++)
        strcat(longp, "疫");
    zn_alert lg = {.method = longm, .series = longs, .division_code = "310115", .period = longp, .observed = 9,
                   .upperbound = 1};
    assert_int_equal(zn_alert_raise(f->lp, &lg, NULL, NULL, NULL, &tid, NULL, &err), ZN_OK);
    assert_int_equal(zn_loop_task_get(f->lp, tid, &tk, &err), ZN_OK);
    assert_int_equal(strlen(tk.title), 190);
    assert_memory_equal(tk.title, "核实预警信号：mmm", strlen("核实预警信号：mmm"));
    assert_string_equal(tk.title + 175, "疫疫疫疫疫");
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM loop_instruction WHERE "
                           "reason LIKE 'mmm% 预警：sss% 疫% 报告 9 例，超过上限 1.0'"),
                     1);
    /* a division unknown to the store: nothing stored (alert and task are one transaction) */
    zn_alert bad = {.method = "ears-c3", .series = "x", .division_code = "310199000000", .period = "2022-04-13",
                    .observed = 5, .upperbound = 1};
    assert_int_equal(zn_alert_raise(f->lp, &bad, NULL, NULL, NULL, NULL, NULL, &err), ZN_ENOTFOUND);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM alert"), 4);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM loop_task"), 4);
}

/* n alert tasks issued on 2022-04-10 at 09:00 (+08:00) to 浦东新区. */
static void issue_n(fx *f, int n)
{
    zn_error err;
    zn_ctx_set_now(f->ctx, at_local(2022, 4, 10, 9));
    for (int i = 0; i < n; i++) {
        char series_name[32];
        snprintf(series_name, sizeof series_name, "s%02d", i);
        zn_alert a = {.method = "ears-c3", .series = series_name, .division_code = "310115", .period = "2022-04-09",
                      .observed = 10, .upperbound = 5};
        zn_status rc = zn_alert_raise(f->lp, &a, NULL, NULL, NULL, NULL, NULL, &err);
        if (rc)
            show(&err);
        assert_int_equal(rc, ZN_OK);
    }
}

static void test_simulate_all_closed(void **state)
{
    fx *f = *state;
    zn_error err;
    issue_n(f, 10);
    zn_loop_sim_params p = {.day = zn_days_from_civil(2022, 4, 10), .close_share = 1.0, .seed = 1};
    zn_loop_sim_result r;
    assert_int_equal(zn_loop_simulate_day(f->lp, &p, &r, &err), ZN_OK);
    assert_int_equal(r.considered, 10);
    assert_int_equal(r.closed, 10);
    assert_int_equal(r.left_open, 0);
    assert_int_equal(r.moves, 50);
    assert_int_equal(r.day_start, at_local(2022, 4, 10, 0));
    assert_int_equal(r.day_end, at_local(2022, 4, 11, 0));
    /* the 50 % warning (21:00) fires only for tasks still open then */
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM loop_task WHERE state = 'closed'"), 10);
    /* every move after the issue at 09:00, before 22:00, by the worker then the command */
    int64_t lo = at_local(2022, 4, 10, 9), hi = at_local(2022, 4, 10, 22);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM loop_transition WHERE seq > 1 AND at > %lld AND at < %lld",
             (long long)lo, (long long)hi);
    assert_int_equal(q1(f, sql), 50);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM loop_transition WHERE to_state IN ('received','in_progress','reported') "
                           "AND actor = 'worker@310115000000'"),
                     30);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM loop_transition WHERE to_state IN ('verified','closed') "
                           "AND actor = 'command@310115000000'"),
                     20);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM loop_transition WHERE to_state = 'reported' AND note <> ''"), 10);
    /* moves of a task in order of time, and the stored history replays */
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM loop_transition a JOIN loop_transition b ON a.task_id = b.task_id "
                           "AND b.seq = a.seq + 1 WHERE b.at < a.at + 60 AND a.seq > 1"),
                     0);
    for (int64_t id = 1; id <= 10; id++) {
        zn_task_state s;
        assert_int_equal(zn_loop_replay(f->lp, id, &s, &err), ZN_OK);
        assert_int_equal(s, ZN_TASK_CLOSED);
    }
    zn_loop_metrics_query q = {.to = r.day_end};
    zn_loop_metrics_row *m;
    size_t nm;
    assert_int_equal(zn_loop_metrics(f->st, &q, &m, &nm, &err), ZN_OK);
    assert_int_equal(nm, 1);
    assert_int_equal(m[0].closed, 10);
    assert_int_equal(m[0].on_time, 10); /* all reported within 24 h of 09:00 */
    assert_int_equal(m[0].overdue, 0);
    free(m);
    /* a second run of the day has nothing left to do */
    assert_int_equal(zn_loop_simulate_day(f->lp, &p, &r, &err), ZN_OK);
    assert_int_equal(r.considered, 0);
    assert_int_equal(r.moves, 0);
}

static void test_simulate_none_closed(void **state)
{
    fx *f = *state;
    zn_error err;
    issue_n(f, 10);
    /* the day after the issue, nobody works: at 24:00 of 2022-04-11 the warning (50 % = 21:00 on the
     * 10th) and the overdue rung (09:00 on the 11th) have fired; supervision (+24 h = 09:00 on the
     * 12th) has not */
    zn_loop_sim_params p = {.day = zn_days_from_civil(2022, 4, 11), .close_share = 0.0, .seed = 1};
    zn_loop_sim_result r;
    assert_int_equal(zn_loop_simulate_day(f->lp, &p, &r, &err), ZN_OK);
    assert_int_equal(r.considered, 10);
    assert_int_equal(r.closed, 0);
    assert_int_equal(r.left_open, 10);
    assert_int_equal(r.moves, 0);
    assert_int_equal(r.fired, 20);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM loop_escalation WHERE rung = 'overdue'"), 10);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM loop_escalation WHERE rung = 'warning'"), 10);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM loop_escalation WHERE rung = 'supervision'"), 0);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM loop_task WHERE state = 'issued'"), 10);
    zn_loop_metrics_query q = {.to = r.day_end};
    zn_loop_metrics_row *m;
    size_t nm;
    assert_int_equal(zn_loop_metrics(f->st, &q, &m, &nm, &err), ZN_OK);
    assert_int_equal(nm, 1);
    assert_int_equal(m[0].closed, 0);
    assert_int_equal(m[0].backlog, 10);
    assert_int_equal(m[0].overdue, 10);
    free(m);
    p.close_share = 1.5;
    assert_int_equal(zn_loop_simulate_day(f->lp, &p, &r, &err), ZN_EINVAL);
}

/* Everything the simulation wrote, as text. */
static char *dump(fx *f)
{
    zn_stmt *s;
    zn_error err;
    assert_int_equal(zn_stmt_prepare(f->st,
                                     "SELECT task_id, seq, to_state, actor, at, COALESCE(note, '') FROM loop_transition "
                                     "ORDER BY task_id, seq",
                                     &s, &err),
                     ZN_OK);
    size_t cap = 1 << 16, len = 0;
    char *b = calloc(1, cap);
    int row;
    while (zn_stmt_step(s, &row, &err) == ZN_OK && row) {
        int w = snprintf(b + len, cap - len, "%lld %lld %s %s %lld %s\n", (long long)zn_stmt_column_int64(s, 0),
                         (long long)zn_stmt_column_int64(s, 1), zn_stmt_column_text(s, 2), zn_stmt_column_text(s, 3),
                         (long long)zn_stmt_column_int64(s, 4), zn_stmt_column_text(s, 5));
        assert_true(w > 0 && (size_t)w < cap - len);
        len += (size_t)w;
    }
    zn_stmt_finalize(s);
    return b;
}

static void test_simulate_same_seed(void **state)
{
    (void)state;
    char *d[3];
    int64_t closed[3];
    uint64_t seeds[3] = {7, 7, 8};
    for (int k = 0; k < 3; k++) {
        void *st;
        assert_int_equal(setup(&st), 0);
        fx *f = st;
        zn_error err;
        issue_n(f, 20);
        zn_loop_sim_params p = {.day = zn_days_from_civil(2022, 4, 10), .close_share = 0.5, .seed = seeds[k]};
        zn_loop_sim_result r;
        assert_int_equal(zn_loop_simulate_day(f->lp, &p, &r, &err), ZN_OK);
        assert_int_equal(r.considered, 20);
        assert_int_equal(r.closed + r.left_open, 20);
        assert_true(r.closed > 0 && r.closed < 20);
        assert_int_equal(r.moves, 5 * r.closed);
        closed[k] = r.closed;
        d[k] = dump(f);
        teardown(&st);
    }
    assert_int_equal(closed[0], closed[1]);
    assert_string_equal(d[0], d[1]);
    assert_true(strcmp(d[0], d[2]) != 0); /* another seed, another day */
    for (int k = 0; k < 3; k++)
        free(d[k]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ears_alerts_tasks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_simulate_all_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_simulate_none_closed, setup, teardown),
        cmocka_unit_test(test_simulate_same_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
