/*
 * zone runs per (rule set, area): runs of one rule set over two areas coexist and each is found
 * for its area (zn_zone_run_find), re-running is idempotent, the latest run covering an area
 * wins, and migration 8 gives a run stored before it its area. Six hand-placed units, case
 * events recorded with zn_zone_event_add, rule set shanghai-2022-04 (sealed 7 quiet days, then
 * controlled 7, floor: every unit of the run's area precaution); no case lists, so every day is
 * known and a case on day L seals its unit L .. L+6, controlled from L+7.
 */
#include "zn_test.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "zhinao/store.h"
#include "zhinao/zone.h"

static int32_t D(const char *s)
{
    int32_t d = 0;
    if (zn_zone_day_parse(s, &d, NULL) != ZN_OK)
        fail_msg("bad date %s", s);
    return d;
}

static int64_t q64(zn_store *st, const char *sql)
{
    return zn_test_q64(st, sql);
}

/* Shanghai: A (pop 100), B (pop 50) in 黄浦区, C (pop unknown) in 浦东新区; Hangzhou: D (200), E (300)
 * in 西湖区 (330106), F (400) in 上城区 (330102). Cases: A on 04-02, D on 04-03, F on 04-01. */
static void put_units(zn_store *st)
{
    static const struct {
        const char *key, *county;
        int64_t pop;
    } u[] = {
        {"place:黄浦区:A", "310101000000", 100}, {"place:黄浦区:B", "310101000000", 50},
        {"place:浦东新区:C", "310115000000", -1}, {"place:西湖区:D", "330106000000", 200},
        {"place:西湖区:E", "330106000000", 300},  {"place:上城区:F", "330102000000", 400},
    };
    zn_error err;
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++) {
        zn_zone_unit z = {.kind = ZN_ZONE_UNIT_PLACE,
                          .key = u[i].key,
                          .name = u[i].key + 6,
                          .county_code = u[i].county,
                          .lon = NAN,
                          .lat = NAN,
                          .population = u[i].pop};
        if (zn_zone_unit_put(st, &z, NULL, &err) != ZN_OK)
            fail_msg("unit %s: %s", u[i].key, err.msg);
    }
    assert_int_equal(zn_zone_event_add(st, "place:黄浦区:A", D("2022-04-02"), ZN_ZONE_EV_CASE, 0, "t", &err), ZN_OK);
    assert_int_equal(zn_zone_event_add(st, "place:西湖区:D", D("2022-04-03"), ZN_ZONE_EV_CASE, 0, "t", &err), ZN_OK);
    assert_int_equal(zn_zone_event_add(st, "place:上城区:F", D("2022-04-01"), ZN_ZONE_EV_CASE, 0, "t", &err), ZN_OK);
}

/* A context whose clock reads 2023-11-14 22:13:20 UTC and the store at path. */
static zn_store *open_store(zn_ctx **ctx, const char *path)
{
    return zn_test_open_store(ctx, path, 1700000000);
}

/* A fresh in-memory store (open_store) with put_units' units and events, and the rule set
 * shanghai-2022-04 in *r. */
static zn_store *units_store(zn_ctx **ctx, zn_zone_rules *r)
{
    zn_store *st = open_store(ctx, ":memory:");
    zn_error err;
    put_units(st);
    assert_int_equal(zn_zone_rules_find(zn_test_src("data/rules"), "shanghai-2022-04", r, &err), ZN_OK);
    return st;
}

/* Run r over from .. to within `within`; the run must have want_units units; *outside (may be
 * NULL) receives the summary's count of events of other areas. */
static int64_t run_out(zn_store *st, const zn_zone_rules *r, const char *from, const char *to, const char *within,
                       int64_t want_units, int64_t *outside)
{
    zn_zone_run_opts o = {.from = D(from), .to = D(to), .missing = -1, .within = within};
    zn_zone_run_summary sum;
    zn_error err;
    if (zn_zone_run(st, r, &o, &sum, NULL, &err) != ZN_OK)
        fail_msg("run within %s: %s", within ? within : "-", err.msg);
    assert_int_equal(sum.units, want_units);
    assert_int_equal(sum.unmapped, 0); /* every event's unit is a place unit */
    if (outside)
        *outside = sum.outside;
    return sum.run_id;
}

static int64_t run(zn_store *st, const zn_zone_rules *r, const char *from, const char *to, const char *within,
                   int64_t want_units)
{
    return run_out(st, r, from, to, within, want_units, NULL);
}

