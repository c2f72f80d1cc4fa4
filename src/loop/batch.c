/*
 * Several task moves in one transaction (zn_loop_move_batch, loop.h): the closed loop's side of
 * the server's group commit (src/server/commit.c).
 */
#include "zhinao/loop.h"

zn_status zn_loop_move_batch(zn_loop *lp, zn_loop_move_req *reqs, size_t n, zn_error *err)
{
    if (!lp || (!reqs && n))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_loop_move_batch: NULL argument");
    if (!n)
        return ZN_OK;
    if (n == 1) { /* nothing to share: the move's own transaction */
        reqs[0].status = zn_loop_move(lp, reqs[0].task_id, reqs[0].to, &reqs[0].act, &reqs[0].err);
        return ZN_OK;
    }
    for (size_t k = 0; k < n; k++)
        reqs[k].status = ZN_OK;
    zn_store *st = zn_loop_store(lp);
    zn_error e;
    zn_status s = zn_store_begin(st, &e);
    for (size_t i = 0; s == ZN_OK && i < n; i++) {
        zn_loop_move_req *r = &reqs[i];
        if ((s = zn_store_savepoint(st, &e)) != ZN_OK)
            break;
        zn_status own = zn_loop_move(lp, r->task_id, r->to, &r->act, &r->err);
        s = zn_store_savepoint_end(st, own == ZN_OK, &e);
        if (own != ZN_OK)
            r->status = own; /* refused alone: undone to its savepoint, the others go on */
        /* s != ZN_OK: the savepoint could not be closed; stop and roll everything back */
    }
    if (s == ZN_OK)
        s = zn_store_commit(st, &e);
    else
        zn_store_rollback(st);
    if (s == ZN_OK)
        return ZN_OK;
    for (size_t k = 0; k < n; k++) /* nothing was kept: the moves not refused alone fail with the reason */
        if (reqs[k].status == ZN_OK) {
            reqs[k].status = s;
            reqs[k].err = e;
        }
    if (err)
        *err = e;
    return s;
}
