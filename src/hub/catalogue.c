/* The feed catalogue: loading and checking data/feeds/catalogue.json (jansson), lookups, the
 * storage layout of a feed table. */
#include "hub_int.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct zn_catalogue {
    json_t *root;             /* owns every string the structs point to */
    size_t nunits;
    zn_source_unit *units;
    size_t nfeeds;
    zn_feed *feeds;
    void **allocs;            /* every array allocated for the structs, freed with the catalogue */
    size_t nallocs, capallocs;
};

static const char *const type_names[] = {
    [ZN_COL_TEXT] = "text",       [ZN_COL_INT] = "int",
    [ZN_COL_REAL] = "real",       [ZN_COL_DATE] = "date",
    [ZN_COL_TIME] = "time",       [ZN_COL_RESIDENT_ID] = "resident_id",
    [ZN_COL_MOBILE] = "mobile",   [ZN_COL_DIVISION] = "division_code",
    [ZN_COL_LON] = "lon",         [ZN_COL_LAT] = "lat",
    [ZN_COL_LONLAT] = "lonlat",   [ZN_COL_ENUM] = "enum",
};
#define NTYPES (sizeof type_names / sizeof type_names[0])

const char *zn_col_type_name(zn_col_type t)
{
    return ((unsigned)t < NTYPES) ? type_names[t] : "?";
}

static void *cat_calloc(zn_catalogue *cat, size_t n, size_t size)
{
    if (cat->nallocs == cat->capallocs) {
        size_t cap = cat->capallocs ? cat->capallocs * 2 : 64;
        void **a = realloc(cat->allocs, cap * sizeof *a);
        if (!a)
            return NULL;
        cat->allocs = a;
        cat->capallocs = cap;
    }
    void *p = calloc(n ? n : 1, size);
    if (p)
        cat->allocs[cat->nallocs++] = p;
    return p;
}

void zn_catalogue_free(zn_catalogue *cat)
{
    if (!cat)
        return;
    for (size_t i = 0; i < cat->nallocs; i++)
        free(cat->allocs[i]);
    free(cat->allocs);
    json_decref(cat->root);
    free(cat);
}

/* snake_case identifier, 1..48 characters, starting with a letter: safe as an SQL name. */
static int is_ident(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 48 || !(s[0] >= 'a' && s[0] <= 'z'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

/* Fail on keys of obj not in the NULL-terminated list. */
static zn_status check_keys(json_t *obj, const char *const *allowed, const char *name,
                            const char *where, zn_error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (!strcmp(*a, key))
                ok = 1;
        if (!ok)
            return zn_error_set(err, ZN_EVALIDATE, name, 0, where, "unknown key '%s'", key);
    }
    return ZN_OK;
}

static const char *get_str(json_t *obj, const char *key, const char *dflt)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : dflt;
}

/* Read an optional array of strings. */
static zn_status get_strings(zn_catalogue *cat, json_t *obj, const char *key, const char *name,
                             const char *where, const char *const **out, size_t *n, zn_error *err)
{
    json_t *a = json_object_get(obj, key);
    *out = NULL;
    *n = 0;
    if (!a)
        return ZN_OK;
    if (!json_is_array(a))
        return zn_error_set(err, ZN_EVALIDATE, name, 0, where, "'%s' must be an array of strings", key);
    const char **v = cat_calloc(cat, json_array_size(a), sizeof *v);
    if (!v)
        return zn_error_set(err, ZN_ENOMEM, name, 0, where, "out of memory");
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *s = json_array_get(a, i);
        if (!json_is_string(s) || !*json_string_value(s))
            return zn_error_set(err, ZN_EVALIDATE, name, 0, where, "'%s' must be an array of non-empty strings", key);
        v[i] = json_string_value(s);
    }
    *out = v;
    *n = json_array_size(a);
    return ZN_OK;
}

