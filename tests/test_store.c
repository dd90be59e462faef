/* test_store.c -- the results database (analysis/store.h): schema creation
 * and refusal, runs written and read back, rollback, NULL mapping, resume
 * look-ups, and the errors a user meets (bad path, version mismatch, locked,
 * full, read-only).  Files go under $QS_TMP (else /tmp) and are removed.
 */
#define _GNU_SOURCE /* syscall() for the read-only test's capability drop */
#include <check.h>
#include <errno.h>
#include <linux/capability.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"

/* ---- helpers ---------------------------------------------------------- */

static void tmp_path(char *buf, size_t n, const char *name)
{
    const char *dir = getenv("QS_TMP");
    if (!dir || !*dir) dir = "/tmp";
    snprintf(buf, n, "%s/test_store_%ld_%s.db", dir, (long)getpid(), name);
}

static void rm_db(const char *path)
{
    char b[1100];
    unlink(path);
    snprintf(b, sizeof b, "%s-wal", path);
    unlink(b);
    snprintf(b, sizeof b, "%s-shm", path);
    unlink(b);
    snprintf(b, sizeof b, "%s-journal", path);
    unlink(b);
}

static store_t *open_new(char *path, size_t n, const char *name)
{
    char err[512];
    store_t *st = NULL;
    tmp_path(path, n, name);
    rm_db(path);
    ck_assert_msg(store_open(&st, path, err, sizeof err) == 0, "open: %s", err);
    ck_assert_str_eq(err, "");
    return st;
}

/* One integer from a query on the store's connection (or on db). */
static int64_t q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK, "%s: %s", sql,
                  sqlite3_errmsg(db));
    ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static int64_t count_run(sqlite3 *db, const char *table, int64_t run_id)
{
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE run_id = %lld", table, (long long)run_id);
    return q_int(db, sql);
}

static store_run a_run(const char *arm, int rep)
{
    store_run r = {0};
    r.scenario = "reading_club";
    r.arm = arm;
    r.rep = rep;
    r.seed = 42;
    r.settings = "group.size = 500;";
    r.source = "sim";
    r.start_ts = 1714400000; /* any fixed value; store_run_span may correct it */
    r.utc_offset = 28800;
    r.days = 21;
    return r;
}

/* Write a small but complete run: 2 groups, 3 members, n events, daily and
 * summary rows.  Returns the run id. */
static int64_t write_run(store_t *st, const store_run *r, int nev)
{
    int64_t id = -1;
    ck_assert_msg(store_run_begin(st, r, &id) == 0, "%s", store_errmsg(st));
    ck_assert_int_eq(store_group(st, 1, "读书会一群"), 0);
    ck_assert_int_eq(store_group(st, 2, NULL), 0);
    ev_member m = {.group_id = 1, .role = ROLE_OWNER, .source = SRC_SEED, .member_id = 0,
                   .inviter_id = -1, .joined_ts = r->start_ts, .left_ts = -1};
    ck_assert_int_eq(store_member(st, &m, "群主"), 0);
    m.role = ROLE_MEMBER, m.source = SRC_INVITE, m.member_id = 1, m.inviter_id = 0;
    m.joined_ts = r->start_ts + 3600;
    ck_assert_int_eq(store_member(st, &m, "小王"), 0);
    m.group_id = 2, m.source = SRC_QR, m.member_id = 2, m.inviter_id = 1, m.left_ts = r->start_ts + 86400;
    ck_assert_int_eq(store_member(st, &m, NULL), 0);
    for (int i = 0; i < nev; i++) {
        ev_rec e = {.ts = r->start_ts + i, .group_id = 1 + i % 2, .kind = i % EV_KIND_COUNT,
                    .member_id = i % 3, .ref_id = i % 5 ? -1 : i - 1, .value = i * 0.5};
        ck_assert_msg(store_event(st, &e) == 0, "%s", store_errmsg(st));
    }
    ck_assert_int_eq(store_daily(st, 1, "2024-05-01", "active_speakers", 2), 0);
    ck_assert_int_eq(store_daily(st, 0, "2024-05-01", "active_speakers", 3), 0);
    ck_assert_int_eq(store_summary(st, 0, "retention_1d", 0.5), 0);
    ck_assert_int_eq(store_summary(st, 1, "retention_1d", NAN), 0);
    return id;
}

