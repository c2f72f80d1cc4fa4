/*
 * A quasi-Poisson GLM with log link fitted the way R's stats::glm.fit fits it (R 4.2), so that the
 * Farrington detectors give surveillance's numbers: same starting values, same IRLS steps, same
 * stopping rule, and the weights/QR of the last iteration for the covariance, hat values and
 * dispersion (summary.glm, hatvalues, predict.glm). Least squares by Householder QR (GSL).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>

#include "stats/gamma_quantile.h"
#include "stats/stats_int.h"

struct zn__glm_ws {
    size_t nmax;
    double *A;   /* nmax x PMAX: the centred and scaled design */
    double *b, *res, *eta, *mu, *w, *z, *hat, *coefold;
    unsigned char *nz; /* nmax x PMAX: indices of the non-zero columns of each row */
    unsigned char *nnz; /* nmax: their number */
    double tau[ZN__GLM_PMAX], x[ZN__GLM_PMAX];
};

zn__glm_ws *zn__glm_ws_new(size_t nmax)
{
    zn__glm_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return NULL;
    ws->nmax = nmax;
    ws->A = malloc(nmax * ZN__GLM_PMAX * sizeof(double));
    ws->nz = malloc((nmax ? nmax : 1) * ZN__GLM_PMAX);
    ws->nnz = malloc(nmax ? nmax : 1);
    double **v[] = {&ws->b, &ws->res, &ws->eta, &ws->mu, &ws->w, &ws->z, &ws->hat};
    int ok = ws->A && ws->nz && ws->nnz;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        *v[i] = malloc((nmax ? nmax : 1) * sizeof(double));
        ok = ok && *v[i];
    }
    if (!ok) {
        zn__glm_ws_free(ws);
        return NULL;
    }
    return ws;
}

void zn__glm_ws_free(zn__glm_ws *ws)
{
    if (!ws)
        return;
    free(ws->A);
    free(ws->nz);
    free(ws->nnz);
    free(ws->b);
    free(ws->res);
    free(ws->eta);
    free(ws->mu);
    free(ws->w);
    free(ws->z);
    free(ws->hat);
    free(ws);
}

/* log link: linkinv and mu.eta are both pmax(exp(eta), .Machine$double.eps) */
static double linkinv(double eta)
{
    double m = exp(eta);
    return m > DBL_EPSILON ? m : DBL_EPSILON;
}

static double deviance(const double *y, const double *mu, const double *wt, size_t n)
{
    double d = 0;
    for (size_t i = 0; i < n; i++) {
        double r = y[i] * log(y[i] == 0 ? 1.0 : y[i] / mu[i]) - (y[i] - mu[i]);
        d += 2 * (wt ? wt[i] : 1.0) * r;
    }
    return d;
}

/* Weighted least squares of z on the transformed design Xt (in ws->A) with weights w^2, by the
 * normal equations and Cholesky (the columns are centred and scaled, so X'WX is well conditioned;
 * the fitted values, and so every IRLS step, are those of R's QR solution to rounding).
 * Coefficients into ws->x, the Cholesky factor into L. Returns -1 when not positive definite. */
static int wls(zn__glm_ws *ws, size_t n, size_t p, double *L)
{
    double rhs[ZN__GLM_PMAX] = {0};
    memset(L, 0, p * p * sizeof *L);
    for (size_t i = 0; i < n; i++) { /* rows are sparse (indicator columns): skip zeros */
        const double *x = ws->A + i * p;
        const unsigned char *nz = ws->nz + i * ZN__GLM_PMAX;
        size_t m = ws->nnz[i];
        double wi = ws->w[i] * ws->w[i], zi = ws->z[i] * wi;
        for (size_t u = 0; u < m; u++) {
            size_t a = nz[u];
            double xa = x[a] * wi;
            for (size_t v = 0; v <= u; v++)
                L[a * p + nz[v]] += xa * x[nz[v]];
            rhs[a] += x[a] * zi;
        }
    }
    for (size_t a = 0; a < p; a++)
        for (size_t c = a + 1; c < p; c++)
            L[a * p + c] = L[c * p + a];
    double d0[ZN__GLM_PMAX];
    for (size_t a = 0; a < p; a++)
        d0[a] = L[a * p + a];
    gsl_matrix_view Lv = gsl_matrix_view_array(L, p, p);
    if (gsl_linalg_cholesky_decomp1(&Lv.matrix))
        return -1;
    for (size_t a = 0; a < p; a++) /* pivot collapse = (near) collinear column */
        if (!(L[a * p + a] * L[a * p + a] > 1e-11 * d0[a]))
            return -1;
    gsl_vector_view bv = gsl_vector_view_array(rhs, p), xv = gsl_vector_view_array(ws->x, p);
    if (gsl_linalg_cholesky_solve(&Lv.matrix, &bv.vector, &xv.vector))
        return -1;
    return 0;
}

