/* batchdb.c -- plans, resume look-ups, values read back, and merging of
 * shard databases, in plain SQL on the store's connection.  The store
 * writes runs; this module writes the batch-level rows (through the store
 * where it has a call: batches, points) and copies runs between files.
 */
#include "batchdb.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

/* ---- errors and small helpers ---------------------------------------- */

static int db_err(sqlite3 *db, int rc, const char *what, char *err, size_t errlen)
{
    const char *file = db ? sqlite3_db_filename(db, "main") : NULL;
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        snprintf(err, errlen, "%s: %s: database is locked by another connection", file ? file : "?", what);
        break;
    case SQLITE_FULL:
        snprintf(err, errlen, "%s: %s: disk full or database size limit reached (%s)", file ? file : "?",
                 what, msg);
        break;
    default:
        snprintf(err, errlen, "%s: %s: %s", file ? file : "?", what, msg);
    }
    return -1;
}

static int prep(sqlite3 *db, const char *sql, sqlite3_stmt **s, const char *what, char *err, size_t errlen)
{
    int rc = sqlite3_prepare_v2(db, sql, -1, s, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(*s);
        *s = NULL;
        return db_err(db, rc, what, err, errlen);
    }
    return 0;
}

static void rollback(sqlite3 *db)
{
    if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

static int exec(sqlite3 *db, const char *sql, const char *what, char *err, size_t errlen)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : db_err(db, rc, what, err, errlen);
}

/* One int64 from a query with up to two int64 parameters.  0 or -1. */
static int q_i64(sqlite3 *db, const char *sql, int np, int64_t a, int64_t b, int64_t *out, char *err,
                 size_t errlen)
{
    sqlite3_stmt *s;
    if (prep(db, sql, &s, "query", err, errlen)) return -1;
    if (np > 0) sqlite3_bind_int64(s, 1, a);
    if (np > 1) sqlite3_bind_int64(s, 2, b);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        db_err(db, rc == SQLITE_DONE ? SQLITE_ERROR : rc, "query", err, errlen);
        sqlite3_finalize(s);
        return -1;
    }
    *out = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return 0;
}

/* The first run id above every id in use or reserved by a plan. */
static int next_base(sqlite3 *db, int64_t *base, char *err, size_t errlen)
{
    return q_i64(db,
                 "SELECT max(coalesce((SELECT max(run_id) FROM runs), 0),"
                 " coalesce((SELECT max(run_base + ntasks) FROM plans), 0))",
                 0, 0, 0, base, err, errlen);
}

