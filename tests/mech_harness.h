/* mech_harness.h -- shared by the test_mech_*.c suites (the community model's
 * mechanisms, each tested in isolation): settings by path, a "quiet" model
 * with every mechanism off but base posting, one replication driven through
 * com_new/com_start/sim_run_until with a sink that keeps every event and
 * membership, a snapshot of the members' drawn attributes (white box, via
 * com_internal.h), and small statistics helpers.  Header-only (static
 * functions): not a helper object, so other test binaries do not link it. */
#ifndef QS_MECH_HARNESS_H
#define QS_MECH_HARNESS_H

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>

#include "cal.h"
#include "com_internal.h"
#include "community.h"
#include "event.h"
#include "opt.h"
#include "scenario.h"
#include "sim.h"

#define MH_START "2026-03-02" /* a Monday */
#define MH_DAY 86400.0

/* One finished replication. */
typedef struct mh_run {
    ev_rec *ev;          /* every event in emission order */
    size_t nev, capev;
    ev_member *mem;      /* latest row per member, indexed by member_id - 1 */
    int *mem_seen;       /* 1 once a member row arrived */
    int nmem, capmem;    /* highest member_id seen, capacity */
    member *snap;        /* members' state at the end of the run (copy) */
    int nsnap;
    com_stats st;
    cal cal;
    int days;
    int ngroups;
    int group_n[64];     /* present members per group at the end (first 64) */
} mh_run;

static inline int mh_sink_member(void *ctx, const ev_member *m)
{
    mh_run *r = ctx;
    int idx = (int)m->member_id - 1;
    if (idx < 0) return -1;
    if (idx >= r->capmem) {
        int nc = r->capmem ? r->capmem : 256;
        while (nc <= idx) nc *= 2;
        r->mem = realloc(r->mem, (size_t)nc * sizeof *r->mem);
        r->mem_seen = realloc(r->mem_seen, (size_t)nc * sizeof *r->mem_seen);
        if (!r->mem || !r->mem_seen) return -1;
        memset(r->mem_seen + r->capmem, 0, (size_t)(nc - r->capmem) * sizeof *r->mem_seen);
        r->capmem = nc;
    }
    if (m->left_ts >= 0 && r->mem_seen[idx]) r->mem[idx].left_ts = m->left_ts; /* the update */
    else r->mem[idx] = *m;
    r->mem_seen[idx] = 1;
    if (idx + 1 > r->nmem) r->nmem = idx + 1;
    return 0;
}

static inline int mh_sink_event(void *ctx, const ev_rec *e)
{
    mh_run *r = ctx;
    if (r->nev == r->capev) {
        r->capev = r->capev ? r->capev * 2 : 4096;
        r->ev = realloc(r->ev, r->capev * sizeof *r->ev);
        if (!r->ev) return -1;
    }
    r->ev[r->nev++] = *e;
    return 0;
}

/* Defaults of every table into p. */
static inline void mh_defaults(com_params *p)
{
    memset(p, 0, sizeof *p);
    opt_table t[COM_MAX_TABLES];
    int nt = com_tables(p, t, COM_MAX_TABLES);
    opt_defaults(t, nt);
}

/* Set one setting by path from text; a bad path or value fails the test. */
static inline void mh_set(com_params *p, const char *path, const char *value)
{
    opt_table t[COM_MAX_TABLES];
    int nt = com_tables(p, t, COM_MAX_TABLES);
    char err[300];
    if (opt_set(t, nt, path, value, err, sizeof err) != 0) ck_abort_msg("mh_set %s=%s: %s", path, value, err);
}

/* Set a setting only if the tables have it (settings newer than a test). */
static inline void mh_set_opt(com_params *p, const char *path, const char *value)
{
    opt_table t[COM_MAX_TABLES];
    int nt = com_tables(p, t, COM_MAX_TABLES), tab;
    if (opt_find(t, nt, path, &tab)) mh_set(p, path, value);
}

static inline void mh_setd(com_params *p, const char *path, double v)
{
    char b[64];
    snprintf(b, sizeof b, "%.17g", v);
    mh_set(p, path, b);
}

/* Every mechanism off but base posting: n members (owner + ordinary), no
 * staff, flat daily and weekly profiles, engagement held at ~1 (Beta(1e6,
 * 0.01), decay time constants of 1e9 days), no churn, muting, lurking,
 * replies, questions, joins, invites, operator posts, rituals or rules. */
