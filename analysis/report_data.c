/* report_data.c -- the report's reads: every query aggregates or streams in
 * SQL order, so memory holds one (arm, day) group of replications at a time,
 * or arms x metrics x replications summary values; never an event table.
 * Quantiles are GSL's (linear interpolation), as in summary.c.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "metrics.h"
#include "report_int.h"
#include "store.h"

#define MAX_REPS 10000000 /* a larger replication index is taken as a damaged database */

int rd_fail(rpt_ctx *c, const char *what)
{
    if (!c->failed) snprintf(c->err, c->errlen, "%s: %s: %s", c->o->db_path, what, c->db ? sqlite3_errmsg(c->db) : "no database");
    c->failed = 1;
    return -1;
}

static char *dup_col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? strdup((const char *)t) : NULL;
}

static sqlite3_stmt *prep(rpt_ctx *c, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        rd_fail(c, "query");
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

/* First column of the first row as int64 (*found = 0 if no row or NULL). */
static int one_int(rpt_ctx *c, const char *sql, int64_t p, int64_t *out, int *found)
{
    sqlite3_stmt *st = prep(c, sql);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, p);
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
    if (*found) *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return rd_fail(c, "query");
    return 0;
}

char *rd_text1(rpt_ctx *c, const char *sql, int64_t p)
{
    sqlite3_stmt *st = prep(c, sql);
    char *s = NULL;
    if (!st) return NULL;
    sqlite3_bind_int64(st, 1, p);
    if (sqlite3_step(st) == SQLITE_ROW) s = dup_col(st, 0);
    sqlite3_finalize(st);
    return s;
}

int rd_open(rpt_ctx *c)
{
    if (sqlite3_open_v2(c->o->db_path, &c->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(c->err, c->errlen, "cannot open %s: %s", c->o->db_path, c->db ? sqlite3_errmsg(c->db) : "out of memory");
        return -1;
    }
    sqlite3_busy_timeout(c->db, 5000); /* a batch may be writing next door */
    int64_t v = 0;
    int found;
    if (one_int(c, "PRAGMA user_version", 0, &v, &found) != 0) return -1;
    if (v != STORE_SCHEMA_VERSION) {
        snprintf(c->err, c->errlen, "%s: not a qunsim results database of schema version %d (user_version %lld)",
                 c->o->db_path, STORE_SCHEMA_VERSION, (long long)v);
        return -1;
    }
    return 0;
}

int rd_batch(rpt_ctx *c)
{
    int found = 0;
    int64_t b = c->o->batch_id;
    if (b > 0) {
        if (one_int(c, "SELECT batch_id FROM batches WHERE batch_id = ?1 UNION SELECT batch_id FROM runs WHERE batch_id = ?1", b, &b, &found) != 0) return -1;
        if (!found) { snprintf(c->err, c->errlen, "%s: no batch %lld", c->o->db_path, (long long)c->o->batch_id); return -1; }
    } else {
        if (one_int(c, "SELECT MAX(batch_id) FROM runs WHERE source = 'sim'", 0, &b, &found) != 0) return -1;
        if (!found && one_int(c, "SELECT MAX(batch_id) FROM batches", 0, &b, &found) != 0) return -1;
        if (!found) { snprintf(c->err, c->errlen, "%s: the database holds no batch", c->o->db_path); return -1; }
    }
    c->batch = b;
    sqlite3_stmt *st = prep(c, "SELECT kind, scenario, scenario_path, scenario_text, seed, reps, days, command, version, created_at"
                               " FROM batches WHERE batch_id = ?1");
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, b);
    if (sqlite3_step(st) == SQLITE_ROW) {
        c->kind = dup_col(st, 0);
        c->scenario = dup_col(st, 1);
        c->scenario_path = dup_col(st, 2);
        c->scenario_text = dup_col(st, 3);
        c->has_seed = sqlite3_column_type(st, 4) != SQLITE_NULL;
        c->seed = sqlite3_column_int64(st, 4);
        c->reps_manifest = sqlite3_column_int64(st, 5);
        c->days_manifest = sqlite3_column_int64(st, 6);
        c->command = dup_col(st, 7);
        c->version = dup_col(st, 8);
        c->created_at = dup_col(st, 9);
    }
    sqlite3_finalize(st);
    if (!c->scenario) c->scenario = rd_text1(c, "SELECT scenario FROM runs WHERE batch_id = ?1 ORDER BY run_id LIMIT 1", b);

    return 0;
}

