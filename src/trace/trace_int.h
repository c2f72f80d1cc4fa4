/*
 * Internal to src/trace: the layout of a built index, the builder that both loaders feed, and
 * small shared helpers (threads, hashing, radix sort).
 *
 * Layout (n stays, G places, P persons; all ids dense):
 *   positions 0..n-1 hold the stays sorted by place (in the order of a bijective hash of the
 *   place id, so that places can be bucketed while parsing), then t_start; three parallel arrays
 *   P (person rank), A (start), B (end), 4 bytes each, times relative to `base`.
 *   Person ranks follow the numeric order of the person ids, so "smallest id" is "smallest rank".
 *   place_off[G+1] delimits places; place_maxdur[g] bounds (B - A) inside place g;
 *   person_off[P+1] / person_pos[n] list each person's stay positions (CSR);
 *   tree[2S] is a max-of-B segment tree over blocks of 16 positions (leaves at S + block);
 *   place_at[(n >> 6) + 1] samples the place of every 64th position (place_of in O(log 64)).
 * Bytes per stay once built: 12 (P, A, B) + 4 (person_pos) + ~0.7 (tree) + dictionaries: 17.2 at M/L.
 */
#ifndef ZN_TRACE_INT_H
#define ZN_TRACE_INT_H

#include "zhinao/trace.h"

#include <stdint.h>
#include <stddef.h>

#define ZN__TR_TMAX 0xFFFFFFF0u     /* largest relative time accepted */
#define ZN__TR_HALF (INT64_C(1) << 31)
#define ZN__TR_LEAF_SHIFT 4          /* 16 positions per tree leaf */
#define ZN__TR_SAMPLE_SHIFT 6        /* place_at: every 64th position */
#define ZN__TR_MAX_THREADS 64

struct zn_trace_index {
    int64_t base;          /* relative time 0 is unix second `base` */
    uint32_t n;            /* stays */
    uint32_t npersons;
    uint32_t nplaces;
    uint32_t *P, *A, *B;   /* [n] */
    uint32_t *place_off;   /* [nplaces + 1] */
    uint32_t *place_maxdur;/* [nplaces] */
    int64_t *place_raw;    /* [nplaces] */
    uint32_t *place_at;    /* [nsample] */
    uint32_t nsample;
    int64_t *person_raw;   /* [npersons], ascending */
    uint32_t *person_off;  /* [npersons + 1] */
    uint32_t *person_pos;  /* [n] */
    uint32_t *tree;        /* [2 * tree_leaves] */
    size_t tree_leaves;    /* S, a power of two >= number of blocks */
    zn_trace_build_stats stats;
};

/* ---- threads ---- */

/* Resolve a thread request: 0 -> online CPUs; clamped to [1, ZN__TR_MAX_THREADS]. */
int zn__tr_threads(int requested);

/* Run fn(arg, t) for t = 0..n-1, t = 0 on the calling thread, the others on pthreads (run on the
 * calling thread, after the others, if a thread cannot be created). */
typedef void (*zn__tr_job)(void *arg, int t);
void zn__tr_parallel(int n, zn__tr_job fn, void *arg);

/* ---- hashing ---- */

/* A bijection of 64-bit integers (the splitmix64 finaliser): distinct ids get distinct hashes. */
static inline uint64_t zn__tr_mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* ---- radix sort of (key, val) pairs ---- */

typedef struct zn__tr_kv {
    uint64_t key;
    uint64_t val;
} zn__tr_kv;

/* Stable LSD radix sort by key (8-bit digits, constant digits skipped). tmp has n elements.
 * Returns the array holding the result (a or tmp). */
zn__tr_kv *zn__tr_sort_kv(zn__tr_kv *a, zn__tr_kv *tmp, size_t n);

/* ---- builder: producers append rows, finish turns them into an index ---- */

typedef struct zn__tr_builder zn__tr_builder;
typedef struct zn__tr_prod zn__tr_prod;

