/* `zhinao tasks`: the closed loop of command (指令闭环) from the command line. */
#include "cli.h"

#include "zhinao/loop.h"
#include "zhinao/time.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sub {
    const char *name;
    const char *args;
    const char *help;
} sub;

static const sub subs[] = {
    {"issue", "--template ID (--reason TEXT | --instruction N) [where | whom] [options]",
     "Issue (下发) a task of a template. An instruction is created from --reason/--issuer/--issuer-unit/\n"
     "--link unless --instruction N reuses one. Where: --division CODE [--place KEY] | --grid ID (routed to\n"
     "the grid or community; outside the --issuer-unit's city it becomes a transfer, 协查). Whom:\n"
     "--assignee-kind division|grid|team|person --assignee ID [--division CODE].\n"
     "Options: --issuer WHO (default cli), --issuer-unit CODE, --link KIND:REF (repeat), --subject REF,\n"
     "--subject-kind KIND, --title TEXT, --actor WHO (default the issuer), --json."},
    {"list", "[--assignee ID] [--grid ID] [--division PREFIX] [--template ID] [--open] [--overdue] [--limit N] [--json]",
     "List tasks, oldest first. --open: not closed, cancelled or transferred; --overdue: open and past the\n"
     "deadline."},
    {"show", "ID [--json]", "One task: its fields, history, clock ledger and fired escalation rungs."},
    {"receive", "ID --actor WHO [--note TEXT]", "签收: the assignee receives the task."},
    {"start", "ID --actor WHO [--note TEXT]", "处置: work starts (also after a return)."},
    {"report", "ID --actor WHO [--note TEXT] [--evidence TEXT] [--file PATH | --sha256 HEX]",
     "反馈: report back, with evidence (the sha256 of --file is recorded)."},
    {"verify", "ID --actor WHO [--note TEXT] [--evidence TEXT] [--file PATH]", "核查: the report is verified."},
    {"return", "ID --actor WHO --note REASON", "退回: the report (or a transfer) is sent back for rework."},
    {"close", "ID --actor WHO [--note TEXT]", "销号: close a verified task."},
    {"cancel", "ID --actor WHO --note REASON", "撤销: cancel a task."},
    {"reassign", "ID --assignee-kind KIND --assignee ID [--division CODE] --actor WHO", "改派: give it to another unit."},
    {"transfer", "ID (--division CODE [--place KEY] | --grid ID) --actor WHO [--note TEXT] [--json]",
     "协查: hand the task to the unit responsible for another place; a linked task with its own clock."},
    {"suspend", "ID --actor WHO --note REASON", "Stop the task's clock (suspension ledger)."},
    {"resume", "ID --actor WHO --note REASON", "Start the task's clock again."},
    {"extend", "ID (--hours H | --days N) --approver WHO [--ref DOC] --actor WHO --note REASON",
     "Extend the budget with an approval record: hours for an hours budget, working days otherwise."},
    {"tick", "[--json]", "Fire every due escalation rung (warning, overdue, supervision 督办) once."},
    {"stats", "[--from TIME] [--to TIME] [--division PREFIX] [--level L] [--by-template] [--template ID] [--json]",
     "On-time rate, median and p90 time to close, backlog and overdue counts over [from, to) (default:\n"
     "everything until now). --level: province|city|county|township|village|grid (or 1..6) groups by the\n"
     "division code prefix."},
    {"grid", "put ID --community CODE --name NAME [--worker WHO] | place ID KEY",
     "Add a grid (网格) of a community, or say a compound/building KEY is in grid ID (routing)."},
    {"templates", "[--json]", "The task templates loaded from $ZHINAO_DATA/templates."},
    {"simulate", "--day YYYY-MM-DD [--days N] [--close-share 0.8] [--seed 1] [--json]",
     "A simulated day of field work (--days N: N days from --day, one after the other; the seed of\n"
     "day i is seed + i): a seeded share of the open tasks is received, started, reported\n"
     "(with a note), verified and closed at times within the day (grid worker, then the unit's command);\n"
     "the rest stay open. The escalation timer runs before each move and at 24:00, so late tasks\n"
     "escalate. Prints the counts and the metrics of all tasks at the end of the day."},
    {"from-trace", "[--run N] [--issuer WHO] [--issuer-unit CODE] [--json]",
     "The close contacts of trace run N (default the latest) become quarantine-transfer tasks: one\n"
     "instruction for the run, one contact.new event per distinct contact, routed to the contact's\n"
     "residence division in feed_population_registry (another city than --issuer-unit: 协查).\n"
     "Contacts not in the registry are counted as unrouted. Running it again issues nothing new."},
    {"from-zones", "--rules NAME --date YYYY-MM-DD [--issuer WHO] [--issuer-unit CODE] [--json]",
     "Units of the zone run of NAME serving --issuer-unit (else the latest run of NAME) that enter\n"
     "the highest level (sealed / high) on DATE become zone.sealed events (seal the unit, test\n"
     "everyone), routed to the unit's township (else county). Running it again issues nothing new."},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: zhinao tasks <subcommand> [options] [--db PATH] [--now TIME]\n\n"
               "The closed loop of command: instructions become tasks for the responsible units, which\n"
               "receive, handle and report back; command verifies and closes; late tasks escalate.\n\n");
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        fprintf(f, "  %-10s %s\n", subs[i].name, subs[i].args);
    fprintf(f, "\n--db PATH: the store (default $ZHINAO_DB or zhinao.db). --now TIME: use TIME as the clock\n"
               "(ISO 8601 or YYYY-MM-DD HH:MM, local +08:00). zhinao tasks <subcommand> --help for details.\n");
}

/* ---- options ---- */

#define MAX_LINKS 16

