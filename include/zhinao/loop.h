/*
 * zhinao loop: the closed-loop command engine (指令闭环).
 *
 * Command issues an INSTRUCTION (指令: who, why, linked objects such as a case, contact, zone or
 * alert); it becomes TASKS (任务), one per unit that must act. Each task is issued (下发) →
 * received (签收) → in progress (处置) → reported back (反馈) → verified (核查) → closed (销号), with
 * returned (退回, rejected back for rework), reassigned (改派), transferred (协查: handed to another
 * jurisdiction as a new linked task with its own clock) and cancelled (撤销). Allowed moves are one
 * table (zn_task_next_state); everything else is ZN_ESTATE. Every move appends one row to the
 * history (who, when, note, evidence text, sha256 of an attached file); history rows are never
 * updated or deleted, and the task's current state is the replay of its history.
 *
 * Clock. A task's budget comes from its template, in hours (wall clock, 24/7) or in working days
 * (the shipped calendar of China's public holidays and adjusted working days, data/calendar). A
 * working-day clock starts at the local midnight after issue (民法典 §201: the day a period starts
 * is not counted), so "3 working days" ends at 24:00 of the third working day. The clock can be
 * suspended and resumed with a reason (the suspension ledger; no time runs while suspended) and
 * extended with an approval record. The deadline is DERIVED from (start, budget, extensions,
 * suspensions, calendar) and never set by hand. Escalation rungs (a warning at a fraction of the
 * budget, overdue at the deadline, supervision 督办 by the level above a further interval after
 * it) are scheduled from the same derivation and fired by zn_loop_tick, exactly once each.
 *
 * Templates are data (data/templates/<name>.json, see docs/loop.md): steps, budget, escalation ladder.
 * A task keeps a copy of its template's ladder, so later template edits do not change it.
 *
 * Routing. A task for a person or place goes to the unit responsible for where the person lives
 * or the place is: division code (NBS 12-digit) → community (village-level code) → grid (table
 * loop_grid, filled by the grassroots feed or zn_loop_grid_put). A target in another city than the
 * issuing command becomes a transfer (协查) to that city.
 *
 * Times are UTC seconds (int64). Local dates use the store context's offset (zn_ctx_tz_offset,
 * +08:00 by default). "Now" is zn_ctx_now of the store's context. Source of the practice:
 * ../shared/research/egov-anchors.md §0, §4 (12345 loop, 督办, statutory clocks).
 */
#ifndef ZHINAO_LOOP_H
#define ZHINAO_LOOP_H

#include "zhinao/core.h"
#include "zhinao/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- states ---- */

typedef enum zn_task_state {
    ZN_TASK_ISSUED = 0,  /* 下发 */
    ZN_TASK_RECEIVED,    /* 签收 */
    ZN_TASK_IN_PROGRESS, /* 处置中 */
    ZN_TASK_REPORTED,    /* 已反馈, awaiting verification */
    ZN_TASK_VERIFIED,    /* 已核查 */
    ZN_TASK_CLOSED,      /* 已销号 (terminal) */
    ZN_TASK_RETURNED,    /* 退回: report rejected (or transfer sent back), to be reworked */
    ZN_TASK_REASSIGNED,  /* 改派: a new assignee must receive it */
    ZN_TASK_TRANSFERRED, /* 协查: handed to another jurisdiction as a linked task */
    ZN_TASK_CANCELLED,   /* 撤销 (terminal) */
    ZN_TASK_NSTATES
} zn_task_state;

/* "issued", "received", "in_progress", "reported", "verified", "closed", "returned",
 * "reassigned", "transferred", "cancelled"; "unknown" otherwise. Static. */
const char *zn_task_state_name(zn_task_state s);
/* Inverse of zn_task_state_name. Errors: ZN_EINVAL for an unknown name. */
zn_status zn_task_state_parse(const char *name, zn_task_state *out);

/* Is s a state in which the assignee must act (issued, received, in_progress, returned,
 * reassigned)? Only these run the escalation ladder. */
int zn_task_state_active(zn_task_state s);
/* Is s terminal (closed, cancelled)? */
int zn_task_state_terminal(zn_task_state s);

