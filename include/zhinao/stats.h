/*
 * zhinao stats: epidemic statistics kernels.
 *
 *  - incidence: cumulative -> daily counts, moving averages, doubling time;
 *  - Rt: the instantaneous reproduction number of Cori et al. (2013), exactly as R EpiEstim 2.2.4
 *    computes it (estimate_R with method "parametric_si" or "non_parametric_si");
 *  - projection: short-term incidence from Rt by the renewal equation, with an interval;
 *  - early warning: EARS C1/C2/C3, CUSUM, Farrington and Farrington flexible (Noufaily) exactly as
 *    R surveillance 1.20.3 computes them (earsC, algo.cusum, farrington/algo.farrington,
 *    farringtonFlexible), and CIDARS's moving-percentile method;
 *  - series input: CSV files of counts by date (optionally by group, cumulative).
 *
 * Conventions: a series is an array of doubles, one value per period (day or week); NAN marks a
 * missing value where the comment allows it. Indices in this API are 0-based; the "t" columns that
 * EpiEstim and surveillance print are 1-based and are kept 1-based in zn_rt_row (t_start, t_end) so
 * tables can be compared line by line. Distributions, quantiles, special functions and least
 * squares come from GSL (libgsl); see docs/stats.md for the formulas and their sources.
 * GSL's default error handler aborts the process: the functions here switch it off
 * (gsl_set_error_handler_off, process-wide) and report failures through their return codes.
 */
#ifndef ZHINAO_STATS_H
#define ZHINAO_STATS_H

#include "zhinao/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================================
 * Incidence
 * ====================================================================================== */

/* What to do when differencing a cumulative series gives a negative daily count (a correction). */
typedef enum zn_diff_policy {
    /* Set the day to 0 and keep the excess: later days are reduced first (the negative amount is
     * carried forward until absorbed), so the total of the daily series still equals the final
     * cumulative value minus the first. Default. */
    ZN_DIFF_CARRY_FORWARD = 0,
    /* Take the negative amount back from the preceding days, latest first (a correction usually
     * removes cases reported too early); days before the first value are never touched, what
     * cannot be absorbed is dropped and counted in *adjusted. Keeps the total where possible. */
    ZN_DIFF_CARRY_BACK = 1,
    /* Clamp the day to 0 and forget the excess (the total then exceeds the cumulative change). */
    ZN_DIFF_CLAMP = 2
} zn_diff_policy;

/*
 * Daily counts from a cumulative series: out[0] = cum[0] (everything before the series counts on
 * its first day, as a first report does), out[t] = cum[t] - cum[t-1], then negative days resolved
 * by `policy`. A NAN in cum means "not reported that day" and is carried forward (the day gets 0).
 * cum and out have n elements and may not overlap. *n_negative (may be NULL) receives the number
 * of days whose raw difference was negative; *adjusted (may be NULL) the total number of cases
 * moved or dropped to resolve them.
 * Errors: ZN_EINVAL on NULL arrays (n > 0) or an unknown policy.
 */
zn_status zn_incidence_from_cumulative(const double *cum, size_t n, zn_diff_policy policy, double *out,
                                       size_t *n_negative, double *adjusted, zn_error *err);

typedef enum zn_smooth_align {
    ZN_SMOOTH_TRAILING = 0, /* out[t] = mean(x[t-w+1 .. t]) */
    ZN_SMOOTH_CENTERED = 1  /* out[t] = mean(x[t-(w-1)/2 .. t+w/2]); for even w one more day after */
} zn_smooth_align;

/*
 * Moving average of width w (>= 1) over x (n values). Days whose window runs off either end of the
 * series, or holds a NAN, get NAN. x and out may be the same array only when w == 1.
 * Errors: ZN_EINVAL on w == 0 or NULL arrays.
 */
zn_status zn_moving_average(const double *x, size_t n, size_t w, zn_smooth_align align, double *out,
                            zn_error *err);

