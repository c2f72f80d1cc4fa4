/*
 * bench_trace_prox: proximity events (zn_trace_proximity) at scale — does the rule stay near
 * n log n, however many events one pair has?
 *
 *   bench_trace_prox [N [INDEX_CASES]]
 *
 * N events (default 10^7) among 10^5 persons over 14 days on a 20 s grid (a city's Bluetooth
 * feed); a tenth of them between 1 000 "colleague" pairs, so that pairs hold thousands of events;
 * INDEX_CASES (default 1 000) index cases with 4-day windows, half of them members of colleague
 * pairs. Prints seconds and rows for N / 10 and N, and seconds per million events.
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

static int one(size_t n, size_t ncases)
{
    const int64_t DAY = 86400, P = 100000;
    uint64_t seed = 0xB1E7007ULL + n;
    zn_trace_event *ev = malloc(n * sizeof *ev);
    zn_trace_case *cs = malloc(ncases * sizeof *cs);
    if (!ev || !cs)
        return 1;
    for (size_t k = 0; k < n; k++) {
        int64_t t = 20 * (int64_t)(rnd(&seed) % (uint64_t)(14 * DAY / 20));
        if (rnd(&seed) % 10 == 0) {
            int64_t pair = (int64_t)(rnd(&seed) % 1000);
            ev[k] = (zn_trace_event){t, 1 + 2 * pair, 2 + 2 * pair};
        } else {
            ev[k] = (zn_trace_event){t, 1 + (int64_t)(rnd(&seed) % P), 1 + (int64_t)(rnd(&seed) % P)};
        }
    }
    for (size_t c = 0; c < ncases; c++) {
        int64_t person = c % 2 ? 1 + (int64_t)c : 2001 + 37 * (int64_t)c; /* distinct */
        int64_t d = 4 + (int64_t)(rnd(&seed) % 10);
        cs[c] = (zn_trace_case){person, (d - 4) * DAY, d * DAY};
    }
    zn_trace_prox_rule rule = {900, 20, DAY};
    zn_trace_prox *rows = NULL;
    size_t nrows = 0;
    zn_error err;
    double t0 = zn_trace_clock();
    if (zn_trace_proximity(ev, n, &rule, cs, ncases, &rows, &nrows, &err) != ZN_OK) {
        fprintf(stderr, "proximity: %s (line %ld)\n", err.msg, err.line);
        return 1;
    }
    double t1 = zn_trace_clock();
    printf("events=%zu index_cases=%zu query_s=%.3f close=%zu s_per_million_events=%.3f\n", n, ncases, t1 - t0,
           nrows, (t1 - t0) * 1e6 / (double)n);
    free(rows);
    free(cs);
    free(ev);
    return 0;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)atoll(argv[1]) : 10000000;
    size_t ncases = argc > 2 ? (size_t)atoll(argv[2]) : 1000;
    if (n < 1000 || ncases < 1 || ncases > 2000) {
        fprintf(stderr, "usage: bench_trace_prox [N >= 1000 [INDEX_CASES 1..2000]]\n");
        return 2;
    }
    return one(n / 10, ncases) || one(n, ncases);
}
