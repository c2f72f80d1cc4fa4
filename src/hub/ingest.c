/*
 * Ingest of one feed file: reader -> validate -> feed table / quarantine, dedupe by natural key or
 * row hash (a UNIQUE index and INSERT ... ON CONFLICT DO NOTHING), lineage, one transaction per
 * file. The SHA-256 of the file bytes (libsodium) is computed by a second thread while the file
 * is parsed, so the file is hashed without slowing the load down.
 */
#include "hub_int.h"
#include "reader.h"

#include "zhinao/time.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* Page cache of the store's connection during a load, KiB (PRAGMA cache_size = -N). */
#define ZN__INGEST_CACHE_KIB 65536
#define ZN__STR_(x) #x
#define ZN__STR(x) ZN__STR_(x)

/* ---- SHA-256 of the file bytes, on its own thread ---- */

typedef struct file_hash {
    const char *path;
    unsigned char h[crypto_hash_sha256_BYTES];
    int ok;
} file_hash;

static void *hash_file(void *arg)
{
    file_hash *fh = arg;
    FILE *f = fopen(fh->path, "rb");
    if (!f)
        return NULL;
    crypto_hash_sha256_state s;
    crypto_hash_sha256_init(&s);
    unsigned char *buf = malloc(1 << 18);
    size_t n;
    if (buf) {
        while ((n = fread(buf, 1, 1 << 18, f)) > 0)
            crypto_hash_sha256_update(&s, buf, n);
        fh->ok = !ferror(f);
        crypto_hash_sha256_final(&s, fh->h);
        free(buf);
    }
    fclose(f);
    return NULL;
}

/* ---- feed tables ---- */

static const char *sqltype_name(zn__sqltype t)
{
    return t == ZN__SQL_INTEGER ? "INTEGER" : t == ZN__SQL_REAL ? "REAL" : "TEXT";
}

/*
 * SQL for the secondary (non-unique) indexes of feed_<name>: the lineage index and the catalogue's
 * "indexes" (feed_<name>_by_<col>[_<col>...]). create gets CREATE INDEX IF NOT EXISTS statements,
 * drop (may be NULL) the matching DROP INDEX IF EXISTS.
 */
static zn_status index_sql(const zn_feed *feed, zn_buf *create, zn_buf *drop)
{
    zn_status s = zn_buf_printf(create, "CREATE INDEX IF NOT EXISTS \"feed_%s_lineage\" ON \"feed_%s\" (_lineage_id);\n",
                                feed->name, feed->name);
    if (s == ZN_OK && drop)
        s = zn_buf_printf(drop, "DROP INDEX IF EXISTS \"feed_%s_lineage\";\n", feed->name);
    for (size_t i = 0; i < feed->nindexes && s == ZN_OK; i++) {
        const zn_feed_index *ix = &feed->indexes[i];
        zn_buf name = {0};
        s = zn_buf_printf(&name, "feed_%s_by", feed->name);
        for (size_t k = 0; k < ix->ncolumns && s == ZN_OK; k++)
            s = zn_buf_printf(&name, "_%s", feed->columns[ix->columns[k]].name);
        if (s == ZN_OK)
            s = zn_buf_printf(create, "CREATE INDEX IF NOT EXISTS \"%s\" ON \"feed_%s\" (", name.data, feed->name);
        for (size_t k = 0; k < ix->ncolumns && s == ZN_OK; k++)
            s = zn_buf_printf(create, "%s\"%s\"", k ? ", " : "", feed->columns[ix->columns[k]].name);
        if (s == ZN_OK)
            s = zn_buf_puts(create, ");\n");
        if (s == ZN_OK && drop)
            s = zn_buf_printf(drop, "DROP INDEX IF EXISTS \"%s\";\n", name.data);
        zn_buf_fini(&name);
    }
    return s;
}

