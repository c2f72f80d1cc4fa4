/*
 * Queries on a built stay index: the probe of one place, the close contacts of one index case,
 * and the batch run of SPEC.md section 2 (close contacts, then secondary contacts), on threads.
 *
 * Probe. A stay pair qualifies iff min(hi, b) - max(lo, a) >= D, where [lo, hi) is the query
 * stay already clipped to the window; given hi - lo >= D this is exactly
 *     a <= hi - D  (=: X),   b >= lo + D  (=: Y),   b - a >= D,
 * i.e. a two-sided dominance query on the place's stays (sorted by a). The X side is a binary
 * search. For the Y side, stays with a < Y - maxdur(place) cannot reach Y, so a second binary
 * search usually leaves a short range to scan; when it does not (a crowded place holding long
 * stays), a max-of-b segment tree over blocks of 16 positions reports only the blocks holding a
 * b >= Y: O(log n + output) per probe.
 *
 * Determinism: every output is a minimum (first exposure; then smallest contact), so the split
 * of work between threads cannot change it.
 */
#include "trace_int.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- vectors */

typedef zn__tr_vec u32vec;

static int u32vec_reserve(u32vec *v, size_t extra)
{
    if (v->n + extra <= v->cap)
        return 0;
    size_t c = v->cap ? v->cap : 256;
    while (c < v->n + extra)
        c *= 2;
    uint32_t *nv = realloc(v->v, c * sizeof *nv);
    if (!nv)
        return -1;
    v->v = nv;
    v->cap = c;
    return 0;
}

typedef struct hit {
    uint32_t c, s, g;
} hit;

typedef struct hitvec {
    hit *v;
    size_t n, cap;
} hitvec;

static int hitvec_push(hitvec *h, hit x)
{
    if (h->n == h->cap) {
        size_t c = h->cap ? h->cap * 2 : 256;
        hit *nv = realloc(h->v, c * sizeof *nv);
        if (!nv)
            return -1;
        h->v = nv;
        h->cap = c;
    }
    h->v[h->n++] = x;
    return 0;
}

/* ---------------------------------------------------------------- probe */

