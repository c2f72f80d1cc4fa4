/*
 * `zhinao demo`: what `make run` runs. Builds the store from the bundled real data, step by step,
 * printing what it did with counts and timings. Safe to run again: every step is idempotent.
 */
#include "cli.h"

#include "zhinao/div.h"
#include "zhinao/hub.h"
#include "zhinao/place.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void quarantine_line(void *user, const char *feed, const char *reason, int64_t n)
{
    ++*(int *)user;
    printf("    %-24s %-18s %8lld\n", feed, reason, (long long)n);
}

static void district_line(void *user, const char *district, int64_t unmatched, int64_t rows)
{
    (void)user;
    if (unmatched > 0)
        printf("    %-10s %6lld of %7lld rows unmatched (%.1f%%)\n", district, (long long)unmatched, (long long)rows,
               rows ? 100.0 * (double)unmatched / (double)rows : 0.0);
}

/* The bundled real files, in load order: reference tables first, then the lists. */
static const struct {
    const char *feed, *file;
} demo_files[] = {
    {"address_geocode", "shanghai-2022/sh_address_geocoded_upto0508_a.csv.gz"},
    {"address_geocode_amap", "shanghai-2022/sh_address_geocoded_upto0508_b.csv.gz"},
    {"case_residence_list", "shanghai-2022/sh_case_addresses_daily_0318_0519.csv.gz"},
};

static int step_divisions(zn_ctx *ctx, zn_store *st, const char *data)
{
    char dir[1024];
    zn_error err;
    zn_div_registry *reg;
    double t0 = now_s();
    snprintf(dir, sizeof dir, "%s/divisions", data);
    if (zn_div_registry_new(ctx, dir, &reg, &err) != ZN_OK) {
        zn_cli_error(&err);
        return 1;
    }
    snprintf(dir, sizeof dir, "%s/boundaries", data);
    if (zn_div_boundaries_load(reg, dir, &err) != ZN_OK) {
        zn_cli_error(&err);
        zn_div_registry_free(reg);
        return 1;
    }
    int64_t changed = 0;
    if (zn_div_registry_save(reg, st, &changed, &err) != ZN_OK) {
        zn_cli_error(&err);
        zn_div_registry_free(reg);
        return 1;
    }
    int eds[8];
    size_t ne = zn_div_editions(reg, eds, 8);
    printf("1. divisions (NBS statistical codes, Zhejiang + Shanghai) %.2fs\n", now_s() - t0);
    for (size_t i = 0; i < ne; i++)
        printf("    edition %d: %zu provinces, %zu cities, %zu counties, %zu townships, %zu villages\n", eds[i],
               zn_div_count(reg, eds[i], 1), zn_div_count(reg, eds[i], 2), zn_div_count(reg, eds[i], 3),
               zn_div_count(reg, eds[i], 4), zn_div_count(reg, eds[i], 5));
    printf("    %zu county boundaries (DataV); %lld division rows written to the store\n",
           zn_div_boundary_count(reg), (long long)changed);
    zn_div_registry_free(reg);
    return 0;
}

static int step_ingest(zn_store *st, const char *data)
{
    char path[1024];
    zn_error err;
    zn_catalogue *cat;
    double t0 = now_s();
    snprintf(path, sizeof path, "%s/feeds/catalogue.json", data);
    if (zn_catalogue_load(path, &cat, &err) != ZN_OK) {
        zn_cli_error(&err);
        return 1;
    }
    printf("2. ingest the official Shanghai 2022 lists through the hub\n");
    printf("    %-22s %9s %9s %11s %10s %7s\n", "feed", "rows", "accepted", "quarantined", "duplicates", "secs");
    int rc = 0;
    for (size_t i = 0; i < sizeof demo_files / sizeof demo_files[0]; i++) {
        zn_ingest_summary sum;
        double t1 = now_s();
        snprintf(path, sizeof path, "%s/%s", data, demo_files[i].file);
        if (zn_hub_ingest(st, cat, demo_files[i].feed, path, NULL, &sum, &err) != ZN_OK) {
            zn_cli_error(&err);
            rc = 1;
            continue;
        }
        printf("    %-22s %9lld %9lld %11lld %10lld %7.2f\n", sum.feed, (long long)sum.rows, (long long)sum.accepted,
               (long long)sum.quarantined, (long long)sum.duplicates, now_s() - t1);
    }
    printf("    quarantined rows by reason (zhinao quarantine --summary):\n");
    int nreasons = 0;
    if (zn_quarantine_summary(st, quarantine_line, &nreasons, &err) != ZN_OK) {
        zn_cli_error(&err);
        rc = 1;
    } else if (nreasons == 0) {
        printf("    (none)\n");
    }
    printf("    %.2fs\n", now_s() - t0);
    zn_catalogue_free(cat);
    return rc;
}

