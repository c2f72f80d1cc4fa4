/*
 * Division registry: codes, lookups, paths, search, edition diff, store save, point location.
 * Every expected number comes from the shipped files in data/divisions and data/boundaries;
 * the comment beside each says how it was checked outside zhinao (shell pipelines run in
 * data/divisions, `zcat` for the .gz files).
 */
#include "zn_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "zhinao/div.h"
#include "zhinao/geo.h"
#include "zhinao/store.h"

typedef struct fixture {
    zn_ctx *ctx;
    zn_div_registry *reg;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    zn_error err;
    if (!f || zn_ctx_new(&f->ctx) != ZN_OK)
        return -1;
    if (zn_div_registry_new(f->ctx, zn_test_src("data/divisions"), &f->reg, &err) != ZN_OK) {
        char buf[1024];
        fprintf(stderr, "%s\n", zn_error_format(&err, buf, sizeof buf));
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    zn_div_registry_free(f->reg);
    zn_ctx_free(f->ctx);
    free(f);
    return 0;
}

static void test_normalize(void **state)
{
    (void)state;
    char c[13];
    assert_int_equal(zn_div_normalize("33", c), ZN_OK);
    assert_string_equal(c, "330000000000");
    assert_int_equal(zn_div_normalize("3301", c), ZN_OK);
    assert_string_equal(c, "330100000000");
    assert_int_equal(zn_div_normalize("330106", c), ZN_OK);
    assert_string_equal(c, "330106000000");
    assert_int_equal(zn_div_normalize("330106004", c), ZN_OK);
    assert_string_equal(c, "330106004000");
    assert_int_equal(zn_div_normalize("330106004053", c), ZN_OK);
    assert_string_equal(c, "330106004053");
    assert_int_equal(zn_div_normalize("33010600405", c), ZN_EINVAL); /* 11 digits */
    assert_int_equal(zn_div_normalize("3301a6", c), ZN_EINVAL);
    assert_int_equal(zn_div_normalize(" 330106", c), ZN_EINVAL);
    assert_int_equal(zn_div_normalize("", c), ZN_EINVAL);
    assert_int_equal(zn_div_normalize(NULL, c), ZN_EINVAL);

    assert_int_equal(zn_div_code_level("33"), 1);
    assert_int_equal(zn_div_code_level("330000"), 1);
    assert_int_equal(zn_div_code_level("310100000000"), 2);
    assert_int_equal(zn_div_code_level("330106"), 3);
    assert_int_equal(zn_div_code_level("330106004"), 4);
    assert_int_equal(zn_div_code_level("330106004053"), 5);
    assert_int_equal(zn_div_code_level("000000"), 0);
    assert_int_equal(zn_div_code_level("33x"), 0);
    assert_string_equal(zn_div_level_name(4), "township");
    assert_string_equal(zn_div_level_name(9), "unknown");
}

static void test_editions_and_counts(void **state)
{
    fixture *f = *state;
    int eds[4] = {0};
    assert_int_equal(zn_div_editions(f->reg, eds, 4), 2);
    assert_int_equal(eds[0], 2021);
    assert_int_equal(eds[1], 2023);
    assert_int_equal(zn_div_edition_latest(f->reg), 2023);
    assert_true(zn_div_has_edition(f->reg, 0));
    assert_false(zn_div_has_edition(f->reg, 2020));
    /* Whole files (Zhejiang + Shanghai): data rows, `tail -n +2 F | wc -l` (zcat for villages):
     * 2023: 2, 12, 106, 1621, 32056; 2021: 2, 12, 107, 1618, 31540. */
    size_t want23[6] = {33797, 2, 12, 106, 1621, 32056};
    size_t want21[6] = {33279, 2, 12, 107, 1618, 31540};
    for (int lv = 0; lv <= 5; lv++) {
        assert_int_equal(zn_div_count(f->reg, 2023, lv), want23[lv]);
        assert_int_equal(zn_div_count(f->reg, 0, lv), want23[lv]);
        assert_int_equal(zn_div_count(f->reg, 2021, lv), want21[lv]);
    }
    assert_int_equal(zn_div_count(f->reg, 2020, 0), 0);
}

/* Count the descendants of code per level by walking zn_div_children. */
static void count_subtree(const zn_div_registry *reg, int edition, const char *code, size_t per_level[6])
{
    zn_div *kids = NULL;
    size_t n = 0;
    assert_int_equal(zn_div_children(reg, edition, code, &kids, &n, NULL), ZN_OK);
    for (size_t i = 0; i < n; i++) {
        per_level[kids[i].level]++;
        assert_string_equal(kids[i].parent_code, code);
        if (kids[i].nchildren)
            count_subtree(reg, edition, kids[i].code, per_level);
    }
    free(kids);
}

static void test_zhejiang_tree(void **state)
{
    fixture *f = *state;
    /* `grep -c '^33' F` on cities, counties, townships and (zcat) villages of each edition */
    size_t got[6] = {0};
    count_subtree(f->reg, 2023, "330000000000", got);
    assert_int_equal(got[2], 11);
    assert_int_equal(got[3], 90);
    assert_int_equal(got[4], 1387);
    assert_int_equal(got[5], 25547);
    memset(got, 0, sizeof got);
    count_subtree(f->reg, 2021, "330000000000", got);
    assert_int_equal(got[2], 11);
    assert_int_equal(got[3], 91); /* + 330371 温州经济技术开发区 */
    assert_int_equal(got[4], 1384);
    assert_int_equal(got[5], 25306);
    /* Shanghai: `grep -c '^31'`: 1 city-level unit (市辖区), 16 districts, 234 townships, 6509 villages */
    memset(got, 0, sizeof got);
    count_subtree(f->reg, 2023, "310000000000", got);
    assert_int_equal(got[2], 1);
    assert_int_equal(got[3], 16);
    assert_int_equal(got[4], 234);
    assert_int_equal(got[5], 6509);
}

static void test_lookup(void **state)
{
    fixture *f = *state;
    zn_div d;
    zn_error err;
    assert_int_equal(zn_div_lookup(f->reg, 2023, "330106", &d, &err), ZN_OK);
    assert_string_equal(d.code, "330106000000");
    assert_string_equal(d.name, "西湖区");
    assert_int_equal(d.level, ZN_DIV_COUNTY);
    assert_string_equal(d.parent_code, "330100000000");
    assert_int_equal(d.edition, 2023);
    assert_int_equal(d.nchildren, 12); /* grep -c '^330106' townships_zj_sh_2023.csv */

    /* the same division in every accepted form */
    const char *forms[] = {"330106000000", "330106"};
    for (size_t i = 0; i < 2; i++) {
        zn_div e;
        assert_int_equal(zn_div_lookup(f->reg, 0, forms[i], &e, NULL), ZN_OK);
        assert_string_equal(e.code, "330106000000");
    }
    assert_int_equal(zn_div_lookup(f->reg, 2023, "3301", &d, NULL), ZN_OK);
    assert_string_equal(d.name, "杭州市");
    assert_int_equal(zn_div_lookup(f->reg, 2023, "330100", &d, NULL), ZN_OK); /* GB/T 2260 city */
    assert_string_equal(d.name, "杭州市");
    assert_int_equal(d.level, ZN_DIV_CITY);
    assert_int_equal(zn_div_lookup(f->reg, 2023, "330000", &d, NULL), ZN_OK);
    assert_string_equal(d.name, "浙江省");
    assert_string_equal(d.parent_code, "");
    assert_int_equal(zn_div_lookup(f->reg, 2023, "3101", &d, NULL), ZN_OK);
    assert_string_equal(d.name, "市辖区");
    assert_int_equal(d.nchildren, 16);

    assert_int_equal(zn_div_parent(f->reg, 2023, "330106", &d, NULL), ZN_OK);
    assert_string_equal(d.code, "330100000000");
    assert_string_equal(d.name, "杭州市");
    assert_int_equal(zn_div_parent(f->reg, 2023, "33", &d, &err), ZN_ENOTFOUND);

    /* 330371 温州经济技术开发区 is in 2021 only (diff of the counties files) */
    assert_int_equal(zn_div_lookup(f->reg, 2021, "330371", &d, NULL), ZN_OK);
    assert_string_equal(d.name, "温州经济技术开发区");
    assert_int_equal(zn_div_lookup(f->reg, 2023, "330371", &d, &err), ZN_ENOTFOUND);
    assert_string_equal(err.field, "code");
    assert_int_equal(zn_div_lookup(f->reg, 2023, "330199", &d, NULL), ZN_ENOTFOUND);
    assert_int_equal(zn_div_lookup(f->reg, 2023, "3301061", &d, &err), ZN_EINVAL);
    assert_int_equal(zn_div_lookup(f->reg, 2020, "330106", &d, &err), ZN_EINVAL);
    assert_string_equal(err.field, "edition");

    /* post-2021 Hangzhou districts (April 2021) are in both editions */
    assert_int_equal(zn_div_lookup(f->reg, 2021, "330113", &d, NULL), ZN_OK);
    assert_string_equal(d.name, "临平区");
    assert_int_equal(zn_div_lookup(f->reg, 2023, "330114", &d, NULL), ZN_OK);
    assert_string_equal(d.name, "钱塘区");
}

static void test_path_and_children(void **state)
{
    fixture *f = *state;
    zn_buf b = {0};
    /* zcat villages_zj_sh_2023.csv.gz | grep ^330106004053 -> 石灰桥社区 under 330106004 (西溪街道) */
    assert_int_equal(zn_div_path(f->reg, 2023, "330106004053", &b, NULL), ZN_OK);
    assert_string_equal(b.data, "浙江省/杭州市/西湖区/西溪街道/石灰桥社区");
    zn_buf_reset(&b);
    /* first village of the file: 310101002001 云南中路居委会, township 310101002 南京东路街道 */
    assert_int_equal(zn_div_path(f->reg, 2023, "310101002001", &b, NULL), ZN_OK);
    assert_string_equal(b.data, "上海市/市辖区/黄浦区/南京东路街道/云南中路居委会");
    zn_buf_reset(&b);
    assert_int_equal(zn_div_path(f->reg, 2023, "33", &b, NULL), ZN_OK);
    assert_string_equal(b.data, "浙江省");
    assert_int_equal(zn_div_path(f->reg, 2023, "330106004999", &b, NULL), ZN_ENOTFOUND);
    zn_buf_fini(&b);

    zn_div *v = NULL;
    size_t n = 0;
    assert_int_equal(zn_div_children(f->reg, 2023, "330106", &v, &n, NULL), ZN_OK);
    assert_int_equal(n, 12);
    assert_string_equal(v[0].code, "330106002000"); /* 北山街道, first line for 330106 */
    assert_string_equal(v[0].name, "北山街道");
    assert_string_equal(v[1].name, "西溪街道");
    for (size_t i = 1; i < n; i++)
        assert_true(strcmp(v[i - 1].code, v[i].code) < 0);
    free(v);
    assert_int_equal(zn_div_children(f->reg, 2023, NULL, &v, &n, NULL), ZN_OK);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].name, "上海市");
    assert_string_equal(v[1].name, "浙江省");
    free(v);
    assert_int_equal(zn_div_children(f->reg, 2023, "330106004053", &v, &n, NULL), ZN_OK);
    assert_int_equal(n, 0);
    assert_null(v);
}

