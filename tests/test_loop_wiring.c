/* loop wiring: close contacts of a stored trace run and units entering the sealed level become
 * tasks routed to where the contact lives / the unit is; transfers, unrouted counts, idempotence;
 * runs of one rule set over two areas give one instruction per area (zn_zone_run_find with the
 * issuing unit's area), and a link "rules@date" stored before runs had areas is still taken. */
#include "zn_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhinao/hub.h"
#include "zhinao/ident.h"
#include "zhinao/loop.h"
#include "zhinao/store.h"

typedef struct fx {
    zn_ctx *ctx;
    zn_store *st;
    zn_loop *lp;
    char id[5][19]; /* resident IDs */
} fx;

static void make_id(char out[19], const char *d17)
{
    memcpy(out, d17, 17);
    out[17] = zn_resident_id_check_char(d17);
    out[18] = '\0';
}

static int sql(zn_store *st, const char *q)
{
    zn_error err;
    if (zn_store_exec(st, q, &err) != ZN_OK) {
        char b[700];
        fprintf(stderr, "%s\n%s\n", q, zn_error_format(&err, b, sizeof b));
        return -1;
    }
    return 0;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    zn_error err;
    zn_catalogue *cat = NULL;
    if (!f || zn_ctx_new(&f->ctx) != ZN_OK)
        return -1;
    zn_ctx_set_now(f->ctx, 1678070000); /* 2023-03-06 10:33:20 +08:00 */
    if (zn_store_open(f->ctx, ":memory:", &f->st, &err) != ZN_OK ||
        zn_loop_open(f->st, zn_test_src("data"), &f->lp, &err) != ZN_OK ||
        zn_catalogue_load(zn_test_src("data/feeds/catalogue.json"), &cat, &err) != ZN_OK) {
        char b[700];
        fprintf(stderr, "%s\n", zn_error_format(&err, b, sizeof b));
        return -1;
    }
    const zn_feed *feed = zn_catalogue_find(cat, "population_registry");
    zn_status rc = feed ? zn_hub_prepare_feed(f->st, feed, &err) : ZN_ENOTFOUND;
    zn_catalogue_free(cat);
    if (rc != ZN_OK)
        return -1;
    make_id(f->id[0], "33010619800101001"); /* lives in Hangzhou, community 330106001001 */
    make_id(f->id[1], "33010619900202002"); /* lives in Hangzhou, same community */
    make_id(f->id[2], "31010119850303003"); /* lives in Shanghai: 协查 */
    make_id(f->id[3], "33010619700404004"); /* not in the registry */
    make_id(f->id[4], "33010619750505005"); /* registry division not in the division table */
    char q[2048];
    snprintf(q, sizeof q,
             "INSERT INTO division VALUES (2023,'330000000000',1,'浙江省',NULL),"
             "(2023,'330100000000',2,'杭州市','330000000000'),(2023,'330106000000',3,'西湖区','330100000000'),"
             "(2023,'330106001000',4,'北山街道','330106000000'),(2023,'330106001001',5,'社区','330106001000'),"
             "(2023,'310000000000',1,'上海市',NULL),(2023,'310101000000',3,'黄浦区','310000000000'),"
             "(2023,'310101002000',4,'南京东路街道','310101000000'),(2023,'310101002003',5,'社区','310101002000');"
             "INSERT INTO lineage(id, feed, source_unit, path, sha256, bytes, encoding, status, started_at) "
             "VALUES (1,'population_registry','test','-','0',0,'utf-8','loaded',0);"
             "INSERT INTO feed_population_registry(resident_id, residence_type, residence_division, _lineage_id, "
             "_line, _row_hash) VALUES ('%s','registered','330106001001',1,2,'a'),('%s','registered','330106001001',1,3,'b'),"
             "('%s','floating','310101002003',1,4,'c'),('%s','registered','330199999999',1,5,'d');"
             "INSERT INTO trace_run(id, plan, parameters, started_at) VALUES (1,'plan-8','{}',0),(2,'plan-9','{}',0);"
             "INSERT INTO close_contact VALUES (2,'CASE-A','%s','household','addr',0,10,10),"
             "(2,'CASE-B','%s','venue','V1',0,10,10),(2,'CASE-A','%s','venue','V1',0,10,10),"
             "(2,'CASE-A','%s','venue','V2',0,10,10),(2,'CASE-A','%s','venue','V2',0,10,10),"
             "(2,'CASE-A','%s','venue','V3',0,10,10),"
             "(1,'CASE-A','%s','venue','V9',0,10,10);",
             f->id[0], f->id[1], f->id[2], f->id[4], f->id[0], f->id[0], f->id[1], f->id[2], f->id[3], f->id[4],
             f->id[1]);
    if (sql(f->st, q))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    zn_loop_free(f->lp);
    zn_store_close(f->st);
    zn_ctx_free(f->ctx);
    free(f);
    return 0;
}

