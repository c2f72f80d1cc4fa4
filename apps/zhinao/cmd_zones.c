/*
 * `zhinao zones`: areal units, zone rule sets, the daily evaluation, maps, overrides, person
 * measures, and the Shanghai 2022 replay.
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "zhinao/div.h"
#include "zhinao/zone.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: zhinao zones <subcommand> [options]            (every subcommand takes --db PATH)\n\n"
            "  rules                              list the rule sets (data/rules) with their sources\n"
            "  units [--grid-m 800]               build the areal units from the case-residence lists\n"
            "  units --check [--within CODE] [--json]\n"
            "                                     data quality: each place/building unit's point against the\n"
            "                                     boundary of its district (data/boundaries); per county the units\n"
            "                                     checked, outside, and the worst cases (distance in metres)\n"
            "  run --rules NAME --from DATE --to DATE [--missing pause|quiet] [--within CODE] [--quiet]\n"
            "                                     evaluate day by day, store the history, print daily counts\n"
            "                                     (--within 310000: only the units of that division)\n"
            "  registry hangzhou-compounds        add the located Hangzhou compounds as units (3,183; data/hangzhou-compounds)\n"
            "                                     as place units, so that the floor of a run --within 330100 holds\n"
            "                                     compounds never listed\n"
            "  runs [--rules NAME]                the stored runs: one per rule set and area (--within)\n"
            "  days --rules NAME [--within CODE]  the stored daily counts\n"
            "  show --rules NAME --date DATE [--level L] [--limit N] [--within CODE]\n"
            "                                     the stored map of one day: unit, level, entered, due\n"
            "  history --rules NAME --unit KEY [--within CODE]\n"
            "                                     one unit's levels over the run\n"
            "  export --rules NAME --date DATE [--within CODE] [--out FILE] [--buffer-m M] [--quad-segs Q]\n"
            "         [--list-units]              GeoJSON: per level the union of its units (GEOS)\n"
            "                                     (days, show, history, export read the latest run of the rule\n"
            "                                     set covering --within CODE; without it, its latest run)\n"
            "  override --rules NAME --unit KEY --date DATE --level L --reason TEXT [--operator WHO]\n"
            "                                     an operator's decision, kept in the history (re-run to apply)\n"
            "  event --unit KEY --date DATE --kind case|place|exposure|contact|test_negative [--isolated]\n"
            "        [--source TEXT]              record an event; test_negative = a round of testing of the\n"
            "                                     unit's whole population that day, all negative (rules with\n"
            "                                     \"requires\": \"negative_test\" wait for one before lifting)\n"
            "  replay shanghai-2022 [--out DIR] [--no-geojson] [--all-levels] [--missing pause|quiet]\n"
            "                       [--list-units] [--buffer-m M]\n"
            "                                     shanghai-2022-04 over 2022-03-18 .. 2022-05-19 on the stored\n"
            "                                     official lists (make run first): daily counts, and daily GeoJSON\n"
            "                                     of the sealed and controlled zones (--all-levels: precaution too)\n"
            "  measures --plan NAME --role ROLE --exposure DATE [--exposure DATE ...]\n"
            "                                     a person's measures under a plan edition (measures-*.json)\n\n"
            "Dates are YYYY-MM-DD. Semantics and data format: docs/zones.md; the replay:\n"
            "docs/replay-shanghai-2022.md.\n");
}

typedef struct opts {
    const char *db, *rules, *from, *to, *date, *level, *unit, *reason, *operator_name, *out, *kind, *source, *plan,
        *role, *missing, *within;
    const char *exposures[64];
    int nexposures;
    int limit, grid_m, isolated, no_geojson, list_units, quiet, quad_segs, all_levels;
    int check, json; /* units --check [--json] */
    double buffer_m;
    const char *positional;
} opts;

