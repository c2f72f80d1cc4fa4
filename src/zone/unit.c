/*
 * Areal units: the normalisation of list addresses into place units, the unit registry in the
 * store (zone_unit, zone_unit_address), coarser units derived from place units, events and
 * overrides recorded by hand.
 */
#include "zone_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zhinao/geo.h"

/* ---- address normalisation ---- */

/* Decode one UTF-8 sequence at s (length *len); returns the code point, or the byte for a bad
 * sequence (length 1). */
static unsigned utf8_decode(const unsigned char *s, int *len)
{
    if (s[0] < 0x80) {
        *len = 1;
        return s[0];
    }
    if ((s[0] & 0xE0) == 0xC0 && (s[1] & 0xC0) == 0x80) {
        *len = 2;
        return ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu);
    }
    if ((s[0] & 0xF0) == 0xE0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
        *len = 3;
        return ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
    }
    if ((s[0] & 0xF8) == 0xF0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80) {
        *len = 4;
        return ((s[0] & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
    }
    *len = 1;
    return s[0];
}

static int ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && !memcmp(s + n - k, suffix, k);
}

#define LANE "\xE5\xBC\x84" /* 弄 */

static zn_status clean_address(const char *address, const char *township, char *out, size_t n, int to_lane);

zn_status zn_zone_address_normalize(const char *address, const char *township, char *out, size_t n)
{
    return clean_address(address, township, out, n, 1);
}

#define HAO "\xE5\x8F\xB7"        /* 号 */
#define BRANCH "\xE6\x94\xAF"     /* 支 */
#define LOU "\xE6\xA5\xBC"        /* 楼 */
#define ZHUANG "\xE5\xB9\xA2"     /* 幢 */
#define DONG "\xE6\xA0\x8B"       /* 栋 */
#define ZUO "\xE5\xBA\xA7"        /* 座 */

static size_t digits_at(const char *s, size_t i, size_t o)
{
    size_t j = i;
    while (j < o && s[j] >= '0' && s[j] <= '9')
        j++;
    return j - i;
}

/* At s[i] (o bytes in all): "<digits>" + 号 / 号楼 / 幢 / 栋 / 座. Returns the number of digits and
 * sets *end to the byte after the marker, or 0. */
static size_t building_number_at(const char *s, size_t i, size_t o, size_t *end)
{
    size_t d = digits_at(s, i, o);
    if (!d || i + d + 3 > o)
        return 0;
    const char *m = s + i + d;
    if (!memcmp(m, HAO, 3)) {
        *end = i + d + 3;
        if (*end + 3 <= o && !memcmp(s + *end, LOU, 3))
            *end += 3;
        return d;
    }
    if (!memcmp(m, ZHUANG, 3) || !memcmp(m, DONG, 3) || !memcmp(m, ZUO, 3)) {
        *end = i + d + 3;
        return d;
    }
    return 0;
}

zn_status zn_zone_address_building(const char *address, const char *township, char *out, size_t n)
{
    zn_status s = clean_address(address, township, out, n, 0);
    if (s != ZN_OK)
        return s;
    /* cut: where the building's name ends in the output; rest: where the text after the building
     * starts in the input; marker: a building marker (幢, 栋, 座, 号楼) to write as 号, or 0 */
    size_t o = strlen(out), cut = o, rest = o, marker = 0, d, end = 0;
    /* a numbered lane: "<digits>弄" */
    size_t lane = 0;
    for (size_t i = 1; i + 3 <= o; i++)
        if (!memcmp(out + i, LANE, 3) && out[i - 1] >= '0' && out[i - 1] <= '9') {
            lane = i + 3;
            break;
        }
    if (lane) {
        size_t p = lane;
        size_t bd = digits_at(out, p, o); /* a branch lane "<digits>支弄" */
        if (bd && p + bd + 6 <= o && !memcmp(out + p + bd, BRANCH LANE, 6))
            p += bd + 6;
        if ((d = building_number_at(out, p, o, &end)) > 0) {
            marker = p + d; /* "<lane><digits>号", whatever marker the list used */
            cut = p + d + 3;
            rest = end;
        } else {
            cut = rest = p; /* no building named: the lane (or branch lane) is the finest unit */
        }
    } else {
        /* the first "<digits>号" (a street number, or a house of a village group) and one more
         * building number right after it ("100号5号楼" = building 5 at number 100) */
        for (size_t i = 0; i < o; i++) {
            if (out[i] < '0' || out[i] > '9' || (i > 0 && out[i - 1] >= '0' && out[i - 1] <= '9'))
                continue;
            d = digits_at(out, i, o);
            if (i + d + 3 <= o && !memcmp(out + i + d, HAO, 3)) {
                cut = rest = i + d + 3;
                size_t d2 = building_number_at(out, cut, o, &end);
                if (d2 > 0) {
                    marker = cut + d2;
                    cut += d2 + 3;
                    rest = end;
                }
                break;
            }
            i += d - 1;
        }
    }
    /* what follows the building is dropped only when it is a room or floor ("101室", "3楼",
     * "-2"); a named thing after it ("工地", "对面工地", "长宁支路125弄") or a range of numbers
     * ("-121号") makes the whole address a unit of its own, as it is among the place units */
    if (rest < o && ((!(out[rest] >= '0' && out[rest] <= '9') && out[rest] != '-') || strstr(out + rest, HAO) ||
                     strstr(out + rest, LANE)))
        return ZN_OK;
    if (marker)
        memcpy(out + marker, HAO, 3);
    out[cut] = 0;
    return ZN_OK;
}

