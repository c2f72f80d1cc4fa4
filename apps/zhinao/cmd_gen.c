/* `zhinao gen city`: generate the demo city (synthetic Hangzhou, all feeds, ground truth). */
#include "cli.h"

#include "zhinao/gen.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: zhinao gen files DIR\n"
            "       zhinao gen metric DIR [--plan NAME] [--json]\n"
            "       zhinao gen city [--city CODE] [--persons N] [--days D] [--seed S] [--out DIR]\n"
            "                       [--start YYYY-MM-DD] [--index-cases K] [--variant omicron|ancestral]\n"
            "                       [--dirt-rate R] [--dirt KIND=RATE]... [--no-stays] [--threads T]\n"
            "                       [--data DIR] [--catalogue PATH] [--quiet]\n\n"
            "Generate the demo city: real divisions and residential compounds of the city (only 330100\n"
            "杭州市 ships compounds), synthetic residents, households, workplaces, school classes,\n"
            "venues, trips, an outbreak that spreads over the generated contacts, and the dirt real\n"
            "feeds have. Writes one CSV per feed of the catalogue (columns in catalogue order),\n"
            "late/<feed>.csv for late rows, ground_truth.csv (the true infector of every infection),\n"
            "truth_stays.csv / truth_places.csv / truth_persons.csv (the contacts), manifest.json.\n"
            "The same options give the same bytes. Details and sources: docs/demo-city.md.\n\n"
            "  --city CODE       city division code (default 330100)\n"
            "  --persons N       residents (default 20000)\n"
            "  --days D          simulated days (default 14)\n"
            "  --seed S          random seed (default 1)\n"
            "  --out DIR         output folder (default demo-city)\n"
            "  --start DATE      first day (default 2022-03-01)\n"
            "  --index-cases K   imported / cold-chain index cases (default 8)\n"
            "  --variant V       disease parameters: omicron (default) or ancestral\n"
            "  --dirt-rate R     every row dirt kind at rate R (0 = clean rows)\n"
            "  --dirt KIND=RATE  one kind: bad_check_digit, swapped_lat_lon, gcj02_as_wgs84,\n"
            "                    duplicate, late, missing_seat, end_before_start, gbk_file (share of files)\n"
            "  --no-stays        do not write truth_stays.csv (the largest file)\n"
            "  --threads T       worker threads (default: one per CPU, at most 8)\n"
            "  --data DIR        shipped data folder (default $ZHINAO_DATA or <source>/data)\n"
            "  --catalogue PATH  feed catalogue (default <data>/feeds/catalogue.json)\n"
            "  --quiet           print nothing on success\n\n"
            "zhinao gen files DIR prints the feed files of a generated city as \"FEED PATH\" lines, main\n"
            "files first and late files after them, in the order to load them:\n"
            "  zhinao gen files demo-city | while read feed path; do zhinao ingest --feed \"$feed\" \"$path\"; done\n\n"
            "zhinao gen metric DIR: the share of reported cases that were already close contacts of an\n"
            "earlier-reported case when reported, with every generated contact seen (the trace kernel\n"
            "over truth_stays.csv, look-back and minimum overlap of --plan, default plan-9).\n");
}

static int gen_metric(int argc, char **argv)
{
    const char *dir = NULL, *plan = "plan-9";
    int json = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--plan") && i + 1 < argc)
            plan = argv[++i];
        else if (!dir && argv[i][0] != '-')
            dir = argv[i];
        else {
            usage(stderr);
            return 2;
        }
    }
    if (!dir) {
        usage(stderr);
        return 2;
    }
    zn_ctx *ctx;
    zn_store *st;
    if (zn_cli_open(NULL, &ctx, &st))
        return 1;
    char plans[4096];
    snprintf(plans, sizeof plans, "%s/plans", zn_cli_data_dir());
    zn_gen_metric m;
    zn_error err;
    zn_status rc = zn_gen_traced_share(ctx, dir, plans, plan, &m, &err);
    zn_cli_close(ctx, NULL);
    if (rc != ZN_OK) {
        zn_cli_error(&err);
        return 1;
    }
    if (json) {
        printf("{\"plan\": \"%s\", \"lookback_days\": %d, \"min_overlap_s\": %lld, \"infections\": %lld, "
               "\"reported\": %lld, \"traced\": %lld, \"share\": %.4f, \"reported_local\": %lld, "
               "\"traced_local\": %lld, \"share_local\": %.4f, \"median_lead_hours\": %.1f, "
               "\"close_contacts\": %lld}\n",
               m.plan, m.lookback_days, (long long)m.min_overlap_s, (long long)m.infections, (long long)m.reported,
               (long long)m.traced, m.share, (long long)m.reported_local, (long long)m.traced_local, m.share_local,
               m.median_lead_hours, (long long)m.close_contacts);
    } else {
        printf("%s: %lld infections, %lld reported; %lld (%.1f %%) already traced close contacts when reported "
               "(%lld of %lld local cases, %.1f %%), median %.1f h before their report; plan %s (look-back %d d, "
               "overlap >= %lld s), %lld close-contact rows\n",
               dir, (long long)m.infections, (long long)m.reported, (long long)m.traced, 100 * m.share,
               (long long)m.traced_local, (long long)m.reported_local, 100 * m.share_local, m.median_lead_hours,
               m.plan, m.lookback_days, (long long)m.min_overlap_s, (long long)m.close_contacts);
    }
    return 0;
}

