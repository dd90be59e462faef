/* fit.c -- calibration of the community model's baseline from a live log:
 * the log reader (results database or event sink), the gamma-Poisson and
 * Hawkes maximum-likelihood estimators, profiles, engagement proxy and
 * leaving hazard, and the scenario writer.  Definitions and their
 * approximations: docs/calibration.md. */
#include "fit.h"

#include "community.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>
#include <sqlite3.h>

#include "cal.h"
#include "cfgwrite.h"
#include "opt.h"

#define DAYS 86400.0
#define ENG_K 1e4          /* concentration of the written engagement Beta */
#define PATIENCE_H 24.0    /* questions.patience written (the model's default) */

/* ---- member id map (open addressing) -------------------------------------- */

struct fit_idmap {
    int64_t *key;
    int32_t *val;
    size_t cap, n;
};

static size_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return (size_t)x;
}

static int map_get(const fit_idmap *m, int64_t k)
{
    if (!m || m->cap == 0) return -1;
    for (size_t i = mix64((uint64_t)k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (m->val[i] < 0) return -1;
        if (m->key[i] == k) return m->val[i];
    }
}

static int map_put(fit_idmap *m, int64_t k, int32_t v)
{
    if (2 * (m->n + 1) > m->cap) {
        size_t nc = m->cap ? 2 * m->cap : 1024;
        int64_t *nk = malloc(nc * sizeof *nk);
        int32_t *nv = malloc(nc * sizeof *nv);
        if (!nk || !nv) { free(nk); free(nv); return -1; }
        for (size_t i = 0; i < nc; i++) nv[i] = -1;
        for (size_t j = 0; j < m->cap; j++)
            if (m->val[j] >= 0) {
                size_t i = mix64((uint64_t)m->key[j]) & (nc - 1);
                while (nv[i] >= 0) i = (i + 1) & (nc - 1);
                nk[i] = m->key[j];
                nv[i] = m->val[j];
            }
        free(m->key);
        free(m->val);
        m->key = nk;
        m->val = nv;
        m->cap = nc;
    }
    size_t i = mix64((uint64_t)k) & (m->cap - 1);
    while (m->val[i] >= 0 && m->key[i] != k) i = (i + 1) & (m->cap - 1);
    if (m->val[i] < 0) m->n++;
    m->key[i] = k;
    m->val[i] = v;
    return 0;
}

static void map_free(fit_idmap *m)
{
    if (!m) return;
    free(m->key);
    free(m->val);
    free(m);
}

/* ---- the log ------------------------------------------------------------- */

int fit_log_new(fit_log **out, int64_t start_ts, int32_t utc_offset, int32_t days, int32_t group_id)
{
    *out = NULL;
    fit_log *l = calloc(1, sizeof *l);
    if (!l) return -1;
    l->ids = calloc(1, sizeof *l->ids);
    l->qids = calloc(1, sizeof *l->qids);
    if (!l->ids || !l->qids) { fit_log_free(l); return -1; }
    l->start_ts = start_ts;
    l->utc_offset = utc_offset;
    l->days = days;
    l->group_id = group_id;
    snprintf(l->source, sizeof l->source, "sim");
    *out = l;
    return 0;
}

void fit_log_free(fit_log *l)
{
    if (!l) return;
    free(l->mem);
    free(l->msg);
    free(l->q);
    free(l->gap);
    map_free(l->ids);
    map_free(l->qids);
    free(l);
}

/* A spell after the member's last leave: the absence between them. */
static int log_gap(fit_log *l, int i, int64_t back)
{
    fit_member *x = &l->mem[i];
    if (l->ngap == l->capgap) {
        int32_t nc = l->capgap ? 2 * l->capgap : 64;
        fit_gap *ng = realloc(l->gap, (size_t)nc * sizeof *ng);
        if (!ng) return -1;
        l->gap = ng;
        l->capgap = nc;
    }
    l->gap[l->ngap] = (fit_gap){x->left_ts, back, 0};
    if (!x->gap) x->gap = l->ngap + 1;
    else {
        int32_t k = x->gap - 1;
        while (l->gap[k].next) k = l->gap[k].next - 1;
        l->gap[k].next = l->ngap + 1;
    }
    l->ngap++;
    x->ngap++;
    return 0;
}

/* A membership record: a new member, an update of its current spell (role,
 * leaving, as the store's upsert), or spell `spell` > its spells so far: a
 * rejoin after its last leave. */
static int log_member(fit_log *l, const fit_member *m, int spell)
{
    int i = map_get(l->ids, m->id);
    if (i >= 0) {
        fit_member *x = &l->mem[i];
        if (spell > x->ngap && x->left_ts >= 0 && m->joined_ts >= x->left_ts && log_gap(l, i, m->joined_ts) != 0) return -1;
        x->role = m->role;
        x->left_ts = m->left_ts;
        return 0;
    }
    if (l->nmem == l->capmem) {
        int nc = l->capmem ? 2 * l->capmem : 256;
        fit_member *nm = realloc(l->mem, (size_t)nc * sizeof *nm);
        if (!nm) return -1;
        l->mem = nm;
        l->capmem = nc;
    }
    if (map_put(l->ids, m->id, l->nmem) != 0) return -1;
    l->mem[l->nmem++] = *m;
    return 0;
}

/* One event of the group: messages (and linked answers) are kept. */
static int log_event(fit_log *l, int64_t ts, int64_t member_id, int kind, int64_t msg_id, int64_t ref_id)
{
    if (member_id < 0 || kind < 0 || kind >= EV_KIND_COUNT || !ev_kind_is_message((ev_kind)kind)) return 0;
    if (l->nmsg && ts < l->msg[l->nmsg - 1].ts) return -2;
    int i = map_get(l->ids, member_id);
    if (i < 0) { /* a sender without a membership row: present from here */
        fit_member m = {member_id, ROLE_MEMBER, SRC_SEED, ts, -1, 0, 0};
        if (log_member(l, &m, 0) != 0) return -1;
        i = l->nmem - 1;
    }
    if (l->nmsg == l->capmsg) {
        int64_t nc = l->capmsg ? 2 * l->capmsg : 4096;
        fit_msg *nm = realloc(l->msg, (size_t)nc * sizeof *nm);
        if (!nm) return -1;
        l->msg = nm;
        l->capmsg = nc;
    }
    fit_msg *x = &l->msg[l->nmsg++];
    x->ts = ts;
    x->mem = i;
    x->kind = (uint8_t)kind;
    x->marked = (kind == EV_REPLY || kind == EV_ANSWER) && ref_id >= 0;
    if (kind == EV_QUESTION && msg_id >= 0) {
        if (l->nq == l->capq) {
            int64_t nc = l->capq ? 2 * l->capq : 1024;
            fit_question *nq = realloc(l->q, (size_t)nc * sizeof *nq);
            if (!nq) return -1;
            l->q = nq;
            l->capq = nc;
        }
        if (map_put(l->qids, msg_id, (int32_t)l->nq) != 0) return -1;
        l->q[l->nq].ts = ts;
        l->q[l->nq].answer_ts = -1;
        l->q[l->nq].mem = i;
        l->nq++;
    } else if (kind == EV_ANSWER && ref_id >= 0) {
        int q = map_get(l->qids, ref_id);
        if (q >= 0 && l->q[q].answer_ts < 0 && l->q[q].mem != i) l->q[q].answer_ts = ts;
    }
    return 0;
}

static int sink_member(void *ctx, const ev_member *m)
{
    fit_log *l = ctx;
    if (m->group_id != l->group_id || l->failed) return 0;
    fit_member x = {m->member_id, m->role, m->source, m->joined_ts, m->left_ts, 0, 0};
    if (log_member(l, &x, m->spell) != 0) l->failed = 1;
    return 0;
}

static int sink_event(void *ctx, const ev_rec *e)
{
    fit_log *l = ctx;
    if (e->group_id != l->group_id || l->failed) return 0;
    if (log_event(l, e->ts, e->member_id, e->kind, e->id, e->ref_id) != 0) l->failed = 1;
    return 0;
}

ev_sink fit_log_sink(fit_log *log)
{
    ev_sink s = {sink_member, sink_event, log};
    return s;
}

static int sql_fail(sqlite3 *db, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
    return -1;
}

int fit_log_load(fit_log **out, sqlite3 *db, int64_t run_id, const char *group, char *err, size_t errlen)
{
    *out = NULL;
    sqlite3_stmt *st = NULL;
    fit_log *l = NULL;
    int rc;
    if (run_id <= 0) {
        /* the latest import; not a forecast's copy of the history (events stay in the original) */
        const char *q1 = "SELECT MAX(r.run_id) FROM runs r LEFT JOIN batches b ON b.batch_id = r.batch_id"
                         " WHERE r.source != 'sim' AND IFNULL(b.kind, '') != 'forecast'";
        const char *q2 = "SELECT MAX(run_id) FROM runs r WHERE EXISTS (SELECT 1 FROM events e WHERE e.run_id = r.run_id)";
        for (int k = 0; k < 2 && run_id <= 0; k++) {
            if (sqlite3_prepare_v2(db, k ? q2 : q1, -1, &st, NULL) != SQLITE_OK) return sql_fail(db, "runs", err, errlen);
            if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) run_id = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
            st = NULL;
        }
        if (run_id <= 0) { snprintf(err, errlen, "no imported log (and no run with events) in the database"); return -1; }
    }
    if (sqlite3_prepare_v2(db, "SELECT IFNULL(source, 'sim'), IFNULL(scenario, ''), start_ts, utc_offset, days FROM runs WHERE run_id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return sql_fail(db, "runs", err, errlen);
    sqlite3_bind_int64(st, 1, run_id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        snprintf(err, errlen, "no run %lld in the database", (long long)run_id);
        return -1;
    }
    if (sqlite3_column_type(st, 2) == SQLITE_NULL || sqlite3_column_type(st, 4) == SQLITE_NULL) {
        sqlite3_finalize(st);
        snprintf(err, errlen, "run %lld has no span (start_ts, days)", (long long)run_id);
        return -1;
    }
    int64_t start = sqlite3_column_int64(st, 2);
    int32_t off = sqlite3_column_int(st, 3), days = sqlite3_column_int(st, 4);
    char source[32], scen[128];
    snprintf(source, sizeof source, "%s", (const char *)sqlite3_column_text(st, 0));
    snprintf(scen, sizeof scen, "%s", (const char *)sqlite3_column_text(st, 1));
    sqlite3_finalize(st);
    st = NULL;

    /* the group: by id, by name, or the busiest */
    int32_t gid = -1;
    char gname[128] = "";
    if (group && *group) {
        char *end;
        long v = strtol(group, &end, 10);
        const char *q = *end ? "SELECT group_id, IFNULL(name, '') FROM groups WHERE run_id = ?1 AND name = ?2"
                             : "SELECT group_id, IFNULL(name, '') FROM groups WHERE run_id = ?1 AND group_id = ?3";
        if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK) return sql_fail(db, "groups", err, errlen);
        sqlite3_bind_int64(st, 1, run_id);
        if (*end) sqlite3_bind_text(st, 2, group, -1, SQLITE_STATIC);
        else sqlite3_bind_int64(st, 3, v);
        if (sqlite3_step(st) == SQLITE_ROW) {
            gid = sqlite3_column_int(st, 0);
            snprintf(gname, sizeof gname, "%s", (const char *)sqlite3_column_text(st, 1));
        }
        sqlite3_finalize(st);
        st = NULL;
        if (gid < 0) { snprintf(err, errlen, "run %lld has no group \"%s\"", (long long)run_id, group); return -1; }
    } else {
        if (sqlite3_prepare_v2(db, "SELECT e.group_id, IFNULL(g.name, ''), COUNT(*) AS n FROM events e LEFT JOIN groups g ON"
                                   " g.run_id = e.run_id AND g.group_id = e.group_id WHERE e.run_id = ?1"
                                   " GROUP BY e.group_id ORDER BY n DESC, e.group_id LIMIT 1", -1, &st, NULL) != SQLITE_OK)
            return sql_fail(db, "events", err, errlen);
        sqlite3_bind_int64(st, 1, run_id);
        if (sqlite3_step(st) == SQLITE_ROW) {
            gid = sqlite3_column_int(st, 0);
            snprintf(gname, sizeof gname, "%s", (const char *)sqlite3_column_text(st, 1));
        }
        sqlite3_finalize(st);
        st = NULL;
        if (gid < 0) { snprintf(err, errlen, "run %lld has no events (was it run with the event log off?)", (long long)run_id); return -1; }
    }
    if (fit_log_new(&l, start, off, days, gid) != 0) { snprintf(err, errlen, "out of memory"); return -1; }
    l->run_id = run_id;
    snprintf(l->source, sizeof l->source, "%s", source);
    snprintf(l->name, sizeof l->name, "%s", gname[0] ? gname : scen);

    if (sqlite3_prepare_v2(db, "SELECT member_id, role, source, joined_ts, left_ts FROM members"
                               " WHERE run_id = ?1 AND group_id = ?2 AND member_id IS NOT NULL ORDER BY joined_ts, member_id",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = sql_fail(db, "members", err, errlen);
        goto fail;
    }
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int(st, 2, gid);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *role = (const char *)sqlite3_column_text(st, 1), *src = (const char *)sqlite3_column_text(st, 2);
        int r = role ? ev_role_from_name(role) : ROLE_MEMBER, s = src ? ev_source_from_name(src) : SRC_SEED;
        fit_member m = {sqlite3_column_int64(st, 0), r < 0 ? ROLE_MEMBER : r, s < 0 ? SRC_SEED : s, sqlite3_column_int64(st, 3),
                        sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 4), 0, 0};
        if (log_member(l, &m, 0) != 0) { snprintf(err, errlen, "out of memory"); rc = -1; goto fail; }
    }
    if (rc != SQLITE_DONE) { rc = sql_fail(db, "members", err, errlen); goto fail; }
    sqlite3_finalize(st);
    st = NULL;
    /* the absences of members who left and rejoined: between each spell's
     * leave and the next one's join (the members row spans them all) */
    if (sqlite3_prepare_v2(db, "SELECT member_id, joined_ts, LAG(left_ts) OVER (PARTITION BY member_id ORDER BY spell), spell FROM spells"
                               " WHERE run_id = ?1 AND group_id = ?2 ORDER BY member_id, spell",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = sql_fail(db, "spells", err, errlen);
        goto fail;
    }
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int(st, 2, gid);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_int(st, 3) == 0 || sqlite3_column_type(st, 2) == SQLITE_NULL) continue;
        int i = map_get(l->ids, sqlite3_column_int64(st, 0));
        int64_t back = sqlite3_column_int64(st, 1), left = sqlite3_column_int64(st, 2);
        if (i < 0 || back < left) continue;
        fit_member *x = &l->mem[i];
        int64_t last_left = x->left_ts;
        x->left_ts = left; /* the gap's start, then the membership's own end again */
        int e = log_gap(l, i, back);
        l->mem[i].left_ts = last_left;
        if (e != 0) { snprintf(err, errlen, "out of memory"); rc = -1; goto fail; }
    }
    if (rc != SQLITE_DONE) { rc = sql_fail(db, "spells", err, errlen); goto fail; }
    sqlite3_finalize(st);
    st = NULL;

    if (sqlite3_prepare_v2(db, "SELECT ts, member_id, kind, msg_id, ref_id FROM events WHERE run_id = ?1 AND group_id = ?2 ORDER BY ts",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = sql_fail(db, "events", err, errlen);
        goto fail;
    }
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int(st, 2, gid);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 1) == SQLITE_NULL) continue;
        int kind = ev_kind_from_name((const char *)sqlite3_column_text(st, 2));
        int64_t mid = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 3);
        int64_t ref = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 4);
        int e = log_event(l, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), kind, mid, ref);
        if (e != 0) { snprintf(err, errlen, "out of memory"); rc = -1; goto fail; }
    }
    if (rc != SQLITE_DONE) { rc = sql_fail(db, "events", err, errlen); goto fail; }
    sqlite3_finalize(st);
    if (l->nmsg == 0) {
        snprintf(err, errlen, "run %lld, group %d: no messages", (long long)run_id, gid);
        fit_log_free(l);
        return -1;
    }
    *out = l;
    return 0;
