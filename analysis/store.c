/* store.c -- the results database: one SQLite connection, the compiled-in
 * schema, and prepared statements for every write.
 *
 * A run is one transaction (BEGIN IMMEDIATE .. COMMIT).  Any failed write
 * inside a run rolls the whole run back at once and leaves the handle in a
 * "failed" state that keeps the first error message until the caller commits
 * (which then returns -1) or rolls back.  Not the metrics: see metrics.c.
 */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#ifndef QS_VERSION
#define QS_VERSION "unknown"
#endif

extern const char qs_schema_sql[];
extern const char qs_metrics_sql[];

enum { RUN_NONE = 0, RUN_OPEN, RUN_FAILED };

/* Every statement the store runs, prepared once at open and reused.  In the
 * run-scoped ones ?1 is the run id, bound once by store_run_begin (bindings
 * survive sqlite3_reset). */
enum {
    S_BEGIN, S_COMMIT, S_MAXRUN, S_RUN, S_BATCH, S_RUN_BATCH, S_RUN_SPAN, S_POINT,
    S_GROUP, S_MEMBER, S_SPELL, S_MEMBER_LEFT, S_SPELL_LEFT, S_EVENT, S_DAILY, S_SUMMARY, S_EXISTS,
    S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    /* past every run and every run id a batch plan has reserved (batchdb.c) */
    [S_MAXRUN] = "SELECT max(coalesce((SELECT max(run_id) FROM runs), 0),"
                 " coalesce((SELECT max(run_base + ntasks) FROM plans), 0)) + 1",
    [S_RUN] = "INSERT INTO runs(run_id, batch_id, scenario, arm, point, rep, seed, settings,"
              " version, created_at, source, start_ts, utc_offset, days)"
              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    [S_BATCH] = "INSERT INTO batches(kind, scenario, scenario_path, scenario_text, seed, reps,"
                " days, command, version, created_at)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [S_RUN_BATCH] = "UPDATE runs SET batch_id = ?2 WHERE run_id = ?1",
    [S_RUN_SPAN] = "UPDATE runs SET start_ts = ?2, utc_offset = ?3, days = ?4 WHERE run_id = ?1",
    [S_POINT] = "INSERT INTO points(batch_id, point, settings) VALUES (?1, ?2, ?3)",
    [S_GROUP] = "INSERT INTO groups(run_id, group_id, name) VALUES (?1, ?2, ?3)"
                " ON CONFLICT(run_id, group_id) DO UPDATE SET name = coalesce(excluded.name, name)",
    /* the membership's summary row: first spell's join, last spell's leave */
    [S_MEMBER] = "INSERT INTO members(run_id, group_id, member_id, role, source, inviter_id,"
                 " joined_ts, left_ts, name, spells) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                 " ON CONFLICT(run_id, group_id, member_id) DO UPDATE SET role = excluded.role,"
                 " left_ts = CASE WHEN excluded.spells >= spells THEN excluded.left_ts ELSE left_ts END,"
                 " spells = max(spells, excluded.spells), name = coalesce(excluded.name, name)",
    [S_SPELL] = "INSERT INTO spells(run_id, group_id, member_id, spell, source, inviter_id,"
                " joined_ts, left_ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                " ON CONFLICT(run_id, group_id, member_id, spell) DO UPDATE SET left_ts = excluded.left_ts",
    [S_MEMBER_LEFT] = "UPDATE members SET left_ts = ?4"
                      " WHERE run_id = ?1 AND group_id = ?2 AND member_id = ?3",
    [S_SPELL_LEFT] = "UPDATE spells SET left_ts = ?4 WHERE run_id = ?1 AND group_id = ?2 AND member_id = ?3"
                     " AND spell = (SELECT max(spell) FROM spells WHERE run_id = ?1 AND group_id = ?2"
                     " AND member_id = ?3)",
    [S_EVENT] = "INSERT INTO events(run_id, group_id, ts, member_id, kind, ref_id, value, msg_id)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [S_DAILY] = "INSERT INTO daily(run_id, group_id, day, metric, value) VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_SUMMARY] = "INSERT INTO summary(run_id, group_id, metric, value) VALUES (?1, ?2, ?3, ?4)",
    [S_EXISTS] = "SELECT 1 FROM runs WHERE batch_id = ?1 AND arm IS ?2 AND point = ?3 AND rep = ?4"
                 " LIMIT 1",
};

