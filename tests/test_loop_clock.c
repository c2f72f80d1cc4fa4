/* loop: the holiday calendar and the task clock (deadlines across holidays, 调休, suspensions,
 * extensions), checked against hand-computed deadlines and a minute-by-minute simulation. */
#include "zn_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhinao/loop.h"
#include "zhinao/time.h"

#define TZ 28800
#define H 3600

static zn_calendar *cal;

/* Local (+08:00) civil time to UTC seconds. */
static int64_t T(int y, int mo, int d, int h, int mi)
{
    zn_civil c = {y, mo, d, h, mi, 0};
    return zn_time_from_civil(&c, TZ);
}

static int64_t D(int y, int m, int d) { return zn_days_from_civil(y, m, d); }

static int setup(void **state)
{
    (void)state;
    zn_error err;
    zn_status rc = zn_calendar_load(zn_test_src("data/calendar/cn-holidays.csv"), &cal, &err);
    if (rc != ZN_OK) {
        char b[600];
        fprintf(stderr, "%s\n", zn_error_format(&err, b, sizeof b));
    }
    return rc == ZN_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    zn_calendar_free(cal);
    return 0;
}

static int64_t due(int64_t start, zn_budget_unit u, int64_t budget, double f, const zn_clock_span *s, size_t n)
{
    int64_t out = -1;
    zn_error err;
    assert_int_equal(zn_clock_due(cal, TZ, start, u, budget, f, s, n, &out, &err), ZN_OK);
    return out;
}

static void test_calendar_days(void **state)
{
    (void)state;
    int first, last;
    zn_calendar_years(cal, &first, &last);
    assert_int_equal(first, 2020);
    assert_int_equal(last, 2026);
    /* 2024 Spring Festival: 10-17 Feb off, Sunday 4 and Sunday 18 Feb are working days;
     * the eve (9 Feb, Friday) is officially a working day. */
    assert_true(zn_calendar_is_workday(cal, D(2024, 2, 4)));
    assert_true(zn_calendar_is_workday(cal, D(2024, 2, 9)));
    for (int d = 10; d <= 17; d++)
        assert_false(zn_calendar_is_workday(cal, D(2024, 2, d)));
    assert_true(zn_calendar_is_workday(cal, D(2024, 2, 18)));
    /* 2023 Mid-Autumn + National Day: 29 Sep - 6 Oct off; Saturday 7 and Sunday 8 Oct work. */
    assert_false(zn_calendar_is_workday(cal, D(2023, 9, 29)));
    assert_false(zn_calendar_is_workday(cal, D(2023, 10, 6)));
    assert_true(zn_calendar_is_workday(cal, D(2023, 10, 7)));
    assert_true(zn_calendar_is_workday(cal, D(2023, 10, 8)));
    /* 2020: Saturday 1 Feb was to be worked, then the holiday was extended to 2 Feb
     * (国办发明电〔2020〕1号). Sunday 19 Jan stayed a working day. */
    assert_false(zn_calendar_is_workday(cal, D(2020, 2, 1)));
    assert_false(zn_calendar_is_workday(cal, D(2020, 1, 31)));
    assert_true(zn_calendar_is_workday(cal, D(2020, 1, 19)));
    assert_true(zn_calendar_is_workday(cal, D(2020, 2, 3)));
    /* 2026 (notice of 4 Nov 2025): 15-23 Feb off, Saturdays 14 and 28 Feb work. */
    assert_true(zn_calendar_is_workday(cal, D(2026, 2, 14)));
    assert_false(zn_calendar_is_workday(cal, D(2026, 2, 23)));
    assert_true(zn_calendar_is_workday(cal, D(2026, 2, 28)));
    assert_true(zn_calendar_is_workday(cal, D(2026, 1, 4)));
    /* 2025: the new eve holiday (28 Jan) and the extra Labour Day (2 May). */
    assert_false(zn_calendar_is_workday(cal, D(2025, 1, 28)));
    assert_false(zn_calendar_is_workday(cal, D(2025, 5, 2)));
    /* plain week outside holidays and outside the covered years */
    assert_true(zn_calendar_is_workday(cal, D(2023, 3, 10)));   /* Friday */
    assert_false(zn_calendar_is_workday(cal, D(2023, 3, 11)));  /* Saturday */
    assert_true(zn_calendar_is_workday(cal, D(2027, 3, 1)));    /* Monday */
    assert_false(zn_calendar_is_workday(cal, D(2019, 12, 29))); /* Sunday */
}