/*
 * The transition table. ZN_OK when from → to is a move of the closed loop; otherwise ZN_ESTATE
 * with err->msg naming both states ("illegal transition issued -> verified"). The table:
 *   issued      → received, reassigned, transferred, cancelled
 *   received    → in_progress, reported, reassigned, transferred, cancelled
 *   in_progress → reported, reassigned, transferred, cancelled
 *   reported    → verified, returned, cancelled
 *   verified    → closed, returned
 *   returned    → in_progress, reported, reassigned, cancelled
 *   reassigned  → received, reassigned, transferred, cancelled
 *   transferred → closed (the linked task closed), returned (sent back), cancelled
 */
zn_status zn_task_check_move(zn_task_state from, zn_task_state to, zn_error *err);

/* --------------------------------------------------------------- calendar ---- */

typedef struct zn_calendar zn_calendar;

/*
 * Load a holiday calendar CSV: header `date,kind,name,name_zh,notice`, one row per day, kind
 * `holiday` (a public holiday or a rest day of the holiday arrangement) or `workday` (调休: a
 * Saturday or Sunday that is a working day). Other days follow the week: Monday–Friday work.
 * Shipped: data/calendar/cn-holidays.csv, 2020–2026, from the State Council General Office's
 * annual notices (data/calendar/PROVENANCE.md).
 * Errors: ZN_EIO (cannot read), ZN_EPARSE (bad date, unknown kind, missing column: file and line
 * in err), ZN_EVALIDATE (a date listed twice, a `workday` that is not a Saturday or Sunday).
 * *out is the caller's, freed with zn_calendar_free.
 */
zn_status zn_calendar_load(const char *path, zn_calendar **out, zn_error *err);
void zn_calendar_free(zn_calendar *cal); /* NULL ok */

/* Is local day `day` (days since 1970-01-01, see zn_days_from_civil) a working day? Days outside
 * the calendar's years follow the week only. */
int zn_calendar_is_workday(const zn_calendar *cal, int64_t day);
/* First and last year the calendar covers (years of its notices), 0 when empty. */
void zn_calendar_years(const zn_calendar *cal, int *first, int *last);

/* ------------------------------------------------------------------ clock ---- */

typedef enum zn_budget_unit {
    ZN_BUDGET_HOURS = 1,   /* budget in seconds of wall-clock time (24/7) */
    ZN_BUDGET_WORKDAYS = 2 /* budget in whole working days of the calendar */
} zn_budget_unit;

/* "hours", "workdays". Static. */
const char *zn_budget_unit_name(zn_budget_unit u);

/* The value of a derived instant while the clock is stopped (an open suspension). */
#define ZN_CLOCK_STOPPED INT64_MAX

/* One suspension of a clock: [from, to) in UTC seconds; to == ZN_CLOCK_STOPPED while open. */
typedef struct zn_clock_span {
    int64_t from, to;
} zn_clock_span;

/*
 * The instant at which `fraction` (0 < fraction <= 1 for rungs before the deadline, 1 for the
 * deadline itself) of a budget is used up.
 *   start     issue time (UTC s);
 *   unit      ZN_BUDGET_HOURS: `budget` is seconds; the clock runs from `start`, every second counts;
 *             ZN_BUDGET_WORKDAYS: `budget` is working days; the clock runs from the local midnight
 *             after `start` (the issue day is not counted, 民法典 §201) and only during working days
 *             of `cal` (local time at offset tz), 86,400 s per working day;
 *   budget    the template budget plus all approved extensions, same unit;
 *   susp      n suspensions (any order, may overlap; NULL when n == 0); no time runs inside them.
 * The result is rounded to whole seconds: need = round(fraction × budget seconds). A need reached
 * exactly at the end of a working day gives 24:00 of that day (= 00:00 of the next).
 * *due = ZN_CLOCK_STOPPED when an open suspension stops the clock before the need is reached.
 * Errors: ZN_EINVAL (unit unknown, budget <= 0, fraction <= 0 or > 16, a span with to < from,
 * cal NULL for working days), ZN_ERANGE (no instant within 100 years).
 */
zn_status zn_clock_due(const zn_calendar *cal, int32_t tz, int64_t start, zn_budget_unit unit,
                       int64_t budget, double fraction, const zn_clock_span *susp, size_t n,
                       int64_t *due, zn_error *err);

/* ------------------------------------------------------------- templates ---- */

#define ZN_LOOP_MAX_RUNGS 8

/* Whom a rung notifies. */
typedef enum zn_rung_notify {
    ZN_NOTIFY_ASSIGNEE = 1,    /* the task's assignee */
    ZN_NOTIFY_LEVEL_ABOVE = 2, /* the unit above the assignee: for a grid/team/person its
                                * division; for a division its parent (督办) */
    ZN_NOTIFY_ISSUER = 3       /* the issuer of the instruction */
} zn_rung_notify;

