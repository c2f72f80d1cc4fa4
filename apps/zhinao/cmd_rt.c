/* `zhinao rt`: the reproduction number Rt (Cori et al. 2013, as EpiEstim 2.2.4) of count series. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "zhinao/stats.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: zhinao rt --incidence FILE [--si-mean 2.6 --si-sd 1.5 | --si-distr FILE] [--window 7]\n"
            "                 [--mean-prior 5] [--std-prior 5] [--json | --csv | --summary]\n"
            "                 [--time-col COL] [--count COL[,COL...]] [--group COL] [--filter COL=VAL[;...]]\n"
            "                 [--skip-empty COL] [--since T] [--until T] [--cumulative [--negative forward|back|clamp]]\n"
            "                 [--project DAYS [--sims 1000] [--seed 1] [--level 0.95]]\n\n"
            "Estimate the instantaneous reproduction number on sliding windows ending on each day, by\n"
            "the method of Cori et al. (2013) exactly as R EpiEstim 2.2.4's estimate_R (parametric or\n"
            "given serial interval; gamma prior of R with mean 5, sd 5; the cases of day 1 count as\n"
            "imported). Prints EpiEstim's R table: t_start, t_end, Mean(R), Std(R), the 0.025, 0.05,\n"
            "0.25 quantiles, Median(R), the 0.75, 0.95, 0.975 quantiles (plus the date of t_end when\n"
            "the file is dated). Windows ending at or before the mean serial interval are NA.\n\n"
            "The incidence FILE is a CSV with a header: a time column (date, dates, day, t, time or\n"
            "week; dates as YYYY-MM-DD or YYYYMMDD) and a count column (I, incidence, cases, count,\n"
            "observed, value or n), or the columns named by --time-col and --count (several summed,\n"
            "blank = 0). Days missing from the file count 0. With --group, one estimate per value of\n"
            "that column; --cumulative differences cumulative counts (a negative day, a correction,\n"
            "is carried forward to the next days by default; see docs/stats.md).\n"
            "--si-distr FILE: CSV with a header, one row per day 0, 1, 2...; the last column is the\n"
            "probability (w_0 must be 0).\n"
            "--summary prints one tab-separated line per series: cases; Rt of the first window with\n"
            "enough cases (EpiEstim's minimum for a posterior CV of 0.3: 11 with the default prior);\n"
            "the end of the first window whose 97.5%% quantile is below 1; Rt of the last window with\n"
            "enough cases. --since DATE / --until DATE keep only that period of the file.\n"
            "--project DAYS adds a renewal-equation projection with R from the last window's posterior\n"
            "(simulated: --sims trajectories, --seed, --level interval).\n");
}

/* The last column of each data row of a CSV with a header. */
static int read_si(const char *path, double **out, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "zhinao rt: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[1024];
    size_t cap = 64, len = 0;
    double *v = malloc(cap * sizeof *v);
    long ln = 0;
    int rc = 0;
    while (v && fgets(line, sizeof line, f)) {
        ln++;
        line[strcspn(line, "\r\n")] = 0;
        if (ln == 1 || !*line)
            continue;
        char *last = strrchr(line, ',');
        last = last ? last + 1 : line;
        if (len == cap) {
            double *p = realloc(v, 2 * cap * sizeof *p);
            if (!p)
                break;
            v = p;
            cap *= 2;
        }
        if (zn_cli_parse_double(last, &v[len])) {
            fprintf(stderr, "zhinao rt: %s:%ld: bad probability '%s'\n", path, ln, last);
            rc = -1;
            break;
        }
        len++;
    }
    fclose(f);
    if (!v || rc) {
        free(v);
        return -1;
    }
    *out = v;
    *n = len;
    return 0;
}

static json_t *jnum(double v)
{
    return isnan(v) ? json_null() : json_real(v);
}

static const char *const qname[ZN_RT_NQ] = {"Quantile.0.025(R)", "Quantile.0.05(R)", "Quantile.0.25(R)", "Median(R)",
                                            "Quantile.0.75(R)", "Quantile.0.95(R)", "Quantile.0.975(R)"};

enum { OUT_TEXT, OUT_CSV, OUT_JSON, OUT_SUMMARY };

