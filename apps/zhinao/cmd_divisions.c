/*
 * `zhinao divisions`: the division registry (行政区划) from the command line.
 *
 *   zhinao divisions show CODE        one division: name, level, path, parent, children
 *   zhinao divisions children [CODE]  its direct children (the provinces without CODE)
 *   zhinao divisions search NAME      divisions by name (substring; --exact, --level, --under)
 *   zhinao divisions locate LON LAT   the county whose boundary covers a point (--crs)
 *   zhinao divisions diff FROM TO     what changed between two NBS editions (--under)
 *   zhinao divisions stats            editions and counts per level
 *   zhinao divisions load             save the registry into the store's division table
 *
 * Data: <data>/divisions and <data>/boundaries, <data> = zn_cli_data_dir(); with --db PATH,
 * show, children, search, diff and stats read the store's division table instead
 * (zn_div_registry_load_store), with the same output.
 */
#include "cli.h"
#include "zhinao/div.h"

#include <errno.h>
#include <jansson.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char USAGE[] =
    "usage: zhinao divisions <subcommand> [options]      zhinao divisions <subcommand> --help\n"
    "\n"
    "The division registry: NBS statistical division codes (统计用区划代码) to village level,\n"
    "editions 2021 and 2023, and DataV county boundaries (Zhejiang and Shanghai shipped).\n"
    "Codes may be given with 2, 4, 6 (GB/T 2260), 9 or 12 digits: 33, 3301, 330106, 330106004,\n"
    "330106004053.\n"
    "\n"
    "subcommands:\n"
    "  show CODE            name, level, full path, parent, number of children\n"
    "  children [CODE]      direct children of CODE (the provinces when CODE is left out)\n"
    "  search NAME          divisions whose name contains NAME (every match)\n"
    "  locate LON LAT       county (and city) whose boundary covers the point\n"
    "  diff FROM TO         divisions added, removed and renamed between two editions\n"
    "  stats                editions loaded and counts per level\n"
    "  load                 save every edition into the store (table division)\n"
    "\n"
    "common options: --edition YEAR (default: newest), --json\n"
    "data: $ZHINAO_DATA/divisions and $ZHINAO_DATA/boundaries (see zhinao help); show, children,\n"
    "search, diff and stats read the store's division table instead with --db PATH\n";

typedef struct opts {
    int edition;
    int json;
    int level;
    int exact;
    int summary;
    zn_crs crs;
    const char *under;
    const char *db;
    int db_given; /* --db on the command line: read the registry from the store */
    const char *pos[3];
    int npos;
} opts;

static int parse_int(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < -2147483647L || v > 2147483647L)
        return -1;
    *out = (int)v;
    return 0;
}

/* Parse options of a subcommand; `allowed` lists the long options it accepts. 0 ok, 2 usage. */
static int parse_opts(const char *sub, int argc, char **argv, const char *allowed, int maxpos, opts *o)
{
    memset(o, 0, sizeof *o);
    o->crs = ZN_CRS_WGS84;
    o->db = zn_cli_default_db();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int takes_value = !strcmp(a, "--edition") || !strcmp(a, "--level") || !strcmp(a, "--under") ||
                          !strcmp(a, "--crs") || !strcmp(a, "--db");
        int is_opt = a[0] == '-' && a[1] == '-';
        if (is_opt && !strstr(allowed, a)) {
            fprintf(stderr, "zhinao divisions %s: unknown option '%s' (see --help)\n", sub, a);
            return 2;
        }
        if (takes_value && i + 1 >= argc) {
            fprintf(stderr, "zhinao divisions %s: %s needs a value\n", sub, a);
            return 2;
        }
        if (!strcmp(a, "--edition")) {
            if (parse_int(argv[++i], &o->edition) || o->edition < 1) {
                fprintf(stderr, "zhinao divisions %s: --edition wants a year, not '%s'\n", sub, argv[i]);
                return 2;
            }
        } else if (!strcmp(a, "--level")) {
            if (parse_int(argv[++i], &o->level) || o->level < 1 || o->level > 5) {
                fprintf(stderr, "zhinao divisions %s: --level wants 1..5, not '%s'\n", sub, argv[i]);
                return 2;
            }
        } else if (!strcmp(a, "--crs")) {
            if (zn_crs_parse(argv[++i], &o->crs) != ZN_OK) {
                fprintf(stderr, "zhinao divisions %s: --crs wants wgs84, gcj02 or bd09, not '%s'\n", sub, argv[i]);
                return 2;
            }
        } else if (!strcmp(a, "--under")) {
            o->under = argv[++i];
        } else if (!strcmp(a, "--db")) {
            o->db = argv[++i];
            o->db_given = 1;
        } else if (!strcmp(a, "--json")) {
            o->json = 1;
        } else if (!strcmp(a, "--exact")) {
            o->exact = 1;
        } else if (!strcmp(a, "--summary")) {
            o->summary = 1;
        } else if (is_opt) {
            fprintf(stderr, "zhinao divisions %s: unknown option '%s'\n", sub, a);
            return 2;
        } else {
            if (o->npos >= maxpos) {
                fprintf(stderr, "zhinao divisions %s: unexpected argument '%s' (see --help)\n", sub, a);
                return 2;
            }
            o->pos[o->npos++] = a;
        }
    }
    return 0;
}