static void test_search(void **state)
{
    fixture *f = *state;
    zn_div *v = NULL;
    size_t n = 0;
    zn_div_query q = {"普陀区", ZN_DIV_MATCH_EXACT, 0, NULL};
    /* counties_zj_sh_2023.csv: 310107 普陀区 (Shanghai) and 330903 普陀区 (Zhoushan) */
    assert_int_equal(zn_div_search(f->reg, 2023, &q, &v, &n, NULL), ZN_OK);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].code, "310107000000");
    assert_string_equal(v[1].code, "330903000000");
    assert_string_equal(v[1].parent_code, "330900000000");
    free(v);
    q.under = "33";
    assert_int_equal(zn_div_search(f->reg, 2023, &q, &v, &n, NULL), ZN_OK);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].code, "330903000000");
    free(v);

    /* substring: grep -c ',"[^"]*普陀[^"]*"' over the 2023 files: 2 counties, 1 township, 3 villages */
    zn_div_query s = {"普陀", ZN_DIV_MATCH_SUBSTRING, 0, NULL};
    assert_int_equal(zn_div_search(f->reg, 2023, &s, &v, &n, NULL), ZN_OK);
    assert_int_equal(n, 6);
    free(v);
    s.level = ZN_DIV_TOWNSHIP;
    assert_int_equal(zn_div_search(f->reg, 2023, &s, &v, &n, NULL), ZN_OK);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].level, ZN_DIV_TOWNSHIP);
    assert_non_null(strstr(v[0].name, "普陀"));
    free(v);
    /* "西湖" in 2023: 2 non-village names + 20 villages (same grep) */
    zn_div_query w = {"西湖", ZN_DIV_MATCH_SUBSTRING, 0, NULL};
    assert_int_equal(zn_div_search(f->reg, 2023, &w, &v, &n, NULL), ZN_OK);
    assert_int_equal(n, 22);
    free(v);
    w.level = ZN_DIV_COUNTY;
    assert_int_equal(zn_div_search(f->reg, 2023, &w, &v, &n, NULL), ZN_OK);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].code, "330106000000");
    free(v);

    zn_div_query none = {"不存在的地方", ZN_DIV_MATCH_SUBSTRING, 0, NULL};
    assert_int_equal(zn_div_search(f->reg, 2023, &none, &v, &n, NULL), ZN_OK);
    assert_int_equal(n, 0);
    assert_null(v);
    zn_div_query bad = {"", ZN_DIV_MATCH_EXACT, 0, NULL};
    assert_int_equal(zn_div_search(f->reg, 2023, &bad, &v, &n, NULL), ZN_EINVAL);
    zn_div_query badlv = {"西湖区", ZN_DIV_MATCH_EXACT, 6, NULL};
    assert_int_equal(zn_div_search(f->reg, 2023, &badlv, &v, &n, NULL), ZN_EINVAL);
}