/* The id of the run serving `area`, or -(status). */
static int64_t serving(zn_store *st, const char *rules, const char *area)
{
    zn_zone_run_info ri;
    zn_error err;
    zn_status s = zn_zone_run_find(st, rules, area, &ri, &err);
    return s == ZN_OK ? ri.id : -(int64_t)s;
}

typedef struct keys {
    int n;
    char key[8][64];
} keys;

static int collect(void *user, const zn_zone_row *row)
{
    keys *k = user;
    if (k->n < 8)
        snprintf(k->key[k->n++], sizeof k->key[0], "%s", row->key);
    return 0;
}

typedef struct day_count {
    const char *date, *level;
    int64_t units, population, population_units;
    int hits;
} day_count;

static int day_fn(void *user, const char *date, int known, const char *level, int64_t units, int64_t pop,
                  int64_t popn)
{
    day_count *c = user;
    assert_int_equal(known, 1); /* no case lists: every day is known */
    if (!strcmp(date, c->date) && !strcmp(level, c->level)) {
        c->units = units;
        c->population = pop;
        c->population_units = popn;
        c->hits++;
    }
    return 0;
}

static day_count count_of(zn_store *st, int64_t run_id, const char *date, const char *level)
{
    day_count c = {.date = date, .level = level};
    zn_error err;
    assert_int_equal(zn_zone_days_run(st, run_id, day_fn, &c, &err), ZN_OK);
    assert_int_equal(c.hits, 1);
    return c;
}

