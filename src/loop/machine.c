/*
 * The task state machine: names and the transition table (one array, data). The shape follows
 * the national 12345 closed loop (受理 → 派单 → 办理 → 回复 → 核查 → 办结, with 退回 / 改派 / 督办,
 * 国办发〔2020〕53号) and the grid loop (派遣 → 处置 → 反馈 → 核查结案); see
 * ../shared/research/egov-anchors.md §4.1.
 */
#include "loop_int.h"

#include <string.h>

static const char *const state_names[ZN_TASK_NSTATES] = {
    [ZN_TASK_ISSUED] = "issued",         [ZN_TASK_RECEIVED] = "received",
    [ZN_TASK_IN_PROGRESS] = "in_progress", [ZN_TASK_REPORTED] = "reported",
    [ZN_TASK_VERIFIED] = "verified",     [ZN_TASK_CLOSED] = "closed",
    [ZN_TASK_RETURNED] = "returned",     [ZN_TASK_REASSIGNED] = "reassigned",
    [ZN_TASK_TRANSFERRED] = "transferred", [ZN_TASK_CANCELLED] = "cancelled",
};

/* The closed loop: every allowed move, nothing else. */
static const struct {
    zn_task_state from, to;
} moves[] = {
    {ZN_TASK_ISSUED, ZN_TASK_RECEIVED},
    {ZN_TASK_ISSUED, ZN_TASK_REASSIGNED},
    {ZN_TASK_ISSUED, ZN_TASK_TRANSFERRED},
    {ZN_TASK_ISSUED, ZN_TASK_CANCELLED},
    {ZN_TASK_RECEIVED, ZN_TASK_IN_PROGRESS},
    {ZN_TASK_RECEIVED, ZN_TASK_REPORTED},
    {ZN_TASK_RECEIVED, ZN_TASK_REASSIGNED},
    {ZN_TASK_RECEIVED, ZN_TASK_TRANSFERRED},
    {ZN_TASK_RECEIVED, ZN_TASK_CANCELLED},
    {ZN_TASK_IN_PROGRESS, ZN_TASK_REPORTED},
    {ZN_TASK_IN_PROGRESS, ZN_TASK_REASSIGNED},
    {ZN_TASK_IN_PROGRESS, ZN_TASK_TRANSFERRED},
    {ZN_TASK_IN_PROGRESS, ZN_TASK_CANCELLED},
    {ZN_TASK_REPORTED, ZN_TASK_VERIFIED},
    {ZN_TASK_REPORTED, ZN_TASK_RETURNED},
    {ZN_TASK_REPORTED, ZN_TASK_CANCELLED},
    {ZN_TASK_VERIFIED, ZN_TASK_CLOSED},
    {ZN_TASK_VERIFIED, ZN_TASK_RETURNED},
    {ZN_TASK_RETURNED, ZN_TASK_IN_PROGRESS},
    {ZN_TASK_RETURNED, ZN_TASK_REPORTED},
    {ZN_TASK_RETURNED, ZN_TASK_REASSIGNED},
    {ZN_TASK_RETURNED, ZN_TASK_CANCELLED},
    {ZN_TASK_REASSIGNED, ZN_TASK_RECEIVED},
    {ZN_TASK_REASSIGNED, ZN_TASK_REASSIGNED},
    {ZN_TASK_REASSIGNED, ZN_TASK_TRANSFERRED},
    {ZN_TASK_REASSIGNED, ZN_TASK_CANCELLED},
    {ZN_TASK_TRANSFERRED, ZN_TASK_CLOSED},
    {ZN_TASK_TRANSFERRED, ZN_TASK_RETURNED},
    {ZN_TASK_TRANSFERRED, ZN_TASK_CANCELLED},
};

const char *zn_task_state_name(zn_task_state s)
{
    return ((unsigned)s < ZN_TASK_NSTATES) ? state_names[s] : "unknown";
}

zn_status zn_task_state_parse(const char *name, zn_task_state *out)
{
    for (int i = 0; name && i < ZN_TASK_NSTATES; i++)
        if (!strcmp(name, state_names[i])) {
            *out = (zn_task_state)i;
            return ZN_OK;
        }
    return ZN_EINVAL;
}

int zn_task_state_active(zn_task_state s)
{
    return s == ZN_TASK_ISSUED || s == ZN_TASK_RECEIVED || s == ZN_TASK_IN_PROGRESS || s == ZN_TASK_RETURNED ||
           s == ZN_TASK_REASSIGNED;
}

int zn_task_state_terminal(zn_task_state s) { return s == ZN_TASK_CLOSED || s == ZN_TASK_CANCELLED; }

zn_status zn_task_check_move(zn_task_state from, zn_task_state to, zn_error *err)
{
    for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++)
        if (moves[i].from == from && moves[i].to == to)
            return ZN_OK;
    return zn_error_set(err, ZN_ESTATE, NULL, 0, "state", "illegal transition %s -> %s", zn_task_state_name(from),
                        zn_task_state_name(to));
}

const char *zn_budget_unit_name(zn_budget_unit u)
{
    return u == ZN_BUDGET_HOURS ? "hours" : u == ZN_BUDGET_WORKDAYS ? "workdays" : "unknown";
}

zn_status zn__budget_unit_parse(const char *s, zn_budget_unit *out)
{
    if (s && !strcmp(s, "hours"))
        *out = ZN_BUDGET_HOURS;
    else if (s && !strcmp(s, "workdays"))
        *out = ZN_BUDGET_WORKDAYS;
    else
        return ZN_EINVAL;
    return ZN_OK;
}

const char *zn__notify_name(zn_rung_notify n)
{
    switch (n) {
    case ZN_NOTIFY_ASSIGNEE: return "assignee";
    case ZN_NOTIFY_LEVEL_ABOVE: return "level_above";
    case ZN_NOTIFY_ISSUER: return "issuer";
    }
    return "unknown";
}

zn_status zn__notify_parse(const char *s, zn_rung_notify *out)
{
    if (!s)
        return ZN_EINVAL;
    if (!strcmp(s, "assignee"))
        *out = ZN_NOTIFY_ASSIGNEE;
    else if (!strcmp(s, "level_above"))
        *out = ZN_NOTIFY_LEVEL_ABOVE;
    else if (!strcmp(s, "issuer"))
        *out = ZN_NOTIFY_ISSUER;
    else
        return ZN_EINVAL;
    return ZN_OK;
}
