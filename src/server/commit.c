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
 *
 * Checkpoints. In WAL mode SQLite copies the WAL back into the database (a checkpoint, two
 * fdatasync calls: 4-12 ms each on the project machine) when a commit leaves more than 1,000 pages
 * in it, inside that commit: with the moves serialised on write_mu every move queued behind it
 * waited, and that set the p99. A batch of moves therefore commits without checkpointing
 * (zn_store_set_autocheckpoint 0 around it; the server's other writers, e.g. the escalation
 * timer, still checkpoint when they commit), and a thread of its own checkpoints, on its own
 * connection, after every CKPT_MOVES moves or once a second: a PASSIVE checkpoint, which runs
 * beside the writers (it only copies frames already committed). A WAL written without pause is never copied to its very end,
 * and SQLite only starts it again from the beginning when it was and no reader still reads from it
 * (sqlite.org/wal.html, "Avoiding Excessively Large WAL Files"): so when the WAL holds more than
 * CKPT_WAL_CAP frames the thread takes write_mu for a RESTART checkpoint, which has only the frames
 * written since the passive one left to copy, then waits for the readers of the WAL (short reads;
 * at most 50 ms, else it tries again next round) so that the next commit writes the WAL from its
 * beginning again.
 */
#include "server_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    CKPT_MOVES = 256,    /* moves between checkpoints: ~1,000 WAL pages when each is alone */
    CKPT_WAL_CAP = 32768, /* WAL frames (4 KB pages, 128 MB) beyond which a checkpoint holds write_mu */
};

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
        if (p->ckpt_started)
            zn_store_set_autocheckpoint(c->db->st, 0);
        run_batch(c->db, batch, n);
        if (p->ckpt_started)
            zn_store_set_autocheckpoint(c->db->st, 1000);
        pthread_mutex_unlock(&p->write_mu);
        pthread_mutex_lock(&p->move_mu);
        for (zn__move_req *r = batch; r; r = r->next)
            r->done = 1; /* its owner reads it only after taking move_mu, which is held here */
        p->move_leader = 0;
        p->move_batches++;
        p->move_count += (int64_t)n;
        p->ckpt_moves += (int64_t)n;
        if (p->ckpt_started && p->ckpt_moves >= CKPT_MOVES)
            pthread_cond_signal(&p->ckpt_cv);
        pthread_cond_broadcast(&p->move_cv);
    }
    pthread_mutex_unlock(&p->move_mu);
    if (me.m.status != ZN_OK && err)
        *err = me.m.err;
    return me.m.status;
}

/* ------------------------------------------------------------ checkpoints ---- */

/* One checkpoint (PASSIVE, or RESTART: see the top of the file); *log = frames in the WAL (-1 when
 * unknown). */
static void checkpoint(zn__pool *p, int restart, int64_t *log)
{
    zn_stmt *q;
    zn_error e;
    *log = -1;
    if (zn_stmt_prepare(p->ckpt_st, restart ? "PRAGMA wal_checkpoint(RESTART)" : "PRAGMA wal_checkpoint(PASSIVE)", &q,
                        &e) != ZN_OK)
        return;
    int row = 0;
    if (zn_stmt_step(q, &row, &e) == ZN_OK && row) /* busy, log, checkpointed */
        *log = zn_stmt_column_int64(q, 1);
    zn_stmt_finalize(q);
}

static void *ckpt_main(void *arg)
{
    zn__pool *p = arg;
    pthread_mutex_lock(&p->move_mu);
    while (!p->ckpt_stop) {
        if (p->ckpt_moves < CKPT_MOVES) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 1;
            pthread_cond_timedwait(&p->ckpt_cv, &p->move_mu, &until);
            if (p->ckpt_stop)
                break;
        }
        p->ckpt_moves = 0;
        pthread_mutex_unlock(&p->move_mu);
        int64_t log;
        checkpoint(p, 0, &log); /* beside the writers */
        int locked = log > CKPT_WAL_CAP;
        int64_t held = 0;
        if (locked) { /* finish it while no move commits, so the WAL can restart */
            checkpoint(p, 0, &log); /* first what came during the first pass, still beside the writers */
            pthread_mutex_lock(&p->write_mu);
            struct timespec t0, t1;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            checkpoint(p, 1, &log);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            pthread_mutex_unlock(&p->write_mu);
            held = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
        }
        pthread_mutex_lock(&p->move_mu);
        p->ckpt_count++;
        p->ckpt_locked += locked;
        p->ckpt_locked_us += held;
    }
    pthread_mutex_unlock(&p->move_mu);
    return NULL;
}

zn_status zn__checkpointer_start(zn__pool *p, const char *db_path, zn_ctx *ctx, zn_error *err)
{
    zn_status s = zn_ctx_new(&p->ckpt_ctx);
    if (s != ZN_OK)
        return zn_error_set(err, s, NULL, 0, NULL, "out of memory");
    zn_ctx_set_log_level(p->ckpt_ctx, zn_ctx_log_level(ctx));
    if ((s = zn_store_open(p->ckpt_ctx, db_path, &p->ckpt_st, err)) != ZN_OK) {
        zn_ctx_free(p->ckpt_ctx);
        p->ckpt_ctx = NULL;
        return s;
    }
    /* A RESTART checkpoint holds the database's write lock while it waits for the readers of the
     * WAL: a long read (a country-wide GeoJSON) must not keep every writer of the server waiting
     * for seconds (and failing at their own 5 s busy timeout). After 50 ms it gives up, with the
     * copying done, and the next round tries again. PASSIVE checkpoints never wait. */
    if ((s = zn_store_exec(p->ckpt_st, "PRAGMA busy_timeout=50", err)) != ZN_OK) {
        zn_store_close(p->ckpt_st);
        zn_ctx_free(p->ckpt_ctx);
        p->ckpt_st = NULL;
        p->ckpt_ctx = NULL;
        return s;
    }
    pthread_cond_init(&p->ckpt_cv, NULL);
    p->ckpt_stop = 0;
    if (pthread_create(&p->ckpt_thread, NULL, ckpt_main, p) != 0) {
        pthread_cond_destroy(&p->ckpt_cv);
        zn_store_close(p->ckpt_st);
        zn_ctx_free(p->ckpt_ctx);
        p->ckpt_st = NULL;
        p->ckpt_ctx = NULL;
        return zn_error_set(err, ZN_EIO, NULL, 0, NULL, "cannot start the checkpoint thread: %s", strerror(errno));
    }
    p->ckpt_started = 1; /* from now on batches of moves leave the checkpoints to the thread */
    return ZN_OK;
}

void zn__checkpointer_stop(zn__pool *p)
{
    if (!p->ckpt_started)
        return;
    pthread_mutex_lock(&p->move_mu);
    p->ckpt_stop = 1;
    pthread_cond_signal(&p->ckpt_cv);
    pthread_mutex_unlock(&p->move_mu);
    pthread_join(p->ckpt_thread, NULL);
    p->ckpt_started = 0;
    pthread_cond_destroy(&p->ckpt_cv);
    int64_t log;
    checkpoint(p, 0, &log); /* what the last moves wrote */
    zn_store_close(p->ckpt_st);
    zn_ctx_free(p->ckpt_ctx);
    p->ckpt_st = NULL;
    p->ckpt_ctx = NULL;
}
