/*
 * `zhinao trace`: close and secondary contacts from co-presence (the contact-tracing kernel).
 *
 *   zhinao trace --stays S.csv --index I.csv --out DIR [--min-overlap 600] [--threads N] [--json]
 *       batch mode (../shared/bench/SPEC.md): writes DIR/close_contacts.csv and
 *       DIR/secondary_contacts.csv in the canonical format;
 *   zhinao trace --stays S.csv --case ID --from T0 --to T1 [--min-overlap 600] [--json]
 *       incremental mode: the close contacts of one index case from the prepared index, as CSV
 *       on stdout (index_id,contact_id,first_exposure,place_id).
 *   zhinao trace --proximity EVENTS --index I.csv [--plan plan-9] [--res S] [--threshold S]
 *                [--period S] [--out DIR]
 *       proximity events (t i j): close contacts under the cumulative face-to-face rule
 *       (zn_trace_proximity), CSV on stdout or DIR/proximity_contacts.csv; also with --stays;
 *   zhinao trace --groups G.csv --index I.csv [--out DIR]
 *       static shared groups (households, classes): zn_trace_household per exposure class;
 *   zhinao trace --db DB --plan NAME [--run-label L] [--companions] [--refine] [--venue-dwell S]
 *                [--incremental]
 *       from the store: exposures from the feed tables, results stored (zn_trace_store_run);
 *   zhinao trace export --db DB --run ID [--linelist F] [--contacts F] [--json]
 *       a stored run shaped like epicontacts / Go.Data (zn_trace_store_export / _json).
 */
#include "cli.h"
#include "zhinao/trace.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char USAGE[] =
    "usage: zhinao trace --stays STAYS.csv --index INDEX.csv --out DIR [options]\n"
    "       zhinao trace --stays STAYS.csv --case PERSON --from T0 --to T1 [options]\n"
    "\n"
    "Close contacts (密接) and secondary contacts (次密接) from stays at the same place, with the\n"
    "semantics of the zhinao benchmark (../shared/bench/SPEC.md): a pair of stays counts when it\n"
    "overlaps, clipped to the index case's window, by at least --min-overlap seconds; secondary\n"
    "contacts are counted from the close contact's first exposure to the latest window end of its\n"
    "index cases.\n"
    "\n"
    "input (integers only; times in unix seconds):\n"
    "  --stays FILE        person_id,place_id,t_start,t_end     (t_end exclusive)\n"
    "  --index FILE        person_id,t_from,t_to                (one row per index case)\n"
    "batch mode:\n"
    "  --out DIR           write close_contacts.csv and secondary_contacts.csv (DIR is created)\n"
    "incremental mode (one new index case from the prepared index):\n"
    "  --case PERSON --from T0 --to T1\n"
    "                      print its close contacts as CSV (index_id,contact_id,first_exposure,\n"
    "                      place_id)\n"
    "options:\n"
    "  --min-overlap SEC   minimum overlap of one pair of stays, seconds (default 600, or the plan's)\n"
    "  --plan NAME         a control-plan edition from $ZHINAO_DATA/plans (plan-8, plan-9,\n"
    "                      plan-20measures, plan-10): its minimum overlap, and secondary contacts\n"
    "                      only when it traces them (the index file's windows are used as given)\n"
    "  --threads N         threads (default: one per CPU)\n"
    "  --json              print a JSON summary (counts, seconds per phase) on stdout\n"
    "\n"
    "Stays with t_end <= t_start are skipped and reported on stderr.\n"
    "\n"
    "proximity events (RFID / Bluetooth face-to-face contacts; docs/trace.md, \"Proximity\"):\n"
    "  zhinao trace --proximity EVENTS (--index INDEX.csv | --case P --from T0 --to T1)\n"
    "               [--plan NAME] [--res SEC] [--threshold SEC] [--period SEC] [--out DIR]\n"
    "      EVENTS: lines \"t i j\" (i and j face to face during [t, t + res)), gzip or plain, e.g.\n"
    "      SocioPatterns' tij_*.dat.gz. A pair is a close contact when its merged contact time in\n"
    "      the index case's window, in any --period seconds (0: all of it), reaches --threshold.\n"
    "      Defaults from the plan (default plan-9: WHO 15 min = 900 s, cumulative over any 24 h,\n"
    "      20 s resolution). Output: index_id,contact_id,exposure_class,first_exposure,\n"
    "      last_exposure,contact_seconds,period_max_seconds (class \"proximity\"), on stdout or\n"
    "      in DIR/proximity_contacts.csv; with --stays as well, next to the stay outputs.\n"
    "\n"
    "shared groups (households, school classes, wards: static memberships):\n"
    "  zhinao trace --groups GROUPS.csv --index INDEX.csv [--out DIR]\n"
    "      GROUPS: person_id,group_id,exposure_class (e.g. 7,41,household). Every other member\n"
    "      of an index case's group is a close contact of that class, first exposure = the\n"
    "      window start. Output: index_id,contact_id,exposure_class,group_id,first_exposure on\n"
    "      stdout or in DIR/group_contacts.csv (classes in order of first appearance, each\n"
    "      sorted by index, contact, group).\n"
    "\n"
    "from the store (docs/trace.md, \"From the store\"):\n"
    "  zhinao trace --db DB --plan NAME [--run-label L] [--companions] [--refine]\n"
    "               [--venue-dwell SEC] [--incremental] [--threads N] [--json]\n"
    "      index cases from feed_case_report, exposures from venue scans, the population\n"
    "      registry (households), passenger manifests (seat rules) and, with --companions or a\n"
    "      plan tracing them, telecom grid stays; results stored as a trace run (its id printed).\n"
    "      --venue-dwell: the stay assumed after an entry-only scan (default: the plan's\n"
    "      venue.dwell_s, 3600 s). --incremental: only case reports whose person was no index\n"
    "      case of an earlier run under the same plan (new positives)\n"
    "  zhinao trace export --db DB --run ID [--linelist FILE] [--contacts FILE] [--json]\n"
    "      the run as an epicontacts / Go.Data line list and contacts list (CSV), or JSON on stdout\n";

