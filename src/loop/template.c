/*
 * Task templates as data: data/templates/<name>.json, each {"templates": [ {...}, ... ]}. The format
 * is documented in docs/loop.md; applications add their own files beside epidemic.json.
 */
#include "loop_int.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void tpl_free(zn__tpl *t)
{
    free(t->id);
    free(t->name);
    free(t->name_zh);
    free(t->subject);
    free(t->source);
    free(t->file);
    for (size_t i = 0; t->steps && t->steps[i]; i++)
        free(t->steps[i]);
    free(t->steps);
    for (size_t i = 0; t->steps_zh && t->steps_zh[i]; i++)
        free(t->steps_zh[i]);
    free(t->steps_zh);
    for (size_t i = 0; t->triggers && t->triggers[i]; i++)
        free(t->triggers[i]);
    free(t->triggers);
    for (size_t i = 0; i < ZN_LOOP_MAX_RUNGS; i++)
        free(t->rung_names[i]);
}

void zn__templates_free(zn_loop *lp)
{
    for (size_t i = 0; i < lp->ntpls; i++)
        tpl_free(&lp->tpls[i]);
    free(lp->tpls);
    lp->tpls = NULL;
    lp->ntpls = 0;
}

static const char *jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A NULL-terminated copy of an array of strings. */
static zn_status str_array(json_t *arr, const char *path, const char *field, char ***out, size_t *n, zn_error *err)
{
    *out = NULL;
    *n = 0;
    if (!arr)
        return ZN_OK;
    if (!json_is_array(arr))
        return zn_error_set(err, ZN_EPARSE, path, 0, field, "expected an array of strings");
    size_t k = json_array_size(arr);
    char **v = calloc(k + 1, sizeof *v);
    if (!v)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    for (size_t i = 0; i < k; i++) {
        json_t *e = json_array_get(arr, i);
        if (!json_is_string(e) || !(v[i] = zn_strdup(json_string_value(e)))) {
            for (size_t j = 0; j < i; j++)
                free(v[j]);
            free(v);
            return zn_error_set(err, json_is_string(e) ? ZN_ENOMEM : ZN_EPARSE, path, 0, field,
                                "element %zu is not a string", i);
        }
    }
    *out = v;
    *n = k;
    return ZN_OK;
}