static zn_status clean_address(const char *address, const char *township, char *out, size_t n, int to_lane)
{
    if (!address || !out)
        return ZN_EINVAL;
    size_t in_len = strlen(address);
    if (n < in_len + 1)
        return ZN_ERANGE;
    /* 1. full-width ASCII to ASCII, drop blanks */
    size_t o = 0;
    const unsigned char *s = (const unsigned char *)address;
    for (size_t i = 0; i < in_len;) {
        int len;
        unsigned cp = utf8_decode(s + i, &len);
        if (cp >= 0xFF01 && cp <= 0xFF5E)
            cp -= 0xFEE0;
        else if (cp == 0x3000)
            cp = ' ';
        if (cp < 0x80) {
            if (cp != ' ' && cp != '\t' && cp != '\r' && cp != '\n')
                out[o++] = (char)cp;
        } else {
            memcpy(out + o, s + i, (size_t)len);
            o += (size_t)len;
        }
        i += (size_t)len;
    }
    out[o] = 0;
    /* 2. trailing punctuation and a trailing parenthesised remark */
    for (int changed = 1; changed;) {
        changed = 0;
        while (o > 0 && strchr(",.;:", out[o - 1])) {
            out[--o] = 0;
            changed = 1;
        }
        if (ends_with(out, o, "\xE3\x80\x82") || ends_with(out, o, "\xE3\x80\x81")) { /* 。、 */
            o -= 3;
            out[o] = 0;
            changed = 1;
        }
        if (o > 0 && out[o - 1] == ')') {
            char *open = NULL;
            for (char *p = out + o - 1; p > out; p--)
                if (*p == '(') {
                    open = p;
                    break;
                }
            if (open && open > out) {
                o = (size_t)(open - out);
                out[o] = 0;
                changed = 1;
            }
        }
    }
    /* 3. numbered lane: "<digits>弄" followed by a digit -> cut after 弄 */
    for (size_t i = 1; to_lane && i + 3 <= o; i++) {
        if (!memcmp(out + i, LANE, 3) && out[i - 1] >= '0' && out[i - 1] <= '9') {
            if (i + 3 < o && out[i + 3] >= '0' && out[i + 3] <= '9') {
                o = i + 3;
                out[o] = 0;
            }
            break;
        }
    }
    /* 4. leading town name of a village address, when it is the geocoded township */
    if (township && *township) {
        size_t t = strlen(township);
        if (o > t + 3 && !memcmp(out, township, t)) {
            const char *rest = out + t;
            size_t rn = o - t;
            if (strstr(rest, "\xE6\x9D\x91") /* 村 */ || ends_with(rest, rn, "\xE5\xAE\x85") /* 宅 */ ||
                ends_with(rest, rn, "\xE9\x98\x9F") /* 队 */ || ends_with(rest, rn, "\xE7\xBB\x84") /* 组 */) {
                memmove(out, rest, rn + 1);
                o = rn;
            }
        }
    }
    return ZN_OK;
}

/* ---- the unit registry ---- */

static const char *UPSERT_SQL =
    "INSERT INTO zone_unit (kind, key, name, county_code, township_code, lon, lat, population, geojson, source)"
    " VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, name = excluded.name,"
    " county_code = excluded.county_code, township_code = excluded.township_code, lon = excluded.lon,"
    " lat = excluded.lat, population = COALESCE(excluded.population, zone_unit.population),"
    " geojson = COALESCE(excluded.geojson, zone_unit.geojson), source = excluded.source RETURNING id";

