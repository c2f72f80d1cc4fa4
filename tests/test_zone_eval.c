/*
 * zone kernel: each shipped rule set's transitions on small hand-built timelines (day numbers
 * hand-counted from the rule texts quoted in the data/rules files).
 */
#include "zn_test.h"

#include <math.h>
#include <string.h>

#include "zhinao/time.h"
#include "zhinao/zone.h"

static zn_zone_rules load(const char *name)
{
    zn_zone_rules r;
    zn_error err;
    if (zn_zone_rules_find(zn_test_src("data/rules"), name, &r, &err) != ZN_OK)
        fail_msg("load %s: %s", name, err.msg);
    return r;
}

#define L0 ((int32_t)19083) /* 2022-04-01 */

static int lvl(const zn_zone_rules *r, const char *name)
{
    int l = zn_zone_rules_level(r, name);
    assert_true(l >= -1);
    return l;
}

/* Level of unit u on day d. */
static int at(const zn_zone_result *res, int32_t u, int32_t d)
{
    const zn_zone_period *p = zn_zone_result_at(res, u, d);
    if (!p)
        fail_msg("no period for unit %d on day %d", u, d);
    return p->level;
}

static const zn_zone_period *per(const zn_zone_result *res, int32_t u, int32_t d)
{
    const zn_zone_period *p = zn_zone_result_at(res, u, d);
    assert_non_null(p);
    return p;
}

static void run(const zn_zone_rules *r, zn_zone_input *in, zn_zone_result *res)
{
    zn_error err;
    if (zn_zone_evaluate(r, in, res, &err) != ZN_OK)
        fail_msg("evaluate: %s", err.msg);
}

static void test_day_parse(void **state)
{
    (void)state;
    int32_t d;
    char buf[16];
    assert_int_equal(zn_days_from_civil(2022, 4, 1), L0);
    assert_int_equal(zn_zone_day_parse("2022-04-01", &d, NULL), ZN_OK);
    assert_int_equal(d, L0);
    assert_int_equal(zn_zone_day_parse("20220419", &d, NULL), ZN_OK);
    assert_int_equal(d, L0 + 18);
    assert_string_equal(zn_zone_day_format(L0 + 18, buf, sizeof buf), "2022-04-19");
    assert_int_equal(zn_zone_day_parse("2022-02-30", &d, NULL), ZN_EPARSE);
    assert_int_equal(zn_zone_day_parse("April 1", &d, NULL), ZN_EPARSE);
    assert_int_equal(zn_zone_day_parse("2022-04-01x", &d, NULL), ZN_EPARSE);
}

/* Shanghai 2022-04: one case on L. Sealed = a positive in the last 7 days: L .. L+6;
 * controlled L+7 .. L+13; precaution from L+14 (lifting exactly at the day boundary). */