/* ---- tests ------------------------------------------------------------ */

START_TEST(test_create_reopen)
{
    char path[1024], err[512];
    store_t *st = open_new(path, sizeof path, "create");
    sqlite3 *db = store_db(st);
    ck_assert_int_eq(q_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                               "('batches','points','runs','groups','members','events','daily','summary')"),
                     8);
    ck_assert_int_eq(q_int(db, "PRAGMA foreign_keys"), 1);
    store_close(st);
    st = NULL;
    ck_assert_msg(store_open(&st, path, err, sizeof err) == 0, "reopen: %s", err);
    ck_assert_int_eq(q_int(store_db(st), "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    ck_assert_str_eq(store_errmsg(st), "");
    store_close(st);
    store_close(NULL); /* accepted */
    rm_db(path);
}
END_TEST

START_TEST(test_version_mismatch)
{
    char path[1024], err[512], want[1100];
    sqlite3 *db;
    tmp_path(path, sizeof path, "version");
    rm_db(path);
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE runs(x); PRAGMA user_version = 7", 0, 0, 0), SQLITE_OK);
    sqlite3_close(db);
    store_t *st = (store_t *)1;
    ck_assert_int_eq(store_open(&st, path, err, sizeof err), -1);
    ck_assert_ptr_null(st);
    snprintf(want, sizeof want, "%s: schema version 7", path);
    ck_assert_msg(strstr(err, want) != NULL, "got: %s", err);
    ck_assert_msg(strstr(err, "reads version 2") != NULL, "got: %s", err);
    /* refused untouched: still version 7 and the same single table */
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(q_int(db, "PRAGMA user_version"), 7);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM sqlite_master"), 1);
    /* version 0 with foreign tables: not ours either */
    ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 0", 0, 0, 0), SQLITE_OK);
    sqlite3_close(db);
    ck_assert_int_eq(store_open(&st, path, err, sizeof err), -1);
    ck_assert_msg(strstr(err, path) && strstr(err, "not a qunsim results database"), "got: %s", err);
    rm_db(path);
}
END_TEST

/* A version 1 database (no spells) is upgraded in place on open: each
 * membership becomes its one spell, the views read spells, the data stays. */
START_TEST(test_upgrade_v1)
{
    char path[1024], err[512];
    sqlite3 *db;
    tmp_path(path, sizeof path, "v1");
    rm_db(path);
    store_t *st;
    ck_assert_msg(store_open(&st, path, err, sizeof err) == 0, "%s", err);
    store_close(st);
    /* make it what version 1 wrote: no spells table, no members.spells */
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *q;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'view'", -1, &q, NULL),
                     SQLITE_OK);
    char drops[8192] = "";
    size_t n = 0;
    while (sqlite3_step(q) == SQLITE_ROW)
        n += (size_t)snprintf(drops + n, sizeof drops - n, "DROP VIEW %s;", sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    ck_assert_int_eq(sqlite3_exec(db, drops, 0, 0, 0), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db,
                                  "DROP TABLE spells; ALTER TABLE members DROP COLUMN spells;"
                                  "INSERT INTO runs(run_id, start_ts, utc_offset, days) VALUES (1, 1714492800, 28800, 3);"
                                  "INSERT INTO members(run_id, group_id, member_id, role, source, joined_ts, left_ts)"
                                  " VALUES (1, 1, 7, 'member', 'invite', 1714579200, NULL),"
                                  " (1, 1, 8, 'member', 'seed', 1714492800, 1714579300);"
                                  "PRAGMA user_version = 1;",
                                  0, 0, 0),
                     SQLITE_OK);
    sqlite3_close(db);
    ck_assert_msg(store_open(&st, path, err, sizeof err) == 0, "%s", err);
    db = store_db(st);
    ck_assert_int_eq(q_int(db, "PRAGMA user_version"), 2);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM spells WHERE spell = 0"), 2);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM spells WHERE member_id = 8 AND left_ts = 1714579300"), 1);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM members WHERE spells = 1"), 2);
    /* the views were rebuilt over spells: 7 is a join on day 1, 8 a founder */
    ck_assert_int_eq(q_int(db, "SELECT value FROM v_summary WHERE run_id = 1 AND group_id = 1 AND metric = 'joins'"), 1);
    ck_assert_int_eq(q_int(db, "SELECT value FROM v_summary WHERE run_id = 1 AND group_id = 1 AND metric = 'leaves'"), 1);
    store_close(st);
    rm_db(path);
}
END_TEST