static int64_t count(zn_store *st, const char *q)
{
    int64_t v = -1;
    zn_error err;
    assert_int_equal(zn_store_query_int64(st, q, &v, &err), ZN_OK);
    return v;
}

/* The wiring r used zone run `run`, considered `subjects` units, issued tasks for `issued` of
 * them: `tasks` tasks, `transferred` of those to another city (协查). */
static void assert_wired(const zn_loop_wiring_result *r, int64_t run, int64_t subjects, int64_t issued, int64_t tasks,
                         int64_t transferred)
{
    assert_int_equal(r->run_id, run);
    assert_int_equal(r->subjects, subjects);
    assert_int_equal(r->issued, issued);
    assert_int_equal(r->tasks, tasks);
    assert_int_equal(r->transferred, transferred);
}

static void test_from_trace(void **state)
{
    fx *f = *state;
    zn_error err;
    zn_loop_wiring_result r;
    /* latest run (2): contacts id0 (twice), id1, id2, id3, id4 -> 5 distinct */
    assert_int_equal(zn_loop_from_trace(f->lp, 0, "hz-command", "330100", &r, &err), ZN_OK);
    assert_int_equal(r.run_id, 2);
    assert_true(r.instruction_id > 0);
    assert_int_equal(r.subjects, 5);
    assert_int_equal(r.issued, 3);
    assert_int_equal(r.tasks, 3);
    assert_int_equal(r.transferred, 1);
    assert_int_equal(r.unrouted, 2); /* id3 not in the registry, id4's division unknown */
    assert_int_equal(r.already, 0);
    /* 3 originals + 1 transfer task in Shanghai */
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_task"), 4);
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_task WHERE template_id = 'epi.quarantine_transfer' "
                                  "AND subject_kind = 'contact'"),
                     4);
    /* the reason as a command centre writes it: run 2, traced under plan-9 */
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_instruction WHERE reason = "
                                  "'第2次流调密接（第九版方案）' AND issuer = 'hz-command' AND issuer_unit IS NOT NULL"),
                     1);

    zn_loop_filter fl = {.template_id = "epi.quarantine_transfer"};
    zn_loop_task *t = NULL;
    size_t n = 0;
    assert_int_equal(zn_loop_list(f->lp, &fl, &t, &n, &err), ZN_OK);
    assert_int_equal(n, 4);
    int hz = 0, sh_orig = 0, sh_child = 0;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(t[i].instruction_id, r.instruction_id);
        if (!strcmp(t[i].subject_ref, f->id[0]) || !strcmp(t[i].subject_ref, f->id[1])) {
            assert_string_equal(t[i].division_code, "330106001001");
            assert_int_equal(t[i].transferred_to, 0);
            hz++;
        } else {
            assert_string_equal(t[i].subject_ref, f->id[2]);
            if (t[i].parent_id) {
                assert_string_equal(t[i].division_code, "310101002003");
                assert_string_equal(t[i].assignee, "310101002003");
                sh_child++;
            } else {
                assert_true(t[i].transferred_to > 0);
                sh_orig++;
            }
        }
    }
    free(t);
    assert_int_equal(hz, 2);
    assert_int_equal(sh_orig, 1);
    assert_int_equal(sh_child, 1);

    /* again: nothing new */
    int64_t instr = r.instruction_id;
    assert_int_equal(zn_loop_from_trace(f->lp, 2, "hz-command", "330100", &r, &err), ZN_OK);
    assert_int_equal(r.instruction_id, instr);
    assert_int_equal(r.issued, 0);
    assert_int_equal(r.tasks, 0);
    assert_int_equal(r.already, 3);
    assert_int_equal(r.unrouted, 2);
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_task"), 4);
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_instruction"), 1);

    /* run 1 is another instruction: its contact id1 gets its own task */
    assert_int_equal(zn_loop_from_trace(f->lp, 1, NULL, NULL, &r, &err), ZN_OK);
    assert_int_equal(r.run_id, 1);
    assert_true(r.instruction_id != instr);
    assert_int_equal(r.subjects, 1);
    assert_int_equal(r.issued, 1);
    assert_int_equal(r.transferred, 0);
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_task"), 5);
    /* run 1 is plan-8's; no issuer given: the wiring's display name issues it and moves its task */
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_instruction WHERE reason = '第1次流调密接（第八版方案）' "
                                  "AND issuer = '智脑' AND issuer_unit IS NULL"),
                     1);
    /* an edition without a Chinese name is named as it is */
    assert_int_equal(sql(f->st, "INSERT INTO trace_run(id, plan, parameters, started_at) VALUES (3,'plan-x','{}',0)"), 0);
    assert_int_equal(zn_loop_from_trace(f->lp, 3, NULL, NULL, &r, &err), ZN_OK);
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_instruction WHERE reason = '第3次流调密接（方案 plan-x）'"),
                     1);

    assert_int_equal(zn_loop_from_trace(f->lp, 7, NULL, NULL, &r, &err), ZN_ENOTFOUND);
}