static void test_shanghai_single_case(void **state)
{
    (void)state;
    zn_zone_rules r = load("shanghai-2022-04");
    int S = lvl(&r, "sealed"), C = lvl(&r, "controlled"), P = lvl(&r, "precaution");
    zn_zone_event ev[] = {{.unit = 0, .day = L0 + 2, .kind = ZN_ZONE_EV_CASE}};
    zn_zone_input in = {.nunits = 3, .events = ev, .nevents = 1, .from = L0, .to = L0 + 30, .missing = -1};
    zn_zone_result res;
    run(&r, &in, &res);
    int32_t L = L0 + 2;
    assert_int_equal(at(&res, 0, L - 1), P);
    assert_int_equal(at(&res, 0, L), S);
    assert_int_equal(at(&res, 0, L + 6), S);
    assert_int_equal(at(&res, 0, L + 7), C);
    assert_int_equal(at(&res, 0, L + 13), C);
    assert_int_equal(at(&res, 0, L + 14), P);
    /* entry and due days */
    const zn_zone_period *p = per(&res, 0, L + 3);
    assert_int_equal(p->entered, L);
    assert_int_equal(p->due, L + 7);
    assert_int_equal(p->from, L);
    assert_int_equal(p->to, L + 6);
    assert_int_equal(p->cause, ZN_ZONE_CAUSE_EVENT);
    p = per(&res, 0, L + 10);
    assert_int_equal(p->entered, L + 7);
    assert_int_equal(p->due, L + 14);
    assert_int_equal(p->cause, ZN_ZONE_CAUSE_TRANSITION);
    p = per(&res, 0, L + 20);
    assert_int_equal(p->entered, L + 14);
    assert_int_equal(p->due, ZN_ZONE_NO_DAY);
    assert_int_equal(p->to, L0 + 30);
    /* before the case: precaution since the start of the run */
    p = per(&res, 0, L0);
    assert_int_equal(p->cause, ZN_ZONE_CAUSE_START);
    assert_int_equal(p->to, L - 1);
    /* the other units never move: one period each */
    assert_int_equal(at(&res, 1, L + 3), P);
    assert_int_equal(res.nperiods, 4 + 2);
    /* counts */
    assert_int_equal(zn_zone_result_units(&res, L, S), 1);
    assert_int_equal(zn_zone_result_units(&res, L, P), 2);
    assert_int_equal(zn_zone_result_units(&res, L + 7, C), 1);
    assert_int_equal(zn_zone_result_units(&res, L + 7, S), 0);
    assert_int_equal(zn_zone_result_units(&res, L + 14, P), 3);
    assert_int_equal(zn_zone_result_units(&res, L, ZN_ZONE_NONE), 0);
    assert_int_equal(res.events[L - L0], 1);
    assert_int_equal(res.known[5], 1);
    zn_zone_result_fini(&res);
}

/* Cases on three consecutive days L, L+1, L+2: sealed until L+8 (7 days after the last), the
 * stay keeps its entry day L; each case restarts the clock (a new row, cause reset). */
static void test_shanghai_consecutive(void **state)
{
    (void)state;
    zn_zone_rules r = load("shanghai-2022-04");
    int S = lvl(&r, "sealed"), C = lvl(&r, "controlled"), P = lvl(&r, "precaution");
    int32_t L = L0 + 1;
    zn_zone_event ev[] = {{0, L + 2, ZN_ZONE_EV_CASE, 0}, {0, L, ZN_ZONE_EV_CASE, 0}, {0, L + 1, ZN_ZONE_EV_CASE, 0},
                          {0, L + 1, ZN_ZONE_EV_CASE, 0}}; /* unsorted, two on one day */
    zn_zone_input in = {.nunits = 1, .events = ev, .nevents = 4, .from = L0, .to = L0 + 40, .missing = -1};
    zn_zone_result res;
    run(&r, &in, &res);
    assert_int_equal(at(&res, 0, L + 8), S);
    assert_int_equal(at(&res, 0, L + 9), C);
    assert_int_equal(at(&res, 0, L + 15), C);
    assert_int_equal(at(&res, 0, L + 16), P);
    const zn_zone_period *p = per(&res, 0, L);
    assert_int_equal(p->entered, L);
    assert_int_equal(p->due, L + 7);
    assert_int_equal(p->to, L); /* the next day's case restarts the clock */
    p = per(&res, 0, L + 1);
    assert_int_equal(p->entered, L);
    assert_int_equal(p->cause, ZN_ZONE_CAUSE_RESET);
    assert_int_equal(p->due, L + 8);
    p = per(&res, 0, L + 5);
    assert_int_equal(p->entered, L);
    assert_int_equal(p->due, L + 9);
    assert_int_equal(p->from, L + 2);
    assert_int_equal(p->to, L + 8);
    assert_int_equal(res.events[L + 1 - L0], 2);
    zn_zone_result_fini(&res);
}