START_TEST(test_not_a_database)
{
    char path[1024], err[512];
    tmp_path(path, sizeof path, "text");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("localId,TalkerId,Type\n1,2,3\nthis is a CSV, not a database, but long enough to be read\n", f);
    fclose(f);
    store_t *st = NULL;
    ck_assert_int_eq(store_open(&st, path, err, sizeof err), -1);
    ck_assert_msg(strstr(err, path) && strstr(err, "not a SQLite database"), "got: %s", err);
    rm_db(path);
}
END_TEST

START_TEST(test_bad_path)
{
    char err[512];
    const char *path = "/nonexistent-qunsim-dir/sub/results.db";
    store_t *st = NULL;
    ck_assert_int_eq(store_open(&st, path, err, sizeof err), -1);
    ck_assert_ptr_null(st);
    ck_assert_msg(strncmp(err, path, strlen(path)) == 0, "message should start with the path: %s", err);
    ck_assert_msg(strstr(err, "cannot open"), "got: %s", err);
    ck_assert_int_eq(store_open(&st, "", err, sizeof err), -1);
    ck_assert_msg(err[0] != '\0', "empty path needs a message");
}
END_TEST

START_TEST(test_run_roundtrip)
{
    char path[1024];
    store_t *st = open_new(path, sizeof path, "roundtrip");
    sqlite3 *db = store_db(st);
    store_batch b = {.kind = "run", .scenario = "reading_club", .scenario_path = "scenarios/reading_club.cfg",
                     .scenario_text = "group: {}", .seed = 42, .reps = 2, .days = 21,
                     .command = "qunsim run scenarios/reading_club.cfg"};
    int64_t batch = 0;
    ck_assert_int_eq(store_batch_add(st, &b, &batch), 0);
    ck_assert_int_eq(batch, 1);
    ck_assert_int_eq(store_point_add(st, batch, 0, ""), 0);
    store_run r = a_run("checkin21", 0);
    r.batch_id = batch;
    int64_t id = write_run(st, &r, 1000);
    ck_assert_int_eq(id, 1);
    ck_assert_int_eq(store_run_span(st, 1714492800, 28800, 21), 0);
    ck_assert_int_eq(store_run_commit(st), 0);

    ck_assert_int_eq(count_run(db, "runs", 1), 1);
    ck_assert_int_eq(count_run(db, "groups", 1), 2);
    ck_assert_int_eq(count_run(db, "members", 1), 3);
    ck_assert_int_eq(count_run(db, "events", 1), 1000);
    ck_assert_int_eq(count_run(db, "daily", 1), 2);
    ck_assert_int_eq(count_run(db, "summary", 1), 2);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM runs WHERE run_id = 1 AND batch_id = 1 AND "
                               "arm = 'checkin21' AND scenario = 'reading_club' AND seed = 42 AND "
                               "source = 'sim' AND utc_offset = 28800 AND days = 21 AND start_ts = 1714492800 AND "
                               "version = '" QS_VERSION "' AND created_at GLOB "
                               "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z'"),
                     1);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM batches WHERE version = '" QS_VERSION
                               "' AND created_at LIKE '____-__-__T__:__:__Z' AND reps = 2"),
                     1);
    /* events: kinds by name, values, in insertion order */
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM events WHERE kind = 'message'"), 1000 / EV_KIND_COUNT + 1);
    ck_assert_int_eq(q_int(db, "SELECT count(DISTINCT kind) FROM events"), EV_KIND_COUNT);
    ck_assert_int_eq(q_int(db, "SELECT sum(ts - 1714400000) FROM events"), 999 * 1000 / 2);
    ck_assert_int_eq(q_int(db, "SELECT CAST(sum(value) * 2 AS INTEGER) FROM events"), 999 * 1000 / 2);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM events WHERE ts = 1714400000 + 11 AND kind = 'join' "
                               "AND group_id = 2 AND member_id = 2"),
                     1);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM groups WHERE group_id = 1 AND name = '读书会一群'"), 1);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM members WHERE member_id = 1 AND role = 'member' AND "
                               "source = 'invite' AND inviter_id = 0 AND name = '小王'"),
                     1);
    ck_assert_int_eq(q_int(db, "SELECT value FROM daily WHERE group_id = 0 AND day = '2024-05-01' AND "
                               "metric = 'active_speakers'"),
                     3);

    /* run ids: auto = max + 1, explicit kept, duplicates refused */
    r = a_run("baseline", 0);
    ck_assert_int_eq(write_run(st, &r, 10), 2);
    ck_assert_int_eq(store_run_commit(st), 0);
    r.run_id = 10;
    ck_assert_int_eq(write_run(st, &r, 10), 10);
    ck_assert_int_eq(store_run_commit(st), 0);
    r.run_id = 0;
    ck_assert_int_eq(write_run(st, &r, 10), 11);
    ck_assert_int_eq(store_run_commit(st), 0);
    r.run_id = 2;
    int64_t got = -7;
    ck_assert_int_eq(store_run_begin(st, &r, &got), -1);
    ck_assert_int_eq(got, -7);
    ck_assert_msg(strstr(store_errmsg(st), "run 2 already exists"), "got: %s", store_errmsg(st));
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM runs"), 4);
    /* writes outside a run are refused with a message */
    ev_rec e = {.ts = 1, .group_id = 1, .kind = EV_MESSAGE, .member_id = 1, .ref_id = -1};
    ck_assert_int_eq(store_event(st, &e), -1);
    ck_assert_msg(strstr(store_errmsg(st), "no run in progress"), "got: %s", store_errmsg(st));
    ck_assert_int_eq(store_run_commit(st), -1);
    store_close(st);
    rm_db(path);
}
END_TEST

