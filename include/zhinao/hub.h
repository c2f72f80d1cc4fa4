/*
 * zhinao hub (数据归集): the feed catalogue, and ingest of departmental feed files into the store
 * with validation, quarantine, dedupe and lineage.
 *
 * The catalogue (data/feeds/catalogue.json, documented in docs/feeds.md) is data: it names every
 * feed (数据类别), the source unit (数据源单位) that supplies it, its typed columns, natural key, CRS
 * of coordinates and row-level checks. zn_hub_ingest reads one CSV or NDJSON file (plain or
 * gzip, UTF-8 or GBK/GB18030) of one feed and loads it into the typed table feed_<name>:
 *
 *  - every row is validated against the catalogue; a bad row goes to table `quarantine` with a
 *    stable reason code (see ZN_HUB_REASONS below) and the rest of the file still loads;
 *  - a row whose natural key (or, for feeds without a key, the hash of its normalised values) is
 *    already stored, or repeated in the file, is a duplicate: counted, not inserted, not
 *    quarantined (the first version wins);
 *  - the whole file is one transaction: a fatal problem (unreadable file, empty file, unterminated
 *    quote at the end, header without a required column) rolls everything of that file back;
 *  - every file gets a row in table `lineage` (feed, source unit, path, sha256 of the bytes,
 *    encoding, counts, status loaded | aborted, times), also when it was aborted.
 *
 * Re-ingesting a file that was loaded before re-reads it and reports every row as a duplicate
 * (more honest than skipping on the sha256: the counts show what is in the file).
 */
#ifndef ZHINAO_HUB_H
#define ZHINAO_HUB_H

#include "zhinao/core.h"
#include "zhinao/geo.h"
#include "zhinao/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- catalogue ---- */

/* Column types and how they are stored in feed_<name>. */
typedef enum zn_col_type {
    ZN_COL_TEXT = 0,     /* TEXT, blanks trimmed; max_length counts characters (UTF-8 code points) */
    ZN_COL_INT,          /* INTEGER, decimal digits with optional sign */
    ZN_COL_REAL,         /* REAL, finite decimal number */
    ZN_COL_DATE,         /* TEXT "YYYY-MM-DD"; read from YYYY-MM-DD, YYYY/M/D, YYYY.M.D or YYYYMMDD */
    ZN_COL_TIME,         /* INTEGER UTC seconds (zn_time_parse; local +08:00 when no zone given) */
    ZN_COL_RESIDENT_ID,  /* TEXT, canonical 18 characters (15-digit numbers are upgraded) */
    ZN_COL_MOBILE,       /* TEXT, the bare 11 digits */
    ZN_COL_DIVISION,     /* TEXT, 12-digit NBS code (6- and 9-digit forms are padded with zeros) */
    ZN_COL_LON,          /* REAL WGS-84 longitude, degrees (see zn_feed_point for the CRS) */
    ZN_COL_LAT,          /* REAL WGS-84 latitude, degrees */
    ZN_COL_LONLAT,       /* one field "lon,lat": stored as TEXT <name> (original) and REAL
                            <name>_lon / <name>_lat (WGS-84) */
    ZN_COL_ENUM          /* TEXT, one of `values` (exact match after trimming) */
} zn_col_type;

/* Name of a type as written in the catalogue ("resident_id"); "?" when out of range. */
const char *zn_col_type_name(zn_col_type t);

/* One column of a feed. All strings are owned by the catalogue. */
typedef struct zn_feed_column {
    const char *name;        /* snake_case, also the SQL column name */
    const char *title_zh;    /* Chinese label ("" when absent) */
    const char *description; /* "" when absent */
    zn_col_type type;
    int required;            /* empty value -> quarantine missing_field (key columns are required) */
    int has_min, has_max;    /* numeric bounds (int, real, lon, lat) -> out_of_range */
    double min, max;
    int max_length;          /* text/enum: characters; 0 = no limit beyond the reader's max_field */
    int not_future;          /* date/time: later than now (+ tolerance) -> future_time; default 1 */
    size_t nvalues;          /* enum values */
    const char *const *values;
    size_t naliases;         /* other header names accepted for this column (e.g. "经纬度") */
    const char *const *aliases;
} zn_feed_column;

