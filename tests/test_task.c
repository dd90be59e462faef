/* test_task.c -- batch plans (models/task.h): the task order, grids, Latin
 * hypercubes (one sample per stratum of every variable), fixed overrides,
 * the points text and the resume key, and the usage errors.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "task.h"

static const char *reading_club(void)
{
    static char path[1024];
    const char *root = getenv("QS_ROOT");
    snprintf(path, sizeof path, "%s/scenarios/reading_club.cfg", root && root[0] ? root : ".");
    return path;
}

static scenario *load(void)
{
    scenario *s = NULL;
    char err[1024];
    ck_assert_msg(scen_load(&s, reading_club(), err, sizeof err) == 0, "scen_load: %s", err);
    ck_assert_int_ge(s->narms, 2);
    return s;
}

/* A numeric setting of arm a by path (through the settings table). */
static double num(const scenario *s, int a, const char *path)
{
    scen_arm arm = s->arms[a];
    opt_table t[COM_MAX_TABLES];
    int n = com_tables(&arm.com, t, COM_MAX_TABLES);
    double v = NAN;
    ck_assert_msg(opt_get_number(t, n, path, &v) == 0, "no numeric setting %s", path);
    return v;
}

/* 1 if the effective settings text of arm a contains line. */
static int has_line(const scenario *s, int a, const char *line)
{
    char *t = scen_settings_text(s, a);
    ck_assert_ptr_nonnull(t);
    int r = strstr(t, line) != NULL;
    free(t);
    return r;
}

static task_plan *plan_or_fail(scenario *s, task_design d, const char *const *sets, int nsets, int samples)
{
    task_plan *p = NULL;
    char err[1024];
    int arms[2] = {0, 1};
    ck_assert_msg(task_plan_new(&p, s, d, arms, 2, sets, nsets, samples, err, sizeof err) == 0, "plan: %s", err);
    return p;
}

static int plan_error(scenario *s, task_design d, const char *const *sets, int nsets, int samples, char *err,
                      size_t n)
{
    task_plan *p = NULL;
    int arms[2] = {0, 1};
    int rc = task_plan_new(&p, s, d, arms, 2, sets, nsets, samples, err, n);
    task_plan_free(p);
    return rc;
}

START_TEST(test_order)
{
    scenario *s = load();
    s->run.reps = 5;
    const char *sets[] = {"group.size=100,200,300"};
    task_plan *p = plan_or_fail(s, TASK_GRID, sets, 1, 0);
    ck_assert_int_eq(task_npoints(p), 3);
    ck_assert_int_eq(task_narms(p), 2);
    ck_assert_int_eq(task_reps(p), 5);
    ck_assert_int_eq(task_count(p), 30);
    /* documented order: t = (point * reps + rep) * narms + k */
    int64_t t = 0;
    for (int pt = 0; pt < 3; pt++)
        for (int rep = 0; rep < 5; rep++)
            for (int k = 0; k < 2; k++, t++) {
                ck_assert_int_eq(task_index(p, pt, k, rep), t);
                int a, b, c;
                task_decode(p, t, &a, &b, &c);
                ck_assert_int_eq(a, pt);
                ck_assert_int_eq(b, k);
                ck_assert_int_eq(c, rep);
            }
    task_plan_free(p);
    scen_free(s);
}
END_TEST

START_TEST(test_grid)
{
    scenario *s = load();
    const char *sets[] = {"group.size=100,200", "members.rate_mean=1", "operator.hours=[8,20],[9,21],[10,22]"};
    task_plan *p = plan_or_fail(s, TASK_GRID, sets, 3, 0);
    ck_assert_int_eq(task_npoints(p), 6);
    ck_assert_int_eq(task_nvars(p), 3);
    ck_assert(task_var_varied(p, 0) && !task_var_varied(p, 1) && task_var_varied(p, 2));
    /* the first --set varies slowest */
    ck_assert_str_eq(task_value(p, 0, 0), "100");
    ck_assert_str_eq(task_value(p, 2, 0), "100");
    ck_assert_str_eq(task_value(p, 3, 0), "200");
    ck_assert_str_eq(task_value(p, 1, 2), "9,21");
    ck_assert_str_eq(task_value(p, 5, 2), "10,22");
    char *t = task_point_text(p, 4);
    ck_assert_str_eq(t, "group.size=200\nmembers.rate_mean=1\noperator.hours=9,21\n");
    free(t);
    /* the fixed setting went into every arm of the base; the varied did not */
    for (int a = 0; a < s->narms; a++) ck_assert(num(s, a, "members.rate_mean") == 1.0);
    double size0 = num(s, 0, "group.size");
    scenario *w = malloc(sizeof *w);
    char err[512];
    ck_assert_int_eq(task_apply(p, 3, s, w, err, sizeof err), 0);
    for (int a = 0; a < s->narms; a++) {
        ck_assert(num(w, a, "group.size") == 200);
        ck_assert(has_line(w, a, "hours = [8.0, 20.0];"));
    }
    ck_assert_int_eq(task_apply(p, 1, s, w, err, sizeof err), 0);
    ck_assert(has_line(w, 1, "hours = [9.0, 21.0];"));
    ck_assert(num(s, 0, "group.size") == size0); /* the base is untouched */
    free(w);
    task_plan_free(p);
    scen_free(s);
}
END_TEST