static int parse_ll(const char *s, long long *out);

static int trace_db(int argc, char **argv)
{
    const char *db = NULL, *plan = NULL, *label = NULL;
    long long dwell = 0, threads = 0;
    int json = 0;
    zn_trace_store_options opt = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--companions")) {
            opt.companions = 1;
        } else if (!strcmp(a, "--refine")) {
            opt.refine = 1;
        } else if (!strcmp(a, "--incremental")) {
            opt.incremental = 1;
        } else if (i + 1 < argc && !strcmp(a, "--db")) {
            db = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--plan")) {
            plan = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--run-label")) {
            label = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--venue-dwell") && !parse_ll(argv[i + 1], &dwell) && dwell > 0) {
            i++;
        } else if (i + 1 < argc && !strcmp(a, "--threads") && !parse_ll(argv[i + 1], &threads) && threads >= 0) {
            i++;
        } else {
            fprintf(stderr, "zhinao trace: bad or unknown option '%s' (see --help)\n", a);
            return 2;
        }
    }
    if (!plan) {
        fprintf(stderr, "zhinao trace: --db needs --plan NAME (see --help)\n");
        return 2;
    }
    opt.label = label;
    opt.venue_dwell_s = dwell;
    opt.threads = (int)threads;
    zn_error err;
    zn_error_clear(&err);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/plans", zn_cli_data_dir());
    zn_trace_plan pl;
    if (zn_trace_plan_find(dir, plan, &pl, &err) != ZN_OK) {
        zn_cli_error(&err);
        return 1;
    }
    zn_ctx *ctx = NULL;
    zn_store *st = NULL;
    if (zn_cli_open(db, &ctx, &st) != 0)
        return 1;
    zn_trace_store_summary sum;
    int rc = 0;
    if (zn_trace_store_run(st, &pl, &opt, &sum, &err) != ZN_OK) {
        zn_cli_error(&err);
        rc = 1;
    } else if (json) {
        printf("{\"run_id\": %lld, \"plan\": \"%s\", \"index_cases\": %lld, \"cases_skipped\": %lld, "
               "\"close_venue\": %lld, \"close_household\": %lld, \"close_cotravel\": %lld, "
               "\"close_distinct\": %lld, \"secondary\": %lld, \"companions\": %lld, "
               "\"venue_stays\": %lld, \"grid_stays\": %lld, \"households\": %lld, \"seats\": %lld, "
               "\"cases_earlier\": %lld, \"general\": %lld}\n",
               (long long)sum.run_id, pl.name, (long long)sum.index_cases, (long long)sum.cases_skipped,
               (long long)sum.close_venue, (long long)sum.close_household, (long long)sum.close_cotravel,
               (long long)sum.close_distinct, (long long)sum.secondary, (long long)sum.companions,
               (long long)sum.venue_stays, (long long)sum.grid_stays, (long long)sum.households,
               (long long)sum.seats, (long long)sum.cases_earlier, (long long)sum.general);
    } else {
        if (opt.incremental)
            printf("incremental: %lld case reports already traced by earlier %s runs left out\n",
                   (long long)sum.cases_earlier, pl.name);
        if (!sum.run_id)
            printf("no new case report to trace: nothing stored\n");
        else
            printf("trace run %lld (%s): index cases %lld (%lld skipped); close contacts: venue %lld, household %lld, "
                   "cotravel %lld (%lld distinct); secondary %lld; companions %lld; general %lld\n"
                   "exposures: venue stays %lld, grid stays %lld, households %lld, seats %lld\n",
                   (long long)sum.run_id, pl.name, (long long)sum.index_cases, (long long)sum.cases_skipped,
                   (long long)sum.close_venue, (long long)sum.close_household, (long long)sum.close_cotravel,
                   (long long)sum.close_distinct, (long long)sum.secondary, (long long)sum.companions,
                   (long long)sum.general, (long long)sum.venue_stays, (long long)sum.grid_stays,
                   (long long)sum.households, (long long)sum.seats);
    }
    zn_cli_close(ctx, st);
    return rc;
}