/* One rung of an escalation ladder. Exactly one of at_fraction (> 0) and after_deadline (>= 0,
 * with at_fraction == 0) is used. */
typedef struct zn_rung_def {
    const char *name;       /* "warning", "overdue", "supervision", ...; unique in a ladder */
    double at_fraction;     /* fires when this fraction of the budget is used (1.0 = deadline) */
    int64_t after_deadline; /* or: seconds of wall-clock time after the deadline */
    zn_rung_notify notify;
} zn_rung_def;

/* A task template (strings owned by the zn_loop that loaded it). */
typedef struct zn_loop_template {
    const char *id;      /* stable key, e.g. "epi.quarantine_transfer" */
    const char *name;    /* English */
    const char *name_zh; /* Chinese, "" when absent */
    const char *subject; /* kind of object the task is about: contact, zone, alert, ... */
    zn_budget_unit unit;
    int64_t budget;      /* seconds (hours unit) or working days */
    const char *const *steps;    /* nsteps steps, English */
    const char *const *steps_zh; /* the same nsteps steps in Chinese, NULL when the template has none */
    size_t nsteps;
    zn_rung_def rungs[ZN_LOOP_MAX_RUNGS]; /* in firing order */
    size_t nrungs;
    const char *const *triggers; /* events that issue it, e.g. "contact.new" */
    size_t ntriggers;
    const char *source; /* where the time limit comes from */
    const char *file;   /* the JSON file it was read from */
} zn_loop_template;

/* ------------------------------------------------------------ the engine ---- */

typedef struct zn_loop zn_loop;

/*
 * Open the engine on a store: loads <data_dir>/calendar/cn-holidays.csv and every
 * <data_dir>/templates/<name>.json (object {"templates": [...]}; the format is in docs/loop.md).
 * The store must outlive the engine; the engine keeps prepared statements on it.
 * Errors: those of zn_calendar_load, ZN_EIO / ZN_EPARSE / ZN_EVALIDATE for templates (file and
 * field in err; duplicate ids across files are ZN_EDUPLICATE), ZN_ENOMEM.
 * *out is the caller's, freed with zn_loop_free (before closing the store).
 */
zn_status zn_loop_open(zn_store *st, const char *data_dir, zn_loop **out, zn_error *err);
void zn_loop_free(zn_loop *lp); /* NULL ok */

zn_store *zn_loop_store(zn_loop *lp);
const zn_calendar *zn_loop_calendar(const zn_loop *lp);
size_t zn_loop_template_count(const zn_loop *lp);
const zn_loop_template *zn_loop_template_at(const zn_loop *lp, size_t i);
/* Template by id, NULL when absent. */
const zn_loop_template *zn_loop_template_find(const zn_loop *lp, const char *id);
/* First template whose triggers contain `event` ("contact.new"), NULL when none; *pos (may be
 * NULL) continues a search: start with 0. */
const zn_loop_template *zn_loop_template_for(const zn_loop *lp, const char *event, size_t *pos);
/* The title of a task of template t that has no title of its own (stored as ""): the Chinese name
 * when the template has one (the pages and the field read Chinese, issue #5), else the English
 * name. zn_loop_task_get and zn_loop_list fill zn_loop_task.title with it; code that reads
 * loop_task rows itself (src/server/api.c task_row_append) should too. The template's own string,
 * valid while the engine is open; NULL when t is NULL. */
const char *zn_loop_template_title(const zn_loop_template *t);

/* Who does something, and what they attach. Strings are copied; NULL means none. */
typedef struct zn_loop_act {
    const char *actor;           /* person or unit id (required, <= 63 bytes) */
    const char *note;            /* free text: the reason of a suspension, return, cancel ... */
    const char *evidence;        /* evidence text */
    const char *evidence_file;   /* a file to attach: its sha256 is recorded */
    const char *evidence_sha256; /* or the 64-hex sha256 of an upload computed elsewhere */
} zn_loop_act;

/* sha256 of a file as 64 lowercase hex characters + NUL (libsodium crypto_hash_sha256).
 * Errors: ZN_EIO. */
zn_status zn_loop_sha256_file(const char *path, char hex[65], zn_error *err);

