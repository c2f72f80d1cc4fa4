/*
 * bench_stats: timings of the stats kernels on synthetic inputs (deterministic, GSL mt19937 seed 1).
 *
 *   build/bench_stats [--series N] [--write DIR]
 *
 * 1. Rt (parametric SI 2.6/1.5, weekly sliding windows) over a 1,000-day series;
 * 2. the detectors over N (default 10,000) county series of 312 weekly counts, evaluated on the
 *    last 100 weeks as in the surveillance reference (EARS C1/C2/C3, CUSUM, Farrington b=3,
 *    farringtonFlexible original and Noufaily settings), and CIDARS over N daily series of
 *    4 years (1,461 days) evaluated on the last year.
 * --write DIR writes the inputs (rt_1000.csv; weekly_counties.csv with the first 100 series) and
 * zhinao's outputs for them, so that docs/stats.md's R script can time R on the same input and
 * compare the numbers. Prints a table: kernel, calls, CPU seconds, CPU microseconds per call
 * (CPU time, not wall time: the benchmark machine is shared with other work).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "zhinao/stats.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void row(const char *what, size_t calls, double secs)
{
    printf("%-44s %8zu %10.3f %12.1f\n", what, calls, secs, 1e6 * secs / (double)calls);
}

int main(int argc, char **argv)
{
    size_t nser = 10000;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--series") && i + 1 < argc)
            nser = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--write") && i + 1 < argc)
            dir = argv[++i];
        else {
            fprintf(stderr, "usage: bench_stats [--series N] [--write DIR]\n");
            return 2;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 1);
    zn_error err;
    char path[1024];

    /* ---- 1. Rt over 1,000 days: renewal process with R oscillating between 0.7 and 1.3 (waves of
     * a few hundred to a few thousand cases a day) ---- */
    enum { T = 1000 };
    static double I[T], w[T];
    zn_si_discretise(2.6, 1.5, T, w, NULL);
    I[0] = 200;
    for (size_t t = 1; t < T; t++) {
        double lam = 0;
        for (size_t k = 1; k <= t; k++)
            lam += w[k] * I[t - k];
        double R = 1 + 0.3 * sin(2 * M_PI * (double)t / 120);
        I[t] = (double)gsl_ran_poisson(rng, R * lam + 0.5);
    }
    printf("%-44s %8s %10s %12s\n", "kernel", "calls", "seconds", "us/call");
    zn_rt_result res;
    int reps = 20;
    double t0 = now();
    for (int r = 0; r < reps; r++) {
        if (zn_rt_estimate_parametric(I, T, 2.6, 1.5, NULL, &res, &err)) {
            fprintf(stderr, "rt: %s\n", err.msg);
            return 1;
        }
        if (r < reps - 1)
            zn_rt_result_fini(&res);
    }
    row("Rt 1,000 days, weekly windows (993)", reps, now() - t0);
    if (dir) {
        snprintf(path, sizeof path, "%s/rt_1000.csv", dir);
        FILE *f = fopen(path, "w");
        if (!f) {
            perror(path);
            return 1;
        }
        fprintf(f, "t,I\n");
        for (size_t t = 0; t < T; t++)
            fprintf(f, "%zu,%.0f\n", t + 1, I[t]);
        fclose(f);
        snprintf(path, sizeof path, "%s/rt_1000_zhinao.csv", dir);
        f = fopen(path, "w");
        fprintf(f, "t_start,t_end,mean,std,q0025,median,q0975\n");
        for (size_t i = 0; i < res.n_rows; i++)
            fprintf(f, "%zu,%zu,%.15g,%.15g,%.15g,%.15g,%.15g\n", res.rows[i].t_start, res.rows[i].t_end,
                    res.rows[i].mean, res.rows[i].sd, res.rows[i].q[0], res.rows[i].q[3], res.rows[i].q[6]);
        fclose(f);
    }
    zn_rt_result_fini(&res);

    /* ---- 2. detectors over nser weekly county series ---- */
    enum { NW = 312, FIRST = 212 };
    double *x = malloc(nser * NW * sizeof *x);
    double *ub = malloc(NW * sizeof *ub);
    int *al = malloc(NW * sizeof *al);
    if (!x || !ub || !al)
        return 1;
    for (size_t s = 0; s < nser; s++) {
        double base = 0.5 + 8 * gsl_rng_uniform(rng);
        for (size_t t = 0; t < NW; t++) {
            double mu = base * (1 + 0.5 * sin(2 * M_PI * (double)t / 52)) * (1 + 0.001 * (double)t);
            if (gsl_rng_uniform(rng) < 0.01) /* occasional outbreak weeks */
                mu *= 4;
            x[s * NW + t] = (double)gsl_ran_poisson(rng, mu);
        }
    }
    FILE *wf = NULL, *of = NULL;
    if (dir) {
        snprintf(path, sizeof path, "%s/weekly_counties.csv", dir);
        wf = fopen(path, "w");
        snprintf(path, sizeof path, "%s/weekly_counties_zhinao.csv", dir);
        of = fopen(path, "w");
        if (!wf || !of) {
            perror(path);
            return 1;
        }
        fprintf(wf, "county,t,observed\n");
        for (size_t s = 0; s < nser && s < 100; s++)
            for (size_t t = 0; t < NW; t++)
                fprintf(wf, "%zu,%zu,%.0f\n", s + 1, t + 1, x[s * NW + t]);
        fclose(wf);
        fprintf(of, "method,county,t,alarm,upperbound\n");
    }
    const char *names[] = {"EARS C1", "EARS C2", "EARS C3", "CUSUM (algo.cusum defaults)", "Farrington (b 3, w 3, alpha 0.01)",
                           "farringtonFlexible (original settings)", "farringtonFlexible (Noufaily)"};
    const char *keys[] = {"ears_C1", "ears_C2", "ears_C3", "cusum", "farrington", "flexible", "noufaily"};
    for (int m = 0; m < 7; m++) {
        size_t alarms = 0;
        t0 = now();
        for (size_t s = 0; s < nser; s++) {
            const double *xs = x + s * NW;
            zn_status st;
            if (m < 3) {
                zn_ears_params p;
                zn_ears_params_default(&p, (zn_ears_method)(m + 1));
                st = zn_ears(xs, NW, FIRST, &p, ub, al, &err);
            } else if (m == 3) {
                zn_cusum_params p;
                zn_cusum_params_default(&p);
                st = zn_cusum(xs, NW, FIRST, &p, ub, al, NULL, &err);
            } else {
                zn_farrington_params p;
                if (m == 4) {
                    zn_farrington_params_default(&p);
                    p.b = 3;
                    p.alpha = 0.01;
                } else if (m == 5) {
                    zn_farrington_params_flexible(&p);
                } else {
                    zn_farrington_params_noufaily(&p);
                }
                st = zn_farrington(xs, NW, FIRST, &p, ub, al, &err);
            }
            if (st) {
                fprintf(stderr, "%s, series %zu: %s\n", names[m], s + 1, err.msg);
                return 1;
            }
            for (size_t t = FIRST; t < NW; t++)
                alarms += al[t] == 1;
            if (of && s < 100)
                for (size_t t = FIRST; t < NW; t++) {
                    fprintf(of, "%s,%zu,%zu,%s,", keys[m], s + 1, t + 1, al[t] < 0 ? "NA" : al[t] ? "1" : "0");
                    isnan(ub[t]) ? fprintf(of, "NA\n") : fprintf(of, "%.15g\n", ub[t]);
                }
        }
        char label[128];
        snprintf(label, sizeof label, "%s x %zu series (%zu alarms)", names[m], nser, alarms);
        row(label, nser, now() - t0);
    }
    if (of)
        fclose(of);
    free(x);

    /* ---- CIDARS: daily series of 4 years, evaluated where 3 earlier years exist ---- */
    enum { ND = 1461 };
    double *d = malloc(ND * sizeof *d), *dub = malloc(ND * sizeof *dub);
    int *dal = malloc(ND * sizeof *dal);
    if (!d || !dub || !dal)
        return 1;
    zn_cidars_params cp;
    zn_cidars_params_default(&cp);
    double secs = 0;
    size_t alarms = 0;
    for (size_t s = 0; s < nser; s++) {
        double base = 0.2 + 2 * gsl_rng_uniform(rng);
        for (size_t t = 0; t < ND; t++)
            d[t] = (double)gsl_ran_poisson(rng, base * (1 + 0.5 * sin(2 * M_PI * (double)t / 365.25)));
        t0 = now();
        if (zn_cidars(d, ND, 17897 /* 2019-01-01 */, &cp, dub, dal, &err)) {
            fprintf(stderr, "cidars: %s\n", err.msg);
            return 1;
        }
        secs += now() - t0;
        for (size_t t = 0; t < ND; t++)
            alarms += dal[t] == 1;
    }
    char label[128];
    snprintf(label, sizeof label, "CIDARS P80, 1,461 days x %zu series (%zu alarms)", nser, alarms);
    row(label, nser, secs);
    free(d);
    free(dub);
    free(dal);
    free(ub);
    free(al);
    gsl_rng_free(rng);
    return 0;
}
