/*
 * bench_trace: the contact-tracing kernel on a benchmark data directory (../shared/bench/SPEC.md).
 *
 *   bench_trace DATA_DIR OUT_DIR [MIN_OVERLAP [THREADS [NCASES]]]
 *
 * Loads DATA_DIR/stays.csv into the index (load phase), runs the batch query for
 * DATA_DIR/index.csv (query phase) and writes OUT_DIR/{close,secondary}_contacts.csv (write),
 * then times the incremental query: the close contacts of NCASES (default 1000) "new" index
 * cases — persons drawn with a fixed seed, each with a 4-day window ending at a midnight of the
 * data's period, like gen.py's index cases — answered one at a time from the prepared index.
 * Prints one `key=value` line per measurement (seconds unless the name says ms).
 */
#include "zhinao/trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static long maxrss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_trace DATA_DIR OUT_DIR [MIN_OVERLAP [THREADS [NCASES]]]\n");
        return 2;
    }
    const char *data = argv[1], *outdir = argv[2];
    long long D = argc > 3 ? atoll(argv[3]) : 600;
    int threads = argc > 4 ? atoi(argv[4]) : 0;
    int ncase = argc > 5 ? atoi(argv[5]) : 1000;
    char sp[4096], ip[4096];
    snprintf(sp, sizeof sp, "%s/stays.csv", data);
    snprintf(ip, sizeof ip, "%s/index.csv", data);
    zn_error err;
    char eb[1024];

    double t0 = zn_trace_clock();
    zn_trace_case *cases = NULL;
    size_t ncases = 0;
    if (zn_trace_cases_load_csv(ip, &cases, &ncases, &err) != ZN_OK) {
        fprintf(stderr, "%s\n", zn_error_format(&err, eb, sizeof eb));
        return 1;
    }
    zn_trace_index *ix = NULL;
    if (zn_trace_index_load_csv(sp, threads, &ix, &err) != ZN_OK) {
        fprintf(stderr, "%s\n", zn_error_format(&err, eb, sizeof eb));
        return 1;
    }
    double t1 = zn_trace_clock();
    const zn_trace_build_stats *bs = zn_trace_index_stats(ix);
    long rss_load = maxrss_mb();
    zn_trace_result res;
    if (zn_trace_run(ix, cases, ncases, D, threads, &res, &err) != ZN_OK) {
        fprintf(stderr, "%s\n", zn_error_format(&err, eb, sizeof eb));
        return 1;
    }
    double t2 = zn_trace_clock();
    mkdir(outdir, 0777);
    if (zn_trace_write_csv(&res, outdir, &err) != ZN_OK) {
        fprintf(stderr, "%s\n", zn_error_format(&err, eb, sizeof eb));
        return 1;
    }
    double t3 = zn_trace_clock();
    printf("stays=%llu persons=%llu places=%llu rejected=%llu threads=%d\n",
           (unsigned long long)bs->kept, (unsigned long long)bs->persons,
           (unsigned long long)bs->places, (unsigned long long)bs->rejected, bs->threads);
    printf("index_bytes=%zu bytes_per_stay=%.2f\n", bs->bytes, bs->kept ? (double)bs->bytes / (double)bs->kept : 0);
    printf("load=%.4f parse=%.4f build=%.4f maxrss_after_load_mb=%ld\n", t1 - t0, bs->parse_s, bs->build_s, rss_load);
    printf("query=%.4f close=%.4f secondary=%.4f write=%.4f total=%.4f\n", t2 - t1, res.close_s,
           res.secondary_s, t3 - t2, t3 - t0);
    printf("close_rows=%zu close_distinct=%zu secondary_rows=%zu maxrss_mb=%ld\n", res.nclose,
           res.nclose_distinct, res.nsecondary, maxrss_mb());

    /* incremental: one new index case at a time */
    if (ncase > 0 && bs->persons > 0) {
        int64_t tmin = INT64_MAX, tmax = INT64_MIN;
        for (size_t i = 0; i < ncases; i++) {
            if (cases[i].t_from < tmin) tmin = cases[i].t_from;
            if (cases[i].t_to > tmax) tmax = cases[i].t_to;
        }
        if (ncases == 0) {
            tmin = 0;
            tmax = 4 * 86400;
        }
        int64_t span_days = (tmax - tmin) / 86400;
        if (span_days < 4)
            span_days = 4;
        double *lat = malloc((size_t)ncase * sizeof *lat);
        uint64_t rng = 0x9E3779B97F4A7C15ULL;
        size_t total = 0;
        int64_t maxid = res.nclose ? 0 : 1;
        for (size_t i = 0; i < res.nclose; i++)
            if (res.close[i].contact_id > maxid) maxid = res.close[i].contact_id;
        for (size_t i = 0; i < res.nsecondary; i++)
            if (res.secondary[i].contact_id > maxid) maxid = res.secondary[i].contact_id;
        for (int k = 0; k < ncase; k++) {
            rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
            int64_t person = 1 + (int64_t)(rng % (uint64_t)maxid);
            int64_t d = 4 + (int64_t)((rng >> 20) % (uint64_t)(span_days - 3));
            int64_t to = tmin + (d - 4) * 86400 + 4 * 86400;
            zn_trace_close *rows = NULL;
            size_t n = 0;
            double a = zn_trace_clock();
            zn_trace_close_one(ix, person, to - 4 * 86400, to, D, &rows, &n, &err);
            lat[k] = (zn_trace_clock() - a) * 1e3;
            total += n;
            free(rows);
        }
        qsort(lat, (size_t)ncase, sizeof *lat, cmp_double);
        printf("incremental_cases=%d mean_contacts=%.1f p50_ms=%.4f p99_ms=%.4f max_ms=%.4f\n", ncase,
               (double)total / ncase, lat[ncase / 2], lat[(ncase * 99) / 100], lat[ncase - 1]);
        free(lat);
    }
    zn_trace_result_fini(&res);
    zn_trace_index_free(ix);
    free(cases);
    return 0;
}
