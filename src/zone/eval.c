/*
 * The daily zone evaluation kernel: one pass over the days, one state per unit, a history row
 * only when something about a unit changes. Semantics in include/zhinao/zone.h.
 */
#include "zone_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhinao/time.h"

int zn__zone_raised(const zn_zone_rules *r, int level)
{
    if (level < 0 || level >= r->nlevels)
        return 0;
    return r->floor == ZN_ZONE_NONE || level < r->floor;
}

/* Per-unit state. `level` is a raised level or ZN__ZONE_BASE. The t* fields are the tuple of
 * the history row currently open. */
typedef struct unit_state {
    int32_t level;
    int32_t entered, anchor, due;
    uint8_t via, cause;
    uint8_t changed; /* the state changed today (event, override, transition) */
    int64_t oid;
    /* the two latest days with a negative test round of the whole unit (ZN_ZONE_NO_DAY: none):
     * test1 > test0, so the latest round before any day D is test1 if test1 < D, else test0 */
    int32_t test0, test1;
    /* open history row */
    int32_t tlevel, tentered, tdue, tanchor, tfrom;
    uint8_t tcause;
    int64_t toid;
} unit_state;

typedef struct kernel {
    const zn_zone_rules *r;
    const zn_zone_input *in;
    int32_t s0, to;     /* simulated days */
    int32_t *unknown;   /* sorted unknown days */
    size_t nunknown;
    int32_t *known_prefix; /* known_prefix[i] = known days in [s0, s0 + i] */
    int missing;
    int trans[ZN_ZONE_MAX_LEVELS][3]; /* transition index by level and via, -1 none */
} kernel;

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_event(const void *a, const void *b)
{
    const zn_zone_event *x = a, *y = b;
    if (x->day != y->day)
        return (x->day > y->day) - (x->day < y->day);
    return (x->unit > y->unit) - (x->unit < y->unit);
}

static int cmp_override(const void *a, const void *b)
{
    const zn_zone_override *x = a, *y = b;
    if (x->day != y->day)
        return (x->day > y->day) - (x->day < y->day);
    return (x->id > y->id) - (x->id < y->id);
}

static int is_unknown(const kernel *k, int32_t day)
{
    return k->nunknown && bsearch(&day, k->unknown, k->nunknown, sizeof *k->unknown, cmp_i32) != NULL;
}

/* Days of (a, d] that count as quiet, for s0 <= a <= d <= to. */
static int32_t quiet(const kernel *k, int32_t a, int32_t d)
{
    if (k->missing == ZN_ZONE_MISSING_QUIET)
        return d - a;
    return k->known_prefix[d - k->s0] - k->known_prefix[a - k->s0];
}

static const zn_zone_transition *transition_for(const kernel *k, const unit_state *u)
{
    int i = k->trans[u->level][u->via];
    if (i < 0)
        i = k->trans[u->level][ZN_ZONE_VIA_ANY];
    return i < 0 ? NULL : &k->r->transitions[i];
}

/* The latest negative round of unit u before day d, or ZN_ZONE_NO_DAY. */
static int32_t test_before(const unit_state *u, int32_t d)
{
    if (u->test1 != ZN_ZONE_NO_DAY && u->test1 < d)
        return u->test1;
    if (u->test0 != ZN_ZONE_NO_DAY && u->test0 < d)
        return u->test0;
    return ZN_ZONE_NO_DAY;
}

/* Does a negative round of u allow transition t on day d (zn_zone_transition)? */
static int test_ok(const zn_zone_transition *t, const unit_state *u, int32_t d)
{
    if (!t->requires_test)
        return 1;
    int32_t T = test_before(u, d);
    return T != ZN_ZONE_NO_DAY && T > u->anchor && (t->test_window_days == 0 || T >= d - t->test_window_days);
}

/* The first day after the anchor on which the unit's quiet days reach its transition's count;
 * for a transition that requires a negative round, the first such day on which the latest round
 * recorded so far qualifies, or ZN_ZONE_NO_DAY (pending) when none can. */
