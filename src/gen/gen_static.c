/*
 * Feeds that describe the city before the first day: population registry, community grids and
 * grid workers, venue registry, vaccination history, the first health codes; and the truth tables
 * that decode truth_stays.csv (truth_persons.csv, truth_places.csv).
 */
#include "gen_int.h"

#include "zhinao/time.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static const char *const vtype_names[ZN__V_COUNT] = {
    "supermarket", "market", "restaurant", "hotel", "hospital", "pharmacy",
    "school", "office", "factory", "transport_hub", "other",
};

const char *zn__venue_type_name(int t)
{
    return t >= 0 && t < ZN__V_COUNT ? vtype_names[t] : "other";
}

static const char *role_name(int r)
{
    static const char *const n[] = {"toddler", "pupil", "worker", "home", "retired", "visitor"};
    return r >= 0 && r <= ZN__R_VISITOR ? n[r] : "?";
}

void zn__venue_address(const zn__world *w, int v, char *out, size_t n)
{
    const zn__venue *ve = &w->ven[v];
    const zn__comm *c = &w->comms[ve->comm];
    snprintf(out, n, "%s%s%s%s%d号", w->city_name, w->counties[ve->county].name, w->towns[c->town].name, c->name,
             1 + (int)(ve->morton % 398));
}

static void population(zn__world *w, zn__tbuf *tb)
{
    zn__row row;
    zn_rng r, dr;
    char mob[12], name[32], addr[256], date[11];
    for (int64_t p = 0; p < w->nres_persons; p++) {
        const zn__person *q = &w->per[p];
        const zn__hh *h = &w->hh[q->hh];
        const zn__res *rs = &w->res[h->res];
        zn_rng_seed_key(&r, w->seed, ZN__S_EVENTS, 1, (uint64_t)p);
        zn_rng_seed_key(&dr, w->seed, ZN__S_DIRT, 1, (uint64_t)p);
        zn__row_reset(&row);
        row.v[POP_RID] = q->id;
        zn__person_name(w, q, name, sizeof name);
        row.v[POP_NAME] = name;
        row.v[POP_SEX] = q->sex == 1 ? "male" : "female";
        if (q->mobile) {
            zn__fmt_mobile(q->mobile, mob);
            row.v[POP_MOBILE] = mob;
        }
        row.v[POP_TYPE] = q->registered ? "registered" : "floating";
        row.v[POP_DIV] = w->comms[rs->comm].code;
        zn__hh_address(w, q->hh, addr, sizeof addr);
        row.v[POP_ADDR] = addr;
        int64_t reg = q->registered ? q->birth_days : w->day0 - 30 - (int64_t)zn_rng_below(&r, 1800);
        if (reg < q->birth_days)
            reg = q->birth_days;
        zn__fmt_date(reg, date);
        row.v[POP_REGDATE] = date;
        row.has_pt = 1;
        row.lon = rs->lon + ((h->building % 7) - 3) * 0.0004;
        row.lat = rs->lat + ((h->building / 7 % 7) - 3) * 0.0003;
        zn__emit(w, ZN__F_POPULATION, tb, &row, &dr);
    }
}

static void grids(zn__world *w, zn__tbuf *tb)
{
    static const char *const roles[4] = {"grid_leader", "full_time", "part_time", "volunteer"};
    zn__row row;
    zn_rng dr;
    char gid[40], gname[32], hh[16], res[16], name[32], mob[12];
    for (int g = 0; g < w->ngrids; g++) {
        const struct zn__gridrow *gr = &w->grids[g];
        const zn__comm *c = &w->comms[gr->comm];
        snprintf(gid, sizeof gid, "%s-G%02d", c->code, g - c->first_grid + 1);
        snprintf(gname, sizeof gname, "第%d网格", g - c->first_grid + 1);
        snprintf(hh, sizeof hh, "%d", gr->households);
        snprintf(res, sizeof res, "%d", gr->residents);
        for (int k = 0; k < 4; k++) {
            if (gr->worker[k] < 0)
                continue;
            const zn__person *q = &w->per[gr->worker[k]];
            zn_rng_seed_key(&dr, w->seed, ZN__S_DIRT, 2, (uint64_t)g * 4 + (uint64_t)k);
            zn__row_reset(&row);
            row.v[GRD_COMM] = c->code;
            row.v[GRD_COMM_NAME] = c->name;
            row.v[GRD_ID] = gid;
            row.v[GRD_NAME] = gname;
            row.v[GRD_HH] = hh;
            row.v[GRD_RES] = res;
            zn__person_name(w, q, name, sizeof name);
            row.v[GRD_WNAME] = name;
            zn__fmt_mobile(q->mobile, mob);
            row.v[GRD_WMOBILE] = mob;
            row.v[GRD_ROLE] = roles[k];
            row.has_pt = 1;
            row.lon = gr->lon;
            row.lat = gr->lat;
            zn__emit(w, ZN__F_GRID, tb, &row, &dr);
        }
    }
}