/* A new case moves a controlled unit back to sealed; a case in a sealed unit restarts its 7 days. */
static void test_shanghai_resets(void **state)
{
    (void)state;
    zn_zone_rules r = load("shanghai-2022-04");
    int S = lvl(&r, "sealed"), C = lvl(&r, "controlled"), P = lvl(&r, "precaution");
    int32_t L = L0;
    zn_zone_event ev[] = {{0, L, ZN_ZONE_EV_CASE, 0}, {0, L + 10, ZN_ZONE_EV_CASE, 0},
                          {1, L, ZN_ZONE_EV_CASE, 0}, {1, L + 5, ZN_ZONE_EV_CASE, 0},
                          {2, L + 14, ZN_ZONE_EV_CASE, 0}};
    zn_zone_input in = {.nunits = 3, .events = ev, .nevents = 5, .from = L0, .to = L0 + 40, .missing = -1};
    zn_zone_result res;
    run(&r, &in, &res);
    /* unit 0: controlled L+7 .. L+9, sealed again from L+10 (entered anew) */
    assert_int_equal(at(&res, 0, L + 9), C);
    assert_int_equal(at(&res, 0, L + 10), S);
    assert_int_equal(per(&res, 0, L + 10)->entered, L + 10);
    assert_int_equal(per(&res, 0, L + 10)->cause, ZN_ZONE_CAUSE_EVENT);
    assert_int_equal(at(&res, 0, L + 16), S);
    assert_int_equal(at(&res, 0, L + 17), C);
    assert_int_equal(at(&res, 0, L + 23), C);
    assert_int_equal(at(&res, 0, L + 24), P);
    /* unit 1: sealed L .. L+11 */
    assert_int_equal(at(&res, 1, L + 11), S);
    assert_int_equal(at(&res, 1, L + 12), C);
    assert_int_equal(per(&res, 1, L + 11)->entered, L);
    /* unit 2: precaution until its first case on L+14 */
    assert_int_equal(at(&res, 2, L + 13), P);
    assert_int_equal(at(&res, 2, L + 14), S);
    zn_zone_result_fini(&res);
}

/* A day without a published list is unknown: under "pause" it does not count as quiet, so the
 * unit stays one day longer; under "quiet" it counts. Due days account for known unknown days. */
static void test_missing_days(void **state)
{
    (void)state;
    zn_zone_rules r = load("shanghai-2022-04");
    int S = lvl(&r, "sealed"), C = lvl(&r, "controlled"), P = lvl(&r, "precaution");
    int32_t L = L0;
    zn_zone_event ev[] = {{0, L, ZN_ZONE_EV_CASE, 0}};
    int32_t unknown[] = {L + 3, L + 50};
    zn_zone_input in = {.nunits = 1, .events = ev, .nevents = 1, .unknown_days = unknown, .nunknown = 2,
                        .from = L0, .to = L0 + 30, .missing = -1};
    zn_zone_result res;
    run(&r, &in, &res);
    assert_int_equal(res.missing, ZN_ZONE_MISSING_PAUSE);
    assert_int_equal(at(&res, 0, L + 7), S);
    assert_int_equal(at(&res, 0, L + 8), C);
    assert_int_equal(per(&res, 0, L)->due, L + 8);
    assert_int_equal(per(&res, 0, L + 8)->due, L + 15);
    assert_int_equal(at(&res, 0, L + 14), C);
    assert_int_equal(at(&res, 0, L + 15), P);
    assert_int_equal(res.known[3], 0);
    assert_int_equal(res.known[4], 1);
    zn_zone_result_fini(&res);

    in.missing = ZN_ZONE_MISSING_QUIET;
    run(&r, &in, &res);
    assert_int_equal(at(&res, 0, L + 6), S);
    assert_int_equal(at(&res, 0, L + 7), C);
    assert_int_equal(at(&res, 0, L + 14), P);
    zn_zone_result_fini(&res);
}

/* Manual overrides: lift a sealed unit early (a new case seals it again), seal a unit never
 * listed (it then follows the rules), and the override id is kept in the history. */