static int arm_index(const rpt_ctx *c, const char *name)
{
    for (int i = 0; i < c->narms; i++)
        if (strcmp(c->arm[i], name) == 0) return i;
    return -1;
}

int rd_arms(rpt_ctx *c)
{
    int64_t v;
    int found;
    if (one_int(c, "SELECT COUNT(DISTINCT point) FROM runs WHERE batch_id = ?1 AND source = 'sim'", c->batch, &v, &found) != 0) return -1;
    c->npoints = found ? (int)v : 0;
    if (c->o->point >= 0) {
        c->point = c->o->point;
        if (c->npoints > 0) {
            sqlite3_stmt *st = prep(c, "SELECT 1 FROM runs WHERE batch_id = ?1 AND point = ?2 AND source = 'sim' LIMIT 1");
            if (!st) return -1;
            sqlite3_bind_int64(st, 1, c->batch);
            sqlite3_bind_int(st, 2, c->point);
            int rc = sqlite3_step(st);
            sqlite3_finalize(st);
            if (rc != SQLITE_ROW) { snprintf(c->err, c->errlen, "%s: batch %lld has no point %d", c->o->db_path, (long long)c->batch, c->point); return -1; }
        }
    } else {
        if (one_int(c, "SELECT MIN(point) FROM runs WHERE batch_id = ?1 AND source = 'sim'", c->batch, &v, &found) != 0) return -1;
        c->point = found ? (int)v : 0;
    }
    sqlite3_stmt *st = prep(c, "SELECT IFNULL(arm, ''), MIN(run_id), MAX(rep) FROM runs WHERE batch_id = ?1 AND point = ?2"
                               " AND source = 'sim' GROUP BY 1 ORDER BY 2");
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, c->batch);
    sqlite3_bind_int(st, 2, c->point);
    int rc, cap = 0;
    c->reps = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (c->narms == cap) {
            cap = cap ? 2 * cap : 8;
            char **a = realloc(c->arm, sizeof *a * (size_t)cap);
            if (!a) { sqlite3_finalize(st); snprintf(c->err, c->errlen, "out of memory"); return -1; }
            c->arm = a;
        }
        if (!(c->arm[c->narms] = dup_col(st, 0))) { sqlite3_finalize(st); snprintf(c->err, c->errlen, "out of memory"); return -1; }
        c->narms++;
        int64_t r = sqlite3_column_int64(st, 2);
        if (r >= MAX_REPS) { sqlite3_finalize(st); snprintf(c->err, c->errlen, "%s: replication index %lld out of range", c->o->db_path, (long long)r); return -1; }
        if (r + 1 > c->reps) c->reps = (int)r + 1;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return rd_fail(c, "runs");
    c->ref = arm_index(c, "baseline");
    if (c->ref < 0) c->ref = 0;
    return 0;
}

