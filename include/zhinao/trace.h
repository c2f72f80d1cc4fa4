/*
 * zhinao trace: the contact-tracing kernel (密接 / 次密接 from co-presence at the same place).
 *
 * A *stay* is (person, place, t_start, t_end): a person present at a place (a venue, a household,
 * a workplace or school class, a telecom grid cell: one id space) from t_start (inclusive) to
 * t_end (exclusive), unix seconds. The kernel builds a compact in-memory *index* of stays sorted
 * by place, then time, and answers from it:
 *
 *   close contacts     for every index case i with window [f_i, u_i], every pair of stays
 *                      (i, x, a1, b1), (c, x, a2, b2) at the same place x with c != i:
 *                        s = max(a1, a2, f_i), e = min(b1, b2, u_i), the pair qualifies iff
 *                        e - s >= D (D = minimum overlap, seconds). (i, c) is a close-contact pair
 *                        iff one stay pair qualifies; first_exposure = the least such s.
 *                        Overlaps are per stay pair: two short overlaps never add up.
 *   secondary contacts for every close contact c (C = all contacts found), fe(c) = least
 *                      first_exposure over c's rows, W(c) = greatest u_i over c's index cases;
 *                      stay pairs (c, x, a1, b1), (q, x, a2, b2) with q neither an index case nor
 *                      in C qualify iff min(b1, b2, W(c)) - max(a1, a2, fe(c)) >= D; q is reported
 *                      once with the least s and, among the c attaining it, the smallest c.
 *
 * These are exactly the semantics of the zhinao benchmark (../shared/bench/SPEC.md, section 2),
 * which follow the 9th-edition plan's secondary-contact window ("from the close contact's first
 * contact with the case until the close contact is isolated", approximated by the latest window
 * end of its index cases); see ../shared/research/outbreak-anchors.md, Table 2.
 *
 * Cost: building is O(n) passes plus radix sorts (all CPUs by default); a query stay probes its
 * place with two binary searches and, for crowded places, a max-end segment tree over blocks of
 * 16 stays: O(log n + output) per probe; the secondary ring sweeps a crowded place once instead
 * (O(stays + probes log probes)), so a place holding 10^6 stays never costs O(n^2).
 *
 * Limits: at most 4 294 967 294 stays per index; all times of one index within 2^31 seconds
 * (68 years) of the first stay's t_start (ZN_ERANGE otherwise).
 *
 * Thread safety: a built zn_trace_index is read-only; any number of threads may query it at once.
 */
#ifndef ZHINAO_TRACE_H
#define ZHINAO_TRACE_H

#include "zhinao/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One stay: integers, times in unix seconds, [t_start, t_end). */
typedef struct zn_trace_stay {
    int64_t person;
    int64_t place;
    int64_t t_start;
    int64_t t_end;
} zn_trace_stay;

/* One index case (指示病例) and its infectious window [t_from, t_to], unix seconds. */
typedef struct zn_trace_case {
    int64_t person;
    int64_t t_from;
    int64_t t_to;
} zn_trace_case;

/* Close-contact row: first_exposure in unix seconds; place = the place of that first exposure
 * (the smallest dense place among ties; informative, not part of the canonical output). */
typedef struct zn_trace_close {
    int64_t index_id;
    int64_t contact_id;
    int64_t first_exposure;
    int64_t place;
} zn_trace_close;

/* Secondary-contact row. */
typedef struct zn_trace_secondary {
    int64_t contact_id;
    int64_t via_id; /* the close contact it came through */
    int64_t first_exposure;
} zn_trace_secondary;

/* What building an index saw and cost. */
typedef struct zn_trace_build_stats {
    uint64_t rows;            /* input rows (stays) read */
    uint64_t kept;            /* stays in the index */
    uint64_t rejected;        /* stays dropped because t_end <= t_start */
    long first_rejected_line; /* CSV: 1-based line of the first one (header = line 1); arrays:
                                 1-based element number; 0 when none */
    uint64_t persons;         /* distinct persons among kept stays */
    uint64_t places;          /* distinct places among kept stays */
    size_t bytes;             /* heap bytes held by the built index */
    double parse_s;           /* seconds reading + parsing (CSV) or scanning the array */
    double build_s;           /* seconds merging dictionaries, sorting, building the index */
    int threads;              /* threads used */
} zn_trace_build_stats;

