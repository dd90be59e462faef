/* replica.c -- wiring of one replication: the model's event stream goes to
 * the metrics and (optionally) the store through one sink. */
#include "replica.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

typedef struct rep_ctx {
    met_t *met;
    store_t *store;
    rb_t *buf;
    int store_events;
} rep_ctx;

static int sink_member(void *ctx, const ev_member *m)
{
    rep_ctx *c = ctx;
    if (met_member(c->met, m) != 0) return -1;
    if (c->buf) return m->left_ts >= 0 ? rb_member_left(c->buf, m->group_id, m->member_id, m->left_ts)
                                       : rb_member(c->buf, m);
    if (!c->store) return 0;
    if (m->left_ts >= 0) return store_member_left(c->store, m->group_id, m->member_id, m->left_ts);
    return store_member(c->store, m, NULL);
}

static int sink_event(void *ctx, const ev_rec *e)
{
    rep_ctx *c = ctx;
    if (met_event(c->met, e) != 0) return -1;
    if (c->store && c->store_events) return store_event(c->store, e);
    if (c->buf && c->store_events) return rb_event(c->buf, e);
    return 0;
}

typedef struct emit_ctx {
    store_t *store;
    rb_t *buf;
    const cal *cal;
} emit_ctx;

static int emit_row(void *ctx, int32_t group_id, int64_t day, const char *metric, double value)
{
    emit_ctx *c = ctx;
    if (day < 0)
        return c->buf ? rb_summary(c->buf, group_id, metric, value) : store_summary(c->store, group_id, metric, value);
    char date[16];
    cal_date_str(c->cal, day, date);
    return c->buf ? rb_daily(c->buf, group_id, date, metric, value) : store_daily(c->store, group_id, date, metric, value);
}

int rep_run(const scenario *sc, int arm, int rep, const rep_opts *o,
            met_t **met_out, com_stats *stats, char *err, size_t errlen)
{
    *met_out = NULL;
    const scen_arm *a = &sc->arms[arm];
    met_opts mo = {sc->cal.start_ts, sc->cal.utc_offset, sc->run.days, 0, 0};
    rep_ctx ctx = {NULL, o ? o->store : NULL, o && !o->store ? o->buf : NULL, o ? o->store_events : 0};
    sim_t *sim = NULL;
    com_t *com = NULL;
    char *settings = NULL;
    int in_tx = 0, rc = -1;

    if (met_open(&ctx.met, &mo) != 0) { snprintf(err, errlen, "metrics: out of memory or bad window"); goto out; }
    /* the engine enforces the model's pending-event guard (limits.pending) */
    if (sim_open(&sim, NULL) != 0) { snprintf(err, errlen, "engine: out of memory"); goto out; }
    sim_set_max_pending(sim, (size_t)COM_PENDING_LIMIT(&a->com));
    ev_sink sink = {sink_member, sink_event, &ctx};
    if (com_new(&com, &a->com, sim, &sc->cal, sc->seed, (uint64_t)rep, &sink, err, errlen) != 0) goto out;
    if (ctx.store || ctx.buf) {
        const char *st = o->settings;
        if (!st) st = settings = scen_settings_text(sc, arm);
        if (!st) { snprintf(err, errlen, "settings: out of memory"); goto out; }
        store_run r = {o->run_id, o->batch_id, sc->run.name, a->name, o->point, rep, (int64_t)sc->seed,
                       st, "sim", sc->cal.start_ts, sc->cal.utc_offset, sc->run.days};
        if (ctx.buf) {
            /* the same header and group row the store would get, for later */
            rb_reset(ctx.buf);
            if (rb_set_run(ctx.buf, &r) || rb_group(ctx.buf, 1, sc->run.name)) {
                snprintf(err, errlen, "buffer: out of memory");
                goto out;
            }
        } else {
            int64_t run_id;
            if (store_run_begin(ctx.store, &r, &run_id) != 0) {
                snprintf(err, errlen, "store: %s", store_errmsg(ctx.store));
                goto out;
            }
            in_tx = 1;
            if (store_group(ctx.store, 1, sc->run.name) != 0) goto store_fail;
        }
    }
    if (com_start(com) != 0) goto model_fail;
    /* the window is [0, days*86400): stop just before the next midnight */
    sim_run_until(sim, nextafter((double)sc->run.days * 86400.0, 0.0));
    if (com_finish(com) != 0) goto model_fail;
    /* the groups the overflow rule opened during the run get their rows too */
    com_stats cs;
    com_get_stats(com, &cs);
    for (int32_t g = 2; g <= (int32_t)cs.groups; g++) {
        char gname[OPT_STR_MAX + 16];
        snprintf(gname, sizeof gname, "%s #%d", sc->run.name, (int)g);
        if (ctx.store && store_group(ctx.store, g, gname) != 0) goto store_fail;
        if (ctx.buf && rb_group(ctx.buf, g, gname) != 0) { snprintf(err, errlen, "buffer: out of memory"); goto out; }
    }
    if (met_finish(ctx.met) != 0) { snprintf(err, errlen, "metrics: failed to finish"); goto out; }
    if (ctx.store) {
        emit_ctx ec = {ctx.store, NULL, &sc->cal};
        if (met_emit(ctx.met, emit_row, &ec) != 0) goto store_fail;
        if (store_run_commit(ctx.store) != 0) goto store_fail;
        in_tx = 0;
    } else if (ctx.buf) {
        emit_ctx ec = {NULL, ctx.buf, &sc->cal};
        if (met_emit(ctx.met, emit_row, &ec) != 0) { snprintf(err, errlen, "buffer: out of memory"); goto out; }
    }
    if (stats) com_get_stats(com, stats);
    *met_out = ctx.met;
    ctx.met = NULL;
    rc = 0;
    goto out;
model_fail:
    /* the model's own reason (a limit, the engine) unless the sink refused */
    if (com && sim_pending(sim) >= (size_t)COM_PENDING_LIMIT(&a->com))
        snprintf(err, errlen, "model: limit: %d events pending at once (limits.pending): a runaway scenario?; "
                 "raise the limit if this is meant", COM_PENDING_LIMIT(&a->com));
    else if (ctx.met && met_errmsg(ctx.met)[0])
        snprintf(err, errlen, "metrics: %s", met_errmsg(ctx.met));
    else if (com && com_errmsg(com)[0] && strncmp(com_errmsg(com), "the results sink", 16))
        snprintf(err, errlen, "model: %s", com_errmsg(com));
    else if (ctx.buf) snprintf(err, errlen, "model: the run failed (out of memory)");
    else if (ctx.store && store_errmsg(ctx.store)[0]) snprintf(err, errlen, "store: %s", store_errmsg(ctx.store));
    else snprintf(err, errlen, "model: the run failed (out of memory or a write error)");
    goto out;
store_fail:
    snprintf(err, errlen, "store: %s", store_errmsg(ctx.store));
out:
    if (in_tx) store_run_rollback(ctx.store);
    com_free(com);
    sim_close(sim);
    met_close(ctx.met);
    free(settings);
    return rc;
}
