/* The engine object: calendar, templates, cached statements; evidence hashing; division codes. */
#include "loop_int.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const sql[ZN__Q_COUNT] = {
    [ZN__Q_TASK_INSERT] =
        "INSERT INTO loop_task(instruction_id, parent_id, template_id, title, subject_kind, subject_ref,"
        " assignee_kind, assignee, division_code, grid_id, state, seq, budget_unit, budget, extension, suspended,"
        " created_at, deadline) VALUES (?,?,?,?,?,?,?,?,?,?,'issued',1,?,?,0,0,?,?)",
    [ZN__Q_TRANSITION_INSERT] =
        "INSERT INTO loop_transition(task_id, seq, from_state, to_state, actor, at, note, evidence,"
        " evidence_sha256, detail) VALUES (?,?,?,?,?,?,?,?,?,?)",
    [ZN__Q_RUNG_INSERT] =
        "INSERT INTO loop_rung(task_id, rung, ord, at_fraction, after_deadline, notify, due_at) VALUES (?,?,?,?,?,?,?)",
    [ZN__Q_TASK_HEAD] =
        "SELECT state, seq, parent_id, suspended, done_at, closed_at, ended_at, transferred_to, created_at,"
        " budget_unit, budget, extension FROM loop_task WHERE id = ?",
    /* two forms so that a move that neither ends nor reopens a task leaves ended_at (and so the
     * partial index of open tasks) untouched */
    [ZN__Q_TASK_MOVE] =
        "UPDATE loop_task SET state = ?, seq = seq + 1, done_at = ?, closed_at = ? WHERE id = ? AND seq = ?",
    [ZN__Q_TASK_MOVE_END] =
        "UPDATE loop_task SET state = ?, seq = seq + 1, done_at = ?, closed_at = ?, ended_at = ?, transferred_to = ?"
        " WHERE id = ? AND seq = ?",
    [ZN__Q_RUNG_PARK] = "UPDATE loop_rung SET due_at = NULL WHERE task_id = ? AND fired_at IS NULL AND due_at IS NOT NULL",
    [ZN__Q_RUNG_LIST] =
        "SELECT rung, at_fraction, after_deadline FROM loop_rung WHERE task_id = ? AND fired_at IS NULL ORDER BY ord",
    [ZN__Q_RUNG_SET_DUE] = "UPDATE loop_rung SET due_at = ? WHERE task_id = ? AND rung = ? AND fired_at IS NULL",
    [ZN__Q_TASK_SET_DEADLINE] = "UPDATE loop_task SET deadline = ? WHERE id = ?",
    [ZN__Q_CLOCK_SPANS] =
        "SELECT kind, at FROM loop_clock WHERE task_id = ? AND kind IN ('suspend', 'resume') ORDER BY id",
    [ZN__Q_INSTRUCTION_UNIT] = "SELECT issuer_unit, issuer FROM loop_instruction WHERE id = ?",
    [ZN__Q_GRID_COMMUNITY] = "SELECT community_code FROM loop_grid WHERE grid_id = ?",
    [ZN__Q_GRID_BY_PLACE] = "SELECT grid_id FROM loop_grid_place WHERE community_code = ? AND place_key = ?",
    [ZN__Q_GRIDS_OF_COMMUNITY] = "SELECT grid_id FROM loop_grid WHERE community_code = ? LIMIT 2",
    [ZN__Q_DIVISION_EXISTS] = "SELECT 1 FROM division WHERE code = ? LIMIT 1",
};

zn_status zn__q(zn_loop *lp, int which, zn_stmt **out, zn_error *err)
{
    if (!lp->q[which]) {
        zn_status rc = zn_stmt_prepare(lp->st, sql[which], &lp->q[which], err);
        if (rc != ZN_OK)
            return rc;
    }
    *out = lp->q[which];
    return ZN_OK;
}

zn_status zn_loop_open(zn_store *st, const char *data_dir, zn_loop **out, zn_error *err)
{
    if (!st || !data_dir || !out)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_loop_open: NULL argument");
    zn_loop *lp = calloc(1, sizeof *lp);
    if (!lp)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    lp->st = st;
    lp->ctx = zn_store_ctx(st);
    lp->have_divisions = -1;
    zn_buf p = {0};
    zn_status rc = zn_buf_printf(&p, "%s/calendar/cn-holidays.csv", data_dir);
    if (rc == ZN_OK)
        rc = zn_calendar_load(p.data, &lp->cal, err);
    zn_buf_reset(&p);
    if (rc == ZN_OK && (rc = zn_buf_printf(&p, "%s/templates", data_dir)) == ZN_OK)
        rc = zn__templates_load(lp, p.data, err);
    zn_buf_fini(&p);
    if (rc != ZN_OK) {
        zn_loop_free(lp);
        return rc;
    }
    *out = lp;
    return ZN_OK;
}

void zn_loop_free(zn_loop *lp)
{
    if (!lp)
        return;
    for (int i = 0; i < ZN__Q_COUNT; i++)
        zn_stmt_finalize(lp->q[i]);
    zn_calendar_free(lp->cal);
    zn__templates_free(lp);
    free(lp);
}

zn_store *zn_loop_store(zn_loop *lp) { return lp->st; }
const zn_calendar *zn_loop_calendar(const zn_loop *lp) { return lp->cal; }

/* ---- evidence ---- */

zn_status zn_loop_sha256_file(const char *path, char hex[65], zn_error *err)
{
    if (sodium_init() < 0)
        return zn_error_set(err, ZN_EIO, NULL, 0, NULL, "libsodium failed to initialise");
    FILE *f = fopen(path, "rb");
    if (!f)
        return zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot open evidence file");
    crypto_hash_sha256_state s;
    crypto_hash_sha256_init(&s);
    unsigned char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        crypto_hash_sha256_update(&s, buf, got);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return zn_error_set(err, ZN_EIO, path, 0, NULL, "read error");
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&s, h);
    sodium_bin2hex(hex, 65, h, sizeof h);
    return ZN_OK;
}