START_TEST(test_null_mapping)
{
    char path[1024];
    store_t *st = open_new(path, sizeof path, "nulls");
    sqlite3 *db = store_db(st);
    store_run r = a_run("a", 0);
    int64_t id;
    ck_assert_int_eq(store_run_begin(st, &r, &id), 0);
    ev_member m = {.group_id = 1, .role = ROLE_BOT, .source = SRC_ORGANIC, .member_id = 5,
                   .inviter_id = -1, .joined_ts = 100, .left_ts = -1};
    ck_assert_int_eq(store_member(st, &m, NULL), 0);
    ev_rec e = {.ts = 100, .group_id = 1, .kind = EV_SYSTEM, .member_id = -1, .ref_id = -1, .value = NAN};
    ck_assert_int_eq(store_event(st, &e), 0);
    e.kind = EV_ANSWER, e.member_id = 5, e.ref_id = 0, e.value = 0;
    ck_assert_int_eq(store_event(st, &e), 0);
    ck_assert_int_eq(store_run_commit(st), 0);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM members WHERE member_id = 5 AND inviter_id IS NULL AND "
                               "left_ts IS NULL AND name IS NULL AND role = 'bot' AND source = 'organic'"),
                     1);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM events WHERE kind = 'system' AND member_id IS NULL "
                               "AND ref_id IS NULL AND value IS NULL"),
                     1);
    /* 0 is an id, not absent */
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM events WHERE kind = 'answer' AND member_id = 5 "
                               "AND ref_id = 0 AND value = 0"),
                     1);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM runs WHERE batch_id IS NULL"), 1);
    /* a second store_member updates left_ts and role, keeps the join */
    ck_assert_int_eq(store_run_begin(st, &r, &id), 0);
    m.left_ts = -1, m.joined_ts = 50;
    ck_assert_int_eq(store_member(st, &m, "老李"), 0);
    m.left_ts = 900, m.joined_ts = 70, m.role = ROLE_ADMIN;
    ck_assert_int_eq(store_member(st, &m, NULL), 0);
    ck_assert_int_eq(store_member_left(st, 1, 5, 950), 0);
    ck_assert_int_eq(store_run_commit(st), 0);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM members WHERE run_id = 2 AND member_id = 5 AND "
                               "joined_ts = 50 AND left_ts = 950 AND role = 'admin' AND name = '老李'"),
                     1);
    store_close(st);
    rm_db(path);
}
END_TEST