fail:
    sqlite3_finalize(st);
    fit_log_free(l);
    return -1;
}

static int64_t epoch_day(int64_t ts, int32_t off)
{
    int64_t x = ts + off;
    return x >= 0 ? x / 86400 : -((-x + 86399) / 86400);
}

static int wday_of_epoch(int64_t D) { return (int)(((D + 3) % 7 + 7) % 7); } /* 1970-01-01 was a Thursday */

double fit_engagement(double S, double scale) { return scale > 0 ? -expm1(-S / scale) : 0; }

/* ---- small linear algebra ------------------------------------------------ */

/* Invert the symmetric k x k matrix h (row-major) into cov.  0 or -1. */
static int invert(const double *h, double *cov, int k)
{
    gsl_matrix *a = gsl_matrix_alloc((size_t)k, (size_t)k), *inv = gsl_matrix_alloc((size_t)k, (size_t)k);
    gsl_permutation *p = gsl_permutation_alloc((size_t)k);
    int rc = -1, sign;
    if (a && inv && p) {
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) gsl_matrix_set(a, (size_t)i, (size_t)j, 0.5 * (h[i * k + j] + h[j * k + i]));
        if (gsl_linalg_LU_decomp(a, p, &sign) == GSL_SUCCESS && fabs(gsl_linalg_LU_det(a, sign)) > 0 &&
            gsl_linalg_LU_invert(a, p, inv) == GSL_SUCCESS) {
            rc = 0;
            for (int i = 0; i < k; i++)
                for (int j = 0; j < k; j++) cov[i * k + j] = gsl_matrix_get(inv, (size_t)i, (size_t)j);
        }
    }
    gsl_matrix_free(a);
    gsl_matrix_free(inv);
    gsl_permutation_free(p);
    return rc;
}

/* Minimise f with BFGS from x (in place, dimension k).  Returns 0 if it
 * ended at a point with a small gradient or could not improve; -1 if the
 * function was not finite at the start. */
static int minimise(gsl_multimin_function_fdf *fn, gsl_vector *x, int maxit, double gtol, int *iters)
{
    gsl_multimin_fdfminimizer *m = gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, fn->n);
    if (!m) return -1;
    int rc = 0, it = 0;
    if (gsl_multimin_fdfminimizer_set(m, fn, x, 0.1, 0.1) != GSL_SUCCESS || !isfinite(m->f)) rc = -1;
    else {
        for (it = 0; it < maxit; it++) {
            int s = gsl_multimin_fdfminimizer_iterate(m);
            if (s != GSL_SUCCESS) break; /* no progress: at the minimum to the line search's precision */
            if (gsl_multimin_test_gradient(m->gradient, gtol) == GSL_SUCCESS) break;
        }
        gsl_vector_memcpy(x, m->x);
    }
    if (iters) *iters = it;
    gsl_multimin_fdfminimizer_free(m);
    return rc;
}

/* Observed information in the optimiser's coordinates by central differences
 * of the analytic gradient of the (unscaled) negative log-likelihood. */
static void num_hessian(void (*grad)(const gsl_vector *, void *, gsl_vector *), void *ctx, const gsl_vector *x, int k, double *h)
{
    gsl_vector *xp = gsl_vector_alloc((size_t)k), *gp = gsl_vector_alloc((size_t)k), *gm = gsl_vector_alloc((size_t)k);
    if (!xp || !gp || !gm) {
        for (int i = 0; i < k * k; i++) h[i] = NAN;
    } else {
        const double step = 1e-4;
        for (int j = 0; j < k; j++) {
            gsl_vector_memcpy(xp, x);
            gsl_vector_set(xp, (size_t)j, gsl_vector_get(x, (size_t)j) + step);
            grad(xp, ctx, gp);
            gsl_vector_set(xp, (size_t)j, gsl_vector_get(x, (size_t)j) - step);
            grad(xp, ctx, gm);
            for (int i = 0; i < k; i++) h[i * k + j] = (gsl_vector_get(gp, (size_t)i) - gsl_vector_get(gm, (size_t)i)) / (2 * step);
        }
    }
    gsl_vector_free(xp);
    gsl_vector_free(gp);
    gsl_vector_free(gm);
}

/* ---- gamma-Poisson ------------------------------------------------------- */

typedef struct gp_ctx {
    const double *k, *E;
    const unsigned char *tr;
    size_t n;
    double scale; /* 1/units: the optimiser sees the mean */
} gp_ctx;

/* Negative log-likelihood (without the constant lgamma(k+1)) and its
 * gradient in (log shape, log mean), times scale. */
static double gp_eval(const gsl_vector *x, gp_ctx *c, gsl_vector *g)
{
    double la = gsl_vector_get(x, 0), lm = gsl_vector_get(x, 1);
    if (la > 30 || la < -30 || lm > 30 || lm < -40) {
        if (g) gsl_vector_set_all(g, 0);
        return GSL_POSINF;
    }
    double a = exp(la), m = exp(lm), ll = 0, ga = 0, gm = 0, lga = gsl_sf_lngamma(a), psa = gsl_sf_psi(a);
    for (size_t i = 0; i < c->n; i++) {
        double E = c->E[i], k = c->k[i];
        if (!(E > 0)) continue;
        double mE = m * E, den = a + mE, lr = log(a / den);
        ll += gsl_sf_lngamma(k + a) - lga + a * lr + (k > 0 ? k * log(mE / den) : 0);
        if (g) {
            ga += gsl_sf_psi(k + a) - psa + lr + 1 - (a + k) / den;
            gm += k / m - (a + k) * E / den;
        }
        if (c->tr && c->tr[i]) {
            double lp0 = a * lr, p0 = exp(lp0), q = -expm1(lp0);
            if (q <= 0) return GSL_POSINF;
            ll -= log(q);
            if (g) {
                double r = p0 / q;
                ga += r * (lr + 1 - a / den);
                gm += r * (-a * E / den);
            }
        }
    }
    if (g) {
        gsl_vector_set(g, 0, -ga * a * c->scale);
        gsl_vector_set(g, 1, -gm * m * c->scale);
    }
    return -ll * c->scale;
}

static double gp_f(const gsl_vector *x, void *p) { return gp_eval(x, p, NULL); }
static void gp_df(const gsl_vector *x, void *p, gsl_vector *g) { gp_eval(x, p, g); }
static void gp_fdf(const gsl_vector *x, void *p, double *f, gsl_vector *g) { *f = gp_eval(x, p, g); }
static void gp_grad_unscaled(const gsl_vector *x, void *p, gsl_vector *g)
{
    gp_ctx c = *(gp_ctx *)p;
    c.scale = 1;
    gp_eval(x, &c, g);
}

int fit_gamma_poisson(const double *k, const double *E, const unsigned char *trunc, size_t n, fit_gp *out)
{
    memset(out, 0, sizeof *out);
    out->se_shape = out->se_mean = NAN;
    double sk = 0, sE = 0;
    int units = 0;
    for (size_t i = 0; i < n; i++)
        if (E[i] > 0) { sk += k[i]; sE += E[i]; units++; }
    out->units = units;
    if (units < 2 || sk <= 0) return -1;
    gp_ctx c = {k, E, trunc, n, 1.0 / units};
    gsl_multimin_function_fdf fn = {gp_f, gp_df, gp_fdf, 2, &c};
    gsl_vector *x = gsl_vector_alloc(2), *best = gsl_vector_alloc(2);
    if (!x || !best) { gsl_vector_free(x); gsl_vector_free(best); return -1; }
    double fbest = GSL_POSINF;
    const double starts[] = {0.3, 1.0, 5.0};
    for (int s = 0; s < 3; s++) {
        gsl_vector_set(x, 0, log(starts[s]));
        gsl_vector_set(x, 1, log(sk / sE));
        if (minimise(&fn, x, 500, 1e-9, NULL) != 0) continue;
        double f = gp_f(x, &c);
        if (f < fbest) { fbest = f; gsl_vector_memcpy(best, x); }
    }
    int rc = -1;
    if (isfinite(fbest)) {
        rc = 0;
        double a = exp(gsl_vector_get(best, 0)), m = exp(gsl_vector_get(best, 1));
        out->shape = a;
        out->mean = m;
        out->loglik = -fbest * units;
        if (a > FIT_SHAPE_MAX) {
            out->shape_at_bound = 1;
            out->shape = FIT_SHAPE_MAX;
            out->se_mean = m / sqrt(sk); /* Poisson: no heterogeneity left */
        } else {
            double h[4], cov[4];
            num_hessian(gp_grad_unscaled, &c, best, 2, h);
            if (invert(h, cov, 2) == 0 && cov[0] > 0 && cov[3] > 0) {
                out->se_shape = a * sqrt(cov[0]);
                out->se_mean = m * sqrt(cov[3]);
            }
        }
    }
    gsl_vector_free(x);
    gsl_vector_free(best);
    return rc;
}

/* ---- Hawkes -------------------------------------------------------------- */

typedef struct hk_ctx {
    const fit_hawkes_in *in;
    double scale;  /* 1 / counted events */
    double *p;     /* immigrant probabilities (output of the last evaluation), or NULL */
} hk_ctx;