zn_status zn__act_prepare(const zn_loop_act *act, char hex[65], zn_error *err)
{
    hex[0] = '\0';
    if (!act || !act->actor || !*act->actor)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "actor", "every step of a task names who did it");
    if (strlen(act->actor) > 63)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "actor", "actor longer than 63 bytes");
    if (act->evidence_file && *act->evidence_file)
        return zn_loop_sha256_file(act->evidence_file, hex, err);
    if (act->evidence_sha256 && *act->evidence_sha256) {
        const char *h = act->evidence_sha256;
        if (strlen(h) != 64)
            return zn_error_set(err, ZN_EINVAL, NULL, 0, "evidence_sha256", "expected 64 hex characters");
        for (int i = 0; i < 64; i++) {
            if (!isxdigit((unsigned char)h[i]))
                return zn_error_set(err, ZN_EINVAL, NULL, 0, "evidence_sha256", "expected 64 hex characters");
            hex[i] = (char)tolower((unsigned char)h[i]);
        }
        hex[64] = '\0';
    }
    return ZN_OK;
}

/* ---- division codes ---- */

zn_status zn__code12(const char *code, char out[13], zn_error *err)
{
    size_t n = code ? strlen(code) : 0;
    if (n != 2 && n != 4 && n != 6 && n != 9 && n != 12)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "division_code", "division code '%s': expected 2, 4, 6, 9 or 12 digits",
                            code ? code : "");
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)code[i]))
            return zn_error_set(err, ZN_EINVAL, NULL, 0, "division_code", "division code '%s': not all digits", code);
    memcpy(out, code, n);
    memset(out + n, '0', 12 - n);
    out[12] = '\0';
    return ZN_OK;
}

zn_status zn__parent_code(zn_store *st, const char *code, char out[13], zn_error *err)
{
    zn_stmt *s;
    zn_status rc = zn_stmt_prepare(st, "SELECT parent_code FROM division WHERE code = ? ORDER BY edition DESC LIMIT 1", &s, err);
    if (rc != ZN_OK)
        return rc;
    zn_stmt_bind_text(s, 1, code);
    int row = 0;
    rc = zn_stmt_step(s, &row, err);
    out[0] = '\0';
    if (rc == ZN_OK && row && !zn_stmt_column_is_null(s, 0) && strlen(zn_stmt_column_text(s, 0)) == 12) {
        memcpy(out, zn_stmt_column_text(s, 0), 13);
        zn_stmt_finalize(s);
        return ZN_OK;
    }
    zn_stmt_finalize(s);
    if (rc != ZN_OK)
        return rc;
    /* Not in the registry: the NBS code nests, so the parent is a truncation. */
    static const int cut[] = {9, 6, 4, 2};
    for (int i = 0; i < 4; i++) {
        int k = cut[i];
        int below_zero = 1;
        for (int j = k; j < 12; j++)
            if (code[j] != '0')
                below_zero = 0;
        if (!below_zero) {
            memcpy(out, code, (size_t)k);
            memset(out + k, '0', (size_t)(12 - k));
            out[12] = '\0';
            return ZN_OK;
        }
    }
    return ZN_OK; /* a province: nothing above */
}

/* ---- grids ---- */

zn_status zn_loop_grid_put(zn_store *st, const char *grid_id, const char *community_code, const char *name,
                           const char *worker, zn_error *err)
{
    char code[13];
    if (!grid_id || !*grid_id || strlen(grid_id) > 63 || !name)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "grid_id", "a grid needs an id (<= 63 bytes) and a name");
    zn_status rc = zn__code12(community_code, code, err);
    if (rc != ZN_OK)
        return rc;
    zn_stmt *s;
    rc = zn_stmt_prepare(st,
                         "INSERT INTO loop_grid(grid_id, community_code, name, worker) VALUES (?,?,?,?) "
                         "ON CONFLICT (grid_id) DO UPDATE SET community_code = excluded.community_code, "
                         "name = excluded.name, worker = excluded.worker",
                         &s, err);
    if (rc != ZN_OK)
        return rc;
    zn_stmt_bind_text(s, 1, grid_id);
    zn_stmt_bind_text(s, 2, code);
    zn_stmt_bind_text(s, 3, name);
    zn_stmt_bind_text(s, 4, worker);
    rc = zn_stmt_step(s, NULL, err);
    zn_stmt_finalize(s);
    return rc;
}

zn_status zn_loop_grid_place_put(zn_store *st, const char *grid_id, const char *place_key, zn_error *err)
{
    if (!grid_id || !place_key || !*place_key)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "place_key", "need a grid id and a place key");
    zn_stmt *s;
    zn_status rc = zn_stmt_prepare(st,
                                   "INSERT INTO loop_grid_place(community_code, place_key, grid_id) "
                                   "SELECT community_code, ?, grid_id FROM loop_grid WHERE grid_id = ? "
                                   "ON CONFLICT (community_code, place_key) DO UPDATE SET grid_id = excluded.grid_id",
                                   &s, err);
    if (rc != ZN_OK)
        return rc;
    zn_stmt_bind_text(s, 1, place_key);
    zn_stmt_bind_text(s, 2, grid_id);
    rc = zn_stmt_step(s, NULL, err);
    zn_stmt_finalize(s);
    if (rc == ZN_OK && zn_store_changes(st) == 0)
        return zn_error_set(err, ZN_ENOTFOUND, NULL, 0, "grid_id", "no grid '%s'", grid_id);
    return rc;
}
