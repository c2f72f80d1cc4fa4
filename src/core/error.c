/* Status table, error details. */
#include "zhinao/core.h"

#include <stdio.h>
#include <string.h>

const char *zn_status_name(zn_status s)
{
    switch (s) {
#define ZN__NAME(name, value, msg) case name: return #name;
        ZN_STATUS_TABLE(ZN__NAME)
#undef ZN__NAME
    }
    return "ZN_UNKNOWN";
}

const char *zn_strerror(zn_status s)
{
    switch (s) {
#define ZN__MSG(name, value, msg) case name: return msg;
        ZN_STATUS_TABLE(ZN__MSG)
#undef ZN__MSG
    }
    return "unknown status";
}

void zn_error_clear(zn_error *err)
{
    if (!err)
        return;
    memset(err, 0, sizeof *err);
}

static void copy_trunc(char *dst, size_t n, const char *src)
{
    if (!src) {
        dst[0] = '\0';
        return;
    }
    size_t len = strlen(src);
    if (len >= n)
        len = n - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

zn_status zn_error_vset(zn_error *err, zn_status code, const char *file, long line,
                        const char *field, const char *fmt, va_list ap)
{
    if (!err)
        return code;
    err->code = code;
    copy_trunc(err->file, sizeof err->file, file);
    err->line = line;
    copy_trunc(err->field, sizeof err->field, field);
    if (fmt)
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    else
        copy_trunc(err->msg, sizeof err->msg, zn_strerror(code));
    return code;
}

zn_status zn_error_set(zn_error *err, zn_status code, const char *file, long line,
                       const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    zn_status s = zn_error_vset(err, code, file, line, field, fmt, ap);
    va_end(ap);
    return s;
}

char *zn_error_format(const zn_error *err, char *buf, size_t n)
{
    if (!buf || n == 0)
        return buf;
    buf[0] = '\0';
    if (!err)
        return buf;
    size_t off = 0;
#define ZN__APPEND(...)                                                        \
    do {                                                                       \
        if (off < n) {                                                         \
            int w = snprintf(buf + off, n - off, __VA_ARGS__);                 \
            if (w > 0)                                                         \
                off += (size_t)w;                                              \
        }                                                                      \
    } while (0)
    if (err->file[0]) {
        ZN__APPEND("%s", err->file);
        if (err->line > 0)
            ZN__APPEND(":%ld", err->line);
        ZN__APPEND(": ");
    } else if (err->line > 0) {
        ZN__APPEND("line %ld: ", err->line);
    }
    if (err->field[0])
        ZN__APPEND("field '%s': ", err->field);
    ZN__APPEND("%s (%s)", err->msg[0] ? err->msg : zn_strerror(err->code),
               zn_status_name(err->code));
#undef ZN__APPEND
    return buf;
}
