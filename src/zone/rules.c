/* Zone rule sets as data: data/rules/<name>.json (format in docs/zones.md). */
#include "zone_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

void zn__zone_path(char *buf, size_t n, const char *parent, const char *key, long index)
{
    if (index >= 0)
        snprintf(buf, n, "%s%s%s[%ld]", parent ? parent : "", parent && *parent && key ? "." : "", key ? key : "",
                 index);
    else
        snprintf(buf, n, "%s%s%s", parent ? parent : "", parent && *parent ? "." : "", key ? key : "");
}

zn_status zn__zone_read_file(const char *path, char **out, zn_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot open: %s", strerror(errno));
    zn_buf b = {0};
    char chunk[8192];
    size_t n;
    zn_status s = ZN_OK;
    while (s == ZN_OK && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        s = zn_buf_append(&b, chunk, n);
    int bad = ferror(f);
    fclose(f);
    if (s == ZN_OK && bad)
        s = zn_error_set(err, ZN_EIO, path, 0, NULL, "read error");
    else if (s == ZN_OK && !b.data)
        s = zn_buf_append(&b, "", 0);
    if (s != ZN_OK) {
        zn_buf_fini(&b);
        return s == ZN_ENOMEM ? zn_error_set(err, ZN_ENOMEM, path, 0, NULL, "out of memory") : s;
    }
    *out = b.data;
    return ZN_OK;
}

static const char *EVENT_NAMES[ZN_ZONE_EV_COUNT] = {"case", "place", "exposure", "contact", "test_negative"};

const char *zn_zone_event_kind_name(zn_zone_event_kind k)
{
    return (unsigned)k < ZN_ZONE_EV_COUNT ? EVENT_NAMES[k] : "unknown";
}

zn_status zn_zone_event_kind_parse(const char *name, zn_zone_event_kind *out)
{
    for (int i = 0; name && i < ZN_ZONE_EV_COUNT; i++)
        if (!strcmp(name, EVENT_NAMES[i])) {
            *out = (zn_zone_event_kind)i;
            return ZN_OK;
        }
    return ZN_EINVAL;
}

const char *zn_zone_unit_kind_name(zn_zone_unit_kind k)
{
    static const char *names[] = {"place", "grid", "township", "county", "building"};
    return (unsigned)k < 5 ? names[k] : "unknown";
}

zn_status zn_zone_unit_kind_parse(const char *level, zn_zone_unit_kind *out)
{
    static const struct {
        const char *name;
        zn_zone_unit_kind kind;
    } map[] = {{"place", ZN_ZONE_UNIT_PLACE},       {"compound", ZN_ZONE_UNIT_PLACE}, {"building", ZN_ZONE_UNIT_BUILDING},
               {"village", ZN_ZONE_UNIT_PLACE},     {"household", ZN_ZONE_UNIT_PLACE}, {"grid", ZN_ZONE_UNIT_GRID},
               {"township", ZN_ZONE_UNIT_TOWNSHIP}, {"county", ZN_ZONE_UNIT_COUNTY},  {"district", ZN_ZONE_UNIT_COUNTY}};
    for (size_t i = 0; level && i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(level, map[i].name)) {
            *out = map[i].kind;
            return ZN_OK;
        }
    return ZN_EINVAL;
}

int zn_zone_rules_level(const zn_zone_rules *r, const char *name)
{
    if (!r || !name)
        return -2;
    if (!strcmp(name, "none"))
        return ZN_ZONE_NONE;
    for (int i = 0; i < r->nlevels; i++)
        if (!strcmp(r->levels[i].name, name))
            return i;
    return -2;
}

const char *zn_zone_rules_level_name(const zn_zone_rules *r, int level)
{
    if (level == ZN_ZONE_NONE)
        return "none";
    if (!r || level < 0 || level >= r->nlevels)
        return "?";
    return r->levels[level].name;
}

/* ---- parsing ---- */

typedef struct parser {
    const char *origin;
    zn_error *err;
} parser;

static zn_status bad(parser *p, zn_status code, const char *field, const char *fmt, const char *what)
{
    return zn_error_set(p->err, code, p->origin, 0, field, fmt, what);
}

static zn_status get_string(parser *p, json_t *obj, const char *key, const char *path, int required, char *dst,
                            size_t n)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required)
            return bad(p, ZN_EPARSE, path, "missing string '%s'", key);
        dst[0] = 0;
        return ZN_OK;
    }
    if (!json_is_string(v))
        return bad(p, ZN_EPARSE, path, "'%s' must be a string", key);
    if (strlen(json_string_value(v)) >= n)
        return bad(p, ZN_EPARSE, path, "'%s' is too long", key);
    snprintf(dst, n, "%s", json_string_value(v));
    return ZN_OK;
}

