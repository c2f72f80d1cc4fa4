/*
 * Loaders for the benchmark's purely numeric CSV files (../shared/bench/SPEC.md, section 1).
 *
 * This is deliberately NOT the hub's reader: general departmental feeds (quoted fields, GB18030,
 * gzip, per-record quarantine) go through src/hub and libcsv, then zn_trace_index_build. These
 * files hold nothing but unsigned/signed decimal integers separated by ',' with LF (or CRLF) line
 * ends, and loading 10^7-10^8 of them is the load phase of the benchmark, so a hand-written parser
 * that reads slices of the file with pread on several threads is worth its few lines here.
 * Rows are never kept as text: each thread parses its slice into the index builder.
 */
#include "trace_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define CSV_WIN ((size_t)8 << 20)

static const char STAYS_HEADER[] = "person_id,place_id,t_start,t_end";
static const char CASES_HEADER[] = "person_id,t_from,t_to";

/* Parse a decimal integer at *sp (optional '-' when sign_ok). Stops at the first non-digit.
 * Returns 0 and advances *sp on success, -1 when there is no digit or it overflows int64. */
static inline int parse_int(const char **sp, int sign_ok, int64_t *out)
{
    const char *s = *sp;
    int neg = 0;
    if (sign_ok && *s == '-') {
        neg = 1;
        s++;
    }
    const char *d0 = s;
    uint64_t x = 0;
    unsigned d;
    while ((d = (unsigned)(unsigned char)*s - '0') < 10) {
        x = x * 10 + d;
        s++;
    }
    size_t nd = (size_t)(s - d0);
    if (nd == 0)
        return -1;
    if (nd > 18) { /* slow path: exact overflow check */
        uint64_t y = 0;
        for (const char *c = d0; c < s; c++) {
            if (__builtin_mul_overflow(y, 10, &y) || __builtin_add_overflow(y, (uint64_t)(*c - '0'), &y))
                return -1;
        }
        if (y > (uint64_t)INT64_MAX + (uint64_t)neg)
            return -1;
        x = y;
    }
    *out = neg ? (int64_t)(0 - x) : (int64_t)x;
    *sp = s;
    return 0;
}

/*
 * SWAR ("SIMD within a register") decimal parsing, 8 characters per step: count the leading
 * digits of a little-endian 8-byte word, then convert up to 8 digits with three multiplies
 * (the method of Lemire, "Fast number parsing", and of simdjson's parse_eight_digits_unrolled).
 * Only used when at least 24 readable bytes follow the number's start (the caller's limit).
 */
static inline uint64_t load8(const char *s)
{
    uint64_t v;
    memcpy(&v, s, 8);
    return v;
}

/* Number of leading ASCII digits in the 8 bytes of v (0..8). A byte is a digit iff its high
 * nibble is 3 and adding 6 to it does not carry into that nibble; a carry out of a byte >= 0xFA
 * can only disturb the bytes after the first non-digit, which are not counted. */
