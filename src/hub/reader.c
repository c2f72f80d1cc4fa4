/*
 * Streaming record reader (see reader.h).
 *
 * Layers, bottom up:
 *  1. bytes: gzread (zlib; transparent for plain files) into `in`, one chunk at a time;
 *  2. text: UTF-8 bytes. UTF-8 input is handed out in place (no copy, no iconv) and validated per
 *     field; GB18030 input is converted by iconv into `u8`, a multibyte character split between
 *     two reads is carried over (iconv EINVAL). "auto" hands out the leading ASCII unchanged
 *     (identical in both encodings) and decides at the first non-ASCII byte (decide_encoding);
 *  3. segments: the text is cut after each line break (LF, CRLF, or a lone CR) and at the end of
 *     the available text. Each segment is fed to libcsv, which ends a record only at an unquoted
 *     CR/LF, so at most one record ends per segment and it ends at the segment's end. This gives
 *     the physical line where a record starts and its raw text without reimplementing RFC 4180;
 *  4. records: libcsv's field callback stores fields into one arena (no per-field malloc), checks
 *     NUL bytes, UTF-8 validity and max_field; NDJSON lines go to jansson.
 */
#include "reader.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define ZN__CHUNK ((size_t)64 * 1024)
#define ZN__DETECT_MIN ((size_t)4096)
#define ZN__MAX_FIELD ((size_t)1024 * 1024)
#define ZN__MAX_RECORD ((size_t)64 * 1024 * 1024)
#define ZN__NULL_FIELD SIZE_MAX
/* libcsv's parser state "inside a field" (FIELD_BEGUN in libcsv.c; struct csv_parser is public in
 * csv.h, the state numbers are fixed since libcsv 3.0). Used to tell an unterminated quote at EOF
 * (libcsv itself only reports it in strict mode, which would also make every stray quote fatal)
 * and to drop the start of a field that is already too long. */
#define ZN__CSV_FIELD_BEGUN 2

enum { ENC_UNDECIDED, ENC_UTF8, ENC_GB };

struct zn_reader {
    char *path;
    gzFile gz;
    uint64_t size;
    zn_format format;
    int enc;
    iconv_t cd;    /* GB18030 -> UTF-8, (iconv_t)-1 until needed */
    bool gb_dirty; /* a byte iconv could not convert was passed through (fields must be checked) */
    size_t max_field, max_record, chunk, look;
    unsigned char delim;

    /* layer 1: raw bytes; [in_pos, in_lim) is text released to layer 3 (UTF-8 modes) */
    char *in;
    size_t in_cap, in_pos, in_lim, in_len;
    bool eof;
    bool in_short; /* GB18030: what is left in `in` is an incomplete character */
    /* layer 2 for GB18030 */
    char *u8;
    size_t u8_cap, u8_pos, u8_len;
    bool u8_start;

    /* layer 3 */
    long line; /* line breaks consumed */
    bool prev_cr;

    /* layer 4 */
    struct csv_parser csv;
    bool csv_ready, in_record, row_done, field_over, oom, done;
    char *arena;
    size_t arena_len, arena_cap;
    size_t *foff;
    size_t nf, foff_cap;
    char **fptr;
    size_t fptr_cap;
    char *raw;
    size_t raw_len;
    bool raw_over;
    char *rawfix;
    zn_record rec;
    char *lbuf; /* NDJSON line spanning reads */
    size_t lbuf_len, lbuf_cap;

    char **hdr;
    size_t nhdr;

    zn_status fatal;
    zn_error fatal_err;
};

/* ---------------------------------------------------------------- small helpers */

/* Grow an array to hold `need` elements; returns the (possibly moved) block or NULL, *cap updated
 * only on success. */
static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t nc = *cap ? *cap : 16;
    while (nc < need) {
        if (nc > SIZE_MAX / 4 / elem)
            return NULL;
        nc *= 2;
    }
    void *q = realloc(p, nc * elem);
    if (q)
        *cap = nc;
    return q;
}

static zn_status fatal(zn_reader *r, zn_error *err, zn_status st, long line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static zn_status fatal(zn_reader *r, zn_error *err, zn_status st, long line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    zn_error_vset(&r->fatal_err, st, r->path, line, NULL, fmt, ap);
    va_end(ap);
    r->fatal = st;
    if (err)
        *err = r->fatal_err;
    return st;
}

/*
 * Length of the UTF-8 sequence at s (1..4) when valid, 0 when invalid, -1 when s[0..n) is a valid
 * but incomplete beginning. Well-formed UTF-8 per Unicode 15 table 3-7 (no overlongs, no
 * surrogates, nothing above U+10FFFF).
 */
static int u8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    int len;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0xC2)
        return 0;
    if (c < 0xE0) {
        len = 2;
    } else if (c < 0xF0) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c < 0xF5) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    for (int i = 1; i < len; i++) {
        if ((size_t)i >= n)
            return -1;
        unsigned d = s[i];
        if (d < lo || d > hi)
            return 0;
        lo = 0x80;
        hi = 0xBF;
    }
    return len;
}

