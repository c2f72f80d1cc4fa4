/*
 * Control-plan editions as data: data/plans/<name>.json -> zn_trace_plan.
 *
 * Every number is {"value": ..., "source": "..."}: a parameter without a non-empty source is a
 * validation error, so that a plan file cannot carry an unexplained constant.
 */
#include "trace_int.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

typedef struct plan_ctx {
    const char *path;
    zn_error *err;
} plan_ctx;

static zn_status bad(plan_ctx *c, const char *field, const char *msg)
{
    return zn_error_set(c->err, ZN_EVALIDATE, c->path, 0, field, "%s", msg);
}

/* The parameter object at parent[key] ({"value", "source"}), NULL after setting the error. */
static json_t *param(plan_ctx *c, json_t *parent, const char *key, const char *field)
{
    json_t *o = json_object_get(parent, key);
    if (!json_is_object(o)) {
        bad(c, field, "missing parameter (an object {\"value\": ..., \"source\": ...})");
        return NULL;
    }
    json_t *src = json_object_get(o, "source");
    if (!json_is_string(src) || json_string_length(src) == 0) {
        bad(c, field, "parameter without a source: every number needs a non-empty \"source\"");
        return NULL;
    }
    return o;
}

static zn_status get_int(plan_ctx *c, json_t *parent, const char *key, const char *field,
                         int64_t lo, int64_t hi, int64_t *out)
{
    json_t *o = param(c, parent, key, field);
    if (!o)
        return ZN_EVALIDATE;
    json_t *v = json_object_get(o, "value");
    if (!json_is_integer(v))
        return bad(c, field, "\"value\" must be an integer");
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi)
        return zn_error_set(c->err, ZN_EVALIDATE, c->path, 0, field, "value %lld out of range [%lld, %lld]",
                            (long long)x, (long long)lo, (long long)hi);
    *out = x;
    return ZN_OK;
}

static zn_status get_int32(plan_ctx *c, json_t *parent, const char *key, const char *field,
                           int64_t lo, int64_t hi, int *out)
{
    int64_t v;
    zn_status st = get_int(c, parent, key, field, lo, hi, &v);
    if (st == ZN_OK)
        *out = (int)v;
    return st;
}

static zn_status get_days(plan_ctx *c, json_t *parent, const char *key, const char *field, int *days,
                          int *n)
{
    json_t *o = param(c, parent, key, field);
    if (!o)
        return ZN_EVALIDATE;
    json_t *v = json_object_get(o, "value");
    if (!json_is_array(v) || json_array_size(v) > 16)
        return bad(c, field, "\"value\" must be an array of at most 16 day numbers");
    *n = 0;
    size_t i;
    json_t *d;
    json_array_foreach(v, i, d) {
        if (!json_is_integer(d) || json_integer_value(d) < 0 || json_integer_value(d) > 366)
            return bad(c, field, "day numbers must be integers in [0, 366]");
        days[(*n)++] = (int)json_integer_value(d);
    }
    return ZN_OK;
}

static zn_status get_bool(plan_ctx *c, json_t *o, const char *key, const char *field, int *out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_boolean(v))
        return bad(c, field, "must be true or false");
    *out = json_is_true(v);
    return ZN_OK;
}

#define TRY(x)                                                                                     \
    do {                                                                                           \
        zn_status st_ = (x);                                                                       \
        if (st_ != ZN_OK) {                                                                        \
            json_decref(root);                                                                     \
            return st_;                                                                            \
        }                                                                                          \
    } while (0)