static void test_from_trace_no_registry(void **state)
{
    fx *f = *state;
    zn_error err;
    zn_loop_wiring_result r;
    assert_int_equal(sql(f->st, "DROP TABLE feed_population_registry"), 0);
    assert_int_equal(zn_loop_from_trace(f->lp, 2, NULL, NULL, &r, &err), ZN_OK);
    assert_int_equal(r.subjects, 5);
    assert_int_equal(r.unrouted, 5);
    assert_int_equal(r.issued, 0);
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_task"), 0);
}

static void test_from_zones(void **state)
{
    fx *f = *state;
    zn_error err;
    zn_loop_wiring_result r;
    assert_int_equal(zn_loop_from_zones(f->lp, "three-zones-2021", "2022-04-02", NULL, NULL, &r, &err), ZN_ENOTFOUND);
    const char *q =
        "INSERT INTO zone_unit(id, kind, key, name, county_code, township_code, source) VALUES "
        "(1,'place','place:西湖区:A','A','330106000000','330106001000','t'),"
        "(2,'place','place:西湖区:B','B','330106000000',NULL,'t'),"
        "(3,'place','place:西湖区:C','C','330106000000','330106001000','t'),"
        "(4,'place','place:西湖区:D','D','330106000000','330106001000','t'),"
        "(5,'place','place:黄浦区:E','E','310101000000','310101002000','t');"
        "INSERT INTO zone_run(id, rules, from_date, to_date, unit_kind, missing, buffer_m, levels, rules_json, units, "
        "events, created_at) VALUES (1,'three-zones-2021','2022-04-01','2022-04-10','place','pause',0,'[]','{}',5,1,0);"
        "INSERT INTO zone_period(run_id, unit_id, level, level_rank, entered, valid_from, valid_to, cause) VALUES "
        "(1,1,'sealed',0,'2022-04-02','2022-04-02','2022-04-08','event'),"     /* enters: township */
        "(1,2,'sealed',0,'2022-04-02','2022-04-02','2022-04-08','event'),"     /* enters: county */
        "(1,3,'controlled',1,'2022-04-02','2022-04-02','2022-04-08','event')," /* not sealed */
        "(1,4,'sealed',0,'2022-04-01','2022-04-01','2022-04-01','event'),"     /* continues */
        "(1,4,'sealed',0,'2022-04-01','2022-04-02','2022-04-08','reset'),"
        "(1,5,'sealed',0,'2022-04-02','2022-04-02','2022-04-08','event');"; /* another city */
    assert_int_equal(sql(f->st, q), 0);
    assert_int_equal(zn_loop_from_zones(f->lp, "three-zones-2021", "2022-04-02", "hz-command", "330100", &r, &err),
                     ZN_OK);
    assert_wired(&r, 1, 3, 3, 6, 2); /* seal + test per unit */
    assert_int_equal(r.unrouted, 0);
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_task WHERE subject_ref = 'place:西湖区:A' AND "
                                  "division_code = '330106001000' AND template_id IN ('epi.seal_unit','epi.test_zone')"),
                     2);
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_task WHERE subject_ref = 'place:西湖区:B' AND "
                                  "division_code = '330106000000'"),
                     2);
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_task WHERE subject_ref = 'place:黄浦区:E' AND "
                                  "division_code = '310101002000' AND parent_id IS NOT NULL"),
                     2);
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_task WHERE subject_ref LIKE '%:C' OR subject_ref LIKE '%:D'"),
                     0);
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_task"), 8);
    /* a run without area keeps the link of before runs had areas */
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_instruction_link WHERE kind = 'zone_day' AND "
                                  "ref = 'three-zones-2021@2022-04-02'"),
                     1);
    /* a run without area and without level names: "封控区", no 范围 */
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_instruction WHERE reason = "
                                  "'2022-04-02 新增封控区单元（规则 three-zones-2021）' AND issuer = 'hz-command'"),
                     1);
    assert_int_equal(zn_loop_from_zones(f->lp, "three-zones-2021", "2022-04-02", "hz-command", "330100", &r, &err),
                     ZN_OK);
    assert_int_equal(r.issued, 0);
    assert_int_equal(r.already, 3);
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_task"), 8);
    /* unit 4 entered on 04-01 */
    assert_int_equal(zn_loop_from_zones(f->lp, "three-zones-2021", "2022-04-01", NULL, NULL, &r, &err), ZN_OK);
    assert_int_equal(r.subjects, 1);
    assert_int_equal(r.tasks, 2);
    assert_int_equal(zn_loop_from_zones(f->lp, "three-zones-2021", "2022-4-1", NULL, NULL, &r, &err), ZN_EINVAL);
}

