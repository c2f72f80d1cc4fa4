/* stats: early-warning detectors against R surveillance 1.20.3 (salmonella.agona, last 100 weeks),
 * and CIDARS's moving-percentile method by hand. */
#include "zn_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhinao/stats.h"

#define NWEEK 312
#define FIRST 212 /* surveillance range 213:312 */

static double obs[NWEEK];

static void load_input(void)
{
    FILE *f = fopen(zn_test_src("tests/data/stats/salmonella_agona_input.csv"), "r");
    assert_non_null(f);
    char line[256];
    assert_non_null(fgets(line, sizeof line, f));
    int t, y, w, o, n = 0;
    while (fscanf(f, "%d,%d,%d,%d", &t, &y, &w, &o) == 4) {
        assert_int_equal(t, n + 1);
        obs[n++] = o;
    }
    fclose(f);
    assert_int_equal(n, NWEEK);
}

/* Expected alarm (-1 NA) and bound (NAN for NA) of one method from a reference file. */
static int load_ref(const char *rel, const char *method, int *alarm, double *ub)
{
    FILE *f = fopen(zn_test_src(rel), "r");
    assert_non_null(f);
    char line[512];
    int n = 0;
    assert_non_null(fgets(line, sizeof line, f));
    while (fgets(line, sizeof line, f)) {
        char *save = NULL, *m = strtok_r(line, ",", &save);
        if (strcmp(m, method))
            continue;
        int t = atoi(strtok_r(NULL, ",", &save));
        double o = strtod(strtok_r(NULL, ",", &save), NULL);
        char *a = strtok_r(NULL, ",", &save), *u = strtok_r(NULL, ",\r\n", &save);
        assert_int_equal(t, FIRST + 1 + n);
        assert_double_near(o, obs[t - 1], 0);
        alarm[n] = strcmp(a, "NA") ? atoi(a) : -1;
        ub[n] = strcmp(u, "NA") ? strtod(u, NULL) : NAN;
        n++;
    }
    fclose(f);
    return n;
}

static void compare(const char *rel, const char *method, const double *ub, const int *alarm)
{
    int ea[NWEEK];
    double eu[NWEEK];
    int n = load_ref(rel, method, ea, eu);
    assert_int_equal(n, NWEEK - FIRST);
    int nalarm = 0;
    for (int i = 0; i < n; i++) {
        int t = FIRST + i;
        if (alarm[t] != ea[i] || (isnan(eu[i]) != isnan(ub[t])) || (!isnan(eu[i]) && fabs(ub[t] - eu[i]) > 1e-6))
            fail_msg("%s week %d: alarm %d (R %d), bound %.12g (R %.12g)", method, t + 1, alarm[t], ea[i], ub[t], eu[i]);
        nalarm += ea[i] == 1;
    }
    for (int t = 0; t < FIRST; t++)
        assert_true(isnan(ub[t]) && alarm[t] == -1);
    print_message("%s: %d alarms, all bounds within 1e-6\n", method, nalarm);
}

static void test_ears(void **state)
{
    (void)state;
    double ub[NWEEK];
    int alarm[NWEEK];
    const char *names[] = {"ears_C1", "ears_C2", "ears_C3"};
    for (int m = 1; m <= 3; m++) {
        zn_ears_params p;
        zn_ears_params_default(&p, (zn_ears_method)m);
        assert_int_equal(zn_ears(obs, NWEEK, FIRST, &p, ub, alarm, NULL), ZN_OK);
        compare("tests/data/stats/surveillance_salmonella_agona.csv", names[m - 1], ub, alarm);
    }
    /* hand check of C1 at one week: mean + qnorm(0.999) sd of the 7 weeks before */
    zn_ears_params p;
    zn_ears_params_default(&p, ZN_EARS_C1);
    double x[] = {1, 2, 3, 4, 5, 6, 7, 100};
    assert_int_equal(zn_ears(x, 8, 7, &p, ub, alarm, NULL), ZN_OK);
    assert_double_near(ub[7], 4 + 3.090232306167813 * sqrt(28.0 / 6), 1e-9);
    assert_int_equal(alarm[7], 1);
    zn_error e;
    assert_int_equal(zn_ears(x, 8, 6, &p, ub, alarm, &e), ZN_EINVAL); /* too short */
}

static void test_cusum(void **state)
{
    (void)state;
    double ub[NWEEK], cs[NWEEK];
    int alarm[NWEEK];
    zn_cusum_params p;
    zn_cusum_params_default(&p);
    assert_int_equal(zn_cusum(obs, NWEEK, FIRST, &p, ub, alarm, cs, NULL), ZN_OK);
    compare("tests/data/stats/surveillance_cusum_salmonella_agona.csv", "cusum_standard", ub, alarm);
    p.trans = ZN_CUSUM_ROSSI;
    assert_int_equal(zn_cusum(obs, NWEEK, FIRST, &p, ub, alarm, cs, NULL), ZN_OK);
    compare("tests/data/stats/surveillance_cusum_salmonella_agona.csv", "cusum_rossi", ub, alarm);
    p.trans = ZN_CUSUM_ANSCOMBE;
    assert_int_equal(zn_cusum(obs, NWEEK, FIRST, &p, ub, alarm, cs, NULL), ZN_OK);
    compare("tests/data/stats/surveillance_cusum_salmonella_agona.csv", "cusum_anscombe", ub, alarm);
    /* by hand: m = 4, k = 1.04, h = 2.26; x = 10 -> z = 3, S = 1.96 (no alarm); x = 10 again ->
     * S = 3.92 >= 2.26 (alarm); bound at the second: ceiling(2 (2.26 + 1.04 - 1.96) + 4) = 7 */
    double x[] = {4, 4, 4, 4, 10, 10};
    zn_cusum_params_default(&p);
    assert_int_equal(zn_cusum(x, 6, 4, &p, ub, alarm, cs, NULL), ZN_OK);
    assert_double_near(cs[4], 1.96, 1e-12);
    assert_int_equal(alarm[4], 0);
    assert_double_near(cs[5], 3.92, 1e-12);
    assert_int_equal(alarm[5], 1);
    assert_double_near(ub[5], 7, 0);
    assert_double_near(ub[4], ceil(2 * 3.3 + 4), 0);
}