/* ------------------------------------------------------------ instructions ---- */

/* An object an instruction is about: kind ("case", "contact", "zone", "alert", ...) and id. */
typedef struct zn_loop_link {
    const char *kind;
    const char *ref;
} zn_loop_link;

typedef struct zn_loop_instruction {
    const char *issuer;      /* person or command post that issues it (required) */
    const char *issuer_unit; /* division code of the issuing command (2..12 digits; NULL = none):
                                targets in another city become transfers (协查) */
    const char *reason;      /* why (required) */
    const zn_loop_link *links;
    size_t nlinks;
} zn_loop_instruction;

/* Record an instruction; *id receives its id. Errors: ZN_EINVAL (missing issuer/reason, bad
 * issuer_unit), ZN_ESTORE. */
zn_status zn_loop_instruct(zn_loop *lp, const zn_loop_instruction *in, int64_t *id, zn_error *err);

/* ---------------------------------------------------------------- routing ---- */

/* Where a person lives or a place is. */
typedef struct zn_loop_where {
    const char *division_code; /* 2..12-digit NBS code (any form of zn_div_normalize) */
    const char *place_key;     /* residential compound / building key, to find its grid (NULL) */
    const char *grid_id;       /* the grid when already known (NULL) */
} zn_loop_where;

typedef struct zn_loop_route {
    char assignee_kind[16]; /* "grid" or "division" */
    char assignee[64];      /* grid id or 12-digit division code */
    char division_code[13]; /* 12-digit code of the responsible division (the community for a grid) */
    char grid_id[64];       /* "" when not routed to a grid */
    int transfer;           /* 1 when the target is in another city than issuer_unit (协查) */
} zn_loop_route;

/*
 * Route: the grid when grid_id is given (it must exist); else, for a village-level code, the grid
 * of the community that covers place_key (table loop_grid_place), or the community's only grid,
 * or the community itself; for a code above village level, that division. When the store has
 * divisions loaded (table `division`, any edition) the code must be one of them (ZN_ENOTFOUND).
 * transfer = the target is outside the issuing command's city: the first 4 digits of the target
 * and of issuer_unit differ (2 digits for a provincial issuer_unit; NULL or "": never).
 * Errors: ZN_EINVAL (no code and no grid, malformed code), ZN_ENOTFOUND, ZN_ESTORE.
 */
zn_status zn_loop_route_where(zn_loop *lp, const zn_loop_where *where, const char *issuer_unit,
                              zn_loop_route *out, zn_error *err);

/* Add or replace a grid: id, the 12-digit (or shorter) code of its community, name, worker
 * (person id, may be NULL). Errors: ZN_EINVAL, ZN_ESTORE. */
zn_status zn_loop_grid_put(zn_store *st, const char *grid_id, const char *community_code,
                           const char *name, const char *worker, zn_error *err);
/* Say that place `place_key` (a compound or building) of the grid's community is in the grid. */
zn_status zn_loop_grid_place_put(zn_store *st, const char *grid_id, const char *place_key, zn_error *err);

/* ------------------------------------------------------------------ tasks ---- */

/* What to issue: a template, what it is about, and where (routed) or whom (explicit). */
typedef struct zn_loop_task_spec {
    int64_t instruction_id;   /* required */
    const char *template_id;  /* required */
    const char *subject_kind; /* NULL = the template's subject */
    const char *subject_ref;  /* e.g. the contact id (may be NULL) */
    const char *title;        /* NULL (or the template's name or name_zh) = the template's default */
    zn_loop_where where;      /* routed when assignee is NULL */
    const char *assignee_kind; /* explicit: "division", "grid", "team", "person" */
    const char *assignee;
    const char *division_code; /* with an explicit assignee: the unit's division (required) */
} zn_loop_task_spec;

/*
 * Issue one task (state issued, clock starting now). When routing finds the target in another city
 * than the instruction's issuer_unit, the task is issued to the issuing unit and at once
 * transferred: *task_id is the original, *transfer_id (may be NULL) the linked task in the other
 * city (else 0). The history of each gets its rows; its ladder is copied from the template.
 * Errors: ZN_EINVAL (missing fields, ids longer than 63 bytes), ZN_ENOTFOUND (instruction,
 * template, division, grid), ZN_ESTORE.
 */
zn_status zn_loop_issue(zn_loop *lp, const zn_loop_task_spec *spec, const zn_loop_act *act,
                        int64_t *task_id, int64_t *transfer_id, zn_error *err);