/* What a registry subcommand works with: the context, the registry (no store) and an error for
 * its calls, cleared. */
typedef struct session {
    zn_ctx *ctx;
    zn_div_registry *reg;
    zn_error err;
} session;

/* The registry of the store at db (its division table); the store is closed again before
 * returning. 0 ok, 1 after a message naming the store on stderr (s->ctx left to the caller). */
static int load_from_store(session *s, const char *db)
{
    /* a read must not create a store: refuse a file that is not there */
    const char *file = strncmp(db, "sqlite:", 7) ? db : db + 7;
    struct stat sb;
    if (strcmp(file, ":memory:") && stat(file, &sb) != 0) {
        fprintf(stderr, "zhinao divisions: no store at %s: %s\n", db, strerror(errno));
        return 1;
    }
    zn_store *st = NULL;
    if (zn_store_open(s->ctx, db, &st, &s->err) != ZN_OK ||
        zn_div_registry_load_store(s->ctx, st, &s->reg, &s->err) != ZN_OK) {
        char buf[1024];
        fprintf(stderr, "zhinao divisions: store %s: %s\n", db, zn_error_format(&s->err, buf, sizeof buf));
        zn_store_close(st);
        return 1;
    }
    zn_store_close(st);
    return 0;
}

/* Open s: context and registry (of <data>/divisions, or of the store o->db when --db was given),
 * checking that `edition` (0: newest) is loaded.
 * 0 ok (close with close_registry), 1 after a message on stderr (nothing left to free). */
static int open_registry(session *s, const opts *o, int edition)
{
    zn_store *none; /* no store: zn_cli_open only makes the context when db_path is NULL */
    if (zn_cli_open(NULL, &s->ctx, &none))
        return 1;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/divisions", zn_cli_data_dir());
    zn_error_clear(&s->err);
    s->reg = NULL;
    if (o->db_given ? load_from_store(s, o->db) != 0 : zn_div_registry_new(s->ctx, dir, &s->reg, &s->err) != ZN_OK) {
        if (!o->db_given)
            zn_cli_error(&s->err);
        zn_ctx_free(s->ctx);
        return 1;
    }
    if (edition && !zn_div_has_edition(s->reg, edition)) {
        fprintf(stderr, "zhinao divisions: edition %d is not %s%s (editions:", edition,
                o->db_given ? "in store " : "loaded", o->db_given ? o->db : "");
        int eds[16];
        size_t n = zn_div_editions(s->reg, eds, 16);
        for (size_t i = 0; i < n && i < 16; i++)
            fprintf(stderr, " %d", eds[i]);
        fprintf(stderr, ")\n");
        zn_div_registry_free(s->reg);
        zn_ctx_free(s->ctx);
        return 1;
    }
    zn_error_clear(&s->err);
    return 0;
}

static void close_registry(session *s)
{
    zn_div_registry_free(s->reg);
    zn_ctx_free(s->ctx);
}

/* A subcommand's failure: s->err on stderr, s closed; exit status 1. */
static int fail_registry(session *s)
{
    zn_cli_error(&s->err);
    close_registry(s);
    return 1;
}

static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    if (s) {
        puts(s);
        free(s);
    }
    json_decref(j);
}

static json_t *div_json(const zn_div *d, const char *path)
{
    json_t *j = json_object();
    json_object_set_new(j, "code", json_string(d->code));
    json_object_set_new(j, "name", json_string(d->name));
    json_object_set_new(j, "level", json_integer(d->level));
    json_object_set_new(j, "level_name", json_string(zn_div_level_name(d->level)));
    if (path)
        json_object_set_new(j, "path", json_string(path));
    json_object_set_new(j, "parent_code", d->parent_code[0] ? json_string(d->parent_code) : json_null());
    json_object_set_new(j, "children", json_integer((json_int_t)d->nchildren));
    json_object_set_new(j, "edition", json_integer(d->edition));
    return j;
}