typedef struct opts {
    const char *db, *now, *actor, *note, *evidence, *file, *sha256;
    const char *template_id, *reason, *issuer, *issuer_unit, *division, *place, *grid, *assignee_kind, *assignee;
    const char *subject, *subject_kind, *title, *approver, *ref, *from, *to, *level, *community, *name, *worker;
    const char *hours, *days, *limit, *instruction;
    const char *day, *close_share, *seed;
    const char *run, *rules, *date;
    zn_loop_link links[MAX_LINKS];
    char link_buf[MAX_LINKS][128];
    size_t nlinks;
    int json, open, overdue, by_template;
    const char *pos[4];
    int npos;
} opts;

/* Options of argv[1..]; argv[0] is the subcommand. Positionals go to pos[1..3]. */
static int parse(int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof *o);
    o->npos = 1;
    struct {
        const char *name;
        const char **dst;
    } val[] = {
        {"--db", &o->db}, {"--now", &o->now}, {"--actor", &o->actor}, {"--note", &o->note},
        {"--evidence", &o->evidence}, {"--file", &o->file}, {"--sha256", &o->sha256}, {"--template", &o->template_id},
        {"--reason", &o->reason}, {"--issuer", &o->issuer}, {"--issuer-unit", &o->issuer_unit},
        {"--division", &o->division}, {"--place", &o->place}, {"--grid", &o->grid},
        {"--assignee-kind", &o->assignee_kind}, {"--assignee", &o->assignee}, {"--subject", &o->subject},
        {"--subject-kind", &o->subject_kind}, {"--title", &o->title}, {"--approver", &o->approver}, {"--ref", &o->ref},
        {"--from", &o->from}, {"--to", &o->to}, {"--level", &o->level}, {"--community", &o->community},
        {"--name", &o->name}, {"--worker", &o->worker}, {"--hours", &o->hours}, {"--days", &o->days},
        {"--limit", &o->limit}, {"--instruction", &o->instruction},
        {"--day", &o->day}, {"--close-share", &o->close_share}, {"--seed", &o->seed},
        {"--run", &o->run}, {"--rules", &o->rules}, {"--date", &o->date},
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int done = 0;
        for (size_t k = 0; k < sizeof val / sizeof val[0] && !done; k++)
            if (!strcmp(a, val[k].name)) {
                if (i + 1 >= argc) {
                    fprintf(stderr, "zhinao tasks: %s needs a value\n", a);
                    return 2;
                }
                *val[k].dst = argv[++i];
                done = 1;
            }
        if (done)
            continue;
        if (!strcmp(a, "--json")) o->json = 1;
        else if (!strcmp(a, "--open")) o->open = 1;
        else if (!strcmp(a, "--overdue")) o->overdue = 1;
        else if (!strcmp(a, "--by-template")) o->by_template = 1;
        else if (!strcmp(a, "--link")) {
            if (i + 1 >= argc || o->nlinks == MAX_LINKS) {
                fprintf(stderr, "zhinao tasks: --link KIND:REF (at most %d)\n", MAX_LINKS);
                return 2;
            }
            const char *v = argv[++i];
            const char *c = strchr(v, ':');
            if (!c || c == v || !c[1] || strlen(v) >= sizeof o->link_buf[0]) {
                fprintf(stderr, "zhinao tasks: --link '%s': expected KIND:REF\n", v);
                return 2;
            }
            char *b = o->link_buf[o->nlinks];
            snprintf(b, sizeof o->link_buf[0], "%s", v);
            b[c - v] = '\0';
            o->links[o->nlinks].kind = b;
            o->links[o->nlinks].ref = b + (c - v) + 1;
            o->nlinks++;
        } else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "zhinao tasks: unknown option %s\n", a);
            return 2;
        } else if (o->npos < 4)
            o->pos[o->npos++] = a;
        else {
            fprintf(stderr, "zhinao tasks: too many arguments\n");
            return 2;
        }
    }
    return 0;
}

static int parse_time(zn_ctx *ctx, const char *s, const char *what, int64_t *out)
{
    zn_error err;
    if (zn_time_parse(s, zn_ctx_tz_offset(ctx), out, NULL, &err) != ZN_OK) {
        fprintf(stderr, "zhinao tasks: %s '%s': %s\n", what, s, err.msg);
        return 2;
    }
    return 0;
}

static int parse_id(const char *s, int64_t *id)
{
    char *end;
    long long v = s ? strtoll(s, &end, 10) : 0;
    if (!s || *end || v <= 0) {
        fprintf(stderr, "zhinao tasks: expected a task id, got '%s'\n", s ? s : "");
        return 2;
    }
    *id = v;
    return 0;
}

static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s)
        printf("%s\n", s);
    free(s);
    json_decref(j);
}

static const char *iso(zn_ctx *ctx, int64_t t, char *buf, size_t n)
{
    if (t == ZN_CLOCK_STOPPED)
        return "stopped";
    if (t == 0)
        return "-";
    return zn_time_format_iso(t, zn_ctx_tz_offset(ctx), buf, n);
}

static json_t *jtime(zn_ctx *ctx, int64_t t)
{
    char b[40];
    if (t == ZN_CLOCK_STOPPED || t == 0)
        return json_null();
    return json_string(zn_time_format_iso(t, zn_ctx_tz_offset(ctx), b, sizeof b));
}