static zn_status parse_one(json_t *o, const char *path, size_t idx, zn__tpl *t, zn_error *err)
{
    char field[64];
    memset(t, 0, sizeof *t);
    const char *id = jstr(o, "id"), *name = jstr(o, "name");
    if (!json_is_object(o) || !id || !*id || !name)
        return zn_error_set(err, ZN_EPARSE, path, 0, "id", "template %zu: needs string fields id and name", idx);
    if (strlen(id) > 63)
        return zn_error_set(err, ZN_EVALIDATE, path, 0, "id", "template id '%s' longer than 63 bytes", id);
    t->id = zn_strdup(id);
    t->name = zn_strdup(name);
    t->name_zh = zn_strdup(jstr(o, "name_zh") ? jstr(o, "name_zh") : "");
    t->subject = zn_strdup(jstr(o, "subject") ? jstr(o, "subject") : "");
    t->source = zn_strdup(jstr(o, "source") ? jstr(o, "source") : "");
    t->file = zn_strdup(path);
    if (!t->id || !t->name || !t->name_zh || !t->subject || !t->source || !t->file)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    if (strlen(t->subject) > 15)
        return zn_error_set(err, ZN_EVALIDATE, path, 0, "subject", "template %s: subject longer than 15 bytes", id);

    json_t *b = json_object_get(o, "budget");
    json_t *h = json_object_get(b, "hours"), *w = json_object_get(b, "workdays");
    if (!json_is_object(b) || (!h == !w))
        return zn_error_set(err, ZN_EPARSE, path, 0, "budget", "template %s: budget must be {\"hours\": N} or {\"workdays\": N}", id);
    if (h) {
        if (!json_is_number(h) || json_number_value(h) <= 0 || json_number_value(h) > 24.0 * 366 * 10)
            return zn_error_set(err, ZN_EVALIDATE, path, 0, "budget.hours", "template %s: hours must be a positive number", id);
        t->pub.unit = ZN_BUDGET_HOURS;
        t->pub.budget = (int64_t)(json_number_value(h) * 3600.0 + 0.5);
    } else {
        if (!json_is_integer(w) || json_integer_value(w) <= 0 || json_integer_value(w) > 3660)
            return zn_error_set(err, ZN_EVALIDATE, path, 0, "budget.workdays", "template %s: workdays must be a positive integer", id);
        t->pub.unit = ZN_BUDGET_WORKDAYS;
        t->pub.budget = json_integer_value(w);
    }

    size_t nsteps = 0, nzh = 0, ntrig = 0;
    zn_status rc = str_array(json_object_get(o, "steps"), path, "steps", &t->steps, &nsteps, err);
    if (rc == ZN_OK)
        rc = str_array(json_object_get(o, "steps_zh"), path, "steps_zh", &t->steps_zh, &nzh, err);
    if (rc == ZN_OK)
        rc = str_array(json_object_get(o, "triggers"), path, "triggers", &t->triggers, &ntrig, err);
    if (rc != ZN_OK)
        return rc;
    /* the Chinese steps translate the English ones one for one (the pages show step i in either) */
    if (json_object_get(o, "steps_zh") && nzh != nsteps)
        return zn_error_set(err, ZN_EVALIDATE, path, 0, "steps_zh",
                            "template %s: %zu steps_zh for %zu steps (give one Chinese step per step, or none)", id,
                            nzh, nsteps);

    json_t *ladder = json_object_get(o, "escalation");
    if (ladder && !json_is_array(ladder))
        return zn_error_set(err, ZN_EPARSE, path, 0, "escalation", "template %s: escalation must be an array", id);
    size_t nr = json_array_size(ladder);
    if (nr > ZN_LOOP_MAX_RUNGS)
        return zn_error_set(err, ZN_EVALIDATE, path, 0, "escalation", "template %s: more than %d rungs", id, ZN_LOOP_MAX_RUNGS);
    double last_frac = 0;
    double last_after = -1;
    for (size_t i = 0; i < nr; i++) {
        json_t *r = json_array_get(ladder, i);
        snprintf(field, sizeof field, "escalation[%zu]", i);
        const char *rn = jstr(r, "rung");
        if (!rn || !*rn || strlen(rn) > 31)
            return zn_error_set(err, ZN_EPARSE, path, 0, field, "template %s: rung needs a name (<= 31 bytes)", id);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(t->rung_names[j], rn))
                return zn_error_set(err, ZN_EVALIDATE, path, 0, field, "template %s: rung '%s' twice", id, rn);
        if (!(t->rung_names[i] = zn_strdup(rn)))
            return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
        zn_rung_def *d = &t->pub.rungs[i];
        d->name = t->rung_names[i];
        json_t *f = json_object_get(r, "at_fraction"), *a = json_object_get(r, "after_deadline_hours");
        if (!f == !a)
            return zn_error_set(err, ZN_EPARSE, path, 0, field,
                                "template %s: rung '%s' needs one of at_fraction, after_deadline_hours", id, rn);
        if (f) {
            double v = json_is_number(f) ? json_number_value(f) : -1;
            if (!(v > 0 && v <= 1) || last_after >= 0 || v < last_frac)
                return zn_error_set(err, ZN_EVALIDATE, path, 0, field,
                                    "template %s: at_fraction of '%s' must be in (0, 1] and rungs in firing order", id, rn);
            d->at_fraction = last_frac = v;
        } else {
            double v = json_is_number(a) ? json_number_value(a) : -1;
            if (v < 0 || v < last_after)
                return zn_error_set(err, ZN_EVALIDATE, path, 0, field,
                                    "template %s: after_deadline_hours of '%s' must be >= 0 and in firing order", id, rn);
            last_after = v;
            d->after_deadline = (int64_t)(v * 3600.0 + 0.5);
        }
        const char *nt = jstr(r, "notify");
        if (zn__notify_parse(nt ? nt : "assignee", &d->notify) != ZN_OK)
            return zn_error_set(err, ZN_EVALIDATE, path, 0, field,
                                "template %s: notify '%s': expected assignee, level_above or issuer", id, nt);
    }
    t->pub.id = t->id;
    t->pub.name = t->name;
    t->pub.name_zh = t->name_zh;
    t->pub.subject = t->subject;
    t->pub.source = t->source;
    t->pub.file = t->file;
    t->pub.steps = (const char *const *)t->steps;
    t->pub.steps_zh = (const char *const *)t->steps_zh;
    t->pub.nsteps = nsteps;
    t->pub.triggers = (const char *const *)t->triggers;
    t->pub.ntriggers = ntrig;
    t->pub.nrungs = nr;
    return ZN_OK;
}