int zn__glm_fit(zn__glm_ws *ws, const double *X, const double *y, const double *prior, size_t n, size_t p,
                zn__glm *g)
{
    memset(g, 0, sizeof *g);
    if (n > ws->nmax || p == 0 || p > ZN__GLM_PMAX || n < p)
        return -1;
    g->n = n;
    g->p = p;
    /* centre and scale the columns after the intercept (column 0 must be the intercept) */
    for (size_t j = 0; j < p; j++) {
        double c = 0, ss = 0;
        int indicator = 1; /* 0/1 columns (and the intercept) are left as they are: keeps rows sparse */
        for (size_t i = 0; i < n && indicator; i++)
            indicator = X[i * p + j] == 0 || X[i * p + j] == 1;
        if (indicator) {
            g->center[j] = 0;
            g->scale[j] = 1;
            for (size_t i = 0; i < n; i++)
                ws->A[i * p + j] = X[i * p + j];
            continue;
        }
        if (j > 0) {
            for (size_t i = 0; i < n; i++)
                c += X[i * p + j];
            c /= (double)n;
        }
        for (size_t i = 0; i < n; i++)
            ss += (X[i * p + j] - c) * (X[i * p + j] - c);
        double sc = sqrt(ss / (double)n);
        if (!(sc > 0))
            return -1; /* constant column besides the intercept: rank deficient */
        g->center[j] = c;
        g->scale[j] = sc;
        for (size_t i = 0; i < n; i++)
            ws->A[i * p + j] = (X[i * p + j] - c) / sc;
    }
    const double *Xt = ws->A;
    for (size_t i = 0; i < n; i++) {
        unsigned char m = 0;
        for (size_t a = 0; a < p; a++)
            if (Xt[i * p + a] != 0)
                ws->nz[i * ZN__GLM_PMAX + m++] = (unsigned char)a;
        ws->nnz[i] = m;
    }
    double L[ZN__GLM_PMAX * ZN__GLM_PMAX];
    double *eta = ws->eta, *mu = ws->mu;
    double start[ZN__GLM_PMAX] = {0}, coefold[ZN__GLM_PMAX];
    int have_old = 0;
    for (size_t i = 0; i < n; i++) {
        eta[i] = log(y[i] + 0.1); /* poisson()$initialize: mustart <- y + 0.1 */
        mu[i] = linkinv(eta[i]);
    }
    double devold = deviance(y, mu, prior, n), dev = devold;
    int conv = 0;
    for (int iter = 1; iter <= 25; iter++) {
        for (size_t i = 0; i < n; i++) {
            double me = linkinv(eta[i]); /* mu.eta */
            ws->z[i] = eta[i] + (y[i] - mu[i]) / me;
            ws->w[i] = sqrt((prior ? prior[i] : 1.0) * me * me / mu[i]);
        }
        if (wls(ws, n, p, L))
            return -1;
        for (size_t j = 0; j < p; j++) {
            if (!isfinite(ws->x[j]))
                return -1;
            start[j] = ws->x[j];
        }
        for (size_t i = 0; i < n; i++) {
            double e = 0;
            for (size_t u = 0; u < ws->nnz[i]; u++) {
                size_t j = ws->nz[i * ZN__GLM_PMAX + u];
                e += Xt[i * p + j] * start[j];
            }
            eta[i] = e;
            mu[i] = linkinv(e);
        }
        dev = deviance(y, mu, prior, n);
        int halvings = 0;
        while (!isfinite(dev)) { /* glm.fit: step size truncated due to divergence */
            if (!have_old || ++halvings > 25)
                return -1;
            for (size_t j = 0; j < p; j++)
                start[j] = (start[j] + coefold[j]) / 2;
            for (size_t i = 0; i < n; i++) {
                double e = 0;
                for (size_t j = 0; j < p; j++)
                    e += Xt[i * p + j] * start[j];
                eta[i] = e;
                mu[i] = linkinv(e);
            }
            dev = deviance(y, mu, prior, n);
        }
        if (fabs(dev - devold) / (fabs(dev) + 0.1) < 1e-8) {
            conv = 1;
            break;
        }
        devold = dev;
        memcpy(coefold, start, sizeof start);
        have_old = 1;
    }
    g->converged = conv;
    memcpy(g->beta, start, p * sizeof(double));
    /* (X'WX)^-1 with the weights of the last iteration, in the transformed parametrisation */
    gsl_matrix_view Lv = gsl_matrix_view_array(L, p, p);
    if (gsl_linalg_cholesky_invert(&Lv.matrix))
        return -1;
    memcpy(g->cov_unscaled, L, p * p * sizeof *L);
    /* residuals (y - mu)/mu.eta(eta) with the final eta; weights w^2 of the last iteration */
    double ss = 0;
    for (size_t i = 0; i < n; i++) {
        double r = (y[i] - mu[i]) / linkinv(eta[i]);
        ss += ws->w[i] * ws->w[i] * r * r;
        /* hat value: w_i^2 x_i' C x_i */
        const double *x = Xt + i * p;
        const unsigned char *nz = ws->nz + i * ZN__GLM_PMAX;
        size_t m = ws->nnz[i];
        double q = 0;
        for (size_t u = 0; u < m; u++) {
            double t = 0;
            for (size_t v = 0; v < m; v++)
                t += g->cov_unscaled[nz[u] * p + nz[v]] * x[nz[v]];
            q += x[nz[u]] * t;
        }
        ws->hat[i] = ws->w[i] * ws->w[i] * q;
    }
    g->dispersion = n > p ? ss / (double)(n - p) : NAN;
    g->mu = mu;
    g->hat = ws->hat;
    return 0;
}