/* `zhinao gen files DIR`: the manifest's files as "FEED PATH" lines (late files last). */
static int gen_files(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    json_error_t je;
    json_t *m = json_load_file(path, 0, &je);
    if (!m) {
        fprintf(stderr, "zhinao gen files: %s: %s\n", path, je.text);
        return 1;
    }
    json_t *files = json_object_get(m, "files");
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < json_array_size(files); i++) {
            json_t *f = json_array_get(files, i);
            const char *feed = json_string_value(json_object_get(f, "feed"));
            json_t *src = pass == 0 ? f : json_object_get(f, "late");
            const char *rel = json_string_value(json_object_get(src, "path"));
            if (feed && rel)
                printf("%s %s/%s\n", feed, dir, rel);
        }
    json_decref(m);
    return 0;
}

static int parse_double(const char *s, double *out)
{
    char *end;
    *out = strtod(s, &end);
    return *s && !*end;
}

static int parse_i64(const char *s, long long *out)
{
    char *end;
    *out = strtoll(s, &end, 10);
    return *s && !*end;
}

int zn_cmd_gen(int argc, char **argv)
{
    if (argc < 2 || zn_cli_wants_help(argc, argv)) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "metric"))
        return gen_metric(argc, argv);
    if (!strcmp(argv[1], "files")) {
        if (argc != 3) {
            usage(stderr);
            return 2;
        }
        return gen_files(argv[2]);
    }
    if (strcmp(argv[1], "city")) {
        fprintf(stderr, "zhinao gen: unknown subcommand '%s' (city, files or metric)\n", argv[1]);
        return 2;
    }
    zn_gen_options o;
    zn_gen_options_default(&o);
    o.data_dir = zn_cli_data_dir();
    int quiet = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long long n;
        double x;
        if (!strcmp(a, "--quiet")) {
            quiet = 1;
            continue;
        }
        if (!strcmp(a, "--no-stays")) {
            o.write_stays = 0;
            continue;
        }
        if (!v) {
            fprintf(stderr, "zhinao gen: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--city"))
            o.city = v;
        else if (!strcmp(a, "--persons") && parse_i64(v, &n))
            o.persons = n;
        else if (!strcmp(a, "--days") && parse_i64(v, &n))
            o.days = (int)n;
        else if (!strcmp(a, "--seed") && parse_i64(v, &n))
            o.seed = (uint64_t)n;
        else if (!strcmp(a, "--out"))
            o.out_dir = v;
        else if (!strcmp(a, "--start"))
            o.start_date = v;
        else if (!strcmp(a, "--index-cases") && parse_i64(v, &n))
            o.index_cases = (int)n;
        else if (!strcmp(a, "--threads") && parse_i64(v, &n))
            o.threads = (int)n;
        else if (!strcmp(a, "--data"))
            o.data_dir = v;
        else if (!strcmp(a, "--catalogue"))
            o.catalogue = v;
        else if (!strcmp(a, "--variant") && (!strcmp(v, "omicron") || !strcmp(v, "ancestral")))
            o.variant = !strcmp(v, "omicron") ? ZN_GEN_OMICRON : ZN_GEN_ANCESTRAL;
        else if (!strcmp(a, "--dirt-rate") && parse_double(v, &x)) {
            for (int k = 0; k < ZN_GEN_DIRT_COUNT; k++)
                if (k != ZN_GEN_DIRT_GBK)
                    o.dirt[k] = x;
        } else if (!strcmp(a, "--dirt")) {
            const char *eq = strchr(v, '=');
            char kind[64];
            int k = -1;
            if (eq && (size_t)(eq - v) < sizeof kind) {
                memcpy(kind, v, (size_t)(eq - v));
                kind[eq - v] = '\0';
                k = zn_gen_dirt_find(kind);
            }
            if (k < 0 || !parse_double(eq + 1, &x)) {
                fprintf(stderr, "zhinao gen: --dirt wants KIND=RATE with a known kind, not '%s'\n", v);
                return 2;
            }
            o.dirt[k] = x;
        } else {
            fprintf(stderr, "zhinao gen: bad option or value: %s %s\n", a, v);
            return 2;
        }
    }
    zn_ctx *ctx;
    zn_store *st;
    if (zn_cli_open(NULL, &ctx, &st))
        return 1;
    zn_gen_summary s;
    zn_error err;
    zn_status rc = zn_gen_city(ctx, &o, &s, &err);
    zn_cli_close(ctx, NULL);
    if (rc != ZN_OK) {
        zn_cli_error(&err);
        return 1;
    }
    if (!quiet) {
        printf("demo city %s: %lld residents in %lld households (%lld compounds, %lld communities, %lld grids), "
               "%lld visitors, %lld venues\n",
               o.city, (long long)s.residents, (long long)s.households, (long long)s.compounds,
               (long long)s.communities, (long long)s.grids, (long long)s.visitors, (long long)s.venues);
        printf("outbreak over %d days from %s: %lld infections, %lld reported as cases\n", o.days, o.start_date,
               (long long)s.infections, (long long)s.cases_reported);
        printf("wrote %lld feed files, %lld rows, %.1f MB to %s/ in %.1f s; dirt:", (long long)s.feed_files,
               (long long)s.feed_rows, s.bytes / 1e6, o.out_dir, s.seconds);
        for (int k = 0; k < ZN_GEN_DIRT_COUNT; k++)
            printf(" %s %lld", zn_gen_dirt_name(k), (long long)s.dirt[k]);
        printf(" (see %s/manifest.json)\n", o.out_dir);
    }
    return 0;
}