#define ZN__HI 0x8080808080808080ULL
#define ZN__LO 0x0101010101010101ULL

/* 0: fine; 1: a NUL byte; 2: not valid UTF-8 (checked only when utf8). Eight ASCII bytes at a
 * time. */
static int scan_text(const char *p, size_t n, bool utf8)
{
    if (!utf8)
        return memchr(p, 0, n) ? 1 : 0;
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0;
    while (i < n) {
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if ((w | ((w - ZN__LO) & ~w)) & ZN__HI) /* a byte >= 0x80 or a zero byte */
                break;
            i += 8;
        }
        if (i >= n)
            break;
        unsigned c = s[i];
        if (c == 0)
            return 1;
        if (c < 0x80) {
            i++;
            continue;
        }
        /* fast path for the common 3-byte sequences (CJK is E4..E9) whose second byte has the
         * full 80..BF range: leads E1..EC and EE..EF */
        if (c >= 0xE1 && c != 0xED && c <= 0xEF && i + 2 < n && (s[i + 1] & 0xC0) == 0x80 &&
            (s[i + 2] & 0xC0) == 0x80) {
            i += 3;
            continue;
        }
        int k = u8_seq(s + i, n - i);
        if (k <= 0)
            return 2;
        i += (size_t)k;
    }
    return 0;
}

/* Number of leading ASCII bytes. */
static size_t ascii_prefix(const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0;
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & ZN__HI)
            break;
        i += 8;
    }
    while (i < n && s[i] < 0x80)
        i++;
    return i;
}

/* Copy s[0..n) to out (room for cap bytes plus NUL) with NUL bytes and bytes that are not valid
 * UTF-8 written as "\xHH". Returns the length; *cut set when it did not fit. */
static size_t sanitize(const char *p, size_t n, char *out, size_t cap, bool *cut)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *s = (const unsigned char *)p;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        int k = s[i] ? u8_seq(s + i, n - i) : 0;
        if (k > 0) {
            if (o + (size_t)k > cap)
                goto full;
            memcpy(out + o, s + i, (size_t)k);
            o += (size_t)k;
            i += (size_t)k;
        } else {
            if (o + 4 > cap)
                goto full;
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[s[i] >> 4];
            out[o++] = hex[s[i] & 15];
            i++;
        }
    }
    out[o] = '\0';
    return o;
full:
    *cut = true;
    out[o] = '\0';
    return o;
}

/* ---------------------------------------------------------------- layer 1: bytes */

static zn_status read_more(zn_reader *r, zn_error *err)
{
    if (r->in_pos > 0) {
        size_t keep = r->in_len - r->in_pos;
        memmove(r->in, r->in + r->in_pos, keep);
        r->in_lim = r->in_lim > r->in_pos ? r->in_lim - r->in_pos : 0; /* unused for GB18030 */
        r->in_len = keep;
        r->in_pos = 0;
    }
    size_t want = r->in_cap - r->in_len;
    if (want > r->chunk)
        want = r->chunk;
    if (want == 0) /* cannot happen: callers leave at least a chunk free */
        return fatal(r, err, ZN_EIO, r->line, "read buffer full");
    int got = gzread(r->gz, r->in + r->in_len, (unsigned)want);
    int zerr = Z_OK;
    const char *zmsg = gzerror(r->gz, &zerr);
    if (got < 0 || (got == 0 && zerr != Z_OK)) {
        /* Z_BUF_ERROR: the gzip stream ends early (gzread returns 0, not -1, for it) */
        if (zerr == Z_ERRNO)
            return fatal(r, err, ZN_EIO, 0, "cannot read: %s", strerror(errno));
        return fatal(r, err, ZN_EIO, 0, "cannot read gzip data: %s",
                     zerr == Z_BUF_ERROR ? "truncated gzip stream" : zmsg);
    }
    if (got == 0)
        r->eof = true;
    r->in_len += (size_t)got;
    return ZN_OK;
}

/* ---------------------------------------------------------------- layer 2: text */

static zn_status use_gb18030(zn_reader *r, zn_error *err)
{
    r->cd = iconv_open("UTF-8", "GB18030");
    if (r->cd == (iconv_t)-1)
        return fatal(r, err, ZN_EENCODING, 0, "iconv cannot convert GB18030 to UTF-8: %s",
                     strerror(errno));
    r->enc = ENC_GB;
    r->u8_cap = 2 * r->in_cap + 8; /* GB18030 -> UTF-8 grows at most 1.5 times */
    r->u8 = malloc(r->u8_cap);
    if (!r->u8)
        return fatal(r, err, ZN_ENOMEM, 0, "out of memory");
    r->u8_start = true;
    return ZN_OK;
}