static double hk_eval(const gsl_vector *x, hk_ctx *c, gsl_vector *g)
{
    const fit_hawkes_in *in = c->in;
    double lmu = gsl_vector_get(x, 0), ln = gsl_vector_get(x, 1), lb = gsl_vector_get(x, 2);
    if (fabs(lmu) > 200 || fabs(ln) > 40 || lb > 10 || lb < -30) {
        if (g) gsl_vector_set_all(g, 0);
        return GSL_POSINF;
    }
    double mu = exp(lmu), n = 1 / (1 + exp(-ln)), beta = exp(lb);
    double ll = 0, gmu = 0, gn = 0, gb = 0;
    double A = 0, B = 0, tprev = 0, xprev = 0;
    int32_t segprev = -1;
    for (size_t k = 0; k < in->n; k++) {
        double t = in->t[k];
        int32_t sg = in->seg ? in->seg[k] : 0;
        if (sg != segprev) { A = 0; B = 0; segprev = sg; }
        else {
            double d = t - tprev, e = exp(-beta * d);
            B = e * (B - d * (A + xprev));
            A = e * (A + xprev);
        }
        tprev = t;
        xprev = !in->excite || in->excite[k];
        double ex = n * beta * A;
        if (!in->count || in->count[k]) {
            double lam = mu * in->a[k] + ex;
            if (!(lam > 0)) return GSL_POSINF;
            ll += log(lam);
            if (g) {
                gmu += in->a[k] / lam;
                gn += beta * A / lam;
                gb += n * (A + beta * B) / lam;
            }
            if (c->p) c->p[k] = mu * in->a[k] / lam;
        } else if (c->p) c->p[k] = 0;
        if (!xprev) continue;
        /* compensator of this event's offspring up to its segment's end */
        double tau = in->seg_end[sg] - t, e = exp(-beta * tau);
        ll -= n * (1 - e);
        if (g) {
            gn -= 1 - e;
            gb -= n * tau * e;
        }
    }
    ll -= mu * in->a_int;
    if (g) {
        gmu -= in->a_int;
        gsl_vector_set(g, 0, -gmu * mu * c->scale);
        gsl_vector_set(g, 1, -gn * n * (1 - n) * c->scale);
        gsl_vector_set(g, 2, -gb * beta * c->scale);
    }
    return -ll * c->scale;
}

static double hk_f(const gsl_vector *x, void *p) { return hk_eval(x, p, NULL); }
static void hk_df(const gsl_vector *x, void *p, gsl_vector *g) { hk_eval(x, p, g); }
static void hk_fdf(const gsl_vector *x, void *p, double *f, gsl_vector *g) { *f = hk_eval(x, p, g); }

/* -log-likelihood at phi = (mu, n, beta) with, if g is not NULL, its
 * gradient and (if H is not NULL) its Hessian in phi; p (may be NULL) gets
 * the immigrant probabilities.  Recursions: A_k = sum_j exp(-beta (t_k -
 * t_j)) over earlier events of the segment, B = dA/dbeta, C = d2A/dbeta2. */
static double hk_full(const fit_hawkes_in *in, const double *phi, double *g, double *H, double *p)
{
    double mu = phi[0], n = phi[1], beta = phi[2], ll = 0;
    double G0 = 0, G1 = 0, G2 = 0, H00 = 0, H01 = 0, H02 = 0, H11 = 0, H12 = 0, H22 = 0;
    double A = 0, B = 0, C = 0, tprev = 0, xprev = 0;
    int32_t segprev = -1;
    for (size_t k = 0; k < in->n; k++) {
        double t = in->t[k];
        int32_t sg = in->seg ? in->seg[k] : 0;
        if (sg != segprev) { A = B = C = 0; segprev = sg; }
        else {
            double d = t - tprev, e = exp(-beta * d), A1 = A + xprev;
            C = e * (C - 2 * d * B + d * d * A1);
            B = e * (B - d * A1);
            A = e * A1;
        }
        tprev = t;
        xprev = !in->excite || in->excite[k];
        if (!in->count || in->count[k]) {
            double ak = in->a[k], lam = mu * ak + n * beta * A;
            if (!(lam > 0)) return GSL_POSINF;
            ll += log(lam);
            if (p) p[k] = mu * ak / lam;
            if (g) {
                double il = 1 / lam, u0 = ak * il, u1 = beta * A * il, u2 = n * (A + beta * B) * il;
                G0 += u0;
                G1 += u1;
                G2 += u2;
                if (H) {
                    H00 -= u0 * u0;
                    H01 -= u0 * u1;
                    H02 -= u0 * u2;
                    H11 -= u1 * u1;
                    H12 += (A + beta * B) * il - u1 * u2;
                    H22 += n * (2 * B + beta * C) * il - u2 * u2;
                }
            }
        } else if (p) p[k] = 0;
        if (!xprev) continue;
        double tau = in->seg_end[sg] - t, e2 = exp(-beta * tau);
        ll -= n * (1 - e2);
        if (g) {
            G1 -= 1 - e2;
            G2 -= n * tau * e2;
            if (H) {
                H12 -= tau * e2;
                H22 += n * tau * tau * e2;
            }
        }
    }
    ll -= mu * in->a_int;
    if (g) {
        g[0] = -(G0 - in->a_int);
        g[1] = -G1;
        g[2] = -G2;
        if (H) {
            double h[9] = {H00, H01, H02, H01, H11, H12, H02, H12, H22};
            for (int i = 0; i < 9; i++) H[i] = -h[i];
        }
    }
    return -ll;
}

/* Solve the k x k system m x = b (m overwritten).  0 or -1. */
static int solve(double *m, double *b, int k)
{
    for (int c = 0; c < k; c++) {
        int piv = c;
        for (int r = c + 1; r < k; r++)
            if (fabs(m[r * k + c]) > fabs(m[piv * k + c])) piv = r;
        if (!(fabs(m[piv * k + c]) > 0)) return -1;
        if (piv != c) {
            for (int j = 0; j < k; j++) { double tmp = m[c * k + j]; m[c * k + j] = m[piv * k + j]; m[piv * k + j] = tmp; }
            double tmp = b[c]; b[c] = b[piv]; b[piv] = tmp;
        }
        for (int r = c + 1; r < k; r++) {
            double f = m[r * k + c] / m[c * k + c];
            for (int j = c; j < k; j++) m[r * k + j] -= f * m[c * k + j];
            b[r] -= f * b[c];
        }
    }
    for (int c = k - 1; c >= 0; c--) {
        double s = b[c];
        for (int j = c + 1; j < k; j++) s -= m[c * k + j] * b[j];
        b[c] = s / m[c * k + c];
    }
    return 0;
}

static void hk_phi(const double *th, double *phi)
{
    phi[0] = exp(th[0]);
    phi[1] = 1 / (1 + exp(-th[1]));
    phi[2] = exp(th[2]);
}

/* Damped Newton (Levenberg-Marquardt) on the -log-likelihood in
 * (log mu, logit n, log beta); the first k coordinates move (k = 2: beta
 * held).  Returns the final -log-likelihood (+inf on failure), th updated,
 * *evals the likelihood passes used. */
static double hk_newton(const fit_hawkes_in *in, double *th, int k, int maxit, int *evals)
{
    double phi[3], g[3], H[9], f;
    hk_phi(th, phi);
    f = hk_full(in, phi, g, H, NULL);
    (*evals)++;
    if (!isfinite(f)) return GSL_POSINF;
    double lambda = 1e-3;
    for (int it = 0; it < maxit; it++) {
        double d1[3] = {phi[0], phi[1] * (1 - phi[1]), phi[2]};
        double d2[3] = {phi[0], phi[1] * (1 - phi[1]) * (1 - 2 * phi[1]), phi[2]};
        double gt[3], Ht[9];
        for (int i = 0; i < 3; i++) {
            gt[i] = g[i] * d1[i];
            for (int j = 0; j < 3; j++) Ht[i * 3 + j] = d1[i] * d1[j] * H[i * 3 + j] + (i == j ? g[i] * d2[i] : 0);
        }
        int accepted = 0;
        for (int tries = 0; tries < 30 && !accepted; tries++) {
            double m[9], step[3];
            for (int i = 0; i < k; i++) {
                step[i] = -gt[i];
                for (int j = 0; j < k; j++) m[i * k + j] = Ht[i * 3 + j];
                double dg = fabs(Ht[i * 3 + i]);
                m[i * k + i] += lambda * (dg > 1e-12 ? dg : 1e-12);
            }
            if (solve(m, step, k) != 0) { lambda *= 10; continue; }
            double big = 0, pred = 0;
            for (int i = 0; i < k; i++) big = fabs(step[i]) > big ? fabs(step[i]) : big;
            /* the decrease the quadratic model promises: below the
             * likelihood's rounding noise (x 10), this is the minimum */
            for (int i = 0; i < k; i++) {
                pred -= gt[i] * step[i];
                for (int j2 = 0; j2 < k; j2++) pred -= 0.5 * step[i] * Ht[i * 3 + j2] * step[j2];
            }
            if (pred < 1e-11 * (1 + fabs(f))) return f;
            if (big > 2) /* at most a factor e^2 per step */
                for (int i = 0; i < k; i++) step[i] *= 2 / big;
            double th2[3] = {th[0], th[1], th[2]}, phi2[3], g2[3], H2[9];
            for (int i = 0; i < k; i++) th2[i] += step[i];
            if (fabs(th2[1]) > 40 || th2[2] > 5 || th2[2] < -25) { lambda *= 10; continue; }
            hk_phi(th2, phi2);
            double f2 = hk_full(in, phi2, g2, H2, NULL);
            (*evals)++;
            if (isfinite(f2) && f2 <= f) {
                accepted = 1;
                double df = f - f2;
                memcpy(th, th2, sizeof th2);
                memcpy(phi, phi2, sizeof phi2);
                memcpy(g, g2, sizeof g2);
                memcpy(H, H2, sizeof H2);
                f = f2;
                lambda = lambda > 1e-9 ? lambda / 10 : lambda;
                if (big < 1e-8 || df < 1e-11 * (1 + fabs(f))) return f;
            } else
                lambda *= 10;
        }
        if (!accepted) return f; /* no decrease possible: at the minimum to rounding */
    }
    return f;
}

int fit_hawkes_mle(const fit_hawkes_in *in, fit_hawkes *out, double *p_imm, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->se_mu = out->se_n = out->se_beta = NAN;
    size_t counted = 0;
    for (size_t k = 0; k < in->n; k++) counted += !in->count || in->count[k];
    if (counted < 2 || !(in->a_int > 0)) { snprintf(err, errlen, "too few events"); return -1; }
    double th[3];
    int evals = 0;
    if (in->start) {
        th[0] = log(in->start[0]);
        th[1] = log(in->start[1] / (1 - in->start[1]));
        th[2] = log(in->start[2]);
    } else {
        /* scan the reply delay (30 s .. 2.7 h) with (mu, n) fitted on a
         * prefix of at most 100,000 events (its baseline integral pro rata),
         * then refine all three there: the full data start in the best basin */
        fit_hawkes_in sub = *in;
        double *send = NULL;
        if (in->n > 100000) {
            sub.n = 100000;
            size_t c = 0;
            for (size_t k = 0; k < sub.n; k++) c += !in->count || in->count[k];
            sub.a_int = in->a_int * (double)c / (double)counted;
            int32_t ls = in->seg ? in->seg[sub.n - 1] : 0;
            send = malloc(((size_t)ls + 1) * sizeof *send);
            if (!send) { snprintf(err, errlen, "out of memory"); return -1; }
            memcpy(send, in->seg_end, (size_t)ls * sizeof *send);
            send[ls] = in->t[sub.n];
            sub.seg_end = send;
            sub.nseg = ls + 1;
        }
        const double b0[] = {1.0 / 30, 1.0 / 120, 1.0 / 600, 1.0 / 2400, 1.0 / 9600};
        double fbest = GSL_POSINF;
        for (int s = 0; s < 5; s++) {
            double t0[3] = {log((double)counted * 0.7 / in->a_int), log(0.3 / 0.7), log(b0[s])};
            double f = hk_newton(&sub, t0, 2, 30, &evals);
            if (f < fbest) { fbest = f; memcpy(th, t0, sizeof th); }
        }
        if (isfinite(fbest)) hk_newton(&sub, th, 3, 50, &evals);
        free(send);
        if (!isfinite(fbest)) { snprintf(err, errlen, "the likelihood is not finite at any start"); return -1; }
    }
    double f = hk_newton(in, th, 3, in->max_iter > 0 ? in->max_iter : 100, &evals);
    if (!isfinite(f)) {
        /* fall back on GSL's BFGS from the start */
        hk_ctx c = {in, 1.0 / (double)counted, NULL};
        gsl_multimin_function_fdf fn = {hk_f, hk_df, hk_fdf, 3, &c};
        gsl_vector *x = gsl_vector_alloc(3);
        if (!x) { snprintf(err, errlen, "out of memory"); return -1; }
        for (int i = 0; i < 3; i++) gsl_vector_set(x, (size_t)i, th[i]);
        int it = 0;
        if (minimise(&fn, x, 300, 1e-7, &it) == 0) {
            for (int i = 0; i < 3; i++) th[i] = gsl_vector_get(x, (size_t)i);
            f = hk_f(x, &c) * (double)counted;
        }
        gsl_vector_free(x);
        evals += it;
        if (!isfinite(f)) { snprintf(err, errlen, "the optimiser failed"); return -1; }
    }
    double phi[3], g[3], H[9], cov[9];
    hk_phi(th, phi);
    out->mu = phi[0];
    out->n = phi[1];
    out->beta = phi[2];
    f = hk_full(in, phi, g, H, p_imm);
    out->loglik = -f;
    out->iterations = evals;
    if (invert(H, cov, 3) == 0 && cov[0] > 0 && cov[4] > 0 && cov[8] > 0) {
        out->se_mu = sqrt(cov[0]);
        out->se_n = sqrt(cov[4]);
        out->se_beta = sqrt(cov[8]);
    }
    return 0;
}

