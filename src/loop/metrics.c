/*
 * On-time metrics by division level and template. One pass over the tasks that touch the range
 * (created before its end, not ended before its start); groups are keyed by the division code
 * prefix, which rolls up by construction: NBS codes nest (2 province, 4 city, 6 county, 9
 * township, 12 village digits). Percentiles: R's type 7 (linear interpolation between order
 * statistics, Hyndman & Fan 1996), the default of R and numpy.
 */
#include "loop_int.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct group {
    zn_loop_metrics_row row;
    int64_t *dur;
    size_t ndur, cap;
} group;

typedef struct gmap {
    group *g;
    size_t n, cap;
    int64_t *slot; /* index + 1 into g, 0 empty */
    size_t nslot;
} gmap;

static uint64_t fnv(const char *a, const char *b, const char *c)
{
    uint64_t h = 1469598103934665603ULL;
    const char *parts[3] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++)
            h = (h ^ *p) * 1099511628211ULL;
        h = (h ^ 0xff) * 1099511628211ULL;
    }
    return h;
}

static zn_status rehash(gmap *m, size_t nslot)
{
    int64_t *s = calloc(nslot, sizeof *s);
    if (!s)
        return ZN_ENOMEM;
    for (size_t i = 0; i < m->n; i++) {
        group *g = &m->g[i];
        size_t k = fnv(g->row.division, g->row.grid_id, g->row.template_id) & (nslot - 1);
        while (s[k])
            k = (k + 1) & (nslot - 1);
        s[k] = (int64_t)i + 1;
    }
    free(m->slot);
    m->slot = s;
    m->nslot = nslot;
    return ZN_OK;
}