static int trace_export(int argc, char **argv)
{
    const char *db = NULL, *ll = NULL, *ct = NULL;
    long long run = -1;
    int json = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json")) {
            json = 1;
        } else if (i + 1 < argc && !strcmp(a, "--db")) {
            db = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--linelist")) {
            ll = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--contacts")) {
            ct = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--run") && !parse_ll(argv[i + 1], &run)) {
            i++;
        } else {
            fprintf(stderr, "zhinao trace export: bad or unknown option '%s' (see --help)\n", a);
            return 2;
        }
    }
    if (run < 0 || (!ll && !ct && !json)) {
        fprintf(stderr, "zhinao trace export: needs --run ID and --linelist, --contacts or --json\n");
        return 2;
    }
    zn_ctx *ctx = NULL;
    zn_store *st = NULL;
    if (zn_cli_open(db, &ctx, &st) != 0)
        return 1;
    zn_error err;
    zn_error_clear(&err);
    int rc = 0;
    if ((ll || ct) && zn_trace_store_export(st, run, ll, ct, &err) != ZN_OK) {
        zn_cli_error(&err);
        rc = 1;
    }
    if (rc == 0 && json) {
        zn_buf b = {0};
        if (zn_trace_store_json(st, run, &b, &err) != ZN_OK) {
            zn_cli_error(&err);
            rc = 1;
        } else {
            fwrite(b.data, 1, b.len, stdout);
        }
        zn_buf_fini(&b);
    }
    zn_cli_close(ctx, st);
    return rc;
}

static int parse_i64(const char *s, long long *out);
static int parse_ll(const char *s, long long *out)
{
    return parse_i64(s, out);
}

static int parse_i64(const char *s, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *out = v;
    return 0;
}

typedef struct trace_opts {
    const char *stays, *index, *out, *plan, *proximity, *groups;
    long long min_overlap, threads, person, from, to, res, threshold, period;
    int have_case, have_from, have_to, json, have_min, have_res, have_threshold, have_period;
} trace_opts;

