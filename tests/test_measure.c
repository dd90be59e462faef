/* test_measure.c -- one ruler: a simulated replication measured three ways
 * gives the same numbers: (1) the metrics computed during the run, (2) the
 * stored log read back through msr_run (analysis/measure.h, what `qunsim
 * metrics` does for live and simulated databases alike), (3) the SQL views
 * of analysis/metrics.sql installed in every results database.  Exact for
 * counts; 1e-12 relative for ratios and means (floating-point summation
 * order may differ between C and SQLite). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <sqlite3.h>

#include "measure.h"
#include "replica.h"
#include "scenario.h"
#include "store.h"

static char dbpath[512];

static void setup(void)
{
    const char *base = getenv("QS_TMP") ? getenv("QS_TMP") : "/tmp";
    snprintf(dbpath, sizeof dbpath, "%s/test_measure.%d.db", base, (int)getpid());
    unlink(dbpath);
}

static void teardown(void)
{
    char p[600];
    unlink(dbpath);
    snprintf(p, sizeof p, "%s-wal", dbpath);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", dbpath);
    unlink(p);
}

static int close_enough(double a, double b)
{
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    return a == b || fabs(a - b) <= 1e-12 * fmax(fabs(a), fabs(b));
}

/* the SQL view's summary rows, read once (the view computes every metric) */
typedef struct sqlrow { int g; char metric[64]; double v; } sqlrow;
typedef struct cmp { const met_t *other; sqlrow *rows; int nrows; int n, bad; char first[256]; } cmp;

static int load_view(sqlite3 *db, int64_t run, sqlrow **out)
{
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT group_id, metric, value FROM v_summary WHERE run_id=?", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_int64(st, 1, run);
    int n = 0, cap = 64;
    sqlrow *r = malloc(sizeof *r * (size_t)cap);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n == cap) r = realloc(r, sizeof *r * (size_t)(cap *= 2));
        r[n].g = sqlite3_column_int(st, 0);
        snprintf(r[n].metric, sizeof r[n].metric, "%s", (const char *)sqlite3_column_text(st, 1));
        r[n].v = sqlite3_column_type(st, 2) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 2);
        n++;
    }
    sqlite3_finalize(st);
    *out = r;
    return n;
}

static int check_row(void *arg, int32_t g, int64_t day, const char *metric, double v)
{
    cmp *c = arg;
    double w = NAN;
    if (day < 0) met_get(c->other, g, metric, &w);
    else met_get_daily(c->other, g, day, metric, &w);
    c->n++;
    if (!close_enough(v, w) && !c->bad++)
        snprintf(c->first, sizeof c->first, "group %d day %lld %s: %.17g vs %.17g", g, (long long)day, metric, v, w);
    if (day < 0) { /* the SQL view */
        double s = NAN;
        int found = 0;
        for (int k = 0; k < c->nrows; k++)
            if (c->rows[k].g == g && !strcmp(c->rows[k].metric, metric)) { s = c->rows[k].v; found = 1; }
        if ((!found || !close_enough(v, s)) && !c->bad++)
            snprintf(c->first, sizeof c->first, "SQL view: group %d %s: %.17g vs %.17g%s", g, metric, v, s, found ? "" : " (missing)");
    }
    return 0;
}

static void three_ways(const char *file, const char *const *sets, int arm)
{
    char path[1024], err[1024];
    const char *root = getenv("QS_ROOT");
    snprintf(path, sizeof path, "%s/scenarios/%s", root && root[0] ? root : ".", file);
    scenario *sc = NULL;
    ck_assert_msg(scen_load(&sc, path, err, sizeof err) == 0, "%s", err);
    for (int i = 0; sets && sets[i]; i += 2) ck_assert_msg(scen_set(sc, sets[i], sets[i + 1], err, sizeof err) == 0, "%s", err);
    store_t *st = NULL;
    ck_assert_msg(store_open(&st, dbpath, err, sizeof err) == 0, "%s", err);
    int64_t batch;
    store_batch b = {"run", sc->run.name, path, sc->text, (int64_t)sc->seed, 1, sc->run.days, "test"};
    ck_assert_int_eq(store_batch_add(st, &b, &batch), 0);
    rep_opts o;
    memset(&o, 0, sizeof o);
    o.store = st;
    o.store_events = 1;
    o.batch_id = batch;
    met_t *live = NULL;
    ck_assert_msg(rep_run(sc, arm, 0, &o, &live, NULL, err, sizeof err) == 0, "%s", err);
    store_close(st);

    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    int64_t run = 0;
    sqlite3_stmt *q;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT max(run_id) FROM runs", -1, &q, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
    run = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    met_t *back = NULL;
    msr_opts mo = {0, NULL, NULL, 0};
    ck_assert_msg(msr_run(db, run, &mo, &back, NULL, err, sizeof err) == 0, "%s", err);
    cmp c = {back, NULL, 0, 0, 0, ""};
    c.nrows = load_view(db, run, &c.rows);
    met_emit(live, check_row, &c);
    free(c.rows);
    ck_assert_msg(c.bad == 0, "%s: %d of %d values differ; first: %s", file, c.bad, c.n, c.first);
    ck_assert_int_gt(c.n, 100);
    met_close(back);
    met_close(live);
    sqlite3_close(db);
    scen_free(sc);
}

START_TEST(reading_club_both_arms)
{
    three_ways("reading_club.cfg", NULL, 0);
    three_ways("reading_club.cfg", NULL, 1);
}
END_TEST

/* several groups (overflow), invites, questions with linked answers, campaigns */
START_TEST(community_many_mechanisms)
{
    static const char *const sets[] = {"scenario.days", "35", "contest.enabled", "true", "quiz.enabled", "true",
                                       "groupbuy.enabled", "true", "invites.mean", "0.05", NULL};
    three_ways("community.cfg", sets, 0);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("measure");
    TCase *tc = tcase_create("one ruler");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, reading_club_both_arms);
    tcase_add_test(tc, community_many_mechanisms);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
