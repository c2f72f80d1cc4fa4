/*
 * Building the stay index.
 *
 * Producers (one per thread) append stays as 16-byte rows (local place, local person, start,
 * end) to per-bucket block lists; the bucket is the top bits of a bijective hash of the place id,
 * so every place lands in exactly one bucket whatever producer saw it. Each producer keeps its
 * own dictionaries (place id -> local id, person id -> local id), so parsing needs no locks.
 *
 * finish then
 *   1. merges the person dictionaries into ranks in numeric id order and the place dictionaries
 *      into dense ids in hash order (so buckets are contiguous ranges of places);
 *   2. scatters bucket by bucket (threads take buckets in turn): a counting sort by place into a
 *      scratch buffer, a sort by start time per place (insertion sort, or LSD radix with 11-bit
 *      digits for big places), then the final arrays; each bucket's blocks are unmapped as soon as
 *      it is done, so memory stays near 16 bytes per stay throughout (the final arrays are written
 *      region by region while the blocks shrink);
 *   3. builds the person -> positions lists (threads own disjoint person ranges) and the max-end
 *      tree leaves, then the tree and the place samples.
 */
#include "trace_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

double zn_trace_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---------------------------------------------------------------- threads */

int zn__tr_threads(int requested)
{
    long n = requested;
    if (n <= 0) {
        n = sysconf(_SC_NPROCESSORS_ONLN);
        if (n < 1)
            n = 1;
    }
    if (n > ZN__TR_MAX_THREADS)
        n = ZN__TR_MAX_THREADS;
    return (int)n;
}

typedef struct tr_thread {
    zn__tr_job fn;
    void *arg;
    int t;
} tr_thread;

static void *tr_thread_main(void *p)
{
    tr_thread *th = p;
    th->fn(th->arg, th->t);
    return NULL;
}

void zn__tr_parallel(int n, zn__tr_job fn, void *arg)
{
    if (n <= 1) {
        fn(arg, 0);
        return;
    }
    if (n > ZN__TR_MAX_THREADS)
        n = ZN__TR_MAX_THREADS;
    pthread_t tid[ZN__TR_MAX_THREADS];
    tr_thread th[ZN__TR_MAX_THREADS];
    int started[ZN__TR_MAX_THREADS] = {0};
    for (int t = 1; t < n; t++) {
        th[t] = (tr_thread){fn, arg, t};
        started[t] = pthread_create(&tid[t], NULL, tr_thread_main, &th[t]) == 0;
    }
    fn(arg, 0);
    for (int t = 1; t < n; t++) {
        if (started[t])
            pthread_join(tid[t], NULL);
        else
            fn(arg, t);
    }
}

/* ---------------------------------------------------------------- radix sort */