static int parse_opts(int argc, char **argv, int first, opts *o)
{
    memset(o, 0, sizeof *o);
    o->db = zn_cli_default_db();
    o->limit = 50;
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        const char **dst = NULL;
        if (!strcmp(a, "--db"))
            dst = &o->db;
        else if (!strcmp(a, "--rules"))
            dst = &o->rules;
        else if (!strcmp(a, "--from"))
            dst = &o->from;
        else if (!strcmp(a, "--to"))
            dst = &o->to;
        else if (!strcmp(a, "--date"))
            dst = &o->date;
        else if (!strcmp(a, "--level"))
            dst = &o->level;
        else if (!strcmp(a, "--unit"))
            dst = &o->unit;
        else if (!strcmp(a, "--reason"))
            dst = &o->reason;
        else if (!strcmp(a, "--operator"))
            dst = &o->operator_name;
        else if (!strcmp(a, "--out"))
            dst = &o->out;
        else if (!strcmp(a, "--kind"))
            dst = &o->kind;
        else if (!strcmp(a, "--source"))
            dst = &o->source;
        else if (!strcmp(a, "--plan"))
            dst = &o->plan;
        else if (!strcmp(a, "--role"))
            dst = &o->role;
        else if (!strcmp(a, "--missing"))
            dst = &o->missing;
        else if (!strcmp(a, "--within"))
            dst = &o->within;
        else if (!strcmp(a, "--isolated"))
            o->isolated = 1;
        else if (!strcmp(a, "--no-geojson"))
            o->no_geojson = 1;
        else if (!strcmp(a, "--list-units"))
            o->list_units = 1;
        else if (!strcmp(a, "--all-levels"))
            o->all_levels = 1;
        else if (!strcmp(a, "--quiet"))
            o->quiet = 1;
        else if (!strcmp(a, "--check"))
            o->check = 1;
        else if (!strcmp(a, "--json"))
            o->json = 1;
        else if (!strcmp(a, "--exposure") || !strcmp(a, "--limit") || !strcmp(a, "--grid-m") ||
                 !strcmp(a, "--buffer-m") || !strcmp(a, "--quad-segs")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "zhinao zones: %s needs a value\n", a);
                return 2;
            }
            const char *v = argv[++i];
            char *end;
            if (!strcmp(a, "--exposure")) {
                if (o->nexposures == 64) {
                    fprintf(stderr, "zhinao zones: at most 64 --exposure\n");
                    return 2;
                }
                o->exposures[o->nexposures++] = v;
                continue;
            }
            double x = strtod(v, &end);
            if (end == v || *end || !isfinite(x) || x < 0 || x > 1e7) {
                fprintf(stderr, "zhinao zones: bad number for %s: %s\n", a, v);
                return 2;
            }
            if (!strcmp(a, "--limit"))
                o->limit = (int)x;
            else if (!strcmp(a, "--grid-m"))
                o->grid_m = (int)x;
            else if (!strcmp(a, "--quad-segs"))
                o->quad_segs = (int)x;
            else
                o->buffer_m = x;
            continue;
        } else if (a[0] != '-' && !o->positional)
            o->positional = a;
        else {
            fprintf(stderr, "zhinao zones: unknown option '%s'\n", a);
            return 2;
        }
        if (dst) {
            if (i + 1 >= argc) {
                fprintf(stderr, "zhinao zones: %s needs a value\n", a);
                return 2;
            }
            *dst = argv[++i];
        }
    }
    return 0;
}

static int need(const char *v, const char *name)
{
    if (!v) {
        fprintf(stderr, "zhinao zones: %s is required (zhinao zones --help)\n", name);
        return 1;
    }
    return 0;
}

static int parse_date(const char *s, int32_t *d)
{
    zn_error err;
    if (zn_zone_day_parse(s, d, &err) != ZN_OK) {
        zn_cli_error(&err);
        return 1;
    }
    return 0;
}

static int parse_missing(const opts *o)
{
    if (!o->missing)
        return -1;
    if (!strcmp(o->missing, "pause"))
        return ZN_ZONE_MISSING_PAUSE;
    if (!strcmp(o->missing, "quiet"))
        return ZN_ZONE_MISSING_QUIET;
    fprintf(stderr, "zhinao zones: --missing is pause or quiet\n");
    return -2;
}

static const char *rules_dir(char *buf, size_t n)
{
    snprintf(buf, n, "%s/rules", zn_cli_data_dir());
    return buf;
}

static int load_rules(const char *name, zn_zone_rules *r)
{
    char dir[1024];
    zn_error err;
    if (zn_zone_rules_find(rules_dir(dir, sizeof dir), name, r, &err) != ZN_OK) {
        zn_cli_error(&err);
        return 1;
    }
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- rules ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmd_rules(void)
{
    char dir[1024];
    rules_dir(dir, sizeof dir);
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "zhinao zones: cannot open %s: %s\n", dir, strerror(errno));
        return 1;
    }
    char *names[128];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 128) {
        size_t l = strlen(e->d_name);
        if (l > 5 && !strcmp(e->d_name + l - 5, ".json"))
            names[n++] = zn_strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    int rc = 0;
    printf("%-18s %-9s %-7s %-24s %s\n", "rule set", "unit", "floor", "in force", "levels (quiet days to move down)");
    for (size_t i = 0; i < n; i++) {
        if (!names[i] || !strncmp(names[i], "measures-", 9))
            continue;
        char path[2048];
        zn_zone_rules r;
        zn_error err;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (zn_zone_rules_load(path, &r, &err) != ZN_OK) {
            zn_cli_error(&err);
            rc = 1;
            continue;
        }
        char lv[256] = "", force[32];
        for (int l = 0; l < r.nlevels; l++) {
            size_t len = strlen(lv);
            snprintf(lv + len, sizeof lv - len, "%s%s", l ? " > " : "", r.levels[l].name);
            int first = 1;
            for (int t = 0; t < r.ntransitions; t++)
                if (r.transitions[t].from == l) {
                    len = strlen(lv);
                    snprintf(lv + len, sizeof lv - len, "%s%d%s", first ? "(" : "/", r.transitions[t].quiet_days,
                             r.transitions[t].requires_test ? "+test" : "");
                    first = 0;
                }
            if (!first) {
                len = strlen(lv);
                snprintf(lv + len, sizeof lv - len, ")");
            }
        }
        snprintf(force, sizeof force, "%s..%s", r.in_force_from, r.in_force_to);
        printf("%-18s %-9s %-7s %-24s %s\n", r.name, r.unit_level,
               r.floor_scope == ZN_ZONE_SCOPE_COUNTY ? "county" : r.floor_scope == ZN_ZONE_SCOPE_REGISTRY ? "all" : "none",
               force, lv);
    }
    printf("\nmeasures (person measures per plan edition):");
    for (size_t i = 0; i < n; i++)
        if (names[i] && !strncmp(names[i], "measures-", 9))
            printf(" %.*s", (int)(strlen(names[i]) - 14), names[i] + 9);
    printf("\nsources: the \"sources\" of each file in %s\n", dir);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    return rc;
}