static void test_two_areas_coexist(void **state)
{
    (void)state;
    zn_ctx *ctx;
    zn_zone_rules r;
    zn_store *st = units_store(&ctx, &r);
    zn_error err;

    int64_t out_sh = -1, out_hz = -1;
    int64_t sh = run_out(st, &r, "2022-04-01", "2022-04-10", "310000", 3, &out_sh);
    int64_t hz = run_out(st, &r, "2022-04-01", "2022-04-10", "330100", 3, &out_hz);
    assert_true(hz > sh);
    /* the other city's events are counted as such: D and F for Shanghai, A for Hangzhou */
    assert_int_equal(out_sh, 2);
    assert_int_equal(out_hz, 1);
    /* the Hangzhou run did not replace the Shanghai run */
    assert_int_equal(q64(st, "SELECT COUNT(*) FROM zone_run WHERE rules = 'shanghai-2022-04'"), 2);
    /* 10 days x (3 levels + none) each */
    assert_int_equal(q64(st, "SELECT COUNT(*) FROM zone_day"), 2 * 10 * 4);

    /* each area is served by its own run; a run covers its division and everything inside it */
    assert_int_equal(serving(st, "shanghai-2022-04", "310000"), sh);
    assert_int_equal(serving(st, "shanghai-2022-04", "31"), sh);
    assert_int_equal(serving(st, "shanghai-2022-04", "310101"), sh);
    assert_int_equal(serving(st, "shanghai-2022-04", "310101002000"), sh);
    assert_int_equal(serving(st, "shanghai-2022-04", "330100"), hz);
    assert_int_equal(serving(st, "shanghai-2022-04", "330106"), hz);
    /* a wider area (Zhejiang), another city, another rule set: no run covers them */
    assert_int_equal(serving(st, "shanghai-2022-04", "330000"), -ZN_ENOTFOUND);
    assert_int_equal(serving(st, "shanghai-2022-04", "440300"), -ZN_ENOTFOUND);
    assert_int_equal(serving(st, "plan-9-risk-areas", "310000"), -ZN_ENOTFOUND);
    zn_zone_run_info ri;
    assert_int_equal(zn_zone_run_find(st, "shanghai-2022-04", "330000", &ri, &err), ZN_ENOTFOUND);
    assert_non_null(strstr(err.msg, "runs within: 31, 3301"));
    assert_int_equal(serving(st, "shanghai-2022-04", "33a100"), -ZN_EINVAL);
    assert_int_equal(serving(st, "shanghai-2022-04", "3"), -ZN_EINVAL);
    /* no area: the latest run (what readers did with one run per rule set); no rule set: any */
    assert_int_equal(serving(st, "shanghai-2022-04", NULL), hz);
    assert_int_equal(serving(st, "shanghai-2022-04", ""), hz);
    assert_int_equal(serving(st, NULL, "310115"), sh);

    assert_int_equal(zn_zone_run_find(st, "shanghai-2022-04", "330106", &ri, &err), ZN_OK);
    assert_string_equal(ri.rules, "shanghai-2022-04");
    assert_string_equal(ri.within, "3301");
    assert_string_equal(ri.from, "2022-04-01");
    assert_string_equal(ri.to, "2022-04-10");
    assert_string_equal(ri.unit_kind, "place");
    assert_string_equal(ri.missing, "pause");
    assert_int_equal(ri.units, 3);
    assert_int_equal(ri.events, 2); /* D and F; A is not in Hangzhou */
    assert_int_equal(ri.created_at, 1700000000);

    /* each run's map and counts are its area's. 04-05: A sealed (case 04-02), B and C precaution */
    keys k = {0};
    assert_int_equal(zn_zone_map_run(st, sh, D("2022-04-05"), "sealed", collect, &k, &err), ZN_OK);
    assert_int_equal(k.n, 1);
    assert_string_equal(k.key[0], "place:黄浦区:A");
    day_count c = count_of(st, sh, "2022-04-05", "sealed");
    assert_int_equal(c.units, 1);
    assert_int_equal(c.population, 100);
    c = count_of(st, sh, "2022-04-05", "precaution");
    assert_int_equal(c.units, 2);
    assert_int_equal(c.population, 50); /* C's population is unknown */
    assert_int_equal(c.population_units, 1);
    /* Hangzhou 04-05: F (case 04-01) and D (case 04-03) sealed, E precaution */
    memset(&k, 0, sizeof k);
    assert_int_equal(zn_zone_map_run(st, hz, D("2022-04-05"), "sealed", collect, &k, &err), ZN_OK);
    assert_int_equal(k.n, 2);
    assert_string_equal(k.key[0], "place:上城区:F");
    assert_string_equal(k.key[1], "place:西湖区:D");
    c = count_of(st, hz, "2022-04-05", "sealed");
    assert_int_equal(c.units, 2);
    assert_int_equal(c.population, 600);
    /* 04-08: F is controlled (04-01 + 7), D still sealed (04-03 .. 04-09) */
    assert_int_equal(count_of(st, hz, "2022-04-08", "sealed").units, 1);
    assert_int_equal(count_of(st, hz, "2022-04-08", "controlled").population, 400);
    /* 04-10: both controlled; Shanghai's A controlled from 04-09 */
    assert_int_equal(count_of(st, hz, "2022-04-10", "controlled").units, 2);
    assert_int_equal(count_of(st, sh, "2022-04-09", "controlled").units, 1);
    assert_int_equal(count_of(st, sh, "2022-04-08", "sealed").units, 1);

    /* a unit's history is in its area's run only */
    memset(&k, 0, sizeof k);
    assert_int_equal(zn_zone_history_run(st, hz, "place:西湖区:D", collect, &k, &err), ZN_OK);
    assert_int_equal(k.n, 3); /* precaution 04-01..02, sealed 04-03..09, controlled 04-10 */
    assert_int_equal(zn_zone_history_run(st, sh, "place:西湖区:D", collect, &k, &err), ZN_ENOTFOUND);
    assert_int_equal(zn_zone_map_run(st, sh, D("2022-04-11"), NULL, collect, &k, &err), ZN_ENOTFOUND);
    assert_int_equal(zn_zone_days_run(st, 999, day_fn, &c, &err), ZN_ENOTFOUND);

    /* the rules-only readers read the latest run, as before */
    memset(&k, 0, sizeof k);
    assert_int_equal(zn_zone_map(st, "shanghai-2022-04", D("2022-04-05"), "sealed", collect, &k, &err), ZN_OK);
    assert_int_equal(k.n, 2);
    zn_store_close(st);
    zn_ctx_free(ctx);
}

static int list_fn(void *user, const zn_zone_run_info *r)
{
    keys *k = user;
    if (k->n < 8)
        snprintf(k->key[k->n++], sizeof k->key[0], "%s/%s", r->rules, r->within[0] ? r->within : "*");
    return 0;
}

