/*
 * The demo city through the hub: every generated file of a dirty city is ingested; the hub must
 * quarantine exactly the injected bad check digits, swapped coordinates and ends before starts,
 * count exactly the injected duplicates, detect the GBK files and load the late files, and refuse
 * nothing else (so the clean rows pass every catalogue check, division codes included).
 */
#include "zn_test.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhinao/div.h"
#include "zhinao/gen.h"
#include "zhinao/hub.h"
#include "zhinao/store.h"

static char dir_b[512], data_dir[600];

static int setup(void **state)
{
    (void)state;
    snprintf(dir_b, sizeof dir_b, "%s/b", zn_test_tmpdir());
    snprintf(data_dir, sizeof data_dir, "%s", zn_test_src("data"));
    zn_gen_options o;
    zn_gen_options_default(&o);
    o.data_dir = data_dir;
    o.out_dir = dir_b;
    o.persons = 4000;
    o.days = 10;
    o.seed = 20220301;
    o.index_cases = 12;
    for (int k = 0; k < ZN_GEN_DIRT_COUNT; k++)
        o.dirt[k] = 0.02;
    o.dirt[ZN_GEN_DIRT_MISSING_SEAT] = 0.2;
    o.dirt[ZN_GEN_DIRT_GBK] = 0.25;
    o.write_stays = 0;
    zn_ctx *ctx;
    if (zn_ctx_new(&ctx) != ZN_OK)
        return -1;
    zn_error err;
    zn_status st = zn_gen_city(ctx, &o, NULL, &err);
    if (st != ZN_OK) {
        char buf[1024];
        fprintf(stderr, "gen: %s\n", zn_error_format(&err, buf, sizeof buf));
    }
    zn_ctx_free(ctx);
    return st == ZN_OK ? 0 : -1;
}

static json_t *manifest(const char *dir)
{
    char path[600];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    json_error_t je;
    json_t *m = json_load_file(path, 0, &je);
    assert_non_null(m);
    return m;
}

typedef struct qacc {
    json_t *by; /* feed -> {reason -> count} */
} qacc;

static void on_q(void *user, const char *feed, const char *reason, int64_t count)
{
    qacc *a = user;
    json_t *f = json_object_get(a->by, feed);
    if (!f) {
        f = json_object();
        json_object_set_new(a->by, feed, f);
    }
    json_object_set_new(f, reason, json_integer(count));
}

/* Ingest every file of city B: the hub quarantines exactly the injected bad check digits, swapped
 * coordinates and ends before starts, counts exactly the injected duplicates, detects the GBK files
 * and loads the late files; nothing else is refused. */
static void test_hub_catches_dirt(void **state)
{
    (void)state;
    zn_ctx *ctx;
    assert_int_equal(zn_ctx_new(&ctx), ZN_OK);
    zn_error err;
    zn_store *st;
    char db[600];
    snprintf(db, sizeof db, "%s/b.db", zn_test_tmpdir());
    assert_int_equal(zn_store_open(ctx, db, &st, &err), ZN_OK);
    zn_div_registry *reg;
    assert_int_equal(zn_div_registry_new(ctx, zn_test_src("data/divisions"), &reg, &err), ZN_OK);
    assert_int_equal(zn_div_registry_save(reg, st, NULL, &err), ZN_OK);
    zn_div_registry_free(reg);
    zn_catalogue *cat;
    assert_int_equal(zn_catalogue_load(zn_test_src("data/feeds/catalogue.json"), &cat, &err), ZN_OK);
    json_t *m = manifest(dir_b);
    json_t *files = json_object_get(m, "files");
    for (size_t i = 0; i < json_array_size(files); i++) {
        json_t *fo = json_array_get(files, i);
        const char *feed = json_string_value(json_object_get(fo, "feed"));
        json_t *dj = json_object_get(fo, "dirt");
        char path[800];
        zn_ingest_summary s;
        snprintf(path, sizeof path, "%s/%s", dir_b, json_string_value(json_object_get(fo, "path")));
        zn_status rc = zn_hub_ingest(st, cat, feed, path, NULL, &s, &err);
        if (rc != ZN_OK) {
            char buf[1024];
            fail_msg("%s: %s", feed, zn_error_format(&err, buf, sizeof buf));
        }
        long inj_dup = (long)json_integer_value(json_object_get(json_object_get(dj, "duplicate"), "injected"));
        assert_int_equal(s.duplicates, inj_dup);
        assert_int_equal(s.unchecked, 0);
        assert_string_equal(s.encoding, !strcmp(json_string_value(json_object_get(fo, "encoding")), "gbk")
                                            ? "gb18030" : "utf-8");
        json_t *late = json_object_get(fo, "late");
        if (json_is_object(late)) {
            snprintf(path, sizeof path, "%s/%s", dir_b, json_string_value(json_object_get(late, "path")));
            assert_int_equal(zn_hub_ingest(st, cat, feed, path, NULL, &s, &err), ZN_OK);
            assert_int_equal(s.rows, json_integer_value(json_object_get(late, "rows")));
            assert_int_equal(s.accepted, s.rows); /* late rows are clean */
        }
    }
    qacc a = {json_object()};
    assert_int_equal(zn_quarantine_summary(st, on_q, &a, &err), ZN_OK);
    static const struct {
        int kind;
        const char *reason;
    } caught[] = {{ZN_GEN_DIRT_CHECK_DIGIT, "bad_check_digit"},
                  {ZN_GEN_DIRT_SWAPPED, "swapped_lat_lon"},
                  {ZN_GEN_DIRT_END_BEFORE_START, "end_before_start"}};
    long expect_total = 0, got_total = 0;
    for (size_t i = 0; i < json_array_size(files); i++) {
        json_t *fo = json_array_get(files, i);
        const char *feed = json_string_value(json_object_get(fo, "feed"));
        json_t *dj = json_object_get(fo, "dirt");
        json_t *q = json_object_get(a.by, feed);
        for (size_t c = 0; c < 3; c++) {
            long inj = (long)json_integer_value(json_object_get(json_object_get(dj, zn_gen_dirt_name(caught[c].kind)), "injected"));
            long got = q ? (long)json_integer_value(json_object_get(q, caught[c].reason)) : 0;
            if (inj != got)
                fail_msg("%s %s: injected %ld, quarantined %ld", feed, caught[c].reason, inj, got);
            expect_total += inj;
        }
    }
    const char *fk;
    json_t *fv;
    json_object_foreach(a.by, fk, fv)
    {
        const char *rk;
        json_t *rv;
        json_object_foreach(fv, rk, rv) got_total += (long)json_integer_value(rv);
    }
    assert_true(expect_total > 100);
    assert_int_equal(got_total, expect_total); /* no other reason */
    json_decref(a.by);
    json_decref(m);
    zn_catalogue_free(cat);
    zn_store_close(st);
    zn_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hub_catches_dirt),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
