/*
 * The contact-tracing kernel (src/trace) against the benchmark's semantics (SPEC.md section 2):
 * the shared hand-built fixture byte for byte, hand-computed boundary cases, bad input, a crowded
 * place, and a property test against a naive O(n^2) reading of the spec written here.
 */
#include "zn_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhinao/trace.h"

/* ---------------------------------------------------------------- helpers */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(b);
        return NULL;
    }
    fclose(f);
    b[n] = '\0';
    if (len)
        *len = (size_t)n;
    return b;
}

static void assert_same_file(const char *got, const char *want)
{
    size_t gl = 0, wl = 0;
    char *g = slurp(got, &gl), *w = slurp(want, &wl);
    assert_non_null(g);
    assert_non_null(w);
    if (gl != wl || memcmp(g, w, gl) != 0)
        fail_msg("%s differs from %s:\n--- got\n%s--- want\n%s", got, want, g, w);
    free(g);
    free(w);
}

static zn_trace_index *build(const zn_trace_stay *s, size_t n, int threads)
{
    zn_trace_index *ix = NULL;
    zn_error err;
    zn_status st = zn_trace_index_build(s, n, threads, &ix, &err);
    if (st != ZN_OK)
        fail_msg("build: %s", err.msg);
    return ix;
}

static void run(const zn_trace_index *ix, const zn_trace_case *c, size_t nc, int64_t D, int threads,
                zn_trace_result *res)
{
    zn_error err;
    zn_status st = zn_trace_run(ix, c, nc, D, threads, res, &err);
    if (st != ZN_OK)
        fail_msg("run: %s", err.msg);
}

/* ---------------------------------------------------------------- brute force (SPEC 2) */

typedef struct brute_out {
    zn_trace_close *close;   /* sorted (index, contact) */
    size_t nclose;
    zn_trace_secondary *sec; /* sorted by contact */
    size_t nsec;
} brute_out;

static int64_t max3(int64_t a, int64_t b, int64_t c) { int64_t m = a > b ? a : b; return m > c ? m : c; }
static int64_t min3(int64_t a, int64_t b, int64_t c) { int64_t m = a < b ? a : b; return m < c ? m : c; }