/* ---- units ---- */

static int build_units(zn_store *st, int grid_m, int print)
{
    zn_zone_units_summary s;
    zn_error err;
    double t0 = now_s();
    if (zn_zone_units_build(st, grid_m, &s, &err) != ZN_OK) {
        zn_cli_error(&err);
        return 1;
    }
    if (print)
        printf("units: %lld listed addresses -> %lld place units (%lld with coordinates); %lld grid cells, "
               "%lld townships, %lld counties (%.2fs)\n",
               (long long)s.addresses, (long long)s.places, (long long)s.places_located, (long long)s.grids,
               (long long)s.townships, (long long)s.counties, now_s() - t0);
    return 0;
}

/* ---- units --check: unit points against their division's boundary (zn_zone_units_check) ---- */

static int cmp_outside(const void *a, const void *b)
{
    const zn_zone_unit_checked *x = *(const zn_zone_unit_checked *const *)a, *y = *(const zn_zone_unit_checked *const *)b;
    return x->check.distance_m < y->check.distance_m ? 1 : x->check.distance_m > y->check.distance_m ? -1 : 0;
}

/* The name of a county from the store's divisions, else the district part of a "place:<district>:..." key. */
static void county_name(zn_stmt *dn, const zn_zone_unit_checked *u, char *out, size_t n)
{
    out[0] = 0;
    int row = 0;
    if (dn) {
        zn_stmt_reset(dn);
        zn_stmt_bind_text(dn, 1, u->county_code);
        if (zn_stmt_step(dn, &row, NULL) == ZN_OK && row)
            snprintf(out, n, "%s", zn_stmt_column_text(dn, 0));
    }
    const char *a = strchr(u->key, ':'), *b = a ? strchr(a + 1, ':') : NULL;
    if (!out[0] && b)
        snprintf(out, n, "%.*s", (int)(b - a - 1), a + 1);
}

