/* Person measures per plan edition (data/rules/measures-<name>.json). */
#include "zone_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static const char *KIND_NAMES[] = {"none", "centralized_quarantine", "home_quarantine", "home_health_monitoring",
                                   "testing"};
static const char *CODE_NAMES[] = {"green", "yellow", "orange", "red"};

const char *zn_measure_kind_name(zn_measure_kind k)
{
    return (unsigned)k < sizeof KIND_NAMES / sizeof KIND_NAMES[0] ? KIND_NAMES[k] : "unknown";
}

const char *zn_health_code_name(zn_health_code c)
{
    return (unsigned)c < sizeof CODE_NAMES / sizeof CODE_NAMES[0] ? CODE_NAMES[c] : "unknown";
}

static int lookup(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; s && i < n; i++)
        if (!strcmp(names[i], s))
            return (int)i;
    return -1;
}

static zn_status parse_phase(const char *origin, const char *path, json_t *ph, zn_measure_phase_rule *out,
                             zn_error *err)
{
    if (!json_is_object(ph))
        return zn_error_set(err, ZN_EPARSE, origin, 0, path, "a phase must be an object");
    int k = lookup(KIND_NAMES, sizeof KIND_NAMES / sizeof KIND_NAMES[0], json_string_value(json_object_get(ph, "kind")));
    if (k <= 0)
        return zn_error_set(err, ZN_EPARSE, origin, 0, path,
                            "kind must be centralized_quarantine, home_quarantine, home_health_monitoring or testing");
    out->kind = (zn_measure_kind)k;
    json_t *days = json_object_get(ph, "days");
    if (!json_is_integer(days) || json_integer_value(days) < 1 || json_integer_value(days) > 366)
        return zn_error_set(err, ZN_EPARSE, origin, 0, path, "days must be an integer 1 .. 366");
    out->days = (int)json_integer_value(days);
    int c = lookup(CODE_NAMES, sizeof CODE_NAMES / sizeof CODE_NAMES[0], json_string_value(json_object_get(ph, "code")));
    if (c < 0)
        return zn_error_set(err, ZN_EPARSE, origin, 0, path, "code must be green, yellow, orange or red");
    out->code = (zn_health_code)c;
    json_t *tests = json_object_get(ph, "tests");
    if (tests && !json_is_array(tests))
        return zn_error_set(err, ZN_EPARSE, origin, 0, path, "tests must be an array of days");
    if (json_array_size(tests) > ZN_MEASURE_MAX_TESTS)
        return zn_error_set(err, ZN_EVALIDATE, origin, 0, path, "more than 16 test days");
    size_t i;
    json_t *t;
    out->ntests = 0;
    json_array_foreach(tests, i, t)
    {
        if (!json_is_integer(t) || json_integer_value(t) < 1 || json_integer_value(t) > out->days)
            return zn_error_set(err, ZN_EVALIDATE, origin, 0, path, "test day %zu is not a day of the phase (1 .. %d)",
                                i, out->days);
        out->tests[out->ntests++] = (int)json_integer_value(t);
    }
    return ZN_OK;
}

static zn_status parse_plan(const char *origin, json_t *root, zn_measure_plan *out, zn_error *err)
{
    if (!json_is_object(root))
        return zn_error_set(err, ZN_EPARSE, origin, 0, "", "a measures file must be a JSON object");
    const char *name = json_string_value(json_object_get(root, "name"));
    if (!name || strlen(name) >= sizeof out->name)
        return zn_error_set(err, ZN_EPARSE, origin, 0, "name", "missing or too long 'name'");
    snprintf(out->name, sizeof out->name, "%s", name);
    const char *title = json_string_value(json_object_get(root, "title"));
    snprintf(out->title, sizeof out->title, "%s", title ? title : "");
    json_t *roles = json_object_get(root, "roles");
    if (!json_is_object(roles))
        return zn_error_set(err, ZN_EPARSE, origin, 0, "roles", "missing object 'roles'");
    if (json_object_size(roles) > ZN_MEASURE_MAX_ROLES)
        return zn_error_set(err, ZN_EVALIDATE, origin, 0, "roles", "more than %d roles", ZN_MEASURE_MAX_ROLES);
    const char *key;
    json_t *rv;
    json_object_foreach(roles, key, rv)
    {
        char path[128];
        snprintf(path, sizeof path, "roles.%s", key);
        zn_measure_role *r = &out->roles[out->nroles];
        if (strlen(key) >= sizeof r->name || !json_is_object(rv))
            return zn_error_set(err, ZN_EPARSE, origin, 0, path, "a role must be an object with a short name");
        snprintf(r->name, sizeof r->name, "%s", key);
        json_t *det = json_object_get(rv, "determined");
        r->determined = det ? json_is_true(det) : 1;
        json_t *phases = json_object_get(rv, "phases");
        if (!json_is_array(phases))
            return zn_error_set(err, ZN_EPARSE, origin, 0, path, "missing array 'phases'");
        if (json_array_size(phases) > ZN_MEASURE_MAX_PHASES)
            return zn_error_set(err, ZN_EVALIDATE, origin, 0, path, "more than %d phases", ZN_MEASURE_MAX_PHASES);
        if (r->determined && json_array_size(phases) == 0)
            return zn_error_set(err, ZN_EVALIDATE, origin, 0, path, "a determined role needs phases");
        size_t i;
        json_t *ph;
        json_array_foreach(phases, i, ph)
        {
            char pp[160];
            snprintf(pp, sizeof pp, "%s.phases[%zu]", path, i);
            zn_status s = parse_phase(origin, pp, ph, &r->phases[i], err);
            if (s != ZN_OK)
                return s;
            r->nphases = (int)i + 1;
        }
        out->nroles++;
    }
    return ZN_OK;
}

