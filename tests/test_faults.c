/* test_faults.c -- fault injection sweeps (tests/fault/fault.h): a small
 * `qunsim run` (two arms x two replications of a tiny scenario, through the
 * library entry points the CLI uses: scen_load, task_plan_new, store_open,
 * bdb_create, batch_run) and a small `qunsim import` are repeated with the
 * Nth allocation failing (once, or from then on), and with the Nth write or
 * sync of the database failing (an I/O error once, or a full disk from then
 * on).  For every N the outcome must be success or a clean error (-1 with a
 * message), nothing leaked (the wrapped allocator's count of live blocks,
 * plus ASan or valgrind when the suite runs under them), and the database,
 * reopened without faults, passes PRAGMA integrity_check and holds only
 * whole runs: each run in it equal, table by table, to the same run of a
 * fault-free reference; an import that failed left no run and no batch.
 * N sweeps all of the first allocations/writes and then a stride over the
 * rest; QS_VALGRIND shrinks the sweeps.  Files under $QS_TMP (else /tmp).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <sqlite3.h>

#include "batch.h"
#include "batchdb.h"
#include "fault/fault.h"
#include "import.h"
#include "scenario.h"
#include "store.h"
#include "task.h"

static char dir[512], scen_path[600], log_path[600], ref_run[600], ref_imp[600], db_path[600];
static int vg; /* under valgrind: smaller sweeps */

static const char scen_text[] =
    "scenario = { name = \"tiny\"; days = 3; reps = 2; seed = 11; events = true; };\n"
    "group = { size = 8; admins = 1; };\n"
    "members = { rate_mean = 3.0; };\n"
    "joins = { rate = 2.0; };\n"
    "invites = { mean = 0.5; };\n"
    "arms = ( { name = \"baseline\"; }, { name = \"checkin\"; checkin = { enabled = true; }; } );\n";

static const char log_text[] =
    "ts,group,sender,name,kind,inviter,text,id\n"
    "2024-05-01 09:00,g1,u1,owner,,,hello everyone,1\n"
    "2024-05-01 09:01,g1,u2,,join,u1,,2\n"
    "2024-05-01 09:02,g1,u2,new,,,what time does it start?,3\n"
    "2024-05-01 09:02,g1,u2,new,,,what time does it start?,3\n"
    "2024-05-01 09:05,g1,u1,owner,,,at eight,4\n"
    "2024-05-02 10:00,g2,u3,other,,,打卡 day 1,5\n"
    "2024-05-02 10:01,g2,u1,owner,,,@所有人 notice,6\n"
    "2024-05-03 11:00,g1,u2,new,leave,,,7\n"
    "bad time,g1,u2,,,,,8\n";