static zn_status parse_column(zn_catalogue *cat, const zn_feed *feed, json_t *jc, zn_feed_column *c,
                              const char *name, zn_error *err)
{
    static const char *const keys[] = {"name", "title_zh", "description", "type", "required", "values",
                                       "min", "max", "max_length", "not_future", "aliases", NULL};
    char where[128];
    if (!json_is_object(jc))
        return zn_error_set(err, ZN_EVALIDATE, name, 0, feed->name, "a column must be an object");
    c->name = get_str(jc, "name", "");
    snprintf(where, sizeof where, "%s.%s", feed->name, c->name);
    size_t nl = strlen(c->name);
    if (!is_ident(c->name) || (nl >= 5 && !strcmp(c->name + nl - 5, "_orig")))
        return zn_error_set(err, ZN_EVALIDATE, name, 0, where,
                            "column name must be snake_case (a-z, 0-9, _), start with a letter, "
                            "at most 48 characters, and not end in _orig");
    zn_status s = check_keys(jc, keys, name, where, err);
    if (s)
        return s;
    c->title_zh = get_str(jc, "title_zh", "");
    c->description = get_str(jc, "description", "");
    const char *type = get_str(jc, "type", NULL);
    if (!type)
        return zn_error_set(err, ZN_EVALIDATE, name, 0, where, "column has no type");
    size_t t;
    for (t = 0; t < NTYPES; t++)
        if (!strcmp(type_names[t], type))
            break;
    if (t == NTYPES)
        return zn_error_set(err, ZN_EVALIDATE, name, 0, where,
                            "unknown type '%s' (text, int, real, date, time, resident_id, mobile, "
                            "division_code, lon, lat, lonlat, enum)", type);
    c->type = (zn_col_type)t;
    json_t *v = json_object_get(jc, "required");
    if (v && !json_is_boolean(v))
        return zn_error_set(err, ZN_EVALIDATE, name, 0, where, "'required' must be true or false");
    c->required = json_is_true(v);
    v = json_object_get(jc, "not_future");
    if (v && !json_is_boolean(v))
        return zn_error_set(err, ZN_EVALIDATE, name, 0, where, "'not_future' must be true or false");
    c->not_future = (c->type == ZN_COL_DATE || c->type == ZN_COL_TIME) ? (v ? json_is_true(v) : 1) : 0;
    if (v && c->type != ZN_COL_DATE && c->type != ZN_COL_TIME)
        return zn_error_set(err, ZN_EVALIDATE, name, 0, where, "'not_future' applies to date and time columns");
    int numeric = c->type == ZN_COL_INT || c->type == ZN_COL_REAL || c->type == ZN_COL_LON || c->type == ZN_COL_LAT;
    const char *bk[2] = {"min", "max"};
    for (int b = 0; b < 2; b++) {
        v = json_object_get(jc, bk[b]);
        if (!v)
            continue;
        if (!json_is_number(v) || !numeric)
            return zn_error_set(err, ZN_EVALIDATE, name, 0, where,
                                "'%s' must be a number, on an int, real, lon or lat column", bk[b]);
        if (b == 0) {
            c->has_min = 1;
            c->min = json_number_value(v);
        } else {
            c->has_max = 1;
            c->max = json_number_value(v);
        }
    }
    if (c->has_min && c->has_max && c->min > c->max)
        return zn_error_set(err, ZN_EVALIDATE, name, 0, where, "min is greater than max");
    v = json_object_get(jc, "max_length");
    if (v) {
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 1000000 ||
            (c->type != ZN_COL_TEXT && c->type != ZN_COL_ENUM))
            return zn_error_set(err, ZN_EVALIDATE, name, 0, where,
                                "'max_length' must be an integer 1..1000000, on a text or enum column");
        c->max_length = (int)json_integer_value(v);
    }
    if ((s = get_strings(cat, jc, "values", name, where, &c->values, &c->nvalues, err)))
        return s;
    if (c->type == ZN_COL_ENUM && c->nvalues == 0)
        return zn_error_set(err, ZN_EVALIDATE, name, 0, where, "an enum column needs 'values'");
    if (c->type != ZN_COL_ENUM && c->nvalues)
        return zn_error_set(err, ZN_EVALIDATE, name, 0, where, "'values' applies to enum columns");
    return get_strings(cat, jc, "aliases", name, where, &c->aliases, &c->naliases, err);
}

static int is_comparable(zn_col_type t)
{
    return t == ZN_COL_INT || t == ZN_COL_REAL || t == ZN_COL_DATE || t == ZN_COL_TIME;
}

