/*
 * Proximity events (RFID / Bluetooth face-to-face contacts, e.g. SocioPatterns' "t i j" files):
 * the cumulative face-to-face rule of WHO's contact definition ("face-to-face contact within
 * 1 metre for at least 15 minutes", WHO interim guidance on contact tracing, 10 May 2020 and
 * 1 Feb 2021), summed over any 24 h as in US CDC's close-contact definition (21 Oct 2020); the
 * numbers come from the plan (zn_trace_plan_prox_rule).
 *
 * One pass keeps the events that touch an index case's window (a hash table of the index
 * persons), one sort by (case, contact, time) groups them, one pass per pair merges the events into
 * disjoint intervals (duplicates from two feeds, or overlapping events, count once) and measures
 * them, with a two-pointer sweep for the busiest period. O(n log cases + k log k) for n events
 * of which k touch an index case: never quadratic, however many events one pair has.
 */
#include "trace_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

typedef struct prec {
    uint32_t c;     /* case number in the sorted cases */
    int64_t other;
    int64_t t;
} prec;

static int cmp_prec(const void *a, const void *b)
{
    const prec *x = a, *y = b;
    if (x->c != y->c)
        return x->c < y->c ? -1 : 1;
    if (x->other != y->other)
        return x->other < y->other ? -1 : 1;
    return (x->t > y->t) - (x->t < y->t);
}

typedef struct pcase {
    int64_t person, from, to;
    size_t pos; /* 1-based position in the caller's array */
} pcase;