/* Doubling (or halving) time from a log-linear least-squares fit. */
typedef struct zn_doubling {
    double rate;       /* r of log(x_t) = a + r t, per period */
    double rate_se;    /* standard error of r */
    double time;       /* log(2)/r periods: > 0 doubling, < 0 halving, INFINITY when r == 0 */
    double time_lo;    /* log(2)/r at the 95% limits of r (t distribution, n-2 df); may be */
    double time_hi;    /*   of either sign or infinite when the interval of r spans 0 */
    size_t n_used;     /* points in the fit (x > 0) */
} zn_doubling;

/*
 * Fit log(x_t) = a + r t by ordinary least squares (gsl_fit_linear) over x[first .. first+len-1],
 * skipping zeros and NANs (log undefined), and report the doubling time log(2)/r.
 * Errors: ZN_EINVAL when the window runs off the series or fewer than 3 positive values remain.
 */
zn_status zn_doubling_time(const double *x, size_t n, size_t first, size_t len, zn_doubling *out,
                           zn_error *err);

/* ======================================================================================
 * Serial interval and Rt (Cori et al. 2013; EpiEstim 2.2.4)
 * ====================================================================================== */

/*
 * EpiEstim's discr_si: the discrete serial-interval distribution w_k, k = 0..n-1, of a gamma with
 * mean si_mean and sd si_sd (in periods) shifted by one period, with the day of the primary case
 * uniform within its day (web appendix 11 of Cori et al. 2013):
 *   w_k = k F(k) + (k-2) F(k-2) - 2 (k-1) F(k-1)
 *         + a b (2 F1(k-1) - F1(k-2) - F1(k)),  negative values set to 0,
 * where F is the gamma CDF with shape a = ((mu-1)/sigma)^2 and scale b = sigma^2/(mu-1), and F1
 * the gamma CDF with shape a+1 and scale b. w_0 = 0.
 * Errors: ZN_EINVAL unless si_mean > 1 and si_sd > 0 (EpiEstim's checks for parametric_si).
 */
zn_status zn_si_discretise(double si_mean, double si_sd, size_t n, double *out, zn_error *err);

/* Rt configuration. Zero-initialise or call zn_rt_config_default, then change fields. */
typedef struct zn_rt_config {
    double mean_prior; /* prior mean of R (gamma): 5 */
    double std_prior;  /* prior sd of R: 5 */
    size_t window;     /* width of the default sliding windows: 7 (EpiEstim's weekly windows) */
    /* Custom windows, 1-based inclusive like EpiEstim's config$t_start / t_end, each in 2..T with
     * t_start <= t_end; NULL for the default sliding windows t_start = 2..T-window+1,
     * t_end = t_start + window - 1. */
    const size_t *t_start;
    const size_t *t_end;
    size_t n_windows;
} zn_rt_config;

/* mean_prior 5, std_prior 5, window 7, default windows. */
void zn_rt_config_default(zn_rt_config *cfg);

/* The probabilities of zn_rt_row.q: 0.025, 0.05, 0.25, 0.5, 0.75, 0.95, 0.975. */
#define ZN_RT_NQ 7
extern const double zn_rt_quantile_p[ZN_RT_NQ];

/* One window of an Rt estimate: a row of EpiEstim's estimate_R(...)$R. */
typedef struct zn_rt_row {
    size_t t_start, t_end; /* 1-based, inclusive */
    double shape, scale;   /* gamma posterior of R: a_prior + sum I, 1/(1/b_prior + sum Lambda) */
    double mean, sd;       /* shape*scale, sqrt(shape)*scale */
    double q[ZN_RT_NQ];    /* posterior quantiles at zn_rt_quantile_p, within 1e-10 relative of the
                              exact gamma quantile: one GSL upper-tail value per window, then Halley
                              steps on Gauss-Legendre integrals of GSL's density (src/stats/
                              gamma_quantile.c); tiny shapes: gsl_cdf_gamma_Pinv refined by Newton */
    /* All of the above but t_start/t_end are NAN when the window ends at or before the mean of the
     * serial interval (t_end <= sum k w_k), as EpiEstim returns NA there. */
} zn_rt_row;

