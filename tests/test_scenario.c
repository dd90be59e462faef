/* test_scenario.c -- the scenario loader (models/scenario.h): the reading
 * club file, arms and their overrides, the implicit "baseline" arm, arm name
 * errors, syntax and validation errors with FILE:LINE, @include relative to
 * the scenario's directory, start date and UTC offset, scen_set on run and
 * model settings, and the effective-settings text read back as a scenario.
 * Paths: scenarios/ relative to the repo root (make runs tests there; or set
 * QS_ROOT); temporary files under $QS_TMP (else /tmp). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <gsl/gsl_errno.h>

#include "cal.h"
#include "community.h"
#include "opt.h"
#include "scenario.h"

/* ---- helpers -------------------------------------------------------------- */

static char tmpdir[512];

static void setup(void)
{
    const char *base = getenv("QS_TMP") ? getenv("QS_TMP") : "/tmp";
    snprintf(tmpdir, sizeof tmpdir, "%s/test_scenario.XXXXXX", base);
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "test_scenario: could not remove %s\n", tmpdir);
}

static const char *reading_club(void)
{
    static char path[1024];
    const char *root = getenv("QS_ROOT");
    snprintf(path, sizeof path, "%s/scenarios/reading_club.cfg", root && root[0] ? root : ".");
    return path;
}

/* Write text to tmpdir/name (sub-directories created); returns the path
 * (a static buffer per call slot: up to 4 live at once). */