static void rm_db(const char *p)
{
    char b[700];
    unlink(p);
    snprintf(b, sizeof b, "%s-wal", p);
    unlink(b);
    snprintf(b, sizeof b, "%s-shm", p);
    unlink(b);
    snprintf(b, sizeof b, "%s-journal", p);
    unlink(b);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* ---- the two workloads --------------------------------------------------- */

typedef struct point_ctx { const task_plan *p; } point_ctx;
static char *point_cb(void *ctx, int point) { return task_point_text(((point_ctx *)ctx)->p, point); }

/* `qunsim run SCENARIO --db DB --threads N`, as exp_main does it.  0, or -1
 * with a message in err. */
static int do_run(const char *db, int threads, char *err, size_t n)
{
    scenario *s = NULL;
    task_plan *plan = NULL;
    store_t *st = NULL;
    char *key = NULL;
    int rc = -1;
    err[0] = '\0';
    if (scen_load(&s, scen_path, err, n)) goto out;
    int arms[SCEN_MAX_ARMS];
    for (int k = 0; k < s->narms; k++) arms[k] = k;
    if (task_plan_new(&plan, s, TASK_RUN, arms, s->narms, NULL, 0, 0, err, n)) goto out;
    if (store_open(&st, db, err, n)) goto out;
    if (!(key = task_plan_key(plan, s, "run"))) {
        snprintf(err, n, "out of memory");
        goto out;
    }
    batch_opts bo;
    memset(&bo, 0, sizeof bo);
    bo.sc = s;
    bo.plan = plan;
    bo.store = st;
    bo.store_events = s->run.events;
    bo.threads = threads;
    store_batch b = {"run", s->run.name, scen_path, s->text, (int64_t)s->seed, task_reps(plan), s->run.days, "test"};
    point_ctx pc = {plan};
    if (bdb_create(st, &b, task_npoints(plan), point_cb, &pc, task_count(plan), key, &bo.db, err, n)) goto out;
    batch_result res;
    if (batch_run(&bo, &res, err, n)) goto out;
    if (res.done != task_count(plan)) {
        snprintf(err, n, "only %lld of %lld tasks done", (long long)res.done, (long long)task_count(plan));
        goto out;
    }
    rc = 0;
out:
    free(key);
    store_close(st);
    task_plan_free(plan);
    scen_free(s);
    return rc;
}

/* `qunsim import csv LOG --db DB`.  0, or -1 with a message. */
static int do_import(const char *db, char *err, size_t n)
{
    store_t *st = NULL;
    err[0] = '\0';
    if (store_open(&st, db, err, n)) return -1;
    imp_opts o;
    imp_opts_init(&o);
    o.format = "csv";
    imp_stats s;
    const char *files[1] = {log_path};
    int rc = imp_import(st, &o, files, 1, &s, err, n);
    store_close(st);
    return rc ? -1 : 0;
}

/* ---- checking a database ------------------------------------------------- */

static char *q_text(sqlite3 *db, const char *sql, int64_t run)
{
    sqlite3_stmt *s = NULL;
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    if (run >= 0) sqlite3_bind_int64(s, 1, run);
    size_t cap = 256, len = 0;
    char *out = malloc(cap);
    out[0] = '\0';
    while (sqlite3_step(s) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(s); c++) {
            const char *v = (const char *)sqlite3_column_text(s, c);
            size_t k = strlen(v ? v : "NULL") + 2;
            if (len + k + 1 > cap) {
                cap = 2 * (len + k + 1);
                out = realloc(out, cap);
            }
            len += (size_t)snprintf(out + len, cap - len, "%s%c", v ? v : "NULL", c + 1 < sqlite3_column_count(s) ? '|' : '\n');
        }
    }
    sqlite3_finalize(s);
    return out;
}

/* A digest of one run: its rows in every table, in rowid order. */
static char *run_digest(sqlite3 *db, int64_t run)
{
    static const char *const q[] = {
        "SELECT run_id, batch_id, scenario, arm, point, rep, seed, settings, source, start_ts, utc_offset, days "
        "FROM runs WHERE run_id = ?1",
        "SELECT group_id, name FROM groups WHERE run_id = ?1 ORDER BY rowid",
        "SELECT group_id, member_id, role, source, inviter_id, joined_ts, left_ts, name FROM members "
        "WHERE run_id = ?1 ORDER BY rowid",
        "SELECT group_id, ts, member_id, kind, ref_id, value FROM events WHERE run_id = ?1 ORDER BY rowid",
        "SELECT group_id, day, metric, value FROM daily WHERE run_id = ?1 ORDER BY rowid",
        "SELECT group_id, metric, value FROM summary WHERE run_id = ?1 ORDER BY rowid",
    };
    size_t cap = 1, len = 0;
    char *all = calloc(1, 1);
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        char *t = q_text(db, q[i], run);
        size_t k = strlen(t);
        all = realloc(all, cap + k + 2);
        cap += k + 2;
        memcpy(all + len, t, k);
        len += k;
        all[len++] = '#';
        all[len] = '\0';
        free(t);
    }
    return all;
}

typedef struct ref {
    int nruns;
    int64_t ids[16];
    char *digest[16];
} ref;

static ref ref_run_db, ref_imp_db;

static sqlite3 *open_plain(const char *path)
{
    sqlite3 *db = NULL;
    ck_assert_msg(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK, "%s: %s", path,
                  db ? sqlite3_errmsg(db) : "?");
    return db;
}

