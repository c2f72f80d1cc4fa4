/*
 * Output of the generator: one CSV per catalogue feed, columns in the catalogue's order (read at
 * run time, so the files follow the catalogue when it changes), dirt drawn per row, GBK files,
 * and manifest.json.
 */
#include "gen_int.h"

#include <errno.h>
#include <iconv.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Feed names and the column names each generator slot fills (order = the slot enums). */
static const char *const slots_pop[] = {"resident_id", "name", "sex", "mobile", "residence_type",
                                        "residence_division", "residence_address", "registered_date", "lon", "lat", NULL};
static const char *const slots_grid[] = {"community_code", "community_name", "grid_id", "grid_name", "households",
                                         "residents", "worker_name", "worker_mobile", "worker_role", "lon", "lat", NULL};
static const char *const slots_vreg[] = {"venue_code", "venue_name", "venue_type", "division", "address", "lon", "lat", NULL};
static const char *const slots_vac[] = {"resident_id", "dose", "vaccination_date", "product", "manufacturer", "lot",
                                        "site", "site_division", NULL};
static const char *const slots_hc[] = {"resident_id", "mobile", "color", "since", "reason", "issuing_division", NULL};
static const char *const slots_tg[] = {"mobile", "carrier", "cell_id", "t_start", "t_end", "lon", "lat", NULL};
static const char *const slots_sc[] = {"venue_code", "resident_id", "mobile", "scan_time", "direction", "code_color", NULL};
static const char *const slots_nat[] = {"sample_id", "resident_id", "name", "mobile", "tube_type", "sample_time",
                                        "test_time", "result", "ct_orf1ab", "ct_n", "sampling_site", "site_division",
                                        "lab", NULL};
static const char *const slots_ag[] = {"resident_id", "mobile", "test_time", "result", "setting", "division", NULL};
static const char *const slots_ph[] = {"pharmacy_id", "pharmacy_name", "pharmacy_division", "resident_id", "name",
                                       "mobile", "purchase_time", "drug_category", "drug_name", "quantity",
                                       "temperature", NULL};
static const char *const slots_fv[] = {"visit_id", "hospital", "hospital_division", "resident_id", "name", "mobile",
                                       "visit_time", "temperature", "symptoms", "epi_history", "disposition", NULL};
static const char *const slots_ht[] = {"hotel_id", "hotel_name", "hotel_division", "resident_id", "name", "room",
                                       "checkin_time", "checkout_time", "lon", "lat", NULL};
static const char *const slots_ra[] = {"mobile", "carrier", "arrival_time", "arrival_division", "origin_province",
                                       "origin_city", "risk_area", NULL};
static const char *const slots_pm[] = {"mode", "vehicle", "departure_date", "departure_time", "arrival_time", "origin",
                                       "destination", "carriage", "seat_row", "seat", "resident_id", "name", "mobile",
                                       NULL};
static const char *const slots_cc[] = {"trace_code", "product", "origin_country", "port", "event", "event_time",
                                       "facility", "facility_division", "test_result", "handler_mobile", NULL};
static const char *const slots_cr[] = {"case_id", "resident_id", "name", "sex", "age", "mobile", "classification",
                                       "severity", "onset_date", "diagnosis_time", "report_time",
                                       "residence_division", "residence_address", "lon", "lat", "reporting_unit", NULL};

/* chinese: the rows carry Chinese text, so GBK differs from UTF-8 (only those can be GBK dirt) */
static const struct {
    const char *name;
    const char *const *slots;
    int chinese;
} feed_defs[ZN__F_COUNT] = {
    [ZN__F_POPULATION] = {"population_registry", slots_pop, 1},
    [ZN__F_GRID] = {"community_grid", slots_grid, 1},
    [ZN__F_VENUE_REG] = {"venue_registry", slots_vreg, 1},
    [ZN__F_VACCINATION] = {"vaccination", slots_vac, 1},
    [ZN__F_HEALTH_CODE] = {"health_code_status", slots_hc, 1},
    [ZN__F_TELECOM] = {"telecom_grid_stay", slots_tg, 0},
    [ZN__F_SCAN] = {"venue_scan", slots_sc, 0},
    [ZN__F_NAT] = {"nucleic_acid_test", slots_nat, 1},
    [ZN__F_ANTIGEN] = {"antigen_test", slots_ag, 0},
    [ZN__F_PHARMACY] = {"pharmacy_purchase", slots_ph, 1},
    [ZN__F_FEVER] = {"fever_clinic_visit", slots_fv, 1},
    [ZN__F_HOTEL] = {"hotel_checkin", slots_ht, 1},
    [ZN__F_ROAMING] = {"roaming_arrival", slots_ra, 1},
    [ZN__F_PASSENGER] = {"passenger_manifest", slots_pm, 1},
    [ZN__F_COLD] = {"cold_chain_trace", slots_cc, 1},
    [ZN__F_CASE] = {"case_report", slots_cr, 1},
};