static zn_status parse_check(const zn_feed *feed, const char *text, zn_feed_check *ck,
                             const char *name, zn_error *err)
{
    char a[64], op[4], b[64], rest[2];
    int n = sscanf(text, "%63s %3s %63s %1s", a, op, b, rest);
    if (n != 3)
        return zn_error_set(err, ZN_EVALIDATE, name, 0, feed->name,
                            "check '%s': expected 'column op column' with op one of >= > <= <", text);
    if (!strcmp(op, ">="))
        ck->op = ZN_CHECK_GE;
    else if (!strcmp(op, ">"))
        ck->op = ZN_CHECK_GT;
    else if (!strcmp(op, "<="))
        ck->op = ZN_CHECK_LE;
    else if (!strcmp(op, "<"))
        ck->op = ZN_CHECK_LT;
    else
        return zn_error_set(err, ZN_EVALIDATE, name, 0, feed->name, "check '%s': unknown operator '%s'", text, op);
    ck->left = zn_feed_column_index(feed, a);
    ck->right = zn_feed_column_index(feed, b);
    ck->text = text;
    if (ck->left < 0 || ck->right < 0)
        return zn_error_set(err, ZN_EVALIDATE, name, 0, feed->name, "check '%s': no column '%s'", text,
                            ck->left < 0 ? a : b);
    zn_col_type ta = feed->columns[ck->left].type, tb = feed->columns[ck->right].type;
    int numa = ta == ZN_COL_INT || ta == ZN_COL_REAL, numb = tb == ZN_COL_INT || tb == ZN_COL_REAL;
    if (!is_comparable(ta) || !is_comparable(tb) || (ta != tb && !(numa && numb)))
        return zn_error_set(err, ZN_EVALIDATE, name, 0, feed->name,
                            "check '%s': columns must both be time, both date, or both numbers", text);
    return ZN_OK;
}

static zn_status parse_points(zn_catalogue *cat, zn_feed *f, json_t *jf, const char *name, zn_error *err)
{
    json_t *jp = json_object_get(jf, "points");
    size_t nlon = 0, nlat = 0, nll = 0;
    for (size_t i = 0; i < f->ncolumns; i++) {
        nlon += f->columns[i].type == ZN_COL_LON;
        nlat += f->columns[i].type == ZN_COL_LAT;
        nll += f->columns[i].type == ZN_COL_LONLAT;
    }
    size_t npairs = jp ? json_array_size(jp) : (nlon == 1 && nlat == 1) ? 1 : 0;
    if (jp && !json_is_array(jp))
        return zn_error_set(err, ZN_EVALIDATE, name, 0, f->name, "'points' must be an array");
    if (!jp && (nlon > 1 || nlat > 1 || nlon != nlat))
        return zn_error_set(err, ZN_EVALIDATE, name, 0, f->name,
                            "%zu lon and %zu lat columns: pair them with 'points'", nlon, nlat);
    zn_feed_point *pts = cat_calloc(cat, npairs + nll, sizeof *pts);
    int *used = calloc(f->ncolumns ? f->ncolumns : 1, sizeof *used);
    if (!pts || !used) {
        free(used);
        return zn_error_set(err, ZN_ENOMEM, name, 0, f->name, "out of memory");
    }
    zn_status s = ZN_OK;
    size_t np = 0;
    for (size_t i = 0; i < npairs && s == ZN_OK; i++) {
        zn_feed_point *p = &pts[np++];
        p->crs = f->crs;
        if (jp) {
            static const char *const keys[] = {"lon", "lat", "crs", NULL};
            json_t *o = json_array_get(jp, i);
            if (!json_is_object(o)) {
                s = zn_error_set(err, ZN_EVALIDATE, name, 0, f->name, "a point must be an object {lon, lat, crs}");
                break;
            }
            if ((s = check_keys(o, keys, name, f->name, err)))
                break;
            p->lon = zn_feed_column_index(f, get_str(o, "lon", ""));
            p->lat = zn_feed_column_index(f, get_str(o, "lat", ""));
            const char *crs = get_str(o, "crs", NULL);
            if (crs && zn_crs_parse(crs, &p->crs) != ZN_OK) {
                s = zn_error_set(err, ZN_EVALIDATE, name, 0, f->name, "unknown crs '%s'", crs);
                break;
            }
        } else {
            p->lon = p->lat = -1;
            for (size_t c = 0; c < f->ncolumns; c++) {
                if (f->columns[c].type == ZN_COL_LON)
                    p->lon = (int)c;
                if (f->columns[c].type == ZN_COL_LAT)
                    p->lat = (int)c;
            }
        }
        if (p->lon < 0 || p->lat < 0 || f->columns[p->lon].type != ZN_COL_LON ||
            f->columns[p->lat].type != ZN_COL_LAT || used[p->lon] || used[p->lat]) {
            s = zn_error_set(err, ZN_EVALIDATE, name, 0, f->name,
                             "point %zu must name a lon column and a lat column not used by another point", i + 1);
            break;
        }
        used[p->lon] = used[p->lat] = 1;
    }
    for (size_t c = 0; c < f->ncolumns && s == ZN_OK; c++) {
        if (f->columns[c].type == ZN_COL_LONLAT) {
            zn_feed_point *p = &pts[np++];
            p->lon = p->lat = (int)c;
            p->crs = f->crs;
        } else if ((f->columns[c].type == ZN_COL_LON || f->columns[c].type == ZN_COL_LAT) && !used[c]) {
            s = zn_error_set(err, ZN_EVALIDATE, name, 0, f->name, "column '%s' is in no point",
                             f->columns[c].name);
        }
    }
    free(used);
    f->points = pts;
    f->npoints = np;
    return s;
}