static void test_calendar_bad(void **state)
{
    (void)state;
    zn_calendar *c = NULL;
    zn_error err;
    const char *weekday_work = "date,kind,name\n2024-02-05,workday,x\n"; /* a Monday */
    assert_int_equal(zn_calendar_load(zn_test_write_file("c1.csv", weekday_work, strlen(weekday_work)), &c, &err),
                     ZN_EVALIDATE);
    assert_int_equal(err.line, 2);
    assert_string_equal(err.field, "kind");
    const char *twice = "date,kind\n2024-02-10,holiday\n2024-02-10,holiday\n";
    assert_int_equal(zn_calendar_load(zn_test_write_file("c2.csv", twice, strlen(twice)), &c, &err), ZN_EVALIDATE);
    assert_non_null(strstr(err.msg, "2024-02-10"));
    const char *bad_date = "date,kind\n2024-02-10,holiday\n2024-02-30,holiday\n";
    assert_int_equal(zn_calendar_load(zn_test_write_file("c3.csv", bad_date, strlen(bad_date)), &c, &err), ZN_EPARSE);
    assert_int_equal(err.line, 3);
    assert_string_equal(err.field, "date");
    const char *bad_kind = "date,kind\n2024-02-10,rest\n";
    assert_int_equal(zn_calendar_load(zn_test_write_file("c4.csv", bad_kind, strlen(bad_kind)), &c, &err), ZN_EPARSE);
    const char *no_kind = "date,name\n2024-02-10,x\n";
    assert_int_equal(zn_calendar_load(zn_test_write_file("c5.csv", no_kind, strlen(no_kind)), &c, &err), ZN_EPARSE);
    assert_int_equal(zn_calendar_load("/nonexistent/cal.csv", &c, &err), ZN_EIO);
    assert_null(c);
}

/* Deadlines computed by hand from the notices. */
static void test_deadline_spring_festival_2024(void **state)
{
    (void)state;
    int64_t start = T(2024, 2, 8, 10, 0); /* Thursday */
    /* day 1 = Fri 9 Feb; 10-17 Feb off; day 2 = Sun 18 Feb (调休); day 3 = Mon 19 Feb */
    assert_int_equal(due(start, ZN_BUDGET_WORKDAYS, 1, 1.0, NULL, 0), T(2024, 2, 10, 0, 0));
    assert_int_equal(due(start, ZN_BUDGET_WORKDAYS, 2, 1.0, NULL, 0), T(2024, 2, 19, 0, 0));
    assert_int_equal(due(start, ZN_BUDGET_WORKDAYS, 3, 1.0, NULL, 0), T(2024, 2, 20, 0, 0));
    /* half of 3 working days = all of 9 Feb + half of 18 Feb */
    assert_int_equal(due(start, ZN_BUDGET_WORKDAYS, 3, 0.5, NULL, 0), T(2024, 2, 18, 12, 0));
    /* an hours budget ignores the calendar */
    assert_int_equal(due(T(2024, 2, 10, 10, 0), ZN_BUDGET_HOURS, 8 * H, 1.0, NULL, 0), T(2024, 2, 10, 18, 0));
    assert_int_equal(due(T(2024, 2, 10, 10, 0), ZN_BUDGET_HOURS, 8 * H, 0.75, NULL, 0), T(2024, 2, 10, 16, 0));
}

