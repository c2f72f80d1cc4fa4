/*
 * bench_zone: the zone kernel at city and province scale, beside the obvious SQL, and the real
 * Shanghai replay.
 *   bench_zone [--units N] [--days D] [--rules NAME] [--data DIR] [--db PATH] [--sql-days K]
 * 1. Synthetic: N units (default 1,000,000) in 100 counties over D days (default 120) of an
 *    epidemic curve that rises and falls (peak 3 % of units listed a day); zn_zone_evaluate of
 *    rule set NAME (default shanghai-2022-04): wall and CPU seconds, history rows, memory.
 *    Peer: the daily sealed/controlled counts as one SQLite query per day over an indexed
 *    case table (COUNT DISTINCT units with a case in the last 7 / 8..14 days), the way a report
 *    on top of a relational store would get them; timed on the first K days (default 10) of the
 *    peak and extrapolated. Both are checked to agree on those days.
 * 2. With --db PATH (a store built by `zhinao demo`): zn_zone_units_build, zn_zone_run over
 *    2022-03-18 .. 05-19 and the GeoJSON of the sealed and controlled zones for every day.
 * The machine may be shared: CPU seconds are what an idle core needs. Results go in docs/zones.md.
 * Never run by the tests.
 */
#include "common.h"
#include "zhinao/store.h"
#include "zhinao/zone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static long max_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