static int units_check(zn_ctx *ctx, zn_store *st, const opts *o)
{
    zn_error err;
    zn_zone_bounds *b = NULL;
    zn_zone_units_check_result r = {0};
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/boundaries", zn_cli_data_dir());
    size_t nb = 0;
    if (zn_zone_bounds_new(ctx, ZN_CRS_GCJ02, &b, &err) != ZN_OK || zn_zone_bounds_load(b, dir, &nb, &err) != ZN_OK ||
        zn_zone_units_check(st, b, o->within, &r, &err) != ZN_OK) {
        zn_cli_error(&err);
        zn_zone_bounds_free(b);
        return 1;
    }
    zn_stmt *dn = NULL;
    if (zn_stmt_prepare(st, "SELECT name FROM division WHERE code = ? ORDER BY edition DESC LIMIT 1", &dn, NULL) != ZN_OK)
        dn = NULL;
    const zn_zone_unit_checked **worst = r.n ? malloc(r.n * sizeof *worst) : NULL;
    if (r.n && !worst) {
        fprintf(stderr, "zhinao zones: out of memory\n");
        zn_stmt_finalize(dn);
        zn_zone_units_check_fini(&r);
        zn_zone_bounds_free(b);
        return 1;
    }
    const int show = 5;
    if (o->json)
        printf("{\"boundaries\":%zu,\"units\":%zu,\"checked\":%lld,\"outside\":%lld,\"counties\":[", nb, r.n,
               (long long)r.checked, (long long)r.outside);
    else
        printf("unit points against their district boundary (%zu boundaries from %s; GCJ-02 DataV, points WGS-84)\n"
               "%-12s %-10s %8s %8s %8s %9s\n",
               nb, dir, "county", "name", "units", "checked", "outside", "share");
    int first_county = 1;
    for (size_t i = 0; i < r.n;) {
        size_t j = i, nw = 0;
        int64_t checked = 0;
        while (j < r.n && !strcmp(r.units[j].county_code, r.units[i].county_code)) {
            checked += r.units[j].check.checked > 0;
            if (r.units[j].check.outside_division)
                worst[nw++] = &r.units[j];
            j++;
        }
        if (nw > 1)
            qsort(worst, nw, sizeof *worst, cmp_outside);
        char name[128];
        county_name(dn, &r.units[i], name, sizeof name);
        if (o->json) {
            json_t *c = json_pack("{s:s, s:s, s:I, s:I, s:I, s:[]}", "county_code", r.units[i].county_code, "name",
                                  name, "units", (json_int_t)(j - i), "checked", (json_int_t)checked, "outside",
                                  (json_int_t)nw, "outside_units");
            json_t *arr = json_object_get(c, "outside_units");
            for (size_t k = 0; k < nw; k++)
                json_array_append_new(
                    arr, json_pack("{s:s, s:s, s:s, s:f, s:f, s:s, s:f}", "key", worst[k]->key, "address",
                                   worst[k]->address, "township_code", worst[k]->township_code, "lon", worst[k]->lon,
                                   "lat", worst[k]->lat, "outside_of",
                                   zn_zone_unit_kind_name(worst[k]->check.outside_level), "distance_m",
                                   round(worst[k]->check.distance_m * 10) / 10));
            char *txt = json_dumps(c, JSON_COMPACT | JSON_REAL_PRECISION(10));
            printf("%s%s", first_county ? "" : ",", txt ? txt : "null");
            free(txt);
            json_decref(c);
        } else {
            printf("%-12s %-10s %8zu %8lld %8zu %8.2f%%\n", r.units[i].county_code[0] ? r.units[i].county_code : "-",
                   name, j - i, (long long)checked, nw, checked ? 100.0 * (double)nw / (double)checked : 0.0);
            for (size_t k = 0; k < nw && k < (size_t)show; k++)
                printf("    %8.0f m  %s  %s\n", worst[k]->check.distance_m, worst[k]->key, worst[k]->address);
            if (nw > (size_t)show)
                printf("    ... %zu more (--json lists all)\n", nw - show);
        }
        first_county = 0;
        i = j;
    }
    if (o->json)
        printf("]}\n");
    else
        printf("total: %zu units, %lld checked, %lld outside their district's boundary (a warning: units keep their\n"
               "assigned district; docs/zones.md)\n",
               r.n, (long long)r.checked, (long long)r.outside);
    free(worst);
    zn_stmt_finalize(dn);
    zn_zone_units_check_fini(&r);
    zn_zone_bounds_free(b);
    return 0;
}

/* ---- run and days ---- */

typedef struct day_table {
    char date[11];
    int known;
    int64_t units[ZN_ZONE_MAX_LEVELS + 1];
    int nlevels;
    char names[ZN_ZONE_MAX_LEVELS + 1][32];
    int header_done;
} day_table;

static void flush_day(day_table *t)
{
    if (!t->date[0])
        return;
    if (!t->header_done) {
        printf("%-10s %-5s", "date", "list");
        for (int l = 0; l < t->nlevels; l++)
            printf(" %12s", t->names[l]);
        printf("\n");
        t->header_done = 1;
    }
    printf("%-10s %-5s", t->date, t->known ? "yes" : "NONE");
    for (int l = 0; l < t->nlevels; l++)
        printf(" %12lld", (long long)t->units[l]);
    printf("\n");
    t->date[0] = 0;
    t->nlevels = 0;
}

static int day_row(void *user, const char *date, int known, const char *level, int64_t units, int64_t pop,
                   int64_t popn)
{
    (void)pop;
    (void)popn;
    day_table *t = user;
    if (strcmp(t->date, date))
        flush_day(t);
    snprintf(t->date, sizeof t->date, "%s", date);
    t->known = known;
    if (t->nlevels < ZN_ZONE_MAX_LEVELS + 1) {
        snprintf(t->names[t->nlevels], sizeof t->names[0], "%s", level);
        t->units[t->nlevels++] = units;
    }
    return 0;
}

static int print_days(zn_store *st, int64_t run_id)
{
    day_table t = {0};
    zn_error err;
    if (zn_zone_days_run(st, run_id, day_row, &t, &err) != ZN_OK) {
        zn_cli_error(&err);
        return 1;
    }
    flush_day(&t);
    return 0;
}

