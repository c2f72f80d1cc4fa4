/*
 * The world of the demo city: real divisions and compounds, synthetic households, persons, venues,
 * workplaces, school classes, grids, trips and visitors. Sources of every number: docs/demo-city.md.
 */
#include "gen_int.h"

#include "zhinao/ident.h"
#include "zhinao/time.h"

#include <csv.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ---- census and other tables ---- */

/* Resident population by county, 7th national census (2020-11-01), 杭州市第七次全国人口普查公报
 * (Hangzhou Statistics Bureau, 2021), table 1-1. 西湖风景名胜区 (23 763) is folded into 西湖区,
 * the county that holds it in the division codes. */
static const struct {
    const char *code6;
    double pop;
    int metro, urban;
} census_330100[] = {
    {"330102", 1323467, 1, 1}, {"330105", 1120985, 1, 1}, {"330106", 1112992, 1, 1},
    {"330108", 503859, 1, 1},  {"330109", 2011699, 1, 0}, {"330110", 1226673, 1, 0},
    {"330111", 832017, 1, 0},  {"330112", 634555, 1, 0},  {"330113", 1175841, 1, 0},
    {"330114", 769150, 1, 0},  {"330122", 453106, 0, 0},  {"330127", 328957, 0, 0},
    {"330182", 442709, 0, 0},
};

/* Age structure of Hangzhou's residents, same census: 0-14 13.02 %, 15-59 70.12 %, 60+ 16.87 %
 * of which 65+ 11.66 %. Uniform inside a band; 65..100 linearly decreasing (our assumption). */
static void age_weights(double w[101])
{
    for (int a = 0; a <= 14; a++)
        w[a] = 13.02 / 15;
    for (int a = 15; a <= 59; a++)
        w[a] = 70.12 / 45;
    for (int a = 60; a <= 64; a++)
        w[a] = (16.87 - 11.66) / 5;
    double s = 0;
    for (int a = 65; a <= 100; a++)
        s += 101 - a;
    for (int a = 65; a <= 100; a++)
        w[a] = 11.66 * (101 - a) / s;
}

/* Family household sizes 1..6: shares chosen by us to give the census mean of 2.36 persons per
 * family household (Hangzhou, 7th census: 10 469 588 persons in 4 435 927 family households). */
static const double hh_size_share[6] = {0.30, 0.31, 0.21, 0.11, 0.05, 0.02};
/* Share of residents in collective households (集体户): 1 466 422 of 11 936 010, same census. */
#define COLLECTIVE_SHARE 0.1229
/* Sex ratio 108.67 males per 100 females (same census): P(male) = 108.67 / 208.67. */
#define P_MALE (108.67 / 208.67)

/* Surnames in the order of the 2020 national name report (公安部户政管理研究中心《二〇二〇年全国
 * 姓名报告》, top 10, then common ones); weights 1/rank (ours). */
static const char *const surnames[] = {
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
    "郭", "何", "林", "高", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "邓", "冯", "曹",
    "彭", "曾", "肖", "田", "董", "潘", "袁", "蔡", "蒋", "余", "于", "杜", "叶", "程", "魏",
    "苏", "吕", "丁", "任", "沈", "姚", "卢", "钟", "姜", "崔", "谭", "陆", "范", "汪", "金",
};
#define NSURNAMES (int)(sizeof surnames / sizeof surnames[0])
static const char *const given_chars[] = {
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "秀", "霞", "平", "刚", "桂", "英", "华", "建", "文", "玲", "红", "辉", "鹏",
    "宇", "浩", "欣", "怡", "子", "梓", "涵", "轩", "萱", "雨", "晨", "博", "思", "佳", "嘉",
    "俊", "婷", "雪", "琳", "晓", "波", "斌", "宁", "鑫", "亮", "凯", "丹", "燕", "婉", "珂",
    "一", "诺", "昊", "然", "睿", "泽", "欢", "蕾", "慧", "颖", "倩", "峰", "昕", "航", "彤",
    "国", "志", "海", "林", "春",
};
#define NGIVEN (int)(sizeof given_chars / sizeof given_chars[0])

/* Mobile number segments by carrier (MIIT numbering plan, as assigned in 2022). */
static const struct {
    int prefix, carrier;
} mobile_prefixes[] = {
    {134, 0}, {135, 0}, {136, 0}, {137, 0}, {138, 0}, {139, 0}, {147, 0}, {150, 0}, {151, 0},
    {152, 0}, {157, 0}, {158, 0}, {159, 0}, {178, 0}, {182, 0}, {183, 0}, {184, 0}, {187, 0},
    {188, 0}, {198, 0}, {130, 1}, {131, 1}, {132, 1}, {145, 1}, {155, 1}, {156, 1}, {166, 1},
    {175, 1}, {176, 1}, {185, 1}, {186, 1}, {133, 2}, {149, 2}, {153, 2}, {173, 2}, {177, 2},
    {180, 2}, {181, 2}, {189, 2}, {199, 2}, {192, 3},
};
#define NPREFIX (int)(sizeof mobile_prefixes / sizeof mobile_prefixes[0])

const char *zn__carrier_name(int carrier)
{
    static const char *const n[] = {"china_mobile", "china_unicom", "china_telecom", "china_broadnet"};
    return carrier >= 0 && carrier < 4 ? n[carrier] : "china_mobile";
}

/* Region codes (GB/T 2260) of origins of the floating population and of visitors outside
 * Zhejiang: one well-known district per province. */
static const char *const other_regions[] = {
    "340102", "340104", "360102", "410102", "420102", "430102", "440106", "510104",
    "520102", "500103", "610102", "350102", "370102", "320102", "310115", "110105",
};
#define NOTHER (int)(sizeof other_regions / sizeof other_regions[0])

/* Flights from 杭州萧山国际机场 and trains from 杭州东站 (numbers and times are illustrative). */
const zn__route zn__routes[] = {
    {0, "北京", "北京市", "CA1705", "CA1706", 8 * 60, 135, 14 * 60 + 30, "杭州萧山国际机场"},
    {0, "广州", "广东省", "CZ3521", "CZ3522", 9 * 60 + 10, 130, 15 * 60 + 20, "杭州萧山国际机场"},
    {0, "深圳", "广东省", "ZH9801", "ZH9802", 10 * 60 + 5, 140, 16 * 60 + 40, "杭州萧山国际机场"},
    {0, "成都", "四川省", "3U8961", "3U8962", 7 * 60 + 40, 185, 13 * 60 + 10, "杭州萧山国际机场"},
    {0, "西安", "陕西省", "MU2151", "MU2152", 12 * 60 + 30, 150, 18 * 60 + 20, "杭州萧山国际机场"},
    {0, "厦门", "福建省", "MF8507", "MF8508", 11 * 60 + 15, 80, 15 * 60, "杭州萧山国际机场"},
    {1, "上海", "上海市", "G7502", "G7501", 7 * 60 + 30, 60, 18 * 60 + 10, "杭州东站"},
    {1, "南京", "江苏省", "G7642", "G7641", 8 * 60 + 15, 90, 17 * 60 + 30, "杭州东站"},
    {1, "北京", "北京市", "G168", "G167", 9 * 60, 290, 13 * 60, "杭州东站"},
    {1, "合肥", "安徽省", "G7372", "G7371", 10 * 60 + 20, 110, 16 * 60 + 5, "杭州东站"},
    {1, "武汉", "湖北省", "G582", "G581", 8 * 60 + 40, 280, 12 * 60 + 15, "杭州东站"},
    {1, "长沙", "湖南省", "G1302", "G1301", 13 * 60, 260, 7 * 60 + 50, "杭州东站"},
};
const int zn__nroutes = (int)(sizeof zn__routes / sizeof zn__routes[0]);

/* ---- small helpers ---- */

typedef struct uset {
    uint64_t *k;
    size_t cap, n;
} uset;

static int uset_init(uset *s, size_t n)
{
    s->cap = 64;
    while (s->cap < n * 2 + 16)
        s->cap <<= 1;
    s->n = 0;
    s->k = calloc(s->cap, sizeof *s->k);
    return s->k ? 0 : -1;
}

/* Insert key (non-zero); returns 1 when inserted, 0 when already present. */
static int uset_add(uset *s, uint64_t key)
{
    uint64_t h = key * 0x9e3779b97f4a7c15ULL;
    size_t i = (size_t)(h >> 20) & (s->cap - 1);
    while (s->k[i]) {
        if (s->k[i] == key)
            return 0;
        i = (i + 1) & (s->cap - 1);
    }
    s->k[i] = key;
    s->n++;
    return 1;
}