typedef struct zn_rt_result {
    size_t n_rows;
    zn_rt_row *rows;   /* owned */
    size_t n_si;       /* length of si (T+1, EpiEstim pads or cuts to the series length + 1) */
    double *si;        /* the discrete serial interval used, w_0..w_T (owned) */
    double si_mean;    /* sum k w_k: EpiEstim's SI.Moments$Mean */
    double si_sd;      /* EpiEstim's SI.Moments$Std */
    double *lambda;    /* total infectiousness Lambda_t, t = 1..T at lambda[t-1]; lambda[0] = NAN */
    size_t n;          /* T, the series length */
} zn_rt_result;

/*
 * Rt over sliding windows with a given discrete serial interval (EpiEstim "non_parametric_si").
 * incid: T daily counts (T >= 2); NAN counts as 0 (EpiEstim sets NA to 0); negative is an error.
 * As in EpiEstim, all cases of day 1 are imported: they feed Lambda but are never in the numerator
 * (windows start at day 2 or later). si: w_0..w_{n_si-1} with w_0 == 0, w_k >= 0 and sum within
 * 0.01 of 1 (EpiEstim's check_si_distr). Lambda_t = sum_{k=1}^{t-1} w_k I_{t-k}.
 * Posterior for window [ts, te]: gamma with shape a_prior + sum_{t=ts}^{te} I_t and scale
 * 1/(1/b_prior + sum_{t=ts}^{te} Lambda_t), where a_prior = (mean_prior/std_prior)^2 and
 * b_prior = std_prior^2/mean_prior.
 * out is filled (caller frees with zn_rt_result_fini; on error *out is left empty).
 * Errors: ZN_EINVAL for bad arguments (message says which), ZN_ENOMEM.
 */
zn_status zn_rt_estimate(const double *incid, size_t T, const double *si, size_t n_si,
                         const zn_rt_config *cfg, zn_rt_result *out, zn_error *err);

/* The same with the parametric serial interval (EpiEstim "parametric_si"): si = discr_si(0..T-1,
 * si_mean, si_sd), used as it is: like EpiEstim (whose check_si_distr applies to given
 * distributions only) it is not required to sum to 1, which a short series' truncated SI does not.
 * Errors as zn_si_discretise and zn_rt_estimate (a series too short for its windows: field
 * "window"). */
zn_status zn_rt_estimate_parametric(const double *incid, size_t T, double si_mean, double si_sd,
                                    const zn_rt_config *cfg, zn_rt_result *out, zn_error *err);

void zn_rt_result_fini(zn_rt_result *r);

/* ======================================================================================
 * Projection (renewal equation)
 * ====================================================================================== */

typedef struct zn_projection {
    size_t horizon;   /* days projected after the last day of the series */
    double *expected; /* horizon values: deterministic renewal with R = the posterior mean (owned) */
    double *mean;     /* mean of the simulated trajectories (owned) */
    double *lo;       /* quantile (1-level)/2 of the trajectories per day (owned) */
    double *median;   /* 0.5 quantile (owned) */
    double *hi;       /* quantile (1+level)/2 (owned) */
} zn_projection;

/*
 * Short-term projection of incidence after the series incid[0..T-1] with a reproduction number
 * R ~ Gamma(shape, scale) (e.g. the last zn_rt_row of an estimate) and serial interval si[0..n_si-1]:
 *   expected: I_{T+h} = E[R] * Lambda_{T+h}, Lambda_{T+h} = sum_{k>=1} w_k I_{T+h-k} using the
 *             projected values for days after T;
 *   simulated: n_sims trajectories, each drawing one R from the posterior gamma and then each day
 *             I ~ Poisson(R Lambda) (the scheme of the R `projections` package), with GSL's mt19937
 *             generator seeded by `seed` (same seed, same numbers);
 *   lo/median/hi: quantiles (gsl_stats_quantile_from_sorted_data) at (1-level)/2, 0.5, (1+level)/2.
 * Caller frees with zn_projection_fini.
 * Errors: ZN_EINVAL (shape, scale <= 0, horizon or n_sims 0, level not in (0,1)), ZN_ENOMEM.
 */