int rd_live(rpt_ctx *c)
{
    int found = 0;
    int64_t live = c->o->live_run;
    if (live > 0) {
        if (one_int(c, "SELECT run_id FROM runs WHERE run_id = ?1", live, &live, &found) != 0) return -1;
        if (!found) { snprintf(c->err, c->errlen, "%s: no run %lld (--live)", c->o->db_path, (long long)c->o->live_run); return -1; }
    } else {
        if (one_int(c, "SELECT MAX(run_id) FROM runs WHERE batch_id = ?1 AND source != 'sim'", c->batch, &live, &found) != 0) return -1;
        if (!found && c->narms > 0) {
            /* no log in the batch: the log with the most observed days in the
             * history window before the forecast (ties: the latest) */
            sqlite3_stmt *st = prep(c, "SELECT MIN(d.day), MAX(d.day) FROM daily d JOIN runs r ON r.run_id = d.run_id"
                                       " WHERE r.batch_id = ?1 AND r.point = ?2 AND r.source = 'sim' AND d.group_id = 0");
            if (!st) return -1;
            sqlite3_bind_int64(st, 1, c->batch);
            sqlite3_bind_int(st, 2, c->point);
            char lo[32] = "", hi[32] = "", back[32];
            if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) && sqlite3_column_text(st, 1)) {
                snprintf(lo, sizeof lo, "%s", (const char *)sqlite3_column_text(st, 0));
                snprintf(hi, sizeof hi, "%s", (const char *)sqlite3_column_text(st, 1));
            }
            sqlite3_finalize(st);
            double xs = rd_date_x(lo), xe = rd_date_x(hi);
            if (isfinite(xs) && isfinite(xe)) {
                snprintf(back, sizeof back, "-%d days", rd_history_days((int)((xe - xs) / 86400.0) + 1));
                if (!(st = prep(c, "SELECT r.run_id FROM runs r JOIN daily d ON d.run_id = r.run_id WHERE r.source != 'sim'"
                                   " AND d.group_id = ?1 AND d.day BETWEEN date(?2, ?3) AND ?4"
                                   " GROUP BY r.run_id ORDER BY COUNT(DISTINCT d.day) DESC, r.run_id DESC LIMIT 1")))
                    return -1;
                sqlite3_bind_int(st, 1, c->o->live_group);
                sqlite3_bind_text(st, 2, lo, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 3, back, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 4, hi, -1, SQLITE_STATIC);
                int rc = sqlite3_step(st);
                if (rc == SQLITE_ROW) { live = sqlite3_column_int64(st, 0); found = 1; }
                sqlite3_finalize(st);
                if (rc != SQLITE_ROW && rc != SQLITE_DONE) return rd_fail(c, "daily (observed)");
            }
        }
        if (!found) live = 0;
    }
    c->live_run = live;
    if (live > 0) {
        sqlite3_stmt *q = prep(c, "SELECT g.name, r.scenario, r.source FROM runs r LEFT JOIN groups g"
                                  " ON g.run_id = r.run_id AND g.group_id = ?2 WHERE r.run_id = ?1");
        if (!q) return -1;
        sqlite3_bind_int64(q, 1, live);
        sqlite3_bind_int(q, 2, c->o->live_group);
        if (sqlite3_step(q) == SQLITE_ROW) {
            int col = sqlite3_column_type(q, 0) != SQLITE_NULL ? 0 : sqlite3_column_type(q, 1) != SQLITE_NULL ? 1 : 2;
            c->live_label = dup_col(q, col);
        }
        sqlite3_finalize(q);
    }
    return 0;
}

int rd_history_days(int horizon) { return horizon * 2 > 28 ? horizon * 2 : 28; }

static int cat_rank(const char *m)
{
    const char *n;
    for (int i = 0; (n = met_summary_name(i)); i++)
        if (strcmp(n, m) == 0) return i;
    return 1 << 20;
}

static int cmp_metric(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    int rx = cat_rank(x), ry = cat_rank(y);
    return rx != ry ? (rx < ry ? -1 : 1) : strcmp(x, y);
}

static int met_index(const rpt_ctx *c, const char *m)
{
    for (int i = 0; i < c->nmet; i++)
        if (strcmp(c->met[i], m) == 0) return i;
    return -1;
}

int rd_summary(rpt_ctx *c)
{
    if (c->narms == 0) return 0;
    sqlite3_stmt *st = prep(c, "SELECT DISTINCT s.metric FROM summary s JOIN runs r ON r.run_id = s.run_id"
                               " WHERE r.batch_id = ?1 AND r.point = ?2 AND r.source = 'sim' AND s.group_id = 0");
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, c->batch);
    sqlite3_bind_int(st, 2, c->point);
    int rc, cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (c->nmet == cap) {
            cap = cap ? 2 * cap : 32;
            char **m = realloc(c->met, sizeof *m * (size_t)cap);
            if (!m) { sqlite3_finalize(st); snprintf(c->err, c->errlen, "out of memory"); return -1; }
            c->met = m;
        }
        if (!(c->met[c->nmet] = dup_col(st, 0))) { sqlite3_finalize(st); snprintf(c->err, c->errlen, "out of memory"); return -1; }
        c->nmet++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return rd_fail(c, "summary");
    if (c->nmet == 0) return 0;
    qsort(c->met, (size_t)c->nmet, sizeof *c->met, cmp_metric);
    if (sum_open(&c->sum, c->narms, c->nmet, c->reps) != 0) { snprintf(c->err, c->errlen, "out of memory"); return -1; }
    st = prep(c, "SELECT IFNULL(r.arm, ''), r.rep, s.metric, s.value FROM summary s JOIN runs r ON r.run_id = s.run_id"
                 " WHERE r.batch_id = ?1 AND r.point = ?2 AND r.source = 'sim' AND s.group_id = 0 AND s.value IS NOT NULL");
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, c->batch);
    sqlite3_bind_int(st, 2, c->point);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int a = arm_index(c, (const char *)sqlite3_column_text(st, 0));
        int64_t r = sqlite3_column_int64(st, 1);
        int m = met_index(c, (const char *)sqlite3_column_text(st, 2));
        if (a >= 0 && m >= 0 && r >= 0 && r < c->reps) sum_set(c->sum, a, m, (int)r, sqlite3_column_double(st, 3));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : rd_fail(c, "summary");
}

