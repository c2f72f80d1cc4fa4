/* stats: incidence helpers (cumulative -> daily, moving averages, doubling time), projection,
 * CSV series input. Hand-computed values. */
#include "zn_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zhinao/stats.h"

static void test_from_cumulative(void **state)
{
    (void)state;
    /* cumulative 3, 5, 4 (a correction of -1), 8, NAN (not reported), 10 */
    double cum[] = {3, 5, 4, 8, NAN, 10}, out[6];
    size_t nneg;
    double adj;
    assert_int_equal(zn_incidence_from_cumulative(cum, 6, ZN_DIFF_CARRY_FORWARD, out, &nneg, &adj, NULL), ZN_OK);
    double fwd[] = {3, 2, 0, 3, 0, 2}; /* the -1 is taken from day 4 (4 -> 3) */
    for (int i = 0; i < 6; i++)
        assert_double_near(out[i], fwd[i], 0);
    assert_int_equal(nneg, 1);
    assert_double_near(adj, 1, 0);
    assert_int_equal(zn_incidence_from_cumulative(cum, 6, ZN_DIFF_CARRY_BACK, out, &nneg, &adj, NULL), ZN_OK);
    double back[] = {3, 1, 0, 4, 0, 2}; /* the -1 is taken back from day 2 */
    for (int i = 0; i < 6; i++)
        assert_double_near(out[i], back[i], 0);
    assert_int_equal(zn_incidence_from_cumulative(cum, 6, ZN_DIFF_CLAMP, out, &nneg, &adj, NULL), ZN_OK);
    double clamp[] = {3, 2, 0, 4, 0, 2};
    for (int i = 0; i < 6; i++)
        assert_double_near(out[i], clamp[i], 0);
    /* totals: carry forward and back keep the final cumulative value */
    double big[] = {10, 10, 2, 5}; /* -8 on day 3 */
    assert_int_equal(zn_incidence_from_cumulative(big, 4, ZN_DIFF_CARRY_BACK, out, &nneg, &adj, NULL), ZN_OK);
    assert_double_near(out[0], 2, 0); /* 10 - 8 */
    assert_double_near(out[0] + out[1] + out[2] + out[3], 5, 0);
    zn_error e;
    assert_int_equal(zn_incidence_from_cumulative(big, 4, (zn_diff_policy)9, out, NULL, NULL, &e), ZN_EINVAL);
}

static void test_moving_average(void **state)
{
    (void)state;
    double x[] = {1, 2, 3, 4, 5, 6, 7}, out[7];
    assert_int_equal(zn_moving_average(x, 7, 3, ZN_SMOOTH_TRAILING, out, NULL), ZN_OK);
    assert_true(isnan(out[0]) && isnan(out[1]));
    assert_double_near(out[2], 2, 1e-12);
    assert_double_near(out[6], 6, 1e-12);
    assert_int_equal(zn_moving_average(x, 7, 3, ZN_SMOOTH_CENTERED, out, NULL), ZN_OK);
    assert_true(isnan(out[0]) && isnan(out[6]));
    assert_double_near(out[1], 2, 1e-12);
    assert_double_near(out[5], 6, 1e-12);
    assert_int_equal(zn_moving_average(x, 7, 4, ZN_SMOOTH_CENTERED, out, NULL), ZN_OK);
    assert_double_near(out[1], 2.5, 1e-12); /* days 0..3 */
    assert_true(isnan(out[5]));
    zn_error e;
    assert_int_equal(zn_moving_average(x, 7, 0, ZN_SMOOTH_TRAILING, out, &e), ZN_EINVAL);
}

static void test_doubling(void **state)
{
    (void)state;
    /* exact doubling every 3 days: x = 5 * 2^(t/3) */
    double x[12];
    for (int t = 0; t < 12; t++)
        x[t] = 5 * pow(2, t / 3.0);
    zn_doubling d;
    assert_int_equal(zn_doubling_time(x, 12, 2, 10, &d, NULL), ZN_OK);
    assert_double_near(d.rate, log(2) / 3, 1e-12);
    assert_double_near(d.time, 3, 1e-9);
    assert_int_equal(d.n_used, 10);
    /* noisy halving: log-linear fit by hand for x = 16, 8, 4, 0 (skipped), 1 at t = 0,1,2,4 */
    double y[] = {16, 8, 4, 0, 1};
    assert_int_equal(zn_doubling_time(y, 5, 0, 5, &d, NULL), ZN_OK);
    assert_int_equal(d.n_used, 4);
    assert_double_near(d.rate, -log(2), 1e-12); /* the points are exactly on log2 = 4 - t */
    assert_double_near(d.time, -1, 1e-12);
    assert_true(d.time_lo <= d.time && d.time <= d.time_hi);
    zn_error e;
    assert_int_equal(zn_doubling_time(y, 5, 3, 2, &d, &e), ZN_EINVAL); /* 2 points */
}