static void test_override(void **state)
{
    (void)state;
    zn_zone_rules r = load("shanghai-2022-04");
    int S = lvl(&r, "sealed"), C = lvl(&r, "controlled"), P = lvl(&r, "precaution");
    int32_t L = L0;
    zn_zone_event ev[] = {{0, L, ZN_ZONE_EV_CASE, 0}, {0, L + 4, ZN_ZONE_EV_CASE, 0}};
    zn_zone_override ov[] = {{.unit = 0, .day = L + 2, .level = P, .id = 42},
                             {.unit = 1, .day = L + 1, .level = S, .id = 43}};
    zn_zone_input in = {.nunits = 2, .events = ev, .nevents = 2, .overrides = ov, .noverrides = 2,
                        .from = L0, .to = L0 + 30, .missing = -1};
    zn_zone_result res;
    run(&r, &in, &res);
    assert_int_equal(at(&res, 0, L + 1), S);
    assert_int_equal(at(&res, 0, L + 2), P);
    const zn_zone_period *p = per(&res, 0, L + 3);
    assert_int_equal(p->cause, ZN_ZONE_CAUSE_OVERRIDE);
    assert_int_equal(p->override_id, 42);
    assert_int_equal(p->entered, L + 2);
    assert_int_equal(at(&res, 0, L + 4), S);
    assert_int_equal(per(&res, 0, L + 4)->override_id, 0);
    assert_int_equal(at(&res, 0, L + 10), S);
    assert_int_equal(at(&res, 0, L + 11), C);
    assert_int_equal(at(&res, 1, L), P);
    assert_int_equal(at(&res, 1, L + 1), S);
    assert_int_equal(per(&res, 1, L + 1)->override_id, 43);
    assert_int_equal(at(&res, 1, L + 7), S);
    assert_int_equal(at(&res, 1, L + 8), C);
    assert_int_equal(at(&res, 1, L + 15), P);
    zn_zone_result_fini(&res);
}

/* Plan 9: high -> medium after 7 quiet days -> low after 3 more; medium (exposure) -> low after 7;
 * low is the rest of the county while it has high or medium areas, then no zone at all. */
static void test_plan9(void **state)
{
    (void)state;
    zn_zone_rules r = load("plan-9-risk-areas");
    int H = lvl(&r, "high"), M = lvl(&r, "medium"), Lo = lvl(&r, "low"), N = ZN_ZONE_NONE;
    int32_t L = L0 + 1;
    /* units 0, 1, 2 in county 0, unit 3 in county 1 */
    int32_t county[] = {0, 0, 0, 1};
    int64_t pop[] = {1000, 250, -1, 40};
    zn_zone_event ev[] = {{0, L, ZN_ZONE_EV_CASE, 0}, {1, L + 2, ZN_ZONE_EV_EXPOSURE, 0}};
    zn_zone_input in = {.nunits = 4, .unit_county = county, .unit_population = pop, .events = ev, .nevents = 2,
                        .from = L0, .to = L0 + 30, .missing = -1};
    zn_zone_result res;
    run(&r, &in, &res);
    assert_int_equal(at(&res, 0, L0), N);
    assert_int_equal(at(&res, 2, L0), N);
    assert_int_equal(at(&res, 0, L), H);
    assert_int_equal(at(&res, 2, L), Lo); /* same county */
    assert_int_equal(per(&res, 2, L)->cause, ZN_ZONE_CAUSE_SCOPE);
    assert_int_equal(at(&res, 3, L), N);  /* other county */
    assert_int_equal(at(&res, 0, L + 6), H);
    assert_int_equal(at(&res, 0, L + 7), M);
    assert_int_equal(per(&res, 0, L + 7)->due, L + 10);
    assert_int_equal(at(&res, 0, L + 9), M);
    /* unit 1: medium by exposure on L+2 for 7 days: L+2 .. L+8, then low */
    assert_int_equal(at(&res, 1, L + 8), M);
    assert_int_equal(per(&res, 1, L + 2)->due, L + 9);
    assert_int_equal(at(&res, 1, L + 9), Lo);
    /* L+10: unit 0 drops to low, no high/medium left in the county: no zones */
    assert_int_equal(at(&res, 0, L + 10), N);
    assert_int_equal(at(&res, 1, L + 10), N);
    assert_int_equal(at(&res, 2, L + 10), N);
    /* counts and population (unit 2's is unknown) */
    assert_int_equal(zn_zone_result_units(&res, L + 3, H), 1);
    assert_int_equal(zn_zone_result_units(&res, L + 3, M), 1);
    assert_int_equal(zn_zone_result_units(&res, L + 3, Lo), 1);
    assert_int_equal(zn_zone_result_units(&res, L + 3, N), 1);
    int di = L + 3 - L0;
    assert_int_equal(res.population[di * 4 + H], 1000);
    assert_int_equal(res.population[di * 4 + M], 250);
    assert_int_equal(res.population[di * 4 + Lo], 0);
    assert_int_equal(res.population_units[di * 4 + Lo], 0);
    assert_int_equal(res.population[di * 4 + 3], 40);
    zn_zone_result_fini(&res);

    /* a case in a medium unit (entered by transition) makes it high again */
    zn_zone_event ev2[] = {{0, L, ZN_ZONE_EV_CASE, 0}, {0, L + 8, ZN_ZONE_EV_CASE, 0}};
    in.events = ev2;
    run(&r, &in, &res);
    assert_int_equal(at(&res, 0, L + 7), M);
    assert_int_equal(at(&res, 0, L + 8), H);
    assert_int_equal(at(&res, 0, L + 14), H);
    assert_int_equal(at(&res, 0, L + 15), M);
    assert_int_equal(at(&res, 0, L + 18), N);
    zn_zone_result_fini(&res);
}