/*
 * The epidemic wiring: issue one task per template whose triggers contain `event`
 * (data/templates/epidemic.json: "contact.new" → quarantine transfer; "zone.sealed" → seal the unit
 * and test everyone; "alert.new" → verify the signal). `base` gives the instruction, subject and
 * where / whom; its template_id is ignored. All tasks are issued in one transaction. ids (capacity
 * max, may be NULL) receives the task ids (the originals when transferred), *n (may be NULL) their
 * number. Errors: those of zn_loop_issue; ZN_ENOTFOUND when no template listens to `event`.
 */
zn_status zn_loop_issue_event(zn_loop *lp, const char *event, const zn_loop_task_spec *base, const zn_loop_act *act,
                              int64_t *ids, size_t max, size_t *n, zn_error *err);

/*
 * Move a task to `to` (received, in_progress, reported, verified, returned, closed, cancelled).
 * Checks the table (ZN_ESTATE naming from and to), hashes the evidence file, then appends the
 * history row, updates the task and its escalation schedule in one transaction. Closing a task
 * that was transferred to closes nothing else; closing the linked (transfer) task closes its
 * original when the original is still `transferred`.
 * Errors: ZN_EINVAL (missing actor; `to` reassigned or transferred: use the functions below; bad
 * evidence_sha256), ZN_ENOTFOUND (task), ZN_ESTATE, ZN_EIO (evidence file), ZN_ESTORE.
 */
zn_status zn_loop_move(zn_loop *lp, int64_t task_id, zn_task_state to, const zn_loop_act *act, zn_error *err);

/* One move of a batch: the arguments of zn_loop_move, and its result. */
typedef struct zn_loop_move_req {
    int64_t task_id;
    zn_task_state to;
    zn_loop_act act;  /* strings borrowed from the caller until zn_loop_move_batch returns */
    zn_status status; /* out: ZN_OK or the move's own error (as zn_loop_move would return) */
    zn_error err;     /* out: filled when status != ZN_OK */
} zn_loop_move_req;

/*
 * Apply the moves reqs[0..n) in order in one transaction (group commit), each inside its own
 * savepoint (zn_store_savepoint): a move that zn_loop_move refuses (ZN_ESTATE, ZN_ENOTFOUND,
 * ZN_EINVAL ...) is undone alone with its error in reqs[i].status/err, and the others are kept.
 * Later moves see the earlier ones (two moves of one task in a batch apply one after the other).
 * One move runs as zn_loop_move. The result is the same as calling zn_loop_move on each in turn;
 * what is saved is the fixed cost of a transaction per move (docs/benchmarks.md, Server load).
 * Returns ZN_OK when the transaction committed (each move's own result in reqs[i].status), or the
 * store's error when it could not begin or commit: then nothing of the batch was kept and every
 * move not refused alone carries that error. Errors: ZN_EINVAL (NULL lp, or reqs NULL with n > 0),
 * ZN_ESTORE.
 */
zn_status zn_loop_move_batch(zn_loop *lp, zn_loop_move_req *reqs, size_t n, zn_error *err);

/* Reassign to another unit (改派): state reassigned, same clock. */
zn_status zn_loop_reassign(zn_loop *lp, int64_t task_id, const char *assignee_kind, const char *assignee,
                           const char *division_code, const zn_loop_act *act, zn_error *err);

/*
 * Transfer (协查) to the unit responsible for `where`: the task becomes transferred and a new task
 * (same instruction and template, parent = this task, its own clock from now) is issued there.
 * *child_id (may be NULL) receives the new task's id.
 */
zn_status zn_loop_transfer(zn_loop *lp, int64_t task_id, const zn_loop_where *where, const zn_loop_act *act,
                           int64_t *child_id, zn_error *err);

/* Suspension ledger: stop the clock (act->note = the reason, required) / start it again.
 * Errors: ZN_ESTATE (already suspended / not suspended, task terminal), ZN_EINVAL. */
zn_status zn_loop_suspend(zn_loop *lp, int64_t task_id, const zn_loop_act *act, zn_error *err);
zn_status zn_loop_resume(zn_loop *lp, int64_t task_id, const zn_loop_act *act, zn_error *err);

/* Extend the budget by `amount` (seconds for an hours budget, working days for a working-day
 * budget), approved by `approver` under reference `approval_ref` (e.g. the approval document);
 * act->note = the reason. Errors: ZN_EINVAL (amount <= 0, no approver), ZN_ESTATE (terminal). */