static void bind_text_or_null(zn_stmt *s, int i, const char *v)
{
    if (v && *v)
        zn_stmt_bind_text(s, i, v);
    else
        zn_stmt_bind_null(s, i);
}

/* Upsert u with the prepared UPSERT_SQL; *id (may be NULL) receives its row id. */
static zn_status upsert_id(zn_stmt *s, const zn_zone_unit *u, const char *source, int64_t *id, zn_error *err);

static zn_status upsert(zn_stmt *s, const zn_zone_unit *u, const char *source, zn_error *err)
{
    return upsert_id(s, u, source, NULL, err);
}

static zn_status upsert_id(zn_stmt *s, const zn_zone_unit *u, const char *source, int64_t *id, zn_error *err)
{
    zn_stmt_reset(s);
    zn_stmt_bind_text(s, 1, zn_zone_unit_kind_name(u->kind));
    zn_stmt_bind_text(s, 2, u->key);
    zn_stmt_bind_text(s, 3, u->name && *u->name ? u->name : u->key);
    bind_text_or_null(s, 4, u->county_code);
    bind_text_or_null(s, 5, u->township_code);
    if (isfinite(u->lon) && isfinite(u->lat)) {
        zn_stmt_bind_double(s, 6, u->lon);
        zn_stmt_bind_double(s, 7, u->lat);
    } else {
        zn_stmt_bind_null(s, 6);
        zn_stmt_bind_null(s, 7);
    }
    if (u->population >= 0)
        zn_stmt_bind_int64(s, 8, u->population);
    else
        zn_stmt_bind_null(s, 8);
    bind_text_or_null(s, 9, u->geojson);
    zn_stmt_bind_text(s, 10, source);
    int row = 0;
    zn_status rc = zn_stmt_step(s, &row, err);
    if (rc == ZN_OK && !row)
        rc = zn_error_set(err, ZN_ESTORE, NULL, 0, "zone_unit", "upsert of '%s' returned no id", u->key);
    if (rc == ZN_OK && id)
        *id = zn_stmt_column_int64(s, 0);
    zn_stmt_reset(s);
    return rc;
}

static zn_status unit_id_of(zn_store *st, const char *key, int64_t *id, zn_error *err)
{
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(st, "SELECT id FROM zone_unit WHERE key = ?", &q, err);
    if (s != ZN_OK)
        return s;
    zn_stmt_bind_text(q, 1, key);
    int row = 0;
    s = zn_stmt_step(q, &row, err);
    if (s == ZN_OK && !row)
        s = zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "unit", "no unit '%s' (zhinao zones units)", key);
    if (s == ZN_OK)
        *id = zn_stmt_column_int64(q, 0);
    zn_stmt_finalize(q);
    return s;
}

zn_status zn_zone_unit_put(zn_store *st, const zn_zone_unit *u, int64_t *id, zn_error *err)
{
    if (!st || !u || !u->key || !*u->key)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "key", "a unit needs a key");
    zn_stmt *s;
    zn_status rc = zn_stmt_prepare(st, UPSERT_SQL, &s, err);
    if (rc != ZN_OK)
        return rc;
    rc = upsert_id(s, u, "api", id, err);
    zn_stmt_finalize(s);
    return rc;
}

/* One address of the lists with what the store knows of it. */
typedef struct addr_row {
    char *district, *address, *norm, *county, *township_code;
    double lon, lat;
    int exact; /* the address is its own normalised form */
} addr_row;

static int cmp_addr(const void *a, const void *b)
{
    const addr_row *x = a, *y = b;
    int c = strcmp(x->district, y->district);
    if (c)
        return c;
    c = strcmp(x->norm, y->norm);
    return c ? c : strcmp(x->address, y->address);
}

static void free_rows(addr_row *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].district);
        free(v[i].address);
        free(v[i].norm);
        free(v[i].county);
        free(v[i].township_code);
    }
    free(v);
}