/* A coordinate pair (column indexes into zn_feed.columns) and the CRS it is written in. A pair in
 * GCJ-02 or BD-09 is converted to WGS-84 on ingest: the named columns hold WGS-84 and the original
 * values are kept in <lon>_orig / <lat>_orig. For a ZN_COL_LONLAT column lon == lat == its index. */
typedef struct zn_feed_point {
    int lon, lat;
    zn_crs crs;
} zn_feed_point;

/* A row-level check "left op right" between two comparable columns (time, date, int, real),
 * e.g. "t_end >= t_start"; skipped when either value is empty. Failure -> end_before_start. */
typedef enum zn_check_op { ZN_CHECK_GE = 0, ZN_CHECK_GT, ZN_CHECK_LE, ZN_CHECK_LT } zn_check_op;
typedef struct zn_feed_check {
    int left, right; /* column indexes */
    zn_check_op op;
    const char *text; /* as written in the catalogue */
} zn_feed_check;

/* A secondary index on feed_<name> that readers need (catalogue "indexes", e.g. the division
 * column by which the server counts a feed's rows in an area). zn_hub_prepare_feed and
 * zn_hub_ingest make it as feed_<feed>_by_<col>[_<col>...] with CREATE INDEX IF NOT EXISTS. */
typedef struct zn_feed_index {
    size_t ncolumns;
    const int *columns; /* column indexes into zn_feed.columns, in index order; never lonlat */
} zn_feed_index;

/* One feed (数据类别). */
typedef struct zn_feed {
    const char *name;        /* snake_case; the table is feed_<name> */
    const char *title_zh;
    const char *source_unit; /* id of a zn_source_unit */
    const char *description;
    zn_crs crs;              /* default CRS of coordinate columns */
    size_t ncolumns;
    const zn_feed_column *columns;
    size_t nkey;             /* natural key; 0 = the row hash is the key */
    const int *key;          /* column indexes */
    size_t npoints;
    const zn_feed_point *points;
    size_t nchecks;
    const zn_feed_check *checks;
    size_t nindexes;         /* secondary indexes (besides the unique key and _lineage_id) */
    const zn_feed_index *indexes;
} zn_feed;

/* A source unit (数据源单位). */
typedef struct zn_source_unit {
    const char *id;      /* e.g. "health_commission" */
    const char *name_zh; /* e.g. "省卫生健康委员会" */
    const char *name_en;
} zn_source_unit;

typedef struct zn_catalogue zn_catalogue;

/*
 * Load a catalogue from a JSON file (format: docs/feeds.md, example: data/feeds/catalogue.json).
 * The catalogue is checked: snake_case names, known types, enum values present, key and check
 * columns exist, every lon column has a lat partner, known source units, no unknown keys.
 * On success *out is the caller's (zn_catalogue_free).
 * Errors: ZN_EIO (cannot read), ZN_EPARSE (not JSON; err->line is the JSON line),
 * ZN_EVALIDATE (a rule above; err->field names "feed.column").
 */
zn_status zn_catalogue_load(const char *path, zn_catalogue **out, zn_error *err);
/* Same from a JSON text of `len` bytes; `name` is used in error messages. */
zn_status zn_catalogue_parse(const char *json, size_t len, const char *name, zn_catalogue **out,
                             zn_error *err);
void zn_catalogue_free(zn_catalogue *cat); /* NULL ok */

