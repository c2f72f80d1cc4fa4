/* loop: routing (division → community → grid, 协查 to another city), listing, and the on-time
 * metrics by division level, grid and template, against a hand-computed scenario. */
#include "zn_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhinao/loop.h"
#include "zhinao/store.h"

#define T0 1678070000 /* 2023-03-06 10:33:20 +08:00 */
#define H 3600

typedef struct fx {
    zn_ctx *ctx;
    zn_store *st;
    zn_loop *lp;
    int64_t instr;
} fx;

static void die(zn_status rc, const zn_error *err)
{
    if (rc != ZN_OK) {
        char b[700];
        fprintf(stderr, "%s\n", zn_error_format(err, b, sizeof b));
    }
    assert_int_equal(rc, ZN_OK);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    zn_error err;
    die(zn_ctx_new(&f->ctx), NULL);
    zn_ctx_set_now(f->ctx, T0);
    die(zn_store_open(f->ctx, ":memory:", &f->st, &err), &err);
    /* a small registry: Zhejiang / Hangzhou / Xihu / Beishan street / two communities; Ningbo */
    die(zn_store_exec(f->st,
                      "INSERT INTO division(edition, code, level, name, parent_code) VALUES"
                      " (2023,'330000000000',1,'浙江省',NULL),"
                      " (2023,'330100000000',2,'杭州市','330000000000'),"
                      " (2023,'330106000000',3,'西湖区','330100000000'),"
                      " (2023,'330106001000',4,'北山街道','330106000000'),"
                      " (2023,'330106001001',5,'A社区','330106001000'),"
                      " (2023,'330106001002',5,'B社区','330106001000'),"
                      " (2023,'330200000000',2,'宁波市','330000000000'),"
                      " (2023,'330203000000',3,'海曙区','330200000000'),"
                      " (2023,'330203001000',4,'X街道','330203000000'),"
                      " (2023,'330203001001',5,'Y社区','330203001000')",
                      &err),
        &err);
    die(zn_loop_open(f->st, zn_test_src("data"), &f->lp, &err), &err);
    die(zn_loop_grid_put(f->st, "G-A1", "330106001001", "A grid 1", "worker-a1", &err), &err);
    die(zn_loop_grid_put(f->st, "G-A2", "330106001001", "A grid 2", "worker-a2", &err), &err);
    die(zn_loop_grid_put(f->st, "G-B1", "330106001002", "B grid 1", NULL, &err), &err);
    die(zn_loop_grid_place_put(f->st, "G-A1", "compound-1", &err), &err);
    die(zn_loop_grid_place_put(f->st, "G-A2", "compound-2", &err), &err);
    zn_loop_instruction in = {.issuer = "hz-command", .issuer_unit = "3301", .reason = "outbreak 2023-03"};
    die(zn_loop_instruct(f->lp, &in, &f->instr, &err), &err);
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

static void route(fx *f, const char *code, const char *place, const char *grid, const char *issuer, zn_loop_route *r)
{
    zn_loop_where w = {.division_code = code, .place_key = place, .grid_id = grid};
    zn_error err;
    die(zn_loop_route_where(f->lp, &w, issuer, r, &err), &err);
}

static void test_routing(void **state)
{
    fx *f = *state;
    zn_loop_route r;
    route(f, "330106001001", "compound-2", NULL, NULL, &r);
    assert_string_equal(r.assignee_kind, "grid");
    assert_string_equal(r.assignee, "G-A2");
    assert_string_equal(r.division_code, "330106001001");
    /* two grids, no place: the community itself */
    route(f, "330106001001", NULL, NULL, NULL, &r);
    assert_string_equal(r.assignee_kind, "division");
    assert_string_equal(r.assignee, "330106001001");
    assert_string_equal(r.grid_id, "");
    route(f, "330106001001", "compound-9", NULL, NULL, &r);
    assert_string_equal(r.assignee, "330106001001");
    /* one grid: that grid */
    route(f, "330106001002", NULL, NULL, NULL, &r);
    assert_string_equal(r.assignee, "G-B1");
    /* a township (9 digits) */
    route(f, "330106001", NULL, NULL, NULL, &r);
    assert_string_equal(r.assignee_kind, "division");
    assert_string_equal(r.assignee, "330106001000");
    /* a known grid */
    route(f, NULL, NULL, "G-A1", NULL, &r);
    assert_string_equal(r.assignee, "G-A1");
    assert_string_equal(r.division_code, "330106001001");
    /* 协查: Hangzhou command, person living in Ningbo */
    route(f, "330203001001", NULL, NULL, "3301", &r);
    assert_int_equal(r.transfer, 1);
    route(f, "330106001002", NULL, NULL, "330100000000", &r);
    assert_int_equal(r.transfer, 0);
    route(f, "330203001001", NULL, NULL, "33", &r); /* a provincial command: same province */
    assert_int_equal(r.transfer, 0);
    zn_loop_where bad = {.division_code = "330999"};
    zn_error err;
    assert_int_equal(zn_loop_route_where(f->lp, &bad, NULL, &r, &err), ZN_ENOTFOUND);
    zn_loop_where nogrid = {.grid_id = "G-ZZ"};
    assert_int_equal(zn_loop_route_where(f->lp, &nogrid, NULL, &r, &err), ZN_ENOTFOUND);
    zn_loop_where nothing = {0};
    assert_int_equal(zn_loop_route_where(f->lp, &nothing, NULL, &r, &err), ZN_EINVAL);
    assert_int_equal(zn_loop_grid_place_put(f->st, "G-ZZ", "c", &err), ZN_ENOTFOUND);
}

static zn_loop_act A = {.actor = "someone"};

static void at(fx *f, int64_t t) { zn_ctx_set_now(f->ctx, t); }

static void mv(fx *f, int64_t id, zn_task_state to)
{
    zn_error err;
    die(zn_loop_move(f->lp, id, to, &A, &err), &err);
}

static int64_t issue_where(fx *f, const char *tpl, const char *code, const char *place, const char *grid, int64_t *child)
{
    zn_loop_task_spec sp = {.instruction_id = f->instr, .template_id = tpl, .where = {code, place, grid}};
    int64_t id, c;
    zn_error err;
    die(zn_loop_issue(f->lp, &sp, &A, &id, &c, &err), &err);
    if (child)
        *child = c;
    return id;
}

static void close_at(fx *f, int64_t id, int64_t reported, int64_t closed)
{
    at(f, reported);
    mv(f, id, ZN_TASK_RECEIVED);
    mv(f, id, ZN_TASK_REPORTED);
    at(f, closed);
    mv(f, id, ZN_TASK_VERIFIED);
    mv(f, id, ZN_TASK_CLOSED);
}

static void test_transfer_flow(void **state)
{
    fx *f = *state;
    zn_error err;
    int64_t child = 0;
    int64_t orig = issue_where(f, "epi.quarantine_transfer", "330203001001", NULL, NULL, &child);
    assert_true(child > orig);
    zn_loop_task o, c;
    die(zn_loop_task_get(f->lp, orig, &o, &err), &err);
    die(zn_loop_task_get(f->lp, child, &c, &err), &err);
    assert_int_equal(o.state, ZN_TASK_TRANSFERRED);
    assert_int_equal(o.transferred_to, child);
    assert_string_equal(o.assignee, "330100000000");
    assert_int_equal(c.state, ZN_TASK_ISSUED);
    assert_int_equal(c.parent_id, orig);
    assert_string_equal(c.assignee, "330203001001");
    assert_int_equal(c.created_at, T0);
    assert_int_equal(c.deadline, T0 + 8 * H);
    /* the original's ladder is parked, the transfer has its own */
    assert_int_equal(zn_loop_tick(f->st, T0 + 100 * H, NULL, &err), ZN_OK);
    int64_t n;
    char q[200];
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM loop_escalation WHERE task_id = %lld", (long long)orig);
    die(zn_store_query_int64(f->st, q, &n, &err), &err);
    assert_int_equal(n, 0);
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM loop_escalation WHERE task_id = %lld", (long long)child);
    die(zn_store_query_int64(f->st, q, &n, &err), &err);
    assert_int_equal(n, 3);
    /* Ningbo's supervision goes to the level above its community, from the registry */
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM loop_escalation WHERE task_id = %lld AND rung = 'supervision'"
                          " AND notify_unit = '330203001000'", (long long)child);
    die(zn_store_query_int64(f->st, q, &n, &err), &err);
    assert_int_equal(n, 1);
    /* closing the transfer closes the original */
    close_at(f, child, T0 + 3 * H, T0 + 4 * H);
    die(zn_loop_task_get(f->lp, orig, &o, &err), &err);
    assert_int_equal(o.state, ZN_TASK_CLOSED);
    assert_int_equal(o.ended_at, T0); /* it ended (for its city) when it was handed over */
    zn_task_state rs;
    die(zn_loop_replay(f->lp, orig, &rs, &err), &err);
    assert_int_equal(rs, ZN_TASK_CLOSED);

    /* an explicit transfer of a Hangzhou task to Ningbo, sent back, then done at home */
    int64_t t = issue_where(f, "epi.verify_signal", "330106001002", NULL, NULL, NULL);
    zn_loop_where w = {.division_code = "330203"};
    int64_t ch;
    die(zn_loop_transfer(f->lp, t, &w, &A, &ch, &err), &err);
    die(zn_loop_task_get(f->lp, ch, &c, &err), &err);
    assert_string_equal(c.assignee, "330203000000");
    assert_string_equal(c.template_id, "epi.verify_signal");
    mv(f, ch, ZN_TASK_CANCELLED);
    mv(f, t, ZN_TASK_RETURNED);
    die(zn_loop_task_get(f->lp, t, &o, &err), &err);
    assert_int_equal(o.transferred_to, 0);
    assert_int_equal(o.ended_at, 0);
}

