/*
 * Proximity events (zn_trace_proximity, zn_trace_events_load): the cumulative face-to-face rule
 * on hand-built pairs (threshold exactly reached, one event short, separate bursts adding up,
 * duplicates from two feeds, the 24 h period edge, the window edge, self-events), and a random
 * property test against a second-by-second brute force.
 */
#include "zn_test.h"
#include "zhinao/trace.h"

#include <stdlib.h>
#include <string.h>

typedef struct evvec {
    zn_trace_event *v;
    size_t n, cap;
} evvec;

static void add(evvec *e, int64_t t, int64_t i, int64_t j)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 256;
        e->v = realloc(e->v, e->cap * sizeof *e->v);
        assert_non_null(e->v);
    }
    e->v[e->n++] = (zn_trace_event){t, i, j};
}

/* k events of pair (i, j) at t0, t0 + 20, ... */
static void burst(evvec *e, int64_t t0, int k, int64_t i, int64_t j)
{
    for (int m = 0; m < k; m++)
        add(e, t0 + 20 * m, i, j);
}

static const zn_trace_prox *row_of(const zn_trace_prox *r, size_t n, int64_t index, int64_t contact)
{
    for (size_t k = 0; k < n; k++)
        if (r[k].index_id == index && r[k].contact_id == contact)
            return &r[k];
    return NULL;
}

