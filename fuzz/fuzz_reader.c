/*
 * libFuzzer target for the hub's record reader (src/hub/reader.c). See fuzz/README.md.
 *
 * Input: byte 0 chooses the options (format, encoding, read size, max_field), the rest is the
 * file. Each input is read twice, with a tiny read size and with the default 64 KiB, and the two
 * results must be identical (for files up to 4 KiB, the encoding detector's smallest window) (so splitting characters, CRLFs, quotes and lines across reads must
 * not matter). Invariants checked on every record: raw is NUL-terminated text of raw_len bytes,
 * valid UTF-8, at most ZN_READER_RAW_MAX bytes; a record with status ZN_OK has valid UTF-8 fields
 * no longer than max_field.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hub/reader.h"

#define CHECK(c)                                                                                  \
    do {                                                                                          \
        if (!(c)) {                                                                               \
            fprintf(stderr, "invariant failed: %s (line %d)\n", #c, __LINE__);                    \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

static int utf8_ok(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (!len || i + len > n)
            return 0;
        unsigned lo = 0x80, hi = 0xBF;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (size_t k = 2; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
        i += len;
    }
    return 1;
}

static void append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *buf = realloc(*buf, *cap);
        if (!*buf)
            abort();
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
}

static const char *const KEYS[] = {"a", "b", "c"};

/* Read the whole file, returning a text dump of everything observed (caller frees) and in
 * *final the status that ended the read (of open when it failed). */
static char *run(const char *path, zn_reader_options opt, zn_status *final)
{
    char *out = NULL, tmp[600];
    size_t len = 0, cap = 0;
    zn_reader *r = NULL;
    zn_error e;
    zn_status st = zn_reader_open(path, &opt, KEYS, 3, &r, &e);
    snprintf(tmp, sizeof tmp, "open %d %ld %s\n", st, st ? e.line : 0, st ? e.msg : "");
    append(&out, &len, &cap, tmp, strlen(tmp));
    *final = st;
    if (st != ZN_OK) {
        CHECK(r == NULL);
        return out;
    }
    const char *const *h;
    size_t nh = zn_reader_header(r, &h);
    for (size_t i = 0; i < nh; i++) {
        CHECK(utf8_ok((const unsigned char *)h[i], strlen(h[i])));
        append(&out, &len, &cap, h[i], strlen(h[i]) + 1);
    }
    zn_record *rec;
    long last_line = 0;
    size_t max_field = opt.max_field ? opt.max_field : 1024 * 1024;
    while ((st = zn_reader_next(r, &rec, &e)) == ZN_OK) {
        CHECK(strlen(rec->raw) == rec->raw_len);
        CHECK(rec->raw_len <= ZN_READER_RAW_MAX);
        CHECK(utf8_ok((const unsigned char *)rec->raw, rec->raw_len));
        CHECK(rec->line > last_line);
        last_line = rec->line;
        CHECK(rec->nfields <= ZN_READER_MAX_FIELDS);
        snprintf(tmp, sizeof tmp, "\n%ld %d %zu %s|", rec->line, rec->status, rec->nfields,
                 rec->problem);
        append(&out, &len, &cap, tmp, strlen(tmp));
        append(&out, &len, &cap, rec->raw, rec->raw_len + 1);
        for (size_t i = 0; i < rec->nfields; i++) {
            const char *f = rec->fields[i];
            if (!f) {
                append(&out, &len, &cap, "(null)", 7);
                continue;
            }
            size_t fl = strlen(f);
            if (rec->status == ZN_OK) {
                CHECK(fl <= max_field);
                CHECK(utf8_ok((const unsigned char *)f, fl));
            }
            append(&out, &len, &cap, f, fl + 1);
        }
    }
    CHECK(st != ZN_OK);
    *final = st;
    snprintf(tmp, sizeof tmp, "\nend %d %ld %s %s", st, st == ZN_ENOTFOUND ? 0 : e.line,
             st == ZN_ENOTFOUND ? "" : e.msg, zn_reader_encoding(r));
    append(&out, &len, &cap, tmp, strlen(tmp));
    CHECK(zn_reader_next(r, &rec, &e) == st); /* the end (or the failure) is sticky */
    zn_reader_close(r);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[256];
    if (!path[0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(path, sizeof path, "%s/zn-fuzz-reader-%ld.dat", dir ? dir : "/tmp", (long)getpid());
    }
    if (size < 1)
        return 0;
    static const size_t chunks[] = {1, 2, 3, 4, 5, 7, 16, 100};
    static const size_t max_fields[] = {0, 3, 17, 200};
    static const char *const encs[] = {NULL, "utf-8", "gbk", "auto"};
    uint8_t cfg = data[0];
    zn_reader_options opt = {0};
    opt.format = (cfg & 1) ? ZN_FORMAT_NDJSON : ZN_FORMAT_CSV;
    opt.encoding = encs[(cfg >> 1) & 3];
    size_t chunk = chunks[(cfg >> 3) & 7];
    opt.max_field = max_fields[(cfg >> 6) & 3];
    opt.max_record = opt.max_field ? 4 * opt.max_field : 0;

    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (size > 1 && fwrite(data + 1, 1, size - 1, f) != size - 1)
        abort();
    fclose(f);

    zn_status sa, sb;
    char *a = run(path, opt, &sa);
    opt.chunk_size = chunk;
    char *b = run(path, opt, &sb);
    /* "auto" looks max(read size, 4 KiB) bytes ahead: beyond that the decisions may differ.
     * A corrupt gzip stream fails in both, but zlib drops the data of a read that hits the
     * damage, so how far each got differs. */
    bool same = (sa == ZN_EIO && sb == ZN_EIO) || strcmp(a, b) == 0;
    if (size - 1 <= 4096 && !same) {
        fprintf(stderr, "64 KiB reads:\n%s\n--- reads of %zu bytes:\n%s\n", a, chunk, b);
        abort();
    }
    free(a);
    free(b);
    unlink(path);
    return 0;
}