static void test_diff(void **state)
{
    fixture *f = *state;
    zn_div_diff d;
    /*
     * Checked independently, per level and province P (33 or 31), in data/divisions:
     *   grep "^P" L_zj_sh_2021.csv | cut -d, -f1,2 | sort > a; same for 2023 > b   (zcat for villages)
     *   removed = join -t, -v1 <(cut -d, -f1 a) <(cut -d, -f1 b) | wc -l
     *   added   = join -t, -v2 <(cut -d, -f1 a) <(cut -d, -f1 b) | wc -l
     *   renamed = join -t, a b | awk -F, '$2 != $3' | wc -l
     * Zhejiang villages 258 / 499 / 277 (as PROVENANCE.md says), townships 5 / 8 / 1, counties 1 / 0 / 0;
     * Shanghai villages 92 / 367 / 70, townships 0 / 0 / 2.
     */
    assert_int_equal(zn_div_diff_compute(f->reg, 2021, 2023, "33", &d, NULL), ZN_OK);
    assert_int_equal(d.from_edition, 2021);
    assert_int_equal(d.to_edition, 2023);
    assert_int_equal(d.removed[5], 258);
    assert_int_equal(d.added[5], 499);
    assert_int_equal(d.renamed[5], 277);
    assert_int_equal(d.removed[4], 5);
    assert_int_equal(d.added[4], 8);
    assert_int_equal(d.renamed[4], 1);
    assert_int_equal(d.removed[3], 1);
    assert_int_equal(d.added[3] + d.renamed[3] + d.added[2] + d.removed[2] + d.renamed[2], 0);
    assert_int_equal(d.removed[0], 258 + 5 + 1);
    assert_int_equal(d.added[0], 499 + 8);
    assert_int_equal(d.renamed[0], 277 + 1);
    assert_int_equal(d.nchanges, 264 + 507 + 278);
    /* the renamed township: 330326401 滨海新区 -> 开发区 */
    int seen = 0;
    for (size_t i = 0; i < d.nchanges; i++) {
        if (i > 0)
            assert_true(strcmp(d.changes[i - 1].code, d.changes[i].code) < 0);
        if (!strcmp(d.changes[i].code, "330326401000")) {
            assert_int_equal(d.changes[i].kind, ZN_DIV_RENAMED);
            assert_string_equal(d.changes[i].old_name, "滨海新区");
            assert_string_equal(d.changes[i].new_name, "开发区");
            seen = 1;
        }
        if (!strcmp(d.changes[i].code, "330371000000")) {
            assert_int_equal(d.changes[i].kind, ZN_DIV_REMOVED);
            assert_null(d.changes[i].new_name);
        }
    }
    assert_true(seen);
    zn_div_diff_fini(&d);
    assert_null(d.changes);

    assert_int_equal(zn_div_diff_compute(f->reg, 2021, 2023, "31", &d, NULL), ZN_OK);
    assert_int_equal(d.removed[5], 92);
    assert_int_equal(d.added[5], 367);
    assert_int_equal(d.renamed[5], 70);
    assert_int_equal(d.renamed[4], 2);
    zn_div_diff_fini(&d);

    /* whole registry = Zhejiang + Shanghai */
    assert_int_equal(zn_div_diff_compute(f->reg, 2021, 2023, NULL, &d, NULL), ZN_OK);
    assert_int_equal(d.removed[5], 258 + 92);
    assert_int_equal(d.added[5], 499 + 367);
    assert_int_equal(d.renamed[5], 277 + 70);
    zn_div_diff_fini(&d);

    /* reversed editions swap added and removed */
    assert_int_equal(zn_div_diff_compute(f->reg, 2023, 2021, "33", &d, NULL), ZN_OK);
    assert_int_equal(d.added[5], 258);
    assert_int_equal(d.removed[5], 499);
    zn_div_diff_fini(&d);

    /* a subtree: the removed dev zone 330371 and its subtree (under includes the root) */
    assert_int_equal(zn_div_diff_compute(f->reg, 2021, 2023, "330371", &d, NULL), ZN_OK);
    assert_int_equal(d.removed[3], 1);
    assert_int_equal(d.added[0], 0);
    /* grep -c '^330371' townships_zj_sh_2021.csv = 4; zcat villages_..._2021 | grep -c '^330371' = 49 */
    assert_int_equal(d.removed[4], 4);
    assert_int_equal(d.removed[5], 49);
    assert_int_equal(d.removed[0], 1 + 4 + 49);
    zn_div_diff_fini(&d);

    assert_int_equal(zn_div_diff_compute(f->reg, 2023, 2023, NULL, &d, NULL), ZN_OK);
    assert_int_equal(d.nchanges, 0);
    zn_div_diff_fini(&d);
    assert_int_equal(zn_div_diff_compute(f->reg, 2021, 2020, NULL, &d, NULL), ZN_EINVAL);
    assert_int_equal(zn_div_diff_compute(f->reg, 2021, 2023, "339999", &d, NULL), ZN_ENOTFOUND);
    assert_int_equal(zn_div_diff_compute(f->reg, 2021, 2023, "3x", &d, NULL), ZN_EINVAL);
}