static inline int digits8(uint64_t v)
{
    uint64_t hi = v & 0xF0F0F0F0F0F0F0F0ULL;
    uint64_t hi6 = (v + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL;
    uint64_t bad = (hi ^ 0x3030303030303030ULL) | (hi6 ^ 0x3030303030303030ULL);
    return bad ? __builtin_ctzll(bad) >> 3 : 8;
}

/* Value of the first n (1..8) digits of v. */
static inline uint64_t value8(uint64_t v, int n)
{
    v = (v & 0x0F0F0F0F0F0F0F0FULL) << (64 - 8 * n); /* digits right-aligned as 8 digits */
    v = v * 10 + (v >> 8);
    v = (((v & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
         (((v >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >> 32;
    return v;
}

static const uint64_t POW10[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

/* parse_int, SWAR: up to 18 digits (longer numbers go to the exact slow path). */
static inline int parse_int_fast(const char **sp, int sign_ok, int64_t *out)
{
    const char *s = *sp;
    int neg = 0;
    if (sign_ok && *s == '-') {
        neg = 1;
        s++;
    }
    uint64_t w = load8(s);
    int n = digits8(w);
    if (n == 0)
        return -1;
    uint64_t x = value8(w, n);
    if (n == 8) {
        uint64_t w2 = load8(s + 8);
        int n2 = digits8(w2);
        if (n2) {
            x = x * POW10[n2] + value8(w2, n2);
            if (n2 == 8) {
                uint64_t w3 = load8(s + 16);
                int n3 = digits8(w3);
                if (n3 > 2) /* more than 18 digits */
                    return parse_int(sp, sign_ok, out);
                if (n3)
                    x = x * POW10[n3] + value8(w3, n3);
                n += n3;
            }
            n += n2;
        }
    }
    *out = neg ? (int64_t)(0 - x) : (int64_t)x;
    *sp = s + n;
    return 0;
}

/* Read exactly n bytes at off (fewer only at end of file). Returns bytes read or -1. */
static ssize_t pread_full(int fd, char *buf, size_t n, off_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, off + (off_t)got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* Check the header line text[0..len) (no '\n') against want; BOM and '\r' tolerated. */
static int header_ok(const char *text, size_t len, const char *want)
{
    if (len >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
        (unsigned char)text[2] == 0xBF) {
        text += 3;
        len -= 3;
    }
    if (len && text[len - 1] == '\r')
        len--;
    return len == strlen(want) && memcmp(text, want, len) == 0;
}

/* ---------------------------------------------------------------- stays */

typedef struct slice_job {
    zn__tr_builder *bld;
    int fd;
    const char *path;
    off_t *cut; /* [nprod + 1] byte offsets, each at a line start */
    long *lines; /* out: lines parsed per slice */
} slice_job;

static const char *FIELDS[4] = {"person_id", "place_id", "t_start", "t_end"};

static void slice_fail(zn__tr_prod *p, zn_status st, const char *path, long line, const char *field,
                       const char *msg)
{
    zn_error e;
    zn_error_set(&e, st, path, line, field, "%s", msg);
    zn__tr_prod_set_error(p, st, &e);
}

/* Parse complete lines in [s, e) (e[-1] == '\n') into the producer, ZN__TR_BATCH rows at a
 * time; bytes up to limit (>= e) may be read. Returns 0, or -1 after recording an error. */
static int parse_lines(zn__tr_prod *p, const char *path, const char *s, const char *e,
                       const char *limit, long *line)
{
    const char *fast_end = limit - 32; /* SWAR reads at most 24 bytes past a field's start */
    zn__tr_in in[ZN__TR_BATCH];
    size_t k = 0;
    while (s < e) {
        ++*line;
        if (*s == '\n') {
            s++;
            continue;
        }
        if (*s == '\r' && s[1] == '\n') {
            s += 2;
            continue;
        }
        int64_t v[4];
        for (int f = 0; f < 4; f++) {
            if ((s < fast_end ? parse_int_fast(&s, f >= 2, &v[f]) : parse_int(&s, f >= 2, &v[f])) != 0) {
                if (zn__tr_prod_add_batch(p, in, k) != ZN_OK)
                    return -1;
                slice_fail(p, ZN_EPARSE, path, *line, FIELDS[f],
                           "expected a decimal integer (int64)");
                return -1;
            }
            char want = f < 3 ? ',' : '\n';
            if (f == 3 && *s == '\r')
                s++;
            if (*s != want) {
                if (zn__tr_prod_add_batch(p, in, k) != ZN_OK)
                    return -1;
                int missing = f < 3 && (*s == '\n' || *s == '\r');
                slice_fail(p, ZN_EPARSE, path, *line, FIELDS[missing ? f + 1 : f],
                           missing ? "missing value (4 columns expected)"
                           : f < 3 ? "expected ',' after the value"
                                   : "expected end of line after t_end (4 columns)");
                return -1;
            }
            s++;
        }
        in[k++] = (zn__tr_in){v[0], v[1], v[2], v[3], *line};
        if (k == ZN__TR_BATCH) {
            if (zn__tr_prod_add_batch(p, in, k) != ZN_OK)
                return -1;
            k = 0;
        }
    }
    return zn__tr_prod_add_batch(p, in, k) == ZN_OK ? 0 : -1;
}

/* Each thread maps its slice through a sliding window of CSV_WIN bytes (populated at once,
 * unmapped when parsed: the file's pages never pile up in the process's resident set) and parses
 * the complete lines in it; the next window starts at the first incomplete line. */
static void slice_worker(void *arg, int t)
{
    slice_job *J = arg;
    zn__tr_prod *p = zn__tr_builder_prod(J->bld, t);
    off_t pos = J->cut[t], end = J->cut[t + 1];
    long line = 0;
    off_t pg = (off_t)sysconf(_SC_PAGESIZE);
    while (pos < end) {
        off_t moff = pos & ~(pg - 1);
        size_t len = (size_t)((end - moff) < (off_t)CSV_WIN ? (end - moff) : (off_t)CSV_WIN);
        char *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, J->fd, moff);
        if (m == MAP_FAILED) {
            slice_fail(p, ZN_EIO, J->path, 0, NULL, strerror(errno));
            break;
        }
        madvise(m, len, MADV_SEQUENTIAL);
        const char *s = m + (pos - moff), *e = m + len, *last = e;
        while (last > s && last[-1] != '\n')
            last--;
        int rc;
        if (last > s) {
            rc = parse_lines(p, J->path, s, last, e, &line);
            pos += last - s;
        } else if (moff + (off_t)len == end) {
            /* the file's last line has no '\n': parse a terminated copy */
            size_t n = (size_t)(e - s);
            char *c = malloc(n + 1);
            if (!c) {
                munmap(m, len);
                slice_fail(p, ZN_ENOMEM, J->path, 0, NULL, "out of memory");
                break;
            }
            memcpy(c, s, n);
            c[n] = '\n';
            rc = parse_lines(p, J->path, c, c + n + 1, c + n + 1, &line);
            free(c);
            pos = end;
        } else {
            slice_fail(p, ZN_EPARSE, J->path, line + 1, NULL, "line longer than 8 MiB");
            rc = -1;
        }
        munmap(m, len);
        if (rc != 0)
            break;
    }
    J->lines[t] = line;
}

zn_status zn_trace_index_load_csv(const char *path, int threads, zn_trace_index **out,
                                  zn_error *err)
{
    if (!path || !out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    *out = NULL;
    double t0 = zn_trace_clock();
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot open: %s", strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        close(fd);
        return zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot stat: %s", strerror(errno));
    }
    off_t size = sb.st_size;
#ifdef POSIX_FADV_SEQUENTIAL
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    char head[4097];
    ssize_t hn = pread_full(fd, head, 4096, 0);
    if (hn < 0) {
        close(fd);
        return zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot read: %s", strerror(errno));
    }
    head[hn] = '\0';
    char *nl = memchr(head, '\n', (size_t)hn);
    size_t hlen = nl ? (size_t)(nl - head) : (size_t)hn;
    if (!header_ok(head, hlen, STAYS_HEADER)) {
        close(fd);
        return zn_error_set(err, ZN_EPARSE, path, 1, NULL, "header must be '%s'", STAYS_HEADER);
    }
    off_t data = nl ? (off_t)(hlen + 1) : size;

    /* base: the first data row's t_start (times are stored relative to base - 2^31) */
    int64_t base = 0;
    {
        char first[4097];
        ssize_t fn = pread_full(fd, first, 4096, data);
        if (fn > 0) {
            first[fn] = '\0';
            const char *s = first;
            int64_t v;
            if (parse_int(&s, 0, &v) == 0 && *s == ',' && (s++, parse_int(&s, 0, &v) == 0) &&
                *s == ',' && (s++, parse_int(&s, 1, &v) == 0))
                base = v < INT64_MIN + ZN__TR_HALF ? INT64_MIN : v - ZN__TR_HALF;
        }
    }

    int T = zn__tr_threads(threads);
    int nprod = (size - data < ((off_t)1 << 20)) ? 1 : T; /* slices of >= 1 MiB */
    off_t cut[ZN__TR_MAX_THREADS + 1];
    long lines[ZN__TR_MAX_THREADS] = {0};
    cut[0] = data;
    cut[nprod] = size;
    for (int t = 1; t < nprod; t++) {
        off_t o = data + (size - data) * t / nprod;
        if (o < cut[t - 1])
            o = cut[t - 1];
        /* advance to just after the next '\n' at or after o - 1 */
        char w[4096];
        off_t at = o > 0 ? o - 1 : 0;
        off_t found = size;
        while (at < size) {
            ssize_t r = pread_full(fd, w, sizeof w, at);
            if (r <= 0)
                break;
            char *q = memchr(w, '\n', (size_t)r);
            if (q) {
                found = at + (q - w) + 1;
                break;
            }
            at += r;
        }
        cut[t] = found;
    }

    zn__tr_builder *bld;
    if (zn__tr_builder_new(nprod, (uint64_t)(size - data) / 38 + 1, base, &bld) != ZN_OK) {
        close(fd);
        return zn_error_set(err, ZN_ENOMEM, path, 0, NULL, "out of memory");
    }
    slice_job J = {bld, fd, path, cut, lines};
    zn__tr_parallel(nprod, slice_worker, &J);
    close(fd);

    /* errors and rejections: make line numbers absolute (header = line 1) */
    long before = 1, first_rej = 0;
    for (int t = 0; t < nprod; t++) {
        zn__tr_prod *p = zn__tr_builder_prod(bld, t);
        zn_error e;
        zn_status st = zn__tr_prod_error(p, &e);
        if (st != ZN_OK) {
            if (e.line > 0)
                e.line += before;
            snprintf(e.file, sizeof e.file, "%s", path);
            if (err)
                *err = e;
            zn__tr_builder_free(bld);
            return st;
        }
        if (!first_rej && zn__tr_prod_rejected(p))
            first_rej = before + zn__tr_prod_first_rejected(p);
        before += lines[t];
    }
    double t1 = zn_trace_clock();
    zn_status st = zn__tr_finish(bld, threads, first_rej, out, err);
    zn__tr_builder_free(bld);
    if (st == ZN_OK) {
        (*out)->stats.parse_s = t1 - t0;
        (*out)->stats.build_s = zn_trace_clock() - t1;
    } else if (err) {
        snprintf(err->file, sizeof err->file, "%s", path);
    }
    return st;
}

/* ---------------------------------------------------------------- index cases */

static int cmp_case_line(const void *a, const void *b)
{
    const int64_t *x = a, *y = b; /* (person, line) */
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return (x[1] > y[1]) - (x[1] < y[1]);
}

zn_status zn_trace_cases_load_csv(const char *path, zn_trace_case **out, size_t *n,
                                  zn_error *err)
{
    if (!path || !out || !n)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    *out = NULL;
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot open: %s", strerror(errno));
    zn_buf b = {0};
    char chunk[65536];
    size_t r;
    while ((r = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (zn_buf_append(&b, chunk, r) != ZN_OK) {
            fclose(f);
            zn_buf_fini(&b);
            return zn_error_set(err, ZN_ENOMEM, path, 0, NULL, "out of memory");
        }
    }
    int rerr = ferror(f);
    fclose(f);
    if (rerr) {
        zn_buf_fini(&b);
        return zn_error_set(err, ZN_EIO, path, 0, NULL, "read error");
    }
    if (b.len == 0 || b.data[b.len - 1] != '\n')
        zn_buf_append(&b, "\n", 1);
    const char *s = b.data, *e = b.data + b.len;
    const char *nl = memchr(s, '\n', b.len);
    if (!header_ok(s, (size_t)(nl - s), CASES_HEADER)) {
        zn_buf_fini(&b);
        return zn_error_set(err, ZN_EPARSE, path, 1, NULL, "header must be '%s'", CASES_HEADER);
    }
    s = nl + 1;
    size_t cap = 64, cnt = 0;
    zn_trace_case *cs = malloc(cap * sizeof *cs);
    int64_t *pl = malloc(cap * 2 * sizeof *pl);
    zn_status st = ZN_OK;
    long line = 1;
    static const char *CF[3] = {"person_id", "t_from", "t_to"};
    if (!cs || !pl) {
        st = zn_error_set(err, ZN_ENOMEM, path, 0, NULL, "out of memory");
        goto done;
    }
    while (s < e) {
        line++;
        if (*s == '\n' || (*s == '\r' && s[1] == '\n')) {
            s += *s == '\n' ? 1 : 2;
            continue;
        }
        int64_t v[3];
        for (int fi = 0; fi < 3; fi++) {
            if (parse_int(&s, fi > 0, &v[fi]) != 0) {
                st = zn_error_set(err, ZN_EPARSE, path, line, CF[fi], "expected a decimal integer (int64)");
                goto done;
            }
            if (fi == 2 && *s == '\r')
                s++;
            if (*s != (fi < 2 ? ',' : '\n')) {
                st = zn_error_set(err, ZN_EPARSE, path, line, CF[fi],
                                  fi < 2 ? "expected ',' after the value" : "expected end of line after t_to (3 columns)");
                goto done;
            }
            s++;
        }
        if (v[2] <= v[1]) {
            st = zn_error_set(err, ZN_EINVAL, path, line, "t_to", "window end %lld is not after its start %lld",
                              (long long)v[2], (long long)v[1]);
            goto done;
        }
        if (cnt == cap) {
            cap *= 2;
            zn_trace_case *nc = realloc(cs, cap * sizeof *cs);
            if (!nc) {
                st = zn_error_set(err, ZN_ENOMEM, path, 0, NULL, "out of memory");
                goto done;
            }
            cs = nc;
            int64_t *np = realloc(pl, cap * 2 * sizeof *pl);
            if (!np) {
                st = zn_error_set(err, ZN_ENOMEM, path, 0, NULL, "out of memory");
                goto done;
            }
            pl = np;
        }
        cs[cnt] = (zn_trace_case){v[0], v[1], v[2]};
        pl[2 * cnt] = v[0];
        pl[2 * cnt + 1] = line;
        cnt++;
    }
    qsort(pl, cnt, 2 * sizeof *pl, cmp_case_line);
    {
        long dup = 0;
        int64_t who = 0;
        for (size_t i = 1; i < cnt; i++)
            if (pl[2 * i] == pl[2 * i - 2] && (!dup || pl[2 * i + 1] < dup)) {
                dup = (long)pl[2 * i + 1];
                who = pl[2 * i];
            }
        if (dup) {
            st = zn_error_set(err, ZN_EDUPLICATE, path, dup, "person_id",
                              "index case %lld listed more than once", (long long)who);
            goto done;
        }
    }
done:
    free(pl);
    zn_buf_fini(&b);
    if (st != ZN_OK) {
        free(cs);
        return st;
    }
    *out = cs;
    *n = cnt;
    return ZN_OK;
}
