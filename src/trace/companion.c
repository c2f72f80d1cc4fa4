/*
 * Spatiotemporal companions (时空伴随者): the Chengdu rule of November 2021 (same 800 m grid cell,
 * together more than 10 minutes, optionally either number's cumulative stay in the cell over
 * 30 hours in the last 14 days; Guangming Daily 2021-11-11, outbreak-anchors.md Table 5), on an
 * index of telecom grid-cell stays. The pair search is the kernel's probe; the cumulative stay of
 * a person in a cell is summed over that person's stays (person lists), once per (person, cell).
 */
#include "trace_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct comp_hit {
    uint32_t c, g, s;
} comp_hit;

static int cmp_comp(const void *a, const void *b)
{
    const comp_hit *x = a, *y = b;
    if (x->c != y->c)
        return x->c < y->c ? -1 : 1;
    if (x->s != y->s)
        return x->s < y->s ? -1 : 1;
    return (x->g > y->g) - (x->g < y->g);
}

/* Seconds person p spends in place g within [lo, hi) (relative times), over all its stays. */
static uint64_t dwell(const zn_trace_index *ix, uint32_t p, uint32_t g, uint32_t lo, uint32_t hi)
{
    uint64_t sum = 0;
    for (uint32_t k = ix->person_off[p]; k < ix->person_off[p + 1]; k++) {
        uint32_t pos = ix->person_pos[k];
        if (pos < ix->place_off[g] || pos >= ix->place_off[g + 1])
            continue;
        uint32_t a = ix->A[pos] > lo ? ix->A[pos] : lo, b = ix->B[pos] < hi ? ix->B[pos] : hi;
        if (b > a)
            sum += b - a;
    }
    return sum;
}

zn_status zn_trace_companions(const zn_trace_index *ix, const zn_trace_plan *plan,
                              const zn_trace_case *c, int refine, zn_trace_close **out, size_t *n,
                              zn_error *err)
{
    if (!ix || !plan || !c || !out || !n)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "NULL argument");
    *out = NULL;
    *n = 0;
    if (c->t_to <= c->t_from)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "t_to", "window end is not after its start");
    uint32_t pi = zn__tr_person_rank(ix, c->person);
    if (pi == UINT32_MAX)
        return ZN_OK;
    int64_t d64 = plan->companion_min_overlap_s + 1; /* "more than" 10 minutes */
    uint32_t D = d64 > (int64_t)ZN__TR_TMAX ? ZN__TR_TMAX : (uint32_t)d64;
    uint32_t f = zn__tr_rel_clamp(ix, c->t_from), u = zn__tr_rel_clamp(ix, c->t_to);
    uint32_t w0 = zn__tr_rel_clamp(ix, c->t_to - (int64_t)plan->companion_window_days * 86400);
    zn__tr_vec cand = {0};
    comp_hit *h = NULL;
    size_t nh = 0, cap = 0;
    zn_status st = ZN_OK;
    for (uint32_t k = ix->person_off[pi]; k < ix->person_off[pi + 1]; k++) {
        uint32_t pos = ix->person_pos[k];
        uint32_t lo = ix->A[pos] > f ? ix->A[pos] : f, hi = ix->B[pos] < u ? ix->B[pos] : u;
        if (hi <= lo || hi - lo < D)
            continue;
        uint32_t g = zn__tr_place_of(ix, pos);
        cand.n = 0;
        if (zn__tr_probe(ix, g, lo, hi, D, &cand))
            goto nomem;
        for (size_t x = 0; x < cand.n; x++) {
            uint32_t j = cand.v[x];
            if (ix->P[j] == pi)
                continue;
            if (nh == cap) {
                cap = cap ? cap * 2 : 64;
                comp_hit *nv = realloc(h, cap * sizeof *nv);
                if (!nv)
                    goto nomem;
                h = nv;
            }
            h[nh++] = (comp_hit){ix->P[j], g, ix->A[j] > lo ? ix->A[j] : lo};
        }
    }
    qsort(h, nh, sizeof *h, cmp_comp);
    /* per contact, the first (by s) cell that passes the refinement */
    zn_trace_close *rows = malloc((nh ? nh : 1) * sizeof *rows);
    if (!rows)
        goto nomem;
    size_t m = 0;
    uint64_t cum = (uint64_t)plan->companion_cumulative_s;
    for (size_t i = 0; i < nh;) {
        size_t e = i;
        while (e < nh && h[e].c == h[i].c)
            e++;
        for (size_t k = i; k < e; k++) {
            if (refine && dwell(ix, pi, h[k].g, w0, u) <= cum && dwell(ix, h[k].c, h[k].g, w0, u) <= cum)
                continue;
            rows[m++] = (zn_trace_close){c->person, ix->person_raw[h[k].c], ix->base + h[k].s,
                                         ix->place_raw[h[k].g]};
            break;
        }
        i = e;
    }
    free(h);
    free(cand.v);
    if (m == 0) {
        free(rows);
        rows = NULL;
    }
    *out = rows;
    *n = m;
    return st;
nomem:
    free(h);
    free(cand.v);
    return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
}
