/* Hub reader: CSV/NDJSON, plain/gzip, UTF-8/GBK, line numbers, per-record and fatal errors. */
#include "zn_test.h"

#include <iconv.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "hub/reader.h"

#define LIT(s) s, sizeof(s) - 1

static zn_reader *open_ok(const char *path, const zn_reader_options *opt)
{
    zn_reader *r = NULL;
    zn_error e;
    zn_status st = zn_reader_open(path, opt, NULL, 0, &r, &e);
    if (st != ZN_OK)
        fprintf(stderr, "open %s: %s\n", path, e.msg);
    assert_int_equal(st, ZN_OK);
    assert_non_null(r);
    return r;
}

static zn_record *next_ok(zn_reader *r)
{
    zn_record *rec = NULL;
    zn_error e;
    zn_status st = zn_reader_next(r, &rec, &e);
    if (st != ZN_OK)
        fprintf(stderr, "next: %s (%s)\n", e.msg, zn_status_name(st));
    assert_int_equal(st, ZN_OK);
    assert_non_null(rec);
    return rec;
}

static void assert_end(zn_reader *r)
{
    zn_record *rec;
    assert_int_equal(zn_reader_next(r, &rec, NULL), ZN_ENOTFOUND);
    assert_int_equal(zn_reader_next(r, &rec, NULL), ZN_ENOTFOUND); /* stays at the end */
}

/* Assert a CSV record: line, status and fields. */
static void assert_rec(const zn_record *rec, long line, zn_status st, size_t n, const char *const *want)
{
    assert_int_equal(rec->line, line);
    assert_int_equal(rec->status, st);
    assert_int_equal(rec->nfields, n);
    for (size_t i = 0; i < n && want; i++) {
        if (want[i] == NULL)
            assert_null(rec->fields[i]);
        else
            assert_string_equal(rec->fields[i], want[i]);
    }
    assert_int_equal(strlen(rec->raw), rec->raw_len);
}

/* Convert UTF-8 text to `to` with iconv (caller frees). */
static char *iconv_to(const char *to, const char *utf8, size_t *outlen)
{
    iconv_t cd = iconv_open(to, "UTF-8");
    assert_true(cd != (iconv_t)-1);
    size_t il = strlen(utf8), ol = il * 4 + 16;
    char *out = malloc(ol), *op = out, *ip = (char *)utf8;
    assert_true(iconv(cd, &ip, &il, &op, &ol) != (size_t)-1);
    iconv_close(cd);
    *outlen = (size_t)(op - out);
    return out;
}

/* Dump every record (and the final status) as text, to compare reads with different chunk
 * sizes. */
static char *dump_all(const char *path, zn_reader_options opt, const char *const *keys, size_t nkeys)
{
    zn_buf b = {0};
    zn_reader *r = NULL;
    zn_error e;
    zn_status st = zn_reader_open(path, &opt, keys, nkeys, &r, &e);
    zn_buf_printf(&b, "open %d %ld %s\n", st, st ? e.line : 0L, st ? e.msg : "");
    if (st == ZN_OK) {
        const char *const *h;
        size_t nh = zn_reader_header(r, &h);
        for (size_t i = 0; i < nh; i++)
            zn_buf_printf(&b, "[%s]", h[i]);
        zn_record *rec;
        while ((st = zn_reader_next(r, &rec, &e)) == ZN_OK) {
            zn_buf_printf(&b, "\n%ld %d %zu {%s} <%s>", rec->line, rec->status, rec->nfields,
                          rec->problem, rec->raw);
            for (size_t i = 0; i < rec->nfields; i++)
                zn_buf_printf(&b, "|%s", rec->fields[i] ? rec->fields[i] : "(null)");
        }
        zn_buf_printf(&b, "\nend %d %ld %s %s\n", st, st == ZN_ENOTFOUND ? 0 : e.line,
                      st == ZN_ENOTFOUND ? "" : e.msg, zn_reader_encoding(r));
        zn_reader_close(r);
    }
    return b.data;
}