zn_status zn_rt_project(const double *incid, size_t T, const double *si, size_t n_si, double shape,
                        double scale, size_t horizon, size_t n_sims, double level, unsigned long seed,
                        zn_projection *out, zn_error *err);
void zn_projection_fini(zn_projection *p);

/* ======================================================================================
 * Early warning (R surveillance 1.20.3; CIDARS)
 * ====================================================================================== */

/*
 * Every detector evaluates the periods t = first .. n-1 (0-based; surveillance's control$range is
 * first+1 .. n) and writes, for those t, upperbound[t] (NAN where surveillance gives NA) and
 * alarm[t] (1 alarm, 0 none, -1 NA); entries before `first` are set to NAN / -1. upperbound and
 * alarm have n elements. x holds counts (NAN not allowed unless the detector says so).
 */

typedef enum zn_ears_method { ZN_EARS_C1 = 1, ZN_EARS_C2 = 2, ZN_EARS_C3 = 3 } zn_ears_method;

typedef struct zn_ears_params {
    zn_ears_method method;
    size_t baseline;  /* reference periods: 7 (>= 3) */
    double alpha;     /* 0.001 (surveillance's default for C1 and C2; C3 defaults to 0.025 there
                         when alpha is not given, set it yourself) */
    double min_sigma; /* floor on the reference sd: 0 */
} zn_ears_params;

void zn_ears_params_default(zn_ears_params *p, zn_ears_method m);

/*
 * EARS C1/C2/C3 as surveillance::earsC. z = qnorm(1 - alpha);
 *   C1: reference x[t-B .. t-1]; upperbound = mean + z max(sd, min_sigma);
 *   C2: reference x[t-B-2 .. t-3]; same bound;
 *   C3: with C2_s = (x_s - mean_s)/max(sd_s, min_sigma) on the C2 references of s,
 *       upperbound = max(0, x_t + max(sd_t, min_sigma) (z - max(0, C2_{t-2} - 1) - max(0, C2_{t-1} - 1)))
 *       (sic: surveillance adds to x_t, not to the mean; kept to give its numbers);
 *   alarm = x_t > upperbound (NA when the bound is NA, e.g. C3 with a zero-sd reference).
 * sd is the sample sd (n-1). Errors: ZN_EINVAL when first < B (C1), B+2 (C2) or B+4 (C3), or
 * baseline < 3.
 */
zn_status zn_ears(const double *x, size_t n, size_t first, const zn_ears_params *p, double *upperbound,
                  int *alarm, zn_error *err);

typedef enum zn_cusum_trans {
    ZN_CUSUM_STANDARD = 0, /* (x - m)/sqrt(m) */
    ZN_CUSUM_ROSSI,        /* (x - 3m + 2 sqrt(x m))/(2 sqrt(m)) */
    ZN_CUSUM_ANSCOMBE,     /* 3/2 (x^(2/3) - m^(2/3))/m^(1/6) */
    ZN_CUSUM_ANSCOMBE2ND,  /* (x^(2/3) - (m^(2/3) - m^(-1/3)/9))/(2/3 m^(1/6)) */
    ZN_CUSUM_PEARSON_NB,   /* (x - m)/sqrt(m + alpha m^2) */
    ZN_CUSUM_NONE          /* x */
} zn_cusum_trans;

typedef struct zn_cusum_params {
    double k;    /* reference value: 1.04 */
    double h;    /* decision interval: 2.26 */
    double m;    /* in-control mean; NAN = mean of x[0 .. first-1] (algo.cusum's m = NULL) */
    zn_cusum_trans trans; /* standard */
    double alpha; /* overdispersion for PEARSON_NB: 0.1 */
} zn_cusum_params;

void zn_cusum_params_default(zn_cusum_params *p);

