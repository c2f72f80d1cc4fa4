/*
 * Exposure sources other than stays: the household (same registered residence) and co-travel
 * with the seat rules of the transport judging guide (outbreak-anchors.md, Table 3).
 * Both sort their input once and answer every index case from the sorted copy:
 * O(n log n + output).
 */
#include "trace_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct pairvec {
    zn_trace_pair *v;
    size_t n, cap;
} pairvec;

static int pv_push(pairvec *p, zn_trace_pair x)
{
    if (p->n == p->cap) {
        size_t c = p->cap ? p->cap * 2 : 64;
        zn_trace_pair *nv = realloc(p->v, c * sizeof *nv);
        if (!nv)
            return -1;
        p->v = nv;
        p->cap = c;
    }
    p->v[p->n++] = x;
    return 0;
}

static int cmp_pair(const void *a, const void *b)
{
    const zn_trace_pair *x = a, *y = b;
    if (x->index_id != y->index_id)
        return x->index_id < y->index_id ? -1 : 1;
    if (x->contact_id != y->contact_id)
        return x->contact_id < y->contact_id ? -1 : 1;
    if (x->via != y->via)
        return x->via < y->via ? -1 : 1;
    return (x->exposure > y->exposure) - (x->exposure < y->exposure);
}

/* Sort, drop exact duplicates and hand over. */
static void pv_finish(pairvec *p, zn_trace_pair **out, size_t *n)
{
    if (p->n > 1)
        qsort(p->v, p->n, sizeof *p->v, cmp_pair);
    size_t m = 0;
    for (size_t i = 0; i < p->n; i++)
        if (!m || cmp_pair(&p->v[m - 1], &p->v[i]) != 0)
            p->v[m++] = p->v[i];
    if (m == 0) {
        free(p->v);
        p->v = NULL;
    }
    *out = p->v;
    *n = m;
}

static int cmp_case_person(const void *a, const void *b)
{
    const zn_trace_case *x = a, *y = b;
    return (x->person > y->person) - (x->person < y->person);
}

/* Sorted copy of the cases by person (for bsearch). */
static zn_trace_case *sorted_cases(const zn_trace_case *cases, size_t n)
{
    zn_trace_case *c = malloc((n ? n : 1) * sizeof *c);
    if (!c)
        return NULL;
    if (n)
        memcpy(c, cases, n * sizeof *c);
    qsort(c, n, sizeof *c, cmp_case_person);
    return c;
}

static const zn_trace_case *find_case(const zn_trace_case *sorted, size_t n, int64_t person)
{
    zn_trace_case key = {person, 0, 0};
    return bsearch(&key, sorted, n, sizeof key, cmp_case_person);
}

/* ---------------------------------------------------------------- household */

static int cmp_member(const void *a, const void *b)
{
    const zn_trace_member *x = a, *y = b;
    if (x->household != y->household)
        return x->household < y->household ? -1 : 1;
    return (x->person > y->person) - (x->person < y->person);
}

zn_status zn_trace_household(const zn_trace_member *members, size_t nmembers,
                             const zn_trace_case *cases, size_t ncases, zn_trace_pair **out,
                             size_t *n, zn_error *err)
{
    if (!out || !n || (nmembers && !members) || (ncases && !cases))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    *out = NULL;
    *n = 0;
    zn_trace_member *m = malloc((nmembers ? nmembers : 1) * sizeof *m);
    zn_trace_case *cs = sorted_cases(cases, ncases);
    pairvec pv = {0};
    if (!m || !cs)
        goto nomem;
    if (nmembers)
        memcpy(m, members, nmembers * sizeof *m);
    qsort(m, nmembers, sizeof *m, cmp_member);
    for (size_t h0 = 0; h0 < nmembers;) {
        size_t h1 = h0;
        while (h1 < nmembers && m[h1].household == m[h0].household)
            h1++;
        for (size_t i = h0; i < h1; i++) {
            const zn_trace_case *c = find_case(cs, ncases, m[i].person);
            if (!c)
                continue;
            for (size_t j = h0; j < h1; j++)
                if (m[j].person != m[i].person &&
                    pv_push(&pv, (zn_trace_pair){c->person, m[j].person, m[h0].household, c->t_from}))
                    goto nomem;
        }
        h0 = h1;
    }
    free(m);
    free(cs);
    pv_finish(&pv, out, n);
    return ZN_OK;
nomem:
    free(m);
    free(cs);
    free(pv.v);
    return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
}