static void test_rerun_idempotent(void **state)
{
    (void)state;
    zn_ctx *ctx;
    zn_zone_rules r;
    zn_store *st = units_store(&ctx, &r);
    zn_error err;
    int64_t sh = run(st, &r, "2022-04-01", "2022-04-10", "310000", 3);
    int64_t hz = run(st, &r, "2022-04-01", "2022-04-10", "330100", 3);
    int64_t periods = q64(st, "SELECT COUNT(*) FROM zone_period");
    /* Shanghai: A precaution / sealed / controlled, B, C precaution: 5 rows; Hangzhou: D 3, E 1, F 2 */
    assert_int_equal(periods, 5 + 6);

    /* the same rule set, area and days again ("31" is the same area as "310000") */
    int64_t sh2 = run(st, &r, "2022-04-01", "2022-04-10", "31", 3);
    assert_true(sh2 > hz); /* a new id, above every stored run's */
    assert_int_equal(q64(st, "SELECT COUNT(*) FROM zone_run"), 2);
    assert_int_equal(q64(st, "SELECT COUNT(*) FROM zone_period"), periods);
    assert_int_equal(q64(st, "SELECT COUNT(*) FROM zone_day"), 2 * 10 * 4);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM zone_period WHERE run_id = %lld", (long long)sh);
    assert_int_equal(q64(st, sql), 0); /* the replaced run's history is gone */
    /* nothing counted twice: sealed units on 04-05 over every stored run = 1 (Shanghai) + 2 (Hangzhou) */
    assert_int_equal(q64(st, "SELECT SUM(units) FROM zone_day WHERE date = '2022-04-05' AND level = 'sealed'"), 3);
    assert_int_equal(serving(st, "shanghai-2022-04", "310000"), sh2);
    assert_int_equal(serving(st, "shanghai-2022-04", "330100"), hz);
    assert_int_equal(count_of(st, sh2, "2022-04-05", "sealed").units, 1);

    /* the same area over other days replaces it too: one run per (rule set, area) */
    int64_t sh3 = run(st, &r, "2022-04-01", "2022-04-20", "310000", 3);
    assert_int_equal(q64(st, "SELECT COUNT(*) FROM zone_run WHERE within_prefix = '31'"), 1);
    zn_zone_run_info ri;
    assert_int_equal(zn_zone_run_find(st, "shanghai-2022-04", "310101", &ri, &err), ZN_OK);
    assert_int_equal(ri.id, sh3);
    assert_string_equal(ri.to, "2022-04-20");
    /* A: sealed 04-02..08, controlled 04-09..15, precaution from 04-16 */
    assert_int_equal(count_of(st, sh3, "2022-04-16", "precaution").units, 3);
    assert_int_equal(count_of(st, sh3, "2022-04-15", "controlled").units, 1);

    /* the unique index refuses a second run of the same area written behind the library's back */
    assert_int_equal(zn_store_exec(st,
                                   "INSERT INTO zone_run (rules, from_date, to_date, unit_kind, missing, buffer_m, levels,"
                                   " rules_json, units, events, created_at, within_prefix) VALUES ('shanghai-2022-04',"
                                   " '2022-04-01', '2022-04-02', 'place', 'pause', 50, '[]', '{}', 0, 0, 0, '31')",
                                   &err),
                     ZN_ESTORE);

    keys k = {0};
    assert_int_equal(zn_zone_runs(st, NULL, list_fn, &k, &err), ZN_OK);
    assert_int_equal(k.n, 2);
    assert_string_equal(k.key[0], "shanghai-2022-04/31");
    assert_string_equal(k.key[1], "shanghai-2022-04/3301");
    zn_store_close(st);
    zn_ctx_free(ctx);
}