static json_t *task_json(zn_ctx *ctx, const zn_loop_task *t)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(t->id));
    json_object_set_new(o, "instruction", json_integer(t->instruction_id));
    json_object_set_new(o, "parent", t->parent_id ? json_integer(t->parent_id) : json_null());
    json_object_set_new(o, "transferred_to", t->transferred_to ? json_integer(t->transferred_to) : json_null());
    json_object_set_new(o, "template", json_string(t->template_id));
    json_object_set_new(o, "title", json_string(t->title));
    json_object_set_new(o, "subject_kind", json_string(t->subject_kind));
    json_object_set_new(o, "subject", json_string(t->subject_ref));
    json_object_set_new(o, "assignee_kind", json_string(t->assignee_kind));
    json_object_set_new(o, "assignee", json_string(t->assignee));
    json_object_set_new(o, "division", json_string(t->division_code));
    json_object_set_new(o, "grid", json_string(t->grid_id));
    json_object_set_new(o, "state", json_string(zn_task_state_name(t->state)));
    json_object_set_new(o, "budget_unit", json_string(zn_budget_unit_name(t->unit)));
    json_object_set_new(o, "budget", json_integer(t->budget));
    json_object_set_new(o, "extension", json_integer(t->extension));
    json_object_set_new(o, "suspended", json_boolean(t->suspended));
    json_object_set_new(o, "created_at", jtime(ctx, t->created_at));
    json_object_set_new(o, "deadline", jtime(ctx, t->deadline));
    json_object_set_new(o, "done_at", jtime(ctx, t->done_at));
    json_object_set_new(o, "ended_at", jtime(ctx, t->ended_at));
    return o;
}

/* ---- subcommands ---- */

typedef struct env {
    zn_ctx *ctx;
    zn_store *st;
    zn_loop *lp;
} env;

static int fail(const zn_error *err)
{
    zn_cli_error(err);
    return 1;
}

static zn_loop_act act_of(const opts *o)
{
    zn_loop_act a = {.actor = o->actor, .note = o->note, .evidence = o->evidence, .evidence_file = o->file,
                     .evidence_sha256 = o->sha256};
    return a;
}

static int do_issue(env *e, opts *o)
{
    if (!o->template_id || (!o->reason && !o->instruction)) {
        fprintf(stderr, "zhinao tasks issue: needs --template and --reason (or --instruction N)\n");
        return 2;
    }
    zn_error err;
    int64_t instr = 0;
    if (o->instruction) {
        if (parse_id(o->instruction, &instr))
            return 2;
    } else {
        zn_loop_instruction in = {.issuer = o->issuer ? o->issuer : "cli", .issuer_unit = o->issuer_unit,
                                  .reason = o->reason, .links = o->links, .nlinks = o->nlinks};
        if (zn_loop_instruct(e->lp, &in, &instr, &err) != ZN_OK)
            return fail(&err);
    }
    zn_loop_task_spec sp = {.instruction_id = instr,
                            .template_id = o->template_id,
                            .subject_kind = o->subject_kind,
                            .subject_ref = o->subject,
                            .title = o->title,
                            .where = {o->division, o->place, o->grid},
                            .assignee_kind = o->assignee_kind,
                            .assignee = o->assignee,
                            .division_code = o->division};
    zn_loop_act a = act_of(o);
    if (!a.actor)
        a.actor = o->issuer ? o->issuer : "cli";
    int64_t id, tr;
    if (zn_loop_issue(e->lp, &sp, &a, &id, &tr, &err) != ZN_OK)
        return fail(&err);
    zn_loop_task t, c;
    if (zn_loop_task_get(e->lp, tr ? tr : id, &t, &err) != ZN_OK)
        return fail(&err);
    if (tr)
        c = t;
    if (o->json) {
        json_t *j = json_object();
        json_object_set_new(j, "instruction", json_integer(instr));
        json_object_set_new(j, "task", json_integer(id));
        json_object_set_new(j, "transfer", tr ? json_integer(tr) : json_null());
        json_object_set_new(j, "assignee", json_string(t.assignee));
        json_object_set_new(j, "deadline", jtime(e->ctx, t.deadline));
        print_json(j);
        return 0;
    }
    char b[40];
    if (tr)
        printf("task %lld issued and transferred (协查) as task %lld to %s %s, deadline %s\n", (long long)id,
               (long long)tr, c.assignee_kind, c.assignee, iso(e->ctx, c.deadline, b, sizeof b));
    else
        printf("task %lld issued to %s %s, deadline %s\n", (long long)id, t.assignee_kind, t.assignee,
               iso(e->ctx, t.deadline, b, sizeof b));
    return 0;
}

static int do_list(env *e, opts *o)
{
    zn_loop_filter f = {.assignee = o->assignee, .grid_id = o->grid, .division_prefix = o->division,
                        .template_id = o->template_id, .open_only = o->open, .overdue_only = o->overdue};
    if (o->limit)
        f.limit = (size_t)strtoul(o->limit, NULL, 10);
    zn_loop_task *v;
    size_t n;
    zn_error err;
    if (zn_loop_list(e->lp, &f, &v, &n, &err) != ZN_OK)
        return fail(&err);
    if (o->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, task_json(e->ctx, &v[i]));
        print_json(a);
    } else {
        printf("%-7s %-12s %-24s %-9s %-14s %-25s\n", "id", "state", "template", "kind", "assignee", "deadline");
        int64_t now = zn_ctx_now(e->ctx);
        for (size_t i = 0; i < n; i++) {
            char b[40];
            const zn_loop_task *t = &v[i];
            int late = !t->ended_at && t->deadline != ZN_CLOCK_STOPPED && t->deadline < now;
            printf("%-7lld %-12s %-24s %-9s %-14s %-25s%s\n", (long long)t->id, zn_task_state_name(t->state),
                   t->template_id, t->assignee_kind, t->assignee, iso(e->ctx, t->deadline, b, sizeof b),
                   late ? " OVERDUE" : "");
        }
    }
    free(v);
    return 0;
}