static int parse_args(int argc, char **argv, trace_opts *o)
{
    memset(o, 0, sizeof *o);
    o->min_overlap = 600;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json")) {
            o->json = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "zhinao trace: '%s' %s (see --help)\n", a,
                    a[0] == '-' ? "needs a value or is unknown" : "is not an option");
            return 2;
        }
        const char *v = argv[++i];
        long long *num = NULL;
        if (!strcmp(a, "--stays")) o->stays = v;
        else if (!strcmp(a, "--index")) o->index = v;
        else if (!strcmp(a, "--out")) o->out = v;
        else if (!strcmp(a, "--plan")) o->plan = v;
        else if (!strcmp(a, "--proximity")) o->proximity = v;
        else if (!strcmp(a, "--groups")) o->groups = v;
        else if (!strcmp(a, "--res")) { num = &o->res; o->have_res = 1; }
        else if (!strcmp(a, "--threshold")) { num = &o->threshold; o->have_threshold = 1; }
        else if (!strcmp(a, "--period")) { num = &o->period; o->have_period = 1; }
        else if (!strcmp(a, "--min-overlap")) { num = &o->min_overlap; o->have_min = 1; }
        else if (!strcmp(a, "--threads")) num = &o->threads;
        else if (!strcmp(a, "--case")) { num = &o->person; o->have_case = 1; }
        else if (!strcmp(a, "--from")) { num = &o->from; o->have_from = 1; }
        else if (!strcmp(a, "--to")) { num = &o->to; o->have_to = 1; }
        else {
            fprintf(stderr, "zhinao trace: unknown option '%s' (see --help)\n", a);
            return 2;
        }
        if (num && parse_i64(v, num) != 0) {
            fprintf(stderr, "zhinao trace: %s needs an integer, got '%s'\n", a, v);
            return 2;
        }
    }
    if (!o->stays && !o->proximity && !o->groups) {
        fprintf(stderr, "zhinao trace: --stays, --proximity or --groups is required (see --help)\n");
        return 2;
    }
    if (o->groups && (o->stays || o->proximity || !o->index || o->have_case)) {
        fprintf(stderr, "zhinao trace: --groups needs --index, and no --stays, --proximity or --case\n");
        return 2;
    }
    if (o->groups)
        return 0;
    if ((o->have_res && o->res < 1) || (o->have_threshold && o->threshold < 1) ||
        (o->have_period && o->period < 0)) {
        fprintf(stderr, "zhinao trace: --res and --threshold must be >= 1, --period >= 0\n");
        return 2;
    }
    if (!o->stays) {
        if (o->have_case ? (!o->have_from || !o->have_to || o->index) : !o->index) {
            fprintf(stderr, "zhinao trace: --proximity needs --index, or --case with --from and --to\n");
            return 2;
        }
        return 0;
    }
    if (o->min_overlap < 1 || o->threads < 0) {
        fprintf(stderr, "zhinao trace: --min-overlap must be >= 1 and --threads >= 0\n");
        return 2;
    }
    if (o->have_case) {
        if (!o->have_from || !o->have_to || o->index || o->out) {
            fprintf(stderr, "zhinao trace: --case needs --from and --to, and no --index/--out\n");
            return 2;
        }
    } else if (!o->index || !o->out) {
        fprintf(stderr, "zhinao trace: batch mode needs --index and --out (see --help)\n");
        return 2;
    }
    return 0;
}

/* mkdir -p: 0 when dir exists (or was made) as a directory. */
static int mkdir_p(const char *dir)
{
    char p[4096];
    snprintf(p, sizeof p, "%s", dir);
    for (char *c = p + 1; *c; c++) {
        if (*c != '/')
            continue;
        *c = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            return -1;
        *c = '/';
    }
    if (mkdir(p, 0777) != 0 && errno != EEXIST)
        return -1;
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode) ? 0 : -1;
}

