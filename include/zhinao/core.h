/*
 * zhinao core: status codes, error details, the context object, logging.
 *
 * Conventions used by every zhinao module (see ARCHITECTURE.md):
 *  - fallible functions return zn_status (ZN_OK == 0) and put results in out-parameters;
 *  - details of a failure go into a caller-owned zn_error (may be NULL when the caller does not
 *    care): a message plus, for bad input, the file, line and field it was found at;
 *  - no hidden globals: anything with state (store, GEOS/PROJ handles, clock, logger) hangs off a
 *    zn_ctx that the caller creates and frees;
 *  - ownership is in the names: *_new / *_free, *_init / *_fini; returned heap memory is the
 *    caller's unless the comment says otherwise.
 */
#ifndef ZHINAO_CORE_H
#define ZHINAO_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One table of status codes: X(name, value, message). */
#define ZN_STATUS_TABLE(X)                                                      \
    X(ZN_OK, 0, "ok")                                                           \
    X(ZN_ENOMEM, 1, "out of memory")                                            \
    X(ZN_EINVAL, 2, "invalid argument")                                         \
    X(ZN_EIO, 3, "input/output error")                                          \
    X(ZN_EPARSE, 4, "malformed input")                                          \
    X(ZN_ENOTFOUND, 5, "not found")                                             \
    X(ZN_ESTORE, 6, "store error")                                              \
    X(ZN_EGEO, 7, "geometry or projection error")                              \
    X(ZN_ERANGE, 8, "value out of range")                                       \
    X(ZN_EENCODING, 9, "bad text encoding")                                     \
    X(ZN_EDUPLICATE, 10, "duplicate")                                           \
    X(ZN_ESTATE, 11, "illegal state or transition")                             \
    X(ZN_EUNSUPPORTED, 12, "unsupported")                                       \
    X(ZN_EVALIDATE, 13, "validation failed")

typedef enum zn_status {
#define ZN__ENUM(name, value, msg) name = value,
    ZN_STATUS_TABLE(ZN__ENUM)
#undef ZN__ENUM
} zn_status;

/* Symbolic name of a status ("ZN_EPARSE"); never NULL, "ZN_UNKNOWN" for unknown codes. */
const char *zn_status_name(zn_status s);
/* Human message of a status ("malformed input"); never NULL. Static storage. */
const char *zn_strerror(zn_status s);

/* Details of one failure. All strings are NUL-terminated and truncated to fit. */
typedef struct zn_error {
    zn_status code;
    char file[256];  /* input file the problem was found in, "" when not about a file */
    long line;       /* 1-based line (record) number in that file, 0 when unknown */
    char field[64];  /* field / column name, "" when not about a field */
    char msg[512];   /* what is wrong, in words */
} zn_error;

/* Reset *err to ZN_OK with empty strings. err may be NULL. */
void zn_error_clear(zn_error *err);

/*
 * Fill *err (when err is not NULL) and return code, so callers can write
 *   return zn_error_set(err, ZN_EPARSE, path, line, "birth_date", "month %d out of range", m);
 * file and field may be NULL.
 */