#define STORE_DEFAULT_BUSY_MS 5000

struct store {
    sqlite3 *db;
    char *path;                  /* as given to store_open, for messages */
    int busy_ms;                 /* how long a locked database is waited for */
    int state;                   /* RUN_NONE, RUN_OPEN, RUN_FAILED */
    int64_t run_id;              /* the run in progress */
    sqlite3_stmt *stmt[S_COUNT]; /* prepared at open, finalized at close */
    char err[1024];              /* last error, "" if none */
};

/* ---- errors ----------------------------------------------------------- */

static int set_err(store_t *st, const char *fmt, const char *what, const char *detail)
{
    snprintf(st->err, sizeof st->err, fmt, st->path, what, detail);
    return -1;
}

/* Format the error of a failed SQLite call rc into st->err as
 * "PATH: WHAT: reason".  Returns -1. */
static int sql_err(store_t *st, const char *what, int rc)
{
    const char *msg = st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);
    int sys = st->db ? sqlite3_system_errno(st->db) : 0;
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        snprintf(st->err, sizeof st->err,
                 "%s: %s: database is locked by another connection (gave up after %d ms)",
                 st->path, what, st->busy_ms);
        break;
    case SQLITE_FULL:
        return set_err(st, "%s: %s: disk full or database size limit reached (%s)", what, msg);
    case SQLITE_READONLY:
        return set_err(st, "%s: %s: database is read-only (%s)", what, msg);
    case SQLITE_NOTADB:
        return set_err(st, "%s: %s: not a SQLite database (%s)", what, msg);
    case SQLITE_CORRUPT:
        return set_err(st, "%s: %s: database file is corrupt (%s)", what, msg);
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
        if (sys) {
            snprintf(st->err, sizeof st->err, "%s: %s: %s (%s)", st->path, what, msg, strerror(sys));
            break;
        }
        /* fall through */
    default:
        return set_err(st, "%s: %s: %s", what, msg);
    }
    return -1;
}

/* Step a reset statement that returns no row; reset it.  0 or -1 (error
 * formatted, statement reset). */
static int step_done(store_t *st, int which, const char *what)
{
    sqlite3_stmt *s = st->stmt[which];
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
        sqlite3_reset(s);
        return 0;
    }
    sql_err(st, what, rc); /* before reset: keep the step's message */
    sqlite3_reset(s);
    return -1;
}

/* A write inside a run failed: roll the run back now, keep the message. */
static int run_failed(store_t *st)
{
    if (st->db && !sqlite3_get_autocommit(st->db)) {
        char keep[sizeof st->err];
        memcpy(keep, st->err, sizeof keep);
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        memcpy(st->err, keep, sizeof keep);
    }
    st->state = RUN_FAILED;
    return -1;
}

/* The state check at the top of every run-scoped write. */
static int need_run(store_t *st, const char *what)
{
    if (st->state == RUN_OPEN) return 0;
    if (st->state == RUN_NONE)
        snprintf(st->err, sizeof st->err, "%s: %s: no run in progress", st->path, what);
    /* RUN_FAILED: keep the message of the failure that ended the run */
    return -1;
}

static void utc_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, n, "1970-01-01T00:00:00Z");
}

/* ---- open / close ----------------------------------------------------- */

/* Run a query returning one integer.  0 and *out, or -1. */
static int query_int(store_t *st, const char *sql, const char *what, int64_t *out)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK) return sql_err(st, what, rc);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        return 0;
    }
    sql_err(st, what, rc == SQLITE_DONE ? SQLITE_ERROR : rc);
    sqlite3_finalize(s);
    return -1;
}

static int exec(store_t *st, const char *sql, const char *what)
{
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : sql_err(st, what, rc);
}

/* Version 1 -> 2 in place, in one transaction: every membership becomes
 * its one spell (version 1 could not record rejoins), and the metric views
 * are recreated over spells.  Fails (database unchanged) if the file is
 * read-only or locked; the caller then reports the version. */
