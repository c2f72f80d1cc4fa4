/*
 * Division boundaries for the cockpit map: the DataV GeoJSON files shipped in data/boundaries
 * (GCJ-02 degrees, 6-digit adcodes; see data/boundaries/PROVENANCE.md), read once at start and
 * kept as one serialised Feature per division.
 */
#include "server_int.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_boundary(const void *a, const void *b)
{
    return strcmp(((const zn__boundary *)a)->code, ((const zn__boundary *)b)->code);
}

/* adcode (integer, 6 digits) -> 12-digit code; 0 when not a 6-digit code */
static int adcode12(json_t *v, char out[13])
{
    json_int_t a = json_is_integer(v) ? json_integer_value(v) : 0;
    if (json_is_string(v))
        a = strtoll(json_string_value(v), NULL, 10);
    if (a < 110000 || a > 999999)
        return 0;
    snprintf(out, 13, "%06lld000000", (long long)a);
    return 1;
}

static zn_status load_file(zn__boundaries *b, const char *path, zn_error *err)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root)
        return zn_error_set(err, ZN_EPARSE, path, je.line, NULL, "%s", je.text);
    json_t *feats = json_object_get(root, "features");
    zn_status s = ZN_OK;
    size_t i;
    json_t *f;
    json_array_foreach(feats, i, f)
    {
        json_t *props = json_object_get(f, "properties");
        json_t *geom = json_object_get(f, "geometry");
        zn__boundary nb = {{0}, {0}, NULL};
        if (!adcode12(json_object_get(props, "adcode"), nb.code) || !json_is_object(geom))
            continue;
        if (!adcode12(json_object_get(json_object_get(props, "parent"), "adcode"), nb.parent))
            continue;
        json_t *slim = json_pack("{s:s, s:{s:s, s:O?, s:O?, s:O?}, s:O}", "type", "Feature", "properties", "code",
                                 nb.code, "name", json_object_get(props, "name"), "center",
                                 json_object_get(props, "center"), "level", json_object_get(props, "level"),
                                 "geometry", geom);
        nb.json = slim ? json_dumps(slim, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
        json_decref(slim);
        zn__boundary *v = nb.json ? realloc(b->v, (b->n + 1) * sizeof *b->v) : NULL;
        if (!v) {
            free(nb.json);
            s = zn_error_set(err, ZN_ENOMEM, path, 0, NULL, "out of memory");
            break;
        }
        b->v = v;
        b->v[b->n++] = nb;
    }
    json_decref(root);
    return s;
}

zn_status zn__boundaries_load(zn__boundaries *b, const char *dir, zn_error *err)
{
    memset(b, 0, sizeof *b);
    char **paths;
    size_t np;
    zn_status s = zn_dir_list(dir, ".geojson", &paths, &np, err);
    for (size_t i = 0; s == ZN_OK && i < np; i++)
        s = load_file(b, paths[i], err);
    zn_dir_list_free(paths, np);
    if (s == ZN_OK && b->n)
        qsort(b->v, b->n, sizeof *b->v, cmp_boundary);
    return s;
}

void zn__boundaries_fini(zn__boundaries *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->v[i].json);
    free(b->v);
    memset(b, 0, sizeof *b);
}

static int is_province(const char *c)
{
    return !strcmp(c + 2, "0000000000");
}

static size_t add_where(const zn__boundaries *b, zn_buf *out, size_t n, int (*pick)(const zn__boundary *, const char *),
                        const char *arg)
{
    for (size_t i = 0; i < b->n; i++)
        if (pick(&b->v[i], arg)) {
            zn_buf_puts(out, n ? "," : "");
            zn_buf_puts(out, b->v[i].json);
            n++;
        }
    return n;
}

static int pick_top(const zn__boundary *x, const char *unused)
{
    (void)unused;
    return is_province(x->parent);
}
static int pick_parent(const zn__boundary *x, const char *parent)
{
    return !strcmp(x->parent, parent);
}
static int pick_code(const zn__boundary *x, const char *code)
{
    return !strcmp(x->code, code);
}

zn_status zn__boundaries_collection(const zn__boundaries *b, const char *code, zn_buf *out, size_t *count)
{
    size_t n = 0;
    zn_buf_puts(out, "{\"type\":\"FeatureCollection\",\"features\":[");
    if (!code || !*code) {
        n = add_where(b, out, n, pick_top, NULL); /* the top level of every shipped province */
    } else {
        char c[13];
        snprintf(c, sizeof c, "%s", code);
        if (is_province(c)) {
            n = add_where(b, out, n, pick_parent, c);
        } else if (!strcmp(c + 4, "00000000")) { /* a city: its counties, or for a municipality's */
            n = add_where(b, out, n, pick_parent, c); /* 市辖区 the districts under the province */
            if (!n) {
                char prov[13];
                snprintf(prov, sizeof prov, "%.2s0000000000", c);
                n = add_where(b, out, n, pick_parent, prov);
            }
        } else { /* county, township, village: the county's polygon */
            char county[13];
            snprintf(county, sizeof county, "%.6s000000", c);
            n = add_where(b, out, n, pick_code, county);
        }
    }
    zn_status s = zn_buf_puts(out, "]}");
    if (count)
        *count = n;
    return s;
}