/* Units 1, 2 in Hangzhou (西湖区), unit 5 in Shanghai (黄浦区); every one enters the sealed level on
 * 2022-04-02 in the run given. */
static const char *ZONE_UNITS =
    "INSERT INTO zone_unit(id, kind, key, name, county_code, township_code, source) VALUES "
    "(1,'place','place:西湖区:A','A','330106000000','330106001000','t'),"
    "(2,'place','place:西湖区:B','B','330106000000',NULL,'t'),"
    "(5,'place','place:黄浦区:E','E','310101000000','310101002000','t');";

static void add_run(fx *f, int id, const char *within, const int *units, int nunits)
{
    char q[1024];
    int len = snprintf(q, sizeof q,
                       "INSERT INTO zone_run(id, rules, from_date, to_date, unit_kind, missing, buffer_m, levels, "
                       "rules_json, units, events, created_at, within_prefix) VALUES (%d,'r22','2022-04-01',"
                       "'2022-04-10','place','pause',0,'[]','{}',%d,1,0,'%s');",
                       id, nunits, within);
    for (int i = 0; i < nunits; i++)
        len += snprintf(q + len, sizeof q - (size_t)len,
                        "INSERT INTO zone_period(run_id, unit_id, level, level_rank, entered, valid_from, valid_to, "
                        "cause) VALUES (%d,%d,'sealed',0,'2022-04-02','2022-04-02','2022-04-08','event');",
                        id, units[i]);
    assert_int_equal(sql(f->st, q), 0);
}