/*
 * "auto", at the first non-ASCII byte (at `at`), with up to `look` bytes from there: GB18030
 * when bytes that cannot be UTF-8 are more than a quarter of the bytes in valid multibyte UTF-8
 * sequences. GBK Chinese text is mostly invalid as UTF-8 (e.g. 浙江省杭州市西湖区文三路 in GBK:
 * 17 invalid bytes, 7 accidentally valid), while a UTF-8 file with a damaged record has far more
 * valid than invalid bytes; decoding real UTF-8 as GB18030 would garble it silently, so the rule
 * leans to UTF-8.
 */
static zn_status decide_encoding(zn_reader *r, size_t at, zn_error *err)
{
    const unsigned char *s = (const unsigned char *)r->in + at;
    size_t n = r->in_len - at;
    if (n > r->look)
        n = r->look;
    bool to_eof = r->eof && at + n == r->in_len;
    size_t valid = 0, bad = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        int k = u8_seq(s + i, n - i);
        if (k > 0) {
            valid += (size_t)k;
            i += (size_t)k;
        } else if (k < 0 && !to_eof) {
            break; /* cut by the look-ahead window */
        } else {
            bad++;
            i++;
        }
    }
    if (bad > 0 && bad * 4 > valid)
        return use_gb18030(r, err);
    r->enc = ENC_UTF8;
    return ZN_OK;
}

/* "auto": decide now if the buffered bytes contain a non-ASCII byte (reading more look-ahead
 * when needed); otherwise stay undecided. */
static zn_status settle_encoding(zn_reader *r, zn_error *err)
{
    while (r->enc == ENC_UNDECIDED) {
        r->in_lim += ascii_prefix(r->in + r->in_lim, r->in_len - r->in_lim);
        if (r->in_lim == r->in_len)
            return ZN_OK; /* all ASCII so far */
        if (r->in_len - r->in_lim >= r->look || r->eof)
            return decide_encoding(r, r->in_lim, err);
        zn_status st = read_more(r, err); /* keeps [in_pos, in_len), in_lim follows */
        if (st != ZN_OK)
            return st;
    }
    return ZN_OK;
}

static void convert(zn_reader *r)
{
    char *ip = r->in + r->in_pos, *op = r->u8 + r->u8_len;
    size_t il = r->in_len - r->in_pos, ol = r->u8_cap - r->u8_len;
    while (il > 0) {
        if (iconv(r->cd, &ip, &il, &op, &ol) != (size_t)-1)
            break;
        if (errno == EILSEQ && ol > 0) {
            /* Pass the bad byte through: it is >= 0x80 and followed by converted (valid) UTF-8,
             * so it is never valid UTF-8 and the field check reports the record. */
            *op++ = *ip++;
            il--;
            ol--;
            r->gb_dirty = true;
            continue;
        }
        if (errno == EINVAL)
            r->in_short = true;
        break; /* EINVAL: incomplete character, wait for more; E2BIG: u8 full */
    }
    r->in_pos = (size_t)(ip - r->in);
    r->u8_len = (size_t)(op - r->u8);
    if (r->u8_start && r->u8_len > 0) {
        r->u8_start = false;
        if (r->u8_len >= 3 && memcmp(r->u8, "\xEF\xBB\xBF", 3) == 0)
            r->u8_pos = 3; /* U+FEFF from a GB18030 byte-order mark */
    }
}

/* Make UTF-8 text available: *p (n bytes) is the unconsumed text (n == 0 only at end of input). */
static zn_status avail(zn_reader *r, const char **p, size_t *n, zn_error *err)
{
    zn_status st;
    for (;;) {
        if (r->enc == ENC_GB) {
            if (r->u8_pos < r->u8_len) {
                *p = r->u8 + r->u8_pos;
                *n = r->u8_len - r->u8_pos;
                return ZN_OK;
            }
            r->u8_pos = r->u8_len = 0;
            if (r->in_pos < r->in_len && !r->in_short) {
                convert(r);
                continue;
            }
            if (r->eof) {
                if (r->in_pos < r->in_len) { /* an incomplete character at end of file */
                    memcpy(r->u8, r->in + r->in_pos, r->in_len - r->in_pos);
                    r->u8_len = r->in_len - r->in_pos;
                    r->in_pos = r->in_len;
                    r->gb_dirty = true;
                    continue;
                }
                *n = 0;
                return ZN_OK;
            }
            if ((st = read_more(r, err)) != ZN_OK)
                return st;
            r->in_short = false;
            continue;
        }
        if (r->in_pos < r->in_lim) {
            *p = r->in + r->in_pos;
            *n = r->in_lim - r->in_pos;
            return ZN_OK;
        }
        if (r->in_lim < r->in_len) {
            if (r->enc == ENC_UTF8) {
                r->in_lim = r->in_len;
                continue;
            }
            size_t k = ascii_prefix(r->in + r->in_lim, r->in_len - r->in_lim);
            if (k > 0) {
                r->in_lim += k;
                continue;
            }
            if ((st = settle_encoding(r, err)) != ZN_OK)
                return st;
            continue;
        }
        if (r->eof) {
            *n = 0;
            return ZN_OK;
        }
        if ((st = read_more(r, err)) != ZN_OK)
            return st;
    }
}