const char *zn__feed_name(int f)
{
    return f >= 0 && f < ZN__F_COUNT ? feed_defs[f].name : "?";
}

static int slot_of(int f, const char *col)
{
    for (int i = 0; feed_defs[f].slots[i]; i++)
        if (!strcmp(feed_defs[f].slots[i], col))
            return i;
    return -1;
}

static zn_status mkdir_p(const char *dir, zn_error *err)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0777);
            *p = '/';
        }
    if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
        return zn_error_set(err, ZN_EIO, dir, 0, NULL, "cannot create folder: %s", strerror(errno));
    return ZN_OK;
}

static zn_status write_header(zn__sink *s, FILE *f)
{
    for (size_t i = 0; i < s->feed->ncolumns; i++) {
        if (i)
            fputc(',', f);
        fputs(s->feed->columns[i].name, f);
    }
    fputc('\n', f);
    return ferror(f) ? ZN_EIO : ZN_OK;
}

zn_status zn__sinks_open(zn__world *w, zn_error *err)
{
    zn_status st = mkdir_p(w->opt->out_dir, err);
    if (st != ZN_OK)
        return st;
    char late_dir[1100];
    snprintf(late_dir, sizeof late_dir, "%s/late", w->opt->out_dir);
    if ((st = mkdir_p(late_dir, err)) != ZN_OK)
        return st;
    /* which feeds exist in the catalogue, and which of them are written in GBK */
    int present[ZN__F_COUNT], np = 0;
    for (int f = 0; f < ZN__F_COUNT; f++)
        if (feed_defs[f].chinese && zn_catalogue_find(w->cat, feed_defs[f].name))
            present[np++] = f;
    w->gbk_eligible = np;
    zn_rng r;
    zn_rng_seed_key(&r, w->seed, ZN__S_FILES, 0, 0);
    for (int i = np - 1; i > 0; i--) {
        int j = (int)zn_rng_below(&r, (uint64_t)i + 1), t = present[i];
        present[i] = present[j];
        present[j] = t;
    }
    double rate = w->opt->dirt[ZN_GEN_DIRT_GBK];
    int ngbk = (int)(rate * np + 0.5);
    if (rate > 0 && ngbk == 0 && np > 0)
        ngbk = 1;
    int gbk[ZN__F_COUNT] = {0};
    for (int i = 0; i < ngbk && i < np; i++)
        gbk[present[i]] = 1;
    for (int f = 0; f < ZN__F_COUNT; f++) {
        zn__sink *s = &w->sink[f];
        memset(s, 0, sizeof *s);
        s->feed = zn_catalogue_find(w->cat, feed_defs[f].name);
        s->lon_col = s->lat_col = s->rid_slot = s->seat_slot = s->seat_row_slot = -1;
        s->check_l = s->check_r = -1;
        if (!s->feed)
            continue;
        if (s->feed->ncolumns > 64)
            return zn_error_set(err, ZN_EUNSUPPORTED, NULL, 0, feed_defs[f].name, "more than 64 columns");
        for (size_t i = 0; i < s->feed->ncolumns; i++) {
            const zn_feed_column *c = &s->feed->columns[i];
            s->colslot[i] = slot_of(f, c->name);
            if (c->type == ZN_COL_RESIDENT_ID && s->colslot[i] >= 0 && s->rid_slot < 0)
                s->rid_slot = s->colslot[i];
            if (!strcmp(c->name, "seat"))
                s->seat_slot = s->colslot[i];
            if (!strcmp(c->name, "seat_row"))
                s->seat_row_slot = s->colslot[i];
        }
        if (s->feed->npoints) {
            s->lon_col = s->feed->points[0].lon;
            s->lat_col = s->feed->points[0].lat;
            s->point_crs = s->feed->points[0].crs;
        }
        if (s->feed->nchecks) {
            const zn_feed_check *ck = &s->feed->checks[0];
            int l = s->colslot[ck->left], rr = s->colslot[ck->right];
            if (ck->op == ZN_CHECK_GE || ck->op == ZN_CHECK_GT) {
                s->check_l = l; /* must stay the later one */
                s->check_r = rr;
            } else {
                s->check_l = rr;
                s->check_r = l;
            }
        }
        s->gbk = gbk[f];
        if (s->gbk) {
            iconv_t cd = iconv_open("GBK", "UTF-8");
            if (cd == (iconv_t)-1)
                return zn_error_set(err, ZN_EUNSUPPORTED, NULL, 0, NULL, "iconv has no GBK");
            s->iconv_cd = (void *)cd;
            s->injected[ZN_GEN_DIRT_GBK] = 1;
        }
        snprintf(s->path, sizeof s->path, "%s/%s.csv", w->opt->out_dir, feed_defs[f].name);
        snprintf(s->late_path, sizeof s->late_path, "%s/late/%s.csv", w->opt->out_dir, feed_defs[f].name);
        remove(s->late_path);
        s->f = fopen(s->path, "wb");
        if (!s->f)
            return zn_error_set(err, ZN_EIO, s->path, 0, NULL, "cannot write: %s", strerror(errno));
        setvbuf(s->f, NULL, _IOFBF, 1 << 20);
        if (write_header(s, s->f) != ZN_OK)
            return zn_error_set(err, ZN_EIO, s->path, 0, NULL, "cannot write");
    }
    return ZN_OK;
}