static void report_rejected(const zn_trace_build_stats *bs, const char *path)
{
    if (bs->rejected)
        fprintf(stderr, "zhinao trace: %s: skipped %llu stays with t_end <= t_start (first at line %ld)\n",
                path, (unsigned long long)bs->rejected, bs->first_rejected_line);
}

static json_t *build_json(const zn_trace_build_stats *bs)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:i}", "rows", (json_int_t)bs->rows, "stays",
                     (json_int_t)bs->kept, "rejected", (json_int_t)bs->rejected, "persons",
                     (json_int_t)bs->persons, "places", (json_int_t)bs->places, "index_bytes",
                     (json_int_t)bs->bytes, "threads", bs->threads);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The plan (--plan or plan-9) into *pl; 0 on success. */
static int load_plan(const char *name, zn_trace_plan *pl)
{
    char dir[4096];
    zn_error err;
    zn_error_clear(&err);
    snprintf(dir, sizeof dir, "%s/plans", zn_cli_data_dir());
    if (zn_trace_plan_find(dir, name ? name : "plan-9", pl, &err) != ZN_OK) {
        zn_cli_error(&err);
        return 1;
    }
    return 0;
}

/* One membership of a shared group (--groups). */
typedef struct gmember {
    int64_t person, group;
    int cls; /* index into the class names */
} gmember;

/*
 * Shared-group close contacts (--groups FILE: person_id,group_id,exposure_class): every other
 * member of each index case's groups, per class (household, class, ward, ...), through
 * zn_trace_household (the same rule: a static group, first exposure = the window start).
 * Output: index_id,contact_id,exposure_class,group_id,first_exposure.
 */
static int run_groups(const trace_opts *o, const zn_trace_case *cases, size_t ncases)
{
    FILE *f = fopen(o->groups, "r");
    if (!f) {
        fprintf(stderr, "zhinao trace: %s: %s\n", o->groups, strerror(errno));
        return 1;
    }
    char line[512], names[16][32];
    int nnames = 0, rc = 0;
    gmember *m = NULL;
    size_t n = 0, cap = 0;
    long lineno = 1;
    if (!fgets(line, sizeof line, f) || strncmp(line, "person_id,group_id,exposure_class", 33) != 0) {
        fprintf(stderr, "zhinao trace: %s:1: header must be person_id,group_id,exposure_class\n", o->groups);
        fclose(f);
        return 1;
    }
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0])
            continue;
        char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        long long p, g;
        if (!c2) {
            fprintf(stderr, "zhinao trace: %s:%ld: expected person_id,group_id,exposure_class\n", o->groups, lineno);
            rc = 1;
            break;
        }
        *c1 = *c2 = '\0';
        const char *cls = c2 + 1;
        size_t cl = strlen(cls);
        if (parse_i64(line, &p) || parse_i64(c1 + 1, &g) || cl == 0 || cl >= sizeof names[0] ||
            strspn(cls, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != cl) {
            fprintf(stderr, "zhinao trace: %s:%ld: integers person_id, group_id and a class name "
                    "([A-Za-z0-9_-], at most 31 bytes)\n", o->groups, lineno);
            rc = 1;
            break;
        }
        int k = 0;
        while (k < nnames && strcmp(names[k], cls))
            k++;
        if (k == nnames) {
            if (nnames == 16) {
                fprintf(stderr, "zhinao trace: %s:%ld: more than 16 exposure classes\n", o->groups, lineno);
                rc = 1;
                break;
            }
            snprintf(names[nnames++], sizeof names[0], "%s", cls);
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            gmember *nm = realloc(m, cap * sizeof *nm);
            if (!nm) {
                fprintf(stderr, "zhinao trace: out of memory\n");
                rc = 1;
                break;
            }
            m = nm;
        }
        m[n++] = (gmember){p, g, k};
    }
    fclose(f);
    zn_trace_member *mm = rc ? NULL : malloc((n ? n : 1) * sizeof *mm);
    if (!rc && !mm) {
        fprintf(stderr, "zhinao trace: out of memory\n");
        rc = 1;
    }
    FILE *out = stdout;
    char path[4096];
    if (!rc && o->out) {
        snprintf(path, sizeof path, "%s/group_contacts.csv", o->out);
        if (mkdir_p(o->out) != 0 || !(out = fopen(path, "w"))) {
            fprintf(stderr, "zhinao trace: cannot write %s: %s\n", path, strerror(errno));
            out = stdout;
            rc = 1;
        }
    }
    size_t total = 0;
    if (!rc)
        fprintf(out, "index_id,contact_id,exposure_class,group_id,first_exposure\n");
    for (int k = 0; !rc && k < nnames; k++) {
        size_t nm = 0;
        for (size_t i = 0; i < n; i++)
            if (m[i].cls == k)
                mm[nm++] = (zn_trace_member){m[i].person, m[i].group};
        zn_trace_pair *pr = NULL;
        size_t np = 0;
        zn_error err;
        if (zn_trace_household(mm, nm, cases, ncases, &pr, &np, &err) != ZN_OK) {
            zn_cli_error(&err);
            rc = 1;
            break;
        }
        for (size_t i = 0; i < np; i++)
            fprintf(out, "%lld,%lld,%s,%lld,%lld\n", (long long)pr[i].index_id, (long long)pr[i].contact_id,
                    names[k], (long long)pr[i].via, (long long)pr[i].exposure);
        fprintf(stderr, "zhinao trace: %s: %zu memberships, %zu close-contact rows\n", names[k], nm, np);
        total += np;
        free(pr);
    }
    if (out != stdout && fclose(out) != 0) {
        fprintf(stderr, "zhinao trace: cannot write %s\n", path);
        rc = 1;
    }
    if (!rc && o->out)
        printf("groups: %zu memberships, %d classes; index cases %zu; close contacts %zu rows\n", n, nnames,
               ncases, total);
    free(mm);
    free(m);
    return rc;
}