/* Three zones 2021: lifting needs 14 days without a case, the last close contact's exposure
 * past 14 days (a contact restarts the clock) AND a negative round of testing of the whole unit
 * on one of the 2 days before the lifting day, after the last case ("解封前2天区域内所有人员完成一轮
 * 核酸筛查，均为阴性", data/rules/three-zones-2021.json). */
static void test_three_zones_2021(void **state)
{
    (void)state;
    zn_zone_rules r = load("three-zones-2021");
    int S = lvl(&r, "sealed"), C = lvl(&r, "controlled"), P = lvl(&r, "precaution"), N = ZN_ZONE_NONE;
    assert_int_equal(r.transitions[0].requires_test, 1);
    assert_int_equal(r.transitions[0].test_window_days, 2);
    int32_t L = L0;
    const uint8_t T = ZN_ZONE_EV_TEST_NEGATIVE;
    zn_zone_event ev[] = {
        /* 0: case L, round L+12: lifted exactly on L+14 */
        {0, L, ZN_ZONE_EV_CASE, 0}, {0, L + 12, T, 0},
        /* 1: controlled by exposure L+1, a contact's last exposure L+3, round L+16: lifted L+17 */
        {1, L + 1, ZN_ZONE_EV_EXPOSURE, 0}, {1, L + 3, ZN_ZONE_EV_CONTACT, 0}, {1, L + 16, T, 0},
        /* 2: a contact alone raises nothing */
        {2, L + 2, ZN_ZONE_EV_CONTACT, 0},
        /* 3: round L+11 is 3 days before L+14: too early; the next round L+20 lifts on L+21 */
        {3, L, ZN_ZONE_EV_CASE, 0}, {3, L + 11, T, 0}, {3, L + 20, T, 0},
        /* 4: round L+12, then a new case L+13 resets: quiet again L+27, round L+28, lifted L+29 */
        {4, L, ZN_ZONE_EV_CASE, 0}, {4, L + 12, T, 0}, {4, L + 13, ZN_ZONE_EV_CASE, 0}, {4, L + 28, T, 0},
        /* 5: a round on the lifting day itself is not "before" it: lifted the next day */
        {5, L, ZN_ZONE_EV_CASE, 0}, {5, L + 14, T, 0},
    };
    zn_zone_input in = {.nunits = 6, .events = ev, .nevents = sizeof ev / sizeof ev[0], .from = L0, .to = L0 + 40,
                        .missing = -1};
    zn_zone_result res;
    run(&r, &in, &res);
    /* unit 0 */
    assert_int_equal(per(&res, 0, L)->due, ZN_ZONE_NO_DAY); /* pending: no round yet */
    assert_int_equal(at(&res, 0, L + 11), S);
    assert_int_equal(per(&res, 0, L + 12)->due, L + 14); /* known once the round is recorded */
    assert_int_equal(per(&res, 0, L + 12)->entered, L);
    assert_int_equal(at(&res, 0, L + 13), S);
    assert_int_equal(at(&res, 0, L + 14), P);
    assert_int_equal(per(&res, 0, L + 14)->cause, ZN_ZONE_CAUSE_TRANSITION);
    /* unit 1 */
    assert_int_equal(at(&res, 1, L + 1), C);
    assert_int_equal(per(&res, 1, L + 3)->anchor, L + 3);
    assert_int_equal(at(&res, 1, L + 16), C);
    assert_int_equal(per(&res, 1, L + 16)->due, L + 17);
    assert_int_equal(at(&res, 1, L + 17), P);
    /* unit 2 */
    assert_int_equal(at(&res, 2, L + 2), P);
    /* unit 3: quiet since L+14 but no round in the window: stays, due unknown */
    assert_int_equal(per(&res, 3, L + 11)->due, ZN_ZONE_NO_DAY);
    assert_int_equal(at(&res, 3, L + 14), S);
    assert_int_equal(per(&res, 3, L + 14)->due, ZN_ZONE_NO_DAY);
    assert_int_equal(at(&res, 3, L + 20), S);
    assert_int_equal(per(&res, 3, L + 20)->due, L + 21);
    assert_int_equal(at(&res, 3, L + 21), P);
    /* unit 4: the round before the new case does not count */
    assert_int_equal(at(&res, 4, L + 14), S);
    assert_int_equal(per(&res, 4, L + 13)->cause, ZN_ZONE_CAUSE_RESET);
    assert_int_equal(per(&res, 4, L + 13)->due, ZN_ZONE_NO_DAY);
    assert_int_equal(at(&res, 4, L + 27), S);
    assert_int_equal(at(&res, 4, L + 28), S);
    assert_int_equal(at(&res, 4, L + 29), N); /* the county's last raised unit: no zones left */
    assert_int_equal(per(&res, 4, L + 29)->cause, ZN_ZONE_CAUSE_TRANSITION);
    /* unit 5 */
    assert_int_equal(at(&res, 5, L + 14), S);
    assert_int_equal(per(&res, 5, L + 14)->due, L + 15);
    assert_int_equal(at(&res, 5, L + 15), P);
    /* the county's precaution zone ends when its last sealed or controlled unit is lifted */
    assert_int_equal(at(&res, 0, L + 28), P);
    assert_int_equal(at(&res, 0, L + 29), N);
    assert_int_equal(at(&res, 2, L + 29), N);
    zn_zone_result_fini(&res);

    /* without the rounds nothing is ever lifted */
    zn_zone_event ev2[] = {{0, L, ZN_ZONE_EV_CASE, 0}};
    in.events = ev2;
    in.nevents = 1;
    run(&r, &in, &res);
    assert_int_equal(at(&res, 0, L0 + 40), S);
    assert_int_equal(per(&res, 0, L0 + 40)->due, ZN_ZONE_NO_DAY);
    zn_zone_result_fini(&res);
}