/* The same records whatever the read size: characters, CRLFs and quotes split across reads. */
static void assert_chunk_invariant(const char *path, zn_reader_options opt, const char *const *keys,
                                   size_t nkeys)
{
    opt.chunk_size = 0;
    char *ref = dump_all(path, opt, keys, nkeys);
    static const size_t sizes[] = {1, 2, 3, 4, 5, 7, 13, 64};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        opt.chunk_size = sizes[i];
        char *got = dump_all(path, opt, keys, nkeys);
        if (strcmp(ref, got) != 0)
            fprintf(stderr, "chunk %zu:\n%s\n--- vs 64 KiB:\n%s\n", sizes[i], got, ref);
        assert_string_equal(ref, got);
        free(got);
    }
    free(ref);
}

/* ------------------------------------------------------------------------------------------ */

static const char QUOTED[] = "id,name,addr\n"
                             "1,\"Zhang, San\",\"West Lake \"\"A\"\" Rd\"\n"
                             "2,\"two\nlines\",x\n"
                             "3,c,d\n";

static void test_quoted(void **state)
{
    (void)state;
    const char *path = zn_test_write_file("quoted.csv", LIT(QUOTED));
    zn_reader *r = open_ok(path, NULL);
    const char *const *h;
    assert_int_equal(zn_reader_header(r, &h), 3);
    assert_string_equal(h[0], "id");
    assert_string_equal(h[2], "addr");
    assert_string_equal(zn_reader_encoding(r), "utf-8");

    zn_record *rec = next_ok(r);
    assert_rec(rec, 2, ZN_OK, 3, (const char *[]){"1", "Zhang, San", "West Lake \"A\" Rd"});
    assert_string_equal(rec->raw, "1,\"Zhang, San\",\"West Lake \"\"A\"\" Rd\"");
    rec = next_ok(r);
    assert_rec(rec, 3, ZN_OK, 3, (const char *[]){"2", "two\nlines", "x"});
    assert_string_equal(rec->raw, "2,\"two\nlines\",x");
    rec = next_ok(r); /* the embedded newline moved this record to line 5 */
    assert_rec(rec, 5, ZN_OK, 3, (const char *[]){"3", "c", "d"});
    assert_end(r);
    zn_reader_close(r);
    assert_chunk_invariant(path, (zn_reader_options){0}, NULL, 0);
}

static void test_bom_crlf_blank(void **state)
{
    (void)state;
    const char *path = zn_test_write_file(
        "bom.csv", LIT("\xEF\xBB\xBF id ,\tname \r\n\r\n1,a\r\n\r\n  \r\n2, b \r\n\"x\r\ny\",z\r\n"));
    zn_reader *r = open_ok(path, NULL);
    const char *const *h;
    assert_int_equal(zn_reader_header(r, &h), 2);
    assert_string_equal(h[0], "id"); /* BOM stripped, blanks trimmed */
    assert_string_equal(h[1], "name");
    zn_record *rec = next_ok(r);
    assert_rec(rec, 3, ZN_OK, 2, (const char *[]){"1", "a"});
    assert_string_equal(rec->raw, "1,a"); /* without the CRLF */
    rec = next_ok(r);                     /* lines 4 (empty) and 5 (blanks) are skipped */
    assert_rec(rec, 6, ZN_OK, 2, (const char *[]){"2", " b "}); /* data keeps its spaces */
    rec = next_ok(r);
    assert_rec(rec, 7, ZN_OK, 2, (const char *[]){"x\r\ny", "z"});
    assert_end(r);
    zn_reader_close(r);
    assert_chunk_invariant(path, (zn_reader_options){0}, NULL, 0);
}

static void test_lone_cr(void **state)
{
    (void)state;
    const char *path = zn_test_write_file("cr.csv", LIT("a,b\r1,2\r\r3,4"));
    zn_reader *r = open_ok(path, NULL);
    assert_rec(next_ok(r), 2, ZN_OK, 2, (const char *[]){"1", "2"});
    assert_rec(next_ok(r), 4, ZN_OK, 2, (const char *[]){"3", "4"});
    assert_end(r);
    zn_reader_close(r);
    assert_chunk_invariant(path, (zn_reader_options){0}, NULL, 0);
}