static int32_t due_day(const kernel *k, const unit_state *u)
{
    const zn_zone_transition *t = transition_for(k, u);
    if (!t)
        return ZN_ZONE_NO_DAY;
    int32_t d = u->anchor;
    int c = 0;
    while (c < t->quiet_days) {
        d++;
        if (k->missing == ZN_ZONE_MISSING_QUIET || !is_unknown(k, d))
            c++;
    }
    if (!t->requires_test)
        return d;
    int32_t best = ZN_ZONE_NO_DAY;
    const int32_t tests[2] = {u->test0, u->test1};
    for (int i = 0; i < 2; i++) {
        int32_t T = tests[i];
        if (T == ZN_ZONE_NO_DAY || T <= u->anchor)
            continue;
        int32_t dd = d < T + 1 ? T + 1 : d;
        if ((t->test_window_days == 0 || T >= dd - t->test_window_days) && (best == ZN_ZONE_NO_DAY || dd < best))
            best = dd;
    }
    return best;
}

static void set_base(unit_state *u, int32_t day, uint8_t cause, int64_t oid)
{
    u->level = ZN__ZONE_BASE;
    u->entered = day;
    u->anchor = ZN_ZONE_NO_DAY;
    u->due = ZN_ZONE_NO_DAY;
    u->via = ZN_ZONE_VIA_EVENT;
    u->cause = cause;
    u->oid = oid;
    u->changed = 1;
}

static void set_level(const kernel *k, unit_state *u, int level, int32_t day, uint8_t via, uint8_t cause, int64_t oid)
{
    u->level = level;
    u->entered = day;
    u->anchor = day;
    u->via = via;
    u->cause = cause;
    u->oid = oid;
    u->due = due_day(k, u);
    u->changed = 1;
}

static int64_t *cell(int64_t *table, int nlevels, int day_index, int level)
{
    return &table[(size_t)day_index * (size_t)(nlevels + 1) + (size_t)(level == ZN_ZONE_NONE ? nlevels : level)];
}

typedef struct period_buf {
    zn_zone_period *v;
    size_t n, cap;
} period_buf;

static int push_period(period_buf *b, const zn_zone_period *p)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        zn_zone_period *v = realloc(b->v, cap * sizeof *v);
        if (!v)
            return -1;
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n++] = *p;
    return 0;
}

static int emit(period_buf *b, const kernel *k, int32_t unit, const unit_state *u, int32_t end)
{
    if (end < k->in->from || u->tfrom > k->in->to)
        return 0;
    zn_zone_period p = {.unit = unit,
                        .level = u->tlevel,
                        .entered = u->tentered,
                        .from = u->tfrom < k->in->from ? k->in->from : u->tfrom,
                        .to = end > k->in->to ? k->in->to : end,
                        .due = u->tdue,
                        .anchor = u->tanchor,
                        .cause = u->tcause,
                        .override_id = u->toid};
    return push_period(b, &p);
}

static int cmp_period(const void *a, const void *b)
{
    const zn_zone_period *x = a, *y = b;
    if (x->unit != y->unit)
        return (x->unit > y->unit) - (x->unit < y->unit);
    return (x->from > y->from) - (x->from < y->from);
}

zn_status zn_zone_evaluate(const zn_zone_rules *r, const zn_zone_input *in, zn_zone_result *out, zn_error *err)
{
    if (!r || !in || !out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    memset(out, 0, sizeof *out);
    if (in->from > in->to || (int64_t)in->to - in->from >= 100000)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "bad day range %d .. %d", in->from, in->to);
    if (in->nunits > INT32_MAX)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "too many units");
    for (size_t i = 0; i < in->nevents; i++) {
        const zn_zone_event *e = &in->events[i];
        if (e->unit < 0 || (size_t)e->unit >= in->nunits || e->kind >= ZN_ZONE_EV_COUNT)
            return zn_error_set(err, ZN_EINVAL, NULL, (long)i + 1, "events", "event %zu: unit %d or kind %d out of range",
                                i, e->unit, e->kind);
    }
    for (size_t i = 0; in->unit_county && i < in->nunits; i++)
        if (in->unit_county[i] < 0)
            return zn_error_set(err, ZN_EINVAL, NULL, 0, "unit_county", "unit %zu: negative county number", i);
    for (size_t i = 0; i < in->noverrides; i++) {
        const zn_zone_override *o = &in->overrides[i];
        if (o->unit < 0 || (size_t)o->unit >= in->nunits || o->level < ZN_ZONE_NONE || o->level >= r->nlevels)
            return zn_error_set(err, ZN_EINVAL, NULL, (long)i + 1, "overrides",
                                "override %zu: unit %d or level %d out of range", i, o->unit, o->level);
    }