static void test_save(void **state)
{
    fixture *f = *state;
    zn_store *st;
    zn_error err;
    assert_int_equal(zn_store_open(f->ctx, ":memory:", &st, &err), ZN_OK);
    int64_t changed = -1, rows = 0;
    assert_int_equal(zn_div_registry_save(f->reg, st, &changed, &err), ZN_OK);
    assert_int_equal(changed, 33279 + 33797);
    assert_int_equal(zn_store_query_int64(st, "SELECT COUNT(*) FROM division", &rows, &err), ZN_OK);
    assert_int_equal(rows, 33279 + 33797);
    /* idempotent */
    assert_int_equal(zn_div_registry_save(f->reg, st, &changed, &err), ZN_OK);
    assert_int_equal(changed, 0);
    assert_int_equal(zn_store_query_int64(st, "SELECT COUNT(*) FROM division", &rows, &err), ZN_OK);
    assert_int_equal(rows, 33279 + 33797);
    assert_int_equal(zn_store_query_int64(st, "SELECT COUNT(*) FROM division WHERE parent_code IS NULL", &rows, &err),
                     ZN_OK);
    assert_int_equal(rows, 4); /* 2 provinces x 2 editions */
    assert_int_equal(zn_store_query_int64(st,
                                          "SELECT COUNT(*) FROM division WHERE edition = 2023 AND level = 5 "
                                          "AND code LIKE '33%'",
                                          &rows, &err),
                     ZN_OK);
    assert_int_equal(rows, 25547);

    zn_stmt *s;
    assert_int_equal(zn_stmt_prepare(st, "SELECT name, level, parent_code FROM division WHERE edition = 2023 AND code = ?",
                                     &s, &err),
                     ZN_OK);
    zn_stmt_bind_text(s, 1, "330106000000");
    int has = 0;
    assert_int_equal(zn_stmt_step(s, &has, &err), ZN_OK);
    assert_true(has);
    assert_string_equal(zn_stmt_column_text(s, 0), "西湖区");
    assert_int_equal(zn_stmt_column_int64(s, 1), 3);
    assert_string_equal(zn_stmt_column_text(s, 2), "330100000000");
    zn_stmt_finalize(s);

    /* a row changed behind our back is put right, and only that one */
    assert_int_equal(zn_store_exec(st, "UPDATE division SET name = 'x' WHERE edition = 2021 AND code = '330106000000'",
                                   &err),
                     ZN_OK);
    assert_int_equal(zn_div_registry_save(f->reg, st, &changed, &err), ZN_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(zn_store_query_int64(st, "SELECT COUNT(*) FROM division WHERE name = '西湖区'", &rows, &err), ZN_OK);
    assert_int_equal(rows, 2);
    zn_store_close(st);
}

/* The registry read back from the store answers as the one from the files. */
static void test_load_store(void **state)
{
    fixture *f = *state;
    zn_store *st;
    zn_error err;
    zn_div_registry *back = NULL;
    assert_int_equal(zn_store_open(f->ctx, ":memory:", &st, &err), ZN_OK);
    assert_int_equal(zn_div_registry_load_store(f->ctx, st, &back, &err), ZN_ENOTFOUND); /* empty table */
    assert_null(back);
    assert_non_null(strstr(err.msg, "no divisions"));
    assert_int_equal(zn_div_registry_save(f->reg, st, NULL, &err), ZN_OK);
    assert_int_equal(zn_div_registry_load_store(f->ctx, st, &back, &err), ZN_OK);

    int eds[4];
    assert_int_equal(zn_div_editions(back, eds, 4), 2);
    assert_int_equal(eds[0], 2021);
    assert_int_equal(eds[1], 2023);
    for (int e = 0; e < 2; e++)
        for (int lv = 0; lv <= 5; lv++)
            assert_int_equal(zn_div_count(back, eds[e], lv), zn_div_count(f->reg, eds[e], lv));
    assert_int_equal(zn_div_count(back, 2023, 0), 33797);

    zn_div d, p;
    assert_int_equal(zn_div_lookup(back, 0, "330106", &d, &err), ZN_OK);
    assert_string_equal(d.name, "西湖区");
    assert_string_equal(d.parent_code, "330100000000");
    assert_int_equal(d.nchildren, 12);
    assert_int_equal(d.edition, 2023);
    assert_int_equal(zn_div_parent(back, 0, "330106", &p, &err), ZN_OK);
    assert_string_equal(p.name, "杭州市");
    zn_buf path = {0};
    assert_int_equal(zn_div_path(back, 0, "330106004053", &path, &err), ZN_OK);
    assert_string_equal(path.data, "浙江省/杭州市/西湖区/西溪街道/石灰桥社区");
    zn_buf_fini(&path);
    assert_int_equal(zn_div_lookup(back, 2021, "330371", &d, &err), ZN_OK);
    assert_string_equal(d.name, "温州经济技术开发区");
    assert_int_equal(zn_div_lookup(back, 2023, "330371", &d, &err), ZN_ENOTFOUND);
    zn_div_diff dd;
    assert_int_equal(zn_div_diff_compute(back, 2021, 2023, "33", &dd, &err), ZN_OK);
    assert_int_equal(dd.added[0], 507);
    assert_int_equal(dd.removed[0], 264);
    assert_int_equal(dd.renamed[0], 278);
    zn_div_diff_fini(&dd);
    zn_div_registry_free(back);
    back = NULL;

    /* a parent_code that is not the truncated code: the row is named */
    assert_int_equal(zn_store_exec(st, "UPDATE division SET parent_code = '330200000000' "
                                       "WHERE edition = 2023 AND code = '330106000000'", &err), ZN_OK);
    assert_int_equal(zn_div_registry_load_store(f->ctx, st, &back, &err), ZN_EPARSE);
    assert_null(back);
    assert_string_equal(err.file, "table division");
    assert_string_equal(err.field, "parent_code");
    assert_true(err.line > 33279); /* a 2023 row: after every 2021 row */
    /* a city missing under its counties */
    assert_int_equal(zn_store_exec(st, "UPDATE division SET parent_code = '330100000000' "
                                       "WHERE edition = 2023 AND code = '330106000000'", &err), ZN_OK);
    assert_int_equal(zn_store_exec(st, "DELETE FROM division WHERE edition = 2021 AND code = '330100000000'", &err),
                     ZN_OK);
    assert_int_equal(zn_div_registry_load_store(f->ctx, st, &back, &err), ZN_EVALIDATE);
    assert_non_null(strstr(err.msg, "edition 2021"));
    assert_int_equal(zn_div_registry_load_store(NULL, st, &back, &err), ZN_EINVAL);
    zn_store_close(st);
}

static void test_locate(void **state)
{
    fixture *f = *state;
    zn_div county, city;
    zn_error err;
    assert_int_equal(zn_div_locate(f->reg, 120.14, 30.25, ZN_CRS_GCJ02, 0, &county, &city, &err), ZN_ESTATE);
    assert_int_equal(zn_div_boundaries_load(f->reg, zn_test_src("data/boundaries"), &err), ZN_OK);
    assert_int_equal(zn_div_boundary_count(f->reg), 90 + 16); /* PROVENANCE: 90 counties + 16 districts */

    /* West Lake, GCJ-02 (AMap/DataV) ~ (120.14, 30.25): the lake lies in 西湖区 */
    assert_int_equal(zn_div_locate(f->reg, 120.14, 30.25, ZN_CRS_GCJ02, 0, &county, &city, &err), ZN_OK);
    assert_string_equal(county.code, "330106000000");
    assert_string_equal(county.name, "西湖区");
    assert_string_equal(city.code, "330100000000");
    assert_int_equal(county.edition, 2023);
    /* People's Square (人民广场), GCJ-02 (121.4737, 31.2304) -> 黄浦区; city = 市辖区 */
    assert_int_equal(zn_div_locate(f->reg, 121.4737, 31.2304, ZN_CRS_GCJ02, 0, &county, &city, &err), ZN_OK);
    assert_string_equal(county.code, "310101000000");
    assert_string_equal(county.name, "黄浦区");
    assert_string_equal(city.code, "310100000000");
    assert_string_equal(city.name, "市辖区");
    /* Oriental Pearl Tower, Lujiazui, GCJ-02 (121.4997, 31.2397) -> 浦东新区 */
    assert_int_equal(zn_div_locate(f->reg, 121.4997, 31.2397, ZN_CRS_GCJ02, 0, &county, NULL, &err), ZN_OK);
    assert_string_equal(county.code, "310115000000");
    /* East China Sea, 200 km off Zhoushan */
    assert_int_equal(zn_div_locate(f->reg, 123.5, 30.0, ZN_CRS_GCJ02, 0, &county, NULL, &err), ZN_ENOTFOUND);
    assert_int_equal(zn_div_locate(f->reg, 123.5, 30.0, ZN_CRS_WGS84, 0, &county, NULL, &err), ZN_ENOTFOUND);
    /* Beijing: outside the shipped boundaries */
    assert_int_equal(zn_div_locate(f->reg, 116.397, 39.909, ZN_CRS_WGS84, 0, &county, NULL, &err), ZN_ENOTFOUND);

    /* the same physical point in WGS-84, GCJ-02 and BD-09 gives the same county */
    double wlon = 120.1390, wlat = 30.2480, glon, glat, blon, blat;
    zn_crs_convert(ZN_CRS_WGS84, ZN_CRS_GCJ02, wlon, wlat, &glon, &glat);
    zn_crs_convert(ZN_CRS_WGS84, ZN_CRS_BD09, wlon, wlat, &blon, &blat);
    zn_div a, b, c;
    assert_int_equal(zn_div_locate(f->reg, wlon, wlat, ZN_CRS_WGS84, 0, &a, NULL, &err), ZN_OK);
    assert_int_equal(zn_div_locate(f->reg, glon, glat, ZN_CRS_GCJ02, 0, &b, NULL, &err), ZN_OK);
    assert_int_equal(zn_div_locate(f->reg, blon, blat, ZN_CRS_BD09, 0, &c, NULL, &err), ZN_OK);
    assert_string_equal(a.code, "330106000000");
    assert_string_equal(b.code, a.code);
    assert_string_equal(c.code, a.code);

    /*
     * The CRS matters: (120.157, 30.25) read as GCJ-02 is in 西湖区, read as WGS-84 it becomes
     * GCJ-02 (~120.1616, ~30.2476), east of the 西湖区/上城区 border. Found by scanning lon
     * 120.150..120.175 at lat 30.25 with `zhinao divisions locate`: the two readings differ
     * for 120.154..120.160, so 120.157 is mid-band.
     */
    assert_int_equal(zn_div_locate(f->reg, 120.157, 30.25, ZN_CRS_GCJ02, 0, &a, NULL, &err), ZN_OK);
    assert_string_equal(a.code, "330106000000");
    assert_int_equal(zn_div_locate(f->reg, 120.157, 30.25, ZN_CRS_WGS84, 0, &a, NULL, &err), ZN_OK);
    assert_string_equal(a.code, "330102000000");
    assert_string_equal(a.name, "上城区");

    /* post-2021 districts have polygons: 临平区 centre (DataV center property 120.299376, 30.419025) */
    assert_int_equal(zn_div_locate(f->reg, 120.299376, 30.419025, ZN_CRS_GCJ02, 2021, &a, NULL, &err), ZN_OK);
    assert_string_equal(a.code, "330113000000");
    assert_int_equal(a.edition, 2021);

    assert_int_equal(zn_div_locate(f->reg, NAN, 30.0, ZN_CRS_WGS84, 0, &a, NULL, &err), ZN_EINVAL);
    assert_int_equal(zn_div_locate(f->reg, 120.0, 95.0, ZN_CRS_WGS84, 0, &a, NULL, &err), ZN_EINVAL);
    assert_int_equal(zn_div_locate(f->reg, 120.14, 30.25, ZN_CRS_GCJ02, 2020, &a, NULL, &err), ZN_EINVAL);
}

/* Error paths of the loader, on small files written to a temp folder. */
static const char *mkdir_files(const char *name, const char *const *files)
{
    static char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", zn_test_tmpdir(), name);
    mkdir(dir, 0755);
    for (size_t i = 0; files[i]; i += 2) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        FILE *fp = fopen(path, "wb");
        assert_non_null(fp);
        fputs(files[i + 1], fp);
        fclose(fp);
    }
    return dir;
}

