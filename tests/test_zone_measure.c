/*
 * Person measures per plan edition, against the numbers of the source tables
 * (../shared/research/outbreak-anchors.md Tables 2, 4, 6; quoted in data/rules/measures-*.json).
 */
#include "zn_test.h"

#include <jansson.h>
#include <string.h>

#include "zhinao/zone.h"

static zn_measure_plan plan(const char *name)
{
    zn_measure_plan p;
    zn_error err;
    if (zn_measure_plan_find(zn_test_src("data/rules"), name, &p, &err) != ZN_OK)
        fail_msg("load %s: %s (%s)", name, err.msg, err.field);
    return p;
}

static int32_t D(const char *s)
{
    int32_t d;
    assert_int_equal(zn_zone_day_parse(s, &d, NULL), ZN_OK);
    return d;
}

static zn_measure compute(const zn_measure_plan *p, const char *role, const char *exposure)
{
    zn_measure m;
    zn_error err;
    int32_t e = D(exposure);
    if (zn_measure_compute(p, role, &e, 1, &m, &err) != ZN_OK)
        fail_msg("%s %s: %s", p->name, role, err.msg);
    return m;
}

static void tests_are(const zn_measure_phase *ph, const char *const *dates, int n)
{
    assert_int_equal(ph->ntests, n);
    for (int i = 0; i < n; i++)
        assert_int_equal(ph->tests[i], D(dates[i]));
}

/* 9th edition, close contact: 7 d centralized (PCR d1, 2, 3, 5, 7) + 3 d home health monitoring
 * (PCR d3), counted from the last exposure; red then yellow then green. */
static void test_plan9(void **state)
{
    (void)state;
    zn_measure_plan p = plan("plan-9");
    zn_measure m = compute(&p, "close_contact", "2022-07-01");
    assert_int_equal(m.determined, 1);
    assert_int_equal(m.nphases, 2);
    assert_int_equal(m.phases[0].kind, ZN_MEASURE_CENTRALIZED_QUARANTINE);
    assert_int_equal(m.phases[0].start, D("2022-07-02"));
    assert_int_equal(m.phases[0].end, D("2022-07-08"));
    const char *c[] = {"2022-07-02", "2022-07-03", "2022-07-04", "2022-07-06", "2022-07-08"};
    tests_are(&m.phases[0], c, 5);
    assert_int_equal(m.phases[1].kind, ZN_MEASURE_HOME_HEALTH_MONITORING);
    assert_int_equal(m.phases[1].start, D("2022-07-09"));
    assert_int_equal(m.phases[1].end, D("2022-07-11"));
    const char *h[] = {"2022-07-11"};
    tests_are(&m.phases[1], h, 1);
    assert_int_equal(m.release, D("2022-07-12"));
    assert_int_equal(zn_measure_code_on(&m, D("2022-07-01")), ZN_CODE_GREEN);
    assert_int_equal(zn_measure_code_on(&m, D("2022-07-02")), ZN_CODE_RED);
    assert_int_equal(zn_measure_code_on(&m, D("2022-07-08")), ZN_CODE_RED);
    assert_int_equal(zn_measure_code_on(&m, D("2022-07-09")), ZN_CODE_YELLOW);
    assert_int_equal(zn_measure_code_on(&m, D("2022-07-11")), ZN_CODE_YELLOW);
    assert_int_equal(zn_measure_code_on(&m, D("2022-07-12")), ZN_CODE_GREEN);

    /* secondary contact: 7 d home isolation, PCR d1, 4, 7 */
    m = compute(&p, "secondary_contact", "2022-07-01");
    assert_int_equal(m.nphases, 1);
    assert_int_equal(m.phases[0].kind, ZN_MEASURE_HOME_QUARANTINE);
    const char *s[] = {"2022-07-02", "2022-07-05", "2022-07-08"};
    tests_are(&m.phases[0], s, 3);
    assert_int_equal(m.release, D("2022-07-09"));

    /* from a high-risk area: 7 d centralized; medium: 7 d home isolation */
    m = compute(&p, "high_risk_area_outflow", "2022-07-01");
    assert_int_equal(m.phases[0].kind, ZN_MEASURE_CENTRALIZED_QUARANTINE);
    assert_int_equal(m.phases[0].end - m.phases[0].start + 1, 7);
    m = compute(&p, "medium_risk_area_outflow", "2022-07-01");
    assert_int_equal(m.phases[0].kind, ZN_MEASURE_HOME_QUARANTINE);
    assert_int_equal(m.phases[0].end - m.phases[0].start + 1, 7);
}