static char *dup_text(const unsigned char *s)
{
    if (!s) s = (const unsigned char *)"";
    size_t n = strlen((const char *)s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* ---- create / find ---------------------------------------------------- */

int bdb_create(store_t *st, const store_batch *manifest, int npoints, bdb_point_fn point_text,
               void *ctx, int64_t ntasks, const char *key, bdb_plan *out, char *err, size_t errlen)
{
    sqlite3 *db = store_db(st);
    sqlite3_stmt *s = NULL;
    int64_t batch_id, base;
    if (exec(db, "BEGIN IMMEDIATE", "create batch", err, errlen)) return -1;
    if (next_base(db, &base, err, errlen)) goto fail;
    /* store_batch_add and store_point_add run inside this transaction */
    if (store_batch_add(st, manifest, &batch_id)) goto store_fail;
    for (int i = 0; i < npoints; i++) {
        char *t = point_text(ctx, i);
        if (!t) {
            snprintf(err, errlen, "create batch: out of memory");
            goto fail;
        }
        int rc = store_point_add(st, batch_id, i, t);
        free(t);
        if (rc) goto store_fail;
    }
    if (prep(db, "INSERT INTO plans(batch_id, run_base, ntasks, key) VALUES (?1, ?2, ?3, ?4)", &s,
             "create plan", err, errlen))
        goto fail;
    sqlite3_bind_int64(s, 1, batch_id);
    sqlite3_bind_int64(s, 2, base);
    sqlite3_bind_int64(s, 3, ntasks);
    sqlite3_bind_text(s, 4, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        db_err(db, rc, "create plan", err, errlen);
        goto fail;
    }
    if ((rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK) {
        db_err(db, rc, "create batch", err, errlen);
        goto fail;
    }
    out->batch_id = batch_id;
    out->run_base = base;
    out->ntasks = ntasks;
    return 0;
store_fail:
    snprintf(err, errlen, "%s", store_errmsg(st));
fail:
    rollback(db);
    return -1;
}

int bdb_find(store_t *st, const char *scenario_text, const char *key, bdb_plan *out, char *err,
             size_t errlen)
{
    sqlite3 *db = store_db(st);
    sqlite3_stmt *s;
    if (prep(db,
             "SELECT p.batch_id, p.run_base, p.ntasks FROM plans p JOIN batches b USING (batch_id)"
             " WHERE p.key = ?1 AND b.scenario_text IS ?2 ORDER BY p.batch_id DESC LIMIT 1",
             &s, "find batch", err, errlen))
        return -1;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, scenario_text, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s), found = 0;
    if (rc == SQLITE_ROW) {
        out->batch_id = sqlite3_column_int64(s, 0);
        out->run_base = sqlite3_column_int64(s, 1);
        out->ntasks = sqlite3_column_int64(s, 2);
        found = 1;
    } else if (rc != SQLITE_DONE)
        found = db_err(db, rc, "find batch", err, errlen);
    sqlite3_finalize(s);
    return found;
}

int bdb_get(store_t *st, int64_t batch_id, bdb_plan *out, char **key, char **text, char *err,
            size_t errlen)
{
    sqlite3 *db = store_db(st);
    sqlite3_stmt *s;
    if (key) *key = NULL;
    if (text) *text = NULL;
    if (prep(db,
             "SELECT p.run_base, p.ntasks, p.key, b.scenario_text FROM plans p JOIN batches b USING (batch_id)"
             " WHERE p.batch_id = ?1",
             &s, "read batch", err, errlen))
        return -1;
    sqlite3_bind_int64(s, 1, batch_id);
    int rc = sqlite3_step(s), found = 0;
    if (rc == SQLITE_ROW) {
        out->batch_id = batch_id;
        out->run_base = sqlite3_column_int64(s, 0);
        out->ntasks = sqlite3_column_int64(s, 1);
        found = 1;
        if ((key && !(*key = dup_text(sqlite3_column_text(s, 2)))) ||
            (text && !(*text = dup_text(sqlite3_column_text(s, 3))))) {
            snprintf(err, errlen, "read batch: out of memory");
            found = -1;
        }
    } else if (rc != SQLITE_DONE)
        found = db_err(db, rc, "read batch", err, errlen);
    sqlite3_finalize(s);
    if (found < 0 && key) { free(*key); *key = NULL; }
    if (found < 0 && text) { free(*text); *text = NULL; }
    return found;
}

int bdb_done(store_t *st, const bdb_plan *p, uint8_t *done, int64_t *ndone, char *err, size_t errlen)
{
    sqlite3 *db = store_db(st);
    sqlite3_stmt *s;
    *ndone = 0;
    if (prep(db, "SELECT run_id FROM runs WHERE batch_id = ?1", &s, "read done tasks", err, errlen)) return -1;
    sqlite3_bind_int64(s, 1, p->batch_id);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t t = sqlite3_column_int64(s, 0) - p->run_base - 1;
        if (t < 0 || t >= p->ntasks) {
            snprintf(err, errlen, "batch %lld: run %lld lies outside the batch's run ids %lld..%lld",
                     (long long)p->batch_id, (long long)sqlite3_column_int64(s, 0),
                     (long long)p->run_base + 1, (long long)(p->run_base + p->ntasks));
            sqlite3_finalize(s);
            return -1;
        }
        if (!(done[t / 8] & (1u << (t % 8)))) (*ndone)++;
        done[t / 8] |= (uint8_t)(1u << (t % 8));
    }
    if (rc != SQLITE_DONE) db_err(db, rc, "read done tasks", err, errlen);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Rows (run_id, day, value) of a query over the batch's runs, for each name
 * (?2) in turn, to cb(task, index, value): index is the name's position, or
 * the day column when by_day.  0 or -1. */
static int read_values(sqlite3 *db, const bdb_plan *p, const char *sql, const char *const *names, int nn,
                       int by_day, bdb_value_fn cb, void *ctx, char *err, size_t errlen)
{
    sqlite3_stmt *s;
    if (prep(db, sql, &s, "read values", err, errlen)) return -1;
    sqlite3_bind_int64(s, 1, p->batch_id);
    int rc = SQLITE_DONE;
    for (int m = 0; m < nn; m++) {
        sqlite3_bind_text(s, 2, names[m], -1, SQLITE_STATIC);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            int64_t t = sqlite3_column_int64(s, 0) - p->run_base - 1;
            int idx = by_day ? sqlite3_column_int(s, 1) : m;
            double v = sqlite3_column_type(s, 2) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 2);
            if (t >= 0 && t < p->ntasks) cb(ctx, t, idx, v);
        }
        sqlite3_reset(s);
        if (rc != SQLITE_DONE) break;
    }
    if (rc != SQLITE_DONE) db_err(db, rc, "read values", err, errlen);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

int bdb_summary_values(store_t *st, const bdb_plan *p, const char *const *metrics, int nmetrics,
                       bdb_value_fn cb, void *ctx, char *err, size_t errlen)
{
    return read_values(store_db(st), p,
                       "SELECT r.run_id, 0, s.value FROM runs r JOIN summary s USING (run_id)"
                       " WHERE r.batch_id = ?1 AND s.group_id = 0 AND s.metric = ?2",
                       metrics, nmetrics, 0, cb, ctx, err, errlen);
}

int bdb_daily_values(store_t *st, const bdb_plan *p, const char *metric, bdb_value_fn cb, void *ctx,
                     char *err, size_t errlen)
{
    const char *names[1] = {metric};
    return read_values(store_db(st), p,
                       "SELECT r.run_id, CAST(round(julianday(d.day) - julianday(date(r.start_ts + r.utc_offset,"
                       " 'unixepoch'))) AS INTEGER), d.value FROM runs r JOIN daily d USING (run_id)"
                       " WHERE r.batch_id = ?1 AND d.group_id = 0 AND d.metric = ?2",
                       names, 1, 1, cb, ctx, err, errlen);
}

/* ---- merge ------------------------------------------------------------ */

/* Tables copied per run, parents first. */
static const char *const run_tables[] = {"runs", "groups", "members", "spells", "events", "daily", "summary"};
#define NRT ((int)(sizeof run_tables / sizeof run_tables[0]))

typedef struct src_batch {
    int in;            /* input index */
    int64_t batch_id, run_base, ntasks;
    char *text, *key;
    int group;         /* index of its merge group */
} src_batch;

typedef struct mctx {
    sqlite3 *out;
    sqlite3 **in;
    int nin;
    char *sel[NRT], *ins[NRT]; /* SQL per table (columns of out) */
    char *err;
    size_t errlen;
} mctx;

static void mctx_free(mctx *m)
{
    for (int i = 0; i < NRT; i++) {
        free(m->sel[i]);
        free(m->ins[i]);
    }
}

/* Build "SELECT c1, c2 .. FROM t WHERE run_id = ?1 ORDER BY rowid" and the
 * matching INSERT from the columns of table t in out. */
static int build_copy_sql(mctx *m, int ti)
{
    char sql[256];
    sqlite3_stmt *s;
    snprintf(sql, sizeof sql, "PRAGMA table_info(%s)", run_tables[ti]);
    if (prep(m->out, sql, &s, "read schema", m->err, m->errlen)) return -1;
    size_t cap = 4096;
    char *cols = malloc(cap), *qs = malloc(cap);
    if (!cols || !qs) {
        free(cols);
        free(qs);
        sqlite3_finalize(s);
        snprintf(m->err, m->errlen, "merge: out of memory");
        return -1;
    }
    cols[0] = qs[0] = '\0';
    int n = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(s, 1);
        if (strlen(cols) + strlen(c) + 8 > cap) break;
        snprintf(cols + strlen(cols), cap - strlen(cols), "%s\"%s\"", n ? ", " : "", c);
        snprintf(qs + strlen(qs), cap - strlen(qs), "%s?", n ? ", " : "");
        n++;
    }
    sqlite3_finalize(s);
    size_t k = strlen(cols) + 128;
    m->sel[ti] = malloc(k);
    m->ins[ti] = malloc(k + strlen(qs));
    if (m->sel[ti] && m->ins[ti]) {
        snprintf(m->sel[ti], k, "SELECT %s FROM main.\"%s\" WHERE run_id = ?1 ORDER BY rowid", cols, run_tables[ti]);
        snprintf(m->ins[ti], k + strlen(qs), "INSERT INTO main.\"%s\" (%s) VALUES (%s)", run_tables[ti], cols, qs);
    }
    free(cols);
    free(qs);
    if (!m->sel[ti] || !m->ins[ti]) {
        snprintf(m->err, m->errlen, "merge: out of memory");
        return -1;
    }
    return 0;
}

