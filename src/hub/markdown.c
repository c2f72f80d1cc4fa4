/* The catalogue as Markdown: the text of docs/feeds.md (`zhinao feeds --markdown`). */
#include "hub_int.h"

#include <stdio.h>
#include <string.h>

static const struct {
    zn_col_type t;
    const char *stored, *input, *reasons;
} type_doc[] = {
    {ZN_COL_TEXT, "TEXT", "any text; blanks around it are trimmed", "too_long"},
    {ZN_COL_INT, "INTEGER", "decimal digits with an optional sign", "bad_int, out_of_range"},
    {ZN_COL_REAL, "REAL", "decimal number, optional exponent", "bad_real, out_of_range"},
    {ZN_COL_DATE, "TEXT `YYYY-MM-DD`", "`2022-03-18`, `2022/3/18`, `2022.3.18`, `20220318` (a midnight time after it is tolerated)", "bad_date, future_time"},
    {ZN_COL_TIME, "INTEGER UTC seconds", "ISO 8601 with or without zone, `YYYY-MM-DD HH:MM[:SS]`, `YYYYMMDDhhmmss`, unix seconds; no zone = +08:00", "bad_time, future_time"},
    {ZN_COL_RESIDENT_ID, "TEXT, 18 characters, upper-case X", "18-character number (GB 11643-1999); 15-digit numbers are upgraded", "bad_resident_id, bad_check_digit, bad_birth_date, unknown_region"},
    {ZN_COL_MOBILE, "TEXT, 11 digits", "mainland mobile number, +86 / 0086 prefix, spaces and dashes allowed", "bad_mobile"},
    {ZN_COL_DIVISION, "TEXT, 12-digit NBS code", "6-, 9- or 12-digit code; checked against table `division` when it has rows", "bad_division_code, unknown_division"},
    {ZN_COL_LON, "REAL, WGS-84 degrees (`<name>_orig` keeps a GCJ-02/BD-09 original)", "decimal degrees", "bad_real, bad_lonlat, swapped_lat_lon, outside_china"},
    {ZN_COL_LAT, "REAL, WGS-84 degrees (`<name>_orig` keeps a GCJ-02/BD-09 original)", "decimal degrees", "bad_real, bad_lonlat, swapped_lat_lon, outside_china"},
    {ZN_COL_LONLAT, "TEXT `<name>` (original) + REAL `<name>_lon`, `<name>_lat` (WGS-84)", "one field `lon,lat`", "bad_lonlat, swapped_lat_lon, outside_china"},
    {ZN_COL_ENUM, "TEXT", "exactly one of the listed values", "bad_enum, too_long"},
};

/* Escape '|' for a table cell. */
static zn_status cell(zn_buf *b, const char *s)
{
    zn_status st = ZN_OK;
    for (; s && *s && st == ZN_OK; s++)
        st = (*s == '|') ? zn_buf_puts(b, "\\|") : zn_buf_append(b, s, 1);
    return st;
}

static zn_status column_checks(zn_buf *b, const zn_feed_column *c)
{
    zn_status st = ZN_OK;
    const char *sep = "";
    if (c->has_min && c->has_max)
        st = zn_buf_printf(b, "%g..%g", c->min, c->max), sep = "; ";
    else if (c->has_min)
        st = zn_buf_printf(b, "≥ %g", c->min), sep = "; ";
    else if (c->has_max)
        st = zn_buf_printf(b, "≤ %g", c->max), sep = "; ";
    if (c->max_length && st == ZN_OK)
        st = zn_buf_printf(b, "%s≤ %d chars", sep, c->max_length), sep = "; ";
    if ((c->type == ZN_COL_DATE || c->type == ZN_COL_TIME) && st == ZN_OK)
        st = zn_buf_printf(b, "%s%s", sep, c->not_future ? "not in the future" : "may be in the future"), sep = "; ";
    if (c->nvalues && st == ZN_OK) {
        st = zn_buf_printf(b, "%s", sep);
        for (size_t i = 0; i < c->nvalues && st == ZN_OK; i++) {
            st = zn_buf_printf(b, "%s`", i ? ", " : "");
            if (st == ZN_OK)
                st = cell(b, c->values[i]);
            if (st == ZN_OK)
                st = zn_buf_puts(b, "`");
        }
        sep = "; ";
    }
    if (c->naliases && st == ZN_OK) {
        st = zn_buf_printf(b, "%sheader also: ", sep);
        for (size_t i = 0; i < c->naliases && st == ZN_OK; i++) {
            st = zn_buf_printf(b, "%s`", i ? ", " : "");
            if (st == ZN_OK)
                st = cell(b, c->aliases[i]);
            if (st == ZN_OK)
                st = zn_buf_puts(b, "`");
        }
    }
    return st;
}

#define P(...) do { if ((st = zn_buf_printf(b, __VA_ARGS__)) != ZN_OK) return st; } while (0)

