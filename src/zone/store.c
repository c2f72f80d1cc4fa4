/* Zone runs in the store: load units and events, evaluate, write and read back the history. */
#include "zone_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "zhinao/geo.h"

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static zn_status nomem(zn_error *err)
{
    return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
}

/* The division-code prefix of `code`: trailing zeros dropped, kept at an even length of at least 2
 * ("310000" -> "31", "330100" -> "3301", "330110" -> "330110"); "" when `code` starts with no digit
 * or is all zeros. */
static void code_prefix(const char *code, char out[13])
{
    size_t n = 0;
    while (code && n < 12 && code[n] >= '0' && code[n] <= '9')
        n++;
    while (n > 0 && code[n - 1] == '0')
        n--;
    if (n > 0 && n < 12 && n % 2) /* 330110 -> 33011 -> 330110 */
        n++;
    if (n > 0 && n < 2)
        n = 2;
    memcpy(out, code, n);
    out[n] = 0;
}

/* Is `code` a division code: 2 to 12 digits, nothing else? */
static int division_code_ok(const char *code)
{
    size_t n = strspn(code, "0123456789");
    return n >= 2 && n <= 12 && code[n] == 0;
}

#define RUN_INFO_COLUMNS                                                                                              \
    "SELECT id, rules, within_prefix, from_date, to_date, unit_kind, missing, units, events, created_at FROM zone_run"

static void run_info_fill(zn_stmt *q, zn_zone_run_info *r)
{
    memset(r, 0, sizeof *r);
    r->id = zn_stmt_column_int64(q, 0);
    snprintf(r->rules, sizeof r->rules, "%s", zn_stmt_column_text(q, 1));
    snprintf(r->within, sizeof r->within, "%s", zn_stmt_column_text(q, 2));
    snprintf(r->from, sizeof r->from, "%s", zn_stmt_column_text(q, 3));
    snprintf(r->to, sizeof r->to, "%s", zn_stmt_column_text(q, 4));
    snprintf(r->unit_kind, sizeof r->unit_kind, "%s", zn_stmt_column_text(q, 5));
    snprintf(r->missing, sizeof r->missing, "%s", zn_stmt_column_text(q, 6));
    r->units = zn_stmt_column_int64(q, 7);
    r->events = zn_stmt_column_int64(q, 8);
    r->created_at = zn_stmt_column_int64(q, 9);
}

/* The not-found answer of zn_zone_run_find: which areas the rule set does have runs for. */
static zn_status run_not_found(zn_store *st, const char *rules, const char *area, zn_error *err)
{
    if (!rules)
        return area ? zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "area", "no stored zone run covers %s", area)
                    : zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "rules", "no stored zone run (zhinao zones run)");
    if (!area)
        return zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "rules", "no stored run of '%s' (zhinao zones run --rules %s)",
                            rules, rules);
    char areas[160] = "";
    size_t len = 0;
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(st, "SELECT within_prefix FROM zone_run WHERE rules = ? ORDER BY within_prefix", &q, err);
    if (s != ZN_OK)
        return s;
    zn_stmt_bind_text(q, 1, rules);
    int row = 0;
    while ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row && len + 16 < sizeof areas) {
        const char *w = zn_stmt_column_text(q, 0);
        len += (size_t)snprintf(areas + len, sizeof areas - len, "%s%s", len ? ", " : "", *w ? w : "(every unit)");
    }
    zn_stmt_finalize(q);
    if (s != ZN_OK)
        return s;
    return zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "area",
                        "no stored run of '%s' covers %s (%s%s; zhinao zones run --rules %s --within %s)", rules, area,
                        len ? "runs within: " : "no runs", areas, rules, area);
}

zn_status zn_zone_run_find(zn_store *st, const char *rules, const char *area, zn_zone_run_info *out, zn_error *err)
{
    if (!st || !out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    char prefix[13] = "";
    if (area && !*area)
        area = NULL;
    if (area) {
        if (!division_code_ok(area))
            return zn_error_set(err, ZN_EINVAL, NULL, 0, "area", "'%s' is not a division code (2 to 12 digits)", area);
        code_prefix(area, prefix); /* "" for "000000": the whole country */
    }
    /* a run covers the area when its prefix begins the area's ('' begins every area) */
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(st,
                                  RUN_INFO_COLUMNS " WHERE (?1 IS NULL OR rules = ?1)"
                                                   " AND (?2 IS NULL OR substr(?2, 1, length(within_prefix)) = within_prefix)"
                                                   " ORDER BY id DESC LIMIT 1",
                                  &q, err);
    if (s != ZN_OK)
        return s;
    if (rules)
        zn_stmt_bind_text(q, 1, rules);
    else
        zn_stmt_bind_null(q, 1);
    if (area)
        zn_stmt_bind_text(q, 2, prefix);
    else
        zn_stmt_bind_null(q, 2);
    int row = 0;
    s = zn_stmt_step(q, &row, err);
    if (s == ZN_OK && row)
        run_info_fill(q, out);
    zn_stmt_finalize(q);
    if (s == ZN_OK && !row)
        s = run_not_found(st, rules, area, err);
    return s;
}

zn_status zn_zone_runs(zn_store *st, const char *rules, zn_zone_run_fn fn, void *user, zn_error *err)
{
    if (!st || !fn)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(st, RUN_INFO_COLUMNS " WHERE ?1 IS NULL OR rules = ?1 ORDER BY rules, within_prefix, id",
                                  &q, err);
    if (s != ZN_OK)
        return s;
    if (rules)
        zn_stmt_bind_text(q, 1, rules);
    else
        zn_stmt_bind_null(q, 1);
    int row = 0;
    while ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        zn_zone_run_info r;
        run_info_fill(q, &r);
        if (fn(user, &r))
            break;
    }
    zn_stmt_finalize(q);
    return s;
}