/* A builder with nprod producers for about `expected_rows` rows; base = unix second of relative
 * time 0 (use first t_start - 2^31). */
zn_status zn__tr_builder_new(int nprod, uint64_t expected_rows, int64_t base, zn__tr_builder **out);
void zn__tr_builder_free(zn__tr_builder *b);
zn__tr_prod *zn__tr_builder_prod(zn__tr_builder *b, int i);

/*
 * Append one stay to producer p (one thread per producer). rowno identifies the row for errors
 * and rejections (local numbering is fine: the caller fixes it up). t_end <= t_start rows are
 * counted as rejected. Returns ZN_OK, ZN_ERANGE (time too far from base) or ZN_ENOMEM; the
 * producer keeps the first error (zn__tr_prod_error).
 */
zn_status zn__tr_prod_add(zn__tr_prod *p, int64_t person, int64_t place, int64_t t0, int64_t t1,
                          long rowno);
/* Rows for zn__tr_prod_add_batch. */
#define ZN__TR_BATCH 32
typedef struct zn__tr_in {
    int64_t person, place, t0, t1;
    long rowno;
} zn__tr_in;

/* zn__tr_prod_add for n rows (hashes and prefetches ZN__TR_BATCH place lookups at a time). */
zn_status zn__tr_prod_add_batch(zn__tr_prod *p, const zn__tr_in *in, size_t n);

/* The producer's status and error (line = rowno given to add), rows and rejections so far. */
zn_status zn__tr_prod_error(const zn__tr_prod *p, zn_error *err);
void zn__tr_prod_set_error(zn__tr_prod *p, zn_status st, const zn_error *err);
uint64_t zn__tr_prod_rows(const zn__tr_prod *p);
uint64_t zn__tr_prod_rejected(const zn__tr_prod *p);
long zn__tr_prod_first_rejected(const zn__tr_prod *p);

/* Merge the producers' dictionaries, sort, build the index. threads as zn__tr_threads.
 * first_rejected_line: for the stats. Consumes the producers' rows (the builder must still be
 * freed). */
zn_status zn__tr_finish(zn__tr_builder *b, int threads, long first_rejected_line,
                        zn_trace_index **out, zn_error *err);

/* ---- lookups on a built index ---- */

/* Rank of person id `raw`, or UINT32_MAX when absent (binary search). */
uint32_t zn__tr_person_rank(const zn_trace_index *ix, int64_t raw);

/* Dense place of position pos (pos < n). */
static inline uint32_t zn__tr_place_of(const zn_trace_index *ix, uint32_t pos)
{
    uint32_t k = pos >> ZN__TR_SAMPLE_SHIFT;
    uint32_t lo = ix->place_at[k];
    uint32_t hi = (k + 1 < ix->nsample) ? ix->place_at[k + 1] : ix->nplaces - 1;
    /* largest g in [lo, hi] with place_off[g] <= pos */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo + 1) / 2;
        if (ix->place_off[mid] <= pos)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* Append to out (reserving as needed) every position of place g whose stay overlaps [lo, hi) by
 * at least D (requires hi - lo >= D >= 1). Returns -1 on out of memory. */
typedef struct zn__tr_vec {
    uint32_t *v;
    size_t n, cap;
} zn__tr_vec;
int zn__tr_probe(const zn_trace_index *ix, uint32_t g, uint32_t lo, uint32_t hi, uint32_t D,
                 zn__tr_vec *out);

/* zn_trace_run with the secondary ring optional (secondary = 0: close contacts only). */
zn_status zn__tr_run(const zn_trace_index *ix, const zn_trace_case *cases, size_t ncases,
                     int64_t min_overlap, int threads, int secondary, zn_trace_result *res,
                     zn_error *err);

/* Clamp a unix time to the index's relative range [0, ZN__TR_TMAX]. */
uint32_t zn__tr_rel_clamp(const zn_trace_index *ix, int64_t t);

#endif