static void test_rule(void **state)
{
    (void)state;
    evvec e = {0};
    burst(&e, 1000, 45, 1, 2);            /* 45 x 20 s = 900 s: exactly the threshold, in */
    burst(&e, 3000, 44, 3, 1);            /* 880 s (either order of i, j): out */
    burst(&e, 10000, 15, 1, 4);           /* three 300 s bursts: cumulative 900 s, in */
    burst(&e, 20000, 15, 4, 1);
    burst(&e, 30000, 15, 1, 4);
    burst(&e, 40000, 30, 1, 5);           /* 600 s recorded twice (two feeds): 600 s, out */
    burst(&e, 40000, 30, 5, 1);
    add(&e, 40010, 1, 5);                 /* overlapping event: still 600 s */
    burst(&e, 100000, 23, 1, 6);          /* 460 s, then 440 s ending exactly 24 h later: in */
    burst(&e, 100000 + 86400 - 440, 22, 6, 1);
    burst(&e, 100000, 23, 1, 10);         /* 460 s + 460 s ending 24 h + 40 s later: 920 s in */
    burst(&e, 100000 + 86400 - 420, 23, 10, 1); /* all, but any 24 h holds 880 s: out */
    burst(&e, 199110, 45, 1, 7);          /* the last event is cut by the window end: 890 s */
    burst(&e, 50000, 100, 1, 1);          /* with oneself: ignored */
    burst(&e, 60000, 100, 9, 11);         /* no index case: ignored */
    zn_trace_case cs[] = {{1, 0, 200000}, {2, 0, 1500}, {8, 300000, 400000}};
    zn_trace_prox_rule rule = {900, 20, 86400};
    zn_trace_prox *r = NULL;
    size_t n = 0;
    zn_error err;
    assert_int_equal(zn_trace_proximity(e.v, e.n, &rule, cs, 3, &r, &n, &err), ZN_OK);
    assert_int_equal(n, 3);
    assert_int_equal(r[0].index_id, 1); /* sorted by index, contact */
    assert_int_equal(r[0].contact_id, 2);
    assert_int_equal(r[0].first_exposure, 1000);
    assert_int_equal(r[0].last_exposure, 1900);
    assert_int_equal(r[0].contact_s, 900);
    assert_int_equal(r[0].period_max_s, 900);
    assert_int_equal(r[1].contact_id, 4);
    assert_int_equal(r[1].first_exposure, 10000);
    assert_int_equal(r[1].last_exposure, 30300);
    assert_int_equal(r[1].contact_s, 900);
    assert_int_equal(r[2].contact_id, 6);
    assert_int_equal(r[2].first_exposure, 100000);
    assert_int_equal(r[2].last_exposure, 186400);
    assert_int_equal(r[2].contact_s, 900);
    /* case 2's window [0, 1500) holds 25 of the 45 events with 1: 500 s; case 8's is empty */
    assert_null(row_of(r, n, 2, 1));
    free(r);

    /* with the 24 h period, 10 has 920 s in all but 880 s at most in any 24 h */
    rule.threshold_s = 1;
    assert_int_equal(zn_trace_proximity(e.v, e.n, &rule, cs, 3, &r, &n, &err), ZN_OK);
    const zn_trace_prox *p10 = row_of(r, n, 1, 10);
    assert_non_null(p10);
    assert_int_equal(p10->contact_s, 920);
    assert_int_equal(p10->period_max_s, 880);
    assert_int_equal(row_of(r, n, 1, 5)->contact_s, 600);
    assert_null(row_of(r, n, 1, 1));
    assert_null(row_of(r, n, 9, 11));
    free(r);

    /* the whole window instead of 24 h: 10 now in */
    rule.threshold_s = 900;
    rule.period_s = 0;
    assert_int_equal(zn_trace_proximity(e.v, e.n, &rule, cs, 3, &r, &n, &err), ZN_OK);
    assert_int_equal(n, 4);
    assert_int_equal(r[3].contact_id, 10);
    assert_int_equal(r[3].contact_s, 920);
    assert_int_equal(r[3].period_max_s, 920);
    free(r);
    rule.threshold_s = 880; /* also 3 (880 s) and 7 (890 s) */
    assert_int_equal(zn_trace_proximity(e.v, e.n, &rule, cs, 3, &r, &n, &err), ZN_OK);
    assert_int_equal(n, 6);
    assert_non_null(row_of(r, n, 1, 3));
    const zn_trace_prox *p7 = row_of(r, n, 1, 7);
    assert_non_null(p7);
    assert_int_equal(p7->contact_s, 890);
    assert_int_equal(p7->last_exposure, 200000);
    free(r);
    rule.threshold_s = 500; /* case 2 now has 1 (500 s in [0, 1500)) */
    assert_int_equal(zn_trace_proximity(e.v, e.n, &rule, cs, 3, &r, &n, &err), ZN_OK);
    const zn_trace_prox *p21 = row_of(r, n, 2, 1);
    assert_non_null(p21);
    assert_int_equal(p21->contact_s, 500);
    assert_int_equal(p21->last_exposure, 1500);
    free(r);

    /* a coarser resolution (Bluetooth-like 60 s): the 44-event burst makes 44 x 20 + 40 = 920 s
     * of merged time ([3000, 3920)) */
    zn_trace_prox_rule r60 = {900, 60, 86400};
    assert_int_equal(zn_trace_proximity(e.v, e.n, &r60, cs, 1, &r, &n, &err), ZN_OK);
    const zn_trace_prox *p3 = row_of(r, n, 1, 3);
    assert_non_null(p3);
    assert_int_equal(p3->contact_s, 920);
    free(r);

    /* bad input */
    zn_trace_case dup[] = {{1, 0, 10}, {1, 5, 20}};
    assert_int_equal(zn_trace_proximity(e.v, e.n, &rule, dup, 2, &r, &n, &err), ZN_EINVAL);
    assert_int_equal(err.line, 2);
    zn_trace_case empty[] = {{1, 10, 10}};
    assert_int_equal(zn_trace_proximity(e.v, e.n, &rule, empty, 1, &r, &n, &err), ZN_EINVAL);
    zn_trace_prox_rule bad = {0, 20, 0};
    assert_int_equal(zn_trace_proximity(e.v, e.n, &bad, cs, 1, &r, &n, &err), ZN_EINVAL);
    assert_int_equal(zn_trace_proximity(NULL, 0, &rule, cs, 1, &r, &n, &err), ZN_OK);
    assert_int_equal(n, 0);
    assert_null(r);
    free(e.v);
}

/* ---------------------------------------------------------------- property */

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

#define PT 6000

/* Brute force: mark every covered second of the pair inside the window, sum, slide the period
 * one second at a time. */
static void brute_pair(const zn_trace_event *ev, size_t n, int64_t a, int64_t b, int64_t from, int64_t to,
                       int64_t res, int64_t period, int64_t *total, int64_t *best)
{
    static unsigned char cov[PT + 200];
    memset(cov, 0, sizeof cov);
    for (size_t k = 0; k < n; k++)
        if ((ev[k].i == a && ev[k].j == b) || (ev[k].i == b && ev[k].j == a))
            for (int64_t s = ev[k].t; s < ev[k].t + res; s++)
                if (s >= from && s < to)
                    cov[s] = 1;
    *total = 0;
    for (int64_t s = 0; s < PT + 200; s++)
        *total += cov[s];
    static int64_t pre[PT + 201];
    pre[0] = 0;
    for (int64_t s = 0; s < PT + 200; s++)
        pre[s + 1] = pre[s] + cov[s];
    *best = 0;
    for (int64_t x = 0; x < PT + 200; x++) {
        int64_t y = x + period < PT + 200 ? x + period : PT + 200;
        if (pre[y] - pre[x] > *best)
            *best = pre[y] - pre[x];
    }
}