zn_status zn_loop_extend(zn_loop *lp, int64_t task_id, int64_t amount, const char *approver,
                         const char *approval_ref, const zn_loop_act *act, zn_error *err);

/* One task as stored (a value copy). */
typedef struct zn_loop_task {
    int64_t id, instruction_id;
    int64_t parent_id;      /* the original of a transfer, 0 otherwise */
    int64_t transferred_to; /* the linked task when this one was transferred, 0 otherwise */
    char template_id[64];
    char title[192];        /* the issuer's title, else the template's name_zh (its name when it has
                             * no name_zh); the subject is in subject_kind / subject_ref, not here */
    char subject_kind[16], subject_ref[64];
    char assignee_kind[16], assignee[64];
    char division_code[13], grid_id[64];
    zn_task_state state;
    int64_t seq;        /* number of history rows */
    zn_budget_unit unit;
    int64_t budget;     /* template budget (seconds or working days) */
    int64_t extension;  /* sum of approved extensions, same unit */
    int suspended;      /* 1 while an open suspension stops the clock */
    int64_t created_at; /* issue time = clock start */
    int64_t deadline;   /* derived; ZN_CLOCK_STOPPED while suspended */
    int64_t done_at;    /* time of the last report back (0 if none) */
    int64_t ended_at;   /* time it became closed/cancelled/transferred (0 while open) */
} zn_loop_task;

/* Errors: ZN_ENOTFOUND, ZN_ESTORE. */
zn_status zn_loop_task_get(zn_loop *lp, int64_t task_id, zn_loop_task *out, zn_error *err);

/* One history row. */
typedef struct zn_loop_history {
    int64_t seq;
    zn_task_state from, to; /* from == to == ZN_TASK_ISSUED for the issuing row (seq 1) */
    int64_t at;
    char actor[64];
    char *note, *evidence; /* owned by the array; "" when none */
    char evidence_sha256[65];
} zn_loop_history;

/* The history of a task in order. *rows is the caller's: free with zn_loop_history_free. */
zn_status zn_loop_history_get(zn_loop *lp, int64_t task_id, zn_loop_history **rows, size_t *n, zn_error *err);
void zn_loop_history_free(zn_loop_history *rows, size_t n);

/*
 * Replay a task's stored history through the transition table: *state is the state it ends in.
 * Errors: ZN_ESTATE when a stored row is not a legal move or does not start where the previous
 * one ended (the history was tampered with), ZN_ENOTFOUND.
 */
zn_status zn_loop_replay(zn_loop *lp, int64_t task_id, zn_task_state *state, zn_error *err);

/* Which tasks to list. Zero / NULL fields do not filter. */
typedef struct zn_loop_filter {
    const char *assignee;        /* grid id, division code, team or person */
    const char *grid_id;
    const char *division_prefix; /* digits: "33" (province) … 12 digits */
    const char *template_id;
    int open_only;               /* not closed, cancelled or transferred */
    int overdue_only;            /* open with deadline < now */
    size_t limit;                /* 0 = 1000 */
} zn_loop_filter;

/* Tasks matching f, oldest first. *out is the caller's (free()). Errors: ZN_ESTORE, ZN_ENOMEM. */
zn_status zn_loop_list(zn_loop *lp, const zn_loop_filter *f, zn_loop_task **out, size_t *n, zn_error *err);

/* --------------------------------------------------------------- escalation ---- */

/* One fired rung, as passed to a tick callback. */
typedef struct zn_loop_fired {
    int64_t task_id;
    const char *rung;        /* rung name */
    int64_t due_at, fired_at;
    const char *notify_unit; /* whom it notifies (assignee, unit above, or issuer) */
} zn_loop_fired;

/* Called for each rung inside its transaction, after the record is written and before COMMIT. */
typedef void (*zn_loop_fire_fn)(void *user, const zn_loop_fired *f);

/*
 * The escalation timer: fire every rung of every active task whose due time is <= now. Each rung
 * is committed in its own transaction together with its record in loop_escalation (unique key
 * task, rung), so a crash at any point (kill -9) loses nothing and repeats nothing: the next tick
 * fires exactly the rungs that were not committed. Rungs of tasks that are reported, verified,
 * terminal, transferred or suspended are not due. *fired (may be NULL) = rungs fired by this call.
 * Errors: ZN_ESTORE.
 */