START_TEST(test_run_plan)
{
    scenario *s = load();
    /* a run: one point; commas belong to the value; the last of a path wins */
    const char *sets[] = {"operator.hours=7,19", "group.size=120", "group.size=150"};
    task_plan *p = plan_or_fail(s, TASK_RUN, sets, 3, 0);
    ck_assert_int_eq(task_npoints(p), 1);
    ck_assert(num(s, 1, "group.size") == 150);
    ck_assert(has_line(s, 0, "hours = [7.0, 19.0];"));
    char *t = task_point_text(p, 0);
    ck_assert_str_eq(t, "operator.hours=7,19\ngroup.size=150\n");
    free(t);
    task_plan_free(p);
    /* settings checked against each other are applied together */
    const char *pair[] = {"operator.hours=9,13,21", "operator.types=text,prompt,text"};
    p = plan_or_fail(s, TASK_RUN, pair, 2, 0);
    ck_assert(has_line(s, 1, "hours = [9.0, 13.0, 21.0];"));
    task_plan_free(p);
    p = plan_or_fail(s, TASK_RUN, NULL, 0, 0);
    t = task_point_text(p, 0);
    ck_assert_str_eq(t, "");
    free(t);
    task_plan_free(p);
    scen_free(s);
}
END_TEST

START_TEST(test_lhs)
{
    enum { N = 50 };
    scenario *s = load();
    const char *sets[] = {"members.rate_mean=0.5:2.5", "group.size=100:349", "group.admins=3"};
    task_plan *p = plan_or_fail(s, TASK_LHS, sets, 3, N);
    ck_assert_int_eq(task_npoints(p), N);
    ck_assert(!task_var_varied(p, 2));
    /* Latin hypercube: every variable has exactly one sample in each of its N
     * strata; integer strata: 250 values over 50 strata of 5 */
    int hit_r[N] = {0}, hit_s[N] = {0};
    for (int i = 0; i < N; i++) {
        double r = atof(task_value(p, i, 0));
        int sz = atoi(task_value(p, i, 1));
        ck_assert(r >= 0.5 && r <= 2.5);
        ck_assert(sz >= 100 && sz <= 349);
        ck_assert_str_eq(task_value(p, i, 2), "3");
        int sr = (int)floor((r - 0.5) / 2.0 * N), ss = (sz - 100) / 5;
        if (sr == N) sr = N - 1;
        hit_r[sr]++;
        hit_s[ss]++;
    }
    for (int i = 0; i < N; i++) {
        ck_assert_msg(hit_r[i] == 1, "rate stratum %d has %d samples", i, hit_r[i]);
        ck_assert_msg(hit_s[i] == 1, "size stratum %d has %d samples", i, hit_s[i]);
    }
    /* the same seed gives the same design; another seed another */
    scenario *s2 = load();
    task_plan *q = plan_or_fail(s2, TASK_LHS, sets, 3, N);
    for (int i = 0; i < N; i++) ck_assert_str_eq(task_value(p, i, 0), task_value(q, i, 0));
    task_plan_free(q);
    s2->seed += 1;
    q = plan_or_fail(s2, TASK_LHS, sets, 3, N);
    int same = 0;
    for (int i = 0; i < N; i++) same += !strcmp(task_value(p, i, 0), task_value(q, i, 0));
    ck_assert_int_lt(same, N / 2);
    task_plan_free(q);
    scen_free(s2);
    task_plan_free(p);
    scen_free(s);
}
END_TEST