static zn_status feed_md(zn_buf *b, const zn_catalogue *cat, const zn_feed *f)
{
    zn_status st;
    const zn_source_unit *u = zn_catalogue_find_unit(cat, f->source_unit);
    P("### %s — %s\n\n%s\n\n", f->name, f->title_zh, f->description);
    P("- source unit: `%s` (%s)\n- table: `feed_%s`\n- key: ", f->source_unit, u ? u->name_zh : "?", f->name);
    if (f->nkey == 0)
        P("none: the row hash `_row_hash` (a repeated identical row is a duplicate)\n");
    for (size_t i = 0; i < f->nkey; i++)
        P("%s`%s`%s", i ? " + " : "", f->columns[f->key[i]].name, i + 1 == f->nkey ? "\n" : "");
    for (size_t p = 0; p < f->npoints; p++) {
        const zn_feed_point *pt = &f->points[p];
        if (pt->lon == pt->lat)
            P("- coordinates: `%s` (\"lon,lat\", %s)%s\n", f->columns[pt->lon].name, zn_crs_name(pt->crs),
              pt->crs != ZN_CRS_WGS84 ? ", converted to WGS-84" : "");
        else
            P("- coordinates: `%s`, `%s` (%s)%s\n", f->columns[pt->lon].name, f->columns[pt->lat].name,
              zn_crs_name(pt->crs), pt->crs != ZN_CRS_WGS84 ? ", converted to WGS-84, originals in `_orig`" : "");
    }
    for (size_t c = 0; c < f->nchecks; c++)
        P("- row check: `%s`\n", f->checks[c].text);
    for (size_t x = 0; x < f->nindexes; x++) {
        const zn_feed_index *ix = &f->indexes[x];
        P("- index: ");
        for (size_t k = 0; k < ix->ncolumns; k++)
            P("%s`%s`", k ? ", " : "", f->columns[ix->columns[k]].name);
        P(" (`feed_%s_by", f->name);
        for (size_t k = 0; k < ix->ncolumns; k++)
            P("_%s", f->columns[ix->columns[k]].name);
        P("`)\n");
    }
    P("\n| column | 中文 | type | required | checks |\n|---|---|---|---|---|\n");
    for (size_t i = 0; i < f->ncolumns; i++) {
        const zn_feed_column *c = &f->columns[i];
        P("| `%s` | ", c->name);
        if ((st = cell(b, c->title_zh)))
            return st;
        P(" | %s | %s | ", zn_col_type_name(c->type), c->required ? "yes" : "");
        if ((st = column_checks(b, c)))
            return st;
        P(" |\n");
    }
    P("\n");
    return ZN_OK;
}

