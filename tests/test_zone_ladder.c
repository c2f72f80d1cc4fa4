/*
 * zone kernel: the same hand-built timeline under every shipped rule set, so that each one is
 * checked for cases on consecutive days, lifting exactly at the day boundary, a reset by a new
 * case, and a manual override. Expected days are counted by hand from the numbers of each
 * data/rules file (quoted in the comments), not from the kernel.
 *
 * Timeline (L = 2022-04-01, every day known, one county):
 *   unit 0: cases on L and L+1; a new case on day R (in the level below the top, or after lifting
 *           for the two-level sets); negative test rounds where three-zones-2021 needs them;
 *   unit 1: never listed; an operator puts it at the top level on L+3 (override id 9); it then
 *           follows the rules (a round on due-1 where needed);
 *   unit 2: never listed: the floor (or no zone) throughout.
 */
#include "zn_test.h"

#include <string.h>

#include "zhinao/zone.h"

#define L ((int32_t)19083) /* 2022-04-01 */

typedef struct expect {
    int unit;
    int day;           /* offset from L */
    const char *level; /* level name or "none" */
    const char *cause; /* NULL: not checked */
} expect;

typedef struct ladder {
    const char *rules;
    int reset_day;       /* offset of unit 0's new case */
    int rounds[4];       /* offsets of negative rounds of unit 0 (0 = none) */
    int rounds1[2];      /* ... of unit 1 */
    expect ex[16];
} ladder;

static const ladder LADDERS[] = {
    /* sealed 7 ("近7天内有阳性"), controlled 7, precaution = every registry unit. Last case L+1:
     * sealed to L+7, controlled L+8; the case of L+10 seals again to L+16, controlled L+17 ..
     * L+23, precaution L+24. Unit 1 sealed by hand L+3 .. L+9, controlled L+10. */
    {"shanghai-2022-04", 10, {0}, {0},
     {{0, 0, "sealed", "event"}, {0, 1, "sealed", "reset"}, {0, 7, "sealed", NULL}, {0, 8, "controlled", "transition"},
      {0, 9, "controlled", NULL}, {0, 10, "sealed", "event"}, {0, 16, "sealed", NULL}, {0, 17, "controlled", NULL},
      {0, 23, "controlled", NULL}, {0, 24, "precaution", "transition"}, {1, 2, "precaution", "start"},
      {1, 3, "sealed", "override"}, {1, 9, "sealed", NULL}, {1, 10, "controlled", NULL}, {2, 12, "precaution", NULL},
      {-1, 0, NULL, NULL}}},
    /* May: sealed 7, then controlled 3 ("后续连续3天"): L+8 .. L+10 controlled, precaution L+11;
     * the case of L+12 seals again to L+18, controlled L+19 .. L+21, precaution L+22. */
    {"shanghai-2022-05", 12, {0}, {0},
     {{0, 1, "sealed", "reset"}, {0, 7, "sealed", NULL}, {0, 8, "controlled", NULL}, {0, 10, "controlled", NULL},
      {0, 11, "precaution", "transition"}, {0, 12, "sealed", "event"}, {0, 18, "sealed", NULL},
      {0, 19, "controlled", NULL}, {0, 21, "controlled", NULL}, {0, 22, "precaution", NULL},
      {1, 3, "sealed", "override"}, {1, 10, "controlled", NULL}, {1, 12, "controlled", NULL},
      {1, 13, "precaution", NULL}, {2, 5, "precaution", NULL}, {-1, 0, NULL, NULL}}},
    /* plan 9: high 7 → medium 3 → low; low is the rest of a county with high/medium areas, so
     * once unit 0 is low and unit 1 too, no zones remain. Last case L+1: high to L+7, medium L+8
     * .. L+10; the case of L+9 makes it high again to L+15, medium L+16 .. L+18, none L+19. */
    {"plan-9-risk-areas", 9, {0}, {0},
     {{0, 1, "high", "reset"}, {0, 7, "high", NULL}, {0, 8, "medium", "transition"}, {0, 9, "high", "event"},
      {0, 15, "high", NULL}, {0, 16, "medium", NULL}, {0, 18, "medium", NULL}, {0, 19, "none", NULL},
      {1, 2, "low", "start"}, {1, 3, "high", "override"}, {1, 9, "high", NULL}, {1, 10, "medium", NULL},
      {1, 13, "low", "transition"}, {2, 0, "low", "start"}, {2, 19, "none", "scope"}, {-1, 0, NULL, NULL}}},
    /* 20 measures: high 5 ("连续5天无新增") → low. Last case L+1: high to L+5, low L+6 (unit 1,
     * sealed by hand on L+3, is still high to L+7); no zone from L+8; the case of L+12 → high
     * L+12 .. L+16, none L+17. */
    {"20-measures", 12, {0}, {0},
     {{0, 1, "high", "reset"}, {0, 5, "high", NULL}, {0, 6, "low", "transition"}, {0, 8, "none", "scope"},
      {0, 12, "high", "event"}, {0, 16, "high", NULL}, {0, 17, "none", "transition"}, {1, 3, "high", "override"},
      {1, 7, "high", NULL}, {1, 8, "none", "transition"}, {2, 3, "low", NULL}, {2, 12, "low", "scope"},
      {-1, 0, NULL, NULL}}},
    /* 新十条: the same 5 days (the cases here are not flagged isolated) */
    {"new-10", 12, {0}, {0},
     {{0, 1, "high", "reset"}, {0, 5, "high", NULL}, {0, 6, "low", "transition"}, {0, 8, "none", "scope"},
      {0, 12, "high", "event"}, {0, 16, "high", NULL}, {0, 17, "none", "transition"}, {1, 3, "high", "override"},
      {1, 7, "high", NULL}, {1, 8, "none", "transition"}, {-1, 0, NULL, NULL}}},
    /* 2021 three zones: 14 quiet days AND a negative round on one of the 2 days before lifting.
     * Last case L+1: quiet on L+15, round L+13 → precaution L+15; the case of L+18 seals again;
     * its round of L+20 is too early, the round of L+31 lifts it on L+32 (the first day with 14
     * quiet days and a round within the 2 days before). Unit 1: override L+3, round L+16, lifted
     * L+17 (= L+3 + 14) when unit 0 is lifted too: no zone until unit 0's case of L+18. */
    {"three-zones-2021", 18, {13, 20, 31, 0}, {16, 0},
     {{0, 1, "sealed", "reset"}, {0, 14, "sealed", NULL}, {0, 15, "precaution", "transition"},
      {0, 18, "sealed", "event"}, {0, 31, "sealed", NULL}, {0, 32, "none", "transition"},
      {1, 3, "sealed", "override"}, {1, 16, "sealed", NULL}, {1, 17, "none", "transition"}, {1, 18, "precaution", "scope"},
      {2, 2, "precaution", NULL}, {2, 32, "none", NULL}, {-1, 0, NULL, NULL}}},
};

