#include "zn_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *zn_test_src(const char *rel)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", ZN_SOURCE_DIR, rel);
    return buf;
}

const char *zn_test_shared(const char *rel)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/../shared/%s", ZN_SOURCE_DIR, rel);
    struct stat sb;
    return stat(buf, &sb) == 0 ? buf : NULL;
}

static char tmpdir[256];

static void rm_tmpdir(void)
{
    if (tmpdir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmpdir);
    }
}

const char *zn_test_tmpdir(void)
{
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/zn-test-XXXXXX");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            abort();
        }
        atexit(rm_tmpdir);
    }
    return tmpdir;
}

const char *zn_test_write_file(const char *name, const void *data, size_t len)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", zn_test_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len) {
        perror(path);
        abort();
    }
    fclose(f);
    return path;
}

zn_store *zn_test_open_store(zn_ctx **ctx, const char *path, int64_t now)
{
    zn_store *st = NULL;
    zn_error err;
    if (zn_ctx_new(ctx) != ZN_OK)
        fail_msg("zn_ctx_new: out of memory");
    zn_ctx_set_now(*ctx, now);
    if (zn_store_open(*ctx, path, &st, &err) != ZN_OK)
        fail_msg("open %s: %s", path, err.msg);
    return st;
}

int64_t zn_test_q64(zn_store *st, const char *sql)
{
    int64_t v = -1;
    zn_error err;
    if (zn_store_query_int64(st, sql, &v, &err) != ZN_OK)
        fail_msg("%s: %s", sql, err.msg);
    return v;
}