/*
 * CUSUM as surveillance::algo.cusum: S_t = max(0, S_{t-1} + z_t - k) from S = 0 before `first`,
 * alarm = S_t >= h, upper bound = the count that would have made S_t reach h (algo.cusum's
 * formula per transformation, e.g. ceiling(sqrt(m)(h + k - S_{t-1}) + m) for "standard"; NA and
 * negative bounds set to 0). cusum (may be NULL, n elements) receives S_t.
 * Errors: ZN_EINVAL when first == 0 and m is NAN, or on a bad parameter.
 */
zn_status zn_cusum(const double *x, size_t n, size_t first, const zn_cusum_params *p, double *upperbound,
                   int *alarm, double *cusum, zn_error *err);

typedef enum zn_farrington_threshold {
    ZN_FARRINGTON_DELTA = 0,   /* Farrington et al. (1996): 2/3-power transform, delta method */
    ZN_FARRINGTON_NBPLUGIN = 1, /* Noufaily et al. (2013): negative binomial quantile at mu0 */
    ZN_FARRINGTON_MUAN = 2     /* Noufaily: negative binomial at the (1-alpha) quantile of mu0 */
} zn_farrington_threshold;

typedef enum zn_powertrans { ZN_POWER_2_3 = 0, ZN_POWER_1_2 = 1, ZN_POWER_NONE = 2 } zn_powertrans;

typedef struct zn_farrington_params {
    int flexible;          /* 0: algo.farrington (farrington()); 1: farringtonFlexible */
    size_t freq;           /* periods per year: 52 */
    size_t b;              /* years back: 3 (classic default 5; the reference run uses 3) */
    size_t w;              /* half window: 3 */
    int reweight;          /* 1 */
    int trend;             /* 1 */
    double alpha;          /* 0.01 (classic: two-sided alpha/2 in the bound; flexible: one-sided) */
    size_t limit54_cases;  /* 5: no alarm unless >= 5 cases ... */
    size_t limit54_period; /* 4: ... in the last 4 periods */
    zn_powertrans powertrans; /* 2/3 */
    /* farringtonFlexible only: */
    double weights_threshold;     /* 2.58 (Noufaily; 1 reproduces the original) */
    double p_threshold_trend;     /* 0.05 (Noufaily: 1) */
    size_t no_periods;            /* 1 (Noufaily: 10) */
    long past_weeks_not_included; /* -1 = w (Noufaily: 26) */
    zn_farrington_threshold threshold; /* DELTA (Noufaily: NBPLUGIN) */
} zn_farrington_params;

/* Classic settings of surveillance's farrington()/algo.farrington (b 5, w 3, alpha 0.05...). */
void zn_farrington_params_default(zn_farrington_params *p);
/* farringtonFlexible with the original Farrington settings (b 4, w 3, weightsThreshold 1,
 * pastWeeksNotIncluded 3, pThresholdTrend 0.05, delta, alpha 0.01, noPeriods 1). */
void zn_farrington_params_flexible(zn_farrington_params *p);
/* farringtonFlexible with the Noufaily et al. (2013) settings (b 4, w 3, noPeriods 10,
 * weightsThreshold 2.58, pastWeeksNotIncluded 26, pThresholdTrend 1, nbPlugin, alpha 0.01). */
void zn_farrington_params_noufaily(zn_farrington_params *p);

/*
 * Farrington's outbreak detection on periodic counts (period index = time, no dates: the
 * reference values of period t are t - i*freq - w .. t - i*freq + w, i = 1..b), following
 * surveillance's algo.farrington (quasi-Poisson log-linear GLM with optional trend, fitted by
 * IRLS as R's glm.fit, Anscombe-residual reweighting, trend kept only when significant, b >= 3
 * and not extrapolating) or farringtonFlexible (seasonal factor blocks, Noufaily's improvements).
 * Classic: reference periods before period 1 are left out (R warns); the bound is 0 and there is
 * no alarm when fewer than limit54 cases were seen in the last limit54 periods. Flexible: the
 * bound is NA (NAN) and alarm 0 then, and alarm requires x_t > 0; a period whose GLM converges
 * neither with nor without trend gets NA and alarm -1.
 * x: counts >= 0 (no NAN). The inputs of R and zhinao give the same alarms and bounds to ~1e-13.
 * Errors: ZN_EINVAL on bad parameters, negative counts, or (flexible) when `first` has fewer
 * than b years (+ w periods) of history; ZN_ERANGE (classic) when a GLM is rank deficient;
 * ZN_ENOMEM.
 */