static zn_status level_ref(parser *p, const zn_zone_rules *r, json_t *obj, const char *key, const char *path,
                           int allow_none, int *out)
{
    char name[64];
    zn_status s = get_string(p, obj, key, path, 1, name, sizeof name);
    if (s != ZN_OK)
        return s;
    int l = zn_zone_rules_level(r, name);
    if (l == -2 || (l == ZN_ZONE_NONE && !allow_none))
        return zn_error_set(p->err, ZN_EVALIDATE, p->origin, 0, path, "'%s' is not a level of these rules", name);
    *out = l;
    return ZN_OK;
}

static zn_status parse_root(parser *p, json_t *root, zn_zone_rules *r)
{
    char path[128];
    zn_status s;
    if (!json_is_object(root))
        return bad(p, ZN_EPARSE, "", "%s", "a rule set must be a JSON object");
    if ((s = get_string(p, root, "name", "name", 1, r->name, sizeof r->name)) != ZN_OK)
        return s;
    if ((s = get_string(p, root, "title", "title", 0, r->title, sizeof r->title)) != ZN_OK)
        return s;
    if ((s = get_string(p, root, "title_zh", "title_zh", 0, r->title_zh, sizeof r->title_zh)) != ZN_OK)
        return s;
    json_t *inf = json_object_get(root, "in_force");
    if (json_is_object(inf)) {
        if ((s = get_string(p, inf, "from", "in_force.from", 0, r->in_force_from, sizeof r->in_force_from)) != ZN_OK ||
            (s = get_string(p, inf, "to", "in_force.to", 0, r->in_force_to, sizeof r->in_force_to)) != ZN_OK)
            return s;
    }

    /* unit */
    json_t *unit = json_object_get(root, "unit");
    if (!json_is_object(unit))
        return bad(p, ZN_EPARSE, "unit", "%s", "missing object 'unit'");
    if ((s = get_string(p, unit, "level", "unit.level", 1, r->unit_level, sizeof r->unit_level)) != ZN_OK)
        return s;
    if (zn_zone_unit_kind_parse(r->unit_level, &r->unit_kind) != ZN_OK)
        return zn_error_set(p->err, ZN_EVALIDATE, p->origin, 0, "unit.level", "unknown unit level '%s'", r->unit_level);
    json_t *v = json_object_get(unit, "buffer_m");
    r->buffer_m = 100;
    if (v) {
        if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 100000)
            return bad(p, ZN_EPARSE, "unit.buffer_m", "%s", "buffer_m must be a number of metres, 0 .. 100000");
        r->buffer_m = json_number_value(v);
    }
    v = json_object_get(unit, "cell_m");
    r->grid_m = 800;
    if (v) {
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 1000000)
            return bad(p, ZN_EPARSE, "unit.cell_m", "%s", "cell_m must be an integer 1 .. 1000000");
        r->grid_m = (int32_t)json_integer_value(v);
    }

    /* levels */
    json_t *levels = json_object_get(root, "levels");
    if (!json_is_array(levels) || json_array_size(levels) == 0)
        return bad(p, ZN_EPARSE, "levels", "%s", "'levels' must be a non-empty array");
    if (json_array_size(levels) > ZN_ZONE_MAX_LEVELS)
        return bad(p, ZN_EVALIDATE, "levels", "%s", "more than 6 levels");
    size_t i;
    json_t *lv;
    json_array_foreach(levels, i, lv)
    {
        zn__zone_path(path, sizeof path, "levels", NULL, (long)i);
        if (!json_is_object(lv))
            return bad(p, ZN_EPARSE, path, "%s", "a level must be an object");
        zn_zone_level *L = &r->levels[i];
        if ((s = get_string(p, lv, "name", path, 1, L->name, sizeof L->name)) != ZN_OK ||
            (s = get_string(p, lv, "zh", path, 0, L->zh, sizeof L->zh)) != ZN_OK)
            return s;
        if (!strcmp(L->name, "none") || zn_zone_rules_level(r, L->name) >= 0)
            return zn_error_set(p->err, ZN_EVALIDATE, p->origin, 0, path, "level '%s' named twice or reserved",
                                L->name);
        r->nlevels = (int)i + 1;
    }

    /* floor */
    r->floor = ZN_ZONE_NONE;
    r->floor_scope = ZN_ZONE_SCOPE_NONE;
    json_t *floor = json_object_get(root, "floor");
    if (floor && !json_is_null(floor)) {
        if (!json_is_object(floor))
            return bad(p, ZN_EPARSE, "floor", "%s", "'floor' must be an object");
        if ((s = level_ref(p, r, floor, "level", "floor.level", 0, &r->floor)) != ZN_OK)
            return s;
        char scope[32];
        if ((s = get_string(p, floor, "scope", "floor.scope", 1, scope, sizeof scope)) != ZN_OK)
            return s;
        if (!strcmp(scope, "registry"))
            r->floor_scope = ZN_ZONE_SCOPE_REGISTRY;
        else if (!strcmp(scope, "county"))
            r->floor_scope = ZN_ZONE_SCOPE_COUNTY;
        else
            return zn_error_set(p->err, ZN_EVALIDATE, p->origin, 0, "floor.scope",
                                "scope '%s' is not registry or county", scope);
    }

    /* events */
    for (int k = 0; k < ZN_ZONE_EV_COUNT; k++) {
        r->event_level[k] = ZN_ZONE_NONE;
        r->event_clock[k] = 0;
    }
    json_t *events = json_object_get(root, "events");
    if (!json_is_object(events))
        return bad(p, ZN_EPARSE, "events", "%s", "missing object 'events'");
    const char *key;
    json_t *ev;
    json_object_foreach(events, key, ev)
    {
        zn__zone_path(path, sizeof path, "events", key, -1);
        zn_zone_event_kind kind;
        if (zn_zone_event_kind_parse(key, &kind) != ZN_OK)
            return zn_error_set(p->err, ZN_EVALIDATE, p->origin, 0, path,
                                "unknown event kind '%s' (case, place, exposure, contact, test_negative)", key);
        if (!json_is_object(ev))
            return bad(p, ZN_EPARSE, path, "%s", "an event rule must be an object");
        if (json_object_get(ev, "level")) {
            if ((s = level_ref(p, r, ev, "level", path, 0, &r->event_level[kind])) != ZN_OK)
                return s;
            if (!zn__zone_raised(r, r->event_level[kind]))
                return zn_error_set(p->err, ZN_EVALIDATE, p->origin, 0, path,
                                    "an event must raise a unit above the floor level");
        }
        json_t *c = json_object_get(ev, "clock");
        if (c) {
            if (!json_is_boolean(c))
                return bad(p, ZN_EPARSE, path, "%s", "'clock' must be true or false");
            r->event_clock[kind] = json_is_true(c);
        }
        if (kind == ZN_ZONE_EV_TEST_NEGATIVE && (r->event_level[kind] != ZN_ZONE_NONE || r->event_clock[kind]))
            return zn_error_set(p->err, ZN_EVALIDATE, p->origin, 0, path,
                                "a negative test round neither raises a unit nor restarts its clock");
        if (r->event_level[kind] == ZN_ZONE_NONE && !r->event_clock[kind] && kind != ZN_ZONE_EV_TEST_NEGATIVE)
            return bad(p, ZN_EPARSE, path, "%s", "an event rule needs 'level' or \"clock\": true");
    }

    /* transitions */
    json_t *trans = json_object_get(root, "transitions");
    if (!json_is_array(trans))
        return bad(p, ZN_EPARSE, "transitions", "%s", "missing array 'transitions'");
    if (json_array_size(trans) > ZN_ZONE_MAX_TRANSITIONS)
        return bad(p, ZN_EVALIDATE, "transitions", "%s", "more than 16 transitions");
    json_t *tr;
    json_array_foreach(trans, i, tr)
    {
        zn__zone_path(path, sizeof path, "transitions", NULL, (long)i);
        if (!json_is_object(tr))
            return bad(p, ZN_EPARSE, path, "%s", "a transition must be an object");
        zn_zone_transition *t = &r->transitions[i];
        if ((s = level_ref(p, r, tr, "from", path, 0, &t->from)) != ZN_OK ||
            (s = level_ref(p, r, tr, "to", path, 1, &t->to)) != ZN_OK)
            return s;
        if (!zn__zone_raised(r, t->from) || (t->to != ZN_ZONE_NONE && t->to <= t->from))
            return zn_error_set(p->err, ZN_EVALIDATE, p->origin, 0, path,
                                "a transition goes down from a level above the floor");
        char pq[160];
        zn__zone_path(pq, sizeof pq, path, "quiet_days", -1);
        json_t *q = json_object_get(tr, "quiet_days");
        if (!json_is_integer(q) || json_integer_value(q) < 1 || json_integer_value(q) > 3650)
            return bad(p, ZN_EPARSE, pq, "%s", "quiet_days must be an integer 1 .. 3650");
        t->quiet_days = (int)json_integer_value(q);
        char via[32];
        if ((s = get_string(p, tr, "via", path, 0, via, sizeof via)) != ZN_OK)
            return s;
        if (!via[0] || !strcmp(via, "any"))
            t->via = ZN_ZONE_VIA_ANY;
        else if (!strcmp(via, "event"))
            t->via = ZN_ZONE_VIA_EVENT;
        else if (!strcmp(via, "transition"))
            t->via = ZN_ZONE_VIA_TRANSITION;
        else
            return zn_error_set(p->err, ZN_EVALIDATE, p->origin, 0, path, "via '%s' is not event or transition", via);
        char req[32];
        if ((s = get_string(p, tr, "requires", path, 0, req, sizeof req)) != ZN_OK)
            return s;
        t->requires_test = 0;
        t->test_window_days = 0;
        if (!strcmp(req, "negative_test"))
            t->requires_test = 1;
        else if (req[0])
            return zn_error_set(p->err, ZN_EVALIDATE, p->origin, 0, path, "requires '%s' is not negative_test", req);
        json_t *w = json_object_get(tr, "test_window_days");
        if (w) {
            char pw[160];
            zn__zone_path(pw, sizeof pw, path, "test_window_days", -1);
            if (!t->requires_test)
                return zn_error_set(p->err, ZN_EVALIDATE, p->origin, 0, pw,
                                    "test_window_days without \"requires\": \"negative_test\"");
            if (!json_is_integer(w) || json_integer_value(w) < 0 || json_integer_value(w) > 3650)
                return bad(p, ZN_EPARSE, pw, "%s", "test_window_days must be an integer 0 .. 3650");
            t->test_window_days = (int)json_integer_value(w);
        }
        r->ntransitions = (int)i + 1;
    }

    /* reset, missing days */
    r->isolated_cases = 1;
    json_t *reset = json_object_get(root, "reset");
    if (json_is_object(reset) && json_object_get(reset, "isolated_cases")) {
        json_t *b = json_object_get(reset, "isolated_cases");
        if (!json_is_boolean(b))
            return bad(p, ZN_EPARSE, "reset.isolated_cases", "%s", "must be true or false");
        r->isolated_cases = json_is_true(b);
    }
    r->missing = ZN_ZONE_MISSING_PAUSE;
    json_t *md = json_object_get(root, "missing_days");
    if (md) {
        json_t *mv = json_is_object(md) ? json_object_get(md, "value") : md;
        const char *m = json_is_string(mv) ? json_string_value(mv) : "";
        if (!strcmp(m, "pause"))
            r->missing = ZN_ZONE_MISSING_PAUSE;
        else if (!strcmp(m, "quiet"))
            r->missing = ZN_ZONE_MISSING_QUIET;
        else
            return bad(p, ZN_EPARSE, "missing_days", "%s", "missing_days must be \"pause\" or \"quiet\"");
    }
    return ZN_OK;
}