static void venues(zn__world *w, zn__tbuf *tb)
{
    zn__row row;
    zn_rng dr;
    char addr[256];
    for (int v = 0; v < w->nven; v++) {
        const zn__venue *ve = &w->ven[v];
        zn_rng_seed_key(&dr, w->seed, ZN__S_DIRT, 3, (uint64_t)v);
        zn__row_reset(&row);
        row.v[VR_CODE] = ve->code;
        row.v[VR_NAME] = ve->name;
        row.v[VR_TYPE] = vtype_names[ve->type];
        row.v[VR_DIV] = w->comms[ve->comm].code;
        zn__venue_address(w, v, addr, sizeof addr);
        row.v[VR_ADDR] = addr;
        row.has_pt = 1;
        row.lon = ve->lon;
        row.lat = ve->lat;
        zn__emit(w, ZN__F_VENUE_REG, tb, &row, &dr);
    }
}

/*
 * Vaccination history before the start date. Coverage by age is our assumption, set near the
 * national figures of early 2022 (about 88 % of the population fully vaccinated, boosters for about
 * half of adults; NHC press conferences); 3-11 year olds from November 2021.
 */
static void vaccination(zn__world *w, zn__tbuf *tb)
{
    static const struct {
        const char *product, *maker;
        double share;
        int doses;
    } prod[] = {
        {"inactivated", "北京科兴中维生物技术有限公司", 0.45, 2},
        {"inactivated", "北京生物制品研究所有限责任公司", 0.30, 2},
        {"inactivated", "武汉生物制品研究所有限责任公司", 0.13, 2},
        {"recombinant_protein", "安徽智飞龙科马生物制药有限公司", 0.07, 3},
        {"adenovirus_vector", "康希诺生物股份公司", 0.05, 1},
    };
    double shares[5];
    for (int i = 0; i < 5; i++)
        shares[i] = prod[i].share;
    zn__row row;
    zn_rng r, dr;
    char dose_s[4], date[11], lot[16], site[96];
    for (int64_t p = 0; p < w->nres_persons; p++) {
        const zn__person *q = &w->per[p];
        zn_rng_seed_key(&r, w->seed, ZN__S_VACC, (uint64_t)p, 0);
        zn_rng_seed_key(&dr, w->seed, ZN__S_DIRT, 4, (uint64_t)p);
        double pfull = q->age < 3 ? 0 : q->age < 12 ? 0.80 : q->age < 60 ? 0.95 : q->age < 80 ? 0.85 : 0.50;
        double pboost = q->age < 18 ? 0 : q->age < 60 ? 0.60 : 0.45;
        if (zn_rng_uniform(&r) >= pfull)
            continue;
        int k = (int)zn_rng_weighted(&r, shares, 5);
        if (q->age < 18)
            k = (int)zn_rng_below(&r, 3); /* children: inactivated only */
        int n = prod[k].doses;
        if (prod[k].doses == 2 && zn_rng_uniform(&r) < pboost)
            n = 3;
        if (prod[k].doses == 1 && zn_rng_uniform(&r) < pboost)
            n = 2;
        int64_t first = q->age < 12 ? zn_days_from_civil(2021, 11, 1) : zn_days_from_civil(2021, 3, 1);
        int64_t d = first + (int64_t)zn_rng_below(&r, 150);
        const zn__res *rs = &w->res[w->hh[q->hh].res];
        const zn__town *t = &w->towns[w->comms[rs->comm].town];
        snprintf(site, sizeof site, "%s社区卫生服务中心", t->name);
        for (int i = 1; i <= n; i++) {
            if (i == 2)
                d += 21 + (int64_t)zn_rng_below(&r, 36);
            else if (i == 3)
                d += 180 + (int64_t)zn_rng_below(&r, 60);
            if (d >= w->day0)
                break;
            zn__row_reset(&row);
            row.v[VAC_RID] = q->id;
            snprintf(dose_s, sizeof dose_s, "%d", i);
            row.v[VAC_DOSE] = dose_s;
            zn__fmt_date(d, date);
            row.v[VAC_DATE] = date;
            row.v[VAC_PRODUCT] = prod[k].product;
            row.v[VAC_MAKER] = prod[k].maker;
            snprintf(lot, sizeof lot, "2021%06d", (int)zn_rng_below(&r, 1000000));
            row.v[VAC_LOT] = lot;
            row.v[VAC_SITE] = site;
            row.v[VAC_DIV] = t->code;
            zn__emit(w, ZN__F_VACCINATION, tb, &row, &dr);
        }
    }
}