double rd_quantile(const double *sorted, int n, double p)
{
    return n > 0 ? gsl_stats_quantile_from_sorted_data(sorted, 1, (size_t)n, p) : NAN;
}

int rd_band_push(rpt_band *b, double x, const double *sorted, int n)
{
    if (b->n == b->cap) {
        int cap = b->cap ? 2 * b->cap : 64;
        double **arr[] = {&b->x, &b->med, &b->lo50, &b->hi50, &b->lo90, &b->hi90, &b->mean};
        for (int k = 0; k < 7; k++) {
            double *p = realloc(*arr[k], sizeof(double) * (size_t)cap);
            if (!p) return -1;
            *arr[k] = p;
        }
        b->cap = cap;
    }
    int i = b->n++;
    b->x[i] = x;
    b->med[i] = rd_quantile(sorted, n, 0.5);
    b->lo50[i] = rd_quantile(sorted, n, 0.25);
    b->hi50[i] = rd_quantile(sorted, n, 0.75);
    b->lo90[i] = rd_quantile(sorted, n, 0.05);
    b->hi90[i] = rd_quantile(sorted, n, 0.95);
    b->mean[i] = n > 0 ? gsl_stats_mean(sorted, 1, (size_t)n) : NAN;
    return 0;
}

void rd_band_free(rpt_band *b)
{
    if (!b) return;
    free(b->x);
    free(b->med);
    free(b->lo50);
    free(b->hi50);
    free(b->lo90);
    free(b->hi90);
    free(b->mean);
    memset(b, 0, sizeof *b);
}

/* Days from civil (Howard Hinnant's algorithm), exact for the Gregorian calendar. */
double rd_date_x(const char *day)
{
    int y, m, d;
    char tail;
    if (!day || sscanf(day, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 || d > 31) return NAN;
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (double)(era * 146097 + doe - 719468) * 86400.0;
}

/* A growing buffer of one (arm, day) group's values. */
typedef struct vbuf {
    double *v;
    int n, cap;
} vbuf;

static int vbuf_add(vbuf *b, double x)
{
    if (b->n == b->cap) {
        int cap = b->cap ? 2 * b->cap : 64;
        double *p = realloc(b->v, sizeof *p * (size_t)cap);
        if (!p) return -1;
        b->v = p;
        b->cap = cap;
    }
    b->v[b->n++] = x;
    return 0;
}

int rd_daily(rpt_ctx *c, const char *metric, rpt_band *bands)
{
    sqlite3_stmt *st = prep(c, "SELECT IFNULL(r.arm, ''), d.day, d.value FROM daily d JOIN runs r ON r.run_id = d.run_id"
                               " WHERE r.batch_id = ?1 AND r.point = ?2 AND r.source = 'sim' AND d.group_id = 0"
                               " AND d.metric = ?3 AND d.value IS NOT NULL ORDER BY 1, 2, 3");
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, c->batch);
    sqlite3_bind_int(st, 2, c->point);
    sqlite3_bind_text(st, 3, metric, -1, SQLITE_STATIC);
    vbuf vb = {0};
    int rc, cur = -1, have = 0, oom = 0;
    char day[32] = "";
    /* ORDER BY value: each group arrives sorted, ready for the quantiles */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int a = arm_index(c, (const char *)sqlite3_column_text(st, 0));
        const char *d = (const char *)sqlite3_column_text(st, 1);
        if (a < 0 || !d) continue;
        if (a != cur || strncmp(d, day, sizeof day) != 0) {
            if (cur >= 0 && vb.n > 0 && isfinite(rd_date_x(day)) && rd_band_push(&bands[cur], rd_date_x(day), vb.v, vb.n) != 0) { oom = 1; break; }
            cur = a;
            snprintf(day, sizeof day, "%s", d);
            vb.n = 0;
        }
        if (vbuf_add(&vb, sqlite3_column_double(st, 2)) != 0) { oom = 1; break; }
    }
    if (!oom && cur >= 0 && vb.n > 0 && isfinite(rd_date_x(day)) && rd_band_push(&bands[cur], rd_date_x(day), vb.v, vb.n) != 0) oom = 1;
    sqlite3_finalize(st);
    free(vb.v);
    if (oom) { snprintf(c->err, c->errlen, "out of memory"); return -1; }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return rd_fail(c, "daily");
    for (int a = 0; a < c->narms; a++) have += bands[a].n > 0;
    return have;
}