static void test_short_long_rows(void **state)
{
    (void)state;
    const char *path = zn_test_write_file("rows.csv", LIT("a,b,c\n1,2\n1,2,3,4\n,,\n5"));
    zn_reader *r = open_ok(path, NULL);
    assert_rec(next_ok(r), 2, ZN_OK, 2, (const char *[]){"1", "2"});
    assert_rec(next_ok(r), 3, ZN_OK, 4, (const char *[]){"1", "2", "3", "4"});
    assert_rec(next_ok(r), 4, ZN_OK, 3, (const char *[]){"", "", ""});
    /* a truncated last line without a quote is a normal (short) record */
    zn_record *rec = next_ok(r);
    assert_rec(rec, 5, ZN_OK, 1, (const char *[]){"5"});
    assert_string_equal(rec->raw, "5");
    assert_end(r);
    zn_reader_close(r);
}

static void test_tsv_and_delimiter(void **state)
{
    (void)state;
    const char *path = zn_test_write_file("t.tsv", LIT("a\tb\n1,5\t2\n"));
    zn_reader *r = open_ok(path, NULL);
    assert_rec(next_ok(r), 2, ZN_OK, 2, (const char *[]){"1,5", "2"});
    zn_reader_close(r);
    path = zn_test_write_file("semi.csv", LIT("a;b\n1;2\n"));
    r = open_ok(path, &(zn_reader_options){.delimiter = ';'});
    assert_rec(next_ok(r), 2, ZN_OK, 2, (const char *[]){"1", "2"});
    zn_reader_close(r);
    zn_error e;
    assert_int_equal(zn_reader_open(path, &(zn_reader_options){.delimiter = '"'}, NULL, 0, &r, &e),
                     ZN_EINVAL);
    assert_null(r);
}

static const char GB_TEXT[] = "编号,地址\n1,浙江省杭州市西湖区\n2,\"上城区, 清波街道\"\n";

static void check_gb_records(zn_reader *r)
{
    const char *const *h;
    assert_int_equal(zn_reader_header(r, &h), 2);
    assert_string_equal(h[1], "地址");
    assert_string_equal(zn_reader_encoding(r), "gb18030");
    zn_record *rec = next_ok(r);
    assert_rec(rec, 2, ZN_OK, 2, (const char *[]){"1", "浙江省杭州市西湖区"});
    assert_string_equal(rec->raw, "1,浙江省杭州市西湖区");
    assert_rec(next_ok(r), 3, ZN_OK, 2, (const char *[]){"2", "上城区, 清波街道"});
    assert_end(r);
}

static void test_gbk(void **state)
{
    (void)state;
    size_t n;
    char *gbk = iconv_to("GBK", GB_TEXT, &n);
    /* 浙 is D5 E3 in GBK: not UTF-8 (E3 is no continuation byte) */
    bool found = false;
    for (size_t i = 0; i + 1 < n; i++)
        found |= memcmp(gbk + i, "\xD5\xE3", 2) == 0;
    assert_true(found);
    const char *path = zn_test_write_file("gbk.csv", gbk, n);
    free(gbk);

    zn_reader *r = open_ok(path, NULL); /* auto-detected */
    check_gb_records(r);
    zn_reader_close(r);
    r = open_ok(path, &(zn_reader_options){.encoding = "gbk"}); /* declared */
    check_gb_records(r);
    zn_reader_close(r);
    assert_chunk_invariant(path, (zn_reader_options){0}, NULL, 0);
    assert_chunk_invariant(path, (zn_reader_options){.encoding = "GB18030"}, NULL, 0);

    /* declared UTF-8 but it is GBK: the header is already invalid -> fatal at open */
    zn_error e;
    assert_int_equal(zn_reader_open(path, &(zn_reader_options){.encoding = "utf-8"}, NULL, 0, &r, &e),
                     ZN_EENCODING);
    assert_non_null(strstr(e.msg, "header: invalid UTF-8 byte sequence in column 1"));
    assert_non_null(strstr(e.file, "gbk.csv"));
}