/* Run `r`; *run_id (may be NULL) receives the stored run's id. */
static int do_run(zn_store *st, const zn_zone_rules *r, int32_t from, int32_t to, int missing, const char *within,
                  int print_table, int64_t *run_id)
{
    zn_zone_run_opts ro = {.from = from, .to = to, .missing = missing, .within = within};
    zn_zone_run_summary sum;
    zn_error err;
    if (zn_zone_run(st, r, &ro, &sum, NULL, &err) != ZN_OK) {
        zn_cli_error(&err);
        return 1;
    }
    char outside[64] = "";
    if (sum.outside)
        snprintf(outside, sizeof outside, ", %lld of other areas", (long long)sum.outside);
    printf("%s: %lld %s units, %lld events (%lld case residences without a unit%s), %lld overrides, %lld unknown "
           "days; %lld history rows in %.2fs\n",
           r->name, (long long)sum.units, zn_zone_unit_kind_name(r->unit_kind), (long long)sum.events,
           (long long)sum.unmapped, outside, (long long)sum.overrides, (long long)sum.unknown_days,
           (long long)sum.periods, sum.seconds);
    zn_zone_run_info ri;
    if (zn_zone_run_find(st, r->name, within, &ri, &err) == ZN_OK && ri.id == sum.run_id)
        printf("stored as run #%lld of %s %s%s (replacing that area's earlier run, if any)\n", (long long)sum.run_id,
               r->name, ri.within[0] ? "within " : "over every unit", ri.within);
    if (run_id)
        *run_id = sum.run_id;
    return print_table ? print_days(st, sum.run_id) : 0;
}

/* ---- which run ---- */

typedef struct run_count {
    int n;
    char areas[128];
} run_count;

static int count_run(void *user, const zn_zone_run_info *r)
{
    run_count *c = user;
    size_t len = strlen(c->areas);
    if (len + 16 < sizeof c->areas)
        snprintf(c->areas + len, sizeof c->areas - len, "%s%s", c->n ? ", " : "", r->within[0] ? r->within : "(all)");
    c->n++;
    return 0;
}

/* The stored run that serves the reader: the latest run of `rules` covering `within`, or without
 * --within the latest run of `rules` (with a note on stderr when the rule set has runs for several
 * areas). 0 on success. */
static int pick_run(zn_store *st, const char *rules, const char *within, int64_t *run_id)
{
    zn_zone_run_info ri;
    zn_error err;
    if (zn_zone_run_find(st, rules, within, &ri, &err) != ZN_OK) {
        zn_cli_error(&err);
        return 1;
    }
    *run_id = ri.id;
    run_count c = {0};
    if ((!within || !*within) && zn_zone_runs(st, rules, count_run, &c, &err) == ZN_OK && c.n > 1)
        fprintf(stderr,
                "zhinao zones: %s has runs for %d areas (within %s); reading the latest, run #%lld %s%s"
                " (--within CODE picks the area)\n",
                rules, c.n, c.areas, (long long)ri.id, ri.within[0] ? "within " : "over every unit", ri.within);
    return 0;
}

static int print_run(void *user, const zn_zone_run_info *r)
{
    (void)user;
    char created[32] = "";
    time_t t = (time_t)r->created_at;
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("%6lld  %-22s %-8s %-10s %-10s %-8s %-6s %9lld %9lld  %s\n", (long long)r->id, r->rules,
           r->within[0] ? r->within : "(all)", r->from, r->to, r->unit_kind, r->missing, (long long)r->units,
           (long long)r->events, created);
    return 0;
}

static int cmd_runs(zn_store *st, const char *rules)
{
    zn_error err;
    printf("%6s  %-22s %-8s %-10s %-10s %-8s %-6s %9s %9s  %s\n", "run", "rules", "within", "from", "to", "unit",
           "missing", "units", "events", "created (UTC)");
    if (zn_zone_runs(st, rules, print_run, NULL, &err) != ZN_OK) {
        zn_cli_error(&err);
        return 1;
    }
    return 0;
}

/* ---- show / history ---- */

static int print_row(void *user, const zn_zone_row *r)
{
    int *left = user;
    if (*left == 0)
        return 1;
    (*left)--;
    printf("%-11s %-10s %-10s %-10s %-10s %-10s %s", r->level, r->entered, r->from, r->to, r->due[0] ? r->due : "-",
           r->cause, r->key);
    if (r->override_id)
        printf("  (override #%lld: %s)", (long long)r->override_id, r->reason);
    printf("\n");
    return 0;
}

static void row_header(void)
{
    printf("%-11s %-10s %-10s %-10s %-10s %-10s %s\n", "level", "entered", "from", "to", "due", "cause", "unit");
}

/* ---- replay ---- */