static int cmp_close(const void *a, const void *b)
{
    const zn_trace_close *x = a, *y = b;
    if (x->index_id != y->index_id)
        return x->index_id < y->index_id ? -1 : 1;
    if (x->contact_id != y->contact_id)
        return x->contact_id < y->contact_id ? -1 : 1;
    return (x->first_exposure > y->first_exposure) - (x->first_exposure < y->first_exposure);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static size_t pidx(const int64_t *ids, size_t n, int64_t p)
{
    const int64_t *f = bsearch(&p, ids, n, sizeof *ids, cmp_i64);
    assert_non_null(f);
    return (size_t)(f - ids);
}

/* The literal reading of SPEC.md section 2, O(stays^2) per case. */
static void brute(const zn_trace_stay *s, size_t n, const zn_trace_case *cs, size_t nc, int64_t D,
                  brute_out *o)
{
    memset(o, 0, sizeof *o);
    size_t cap = 64;
    zn_trace_close *cl = malloc(cap * sizeof *cl);
    size_t ncl = 0;
    for (size_t k = 0; k < nc; k++) {
        const zn_trace_case *ic = &cs[k];
        for (size_t x = 0; x < n; x++) {
            if (s[x].person != ic->person || s[x].t_end <= s[x].t_start)
                continue;
            for (size_t y = 0; y < n; y++) {
                if (s[y].place != s[x].place || s[y].person == ic->person || s[y].t_end <= s[y].t_start)
                    continue;
                int64_t st = max3(s[x].t_start, s[y].t_start, ic->t_from);
                int64_t en = min3(s[x].t_end, s[y].t_end, ic->t_to);
                if (en - st < D)
                    continue;
                if (ncl == cap)
                    cl = realloc(cl, (cap *= 2) * sizeof *cl);
                cl[ncl++] = (zn_trace_close){ic->person, s[y].person, st, 0};
            }
        }
    }
    qsort(cl, ncl, sizeof *cl, cmp_close);
    size_t m = 0;
    for (size_t i = 0; i < ncl; i++)
        if (!m || cl[m - 1].index_id != cl[i].index_id || cl[m - 1].contact_id != cl[i].contact_id)
            cl[m++] = cl[i];
    o->close = cl;
    o->nclose = m;

    /* persons -> dense index (sorted ids), so that the second ring keeps one best per person */
    int64_t *ids = malloc((n + nc + 1) * sizeof *ids);
    size_t np = 0;
    for (size_t x = 0; x < n; x++)
        ids[np++] = s[x].person;
    for (size_t k = 0; k < nc; k++)
        ids[np++] = cs[k].person;
    qsort(ids, np, sizeof *ids, cmp_i64);
    size_t u = 0;
    for (size_t i = 0; i < np; i++)
        if (!u || ids[u - 1] != ids[i])
            ids[u++] = ids[i];
    np = u;
    int64_t *fe = malloc((np + 1) * sizeof *fe), *w = malloc((np + 1) * sizeof *w);
    int64_t *best = malloc((np + 1) * sizeof *best), *via = malloc((np + 1) * sizeof *via);
    char *inC = calloc(np + 1, 1), *inI = calloc(np + 1, 1);
    for (size_t k = 0; k < nc; k++)
        inI[pidx(ids, np, cs[k].person)] = 1;
    for (size_t i = 0; i < m; i++) {
        int64_t wu = 0;
        for (size_t k = 0; k < nc; k++)
            if (cs[k].person == cl[i].index_id)
                wu = cs[k].t_to;
        size_t j = pidx(ids, np, cl[i].contact_id);
        if (!inC[j]) {
            inC[j] = 1;
            fe[j] = cl[i].first_exposure;
            w[j] = wu;
        } else {
            if (cl[i].first_exposure < fe[j]) fe[j] = cl[i].first_exposure;
            if (wu > w[j]) w[j] = wu;
        }
    }
    for (size_t j = 0; j < np; j++)
        best[j] = INT64_MAX;
    for (size_t x = 0; x < n; x++) {
        if (s[x].t_end <= s[x].t_start)
            continue;
        size_t cj = pidx(ids, np, s[x].person);
        if (!inC[cj])
            continue;
        for (size_t y = 0; y < n; y++) {
            if (s[y].place != s[x].place || s[y].t_end <= s[y].t_start)
                continue;
            int64_t st = max3(s[x].t_start, s[y].t_start, fe[cj]);
            int64_t en = min3(s[x].t_end, s[y].t_end, w[cj]);
            if (en - st < D)
                continue;
            size_t q = pidx(ids, np, s[y].person);
            if (inI[q] || inC[q])
                continue;
            if (st < best[q] || (st == best[q] && s[x].person < via[q])) {
                best[q] = st;
                via[q] = s[x].person;
            }
        }
    }
    zn_trace_secondary *sec = malloc((np + 1) * sizeof *sec);
    size_t ns = 0;
    for (size_t q = 0; q < np; q++)
        if (best[q] != INT64_MAX)
            sec[ns++] = (zn_trace_secondary){ids[q], via[q], best[q]};
    o->sec = sec;
    o->nsec = ns;
    free(ids);
    free(fe);
    free(w);
    free(best);
    free(via);
    free(inC);
    free(inI);
}

static void brute_fini(brute_out *o)
{
    free(o->close);
    free(o->sec);
}

static void assert_result_equals(const zn_trace_result *r, const brute_out *b, const char *what)
{
    if (r->nclose != b->nclose)
        fail_msg("%s: %zu close rows, brute force %zu", what, r->nclose, b->nclose);
    for (size_t i = 0; i < b->nclose; i++) {
        const zn_trace_close *x = &r->close[i], *y = &b->close[i];
        if (x->index_id != y->index_id || x->contact_id != y->contact_id ||
            x->first_exposure != y->first_exposure)
            fail_msg("%s: close row %zu: got %lld,%lld,%lld want %lld,%lld,%lld", what, i,
                     (long long)x->index_id, (long long)x->contact_id, (long long)x->first_exposure,
                     (long long)y->index_id, (long long)y->contact_id, (long long)y->first_exposure);
    }
    if (r->nsecondary != b->nsec)
        fail_msg("%s: %zu secondary rows, brute force %zu", what, r->nsecondary, b->nsec);
    for (size_t i = 0; i < b->nsec; i++) {
        const zn_trace_secondary *x = &r->secondary[i], *y = &b->sec[i];
        if (x->contact_id != y->contact_id || x->via_id != y->via_id || x->first_exposure != y->first_exposure)
            fail_msg("%s: secondary row %zu: got %lld,%lld,%lld want %lld,%lld,%lld", what, i,
                     (long long)x->contact_id, (long long)x->via_id, (long long)x->first_exposure,
                     (long long)y->contact_id, (long long)y->via_id, (long long)y->first_exposure);
    }
}

/* xorshift64*, fixed seeds: the tests are deterministic */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

/* ---------------------------------------------------------------- the shared fixture */

static void test_tiny_fixture(void **state)
{
    (void)state;
    char sp[4096], ip[4096], want[4096], got[4096];
    snprintf(sp, sizeof sp, "%s", zn_test_src("tests/data/trace/tiny/stays.csv"));
    snprintf(ip, sizeof ip, "%s", zn_test_src("tests/data/trace/tiny/index.csv"));
    for (int threads = 1; threads <= 2; threads++) {
        zn_trace_index *ix = NULL;
        zn_error err;
        assert_int_equal(zn_trace_index_load_csv(sp, threads, &ix, &err), ZN_OK);
        const zn_trace_build_stats *bs = zn_trace_index_stats(ix);
        assert_int_equal(bs->kept, 25);
        assert_int_equal(bs->rejected, 0);
        assert_int_equal(bs->persons, 11); /* persons 1..9, 11, 12 */
        assert_int_equal(bs->places, 9);   /* 10, 11, 12, 20, 21, 23, 24, 25, 26 */
        zn_trace_case *cs = NULL;
        size_t nc = 0;
        assert_int_equal(zn_trace_cases_load_csv(ip, &cs, &nc, &err), ZN_OK);
        assert_int_equal(nc, 2);
        zn_trace_result res;
        run(ix, cs, nc, 600, threads, &res);
        assert_int_equal(res.nclose, 5);
        assert_int_equal(res.nsecondary, 5);
        const char *dir = zn_test_tmpdir();
        assert_int_equal(zn_trace_write_csv(&res, dir, &err), ZN_OK);
        snprintf(got, sizeof got, "%s/close_contacts.csv", dir);
        snprintf(want, sizeof want, "%s", zn_test_src("tests/data/trace/tiny/expected/close_contacts.csv"));
        assert_same_file(got, want);
        snprintf(got, sizeof got, "%s/secondary_contacts.csv", dir);
        snprintf(want, sizeof want, "%s", zn_test_src("tests/data/trace/tiny/expected/secondary_contacts.csv"));
        assert_same_file(got, want);
        zn_trace_result_fini(&res);
        free(cs);
        zn_trace_index_free(ix);
    }
}

/* ---------------------------------------------------------------- hand-computed boundaries */

/* D = 600, index case 1 with window [1000, 5000]. */
static const zn_trace_stay EDGE[] = {
    {1, 10, 1000, 3000},
    {2, 10, 2400, 4000}, /* overlap [2400, 3000] = 600 = D: counts, first 2400 */
    {3, 10, 2401, 4000}, /* 599: does not */
    {4, 10, 0, 1600},    /* clipped at the window start: [1000, 1600] = 600: counts, first 1000 */
    {5, 10, 0, 1599},    /* 599 after clipping: does not */
    {1, 11, 4000, 9000},
    {6, 11, 4400, 9000}, /* clipped at the window end: [4400, 5000] = 600: counts */
    {7, 11, 4401, 9000}, /* 599 */
    {1, 12, 1000, 1400}, /* two overlaps of 400 s with person 8 never add up */
    {8, 12, 1000, 1400},
    {1, 12, 2000, 2400},
    {8, 12, 2000, 2400},
    {1, 13, 100, 900},   /* entirely before the window */
    {9, 13, 100, 900},
    {10, 14, 1000, 3000}, /* same times, another place: not a contact */
};

static void test_boundaries(void **state)
{
    (void)state;
    zn_trace_case c = {1, 1000, 5000};
    for (int threads = 1; threads <= 2; threads++) {
        zn_trace_index *ix = build(EDGE, sizeof EDGE / sizeof *EDGE, threads);
        zn_trace_result r;
        run(ix, &c, 1, 600, threads, &r);
        assert_int_equal(r.nclose, 3);
        assert_int_equal(r.close[0].contact_id, 2);
        assert_int_equal(r.close[0].first_exposure, 2400);
        assert_int_equal(r.close[0].place, 10);
        assert_int_equal(r.close[1].contact_id, 4);
        assert_int_equal(r.close[1].first_exposure, 1000);
        assert_int_equal(r.close[2].contact_id, 6);
        assert_int_equal(r.close[2].first_exposure, 4400);
        assert_int_equal(r.close[2].place, 11);
        for (size_t i = 0; i < 3; i++)
            assert_int_equal(r.close[i].index_id, 1);
        /* secondary: fe(2) = 2400, W = 5000; person 3 at place 10 overlaps 2's stay on
         * [2401, 4000] clipped to [2401, 4000] -> 1599 >= 600: first 2401 via 2.
         * fe(4) = 1000: 5's stay [0, 1599] vs 4's [0, 1600] clipped from 1000 -> 599: no.
         * 3 also meets 4? [2401, 1600] no. Person 5 vs 2: [2400, 1599] no.
         * fe(6) = 4400, W = 5000: 7 at place 11 [4401, 5000] = 599: no. */
        assert_int_equal(r.nsecondary, 1);
        assert_int_equal(r.secondary[0].contact_id, 3);
        assert_int_equal(r.secondary[0].via_id, 2);
        assert_int_equal(r.secondary[0].first_exposure, 2401);
        zn_trace_result_fini(&r);

        /* D - 1 = 599 admits the 599-second overlaps, still not the split 400 + 400 */
        run(ix, &c, 1, 599, threads, &r);
        assert_int_equal(r.nclose, 6); /* 2, 3, 4, 5, 6, 7 */
        for (size_t i = 0; i < r.nclose; i++)
            assert_int_not_equal(r.close[i].contact_id, 8);
        zn_trace_result_fini(&r);

        /* one incremental query gives the batch's rows */
        zn_trace_close *rows = NULL;
        size_t n = 0;
        zn_error err;
        assert_int_equal(zn_trace_close_one(ix, 1, 1000, 5000, 600, &rows, &n, &err), ZN_OK);
        assert_int_equal(n, 3);
        assert_int_equal(rows[0].contact_id, 2);
        assert_int_equal(rows[1].contact_id, 4);
        assert_int_equal(rows[2].contact_id, 6);
        assert_int_equal(rows[2].first_exposure, 4400);
        free(rows);
        /* unknown person: nothing, not an error */
        assert_int_equal(zn_trace_close_one(ix, 424242, 1000, 5000, 600, &rows, &n, &err), ZN_OK);
        assert_int_equal(n, 0);
        assert_null(rows);
        assert_int_equal(zn_trace_close_one(ix, 1, 5000, 5000, 600, &rows, &n, &err), ZN_EINVAL);
        assert_int_equal(zn_trace_close_one(ix, 1, 1000, 5000, 0, &rows, &n, &err), ZN_EINVAL);
        zn_trace_index_free(ix);
    }
}

/* Index cases meeting each other, an index case that is a close contact acting as `via`, index
 * cases never secondary, W(c) = the latest window end over c's index cases. */
static void test_rings(void **state)
{
    (void)state;
    static const zn_trace_stay S[] = {
        {1, 1, 0, 1000},    {2, 1, 0, 1000},  /* index 1 and index 2 meet: each other's rows */
        {3, 2, 0, 1000},    {1, 2, 0, 1000},  /* 3: close contact of 1 (first 100: window) */
        {3, 3, 1500, 2500}, {2, 3, 1500, 2500}, /* 3: close contact of 2 too, window to 3000 */
        {3, 4, 2600, 4000}, {7, 4, 2600, 4000}, /* 7 meets 3 at [2600, W(3) = 3000] = 400 */
        {2, 5, 900, 3000},  {8, 5, 900, 3000},  /* 8: close contact of 2 */
        {8, 6, 0, 5000},    {9, 6, 0, 5000},    /* 9 meets 8 from fe(8) = 900 to 3000 */
        {1, 6, 0, 5000},                        /* index 1 at place 6 too (but outside its window after 1000) */
    };
    zn_trace_case cs[] = {{2, 0, 3000}, {1, 100, 1000}};
    for (int threads = 1; threads <= 2; threads++) {
        zn_trace_index *ix = build(S, sizeof S / sizeof *S, threads);
        zn_trace_result r;
        run(ix, cs, 2, 300, threads, &r);
        brute_out b;
        brute(S, sizeof S / sizeof *S, cs, 2, 300, &b);
        assert_result_equals(&r, &b, "rings");
        /* by hand: 1 -> 2 (first 100), 3 (100), 8 (place 6 [100, 1000]), 9 (place 6);
         *          2 -> 1 (0), 3 (1500), 8 (900), 9 (place 6? 2 is not at place 6: no) */
        assert_int_equal(r.nclose, 7);
        assert_int_equal(r.close[0].index_id, 1);
        assert_int_equal(r.close[0].contact_id, 2);
        assert_int_equal(r.close[0].first_exposure, 100);
        assert_int_equal(r.close[4].index_id, 2);
        assert_int_equal(r.close[4].contact_id, 1);
        assert_int_equal(r.close[4].first_exposure, 0);
        /* 7: via 3 ([2600, 3000] = 400 >= 300); no index case is secondary */
        assert_int_equal(r.nsecondary, 1);
        assert_int_equal(r.secondary[0].contact_id, 7);
        assert_int_equal(r.secondary[0].via_id, 3);
        assert_int_equal(r.secondary[0].first_exposure, 2600);
        brute_fini(&b);
        zn_trace_result_fini(&r);
        zn_trace_index_free(ix);
    }
}

/* ---------------------------------------------------------------- bad input */

static void test_bad_stays(void **state)
{
    (void)state;
    /* rejected stays: t_end <= t_start, reported with the first one's element number */
    static const zn_trace_stay S[] = {
        {1, 10, 1000, 3000}, {2, 10, 1000, 3000}, {9, 10, 2000, 2000}, {9, 10, 2500, 1000},
        {2, 10, 1000, 3000}, /* exact duplicate of element 2 */
    };
    zn_trace_index *ix = build(S, 5, 1);
    const zn_trace_build_stats *bs = zn_trace_index_stats(ix);
    assert_int_equal(bs->rows, 5);
    assert_int_equal(bs->kept, 3);
    assert_int_equal(bs->rejected, 2);
    assert_int_equal(bs->first_rejected_line, 3);
    assert_int_equal(bs->persons, 2); /* 9 only has rejected stays */
    zn_trace_case cs[] = {{1, 0, 10000}, {77, 0, 10000}, {2, 4000000000LL, 4000001000LL}};
    zn_trace_result r;
    run(ix, cs, 3, 600, 1, &r);
    assert_int_equal(r.cases_without_stays, 1); /* 77 */
    assert_int_equal(r.nclose, 1);              /* 1 -> 2 once despite the duplicate; 2's future window finds nothing */
    assert_int_equal(r.close[0].contact_id, 2);
    assert_int_equal(r.close[0].first_exposure, 1000);
    assert_int_equal(r.nsecondary, 0);
    zn_trace_result_fini(&r);

    zn_error err;
    zn_trace_case dup[] = {{1, 0, 10}, {1, 5, 20}};
    assert_int_equal(zn_trace_run(ix, dup, 2, 600, 1, &r, &err), ZN_EINVAL);
    zn_trace_case empty_window[] = {{1, 10, 10}};
    assert_int_equal(zn_trace_run(ix, empty_window, 1, 600, 1, &r, &err), ZN_EINVAL);
    assert_int_equal(err.line, 1);
    assert_int_equal(zn_trace_run(ix, cs, 1, 0, 1, &r, &err), ZN_EINVAL);
    zn_trace_index_free(ix);

    /* overlapping (not identical) duplicates from two feeds: 2's visit as [1000, 3000) from one
     * feed and [1100, 2900) from another: one row, first exposure 1000 as with one copy. 3's
     * visit as [1500, 2050) and [2000, 2100): 550 s and 100 s with 1, 600 s in their union, but
     * overlaps are per stay pair (SPEC.md), so a duplicate never turns a short visit into a close
     * contact */
    static const zn_trace_stay O[] = {
        {1, 10, 1000, 3000}, {2, 10, 1000, 3000}, {2, 10, 1100, 2900}, {3, 10, 1500, 2050}, {3, 10, 2000, 2100},
    };
    ix = build(O, 5, 1);
    zn_trace_case c1[] = {{1, 0, 10000}};
    run(ix, c1, 1, 600, 1, &r);
    assert_int_equal(r.nclose, 1);
    assert_int_equal(r.close[0].contact_id, 2);
    assert_int_equal(r.close[0].first_exposure, 1000);
    zn_trace_result_fini(&r);
    zn_trace_index_free(ix);

    /* times more than 2^31 s from the first stay cannot be indexed */
    static const zn_trace_stay far[] = {{1, 1, 0, 10}, {2, 1, 5000000000LL, 5000000010LL}};
    assert_int_equal(zn_trace_index_build(far, 2, 1, &ix, &err), ZN_ERANGE);
    assert_int_equal(err.line, 2);
    assert_null(ix);

    /* an empty index answers with nothing */
    ix = build(NULL, 0, 1);
    run(ix, cs, 1, 600, 1, &r);
    assert_int_equal(r.nclose, 0);
    assert_int_equal(r.cases_without_stays, 1);
    zn_trace_result_fini(&r);
    zn_trace_index_free(ix);
}

static void expect_csv_error(const char *text, zn_status want, long line, const char *field)
{
    const char *p = zn_test_write_file("bad_stays.csv", text, strlen(text));
    zn_trace_index *ix = NULL;
    zn_error err;
    zn_error_clear(&err);
    zn_status st = zn_trace_index_load_csv(p, 1, &ix, &err);
    if (st != want)
        fail_msg("'%s': status %s, want %s (%s)", text, zn_status_name(st), zn_status_name(want), err.msg);
    assert_null(ix);
    assert_int_equal(err.line, line);
    if (field)
        assert_string_equal(err.field, field);
    assert_non_null(strstr(err.file, "bad_stays.csv"));
}

static void test_bad_csv(void **state)
{
    (void)state;
    expect_csv_error("person,place,a,b\n1,2,3,4\n", ZN_EPARSE, 1, NULL);
    expect_csv_error("person_id,place_id,t_start,t_end\n1,2,3,4\n1,2,x,4\n", ZN_EPARSE, 3, "t_start");
    expect_csv_error("person_id,place_id,t_start,t_end\n1,2,3\n", ZN_EPARSE, 2, "t_end");
    expect_csv_error("person_id,place_id,t_start,t_end\n1,2,3,4,5\n", ZN_EPARSE, 2, "t_end");
    expect_csv_error("person_id,place_id,t_start,t_end\n-1,2,3,4\n", ZN_EPARSE, 2, "person_id");
    expect_csv_error("person_id,place_id,t_start,t_end\n1,99999999999999999999,3,4\n", ZN_EPARSE, 2, "place_id");
    expect_csv_error("person_id,place_id,t_start,t_end\n1,2,0,10\n2,2,9000000000,9000000010\n", ZN_ERANGE, 3, NULL);

    /* CRLF, a BOM, negative times, no final newline, a rejected row: all fine */
    const char ok[] = "\xEF\xBB\xBFperson_id,place_id,t_start,t_end\r\n1,2,-100,500\r\n3,2,-50,700\r\n4,2,9,9\r\n5,2,0,1";
    const char *p = zn_test_write_file("ok_stays.csv", ok, strlen(ok));
    zn_trace_index *ix = NULL;
    zn_error err;
    assert_int_equal(zn_trace_index_load_csv(p, 1, &ix, &err), ZN_OK);
    const zn_trace_build_stats *bs = zn_trace_index_stats(ix);
    assert_int_equal(bs->kept, 3);
    assert_int_equal(bs->rejected, 1);
    assert_int_equal(bs->first_rejected_line, 4);
    zn_trace_close *rows = NULL;
    size_t n = 0;
    assert_int_equal(zn_trace_close_one(ix, 1, -1000, 1000, 500, &rows, &n, &err), ZN_OK);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].contact_id, 3);
    assert_int_equal(rows[0].first_exposure, -50);
    free(rows);
    zn_trace_index_free(ix);

    /* index-case files */
    zn_trace_case *cs = NULL;
    size_t nc = 0;
    const char *c1 = "person_id,t_from,t_to\n1,0,10\n2,0,10\n1,5,20\n";
    p = zn_test_write_file("cases.csv", c1, strlen(c1));
    assert_int_equal(zn_trace_cases_load_csv(p, &cs, &nc, &err), ZN_EDUPLICATE);
    assert_int_equal(err.line, 4);
    const char *c2 = "person_id,t_from,t_to\n1,10,10\n";
    p = zn_test_write_file("cases.csv", c2, strlen(c2));
    assert_int_equal(zn_trace_cases_load_csv(p, &cs, &nc, &err), ZN_EINVAL);
    assert_int_equal(err.line, 2);
    const char *c3 = "person_id,t_from\n1,10\n";
    p = zn_test_write_file("cases.csv", c3, strlen(c3));
    assert_int_equal(zn_trace_cases_load_csv(p, &cs, &nc, &err), ZN_EPARSE);
    const char *c4 = "person_id,t_from,t_to\n7,-5,10\n\n3,1,2\n";
    p = zn_test_write_file("cases.csv", c4, strlen(c4));
    assert_int_equal(zn_trace_cases_load_csv(p, &cs, &nc, &err), ZN_OK);
    assert_int_equal(nc, 2);
    assert_int_equal(cs[0].person, 7);
    assert_int_equal(cs[0].t_from, -5);
    assert_int_equal(cs[1].t_to, 2);
    free(cs);
    assert_int_equal(zn_trace_cases_load_csv("/nonexistent/cases.csv", &cs, &nc, &err), ZN_EIO);
    assert_int_equal(zn_trace_index_load_csv("/nonexistent/stays.csv", 1, &ix, &err), ZN_EIO);
}

