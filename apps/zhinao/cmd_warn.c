/* `zhinao warn`: early-warning detectors (R surveillance's EARS, CUSUM, Farrington; CIDARS). */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "zhinao/loop.h"
#include "zhinao/stats.h"
#include "zhinao/time.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: zhinao warn --method METHOD --series FILE [--from T] [--json | --csv | --alarms]\n"
            "                   [method options] [--time-col COL] [--count COL[,COL...]] [--group COL]\n"
            "                   [--filter COL=VAL[;...]] [--skip-empty COL] [--since T] [--until T] [--cumulative]\n\n"
            "Run an outbreak detector on count series and print, for each evaluated period, the count,\n"
            "the upper bound and the alarm (1, 0 or NA), as R surveillance 1.20.3 does:\n"
            "  ears-c1, ears-c2, ears-c3   earsC        --baseline 7 --alpha 0.001 --min-sigma 0\n"
            "  cusum                       algo.cusum   --k 1.04 --h 2.26 [--m MEAN]\n"
            "                                           --trans standard|rossi|anscombe|anscombe2nd|pearsonNegBin|none\n"
            "  farrington                  farrington   --b 5 --w 3 --alpha 0.05 [--no-trend] [--no-reweight]\n"
            "  farrington-flexible         farringtonFlexible, original settings (b 4, w 3, alpha 0.01)\n"
            "  noufaily                    farringtonFlexible, Noufaily et al. (2013) settings\n"
            "                              (--b --w --alpha --no-periods --past-weeks apply to the three)\n"
            "  cidars                      CIDARS moving percentile (daily dated series): current 7-day\n"
            "                              count vs --percentile 0.8 of the same 7-day periods +-2 in\n"
            "                              the --years 3 earlier years\n"
            "--freq: periods per year for Farrington (52; 365 for dated daily series).\n"
            "--from T: first period evaluated (1-based; surveillance's range T..n). Default: the\n"
            "earliest period each method can evaluate (CUSUM: 8, m = the mean before it).\n"
            "The series FILE is read as for `zhinao rt` (time column t, week, day or date; count column\n"
            "observed, cases, count, I...). --alarms prints only the periods with an alarm.\n\n"
            "--db DB --store: keep every alarm in the store (table alert, unique on method, series and\n"
            "period: a re-run stores nothing new) and issue one verification task per new alarm through the\n"
            "closed loop (event alert.new: epi.verify_signal, 24 h) to the division of its series. The\n"
            "series' group is looked up in --division-map FILE (CSV: group,code) or else among the\n"
            "county-level divisions (edition 2021) under --division-prefix (31: Shanghai districts);\n"
            "alarms of unmapped series go to --issuer-unit CODE or are skipped. The alert of a dated\n"
            "series is raised at 09:00 (local) of the day after its period, when the day's counts are\n"
            "published. --issuer WHO (default 监测预警系统). Prints counts only, unless an output flag is\n"
            "given.\n");
}

/* group,code lines of a division map; *out is a json object group -> code (caller decrefs). */
static int read_division_map(const char *path, json_t **out)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "zhinao warn: cannot open --division-map %s\n", path);
        return 1;
    }
    json_t *map = json_object();
    char line[512];
    long ln = 0;
    while (fgets(line, sizeof line, f)) {
        ln++;
        line[strcspn(line, "\r\n")] = '\0';
        char *c = strchr(line, ',');
        if (!line[0])
            continue;
        if (!c || c == line || !c[1]) {
            fprintf(stderr, "zhinao warn: %s:%ld: expected group,code\n", path, ln);
            fclose(f);
            json_decref(map);
            return 1;
        }
        *c = '\0';
        if (ln == 1 && (!strcmp(c + 1, "code") || !strcmp(c + 1, "division_code")))
            continue; /* header */
        json_object_set_new(map, line, json_string(c + 1));
    }
    fclose(f);
    *out = map;
    return 0;
}

