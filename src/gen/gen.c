/* zn_gen_city: options, checks, and the order of the work (see include/zhinao/gen.h). */
#include "gen_int.h"

#include "zhinao/time.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

static const struct {
    const char *name;
    double rate;
} dirt_defs[ZN_GEN_DIRT_COUNT] = {
#define ZN__GEN_DIRT_DEF(e, name, rate) {name, rate},
    ZN_GEN_DIRT_TABLE(ZN__GEN_DIRT_DEF)
#undef ZN__GEN_DIRT_DEF
};

const char *zn_gen_dirt_name(int kind)
{
    return kind >= 0 && kind < ZN_GEN_DIRT_COUNT ? dirt_defs[kind].name : "?";
}

double zn_gen_dirt_default(int kind)
{
    return kind >= 0 && kind < ZN_GEN_DIRT_COUNT ? dirt_defs[kind].rate : 0;
}

int zn_gen_dirt_find(const char *name)
{
    for (int k = 0; name && k < ZN_GEN_DIRT_COUNT; k++)
        if (!strcmp(dirt_defs[k].name, name))
            return k;
    return -1;
}

void zn_gen_options_default(zn_gen_options *o)
{
    memset(o, 0, sizeof *o);
    o->city = "330100";
    o->persons = 20000;
    o->days = 14;
    o->seed = 1;
    o->start_date = "2022-03-01";
    o->out_dir = "demo-city";
    o->index_cases = 8;
    o->variant = ZN_GEN_OMICRON;
    for (int k = 0; k < ZN_GEN_DIRT_COUNT; k++)
        o->dirt[k] = dirt_defs[k].rate;
    o->write_stays = 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

zn_status zn_gen_city(zn_ctx *ctx, const zn_gen_options *opt, zn_gen_summary *sum, zn_error *err)
{
    double t_begin = now_s();
    zn_error_clear(err);
    if (!ctx || !opt)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "ctx and opt are required");
    if (!opt->data_dir || !*opt->data_dir)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "data_dir", "the shipped data folder is required");
    if (!opt->out_dir || !*opt->out_dir)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "out_dir", "an output folder is required");
    if (opt->persons < 100 || opt->persons > 100000000)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "persons", "persons must be 100..100000000, not %lld",
                            (long long)opt->persons);
    if (opt->days < 1 || opt->days > 120)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "days", "days must be 1..120, not %d", opt->days);
    if (opt->index_cases < 1 || opt->index_cases > 1000)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "index_cases", "index cases must be 1..1000");
    if (opt->variant != ZN_GEN_OMICRON && opt->variant != ZN_GEN_ANCESTRAL)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "variant", "unknown variant");
    double rowsum = 0;
    for (int k = 0; k < ZN_GEN_DIRT_COUNT; k++) {
        if (!(opt->dirt[k] >= 0 && opt->dirt[k] <= 1))
            return zn_error_set(err, ZN_EINVAL, NULL, 0, zn_gen_dirt_name(k), "a dirt rate must be 0..1");
        if (k != ZN_GEN_DIRT_GBK)
            rowsum += opt->dirt[k];
    }
    if (rowsum > 1)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "dirt", "row dirt rates add up to %.3f > 1", rowsum);
    int64_t start_utc;
    int flags;
    if (!opt->start_date || zn_time_parse(opt->start_date, ZN__TZ, &start_utc, &flags, err) != ZN_OK ||
        (flags & ZN_TIME_HAS_TIME))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "start_date", "start date must be YYYY-MM-DD");

    zn__world w;
    memset(&w, 0, sizeof w);
    zn_gen_options o = *opt;
    w.ctx = ctx;
    w.opt = &o;
    w.seed = opt->seed;
    w.t0 = start_utc;
    w.day0 = zn_time_local_day(start_utc, ZN__TZ);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    w.threads = opt->threads > 0 ? opt->threads : (int)(ncpu > 0 ? ncpu : 1);
    if (w.threads > 8)
        w.threads = 8;
    zn_gen_summary local;
    memset(&local, 0, sizeof local);
    w.sum = sum ? sum : &local;
    memset(w.sum, 0, sizeof *w.sum);

    char catpath[1200];
    if (opt->catalogue)
        snprintf(catpath, sizeof catpath, "%s", opt->catalogue);
    else
        snprintf(catpath, sizeof catpath, "%s/feeds/catalogue.json", opt->data_dir);
    zn_status st = zn_catalogue_load(catpath, &w.cat, err);
    if (st == ZN_OK)
        st = zn__world_build(&w, err);
    if (st == ZN_OK)
        st = zn__sinks_open(&w, err);
    if (st == ZN_OK)
        st = zn__write_static(&w, err);
    if (st == ZN_OK)
        st = zn__simulate(&w, err);
    zn_status st2 = zn__sinks_close(&w, st == ZN_OK ? err : NULL);
    if (st == ZN_OK)
        st = st2;
    if (st == ZN_OK)
        st = zn__write_manifest(&w, now_s() - t_begin, err);
    if (st == ZN_OK) {
        zn_gen_summary *s = w.sum;
        s->residents = w.nres_persons;
        s->visitors = w.nper - w.nres_persons;
        s->households = w.nhh;
        for (int i = 0; i < w.nres; i++)
            s->compounds += w.res[i].compound;
        for (int i = 0; i < w.ncomms; i++)
            s->communities += w.comms[i].households > 0;
        s->grids = w.ngrids;
        s->venues = w.nven;
        s->infections = w.ninf;
        for (int i = 0; i < w.ninf; i++)
            s->cases_reported += w.inf[i].t_report != ZN__NONE;
        s->bytes = w.bytes_other;
        for (int f = 0; f < ZN__F_COUNT; f++) {
            if (!w.sink[f].feed)
                continue;
            s->feed_files += 1 + (w.sink[f].late_rows > 0);
            s->feed_rows += w.sink[f].rows + w.sink[f].late_rows;
            s->bytes += w.sink[f].bytes;
        }
        s->seconds = now_s() - t_begin;
    }
    zn__world_free(&w);
    zn_catalogue_free(w.cat);
    return st;
}