static void assert_no_trace(sqlite3 *db, int64_t run_id)
{
    static const char *const tables[] = {"runs", "groups", "members", "events", "daily", "summary"};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        ck_assert_msg(count_run(db, tables[i], run_id) == 0, "%s has rows of run %lld", tables[i],
                      (long long)run_id);
}

START_TEST(test_rollback)
{
    char path[1024], err[512];
    store_t *st = open_new(path, sizeof path, "rollback");
    sqlite3 *db = store_db(st);
    store_run r = a_run("a", 0);
    ck_assert_int_eq(write_run(st, &r, 100), 1);
    ck_assert_int_eq(store_run_commit(st), 0);

    /* explicit rollback */
    ck_assert_int_eq(write_run(st, &r, 500), 2);
    store_run_rollback(st);
    assert_no_trace(db, 2);
    store_run_rollback(st); /* no-op */

    /* a failed write rolls back the run at once; later writes and the
     * commit fail, keeping the first message */
    ck_assert_int_eq(write_run(st, &r, 50), 2);
    ck_assert_int_eq(store_daily(st, 1, "2024-05-01", "active_speakers", 9), -1);
    char first[512];
    snprintf(first, sizeof first, "%s", store_errmsg(st));
    ck_assert_msg(strstr(first, path) && strstr(first, "UNIQUE") && strstr(first, "active_speakers"),
                  "got: %s", first);
    assert_no_trace(db, 2);
    ev_rec e = {.ts = 1, .group_id = 1, .kind = EV_MESSAGE, .member_id = 1, .ref_id = -1};
    ck_assert_int_eq(store_event(st, &e), -1);
    ck_assert_str_eq(store_errmsg(st), first);
    ck_assert_int_eq(store_run_commit(st), -1);
    ck_assert_str_eq(store_errmsg(st), first);
    assert_no_trace(db, 2);

    /* bad input fails the run too */
    ck_assert_int_eq(write_run(st, &r, 5), 2);
    e.kind = EV_KIND_COUNT;
    ck_assert_int_eq(store_event(st, &e), -1);
    ck_assert_msg(strstr(store_errmsg(st), "out of range"), "got: %s", store_errmsg(st));
    ck_assert_int_eq(store_member_left(st, 1, 99, 5), -1);
    store_run_rollback(st);
    ck_assert_int_eq(write_run(st, &r, 5), 2);
    ck_assert_int_eq(store_member_left(st, 1, 99, 5), -1);
    ck_assert_msg(strstr(store_errmsg(st), "no member 99"), "got: %s", store_errmsg(st));
    ck_assert_int_eq(store_run_commit(st), -1);
    assert_no_trace(db, 2);

    /* a batch added inside a run goes with it */
    ck_assert_int_eq(write_run(st, &r, 5), 2);
    store_batch b = {.kind = "import", .scenario = "wechatmsg"};
    int64_t bid = 0;
    ck_assert_int_eq(store_batch_add(st, &b, &bid), 0);
    ck_assert_int_eq(q_int(db, "SELECT batch_id FROM runs WHERE run_id = 2"), bid);
    store_run_rollback(st);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM batches"), 0);

    /* closing with a run open rolls it back */
    ck_assert_int_eq(write_run(st, &r, 200), 2);
    store_close(st);
    ck_assert_msg(store_open(&st, path, err, sizeof err) == 0, "%s", err);
    db = store_db(st);
    assert_no_trace(db, 2);
    ck_assert_int_eq(count_run(db, "events", 1), 100);
    ck_assert_int_eq(q_int(db, "SELECT max(run_id) FROM runs"), 1);
    store_close(st);
    rm_db(path);
}
END_TEST