zn_status zn__zone_run_id(zn_store *st, const char *rules, int64_t *run_id, zn_error *err)
{
    zn_zone_run_info r;
    zn_status s = zn_zone_run_find(st, rules, NULL, &r, err);
    if (s == ZN_OK)
        *run_id = r.id;
    return s;
}

/* ---- loading the inputs ---- */

typedef struct id_index {
    int64_t *ids; /* sorted unit ids of the run's kind */
    size_t n;
} id_index;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int32_t index_of(const id_index *ix, int64_t id)
{
    const int64_t *p = bsearch(&id, ix->ids, ix->n, sizeof *ix->ids, cmp_i64);
    return p ? (int32_t)(p - ix->ids) : -1;
}

typedef struct key_id {
    char *key;
    int64_t id;
} key_id;

static int cmp_key(const void *a, const void *b)
{
    return strcmp(((const key_id *)a)->key, ((const key_id *)b)->key);
}

/* Everything a run needs, owned here. */
typedef struct run_input {
    id_index units;
    int32_t *county;
    int64_t *population;
    int64_t *place_to; /* for each place unit id (sorted in places.ids): the index of its unit of the
                          run's kind, -1 when none */
    id_index places;
    zn_zone_event *events;
    size_t nevents, capevents;
    zn_zone_override *overrides;
    size_t noverrides;
    int32_t *unknown;
    size_t nunknown;
    int64_t unmapped;
    int64_t outside; /* events of units outside the run's area */
    zn__zone_addr_unit *addr_map; /* building runs: listed address -> building unit id */
    size_t naddr_map;
} run_input;

static void run_input_fini(run_input *ri)
{
    free(ri->units.ids);
    free(ri->county);
    free(ri->population);
    free(ri->place_to);
    free(ri->places.ids);
    free(ri->events);
    free(ri->overrides);
    free(ri->unknown);
    zn__zone_addr_units_free(ri->addr_map, ri->naddr_map);
}