/* "indexes": [["col", ...], ...]: secondary indexes the readers need (docs/feeds.md). */
static zn_status parse_indexes(zn_catalogue *cat, zn_feed *f, json_t *jf, const char *name, zn_error *err)
{
    json_t *a = json_object_get(jf, "indexes");
    if (!a)
        return ZN_OK;
    if (!json_is_array(a))
        return zn_error_set(err, ZN_EVALIDATE, name, 0, f->name, "'indexes' must be an array of arrays of column names");
    size_t n = json_array_size(a);
    zn_feed_index *ix = cat_calloc(cat, n, sizeof *ix);
    if (n && !ix)
        return zn_error_set(err, ZN_ENOMEM, name, 0, f->name, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *ja = json_array_get(a, i);
        size_t m = json_is_array(ja) ? json_array_size(ja) : 0;
        if (m == 0)
            return zn_error_set(err, ZN_EVALIDATE, name, 0, f->name,
                                "index %zu must be a non-empty array of column names", i + 1);
        int *cols = cat_calloc(cat, m, sizeof *cols);
        if (!cols)
            return zn_error_set(err, ZN_ENOMEM, name, 0, f->name, "out of memory");
        for (size_t k = 0; k < m; k++) {
            json_t *js = json_array_get(ja, k);
            const char *cn = json_is_string(js) ? json_string_value(js) : "";
            cols[k] = zn_feed_column_index(f, cn);
            if (cols[k] < 0)
                return zn_error_set(err, ZN_EVALIDATE, name, 0, f->name, "index column '%s' is not a column", cn);
            if (f->columns[cols[k]].type == ZN_COL_LONLAT)
                return zn_error_set(err, ZN_EVALIDATE, name, 0, f->name, "index column '%s' cannot be lonlat", cn);
            for (size_t j = 0; j < k; j++)
                if (cols[j] == cols[k])
                    return zn_error_set(err, ZN_EVALIDATE, name, 0, f->name, "index %zu names '%s' twice", i + 1, cn);
        }
        ix[i].ncolumns = m;
        ix[i].columns = cols;
        for (size_t j = 0; j < i; j++)
            if (ix[j].ncolumns == m && !memcmp(ix[j].columns, cols, m * sizeof *cols))
                return zn_error_set(err, ZN_EVALIDATE, name, 0, f->name, "index %zu repeats index %zu", i + 1, j + 1);
    }
    f->indexes = ix;
    f->nindexes = n;
    return ZN_OK;
}

