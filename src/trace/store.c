/*
 * trace from the store: exposures from the hub's feed tables, the kernel, stored runs and the
 * epicontacts / Go.Data-shaped export (see the "from the store" section of zhinao/trace.h).
 */
#include "zhinao/store.h"
#include "zhinao/trace.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- a string -> dense id dictionary (ids 1.., insertion order) ---- */

typedef struct zn__ts_dict {
    char **strs;      /* strs[id - 1] */
    size_t n, cap;
    int64_t *slots;   /* open addressing: id or 0 */
    size_t nslots;
} zn__ts_dict;

static uint64_t ts_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void ts_dict_fini(zn__ts_dict *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->strs[i]);
    free(d->strs);
    free(d->slots);
    memset(d, 0, sizeof *d);
}

static int64_t ts_dict_find(const zn__ts_dict *d, const char *s)
{
    if (!d->nslots)
        return 0;
    for (size_t i = ts_hash(s) & (d->nslots - 1);; i = (i + 1) & (d->nslots - 1)) {
        int64_t id = d->slots[i];
        if (!id)
            return 0;
        if (!strcmp(d->strs[id - 1], s))
            return id;
    }
}

/* id of s, adding it when absent; 0 on allocation failure. */
static int64_t ts_dict_add(zn__ts_dict *d, const char *s)
{
    int64_t id = ts_dict_find(d, s);
    if (id)
        return id;
    if ((d->n + 1) * 2 > d->nslots) {
        size_t ns = d->nslots ? d->nslots * 2 : 1024;
        int64_t *sl = calloc(ns, sizeof *sl);
        if (!sl)
            return 0;
        for (size_t k = 0; k < d->n; k++) {
            size_t i = ts_hash(d->strs[k]) & (ns - 1);
            while (sl[i])
                i = (i + 1) & (ns - 1);
            sl[i] = (int64_t)k + 1;
        }
        free(d->slots);
        d->slots = sl;
        d->nslots = ns;
    }
    if (d->n == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 1024;
        char **ns = realloc(d->strs, nc * sizeof *ns);
        if (!ns)
            return 0;
        d->strs = ns;
        d->cap = nc;
    }
    char *c = zn_strdup(s);
    if (!c)
        return 0;
    d->strs[d->n++] = c;
    id = (int64_t)d->n;
    size_t i = ts_hash(s) & (d->nslots - 1);
    while (d->slots[i])
        i = (i + 1) & (d->nslots - 1);
    d->slots[i] = id;
    return id;
}

static const char *ts_name(const zn__ts_dict *d, int64_t id)
{
    return id >= 1 && (size_t)id <= d->n ? d->strs[id - 1] : "";
}

/* ---- growable arrays ---- */

#define TS_PUSH(arr, n, cap, val)                                                          \
    do {                                                                                   \
        if ((n) == (cap)) {                                                                \
            size_t nc_ = (cap) ? (cap) * 2 : 256;                                          \
            void *p_ = realloc((arr), nc_ * sizeof *(arr));                                \
            if (!p_)                                                                       \
                goto nomem;                                                                \
            (arr) = p_;                                                                    \
            (cap) = nc_;                                                                   \
        }                                                                                  \
        (arr)[(n)++] = (val);                                                              \
    } while (0)

/* TS_PUSH that sets rc (ZN_ENOMEM, message in err) instead of jumping when out of memory. */
#define TS_PUSH_OR(arr, n, cap, val, rc, err)                                              \
    do {                                                                                   \
        if ((n) == (cap)) {                                                                \
            size_t nc_ = (cap) ? (cap) * 2 : 256;                                          \
            void *p_ = realloc((arr), nc_ * sizeof *(arr));                                \
            if (!p_) {                                                                     \
                (rc) = zn_error_set((err), ZN_ENOMEM, NULL, 0, NULL, "out of memory");     \
                break;                                                                     \
            }                                                                              \
            (arr) = p_;                                                                    \
            (cap) = nc_;                                                                   \
        }                                                                                  \
        (arr)[(n)++] = (val);                                                              \
    } while (0)