static void test_load_errors(void **state)
{
    fixture *f = *state;
    zn_div_registry *reg = NULL;
    zn_error err;
    assert_int_equal(zn_div_registry_new(f->ctx, "/nonexistent/zn-divisions", &reg, &err), ZN_EIO);
    assert_null(reg);

    const char *none[] = {"README.md", "x", NULL};
    assert_int_equal(zn_div_registry_new(f->ctx, mkdir_files("empty", none), &reg, &err), ZN_ENOTFOUND);

    const char *good[] = {"provinces_t_2024.csv", "code,name\n33,\"浙江省\"\n",
                          "cities_t_2024.csv", "code,name,provinceCode\n3301,\"杭州市\",33\n", NULL};
    assert_int_equal(zn_div_registry_new(f->ctx, mkdir_files("good", good), &reg, &err), ZN_OK);
    assert_int_equal(zn_div_edition_latest(reg), 2024);
    assert_int_equal(zn_div_count(reg, 0, 0), 2);
    zn_div_registry_free(reg);

    /* parent column disagrees with the code */
    const char *badparent[] = {"provinces_t_2024.csv", "code,name\n33,\"浙江省\"\n34,\"安徽省\"\n",
                               "cities_t_2024.csv", "code,name,provinceCode\n3301,\"杭州市\",33\n3401,\"合肥市\",33\n", NULL};
    assert_int_equal(zn_div_registry_new(f->ctx, mkdir_files("badparent", badparent), &reg, &err), ZN_EPARSE);
    assert_string_equal(err.field, "provinceCode");
    assert_int_equal(err.line, 3);
    assert_non_null(strstr(err.file, "cities_t_2024.csv"));

    /* parent missing from the edition */
    const char *orphan[] = {"provinces_t_2024.csv", "code,name\n33,\"浙江省\"\n",
                            "cities_t_2024.csv", "code,name,provinceCode\n3301,\"杭州市\",33\n3401,\"合肥市\",34\n", NULL};
    assert_int_equal(zn_div_registry_new(f->ctx, mkdir_files("orphan", orphan), &reg, &err), ZN_EVALIDATE);
    assert_int_equal(err.line, 3);

    /* wrong code length for the level */
    const char *badcode[] = {"provinces_t_2024.csv", "code,name\n33,\"浙江省\"\n",
                             "counties_t_2024.csv", "code,name,cityCode\n33010,\"x\",3301\n", NULL};
    assert_int_equal(zn_div_registry_new(f->ctx, mkdir_files("badcode", badcode), &reg, &err), ZN_EPARSE);
    assert_string_equal(err.field, "code");
    assert_int_equal(err.line, 2);

    /* duplicate code */
    const char *dup[] = {"provinces_t_2024.csv", "code,name\n33,\"浙江省\"\n33,\"浙江\"\n", NULL};
    assert_int_equal(zn_div_registry_new(f->ctx, mkdir_files("dup", dup), &reg, &err), ZN_EDUPLICATE);

    /* header without the parent column */
    const char *badhdr[] = {"provinces_t_2024.csv", "code,name\n33,\"浙江省\"\n",
                            "cities_t_2024.csv", "code,name\n3301,\"杭州市\"\n", NULL};
    assert_int_equal(zn_div_registry_new(f->ctx, mkdir_files("badhdr", badhdr), &reg, &err), ZN_EPARSE);
    assert_int_equal(err.line, 1);
    assert_null(reg);

    /* boundaries: a folder without GeoJSON, and a broken file */
    assert_int_equal(zn_div_registry_new(f->ctx, zn_test_src("data/divisions"), &reg, &err), ZN_OK);
    assert_int_equal(zn_div_boundaries_load(reg, mkdir_files("nogeo", none), &err), ZN_ENOTFOUND);
    const char *badgeo[] = {"x.geojson", "{\"type\": \"FeatureCollection\", \"features\": [", NULL};
    assert_int_equal(zn_div_boundaries_load(reg, mkdir_files("badgeo", badgeo), &err), ZN_EPARSE);
    /* a hand-made square county: (0,0)-(1,1) as 330106 */
    const char *square[] = {"sq.geojson",
                            "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":"
                            "{\"adcode\":330106,\"name\":\"西湖区\",\"level\":\"district\"},\"geometry\":{\"type\":"
                            "\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}}]}",
                            NULL};
    assert_int_equal(zn_div_boundaries_load(reg, mkdir_files("square", square), &err), ZN_OK);
    assert_int_equal(zn_div_boundary_count(reg), 1);
    zn_div d;
    assert_int_equal(zn_div_locate(reg, 0.5, 0.5, ZN_CRS_GCJ02, 0, &d, NULL, &err), ZN_OK);
    assert_string_equal(d.code, "330106000000");
    assert_int_equal(zn_div_locate(reg, 1.0, 0.5, ZN_CRS_GCJ02, 0, &d, NULL, &err), ZN_OK); /* on the edge */
    assert_int_equal(zn_div_locate(reg, 1.5, 0.5, ZN_CRS_GCJ02, 0, &d, NULL, &err), ZN_ENOTFOUND);
    zn_div_registry_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_editions_and_counts),
        cmocka_unit_test(test_zhejiang_tree),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_path_and_children),
        cmocka_unit_test(test_search),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_save),
        cmocka_unit_test(test_load_store),
        cmocka_unit_test(test_locate),
        cmocka_unit_test(test_load_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
