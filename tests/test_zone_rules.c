/* zone rule sets: the shipped data/rules files read back with the numbers of their sources, and
 * the parser's errors. */
#include "zn_test.h"

#include <math.h>
#include <string.h>

#include "zhinao/zone.h"

static zn_zone_rules load(const char *name)
{
    zn_zone_rules r;
    zn_error err;
    if (zn_zone_rules_find(zn_test_src("data/rules"), name, &r, &err) != ZN_OK)
        fail_msg("load %s: %s (%s)", name, err.msg, err.field);
    return r;
}

static const zn_zone_transition *find_tr(const zn_zone_rules *r, const char *from, int via)
{
    int f = zn_zone_rules_level(r, from);
    for (int i = 0; i < r->ntransitions; i++)
        if (r->transitions[i].from == f && (int)r->transitions[i].via == via)
            return &r->transitions[i];
    fail_msg("no transition from %s", from);
    return NULL;
}

static void test_shanghai_2022_04(void **state)
{
    (void)state;
    zn_zone_rules r = load("shanghai-2022-04");
    assert_string_equal(r.name, "shanghai-2022-04");
    assert_int_equal(r.nlevels, 3);
    assert_string_equal(r.levels[0].name, "sealed");
    assert_string_equal(r.levels[0].zh, "封控区");
    assert_string_equal(r.levels[1].zh, "管控区");
    assert_string_equal(r.levels[2].zh, "防范区");
    assert_int_equal(r.floor, 2);
    assert_int_equal(r.floor_scope, ZN_ZONE_SCOPE_REGISTRY);
    assert_int_equal(r.event_level[ZN_ZONE_EV_CASE], 0);
    assert_int_equal(r.unit_kind, ZN_ZONE_UNIT_PLACE);
    assert_double_near(r.buffer_m, 50, 0);
    /* 近7天内有阳性 → 封控; 7 days → 管控; 近14天内无阳性 → 防范 */
    assert_int_equal(find_tr(&r, "sealed", ZN_ZONE_VIA_ANY)->quiet_days, 7);
    assert_int_equal(find_tr(&r, "sealed", ZN_ZONE_VIA_ANY)->to, 1);
    assert_int_equal(find_tr(&r, "controlled", ZN_ZONE_VIA_ANY)->quiet_days, 7);
    assert_int_equal(find_tr(&r, "controlled", ZN_ZONE_VIA_ANY)->to, 2);
    assert_int_equal(r.missing, ZN_ZONE_MISSING_PAUSE);
    assert_int_equal(r.isolated_cases, 1);
    assert_string_equal(r.in_force_from, "2022-04-11");
    assert_string_equal(r.title_zh, "上海2022年4月11日公布的“三区”划分（封控区、管控区、防范区）");
}

/* Every shipped zone rule set has a Chinese title for the cockpit; the two dated sets name their day. */
static void test_titles_zh(void **state)
{
    (void)state;
    static const char *const sets[] = {"shanghai-2022-04",  "shanghai-2022-05", "three-zones-2021",
                                       "plan-9-risk-areas", "20-measures",      "new-10"};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        zn_zone_rules r = load(sets[i]);
        assert_true(strlen(r.title_zh) > 0);
        assert_non_null(strstr(r.title, "/")); /* the bilingual title stays */
    }
    assert_string_equal(load("plan-9-risk-areas").title_zh, "第九版防控方案风险区划定（高、中、低风险区）");
    assert_non_null(strstr(load("20-measures").title_zh, "2022年11月11日"));
    assert_non_null(strstr(load("new-10").title_zh, "2022年12月7日"));
}