static int upgrade_v1(store_t *st)
{
    if (exec(st, "BEGIN IMMEDIATE", "upgrade schema 1 to 2")) return -1;
    int64_t ver = 0;
    if (query_int(st, "PRAGMA user_version", "read schema version", &ver)) goto rollback;
    if (ver != 1) return exec(st, "COMMIT", "upgrade schema"); /* another process did it */
    /* the views first: they name members' columns */
    sqlite3_stmt *q = NULL;
    char drops[8192] = "";
    size_t n = 0;
    if (sqlite3_prepare_v2(st->db, "SELECT name FROM sqlite_master WHERE type = 'view' AND name LIKE 'v\\_%' ESCAPE '\\'",
                           -1, &q, NULL) != SQLITE_OK) {
        sql_err(st, "upgrade schema", sqlite3_errcode(st->db));
        goto rollback;
    }
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(q, 0);
        int k = snprintf(drops + n, sizeof drops - n, "DROP VIEW \"%s\";", v);
        if (k < 0 || (size_t)k >= sizeof drops - n) break;
        n += (size_t)k;
    }
    sqlite3_finalize(q);
    if (exec(st, drops, "upgrade schema: drop views") ||
        exec(st, "ALTER TABLE members ADD COLUMN spells INTEGER NOT NULL DEFAULT 1;"
                 "CREATE TABLE spells (run_id INTEGER NOT NULL REFERENCES runs(run_id), group_id INTEGER NOT NULL,"
                 " member_id INTEGER NOT NULL, spell INTEGER NOT NULL, source TEXT NOT NULL DEFAULT 'seed',"
                 " inviter_id INTEGER, joined_ts INTEGER NOT NULL, left_ts INTEGER,"
                 " PRIMARY KEY (run_id, group_id, member_id, spell));"
                 "INSERT INTO spells SELECT run_id, group_id, member_id, 0, source, inviter_id, joined_ts, left_ts"
                 " FROM members;",
             "upgrade schema: spells") ||
        exec(st, qs_metrics_sql, "upgrade schema: metric views") ||
        exec(st, "PRAGMA user_version = 2", "upgrade schema") || exec(st, "COMMIT", "upgrade schema"))
        goto rollback;
    return 0;
rollback:
    if (!sqlite3_get_autocommit(st->db)) sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* Check the schema version; create the schema in a new database. */