static zn_status load_file(zn_loop *lp, const char *path, zn_error *err)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root)
        return zn_error_set(err, ZN_EPARSE, path, je.line, NULL, "%s", je.text);
    json_t *arr = json_object_get(root, "templates");
    zn_status rc = ZN_OK;
    if (!json_is_array(arr))
        rc = zn_error_set(err, ZN_EPARSE, path, 0, "templates", "expected an object with an array \"templates\"");
    size_t k = json_array_size(arr);
    if (rc == ZN_OK && k) {
        zn__tpl *nt = realloc(lp->tpls, (lp->ntpls + k) * sizeof *nt);
        if (!nt)
            rc = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
        else
            lp->tpls = nt;
    }
    for (size_t i = 0; rc == ZN_OK && i < k; i++) {
        zn__tpl *t = &lp->tpls[lp->ntpls];
        rc = parse_one(json_array_get(arr, i), path, i, t, err);
        if (rc == ZN_OK && zn_loop_template_find(lp, t->id))
            rc = zn_error_set(err, ZN_EDUPLICATE, path, 0, "id", "template id '%s' defined twice", t->id);
        if (rc != ZN_OK) {
            tpl_free(t);
            break;
        }
        lp->ntpls++;
    }
    json_decref(root);
    return rc;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

zn_status zn__templates_load(zn_loop *lp, const char *dir, zn_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return zn_error_set(err, ZN_EIO, dir, 0, NULL, "cannot open template folder");
    char **names = NULL;
    size_t n = 0, cap = 0;
    zn_status rc = ZN_OK;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") || e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) {
                rc = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                break;
            }
            names = nn;
        }
        if (!(names[n] = zn_strdup(e->d_name))) {
            rc = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
            break;
        }
        n++;
    }
    closedir(d);
    if (rc == ZN_OK && n)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; rc == ZN_OK && i < n; i++) {
        zn_buf p = {0};
        if (zn_buf_printf(&p, "%s/%s", dir, names[i]) != ZN_OK)
            rc = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
        else
            rc = load_file(lp, p.data, err);
        zn_buf_fini(&p);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

size_t zn_loop_template_count(const zn_loop *lp) { return lp->ntpls; }

const zn_loop_template *zn_loop_template_at(const zn_loop *lp, size_t i)
{
    return i < lp->ntpls ? &lp->tpls[i].pub : NULL;
}

const zn_loop_template *zn_loop_template_find(const zn_loop *lp, const char *id)
{
    for (size_t i = 0; id && i < lp->ntpls; i++)
        if (lp->tpls[i].id && !strcmp(lp->tpls[i].id, id))
            return &lp->tpls[i].pub;
    return NULL;
}

const zn_loop_template *zn_loop_template_for(const zn_loop *lp, const char *event, size_t *pos)
{
    size_t start = pos ? *pos : 0;
    for (size_t i = start; event && i < lp->ntpls; i++)
        for (size_t j = 0; lp->tpls[i].triggers && lp->tpls[i].triggers[j]; j++)
            if (!strcmp(lp->tpls[i].triggers[j], event)) {
                if (pos)
                    *pos = i + 1;
                return &lp->tpls[i].pub;
            }
    if (pos)
        *pos = lp->ntpls;
    return NULL;
}

const char *zn_loop_template_title(const zn_loop_template *t)
{
    if (!t)
        return NULL;
    return t->name_zh && *t->name_zh ? t->name_zh : t->name;
}