/* Feeds in catalogue order; i < zn_catalogue_count. Borrowed from the catalogue. */
size_t zn_catalogue_count(const zn_catalogue *cat);
const zn_feed *zn_catalogue_feed(const zn_catalogue *cat, size_t i);
/* Feed by name, NULL when absent. */
const zn_feed *zn_catalogue_find(const zn_catalogue *cat, const char *name);
/* Column index by name, -1 when absent. */
int zn_feed_column_index(const zn_feed *feed, const char *name);

size_t zn_catalogue_unit_count(const zn_catalogue *cat);
const zn_source_unit *zn_catalogue_unit(const zn_catalogue *cat, size_t i);
const zn_source_unit *zn_catalogue_find_unit(const zn_catalogue *cat, const char *id);

/* Append the catalogue as Markdown (the text of docs/feeds.md) to out. Errors: ZN_ENOMEM. */
zn_status zn_catalogue_markdown(const zn_catalogue *cat, zn_buf *out);

/* ---- ingest ---- */

/* Stable reason codes of quarantined rows: X(code, words). */
#define ZN_HUB_REASONS(X)                                                       \
    X(missing_field, "required field is empty")                                 \
    X(column_count, "wrong number of fields for the header")                    \
    X(bad_int, "not an integer")                                                \
    X(bad_real, "not a number")                                                 \
    X(bad_date, "not a date")                                                   \
    X(bad_time, "not a time")                                                   \
    X(out_of_range, "value outside the allowed range")                          \
    X(too_long, "value too long")                                               \
    X(bad_enum, "value not in the allowed list")                                \
    X(bad_resident_id, "malformed resident ID number")                          \
    X(bad_check_digit, "resident ID check character wrong")                     \
    X(bad_birth_date, "resident ID birth date impossible")                      \
    X(unknown_region, "resident ID region is not a province of China")          \
    X(bad_mobile, "not a mainland mobile number")                               \
    X(bad_division_code, "malformed division code")                             \
    X(unknown_division, "division code not in the division table")              \
    X(bad_lonlat, "malformed coordinate pair")                                  \
    X(swapped_lat_lon, "latitude and longitude look swapped")                   \
    X(outside_china, "coordinates outside China")                               \
    X(end_before_start, "row check failed (an end before its start)")           \
    X(future_time, "time in the future")                                        \
    X(encoding, "bad text encoding")                                            \
    X(nul_byte, "NUL byte in the record")                                       \
    X(bad_json, "NDJSON line is not a JSON object")                             \
    X(bad_record, "record could not be read")

/* Called while a file loads (about every 1000 rows and at the end). */
typedef struct zn_hub_progress {
    const char *feed, *file;
    uint64_t bytes_read, bytes_total; /* compressed bytes for .gz; total 0 when unknown */
    int64_t rows;
} zn_hub_progress;
typedef void (*zn_hub_progress_fn)(void *user, const zn_hub_progress *p);

typedef struct zn_ingest_options {
    const char *encoding;         /* NULL / "auto" (detect), "utf-8", "gbk", "gb18030" */
    size_t max_field;             /* longest field in bytes; 0 = 65536; longer -> too_long */
    int64_t future_tolerance;     /* seconds after zn_ctx_now still accepted; 0 = 600 */
    zn_hub_progress_fn progress;  /* may be NULL */
    void *progress_user;
} zn_ingest_options;

/* What happened to one file. */
typedef struct zn_ingest_summary {
    char feed[64];
    char file[512];
    int64_t rows;         /* records read (header excluded) */
    int64_t accepted;     /* inserted */
    int64_t quarantined;  /* bad rows newly quarantined (a re-load of the same bytes counts the
                             rows its earlier load already quarantined as duplicates instead) */
    int64_t duplicates;   /* rows already stored (natural key / row hash) or already quarantined */
    int64_t unchecked;    /* division codes not checked because the division table is empty */
    int64_t ignored_columns; /* header columns not in the catalogue (ignored) */
    int64_t lineage_id;
    int64_t same_as_lineage; /* id of an earlier loaded lineage row with the same sha256, or 0 */
    uint64_t bytes;
    char sha256[65];      /* hex of the file bytes; "" for a pipe or device (read once) */
    char encoding[16];    /* "utf-8" / "gb18030" */
    char status[16];      /* "loaded" or "aborted" */
} zn_ingest_summary;