static int mkdir_p(const char *dir)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static int write_geojson_days(zn_store *st, zn_ctx *ctx, const zn_zone_rules *r, int64_t run_id, int32_t from,
                              int32_t to, const opts *o, const char *dir)
{
    zn_zone_geojson_opts go = {.buffer_m = o->buffer_m, .quad_segs = o->quad_segs, .list_units = o->list_units};
    if (!o->all_levels && r->floor > 0) /* the floor is the rest of the registry: left out unless asked */
        go.levels = (1u << r->floor) - 1;
    zn_zone_exporter *x;
    zn_error err;
    if (mkdir_p(dir) != 0) {
        fprintf(stderr, "zhinao zones: cannot create %s: %s\n", dir, strerror(errno));
        return 1;
    }
    if (zn_zone_exporter_new_run(st, ctx, run_id, &go, &x, &err) != ZN_OK) {
        zn_cli_error(&err);
        return 1;
    }
    int rc = 0;
    for (int32_t d = from; d <= to && rc == 0; d++) {
        char date[16], path[1200];
        snprintf(path, sizeof path, "%s/%s.geojson", dir, zn_zone_day_format(d, date, sizeof date));
        FILE *f = fopen(path, "w");
        if (!f) {
            fprintf(stderr, "zhinao zones: cannot write %s: %s\n", path, strerror(errno));
            rc = 1;
            break;
        }
        if (zn_zone_exporter_write(x, d, f, &err) != ZN_OK) {
            zn_cli_error(&err);
            rc = 1;
        }
        if (fclose(f) != 0)
            rc = 1;
    }
    zn_zone_exporter_free(x);
    return rc;
}

static int cmd_replay(zn_ctx *ctx, zn_store *st, const opts *o)
{
    if (!o->positional || strcmp(o->positional, "shanghai-2022")) {
        fprintf(stderr, "zhinao zones: replay knows one data set: shanghai-2022\n");
        return 2;
    }
    int missing = parse_missing(o);
    if (missing == -2)
        return 2;
    double t0 = now_s();
    int exists = 0;
    zn_error err;
    if (zn_store_table_exists(st, "case_residence", &exists, &err) != ZN_OK || !exists) {
        fprintf(stderr, "zhinao zones: %s has no case-residence lists: run `make run` (zhinao demo --db %s) first\n",
                o->db, o->db);
        return 1;
    }
    zn_zone_rules r;
    if (load_rules("shanghai-2022-04", &r) != 0)
        return 1;
    int32_t from, to;
    zn_zone_day_parse("2022-03-18", &from, NULL);
    zn_zone_day_parse("2022-05-19", &to, NULL);
    /* only Shanghai's units: a registry of another city in the same store is not Shanghai's 防范区 */
    int64_t run_id = 0;
    if (build_units(st, o->grid_m, 1) != 0 || do_run(st, &r, from, to, missing, "310000", 1, &run_id) != 0)
        return 1;
    double t1 = now_s();
    if (!o->no_geojson) {
        const char *dir = o->out ? o->out : "zones-shanghai-2022";
        if (write_geojson_days(st, ctx, &r, run_id, from, to, o, dir) != 0)
            return 1;
        printf("daily GeoJSON in %s/: merged polygons of the %s units, %g m around each (%.1fs)\n", dir,
               o->all_levels ? "sealed, controlled and precaution" : "sealed and controlled",
               o->buffer_m > 0 ? o->buffer_m : r.buffer_m, now_s() - t1);
    }
    printf("replay done in %.1fs. Counts: zhinao zones days --rules %s --within 310000; one day: zhinao zones show"
           " --rules %s --within 310000 --date 2022-04-15\n",
           now_s() - t0, r.name, r.name);
    return 0;
}

/* ---- registry ---- */

static int cmd_registry(zn_ctx *ctx, zn_store *st, const opts *o)
{
    if (!o->positional || strcmp(o->positional, "hangzhou-compounds")) {
        fprintf(stderr, "zhinao zones: registry knows one data set: hangzhou-compounds\n");
        return 2;
    }
    char dir[1024], path[1200];
    zn_error err;
    zn_div_registry *reg;
    double t0 = now_s();
    snprintf(dir, sizeof dir, "%s/divisions", zn_cli_data_dir());
    if (zn_div_registry_new(ctx, dir, &reg, &err) != ZN_OK) {
        zn_cli_error(&err);
        return 1;
    }
    snprintf(dir, sizeof dir, "%s/boundaries", zn_cli_data_dir());
    snprintf(path, sizeof path, "%s/hangzhou-compounds/hz_compounds_fangcom_2019.csv.gz", zn_cli_data_dir());
    /* columns and coordinates as data/hangzhou-compounds/PROVENANCE.md describes them */
    zn_zone_registry_spec spec = {.path = path,
                                  .source = "registry:hangzhou-compounds",
                                  .name_col = "name",
                                  .lon_col = "lng_bd09",
                                  .lat_col = "lat_bd09",
                                  .crs = ZN_CRS_BD09,
                                  .filter_col = "level",
                                  .filter_value = "compound",
                                  .within = "3301"};
    zn_zone_registry_summary sum;
    int rc = 0;
    if (zn_div_boundaries_load(reg, dir, &err) != ZN_OK ||
        zn_zone_registry_import(st, reg, &spec, &sum, &err) != ZN_OK) {
        zn_cli_error(&err);
        rc = 1;
    } else
        printf("registry hangzhou-compounds: %lld rows, %lld compounds, %lld without a point, %lld outside 杭州市; "
               "%lld rows written (a name repeated in one county is one unit) (%.2fs). Run a rule set with --within 330100.\n",
               (long long)sum.rows, (long long)sum.matching, (long long)sum.no_point, (long long)sum.outside,
               (long long)sum.units, now_s() - t0);
    zn_div_registry_free(reg);
    return rc;
}

