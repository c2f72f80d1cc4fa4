/* Fast gamma quantiles for the Rt posterior: see gamma_quantile.h. */
#include "stats/gamma_quantile.h"

#include <float.h>
#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>

/* Gauss-Legendre nodes and weights on [-1, 1] (gsl_integration_glfixed_point, n = 8 and 3). */
static const double gl8_x[4] = {0.18343464249564981, 0.52553240991632899, 0.79666647741362673,
                                0.96028985649753629};
static const double gl8_w[4] = {0.36268378337836199, 0.31370664587788727, 0.22238103445337448,
                                0.10122853629037626};

typedef struct gq {
    double a, sa; /* shape, sqrt(shape) */
    double c;     /* log(sqrt(a / 2 pi) / gammastar(a)) */
} gq;

/* The density of v = y/a - 1 (y ~ Gamma(a, 1)): a f(a(1 + v)). */
static double dens(const gq *g, double v)
{
    double l = log1p(v);
    return exp(g->a * (l - v) - l + g->c);
}

/* Integral of dens from lo to hi (negative when hi < lo). */
static double integral(const gq *g, double lo, double hi)
{
    if (hi < lo)
        return -integral(g, hi, lo);
    double len = hi - lo;
    double len_sd = len * g->sa;
    if (!(len_sd > 0))
        return 0;
    if (len_sd < 0.05) { /* a Halley correction: 3 points are exact to ~1e-16 of the integral */
        double h = 0.5 * len, m = lo + h, d = 0.7745966692414834 * h;
        return h * (0.55555555555555558 * (dens(g, m - d) + dens(g, m + d)) + 0.88888888888888884 * dens(g, m));
    }
    int pieces = len_sd < 256 ? (int)ceil(len_sd) : 256; /* pieces of at most 1 sd (far tails: more) */
    double w = len / pieces, h = 0.5 * w, s = 0;
    for (int k = 0; k < pieces; k++) {
        double m = lo + (k + 0.5) * w;
        for (int i = 0; i < 4; i++) {
            double d = gl8_x[i] * h;
            s += gl8_w[i] * (dens(g, m - d) + dens(g, m + d));
        }
    }
    return h * s;
}

/* Wilson-Hilferty in v = y/a - 1 (clamped above -1). */
static double wh(const gq *g, double z)
{
    double c = 1 - 1 / (9 * g->a) + z / (3 * g->sa);
    double v = c > 0 ? c * c * c - 1 : -1;
    return v > -1 + 1e-12 ? v : -1 + 1e-12;
}

static int fast(double a, size_t n, const double *p, const double *z, double *x)
{
    gq g = {.a = a, .sa = sqrt(a)};
    g.c = 0.5 * log(a / (2 * M_PI)) - log(gsl_sf_gammastar(a));
    double va = wh(&g, z[n - 1]) + 1 / g.sa;
    if (va < 3 / g.sa)
        va = 3 / g.sa;
    gsl_sf_result r;
    if (gsl_sf_gamma_inc_Q_e(a, a * (1 + va), &r) != GSL_SUCCESS || !isfinite(r.val) || !isfinite(g.c))
        return -1;
    double vc = va, qc = r.val; /* anchor: upper tail qc at vc */
    for (size_t k = n; k-- > 0;) {
        double q = 1 - p[k];
        double lo = -1, hi = vc;
        double v = wh(&g, z[k]);
        if (v > vc)
            v = vc;
        int it;
        for (it = 0; it < 60; it++) {
            double qv = qc + integral(&g, v, vc);
            double h = dens(&g, v);
            double gv = qv - q; /* > 0: v is too low */
            if (gv > 0)
                lo = v;
            else
                hi = v;
            vc = v; /* the evaluated point is the next anchor */
            qc = qv;
            if (gv == 0)
                break;
            double nv;
            int halley = 0;
            if (h > 0) {
                double d = gv / h, s = (-a * v - 1) / (1 + v);
                double den = 1 + 0.5 * d * s;
                nv = v + (den > 0.5 ? d / den : d); /* Halley, or Newton when the correction is wild */
                halley = den > 0.5;
            } else {
                nv = NAN;
            }
            if (!(nv > lo && nv < hi)) {
                nv = 0.5 * (lo + hi);
                halley = 0;
            }
            double step = fabs(nv - v) * g.sa; /* in standard deviations */
            v = nv;
            /* Halley's error after a step of e sd is ~e^3 sd: stop once that is below 1e-15 sd
             * (the last step is applied without evaluating it again) */
            if ((halley && step < 1e-5) || (hi - lo) * g.sa < 1e-15)
                break;
        }
        if (it == 60)
            return -1;
        x[k] = a * (1 + v);
    }
    return 0;
}

/* The slow, sure way: for small shapes gsl_cdf_gamma_Pinv; where it fails (it does for shapes
 * ~0.01), and for shapes >= ZN__GQ_MIN_SHAPE (where it fails at ~1e5 and is off by up to 4e-10
 * at ~2e4), bisection on log x to the last bit with gsl_cdf_gamma_P below the median,
 * gsl_cdf_gamma_Q above (so that neither tail loses its relative precision). */
static double qgamma_sure(double p, double a, double scale)
{
    if (a < ZN__GQ_MIN_SHAPE) {
        double x = gsl_cdf_gamma_Pinv(p, a, 1);
        /* Pinv stops early for tiny shapes (2.5e-7 relative at shape 0.015): Newton steps on log x */
        for (int i = 0; i < 8 && isfinite(x) && x > 0; i++) {
            double g = p < 0.5 ? gsl_cdf_gamma_P(x, a, 1) - p : (1 - p) - gsl_cdf_gamma_Q(x, a, 1);
            double xf = x * gsl_ran_gamma_pdf(x, a, 1);
            double d = xf > 0 ? g / xf : NAN;
            if (!(fabs(d) < 0.1))
                break;
            x *= exp(-d);
            if (fabs(d) < 1e-15)
                return x * scale;
        }
        if (isfinite(x) && x > 0 && fabs(((p < 0.5 ? gsl_cdf_gamma_P(x, a, 1) : gsl_cdf_gamma_Q(x, a, 1)) -
                                          (p < 0.5 ? p : 1 - p))) <= 1e-15 * (p < 0.5 ? p : 1 - p))
            return x * scale;
    }
    double lo = log(DBL_MIN), hi = log(a + 60 * sqrt(a) + 60);
    for (int i = 0; i < 400; i++) {
        double m = 0.5 * (lo + hi);
        if (!(m > lo && m < hi))
            break;
        double y = exp(m);
        double g = p < 0.5 ? gsl_cdf_gamma_P(y, a, 1) - p : (1 - p) - gsl_cdf_gamma_Q(y, a, 1);
        if (g < 0)
            lo = m;
        else
            hi = m;
    }
    return exp(0.5 * (lo + hi)) * scale;
}

void zn__gamma_quantiles(double shape, double scale, size_t n, const double *p, const double *z, double *x)
{
    if (n == 0)
        return;
    if (shape >= ZN__GQ_MIN_SHAPE && isfinite(shape) && fast(shape, n, p, z, x) == 0) {
        for (size_t i = 0; i < n; i++)
            x[i] *= scale;
        return;
    }
    for (size_t i = 0; i < n; i++)
        x[i] = qgamma_sure(p[i], shape, scale);
}