static void load_ref(ref *r, const char *path)
{
    sqlite3 *db = open_plain(path);
    sqlite3_stmt *s;
    ck_assert(sqlite3_prepare_v2(db, "SELECT run_id FROM runs ORDER BY run_id", -1, &s, NULL) == SQLITE_OK);
    r->nruns = 0;
    while (sqlite3_step(s) == SQLITE_ROW && r->nruns < 16) {
        r->ids[r->nruns] = sqlite3_column_int64(s, 0);
        r->digest[r->nruns] = run_digest(db, r->ids[r->nruns]);
        r->nruns++;
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
}

/* The database at db_path after an attempt that returned rc: intact, and
 * only whole runs of the reference; all of them if rc == 0; none if an
 * import failed. */
static void check_db(const ref *r, int rc, int is_import, const char *what, long n)
{
    if (access(db_path, F_OK) != 0) {
        ck_assert_msg(rc != 0, "%s N=%ld: success but no database", what, n);
        return;
    }
    sqlite3 *db = open_plain(db_path);
    char *ic = q_text(db, "PRAGMA integrity_check", -1);
    /* a file that never got its schema (failed at creation) reads as empty */
    ck_assert_msg(!strcmp(ic, "ok\n"), "%s N=%ld: integrity_check: %s", what, n, ic);
    free(ic);
    sqlite3_stmt *s;
    int has_runs = sqlite3_prepare_v2(db, "SELECT run_id FROM runs ORDER BY run_id", -1, &s, NULL) == SQLITE_OK;
    int nruns = 0;
    while (has_runs && sqlite3_step(s) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(s, 0);
        int k = 0;
        while (k < r->nruns && r->ids[k] != id) k++;
        ck_assert_msg(k < r->nruns, "%s N=%ld: run %lld is not a run of the reference", what, n, (long long)id);
        char *d = run_digest(db, id);
        ck_assert_msg(!strcmp(d, r->digest[k]), "%s N=%ld: run %lld differs from the reference (a partial run?)",
                      what, n, (long long)id);
        free(d);
        nruns++;
    }
    if (has_runs) sqlite3_finalize(s);
    if (rc == 0) ck_assert_msg(nruns == r->nruns, "%s N=%ld: success with %d of %d runs", what, n, nruns, r->nruns);
    if (is_import && rc != 0) {
        ck_assert_msg(nruns == 0, "%s N=%ld: a failed import left a run", what, n);
        sqlite3_stmt *b;
        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM batches", -1, &b, NULL) == SQLITE_OK) {
            ck_assert(sqlite3_step(b) == SQLITE_ROW);
            ck_assert_msg(sqlite3_column_int64(b, 0) == 0, "%s N=%ld: a failed import left a batch", what, n);
            sqlite3_finalize(b);
        }
    }
    sqlite3_close(db);
}

/* ---- the sweeps ------------------------------------------------------------ */

enum { W_RUN, W_RUN2, W_IMPORT };
enum { F_ALLOC, F_ALLOC_PERSIST, F_SQLITE_ALLOC, F_IO, F_IO_FULL };

static int attempt(int w, char *err, size_t n)
{
    rm_db(db_path);
    return w == W_IMPORT ? do_import(db_path, err, n) : do_run(db_path, w == W_RUN2 ? 2 : 1, err, n);
}

/* The Ns to try out of total operations: every one of the first `head`,
 * then evenly spaced so that about `budget` are tried in all. */
static long next_n(long n, long total, long head, long budget)
{
    if (n < head) return n + 1;
    long stride = budget > head ? (total - head) / (budget - head) : total;
    if (stride < 1) stride = 1;
    return n + stride;
}

