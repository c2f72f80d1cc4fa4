/*
 * The tracing metric of a generated city: of the cases reported, how many were already close
 * contacts of an earlier-reported case when they were reported (and how much earlier). Close
 * contacts come from the trace kernel (include/zhinao/trace.h) over every generated co-presence
 * (truth_stays.csv) under a control-plan edition (look-back, minimum overlap): the share a platform
 * that saw every contact would reach; real feeds see less.
 */
#include "gen_int.h"

#include "zhinao/trace.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct rep {
    int64_t person, from, report;
    int local; /* infected in the city (has an infector) */
} rep;

static int cmp_rep(const void *a, const void *b)
{
    const rep *x = a, *y = b;
    if (x->report != y->report)
        return x->report < y->report ? -1 : 1;
    return x->person < y->person ? -1 : x->person > y->person;
}

static int cmp_i64(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    return *x < *y ? -1 : *x > *y;
}

/* Split a CSV line of the ground truth (no quoting) into at most max fields, in place. */
static int split(char *s, char **f, int max)
{
    int n = 0;
    f[n++] = s;
    for (; *s && n < max; s++)
        if (*s == ',') {
            *s = '\0';
            f[n++] = s + 1;
        }
    return n;
}

static int find(char **h, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(h[i], name))
            return i;
    return -1;
}

zn_status zn_gen_traced_share(zn_ctx *ctx, const char *dir, const char *plans_dir, const char *plan_name,
                              zn_gen_metric *out, zn_error *err)
{
    (void)ctx;
    memset(out, 0, sizeof *out);
    zn_trace_plan plan;
    zn_status st = zn_trace_plan_find(plans_dir, plan_name, &plan, err);
    if (st != ZN_OK)
        return st;
    if (!plan.trace_close)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "plan", "plan %s traces no close contacts", plan.name);
    char path[1200];
    snprintf(path, sizeof path, "%s/ground_truth.csv", dir);
    FILE *f = fopen(path, "rb");
    if (!f)
        return zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot read: %s", strerror(errno));
    char line[4096], *h[32];
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        return zn_error_set(err, ZN_EPARSE, path, 1, NULL, "empty file");
    }
    line[strcspn(line, "\r\n")] = '\0';
    char header[4096];
    snprintf(header, sizeof header, "%s", line);
    int nh = split(header, h, 32);
    int c_p = find(h, nh, "person_id"), c_i = find(h, nh, "infector_person_id"), c_on = find(h, nh, "onset_time");
    int c_s = find(h, nh, "sample_time"), c_r = find(h, nh, "report_time");
    if (c_p < 0 || c_i < 0 || c_on < 0 || c_s < 0 || c_r < 0) {
        fclose(f);
        return zn_error_set(err, ZN_EPARSE, path, 1, NULL, "not a ground_truth.csv header");
    }
    rep *r = NULL;
    size_t n = 0, cap = 0;
    long lineno = 1;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        char *v[32];
        int nf = split(line, v, 32);
        if (nf < nh) {
            free(r);
            fclose(f);
            return zn_error_set(err, ZN_EPARSE, path, lineno, NULL, "%d fields, expected %d", nf, nh);
        }
        out->infections++;
        if (!*v[c_r])
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            rep *r2 = realloc(r, cap * sizeof *r2);
            if (!r2) {
                free(r);
                fclose(f);
                return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
            }
            r = r2;
        }
        rep *x = &r[n++];
        x->person = atoll(v[c_p]);
        x->report = atoll(v[c_r]);
        int64_t onset = *v[c_on] ? atoll(v[c_on]) : 0;
        /* window start: symptom onset - look-back when known by the report, else sampling - look-back */
        int64_t anchor = onset && onset <= x->report ? onset : atoll(v[c_s]);
        x->from = anchor - (int64_t)plan.lookback_days * ZN__DAY;
        x->local = *v[c_i] != '\0';
    }
    fclose(f);
    qsort(r, n, sizeof *r, cmp_rep);
    snprintf(path, sizeof path, "%s/truth_stays.csv", dir);
    zn_trace_index *ix = NULL;
    if ((st = zn_trace_index_load_csv(path, 0, &ix, err)) != ZN_OK) {
        free(r);
        return st;
    }
    /* traced[person] = when it became a close contact of a reported case (report time) */
    int64_t maxp = 0;
    for (size_t i = 0; i < n; i++)
        if (r[i].person > maxp)
            maxp = r[i].person;
    int64_t *traced = NULL, *leads = malloc((n ? n : 1) * sizeof *leads);
    size_t ntraced_cap = (size_t)maxp + 1, nleads = 0;
    traced = malloc(ntraced_cap * sizeof *traced);
    if (!traced || !leads) {
        free(traced);
        free(leads);
        free(r);
        zn_trace_index_free(ix);
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    for (size_t i = 0; i < ntraced_cap; i++)
        traced[i] = ZN__NONE;
    for (size_t i = 0; i < n; i++) {
        const rep *c = &r[i];
        out->reported++;
        out->reported_local += c->local;
        if (traced[c->person] < c->report) {
            out->traced++;
            out->traced_local += c->local;
            leads[nleads++] = c->report - traced[c->person];
        }
        /* its close contacts, as known at its report */
        if (c->report <= c->from)
            continue;
        zn_trace_close *cc = NULL;
        size_t ncc = 0;
        if ((st = zn_trace_close_one(ix, c->person, c->from, c->report, plan.min_overlap_s, &cc, &ncc, err)) != ZN_OK)
            break;
        for (size_t k = 0; k < ncc; k++) {
            int64_t p = cc[k].contact_id;
            if (p >= 0 && p <= maxp && traced[p] == ZN__NONE)
                traced[p] = c->report;
        }
        out->close_contacts += (int64_t)ncc;
        free(cc);
    }
    if (st == ZN_OK) {
        out->share = out->reported ? (double)out->traced / (double)out->reported : 0;
        out->share_local = out->reported_local ? (double)out->traced_local / (double)out->reported_local : 0;
        qsort(leads, nleads, sizeof *leads, cmp_i64);
        out->median_lead_hours = nleads ? (double)leads[nleads / 2] / 3600.0 : 0;
        snprintf(out->plan, sizeof out->plan, "%s", plan.name);
        out->lookback_days = plan.lookback_days;
        out->min_overlap_s = plan.min_overlap_s;
    }
    free(traced);
    free(leads);
    free(r);
    zn_trace_index_free(ix);
    return st;
}