/* Health codes issued from 2020-02-11 (Hangzhou's launch, outbreak-anchors.md Table 6): every
 * resident green from then. */
static void health_codes(zn__world *w, zn__tbuf *tb)
{
    zn__row row;
    zn_rng r, dr;
    char mob[12], since[20];
    zn_civil c = {2020, 2, 11, 8, 0, 0};
    int64_t t0 = zn_time_from_civil(&c, ZN__TZ);
    for (int64_t p = 0; p < w->nres_persons; p++) {
        const zn__person *q = &w->per[p];
        zn_rng_seed_key(&r, w->seed, ZN__S_EVENTS, 2, (uint64_t)p);
        zn_rng_seed_key(&dr, w->seed, ZN__S_DIRT, 5, (uint64_t)p);
        zn__row_reset(&row);
        row.v[HC_RID] = q->id;
        if (q->mobile) {
            zn__fmt_mobile(q->mobile, mob);
            row.v[HC_MOBILE] = mob;
        }
        row.v[HC_COLOR] = "green";
        zn__fmt_time(t0 + (int64_t)zn_rng_below(&r, 40 * ZN__DAY), since);
        row.v[HC_SINCE] = since;
        row.v[HC_REASON] = "初次申领";
        row.v[HC_DIV] = w->counties[w->res[w->hh[q->hh].res].county].code;
        zn__emit(w, ZN__F_HEALTH_CODE, tb, &row, &dr);
    }
}

