/* measure.c -- a stored run's log streamed through the metrics. */
#include "measure.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cal.h"

static int parse_date(const char *s, int32_t off, int64_t *ts)
{
    cal c;
    char o[24];
    if (cal_init(&c, s, cal_offset_str(off, o, sizeof o)) != 0) return -1;
    *ts = c.start_ts;
    return 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int msr_run(sqlite3 *db, int64_t run_id, const msr_opts *o, met_t **out, msr_window *w, char *err, size_t errlen)
{
    *out = NULL;
    sqlite3_stmt *st = NULL;
    met_t *m = NULL;
    int rc = -1;
    int64_t start = 0, days = 0;
    int32_t off = 28800;
    int have_start = 0;
    /* the run's window */
    if (sqlite3_prepare_v2(db, "SELECT start_ts, utc_offset, days FROM runs WHERE run_id = ?", -1, &st, NULL) != SQLITE_OK) goto sqlerr;
    sqlite3_bind_int64(st, 1, run_id);
    if (sqlite3_step(st) != SQLITE_ROW) { snprintf(err, errlen, "no run %lld in the database", (long long)run_id); goto out; }
    if (sqlite3_column_type(st, 0) != SQLITE_NULL) { start = sqlite3_column_int64(st, 0); have_start = 1; }
    off = (int32_t)sqlite3_column_int(st, 1);
    if (sqlite3_column_type(st, 2) != SQLITE_NULL) days = sqlite3_column_int64(st, 2);
    sqlite3_finalize(st);
    st = NULL;
    if (!have_start || days <= 0) { /* an imported log: the local days its events span */
        if (sqlite3_prepare_v2(db, "SELECT MIN(ts), MAX(ts) FROM events WHERE run_id = ?", -1, &st, NULL) != SQLITE_OK) goto sqlerr;
        sqlite3_bind_int64(st, 1, run_id);
        if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL) {
            snprintf(err, errlen, "run %lld has no events and no window", (long long)run_id);
            goto out;
        }
        int64_t lo = sqlite3_column_int64(st, 0), hi = sqlite3_column_int64(st, 1);
        sqlite3_finalize(st);
        st = NULL;
        start = floor_div(lo + off, 86400) * 86400 - off;
        days = floor_div(hi - start, 86400) + 1;
    }
    int64_t end = start + days * 86400;
    if (o && o->from) {
        if (parse_date(o->from, off, &start) != 0) { snprintf(err, errlen, "--from: bad date \"%s\" (want YYYY-MM-DD)", o->from); goto out; }
    }
    if (o && o->to) {
        if (parse_date(o->to, off, &end) != 0) { snprintf(err, errlen, "--to: bad date \"%s\" (want YYYY-MM-DD)", o->to); goto out; }
        end += 86400;
    }
    if (end <= start) { snprintf(err, errlen, "empty window (--to before --from)"); goto out; }
    days = (end - start) / 86400;
    if (days > 36500) { snprintf(err, errlen, "window of %lld days is too long", (long long)days); goto out; }
    met_opts mo = {start, off, (int32_t)days, o ? o->count_bots : 0, 0};
    if (met_open(&m, &mo) != 0) { snprintf(err, errlen, "metrics: out of memory"); goto out; }
    int32_t g = o ? o->group : 0;

    /* memberships first (the metrics need joins before events) */
    /* one row per spell, each membership's spells in order (met_member wants them so) */
#define QM "SELECT p.group_id, m.role, p.source, p.member_id, p.inviter_id, p.joined_ts, p.left_ts, p.spell" \
           " FROM spells p JOIN members m ON m.run_id = p.run_id AND m.group_id = p.group_id" \
           " AND m.member_id = p.member_id WHERE p.run_id = ?1"
    const char *qm = g ? QM " AND p.group_id = ?2 ORDER BY p.group_id, p.member_id, p.spell"
                       : QM " ORDER BY p.group_id, p.member_id, p.spell";
#undef QM
    if (sqlite3_prepare_v2(db, qm, -1, &st, NULL) != SQLITE_OK) goto sqlerr;
    sqlite3_bind_int64(st, 1, run_id);
    if (g) sqlite3_bind_int(st, 2, g);
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        int role = ev_role_from_name((const char *)sqlite3_column_text(st, 1));
        int src = ev_source_from_name((const char *)sqlite3_column_text(st, 2));
        ev_member r = {sqlite3_column_int(st, 0), role < 0 ? ROLE_MEMBER : role, src < 0 ? SRC_SEED : src,
                       sqlite3_column_int64(st, 3),
                       sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 4),
                       sqlite3_column_int64(st, 5),
                       sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 6),
                       sqlite3_column_int(st, 7)};
        if (met_member(m, &r) != 0) { snprintf(err, errlen, "metrics: %s", met_errmsg(m)); goto out; }
    }
    if (s != SQLITE_DONE) goto sqlerr;
    sqlite3_finalize(st);
    st = NULL;

    /* events in time order (ties in insertion order, as written) */
    const char *qe = g ? "SELECT msg_id, ts, group_id, kind, member_id, ref_id, value FROM events WHERE run_id = ?1 AND group_id = ?2 AND ts >= ?3 AND ts < ?4 ORDER BY ts, rowid"
                       : "SELECT msg_id, ts, group_id, kind, member_id, ref_id, value FROM events WHERE run_id = ?1 AND ts >= ?3 AND ts < ?4 ORDER BY ts, rowid";
    if (sqlite3_prepare_v2(db, qe, -1, &st, NULL) != SQLITE_OK) goto sqlerr;
    sqlite3_bind_int64(st, 1, run_id);
    if (g) sqlite3_bind_int(st, 2, g);
    sqlite3_bind_int64(st, 3, start);
    sqlite3_bind_int64(st, 4, end);
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        int k = ev_kind_from_name((const char *)sqlite3_column_text(st, 3));
        if (k < 0) continue; /* a kind this version does not know: not counted */
        ev_rec e = {sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0),
                    sqlite3_column_int64(st, 1), sqlite3_column_int(st, 2), k,
                    sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 4),
                    sqlite3_column_type(st, 5) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 5),
                    sqlite3_column_type(st, 6) == SQLITE_NULL ? 0 : sqlite3_column_double(st, 6)};
        if (met_event(m, &e) != 0) { snprintf(err, errlen, "metrics: %s", met_errmsg(m)); goto out; }
    }
    if (s != SQLITE_DONE) goto sqlerr;
    if (met_finish(m) != 0) { snprintf(err, errlen, "metrics: %s", met_errmsg(m)); goto out; }
    if (w) { w->start_ts = start; w->utc_offset = off; w->ndays = (int32_t)days; }
    *out = m;
    m = NULL;
    rc = 0;
    goto out;
sqlerr:
    snprintf(err, errlen, "database: %s", sqlite3_errmsg(db));
out:
    sqlite3_finalize(st);
    met_close(m);
    return rc;
}