static void test_gbk_record_in_utf8_file(void **state)
{
    (void)state;
    size_t n;
    char *gbk = iconv_to("GBK", "杭州", &n);
    zn_buf b = {0};
    zn_buf_puts(&b, "id,city\n1,张三\n2,");
    zn_buf_append(&b, gbk, n); /* one record in GBK */
    zn_buf_puts(&b, "\n3,浙江省杭州市西湖区\n");
    free(gbk);
    const char *path = zn_test_write_file("mixed.csv", b.data, b.len);
    zn_buf_fini(&b);
    /* auto: 33 valid UTF-8 bytes against 4 invalid ones -> stays UTF-8 */
    static const char *const encs[] = {NULL, "utf-8"};
    for (int i = 0; i < 2; i++) {
        zn_reader *r = open_ok(path, &(zn_reader_options){.encoding = encs[i]});
        assert_string_equal(zn_reader_encoding(r), "utf-8");
        assert_rec(next_ok(r), 2, ZN_OK, 2, (const char *[]){"1", "张三"});
        zn_record *rec = next_ok(r);
        assert_int_equal(rec->line, 3);
        assert_int_equal(rec->status, ZN_EENCODING);
        assert_string_equal(rec->problem, "invalid UTF-8 byte sequence in field \"city\"");
        assert_string_equal(rec->problem_field, "city");
        /* 杭州 in GBK is BA BC D6 DD; the raw text shows the bytes, and stays valid UTF-8 */
        assert_string_equal(rec->raw, "2,\\xBA\\xBC\\xD6\\xDD");
        assert_rec(next_ok(r), 4, ZN_OK, 2, (const char *[]){"3", "浙江省杭州市西湖区"}); /* goes on */
        assert_end(r);
        zn_reader_close(r);
    }
    assert_chunk_invariant(path, (zn_reader_options){0}, NULL, 0);
}

/* A file bigger than one 64 KiB read with a multibyte character across the boundary. */
static void test_char_across_chunk(void **state)
{
    (void)state;
    for (int gb = 0; gb < 2; gb++) {
        zn_buf b = {0};
        zn_buf_puts(&b, "id,v\n");
        long rows = 0;
        const size_t boundary = 65536;
        /* rows of 100 bytes (ASCII) up to a little before the boundary */
        while (b.len + 100 < boundary - 200) {
            zn_buf_printf(&b, "%08ld,%090d\n", ++rows, 0);
        }
        /* one row whose 浙 starts one byte before the boundary */
        char head[32];
        snprintf(head, sizeof head, "%08ld,", ++rows);
        size_t pad = boundary - 1 - b.len - strlen(head);
        zn_buf_puts(&b, head);
        for (size_t i = 0; i < pad; i++)
            zn_buf_puts(&b, "x");
        size_t at = b.len;
        zn_buf_puts(&b, "浙江省杭州市\n");
        zn_buf_printf(&b, "%08ld,end\n", ++rows);
        size_t n = b.len;
        char *bytes = b.data;
        if (gb) {
            bytes = iconv_to("GB18030", b.data, &n);
            assert_memory_equal(bytes + at, "\xD5\xE3", 2);
        } else {
            assert_memory_equal(bytes + at, "\xE6\xB5\x99", 3);
        }
        assert_int_equal(at, boundary - 1);
        const char *path = zn_test_write_file("boundary.csv", bytes, n);
        zn_reader *r = open_ok(path, &(zn_reader_options){.encoding = gb ? "gbk" : "utf-8"});
        zn_record *rec;
        for (long i = 1; i < rows - 1; i++) {
            rec = next_ok(r);
            assert_int_equal(rec->status, ZN_OK);
            assert_int_equal(rec->line, i + 1);
        }
        rec = next_ok(r);
        assert_int_equal(rec->status, ZN_OK);
        assert_int_equal(rec->line, rows);
        assert_int_equal(strlen(rec->fields[1]), pad + strlen("浙江省杭州市"));
        assert_string_equal(rec->fields[1] + pad, "浙江省杭州市");
        rec = next_ok(r);
        assert_rec(rec, rows + 1, ZN_OK, 2, NULL);
        assert_string_equal(rec->fields[1], "end");
        assert_end(r);
        assert_int_equal(zn_reader_bytes(r), n);
        assert_int_equal(zn_reader_size(r), n);
        zn_reader_close(r);
        if (gb)
            free(bytes);
        zn_buf_fini(&b);
    }
}

