/* test_targets.c -- the `targets` list of scenario files (replay, calibrate):
 * defaults by kind, integer and float tolerances, and clear errors (file,
 * line, setting) for unknown arms, unknown metrics and non-numbers. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "scenario.h"

static char path[512];

static int load_with(const char *targets, scenario **out, char *err, size_t n)
{
    const char *base = getenv("QS_TMP") ? getenv("QS_TMP") : "/tmp";
    snprintf(path, sizeof path, "%s/test_targets.%d.cfg", base, (int)getpid());
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "scenario = { name = \"t\"; days = 5; };\narms = ( { name = \"baseline\"; }, { name = \"b\"; } );\n%s\n", targets);
    fclose(f);
    int rc = scen_load(out, path, err, n);
    unlink(path);
    return rc;
}

START_TEST(defaults_and_numbers)
{
    scenario *s = NULL;
    char err[1024];
    ck_assert_msg(load_with("targets = ( { arm = \"b\"; metric = \"retention_1d\"; reported = 0.5; },\n"
                            "  { arm = \"b\"; metric = \"dau_mean\"; ratio_to = \"baseline\"; reported = 2; tolerance = 1; source = \"x\"; } );",
                            &s, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(s->ntargets, 2);
    ck_assert(!s->targets[0].is_ratio);
    ck_assert_double_eq(s->targets[0].tolerance, 0.03);
    ck_assert(s->targets[1].is_ratio);
    ck_assert_double_eq(s->targets[1].reported, 2.0);
    ck_assert_double_eq(s->targets[1].tolerance, 1.0); /* an integer tolerance is taken, not ignored */
    ck_assert_str_eq(s->targets[1].source, "x");
    scen_free(s);
}
END_TEST

static void expect_error(const char *targets, const char *needle)
{
    scenario *s = NULL;
    char err[1024];
    ck_assert_int_eq(load_with(targets, &s, err, sizeof err), -1);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(err, needle) != NULL, "message \"%s\" lacks \"%s\"", err, needle);
    ck_assert_msg(strstr(err, "test_targets.") != NULL && strstr(err, ":3:") != NULL, "no file:line in \"%s\"", err);
}

START_TEST(errors)
{
    expect_error("targets = ( { arm = \"b\"; metric = \"dau_mean\"; reported = 1.0; tolerance = \"x\"; } );", "targets.[0].tolerance");
    expect_error("targets = ( { arm = \"nope\"; metric = \"dau_mean\"; reported = 1.0; } );", "no arm named \"nope\"");
    expect_error("targets = ( { arm = \"b\"; metric = \"no_such_metric\"; reported = 1.0; } );", "unknown metric");
    expect_error("targets = ( { arm = \"b\"; metric = \"dau_mean\"; } );", "targets.[0].reported");
    expect_error("targets = ( { arm = \"b\"; metric = \"dau_mean\"; reported = 1.0; typo = 1; } );", "targets.[0].typo");
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("targets");
    TCase *tc = tcase_create("targets");
    tcase_add_test(tc, defaults_and_numbers);
    tcase_add_test(tc, errors);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