zn_status zn__sinks_close(zn__world *w, zn_error *err)
{
    zn_status st = ZN_OK;
    for (int f = 0; f < ZN__F_COUNT; f++) {
        zn__sink *s = &w->sink[f];
        if (s->f) {
            s->bytes = ftell(s->f);
            if (fclose(s->f) != 0 && st == ZN_OK)
                st = zn_error_set(err, ZN_EIO, s->path, 0, NULL, "cannot write");
            s->f = NULL;
        }
        if (s->late) {
            s->bytes += ftell(s->late);
            if (fclose(s->late) != 0 && st == ZN_OK)
                st = zn_error_set(err, ZN_EIO, s->late_path, 0, NULL, "cannot write");
            s->late = NULL;
        }
        if (s->iconv_cd) {
            iconv_close((iconv_t)s->iconv_cd);
            s->iconv_cd = NULL;
        }
    }
    return st;
}

zn__tbuf *zn__tbufs_new(int n)
{
    return calloc((size_t)n, sizeof(zn__tbuf));
}

void zn__tbufs_free(zn__tbuf *tbs, int n)
{
    if (!tbs)
        return;
    for (int i = 0; i < n; i++) {
        zn_buf_fini(&tbs[i].main);
        zn_buf_fini(&tbs[i].late);
    }
    free(tbs);
}

/* A line under construction (stack buffer; long rows are cut, none of ours comes near). */
typedef struct line {
    char s[8192];
    size_t n;
} line;

/* Append a CSV field (quoted when it holds a comma, quote or line break). */
static void put_field(line *l, const char *v)
{
    if (!v || !*v)
        return;
    size_t room = sizeof l->s - l->n - 4;
    char *o = l->s + l->n;
    size_t i = 0;
    int quote = 0;
    for (; v[i] && i < room; i++) {
        char c = v[i];
        if (c == ',' || c == '"' || c == '\r' || c == '\n')
            quote = 1;
        o[i] = c;
    }
    if (!quote) {
        l->n += i;
        return;
    }
    size_t k = 0;
    o[k++] = '"';
    for (const char *p = v; *p && k + 3 < room; p++) {
        if (*p == '"')
            o[k++] = '"';
        o[k++] = *p;
    }
    o[k++] = '"';
    l->n += k;
}

static void put_str(line *l, const char *v)
{
    size_t n = strlen(v);
    if (l->n + n + 4 < sizeof l->s) {
        memcpy(l->s + l->n, v, n);
        l->n += n;
    }
}

static const char check_chars[] = "0123456789X";