/* Proximity close contacts of the index cases (or the one --case) from o->proximity. */
static int run_proximity(const trace_opts *o, const zn_trace_case *cases, size_t ncases)
{
    zn_trace_plan pl;
    if (load_plan(o->plan, &pl))
        return 1;
    zn_trace_prox_rule rule = zn_trace_plan_prox_rule(&pl);
    if (o->have_res)
        rule.resolution_s = o->res;
    if (o->have_threshold)
        rule.threshold_s = o->threshold;
    if (o->have_period)
        rule.period_s = o->period;
    zn_trace_case one = {o->person, o->from, o->to};
    if (o->have_case) {
        cases = &one;
        ncases = 1;
    }
    if (!pl.trace_close) { /* plan-10: no close contacts are determined at all */
        fprintf(stderr, "zhinao trace: plan %s determines no close contacts: no proximity contacts\n", pl.name);
        ncases = 0;
    }
    zn_error err;
    zn_error_clear(&err);
    zn_trace_event *ev = NULL;
    size_t nev = 0;
    zn_trace_prox *rows = NULL;
    size_t n = 0;
    double t0 = zn_trace_clock();
    if (zn_trace_events_load(o->proximity, &ev, &nev, &err) != ZN_OK) {
        zn_cli_error(&err);
        return 1;
    }
    double t1 = zn_trace_clock();
    if (zn_trace_proximity(ev, nev, &rule, cases, ncases, &rows, &n, &err) != ZN_OK) {
        zn_cli_error(&err);
        free(ev);
        return 1;
    }
    double t2 = zn_trace_clock();
    free(ev);
    FILE *f = stdout;
    char path[4096];
    if (o->out) {
        snprintf(path, sizeof path, "%s/proximity_contacts.csv", o->out);
        if (mkdir_p(o->out) != 0 || !(f = fopen(path, "w"))) {
            fprintf(stderr, "zhinao trace: cannot write %s: %s\n", path, strerror(errno));
            free(rows);
            return 1;
        }
    }
    fprintf(f, "index_id,contact_id,exposure_class,first_exposure,last_exposure,contact_seconds,"
               "period_max_seconds\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%lld,%lld,proximity,%lld,%lld,%lld,%lld\n", (long long)rows[i].index_id,
                (long long)rows[i].contact_id, (long long)rows[i].first_exposure,
                (long long)rows[i].last_exposure, (long long)rows[i].contact_s, (long long)rows[i].period_max_s);
    int rc = 0;
    if (f != stdout && fclose(f) != 0) {
        fprintf(stderr, "zhinao trace: cannot write %s\n", path);
        rc = 1;
    }
    size_t distinct = 0;
    int64_t *ids = malloc((n ? n : 1) * sizeof *ids);
    if (ids) {
        for (size_t i = 0; i < n; i++)
            ids[i] = rows[i].contact_id;
        qsort(ids, n, sizeof *ids, cmp_i64);
        for (size_t i = 0; i < n; i++)
            distinct += i == 0 || ids[i] != ids[i - 1];
        free(ids);
    }
    fprintf(o->out ? stdout : stderr,
            "proximity (%s: threshold %lld s, resolution %lld s, period %lld s): events %zu, index cases %zu, "
            "close contacts %zu rows (%zu distinct); seconds: read %.3f, query %.3f\n",
            pl.name, (long long)rule.threshold_s, (long long)rule.resolution_s, (long long)rule.period_s, nev,
            ncases, n, distinct, t1 - t0, t2 - t1);
    free(rows);
    return rc;
}