/* Path of d into buf (reset first); "" on failure. */
static const char *path_of(zn_div_registry *reg, const zn_div *d, zn_buf *buf)
{
    zn_buf_reset(buf);
    if (zn_div_path(reg, d->edition, d->code, buf, NULL) != ZN_OK || !buf->data)
        return "";
    return buf->data;
}

static int sub_show(const opts *o)
{
    if (o->npos != 1) {
        fprintf(stderr, "zhinao divisions show: give one CODE (see --help)\n");
        return 2;
    }
    session s;
    if (open_registry(&s, o, o->edition))
        return 1;
    zn_div d, parent;
    zn_buf path = {0};
    if (zn_div_lookup(s.reg, o->edition, o->pos[0], &d, &s.err) != ZN_OK)
        return fail_registry(&s);
    int has_parent = zn_div_parent(s.reg, o->edition, d.code, &parent, NULL) == ZN_OK;
    path_of(s.reg, &d, &path);
    if (o->json) {
        json_t *j = div_json(&d, path.data ? path.data : "");
        json_object_set_new(j, "parent_name", has_parent ? json_string(parent.name) : json_null());
        if (d.level <= ZN_DIV_COUNTY) {
            char gb[7];
            memcpy(gb, d.code, 6);
            gb[6] = '\0';
            json_object_set_new(j, "gb2260", json_string(gb));
        }
        print_json(j);
    } else {
        printf("code      %s", d.code);
        if (d.level <= ZN_DIV_COUNTY)
            printf(" (GB/T 2260 %.6s)", d.code);
        printf("\nname      %s\nlevel     %d %s\npath      %s\n", d.name, d.level, zn_div_level_name(d.level),
               path.data ? path.data : "");
        if (has_parent)
            printf("parent    %s %s\n", parent.code, parent.name);
        else
            printf("parent    -\n");
        printf("children  %zu\nedition   %d\n", d.nchildren, d.edition);
    }
    zn_buf_fini(&path);
    close_registry(&s);
    return 0;
}

/* Print a list of divisions (children, search results). */
static void print_list(zn_div_registry *reg, const zn_div *v, size_t n, int json, const char *key,
                       json_t *head)
{
    zn_buf path = {0};
    if (json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, div_json(&v[i], path_of(reg, &v[i], &path)));
        json_object_set_new(head, "count", json_integer((json_int_t)n));
        json_object_set_new(head, key, arr);
        print_json(head);
    } else {
        json_decref(head);
        for (size_t i = 0; i < n; i++)
            printf("%s  %d %-8s  %s\n", v[i].code, v[i].level, zn_div_level_name(v[i].level),
                   path_of(reg, &v[i], &path));
    }
    zn_buf_fini(&path);
}

static int sub_children(const opts *o)
{
    session s;
    if (open_registry(&s, o, o->edition))
        return 1;
    zn_div *v = NULL;
    size_t n = 0;
    if (zn_div_children(s.reg, o->edition, o->npos ? o->pos[0] : NULL, &v, &n, &s.err) != ZN_OK)
        return fail_registry(&s);
    json_t *head = json_object();
    json_object_set_new(head, "edition", json_integer(o->edition ? o->edition : zn_div_edition_latest(s.reg)));
    if (o->npos) {
        zn_div d;
        if (zn_div_lookup(s.reg, o->edition, o->pos[0], &d, NULL) == ZN_OK)
            json_object_set_new(head, "parent_code", json_string(d.code));
    }
    print_list(s.reg, v, n, o->json, "children", head);
    free(v);
    close_registry(&s);
    return 0;
}

static int sub_search(const opts *o)
{
    if (o->npos != 1 || !*o->pos[0]) {
        fprintf(stderr, "zhinao divisions search: give one non-empty NAME (see --help)\n");
        return 2;
    }
    session s;
    if (open_registry(&s, o, o->edition))
        return 1;
    zn_div_query q = {o->pos[0], o->exact ? ZN_DIV_MATCH_EXACT : ZN_DIV_MATCH_SUBSTRING, o->level, o->under};
    zn_div *v = NULL;
    size_t n = 0;
    if (zn_div_search(s.reg, o->edition, &q, &v, &n, &s.err) != ZN_OK)
        return fail_registry(&s);
    json_t *head = json_object();
    json_object_set_new(head, "query", json_string(o->pos[0]));
    json_object_set_new(head, "edition", json_integer(o->edition ? o->edition : zn_div_edition_latest(s.reg)));
    print_list(s.reg, v, n, o->json, "matches", head);
    if (!n && !o->json)
        fprintf(stderr, "zhinao divisions search: no division named like '%s'\n", o->pos[0]);
    free(v);
    close_registry(&s);
    return n ? 0 : 1;
}

