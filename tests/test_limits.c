/* test_limits.c -- the resource guards (docs/hardening.md): each documented
 * limit stops a runaway input with a clear message instead of exhausting
 * memory.  The engine's pending-event cap; the model's limits.* (members,
 * events, pending events, invitations per day), each hit by a scenario made
 * to run away; a runaway invitation scenario with the default limits,
 * through `qunsim run`, stopping fast with a bounded peak memory; the
 * metrics' memory guard; the scenario file size guard; the importer's cap
 * on groups.  Files under $QS_TMP (else /tmp).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "import.h"
#include "metrics.h"
#include "replica.h"
#include "scenario.h"
#include "sim.h"
#include "store.h"

static int vg; /* under valgrind: skip the big ones */

static void tmp_path(char *buf, size_t n, const char *name)
{
    const char *d = getenv("QS_TMP");
    snprintf(buf, n, "%s/test_limits_%ld_%s", d && *d ? d : "/tmp", (long)getpid(), name);
}

static scenario *load_text(const char *text)
{
    char path[1024], err[1024];
    tmp_path(path, sizeof path, "s.cfg");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    scenario *s = NULL;
    ck_assert_msg(scen_load(&s, path, err, sizeof err) == 0, "%s", err);
    unlink(path);
    return s;
}

/* Run replication 0 of arm 0 without a store; the status, err filled. */
static int run_rep(scenario *s, char *err, size_t n)
{
    met_t *met = NULL;
    err[0] = '\0';
    int rc = rep_run(s, 0, 0, NULL, &met, NULL, err, n);
    met_close(met);
    return rc;
}

static void noop(sim_t *s, const sim_event *ev) { (void)s; (void)ev; }

START_TEST(test_engine_cap)
{
    sim_t *s;
    sim_opts o = {SIM_QUEUE_HEAP, 0, 3};
    ck_assert_int_eq(sim_open(&s, &o), 0);
    for (int i = 0; i < 3; i++) ck_assert_uint_ne(sim_schedule(s, 1.0 + i, 0, noop, NULL, 0, 0, 0), 0);
    ck_assert_uint_eq(sim_schedule(s, 5.0, 0, noop, NULL, 0, 0, 0), 0);
    ck_assert_msg(strstr(sim_errmsg(s), "pending"), "%s", sim_errmsg(s));
    ck_assert_uint_eq(sim_pending(s), 3);
    /* one fires: room for one more */
    ck_assert_uint_eq(sim_run_until(s, 1.5), 1);
    ck_assert_uint_ne(sim_schedule(s, 1.0, 0, noop, NULL, 0, 0, 0), 0);
    /* the setter: the same guard on an open engine (3 pending now) */
    sim_set_max_pending(s, 3);
    ck_assert_uint_eq(sim_schedule(s, 1.0, 0, noop, NULL, 0, 0, 0), 0);
    sim_set_max_pending(s, 0);
    ck_assert_uint_ne(sim_schedule(s, 1.0, 0, noop, NULL, 0, 0, 0), 0);
    sim_close(s);
    /* 0: no limit */
    sim_opts u = {SIM_QUEUE_CALENDAR, 0, 0};
    ck_assert_int_eq(sim_open(&s, &u), 0);
    for (int i = 0; i < 5000; i++) ck_assert_uint_ne(sim_schedule(s, i, 0, noop, NULL, 0, 0, 0), 0);
    sim_close(s);
}
END_TEST

/* A community that keeps gaining members: organic joins at 10,000 a day
 * into one group that members leave at once. */
START_TEST(test_members_cap)
{
    scenario *s = load_text("scenario = { days = 30; };\ngroup = { size = 20; };\n"
                            "joins = { rate = 10000.0; qr_share = 0.0; };\n"
                            "members = { leave_rate = 10.0; engagement_a = 0.01; engagement_b = 100.0; };\n"
                            "limits = { members = 3000; };\n");
    char err[1024];
    ck_assert_int_eq(run_rep(s, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "limits.members") && strstr(err, "3000 members"), "%s", err);
    scen_free(s);
}
END_TEST