static void test_other_sets(void **state)
{
    (void)state;
    zn_zone_rules r = load("plan-9-risk-areas");
    assert_int_equal(r.nlevels, 3);
    assert_int_equal(r.floor_scope, ZN_ZONE_SCOPE_COUNTY);
    assert_int_equal(find_tr(&r, "high", ZN_ZONE_VIA_ANY)->quiet_days, 7);
    assert_int_equal(find_tr(&r, "medium", ZN_ZONE_VIA_TRANSITION)->quiet_days, 3);
    assert_int_equal(find_tr(&r, "medium", ZN_ZONE_VIA_EVENT)->quiet_days, 7);
    assert_int_equal(r.event_level[ZN_ZONE_EV_EXPOSURE], zn_zone_rules_level(&r, "medium"));

    r = load("three-zones-2021");
    assert_int_equal(find_tr(&r, "sealed", ZN_ZONE_VIA_ANY)->quiet_days, 14);
    assert_int_equal(find_tr(&r, "controlled", ZN_ZONE_VIA_ANY)->quiet_days, 14);
    assert_int_equal(r.event_clock[ZN_ZONE_EV_CONTACT], 1);
    assert_int_equal(r.event_level[ZN_ZONE_EV_CONTACT], ZN_ZONE_NONE);
    assert_int_equal(r.floor_scope, ZN_ZONE_SCOPE_COUNTY);

    r = load("20-measures");
    assert_int_equal(r.nlevels, 2); /* medium abolished */
    assert_int_equal(find_tr(&r, "high", ZN_ZONE_VIA_ANY)->quiet_days, 5);
    assert_string_equal(r.unit_level, "building");
    assert_int_equal(r.isolated_cases, 1);

    r = load("new-10");
    assert_int_equal(find_tr(&r, "high", ZN_ZONE_VIA_ANY)->quiet_days, 5);
    assert_int_equal(r.isolated_cases, 0);

    r = load("shanghai-2022-05");
    assert_int_equal(find_tr(&r, "controlled", ZN_ZONE_VIA_TRANSITION)->quiet_days, 3);
    assert_int_equal(find_tr(&r, "controlled", ZN_ZONE_VIA_EVENT)->quiet_days, 7);
    assert_string_equal(zn_zone_rules_level_name(&r, ZN_ZONE_NONE), "none");
    assert_string_equal(zn_zone_rules_level_name(&r, 9), "?");
}