static void consume(zn_reader *r, size_t n)
{
    if (r->enc == ENC_GB)
        r->u8_pos += n;
    else
        r->in_pos += n;
}

/* ---------------------------------------------------------------- layer 4: records */

static void rec_reset(zn_reader *r)
{
    r->nf = 0;
    r->arena_len = 0;
    r->raw_len = 0;
    r->raw_over = false;
    r->row_done = false;
    r->field_over = false;
    r->rec.line = 0;
    r->rec.nfields = 0;
    r->rec.fields = NULL;
    r->rec.raw = "";
    r->rec.raw_len = 0;
    r->rec.raw_truncated = 0;
    r->rec.status = ZN_OK;
    r->rec.problem[0] = '\0';
    r->rec.problem_field = NULL;
}

static void raw_add(zn_reader *r, const char *p, size_t n)
{
    if (n == 0)
        return;
    size_t room = ZN_READER_RAW_MAX + 4 - r->raw_len; /* 4 more to find a character boundary */
    if (n > room) {
        n = room;
        r->raw_over = true;
    }
    memcpy(r->raw + r->raw_len, p, n);
    r->raw_len += n;
}

/* Words for column i: `field "name"` or `column 7`. */
static const char *col_label(const zn_reader *r, size_t i, char *buf, size_t n)
{
    if (i < r->nhdr)
        snprintf(buf, n, "field \"%s\"", r->hdr[i]);
    else
        snprintf(buf, n, "column %zu", i + 1);
    return buf;
}

static void problem(zn_reader *r, zn_status st, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Record the first problem of the record (later ones are not reported). col: SIZE_MAX = none. */
static void problem(zn_reader *r, zn_status st, size_t col, const char *fmt, ...)
{
    if (r->rec.status != ZN_OK)
        return;
    r->rec.status = st;
    r->rec.problem_field = col < r->nhdr ? r->hdr[col] : NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->rec.problem, sizeof r->rec.problem, fmt, ap);
    va_end(ap);
}

static const char *enc_text_name(const zn_reader *r)
{
    return r->enc == ENC_GB ? "GB18030" : "UTF-8";
}

/* Append a field value (NUL-terminated) to the arena; ZN__NULL_FIELD when p is NULL. */
static void put_field(zn_reader *r, const char *p, size_t len)
{
    void *q;
    if (r->nf >= r->foff_cap) {
        q = grow(r->foff, &r->foff_cap, r->nf + 1, sizeof *r->foff);
        if (!q) {
            r->oom = true;
            return;
        }
        r->foff = q;
    }
    if (!p) {
        r->foff[r->nf++] = ZN__NULL_FIELD;
        return;
    }
    if (r->arena_len + len >= r->arena_cap) {
        q = grow(r->arena, &r->arena_cap, r->arena_len + len + 1, 1);
        if (!q) {
            r->oom = true;
            return;
        }
        r->arena = q;
    }
    r->foff[r->nf++] = r->arena_len;
    memcpy(r->arena + r->arena_len, p, len);
    r->arena_len += len;
    r->arena[r->arena_len++] = '\0';
}

/* Check and store one field value (CSV field or NDJSON value text). */
static void take_field(zn_reader *r, const char *p, size_t len, bool too_long)
{
    char lab[96];
    size_t i = r->nf;
    if (too_long || len > r->max_field) {
        problem(r, ZN_ERANGE, i, "%s is longer than %zu bytes",
                col_label(r, i, lab, sizeof lab), r->max_field);
        len = 0;
    } else if (r->arena_len + len > r->max_record) {
        problem(r, ZN_ERANGE, i, "record is longer than %zu bytes (at %s)", r->max_record,
                col_label(r, i, lab, sizeof lab));
        len = 0;
    } else if (r->rec.status == ZN_OK) {
        int bad = scan_text(p, len, r->enc != ENC_GB || r->gb_dirty);
        if (bad == 1)
            problem(r, ZN_EPARSE, i, "NUL byte in %s", col_label(r, i, lab, sizeof lab));
        else if (bad == 2)
            problem(r, ZN_EENCODING, i, "invalid %s byte sequence in %s", enc_text_name(r),
                    col_label(r, i, lab, sizeof lab));
    }
    put_field(r, p, len);
}

static void csv_cb_field(void *s, size_t len, void *data)
{
    zn_reader *r = data;
    bool over = r->field_over;
    r->field_over = false;
    if (r->nf >= ZN_READER_MAX_FIELDS) {
        problem(r, ZN_ERANGE, SIZE_MAX, "record has more than %d fields", ZN_READER_MAX_FIELDS);
        return;
    }
    take_field(r, s, len, over);
}

static void csv_cb_row(int c, void *data)
{
    (void)c;
    zn_reader *r = data;
    r->row_done = true;
}

static int csv_no_space(unsigned char c)
{
    (void)c;
    return 0; /* RFC 4180: spaces are part of a field */
}