int rd_live_daily(rpt_ctx *c, const char *metric, rpt_band *out)
{
    sqlite3_stmt *st = prep(c, "SELECT day, value FROM daily WHERE run_id = ?1 AND group_id = ?2 AND metric = ?3"
                               " AND value IS NOT NULL ORDER BY day");
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, c->live_run);
    sqlite3_bind_int(st, 2, c->o->live_group);
    sqlite3_bind_text(st, 3, metric, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        double x = rd_date_x((const char *)sqlite3_column_text(st, 0)), v = sqlite3_column_double(st, 1);
        if (isfinite(x) && rd_band_push(out, x, &v, 1) != 0) { sqlite3_finalize(st); snprintf(c->err, c->errlen, "out of memory"); return -1; }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? out->n : rd_fail(c, "daily (observed)");
}

int rd_live_summary(rpt_ctx *c, char ***names, double **vals)
{
    *names = NULL;
    *vals = NULL;
    sqlite3_stmt *st = prep(c, "SELECT metric, value FROM summary WHERE run_id = ?1 AND group_id = ?2 ORDER BY metric");
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, c->live_run);
    sqlite3_bind_int(st, 2, c->o->live_group);
    int rc, n = 0, cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            char **a = realloc(*names, sizeof *a * (size_t)cap);
            if (a) *names = a;
            double *v = realloc(*vals, sizeof *v * (size_t)cap);
            if (v) *vals = v;
            if (!a || !v) break;
        }
        (*names)[n] = dup_col(st, 0);
        (*vals)[n] = sqlite3_column_type(st, 1) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 1);
        if ((*names)[n]) n++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        for (int i = 0; i < n; i++) free((*names)[i]);
        free(*names);
        free(*vals);
        *names = NULL;
        *vals = NULL;
        return rc == SQLITE_ROW ? (snprintf(c->err, c->errlen, "out of memory"), -1) : rd_fail(c, "summary (observed)");
    }
    return n;
}

/* Per run, campaign (ref_id) and member: which funnel events they have; per
 * run and campaign: the counts of the nested stages.  exposed = a campaign
 * exposure (value 0: the operator's link posts also emit exposures, with the
 * content type as value and a post as ref_id) or taking part; took part = a
 * participate event; completed, shared = participants with a complete /
 * share event for the same campaign (as completion/share_rate in
 * METRICS.md).  So each stage is a subset of "took part", which is a subset
 * of "exposed".  SQLite's grouping holds one row per (run, campaign,
 * member), never the events. */
static const char funnel_sql[] =
    "SELECT IFNULL(r.arm, ''), r.rep, m.camp, SUM(m.x), SUM(m.p), SUM(m.p AND m.c), SUM(m.p AND m.s)"
    " FROM (SELECT e.run_id AS run_id, e.ref_id AS camp, MAX(e.kind IN ('exposure', 'participate')) AS x,"
    "   MAX(e.kind = 'participate') AS p, MAX(e.kind = 'complete') AS c, MAX(e.kind = 'share') AS s FROM events e"
    "   WHERE e.run_id IN (SELECT run_id FROM runs WHERE batch_id = ?1 AND point = ?2 AND source = 'sim')"
    "   AND e.member_id IS NOT NULL AND e.ref_id IS NOT NULL"
    "   AND ((e.kind = 'exposure' AND e.value = 0) OR e.kind IN ('participate', 'complete', 'share'))"
    "   GROUP BY e.run_id, e.ref_id, e.member_id) m JOIN runs r ON r.run_id = m.run_id GROUP BY m.run_id, m.camp"
    " ORDER BY m.camp";

