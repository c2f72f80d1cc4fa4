/* The canonical output files of the benchmark (SPEC.md section 2, "Canonical output"). */
#include "trace_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *put_i64(char *p, int64_t v)
{
    uint64_t u = (uint64_t)v;
    if (v < 0) {
        *p++ = '-';
        u = 0 - u;
    }
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    while (n)
        *p++ = tmp[--n];
    return p;
}

typedef struct out_file {
    FILE *f;
    char *buf;
    size_t len;
    int bad;
} out_file;

#define OUT_BUF ((size_t)1 << 20)

static void out_flush(out_file *o)
{
    if (o->len && fwrite(o->buf, 1, o->len, o->f) != o->len)
        o->bad = 1;
    o->len = 0;
}

static inline void out_row3(out_file *o, int64_t a, int64_t b, int64_t c)
{
    if (o->len > OUT_BUF - 80)
        out_flush(o);
    char *p = o->buf + o->len;
    p = put_i64(p, a);
    *p++ = ',';
    p = put_i64(p, b);
    *p++ = ',';
    p = put_i64(p, c);
    *p++ = '\n';
    o->len = (size_t)(p - o->buf);
}

static zn_status out_open(out_file *o, const char *dir, const char *name, const char *header,
                          char *path, size_t pathn, zn_error *err)
{
    snprintf(path, pathn, "%s/%s", dir, name);
    o->f = fopen(path, "wb");
    o->buf = malloc(OUT_BUF);
    o->len = 0;
    o->bad = 0;
    if (!o->f || !o->buf) {
        int e = errno;
        if (o->f)
            fclose(o->f);
        free(o->buf);
        o->f = NULL;
        o->buf = NULL;
        return zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot create: %s", strerror(e));
    }
    size_t hl = strlen(header);
    memcpy(o->buf, header, hl);
    o->len = hl;
    return ZN_OK;
}

static zn_status out_close(out_file *o, const char *path, zn_error *err)
{
    out_flush(o);
    int bad = o->bad | (fclose(o->f) != 0);
    free(o->buf);
    if (bad)
        return zn_error_set(err, ZN_EIO, path, 0, NULL, "write failed: %s", strerror(errno));
    return ZN_OK;
}

zn_status zn_trace_write_csv(const zn_trace_result *res, const char *dir, zn_error *err)
{
    if (!res || !dir)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    char path[4096];
    out_file o;
    zn_status st = out_open(&o, dir, "close_contacts.csv", "index_id,contact_id,first_exposure\n",
                            path, sizeof path, err);
    if (st != ZN_OK)
        return st;
    for (size_t i = 0; i < res->nclose; i++)
        out_row3(&o, res->close[i].index_id, res->close[i].contact_id, res->close[i].first_exposure);
    if ((st = out_close(&o, path, err)) != ZN_OK)
        return st;
    st = out_open(&o, dir, "secondary_contacts.csv",
                  "contact_id,via_close_contact_id,first_exposure\n", path, sizeof path, err);
    if (st != ZN_OK)
        return st;
    for (size_t i = 0; i < res->nsecondary; i++)
        out_row3(&o, res->secondary[i].contact_id, res->secondary[i].via_id,
                 res->secondary[i].first_exposure);
    return out_close(&o, path, err);
}
