/*
 * Server-sent events (/api/v1/events, text/event-stream; WHATWG HTML §9.2).
 *
 * Each stream is a libmicrohttpd callback response. When a stream has nothing to send its
 * connection is suspended (MHD_suspend_connection, so no worker thread spins on it) and a
 * publisher resumes it. One event thread wakes every `interval` seconds: it runs the closed-loop
 * escalation timer (zn_loop_tick) when tasks exist, looks for changes in the store (new feed
 * files, case rows, task moves, fired rungs) and publishes them as notices, then sends a keep-alive
 * comment that also finds streams whose client went away. Notices carry counts and ids only;
 * clients refetch what they may see through the scoped API.
 */
#include "server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PENDING_MAX (1u << 20) /* a client this far behind is dropped */

struct zn__sse_client {
    zn_server *srv;
    struct MHD_Connection *conn;
    zn_buf pending;
    size_t sent;
    int suspended;
    int dead;
    zn__sse_client *next, *prev;
};

/* Append to every stream (ev.mu held) and wake the suspended ones. */
static void broadcast_locked(zn__events *ev, const char *text)
{
    for (zn__sse_client *c = ev->clients; c; c = c->next) {
        if (c->dead)
            continue;
        if (c->pending.len - c->sent + strlen(text) > PENDING_MAX || zn_buf_puts(&c->pending, text) != ZN_OK)
            c->dead = 1;
        if (c->suspended) {
            c->suspended = 0;
            MHD_resume_connection(c->conn);
        }
    }
}

static int event_name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n > 0 && n < 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz_.") == n;
}

zn_status zn_server_publish(zn_server *srv, const char *event, const char *data, zn_error *err)
{
    if (!srv || !event_name_ok(event) || !data || strchr(data, '\n') || strchr(data, '\r'))
        return zn_error_set(err, ZN_EINVAL, NULL, 0, "event", "event names are [a-z_.]+ and data one line");
    zn_buf msg = {0};
    pthread_mutex_lock(&srv->ev.mu);
    srv->ev.seq++;
    zn_status s = zn_buf_printf(&msg, "id: %lld\nevent: %s\ndata: %s\n\n", (long long)srv->ev.seq, event, data);
    if (s == ZN_OK)
        broadcast_locked(&srv->ev, msg.data);
    pthread_mutex_unlock(&srv->ev.mu);
    zn_buf_fini(&msg);
    if (s != ZN_OK)
        return zn_error_set(err, s, NULL, 0, NULL, "out of memory");
    return ZN_OK;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    zn__sse_client *c = cls;
    zn__events *ev = &c->srv->ev;
    (void)pos;
    ssize_t n = 0;
    pthread_mutex_lock(&ev->mu);
    if (c->dead) {
        n = MHD_CONTENT_READER_END_WITH_ERROR;
    } else if (c->pending.len > c->sent) {
        size_t k = c->pending.len - c->sent;
        if (k > max)
            k = max;
        memcpy(buf, c->pending.data + c->sent, k);
        c->sent += k;
        if (c->sent == c->pending.len) {
            zn_buf_reset(&c->pending);
            c->sent = 0;
        }
        n = (ssize_t)k;
    } else if (ev->closing) {
        n = MHD_CONTENT_READER_END_OF_STREAM;
    } else {
        c->suspended = 1; /* a publisher resumes it */
        MHD_suspend_connection(c->conn);
    }
    pthread_mutex_unlock(&ev->mu);
    return n;
}

static void client_free(void *cls)
{
    zn__sse_client *c = cls;
    zn__events *ev = &c->srv->ev;
    pthread_mutex_lock(&ev->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        ev->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&ev->mu);
    zn_buf_fini(&c->pending);
    free(c);
}