/* The scenario of the hand-computed metrics (see the comments for each task). */
static int64_t scenario(fx *f)
{
    zn_error err;
    at(f, T0);
    int64_t t1 = issue_where(f, "epi.seal_unit", "330106001001", "compound-1", NULL, NULL); /* G-A1 */
    int64_t t2 = issue_where(f, "epi.seal_unit", "330106001001", "compound-2", NULL, NULL); /* G-A2 */
    zn_loop_task_spec sp = {.instruction_id = f->instr, .template_id = "epi.seal_unit", .assignee_kind = "division",
                            .assignee = "330106001002"};
    int64_t t3, t4, t7;
    die(zn_loop_issue(f->lp, &sp, &A, &t3, NULL, &err), &err);
    die(zn_loop_issue(f->lp, &sp, &A, &t4, NULL, &err), &err);
    sp.assignee = "330106001001";
    die(zn_loop_issue(f->lp, &sp, &A, &t7, NULL, &err), &err);
    at(f, T0 + 1 * H);
    int64_t t5 = issue_where(f, "epi.verify_signal", "330203001001", NULL, NULL, NULL); /* Ningbo: a transfer */
    at(f, T0 + 40 * H);
    int64_t t6 = issue_where(f, "epi.verify_signal", "330203001001", NULL, NULL, NULL);
    at(f, T0 + 2 * H);
    int64_t t8c;
    issue_where(f, "epi.seal_unit", "330203001001", NULL, NULL, &t8c);
    at(f, T0 - 10 * H);
    int64_t t9 = issue_where(f, "epi.seal_unit", NULL, NULL, "G-A1", NULL);
    at(f, T0 + 50 * H);
    issue_where(f, "epi.seal_unit", NULL, NULL, "G-A1", NULL); /* after the range */

    close_at(f, t1, T0 + 1 * H, T0 + 1 * H + 1800);         /* on time, 1.5 h */
    close_at(f, t2, T0 + 3 * H, T0 + 4 * H);                /* late, 4 h */
    close_at(f, t3, T0 + 1 * H + 1800, T0 + 2 * H);         /* on time, 2 h */
    at(f, T0 + 1 * H);
    mv(f, t4, ZN_TASK_RECEIVED);                            /* open, overdue */
    mv(f, t7, ZN_TASK_CANCELLED);
    /* t5 was a transfer: its Ningbo task is the one that is closed */
    zn_loop_task t;
    die(zn_loop_task_get(f->lp, t5, &t, &err), &err);
    close_at(f, t.transferred_to, T0 + 20 * H, T0 + 26 * H); /* on time, 25 h */
    (void)t6;                                                 /* open, not overdue */
    (void)t8c;                                                /* open, overdue */
    close_at(f, t9, T0 - 9 * H, T0 + 1 * H);                  /* on time, 11 h */
    return t4;
}