static void sweep(int w, int f, long head, long budget, int *nfail, int *nok)
{
    static const char *const wname[] = {"run", "run --threads 2", "import"};
    static const char *const fname[] = {"alloc", "alloc persistent", "sqlite alloc", "io", "io disk-full"};
    static const int which[] = {FAULT_LIB, FAULT_ALL, FAULT_SQLITE, 0, 0};
    char msgs[3][160];
    int nmsgs = 0;
    char what[64], err[2048];
    snprintf(what, sizeof what, "%s / %s", wname[w], fname[f]);
    const ref *r = w == W_IMPORT ? &ref_imp_db : &ref_run_db;
    int io = f >= F_IO;
    /* how many operations a clean attempt makes */
    long live0 = fault_alloc_live();
    if (io) fault_io_arm(0, 0, 0);
    else fault_alloc_arm(0, 0, which[f]);
    ck_assert_msg(attempt(w, err, sizeof err) == 0, "%s: clean attempt failed: %s", what, err);
    long total = io ? fault_io_calls() : fault_alloc_calls();
    ck_assert_msg(total > 0, "%s: nothing counted", what);
    ck_assert_msg(fault_alloc_live() == live0, "%s: clean attempt leaked %ld blocks", what, fault_alloc_live() - live0);
    if (vg) budget = budget / 8 + 4;
    *nfail = *nok = 0;
    for (long n = 1; n <= total + 1; n = next_n(n, total, head, budget)) {
        if (io) fault_io_arm(n, f == F_IO_FULL, f == F_IO_FULL);
        else fault_alloc_arm(n, f == F_ALLOC_PERSIST, which[f]);
        int rc = attempt(w, err, sizeof err);
        long fired = io ? fault_io_fired() : fault_alloc_fired();
        fault_io_arm(0, 0, 0);
        fault_alloc_arm(0, 0, 0);
        ck_assert_msg(rc == 0 || rc == -1, "%s N=%ld: status %d", what, n, rc);
        ck_assert_msg(rc == 0 || err[0], "%s N=%ld: failed without a message", what, n);
        /* with threads the Nth allocation may come later in another order */
        if (!fired && w != W_RUN2) ck_assert_msg(rc == 0, "%s N=%ld: failed though nothing was injected: %s", what, n, err);
        ck_assert_msg(fault_alloc_live() == live0, "%s N=%ld: %ld blocks leaked (%s)", what, n,
                      fault_alloc_live() - live0, rc ? err : "success");
        check_db(r, rc, w == W_IMPORT, what, n);
        if (rc) (*nfail)++;
        else (*nok)++;
        /* a few of the messages, for the log (without the file's directory) */
        const char *m = strstr(err, dir) ? strstr(err, dir) + strlen(dir) + 1 : err;
        int seen = !rc;
        for (int i = 0; i < nmsgs; i++) seen |= !strncmp(msgs[i], m, 40);
        if (!seen && nmsgs < 3) snprintf(msgs[nmsgs++], sizeof msgs[0], "%.150s", m);
    }
    fprintf(stderr, "faults: %-28s %5ld operations, %3d tried: %3d clean errors, %3d successes\n", what, total,
            *nfail + *nok, *nfail, *nok);
    for (int i = 0; i < nmsgs; i++) fprintf(stderr, "    e.g. %s\n", msgs[i]);
}

static void sweep_test(int w, int f, long head, long budget)
{
    int nfail, nok;
    sweep(w, f, head, budget, &nfail, &nok);
    /* the sweep must have reached the failure paths */
    ck_assert_msg(nfail > 0, "no attempt failed");
}

START_TEST(test_run_alloc) { sweep_test(W_RUN, F_ALLOC, 150, 300); }
END_TEST
START_TEST(test_run_sqlite_alloc) { sweep_test(W_RUN, F_SQLITE_ALLOC, 40, 120); }
END_TEST
START_TEST(test_run_alloc_persist) { sweep_test(W_RUN, F_ALLOC_PERSIST, 60, 120); }
END_TEST
START_TEST(test_run_io) { sweep_test(W_RUN, F_IO, 60, 140); }
END_TEST
START_TEST(test_run_io_full) { sweep_test(W_RUN, F_IO_FULL, 40, 80); }
END_TEST
START_TEST(test_run_threads_alloc) { sweep_test(W_RUN2, F_ALLOC, 10, 40); }
END_TEST
START_TEST(test_import_alloc) { sweep_test(W_IMPORT, F_ALLOC, 150, 220); }
END_TEST
START_TEST(test_import_sqlite_alloc) { sweep_test(W_IMPORT, F_SQLITE_ALLOC, 40, 100); }
END_TEST
START_TEST(test_import_alloc_persist) { sweep_test(W_IMPORT, F_ALLOC_PERSIST, 40, 80); }
END_TEST
START_TEST(test_import_io) { sweep_test(W_IMPORT, F_IO, 60, 100); }
END_TEST
START_TEST(test_import_io_full) { sweep_test(W_IMPORT, F_IO_FULL, 40, 60); }
END_TEST