static uint64_t spread21(uint64_t x)
{
    x &= 0x1fffff;
    x = (x | x << 32) & 0x1f00000000ffffULL;
    x = (x | x << 16) & 0x1f0000ff0000ffULL;
    x = (x | x << 8) & 0x100f00f00f00f00fULL;
    x = (x | x << 4) & 0x10c30c30c30c30c3ULL;
    x = (x | x << 2) & 0x1249249249249249ULL;
    return x;
}

/* Z-order key of a point in a box around Hangzhou (117..122.5 E, 27..32 N): nearby points get
 * nearby keys, so sorting by it keeps neighbours together. */
static uint64_t morton(double lon, double lat)
{
    double fx = (lon - 117.0) / 5.5, fy = (lat - 27.0) / 5.0;
    fx = fx < 0 ? 0 : fx > 1 ? 1 : fx;
    fy = fy < 0 ? 0 : fy > 1 ? 1 : fy;
    return spread21((uint64_t)(fx * 2097151)) | spread21((uint64_t)(fy * 2097151)) << 1;
}

int64_t zn__cell_of(zn__world *w, double lon, double lat)
{
    int64_t id = 0;
    if (zn_grid_cell(w->grid, lon, lat, &id, NULL) != ZN_OK)
        return 0;
    return id;
}

/* The 800 m telecom cell of a point: id, text form and WGS-84 centre. */
static void set_cell(zn__world *w, double lon, double lat, int64_t *cell, char txt[24], double *clon, double *clat)
{
    *cell = zn__cell_of(w, lon, lat);
    *clon = lon;
    *clat = lat;
    txt[0] = '\0';
    if (*cell) {
        zn_grid_id_format(ZN_GRID_DEFAULT_CELL_M, *cell, txt, 24);
        if (zn_grid_cell_center(w->grid, *cell, clon, clat, NULL) != ZN_OK) {
            *clon = lon;
            *clat = lat;
        }
    }
}

/* Offset a WGS-84 point by up to `m` metres in a random direction. */
static void jitter(zn_rng *r, double *lon, double *lat, double m)
{
    double d = m * sqrt(zn_rng_uniform(r)), a = 6.283185307179586 * zn_rng_uniform(r);
    *lat += d * cos(a) / 111195.0;
    *lon += d * sin(a) / (111195.0 * cos(*lat * M_PI / 180));
}

void zn__person_name(const zn__world *w, const zn__person *p, char *out, size_t n)
{
    (void)w;
    int c1 = p->given / 128, c2 = p->given % 128;
    snprintf(out, n, "%s%s%s", surnames[p->surname % NSURNAMES], given_chars[c1 % NGIVEN],
             c2 < NGIVEN ? given_chars[c2] : "");
}

void zn__hh_address(const zn__world *w, int hh, char *out, size_t n)
{
    const zn__hh *h = &w->hh[hh];
    const zn__res *r = &w->res[h->res];
    const zn__comm *c = &w->comms[r->comm];
    const zn__town *t = &w->towns[c->town];
    const zn__county *k = &w->counties[r->county];
    if (r->compound)
        snprintf(out, n, "%s%s%s%s%d幢%d单元%d室", w->city_name, k->name, t->name, r->name, h->building,
                 h->unit, h->room);
    else
        snprintf(out, n, "%s%s%s%s%d号", w->city_name, k->name, t->name, r->name, h->room);
}

/* ---- divisions and outlines ---- */

static zn_status load_divisions(zn__world *w, zn_error *err)
{
    zn_div city, *counties = NULL;
    size_t nc = 0;
    zn_status st = zn_div_lookup(w->reg, 0, w->opt->city, &city, err);
    if (st != ZN_OK)
        return st;
    if (city.level != ZN_DIV_CITY)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "city", "%s is a %s, not a city", city.code,
                            zn_div_level_name(city.level));
    memcpy(w->city_code, city.code, 13);
    snprintf(w->city_name, sizeof w->city_name, "%s", city.name);
    if ((st = zn_div_children(w->reg, 0, city.code, &counties, &nc, err)) != ZN_OK)
        return st;
    w->counties = calloc(nc ? nc : 1, sizeof *w->counties);
    if (!w->counties) {
        free(counties);
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    size_t tcap = 64, ccap = 1024;
    w->towns = malloc(tcap * sizeof *w->towns);
    w->comms = malloc(ccap * sizeof *w->comms);
    if (!w->towns || !w->comms) {
        free(counties);
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    for (size_t i = 0; i < nc; i++) {
        zn__county *k = &w->counties[w->ncounties];
        memcpy(k->code, counties[i].code, 13);
        memcpy(k->code6, counties[i].code, 6);
        k->code6[6] = '\0';
        snprintf(k->name, sizeof k->name, "%s", counties[i].name);
        k->pop = 0;
        for (size_t c = 0; c < sizeof census_330100 / sizeof census_330100[0]; c++)
            if (!strcmp(census_330100[c].code6, k->code6)) {
                k->pop = census_330100[c].pop;
                k->metro = census_330100[c].metro;
                k->urban = census_330100[c].urban;
            }
        k->first_town = w->ntowns;
        zn_div *towns = NULL;
        size_t nt = 0;
        if ((st = zn_div_children(w->reg, 0, k->code, &towns, &nt, err)) != ZN_OK) {
            free(counties);
            return st;
        }
        size_t nvill = 0;
        for (size_t t = 0; t < nt; t++) {
            if ((size_t)w->ntowns == tcap) {
                tcap *= 2;
                zn__town *nt2 = realloc(w->towns, tcap * sizeof *nt2);
                if (!nt2) {
                    free(towns);
                    free(counties);
                    return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                }
                w->towns = nt2;
            }
            zn__town *tw = &w->towns[w->ntowns];
            memcpy(tw->code, towns[t].code, 13);
            snprintf(tw->name, sizeof tw->name, "%s", towns[t].name);
            tw->county = w->ncounties;
            zn_div *vs = NULL;
            size_t nv = 0;
            if ((st = zn_div_children(w->reg, 0, tw->code, &vs, &nv, err)) != ZN_OK) {
                free(towns);
                free(counties);
                return st;
            }
            for (size_t v = 0; v < nv; v++) {
                if ((size_t)w->ncomms == ccap) {
                    ccap *= 2;
                    zn__comm *nc2 = realloc(w->comms, ccap * sizeof *nc2);
                    if (!nc2) {
                        free(vs);
                        free(towns);
                        free(counties);
                        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                    }
                    w->comms = nc2;
                }
                zn__comm *cm = &w->comms[w->ncomms++];
                memset(cm, 0, sizeof *cm);
                memcpy(cm->code, vs[v].code, 13);
                snprintf(cm->name, sizeof cm->name, "%s", vs[v].name);
                cm->town = w->ntowns;
                cm->county = w->ncounties;
                cm->village = strstr(cm->name, "村") && !strstr(cm->name, "社区");
                nvill++;
            }
            free(vs);
            w->ntowns++;
        }
        free(towns);
        k->ntown = w->ntowns - k->first_town;
        if (nvill == 0) /* a county without villages cannot hold people */
            continue;
        if (k->pop <= 0)
            k->pop = (double)nvill; /* other cities: weight by the number of villages */
        w->ncounties++;
    }
    free(counties);
    if (w->ncounties == 0)
        return zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "city", "city %s has no villages in the registry",
                            w->city_code);
    return ZN_OK;
}

/* Walk GeoJSON coordinates to extend a bounding box. */
static void bbox_walk(const json_t *c, double b[4])
{
    if (!json_is_array(c))
        return;
    if (json_array_size(c) >= 2 && json_is_number(json_array_get(c, 0))) {
        double x = json_number_value(json_array_get(c, 0)), y = json_number_value(json_array_get(c, 1));
        if (x < b[0]) b[0] = x;
        if (y < b[1]) b[1] = y;
        if (x > b[2]) b[2] = x;
        if (y > b[3]) b[3] = y;
        return;
    }
    for (size_t i = 0; i < json_array_size(c); i++)
        bbox_walk(json_array_get(c, i), b);
}