/* The prepared index. Opaque, read-only once built. */
typedef struct zn_trace_index zn_trace_index;

/*
 * Build an index from n stays (the array is only read; the index keeps no pointer into it).
 * threads: 0 = one per online CPU; otherwise the number of threads (>= 1) used for building.
 * Stays with t_end <= t_start are dropped and counted in the stats (not an error); duplicate
 * stays are kept (they cannot change any result: every output is a minimum over stay pairs).
 * Returns ZN_OK and *out (free with zn_trace_index_free); ZN_EINVAL (NULL out, stays NULL with
 * n > 0), ZN_ERANGE (a time too far from the first stay's, or too many stays; err->line = the
 * 1-based element), ZN_ENOMEM.
 */
zn_status zn_trace_index_build(const zn_trace_stay *stays, size_t n, int threads,
                               zn_trace_index **out, zn_error *err);

/*
 * Build an index straight from a benchmark stays file (SPEC.md section 1: header
 * `person_id,place_id,t_start,t_end`, plain decimal integers, `,`, LF or CRLF, no quoting).
 * This is a hand-written parser for that purely numeric format, used for the benchmark and bulk
 * loads; general feeds go through the hub's libcsv reader and zn_trace_index_build.
 * Threads parse slices of the file through 8 MiB mmap windows, unmapped as they go (threads as
 * above); memory stays near 16 bytes per stay while building and 17.2 bytes per stay once built
 * (never the size of the file).
 * Errors: ZN_EIO (cannot open/read), ZN_EPARSE (wrong header, malformed row: err names file,
 * line and field), ZN_ERANGE, ZN_ENOMEM. Rejected stays (t_end <= t_start) as for _build.
 */
zn_status zn_trace_index_load_csv(const char *path, int threads, zn_trace_index **out,
                                  zn_error *err);

void zn_trace_index_free(zn_trace_index *ix); /* NULL ok */

/* Stats of the build (borrowed, valid while ix lives). */
const zn_trace_build_stats *zn_trace_index_stats(const zn_trace_index *ix);

/*
 * Read an index-case file (header `person_id,t_from,t_to`). *out is a malloc'd array of *n cases
 * in file order (caller frees with free()).
 * Errors: ZN_EIO, ZN_EPARSE (header / malformed row), ZN_EINVAL (t_to <= t_from: err->line),
 * ZN_EDUPLICATE (a person listed twice: err->line is the second), ZN_ENOMEM.
 */
zn_status zn_trace_cases_load_csv(const char *path, zn_trace_case **out, size_t *n,
                                  zn_error *err);

/* Result of a batch run. Arrays are owned by the struct (zn_trace_result_fini frees them). */
typedef struct zn_trace_result {
    zn_trace_close *close;          /* sorted by index_id, then contact_id */
    size_t nclose;
    zn_trace_secondary *secondary;  /* sorted by contact_id */
    size_t nsecondary;
    size_t nclose_distinct;         /* |C|: distinct contact ids among the close rows */
    size_t cases_without_stays;     /* index cases with no stay in the index */
    double close_s, secondary_s;    /* seconds spent in each ring */
    int threads;
} zn_trace_result;

/*
 * Batch query (SPEC.md section 2): close contacts of all ncases index cases, then the secondary
 * contacts of all of them. min_overlap: D in seconds, >= 1. threads: 0 = one per online CPU.
 * Index cases must have distinct persons and t_to > t_from (ZN_EINVAL otherwise, err->line =
 * 1-based case number). A case whose person has no stay contributes nothing (counted in
 * res->cases_without_stays); a window with no stays in it (e.g. in the future) finds nothing.
 * The output does not depend on threads. On success *res is filled (zero it before the call is
 * not needed; free with zn_trace_result_fini). Errors: ZN_EINVAL, ZN_ENOMEM.
 */