static void test_deadline_national_day_2023(void **state)
{
    (void)state;
    int64_t start = T(2023, 9, 28, 15, 0); /* Thursday; 29 Sep - 6 Oct off */
    assert_int_equal(due(start, ZN_BUDGET_WORKDAYS, 1, 1.0, NULL, 0), T(2023, 10, 8, 0, 0)); /* Sat 7 Oct */
    assert_int_equal(due(start, ZN_BUDGET_WORKDAYS, 2, 1.0, NULL, 0), T(2023, 10, 9, 0, 0)); /* Sun 8 Oct */
    assert_int_equal(due(start, ZN_BUDGET_WORKDAYS, 3, 1.0, NULL, 0), T(2023, 10, 10, 0, 0)); /* Mon 9 Oct */
    /* issued on a holiday: the first working day is the adjusted Saturday */
    assert_int_equal(due(T(2023, 10, 1, 10, 0), ZN_BUDGET_WORKDAYS, 1, 1.0, NULL, 0), T(2023, 10, 8, 0, 0));
    /* Spring Festival 2020 with the COVID extension to 2 Feb */
    assert_int_equal(due(T(2020, 1, 23, 10, 0), ZN_BUDGET_WORKDAYS, 1, 1.0, NULL, 0), T(2020, 2, 4, 0, 0));
}

static void test_deadline_weekend(void **state)
{
    (void)state;
    /* Friday: the day of issue does not count; Saturday and Sunday do not work */
    assert_int_equal(due(T(2023, 3, 10, 9, 0), ZN_BUDGET_WORKDAYS, 1, 1.0, NULL, 0), T(2023, 3, 14, 0, 0));
    /* issued at 23:59 on Monday: Tuesday is day 1 */
    assert_int_equal(due(T(2023, 3, 6, 23, 59), ZN_BUDGET_WORKDAYS, 1, 1.0, NULL, 0), T(2023, 3, 8, 0, 0));
    /* issued at 00:00 on Monday: still Tuesday (the issue day never counts) */
    assert_int_equal(due(T(2023, 3, 6, 0, 0), ZN_BUDGET_WORKDAYS, 1, 1.0, NULL, 0), T(2023, 3, 8, 0, 0));
    /* 5 working days from a Wednesday: Thu, Fri, Mon, Tue, Wed */
    assert_int_equal(due(T(2023, 3, 8, 9, 0), ZN_BUDGET_WORKDAYS, 5, 1.0, NULL, 0), T(2023, 3, 16, 0, 0));
}

static void test_deadline_suspension(void **state)
{
    (void)state;
    int64_t s0 = T(2023, 3, 1, 10, 0);
    zn_clock_span mid = {T(2023, 3, 1, 12, 0), T(2023, 3, 1, 15, 0)};
    assert_int_equal(due(s0, ZN_BUDGET_HOURS, 8 * H, 1.0, &mid, 1), T(2023, 3, 1, 21, 0));
    /* warning at 3/4 = 6 h of clock: 10-12 (2 h), then 15-19 */
    assert_int_equal(due(s0, ZN_BUDGET_HOURS, 8 * H, 0.75, &mid, 1), T(2023, 3, 1, 19, 0));
    /* still open: the clock is stopped */
    zn_clock_span open = {T(2023, 3, 1, 12, 0), ZN_CLOCK_STOPPED};
    assert_true(due(s0, ZN_BUDGET_HOURS, 8 * H, 1.0, &open, 1) == ZN_CLOCK_STOPPED);
    /* opened after the deadline: no effect */
    zn_clock_span late = {T(2023, 3, 1, 20, 0), ZN_CLOCK_STOPPED};
    assert_int_equal(due(s0, ZN_BUDGET_HOURS, 8 * H, 1.0, &late, 1), T(2023, 3, 1, 18, 0));
    /* starting before the clock: only the part after the start counts */
    zn_clock_span before = {T(2023, 3, 1, 9, 0), T(2023, 3, 1, 11, 0)};
    assert_int_equal(due(s0, ZN_BUDGET_HOURS, 8 * H, 1.0, &before, 1), T(2023, 3, 1, 19, 0));
    /* overlapping spans, given out of order: 12-15 is 3 h in all */
    zn_clock_span two[2] = {{T(2023, 3, 1, 13, 0), T(2023, 3, 1, 15, 0)}, {T(2023, 3, 1, 12, 0), T(2023, 3, 1, 14, 0)}};
    assert_int_equal(due(s0, ZN_BUDGET_HOURS, 8 * H, 1.0, two, 2), T(2023, 3, 1, 21, 0));

    /* working days: Monday 6 Mar, 2 days (Tue, Wed) -> 9 Mar 00:00; suspended from Tue noon to
     * Thu noon: Tue 0.5 + Thu 0.5 + Fri 1.0 -> Sat 11 Mar 00:00 */
    int64_t m0 = T(2023, 3, 6, 9, 0);
    assert_int_equal(due(m0, ZN_BUDGET_WORKDAYS, 2, 1.0, NULL, 0), T(2023, 3, 9, 0, 0));
    zn_clock_span wk = {T(2023, 3, 7, 12, 0), T(2023, 3, 9, 12, 0)};
    assert_int_equal(due(m0, ZN_BUDGET_WORKDAYS, 2, 1.0, &wk, 1), T(2023, 3, 11, 0, 0));
    /* a suspension over a weekend costs nothing: Fri 10 Mar 18:00 -> Mon 13 Mar 08:00 */
    zn_clock_span wkend = {T(2023, 3, 10, 18, 0), T(2023, 3, 13, 8, 0)};
    /* Mon 6 Mar + 4 days: Tue, Wed, Thu, Fri -> Sat 00:00; Fri loses 6 h, made up on Mon until 14:00 */
    assert_int_equal(due(m0, ZN_BUDGET_WORKDAYS, 4, 1.0, &wkend, 1), T(2023, 3, 13, 14, 0));
}