zn_status zn_trace_plan_load(const char *path, zn_trace_plan *out, zn_error *err)
{
    if (!path || !out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    memset(out, 0, sizeof *out);
    struct stat sb;
    if (stat(path, &sb) != 0)
        return zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot read the plan file");
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root)
        return zn_error_set(err, ZN_EPARSE, path, je.line, NULL, "%s", je.text);
    plan_ctx c = {path, err};
    if (!json_is_object(root))
        TRY(bad(&c, NULL, "a plan is a JSON object"));
    json_t *name = json_object_get(root, "name"), *title = json_object_get(root, "title");
    if (!json_is_string(name) || json_string_length(name) == 0 || json_string_length(name) >= sizeof out->name)
        TRY(bad(&c, "name", "a non-empty string of at most 63 bytes"));
    snprintf(out->name, sizeof out->name, "%s", json_string_value(name));
    if (json_is_string(title))
        snprintf(out->title, sizeof out->title, "%s", json_string_value(title));

    json_t *tr = json_object_get(root, "trace");
    if (!json_is_object(tr))
        TRY(bad(&c, "trace", "missing object {close, secondary, general, companion, source}"));
    json_t *tsrc = json_object_get(tr, "source");
    if (!json_is_string(tsrc) || json_string_length(tsrc) == 0)
        TRY(bad(&c, "trace", "parameter without a source"));
    TRY(get_bool(&c, tr, "close", "trace.close", &out->trace_close));
    TRY(get_bool(&c, tr, "secondary", "trace.secondary", &out->trace_secondary));
    TRY(get_bool(&c, tr, "general", "trace.general", &out->trace_general));
    TRY(get_bool(&c, tr, "companion", "trace.companion", &out->trace_companion));

    TRY(get_int32(&c, root, "lookback_days", "lookback_days", 0, 60, &out->lookback_days));
    TRY(get_int(&c, root, "min_overlap_s", "min_overlap_s", 1, 86400, &out->min_overlap_s));
    json_t *sw = param(&c, root, "secondary_window", "secondary_window");
    if (!sw)
        TRY(ZN_EVALIDATE);
    const char *swv = json_string_value(json_object_get(sw, "value"));
    if (swv && !strcmp(swv, "none"))
        out->secondary_window = ZN_SECWIN_NONE;
    else if (swv && !strcmp(swv, "from_first_exposure_until_isolation"))
        out->secondary_window = ZN_SECWIN_UNTIL_ISOLATION;
    else
        TRY(bad(&c, "secondary_window", "value must be \"none\" or \"from_first_exposure_until_isolation\""));
    if (out->trace_secondary && out->secondary_window == ZN_SECWIN_NONE)
        TRY(bad(&c, "secondary_window", "secondary contacts are traced but have no window"));

    json_t *cc = json_object_get(root, "close_contact"), *sc = json_object_get(root, "secondary_contact");
    if (!json_is_object(cc) || !json_is_object(sc))
        TRY(bad(&c, "close_contact", "missing close_contact / secondary_contact objects"));
    TRY(get_int32(&c, cc, "centralized_isolation_days", "close_contact.centralized_isolation_days", 0, 60,
                  &out->close_isolation_days));
    TRY(get_int32(&c, cc, "home_days", "close_contact.home_days", 0, 60, &out->close_home_days));
    TRY(get_days(&c, cc, "pcr_days", "close_contact.pcr_days", out->close_pcr_days, &out->nclose_pcr));
    TRY(get_int32(&c, sc, "centralized_isolation_days", "secondary_contact.centralized_isolation_days", 0, 60,
                  &out->secondary_isolation_days));
    TRY(get_int32(&c, sc, "home_days", "secondary_contact.home_days", 0, 60, &out->secondary_home_days));
    TRY(get_days(&c, sc, "pcr_days", "secondary_contact.pcr_days", out->secondary_pcr_days,
                 &out->nsecondary_pcr));

    json_t *seats = json_object_get(root, "seats"), *comp = json_object_get(root, "companion");
    if (!json_is_object(seats) || !json_is_object(comp))
        TRY(bad(&c, "seats", "missing seats / companion objects"));
    TRY(get_int32(&c, seats, "aircraft_rows", "seats.aircraft_rows", 0, 100, &out->aircraft_rows));
    TRY(get_int32(&c, seats, "ventilated_bus_rows", "seats.ventilated_bus_rows", 0, 100,
                  &out->ventilated_bus_rows));
    TRY(get_int(&c, comp, "cell_m", "companion.cell_m", 1, 100000, &out->companion_cell_m));
    TRY(get_int(&c, comp, "min_overlap_s", "companion.min_overlap_s", 1, 86400, &out->companion_min_overlap_s));
    TRY(get_int(&c, comp, "cumulative_s", "companion.cumulative_s", 0, 86400 * 60, &out->companion_cumulative_s));
    TRY(get_int32(&c, comp, "cumulative_window_days", "companion.cumulative_window_days", 1, 60,
                  &out->companion_window_days));

    json_t *prox = json_object_get(root, "proximity"), *venue = json_object_get(root, "venue");
    if (!json_is_object(prox) || !json_is_object(venue))
        TRY(bad(&c, "proximity", "missing proximity / venue objects"));
    TRY(get_int(&c, prox, "threshold_s", "proximity.threshold_s", 1, 86400 * 60, &out->proximity_threshold_s));
    TRY(get_int(&c, prox, "resolution_s", "proximity.resolution_s", 1, 86400, &out->proximity_resolution_s));
    TRY(get_int(&c, prox, "period_s", "proximity.period_s", 0, 86400 * 366, &out->proximity_period_s));
    if (out->proximity_period_s != 0 && out->proximity_period_s < out->proximity_threshold_s)
        TRY(bad(&c, "proximity.period_s", "a period shorter than the threshold can never be reached"));
    TRY(get_int(&c, venue, "dwell_s", "venue.dwell_s", 1, 86400, &out->venue_dwell_s));
    json_decref(root);
    return ZN_OK;
}

zn_status zn_trace_plan_find(const char *dir, const char *name, zn_trace_plan *out, zn_error *err)
{
    if (!dir || !name || !out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    for (const char *c = name; *c; c++)
        if (*c == '/' || *c == '\\')
            return zn_error_set(err, ZN_EINVAL, NULL, 0, "plan", "plan name '%s' has a path separator", name);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.json", dir, name);
    struct stat sb;
    if (stat(path, &sb) != 0)
        return zn_error_set(err, ZN_ENOTFOUND, path, 0, "plan", "no plan '%s' in %s", name, dir);
    return zn_trace_plan_load(path, out, err);
}

zn_status zn_trace_plan_case(const zn_trace_plan *plan, int64_t person, int64_t onset,
                             int64_t isolated_at, zn_trace_case *out, zn_error *err)
{
    if (!plan || !out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    if (!plan->trace_close)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "plan", "plan %s determines no close contacts", plan->name);
    int64_t from = onset - (int64_t)plan->lookback_days * 86400;
    if (isolated_at <= from)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "isolated_at", "isolation is not after the look-back start");
    *out = (zn_trace_case){person, from, isolated_at};
    return ZN_OK;
}

zn_status zn_trace_run_plan(const zn_trace_index *ix, const zn_trace_plan *plan,
                            const zn_trace_case *cases, size_t ncases, int threads,
                            zn_trace_result *res, zn_error *err)
{
    if (!plan)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    if (!plan->trace_close)
        return zn__tr_run(ix, cases, 0, plan->min_overlap_s, threads, 0, res, err);
    return zn__tr_run(ix, cases, ncases, plan->min_overlap_s, threads,
                      plan->trace_secondary && plan->secondary_window != ZN_SECWIN_NONE, res, err);
}