static void test_nul_byte(void **state)
{
    (void)state;
    const char *path = zn_test_write_file("nul.csv", LIT("id,name\n1,a\0b\n2,c\n"));
    zn_reader *r = open_ok(path, NULL);
    zn_record *rec = next_ok(r);
    assert_int_equal(rec->line, 2);
    assert_int_equal(rec->status, ZN_EPARSE);
    assert_string_equal(rec->problem, "NUL byte in field \"name\"");
    assert_string_equal(rec->problem_field, "name");
    assert_string_equal(rec->raw, "1,a\\x00b");
    assert_rec(next_ok(r), 3, ZN_OK, 2, (const char *[]){"2", "c"});
    assert_end(r);
    zn_reader_close(r);
    assert_chunk_invariant(path, (zn_reader_options){0}, NULL, 0);
}

static void test_long_field(void **state)
{
    (void)state;
    const size_t big = 1200 * 1000; /* > 1 MiB default max_field */
    zn_buf b = {0};
    zn_buf_puts(&b, "id,blob,z\n1,\"");
    char *x = malloc(big);
    memset(x, 'x', big);
    x[big / 2] = '\n'; /* an embedded newline inside the long quoted field */
    zn_buf_append(&b, x, big);
    free(x);
    zn_buf_puts(&b, "\",q\n2,ok,r\n");
    const char *path = zn_test_write_file("long.csv", b.data, b.len);
    zn_buf_fini(&b);
    zn_reader *r = open_ok(path, NULL);
    zn_record *rec = next_ok(r);
    assert_int_equal(rec->line, 2);
    assert_int_equal(rec->status, ZN_ERANGE);
    assert_string_equal(rec->problem, "field \"blob\" is longer than 1048576 bytes");
    assert_string_equal(rec->problem_field, "blob");
    assert_rec(rec, 2, ZN_ERANGE, 3, (const char *[]){"1", "", "q"});
    assert_true(rec->raw_truncated);
    assert_int_equal(rec->raw_len, ZN_READER_RAW_MAX);
    assert_memory_equal(rec->raw, "1,\"xxx", 6);
    /* the next record is read, on the right line (the long field had one newline) */
    assert_rec(next_ok(r), 4, ZN_OK, 3, (const char *[]){"2", "ok", "r"});
    assert_end(r);
    zn_reader_close(r);

    /* a small limit, unquoted */
    path = zn_test_write_file("long2.csv", LIT("a,b\n1234,5\n12,3\n"));
    r = open_ok(path, &(zn_reader_options){.max_field = 3});
    rec = next_ok(r);
    assert_rec(rec, 2, ZN_ERANGE, 2, (const char *[]){"", "5"});
    assert_string_equal(rec->problem, "field \"a\" is longer than 3 bytes");
    assert_string_equal(rec->raw, "1234,5");
    assert_rec(next_ok(r), 3, ZN_OK, 2, (const char *[]){"12", "3"});
    zn_reader_close(r);
    assert_chunk_invariant(path, (zn_reader_options){.max_field = 3}, NULL, 0);
    /* and a record limit */
    r = open_ok(path, &(zn_reader_options){.max_record = 5});
    rec = next_ok(r);
    assert_int_equal(rec->status, ZN_ERANGE);
    assert_string_equal(rec->problem, "record is longer than 5 bytes (at field \"b\")");
    assert_rec(next_ok(r), 3, ZN_OK, 2, (const char *[]){"12", "3"});
    zn_reader_close(r);
}

static void test_unterminated_quote(void **state)
{
    (void)state;
    const char *path = zn_test_write_file("open.csv", LIT("id,name\n1,a\n2,\"open\nmore,\n"));
    zn_reader *r = open_ok(path, NULL);
    assert_rec(next_ok(r), 2, ZN_OK, 2, (const char *[]){"1", "a"});
    zn_record *rec = (zn_record *)1;
    zn_error e;
    assert_int_equal(zn_reader_next(r, &rec, &e), ZN_EPARSE);
    assert_null(rec);
    assert_int_equal(e.code, ZN_EPARSE);
    assert_int_equal(e.line, 3);
    assert_non_null(strstr(e.msg, "unterminated quoted field"));
    assert_non_null(strstr(e.msg, "line 3"));
    assert_non_null(strstr(e.file, "open.csv"));
    zn_error_clear(&e);
    assert_int_equal(zn_reader_next(r, &rec, &e), ZN_EPARSE); /* stays failed */
    assert_int_equal(e.line, 3);
    zn_reader_close(r);
    assert_chunk_invariant(path, (zn_reader_options){0}, NULL, 0);

    /* in the header: the file cannot be opened */
    path = zn_test_write_file("open2.csv", LIT("id,\"name\n1,2\n"));
    assert_int_equal(zn_reader_open(path, NULL, NULL, 0, &r, &e), ZN_EPARSE);
    assert_int_equal(e.line, 1);
}