static zn_status parse_feed(zn_catalogue *cat, json_t *jf, zn_feed *f, const char *name, zn_error *err)
{
    static const char *const keys[] = {"name", "title_zh", "source_unit", "description", "crs",
                                       "key", "columns", "checks", "points", "indexes", NULL};
    if (!json_is_object(jf))
        return zn_error_set(err, ZN_EVALIDATE, name, 0, NULL, "a feed must be an object");
    f->name = get_str(jf, "name", "");
    if (!is_ident(f->name))
        return zn_error_set(err, ZN_EVALIDATE, name, 0, f->name,
                            "feed name must be snake_case (a-z, 0-9, _), start with a letter, at most 48 characters");
    zn_status s = check_keys(jf, keys, name, f->name, err);
    if (s)
        return s;
    f->title_zh = get_str(jf, "title_zh", "");
    f->description = get_str(jf, "description", "");
    f->source_unit = get_str(jf, "source_unit", "");
    if (!zn_catalogue_find_unit(cat, f->source_unit))
        return zn_error_set(err, ZN_EVALIDATE, name, 0, f->name, "unknown source_unit '%s'", f->source_unit);
    const char *crs = get_str(jf, "crs", "wgs84");
    if (zn_crs_parse(crs, &f->crs) != ZN_OK)
        return zn_error_set(err, ZN_EVALIDATE, name, 0, f->name, "unknown crs '%s' (wgs84, gcj02, bd09)", crs);

    json_t *jc = json_object_get(jf, "columns");
    if (!json_is_array(jc) || json_array_size(jc) == 0)
        return zn_error_set(err, ZN_EVALIDATE, name, 0, f->name, "a feed needs a non-empty 'columns' array");
    zn_feed_column *cols = cat_calloc(cat, json_array_size(jc), sizeof *cols);
    if (!cols)
        return zn_error_set(err, ZN_ENOMEM, name, 0, f->name, "out of memory");
    f->columns = cols;
    for (size_t i = 0; i < json_array_size(jc); i++) {
        if ((s = parse_column(cat, f, json_array_get(jc, i), &cols[i], name, err)))
            return s;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(cols[j].name, cols[i].name))
                return zn_error_set(err, ZN_EVALIDATE, name, 0, f->name, "column '%s' appears twice", cols[i].name);
        f->ncolumns = i + 1;
    }

    const char *const *keynames;
    size_t nkey;
    if ((s = get_strings(cat, jf, "key", name, f->name, &keynames, &nkey, err)))
        return s;
    int *key = cat_calloc(cat, nkey, sizeof *key);
    if (!key)
        return zn_error_set(err, ZN_ENOMEM, name, 0, f->name, "out of memory");
    for (size_t i = 0; i < nkey; i++) {
        key[i] = zn_feed_column_index(f, keynames[i]);
        if (key[i] < 0)
            return zn_error_set(err, ZN_EVALIDATE, name, 0, f->name, "key column '%s' is not a column", keynames[i]);
        if (cols[key[i]].type == ZN_COL_LONLAT)
            return zn_error_set(err, ZN_EVALIDATE, name, 0, f->name, "key column '%s' cannot be lonlat", keynames[i]);
        cols[key[i]].required = 1; /* a key with an empty part would never conflict */
    }
    f->key = key;
    f->nkey = nkey;
    if ((s = parse_indexes(cat, f, jf, name, err)))
        return s;

    const char *const *checks;
    size_t nchecks;
    if ((s = get_strings(cat, jf, "checks", name, f->name, &checks, &nchecks, err)))
        return s;
    zn_feed_check *ck = cat_calloc(cat, nchecks, sizeof *ck);
    if (!ck)
        return zn_error_set(err, ZN_ENOMEM, name, 0, f->name, "out of memory");
    for (size_t i = 0; i < nchecks; i++)
        if ((s = parse_check(f, checks[i], &ck[i], name, err)))
            return s;
    f->checks = ck;
    f->nchecks = nchecks;
    if ((s = parse_points(cat, f, jf, name, err)))
        return s;

    /* The generated SQL names must not collide with declared ones. */
    zn__layout lay;
    if ((s = zn__layout_init(&lay, f)) != ZN_OK)
        return zn_error_set(err, s, name, 0, f->name, "out of memory");
    for (size_t i = 0; i < lay.nslots && s == ZN_OK; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(lay.names[i], lay.names[j])) {
                s = zn_error_set(err, ZN_EVALIDATE, name, 0, f->name,
                                 "stored column '%s' would appear twice (rename a column)", lay.names[i]);
                break;
            }
    zn__layout_fini(&lay);
    return s;
}