/* ---------------------------------------------------------------- property test */

/* Random small worlds, fixed seed: the kernel equals the brute force, for 1 and 2 threads,
 * built from arrays and from CSV text, and one-case queries equal the batch rows. */
static void random_world(uint64_t *seed, zn_trace_stay **out, size_t *n, zn_trace_case *cs,
                         size_t *nc, int64_t *D, size_t maxn)
{
    size_t m = 1 + rnd(seed) % maxn;
    int64_t npers = 2 + (int64_t)(rnd(seed) % 40), nplace = 1 + (int64_t)(rnd(seed) % 6);
    int64_t span = 200 + (int64_t)(rnd(seed) % 5000);
    int64_t idbase = (rnd(seed) & 1) ? -20 : 1; /* negative ids too: order must be numeric */
    zn_trace_stay *s = malloc(m * sizeof *s);
    for (size_t i = 0; i < m; i++) {
        int64_t a = (int64_t)(rnd(seed) % (uint64_t)span) - 100;
        int64_t len = (rnd(seed) % 8 == 0) ? (int64_t)(rnd(seed) % (uint64_t)span)
                                           : (int64_t)(rnd(seed) % 400);
        if (rnd(seed) % 25 == 0)
            len = -(int64_t)(rnd(seed) % 5); /* rejected */
        s[i] = (zn_trace_stay){idbase + (int64_t)(rnd(seed) % (uint64_t)npers),
                               1000000007LL * (1 + (int64_t)(rnd(seed) % (uint64_t)nplace)), a, a + len};
        if (i && rnd(seed) % 20 == 0)
            s[i] = s[rnd(seed) % i]; /* duplicate */
    }
    *nc = 1 + rnd(seed) % 5; /* <= 5 distinct persons among npers + 2 >= 4 */
    if (*nc > (size_t)npers + 2)
        *nc = (size_t)npers + 2;
    for (size_t k = 0; k < *nc; k++) {
        int64_t p;
        int again;
        do {
            p = idbase + (int64_t)(rnd(seed) % (uint64_t)(npers + 2));
            again = 0;
            for (size_t j = 0; j < k; j++)
                again |= cs[j].person == p;
        } while (again);
        int64_t f = (int64_t)(rnd(seed) % (uint64_t)span) - 200;
        cs[k] = (zn_trace_case){p, f, f + 1 + (int64_t)(rnd(seed) % (uint64_t)span)};
    }
    *D = 1 + (int64_t)(rnd(seed) % 300);
    *out = s;
    *n = m;
}