static void test_from_zones_areas(void **state)
{
    fx *f = *state;
    zn_error err;
    zn_loop_wiring_result r;
    assert_int_equal(sql(f->st, ZONE_UNITS), 0);
    add_run(f, 1, "3301", (const int[]){1, 2}, 2); /* zhinao zones run --rules r22 --within 330100 */
    add_run(f, 2, "31", (const int[]){5}, 1);      /* ... --within 310000, later */
    /* the Shanghai run's levels named as zone_run.levels stores them: its top level is 高风险区 */
    assert_int_equal(sql(f->st, "UPDATE zone_run SET levels = '[[\"high\",\"高风险区\"],[\"low\",\"低风险区\"]]' "
                                "WHERE id = 2"),
                     0);

    /* Shanghai's command: the Shanghai run, unit E: seal + test, no transfer (both in 31) */
    assert_int_equal(zn_loop_from_zones(f->lp, "r22", "2022-04-02", "sh-command", "310000", &r, &err), ZN_OK);
    assert_wired(&r, 2, 1, 1, 2, 0);
    int64_t sh = r.instruction_id;
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_task WHERE subject_ref = 'place:黄浦区:E' AND "
                                  "division_code = '310101002000' AND parent_id IS NULL"),
                     2);

    /* Hangzhou's command the same day: the Hangzhou run (older), units A and B, its own instruction */
    assert_int_equal(zn_loop_from_zones(f->lp, "r22", "2022-04-02", "hz-command", "330100", &r, &err), ZN_OK);
    assert_wired(&r, 1, 2, 2, 4, 0);
    assert_true(r.instruction_id != sh);
    int64_t hz = r.instruction_id;
    /* each instruction names the day, its run's top level, rule set and area */
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_instruction WHERE reason = "
                                  "'2022-04-02 新增高风险区单元（规则 r22，范围 31）' AND issuer = 'sh-command'"),
                     1);
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_instruction WHERE reason = "
                                  "'2022-04-02 新增封控区单元（规则 r22，范围 3301）' AND issuer = 'hz-command'"),
                     1);
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_task"), 6);
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_instruction"), 2);
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_instruction_link WHERE kind = 'zone_day' AND "
                                  "ref IN ('r22@2022-04-02@31', 'r22@2022-04-02@3301')"),
                     2);
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_task WHERE subject_ref LIKE 'place:西湖区:%' AND "
                                  "instruction_id = (SELECT instruction_id FROM loop_instruction_link WHERE "
                                  "ref = 'r22@2022-04-02@3301')"),
                     4);

    /* re-wiring is idempotent, from any unit the run covers; no area: the latest run (Shanghai) */
    assert_int_equal(zn_loop_from_zones(f->lp, "r22", "2022-04-02", "hz-command", "330106", &r, &err), ZN_OK);
    assert_int_equal(r.instruction_id, hz);
    assert_int_equal(r.issued, 0);
    assert_int_equal(r.already, 2);
    assert_int_equal(zn_loop_from_zones(f->lp, "r22", "2022-04-02", "hp-command", "310101", &r, &err), ZN_OK);
    assert_int_equal(r.instruction_id, sh);
    assert_int_equal(r.already, 1);
    assert_int_equal(zn_loop_from_zones(f->lp, "r22", "2022-04-02", NULL, NULL, &r, &err), ZN_OK);
    assert_int_equal(r.run_id, 2);
    assert_int_equal(r.instruction_id, sh);
    assert_int_equal(r.already, 1);
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_task"), 6);
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_instruction"), 2);

    /* Zhejiang: no run of r22 covers the province */
    assert_int_equal(zn_loop_from_zones(f->lp, "r22", "2022-04-02", "zj-command", "330000", &r, &err), ZN_ENOTFOUND);
    assert_non_null(strstr(err.msg, "3301"));
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_instruction"), 2);
}

/* A store wired before runs had areas: the one run of r22 (Shanghai's) gave the link "r22@DATE";
 * migration 8 set the run's within prefix. Shanghai's units stay with that instruction; Hangzhou's
 * new run gets its own. */
static void test_from_zones_old_link(void **state)
{
    fx *f = *state;
    zn_error err;
    zn_loop_wiring_result r;
    assert_int_equal(sql(f->st, ZONE_UNITS), 0);
    add_run(f, 1, "", (const int[]){5}, 1);
    assert_int_equal(zn_loop_from_zones(f->lp, "r22", "2022-04-02", "sh-command", "310000", &r, &err), ZN_OK);
    int64_t old = r.instruction_id;
    assert_int_equal(r.tasks, 2);
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_instruction_link WHERE ref = 'r22@2022-04-02'"), 1);
    assert_int_equal(sql(f->st, "UPDATE zone_run SET within_prefix = '31' WHERE id = 1"), 0);
    add_run(f, 2, "3301", (const int[]){1, 2}, 2);

    assert_int_equal(zn_loop_from_zones(f->lp, "r22", "2022-04-02", "sh-command", "310000", &r, &err), ZN_OK);
    assert_int_equal(r.run_id, 1);
    assert_int_equal(r.instruction_id, old);
    assert_int_equal(r.issued, 0);
    assert_int_equal(r.already, 1);
    assert_int_equal(zn_loop_from_zones(f->lp, "r22", "2022-04-02", "hz-command", "330100", &r, &err), ZN_OK);
    assert_int_equal(r.run_id, 2);
    assert_true(r.instruction_id != old);
    assert_int_equal(r.issued, 2);
    assert_int_equal(r.tasks, 4);
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_task"), 6);
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_instruction"), 2);
    assert_int_equal(count(f->st, "SELECT COUNT(*) FROM loop_instruction_link WHERE ref = 'r22@2022-04-02@31'"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_from_trace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_from_trace_no_registry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_from_zones, setup, teardown),
        cmocka_unit_test_setup_teardown(test_from_zones_areas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_from_zones_old_link, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