enum MHD_Result zn__events_respond(zn__call *call)
{
    zn_server *srv = call->srv;
    zn__sse_client *c = calloc(1, sizeof *c);
    if (!c)
        return MHD_NO;
    c->srv = srv;
    c->conn = call->conn;
    json_t *hello = json_pack("{s:s, s:s, s:I}", "user", call->who.user.name, "scope", call->who.user.scope,
                              "interval", (json_int_t)srv->ev.interval);
    char *h = hello ? json_dumps(hello, JSON_COMPACT) : NULL;
    json_decref(hello);
    pthread_mutex_lock(&srv->ev.mu);
    int closing = srv->ev.closing;
    zn_status s = zn_buf_printf(&c->pending, "retry: 5000\nevent: hello\ndata: %s\n\n", h ? h : "{}");
    if (!closing && s == ZN_OK) {
        c->next = srv->ev.clients;
        if (c->next)
            c->next->prev = c;
        srv->ev.clients = c;
    }
    pthread_mutex_unlock(&srv->ev.mu);
    free(h);
    if (closing || s != ZN_OK) {
        zn_buf_fini(&c->pending);
        free(c);
        return MHD_NO;
    }
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1024, reader, c, client_free);
    if (!r) {
        client_free(c);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/event-stream; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_set_connection_option(call->conn, MHD_CONNECTION_OPTION_TIMEOUT, 0u); /* keep-alives find dead peers */
    enum MHD_Result ret = MHD_queue_response(call->conn, 200, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- the event thread ---- */

typedef struct seen {
    int64_t lineage, cases, moves, escalations, zone_runs, overrides, trace_runs, alerts;
} seen;

static int64_t q1(zn_store *st, const char *table, const char *sql)
{
    int yes = 0;
    int64_t v = -1;
    if (zn_store_table_exists(st, table, &yes, NULL) != ZN_OK || !yes)
        return -1;
    if (zn_store_query_int64(st, sql, &v, NULL) != ZN_OK)
        return -1;
    return v;
}

/* Publish `event` {"key": now} when a watched value changed. */
static void announce(zn_server *srv, const char *event, const char *key, int64_t was, int64_t now)
{
    if (was == now)
        return;
    char data[128];
    snprintf(data, sizeof data, "{\"%s\":%lld}", key, (long long)now);
    zn_server_publish(srv, event, data, NULL);
}

static void look(zn_server *srv, seen *was, int first)
{
    zn__conn *db = zn__pool_get(&srv->pool);
    int64_t now = zn_ctx_now(srv->ctx);
    zn_ctx_set_now(db->ctx, now);
    char data[128];
    /* not at start: the first tick of a store with many overdue tasks is one long write
     * transaction, and `zhinao serve` writes its accounts right after starting */
    if (db->loop && !first) {
        /* Each rung fires in its own short transaction, but a store with thousands of overdue
         * tasks fires them back to back for seconds: the other writers of the server (a login's
         * session, an audit row) sleep in SQLite's busy handler (1, 2, 5 ... 100 ms) and could
         * find the write lock taken at every try until their 5 s timeout ("database is locked").
         * So the tick runs TICK_CHUNK rungs at a time under write_mu (the API's moves queue on it
         * instead) and leaves the lock free for TICK_PAUSE_MS between chunks. */
        enum { TICK_CHUNK = 64, TICK_PAUSE_MS = 20 };
        int64_t fired = 0, got = 0;
        zn_error err;
        zn_status ts;
        int closing = 0;
        do {
            got = 0;
            pthread_mutex_lock(&srv->pool.write_mu);
            ts = zn_loop_tick_ex(db->st, now, TICK_CHUNK, NULL, NULL, &got, &err);
            pthread_mutex_unlock(&srv->pool.write_mu);
            fired += got;
            if (ts == ZN_OK && got >= TICK_CHUNK) {
                struct timespec pause = {0, TICK_PAUSE_MS * 1000000L};
                nanosleep(&pause, NULL);
                pthread_mutex_lock(&srv->ev.mu);
                closing = srv->ev.closing;
                pthread_mutex_unlock(&srv->ev.mu);
            }
        } while (ts == ZN_OK && got >= TICK_CHUNK && !closing);
        if (ts != ZN_OK) {
            char buf[1024];
            zn_log(srv->ctx, ZN_LOG_WARN, "serve: escalation tick: %s", zn_error_format(&err, buf, sizeof buf));
        } else if (fired > 0) {
            snprintf(data, sizeof data, "{\"fired\":%lld}", (long long)fired);
            zn_server_publish(srv, "task.escalated", data, NULL);
        }
    }
    seen is = {
        .lineage = q1(db->st, "lineage", "SELECT COALESCE(MAX(id), 0) FROM lineage"),
        .cases = q1(db->st, "case_residence", "SELECT COUNT(*) FROM case_residence"),
        .moves = q1(db->st, "loop_transition", "SELECT COALESCE(MAX(rowid), 0) FROM loop_transition"),
        .escalations = q1(db->st, "loop_escalation", "SELECT COUNT(*) FROM loop_escalation"),
        .zone_runs = q1(db->st, "zone_run", "SELECT COALESCE(MAX(id), 0) FROM zone_run"),
        .overrides = q1(db->st, "zone_override", "SELECT COALESCE(MAX(id), 0) FROM zone_override"),
        .trace_runs = q1(db->st, "trace_run", "SELECT COALESCE(MAX(id), 0) FROM trace_run WHERE finished_at IS NOT NULL"),
        .alerts = q1(db->st, "alert", "SELECT COALESCE(MAX(id), 0) FROM alert"),
    };
    zn__pool_put(&srv->pool, db);
    if (!first) {
        announce(srv, "hub.lineage", "lineage_id", was->lineage, is.lineage);
        announce(srv, "cases.changed", "rows", was->cases, is.cases);
        announce(srv, "tasks.changed", "transition", was->moves, is.moves);
        announce(srv, "tasks.overdue", "escalations", was->escalations, is.escalations);
        if (is.overrides != was->overrides) /* an operator's decision changes the map as a run does */
            was->zone_runs = -2;
        announce(srv, "zones.changed", "zone_run", was->zone_runs, is.zone_runs);
        announce(srv, "contacts.changed", "trace_run", was->trace_runs, is.trace_runs);
        announce(srv, "alerts.new", "alert", was->alerts, is.alerts);
    }
    *was = is;
}

static void *event_thread(void *arg)
{
    zn_server *srv = arg;
    seen was;
    look(srv, &was, 1);
    pthread_mutex_lock(&srv->ev.mu);
    while (!srv->ev.closing) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += srv->ev.interval;
        int rc = 0;
        while (!srv->ev.closing && rc == 0)
            rc = pthread_cond_timedwait(&srv->ev.cv, &srv->ev.mu, &until);
        if (srv->ev.closing)
            break;
        pthread_mutex_unlock(&srv->ev.mu);
        look(srv, &was, 0);
        pthread_mutex_lock(&srv->ev.mu);
        broadcast_locked(&srv->ev, ": keep-alive\n\n");
    }
    pthread_mutex_unlock(&srv->ev.mu);
    return NULL;
}

zn_status zn__events_start(zn_server *srv, zn_error *err)
{
    if (pthread_create(&srv->ev.thread, NULL, event_thread, srv) != 0)
        return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "cannot start the event thread");
    srv->ev.thread_started = 1;
    return ZN_OK;
}

void zn__events_stop(zn_server *srv)
{
    pthread_mutex_lock(&srv->ev.mu);
    srv->ev.closing = 1;
    for (zn__sse_client *c = srv->ev.clients; c; c = c->next)
        if (c->suspended) {
            c->suspended = 0;
            MHD_resume_connection(c->conn);
        }
    pthread_cond_broadcast(&srv->ev.cv);
    pthread_mutex_unlock(&srv->ev.mu);
    if (srv->ev.thread_started) {
        pthread_join(srv->ev.thread, NULL);
        srv->ev.thread_started = 0;
    }
}