zn_status zn_hub_prepare_feed(zn_store *st, const zn_feed *feed, zn_error *err)
{
    zn__layout lay;
    if (zn__layout_init(&lay, feed) != ZN_OK)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    zn_buf sql = {0};
    zn_status s = zn_buf_printf(&sql, "CREATE TABLE IF NOT EXISTS \"feed_%s\" (\n  _id INTEGER PRIMARY KEY", feed->name);
    for (size_t i = 0; i < lay.nslots && s == ZN_OK; i++)
        s = zn_buf_printf(&sql, ",\n  \"%s\" %s", lay.names[i], sqltype_name(lay.types[i]));
    if (s == ZN_OK)
        s = zn_buf_printf(&sql, ",\n  _lineage_id INTEGER NOT NULL REFERENCES lineage(id),\n"
                                "  _line INTEGER NOT NULL,\n  _row_hash TEXT NOT NULL\n);\n"
                                "CREATE UNIQUE INDEX IF NOT EXISTS \"feed_%s_key\" ON \"feed_%s\" (",
                          feed->name, feed->name);
    for (size_t k = 0; k < feed->nkey && s == ZN_OK; k++)
        s = zn_buf_printf(&sql, "%s\"%s\"", k ? ", " : "", feed->columns[feed->key[k]].name);
    if (s == ZN_OK)
        s = zn_buf_printf(&sql, "%s);\n", feed->nkey ? "" : "_row_hash");
    if (s != ZN_OK) {
        s = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
        goto done;
    }
    if ((s = zn_store_exec(st, sql.data, err)) != ZN_OK)
        goto done;

    /* Columns the catalogue gained after the table was made are added (portable ALTER TABLE). */
    zn_buf_reset(&sql);
    zn_buf_printf(&sql, "SELECT * FROM \"feed_%s\" LIMIT 0", feed->name);
    zn_stmt *q;
    if ((s = zn_stmt_prepare(st, sql.data, &q, err)) != ZN_OK)
        goto done;
    int ncols = zn_stmt_column_count(q);
    char (*have)[64] = calloc((size_t)ncols + 1, sizeof *have);
    if (!have) {
        zn_stmt_finalize(q);
        s = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
        goto done;
    }
    for (int c = 0; c < ncols; c++)
        snprintf(have[c], sizeof have[c], "%s", zn_stmt_column_name(q, c));
    zn_stmt_finalize(q);
    for (size_t i = 0; i < lay.nslots && s == ZN_OK; i++) {
        int found = 0;
        for (int c = 0; c < ncols && !found; c++)
            found = !strcmp(have[c], lay.names[i]);
        if (!found) {
            zn_buf_reset(&sql);
            zn_buf_printf(&sql, "ALTER TABLE \"feed_%s\" ADD COLUMN \"%s\" %s", feed->name, lay.names[i],
                          sqltype_name(lay.types[i]));
            s = zn_store_exec(st, sql.data, err);
        }
    }
    free(have);
    /* The secondary indexes last: a declared index may name a column added just above. */
    zn_buf_reset(&sql);
    if (s == ZN_OK && (s = index_sql(feed, &sql, NULL)) != ZN_OK)
        s = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    if (s == ZN_OK)
        s = zn_store_exec(st, sql.data, err);
done:
    zn_buf_fini(&sql);
    zn__layout_fini(&lay);
    return s;
}

/* ---- one file ---- */

typedef struct ingest {
    zn_store *st;
    const zn_feed *feed;
    const zn_source_unit *unit;
    const char *path;
    const zn_ingest_options *opt;
    zn_ingest_summary *sum;
    zn__layout lay;
    zn__vctx vc;
    zn_reader *rd;
    int ndjson;
    size_t nheader;
    int *hmap;             /* header position -> column index, -1 = ignored */
    const char **texts;    /* per column */
    zn__value *vals;       /* per slot */
    uint64_t *divs;
    zn_stmt *ins, *quar;
    int in_txn;
    int deferred;          /* the table was empty: secondary indexes are built after the rows */
    int64_t started_at;
    zn_buf ignored;        /* names of ignored header columns */
} ingest;