/* "requires": "negative_test" without a window: any round after the last case counts, one on
 * the day of the case does not (the round found that case). */
static void test_negative_round_no_window(void **state)
{
    (void)state;
    const char *json = "{\"name\":\"t\",\"unit\":{\"level\":\"place\"},\"levels\":[{\"name\":\"sealed\"}],"
                       "\"events\":{\"case\":{\"level\":\"sealed\"},\"test_negative\":{}},"
                       "\"transitions\":[{\"from\":\"sealed\",\"to\":\"none\",\"quiet_days\":3,"
                       "\"requires\":\"negative_test\"}]}";
    zn_zone_rules r;
    zn_error err;
    assert_int_equal(zn_zone_rules_parse(json, NULL, &r, &err), ZN_OK);
    assert_int_equal(r.transitions[0].test_window_days, 0);
    int S = 0, N = ZN_ZONE_NONE;
    int32_t L = L0;
    const uint8_t T = ZN_ZONE_EV_TEST_NEGATIVE;
    zn_zone_event ev[] = {/* 0: round L+1 before the case of L+2: stays until the round of L+6 */
                          {0, L, ZN_ZONE_EV_CASE, 0}, {0, L + 1, T, 0}, {0, L + 2, ZN_ZONE_EV_CASE, 0}, {0, L + 6, T, 0},
                          /* 1: round on the case day does not count; round L+1 lifts on L+3 */
                          {1, L, ZN_ZONE_EV_CASE, 0}, {1, L, T, 0}, {1, L + 1, T, 0},
                          /* 2: a round with no unit raised changes nothing */
                          {2, L + 1, T, 0}};
    zn_zone_input in = {.nunits = 3, .events = ev, .nevents = sizeof ev / sizeof ev[0], .from = L0, .to = L0 + 10,
                        .missing = -1};
    zn_zone_result res;
    run(&r, &in, &res);
    assert_int_equal(at(&res, 0, L + 5), S);
    assert_int_equal(per(&res, 0, L + 5)->due, ZN_ZONE_NO_DAY);
    assert_int_equal(at(&res, 0, L + 6), S);
    assert_int_equal(per(&res, 0, L + 6)->due, L + 7);
    assert_int_equal(at(&res, 0, L + 7), N);
    assert_int_equal(per(&res, 1, L)->due, ZN_ZONE_NO_DAY);
    assert_int_equal(per(&res, 1, L + 1)->due, L + 3);
    assert_int_equal(at(&res, 1, L + 2), S);
    assert_int_equal(at(&res, 1, L + 3), N);
    assert_int_equal(at(&res, 2, L + 1), N);
    assert_int_equal(zn_zone_result_units(&res, L + 1, N), 1);
    zn_zone_result_fini(&res);
}