static int run_case(const trace_opts *o, zn_trace_index *ix)
{
    zn_error err;
    zn_trace_close *rows = NULL;
    size_t n = 0;
    double t0 = zn_trace_clock();
    if (zn_trace_close_one(ix, o->person, o->from, o->to, o->min_overlap, &rows, &n, &err) != ZN_OK) {
        zn_cli_error(&err);
        return 1;
    }
    double dt = zn_trace_clock() - t0;
    const zn_trace_build_stats *bs = zn_trace_index_stats(ix);
    if (o->json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, json_pack("{s:I,s:I,s:I}", "contact_id", (json_int_t)rows[i].contact_id,
                                                 "first_exposure", (json_int_t)rows[i].first_exposure,
                                                 "place_id", (json_int_t)rows[i].place));
        json_t *root = json_pack("{s:I,s:I,s:I,s:I,s:o,s:o,s:{s:f,s:f,s:f}}", "index_id", (json_int_t)o->person,
                                 "t_from", (json_int_t)o->from, "t_to", (json_int_t)o->to, "min_overlap",
                                 (json_int_t)o->min_overlap, "index", build_json(bs), "close_contacts", arr,
                                 "seconds", "parse", bs->parse_s, "build", bs->build_s, "query", dt);
        char *s = json_dumps(root, JSON_INDENT(2));
        if (s)
            puts(s);
        free(s);
        json_decref(root);
    } else {
        printf("index_id,contact_id,first_exposure,place_id\n");
        for (size_t i = 0; i < n; i++)
            printf("%lld,%lld,%lld,%lld\n", (long long)rows[i].index_id, (long long)rows[i].contact_id,
                   (long long)rows[i].first_exposure, (long long)rows[i].place);
        fprintf(stderr, "zhinao trace: %zu close contacts in %.3f ms (index built in %.3f s)\n", n,
                dt * 1e3, bs->parse_s + bs->build_s);
    }
    free(rows);
    return 0;
}