/* The significant prefix of a division code: "310000" -> "31", "330106000000" -> "330106". */
static zn_status load_units(zn_store *st, const zn_zone_rules *r, const char *within, run_input *ri, zn_error *err)
{
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(st,
                                  "SELECT id, COALESCE(county_code, ''), population FROM zone_unit WHERE kind = ?"
                                  " AND (?2 = '' OR COALESCE(county_code, '') LIKE ?2 || '%') ORDER BY id",
                                  &q, err);
    if (s != ZN_OK)
        return s;
    zn_stmt_bind_text(q, 1, zn_zone_unit_kind_name(r->unit_kind));
    zn_stmt_bind_text(q, 2, within);
    size_t cap = 1024, n = 0, ncodes = 0;
    char(*codes)[13] = malloc(256 * sizeof *codes);
    size_t capcodes = 256;
    ri->units.ids = malloc(cap * sizeof *ri->units.ids);
    ri->county = malloc(cap * sizeof *ri->county);
    ri->population = malloc(cap * sizeof *ri->population);
    int row = 0;
    if (!codes || !ri->units.ids || !ri->county || !ri->population)
        s = nomem(err);
    while (s == ZN_OK && (s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        if (n == cap) {
            cap *= 2;
            int64_t *a = realloc(ri->units.ids, cap * sizeof *a);
            if (a)
                ri->units.ids = a;
            int32_t *b = realloc(ri->county, cap * sizeof *b);
            if (b)
                ri->county = b;
            int64_t *c = realloc(ri->population, cap * sizeof *c);
            if (c)
                ri->population = c;
            if (!a || !b || !c) {
                s = nomem(err);
                break;
            }
        }
        ri->units.ids[n] = zn_stmt_column_int64(q, 0);
        const char *code = zn_stmt_column_text(q, 1);
        size_t c = 0; /* counties are few: a linear search */
        while (c < ncodes && strcmp(codes[c], code))
            c++;
        if (c == ncodes) {
            if (ncodes == capcodes) {
                char(*nc)[13] = realloc(codes, capcodes * 2 * sizeof *codes);
                if (!nc) {
                    s = nomem(err);
                    break;
                }
                codes = nc;
                capcodes *= 2;
            }
            snprintf(codes[ncodes++], 13, "%s", code);
        }
        ri->county[n] = (int32_t)c;
        ri->population[n] = zn_stmt_column_is_null(q, 2) ? -1 : zn_stmt_column_int64(q, 2);
        n++;
    }
    ri->units.n = n;
    free(codes);
    zn_stmt_finalize(q);
    return s;
}

/* Map every place unit to the run's unit containing it. */
static zn_status load_place_map(zn_store *st, const zn_zone_rules *r, const char *within, run_input *ri,
                                zn_error *err)
{
    zn_ctx *ctx = zn_store_ctx(st);
    zn_grid *grid = NULL;
    key_id *keys = NULL;
    zn_stmt *q = NULL;
    zn_status s = ZN_OK;
    size_t cap = 1024, n = 0;
    if (r->unit_kind == ZN_ZONE_UNIT_GRID)
        s = zn_grid_new(ctx, r->grid_m, &grid, err);
    /* keys of the run's units */
    if (s == ZN_OK && r->unit_kind != ZN_ZONE_UNIT_PLACE) {
        s = zn_stmt_prepare(st,
                            "SELECT key, id FROM zone_unit WHERE kind = ?"
                            " AND (?2 = '' OR COALESCE(county_code, '') LIKE ?2 || '%')",
                            &q, err);
        if (s == ZN_OK) {
            zn_stmt_bind_text(q, 1, zn_zone_unit_kind_name(r->unit_kind));
            zn_stmt_bind_text(q, 2, within);
            keys = malloc(ri->units.n * sizeof *keys + 1);
            size_t k = 0;
            int row = 0;
            if (!keys)
                s = nomem(err);
            while (s == ZN_OK && (s = zn_stmt_step(q, &row, err)) == ZN_OK && row && k < ri->units.n) {
                keys[k].id = zn_stmt_column_int64(q, 1);
                if (!(keys[k].key = zn_strdup(zn_stmt_column_text(q, 0))))
                    s = nomem(err);
                else
                    k++;
            }
            zn_stmt_finalize(q);
            q = NULL;
            if (keys) {
                qsort(keys, k, sizeof *keys, cmp_key);
                n = k;
            }
        }
    }
    if (s == ZN_OK)
        s = zn_stmt_prepare(st,
                            "SELECT id, lon, lat, COALESCE(county_code, ''), COALESCE(township_code, ''), key FROM zone_unit"
                            " WHERE kind = 'place' ORDER BY id",
                            &q, err);
    size_t np = 0;
    ri->places.ids = malloc(cap * sizeof *ri->places.ids);
    ri->place_to = malloc(cap * sizeof *ri->place_to);
    if (s == ZN_OK && (!ri->places.ids || !ri->place_to))
        s = nomem(err);
    int row = 0;
    while (s == ZN_OK && (s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        if (np == cap) {
            cap *= 2;
            int64_t *a = realloc(ri->places.ids, cap * sizeof *a);
            if (a)
                ri->places.ids = a;
            int64_t *b = realloc(ri->place_to, cap * sizeof *b);
            if (b)
                ri->place_to = b;
            if (!a || !b) {
                s = nomem(err);
                break;
            }
        }
        int64_t id = zn_stmt_column_int64(q, 0);
        ri->places.ids[np] = id;
        ri->place_to[np] = -1;
        if (r->unit_kind == ZN_ZONE_UNIT_PLACE) {
            ri->place_to[np] = index_of(&ri->units, id);
        } else if (r->unit_kind == ZN_ZONE_UNIT_BUILDING) {
            /* a place unit is a building unit when both have the same name (a lane listed
             * without numbers, a street number, a village group); a lane of several buildings
             * has no building of its own */
            char key[512];
            const char *pk = zn_stmt_column_text(q, 5);
            if (!strncmp(pk, "place:", 6) && snprintf(key, sizeof key, "building:%s", pk + 6) < (int)sizeof key) {
                key_id probe = {key, 0};
                key_id *hit = n ? bsearch(&probe, keys, n, sizeof *keys, cmp_key) : NULL;
                if (hit)
                    ri->place_to[np] = index_of(&ri->units, hit->id);
            }
        } else {
            char key[96];
            double lon = zn_stmt_column_is_null(q, 1) ? NAN : zn_stmt_column_double(q, 1);
            double lat = zn_stmt_column_is_null(q, 2) ? NAN : zn_stmt_column_double(q, 2);
            if (zn__zone_parent_key(grid, r->unit_kind, lon, lat, zn_stmt_column_text(q, 3), zn_stmt_column_text(q, 4),
                                    key, sizeof key) == ZN_OK) {
                key_id probe = {key, 0};
                key_id *hit = n ? bsearch(&probe, keys, n, sizeof *keys, cmp_key) : NULL;
                if (hit)
                    ri->place_to[np] = index_of(&ri->units, hit->id);
            }
        }
        np++;
    }
    ri->places.n = np;
    zn_stmt_finalize(q);
    for (size_t i = 0; keys && i < n; i++)
        free(keys[i].key);
    free(keys);
    zn_grid_free(grid);
    return s;
}

static zn_status push_event(run_input *ri, int32_t unit, int32_t day, int kind, int isolated, zn_error *err)
{
    if (ri->nevents == ri->capevents) {
        size_t cap = ri->capevents ? ri->capevents * 2 : 4096;
        zn_zone_event *v = realloc(ri->events, cap * sizeof *v);
        if (!v)
            return nomem(err);
        ri->events = v;
        ri->capevents = cap;
    }
    ri->events[ri->nevents++] = (zn_zone_event){.unit = unit, .day = day, .kind = (uint8_t)kind, .isolated = (uint8_t)isolated};
    return ZN_OK;
}

/* A unit id of any kind -> index in the run: itself when of the run's kind, else via its place. */
static int32_t map_unit(const run_input *ri, int64_t id)
{
    int32_t i = index_of(&ri->units, id);
    if (i >= 0)
        return i;
    int32_t p = index_of(&ri->places, id);
    return p >= 0 ? (int32_t)ri->place_to[p] : -1;
}

static zn_status parse_day(const char *text, int32_t *day, zn_error *err)
{
    return zn_zone_day_parse(text, day, err);
}

/* Is an event whose unit (or residence) lies in `county` outside the run's area `within`? Not when
 * the run has no area or the county is unknown (then it is unmapped). */
static int outside_area(const char *within, const char *county)
{
    return within[0] && county && county[0] && strncmp(county, within, strlen(within)) != 0;
}

static zn_status load_events(zn_store *st, const zn_zone_rules *r, const zn_zone_run_opts *o, const char *within,
                             run_input *ri, int have_cases, zn_error *err)
{
    zn_stmt *q = NULL;
    zn_status s = ZN_OK;
    int row = 0;
    char last_text[16] = "";
    int32_t last_day = 0;
    int building = r->unit_kind == ZN_ZONE_UNIT_BUILDING;
    if (have_cases) {
        s = zn_stmt_prepare(st,
                            building ? "SELECT date, NULL, district, address, county_code FROM case_residence"
                                       " ORDER BY date"
                                     : "SELECT c.date, a.unit_id, NULL, NULL, COALESCE(u.county_code, c.county_code)"
                                       " FROM case_residence c LEFT JOIN zone_unit_address a"
                                       " ON a.district = c.district AND a.address = c.address"
                                       " LEFT JOIN zone_unit u ON u.id = a.unit_id ORDER BY c.date",
                            &q, err);
        while (s == ZN_OK && (s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
            const char *date = zn_stmt_column_text(q, 0);
            if (strcmp(date, last_text)) {
                if ((s = parse_day(date, &last_day, err)) != ZN_OK)
                    break;
                snprintf(last_text, sizeof last_text, "%s", date);
            }
            int32_t u;
            if (building) {
                int64_t id = zn__zone_addr_unit_find(ri->addr_map, ri->naddr_map, zn_stmt_column_text(q, 2),
                                                     zn_stmt_column_text(q, 3));
                u = id < 0 ? -1 : index_of(&ri->units, id);
            } else {
                u = zn_stmt_column_is_null(q, 1) ? -1 : map_unit(ri, zn_stmt_column_int64(q, 1));
            }
            if (u < 0) {
                if (outside_area(within, zn_stmt_column_text(q, 4)))
                    ri->outside++;
                else
                    ri->unmapped++;
                continue;
            }
            if (last_day <= o->to)
                s = push_event(ri, u, last_day, ZN_ZONE_EV_CASE, 0, err);
        }
        zn_stmt_finalize(q);
        q = NULL;
    }
    if (s == ZN_OK)
        s = zn_stmt_prepare(st,
                            "SELECT e.date, e.unit_id, e.kind, e.isolated, u.county_code FROM zone_event e"
                            " LEFT JOIN zone_unit u ON u.id = e.unit_id ORDER BY e.id",
                            &q, err);
    while (s == ZN_OK && (s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        int32_t day;
        zn_zone_event_kind kind;
        if ((s = parse_day(zn_stmt_column_text(q, 0), &day, err)) != ZN_OK)
            break;
        if (zn_zone_event_kind_parse(zn_stmt_column_text(q, 2), &kind) != ZN_OK) {
            s = zn_error_set(err, ZN_EPARSE, NULL, 0, "zone_event.kind", "unknown event kind '%s'",
                             zn_stmt_column_text(q, 2));
            break;
        }
        int32_t u = map_unit(ri, zn_stmt_column_int64(q, 1));
        if (u < 0) {
            if (outside_area(within, zn_stmt_column_text(q, 4)))
                ri->outside++;
            else
                ri->unmapped++;
            continue;
        }
        if (day <= o->to)
            s = push_event(ri, u, day, kind, (int)zn_stmt_column_int64(q, 3), err);
    }
    zn_stmt_finalize(q);
    q = NULL;
    /* overrides */
    size_t cap = 16;
    ri->overrides = malloc(cap * sizeof *ri->overrides);
    if (s == ZN_OK && !ri->overrides)
        s = nomem(err);
    if (s == ZN_OK)
        s = zn_stmt_prepare(st, "SELECT id, unit_id, date, level FROM zone_override WHERE rules = ? ORDER BY id", &q, err);
    if (s == ZN_OK)
        zn_stmt_bind_text(q, 1, r->name);
    while (s == ZN_OK && (s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        int32_t day;
        if ((s = parse_day(zn_stmt_column_text(q, 2), &day, err)) != ZN_OK)
            break;
        int level = zn_zone_rules_level(r, zn_stmt_column_text(q, 3));
        int32_t u = map_unit(ri, zn_stmt_column_int64(q, 1));
        if (level == -2 || u < 0) {
            zn_log(zn_store_ctx(st), ZN_LOG_WARN, "zone override %lld skipped: level '%s' or its unit unknown to %s",
                   (long long)zn_stmt_column_int64(q, 0), zn_stmt_column_text(q, 3), r->name);
            continue;
        }
        if (ri->noverrides == cap) {
            cap *= 2;
            zn_zone_override *v = realloc(ri->overrides, cap * sizeof *v);
            if (!v) {
                s = nomem(err);
                break;
            }
            ri->overrides = v;
        }
        ri->overrides[ri->noverrides++] =
            (zn_zone_override){.unit = u, .day = day, .level = level, .id = zn_stmt_column_int64(q, 0)};
    }
    zn_stmt_finalize(q);
    return s;
}

/* Unknown days: days of from .. to outside the lists' span or inside it without a row. */
static zn_status load_unknown(zn_store *st, const zn_zone_run_opts *o, run_input *ri, int have_cases, zn_error *err)
{
    if (!have_cases)
        return ZN_OK;
    int32_t span = o->to - o->from + 1;
    uint8_t *seen = calloc((size_t)span, 1);
    ri->unknown = malloc((size_t)span * sizeof *ri->unknown);
    if (!seen || !ri->unknown) {
        free(seen);
        return nomem(err);
    }
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(st, "SELECT DISTINCT date FROM case_residence", &q, err);
    int row = 0, any = 0;
    int32_t first = INT32_MAX, last = INT32_MIN;
    while (s == ZN_OK && (s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        int32_t d;
        if ((s = parse_day(zn_stmt_column_text(q, 0), &d, err)) != ZN_OK)
            break;
        any = 1;
        if (d < first)
            first = d;
        if (d > last)
            last = d;
        if (d >= o->from && d <= o->to)
            seen[d - o->from] = 1;
    }
    zn_stmt_finalize(q);
    for (int32_t i = 0; s == ZN_OK && any && i < span; i++)
        if (!seen[i])
            ri->unknown[ri->nunknown++] = o->from + i;
    free(seen);
    return s;
}

/* ---- writing the result ---- */

static zn_status levels_json(const zn_zone_rules *r, char **out, zn_error *err)
{
    json_t *a = json_array();
    for (int i = 0; a && i < r->nlevels; i++)
        json_array_append_new(a, json_pack("[ss]", r->levels[i].name, r->levels[i].zh));
    *out = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    return *out ? ZN_OK : nomem(err);
}

static zn_status rules_json_text(const zn_zone_rules *r, int missing, const char *within, char **out, zn_error *err)
{
    json_t *o = json_object();
    json_t *lv = json_array(), *tr = json_array(), *ev = json_object();
    if (!o || !lv || !tr || !ev) {
        json_decref(o);
        json_decref(lv);
        json_decref(tr);
        json_decref(ev);
        return nomem(err);
    }
    for (int i = 0; i < r->nlevels; i++)
        json_array_append_new(lv, json_pack("{ssss}", "name", r->levels[i].name, "zh", r->levels[i].zh));
    for (int i = 0; i < r->ntransitions; i++) {
        const zn_zone_transition *t = &r->transitions[i];
        json_t *tj = json_pack("{sssssisi}", "from", zn_zone_rules_level_name(r, t->from), "to",
                               zn_zone_rules_level_name(r, t->to), "quiet_days", t->quiet_days, "via", (int)t->via);
        if (tj && t->requires_test) {
            json_object_set_new(tj, "requires", json_string("negative_test"));
            json_object_set_new(tj, "test_window_days", json_integer(t->test_window_days));
        }
        json_array_append_new(tr, tj);
    }
    for (int k = 0; k < ZN_ZONE_EV_COUNT; k++)
        if (r->event_level[k] != ZN_ZONE_NONE || r->event_clock[k])
            json_object_set_new(ev, zn_zone_event_kind_name((zn_zone_event_kind)k),
                                json_pack("{sssb}", "level", zn_zone_rules_level_name(r, r->event_level[k]), "clock",
                                          r->event_clock[k]));
    json_object_set_new(o, "name", json_string(r->name));
    json_object_set_new(o, "unit_level", json_string(r->unit_level));
    json_object_set_new(o, "grid_m", json_integer(r->grid_m));
    json_object_set_new(o, "buffer_m", json_real(r->buffer_m));
    json_object_set_new(o, "levels", lv);
    json_object_set_new(o, "floor", json_string(zn_zone_rules_level_name(r, r->floor)));
    json_object_set_new(o, "floor_scope", json_integer(r->floor_scope));
    json_object_set_new(o, "events", ev);
    json_object_set_new(o, "transitions", tr);
    json_object_set_new(o, "isolated_cases", json_boolean(r->isolated_cases));
    json_object_set_new(o, "missing", json_string(missing == ZN_ZONE_MISSING_QUIET ? "quiet" : "pause"));
    json_object_set_new(o, "within", json_string(within ? within : ""));
    *out = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return *out ? ZN_OK : nomem(err);
}

static void bind_day(zn_stmt *s, int i, int32_t day)
{
    char b[16];
    if (day == ZN_ZONE_NO_DAY)
        zn_stmt_bind_null(s, i);
    else
        zn_stmt_bind_text(s, i, zn_zone_day_format(day, b, sizeof b));
}

/* Delete the stored run of `rules` over the area `within` (a code prefix, "" = every unit), if any:
 * one run is kept per (rule set, area) (zone_run_area, migration 8). */
static zn_status delete_run(zn_store *st, const char *rules, const char *within, zn_error *err)
{
    static const char *sql[] = {
        "DELETE FROM zone_period WHERE run_id IN (SELECT id FROM zone_run WHERE rules = ?1 AND within_prefix = ?2)",
        "DELETE FROM zone_day WHERE run_id IN (SELECT id FROM zone_run WHERE rules = ?1 AND within_prefix = ?2)",
        "DELETE FROM zone_run WHERE rules = ?1 AND within_prefix = ?2",
    };
    zn_status s = ZN_OK;
    for (size_t i = 0; s == ZN_OK && i < sizeof sql / sizeof sql[0]; i++) {
        zn_stmt *q;
        if ((s = zn_stmt_prepare(st, sql[i], &q, err)) != ZN_OK)
            break;
        zn_stmt_bind_text(q, 1, rules);
        zn_stmt_bind_text(q, 2, within);
        s = zn_stmt_step(q, NULL, err);
        zn_stmt_finalize(q);
    }
    return s;
}

/* `within`: the run's area as a code prefix ("" = every unit). */
static zn_status write_run(zn_store *st, const zn_zone_rules *r, const zn_zone_run_opts *o, const char *within,
                           const run_input *ri, const zn_zone_result *res, int64_t *run_id, zn_error *err)
{
    char *lv = NULL, *rj = NULL;
    zn_stmt *ins = NULL;
    int64_t next_id = 0;
    zn_status s = levels_json(r, &lv, err);
    if (s == ZN_OK)
        s = rules_json_text(r, res->missing, o->within, &rj, err);
    /* a new id above every stored run's, even the one replaced: "latest" is the largest id, and a
     * reader that watches MAX(id) sees a re-run */
    if (s == ZN_OK)
        s = zn_store_query_int64(st, "SELECT COALESCE(MAX(id), 0) + 1 FROM zone_run", &next_id, err);
    if (s == ZN_OK)
        s = delete_run(st, r->name, within, err);
    if (s == ZN_OK)
        s = zn_stmt_prepare(st,
                            "INSERT INTO zone_run (id, rules, title, from_date, to_date, unit_kind, missing, buffer_m,"
                            " levels, rules_json, units, events, created_at, within_prefix, title_zh)"
                            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                            &ins, err);
    if (s == ZN_OK) {
        zn_stmt_bind_int64(ins, 1, next_id);
        zn_stmt_bind_text(ins, 14, within);
        zn_stmt_bind_text(ins, 2, r->name);
        zn_stmt_bind_text(ins, 3, r->title);
        zn_stmt_bind_text(ins, 15, r->title_zh);
        bind_day(ins, 4, o->from);
        bind_day(ins, 5, o->to);
        zn_stmt_bind_text(ins, 6, zn_zone_unit_kind_name(r->unit_kind));
        zn_stmt_bind_text(ins, 7, res->missing == ZN_ZONE_MISSING_QUIET ? "quiet" : "pause");
        zn_stmt_bind_double(ins, 8, r->buffer_m);
        zn_stmt_bind_text(ins, 9, lv);
        zn_stmt_bind_text(ins, 10, rj);
        zn_stmt_bind_int64(ins, 11, (int64_t)ri->units.n);
        zn_stmt_bind_int64(ins, 12, (int64_t)ri->nevents);
        zn_stmt_bind_int64(ins, 13, zn_ctx_now(zn_store_ctx(st)));
        s = zn_stmt_step(ins, NULL, err);
        *run_id = next_id;
    }
    zn_stmt_finalize(ins);
    ins = NULL;
    free(lv);
    free(rj);
    if (s == ZN_OK)
        s = zn_stmt_prepare(st,
                            "INSERT INTO zone_period (run_id, unit_id, level, level_rank, entered, valid_from, valid_to,"
                            " due, anchor, cause, override_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                            &ins, err);
    for (size_t i = 0; s == ZN_OK && i < res->nperiods; i++) {
        const zn_zone_period *p = &res->periods[i];
        zn_stmt_reset(ins);
        zn_stmt_bind_int64(ins, 1, *run_id);
        zn_stmt_bind_int64(ins, 2, ri->units.ids[p->unit]);
        zn_stmt_bind_text(ins, 3, zn_zone_rules_level_name(r, p->level));
        zn_stmt_bind_int64(ins, 4, p->level == ZN_ZONE_NONE ? r->nlevels : p->level);
        bind_day(ins, 5, p->entered);
        bind_day(ins, 6, p->from);
        bind_day(ins, 7, p->to);
        bind_day(ins, 8, p->due);
        bind_day(ins, 9, p->anchor);
        zn_stmt_bind_text(ins, 10, zn_zone_cause_name((zn_zone_cause)p->cause));
        if (p->override_id)
            zn_stmt_bind_int64(ins, 11, p->override_id);
        else
            zn_stmt_bind_null(ins, 11);
        s = zn_stmt_step(ins, NULL, err);
    }
    zn_stmt_finalize(ins);
    ins = NULL;
    if (s == ZN_OK)
        s = zn_stmt_prepare(st,
                            "INSERT INTO zone_day (run_id, date, known, level, level_rank, units, population,"
                            " population_units, events) VALUES (?,?,?,?,?,?,?,?,?)",
                            &ins, err);
    for (int d = 0; s == ZN_OK && d < res->ndays; d++)
        for (int l = 0; s == ZN_OK && l <= r->nlevels; l++) {
            size_t c = (size_t)d * (size_t)(r->nlevels + 1) + (size_t)l;
            zn_stmt_reset(ins);
            zn_stmt_bind_int64(ins, 1, *run_id);
            bind_day(ins, 2, res->from + d);
            zn_stmt_bind_int64(ins, 3, res->known[d]);
            zn_stmt_bind_text(ins, 4, zn_zone_rules_level_name(r, l == r->nlevels ? ZN_ZONE_NONE : l));
            zn_stmt_bind_int64(ins, 5, l);
            zn_stmt_bind_int64(ins, 6, res->units[c]);
            zn_stmt_bind_int64(ins, 7, res->population[c]);
            zn_stmt_bind_int64(ins, 8, res->population_units[c]);
            zn_stmt_bind_int64(ins, 9, res->events[d]);
            s = zn_stmt_step(ins, NULL, err);
        }
    zn_stmt_finalize(ins);
    return s;
}

zn_status zn_zone_run(zn_store *st, const zn_zone_rules *rules, const zn_zone_run_opts *opts,
                      zn_zone_run_summary *out, zn_zone_result *keep, zn_error *err)
{
    if (!st || !rules || !opts)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    if (opts->from > opts->to || (int64_t)opts->to - opts->from >= 100000)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "bad day range");
    double t0 = mono_s();
    run_input ri = {0};
    zn_zone_result res = {0};
    int have_cases = 0;
    int64_t derived = 0;
    zn_status s = zn_store_table_exists(st, "case_residence", &have_cases, err);
    if (s == ZN_OK && rules->unit_kind == ZN_ZONE_UNIT_BUILDING) {
        /* building units follow the listed addresses */
        if ((s = zn_store_begin(st, err)) == ZN_OK) {
            s = zn__zone_buildings(st, &ri.addr_map, &ri.naddr_map, &derived, err);
            s = s == ZN_OK ? zn_store_commit(st, err) : (zn_store_rollback(st), s);
        }
    } else if (s == ZN_OK && rules->unit_kind != ZN_ZONE_UNIT_PLACE) {
        /* coarser units follow the place units (and the rule's grid size) */
        if ((s = zn_store_begin(st, err)) == ZN_OK) {
            s = zn__zone_derive(st, rules->unit_kind, rules->grid_m, &derived, err);
            s = s == ZN_OK ? zn_store_commit(st, err) : (zn_store_rollback(st), s);
        }
    }
    char within[13] = "";
    if (opts->within && *opts->within) {
        code_prefix(opts->within, within);
        if (!within[0])
            s = s != ZN_OK ? s : zn_error_set(err, ZN_EINVAL, NULL, 0, "within", "'%s' is not a division code", opts->within);
    }
    if (s == ZN_OK)
        s = load_units(st, rules, within, &ri, err);
    if (s == ZN_OK && ri.units.n == 0)
        s = zn_error_set(err, ZN_ENOTFOUND, NULL, 0, NULL,
                         "no %s units in the store (zhinao zones units builds them from the lists)",
                         zn_zone_unit_kind_name(rules->unit_kind));
    if (s == ZN_OK)
        s = load_place_map(st, rules, within, &ri, err);
    if (s == ZN_OK)
        s = load_events(st, rules, opts, within, &ri, have_cases, err);
    if (s == ZN_OK)
        s = load_unknown(st, opts, &ri, have_cases, err);
    if (s == ZN_OK) {
        zn_zone_input in = {.nunits = ri.units.n,
                            .unit_county = ri.county,
                            .unit_population = ri.population,
                            .events = ri.events,
                            .nevents = ri.nevents,
                            .overrides = ri.overrides,
                            .noverrides = ri.noverrides,
                            .unknown_days = ri.unknown,
                            .nunknown = ri.nunknown,
                            .from = opts->from,
                            .to = opts->to,
                            .missing = opts->missing};
        s = zn_zone_evaluate(rules, &in, &res, err);
    }
    int64_t run_id = 0;
    if (s == ZN_OK && (s = zn_store_begin(st, err)) == ZN_OK) {
        s = write_run(st, rules, opts, within, &ri, &res, &run_id, err);
        s = s == ZN_OK ? zn_store_commit(st, err) : (zn_store_rollback(st), s);
    }
    if (s == ZN_OK && out) {
        memset(out, 0, sizeof *out);
        out->run_id = run_id;
        out->units = (int64_t)ri.units.n;
        out->events = (int64_t)ri.nevents;
        out->unmapped = ri.unmapped;
        out->outside = ri.outside;
        out->overrides = (int64_t)ri.noverrides;
        out->unknown_days = (int64_t)ri.nunknown;
        out->periods = (int64_t)res.nperiods;
        out->seconds = mono_s() - t0;
    }
    run_input_fini(&ri);
    if (s == ZN_OK && keep)
        *keep = res;
    else
        zn_zone_result_fini(&res);
    return s;
}

/* ---- reading back ---- */

/* The rule set and days of stored run `run_id`. ZN_ENOTFOUND when there is no such run. */
static zn_status run_bounds(zn_store *st, int64_t run_id, char rules[64], char from[11], char to[11], zn_error *err)
{
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(st, "SELECT rules, from_date, to_date FROM zone_run WHERE id = ?", &q, err);
    if (s != ZN_OK)
        return s;
    zn_stmt_bind_int64(q, 1, run_id);
    int row = 0;
    s = zn_stmt_step(q, &row, err);
    if (s == ZN_OK && row) {
        snprintf(rules, 64, "%s", zn_stmt_column_text(q, 0));
        snprintf(from, 11, "%s", zn_stmt_column_text(q, 1));
        snprintf(to, 11, "%s", zn_stmt_column_text(q, 2));
    }
    zn_stmt_finalize(q);
    if (s == ZN_OK && !row)
        s = zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "run", "no stored zone run #%lld", (long long)run_id);
    return s;
}

#define ROW_COLUMNS                                                                                                   \
    "SELECT u.key, u.name, p.level, p.entered, p.valid_from, p.valid_to, COALESCE(p.due, ''), p.cause,"              \
    " COALESCE(p.override_id, 0), COALESCE(o.reason, ''), u.lon, u.lat, u.population"                               \
    " FROM zone_period p JOIN zone_unit u ON u.id = p.unit_id LEFT JOIN zone_override o ON o.id = p.override_id"

static zn_status emit_rows(zn_stmt *q, zn_zone_row_fn fn, void *user, int64_t *count, zn_error *err)
{
    int row = 0;
    zn_status s;
    *count = 0;
    while ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row) {
        zn_zone_row r = {.key = zn_stmt_column_text(q, 0),
                         .name = zn_stmt_column_text(q, 1),
                         .level = zn_stmt_column_text(q, 2),
                         .entered = zn_stmt_column_text(q, 3),
                         .from = zn_stmt_column_text(q, 4),
                         .to = zn_stmt_column_text(q, 5),
                         .due = zn_stmt_column_text(q, 6),
                         .cause = zn_stmt_column_text(q, 7),
                         .override_id = zn_stmt_column_int64(q, 8),
                         .reason = zn_stmt_column_text(q, 9),
                         .lon = zn_stmt_column_is_null(q, 10) ? NAN : zn_stmt_column_double(q, 10),
                         .lat = zn_stmt_column_is_null(q, 11) ? NAN : zn_stmt_column_double(q, 11),
                         .population = zn_stmt_column_is_null(q, 12) ? -1 : zn_stmt_column_int64(q, 12)};
        (*count)++;
        if (fn && fn(user, &r))
            break;
    }
    return s;
}

zn_status zn_zone_map_run(zn_store *st, int64_t run_id, int32_t day, const char *level, zn_zone_row_fn fn, void *user,
                          zn_error *err)
{
    int64_t n;
    char rules[64] = "", from[11] = "", to[11] = "", d[16];
    if (!st)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    zn_status s = run_bounds(st, run_id, rules, from, to, err);
    if (s != ZN_OK)
        return s;
    zn_zone_day_format(day, d, sizeof d);
    if (strcmp(d, from) < 0 || strcmp(d, to) > 0)
        return zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "date", "%s is outside the stored run of %s (%s .. %s)", d,
                            rules, from, to);
    zn_stmt *q;
    s = zn_stmt_prepare(st,
                        level ? ROW_COLUMNS " WHERE p.run_id = ? AND p.valid_from <= ? AND p.valid_to >= ? AND p.level = ?"
                                            " ORDER BY p.level_rank, u.key"
                              : ROW_COLUMNS " WHERE p.run_id = ? AND p.valid_from <= ? AND p.valid_to >= ?"
                                            " ORDER BY p.level_rank, u.key",
                        &q, err);
    if (s != ZN_OK)
        return s;
    zn_stmt_bind_int64(q, 1, run_id);
    zn_stmt_bind_text(q, 2, d);
    zn_stmt_bind_text(q, 3, d);
    if (level)
        zn_stmt_bind_text(q, 4, level);
    s = emit_rows(q, fn, user, &n, err);
    zn_stmt_finalize(q);
    return s;
}

zn_status zn_zone_map(zn_store *st, const char *rules, int32_t day, const char *level, zn_zone_row_fn fn, void *user,
                      zn_error *err)
{
    int64_t run_id;
    if (!st || !rules)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    zn_status s = zn__zone_run_id(st, rules, &run_id, err);
    return s == ZN_OK ? zn_zone_map_run(st, run_id, day, level, fn, user, err) : s;
}

zn_status zn_zone_history_run(zn_store *st, int64_t run_id, const char *unit_key, zn_zone_row_fn fn, void *user,
                              zn_error *err)
{
    int64_t n = 0;
    char rules[64] = "", from[11], to[11];
    if (!st || !unit_key)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    zn_status s = run_bounds(st, run_id, rules, from, to, err);
    if (s != ZN_OK)
        return s;
    zn_stmt *q;
    if ((s = zn_stmt_prepare(st, ROW_COLUMNS " WHERE p.run_id = ? AND u.key = ? ORDER BY p.valid_from", &q, err)) !=
        ZN_OK)
        return s;
    zn_stmt_bind_int64(q, 1, run_id);
    zn_stmt_bind_text(q, 2, unit_key);
    s = emit_rows(q, fn, user, &n, err);
    zn_stmt_finalize(q);
    if (s == ZN_OK && n == 0)
        s = zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "unit", "no history of unit '%s' in the run of %s", unit_key, rules);
    return s;
}

zn_status zn_zone_history(zn_store *st, const char *rules, const char *unit_key, zn_zone_row_fn fn, void *user,
                          zn_error *err)
{
    int64_t run_id;
    if (!st || !rules || !unit_key)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    zn_status s = zn__zone_run_id(st, rules, &run_id, err);
    return s == ZN_OK ? zn_zone_history_run(st, run_id, unit_key, fn, user, err) : s;
}

zn_status zn_zone_days_run(zn_store *st, int64_t run_id, zn_zone_day_fn fn, void *user, zn_error *err)
{
    char rules[64], from[11], to[11];
    if (!st || !fn)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    zn_status s = run_bounds(st, run_id, rules, from, to, err);
    if (s != ZN_OK)
        return s;
    zn_stmt *q;
    if ((s = zn_stmt_prepare(st,
                             "SELECT date, known, level, units, population, population_units FROM zone_day"
                             " WHERE run_id = ? ORDER BY date, level_rank",
                             &q, err)) != ZN_OK)
        return s;
    zn_stmt_bind_int64(q, 1, run_id);
    int row = 0;
    while ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row)
        if (fn(user, zn_stmt_column_text(q, 0), (int)zn_stmt_column_int64(q, 1), zn_stmt_column_text(q, 2),
               zn_stmt_column_int64(q, 3), zn_stmt_column_int64(q, 4), zn_stmt_column_int64(q, 5)))
            break;
    zn_stmt_finalize(q);
    return s;
}

zn_status zn_zone_days(zn_store *st, const char *rules, zn_zone_day_fn fn, void *user, zn_error *err)
{
    int64_t run_id;
    if (!st || !rules || !fn)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    zn_status s = zn__zone_run_id(st, rules, &run_id, err);
    return s == ZN_OK ? zn_zone_days_run(st, run_id, fn, user, err) : s;
}
