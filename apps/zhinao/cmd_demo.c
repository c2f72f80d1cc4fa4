/* `zhinao demo`: what `make run` runs. Builds the store from the bundled real data. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

int zn_cmd_demo(int argc, char **argv)
{
    const char *db = zn_cli_default_db();
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: zhinao demo [--db PATH]\n\n"
                   "Create (or update) the store, load the bundled real data through the hub and print\n"
                   "a summary. Safe to run again: re-loading the same files changes nothing.\n");
            return 0;
        } else if (!strcmp(argv[i], "--db") && i + 1 < argc) {
            db = argv[++i];
        } else {
            fprintf(stderr, "zhinao demo: unknown option '%s'\n", argv[i]);
            return 2;
        }
    }
    zn_ctx *ctx;
    zn_store *st;
    if (zn_cli_open(db, &ctx, &st))
        return 1;
    printf("store %s: schema version %d\n", db, zn_store_schema_version(st));
    zn_cli_close(ctx, st);
    return 0;
}