zn_status zn_farrington(const double *x, size_t n, size_t first, const zn_farrington_params *p,
                        double *upperbound, int *alarm, zn_error *err);

typedef struct zn_cidars_params {
    size_t block;       /* days in the observation period: 7 */
    size_t years;       /* years of history: 3 */
    size_t side_blocks; /* periods taken on each side of the same period of each earlier year: 2 */
    double percentile;  /* threshold percentile: 0.80 (P80; CIDARS uses P50 for some diseases) */
} zn_cidars_params;

void zn_cidars_params_default(zn_cidars_params *p);

/*
 * CIDARS's moving-percentile method (Yang W. et al., "A nationwide web-based automated system for
 * early outbreak detection and rapid response in China", Western Pac Surveill Response J 2011;
 * 2(1):10-15): the count of the current 7-day period (days d-6..d) is compared with the counts of
 * the same period and of `side_blocks` adjacent 7-day periods on each side in each of the `years`
 * earlier years ((2 side_blocks + 1) * years values, 15 by default: the "5 weeks x 3 years"
 * moving window); the threshold is their `percentile` quantile (linear interpolation between order
 * statistics, R's type 7, gsl_stats_quantile_from_sorted_data), and the day signals when the
 * current count exceeds it. "The same period of year y" is the period ending on the same calendar
 * date y years earlier (29 February maps to 28 February).
 * x: daily counts; day0: day number (days since 1970-01-01) of x[0]. Days whose history is not
 * fully inside the series get NAN / -1. upperbound = the threshold; alarm as above.
 * Errors: ZN_EINVAL on bad parameters.
 */
zn_status zn_cidars(const double *x, size_t n, int64_t day0, const zn_cidars_params *p, double *upperbound,
                    int *alarm, zn_error *err);

/* ======================================================================================
 * Series input
 * ====================================================================================== */

/* One count series. */
typedef struct zn_series {
    char *group;    /* value of the group column, or NULL when ungrouped (owned) */
    size_t n;
    double *value;  /* counts per period (owned); NAN where the file had no value for any of the
                       value columns on that period */
    char **label;   /* period labels as "YYYY-MM-DD" for dates, else the time value (owned) */
    int64_t day0;   /* day number of value[0] when the time column holds dates, else 0 */
    int is_daily;   /* 1 when the time column holds dates (gaps filled day by day) */
    size_t n_negative; /* days made non-negative when differencing a cumulative series */
    double adjusted;   /* cases moved or dropped then (zn_incidence_from_cumulative) */
} zn_series;

typedef struct zn_series_spec {
    const char *time_col;   /* NULL: first of date, dates, day, t, time, week */
    const char *value_cols; /* comma-separated columns summed per row; NULL: first of I, incidence,
                               cases, count, observed, value, n */
    const char *group_col;  /* NULL: one series of all rows */
    const char *filter;     /* NULL or "col=value[;col=value...]" (all must hold) */
    const char *skip_empty_col; /* NULL or a column whose blank rows are skipped */
    const char *since;      /* NULL or the first time kept (a date or an integer, as the column) */
    const char *until;      /* NULL or the last time kept */
    int cumulative;         /* values are cumulative: difference them (gaps carry the last value) */
    zn_diff_policy policy;  /* for cumulative */
} zn_series_spec;