START_TEST(test_run_exists)
{
    char path[1024];
    store_t *st = open_new(path, sizeof path, "exists");
    store_batch b = {.kind = "sweep", .scenario = "x"};
    int64_t batch;
    ck_assert_int_eq(store_batch_add(st, &b, &batch), 0);
    store_run r = a_run("checkin21", 3);
    r.batch_id = batch;
    r.point = 2;
    ck_assert_int_eq(store_run_exists(st, batch, "checkin21", 2, 3), 0);
    write_run(st, &r, 3);
    /* visible to the writing connection before commit; gone after rollback */
    store_run_rollback(st);
    ck_assert_int_eq(store_run_exists(st, batch, "checkin21", 2, 3), 0);
    write_run(st, &r, 3);
    ck_assert_int_eq(store_run_commit(st), 0);
    ck_assert_int_eq(store_run_exists(st, batch, "checkin21", 2, 3), 1);
    ck_assert_int_eq(store_run_exists(st, batch, "checkin21", 2, 4), 0);
    ck_assert_int_eq(store_run_exists(st, batch, "checkin21", 1, 3), 0);
    ck_assert_int_eq(store_run_exists(st, batch, "baseline", 2, 3), 0);
    ck_assert_int_eq(store_run_exists(st, batch + 1, "checkin21", 2, 3), 0);
    r.arm = NULL;
    r.rep = 0;
    write_run(st, &r, 1);
    ck_assert_int_eq(store_run_commit(st), 0);
    ck_assert_int_eq(store_run_exists(st, batch, NULL, 2, 0), 1);
    store_close(st);
    rm_db(path);
}
END_TEST

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

START_TEST(test_locked)
{
    char path[1024], err[512];
    store_t *st = open_new(path, sizeof path, "locked");
    store_run r = a_run("a", 0);
    write_run(st, &r, 10);
    ck_assert_int_eq(store_run_commit(st), 0);
    /* a second connection takes the write lock and keeps it */
    sqlite3 *other;
    ck_assert_int_eq(sqlite3_open(path, &other), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(other, "BEGIN IMMEDIATE; INSERT INTO batches(kind, version, created_at) "
                                         "VALUES ('x', 'x', 'x')", 0, 0, 0),
                     SQLITE_OK);
    ck_assert_int_eq(store_set_busy_timeout(st, 100), 0);
    double t0 = now_s();
    int64_t id;
    ck_assert_int_eq(store_run_begin(st, &r, &id), -1);
    double dt = now_s() - t0;
    /* waited about 100 ms, then gave up: 1.5 s leaves room for a loaded
     * machine and still catches a timeout that was not applied (5 s) */
    ck_assert_msg(dt >= 0.05 && dt < 1.5, "waited %.3f s", dt);
    ck_assert_msg(strstr(store_errmsg(st), path) && strstr(store_errmsg(st), "locked") &&
                      strstr(store_errmsg(st), "100 ms"),
                  "got: %s", store_errmsg(st));
    /* a writer that does not use runs is refused the same way */
    store_batch b = {.kind = "run"};
    ck_assert_int_eq(store_batch_add(st, &b, NULL), -1);
    ck_assert_msg(strstr(store_errmsg(st), "locked"), "got: %s", store_errmsg(st));
    /* opening the locked database still works (WAL: readers never wait),
     * with the timeout from the environment */
    setenv("QS_BUSY_TIMEOUT_MS", "50", 1);
    store_t *st2 = NULL;
    ck_assert_msg(store_open(&st2, path, err, sizeof err) == 0, "%s", err);
    unsetenv("QS_BUSY_TIMEOUT_MS");
    ck_assert_int_eq(store_run_exists(st2, 0, "a", 0, 0), 0);
    t0 = now_s();
    ck_assert_int_eq(store_run_begin(st2, &r, &id), -1);
    ck_assert_msg(now_s() - t0 < 1.5, "waited too long");
    ck_assert_msg(strstr(store_errmsg(st2), "50 ms"), "got: %s", store_errmsg(st2));
    store_close(st2);
    /* the lock released, the same handle writes again */
    ck_assert_int_eq(sqlite3_exec(other, "COMMIT", 0, 0, 0), SQLITE_OK);
    sqlite3_close(other);
    ck_assert_int_eq(write_run(st, &r, 10), 2);
    ck_assert_int_eq(store_run_commit(st), 0);
    store_close(st);
    rm_db(path);
}
END_TEST