/* ---- the whole calibration ---------------------------------------------- */

void fit_opts_init(fit_opts *o)
{
    memset(o, 0, sizeof *o);
    o->eng_tau = 14;
    o->hawkes_max = 2000000;
}

const fit_value *fit_get(const fit_result *r, const char *path)
{
    for (int i = 0; i < r->nval; i++)
        if (!strcmp(r->val[i].path, path)) return &r->val[i];
    return NULL;
}

static fit_value *put(fit_result *r, const char *path, double v, double se, int kind, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static fit_value *put(fit_result *r, const char *path, double v, double se, int kind, const char *fmt, ...)
{
    if (r->nval == FIT_MAX_VALUES) return NULL;
    fit_value *x = &r->val[r->nval++];
    x->path = path;
    x->v = v;
    x->se = se;
    x->kind = kind;
    x->integer = 0;
    x->note[0] = 0;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->note, sizeof x->note, fmt, ap);
        va_end(ap);
    }
    return x;
}

/* The window's calendar: local epoch day of day 0, days, activity profile. */
typedef struct win {
    int64_t from, to, D0;
    int32_t off;
    int nd;
    double D[24], W[7];   /* hour and weekday factors, mean 1 */
    double *P;            /* P[d]: activity-days before day d (nd + 1) */
} win;

static int win_day(const win *w, int64_t ts) { return (int)(epoch_day(ts, w->off) - w->D0); }
static int win_wd(const win *w, int d) { return wday_of_epoch(w->D0 + d); }

static void win_profile(win *w)
{
    w->P[0] = 0;
    for (int d = 0; d < w->nd; d++) w->P[d + 1] = w->P[d] + w->W[win_wd(w, d)];
}

/* Activity-weighted days from the window's start to ts (clamped). */
static double win_cum(const win *w, int64_t ts)
{
    if (ts <= w->from) return 0;
    if (ts >= w->to) return w->P[w->nd];
    int d = win_day(w, ts);
    if (d < 0) return 0;
    if (d >= w->nd) return w->P[w->nd];
    int64_t s = ts + w->off - (w->D0 + d) * 86400;
    int h = (int)(s / 3600);
    double in = 0;
    for (int k = 0; k < h; k++) in += w->D[k];
    in += w->D[h] * (double)(s - 3600 * h) / 3600.0;
    return w->P[d] + w->W[win_wd(w, d)] * in / 24.0;
}

/* Ratio estimator share y_h / y and its standard error clustered by day
 * (rows: days, cols: categories), for the profiles. */
static void cluster_shares(const double *y, int nd, int nc, double *share, double *se)
{
    double tot = 0;
    for (int i = 0; i < nd * nc; i++) tot += y[i];
    for (int c = 0; c < nc; c++) {
        double s = 0;
        for (int d = 0; d < nd; d++) s += y[d * nc + c];
        share[c] = tot > 0 ? s / tot : 0;
    }
    for (int c = 0; c < nc; c++) {
        double v = 0;
        for (int d = 0; d < nd; d++) {
            double yd = 0;
            for (int k = 0; k < nc; k++) yd += y[d * nc + k];
            double r = y[d * nc + c] - share[c] * yd;
            v += r * r;
        }
        se[c] = tot > 0 && nd > 1 ? sqrt(v * nd / (nd - 1.0)) / tot : NAN;
    }
}

/* Daily (by hour) and weekly profiles from weighted message counts y[d*24+h]. */
static void profiles(const double *y, win *w, fit_result *r)
{
    double share[24], se[24];
    cluster_shares(y, w->nd, 24, share, se);
    for (int h = 0; h < 24; h++) {
        r->daily[h] = 24 * share[h];
        r->daily_se[h] = 24 * se[h];
    }
    /* weekday factors: mean count of each weekday's days over the mean of
     * those means; standard errors from the residual variance pooled over
     * all days (8 Mondays give too rough a variance of their own) */
    double sum[7] = {0}, res2 = 0;
    int cnt[7] = {0};
    for (int d = 0; d < w->nd; d++) {
        double t = 0;
        for (int h = 0; h < 24; h++) t += y[d * 24 + h];
        sum[win_wd(w, d)] += t;
        cnt[win_wd(w, d)]++;
    }
    for (int d = 0; d < w->nd; d++) {
        double t = 0;
        for (int h = 0; h < 24; h++) t += y[d * 24 + h];
        int k = win_wd(w, d);
        res2 += (t - sum[k] / cnt[k]) * (t - sum[k] / cnt[k]);
    }
    int nw = 0;
    double mean = 0, pooled = w->nd > 7 ? res2 / (w->nd - 7) : NAN;
    for (int k = 0; k < 7; k++)
        if (cnt[k]) { mean += sum[k] / cnt[k]; nw++; }
    mean = nw ? mean / nw : 0;
    for (int k = 0; k < 7; k++) {
        double mk = cnt[k] ? sum[k] / cnt[k] : mean;
        r->weekly[k] = mean > 0 ? mk / mean : 1;
        r->weekly_se[k] = mean > 0 && cnt[k] > 0 && pooled >= 0 ? sqrt(pooled / cnt[k]) / mean : NAN;
    }
    for (int h = 0; h < 24; h++) w->D[h] = r->daily[h];
    for (int k = 0; k < 7; k++) w->W[k] = r->weekly[k];
}

