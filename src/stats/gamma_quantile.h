/* Private to src/stats/: fast quantiles of one gamma distribution at several probabilities. */
#ifndef ZN_STATS_GAMMA_QUANTILE_H
#define ZN_STATS_GAMMA_QUANTILE_H

#include <stddef.h>

/* Shapes below this go to gsl_cdf_gamma_Pinv one quantile at a time. */
#define ZN__GQ_MIN_SHAPE 10.0

/*
 * Quantiles x[0..n-1] of the gamma distribution (shape > 0, scale > 0) at probabilities
 * p[0..n-1], strictly inside (0, 1) and ascending; z[i] must be gsl_cdf_ugaussian_Pinv(p[i])
 * (the caller computes them once for many calls). The same values as a bisection on GSL's CDFs to
 * ~1e-12 relative (tests/test_stats_rt.c asserts 1e-10 over shapes 0.01..1e5).
 *
 * For shape >= ZN__GQ_MIN_SHAPE one GSL evaluation of the upper tail Q(a, y_A) =
 * gsl_sf_gamma_inc_Q at an anchor y_A = a + 3 sqrt(a) or above (cheap there: GSL's continued
 * fraction converges in a few terms), then the quantiles from the highest down, each by Halley
 * steps on Q(y) = Q(y_prev) + integral_y^{y_prev} f, with f the gamma density written through GSL's
 * gsl_sf_gammastar (f(a(1+v)) a = exp(a (log1p v - v) - log1p v) sqrt(a/2pi) / gammastar(a)) and
 * the integral by 8-point Gauss-Legendre on pieces of at most one standard deviation, each
 * converged quantile (its last evaluated point) becoming the next anchor; started from the
 * Wilson-Hilferty approximation a (1 - 1/(9a) + z/(3 sqrt a))^3. About 1.7 µs for 7 quantiles
 * instead of 7 x 2.5 µs. Below that shape gsl_cdf_gamma_Pinv per quantile; where that fails
 * (shapes ~0.01), or if GSL reports an error on the fast path, bisection on log x with
 * gsl_cdf_gamma_P (below the median) or gsl_cdf_gamma_Q (above) to the last bit.
 * GSL's error handler must be off (zn__gsl_quiet).
 */
void zn__gamma_quantiles(double shape, double scale, size_t n, const double *p, const double *z, double *x);

#endif
