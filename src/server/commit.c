/*
 * Group commit of task moves (zn__task_move, server_int.h).
 *
 * A task move is one small transaction (the history row, the task row, and the escalation
 * schedule when the task leaves or re-enters the active states: docs/loop.md). Run one at a time,
 * each pays the fixed price of a transaction: BEGIN IMMEDIATE and the WAL's locks, re-reading the
 * pages another connection changed, and writing every dirty page (the history table's last leaf,
 * the index pages, the task row's page) to the WAL at COMMIT. Here the moves that arrive while a
 * transaction runs do not each wait for their own: they queue, and the next worker to find no
 * batch running (the leader) runs all of them in one transaction with zn_loop_move_batch (each
 * move in a savepoint, so a refused move is undone alone), then wakes the others with their own
 * results. Nobody is answered before the commit that holds their move, so what a client is told
 * is as durable as before (WAL, synchronous=NORMAL). It is the leader/follower group commit of
 * databases (PostgreSQL's commit_delay, MySQL's binlog group commit) without an added delay: a
 * batch is whatever queued while the previous one ran, and a lone move runs alone at once.
 *
 * Locks: move_mu guards the queue and the leader flag; write_mu is held around the transaction
 * (the API's other writers of the closed loop, e.g. POST /instructions, take it too).
 */
#include "server_int.h"

#include <stdlib.h>
#include <string.h>

/* One queued move; lives on the stack of the worker that waits for it. */
typedef struct zn__move_req {
    zn_loop_move_req m;
    int done;
    struct zn__move_req *next;
} zn__move_req;

/* Run the queued moves `head` (n of them) on the leader's loop. */
static void run_batch(zn__conn *db, zn__move_req *head, size_t n)
{
    zn_loop_move_req one[16], *v = n <= 16 ? one : malloc(n * sizeof *v);
    if (!v) { /* out of memory for the copy: one transaction each */
        for (zn__move_req *r = head; r; r = r->next)
            zn_loop_move_batch(db->loop, &r->m, 1, NULL);
        return;
    }
    size_t i = 0;
    for (zn__move_req *r = head; r; r = r->next)
        v[i++] = r->m;
    zn_loop_move_batch(db->loop, v, n, NULL); /* each move's result is in v[i] */
    i = 0;
    for (zn__move_req *r = head; r; r = r->next, i++) {
        r->m.status = v[i].status;
        r->m.err = v[i].err;
    }
    if (v != one)
        free(v);
}

zn_status zn__task_move(zn__call *c, int64_t task_id, zn_task_state to, const zn_loop_act *act, zn_error *err)
{
    zn__pool *p = &c->srv->pool;
    zn__move_req me = {.m = {.task_id = task_id, .to = to, .act = *act}};
    pthread_mutex_lock(&p->move_mu);
    *p->move_tail = &me;
    p->move_tail = &me.next;
    while (!me.done && p->move_leader)
        pthread_cond_wait(&p->move_cv, &p->move_mu);
    if (!me.done) {
        /* lead: take everything queued (this move among it) */
        p->move_leader = 1;
        zn__move_req *batch = p->move_head;
        p->move_head = NULL;
        p->move_tail = &p->move_head;
        pthread_mutex_unlock(&p->move_mu);
        size_t n = 0;
        for (zn__move_req *r = batch; r; r = r->next)
            n++;
        pthread_mutex_lock(&p->write_mu);
        run_batch(c->db, batch, n);
        pthread_mutex_unlock(&p->write_mu);
        pthread_mutex_lock(&p->move_mu);
        for (zn__move_req *r = batch; r; r = r->next)
            r->done = 1; /* its owner reads it only after taking move_mu, which is held here */
        p->move_leader = 0;
        p->move_batches++;
        p->move_count += (int64_t)n;
        pthread_cond_broadcast(&p->move_cv);
    }
    pthread_mutex_unlock(&p->move_mu);
    if (me.m.status != ZN_OK && err)
        *err = me.m.err;
    return me.m.status;
}