static int cmp_pcase(const void *a, const void *b)
{
    const pcase *x = a, *y = b;
    if (x->person != y->person)
        return x->person < y->person ? -1 : 1;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

/* Open-addressing table person -> case number (linear probing, load <= 1/2). */
typedef struct ptab {
    int64_t *key;
    uint32_t *val; /* case number + 1; 0 = empty slot */
    size_t mask;
} ptab;

static int ptab_init(ptab *t, const pcase *c, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    t->key = malloc(cap * sizeof *t->key);
    t->val = calloc(cap, sizeof *t->val);
    t->mask = cap - 1;
    if (!t->key || !t->val)
        return -1;
    for (size_t i = 0; i < n; i++) {
        size_t h = (size_t)zn__tr_mix((uint64_t)c[i].person) & t->mask;
        while (t->val[h])
            h = (h + 1) & t->mask;
        t->key[h] = c[i].person;
        t->val[h] = (uint32_t)(i + 1);
    }
    return 0;
}

static void ptab_fini(ptab *t)
{
    free(t->key);
    free(t->val);
}

static long ptab_find(const ptab *t, int64_t person)
{
    size_t h = (size_t)zn__tr_mix((uint64_t)person) & t->mask;
    for (;;) {
        uint32_t v = t->val[h];
        if (!v)
            return -1;
        if (t->key[h] == person)
            return (long)v - 1;
        h = (h + 1) & t->mask;
    }
}

zn_trace_prox_rule zn_trace_plan_prox_rule(const zn_trace_plan *plan)
{
    zn_trace_prox_rule r = {0, 0, 0};
    if (plan) {
        r.threshold_s = plan->proximity_threshold_s;
        r.resolution_s = plan->proximity_resolution_s;
        r.period_s = plan->proximity_period_s;
    }
    return r;
}

#define PROX_TMAX (INT64_C(1) << 60)

/* Measure one pair's events ev[0..m) (sorted by t) clipped to [f, u): total, busiest period,
 * first and last exposure. iv is scratch for up to m intervals (2 * m int64). */
static void measure(const prec *ev, size_t m, int64_t f, int64_t u, int64_t res, int64_t period,
                    int64_t *iv, zn_trace_prox *row)
{
    size_t k = 0;
    for (size_t i = 0; i < m; i++) {
        int64_t a = ev[i].t > f ? ev[i].t : f;
        int64_t b = ev[i].t + res < u ? ev[i].t + res : u;
        if (b <= a)
            continue;
        if (k && a <= iv[2 * k - 1]) {
            if (b > iv[2 * k - 1])
                iv[2 * k - 1] = b;
        } else {
            iv[2 * k] = a;
            iv[2 * k + 1] = b;
            k++;
        }
    }
    row->contact_s = row->period_max_s = 0;
    if (!k)
        return;
    int64_t total = 0;
    for (size_t i = 0; i < k; i++)
        total += iv[2 * i + 1] - iv[2 * i];
    row->first_exposure = iv[0];
    row->last_exposure = iv[2 * k - 1];
    row->contact_s = total;
    if (period == 0 || iv[2 * k - 1] - iv[0] <= period) {
        row->period_max_s = total;
        return;
    }
    /* the busiest [x, x + period) starts at some interval start: slide x over them */
    int64_t best = 0, acc = 0;
    size_t j = 0;
    for (size_t i = 0; i < k; i++) {
        int64_t end = iv[2 * i] + period;
        while (j < k && iv[2 * j] < end) {
            acc += iv[2 * j + 1] - iv[2 * j];
            j++;
        }
        int64_t over = iv[2 * j - 1] - end; /* only the last interval can stick out */
        int64_t in = acc - (over > 0 ? over : 0);
        if (in > best)
            best = in;
        acc -= iv[2 * i + 1] - iv[2 * i];
    }
    row->period_max_s = best;
}

zn_status zn_trace_proximity(const zn_trace_event *ev, size_t nev, const zn_trace_prox_rule *rule,
                             const zn_trace_case *cases, size_t ncases, zn_trace_prox **out, size_t *n,
                             zn_error *err)
{
    if (!rule || !out || !n || (nev && !ev) || (ncases && !cases))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    *out = NULL;
    *n = 0;
    if (rule->threshold_s < 1 || rule->resolution_s < 1 || rule->resolution_s > 86400 * 366 ||
        rule->period_s < 0)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "rule",
                            "threshold and resolution must be >= 1 s (resolution at most a year), period >= 0");
    if (ncases >= UINT32_MAX / 2)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "too many index cases");
    pcase *pc = malloc((ncases ? ncases : 1) * sizeof *pc);
    if (!pc)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    for (size_t i = 0; i < ncases; i++) {
        if (cases[i].t_to <= cases[i].t_from) {
            free(pc);
            return zn_error_set(err, ZN_EINVAL, NULL, (long)(i + 1), "t_to", "index case window is empty (t_to <= t_from)");
        }
        pc[i] = (pcase){cases[i].person, cases[i].t_from, cases[i].t_to, i + 1};
    }
    qsort(pc, ncases, sizeof *pc, cmp_pcase);
    for (size_t i = 1; i < ncases; i++)
        if (pc[i].person == pc[i - 1].person) {
            long line = (long)pc[i].pos;
            free(pc);
            return zn_error_set(err, ZN_EINVAL, NULL, line, "person", "index case listed twice");
        }

    ptab tab;
    if (ptab_init(&tab, pc, ncases) != 0) {
        ptab_fini(&tab);
        free(pc);
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    prec *r = NULL;
    size_t nr = 0, cr = 0;
    for (size_t e = 0; e < nev; e++) {
        const zn_trace_event *x = &ev[e];
        if (x->t <= -PROX_TMAX || x->t >= PROX_TMAX) {
            ptab_fini(&tab);
            free(pc);
            free(r);
            return zn_error_set(err, ZN_ERANGE, NULL, (long)(e + 1), "t", "event time out of range");
        }
        if (x->i == x->j)
            continue; /* a person with themselves: not a contact */
        for (int side = 0; side < 2; side++) {
            int64_t p = side ? x->j : x->i, o = side ? x->i : x->j;
            long c = ptab_find(&tab, p);
            if (c < 0 || x->t + rule->resolution_s <= pc[c].from || x->t >= pc[c].to)
                continue;
            if (nr == cr) {
                size_t nc = cr ? cr * 2 : 1024;
                prec *nrr = realloc(r, nc * sizeof *nrr);
                if (!nrr) {
                    ptab_fini(&tab);
                    free(pc);
                    free(r);
                    return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                }
                r = nrr;
                cr = nc;
            }
            r[nr++] = (prec){(uint32_t)c, o, x->t};
        }
    }
    ptab_fini(&tab);
    if (nr > 1)
        qsort(r, nr, sizeof *r, cmp_prec);

    int64_t *iv = malloc((nr ? nr : 1) * 2 * sizeof *iv);
    zn_trace_prox *rows = NULL;
    size_t nrows = 0, crows = 0;
    if (!iv)
        goto nomem;
    for (size_t g0 = 0; g0 < nr;) {
        size_t g1 = g0 + 1;
        while (g1 < nr && r[g1].c == r[g0].c && r[g1].other == r[g0].other)
            g1++;
        const pcase *c = &pc[r[g0].c];
        zn_trace_prox row = {c->person, r[g0].other, 0, 0, 0, 0};
        measure(r + g0, g1 - g0, c->from, c->to, rule->resolution_s, rule->period_s, iv, &row);
        int64_t v = rule->period_s ? row.period_max_s : row.contact_s;
        if (row.contact_s > 0 && v >= rule->threshold_s) {
            if (nrows == crows) {
                size_t nc = crows ? crows * 2 : 64;
                zn_trace_prox *nv = realloc(rows, nc * sizeof *nv);
                if (!nv)
                    goto nomem;
                rows = nv;
                crows = nc;
            }
            rows[nrows++] = row;
        }
        g0 = g1;
    }
    free(iv);
    free(r);
    free(pc);
    *out = rows;
    *n = nrows;
    return ZN_OK;
nomem:
    free(iv);
    free(r);
    free(pc);
    free(rows);
    return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
}