zn_status zn_trace_run(const zn_trace_index *ix, const zn_trace_case *cases, size_t ncases,
                       int64_t min_overlap, int threads, zn_trace_result *res, zn_error *err);

void zn_trace_result_fini(zn_trace_result *res); /* NULL ok; zeroes *res */

/*
 * Incremental query: the close contacts of one (new) index case `person` with window
 * [t_from, t_to] from a prepared index, without touching the rest: cost is proportional to that
 * person's stays and the stays they overlap (milliseconds at 5 * 10^7 stays).
 * *out is a malloc'd array of *n rows sorted by contact_id (index_id = person), NULL when *n is 0;
 * caller frees with free(). A person without stays gives *n = 0 and ZN_OK.
 * Errors: ZN_EINVAL (t_to <= t_from, min_overlap < 1, NULL args), ZN_ENOMEM.
 */
zn_status zn_trace_close_one(const zn_trace_index *ix, int64_t person, int64_t t_from,
                             int64_t t_to, int64_t min_overlap, zn_trace_close **out, size_t *n,
                             zn_error *err);

/*
 * Write the canonical output files of SPEC.md into directory dir (which must exist):
 * close_contacts.csv (`index_id,contact_id,first_exposure`) and secondary_contacts.csv
 * (`contact_id,via_close_contact_id,first_exposure`); LF, no quoting, header row.
 * Errors: ZN_EIO (err names the file).
 */
zn_status zn_trace_write_csv(const zn_trace_result *res, const char *dir, zn_error *err);

/* ---- plan editions: the rules as data (data/plans/<name>.json) ---- */

typedef enum zn_trace_secwin {
    ZN_SECWIN_NONE = 0,            /* secondary contacts are not determined */
    ZN_SECWIN_UNTIL_ISOLATION = 1  /* from the close contact's first exposure until it is isolated */
} zn_trace_secwin;

/*
 * A control-plan edition (防控方案): a named parameter set. Every number in the JSON file is an
 * object {"value": ..., "source": "..."}; the loader refuses a number without its source.
 * Shipped: plan-8, plan-9, plan-20measures, plan-10 (sources: ../shared/research/
 * outbreak-anchors.md, Tables 2, 3 and 5). Durations in days, overlaps in seconds.
 */
typedef struct zn_trace_plan {
    char name[64];
    char title[256];
    int trace_close, trace_secondary, trace_general, trace_companion; /* 0/1 */
    int lookback_days;            /* before symptom onset (asymptomatic: sampling) */
    int64_t min_overlap_s;        /* D of the co-presence rule */
    zn_trace_secwin secondary_window;
    int close_isolation_days, close_home_days;          /* centralized + home phase */
    int secondary_isolation_days, secondary_home_days;
    int close_pcr_days[16], nclose_pcr;                  /* days of the PCR tests */
    int secondary_pcr_days[16], nsecondary_pcr;
    int aircraft_rows;            /* rows in front and behind the case's row (3) */
    int ventilated_bus_rows;      /* rows either side on a ventilated bus (3) */
    int64_t companion_cell_m;     /* 时空伴随 grid cell side, metres (800) */
    int64_t companion_min_overlap_s; /* together longer than this (600) */
    int64_t companion_cumulative_s;  /* either party's cumulative stay in the cell (30 h) */
    int companion_window_days;       /* ... over the last N days (14) */
    int64_t proximity_threshold_s;   /* cumulative face-to-face seconds of a proximity close contact (900) */
    int64_t proximity_resolution_s;  /* seconds one proximity event stands for, default of feeds (20) */
    int64_t proximity_period_s;      /* the sum runs over any period this long (86400); 0 = whole window */
    int64_t venue_dwell_s;           /* stay assumed after an entry-only venue-code scan (3600) */
} zn_trace_plan;