zn_status zn_loop_tick(zn_store *st, int64_t now, int64_t *fired, zn_error *err);
/* Same, with a per-rung callback (may be NULL) and a cap on rungs fired (0 = no cap). */
zn_status zn_loop_tick_ex(zn_store *st, int64_t now, int64_t max, zn_loop_fire_fn fn, void *user,
                          int64_t *fired, zn_error *err);

/* ----------------------------------------------------------------- metrics ---- */

typedef struct zn_loop_metrics_query {
    int64_t from, to;            /* range [from, to) in UTC seconds; to == 0: now */
    const char *division_prefix; /* scope, digits ("" or NULL = all) */
    int group_level;             /* 0 none; 1 province … 5 village (2, 4, 6, 9, 12 digits); 6 grid */
    int by_template;             /* 1: one row per template too */
    const char *template_id;     /* filter (NULL = all) */
} zn_loop_metrics_query;

/*
 * One row of metrics. Definitions (transfers are counted once, in the jurisdiction that does the
 * work: a task that ended by transfer counts in `transferred` only):
 *   issued       tasks created in [from, to);
 *   closed       tasks closed in [from, to);
 *   on_time      of those, reported back (last report) at or before the deadline;
 *   on_time_rate on_time / closed (NAN when closed == 0);
 *   median_close_s, p90_close_s  closed_at − created_at over `closed`, percentiles by linear
 *                interpolation between order statistics (R type 7; NAN when closed == 0);
 *   cancelled, transferred  ended that way in [from, to);
 *   backlog      open at `to` (created before `to`, not ended before `to`);
 *   overdue      of the backlog, those whose current deadline is before `to`.
 */
typedef struct zn_loop_metrics_row {
    char division[13]; /* group key: the code prefix (padded to 12 digits), or "" */
    char grid_id[64];  /* group_level 6 */
    char template_id[64];
    int64_t issued, closed, on_time, cancelled, transferred, backlog, overdue;
    double on_time_rate, median_close_s, p90_close_s;
} zn_loop_metrics_row;

/* Rows sorted by division, grid, template. *rows is the caller's (free()).
 * Errors: ZN_EINVAL (bad level / prefix), ZN_ESTORE, ZN_ENOMEM. */
zn_status zn_loop_metrics(zn_store *st, const zn_loop_metrics_query *q, zn_loop_metrics_row **rows,
                          size_t *n, zn_error *err);

/* -------------------------------------------------------------- simulation ---- */

/* A simulated day of field work (zn_loop_simulate_day). */
typedef struct zn_loop_sim_params {
    int64_t day;        /* the local day (days since 1970-01-01, zn_days_from_civil; local = the
                           store context's offset) */
    double close_share; /* 0..1: share of the open tasks worked through to closed that day */
    uint64_t seed;      /* same seed, same store → same moves at the same times */
} zn_loop_sim_params;

typedef struct zn_loop_sim_result {
    int64_t considered; /* open tasks issued before the end of the day, not transferred or suspended */
    int64_t closed;     /* of those, worked through to closed */
    int64_t left_open;  /* considered − closed */
    int64_t moves;      /* history rows written */
    int64_t fired;      /* escalation rungs fired by the ticks of the day */
    int64_t day_start, day_end; /* UTC seconds of local 00:00 and 24:00 of the day */
} zn_loop_sim_result;

/*
 * Simulate one day of field work on the store's open tasks (ended_at NULL, created before the
 * end of the day; transferred and suspended ones are left alone). Each task is picked to be
 * closed when u < close_share, u uniform in [0, 1) from a splitmix64 hash of (seed, task id), so
 * the choice of a task does not depend on the others. A picked task goes through the remaining
 * moves of the loop from its current state — received, in_progress, reported (note: the
 * decision), verified, closed (from returned: in_progress first; from reported: verified, closed)
 * — at times drawn from the same hash, sorted, at least 60 s apart, within local 08:00–22:00 of
 * the day and after both its issue and its last history row (a task that cannot fit before 24:00
 * stays open). Receive, start and report are done by the grid's worker (loop_grid.worker) or
 * "worker@<assignee>"; verify and close by "command@<division code>" (the assignee unit's command).
 * All moves of the day run in time order; before each, zn_loop_tick runs at its time, and a last
 * tick runs at local 24:00, so tasks left open escalate (warning, overdue, supervision) as their
 * rungs fall due. The store context's clock (zn_ctx_set_now) is left at the end of the day.
 * Errors: ZN_EINVAL (close_share outside [0, 1], NULL args), those of zn_loop_move and
 * zn_loop_tick, ZN_ESTORE, ZN_ENOMEM. Moves committed before an error stay.
 */
