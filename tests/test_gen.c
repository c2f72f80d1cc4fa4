/*
 * The demo-city generator: the PRNG against its reference outputs; same seed, same bytes; the
 * registry (check characters, division codes, ages, households); the outbreak (every infection
 * was exposed to its infector at a shared place, while the infector was infectious, before its
 * onset); the dirt (present at its rate, visible in the files). The hub catching the dirt is in
 * test_gen_hub.c.
 */
#include "zn_test.h"

#include <jansson.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhinao/div.h"
#include "zhinao/gen.h"
#include "zhinao/ident.h"
#include "zhinao/time.h"

#define PERSONS 4000
#define DAYS 10
#define INDEX_CASES 12

static char dir_a[512], dir_a1[512], dir_b[512], dir_c[512], data_dir[600];

static void gen_or_die(const zn_gen_options *o)
{
    zn_ctx *ctx;
    assert_int_equal(zn_ctx_new(&ctx), ZN_OK);
    zn_error err;
    zn_gen_summary s;
    zn_status st = zn_gen_city(ctx, o, &s, &err);
    if (st != ZN_OK) {
        char buf[1024];
        fprintf(stderr, "gen: %s\n", zn_error_format(&err, buf, sizeof buf));
    }
    assert_int_equal(st, ZN_OK);
    assert_int_equal(s.residents, o->persons);
    zn_ctx_free(ctx);
}

static void base_options(zn_gen_options *o, const char *out)
{
    zn_gen_options_default(o);
    snprintf(data_dir, sizeof data_dir, "%s", zn_test_src("data"));
    o->data_dir = data_dir;
    o->persons = PERSONS;
    o->days = DAYS;
    o->seed = 20220301;
    o->index_cases = INDEX_CASES;
    o->out_dir = out;
}

/* City A: no row dirt and no GBK (content checks), twice with 1 and 2 threads; city B: dirty;
 * city C: A with another seed. */
static int setup(void **state)
{
    (void)state;
    const char *tmp = zn_test_tmpdir();
    snprintf(dir_a, sizeof dir_a, "%s/a", tmp);
    snprintf(dir_a1, sizeof dir_a1, "%s/a1", tmp);
    snprintf(dir_b, sizeof dir_b, "%s/b", tmp);
    snprintf(dir_c, sizeof dir_c, "%s/c", tmp);
    zn_gen_options o;
    base_options(&o, dir_a);
    for (int k = 0; k < ZN_GEN_DIRT_COUNT; k++)
        o.dirt[k] = 0;
    o.threads = 2;
    gen_or_die(&o);
    o.out_dir = dir_a1;
    o.threads = 1;
    gen_or_die(&o);
    o.out_dir = dir_c;
    o.seed++;
    gen_or_die(&o);
    base_options(&o, dir_b);
    for (int k = 0; k < ZN_GEN_DIRT_COUNT; k++)
        o.dirt[k] = 0.02;
    o.dirt[ZN_GEN_DIRT_MISSING_SEAT] = 0.2;
    o.dirt[ZN_GEN_DIRT_GBK] = 0.25;
    o.write_stays = 0;
    gen_or_die(&o);
    return 0;
}

/* ---- small readers ---- */

typedef struct csvfile {
    char *data;
    size_t len;
    char **lines; /* NUL-terminated lines, header first */
    size_t nlines;
} csvfile;