static void test_fatal_open(void **state)
{
    (void)state;
    zn_reader *r = (zn_reader *)1;
    zn_error e;
    const char *path = zn_test_write_file("empty.csv", "", 0);
    assert_int_equal(zn_reader_open(path, NULL, NULL, 0, &r, &e), ZN_EPARSE);
    assert_null(r);
    assert_string_equal(e.msg, "empty file");
    assert_non_null(strstr(e.file, "empty.csv"));

    path = zn_test_write_file("blank.csv", LIT("\n\r\n  \n"));
    assert_int_equal(zn_reader_open(path, NULL, NULL, 0, &r, &e), ZN_EPARSE);
    assert_string_equal(e.msg, "empty file: no header line");

    char missing[600];
    snprintf(missing, sizeof missing, "%s/no-such-file.csv", zn_test_tmpdir());
    assert_int_equal(zn_reader_open(missing, NULL, NULL, 0, &r, &e), ZN_EIO);
    assert_non_null(strstr(e.msg, "no-such-file.csv"));
    assert_non_null(strstr(e.msg, "No such file"));
    assert_string_equal(e.file, missing);

    assert_int_equal(zn_reader_open(zn_test_tmpdir(), NULL, NULL, 0, &r, &e), ZN_EIO);
    assert_non_null(strstr(e.msg, "directory"));

    path = zn_test_write_file("x.csv", LIT("a\n1\n"));
    assert_int_equal(zn_reader_open(path, &(zn_reader_options){.encoding = "latin9"}, NULL, 0, &r, &e),
                     ZN_EENCODING);
    assert_non_null(strstr(e.msg, "latin9"));

    path = zn_test_write_file("u16.csv", LIT("\xFF\xFE" "a\0,\0b\0"));
    assert_int_equal(zn_reader_open(path, NULL, NULL, 0, &r, &e), ZN_EENCODING);
    assert_non_null(strstr(e.msg, "UTF-16"));

    path = zn_test_write_file("nulhead.csv", LIT("a,b\0c\n1,2\n"));
    assert_int_equal(zn_reader_open(path, NULL, NULL, 0, &r, &e), ZN_EPARSE);
    assert_string_equal(e.msg, "header: NUL byte in column 2");
    assert_int_equal(zn_reader_open(NULL, NULL, NULL, 0, &r, &e), ZN_EINVAL);
    zn_reader_close(NULL);
}

static void test_header_only(void **state)
{
    (void)state;
    const char *path = zn_test_write_file("head.csv", LIT("id,name\r\n"));
    zn_reader *r = open_ok(path, NULL);
    assert_int_equal(zn_reader_header(r, NULL), 2);
    assert_end(r);
    zn_reader_close(r);
}