/* Local date "YYYY-MM-DD" at local midnight -> unix seconds; -1 when malformed. */
static int64_t ts_local_midnight(const char *s, int32_t tz)
{
    int y, m, d;
    if (!s || sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    /* days from civil (H. Hinnant's algorithm) */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    return days * 86400 - tz;
}

static zn_status ts_table(zn_store *st, const char *name, int *exists, zn_error *err)
{
    return zn_store_table_exists(st, name, exists, err);
}

/* ---- the exposures ---- */

typedef struct ts_case {
    int64_t person;
    char *case_id;
    char *mobile; /* may be NULL */
    int64_t t_from, t_to;
    int earlier; /* incremental runs: an index case of an earlier run under the same plan */
} ts_case;

typedef struct ts_state {
    zn_store *st;
    const zn_trace_plan *plan;
    zn__ts_dict persons, venues, homes, trips, cells;
    ts_case *cases;
    size_t ncases, ccases;
    zn_trace_stay *vstays; /* venue stays, later sorted by person */
    size_t nv, cv;
    zn_trace_member *members;
    size_t nm, cm;
    zn_trace_seat *seats;
    size_t ns, cs;
    zn_trace_stay *gstays;
    size_t ng, cg;
} ts_state;

static void ts_state_fini(ts_state *s)
{
    ts_dict_fini(&s->persons);
    ts_dict_fini(&s->venues);
    ts_dict_fini(&s->homes);
    ts_dict_fini(&s->trips);
    ts_dict_fini(&s->cells);
    for (size_t i = 0; i < s->ncases; i++) {
        free(s->cases[i].case_id);
        free(s->cases[i].mobile);
    }
    free(s->cases);
    free(s->vstays);
    free(s->members);
    free(s->seats);
    free(s->gstays);
}

/* Incremental runs: mark the cases whose person was an index case of an earlier run under the
 * same plan (trace_index_case); returns how many. */
static zn_status ts_mark_earlier(ts_state *s, int64_t *n, zn_error *err)
{
    *n = 0;
    zn__ts_dict seen = {0};
    zn_stmt *q = NULL;
    zn_status rc = zn_stmt_prepare(s->st,
                                   "SELECT DISTINCT c.person FROM trace_index_case c JOIN trace_run r "
                                   "ON r.id = c.run_id WHERE r.plan = ?",
                                   &q, err);
    if (rc != ZN_OK)
        return rc;
    zn_stmt_bind_text(q, 1, s->plan->name);
    int row;
    while ((rc = zn_stmt_step(q, &row, err)) == ZN_OK && row)
        if (!ts_dict_add(&seen, zn_stmt_column_text(q, 0))) {
            rc = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
            break;
        }
    zn_stmt_finalize(q);
    for (size_t i = 0; rc == ZN_OK && i < s->ncases; i++)
        if (ts_dict_find(&seen, ts_name(&s->persons, s->cases[i].person))) {
            s->cases[i].earlier = 1;
            (*n)++;
        }
    ts_dict_fini(&seen);
    return rc;
}

/* One row of a feed loader (ts_load_feed): 0 taken or passed over, -1 out of memory. */
typedef int (*ts_row_fn)(ts_state *s, zn_stmt *q, void *u);

/* Run `sql` over the hub's feed table `table` and hand each row to fn, in order; nothing when the
 * store has no such table (the feed never ingested). ZN_ENOMEM (message in err) when fn ran out of
 * memory, else the status of the statement. */
static zn_status ts_load_feed(ts_state *s, const char *table, const char *sql, ts_row_fn fn, void *u,
                              zn_error *err)
{
    int ex;
    zn_status rc = ts_table(s->st, table, &ex, err);
    if (rc != ZN_OK || !ex)
        return rc;
    zn_stmt *q = NULL;
    rc = zn_stmt_prepare(s->st, sql, &q, err);
    if (rc != ZN_OK)
        return rc;
    int row;
    while ((rc = zn_stmt_step(q, &row, err)) == ZN_OK && row)
        if (fn(s, q, u)) {
            rc = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
            break;
        }
    zn_stmt_finalize(q);
    return rc;
}

/* u: the count of reports passed over (int64_t) */
static int ts_row_case(ts_state *s, zn_stmt *q, void *u)
{
    int64_t *skipped = u;
    int32_t tz = zn_ctx_tz_offset(zn_store_ctx(s->st));
    const char *rid = zn_stmt_column_text(q, 1), *mob = zn_stmt_column_text(q, 2);
    const char *key = *rid ? rid : mob;
    int64_t onset = zn_stmt_column_is_null(q, 3) ? -1 : ts_local_midnight(zn_stmt_column_text(q, 3), tz);
    if (onset < 0)
        onset = zn_stmt_column_int64(q, 4);
    int64_t to = zn_stmt_column_int64(q, 5);
    int64_t from = onset - (int64_t)s->plan->lookback_days * 86400;
    if (!*key || to <= from || ts_dict_find(&s->persons, key)) {
        /* no person, an empty window, or a second report of a person already taken */
        (*skipped)++;
        return 0;
    }
    int64_t id = ts_dict_add(&s->persons, key);
    if (!id)
        return -1;
    ts_case c = {id, zn_strdup(zn_stmt_column_text(q, 0)), *mob ? zn_strdup(mob) : NULL, from, to, 0};
    if (!c.case_id) {
        free(c.mobile);
        return -1;
    }
    if (s->ncases == s->ccases) {
        size_t nc = s->ccases ? s->ccases * 2 : 64;
        ts_case *p = realloc(s->cases, nc * sizeof *p);
        if (!p) {
            free(c.case_id);
            free(c.mobile);
            return -1;
        }
        s->cases = p;
        s->ccases = nc;
    }
    s->cases[s->ncases++] = c;
    return 0;
}

static zn_status ts_load_cases(ts_state *s, int64_t *skipped, zn_error *err)
{
    return ts_load_feed(s, "feed_case_report",
                        "SELECT case_id, resident_id, mobile, onset_date, diagnosis_time, report_time "
                        "FROM feed_case_report ORDER BY report_time, case_id",
                        ts_row_case, skipped, err);
}

/* The venue loader's parameters and the previous row, pending as an open "in". */
typedef struct ts_venue_scan {
    int64_t dwell, pair_max;
    int64_t pp, pv, pt;
    int open;
} ts_venue_scan;

static int ts_row_venue(ts_state *s, zn_stmt *q, void *u)
{
    ts_venue_scan *vs = u;
    int64_t dwell = vs->dwell;
    int64_t p = ts_dict_add(&s->persons, zn_stmt_column_text(q, 0));
    int64_t v = ts_dict_add(&s->venues, zn_stmt_column_text(q, 1));
    if (!p || !v)
        return -1;
    int64_t t = zn_stmt_column_int64(q, 2);
    int out = !strcmp(zn_stmt_column_text(q, 3), "out");
    if (vs->open && (p != vs->pp || v != vs->pv || t - vs->pt > vs->pair_max || !out)) {
        TS_PUSH(s->vstays, s->nv, s->cv, ((zn_trace_stay){vs->pp, vs->pv, vs->pt, vs->pt + dwell}));
        vs->open = 0;
    }
    if (out) {
        if (vs->open)
            TS_PUSH(s->vstays, s->nv, s->cv, ((zn_trace_stay){vs->pp, vs->pv, vs->pt, t}));
        else /* an exit without its entry: the dwell before it */
            TS_PUSH(s->vstays, s->nv, s->cv, ((zn_trace_stay){p, v, t - dwell, t}));
        vs->open = 0;
    } else {
        vs->open = 1;
        vs->pp = p, vs->pv = v, vs->pt = t;
    }
    return 0;
nomem:
    return -1;
}

static zn_status ts_load_venues(ts_state *s, int64_t dwell, int64_t pair_max, zn_error *err)
{
    ts_venue_scan vs = {.dwell = dwell, .pair_max = pair_max};
    zn_status rc = ts_load_feed(s, "feed_venue_scan",
                                "SELECT resident_id, venue_code, scan_time, COALESCE(direction, 'in') "
                                "FROM feed_venue_scan ORDER BY resident_id, venue_code, scan_time, _id",
                                ts_row_venue, &vs, err);
    if (rc == ZN_OK && vs.open)
        TS_PUSH_OR(s->vstays, s->nv, s->cv, ((zn_trace_stay){vs.pp, vs.pv, vs.pt, vs.pt + dwell}), rc, err);
    return rc;
}

static int ts_row_household(ts_state *s, zn_stmt *q, void *u)
{
    (void)u;
    int64_t p = ts_dict_add(&s->persons, zn_stmt_column_text(q, 0));
    int64_t h = ts_dict_add(&s->homes, zn_stmt_column_text(q, 1));
    if (!p || !h)
        return -1;
    TS_PUSH(s->members, s->nm, s->cm, ((zn_trace_member){p, h}));
    return 0;
nomem:
    return -1;
}

static zn_status ts_load_households(ts_state *s, zn_error *err)
{
    return ts_load_feed(s, "feed_population_registry",
                        "SELECT resident_id, residence_division || ' ' || residence_address "
                        "FROM feed_population_registry WHERE residence_address IS NOT NULL AND "
                        "residence_address <> '' ORDER BY resident_id",
                        ts_row_household, NULL, err);
}

static int ts_row_seat(ts_state *s, zn_stmt *q, void *u)
{
    (void)u;
    int32_t tz = zn_ctx_tz_offset(zn_store_ctx(s->st));
    const char *mode = zn_stmt_column_text(q, 0);
    zn_trace_seat seat = {0};
    if (!strcmp(mode, "flight")) {
        if (zn_stmt_column_is_null(q, 5))
            return 0; /* no row: the row rule cannot be applied */
        seat.vehicle = ZN_VEHICLE_AIRCRAFT;
        seat.row = (int32_t)zn_stmt_column_int64(q, 5);
    } else if (!strcmp(mode, "train")) {
        const char *car = zn_stmt_column_text(q, 4);
        if (!*car)
            return 0; /* no carriage */
        seat.vehicle = ZN_VEHICLE_TRAIN_SEALED;
        seat.carriage = atoi(car);
        seat.row = (int32_t)zn_stmt_column_int64(q, 5);
    } else {
        seat.vehicle = ZN_VEHICLE_BUS_SEALED;
        seat.row = (int32_t)zn_stmt_column_int64(q, 5);
    }
    seat.t_depart = zn_stmt_column_is_null(q, 3) ? ts_local_midnight(zn_stmt_column_text(q, 2), tz)
                                                 : zn_stmt_column_int64(q, 3);
    seat.trip = ts_dict_add(&s->trips, zn_stmt_column_text(q, 1));
    seat.person = ts_dict_add(&s->persons, zn_stmt_column_text(q, 6));
    if (!seat.trip || !seat.person)
        return -1;
    TS_PUSH(s->seats, s->ns, s->cs, seat);
    return 0;
nomem:
    return -1;
}

static zn_status ts_load_seats(ts_state *s, zn_error *err)
{
    return ts_load_feed(s, "feed_passenger_manifest",
                        "SELECT mode, mode || ' ' || vehicle || ' ' || departure_date, departure_date, "
                        "departure_time, carriage, seat_row, resident_id FROM feed_passenger_manifest "
                        "WHERE mode <> 'ship' ORDER BY 2, resident_id",
                        ts_row_seat, NULL, err);
}

static int ts_row_grid(ts_state *s, zn_stmt *q, void *u)
{
    (void)u;
    int64_t p = ts_dict_add(&s->persons, zn_stmt_column_text(q, 0));
    int64_t c = ts_dict_add(&s->cells, zn_stmt_column_text(q, 1));
    if (!p || !c)
        return -1;
    TS_PUSH(s->gstays, s->ng, s->cg,
            ((zn_trace_stay){p, c, zn_stmt_column_int64(q, 2), zn_stmt_column_int64(q, 3)}));
    return 0;
nomem:
    return -1;
}

static zn_status ts_load_grid(ts_state *s, zn_error *err)
{
    return ts_load_feed(s, "feed_telecom_grid_stay",
                        "SELECT mobile, cell_id, t_start, t_end FROM feed_telecom_grid_stay "
                        "ORDER BY mobile, t_start, cell_id",
                        ts_row_grid, NULL, err);
}

/* ---- pair details: all qualifying stay pairs of two persons ---- */

static int cmp_stay_person(const void *a, const void *b)
{
    const zn_trace_stay *x = a, *y = b;
    if (x->person != y->person)
        return x->person < y->person ? -1 : 1;
    if (x->t_start != y->t_start)
        return x->t_start < y->t_start ? -1 : 1;
    return (x->place > y->place) - (x->place < y->place);
}

/* Stays of person p in a person-sorted array: [*lo, *hi). */
static void ts_range(const zn_trace_stay *v, size_t n, int64_t p, size_t *lo, size_t *hi)
{
    size_t a = 0, b = n;
    while (a < b) {
        size_t m = (a + b) / 2;
        if (v[m].person < p)
            a = m + 1;
        else
            b = m;
    }
    *lo = a;
    b = n;
    while (a < b) {
        size_t m = (a + b) / 2;
        if (v[m].person <= p)
            a = m + 1;
        else
            b = m;
    }
    *hi = a;
}

typedef struct ts_detail {
    int64_t first, last, overlap, place;
} ts_detail;

/* Scratch intervals of ts_pair_detail. */
typedef struct ts_ivs {
    int64_t *v; /* s0, e0, s1, e1, ... */
    size_t n, cap;
} ts_ivs;

static int cmp_iv(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

/* Pairs (i's stay, c's stay) at the same place, clipped to [from, to], with e - s >= dmin:
 * least s (its place), greatest e, and the length of the union of the [s, e) (so that
 * overlapping duplicate stays, e.g. two scans within the dwell or the same visit from two
 * feeds, are counted once). Returns the number of qualifying pairs, (size_t)-1 when out of
 * memory. */
static size_t ts_pair_detail(const zn_trace_stay *v, size_t n, int64_t i, int64_t c, int64_t from,
                             int64_t to, int64_t dmin, ts_ivs *iv, ts_detail *d)
{
    size_t il, ih, cl, ch, k = 0;
    iv->n = 0;
    ts_range(v, n, i, &il, &ih);
    ts_range(v, n, c, &cl, &ch);
    *d = (ts_detail){INT64_MAX, INT64_MIN, 0, 0};
    for (size_t a = il; a < ih; a++)
        for (size_t b = cl; b < ch; b++) {
            if (v[a].place != v[b].place)
                continue;
            int64_t s = v[a].t_start > v[b].t_start ? v[a].t_start : v[b].t_start;
            int64_t e = v[a].t_end < v[b].t_end ? v[a].t_end : v[b].t_end;
            if (s < from)
                s = from;
            if (e > to)
                e = to;
            if (e - s < dmin)
                continue;
            k++;
            if (s < d->first || (s == d->first && v[a].place < d->place)) {
                d->first = s;
                d->place = v[a].place;
            }
            if (e > d->last)
                d->last = e;
            if (iv->n + 2 > iv->cap) {
                size_t nc = iv->cap ? iv->cap * 2 : 64;
                int64_t *nv = realloc(iv->v, nc * sizeof *nv);
                if (!nv)
                    return (size_t)-1;
                iv->v = nv;
                iv->cap = nc;
            }
            iv->v[iv->n++] = s;
            iv->v[iv->n++] = e;
        }
    size_t m = iv->n / 2;
    if (m > 1)
        qsort(iv->v, m, 2 * sizeof *iv->v, cmp_iv);
    int64_t cs = 0, ce = INT64_MIN;
    for (size_t j = 0; j < m; j++) {
        int64_t s = iv->v[2 * j], e = iv->v[2 * j + 1];
        if (s > ce) {
            if (ce != INT64_MIN)
                d->overlap += ce - cs;
            cs = s;
            ce = e;
        } else if (e > ce) {
            ce = e;
        }
    }
    if (ce != INT64_MIN)
        d->overlap += ce - cs;
    return k;
}

/* ---- storing ---- */

typedef struct ts_close {
    int64_t index_id, contact_id;
    int cls; /* 0 venue, 1 household, 2 cotravel */
    int64_t place, first, last, overlap;
} ts_close;

static const char *const TS_CLASS[] = {"venue", "household", "cotravel"};

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_case(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = ((const zn_trace_case *)b)->person;
    return (x > y) - (x < y);
}

static int ts_has(const int64_t *sorted, size_t n, int64_t v)
{
    return bsearch(&v, sorted, n, sizeof v, cmp_i64) != NULL;
}

static const ts_case *ts_case_of(const ts_state *s, int64_t person)
{
    /* cases are loaded first, so case i is person i + 1 */
    if (person >= 1 && (size_t)person <= s->ncases && s->cases[person - 1].person == person)
        return &s->cases[person - 1];
    for (size_t i = 0; i < s->ncases; i++)
        if (s->cases[i].person == person)
            return &s->cases[i];
    return NULL;
}

static json_t *ts_params(const zn_trace_plan *p, int64_t dwell, int64_t pair_max, int comp, int refine)
{
    return json_pack("{s:s,s:i,s:I,s:b,s:b,s:s,s:i,s:i,s:I,s:I,s:b,s:b,s:I,s:I,s:I,s:i,s:s,s:s}",
                     "plan", p->name, "lookback_days", p->lookback_days, "min_overlap_s",
                     (json_int_t)p->min_overlap_s, "trace_close", p->trace_close, "trace_secondary",
                     p->trace_secondary && p->secondary_window != ZN_SECWIN_NONE, "secondary_window",
                     p->secondary_window == ZN_SECWIN_NONE ? "none" : "from_first_exposure_until_isolation",
                     "aircraft_rows", p->aircraft_rows, "ventilated_bus_rows", p->ventilated_bus_rows,
                     "venue_dwell_s", (json_int_t)dwell, "venue_pair_max_s", (json_int_t)pair_max,
                     "companions", comp, "companion_refine", refine, "companion_min_overlap_s",
                     (json_int_t)p->companion_min_overlap_s, "companion_cumulative_s",
                     (json_int_t)p->companion_cumulative_s, "companion_cell_m",
                     (json_int_t)p->companion_cell_m, "companion_window_days", p->companion_window_days,
                     "index_window", "onset_date (local midnight; else diagnosis_time) - lookback_days .. report_time",
                     "persons", "resident_id; mobile where a feed has no resident_id");
}

static zn_status ts_insert(zn_stmt *q, zn_error *err)
{
    zn_status rc = zn_stmt_step(q, NULL, err);
    zn_stmt_reset(q);
    return rc;
}

typedef struct ts_sec {
    int64_t contact, via, first, place, via_rank;
    int cls;
} ts_sec;

/* Append x to *v, of *n used and *cap allocated (doubled, from 64, when full); -1 when out of
 * memory (*v left as it was). */
static int ts_sec_push(ts_sec **v, size_t *n, size_t *cap, ts_sec x)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        ts_sec *p = realloc(*v, nc * sizeof *p);
        if (!p)
            return -1;
        *v = p;
        *cap = nc;
    }
    (*v)[(*n)++] = x;
    return 0;
}