START_TEST(test_events_cap)
{
    scenario *s = load_text("scenario = { days = 30; };\ngroup = { size = 100; };\nmembers = { rate_mean = 50.0; };\n"
                            "limits = { events = 20000.0; };\n");
    char err[1024];
    ck_assert_int_eq(run_rep(s, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "limits.events"), "%s", err);
    scen_free(s);
    /* the same scenario within the limit runs */
    s = load_text("scenario = { days = 2; };\ngroup = { size = 20; };\nmembers = { rate_mean = 1.0; };\n"
                  "limits = { events = 20000.0; };\n");
    ck_assert_msg(run_rep(s, err, sizeof err) == 0, "%s", err);
    scen_free(s);
}
END_TEST

/* Invitations are scheduled at the day tick: thousands pending at once. */
START_TEST(test_pending_cap)
{
    scenario *s = load_text("scenario = { days = 5; };\ngroup = { size = 200; };\n"
                            "invites = { mean = 20.0; accept = 0.0; };\nlimits = { pending = 1000; };\n");
    char err[1024];
    ck_assert_int_eq(run_rep(s, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "limits.pending"), "%s", err);
    scen_free(s);
}
END_TEST

START_TEST(test_invites_cap)
{
    scenario *s = load_text("scenario = { days = 30; };\ngroup = { size = 100; };\n"
                            "invites = { mean = 50.0; accept = 0.0; };\nlimits = { invites_per_day = 1000.0; };\n");
    char err[1024];
    ck_assert_int_eq(run_rep(s, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "limits.invites_per_day") && strstr(err, "day 0"), "%s", err);
    scen_free(s);
}
END_TEST

/* The case: invites.mean huge, every invitation accepted, the
 * community overflowing into ever more groups -- with the default limits,
 * through the command line.  It must stop with a message naming the limit,
 * quickly, at a bounded peak memory (about 210 MB measured; the bound is
 * loose for sanitizer builds). */
START_TEST(test_runaway_invites_cli)
{
    const char *bin = getenv("QS_BIN");
    if (!bin || access(bin, X_OK) != 0) return; /* run by scripts/run_tests.sh */
    char cfg[1024], db[1024], out[1024];
    tmp_path(cfg, sizeof cfg, "runaway.cfg");
    tmp_path(db, sizeof db, "runaway.db");
    tmp_path(out, sizeof out, "runaway.err");
    FILE *f = fopen(cfg, "w");
    ck_assert_ptr_nonnull(f);
    fputs("scenario = { name = \"runaway\"; days = 60; reps = 1; };\ngroup = { size = 10; };\n"
          "rules = { overflow = true; max_groups = 100000; };\n"
          "invites = { mean = 100.0; shape = 1.0; incentive = 100.0; accept = 1.0; };\n",
          f);
    fclose(f);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (!freopen(out, "w", stderr) || !freopen("/dev/null", "w", stdout)) _exit(99);
        execl(bin, bin, "run", cfg, "--db", db, "--no-plot", "--threads", "1", "--quiet", (char *)NULL);
        _exit(98);
    }
    int st;
    struct rusage ru;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_int_eq(getrusage(RUSAGE_CHILDREN, &ru), 0); /* the only child waited for */
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    char msg[2048] = "";
    f = fopen(out, "r");
    ck_assert_ptr_nonnull(f);
    size_t k = fread(msg, 1, sizeof msg - 1, f);
    msg[k] = '\0';
    fclose(f);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %d: %s", st, msg);
    ck_assert_msg(strstr(msg, "limit:") && strstr(msg, "limits."), "%s", msg);
    ck_assert_msg(ru.ru_maxrss < 1500L * 1024, "peak memory %ld MB", ru.ru_maxrss / 1024);
    ck_assert_msg(secs < 60, "took %.1f s", secs);
    fprintf(stderr, "runaway invites: stopped in %.1f s, peak %ld MB: %s", secs, ru.ru_maxrss / 1024, msg);
    unlink(cfg);
    unlink(out);
    unlink(db);
    char b[1100];
    snprintf(b, sizeof b, "%s-wal", db);
    unlink(b);
    snprintf(b, sizeof b, "%s-shm", db);
    unlink(b);
}
END_TEST