int main(int argc, char **argv)
{
    long nunits = 1000000, ndays = 120, sql_days = 10;
    const char *rules_name = "shanghai-2022-04", *db = NULL;
    const char *data = getenv("ZHINAO_DATA") ? getenv("ZHINAO_DATA") : "data";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--units"))
            nunits = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--days"))
            ndays = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--rules"))
            rules_name = argv[i + 1];
        else if (!strcmp(argv[i], "--data"))
            data = argv[i + 1];
        else if (!strcmp(argv[i], "--db"))
            db = argv[i + 1];
        else if (!strcmp(argv[i], "--sql-days"))
            sql_days = atol(argv[i + 1]);
        else {
            fprintf(stderr, "usage: bench_zone [--units N] [--days D] [--rules NAME] [--data DIR] [--db PATH]"
                            " [--sql-days K]\n");
            return 2;
        }
    }
    if (nunits < 1000 || ndays < 30 || sql_days < 1) {
        fprintf(stderr, "bench_zone: need --units >= 1000, --days >= 30, --sql-days >= 1\n");
        return 2;
    }
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/rules", data);
    zn_zone_rules r;
    zn_error err;
    zn_bench_check(zn_zone_rules_find(dir, rules_name, &r, &err), &err, "rules");

    /* 1. synthetic epidemic: daily listed units follow a triangle peaking at day ndays/3 with
     * 3 % of units; half of the listings hit units listed before (hot spots: the first 5 %) */
    int32_t from = 19000, to = from + (int32_t)ndays - 1;
    int32_t *county = malloc((size_t)nunits * sizeof *county);
    size_t cap = (size_t)nunits * 2, nev = 0;
    zn_zone_event *ev = malloc(cap * sizeof *ev);
    if (!county || !ev)
        return 1;
    for (long u = 0; u < nunits; u++)
        county[u] = (int32_t)(u % 100);
    long peak = ndays / 3;
    uint64_t rng = 88172645463325252ULL;
    for (long d = 0; d < ndays; d++) {
        double f = d <= peak ? (double)d / (double)peak : (double)(ndays - d) / (double)(ndays - peak);
        long k = (long)(0.03 * f * (double)nunits);
        for (long i = 0; i < k && nev < cap; i++) {
            uint64_t hot = zn_bench_xorshift(&rng) & 1, x = zn_bench_xorshift(&rng);
            long u = hot ? (long)(x % (uint64_t)(nunits / 20)) : (long)(x % (uint64_t)nunits);
            ev[nev++] = (zn_zone_event){.unit = (int32_t)u, .day = from + (int32_t)d, .kind = ZN_ZONE_EV_CASE};
        }
    }
    zn_zone_input in = {.nunits = (size_t)nunits, .unit_county = county, .events = ev, .nevents = nev, .from = from,
                        .to = to, .missing = -1};
    zn_zone_result res;
    double t0 = zn_bench_now_s(), c0 = zn_bench_cpu_s();
    zn_bench_check(zn_zone_evaluate(&r, &in, &res, &err), &err, "evaluate");
    double wall = zn_bench_now_s() - t0, cpu = zn_bench_cpu_s() - c0;
    printf("## bench_zone\n\n");
    printf("synthetic: %ld units, %ld days, %zu case events, rules %s\n\n", nunits, ndays, nev, r.name);
    printf("| what | wall s | CPU s | output |\n|---|---:|---:|---|\n");
    printf("| zn_zone_evaluate (every unit, every day; history + counts) | %.2f | %.2f | %zu history rows, "
           "max RSS %ld MB |\n",
           wall, cpu, res.nperiods, max_rss_mb());

    /* the peer: SQLite, one query per day over an indexed table of (day, unit) */
    zn_ctx *ctx;
    zn_store *st;
    zn_ctx_new(&ctx);
    zn_bench_check(zn_store_open(ctx, ":memory:", &st, &err), &err, "open");
    zn_bench_check(zn_store_exec(st, "CREATE TABLE cases (day INTEGER NOT NULL, unit INTEGER NOT NULL)", &err), &err,
                   "ddl");
    zn_stmt *ins;
    zn_bench_check(zn_stmt_prepare(st, "INSERT INTO cases VALUES (?, ?)", &ins, &err), &err, "prepare");
    t0 = zn_bench_now_s();
    zn_store_begin(st, &err);
    for (size_t i = 0; i < nev; i++) {
        zn_stmt_reset(ins);
        zn_stmt_bind_int64(ins, 1, ev[i].day);
        zn_stmt_bind_int64(ins, 2, ev[i].unit);
        zn_bench_check(zn_stmt_step(ins, NULL, &err), &err, "insert");
    }
    zn_store_commit(st, &err);
    zn_stmt_finalize(ins);
    zn_bench_check(zn_store_exec(st, "CREATE INDEX cases_day ON cases(day, unit)", &err), &err, "index");
    double load = zn_bench_now_s() - t0;
    zn_stmt *qs, *qc;
    zn_bench_check(zn_stmt_prepare(st, "SELECT COUNT(DISTINCT unit) FROM cases WHERE day BETWEEN ? AND ?", &qs, &err),
                   &err, "prepare");
    zn_bench_check(zn_stmt_prepare(st,
                                   "SELECT COUNT(*) FROM (SELECT unit, MAX(day) AS last FROM cases WHERE day <= ? "
                                   "GROUP BY unit) WHERE last BETWEEN ? AND ?",
                                   &qc, &err),
                   &err, "prepare");
    int mismatches = 0;
    t0 = zn_bench_now_s();
    c0 = zn_bench_cpu_s();
    for (long k = 0; k < sql_days; k++) {
        int32_t d = from + (int32_t)peak + (int32_t)k;
        if (d > to)
            break;
        int row;
        zn_stmt_reset(qs);
        zn_stmt_bind_int64(qs, 1, d - 6);
        zn_stmt_bind_int64(qs, 2, d);
        zn_bench_check(zn_stmt_step(qs, &row, &err), &err, "sealed query");
        int64_t sealed = zn_stmt_column_int64(qs, 0);
        zn_stmt_reset(qc);
        zn_stmt_bind_int64(qc, 1, d);
        zn_stmt_bind_int64(qc, 2, d - 13);
        zn_stmt_bind_int64(qc, 3, d - 7);
        zn_bench_check(zn_stmt_step(qc, &row, &err), &err, "controlled query");
        int64_t controlled = zn_stmt_column_int64(qc, 0);
        if (sealed != zn_zone_result_units(&res, d, 0) || controlled != zn_zone_result_units(&res, d, 1))
            mismatches++;
    }
    double swall = zn_bench_now_s() - t0, scpu = zn_bench_cpu_s() - c0;
    printf("| SQLite: load + index the case table | %.2f | | %zu rows |\n", load, nev);
    printf("| SQLite: daily counts, %ld peak days | %.2f | %.2f | %.2f s a day; all %ld days ~ %.0f s; "
           "counts only, no history |\n",
           sql_days, swall, scpu, swall / (double)sql_days, ndays, swall / (double)sql_days * (double)ndays);
    printf("\nagreement on the %ld days: %s\n", sql_days, mismatches ? "MISMATCH" : "same counts");
    zn_stmt_finalize(qs);
    zn_stmt_finalize(qc);
    zn_store_close(st);
    zn_zone_result_fini(&res);
    free(ev);
    free(county);

    /* 2. the real replay */
    if (db) {
        zn_bench_check(zn_store_open(ctx, db, &st, &err), &err, "open db");
        printf("\nreal: Shanghai 2022 on %s\n\n| step | wall s | CPU s |\n|---|---:|---:|\n", db);
        zn_zone_units_summary us;
        t0 = zn_bench_now_s();
        c0 = zn_bench_cpu_s();
        zn_bench_check(zn_zone_units_build(st, 0, &us, &err), &err, "units");
        printf("| units: %lld addresses -> %lld place units | %.2f | %.2f |\n", (long long)us.addresses,
               (long long)us.places, zn_bench_now_s() - t0, zn_bench_cpu_s() - c0);
        zn_zone_rules sh;
        zn_bench_check(zn_zone_rules_find(dir, "shanghai-2022-04", &sh, &err), &err, "rules");
        zn_zone_run_opts o = {.missing = -1};
        zn_zone_day_parse("2022-03-18", &o.from, NULL);
        zn_zone_day_parse("2022-05-19", &o.to, NULL);
        zn_zone_run_summary rs;
        t0 = zn_bench_now_s();
        c0 = zn_bench_cpu_s();
        zn_bench_check(zn_zone_run(st, &sh, &o, &rs, NULL, &err), &err, "run");
        printf("| zn_zone_run: %lld events, %lld history rows stored | %.2f | %.2f |\n", (long long)rs.events,
               (long long)rs.periods, zn_bench_now_s() - t0, zn_bench_cpu_s() - c0);
        zn_zone_geojson_opts go = {.levels = 3};
        zn_zone_exporter *x;
        t0 = zn_bench_now_s();
        c0 = zn_bench_cpu_s();
        zn_bench_check(zn_zone_exporter_new(st, ctx, sh.name, &go, &x, &err), &err, "exporter");
        FILE *devnull = fopen("/dev/null", "w");
        for (int32_t d = o.from; d <= o.to; d++)
            zn_bench_check(zn_zone_exporter_write(x, d, devnull, &err), &err, "geojson");
        fclose(devnull);
        zn_zone_exporter_free(x);
        printf("| GeoJSON of sealed + controlled, %d days | %.2f | %.2f |\n", o.to - o.from + 1, zn_bench_now_s() - t0,
               zn_bench_cpu_s() - c0);
        zn_store_close(st);
    }
    zn_ctx_free(ctx);
    return 0;
}
