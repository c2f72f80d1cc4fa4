/*
 * The task clock: a budget plus a suspension ledger rather than a stored due instant (the pattern
 * of ConductionNL/openregister PR #3272, "one clock for SLA, opschorting and escalation"; see
 * ../shared/research/egov-anchors.md §0). Working-day budgets start the day after issue
 * (民法典 §201: 开始的当日不计入) and count only working days of the calendar.
 */
#include "loop_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int cmp_span(const void *a, const void *b)
{
    const zn_clock_span *x = a, *y = b;
    return (x->from > y->from) - (x->from < y->from);
}

/*
 * Active time available in [a, b) (b may be ZN_CLOCK_STOPPED = unbounded). For hours every second
 * counts; for working days only seconds of working days. If `need - acc` is reached inside,
 * returns 1 with *due set; else adds the active seconds to *acc and returns 0. Returns -1 when the
 * search runs past the horizon.
 */
static int walk(const zn_calendar *cal, int32_t tz, zn_budget_unit unit, int64_t a, int64_t b, int64_t need,
                int64_t *acc, int64_t *due, int64_t horizon)
{
    if (unit == ZN_BUDGET_HOURS) {
        if (b == ZN_CLOCK_STOPPED || b - a >= need - *acc) {
            *due = a + (need - *acc);
            return 1;
        }
        *acc += b - a;
        return 0;
    }
    int64_t t = a;
    while (b == ZN_CLOCK_STOPPED || t < b) {
        int64_t day = floor_div(t + tz, DAY);
        int64_t day_end = (day + 1) * DAY - tz;
        int64_t seg_end = (b != ZN_CLOCK_STOPPED && b < day_end) ? b : day_end;
        if (zn_calendar_is_workday(cal, day)) {
            if (seg_end - t >= need - *acc) {
                *due = t + (need - *acc);
                return 1;
            }
            *acc += seg_end - t;
        }
        t = seg_end;
        if (t > horizon)
            return -1;
    }
    return 0;
}

zn_status zn_clock_due(const zn_calendar *cal, int32_t tz, int64_t start, zn_budget_unit unit, int64_t budget,
                       double fraction, const zn_clock_span *susp, size_t n, int64_t *due, zn_error *err)
{
    if (unit != ZN_BUDGET_HOURS && unit != ZN_BUDGET_WORKDAYS)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "unit", "unknown budget unit %d", (int)unit);
    if (budget <= 0)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "budget", "budget must be positive, got %lld", (long long)budget);
    if (!(fraction > 0) || fraction > 16)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "fraction", "fraction must be in (0, 16], got %g", fraction);
    if (unit == ZN_BUDGET_WORKDAYS && !cal)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "calendar", "a working-day budget needs a calendar");
    if (unit == ZN_BUDGET_WORKDAYS && budget > 100 * 366)
        return zn_error_set(err, ZN_ERANGE, NULL, 0, "budget", "budget of %lld working days", (long long)budget);
    double secs = (double)budget * (unit == ZN_BUDGET_WORKDAYS ? DAY : 1) * fraction;
    if (secs > 4e15)
        return zn_error_set(err, ZN_ERANGE, NULL, 0, "budget", "budget too large");
    int64_t need = llround(secs);
    if (need < 1)
        need = 1;
    int64_t clock_start = start;
    if (unit == ZN_BUDGET_WORKDAYS)
        clock_start = (floor_div(start + tz, DAY) + 1) * DAY - tz;
    const int64_t horizon = clock_start + (int64_t)100 * 366 * DAY;

    zn_clock_span *s = NULL;
    if (n) {
        s = malloc(n * sizeof *s);
        if (!s)
            return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
        memcpy(s, susp, n * sizeof *s);
        for (size_t i = 0; i < n; i++)
            if (s[i].to < s[i].from) {
                free(s);
                return zn_error_set(err, ZN_EINVAL, NULL, 0, "suspension", "suspension ends before it starts");
            }
        qsort(s, n, sizeof *s, cmp_span);
    }
    int64_t acc = 0, t = clock_start;
    zn_status rc = ZN_OK;
    for (size_t i = 0; i <= n; i++) {
        int64_t gap_end = ZN_CLOCK_STOPPED;
        if (i < n) {
            if (s[i].to <= t)
                continue; /* entirely before the running point (or merged into a previous span) */
            if (s[i].from > t)
                gap_end = s[i].from;
            else
                gap_end = t; /* t is inside this suspension: no active time before its end */
        }
        if (gap_end > t) {
            int r = walk(cal, tz, unit, t, gap_end, need, &acc, due, horizon);
            if (r == 1)
                goto out;
            if (r < 0) {
                rc = zn_error_set(err, ZN_ERANGE, NULL, 0, NULL, "no deadline within 100 years");
                goto out;
            }
        }
        if (i < n) {
            if (s[i].to == ZN_CLOCK_STOPPED) {
                *due = ZN_CLOCK_STOPPED;
                goto out;
            }
            t = s[i].to > t ? s[i].to : t;
        }
    }
    /* The last walk was unbounded and always ends with r == 1 or r < 0. */
    rc = zn_error_set(err, ZN_ERANGE, NULL, 0, NULL, "no deadline found");
out:
    free(s);
    return rc;
}