/* Load the DataV county outlines of the city (GCJ-02): geoms[i] for county i (NULL when absent). */
static zn_status load_outlines(zn__world *w, zn_geom ***out, zn_error *err)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/boundaries/%.6s_counties.geojson", w->opt->data_dir, w->city_code);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root)
        return zn_error_set(err, ZN_EIO, path, je.line, NULL, "cannot read county outlines: %s", je.text);
    zn_geom **g = calloc((size_t)w->ncounties, sizeof *g);
    if (!g) {
        json_decref(root);
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    json_t *feats = json_object_get(root, "features");
    for (size_t i = 0; i < json_array_size(feats); i++) {
        json_t *f = json_array_get(feats, i);
        json_t *ad = json_object_get(json_object_get(f, "properties"), "adcode");
        char code6[16];
        if (json_is_integer(ad))
            snprintf(code6, sizeof code6, "%lld", (long long)json_integer_value(ad));
        else if (json_is_string(ad))
            snprintf(code6, sizeof code6, "%s", json_string_value(ad));
        else
            continue;
        for (int k = 0; k < w->ncounties; k++) {
            zn__county *c = &w->counties[k];
            if (strcmp(c->code6, code6) || g[k])
                continue;
            zn_status st = zn_geom_from_geojson(w->ctx, f, &g[k], err);
            if (st != ZN_OK) {
                json_decref(root);
                for (int j = 0; j < w->ncounties; j++)
                    zn_geom_free(g[j]);
                free(g);
                err->code = st;
                snprintf(err->file, sizeof err->file, "%s", path);
                return st;
            }
            c->bbox[0] = c->bbox[1] = 1e9;
            c->bbox[2] = c->bbox[3] = -1e9;
            bbox_walk(json_object_get(json_object_get(f, "geometry"), "coordinates"), c->bbox);
        }
    }
    json_decref(root);
    for (int k = 0; k < w->ncounties; k++)
        if (!g[k]) {
            for (int j = 0; j < w->ncounties; j++)
                zn_geom_free(g[j]);
            free(g);
            return zn_error_set(err, ZN_ENOTFOUND, path, 0, NULL, "no outline for county %s",
                                w->counties[k].code6);
        }
    *out = g;
    return ZN_OK;
}

/* ---- compounds ---- */

typedef struct compound {
    char name[64];
    double lon, lat; /* WGS-84 */
    int county;
    uint64_t key;    /* shuffle key */
} compound;

typedef struct cparse {
    int field;
    char f[8][128];
    compound *c;
    size_t n, cap;
    long line;
    int nomem;
} cparse;

static void cp_field(void *s, size_t len, void *user)
{
    cparse *p = user;
    if (p->field < 8) {
        size_t n = len < 127 ? len : 127;
        memcpy(p->f[p->field], s, n);
        p->f[p->field][n] = '\0';
    }
    p->field++;
}

static void cp_row(int c, void *user)
{
    (void)c;
    cparse *p = user;
    p->line++;
    int nf = p->field;
    p->field = 0;
    if (p->line == 1 || nf < 7 || strcmp(p->f[0], "compound") || !p->f[5][0] || !p->f[6][0])
        return;
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 4096;
        compound *c2 = realloc(p->c, nc * sizeof *c2);
        if (!c2) {
            p->nomem = 1;
            return;
        }
        p->c = c2;
        p->cap = nc;
    }
    compound *cp = &p->c[p->n++];
    snprintf(cp->name, sizeof cp->name, "%s", p->f[1]);
    double bl = strtod(p->f[5], NULL), bb = strtod(p->f[6], NULL);
    cp->lon = bl; /* BD-09 for now; converted by the caller */
    cp->lat = bb;
    cp->county = -1;
}

static zn_status load_compounds(zn__world *w, zn_geom **outl, compound **out, size_t *nout, zn_error *err)
{
    *out = NULL;
    *nout = 0;
    if (strncmp(w->city_code, "3301", 4))
        return ZN_OK; /* compounds are only shipped for Hangzhou */
    char path[1200];
    snprintf(path, sizeof path, "%s/hangzhou-compounds/hz_compounds_fangcom_2019.csv.gz", w->opt->data_dir);
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        return zn_error_set(err, ZN_ENOTFOUND, path, 0, NULL, "cannot open the compounds file");
    struct csv_parser cs;
    csv_init(&cs, CSV_APPEND_NULL);
    cparse p = {0};
    char buf[65536];
    int n;
    while ((n = gzread(gz, buf, sizeof buf)) > 0)
        if (csv_parse(&cs, buf, (size_t)n, cp_field, cp_row, &p) != (size_t)n)
            break;
    csv_fini(&cs, cp_field, cp_row, &p);
    csv_free(&cs);
    int gzerr = n < 0;
    gzclose(gz);
    if (gzerr || p.nomem) {
        free(p.c);
        return zn_error_set(err, p.nomem ? ZN_ENOMEM : ZN_EIO, path, p.line, NULL, "cannot read compounds");
    }
    zn_rng r;
    zn_rng_seed_key(&r, w->seed, ZN__S_WORLD, 1, 0);
    size_t kept = 0;
    for (size_t i = 0; i < p.n; i++) {
        compound c = p.c[i];
        double glon, glat;
        zn_crs_convert(ZN_CRS_BD09, ZN_CRS_GCJ02, c.lon, c.lat, &glon, &glat);
        for (int k = 0; k < w->ncounties && c.county < 0; k++) {
            const double *b = w->counties[k].bbox;
            if (glon < b[0] || glon > b[2] || glat < b[1] || glat > b[3])
                continue;
            int inside = 0;
            if (zn_geom_covers_point(outl[k], glon, glat, &inside, NULL) == ZN_OK && inside)
                c.county = k;
        }
        if (c.county < 0)
            continue; /* outside the city (the "杭州周边" plate holds a few) */
        zn_crs_convert(ZN_CRS_BD09, ZN_CRS_WGS84, c.lon, c.lat, &c.lon, &c.lat);
        c.key = zn_rng_next(&r);
        p.c[kept++] = c;
    }
    *out = p.c;
    *nout = kept;
    return ZN_OK;
}

static int cmp_compound(const void *a, const void *b)
{
    const compound *x = a, *y = b;
    if (x->county != y->county)
        return x->county < y->county ? -1 : 1;
    return x->key < y->key ? -1 : x->key > y->key;
}

static int cmp_res(const void *a, const void *b)
{
    const zn__res *x = a, *y = b;
    if (x->county != y->county)
        return x->county < y->county ? -1 : 1;
    return x->morton < y->morton ? -1 : x->morton > y->morton;
}

/* A random GCJ-02 point inside county k, returned in WGS-84. */
static void point_in_county(zn__world *w, zn_geom **outl, int k, zn_rng *r, double *lon, double *lat)
{
    const double *b = w->counties[k].bbox;
    for (int tries = 0; tries < 2000; tries++) {
        double x = b[0] + (b[2] - b[0]) * zn_rng_uniform(r), y = b[1] + (b[3] - b[1]) * zn_rng_uniform(r);
        int inside = 0;
        if (zn_geom_covers_point(outl[k], x, y, &inside, NULL) == ZN_OK && inside) {
            zn_crs_convert(ZN_CRS_GCJ02, ZN_CRS_WGS84, x, y, lon, lat);
            return;
        }
    }
    zn_crs_convert(ZN_CRS_GCJ02, ZN_CRS_WGS84, (b[0] + b[2]) / 2, (b[1] + b[3]) / 2, lon, lat);
}

#define PERSONS_PER_RESIDENCE 400