static void test_deadline_extension(void **state)
{
    (void)state;
    /* an extension adds to the budget: 2 + 1 working days from Monday -> Thursday end */
    assert_int_equal(due(T(2023, 3, 6, 9, 0), ZN_BUDGET_WORKDAYS, 2 + 1, 1.0, NULL, 0), T(2023, 3, 10, 0, 0));
    /* 1 + 1 from a Friday: Mon, Tue */
    assert_int_equal(due(T(2023, 3, 10, 9, 0), ZN_BUDGET_WORKDAYS, 1 + 1, 1.0, NULL, 0), T(2023, 3, 15, 0, 0));
    /* extension over Spring Festival 2024: 1 + 1 from 8 Feb: 9 Feb, then Sun 18 Feb */
    assert_int_equal(due(T(2024, 2, 8, 10, 0), ZN_BUDGET_WORKDAYS, 1 + 1, 1.0, NULL, 0), T(2024, 2, 19, 0, 0));
}

static void test_clock_errors(void **state)
{
    (void)state;
    int64_t out;
    zn_error err;
    assert_int_equal(zn_clock_due(cal, TZ, 0, ZN_BUDGET_HOURS, 0, 1.0, NULL, 0, &out, &err), ZN_EINVAL);
    assert_int_equal(zn_clock_due(cal, TZ, 0, ZN_BUDGET_HOURS, 10, 0.0, NULL, 0, &out, &err), ZN_EINVAL);
    assert_int_equal(zn_clock_due(NULL, TZ, 0, ZN_BUDGET_WORKDAYS, 1, 1.0, NULL, 0, &out, &err), ZN_EINVAL);
    assert_int_equal(zn_clock_due(cal, TZ, 0, (zn_budget_unit)7, 1, 1.0, NULL, 0, &out, &err), ZN_EINVAL);
    zn_clock_span bad = {100, 50};
    assert_int_equal(zn_clock_due(cal, TZ, 0, ZN_BUDGET_HOURS, 10, 1.0, &bad, 1, &out, &err), ZN_EINVAL);
}

/* ---- property: the clock equals a minute-by-minute simulation ---- */

/* The oracle reads the calendar file on its own (no zn_calendar) into a day -> kind map. */
static signed char oracle_kind[4000]; /* day - base: 0 week rule, 1 holiday, 2 workday */
static int64_t oracle_base;

static void oracle_load(void)
{
    oracle_base = D(2019, 6, 1);
    FILE *f = fopen(zn_test_src("data/calendar/cn-holidays.csv"), "r");
    assert_non_null(f);
    char line[512];
    int y, m, d;
    char kind[16];
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%d-%d-%d,%15[a-z]", &y, &m, &d, kind) == 4)
            oracle_kind[D(y, m, d) - oracle_base] = strcmp(kind, "workday") == 0 ? 2 : 1;
    fclose(f);
}