static int ident_fail(const fit_opts *o, char *err, size_t errlen, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int ident_fail(const fit_opts *o, char *err, size_t errlen, const char *path, const char *fmt, ...)
{
    (void)o;
    char why[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "setting \"%s\": cannot be identified: %s", path, why);
    return FIT_EIDENT;
}

double fit_leave_weight(const fit_leave *lv, const double *mk, int i)
{
    if (!(lv->shape > 0) || !mk) return 1;
    return (lv->shape + mk[2 * i]) / (lv->shape + lv->rate * mk[2 * i + 1]);
}

int fit_leaving(const fit_log *lg, int64_t from, int64_t to, double eng_tau, int gaps, double *npres, double *mk, fit_leave *out)
{
    memset(out, 0, sizeof *out);
    int32_t off = lg->utc_offset;
    int nm = lg->nmem;
    int64_t D0 = epoch_day(from, off), nd = epoch_day(to - 1, off) - D0 + 1;
    if (nd < 1 || !(eng_tau > 0)) return -1;
    /* the proxy's scale: the window's messages per member-day x eng_tau */
    double N = 0, pres = 0;
    for (int64_t k = 0; k < lg->nmsg; k++)
        if (lg->msg[k].ts >= from && lg->msg[k].ts < to && lg->mem[lg->msg[k].mem].role != ROLE_BOT) N++;
    for (int i = 0; i < nm; i++) {
        const fit_member *x = &lg->mem[i];
        if (x->role == ROLE_BOT) continue;
        int64_t s0 = x->joined_ts > from ? x->joined_ts : from, s1 = x->left_ts >= 0 && x->left_ts < to ? x->left_ts : to;
        if (s1 > s0) pres += (double)(s1 - s0 - (gaps && x->ngap ? fit_absent_s(lg, i, s0, s1) : 0)) / DAYS;
    }
    out->eng_scale = pres > 0 && N > 0 ? eng_tau * N / pres : 1;
    double *S = calloc((size_t)nm + 1, sizeof *S), *own = calloc(3 * ((size_t)nm + 1), sizeof *own); /* leaves, days, weight */
    if (!S || !own) { free(S); free(own); return -1; }
    int64_t LD0 = epoch_day(lg->start_ts, off), dfirst = LD0 < D0 ? LD0 : D0, dlast = D0 + nd;
    double decay = exp(-1 / eng_tau), half = exp(-0.5 / eng_tau), esum = 0, slog = 0;
    int64_t k = 0;
    for (int64_t D = dfirst; D < dlast; D++) {
        int64_t d0 = D * 86400 - off, d1 = d0 + 86400;
        if (D >= D0) {
            for (int i = 0; i < nm; i++) {
                const fit_member *x = &lg->mem[i];
                if (x->role == ROLE_BOT || x->joined_ts >= d0 || (x->left_ts >= 0 && x->left_ts < d0)) continue;
                if (gaps && x->ngap && !fit_present_at(lg, i, d0)) continue; /* between two spells */
                if (npres) npres[D - D0] += 1;
                if (x->role != ROLE_MEMBER) continue; /* staff do not leave in the model */
                double e = fit_engagement(S[i], out->eng_scale), q = (1 - e) * (1 - e);
                out->risk_days += 1;
                out->risk_weight += q;
                own[3 * i + 1] += 1;
                own[3 * i + 2] += q;
                esum += e;
                int left = x->left_ts >= 0 && x->left_ts < d1;
                for (int32_t g = gaps ? x->gap : 0; g && !left; g = lg->gap[g - 1].next) left = lg->gap[g - 1].left >= d0 && lg->gap[g - 1].left < d1;
                if (left) {
                    out->leaves += 1;
                    own[3 * i] += 1;
                    slog += log(q > 1e-300 ? q : 1e-300);
                }
            }
        }
        for (int i = 0; i < nm; i++) S[i] *= decay;
        for (; k < lg->nmsg && lg->msg[k].ts < d1; k++)
            if (lg->msg[k].ts >= d0) S[lg->msg[k].mem] += half;
    }
    out->eng_mean = out->risk_days > 0 ? esum / out->risk_days : 0.5;
    if (out->eng_mean < 0.02) out->eng_mean = 0.02;
    /* hazard c (1 - e)^2 against a constant: both Poisson MLEs, one parameter each */
    double L = out->leaves;
    if (L > 0 && out->risk_weight > 0) {
        double ll_proxy = L * log(L / out->risk_weight) + slog - L, ll_const = L * log(L / out->risk_days) - L;
        out->gain = ll_proxy - ll_const;
        out->by_proxy = out->gain > 2;
    }
    /* the members' own multiples: leaves against each one's exposure */
    out->rate = out->by_proxy ? (out->risk_weight > 0 ? L / out->risk_weight : 0) : (out->risk_days > 0 ? L / out->risk_days : 0);
    size_t n = 0;
    for (int i = 0; i < nm; i++) {
        double ex = own[3 * i + (out->by_proxy ? 2 : 1)];
        if (mk) { mk[2 * i] = own[3 * i]; mk[2 * i + 1] = ex; }
        if (ex > 0) { S[n] = own[3 * i]; own[n] = ex; n++; } /* packed in place: slot n <= 3 i */
    }
    fit_gp gp;
    if (n >= 10 && L >= 5 && fit_gamma_poisson(S, own, NULL, n, &gp) == 0 && !gp.shape_at_bound) {
        out->shape = gp.shape;
        out->se_shape = gp.se_shape;
        out->rate = gp.mean;
    }
    free(S);
    free(own);
    return 0;
}

/* Set a value: replace the setting if written already, else insert it after
 * the last one of its group (the writer opens each group once). */
static fit_value *setv(fit_result *r, const char *path, double v, double se, int kind, const char *note)
{
    fit_value *x = NULL;
    for (int i = 0; i < r->nval; i++)
        if (!strcmp(r->val[i].path, path)) x = &r->val[i];
    if (!x) {
        if (r->nval == FIT_MAX_VALUES) return NULL;
        size_t plen = (size_t)(strchr(path, '.') - path);
        int at = r->nval;
        for (int i = 0; i < r->nval; i++)
            if (!strncmp(r->val[i].path, path, plen) && r->val[i].path[plen] == '.') at = i + 1;
        memmove(&r->val[at + 1], &r->val[at], (size_t)(r->nval - at) * sizeof *r->val);
        r->nval++;
        x = &r->val[at];
        x->integer = 0;
    }
    x->path = path;
    x->v = v;
    x->se = se;
    x->kind = kind;
    snprintf(x->note, sizeof x->note, "%s", note ? note : "");
    return x;
}


/* The second forecast model (docs/calibration.md, "Silent attrition and
 * conversations"): who speaks is each member's share of active days, going
 * quiet for good as in BG/BB; how much is the conversation its posts
 * start, carried by their author and the recent speakers; the group's level
 * varies from day to day.  Overrides the classic values it replaces. */
static int fit_second(const fit_log *log, const win *w, int64_t first, int64_t last, int hk_failed, fit_result *r, char *err,
                      size_t errlen)
{
    int nm = log->nmem, nd = w->nd;
    int *d1 = malloc(((size_t)nm + 1) * sizeof *d1), *dl = malloc(((size_t)nm + 1) * sizeof *dl), *na = calloc((size_t)nm + 1, sizeof *na);
    int64_t *first_ts = malloc(((size_t)nm + 1) * sizeof *first_ts);
    int *lastday = malloc(((size_t)nm + 1) * sizeof *lastday), *cal_days = malloc(((size_t)nm + 1) * sizeof *cal_days);
    int *bx = malloc(((size_t)nm + 1) * 3 * sizeof *bx), *nrec = malloc(((size_t)nm + 1) * 3 * sizeof *nrec), *born = malloc(((size_t)nm + 1) * sizeof *born), *oi = malloc(((size_t)nd + 1) * sizeof *oi);
    double *A = calloc((size_t)nd + 1, sizeof *A), *wk = malloc(((size_t)nd + 1) * sizeof *wk);
    unsigned char *op = malloc((size_t)nd + 1);
    int rc = -1;
    char note[240];
    if (!d1 || !dl || !na || !first_ts || !lastday || !cal_days || !bx || !nrec || !born || !oi || !A || !wk || !op) { snprintf(err, errlen, "out of memory"); goto out; }
    /* BG/BB counts the days the group talks at all (com_open_day): oi[d] =
     * open days before day d; na and dl count open days only */
    oi[0] = 0;
    for (int d = 0; d < nd; d++) oi[d + 1] = oi[d] + com_open_day(r->weekly, win_wd(w, d));
    for (int d = 0; d < nd; d++) op[d] = (unsigned char)(oi[d + 1] - oi[d]);
    for (int i = 0; i < nm; i++) { d1[i] = dl[i] = lastday[i] = -1; first_ts[i] = -1; }
    int visits = r->visits.visits; /* fit_run found them */
    int recent = nd < 28 ? nd : 28;
    double newcomers = 0;
    for (int64_t k = first; k < last; k++) {
        const fit_msg *x = &log->msg[k];
        int i = x->mem;
        if (log->mem[i].role == ROLE_BOT) continue;
        int d = win_day(w, x->ts);
        if (d1[i] < 0) d1[i] = d;
        if (dl[i] != d && oi[d + 1] > oi[d]) { dl[i] = d; na[i]++; }
        if (d != lastday[i]) { lastday[i] = d; A[d] += 1; }
    }
    /* Newcomers and returners, over the window's last `recent` days.  A
     * member's entry is its join or, in a log that knows members only by
     * their messages (seed members of an import), its first message.
     * Newcomers: entries in those days (joins.rate), the share that spoke on
     * the day they came (members.first_post).  Returners: members present
     * before those days and silent in the window until then, the share of
     * them that spoke in those days, per open day (members.silent_speak). */
    int s2 = nd - recent, by_msgs = strcmp(log->source, "sim") != 0;
    int64_t t2 = w->from + (int64_t)s2 * 86400;
    double nnew = 0, nfirst = 0, npop = 0, nret = 0, third[3] = {0, 0, 0};
    for (int64_t k = first; k < last; k++) { /* the window only: as if the log began with it */
        int i = log->msg[k].mem;
        if (first_ts[i] < 0) first_ts[i] = log->msg[k].ts;
    }
    for (int i = 0; i < nm; i++) {
        const fit_member *mb = &log->mem[i];
        if (mb->role == ROLE_BOT) continue;
        int64_t entry = by_msgs && mb->source == SRC_SEED && first_ts[i] >= 0 ? first_ts[i] : mb->joined_ts;
        if (entry >= w->from && entry < w->to && nd >= 21) { /* entries in thirds of the window */
            int b = (int)((entry - w->from) / 86400) * 3 / nd;
            third[b > 2 ? 2 : b] += 1;
        }
        if (entry >= t2 && entry < w->to) {
            nnew += 1;
            nfirst += first_ts[i] >= entry && first_ts[i] < entry + 86400;
        } else if (entry < t2 && !(mb->left_ts >= 0 && mb->left_ts < t2) && !(mb->ngap && !visits && !fit_present_at(log, i, t2)) &&
                   (d1[i] < 0 || d1[i] >= s2)) {
            npop += 1;
            nret += d1[i] >= s2;
        }
    }
    /* A log that starts with the window (an export of a few weeks) shows
     * old members too when they first speak in it: entries fall from third
     * to third as they are found.  With old members found geometrically
     * (ratio g a third) and newcomers steady (nu a third), the thirds are
     * nu + D, nu + D g, nu + D g^2; the rate ahead is the next third's,
     * nu + D g^3.  Without a falling pattern (0 < g < 1 not seen) the last
     * 28 days' entries as they are. */
    double joins_rate = nnew / recent, g = third[0] > third[1] && third[1] > third[2] ? (third[1] - third[2]) / (third[0] - third[1]) : -1;
    if (g > 0 && g < 1) {
        double nu = third[2] - (third[1] - third[2]) * g / (1 - g);
        if (nu < 0) nu = 0;
        joins_rate = (nu + g * (third[2] - nu)) / (nd / 3.0);
    }
    newcomers = joins_rate * recent;
    size_t n = 0;
    double own = 0;
    for (int i = 0; i < nm; i++) {
        if (d1[i] < 0) continue;
        /* days observed after the first active one (to a recorded leave:
         * leaving is members.leave_rate, not silent attrition), active days
         * among them, the last */
        int end = nd;
        const fit_member *mb = &log->mem[i];
        if (mb->left_ts >= w->from && mb->left_ts < w->to) end = win_day(w, mb->left_ts);
        if (end <= d1[i]) end = d1[i] + 1;
        int b = oi[d1[i]], x = na[i] > 0 ? na[i] - 1 : 0, tx = dl[i] >= 0 ? oi[dl[i]] - b : 0, nn = oi[end] - 1 - b;
        int cd = end - d1[i];
        if (mb->ngap && !visits) { /* the days between two spells are no chances to speak or go quiet */
            if (dl[i] >= 0) tx -= fit_absent_days(log, i, w->from, d1[i], dl[i], op);
            nn -= fit_absent_days(log, i, w->from, d1[i], end, op);
            cd -= fit_absent_days(log, i, w->from, d1[i], end, NULL);
        }
        if (tx < 0) tx = 0;
        if (nn < tx) nn = tx;
        if (x > nn) x = nn;
        bx[n] = x;
        bx[nm + 1 + n] = tx;
        bx[2 * (nm + 1) + n] = nn;
        cal_days[n] = cd;
        born[n] = d1[i];
        n++;
    }
    if (fit_bgbb(bx, bx + nm + 1, bx + 2 * (nm + 1), n, &r->bg) != 0) {
        snprintf(err, errlen, "setting \"members.dropout_a\": cannot be identified: fewer than 5 members spoke in the window");
        rc = FIT_EIDENT;
        goto out;
    }
    /* Newcomers differ from the members a window starts with: regulars are
     * "born" on its first days and never leave, one-timers come and go.
     * The Betas of newcomers come from the members first seen after the
     * window's first third (at least 20 of them, else all members); the
     * members present at a forecast's start keep the fit over all
     * (members.history_*). */
    size_t m2 = 0;
    for (size_t u = 0; u < n; u++)
        if (born[u] >= nd / 3) {
            nrec[m2] = bx[u];
            nrec[nm + 1 + m2] = bx[nm + 1 + u];
            nrec[2 * (nm + 1) + m2] = bx[2 * (nm + 1) + u];
            m2++;
        }
    r->bg_new = r->bg;
    int own_new = m2 >= 20 && fit_bgbb(nrec, nrec + nm + 1, nrec + 2 * (nm + 1), m2, &r->bg_new) == 0;
    if (!own_new) r->bg_new = r->bg;
    const fit_bg *bg = &r->bg, *bn = &r->bg_new;
    double cap = 1e6;
    /* own posts in the window as the forecast's state will draw them: each
     * member's posterior mean activity (models/state.c) as own posts a day */
    for (size_t u = 0; u < n; u++) {
        double pm = (bg->alpha + bx[u]) / (bg->alpha + bg->beta + bx[2 * (nm + 1) + u]);
        own += com_own_rate(pm, r->weekly) * cal_days[u];
    }
    snprintf(note, sizeof note, "BG/BB over the %d members first seen after the window's first third%s: a newcomer speaks on a day with p ~ "
             "Beta(a, b), mean %.3g", bn->units, own_new ? "" : " (too few: over all members)", bn->alpha / (bn->alpha + bn->beta));
    setv(r, "members.activity_a", bn->alpha > cap ? cap : bn->alpha, bn->se_alpha, FIT_V_FITTED, note);
    setv(r, "members.activity_b", bn->beta > cap ? cap : bn->beta, bn->se_beta, FIT_V_FITTED, "BG/BB");
    snprintf(note, sizeof note, "BG/BB: each day a newcomer goes quiet for good with probability ~ Beta(a, b), mean %.3g",
             bn->gamma / (bn->gamma + bn->delta));
    setv(r, "members.dropout_a", bn->gamma > cap ? cap : bn->gamma, bn->se_gamma, FIT_V_FITTED, note);
    setv(r, "members.dropout_b", bn->delta > cap ? cap : bn->delta, bn->se_delta, FIT_V_FITTED, "BG/BB");
    snprintf(note, sizeof note, "BG/BB over all %d members who spoke: the prior of those present at a forecast's start, mean %.3g",
             bg->units, bg->alpha / (bg->alpha + bg->beta));
    setv(r, "members.history_activity_a", bg->alpha > cap ? cap : bg->alpha, bg->se_alpha, FIT_V_FITTED, note);
    setv(r, "members.history_activity_b", bg->beta > cap ? cap : bg->beta, bg->se_beta, FIT_V_FITTED, "BG/BB");
    snprintf(note, sizeof note, "BG/BB over all members: daily dropout, mean %.3g", bg->gamma / (bg->gamma + bg->delta));
    setv(r, "members.history_dropout_a", bg->gamma > cap ? cap : bg->gamma, bg->se_gamma, FIT_V_FITTED, note);
    setv(r, "members.history_dropout_b", bg->delta > cap ? cap : bg->delta, bg->se_delta, FIT_V_FITTED, "BG/BB");
    /* rate_mean and rate_shape are not used while activity_a > 0: written as
     * the own-post rate of the mean activity, so that they stay in range */
    double e = r->eng_mean > 0 ? r->eng_mean : 1, rm = com_own_rate(bn->alpha / (bn->alpha + bn->beta), r->weekly) / e;
    setv(r, "members.rate_mean", rm > 1000 ? 1000 : rm, NAN, FIT_V_DERIVED, "not used while members.activity_a > 0: the own posts of the mean activity");
    setv(r, "members.rate_shape", 1, NAN, FIT_V_FIXED, "not used while members.activity_a > 0");
    r->new_speakers = newcomers / recent;
    snprintf(note, sizeof note, "entries by thirds of the window %.0f, %.0f, %.0f (a join, or a first message where the log shows none): the "
             "rate ahead, old members found in the window taken out",
             third[0], third[1], third[2]);
    setv(r, "joins.rate", r->new_speakers, newcomers > 0 ? sqrt(newcomers) / recent : NAN, FIT_V_FITTED, note);
    snprintf(note, sizeof note, "%.0f of the %.0f newcomers spoke on the day they came", nfirst, nnew);
    setv(r, "members.first_post", nnew > 0 ? nfirst / nnew : 1, nnew > 0 ? sqrt(nfirst / nnew * (1 - nfirst / nnew) / nnew) : NAN, FIT_V_FITTED, note);
    int open2 = oi[nd] - oi[s2];
    double rho = npop > 0 && open2 > 0 ? nret / (npop * open2) : 0;
    if (npop > 0 && open2 > 0 && rho < 1e-6) rho = 1e-6; /* measured, and nobody came back: 0 would mean "not measured" */
    snprintf(note, sizeof note, "%.0f of %.0f members silent so far spoke in the last %d days (%d open): per open day (read by forecasts)", nret,
             npop, recent, open2);
    setv(r, "members.silent_speak", rho, npop > 0 && open2 > 0 && nret > 0 ? sqrt(nret) / (npop * open2) : NAN, FIT_V_FITTED, note);
    /* members who left inside the window and came back (spells): a constant
     * hazard per former member and day; written only when the window saw
     * leaves, so that a log without them is calibrated as before */
    if (r->leaves > 0) {
        if (r->leave.shape > 0)
            setv(r, "members.leave_shape", r->leave.shape, r->leave.se_shape, FIT_V_FITTED,
                 "members differ in how often they leave: gamma shape of their multiples of the hazard (MLE over each one's leaves and days)");
        else
            setv(r, "members.leave_shape", 0, NAN, FIT_V_DERIVED, "one hazard for all (too few leaves or no difference between members seen)");
    }
    fit_rejoin rj;
    fit_rejoining(log, w->from, w->to, &rj);
    r->rejoin = rj;
    if (rj.risk_days > 0 && visits) {
        snprintf(note, sizeof note, "absences are visits: members spoke on %.0f%% of the %.0f days they came back on, %.2g%% of their other "
                 "days (log-likelihood ratio %.1f); days away count as silent days and nobody is brought back",
                 100 * r->visits.back_active / r->visits.back_days, r->visits.back_days, 100 * r->visits.active / r->visits.days, r->visits.llr);
        setv(r, "members.rejoin_rate", 0, NAN, FIT_V_DERIVED, note);
    } else if (rj.risk_days > 0) {
        snprintf(note, sizeof note, "%.0f rejoin(s) in %.0f former-member-days of %d members who left inside the window (%s)", rj.rejoins,
                 rj.risk_days, rj.formers, rj.shape > 0 ? "gamma-Poisson MLE: the mean hazard" : "Poisson MLE");
        setv(r, "members.rejoin_rate", rj.rate > 1 ? 1 : rj.rate, rj.se, FIT_V_FITTED, note);
        if (rj.shape > 0)
            setv(r, "members.rejoin_shape", rj.shape, rj.se_shape, FIT_V_FITTED,
                 "members' hazards of coming back differ: gamma shape (those long away come back less)");
        else
            setv(r, "members.rejoin_shape", 0, NAN, FIT_V_DERIVED, "one hazard for all (too few formers or no difference between them seen)");
    }
    fit_value *jp = setv(r, "joins.profile", 1, NAN, FIT_V_FIXED, "newcomers arrive when the group is active");
    if (jp) jp->integer = 1;
    /* questions are own posts that start no burst (their follow-up is the
     * answer process): their share of own posts q, then the others' bursts
     * make up the messages, M / own = q + (1 - q) / (1 - n) */
    double qm = 0;
    for (int64_t k = first; k < last; k++) qm += log->msg[k].kind == EV_QUESTION && log->mem[log->msg[k].mem].role != ROLE_BOT;
    double q = own > 0 ? qm / (double)r->messages : 0, ratio = own > 0 ? (double)r->messages / own : 1;
    if (q > 0.5) q = 0.5;
    double per = ratio > q ? (ratio - q) / (1 - q) : 1, nb = 1 - 1 / (per > 1 ? per : 1);
    nb = nb < 0 ? 0 : nb > 0.95 ? 0.95 : nb;
    snprintf(note, sizeof note, "messages per own post: %.0f own posts (a member's active days, Poisson) of %lld messages%s", own,
             (long long)r->messages, nb >= 0.95 ? " (capped at 0.95)" : "");
    setv(r, "replies.branching", nb, NAN, FIT_V_DERIVED, note);
    setv(r, "members.question_share", q, NAN, FIT_V_FITTED, "questions / messages (at most 0.5)");
    double decay = hk_failed || !(r->hawkes.beta > 0) ? 10 : 1 / r->hawkes.beta / 60;
    if (hk_failed) setv(r, "replies.decay", 10, NAN, FIT_V_DEFAULT, "the self-exciting process could not be fitted: the model's default");
    if (fit_talk_shares(log, w->from, w->to, 3 * decay * 60, &r->talk_self, &r->talk_conv, &r->talk_today) != 0) { snprintf(err, errlen, "out of memory"); goto out; }
    setv(r, "replies.self", r->talk_self, NAN, FIT_V_FITTED, "messages within 3 reply delays of the previous one by its author");
    setv(r, "replies.conversation", r->talk_conv, NAN, FIT_V_FITTED,
         "of the others, by one of the 3 other latest speakers beyond chance (moments)");
    snprintf(note, sizeof note, "who speaks on a day is the members' own active days, which already hold the days they were drawn "
             "into talk (the log: %.2f of the rest beyond chance)", r->talk_today);
    setv(r, "replies.today", 1, NAN, FIT_V_FIXED, note);
    for (int d = 0; d < nd; d++) wk[d] = r->weekly[win_wd(w, d)];
    /* the level multiplies own-post rates; speakers move less (1 - exp(-rate
     * x level) is concave): their elasticity to the level, sum over members
     * of rate e^-rate over the sum of 1 - e^-rate, turns the speakers'
     * variation into the level's */
    double el_num = 0, el_den = 0;
    for (size_t u = 0; u < n; u++) {
        double pm = (bg->alpha + bx[u]) / (bg->alpha + bg->beta + bx[2 * (nm + 1) + u]), lam = -log1p(-(pm < 0.99 ? pm : 0.99));
        el_num += lam * exp(-lam);
        el_den += -expm1(-lam);
    }
    double elast = el_den > 0 ? el_num / el_den : 1;
    /* the speakers that members away on a day (between two spells, or gone
     * for good) would have given at their own rate: leaves and rejoins are
     * the model's (members.leave_rate, .rejoin_rate), not day noise or the
     * level's drift */
    for (int i = 0, u = 0; i < nm; i++) {
        if (d1[i] < 0) continue; /* the order of bx */
        const fit_member *mb = &log->mem[i];
        if (mb->ngap || (mb->left_ts >= w->from && mb->left_ts < w->to)) {
            double pm = (bg->alpha + bx[u]) / (bg->alpha + bg->beta + bx[2 * (nm + 1) + u]);
            for (int d = d1[i] + 1; d < nd; d++)
                if (op[d] && !fit_present_at(log, i, w->from + (int64_t)d * 86400 + 43200) &&
                    (!visits || (mb->left_ts >= 0 && w->from + (int64_t)d * 86400 + 43200 >= mb->left_ts))) /* visits: in the rates */
                    A[d] += pm;
        }
        u++;
    }
    double cv_dau = fit_day_cv(A, wk, nd);
    r->day_cv = cv_dau / (elast > 0.2 ? elast : 0.2);
    /* the level's drift: weekly means of the speakers, the variance of their
     * log changes beyond what daily noise (Poisson and day_cv) gives, a
     * random walk's step per week over the elasticity (fit.h level_step) */
    {
        double lw[64], mu = 0, s1 = 0, sq = 0;
        int nw = 0, k = 0;
        for (int d = 0; d < nd; d++) mu += A[d] / nd;
        for (int w0 = nd % 7; w0 + 7 <= nd && nw < 64; w0 += 7) {
            double s = 0;
            for (int d = w0; d < w0 + 7; d++) s += A[d] / 7;
            lw[nw++] = s;
        }
        for (int j = 1; j < nw; j++)
            if (lw[j] > 0 && lw[j - 1] > 0) {
                double x = log1p(lw[j] / lw[j - 1] - 1); /* log(): the parameter `log` hides it here */
                s1 += x;
                sq += x * x;
                k++;
            }
        double var = k > 2 ? (sq - s1 * s1 / k) / (k - 1) : 0, noise = mu > 0 ? 2 * (1 / mu + cv_dau * cv_dau) / 7 : 0;
        r->level_step = var > noise ? sqrt(var - noise) / (elast > 0.2 ? elast : 0.2) : 0;
    }
    rc = 0;
out:
    free(d1); free(dl); free(na); free(lastday); free(cal_days); free(first_ts); free(bx); free(nrec); free(born); free(oi); free(A); free(wk); free(op);
    return rc;
}

int fit_run(const fit_log *log, const fit_opts *opt, fit_result *r, char *err, size_t errlen)
{
    fit_opts od;
    if (!opt) { fit_opts_init(&od); opt = &od; }
    memset(r, 0, sizeof *r);
    win w;
    memset(&w, 0, sizeof w);
    w.off = log->utc_offset;
    w.from = opt->from_ts ? opt->from_ts : log->start_ts;
    w.to = opt->to_ts ? opt->to_ts : log->start_ts + (int64_t)log->days * 86400;
    w.D0 = epoch_day(w.from, w.off);
    w.nd = (int)(epoch_day(w.to - 1, w.off) - w.D0 + 1);
    r->from_ts = w.from;
    r->to_ts = w.to;
    r->days = w.nd > 0 ? w.nd : 0;
    r->eng_tau = opt->eng_tau > 0 ? opt->eng_tau : 14;
    if (w.to <= w.from || w.nd < 7)
        return ident_fail(opt, err, errlen, "cadence.weekly",
                          "the log covers %d day(s); at least 7 are needed (a weekly profile, and enough days for every other setting)",
                          r->days);

    /* the window's messages by members who are not bots */
    int64_t lo = 0, hi = log->nmsg;
    while (lo < hi) { int64_t mid = (lo + hi) / 2; if (log->msg[mid].ts < w.from) lo = mid + 1; else hi = mid; }
    int64_t first = lo;
    hi = log->nmsg;
    while (lo < hi) { int64_t mid = (lo + hi) / 2; if (log->msg[mid].ts < w.to) lo = mid + 1; else hi = mid; }
    int64_t last = lo;
    int64_t N = 0, nmarked = 0, nanswers_linked = 0;
    for (int64_t k = first; k < last; k++) {
        const fit_msg *x = &log->msg[k];
        if (log->mem[x->mem].role == ROLE_BOT) continue;
        N++;
        nmarked += x->marked;
        nanswers_linked += x->marked && x->kind == EV_ANSWER;
    }
    r->messages = N;
    if (N < 50)
        return ident_fail(opt, err, errlen, "members.rate_mean",
                          "only %lld message(s) in %d days; at least 50 are needed to fit members.rate_mean, members.rate_shape, "
                          "cadence.daily, replies.branching and replies.decay",
                          (long long)N, r->days);

    int rc = -1;
    size_t nn = (size_t)N;
    double *t = malloc(nn * sizeof *t), *a = malloc(nn * sizeof *a), *p = malloc(nn * sizeof *p);
    int32_t *seg = malloc(nn * sizeof *seg), *dayof = malloc(nn * sizeof *dayof);
    unsigned char *count = malloc(nn), *kind = malloc(nn), *hour = malloc(nn);
    double *y = calloc((size_t)w.nd * 24, sizeof *y), *cday = calloc((size_t)w.nd, sizeof *cday), *L = calloc((size_t)w.nd, sizeof *L);
    w.P = malloc((size_t)(w.nd + 1) * sizeof *w.P);
    double *seg_end = malloc((size_t)(w.nd + 1) * sizeof *seg_end);
    int nm = log->nmem;
    double *kk = calloc((size_t)nm + 1, sizeof *kk), *EE = calloc((size_t)nm + 1, sizeof *EE), *S = calloc((size_t)nm + 1, sizeof *S);
    double *pres = calloc((size_t)nm + 1, sizeof *pres), *outside = calloc((size_t)nm + 1, sizeof *outside);
    unsigned char *tr = calloc((size_t)nm + 1, 1);
    double *npres = calloc((size_t)w.nd + 1, sizeof *npres);
    if (!t || !a || !p || !seg || !dayof || !hour || !count || !kind || !y || !cday || !L || !w.P || !seg_end || !kk || !EE || !S ||
        !outside || !tr || !npres) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    int answers_marked = 0;
    for (int64_t q = 0; q < log->nq; q++) answers_marked |= log->q[q].answer_ts >= 0;
    r->answers_marked = answers_marked && nanswers_linked > 0;
    {
        size_t j = 0;
        for (int64_t k = first; k < last; k++) {
            const fit_msg *x = &log->msg[k];
            if (log->mem[x->mem].role == ROLE_BOT) continue;
            t[j] = (double)(x->ts - w.from);
            int d = win_day(&w, x->ts), h = (int)((x->ts + w.off - (w.D0 + d) * 86400) / 3600);
            dayof[j] = d;
            hour[j] = (unsigned char)h;
            kind[j] = x->kind;
            /* linked answers come from their own process (questions.answer_rate) */
            count[j] = !(r->answers_marked && x->kind == EV_ANSWER && x->marked);
            y[d * 24 + h] += 1;
            cday[d] += 1;
            j++;
        }
    }
    profiles(y, &w, r);
    win_profile(&w);

    /* Hawkes: baseline mu x hour x weekday x the day's level (the mean of
     * the weekday-adjusted message counts of the 3 days before and after:
     * slow trends and membership changes are not taken for excitation).  Above hawkes_max
     * messages the fit uses every stride-th whole week (each week a segment
     * of its own). */
    int stride = 1;
    if (opt->hawkes_max > 0 && N > opt->hawkes_max) stride = (int)((N + opt->hawkes_max - 1) / opt->hawkes_max);
    if (stride > 1 && w.nd / 7 < 2 * stride) stride = 1;
    int nseg = 1;
    {
        size_t m = 0;
        for (size_t j = 0; j < nn; j++) {
            int wk = dayof[j] / 7;
            if (stride > 1 && wk % stride) continue;
            t[m] = t[j];
            hour[m] = hour[j];
            count[m] = count[j];
            dayof[m] = dayof[j];
            kind[m] = kind[j];
            seg[m] = stride > 1 ? wk / stride : 0;
            m++;
        }
        nn = m;
        double midnight = (double)(w.from + w.off - w.D0 * 86400); /* seconds of the window's start past local midnight */
        if (stride > 1) {
            nseg = (w.nd / 7) / stride + 1;
            for (int sgi = 0; sgi < nseg; sgi++) {
                double end = (double)(sgi * stride * 7 + 7) * DAYS;
                if (end > (double)w.nd * DAYS) end = (double)w.nd * DAYS;
                seg_end[sgi] = end - midnight;
            }
        } else
            seg_end[0] = (double)(w.to - w.from);
        r->hawkes_days = 0;
        for (int d = 0; d < w.nd; d++) r->hawkes_days += !(stride > 1 && (d / 7) % stride);
    }
    /* Rounds: fit (mu, n, beta) with the profile held, then re-estimate the
     * profile from the immigrants (each message weighted by its probability
     * of being one: the EM step of the profile's levels, over-relaxed by
     * OMEGA as EM creeps here), until (n, beta) settle; then a full fit at
     * that profile.  The fixed point is the joint maximum likelihood: with
     * two rounds only, n came out 2% low on simulated logs. */
    const double OMEGA = 1.5;
    double nprev = -1, bprev = -1;
    int hk_failed = 0;
    int final = 0;
    for (int round = 0; round < 60; round++) {
        double Lsum = 0;
        for (int d = 0; d < w.nd; d++) {
            double s = 0;
            int c = 0;
            for (int e = d - 3; e <= d + 3; e++) /* the day itself left out: its own bursts are not its baseline */
                if (e >= 0 && e < w.nd && (e != d || w.nd == 1)) { s += cday[e] / w.W[win_wd(&w, e)]; c++; }
            L[d] = c ? s / c : 0;
            Lsum += L[d];
        }
        double Lmean = Lsum > 0 ? Lsum / w.nd : 1, a_int = 0;
        for (size_t j = 0; j < nn; j++) {
            a[j] = w.D[hour[j]] * w.W[win_wd(&w, dayof[j])] * L[dayof[j]] / Lmean;
            if (!(a[j] > 1e-12)) a[j] = 1e-12;
        }
        for (int d = 0; d < w.nd; d++)
            if (!(stride > 1 && (d / 7) % stride)) a_int += DAYS * w.W[win_wd(&w, d)] * L[d] / Lmean;
        double st3[3] = {r->hawkes.mu, r->hawkes.n, r->hawkes.beta};
        fit_hawkes_in in = {round ? st3 : NULL, t, a, count, r->replies_marked ? kind : NULL, seg, seg_end, nseg, nn, a_int,
                            round == 0 || final ? 0 : 3};
        char herr[200];
        if (fit_hawkes_mle(&in, &r->hawkes, p, herr, sizeof herr) != 0) {
            if (!opt->classic) { /* the second model needs the Hawkes fit for the reply delay only */
                memset(&r->hawkes, 0, sizeof r->hawkes);
                r->hawkes.se_n = r->hawkes.se_beta = NAN;
                hk_failed = 1;
                break;
            }
            rc = ident_fail(opt, err, errlen, "replies.branching", "the self-exciting process could not be fitted (%s)", herr);
            goto out;
        }
        if (final) break;
        if (round == 0) {
            /* Replies linked in the log (most of the excitation is marked):
             * then the model's convention holds that a question starts no
             * generic burst (its follow-up is the answer process), and the
             * branching ratio is fitted over the other messages.  `kind`
             * becomes the excitation flag. */
            r->replies_marked = r->hawkes.n > 0.02 && (double)nmarked >= 0.5 * r->hawkes.n * (double)N;
            if (r->replies_marked) {
                /* the immigrants are known: the profile is that of the own
                 * posts (all of the window's), and one more fit at it is final */
                memset(y, 0, (size_t)w.nd * 24 * sizeof *y);
                for (int64_t k2 = first; k2 < last; k2++) {
                    const fit_msg *x = &log->msg[k2];
                    if (log->mem[x->mem].role == ROLE_BOT || x->kind == EV_REPLY || x->kind == EV_ANSWER) continue;
                    int d = win_day(&w, x->ts);
                    y[d * 24 + (int)((x->ts + w.off - (w.D0 + d) * 86400) / 3600)] += 1;
                }
                profiles(y, &w, r);
                win_profile(&w);
                for (size_t j = 0; j < nn; j++) kind[j] = kind[j] != EV_QUESTION;
                final = 1;
                continue;
            }
        }
        /* with a subsample the full-data profile stays: one more fit if the flags changed */
        if (stride > 1) {
            if (!r->replies_marked) break;
            final = 1;
            continue;
        }
        if (round > 1 && fabs(r->hawkes.n - nprev) < 2e-5 && fabs(r->hawkes.beta / bprev - 1) < 2e-4) {
            final = 1;
            continue;
        }
        nprev = r->hawkes.n;
        bprev = r->hawkes.beta;
        double D0v[24], W0v[7];
        memcpy(D0v, w.D, sizeof D0v);
        memcpy(W0v, w.W, sizeof W0v);
        memset(y, 0, (size_t)w.nd * 24 * sizeof *y);
        for (size_t j = 0; j < nn; j++)
            if (count[j]) y[dayof[j] * 24 + hour[j]] += p[j];
        profiles(y, &w, r);
        if (round > 0) { /* over-relaxed step, kept positive, means 1 */
            double sd = 0, sw = 0;
            for (int h = 0; h < 24; h++) {
                double v = D0v[h] + OMEGA * (r->daily[h] - D0v[h]);
                r->daily[h] = v > 0.2 * r->daily[h] ? v : r->daily[h];
                sd += r->daily[h] / 24;
            }
            for (int k2 = 0; k2 < 7; k2++) {
                double v = W0v[k2] + OMEGA * (r->weekly[k2] - W0v[k2]);
                r->weekly[k2] = v > 0.2 * r->weekly[k2] ? v : r->weekly[k2];
                sw += r->weekly[k2] / 7;
            }
            for (int h = 0; h < 24; h++) w.D[h] = r->daily[h] /= sd > 0 ? sd : 1;
            for (int k2 = 0; k2 < 7; k2++) w.W[k2] = r->weekly[k2] /= sw > 0 ? sw : 1;
        }
        win_profile(&w);
    }
    const fit_hawkes *hk = &r->hawkes;
    double n_hat = hk->n;
    if (!r->replies_marked && n_hat < 1) {
        /* declustered weights move with the counts they weigh: the day-
         * clustered errors, taken as if the weights were fixed, are
         * widened by 1 / (1 - n) (docs/calibration.md) */
        for (int h = 0; h < 24; h++) r->daily_se[h] /= 1 - n_hat;
        for (int k = 0; k < 7; k++) r->weekly_se[k] /= 1 - n_hat;
    }

    /* own posts: linked replies/answers left out, or (1 - n) of every
     * message (declustering each message by its immigrant probability was
     * tried: it moved rate_shape by 1%).  Questions and submissions are own
     * posts in the model, linked or not. */
    double wall = r->replies_marked ? 1 : 1 - n_hat, own = 0, qn = 0, ugc = 0;
    for (int64_t k = first; k < last; k++) {
        const fit_msg *x = &log->msg[k];
        if (log->mem[x->mem].role == ROLE_BOT) continue;
        double wk = r->replies_marked ? (x->kind == EV_REPLY || x->kind == EV_ANSWER ? 0 : 1) : wall;
        kk[x->mem] += wk;
        own += wk;
        qn += x->kind == EV_QUESTION;
        ugc += x->kind == EV_SUBMISSION;
    }
    for (int64_t k = 0; k < log->nmsg; k++)
        if (log->msg[k].ts < w.from || log->msg[k].ts >= w.to) outside[log->msg[k].mem] += 1;
    r->own_posts = own;

    /* exposures (activity-weighted days present in the window); the days
     * between two spells are none unless absences are visits (fit_visiting),
     * or the classic model (which knew no spells) */
    if (!opt->classic && fit_visiting(log, w.from, w.nd, &r->visits) != 0) { snprintf(err, errlen, "out of memory"); goto out; }
    int gaps = !opt->classic && !r->visits.visits;
    int nseed = 0, seed_zero = 0;
    for (int i = 0; i < nm; i++) {
        const fit_member *x = &log->mem[i];
        if (x->role == ROLE_BOT) continue;
        int64_t s0 = x->joined_ts > w.from ? x->joined_ts : w.from;
        int64_t s1 = x->left_ts >= 0 && x->left_ts < w.to ? x->left_ts : w.to;
        if (s1 <= s0) continue;
        EE[i] = win_cum(&w, s1) - win_cum(&w, s0);
        for (int32_t g = gaps ? x->gap : 0; g; g = log->gap[g - 1].next) { /* not between two spells */
            const fit_gap *gp = &log->gap[g - 1];
            int64_t g0 = gp->left > s0 ? gp->left : s0, g1 = gp->back < s1 ? gp->back : s1;
            if (g1 > g0) EE[i] -= win_cum(&w, g1) - win_cum(&w, g0);
        }
        if (x->source == SRC_SEED) {
            nseed++;
            seed_zero += kk[i] + outside[i] == 0;
        }
    }
    /* a log that shows only members who spoke (seed members with no zero
     * count): zero-truncated likelihood for those seen only in the window */
    r->truncated = nseed >= 20 && seed_zero == 0 && strcmp(log->source, "sim") != 0;
    if (r->truncated)
        for (int i = 0; i < nm; i++) tr[i] = log->mem[i].source == SRC_SEED && outside[i] == 0;
    for (int i = 0; i < nm; i++) r->members_used += EE[i] > 0;
    if (r->members_used < 10) {
        rc = ident_fail(opt, err, errlen, "members.rate_shape", "only %d member(s) present in the window; at least 10 are needed", r->members_used);
        goto out;
    }
    if (fit_gamma_poisson(kk, EE, r->truncated ? tr : NULL, (size_t)nm, &r->rates) != 0) {
        rc = ident_fail(opt, err, errlen, "members.rate_shape", "the gamma-Poisson fit of the posting rates did not converge");
        goto out;
    }

    /* engagement proxy and leaving */
    {
        fit_leave lv;
        if (fit_leaving(log, w.from, w.to, r->eng_tau, gaps, npres, NULL, &lv) != 0) { snprintf(err, errlen, "out of memory"); goto out; }
        r->leave = lv;
        r->eng_scale = lv.eng_scale;
        r->eng_mean = lv.eng_mean;
        r->leaves = lv.leaves;
        r->risk_days = lv.risk_days;
        r->risk_weight = lv.risk_weight;
    }
    for (int i = 0; i < nm; i++) {
        const fit_member *x = &log->mem[i];
        if (x->role != ROLE_BOT && x->source != SRC_SEED && x->joined_ts >= w.from && x->joined_ts < w.to) r->joins += 1;
        if (x->joined_ts < w.to && (x->left_ts < 0 || x->left_ts >= w.to)) {
            if (x->role == ROLE_BOT) r->bots++;
            else if (x->role == ROLE_ADMIN) r->admins++;
            else if (x->role == ROLE_KOL) r->kols++;
            else if (x->role == ROLE_OWNER) r->has_owner = 1;
            r->present_end++;
        }
    }

    /* ---- the settings ---- */
    const double e = r->eng_mean;
    fit_value *v;
    int size = r->present_end;
    if (size < 2) size = 2;
    if (size > 500) size = 500;
    v = put(r, "group.size", size, NAN, FIT_V_DERIVED, "members present at the end of the window%s",
            r->present_end > 500 ? " (more than the platform's 500: capped)" : "");
    v->integer = 1;
    v = put(r, "group.cap", 500, NAN, FIT_V_FIXED, "platform cap");
    v->integer = 1;
    v = put(r, "group.admins", r->admins > 3 ? 3 : r->admins, NAN, FIT_V_DERIVED, "admins present at the end");
    v->integer = 1;
    v = put(r, "group.kols", r->kols > 100 ? 100 : r->kols, NAN, FIT_V_DERIVED, "KOLs present at the end");
    v->integer = 1;
    v = put(r, "group.bots", r->bots > 10 ? 10 : r->bots, NAN, FIT_V_DERIVED, "bots present at the end (never speakers)");
    v->integer = 1;
    {
        int staff = 1 + r->admins + r->kols + r->bots;
        if (staff > size) r->val[0].v = staff > 500 ? 500 : staff;
    }
    put(r, "members.rate_mean", r->rates.mean / e, r->rates.se_mean / e, FIT_V_DERIVED,
        "observed own posts/day %.4g +/- %.2g (gamma-Poisson MLE, %d members%s) / engagement %.3g", r->rates.mean, r->rates.se_mean,
        r->rates.units, r->truncated ? ", zero-truncated: the log shows only members who spoke" : "", e);
    if (r->rates.shape_at_bound)
        put(r, "members.rate_shape", FIT_SHAPE_MAX, NAN, FIT_V_FITTED, "no detectable heterogeneity of rates: shape at its bound");
    else
        put(r, "members.rate_shape", r->rates.shape, r->rates.se_shape, FIT_V_FITTED, "gamma shape of the rates (MLE)");
    put(r, "members.engagement_a", e * ENG_K, NAN, FIT_V_DERIVED, "engagement of newcomers ~ %.3g: the mean engagement proxy", e);
    put(r, "members.engagement_b", (1 - e) * ENG_K, NAN, FIT_V_DERIVED, NULL);
    put(r, "members.belonging_tau", 1e9, NAN, FIT_V_FIXED, "belonging does not decay: the observed level is the baseline");
    put(r, "members.belonging_init", 1, NAN, FIT_V_FIXED, "engagement relaxes back to where it started");
    put(r, "members.silent_below", 0, NAN, FIT_V_FIXED, "lurking is in the rates");
    if (r->leaves > 0 && r->leave.by_proxy) {
        double lr = r->leaves / r->risk_weight, se = sqrt(r->leaves) / r->risk_weight;
        put(r, "members.leave_rate", lr > 10 ? 10 : lr, se, FIT_V_FITTED,
            "%.0f leaves in %.0f member-days: hazard x (1 - engagement)^2 (Poisson MLE; quiet members leave more: "
            "log-likelihood %.1f above a constant hazard %.3g/day)",
            r->leaves, r->risk_days, r->leave.gain, r->leaves / r->risk_days);
    } else if (r->leaves > 0) {
        double c = (1 - e) * (1 - e), lr = r->leaves / r->risk_days / c, se = sqrt(r->leaves) / r->risk_days / c;
        put(r, "members.leave_rate", lr > 10 ? 10 : lr, se, FIT_V_FITTED,
            "%.0f leaves in %.0f member-days: constant hazard %.3g/day (Poisson MLE) at engagement %.3g (leaving does not "
            "follow the engagement proxy: log-likelihood %+.1f; forecasts give every member the mean engagement)",
            r->leaves, r->risk_days, r->leaves / r->risk_days, e, r->leave.gain);
    } else
        put(r, "members.leave_rate", 0, NAN, FIT_V_FITTED, "no leaves in %.0f member-days (95%% upper bound %.3g)", r->risk_days,
            r->risk_weight > 0 ? 3.0 / r->risk_weight : NAN);
    double qs = own > 0 ? qn / own : 0, us = own - qn > 0 ? ugc / (own - qn) : 0;
    if (qs > 1) qs = 1;
    if (us > 1) us = 1;
    put(r, "members.question_share", qs, own > 0 ? sqrt(qs * (1 - qs) / own) : NAN, FIT_V_FITTED, "questions / own posts%s",
        r->replies_marked ? "" : " ((1 - n) of the messages)");
    put(r, "members.ugc_share", us, own - qn > 0 && ugc > 0 ? sqrt(us * (1 - us) / (own - qn)) : NAN, FIT_V_FITTED,
        ugc > 0 ? "submissions / other own posts" : "no submissions in the log");
    put(r, "members.mute_rate", 0, NAN, FIT_V_FIXED, "overload is in the observed rates");
    put(r, "members.overload_leave", 0, NAN, FIT_V_FIXED, NULL);

    /* replies */
    int excitation = hk->n >= 0.01 && isfinite(hk->se_n) && hk->n >= 2 * hk->se_n;
    if (hk->n >= 0.99 && opt->classic) {
        rc = ident_fail(opt, err, errlen, "replies.branching", "the fitted branching ratio %.3g is explosive (>= 0.99)", hk->n);
        goto out;
    }
    if (!excitation && !opt->partial && opt->classic) {
        rc = ident_fail(opt, err, errlen, "replies.decay",
                        "no reply structure in the log (branching ratio %.3g +/- %.2g): the delay of replies is not identified "
                        "(--partial keeps the model's default)",
                        hk->n, hk->se_n);
        goto out;
    }
    char sub[80] = "";
    if (r->hawkes_days < w.nd) snprintf(sub, sizeof sub, "; fitted on %d of %d days (whole weeks)", r->hawkes_days, w.nd);
    if (r->replies_marked)
        put(r, "replies.branching", hk->n, hk->se_n, FIT_V_FITTED, "Hawkes MLE: replies per message (questions start none)%s", sub);
    else {
        /* unlinked: the fitted ratio is over every message, questions included,
         * whose follow-up the model draws from the answer process (off here) */
        double qm = 0;
        for (size_t j = 0; j < nn; j++) qm += kind[j] == EV_QUESTION;
        double f = nn > qm ? (double)nn / ((double)nn - qm) : 1;
        if (hk->n * f >= 0.99 && opt->classic) {
            rc = ident_fail(opt, err, errlen, "replies.branching", "the fitted branching ratio %.3g is explosive (>= 0.99)", hk->n * f);
            goto out;
        }
        put(r, "replies.branching", hk->n * f, hk->se_n * f, FIT_V_FITTED,
            "Hawkes MLE %.3g per message, over the %.0f%% that are not questions%s", hk->n, 100 / f, sub);
    }
    if (excitation)
        put(r, "replies.decay", 1 / hk->beta / 60, hk->se_beta / (hk->beta * hk->beta) / 60, FIT_V_FITTED,
            "mean reply delay, minutes (Hawkes MLE)");
    else
        put(r, "replies.decay", 10, NAN, FIT_V_DEFAULT, "not identified (no reply structure): the model's default");
    put(r, "replies.boost", 0, NAN, FIT_V_FIXED, "the effect of being answered is in the observed rates");
    put(r, "replies.responder_boost", 0, NAN, FIT_V_FIXED, NULL);

    /* answers */
    if (r->answers_marked) {
        double answered = 0, expo = 0, wsum = 0;
        int nq = 0;
        for (int64_t q = 0; q < log->nq; q++) {
            const fit_question *x = &log->q[q];
            if (x->ts < w.from || x->ts >= w.to || log->mem[x->mem].role == ROLE_BOT) continue;
            int64_t end = x->ts + (int64_t)(PATIENCE_H * 3600);
            int ans = x->answer_ts >= 0 && x->answer_ts < end;
            if (ans) end = x->answer_ts;
            if (end > w.to) { end = w.to; ans = ans && x->answer_ts < w.to; }
            answered += ans;
            expo += (win_cum(&w, end) - win_cum(&w, x->ts)) * 24;
            int d = win_day(&w, x->ts);
            wsum += (npres[d] > 1 ? npres[d] - 1 : 1) * e;
            nq++;
        }
        double lam = expo > 0 ? answered / expo : 0, wbar = nq ? wsum / nq : 1;
        put(r, "questions.answer_rate", lam / wbar, answered > 0 ? lam / wbar / sqrt(answered) : NAN, FIT_V_FITTED,
            "%.0f of %d questions answered within %g h: hazard per hour / (members present x engagement)", answered, nq, PATIENCE_H);
    } else
        put(r, "questions.answer_rate", 0, NAN, FIT_V_FIXED,
            "answers are not linked in this log: they are part of replies.branching (response-time metrics are then not forecast)");
    put(r, "questions.patience", PATIENCE_H, NAN, FIT_V_FIXED, NULL);
    put(r, "questions.boost", 0, NAN, FIT_V_FIXED, NULL);
    put(r, "joins.rate", r->joins / w.nd, r->joins > 0 ? sqrt(r->joins) / w.nd : NAN, FIT_V_FITTED, "%.0f joins in %d days (Poisson MLE%s)",
        r->joins, w.nd, r->joins > 0 ? "" : "; 95% upper bound 3 / days");
    put(r, "joins.qr_share", 0, NAN, FIT_V_FIXED, "every joiner gets in (QR limits are in the observed inflow)");
    put(r, "roles.welcome_prob", 0, NAN, FIT_V_FIXED, "staff messages are in the observed rates");
    put(r, "roles.kol_topics", 0, NAN, FIT_V_FIXED, NULL);
    put(r, "roles.bot_stats_hour", -1, NAN, FIT_V_FIXED, NULL);
    if (!opt->classic && (rc = fit_second(log, &w, first, last, hk_failed, r, err, errlen)) != 0) goto out;
    rc = 0;
out:
    free(t); free(a); free(p); free(seg); free(dayof); free(hour); free(count); free(kind);
    free(y); free(cday); free(L); free(w.P); free(seg_end);
    free(kk); free(EE); free(S); free(outside); free(tr); free(npres);
    return rc;
}

/* ---- the scenario file --------------------------------------------------- */

static void num(FILE *f, double v, int integer)
{
    if (integer) { fprintf(f, "%lld", (long long)llround(v)); return; }
    char b[64];
    snprintf(b, sizeof b, "%.6g", v);
    if (!strpbrk(b, ".eEn")) strcat(b, ".0"); /* libconfig: a float needs a point */
    fputs(b, f);
}

static void date_of(int64_t ts, int32_t off, char *buf)
{
    int64_t y;
    unsigned m, d;
    cal_civil_from_days(epoch_day(ts, off), &y, &m, &d);
    snprintf(buf, 16, "%04lld-%02u-%02u", (long long)y, m, d);
}

static void vec(FILE *f, const char *name, const double *v, const double *se, int n)
{
    fprintf(f, "  %s = [", name);
    for (int i = 0; i < n; i++) {
        if (i) fputs(", ", f);
        num(f, v[i], 0);
    }
    fputs("];\n  # +/- [", f);
    for (int i = 0; i < n; i++) fprintf(f, "%s%.2g", i ? ", " : "", se[i]);
    fputs("]\n", f);
}

int fit_write_scenario(const fit_result *r, const fit_log *log, const char *origin, int days, FILE *f)
{
    char d0[16], d1[16], start[16], off[16];
    date_of(r->from_ts, log->utc_offset, d0);
    date_of(r->to_ts - 1, log->utc_offset, d1);
    date_of(r->to_ts, log->utc_offset, start);
    cal_offset_str(log->utc_offset, off, sizeof off);
    fprintf(f, "# Calibrated from a live log by qunsim calibrate --live (docs/calibration.md).\n");
    if (origin) { /* a group name may hold a newline: it must not end the comment */
        fputs("# Log: ", f);
        cw_put_comment(f, origin);
        fputs("\n", f);
    }
    fprintf(f, "# Window: %s .. %s (%d days), %lld messages, %d members; own posts %.0f (%s).\n", d0, d1, r->days,
            (long long)r->messages, r->members_used, r->own_posts,
            r->replies_marked ? "replies linked in the log, left out" : "replies not linked: (1 - branching) x messages");
    fprintf(f, "# Values: maximum likelihood; \"+/-\" is the standard error from the observed Fisher information.\n");
    fprintf(f, "# The baseline is stationary: each member keeps the engagement it starts with (in a forecast:\n");
    fprintf(f, "# how recently and how much it spoke, time constant %g days, or the mean when leaving does not\n", r->eng_tau);
    fprintf(f, "# follow it; see members.leave_rate); campaigns in arms raise it for a while\n");
    fprintf(f, "# (members.engagement_tau).  Members present at a forecast's start come from the log\n");
    fprintf(f, "# (qunsim forecast --live); the settings below also describe newcomers.\n\n");
    /* scenario.name holds OPT_STR_MAX - 1 bytes: cut the group's name on a
     * character boundary to leave room for the suffix, then escape it */
    static const char suffix[] = " (calibrated)";
    char name[OPT_STR_MAX];
    size_t nl = cw_shorten(name, sizeof name, log->name[0] ? log->name : "live", OPT_STR_MAX - sizeof suffix);
    snprintf(name + nl, sizeof name - nl, "%s", suffix);
    fputs("scenario = {\n  name = ", f);
    cw_put_string(f, name);
    fprintf(f, ";\n  start = \"%s\";\n  utc_offset = \"%s\";\n  days = %d;\n  seed = 1;\n"
               "  reps = 50;\n  events = false;\n};\n",
            start, off, days);
    const char *open = NULL;
    size_t openlen = 0;
    for (int i = 0; i < r->nval; i++) {
        const fit_value *v = &r->val[i];
        const char *dot = strchr(v->path, '.');
        size_t plen = (size_t)(dot - v->path);
        if (!open || plen != openlen || strncmp(open, v->path, plen)) {
            if (open) fputs("};\n", f);
            fprintf(f, "\n%.*s = {\n", (int)plen, v->path);
            open = v->path;
            openlen = plen;
        }
        fprintf(f, "  %s = ", dot + 1);
        num(f, v->v, v->integer);
        fputs(";", f);
        if (isfinite(v->se)) fprintf(f, "  # +/- %.2g", v->se);
        if (v->note[0]) {
            fprintf(f, "%s ", isfinite(v->se) ? ";" : "  #");
            cw_put_comment(f, v->note);
        }
        if (v->kind == FIT_V_FIXED && !v->note[0]) fputs("  # fixed by the calibrated baseline", f);
        fputs("\n", f);
    }
    if (open) fputs("};\n", f);
    fputs("\ncadence = {\n  # relative activity (mean 1) of own posts by local hour and weekday (Monday first),\n"
          "  # from the messages the Hawkes fit takes for immigrants; +/- clustered by day\n", f);
    vec(f, "daily", r->daily, r->daily_se, 24);
    vec(f, "weekly", r->weekly, r->weekly_se, 7);
    if (r->day_cv > 0) {
        fprintf(f, "  day_cv = ");
        num(f, r->day_cv > 10 ? 10 : r->day_cv, 0);
        fprintf(f, ";  # day-to-day variation of the level of active speakers beyond chance (moments)\n");
    }
    if (r->level_step > 0) {
        double ls = r->level_step * sqrt((days / 7.0 + 1) / 2);
        fprintf(f, "  level_sd = ");
        num(f, ls > 5 ? 5 : ls, 0);
        fprintf(f, ";  # the level's drift: %.3g a week (weekly speakers beyond daily noise), over %d days\n", r->level_step, days);
    }
    fputs("};\n\noperator = {\n  hours = [];  # the operator's posts are in the observed rates\n  types = [];\n};\n", f);
    fputs("\narms = (\n  { name = \"baseline\"; }\n);\n", f);
    return ferror(f) ? -1 : 0;
}