#define COUNTY(u) (in->unit_county ? in->unit_county[(u)] : 0)
    kernel k = {.r = r, .in = in, .to = in->to};
    k.missing = in->missing >= 0 ? in->missing : (int)r->missing;
    for (int l = 0; l < ZN_ZONE_MAX_LEVELS; l++)
        for (int v = 0; v < 3; v++)
            k.trans[l][v] = -1;
    for (int i = r->ntransitions - 1; i >= 0; i--) /* the first matching one wins */
        k.trans[r->transitions[i].from][r->transitions[i].via] = i;

    /* simulate from the earliest event or override (their effects reach into the range) */
    int32_t s0 = in->from;
    for (size_t i = 0; i < in->nevents; i++)
        if (in->events[i].day < s0)
            s0 = in->events[i].day;
    for (size_t i = 0; i < in->noverrides; i++)
        if (in->overrides[i].day < s0)
            s0 = in->overrides[i].day;
    if ((int64_t)in->to - s0 >= 100000)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "events span more than 100000 days");
    k.s0 = s0;
    int32_t nsim = in->to - s0 + 1;

    zn_status st = ZN_ENOMEM;
    zn_zone_event *ev = NULL;
    zn_zone_override *ov = NULL;
    unit_state *us = NULL;
    int32_t *raised_in_county = NULL;
    int32_t ncounties = 1;
    period_buf pb = {0};

    k.nunknown = in->nunknown;
    k.unknown = malloc((in->nunknown + 1) * sizeof *k.unknown);
    k.known_prefix = malloc((size_t)(nsim + 1) * sizeof *k.known_prefix);
    ev = malloc((in->nevents + 1) * sizeof *ev);
    ov = malloc((in->noverrides + 1) * sizeof *ov);
    us = calloc(in->nunits + 1, sizeof *us);
    if (in->unit_county)
        for (size_t i = 0; i < in->nunits; i++)
            if (in->unit_county[i] + 1 > ncounties)
                ncounties = in->unit_county[i] + 1;
    raised_in_county = calloc((size_t)ncounties, sizeof *raised_in_county);
    out->ndays = in->to - in->from + 1;
    out->nlevels = r->nlevels;
    size_t ncells = (size_t)out->ndays * (size_t)(r->nlevels + 1);
    out->units = calloc(ncells, sizeof *out->units);
    out->population = calloc(ncells, sizeof *out->population);
    out->population_units = calloc(ncells, sizeof *out->population_units);
    out->events = calloc((size_t)out->ndays, sizeof *out->events);
    out->known = calloc((size_t)out->ndays, 1);
    if (!k.unknown || !k.known_prefix || !ev || !ov || !us || !raised_in_county || !out->units || !out->population ||
        !out->population_units || !out->events || !out->known)
        goto done;
    if (in->nunknown)
        memcpy(k.unknown, in->unknown_days, in->nunknown * sizeof *k.unknown);
    qsort(k.unknown, k.nunknown, sizeof *k.unknown, cmp_i32);
    k.known_prefix[0] = 0;
    for (int32_t i = 0; i < nsim; i++)
        k.known_prefix[i] = (i ? k.known_prefix[i - 1] : 0) + !is_unknown(&k, s0 + i);
    if (in->nevents)
        memcpy(ev, in->events, in->nevents * sizeof *ev);
    qsort(ev, in->nevents, sizeof *ev, cmp_event);
    if (in->noverrides)
        memcpy(ov, in->overrides, in->noverrides * sizeof *ov);
    qsort(ov, in->noverrides, sizeof *ov, cmp_override);

    for (size_t i = 0; i < in->nunits; i++) {
        unit_state *u = &us[i];
        set_base(u, s0, ZN_ZONE_CAUSE_START, 0);
        u->tlevel = INT32_MIN; /* no open row yet */
        u->test0 = u->test1 = ZN_ZONE_NO_DAY;
    }

    size_t ei = 0, oi = 0;
    for (int32_t day = s0; day <= in->to; day++) {
        int di = day - in->from; /* index into the result when >= 0 */
        /* 1. events of the day */
        for (; ei < in->nevents && ev[ei].day < day; ei++)
            ;
        for (; ei < in->nevents && ev[ei].day == day; ei++) {
            const zn_zone_event *e = &ev[ei];
            if (e->isolated && !r->isolated_cases)
                continue;
            if (di >= 0)
                out->events[di]++;
            unit_state *u = &us[e->unit];
            if (e->kind == ZN_ZONE_EV_TEST_NEGATIVE) {
                if (u->test1 != day) {
                    u->test0 = u->test1;
                    u->test1 = day;
                }
                if (u->level != ZN__ZONE_BASE) {
                    int32_t due = due_day(&k, u);
                    if (due != u->due) {
                        u->due = due;
                        u->changed = 1;
                    }
                }
                continue;
            }
            int lvl = r->event_level[e->kind];
            int was_raised = u->level != ZN__ZONE_BASE;
            if (zn__zone_raised(r, lvl)) {
                if (lvl < u->level) {
                    set_level(&k, u, lvl, day, ZN_ZONE_VIA_EVENT, ZN_ZONE_CAUSE_EVENT, 0);
                } else if (lvl == u->level && u->anchor != day) {
                    u->anchor = day;
                    u->via = ZN_ZONE_VIA_EVENT;
                    u->cause = ZN_ZONE_CAUSE_RESET;
                    u->oid = 0;
                    u->due = due_day(&k, u);
                    u->changed = 1;
                }
            }
            if (r->event_clock[e->kind] && u->level != ZN__ZONE_BASE && u->anchor < day) {
                u->anchor = day;
                u->cause = ZN_ZONE_CAUSE_RESET;
                u->due = due_day(&k, u);
                u->changed = 1;
            }
            if (!was_raised && u->level != ZN__ZONE_BASE)
                raised_in_county[COUNTY(e->unit)]++;
        }
        /* 2. overrides of the day */
        for (; oi < in->noverrides && ov[oi].day == day; oi++) {
            const zn_zone_override *o = &ov[oi];
            unit_state *u = &us[o->unit];
            int was_raised = u->level != ZN__ZONE_BASE;
            if (zn__zone_raised(r, o->level))
                set_level(&k, u, o->level, day, ZN_ZONE_VIA_EVENT, ZN_ZONE_CAUSE_OVERRIDE, o->id);
            else
                set_base(u, day, ZN_ZONE_CAUSE_OVERRIDE, o->id);
            int now_raised = u->level != ZN__ZONE_BASE;
            if (was_raised != now_raised)
                raised_in_county[COUNTY(o->unit)] += now_raised ? 1 : -1;
        }
        /* 3. transitions */
        for (size_t i = 0; i < in->nunits; i++) {
            unit_state *u = &us[i];
            if (u->level == ZN__ZONE_BASE || u->anchor >= day)
                continue;
            const zn_zone_transition *t = transition_for(&k, u);
            if (!t || quiet(&k, u->anchor, day) < t->quiet_days || !test_ok(t, u, day))
                continue;
            if (zn__zone_raised(r, t->to)) {
                set_level(&k, u, t->to, day, ZN_ZONE_VIA_TRANSITION, ZN_ZONE_CAUSE_TRANSITION, 0);
            } else {
                set_base(u, day, ZN_ZONE_CAUSE_TRANSITION, 0);
                raised_in_county[COUNTY(i)]--;
            }
        }
        /* 4. effective levels, history rows, counts */
        for (size_t i = 0; i < in->nunits; i++) {
            unit_state *u = &us[i];
            int32_t lvl, entered, due, anchor;
            uint8_t cause;
            int64_t oid;
            if (u->level != ZN__ZONE_BASE) {
                lvl = u->level;
                entered = u->entered;
                due = u->due;
                anchor = u->anchor;
                cause = u->cause;
                oid = u->oid;
            } else {
                if (r->floor == ZN_ZONE_NONE || r->floor_scope == ZN_ZONE_SCOPE_NONE)
                    lvl = ZN_ZONE_NONE;
                else if (r->floor_scope == ZN_ZONE_SCOPE_REGISTRY)
                    lvl = r->floor;
                else
                    lvl = raised_in_county[COUNTY(i)] > 0 ? r->floor : ZN_ZONE_NONE;
                due = ZN_ZONE_NO_DAY;
                anchor = ZN_ZONE_NO_DAY;
                if (u->changed || u->tlevel == INT32_MIN) {
                    entered = u->entered;
                    cause = u->cause;
                    oid = u->oid;
                } else if (lvl != u->tlevel) {
                    entered = day;
                    cause = ZN_ZONE_CAUSE_SCOPE;
                    oid = 0;
                } else {
                    entered = u->tentered;
                    cause = u->tcause;
                    oid = u->toid;
                }
            }
            u->changed = 0;
            if (u->tlevel != lvl || u->tentered != entered || u->tdue != due || u->tcause != cause ||
                u->toid != oid || u->tanchor != anchor) {
                if (u->tlevel != INT32_MIN && emit(&pb, &k, (int32_t)i, u, day - 1) < 0)
                    goto done;
                u->tlevel = lvl;
                u->tentered = entered;
                u->tdue = due;
                u->tanchor = anchor;
                u->tcause = cause;
                u->toid = oid;
                u->tfrom = day;
            }
            if (di >= 0) {
                (*cell(out->units, r->nlevels, di, lvl))++;
                int64_t pop = in->unit_population ? in->unit_population[i] : -1;
                if (pop >= 0) {
                    (*cell(out->population, r->nlevels, di, lvl)) += pop;
                    (*cell(out->population_units, r->nlevels, di, lvl))++;
                }
            }
        }
        if (di >= 0)
            out->known[di] = !is_unknown(&k, day);
    }
    for (size_t i = 0; i < in->nunits; i++)
        if (emit(&pb, &k, (int32_t)i, &us[i], in->to) < 0)
            goto done;
    qsort(pb.v, pb.n, sizeof *pb.v, cmp_period);
    out->periods = pb.v;
    out->nperiods = pb.n;
    pb.v = NULL;
    out->from = in->from;
    out->to = in->to;
    out->missing = k.missing;
    st = ZN_OK;