void zn__emit(zn__world *w, int f, zn__tbuf *tb, zn__row *row, zn_rng *rng)
{
    zn__sink *s = &w->sink[f];
    if (!s->feed)
        return;
    const double *rate = w->opt->dirt;
    int elig[ZN_GEN_DIRT_COUNT] = {0};
    const char *rid = s->rid_slot >= 0 ? row->v[s->rid_slot] : NULL;
    elig[ZN_GEN_DIRT_CHECK_DIGIT] = rid && strlen(rid) == 18;
    elig[ZN_GEN_DIRT_SWAPPED] = s->lon_col >= 0 && row->has_pt;
    elig[ZN_GEN_DIRT_GCJ02] = s->lon_col >= 0 && row->has_pt && s->point_crs == ZN_CRS_WGS84;
    elig[ZN_GEN_DIRT_DUPLICATE] = 1;
    elig[ZN_GEN_DIRT_LATE] = 1;
    elig[ZN_GEN_DIRT_MISSING_SEAT] = s->seat_slot >= 0 && row->v[s->seat_slot] && row->v[s->seat_slot][0];
    if (s->check_l >= 0 && s->check_r >= 0) {
        const char *a = row->v[s->check_l], *b = row->v[s->check_r];
        /* the times are written in one fixed-width form, so text order is time order */
        elig[ZN_GEN_DIRT_END_BEFORE_START] = a && b && *a && *b && strcmp(a, b) > 0;
    }
    double u = zn_rng_uniform(rng), cum = 0;
    int kind = -1;
    for (int k = 0; k < ZN_GEN_DIRT_COUNT; k++) {
        if (k == ZN_GEN_DIRT_GBK || !elig[k])
            continue;
        tb->eligible[k]++;
        cum += rate[k];
        if (kind < 0 && u < cum)
            kind = k;
    }
    if (kind >= 0)
        tb->injected[kind]++;
    char badid[19];
    int swap = 0, gcj = 0;
    switch (kind) {
    case ZN_GEN_DIRT_CHECK_DIGIT: {
        memcpy(badid, rid, 19);
        const char *at = strchr(check_chars, badid[17]);
        int i = at ? (int)(at - check_chars) : 0;
        badid[17] = check_chars[(i + 1 + (int)zn_rng_below(rng, 10)) % 11];
        row->v[s->rid_slot] = badid;
        break;
    }
    case ZN_GEN_DIRT_SWAPPED: swap = 1; break;
    case ZN_GEN_DIRT_GCJ02: gcj = 1; break;
    case ZN_GEN_DIRT_MISSING_SEAT:
        row->v[s->seat_slot] = NULL;
        if (s->seat_row_slot >= 0)
            row->v[s->seat_row_slot] = NULL;
        break;
    case ZN_GEN_DIRT_END_BEFORE_START: {
        const char *t = row->v[s->check_l];
        row->v[s->check_l] = row->v[s->check_r];
        row->v[s->check_r] = t;
        break;
    }
    default: break;
    }
    /* the point in the declared CRS (or GCJ-02 when that dirt was drawn) */
    double lon = row->lon, lat = row->lat;
    if (row->has_pt) {
        if (s->point_crs != ZN_CRS_WGS84)
            zn_crs_convert(ZN_CRS_WGS84, (zn_crs)s->point_crs, lon, lat, &lon, &lat);
        else if (gcj)
            zn_crs_convert(ZN_CRS_WGS84, ZN_CRS_GCJ02, lon, lat, &lon, &lat);
        if (swap) {
            double t = lon;
            lon = lat;
            lat = t;
        }
    }
    zn_buf *b = kind == ZN_GEN_DIRT_LATE ? &tb->late : &tb->main;
    line ln;
    ln.n = 0;
    for (size_t i = 0; i < s->feed->ncolumns; i++) {
        if (i)
            ln.s[ln.n++] = ',';
        if ((int)i == s->lon_col && (int)i == s->lat_col) {
            if (row->has_pt) {
                char x[32], y[32], both[72];
                snprintf(both, sizeof both, "%s,%s", zn__fmt_fixed6(lon, x), zn__fmt_fixed6(lat, y));
                put_field(&ln, both);
            }
        } else if ((int)i == s->lon_col || (int)i == s->lat_col) {
            if (row->has_pt) {
                char x[32];
                put_str(&ln, zn__fmt_fixed6((int)i == s->lon_col ? lon : lat, x));
            }
        } else if (s->colslot[i] >= 0) {
            put_field(&ln, row->v[s->colslot[i]]);
        }
    }
    ln.s[ln.n++] = '\n';
    zn_buf_append(b, ln.s, ln.n);
    if (kind == ZN_GEN_DIRT_LATE) {
        tb->late_rows++;
    } else {
        tb->rows++;
        if (kind == ZN_GEN_DIRT_DUPLICATE && zn_buf_append(b, ln.s, ln.n) == ZN_OK)
            tb->rows++;
    }
}

