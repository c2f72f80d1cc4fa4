/*
 * zhinao gen: the demo city (演示城市) — a synthetic Hangzhou with people, movements, an outbreak
 * that happens and the dirt real feeds have, written as one file per feed of the hub catalogue.
 *
 * What is real and what is synthetic (details, parameters and sources: docs/demo-city.md):
 *  - real: the division codes (data/divisions, NBS 2023 edition: counties, townships, villages /
 *    communities of 330100 杭州市), the county outlines (data/boundaries, DataV), the residential
 *    compounds (data/hangzhou-compounds, fang.com 2019, BD-09 converted to WGS-84), the county
 *    populations, household size and age structure of the 7th census (2020), the published COVID-19
 *    parameters (incubation, infectiousness profile, secondary attack rates, test sensitivity);
 *  - synthetic: every person, ID number (valid check character), phone number, household,
 *    workplace, school class, venue, trip, visit, test and case.
 *
 * Determinism: the output is a function of (options, shipped data, catalogue) only — same seed, same
 * bytes, whatever the number of threads. Random numbers come from xoshiro256** seeded through
 * splitmix64 (Blackman & Vigna, "Scrambled linear pseudorandom number generators", ACM TOMS 47(4),
 * 2021; reference code at https://prng.di.unimi.it/, public domain), one independent stream per
 * (purpose, person, day) so that work can be split over threads.
 *
 * Output folder (all CSV, UTF-8 unless chosen as a GBK file by the dirt):
 *   <feed>.csv             one per catalogue feed the generator knows (columns in catalogue order)
 *   late/<feed>.csv        rows of that feed that arrive late (the "late" dirt), same header
 *   ground_truth.csv       every infection: who, when, where, the true infector (not a feed)
 *   truth_stays.csv        every co-presence stay (person_id,place_id,t_start,t_end; the trace
 *                          benchmark format) and truth_places.csv / truth_persons.csv to decode it
 *   manifest.json          options, parameters, per file: feed, rows, encoding, injected dirt
 */
#ifndef ZHINAO_GEN_H
#define ZHINAO_GEN_H

#include "zhinao/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- deterministic random numbers ---- */

/*
 * splitmix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014;
 * Vigna's public-domain splitmix64.c): advance *state by 0x9e3779b97f4a7c15 and return the mixed
 * value. From state 0 the first three outputs are 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4,
 * 0x06c45d188009454f.
 */
uint64_t zn_splitmix64(uint64_t *state);

/* xoshiro256** state. Never all zero (zn_rng_seed guarantees it). */
typedef struct zn_rng {
    uint64_t s[4];
} zn_rng;

/* Seed the four state words with four splitmix64 outputs from `seed`. */
void zn_rng_seed(zn_rng *r, uint64_t seed);

/*
 * Seed an independent stream for (seed, stream, a, b): the key is folded through splitmix64
 * finalisers, then expanded as zn_rng_seed does. Used for per-(purpose, person, day) streams.
 */
void zn_rng_seed_key(zn_rng *r, uint64_t seed, uint64_t stream, uint64_t a, uint64_t b);

/* Next 64-bit output of xoshiro256** 1.0: rotl(s1 * 5, 7) * 9, then the state update. */
uint64_t zn_rng_next(zn_rng *r);

/* Uniform double in [0, 1): the top 53 bits of zn_rng_next times 2^-53. */
double zn_rng_uniform(zn_rng *r);

/* Uniform integer in [0, n) without modulo bias (Lemire, "Fast random integer generation in an
 * interval", ACM TOMACS 29(1), 2019). n == 0 returns 0. */
uint64_t zn_rng_below(zn_rng *r, uint64_t n);

/* Standard normal deviate (Box–Muller, one value per call). */
double zn_rng_normal(zn_rng *r);

/* Exponential deviate with the given mean (> 0). */
double zn_rng_exponential(zn_rng *r, double mean);

/* Log-normal deviate: exp(meanlog + sdlog * N(0,1)). */
double zn_rng_lognormal(zn_rng *r, double meanlog, double sdlog);