/* Copy run src_id of input in as run dst_id of batch dst_batch, one
 * transaction.  0 or -1. */
static int copy_run(mctx *m, sqlite3 *in, int64_t src_id, int64_t dst_id, int64_t dst_batch)
{
    if (exec(m->out, "BEGIN IMMEDIATE", "merge run", m->err, m->errlen)) return -1;
    for (int ti = 0; ti < NRT; ti++) {
        sqlite3_stmt *sel = NULL, *ins = NULL;
        if (prep(in, m->sel[ti], &sel, "read run", m->err, m->errlen) ||
            prep(m->out, m->ins[ti], &ins, "write run", m->err, m->errlen)) {
            sqlite3_finalize(sel);
            goto fail;
        }
        int nc = sqlite3_column_count(sel), rc;
        sqlite3_bind_int64(sel, 1, src_id);
        while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
            for (int c = 0; c < nc; c++) {
                const char *name = sqlite3_column_name(sel, c);
                if (!strcmp(name, "run_id"))
                    sqlite3_bind_int64(ins, c + 1, dst_id);
                else if (ti == 0 && !strcmp(name, "batch_id"))
                    sqlite3_bind_int64(ins, c + 1, dst_batch);
                else
                    sqlite3_bind_value(ins, c + 1, sqlite3_column_value(sel, c));
            }
            int wr = sqlite3_step(ins);
            sqlite3_reset(ins);
            if (wr != SQLITE_DONE) {
                db_err(m->out, wr, "write run", m->err, m->errlen);
                sqlite3_finalize(sel);
                sqlite3_finalize(ins);
                goto fail;
            }
        }
        if (rc != SQLITE_DONE) db_err(in, rc, "read run", m->err, m->errlen);
        sqlite3_finalize(sel);
        sqlite3_finalize(ins);
        if (rc != SQLITE_DONE) goto fail;
    }
    int rc = sqlite3_exec(m->out, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        db_err(m->out, rc, "merge run", m->err, m->errlen);
        goto fail;
    }
    return 0;