static int is_ndjson_path(const char *path)
{
    static const char *const ext[] = {".ndjson", ".jsonl", ".json", ".ndjson.gz", ".jsonl.gz", ".json.gz"};
    size_t n = strlen(path);
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        size_t e = strlen(ext[i]);
        if (n > e && !strcasecmp(path + n - e, ext[i]))
            return 1;
    }
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Load the division codes when the feed has a division column and the table has rows. */
static zn_status load_divisions(ingest *ig, zn_error *err)
{
    int need = 0;
    for (size_t i = 0; i < ig->feed->ncolumns; i++)
        need |= ig->feed->columns[i].type == ZN_COL_DIVISION;
    int64_t n = 0;
    if (!need)
        return ZN_OK;
    zn_status s = zn_store_query_int64(ig->st, "SELECT COUNT(*) FROM division", &n, err);
    if (s != ZN_OK || n == 0)
        return s;
    ig->divs = malloc((size_t)n * sizeof *ig->divs);
    if (!ig->divs)
        return zn_error_set(err, ZN_ENOMEM, ig->path, 0, NULL, "out of memory");
    zn_stmt *q;
    if ((s = zn_stmt_prepare(ig->st, "SELECT DISTINCT code FROM division", &q, err)) != ZN_OK)
        return s;
    size_t k = 0;
    int row;
    while ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row && k < (size_t)n) {
        const char *c = zn_stmt_column_text(q, 0);
        size_t len = strlen(c);
        if (len == 0 || len > 12 || strspn(c, "0123456789") != len)
            continue;
        uint64_t v = 0;
        for (size_t i = 0; i < 12; i++)
            v = v * 10 + (i < len ? (uint64_t)(c[i] - '0') : 0);
        ig->divs[k++] = v;
    }
    zn_stmt_finalize(q);
    qsort(ig->divs, k, sizeof *ig->divs, cmp_u64);
    ig->vc.divs = ig->divs;
    ig->vc.ndivs = k;
    return s;
}

/* Match header names to catalogue columns. */
static zn_status map_header(ingest *ig, zn_error *err)
{
    const char *const *names;
    size_t nh = zn_reader_header(ig->rd, &names);
    const zn_feed *f = ig->feed;
    ig->nheader = nh;
    ig->hmap = malloc((nh ? nh : 1) * sizeof *ig->hmap);
    int *seen = calloc(f->ncolumns, sizeof *seen);
    if (!ig->hmap || !seen) {
        free(seen);
        return zn_error_set(err, ZN_ENOMEM, ig->path, 0, NULL, "out of memory");
    }
    zn_status s = ZN_OK;
    for (size_t h = 0; h < nh && s == ZN_OK; h++) {
        int col = -1;
        for (size_t c = 0; c < f->ncolumns && col < 0; c++) {
            if (!strcasecmp(names[h], f->columns[c].name))
                col = (int)c;
            for (size_t a = 0; a < f->columns[c].naliases && col < 0; a++)
                if (!strcmp(names[h], f->columns[c].aliases[a]))
                    col = (int)c;
        }
        ig->hmap[h] = col;
        if (col < 0) {
            ig->sum->ignored_columns++;
            zn_buf_printf(&ig->ignored, "%s\"%s\"", ig->ignored.len ? ", " : "", names[h]);
        } else if (seen[col]) {
            s = zn_error_set(err, ZN_EVALIDATE, ig->path, 1, f->columns[col].name,
                             "column '%s' appears twice in the header (fields %d and %zu)",
                             f->columns[col].name, seen[col], h + 1);
        } else {
            seen[col] = (int)h + 1;
        }
    }
    for (size_t c = 0; c < f->ncolumns && s == ZN_OK; c++)
        if (f->columns[c].required && !seen[c])
            s = zn_error_set(err, ZN_EVALIDATE, ig->path, 1, f->columns[c].name,
                             "the header has no column '%s', which feed %s requires", f->columns[c].name, f->name);
    free(seen);
    return s;
}

static zn_status quarantine(ingest *ig, const zn_record *rec, const char *field, zn__reason r,
                            const char *words, zn_error *err)
{
    zn_stmt *q = ig->quar;
    zn_stmt_bind_int64(q, 1, ig->sum->lineage_id);
    zn_stmt_bind_text(q, 2, ig->feed->name);
    zn_stmt_bind_text(q, 3, ig->path);
    zn_stmt_bind_int64(q, 4, rec->line);
    zn_stmt_bind_text(q, 5, field && *field ? field : NULL);
    zn_stmt_bind_text(q, 6, zn__reason_code(r));
    zn_stmt_bind_text(q, 7, words && *words ? words : zn__reason_words(r));
    zn_stmt_bind_text(q, 8, rec->raw ? rec->raw : "");
    zn_status s = zn_stmt_step(q, NULL, err);
    zn_stmt_reset(q);
    ig->sum->quarantined++;
    return s;
}