static int cmp_sec(const void *a, const void *b)
{
    const ts_sec *x = a, *y = b;
    if (x->contact != y->contact)
        return x->contact < y->contact ? -1 : 1;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return (x->via_rank > y->via_rank) - (x->via_rank < y->via_rank);
}

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(**(char *const *const *)a, **(char *const *const *)b);
}

/* rank[id - 1] = position of person id's text in byte order; malloc'd, NULL on ENOMEM. */
static int64_t *ts_ranks(const zn__ts_dict *d)
{
    char *const **p = malloc((d->n + 1) * sizeof *p); /* pointers into d->strs */
    int64_t *r = malloc((d->n + 1) * sizeof *r);
    if (!p || !r) {
        free(p);
        free(r);
        return NULL;
    }
    for (size_t i = 0; i < d->n; i++)
        p[i] = &d->strs[i];
    qsort(p, d->n, sizeof *p, cmp_strp);
    for (size_t i = 0; i < d->n; i++)
        r[p[i] - d->strs] = (int64_t)i;
    free(p);
    return r;
}

zn_status zn_trace_store_run(zn_store *st, const zn_trace_plan *plan, const zn_trace_store_options *opt,
                             zn_trace_store_summary *summary, zn_error *err)
{
    if (!st || !plan)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    zn_trace_store_options o = opt ? *opt : (zn_trace_store_options){0};
    if (o.venue_dwell_s <= 0)
        o.venue_dwell_s = plan->venue_dwell_s > 0 ? plan->venue_dwell_s : 3600;
    if (o.venue_pair_max_s <= 0)
        o.venue_pair_max_s = 43200;
    int comp = plan->trace_companion || o.companions;
    int secondary = plan->trace_close && plan->trace_secondary && plan->secondary_window != ZN_SECWIN_NONE;
    zn_trace_store_summary sum = {0};
    ts_state s = {.st = st, .plan = plan};
    zn_trace_index *vix = NULL, *gix = NULL;
    zn_trace_case *kc = NULL, *sc = NULL;
    zn_trace_result res = {0}, sres = {0}, gres = {0};
    zn_trace_pair *hh = NULL, *ct = NULL, *shh = NULL;
    size_t nhh = 0, nct = 0, nshh = 0;
    ts_close *cl = NULL, *gl = NULL;
    size_t ncl = 0, ccl = 0, ngl = 0, cgl = 0;
    int64_t *excluded = NULL, *contacts = NULL, *rank = NULL;
    zn_stmt *q = NULL;
    json_t *params = NULL;
    char *ptext = NULL;
    int in_tx = 0;
    ts_ivs ivs = {0};
    zn_status rc;

    if ((rc = ts_load_cases(&s, &sum.cases_skipped, err)) != ZN_OK ||
        (rc = ts_load_venues(&s, o.venue_dwell_s, o.venue_pair_max_s, err)) != ZN_OK ||
        (rc = ts_load_households(&s, err)) != ZN_OK || (rc = ts_load_seats(&s, err)) != ZN_OK ||
        (comp && (rc = ts_load_grid(&s, err)) != ZN_OK) ||
        (o.incremental && (rc = ts_mark_earlier(&s, &sum.cases_earlier, err)) != ZN_OK))
        goto done;
    sum.index_cases = (int64_t)s.ncases - sum.cases_earlier;
    if (o.incremental && sum.index_cases == 0) /* nothing new: no empty run that would hide the last */
        goto done;
    sum.venue_stays = (int64_t)s.nv;
    sum.grid_stays = (int64_t)s.ng;
    sum.households = (int64_t)s.homes.n;
    sum.seats = (int64_t)s.ns;

    size_t nk = 0;
    kc = malloc((s.ncases + 1) * sizeof *kc);
    if (!kc)
        goto nomem;
    for (size_t i = 0; plan->trace_close && i < s.ncases; i++)
        if (!s.cases[i].earlier)
            kc[nk++] = (zn_trace_case){s.cases[i].person, s.cases[i].t_from, s.cases[i].t_to};

    /* venue close contacts */
    if ((rc = zn_trace_index_build(s.vstays, s.nv, o.threads, &vix, err)) != ZN_OK ||
        (rc = zn_trace_run(vix, kc, nk, plan->min_overlap_s, o.threads, &res, err)) != ZN_OK)
        goto done;
    if (s.nv)
        qsort(s.vstays, s.nv, sizeof *s.vstays, cmp_stay_person);
    for (size_t k = 0; k < res.nclose; k++) {
        const ts_case *c = ts_case_of(&s, res.close[k].index_id);
        ts_detail d;
        if (ts_pair_detail(s.vstays, s.nv, c->person, res.close[k].contact_id, c->t_from, c->t_to,
                           plan->min_overlap_s, &ivs, &d) == (size_t)-1)
            goto nomem;
        TS_PUSH(cl, ncl, ccl,
                ((ts_close){c->person, res.close[k].contact_id, 0, d.place, d.first, d.last, d.overlap}));
        sum.close_venue++;
    }
    /* households and co-travel */
    if ((rc = zn_trace_household(s.members, s.nm, kc, nk, &hh, &nhh, err)) != ZN_OK ||
        (rc = zn_trace_cotravel(plan, s.seats, s.ns, kc, nk, &ct, &nct, err)) != ZN_OK)
        goto done;
    for (size_t k = 0; k < nhh; k++) {
        const ts_case *c = ts_case_of(&s, hh[k].index_id);
        TS_PUSH(cl, ncl, ccl,
                ((ts_close){hh[k].index_id, hh[k].contact_id, 1, hh[k].via, c->t_from, c->t_to,
                            c->t_to - c->t_from}));
        sum.close_household++;
    }
    for (size_t k = 0; k < nct; k++) {
        TS_PUSH(cl, ncl, ccl,
                ((ts_close){ct[k].index_id, ct[k].contact_id, 2, ct[k].via, ct[k].exposure,
                            ct[k].exposure, 0}));
        sum.close_cotravel++;
    }

    /* distinct close contacts C, their fe and W; excluded = index cases and C */
    excluded = malloc((s.ncases + ncl + 1) * sizeof *excluded);
    contacts = malloc((ncl + 1) * sizeof *contacts);
    if (!excluded || !contacts)
        goto nomem;
    size_t nex = 0, nC = 0;
    for (size_t i = 0; i < s.ncases; i++)
        excluded[nex++] = s.cases[i].person;
    for (size_t k = 0; k < ncl; k++) {
        excluded[nex++] = cl[k].contact_id;
        contacts[nC++] = cl[k].contact_id;
    }
    qsort(excluded, nex, sizeof *excluded, cmp_i64);
    qsort(contacts, nC, sizeof *contacts, cmp_i64);
    size_t u = 0;
    for (size_t k = 0; k < nC; k++)
        if (!u || contacts[u - 1] != contacts[k])
            contacts[u++] = contacts[k];
    nC = u;
    sum.close_distinct = (int64_t)nC;

    /* secondary ring over venues and households */
    ts_sec *sec = NULL;
    size_t nsec = 0, csec = 0;
    if (secondary && nC) {
        sc = malloc(nC * sizeof *sc);
        if (!sc)
            goto nomem;
        size_t nsc = 0;
        for (size_t j = 0; j < nC; j++)
            sc[j] = (zn_trace_case){contacts[j], INT64_MAX, INT64_MIN};
        for (size_t k = 0; k < ncl; k++) {
            const int64_t *at = bsearch(&cl[k].contact_id, contacts, nC, sizeof *contacts, cmp_i64);
            zn_trace_case *x = &sc[at - contacts];
            const ts_case *c = ts_case_of(&s, cl[k].index_id);
            if (cl[k].first < x->t_from)
                x->t_from = cl[k].first;
            if (c->t_to > x->t_to)
                x->t_to = c->t_to;
        }
        for (size_t j = 0; j < nC; j++) /* in contact order: sc stays sorted by person */
            if (sc[j].t_to > sc[j].t_from)
                sc[nsc++] = sc[j];
        if ((rc = zn_trace_run(vix, sc, nsc, plan->min_overlap_s, o.threads, &sres, err)) != ZN_OK ||
            (rc = zn_trace_household(s.members, s.nm, sc, nsc, &shh, &nshh, err)) != ZN_OK)
            goto done;
        for (size_t k = 0; k < sres.nclose; k++) {
            if (ts_has(excluded, nex, sres.close[k].contact_id))
                continue;
            const zn_trace_case *via = bsearch(&sres.close[k].index_id, sc, nsc, sizeof *sc, cmp_case);
            int64_t from = via->t_from, to = via->t_to;
            ts_detail d;
            if (ts_pair_detail(s.vstays, s.nv, sres.close[k].index_id, sres.close[k].contact_id, from, to,
                               plan->min_overlap_s, &ivs, &d) == (size_t)-1) {
                free(sec);
                goto nomem;
            }
            ts_sec x = {sres.close[k].contact_id, sres.close[k].index_id, d.first, d.place, 0, 0};
            if (ts_sec_push(&sec, &nsec, &csec, x)) {
                free(sec);
                goto nomem;
            }
        }
        for (size_t k = 0; k < nshh; k++) {
            if (ts_has(excluded, nex, shh[k].contact_id))
                continue;
            ts_sec x = {shh[k].contact_id, shh[k].index_id, shh[k].exposure, shh[k].via, 0, 1};
            if (ts_sec_push(&sec, &nsec, &csec, x)) {
                free(sec);
                goto nomem;
            }
        }
        /* keep, per contact, the least first exposure, then the smallest close contact (text) */
        rank = ts_ranks(&s.persons);
        if (!rank) {
            free(sec);
            goto nomem;
        }
        for (size_t k = 0; k < nsec; k++)
            sec[k].via_rank = rank[sec[k].via - 1];
        qsort(sec, nsec, sizeof *sec, cmp_sec);
        u = 0;
        for (size_t k = 0; k < nsec; k++)
            if (!u || sec[u - 1].contact != sec[k].contact)
                sec[u++] = sec[k];
        nsec = u;
    }
    sum.secondary = (int64_t)nsec;

    /* general contacts (一般接触者, where the plan determines them): the same venue at the same time
     * or the same vehicle as an index case without meeting the close-contact rule, and neither an
     * index case, a close nor a secondary contact. Venue: any overlap (D = 1 s); co-travel: the
     * whole aircraft / bus, the same carriage of a train (the kernel's unit). */
    if (plan->trace_general && plan->trace_close && nk) {
        int64_t *seen = malloc((nex + nsec + 1) * sizeof *seen);
        if (!seen) {
            free(sec);
            goto nomem;
        }
        memcpy(seen, excluded, nex * sizeof *seen);
        size_t nseen = nex;
        for (size_t k = 0; k < nsec; k++)
            seen[nseen++] = sec[k].contact;
        qsort(seen, nseen, sizeof *seen, cmp_i64);
        zn_trace_plan whole = *plan;
        whole.aircraft_rows = 100000;
        whole.ventilated_bus_rows = 100000;
        zn_trace_pair *gct = NULL;
        size_t ngct = 0;
        rc = zn_trace_run(vix, kc, nk, 1, o.threads, &gres, err);
        if (rc == ZN_OK)
            rc = zn_trace_cotravel(&whole, s.seats, s.ns, kc, nk, &gct, &ngct, err);
        for (size_t k = 0; rc == ZN_OK && k < gres.nclose; k++) {
            if (ts_has(seen, nseen, gres.close[k].contact_id))
                continue;
            const ts_case *c = ts_case_of(&s, gres.close[k].index_id);
            ts_detail d;
            if (ts_pair_detail(s.vstays, s.nv, c->person, gres.close[k].contact_id, c->t_from, c->t_to, 1, &ivs,
                               &d) == (size_t)-1) {
                rc = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                break;
            }
            TS_PUSH_OR(gl, ngl, cgl,
                       ((ts_close){c->person, gres.close[k].contact_id, 0, d.place, d.first, d.last, d.overlap}), rc,
                       err);
        }
        for (size_t k = 0; rc == ZN_OK && k < ngct; k++) {
            if (ts_has(seen, nseen, gct[k].contact_id))
                continue;
            TS_PUSH_OR(gl, ngl, cgl,
                       ((ts_close){gct[k].index_id, gct[k].contact_id, 2, gct[k].via, gct[k].exposure,
                                   gct[k].exposure, 0}),
                       rc, err);
        }
        free(gct);
        free(seen);
        if (rc != ZN_OK) {
            free(sec);
            goto done;
        }
    }
    sum.general = (int64_t)ngl;

    /* store */
    params = ts_params(plan, o.venue_dwell_s, o.venue_pair_max_s, comp, o.refine);
    if (params && o.incremental)
        json_object_set_new(params, "incremental", json_true());
    ptext = params ? json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (!ptext) {
        free(sec);
        goto nomem;
    }
    if ((rc = zn_store_begin(st, err)) != ZN_OK) {
        free(sec);
        goto done;
    }
    in_tx = 1;
    int64_t now = zn_ctx_now(zn_store_ctx(st));
    if ((rc = zn_stmt_prepare(st, "INSERT INTO trace_run(plan, label, parameters, started_at) VALUES (?,?,?,?)",
                              &q, err)) != ZN_OK) {
        free(sec);
        goto done;
    }
    zn_stmt_bind_text(q, 1, plan->name);
    if (o.label)
        zn_stmt_bind_text(q, 2, o.label);
    zn_stmt_bind_text(q, 3, ptext);
    zn_stmt_bind_int64(q, 4, now);
    rc = ts_insert(q, err);
    zn_stmt_finalize(q);
    q = NULL;
    if (rc != ZN_OK) {
        free(sec);
        goto done;
    }
    int64_t run = zn_store_last_id(st);
    sum.run_id = run;

    rc = zn_stmt_prepare(st, "INSERT INTO trace_index_case(run_id, person, case_id, t_from, t_to) VALUES (?,?,?,?,?)",
                         &q, err);
    for (size_t i = 0; rc == ZN_OK && i < s.ncases; i++) {
        if (s.cases[i].earlier)
            continue;
        zn_stmt_bind_int64(q, 1, run);
        zn_stmt_bind_text(q, 2, ts_name(&s.persons, s.cases[i].person));
        zn_stmt_bind_text(q, 3, s.cases[i].case_id);
        zn_stmt_bind_int64(q, 4, s.cases[i].t_from);
        zn_stmt_bind_int64(q, 5, s.cases[i].t_to);
        rc = ts_insert(q, err);
    }
    zn_stmt_finalize(q);
    q = NULL;
    if (rc == ZN_OK)
        rc = zn_stmt_prepare(st, "INSERT INTO close_contact(run_id, index_case, contact, exposure_class, place, "
                                 "first_exposure, last_exposure, overlap_seconds) VALUES (?,?,?,?,?,?,?,?)",
                             &q, err);
    for (size_t k = 0; rc == ZN_OK && k < ncl; k++) {
        const zn__ts_dict *pd = cl[k].cls == 0 ? &s.venues : cl[k].cls == 1 ? &s.homes : &s.trips;
        zn_stmt_bind_int64(q, 1, run);
        zn_stmt_bind_text(q, 2, ts_name(&s.persons, cl[k].index_id));
        zn_stmt_bind_text(q, 3, ts_name(&s.persons, cl[k].contact_id));
        zn_stmt_bind_text(q, 4, TS_CLASS[cl[k].cls]);
        zn_stmt_bind_text(q, 5, ts_name(pd, cl[k].place));
        zn_stmt_bind_int64(q, 6, cl[k].first);
        zn_stmt_bind_int64(q, 7, cl[k].last);
        zn_stmt_bind_int64(q, 8, cl[k].overlap);
        rc = ts_insert(q, err);
    }
    zn_stmt_finalize(q);
    q = NULL;
    if (rc == ZN_OK)
        rc = zn_stmt_prepare(st, "INSERT INTO secondary_contact(run_id, close_contact, contact, exposure_class, "
                                 "place, first_exposure) VALUES (?,?,?,?,?,?)",
                             &q, err);
    for (size_t k = 0; rc == ZN_OK && k < nsec; k++) {
        zn_stmt_bind_int64(q, 1, run);
        zn_stmt_bind_text(q, 2, ts_name(&s.persons, sec[k].via));
        zn_stmt_bind_text(q, 3, ts_name(&s.persons, sec[k].contact));
        zn_stmt_bind_text(q, 4, TS_CLASS[sec[k].cls]);
        zn_stmt_bind_text(q, 5, ts_name(sec[k].cls ? &s.homes : &s.venues, sec[k].place));
        zn_stmt_bind_int64(q, 6, sec[k].first);
        rc = ts_insert(q, err);
    }
    free(sec);
    zn_stmt_finalize(q);
    q = NULL;
    if (rc == ZN_OK && ngl)
        rc = zn_stmt_prepare(st, "INSERT INTO general_contact(run_id, index_case, contact, exposure_class, place, "
                                 "first_exposure, last_exposure, overlap_seconds) VALUES (?,?,?,?,?,?,?,?)",
                             &q, err);
    for (size_t k = 0; rc == ZN_OK && k < ngl; k++) {
        const zn__ts_dict *pd = gl[k].cls == 0 ? &s.venues : &s.trips;
        zn_stmt_bind_int64(q, 1, run);
        zn_stmt_bind_text(q, 2, ts_name(&s.persons, gl[k].index_id));
        zn_stmt_bind_text(q, 3, ts_name(&s.persons, gl[k].contact_id));
        zn_stmt_bind_text(q, 4, TS_CLASS[gl[k].cls]);
        zn_stmt_bind_text(q, 5, ts_name(pd, gl[k].place));
        zn_stmt_bind_int64(q, 6, gl[k].first);
        zn_stmt_bind_int64(q, 7, gl[k].last);
        zn_stmt_bind_int64(q, 8, gl[k].overlap);
        rc = ts_insert(q, err);
    }
    zn_stmt_finalize(q);
    q = NULL;

    /* companions */
    if (rc == ZN_OK && comp && plan->trace_close) {
        /* mobile -> the one registry resident with it */
        zn__ts_dict mob = {0};
        int64_t *mob_person = NULL; /* by mob id: person id, -1 when ambiguous */
        size_t nmp = 0, cmp_ = 0;
        int ex;
        rc = zn_trace_index_build(s.gstays, s.ng, o.threads, &gix, err);
        if (rc == ZN_OK)
            rc = zn_store_table_exists(st, "feed_population_registry", &ex, err);
        if (rc == ZN_OK && ex) {
            rc = zn_stmt_prepare(st, "SELECT mobile, resident_id FROM feed_population_registry "
                                     "WHERE mobile IS NOT NULL AND mobile <> '' ORDER BY resident_id", &q, err);
            int row;
            while (rc == ZN_OK && (rc = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
                int64_t m = ts_dict_add(&mob, zn_stmt_column_text(q, 0));
                int64_t p = ts_dict_add(&s.persons, zn_stmt_column_text(q, 1));
                if (!m || !p) {
                    rc = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                    break;
                }
                if ((size_t)m > nmp) {
                    if (nmp == cmp_) {
                        size_t nc2 = cmp_ ? cmp_ * 2 : 256;
                        int64_t *p2 = realloc(mob_person, nc2 * sizeof *p2);
                        if (!p2) {
                            rc = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                            break;
                        }
                        mob_person = p2;
                        cmp_ = nc2;
                    }
                    mob_person[nmp++] = p;
                } else if (mob_person[m - 1] != p) {
                    mob_person[m - 1] = -1;
                }
            }
            zn_stmt_finalize(q);
            q = NULL;
        }
        if (rc == ZN_OK)
            rc = zn_stmt_prepare(st, "INSERT INTO companion(run_id, index_case, contact, cell, first_exposure, "
                                     "last_exposure, overlap_seconds) VALUES (?,?,?,?,?,?,?)",
                                 &q, err);
        if (rc == ZN_OK && s.ng)
            qsort(s.gstays, s.ng, sizeof *s.gstays, cmp_stay_person);
        for (size_t i = 0; rc == ZN_OK && i < s.ncases; i++) {
            const ts_case *c = &s.cases[i];
            if (c->earlier)
                continue;
            const char *m = c->mobile;
            if (!m) { /* the registry's mobile of the case */
                for (size_t k = 0; k < nmp && !m; k++)
                    if (mob_person[k] == c->person)
                        m = mob.strs[k];
            }
            int64_t gp = m ? ts_dict_find(&s.persons, m) : 0;
            if (!gp)
                continue;
            zn_trace_case gc = {gp, c->t_from, c->t_to};
            zn_trace_close *cc = NULL;
            size_t ncc = 0;
            rc = zn_trace_companions(gix, plan, &gc, o.refine, &cc, &ncc, err);
            for (size_t k = 0; rc == ZN_OK && k < ncc; k++) {
                const char *cm = ts_name(&s.persons, cc[k].contact_id);
                int64_t mid = ts_dict_find(&mob, cm);
                int64_t rp = mid && mob_person[mid - 1] > 0 ? mob_person[mid - 1] : 0;
                if (rp == c->person)
                    continue; /* the case's own second phone */
                ts_detail d;
                if (ts_pair_detail(s.gstays, s.ng, gp, cc[k].contact_id, c->t_from, c->t_to,
                                   plan->companion_min_overlap_s + 1, &ivs, &d) == (size_t)-1) {
                    rc = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                    break;
                }
                zn_stmt_bind_int64(q, 1, run);
                zn_stmt_bind_text(q, 2, ts_name(&s.persons, c->person));
                zn_stmt_bind_text(q, 3, rp ? ts_name(&s.persons, rp) : cm);
                zn_stmt_bind_text(q, 4, ts_name(&s.cells, d.place));
                zn_stmt_bind_int64(q, 5, d.first);
                zn_stmt_bind_int64(q, 6, d.last);
                zn_stmt_bind_int64(q, 7, d.overlap);
                rc = ts_insert(q, err);
                sum.companions++;
            }
            free(cc);
        }
        zn_stmt_finalize(q);
        q = NULL;
        free(mob_person);
        ts_dict_fini(&mob);
    }
    if (rc == ZN_OK) {
        rc = zn_stmt_prepare(st, "UPDATE trace_run SET finished_at = ?, index_cases = ?, close_contacts = ?, "
                                 "close_distinct = ?, secondary_contacts = ?, companions = ?, general_contacts = ? "
                                 "WHERE id = ?",
                             &q, err);
        if (rc == ZN_OK) {
            zn_stmt_bind_int64(q, 1, zn_ctx_now(zn_store_ctx(st)));
            zn_stmt_bind_int64(q, 2, sum.index_cases);
            zn_stmt_bind_int64(q, 3, (int64_t)ncl);
            zn_stmt_bind_int64(q, 4, sum.close_distinct);
            zn_stmt_bind_int64(q, 5, sum.secondary);
            zn_stmt_bind_int64(q, 6, sum.companions);
            zn_stmt_bind_int64(q, 7, sum.general);
            zn_stmt_bind_int64(q, 8, run);
            rc = ts_insert(q, err);
        }
        zn_stmt_finalize(q);
        q = NULL;
    }
    if (rc == ZN_OK) {
        rc = zn_store_commit(st, err);
        in_tx = 0;
    }
    goto done;
nomem:
    rc = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
done:
    if (in_tx)
        zn_store_rollback(st);
    zn_stmt_finalize(q);
    if (rc == ZN_OK && summary)
        *summary = sum;
    free(ptext);
    free(ivs.v);
    json_decref(params);
    free(excluded);
    free(contacts);
    free(rank);
    free(cl);
    free(gl);
    zn_trace_result_fini(&gres);
    free(hh);
    free(ct);
    free(shh);
    free(kc);
    free(sc);
    zn_trace_result_fini(&res);
    zn_trace_result_fini(&sres);
    zn_trace_index_free(vix);
    zn_trace_index_free(gix);
    ts_state_fini(&s);
    return rc;
}

/* ---- export ---- */

typedef struct ts_ll_row {
    const char *id, *type, *case_id;
    int64_t ws, we, fe, le; /* INT64_MIN = none */
} ts_ll_row;

typedef struct ts_ct_row {
    const char *from, *to, *cls, *place;
    int64_t fe, le, overlap; /* INT64_MIN = none */
} ts_ct_row;

typedef zn_status (*ts_ll_fn)(void *u, const ts_ll_row *r, zn_error *err);
typedef zn_status (*ts_ct_fn)(void *u, const ts_ct_row *r, zn_error *err);

static int64_t col_opt(zn_stmt *q, int c)
{
    return zn_stmt_column_is_null(q, c) ? INT64_MIN : zn_stmt_column_int64(q, c);
}

/* *q: `sql` prepared with the run id bound to ?1 (NULL on failure; finalize it either way). */
static zn_status ts_run_query(zn_store *st, const char *sql, int64_t run, zn_stmt **q, zn_error *err)
{
    *q = NULL;
    zn_status rc = zn_stmt_prepare(st, sql, q, err);
    if (rc == ZN_OK)
        zn_stmt_bind_int64(*q, 1, run);
    return rc;
}

static zn_status ts_run_exists(zn_store *st, int64_t run, zn_error *err)
{
    zn_stmt *q;
    zn_status rc = ts_run_query(st, "SELECT 1 FROM trace_run WHERE id = ?", run, &q, err);
    int row = 0;
    if (rc == ZN_OK)
        rc = zn_stmt_step(q, &row, err);
    zn_stmt_finalize(q);
    if (rc == ZN_OK && !row)
        rc = zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "run", "no trace run %lld", (long long)run);
    return rc;
}