/* ---------------------------------------------------------------- reading "t i j" files */

/* Parse one signed decimal integer at *p (skipping blanks and one ',' before it). */
static int field(const char **p, int64_t *v)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == ',') {
        s++;
        while (*s == ' ' || *s == '\t')
            s++;
    }
    if (!(isdigit((unsigned char)*s) || ((*s == '-' || *s == '+') && isdigit((unsigned char)s[1]))))
        return -1;
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno)
        return -1;
    *v = x;
    *p = end;
    return 0;
}

zn_status zn_trace_events_load(const char *path, zn_trace_event **out, size_t *n, zn_error *err)
{
    if (!path || !out || !n)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    *out = NULL;
    *n = 0;
    gzFile f = gzopen(path, "rb");
    if (!f)
        return zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot open: %s", strerror(errno ? errno : ENOENT));
    zn_trace_event *v = NULL;
    size_t nv = 0, cv = 0;
    char line[512];
    long lineno = 0;
    zn_status st = ZN_OK;
    static const char *names[3] = {"t", "i", "j"};
    while (gzgets(f, line, sizeof line)) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            st = zn_error_set(err, ZN_EPARSE, path, lineno, NULL, "line too long");
            break;
        }
        const char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '\0' || *s == '\n' || *s == '\r' || *s == '#')
            continue;
        if (lineno == 1 && isalpha((unsigned char)*s))
            continue; /* a header such as "t i j" or "t,i,j" */
        int64_t x[3];
        int k;
        for (k = 0; k < 3; k++)
            if (field(&s, &x[k]) != 0)
                break;
        if (k < 3) {
            st = zn_error_set(err, ZN_EPARSE, path, lineno, names[k], "expected three integers \"t i j\"");
            break;
        }
        while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
            s++;
        if (*s) {
            st = zn_error_set(err, ZN_EPARSE, path, lineno, NULL, "extra text after \"t i j\"");
            break;
        }
        if (nv == cv) {
            size_t nc = cv ? cv * 2 : 4096;
            zn_trace_event *nw = realloc(v, nc * sizeof *nw);
            if (!nw) {
                st = zn_error_set(err, ZN_ENOMEM, path, lineno, NULL, "out of memory");
                break;
            }
            v = nw;
            cv = nc;
        }
        v[nv++] = (zn_trace_event){x[0], x[1], x[2]};
    }
    int zerr = 0;
    const char *zmsg = gzerror(f, &zerr);
    if (st == ZN_OK && zerr != Z_OK && zerr != Z_STREAM_END)
        st = zn_error_set(err, ZN_EIO, path, lineno, NULL, "read error: %s", zmsg);
    gzclose(f);
    if (st != ZN_OK) {
        free(v);
        return st;
    }
    if (!nv) {
        free(v);
        v = NULL;
    }
    *out = v;
    *n = nv;
    return ZN_OK;
}