static int do_show(env *e, opts *o)
{
    int64_t id;
    if (parse_id(o->pos[1], &id))
        return 2;
    zn_error err;
    zn_loop_task t;
    if (zn_loop_task_get(e->lp, id, &t, &err) != ZN_OK)
        return fail(&err);
    zn_loop_history *h;
    size_t n;
    if (zn_loop_history_get(e->lp, id, &h, &n, &err) != ZN_OK)
        return fail(&err);
    json_t *j = task_json(e->ctx, &t);
    json_t *hist = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_object();
        json_object_set_new(r, "seq", json_integer(h[i].seq));
        json_object_set_new(r, "from", json_string(zn_task_state_name(h[i].from)));
        json_object_set_new(r, "to", json_string(zn_task_state_name(h[i].to)));
        json_object_set_new(r, "at", jtime(e->ctx, h[i].at));
        json_object_set_new(r, "actor", json_string(h[i].actor));
        json_object_set_new(r, "note", json_string(h[i].note));
        json_object_set_new(r, "evidence", json_string(h[i].evidence));
        json_object_set_new(r, "evidence_sha256", json_string(h[i].evidence_sha256));
        json_array_append_new(hist, r);
    }
    zn_loop_history_free(h, n);
    json_object_set_new(j, "history", hist);
    /* ledger and escalations straight from the store */
    static const char *const q[2] = {
        "SELECT kind, at, actor, reason, amount, approver, approval_ref FROM loop_clock WHERE task_id = ? ORDER BY id",
        "SELECT rung, due_at, fired_at, notify_unit, state FROM loop_escalation WHERE task_id = ? ORDER BY fired_at, due_at"};
    for (int k = 0; k < 2; k++) {
        zn_stmt *s;
        if (zn_stmt_prepare(e->st, q[k], &s, &err) != ZN_OK) {
            json_decref(j);
            return fail(&err);
        }
        zn_stmt_bind_int64(s, 1, id);
        json_t *arr = json_array();
        int row = 0;
        while (zn_stmt_step(s, &row, &err) == ZN_OK && row) {
            json_t *r = json_object();
            if (k == 0) {
                json_object_set_new(r, "kind", json_string(zn_stmt_column_text(s, 0)));
                json_object_set_new(r, "at", jtime(e->ctx, zn_stmt_column_int64(s, 1)));
                json_object_set_new(r, "actor", json_string(zn_stmt_column_text(s, 2)));
                json_object_set_new(r, "reason", json_string(zn_stmt_column_text(s, 3)));
                if (!zn_stmt_column_is_null(s, 4))
                    json_object_set_new(r, "amount", json_integer(zn_stmt_column_int64(s, 4)));
                if (!zn_stmt_column_is_null(s, 5))
                    json_object_set_new(r, "approver", json_string(zn_stmt_column_text(s, 5)));
                if (!zn_stmt_column_is_null(s, 6))
                    json_object_set_new(r, "approval_ref", json_string(zn_stmt_column_text(s, 6)));
            } else {
                json_object_set_new(r, "rung", json_string(zn_stmt_column_text(s, 0)));
                json_object_set_new(r, "due_at", jtime(e->ctx, zn_stmt_column_int64(s, 1)));
                json_object_set_new(r, "fired_at", jtime(e->ctx, zn_stmt_column_int64(s, 2)));
                json_object_set_new(r, "notify", json_string(zn_stmt_column_text(s, 3)));
                json_object_set_new(r, "state", json_string(zn_stmt_column_text(s, 4)));
            }
            json_array_append_new(arr, r);
        }
        zn_stmt_finalize(s);
        json_object_set_new(j, k == 0 ? "clock" : "escalations", arr);
    }
    if (o->json) {
        print_json(j);
        return 0;
    }
    char b[40];
    printf("task %lld  %s  [%s]\n", (long long)t.id, t.title, zn_task_state_name(t.state));
    printf("template   %s (%lld %s%s)\n", t.template_id,
           (long long)(t.unit == ZN_BUDGET_HOURS ? t.budget / 3600 : t.budget), t.unit == ZN_BUDGET_HOURS ? "h" : "working days",
           t.extension ? " + extension" : "");
    printf("assignee   %s %s (division %s%s%s)\n", t.assignee_kind, t.assignee, t.division_code, t.grid_id[0] ? ", grid " : "",
           t.grid_id);
    if (t.subject_ref[0])
        printf("subject    %s %s\n", t.subject_kind, t.subject_ref);
    printf("issued     %s\n", iso(e->ctx, t.created_at, b, sizeof b));
    printf("deadline   %s%s\n", iso(e->ctx, t.deadline, b, sizeof b), t.suspended ? " (clock suspended)" : "");
    if (t.parent_id)
        printf("transfer of task %lld\n", (long long)t.parent_id);
    if (t.transferred_to)
        printf("transferred to task %lld\n", (long long)t.transferred_to);
    printf("history:\n");
    json_t *r;
    size_t i;
    json_array_foreach(json_object_get(j, "history"), i, r)
    {
        const char *note = json_string_value(json_object_get(r, "note"));
        const char *ev = json_string_value(json_object_get(r, "evidence"));
        const char *sha = json_string_value(json_object_get(r, "evidence_sha256"));
        printf("  %2lld %-25s %-11s -> %-11s %s%s%s%s%s%s\n", (long long)json_integer_value(json_object_get(r, "seq")),
               json_string_value(json_object_get(r, "at")), json_string_value(json_object_get(r, "from")),
               json_string_value(json_object_get(r, "to")), json_string_value(json_object_get(r, "actor")),
               *note ? "  " : "", note, *ev ? "  evidence: " : "", ev, *sha ? "  (file sha256 recorded)" : "");
    }
    json_array_foreach(json_object_get(j, "clock"), i, r)
        printf("  clock: %s at %s by %s: %s\n", json_string_value(json_object_get(r, "kind")),
               json_string_value(json_object_get(r, "at")), json_string_value(json_object_get(r, "actor")),
               json_string_value(json_object_get(r, "reason")));
    json_array_foreach(json_object_get(j, "escalations"), i, r)
        printf("  escalation: %s due %s fired %s -> %s\n", json_string_value(json_object_get(r, "rung")),
               json_string_value(json_object_get(r, "due_at")), json_string_value(json_object_get(r, "fired_at")),
               json_string_value(json_object_get(r, "notify")));
    json_decref(j);
    return 0;
}