/* SHA-256 of the normalised slot values, as 64 hex characters. */
static void row_hash(const ingest *ig, char hex[65])
{
    crypto_hash_sha256_state s;
    crypto_hash_sha256_init(&s);
    for (size_t i = 0; i < ig->lay.nslots; i++) {
        const zn__value *v = &ig->vals[i];
        unsigned char tag[2] = {(unsigned char)('0' + v->kind), 0x1f};
        crypto_hash_sha256_update(&s, tag, 1);
        if (v->kind == ZN__V_INT)
            crypto_hash_sha256_update(&s, (const unsigned char *)&v->i, sizeof v->i);
        else if (v->kind == ZN__V_REAL)
            crypto_hash_sha256_update(&s, (const unsigned char *)&v->d, sizeof v->d);
        else if (v->kind == ZN__V_TEXT)
            crypto_hash_sha256_update(&s, (const unsigned char *)v->s, strlen(v->s));
        crypto_hash_sha256_update(&s, tag + 1, 1);
    }
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&s, h);
    sodium_bin2hex(hex, 65, h, sizeof h);
}

static zn_status insert_row(ingest *ig, const zn_record *rec, zn_error *err)
{
    zn_stmt *ins = ig->ins;
    int p = 1;
    for (size_t i = 0; i < ig->lay.nslots; i++, p++) {
        const zn__value *v = &ig->vals[i];
        switch (v->kind) {
        case ZN__V_NULL: zn_stmt_bind_null(ins, p); break;
        case ZN__V_INT: zn_stmt_bind_int64(ins, p, v->i); break;
        case ZN__V_REAL: zn_stmt_bind_double(ins, p, v->d); break;
        case ZN__V_TEXT: zn_stmt_bind_text(ins, p, v->s); break;
        }
    }
    char hex[65];
    row_hash(ig, hex);
    zn_stmt_bind_int64(ins, p++, ig->sum->lineage_id);
    zn_stmt_bind_int64(ins, p++, rec->line);
    zn_stmt_bind_text(ins, p, hex);
    zn_status s = zn_stmt_step(ins, NULL, err);
    zn_stmt_reset(ins);
    if (s != ZN_OK)
        return s;
    if (zn_store_changes(ig->st) > 0)
        ig->sum->accepted++;
    else
        ig->sum->duplicates++;
    return ZN_OK;
}

static zn__reason record_reason(const ingest *ig, const zn_record *rec)
{
    if (rec->status == ZN_EENCODING)
        return ZN__R_encoding;
    if (rec->status == ZN_ERANGE)
        return ZN__R_too_long;
    if (rec->status == ZN_EPARSE && strstr(rec->problem, "NUL"))
        return ZN__R_nul_byte;
    if (rec->status == ZN_EPARSE && (ig->ndjson || strstr(rec->problem, "JSON")))
        return ZN__R_bad_json;
    return ZN__R_bad_record;
}

static zn_status one_record(ingest *ig, zn_record *rec, zn_error *err)
{
    const zn_feed *f = ig->feed;
    ig->sum->rows++;
    if (rec->status != ZN_OK)
        return quarantine(ig, rec, rec->problem_field, record_reason(ig, rec), rec->problem, err);
    if (rec->nfields != ig->nheader) {
        char words[128];
        snprintf(words, sizeof words, "%zu fields, the header has %zu", rec->nfields, ig->nheader);
        return quarantine(ig, rec, NULL, ZN__R_column_count, words, err);
    }
    for (size_t c = 0; c < f->ncolumns; c++)
        ig->texts[c] = NULL;
    for (size_t h = 0; h < ig->nheader; h++)
        if (ig->hmap[h] >= 0 && rec->fields[h])
            ig->texts[ig->hmap[h]] = zn__trim(rec->fields[h]);
    zn__problem pb;
    if (zn__validate_row(&ig->vc, f, &ig->lay, ig->texts, ig->vals, &pb) != ZN__R_OK) {
        char words[600];
        if (pb.nmore)
            snprintf(words, sizeof words, "%s; also %d other field%s: %s", pb.msg, pb.nmore, pb.nmore > 1 ? "s" : "",
                     pb.more);
        return quarantine(ig, rec, pb.column >= 0 ? f->columns[pb.column].name : NULL, pb.reason,
                          pb.nmore ? words : pb.msg, err);
    }
    return insert_row(ig, rec, err);
}