static void test_farrington(void **state)
{
    (void)state;
    double ub[NWEEK];
    int alarm[NWEEK];
    zn_farrington_params p;
    zn_farrington_params_default(&p);
    p.b = 3;
    p.alpha = 0.01;
    zn_error e;
    zn_status s = zn_farrington(obs, NWEEK, FIRST, &p, ub, alarm, &e);
    if (s)
        fail_msg("%s", e.msg);
    compare("tests/data/stats/surveillance_salmonella_agona.csv", "farrington_b3_w3_a0.01", ub, alarm);
}

static void test_farrington_flexible(void **state)
{
    (void)state;
    double ub[NWEEK];
    int alarm[NWEEK];
    zn_farrington_params p;
    zn_error e;
    zn_farrington_params_flexible(&p);
    zn_status s = zn_farrington(obs, NWEEK, FIRST, &p, ub, alarm, &e);
    if (s)
        fail_msg("%s", e.msg);
    compare("tests/data/stats/surveillance_salmonella_agona.csv", "farringtonFlexible_farrington", ub, alarm);
    zn_farrington_params_noufaily(&p);
    s = zn_farrington(obs, NWEEK, FIRST, &p, ub, alarm, &e);
    if (s)
        fail_msg("%s", e.msg);
    compare("tests/data/stats/surveillance_salmonella_agona.csv", "farringtonFlexible_noufaily", ub, alarm);
    /* not enough history for b = 4 years */
    assert_int_equal(zn_farrington(obs, NWEEK, 100, &p, ub, alarm, &e), ZN_EINVAL);
}

static void test_cidars(void **state)
{
    (void)state;
    /* 4 years of daily counts from 2019-01-01: day i has i % 5 cases, so every 7-day block sums to
     * one of a few values; then an excess in the last week. */
    enum { N = 365 * 3 + 366 + 10 }; /* 2019..2022 (2020 is leap) + 10 days */
    static double x[N], ub[N];
    static int alarm[N];
    for (int i = 0; i < N; i++)
        x[i] = i % 5;
    int64_t day0 = 17897; /* 2019-01-01 */
    zn_cidars_params p;
    zn_cidars_params_default(&p);
    assert_int_equal(zn_cidars(x, N, day0, &p, ub, alarm, NULL), ZN_OK);
    /* the first day with 3 full earlier years of history (and 2 blocks before the same date):
     * nothing before 2022-01-15 */
    assert_true(isnan(ub[0]) && alarm[0] == -1);
    assert_true(isnan(ub[365 * 3]));
    /* last day: 2023-01-10 is day index N-1. Its 15 baseline blocks, by hand: block sums of i % 5
     * over 7 consecutive days are 10 + (the two days that wrap) ... computed here directly */
    int d = N - 1;
    double base[15];
    int m = 0;
    int64_t ends[3] = {d - 365, d - 365 - 365, d - 365 - 365 - 366}; /* 2022-01-10, 2021-01-10, 2020-01-10 */
    for (int y = 0; y < 3; y++)
        for (int j = -2; j <= 2; j++) {
            double s = 0;
            for (int i = (int)ends[y] + 7 * j - 6; i <= ends[y] + 7 * j; i++)
                s += i % 5;
            base[m++] = s;
        }
    /* sort and take the 80th percentile (type 7): position 0.8 * 14 = 11.2 */
    for (int i = 0; i < 15; i++)
        for (int j = i + 1; j < 15; j++)
            if (base[j] < base[i]) {
                double t = base[i];
                base[i] = base[j];
                base[j] = t;
            }
    double thr = base[11] + 0.2 * (base[12] - base[11]);
    assert_double_near(ub[d], thr, 1e-12);
    double cur = 0;
    for (int i = d - 6; i <= d; i++)
        cur += x[i];
    assert_int_equal(alarm[d], cur > thr);
    /* an excess of 10 cases on the last day signals */
    x[d] += 10;
    assert_int_equal(zn_cidars(x, N, day0, &p, ub, alarm, NULL), ZN_OK);
    assert_int_equal(alarm[d], 1);
    /* the threshold does not depend on the current week */
    assert_double_near(ub[d], thr, 1e-12);
    p.percentile = 1.5;
    zn_error e;
    assert_int_equal(zn_cidars(x, N, day0, &p, ub, alarm, &e), ZN_EINVAL);
}

int main(void)
{
    load_input();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ears),
        cmocka_unit_test(test_cusum),
        cmocka_unit_test(test_farrington),
        cmocka_unit_test(test_farrington_flexible),
        cmocka_unit_test(test_cidars),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