static int check_schema(store_t *st)
{
    int64_t ver = 0, ntab = 0;
    if (query_int(st, "PRAGMA user_version", "read schema version", &ver)) return -1;
    if (ver == 0) {
        if (query_int(st, "SELECT count(*) FROM sqlite_master", "read schema", &ntab)) return -1;
        if (ntab > 0) {
            snprintf(st->err, sizeof st->err,
                     "%s: not a qunsim results database (it has tables but no schema version; "
                     "expected version %d)", st->path, STORE_SCHEMA_VERSION);
            return -1;
        }
        /* WAL suits a results database: readers never block the writer and a
         * kill leaves committed runs intact.  The mode is persistent, so it is
         * set only on a database qunsim created.  If the file system cannot
         * do WAL, SQLite keeps the rollback journal: still correct. */
        sqlite3_exec(st->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
        if (exec(st, "BEGIN IMMEDIATE", "create schema")) return -1;
        /* Re-check under the write lock: another process may have won. */
        if (query_int(st, "PRAGMA user_version", "read schema version", &ver) ||
            query_int(st, "SELECT count(*) FROM sqlite_master", "read schema", &ntab))
            goto rollback;
        /* the tables, and the metric catalogue as views for BI tools and notebooks */
        if (ver == 0 && ntab == 0 &&
            (exec(st, qs_schema_sql, "create schema") || exec(st, qs_metrics_sql, "create metric views")))
            goto rollback;
        if (exec(st, "COMMIT", "create schema")) goto rollback;
        if (query_int(st, "PRAGMA user_version", "read schema version", &ver)) return -1;
        if (ver == 0 && ntab > 0) {
            snprintf(st->err, sizeof st->err, "%s: not a qunsim results database", st->path);
            return -1;
        }
    }
    if (ver == 1 && upgrade_v1(st) != 0) return -1;
    if (ver == 1 && query_int(st, "PRAGMA user_version", "read schema version", &ver)) return -1;
    if (ver != STORE_SCHEMA_VERSION) {
        snprintf(st->err, sizeof st->err,
                 "%s: schema version %lld, but this qunsim (%s) reads version %d; "
                 "use a new database file or the matching qunsim",
                 st->path, (long long)ver, QS_VERSION, STORE_SCHEMA_VERSION);
        return -1;
    }
    return 0;
rollback:
    if (!sqlite3_get_autocommit(st->db)) sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

static int busy_from_env(void)
{
    const char *e = getenv("QS_BUSY_TIMEOUT_MS");
    if (e && *e) {
        char *end;
        errno = 0;
        long v = strtol(e, &end, 10);
        if (!errno && *end == '\0' && v >= 0 && v <= 3600000) return (int)v;
    }
    return STORE_DEFAULT_BUSY_MS;
}

int store_open(store_t **out, const char *path, char *err, size_t errlen)
{
    *out = NULL;
    if (err && errlen) err[0] = '\0';
    if (!path || !*path) {
        if (err && errlen) snprintf(err, errlen, "store: empty database path");
        return -1;
    }
    store_t *st = calloc(1, sizeof *st);
    char *p = st ? malloc(strlen(path) + 1) : NULL;
    if (!p) {
        free(st);
        if (err && errlen) snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    strcpy(p, path);
    st->path = p;
    st->busy_ms = busy_from_env();

    int rc = sqlite3_open_v2(path, &st->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        if (!st->db) {
            snprintf(st->err, sizeof st->err, "%s: cannot open: out of memory", path);
        } else {
            sql_err(st, "cannot open", rc);
        }
        goto fail;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, st->busy_ms);
    if (sqlite3_db_readonly(st->db, "main") == 1) {
        snprintf(st->err, sizeof st->err, "%s: cannot write: the file is read-only", path);
        goto fail;
    }
    if (check_schema(st)) goto fail;
    /* synchronous=NORMAL under WAL: a commit is durable against a crash of
     * the process (what batch runs meet), not against power loss of the last
     * transactions; the database is never corrupted either way.
     * foreign_keys: a row for an unknown run is a bug, not data. */
    if (exec(st, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-32768",
             "set pragmas"))
        goto fail;
    for (int i = 0; i < S_COUNT; i++) {
        rc = sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL);
        if (rc != SQLITE_OK) {
            sql_err(st, "prepare", rc);
            goto fail;
        }
    }
    *out = st;
    return 0;
fail:
    if (err && errlen) snprintf(err, errlen, "%s", st->err);
    store_close(st);
    return -1;
}

int store_open_existing(store_t **out, const char *path, char *err, size_t errlen)
{
    *out = NULL;
    struct stat sb;
    if (path && *path && (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0)) {
        if (err && errlen) {
            if (stat(path, &sb) != 0) snprintf(err, errlen, "%s: no such results database: %s", path, strerror(errno));
            else if (!S_ISREG(sb.st_mode)) snprintf(err, errlen, "%s: not a regular file: not a results database", path);
            else snprintf(err, errlen, "%s: empty file (0 bytes): not a results database", path);
        }
        return -1;
    }
    return store_open(out, path, err, errlen);
}

void store_close(store_t *st)
{
    if (!st) return;
    if (st->db) {
        if (!sqlite3_get_autocommit(st->db)) sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        for (int i = 0; i < S_COUNT; i++) sqlite3_finalize(st->stmt[i]);
        sqlite3_close(st->db);
    }
    free(st->path);
    free(st);
}

const char *store_errmsg(const store_t *st) { return st ? st->err : "store: no handle"; }

struct sqlite3 *store_db(store_t *st) { return st ? st->db : NULL; }

int store_set_busy_timeout(store_t *st, int ms)
{
    if (ms < 0) {
        snprintf(st->err, sizeof st->err, "%s: busy timeout %d ms is negative", st->path, ms);
        return -1;
    }
    st->busy_ms = ms;
    int rc = sqlite3_busy_timeout(st->db, ms);
    return rc == SQLITE_OK ? 0 : sql_err(st, "set busy timeout", rc);
}

/* ---- batches and points ------------------------------------------------ */

static void bind_id_or_null(sqlite3_stmt *s, int i, int64_t v)
{
    if (v < 0)
        sqlite3_bind_null(s, i);
    else
        sqlite3_bind_int64(s, i, v);
}

int store_batch_add(store_t *st, const store_batch *b, int64_t *batch_id)
{
    if (st->state == RUN_FAILED) return -1;
    char now[32];
    utc_now(now, sizeof now);
    sqlite3_stmt *s = st->stmt[S_BATCH];
    sqlite3_bind_text(s, 1, b->kind ? b->kind : "run", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, b->scenario, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, b->scenario_path, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, b->scenario_text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, b->seed);
    sqlite3_bind_int64(s, 6, b->reps);
    sqlite3_bind_int64(s, 7, b->days);
    sqlite3_bind_text(s, 8, b->command, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 9, QS_VERSION, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 10, now, -1, SQLITE_STATIC);
    int r = step_done(st, S_BATCH, "insert batch");
    sqlite3_clear_bindings(s); /* the bound strings belong to the caller */
    if (r) return st->state == RUN_OPEN ? run_failed(st) : -1;
    int64_t id = sqlite3_last_insert_rowid(st->db);
    if (st->state == RUN_OPEN) {
        /* Inside a run: the batch joins the run's transaction (a failed run,
         * e.g. an import, leaves no batch behind) and becomes its batch. */
        sqlite3_bind_int64(st->stmt[S_RUN_BATCH], 2, id);
        if (step_done(st, S_RUN_BATCH, "set run batch")) return run_failed(st);
    }
    if (batch_id) *batch_id = id;
    return 0;
}

int store_point_add(store_t *st, int64_t batch_id, int point, const char *settings)
{
    if (st->state == RUN_FAILED) return -1;
    sqlite3_stmt *s = st->stmt[S_POINT];
    sqlite3_bind_int64(s, 1, batch_id);
    sqlite3_bind_int(s, 2, point);
    sqlite3_bind_text(s, 3, settings ? settings : "", -1, SQLITE_STATIC);
    int r = step_done(st, S_POINT, "insert point");
    sqlite3_bind_null(s, 3);
    if (r) return st->state == RUN_OPEN ? run_failed(st) : -1;
    return 0;
}

/* ---- runs ------------------------------------------------------------- */

int store_run_begin(store_t *st, const store_run *r, int64_t *run_id)
{
    if (st->state == RUN_OPEN) {
        snprintf(st->err, sizeof st->err, "%s: begin run: run %lld is still in progress",
                 st->path, (long long)st->run_id);
        return -1;
    }
    st->state = RUN_NONE;
    st->err[0] = '\0';
    if (step_done(st, S_BEGIN, "begin run")) return -1;
    int64_t id = r->run_id;
    if (id <= 0) {
        sqlite3_stmt *s = st->stmt[S_MAXRUN];
        int rc = sqlite3_step(s);
        if (rc != SQLITE_ROW) {
            sql_err(st, "assign run id", rc);
            sqlite3_reset(s);
            goto fail;
        }
        id = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
    }
    char now[32];
    utc_now(now, sizeof now);
    sqlite3_stmt *s = st->stmt[S_RUN];
    sqlite3_bind_int64(s, 1, id);
    if (r->batch_id > 0)
        sqlite3_bind_int64(s, 2, r->batch_id);
    else
        sqlite3_bind_null(s, 2);
    sqlite3_bind_text(s, 3, r->scenario, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, r->arm, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 5, r->point);
    sqlite3_bind_int(s, 6, r->rep);
    sqlite3_bind_int64(s, 7, r->seed);
    sqlite3_bind_text(s, 8, r->settings, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 9, QS_VERSION, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 10, now, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 11, r->source ? r->source : "sim", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 12, r->start_ts);
    sqlite3_bind_int(s, 13, r->utc_offset);
    sqlite3_bind_int(s, 14, r->days);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE) {
        if ((rc & 0xff) == SQLITE_CONSTRAINT)
            snprintf(st->err, sizeof st->err, "%s: begin run: run %lld already exists (%s)", st->path,
                     (long long)id, sqlite3_errmsg(st->db));
        else
            sql_err(st, "insert run", rc);
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE) goto fail;
    static const int scoped[] = {S_RUN_BATCH, S_RUN_SPAN, S_GROUP, S_MEMBER, S_SPELL, S_MEMBER_LEFT,
                                 S_SPELL_LEFT, S_EVENT, S_DAILY, S_SUMMARY};
    for (size_t i = 0; i < sizeof scoped / sizeof scoped[0]; i++)
        sqlite3_bind_int64(st->stmt[scoped[i]], 1, id);
    st->run_id = id;
    st->state = RUN_OPEN;
    if (run_id) *run_id = id;
    return 0;
fail:
    if (!sqlite3_get_autocommit(st->db)) sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

int store_group(store_t *st, int32_t group_id, const char *name)
{
    if (need_run(st, "store group")) return -1;
    sqlite3_stmt *s = st->stmt[S_GROUP];
    sqlite3_bind_int(s, 2, group_id);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    int r = step_done(st, S_GROUP, "insert group");
    sqlite3_bind_null(s, 3);
    return r ? run_failed(st) : 0;
}

int store_member(store_t *st, const ev_member *m, const char *name)
{
    if (need_run(st, "store member")) return -1;
    if ((unsigned)m->role >= ROLE_COUNT || (unsigned)m->source >= SRC_COUNT || m->spell < 0) {
        snprintf(st->err, sizeof st->err, "%s: store member %lld: role %d, source %d or spell %d out of range",
                 st->path, (long long)m->member_id, (int)m->role, (int)m->source, (int)m->spell);
        return run_failed(st);
    }
    sqlite3_stmt *s = st->stmt[S_MEMBER];
    sqlite3_bind_int(s, 2, m->group_id);
    sqlite3_bind_int64(s, 3, m->member_id);
    sqlite3_bind_text(s, 4, ev_role_name((ev_role)m->role), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, ev_source_name((ev_source)m->source), -1, SQLITE_STATIC);
    bind_id_or_null(s, 6, m->inviter_id);
    sqlite3_bind_int64(s, 7, m->joined_ts);
    bind_id_or_null(s, 8, m->left_ts);
    sqlite3_bind_text(s, 9, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 10, (int64_t)m->spell + 1);
    int r = step_done(st, S_MEMBER, "insert member");
    sqlite3_bind_null(s, 9);
    if (r) return run_failed(st);
    s = st->stmt[S_SPELL];
    sqlite3_bind_int(s, 2, m->group_id);
    sqlite3_bind_int64(s, 3, m->member_id);
    sqlite3_bind_int(s, 4, m->spell);
    sqlite3_bind_text(s, 5, ev_source_name((ev_source)m->source), -1, SQLITE_STATIC);
    bind_id_or_null(s, 6, m->inviter_id);
    sqlite3_bind_int64(s, 7, m->joined_ts);
    bind_id_or_null(s, 8, m->left_ts);
    return step_done(st, S_SPELL, "insert spell") ? run_failed(st) : 0;
}

int store_member_left(store_t *st, int32_t group_id, int64_t member_id, int64_t left_ts)
{
    if (need_run(st, "member left")) return -1;
    sqlite3_stmt *s = st->stmt[S_MEMBER_LEFT];
    sqlite3_bind_int(s, 2, group_id);
    sqlite3_bind_int64(s, 3, member_id);
    bind_id_or_null(s, 4, left_ts);
    if (step_done(st, S_MEMBER_LEFT, "update member")) return run_failed(st);
    if (sqlite3_changes(st->db) == 0) {
        snprintf(st->err, sizeof st->err, "%s: member left: no member %lld in group %d of run %lld",
                 st->path, (long long)member_id, (int)group_id, (long long)st->run_id);
        return run_failed(st);
    }
    s = st->stmt[S_SPELL_LEFT];
    sqlite3_bind_int(s, 2, group_id);
    sqlite3_bind_int64(s, 3, member_id);
    bind_id_or_null(s, 4, left_ts);
    return step_done(st, S_SPELL_LEFT, "update spell") ? run_failed(st) : 0;
}

/* The hot path: about a million calls a second, so no more than the binds. */
int store_event(store_t *st, const ev_rec *e)
{
    if (st->state != RUN_OPEN) return need_run(st, "store event");
    if ((unsigned)e->kind >= EV_KIND_COUNT) {
        snprintf(st->err, sizeof st->err, "%s: store event: kind %d out of range", st->path,
                 (int)e->kind);
        return run_failed(st);
    }
    sqlite3_stmt *s = st->stmt[S_EVENT];
    sqlite3_bind_int(s, 2, e->group_id);
    sqlite3_bind_int64(s, 3, e->ts);
    bind_id_or_null(s, 4, e->member_id);
    sqlite3_bind_text(s, 5, ev_kind_name((ev_kind)e->kind), -1, SQLITE_STATIC);
    bind_id_or_null(s, 6, e->ref_id);
    sqlite3_bind_double(s, 7, e->value); /* NaN is stored as NULL */
    bind_id_or_null(s, 8, e->id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(s);
        return 0;
    }
    sql_err(st, "insert event", rc);
    sqlite3_reset(s);
    return run_failed(st);
}

static int put_metric(store_t *st, int which, int32_t group_id, const char *day, const char *metric,
                      double v)
{
    const char *what = which == S_DAILY ? "insert daily" : "insert summary";
    if (need_run(st, what)) return -1;
    if (!metric || (which == S_DAILY && !day)) {
        snprintf(st->err, sizeof st->err, "%s: %s: missing metric name or day", st->path, what);
        return run_failed(st);
    }
    sqlite3_stmt *s = st->stmt[which];
    int i = 2;
    sqlite3_bind_int(s, i++, group_id);
    if (which == S_DAILY) sqlite3_bind_text(s, i++, day, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, i++, metric, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, i, v);
    int r = step_done(st, which, what);
    if (r && st->err[0]) {
        /* name the row: a duplicate metric is a producer bug worth finding */
        size_t n = strlen(st->err);
        snprintf(st->err + n, sizeof st->err - n, " [group %d%s%s, %s]", (int)group_id,
                 day ? ", day " : "", day ? day : "", metric);
    }
    return r ? run_failed(st) : 0;
}

int store_daily(store_t *st, int32_t group_id, const char *day, const char *metric, double v)
{
    return put_metric(st, S_DAILY, group_id, day, metric, v);
}

int store_summary(store_t *st, int32_t group_id, const char *metric, double v)
{
    return put_metric(st, S_SUMMARY, group_id, NULL, metric, v);
}

int store_run_span(store_t *st, int64_t start_ts, int32_t utc_offset, int32_t days)
{
    if (need_run(st, "set run span")) return -1;
    sqlite3_stmt *s = st->stmt[S_RUN_SPAN];
    sqlite3_bind_int64(s, 2, start_ts);
    sqlite3_bind_int(s, 3, utc_offset);
    sqlite3_bind_int(s, 4, days);
    return step_done(st, S_RUN_SPAN, "set run span") ? run_failed(st) : 0;
}

int store_run_commit(store_t *st)
{
    if (st->state == RUN_FAILED) {
        st->state = RUN_NONE; /* already rolled back; the message says why */
        return -1;
    }
    if (need_run(st, "commit run")) return -1;
    if (step_done(st, S_COMMIT, "commit run")) {
        run_failed(st);
        st->state = RUN_NONE;
        return -1;
    }
    st->state = RUN_NONE;
    return 0;
}

void store_run_rollback(store_t *st)
{
    if (!st) return;
    if (st->state == RUN_OPEN && !sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    st->state = RUN_NONE;
}

int store_run_exists(store_t *st, int64_t batch_id, const char *arm, int point, int rep)
{
    sqlite3_stmt *s = st->stmt[S_EXISTS];
    sqlite3_bind_int64(s, 1, batch_id);
    sqlite3_bind_text(s, 2, arm, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, point);
    sqlite3_bind_int(s, 4, rep);
    int rc = sqlite3_step(s);
    int found = rc == SQLITE_ROW;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) sql_err(st, "look up run", rc);
    sqlite3_reset(s);
    sqlite3_bind_null(s, 2);
    return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? found : -1;
}