static rd_funnel_t *funnel_get(rpt_ctx *c, rd_funnel_t **fs, int *n, int id)
{
    for (int k = 0; k < *n; k++)
        if ((*fs)[k].id == id) return &(*fs)[k];
    rd_funnel_t *more = realloc(*fs, sizeof **fs * (size_t)(*n + 1));
    if (!more) return NULL;
    *fs = more;
    rd_funnel_t *f = &more[(*n)++];
    memset(f, 0, sizeof *f);
    f->id = id;
    /* the model names its campaigns (the report knows no model) */
    const char *nm = c->o->campaign_label ? c->o->campaign_label(id) : NULL;
    if (nm) snprintf(f->name, sizeof f->name, "%s", nm);
    else snprintf(f->name, sizeof f->name, "campaign %d", id);
    if (sum_open(&f->f, c->narms, RD_FUNNEL_STAGES, c->reps) != 0) { (*n)--; return NULL; }
    /* zero for every run of an arm that has the campaign at all (filled below) */
    return f;
}

void rd_funnels_free(rd_funnel_t *fs, int n)
{
    for (int k = 0; k < n; k++) sum_close(fs[k].f);
    free(fs);
}

int rd_funnel(rpt_ctx *c, rd_funnel_t **out, int *nout)
{
    *out = NULL;
    *nout = 0;
    if (c->narms == 0 || c->reps == 0) return 0;
    rd_funnel_t *fs = NULL;
    int n = 0, rows = 0, rc;
    /* runs stored per (arm, rep): a run without a campaign's events had nobody in it */
    uint8_t *ran = calloc((size_t)c->narms * (size_t)c->reps, 1);
    if (!ran) { snprintf(c->err, c->errlen, "out of memory"); return -1; }
    sqlite3_stmt *st = prep(c, "SELECT IFNULL(arm, ''), rep FROM runs WHERE batch_id = ?1 AND point = ?2 AND source = 'sim'");
    if (!st) goto fail;
    sqlite3_bind_int64(st, 1, c->batch);
    sqlite3_bind_int(st, 2, c->point);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int a = arm_index(c, (const char *)sqlite3_column_text(st, 0));
        int64_t r = sqlite3_column_int64(st, 1);
        if (a >= 0 && r >= 0 && r < c->reps) ran[(size_t)a * (size_t)c->reps + (size_t)r] = 1;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) { rd_fail(c, "runs"); goto fail; }
    if (!(st = prep(c, funnel_sql))) goto fail;
    sqlite3_bind_int64(st, 1, c->batch);
    sqlite3_bind_int(st, 2, c->point);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int a = arm_index(c, (const char *)sqlite3_column_text(st, 0));
        int64_t r = sqlite3_column_int64(st, 1);
        rows++;
        if (a < 0 || r < 0 || r >= c->reps) continue;
        int64_t id = sqlite3_column_int64(st, 2);
        if (id < 0 || id > INT32_MAX) continue; /* no campaign (e.g. -1) */
        rd_funnel_t *f = funnel_get(c, &fs, &n, (int)id);
        if (!f) { sqlite3_finalize(st); snprintf(c->err, c->errlen, "out of memory"); goto fail; }
        for (int s = 0; s < RD_FUNNEL_STAGES; s++) sum_set(f->f, a, s, (int)r, sqlite3_column_double(st, 3 + s));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) { rd_fail(c, "events"); goto fail; }
    /* an arm that runs a campaign: its runs without anyone in it count as 0 */
    for (int k = 0; k < n; k++)
        for (int a = 0; a < c->narms; a++) {
            int has = 0;
            for (int r = 0; r < c->reps; r++) has |= !isnan(sum_get(fs[k].f, a, 0, r));
            if (has)
                for (int r = 0; r < c->reps; r++)
                    if (ran[(size_t)a * (size_t)c->reps + (size_t)r] && isnan(sum_get(fs[k].f, a, 0, r)))
                        for (int s = 0; s < RD_FUNNEL_STAGES; s++) sum_set(fs[k].f, a, s, r, 0);
        }
    if (rows == 0 && c->sum) {
        /* no event log stored: the catalogue's summary metrics give the stages, all campaigns pooled */
        int mx = met_index(c, "exposed"), mp = met_index(c, "participants");
        int mc = met_index(c, "completion"), ms = met_index(c, "share_rate");
        if (mx < 0 && mp < 0) goto none;
        rd_funnel_t *f = funnel_get(c, &fs, &n, -1);
        if (!f) { snprintf(c->err, c->errlen, "out of memory"); goto fail; }
        snprintf(f->name, sizeof f->name, "all campaigns (no event log stored: summary metrics, pooled)");
        int any = 0;
        for (int a = 0; a < c->narms; a++)
            for (int r = 0; r < c->reps; r++) {
                double x = mx >= 0 ? sum_get(c->sum, a, mx, r) : NAN, p = mp >= 0 ? sum_get(c->sum, a, mp, r) : NAN;
                double cr = mc >= 0 ? sum_get(c->sum, a, mc, r) : NAN, sr = ms >= 0 ? sum_get(c->sum, a, ms, r) : NAN;
                if (isnan(x) && isnan(p)) continue;
                double v[RD_FUNNEL_STAGES] = {x, p, p > 0 ? cr * p : p == 0 ? 0 : NAN, p > 0 ? sr * p : p == 0 ? 0 : NAN};
                for (int s = 0; s < RD_FUNNEL_STAGES; s++) {
                    sum_set(f->f, a, s, r, v[s]);
                    any |= v[s] > 0;
                }
            }
        if (!any) { rd_funnels_free(fs, n); fs = NULL; n = 0; }
    }