void zn__glm_predict(const zn__glm *g, const double *x0, double dispersion, double *eta, double *se_eta)
{
    size_t p = g->p;
    double xt[ZN__GLM_PMAX];
    for (size_t a = 0; a < p; a++)
        xt[a] = (x0[a] - g->center[a]) / g->scale[a];
    double e = 0, q = 0;
    for (size_t a = 0; a < p; a++) {
        e += xt[a] * g->beta[a];
        double t = 0;
        for (size_t b = 0; b < p; b++)
            t += g->cov_unscaled[a * p + b] * xt[b];
        q += xt[a] * t;
    }
    *eta = e;
    *se_eta = sqrt(q * dispersion);
}

double zn__glm_pvalue(const zn__glm *g, size_t j, double dispersion)
{
    if (g->n <= g->p)
        return NAN;
    double se = sqrt(dispersion * g->cov_unscaled[j * g->p + j]);
    double t = g->beta[j] / se;
    return 2 * gsl_cdf_tdist_P(-fabs(t), (double)(g->n - g->p));
}

/* R's discrete quantile search (qDiscrete_search): smallest x with P(X <= x) >= p(1 - 64 eps). */
static double qdiscrete(double p, double mean, double sd, double (*cdf)(double, const double *), const double *par)
{
    if (!(p > 0))
        return 0;
    if (p >= 1)
        return INFINITY;
    double pf = p * (1 - 64 * DBL_EPSILON);
    /* bracket: cdf(lo) < pf <= cdf(hi), lo = -1 meaning "below 0" */
    double x = floor(mean - 3 * sd), lo, hi, step = sd > 1 ? ceil(sd) : 1;
    if (!(x >= 0))
        x = 0;
    if (cdf(x, par) >= pf) {
        hi = x;
        lo = x - step;
        while (lo >= 0 && cdf(lo, par) >= pf) {
            hi = lo;
            step *= 2;
            lo -= step;
        }
        if (lo < 0)
            lo = -1;
    } else {
        lo = x;
        hi = x + step;
        while (cdf(hi, par) < pf) {
            lo = hi;
            step *= 2;
            hi += step;
        }
    }
    while (hi - lo > 1) {
        double mid = floor((lo + hi) / 2);
        if (mid >= 0 && cdf(mid, par) >= pf)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

static double cdf_nb(double x, const double *par)
{
    return gsl_cdf_negative_binomial_P((unsigned)x, par[1], par[0]);
}

static double cdf_pois(double x, const double *par)
{
    return gsl_cdf_poisson_P((unsigned)x, par[0]);
}

double zn__qnbinom(double p, double size, double prob)
{
    double par[2] = {size, prob};
    double mean = size * (1 - prob) / prob, sd = sqrt(size * (1 - prob)) / prob;
    return qdiscrete(p, mean, sd, cdf_nb, par);
}

double zn__qpois(double p, double lambda)
{
    double par[1] = {lambda};
    return qdiscrete(p, lambda, sqrt(lambda), cdf_pois, par);
}

void zn__gsl_quiet(void)
{
    gsl_set_error_handler_off();
}

/* Newton steps on gsl_cdf_gamma_P from the Wilson-Hilferty approximation, safeguarded by a
 * bisection bracket; stops when a step is below 1e-9 of x (the next would be below ~1e-16). */
static double qgamma_newton(double p, double shape, double scale)
{
    double mean = shape * scale, sd = sqrt(shape) * scale;
    double lo = mean - 40 * sd, hi = mean + 40 * sd;
    if (lo < 0)
        lo = 0;
    double c = 1 / (9 * shape), zq = gsl_cdf_ugaussian_Pinv(p);
    double v = 1 - c + zq * sqrt(c);
    double x = mean * v * v * v;
    if (!(x > lo && x < hi))
        x = 0.5 * (lo + hi);
    for (int i = 0; i < 200; i++) {
        double f = gsl_cdf_gamma_P(x, shape, scale) - p;
        if (f == 0)
            return x;
        if (f < 0)
            lo = x;
        else
            hi = x;
        double d = gsl_ran_gamma_pdf(x, shape, scale);
        double nx = d > 0 ? x - f / d : NAN;
        int newton = nx > lo && nx < hi;
        if (!newton)
            nx = 0.5 * (lo + hi);
        if ((newton && fabs(nx - x) <= 1e-9 * x) || hi - lo <= 1e-15 * hi)
            return nx;
        x = nx;
    }
    return x;
}

double zn__qgamma(double p, double shape, double scale)
{
    if (shape >= 10 && p > 0 && p < 1) /* the approximation is close: 2 to 3 CDF evaluations */
        return qgamma_newton(p, shape, scale);
    if (!(p > 0 && p < 1) || !(shape > 0) || !(scale > 0))
        return gsl_cdf_gamma_Pinv(p, shape, scale);
    /* small shapes: GSL's Pinv polished, or bisection on log x where it fails (shape ~0.01, whose
     * quantiles lie far below the linear bracket that qgamma_newton bisects) */
    double z = gsl_cdf_ugaussian_Pinv(p), x;
    zn__gamma_quantiles(shape, scale, 1, &p, &z, &x);
    return x;
}

void zn__mean_sd(const double *x, size_t n, double *mean, double *sd)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m += x[i];
    m /= (double)n;
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (x[i] - m) * (x[i] - m);
    *mean = m;
    *sd = n > 1 ? sqrt(s / (double)(n - 1)) : NAN;
}
