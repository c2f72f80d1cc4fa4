/* The broken-file corpus (tests/data/bad/, listed in its README.md): for every kind, exactly which
 * rows are quarantined (line, reason code, field), that every good row is stored (count and a
 * value), and for fatal files that the error names file/line/field and nothing of the file is
 * stored. The clock is fixed at 2022-05-01T00:00:00+08:00. */
#include "zn_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhinao/hub.h"
#include "zhinao/store.h"

#define NOW 1651334400

typedef struct bad_case {
    const char *file;        /* under tests/data/bad/ */
    const char *feed;
    zn_status status;        /* what zn_hub_ingest returns */
    int64_t rows, accepted, quarantined, duplicates;
    const char *quarantine;  /* "line|reason_code|field;..." in line order */
    const char *value_sql;   /* a query on the stored rows (NULL: none) ... */
    const char *value;       /* ... and its expected first column */
    long err_line;           /* fatal files: the line and field the error names */
    const char *err_field;
    const char *err_words;
} bad_case;

#define CRL "case_residence_list"
#define SHANGHAI_PUDONG "SELECT address FROM feed_case_residence_list WHERE _line = 2", "三三公路5020弄"

static const bad_case cases[] = {
    {"01_empty.csv", CRL, ZN_EPARSE, 0, 0, 0, 0, "", NULL, NULL, 0, "", "empty"},
    {"02_header_only.csv", CRL, ZN_OK, 0, 0, 0, 0, "", "SELECT COUNT(*) FROM feed_case_residence_list", "0", 0, NULL, NULL},
    {"03_missing_column.csv", CRL, ZN_OK, 3, 2, 1, 0, "3|column_count|",
     "SELECT address FROM feed_case_residence_list WHERE _line = 4", "南京东路100号", 0, NULL, NULL},
    {"04_extra_column.csv", CRL, ZN_OK, 2, 1, 1, 0, "2|column_count|",
     "SELECT address FROM feed_case_residence_list WHERE _line = 3", "南京东路100号", 0, NULL, NULL},
    {"05_truncated_last_line.csv", CRL, ZN_OK, 2, 1, 1, 0, "3|column_count|", SHANGHAI_PUDONG, 0, NULL, NULL},
    {"06_unterminated_quote.csv", CRL, ZN_EPARSE, 0, 0, 0, 0, "", NULL, NULL, 3, "", "quote"},
    {"07_nul_byte.csv", CRL, ZN_OK, 3, 2, 1, 0, "3|nul_byte|address",
     "SELECT address FROM feed_case_residence_list WHERE _line = 4", "延安中路1号", 0, NULL, NULL},
    {"08_invalid_utf8.csv", CRL, ZN_OK, 3, 2, 1, 0, "3|encoding|address",
     "SELECT address FROM feed_case_residence_list WHERE _line = 4", "延安中路1号", 0, NULL, NULL},
    {"09_gbk_undeclared.csv", CRL, ZN_OK, 2, 2, 0, 0, "",
     "SELECT district || address FROM feed_case_residence_list WHERE _line = 3", "黄浦区南京东路100号", 0, NULL, NULL},
    {"11_bad_check_digit.csv", "antigen_test", ZN_OK, 3, 2, 1, 0, "3|bad_check_digit|resident_id",
     "SELECT resident_id FROM feed_antigen_test WHERE _line = 2", "33010619900101123X", 0, NULL, NULL},
    {"12_bad_birth_date.csv", "antigen_test", ZN_OK, 3, 2, 1, 0, "3|bad_birth_date|resident_id",
     "SELECT result FROM feed_antigen_test WHERE _line = 4", "positive", 0, NULL, NULL},
    {"13_unknown_region.csv", "antigen_test", ZN_OK, 3, 2, 1, 0, "3|unknown_region|resident_id",
     "SELECT test_time FROM feed_antigen_test WHERE _line = 4", "1648782000", 0, NULL, NULL},
    {"14_bad_mobile.csv", "telecom_grid_stay", ZN_OK, 3, 2, 1, 0, "3|bad_mobile|mobile",
     "SELECT mobile FROM feed_telecom_grid_stay WHERE _line = 4", "13812345679", 0, NULL, NULL},
    {"16_swapped_lat_lon.csv", "telecom_grid_stay", ZN_OK, 2, 1, 1, 0, "3|swapped_lat_lon|lon",
     "SELECT lat FROM feed_telecom_grid_stay WHERE _line = 2", "31.23", 0, NULL, NULL},
    {"17_outside_china.csv", "telecom_grid_stay", ZN_OK, 2, 1, 1, 0, "3|outside_china|lon",
     "SELECT lon FROM feed_telecom_grid_stay WHERE _line = 2", "121.47", 0, NULL, NULL},
    {"18_end_before_start.csv", "telecom_grid_stay", ZN_OK, 3, 2, 1, 0, "3|end_before_start|t_end",
     "SELECT t_end - t_start FROM feed_telecom_grid_stay WHERE _line = 4", "0", 0, NULL, NULL},
    /* line 4 ends 5 minutes after the clock: within the 10-minute tolerance */
    {"19_future_time.csv", "telecom_grid_stay", ZN_OK, 3, 2, 1, 0, "3|future_time|t_start",
     "SELECT t_end FROM feed_telecom_grid_stay WHERE _line = 4", "1651334700", 0, NULL, NULL},
    {"20_bad_time.csv", "telecom_grid_stay", ZN_OK, 3, 1, 2, 0, "3|bad_time|t_start;4|bad_time|t_start",
     "SELECT cell_id FROM feed_telecom_grid_stay", "G001", 0, NULL, NULL},
    /* line 4 is line 3 with an ISO date and blanks: the same key once normalised */
    {"21_duplicate_rows.csv", CRL, ZN_OK, 4, 2, 0, 2, "",
     "SELECT date || ' ' || _line FROM feed_case_residence_list WHERE address = '三三公路5020弄'", "2022-03-18 2", 0, NULL, NULL},
    {"24_bad_enum.csv", CRL, ZN_OK, 3, 2, 1, 0, "3|bad_enum|district",
     "SELECT COUNT(*) FROM feed_case_residence_list WHERE district = '静安区'", "1", 0, NULL, NULL},
    {"25_required_empty.csv", CRL, ZN_OK, 4, 2, 2, 0, "3|missing_field|address;4|missing_field|address",
     "SELECT address FROM feed_case_residence_list WHERE _line = 5", "延安中路1号", 0, NULL, NULL},
    {"26_bom_crlf.csv", CRL, ZN_OK, 2, 2, 0, 0, "",
     "SELECT address || '|' FROM feed_case_residence_list WHERE _line = 3", "南京东路100号|", 0, NULL, NULL},
    {"27_embedded_newline.csv", CRL, ZN_OK, 2, 2, 0, 0, "",
     "SELECT _line FROM feed_case_residence_list WHERE address = '南京东路100号'", "4", 0, NULL, NULL},
    {"28_unknown_header_column.csv", CRL, ZN_OK, 2, 2, 0, 0, "",
     "SELECT address FROM feed_case_residence_list WHERE _line = 3", "南京东路100号", 0, NULL, NULL},
    {"29_missing_required_header.csv", CRL, ZN_EVALIDATE, 0, 0, 0, 0, "", NULL, NULL, 1, "address", "no column 'address'"},
    {"30_ndjson_non_object.ndjson", CRL, ZN_OK, 4, 2, 2, 0, "2|bad_json|;3|bad_json|",
     "SELECT address FROM feed_case_residence_list WHERE _line = 4", "延安中路1号", 0, NULL, NULL},
    {"31_bad_number.ndjson", "passenger_manifest", ZN_OK, 4, 1, 3, 0,
     "2|bad_int|seat_row;3|bad_int|seat_row;4|out_of_range|seat_row",
     "SELECT carriage || seat || seat_row FROM feed_passenger_manifest WHERE _line = 1", "0512F12", 0, NULL, NULL},
    {"33_duplicate_header.csv", CRL, ZN_EVALIDATE, 0, 0, 0, 0, "", NULL, NULL, 1, "address", "twice"},
    {"34_bad_date.csv", CRL, ZN_OK, 3, 2, 1, 0, "3|bad_date|date",
     "SELECT date FROM feed_case_residence_list WHERE _line = 4", "2022-03-20", 0, NULL, NULL},
    {"35_too_long_text.csv", CRL, ZN_OK, 3, 2, 1, 0, "3|too_long|address", SHANGHAI_PUDONG, 0, NULL, NULL},
    {"36_bad_lonlat.csv", "address_geocode_amap", ZN_OK, 2, 1, 1, 0, "3|bad_lonlat|location",
     "SELECT location || ' ' || township FROM feed_address_geocode_amap", "121.555057,31.205717 花木街道", 0, NULL, NULL},
    {"37_gzip.csv.gz", CRL, ZN_OK, 2, 2, 0, 0, "", SHANGHAI_PUDONG, 0, NULL, NULL},
    {"38_blank_lines_spaces.csv", CRL, ZN_OK, 2, 2, 0, 0, "",
     "SELECT date || district || address FROM feed_case_residence_list WHERE _line = 3", "2022-03-18浦东新区三三公路5020弄", 0, NULL, NULL},
    {"39_bad_real.csv", "fever_clinic_visit", ZN_OK, 3, 1, 2, 0, "3|bad_real|temperature;4|out_of_range|temperature",
     "SELECT temperature FROM feed_fever_clinic_visit", "38.5", 0, NULL, NULL},
    {"40_utf16.csv", CRL, ZN_EENCODING, 0, 0, 0, 0, "", NULL, NULL, 0, "", "UTF-16"},
    {"41_ndjson_missing_key.ndjson", CRL, ZN_OK, 1, 0, 1, 0, "1|missing_field|address", NULL, NULL, 0, NULL, NULL},
};

