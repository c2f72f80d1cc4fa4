/* `zhinao quarantine`: the rows the hub refused, and why. */
#include "cli.h"

#include "zhinao/hub.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: zhinao quarantine [--db PATH] [--feed NAME] [--reason CODE] [--limit N]\n"
            "                         [--json | --csv] [--unmasked]\n"
            "       zhinao quarantine --summary [--db PATH] [--json]\n\n"
            "List the rows that ingest put in quarantine: file, line, field, reason code and reason,\n"
            "and the record as read. Resident ID and mobile numbers in the record are masked\n"
            "(330106********1234, 138****5678) unless --unmasked is given.\n\n"
            "  --feed NAME    only this feed           --reason CODE  only this reason code\n"
            "  --limit N      at most N rows           --json         one JSON object per row\n"
            "  --csv          CSV with a header (file,line,field,reason_code,reason,raw)\n"
            "  --summary      counts by feed and reason code\n"
            "Reason codes: see docs/feeds.md (zhinao feeds --markdown).\n");
}

typedef struct out {
    int mode; /* 0 text, 1 json, 2 csv */
    long n;
} out;

static void csv_field(const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

static int print_row(void *user, const zn_quarantine_row *r)
{
    out *o = user;
    o->n++;
    if (o->mode == 1) {
        json_t *j = json_pack("{s:I, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:I}", "id", (json_int_t)r->id, "feed", r->feed,
                              "file", r->file, "line", (json_int_t)r->line, "field", r->field, "reason_code",
                              r->reason_code, "reason", r->reason, "raw", r->raw, "lineage_id", (json_int_t)r->lineage_id);
        char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        if (s)
            printf("%s\n", s);
        free(s);
        json_decref(j);
    } else if (o->mode == 2) {
        char line[32];
        snprintf(line, sizeof line, "%lld", (long long)r->line);
        const char *cols[] = {r->file, line, r->field, r->reason_code, r->reason, r->raw};
        for (int i = 0; i < 6; i++) {
            if (i)
                putchar(',');
            csv_field(cols[i]);
        }
        putchar('\n');
    } else {
        printf("%s:%lld  %s  %s: %s\n    %s\n", r->file, (long long)r->line, *r->field ? r->field : "-",
               r->reason_code, r->reason, r->raw);
    }
    return 0;
}

static void print_count(void *user, const char *feed, const char *reason, int64_t n)
{
    out *o = user;
    o->n += n;
    if (o->mode == 1)
        printf("{\"feed\":\"%s\",\"reason_code\":\"%s\",\"count\":%lld}\n", feed, reason, (long long)n);
    else
        printf("%-24s %-20s %10lld\n", feed, reason, (long long)n);
}

int zn_cmd_quarantine(int argc, char **argv)
{
    const char *db = zn_cli_default_db();
    zn_quarantine_filter f = {0};
    out o = {0};
    int summary = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--db") && i + 1 < argc) {
            db = argv[++i];
        } else if (!strcmp(argv[i], "--feed") && i + 1 < argc) {
            f.feed = argv[++i];
        } else if (!strcmp(argv[i], "--reason") && i + 1 < argc) {
            f.reason = argv[++i];
        } else if (!strcmp(argv[i], "--limit") && i + 1 < argc) {
            char *end;
            f.limit = strtoll(argv[++i], &end, 10);
            if (*end || f.limit < 0) {
                fprintf(stderr, "zhinao quarantine: --limit wants a number\n");
                return 2;
            }
        } else if (!strcmp(argv[i], "--json")) {
            o.mode = 1;
        } else if (!strcmp(argv[i], "--csv")) {
            o.mode = 2;
        } else if (!strcmp(argv[i], "--unmasked")) {
            f.unmasked = 1;
        } else if (!strcmp(argv[i], "--summary")) {
            summary = 1;
        } else {
            fprintf(stderr, "zhinao quarantine: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    zn_ctx *ctx;
    zn_store *st;
    if (zn_cli_open(db, &ctx, &st))
        return 1;
    zn_error err;
    zn_status s;
    if (summary) {
        if (o.mode == 0)
            printf("%-24s %-20s %10s\n", "feed", "reason_code", "rows");
        s = zn_quarantine_summary(st, print_count, &o, &err);
    } else {
        if (o.mode == 2)
            printf("file,line,field,reason_code,reason,raw\n");
        s = zn_quarantine_list(st, &f, print_row, &o, &err);
    }
    if (s != ZN_OK)
        zn_cli_error(&err);
    zn_cli_close(ctx, st);
    return s == ZN_OK ? 0 : 1;
}