fail:
    rollback(m->out);
    return -1;
}

/* Copy the batches, points and plans rows of src into out as a new batch:
 * keep the batch id and run base when free, else take new ones. */
static int copy_batch(mctx *m, const src_batch *src, bdb_plan *dst)
{
    sqlite3 *in = m->in[src->in];
    int64_t used, base = src->run_base, id = src->batch_id;
    if (exec(m->out, "BEGIN IMMEDIATE", "merge batch", m->err, m->errlen)) return -1;
    if (q_i64(m->out, "SELECT count(*) FROM batches WHERE batch_id = ?1", 1, id, 0, &used, m->err, m->errlen))
        goto fail;
    if (used) id = -1;
    if (q_i64(m->out,
              "SELECT (SELECT count(*) FROM runs WHERE run_id BETWEEN ?1 + 1 AND ?1 + ?2)"
              " + (SELECT count(*) FROM plans WHERE run_base < ?1 + ?2 AND run_base + ntasks > ?1)",
              2, base, src->ntasks, &used, m->err, m->errlen))
        goto fail;
    if (used && next_base(m->out, &base, m->err, m->errlen)) goto fail;
    /* batches row: every column as in the input, the id kept or new */
    sqlite3_stmt *sel = NULL, *ins = NULL;
    if (prep(in,
             "SELECT kind, scenario, scenario_path, scenario_text, seed, reps, days, command, version, created_at"
             " FROM batches WHERE batch_id = ?1",
             &sel, "read batch", m->err, m->errlen) ||
        prep(m->out,
             "INSERT INTO batches(batch_id, kind, scenario, scenario_path, scenario_text, seed, reps, days,"
             " command, version, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
             &ins, "write batch", m->err, m->errlen)) {
        sqlite3_finalize(sel);
        goto fail;
    }
    sqlite3_bind_int64(sel, 1, src->batch_id);
    int rc = sqlite3_step(sel);
    if (rc == SQLITE_ROW) {
        if (id > 0) sqlite3_bind_int64(ins, 1, id);
        else sqlite3_bind_null(ins, 1);
        for (int c = 0; c < 10; c++) sqlite3_bind_value(ins, c + 2, sqlite3_column_value(sel, c));
        rc = sqlite3_step(ins);
        if (rc != SQLITE_DONE) db_err(m->out, rc, "write batch", m->err, m->errlen);
    } else
        db_err(in, rc == SQLITE_DONE ? SQLITE_ERROR : rc, "read batch", m->err, m->errlen);
    sqlite3_finalize(sel);
    sqlite3_finalize(ins);
    if (rc != SQLITE_DONE) goto fail;
    id = sqlite3_last_insert_rowid(m->out);
    /* points rows, in order */
    if (prep(in, "SELECT point, settings FROM points WHERE batch_id = ?1 ORDER BY rowid", &sel, "read points",
             m->err, m->errlen) ||
        prep(m->out, "INSERT INTO points(batch_id, point, settings) VALUES (?1, ?2, ?3)", &ins, "write points",
             m->err, m->errlen)) {
        sqlite3_finalize(sel);
        goto fail;
    }
    sqlite3_bind_int64(sel, 1, src->batch_id);
    sqlite3_bind_int64(ins, 1, id);
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        sqlite3_bind_value(ins, 2, sqlite3_column_value(sel, 0));
        sqlite3_bind_value(ins, 3, sqlite3_column_value(sel, 1));
        int wr = sqlite3_step(ins);
        sqlite3_reset(ins);
        if (wr != SQLITE_DONE) {
            rc = wr;
            db_err(m->out, wr, "write points", m->err, m->errlen);
            break;
        }
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        if (!m->err[0]) db_err(in, rc, "read points", m->err, m->errlen);
    }
    sqlite3_finalize(sel);
    sqlite3_finalize(ins);
    if (rc != SQLITE_DONE) goto fail;
    if (prep(m->out, "INSERT INTO plans(batch_id, run_base, ntasks, key) VALUES (?1, ?2, ?3, ?4)", &ins,
             "write plan", m->err, m->errlen))
        goto fail;
    sqlite3_bind_int64(ins, 1, id);
    sqlite3_bind_int64(ins, 2, base);
    sqlite3_bind_int64(ins, 3, src->ntasks);
    sqlite3_bind_text(ins, 4, src->key, -1, SQLITE_STATIC);
    rc = sqlite3_step(ins);
    sqlite3_finalize(ins);
    if (rc != SQLITE_DONE) {
        db_err(m->out, rc, "write plan", m->err, m->errlen);
        goto fail;
    }
    if ((rc = sqlite3_exec(m->out, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK) {
        db_err(m->out, rc, "merge batch", m->err, m->errlen);
        goto fail;
    }
    dst->batch_id = id;
    dst->run_base = base;
    dst->ntasks = src->ntasks;
    return 0;
fail:
    rollback(m->out);
    return -1;
}

/* Read the batches with a plan of input i, appending to *srcs. */
static int list_batches(mctx *m, int i, src_batch **srcs, int *ns, int *cap)
{
    sqlite3_stmt *s;
    if (prep(m->in[i],
             "SELECT b.batch_id, p.run_base, p.ntasks, b.scenario_text, p.key FROM batches b"
             " JOIN plans p USING (batch_id) ORDER BY b.batch_id",
             &s, "list batches", m->err, m->errlen))
        return -1;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (*ns == *cap) {
            int nc = *cap ? 2 * *cap : 8;
            src_batch *n = realloc(*srcs, (size_t)nc * sizeof *n);
            if (!n) break;
            *srcs = n;
            *cap = nc;
        }
        src_batch *b = &(*srcs)[(*ns)++];
        memset(b, 0, sizeof *b);
        b->in = i;
        b->batch_id = sqlite3_column_int64(s, 0);
        b->run_base = sqlite3_column_int64(s, 1);
        b->ntasks = sqlite3_column_int64(s, 2);
        b->text = dup_text(sqlite3_column_text(s, 3));
        b->key = dup_text(sqlite3_column_text(s, 4));
        if (!b->text || !b->key) break;
    }
    sqlite3_finalize(s);
    if (rc == SQLITE_ROW) {
        snprintf(m->err, m->errlen, "merge: out of memory");
        return -1;
    }
    return rc == SQLITE_DONE ? 0 : db_err(m->in[i], rc, "list batches", m->err, m->errlen);
}