/*
 * Load a plan file. Errors: ZN_EIO (cannot read), ZN_EPARSE (not JSON: err->line is JSON's),
 * ZN_EVALIDATE (a parameter missing, of the wrong type, out of range, or without a non-empty
 * "source": err->field names it, e.g. "close_contact.pcr_days").
 */
zn_status zn_trace_plan_load(const char *path, zn_trace_plan *out, zn_error *err);

/* Load dir/<name>.json (dir: e.g. zn_cli_data_dir() + "/plans"). ZN_ENOTFOUND when absent. */
zn_status zn_trace_plan_find(const char *dir, const char *name, zn_trace_plan *out, zn_error *err);

/*
 * An index case under a plan: window [onset - lookback_days * 86400, isolated_at], onset being
 * the symptom onset (or, for an asymptomatic infection, the sampling time), unix seconds.
 * Errors: ZN_EINVAL when isolated_at <= the window start, or when the plan traces no close
 * contacts (plan-10).
 */
zn_status zn_trace_plan_case(const zn_trace_plan *plan, int64_t person, int64_t onset,
                             int64_t isolated_at, zn_trace_case *out, zn_error *err);

/*
 * zn_trace_run under a plan: D = plan->min_overlap_s; the secondary ring only when the plan traces
 * secondary contacts (res->secondary empty otherwise); nothing at all when it traces no close
 * contacts. Same errors as zn_trace_run.
 */
zn_status zn_trace_run_plan(const zn_trace_index *ix, const zn_trace_plan *plan,
                            const zn_trace_case *cases, size_t ncases, int threads,
                            zn_trace_result *res, zn_error *err);

/*
 * Spatiotemporal companions (时空伴随者) of one index case, on an index of telecom grid-cell stays
 * (place = cell): the Chengdu rule (Guangming Daily 2021-11-11, outbreak-anchors.md Table 5):
 * same cell, together for MORE than plan->companion_min_overlap_s (one pair of stays, clipped to
 * the case's window), and, when `refine` is set, either party's cumulative stay in that cell over
 * the plan->companion_window_days days before the window end exceeding
 * plan->companion_cumulative_s. Companions are their own class, not close contacts.
 * *out as for zn_trace_close_one (place = the cell of the first qualifying exposure).
 * Errors: ZN_EINVAL (NULL args, t_to <= t_from), ZN_ENOMEM.
 */
zn_status zn_trace_companions(const zn_trace_index *grid, const zn_trace_plan *plan,
                              const zn_trace_case *c, int refine, zn_trace_close **out, size_t *n,
                              zn_error *err);

/* ---- exposure sources other than stays ---- */

/* Close-contact row from a household or a trip. */
typedef struct zn_trace_pair {
    int64_t index_id;
    int64_t contact_id;
    int64_t via;       /* household id, or trip id */
    int64_t exposure;  /* trip departure time; the case's window start for households */
} zn_trace_pair;

/* A person's registered residence (户籍 / 常住地址) from the population registry. */
typedef struct zn_trace_member {
    int64_t person;
    int64_t household;
} zn_trace_member;

/*
 * Household close contacts (同住人员, the first item of the 8th/9th-edition criteria list,
 * outbreak-anchors.md Table 2): every other member of each index case's household(s).
 * *out (malloc'd, caller frees; NULL when *n is 0) is sorted by index_id, contact_id, via, one
 * row per (index, contact, household). Errors: ZN_EINVAL (NULL args), ZN_ENOMEM.
 */
zn_status zn_trace_household(const zn_trace_member *members, size_t nmembers,
                             const zn_trace_case *cases, size_t ncases, zn_trace_pair **out,
                             size_t *n, zn_error *err);

typedef enum zn_trace_vehicle {
    ZN_VEHICLE_AIRCRAFT = 0,      /* same row and plan->aircraft_rows rows in front and behind */
    ZN_VEHICLE_TRAIN_SEALED = 1,  /* fully enclosed air-conditioned train: the same carriage */
    ZN_VEHICLE_TRAIN_OPEN = 2,    /* not fully enclosed: the same or an adjacent bay (row +-1) of the carriage */
    ZN_VEHICLE_BUS_SEALED = 3,    /* sealed air-conditioned bus: everyone on board */
    ZN_VEHICLE_BUS_VENTILATED = 4 /* ventilated bus: plan->ventilated_bus_rows rows either side */
} zn_trace_vehicle;