static const char *stays_csv(const zn_trace_stay *s, size_t n)
{
    zn_buf b = {0};
    zn_buf_puts(&b, "person_id,place_id,t_start,t_end\n");
    for (size_t i = 0; i < n; i++)
        zn_buf_printf(&b, "%lld,%lld,%lld,%lld\n", (long long)s[i].person, (long long)s[i].place,
                      (long long)s[i].t_start, (long long)s[i].t_end);
    const char *p = zn_test_write_file("prop_stays.csv", b.data, b.len);
    zn_buf_fini(&b);
    return p;
}

static void check_world(const zn_trace_stay *s, size_t n, const zn_trace_case *cs, size_t nc, int64_t D,
                        int via_csv, int iter)
{
    brute_out b;
    brute(s, n, cs, nc, D, &b);
    char what[64];
    int negative_ids = 0;
    for (size_t i = 0; i < n; i++)
        negative_ids |= s[i].person < 0;
    for (int threads = 1; threads <= 2; threads++) {
        zn_trace_index *ix = NULL;
        zn_error err;
        zn_status st;
        if (via_csv)
            st = zn_trace_index_load_csv(stays_csv(s, n), threads, &ix, &err);
        else
            st = zn_trace_index_build(s, n, threads, &ix, &err);
        if (via_csv && negative_ids) {
            /* negative person/place ids are not valid in the benchmark CSV format */
            assert_int_equal(st, ZN_EPARSE);
            break;
        }
        if (st != ZN_OK)
            fail_msg("iteration %d: build: %s", iter, err.msg);
        zn_trace_result r;
        run(ix, cs, nc, D, threads, &r);
        snprintf(what, sizeof what, "iteration %d threads %d csv %d", iter, threads, via_csv);
        assert_result_equals(&r, &b, what);
        /* incremental = batch rows of that case */
        for (size_t k = 0; k < nc; k++) {
            zn_trace_close *rows = NULL;
            size_t m = 0;
            assert_int_equal(zn_trace_close_one(ix, cs[k].person, cs[k].t_from, cs[k].t_to, D, &rows, &m, &err), ZN_OK);
            size_t j = 0;
            for (size_t i = 0; i < r.nclose; i++) {
                if (r.close[i].index_id != cs[k].person)
                    continue;
                if (j >= m || rows[j].contact_id != r.close[i].contact_id ||
                    rows[j].first_exposure != r.close[i].first_exposure || rows[j].place != r.close[i].place)
                    fail_msg("%s: incremental row %zu of case %lld differs", what, j, (long long)cs[k].person);
                j++;
            }
            assert_int_equal(j, m);
            free(rows);
        }
        zn_trace_result_fini(&r);
        zn_trace_index_free(ix);
    }
    brute_fini(&b);
}