none:
    free(ran);
    *out = fs;
    *nout = n;
    return n > 0;
fail:
    free(ran);
    rd_funnels_free(fs, n);
    return -1;
}

int rd_points(rpt_ctx *c, int **points, char ***settings)
{
    *points = NULL;
    *settings = NULL;
    sqlite3_stmt *st = prep(c, "SELECT DISTINCT r.point, p.settings FROM runs r LEFT JOIN points p ON p.batch_id = r.batch_id"
                               " AND p.point = r.point WHERE r.batch_id = ?1 AND r.source = 'sim' ORDER BY r.point");
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, c->batch);
    int rc, n = 0, cap = 0, oom = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            int *p = realloc(*points, sizeof *p * (size_t)cap);
            if (p) *points = p;
            char **s = realloc(*settings, sizeof *s * (size_t)cap);
            if (s) *settings = s;
            if (!p || !s) { oom = 1; break; }
        }
        (*points)[n] = sqlite3_column_int(st, 0);
        (*settings)[n] = dup_col(st, 1);
        n++;
    }
    sqlite3_finalize(st);
    if (oom || (rc != SQLITE_DONE)) {
        for (int i = 0; i < n; i++) free((*settings)[i]);
        free(*points);
        free(*settings);
        *points = NULL;
        *settings = NULL;
        if (oom) { snprintf(c->err, c->errlen, "out of memory"); return -1; }
        return rd_fail(c, "points");
    }
    return n;
}

static int find_point(const int *pt, int npt, int p)
{
    int lo = 0, hi = npt - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (pt[mid] == p) return mid;
        if (pt[mid] < p) lo = mid + 1;
        else hi = mid - 1;
    }
    return -1;
}

int rd_sweep_metric(rpt_ctx *c, const char *metric, const int *pt, int npt, double *v)
{
    size_t n = (size_t)c->narms * (size_t)npt * (size_t)c->reps;
    for (size_t i = 0; i < n; i++) v[i] = NAN;
    sqlite3_stmt *st = prep(c, "SELECT IFNULL(r.arm, ''), r.point, r.rep, s.value FROM summary s JOIN runs r ON r.run_id = s.run_id"
                               " WHERE r.batch_id = ?1 AND r.source = 'sim' AND s.group_id = 0 AND s.metric = ?2 AND s.value IS NOT NULL");
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, c->batch);
    sqlite3_bind_text(st, 2, metric, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int a = arm_index(c, (const char *)sqlite3_column_text(st, 0));
        int pi = find_point(pt, npt, sqlite3_column_int(st, 1));
        int64_t r = sqlite3_column_int64(st, 2);
        if (a < 0 || pi < 0 || r < 0 || r >= c->reps) continue;
        v[((size_t)a * (size_t)npt + (size_t)pi) * (size_t)c->reps + (size_t)r] = sqlite3_column_double(st, 3);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : rd_fail(c, "summary (sweep)");
}

char *rd_arm_settings(rpt_ctx *c, int arm)
{
    sqlite3_stmt *st = prep(c, "SELECT settings FROM runs WHERE batch_id = ?1 AND point = ?2 AND source = 'sim'"
                               " AND IFNULL(arm, '') = ?3 ORDER BY run_id LIMIT 1");
    char *s = NULL;
    if (!st) return NULL;
    sqlite3_bind_int64(st, 1, c->batch);
    sqlite3_bind_int(st, 2, c->point);
    sqlite3_bind_text(st, 3, c->arm[arm], -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) s = dup_col(st, 0);
    sqlite3_finalize(st);
    return s;
}