zn_status zn_catalogue_parse(const char *json, size_t len, const char *name, zn_catalogue **out,
                             zn_error *err)
{
    if (!json || !out)
        return zn_error_set(err, ZN_EINVAL, name, 0, NULL, "zn_catalogue_parse: NULL argument");
    if (!name)
        name = "catalogue";
    json_error_t je;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return zn_error_set(err, ZN_EPARSE, name, je.line, NULL, "not valid JSON: %s", je.text);
    zn_catalogue *cat = calloc(1, sizeof *cat);
    if (!cat) {
        json_decref(root);
        return zn_error_set(err, ZN_ENOMEM, name, 0, NULL, "out of memory");
    }
    cat->root = root;
    static const char *const keys[] = {"catalogue", "version", "description", "source_units", "feeds", NULL};
    zn_status s = ZN_OK;
    json_t *ju = json_object_get(root, "source_units"), *jf = json_object_get(root, "feeds");
    if (!json_is_object(root))
        s = zn_error_set(err, ZN_EVALIDATE, name, 0, NULL, "the catalogue must be a JSON object");
    else if ((s = check_keys(root, keys, name, NULL, err)))
        ;
    else if (!json_is_array(ju) || !json_is_array(jf))
        s = zn_error_set(err, ZN_EVALIDATE, name, 0, NULL, "the catalogue needs 'source_units' and 'feeds' arrays");
    if (s == ZN_OK) {
        cat->units = cat_calloc(cat, json_array_size(ju), sizeof *cat->units);
        cat->feeds = cat_calloc(cat, json_array_size(jf), sizeof *cat->feeds);
        if (!cat->units || !cat->feeds)
            s = zn_error_set(err, ZN_ENOMEM, name, 0, NULL, "out of memory");
    }
    for (size_t i = 0; s == ZN_OK && i < json_array_size(ju); i++) {
        static const char *const ukeys[] = {"id", "name_zh", "name_en", NULL};
        json_t *o = json_array_get(ju, i);
        zn_source_unit *u = &cat->units[i];
        if (!json_is_object(o) || (s = check_keys(o, ukeys, name, "source_units", err)))
            s = s ? s : zn_error_set(err, ZN_EVALIDATE, name, 0, "source_units", "a source unit must be an object");
        else {
            u->id = get_str(o, "id", "");
            u->name_zh = get_str(o, "name_zh", "");
            u->name_en = get_str(o, "name_en", "");
            if (!is_ident(u->id))
                s = zn_error_set(err, ZN_EVALIDATE, name, 0, "source_units", "source unit id '%s' must be snake_case", u->id);
            else if (zn_catalogue_find_unit(cat, u->id))
                s = zn_error_set(err, ZN_EVALIDATE, name, 0, "source_units", "source unit '%s' appears twice", u->id);
            else
                cat->nunits = i + 1;
        }
    }
    for (size_t i = 0; s == ZN_OK && i < json_array_size(jf); i++) {
        s = parse_feed(cat, json_array_get(jf, i), &cat->feeds[i], name, err);
        if (s == ZN_OK && zn_catalogue_find(cat, cat->feeds[i].name))
            s = zn_error_set(err, ZN_EVALIDATE, name, 0, cat->feeds[i].name, "feed '%s' appears twice",
                             cat->feeds[i].name);
        if (s == ZN_OK)
            cat->nfeeds = i + 1;
    }
    if (s != ZN_OK) {
        zn_catalogue_free(cat);
        return s;
    }
    *out = cat;
    return ZN_OK;
}