static void test_property_small(void **state)
{
    (void)state;
    uint64_t seed = 0x5EED0001ULL;
    for (int it = 0; it < 400; it++) {
        zn_trace_stay *s;
        size_t n, nc;
        zn_trace_case cs[8];
        int64_t D;
        random_world(&seed, &s, &n, cs, &nc, &D, 120);
        check_world(s, n, cs, nc, D, it % 4 == 0, it);
        free(s);
    }
}

/* Bigger worlds (several producers when built on 2 threads: >= 1024 rows each). */
static void test_property_multi_producer(void **state)
{
    (void)state;
    uint64_t seed = 0x5EED0002ULL;
    for (int it = 0; it < 6; it++) {
        zn_trace_stay *s;
        size_t n, nc;
        zn_trace_case cs[8];
        int64_t D;
        random_world(&seed, &s, &n, cs, &nc, &D, 1);
        free(s);
        n = 2500 + rnd(&seed) % 1500;
        s = malloc(n * sizeof *s);
        for (size_t i = 0; i < n; i++) {
            int64_t a = (int64_t)(rnd(&seed) % 200000);
            s[i] = (zn_trace_stay){1 + (int64_t)(rnd(&seed) % 600), 3000000000LL + (int64_t)(rnd(&seed) % 40),
                                   a, a + 60 + (int64_t)(rnd(&seed) % ((rnd(&seed) % 10) ? 7200 : 90000))};
        }
        for (size_t k = 0; k < nc; k++) {
            cs[k].person = 1 + (int64_t)k * 97;
            cs[k].t_from = (int64_t)(rnd(&seed) % 150000);
            cs[k].t_to = cs[k].t_from + 20000;
        }
        check_world(s, n, cs, nc, 300 + (int64_t)(rnd(&seed) % 900), 0, it);
        free(s);
    }
}

/* Crowded places with multi-day stays, on a coarse time grid (ties on starts and on first
 * exposures): ring 2 sweeps these places instead of enumerating pairs; equal to brute force. */