/* Index i with probability w[i] / sum(w) (w >= 0, sum > 0); linear scan. */
size_t zn_rng_weighted(zn_rng *r, const double *w, size_t n);

/* ---- dirt ---- */

/*
 * Kinds of dirt the generator injects: X(enum, name, default rate, what). Row kinds are drawn per
 * row with the rate among the rows they can apply to (at most one kind per row); gbk_file is the
 * share of files written in GBK. The manifest records, per file and kind, how many rows were
 * eligible and how many were made dirty.
 *   bad_check_digit   a resident ID column gets a wrong check character     -> hub: bad_check_digit
 *   swapped_lat_lon   a WGS-84/GCJ-02/BD-09 pair written as (lat, lon)       -> hub: swapped_lat_lon
 *   gcj02_as_wgs84    GCJ-02 coordinates in a column declared WGS-84         -> loads (offset ~500 m)
 *   duplicate         the row is written twice                               -> hub: duplicate
 *   late              the row goes to late/<feed>.csv instead                 -> loads from that file
 *   missing_seat      a flight/train passenger row without its seat          -> loads, seat empty
 *   end_before_start  the two times of a catalogue row check are swapped    -> hub: end_before_start
 *   gbk_file          the whole file is GBK-encoded                          -> hub: encoding gb18030
 */
#define ZN_GEN_DIRT_TABLE(X)                                                                   \
    X(ZN_GEN_DIRT_CHECK_DIGIT, "bad_check_digit", 0.005)                                      \
    X(ZN_GEN_DIRT_SWAPPED, "swapped_lat_lon", 0.005)                                          \
    X(ZN_GEN_DIRT_GCJ02, "gcj02_as_wgs84", 0.005)                                             \
    X(ZN_GEN_DIRT_DUPLICATE, "duplicate", 0.005)                                              \
    X(ZN_GEN_DIRT_LATE, "late", 0.005)                                                        \
    X(ZN_GEN_DIRT_MISSING_SEAT, "missing_seat", 0.02)                                         \
    X(ZN_GEN_DIRT_END_BEFORE_START, "end_before_start", 0.005)                                \
    X(ZN_GEN_DIRT_GBK, "gbk_file", 0.2)

typedef enum zn_gen_dirt {
#define ZN__GEN_DIRT_ENUM(e, name, rate) e,
    ZN_GEN_DIRT_TABLE(ZN__GEN_DIRT_ENUM)
#undef ZN__GEN_DIRT_ENUM
    ZN_GEN_DIRT_COUNT
} zn_gen_dirt;

/* Name of a dirt kind ("bad_check_digit"); "?" when out of range. Static storage. */
const char *zn_gen_dirt_name(int kind);
/* Default rate of a dirt kind; 0 when out of range. */
double zn_gen_dirt_default(int kind);
/* Kind by name; -1 when unknown. */
int zn_gen_dirt_find(const char *name);

/* ---- the city ---- */

/* Disease parameter sets (docs/demo-city.md lists every value with its source). */
typedef enum zn_gen_variant {
    ZN_GEN_OMICRON = 0,   /* BA.1/BA.2 era (Hangzhou and Shanghai, spring 2022): the default */
    ZN_GEN_ANCESTRAL = 1  /* early 2020 estimates */
} zn_gen_variant;

typedef struct zn_gen_options {
    const char *city;        /* city division code, any form ("330100"); only 330100 has compounds */
    int64_t persons;         /* residents, >= 100 */
    int days;                /* simulated days, 1..120 */
    uint64_t seed;
    const char *start_date;  /* first simulated day, local "YYYY-MM-DD" (default "2022-03-01") */
    const char *out_dir;     /* created when missing; existing generated files are overwritten */
    const char *data_dir;    /* shipped data folder: divisions/, boundaries/, feeds/, hangzhou-compounds/ */
    const char *catalogue;   /* feed catalogue; NULL = <data_dir>/feeds/catalogue.json */
    int threads;             /* 0 = one per online CPU (at most 8) */
    int index_cases;         /* imported and cold-chain index cases seeding the outbreak (>= 1) */
    zn_gen_variant variant;
    double dirt[ZN_GEN_DIRT_COUNT]; /* rates, see ZN_GEN_DIRT_TABLE */
    int write_stays;         /* 1: write truth_stays.csv (the generated contacts); 0: skip it */
} zn_gen_options;

