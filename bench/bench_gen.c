/*
 * bench_gen: time the demo-city generator (zn_gen_city) and print one table row per size.
 *
 *   build/bench_gen [--persons N[,N...]] [--days D] [--threads T] [--out DIR] [--data DIR]
 *                   [--stays] [--keep]
 *
 * Defaults: 1000000 persons, 14 days, all CPUs (at most 8), output in /tmp/zn-bench-gen (removed
 * afterwards unless --keep), shipped data from $ZHINAO_DATA or ./data (run from the repository
 * root), truth_stays.csv off (it is not a feed). The target of issue 8: 1 million persons x 14
 * days in under 2 minutes on 2 cores. Timing only: nothing here is a test.
 */
#include "zhinao/gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *persons = "1000000", *out = "/tmp/zn-bench-gen", *data = getenv("ZHINAO_DATA");
    int days = 14, threads = 0, stays = 0, keep = 0;
    if (!data || !*data)
        data = "data";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--stays"))
            stays = 1;
        else if (!strcmp(a, "--keep"))
            keep = 1;
        else if (v && !strcmp(a, "--persons"))
            persons = argv[++i];
        else if (v && !strcmp(a, "--days"))
            days = atoi(argv[++i]);
        else if (v && !strcmp(a, "--threads"))
            threads = atoi(argv[++i]);
        else if (v && !strcmp(a, "--out"))
            out = argv[++i];
        else if (v && !strcmp(a, "--data"))
            data = argv[++i];
        else {
            fprintf(stderr, "usage: bench_gen [--persons N[,N...]] [--days D] [--threads T] [--out DIR] "
                            "[--data DIR] [--stays] [--keep]\n");
            return 2;
        }
    }
    zn_ctx *ctx;
    if (zn_ctx_new(&ctx) != ZN_OK)
        return 1;
    printf("%10s %5s %7s %12s %10s %10s %12s %10s %9s\n", "persons", "days", "threads", "rows", "MB",
           "seconds", "rows/s", "infections", "reported");
    char list[1024];
    snprintf(list, sizeof list, "%s", persons);
    int rc = 0;
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        zn_gen_options o;
        zn_gen_options_default(&o);
        o.persons = atoll(tok);
        o.days = days;
        o.threads = threads;
        o.out_dir = out;
        o.data_dir = data;
        o.write_stays = stays;
        zn_gen_summary s;
        zn_error err;
        double t0 = now_s();
        zn_status st = zn_gen_city(ctx, &o, &s, &err);
        double dt = now_s() - t0;
        if (st != ZN_OK) {
            char buf[1024];
            fprintf(stderr, "bench_gen: %s\n", zn_error_format(&err, buf, sizeof buf));
            rc = 1;
            break;
        }
        char th[16];
        if (threads)
            snprintf(th, sizeof th, "%d", threads);
        else
            snprintf(th, sizeof th, "auto");
        printf("%10lld %5d %7s %12lld %10.1f %10.1f %12.0f %10lld %9lld\n", (long long)o.persons, days, th,
               (long long)s.feed_rows, s.bytes / 1e6, dt,
               s.feed_rows / dt, (long long)s.infections, (long long)s.cases_reported);
        fflush(stdout);
        if (!keep) {
            char cmd[1200];
            snprintf(cmd, sizeof cmd, "rm -rf '%s'", out);
            if (system(cmd) != 0)
                fprintf(stderr, "bench_gen: could not remove %s\n", out);
        }
    }
    zn_ctx_free(ctx);
    return rc;
}