START_TEST(test_key)
{
    scenario *s = load();
    const char *sets[] = {"group.size=100,200"};
    task_plan *p = plan_or_fail(s, TASK_GRID, sets, 1, 0);
    char *k1 = task_plan_key(p, s, "sweep"), *k2 = task_plan_key(p, s, "sweep");
    ck_assert_ptr_nonnull(k1);
    ck_assert_str_eq(k1, k2);
    ck_assert_ptr_nonnull(strstr(k1, "point 1:\ngroup.size=200\n"));
    free(k2);
    /* another seed, more reps or another fixed setting: another key */
    s->seed++;
    k2 = task_plan_key(p, s, "sweep");
    ck_assert_str_ne(k1, k2);
    free(k2);
    s->seed--;
    const char *sets2[] = {"group.size=100,200", "members.rate_mean=1.25"};
    task_plan *q = plan_or_fail(s, TASK_GRID, sets2, 2, 0);
    k2 = task_plan_key(q, s, "sweep");
    ck_assert_str_ne(k1, k2);
    free(k2);
    task_plan_free(q);
    s->run.reps++;
    q = plan_or_fail(s, TASK_GRID, sets, 1, 0);
    k2 = task_plan_key(q, s, "sweep");
    ck_assert_str_ne(k1, k2);
    free(k2);
    task_plan_free(q);
    free(k1);
    task_plan_free(p);
    scen_free(s);
}
END_TEST

START_TEST(test_errors)
{
    scenario *s = load();
    char err[1024];
    const char *bad_value[] = {"group.size=100,-5"};
    ck_assert_int_eq(plan_error(s, TASK_GRID, bad_value, 1, 0, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "group.size"));
    const char *unknown[] = {"group.nope=1,2"};
    ck_assert_int_eq(plan_error(s, TASK_GRID, unknown, 1, 0, err, sizeof err), -1);
    const char *empty[] = {"group.size=100,,200"};
    ck_assert_int_eq(plan_error(s, TASK_GRID, empty, 1, 0, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "empty"));
    const char *unbal[] = {"operator.hours=[8,20"};
    ck_assert_int_eq(plan_error(s, TASK_GRID, unbal, 1, 0, err, sizeof err), -1);
    const char *twice[] = {"group.size=100,200", "group.size=150,250"};
    ck_assert_int_eq(plan_error(s, TASK_GRID, twice, 2, 0, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "twice"));
    const char *days[] = {"scenario.days=7,14"};
    ck_assert_int_eq(plan_error(s, TASK_GRID, days, 1, 0, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "scenario.days"));
    const char *lhs_list[] = {"group.size=100,200"};
    ck_assert_int_eq(plan_error(s, TASK_LHS, lhs_list, 1, 10, err, sizeof err), -1);
    const char *lhs_order[] = {"members.rate_mean=2:1"};
    ck_assert_int_eq(plan_error(s, TASK_LHS, lhs_order, 1, 10, err, sizeof err), -1);
    const char *lhs_int[] = {"group.size=100.5:200"};
    ck_assert_int_eq(plan_error(s, TASK_LHS, lhs_int, 1, 10, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "integer"));
    const char *lhs_bool[] = {"checkin.enabled=0:1"};
    ck_assert_int_eq(plan_error(s, TASK_LHS, lhs_bool, 1, 10, err, sizeof err), -1);
    const char *lhs_bounds[] = {"members.rate_mean=-1:1"};
    ck_assert_int_eq(plan_error(s, TASK_LHS, lhs_bounds, 1, 10, err, sizeof err), -1);
    /* a grid point whose settings do not go together fails at once, named */
    const char *combo[] = {"operator.hours=[8,20],[9,13,21]", "operator.types=[text,prompt],[text,prompt,text]"};
    ck_assert_int_eq(plan_error(s, TASK_GRID, combo, 2, 0, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "point 1") && strstr(err, "operator.hours=8,20"), "%s", err);
    const char *ok[] = {"members.rate_mean=0.5:1"};
    ck_assert_int_eq(plan_error(s, TASK_LHS, ok, 1, 0, err, sizeof err), -1); /* no samples */
    scen_free(s);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("task");
    TCase *tc = tcase_create("plans");
    tcase_add_test(tc, test_order);
    tcase_add_test(tc, test_grid);
    tcase_add_test(tc, test_run_plan);
    tcase_add_test(tc, test_lhs);
    tcase_add_test(tc, test_key);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