static void test_gzip(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/quoted.csv.gz", zn_test_tmpdir());
    gzFile gz = gzopen(path, "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, QUOTED, sizeof QUOTED - 1), sizeof QUOTED - 1);
    assert_int_equal(gzclose(gz), Z_OK);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);

    zn_reader *r = open_ok(path, NULL);
    assert_int_equal(zn_reader_size(r), (uint64_t)sb.st_size);
    assert_true(zn_reader_bytes(r) > 0);
    assert_rec(next_ok(r), 2, ZN_OK, 3, (const char *[]){"1", "Zhang, San", "West Lake \"A\" Rd"});
    assert_rec(next_ok(r), 3, ZN_OK, 3, (const char *[]){"2", "two\nlines", "x"});
    assert_rec(next_ok(r), 5, ZN_OK, 3, (const char *[]){"3", "c", "d"});
    assert_end(r);
    assert_int_equal(zn_reader_bytes(r), (uint64_t)sb.st_size); /* compressed position */
    zn_reader_close(r);
    assert_chunk_invariant(path, (zn_reader_options){0}, NULL, 0);

    /* a cut gzip file is an I/O error, not a short file */
    FILE *f = fopen(path, "rb");
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    const char *cut = zn_test_write_file("cut.csv.gz", buf, n - 12);
    zn_error e;
    zn_status st = zn_reader_open(cut, NULL, NULL, 0, &r, &e);
    if (st == ZN_OK) {
        zn_record *rec;
        while ((st = zn_reader_next(r, &rec, &e)) == ZN_OK) {
        }
        zn_reader_close(r);
    }
    assert_int_equal(st, ZN_EIO);
    assert_non_null(strstr(e.msg, "gzip"));
}

static const char *const KEYS[] = {"id", "name", "score", "ok", "tags"};

static void test_ndjson(void **state)
{
    (void)state;
    const char *path = zn_test_write_file(
        "cases.ndjson",
        LIT("{\"id\":1,\"name\":\"张三\",\"score\":9.5,\"ok\":true,\"extra\":\"x\"}\n"
            "{\"id\":2,\"name\":null}\n"
            "\n"
            "[1,2]\n"
            "{\"id\":3,\"name\":\"王五\",\"score\":1e2,\"ok\":false,\"tags\":[\"a\",1]}\r\n"
            "{bad json\n"
            "{\"id\":12345678901234,\"name\":\"x\\\"y\\u00e9\",\"score\":0.1}"));
    zn_reader *r = NULL;
    zn_error e;
    assert_int_equal(zn_reader_open(path, NULL, KEYS, 5, &r, &e), ZN_OK);
    const char *const *h;
    assert_int_equal(zn_reader_header(r, &h), 5);
    assert_string_equal(h[4], "tags");

    zn_record *rec = next_ok(r);
    assert_rec(rec, 1, ZN_OK, 5, (const char *[]){"1", "张三", "9.5", "true", NULL});
    rec = next_ok(r); /* null and missing keys are NULL fields */
    assert_rec(rec, 2, ZN_OK, 5, (const char *[]){"2", NULL, NULL, NULL, NULL});
    rec = next_ok(r); /* line 3 is blank */
    assert_int_equal(rec->line, 4);
    assert_int_equal(rec->status, ZN_EPARSE);
    assert_string_equal(rec->problem, "line is a JSON array, not an object");
    assert_string_equal(rec->raw, "[1,2]");
    assert_int_equal(rec->nfields, 5);
    assert_null(rec->fields[0]);
    rec = next_ok(r);
    assert_rec(rec, 5, ZN_OK, 5, (const char *[]){"3", "王五", "100", "false", "[\"a\",1]"});
    rec = next_ok(r);
    assert_int_equal(rec->line, 6);
    assert_int_equal(rec->status, ZN_EPARSE);
    assert_non_null(strstr(rec->problem, "not valid JSON"));
    assert_string_equal(rec->raw, "{bad json");
    rec = next_ok(r); /* last line without a newline */
    assert_rec(rec, 7, ZN_OK, 5, (const char *[]){"12345678901234", "x\"y\xC3\xA9", "0.1", NULL, NULL});
    assert_end(r);
    zn_reader_close(r);
    assert_chunk_invariant(path, (zn_reader_options){0}, KEYS, 5);

    /* keys are required */
    assert_int_equal(zn_reader_open(path, NULL, NULL, 0, &r, &e), ZN_EINVAL);
    /* format by content when the extension says nothing; bad bytes; NUL */
    path = zn_test_write_file("feed.dat", LIT(" {\"id\":\"a\"}\n{\"id\":\"\xFF\"}\n{\"id\":\"a\0\"}\n"));
    assert_int_equal(zn_reader_open(path, &(zn_reader_options){.encoding = "utf-8"}, KEYS, 1, &r, &e),
                     ZN_OK);
    assert_rec(next_ok(r), 1, ZN_OK, 1, (const char *[]){"a"});
    rec = next_ok(r);
    assert_int_equal(rec->status, ZN_EENCODING);
    assert_string_equal(rec->raw, "{\"id\":\"\\xFF\"}");
    rec = next_ok(r);
    assert_int_equal(rec->status, ZN_EPARSE);
    assert_string_equal(rec->problem, "NUL byte in line");
    assert_end(r);
    zn_reader_close(r);
    /* a value over max_field */
    path = zn_test_write_file("long.jsonl", LIT("{\"id\":\"abcdef\"}\n{\"id\":\"abc\"}\n"));
    assert_int_equal(zn_reader_open(path, &(zn_reader_options){.max_field = 4}, KEYS, 1, &r, &e), ZN_OK);
    rec = next_ok(r);
    assert_int_equal(rec->status, ZN_ERANGE);
    assert_string_equal(rec->problem_field, "id");
    assert_rec(next_ok(r), 2, ZN_OK, 1, (const char *[]){"abc"});
    zn_reader_close(r);
    /* a line over max_record, arriving in small reads (found by fuzz_reader: memcpy from a
     * NULL line buffer) */
    for (size_t chunk = 0; chunk <= 2; chunk += 2) {
        assert_int_equal(zn_reader_open(path, &(zn_reader_options){.max_record = 14, .chunk_size = chunk},
                                        KEYS, 1, &r, &e),
                         ZN_OK);
        rec = next_ok(r);
        assert_int_equal(rec->status, ZN_ERANGE);
        assert_string_equal(rec->problem, "line is longer than 14 bytes");
        assert_string_equal(rec->raw, "{\"id\":\"abcdef\"}");
        assert_null(rec->fields[0]);
        assert_rec(next_ok(r), 2, ZN_OK, 1, (const char *[]){"abc"});
        assert_end(r);
        zn_reader_close(r);
    }
    assert_int_equal(zn_reader_open(path, &(zn_reader_options){.max_record = 1, .chunk_size = 5}, KEYS,
                                    1, &r, &e),
                     ZN_OK);
    rec = next_ok(r);
    assert_int_equal(rec->status, ZN_ERANGE);
    assert_string_equal(rec->raw, "{\"id\":\"abcdef\"}");
    rec = next_ok(r);
    assert_int_equal(rec->status, ZN_ERANGE);
    assert_string_equal(rec->raw, "{\"id\":\"abc\"}");
    assert_end(r);
    zn_reader_close(r);
}