static zn_status load_addresses(zn_store *st, int have_place, int building, addr_row **out, size_t *nout, zn_error *err)
{
    const char *sql_both =
        "SELECT district, address, MAX(lon), MAX(lat), MAX(township), MAX(county_code), MAX(township_code) FROM ("
        " SELECT district, address, lon, lat, township, county_code, township_code FROM case_residence"
        " UNION ALL SELECT district, address, lon, lat, township, county_code, township_code FROM place)"
        " GROUP BY district, address ORDER BY district, address";
    const char *sql_cases = "SELECT district, address, MAX(lon), MAX(lat), MAX(township), MAX(county_code),"
                            " MAX(township_code) FROM case_residence GROUP BY district, address ORDER BY district, address";
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(st, have_place ? sql_both : sql_cases, &q, err);
    if (s != ZN_OK)
        return s;
    size_t n = 0, cap = 1024;
    addr_row *v = malloc(cap * sizeof *v);
    int row = 0;
    if (!v)
        s = ZN_ENOMEM;
    while (s == ZN_OK && (s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        if (n == cap) {
            addr_row *nv = realloc(v, cap * 2 * sizeof *v);
            if (!nv) {
                s = ZN_ENOMEM;
                break;
            }
            v = nv;
            cap *= 2;
        }
        addr_row *a = &v[n];
        memset(a, 0, sizeof *a);
        a->district = zn_strdup(zn_stmt_column_text(q, 0));
        a->address = zn_strdup(zn_stmt_column_text(q, 1));
        a->lon = zn_stmt_column_is_null(q, 2) ? NAN : zn_stmt_column_double(q, 2);
        a->lat = zn_stmt_column_is_null(q, 3) ? NAN : zn_stmt_column_double(q, 3);
        const char *township = zn_stmt_column_text(q, 4);
        a->county = zn_strdup(zn_stmt_column_text(q, 5));
        a->township_code = zn_strdup(zn_stmt_column_text(q, 6));
        size_t len = strlen(zn_stmt_column_text(q, 1)) + 1;
        a->norm = malloc(len);
        n++;
        if (!a->district || !a->address || !a->county || !a->township_code || !a->norm) {
            s = ZN_ENOMEM;
            break;
        }
        if (building)
            zn_zone_address_building(a->address, township, a->norm, len);
        else
            zn_zone_address_normalize(a->address, township, a->norm, len);
        if (!a->norm[0]) /* nothing left: keep the raw text */
            snprintf(a->norm, len, "%s", a->address);
        a->exact = !strcmp(a->norm, a->address);
    }
    zn_stmt_finalize(q);
    if (s != ZN_OK) {
        free_rows(v, n);
        return s == ZN_ENOMEM ? zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory") : s;
    }
    *out = v;
    *nout = n;
    return ZN_OK;
}

/* The end of the group of sorted rows that starts at i: rows of one district and normalised text. */
static size_t group_end(const addr_row *v, size_t n, size_t i)
{
    size_t j = i;
    while (j < n && !strcmp(v[j].district, v[i].district) && !strcmp(v[j].norm, v[i].norm))
        j++;
    return j;
}

/* Upsert the unit of kind `kind` of the group v[i, j) (group_end), source case_residence: key
 * "<kind>:<district>:<normalised text>" (built in key), the point of the member spelled as the
 * unit, else of the first located member (none: NaN), the codes of that member (else of the
 * first). *id: the unit's id; *located: whether it has a point. */
static zn_status upsert_group(zn_stmt *up, const addr_row *v, size_t i, size_t j, zn_zone_unit_kind kind,
                              zn_buf *key, int64_t *id, int *located, zn_error *err)
{
    size_t pick = j;
    for (size_t k = i; k < j; k++)
        if (v[k].exact && isfinite(v[k].lon)) {
            pick = k;
            break;
        }
    for (size_t k = i; pick == j && k < j; k++)
        if (isfinite(v[k].lon))
            pick = k;
    *located = pick < j;
    size_t codes = pick < j ? pick : i;
    zn_buf_reset(key);
    zn_status s = zn_buf_printf(key, "%s:%s:%s", zn_zone_unit_kind_name(kind), v[i].district, v[i].norm);
    if (s != ZN_OK)
        return s;
    zn_zone_unit u = {.kind = kind,
                      .key = key->data,
                      .name = v[i].norm,
                      .county_code = v[codes].county,
                      .township_code = v[codes].township_code,
                      .lon = pick < j ? v[pick].lon : NAN,
                      .lat = pick < j ? v[pick].lat : NAN,
                      .population = -1};
    *id = 0;
    return upsert_id(up, &u, "case_residence", id, err);
}

/* Upsert the place units of the sorted rows; ids[i] receives row i's unit id. */
static zn_status write_places(zn_store *st, addr_row *v, size_t n, int64_t *ids, zn_zone_units_summary *sum,
                              zn_error *err)
{
    zn_stmt *up = NULL, *ad = NULL;
    zn_buf key = {0};
    zn_status s = zn_stmt_prepare(st, UPSERT_SQL, &up, err);
    if (s == ZN_OK)
        s = zn_store_exec(st, "DELETE FROM zone_unit_address", err);
    if (s == ZN_OK)
        s = zn_stmt_prepare(st, "INSERT INTO zone_unit_address (district, address, unit_id) VALUES (?,?,?)", &ad, err);
    for (size_t i = 0; s == ZN_OK && i < n;) {
        size_t j = group_end(v, n, i);
        int64_t id;
        int located;
        if ((s = upsert_group(up, v, i, j, ZN_ZONE_UNIT_PLACE, &key, &id, &located, err)) != ZN_OK)
            break;
        sum->places++;
        if (located)
            sum->places_located++;
        for (size_t k = i; s == ZN_OK && k < j; k++) {
            ids[k] = id;
            zn_stmt_reset(ad);
            zn_stmt_bind_text(ad, 1, v[k].district);
            zn_stmt_bind_text(ad, 2, v[k].address);
            zn_stmt_bind_int64(ad, 3, id);
            s = zn_stmt_step(ad, NULL, err);
        }
        i = j;
    }
    zn_buf_fini(&key);
    zn_stmt_finalize(up);
    zn_stmt_finalize(ad);
    return s;
}

/* A place unit as read back for deriving coarser units. */
typedef struct place_pt {
    int64_t id;
    double lon, lat;
    char county[13], township[13];
    char *parent; /* key of the coarser unit, or NULL */
} place_pt;

zn_status zn__zone_parent_key(zn_grid *grid, zn_zone_unit_kind kind, double lon, double lat, const char *county,
                              const char *township, char *out, size_t n)
{
    out[0] = 0;
    if (kind == ZN_ZONE_UNIT_TOWNSHIP) {
        if (township && strlen(township) == 12)
            snprintf(out, n, "township:%s", township);
    } else if (kind == ZN_ZONE_UNIT_COUNTY) {
        if (county && strlen(county) == 12)
            snprintf(out, n, "county:%s", county);
    } else if (kind == ZN_ZONE_UNIT_GRID) {
        int64_t cell;
        char id[40];
        if (grid && isfinite(lon) && isfinite(lat) && zn_grid_cell(grid, lon, lat, &cell, NULL) == ZN_OK &&
            zn_grid_id_format(zn_grid_cell_m(grid), cell, id, sizeof id) == ZN_OK)
            snprintf(out, n, "grid:%s", id);
    }
    return out[0] ? ZN_OK : ZN_ENOTFOUND;
}

static int cmp_parent(const void *a, const void *b)
{
    const place_pt *x = a, *y = b;
    if (!x->parent || !y->parent)
        return (x->parent == NULL) - (y->parent == NULL);
    int c = strcmp(x->parent, y->parent);
    return c ? c : (x->id > y->id) - (x->id < y->id);
}

static zn_status division_name(zn_stmt *q, const char *code, zn_buf *out, zn_error *err)
{
    zn_stmt_reset(q);
    zn_stmt_bind_text(q, 1, code);
    int row = 0;
    zn_status s = zn_stmt_step(q, &row, err);
    zn_buf_reset(out);
    if (s == ZN_OK)
        s = zn_buf_puts(out, row ? zn_stmt_column_text(q, 0) : code);
    return s;
}

/*
 * Upsert the units of `kind` (grid, township, county) that contain the located place units.
 * Returns the number of such units in *count.
 */
zn_status zn__zone_derive(zn_store *st, zn_zone_unit_kind kind, int32_t grid_m, int64_t *count, zn_error *err)
{
    *count = 0;
    if (kind == ZN_ZONE_UNIT_PLACE)
        return ZN_OK;
    zn_ctx *ctx = zn_store_ctx(st);
    zn_grid *grid = NULL;
    zn_stmt *q = NULL, *up = NULL, *dn = NULL;
    place_pt *v = NULL;
    size_t n = 0, cap = 0;
    zn_buf name = {0}, gj = {0};
    zn_status s = ZN_OK;
    if (kind == ZN_ZONE_UNIT_GRID)
        s = zn_grid_new(ctx, grid_m, &grid, err);
    if (s == ZN_OK)
        s = zn_stmt_prepare(st,
                            "SELECT id, lon, lat, COALESCE(county_code, ''), COALESCE(township_code, '') FROM zone_unit"
                            " WHERE kind = 'place' ORDER BY id",
                            &q, err);
    int row = 0;
    while (s == ZN_OK && (s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 1024;
            place_pt *nv = realloc(v, nc * sizeof *v);
            if (!nv) {
                s = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                break;
            }
            v = nv;
            cap = nc;
        }
        place_pt *p = &v[n++];
        memset(p, 0, sizeof *p);
        p->id = zn_stmt_column_int64(q, 0);
        p->lon = zn_stmt_column_is_null(q, 1) ? NAN : zn_stmt_column_double(q, 1);
        p->lat = zn_stmt_column_is_null(q, 2) ? NAN : zn_stmt_column_double(q, 2);
        snprintf(p->county, sizeof p->county, "%s", zn_stmt_column_text(q, 3));
        snprintf(p->township, sizeof p->township, "%s", zn_stmt_column_text(q, 4));
        char key[96];
        if (zn__zone_parent_key(grid, kind, p->lon, p->lat, p->county, p->township, key, sizeof key) == ZN_OK &&
            !(p->parent = zn_strdup(key)))
            s = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    if (s == ZN_OK)
        s = zn_stmt_prepare(st, UPSERT_SQL, &up, err);
    if (s == ZN_OK)
        s = zn_stmt_prepare(st, "SELECT name FROM division WHERE code = ? ORDER BY edition LIMIT 1", &dn, err);
    if (s == ZN_OK && v)
        qsort(v, n, sizeof *v, cmp_parent);
    for (size_t i = 0; s == ZN_OK && i < n && v[i].parent;) {
        size_t j = i;
        double sx = 0, sy = 0;
        int located = 0;
        while (j < n && v[j].parent && !strcmp(v[j].parent, v[i].parent)) {
            if (isfinite(v[j].lon)) {
                sx += v[j].lon;
                sy += v[j].lat;
                located++;
            }
            j++;
        }
        zn_zone_unit u = {.kind = kind, .key = v[i].parent, .population = -1, .lon = NAN, .lat = NAN};
        char county[13] = "";
        zn_buf_reset(&gj);
        if (kind == ZN_ZONE_UNIT_GRID) {
            int32_t cm;
            int64_t cell;
            zn_geom *poly = NULL;
            char *txt = NULL;
            s = zn_grid_id_parse(v[i].parent + 5, &cm, &cell, err);
            if (s == ZN_OK)
                s = zn_grid_cell_center(grid, cell, &u.lon, &u.lat, err);
            if (s == ZN_OK)
                s = zn_grid_cell_polygon(grid, cell, &poly, err);
            if (s == ZN_OK)
                s = zn_geom_to_geojson_str(poly, &txt, err);
            if (s == ZN_OK)
                s = zn_buf_puts(&gj, txt);
            free(txt);
            zn_geom_free(poly);
            zn_buf_reset(&name);
            if (s == ZN_OK)
                s = zn_buf_puts(&name, v[i].parent + 5);
            u.county_code = v[i].county;
            u.township_code = v[i].township;
            u.geojson = gj.data;
        } else {
            const char *code = v[i].parent + (kind == ZN_ZONE_UNIT_TOWNSHIP ? 9 : 7);
            s = division_name(dn, code, &name, err);
            if (kind == ZN_ZONE_UNIT_TOWNSHIP) {
                snprintf(county, sizeof county, "%.6s000000", code);
                u.county_code = county;
                u.township_code = code;
            } else {
                u.county_code = code;
            }
            if (located) {
                u.lon = sx / located;
                u.lat = sy / located;
            }
        }
        u.name = name.data;
        if (s == ZN_OK)
            s = upsert(up, &u, "derived", err);
        (*count)++;
        i = j;
    }
    for (size_t i = 0; i < n; i++)
        free(v[i].parent);
    free(v);
    zn_buf_fini(&name);
    zn_buf_fini(&gj);
    zn_stmt_finalize(q);
    zn_stmt_finalize(up);
    zn_stmt_finalize(dn);
    zn_grid_free(grid);
    return s;
}

zn_status zn_zone_units_build(zn_store *st, int32_t grid_m, zn_zone_units_summary *out, zn_error *err)
{
    zn_zone_units_summary sum = {0};
    int have_cases = 0, have_place = 0;
    if (!st)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL store");
    zn_status s = zn_store_table_exists(st, "case_residence", &have_cases, err);
    if (s == ZN_OK)
        s = zn_store_table_exists(st, "place", &have_place, err);
    if (s != ZN_OK)
        return s;
    if (!have_cases)
        return zn_error_set(err, ZN_ENOTFOUND, NULL, 0, NULL,
                            "no table case_residence: load the lists first (zhinao demo, i.e. make run)");
    addr_row *v = NULL;
    size_t n = 0;
    if ((s = load_addresses(st, have_place, 0, &v, &n, err)) != ZN_OK)
        return s;
    qsort(v, n, sizeof *v, cmp_addr);
    int64_t *ids = calloc(n + 1, sizeof *ids);
    if (!ids) {
        free_rows(v, n);
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    sum.addresses = (int64_t)n;
    if ((s = zn_store_begin(st, err)) == ZN_OK) {
        s = write_places(st, v, n, ids, &sum, err);
        if (s == ZN_OK)
            s = zn__zone_derive(st, ZN_ZONE_UNIT_GRID, grid_m, &sum.grids, err);
        if (s == ZN_OK)
            s = zn__zone_derive(st, ZN_ZONE_UNIT_TOWNSHIP, grid_m, &sum.townships, err);
        if (s == ZN_OK)
            s = zn__zone_derive(st, ZN_ZONE_UNIT_COUNTY, grid_m, &sum.counties, err);
        if (s == ZN_OK)
            s = zn_store_commit(st, err);
        else
            zn_store_rollback(st);
    }
    free(ids);
    free_rows(v, n);
    if (s == ZN_OK && out)
        *out = sum;
    return s;
}

zn_status zn_zone_event_add(zn_store *st, const char *unit_key, int32_t day, zn_zone_event_kind kind, int isolated,
                            const char *source, zn_error *err)
{
    if (!st || !unit_key || (unsigned)kind >= ZN_ZONE_EV_COUNT || day == ZN_ZONE_NO_DAY)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "bad event");
    int64_t id;
    zn_status s = unit_id_of(st, unit_key, &id, err);
    if (s != ZN_OK)
        return s;
    zn_stmt *ins;
    if ((s = zn_stmt_prepare(st,
                             "INSERT INTO zone_event (unit_id, date, kind, isolated, source, created_at)"
                             " VALUES (?,?,?,?,?,?)",
                             &ins, err)) != ZN_OK)
        return s;
    char date[16];
    zn_stmt_bind_int64(ins, 1, id);
    zn_stmt_bind_text(ins, 2, zn_zone_day_format(day, date, sizeof date));
    zn_stmt_bind_text(ins, 3, zn_zone_event_kind_name(kind));
    zn_stmt_bind_int64(ins, 4, isolated ? 1 : 0);
    bind_text_or_null(ins, 5, source);
    zn_stmt_bind_int64(ins, 6, zn_ctx_now(zn_store_ctx(st)));
    s = zn_stmt_step(ins, NULL, err);
    zn_stmt_finalize(ins);
    return s;
}

zn_status zn_zone_override_add(zn_store *st, const zn_zone_rules *rules, const char *unit_key, int32_t day,
                               const char *level, const char *reason, const char *operator_name, int64_t *id,
                               zn_error *err)
{
    if (!st || !rules || !unit_key || !level || day == ZN_ZONE_NO_DAY)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    if (!reason || !*reason)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "reason", "an override needs a reason");
    if (zn_zone_rules_level(rules, level) == -2)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "level", "'%s' is not a level of %s (nor none)", level,
                            rules->name);
    int64_t uid;
    zn_status s = unit_id_of(st, unit_key, &uid, err);
    if (s != ZN_OK)
        return s;
    zn_stmt *ins;
    if ((s = zn_stmt_prepare(st,
                             "INSERT INTO zone_override (rules, unit_id, date, level, reason, operator, created_at)"
                             " VALUES (?,?,?,?,?,?,?)",
                             &ins, err)) != ZN_OK)
        return s;
    char date[16];
    zn_stmt_bind_text(ins, 1, rules->name);
    zn_stmt_bind_int64(ins, 2, uid);
    zn_stmt_bind_text(ins, 3, zn_zone_day_format(day, date, sizeof date));
    zn_stmt_bind_text(ins, 4, level);
    zn_stmt_bind_text(ins, 5, reason);
    bind_text_or_null(ins, 6, operator_name);
    zn_stmt_bind_int64(ins, 7, zn_ctx_now(zn_store_ctx(st)));
    s = zn_stmt_step(ins, NULL, err);
    zn_stmt_finalize(ins);
    if (s == ZN_OK && id)
        *id = zn_store_last_id(st);
    return s;
}