typedef struct env {
    zn_ctx *ctx;
    zn_store *st;
    zn_catalogue *cat;
} env;

static void env_open(env *e)
{
    zn_error err;
    assert_int_equal(zn_ctx_new(&e->ctx), ZN_OK);
    zn_ctx_set_now(e->ctx, NOW);
    zn_ctx_set_log_level(e->ctx, ZN_LOG_OFF);
    assert_int_equal(zn_store_open(e->ctx, ":memory:", &e->st, &err), ZN_OK);
    assert_int_equal(zn_catalogue_load(zn_test_src("data/feeds/catalogue.json"), &e->cat, &err), ZN_OK);
}

static void env_close(env *e)
{
    zn_catalogue_free(e->cat);
    zn_store_close(e->st);
    zn_ctx_free(e->ctx);
}

/* First column of the first row of sql as text, into buf. */
static const char *query(zn_store *st, const char *sql, char *buf, size_t n)
{
    zn_stmt *q;
    zn_error err;
    zn_status s = zn_stmt_prepare(st, sql, &q, &err);
    if (s != ZN_OK)
        fprintf(stderr, "%s: %s\n", sql, err.msg);
    assert_int_equal(s, ZN_OK);
    int row = 0;
    assert_int_equal(zn_stmt_step(q, &row, &err), ZN_OK);
    snprintf(buf, n, "%s", row ? zn_stmt_column_text(q, 0) : "(no row)");
    zn_stmt_finalize(q);
    return buf;
}

