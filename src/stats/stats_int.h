/* Private helpers of the stats module (src/stats/). Not for other modules. */
#ifndef ZN_STATS_INT_H
#define ZN_STATS_INT_H

#include <stddef.h>

#include "zhinao/stats.h"

/* Quasi-Poisson log-linear GLM fitted as R's glm.fit does (IRLS from mustart = y + 0.1, stop when
 * |dev - devold|/(|dev| + 0.1) < 1e-8, at most 25 iterations; the working weights, and so the
 * covariance, hat values and dispersion, are those of the last iteration, as in R), with what
 * summary.glm, predict.glm and hatvalues give. X is row-major n x p, p <= ZN__GLM_PMAX, column 0
 * the intercept. Each weighted least-squares step solves the normal equations of the centred and
 * scaled design by Cholesky (R uses a QR: same fitted values to rounding, 4x fewer flops). */
#define ZN__GLM_PMAX 16
typedef struct zn__glm_ws zn__glm_ws; /* scratch reused across fits */

zn__glm_ws *zn__glm_ws_new(size_t nmax);
void zn__glm_ws_free(zn__glm_ws *ws);

typedef struct zn__glm {
    size_t n, p;
    int converged;
    /* The model is fitted on the columns centred (all but the intercept, column 0) and scaled:
     * xt_j = (x_j - center_j)/scale_j. beta and cov_unscaled are in that parametrisation (the
     * coefficient of a non-intercept column is beta_j/scale_j in the original one; t values and
     * p-values are the same); zn__glm_predict takes original rows. */
    double center[ZN__GLM_PMAX], scale[ZN__GLM_PMAX];
    double beta[ZN__GLM_PMAX];
    double cov_unscaled[ZN__GLM_PMAX * ZN__GLM_PMAX]; /* (Xt'WXt)^-1, row-major p x p */
    double dispersion; /* summary.glm: sum(W r^2)/(n - p), r = working residuals; NAN when n == p */
    const double *mu;  /* fitted means (n values inside the workspace, valid until the next fit) */
    const double *hat; /* hat values (n values inside the workspace) */
} zn__glm;

/* Fit; prior (n) are prior weights (> 0) or NULL for 1. Returns 0, or -1 when rank deficient or
 * n > the workspace size. */
int zn__glm_fit(zn__glm_ws *ws, const double *X, const double *y, const double *prior, size_t n, size_t p,
                zn__glm *g);

/* Linear predictor x0'beta and its standard error sqrt(dispersion x0' C x0). */
void zn__glm_predict(const zn__glm *g, const double *x0, double dispersion, double *eta, double *se_eta);

/* Two-sided p-value of coefficient j in summary.glm for a quasi family with the given dispersion:
 * 2 pt(-|t|, n - p), t = beta_j / sqrt(dispersion C_jj). */
double zn__glm_pvalue(const zn__glm *g, size_t j, double dispersion);

/* R's qnbinom(p, size, prob) and qpois(p, lambda) for the Noufaily bound: the smallest x with
 * P(X <= x) >= p (with R's 64-epsilon fuzz), searched on GSL's CDFs. */
double zn__qnbinom(double p, double size, double prob);
double zn__qpois(double p, double lambda);

/* Switch GSL's error handler off (its default handler aborts the process); every public stats
 * function calls it first and reports failures through its own return codes. */
void zn__gsl_quiet(void);

/* Gamma quantile (shape, scale) at probability p. For shape >= 10 (and where GSL's
 * gsl_cdf_gamma_Pinv fails to converge, as it does for large shapes): Newton steps on GSL's
 * gsl_cdf_gamma_P / gsl_ran_gamma_pdf from the Wilson-Hilferty approximation, safeguarded by
 * bisection (2-3 CDF evaluations instead of Pinv's ~5); below, gsl_cdf_gamma_Pinv. */
double zn__qgamma(double p, double shape, double scale);

/* Sample mean and sd (n - 1) of x[0..n-1]. */
void zn__mean_sd(const double *x, size_t n, double *mean, double *sd);

#endif