static void run_ladder(const ladder *ld)
{
    zn_zone_rules r;
    zn_error err;
    if (zn_zone_rules_find(zn_test_src("data/rules"), ld->rules, &r, &err) != ZN_OK)
        fail_msg("load %s: %s", ld->rules, err.msg);
    zn_zone_event ev[16];
    size_t n = 0;
    ev[n++] = (zn_zone_event){0, L + 1, ZN_ZONE_EV_CASE, 0}; /* unsorted on purpose */
    ev[n++] = (zn_zone_event){0, L, ZN_ZONE_EV_CASE, 0};
    ev[n++] = (zn_zone_event){0, L + ld->reset_day, ZN_ZONE_EV_CASE, 0};
    for (int i = 0; i < 4 && ld->rounds[i]; i++)
        ev[n++] = (zn_zone_event){0, L + ld->rounds[i], ZN_ZONE_EV_TEST_NEGATIVE, 0};
    for (int i = 0; i < 2 && ld->rounds1[i]; i++)
        ev[n++] = (zn_zone_event){1, L + ld->rounds1[i], ZN_ZONE_EV_TEST_NEGATIVE, 0};
    zn_zone_override ov = {.unit = 1, .day = L + 3, .level = 0, .id = 9};
    zn_zone_input in = {.nunits = 3, .events = ev, .nevents = n, .overrides = &ov, .noverrides = 1,
                        .from = L, .to = L + 40, .missing = -1};
    zn_zone_result res;
    if (zn_zone_evaluate(&r, &in, &res, &err) != ZN_OK)
        fail_msg("%s: %s", ld->rules, err.msg);
    for (const expect *e = ld->ex; e->level; e++) {
        const zn_zone_period *p = zn_zone_result_at(&res, e->unit, L + e->day);
        if (!p)
            fail_msg("%s: no period for unit %d on L+%d", ld->rules, e->unit, e->day);
        const char *got = zn_zone_rules_level_name(&r, p->level);
        if (strcmp(got, e->level))
            fail_msg("%s: unit %d on L+%d is %s, want %s", ld->rules, e->unit, e->day, got, e->level);
        if (e->cause && strcmp(zn_zone_cause_name((zn_zone_cause)p->cause), e->cause))
            fail_msg("%s: unit %d on L+%d cause %s, want %s", ld->rules, e->unit, e->day,
                     zn_zone_cause_name((zn_zone_cause)p->cause), e->cause);
        if (e->cause && !strcmp(e->cause, "override") && p->override_id != 9)
            fail_msg("%s: override id %lld", ld->rules, (long long)p->override_id);
    }
    /* the entry day of a stay is its first day, whatever resets followed */
    const zn_zone_period *p = zn_zone_result_at(&res, 0, L + 1);
    assert_int_equal(p->entered, L);
    assert_int_equal(p->anchor, L + 1);
    zn_zone_result_fini(&res);
}

static void test_every_rule_set(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof LADDERS / sizeof LADDERS[0]; i++)
        run_ladder(&LADDERS[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_rule_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
