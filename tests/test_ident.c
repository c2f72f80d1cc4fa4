/* Resident ID numbers, mobiles, masking. */
#include "zn_test.h"

#include <string.h>

#include "zhinao/ident.h"
#include "zhinao/time.h"

/* Published examples: GB 11643-1999 gives 11010519491231002X (Beijing Chaoyang, born 1949-12-31,
 * female) and 440524188001010014 (Guangdong Shantou, born 1880-01-01, male). */
static void test_check_char(void **state)
{
    (void)state;
    assert_int_equal(zn_resident_id_check_char("11010519491231002"), 'X');
    assert_int_equal(zn_resident_id_check_char("44052418800101001"), '4');
    assert_int_equal(zn_resident_id_check_char("1101051949123100A"), 0);
}

static void test_parse_valid(void **state)
{
    (void)state;
    zn_resident_id id;
    zn_error err;
    int64_t today = zn_days_from_civil(2026, 11, 29);
    assert_int_equal(zn_resident_id_parse("11010519491231002x", ZN_ID_CHECK_ALL, today, &id, &err), ZN_OK);
    assert_string_equal(id.number, "11010519491231002X");
    assert_string_equal(id.region, "110105");
    assert_int_equal(id.birth_year, 1949);
    assert_int_equal(id.birth_month, 12);
    assert_int_equal(id.birth_day, 31);
    assert_int_equal(id.sequence, 2);
    assert_int_equal(id.sex, 2);
    assert_int_equal(zn_resident_id_parse("440524188001010014", ZN_ID_CHECK_ALL, today, &id, &err), ZN_OK);
    assert_int_equal(id.sex, 1);
}

static void test_parse_invalid(void **state)
{
    (void)state;
    zn_error err;
    int64_t today = zn_days_from_civil(2026, 11, 29);
    assert_int_equal(zn_resident_id_parse("110105194912310021", ZN_ID_CHECK_ALL, today, NULL, &err), ZN_EVALIDATE);
    assert_string_equal(err.msg, "check character is 1, expected X");
    assert_int_equal(zn_resident_id_parse("11010519491231002", ZN_ID_CHECK_ALL, today, NULL, &err), ZN_EVALIDATE);
    assert_string_equal(err.msg, "length 17, expected 18");
    /* 1990-02-30: build a number with a correct check digit so only the date is wrong */
    char bad[19] = "33010619900230123";
    bad[17] = zn_resident_id_check_char(bad);
    bad[18] = '\0';
    assert_int_equal(zn_resident_id_parse(bad, ZN_ID_CHECK_ALL, today, NULL, &err), ZN_EVALIDATE);
    assert_string_equal(err.msg, "birth date 19900230 is not a date");
    /* the same with only the check digit checked passes */
    assert_int_equal(zn_resident_id_parse(bad, ZN_ID_CHECK_DIGIT, 0, NULL, &err), ZN_OK);
    /* born in 2030: future */
    char fut[19] = "33010620300101123";
    fut[17] = zn_resident_id_check_char(fut);
    fut[18] = '\0';
    assert_int_equal(zn_resident_id_parse(fut, ZN_ID_CHECK_ALL, today, NULL, &err), ZN_EVALIDATE);
    assert_non_null(strstr(err.msg, "future"));
    /* 2000-02-29 is a real date (leap year), 1900-02-29 is not */
    char leap[19] = "33010620000229123";
    leap[17] = zn_resident_id_check_char(leap);
    leap[18] = '\0';
    assert_int_equal(zn_resident_id_parse(leap, ZN_ID_CHECK_ALL, today, NULL, &err), ZN_OK);
    memcpy(leap + 6, "1900", 4);
    leap[17] = zn_resident_id_check_char(leap);
    assert_int_equal(zn_resident_id_parse(leap, ZN_ID_CHECK_ALL, today, NULL, &err), ZN_EVALIDATE);
    /* region 99 is no province */
    char reg[19] = "99010619900101123";
    reg[17] = zn_resident_id_check_char(reg);
    reg[18] = '\0';
    assert_int_equal(zn_resident_id_parse(reg, ZN_ID_CHECK_ALL, today, NULL, &err), ZN_EVALIDATE);
    assert_string_equal(err.msg, "region 990106 is not a province of China");
    assert_int_equal(zn_resident_id_parse("3301061990010112A3", ZN_ID_CHECK_ALL, today, NULL, &err), ZN_EVALIDATE);
}

static void test_upgrade15(void **state)
{
    (void)state;
    char out[19];
    zn_error err;
    /* 15-digit form of the standard's example: 110105491231002 -> 11010519491231002X */
    assert_int_equal(zn_resident_id_upgrade15("110105491231002", out, &err), ZN_OK);
    assert_string_equal(out, "11010519491231002X");
    assert_int_equal(zn_resident_id_upgrade15("11010549123100", out, &err), ZN_EVALIDATE);
    assert_int_equal(zn_resident_id_upgrade15("11010549123100a", out, &err), ZN_EVALIDATE);
}

static void test_mask(void **state)
{
    (void)state;
    char out[32];
    assert_string_equal(zn_mask_resident_id("330106199001011234", out, sizeof out), "330106********1234");
    assert_string_equal(zn_mask_mobile("13812345678", out, sizeof out), "138****5678");
    assert_string_equal(zn_mask_mobile("12345", out, sizeof out), "1***5");
    assert_string_equal(zn_mask_resident_id("", out, sizeof out), "");
}

static void test_mobile(void **state)
{
    (void)state;
    char out[12];
    zn_error err;
    assert_int_equal(zn_mobile_parse("13812345678", out, &err), ZN_OK);
    assert_string_equal(out, "13812345678");
    assert_int_equal(zn_mobile_parse("+86 138-1234-5678", out, &err), ZN_OK);
    assert_string_equal(out, "13812345678");
    assert_int_equal(zn_mobile_parse("008619912345678", out, &err), ZN_OK);
    assert_string_equal(out, "19912345678");
    assert_int_equal(zn_mobile_parse("12812345678", out, &err), ZN_EVALIDATE);
    assert_int_equal(zn_mobile_parse("1381234567", out, &err), ZN_EVALIDATE);
    assert_int_equal(zn_mobile_parse("0571-87654321", out, &err), ZN_EVALIDATE);
    assert_int_equal(zn_mobile_parse("138123a5678", out, &err), ZN_EVALIDATE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_char), cmocka_unit_test(test_parse_valid), cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_upgrade15),  cmocka_unit_test(test_mask),        cmocka_unit_test(test_mobile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