static void progress(ingest *ig)
{
    if (!ig->opt || !ig->opt->progress)
        return;
    zn_hub_progress p = {ig->feed->name, ig->path, zn_reader_bytes(ig->rd), zn_reader_size(ig->rd), ig->sum->rows};
    ig->opt->progress(ig->opt->progress_user, &p);
}

/* Everything up to the last record, inside the file's transaction. */
static zn_status load(ingest *ig, zn_error *err)
{
    const zn_feed *f = ig->feed;
    zn_reader_options ro;
    memset(&ro, 0, sizeof ro);
    ro.encoding = ig->opt ? ig->opt->encoding : NULL;
    ro.max_field = (ig->opt && ig->opt->max_field) ? ig->opt->max_field : 65536;
    const char **keys = malloc(f->ncolumns * sizeof *keys);
    if (!keys)
        return zn_error_set(err, ZN_ENOMEM, ig->path, 0, NULL, "out of memory");
    for (size_t c = 0; c < f->ncolumns; c++)
        keys[c] = f->columns[c].name;
    zn_status s = zn_reader_open(ig->path, &ro, keys, f->ncolumns, &ig->rd, err);
    free(keys);
    if (s != ZN_OK)
        return s;
    if ((s = map_header(ig, err)) || (s = load_divisions(ig, err)))
        return s;
    ig->texts = calloc(f->ncolumns, sizeof *ig->texts);
    ig->vals = calloc(ig->lay.nslots + 1, sizeof *ig->vals);
    if (!ig->texts || !ig->vals)
        return zn_error_set(err, ZN_ENOMEM, ig->path, 0, NULL, "out of memory");

    if ((s = zn_store_begin(ig->st, err)))
        return s;
    ig->in_txn = 1;
    zn_stmt *lin;
    if ((s = zn_stmt_prepare(ig->st,
                             "INSERT INTO lineage (feed, source_unit, path, sha256, bytes, encoding, status, started_at) "
                             "VALUES (?, ?, ?, '', ?, ?, 'loading', ?)",
                             &lin, err)))
        return s;
    zn_stmt_bind_text(lin, 1, f->name);
    zn_stmt_bind_text(lin, 2, f->source_unit);
    zn_stmt_bind_text(lin, 3, ig->path);
    zn_stmt_bind_int64(lin, 4, (int64_t)ig->sum->bytes);
    zn_stmt_bind_text(lin, 5, zn_reader_encoding(ig->rd));
    zn_stmt_bind_int64(lin, 6, ig->started_at);
    s = zn_stmt_step(lin, NULL, err);
    zn_stmt_finalize(lin);
    if (s)
        return s;
    ig->sum->lineage_id = zn_store_last_id(ig->st);

    /* Into an empty table, the secondary indexes are dropped and built once after the rows
     * (sorted, instead of one B-tree insert per row and index); in the same transaction, so an
     * aborted load rolls the drop back too. The unique key index stays: it dedupes the rows. */
    zn_buf sql = {0};
    char probe[160];
    int64_t nonempty = 1;
    snprintf(probe, sizeof probe, "SELECT EXISTS (SELECT 1 FROM \"feed_%s\")", f->name);
    if ((s = zn_store_query_int64(ig->st, probe, &nonempty, err)))
        return s;
    if (!nonempty) {
        zn_buf create = {0};
        s = index_sql(f, &create, &sql);
        zn_buf_fini(&create);
        if (s == ZN_OK)
            s = zn_store_exec(ig->st, sql.data, err);
        else
            zn_error_set(err, s, ig->path, 0, NULL, "out of memory");
        zn_buf_reset(&sql);
        if (s)
            goto out;
        ig->deferred = 1;
    }
    zn_buf_printf(&sql, "INSERT INTO \"feed_%s\" (", f->name);
    for (size_t i = 0; i < ig->lay.nslots; i++)
        zn_buf_printf(&sql, "\"%s\", ", ig->lay.names[i]);
    zn_buf_puts(&sql, "_lineage_id, _line, _row_hash) VALUES (");
    for (size_t i = 0; i < ig->lay.nslots + 3; i++)
        zn_buf_puts(&sql, i ? ", ?" : "?");
    s = zn_buf_puts(&sql, ") ON CONFLICT DO NOTHING");
    if (s == ZN_OK)
        s = zn_stmt_prepare(ig->st, sql.data, &ig->ins, err);
    else
        zn_error_set(err, s, ig->path, 0, NULL, "out of memory");
out:
    zn_buf_fini(&sql);
    if (s)
        return s;
    if ((s = zn_stmt_prepare(ig->st,
                             "INSERT INTO quarantine (lineage_id, feed, file, line, field, reason_code, reason, raw) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             &ig->quar, err)))
        return s;

    zn_record *rec;
    while ((s = zn_reader_next(ig->rd, &rec, err)) == ZN_OK) {
        if ((s = one_record(ig, rec, err)) != ZN_OK)
            return s;
        if ((ig->sum->rows & 1023) == 0)
            progress(ig);
    }
    if (s != ZN_ENOTFOUND) {
        if (err && !err->file[0])
            snprintf(err->file, sizeof err->file, "%s", ig->path);
        return s;
    }
    progress(ig);
    snprintf(ig->sum->encoding, sizeof ig->sum->encoding, "%s", zn_reader_encoding(ig->rd));
    s = ZN_OK;
    if (ig->deferred) {
        zn_buf create = {0};
        if ((s = index_sql(f, &create, NULL)) == ZN_OK)
            s = zn_store_exec(ig->st, create.data, err);
        else
            zn_error_set(err, s, ig->path, 0, NULL, "out of memory");
        zn_buf_fini(&create);
    }
    return s;
}

static zn_status finish(ingest *ig, zn_error *err)
{
    zn_ingest_summary *sum = ig->sum;
    zn_stmt *q;
    zn_status s = zn_stmt_prepare(ig->st,
                                  "SELECT id FROM lineage WHERE feed = ? AND sha256 = ? AND sha256 <> '' AND status = 'loaded' "
                                  "AND id <> ? ORDER BY id LIMIT 1",
                                  &q, err);
    if (s)
        return s;
    zn_stmt_bind_text(q, 1, ig->feed->name);
    zn_stmt_bind_text(q, 2, sum->sha256);
    zn_stmt_bind_int64(q, 3, sum->lineage_id);
    int row = 0;
    if ((s = zn_stmt_step(q, &row, err)) == ZN_OK && row)
        sum->same_as_lineage = zn_stmt_column_int64(q, 0);
    zn_stmt_finalize(q);
    if (s)
        return s;
    /* Re-loading the same bytes changes nothing: a bad row the earlier load already quarantined
     * (same line, reason and field) is dropped again here, in the same transaction, and counted
     * as a duplicate. Rows that are bad only this time (e.g. read with another declared encoding)
     * stay. The lineage row stays too: it records that the load was attempted. */
    int64_t requarantined = 0;
    if (sum->same_as_lineage && sum->quarantined > 0) {
        if ((s = zn_stmt_prepare(ig->st,
                                 "DELETE FROM quarantine WHERE lineage_id = ?1 AND EXISTS (SELECT 1 FROM quarantine o"
                                 " WHERE o.lineage_id = ?2 AND o.line = quarantine.line"
                                 " AND o.reason_code = quarantine.reason_code"
                                 " AND COALESCE(o.field, '') = COALESCE(quarantine.field, ''))",
                                 &q, err)))
            return s;
        zn_stmt_bind_int64(q, 1, sum->lineage_id);
        zn_stmt_bind_int64(q, 2, sum->same_as_lineage);
        s = zn_stmt_step(q, NULL, err);
        zn_stmt_finalize(q);
        if (s)
            return s;
        requarantined = zn_store_changes(ig->st);
        sum->duplicates += requarantined;
        sum->quarantined -= requarantined;
    }
    zn_buf msg = {0};
    if (sum->same_as_lineage)
        zn_buf_printf(&msg, "same bytes as lineage %lld", (long long)sum->same_as_lineage);
    if (requarantined)
        zn_buf_printf(&msg, "; its %lld bad rows are already quarantined under that load", (long long)requarantined);
    if (ig->ignored.len)
        zn_buf_printf(&msg, "%signored header columns: %s", msg.len ? "; " : "", ig->ignored.data);
    if (ig->vc.unchecked)
        zn_buf_printf(&msg, "%s%lld division codes unchecked (division table empty)", msg.len ? "; " : "",
                      (long long)ig->vc.unchecked);
    s = zn_stmt_prepare(ig->st,
                        "UPDATE lineage SET sha256 = ?, encoding = ?, rows_read = ?, accepted = ?, quarantined = ?, "
                        "duplicates = ?, status = 'loaded', message = ?, finished_at = ? WHERE id = ?",
                        &q, err);
    if (s == ZN_OK) {
        zn_stmt_bind_text(q, 1, sum->sha256);
        zn_stmt_bind_text(q, 2, sum->encoding);
        zn_stmt_bind_int64(q, 3, sum->rows);
        zn_stmt_bind_int64(q, 4, sum->accepted);
        zn_stmt_bind_int64(q, 5, sum->quarantined);
        zn_stmt_bind_int64(q, 6, sum->duplicates);
        zn_stmt_bind_text(q, 7, msg.len ? msg.data : NULL);
        zn_stmt_bind_int64(q, 8, zn_ctx_now(zn_store_ctx(ig->st)));
        zn_stmt_bind_int64(q, 9, sum->lineage_id);
        s = zn_stmt_step(q, NULL, err);
        zn_stmt_finalize(q);
    }
    zn_buf_fini(&msg);
    if (s == ZN_OK)
        s = zn_store_commit(ig->st, err);
    if (s == ZN_OK) {
        ig->in_txn = 0;
        snprintf(sum->status, sizeof sum->status, "loaded");
    }
    return s;
}

/* After a fatal error: roll back, then record the aborted file in its own transaction. */
static void record_abort(ingest *ig, const zn_error *why)
{
    zn_ingest_summary *sum = ig->sum;
    zn_stmt_finalize(ig->ins);
    zn_stmt_finalize(ig->quar);
    ig->ins = ig->quar = NULL;
    if (ig->in_txn)
        zn_store_rollback(ig->st);
    ig->in_txn = 0;
    char words[1024];
    zn_error_format(why, words, sizeof words);
    sum->accepted = sum->quarantined = sum->duplicates = 0;
    sum->lineage_id = 0;
    snprintf(sum->status, sizeof sum->status, "aborted");
    if (ig->rd)
        snprintf(sum->encoding, sizeof sum->encoding, "%s", zn_reader_encoding(ig->rd));
    zn_error e2;
    zn_stmt *q;
    if (zn_store_begin(ig->st, &e2) != ZN_OK)
        return;
    if (zn_stmt_prepare(ig->st,
                        "INSERT INTO lineage (feed, source_unit, path, sha256, bytes, encoding, rows_read, status, "
                        "message, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'aborted', ?, ?, ?)",
                        &q, &e2) != ZN_OK) {
        zn_store_rollback(ig->st);
        return;
    }
    zn_stmt_bind_text(q, 1, ig->feed->name);
    zn_stmt_bind_text(q, 2, ig->feed->source_unit);
    zn_stmt_bind_text(q, 3, ig->path);
    zn_stmt_bind_text(q, 4, sum->sha256);
    zn_stmt_bind_int64(q, 5, (int64_t)sum->bytes);
    zn_stmt_bind_text(q, 6, sum->encoding[0] ? sum->encoding : "unknown");
    zn_stmt_bind_int64(q, 7, sum->rows);
    zn_stmt_bind_text(q, 8, words);
    zn_stmt_bind_int64(q, 9, ig->started_at);
    zn_stmt_bind_int64(q, 10, zn_ctx_now(zn_store_ctx(ig->st)));
    zn_status s = zn_stmt_step(q, NULL, &e2);
    zn_stmt_finalize(q);
    if (s == ZN_OK && zn_store_commit(ig->st, &e2) == ZN_OK)
        sum->lineage_id = zn_store_last_id(ig->st);
    else
        zn_store_rollback(ig->st);
}

zn_status zn_hub_ingest(zn_store *st, const zn_catalogue *cat, const char *feed_name,
                        const char *path, const zn_ingest_options *opt,
                        zn_ingest_summary *summary, zn_error *err)
{
    zn_ingest_summary local;
    zn_ingest_summary *sum = summary ? summary : &local;
    memset(sum, 0, sizeof *sum);
    if (!st || !cat || !feed_name || !path)
        return zn_error_set(err, ZN_EINVAL, path, 0, NULL, "zn_hub_ingest: NULL argument");
    const zn_feed *feed = zn_catalogue_find(cat, feed_name);
    if (!feed)
        return zn_error_set(err, ZN_ENOTFOUND, path, 0, NULL, "no feed '%s' in the catalogue", feed_name);
    snprintf(sum->feed, sizeof sum->feed, "%s", feed->name);
    snprintf(sum->file, sizeof sum->file, "%s", path);
    snprintf(sum->status, sizeof sum->status, "aborted");
    if (sodium_init() < 0)
        return zn_error_set(err, ZN_EUNSUPPORTED, path, 0, NULL, "libsodium could not be initialised");
    zn_status s = zn_hub_prepare_feed(st, feed, err);
    if (s != ZN_OK)
        return s;

    zn_ctx *ctx = zn_store_ctx(st);
    ingest ig;
    memset(&ig, 0, sizeof ig);
    ig.st = st;
    ig.feed = feed;
    ig.unit = zn_catalogue_find_unit(cat, feed->source_unit);
    ig.path = path;
    ig.opt = opt;
    ig.sum = sum;
    ig.ndjson = is_ndjson_path(path);
    ig.started_at = zn_ctx_now(ctx);
    ig.vc.tz_offset = zn_ctx_tz_offset(ctx);
    ig.vc.now = ig.started_at;
    ig.vc.tolerance = (opt && opt->future_tolerance) ? opt->future_tolerance : 600;
    ig.vc.today_days = zn_time_local_day(ig.vc.now, ig.vc.tz_offset);
    struct stat sb;
    int regular = stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
    if (regular)
        sum->bytes = (uint64_t)sb.st_size;

    /* A pipe or device cannot be read twice: it is loaded without a sha256. */
    file_hash fh = {.path = path};
    pthread_t th;
    int threaded = regular && pthread_create(&th, NULL, hash_file, &fh) == 0;

    /* A larger page cache for the load (64 MiB instead of SQLite's 2 MiB default): the file is one
     * transaction, and with the default cache SQLite spills dirty pages to the WAL and reads them
     * back while the indexes grow. The connection's own setting is restored afterwards. */
    int64_t cache_pages = 0, page_size = 4096;
    int cache_set = 0;
    if (zn_store_query_int64(st, "PRAGMA cache_size", &cache_pages, NULL) == ZN_OK &&
        zn_store_query_int64(st, "PRAGMA page_size", &page_size, NULL) == ZN_OK) {
        int64_t kib = cache_pages < 0 ? -cache_pages : cache_pages * page_size / 1024; /* N < 0: N KiB */
        cache_set = kib < ZN__INGEST_CACHE_KIB &&
                    zn_store_exec(st, "PRAGMA cache_size = -" ZN__STR(ZN__INGEST_CACHE_KIB), NULL) == ZN_OK;
    }

    zn_error local_err;
    zn_error *e = err ? err : &local_err;
    zn_error_clear(e);
    if (zn__layout_init(&ig.lay, feed) != ZN_OK)
        s = zn_error_set(e, ZN_ENOMEM, path, 0, NULL, "out of memory");
    else
        s = load(&ig, e);

    if (threaded)
        pthread_join(th, NULL);
    else if (regular)
        hash_file(&fh);
    if (fh.ok)
        sodium_bin2hex(sum->sha256, sizeof sum->sha256, fh.h, sizeof fh.h);
    if (s == ZN_OK && regular && !fh.ok)
        s = zn_error_set(e, ZN_EIO, path, 0, NULL, "cannot read the file to hash it");

    if (s == ZN_OK) {
        zn_stmt_finalize(ig.ins);
        zn_stmt_finalize(ig.quar);
        ig.ins = ig.quar = NULL;
        s = finish(&ig, e);
    }
    if (s != ZN_OK) {
        if (!e->file[0])
            snprintf(e->file, sizeof e->file, "%s", path);
        zn_log(ctx, ZN_LOG_INFO, "ingest %s: aborted: %s", path, e->msg);
        record_abort(&ig, e);
    }
    zn_stmt_finalize(ig.ins);
    zn_stmt_finalize(ig.quar);
    zn_reader_close(ig.rd);
    zn__layout_fini(&ig.lay);
    free(ig.hmap);
    free(ig.texts);
    free(ig.vals);
    free(ig.divs);
    zn_buf_fini(&ig.ignored);
    if (cache_set) {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA cache_size = %lld", (long long)cache_pages);
        zn_store_exec(st, pragma, NULL);
    }
    sum->unchecked = ig.vc.unchecked;
    return s;
}