/* One passenger on a manifest. row: seat row (aircraft, bus) or bay/compartment (train). */
typedef struct zn_trace_seat {
    int64_t trip;       /* flight / train / bus run id (one departure) */
    int64_t person;
    int64_t t_depart;   /* unix seconds */
    zn_trace_vehicle vehicle;
    int32_t carriage;   /* train carriage number (0 for aircraft and buses) */
    int32_t row;
} zn_trace_seat;

/*
 * Co-travel close contacts with the seat rules of the judging guide for transport
 * (交通工具密切接触者判定指引, outbreak-anchors.md Table 3): for every seat of an index case on a
 * trip departing inside its window, the fellow passengers the rule of the vehicle names (the
 * row distances come from plan: aircraft_rows, ventilated_bus_rows). Crew are not modelled.
 * *out as for zn_trace_household (via = trip, exposure = t_depart), one row per (index, contact,
 * trip). Errors: ZN_EINVAL (NULL args, unknown vehicle), ZN_ENOMEM.
 */
zn_status zn_trace_cotravel(const zn_trace_plan *plan, const zn_trace_seat *seats, size_t nseats,
                            const zn_trace_case *cases, size_t ncases, zn_trace_pair **out,
                            size_t *n, zn_error *err);

/* ---- proximity events: RFID / Bluetooth face-to-face contacts (src/trace/proximity.c) ---- */

/* One proximity event: persons i and j face to face during [t, t + resolution), t in seconds on
 * the feed's clock (unix seconds, or SocioPatterns' seconds since the start of the study). */
typedef struct zn_trace_event {
    int64_t t;
    int64_t i;
    int64_t j;
} zn_trace_event;

/* The cumulative face-to-face rule. Source of the shipped numbers (data/plans, "proximity"):
 * WHO, Contact tracing in the context of COVID-19, interim guidance (10 May 2020; 1 Feb 2021):
 * "face-to-face contact ... within 1 metre and for at least 15 minutes" (threshold 900 s, >=);
 * WHO gives no period for summing, so the plans read it as cumulative over any 24 h, as US CDC's
 * definition of 21 Oct 2020 does ("a cumulative total of 15 minutes or more over a 24-hour
 * period"); resolution 20 s is SocioPatterns' RFID interval. */
typedef struct zn_trace_prox_rule {
    int64_t threshold_s;   /* a close contact iff the contact time measured below >= this (>= 1) */
    int64_t resolution_s;  /* each event covers [t, t + resolution_s) (>= 1) */
    int64_t period_s;      /* contact time = the most inside any [x, x + period_s) (sliding, any
                              x); 0 = all of it inside the index case's window */
} zn_trace_prox_rule;

/* The rule of a plan edition (proximity.threshold_s, resolution_s, period_s). */
zn_trace_prox_rule zn_trace_plan_prox_rule(const zn_trace_plan *plan);

/* A proximity close contact (exposure class "proximity"). */
typedef struct zn_trace_prox {
    int64_t index_id;
    int64_t contact_id;
    int64_t first_exposure;  /* start of the pair's first contact inside the window */
    int64_t last_exposure;   /* end of its last contact inside the window */
    int64_t contact_s;       /* all face-to-face seconds inside the window */
    int64_t period_max_s;    /* the most in any period_s (= contact_s when period_s is 0) */
} zn_trace_prox;