static void test_projection(void **state)
{
    (void)state;
    /* w = (0, 0.5, 0.5), I = 10, 10; R ~ gamma(shape 1e6, scale 2e-6): R = 2 almost surely.
     * expected: day 3 = 2 (0.5*10 + 0.5*10) = 20; day 4 = 2 (0.5*20 + 0.5*10) = 30;
     * day 5 = 2 (0.5*30 + 0.5*20) = 50 */
    double I[] = {10, 10}, w[] = {0, 0.5, 0.5};
    zn_projection p;
    assert_int_equal(zn_rt_project(I, 2, w, 3, 1e6, 2e-6, 3, 2000, 0.95, 42, &p, NULL), ZN_OK);
    assert_double_near(p.expected[0], 20, 1e-9);
    assert_double_near(p.expected[1], 30, 1e-9);
    assert_double_near(p.expected[2], 50, 1e-9);
    /* day 3 is Poisson(20) given the data: mean close to 20, interval around it */
    assert_true(fabs(p.mean[0] - 20) < 0.5);
    assert_true(p.lo[0] <= p.median[0] && p.median[0] <= p.hi[0]);
    assert_true(p.lo[0] >= 8 && p.lo[0] <= 13 && p.hi[0] >= 28 && p.hi[0] <= 32);
    /* the same seed gives the same numbers */
    zn_projection q;
    assert_int_equal(zn_rt_project(I, 2, w, 3, 1e6, 2e-6, 3, 2000, 0.95, 42, &q, NULL), ZN_OK);
    assert_memory_equal(p.hi, q.hi, 3 * sizeof(double));
    zn_projection_fini(&p);
    zn_projection_fini(&q);
    zn_error e;
    assert_int_equal(zn_rt_project(I, 2, w, 3, 0, 1, 3, 10, 0.95, 1, &p, &e), ZN_EINVAL);
}

static void test_series_csv(void **state)
{
    (void)state;
    const char *csv = "date,district,new_confirmed,new_asymptomatic\n"
                      "20220319,A,8,\n"
                      "20220319,B,,36\n"
                      "20220321,A,1,2\n"
                      "20220321,B,,\n";
    const char *path = zn_test_write_file("sh.csv", csv, strlen(csv));
    zn_series_spec spec = {.group_col = "district", .value_cols = "new_confirmed,new_asymptomatic"};
    zn_series *s;
    size_t n;
    zn_error e;
    assert_int_equal(zn_series_read_csv(path, &spec, &s, &n, &e), ZN_OK);
    assert_int_equal(n, 2);
    assert_string_equal(s[0].group, "A");
    assert_int_equal(s[0].n, 3); /* 19, 20 (no row: 0), 21 */
    assert_double_near(s[0].value[0], 8, 0);
    assert_double_near(s[0].value[1], 0, 0);
    assert_double_near(s[0].value[2], 3, 0);
    assert_string_equal(s[0].label[2], "2022-03-21");
    assert_double_near(s[1].value[0], 36, 0);
    assert_double_near(s[1].value[2], 0, 0);
    assert_int_equal(s[0].is_daily, 1);
    zn_series_free(s, n);

    const char *cum = "date,province,city,confirmed\n"
                      "2020-01-20,P,,5\n"
                      "2020-01-20,P,X,2\n"
                      "2020-01-22,P,X,6\n"
                      "2020-01-23,P,X,5\n"
                      "2020-01-24,P,X,9\n";
    path = zn_test_write_file("cum.csv", cum, strlen(cum));
    zn_series_spec c2 = {.group_col = "city", .value_cols = "confirmed", .skip_empty_col = "city",
                         .filter = "province=P", .cumulative = 1, .policy = ZN_DIFF_CARRY_FORWARD};
    assert_int_equal(zn_series_read_csv(path, &c2, &s, &n, &e), ZN_OK);
    assert_int_equal(n, 1);
    assert_string_equal(s[0].group, "X");
    assert_int_equal(s[0].n, 5);
    double want[] = {2, 0, 4, 0, 3}; /* 2, (gap: 2), 6, 5 (-1), 9 (+4 - 1 carried) */
    for (int i = 0; i < 5; i++)
        assert_double_near(s[0].value[i], want[i], 0);
    assert_int_equal(s[0].n_negative, 1);
    zn_series_free(s, n);

    /* since/until on a cumulative series: differenced first, then cut (day 2020-01-22 gets 6 - 2) */
    c2.since = "2020-01-22";
    c2.until = "20200123";
    assert_int_equal(zn_series_read_csv(path, &c2, &s, &n, &e), ZN_OK);
    assert_int_equal(s[0].n, 2);
    assert_double_near(s[0].value[0], 4, 0);
    assert_double_near(s[0].value[1], 0, 0);
    assert_string_equal(s[0].label[0], "2020-01-22");
    zn_series_free(s, n);

    const char *bad = "date,I\n2020-01-01,3\n2020-02-30,1\n";
    path = zn_test_write_file("bad.csv", bad, strlen(bad));
    assert_int_equal(zn_series_read_csv(path, NULL, &s, &n, &e), ZN_EPARSE);
    assert_int_equal(e.line, 3);
    assert_string_equal(e.field, "date");
    assert_int_equal(zn_series_read_csv("/nonexistent/x.csv", NULL, &s, &n, &e), ZN_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_from_cumulative),
        cmocka_unit_test(test_moving_average),
        cmocka_unit_test(test_doubling),
        cmocka_unit_test(test_projection),
        cmocka_unit_test(test_series_csv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