/* Write n bytes, through iconv for GBK sinks. */
static zn_status sink_write(zn__sink *s, FILE *f, const char *data, size_t n, const char *path, zn_error *err)
{
    if (!n)
        return ZN_OK;
    if (!s->iconv_cd) {
        if (fwrite(data, 1, n, f) != n)
            return zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot write: %s", strerror(errno));
        return ZN_OK;
    }
    char out[65536];
    char *in = (char *)data;
    size_t inleft = n;
    while (inleft) {
        char *o = out;
        size_t oleft = sizeof out;
        size_t rc = iconv((iconv_t)s->iconv_cd, &in, &inleft, &o, &oleft);
        if (rc == (size_t)-1 && errno != E2BIG)
            return zn_error_set(err, ZN_EENCODING, path, 0, NULL, "cannot encode in GBK: %s", strerror(errno));
        if (fwrite(out, 1, sizeof out - oleft, f) != sizeof out - oleft)
            return zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot write: %s", strerror(errno));
    }
    return ZN_OK;
}

zn_status zn__flush(zn__world *w, zn__tbuf *tbs, int ntb, zn_error *err)
{
    for (int f = 0; f < ZN__F_COUNT; f++) {
        zn__sink *s = &w->sink[f];
        for (int t = 0; t < ntb; t++) {
            zn__tbuf *tb = &tbs[(size_t)t * ZN__F_COUNT + (size_t)f];
            if (s->feed) {
                zn_status st = sink_write(s, s->f, tb->main.data, tb->main.len, s->path, err);
                if (st != ZN_OK)
                    return st;
                if (tb->late.len) {
                    if (!s->late) {
                        s->late = fopen(s->late_path, "wb");
                        if (!s->late)
                            return zn_error_set(err, ZN_EIO, s->late_path, 0, NULL, "cannot write: %s", strerror(errno));
                        if (write_header(s, s->late) != ZN_OK)
                            return zn_error_set(err, ZN_EIO, s->late_path, 0, NULL, "cannot write");
                    }
                    if ((st = sink_write(s, s->late, tb->late.data, tb->late.len, s->late_path, err)) != ZN_OK)
                        return st;
                }
                s->rows += tb->rows;
                s->late_rows += tb->late_rows;
                for (int k = 0; k < ZN_GEN_DIRT_COUNT; k++) {
                    s->eligible[k] += tb->eligible[k];
                    s->injected[k] += tb->injected[k];
                }
            }
            zn_buf_reset(&tb->main);
            zn_buf_reset(&tb->late);
            tb->rows = tb->late_rows = 0;
            memset(tb->eligible, 0, sizeof tb->eligible);
            memset(tb->injected, 0, sizeof tb->injected);
        }
    }
    return ZN_OK;
}

/* ---- manifest ---- */

static const char *const setting_names[ZN__T_COUNT] = {"household", "workplace", "school", "venue",
                                                        "healthcare", "transport", "hotel"};

const char *zn__setting_name(int s)
{
    return s >= 0 && s < ZN__T_COUNT ? setting_names[s] : "index";
}

