/* Internals of the zone module (not for other modules). */
#ifndef ZN_ZONE_INT_H
#define ZN_ZONE_INT_H

#include "zhinao/zone.h"

/* Level index treated as "lower than every level" (the floor or no zone) in comparisons. */
#define ZN__ZONE_BASE 127

/* A JSON path for error messages: "transitions[1].quiet_days". */
void zn__zone_path(char *buf, size_t n, const char *parent, const char *key, long index);

/* Read a whole file into a malloc'd NUL-terminated buffer. ZN_EIO (err->file set), ZN_ENOMEM. */
zn_status zn__zone_read_file(const char *path, char **out, zn_error *err);

/* Is `level` (a zn_zone_rules level index or ZN_ZONE_NONE) strictly above the floor? */
int zn__zone_raised(const zn_zone_rules *r, int level);

/* Store helpers shared by store.c and export.c. */
zn_status zn__zone_run_id(zn_store *st, const char *rules, int64_t *run_id, zn_error *err);

/* Key of the unit of `kind` containing a place unit ("township:<code>", "county:<code>",
 * "grid:G800:c:r"; grid needs `grid`). ZN_ENOTFOUND when the place lacks what is needed. */
struct zn_grid;
zn_status zn__zone_parent_key(struct zn_grid *grid, zn_zone_unit_kind kind, double lon, double lat,
                              const char *county, const char *township, char *out, size_t n);

/* Upsert the grid / township / county units containing the located place units. */
zn_status zn__zone_derive(zn_store *st, zn_zone_unit_kind kind, int32_t grid_m, int64_t *count, zn_error *err);

/* The zone_unit upsert (by key) as a prepared statement, and one upsert with it. */
zn_status zn__zone_upsert_prepare(zn_store *st, zn_stmt **out, zn_error *err);
zn_status zn__zone_upsert(zn_stmt *s, const zn_zone_unit *u, const char *source, zn_error *err);

/* A listed address and the unit it maps to. */
typedef struct zn__zone_addr_unit {
    char *district, *address;
    int64_t unit_id;
} zn__zone_addr_unit;

/*
 * Upsert the building units (zn_zone_address_building; key "building:<district>:<name>") of the
 * addresses of tables case_residence and place, with the point of the member spelled as the
 * building, else of the first located member; *map (sorted by district, address; free with
 * zn__zone_addr_units_free) maps every address to its building unit id. Nothing (and ZN_OK) when
 * there is no table case_residence. Call inside a transaction.
 */
zn_status zn__zone_buildings(zn_store *st, zn__zone_addr_unit **map, size_t *nmap, int64_t *units, zn_error *err);
void zn__zone_addr_units_free(zn__zone_addr_unit *v, size_t n);
/* The unit id of (district, address) in a sorted map, or -1. */
int64_t zn__zone_addr_unit_find(const zn__zone_addr_unit *v, size_t n, const char *district, const char *address);

#endif