static void test_property_sweep(void **state)
{
    (void)state;
    uint64_t seed = 0x5EED0005ULL;
    for (int it = 0; it < 12; it++) {
        size_t n = 1500 + rnd(&seed) % 1500;
        zn_trace_stay *s = malloc(n * sizeof *s);
        int64_t grid = 300 * (1 + (int64_t)(rnd(&seed) % 4));
        for (size_t i = 0; i < n; i++) {
            int64_t a = grid * (int64_t)(rnd(&seed) % (uint64_t)(1209600 / grid));
            int64_t len = (rnd(&seed) % 10 == 0) ? grid * (int64_t)(rnd(&seed) % (uint64_t)(400000 / grid))
                                                : grid * (1 + (int64_t)(rnd(&seed) % 12));
            s[i] = (zn_trace_stay){1 + (int64_t)(rnd(&seed) % 700), 55 + (int64_t)(rnd(&seed) % 2), a, a + len};
        }
        zn_trace_case cs[4];
        size_t nc = 1 + rnd(&seed) % 4;
        for (size_t k = 0; k < nc; k++) {
            cs[k].person = 1 + (int64_t)k * 101;
            cs[k].t_from = grid * (int64_t)(rnd(&seed) % (uint64_t)(900000 / grid));
            cs[k].t_to = cs[k].t_from + 345600;
        }
        check_world(s, n, cs, nc, grid * (1 + (int64_t)(rnd(&seed) % 3)), 0, 1000 + it);
        free(s);
    }
}

/* A 1.5 MB CSV: read in two slices on 2 threads; the rejected row in the second slice is
 * reported at its absolute line; the result equals the array build on 1 thread. */
static void test_csv_slices(void **state)
{
    (void)state;
    uint64_t seed = 0x5EED0003ULL;
    size_t n = 40000;
    zn_trace_stay *s = malloc(n * sizeof *s);
    for (size_t i = 0; i < n; i++) {
        int64_t a = 1646000000 + (int64_t)(rnd(&seed) % 1209600);
        s[i] = (zn_trace_stay){1 + (int64_t)(rnd(&seed) % 5000), 9000000000LL + (int64_t)(rnd(&seed) % 30),
                               a, a + 600 + (int64_t)(rnd(&seed) % 7200)};
    }
    s[30000].t_end = s[30000].t_start; /* rejected, line 30002 */
    const char *p = stays_csv(s, n);
    zn_trace_index *a = NULL, *b = NULL;
    zn_error err;
    assert_int_equal(zn_trace_index_load_csv(p, 2, &a, &err), ZN_OK);
    assert_int_equal(zn_trace_index_stats(a)->threads, 2);
    assert_int_equal(zn_trace_index_stats(a)->rejected, 1);
    assert_int_equal(zn_trace_index_stats(a)->first_rejected_line, 30002);
    b = build(s, n, 1);
    assert_int_equal(zn_trace_index_stats(b)->first_rejected_line, 30001);
    assert_int_equal(zn_trace_index_stats(a)->persons, zn_trace_index_stats(b)->persons);
    assert_int_equal(zn_trace_index_stats(a)->places, zn_trace_index_stats(b)->places);
    zn_trace_case cs[3] = {{17, 1646200000, 1646545600}, {4000, 1646000000, 1646345600}, {123, 1646500000, 1646845600}};
    zn_trace_result ra, rb;
    run(a, cs, 3, 600, 2, &ra);
    run(b, cs, 3, 600, 1, &rb);
    assert_true(ra.nclose > 0);
    assert_true(ra.nsecondary > 0);
    assert_int_equal(ra.nclose, rb.nclose);
    assert_int_equal(ra.nsecondary, rb.nsecondary);
    assert_memory_equal(ra.close, rb.close, ra.nclose * sizeof *ra.close);
    assert_memory_equal(ra.secondary, rb.secondary, ra.nsecondary * sizeof *ra.secondary);
    zn_trace_result_fini(&ra);
    zn_trace_result_fini(&rb);
    zn_trace_index_free(a);
    zn_trace_index_free(b);
    free(s);
}

/* ---------------------------------------------------------------- a crowded place */

/* 100 000 stays at one place (a railway station): 1 % last days, so the max-end tree answers;
 * two index cases with short stays. Checked against the brute force restricted to the
 * stays that can matter (all of them at the station: it is O(n * stays of C), not O(n^2)). */
static void test_crowded_place(void **state)
{
    (void)state;
    uint64_t seed = 0x5EED0004ULL;
    size_t n = 100000;
    zn_trace_stay *s = malloc(n * sizeof *s);
    for (size_t i = 0; i < n; i++) {
        int64_t a = (int64_t)(rnd(&seed) % 1209600);
        int64_t len = (rnd(&seed) % 100 == 0) ? 86400 + (int64_t)(rnd(&seed) % 259200)
                                              : 300 + (int64_t)(rnd(&seed) % 2400);
        s[i] = (zn_trace_stay){1 + (int64_t)(i / 2), 777, a, a + len};
    }
    /* index cases: short stays, short windows */
    s[0] = (zn_trace_stay){1, 777, 600000, 601200};
    s[1] = (zn_trace_stay){1, 777, 900000, 900600};
    s[2] = (zn_trace_stay){2, 777, 300000, 301000};
    s[3] = (zn_trace_stay){2, 777, 1000000, 1000900};
    zn_trace_case cs[] = {{1, 590000, 950000}, {2, 290000, 650000}};
    int64_t D = 900;
    zn_trace_index *ix = build(s, n, 2);
    zn_trace_result r;
    run(ix, cs, 2, D, 2, &r);
    brute_out b;
    brute(s, n, cs, 2, D, &b);
    assert_true(b.nclose > 10);
    assert_true(b.nsec > 1000);
    assert_result_equals(&r, &b, "crowded place");
    brute_fini(&b);
    zn_trace_result_fini(&r);
    zn_trace_index_free(ix);
    free(s);
}

/* ---------------------------------------------------------------- plans */

static zn_trace_plan plan(const char *name)
{
    zn_trace_plan p;
    zn_error err;
    zn_status st = zn_trace_plan_find(zn_test_src("data/plans"), name, &p, &err);
    if (st != ZN_OK)
        fail_msg("plan %s: %s (%s)", name, err.msg, err.field);
    return p;
}