static zn_status ts_linelist(zn_store *st, int64_t run, ts_ll_fn fn, void *u, zn_error *err)
{
    static const char SQL[] =
        "SELECT id, type, case_id, ws, we, fe, le FROM ("
        " SELECT person AS id, 'case' AS type, 1 AS rk, case_id, t_from AS ws, t_to AS we, NULL AS fe, NULL AS le"
        "  FROM trace_index_case WHERE run_id = ?1"
        " UNION ALL SELECT contact, 'contact', 2, '', NULL, NULL, MIN(first_exposure), MAX(last_exposure)"
        "  FROM close_contact WHERE run_id = ?1 GROUP BY contact"
        " UNION ALL SELECT contact, 'secondary_contact', 3, '', NULL, NULL, MIN(first_exposure), NULL"
        "  FROM secondary_contact WHERE run_id = ?1 GROUP BY contact"
        " UNION ALL SELECT contact, 'companion', 4, '', NULL, NULL, MIN(first_exposure), MAX(last_exposure)"
        "  FROM companion WHERE run_id = ?1 GROUP BY contact"
        ") ORDER BY id, rk";
    zn_stmt *q;
    zn_status rc = ts_run_query(st, SQL, run, &q, err);
    if (rc != ZN_OK)
        return rc;
    char *prev = NULL;
    int row;
    while ((rc = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        const char *id = zn_stmt_column_text(q, 0);
        if (prev && !strcmp(prev, id))
            continue;
        free(prev);
        prev = zn_strdup(id);
        if (!prev) {
            rc = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
            break;
        }
        ts_ll_row r = {id, zn_stmt_column_text(q, 1), zn_stmt_column_text(q, 2), col_opt(q, 3),
                       col_opt(q, 4), col_opt(q, 5), col_opt(q, 6)};
        if ((rc = fn(u, &r, err)) != ZN_OK)
            break;
    }
    free(prev);
    zn_stmt_finalize(q);
    return rc;
}

static zn_status ts_contacts(zn_store *st, int64_t run, ts_ct_fn fn, void *u, zn_error *err)
{
    static const char SQL[] =
        "SELECT f, t, c, p, fe, le, ov FROM ("
        " SELECT index_case AS f, contact AS t, exposure_class AS c, place AS p, first_exposure AS fe,"
        "  last_exposure AS le, overlap_seconds AS ov FROM close_contact WHERE run_id = ?1"
        " UNION ALL SELECT close_contact, contact, 'secondary_' || exposure_class, place, first_exposure,"
        "  NULL, NULL FROM secondary_contact WHERE run_id = ?1"
        " UNION ALL SELECT index_case, contact, 'companion', cell, first_exposure, last_exposure,"
        "  overlap_seconds FROM companion WHERE run_id = ?1"
        ") ORDER BY f, t, c, p, fe";
    zn_stmt *q;
    zn_status rc = ts_run_query(st, SQL, run, &q, err);
    if (rc != ZN_OK)
        return rc;
    int row;
    while ((rc = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        ts_ct_row r = {zn_stmt_column_text(q, 0), zn_stmt_column_text(q, 1), zn_stmt_column_text(q, 2),
                       zn_stmt_column_text(q, 3), col_opt(q, 4), col_opt(q, 5), col_opt(q, 6)};
        if ((rc = fn(u, &r, err)) != ZN_OK)
            break;
    }
    zn_stmt_finalize(q);
    return rc;
}

static void put_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void put_time(FILE *f, int64_t t)
{
    if (t == INT64_MIN)
        return;
    time_t tt = (time_t)t;
    struct tm tm;
    char b[32];
    if (gmtime_r(&tt, &tm) && strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", &tm))
        fputs(b, f);
}

typedef struct ts_file {
    FILE *f;
    const char *path;
} ts_file;

static zn_status ll_csv(void *u, const ts_ll_row *r, zn_error *err)
{
    (void)err;
    FILE *f = ((ts_file *)u)->f;
    put_field(f, r->id);
    fputc(',', f);
    fputs(r->type, f);
    fputc(',', f);
    put_field(f, r->case_id);
    fputc(',', f);
    put_time(f, r->ws);
    fputc(',', f);
    put_time(f, r->we);
    fputc(',', f);
    put_time(f, r->fe);
    fputc(',', f);
    put_time(f, r->le);
    fputc('\n', f);
    return ZN_OK;
}

static zn_status ct_csv(void *u, const ts_ct_row *r, zn_error *err)
{
    (void)err;
    FILE *f = ((ts_file *)u)->f;
    put_field(f, r->from);
    fputc(',', f);
    put_field(f, r->to);
    fputc(',', f);
    fputs(r->cls, f);
    fputc(',', f);
    put_field(f, r->place);
    fputc(',', f);
    put_time(f, r->fe);
    fputc(',', f);
    put_time(f, r->le);
    fputc(',', f);
    if (r->overlap != INT64_MIN)
        fprintf(f, "%lld", (long long)r->overlap);
    fputc('\n', f);
    return ZN_OK;
}

static zn_status ts_write(zn_store *st, int64_t run, const char *path, int contacts, zn_error *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot create the file");
    ts_file tf = {f, path};
    zn_status rc;
    if (contacts) {
        fputs("from,to,exposure_class,place,first_exposure,last_exposure,overlap_seconds\n", f);
        rc = ts_contacts(st, run, ct_csv, &tf, err);
    } else {
        fputs("id,type,case_id,window_start,window_end,first_exposure,last_exposure\n", f);
        rc = ts_linelist(st, run, ll_csv, &tf, err);
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        if (rc == ZN_OK)
            rc = zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot write the file");
    return rc;
}

zn_status zn_trace_store_export(zn_store *st, int64_t run_id, const char *linelist_path,
                                const char *contacts_path, zn_error *err)
{
    if (!st)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    zn_status rc = ts_run_exists(st, run_id, err);
    if (rc == ZN_OK && linelist_path)
        rc = ts_write(st, run_id, linelist_path, 0, err);
    if (rc == ZN_OK && contacts_path)
        rc = ts_write(st, run_id, contacts_path, 1, err);
    return rc;
}

static json_t *jt(int64_t t)
{
    return t == INT64_MIN ? json_null() : json_integer((json_int_t)t);
}

static zn_status ll_json(void *u, const ts_ll_row *r, zn_error *err)
{
    json_t *o = json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:o}", "id", r->id, "type", r->type, "case_id",
                          r->case_id, "window_start", jt(r->ws), "window_end", jt(r->we),
                          "first_exposure", jt(r->fe), "last_exposure", jt(r->le));
    if (!o || json_array_append_new((json_t *)u, o))
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    return ZN_OK;
}

static zn_status ct_json(void *u, const ts_ct_row *r, zn_error *err)
{
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o}", "from", r->from, "to", r->to,
                          "exposure_class", r->cls, "place", r->place, "first_exposure", jt(r->fe),
                          "last_exposure", jt(r->le), "overlap_seconds", jt(r->overlap));
    if (!o || json_array_append_new((json_t *)u, o))
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    return ZN_OK;
}

