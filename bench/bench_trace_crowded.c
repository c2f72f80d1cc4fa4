/*
 * bench_trace_crowded: one very crowded place (a railway station) — does the kernel stay near
 * n log n + output?
 *
 *   bench_trace_crowded [N [LONG_PERMILLE [THREADS]]]
 *
 * N stays (default 10^6) at one place over 14 days, two per person; LONG_PERMILLE per mille of
 * them (default 10) last 1-3 days, the rest 5-60 min; 20 index cases with 4-day windows, each with
 * a 30-minute stay at the station. Prints build and query seconds, the close and secondary counts
 * and the seconds per million stays, for N and N/10, so the scaling can be read off directly.
 */
#include "zhinao/trace.h"

#include <stdio.h>
#include <stdlib.h>

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

static int one(size_t n, int long_pm, int threads)
{
    const int64_t T0 = 1646064000 - 28800, DAY = 86400;
    uint64_t seed = 0xC0FFEEULL + n;
    zn_trace_stay *s = malloc(n * sizeof *s);
    if (!s)
        return 1;
    for (size_t i = 0; i < n; i++) {
        int64_t a = T0 + (int64_t)(rnd(&seed) % (uint64_t)(14 * DAY));
        int64_t len = (rnd(&seed) % 1000 < (uint64_t)long_pm) ? DAY + (int64_t)(rnd(&seed) % (uint64_t)(2 * DAY))
                                                            : 300 + (int64_t)(rnd(&seed) % 3300);
        s[i] = (zn_trace_stay){1 + (int64_t)(i / 2), 42, a, a + len};
    }
    zn_trace_case cs[20];
    for (int k = 0; k < 20; k++) {
        int64_t person = 1 + (int64_t)(rnd(&seed) % (n / 2));
        int64_t d = 4 + (int64_t)(rnd(&seed) % 10);
        cs[k] = (zn_trace_case){person, T0 + (d - 4) * DAY, T0 + d * DAY};
        size_t i = (size_t)(person - 1) * 2; /* its first stay: 30 min inside the window */
        s[i].t_start = T0 + (d - 2) * DAY + (int64_t)(rnd(&seed) % 36000);
        s[i].t_end = s[i].t_start + 1800;
        s[i + 1].t_end = s[i + 1].t_start + 600; /* and a short second one */
    }
    zn_error err;
    zn_trace_index *ix = NULL;
    double t0 = zn_trace_clock();
    if (zn_trace_index_build(s, n, threads, &ix, &err) != ZN_OK) {
        fprintf(stderr, "build: %s\n", err.msg);
        return 1;
    }
    double t1 = zn_trace_clock();
    zn_trace_result r;
    if (zn_trace_run(ix, cs, 20, 600, threads, &r, &err) != ZN_OK) {
        fprintf(stderr, "run: %s\n", err.msg);
        return 1;
    }
    double t2 = zn_trace_clock();
    printf("stays=%zu long_permille=%d build_s=%.3f query_s=%.3f close=%zu close_distinct=%zu secondary=%zu "
           "query_s_per_million_stays=%.3f\n",
           n, long_pm, t1 - t0, t2 - t1, r.nclose, r.nclose_distinct, r.nsecondary, (t2 - t1) * 1e6 / (double)n);
    zn_trace_result_fini(&r);
    zn_trace_index_free(ix);
    free(s);
    return 0;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)atoll(argv[1]) : 1000000;
    int long_pm = argc > 2 ? atoi(argv[2]) : 10;
    int threads = argc > 3 ? atoi(argv[3]) : 0;
    if (n < 1000) {
        fprintf(stderr, "usage: bench_trace_crowded [N >= 1000 [LONG_PERMILLE [THREADS]]]\n");
        return 2;
    }
    return one(n / 10, long_pm, threads) || one(n, long_pm, threads);
}