static zn_status truth_tables(zn__world *w, zn_error *err)
{
    char path[1100], mob[12];
    snprintf(path, sizeof path, "%s/truth_persons.csv", w->opt->out_dir);
    FILE *f = fopen(path, "wb");
    if (!f)
        return zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot write: %s", strerror(errno));
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    fputs("person_id,resident_id,mobile,household,household_type,role,age,sex,work_place\n", f);
    for (int64_t p = 0; p < w->nper; p++) {
        const zn__person *q = &w->per[p];
        mob[0] = '\0';
        if (q->mobile)
            zn__fmt_mobile(q->mobile, mob);
        fprintf(f, "%lld,%s,%s,%d,%s,%s,%d,%s,%d\n", (long long)p, q->id, mob, q->hh,
                q->hh < 0 ? "" : w->hh[q->hh].collective ? "collective" : "family", role_name(q->role), q->age,
                q->sex == 1 ? "male" : "female", q->work_place);
    }
    w->bytes_other += ftell(f);
    if (fclose(f) != 0)
        return zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot write");
    snprintf(path, sizeof path, "%s/truth_places.csv", w->opt->out_dir);
    f = fopen(path, "wb");
    if (!f)
        return zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot write: %s", strerror(errno));
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    fputs("place_id,kind,setting,code,name\n", f);
    char addr[256];
    for (int h = 0; h < w->nhh; h++) {
        zn__hh_address(w, h, addr, sizeof addr);
        fprintf(f, "%d,household,household,H%d,%s\n", w->pbase[ZN__P_HOUSEHOLD] + h, h, addr);
    }
    for (int g = 0; g < w->ngrp; g++) {
        const zn__group *gp = &w->grp[g];
        fprintf(f, "%d,%s,%s,%s,%s %s %d\n", w->pbase[ZN__P_TEAM] + g, gp->kind == ZN__P_CLASS ? "class" : "team",
                gp->kind == ZN__P_CLASS ? "school" : "workplace", w->ven[gp->venue].code, w->ven[gp->venue].name,
                gp->kind == ZN__P_CLASS ? "grade" : "team", gp->kind == ZN__P_CLASS ? gp->grade : g);
    }
    for (int v = 0; v < w->nven; v++) {
        const zn__venue *ve = &w->ven[v];
        int t = ve->type;
        const char *set = t == ZN__V_HOSPITAL ? "healthcare" : t == ZN__V_BUS ? "transport" : t == ZN__V_HOTEL ? "hotel" : "venue";
        fprintf(f, "%d,venue,%s,%s,%s\n", w->pbase[ZN__P_VENUE] + v, set, ve->code, ve->name);
    }
    for (int k = 0; k < w->ncounties; k++)
        for (int dir = 0; dir < 2; dir++)
            for (int slot = 0; slot < 144; slot++)
                for (int car = 0; car < w->metro_maxcars; car++)
                    fprintf(f, "%d,metro,transport,M%.6s-%d-%02d%02d-%d,%s地铁 %s %02d:%02d 第%d节车厢\n",
                            w->pbase[ZN__P_METRO] + ((k * 2 + dir) * 144 + slot) * w->metro_maxcars + car,
                            w->counties[k].code6, dir, slot / 6, slot % 6 * 10, car + 1, w->counties[k].name,
                            dir ? "出城" : "进城", slot / 6, slot % 6 * 10, car + 1);
    int ext = w->opt->days + 14;
    for (int rt = 0; rt < zn__nroutes; rt++)
        for (int dir = 0; dir < 2; dir++)
            for (int d = 0; d < ext; d++)
                for (int c = 0; c < 17; c++) {
                    char date[11];
                    zn__fmt_date(w->day0 + d - 7, date);
                    const zn__route *ro = &zn__routes[rt];
                    const char *num = dir ? ro->number_back : ro->number_out;
                    int id = w->pbase[ZN__P_TRIP] + ((rt * 2 + dir) * ext + d) * 17 + c;
                    if (ro->mode)
                        fprintf(f, "%d,train,transport,%s-%s-%d,%s %s 第%d节车厢\n", id, num, date, c + 1, num, date, c + 1);
                    else
                        fprintf(f, "%d,flight,transport,%s-%s-%d,%s %s 第%d-%d排\n", id, num, date, c + 1, num, date,
                                c * 3 + 1, c * 3 + 3);
                }
    for (int i = 0; i < w->nvisits; i++)
        fprintf(f, "%d,room,hotel,%s,%s\n", w->pbase[ZN__P_ROOM] + i, w->ven[w->visits[i].hotel].code,
                w->ven[w->visits[i].hotel].name);
    w->bytes_other += ftell(f);
    if (fclose(f) != 0)
        return zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot write");
    return ZN_OK;
}

zn_status zn__write_static(zn__world *w, zn_error *err)
{
    zn__tbuf *tb = zn__tbufs_new(ZN__F_COUNT);
    if (!tb)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    population(w, &tb[ZN__F_POPULATION]);
    grids(w, &tb[ZN__F_GRID]);
    venues(w, &tb[ZN__F_VENUE_REG]);
    zn_status st = zn__flush(w, tb, 1, err);
    if (st == ZN_OK) {
        vaccination(w, &tb[ZN__F_VACCINATION]);
        health_codes(w, &tb[ZN__F_HEALTH_CODE]);
        st = zn__flush(w, tb, 1, err);
    }
    zn__tbufs_free(tb, ZN__F_COUNT);
    if (st == ZN_OK)
        st = truth_tables(w, err);
    return st;
}