/* Point rec.fields at the arena and finish rec.raw. */
static zn_status finish_record(zn_reader *r, zn_error *err)
{
    if (r->oom)
        return fatal(r, err, ZN_ENOMEM, r->rec.line, "out of memory");
    void *q = grow(r->fptr, &r->fptr_cap, r->nf + 1, sizeof *r->fptr);
    if (!q)
        return fatal(r, err, ZN_ENOMEM, r->rec.line, "out of memory");
    r->fptr = q;
    for (size_t i = 0; i < r->nf; i++)
        r->fptr[i] = r->foff[i] == ZN__NULL_FIELD ? NULL : r->arena + r->foff[i];
    r->fptr[r->nf] = NULL;
    r->rec.fields = r->fptr;
    r->rec.nfields = r->nf;

    size_t n = r->raw_len;
    bool cut = r->raw_over || n > ZN_READER_RAW_MAX;
    if (cut) {
        n = ZN_READER_RAW_MAX;
        for (int k = 0; k < 3 && n > 0 && ((unsigned char)r->raw[n] & 0xC0) == 0x80; k++)
            n--; /* do not split a character */
    } else {
        while (n > 0 && (r->raw[n - 1] == '\n' || r->raw[n - 1] == '\r'))
            n--;
    }
    if (r->rec.status != ZN_OK) {
        n = sanitize(r->raw, n, r->rawfix, ZN_READER_RAW_MAX, &cut);
        r->rec.raw = r->rawfix;
    } else {
        r->raw[n] = '\0';
        r->rec.raw = r->raw;
    }
    r->rec.raw_len = n;
    r->rec.raw_truncated = cut;
    return ZN_OK;
}

/* A record that is one unquoted field of spaces/tabs: a blank line, skipped. */
static bool blank_record(const zn_reader *r)
{
    if (r->nf != 1 || r->raw_over)
        return false;
    for (size_t i = 0; i < r->raw_len; i++) {
        char c = r->raw[i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
            return false;
    }
    return true;
}

static zn_status csv_next(zn_reader *r, zn_error *err)
{
    zn_status st;
    rec_reset(r);
    for (;;) {
        const char *p;
        size_t n;
        if ((st = avail(r, &p, &n, err)) != ZN_OK)
            return st;
        if (n == 0) { /* end of input */
            if (!r->in_record)
                return ZN_ENOTFOUND;
            if (r->csv.pstate == ZN__CSV_FIELD_BEGUN && r->csv.quoted)
                return fatal(r, err, ZN_EPARSE, r->rec.line,
                             "unterminated quoted field: the record starting at line %ld runs to "
                             "the end of the file",
                             r->rec.line);
            csv_fini(&r->csv, csv_cb_field, csv_cb_row, r);
            r->in_record = false;
            if (!r->row_done)
                return ZN_ENOTFOUND;
        } else {
            /* one segment: up to and including the first line break */
            const char *nl = memchr(p, '\n', n);
            size_t seg = nl ? (size_t)(nl - p) + 1 : n;
            const char *cr = memchr(p, '\r', seg);
            if (cr && !(cr + 1 < p + seg && cr[1] == '\n'))
                seg = (size_t)(cr - p) + 1; /* a lone CR (or a CR at the end of the text) */
            if (r->prev_cr) {
                r->prev_cr = false;
                if (p[0] != '\n')
                    r->line++; /* the previous CR was a line break by itself */
            }
            if (!r->in_record) {
                if (p[0] == '\n' || p[0] == '\r') { /* blank line, or the LF of a CRLF */
                    consume(r, seg);
                    if (p[seg - 1] == '\n')
                        r->line++;
                    else
                        r->prev_cr = true;
                    continue;
                }
                r->in_record = true;
                r->rec.line = r->line + 1;
            }
            raw_add(r, p, seg);
            if (csv_parse(&r->csv, p, seg, csv_cb_field, csv_cb_row, r) != seg)
                return fatal(r, err, ZN_ENOMEM, r->rec.line, "CSV parser: %s",
                             csv_strerror(csv_error(&r->csv)));
            if (r->csv.entry_pos > r->max_field && r->csv.pstate == ZN__CSV_FIELD_BEGUN) {
                /* The field is too long already: forget what libcsv has buffered so memory
                 * stays bounded; the field callback will see field_over. */
                r->field_over = true;
                r->csv.entry_pos = 0;
                r->csv.spaces = 0;
            }
            char last = p[seg - 1];
            consume(r, seg);
            if (last == '\n')
                r->line++;
            else if (last == '\r')
                r->prev_cr = true;
            if (!r->row_done)
                continue;
            r->in_record = false;
        }
        if (r->oom)
            return fatal(r, err, ZN_ENOMEM, r->rec.line, "out of memory");
        if (blank_record(r)) {
            rec_reset(r);
            continue;
        }
        return finish_record(r, err);
    }
}

/* ---------------------------------------------------------------- NDJSON */

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    case JSON_NULL: return "null";
    default: return "object";
    }
}