static group *find(gmap *m, const char *div, const char *grid, const char *tpl)
{
    if (m->n * 2 >= m->nslot && rehash(m, m->nslot ? m->nslot * 2 : 64) != ZN_OK)
        return NULL;
    size_t k = fnv(div, grid, tpl) & (m->nslot - 1);
    while (m->slot[k]) {
        group *g = &m->g[m->slot[k] - 1];
        if (!strcmp(g->row.division, div) && !strcmp(g->row.grid_id, grid) && !strcmp(g->row.template_id, tpl))
            return g;
        k = (k + 1) & (m->nslot - 1);
    }
    if (m->n == m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 32;
        group *ng = realloc(m->g, nc * sizeof *ng);
        if (!ng)
            return NULL;
        m->g = ng;
        m->cap = nc;
    }
    group *g = &m->g[m->n];
    memset(g, 0, sizeof *g);
    snprintf(g->row.division, sizeof g->row.division, "%s", div);
    snprintf(g->row.grid_id, sizeof g->row.grid_id, "%s", grid);
    snprintf(g->row.template_id, sizeof g->row.template_id, "%s", tpl);
    m->slot[k] = (int64_t)++m->n;
    return g;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_row(const void *a, const void *b)
{
    const zn_loop_metrics_row *x = a, *y = b;
    int c = strcmp(x->division, y->division);
    if (!c)
        c = strcmp(x->grid_id, y->grid_id);
    return c ? c : strcmp(x->template_id, y->template_id);
}

/* Type-7 quantile of sorted v[0..n-1], n > 0. */
static double quantile(const int64_t *v, size_t n, double p)
{
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        return (double)v[n - 1];
    return (double)v[lo] + (h - (double)lo) * (double)(v[lo + 1] - v[lo]);
}

zn_status zn_loop_metrics(zn_store *st, const zn_loop_metrics_query *q, zn_loop_metrics_row **rows, size_t *nrows,
                          zn_error *err)
{
    *rows = NULL;
    *nrows = 0;
    if (!st || !q)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_loop_metrics: NULL argument");
    static const int keylen[] = {0, 2, 4, 6, 9, 12, 12};
    if (q->group_level < 0 || q->group_level > 6)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "level", "group level %d: expected 0..6", q->group_level);
    const char *prefix = q->division_prefix ? q->division_prefix : "";
    size_t plen = strlen(prefix);
    if (plen > 12)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "division", "division prefix longer than 12 digits");
    for (size_t i = 0; i < plen; i++)
        if (!isdigit((unsigned char)prefix[i]))
            return zn_error_set(err, ZN_EINVAL, NULL, 0, "division", "division prefix '%s' is not digits", prefix);
    int64_t from = q->from, to = q->to ? q->to : zn_ctx_now(zn_store_ctx(st));
    if (to < from)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "to", "range ends before it starts");

    zn_buf sql = {0};
    /* Only the columns needed: the row decoding is most of the cost over a province. */
    zn_status rc = zn_buf_puts(&sql, "SELECT created_at, ended_at, deadline, done_at, closed_at, transferred_to, state");
    if (rc == ZN_OK)
        rc = zn_buf_puts(&sql, q->group_level ? ", division_code" : ", NULL");
    if (rc == ZN_OK)
        rc = zn_buf_puts(&sql, q->group_level == 6 ? ", grid_id" : ", NULL");
    if (rc == ZN_OK)
        rc = zn_buf_puts(&sql, q->by_template ? ", template_id" : ", NULL");
    if (rc == ZN_OK)
        rc = zn_buf_puts(&sql, " FROM loop_task WHERE created_at < ? AND (ended_at IS NULL OR ended_at >= ?)");
    /* A province (or wider) is most of the table: scan it; below, the division index pays. */
    if (rc == ZN_OK && plen && plen <= 2)
        rc = zn_buf_puts(&sql, " AND substr(division_code, 1, ?) = ?");
    else if (rc == ZN_OK && plen)
        rc = zn_buf_puts(&sql, " AND division_code >= ? AND division_code < ?");
    if (rc == ZN_OK && q->template_id)
        rc = zn_buf_puts(&sql, " AND template_id = ?");
    zn_stmt *s = NULL;
    if (rc != ZN_OK) {
        zn_buf_fini(&sql);
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    rc = zn_stmt_prepare(st, sql.data, &s, err);
    zn_buf_fini(&sql);
    if (rc != ZN_OK)
        return rc;
    int bi = 1;
    zn_stmt_bind_int64(s, bi++, to);
    zn_stmt_bind_int64(s, bi++, from);
    char hi[16];
    if (plen && plen <= 2) {
        zn_stmt_bind_int64(s, bi++, (int64_t)plen);
        zn_stmt_bind_text(s, bi++, prefix);
    } else if (plen) {
        snprintf(hi, sizeof hi, "%s:", prefix);
        zn_stmt_bind_text(s, bi++, prefix);
        zn_stmt_bind_text(s, bi++, hi);
    }
    if (q->template_id)
        zn_stmt_bind_text(s, bi++, q->template_id);

    gmap m = {0};
    int klen = keylen[q->group_level];
    int row = 0;
    group *g = NULL;
    char div[13] = "";
    while ((rc = zn_stmt_step(s, &row, err)) == ZN_OK && row) {
        if (klen) {
            const char *dc = zn_stmt_column_text(s, 7);
            size_t dl = strlen(dc);
            memcpy(div, dc, dl < (size_t)klen ? dl : (size_t)klen);
            memset(div + (dl < (size_t)klen ? dl : (size_t)klen), '0', 12 - (dl < (size_t)klen ? dl : (size_t)klen));
        }
        const char *grid = q->group_level == 6 ? zn_stmt_column_text(s, 8) : "";
        const char *tpl = q->by_template ? zn_stmt_column_text(s, 9) : "";
        /* rows of one group often follow each other; else hash */
        if (!g || strcmp(g->row.division, div) || strcmp(g->row.grid_id, grid) || strcmp(g->row.template_id, tpl)) {
            g = find(&m, div, grid, tpl);
            if (!g) {
                rc = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                break;
            }
        }
        int64_t created = zn_stmt_column_int64(s, 0);
        int ended = !zn_stmt_column_is_null(s, 1);
        int64_t ended_at = zn_stmt_column_int64(s, 1);
        int has_deadline = !zn_stmt_column_is_null(s, 2);
        int64_t deadline = zn_stmt_column_int64(s, 2);
        zn_loop_metrics_row *r = &g->row;
        if (created >= from)
            r->issued++;
        if (ended && ended_at >= from && ended_at < to) {
            const char *state = zn_stmt_column_text(s, 6);
            if (!zn_stmt_column_is_null(s, 5))
                r->transferred++; /* ended by a transfer: the linked task does the work */
            else if (state[0] == 'c' && state[1] == 'l') { /* closed */
                int64_t done = zn_stmt_column_int64(s, 3), closed_at = zn_stmt_column_int64(s, 4);
                r->closed++;
                if (!has_deadline || (done && done <= deadline))
                    r->on_time++;
                if (g->ndur == g->cap) {
                    size_t nc = g->cap ? g->cap * 2 : 16;
                    int64_t *nd = realloc(g->dur, nc * sizeof *nd);
                    if (!nd) {
                        rc = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                        break;
                    }
                    g->dur = nd;
                    g->cap = nc;
                }
                g->dur[g->ndur++] = closed_at - created;
            } else if (state[0] == 'c' && state[1] == 'a') /* cancelled */
                r->cancelled++;
        }
        if (!ended || ended_at >= to) {
            r->backlog++;
            if (has_deadline && deadline < to)
                r->overdue++;
        }
    }
    zn_stmt_finalize(s);
    zn_loop_metrics_row *out = NULL;
    if (rc == ZN_OK && m.n && !(out = malloc(m.n * sizeof *out)))
        rc = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    for (size_t i = 0; i < m.n; i++) {
        group *gr = &m.g[i];
        zn_loop_metrics_row *r = &gr->row;
        r->on_time_rate = r->closed ? (double)r->on_time / (double)r->closed : NAN;
        r->median_close_s = r->p90_close_s = NAN;
        if (gr->ndur) {
            qsort(gr->dur, gr->ndur, sizeof *gr->dur, cmp_i64);
            r->median_close_s = quantile(gr->dur, gr->ndur, 0.5);
            r->p90_close_s = quantile(gr->dur, gr->ndur, 0.9);
        }
        if (out)
            out[i] = *r;
        free(gr->dur);
    }
    free(m.g);
    free(m.slot);
    if (rc != ZN_OK) {
        free(out);
        return rc;
    }
    if (out)
        qsort(out, m.n, sizeof *out, cmp_row);
    *rows = out;
    *nrows = m.n;
    return ZN_OK;
}