zn_status zn_catalogue_markdown(const zn_catalogue *cat, zn_buf *b)
{
    zn_status st;
    P("# Feeds (数据目录)\n\n"
      "<!-- Generated by `zhinao feeds --markdown` from data/feeds/catalogue.json: do not edit by hand;\n"
      "     test_hub checks that this file equals that output. -->\n\n"
      "The hub (数据归集) loads %zu feeds (数据类别) from %zu source units (数据源单位). Each feed is a\n"
      "typed table `feed_<name>` in the store with three bookkeeping columns: `_lineage_id` (the file\n"
      "it came from, table `lineage`), `_line` (its line in that file) and `_row_hash` (SHA-256 of\n"
      "its normalised values, hex). A unique index on the natural key (or on `_row_hash` when the\n"
      "feed has no key) makes re-loading idempotent: a row whose key is already stored, or repeated\n"
      "in the file, is counted as a duplicate and not inserted (the first version wins).\n\n",
      zn_catalogue_count(cat), zn_catalogue_unit_count(cat));
    P("## Loading a file\n\n"
      "`zhinao ingest --feed NAME FILE...` reads CSV (header line first) or NDJSON (one JSON object per\n"
      "line, keys = column names), plain or gzip, UTF-8 or GBK/GB18030 (detected, or `--encoding`).\n"
      "Header names are matched to columns by name (ASCII case ignored) or by a listed alias; header\n"
      "columns that are not in the catalogue are ignored and counted. A file whose header lacks a\n"
      "required column is refused. Every row is validated; a bad row goes to table `quarantine` with\n"
      "a reason code (first problem found: columns in order, then coordinates, then row checks; the\n"
      "reason's words also list every other column of the row that fails, e.g. `also 2 other fields:\n"
      "t_end (bad_time); lon (bad_real)`, so the row can be fixed at once) and the rest of the file\n"
      "loads. The file is one transaction: a fatal error (unreadable or empty\n"
      "file, unterminated quote at the end, header without a required column) stores nothing of it.\n"
      "Every file gets a row in table `lineage` (sha256 of its bytes, encoding, counts, status\n"
      "`loaded` or `aborted`). Loading the same file again re-reads it and reports every row as a\n"
      "duplicate. `zhinao quarantine` lists bad rows (ID and mobile numbers masked).\n\n");
    P("## Source units (数据源单位)\n\n| id | 单位 | unit | feeds |\n|---|---|---|---|\n");
    for (size_t i = 0; i < zn_catalogue_unit_count(cat); i++) {
        const zn_source_unit *u = zn_catalogue_unit(cat, i);
        P("| `%s` | %s | %s | ", u->id, u->name_zh, u->name_en);
        int k = 0;
        for (size_t j = 0; j < zn_catalogue_count(cat); j++)
            if (!strcmp(zn_catalogue_feed(cat, j)->source_unit, u->id))
                P("%s%s", k++ ? ", " : "", zn_catalogue_feed(cat, j)->name);
        P(" |\n");
    }
    P("\n## Column types\n\n| type | stored as | accepted input | reason codes |\n|---|---|---|---|\n");
    for (size_t i = 0; i < sizeof type_doc / sizeof type_doc[0]; i++)
        P("| %s | %s | %s | %s |\n", zn_col_type_name(type_doc[i].t), type_doc[i].stored, type_doc[i].input,
          type_doc[i].reasons);
    P("\nAn empty field is NULL; an empty required field is `missing_field`. Key columns are always\n"
      "required. Times and dates are checked against the clock (`future_time`, 10 minutes of\n"
      "tolerance) unless the column says `\"not_future\": false`.\n");
    P("\n## Reason codes (quarantine)\n\n| code | meaning |\n|---|---|\n");
    for (int r = 1; r < ZN__R_COUNT; r++)
        P("| `%s` | %s |\n", zn__reason_code((zn__reason)r), zn__reason_words((zn__reason)r));
    P("\n## Catalogue format\n\n"
      "`data/feeds/catalogue.json` is `{\"source_units\": [...], \"feeds\": [...]}`. A source unit is\n"
      "`{\"id\", \"name_zh\", \"name_en\"}`. A feed is `{\"name\", \"title_zh\", \"source_unit\",\n"
      "\"description\", \"crs\" (wgs84 | gcj02 | bd09, default wgs84), \"key\": [columns], \"columns\": [...],\n"
      "\"checks\": [\"a >= b\", ...], \"points\": [{\"lon\", \"lat\", \"crs\"}], \"indexes\": [[columns], ...]}`;\n"
      "`points` may be left out\n"
      "when the feed has one lon and one lat column. A column is `{\"name\", \"title_zh\", \"type\",\n"
      "\"required\", \"min\", \"max\", \"max_length\", \"not_future\", \"values\" (enum), \"aliases\"}`. Names\n"
      "are snake_case; unknown keys are refused so that a typo cannot silently drop a check.\n"
      "Row checks compare two time, date or number columns with `>=`, `>`, `<=` or `<` and are\n"
      "skipped when either side is empty; a failure is `end_before_start`.\n\n"
      "`indexes` lists the secondary indexes readers need, each an ordered list of columns (not\n"
      "lonlat). The ingest makes each one as `feed_<feed>_by_<col>[_<col>...]` with `CREATE INDEX IF\n"
      "NOT EXISTS`, next to the unique key index and `feed_<feed>_lineage` (on `_lineage_id`). The\n"
      "shipped catalogue declares one per feed on its division column (the first `division_code`\n"
      "column), followed by its day column (the first required date or time column) when it has\n"
      "one: the server counts a feed's rows in an area up to a day (`GET /api/v1/feeds?area=&to=`)\n"
      "from that index alone, a range over the 12-digit code. `population_registry` also has one on\n"
      "`mobile`, and `case_report` one on `resident_id` and one on `mobile`: with the registry's\n"
      "unique key on `resident_id`, they find a person's residence division by ID or mobile number\n"
      "without a scan. A load into an empty table drops these\n"
      "secondary indexes and builds them once after the rows, in the same transaction (an aborted\n"
      "load leaves them as they were); a load into a table with rows keeps them up to date row by\n"
      "row. The store's connection runs the load with a 64 MiB page cache (restored afterwards).\n\n");
    P("## Feeds\n\n| feed | 中文 | source unit | columns | key |\n|---|---|---|---|---|\n");
    for (size_t i = 0; i < zn_catalogue_count(cat); i++) {
        const zn_feed *f = zn_catalogue_feed(cat, i);
        P("| `%s` | %s | %s | %zu | ", f->name, f->title_zh, f->source_unit, f->ncolumns);
        for (size_t k = 0; k < f->nkey; k++)
            P("%s%s", k ? " + " : "", f->columns[f->key[k]].name);
        P("%s |\n", f->nkey ? "" : "(row hash)");
    }
    P("\n");
    for (size_t i = 0; i < zn_catalogue_count(cat); i++)
        if ((st = feed_md(b, cat, zn_catalogue_feed(cat, i))))
            return st;
    return ZN_OK;
}