static int sub_locate(const opts *o)
{
    double lon, lat;
    if (o->npos != 2 || zn_cli_parse_double(o->pos[0], &lon) || zn_cli_parse_double(o->pos[1], &lat)) {
        fprintf(stderr, "zhinao divisions locate: give LON LAT as numbers (see --help)\n");
        return 2;
    }
    session s;
    if (open_registry(&s, o, o->edition))
        return 1;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/boundaries", zn_cli_data_dir());
    zn_div county, city;
    if (zn_div_boundaries_load(s.reg, dir, &s.err) != ZN_OK ||
        zn_div_locate(s.reg, lon, lat, o->crs, o->edition, &county, &city, &s.err) != ZN_OK)
        return fail_registry(&s);
    zn_buf path = {0};
    path_of(s.reg, &county, &path);
    if (o->json) {
        json_t *j = json_object();
        json_t *pt = json_object();
        json_object_set_new(pt, "lon", json_real(lon));
        json_object_set_new(pt, "lat", json_real(lat));
        json_object_set_new(pt, "crs", json_string(zn_crs_name(o->crs)));
        json_object_set_new(j, "point", pt);
        json_object_set_new(j, "county", div_json(&county, path.data ? path.data : ""));
        json_object_set_new(j, "city", city.level ? div_json(&city, NULL) : json_null());
        print_json(j);
    } else {
        printf("%s %s\n%s\n", county.code, county.name, path.data ? path.data : "");
    }
    zn_buf_fini(&path);
    close_registry(&s);
    return 0;
}

static int sub_diff(const opts *o)
{
    int from, to;
    if (o->npos != 2 || parse_int(o->pos[0], &from) || parse_int(o->pos[1], &to) || from < 1 || to < 1) {
        fprintf(stderr, "zhinao divisions diff: give two edition years FROM TO (see --help)\n");
        return 2;
    }
    session s;
    if (open_registry(&s, o, 0))
        return 1;
    zn_div_diff d;
    if (zn_div_diff_compute(s.reg, from, to, o->under, &d, &s.err) != ZN_OK)
        return fail_registry(&s);
    if (o->json) {
        json_t *j = json_object();
        json_object_set_new(j, "from", json_integer(d.from_edition));
        json_object_set_new(j, "to", json_integer(d.to_edition));
        json_object_set_new(j, "under", o->under ? json_string(o->under) : json_null());
        const char *kinds[3] = {"added", "removed", "renamed"};
        const size_t *counts[3] = {d.added, d.removed, d.renamed};
        json_t *c = json_object();
        for (int k = 0; k < 3; k++) {
            json_t *per = json_object();
            json_object_set_new(per, "total", json_integer((json_int_t)counts[k][0]));
            for (int lv = 1; lv <= 5; lv++)
                json_object_set_new(per, zn_div_level_name(lv), json_integer((json_int_t)counts[k][lv]));
            json_object_set_new(c, kinds[k], per);
        }
        json_object_set_new(j, "counts", c);
        if (!o->summary) {
            json_t *arr = json_array();
            for (size_t i = 0; i < d.nchanges; i++) {
                const zn_div_change *ch = &d.changes[i];
                if (o->level && ch->level != o->level)
                    continue;
                json_t *e = json_object();
                json_object_set_new(e, "change", json_string(zn_div_change_kind_name(ch->kind)));
                json_object_set_new(e, "code", json_string(ch->code));
                json_object_set_new(e, "level", json_integer(ch->level));
                json_object_set_new(e, "old_name", ch->old_name ? json_string(ch->old_name) : json_null());
                json_object_set_new(e, "new_name", ch->new_name ? json_string(ch->new_name) : json_null());
                json_array_append_new(arr, e);
            }
            json_object_set_new(j, "changes", arr);
        }
        print_json(j);
    } else {
        printf("%d -> %d%s%s\n", d.from_edition, d.to_edition, o->under ? " under " : "", o->under ? o->under : "");
        printf("%-9s %7s %7s %7s\n", "level", "added", "removed", "renamed");
        for (int lv = 1; lv <= 5; lv++)
            printf("%-9s %7zu %7zu %7zu\n", zn_div_level_name(lv), d.added[lv], d.removed[lv], d.renamed[lv]);
        printf("%-9s %7zu %7zu %7zu\n", "total", d.added[0], d.removed[0], d.renamed[0]);
        if (!o->summary) {
            for (size_t i = 0; i < d.nchanges; i++) {
                const zn_div_change *ch = &d.changes[i];
                if (o->level && ch->level != o->level)
                    continue;
                if (ch->kind == ZN_DIV_RENAMED)
                    printf("renamed  %s  %s -> %s\n", ch->code, ch->old_name, ch->new_name);
                else if (ch->kind == ZN_DIV_ADDED)
                    printf("added    %s  %s\n", ch->code, ch->new_name);
                else
                    printf("removed  %s  %s\n", ch->code, ch->old_name);
            }
        }
    }
    zn_div_diff_fini(&d);
    close_registry(&s);
    return 0;
}