static int cmp_addr_unit(const void *a, const void *b)
{
    const zn__zone_addr_unit *x = a, *y = b;
    int c = strcmp(x->district, y->district);
    return c ? c : strcmp(x->address, y->address);
}

void zn__zone_addr_units_free(zn__zone_addr_unit *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].district);
        free(v[i].address);
    }
    free(v);
}

int64_t zn__zone_addr_unit_find(const zn__zone_addr_unit *v, size_t n, const char *district, const char *address)
{
    zn__zone_addr_unit probe = {(char *)district, (char *)address, 0};
    const zn__zone_addr_unit *hit = n ? bsearch(&probe, v, n, sizeof *v, cmp_addr_unit) : NULL;
    return hit ? hit->unit_id : -1;
}

zn_status zn__zone_buildings(zn_store *st, zn__zone_addr_unit **map, size_t *nmap, int64_t *units, zn_error *err)
{
    int have_cases = 0, have_place = 0;
    *map = NULL;
    *nmap = 0;
    *units = 0;
    zn_status s = zn_store_table_exists(st, "case_residence", &have_cases, err);
    if (s == ZN_OK)
        s = zn_store_table_exists(st, "place", &have_place, err);
    if (s != ZN_OK || !have_cases)
        return s;
    addr_row *v = NULL;
    size_t n = 0;
    if ((s = load_addresses(st, have_place, 1, &v, &n, err)) != ZN_OK)
        return s;
    qsort(v, n, sizeof *v, cmp_addr);
    zn__zone_addr_unit *m = calloc(n + 1, sizeof *m);
    zn_stmt *up = NULL;
    zn_buf key = {0};
    size_t nm = 0;
    if (!m)
        s = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    if (s == ZN_OK)
        s = zn_stmt_prepare(st, UPSERT_SQL, &up, err);
    for (size_t i = 0; s == ZN_OK && i < n;) {
        size_t j = group_end(v, n, i);
        int64_t id;
        int located;
        if ((s = upsert_group(up, v, i, j, ZN_ZONE_UNIT_BUILDING, &key, &id, &located, err)) != ZN_OK)
            break;
        (*units)++;
        for (size_t k = i; k < j; k++) {
            m[nm].district = v[k].district; /* moved out of v */
            m[nm].address = v[k].address;
            v[k].district = v[k].address = NULL;
            m[nm++].unit_id = id;
        }
        i = j;
    }
    /* building units no address names any more (the lists or the grouping changed): dropped with
     * their rows of earlier runs, unless an event or override was recorded on them */
    static const char *stale[] = {
        "CREATE TEMP TABLE IF NOT EXISTS zn_building_now (id INTEGER PRIMARY KEY)",
        "DELETE FROM zn_building_now",
        NULL, /* filled from m */
        "DELETE FROM zone_period WHERE unit_id IN (SELECT id FROM zone_unit WHERE kind = 'building'"
        " AND source = 'case_residence' AND id NOT IN (SELECT id FROM zn_building_now)"
        " AND id NOT IN (SELECT unit_id FROM zone_event) AND id NOT IN (SELECT unit_id FROM zone_override))",
        "DELETE FROM zone_unit WHERE kind = 'building' AND source = 'case_residence'"
        " AND id NOT IN (SELECT id FROM zn_building_now) AND id NOT IN (SELECT unit_id FROM zone_event)"
        " AND id NOT IN (SELECT unit_id FROM zone_override)",
        "DROP TABLE zn_building_now",
    };
    for (size_t i = 0; s == ZN_OK && i < sizeof stale / sizeof stale[0]; i++) {
        if (stale[i]) {
            s = zn_store_exec(st, stale[i], err);
            continue;
        }
        zn_stmt *ins;
        if ((s = zn_stmt_prepare(st, "INSERT OR IGNORE INTO zn_building_now (id) VALUES (?)", &ins, err)) != ZN_OK)
            break;
        for (size_t k = 0; s == ZN_OK && k < nm; k++) {
            zn_stmt_reset(ins);
            zn_stmt_bind_int64(ins, 1, m[k].unit_id);
            s = zn_stmt_step(ins, NULL, err);
        }
        zn_stmt_finalize(ins);
    }
    zn_buf_fini(&key);
    zn_stmt_finalize(up);
    free_rows(v, n);
    if (s != ZN_OK) {
        zn__zone_addr_units_free(m, nm);
        return s == ZN_ENOMEM ? zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory") : s;
    }
    qsort(m, nm, sizeof *m, cmp_addr_unit);
    *map = m;
    *nmap = nm;
    return ZN_OK;
}

zn_status zn__zone_upsert_prepare(zn_store *st, zn_stmt **out, zn_error *err)
{
    return zn_stmt_prepare(st, UPSERT_SQL, out, err);
}

zn_status zn__zone_upsert(zn_stmt *s, const zn_zone_unit *u, const char *source, zn_error *err)
{
    return upsert_id(s, u, source, NULL, err);
}