static int step_link(zn_store *st)
{
    zn_error err;
    zn_place_link_summary s;
    double t0 = now_s();
    if (zn_place_link_case_residence(st, 2021, "31", &s, &err) != ZN_OK) {
        zn_cli_error(&err);
        return 1;
    }
    printf("3. case residences joined to coordinates and townships (division edition 2021) %.2fs\n", now_s() - t0);
    printf("    %lld geocoded places, %lld with a township division code\n", (long long)s.places,
           (long long)s.places_township);
    printf("    %lld listed residences: %lld matched (%.2f%%), %lld unmatched (kept, matched = 0)\n", (long long)s.rows,
           (long long)s.rows_matched, s.rows ? 100.0 * (double)s.rows_matched / (double)s.rows : 0.0,
           (long long)s.rows_unmatched);
    printf("    %lld distinct addresses, %lld without coordinates; %lld rows with a district code, %lld with a "
           "township code\n",
           (long long)s.addresses, (long long)s.addresses_unmatched, (long long)s.rows_county,
           (long long)s.rows_township);
    printf("    unmatched by district:\n");
    if (zn_place_unmatched_by_district(st, district_line, NULL, &err) != ZN_OK) {
        zn_cli_error(&err);
        return 1;
    }
    return 0;
}

/* `zhinao demo --case-reports`: the stored case reports onto the cockpit's map and curve. */
static int case_reports(zn_store *st)
{
    zn_error err;
    int64_t rows = 0, located = 0;
    double t0 = now_s();
    if (zn_place_add_case_reports(st, &rows, &located, &err) != ZN_OK) {
        zn_cli_error(&err);
        return 1;
    }
    printf("case reports added to the mapped cases (table case_residence, source case_report): %lld rows, "
           "%lld with coordinates %.2fs\n",
           (long long)rows, (long long)located, now_s() - t0);
    return 0;
}

int zn_cmd_demo(int argc, char **argv)
{
    const char *db = zn_cli_default_db();
    int reports = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: zhinao demo [--db PATH] [--case-reports]\n\n"
                   "Create (or update) the store and load the bundled real data, printing each step:\n"
                   "  1. the division registry (NBS codes, 2021 and 2023) and DataV boundaries;\n"
                   "  2. the official Shanghai 2022 case-residence lists and geocoded addresses, through\n"
                   "     the hub (bad rows quarantined with their reason);\n"
                   "  3. each listed residence joined to coordinates and its township's division code.\n"
                   "Safe to run again: re-loading the same files changes nothing.\n"
                   "--case-reports instead adds the stored case reports (feed case_report, e.g. the demo\n"
                   "city's once ingested) to the cases the cockpit maps and counts, replacing an earlier\n"
                   "call's rows (zn_place_add_case_reports).\n"
                   "Shipped data is read from $ZHINAO_DATA (default: the data/ folder of the source tree).\n");
            return 0;
        } else if (!strcmp(argv[i], "--db") && i + 1 < argc) {
            db = argv[++i];
        } else if (!strcmp(argv[i], "--case-reports")) {
            reports = 1;
        } else {
            fprintf(stderr, "zhinao demo: unknown option '%s' (see zhinao demo --help)\n", argv[i]);
            return 2;
        }
    }
    zn_ctx *ctx;
    zn_store *st;
    double t0 = now_s();
    if (zn_cli_open(db, &ctx, &st))
        return 1;
    if (reports) {
        int rc = case_reports(st);
        zn_cli_close(ctx, st);
        return rc;
    }
    const char *data = zn_cli_data_dir();
    printf("zhinao demo: store %s (schema version %d), data %s\n", db, zn_store_schema_version(st), data);
    int rc = step_divisions(ctx, st, data);
    if (!rc)
        rc = step_ingest(st, data);
    if (!rc)
        rc = step_link(st);
    printf("%s in %.1fs. Next: zhinao divisions show 330106 | zhinao quarantine --summary | sqlite3 %s\n",
           rc ? "failed" : "done", now_s() - t0, db);
    zn_cli_close(ctx, st);
    return rc;
}