static int csv_read(const char *path, csvfile *f)
{
    memset(f, 0, sizeof *f);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    f->data = malloc((size_t)n + 1);
    if (fread(f->data, 1, (size_t)n, fp) != (size_t)n) {
        fclose(fp);
        return -1;
    }
    fclose(fp);
    f->data[n] = '\0';
    f->len = (size_t)n;
    size_t cap = 1024;
    f->lines = malloc(cap * sizeof *f->lines);
    char *p = f->data;
    while (*p) {
        char *e = strchr(p, '\n');
        if (e)
            *e = '\0';
        if (f->nlines == cap)
            f->lines = realloc(f->lines, (cap *= 2) * sizeof *f->lines);
        f->lines[f->nlines++] = p;
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

static void csv_free(csvfile *f)
{
    free(f->data);
    free(f->lines);
}

/* Split a line (copied into buf) on commas; our files quote nothing in the columns read here. */
static int split(const char *line, char *buf, size_t n, char **fields, int max)
{
    snprintf(buf, n, "%s", line);
    int k = 0;
    char *p = buf;
    fields[k++] = p;
    while ((p = strchr(p, ',')) && k < max) {
        *p++ = '\0';
        fields[k++] = p;
    }
    return k;
}

static int col_index(const char *header, const char *name)
{
    char buf[2048], *f[64];
    int n = split(header, buf, sizeof buf, f, 64);
    for (int i = 0; i < n; i++)
        if (!strcmp(f[i], name))
            return i;
    return -1;
}

static json_t *manifest(const char *dir)
{
    char path[600];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    json_error_t je;
    json_t *m = json_load_file(path, 0, &je);
    assert_non_null(m);
    return m;
}

static int sha256_file(const char *path, unsigned char out[32])
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        crypto_hash_sha256_update(&st, buf, n);
    fclose(f);
    crypto_hash_sha256_final(&st, out);
    return 0;
}

/* ---- the PRNG ---- */

static void test_rng_reference(void **state)
{
    (void)state;
    /* splitmix64 from 0: outputs of Vigna's splitmix64.c */
    uint64_t x = 0;
    assert_true(zn_splitmix64(&x) == 0xe220a8397b1dcdafULL);
    assert_true(zn_splitmix64(&x) == 0x6e789e6aa1b965f4ULL);
    assert_true(zn_splitmix64(&x) == 0x06c45d188009454fULL);
    /* xoshiro256** from the state {1, 2, 3, 4}: first output rotl(2 * 5, 7) * 9 = 11520 */
    zn_rng r = {{1, 2, 3, 4}};
    assert_true(zn_rng_next(&r) == 11520ULL);
    assert_true(zn_rng_next(&r) == 0ULL);
    assert_true(zn_rng_next(&r) == 1509978240ULL);
    assert_true(zn_rng_next(&r) == 1215971899390074240ULL);
}

static void test_rng_ranges(void **state)
{
    (void)state;
    zn_rng r;
    zn_rng_seed(&r, 42);
    int count[7] = {0};
    for (int i = 0; i < 70000; i++) {
        uint64_t v = zn_rng_below(&r, 7);
        assert_true(v < 7);
        count[v]++;
    }
    for (int i = 0; i < 7; i++) /* 10000 expected, sd ~93 */
        assert_true(count[i] > 9500 && count[i] < 10500);
    double sum = 0;
    for (int i = 0; i < 100000; i++) {
        double u = zn_rng_uniform(&r);
        assert_true(u >= 0 && u < 1);
        sum += zn_rng_exponential(&r, 2.0);
    }
    assert_double_near(sum / 100000, 2.0, 0.05);
    /* keyed streams: same key same numbers, another key others */
    zn_rng a, b, c;
    zn_rng_seed_key(&a, 1, 2, 3, 4);
    zn_rng_seed_key(&b, 1, 2, 3, 4);
    zn_rng_seed_key(&c, 1, 2, 3, 5);
    uint64_t va = zn_rng_next(&a);
    assert_true(va == zn_rng_next(&b));
    assert_true(va != zn_rng_next(&c));
}

static void test_options_checked(void **state)
{
    (void)state;
    zn_ctx *ctx;
    assert_int_equal(zn_ctx_new(&ctx), ZN_OK);
    zn_gen_options o;
    zn_error err;
    base_options(&o, "/nonexistent-never-written");
    o.persons = 10;
    assert_int_equal(zn_gen_city(ctx, &o, NULL, &err), ZN_EINVAL);
    assert_string_equal(err.field, "persons");
    o.persons = PERSONS;
    o.days = 0;
    assert_int_equal(zn_gen_city(ctx, &o, NULL, &err), ZN_EINVAL);
    assert_string_equal(err.field, "days");
    o.days = 3;
    for (int k = 0; k < ZN_GEN_DIRT_COUNT; k++)
        o.dirt[k] = 0.3;
    assert_int_equal(zn_gen_city(ctx, &o, NULL, &err), ZN_EINVAL);
    assert_string_equal(err.field, "dirt");
    zn_gen_options_default(&o);
    o.data_dir = data_dir;
    o.start_date = "2022-13-01";
    assert_int_equal(zn_gen_city(ctx, &o, NULL, &err), ZN_EINVAL);
    assert_string_equal(err.field, "start_date");
    assert_int_equal(zn_gen_dirt_find("gbk_file"), ZN_GEN_DIRT_GBK);
    assert_int_equal(zn_gen_dirt_find("nope"), -1);
    zn_ctx_free(ctx);
}

/* ---- same seed, same bytes ---- */

static void test_same_seed_same_bytes(void **state)
{
    (void)state;
    json_t *m = manifest(dir_a);
    json_t *files = json_object_get(m, "files");
    assert_true(json_array_size(files) >= 14);
    const char *extra[] = {"ground_truth.csv", "truth_stays.csv", "truth_places.csv", "truth_persons.csv",
                           "manifest.json"};
    size_t nchecked = 0;
    for (size_t i = 0; i < json_array_size(files) + 5; i++) {
        const char *rel = i < json_array_size(files)
                              ? json_string_value(json_object_get(json_array_get(files, i), "path"))
                              : extra[i - json_array_size(files)];
        char pa[700], pb[700];
        unsigned char ha[32], hb[32];
        snprintf(pa, sizeof pa, "%s/%s", dir_a, rel);
        snprintf(pb, sizeof pb, "%s/%s", dir_a1, rel);
        assert_int_equal(sha256_file(pa, ha), 0);
        assert_int_equal(sha256_file(pb, hb), 0);
        if (memcmp(ha, hb, 32))
            fail_msg("%s differs between 2 threads and 1 thread", rel);
        nchecked++;
    }
    assert_true(nchecked >= 19);
    /* another seed, other people */
    char pa[700], pc[700];
    unsigned char ha[32], hc[32];
    snprintf(pa, sizeof pa, "%s/population_registry.csv", dir_a);
    snprintf(pc, sizeof pc, "%s/population_registry.csv", dir_c);
    assert_int_equal(sha256_file(pa, ha), 0);
    assert_int_equal(sha256_file(pc, hc), 0);
    assert_true(memcmp(ha, hc, 32) != 0);
    json_decref(m);
}

/* ---- the registry ---- */

static void test_registry(void **state)
{
    (void)state;
    zn_ctx *ctx;
    assert_int_equal(zn_ctx_new(&ctx), ZN_OK);
    zn_div_registry *reg;
    zn_error err;
    assert_int_equal(zn_div_registry_new(ctx, zn_test_src("data/divisions"), &reg, &err), ZN_OK);
    char path[700];
    snprintf(path, sizeof path, "%s/population_registry.csv", dir_a);
    csvfile f;
    assert_int_equal(csv_read(path, &f), 0);
    assert_int_equal(f.nlines, PERSONS + 1); /* no dirt: every resident once */
    int c_id = col_index(f.lines[0], "resident_id"), c_div = col_index(f.lines[0], "residence_division");
    int c_type = col_index(f.lines[0], "residence_type"), c_mob = col_index(f.lines[0], "mobile");
    int c_sex = col_index(f.lines[0], "sex");
    assert_true(c_id >= 0 && c_div >= 0 && c_type >= 0 && c_mob >= 0 && c_sex >= 0);
    int64_t today = zn_days_from_civil(2022, 3, 1);
    long child = 0, old = 0, registered = 0, mobiles = 0;
    for (size_t i = 1; i < f.nlines; i++) {
        char buf[2048], *v[32];
        split(f.lines[i], buf, sizeof buf, v, 32);
        zn_resident_id id;
        if (zn_resident_id_parse(v[c_id], ZN_ID_CHECK_ALL, today, &id, &err) != ZN_OK)
            fail_msg("line %zu: %s: %s", i + 1, v[c_id], err.msg);
        assert_string_equal(v[c_sex], id.sex == 1 ? "male" : "female");
        /* the residence: a village-level division of Hangzhou in the 2023 edition */
        zn_div d;
        if (zn_div_lookup(reg, 2023, v[c_div], &d, &err) != ZN_OK)
            fail_msg("line %zu: division %s: %s", i + 1, v[c_div], err.msg);
        assert_int_equal(d.level, ZN_DIV_VILLAGE);
        assert_memory_equal(d.code, "3301", 4);
        if (!strcmp(v[c_type], "registered")) {
            /* registered residents carry the code of a real county of the city */
            zn_div c;
            assert_int_equal(zn_div_lookup(reg, 2023, id.region, &c, &err), ZN_OK);
            assert_int_equal(c.level, ZN_DIV_COUNTY);
            assert_memory_equal(c.code, "3301", 4);
            registered++;
        }
        if (*v[c_mob]) {
            char m11[12];
            assert_int_equal(zn_mobile_parse(v[c_mob], m11, &err), ZN_OK);
            mobiles++;
        }
        int age = 2022 - id.birth_year - (id.birth_month * 100 + id.birth_day > 301);
        child += age <= 14;
        old += age >= 60;
    }
    /* 7th census, Hangzhou: 0-14 13.02 %, 60+ 16.87 % (households shape the structure, so the
     * tolerance is a few points) */
    double pc = 100.0 * child / PERSONS, po = 100.0 * old / PERSONS;
    if (fabs(pc - 13.02) > 3 || fabs(po - 16.87) > 4)
        fail_msg("age structure 0-14 %.1f %%, 60+ %.1f %%", pc, po);
    assert_true(registered > PERSONS / 2 && registered < PERSONS * 9 / 10);
    assert_true(mobiles > PERSONS * 3 / 4);
    csv_free(&f);
    zn_div_registry_free(reg);
    zn_ctx_free(ctx);
}

static void test_households(void **state)
{
    (void)state;
    char path[700];
    snprintf(path, sizeof path, "%s/truth_persons.csv", dir_a);
    csvfile f;
    assert_int_equal(csv_read(path, &f), 0);
    int c_hh = col_index(f.lines[0], "household"), c_t = col_index(f.lines[0], "household_type");
    assert_true(c_hh >= 0 && c_t >= 0);
    long fam_p = 0, fam_h = 0, coll_p = 0, last = -1, residents = 0;
    for (size_t i = 1; i < f.nlines; i++) {
        char buf[1024], *v[16];
        split(f.lines[i], buf, sizeof buf, v, 16);
        long h = atol(v[c_hh]);
        if (h < 0)
            continue; /* visitor */
        residents++;
        assert_true(h >= last); /* members of a household are consecutive */
        int fam = !strcmp(v[c_t], "family");
        if (fam) {
            fam_p++;
            if (h != last)
                fam_h++;
        } else {
            assert_string_equal(v[c_t], "collective");
            coll_p++;
        }
        last = h;
    }
    assert_int_equal(residents, PERSONS);
    /* 7th census, Hangzhou: 2.36 persons per family household; 12.3 % in collective ones */
    double mean = (double)fam_p / (double)fam_h;
    if (mean < 2.2 || mean > 2.5)
        fail_msg("mean family household size %.3f", mean);
    double share = (double)coll_p / PERSONS;
    assert_true(share > 0.06 && share < 0.20);
    csv_free(&f);
}

/* ---- the outbreak ---- */

typedef struct stayrow {
    long person, place;
    long long t0, t1;
} stayrow;

static int cmp_stay(const void *a, const void *b)
{
    const stayrow *x = a, *y = b;
    if (x->person != y->person)
        return x->person < y->person ? -1 : 1;
    return x->t0 < y->t0 ? -1 : x->t0 > y->t0;
}

/* Does person stay at place over all of [a, b]? */
static int covered(const stayrow *s, size_t n, long person, long place, long long a, long long b)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s[mid].person < person)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < n && s[i].person == person; i++)
        if (s[i].place == place && s[i].t0 <= a && s[i].t1 >= b)
            return 1;
    return 0;
}

