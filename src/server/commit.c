/*
 * Group commit of task moves: see zn__task_move in server_int.h.
 */
#include "server_int.h"

zn_status zn__task_move(zn__call *c, int64_t task_id, zn_task_state to, const zn_loop_act *act, zn_error *err)
{
    zn__pool *p = &c->srv->pool;
    pthread_mutex_lock(&p->write_mu);
    zn_status s = zn_loop_move(c->db->loop, task_id, to, act, err);
    pthread_mutex_unlock(&p->write_mu);
    return s;
}