static int do_move(env *e, opts *o, zn_task_state to)
{
    int64_t id;
    if (parse_id(o->pos[1], &id))
        return 2;
    if ((to == ZN_TASK_RETURNED || to == ZN_TASK_CANCELLED) && !o->note) {
        fprintf(stderr, "zhinao tasks %s: --note REASON is required\n", o->pos[0]);
        return 2;
    }
    zn_error err;
    zn_loop_act a = act_of(o);
    if (zn_loop_move(e->lp, id, to, &a, &err) != ZN_OK)
        return fail(&err);
    printf("task %lld: %s\n", (long long)id, zn_task_state_name(to));
    return 0;
}

static int do_reassign(env *e, opts *o)
{
    int64_t id;
    if (parse_id(o->pos[1], &id))
        return 2;
    zn_error err;
    zn_loop_act a = act_of(o);
    if (zn_loop_reassign(e->lp, id, o->assignee_kind, o->assignee, o->division, &a, &err) != ZN_OK)
        return fail(&err);
    printf("task %lld: reassigned to %s %s\n", (long long)id, o->assignee_kind, o->assignee);
    return 0;
}

static int do_transfer(env *e, opts *o)
{
    int64_t id, child;
    if (parse_id(o->pos[1], &id))
        return 2;
    zn_error err;
    zn_loop_act a = act_of(o);
    zn_loop_where w = {o->division, o->place, o->grid};
    if (zn_loop_transfer(e->lp, id, &w, &a, &child, &err) != ZN_OK)
        return fail(&err);
    zn_loop_task t;
    if (zn_loop_task_get(e->lp, child, &t, &err) != ZN_OK)
        return fail(&err);
    if (o->json) {
        json_t *j = json_object();
        json_object_set_new(j, "task", json_integer(id));
        json_object_set_new(j, "transfer", task_json(e->ctx, &t));
        print_json(j);
    } else {
        char b[40];
        printf("task %lld: transferred (协查) as task %lld to %s %s, deadline %s\n", (long long)id, (long long)child,
               t.assignee_kind, t.assignee, iso(e->ctx, t.deadline, b, sizeof b));
    }
    return 0;
}

static int do_clock(env *e, opts *o, const char *what)
{
    int64_t id;
    if (parse_id(o->pos[1], &id))
        return 2;
    zn_error err;
    zn_loop_act a = act_of(o);
    zn_status rc;
    if (!strcmp(what, "suspend"))
        rc = zn_loop_suspend(e->lp, id, &a, &err);
    else if (!strcmp(what, "resume"))
        rc = zn_loop_resume(e->lp, id, &a, &err);
    else {
        zn_loop_task t;
        if (zn_loop_task_get(e->lp, id, &t, &err) != ZN_OK)
            return fail(&err);
        int64_t amount = 0;
        if (t.unit == ZN_BUDGET_HOURS && o->hours)
            amount = (int64_t)llround(strtod(o->hours, NULL) * 3600.0);
        else if (t.unit == ZN_BUDGET_WORKDAYS && o->days)
            amount = strtoll(o->days, NULL, 10);
        else {
            fprintf(stderr, "zhinao tasks extend: task %lld has a budget in %s: use --%s\n", (long long)id,
                    zn_budget_unit_name(t.unit), t.unit == ZN_BUDGET_HOURS ? "hours" : "days");
            return 2;
        }
        rc = zn_loop_extend(e->lp, id, amount, o->approver, o->ref, &a, &err);
    }
    if (rc != ZN_OK)
        return fail(&err);
    zn_loop_task t;
    if (zn_loop_task_get(e->lp, id, &t, &err) != ZN_OK)
        return fail(&err);
    char b[40];
    printf("task %lld: %s; deadline %s\n", (long long)id, what, iso(e->ctx, t.deadline, b, sizeof b));
    return 0;
}

static void on_fired(void *user, const zn_loop_fired *f)
{
    json_t *arr = user;
    json_t *r = json_object();
    json_object_set_new(r, "task", json_integer(f->task_id));
    json_object_set_new(r, "rung", json_string(f->rung));
    json_object_set_new(r, "due_at", json_integer(f->due_at));
    json_object_set_new(r, "notify", json_string(f->notify_unit));
    json_array_append_new(arr, r);
}

static int do_tick(env *e, opts *o)
{
    zn_error err;
    int64_t n;
    json_t *arr = json_array();
    zn_status rc = zn_loop_tick_ex(e->st, zn_ctx_now(e->ctx), 0, on_fired, arr, &n, &err);
    if (rc != ZN_OK) {
        json_decref(arr);
        return fail(&err);
    }
    if (o->json) {
        print_json(arr);
        return 0;
    }
    size_t i;
    json_t *r;
    char b[40];
    json_array_foreach(arr, i, r)
        printf("task %lld: %s (due %s) -> %s\n", (long long)json_integer_value(json_object_get(r, "task")),
               json_string_value(json_object_get(r, "rung")),
               iso(e->ctx, json_integer_value(json_object_get(r, "due_at")), b, sizeof b),
               json_string_value(json_object_get(r, "notify")));
    printf("%lld rung%s fired\n", (long long)n, n == 1 ? "" : "s");
    json_decref(arr);
    return 0;
}

static int level_of(const char *s)
{
    static const char *names[] = {"", "province", "city", "county", "township", "village", "grid"};
    if (!s)
        return 0;
    for (int i = 1; i <= 6; i++)
        if (!strcmp(s, names[i]))
            return i;
    char *end;
    long v = strtol(s, &end, 10);
    return (*end || v < 0 || v > 6) ? -1 : (int)v;
}

