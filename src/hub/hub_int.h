/* Internal to src/hub: catalogue internals, the storage layout of a feed table, value and row
 * validation. Tests include this header to exercise the validators directly. */
#ifndef ZN_HUB_INT_H
#define ZN_HUB_INT_H

#include "zhinao/hub.h"

/* Reason codes: ZN__R_OK, then one per ZN_HUB_REASONS entry. */
typedef enum zn__reason {
    ZN__R_OK = 0,
#define ZN__R_ENUM(code, words) ZN__R_##code,
    ZN_HUB_REASONS(ZN__R_ENUM)
#undef ZN__R_ENUM
    ZN__R_COUNT
} zn__reason;

/* "bad_check_digit" for ZN__R_bad_check_digit; "ok" for ZN__R_OK. Static storage. */
const char *zn__reason_code(zn__reason r);
const char *zn__reason_words(zn__reason r);
/* Reason for a code string, ZN__R_OK (0) when unknown. */
zn__reason zn__reason_from_code(const char *code);

/* SQL types of stored slots. */
typedef enum zn__sqltype { ZN__SQL_TEXT = 0, ZN__SQL_INTEGER, ZN__SQL_REAL } zn__sqltype;

/*
 * Storage layout of feed_<name>: the slots (SQL columns) filled from a row, in order. Catalogue
 * column i starts at slot col_slot[i] (a LONLAT column has 3 slots: text, _lon, _lat); a point in
 * GCJ-02/BD-09 made of two columns has 2 more slots (<lon>_orig, <lat>_orig) at orig_slot[p]
 * (-1 when the point is WGS-84 or a LONLAT column). Bookkeeping columns (_lineage_id, _line,
 * _row_hash) are not slots.
 */
typedef struct zn__layout {
    size_t nslots;
    char (*names)[64];       /* nslots names */
    zn__sqltype *types;      /* nslots */
    int *col_slot;           /* ncolumns */
    int *orig_slot;          /* npoints */
} zn__layout;

zn_status zn__layout_init(zn__layout *lay, const zn_feed *feed);
void zn__layout_fini(zn__layout *lay);

/* One validated value. Text values point into the row's fields or into buf. */
typedef enum zn__vkind { ZN__V_NULL = 0, ZN__V_INT, ZN__V_REAL, ZN__V_TEXT } zn__vkind;
typedef struct zn__value {
    zn__vkind kind;
    int64_t i;
    double d;
    const char *s;
    char buf[24];
} zn__value;

/* What validation needs besides the catalogue: clock, zone, the division code set. */
typedef struct zn__vctx {
    int32_t tz_offset;       /* seconds east of UTC for times without zone */
    int64_t now;             /* UTC seconds */
    int64_t tolerance;       /* seconds after now still accepted */
    int64_t today_days;      /* local day number of now */
    const uint64_t *divs;    /* sorted 12-digit division codes; NULL = do not check */
    size_t ndivs;
    int64_t unchecked;       /* division values not checked (divs NULL), counted here */
} zn__vctx;

/* Problem found in a row: reason, column index (-1 = none) and words. */
typedef struct zn__problem {
    zn__reason reason; /* the first problem of the row: its reason_code in quarantine */
    int column;
    char msg[256];
    int nmore;         /* further fields of the same row that fail too */
    char more[256];    /* "col (reason_code); col (reason_code)" of those, cut to fit */
} zn__problem;

/*
 * Validate and normalise one field of column `col` (text already trimmed; NULL or "" = empty)
 * into *out (kind NULL for an empty optional value). Returns ZN__R_OK or a reason with words in
 * msg (size n). LONLAT columns fill out[0..2].
 */
zn__reason zn__validate_value(zn__vctx *vc, const zn_feed_column *col, const char *text,
                              zn__value *out, char *msg, size_t n);

/*
 * Validate a whole row: texts[i] is the trimmed text of catalogue column i (NULL when the column
 * is absent from the file). Fills vals (lay->nslots) and returns ZN__R_OK, or the first problem
 * (columns in catalogue order, then coordinate pairs, then row checks) in *pb.
 */
zn__reason zn__validate_row(zn__vctx *vc, const zn_feed *feed, const zn__layout *lay,
                            const char *const *texts, zn__value *vals, zn__problem *pb);

/* Parse a calendar date (YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYYMMDD, optionally followed by a
 * midnight time " 00:00[:00]"). Returns 0 on success. */
int zn__parse_date(const char *s, int *y, int *m, int *d);

/* Normalise a 6-, 9- or 12-digit division code to its 12-digit number; returns 0 on success. */
int zn__division_norm(const char *s, uint64_t *out);

/* Trim ASCII blanks (space, tab, CR, LF) in place; returns the start of the trimmed text. */
char *zn__trim(char *s);

#endif