static int sub_stats(const opts *o)
{
    session s;
    if (open_registry(&s, o, 0))
        return 1;
    int eds[16];
    size_t n = zn_div_editions(s.reg, eds, 16);
    if (n > 16)
        n = 16;
    json_t *arr = json_array();
    if (!o->json)
        printf("%-8s %9s %6s %7s %9s %8s %7s\n", "edition", "province", "city", "county", "township", "village", "total");
    for (size_t i = 0; i < n; i++) {
        if (o->json) {
            json_t *e = json_object();
            json_object_set_new(e, "edition", json_integer(eds[i]));
            for (int lv = 1; lv <= 5; lv++)
                json_object_set_new(e, zn_div_level_name(lv), json_integer((json_int_t)zn_div_count(s.reg, eds[i], lv)));
            json_object_set_new(e, "total", json_integer((json_int_t)zn_div_count(s.reg, eds[i], 0)));
            json_array_append_new(arr, e);
        } else {
            printf("%-8d %9zu %6zu %7zu %9zu %8zu %7zu\n", eds[i], zn_div_count(s.reg, eds[i], 1),
                   zn_div_count(s.reg, eds[i], 2), zn_div_count(s.reg, eds[i], 3), zn_div_count(s.reg, eds[i], 4),
                   zn_div_count(s.reg, eds[i], 5), zn_div_count(s.reg, eds[i], 0));
        }
    }
    if (o->json) {
        json_t *j = json_object();
        json_object_set_new(j, "editions", arr);
        print_json(j);
    } else {
        json_decref(arr);
    }
    close_registry(&s);
    return 0;
}

static int sub_load(const opts *o)
{
    zn_ctx *ctx;
    zn_store *st;
    if (zn_cli_open(o->db, &ctx, &st))
        return 1;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/divisions", zn_cli_data_dir());
    zn_error err;
    zn_error_clear(&err);
    zn_div_registry *reg = NULL;
    int64_t changed = 0, rows = 0;
    if (zn_div_registry_new(ctx, dir, &reg, &err) != ZN_OK || zn_div_registry_save(reg, st, &changed, &err) != ZN_OK ||
        zn_store_query_int64(st, "SELECT COUNT(*) FROM division", &rows, &err) != ZN_OK) {
        zn_cli_error(&err);
        zn_div_registry_free(reg);
        zn_cli_close(ctx, st);
        return 1;
    }
    if (o->json) {
        json_t *j = json_object();
        json_object_set_new(j, "db", json_string(o->db));
        json_object_set_new(j, "changed", json_integer(changed));
        json_object_set_new(j, "rows", json_integer(rows));
        print_json(j);
    } else {
        printf("%s: %lld division rows changed, %lld in table division\n", o->db, (long long)changed, (long long)rows);
    }
    zn_div_registry_free(reg);
    zn_cli_close(ctx, st);
    return 0;
}