static json_t *num_or_null(double v) { return isnan(v) ? json_null() : json_real(v); }

static int do_stats(env *e, opts *o)
{
    zn_loop_metrics_query q = {.division_prefix = o->division, .by_template = o->by_template, .template_id = o->template_id};
    if (o->from && parse_time(e->ctx, o->from, "--from", &q.from))
        return 2;
    if (o->to && parse_time(e->ctx, o->to, "--to", &q.to))
        return 2;
    if ((q.group_level = level_of(o->level)) < 0) {
        fprintf(stderr, "zhinao tasks stats: --level '%s': province|city|county|township|village|grid\n", o->level);
        return 2;
    }
    zn_loop_metrics_row *r;
    size_t n;
    zn_error err;
    if (zn_loop_metrics(e->st, &q, &r, &n, &err) != ZN_OK)
        return fail(&err);
    if (o->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++) {
            json_t *x = json_object();
            json_object_set_new(x, "division", json_string(r[i].division));
            if (q.group_level == 6)
                json_object_set_new(x, "grid", json_string(r[i].grid_id));
            if (q.by_template || q.template_id)
                json_object_set_new(x, "template", json_string(r[i].template_id));
            json_object_set_new(x, "issued", json_integer(r[i].issued));
            json_object_set_new(x, "closed", json_integer(r[i].closed));
            json_object_set_new(x, "on_time", json_integer(r[i].on_time));
            json_object_set_new(x, "on_time_rate", num_or_null(r[i].on_time_rate));
            json_object_set_new(x, "median_close_s", num_or_null(r[i].median_close_s));
            json_object_set_new(x, "p90_close_s", num_or_null(r[i].p90_close_s));
            json_object_set_new(x, "cancelled", json_integer(r[i].cancelled));
            json_object_set_new(x, "transferred", json_integer(r[i].transferred));
            json_object_set_new(x, "backlog", json_integer(r[i].backlog));
            json_object_set_new(x, "overdue", json_integer(r[i].overdue));
            json_array_append_new(a, x);
        }
        print_json(a);
    } else {
        printf("%-12s %-10s %-24s %7s %7s %7s %8s %9s %9s %7s %7s %9s %11s\n", "division", "grid", "template", "issued",
               "closed", "on_time", "rate", "median_h", "p90_h", "backlog", "overdue", "cancelled", "transferred");
        for (size_t i = 0; i < n; i++) {
            char rate[16] = "-", med[16] = "-", p90[16] = "-";
            if (!isnan(r[i].on_time_rate)) {
                snprintf(rate, sizeof rate, "%.1f%%", 100 * r[i].on_time_rate);
                snprintf(med, sizeof med, "%.2f", r[i].median_close_s / 3600);
                snprintf(p90, sizeof p90, "%.2f", r[i].p90_close_s / 3600);
            }
            printf("%-12s %-10s %-24s %7lld %7lld %7lld %8s %9s %9s %7lld %7lld %9lld %11lld\n",
                   r[i].division[0] ? r[i].division : "all", r[i].grid_id[0] ? r[i].grid_id : "-",
                   r[i].template_id[0] ? r[i].template_id : "all", (long long)r[i].issued, (long long)r[i].closed,
                   (long long)r[i].on_time, rate, med, p90, (long long)r[i].backlog, (long long)r[i].overdue,
                   (long long)r[i].cancelled, (long long)r[i].transferred);
        }
    }
    free(r);
    return 0;
}

static int do_grid(env *e, opts *o)
{
    zn_error err;
    if (o->npos >= 3 && !strcmp(o->pos[1], "put")) {
        if (zn_loop_grid_put(e->st, o->pos[2], o->community, o->name ? o->name : o->pos[2], o->worker, &err) != ZN_OK)
            return fail(&err);
        printf("grid %s in community %s\n", o->pos[2], o->community);
        return 0;
    }
    if (o->npos >= 4 && !strcmp(o->pos[1], "place")) {
        if (zn_loop_grid_place_put(e->st, o->pos[2], o->pos[3], &err) != ZN_OK)
            return fail(&err);
        printf("place %s -> grid %s\n", o->pos[3], o->pos[2]);
        return 0;
    }
    fprintf(stderr, "usage: zhinao tasks grid put ID --community CODE [--name NAME] [--worker WHO]\n"
                    "       zhinao tasks grid place ID KEY\n");
    return 2;
}

static int do_templates(env *e, opts *o)
{
    size_t n = zn_loop_template_count(e->lp);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        const zn_loop_template *t = zn_loop_template_at(e->lp, i);
        if (o->json) {
            json_t *x = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "id", t->id, "name", t->name, "name_zh", t->name_zh,
                                  "subject", t->subject, "unit", zn_budget_unit_name(t->unit), "budget",
                                  (json_int_t)t->budget);
            json_t *rungs = json_array();
            for (size_t k = 0; k < t->nrungs; k++)
                json_array_append_new(rungs, json_pack("{s:s, s:f, s:I}", "rung", t->rungs[k].name, "at_fraction",
                                                       t->rungs[k].at_fraction, "after_deadline_s",
                                                       (json_int_t)t->rungs[k].after_deadline));
            json_object_set_new(x, "escalation", rungs);
            json_object_set_new(x, "source", json_string(t->source));
            json_array_append_new(a, x);
        } else {
            printf("%-24s %-10s %4lld %-8s %s (%s)\n", t->id, t->subject,
                   (long long)(t->unit == ZN_BUDGET_HOURS ? t->budget / 3600 : t->budget),
                   t->unit == ZN_BUDGET_HOURS ? "h" : "wd", t->name, t->name_zh);
        }
    }
    if (o->json)
        print_json(a);
    else
        json_decref(a);
    return 0;
}