/* Shortest %g text that reads back as d (15 digits first, up to 17, which always round-trips). */
static void format_real(double d, char *buf, size_t n)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            return;
    }
}

static void nd_value(zn_reader *r, json_t *v)
{
    char num[40];
    switch (json_typeof(v)) {
    case JSON_STRING:
        take_field(r, json_string_value(v), json_string_length(v), false);
        return;
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        take_field(r, num, strlen(num), false);
        return;
    case JSON_REAL:
        format_real(json_real_value(v), num, sizeof num);
        take_field(r, num, strlen(num), false);
        return;
    case JSON_TRUE: take_field(r, "true", 4, false); return;
    case JSON_FALSE: take_field(r, "false", 5, false); return;
    case JSON_NULL: put_field(r, NULL, 0); return;
    default: {
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!s) {
            r->oom = true;
            return;
        }
        take_field(r, s, strlen(s), false);
        free(s);
    }
    }
}

static zn_status nd_next(zn_reader *r, zn_error *err)
{
    zn_status st;
    for (;;) {
        rec_reset(r);
        const char *lp = NULL;
        size_t ll = 0, total = 0;
        bool got = false, over = false;
        r->lbuf_len = 0;
        for (;;) {
            const char *p;
            size_t n;
            if ((st = avail(r, &p, &n, err)) != ZN_OK)
                return st;
            if (n == 0)
                break;
            got = true;
            const char *nl = memchr(p, '\n', n);
            size_t take = nl ? (size_t)(nl - p) + 1 : n;
            if (nl && total == 0) { /* the whole line is in the buffer: no copy */
                lp = p;
                ll = take;
                consume(r, take);
                break;
            }
            total += take;
            if (!over && r->lbuf_len + take > r->max_record + 2) {
                over = true;
                raw_add(r, r->lbuf, r->lbuf_len);
            }
            if (over) {
                raw_add(r, p, take);
            } else {
                void *q = grow(r->lbuf, &r->lbuf_cap, r->lbuf_len + take, 1);
                if (!q)
                    return fatal(r, err, ZN_ENOMEM, r->line + 1, "out of memory");
                r->lbuf = q;
                memcpy(r->lbuf + r->lbuf_len, p, take);
                r->lbuf_len += take;
            }
            consume(r, take);
            if (nl)
                break;
        }
        if (!got)
            return ZN_ENOTFOUND;
        r->rec.line = ++r->line;
        if (!lp) {
            lp = r->lbuf;
            ll = r->lbuf_len;
        }
        while (ll > 0 && (lp[ll - 1] == '\n' || lp[ll - 1] == '\r'))
            ll--;
        if (!over && ll > r->max_record) {
            over = true;
            raw_add(r, lp, ll);
        }
        if (!over) {
            size_t i = 0;
            while (i < ll && (lp[i] == ' ' || lp[i] == '\t' || lp[i] == '\r'))
                i++;
            if (i == ll)
                continue; /* blank line */
            raw_add(r, lp, ll);
        }
        /* every key gets a field (NULL unless set below) */
        for (size_t k = 0; k < r->nhdr; k++)
            put_field(r, NULL, 0);
        if (over) {
            problem(r, ZN_ERANGE, SIZE_MAX, "line is longer than %zu bytes", r->max_record);
            return finish_record(r, err);
        }
        int bad = scan_text(lp, ll, r->enc != ENC_GB || r->gb_dirty);
        if (bad) {
            if (bad == 1)
                problem(r, ZN_EPARSE, SIZE_MAX, "NUL byte in line");
            else
                problem(r, ZN_EENCODING, SIZE_MAX, "invalid %s byte sequence in line",
                        enc_text_name(r));
            return finish_record(r, err);
        }
        json_error_t je;
        json_t *root = json_loadb(lp, ll, 0, &je);
        if (!root) {
            problem(r, ZN_EPARSE, SIZE_MAX, "not valid JSON: %s (column %d)", je.text, je.column);
            return finish_record(r, err);
        }
        if (!json_is_object(root)) {
            problem(r, ZN_EPARSE, SIZE_MAX, "line is a JSON %s, not an object",
                    json_type_name(root));
            json_decref(root);
            return finish_record(r, err);
        }
        r->nf = 0; /* refill the slots in key order */
        r->arena_len = 0;
        for (size_t k = 0; k < r->nhdr; k++) {
            json_t *v = json_object_get(root, r->hdr[k]);
            if (v)
                nd_value(r, v);
            else
                put_field(r, NULL, 0);
        }
        json_decref(root);
        return finish_record(r, err);
    }
}

/* ---------------------------------------------------------------- open / close */