/*
 * Proximity close contacts of ncases index cases (distinct persons, windows [t_from, t_to)) from
 * nev events in any order: for each index case i and other person c, the events of the pair
 * {i, c} (either order in the event) are turned into intervals [t, t + resolution_s), clipped to
 * i's window and merged (overlapping or duplicate events, e.g. the same contact from two feeds,
 * count once); c is a close contact iff the merged time (in the busiest period_s when period_s >
 * 0, else in all) is >= threshold_s. Events of a person with themselves are ignored. Another index
 * case can be a contact. Cost O(nev log ncases + k log k), k = events touching an index case
 * window; no pairwise pass.
 * *out (malloc'd, caller frees; NULL when *n is 0) is sorted by index_id, contact_id.
 * Errors: ZN_EINVAL (NULL args; a rule number < 1 or period < 0; t_to <= t_from or a person
 * twice: err->line = 1-based case number), ZN_ERANGE (|t| >= 2^60: err->line = 1-based event),
 * ZN_ENOMEM.
 */
zn_status zn_trace_proximity(const zn_trace_event *ev, size_t nev, const zn_trace_prox_rule *rule,
                             const zn_trace_case *cases, size_t ncases, zn_trace_prox **out,
                             size_t *n, zn_error *err);

/*
 * Read a proximity event file: one event "t i j" a line (integers separated by blanks or one
 * ',' — SocioPatterns' tij_*.dat), optionally gzip-compressed (zlib reads plain files too); blank
 * lines, lines starting with '#' and a first line starting with a letter (a header) are skipped.
 * *out is a malloc'd array of *n events in file order (NULL when none; caller frees).
 * Errors: ZN_EIO (cannot open / read), ZN_EPARSE (err names file, line and field), ZN_ENOMEM.
 */
zn_status zn_trace_events_load(const char *path, zn_trace_event **out, size_t *n, zn_error *err);

/* Seconds on a monotonic clock (for phase timings). */
double zn_trace_clock(void);


/* ==== from the store (src/trace/store.c): exposures from the hub's feed tables, stored runs ==== */

struct zn_store;

/*
 * Options of a run from the store. Zero-initialise, then set what you need.
 * venue_dwell_s: a venue-code scan opens a stay [scan_time, scan_time + venue_dwell_s) unless the
 * same person's next scan at the same venue within venue_pair_max_s is an "out" scan, which then
 * closes it (0 = the plan's venue_dwell_s (3600 s in every shipped plan) and 43200 s; the demo
 * city's feeds have only "in" scans).
 */
typedef struct zn_trace_store_options {
    const char *label;          /* free text stored with the run; NULL ok */
    int64_t venue_dwell_s;      /* fixed dwell of an unpaired scan, seconds (0 = plan->venue_dwell_s) */
    int64_t venue_pair_max_s;   /* longest in->out pairing, seconds (0 = 43200) */
    int companions;             /* 1: trace spatiotemporal companions even when the plan does not */
    int refine;                 /* 1: the Chengdu 30 h / 14 d refinement for companions */
    int threads;                /* 0 = one per CPU */
    int incremental;            /* 1: only case reports whose person was no index case of an
                                   earlier run under the same plan (new positives) */
} zn_trace_store_options;

/* What a stored run found (rows as stored). */
typedef struct zn_trace_store_summary {
    int64_t run_id;             /* 0: nothing stored (an incremental run with no new case report) */
    int64_t index_cases;        /* case reports used as index cases */
    int64_t cases_skipped;      /* case reports without a person, or with an empty window */
    int64_t close_venue, close_household, close_cotravel; /* close_contact rows per class */
    int64_t close_distinct;     /* distinct close contacts */
    int64_t secondary;          /* secondary_contact rows (one per contact) */
    int64_t companions;         /* companion rows */
    int64_t venue_stays, grid_stays, households, seats; /* exposures built from the feeds */
    int64_t cases_earlier;      /* incremental: reports left out as traced by an earlier run */
    int64_t general;            /* general_contact rows (plans that determine general contacts) */
} zn_trace_store_summary;