int zn_cmd_rt(int argc, char **argv)
{
    const char *incid = NULL, *si_file = NULL;
    double si_mean = NAN, si_sd = NAN, level = 0.95;
    size_t horizon = 0, sims = 1000;
    unsigned long seed = 1;
    int fmt = OUT_TEXT;
    zn_rt_config cfg;
    zn_rt_config_default(&cfg);
    zn_series_spec spec = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            fmt = OUT_JSON;
        } else if (!strcmp(a, "--csv")) {
            fmt = OUT_CSV;
        } else if (!strcmp(a, "--summary")) {
            fmt = OUT_SUMMARY;
        } else if (!strcmp(a, "--cumulative")) {
            spec.cumulative = 1;
        } else if (!v) {
            fprintf(stderr, "zhinao rt: unknown option or missing value '%s'\n", a);
            return 2;
        } else {
            i++;
            if (!strcmp(a, "--incidence"))
                incid = v;
            else if (!strcmp(a, "--si-distr"))
                si_file = v;
            else if (!strcmp(a, "--si-mean"))
                bad = zn_cli_parse_double(v, &si_mean);
            else if (!strcmp(a, "--si-sd"))
                bad = zn_cli_parse_double(v, &si_sd);
            else if (!strcmp(a, "--window"))
                bad = zn_cli_parse_size(v, &cfg.window);
            else if (!strcmp(a, "--mean-prior"))
                bad = zn_cli_parse_double(v, &cfg.mean_prior);
            else if (!strcmp(a, "--std-prior"))
                bad = zn_cli_parse_double(v, &cfg.std_prior);
            else if (!strcmp(a, "--time-col"))
                spec.time_col = v;
            else if (!strcmp(a, "--count"))
                spec.value_cols = v;
            else if (!strcmp(a, "--group"))
                spec.group_col = v;
            else if (!strcmp(a, "--filter"))
                spec.filter = v;
            else if (!strcmp(a, "--skip-empty"))
                spec.skip_empty_col = v;
            else if (!strcmp(a, "--since"))
                spec.since = v;
            else if (!strcmp(a, "--until"))
                spec.until = v;
            else if (!strcmp(a, "--negative")) {
                if (!strcmp(v, "forward"))
                    spec.policy = ZN_DIFF_CARRY_FORWARD;
                else if (!strcmp(v, "back"))
                    spec.policy = ZN_DIFF_CARRY_BACK;
                else if (!strcmp(v, "clamp"))
                    spec.policy = ZN_DIFF_CLAMP;
                else
                    bad = 1;
            } else if (!strcmp(a, "--project"))
                bad = zn_cli_parse_size(v, &horizon);
            else if (!strcmp(a, "--sims"))
                bad = zn_cli_parse_size(v, &sims);
            else if (!strcmp(a, "--seed")) {
                size_t s;
                bad = zn_cli_parse_size(v, &s);
                seed = (unsigned long)s;
            } else if (!strcmp(a, "--level"))
                bad = zn_cli_parse_double(v, &level);
            else {
                fprintf(stderr, "zhinao rt: unknown option '%s'\n", a);
                return 2;
            }
        }
        if (bad) {
            fprintf(stderr, "zhinao rt: bad value '%s' for %s\n", v, a);
            return 2;
        }
    }
    if (!incid) {
        usage(stderr);
        return 2;
    }
    if (!si_file && (isnan(si_mean) || isnan(si_sd))) {
        fprintf(stderr, "zhinao rt: give --si-mean and --si-sd, or --si-distr FILE\n");
        return 2;
    }
    double *si = NULL;
    size_t nsi = 0;
    if (si_file && read_si(si_file, &si, &nsi))
        return 1;
    zn_error err;
    zn_error_clear(&err);
    zn_series *ser = NULL;
    size_t nser = 0;
    if (zn_series_read_csv(incid, &spec, &ser, &nser, &err)) {
        zn_cli_error(&err);
        free(si);
        return 1;
    }
    int rc = 0;
    json_t *jroot = NULL, *jarr = NULL;
    if (fmt == OUT_JSON) {
        jroot = json_object();
        json_object_set_new(jroot, "method", json_string(si ? "non_parametric_si" : "parametric_si"));
        if (!si) {
            json_object_set_new(jroot, "si_mean", json_real(si_mean));
            json_object_set_new(jroot, "si_sd", json_real(si_sd));
        }
        json_object_set_new(jroot, "mean_prior", json_real(cfg.mean_prior));
        json_object_set_new(jroot, "std_prior", json_real(cfg.std_prior));
        jarr = json_array();
        json_object_set_new(jroot, "series", jarr);
    }
    if (fmt == OUT_SUMMARY)
        printf("series\tcases\tfirst Rt (window end, 95%% CrI)\tRt < 1 from\tlast Rt (window end, 95%% CrI)\n");
    if (fmt == OUT_CSV) {
        printf("%st_start,t_end,Mean(R),Std(R)", spec.group_col ? "group," : "");
        for (int q = 0; q < ZN_RT_NQ; q++)
            printf(",%s", qname[q]);
        printf("%s\n", ser[0].is_daily ? ",date_end" : "");
    }
    for (size_t k = 0; k < nser && !rc; k++) {
        zn_series *s = &ser[k];
        const char *gname = s->group ? s->group : "all";
        zn_rt_result res;
        size_t neg = 0;
        while (neg < s->n && !(s->value[neg] < 0))
            neg++;
        if (neg < s->n) { /* name the file, column and period: the series sums rows per period */
            fprintf(stderr, "zhinao rt: %s: series %s, period %s: the count (%s) is %g; Rt needs non-negative "
                            "incidence (for a cumulative column use --cumulative)\n",
                    incid, gname, s->label[neg], spec.value_cols ? spec.value_cols : "count", s->value[neg]);
            if (nser == 1)
                rc = 1;
            continue;
        }
        zn_status st = si ? zn_rt_estimate(s->value, s->n, si, nsi, &cfg, &res, &err)
                          : zn_rt_estimate_parametric(s->value, s->n, si_mean, si_sd, &cfg, &res, &err);
        if (st) {
            fprintf(stderr, "zhinao rt: series %s: ", gname);
            zn_cli_error(&err);
            if (nser == 1)
                rc = 1;
            continue;
        }
        zn_projection proj = {0};
        const zn_rt_row *last = &res.rows[res.n_rows - 1];
        if (horizon > 0 && !isnan(last->shape)) {
            if (zn_rt_project(s->value, s->n, res.si, res.n_si, last->shape, last->scale, horizon, sims, level, seed,
                              &proj, &err)) {
                zn_cli_error(&err);
                rc = 1;
            }
        }
        double total = 0;
        for (size_t i = 0; i < s->n; i++)
            total += s->value[i];
        if (fmt == OUT_SUMMARY) {
            /* windows with at least EpiEstim's minimum number of cases for a posterior CV of 0.3:
             * ceiling(1/0.3^2 - a_prior) */
            double a_prior = (cfg.mean_prior / cfg.std_prior) * (cfg.mean_prior / cfg.std_prior);
            double min_cases = ceil(1 / 0.09 - a_prior);
            const zn_rt_row *early = NULL, *late = NULL, *below = NULL;
            for (size_t i = 0; i < res.n_rows; i++) {
                const zn_rt_row *r = &res.rows[i];
                if (isnan(r->mean) || r->shape - a_prior < min_cases)
                    continue;
                if (!early)
                    early = r;
                late = r;
                if (!below && r->q[6] < 1)
                    below = r;
            }
            char e[96] = "-", b[32] = "-", l[96] = "-";
            if (early)
                snprintf(e, sizeof e, "%s %.2f [%.2f, %.2f]", s->is_daily ? s->label[early->t_end - 1] : "", early->mean,
                         early->q[0], early->q[6]);
            if (below)
                snprintf(b, sizeof b, "%s", s->is_daily ? s->label[below->t_end - 1] : "");
            if (late)
                snprintf(l, sizeof l, "%s %.2f [%.2f, %.2f]", s->is_daily ? s->label[late->t_end - 1] : "", late->mean,
                         late->q[0], late->q[6]);
            printf("%s\t%.0f\t%s\t%s\t%s\n", gname, total, e, b, l);
        } else if (fmt == OUT_TEXT) {
            if (s->group || k > 0)
                printf("%s# %s%s\n", k ? "\n" : "", gname, s->n_negative ? " (negative days corrected)" : "");
            printf("   t_start t_end    Mean(R)     Std(R)");
            for (int q = 0; q < ZN_RT_NQ; q++)
                printf(" %s", qname[q]);
            printf("%s\n", s->is_daily ? "   date_end" : "");
            for (size_t i = 0; i < res.n_rows; i++) {
                const zn_rt_row *r = &res.rows[i];
                printf("%-3zu %7zu %5zu", i + 1, r->t_start, r->t_end);
                if (isnan(r->mean)) {
                    printf(" %10s %10s", "NA", "NA");
                    for (int q = 0; q < ZN_RT_NQ; q++)
                        printf(" %*s", (int)strlen(qname[q]), "NA");
                } else {
                    printf(" %10.6f %10.6f", r->mean, r->sd);
                    for (int q = 0; q < ZN_RT_NQ; q++)
                        printf(" %*.6f", (int)strlen(qname[q]), r->q[q]);
                }
                printf("%s%s\n", s->is_daily ? " " : "", s->is_daily ? s->label[r->t_end - 1] : "");
            }
            if (proj.horizon) {
                printf("\nprojection (R ~ gamma(%.4g, %.4g) from window %zu-%zu; %zu simulations, seed %lu):\n",
                       last->shape, last->scale, last->t_start, last->t_end, sims, seed);
                char lo[16], hi[16];
                snprintf(lo, sizeof lo, "lo%g", level * 100);
                snprintf(hi, sizeof hi, "hi%g", level * 100);
                printf("   day  expected      mean %9s %9s %9s\n", lo, "median", hi);
                for (size_t h = 0; h < proj.horizon; h++)
                    printf("%6zu %9.2f %9.2f %9.0f %9.0f %9.0f\n", s->n + h + 1, proj.expected[h], proj.mean[h],
                           proj.lo[h], proj.median[h], proj.hi[h]);
            }
        } else if (fmt == OUT_CSV) {
            for (size_t i = 0; i < res.n_rows; i++) {
                const zn_rt_row *r = &res.rows[i];
                if (spec.group_col)
                    printf("%s,", gname);
                printf("%zu,%zu", r->t_start, r->t_end);
                if (isnan(r->mean))
                    printf(",NA,NA");
                else
                    printf(",%.15g,%.15g", r->mean, r->sd);
                for (int q = 0; q < ZN_RT_NQ; q++)
                    isnan(r->q[q]) ? printf(",NA") : printf(",%.15g", r->q[q]);
                printf("%s%s\n", s->is_daily ? "," : "", s->is_daily ? s->label[r->t_end - 1] : "");
            }
        } else {
            json_t *js = json_object(), *rows = json_array();
            if (s->group)
                json_object_set_new(js, "group", json_string(s->group));
            json_object_set_new(js, "days", json_integer((json_int_t)s->n));
            json_object_set_new(js, "cases", json_real(total));
            json_object_set_new(js, "first", json_string(s->label[0]));
            json_object_set_new(js, "negative_days_corrected", json_integer((json_int_t)s->n_negative));
            json_object_set_new(js, "si_mean", json_real(res.si_mean));
            json_object_set_new(js, "si_sd", json_real(res.si_sd));
            for (size_t i = 0; i < res.n_rows; i++) {
                const zn_rt_row *r = &res.rows[i];
                json_t *o = json_object();
                json_object_set_new(o, "t_start", json_integer((json_int_t)r->t_start));
                json_object_set_new(o, "t_end", json_integer((json_int_t)r->t_end));
                if (s->is_daily)
                    json_object_set_new(o, "date_end", json_string(s->label[r->t_end - 1]));
                json_object_set_new(o, "Mean(R)", jnum(r->mean));
                json_object_set_new(o, "Std(R)", jnum(r->sd));
                for (int q = 0; q < ZN_RT_NQ; q++)
                    json_object_set_new(o, qname[q], jnum(r->q[q]));
                json_array_append_new(rows, o);
            }
            json_object_set_new(js, "R", rows);
            if (proj.horizon) {
                json_t *pj = json_object();
                json_object_set_new(pj, "seed", json_integer((json_int_t)seed));
                json_object_set_new(pj, "sims", json_integer((json_int_t)sims));
                json_object_set_new(pj, "level", json_real(level));
                json_t *ex = json_array(), *me = json_array(), *lo = json_array(), *md = json_array(),
                       *hi = json_array();
                for (size_t h = 0; h < proj.horizon; h++) {
                    json_array_append_new(ex, json_real(proj.expected[h]));
                    json_array_append_new(me, json_real(proj.mean[h]));
                    json_array_append_new(lo, json_real(proj.lo[h]));
                    json_array_append_new(md, json_real(proj.median[h]));
                    json_array_append_new(hi, json_real(proj.hi[h]));
                }
                json_object_set_new(pj, "expected", ex);
                json_object_set_new(pj, "mean", me);
                json_object_set_new(pj, "lo", lo);
                json_object_set_new(pj, "median", md);
                json_object_set_new(pj, "hi", hi);
                json_object_set_new(js, "projection", pj);
            }
            json_array_append_new(jarr, js);
        }
        zn_projection_fini(&proj);
        zn_rt_result_fini(&res);
    }
    if (jroot) {
        char *txt = json_dumps(jroot, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
        if (txt)
            puts(txt);
        free(txt);
        json_decref(jroot);
    }
    zn_series_free(ser, nser);
    free(si);
    return rc;
}