zn_status zn_measure_plan_load(const char *path, zn_measure_plan *out, zn_error *err)
{
    if (!path || !out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    memset(out, 0, sizeof *out);
    char *text;
    zn_status s = zn__zone_read_file(path, &text, err);
    if (s != ZN_OK)
        return s;
    json_error_t je;
    json_t *root = json_loads(text, 0, &je);
    free(text);
    if (!root)
        return zn_error_set(err, ZN_EPARSE, path, je.line, NULL, "not JSON: %s", je.text);
    s = parse_plan(path, root, out, err);
    json_decref(root);
    return s;
}

zn_status zn_measure_plan_find(const char *dir, const char *name, zn_measure_plan *out, zn_error *err)
{
    char path[2048];
    if (!dir || !name || !*name || strchr(name, '/'))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "bad plan name");
    snprintf(path, sizeof path, "%s/measures-%s.json", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return zn_error_set(err, ZN_ENOTFOUND, path, 0, NULL, "no measures for plan '%s'", name);
    fclose(f);
    return zn_measure_plan_load(path, out, err);
}

const zn_measure_role *zn_measure_plan_role(const zn_measure_plan *plan, const char *name)
{
    for (int i = 0; plan && name && i < plan->nroles; i++)
        if (!strcmp(plan->roles[i].name, name))
            return &plan->roles[i];
    return NULL;
}

zn_status zn_measure_compute(const zn_measure_plan *plan, const char *role, const int32_t *exposures, size_t n,
                             zn_measure *out, zn_error *err)
{
    if (!plan || !role || !out || (n && !exposures))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    if (n == 0)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "exposures", "no exposure day");
    const zn_measure_role *r = zn_measure_plan_role(plan, role);
    if (!r) {
        char roles[512] = "";
        for (int i = 0; i < plan->nroles; i++) {
            size_t l = strlen(roles);
            snprintf(roles + l, sizeof roles - l, "%s%s", i ? ", " : "", plan->roles[i].name);
        }
        return zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "role", "%s has no role '%s' (roles: %s)", plan->name, role,
                            roles);
    }
    memset(out, 0, sizeof *out);
    int32_t ref = exposures[0];
    for (size_t i = 1; i < n; i++)
        if (exposures[i] > ref)
            ref = exposures[i];
    out->reference = ref;
    out->determined = r->determined;
    int32_t day = ref + 1;
    for (int i = 0; r->determined && i < r->nphases; i++) {
        const zn_measure_phase_rule *pr = &r->phases[i];
        zn_measure_phase *p = &out->phases[out->nphases++];
        p->kind = pr->kind;
        p->code = pr->code;
        p->start = day;
        p->end = day + pr->days - 1;
        for (int t = 0; t < pr->ntests; t++)
            p->tests[p->ntests++] = day + pr->tests[t] - 1;
        day = p->end + 1;
    }
    out->release = day;
    return ZN_OK;
}

zn_health_code zn_measure_code_on(const zn_measure *m, int32_t day)
{
    for (int i = 0; m && i < m->nphases; i++)
        if (day >= m->phases[i].start && day <= m->phases[i].end)
            return m->phases[i].code;
    return ZN_CODE_GREEN;
}
