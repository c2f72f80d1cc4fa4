/* The context object: logger, clock, time zone, lazily created GEOS and PROJ handles. */
#include "zhinao/core.h"

#include <geos_c.h>
#include <proj.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct zn_ctx {
    zn_log_level level;
    zn_log_fn log_fn;
    void *log_user;
    int64_t fixed_now; /* 0 = system clock */
    int32_t tz_offset;
    GEOSContextHandle_t geos;
    PJ_CONTEXT *proj;
};

zn_status zn_ctx_new(zn_ctx **out)
{
    zn_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return ZN_ENOMEM;
    c->level = ZN_LOG_WARN;
    c->tz_offset = 8 * 3600;
    *out = c;
    return ZN_OK;
}

void zn_ctx_free(zn_ctx *ctx)
{
    if (!ctx)
        return;
    if (ctx->geos)
        GEOS_finish_r(ctx->geos);
    if (ctx->proj)
        proj_context_destroy(ctx->proj);
    free(ctx);
}

void zn_ctx_set_log_level(zn_ctx *ctx, zn_log_level level) { ctx->level = level; }
zn_log_level zn_ctx_log_level(const zn_ctx *ctx) { return ctx->level; }

void zn_ctx_set_log_sink(zn_ctx *ctx, zn_log_fn fn, void *user)
{
    ctx->log_fn = fn;
    ctx->log_user = user;
}

static const char *level_name(zn_log_level l)
{
    switch (l) {
    case ZN_LOG_DEBUG: return "debug";
    case ZN_LOG_INFO: return "info";
    case ZN_LOG_WARN: return "warn";
    case ZN_LOG_ERROR: return "error";
    default: return "log";
    }
}

void zn_log(zn_ctx *ctx, zn_log_level level, const char *fmt, ...)
{
    if (!ctx || level < ctx->level || level >= ZN_LOG_OFF)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (ctx->log_fn)
        ctx->log_fn(ctx->log_user, level, line);
    else
        fprintf(stderr, "zhinao: %s: %s\n", level_name(level), line);
}

int64_t zn_ctx_now(const zn_ctx *ctx)
{
    if (ctx && ctx->fixed_now)
        return ctx->fixed_now;
    return (int64_t)time(NULL);
}

void zn_ctx_set_now(zn_ctx *ctx, int64_t utc_seconds) { ctx->fixed_now = utc_seconds; }
int32_t zn_ctx_tz_offset(const zn_ctx *ctx) { return ctx ? ctx->tz_offset : 8 * 3600; }
void zn_ctx_set_tz_offset(zn_ctx *ctx, int32_t seconds_east) { ctx->tz_offset = seconds_east; }

static void geos_message(const char *msg, void *user)
{
    zn_log((zn_ctx *)user, ZN_LOG_WARN, "GEOS: %s", msg);
}

void *zn_ctx_geos(zn_ctx *ctx)
{
    if (!ctx->geos) {
        ctx->geos = GEOS_init_r();
        if (ctx->geos) {
            GEOSContext_setErrorMessageHandler_r(ctx->geos, geos_message, ctx);
            GEOSContext_setNoticeMessageHandler_r(ctx->geos, NULL, NULL);
        }
    }
    return ctx->geos;
}

void *zn_ctx_proj(zn_ctx *ctx)
{
    if (!ctx->proj) {
        ctx->proj = proj_context_create();
        if (ctx->proj)
            proj_log_level(ctx->proj, PJ_LOG_NONE);
    }
    return ctx->proj;
}
