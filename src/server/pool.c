/*
 * A fixed pool of store connections: a zn_store is used from one thread at a time (store.h), so
 * each request borrows one for its duration. Each connection has its own zn_ctx (GEOS/PROJ
 * handles are per thread) and, when the data folder has a calendar and templates, its own
 * closed-loop engine (it keeps prepared statements on its store), and the server's own statements
 * of every request (session lookup, task list) stay prepared in conn->stmt until the pool closes.
 */
#include "server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

zn_status zn__pool_init(zn__pool *p, size_t n, const char *db_path, const char *data_dir, zn_ctx *parent,
                        zn_error *err)
{
    memset(p, 0, sizeof *p);
    p->conns = calloc(n, sizeof *p->conns);
    if (!p->conns)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    pthread_mutex_init(&p->write_mu, NULL);
    pthread_mutex_init(&p->move_mu, NULL);
    pthread_cond_init(&p->move_cv, NULL);
    p->move_tail = &p->move_head;
    p->n = n;
    for (size_t i = 0; i < n; i++) {
        zn__conn *c = &p->conns[i];
        zn_status s = zn_ctx_new(&c->ctx);
        if (s != ZN_OK)
            return zn_error_set(err, s, NULL, 0, NULL, "out of memory");
        zn_ctx_set_log_level(c->ctx, zn_ctx_log_level(parent));
        zn_ctx_set_tz_offset(c->ctx, zn_ctx_tz_offset(parent));
        if ((s = zn_store_open(c->ctx, db_path, &c->st, err)) != ZN_OK)
            return s;
        if (data_dir) {
            char probe[1024];
            FILE *f;
            snprintf(probe, sizeof probe, "%s/calendar/cn-holidays.csv", data_dir);
            if ((f = fopen(probe, "r")) != NULL) {
                fclose(f);
                zn_error e2;
                if (zn_loop_open(c->st, data_dir, &c->loop, &e2) != ZN_OK) {
                    char buf[1024];
                    zn_log(parent, ZN_LOG_WARN, "serve: tasks unavailable: %s", zn_error_format(&e2, buf, sizeof buf));
                    c->loop = NULL;
                }
            }
        }
    }
    return ZN_OK;
}

void zn__pool_fini(zn__pool *p)
{
    if (!p->conns)
        return;
    for (size_t i = 0; i < p->n; i++) {
        for (size_t k = 0; k < ZN__STMT_N; k++)
            zn_stmt_finalize(p->conns[i].stmt[k]);
        zn_loop_free(p->conns[i].loop);
        zn_store_close(p->conns[i].st);
        zn_ctx_free(p->conns[i].ctx);
    }
    free(p->conns);
    p->conns = NULL;
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->write_mu);
    pthread_mutex_destroy(&p->move_mu);
    pthread_cond_destroy(&p->move_cv);
}

zn__conn *zn__pool_get(zn__pool *p)
{
    pthread_mutex_lock(&p->mu);
    for (;;) {
        for (size_t i = 0; i < p->n; i++)
            if (!p->conns[i].busy) {
                p->conns[i].busy = 1;
                pthread_mutex_unlock(&p->mu);
                return &p->conns[i];
            }
        pthread_cond_wait(&p->cv, &p->mu);
    }
}

void zn__pool_put(zn__pool *p, zn__conn *c)
{
    pthread_mutex_lock(&p->mu);
    c->busy = 0;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}