static void test_plans(void **state)
{
    (void)state;
    zn_trace_plan p8 = plan("plan-8"), p9 = plan("plan-9"), p20 = plan("plan-20measures"), p10 = plan("plan-10");
    assert_string_equal(p8.name, "plan-8");
    assert_int_equal(p8.lookback_days, 2);
    assert_int_equal(p9.lookback_days, 4);
    assert_int_equal(p20.lookback_days, 4);
    assert_int_equal(p8.close_isolation_days, 14);
    assert_int_equal(p8.close_home_days, 7);
    assert_int_equal(p9.close_isolation_days, 7);
    assert_int_equal(p9.close_home_days, 3);
    assert_int_equal(p20.close_isolation_days, 5);
    assert_int_equal(p20.close_home_days, 3);
    assert_int_equal(p8.nclose_pcr, 4);
    assert_int_equal(p8.close_pcr_days[3], 14);
    assert_int_equal(p9.nclose_pcr, 5);
    assert_int_equal(p9.secondary_home_days, 7);
    assert_int_equal(p9.nsecondary_pcr, 3);
    assert_int_equal(p8.secondary_isolation_days, 7);
    assert_true(p8.trace_secondary && p9.trace_secondary);
    assert_false(p20.trace_secondary);
    assert_int_equal(p20.secondary_window, ZN_SECWIN_NONE);
    assert_int_equal(p9.secondary_window, ZN_SECWIN_UNTIL_ISOLATION);
    assert_false(p10.trace_close);
    assert_int_equal(p9.aircraft_rows, 3);
    assert_int_equal(p9.ventilated_bus_rows, 3);
    assert_int_equal(p9.min_overlap_s, 600);
    assert_int_equal(p9.companion_cell_m, 800);
    assert_int_equal(p9.companion_cumulative_s, 30 * 3600);
    assert_int_equal(p9.proximity_threshold_s, 900);
    assert_int_equal(p9.proximity_resolution_s, 20);
    assert_int_equal(p9.proximity_period_s, 86400);
    assert_int_equal(p8.venue_dwell_s, 3600);
    assert_int_equal(p10.venue_dwell_s, 3600);
    assert_int_equal(p9.companion_window_days, 14);

    /* windows: onset T, isolated T + 1 d */
    const int64_t T = 1656000000, DAY = 86400;
    zn_trace_case c8, c9;
    zn_error err;
    assert_int_equal(zn_trace_plan_case(&p8, 1, T, T + DAY, &c8, &err), ZN_OK);
    assert_int_equal(c8.t_from, T - 2 * DAY);
    assert_int_equal(c8.t_to, T + DAY);
    assert_int_equal(zn_trace_plan_case(&p9, 1, T, T + DAY, &c9, &err), ZN_OK);
    assert_int_equal(c9.t_from, T - 4 * DAY);
    assert_int_equal(zn_trace_plan_case(&p10, 1, T, T + DAY, &c9, &err), ZN_EINVAL);
    assert_int_equal(zn_trace_plan_case(&p9, 1, T, T - 5 * DAY, &c9, &err), ZN_EINVAL);

    /* a meeting 3 days before onset is traced under plan-9 (4 d), not plan-8 (2 d); the
     * secondary ring exists under plan-9 only */
    const zn_trace_stay S[] = {
        {1, 10, T - 3 * DAY, T - 3 * DAY + 3600}, {2, 10, T - 3 * DAY, T - 3 * DAY + 3600},
        {1, 11, T - DAY, T - DAY + 3600},         {3, 11, T - DAY, T - DAY + 3600},
        {3, 12, T, T + 7200},                     {4, 12, T, T + 7200},
    };
    zn_trace_index *ix = build(S, 6, 1);
    zn_trace_result r;
    assert_int_equal(zn_trace_plan_case(&p8, 1, T, T + DAY, &c8, &err), ZN_OK);
    assert_int_equal(zn_trace_plan_case(&p9, 1, T, T + DAY, &c9, &err), ZN_OK);
    assert_int_equal(zn_trace_run_plan(ix, &p8, &c8, 1, 1, &r, &err), ZN_OK);
    assert_int_equal(r.nclose, 1);
    assert_int_equal(r.close[0].contact_id, 3);
    assert_int_equal(r.nsecondary, 1); /* 4 via 3 */
    zn_trace_result_fini(&r);
    assert_int_equal(zn_trace_run_plan(ix, &p9, &c9, 1, 1, &r, &err), ZN_OK);
    assert_int_equal(r.nclose, 2);
    assert_int_equal(r.close[0].contact_id, 2);
    assert_int_equal(r.close[0].first_exposure, T - 3 * DAY);
    assert_int_equal(r.nsecondary, 1);
    assert_int_equal(r.secondary[0].contact_id, 4);
    assert_int_equal(r.secondary[0].via_id, 3);
    zn_trace_result_fini(&r);
    assert_int_equal(zn_trace_run_plan(ix, &p20, &c9, 1, 1, &r, &err), ZN_OK);
    assert_int_equal(r.nclose, 2);
    assert_int_equal(r.nsecondary, 0);
    zn_trace_result_fini(&r);
    assert_int_equal(zn_trace_run_plan(ix, &p10, &c9, 1, 1, &r, &err), ZN_OK);
    assert_int_equal(r.nclose, 0);
    zn_trace_result_fini(&r);
    zn_trace_index_free(ix);

    /* a number without its source is refused; unknown plans are not found */
    size_t len;
    char *text = slurp(zn_test_src("data/plans/plan-9.json"), &len);
    assert_non_null(text);
    char *src = strstr(text, "\"lookback_days\"");
    assert_non_null(src);
    char *s2 = strstr(src, "\"source\"");
    memcpy(s2, "\"sourcX\"", 8);
    zn_test_write_file("plan-nosource.json", text, len);
    free(text);
    zn_trace_plan p;
    assert_int_equal(zn_trace_plan_find(zn_test_tmpdir(), "plan-nosource", &p, &err), ZN_EVALIDATE);
    assert_string_equal(err.field, "lookback_days");
    assert_int_equal(zn_trace_plan_find(zn_test_src("data/plans"), "plan-99", &p, &err), ZN_ENOTFOUND);
    assert_int_equal(zn_trace_plan_find(zn_test_src("data/plans"), "../plans/plan-9", &p, &err), ZN_EINVAL);
    zn_test_write_file("plan-broken.json", "{\"name\": ", 9);
    assert_int_equal(zn_trace_plan_find(zn_test_tmpdir(), "plan-broken", &p, &err), ZN_EPARSE);
}

/* 时空伴随: more than 10 minutes in the same cell; with the refinement, only where either party
 * spent more than 30 h in that cell over the 14 days before the window end. */
static void test_companions(void **state)
{
    (void)state;
    zn_trace_plan p9 = plan("plan-9");
    const int64_t T = 1656000000, H = 3600;
    const zn_trace_stay S[] = {
        {1, 9001, T, T + H},               /* index case 1 in cell 9001 for an hour */
        {2, 9001, T + H - 601, T + 2 * H}, /* 601 s together: more than 10 min */
        {3, 9001, T + H - 600, T + 2 * H}, /* exactly 600 s: not more than 10 min */
        {4, 9001, T - 40 * H, T - 9 * H},  /* 31 h in the cell, earlier: never with 1 */
        {4, 9001, T + 100, T + 800},       /* 700 s with 1, and 4 lives here (31 h) */
        {1, 9002, T + 2 * H, T + 3 * H},   /* another cell */
        {5, 9002, T + 2 * H, T + 3 * H},   /* an hour with 1, but nobody dwells there long */
    };
    zn_trace_index *ix = build(S, sizeof S / sizeof *S, 1);
    zn_trace_case c = {1, T - 4 * 86400, T + 86400};
    zn_trace_close *r = NULL;
    size_t n = 0;
    zn_error err;
    assert_int_equal(zn_trace_companions(ix, &p9, &c, 0, &r, &n, &err), ZN_OK);
    assert_int_equal(n, 3); /* 2, 4, 5 */
    assert_int_equal(r[0].contact_id, 2);
    assert_int_equal(r[0].first_exposure, T + H - 601);
    assert_int_equal(r[0].place, 9001);
    assert_int_equal(r[1].contact_id, 4);
    assert_int_equal(r[2].contact_id, 5);
    assert_int_equal(r[2].place, 9002);
    free(r);
    assert_int_equal(zn_trace_companions(ix, &p9, &c, 1, &r, &n, &err), ZN_OK);
    assert_int_equal(n, 1); /* only 4: 31 h > 30 h in cell 9001 */
    assert_int_equal(r[0].contact_id, 4);
    assert_int_equal(r[0].first_exposure, T + 100);
    free(r);
    /* the 14-day window: 4's long stay falls out when the case's window ends 15 days later */
    zn_trace_case late = {1, T - 4 * 86400, T + 15 * 86400};
    assert_int_equal(zn_trace_companions(ix, &p9, &late, 1, &r, &n, &err), ZN_OK);
    assert_int_equal(n, 0);
    assert_null(r);
    zn_trace_index_free(ix);
}

