/* Internals of the division registry (src/div). Not for other modules: use zhinao/div.h. */
#ifndef ZN_DIV_INT_H
#define ZN_DIV_INT_H

#include "zhinao/div.h"

#include <stdint.h>

/* One division of one edition. Codes are the 12-digit NBS code as an integer. */
typedef struct zn__div_node {
    uint64_t code;
    uint32_t name;   /* offset of the NUL-terminated name in reg->pool */
    int32_t parent;  /* index in the same edition, -1 for provinces */
    uint32_t kid0;   /* children are ed->kids[kid0 .. kid0 + nkids) */
    uint32_t nkids;
    uint32_t line;   /* record number in the source file, for error messages */
    uint16_t file;   /* index in reg->files */
    uint8_t level;   /* 1..5 */
} zn__div_node;

typedef struct zn__div_edition {
    int year;
    zn__div_node *nodes; /* sorted by code after loading */
    size_t n, cap;
    uint32_t *kids;      /* child indexes grouped by parent, each group in code order */
    size_t count[6];     /* [0] all, [1..5] per level */
} zn__div_edition;

/* One county polygon (GCJ-02 degrees). */
typedef struct zn__div_poly {
    uint64_t code;
    char *name;                 /* DataV name, owned */
    double minx, miny, maxx, maxy;
    void *geom;                 /* GEOSGeometry*, owned */
    const void *prep;           /* const GEOSPreparedGeometry*, owned */
} zn__div_poly;

struct zn_div_registry {
    zn_ctx *ctx;                /* borrowed */
    zn__div_edition *eds;       /* ascending by year */
    size_t neds;
    char *pool;                 /* every name, NUL-terminated */
    size_t pool_len, pool_cap;
    char **files;               /* paths of the files read, for error messages */
    size_t nfiles;
    zn__div_poly *polys;        /* ascending by code */
    size_t npolys;
};

/* Digits that identify a division of each level: {-, 2, 4, 6, 9, 12}. */
extern const int zn__div_digits[6];

/* code with everything after the first `keep` digits set to zero. */
uint64_t zn__div_trunc(uint64_t code, int keep);

/* Parse a code (any accepted form) to its 12-digit integer. ZN_EINVAL when malformed. */
zn_status zn__div_parse(const char *code, uint64_t *out);

/* The edition for `year` (0 = newest), or NULL. */
const zn__div_edition *zn__div_edition_get(const zn_div_registry *reg, int year);

/* Index of `code` in ed, or -1. */
long zn__div_find(const zn__div_edition *ed, uint64_t code);

/* Fill *out from node i of ed. */
void zn__div_fill(const zn_div_registry *reg, const zn__div_edition *ed, size_t i, zn_div *out);

/* Append to ed a node for `code` at `level` named `name` (copied into reg->pool), found at record
 * `line` of reg->files[file], not yet linked (parent -1: see zn__div_finish_edition).
 * ZN_ENOMEM (no error filled in). */
zn_status zn__div_node_add(zn_div_registry *reg, zn__div_edition *ed, uint64_t code, int level, const char *name,
                           uint32_t line, uint16_t file);

/* The edition for `year`, added (empty, years kept ascending) when absent; NULL when out of memory. */
zn__div_edition *zn__div_edition_for(zn_div_registry *reg, int year);

/* After loading an edition's nodes: sort them by code, reject a code twice (ZN_EDUPLICATE) or a
 * missing parent (ZN_EVALIDATE; err->file/line from the node's file and line), link parents,
 * build the children lists and the counts. */
zn_status zn__div_finish_edition(zn_div_registry *reg, zn__div_edition *ed, zn_error *err);

/* Free reg->polys. */
void zn__div_boundaries_free(zn_div_registry *reg);

#endif
