/* Time parsing and civil calendar. */
#include "zn_test.h"

#include <string.h>

#include "zhinao/time.h"

#define SH (8 * 3600)

static int64_t parse_ok(const char *s, int *flags)
{
    int64_t t = 0;
    zn_error err;
    zn_status st = zn_time_parse(s, SH, &t, flags, &err);
    if (st != ZN_OK)
        fail_msg("parse '%s': %s", s, err.msg);
    return t;
}

static void test_civil(void **state)
{
    (void)state;
    assert_int_equal(zn_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(zn_days_from_civil(2022, 4, 1), 19083); /* date -d 2022-04-01 +%s / 86400 */
    assert_int_equal(zn_days_from_civil(1969, 12, 31), -1);
    int y, m, d;
    for (int64_t day = -800000; day < 800000; day += 997) {
        zn_civil_from_days(day, &y, &m, &d);
        assert_int_equal(zn_days_from_civil(y, m, d), day);
    }
    zn_civil_from_days(19083, &y, &m, &d);
    assert_int_equal(y * 10000 + m * 100 + d, 20220401);
    assert_int_equal(zn_days_in_month(2024, 2), 29);
    assert_int_equal(zn_days_in_month(2100, 2), 28);
    assert_int_equal(zn_days_in_month(2000, 2), 29);
    assert_int_equal(zn_days_in_month(2023, 13), 0);
}

static void test_forms(void **state)
{
    (void)state;
    int fl;
    /* 2022-04-01 08:30 in Shanghai is 00:30 UTC = 1648773000 (date -u -d '2022-04-01 00:30' +%s) */
    assert_int_equal(parse_ok("2022-04-01T08:30:00+08:00", &fl), 1648773000);
    assert_int_equal(fl, ZN_TIME_HAS_TIME | ZN_TIME_HAS_ZONE);
    assert_int_equal(parse_ok("2022-04-01T00:30:00Z", NULL), 1648773000);
    assert_int_equal(parse_ok("2022-04-01T08:30+0800", NULL), 1648773000);
    assert_int_equal(parse_ok("2022-04-01T08:30:00.250", NULL), 1648773000);
    assert_int_equal(parse_ok("2022-04-01 08:30", &fl), 1648773000);
    assert_int_equal(fl, ZN_TIME_HAS_TIME);
    assert_int_equal(parse_ok(" 2022-04-01 08:30:00 ", NULL), 1648773000);
    assert_int_equal(parse_ok("2022/04/01 08:30", NULL), 1648773000);
    assert_int_equal(parse_ok("2022/4/1 8:30", NULL), 1648773000);
    assert_int_equal(parse_ok("20220401083000", NULL), 1648773000);
    assert_int_equal(parse_ok("1648773000", &fl), 1648773000);
    assert_int_equal(fl, ZN_TIME_HAS_TIME | ZN_TIME_HAS_ZONE);
    assert_int_equal(parse_ok("@1648773000", NULL), 1648773000);
    assert_int_equal(parse_ok("1648773000123", NULL), 1648773000);
    /* dates are local midnight */
    assert_int_equal(parse_ok("2022-04-01", &fl), 1648771200 - SH);
    assert_int_equal(fl, 0);
    assert_int_equal(parse_ok("20220401", NULL), 1648771200 - SH);
    assert_int_equal(parse_ok("2022-04-01T08:30:00-05:00", NULL), 1648773000 + 13 * 3600);
    assert_int_equal(parse_ok("2016-12-31T23:59:60Z", NULL), 1483228799);
}

static void test_bad(void **state)
{
    (void)state;
    const char *bad[] = {"", "   ", "2022-13-01", "2022-02-30", "2023-02-29", "2022-04-01 24:00", "2022-04-01 12:60",
                         "20221301", "2022-04-01T08:30:00+15:00", "2022-04-01x", "yesterday", "2022-4-1",
                         "12345", "2022-04-01T08:30:00.Z", "-1648773000"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t t;
        zn_error err;
        if (zn_time_parse(bad[i], SH, &t, NULL, &err) != ZN_EPARSE)
            fail_msg("'%s' should not parse", bad[i]);
        assert_non_null(strstr(err.msg, "is not a time"));
    }
    int64_t t;
    zn_error err;
    zn_time_parse("2022-02-30", SH, &t, NULL, &err);
    assert_string_equal(err.msg, "'2022-02-30' is not a time: 2022-02 has no day 30");
}

static void test_format(void **state)
{
    (void)state;
    char buf[40];
    assert_string_equal(zn_time_format_iso(1648773000, SH, buf, sizeof buf), "2022-04-01T08:30:00+08:00");
    assert_string_equal(zn_time_format_iso(1648773000, 0, buf, sizeof buf), "2022-04-01T00:30:00Z");
    assert_string_equal(zn_time_format_iso(-1, 0, buf, sizeof buf), "1969-12-31T23:59:59Z");
    /* 1648827000 = 2022-04-01 15:30 UTC = 23:30 local: still 04-01 in Shanghai;
     * 1648830600 = 2022-04-01 16:30 UTC = 2022-04-02 00:30 local: the next local day */
    assert_string_equal(zn_time_format_date(1648827000, SH, buf, sizeof buf), "2022-04-01");
    assert_string_equal(zn_time_format_date(1648830600, SH, buf, sizeof buf), "2022-04-02");
    assert_int_equal(zn_time_local_day(1648830600, SH), 19084);
    assert_int_equal(zn_time_local_day(1648830600, 0), 19083);
    /* round trip */
    for (int64_t t = 1500000000; t < 1700000000; t += 86399 * 37) {
        int64_t back;
        zn_time_format_iso(t, SH, buf, sizeof buf);
        assert_int_equal(zn_time_parse(buf, 0, &back, NULL, NULL), ZN_OK);
        assert_int_equal(back, t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_civil),
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