static zn_status build_residences(zn__world *w, zn_geom **outl, zn_error *err)
{
    compound *cp = NULL;
    size_t ncp = 0;
    zn_status st = load_compounds(w, outl, &cp, &ncp, err);
    if (st != ZN_OK)
        return st;
    qsort(cp, ncp, sizeof *cp, cmp_compound);
    /* residents per county: largest remainder on the census weights */
    double tot = 0;
    for (int k = 0; k < w->ncounties; k++)
        tot += w->counties[k].pop;
    int64_t N = w->opt->persons, given = 0;
    double *rem = calloc((size_t)(w->ncounties > 0 ? w->ncounties : 1), sizeof *rem);
    if (!rem) {
        free(cp);
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    for (int k = 0; k < w->ncounties; k++) {
        double q = (double)N * w->counties[k].pop / tot;
        w->counties[k].residents = (int64_t)floor(q);
        rem[k] = q - floor(q);
        given += w->counties[k].residents;
    }
    while (given < N) {
        int best = 0;
        for (int k = 1; k < w->ncounties; k++)
            if (rem[k] > rem[best])
                best = k;
        w->counties[best].residents++;
        rem[best] = -1;
        given++;
    }
    free(rem);
    size_t cap = 0;
    for (int k = 0; k < w->ncounties; k++)
        cap += (size_t)(w->counties[k].residents / PERSONS_PER_RESIDENCE + 1);
    w->res = calloc(cap, sizeof *w->res);
    if (!w->res) {
        free(cp);
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    zn_rng r;
    zn_rng_seed_key(&r, w->seed, ZN__S_WORLD, 2, 0);
    size_t ci = 0;
    for (int k = 0; k < w->ncounties; k++) {
        zn__county *c = &w->counties[k];
        int nres = (int)(c->residents / PERSONS_PER_RESIDENCE + 1);
        /* urban share of the county = share of its communities that are not villages */
        int nurban = 0, nvill = 0;
        for (int i = 0; i < w->ncomms; i++)
            if (w->comms[i].county == k)
                (*(w->comms[i].village ? &nvill : &nurban))++;
        size_t cfirst = ci;
        while (ci < ncp && cp[ci].county == k)
            ci++;
        int avail = (int)(ci - cfirst);
        int want_c = nurban + nvill ? (int)lround((double)nres * nurban / (nurban + nvill)) : nres;
        if (nvill == 0)
            want_c = nres;
        if (want_c > avail)
            want_c = avail;
        if (nurban == 0)
            want_c = 0;
        c->first_res = w->nres;
        for (int j = 0; j < nres; j++) {
            zn__res *rs = &w->res[w->nres++];
            rs->county = k;
            if (j < want_c) {
                const compound *x = &cp[cfirst + (size_t)j];
                snprintf(rs->name, sizeof rs->name, "%s", x->name);
                rs->lon = x->lon;
                rs->lat = x->lat;
                rs->compound = 1;
            } else {
                point_in_county(w, outl, k, &r, &rs->lon, &rs->lat);
                rs->compound = 0;
            }
            rs->morton = morton(rs->lon, rs->lat);
        }
        c->nres = w->nres - c->first_res;
    }
    free(cp);
    qsort(w->res, (size_t)w->nres, sizeof *w->res, cmp_res);
    /* communities: compounds to urban communities, settlements to villages, spread over the
     * county's communities in code order (so over its townships) following the Z-order */
    for (int k = 0; k < w->ncounties; k++) {
        zn__county *c = &w->counties[k];
        int *uc = NULL, *vc = NULL, nu = 0, nv = 0;
        uc = malloc((size_t)w->ncomms * sizeof *uc);
        vc = malloc((size_t)w->ncomms * sizeof *vc);
        if (!uc || !vc) {
            free(uc);
            free(vc);
            return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
        }
        for (int i = 0; i < w->ncomms; i++)
            if (w->comms[i].county == k) {
                if (w->comms[i].village)
                    vc[nv++] = i;
                else
                    uc[nu++] = i;
            }
        int ncomp = 0, nset = 0;
        for (int j = 0; j < c->nres; j++)
            (*(w->res[c->first_res + j].compound ? &ncomp : &nset))++;
        int ic = 0, is = 0;
        for (int j = 0; j < c->nres; j++) {
            zn__res *rs = &w->res[c->first_res + j];
            if (rs->compound || nv == 0) {
                int n = nu ? nu : nv;
                int *arr = nu ? uc : vc;
                int cnt = rs->compound ? ncomp : nset;
                int idx = rs->compound ? ic++ : is++;
                rs->comm = arr[(int)(((double)idx + 0.5) * n / (cnt ? cnt : 1)) % n];
            } else {
                rs->comm = vc[(int)(((double)is + 0.5) * nv / (nset ? nset : 1)) % nv];
                is++;
            }
            if (!rs->compound) {
                /* a settlement is named after its village */
                const char *nm = w->comms[rs->comm].name;
                snprintf(rs->name, sizeof rs->name, "%s", nm);
            }
            set_cell(w, rs->lon, rs->lat, &rs->cell, rs->cell_txt, &rs->clon, &rs->clat);
        }
        free(uc);
        free(vc);
    }
    return ZN_OK;
}

/* ---- persons ---- */

typedef struct agesamp {
    double cum[102];
} agesamp;

static void agesamp_init(agesamp *a)
{
    double w[101];
    age_weights(w);
    a->cum[0] = 0;
    for (int i = 0; i <= 100; i++)
        a->cum[i + 1] = a->cum[i] + w[i];
}

/* An age from the census structure restricted to [lo, hi]. */
static int age_draw(const agesamp *a, zn_rng *r, int lo, int hi)
{
    if (lo < 0) lo = 0;
    if (hi > 100) hi = 100;
    if (hi < lo) return lo;
    double u = a->cum[lo] + (a->cum[hi + 1] - a->cum[lo]) * zn_rng_uniform(r);
    for (int i = lo; i <= hi; i++)
        if (u < a->cum[i + 1])
            return i;
    return hi;
}

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Fill ages[] (and sexes: 1 male, 2 female) of a family household of size n. */
static void family_ages(const agesamp *a, zn_rng *r, int n, int *age, int *sex)
{
    double u = zn_rng_uniform(r);
    for (int i = 0; i < n; i++)
        sex[i] = zn_rng_uniform(r) < P_MALE ? 1 : 2;
    if (n == 1) {
        age[0] = age_draw(a, r, 18, 100);
        return;
    }
    int head, sp;
    if (n == 2 && u >= 0.65) { /* parent and child */
        head = age_draw(a, r, 40, 90);
        age[0] = head;
        age[1] = clampi(head - 22 - (int)zn_rng_below(r, 14), 0, 100);
        return;
    }
    int kids = 0, elders = 0;
    if (n == 2) {
        kids = 0;
    } else if (n == 3) {
        if (u < 0.70) kids = 1; else elders = 1;
    } else if (n == 4) {
        if (u < 0.45) kids = 2; else { kids = 1; elders = 1; }
    } else if (n == 5) {
        if (u < 0.60) { kids = 1; elders = 2; } else { kids = 2; elders = 1; }
    } else {
        kids = 2;
        elders = n - 4;
    }
    if (kids)
        head = age_draw(a, r, 24, 58);
    else if (elders)
        head = age_draw(a, r, 26, 58);
    else
        head = age_draw(a, r, 20, 100);
    sp = clampi(head + (int)lround(zn_rng_normal(r) * 3), 18, 100);
    age[0] = head;
    age[1] = sp;
    sex[0] = 1;
    sex[1] = 2;
    int i = 2, young = head < sp ? head : sp;
    for (int k = 0; k < kids && i < n; k++, i++)
        age[i] = clampi(young - 22 - (int)zn_rng_below(r, 15), 0, 40);
    for (int k = 0; k < elders && i < n; k++, i++)
        age[i] = clampi(head + 22 + (int)zn_rng_below(r, 14), 45, 100);
}

static uint64_t draw_mobile(zn_rng *r, uset *mob, int *carrier)
{
    for (;;) {
        int k = (int)zn_rng_below(r, NPREFIX);
        uint64_t m = (uint64_t)mobile_prefixes[k].prefix * 100000000ULL + zn_rng_below(r, 100000000ULL);
        if (uset_add(mob, m)) {
            *carrier = mobile_prefixes[k].carrier;
            return m;
        }
    }
}

/* Resident ID: region + birth date + 2 random digits + sex digit + check character; unique. */
static void draw_id(zn__world *w, zn_rng *r, uset *ids, const char *region, int64_t birth_days, int sex,
                    char out[19])
{
    int y, m, d;
    zn_civil_from_days(birth_days, &y, &m, &d);
    for (;;) {
        int seq = (int)zn_rng_below(r, 50) * 10 + (int)zn_rng_below(r, 5) * 2 + (sex == 1 ? 1 : 0);
        if (seq == 0)
            continue;
        char d17[18];
        snprintf(d17, sizeof d17, "%.6s%04d%02d%02d%03d", region, y, m, d, seq);
        uint64_t key = strtoull(d17, NULL, 10);
        if (!uset_add(ids, key))
            continue;
        memcpy(out, d17, 17);
        out[17] = zn_resident_id_check_char(d17);
        out[18] = '\0';
        (void)w;
        return;
    }
}

static void draw_name(zn_rng *r, zn__person *p)
{
    double wsum = 0, u;
    for (int i = 0; i < NSURNAMES; i++)
        wsum += 1.0 / (i + 1);
    u = zn_rng_uniform(r) * wsum;
    int s = 0;
    for (; s < NSURNAMES - 1; s++) {
        u -= 1.0 / (s + 1);
        if (u < 0)
            break;
    }
    p->surname = (uint8_t)s;
    int c1 = (int)zn_rng_below(r, NGIVEN);
    int c2 = zn_rng_uniform(r) < 0.7 ? (int)zn_rng_below(r, NGIVEN) : 127;
    p->given = (uint16_t)(c1 * 128 + c2);
}

/* The 6-digit region of a non-registered resident or visitor: another Zhejiang county (40 %) or
 * another province. */
static void other_region(zn__world *w, zn_rng *r, char out[7], char **zj, int nzj)
{
    (void)w;
    if (nzj && zn_rng_uniform(r) < 0.4)
        snprintf(out, 7, "%.6s", zj[zn_rng_below(r, (uint64_t)nzj)]);
    else
        snprintf(out, 7, "%s", other_regions[zn_rng_below(r, NOTHER)]);
}

static zn_status build_people(zn__world *w, uset *ids, uset *mob, zn_error *err)
{
    int64_t N = w->opt->persons;
    size_t pcap = (size_t)N + (size_t)(N * 0.004 * (w->opt->days + 8)) + 64;
    w->per = calloc(pcap, sizeof *w->per);
    w->hh = calloc((size_t)N + 16, sizeof *w->hh);
    if (!w->per || !w->hh)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    /* Zhejiang counties outside the city, for floating residents */
    char **zj = NULL;
    int nzj = 0;
    zn_div *cities = NULL;
    size_t ncit = 0;
    if (zn_div_children(w->reg, 0, "33", &cities, &ncit, NULL) == ZN_OK) {
        for (size_t i = 0; i < ncit; i++) {
            if (!strcmp(cities[i].code, w->city_code))
                continue;
            zn_div *cs = NULL;
            size_t n = 0;
            if (zn_div_children(w->reg, 0, cities[i].code, &cs, &n, NULL) != ZN_OK)
                continue;
            char **z2 = realloc(zj, (size_t)(nzj + (int)n) * sizeof *z2);
            if (z2) {
                zj = z2;
                for (size_t j = 0; j < n; j++)
                    zj[nzj++] = zn_strdup(cs[j].code);
            }
            free(cs);
        }
        free(cities);
    }
    agesamp as;
    agesamp_init(&as);
    zn_rng r;
    int64_t np = 0;
    int nh = 0;
    for (int k = 0; k < w->ncounties; k++) {
        zn__county *c = &w->counties[k];
        for (int j = 0; j < c->nres; j++) {
            int ri = c->first_res + j;
            zn__res *rs = &w->res[ri];
            int64_t quota = c->residents * (j + 1) / c->nres - c->residents * j / c->nres;
            rs->first_hh = nh;
            int64_t got = 0;
            int slot = 0;
            while (got < quota) {
                zn_rng_seed_key(&r, w->seed, ZN__S_PEOPLE, (uint64_t)nh, 0);
                zn__hh *h = &w->hh[nh];
                h->res = ri;
                h->first = (int)np;
                int age[16], sex[16], n;
                h->collective = zn_rng_uniform(&r) < 0.062;
                if (h->collective) {
                    n = 4 + (int)zn_rng_below(&r, 5);
                    for (int i = 0; i < n; i++) {
                        age[i] = 18 + (int)zn_rng_below(&r, 18);
                        sex[i] = zn_rng_uniform(&r) < 0.6 ? 1 : 2;
                    }
                } else {
                    n = 1 + (int)zn_rng_weighted(&r, hh_size_share, 6);
                    family_ages(&as, &r, n, age, sex);
                }
                if (got + n > quota)
                    n = (int)(quota - got);
                h->n = n;
                h->building = slot / 72 + 1;
                h->unit = slot % 72 / 36 + 1;
                h->room = rs->compound ? (slot % 36 / 2 + 1) * 100 + slot % 2 + 1 : slot + 1;
                slot++;
                int floating = zn_rng_uniform(&r) < (h->collective ? 0.85 : 0.30);
                char region[7];
                if (floating)
                    other_region(w, &r, region, zj, nzj);
                else
                    snprintf(region, sizeof region, "%s", c->code6);
                for (int i = 0; i < n; i++) {
                    zn__person *p = &w->per[np];
                    p->hh = nh;
                    p->age = (uint8_t)age[i];
                    p->sex = (uint8_t)sex[i];
                    p->registered = !floating;
                    p->work_place = p->work_venue = -1;
                    p->trip = p->visit = -1;
                    p->routine = 255;
                    int64_t bd = w->day0 - (int64_t)floor(age[i] * 365.2425) - 1 - (int64_t)zn_rng_below(&r, 365);
                    p->birth_days = (int32_t)bd;
                    draw_id(w, &r, ids, region, bd, sex[i], p->id);
                    double pm = age[i] < 10 ? 0 : age[i] < 18 ? 0.7 : age[i] >= 80 ? 0.6 : 0.97;
                    int carrier = 0;
                    p->mobile = zn_rng_uniform(&r) < pm ? draw_mobile(&r, mob, &carrier) : 0;
                    p->carrier = (uint8_t)carrier;
                    draw_name(&r, p);
                    if (i > 0 && !h->collective && zn_rng_uniform(&r) < 0.8)
                        p->surname = w->per[h->first].surname; /* children often share it */
                    /* role */
                    int a = age[i];
                    if (a <= 2)
                        p->role = ZN__R_TODDLER;
                    else if (a <= 5)
                        p->role = zn_rng_uniform(&r) < 0.88 ? ZN__R_PUPIL : ZN__R_TODDLER;
                    else if (a <= 17)
                        p->role = ZN__R_PUPIL;
                    else if (a <= 59)
                        p->role = zn_rng_uniform(&r) < (h->collective ? 0.97 : 0.78) ? ZN__R_WORKER : ZN__R_HOME;
                    else if (a <= 64)
                        p->role = zn_rng_uniform(&r) < 0.3 ? ZN__R_WORKER : ZN__R_RETIRED;
                    else
                        p->role = ZN__R_RETIRED;
                    double pr = p->role == ZN__R_WORKER ? 0.4 : 0.15;
                    if (zn_rng_uniform(&r) < pr)
                        p->routine = (uint8_t)zn_rng_below(&r, 3);
                    np++;
                }
                got += n;
                nh++;
            }
            rs->nhh = nh - rs->first_hh;
        }
    }
    for (int i = 0; i < nzj; i++)
        free(zj[i]);
    free(zj);
    w->nhh = nh;
    w->nres_persons = np;
    w->nper = np;
    return ZN_OK;
}

/* ---- venues, schools, workplaces ---- */

static const double venue_per_10k[ZN__V_COUNT] = {
    /* supermarket, market, restaurant, hotel, hospital, pharmacy, school, office, factory, metro, bus */
    4, 1.5, 25, 2.5, 0.6, 4, 0, 0, 0, 4, 6,
};
static const int venue_min[ZN__V_COUNT] = {1, 1, 2, 2, 1, 1, 0, 0, 0, 1, 1};
static const int venue_staff[ZN__V_COUNT] = {12, 15, 6, 8, 40, 3, 0, 0, 0, 4, 1};

static zn_status venue_add(zn__world *w, int *cap, int type, int county, int anchor, zn_rng *r, int *out)
{
    if (w->nven == *cap) {
        int nc = *cap ? *cap * 2 : 1024;
        zn__venue *v2 = realloc(w->ven, (size_t)nc * sizeof *v2);
        if (!v2)
            return ZN_ENOMEM;
        w->ven = v2;
        *cap = nc;
    }
    zn__venue *v = &w->ven[w->nven];
    memset(v, 0, sizeof *v);
    v->type = type;
    v->county = county;
    const zn__res *rs = &w->res[anchor];
    v->comm = rs->comm;
    v->lon = rs->lon;
    v->lat = rs->lat;
    jitter(r, &v->lon, &v->lat, type == ZN__V_BUS ? 1500 : 600);
    set_cell(w, v->lon, v->lat, &v->cell, v->cell_txt, &v->clon, &v->clat);
    v->morton = morton(v->lon, v->lat);
    snprintf(v->code, sizeof v->code, "V%.6s%06d", w->counties[county].code6, w->nven + 1);
    const zn__comm *cm = &w->comms[v->comm];
    char stem[64];
    snprintf(stem, sizeof stem, "%s", cm->name);
    char *cut = strstr(stem, "社区");
    if (!cut) cut = strstr(stem, "村");
    if (!cut) cut = strstr(stem, "居");
    if (cut && cut != stem) *cut = '\0';
    static const char *const brand[] = {"惠民", "联华", "万家", "四季", "好邻居", "百姓", "金桥", "新华"};
    static const char *const food[] = {"面馆", "小吃", "饭店", "酒家", "快餐", "火锅", "茶餐厅", "私房菜"};
    static const char *const firm[] = {"科技有限公司", "贸易有限公司", "信息技术有限公司", "电子商务有限公司",
                                       "设计有限公司", "网络科技有限公司"};
    static const char *const plant[] = {"纺织有限公司", "机械制造有限公司", "食品有限公司", "电器有限公司",
                                        "包装材料有限公司", "汽车配件有限公司"};
    unsigned u = (unsigned)zn_rng_below(r, 8);
    switch (type) {
    case ZN__V_SUPERMARKET: snprintf(v->name, sizeof v->name, "%s超市（%s店）", brand[u], stem); break;
    case ZN__V_MARKET: snprintf(v->name, sizeof v->name, "%s农贸市场", stem); break;
    case ZN__V_RESTAURANT:
        snprintf(v->name, sizeof v->name, "%s记%s（%s店）", surnames[zn_rng_below(r, 30)], food[u], stem);
        break;
    case ZN__V_HOTEL: snprintf(v->name, sizeof v->name, "%s%s宾馆", stem, brand[u]); break;
    case ZN__V_HOSPITAL: {
        static const char *const nth[] = {"第一", "第二", "第三", "第四", "第五", "第六", "第七", "第八"};
        int i = w->nven - w->counties[county].vfirst[ZN__V_HOSPITAL];
        if (i < 8)
            snprintf(v->name, sizeof v->name, "%s%s人民医院", w->counties[county].name, nth[i]);
        else
            snprintf(v->name, sizeof v->name, "%s%s医院", w->counties[county].name, stem);
        break;
    }
    case ZN__V_PHARMACY: snprintf(v->name, sizeof v->name, "%s大药房（%s店）", brand[u], stem); break;
    case ZN__V_SCHOOL: snprintf(v->name, sizeof v->name, "%s学校", stem); break;
    case ZN__V_OFFICE: snprintf(v->name, sizeof v->name, "杭州%s%s", stem, firm[u % 6]); break;
    case ZN__V_FACTORY: snprintf(v->name, sizeof v->name, "杭州%s%s", stem, plant[u % 6]); break;
    case ZN__V_METRO: snprintf(v->name, sizeof v->name, "地铁%s站", stem); break;
    default: snprintf(v->name, sizeof v->name, "公交%d路（%s）", 1 + (int)zn_rng_below(r, 399), stem); break;
    }
    *out = w->nven++;
    return ZN_OK;
}

static zn_status build_venues(zn__world *w, zn_error *err)
{
    int cap = 0;
    zn_rng r;
    zn_rng_seed_key(&r, w->seed, ZN__S_WORLD, 3, 0);
    for (int k = 0; k < w->ncounties; k++) {
        zn__county *c = &w->counties[k];
        for (int t = 0; t < ZN__V_COUNT; t++) {
            c->vfirst[t] = w->nven;
            int n = (int)lround(venue_per_10k[t] * (double)c->residents / 10000.0);
            if (venue_per_10k[t] > 0 && n < venue_min[t])
                n = venue_min[t];
            if (t == ZN__V_METRO && !c->metro)
                n = 0;
            for (int j = 0; j < n; j++) {
                int anchor = c->first_res + (int)(((double)j + 0.5) * c->nres / n);
                int vi;
                if (venue_add(w, &cap, t, k, anchor, &r, &vi) != ZN_OK)
                    return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                if (t == ZN__V_HOTEL && j == 0)
                    w->ven[vi].isolation = 1;
            }
            c->vcount[t] = w->nven - c->vfirst[t];
        }
        c->metro_cars = (int)(c->residents / 20000) + 1;
    }
    /* schools and classes: pupils of a county in residence order, by stage */
    static const int stage_lo[4] = {3, 6, 12, 15}, stage_hi[4] = {5, 11, 14, 17};
    static const int school_size[4] = {240, 1200, 900, 1200}, class_size[4] = {30, 42, 45, 45};
    int gcap = 1024;
    w->grp = malloc((size_t)gcap * sizeof *w->grp);
    if (!w->grp)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    int64_t *idx = malloc((size_t)w->nres_persons * sizeof *idx);
    if (!idx)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    for (int k = 0; k < w->ncounties; k++) {
        zn__county *c = &w->counties[k];
        int64_t p0 = w->hh[w->res[c->first_res].first_hh].first;
        int lasthh = w->res[c->first_res + c->nres - 1].first_hh + w->res[c->first_res + c->nres - 1].nhh - 1;
        int64_t p1 = w->hh[lasthh].first + w->hh[lasthh].n;
        for (int s = 0; s < 4; s++) {
            int64_t n = 0;
            for (int64_t p = p0; p < p1; p++)
                if (w->per[p].role == ZN__R_PUPIL && w->per[p].age >= stage_lo[s] && w->per[p].age <= stage_hi[s])
                    idx[n++] = p;
            for (int64_t s0 = 0; s0 < n; s0 += school_size[s]) {
                int64_t s1 = s0 + school_size[s] < n ? s0 + school_size[s] : n;
                /* a school at the residence of its middle pupil */
                int anchor = w->hh[w->per[idx[(s0 + s1) / 2]].hh].res;
                int sv;
                if (venue_add(w, &cap, ZN__V_SCHOOL, k, anchor, &r, &sv) != ZN_OK)
                    return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                static const char *const stage_name[4] = {"幼儿园", "小学", "初级中学", "高级中学"};
                char *suf = strstr(w->ven[sv].name, "学校");
                if (suf)
                    snprintf(suf, sizeof w->ven[sv].name - (size_t)(suf - w->ven[sv].name), "%s", stage_name[s]);
                for (int a = stage_lo[s]; a <= stage_hi[s]; a++) {
                    int inclass = class_size[s], g = -1;
                    for (int64_t i = s0; i < s1; i++) {
                        zn__person *p = &w->per[idx[i]];
                        if (p->age != a)
                            continue;
                        if (inclass >= class_size[s]) {
                            if (w->ngrp == gcap) {
                                gcap *= 2;
                                zn__group *g2 = realloc(w->grp, (size_t)gcap * sizeof *g2);
                                if (!g2) {
                                    free(idx);
                                    return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                                }
                                w->grp = g2;
                            }
                            g = w->ngrp++;
                            w->grp[g].venue = sv;
                            w->grp[g].kind = ZN__P_CLASS;
                            w->grp[g].grade = a - stage_lo[s] + 1;
                            inclass = 0;
                        }
                        p->work_place = g; /* group index for now; made a place id below */
                        p->work_venue = sv;
                        inclass++;
                    }
                }
            }
        }
    }
    /* workers: work county, then teachers, venue staff, offices and factories */
    double urban_tot = 0;
    for (int k = 0; k < w->ncounties; k++)
        if (w->counties[k].urban)
            urban_tot += w->counties[k].pop;
    int64_t nw = 0;
    int *wcounty = malloc((size_t)w->nres_persons * sizeof *wcounty);
    if (!wcounty) {
        free(idx);
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    zn_rng_seed_key(&r, w->seed, ZN__S_WORLD, 4, 0);
    for (int64_t p = 0; p < w->nres_persons; p++) {
        wcounty[p] = -1;
        if (w->per[p].role != ZN__R_WORKER)
            continue;
        int home = w->res[w->hh[w->per[p].hh].res].county;
        int wc = home;
        if (urban_tot > 0 && zn_rng_uniform(&r) < 0.25) {
            double u = zn_rng_uniform(&r) * urban_tot;
            for (int k = 0; k < w->ncounties; k++)
                if (w->counties[k].urban) {
                    wc = k;
                    if ((u -= w->counties[k].pop) < 0)
                        break;
                }
        }
        wcounty[p] = wc;
        nw++;
    }
    for (int k = 0; k < w->ncounties; k++) {
        zn__county *c = &w->counties[k];
        int64_t n = 0;
        for (int64_t p = 0; p < w->nres_persons; p++)
            if (wcounty[p] == k)
                idx[n++] = p;
        /* deterministic shuffle */
        zn_rng_seed_key(&r, w->seed, ZN__S_WORLD, 5, (uint64_t)k);
        for (int64_t i = n - 1; i > 0; i--) {
            int64_t j = (int64_t)zn_rng_below(&r, (uint64_t)i + 1), t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        int64_t at = 0;
        /* one head teacher per class of schools in this county */
        for (int g = 0; g < w->ngrp && at < n; g++)
            if (w->grp[g].kind == ZN__P_CLASS && w->ven[w->grp[g].venue].county == k) {
                zn__person *p = &w->per[idx[at++]];
                p->work_place = g;
                p->work_venue = w->grp[g].venue;
            }
        /* venue staff (work at the venue itself, among the customers) */
        for (int t = 0; t < ZN__V_COUNT; t++)
            for (int v = c->vfirst[t]; v < c->vfirst[t] + c->vcount[t]; v++)
                for (int s = 0; s < venue_staff[t] && at < n; s++) {
                    zn__person *p = &w->per[idx[at++]];
                    p->work_place = -2 - v; /* venue place, resolved below */
                    p->work_venue = v;
                }
        /* offices and factories, teams of about 10 */
        while (at < n) {
            int size = (int)lround(zn_rng_lognormal(&r, log(15.0), 1.0));
            size = clampi(size, 3, 400);
            if (size > n - at)
                size = (int)(n - at);
            int anchor = c->first_res + (int)zn_rng_below(&r, (uint64_t)c->nres);
            double pf = c->urban ? 0.15 : 0.5;
            int vi;
            if (venue_add(w, &cap, zn_rng_uniform(&r) < pf ? ZN__V_FACTORY : ZN__V_OFFICE, k, anchor, &r, &vi) != ZN_OK) {
                free(idx);
                free(wcounty);
                return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
            }
            int g = -1;
            for (int i = 0; i < size; i++) {
                if (i % 10 == 0) {
                    if (w->ngrp == gcap) {
                        gcap *= 2;
                        zn__group *g2 = realloc(w->grp, (size_t)gcap * sizeof *g2);
                        if (!g2) {
                            free(idx);
                            free(wcounty);
                            return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                        }
                        w->grp = g2;
                    }
                    g = w->ngrp++;
                    w->grp[g].venue = vi;
                    w->grp[g].kind = ZN__P_TEAM;
                    w->grp[g].grade = 0;
                }
                zn__person *p = &w->per[idx[at++]];
                p->work_place = g;
                p->work_venue = vi;
            }
        }
    }
    free(wcounty);
    free(idx);
    /* place ids: households, groups, venues, then metro runs, trip compartments, rooms */
    w->pbase[ZN__P_HOUSEHOLD] = 0;
    w->pbase[ZN__P_TEAM] = w->pbase[ZN__P_CLASS] = w->nhh;
    w->pbase[ZN__P_VENUE] = w->nhh + w->ngrp;
    for (int64_t p = 0; p < w->nres_persons; p++) {
        zn__person *q = &w->per[p];
        if (q->work_place <= -2)
            q->work_place = w->pbase[ZN__P_VENUE] + (-2 - q->work_place);
        else if (q->work_place >= 0)
            q->work_place = w->pbase[ZN__P_TEAM] + q->work_place;
    }
    return ZN_OK;
}

/* Venue of type t near residence-rank position of `res` in county k (±1 neighbour). */
static int venue_near(const zn__world *w, int k, int t, int res, zn_rng *r)
{
    const zn__county *c = &w->counties[k];
    if (c->vcount[t] == 0)
        return -1;
    int rank = res - c->first_res;
    int i = (int)(((double)rank + 0.5) * c->vcount[t] / c->nres) + (int)zn_rng_below(r, 3) - 1;
    i = clampi(i, 0, c->vcount[t] - 1);
    return c->vfirst[t] + i;
}

/* A residence of county k near a point (by Z-order), for venues placed at work. */
static int res_near(const zn__world *w, int k, uint64_t key)
{
    const zn__county *c = &w->counties[k];
    int lo = 0, hi = c->nres - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (w->res[c->first_res + mid].morton < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return c->first_res + lo;
}

static void assign_habits(zn__world *w)
{
    zn_rng r;
    for (int64_t p = 0; p < w->nres_persons; p++) {
        zn__person *q = &w->per[p];
        zn_rng_seed_key(&r, w->seed, ZN__S_WORLD, 6, (uint64_t)p);
        int res = w->hh[q->hh].res, k = w->res[res].county;
        q->fav[0] = venue_near(w, k, ZN__V_SUPERMARKET, res, &r);
        q->fav[1] = venue_near(w, k, ZN__V_MARKET, res, &r);
        q->fav[2] = venue_near(w, k, ZN__V_RESTAURANT, res, &r);
        q->fav[3] = q->fav[2];
        if (q->work_venue >= 0) {
            const zn__venue *v = &w->ven[q->work_venue];
            q->fav[3] = venue_near(w, v->county, ZN__V_RESTAURANT, res_near(w, v->county, v->morton), &r);
        }
        q->fav[4] = venue_near(w, k, ZN__V_HOSPITAL, res, &r);
        q->pharmacy = venue_near(w, k, ZN__V_PHARMACY, res, &r);
        q->bus = venue_near(w, k, ZN__V_BUS, res, &r);
        q->metro_station = venue_near(w, k, ZN__V_METRO, res, &r);
        q->commute = 0;
        if (q->role == ZN__R_WORKER && q->work_venue >= 0) {
            int wk = w->ven[q->work_venue].county;
            double u = zn_rng_uniform(&r);
            if (q->metro_station >= 0 && w->counties[wk].metro && u < 0.25)
                q->commute = 3;
            else if (q->bus >= 0 && u < 0.5)
                q->commute = 2;
            else
                q->commute = 1;
        }
    }
}

/* ---- grids and grid workers ---- */

static zn_status build_grids(zn__world *w, zn_error *err)
{
    /* households of each community, in order; a grid of about 300 households */
    for (int i = 0; i < w->ncomms; i++) {
        w->comms[i].households = w->comms[i].residents = 0;
        w->comms[i].lon = w->comms[i].lat = 0;
    }
    for (int h = 0; h < w->nhh; h++) {
        zn__comm *c = &w->comms[w->res[w->hh[h].res].comm];
        c->households++;
        c->residents += w->hh[h].n;
    }
    for (int j = 0; j < w->nres; j++) {
        zn__comm *c = &w->comms[w->res[j].comm];
        c->lon += w->res[j].lon * w->res[j].nhh;
        c->lat += w->res[j].lat * w->res[j].nhh;
    }
    int ng = 0;
    for (int i = 0; i < w->ncomms; i++) {
        zn__comm *c = &w->comms[i];
        if (c->households) {
            c->lon /= (double)c->households;
            c->lat /= (double)c->households;
        }
        c->first_grid = ng;
        c->ngrids = c->households ? (int)((c->households + 299) / 300) : 0;
        ng += c->ngrids;
    }
    w->grids = calloc((size_t)(ng ? ng : 1), sizeof *w->grids);
    if (!w->grids)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    w->ngrids = ng;
    int64_t *seen = calloc((size_t)w->ncomms, sizeof *seen);
    if (!seen)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    for (int h = 0; h < w->nhh; h++) {
        const zn__res *rs = &w->res[w->hh[h].res];
        zn__comm *c = &w->comms[rs->comm];
        int g = c->first_grid + (int)(seen[rs->comm] * c->ngrids / c->households);
        seen[rs->comm]++;
        w->hh[h].grid = g;
        struct zn__gridrow *gr = &w->grids[g];
        gr->comm = rs->comm;
        gr->households++;
        gr->residents += w->hh[h].n;
        gr->lon += rs->lon * w->hh[h].n;
        gr->lat += rs->lat * w->hh[h].n;
    }
    free(seen);
    /* grid workers: adults 25..59 with a phone living in the grid (leader, full-time, part-time);
     * the community's police officer and doctor are taken from its first grid */
    for (int g = 0; g < ng; g++) {
        struct zn__gridrow *gr = &w->grids[g];
        if (gr->residents) {
            gr->lon /= gr->residents;
            gr->lat /= gr->residents;
        }
        gr->worker[0] = gr->worker[1] = gr->worker[2] = gr->worker[3] = -1;
    }
    for (int h = 0; h < w->nhh; h++) {
        struct zn__gridrow *gr = &w->grids[w->hh[h].grid];
        for (int i = 0; i < w->hh[h].n; i++) {
            int64_t p = w->hh[h].first + i;
            const zn__person *q = &w->per[p];
            if (q->age < 25 || q->age > 59 || !q->mobile)
                continue;
            for (int k = 0; k < 4; k++)
                if (gr->worker[k] < 0) {
                    gr->worker[k] = (int32_t)p;
                    break;
                }
            break; /* at most one worker per household */
        }
    }
    return ZN_OK;
}

/* ---- trips and visitors ---- */

static void leg_times(zn__world *w, zn__leg *l)
{
    const zn__route *rt = &zn__routes[l->route];
    int64_t day_start = w->t0 + (int64_t)l->day * ZN__DAY;
    int dep_min = l->dir == 0 ? rt->dep_out_min : rt->dep_back_min;
    l->dep = day_start + dep_min * 60 + 0;
    l->arr = l->dep + rt->dur_min * 60;
}

static zn_status build_trips(zn__world *w, uset *ids, uset *mob, zn_error *err)
{
    int D = w->opt->days;
    zn_rng r;
    zn_rng_seed_key(&r, w->seed, ZN__S_TRIPS, 0, 0);
    /* residents: a trip starts on a given day with probability 0.0008 (ours); departures from 5 days
     * before the start, so some residents are away when the period begins */
    int cap = 1024;
    w->trips = malloc((size_t)cap * sizeof *w->trips);
    if (!w->trips)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    for (int64_t p = 0; p < w->nres_persons; p++) {
        zn__person *q = &w->per[p];
        if (q->age < 18 || q->age > 75)
            continue;
        zn_rng_seed_key(&r, w->seed, ZN__S_TRIPS, 1, (uint64_t)p);
        if (zn_rng_uniform(&r) >= 0.0008 * (D + 5))
            continue;
        if (w->ntrips == cap) {
            cap *= 2;
            zn__trip *t2 = realloc(w->trips, (size_t)cap * sizeof *t2);
            if (!t2)
                return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
            w->trips = t2;
        }
        zn__trip *t = &w->trips[w->ntrips];
        memset(t, 0, sizeof *t);
        t->person = (int32_t)p;
        int route = (int)zn_rng_below(&r, (uint64_t)zn__nroutes);
        int dday = (int)zn_rng_below(&r, (uint64_t)(D + 5)) - 5;
        int away = 1 + (int)zn_rng_below(&r, 5);
        t->out.route = t->back.route = route;
        t->out.dir = 0;
        t->back.dir = 1;
        t->out.day = dday;
        t->back.day = dday + away;
        leg_times(w, &t->out);
        leg_times(w, &t->back);
        t->has_out = t->has_back = 1;
        if (t->back.day < 0)
            continue; /* entirely before the period */
        q->trip = w->ntrips++;
    }
    /* visitors: 0.002 arrivals per resident and day (ours), from 3 days before the start */
    agesamp as;
    agesamp_init(&as);
    int64_t nvis = (int64_t)lround(0.002 * (double)w->opt->persons * (D + 3));
    if (nvis < 4)
        nvis = 4;
    w->visits = calloc((size_t)nvis, sizeof *w->visits);
    if (!w->visits)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    for (int64_t i = 0; i < nvis; i++) {
        zn_rng_seed_key(&r, w->seed, ZN__S_TRIPS, 2, (uint64_t)i);
        int64_t p = w->nper++;
        zn__person *q = &w->per[p];
        memset(q, 0, sizeof *q);
        q->hh = -1;
        q->role = ZN__R_VISITOR;
        q->age = (uint8_t)age_draw(&as, &r, 22, 65);
        q->sex = zn_rng_uniform(&r) < 0.6 ? 1 : 2;
        q->work_place = q->work_venue = -1;
        q->trip = -1;
        q->routine = 255;
        int route = (int)zn_rng_below(&r, (uint64_t)zn__nroutes);
        char region[7];
        snprintf(region, sizeof region, "%s", other_regions[zn_rng_below(&r, NOTHER)]);
        int64_t bd = w->day0 - (int64_t)floor(q->age * 365.2425) - 1 - (int64_t)zn_rng_below(&r, 365);
        q->birth_days = (int32_t)bd;
        draw_id(w, &r, ids, region, bd, q->sex, q->id);
        int carrier;
        q->mobile = draw_mobile(&r, mob, &carrier);
        q->carrier = (uint8_t)carrier;
        draw_name(&r, q);
        zn__visit *v = &w->visits[w->nvisits];
        v->person = (int32_t)p;
        v->first_day = (int)zn_rng_below(&r, (uint64_t)(D + 3)) - 3;
        v->last_day = v->first_day + 1 + (int)zn_rng_below(&r, 4);
        v->risk = zn_rng_uniform(&r) < 0.1;
        v->origin = route;
        /* a hotel (not an isolation one) in a county drawn by population */
        double tot = 0;
        for (int k = 0; k < w->ncounties; k++)
            tot += w->counties[k].pop;
        double u = zn_rng_uniform(&r) * tot;
        int kc = 0;
        for (; kc < w->ncounties - 1; kc++)
            if ((u -= w->counties[kc].pop) < 0)
                break;
        const zn__county *c = &w->counties[kc];
        v->hotel = c->vcount[ZN__V_HOTEL] > 1 ? c->vfirst[ZN__V_HOTEL] + 1 + (int)zn_rng_below(&r, (uint64_t)(c->vcount[ZN__V_HOTEL] - 1))
                                                : c->vfirst[ZN__V_HOTEL];
        v->office_team = -1;
        if (w->ngrp && zn_rng_uniform(&r) < 0.6) {
            int g = (int)zn_rng_below(&r, (uint64_t)w->ngrp);
            if (w->grp[g].kind == ZN__P_TEAM)
                v->office_team = w->pbase[ZN__P_TEAM] + g;
        }
        q->visit = w->nvisits++;
        if (v->last_day < 0) {
            v->last_day = v->first_day = -100; /* gone before the start: kept out of everything */
            continue;
        }
        if (w->ntrips == cap) {
            cap *= 2;
            zn__trip *t2 = realloc(w->trips, (size_t)cap * sizeof *t2);
            if (!t2)
                return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
            w->trips = t2;
        }
        zn__trip *t = &w->trips[w->ntrips];
        memset(t, 0, sizeof *t);
        t->person = (int32_t)p;
        t->back.route = t->out.route = route;
        t->back.dir = 1;
        t->back.day = v->first_day;
        t->out.dir = 0;
        t->out.day = v->last_day;
        leg_times(w, &t->back);
        leg_times(w, &t->out);
        t->has_out = t->has_back = 1;
        q->trip = w->ntrips++;
    }
    /* compartments and seats for legs inside the extended period [-7, D + 7) */
    int ext = D + 14;
    int *counter = calloc((size_t)zn__nroutes * 2 * (size_t)ext, sizeof *counter);
    if (!counter)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    for (int i = 0; i < w->ntrips; i++) {
        zn__leg *legs[2] = {&w->trips[i].out, &w->trips[i].back};
        for (int j = 0; j < 2; j++) {
            zn__leg *l = legs[j];
            l->place = -1;
            if (l->day < -7 || l->day >= D + 7)
                continue;
            int slot = (l->route * 2 + l->dir) * ext + (l->day + 7);
            int n = counter[slot]++;
            const zn__route *rt = &zn__routes[l->route];
            int capacity = rt->mode == 0 ? 50 * 6 : 16 * 20 * 5;
            int pos = (int)(((int64_t)n * 7919 + (l->route * 31 + l->day * 17 + 5)) % capacity);
            if (pos < 0)
                pos += capacity;
            int comp;
            if (rt->mode == 0) {
                l->carriage = 0;
                l->row = pos / 6 + 1;
                l->seat = pos % 6;
                comp = (l->row - 1) / 3;
            } else {
                l->carriage = pos / 100 + 1;
                l->row = pos % 100 / 5 + 1;
                l->seat = pos % 5;
                comp = l->carriage - 1;
            }
            l->place = w->pbase[ZN__P_TRIP] + slot * 17 + comp;
        }
    }
    free(counter);
    w->pbase[ZN__P_ROOM] = w->pbase[ZN__P_TRIP] + zn__nroutes * 2 * ext * 17;
    w->pbase[ZN__P_COUNT] = w->pbase[ZN__P_ROOM] + w->nvisits;
    return ZN_OK;
}

/* ---- the whole world ---- */

zn_status zn__world_build(zn__world *w, zn_error *err)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/divisions", w->opt->data_dir);
    zn_status st = zn_div_registry_new(w->ctx, path, &w->reg, err);
    if (st != ZN_OK)
        return st;
    if ((st = load_divisions(w, err)) != ZN_OK)
        return st;
    if ((st = zn_grid_new(w->ctx, ZN_GRID_DEFAULT_CELL_M, &w->grid, err)) != ZN_OK)
        return st;
    zn_geom **outl = NULL;
    if ((st = load_outlines(w, &outl, err)) != ZN_OK)
        return st;
    st = build_residences(w, outl, err);
    for (int k = 0; k < w->ncounties; k++)
        zn_geom_free(outl[k]);
    free(outl);
    if (st != ZN_OK)
        return st;
    uset ids, mob;
    size_t expect = (size_t)w->opt->persons * 2 + 1024;
    if (uset_init(&ids, expect) || uset_init(&mob, expect)) {
        free(ids.k);
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    if ((st = build_people(w, &ids, &mob, err)) == ZN_OK && (st = build_venues(w, err)) == ZN_OK) {
        assign_habits(w);
        if ((st = build_grids(w, err)) == ZN_OK) {
            /* metro runs: per county line, direction, 10-minute slot, car */
            int maxcars = 1;
            for (int k = 0; k < w->ncounties; k++)
                if (w->counties[k].metro_cars > maxcars)
                    maxcars = w->counties[k].metro_cars;
            w->metro_maxcars = maxcars;
            w->pbase[ZN__P_METRO] = w->pbase[ZN__P_VENUE] + w->nven;
            w->pbase[ZN__P_TRIP] = w->pbase[ZN__P_METRO] + w->ncounties * 2 * 144 * maxcars;
            st = build_trips(w, &ids, &mob, err);
        }
    }
    free(ids.k);
    free(mob.k);
    return st;
}

void zn__world_free(zn__world *w)
{
    zn_div_registry_free(w->reg);
    zn_grid_free(w->grid);
    free(w->counties);
    free(w->towns);
    free(w->comms);
    free(w->res);
    free(w->hh);
    free(w->per);
    free(w->ven);
    free(w->grp);
    free(w->trips);
    free(w->visits);
    free(w->grids);
    free(w->inf);
    free(w->inf_of);
    free(w->iso);
    free(w->quar);
    free(w->pool);
    free(w->pool_pos);
}