static int64_t count(zn_store *st, const char *sql)
{
    int64_t v = -1;
    zn_error err;
    assert_int_equal(zn_store_query_int64(st, sql, &v, &err), ZN_OK);
    return v;
}

/* The quarantine of one lineage as "line|reason|field;..." */
static void quarantine_of(zn_store *st, int64_t lineage_id, zn_buf *out)
{
    zn_stmt *q;
    zn_error err;
    assert_int_equal(zn_stmt_prepare(st, "SELECT line, reason_code, field, raw FROM quarantine WHERE lineage_id = ? ORDER BY line",
                                     &q, &err), ZN_OK);
    zn_stmt_bind_int64(q, 1, lineage_id);
    int row;
    zn_buf_puts(out, "");
    while (zn_stmt_step(q, &row, &err) == ZN_OK && row) {
        zn_buf_printf(out, "%s%lld|%s|%s", out->len ? ";" : "", (long long)zn_stmt_column_int64(q, 0),
                      zn_stmt_column_text(q, 1), zn_stmt_column_text(q, 2));
        assert_true(strlen(zn_stmt_column_text(q, 3)) > 0 || zn_stmt_column_int64(q, 0) == 0); /* raw kept */
    }
    zn_stmt_finalize(q);
}

static void run_case(const bad_case *c)
{
    env e;
    env_open(&e);
    char path[1024], buf[1024], sql[512];
    snprintf(path, sizeof path, "%s", zn_test_src("tests/data/bad/"));
    strncat(path, c->file, sizeof path - strlen(path) - 1);
    zn_ingest_summary sum;
    zn_error err;
    zn_error_clear(&err);
    zn_status s = zn_hub_ingest(e.st, e.cat, c->feed, path, NULL, &sum, &err);
    if (s != c->status)
        fprintf(stderr, "%s: %s\n", c->file, zn_error_format(&err, buf, sizeof buf));
    assert_int_equal(s, c->status);
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM feed_%s", c->feed);
    if (s == ZN_OK) {
        assert_string_equal(sum.status, "loaded");
        if (sum.rows != c->rows || sum.accepted != c->accepted || sum.quarantined != c->quarantined ||
            sum.duplicates != c->duplicates)
            fprintf(stderr, "%s: rows %lld accepted %lld quarantined %lld duplicates %lld\n", c->file,
                    (long long)sum.rows, (long long)sum.accepted, (long long)sum.quarantined, (long long)sum.duplicates);
        assert_int_equal(sum.rows, c->rows);
        assert_int_equal(sum.accepted, c->accepted);
        assert_int_equal(sum.quarantined, c->quarantined);
        assert_int_equal(sum.duplicates, c->duplicates);
        assert_int_equal(count(e.st, sql), c->accepted); /* every good row is stored */
        zn_buf q = {0};
        quarantine_of(e.st, sum.lineage_id, &q);
        if (strcmp(q.data, c->quarantine))
            fprintf(stderr, "%s: quarantine %s\n", c->file, q.data);
        assert_string_equal(q.data, c->quarantine);
        zn_buf_fini(&q);
    } else {
        /* fatal: named file/line/field, nothing of the file stored, an aborted lineage row */
        assert_string_equal(sum.status, "aborted");
        assert_string_equal(err.file, path);
        assert_int_equal(err.line, c->err_line);
        assert_string_equal(err.field, c->err_field);
        if (!strstr(err.msg, c->err_words))
            fprintf(stderr, "%s: message '%s'\n", c->file, err.msg);
        assert_non_null(strstr(err.msg, c->err_words));
        assert_int_equal(count(e.st, sql), 0);
        assert_int_equal(count(e.st, "SELECT COUNT(*) FROM quarantine"), 0);
        assert_int_equal(count(e.st, "SELECT COUNT(*) FROM lineage WHERE status <> 'aborted'"), 0);
        assert_int_equal(count(e.st, "SELECT COUNT(*) FROM lineage WHERE status = 'aborted' AND accepted = 0"), 1);
        assert_true(sum.lineage_id > 0);
        snprintf(sql, sizeof sql, "SELECT message FROM lineage WHERE id = %lld", (long long)sum.lineage_id);
        assert_non_null(strstr(query(e.st, sql, buf, sizeof buf), c->err_words));
        snprintf(sql, sizeof sql, "SELECT path FROM lineage WHERE id = %lld", (long long)sum.lineage_id);
        assert_string_equal(query(e.st, sql, buf, sizeof buf), path);
    }
    if (c->value_sql) {
        query(e.st, c->value_sql, buf, sizeof buf);
        if (strcmp(buf, c->value))
            fprintf(stderr, "%s: %s -> %s\n", c->file, c->value_sql, buf);
        assert_string_equal(buf, c->value);
    }
    env_close(&e);
}