static zn_loop_metrics_row *metrics(fx *f, const char *prefix, int level, int by_tpl, const char *tpl, int64_t from,
                                    int64_t to, size_t *n)
{
    zn_loop_metrics_query q = {.from = from, .to = to, .division_prefix = prefix, .group_level = level,
                               .by_template = by_tpl, .template_id = tpl};
    zn_loop_metrics_row *rows;
    zn_error err;
    die(zn_loop_metrics(f->st, &q, &rows, n, &err), &err);
    return rows;
}

static void row_eq(const zn_loop_metrics_row *r, int64_t issued, int64_t closed, int64_t on_time, int64_t cancelled,
                   int64_t transferred, int64_t backlog, int64_t overdue, double median, double p90)
{
    assert_int_equal(r->issued, issued);
    assert_int_equal(r->closed, closed);
    assert_int_equal(r->on_time, on_time);
    assert_int_equal(r->cancelled, cancelled);
    assert_int_equal(r->transferred, transferred);
    assert_int_equal(r->backlog, backlog);
    assert_int_equal(r->overdue, overdue);
    if (closed) {
        assert_double_near(r->on_time_rate, (double)on_time / (double)closed, 1e-12);
        assert_double_near(r->median_close_s, median, 1e-9);
        assert_double_near(r->p90_close_s, p90, 1e-9);
    } else {
        assert_true(isnan(r->on_time_rate) && isnan(r->median_close_s) && isnan(r->p90_close_s));
    }
}

