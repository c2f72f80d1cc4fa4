/*
 * Internal to src/hub: a streaming record reader over CSV (RFC 4180, via libcsv) and NDJSON files,
 * plain or gzip-compressed, in UTF-8 or GB18030/GBK (declared, or detected when the bytes are not
 * valid UTF-8), converted to UTF-8 with iconv. Reads in chunks (64 KiB); memory is bounded by
 * the longest record (at most max_record) plus a few chunks, whatever the size of the file.
 * Encodings: glibc iconv "GB18030" (a superset of GBK and GB 2312) for "gbk"/"gb18030"/
 * "gb2312"/"cp936"; CSV grammar: RFC 4180 as parsed by libcsv (non-strict: a stray quote inside
 * an unquoted field is kept as text; spaces are data, not trimmed).
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
    /* Added fields (zero = default, so `zn_reader_options o = {0}` keeps working): */
    char delimiter;        /* CSV field separator; 0 = ',' ('\t' for *.tsv). Not CR, LF, '"' */
    size_t max_record;     /* longest record in bytes (CSV: sum of its fields; NDJSON: the line);
                              0 = 64 MiB; longer -> ZN_ERANGE row error, memory stays bounded */
    size_t chunk_size;     /* bytes per read; 0 = 64 KiB (tests and the fuzzer use tiny chunks) */
} zn_reader_options;

/* zn_record.raw is cut (at a character boundary) to at most this many bytes. */
#define ZN_READER_RAW_MAX 65536
/* A CSV record with more fields keeps the first ZN_READER_MAX_FIELDS and gets ZN_ERANGE. */
#define ZN_READER_MAX_FIELDS 65536

/* One record. Strings are UTF-8, NUL-terminated, owned by the reader and valid until the next call. */
typedef struct zn_record {
    long line;          /* 1-based physical line where the record starts (LF, CRLF or a lone CR
                           ends a line; newlines inside quoted fields count) */
    size_t nfields;
    char **fields;      /* CSV: values in column order, never NULL ("" for an empty field; a field
                           over max_field is ""); may be fewer or more than the header.
                           NDJSON: nfields == nkeys, values in key order; NULL for JSON null or a
                           missing key; strings as is, integers in decimal, reals as the shortest
                           text that reads back to the same double ("9.5", "100" for 1e2), true /
                           false, nested arrays/objects as compact JSON. After a record-level
                           ZN_EPARSE/ZN_EENCODING the NDJSON fields are all NULL. */
    const char *raw;    /* the record's text as read (UTF-8), without its final line break, at
                           most ZN_READER_RAW_MAX bytes, for quarantine. When status != ZN_OK, bytes
                           that are not valid UTF-8 and NUL bytes are written as "\xHH" text. */
    zn_status status;   /* ZN_OK, or a per-record problem (e.g. NUL byte, bad JSON, too long): the
                           caller quarantines the record and goes on */
    char problem[256];  /* words for status != ZN_OK */
    const char *problem_field; /* field name when known, else NULL */
    /* Added fields: */
    size_t raw_len;     /* strlen(raw) */
    int raw_truncated;  /* 1 when raw was cut to ZN_READER_RAW_MAX */
} zn_record;

/*
 * Open path (plain or gzip, told apart by content). opt may be NULL (all defaults). For CSV the
 * first record is the header; for NDJSON, `keys`/`nkeys` (the expected column names, required)
 * fix the order of fields (missing keys are NULL fields; keys not listed are ignored). keys are
 * copied. Format AUTO: by extension (.csv .tsv .txt / .ndjson .jsonl .json, each optionally
 * .gz), else NDJSON when the first non-blank byte is '{', else CSV.
 * On success *out is a reader the caller frees with zn_reader_close.
 * Errors (the file cannot be read at all): ZN_EIO (open/read/corrupt gzip), ZN_EENCODING (declared
 * encoding unknown; UTF-16 file), ZN_EPARSE (empty file / no header line / bad header: NUL,
 * unterminated quote), ZN_EINVAL (NULL path/out, NDJSON without keys, bad delimiter),
 * ZN_ENOMEM. err names the file.
 */
zn_status zn_reader_open(const char *path, const zn_reader_options *opt, const char *const *keys,
                         size_t nkeys, zn_reader **out, zn_error *err);

/* Header names (CSV: from the file, BOM stripped and blanks trimmed; NDJSON: the keys).
 * *names is owned by the reader, valid until zn_reader_close. Returns the count. */
size_t zn_reader_header(zn_reader *r, const char *const **names);

/*
 * Next record. Returns ZN_OK with *rec set (owned by the reader, valid until the next call),
 * ZN_ENOTFOUND at end of file, or a fatal error (ZN_EIO, ZN_EPARSE for an unterminated quote at
 * EOF with err naming the line where that record started, ZN_ENOMEM) after which the caller must
 * abort the file; later calls repeat the fatal error. Blank (or whitespace-only) lines are
 * skipped. A CSV record with a different number of fields than the header is ZN_OK: compare
 * nfields. Per-record problems (status != ZN_OK, reader goes on): ZN_EPARSE (NUL byte; NDJSON
 * line not a JSON object), ZN_EENCODING (bytes not valid in the file's encoding), ZN_ERANGE
 * (field over max_field, record over max_record, too many fields).
 */
zn_status zn_reader_next(zn_reader *r, zn_record **rec, zn_error *err);

/* The encoding in use ("utf-8" or "gb18030"). With encoding "auto" the choice is made at the
 * first non-ASCII byte, from up to max(chunk, 4 KiB) bytes of look-ahead: GB18030 when the bytes
 * that cannot be UTF-8 number more than a quarter of the bytes in valid multibyte UTF-8 sequences
 * (GBK text is mostly invalid UTF-8; a UTF-8 file with one damaged record stays UTF-8, and that
 * record gets ZN_EENCODING). Until then (pure ASCII so far) it reports "utf-8".
 * zn_reader_bytes: bytes of the file consumed so far (for .gz the compressed offset, gzoffset);
 * zn_reader_size: the file's size from stat (compressed size for .gz), 0 if unknown. */
const char *zn_reader_encoding(zn_reader *r);
uint64_t zn_reader_bytes(zn_reader *r);
uint64_t zn_reader_size(zn_reader *r);

void zn_reader_close(zn_reader *r); /* NULL ok */

#endif
