/* Internal to src/loop: the engine object, cached statements, shared helpers. */
#ifndef ZN_LOOP_INT_H
#define ZN_LOOP_INT_H

#include "zhinao/loop.h"

#include <stdint.h>

/* Prepared statements the engine keeps (the hot paths: issue, move, refresh). */
enum {
    ZN__Q_TASK_INSERT,
    ZN__Q_TRANSITION_INSERT,
    ZN__Q_RUNG_INSERT,
    ZN__Q_TASK_HEAD,
    ZN__Q_TASK_MOVE,
    ZN__Q_TASK_MOVE_END,
    ZN__Q_RUNG_PARK,
    ZN__Q_RUNG_LIST,
    ZN__Q_RUNG_SET_DUE,
    ZN__Q_TASK_SET_DEADLINE,
    ZN__Q_CLOCK_SPANS,
    ZN__Q_INSTRUCTION_UNIT,
    ZN__Q_GRID_COMMUNITY,
    ZN__Q_GRID_BY_PLACE,
    ZN__Q_GRIDS_OF_COMMUNITY,
    ZN__Q_DIVISION_EXISTS,
    ZN__Q_COUNT
};

typedef struct zn__tpl {
    zn_loop_template pub;
    char *id, *name, *name_zh, *subject, *source, *file;
    char **steps;
    char **steps_zh; /* NULL when the template has none, else as many as steps */
    char **triggers;
    char *rung_names[ZN_LOOP_MAX_RUNGS];
} zn__tpl;

struct zn_loop {
    zn_store *st;
    zn_ctx *ctx;
    zn_calendar *cal;
    zn__tpl *tpls;
    size_t ntpls;
    zn_stmt *q[ZN__Q_COUNT];
    int have_divisions; /* -1 unknown, 0 / 1 */
};

/* A cached statement, prepared on first use and reset after. */
zn_status zn__q(zn_loop *lp, int which, zn_stmt **out, zn_error *err);

/* Templates (template.c). */
zn_status zn__templates_load(zn_loop *lp, const char *dir, zn_error *err);
void zn__templates_free(zn_loop *lp);

/* Text names of units and notify targets. */
zn_status zn__budget_unit_parse(const char *s, zn_budget_unit *out);
const char *zn__notify_name(zn_rung_notify n);
zn_status zn__notify_parse(const char *s, zn_rung_notify *out);

/* Normalize a division code of 2, 4, 6, 9 or 12 digits to 12 digits (zero padded). ZN_EINVAL. */
zn_status zn__code12(const char *code, char out[13], zn_error *err);
/* The code of the unit above a 12-digit code: from table `division` (newest edition) when it
 * lists the code, else by truncation (village → township → county → city → province). "" above a
 * province. */
zn_status zn__parent_code(zn_store *st, const char *code, char out[13], zn_error *err);

/* Recompute a task's derived deadline and the due times of its unfired rungs (parked when the
 * task is not active). Must run inside a transaction. */
zn_status zn__task_refresh(zn_loop *lp, int64_t task_id, zn_error *err);

/* Issue inside an open transaction (used by zn_loop_issue and transfers). */
zn_status zn__issue_one(zn_loop *lp, const zn_loop_task_spec *spec, const zn_loop_act *act, const char *evidence_hex,
                        const zn_loop_route *route, int64_t parent_id, int64_t *task_id, zn_error *err);

/* Validate an act and compute the evidence hash (hex, "" when none). */
zn_status zn__act_prepare(const zn_loop_act *act, char hex[65], zn_error *err);

#endif