static int encoding_of(const char *name)
{
    if (!name || !*name || strcasecmp(name, "auto") == 0)
        return ENC_UNDECIDED;
    if (strcasecmp(name, "utf-8") == 0 || strcasecmp(name, "utf8") == 0)
        return ENC_UTF8;
    if (strcasecmp(name, "gbk") == 0 || strcasecmp(name, "gb18030") == 0 ||
        strcasecmp(name, "gb2312") == 0 || strcasecmp(name, "cp936") == 0)
        return ENC_GB;
    return -1;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t m = strlen(suffix);
    return n >= m && strncasecmp(s + n - m, suffix, m) == 0;
}

static zn_format format_of_name(const char *path, bool *tsv)
{
    size_t n = strlen(path);
    if (ends_with(path, n, ".gz"))
        n -= 3;
    *tsv = ends_with(path, n, ".tsv");
    if (ends_with(path, n, ".csv") || *tsv || ends_with(path, n, ".txt"))
        return ZN_FORMAT_CSV;
    if (ends_with(path, n, ".ndjson") || ends_with(path, n, ".jsonl") || ends_with(path, n, ".json"))
        return ZN_FORMAT_NDJSON;
    return ZN_FORMAT_AUTO;
}

/* Copy the CSV header (first record), trimming ASCII blanks and U+3000 ideographic spaces. */
static zn_status keep_header(zn_reader *r, const char *const *names, size_t n, bool trim,
                             zn_error *err)
{
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += strlen(names[i]) + 1;
    r->hdr = malloc((n + 1) * sizeof *r->hdr + bytes);
    if (!r->hdr)
        return fatal(r, err, ZN_ENOMEM, 0, "out of memory");
    char *o = (char *)(r->hdr + n + 1);
    for (size_t i = 0; i < n; i++) {
        const char *s = names[i];
        size_t len = strlen(s);
        while (trim) {
            if (len > 0 && (*s == ' ' || *s == '\t')) {
                s++, len--;
            } else if (len >= 3 && memcmp(s, "\xE3\x80\x80", 3) == 0) {
                s += 3, len -= 3;
            } else if (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t')) {
                len--;
            } else if (len >= 3 && memcmp(s + len - 3, "\xE3\x80\x80", 3) == 0) {
                len -= 3;
            } else {
                break;
            }
        }
        r->hdr[i] = o;
        memcpy(o, s, len);
        o[len] = '\0';
        o += len + 1;
    }
    r->hdr[n] = NULL;
    r->nhdr = n;
    return ZN_OK;
}