/* ---- measures ---- */

static void print_dates(const int32_t *d, int n)
{
    for (int i = 0; i < n; i++) {
        char b[16];
        printf("%s%s", i ? ", " : "", zn_zone_day_format(d[i], b, sizeof b));
    }
}

static int cmd_measures(const opts *o)
{
    if (need(o->plan, "--plan") || need(o->role, "--role"))
        return 2;
    if (o->nexposures == 0) {
        fprintf(stderr, "zhinao zones: --exposure DATE is required (the last exposure; repeat for several)\n");
        return 2;
    }
    char dir[1024];
    zn_measure_plan plan;
    zn_measure m;
    zn_error err;
    int32_t ex[64];
    for (int i = 0; i < o->nexposures; i++)
        if (parse_date(o->exposures[i], &ex[i]))
            return 2;
    if (zn_measure_plan_find(rules_dir(dir, sizeof dir), o->plan, &plan, &err) != ZN_OK ||
        zn_measure_compute(&plan, o->role, ex, (size_t)o->nexposures, &m, &err) != ZN_OK) {
        zn_cli_error(&err);
        return 1;
    }
    char b[16];
    printf("%s, %s, last exposure %s\n", plan.name, o->role, zn_zone_day_format(m.reference, b, sizeof b));
    if (!m.determined) {
        printf("  not determined under this edition: no measures, health code green\n");
        return 0;
    }
    for (int i = 0; i < m.nphases; i++) {
        const zn_measure_phase *p = &m.phases[i];
        char s[16], e[16];
        printf("  %-24s %s .. %s (%d days), code %s, tests: ", zn_measure_kind_name(p->kind),
               zn_zone_day_format(p->start, s, sizeof s), zn_zone_day_format(p->end, e, sizeof e), p->end - p->start + 1,
               zn_health_code_name(p->code));
        if (p->ntests)
            print_dates(p->tests, p->ntests);
        else
            printf("-");
        printf("\n");
    }
    printf("  released %s (health code green)\n", zn_zone_day_format(m.release, b, sizeof b));
    return 0;
}

/* ---- entry ---- */

