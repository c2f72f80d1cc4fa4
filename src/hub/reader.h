/*
 * Internal to src/hub: a streaming record reader over CSV (RFC 4180, via libcsv) and NDJSON files,
 * plain or gzip-compressed, in UTF-8 or GB18030/GBK (declared, or detected when the bytes are not
 * valid UTF-8), converted to UTF-8 with iconv. Memory is bounded by the longest record.
 */
#ifndef ZN_HUB_READER_H
#define ZN_HUB_READER_H

#include "zhinao/core.h"

typedef enum zn_format { ZN_FORMAT_AUTO = 0, ZN_FORMAT_CSV, ZN_FORMAT_NDJSON } zn_format;

typedef struct zn_reader zn_reader;

typedef struct zn_reader_options {
    zn_format format;      /* AUTO: by extension (.csv/.csv.gz -> CSV, .ndjson/.jsonl[.gz] -> NDJSON) */
    const char *encoding;  /* NULL/"auto": detect (UTF-8 unless invalid, then GB18030); or "utf-8",
                              "gbk", "gb18030" */
    size_t max_field;      /* longest field accepted in bytes (default 1 MiB); longer -> ZN_ERANGE row error */
} zn_reader_options;

/* One record. Strings are UTF-8, NUL-terminated, owned by the reader and valid until the next call. */
typedef struct zn_record {
    long line;          /* 1-based physical line where the record starts */
    size_t nfields;
    char **fields;      /* CSV: values in column order; NDJSON: values in header (key) order */
    const char *raw;    /* the record's text as read (UTF-8), for quarantine */
    zn_status status;   /* ZN_OK, or a per-record problem (e.g. NUL byte, bad JSON, too long): the
                           caller quarantines the record and goes on */
    char problem[256];  /* words for status != ZN_OK */
    const char *problem_field; /* field name when known, else NULL */
} zn_record;

/*
 * Open path. For CSV the first record is the header; for NDJSON, `keys`/`nkeys` (the expected
 * column names, required) fix the order of fields (missing keys are NULL fields).
 * Errors (the file cannot be read at all): ZN_EIO (open/read), ZN_EENCODING (declared encoding
 * unknown), ZN_EPARSE (empty file / no header). err names the file.
 */
zn_status zn_reader_open(const char *path, const zn_reader_options *opt, const char *const *keys,
                         size_t nkeys, zn_reader **out, zn_error *err);

/* Header names (CSV: from the file, BOM stripped and blanks trimmed; NDJSON: the keys). */
size_t zn_reader_header(zn_reader *r, const char *const **names);

/*
 * Next record. Returns ZN_OK with *rec set, ZN_ENOTFOUND at end of file, or a fatal error
 * (ZN_EIO, ZN_EPARSE for an unterminated quote at EOF with err naming the line) after which
 * the caller must abort the file.
 */
zn_status zn_reader_next(zn_reader *r, zn_record **rec, zn_error *err);

/* The encoding in use ("utf-8" or "gb18030"), bytes read so far and the total size (0 if unknown). */
const char *zn_reader_encoding(zn_reader *r);
uint64_t zn_reader_bytes(zn_reader *r);
uint64_t zn_reader_size(zn_reader *r);

void zn_reader_close(zn_reader *r); /* NULL ok */

#endif