static void test_property(void **state)
{
    (void)state;
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    size_t found = 0, cut = 0;
    for (int round = 0; round < 20; round++) {
        size_t n = 300 + rnd(&seed) % 900;
        zn_trace_event *ev = malloc(n * sizeof *ev);
        for (size_t k = 0; k < n; k++)
            ev[k] = (zn_trace_event){(int64_t)(rnd(&seed) % PT), 1 + (int64_t)(rnd(&seed) % 6),
                                     1 + (int64_t)(rnd(&seed) % 6)};
        zn_trace_case cs[] = {{1, 500, 4500}, {3, 0, 3000}};
        zn_trace_prox_rule rule = {200 + (int64_t)(rnd(&seed) % 300), 17 + (int64_t)(rnd(&seed) % 40),
                                   (round % 3 == 0) ? 0 : 600 + (int64_t)(rnd(&seed) % 1500)};
        zn_trace_prox *r = NULL;
        size_t nr = 0;
        zn_error err;
        assert_int_equal(zn_trace_proximity(ev, n, &rule, cs, 2, &r, &nr, &err), ZN_OK);
        size_t want = 0;
        for (int c = 0; c < 2; c++)
            for (int64_t o = 1; o <= 6; o++) {
                if (o == cs[c].person)
                    continue;
                int64_t total, best;
                brute_pair(ev, n, cs[c].person, o, cs[c].t_from, cs[c].t_to, rule.resolution_s,
                           rule.period_s ? rule.period_s : PT + 200, &total, &best);
                const zn_trace_prox *p = row_of(r, nr, cs[c].person, o);
                int in = total > 0 && best >= rule.threshold_s;
                if (in != (p != NULL))
                    fail_msg("round %d case %lld contact %lld: brute %lld/%lld, kernel %s", round,
                             (long long)cs[c].person, (long long)o, (long long)total, (long long)best,
                             p ? "in" : "out");
                if (p) {
                    assert_int_equal(p->contact_s, total);
                    assert_int_equal(p->period_max_s, best);
                    want++;
                    cut += best < total;
                }
            }
        assert_int_equal(nr, want);
        found += nr;
        free(r);
        free(ev);
    }
    print_message("property: %zu contacts, %zu over one period\n", found, cut);
    assert_true(found > 40); /* the rounds do find contacts ... */
    assert_true(cut > 5);    /* ... some of them with more time than fits in one period */
}

/* ---------------------------------------------------------------- files */

static void test_load(void **state)
{
    (void)state;
    const char *text = "t i j\n20 1 2\n40\t2 1\n\n# a comment\n60,1,3\r\n";
    const char *p = zn_test_write_file("events.dat", text, strlen(text));
    zn_trace_event *ev = NULL;
    size_t n = 0;
    zn_error err;
    assert_int_equal(zn_trace_events_load(p, &ev, &n, &err), ZN_OK);
    assert_int_equal(n, 3);
    assert_int_equal(ev[1].t, 40);
    assert_int_equal(ev[1].i, 2);
    assert_int_equal(ev[1].j, 1);
    assert_int_equal(ev[2].j, 3);
    free(ev);
    const char *bad = "20 1 2\n40 2 x\n";
    p = zn_test_write_file("events_bad.dat", bad, strlen(bad));
    assert_int_equal(zn_trace_events_load(p, &ev, &n, &err), ZN_EPARSE);
    assert_int_equal(err.line, 2);
    assert_string_equal(err.field, "j");
    assert_null(ev);
    const char *extra = "20 1 2 7\n";
    p = zn_test_write_file("events_extra.dat", extra, strlen(extra));
    assert_int_equal(zn_trace_events_load(p, &ev, &n, &err), ZN_EPARSE);
    assert_int_equal(err.line, 1);
    assert_int_equal(zn_trace_events_load("/nonexistent/x.dat", &ev, &n, &err), ZN_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule),
        cmocka_unit_test(test_property),
        cmocka_unit_test(test_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