/*
 * Create (if absent) feed_<name> for `feed` and its unique index, adding columns the catalogue
 * gained since the table was created. Idempotent. Errors: ZN_ESTORE.
 */
zn_status zn_hub_prepare_feed(zn_store *st, const zn_feed *feed, zn_error *err);

/*
 * Ingest the file at `path` as feed `feed_name` of `cat` into `st` (see the top of this header).
 * opt may be NULL (defaults). *summary (may be NULL) is filled in every case where a lineage row
 * was written, including aborted files.
 * Returns ZN_OK when the file was read to the end (even with quarantined rows). Errors (the file is
 * aborted, nothing of it stored, lineage status "aborted" with the message): ZN_ENOTFOUND (unknown
 * feed, no lineage row), ZN_EIO (cannot read), ZN_EPARSE (empty file, unterminated quote),
 * ZN_EVALIDATE (header lacks a required column, or names a column twice: err->field names it),
 * ZN_EENCODING, ZN_ESTORE. err->file is the path, err->line the line when known.
 * Call it outside any transaction of the caller's: the file's transaction must be the outermost
 * one for an aborted file to be rolled back alone (zn_store transactions nest by counting).
 */
zn_status zn_hub_ingest(zn_store *st, const zn_catalogue *cat, const char *feed_name,
                        const char *path, const zn_ingest_options *opt,
                        zn_ingest_summary *summary, zn_error *err);

/* ---- quarantine ---- */

/* Which quarantined rows to list. Zero-initialise for "all, masked". */
typedef struct zn_quarantine_filter {
    const char *feed;   /* NULL = every feed */
    const char *reason; /* reason code, NULL = every reason */
    int64_t limit;      /* 0 = no limit */
    int unmasked;       /* 0: resident ID and mobile numbers in `raw` and `reason` are masked */
} zn_quarantine_filter;

/* One quarantined row; strings borrowed for the duration of the callback. */
typedef struct zn_quarantine_row {
    int64_t id, lineage_id;
    const char *feed, *file;
    int64_t line;
    const char *field;       /* "" when the problem is not about one field */
    const char *reason_code; /* one of ZN_HUB_REASONS */
    const char *reason;      /* words */
    const char *raw;         /* the record as read (masked unless filter->unmasked) */
} zn_quarantine_row;

/* Callback per row; return non-zero to stop early. */
typedef int (*zn_quarantine_fn)(void *user, const zn_quarantine_row *row);

/*
 * Call fn for each quarantined row matching filter (may be NULL), in id order.
 * Errors: ZN_ESTORE, ZN_ENOMEM.
 */
zn_status zn_quarantine_list(zn_store *st, const zn_quarantine_filter *filter, zn_quarantine_fn fn,
                             void *user, zn_error *err);

/* Call fn(user, feed, reason_code, count) per (feed, reason) pair with quarantined rows, ordered by
 * feed then reason. Errors: ZN_ESTORE. */
zn_status zn_quarantine_summary(zn_store *st,
                                void (*fn)(void *user, const char *feed, const char *reason_code,
                                           int64_t count),
                                void *user, zn_error *err);

/*
 * Append s to out with personal numbers masked (zn_mask_resident_id / zn_mask_mobile): maximal
 * runs of 18 characters (17 digits and a digit or X) or 15 digits are taken as resident ID
 * numbers, runs of 11 digits starting with 1[3-9] as mobile numbers; other digit runs are kept.
 * Errors: ZN_ENOMEM.
 */
zn_status zn_hub_mask_text(const char *s, zn_buf *out);

#ifdef __cplusplus
}
#endif
#endif /* ZHINAO_HUB_H */