static void test_latest_covering_wins(void **state)
{
    (void)state;
    zn_ctx *ctx;
    zn_zone_rules r;
    zn_store *st = units_store(&ctx, &r);
    int64_t sh = run(st, &r, "2022-04-01", "2022-04-10", "310000", 3);
    int64_t hz = run(st, &r, "2022-04-01", "2022-04-10", "330100", 3);
    /* a later run of 西湖区 alone (D, E): it serves 西湖区, Hangzhou's run still serves 上城区 */
    int64_t xh = run(st, &r, "2022-04-01", "2022-04-05", "330106", 2);
    assert_int_equal(serving(st, "shanghai-2022-04", "330106"), xh);
    assert_int_equal(serving(st, "shanghai-2022-04", "330106001000"), xh);
    assert_int_equal(serving(st, "shanghai-2022-04", "330102"), hz);
    assert_int_equal(serving(st, "shanghai-2022-04", "330100"), hz);
    assert_int_equal(serving(st, "shanghai-2022-04", "310000"), sh);
    day_count c = count_of(st, xh, "2022-04-05", "sealed");
    assert_int_equal(c.units, 1); /* D */
    assert_int_equal(c.population, 200);
    assert_int_equal(count_of(st, xh, "2022-04-05", "precaution").population, 300); /* E */
    /* Hangzhou re-run: now the latest run covering 西湖区 again */
    int64_t hz2 = run(st, &r, "2022-04-01", "2022-04-10", "330100", 3);
    assert_int_equal(serving(st, "shanghai-2022-04", "330106"), hz2);
    assert_int_equal(serving(st, "shanghai-2022-04", "330102"), hz2);
    assert_int_equal(q64(st, "SELECT COUNT(*) FROM zone_run"), 3);
    /* a run without --within covers every area, Zhejiang included, and is the latest */
    int64_t out_all = -1;
    int64_t all = run_out(st, &r, "2022-04-01", "2022-04-10", NULL, 6, &out_all);
    assert_int_equal(out_all, 0);
    assert_int_equal(serving(st, "shanghai-2022-04", "330000"), all);
    assert_int_equal(serving(st, "shanghai-2022-04", "310000"), all);
    assert_int_equal(serving(st, "shanghai-2022-04", "000000"), all); /* the whole country */
    assert_int_equal(count_of(st, all, "2022-04-05", "sealed").units, 3); /* A, D, F */
    assert_int_equal(count_of(st, all, "2022-04-05", "sealed").population, 700);
    /* then a Shanghai re-run is the latest for Shanghai, the all-units run still for Hangzhou */
    int64_t sh2 = run(st, &r, "2022-04-01", "2022-04-10", "310000", 3);
    assert_int_equal(serving(st, "shanghai-2022-04", "310101"), sh2);
    assert_int_equal(serving(st, "shanghai-2022-04", "330106"), all);
    assert_int_equal(serving(st, "shanghai-2022-04", "330000"), all);
    assert_int_equal(q64(st, "SELECT COUNT(*) FROM zone_run"), 4);
    zn_store_close(st);
    zn_ctx_free(ctx);
}

/* A store whose zone run was written before migration 8: the run gets its area from rules_json. */
static void test_migration_backfill(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/zone-runs-m8.db", zn_test_tmpdir());
    remove(path);
    zn_ctx *ctx;
    zn_store *st = open_store(&ctx, path);
    zn_error err;
    /* back to the schema before migration 8, with a run stored by that version (within 330100) */
    assert_int_equal(zn_store_exec(st,
                                   "DROP INDEX zone_run_area; ALTER TABLE zone_run DROP COLUMN within_prefix;"
                                   "DELETE FROM schema_migrations WHERE version = 8;"
                                   "INSERT INTO zone_run (id, rules, from_date, to_date, unit_kind, missing, buffer_m,"
                                   " levels, rules_json, units, events, created_at) VALUES"
                                   " (5, 'plan-9-risk-areas', '2022-03-01', '2022-03-17', 'place', 'quiet', 50, '[]',"
                                   " '{\"name\":\"plan-9-risk-areas\",\"within\":\"330100\"}', 3183, 0, 1),"
                                   " (6, 'shanghai-2022-04', '2022-03-18', '2022-05-19', 'place', 'pause', 50, '[]',"
                                   " '{\"name\":\"shanghai-2022-04\",\"within\":\"310000\"}', 34906, 163710, 1),"
                                   " (7, 'three-zones-2021', '2022-03-18', '2022-04-10', 'place', 'pause', 50, '[]',"
                                   " '{\"name\":\"three-zones-2021\",\"within\":\"\"}', 34906, 163710, 1)",
                                   &err),
                     ZN_OK);
    zn_store_close(st);
    zn_ctx_free(ctx);
    st = open_store(&ctx, path);
    assert_int_equal(q64(st, "SELECT COUNT(*) FROM schema_migrations WHERE version = 8"), 1);
    assert_int_equal(q64(st, "SELECT COUNT(*) FROM zone_run WHERE id = 5 AND within_prefix = '3301'"), 1);
    assert_int_equal(q64(st, "SELECT COUNT(*) FROM zone_run WHERE id = 6 AND within_prefix = '31'"), 1);
    assert_int_equal(q64(st, "SELECT COUNT(*) FROM zone_run WHERE id = 7 AND within_prefix = ''"), 1);
    assert_int_equal(serving(st, "plan-9-risk-areas", "330106"), 5);
    assert_int_equal(serving(st, "plan-9-risk-areas", "310000"), -ZN_ENOTFOUND);
    assert_int_equal(serving(st, "shanghai-2022-04", "310115"), 6);
    assert_int_equal(serving(st, "three-zones-2021", "440300"), 7);
    zn_store_close(st);
    zn_ctx_free(ctx);
    remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_areas_coexist),
        cmocka_unit_test(test_rerun_idempotent),
        cmocka_unit_test(test_latest_covering_wins),
        cmocka_unit_test(test_migration_backfill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