/* 20 measures: building-level high risk, 5 quiet days; new-10: the same, and a case found in
 * isolation neither creates nor resets a high-risk unit. */
static void test_20_and_new10(void **state)
{
    (void)state;
    zn_zone_rules r20 = load("20-measures"), r10 = load("new-10");
    assert_int_equal(r20.unit_kind, ZN_ZONE_UNIT_BUILDING);
    assert_string_equal(r20.unit_level, "building");
    int H = lvl(&r20, "high"), N = ZN_ZONE_NONE;
    int32_t L = L0;
    zn_zone_event ev[] = {{0, L, ZN_ZONE_EV_CASE, 0}, {0, L + 3, ZN_ZONE_EV_CASE, 1}, {1, L + 1, ZN_ZONE_EV_CASE, 1}};
    zn_zone_input in = {.nunits = 2, .events = ev, .nevents = 3, .from = L0, .to = L0 + 20, .missing = -1};
    zn_zone_result res;
    run(&r20, &in, &res);
    assert_int_equal(at(&res, 0, L + 7), H);
    assert_int_equal(at(&res, 0, L + 8), N);
    assert_int_equal(at(&res, 1, L + 1), H);
    assert_int_equal(at(&res, 1, L + 5), H);
    assert_int_equal(at(&res, 1, L + 6), lvl(&r20, "low")); /* unit 0 is still high */
    assert_int_equal(at(&res, 1, L + 8), N);
    zn_zone_result_fini(&res);
    run(&r10, &in, &res);
    assert_int_equal(at(&res, 0, L + 4), H);
    assert_int_equal(at(&res, 0, L + 5), N);
    assert_int_equal(at(&res, 1, L + 1), lvl(&r10, "low")); /* only as the rest of unit 0's county */
    assert_int_equal(at(&res, 1, L + 5), N);
    assert_int_equal(res.events[3], 0); /* the isolated case was not applied */
    zn_zone_result_fini(&res);
}