/* 8th edition: 14 d centralized (PCR d1, 4, 7, 14) + 7 d home health monitoring; 封控区 residents
 * 14 d home isolation (PCR d1, 4, 7, 10, 14) + 7 d; Hangzhou 防范区 residents orange until 3 daily
 * negative tests. */
static void test_plan8(void **state)
{
    (void)state;
    zn_measure_plan p = plan("plan-8");
    zn_measure m = compute(&p, "close_contact", "2022-01-10");
    assert_int_equal(m.phases[0].end - m.phases[0].start + 1, 14);
    const char *c[] = {"2022-01-11", "2022-01-14", "2022-01-17", "2022-01-24"};
    tests_are(&m.phases[0], c, 4);
    assert_int_equal(m.phases[1].kind, ZN_MEASURE_HOME_HEALTH_MONITORING);
    assert_int_equal(m.phases[1].end - m.phases[1].start + 1, 7);
    assert_int_equal(m.release, D("2022-02-01"));
    m = compute(&p, "secondary_contact", "2022-01-10");
    assert_int_equal(m.phases[0].kind, ZN_MEASURE_CENTRALIZED_QUARANTINE);
    assert_int_equal(m.release, D("2022-01-18"));
    m = compute(&p, "sealed_zone_resident", "2022-01-10");
    assert_int_equal(m.phases[0].kind, ZN_MEASURE_HOME_QUARANTINE);
    const char *z[] = {"2022-01-11", "2022-01-14", "2022-01-17", "2022-01-20", "2022-01-24"};
    tests_are(&m.phases[0], z, 5);
    assert_int_equal(m.release, D("2022-02-01"));
    m = compute(&p, "precaution_zone_resident", "2022-01-29");
    assert_int_equal(zn_measure_code_on(&m, D("2022-01-30")), ZN_CODE_ORANGE);
    assert_int_equal(zn_measure_code_on(&m, D("2022-02-01")), ZN_CODE_ORANGE);
    assert_int_equal(zn_measure_code_on(&m, D("2022-02-02")), ZN_CODE_GREEN);
    assert_int_equal(m.phases[0].ntests, 3);
}

/* 20 measures: 5 d centralized (PCR d1, 2, 3, 5) + 3 d home isolation (PCR d1, 3), red throughout;
 * secondary contacts no longer determined; spill-over from high-risk areas 7 d home (d1, 3, 5, 7).
 * 新十条: 5 d home isolation, PCR d5. 10th edition: nothing. */