done:
    free(k.unknown);
    free(k.known_prefix);
    free(ev);
    free(ov);
    free(us);
    free(raised_in_county);
    free(pb.v);
#undef COUNTY
    if (st != ZN_OK) {
        zn_zone_result_fini(out);
        return zn_error_set(err, st, NULL, 0, NULL, "out of memory evaluating zones");
    }
    return ZN_OK;
}

void zn_zone_result_fini(zn_zone_result *res)
{
    if (!res)
        return;
    free(res->periods);
    free(res->units);
    free(res->population);
    free(res->population_units);
    free(res->events);
    free(res->known);
    memset(res, 0, sizeof *res);
}

int64_t zn_zone_result_units(const zn_zone_result *res, int32_t day, int level)
{
    if (!res || !res->units || day < res->from || day > res->to || level < ZN_ZONE_NONE || level >= res->nlevels)
        return 0;
    return *cell(res->units, res->nlevels, day - res->from, level);
}

const zn_zone_period *zn_zone_result_at(const zn_zone_result *res, int32_t unit, int32_t day)
{
    if (!res || day < res->from || day > res->to)
        return NULL;
    size_t lo = 0, hi = res->nperiods;
    while (lo < hi) { /* first period with (unit, to) >= (unit, day) */
        size_t mid = lo + (hi - lo) / 2;
        const zn_zone_period *p = &res->periods[mid];
        if (p->unit < unit || (p->unit == unit && p->to < day))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < res->nperiods && res->periods[lo].unit == unit && res->periods[lo].from <= day)
        return &res->periods[lo];
    return NULL;
}