zn_status zn_loop_simulate_day(zn_loop *lp, const zn_loop_sim_params *p, zn_loop_sim_result *out, zn_error *err);

/* ======================================================= epidemic wiring ====
 * From stored kernel results to tasks (src/loop/wiring.c): close contacts of a trace run
 * (migration 6) and units entering the highest zone level (migration 4) become "contact.new" and
 * "zone.sealed" events (zn_loop_issue_event). Both are idempotent: the instruction is found again
 * by its link (kind "trace_run", ref the run id; kind "zone_day", ref "<rules>@<date>") and a
 * subject that already has an original task under it is counted as already issued. */

/* At most this many templates may listen to one wired event. */
#define ZN_LOOP_WIRING_MAX_TEMPLATES 16

/* Counts of one wiring call. */
typedef struct zn_loop_wiring_result {
    int64_t run_id;         /* trace_run.id / zone_run.id used */
    int64_t instruction_id; /* the instruction (new or found again); 0 when nothing was considered */
    int64_t subjects;       /* distinct contacts / entering units considered */
    int64_t issued;         /* subjects with tasks issued by this call */
    int64_t tasks;          /* tasks issued (originals; one per template listening to the event) */
    int64_t transferred;    /* of those tasks: transferred to another city (协查) */
    int64_t unrouted;       /* subjects skipped: not in the registry / no division / unknown division */
    int64_t already;        /* subjects skipped: tasks issued by an earlier call */
} zn_loop_wiring_result;

/*
 * One instruction "第N次流调密接（P）" (the close contacts of trace run N; P the plan's Chinese
 * name, "第九版方案" for plan-9) (issuer, issuer_unit as in zn_loop_instruction; issuer NULL =
 * "智脑", also the actor of the moves) and, for each distinct close_contact.contact of run
 * `run_id` (0 = the latest trace_run) in contact order, a "contact.new" event routed to the
 * contact's residence_division in feed_population_registry (subject_ref = the contact). A contact
 * absent from the registry (or whose division routing does not find, ZN_ENOTFOUND) is unrouted.
 * Errors: ZN_ENOTFOUND (no such trace run, no template listens to contact.new), ZN_EINVAL,
 * those of zn_loop_instruct / zn_loop_issue_event, ZN_ESTORE. Tasks issued before an error stay.
 */
zn_status zn_loop_from_trace(zn_loop *lp, int64_t run_id, const char *issuer, const char *issuer_unit,
                             zn_loop_wiring_result *out, zn_error *err);

/*
 * For the zone_run of rule set `rules` that serves issuer_unit (zn_zone_run_find(rules,
 * issuer_unit): the latest run whose area covers it; issuer_unit NULL or "" = the latest run
 * whatever its area), each unit whose period at the highest level (level_rank 0: sealed / high)
 * starts on `date` (YYYY-MM-DD) and does not continue a period at that level ending the day
 * before: one "zone.sealed" event (seal + test, per the templates) routed to the unit's
 * township_code, else its county_code (subject_ref = zone_unit.key, or "zone_unit:<id>" when the
 * key is longer than 63 bytes). The instruction is "DATE 新增L单元（规则 R）" ("…（规则 R，范围 AREA）"
 * for a run of one area; L the top level's Chinese name, 封控区 when the run has none; issuer NULL
 * = "智脑"), linked as
 * ("zone_day", "RULES@DATE") for a run without area and "RULES@DATE@AREA" for a run of one area
 * (docs/loop.md); an older RULES@DATE link is reused when its instruction already has a task about
 * one of the run's units. Errors: ZN_EINVAL (bad date, issuer_unit not a division code),
 * ZN_ENOTFOUND (no run of `rules` covers issuer_unit, no template listens to zone.sealed), those of
 * zn_loop_instruct / zn_loop_issue_event, ZN_ESTORE.
 */
zn_status zn_loop_from_zones(zn_loop *lp, const char *rules, const char *date, const char *issuer,
                             const char *issuer_unit, zn_loop_wiring_result *out, zn_error *err);

#ifdef __cplusplus
}
#endif
#endif /* ZHINAO_LOOP_H */