static void test_20_new10_plan10(void **state)
{
    (void)state;
    zn_measure_plan p = plan("20-measures");
    zn_measure m = compute(&p, "close_contact", "2022-11-20");
    const char *c[] = {"2022-11-21", "2022-11-22", "2022-11-23", "2022-11-25"};
    tests_are(&m.phases[0], c, 4);
    assert_int_equal(m.phases[1].kind, ZN_MEASURE_HOME_QUARANTINE);
    const char *h[] = {"2022-11-26", "2022-11-28"};
    tests_are(&m.phases[1], h, 2);
    assert_int_equal(zn_measure_code_on(&m, D("2022-11-28")), ZN_CODE_RED);
    assert_int_equal(m.release, D("2022-11-29"));
    m = compute(&p, "secondary_contact", "2022-11-20");
    assert_int_equal(m.determined, 0);
    assert_int_equal(m.nphases, 0);
    assert_int_equal(m.release, D("2022-11-21"));
    assert_int_equal(zn_measure_code_on(&m, D("2022-11-21")), ZN_CODE_GREEN);
    m = compute(&p, "high_risk_area_outflow", "2022-11-20");
    const char *o[] = {"2022-11-21", "2022-11-23", "2022-11-25", "2022-11-27"};
    tests_are(&m.phases[0], o, 4);

    p = plan("new-10");
    m = compute(&p, "close_contact", "2022-12-10");
    assert_int_equal(m.nphases, 1);
    assert_int_equal(m.phases[0].kind, ZN_MEASURE_HOME_QUARANTINE);
    const char *t[] = {"2022-12-15"};
    tests_are(&m.phases[0], t, 1);
    assert_int_equal(m.release, D("2022-12-16"));

    p = plan("plan-10");
    m = compute(&p, "close_contact", "2023-01-10");
    assert_int_equal(m.determined, 0);
    assert_int_equal(zn_measure_code_on(&m, D("2023-01-11")), ZN_CODE_GREEN);
}

/* A new exposure recomputes everything from the latest one; errors. */
static void test_recompute_and_errors(void **state)
{
    (void)state;
    zn_measure_plan p = plan("plan-9");
    zn_measure m;
    zn_error err;
    int32_t ex[] = {D("2022-07-01"), D("2022-07-04"), D("2022-07-02")};
    assert_int_equal(zn_measure_compute(&p, "close_contact", ex, 3, &m, &err), ZN_OK);
    assert_int_equal(m.reference, D("2022-07-04"));
    assert_int_equal(m.phases[0].start, D("2022-07-05"));
    assert_int_equal(m.release, D("2022-07-15"));
    assert_int_equal(zn_measure_compute(&p, "cousin", ex, 3, &m, &err), ZN_ENOTFOUND);
    assert_non_null(strstr(err.msg, "close_contact"));
    assert_int_equal(zn_measure_compute(&p, "close_contact", ex, 0, &m, &err), ZN_EINVAL);
    assert_int_equal(zn_measure_plan_find(zn_test_src("data/rules"), "plan-99", &p, &err), ZN_ENOTFOUND);

    const char *bad = "{\"name\":\"x\",\"roles\":{\"close_contact\":{\"phases\":[{\"kind\":\"home_quarantine\","
                      "\"days\":5,\"tests\":[6],\"code\":\"red\"}]}}}";
    const char *path = zn_test_write_file("bad-measures.json", bad, strlen(bad));
    assert_int_equal(zn_measure_plan_load(path, &p, &err), ZN_EVALIDATE);
    assert_string_equal(err.field, "roles.close_contact.phases[0]");
}

/* The contact-tracing plans (data/plans, another module's data) must agree on the shared numbers. */
static void test_agrees_with_plans(void **state)
{
    (void)state;
    static const char *pairs[][2] = {
        {"plan-8", "plan-8"}, {"plan-9", "plan-9"}, {"20-measures", "plan-20measures"}, {"plan-10", "plan-10"}};
    int checked = 0;
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "data/plans/%s.json", pairs[i][1]);
        json_error_t je;
        json_t *root = json_load_file(zn_test_src(rel), 0, &je);
        if (!root)
            continue;
        zn_measure_plan p = plan(pairs[i][0]);
        const zn_measure_role *r = zn_measure_plan_role(&p, "close_contact");
        assert_non_null(r);
        json_t *cc = json_object_get(root, "close_contact");
        int central = (int)json_integer_value(json_object_get(json_object_get(cc, "centralized_isolation_days"), "value"));
        int home = (int)json_integer_value(json_object_get(json_object_get(cc, "home_days"), "value"));
        json_t *pcr = json_object_get(json_object_get(cc, "pcr_days"), "value");
        int mine_central = 0, mine_home = 0, first_tests = -1;
        for (int k = 0; k < r->nphases; k++) {
            if (r->phases[k].kind == ZN_MEASURE_CENTRALIZED_QUARANTINE)
                mine_central += r->phases[k].days;
            else
                mine_home += r->phases[k].days;
        }
        if (r->nphases)
            first_tests = 0;
        assert_int_equal(mine_central, central);
        assert_int_equal(mine_home, home);
        if (first_tests == 0 && json_array_size(pcr) > 0) {
            assert_int_equal((int)json_array_size(pcr), r->phases[0].ntests);
            for (int k = 0; k < r->phases[0].ntests; k++)
                assert_int_equal(r->phases[0].tests[k], (int)json_integer_value(json_array_get(pcr, (size_t)k)));
        }
        json_decref(root);
        checked++;
    }
    if (!checked)
        skip();
}