/* The shim and the wrappers themselves: a failed allocation is seen as
 * NULL, a failed write as an error of the store. */
START_TEST(test_hooks)
{
    fault_alloc_arm(2, 0, FAULT_LIB);
    void *a = malloc(8), *b = malloc(8), *c = malloc(8);
    fault_alloc_arm(0, 0, 0);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_null(b);
    ck_assert_ptr_nonnull(c);
    free(a);
    free(c);
    char err[1024];
    rm_db(db_path);
    fault_io_arm(1, 1, 1);
    store_t *st = NULL;
    int rc = store_open(&st, db_path, err, sizeof err);
    long fired = fault_io_fired();
    fault_io_arm(0, 0, 0);
    ck_assert_int_eq(rc, -1);
    ck_assert_int_gt(fired, 0);
    ck_assert_msg(strstr(err, "disk full"), "%s", err);
    store_close(st);
}
END_TEST

static void setup_files(void)
{
    const char *t = getenv("QS_TMP");
    snprintf(dir, sizeof dir, "%s", t && *t ? t : "/tmp");
    long pid = (long)getpid();
    snprintf(scen_path, sizeof scen_path, "%s/faults_%ld.cfg", dir, pid);
    snprintf(log_path, sizeof log_path, "%s/faults_%ld.csv", dir, pid);
    snprintf(ref_run, sizeof ref_run, "%s/faults_%ld_ref_run.db", dir, pid);
    snprintf(ref_imp, sizeof ref_imp, "%s/faults_%ld_ref_imp.db", dir, pid);
    snprintf(db_path, sizeof db_path, "%s/faults_%ld.db", dir, pid);
    write_text(scen_path, scen_text);
    write_text(log_path, log_text);
    char err[2048];
    rm_db(ref_run);
    rm_db(ref_imp);
    ck_assert_msg(do_run(ref_run, 1, err, sizeof err) == 0, "reference run: %s", err);
    ck_assert_msg(do_import(ref_imp, err, sizeof err) == 0, "reference import: %s", err);
    load_ref(&ref_run_db, ref_run);
    load_ref(&ref_imp_db, ref_imp);
}

int main(void)
{
    gsl_set_error_handler_off();
    if (fault_sqlite_install() || fault_vfs_install()) {
        fprintf(stderr, "test_faults: cannot install the SQLite hooks\n");
        return EXIT_FAILURE;
    }
    vg = getenv("QS_VALGRIND") && *getenv("QS_VALGRIND");
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("sweeps");
    tcase_set_timeout(tc, vg ? 600 : 120);
    /* in the parent, once: the scenario, the log, the references */
    tcase_add_unchecked_fixture(tc, setup_files, NULL);
    tcase_add_test(tc, test_hooks);
    tcase_add_test(tc, test_run_alloc);
    tcase_add_test(tc, test_run_alloc_persist);
    tcase_add_test(tc, test_run_sqlite_alloc);
    tcase_add_test(tc, test_run_io);
    tcase_add_test(tc, test_run_io_full);
    tcase_add_test(tc, test_run_threads_alloc);
    tcase_add_test(tc, test_import_alloc);
    tcase_add_test(tc, test_import_alloc_persist);
    tcase_add_test(tc, test_import_sqlite_alloc);
    tcase_add_test(tc, test_import_io);
    tcase_add_test(tc, test_import_io_full);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    rm_db(ref_run);
    rm_db(ref_imp);
    rm_db(db_path);
    unlink(scen_path);
    unlink(log_path);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
