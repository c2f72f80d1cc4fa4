/*
 * `zhinao serve`: the HTTP API and the cockpit (docs/server.md). Binds to 127.0.0.1 unless told
 * otherwise; runs until SIGINT or SIGTERM.
 */
#include "cli.h"

#include "zhinao/server.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: zhinao serve [--db PATH] [--listen HOST:PORT] [--web DIR] [--threads N] [--demo]\n"
            "                    [--max-body BYTES] [--session-ttl SECONDS] [--secure-cookie]\n"
            "                    [--si-mean DAYS --si-sd DAYS] [--port-file PATH]\n\n"
            "Serve the JSON API (/api/v1/...) and the cockpit (驾驶舱) from the store.\n"
            "  --db PATH         the store (default $ZHINAO_DB or zhinao.db)\n"
            "  --listen H:P      address to bind (default 127.0.0.1:8080; port 0 = any free port).\n"
            "                    Only loopback unless you name another address.\n"
            "  --web DIR         cockpit folder (default $ZHINAO_WEB or <source>/web; assets from `npm ci`)\n"
            "  --threads N       worker threads (default 4)\n"
            "  --demo            create or refresh users 'demo' (上海市 province command, scope 31) and\n"
            "                    'demo-zj' (浙江省, scope 33: the Hangzhou demo city) with new random\n"
            "                    passwords, printed at start (for `make run`)\n"
            "  --port-file PATH  write the port listened on to PATH once listening\n"
            "First run: when the store has no administrator, user 'admin' is created with the password\n"
            "in $ZHINAO_ADMIN_PASSWORD, or a random one printed once.\n");
}

static int parse_uint(const char *s, unsigned long long *out)
{
    char *end;
    if (!s || !*s)
        return 0;
    *out = strtoull(s, &end, 10);
    return *end == 0;
}

static int is_loopback(const char *listen)
{
    return !strncmp(listen, "127.", 4) || !strncmp(listen, "localhost:", 10);
}

/* The demo accounts of `--demo`: one province command per province the demo data covers (the
 * Shanghai 2022 lists; the Hangzhou demo city of `make run`), so each sees only its own data. */
static const struct {
    const char *name, *display, *scope;
} demo_users[] = {
    {"demo", "上海市指挥部 (演示)", "31"},
    {"demo-zj", "浙江省指挥部 (演示)", "33"},
};
#define NDEMO (sizeof demo_users / sizeof demo_users[0])

/* First-run administrator and, with --demo, the demo users with fresh passwords (demo_pw[i]). */
static int accounts(const char *db, int demo, char demo_pw[NDEMO][32])
{
    zn_ctx *ctx;
    zn_store *st;
    if (zn_cli_open(db, &ctx, &st))
        return 1;
    zn_error err;
    zn_error_clear(&err);
    char generated[32];
    int created = 0;
    zn_status s = zn_user_bootstrap_admin(st, "admin", getenv("ZHINAO_ADMIN_PASSWORD"), generated, sizeof generated,
                                          &created, &err);
    if (s == ZN_OK && created && generated[0])
        printf("first run: administrator 'admin' created, password %s (shown once; change it with\n"
               "           `zhinao users passwd admin`)\n",
               generated);
    else if (s == ZN_OK && created)
        printf("first run: administrator 'admin' created with the password in $ZHINAO_ADMIN_PASSWORD\n");
    for (size_t i = 0; s == ZN_OK && demo && i < NDEMO; i++) {
        zn_user u;
        if ((s = zn_password_generate(demo_pw[i], 32)) != ZN_OK)
            zn_error_set(&err, s, NULL, 0, NULL, "cannot generate a password");
        else if (zn_user_get(st, demo_users[i].name, &u, NULL) == ZN_OK)
            s = zn_user_set_password(st, demo_users[i].name, demo_pw[i], "serve --demo", &err);
        else
            s = zn_user_add(st, demo_users[i].name, demo_users[i].display, demo_pw[i], ZN_ROLE_PROVINCE,
                            demo_users[i].scope, "serve --demo", NULL, &err);
    }
    if (s != ZN_OK)
        zn_cli_error(&err);
    zn_cli_close(ctx, st);
    return s != ZN_OK;
}