START_TEST(test_disk_full)
{
    /* A full disk seen through SQLite is SQLITE_FULL; a page limit on the
     * database produces the same error without filling a real disk. */
    char path[1024], err[512];
    store_t *st = open_new(path, sizeof path, "full");
    store_run r = a_run("a", 0);
    write_run(st, &r, 10);
    ck_assert_int_eq(store_run_commit(st), 0);
    sqlite3 *db = store_db(st);
    int64_t pages = q_int(db, "PRAGMA page_count");
    char sql[100];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)pages + 20);
    q_int(db, sql);
    int64_t id;
    ck_assert_int_eq(store_run_begin(st, &r, &id), 0);
    int failed = 0;
    for (int i = 0; i < 200000 && !failed; i++) {
        ev_rec e = {.ts = i, .group_id = 1, .kind = EV_MESSAGE, .member_id = i, .ref_id = -1, .value = i};
        failed = store_event(st, &e) != 0;
    }
    ck_assert_msg(failed, "the page limit was never hit");
    ck_assert_msg(strstr(store_errmsg(st), path) && strstr(store_errmsg(st), "disk full"), "got: %s",
                  store_errmsg(st));
    ck_assert_int_eq(store_run_commit(st), -1);
    store_close(st);
    ck_assert_msg(store_open(&st, path, err, sizeof err) == 0, "%s", err);
    db = store_db(st);
    assert_no_trace(db, 2);
    ck_assert_int_eq(count_run(db, "events", 1), 10);
    sqlite3_stmt *s;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(s, 0), "ok");
    sqlite3_finalize(s);
    store_close(st);
    rm_db(path);
}
END_TEST

/* Root writes through file permissions; drop the capabilities that allow it
 * (in a child process) so a 0444 file is really read-only. */
static int drop_dac_caps(void)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d)) return -1;
    d[0].effective &= ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH) | (1u << CAP_FOWNER));
    return (int)syscall(SYS_capset, &h, d);
}

START_TEST(test_read_only)
{
    char path[1024];
    store_t *st = open_new(path, sizeof path, "readonly");
    store_close(st);
    ck_assert_int_eq(chmod(path, 0444), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        char err[512];
        store_t *s2 = NULL;
        if (geteuid() == 0 && drop_dac_caps() != 0) _exit(3);
        int rc = store_open(&s2, path, err, sizeof err);
        if (rc == 0) {
            store_close(s2);
            _exit(1);
        }
        _exit(strstr(err, path) && strstr(err, "read-only") ? 0 : 2);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status), "child crashed");
    ck_assert_msg(WEXITSTATUS(status) == 0, "read-only open: child status %d (1 opened, 2 wrong message, "
                                            "3 cannot drop capabilities)", WEXITSTATUS(status));
    chmod(path, 0644);
    rm_db(path);
}
END_TEST

static Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_create_reopen);
    tcase_add_test(tc, test_version_mismatch);
    tcase_add_test(tc, test_upgrade_v1);
    tcase_add_test(tc, test_not_a_database);
    tcase_add_test(tc, test_bad_path);
    tcase_add_test(tc, test_run_roundtrip);
    tcase_add_test(tc, test_null_mapping);
    tcase_add_test(tc, test_rollback);
    tcase_add_test(tc, test_run_exists);
    tcase_add_test(tc, test_locked);
    tcase_add_test(tc, test_disk_full);
    tcase_add_test(tc, test_read_only);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(store_suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