static int oracle_work(int64_t day)
{
    int64_t i = day - oracle_base;
    if (i >= 0 && i < 4000 && oracle_kind[i])
        return oracle_kind[i] == 2;
    int64_t w = ((day % 7) + 7 + 4) % 7; /* 0 = Sunday */
    return w != 0 && w != 6;
}

static int64_t oracle_due(int64_t start, zn_budget_unit u, int64_t budget, double f, const zn_clock_span *s, size_t n)
{
    int64_t need = llround((double)budget * (u == ZN_BUDGET_WORKDAYS ? 86400 : 1) * f);
    int64_t t = start;
    if (u == ZN_BUDGET_WORKDAYS) {
        int64_t local = start + TZ;
        t = (local / 86400 + 1) * 86400 - TZ;
    }
    int64_t acc = 0;
    for (;;) {
        int suspended = 0;
        for (size_t i = 0; i < n; i++) {
            if (t >= s[i].from && t < s[i].to)
                suspended = 1;
            if (s[i].to == ZN_CLOCK_STOPPED && t >= s[i].from)
                return ZN_CLOCK_STOPPED;
        }
        int active = !suspended && (u == ZN_BUDGET_HOURS || oracle_work((t + TZ) / 86400));
        if (active) {
            acc += 60;
            if (acc >= need)
                return t + 60;
        }
        t += 60;
    }
}

static void test_clock_property(void **state)
{
    (void)state;
    oracle_load();
    srand(20240210);
    int64_t lo = T(2020, 1, 1, 0, 0), hi = T(2026, 12, 1, 0, 0);
    static const double fr[] = {0.25, 0.5, 0.75, 1.0};
    int stopped = 0, suspended = 0;
    int64_t span_min = 0;
    for (int k = 0; k < 400; k++) {
        int64_t start = lo + (int64_t)(((double)rand() / RAND_MAX) * (double)(hi - lo));
        start -= start % 60;
        zn_budget_unit u = (rand() % 2) ? ZN_BUDGET_HOURS : ZN_BUDGET_WORKDAYS;
        int64_t budget = u == ZN_BUDGET_HOURS ? (1 + rand() % 72) * H : 1 + rand() % 5;
        double f = fr[rand() % 4];
        zn_clock_span s[3];
        size_t n = (size_t)(rand() % 4);
        for (size_t i = 0; i < n; i++) {
            int64_t a = start - 86400 + (int64_t)(rand() % (12 * 24 * 60)) * 60;
            int64_t len = (int64_t)(1 + rand() % (3 * 24 * 60)) * 60;
            s[i].from = a;
            s[i].to = (rand() % 8 == 0) ? ZN_CLOCK_STOPPED : a + len;
        }
        int64_t want = oracle_due(start, u, budget, f, s, n);
        int64_t got = due(start, u, budget, f, s, n);
        if (want != got)
            fprintf(stderr, "case %d: start %lld unit %d budget %lld f %.2f n %zu: want %lld got %lld\n", k,
                    (long long)start, (int)u, (long long)budget, f, n, (long long)want, (long long)got);
        assert_true(want == got);
        stopped += want == ZN_CLOCK_STOPPED;
        suspended += n > 0;
        span_min += (want == ZN_CLOCK_STOPPED ? 0 : want - start) / 60;
    }
    /* the sample exercised stopped clocks, suspensions and long walks */
    assert_true(stopped > 10 && suspended > 200 && span_min / 400 > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calendar_days),
        cmocka_unit_test(test_calendar_bad),
        cmocka_unit_test(test_deadline_spring_festival_2024),
        cmocka_unit_test(test_deadline_national_day_2023),
        cmocka_unit_test(test_deadline_weekend),
        cmocka_unit_test(test_deadline_suspension),
        cmocka_unit_test(test_deadline_extension),
        cmocka_unit_test(test_clock_errors),
        cmocka_unit_test(test_clock_property),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