/* Defaults: city 330100, 20000 persons, 14 days, seed 1, start 2022-03-01, out "demo-city",
 * data_dir NULL (must be set), 0 threads, 8 index cases, omicron, default dirt rates, stays on. */
void zn_gen_options_default(zn_gen_options *o);

/* What one run produced (counts also written to manifest.json). */
typedef struct zn_gen_summary {
    int64_t residents, visitors, households, compounds, communities, grids, venues;
    int64_t infections;       /* rows of ground_truth.csv */
    int64_t cases_reported;   /* infections reported as cases (case_report rows before dirt) */
    int64_t feed_files;       /* feed files written (main + late) */
    int64_t feed_rows;        /* data rows over all feed files */
    int64_t bytes;            /* bytes over all files written */
    int64_t dirt[ZN_GEN_DIRT_COUNT]; /* injected, all files (gbk_file: files) */
    double seconds;           /* wall time */
} zn_gen_summary;

/*
 * Generate the city described by opt into opt->out_dir (see the top of this header).
 * ctx gives the PROJ/GEOS handles (grid cells, county outlines) and the log; nothing depends on its
 * clock. sum may be NULL.
 * Errors: ZN_EINVAL (bad option: err->field names it), ZN_ENOTFOUND (city or data file missing),
 * ZN_EIO (cannot read data or write the output folder; err->file), ZN_EPARSE (malformed shipped
 * data), ZN_EGEO, ZN_ENOMEM. On error the output folder may hold partial files.
 */
zn_status zn_gen_city(zn_ctx *ctx, const zn_gen_options *opt, zn_gen_summary *sum, zn_error *err);

/* ---- the tracing metric ---- */

typedef struct zn_gen_metric {
    char plan[64];             /* plan edition used (look-back, minimum overlap) */
    int lookback_days;
    int64_t min_overlap_s;
    int64_t infections;        /* rows of ground_truth.csv */
    int64_t reported;          /* infections reported as cases */
    int64_t reported_local;    /* of them infected in the city (not index cases) */
    int64_t traced;            /* reported cases already close contacts of an earlier-reported case */
    int64_t traced_local;
    int64_t close_contacts;    /* close-contact rows found over all reported cases */
    double share;              /* traced / reported */
    double share_local;        /* traced_local / reported_local */
    double median_lead_hours;  /* among traced cases: report time - time they became contacts */
} zn_gen_metric;

/*
 * The share of reported cases that were already traced close contacts when they were reported, in
 * the generated city in `dir` (ground_truth.csv and truth_stays.csv, i.e. generated with stays on).
 * Cases are taken in report order; at its report each case's close contacts are found with
 * zn_trace_close_one over every generated co-presence (households, teams, classes, venues,
 * vehicles) in the window [onset - look-back, report] (onset: the symptom onset when known at the
 * report, else the sampling time), with the plan's minimum overlap; a later case is "traced" when it
 * was among them. Since the truth stays hold every contact, this is the share a platform that saw
 * every contact would reach (an upper bound for tracing from the feeds).
 * plans_dir holds the plan files (data/plans), plan_name e.g. "plan-9".
 * Errors: ZN_ENOTFOUND (plan), ZN_EIO (file missing, err->file), ZN_EPARSE, ZN_EINVAL (a plan that
 * traces no close contacts), ZN_ENOMEM.
 */
zn_status zn_gen_traced_share(zn_ctx *ctx, const char *dir, const char *plans_dir, const char *plan_name,
                              zn_gen_metric *out, zn_error *err);

#ifdef __cplusplus
}
#endif
#endif /* ZHINAO_GEN_H */