static int do_simulate(env *e, opts *o)
{
    zn_loop_sim_params p = {.close_share = 0.8, .seed = 1};
    int y, m, d;
    char c;
    if (!o->day || sscanf(o->day, "%4d-%2d-%2d%c", &y, &m, &d, &c) != 3 || m < 1 || m > 12 || d < 1 || d > 31) {
        fprintf(stderr, "zhinao tasks simulate: --day YYYY-MM-DD is required\n");
        return 2;
    }
    p.day = zn_days_from_civil(y, m, d);
    if (o->close_share) {
        char *end;
        p.close_share = strtod(o->close_share, &end);
        if (*end || end == o->close_share || !(p.close_share >= 0 && p.close_share <= 1)) {
            fprintf(stderr, "zhinao tasks simulate: --close-share '%s': a number in [0, 1]\n", o->close_share);
            return 2;
        }
    }
    if (o->seed) {
        char *end;
        p.seed = strtoull(o->seed, &end, 10);
        if (*end || end == o->seed || o->seed[0] == '-') {
            fprintf(stderr, "zhinao tasks simulate: --seed '%s': a non-negative integer\n", o->seed);
            return 2;
        }
    }
    long ndays = 1;
    if (o->days) {
        char *end;
        ndays = strtol(o->days, &end, 10);
        if (*end || end == o->days || ndays < 1 || ndays > 3660) {
            fprintf(stderr, "zhinao tasks simulate: --days '%s': 1..3660\n", o->days);
            return 2;
        }
    }
    zn_error err;
    zn_loop_sim_result r = {0}, tot = {0};
    int64_t first_day = p.day;
    uint64_t seed0 = p.seed;
    for (long i = 0; i < ndays; i++) {
        p.day = first_day + i;
        p.seed = seed0 + (uint64_t)i;
        if (zn_loop_simulate_day(e->lp, &p, &r, &err) != ZN_OK)
            return fail(&err);
        tot.considered += r.considered;
        tot.closed += r.closed;
        tot.moves += r.moves;
        tot.fired += r.fired;
    }
    zn_loop_metrics_query q = {.to = r.day_end};
    zn_loop_metrics_row *mr = NULL;
    size_t nm = 0;
    if (zn_loop_metrics(e->st, &q, &mr, &nm, &err) != ZN_OK)
        return fail(&err);
    zn_loop_metrics_row all = {0};
    all.on_time_rate = NAN;
    if (nm)
        all = mr[0];
    free(mr);
    if (o->json) {
        json_t *j = json_object();
        json_object_set_new(j, "day", json_string(o->day));
        json_object_set_new(j, "days", json_integer(ndays));
        json_object_set_new(j, "open_tasks", json_integer(tot.considered));
        json_object_set_new(j, "closed", json_integer(tot.closed));
        json_object_set_new(j, "left_open", json_integer(r.left_open));
        json_object_set_new(j, "moves", json_integer(tot.moves));
        json_object_set_new(j, "rungs_fired", json_integer(tot.fired));
        json_t *mj = json_object();
        json_object_set_new(mj, "issued", json_integer(all.issued));
        json_object_set_new(mj, "closed", json_integer(all.closed));
        json_object_set_new(mj, "on_time", json_integer(all.on_time));
        json_object_set_new(mj, "on_time_rate", num_or_null(all.on_time_rate));
        json_object_set_new(mj, "median_close_s", num_or_null(all.median_close_s));
        json_object_set_new(mj, "backlog", json_integer(all.backlog));
        json_object_set_new(mj, "overdue", json_integer(all.overdue));
        json_object_set_new(j, "metrics", mj);
        print_json(j);
        return 0;
    }
    if (ndays == 1) {
        printf("simulated %s: %lld open tasks, %lld closed (%lld moves), %lld left open; %lld escalation rung%s fired\n",
               o->day, (long long)r.considered, (long long)r.closed, (long long)r.moves, (long long)r.left_open,
               (long long)r.fired, r.fired == 1 ? "" : "s");
    } else {
        int y2, m2, d2;
        zn_civil_from_days(p.day, &y2, &m2, &d2);
        printf("simulated %s .. %04d-%02d-%02d (%ld days): %lld open task-days, %lld closed (%lld moves), %lld left "
               "open at the end; %lld escalation rung%s fired\n",
               o->day, y2, m2, d2, ndays, (long long)tot.considered, (long long)tot.closed, (long long)tot.moves,
               (long long)r.left_open, (long long)tot.fired, tot.fired == 1 ? "" : "s");
    }
    char rate[16] = "-", med[16] = "-";
    if (!isnan(all.on_time_rate)) {
        snprintf(rate, sizeof rate, "%.1f%%", 100 * all.on_time_rate);
        snprintf(med, sizeof med, "%.1f h", all.median_close_s / 3600);
    }
    printf("metrics at the end of the day: %lld issued, %lld closed, %lld on time (%s), median time to close %s, "
           "%lld open, %lld overdue\n",
           (long long)all.issued, (long long)all.closed, (long long)all.on_time, rate, med, (long long)all.backlog,
           (long long)all.overdue);
    return 0;
}

/* ---- wiring (src/loop/wiring.c) ---- */