static void test_outbreak_exposures(void **state)
{
    (void)state;
    char path[700];
    csvfile st, gt;
    snprintf(path, sizeof path, "%s/truth_stays.csv", dir_a);
    assert_int_equal(csv_read(path, &st), 0);
    assert_string_equal(st.lines[0], "person_id,place_id,t_start,t_end");
    size_t ns = st.nlines - 1;
    stayrow *s = malloc(ns * sizeof *s);
    for (size_t i = 0; i < ns; i++)
        assert_int_equal(sscanf(st.lines[i + 1], "%ld,%ld,%lld,%lld", &s[i].person, &s[i].place, &s[i].t0, &s[i].t1), 4);
    qsort(s, ns, sizeof *s, cmp_stay);
    snprintf(path, sizeof path, "%s/ground_truth.csv", dir_a);
    assert_int_equal(csv_read(path, &gt), 0);
    const char *h = gt.lines[0];
    int c_p = col_index(h, "person_id"), c_t = col_index(h, "infection_time"), c_i = col_index(h, "infector_person_id");
    int c_pl = col_index(h, "place_id"), c_e0 = col_index(h, "exposure_start"), c_e1 = col_index(h, "exposure_end");
    int c_on = col_index(h, "onset_time"), c_iso = col_index(h, "isolation_time"), c_src = col_index(h, "source");
    int c_rep = col_index(h, "report_time"), c_case = col_index(h, "case_id");
    assert_true(c_p >= 0 && c_t >= 0 && c_i >= 0 && c_pl >= 0 && c_e0 >= 0 && c_e1 >= 0 && c_on >= 0 && c_iso >= 0);
    size_t n = gt.nlines - 1;
    long *person = calloc(n, sizeof *person);
    long long *tinf = calloc(n, sizeof *tinf), *tiso = calloc(n, sizeof *tiso);
    size_t index_cases = 0, transmitted = 0, reported = 0;
    for (size_t i = 0; i < n; i++) {
        char buf[2048], *v[32];
        split(gt.lines[i + 1], buf, sizeof buf, v, 32);
        person[i] = atol(v[c_p]);
        tinf[i] = atoll(v[c_t]);
        tiso[i] = *v[c_iso] ? atoll(v[c_iso]) : -1;
        reported += *v[c_rep] != '\0';
        for (size_t j = 0; j < i; j++)
            assert_true(person[j] != person[i]); /* nobody is infected twice */
    }
    /* the case reports are in the feed */
    snprintf(path, sizeof path, "%s/case_report.csv", dir_a);
    csvfile cr;
    assert_int_equal(csv_read(path, &cr), 0);
    for (size_t i = 0; i < n; i++) {
        char buf[2048], *v[32];
        split(gt.lines[i + 1], buf, sizeof buf, v, 32);
        if (!*v[c_i]) {
            index_cases++;
            assert_true(!strncmp(v[c_src], "import:", 7) || !strncmp(v[c_src], "cold_chain:", 11) ||
                        !strcmp(v[c_src], "unknown"));
            continue;
        }
        transmitted++;
        long inf = atol(v[c_i]), place = atol(v[c_pl]);
        long long t = tinf[i], e0 = atoll(v[c_e0]), e1 = atoll(v[c_e1]);
        /* the infector was infected earlier, and at least a day before (latency) */
        size_t j = 0;
        while (j < n && person[j] != inf)
            j++;
        if (j == n)
            fail_msg("infector %ld of %ld is not in the ground truth", inf, person[i]);
        assert_true(j < i);
        assert_true(tinf[j] + 86400 <= t);
        /* the infection happened during a shared stay at the place, before the onset, and
         * before the infector was isolated */
        assert_true(e0 <= t && t <= e1 && e0 < e1);
        if (!covered(s, ns, person[i], place, e0, e1) || !covered(s, ns, inf, place, e0, e1))
            fail_msg("%ld and %ld did not share place %ld over [%lld, %lld]", person[i], inf, place, e0, e1);
        if (*v[c_on])
            assert_true(t < atoll(v[c_on]));
        if (tiso[j] >= 0)
            assert_true(e1 <= tiso[j]);
        if (*v[c_rep]) {
            size_t k = 1;
            while (k < cr.nlines && strncmp(cr.lines[k], v[c_case], strlen(v[c_case])))
                k++;
            if (k == cr.nlines)
                fail_msg("case %s is not in case_report.csv", v[c_case]);
        }
    }
    assert_int_equal(index_cases, INDEX_CASES);
    if (transmitted < 10)
        fail_msg("only %zu transmissions: the outbreak did not happen", transmitted);
    assert_true(reported > 0);
    assert_int_equal(cr.nlines - 1, reported); /* no dirt in city A: one report per reported infection */
    csv_free(&cr);
    free(person);
    free(tinf);
    free(tiso);
    free(s);
    csv_free(&st);
    csv_free(&gt);
}