int zn_cmd_divisions(int argc, char **argv)
{
    /* each subcommand: its name, the long options it accepts, how many positional arguments, its
     * body (called with the parsed options), its --help text */
    static const struct {
        const char *name;
        const char *allowed;
        int maxpos;
        int (*run)(const opts *);
        const char *help;
    } subs[] = {
        {"show", "--edition --json --db", 1, sub_show,
         "usage: zhinao divisions show CODE [--edition YEAR] [--db PATH] [--json]\n\n"
         "Show one division: 12-digit code, name, level, path from the province, parent and\n"
         "number of children, in the given edition (default: newest).\n"
         "  --db PATH      read the store's division table (saved by `zhinao divisions load`)\n"
         "                 instead of the files in $ZHINAO_DATA/divisions\n"
         "Example: zhinao divisions show 330106 -> 西湖区, 浙江省/杭州市/西湖区\n"},
        {"children", "--edition --json --db", 1, sub_children,
         "usage: zhinao divisions children [CODE] [--edition YEAR] [--db PATH] [--json]\n\n"
         "List the direct children of CODE in code order, one per line: code, level, path.\n"
         "Without CODE, list the provinces.\n"
         "  --db PATH      read the store's division table (saved by `zhinao divisions load`)\n"
         "                 instead of the files in $ZHINAO_DATA/divisions\n"},
        {"search", "--edition --json --exact --level --under --db", 1, sub_search,
         "usage: zhinao divisions search NAME [--exact] [--level N] [--under CODE] [--edition YEAR] [--db PATH] [--json]\n\n"
         "Every division whose name contains NAME (--exact: equals NAME), in code order, one per\n"
         "line: code, level, path. Names repeat: 普陀区 is a district of Shanghai and of Zhoushan.\n"
         "  --level N      only level N (1 province, 2 city, 3 county, 4 township, 5 village)\n"
         "  --under CODE   only divisions inside CODE (e.g. 3301 for Hangzhou)\n"
         "  --db PATH      read the store's division table (saved by `zhinao divisions load`)\n"
         "                 instead of the files in $ZHINAO_DATA/divisions\n"
         "Exit status 1 when nothing matches.\n"},
        {"locate", "--edition --json --crs", 2, sub_locate,
         "usage: zhinao divisions locate LON LAT [--crs wgs84|gcj02|bd09] [--edition YEAR] [--json]\n\n"
         "The county whose DataV boundary covers the point, with its city and path. LON LAT are\n"
         "degrees in --crs (default wgs84; the point is converted to GCJ-02, the boundaries' CRS).\n"
         "Boundaries shipped: Zhejiang's 90 counties and Shanghai's 16 districts.\n"
         "Exit status 1 when no boundary covers the point (e.g. at sea or outside the data).\n"
         "Example: zhinao divisions locate 120.14 30.25 --crs gcj02 -> 330106 西湖区\n"},
        {"diff", "--json --under --summary --level --db", 2, sub_diff,
         "usage: zhinao divisions diff FROM TO [--under CODE] [--level N] [--summary] [--db PATH] [--json]\n\n"
         "What changed from edition FROM to edition TO (e.g. 2021 2023), by code: added (only in\n"
         "TO), removed (only in FROM), renamed (same code, another name). Counts per level, then\n"
         "one line per change (--summary: counts only).\n"
         "  --under CODE   only the subtree of CODE (itself included), e.g. 33 for Zhejiang\n"
         "  --level N      list only changes at level N (the counts still cover every level)\n"
         "  --db PATH      read the store's division table (saved by `zhinao divisions load`)\n"
         "                 instead of the files in $ZHINAO_DATA/divisions\n"},
        {"stats", "--json --db", 0, sub_stats,
         "usage: zhinao divisions stats [--db PATH] [--json]\n\n"
         "Editions loaded and the number of divisions per level in each.\n"
         "  --db PATH      read the store's division table (saved by `zhinao divisions load`)\n"
         "                 instead of the files in $ZHINAO_DATA/divisions\n"},
        {"load", "--db --json", 0, sub_load,
         "usage: zhinao divisions load [--db PATH] [--json]\n\n"
         "Save every edition of the registry into the store's division table (default store:\n"
         "$ZHINAO_DB or zhinao.db), in one transaction. Safe to run again: rows that are already\n"
         "there and equal are left alone (\"0 rows changed\").\n"},
    };
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        if (strcmp(argv[1], subs[i].name))
            continue;
        if (zn_cli_wants_help(argc - 1, argv + 1)) {
            fputs(subs[i].help, stdout);
            return 0;
        }
        opts o;
        if (parse_opts(subs[i].name, argc - 1, argv + 1, subs[i].allowed, subs[i].maxpos, &o))
            return 2;
        return subs[i].run(&o);
    }
    fprintf(stderr, "zhinao divisions: unknown subcommand '%s'\n\n%s", argv[1], USAGE);
    return 2;
}