zn_status zn__write_manifest(zn__world *w, double seconds, zn_error *err)
{
    (void)seconds; /* not written: the manifest must be the same bytes for the same seed */
    const zn_gen_options *o = w->opt;
    json_t *m = json_object();
    json_object_set_new(m, "generator", json_string("zhinao gen city"));
    json_object_set_new(m, "seed", json_integer((json_int_t)o->seed));
    json_object_set_new(m, "city", json_string(w->city_code));
    json_object_set_new(m, "city_name", json_string(w->city_name));
    json_object_set_new(m, "persons", json_integer(o->persons));
    json_object_set_new(m, "days", json_integer(o->days));
    json_object_set_new(m, "start_date", json_string(o->start_date));
    json_object_set_new(m, "variant", json_string(w->dis.name));
    json_object_set_new(m, "index_cases", json_integer(o->index_cases));
    json_t *rates = json_object();
    for (int k = 0; k < ZN_GEN_DIRT_COUNT; k++)
        json_object_set_new(rates, zn_gen_dirt_name(k), json_real(o->dirt[k]));
    json_object_set_new(m, "dirt_rates", rates);

    json_t *par = json_object();
    json_object_set_new(par, "incubation_lognormal_meanlog", json_real(w->dis.inc_meanlog));
    json_object_set_new(par, "incubation_lognormal_sdlog", json_real(w->dis.inc_sdlog));
    json_object_set_new(par, "share_asymptomatic", json_real(w->dis.p_asym));
    json_object_set_new(par, "relative_infectiousness_asymptomatic", json_real(w->dis.rel_asym));
    json_t *sar = json_object(), *lam = json_object();
    for (int s = 0; s < ZN__T_COUNT; s++) {
        json_object_set_new(sar, setting_names[s], json_real(w->dis.sar[s]));
        json_object_set_new(lam, setting_names[s], json_real(w->dis.lambda[s]));
    }
    json_object_set_new(par, "secondary_attack_rate", sar);
    json_object_set_new(par, "hazard_per_hour", lam);
    json_object_set_new(m, "parameters", par);

    /* counts */
    int64_t fam_hh = 0, fam_p = 0, ncompound = 0, ncomm = 0, nteam = 0, nclass = 0;
    for (int h = 0; h < w->nhh; h++)
        if (!w->hh[h].collective) {
            fam_hh++;
            fam_p += w->hh[h].n;
        }
    for (int i = 0; i < w->nres; i++)
        ncompound += w->res[i].compound;
    for (int i = 0; i < w->ncomms; i++)
        ncomm += w->comms[i].households > 0;
    for (int g = 0; g < w->ngrp; g++)
        (*(w->grp[g].kind == ZN__P_CLASS ? &nclass : &nteam))++;
    json_t *cnt = json_object();
    json_object_set_new(cnt, "residents", json_integer(w->nres_persons));
    json_object_set_new(cnt, "visitors", json_integer(w->nper - w->nres_persons));
    json_object_set_new(cnt, "households", json_integer(w->nhh));
    json_object_set_new(cnt, "family_households", json_integer(fam_hh));
    json_object_set_new(cnt, "mean_family_household_size", json_real(fam_hh ? (double)fam_p / (double)fam_hh : 0));
    json_object_set_new(cnt, "compounds", json_integer(ncompound));
    json_object_set_new(cnt, "village_settlements", json_integer(w->nres - ncompound));
    json_object_set_new(cnt, "communities", json_integer(ncomm));
    json_object_set_new(cnt, "grids", json_integer(w->ngrids));
    json_object_set_new(cnt, "venues", json_integer(w->nven));
    json_object_set_new(cnt, "work_teams", json_integer(nteam));
    json_object_set_new(cnt, "school_classes", json_integer(nclass));
    json_object_set_new(cnt, "trips", json_integer(w->ntrips));
    json_object_set_new(m, "counts", cnt);

    /* outbreak */
    int64_t by_set[ZN__T_COUNT + 1] = {0}, by_det[4] = {0}, symp = 0, rep = 0, rep_known = 0;
    for (int i = 0; i < w->ninf; i++) {
        const zn__inf *in = &w->inf[i];
        by_set[in->infector < 0 ? ZN__T_COUNT : in->setting]++;
        symp += in->symptomatic;
        if (in->t_report != ZN__NONE) {
            rep++;
            by_det[in->detected_by & 3]++;
            if (in->infector >= 0) {
                int j = w->inf_of[in->infector];
                if (j >= 0 && w->inf[j].t_report != ZN__NONE && w->inf[j].t_report < in->t_report)
                    rep_known++;
            }
        }
    }
    json_t *ob = json_object();
    json_object_set_new(ob, "infections", json_integer(w->ninf));
    json_object_set_new(ob, "symptomatic", json_integer(symp));
    json_object_set_new(ob, "reported", json_integer(rep));
    json_t *bs = json_object();
    for (int s = 0; s < ZN__T_COUNT; s++)
        json_object_set_new(bs, setting_names[s], json_integer(by_set[s]));
    json_object_set_new(bs, "index", json_integer(by_set[ZN__T_COUNT]));
    json_object_set_new(ob, "infections_by_setting", bs);
    json_t *bd = json_object();
    json_object_set_new(bd, "fever_clinic", json_integer(by_det[1]));
    json_object_set_new(bd, "routine_screening", json_integer(by_det[2]));
    json_object_set_new(bd, "quarantine_or_follow_up_test", json_integer(by_det[3]));
    json_object_set_new(ob, "reported_by_route", bd);
    json_object_set_new(ob, "reported_whose_infector_was_reported_earlier", json_integer(rep_known));
    json_object_set_new(m, "outbreak", ob);

    /* files */
    json_t *files = json_array(), *skipped = json_array();
    int64_t tot[ZN_GEN_DIRT_COUNT] = {0};
    for (int f = 0; f < ZN__F_COUNT; f++) {
        const zn__sink *s = &w->sink[f];
        if (!s->feed) {
            json_t *sk = json_object();
            json_object_set_new(sk, "feed", json_string(feed_defs[f].name));
            json_object_set_new(sk, "reason", json_string("not in the catalogue"));
            json_array_append_new(skipped, sk);
            continue;
        }
        json_t *fo = json_object();
        json_object_set_new(fo, "feed", json_string(feed_defs[f].name));
        json_object_set_new(fo, "path", json_string(strrchr(s->path, '/') + 1));
        json_object_set_new(fo, "rows", json_integer(s->rows));
        json_object_set_new(fo, "encoding", json_string(s->gbk ? "gbk" : "utf-8"));
        if (s->late_rows) {
            json_t *lo = json_object();
            char lp[256];
            snprintf(lp, sizeof lp, "late/%s.csv", feed_defs[f].name);
            json_object_set_new(lo, "path", json_string(lp));
            json_object_set_new(lo, "rows", json_integer(s->late_rows));
            json_object_set_new(fo, "late", lo);
        } else {
            json_object_set_new(fo, "late", json_null());
        }
        json_t *unf = json_array();
        for (size_t i = 0; i < s->feed->ncolumns; i++)
            if (s->colslot[i] < 0 && (int)i != s->lon_col && (int)i != s->lat_col)
                json_array_append_new(unf, json_string(s->feed->columns[i].name));
        json_object_set_new(fo, "unfilled_columns", unf);
        json_t *dj = json_object();
        for (int k = 0; k < ZN_GEN_DIRT_COUNT; k++) {
            if (k == ZN_GEN_DIRT_GBK)
                continue;
            json_t *e = json_object();
            json_object_set_new(e, "eligible", json_integer(s->eligible[k]));
            json_object_set_new(e, "injected", json_integer(s->injected[k]));
            json_object_set_new(dj, zn_gen_dirt_name(k), e);
            tot[k] += s->injected[k];
        }
        tot[ZN_GEN_DIRT_GBK] += s->gbk;
        json_object_set_new(fo, "dirt", dj);
        json_array_append_new(files, fo);
    }
    for (size_t i = 0; i < zn_catalogue_count(w->cat); i++) {
        const zn_feed *fd = zn_catalogue_feed(w->cat, i);
        int known = 0;
        for (int f = 0; f < ZN__F_COUNT; f++)
            known |= !strcmp(fd->name, feed_defs[f].name);
        if (!known) {
            json_t *sk = json_object();
            json_object_set_new(sk, "feed", json_string(fd->name));
            json_object_set_new(sk, "reason", json_string("no generator for this feed (not about the demo city)"));
            json_array_append_new(skipped, sk);
        }
    }
    json_object_set_new(m, "files", files);
    json_object_set_new(m, "skipped_feeds", skipped);
    json_t *inj = json_object();
    for (int k = 0; k < ZN_GEN_DIRT_COUNT; k++) {
        json_object_set_new(inj, zn_gen_dirt_name(k), json_integer(tot[k]));
        if (w->sum)
            w->sum->dirt[k] = tot[k];
    }
    json_object_set_new(m, "dirt_injected", inj);
    json_object_set_new(m, "gbk_file_eligible", json_integer(w->gbk_eligible));
    json_t *tr = json_object();
    json_object_set_new(tr, "ground_truth", json_string("ground_truth.csv"));
    json_object_set_new(tr, "stays", o->write_stays ? json_string("truth_stays.csv") : json_null());
    json_object_set_new(tr, "places", json_string("truth_places.csv"));
    json_object_set_new(tr, "persons", json_string("truth_persons.csv"));
    json_object_set_new(m, "truth", tr);

    char path[1100];
    snprintf(path, sizeof path, "%s/manifest.json", o->out_dir);
    int rc = json_dump_file(m, path, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
    json_decref(m);
    if (rc != 0)
        return zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot write the manifest");
    return ZN_OK;
}