static void test_ndjson_gbk_gzip(void **state)
{
    (void)state;
    size_t n;
    char *gbk = iconv_to("GBK", "{\"id\":1,\"name\":\"浙江省杭州市西湖区\"}\n{\"id\":2}\n", &n);
    char path[600];
    snprintf(path, sizeof path, "%s/feed.jsonl.gz", zn_test_tmpdir());
    gzFile gz = gzopen(path, "wb");
    assert_int_equal(gzwrite(gz, gbk, (unsigned)n), (int)n);
    gzclose(gz);
    free(gbk);
    zn_reader *r = NULL;
    assert_int_equal(zn_reader_open(path, NULL, KEYS, 2, &r, NULL), ZN_OK);
    assert_string_equal(zn_reader_encoding(r), "gb18030");
    assert_rec(next_ok(r), 1, ZN_OK, 2, (const char *[]){"1", "浙江省杭州市西湖区"});
    assert_rec(next_ok(r), 2, ZN_OK, 2, (const char *[]){"2", NULL});
    assert_end(r);
    zn_reader_close(r);
    assert_chunk_invariant(path, (zn_reader_options){0}, KEYS, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quoted),
        cmocka_unit_test(test_bom_crlf_blank),
        cmocka_unit_test(test_lone_cr),
        cmocka_unit_test(test_short_long_rows),
        cmocka_unit_test(test_tsv_and_delimiter),
        cmocka_unit_test(test_gbk),
        cmocka_unit_test(test_gbk_record_in_utf8_file),
        cmocka_unit_test(test_char_across_chunk),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_long_field),
        cmocka_unit_test(test_unterminated_quote),
        cmocka_unit_test(test_fatal_open),
        cmocka_unit_test(test_header_only),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_ndjson),
        cmocka_unit_test(test_ndjson_gbk_gzip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