/*
 * Read count series from a CSV file with a header row. Rows with the same time (and group) are
 * summed; blank value cells count as 0 when another value column of the row has a number, and as
 * missing otherwise. When the time column holds dates (YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD) each
 * series covers every day from the earliest to the latest date of the whole file, missing days
 * being 0 (or carrying the last cumulative value); otherwise the time column must be an integer
 * and the same is done over its range. Groups come out in order of first appearance.
 * *out receives n_out series (caller frees with zn_series_free(out, n_out)).
 * Errors: ZN_EIO (cannot open), ZN_EPARSE with file, line and field (bad number or date, missing
 * column), ZN_ENOMEM.
 */
zn_status zn_series_read_csv(const char *path, const zn_series_spec *spec, zn_series **out, size_t *n_out,
                             zn_error *err);
void zn_series_free(zn_series *s, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* ZHINAO_STATS_H */

/* ======================================================================================
 * Alert store: detector alarms kept in the store, each verified through the closed loop.
 * (Separate section with its own guard: it needs the store and the loop engine.)
 * ====================================================================================== */
#ifndef ZHINAO_STATS_ALERT_H
#define ZHINAO_STATS_ALERT_H

#include "zhinao/loop.h"
#include "zhinao/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One alarm of a detector (strings borrowed; copied by zn_alert_raise). */
typedef struct zn_alert {
    const char *method;        /* detector name as the CLI spells it: "ears-c3", "cusum" ... (required) */
    const char *series;        /* group value of the series (a district name), "all" when ungrouped */
    const char *division_code; /* NBS code (2..12 digits) the series maps to, NULL when unmapped */
    const char *period;        /* period label: "YYYY-MM-DD" for a daily series (required) */
    double observed;           /* count of the period */
    double upperbound;         /* the detector's bound, NAN when NA (stored as NULL) */
} zn_alert;

/*
 * The division a series name stands for: the one row of table `division` with edition 2021,
 * level 3 (county: a Shanghai district), code starting with `prefix` (digits; "31" = Shanghai)
 * and name exactly `name`. code receives the 12-digit code.
 * Errors: ZN_EINVAL (NULL or non-digit prefix), ZN_ENOTFOUND (no such row, or no divisions
 * loaded), ZN_EVALIDATE (two rows of that name), ZN_ESTORE.
 */
zn_status zn_alert_division_lookup(zn_store *st, const char *name, const char *prefix, char code[13],
                                   zn_error *err);

/*
 * Store an alarm and issue its verification task, in one transaction (both or neither).
 * Alerts are unique on (method, series, period): when that alert is already stored nothing is
 * written, *is_new = 0 and *alert_id / *task_id give the stored one. Otherwise the row goes to
 * table `alert` (created_at = zn_ctx_now of the store's context), an instruction is recorded
 * (issuer `issuer`, default "监测预警系统"; issuer_unit as zn_loop_instruction; reason
 * "EARS-C3 预警：<series> <period> 报告 O 例，超过上限 U" ("…报告 O 例（上限 NA）" without a bound;
 * the method as EARS-C1..3, CUSUM, Farrington, CIDARS …); task title "核实预警信号：<method> <series>
 * <period>"; link alert:<id>) and
 * zn_loop_issue_event(lp, "alert.new", ...) issues one task per listening template
 * (data/templates/epidemic.json: epi.verify_signal, 24 h), subject alert:<id>, routed to
 * a->division_code (a district: assignee kind "division"); *task_id = the first task.
 * An alert without division_code is assigned to issuer_unit (kind "division"); without either it
 * is ZN_EINVAL and nothing is stored. The clock of the task starts at zn_ctx_now (set the
 * context's clock to replay past alerts at the time they were raised).
 * Out pointers may be NULL. Errors: ZN_EINVAL (missing method/series/period, strings over 63
 * bytes), those of zn_loop_instruct and zn_loop_issue_event (ZN_ENOTFOUND: no template listens
 * to "alert.new", or the division is not in the store), ZN_ESTORE.
 */
zn_status zn_alert_raise(zn_loop *lp, const zn_alert *a, const char *issuer, const char *issuer_unit,
                         int64_t *alert_id, int64_t *task_id, int *is_new, zn_error *err);

#ifdef __cplusplus
}
#endif
#endif /* ZHINAO_STATS_ALERT_H */