/* ---- the tracing metric ---- */

static void test_traced_metric(void **state)
{
    (void)state;
    zn_ctx *ctx;
    assert_int_equal(zn_ctx_new(&ctx), ZN_OK);
    zn_gen_metric m;
    zn_error err;
    assert_int_equal(zn_gen_traced_share(ctx, dir_a, zn_test_src("data/plans"), "plan-9", &m, &err), ZN_OK);
    assert_string_equal(m.plan, "plan-9");
    assert_int_equal(m.lookback_days, 4);
    /* lower bound from the ground truth: an infection whose infector was reported earlier, that
     * happened inside the infector's window [onset or sampling - 4 d, report] during a shared stay
     * of at least the plan's 600 s, must have been traced */
    char path[700];
    snprintf(path, sizeof path, "%s/ground_truth.csv", dir_a);
    csvfile gt;
    assert_int_equal(csv_read(path, &gt), 0);
    const char *h = gt.lines[0];
    int c_p = col_index(h, "person_id"), c_i = col_index(h, "infector_person_id"), c_on = col_index(h, "onset_time");
    int c_s = col_index(h, "sample_time"), c_r = col_index(h, "report_time"), c_e0 = col_index(h, "exposure_start");
    int c_e1 = col_index(h, "exposure_end");
    size_t n = gt.nlines - 1;
    long long *rep = calloc(n, sizeof *rep), *from = calloc(n, sizeof *from);
    long *person = calloc(n, sizeof *person);
    long reported = 0, must = 0;
    for (size_t i = 0; i < n; i++) {
        char buf[2048], *v[32];
        split(gt.lines[i + 1], buf, sizeof buf, v, 32);
        person[i] = atol(v[c_p]);
        rep[i] = *v[c_r] ? atoll(v[c_r]) : -1;
        long long on = *v[c_on] ? atoll(v[c_on]) : 0;
        if (rep[i] >= 0) {
            reported++;
            from[i] = (on && on <= rep[i] ? on : atoll(v[c_s])) - 4 * 86400;
        }
    }
    for (size_t i = 0; i < n; i++) {
        char buf[2048], *v[32];
        split(gt.lines[i + 1], buf, sizeof buf, v, 32);
        if (rep[i] < 0 || !*v[c_i])
            continue;
        size_t j = 0;
        while (j < n && person[j] != atol(v[c_i]))
            j++;
        long long e0 = atoll(v[c_e0]), e1 = atoll(v[c_e1]);
        if (j < n && rep[j] >= 0 && rep[j] < rep[i] && e0 >= from[j] && e1 <= rep[j] && e1 - e0 >= 600)
            must++;
    }
    assert_int_equal(m.reported, reported);
    assert_int_equal(m.infections, (long)n);
    assert_true(m.traced <= m.reported && m.traced_local <= m.reported_local);
    if (m.traced < must)
        fail_msg("traced %lld < %ld infections that had to be traced", (long long)m.traced, must);
    assert_true(m.share >= 0 && m.share <= 1);
    assert_true(m.close_contacts > 0);
    free(rep);
    free(from);
    free(person);
    csv_free(&gt);
    /* city B has no stays: a clear error */
    assert_int_equal(zn_gen_traced_share(ctx, dir_b, zn_test_src("data/plans"), "plan-9", &m, &err), ZN_EIO);
    assert_int_equal(zn_gen_traced_share(ctx, dir_a, zn_test_src("data/plans"), "plan-10", &m, &err), ZN_EINVAL);
    zn_ctx_free(ctx);
}