/* Shanghai May 2022: sealed 7 -> controlled 3 -> precaution; directly controlled units stay 7. */
static void test_shanghai_may(void **state)
{
    (void)state;
    zn_zone_rules r = load("shanghai-2022-05");
    int S = lvl(&r, "sealed"), C = lvl(&r, "controlled"), P = lvl(&r, "precaution");
    int32_t L = L0;
    zn_zone_event ev[] = {{0, L, ZN_ZONE_EV_CASE, 0}, {1, L, ZN_ZONE_EV_EXPOSURE, 0}};
    zn_zone_input in = {.nunits = 2, .events = ev, .nevents = 2, .from = L0, .to = L0 + 20, .missing = -1};
    zn_zone_result res;
    run(&r, &in, &res);
    assert_int_equal(at(&res, 0, L + 6), S);
    assert_int_equal(at(&res, 0, L + 9), C);
    assert_int_equal(at(&res, 0, L + 10), P);
    assert_int_equal(at(&res, 1, L + 6), C);
    assert_int_equal(at(&res, 1, L + 7), P);
    zn_zone_result_fini(&res);
}

/* Events before `from` count; the history starts at `from`; errors for bad input. */
static void test_window_and_errors(void **state)
{
    (void)state;
    zn_zone_rules r = load("shanghai-2022-04");
    int S = lvl(&r, "sealed"), C = lvl(&r, "controlled");
    zn_zone_event ev[] = {{0, L0 - 3, ZN_ZONE_EV_CASE, 0}, {0, L0 + 99, ZN_ZONE_EV_CASE, 0}};
    zn_zone_input in = {.nunits = 1, .events = ev, .nevents = 2, .from = L0, .to = L0 + 10, .missing = -1};
    zn_zone_result res;
    run(&r, &in, &res);
    const zn_zone_period *p = per(&res, 0, L0);
    assert_int_equal(p->level, S);
    assert_int_equal(p->entered, L0 - 3);
    assert_int_equal(p->from, L0);
    assert_int_equal(at(&res, 0, L0 + 4), C);
    assert_null(zn_zone_result_at(&res, 0, L0 - 1));
    assert_null(zn_zone_result_at(&res, 0, L0 + 11));
    assert_int_equal(res.ndays, 11);
    zn_zone_result_fini(&res);

    zn_error err;
    zn_zone_event badev[] = {{5, L0, ZN_ZONE_EV_CASE, 0}};
    in.events = badev;
    in.nevents = 1;
    assert_int_equal(zn_zone_evaluate(&r, &in, &res, &err), ZN_EINVAL);
    in.nevents = 0;
    in.from = L0 + 1;
    in.to = L0;
    assert_int_equal(zn_zone_evaluate(&r, &in, &res, &err), ZN_EINVAL);
    zn_zone_override badov[] = {{0, L0, 7, 1}};
    in.from = L0;
    in.to = L0 + 1;
    in.overrides = badov;
    in.noverrides = 1;
    assert_int_equal(zn_zone_evaluate(&r, &in, &res, &err), ZN_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_day_parse),        cmocka_unit_test(test_shanghai_single_case),
        cmocka_unit_test(test_shanghai_consecutive), cmocka_unit_test(test_shanghai_resets),
        cmocka_unit_test(test_missing_days),     cmocka_unit_test(test_override),
        cmocka_unit_test(test_plan9),            cmocka_unit_test(test_three_zones_2021),
        cmocka_unit_test(test_20_and_new10),     cmocka_unit_test(test_shanghai_may),
        cmocka_unit_test(test_window_and_errors), cmocka_unit_test(test_negative_round_no_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
