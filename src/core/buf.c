/* Growable byte buffer and string helpers. */
#include "zhinao/core.h"

#include <stdlib.h>
#include <string.h>

zn_status zn_buf_append(zn_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p)
            return ZN_ENOMEM;
        b->data = p;
        b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return ZN_OK;
}

zn_status zn_buf_puts(zn_buf *b, const char *s)
{
    return zn_buf_append(b, s, strlen(s));
}

zn_status zn_buf_printf(zn_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0)
        return ZN_EINVAL;
    zn_status s = zn_buf_append(b, "", 0); /* ensure data exists */
    if (s != ZN_OK)
        return s;
    if (b->len + (size_t)need + 1 > b->cap) {
        size_t cap = b->cap;
        while (cap < b->len + (size_t)need + 1)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p)
            return ZN_ENOMEM;
        b->data = p;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)need + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)need;
    return ZN_OK;
}

void zn_buf_reset(zn_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void zn_buf_fini(zn_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *zn_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

const char *zn_version(void)
{
    return "0.1.0";
}