enum { M_EARS1 = 1, M_EARS2, M_EARS3, M_CUSUM, M_FARR, M_FLEX, M_NOUF, M_CIDARS };
enum { OUT_TEXT, OUT_CSV, OUT_JSON, OUT_ALARMS, OUT_NONE };

int zn_cmd_warn(int argc, char **argv)
{
    const char *method = NULL, *file = NULL;
    size_t from = 0, baseline = 7, b = 0, w = 0, freq = 0, no_periods = 0, years = 3;
    double alpha = NAN, min_sigma = 0, k = 1.04, h = 2.26, m = NAN, pct = 0.8;
    long past_weeks = -2;
    int trend = 1, reweight = 1, fmt = OUT_TEXT;
    const char *trans = "standard";
    /* issuer NULL: zn_alert_raise's default (监测预警系统) */
    const char *db = NULL, *map_file = NULL, *div_prefix = "31", *issuer = NULL, *issuer_unit = NULL;
    int store = 0, fmt_given = 0;
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
            fmt_given = 1;
        } else if (!strcmp(a, "--csv")) {
            fmt = OUT_CSV;
            fmt_given = 1;
        } else if (!strcmp(a, "--alarms")) {
            fmt = OUT_ALARMS;
            fmt_given = 1;
        } else if (!strcmp(a, "--store")) {
            store = 1;
        } else if (!strcmp(a, "--cumulative")) {
            spec.cumulative = 1;
        } else if (!strcmp(a, "--no-trend")) {
            trend = 0;
        } else if (!strcmp(a, "--no-reweight")) {
            reweight = 0;
        } else if (!v) {
            fprintf(stderr, "zhinao warn: unknown option or missing value '%s'\n", a);
            return 2;
        } else {
            i++;
            size_t sz;
            if (!strcmp(a, "--method"))
                method = v;
            else if (!strcmp(a, "--series"))
                file = v;
            else if (!strcmp(a, "--from"))
                bad = zn_cli_parse_size(v, &from) || from == 0;
            else if (!strcmp(a, "--baseline"))
                bad = zn_cli_parse_size(v, &baseline);
            else if (!strcmp(a, "--alpha"))
                bad = zn_cli_parse_double(v, &alpha);
            else if (!strcmp(a, "--min-sigma"))
                bad = zn_cli_parse_double(v, &min_sigma);
            else if (!strcmp(a, "--k"))
                bad = zn_cli_parse_double(v, &k);
            else if (!strcmp(a, "--h"))
                bad = zn_cli_parse_double(v, &h);
            else if (!strcmp(a, "--m"))
                bad = zn_cli_parse_double(v, &m);
            else if (!strcmp(a, "--trans"))
                trans = v;
            else if (!strcmp(a, "--b"))
                bad = zn_cli_parse_size(v, &b);
            else if (!strcmp(a, "--w"))
                bad = zn_cli_parse_size(v, &w);
            else if (!strcmp(a, "--freq"))
                bad = zn_cli_parse_size(v, &freq);
            else if (!strcmp(a, "--no-periods"))
                bad = zn_cli_parse_size(v, &no_periods);
            else if (!strcmp(a, "--past-weeks")) {
                bad = zn_cli_parse_size(v, &sz);
                past_weeks = (long)sz;
            } else if (!strcmp(a, "--percentile"))
                bad = zn_cli_parse_double(v, &pct);
            else if (!strcmp(a, "--years"))
                bad = zn_cli_parse_size(v, &years);
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
            else if (!strcmp(a, "--db"))
                db = v;
            else if (!strcmp(a, "--division-map"))
                map_file = v;
            else if (!strcmp(a, "--division-prefix"))
                div_prefix = v;
            else if (!strcmp(a, "--issuer"))
                issuer = v;
            else if (!strcmp(a, "--issuer-unit"))
                issuer_unit = v;
            else {
                fprintf(stderr, "zhinao warn: unknown option '%s'\n", a);
                return 2;
            }
        }
        if (bad) {
            fprintf(stderr, "zhinao warn: bad value '%s' for %s\n", v, a);
            return 2;
        }
    }
    if (!method || !file) {
        usage(stderr);
        return 2;
    }
    if (store && !db) {
        fprintf(stderr, "zhinao warn: --store needs --db DB\n");
        return 2;
    }
    if (store && !fmt_given)
        fmt = OUT_NONE;
    static const struct {
        const char *name;
        int id;
    } methods[] = {{"ears-c1", M_EARS1}, {"ears-c2", M_EARS2}, {"ears-c3", M_EARS3}, {"cusum", M_CUSUM},
                   {"farrington", M_FARR}, {"farrington-flexible", M_FLEX}, {"noufaily", M_NOUF},
                   {"cidars", M_CIDARS}};
    int mid = 0;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (!strcmp(method, methods[i].name))
            mid = methods[i].id;
    if (!mid) {
        fprintf(stderr, "zhinao warn: unknown method '%s' (see zhinao warn --help)\n", method);
        return 2;
    }
    zn_cusum_trans ct = ZN_CUSUM_STANDARD;
    if (mid == M_CUSUM) {
        static const char *const tn[] = {"standard", "rossi", "anscombe", "anscombe2nd", "pearsonNegBin", "none"};
        int found = -1;
        for (int i = 0; i < 6; i++)
            if (!strcmp(trans, tn[i]))
                found = i;
        if (found < 0) {
            fprintf(stderr, "zhinao warn: unknown --trans '%s'\n", trans);
            return 2;
        }
        ct = (zn_cusum_trans)found;
    }
    zn_error err;
    zn_error_clear(&err);
    zn_series *ser = NULL;
    size_t nser = 0;
    if (zn_series_read_csv(file, &spec, &ser, &nser, &err)) {
        zn_cli_error(&err);
        return 1;
    }
    zn_ctx *zctx = NULL;
    zn_store *zst = NULL;
    zn_loop *lp = NULL;
    json_t *dmap = NULL;
    size_t n_new = 0, n_old = 0, n_tasks = 0, n_unrouted = 0;
    if (store) {
        if (map_file && read_division_map(map_file, &dmap)) {
            zn_series_free(ser, nser);
            return 1;
        }
        if (zn_cli_open(db, &zctx, &zst)) {
            json_decref(dmap);
            zn_series_free(ser, nser);
            return 1;
        }
        if (zn_loop_open(zst, zn_cli_data_dir(), &lp, &err) != ZN_OK) {
            zn_cli_error(&err);
            zn_cli_close(zctx, zst);
            json_decref(dmap);
            zn_series_free(ser, nser);
            return 1;
        }
    }
    json_t *jroot = NULL, *jarr = NULL;
    if (fmt == OUT_JSON) {
        jroot = json_object();
        json_object_set_new(jroot, "method", json_string(method));
        jarr = json_array();
        json_object_set_new(jroot, "series", jarr);
    }
    if (fmt == OUT_CSV)
        printf("%st,label,observed,upperbound,alarm\n", spec.group_col ? "group," : "");
    if (fmt == OUT_ALARMS)
        printf("%-16s %6s %-10s %9s %12s\n", "series", "t", "label", "observed", "upperbound");
    int rc = 0;
    size_t total_alarms = 0;
    for (size_t si = 0; si < nser && !(store && rc); si++) {
        zn_series *s = &ser[si];
        const char *gname = s->group ? s->group : "all";
        size_t n = s->n;
        double *ub = malloc((n ? n : 1) * sizeof *ub);
        int *al = malloc((n ? n : 1) * sizeof *al);
        if (!ub || !al) {
            free(ub);
            free(al);
            fprintf(stderr, "zhinao warn: out of memory\n");
            rc = 1;
            break;
        }
        size_t first = from ? from - 1 : 0;
        zn_status st = ZN_OK;
        if (mid <= M_EARS3) {
            zn_ears_params p;
            zn_ears_params_default(&p, (zn_ears_method)mid);
            p.baseline = baseline;
            if (!isnan(alpha))
                p.alpha = alpha;
            p.min_sigma = min_sigma;
            if (!from)
                first = baseline + (mid == M_EARS1 ? 0 : mid == M_EARS2 ? 2 : 4);
            st = first >= n ? zn_error_set(&err, ZN_EINVAL, file, 0, NULL, "series too short") :
                              zn_ears(s->value, n, first, &p, ub, al, &err);
        } else if (mid == M_CUSUM) {
            zn_cusum_params p;
            zn_cusum_params_default(&p);
            p.k = k;
            p.h = h;
            p.m = m;
            p.trans = ct;
            if (!isnan(alpha))
                p.alpha = alpha;
            if (!from)
                first = 7;
            st = first >= n ? zn_error_set(&err, ZN_EINVAL, file, 0, NULL, "series too short") :
                              zn_cusum(s->value, n, first, &p, ub, al, NULL, &err);
        } else if (mid == M_CIDARS) {
            zn_cidars_params p;
            zn_cidars_params_default(&p);
            p.percentile = pct;
            p.years = years;
            if (!s->is_daily)
                st = zn_error_set(&err, ZN_EINVAL, file, 0, NULL, "cidars needs a dated daily series");
            else
                st = zn_cidars(s->value, n, s->day0, &p, ub, al, &err);
        } else {
            zn_farrington_params p;
            if (mid == M_FARR)
                zn_farrington_params_default(&p);
            else if (mid == M_FLEX)
                zn_farrington_params_flexible(&p);
            else
                zn_farrington_params_noufaily(&p);
            p.freq = freq ? freq : (s->is_daily ? 365 : 52);
            if (b)
                p.b = b;
            if (w)
                p.w = w;
            if (!isnan(alpha))
                p.alpha = alpha;
            if (no_periods && mid != M_FARR)
                p.no_periods = no_periods;
            if (past_weeks >= 0)
                p.past_weeks_not_included = past_weeks;
            p.trend = trend;
            p.reweight = reweight;
            if (!from) /* surveillance's default ranges */
                first = mid == M_FARR ? p.freq * p.b - p.w - 1 : p.freq * p.b + p.w;
            st = first >= n ? zn_error_set(&err, ZN_EINVAL, file, 0, NULL,
                                           "series too short: %zu periods, the first evaluated would be %zu", n,
                                           first + 1)
                            : zn_farrington(s->value, n, first, &p, ub, al, &err);
        }
        if (st) {
            fprintf(stderr, "zhinao warn: series %s: ", gname);
            zn_cli_error(&err);
            free(ub);
            free(al);
            if (nser == 1)
                rc = 1;
            continue;
        }
        size_t nal = 0;
        json_t *js = NULL, *rows = NULL;
        if (fmt == OUT_JSON) {
            js = json_object();
            rows = json_array();
            if (s->group)
                json_object_set_new(js, "group", json_string(s->group));
        }
        if (fmt == OUT_TEXT) {
            if (s->group || si > 0)
                printf("%s# %s\n", si ? "\n" : "", gname);
            printf("%6s %-10s %9s %12s %5s\n", "t", "label", "observed", "upperbound", "alarm");
        }
        for (size_t t = 0; t < n; t++) {
            if (isnan(ub[t]) && al[t] < 0 && t < first)
                continue;
            if (mid == M_CIDARS && isnan(ub[t]))
                continue;
            nal += al[t] == 1;
            if (fmt == OUT_TEXT) {
                char ubs[32];
                isnan(ub[t]) ? snprintf(ubs, sizeof ubs, "NA") : snprintf(ubs, sizeof ubs, "%.6f", ub[t]);
                printf("%6zu %-10s %9.0f %12s %5s\n", t + 1, s->label[t], s->value[t], ubs,
                       al[t] < 0 ? "NA" : al[t] ? "1" : "0");
            } else if (fmt == OUT_ALARMS) {
                if (al[t] == 1)
                    printf("%-16s %6zu %-10s %9.0f %12.4f\n", gname, t + 1, s->label[t], s->value[t], ub[t]);
            } else if (fmt == OUT_CSV) {
                if (spec.group_col)
                    printf("%s,", gname);
                printf("%zu,%s,%.15g,", t + 1, s->label[t], s->value[t]);
                isnan(ub[t]) ? printf("NA,") : printf("%.15g,", ub[t]);
                printf("%s\n", al[t] < 0 ? "NA" : al[t] ? "1" : "0");
            } else if (fmt == OUT_JSON) {
                json_t *o = json_object();
                json_object_set_new(o, "t", json_integer((json_int_t)(t + 1)));
                json_object_set_new(o, "label", json_string(s->label[t]));
                json_object_set_new(o, "observed", json_real(s->value[t]));
                json_object_set_new(o, "upperbound", isnan(ub[t]) ? json_null() : json_real(ub[t]));
                json_object_set_new(o, "alarm", al[t] < 0 ? json_null() : json_boolean(al[t]));
                json_array_append_new(rows, o);
            }
        }
        if (fmt == OUT_TEXT)
            printf("# %zu alarm%s\n", nal, nal == 1 ? "" : "s");
        if (store && nal) {
            char code[13] = "";
            const char *div = NULL;
            json_t *mj = dmap ? json_object_get(dmap, gname) : NULL;
            if (mj)
                div = json_string_value(mj);
            else if (zn_alert_division_lookup(zst, gname, div_prefix, code, &err) == ZN_OK)
                div = code;
            else if (err.code != ZN_ENOTFOUND) {
                fprintf(stderr, "zhinao warn: series %s: ", gname);
                zn_cli_error(&err);
                rc = 1;
            }
            for (size_t t = 0; t < n && rc == 0; t++) {
                if (al[t] != 1)
                    continue;
                if (!div && !issuer_unit) {
                    n_unrouted++;
                    continue;
                }
                if (s->is_daily) /* raised when the day's counts are published: 09:00 the next day */
                    zn_ctx_set_now(zctx, (s->day0 + (int64_t)t + 1) * 86400 + 9 * 3600 - zn_ctx_tz_offset(zctx));
                zn_alert a = {.method = method, .series = gname, .division_code = div, .period = s->label[t],
                              .observed = s->value[t], .upperbound = ub[t]};
                int64_t aid, tid;
                int is_new;
                if (zn_alert_raise(lp, &a, issuer, issuer_unit, &aid, &tid, &is_new, &err) != ZN_OK) {
                    fprintf(stderr, "zhinao warn: series %s period %s: ", gname, s->label[t]);
                    zn_cli_error(&err);
                    rc = 1;
                    break;
                }
                n_new += is_new;
                n_old += !is_new;
                n_tasks += is_new && tid;
            }
            zn_ctx_set_now(zctx, 0);
        }
        if (js) {
            json_object_set_new(js, "alarms", json_integer((json_int_t)nal));
            json_object_set_new(js, "periods", rows);
            json_array_append_new(jarr, js);
        }
        total_alarms += nal;
        free(ub);
        free(al);
    }
    if (fmt == OUT_ALARMS)
        printf("# %zu alarm%s in %zu series\n", total_alarms, total_alarms == 1 ? "" : "s", nser);
    if (store) {
        if (fmt != OUT_NONE && fmt != OUT_JSON)
            printf("\n");
        fprintf(fmt == OUT_JSON ? stderr : stdout, "%s: %zu alarm%s in %zu series; stored %zu new alert%s (%zu already stored), issued %zu verification "
               "task%s, %zu unrouted\n",
               method, total_alarms, total_alarms == 1 ? "" : "s", nser, n_new, n_new == 1 ? "" : "s", n_old, n_tasks,
               n_tasks == 1 ? "" : "s", n_unrouted);
        zn_loop_free(lp);
        zn_cli_close(zctx, zst);
        json_decref(dmap);
    }
    if (jroot) {
        char *txt = json_dumps(jroot, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
        if (txt)
            puts(txt);
        free(txt);
        json_decref(jroot);
    }
    zn_series_free(ser, nser);
    return rc;
}