static const char *write_cfg(const char *name, const char *text)
{
    static char paths[4][1024];
    static int slot;
    char *p = paths[slot++ & 3];
    snprintf(p, 1024, "%s/%s", tmpdir, name);
    char *slash = strrchr(p, '/');
    if (slash > p + strlen(tmpdir)) {
        *slash = 0;
        mkdir(p, 0777);
        *slash = '/';
    }
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static scenario *load_ok(const char *path)
{
    scenario *s = NULL;
    char err[1024];
    int rc = scen_load(&s, path, err, sizeof err);
    ck_assert_msg(rc == 0, "scen_load(%s): %s", path, err);
    ck_assert_ptr_nonnull(s);
    return s;
}

/* Load must fail with exactly `want`, where "@" in want stands for path. */
static void load_fails(const char *path, const char *want)
{
    scenario *s = (scenario *)1;
    char err[1024], exp[2048];
    ck_assert_int_eq(scen_load(&s, path, err, sizeof err), -1);
    ck_assert_ptr_null(s);
    size_t k = 0;
    for (const char *w = want; *w && k < sizeof exp - 1; w++) {
        if (*w == '@') k += (size_t)snprintf(exp + k, sizeof exp - k, "%s", path);
        else exp[k++] = *w;
    }
    exp[k] = 0;
    ck_assert_str_eq(err, exp);
}

/* A numeric model setting of arm a by path. */
static double arm_num(scenario *s, int a, const char *path)
{
    opt_table t[COM_MAX_TABLES];
    int nt = com_tables(&s->arms[a].com, t, COM_MAX_TABLES);
    double v;
    ck_assert_msg(opt_get_number(t, nt, path, &v) == 0, "no numeric setting %s", path);
    return v;
}

/* ---- the reading club --------------------------------------------------------- */

START_TEST(reading_club_loads)
{
    /* the structure the issue fixes; the calibrated numbers may change */
    scenario *s = load_ok(reading_club());
    ck_assert_str_eq(s->run.name, "reading_club");
    ck_assert(s->seed == (uint64_t)s->run.seed);
    cal c;
    ck_assert_int_eq(cal_init(&c, s->run.start, s->run.utc_offset), 0);
    ck_assert(s->cal.start_ts == c.start_ts && s->cal.utc_offset == c.utc_offset && s->cal.start_wday == c.start_wday);
    ck_assert_int_eq(s->narms, 2);
    ck_assert_str_eq(s->arms[0].name, "baseline");
    ck_assert_str_eq(s->arms[1].name, "checkin21");
    ck_assert_int_eq(scen_arm_index(s, "checkin21"), 1);
    ck_assert_int_eq(scen_arm_index(s, "nope"), -1);
    ck_assert(arm_num(s, 0, "checkin.enabled") == 0);
    ck_assert(arm_num(s, 1, "checkin.enabled") == 1);
    ck_assert(arm_num(s, 1, "checkin.days") == 21); /* the 21-day plan of the seed text */
    /* the arms differ in exactly one line of their effective settings */
    char *a = scen_settings_text(s, 0), *b = scen_settings_text(s, 1);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    int diff = 0, lines = 0;
    char *sa = NULL, *sb = NULL;
    for (char *la = strtok_r(a, "\n", &sa), *lb = strtok_r(b, "\n", &sb); la || lb;
         la = strtok_r(NULL, "\n", &sa), lb = strtok_r(NULL, "\n", &sb)) {
        ck_assert_msg(la && lb, "settings texts of different length");
        lines++;
        if (strcmp(la, lb)) {
            diff++;
            ck_assert_str_eq(la, "  enabled = false;");
            ck_assert_str_eq(lb, "  enabled = true;");
        }
    }
    ck_assert_int_eq(diff, 1);
    ck_assert_int_gt(lines, 50);
    free(a);
    free(b);
    /* the file's text is kept for the manifest */
    ck_assert_ptr_nonnull(strstr(s->text, "checkin21"));
    scen_free(s);
    scen_free(NULL);
}
END_TEST

/* ---- arms ----------------------------------------------------------------------- */

START_TEST(arm_overrides)
{
    const char *p = write_cfg("arms.cfg",
                              "scenario = { days = 10; };\n"
                              "members = { rate_mean = 2.0; leave_rate = 0.02; };\n"
                              "arms = (\n"
                              "  { name = \"A\"; description = \"control\"; },\n"
                              "  { name = \"B\"; members = { rate_mean = 3.0; }; },\n"
                              "  { name = \"C\"; checkin = { enabled = true; start_day = 2; }; group = { size = 100; }; }\n"
                              ");\n");
    scenario *s = load_ok(p);
    ck_assert_int_eq(s->narms, 3);
    ck_assert_int_eq(s->run.days, 10);
    /* top-level settings reach every arm; an arm's override only that arm */
    for (int a = 0; a < 3; a++) ck_assert(arm_num(s, a, "members.leave_rate") == 0.02);
    ck_assert(arm_num(s, 0, "members.rate_mean") == 2.0);
    ck_assert(arm_num(s, 1, "members.rate_mean") == 3.0);
    ck_assert(arm_num(s, 2, "members.rate_mean") == 2.0);
    ck_assert(arm_num(s, 0, "checkin.enabled") == 0 && arm_num(s, 1, "checkin.enabled") == 0);
    ck_assert(arm_num(s, 2, "checkin.enabled") == 1 && arm_num(s, 2, "checkin.start_day") == 2);
    ck_assert(arm_num(s, 0, "checkin.start_day") == 0);
    ck_assert(arm_num(s, 2, "group.size") == 100 && arm_num(s, 0, "group.size") == 500);
    scen_free(s);
}
END_TEST

START_TEST(no_arms_is_baseline)
{
    const char *p = write_cfg("noarms.cfg", "members = { rate_mean = 2.5; };\n");
    scenario *s = load_ok(p);
    ck_assert_int_eq(s->narms, 1);
    ck_assert_str_eq(s->arms[0].name, "baseline");
    ck_assert(arm_num(s, 0, "members.rate_mean") == 2.5);
    /* run defaults */
    ck_assert_int_eq(s->run.days, 90);
    ck_assert_int_eq(s->run.reps, 20);
    ck_assert(s->seed == 1);
    ck_assert_str_eq(s->run.utc_offset, "+08:00");
    scen_free(s);
    /* an empty file is a valid scenario of defaults */
    s = load_ok(write_cfg("empty.cfg", ""));
    ck_assert_int_eq(s->narms, 1);
    scen_free(s);
}
END_TEST

START_TEST(arm_errors)
{
    load_fails(write_cfg("dup.cfg", "arms = (\n  { name = \"a\"; },\n  { name = \"a\"; }\n);\n"),
               "@:3: setting \"arms.[1].name\": duplicate arm name \"a\"");
    load_fails(write_cfg("emptyname.cfg", "arms = (\n  { name = \"\"; }\n);\n"),
               "@:2: setting \"arms.[0].name\": every arm needs a non-empty name string");
    load_fails(write_cfg("noname.cfg", "arms = ( { description = \"x\"; } );\n"),
               "@:1: setting \"arms.[0].name\": every arm needs a non-empty name string");
    load_fails(write_cfg("numname.cfg", "arms = ( { name = 5; } );\n"),
               "@:1: setting \"arms.[0].name\": every arm needs a non-empty name string");
    load_fails(write_cfg("strarm.cfg", "arms = ( \"a\" );\n"),
               "@:1: setting \"arms.[0].name\": every arm needs a non-empty name string");
    load_fails(write_cfg("nolist.cfg", "\narms = { name = \"a\"; };\n"),
               "@:2: setting \"arms\": expected a list of arm groups ( { name = \"...\"; ... }, ... )");
    load_fails(write_cfg("emptylist.cfg", "arms = ();\n"),
               "@:1: setting \"arms\": expected a list of arm groups ( { name = \"...\"; ... }, ... )");
    /* run settings belong to the whole scenario, not to an arm */
    load_fails(write_cfg("armrun.cfg", "arms = (\n  { name = \"x\";\n    scenario = { days = 3; }; }\n);\n"),
               "@:3: setting \"scenario\": unknown setting group (in arm \"x\")");
    load_fails(write_cfg("armbad.cfg", "arms = (\n  { name = \"x\";\n    members = { rate_mean = -1.0; }; }\n);\n"),
               "@:3: setting \"members.rate_mean\": must be between 0 and 1000 (in arm \"x\")");
}
END_TEST

/* ---- errors with file and line ----------------------------------------------- */

START_TEST(setting_errors)
{
    load_fails(write_cfg("unknown.cfg", "# comment\nmembers = {\n  rate_mean = 1.0;\n  bogus = 2;\n};\n"),
               "@:4: setting \"members.bogus\": unknown setting");
    load_fails(write_cfg("unkgroup.cfg", "memberz = { rate_mean = 1.0; };\n"),
               "@:1: setting \"memberz\": unknown setting group");
    load_fails(write_cfg("type.cfg", "group = {\n  size = \"big\";\n};\n"),
               "@:2: setting \"group.size\": expected an integer, got another type");
    load_fails(write_cfg("range.cfg", "\n\nreplies = { branching = 1.5; };\n"),
               "@:3: setting \"replies.branching\": must be between 0 and 0.99");
    load_fails(write_cfg("days.cfg", "scenario = { days = 0; };\n"),
               "@:1: setting \"scenario.days\": must be between 1 and 3650");
    load_fails(write_cfg("daily.cfg", "cadence = { daily = [1.0, 2.0]; };\n"),
               "@:1: setting \"cadence.daily\": expected exactly 24 numbers, got 2");
}
END_TEST

START_TEST(syntax_error)
{
    scenario *s = (scenario *)1;
    char err[1024], want[1024];
    const char *p = write_cfg("syntax.cfg", "scenario = { days = 5; };\n\nmembers = { rate_mean = ; };\n");
    ck_assert_int_eq(scen_load(&s, p, err, sizeof err), -1);
    ck_assert_ptr_null(s);
    snprintf(want, sizeof want, "%s:3: syntax error", p);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got: %s", err);
    ck_assert_ptr_null(strchr(err, '\n'));
    /* a file that does not exist */
    snprintf(want, sizeof want, "%s/missing.cfg", tmpdir);
    ck_assert_int_eq(scen_load(&s, want, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "missing.cfg"));
    ck_assert_ptr_nonnull(strstr(err, "cannot read"));
}
END_TEST

/* Checks across settings (com_validate) name the setting and its line. */
START_TEST(validation_errors)
{
    load_fails(write_cfg("cap.cfg", "group = {\n  size = 400;\n  cap = 300;\n};\n"),
               "@:2: setting \"group.size\": 400 exceeds group.cap (300)");
    load_fails(write_cfg("ops.cfg", "operator = {\n  hours = [8.0, 12.0, 20.0];\n  types = [\"text\"];\n};\n"),
               "@:3: setting \"operator.types\": 1 types for 3 hours in operator.hours");
    /* in an arm: the arm's line when the named setting is not in the arm */
    load_fails(write_cfg("armcap.cfg", "group = { size = 300; };\narms = (\n  { name = \"a\"; },\n  { name = \"small\"; group = { cap = 100; }; }\n);\n"),
               "@:4: setting \"group.size\": 300 exceeds group.cap (100) (in arm \"small\")");
}
END_TEST

START_TEST(dates)
{
    scenario *s = load_ok(write_cfg("date1.cfg", "scenario = { start = \"2024-02-29\"; utc_offset = \"-05:30\"; };\n"));
    /* 2024-02-29 00:00 at -05:30 = 05:30 UTC that day */
    ck_assert(s->cal.start_ts == 1709164800 + 5 * 3600 + 1800);
    ck_assert_int_eq(s->cal.utc_offset, -(5 * 3600 + 1800));
    ck_assert_int_eq(s->cal.start_wday, 3); /* a Thursday */
    scen_free(s);
    s = load_ok(write_cfg("date2.cfg", "scenario = { utc_offset = \"Z\"; };\n"));
    ck_assert_int_eq(s->cal.utc_offset, 0);
    scen_free(s);
    load_fails(write_cfg("bad1.cfg", "scenario = {\n  start = \"2026-02-30\";\n};\n"),
               "@:2: setting \"scenario.start\": bad date \"2026-02-30\" (want an existing date YYYY-MM-DD, 1970 or later)");
    load_fails(write_cfg("bad2.cfg", "scenario = { start = \"2026-3-2\"; };\n"),
               "@:1: setting \"scenario.start\": bad date \"2026-3-2\" (want an existing date YYYY-MM-DD, 1970 or later)");
    load_fails(write_cfg("bad3.cfg", "scenario = {\n\n  utc_offset = \"+8\";\n};\n"),
               "@:3: setting \"scenario.utc_offset\": bad UTC offset \"+8\" (want +HH:MM or -HH:MM, at most 14 hours)");
    load_fails(write_cfg("bad4.cfg", "scenario = { utc_offset = \"+15:00\"; };\n"),
               "@:1: setting \"scenario.utc_offset\": bad UTC offset \"+15:00\" (want +HH:MM or -HH:MM, at most 14 hours)");
}
END_TEST

/* ---- @include ----------------------------------------------------------------- */

START_TEST(include_relative)
{
    write_cfg("sub/members.inc", "members = {\n  rate_mean = 4.5;\n};\n");
    const char *p = write_cfg("sub/main.cfg", "scenario = { days = 7; };\n@include \"members.inc\"\narms = ( { name = \"x\"; } );\n");
    /* loaded from another working directory than the file's: the include
     * still resolves next to the scenario */
    scenario *s = load_ok(p);
    ck_assert(arm_num(s, 0, "members.rate_mean") == 4.5);
    ck_assert_int_eq(s->run.days, 7);
    scen_free(s);
    /* an error inside the included file names that file (openable from here) and its line */
    char inc[1024];
    snprintf(inc, sizeof inc, "%s/sub/bad.inc", tmpdir);
    write_cfg("sub/bad.inc", "# included\nmembers = {\n  bogus = 1;\n};\n");
    p = write_cfg("sub/main2.cfg", "scenario = { days = 7; };\n@include \"bad.inc\"\n");
    scenario *t = NULL;
    char err[1024], want[1200];
    ck_assert_int_eq(scen_load(&t, p, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:3: setting \"members.bogus\": unknown setting", inc);
    ck_assert_str_eq(err, want);
    /* a syntax error inside the included file, likewise */
    write_cfg("sub/syn.inc", "members = {\n  rate_mean = ;\n};\n");
    p = write_cfg("sub/main3.cfg", "@include \"syn.inc\"\n");
    ck_assert_int_eq(scen_load(&t, p, err, sizeof err), -1);
    snprintf(inc, sizeof inc, "%s/sub/syn.inc:2: syntax error", tmpdir);
    ck_assert_msg(strncmp(err, inc, strlen(inc)) == 0, "got: %s", err);
    /* a missing include is an error naming the scenario */
    p = write_cfg("sub/main4.cfg", "\n@include \"nothere.inc\"\n");
    ck_assert_int_eq(scen_load(&t, p, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "main4.cfg:2"));
    /* ... and the path it tried: next to the scenario */
    snprintf(want, sizeof want, "cannot open %s/sub/nothere.inc: No such file or directory", tmpdir);
    ck_assert_msg(strstr(err, want) != NULL, "got: %s", err);
}
END_TEST

START_TEST(include_absolute)
{
    /* an absolute @include opens (libconfig would join it to the include
     * directory); a relative one beside it still resolves next to the scenario */
    write_cfg("abs/group.inc", "group = { size = 77; };\n"); /* write_cfg makes one directory level */
    write_cfg("abs/lib/members.inc", "members = {\n  rate_mean = 2.5;\n};\n");
    char text[2048], inc[1024], err[1024], want[1300];
    snprintf(inc, sizeof inc, "%s/abs/lib/members.inc", tmpdir);
    snprintf(text, sizeof text, "scenario = { days = 7; };\n  @include \"%s\"\n@include \"group.inc\"\narms = ( { name = \"x\"; } );\n", inc);
    const char *p = write_cfg("abs/main.cfg", text);
    scenario *s = load_ok(p);
    ck_assert(arm_num(s, 0, "members.rate_mean") == 2.5);
    ck_assert(arm_num(s, 0, "group.size") == 77);
    scen_free(s);
    /* an error in it names the file by its absolute path, and the line */
    write_cfg("abs/lib/bad.inc", "\nmembers = { bogus = 1; };\n");
    snprintf(inc, sizeof inc, "%s/abs/lib/bad.inc", tmpdir);
    snprintf(text, sizeof text, "@include \"%s\"\nscenario = { days = 7; };\n", inc);
    p = write_cfg("abs/main2.cfg", text);
    scenario *t = NULL;
    ck_assert_int_eq(scen_load(&t, p, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:2: setting \"members.bogus\": unknown setting", inc);
    ck_assert_str_eq(err, want);
    /* a missing absolute include: the scenario's line and the path tried */
    snprintf(text, sizeof text, "scenario = { days = 7; };\n@include \"%s/abs/none.inc\"\n", tmpdir);
    p = write_cfg("abs/main3.cfg", text);
    ck_assert_int_eq(scen_load(&t, p, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:2: @include \"%s/abs/none.inc\": cannot open %s/abs/none.inc", p, tmpdir, tmpdir);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got: %s", err);
    /* errors in the scenario's own lines still name it (read from memory when rewritten) */
    write_cfg("abs/lib/ok.inc", "group = { size = 50; };\n");
    snprintf(text, sizeof text, "@include \"%s/abs/lib/ok.inc\"\nscenario = { days = 7; };\nmembers = { bogus2 = 1; };\n", tmpdir);
    p = write_cfg("abs/main4.cfg", text);
    ck_assert_int_eq(scen_load(&t, p, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:3: setting \"members.bogus2\"", p);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got: %s", err);
}
END_TEST

/* ---- scen_set ------------------------------------------------------------------- */

START_TEST(set_run_and_model)
{
    scenario *s = load_ok(reading_club());
    char err[512];
    ck_assert_int_eq(scen_set(s, "scenario.days", "14", err, sizeof err), 0);
    ck_assert_int_eq(s->run.days, 14);
    ck_assert_int_eq(scen_set(s, "scenario.seed", "7", err, sizeof err), 0);
    ck_assert(s->seed == 7);
    ck_assert_int_eq(scen_set(s, "scenario.start", "2026-03-09", err, sizeof err), 0);
    ck_assert_int_eq(scen_set(s, "scenario.utc_offset", "+08:00", err, sizeof err), 0);
    ck_assert(s->cal.start_ts == 1772380800 + 7 * 86400); /* 2026-03-09 00:00 at +08:00 */
    ck_assert_int_eq(scen_set(s, "scenario.start", "2026-13-01", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "scenario.start"));
    ck_assert_int_eq(scen_set(s, "scenario.days", "0", err, sizeof err), -1);
    ck_assert_str_eq(err, "setting \"scenario.days\": must be between 1 and 3650");
    /* model settings go to every arm */
    ck_assert_int_eq(scen_set(s, "members.rate_mean", "2.5", err, sizeof err), 0);
    ck_assert(arm_num(s, 0, "members.rate_mean") == 2.5 && arm_num(s, 1, "members.rate_mean") == 2.5);
    ck_assert_int_eq(scen_set(s, "checkin.enabled", "true", err, sizeof err), 0);
    ck_assert(arm_num(s, 0, "checkin.enabled") == 1);
    ck_assert_int_eq(scen_set(s, "members.rate_mean", "-1", err, sizeof err), -1);
    ck_assert_str_eq(err, "setting \"members.rate_mean\": must be between 0 and 1000");
    ck_assert(arm_num(s, 0, "members.rate_mean") == 2.5);
    ck_assert_int_eq(scen_set(s, "members.nope", "1", err, sizeof err), -1);
    ck_assert_str_eq(err, "setting \"members.nope\": unknown setting");
    /* checks across settings apply too */
    ck_assert_int_eq(scen_set(s, "group.size", "300", err, sizeof err), 0);
    ck_assert_int_eq(scen_set(s, "group.cap", "100", err, sizeof err), -1);
    ck_assert_str_eq(err, "setting \"group.size\": 300 exceeds group.cap (100)");
    scen_free(s);
}
END_TEST

/* The effective settings text of an arm, loaded as a scenario, gives the
 * same effective settings (the runs table stores this text). */
START_TEST(settings_text_reloads)
{
    scenario *s = load_ok(reading_club());
    for (int a = 0; a < s->narms; a++) {
        char *text = scen_settings_text(s, a);
        ck_assert_ptr_nonnull(text);
        char name[64];
        snprintf(name, sizeof name, "eff%d.cfg", a);
        scenario *t = load_ok(write_cfg(name, text));
        ck_assert_int_eq(t->narms, 1);
        char *text2 = scen_settings_text(t, 0);
        ck_assert_str_eq(text2, text);
        ck_assert(t->seed == s->seed && t->cal.start_ts == s->cal.start_ts);
        free(text);
        free(text2);
        scen_free(t);
    }
    scen_free(s);
}
END_TEST


/* ---- hostile includes, strings and files (issue 15) ---------------------------- */

/* time limits below are for a native build; valgrind is ~50 times slower */
static double slack(void) { return getenv("QS_VALGRIND") && getenv("QS_VALGRIND")[0] ? 50 : 1; }

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Like load_fails, with "%s" in want standing for the path (want holds
 * '@include'). */
static void load_fails_at(const char *path, const char *fmt)
{
    char want[2048];
    snprintf(want, sizeof want, fmt, path);
    scenario *s = (scenario *)1;
    char err[1024];
    ck_assert_int_eq(scen_load(&s, path, err, sizeof err), -1);
    ck_assert_ptr_null(s);
    ck_assert_str_eq(err, want);
}

/* Ten files of eight includes each (8^9 includes) ran past 25 s; a 10 MB
 * string in an included file took over 40 s.  Both stop at once now. */
START_TEST(include_bombs_are_bounded)
{
    char name[64], text[512];
    for (int i = 0; i < 9; i++) {
        text[0] = 0;
        for (int k = 0; k < 8; k++) {
            char line[64];
            snprintf(line, sizeof line, "@include \"f%d.inc\"\n", i + 1);
            strcat(text, line);
        }
        snprintf(name, sizeof name, "bomb/f%d.inc", i);
        write_cfg(name, text);
    }
    write_cfg("bomb/f9.inc", "# leaf\n");
    const char *p = write_cfg("bomb/top.cfg", "@include \"f0.inc\"\n");
    scenario *s = NULL;
    char err[1024];
    double t0 = now_s();
    ck_assert_int_eq(scen_load(&s, p, err, sizeof err), -1);
    ck_assert_msg(now_s() - t0 < 1.0 * slack(), "include bomb took %.1f s", now_s() - t0);
    ck_assert_msg(strstr(err, "more than 64 includes in all (SCEN_MAX_INCLUDES)"), "%s", err);
    ck_assert_msg(strstr(err, "/bomb/f8.inc:") && strstr(err, ": @include \"f9.inc\": "), "names the file and line: %s", err);

    /* a 10 MB string in an included file: the size of all files together is bounded */
    char big[1024];
    snprintf(big, sizeof big, "%s/bomb/big.inc", tmpdir);
    FILE *f = fopen(big, "w");
    ck_assert_ptr_nonnull(f);
    fputs("scenario = { name = \"", f);
    for (int i = 0; i < 10 * 1024; i++) fprintf(f, "%01024d", 0);
    fputs("\"; };\n", f);
    fclose(f);
    p = write_cfg("bomb/big.cfg", "# a small file\n@include \"big.inc\"\n");
    t0 = now_s();
    ck_assert_int_eq(scen_load(&s, p, err, sizeof err), -1);
    ck_assert_msg(now_s() - t0 < 1.0 * slack(), "10 MB include took %.1f s", now_s() - t0);
    ck_assert_msg(strstr(err, "big.cfg:2: @include \"big.inc\": the scenario and its includes exceed 1048576 bytes"), "%s", err);

    /* each under 1 MiB, together over it (repeats counted) */
    f = fopen(big, "w");
    ck_assert_ptr_nonnull(f);
    fputs("members = { rate_mean = 1.0; };\n", f);
    for (int i = 0; i < 600; i++) fprintf(f, "#%01022d\n", 0);
    fclose(f);
    p = write_cfg("bomb/twice.cfg", "@include \"big.inc\"\n@include \"big.inc\"\n");
    ck_assert_int_eq(scen_load(&s, p, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "twice.cfg:2: @include \"big.inc\"") && strstr(err, "SCEN_MAX_BYTES"), "%s", err);
    p = write_cfg("bomb/once.cfg", "@include \"big.inc\"\n");
    s = load_ok(p); /* once is fine */
    scen_free(s);

    /* a string of 1 MiB in the file itself: refused before libconfig's quadratic scan */
    f = fopen(big, "w");
    ck_assert_ptr_nonnull(f);
    fputs("scenario = {\n name = \"", f);
    for (int i = 0; i < 1000; i++) fprintf(f, "%01000d", 0);
    fputs("\"; };\n", f);
    fclose(f);
    t0 = now_s();
    ck_assert_int_eq(scen_load(&s, big, err, sizeof err), -1);
    ck_assert_msg(now_s() - t0 < 0.2 * slack(), "1 MB string took %.2f s", now_s() - t0);
    ck_assert_msg(strstr(err, "big.inc:2: syntax error: a string longer than 65536 bytes (SCEN_MAX_STRING)"), "%s", err);
}
END_TEST

/* `@include ""` and `"."` ended in flex's "input in flex scanner failed"
 * (and exit(2) inside libconfig); a directory, FIFO or device is refused
 * without reading it; commented-out includes are not followed. */
START_TEST(include_odd_names)
{
    load_fails_at(write_cfg("inc_empty.cfg", "days = 1;\n@include \"\"\n"), "%s:2: @include \"\": no file named");
    const char *p = write_cfg("inc_dot.cfg", "@include \".\"\n");
    char want[1200];
    snprintf(want, sizeof want, "%%s:1: @include \".\": %s/. is not a regular file (a directory, FIFO or device)", tmpdir);
    load_fails_at(p, want);
    char fifo[1024];
    snprintf(fifo, sizeof fifo, "%s/pipe.inc", tmpdir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    p = write_cfg("inc_fifo.cfg", "\n\n@include \"pipe.inc\"\n");
    snprintf(want, sizeof want, "%%s:3: @include \"pipe.inc\": %s is not a regular file (a directory, FIFO or device)", fifo);
    load_fails_at(p, want);
    /* an absolute include is read as it is (include_absolute); a missing one names the path tried */
    p = write_cfg("inc_abs.cfg", "@include \"/nonexistent/qunsim.inc\"\n");
    load_fails_at(p, "%s:1: @include \"/nonexistent/qunsim.inc\": cannot open /nonexistent/qunsim.inc: No such file or directory");
    scenario *s = NULL;
    /* commented out, in a string, or not at a line's start: not an include */
    s = load_ok(write_cfg("inc_comments.cfg", "# @include \"nope\"\n/* \n@include \"nope\"\n*/ // @include \"nope\"\n"
                                              "scenario = { name = \"x\n@include \\\"nope\\\"\"; };\n"));
    ck_assert_str_eq(s->run.name, "x\n@include \"nope\"");
    scen_free(s);
}
END_TEST

/* A FIFO (or a device) named as the scenario blocked; now refused at once. */
START_TEST(scenario_fifo_refused)
{
    char fifo[1024], want[1200];
    snprintf(fifo, sizeof fifo, "%s/pipe.cfg", tmpdir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    snprintf(want, sizeof want, "%s: not a regular file (a directory, FIFO or device): not a scenario file", fifo);
    load_fails(fifo, want);
    load_fails("/dev/null", "/dev/null: not a regular file (a directory, FIFO or device): not a scenario file");
    load_fails(tmpdir, "@: not a regular file (a directory, FIFO or device): not a scenario file");
}
END_TEST

/* A NUL byte in a string was dropped silently; names that are not UTF-8
 * were accepted and printed raw into JSON. */
START_TEST(strings_nul_and_utf8)
{
    load_fails(write_cfg("nul.cfg", "members = { rate_mean = 1.0; };\nscenario = { name = \"a\\x00b\"; };\n"),
               "@:2: syntax error: a NUL byte (\\x00) in a string");
    load_fails(write_cfg("nul_arm.cfg", "arms = (\n  { name = \"a\\x00\"; }\n);\n"), "@:2: syntax error: a NUL byte (\\x00) in a string");
    load_fails(write_cfg("utf8.cfg", "scenario = {\n  name = \"ab\xff\";\n};\n"),
               "@:2: setting \"scenario.name\": not valid UTF-8 (byte 3, 0xFF)");
    load_fails(write_cfg("utf8_arm.cfg", "arms = (\n  { name = \"ok\"; },\n  { name = \"\xe7\xbe\"; }\n);\n"),
               "@:3: setting \"arms.[1].name\": not valid UTF-8 (byte 1, 0xE7)");
    /* an escaped backslash before x00 is not a NUL; Chinese names load */
    scenario *s = load_ok(write_cfg("ok.cfg", "scenario = { name = \"a\\\\x00 读书会\"; };\narms = ( { name = \"打卡21天\"; } );\n"));
    ck_assert_str_eq(s->run.name, "a\\x00 读书会");
    ck_assert_str_eq(s->arms[0].name, "打卡21天");
    char err[256];
    ck_assert_int_eq(scen_set(s, "scenario.name", "x\xff", err, sizeof err), -1);
    ck_assert_msg(strstr(err, "not valid UTF-8"), "%s", err);
    scen_free(s);
}
END_TEST

static Suite *scenario_suite(void)
{
    Suite *s = suite_create("scenario");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, reading_club_loads);
    tcase_add_test(tc, arm_overrides);
    tcase_add_test(tc, no_arms_is_baseline);
    tcase_add_test(tc, arm_errors);
    tcase_add_test(tc, setting_errors);
    tcase_add_test(tc, syntax_error);
    tcase_add_test(tc, validation_errors);
    tcase_add_test(tc, dates);
    tcase_add_test(tc, include_relative);
    tcase_add_test(tc, include_absolute);
    tcase_add_test(tc, set_run_and_model);
    tcase_add_test(tc, settings_text_reloads);
    tcase_add_test(tc, include_bombs_are_bounded);
    tcase_add_test(tc, include_odd_names);
    tcase_add_test(tc, scenario_fifo_refused);
    tcase_add_test(tc, strings_nul_and_utf8);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(scenario_suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