int zn_cmd_zones(int argc, char **argv)
{
    if (argc < 2 || zn_cli_wants_help(argc, argv)) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    opts o;
    int rc = parse_opts(argc, argv, 2, &o);
    if (rc)
        return rc;
    if (!strcmp(sub, "rules"))
        return cmd_rules();
    if (!strcmp(sub, "measures"))
        return cmd_measures(&o);
    static const char *subs[] = {"units",    "run",   "runs",   "days",    "show",   "history",
                                 "export", "override", "event", "replay", "registry"};
    int known = 0;
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        known |= !strcmp(sub, subs[i]);
    if (!known) {
        fprintf(stderr, "zhinao zones: unknown subcommand '%s'\n\n", sub);
        usage(stderr);
        return 2;
    }
    zn_ctx *ctx;
    zn_store *st;
    if (zn_cli_open(o.db, &ctx, &st) != 0)
        return 1;
    zn_error err;
    zn_zone_rules r;
    int32_t d1 = 0, d2 = 0;
    int64_t run_id = 0;
    rc = 0;
    if (!strcmp(sub, "units")) {
        rc = o.check ? units_check(ctx, st, &o) : build_units(st, o.grid_m, 1);
    } else if (!strcmp(sub, "run")) {
        int missing = parse_missing(&o);
        if (missing == -2 || need(o.rules, "--rules") || need(o.from, "--from") || need(o.to, "--to") ||
            parse_date(o.from, &d1) || parse_date(o.to, &d2))
            rc = 2;
        else if (load_rules(o.rules, &r) != 0)
            rc = 1;
        else {
            /* (re)build the units when the lists hold an address no unit covers yet */
            int have_cases = 0;
            int64_t uncovered = 0;
            zn_store_table_exists(st, "case_residence", &have_cases, NULL);
            if (have_cases)
                zn_store_query_int64(st,
                                     "SELECT COUNT(*) FROM (SELECT DISTINCT district, address FROM case_residence) c"
                                     " WHERE NOT EXISTS (SELECT 1 FROM zone_unit_address a"
                                     " WHERE a.district = c.district AND a.address = c.address)",
                                     &uncovered, NULL);
            if (uncovered > 0)
                rc = build_units(st, o.grid_m, 1);
            if (rc == 0)
                rc = do_run(st, &r, d1, d2, missing, o.within, !o.quiet, NULL);
        }
    } else if (!strcmp(sub, "runs")) {
        rc = cmd_runs(st, o.rules);
    } else if (!strcmp(sub, "days")) {
        if (need(o.rules, "--rules"))
            rc = 2;
        else
            rc = pick_run(st, o.rules, o.within, &run_id) != 0 ? 1 : print_days(st, run_id);
    } else if (!strcmp(sub, "show")) {
        if (need(o.rules, "--rules") || need(o.date, "--date") || parse_date(o.date, &d1))
            rc = 2;
        else if (pick_run(st, o.rules, o.within, &run_id) != 0)
            rc = 1;
        else {
            int left = o.limit > 0 ? o.limit : 1 << 30;
            row_header();
            if (zn_zone_map_run(st, run_id, d1, o.level, print_row, &left, &err) != ZN_OK) {
                zn_cli_error(&err);
                rc = 1;
            } else if (left == 0)
                printf("... (--limit %d; --limit 0 shows all)\n", o.limit);
        }
    } else if (!strcmp(sub, "history")) {
        if (need(o.rules, "--rules") || need(o.unit, "--unit"))
            rc = 2;
        else if (pick_run(st, o.rules, o.within, &run_id) != 0)
            rc = 1;
        else {
            int left = 1 << 30;
            row_header();
            if (zn_zone_history_run(st, run_id, o.unit, print_row, &left, &err) != ZN_OK) {
                zn_cli_error(&err);
                rc = 1;
            }
        }
    } else if (!strcmp(sub, "export")) {
        if (need(o.rules, "--rules") || need(o.date, "--date") || parse_date(o.date, &d1))
            rc = 2;
        else if (pick_run(st, o.rules, o.within, &run_id) != 0)
            rc = 1;
        else {
            FILE *f = o.out ? fopen(o.out, "w") : stdout;
            zn_zone_geojson_opts go = {.buffer_m = o.buffer_m, .quad_segs = o.quad_segs, .list_units = o.list_units};
            if (!f) {
                fprintf(stderr, "zhinao zones: cannot write %s: %s\n", o.out, strerror(errno));
                rc = 1;
            } else {
                zn_zone_exporter *x = NULL;
                if (zn_zone_exporter_new_run(st, ctx, run_id, &go, &x, &err) != ZN_OK ||
                    zn_zone_exporter_write(x, d1, f, &err) != ZN_OK) {
                    zn_cli_error(&err);
                    rc = 1;
                }
                zn_zone_exporter_free(x);
                if (f != stdout && fclose(f) != 0)
                    rc = 1;
            }
        }
    } else if (!strcmp(sub, "override")) {
        int64_t id;
        if (need(o.rules, "--rules") || need(o.unit, "--unit") || need(o.date, "--date") || need(o.level, "--level") ||
            need(o.reason, "--reason") || parse_date(o.date, &d1))
            rc = 2;
        else if (load_rules(o.rules, &r) != 0)
            rc = 1;
        else if (zn_zone_override_add(st, &r, o.unit, d1, o.level, o.reason, o.operator_name, &id, &err) != ZN_OK) {
            zn_cli_error(&err);
            rc = 1;
        } else
            printf("override #%lld: %s %s from %s under %s (%s). Re-run `zhinao zones run --rules %s` to apply.\n",
                   (long long)id, o.unit, o.level, o.date, r.name, o.reason, r.name);
    } else if (!strcmp(sub, "event")) {
        zn_zone_event_kind kind;
        if (need(o.unit, "--unit") || need(o.date, "--date") || need(o.kind, "--kind") || parse_date(o.date, &d1))
            rc = 2;
        else if (zn_zone_event_kind_parse(o.kind, &kind) != ZN_OK) {
            fprintf(stderr, "zhinao zones: --kind is case, place, exposure, contact or test_negative\n");
            rc = 2;
        } else if (zn_zone_event_add(st, o.unit, d1, kind, o.isolated, o.source, &err) != ZN_OK) {
            zn_cli_error(&err);
            rc = 1;
        } else
            printf("event recorded: %s %s on %s\n", o.kind, o.unit, o.date);
    } else if (!strcmp(sub, "replay")) {
        rc = cmd_replay(ctx, st, &o);
    } else if (!strcmp(sub, "registry")) {
        rc = cmd_registry(ctx, st, &o);
    }
    zn_cli_close(ctx, st);
    return rc;
}