/* Every role of every edition, with its total days from the source tables (Table 2: close
 * contacts 14+7 / 7+3 / 5+3 / 5, secondary contacts 7, inbound travellers as close contacts;
 * Table 4: 封控区 residents 14+7, from high/medium-risk areas 7; Table 6: 橙码 3 days), so that a
 * role added to a file without a number checked here fails. release = reference + 1 + days. */
static void test_every_role(void **state)
{
    (void)state;
    static const struct {
        const char *plan, *role;
        int determined, nphases, days;
    } T[] = {
        {"plan-8", "close_contact", 1, 2, 21},           {"plan-8", "secondary_contact", 1, 1, 7},
        {"plan-8", "inbound_traveller", 1, 2, 21},       {"plan-8", "sealed_zone_resident", 1, 2, 21},
        {"plan-8", "precaution_zone_resident", 1, 1, 3}, {"plan-9", "close_contact", 1, 2, 10},
        {"plan-9", "secondary_contact", 1, 1, 7},        {"plan-9", "inbound_traveller", 1, 2, 10},
        {"plan-9", "high_risk_area_outflow", 1, 1, 7},   {"plan-9", "medium_risk_area_outflow", 1, 1, 7},
        {"20-measures", "close_contact", 1, 2, 8},       {"20-measures", "secondary_contact", 0, 0, 0},
        {"20-measures", "inbound_traveller", 1, 2, 8},   {"20-measures", "high_risk_area_outflow", 1, 1, 7},
        {"new-10", "close_contact", 1, 1, 5},            {"new-10", "secondary_contact", 0, 0, 0},
        {"plan-10", "close_contact", 0, 0, 0},           {"plan-10", "secondary_contact", 0, 0, 0},
        {"plan-10", "inbound_traveller", 0, 0, 0},
    };
    const char *plans[] = {"plan-8", "plan-9", "20-measures", "new-10", "plan-10"};
    for (size_t k = 0; k < sizeof plans / sizeof plans[0]; k++) {
        zn_measure_plan p = plan(plans[k]);
        int listed = 0;
        for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
            if (strcmp(T[i].plan, plans[k]))
                continue;
            listed++;
            zn_measure m = compute(&p, T[i].role, "2022-06-01");
            if (m.determined != T[i].determined || m.nphases != T[i].nphases ||
                m.release != D("2022-06-01") + 1 + T[i].days)
                fail_msg("%s %s: determined %d, %d phases, release +%d", T[i].plan, T[i].role, m.determined,
                         m.nphases, m.release - D("2022-06-01"));
            int sum = 0;
            for (int j = 0; j < m.nphases; j++) {
                sum += m.phases[j].end - m.phases[j].start + 1;
                for (int t = 0; t < m.phases[j].ntests; t++)
                    assert_true(m.phases[j].tests[t] >= m.phases[j].start && m.phases[j].tests[t] <= m.phases[j].end);
            }
            assert_int_equal(sum, T[i].days);
        }
        if (listed != p.nroles)
            fail_msg("%s: %d roles in the file, %d checked here", plans[k], p.nroles, listed);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan9),
        cmocka_unit_test(test_plan8),
        cmocka_unit_test(test_20_new10_plan10),
        cmocka_unit_test(test_recompute_and_errors),
        cmocka_unit_test(test_agrees_with_plans),
        cmocka_unit_test(test_every_role),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
