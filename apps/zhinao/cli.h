/* The zhinao CLI: one program, one command per file (cmd_<name>.c). */
#ifndef ZN_CLI_H
#define ZN_CLI_H

#include "zhinao/core.h"
#include "zhinao/store.h"

/* A command: returns the process exit status (0 ok, 1 failure, 2 usage). */
typedef struct zn_cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
} zn_cli_command;

/* Default store path: $ZHINAO_DB or "zhinao.db". */
const char *zn_cli_default_db(void);

/* Directory of the shipped data: $ZHINAO_DATA, else <source>/data. */
const char *zn_cli_data_dir(void);

/* Create a context (log level from $ZHINAO_LOG: debug/info/warn/error) and open the store at
 * db_path. Prints the error and returns non-zero on failure. */
int zn_cli_open(const char *db_path, zn_ctx **ctx, zn_store **st);
void zn_cli_close(zn_ctx *ctx, zn_store *st);

/* Print an error to stderr as "zhinao: <formatted error>". */
void zn_cli_error(const zn_error *err);

/* Is argv[i] "--help" or "-h" for any i >= 1? */
int zn_cli_wants_help(int argc, char **argv);

/* Parse a whole string as a number: 0 on success, -1 when it is empty, has trailing characters,
 * overflows, or (parse_size) is negative. */
int zn_cli_parse_double(const char *s, double *v);
int zn_cli_parse_size(const char *s, size_t *v);

/* Commands (one per file). */
int zn_cmd_version(int argc, char **argv);
int zn_cmd_demo(int argc, char **argv);
int zn_cmd_trace(int argc, char **argv);
int zn_cmd_feeds(int argc, char **argv);
int zn_cmd_gen(int argc, char **argv);
int zn_cmd_ingest(int argc, char **argv);
int zn_cmd_quarantine(int argc, char **argv);
int zn_cmd_divisions(int argc, char **argv);
int zn_cmd_tasks(int argc, char **argv);
int zn_cmd_rt(int argc, char **argv);
int zn_cmd_warn(int argc, char **argv);
int zn_cmd_zones(int argc, char **argv);
int zn_cmd_serve(int argc, char **argv);
int zn_cmd_users(int argc, char **argv);

#endif