int zn_cmd_trace(int argc, char **argv)
{
    if (zn_cli_wants_help(argc, argv)) {
        fputs(USAGE, stdout);
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "export"))
        return trace_export(argc, argv);
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--db"))
            return trace_db(argc, argv);
    trace_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc;
    zn_error err;
    zn_error_clear(&err);
    double t_start = zn_trace_clock();
    zn_trace_case *cases = NULL;
    size_t ncases = 0;
    if (o.index && zn_trace_cases_load_csv(o.index, &cases, &ncases, &err) != ZN_OK) {
        zn_cli_error(&err);
        return 1;
    }
    if (o.groups) {
        rc = run_groups(&o, cases, ncases);
        free(cases);
        return rc;
    }
    if (!o.stays) {
        rc = run_proximity(&o, cases, ncases);
        free(cases);
        return rc;
    }
    zn_trace_index *ix = NULL;
    if (zn_trace_index_load_csv(o.stays, (int)o.threads, &ix, &err) != ZN_OK) {
        zn_cli_error(&err);
        free(cases);
        return 1;
    }
    const zn_trace_build_stats *bs = zn_trace_index_stats(ix);
    report_rejected(bs, o.stays);
    double t_loaded = zn_trace_clock();
    if (o.have_case) {
        rc = run_case(&o, ix);
        zn_trace_index_free(ix);
        if (rc == 0 && o.proximity)
            rc = run_proximity(&o, NULL, 0);
        return rc;
    }

    zn_trace_result res;
    zn_status rst;
    if (o.plan) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/plans", zn_cli_data_dir());
        zn_trace_plan plan;
        if (zn_trace_plan_find(dir, o.plan, &plan, &err) != ZN_OK) {
            zn_cli_error(&err);
            zn_trace_index_free(ix);
            free(cases);
            return 1;
        }
        if (o.have_min)
            plan.min_overlap_s = o.min_overlap;
        o.min_overlap = plan.min_overlap_s;
        rst = zn_trace_run_plan(ix, &plan, cases, ncases, (int)o.threads, &res, &err);
    } else {
        rst = zn_trace_run(ix, cases, ncases, o.min_overlap, (int)o.threads, &res, &err);
    }
    if (rst != ZN_OK) {
        zn_cli_error(&err);
        zn_trace_index_free(ix);
        free(cases);
        return 1;
    }
    double t_queried = zn_trace_clock();
    if (mkdir_p(o.out) != 0) {
        fprintf(stderr, "zhinao trace: cannot create %s: %s\n", o.out, strerror(errno));
        rc = 1;
    } else if (zn_trace_write_csv(&res, o.out, &err) != ZN_OK) {
        zn_cli_error(&err);
        rc = 1;
    }
    double t_end = zn_trace_clock();
    if (rc == 0 && o.json) {
        json_t *root = json_pack(
            "{s:I,s:o,s:{s:I,s:I,s:I,s:I,s:I},s:{s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f}}", "min_overlap",
            (json_int_t)o.min_overlap, "index", build_json(bs), "counts", "index_cases", (json_int_t)ncases,
            "index_cases_without_stays", (json_int_t)res.cases_without_stays, "close_contacts",
            (json_int_t)res.nclose, "close_contacts_distinct", (json_int_t)res.nclose_distinct,
            "secondary_contacts", (json_int_t)res.nsecondary, "seconds", "parse", bs->parse_s, "build",
            bs->build_s, "load", t_loaded - t_start, "close", res.close_s, "secondary", res.secondary_s,
            "query", t_queried - t_loaded, "write", t_end - t_queried, "total", t_end - t_start);
        char *s = json_dumps(root, JSON_INDENT(2));
        if (s)
            puts(s);
        free(s);
        json_decref(root);
    } else if (rc == 0) {
        printf("stays %llu (%llu rejected), persons %llu, places %llu; index cases %zu (%zu without stays)\n"
               "close contacts %zu rows (%zu distinct), secondary contacts %zu\n"
               "seconds: load %.3f (parse %.3f, build %.3f), query %.3f (close %.3f, secondary %.3f), "
               "write %.3f, total %.3f\n",
               (unsigned long long)bs->kept, (unsigned long long)bs->rejected,
               (unsigned long long)bs->persons, (unsigned long long)bs->places, ncases,
               res.cases_without_stays, res.nclose, res.nclose_distinct, res.nsecondary,
               t_loaded - t_start, bs->parse_s, bs->build_s, t_queried - t_loaded, res.close_s,
               res.secondary_s, t_end - t_queried, t_end - t_start);
    }
    zn_trace_result_fini(&res);
    zn_trace_index_free(ix);
    if (rc == 0 && o.proximity)
        rc = run_proximity(&o, cases, ncases);
    free(cases);
    return rc;
}