const char *zn_zone_cause_name(zn_zone_cause c)
{
    static const char *names[] = {"start", "event", "reset", "transition", "override", "scope"};
    return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "unknown";
}

zn_status zn_zone_day_parse(const char *s, int32_t *day, zn_error *err)
{
    int y, m, d;
    char tail;
    if (!s || !day)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3) {
        if (strlen(s) != 8 || strspn(s, "0123456789") != 8 || sscanf(s, "%4d%2d%2d", &y, &m, &d) != 3)
            return zn_error_set(err, ZN_EPARSE, NULL, 0, NULL, "'%s' is not a date (YYYY-MM-DD)", s);
    }
    if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 || d > zn_days_in_month(y, m))
        return zn_error_set(err, ZN_EPARSE, NULL, 0, NULL, "'%s' is not a calendar date", s);
    *day = (int32_t)zn_days_from_civil(y, m, d);
    return ZN_OK;
}

char *zn_zone_day_format(int32_t day, char *buf, size_t n)
{
    if (!buf || n == 0)
        return buf;
    if (day == ZN_ZONE_NO_DAY) {
        buf[0] = 0;
        return buf;
    }
    int y, m, d;
    zn_civil_from_days(day, &y, &m, &d);
    snprintf(buf, n, "%04d-%02d-%02d", y, m, d);
    return buf;
}