/*
 * The scenario, range [T0, T0 + 48 h):
 *   t1  seal  G-A1        issued T0, reported +1 h, closed +1.5 h       on time, 5,400 s
 *   t2  seal  G-A2        issued T0, reported +3 h, closed +4 h         late, 14,400 s
 *   t3  seal  B (div)     issued T0, reported +1.5 h, closed +2 h       on time, 7,200 s
 *   t4  seal  B (div)     issued T0, received, open                     overdue (deadline +2 h)
 *   t7  seal  A (div)     issued T0, cancelled +1 h
 *   t5  verify → Ningbo   issued +1 h, transferred; its Ningbo task reported +20 h, closed +26 h:
 *                         on time (deadline +25 h), 90,000 s
 *   t6  verify → Ningbo   issued +40 h, transferred; Ningbo task open (deadline +64 h)
 *   t8  seal → Ningbo     issued +2 h, transferred; Ningbo task open, overdue (deadline +4 h)
 *   t9  seal  G-A1        issued −10 h, reported −9 h, closed +1 h      on time, 39,600 s
 *   t10 seal  G-A1        issued +50 h (after the range)
 * Durations 5,400 7,200 14,400 39,600 90,000: median 14,400; p90 (type 7) = x[3] + 0.6 (x[4] −
 * x[3]) = 39,600 + 0.6 × 50,400 = 69,840.
 */
