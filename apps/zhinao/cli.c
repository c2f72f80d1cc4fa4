/* Helpers shared by the commands. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *zn_cli_default_db(void)
{
    const char *e = getenv("ZHINAO_DB");
    return (e && *e) ? e : "zhinao.db";
}

const char *zn_cli_data_dir(void)
{
    const char *e = getenv("ZHINAO_DATA");
    return (e && *e) ? e : ZN_SOURCE_DIR "/data";
}

void zn_cli_error(const zn_error *err)
{
    char buf[1024];
    fprintf(stderr, "zhinao: %s\n", zn_error_format(err, buf, sizeof buf));
}

int zn_cli_open(const char *db_path, zn_ctx **ctx, zn_store **st)
{
    zn_error err;
    zn_error_clear(&err);
    *st = NULL;
    if (zn_ctx_new(ctx) != ZN_OK) {
        fprintf(stderr, "zhinao: out of memory\n");
        return 1;
    }
    const char *lv = getenv("ZHINAO_LOG");
    if (lv) {
        if (!strcmp(lv, "debug")) zn_ctx_set_log_level(*ctx, ZN_LOG_DEBUG);
        else if (!strcmp(lv, "info")) zn_ctx_set_log_level(*ctx, ZN_LOG_INFO);
        else if (!strcmp(lv, "error")) zn_ctx_set_log_level(*ctx, ZN_LOG_ERROR);
    }
    if (db_path && zn_store_open(*ctx, db_path, st, &err) != ZN_OK) {
        zn_cli_error(&err);
        zn_ctx_free(*ctx);
        *ctx = NULL;
        return 1;
    }
    return 0;
}

void zn_cli_close(zn_ctx *ctx, zn_store *st)
{
    zn_store_close(st);
    zn_ctx_free(ctx);
}

int zn_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return 1;
    return 0;
}

int zn_cmd_version(int argc, char **argv)
{
    if (zn_cli_wants_help(argc, argv)) {
        printf("usage: zhinao version\n\nPrint zhinao's version.\n");
        return 0;
    }
    printf("zhinao %s\n", zn_version());
    return 0;
}

int zn_cli_parse_double(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return end == s || *end || errno ? -1 : 0;
}

int zn_cli_parse_size(const char *s, size_t *v)
{
    char *end;
    errno = 0;
    unsigned long long u = strtoull(s, &end, 10);
    if (end == s || *end || errno || s[0] == '-')
        return -1;
    *v = (size_t)u;
    return 0;
}
