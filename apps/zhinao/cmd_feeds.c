/* `zhinao feeds`: the feed catalogue (list, one feed's columns, the Markdown of docs/feeds.md). */
#include "cli.h"

#include "zhinao/hub.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: zhinao feeds [--json | --markdown] [--catalogue PATH]\n"
               "       zhinao feeds show NAME [--json] [--catalogue PATH]\n\n"
               "List the feeds (数据类别) of the catalogue: name, source unit, number of columns, natural\n"
               "key. `show NAME` prints one feed's columns with their types and checks. --markdown prints\n"
               "the catalogue documentation (docs/feeds.md is this output).\n"
               "The catalogue is $ZHINAO_DATA/feeds/catalogue.json unless --catalogue is given.\n");
}

/* Load the catalogue named by path, or the shipped one. Prints the error. */
zn_catalogue *zn_cli_catalogue(const char *path);
zn_catalogue *zn_cli_catalogue(const char *path)
{
    char buf[4096];
    if (!path) {
        snprintf(buf, sizeof buf, "%s/feeds/catalogue.json", zn_cli_data_dir());
        path = buf;
    }
    zn_catalogue *cat = NULL;
    zn_error err;
    if (zn_catalogue_load(path, &cat, &err) != ZN_OK) {
        zn_cli_error(&err);
        return NULL;
    }
    return cat;
}

static json_t *feed_json(const zn_catalogue *cat, const zn_feed *f, int with_columns)
{
    const zn_source_unit *u = zn_catalogue_find_unit(cat, f->source_unit);
    json_t *key = json_array();
    for (size_t k = 0; k < f->nkey; k++)
        json_array_append_new(key, json_string(f->columns[f->key[k]].name));
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:s}", "name", f->name, "title_zh", f->title_zh,
                          "source_unit", f->source_unit, "source_unit_zh", u ? u->name_zh : "",
                          "columns", (json_int_t)f->ncolumns, "key", key, "crs", zn_crs_name(f->crs));
    if (with_columns && o) {
        json_object_set_new(o, "description", json_string(f->description));
        json_t *cols = json_array();
        for (size_t i = 0; i < f->ncolumns; i++) {
            const zn_feed_column *c = &f->columns[i];
            json_t *jc = json_pack("{s:s, s:s, s:s, s:b}", "name", c->name, "title_zh", c->title_zh, "type",
                                   zn_col_type_name(c->type), "required", c->required);
            if (c->has_min)
                json_object_set_new(jc, "min", json_real(c->min));
            if (c->has_max)
                json_object_set_new(jc, "max", json_real(c->max));
            if (c->max_length)
                json_object_set_new(jc, "max_length", json_integer(c->max_length));
            if (c->nvalues) {
                json_t *v = json_array();
                for (size_t k = 0; k < c->nvalues; k++)
                    json_array_append_new(v, json_string(c->values[k]));
                json_object_set_new(jc, "values", v);
            }
            json_array_append_new(cols, jc);
        }
        json_object_set_new(o, "columns", cols);
        json_t *checks = json_array();
        for (size_t k = 0; k < f->nchecks; k++)
            json_array_append_new(checks, json_string(f->checks[k].text));
        json_object_set_new(o, "checks", checks);
    }
    return o;
}

static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s)
        printf("%s\n", s);
    free(s);
    json_decref(j);
}

static int show(const zn_catalogue *cat, const char *name, int as_json)
{
    const zn_feed *f = zn_catalogue_find(cat, name);
    if (!f) {
        fprintf(stderr, "zhinao feeds: no feed '%s' (zhinao feeds lists them)\n", name);
        return 1;
    }
    if (as_json) {
        print_json(feed_json(cat, f, 1));
        return 0;
    }
    const zn_source_unit *u = zn_catalogue_find_unit(cat, f->source_unit);
    printf("%s  %s\nsource unit: %s (%s)\ntable: feed_%s\nkey: ", f->name, f->title_zh, f->source_unit,
           u ? u->name_zh : "?", f->name);
    for (size_t k = 0; k < f->nkey; k++)
        printf("%s%s", k ? " + " : "", f->columns[f->key[k]].name);
    printf("%s\ncrs: %s\n%s\n\n", f->nkey ? "" : "(row hash)", zn_crs_name(f->crs), f->description);
    printf("%-22s %-14s %-3s %s\n", "column", "type", "req", "title / checks");
    for (size_t i = 0; i < f->ncolumns; i++) {
        const zn_feed_column *c = &f->columns[i];
        printf("%-22s %-14s %-3s %s", c->name, zn_col_type_name(c->type), c->required ? "yes" : "", c->title_zh);
        if (c->has_min || c->has_max)
            printf("  [%g..%g]", c->has_min ? c->min : -1.0 / 0.0, c->has_max ? c->max : 1.0 / 0.0);
        if (c->max_length)
            printf("  max %d chars", c->max_length);
        if (c->nvalues) {
            printf("  {");
            for (size_t k = 0; k < c->nvalues; k++)
                printf("%s%s", k ? "," : "", c->values[k]);
            printf("}");
        }
        printf("\n");
    }
    for (size_t k = 0; k < f->nchecks; k++)
        printf("check: %s\n", f->checks[k].text);
    return 0;
}

int zn_cmd_feeds(int argc, char **argv)
{
    int as_json = 0, as_md = 0;
    const char *catpath = NULL, *show_name = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--json")) {
            as_json = 1;
        } else if (!strcmp(argv[i], "--markdown")) {
            as_md = 1;
        } else if (!strcmp(argv[i], "--catalogue") && i + 1 < argc) {
            catpath = argv[++i];
        } else if (!strcmp(argv[i], "show") && i + 1 < argc && !show_name) {
            show_name = argv[++i];
        } else {
            fprintf(stderr, "zhinao feeds: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    zn_catalogue *cat = zn_cli_catalogue(catpath);
    if (!cat)
        return 1;
    int rc = 0;
    if (show_name) {
        rc = show(cat, show_name, as_json);
    } else if (as_md) {
        zn_buf b = {0};
        if (zn_catalogue_markdown(cat, &b) == ZN_OK)
            fwrite(b.data, 1, b.len, stdout);
        else
            rc = 1;
        zn_buf_fini(&b);
    } else if (as_json) {
        json_t *a = json_array();
        for (size_t i = 0; i < zn_catalogue_count(cat); i++)
            json_array_append_new(a, feed_json(cat, zn_catalogue_feed(cat, i), 0));
        print_json(a);
    } else {
        printf("%-22s %-30s %-6s %s\n", "feed", "source unit", "cols", "key");
        for (size_t i = 0; i < zn_catalogue_count(cat); i++) {
            const zn_feed *f = zn_catalogue_feed(cat, i);
            printf("%-22s %-30s %-6zu ", f->name, f->source_unit, f->ncolumns);
            for (size_t k = 0; k < f->nkey; k++)
                printf("%s%s", k ? "+" : "", f->columns[f->key[k]].name);
            printf("%s  %s\n", f->nkey ? "" : "(row hash)", f->title_zh);
        }
    }
    zn_catalogue_free(cat);
    return rc;
}