/*
 * Run the kernel on the feeds stored in st under `plan` and store the results (tables trace_run,
 * trace_index_case, close_contact, secondary_contact, companion; migration 6) in one transaction.
 * Persons are resident ID numbers as stored, or mobile numbers where a feed has nothing else.
 *  - index cases: every feed_case_report row with a person (the first report per person);
 *    with opt->incremental, only those whose person is no index case of an earlier run under
 *    the same plan (trace_index_case): their close, secondary contacts and companions only (when
 *    there is none, nothing is stored and summary->run_id is 0, so the latest run stays the last
 *    one that traced something);
 *    earlier index cases still never count as secondary contacts;
 *    window [onset - plan->lookback_days, report_time], onset = onset_date at local midnight
 *    (zn_ctx_tz_offset), or diagnosis_time when there is no onset date (asymptomatic: the feed
 *    has no sampling time); the case is taken as isolated when reported.
 *  - venue: stays from feed_venue_scan (see zn_trace_store_options), the kernel's rule with
 *    D = plan->min_overlap_s; last_exposure / overlap_seconds over all qualifying stay pairs.
 *  - household: feed_population_registry members with the same (residence_division,
 *    residence_address); first/last exposure = the case's window, overlap = its length.
 *  - co-travel: feed_passenger_manifest (trip = mode, vehicle, departure_date; flight ->
 *    aircraft rows rule, train -> sealed carriage, bus -> sealed bus: the feed has no ventilation
 *    field; ship rows are not used), exposure = departure time.
 *  - secondary (when the plan traces them): venue and household contacts of every close contact c
 *    in [fe(c), W(c)] (least first exposure, latest window end of its index cases), neither an
 *    index case nor a close contact; each once, least first exposure, then smallest contact.
 *  - general contacts (plan->trace_general; 一般接触者: 8th and 9th editions), table
 *    general_contact (migration 7): venue co-presence with any overlap (D = 1 s) and co-travel in
 *    the same aircraft or bus (any row) or train carriage, of persons who are neither index cases,
 *    close nor secondary contacts; venue rows with first/last exposure and overlap, co-travel
 *    rows with the departure time and overlap 0.
 *  - companions (plan->trace_companion or opt->companions): zn_trace_companions on
 *    feed_telecom_grid_stay (person = mobile; the case's mobile from the report or the registry);
 *    contact = resident ID when the registry has one person with that mobile, else the mobile.
 * Feed tables that do not exist count as empty. summary may be NULL.
 * Errors: ZN_EINVAL (NULL args), ZN_ESTORE, ZN_ENOMEM, and the kernel's errors.
 */
zn_status zn_trace_store_run(struct zn_store *st, const zn_trace_plan *plan,
                             const zn_trace_store_options *opt, zn_trace_store_summary *summary,
                             zn_error *err);

/*
 * Export a stored run shaped like epicontacts / Go.Data (times ISO 8601 UTC, "" when none):
 *   linelist: id,type,case_id,window_start,window_end,first_exposure,last_exposure
 *             one row per person, type = case | contact | secondary_contact | companion (the
 *             first that applies), sorted by id;
 *   contacts: from,to,exposure_class,place,first_exposure,last_exposure,overlap_seconds
 *             exposure_class = venue | household | cotravel | secondary_venue |
 *             secondary_household | companion; sorted by from, to, class, place.
 * Either path may be NULL (not written). Fields holding ',' or '"' are quoted (RFC 4180).
 * Errors: ZN_ENOTFOUND (no such run), ZN_EIO (err->file names the file), ZN_ESTORE.
 */
zn_status zn_trace_store_export(struct zn_store *st, int64_t run_id, const char *linelist_path,
                                const char *contacts_path, zn_error *err);

/*
 * The same run as one JSON object appended to *out:
 * {"run": {"id", "plan", "label", "parameters": {...}, "started_at", "finished_at", "counts": {...}},
 *  "linelist": [{...}], "contacts": [{...}]} with the CSV's fields (times as unix seconds, null
 * when none). Errors: ZN_ENOTFOUND, ZN_ESTORE, ZN_ENOMEM.
 */
zn_status zn_trace_store_json(struct zn_store *st, int64_t run_id, zn_buf *out, zn_error *err);

#ifdef __cplusplus
}
#endif
#endif /* ZHINAO_TRACE_H */