zn_status zn_error_set(zn_error *err, zn_status code, const char *file, long line,
                       const char *field, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Same, taking a va_list. */
zn_status zn_error_vset(zn_error *err, zn_status code, const char *file, long line,
                        const char *field, const char *fmt, va_list ap);

/*
 * Render "file:line: field: message (ZN_NAME)" into buf (size n, always NUL-terminated when
 * n > 0); parts that are empty are left out. Returns buf.
 */
char *zn_error_format(const zn_error *err, char *buf, size_t n);

/* ---- logging ---- */

typedef enum zn_log_level {
    ZN_LOG_DEBUG = 0,
    ZN_LOG_INFO = 1,
    ZN_LOG_WARN = 2,
    ZN_LOG_ERROR = 3,
    ZN_LOG_OFF = 4
} zn_log_level;

/* A log sink: called with the formatted line (no trailing newline). */
typedef void (*zn_log_fn)(void *user, zn_log_level level, const char *line);

/* ---- context ---- */

typedef struct zn_ctx zn_ctx;

/*
 * Create a context. Defaults: log level WARN to stderr, time zone offset +08:00 (Asia/Shanghai,
 * which has had no DST since 1991), clock = the system clock.
 * Returns ZN_OK and sets *out (caller frees with zn_ctx_free), or ZN_ENOMEM.
 */
zn_status zn_ctx_new(zn_ctx **out);
/* Free a context and everything it owns (GEOS/PROJ handles). NULL is a no-op. */
void zn_ctx_free(zn_ctx *ctx);

void zn_ctx_set_log_level(zn_ctx *ctx, zn_log_level level);
zn_log_level zn_ctx_log_level(const zn_ctx *ctx);
/* Send log lines to fn(user, ...) instead of stderr; fn NULL restores stderr. */
void zn_ctx_set_log_sink(zn_ctx *ctx, zn_log_fn fn, void *user);

/* Log a printf-style line at level (dropped when below the context's level). */
void zn_log(zn_ctx *ctx, zn_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * The context's clock, in UTC seconds since 1970-01-01. Defaults to time(NULL); tests and replays
 * fix it with zn_ctx_set_now (a value of 0 returns to the system clock).
 */
int64_t zn_ctx_now(const zn_ctx *ctx);
void zn_ctx_set_now(zn_ctx *ctx, int64_t utc_seconds);

/*
 * Local time zone offset in seconds east of UTC used to read times that carry no zone
 * (default +28800, Asia/Shanghai).
 */
int32_t zn_ctx_tz_offset(const zn_ctx *ctx);
void zn_ctx_set_tz_offset(zn_ctx *ctx, int32_t seconds_east);

/*
 * Per-context GEOS handle (GEOSContextHandle_t, created lazily, owned by ctx; errors from GEOS
 * are logged at WARN). Returned as void* so this header does not pull in geos_c.h.
 * Returns NULL only when GEOS cannot allocate.
 */
void *zn_ctx_geos(zn_ctx *ctx);
/* Per-context PROJ context (PJ_CONTEXT*, created lazily, owned by ctx). */
void *zn_ctx_proj(zn_ctx *ctx);

/* ---- small helpers shared by modules ---- */

/* Growable byte buffer. Zero-initialise (zn_buf b = {0}) then append; free with zn_buf_fini. */
typedef struct zn_buf {
    char *data; /* NUL-terminated when len > 0 or after any append */
    size_t len;
    size_t cap;
} zn_buf;

zn_status zn_buf_append(zn_buf *b, const char *s, size_t n);
zn_status zn_buf_puts(zn_buf *b, const char *s);
zn_status zn_buf_printf(zn_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void zn_buf_reset(zn_buf *b); /* len = 0, keeps memory */
void zn_buf_fini(zn_buf *b);  /* frees memory, zeroes b */

/* strdup that returns NULL on NULL input. Caller frees. */
char *zn_strdup(const char *s);

/*
 * The files of folder `dir` whose names end with `suffix` (e.g. ".geojson"), as paths "dir/name"
 * sorted by strcmp (a deterministic order whatever the file system returns). *paths and each
 * path are malloc'd, freed with zn_dir_list_free; *paths is NULL and *n 0 when none matches.
 * Errors: ZN_EINVAL (NULL dir or suffix), ZN_EIO (the folder cannot be opened: err names it),
 * ZN_ENOMEM (nothing is returned).
 */
zn_status zn_dir_list(const char *dir, const char *suffix, char ***paths, size_t *n, zn_error *err);
void zn_dir_list_free(char **paths, size_t n);

/* ---- version ---- */
const char *zn_version(void);

#ifdef __cplusplus
}
#endif
#endif /* ZHINAO_CORE_H */
