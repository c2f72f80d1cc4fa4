/* `zhinao ingest`: load feed files through the hub (数据归集). */
#include "cli.h"

#include "zhinao/hub.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Defined in cmd_feeds.c: load the catalogue at path (NULL = the shipped one), printing errors. */
zn_catalogue *zn_cli_catalogue(const char *path);

static void usage(FILE *f)
{
    fprintf(f,
            "usage: zhinao ingest --feed NAME [--db PATH] [--encoding auto|utf-8|gbk|gb18030] [--json]\n"
            "                     [--catalogue PATH] FILE...\n\n"
            "Load CSV or NDJSON files (plain or .gz) of feed NAME into the store: every row is checked\n"
            "against the catalogue (zhinao feeds show NAME); bad rows go to the quarantine (zhinao\n"
            "quarantine), rows already stored are counted as duplicates, and each file is recorded in\n"
            "table lineage. A file is loaded whole or not at all.\n\n"
            "  --feed NAME      the feed (数据类别) the files belong to\n"
            "  --db PATH        the store (default $ZHINAO_DB or zhinao.db)\n"
            "  --encoding E     text encoding; auto (default) detects GBK/GB18030 when not UTF-8\n"
            "  --json           one JSON object per file: feed, file, rows, accepted, quarantined,\n"
            "                   duplicates, unchecked, ignored_columns, lineage_id, sha256, encoding,\n"
            "                   status (loaded|aborted) and error when aborted\n"
            "  --catalogue PATH another catalogue than $ZHINAO_DATA/feeds/catalogue.json\n\n"
            "Exit status: 0 when every file was read (even with quarantined rows), 1 when a file was\n"
            "aborted, 2 for a usage error. A progress bar is drawn on stderr when it is a terminal.\n");
}

typedef struct bar {
    double last;
    int drawn;
} bar;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* At most ~10 redraws per second. */
static void on_progress(void *user, const zn_hub_progress *p)
{
    bar *b = user;
    double t = now_s();
    if (t - b->last < 0.1)
        return;
    b->last = t;
    b->drawn = 1;
    const char *name = strrchr(p->file, '/') ? strrchr(p->file, '/') + 1 : p->file;
    if (p->bytes_total > 0) {
        double frac = (double)p->bytes_read / (double)p->bytes_total;
        frac = frac > 1 ? 1 : frac;
        int w = (int)(frac * 30 + 0.5);
        fprintf(stderr, "\r%-28.28s [%.*s%*s] %3.0f%% %12lld rows", name, w, "##############################",
                30 - w, "", frac * 100, (long long)p->rows);
    } else {
        fprintf(stderr, "\r%-28.28s %12lld rows", name, (long long)p->rows);
    }
    fflush(stderr);
}

static void clear_bar(bar *b)
{
    if (b->drawn)
        fprintf(stderr, "\r%*s\r", 79, "");
    b->drawn = 0;
    b->last = 0;
}

int zn_cmd_ingest(int argc, char **argv)
{
    const char *db = zn_cli_default_db(), *feed = NULL, *encoding = NULL, *catpath = NULL;
    int as_json = 0, nfiles = 0;
    char **files = calloc((size_t)argc + 1, sizeof *files);
    if (!files)
        return 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            free(files);
            return 0;
        } else if (!strcmp(argv[i], "--feed") && i + 1 < argc) {
            feed = argv[++i];
        } else if (!strcmp(argv[i], "--db") && i + 1 < argc) {
            db = argv[++i];
        } else if (!strcmp(argv[i], "--encoding") && i + 1 < argc) {
            encoding = argv[++i];
        } else if (!strcmp(argv[i], "--catalogue") && i + 1 < argc) {
            catpath = argv[++i];
        } else if (!strcmp(argv[i], "--json")) {
            as_json = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "zhinao ingest: unknown option '%s'\n", argv[i]);
            usage(stderr);
            free(files);
            return 2;
        } else {
            files[nfiles++] = argv[i];
        }
    }
    if (!feed || nfiles == 0) {
        fprintf(stderr, "zhinao ingest: %s\n", !feed ? "--feed NAME is required" : "no FILE given");
        usage(stderr);
        free(files);
        return 2;
    }
    zn_catalogue *cat = zn_cli_catalogue(catpath);
    if (!cat) {
        free(files);
        return 1;
    }
    if (!zn_catalogue_find(cat, feed)) {
        fprintf(stderr, "zhinao ingest: no feed '%s' in the catalogue (zhinao feeds lists them)\n", feed);
        zn_catalogue_free(cat);
        free(files);
        return 2;
    }
    zn_ctx *ctx;
    zn_store *st;
    if (zn_cli_open(db, &ctx, &st)) {
        zn_catalogue_free(cat);
        free(files);
        return 1;
    }
    bar b = {0};
    zn_ingest_options opt = {.encoding = encoding};
    if (isatty(STDERR_FILENO)) {
        opt.progress = on_progress;
        opt.progress_user = &b;
    }
    int rc = 0;
    for (int i = 0; i < nfiles; i++) {
        zn_ingest_summary sum;
        zn_error err;
        zn_error_clear(&err);
        zn_status s = zn_hub_ingest(st, cat, feed, files[i], &opt, &sum, &err);
        clear_bar(&b);
        char ebuf[1024] = "";
        if (s != ZN_OK) {
            rc = 1;
            zn_error_format(&err, ebuf, sizeof ebuf);
        }
        if (as_json) {
            json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:s}", "feed", feed,
                                  "file", files[i], "rows", (json_int_t)sum.rows, "accepted", (json_int_t)sum.accepted,
                                  "quarantined", (json_int_t)sum.quarantined, "duplicates", (json_int_t)sum.duplicates,
                                  "unchecked", (json_int_t)sum.unchecked, "ignored_columns",
                                  (json_int_t)sum.ignored_columns, "lineage_id", (json_int_t)sum.lineage_id,
                                  "sha256", sum.sha256, "encoding", sum.encoding, "status", sum.status);
            if (o && s != ZN_OK)
                json_object_set_new(o, "error", json_string(ebuf));
            char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
            if (text)
                printf("%s\n", text);
            free(text);
            json_decref(o);
        } else if (s == ZN_OK) {
            printf("%s %s: %lld rows, %lld accepted, %lld quarantined, %lld duplicates", feed, files[i],
                   (long long)sum.rows, (long long)sum.accepted, (long long)sum.quarantined,
                   (long long)sum.duplicates);
            if (sum.unchecked)
                printf(", %lld division codes unchecked", (long long)sum.unchecked);
            if (sum.ignored_columns)
                printf(", %lld columns ignored", (long long)sum.ignored_columns);
            printf(" (lineage %lld, %s)\n", (long long)sum.lineage_id, sum.encoding);
        } else {
            printf("%s %s: aborted, nothing loaded (lineage %lld)\n", feed, files[i], (long long)sum.lineage_id);
        }
        if (s != ZN_OK)
            fprintf(stderr, "zhinao: %s\n", ebuf);
        fflush(stdout);
    }
    zn_cli_close(ctx, st);
    zn_catalogue_free(cat);
    free(files);
    return rc;
}