static void test_errors(void **state)
{
    (void)state;
    zn_zone_rules r;
    zn_error err;
    assert_int_equal(zn_zone_rules_parse("{\"name\": \"x\",\n \"levels\": [}", "t.json", &r, &err), ZN_EPARSE);
    assert_int_equal(err.line, 2);
    assert_string_equal(err.file, "t.json");

    const char *no_quiet = "{\"name\":\"x\",\"unit\":{\"level\":\"place\"},\"levels\":[{\"name\":\"a\"},{\"name\":\"b\"}],"
                           "\"events\":{\"case\":{\"level\":\"a\"}},"
                           "\"transitions\":[{\"from\":\"a\",\"to\":\"b\",\"quiet_days\":7},{\"from\":\"a\",\"to\":\"b\"}]}";
    assert_int_equal(zn_zone_rules_parse(no_quiet, NULL, &r, &err), ZN_EPARSE);
    assert_string_equal(err.field, "transitions[1].quiet_days");

    const char *upward = "{\"name\":\"x\",\"unit\":{\"level\":\"place\"},\"levels\":[{\"name\":\"a\"},{\"name\":\"b\"}],"
                         "\"events\":{\"case\":{\"level\":\"a\"}},"
                         "\"transitions\":[{\"from\":\"b\",\"to\":\"a\",\"quiet_days\":7}]}";
    assert_int_equal(zn_zone_rules_parse(upward, NULL, &r, &err), ZN_EVALIDATE);

    const char *unknown_level = "{\"name\":\"x\",\"unit\":{\"level\":\"place\"},\"levels\":[{\"name\":\"a\"}],"
                                "\"events\":{\"case\":{\"level\":\"sealed\"}},\"transitions\":[]}";
    assert_int_equal(zn_zone_rules_parse(unknown_level, NULL, &r, &err), ZN_EVALIDATE);
    assert_string_equal(err.field, "events.case");

    const char *twice = "{\"name\":\"x\",\"unit\":{\"level\":\"place\"},\"levels\":[{\"name\":\"a\"},{\"name\":\"a\"}],"
                        "\"events\":{},\"transitions\":[]}";
    assert_int_equal(zn_zone_rules_parse(twice, NULL, &r, &err), ZN_EVALIDATE);

    const char *bad_unit = "{\"name\":\"x\",\"unit\":{\"level\":\"planet\"},\"levels\":[{\"name\":\"a\"}],"
                           "\"events\":{},\"transitions\":[]}";
    assert_int_equal(zn_zone_rules_parse(bad_unit, NULL, &r, &err), ZN_EVALIDATE);
    assert_string_equal(err.field, "unit.level");

    const char *minimal = "{\"name\":\"x\",\"unit\":{\"level\":\"grid\",\"cell_m\":500},\"levels\":[{\"name\":\"a\"}],"
                          "\"events\":{\"case\":{\"level\":\"a\"}},\"transitions\":[{\"from\":\"a\",\"to\":\"none\","
                          "\"quiet_days\":3}],\"missing_days\":\"quiet\"}";
    assert_int_equal(zn_zone_rules_parse(minimal, NULL, &r, &err), ZN_OK);
    assert_int_equal(r.unit_kind, ZN_ZONE_UNIT_GRID);
    assert_int_equal(r.grid_m, 500);
    assert_int_equal(r.floor, ZN_ZONE_NONE);
    assert_int_equal(r.transitions[0].to, ZN_ZONE_NONE);
    assert_int_equal(r.missing, ZN_ZONE_MISSING_QUIET);
    assert_string_equal(r.title_zh, ""); /* optional */

    /* title_zh: a string, under 256 bytes */
#define TZ(v)                                                                                                         \
    "{\"name\":\"x\",\"title_zh\":" v ",\"unit\":{\"level\":\"place\"},\"levels\":[{\"name\":\"a\"}],\"events\":{},"    \
    "\"transitions\":[]}"
    assert_int_equal(zn_zone_rules_parse(TZ("\"测试规则\""), NULL, &r, &err), ZN_OK);
    assert_string_equal(r.title_zh, "测试规则");
    assert_int_equal(zn_zone_rules_parse(TZ("7"), NULL, &r, &err), ZN_EPARSE);
    assert_string_equal(err.field, "title_zh");
    char big[400] = "{\"name\":\"x\",\"title_zh\":\"";
    memset(big + strlen(big), 'z', 256);
    strcat(big, "\",\"unit\":{\"level\":\"place\"},\"levels\":[{\"name\":\"a\"}],\"events\":{},\"transitions\":[]}");
    assert_int_equal(zn_zone_rules_parse(big, NULL, &r, &err), ZN_EPARSE);
    assert_string_equal(err.field, "title_zh");
#undef TZ

    /* negative test rounds: "requires" and its window */
#define T1(tr, ev)                                                                                                    \
    "{\"name\":\"x\",\"unit\":{\"level\":\"place\"},\"levels\":[{\"name\":\"a\"}],\"events\":{\"case\":{\"level\":\"a\"}" ev "},"    \
    "\"transitions\":[{\"from\":\"a\",\"to\":\"none\",\"quiet_days\":3" tr "}]}"
    assert_int_equal(zn_zone_rules_parse(T1(",\"requires\":\"negative_test\",\"test_window_days\":2", ""), NULL, &r, &err),
                     ZN_OK);
    assert_int_equal(r.transitions[0].requires_test, 1);
    assert_int_equal(r.transitions[0].test_window_days, 2);
    assert_int_equal(zn_zone_rules_parse(T1(",\"requires\":\"antigen\"", ""), NULL, &r, &err), ZN_EVALIDATE);
    assert_string_equal(err.field, "transitions[0]");
    assert_int_equal(zn_zone_rules_parse(T1(",\"test_window_days\":2", ""), NULL, &r, &err), ZN_EVALIDATE);
    assert_string_equal(err.field, "transitions[0].test_window_days");
    assert_int_equal(zn_zone_rules_parse(T1(",\"requires\":\"negative_test\",\"test_window_days\":-1", ""), NULL, &r,
                                         &err),
                     ZN_EPARSE);
    assert_int_equal(zn_zone_rules_parse(T1("", ",\"test_negative\":{\"level\":\"a\"}"), NULL, &r, &err), ZN_EVALIDATE);
    assert_string_equal(err.field, "events.test_negative");
    assert_int_equal(zn_zone_rules_parse(T1("", ",\"test_negative\":{}"), NULL, &r, &err), ZN_OK);
    assert_int_equal(r.transitions[0].requires_test, 0);
    assert_int_equal(r.event_level[ZN_ZONE_EV_TEST_NEGATIVE], ZN_ZONE_NONE);
#undef T1
    zn_zone_event_kind k;
    assert_int_equal(zn_zone_event_kind_parse("test_negative", &k), ZN_OK);
    assert_int_equal(k, ZN_ZONE_EV_TEST_NEGATIVE);
    assert_string_equal(zn_zone_event_kind_name(ZN_ZONE_EV_TEST_NEGATIVE), "test_negative");

    assert_int_equal(zn_zone_rules_find(zn_test_src("data/rules"), "no-such-rules", &r, &err), ZN_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shanghai_2022_04),
        cmocka_unit_test(test_other_sets),
        cmocka_unit_test(test_titles_zh),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