/* ---------------------------------------------------------------- co-travel */

static int cmp_seat(const void *a, const void *b)
{
    const zn_trace_seat *x = a, *y = b;
    if (x->trip != y->trip)
        return x->trip < y->trip ? -1 : 1;
    if (x->carriage != y->carriage)
        return x->carriage < y->carriage ? -1 : 1;
    if (x->row != y->row)
        return x->row < y->row ? -1 : 1;
    return (x->person > y->person) - (x->person < y->person);
}

/* Does the rule of the index seat `s` name seat `o` (same trip)? */
static int seat_rule(const zn_trace_plan *plan, const zn_trace_seat *s, const zn_trace_seat *o)
{
    int64_t d = (int64_t)o->row - (int64_t)s->row;
    if (d < 0)
        d = -d;
    switch (s->vehicle) {
    case ZN_VEHICLE_AIRCRAFT: return d <= plan->aircraft_rows;
    case ZN_VEHICLE_TRAIN_SEALED: return o->carriage == s->carriage;
    case ZN_VEHICLE_TRAIN_OPEN: return o->carriage == s->carriage && d <= 1;
    case ZN_VEHICLE_BUS_SEALED: return 1;
    case ZN_VEHICLE_BUS_VENTILATED: return d <= plan->ventilated_bus_rows;
    }
    return 0;
}

zn_status zn_trace_cotravel(const zn_trace_plan *plan, const zn_trace_seat *seats, size_t nseats,
                            const zn_trace_case *cases, size_t ncases, zn_trace_pair **out,
                            size_t *n, zn_error *err)
{
    if (!plan || !out || !n || (nseats && !seats) || (ncases && !cases))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    *out = NULL;
    *n = 0;
    for (size_t i = 0; i < nseats; i++)
        if ((unsigned)seats[i].vehicle > ZN_VEHICLE_BUS_VENTILATED)
            return zn_error_set(err, ZN_EINVAL, NULL, (long)(i + 1), "vehicle", "unknown vehicle type %d",
                                (int)seats[i].vehicle);
    zn_trace_seat *s = malloc((nseats ? nseats : 1) * sizeof *s);
    zn_trace_case *cs = sorted_cases(cases, ncases);
    pairvec pv = {0};
    if (!s || !cs)
        goto nomem;
    if (nseats)
        memcpy(s, seats, nseats * sizeof *s);
    qsort(s, nseats, sizeof *s, cmp_seat);
    for (size_t t0 = 0; t0 < nseats;) {
        size_t t1 = t0;
        while (t1 < nseats && s[t1].trip == s[t0].trip)
            t1++;
        for (size_t i = t0; i < t1; i++) {
            const zn_trace_case *c = find_case(cs, ncases, s[i].person);
            if (!c || s[i].t_depart < c->t_from || s[i].t_depart > c->t_to)
                continue;
            for (size_t j = t0; j < t1; j++)
                if (s[j].person != s[i].person && seat_rule(plan, &s[i], &s[j]) &&
                    pv_push(&pv, (zn_trace_pair){c->person, s[j].person, s[i].trip, s[i].t_depart}))
                    goto nomem;
        }
        t0 = t1;
    }
    free(s);
    free(cs);
    pv_finish(&pv, out, n);
    return ZN_OK;
nomem:
    free(s);
    free(cs);
    free(pv.v);
    return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
}