/* ---- dirt ---- */

static void count_file_dirt(const char *path, const char *feed, long *bad_cd, long *swapped, long *ebs, long *noseat,
                            long *dups, long *rows)
{
    csvfile f;
    if (csv_read(path, &f) != 0)
        return;
    const char *h = f.lines[0];
    int c_id = col_index(h, "resident_id"), c_lon = col_index(h, "lon"), c_lat = col_index(h, "lat");
    int c_t0 = -1, c_t1 = -1, c_seat = col_index(h, "seat");
    if (!strcmp(feed, "telecom_grid_stay"))
        c_t0 = col_index(h, "t_start"), c_t1 = col_index(h, "t_end");
    for (size_t i = 1; i < f.nlines; i++) {
        char buf[4096], *v[64];
        int nf = split(f.lines[i], buf, sizeof buf, v, 64);
        (*rows)++;
        if (i > 1 && !strcmp(f.lines[i], f.lines[i - 1]))
            (*dups)++;
        if (c_id >= 0 && c_id < nf && strlen(v[c_id]) == 18 && zn_resident_id_check_char(v[c_id]) != v[c_id][17])
            (*bad_cd)++;
        if (c_lon >= 0 && c_lat >= 0 && c_lat < nf && *v[c_lon] && atof(v[c_lon]) < atof(v[c_lat]))
            (*swapped)++;
        if (c_t0 >= 0 && c_t1 < nf && strcmp(v[c_t1], v[c_t0]) < 0)
            (*ebs)++;
        if (c_seat >= 0 && c_seat < nf && !*v[c_seat])
            (*noseat)++;
    }
    csv_free(&f);
}