/* Merge one group of source batches (same text and key) into out. */
static int merge_group(mctx *m, src_batch *srcs, int ns, int g, void (*report)(void *, const char *), void *ctx)
{
    src_batch *first = NULL;
    for (int i = 0; i < ns && !first; i++)
        if (srcs[i].group == g) first = &srcs[i];
    char e[1024];
    bdb_plan dst;
    /* an existing batch of out with this text and key, else a copy */
    sqlite3_stmt *s;
    if (prep(m->out,
             "SELECT p.batch_id, p.run_base, p.ntasks FROM plans p JOIN batches b USING (batch_id)"
             " WHERE p.key = ?1 AND b.scenario_text IS ?2 ORDER BY p.batch_id DESC LIMIT 1",
             &s, "find batch", m->err, m->errlen))
        return -1;
    sqlite3_bind_text(s, 1, first->key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, first->text, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s), existed = rc == SQLITE_ROW;
    if (existed) {
        dst.batch_id = sqlite3_column_int64(s, 0);
        dst.run_base = sqlite3_column_int64(s, 1);
        dst.ntasks = sqlite3_column_int64(s, 2);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_err(m->out, rc, "find batch", m->err, m->errlen);
    if (!existed && copy_batch(m, first, &dst)) return -1;
    if (dst.ntasks != first->ntasks) {
        snprintf(m->err, m->errlen, "merge: batch %lld has %lld tasks in the output but %lld in an input",
                 (long long)dst.batch_id, (long long)dst.ntasks, (long long)first->ntasks);
        return -1;
    }
    /* which input holds each task (first found wins: tasks are pure functions of the key) */
    int64_t T = dst.ntasks;
    int32_t *from = malloc((size_t)(T ? T : 1) * sizeof *from);
    int64_t *src_id = malloc((size_t)(T ? T : 1) * sizeof *src_id);
    uint8_t *done = calloc((size_t)(T / 8 + 1), 1);
    int ret = -1;
    int64_t have = 0, copied = 0;
    if (!from || !src_id || !done) {
        snprintf(m->err, m->errlen, "merge: out of memory");
        goto out;
    }
    for (int64_t t = 0; t < T; t++) from[t] = -1;
    /* the out database's own runs of the batch count as present */
    {
        sqlite3_stmt *q;
        if (prep(m->out, "SELECT run_id FROM runs WHERE batch_id = ?1", &q, "read runs", m->err, m->errlen))
            goto out;
        sqlite3_bind_int64(q, 1, dst.batch_id);
        while (sqlite3_step(q) == SQLITE_ROW) {
            int64_t t = sqlite3_column_int64(q, 0) - dst.run_base - 1;
            if (t >= 0 && t < T) done[t / 8] |= (uint8_t)(1u << (t % 8));
        }
        sqlite3_finalize(q);
    }
    for (int i = 0; i < ns; i++) {
        if (srcs[i].group != g) continue;
        sqlite3_stmt *q;
        if (prep(m->in[srcs[i].in], "SELECT run_id FROM runs WHERE batch_id = ?1", &q, "read runs", m->err,
                 m->errlen))
            goto out;
        sqlite3_bind_int64(q, 1, srcs[i].batch_id);
        while (sqlite3_step(q) == SQLITE_ROW) {
            int64_t id = sqlite3_column_int64(q, 0), t = id - srcs[i].run_base - 1;
            if (t < 0 || t >= T || from[t] >= 0 || (done[t / 8] & (1u << (t % 8)))) continue;
            from[t] = srcs[i].in;
            src_id[t] = id;
        }
        sqlite3_finalize(q);
    }
    for (int64_t t = 0; t < T; t++) {
        if (done[t / 8] & (1u << (t % 8))) {
            have++;
            continue;
        }
        if (from[t] < 0) continue;
        if (copy_run(m, m->in[from[t]], src_id[t], dst.run_base + 1 + t, dst.batch_id)) goto out;
        have++;
        copied++;
    }
    if (report) {
        snprintf(e, sizeof e, "batch %lld: %lld run(s) merged; %lld of %lld tasks present%s",
                 (long long)dst.batch_id, (long long)copied, (long long)have, (long long)T,
                 have == T ? " (complete)" : " (incomplete: a shard is missing or unfinished)");
        report(ctx, e);
    }
    ret = 0;
out:
    free(from);
    free(src_id);
    free(done);
    return ret;
}

int bdb_merge(store_t *out, const char *const *in_paths, int nin, void (*report)(void *ctx, const char *line),
              void *ctx, char *err, size_t errlen)
{
    mctx m;
    memset(&m, 0, sizeof m);
    m.out = store_db(out);
    m.err = err;
    m.errlen = errlen;
    err[0] = '\0';
    src_batch *srcs = NULL;
    int ns = 0, cap = 0, ngroups = 0, ret = -1;
    m.in = calloc((size_t)(nin ? nin : 1), sizeof *m.in);
    if (!m.in) {
        snprintf(err, errlen, "merge: out of memory");
        return -1;
    }
    m.nin = nin;
    for (int i = 0; i < NRT; i++)
        if (build_copy_sql(&m, i)) goto out;
    for (int i = 0; i < nin; i++) {
        int rc = sqlite3_open_v2(in_paths[i], &m.in[i], SQLITE_OPEN_READONLY, NULL);
        if (rc != SQLITE_OK) {
            snprintf(err, errlen, "%s: cannot open: %s", in_paths[i],
                     m.in[i] ? sqlite3_errmsg(m.in[i]) : sqlite3_errstr(rc));
            goto out;
        }
        sqlite3_busy_timeout(m.in[i], 5000);
        int64_t ver = 0;
        if (q_i64(m.in[i], "PRAGMA user_version", 0, 0, 0, &ver, err, errlen)) goto out;
        if (ver != STORE_SCHEMA_VERSION) {
            snprintf(err, errlen, "%s: not a qunsim results database of schema version %d (it has %lld)",
                     in_paths[i], STORE_SCHEMA_VERSION, (long long)ver);
            goto out;
        }
        const char *a = sqlite3_db_filename(m.in[i], "main"), *b = sqlite3_db_filename(m.out, "main");
        if (a && b && *a && !strcmp(a, b)) {
            snprintf(err, errlen, "%s: is the output database", in_paths[i]);
            goto out;
        }
        if (list_batches(&m, i, &srcs, &ns, &cap)) goto out;
    }
    /* group by (scenario text, key), in order of first appearance */
    for (int i = 0; i < ns; i++) {
        srcs[i].group = -1;
        for (int j = 0; j < i; j++)
            if (!strcmp(srcs[j].key, srcs[i].key) && !strcmp(srcs[j].text, srcs[i].text)) {
                srcs[i].group = srcs[j].group;
                break;
            }
        if (srcs[i].group < 0) srcs[i].group = ngroups++;
    }
    if (ngroups == 0) {
        snprintf(err, errlen, "merge: the inputs hold no batch of qunsim run or sweep");
        goto out;
    }
    for (int g = 0; g < ngroups; g++)
        if (merge_group(&m, srcs, ns, g, report, ctx)) goto out;
    ret = 0;
out:
    for (int i = 0; i < ns; i++) {
        free(srcs[i].text);
        free(srcs[i].key);
    }
    free(srcs);
    for (int i = 0; i < nin; i++) sqlite3_close(m.in[i]);
    free(m.in);
    mctx_free(&m);
    return ret;
}