zn_status zn_catalogue_load(const char *path, zn_catalogue **out, zn_error *err)
{
    if (!path || !out)
        return zn_error_set(err, ZN_EINVAL, path, 0, NULL, "zn_catalogue_load: NULL argument");
    FILE *f = fopen(path, "rb");
    if (!f)
        return zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot open the catalogue: %s", strerror(errno));
    zn_buf b = {0};
    char chunk[8192];
    size_t n;
    zn_status s = ZN_OK;
    while (s == ZN_OK && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        s = zn_buf_append(&b, chunk, n);
    int bad = ferror(f);
    fclose(f);
    if (s == ZN_OK && bad)
        s = zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot read the catalogue");
    else if (s != ZN_OK)
        zn_error_set(err, s, path, 0, NULL, "out of memory");
    if (s == ZN_OK)
        s = zn_catalogue_parse(b.data ? b.data : "", b.len, path, out, err);
    zn_buf_fini(&b);
    return s;
}

size_t zn_catalogue_count(const zn_catalogue *cat) { return cat ? cat->nfeeds : 0; }

const zn_feed *zn_catalogue_feed(const zn_catalogue *cat, size_t i)
{
    return (cat && i < cat->nfeeds) ? &cat->feeds[i] : NULL;
}

const zn_feed *zn_catalogue_find(const zn_catalogue *cat, const char *name)
{
    if (!cat || !name)
        return NULL;
    for (size_t i = 0; i < cat->nfeeds; i++)
        if (!strcmp(cat->feeds[i].name, name))
            return &cat->feeds[i];
    return NULL;
}

int zn_feed_column_index(const zn_feed *feed, const char *name)
{
    if (!feed || !name)
        return -1;
    for (size_t i = 0; i < feed->ncolumns; i++)
        if (!strcmp(feed->columns[i].name, name))
            return (int)i;
    return -1;
}

size_t zn_catalogue_unit_count(const zn_catalogue *cat) { return cat ? cat->nunits : 0; }

const zn_source_unit *zn_catalogue_unit(const zn_catalogue *cat, size_t i)
{
    return (cat && i < cat->nunits) ? &cat->units[i] : NULL;
}

const zn_source_unit *zn_catalogue_find_unit(const zn_catalogue *cat, const char *id)
{
    if (!cat || !id)
        return NULL;
    for (size_t i = 0; i < cat->nunits; i++)
        if (!strcmp(cat->units[i].id, id))
            return &cat->units[i];
    return NULL;
}

/* ---- storage layout ---- */

void zn__layout_fini(zn__layout *lay)
{
    free(lay->names);
    free(lay->types);
    free(lay->col_slot);
    free(lay->orig_slot);
    memset(lay, 0, sizeof *lay);
}

zn_status zn__layout_init(zn__layout *lay, const zn_feed *feed)
{
    memset(lay, 0, sizeof *lay);
    size_t max = feed->ncolumns * 3 + feed->npoints * 2 + 1;
    lay->names = calloc(max, sizeof *lay->names);
    lay->types = calloc(max, sizeof *lay->types);
    lay->col_slot = calloc(feed->ncolumns + 1, sizeof *lay->col_slot);
    lay->orig_slot = calloc(feed->npoints + 1, sizeof *lay->orig_slot);
    if (!lay->names || !lay->types || !lay->col_slot || !lay->orig_slot) {
        zn__layout_fini(lay);
        return ZN_ENOMEM;
    }
    size_t n = 0;
#define SLOT(type, ...) (snprintf(lay->names[n], sizeof lay->names[n], __VA_ARGS__), lay->types[n++] = (type))
    for (size_t i = 0; i < feed->ncolumns; i++) {
        const zn_feed_column *c = &feed->columns[i];
        lay->col_slot[i] = (int)n;
        switch (c->type) {
        case ZN_COL_INT:
        case ZN_COL_TIME:
            SLOT(ZN__SQL_INTEGER, "%s", c->name);
            break;
        case ZN_COL_REAL:
        case ZN_COL_LON:
        case ZN_COL_LAT:
            SLOT(ZN__SQL_REAL, "%s", c->name);
            break;
        case ZN_COL_LONLAT:
            SLOT(ZN__SQL_TEXT, "%s", c->name);
            SLOT(ZN__SQL_REAL, "%s_lon", c->name);
            SLOT(ZN__SQL_REAL, "%s_lat", c->name);
            break;
        default:
            SLOT(ZN__SQL_TEXT, "%s", c->name);
        }
    }
    for (size_t p = 0; p < feed->npoints; p++) {
        const zn_feed_point *pt = &feed->points[p];
        lay->orig_slot[p] = -1;
        if (pt->crs != ZN_CRS_WGS84 && pt->lon != pt->lat) {
            lay->orig_slot[p] = (int)n;
            SLOT(ZN__SQL_REAL, "%s_orig", feed->columns[pt->lon].name);
            SLOT(ZN__SQL_REAL, "%s_orig", feed->columns[pt->lat].name);
        }
    }
#undef SLOT
    lay->nslots = n;
    return ZN_OK;
}