static int print_wiring(const opts *o, const char *what, const zn_loop_wiring_result *r)
{
    if (o->json) {
        json_t *j = json_object();
        json_object_set_new(j, "run", json_integer(r->run_id));
        json_object_set_new(j, "instruction", r->instruction_id ? json_integer(r->instruction_id) : json_null());
        json_object_set_new(j, what, json_integer(r->subjects));
        json_object_set_new(j, "issued", json_integer(r->issued));
        json_object_set_new(j, "tasks", json_integer(r->tasks));
        json_object_set_new(j, "transferred", json_integer(r->transferred));
        json_object_set_new(j, "unrouted", json_integer(r->unrouted));
        json_object_set_new(j, "already_issued", json_integer(r->already));
        print_json(j);
        return 0;
    }
    printf("run %lld, instruction %lld: %lld %s, %lld issued (%lld task%s, %lld transferred to another city), "
           "%lld unrouted, %lld already issued\n",
           (long long)r->run_id, (long long)r->instruction_id, (long long)r->subjects, what, (long long)r->issued,
           (long long)r->tasks, r->tasks == 1 ? "" : "s", (long long)r->transferred, (long long)r->unrouted,
           (long long)r->already);
    return 0;
}

static int do_from_trace(env *e, opts *o)
{
    int64_t run = 0;
    if (o->pos[1]) {
        fprintf(stderr, "zhinao tasks from-trace: unexpected argument\n");
        return 2;
    }
    if (o->run && parse_id(o->run, &run))
        return 2;
    zn_error err;
    zn_loop_wiring_result r;
    if (zn_loop_from_trace(e->lp, run, o->issuer, o->issuer_unit, &r, &err) != ZN_OK)
        return fail(&err);
    return print_wiring(o, "contacts", &r);
}

static int do_from_zones(env *e, opts *o)
{
    if (!o->rules || !o->date) {
        fprintf(stderr, "zhinao tasks from-zones: needs --rules NAME and --date YYYY-MM-DD\n");
        return 2;
    }
    zn_error err;
    zn_loop_wiring_result r;
    if (zn_loop_from_zones(e->lp, o->rules, o->date, o->issuer, o->issuer_unit, &r, &err) != ZN_OK)
        return fail(&err);
    return print_wiring(o, "units entering", &r);
}

int zn_cmd_tasks(int argc, char **argv)
{
    if (argc < 2 || ((!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const sub *s = NULL;
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (!strcmp(argv[1], subs[i].name))
            s = &subs[i];
    if (!s) {
        fprintf(stderr, "zhinao tasks: unknown subcommand '%s'\n\n", argv[1]);
        usage(stderr);
        return 2;
    }
    if (zn_cli_wants_help(argc, argv)) {
        printf("usage: zhinao tasks %s %s [--db PATH] [--now TIME]\n\n%s\n", s->name, s->args, s->help);
        return 0;
    }
    opts o;
    int rc = parse(argc - 1, argv + 1, &o);
    if (rc)
        return rc;
    o.pos[0] = s->name; /* positionals after the subcommand are pos[1..] */
    env e = {0};
    if (zn_cli_open(o.db ? o.db : zn_cli_default_db(), &e.ctx, &e.st))
        return 1;
    if (o.now) {
        int64_t t;
        if (parse_time(e.ctx, o.now, "--now", &t)) {
            zn_cli_close(e.ctx, e.st);
            return 2;
        }
        zn_ctx_set_now(e.ctx, t);
    }
    zn_error err;
    if (zn_loop_open(e.st, zn_cli_data_dir(), &e.lp, &err) != ZN_OK) {
        zn_cli_error(&err);
        zn_cli_close(e.ctx, e.st);
        return 1;
    }
    const char *n = s->name;
    int needs_actor = strcmp(n, "issue") && strcmp(n, "list") && strcmp(n, "show") && strcmp(n, "tick") &&
                      strcmp(n, "stats") && strcmp(n, "grid") && strcmp(n, "templates") && strcmp(n, "simulate") &&
                      strcmp(n, "from-trace") && strcmp(n, "from-zones");
    if (needs_actor && !o.actor) {
        fprintf(stderr, "zhinao tasks %s: --actor WHO is required (every step names who did it)\n", n);
        rc = 2;
    } else if (!strcmp(n, "issue")) rc = do_issue(&e, &o);
    else if (!strcmp(n, "list")) rc = do_list(&e, &o);
    else if (!strcmp(n, "show")) rc = do_show(&e, &o);
    else if (!strcmp(n, "receive")) rc = do_move(&e, &o, ZN_TASK_RECEIVED);
    else if (!strcmp(n, "start")) rc = do_move(&e, &o, ZN_TASK_IN_PROGRESS);
    else if (!strcmp(n, "report")) rc = do_move(&e, &o, ZN_TASK_REPORTED);
    else if (!strcmp(n, "verify")) rc = do_move(&e, &o, ZN_TASK_VERIFIED);
    else if (!strcmp(n, "return")) rc = do_move(&e, &o, ZN_TASK_RETURNED);
    else if (!strcmp(n, "close")) rc = do_move(&e, &o, ZN_TASK_CLOSED);
    else if (!strcmp(n, "cancel")) rc = do_move(&e, &o, ZN_TASK_CANCELLED);
    else if (!strcmp(n, "reassign")) rc = do_reassign(&e, &o);
    else if (!strcmp(n, "transfer")) rc = do_transfer(&e, &o);
    else if (!strcmp(n, "suspend") || !strcmp(n, "resume") || !strcmp(n, "extend")) rc = do_clock(&e, &o, n);
    else if (!strcmp(n, "tick")) rc = do_tick(&e, &o);
    else if (!strcmp(n, "stats")) rc = do_stats(&e, &o);
    else if (!strcmp(n, "grid")) rc = do_grid(&e, &o);
    else if (!strcmp(n, "simulate")) rc = do_simulate(&e, &o);
    else if (!strcmp(n, "from-trace")) rc = do_from_trace(&e, &o);
    else if (!strcmp(n, "from-zones")) rc = do_from_zones(&e, &o);
    else rc = do_templates(&e, &o);
    zn_loop_free(e.lp);
    zn_cli_close(e.ctx, e.st);
    return rc;
}
