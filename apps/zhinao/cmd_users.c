/*
 * `zhinao users`: accounts of the server (roles, division scopes), and the audit log.
 *   zhinao users add NAME --role ROLE --scope CODE [--display-name TEXT] [--password-stdin]
 *   zhinao users list | disable NAME | passwd NAME [--password-stdin] | audit [--user N] [--limit N]
 */
#include "cli.h"

#include "zhinao/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: zhinao users add NAME --role ROLE --scope CODE [--display-name TEXT] [--password-stdin]\n"
            "       zhinao users list\n"
            "       zhinao users disable NAME\n"
            "       zhinao users passwd NAME [--password-stdin]\n"
            "       zhinao users audit [--user NAME] [--action ACTION] [--limit N]\n"
            "       (all take --db PATH, default $ZHINAO_DB or zhinao.db)\n\n"
            "Roles: province city county township community (command posts; the scope must be a division\n"
            "of that level), grid_worker (township or village scope), epidemiologist, auditor, admin (any\n"
            "scope; 0 = the whole country). A user sees and acts on the scope's division and below only.\n"
            "Without --password-stdin a random password is generated and printed once.\n");
}

static int read_password(char *out, size_t n)
{
    if (!fgets(out, (int)n, stdin))
        return 0;
    size_t len = strlen(out);
    while (len && (out[len - 1] == '\n' || out[len - 1] == '\r'))
        out[--len] = 0;
    return len > 0;
}

static int print_user(void *user, const zn_user *u)
{
    (void)user;
    printf("%-4lld %-20s %-15s %-13s %-6s %s\n", (long long)u->id, u->name, zn_role_name(u->role), u->scope,
           u->disabled ? "off" : "on", u->display_name);
    return 0;
}

static int print_audit(void *user, const zn_audit_entry *e)
{
    (void)user;
    char when[32];
    time_t t = (time_t)e->at;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("%-6lld %s %-16s %-14s %-28s %s\n", (long long)e->id, when, e->user_name, e->action, e->object, e->why);
    return 0;
}

int zn_cmd_users(int argc, char **argv)
{
    if (argc < 2 || zn_cli_wants_help(argc, argv)) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1], *name = NULL, *role = NULL, *scope = NULL, *display = NULL, *db = zn_cli_default_db();
    const char *user_f = NULL, *action_f = NULL;
    long limit = 50;
    int pw_stdin = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--role") && v)
            role = argv[++i];
        else if (!strcmp(a, "--scope") && v)
            scope = argv[++i];
        else if (!strcmp(a, "--display-name") && v)
            display = argv[++i];
        else if (!strcmp(a, "--db") && v)
            db = argv[++i];
        else if (!strcmp(a, "--user") && v)
            user_f = argv[++i];
        else if (!strcmp(a, "--action") && v)
            action_f = argv[++i];
        else if (!strcmp(a, "--limit") && v)
            limit = strtol(argv[++i], NULL, 10);
        else if (!strcmp(a, "--password-stdin"))
            pw_stdin = 1;
        else if (a[0] != '-' && !name)
            name = a;
        else {
            fprintf(stderr, "zhinao users: bad argument '%s'\n\n", a);
            usage(stderr);
            return 2;
        }
    }
    int needs_name = !strcmp(sub, "add") || !strcmp(sub, "disable") || !strcmp(sub, "passwd");
    if (!needs_name && strcmp(sub, "list") && strcmp(sub, "audit")) {
        fprintf(stderr, "zhinao users: unknown subcommand '%s'\n\n", sub);
        usage(stderr);
        return 2;
    }
    if (needs_name && !name) {
        fprintf(stderr, "zhinao users %s: give a user name\n", sub);
        return 2;
    }
    zn_role r = 0;
    if (!strcmp(sub, "add") && (!role || !scope || zn_role_parse(role, &r) != ZN_OK)) {
        fprintf(stderr, "zhinao users add: give --role (province city county township community grid_worker\n"
                        "epidemiologist auditor admin) and --scope (a division code, 0 = the country)\n");
        return 2;
    }
    char pw[256] = "";
    int generated = 0;
    if (!strcmp(sub, "add") || !strcmp(sub, "passwd")) {
        if (pw_stdin) {
            if (!read_password(pw, sizeof pw)) {
                fprintf(stderr, "zhinao users: no password on standard input\n");
                return 2;
            }
        } else if (zn_password_generate(pw, sizeof pw) != ZN_OK) {
            fprintf(stderr, "zhinao users: cannot generate a password\n");
            return 1;
        } else {
            generated = 1;
        }
    }
    zn_ctx *ctx;
    zn_store *st;
    if (zn_cli_open(db, &ctx, &st))
        return 1;
    zn_error err;
    zn_error_clear(&err);
    zn_status s = ZN_OK;
    if (!strcmp(sub, "add")) {
        int64_t id = 0;
        if ((s = zn_user_add(st, name, display, pw, r, scope, "cli", &id, &err)) == ZN_OK) {
            zn_user u;
            zn_user_get(st, name, &u, &err);
            printf("user %s added (id %lld, role %s, scope %s)\n", name, (long long)id, zn_role_name(r), u.scope);
        }
    } else if (!strcmp(sub, "passwd")) {
        if ((s = zn_user_set_password(st, name, pw, "cli", &err)) == ZN_OK)
            printf("password of %s changed; open sessions revoked\n", name);
    } else if (!strcmp(sub, "disable")) {
        if ((s = zn_user_disable(st, name, "cli", &err)) == ZN_OK)
            printf("user %s disabled; open sessions revoked\n", name);
    } else if (!strcmp(sub, "list")) {
        printf("%-4s %-20s %-15s %-13s %-6s %s\n", "id", "name", "role", "scope", "login", "display name");
        s = zn_user_list(st, print_user, NULL, &err);
    } else {
        zn_audit_filter f = {.user_name = user_f, .action = action_f, .limit = limit > 0 ? limit : 50};
        int64_t total = 0;
        s = zn_audit_list(st, &f, print_audit, NULL, &total, &err);
        if (s == ZN_OK)
            printf("# %lld matching rows\n", (long long)total);
    }
    if (s == ZN_OK && generated)
        printf("password: %s   (shown once)\n", pw);
    if (s != ZN_OK)
        zn_cli_error(&err);
    zn_cli_close(ctx, st);
    return s == ZN_OK ? 0 : 1;
}