static inline void mh_quiet(com_params *p, int n)
{
    mh_defaults(p);
    mh_setd(p, "group.size", n);
    mh_set(p, "group.admins", "0");
    mh_set(p, "members.engagement_a", "1e6");
    mh_set(p, "members.engagement_b", "0.01");
    mh_set(p, "members.engagement_tau", "1e9");
    mh_set(p, "members.belonging_tau", "1e9");
    mh_set_opt(p, "members.belonging_init", "0");
    mh_set(p, "members.silent_below", "0");
    mh_set(p, "members.leave_rate", "0");
    mh_set(p, "members.mute_rate", "0");
    mh_set(p, "members.overload_leave", "0");
    mh_set(p, "members.question_share", "0");
    mh_set(p, "members.ugc_share", "0");
    mh_set(p, "cadence.daily", "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1");
    mh_set(p, "cadence.weekly", "1,1,1,1,1,1,1");
    mh_set(p, "replies.branching", "0");
    mh_set(p, "replies.boost", "0");
    mh_set(p, "replies.responder_boost", "0");
    mh_set(p, "questions.boost", "0");
    mh_set(p, "roles.welcome_prob", "0");
    mh_set(p, "roles.kol_topics", "0");
    mh_set(p, "roles.bot_stats_hour", "-1");
    mh_set(p, "operator.hours", "");
    mh_set(p, "operator.types", "");
    mh_set(p, "joins.rate", "0");
    mh_set(p, "invites.mean", "0");
}

/* Run `days` local days of seed/rep; the run must succeed. */
static inline void mh_run_rep(mh_run *r, const com_params *p, int days, uint64_t seed, uint64_t rep)
{
    memset(r, 0, sizeof *r);
    r->days = days;
    ck_assert_int_eq(cal_init(&r->cal, MH_START, "+08:00"), 0);
    sim_t *sim = NULL;
    ck_assert_int_eq(sim_open(&sim, NULL), 0);
    com_t *m = NULL;
    char err[300];
    ev_sink sink = {mh_sink_member, mh_sink_event, r};
    if (com_new(&m, p, sim, &r->cal, seed, rep, &sink, err, sizeof err) != 0) ck_abort_msg("com_new: %s", err);
    ck_assert_int_eq(com_start(m), 0);
    sim_run_until(sim, nextafter((double)days * MH_DAY, 0.0));
    if (com_finish(m) != 0) ck_abort_msg("com_finish: %s", com_errmsg(m));
    com_get_stats(m, &r->st);
    r->nsnap = m->n;
    r->snap = malloc((size_t)m->n * sizeof *r->snap);
    ck_assert_ptr_nonnull(r->snap);
    memcpy(r->snap, m->mem, (size_t)m->n * sizeof *r->snap);
    r->ngroups = m->ngrp;
    for (int g = 0; g < m->ngrp && g < 64; g++) r->group_n[g] = m->grp[g].n;
    com_free(m);
    sim_close(sim);
}

static inline void mh_run1(mh_run *r, const com_params *p, int days, uint64_t seed)
{
    mh_run_rep(r, p, days, seed, 0);
}

static inline void mh_free(mh_run *r)
{
    free(r->ev);
    free(r->mem);
    free(r->mem_seen);
    free(r->snap);
    memset(r, 0, sizeof *r);
}

/* Simulated seconds since the start of an event. */
static inline double mh_t(const mh_run *r, const ev_rec *e) { return (double)(e->ts - r->cal.start_ts); }
static inline int mh_day(const mh_run *r, const ev_rec *e) { return (int)floor(mh_t(r, e) / MH_DAY); }

static inline size_t mh_count(const mh_run *r, ev_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nev; i++) n += r->ev[i].kind == (int32_t)k;
    return n;
}

/* Index of the event with msg id `id` (ids grow with emission order), or -1. */
static inline long mh_find_id(const mh_run *r, int64_t id)
{
    size_t lo = 0, hi = r->nev;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r->ev[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    return lo < r->nev && r->ev[lo].id == id ? (long)lo : -1;
}

/* z-score of an observed count/mean against expectation and variance. */
static inline double mh_z(double obs, double mean, double var) { return (obs - mean) / sqrt(var); }

static inline int mh_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static inline int mh_verbose(void) { return getenv("QS_VERBOSE") != NULL; }

#define MH_NOTE(...) do { if (mh_verbose()) { fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

#endif