static void test_dirt_present_at_rate(void **state)
{
    (void)state;
    json_t *m = manifest(dir_b);
    json_t *files = json_object_get(m, "files");
    long total[ZN_GEN_DIRT_COUNT] = {0}, gbk = 0;
    for (size_t i = 0; i < json_array_size(files); i++) {
        json_t *fo = json_array_get(files, i);
        const char *feed = json_string_value(json_object_get(fo, "feed"));
        json_t *dj = json_object_get(fo, "dirt");
        long inj[ZN_GEN_DIRT_COUNT] = {0};
        for (int k = 0; k < ZN_GEN_DIRT_COUNT; k++) {
            json_t *e = json_object_get(dj, zn_gen_dirt_name(k));
            if (!e)
                continue;
            long el = (long)json_integer_value(json_object_get(e, "eligible"));
            inj[k] = (long)json_integer_value(json_object_get(e, "injected"));
            total[k] += inj[k];
            double rate = k == ZN_GEN_DIRT_MISSING_SEAT ? 0.2 : 0.02;
            assert_true(inj[k] <= el);
            if (el >= 500) { /* binomial: within 5 standard deviations */
                double sd = sqrt(el * rate * (1 - rate));
                if (fabs(inj[k] - el * rate) > 5 * sd)
                    fail_msg("%s %s: %ld of %ld rows, rate %.3f", feed, zn_gen_dirt_name(k), inj[k], el, rate);
            }
        }
        gbk += !strcmp(json_string_value(json_object_get(fo, "encoding")), "gbk");
        /* the files hold what the manifest says (main + late file) */
        long bad_cd = 0, swapped = 0, ebs = 0, noseat = 0, dups = 0, rows = 0;
        char path[800];
        snprintf(path, sizeof path, "%s/%s", dir_b, json_string_value(json_object_get(fo, "path")));
        count_file_dirt(path, feed, &bad_cd, &swapped, &ebs, &noseat, &dups, &rows);
        assert_int_equal(rows, json_integer_value(json_object_get(fo, "rows")));
        json_t *late = json_object_get(fo, "late");
        if (json_is_object(late)) {
            long lrows = 0, ldups = 0;
            snprintf(path, sizeof path, "%s/%s", dir_b, json_string_value(json_object_get(late, "path")));
            count_file_dirt(path, feed, &bad_cd, &swapped, &ebs, &noseat, &ldups, &lrows);
            assert_int_equal(lrows, json_integer_value(json_object_get(late, "rows")));
        }
        assert_int_equal(bad_cd, inj[ZN_GEN_DIRT_CHECK_DIGIT]);
        assert_int_equal(swapped, inj[ZN_GEN_DIRT_SWAPPED]);
        assert_int_equal(dups, inj[ZN_GEN_DIRT_DUPLICATE]);
        assert_int_equal(noseat, inj[ZN_GEN_DIRT_MISSING_SEAT]);
        if (!strcmp(feed, "telecom_grid_stay"))
            assert_int_equal(ebs, inj[ZN_GEN_DIRT_END_BEFORE_START]);
    }
    /* every kind is present; GBK files: round(0.25 x files) */
    for (int k = 0; k < ZN_GEN_DIRT_COUNT; k++)
        if (k != ZN_GEN_DIRT_GBK && total[k] == 0)
            fail_msg("no %s injected", zn_gen_dirt_name(k));
    long eligible = (long)json_integer_value(json_object_get(m, "gbk_file_eligible"));
    assert_true(eligible >= 10 && eligible <= (long)json_array_size(files));
    assert_int_equal(gbk, (long)(0.25 * eligible + 0.5));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "dirt_injected"), "gbk_file")), gbk);
    json_decref(m);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_reference),
        cmocka_unit_test(test_rng_ranges),
        cmocka_unit_test(test_options_checked),
        cmocka_unit_test(test_same_seed_same_bytes),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_households),
        cmocka_unit_test(test_outbreak_exposures),
        cmocka_unit_test(test_traced_metric),
        cmocka_unit_test(test_dirt_present_at_rate),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