zn__tr_kv *zn__tr_sort_kv(zn__tr_kv *a, zn__tr_kv *tmp, size_t n)
{
    if (n < 2)
        return a;
    uint64_t all_or = 0, all_and = ~UINT64_C(0);
    for (size_t i = 0; i < n; i++) {
        all_or |= a[i].key;
        all_and &= a[i].key;
    }
    uint64_t varying = all_or ^ all_and;
    size_t cnt[256];
    for (int shift = 0; shift < 64; shift += 8) {
        if (!((varying >> shift) & 0xff))
            continue;
        memset(cnt, 0, sizeof cnt);
        for (size_t i = 0; i < n; i++)
            cnt[(a[i].key >> shift) & 0xff]++;
        size_t sum = 0;
        for (int d = 0; d < 256; d++) {
            size_t c = cnt[d];
            cnt[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            tmp[cnt[(a[i].key >> shift) & 0xff]++] = a[i];
        zn__tr_kv *s = a;
        a = tmp;
        tmp = s;
    }
    return a;
}

/* ---------------------------------------------------------------- dictionaries */

/* Open addressing, linear probing, key -> u32, load <= 1/2; key and value share a 16-byte slot
 * so that a lookup touches one cache line. */
typedef struct tr_slot {
    int64_t key;
    uint32_t val; /* UINT32_MAX = empty */
    uint32_t pad;
} tr_slot;

typedef struct tr_map {
    tr_slot *s;
    size_t mask;
    size_t n;
} tr_map;

static zn_status map_init(tr_map *m, size_t cap)
{
    size_t c = 1024;
    while (c < cap * 2)
        c <<= 1;
    m->s = malloc(c * sizeof *m->s);
    if (!m->s)
        return ZN_ENOMEM;
    for (size_t i = 0; i < c; i++)
        m->s[i].val = UINT32_MAX;
    m->mask = c - 1;
    m->n = 0;
    return ZN_OK;
}

static void map_fini(tr_map *m)
{
    free(m->s);
    memset(m, 0, sizeof *m);
}

static zn_status map_grow(tr_map *m)
{
    tr_map big;
    if (map_init(&big, (m->mask + 1)) != ZN_OK)
        return ZN_ENOMEM;
    for (size_t i = 0; i <= m->mask; i++) {
        if (m->s[i].val == UINT32_MAX)
            continue;
        size_t j = zn__tr_mix((uint64_t)m->s[i].key) & big.mask;
        while (big.s[j].val != UINT32_MAX)
            j = (j + 1) & big.mask;
        big.s[j] = m->s[i];
    }
    big.n = m->n;
    map_fini(m);
    *m = big;
    return ZN_OK;
}

/* Value of key (hash h), inserting it with value m->n when absent (*is_new = 1).
 * Returns -1 when growing the table fails. */
static inline int map_get(tr_map *m, int64_t key, uint64_t h, uint32_t *val, int *is_new)
{
    size_t j = h & m->mask;
    for (;;) {
        tr_slot *sl = &m->s[j];
        if (sl->val == UINT32_MAX) {
            sl->key = key;
            sl->val = (uint32_t)m->n;
            *val = sl->val;
            *is_new = 1;
            if (++m->n * 2 > m->mask + 1 && map_grow(m) != ZN_OK)
                return -1;
            return 0;
        }
        if (sl->key == key) {
            *val = sl->val;
            *is_new = 0;
            return 0;
        }
        j = (j + 1) & m->mask;
    }
}

/* ---------------------------------------------------------------- producers */

typedef struct tr_row {
    uint32_t place, person, a, b;
} tr_row;

#define TR_BLK_BYTES ((size_t)256 * 1024)
#define TR_BLK_ROWS ((TR_BLK_BYTES - 16) / sizeof(tr_row))

typedef struct tr_blk {
    struct tr_blk *next;
    uint32_t n;
    uint32_t pad;
    tr_row rows[];
} tr_blk;

struct zn__tr_prod {
    zn__tr_builder *bld;
    int64_t base;
    unsigned bshift;
    tr_map persons, places;
    int64_t *person_raw;
    uint32_t *person_cnt;
    size_t person_cap;
    int64_t *place_raw;
    uint32_t *place_cnt;
    size_t place_cap;
    tr_blk **head, **tail;
    uint32_t nbuckets;
    int64_t last_person;
    uint32_t last_local;
    int have_last;
    uint64_t rows, rejected;
    long first_rejected;
    zn_status status;
    zn_error err;
    /* after merge */
    uint32_t *map_person; /* local -> rank */
    uint32_t *map_place;  /* local -> dense place */
};

struct zn__tr_builder {
    int nprod;
    zn__tr_prod *prods;
    unsigned bbits;
    uint32_t nbuckets;
    int64_t base;
};

static tr_blk *blk_new(void)
{
    void *p = mmap(NULL, TR_BLK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    tr_blk *b = p;
    b->next = NULL;
    b->n = 0;
    return b;
}

static void blk_free(tr_blk *b)
{
    munmap(b, TR_BLK_BYTES);
}

static void prod_free_rows(zn__tr_prod *p)
{
    if (!p->head)
        return;
    for (uint32_t k = 0; k < p->nbuckets; k++) {
        tr_blk *b = p->head[k];
        while (b) {
            tr_blk *nx = b->next;
            blk_free(b);
            b = nx;
        }
        p->head[k] = p->tail[k] = NULL;
    }
}

static void prod_fini(zn__tr_prod *p)
{
    prod_free_rows(p);
    free(p->head);
    free(p->tail);
    map_fini(&p->persons);
    map_fini(&p->places);
    free(p->person_raw);
    free(p->person_cnt);
    free(p->place_raw);
    free(p->place_cnt);
    free(p->map_person);
    free(p->map_place);
    memset(p, 0, sizeof *p);
}

zn_status zn__tr_builder_new(int nprod, uint64_t expected_rows, int64_t base, zn__tr_builder **out)
{
    *out = NULL;
    if (nprod < 1)
        nprod = 1;
    zn__tr_builder *b = calloc(1, sizeof *b);
    if (!b)
        return ZN_ENOMEM;
    b->nprod = nprod;
    b->base = base;
    /* about 24k rows per bucket, so one bucket's scratch (2 x 12 bytes per row) fits in L2; but
     * at most 1024 buckets: every bucket's tail block is written at random while parsing, and
     * more pages than the TLB holds make each append a page walk */
    unsigned bits = 1;
    while (bits < 10 && (expected_rows >> bits) > 24576)
        bits++;
    b->bbits = bits;
    b->nbuckets = 1u << bits;
    b->prods = calloc((size_t)nprod, sizeof *b->prods);
    if (!b->prods) {
        free(b);
        return ZN_ENOMEM;
    }
    for (int i = 0; i < nprod; i++) {
        zn__tr_prod *p = &b->prods[i];
        p->bld = b;
        p->base = base;
        p->bshift = 64 - bits;
        p->nbuckets = b->nbuckets;
        p->head = calloc(b->nbuckets, sizeof *p->head);
        p->tail = calloc(b->nbuckets, sizeof *p->tail);
        if (!p->head || !p->tail || map_init(&p->persons, 4096) != ZN_OK ||
            map_init(&p->places, 4096) != ZN_OK) {
            zn__tr_builder_free(b);
            return ZN_ENOMEM;
        }
    }
    *out = b;
    return ZN_OK;
}

void zn__tr_builder_free(zn__tr_builder *b)
{
    if (!b)
        return;
    for (int i = 0; i < b->nprod; i++)
        prod_fini(&b->prods[i]);
    free(b->prods);
    free(b);
}

zn__tr_prod *zn__tr_builder_prod(zn__tr_builder *b, int i)
{
    return &b->prods[i];
}

zn_status zn__tr_prod_error(const zn__tr_prod *p, zn_error *err)
{
    if (err && p->status != ZN_OK)
        *err = p->err;
    return p->status;
}

void zn__tr_prod_set_error(zn__tr_prod *p, zn_status st, const zn_error *err)
{
    if (p->status != ZN_OK)
        return;
    p->status = st;
    if (err)
        p->err = *err;
    else
        zn_error_set(&p->err, st, NULL, 0, NULL, "%s", zn_strerror(st));
}

uint64_t zn__tr_prod_rows(const zn__tr_prod *p) { return p->rows; }
uint64_t zn__tr_prod_rejected(const zn__tr_prod *p) { return p->rejected; }
long zn__tr_prod_first_rejected(const zn__tr_prod *p) { return p->first_rejected; }

static zn_status grow_u32_i64(int64_t **raw, uint32_t **cnt, size_t *cap, size_t need)
{
    if (need <= *cap)
        return ZN_OK;
    size_t c = *cap ? *cap * 2 : 4096;
    while (c < need)
        c *= 2;
    int64_t *r = realloc(*raw, c * sizeof **raw);
    if (!r)
        return ZN_ENOMEM;
    *raw = r;
    uint32_t *n = realloc(*cnt, c * sizeof **cnt);
    if (!n)
        return ZN_ENOMEM;
    *cnt = n;
    *cap = c;
    return ZN_OK;
}

static zn_status prod_fail(zn__tr_prod *p, zn_status st, long rowno, const char *field,
                           const char *msg)
{
    if (p->status == ZN_OK) {
        p->status = st;
        zn_error_set(&p->err, st, NULL, rowno, field, "%s", msg);
    }
    return st;
}

static inline zn_status prod_add_hashed(zn__tr_prod *p, int64_t person, int64_t place, uint64_t h,
                                        int64_t t0, int64_t t1, long rowno)
{
    p->rows++;
    if (t1 <= t0) {
        if (p->rejected++ == 0)
            p->first_rejected = rowno;
        return ZN_OK;
    }
    int64_t a, b;
    if (__builtin_sub_overflow(t0, p->base, &a) || __builtin_sub_overflow(t1, p->base, &b) ||
        a < 0 || b > (int64_t)ZN__TR_TMAX)
        return prod_fail(p, ZN_ERANGE, rowno, a < 0 ? "t_start" : "t_end",
                         "time more than 2^31 s away from the first stay's t_start");
    int is_new;
    uint32_t pl;
    if (p->have_last && person == p->last_person) {
        pl = p->last_local;
    } else {
        if (map_get(&p->persons, person, zn__tr_mix((uint64_t)person), &pl, &is_new))
            return prod_fail(p, ZN_ENOMEM, rowno, NULL, "out of memory");
        if (is_new) {
            if (grow_u32_i64(&p->person_raw, &p->person_cnt, &p->person_cap, (size_t)pl + 1) != ZN_OK)
                return prod_fail(p, ZN_ENOMEM, rowno, NULL, "out of memory");
            p->person_raw[pl] = person;
            p->person_cnt[pl] = 0;
        }
        p->last_person = person;
        p->last_local = pl;
        p->have_last = 1;
    }
    uint32_t xl;
    if (map_get(&p->places, place, h, &xl, &is_new))
        return prod_fail(p, ZN_ENOMEM, rowno, NULL, "out of memory");
    if (is_new) {
        if (grow_u32_i64(&p->place_raw, &p->place_cnt, &p->place_cap, (size_t)xl + 1) != ZN_OK)
            return prod_fail(p, ZN_ENOMEM, rowno, NULL, "out of memory");
        p->place_raw[xl] = place;
    }
    p->person_cnt[pl]++;

    uint32_t bk = (uint32_t)(h >> p->bshift);
    tr_blk *t = p->tail[bk];
    if (!t || t->n == TR_BLK_ROWS) {
        tr_blk *nb = blk_new();
        if (!nb)
            return prod_fail(p, ZN_ENOMEM, rowno, NULL, "out of memory (mmap)");
        if (t)
            t->next = nb;
        else
            p->head[bk] = nb;
        p->tail[bk] = nb;
        t = nb;
    }
    t->rows[t->n++] = (tr_row){xl, pl, (uint32_t)a, (uint32_t)b};
    return ZN_OK;
}

zn_status zn__tr_prod_add(zn__tr_prod *p, int64_t person, int64_t place, int64_t t0, int64_t t1,
                          long rowno)
{
    return prod_add_hashed(p, person, place, zn__tr_mix((uint64_t)place), t0, t1, rowno);
}

zn_status zn__tr_prod_add_batch(zn__tr_prod *p, const zn__tr_in *in, size_t n)
{
    uint64_t h[ZN__TR_BATCH];
    while (n) {
        size_t m = n < ZN__TR_BATCH ? n : ZN__TR_BATCH;
        /* hash and prefetch every place slot first: the lookups then overlap their misses */
        for (size_t i = 0; i < m; i++) {
            h[i] = zn__tr_mix((uint64_t)in[i].place);
            __builtin_prefetch(&p->places.s[h[i] & p->places.mask]);
        }
        for (size_t i = 0; i < m; i++) {
            zn_status st = prod_add_hashed(p, in[i].person, in[i].place, h[i], in[i].t0, in[i].t1,
                                           in[i].rowno);
            if (st != ZN_OK)
                return st;
        }
        in += m;
        n -= m;
    }
    return ZN_OK;
}

/* ---------------------------------------------------------------- merging dictionaries */

/* Sorted (key, local) list of one producer's dictionary entries. */
typedef struct tr_sorted {
    zn__tr_kv *kv;  /* result (points into buf or tmp) */
    zn__tr_kv *buf, *tmp;
    size_t n, i;
} tr_sorted;

static void sorted_fini(tr_sorted *s)
{
    free(s->buf);
    free(s->tmp);
}

/* k-way merge of nprod sorted lists; emit(user, key, prod, local, new) for each entry in key
 * order, new = 1 for the first entry of each distinct key. */
typedef void (*tr_emit)(void *user, uint64_t key, int prod, uint32_t local, int is_new);

static void kway(tr_sorted *s, int nprod, tr_emit emit, void *user)
{
    int first = 1;
    uint64_t last = 0;
    for (;;) {
        int best = -1;
        uint64_t bk = 0;
        for (int p = 0; p < nprod; p++) {
            if (s[p].i < s[p].n && (best < 0 || s[p].kv[s[p].i].key < bk)) {
                best = p;
                bk = s[p].kv[s[p].i].key;
            }
        }
        if (best < 0)
            return;
        /* drain the whole run of this producer while it stays below the others' heads */
        uint64_t limit = UINT64_MAX;
        for (int p = 0; p < nprod; p++)
            if (p != best && s[p].i < s[p].n && s[p].kv[s[p].i].key < limit)
                limit = s[p].kv[s[p].i].key;
        tr_sorted *b = &s[best];
        while (b->i < b->n && b->kv[b->i].key <= limit) {
            uint64_t k = b->kv[b->i].key;
            int is_new = first || k != last;
            emit(user, k, best, (uint32_t)b->kv[b->i].val, is_new);
            first = 0;
            last = k;
            b->i++;
            if (k == limit)
                break; /* let the other producer's equal key be emitted as not new */
        }
    }
}

typedef struct person_merge {
    zn__tr_builder *bld;
    int64_t *raw;     /* [cap] by rank */
    uint32_t *cnt;
    uint32_t n;
} person_merge;

static void person_emit(void *user, uint64_t key, int prod, uint32_t local, int is_new)
{
    person_merge *m = user;
    zn__tr_prod *p = &m->bld->prods[prod];
    if (is_new) {
        m->raw[m->n] = (int64_t)(key ^ (UINT64_C(1) << 63));
        m->cnt[m->n] = 0;
        m->n++;
    }
    p->map_person[local] = m->n - 1;
    m->cnt[m->n - 1] += p->person_cnt[local];
}

typedef struct place_merge {
    zn__tr_builder *bld;
    int64_t *raw;
    uint32_t *bucket_start; /* [nbuckets + 1] */
    uint32_t n;
    uint32_t next_bucket;
} place_merge;

static void place_emit(void *user, uint64_t key, int prod, uint32_t local, int is_new)
{
    place_merge *m = user;
    zn__tr_prod *p = &m->bld->prods[prod];
    if (is_new) {
        uint32_t bk = (uint32_t)(key >> (64 - m->bld->bbits));
        while (m->next_bucket <= bk)
            m->bucket_start[m->next_bucket++] = m->n;
        m->raw[m->n] = p->place_raw[local];
        m->n++;
    }
    p->map_place[local] = m->n - 1;
}

/* Build the sorted list of one producer's persons (key = id with the sign bit flipped, so that
 * unsigned order is numeric order) or places (key = hash). */
static zn_status make_sorted(tr_sorted *s, const int64_t *raw, size_t n, int hashed)
{
    memset(s, 0, sizeof *s);
    s->n = n;
    if (n == 0)
        return ZN_OK;
    s->buf = malloc(n * sizeof *s->buf);
    if (!s->buf)
        return ZN_ENOMEM;
    int sorted = 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t k = hashed ? zn__tr_mix((uint64_t)raw[i]) : ((uint64_t)raw[i] ^ (UINT64_C(1) << 63));
        s->buf[i] = (zn__tr_kv){k, i};
        if (i && k <= s->buf[i - 1].key)
            sorted = 0;
    }
    s->kv = s->buf;
    if (!sorted) {
        s->tmp = malloc(n * sizeof *s->tmp);
        if (!s->tmp)
            return ZN_ENOMEM;
        s->kv = zn__tr_sort_kv(s->buf, s->tmp, n);
    }
    return ZN_OK;
}

/* ---------------------------------------------------------------- scatter */

typedef struct tr_rec {
    uint32_t a, b, p, li; /* start, end, person rank, place index within the bucket */
} tr_rec;

/* Stable LSD radix sort of r[0..n) by a - amin (11-bit digits, as many passes as the range
 * needs); tmp has n elements. Returns the array holding the result. */
static tr_rec *sort_by_start(tr_rec *r, tr_rec *tmp, size_t n, uint32_t amin, uint32_t range)
{
    uint32_t cnt[2048];
    for (int shift = 0; shift < 32 && (range >> shift); shift += 11) {
        memset(cnt, 0, sizeof cnt);
        for (size_t i = 0; i < n; i++)
            cnt[((r[i].a - amin) >> shift) & 2047]++;
        uint32_t sum = 0;
        for (int d = 0; d < 2048; d++) {
            uint32_t c = cnt[d];
            cnt[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            tmp[cnt[((r[i].a - amin) >> shift) & 2047]++] = r[i];
        tr_rec *sw = r;
        r = tmp;
        tmp = sw;
    }
    return r;
}

typedef struct scatter_job {
    zn__tr_builder *bld;
    zn_trace_index *ix;
    const uint32_t *bucket_start;
    const uint32_t *bucket_pos;
    atomic_uint next;
    atomic_int failed;
} scatter_job;

static void scatter_worker(void *arg, int t)
{
    (void)t;
    scatter_job *J = arg;
    zn__tr_builder *bld = J->bld;
    zn_trace_index *ix = J->ix;
    tr_rec *buf = NULL, *tmp = NULL;
    uint32_t *cur = NULL, *lidx = NULL;
    size_t cap = 0, ccap = 0;
    for (;;) {
        uint32_t bk = atomic_fetch_add(&J->next, 1);
        if (bk >= bld->nbuckets)
            break;
        uint32_t g0 = J->bucket_start[bk], g1 = J->bucket_start[bk + 1];
        if (g0 == g1)
            continue;
        uint32_t pos0 = J->bucket_pos[bk], np = g1 - g0;
        size_t m = J->bucket_pos[bk + 1] - pos0;
        if (m > cap || np + 1 > ccap) {
            free(buf);
            free(tmp);
            free(lidx);
            free(cur);
            cap = m > cap ? m + m / 4 : cap;
            ccap = np + 1 > ccap ? np + 1 + np / 4 : ccap;
            buf = malloc(cap * sizeof *buf);
            tmp = malloc(cap * sizeof *tmp);
            lidx = malloc((cap > ccap ? cap : ccap) * sizeof *lidx);
            cur = malloc(ccap * sizeof *cur);
            if (!buf || !tmp || !lidx || !cur) {
                atomic_store(&J->failed, 1);
                break;
            }
        }
        /* count rows per place (the bucket's places are few: the counters stay in cache) */
        memset(cur, 0, np * sizeof *cur);
        size_t i = 0;
        for (int pi = 0; pi < bld->nprod; pi++) {
            const uint32_t *mx = bld->prods[pi].map_place;
            for (const tr_blk *b = bld->prods[pi].head[bk]; b; b = b->next)
                for (uint32_t r = 0; r < b->n; r++) {
                    uint32_t li = mx[b->rows[r].place] - g0;
                    lidx[i++] = li;
                    cur[li]++;
                }
        }
        uint32_t sum = 0;
        for (uint32_t g = 0; g < np; g++) {
            ix->place_off[g0 + g] = pos0 + sum;
            uint32_t c = cur[g];
            cur[g] = sum;
            sum += c;
        }
        /* gather the rows (person ids mapped to ranks), unmapping each block once read; sort
         * the whole bucket by start (one histogram per pass for ~10^4 rows, not one per place),
         * then a stable counting sort by place writes the final arrays: sorted by place, then
         * start */
        i = 0;
        uint32_t amin = UINT32_MAX, amax = 0;
        for (int pi = 0; pi < bld->nprod; pi++) {
            zn__tr_prod *p = &bld->prods[pi];
            const uint32_t *mp = p->map_person;
            tr_blk *b = p->head[bk];
            p->head[bk] = p->tail[bk] = NULL;
            while (b) {
                for (uint32_t r = 0; r < b->n; r++, i++) {
                    const tr_row *row = &b->rows[r];
                    buf[i] = (tr_rec){row->a, row->b, mp[row->person], lidx[i]};
                    if (row->a < amin)
                        amin = row->a;
                    if (row->a > amax)
                        amax = row->a;
                }
                tr_blk *nx = b->next;
                blk_free(b);
                b = nx;
            }
        }
        const tr_rec *srt = sort_by_start(buf, tmp, m, amin, amax - amin);
        memset(lidx, 0, np * sizeof *lidx); /* reused: max duration per place */
        uint32_t *P = ix->P + pos0, *A = ix->A + pos0, *B = ix->B + pos0;
        for (size_t k = 0; k < m; k++) {
            const tr_rec *x = &srt[k];
            uint32_t at = cur[x->li]++;
            P[at] = x->p;
            A[at] = x->a;
            B[at] = x->b;
            if (x->b - x->a > lidx[x->li])
                lidx[x->li] = x->b - x->a;
        }
        memcpy(ix->place_maxdur + g0, lidx, np * sizeof *lidx);
    }
    free(buf);
    free(tmp);
    free(lidx);
    free(cur);
}

/* ---------------------------------------------------------------- person lists + tree leaves */

typedef struct csr_job {
    zn_trace_index *ix;
    int nthreads;
    size_t nblocks;
    atomic_int failed;
} csr_job;

static void csr_worker(void *arg, int t)
{
    csr_job *J = arg;
    zn_trace_index *ix = J->ix;
    uint32_t n = ix->n, T = (uint32_t)J->nthreads;
    /* person range owned by this thread: balanced by stays */
    uint64_t want_lo = (uint64_t)n * (uint32_t)t / T, want_hi = (uint64_t)n * ((uint32_t)t + 1) / T;
    uint32_t r_lo = 0, r_hi = 0;
    {
        uint32_t lo = 0, hi = ix->npersons; /* first r with person_off[r] >= want_lo */
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (ix->person_off[mid] >= want_lo) hi = mid; else lo = mid + 1;
        }
        r_lo = (t == 0) ? 0 : lo;
        lo = 0;
        hi = ix->npersons;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (ix->person_off[mid] >= want_hi) hi = mid; else lo = mid + 1;
        }
        r_hi = ((uint32_t)t + 1 == T) ? ix->npersons : lo;
    }
    if (r_hi > r_lo) {
        uint32_t span = r_hi - r_lo;
        uint32_t *cur = malloc((size_t)span * sizeof *cur);
        if (!cur) {
            atomic_store(&J->failed, 1);
            return;
        }
        memcpy(cur, ix->person_off + r_lo, (size_t)span * sizeof *cur);
        const uint32_t *P = ix->P;
        uint32_t *pos = ix->person_pos;
        /* random writes: gather a batch of this range's positions, prefetch their counters and
         * then their slots, then write (the misses overlap instead of queueing) */
        enum { BATCH = 64 };
        uint32_t bj[BATCH], bq[BATCH], bs[BATCH];
        for (uint32_t j0 = 0; j0 < n;) {
            int k = 0;
            for (; j0 < n && k < BATCH; j0++) {
                uint32_t q = P[j0] - r_lo;
                if (q < span) {
                    bj[k] = j0;
                    bq[k] = q;
                    __builtin_prefetch(&cur[q]);
                    k++;
                }
            }
            for (int x = 0; x < k; x++) {
                bs[x] = cur[bq[x]]++;
                __builtin_prefetch(&pos[bs[x]], 1);
            }
            for (int x = 0; x < k; x++)
                pos[bs[x]] = bj[x];
        }
        free(cur);
    }
    /* tree leaves */
    size_t S = ix->tree_leaves, nb = J->nblocks;
    size_t b0 = nb * (size_t)t / T, b1 = nb * ((size_t)t + 1) / T;
    for (size_t b = b0; b < b1; b++) {
        size_t j0 = b << ZN__TR_LEAF_SHIFT, j1 = j0 + ((size_t)1 << ZN__TR_LEAF_SHIFT);
        if (j1 > n)
            j1 = n;
        uint32_t mx = 0;
        for (size_t j = j0; j < j1; j++)
            if (ix->B[j] > mx)
                mx = ix->B[j];
        ix->tree[S + b] = mx;
    }
}

/* ---------------------------------------------------------------- finish */

static size_t index_bytes(const zn_trace_index *ix)
{
    size_t n = ix->n, G = ix->nplaces, P = ix->npersons;
    return sizeof *ix + n * 4 * 4 + (G + 1) * 4 + G * 4 + G * 8 + (size_t)ix->nsample * 4 + P * 8 +
           (P + 1) * 4 + ix->tree_leaves * 2 * 4;
}

void zn_trace_index_free(zn_trace_index *ix)
{
    if (!ix)
        return;
    free(ix->P);
    free(ix->A);
    free(ix->B);
    free(ix->place_off);
    free(ix->place_maxdur);
    free(ix->place_raw);
    free(ix->place_at);
    free(ix->person_raw);
    free(ix->person_off);
    free(ix->person_pos);
    free(ix->tree);
    free(ix);
}

const zn_trace_build_stats *zn_trace_index_stats(const zn_trace_index *ix)
{
    return ix ? &ix->stats : NULL;
}

static zn_status oom(zn_error *err)
{
    return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory building the stay index");
}

zn_status zn__tr_finish(zn__tr_builder *bld, int threads, long first_rejected_line,
                        zn_trace_index **out, zn_error *err)
{
    *out = NULL;
    int T = zn__tr_threads(threads);
    uint64_t rows = 0, rejected = 0;
    size_t psum = 0, xsum = 0;
    for (int i = 0; i < bld->nprod; i++) {
        zn__tr_prod *p = &bld->prods[i];
        rows += p->rows;
        rejected += p->rejected;
        psum += p->persons.n;
        xsum += p->places.n;
    }
    uint64_t kept = rows - rejected;
    if (kept >= UINT32_MAX)
        return zn_error_set(err, ZN_ERANGE, NULL, 0, NULL,
                            "%llu stays: more than an index holds (2^32 - 2)",
                            (unsigned long long)kept);

    zn_trace_index *ix = calloc(1, sizeof *ix);
    if (!ix)
        return oom(err);
    ix->base = bld->base;
    ix->n = (uint32_t)kept;
    zn_status st = ZN_OK;
    tr_sorted *srt = calloc((size_t)bld->nprod, sizeof *srt);
    uint32_t *bucket_start = NULL, *bucket_pos = NULL;
    if (!srt)
        goto nomem;

    /* 1a. persons -> ranks */
    person_merge pm = {bld, malloc((psum + 1) * sizeof(int64_t)), malloc((psum + 1) * sizeof(uint32_t)), 0};
    if (!pm.raw || !pm.cnt) {
        free(pm.raw);
        free(pm.cnt);
        goto nomem;
    }
    for (int i = 0; i < bld->nprod; i++) {
        zn__tr_prod *p = &bld->prods[i];
        p->map_person = malloc((p->persons.n + 1) * sizeof *p->map_person);
        if (!p->map_person || make_sorted(&srt[i], p->person_raw, p->persons.n, 0) != ZN_OK) {
            free(pm.raw);
            free(pm.cnt);
            goto nomem;
        }
    }
    kway(srt, bld->nprod, person_emit, &pm);
    for (int i = 0; i < bld->nprod; i++)
        sorted_fini(&srt[i]);
    ix->npersons = pm.n;
    ix->person_raw = pm.raw;
    ix->person_off = malloc(((size_t)pm.n + 1) * sizeof *ix->person_off);
    if (!ix->person_off) {
        free(pm.cnt);
        goto nomem;
    }
    {
        uint32_t s = 0;
        for (uint32_t r = 0; r < pm.n; r++) {
            ix->person_off[r] = s;
            s += pm.cnt[r];
        }
        ix->person_off[pm.n] = s;
    }
    free(pm.cnt);

    /* 1b. places -> dense ids in hash order */
    bucket_start = malloc(((size_t)bld->nbuckets + 1) * sizeof *bucket_start);
    place_merge xm = {bld, malloc((xsum + 1) * sizeof(int64_t)), bucket_start, 0, 0};
    if (!bucket_start || !xm.raw) {
        free(xm.raw);
        goto nomem;
    }
    for (int i = 0; i < bld->nprod; i++) {
        zn__tr_prod *p = &bld->prods[i];
        p->map_place = malloc((p->places.n + 1) * sizeof *p->map_place);
        if (!p->map_place || make_sorted(&srt[i], p->place_raw, p->places.n, 1) != ZN_OK) {
            free(xm.raw);
            goto nomem;
        }
    }
    kway(srt, bld->nprod, place_emit, &xm);
    for (int i = 0; i < bld->nprod; i++)
        sorted_fini(&srt[i]);
    while (xm.next_bucket <= bld->nbuckets)
        bucket_start[xm.next_bucket++] = xm.n;
    ix->nplaces = xm.n;
    ix->place_raw = xm.raw;
    ix->place_off = malloc(((size_t)xm.n + 1) * sizeof *ix->place_off);
    ix->place_maxdur = malloc(((size_t)xm.n + 1) * sizeof *ix->place_maxdur);
    if (!ix->place_off || !ix->place_maxdur)
        goto nomem;
    /* first position of every bucket (its places' offsets are set while scattering it) */
    bucket_pos = malloc(((size_t)bld->nbuckets + 1) * sizeof *bucket_pos);
    if (!bucket_pos)
        goto nomem;
    {
        uint32_t s = 0;
        for (uint32_t b = 0; b < bld->nbuckets; b++) {
            bucket_pos[b] = s;
            for (int i = 0; i < bld->nprod; i++)
                for (const tr_blk *k = bld->prods[i].head[b]; k; k = k->next)
                    s += k->n;
        }
        bucket_pos[bld->nbuckets] = s;
        ix->place_off[xm.n] = s;
    }

    /* dictionaries are no longer needed: free them before the big arrays */
    for (int i = 0; i < bld->nprod; i++) {
        zn__tr_prod *p = &bld->prods[i];
        map_fini(&p->persons);
        map_fini(&p->places);
        free(p->person_raw);
        free(p->place_raw);
        free(p->person_cnt);
        free(p->place_cnt);
        p->person_raw = p->place_raw = NULL;
        p->person_cnt = p->place_cnt = NULL;
    }

    /* 2. scatter */
    size_t n = ix->n ? ix->n : 1;
    ix->P = malloc(n * sizeof *ix->P);
    ix->A = malloc(n * sizeof *ix->A);
    ix->B = malloc(n * sizeof *ix->B);
    if (!ix->P || !ix->A || !ix->B)
        goto nomem;
    {
        scatter_job J = {.bld = bld, .ix = ix, .bucket_start = bucket_start, .bucket_pos = bucket_pos};
        atomic_init(&J.next, 0);
        atomic_init(&J.failed, 0);
        zn__tr_parallel(T, scatter_worker, &J);
        if (atomic_load(&J.failed))
            goto nomem;
    }
    free(bucket_start);
    free(bucket_pos);
    bucket_start = bucket_pos = NULL;
    for (int i = 0; i < bld->nprod; i++) {
        zn__tr_prod *p = &bld->prods[i];
        free(p->map_person);
        free(p->map_place);
        p->map_person = p->map_place = NULL;
    }

    /* 3. person lists, tree, samples */
    size_t nblocks = ((size_t)ix->n + (1u << ZN__TR_LEAF_SHIFT) - 1) >> ZN__TR_LEAF_SHIFT;
    size_t S = 1;
    while (S < nblocks)
        S <<= 1;
    ix->tree_leaves = S;
    ix->tree = calloc(2 * S, sizeof *ix->tree);
    ix->person_pos = malloc(n * sizeof *ix->person_pos);
    ix->nsample = (ix->n >> ZN__TR_SAMPLE_SHIFT) + 1;
    ix->place_at = malloc((size_t)ix->nsample * sizeof *ix->place_at);
    if (!ix->tree || !ix->person_pos || !ix->place_at)
        goto nomem;
    {
        csr_job J = {.ix = ix, .nthreads = T, .nblocks = nblocks};
        atomic_init(&J.failed, 0);
        zn__tr_parallel(T, csr_worker, &J);
        if (atomic_load(&J.failed))
            goto nomem;
    }
    for (size_t i = S - 1; i >= 1; i--)
        ix->tree[i] = ix->tree[2 * i] > ix->tree[2 * i + 1] ? ix->tree[2 * i] : ix->tree[2 * i + 1];
    {
        uint32_t g = 0;
        for (uint32_t k = 0; k < ix->nsample; k++) {
            uint32_t pos = k << ZN__TR_SAMPLE_SHIFT;
            if (ix->n == 0) {
                ix->place_at[k] = 0;
                continue;
            }
            if (pos >= ix->n)
                pos = ix->n - 1;
            while (g + 1 < ix->nplaces && ix->place_off[g + 1] <= pos)
                g++;
            ix->place_at[k] = g;
        }
    }

    free(srt);
    ix->stats.rows = rows;
    ix->stats.kept = kept;
    ix->stats.rejected = rejected;
    ix->stats.first_rejected_line = rejected ? first_rejected_line : 0;
    ix->stats.persons = ix->npersons;
    ix->stats.places = ix->nplaces;
    ix->stats.bytes = index_bytes(ix);
    ix->stats.threads = T;
    *out = ix;
    return ZN_OK;

nomem:
    st = oom(err);
    if (srt) {
        for (int i = 0; i < bld->nprod; i++)
            sorted_fini(&srt[i]);
        free(srt);
    }
    free(bucket_start);
    free(bucket_pos);
    zn_trace_index_free(ix);
    return st;
}

/* ---------------------------------------------------------------- lookups */

uint32_t zn__tr_person_rank(const zn_trace_index *ix, int64_t raw)
{
    uint32_t lo = 0, hi = ix->npersons;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (ix->person_raw[mid] < raw)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (lo < ix->npersons && ix->person_raw[lo] == raw) ? lo : UINT32_MAX;
}

uint32_t zn__tr_rel_clamp(const zn_trace_index *ix, int64_t t)
{
    int64_t r;
    if (__builtin_sub_overflow(t, ix->base, &r))
        return t < 0 ? 0 : ZN__TR_TMAX;
    if (r < 0)
        return 0;
    if (r > (int64_t)ZN__TR_TMAX)
        return ZN__TR_TMAX;
    return (uint32_t)r;
}

/* ---------------------------------------------------------------- from an array */

typedef struct array_job {
    zn__tr_builder *bld;
    const zn_trace_stay *stays;
    size_t n;
    int nprod;
} array_job;

static void array_worker(void *arg, int t)
{
    array_job *J = arg;
    zn__tr_prod *p = &J->bld->prods[t];
    size_t i0 = J->n * (size_t)t / (size_t)J->nprod, i1 = J->n * ((size_t)t + 1) / (size_t)J->nprod;
    zn__tr_in in[ZN__TR_BATCH];
    for (size_t i = i0; i < i1; i += ZN__TR_BATCH) {
        size_t m = i1 - i < ZN__TR_BATCH ? i1 - i : ZN__TR_BATCH;
        for (size_t k = 0; k < m; k++) {
            const zn_trace_stay *s = &J->stays[i + k];
            in[k] = (zn__tr_in){s->person, s->place, s->t_start, s->t_end, (long)(i + k + 1)};
        }
        if (zn__tr_prod_add_batch(p, in, m) != ZN_OK)
            return;
    }
}

zn_status zn_trace_index_build(const zn_trace_stay *stays, size_t n, int threads,
                               zn_trace_index **out, zn_error *err)
{
    if (!out || (n > 0 && !stays))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    *out = NULL;
    double t0 = zn_trace_clock();
    int T = zn__tr_threads(threads);
    int nprod = (int)(n / 1024) < T ? (int)(n / 1024) : T; /* >= 1024 rows per producer */
    if (nprod < 1)
        nprod = 1;
    int64_t base = 0;
    if (n)
        base = stays[0].t_start < INT64_MIN + ZN__TR_HALF ? INT64_MIN : stays[0].t_start - ZN__TR_HALF;
    zn__tr_builder *bld;
    if (zn__tr_builder_new(nprod, n, base, &bld) != ZN_OK)
        return oom(err);
    array_job J = {bld, stays, n, nprod};
    zn__tr_parallel(nprod, array_worker, &J);
    long first_rej = 0;
    for (int i = 0; i < nprod; i++) {
        zn__tr_prod *p = &bld->prods[i];
        zn_status st = zn__tr_prod_error(p, err);
        if (st != ZN_OK) {
            zn__tr_builder_free(bld);
            return st;
        }
        if (!first_rej && p->rejected)
            first_rej = p->first_rejected;
    }
    double t1 = zn_trace_clock();
    zn_status st = zn__tr_finish(bld, T, first_rej, out, err);
    zn__tr_builder_free(bld);
    if (st == ZN_OK) {
        (*out)->stats.parse_s = t1 - t0;
        (*out)->stats.build_s = zn_trace_clock() - t1;
    }
    return st;
}