static inline uint32_t upper_bound(const uint32_t *A, uint32_t lo, uint32_t hi, uint32_t x)
{
    /* first j in [lo, hi) with A[j] > x */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (A[mid] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static inline uint32_t lower_bound(const uint32_t *A, uint32_t lo, uint32_t hi, uint32_t x)
{
    /* first j in [lo, hi) with A[j] >= x */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (A[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Scan positions [l, k) (all with A <= X), appending those with B >= Y and B - A >= D. */
static inline void scan_range(const uint32_t *A, const uint32_t *B, uint32_t l, uint32_t k,
                              uint32_t Y, uint32_t D, u32vec *out)
{
    for (uint32_t j = l; j < k; j++)
        if (B[j] >= Y && B[j] - A[j] >= D)
            out->v[out->n++] = j;
}

static void tree_scan(const zn_trace_index *ix, uint32_t l, uint32_t k, uint32_t Y, uint32_t D,
                      u32vec *out)
{
    const uint32_t *T = ix->tree, *A = ix->A, *B = ix->B;
    size_t S = ix->tree_leaves;
    size_t stack[160];
    size_t lo = (l >> ZN__TR_LEAF_SHIFT) + S, hi = ((k - 1) >> ZN__TR_LEAF_SHIFT) + 1 + S;
    size_t roots[128];
    int nr = 0;
    for (; lo < hi; lo >>= 1, hi >>= 1) {
        if (lo & 1)
            roots[nr++] = lo++;
        if (hi & 1)
            roots[nr++] = --hi;
    }
    for (int r = 0; r < nr; r++) {
        if (T[roots[r]] < Y)
            continue;
        int sp = 0;
        stack[sp++] = roots[r];
        while (sp) {
            size_t node = stack[--sp];
            if (node >= S) {
                uint32_t j0 = (uint32_t)((node - S) << ZN__TR_LEAF_SHIFT);
                uint32_t j1 = j0 + (1u << ZN__TR_LEAF_SHIFT);
                if (j0 < l)
                    j0 = l;
                if (j1 > k)
                    j1 = k;
                scan_range(A, B, j0, j1, Y, D, out);
                continue;
            }
            if (T[2 * node + 1] >= Y)
                stack[sp++] = 2 * node + 1;
            if (T[2 * node] >= Y)
                stack[sp++] = 2 * node;
        }
    }
}

/* Append to out every position j of place g whose stay overlaps [lo, hi) by at least D.
 * Requires hi - lo >= D >= 1. Returns -1 on out of memory. */
static int probe(const zn_trace_index *ix, uint32_t g, uint32_t lo, uint32_t hi, uint32_t D,
                 u32vec *out)
{
    const uint32_t *A = ix->A, *B = ix->B;
    uint32_t st = ix->place_off[g], en = ix->place_off[g + 1];
    uint32_t X = hi - D, Y = lo + D;
    if (en - st <= 32) {
        if (u32vec_reserve(out, en - st))
            return -1;
        for (uint32_t j = st; j < en && A[j] <= X; j++)
            if (B[j] >= Y && B[j] - A[j] >= D)
                out->v[out->n++] = j;
        return 0;
    }
    uint32_t k = upper_bound(A, st, en, X);
    uint32_t md = ix->place_maxdur[g];
    uint32_t l = (Y > md) ? lower_bound(A, st, k, Y - md) : st;
    if (k <= l)
        return 0;
    if (u32vec_reserve(out, k - l))
        return -1;
    if (k - l <= 256)
        scan_range(A, B, l, k, Y, D, out);
    else
        tree_scan(ix, l, k, Y, D, out);
    return 0;
}

int zn__tr_probe(const zn_trace_index *ix, uint32_t g, uint32_t lo, uint32_t hi, uint32_t D,
                 zn__tr_vec *out)
{
    return probe(ix, g, lo, hi, D, out);
}

/* ---------------------------------------------------------------- close contacts of one case */

static int cmp_hit(const void *a, const void *b)
{
    const hit *x = a, *y = b;
    if (x->c != y->c)
        return x->c < y->c ? -1 : 1;
    if (x->s != y->s)
        return x->s < y->s ? -1 : 1;
    return (x->g > y->g) - (x->g < y->g);
}

/* hits <- one row per contact of person rank pi with window [f, u] (relative): (c, s, g), sorted
 * by c. Returns -1 on out of memory. */
static int close_of(const zn_trace_index *ix, uint32_t pi, uint32_t f, uint32_t u, uint32_t D,
                    u32vec *cand, hitvec *hits)
{
    hits->n = 0;
    const uint32_t *A = ix->A, *B = ix->B, *P = ix->P;
    for (uint32_t k = ix->person_off[pi]; k < ix->person_off[pi + 1]; k++) {
        uint32_t pos = ix->person_pos[k];
        uint32_t lo = A[pos] > f ? A[pos] : f;
        uint32_t hi = B[pos] < u ? B[pos] : u;
        if (hi <= lo || hi - lo < D)
            continue;
        uint32_t g = zn__tr_place_of(ix, pos);
        cand->n = 0;
        if (probe(ix, g, lo, hi, D, cand))
            return -1;
        for (size_t i = 0; i < cand->n; i++) {
            uint32_t j = cand->v[i];
            uint32_t c = P[j];
            if (c == pi)
                continue;
            uint32_t s = A[j] > lo ? A[j] : lo;
            if (hitvec_push(hits, (hit){c, s, g}))
                return -1;
        }
    }
    if (hits->n > 1) {
        qsort(hits->v, hits->n, sizeof *hits->v, cmp_hit);
        size_t m = 0;
        for (size_t i = 0; i < hits->n; i++)
            if (m == 0 || hits->v[m - 1].c != hits->v[i].c)
                hits->v[m++] = hits->v[i];
        hits->n = m;
    }
    return 0;
}

static uint32_t clamp_d(int64_t d)
{
    return d > (int64_t)ZN__TR_TMAX ? ZN__TR_TMAX : (uint32_t)d;
}

zn_status zn_trace_close_one(const zn_trace_index *ix, int64_t person, int64_t t_from,
                             int64_t t_to, int64_t min_overlap, zn_trace_close **out, size_t *n,
                             zn_error *err)
{
    if (!ix || !out || !n)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    *out = NULL;
    *n = 0;
    if (min_overlap < 1)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "min_overlap", "minimum overlap must be >= 1 s");
    if (t_to <= t_from)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "t_to", "window end is not after its start");
    uint32_t pi = zn__tr_person_rank(ix, person);
    if (pi == UINT32_MAX)
        return ZN_OK;
    u32vec cand = {0};
    hitvec hits = {0};
    if (close_of(ix, pi, zn__tr_rel_clamp(ix, t_from), zn__tr_rel_clamp(ix, t_to),
                 clamp_d(min_overlap), &cand, &hits)) {
        free(cand.v);
        free(hits.v);
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    free(cand.v);
    if (hits.n) {
        zn_trace_close *rows = malloc(hits.n * sizeof *rows);
        if (!rows) {
            free(hits.v);
            return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
        }
        for (size_t i = 0; i < hits.n; i++)
            rows[i] = (zn_trace_close){person, ix->person_raw[hits.v[i].c],
                                       ix->base + hits.v[i].s, ix->place_raw[hits.v[i].g]};
        *out = rows;
        *n = hits.n;
    }
    free(hits.v);
    return ZN_OK;
}

/* ---------------------------------------------------------------- batch */

typedef struct rcase {
    uint32_t rank, f, u;
    uint32_t order; /* position in the input */
} rcase;

static int cmp_rcase(const void *a, const void *b)
{
    const rcase *x = a, *y = b;
    return (x->rank > y->rank) - (x->rank < y->rank);
}

typedef struct cmember {
    uint32_t c, fe, w;
} cmember;

typedef struct run_job {
    const zn_trace_index *ix;
    uint32_t D;
    int nthreads;
    /* ring 1 */
    const rcase *cases;
    size_t ncases;
    hitvec *per_case;      /* [ncases] */
    atomic_size_t next;
    atomic_int failed;
    /* ring 2 */
    const cmember *cm;
    size_t ncm;
    const uint64_t *excl;  /* bitmap over ranks: index cases and close contacts */
    uint64_t **best;       /* [nthreads] arrays over ranks: ~((s << 32) | c), 0 = none */
    struct task **tasks;   /* [nthreads] probe tasks collected per thread */
    size_t *ntasks;
    const struct task *sorted; /* all tasks, by place */
    size_t nsorted;
    const size_t *groups;  /* [ngroups + 1]: start of each place's run of tasks */
    size_t ngroups;
} run_job;

static void ring1_worker(void *arg, int t)
{
    (void)t;
    run_job *J = arg;
    u32vec cand = {0};
    for (;;) {
        size_t i = atomic_fetch_add(&J->next, 1);
        if (i >= J->ncases)
            break;
        const rcase *rc = &J->cases[i];
        if (close_of(J->ix, rc->rank, rc->f, rc->u, J->D, &cand, &J->per_case[i])) {
            atomic_store(&J->failed, 1);
            break;
        }
    }
    free(cand.v);
}

#define RING2_CHUNK 32
#define PROBE_CHUNK 256

/* One probe of ring 2: the stay of close contact c at place g, clipped to [lo, hi). */
typedef struct task {
    uint32_t g, lo, hi, c;
} task;

/* Ring 2, step 1: every stay of every close contact that overlaps its window [fe, W] by at least
 * D becomes a task. The stays sit at random positions: prefetch a chunk's starts and ends before
 * testing them (the misses then overlap). */
static void ring2_collect(void *arg, int t)
{
    run_job *J = arg;
    const zn_trace_index *ix = J->ix;
    const uint32_t *A = ix->A, *B = ix->B;
    uint32_t D = J->D;
    size_t cap = 0, n = 0;
    task *v = NULL;
    for (;;) {
        size_t i0 = atomic_fetch_add(&J->next, RING2_CHUNK);
        if (i0 >= J->ncm)
            break;
        size_t i1 = i0 + RING2_CHUNK < J->ncm ? i0 + RING2_CHUNK : J->ncm;
        for (size_t i = i0; i < i1; i++)
            for (uint32_t k = ix->person_off[J->cm[i].c]; k < ix->person_off[J->cm[i].c + 1]; k++) {
                __builtin_prefetch(&A[ix->person_pos[k]]);
                __builtin_prefetch(&B[ix->person_pos[k]]);
            }
        for (size_t i = i0; i < i1; i++) {
            const cmember *m = &J->cm[i];
            for (uint32_t k = ix->person_off[m->c]; k < ix->person_off[m->c + 1]; k++) {
                uint32_t pos = ix->person_pos[k];
                uint32_t lo = A[pos] > m->fe ? A[pos] : m->fe;
                uint32_t hi = B[pos] < m->w ? B[pos] : m->w;
                if (hi <= lo || hi - lo < D)
                    continue;
                if (n == cap) {
                    size_t c2 = cap ? cap * 2 : 4096;
                    task *nv = realloc(v, c2 * sizeof *nv);
                    if (!nv) {
                        atomic_store(&J->failed, 1);
                        free(v);
                        return;
                    }
                    v = nv;
                    cap = c2;
                }
                v[n++] = (task){zn__tr_place_of(ix, pos), lo, hi, m->c};
            }
        }
    }
    J->tasks[t] = v;
    J->ntasks[t] = n;
}

/* The best key of ring 2 for person q: ~((s << 32) | c), larger is better (0 = none). */
static inline void offer(uint64_t *best, uint32_t q, uint32_t s, uint32_t c)
{
    uint64_t key = ~(((uint64_t)s << 32) | c);
    if (key > best[q])
        best[q] = key;
}

static int cmp_task_lo(const void *a, const void *b)
{
    const task *x = a, *y = b;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return (x->c > y->c) - (x->c < y->c);
}

/* min-heap of (c, hi) by c */
typedef struct heap_item {
    uint32_t c, hi;
} heap_item;

static void heap_push(heap_item *h, size_t *n, heap_item x)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h[p].c <= x.c)
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = x;
}

static void heap_pop(heap_item *h, size_t *n)
{
    heap_item x = h[--*n];
    size_t i = 0, m = *n;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, k = i;
        if (l < m && h[l].c < x.c)
            k = l;
        if (r < m && h[r].c < (k == i ? x.c : h[l].c))
            k = r;
        if (k == i)
            break;
        h[i] = h[k];
        i = k;
    }
    if (m)
        h[i] = x;
}

/*
 * Ring 2 at one place by a sweep, O(stays + tasks log tasks) however many pairs overlap: for a
 * stay (a, b), tasks [lo, hi) with lo <= a give s = a, so the best of them is the smallest c
 * with hi >= a + D (and b - a >= D); tasks with lo > a give s = lo, so the best is the first lo
 * after a (if lo <= b - D; smallest c on ties). Stays come sorted by a, so tasks enter a heap by c
 * as lo <= a, and a task whose hi < a + D is dead for every later stay: lazy deletion from the
 * top keeps the heap exact.
 */
static int sweep_place(const zn_trace_index *ix, uint32_t g, task *tk, size_t m, uint32_t D,
                       const uint64_t *excl, uint64_t *best, heap_item **heap, size_t *heapcap)
{
    qsort(tk, m, sizeof *tk, cmp_task_lo);
    if (m > *heapcap) {
        heap_item *nh = realloc(*heap, m * sizeof *nh);
        if (!nh)
            return -1;
        *heap = nh;
        *heapcap = m;
    }
    heap_item *h = *heap;
    size_t hn = 0, in = 0, nx = 0; /* tasks entered; next task with lo > a */
    const uint32_t *A = ix->A, *B = ix->B, *P = ix->P;
    for (uint32_t j = ix->place_off[g]; j < ix->place_off[g + 1]; j++) {
        uint32_t a = A[j], b = B[j];
        if (b - a < D)
            continue;
        uint32_t q = P[j];
        if (excl[q >> 6] >> (q & 63) & 1)
            continue;
        while (in < m && tk[in].lo <= a) {
            heap_push(h, &hn, (heap_item){tk[in].c, tk[in].hi});
            in++;
        }
        uint64_t y = (uint64_t)a + D;
        while (hn && h[0].hi < y)
            heap_pop(h, &hn);
        if (hn) {
            offer(best, q, a, h[0].c);
            continue;
        }
        if (nx < in)
            nx = in; /* tasks before `in` have lo <= a */
        if (nx < m && (uint64_t)tk[nx].lo + D <= b)
            offer(best, q, tk[nx].lo, tk[nx].c); /* sorted by (lo, c): the smallest c first */
    }
    return 0;
}

/* Ring 2, step 2: place by place (a place's stays stay in cache across its tasks); each thread
 * keeps its own best[] (merged by max afterwards). A place whose tasks would enumerate many more
 * stay pairs than it has stays (a crowded place, long stays) is swept instead of probed. */
static void ring2_probe(void *arg, int t)
{
    run_job *J = arg;
    const zn_trace_index *ix = J->ix;
    const uint32_t *A = ix->A, *P = ix->P;
    const uint64_t *excl = J->excl;
    uint32_t D = J->D;
    uint64_t *best = calloc(ix->npersons ? ix->npersons : 1, sizeof *best);
    J->best[t] = best;
    if (!best) {
        atomic_store(&J->failed, 1);
        return;
    }
    u32vec cand = {0};
    heap_item *heap = NULL;
    size_t heapcap = 0;
    for (;;) {
        size_t gi = atomic_fetch_add(&J->next, 1);
        if (gi >= J->ngroups)
            break;
        size_t t0 = J->groups[gi], t1 = J->groups[gi + 1];
        task *tk = (task *)J->sorted + t0;
        size_t m = t1 - t0;
        uint32_t g = tk[0].g;
        uint32_t st = ix->place_off[g], en = ix->place_off[g + 1], ng = en - st;
        if (m >= 8 && ng >= 1024) {
            /* expected candidates: stays starting in [lo - maxdur, hi) at the place's density */
            double span = (double)(A[en - 1] - A[st]) + 1.0, md = ix->place_maxdur[g], est = 0;
            for (size_t i = 0; i < m; i++)
                est += ((double)(tk[i].hi - tk[i].lo) + md) * (double)ng / span;
            if (est > 4.0 * ng) {
                if (sweep_place(ix, g, tk, m, D, excl, best, &heap, &heapcap)) {
                    atomic_store(&J->failed, 1);
                    break;
                }
                continue;
            }
        }
        for (size_t i = 0; i < m; i++) {
            cand.n = 0;
            if (probe(ix, g, tk[i].lo, tk[i].hi, D, &cand)) {
                atomic_store(&J->failed, 1);
                free(cand.v);
                free(heap);
                return;
            }
            for (size_t x = 0; x < cand.n; x++) {
                uint32_t j = cand.v[x];
                uint32_t q = P[j];
                if (excl[q >> 6] >> (q & 63) & 1)
                    continue;
                offer(best, q, A[j] > tk[i].lo ? A[j] : tk[i].lo, tk[i].c);
            }
        }
    }
    free(cand.v);
    free(heap);
}

/* Stable LSD radix sort of tasks by place (11-bit digits). Returns the array holding the result. */
static task *sort_tasks(task *a, task *tmp, size_t n, uint32_t nplaces)
{
    size_t cnt[2048];
    for (int shift = 0; shift < 32 && (nplaces >> shift); shift += 11) {
        memset(cnt, 0, sizeof cnt);
        for (size_t i = 0; i < n; i++)
            cnt[(a[i].g >> shift) & 2047]++;
        size_t sum = 0;
        for (int d = 0; d < 2048; d++) {
            size_t c = cnt[d];
            cnt[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            tmp[cnt[(a[i].g >> shift) & 2047]++] = a[i];
        task *sw = a;
        a = tmp;
        tmp = sw;
    }
    return a;
}

void zn_trace_result_fini(zn_trace_result *res)
{
    if (!res)
        return;
    free(res->close);
    free(res->secondary);
    memset(res, 0, sizeof *res);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_cm(const void *a, const void *b)
{
    const cmember *x = a, *y = b;
    return (x->c > y->c) - (x->c < y->c);
}

zn_status zn_trace_run(const zn_trace_index *ix, const zn_trace_case *cases, size_t ncases,
                       int64_t min_overlap, int threads, zn_trace_result *res, zn_error *err)
{
    return zn__tr_run(ix, cases, ncases, min_overlap, threads, 1, res, err);
}

zn_status zn__tr_run(const zn_trace_index *ix, const zn_trace_case *cases, size_t ncases,
                     int64_t min_overlap, int threads, int secondary, zn_trace_result *res,
                     zn_error *err)
{
    if (!ix || !res || (ncases && !cases))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    memset(res, 0, sizeof *res);
    if (min_overlap < 1)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "min_overlap", "minimum overlap must be >= 1 s");
    int T = zn__tr_threads(threads);
    res->threads = T;
    uint32_t D = clamp_d(min_overlap);
    zn_status st = ZN_OK;
    double t0 = zn_trace_clock();

    /* validate and map the cases */
    rcase *rc = malloc((ncases ? ncases : 1) * sizeof *rc);
    int64_t *ids = malloc((ncases ? ncases : 1) * sizeof *ids);
    hitvec *per = calloc(ncases ? ncases : 1, sizeof *per);
    uint64_t *excl = calloc(((size_t)ix->npersons >> 6) + 1, sizeof *excl);
    cmember *cm = NULL;
    uint64_t *best[ZN__TR_MAX_THREADS] = {0};
    if (!rc || !ids || !per || !excl)
        goto nomem;
    for (size_t i = 0; i < ncases; i++) {
        if (cases[i].t_to <= cases[i].t_from) {
            st = zn_error_set(err, ZN_EINVAL, NULL, (long)(i + 1), "t_to",
                              "index case %lld: window end is not after its start",
                              (long long)cases[i].person);
            goto out;
        }
        ids[i] = cases[i].person;
    }
    qsort(ids, ncases, sizeof *ids, cmp_i64);
    for (size_t i = 1; i < ncases; i++)
        if (ids[i] == ids[i - 1]) {
            st = zn_error_set(err, ZN_EINVAL, NULL, 0, "person_id",
                              "index case %lld listed more than once", (long long)ids[i]);
            goto out;
        }
    size_t nrc = 0;
    for (size_t i = 0; i < ncases; i++) {
        uint32_t r = zn__tr_person_rank(ix, cases[i].person);
        if (r == UINT32_MAX) {
            res->cases_without_stays++;
            continue;
        }
        rc[nrc++] = (rcase){r, zn__tr_rel_clamp(ix, cases[i].t_from),
                            zn__tr_rel_clamp(ix, cases[i].t_to), (uint32_t)i};
        excl[r >> 6] |= UINT64_C(1) << (r & 63);
    }
    qsort(rc, nrc, sizeof *rc, cmp_rcase);

    /* ring 1: close contacts */
    run_job J = {.ix = ix, .D = D, .nthreads = T, .cases = rc, .ncases = nrc, .per_case = per};
    atomic_init(&J.next, 0);
    atomic_init(&J.failed, 0);
    zn__tr_parallel(T < (int)nrc ? T : (nrc ? (int)nrc : 1), ring1_worker, &J);
    if (atomic_load(&J.failed))
        goto nomem;
    size_t nclose = 0;
    for (size_t i = 0; i < nrc; i++)
        nclose += per[i].n;
    res->close = malloc((nclose ? nclose : 1) * sizeof *res->close);
    cm = malloc((nclose ? nclose : 1) * sizeof *cm);
    if (!res->close || !cm)
        goto nomem;
    {
        size_t k = 0;
        for (size_t i = 0; i < nrc; i++) {
            int64_t iid = ix->person_raw[rc[i].rank];
            for (size_t h = 0; h < per[i].n; h++) {
                const hit *x = &per[i].v[h];
                res->close[k] = (zn_trace_close){iid, ix->person_raw[x->c], ix->base + x->s,
                                                 ix->place_raw[x->g]};
                cm[k] = (cmember){x->c, x->s, rc[i].u};
                k++;
            }
        }
    }
    res->nclose = nclose;
    /* C: fe = min first exposure, W = max window end, per distinct contact */
    qsort(cm, nclose, sizeof *cm, cmp_cm);
    size_t ncm = 0;
    for (size_t i = 0; i < nclose; i++) {
        if (ncm && cm[ncm - 1].c == cm[i].c) {
            if (cm[i].fe < cm[ncm - 1].fe)
                cm[ncm - 1].fe = cm[i].fe;
            if (cm[i].w > cm[ncm - 1].w)
                cm[ncm - 1].w = cm[i].w;
        } else {
            cm[ncm++] = cm[i];
        }
    }
    res->nclose_distinct = ncm;
    for (size_t i = 0; i < ncm; i++)
        excl[cm[i].c >> 6] |= UINT64_C(1) << (cm[i].c & 63);
    double t1 = zn_trace_clock();
    res->close_s = t1 - t0;

    /* ring 2: secondary contacts */
    if (!secondary) {
        res->secondary = NULL;
        res->nsecondary = 0;
        goto out;
    }
    int T2 = ncm >= (size_t)T * RING2_CHUNK ? T : 1;
    task *tasks[ZN__TR_MAX_THREADS] = {0};
    size_t ntasks[ZN__TR_MAX_THREADS] = {0};
    J.cm = cm;
    J.ncm = ncm;
    J.excl = excl;
    J.best = best;
    J.tasks = tasks;
    J.ntasks = ntasks;
    atomic_store(&J.next, 0);
    zn__tr_parallel(T2, ring2_collect, &J);
    size_t ntask = 0;
    for (int t = 0; t < T2; t++)
        ntask += ntasks[t];
    task *all = NULL, *tmp = NULL;
    if (!atomic_load(&J.failed)) {
        all = malloc((ntask ? ntask : 1) * sizeof *all);
        tmp = malloc((ntask ? ntask : 1) * sizeof *tmp);
    }
    if (all && tmp) {
        size_t k = 0;
        for (int t = 0; t < T2; t++) {
            if (ntasks[t])
                memcpy(all + k, tasks[t], ntasks[t] * sizeof *all);
            k += ntasks[t];
        }
    }
    for (int t = 0; t < T2; t++)
        free(tasks[t]);
    if (!all || !tmp) {
        free(all);
        free(tmp);
        goto nomem;
    }
    J.sorted = sort_tasks(all, tmp, ntask, ix->nplaces);
    J.nsorted = ntask;
    size_t *groups = malloc((ntask + 1) * sizeof *groups), ngroups = 0;
    if (!groups) {
        free(all);
        free(tmp);
        goto nomem;
    }
    for (size_t i = 0; i < ntask; i++)
        if (i == 0 || J.sorted[i].g != J.sorted[i - 1].g)
            groups[ngroups++] = i;
    groups[ngroups] = ntask;
    J.groups = groups;
    J.ngroups = ngroups;
    T2 = ntask >= (size_t)T * PROBE_CHUNK ? T : 1;
    atomic_store(&J.next, 0);
    zn__tr_parallel(T2, ring2_probe, &J);
    free(groups);
    free(all);
    free(tmp);
    if (atomic_load(&J.failed))
        goto nomem;
    uint64_t *b0 = best[0];
    for (int t = 1; t < T2; t++)
        for (uint32_t q = 0; q < ix->npersons; q++)
            if (best[t][q] > b0[q])
                b0[q] = best[t][q];
    size_t nsec = 0;
    for (uint32_t q = 0; q < ix->npersons; q++)
        nsec += b0[q] != 0;
    res->secondary = malloc((nsec ? nsec : 1) * sizeof *res->secondary);
    if (!res->secondary)
        goto nomem;
    {
        size_t k = 0;
        for (uint32_t q = 0; q < ix->npersons; q++) {
            if (!b0[q])
                continue;
            uint64_t key = ~b0[q];
            res->secondary[k++] = (zn_trace_secondary){ix->person_raw[q],
                                                       ix->person_raw[(uint32_t)key],
                                                       ix->base + (int64_t)(key >> 32)};
        }
    }
    res->nsecondary = nsec;
    res->secondary_s = zn_trace_clock() - t1;
    goto out;

nomem:
    st = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory in the contact query");
out:
    for (size_t i = 0; i < ncases; i++)
        free(per ? per[i].v : NULL);
    free(per);
    free(rc);
    free(ids);
    free(excl);
    free(cm);
    for (int t = 0; t < ZN__TR_MAX_THREADS; t++)
        free(best[t]);
    if (st != ZN_OK)
        zn_trace_result_fini(res);
    return st;
}