/* ---------------------------------------------------------------- households and seats */

static void test_household(void **state)
{
    (void)state;
    const zn_trace_member m[] = {{1, 100}, {2, 100}, {3, 100}, {4, 200}, {5, 200}, {1, 300}, {6, 300}, {2, 100}};
    const zn_trace_case cs[] = {{5, 0, 10}, {1, 0, 10}};
    zn_trace_pair *p = NULL;
    size_t n = 0;
    zn_error err;
    assert_int_equal(zn_trace_household(m, 8, cs, 2, &p, &n, &err), ZN_OK);
    assert_int_equal(n, 4);
    const int64_t want[4][3] = {{1, 2, 100}, {1, 3, 100}, {1, 6, 300}, {5, 4, 200}};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(p[i].index_id, want[i][0]);
        assert_int_equal(p[i].contact_id, want[i][1]);
        assert_int_equal(p[i].via, want[i][2]);
    }
    free(p);
    assert_int_equal(zn_trace_household(m, 8, NULL, 0, &p, &n, &err), ZN_OK);
    assert_int_equal(n, 0);
    assert_null(p);
}

static void test_cotravel(void **state)
{
    (void)state;
    zn_trace_plan p9 = plan("plan-9");
    const int64_t T = 1656000000;
#define SEAT(trip, person, veh, car, row) {trip, person, T, veh, car, row}
    const zn_trace_seat s[] = {
        /* aircraft: the case's row and 3 rows in front and behind, not 4 */
        SEAT(1000, 1, ZN_VEHICLE_AIRCRAFT, 0, 10), SEAT(1000, 11, ZN_VEHICLE_AIRCRAFT, 0, 10),
        SEAT(1000, 12, ZN_VEHICLE_AIRCRAFT, 0, 7),  SEAT(1000, 13, ZN_VEHICLE_AIRCRAFT, 0, 13),
        SEAT(1000, 14, ZN_VEHICLE_AIRCRAFT, 0, 6),  SEAT(1000, 15, ZN_VEHICLE_AIRCRAFT, 0, 14),
        /* ventilated bus: 3 rows either side, not 4 */
        SEAT(2000, 1, ZN_VEHICLE_BUS_VENTILATED, 0, 5), SEAT(2000, 21, ZN_VEHICLE_BUS_VENTILATED, 0, 2),
        SEAT(2000, 22, ZN_VEHICLE_BUS_VENTILATED, 0, 8), SEAT(2000, 23, ZN_VEHICLE_BUS_VENTILATED, 0, 1),
        SEAT(2000, 24, ZN_VEHICLE_BUS_VENTILATED, 0, 9),
        /* sealed bus: everyone */
        SEAT(3000, 1, ZN_VEHICLE_BUS_SEALED, 0, 1), SEAT(3000, 31, ZN_VEHICLE_BUS_SEALED, 0, 20),
        /* sealed train: the same carriage only */
        SEAT(4000, 1, ZN_VEHICLE_TRAIN_SEALED, 3, 1), SEAT(4000, 41, ZN_VEHICLE_TRAIN_SEALED, 3, 30),
        SEAT(4000, 42, ZN_VEHICLE_TRAIN_SEALED, 4, 1),
        /* open train: same or adjacent bay of the same carriage */
        SEAT(5000, 1, ZN_VEHICLE_TRAIN_OPEN, 2, 5), SEAT(5000, 51, ZN_VEHICLE_TRAIN_OPEN, 2, 6),
        SEAT(5000, 52, ZN_VEHICLE_TRAIN_OPEN, 2, 7), SEAT(5000, 53, ZN_VEHICLE_TRAIN_OPEN, 1, 5),
        /* a flight after the case was isolated */
        {6000, 1, T + 10 * 86400, ZN_VEHICLE_AIRCRAFT, 0, 1}, {6000, 61, T + 10 * 86400, ZN_VEHICLE_AIRCRAFT, 0, 1},
    };
#undef SEAT
    zn_trace_case c = {1, T - 4 * 86400, T + 86400};
    zn_trace_pair *p = NULL;
    size_t n = 0;
    zn_error err;
    assert_int_equal(zn_trace_cotravel(&p9, s, sizeof s / sizeof *s, &c, 1, &p, &n, &err), ZN_OK);
    const int64_t want[][2] = {{11, 1000}, {12, 1000}, {13, 1000}, {21, 2000}, {22, 2000},
                               {31, 3000}, {41, 4000}, {51, 5000}};
    assert_int_equal(n, sizeof want / sizeof *want);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(p[i].index_id, 1);
        assert_int_equal(p[i].contact_id, want[i][0]);
        assert_int_equal(p[i].via, want[i][1]);
        assert_int_equal(p[i].exposure, T);
    }
    free(p);
    /* a plan with 4 aircraft rows admits rows 6 and 14 */
    p9.aircraft_rows = 4;
    assert_int_equal(zn_trace_cotravel(&p9, s, 6, &c, 1, &p, &n, &err), ZN_OK);
    assert_int_equal(n, 5);
    free(p);
    zn_trace_seat bad_seat = {1, 1, T, (zn_trace_vehicle)9, 0, 0};
    assert_int_equal(zn_trace_cotravel(&p9, &bad_seat, 1, &c, 1, &p, &n, &err), ZN_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiny_fixture),
        cmocka_unit_test(test_boundaries),
        cmocka_unit_test(test_rings),
        cmocka_unit_test(test_bad_stays),
        cmocka_unit_test(test_bad_csv),
        cmocka_unit_test(test_property_small),
        cmocka_unit_test(test_property_multi_producer),
        cmocka_unit_test(test_property_sweep),
        cmocka_unit_test(test_csv_slices),
        cmocka_unit_test(test_crowded_place),
        cmocka_unit_test(test_plans),
        cmocka_unit_test(test_companions),
        cmocka_unit_test(test_household),
        cmocka_unit_test(test_cotravel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