static void test_corpus(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i]);
}

static const char *bad(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s%s", zn_test_src("tests/data/bad/"), name);
    return path;
}

/* The README lists every file of the corpus, and every file is exercised here. */
static void test_readme_lists_corpus(void **state)
{
    (void)state;
    FILE *f = fopen(bad("README.md"), "rb");
    assert_non_null(f);
    zn_buf doc = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        zn_buf_append(&doc, chunk, n);
    fclose(f);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[128];
        snprintf(name, sizeof name, "`%s`", cases[i].file);
        if (!strstr(doc.data, name))
            fprintf(stderr, "README.md does not list %s\n", cases[i].file);
        assert_non_null(strstr(doc.data, name));
    }
    static const char *const others[] = {"`15_unknown_division.csv`", "`22_overlap_a.csv`", "`23_overlap_b.csv`",
                                         "`32_gcj02_venue.csv`", "10_long_field"};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        assert_non_null(strstr(doc.data, others[i]));
    zn_buf_fini(&doc);
}

/* A 1 MB field (made here, not committed): too_long, the next row still loads. */
static void test_long_field(void **state)
{
    (void)state;
    env e;
    env_open(&e);
    size_t big = 1100000;
    zn_buf b = {0};
    zn_buf_puts(&b, "date,district,address\n20220318,浦东新区,");
    for (size_t i = 0; i < big / 64; i++)
        zn_buf_puts(&b, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    zn_buf_puts(&b, "\n20220319,黄浦区,南京东路100号\n");
    const char *path = zn_test_write_file("10_long_field.csv", b.data, b.len);
    zn_buf_fini(&b);
    zn_ingest_summary sum;
    zn_error err;
    assert_int_equal(zn_hub_ingest(e.st, e.cat, CRL, path, NULL, &sum, &err), ZN_OK);
    assert_int_equal(sum.rows, 2);
    assert_int_equal(sum.accepted, 1);
    assert_int_equal(sum.quarantined, 1);
    zn_buf q = {0};
    quarantine_of(e.st, sum.lineage_id, &q);
    assert_string_equal(q.data, "2|too_long|address");
    zn_buf_fini(&q);
    /* the stored raw record is cut to 64 KiB */
    assert_true(count(e.st, "SELECT LENGTH(raw) FROM quarantine") <= 65536);
    char buf[256];
    assert_string_equal(query(e.st, "SELECT address FROM feed_case_residence_list", buf, sizeof buf), "南京东路100号");
    env_close(&e);
}

/* The same file twice adds nothing; an overlapping file adds only its new rows. */
static void test_same_file_twice_and_overlap(void **state)
{
    (void)state;
    env e;
    env_open(&e);
    zn_ingest_summary sum;
    zn_error err;
    assert_int_equal(zn_hub_ingest(e.st, e.cat, CRL, bad("21_duplicate_rows.csv"), NULL, &sum, &err), ZN_OK);
    int64_t first = sum.lineage_id;
    assert_int_equal(sum.accepted, 2);
    assert_int_equal(zn_hub_ingest(e.st, e.cat, CRL, bad("21_duplicate_rows.csv"), NULL, &sum, &err), ZN_OK);
    assert_int_equal(sum.rows, 4);
    assert_int_equal(sum.accepted, 0);
    assert_int_equal(sum.duplicates, 4);
    assert_int_equal(sum.quarantined, 0);
    assert_int_equal(sum.same_as_lineage, first);
    assert_int_equal(count(e.st, "SELECT COUNT(*) FROM feed_case_residence_list"), 2);
    assert_int_equal(count(e.st, "SELECT COUNT(*) FROM lineage WHERE status = 'loaded'"), 2);

    /* 22 = A, B; 23 = B, C. 21 already holds A and B. */
    assert_int_equal(zn_hub_ingest(e.st, e.cat, CRL, bad("22_overlap_a.csv"), NULL, &sum, &err), ZN_OK);
    assert_int_equal(sum.accepted, 0);
    assert_int_equal(sum.duplicates, 2);
    assert_int_equal(sum.same_as_lineage, 0);
    assert_int_equal(zn_hub_ingest(e.st, e.cat, CRL, bad("23_overlap_b.csv"), NULL, &sum, &err), ZN_OK);
    assert_int_equal(sum.accepted, 1);
    assert_int_equal(sum.duplicates, 1);
    assert_int_equal(count(e.st, "SELECT COUNT(*) FROM feed_case_residence_list"), 3);
    char buf[64], sql[256];
    snprintf(sql, sizeof sql, "SELECT _lineage_id = %lld FROM feed_case_residence_list WHERE address = '延安中路1号'",
             (long long)sum.lineage_id);
    assert_string_equal(query(e.st, sql, buf, sizeof buf), "1");

    /* a file with a bad row, loaded twice: the second load quarantines nothing new */
    assert_int_equal(zn_hub_ingest(e.st, e.cat, CRL, bad("03_missing_column.csv"), NULL, &sum, &err), ZN_OK);
    assert_int_equal(sum.quarantined, 1);
    int64_t q1 = count(e.st, "SELECT COUNT(*) FROM quarantine");
    assert_int_equal(zn_hub_ingest(e.st, e.cat, CRL, bad("03_missing_column.csv"), NULL, &sum, &err), ZN_OK);
    assert_int_equal(sum.quarantined, 0);
    assert_int_equal(sum.accepted, 0);
    assert_int_equal(sum.duplicates, sum.rows);
    assert_int_equal(count(e.st, "SELECT COUNT(*) FROM quarantine"), q1);
    int64_t in_feed = count(e.st, "SELECT COUNT(*) FROM feed_case_residence_list");

    /* an aborted file between loads changes nothing */
    assert_int_equal(zn_hub_ingest(e.st, e.cat, CRL, bad("06_unterminated_quote.csv"), NULL, &sum, &err), ZN_EPARSE);
    assert_int_equal(count(e.st, "SELECT COUNT(*) FROM feed_case_residence_list"), in_feed);
    assert_int_equal(count(e.st, "SELECT COUNT(*) FROM lineage WHERE status = 'aborted'"), 1);
    env_close(&e);
}

/* Division codes are checked against table division when it has rows, else counted unchecked. */
static void test_divisions(void **state)
{
    (void)state;
    env e;
    env_open(&e);
    zn_ingest_summary sum;
    zn_error err;
    /* empty division table: only the malformed code is refused */
    assert_int_equal(zn_hub_ingest(e.st, e.cat, "community_grid", bad("15_unknown_division.csv"), NULL, &sum, &err), ZN_OK);
    assert_int_equal(sum.accepted, 3);
    assert_int_equal(sum.quarantined, 1);
    assert_int_equal(sum.unchecked, 3);
    zn_buf q = {0};
    quarantine_of(e.st, sum.lineage_id, &q);
    assert_string_equal(q.data, "5|bad_division_code|community_code");
    zn_buf_fini(&q);
    env_close(&e);

    env_open(&e);
    assert_int_equal(zn_store_exec(e.st,
                                   "INSERT INTO division (edition, code, level, name, parent_code) VALUES "
                                   "(2023, '310101002001', 5, '云南中路居委会', '310101002000'), "
                                   "(2023, '330106000000', 3, '西湖区', '330100000000'), "
                                   "(2021, '31', 1, '上海市', NULL)",
                                   &err),
                     ZN_OK);
    assert_int_equal(zn_hub_ingest(e.st, e.cat, "community_grid", bad("15_unknown_division.csv"), NULL, &sum, &err), ZN_OK);
    assert_int_equal(sum.rows, 4);
    assert_int_equal(sum.accepted, 2);
    assert_int_equal(sum.quarantined, 2);
    assert_int_equal(sum.unchecked, 0);
    zn_buf q2 = {0};
    quarantine_of(e.st, sum.lineage_id, &q2);
    assert_string_equal(q2.data, "4|unknown_division|community_code;5|bad_division_code|community_code");
    zn_buf_fini(&q2);
    char buf[64];
    assert_string_equal(query(e.st, "SELECT community_code FROM feed_community_grid WHERE _line = 3", buf, sizeof buf),
                        "330106000000");
    env_close(&e);
}

/* A feed declared GCJ-02 is stored in WGS-84 with the originals beside it. */
static void test_gcj02_converted(void **state)
{
    (void)state;
    env e;
    env_open(&e);
    zn_ingest_summary sum;
    zn_error err;
    assert_int_equal(zn_hub_ingest(e.st, e.cat, "venue_registry", bad("32_gcj02_venue.csv"), NULL, &sum, &err), ZN_OK);
    assert_int_equal(sum.accepted, 2);
    zn_stmt *q;
    assert_int_equal(zn_stmt_prepare(e.st, "SELECT lon, lat, lon_orig, lat_orig FROM feed_venue_registry WHERE venue_code = 'V001'",
                                     &q, &err), ZN_OK);
    int row;
    assert_int_equal(zn_stmt_step(q, &row, &err), ZN_OK);
    assert_int_equal(row, 1);
    double lon = zn_stmt_column_double(q, 0), lat = zn_stmt_column_double(q, 1);
    assert_double_near(zn_stmt_column_double(q, 2), 116.403963, 1e-12);
    assert_double_near(zn_stmt_column_double(q, 3), 39.915119, 1e-12);
    zn_stmt_finalize(q);
    /* Tiananmen: GCJ-02 (116.403963, 39.915119) is WGS-84 (116.39772, 39.91372) to 1e-4 degrees;
     * the GCJ-02 offset there is about 600 m */
    assert_double_near(lon, 116.39772, 1e-4);
    assert_double_near(lat, 39.91372, 1e-4);
    assert_true(zn_geo_distance_m(lon, lat, 116.403963, 39.915119) > 400);
    /* and going forward again gives the file's value to 1e-7 degrees (~1 cm) */
    double gx, gy;
    zn_crs_convert(ZN_CRS_WGS84, ZN_CRS_GCJ02, lon, lat, &gx, &gy);
    assert_double_near(gx, 116.403963, 1e-7);
    assert_double_near(gy, 39.915119, 1e-7);
    env_close(&e);
}

/* GBK without declaration is detected; declared UTF-8 keeps it from loading as text. */
static void test_encodings(void **state)
{
    (void)state;
    env e;
    env_open(&e);
    zn_ingest_summary sum;
    zn_error err;
    assert_int_equal(zn_hub_ingest(e.st, e.cat, CRL, bad("09_gbk_undeclared.csv"), NULL, &sum, &err), ZN_OK);
    assert_string_equal(sum.encoding, "gb18030");
    assert_int_equal(count(e.st, "SELECT COUNT(*) FROM lineage WHERE encoding = 'gb18030'"), 1);
    /* the same bytes read as declared GBK give the same rows: all duplicates now */
    zn_ingest_options gbk = {.encoding = "gbk"};
    assert_int_equal(zn_hub_ingest(e.st, e.cat, CRL, bad("09_gbk_undeclared.csv"), &gbk, &sum, &err), ZN_OK);
    assert_int_equal(sum.duplicates, 2);
    /* declared UTF-8: every row with Chinese text is an encoding error */
    zn_ingest_options utf8 = {.encoding = "utf-8"};
    assert_int_equal(zn_hub_ingest(e.st, e.cat, CRL, bad("09_gbk_undeclared.csv"), &utf8, &sum, &err), ZN_OK);
    assert_int_equal(sum.quarantined, 2);
    assert_int_equal(count(e.st, "SELECT COUNT(*) FROM quarantine WHERE reason_code = 'encoding'"), 2);
    /* header-level facts */
    assert_int_equal(zn_hub_ingest(e.st, e.cat, CRL, bad("28_unknown_header_column.csv"), NULL, &sum, &err), ZN_OK);
    assert_int_equal(sum.ignored_columns, 1);
    env_close(&e);
}

/* An unreadable path is aborted with the path named, and recorded. */
static void test_missing_file(void **state)
{
    (void)state;
    env e;
    env_open(&e);
    zn_ingest_summary sum;
    zn_error err;
    const char *path = bad("no_such_file.csv");
    assert_int_equal(zn_hub_ingest(e.st, e.cat, CRL, path, NULL, &sum, &err), ZN_EIO);
    assert_string_equal(err.file, path);
    assert_string_equal(sum.status, "aborted");
    assert_int_equal(count(e.st, "SELECT COUNT(*) FROM lineage WHERE status = 'aborted' AND sha256 = ''"), 1);
    env_close(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus),       cmocka_unit_test(test_readme_lists_corpus),
        cmocka_unit_test(test_long_field),   cmocka_unit_test(test_same_file_twice_and_overlap),
        cmocka_unit_test(test_divisions),    cmocka_unit_test(test_gcj02_converted),
        cmocka_unit_test(test_encodings),    cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
