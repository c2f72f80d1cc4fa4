/* stats: serial interval, Rt (Cori et al. 2013) against EpiEstim 2.2.4, projection, incidence. */
#include "zn_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>

#include "stats/gamma_quantile.h"
#include "stats/stats_int.h"
#include "zhinao/stats.h"

/* A small reader for the reference CSVs (header + numbers, "NA" -> NAN, no quoting). */
typedef struct ref {
    size_t nrow, ncol;
    char head[16][32];
    double v[1024][16];
} ref;

static ref *ref_read(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s", zn_test_src(rel));
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    ref *r = calloc(1, sizeof *r);
    char line[4096];
    assert_non_null(fgets(line, sizeof line, f));
    line[strcspn(line, "\r\n")] = 0;
    for (char *save = NULL, *tok = strtok_r(line, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        snprintf(r->head[r->ncol++], 32, "%s", tok);
    while (fgets(line, sizeof line, f) && r->nrow < 1024) {
        line[strcspn(line, "\r\n")] = 0;
        if (!*line)
            continue;
        size_t c = 0;
        for (char *save = NULL, *tok = strtok_r(line, ",", &save); tok && c < 16; tok = strtok_r(NULL, ",", &save), c++)
            r->v[r->nrow][c] = strcmp(tok, "NA") ? strtod(tok, NULL) : NAN;
        r->nrow++;
    }
    fclose(f);
    return r;
}

static size_t col(const ref *r, const char *name)
{
    for (size_t c = 0; c < r->ncol; c++)
        if (!strcmp(r->head[c], name))
            return c;
    fail_msg("no column %s", name);
    return 0;
}

static void incidence(const char *rel, const char *colname, double **I, size_t *T)
{
    ref *r = ref_read(rel);
    size_t c = col(r, colname);
    *T = r->nrow;
    *I = malloc(r->nrow * sizeof **I);
    for (size_t i = 0; i < r->nrow; i++)
        (*I)[i] = r->v[i][c];
    free(r);
}

static void test_discr_si(void **state)
{
    (void)state;
    ref *r = ref_read("tests/data/stats/si_distr_discretised.csv");
    double w[64];
    assert_int_equal(zn_si_discretise(2.6, 1.5, r->nrow, w, NULL), ZN_OK);
    double sum = 0;
    for (size_t k = 0; k < r->nrow; k++) {
        assert_double_near(w[k], r->v[k][1], 1e-9);
        sum += w[k];
    }
    assert_double_near(w[0], 0, 0);
    assert_double_near(sum, 1, 1e-6);
    zn_error e;
    assert_int_equal(zn_si_discretise(1.0, 1.5, 4, w, &e), ZN_EINVAL);
    assert_int_equal(zn_si_discretise(2.6, 0, 4, w, &e), ZN_EINVAL);
    free(r);
}

/* every column of an EpiEstim R table within tol */
static void check_table(const zn_rt_result *res, const ref *r, double tol)
{
    assert_int_equal(res->n_rows, r->nrow);
    const char *qn[ZN_RT_NQ] = {"q0025", "q005", "q025", "median", "q075", "q095", "q0975"};
    for (size_t i = 0; i < r->nrow; i++) {
        const zn_rt_row *row = &res->rows[i];
        assert_int_equal(row->t_start, (size_t)r->v[i][col(r, "t_start")]);
        assert_int_equal(row->t_end, (size_t)r->v[i][col(r, "t_end")]);
        double m = r->v[i][col(r, "mean")];
        if (isnan(m)) {
            assert_true(isnan(row->mean) && isnan(row->sd) && isnan(row->q[0]));
            continue;
        }
        assert_double_near(row->mean, m, tol);
        assert_double_near(row->sd, r->v[i][col(r, "std")], tol);
        for (int q = 0; q < ZN_RT_NQ; q++)
            assert_double_near(row->q[q], r->v[i][col(r, qn[q])], tol);
    }
}

static void test_rt_parametric_flu2009(void **state)
{
    (void)state;
    double *I;
    size_t T;
    incidence("tests/data/stats/flu2009_incidence.csv", "I", &I, &T);
    assert_int_equal(T, 32);
    zn_rt_result res;
    assert_int_equal(zn_rt_estimate_parametric(I, T, 2.6, 1.5, NULL, &res, NULL), ZN_OK);
    /* the shared reference (mean, sd, 2.5%, median, 97.5%) ... */
    ref *r = ref_read("tests/data/stats/epiestim_flu2009_parametric_si.csv");
    assert_int_equal(res.n_rows, 25);
    for (size_t i = 0; i < r->nrow; i++) {
        assert_int_equal(res.rows[i].t_start, (size_t)r->v[i][0]);
        assert_int_equal(res.rows[i].t_end, (size_t)r->v[i][1]);
        assert_double_near(res.rows[i].mean, r->v[i][2], 1e-6);
        assert_double_near(res.rows[i].sd, r->v[i][3], 1e-6);
        assert_double_near(res.rows[i].q[0], r->v[i][4], 1e-6);
        assert_double_near(res.rows[i].q[3], r->v[i][5], 1e-6);
        assert_double_near(res.rows[i].q[6], r->v[i][6], 1e-6);
    }
    free(r);
    /* ... and all eleven columns */
    r = ref_read("tests/data/stats/epiestim_flu2009_parametric_full.csv");
    check_table(&res, r, 1e-6);
    free(r);
    /* the SI used is discr_si(0..T-1) padded to T+1 */
    assert_int_equal(res.n_si, T + 1);
    assert_double_near(res.si[T], 0, 0);
    zn_rt_result_fini(&res);
    free(I);
}

static void test_rt_nonparametric(void **state)
{
    (void)state;
    double *I, *si;
    size_t T, nsi;
    incidence("tests/data/stats/flu2009_incidence.csv", "I", &I, &T);
    incidence("tests/data/stats/flu2009_si_distr.csv", "p", &si, &nsi);
    size_t ts[32], te[32], nw = T - 14; /* t_start = 2..T-13, t_end = t_start + 13 */
    for (size_t i = 0; i < nw; i++) {
        ts[i] = i + 2;
        te[i] = i + 15;
    }
    zn_rt_config cfg;
    zn_rt_config_default(&cfg);
    cfg.t_start = ts;
    cfg.t_end = te;
    cfg.n_windows = nw;
    zn_rt_result res;
    assert_int_equal(zn_rt_estimate(I, T, si, nsi, &cfg, &res, NULL), ZN_OK);
    ref *r = ref_read("tests/data/stats/epiestim_flu2009_nonparametric_w14.csv");
    check_table(&res, r, 1e-6);
    free(r);
    zn_rt_result_fini(&res);
    free(I);
    free(si);

    /* Measles 1861: long SI, so the first windows (t_end <= mean SI) are NA as in EpiEstim */
    incidence("tests/data/stats/measles1861_incidence.csv", "I", &I, &T);
    incidence("tests/data/stats/measles1861_si_distr.csv", "p", &si, &nsi);
    zn_error e;
    zn_status s = zn_rt_estimate(I, T, si, nsi, NULL, &res, &e);
    if (s)
        fail_msg("%s", e.msg);
    r = ref_read("tests/data/stats/epiestim_measles1861_nonparametric.csv");
    check_table(&res, r, 1e-6);
    assert_true(isnan(res.rows[0].mean));
    assert_true(res.si_mean > 8 && res.si_mean < 15);
    free(r);
    zn_rt_result_fini(&res);
    free(I);
    free(si);
}

static void test_rt_hand(void **state)
{
    (void)state;
    /* w = (0, 1): Lambda_t = I_{t-1}. I = 1,2,4,8; window 2 (t 2..3 and 3..4), prior mean 5 sd 5
     * (a = 1, b = 5). Window 2..3: shape 1 + 2 + 4 = 7, rate 1/5 + 1 + 2 = 3.2 -> mean 7/3.2. */
    double I[] = {1, 2, 4, 8}, w[] = {0, 1};
    zn_rt_config cfg;
    zn_rt_config_default(&cfg);
    cfg.window = 2;
    zn_rt_result res;
    assert_int_equal(zn_rt_estimate(I, 4, w, 2, &cfg, &res, NULL), ZN_OK);
    assert_int_equal(res.n_rows, 2); /* t_start = 2..T-window+1 */
    assert_int_equal(res.rows[0].t_start, 2);
    assert_int_equal(res.rows[0].t_end, 3);
    assert_double_near(res.rows[0].shape, 7, 1e-12);
    assert_double_near(res.rows[0].scale, 1 / 3.2, 1e-12);
    assert_double_near(res.rows[0].mean, 7 / 3.2, 1e-12);
    assert_double_near(res.rows[0].sd, sqrt(7) / 3.2, 1e-12);
    /* window 3..4: shape 1 + 4 + 8 = 13, rate 1/5 + 2 + 4 = 6.2 */
    assert_double_near(res.rows[1].mean, 13 / 6.2, 1e-12);
    /* the median of a gamma(13, 1/6.2) lies between the mode (12/6.2) and the mean */
    assert_true(res.rows[1].q[3] > 12 / 6.2 && res.rows[1].q[3] < 13 / 6.2);
    assert_double_near(res.lambda[1], 1, 0);
    assert_double_near(res.lambda[3], 4, 0);
    zn_rt_result_fini(&res);
}

/* Large counts: GSL's gamma inversion does not converge for shapes of ~1e5; the quantiles must still
 * be right (checked through the CDF). */
static void test_rt_large(void **state)
{
    (void)state;
    double I[40];
    for (int t = 0; t < 40; t++)
        I[t] = 20000 + 500 * t;
    zn_rt_result res;
    assert_int_equal(zn_rt_estimate_parametric(I, 40, 3.0, 2.0, NULL, &res, NULL), ZN_OK);
    for (size_t i = 0; i < res.n_rows; i++) {
        const zn_rt_row *r = &res.rows[i];
        assert_true(r->shape > 1e5);
        for (int q = 0; q < ZN_RT_NQ; q++)
            if (fabs(gsl_cdf_gamma_P(r->q[q], r->shape, r->scale) - zn_rt_quantile_p[q]) > 1e-7) /* x within ~1e-9 */
                fail_msg("window %zu q %d shape %g: %.17g P %.17g", i, q, r->shape, r->q[q], gsl_cdf_gamma_P(r->q[q], r->shape, r->scale));
        assert_true(r->q[0] < r->q[3] && r->q[3] < r->q[6]);
    }
    zn_rt_result_fini(&res);
}

/* discr_si written out with no shortcut (the library stops once both CDFs are exactly 1). */
static double pg0(double x, double a, double b)
{
    return x <= 0 ? 0.0 : gsl_cdf_gamma_P(x, a, b);
}

static void test_discr_si_tail(void **state)
{
    (void)state;
    const double ms[][2] = {{2.6, 1.5}, {3.0, 2.0}, {6.5, 4.0}, {1.2, 0.1}, {15, 9}};
    enum { N = 400 };
    double w[N];
    for (size_t j = 0; j < sizeof ms / sizeof ms[0]; j++) {
        assert_int_equal(zn_si_discretise(ms[j][0], ms[j][1], N, w, NULL), ZN_OK);
        double mu = ms[j][0] - 1, a = (mu / ms[j][1]) * (mu / ms[j][1]), b = ms[j][1] * ms[j][1] / mu;
        size_t nonzero = 0;
        for (size_t i = 0; i < N; i++) {
            double k = (double)i;
            double r = k * pg0(k, a, b) + (k - 2) * pg0(k - 2, a, b) - 2 * (k - 1) * pg0(k - 1, a, b);
            r += a * b * (2 * pg0(k - 1, a + 1, b) - pg0(k - 2, a + 1, b) - pg0(k, a + 1, b));
            r = r > 0 ? r : 0.0;
            if (w[i] != r) /* bit for bit */
                fail_msg("si %g/%g: w_%zu = %.17g, formula %.17g", ms[j][0], ms[j][1], i, w[i], r);
            nonzero += w[i] > 0;
        }
        assert_true(nonzero > 2);
        assert_double_near(w[N - 1], 0, 0);
    }
}

/* Reference quantile: bisection on log x to the last bit on gsl_cdf_gamma_P (lower half) or
 * gsl_cdf_gamma_Q (upper half). (gsl_cdf_gamma_Pinv fails for shapes ~0.01 and ~1e5 and is off by
 * up to ~4e-10 relative for shapes of ~2e4: e.g. shape 17486.786, p 0.975.) */
static double qref(double p, double a)
{
    double lo = log(1e-300), hi = log(a + 60 * sqrt(a) + 60);
    for (int i = 0; i < 400; i++) {
        double m = 0.5 * (lo + hi);
        if (!(m > lo && m < hi))
            break;
        double g = p < 0.5 ? gsl_cdf_gamma_P(exp(m), a, 1) - p : (1 - p) - gsl_cdf_gamma_Q(exp(m), a, 1);
        if (g < 0)
            lo = m;
        else
            hi = m;
    }
    return exp(0.5 * (lo + hi));
}

static void test_gamma_quantiles(void **state)
{
    (void)state;
    gsl_set_error_handler_off(); /* gsl_cdf_gamma_Pinv fails on some of these shapes */
    double z[ZN_RT_NQ];
    for (int q = 0; q < ZN_RT_NQ; q++)
        z[q] = gsl_cdf_ugaussian_Pinv(zn_rt_quantile_p[q]);
    const double scales[] = {1, 0.00137, 250};
    size_t n = 0, nfast = 0;
    double worst = 0;
    /* tiny shapes (GSL's own inversion), both sides of the switch at 10, then up to 1e5 */
    const double extra[] = {0.01, 0.0147327, 0.1, 0.5, 1, 9.999, 10, 10.001, 11};
    for (int g = 0; g < (int)(sizeof extra / sizeof extra[0]) + 120; g++) {
        double a = g < (int)(sizeof extra / sizeof extra[0]) ? extra[g]
                                                              : 0.5 * pow(2e5, (g - 9) / 119.0); /* 0.5 .. 1e5 */
        double want[ZN_RT_NQ];
        for (int q = 0; q < ZN_RT_NQ; q++)
            want[q] = qref(zn_rt_quantile_p[q], a);
        for (size_t s = 0; s < sizeof scales / sizeof scales[0]; s++) {
            double x[ZN_RT_NQ];
            zn__gamma_quantiles(a, scales[s], ZN_RT_NQ, zn_rt_quantile_p, z, x);
            for (int q = 0; q < ZN_RT_NQ; q++) {
                double r = want[q] * scales[s];
                double e = fabs(x[q] - r) / r;
                if (!(e <= 1e-10))
                    fail_msg("shape %.17g scale %g p %g: %.17g, reference %.17g (rel %g)", a, scales[s],
                             zn_rt_quantile_p[q], x[q], r, e);
                /* GSL's own inversion, where it converges, to its own accuracy (it stops early for
                 * tiny shapes: 2.5e-7 relative at shape 0.0147) */
                double pinv = gsl_cdf_gamma_Pinv(zn_rt_quantile_p[q], a, scales[s]);
                if (a >= 0.5 && isfinite(pinv))
                    assert_double_near(x[q] / pinv, 1, a < 1000 ? 1e-10 : 1e-9);
                /* and through the CDF: |F(x) - p| within what a 1e-10 relative error in x moves it */
                double y = x[q] / scales[s], p = zn_rt_quantile_p[q];
                double F = p < 0.5 ? gsl_cdf_gamma_P(y, a, 1) - p : (1 - p) - gsl_cdf_gamma_Q(y, a, 1);
                if (!(fabs(F) <= 1e-10 * y * gsl_ran_gamma_pdf(y, a, 1) + 1e-14 * p))
                    fail_msg("shape %.17g p %g: F(x) - p = %g", a, p, F);
                worst = e > worst ? e : worst;
                n++;
                nfast += a >= ZN__GQ_MIN_SHAPE;
            }
        }
    }
    assert_true(nfast > n / 2); /* most of the grid goes through the fast path */
    assert_true(worst < 1e-10);
    /* a single probability, an integer shape and a small scale like a real window's */
    double x1, p1 = 0.5, z1 = 0;
    zn__gamma_quantiles(28001, 1e-4, 1, &p1, &z1, &x1);
    assert_double_near(x1 / (qref(0.5, 28001) * 1e-4), 1, 1e-10);
}

/* zn__qgamma (Farrington / Noufaily thresholds) at every shape, tiny ones included: the quantile x
 * must give back p through GSL's CDF (lower tail below the median, upper above, so that neither
 * loses its relative precision). Before the fix, shape 0.01 at p 0.025 returned a value whose
 * CDF was far from 0.025 (gsl_cdf_gamma_Pinv fails there and a linear bisection stopped early). */
static void test_qgamma_every_shape(void **state)
{
    (void)state;
    zn__gsl_quiet();
    const double shapes[] = {0.01, 0.015, 0.05, 0.3, 1, 3.7, 9.9, 10, 55, 2e4};
    const double ps[] = {0.001, 0.025, 0.5, 0.975, 0.999};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (size_t j = 0; j < sizeof ps / sizeof ps[0]; j++) {
            double a = shapes[i], p = ps[j], scale = 2.5;
            double x = zn__qgamma(p, a, scale);
            assert_true(x > 0 && isfinite(x));
            double back = p < 0.5 ? gsl_cdf_gamma_P(x, a, scale) : gsl_cdf_gamma_Q(x, a, scale);
            double want = p < 0.5 ? p : 1 - p;
            if (fabs(back / want - 1) > 1e-8)
                fail_msg("shape %g p %g: x %.17g gives %.17g, want %.17g", a, p, x, back, want);
        }
}

/* A short series with the parametric SI: discr_si(0..T-1) is truncated (sums to < 1 at T = 10)
 * and, as in EpiEstim's parametric_si, used without renormalising. The posterior of each window
 * is recomputed here from the Cori et al. formulas; a 3-day series is refused as too short for a
 * 7-day window (field "window"), not for its serial interval. */
static void test_rt_parametric_short(void **state)
{
    (void)state;
    double I[10], w[10];
    for (int t = 0; t < 10; t++)
        I[t] = 3 + t;
    zn_error e;
    assert_int_equal(zn_si_discretise(3.0, 2.0, 10, w, &e), ZN_OK);
    double sum = 0;
    for (int k = 0; k < 10; k++)
        sum += w[k];
    assert_true(sum < 0.99); /* truncated: zn_rt_estimate would refuse it */
    zn_rt_result res;
    assert_int_equal(zn_rt_estimate_parametric(I, 10, 3.0, 2.0, NULL, &res, &e), ZN_OK);
    assert_int_equal(res.n_rows, 3); /* windows 2..8, 3..9, 4..10 */
    for (size_t r = 0; r < res.n_rows; r++) {
        int ts = (int)r + 2, te = ts + 6;
        double a = 1, lam = 0; /* prior mean 5, sd 5: shape 1, scale 5 */
        for (int t = ts; t <= te; t++) {
            a += I[t - 1];
            for (int k = 1; k < t; k++)
                lam += w[k] * I[t - 1 - k];
        }
        double b = 1 / (1 / 5.0 + lam);
        assert_double_near(res.rows[r].mean, a * b, 1e-12 * a * b);
    }
    zn_rt_result_fini(&res);
    assert_int_equal(zn_rt_estimate_parametric(I, 3, 3.0, 2.0, NULL, &res, &e), ZN_EINVAL);
    assert_string_equal(e.field, "window");
}

static void test_rt_errors(void **state)
{
    (void)state;
    double I[] = {1, 2, -1, 8}, w[] = {0, 0.5, 0.5}, bad[] = {0.1, 0.9};
    zn_error e;
    zn_rt_result res;
    assert_int_equal(zn_rt_estimate(I, 4, w, 3, NULL, &res, &e), ZN_EINVAL); /* negative count */
    double J[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    assert_int_equal(zn_rt_estimate(J, 9, bad, 2, NULL, &res, &e), ZN_EINVAL); /* w_0 != 0 */
    double w2[] = {0, 0.5, 0.3};
    assert_int_equal(zn_rt_estimate(J, 9, w2, 3, NULL, &res, &e), ZN_EINVAL); /* sums to 0.8 */
    assert_int_equal(zn_rt_estimate(J, 7, w, 3, NULL, &res, &e), ZN_EINVAL);  /* too short for 7 */
    size_t ts[] = {1}, te[] = {3};
    zn_rt_config cfg;
    zn_rt_config_default(&cfg);
    cfg.t_start = ts;
    cfg.t_end = te;
    cfg.n_windows = 1;
    assert_int_equal(zn_rt_estimate(J, 9, w, 3, &cfg, &res, &e), ZN_EINVAL); /* t_start < 2 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discr_si),
        cmocka_unit_test(test_rt_parametric_flu2009),
        cmocka_unit_test(test_rt_nonparametric),
        cmocka_unit_test(test_rt_hand),
        cmocka_unit_test(test_rt_large),
        cmocka_unit_test(test_rt_errors),
        cmocka_unit_test(test_discr_si_tail),
        cmocka_unit_test(test_gamma_quantiles),
        cmocka_unit_test(test_qgamma_every_shape),
        cmocka_unit_test(test_rt_parametric_short),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