int zn_cmd_serve(int argc, char **argv)
{
    if (zn_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    const char *db = zn_cli_default_db(), *listen = "127.0.0.1:8080", *port_file = NULL;
    const char *web = getenv("ZHINAO_WEB");
    if (!web || !*web)
        web = ZN_SOURCE_DIR "/web";
    zn_server_options opt;
    memset(&opt, 0, sizeof opt);
    int demo = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long long n = 0;
        int used = 1;
        if (!strcmp(a, "--db") && v)
            db = v;
        else if (!strcmp(a, "--listen") && v)
            listen = v;
        else if (!strcmp(a, "--web") && v)
            web = v;
        else if (!strcmp(a, "--port-file") && v)
            port_file = v;
        else if (!strcmp(a, "--threads") && parse_uint(v, &n) && n >= 1 && n <= 64)
            opt.threads = (unsigned)n;
        else if (!strcmp(a, "--max-body") && parse_uint(v, &n) && n >= 1024)
            opt.max_body = (size_t)n;
        else if (!strcmp(a, "--session-ttl") && parse_uint(v, &n) && n >= 60)
            opt.session_ttl = (int64_t)n;
        else if (!strcmp(a, "--si-mean") && v)
            opt.si_mean = strtod(v, NULL);
        else if (!strcmp(a, "--si-sd") && v)
            opt.si_sd = strtod(v, NULL);
        else if (!strcmp(a, "--event-interval") && parse_uint(v, &n) && n >= 1)
            opt.event_interval = (unsigned)n;
        else {
            used = 0;
            if (!strcmp(a, "--demo"))
                demo = 1;
            else if (!strcmp(a, "--secure-cookie"))
                opt.secure_cookie = 1;
            else {
                fprintf(stderr, "zhinao serve: bad argument '%s'\n\n", a);
                usage(stderr);
                return 2;
            }
        }
        i += used;
    }
    /* signals go to this thread only: block them before the server starts its threads */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    zn_ctx *ctx;
    zn_store *st;
    zn_error err;
    if (zn_cli_open(NULL, &ctx, &st))
        return 1;
    opt.db_path = db;
    opt.listen = listen;
    opt.web_dir = web;
    opt.data_dir = zn_cli_data_dir();
    zn_server *srv;
    if (zn_server_start(ctx, &opt, &srv, &err) != ZN_OK) {
        zn_cli_error(&err);
        zn_ctx_free(ctx);
        return 1;
    }
    char demo_pw[NDEMO][32] = {""};
    if (accounts(db, demo, demo_pw)) {
        zn_server_stop(srv);
        zn_ctx_free(ctx);
        return 1;
    }
    unsigned port = zn_server_port(srv);
    if (port_file) {
        FILE *f = fopen(port_file, "w");
        if (f) {
            fprintf(f, "%u\n", port);
            fclose(f);
        }
    }
    char host[128];
    snprintf(host, sizeof host, "%s", listen);
    char *colon = strrchr(host, ':');
    if (colon)
        *colon = 0;
    if (!is_loopback(listen))
        printf("warning: listening on %s, not only on this machine: put TLS in front and use --secure-cookie\n",
               host);
    printf("zhinao serve: cockpit at http://%s:%u/  (API /api/v1, Ctrl-C stops)\n", host, port);
    for (size_t i = 0; demo && i < NDEMO; i++)
        printf("demo login: name %s, password %s (%s, scope %s; new password each start)\n", demo_users[i].name,
               demo_pw[i], demo_users[i].display, demo_users[i].scope);
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    printf("zhinao serve: stopping (signal %d)\n", sig);
    zn_server_write_stats ws;
    zn_server_write_stats_get(srv, &ws);
    if (ws.moves)
        printf("zhinao serve: %lld task moves committed in %lld transactions; %lld checkpoints (%lld holding the "
               "write lock, %.1f ms in all)\n",
               (long long)ws.moves, (long long)ws.transactions, (long long)ws.checkpoints,
               (long long)ws.checkpoints_locked, (double)ws.locked_us / 1000.0);
    zn_server_stop(srv);
    zn_ctx_free(ctx);
    return 0;
}
