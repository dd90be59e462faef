/* fit_log.c -- the log a calibration reads (fit.h, fit_log): the
 * memberships of one group with the absences between their spells, its
 * messages in time order and its questions with their first answers, filled
 * from a results database (fit_log_load) or while a simulation runs
 * (fit_log_sink).  Members and questions are found by id through an
 * open-addressing map: a log holds millions of messages and each looks up
 * its sender.  Apart from the estimators (fit_est.c) and the calibration
 * (fit.c): reading a log and fitting one change for different reasons. */
#include "fit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

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