static void test_metrics(void **state)
{
    fx *f = *state;
    int64_t t4 = scenario(f);
    const int64_t R0 = T0, R1 = T0 + 48 * H;
    size_t n;
    zn_loop_metrics_row *r = metrics(f, "33", 1, 0, NULL, R0, R1, &n);
    assert_int_equal(n, 1);
    assert_string_equal(r[0].division, "330000000000");
    row_eq(&r[0], 11, 5, 4, 1, 3, 3, 2, 14400, 69840);
    free(r);

    /* cities: Hangzhou keeps the originals of its transfers, Ningbo does the work */
    r = metrics(f, "33", 2, 0, NULL, R0, R1, &n);
    assert_int_equal(n, 2);
    assert_string_equal(r[0].division, "330100000000");
    row_eq(&r[0], 8, 4, 3, 1, 3, 1, 1, (7200 + 14400) / 2.0, 14400 + 0.7 * (39600 - 14400));
    assert_string_equal(r[1].division, "330200000000");
    row_eq(&r[1], 3, 1, 1, 0, 0, 2, 1, 90000, 90000);
    free(r);

    /* counties of Hangzhou: the city-level originals roll up to "330100" */
    r = metrics(f, "3301", 3, 0, NULL, R0, R1, &n);
    assert_int_equal(n, 2);
    assert_string_equal(r[0].division, "330100000000");
    row_eq(&r[0], 3, 0, 0, 0, 3, 0, 0, 0, 0);
    assert_string_equal(r[1].division, "330106000000");
    row_eq(&r[1], 5, 4, 3, 1, 0, 1, 1, (7200 + 14400) / 2.0, 14400 + 0.7 * (39600 - 14400));
    free(r);

    /* grids of community A */
    r = metrics(f, "330106001001", 6, 0, NULL, R0, R1, &n);
    assert_int_equal(n, 3);
    assert_string_equal(r[0].grid_id, "");
    row_eq(&r[0], 1, 0, 0, 1, 0, 0, 0, 0, 0);
    assert_string_equal(r[1].grid_id, "G-A1");
    row_eq(&r[1], 1, 2, 2, 0, 0, 0, 0, (5400 + 39600) / 2.0, 5400 + 0.9 * (39600 - 5400));
    assert_string_equal(r[2].grid_id, "G-A2");
    row_eq(&r[2], 1, 1, 0, 0, 0, 0, 0, 14400, 14400);
    free(r);

    /* by template */
    r = metrics(f, "33", 1, 1, NULL, R0, R1, &n);
    assert_int_equal(n, 2);
    assert_string_equal(r[0].template_id, "epi.seal_unit");
    row_eq(&r[0], 7, 4, 3, 1, 1, 2, 2, (7200 + 14400) / 2.0, 14400 + 0.7 * (39600 - 14400));
    assert_string_equal(r[1].template_id, "epi.verify_signal");
    row_eq(&r[1], 4, 1, 1, 0, 2, 1, 0, 90000, 90000);
    free(r);
    r = metrics(f, NULL, 0, 0, "epi.verify_signal", R0, R1, &n);
    assert_int_equal(n, 1);
    assert_string_equal(r[0].division, "");
    row_eq(&r[0], 4, 1, 1, 0, 2, 1, 0, 90000, 90000);
    free(r);

    /* other ranges */
    r = metrics(f, "33", 1, 0, NULL, T0 + 30 * H, R1, &n);
    assert_int_equal(n, 1);
    row_eq(&r[0], 2, 0, 0, 0, 1, 3, 2, 0, 0);
    free(r);
    r = metrics(f, "33", 1, 0, NULL, T0 - 24 * H, T0, &n);
    assert_int_equal(n, 1);
    row_eq(&r[0], 1, 0, 0, 0, 0, 1, 1, 0, 0);
    free(r);
    r = metrics(f, "44", 1, 0, NULL, R0, R1, &n); /* nothing in Guangdong */
    assert_int_equal(n, 0);
    assert_null(r);

    zn_loop_metrics_query bad = {.from = R0, .to = R1, .group_level = 7};
    zn_error err;
    assert_int_equal(zn_loop_metrics(f->st, &bad, &r, &n, &err), ZN_EINVAL);
    bad.group_level = 1;
    bad.division_prefix = "33a";
    assert_int_equal(zn_loop_metrics(f->st, &bad, &r, &n, &err), ZN_EINVAL);

    /* listing */
    zn_loop_task *v;
    zn_loop_filter fl = {.assignee = "G-A1", .open_only = 1};
    die(zn_loop_list(f->lp, &fl, &v, &n, &err), &err);
    assert_int_equal(n, 1); /* t10 */
    assert_int_equal(v[0].created_at, T0 + 50 * H);
    free(v);
    at(f, R1);
    zn_loop_filter od = {.overdue_only = 1};
    die(zn_loop_list(f->lp, &od, &v, &n, &err), &err);
    assert_int_equal(n, 2);
    assert_int_equal(v[0].id, t4);
    assert_string_equal(v[1].division_code, "330203001001");
    free(v);
    zn_loop_filter nb = {.division_prefix = "3302"};
    die(zn_loop_list(f->lp, &nb, &v, &n, &err), &err);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(v[i].parent_id != 0, 1);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_routing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transfer_flow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