zn_status zn_zone_rules_parse(const char *json_text, const char *origin, zn_zone_rules *out, zn_error *err)
{
    if (!json_text || !out)
        return zn_error_set(err, ZN_EINVAL, origin, 0, NULL, "NULL argument");
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *root = json_loads(json_text, 0, &je);
    if (!root)
        return zn_error_set(err, ZN_EPARSE, origin, je.line, NULL, "not JSON: %s", je.text);
    parser p = {origin, err};
    zn_status s = parse_root(&p, root, out);
    json_decref(root);
    return s;
}

zn_status zn_zone_rules_load(const char *path, zn_zone_rules *out, zn_error *err)
{
    char *text;
    if (!path || !out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    zn_status s = zn__zone_read_file(path, &text, err);
    if (s != ZN_OK)
        return s;
    s = zn_zone_rules_parse(text, path, out, err);
    free(text);
    return s;
}

zn_status zn_zone_rules_find(const char *dir, const char *name, zn_zone_rules *out, zn_error *err)
{
    char path[2048];
    if (!dir || !name || !*name || strchr(name, '/'))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "bad rule set name");
    snprintf(path, sizeof path, "%s/%s.json", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return zn_error_set(err, ZN_ENOTFOUND, path, 0, NULL, "no rule set '%s' (zhinao zones rules lists them)", name);
    fclose(f);
    return zn_zone_rules_load(path, out, err);
}