zn_status zn_trace_store_json(zn_store *st, int64_t run_id, zn_buf *out, zn_error *err)
{
    if (!st || !out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    zn_stmt *q = NULL;
    zn_status rc = zn_stmt_prepare(st,
                                   "SELECT plan, label, parameters, started_at, finished_at, index_cases, "
                                   "close_contacts, close_distinct, secondary_contacts, companions "
                                   "FROM trace_run WHERE id = ?",
                                   &q, err);
    if (rc != ZN_OK)
        return rc;
    zn_stmt_bind_int64(q, 1, run_id);
    int row = 0;
    json_t *root = NULL, *ll = json_array(), *ct = json_array();
    if ((rc = zn_stmt_step(q, &row, err)) == ZN_OK && !row)
        rc = zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "run", "no trace run %lld", (long long)run_id);
    if (rc == ZN_OK) {
        json_t *params = json_loads(zn_stmt_column_text(q, 2), 0, NULL);
        root = json_pack("{s:{s:I,s:s,s:o,s:o,s:o,s:o,s:{s:I,s:I,s:I,s:I,s:I}},s:O,s:O}", "run", "id",
                         (json_int_t)run_id, "plan", zn_stmt_column_text(q, 0), "label",
                         zn_stmt_column_is_null(q, 1) ? json_null() : json_string(zn_stmt_column_text(q, 1)),
                         "parameters", params ? params : json_null(), "started_at", jt(col_opt(q, 3)),
                         "finished_at", jt(col_opt(q, 4)), "counts", "index_cases",
                         (json_int_t)zn_stmt_column_int64(q, 5), "close_contacts",
                         (json_int_t)zn_stmt_column_int64(q, 6), "close_distinct",
                         (json_int_t)zn_stmt_column_int64(q, 7), "secondary_contacts",
                         (json_int_t)zn_stmt_column_int64(q, 8), "companions",
                         (json_int_t)zn_stmt_column_int64(q, 9), "linelist", ll, "contacts", ct);
        if (!root)
            rc = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    zn_stmt_finalize(q);
    if (rc == ZN_OK)
        rc = ts_linelist(st, run_id, ll_json, ll, err);
    if (rc == ZN_OK)
        rc = ts_contacts(st, run_id, ct_json, ct, err);
    if (rc == ZN_OK) {
        char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (!s || zn_buf_puts(out, s) != ZN_OK || zn_buf_puts(out, "\n") != ZN_OK)
            rc = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
        free(s);
    }
    json_decref(root);
    json_decref(ll);
    json_decref(ct);
    return rc;
}