zn_status zn_reader_open(const char *path, const zn_reader_options *opt, const char *const *keys,
                         size_t nkeys, zn_reader **out, zn_error *err)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return zn_error_set(err, ZN_EINVAL, path, 0, NULL, "zn_reader_open: NULL path or out");
    zn_reader_options o = {0};
    if (opt)
        o = *opt;
    zn_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = zn_strdup(path))) {
        free(r);
        return zn_error_set(err, ZN_ENOMEM, path, 0, NULL, "out of memory");
    }
    r->cd = (iconv_t)-1;
    zn_status st = ZN_OK;
    int fd = -1;

    r->enc = encoding_of(o.encoding);
    if (r->enc < 0) {
        st = fatal(r, err, ZN_EENCODING, 0,
                   "unknown encoding \"%s\" (use auto, utf-8, gbk or gb18030)", o.encoding);
        goto fail;
    }
    r->max_field = o.max_field ? o.max_field : ZN__MAX_FIELD;
    r->max_record = o.max_record ? o.max_record : ZN__MAX_RECORD;
    r->chunk = o.chunk_size ? o.chunk_size : ZN__CHUNK;
    if (r->chunk > (size_t)1 << 30)
        r->chunk = (size_t)1 << 30;
    r->look = r->chunk < ZN__DETECT_MIN ? ZN__DETECT_MIN : r->chunk;
    r->in_cap = r->look + r->chunk + 8;
    bool tsv = false;
    r->format = o.format != ZN_FORMAT_AUTO ? o.format : format_of_name(path, &tsv);
    r->delim = o.delimiter ? (unsigned char)o.delimiter : tsv ? '\t' : ',';
    if (r->delim == '\r' || r->delim == '\n' || r->delim == '"') {
        st = fatal(r, err, ZN_EINVAL, 0, "delimiter cannot be CR, LF or '\"'");
        goto fail;
    }
    r->in = malloc(r->in_cap);
    r->raw = malloc(ZN_READER_RAW_MAX + 8);
    r->rawfix = malloc(ZN_READER_RAW_MAX + 8);
    if (!r->in || !r->raw || !r->rawfix) {
        st = fatal(r, err, ZN_ENOMEM, 0, "out of memory");
        goto fail;
    }
    rec_reset(r);

    fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        st = fatal(r, err, ZN_EIO, 0, "cannot open %s: %s", path, strerror(errno));
        goto fail;
    }
    if (S_ISDIR(sb.st_mode)) {
        st = fatal(r, err, ZN_EIO, 0, "cannot read %s: it is a directory", path);
        goto fail;
    }
    r->size = S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
    r->gz = gzdopen(fd, "rb");
    if (!r->gz) {
        st = fatal(r, err, ZN_ENOMEM, 0, "cannot open %s: out of memory", path);
        goto fail;
    }
    fd = -1; /* owned by gz now */
    gzbuffer(r->gz, 64 * 1024);

    while (r->in_len < 4 && !r->eof)
        if ((st = read_more(r, err)) != ZN_OK)
            goto fail;
    if (r->in_len == 0) {
        st = fatal(r, err, ZN_EPARSE, 0, "empty file");
        goto fail;
    }
    const unsigned char *b = (const unsigned char *)r->in;
    if (r->in_len >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF))) {
        st = fatal(r, err, ZN_EENCODING, 0, "UTF-16 text is not supported: convert it to UTF-8");
        goto fail;
    }
    if (r->enc != ENC_GB && r->in_len >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) {
        r->in_pos = r->in_lim = 3; /* UTF-8 byte-order mark */
        r->enc = ENC_UTF8;
    }
    if (r->enc == ENC_GB && (st = use_gb18030(r, err)) != ZN_OK)
        goto fail;

    if (r->format == ZN_FORMAT_AUTO) {
        size_t i = r->in_pos;
        while (i < r->in_len && r->in[i] && strchr(" \t\r\n", r->in[i]))
            i++;
        r->format = i < r->in_len && r->in[i] == '{' ? ZN_FORMAT_NDJSON : ZN_FORMAT_CSV;
    }

    if (r->format == ZN_FORMAT_NDJSON) {
        if (!keys || nkeys == 0) {
            st = fatal(r, err, ZN_EINVAL, 0, "NDJSON needs the list of keys (columns)");
            goto fail;
        }
        for (size_t i = 0; i < nkeys; i++)
            if (!keys[i]) {
                st = fatal(r, err, ZN_EINVAL, 0, "NDJSON key %zu is NULL", i + 1);
                goto fail;
            }
        if ((st = keep_header(r, keys, nkeys, false, err)) != ZN_OK)
            goto fail;
    } else {
        csv_init(&r->csv, 0);
        r->csv_ready = true;
        csv_set_delim(&r->csv, r->delim);
        csv_set_space_func(&r->csv, csv_no_space);
        csv_set_blk_size(&r->csv, 64 * 1024); /* default 128 bytes: a long field would realloc
                                                  thousands of times */
        st = csv_next(r, err);
        if (st == ZN_ENOTFOUND) {
            st = fatal(r, err, ZN_EPARSE, 0, "empty file: no header line");
            goto fail;
        }
        if (st != ZN_OK)
            goto fail;
        if (r->rec.status != ZN_OK) {
            st = fatal(r, err, r->rec.status, r->rec.line, "header: %s", r->rec.problem);
            goto fail;
        }
        if ((st = keep_header(r, (const char *const *)r->rec.fields, r->rec.nfields, true, err)) != ZN_OK)
            goto fail;
    }
    if ((st = settle_encoding(r, err)) != ZN_OK) /* report the encoding early when we can */
        goto fail;
    rec_reset(r);
    *out = r;
    return ZN_OK;

fail:
    if (fd >= 0)
        close(fd);
    zn_reader_close(r);
    return st;
}

size_t zn_reader_header(zn_reader *r, const char *const **names)
{
    if (names)
        *names = r ? (const char *const *)r->hdr : NULL;
    return r ? r->nhdr : 0;
}

zn_status zn_reader_next(zn_reader *r, zn_record **rec, zn_error *err)
{
    if (!r || !rec)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_reader_next: NULL argument");
    *rec = NULL;
    if (r->fatal) {
        if (err)
            *err = r->fatal_err;
        return r->fatal;
    }
    if (r->done)
        return ZN_ENOTFOUND;
    zn_status st = r->format == ZN_FORMAT_NDJSON ? nd_next(r, err) : csv_next(r, err);
    if (st == ZN_OK)
        *rec = &r->rec;
    else if (st == ZN_ENOTFOUND)
        r->done = true;
    return st;
}

const char *zn_reader_encoding(zn_reader *r)
{
    return r && r->enc == ENC_GB ? "gb18030" : "utf-8";
}

uint64_t zn_reader_bytes(zn_reader *r)
{
    if (!r || !r->gz)
        return 0;
    z_off_t off = gzoffset(r->gz);
    return off < 0 ? 0 : (uint64_t)off;
}

uint64_t zn_reader_size(zn_reader *r)
{
    return r ? r->size : 0;
}

void zn_reader_close(zn_reader *r)
{
    if (!r)
        return;
    if (r->gz)
        gzclose(r->gz);
    if (r->cd != (iconv_t)-1)
        iconv_close(r->cd);
    if (r->csv_ready)
        csv_free(&r->csv);
    free(r->path);
    free(r->in);
    free(r->u8);
    free(r->arena);
    free(r->foff);
    free(r->fptr);
    free(r->raw);
    free(r->rawfix);
    free(r->lbuf);
    free(r->hdr);
    free(r);
}