START_TEST(test_metrics_cap)
{
    met_t *m;
    met_opts o = {1700000000, 8 * 3600, 1000, 0, 10 << 20}; /* 10 MiB */
    ck_assert_int_eq(met_open(&m, &o), 0);
    /* a group takes 1000 days x 176 bytes: about 59 fit beside group 0 */
    int g, failed = 0;
    for (g = 1; g <= 200 && !failed; g++) {
        ev_member mem = {g, ROLE_MEMBER, SRC_SEED, g, -1, 1700000000, -1, 0};
        failed = met_member(m, &mem) != 0;
    }
    ck_assert_msg(failed && g > 40 && g < 70, "failed %d at group %d", failed, g);
    ck_assert_msg(strstr(met_errmsg(m), "memory limit"), "%s", met_errmsg(m));
    met_close(m);
    /* members: one byte per person and membership a day */
    ck_assert_int_eq(met_open(&m, &o), 0);
    failed = 0;
    int i;
    for (i = 0; i < 100000 && !failed; i++) {
        ev_member mem = {1, ROLE_MEMBER, SRC_SEED, i, -1, 1700000000, -1, 0};
        failed = met_member(m, &mem) != 0;
    }
    ck_assert_msg(failed && i < 6000, "failed %d at member %d", failed, i);
    ck_assert_msg(strstr(met_errmsg(m), "memory limit"), "%s", met_errmsg(m));
    met_close(m);
}
END_TEST

START_TEST(test_scenario_size)
{
    char path[1024], err[1024];
    tmp_path(path, sizeof path, "big.cfg");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < SCEN_MAX_BYTES / 16 + 1; i++) fputs("# a long comment\n", f);
    fclose(f);
    scenario *s = NULL;
    ck_assert_int_eq(scen_load(&s, path, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "SCEN_MAX_BYTES"), "%s", err);
    ck_assert_ptr_null(s);
    unlink(path);
    /* a device that never ends: refused before a byte is read */
    ck_assert_int_eq(scen_load(&s, "/dev/zero", err, sizeof err), -1);
    ck_assert_msg(strstr(err, "not a regular file"), "%s", err);
}
END_TEST

/* One new group a row: the import stops at IMP_MAX_GROUPS, as bad input,
 * and writes nothing. */
START_TEST(test_import_groups_cap)
{
    if (vg) return; /* 100,001 rows: minutes under valgrind */
    char log[1024], db[1024], err[1024];
    tmp_path(log, sizeof log, "groups.csv");
    tmp_path(db, sizeof db, "groups.db");
    FILE *f = fopen(log, "w");
    ck_assert_ptr_nonnull(f);
    fputs("ts,group,sender\n", f);
    for (unsigned i = 0; i <= IMP_MAX_GROUPS; i++) fprintf(f, "%u,g%u,u\n", 1714525200u + i, i);
    fclose(f);
    store_t *st;
    ck_assert_msg(store_open(&st, db, err, sizeof err) == 0, "%s", err);
    imp_opts o;
    imp_opts_init(&o);
    o.format = "csv";
    imp_stats s;
    const char *files[1] = {log};
    ck_assert_int_eq(imp_import(st, &o, files, 1, &s, err, sizeof err), IMP_EINPUT);
    ck_assert_msg(strstr(err, "IMP_MAX_GROUPS"), "%s", err);
    store_close(st);
    unlink(log);
    unlink(db);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    vg = getenv("QS_VALGRIND") && *getenv("QS_VALGRIND");
    Suite *s = suite_create("limits");
    TCase *tc = tcase_create("limits");
    tcase_set_timeout(tc, vg ? 300 : 120);
    tcase_add_test(tc, test_engine_cap);
    tcase_add_test(tc, test_members_cap);
    tcase_add_test(tc, test_events_cap);
    tcase_add_test(tc, test_pending_cap);
    tcase_add_test(tc, test_invites_cap);
    tcase_add_test(tc, test_runaway_invites_cli);
    tcase_add_test(tc, test_metrics_cap);
    tcase_add_test(tc, test_scenario_size);
    tcase_add_test(tc, test_import_groups_cap);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
