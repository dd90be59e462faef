/* test_cli.c -- the qunsim binary, driven as a user would: --help and
 * --version, exit status 2 for usage and scenario errors (with exactly one
 * line on stderr naming file, line and setting), `check`, `run` twice with
 * the same seed giving byte-identical output (and a different seed not),
 * thread count not changing results, the results database (a runs row per
 * arm x replication), valid JSON and CSV (also for names with quotes,
 * commas, backslashes and Chinese), and exit status 1 when --out cannot be
 * created.  The binary: $QS_BIN (set by scripts/run_tests.sh), else
 * build/qunsim.  Temporary files under $QS_TMP (else /tmp). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "metinfo.h"

#include <sqlite3.h>

extern char **environ;

/* ---- helpers -------------------------------------------------------------- */

static char tmpdir[512];

static void setup(void)
{
    const char *base = getenv("QS_TMP") ? getenv("QS_TMP") : "/tmp";
    snprintf(tmpdir, sizeof tmpdir, "%s/test_cli.XXXXXX", base);
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "test_cli: could not remove %s\n", tmpdir);
}

static const char *qs_bin(void)
{
    const char *b = getenv("QS_BIN");
    return b && b[0] ? b : "build/qunsim";
}

static const char *reading_club(void)
{
    static char path[1024];
    const char *root = getenv("QS_ROOT");
    snprintf(path, sizeof path, "%s/scenarios/reading_club.cfg", root && root[0] ? root : ".");
    return path;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return calloc(1, 1);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(b);
    size_t k = fread(b, 1, (size_t)n, f);
    b[k] = 0;
    fclose(f);
    return b;
}

typedef struct result {
    int status; /* exit status, or 128 + signal */
    char *out, *err;
} result;

static void res_free(result *r)
{
    free(r->out);
    free(r->err);
}

/* Run qunsim with the arguments (NULL-terminated), stdout and stderr to files. */
static result run_args(const char *const *args)
{
    const char *argv[64];
    int n = 0;
    argv[n++] = qs_bin();
    for (int i = 0; args[i]; i++) {
        ck_assert_int_lt(n, 62);
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    char out[600], err[600];
    snprintf(out, sizeof out, "%s/.stdout", tmpdir);
    snprintf(err, sizeof err, "%s/.stderr", tmpdir);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    ck_assert_msg(rc == 0, "cannot run %s: %s (set QS_BIN)", argv[0], strerror(rc));
    int st;
    while (waitpid(pid, &st, 0) < 0) ck_assert_int_eq(errno, EINTR);
    result r;
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
}

#define RUN(...) run_args((const char *const[]){__VA_ARGS__, NULL})

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

static const char *write_file(const char *name, const char *text)
{
    static char paths[4][1024];
    static int slot;
    char *p = paths[slot++ & 3];
    snprintf(p, 1024, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static const char *sub(const char *name)
{
    static char paths[4][1024];
    static int slot;
    char *p = paths[slot++ & 3];
    snprintf(p, 1024, "%s/%s", tmpdir, name);
    return p;
}

/* ---- help, version, usage errors -------------------------------------------- */

START_TEST(help_version)
{
    result r = RUN("--help");
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "usage"));
    ck_assert_ptr_nonnull(strstr(r.out, "run SCENARIO"));
    ck_assert_ptr_nonnull(strstr(r.out, "check SCENARIO"));
    res_free(&r);
    r = RUN("--version");
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(strncmp(r.out, "qunsim ", 7) == 0 && count_lines(r.out) == 1, "version: %s", r.out);
    res_free(&r);
    r = RUN("run", "--help");
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "--reps"));
    res_free(&r);
}
END_TEST

static void usage_error(const char *const *args)
{
    result r = run_args(args);
    ck_assert_msg(r.status == 2, "%s %s: exit %d, want 2 (stderr: %s)", args[0], args[1] ? args[1] : "", r.status, r.err);
    ck_assert_msg(r.err[0] != 0, "usage error without a message");
    ck_assert_str_eq(r.out, "");
    res_free(&r);
}
#define USAGE_ERROR(...) usage_error((const char *const[]){__VA_ARGS__, NULL})

START_TEST(usage_errors)
{
    result r = run_args((const char *const[]){NULL});
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "usage"));
    res_free(&r);
    USAGE_ERROR("frobnicate");
    USAGE_ERROR("run");
    USAGE_ERROR("run", reading_club(), "--bogus");
    USAGE_ERROR("run", reading_club(), "--reps", "0");
    USAGE_ERROR("run", reading_club(), "--reps", "abc");
    USAGE_ERROR("run", reading_club(), "--reps", "3x");
    USAGE_ERROR("run", reading_club(), "--reps");
    USAGE_ERROR("run", reading_club(), "--days", "0");
    USAGE_ERROR("run", reading_club(), "--seed", "-1");
    USAGE_ERROR("run", reading_club(), "--format", "xml");
    USAGE_ERROR("run", reading_club(), "--arm", "nosucharm", "--out", sub("o"));
    USAGE_ERROR("run", reading_club(), "--set", "members.rate_mean=-1", "--out", sub("o"));
    USAGE_ERROR("run", reading_club(), "--set", "members.nope=1", "--out", sub("o"));
    USAGE_ERROR("run", sub("missing.cfg"), "--out", sub("o"));
    USAGE_ERROR("check");
    USAGE_ERROR("check", sub("missing.cfg"));
}
END_TEST

/* ---- broken scenario files: one line naming file, line and setting ------------- */

static void broken(const char *name, const char *text, const char *line, const char *setting)
{
    const char *p = write_file(name, text);
    const char *cmds[2][8] = {{"check", p, NULL}, {"run", p, "--out", sub("o"), "--no-plot", NULL}};
    for (int c = 0; c < 2; c++) {
        result r = run_args(cmds[c]);
        ck_assert_msg(r.status == 2, "%s %s: exit %d (stderr: %s)", cmds[c][0], name, r.status, r.err);
        ck_assert_msg(count_lines(r.err) == 1 && r.err[strlen(r.err) - 1] == '\n', "%s: want one line, got [%s]", name, r.err);
        ck_assert_msg(strstr(r.err, p) != NULL, "%s: the file name is missing: %s", name, r.err);
        ck_assert_msg(strstr(r.err, line) != NULL, "%s: the line (%s) is missing: %s", name, line, r.err);
        if (setting) ck_assert_msg(strstr(r.err, setting) != NULL, "%s: setting %s missing: %s", name, setting, r.err);
        res_free(&r);
    }
    struct stat st;
    ck_assert_msg(stat(sub("o"), &st) != 0, "a failed scenario still created the output directory");
}

START_TEST(broken_scenarios)
{
    broken("unknown.cfg", "scenario = { days = 5; };\nmembers = {\n  rate_mean = 1.0;\n  rate_maen = 2.0;\n};\n", ":4:",
           "\"members.rate_maen\"");
    broken("value.cfg", "scenario = { days = 5; };\n\nreplies = { branching = 1.5; };\n", ":3:", "\"replies.branching\"");
    broken("type.cfg", "scenario = {\n  days = \"five\";\n};\n", ":2:", "\"scenario.days\"");
    broken("date.cfg", "scenario = {\n  start = \"2026-02-30\";\n};\n", ":2:", "\"scenario.start\"");
    broken("armerr.cfg", "arms = (\n  { name = \"a\"; },\n  { name = \"b\"; checkin = { enabeld = true; }; }\n);\n", ":3:",
           "\"checkin.enabeld\"");
    broken("syntax.cfg", "scenario = { days = 5; };\nmembers = {\n  rate_mean = 1.0;\n  leave_rate = = 0.1;\n};\n", ":4:", NULL);
}
END_TEST

/* every subcommand's --help: the usage on stdout, exit 0, nothing on stderr */
START_TEST(help_on_stdout)
{
    static const char *const cmds[] = {"run", "sweep", "merge", "check", "replay", "calibrate", "forecast",
                                       "backtest", "metrics", "doc", "import", "report"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        result r = RUN(cmds[i], "--help");
        ck_assert_msg(r.status == 0, "%s --help: exit %d", cmds[i], r.status);
        ck_assert_msg(strstr(r.out, "usage: qunsim ") != NULL, "%s --help: no usage on stdout", cmds[i]);
        ck_assert_msg(!r.err || !*r.err, "%s --help wrote to stderr: %s", cmds[i], r.err);
        res_free(&r);
    }
    result r = RUN("calibrate", "--help");
    ck_assert_ptr_nonnull(strstr(r.out, "--live")); /* both modes */
    res_free(&r);
}
END_TEST

/* docs/settings.md and docs/metrics.md are the output of `doc settings` /
 * `doc metrics` (regenerate them with those commands when a table changes) */
START_TEST(docs_current)
{
    static const char *const what[][2] = {{"settings", "docs/settings.md"}, {"metrics", "docs/metrics.md"}};
    for (int i = 0; i < 2; i++) {
        result r = RUN("doc", what[i][0]);
        ck_assert_int_eq(r.status, 0);
        char *want = slurp(what[i][1]);
        ck_assert_msg(*want, "%s missing or empty (run the tests from the source tree)", what[i][1]);
        ck_assert_msg(!strcmp(r.out, want), "%s is stale: qunsim doc %s > %s", what[i][1], what[i][0], what[i][1]);
        free(want);
        res_free(&r);
    }
}
END_TEST

START_TEST(check_reading_club)
{
    result r = RUN("check", reading_club());
    ck_assert_msg(r.status == 0, "check: exit %d: %s", r.status, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "valid"));
    /* the default view: settings away from their defaults, arms side by side, in
     * the shortest round-trip form, under 80 lines */
    ck_assert_ptr_nonnull(strstr(r.out, "\nsetting "));
    ck_assert_ptr_nonnull(strstr(r.out, " baseline "));
    ck_assert_ptr_nonnull(strstr(r.out, " checkin21"));
    ck_assert_ptr_nonnull(strstr(r.out, "\nmembers.rate_mean "));
    ck_assert_ptr_nonnull(strstr(r.out, " 0.7746 "));
    ck_assert_ptr_null(strstr(r.out, "9999999"));
    const char *ck = strstr(r.out, "\ncheckin.enabled ");
    ck_assert_ptr_nonnull(ck);
    ck_assert_msg(strstr(ck, "false") && strstr(ck, "true") && strstr(ck, "  <\n"), "checkin.enabled row: %.120s", ck);
    ck_assert_ptr_null(strstr(r.out, "\nmembers.leave_rate ")); /* at its default in both arms */
    int lines = 0;
    for (const char *c = r.out; *c; c++) lines += *c == '\n';
    ck_assert_int_lt(lines, 80);
    res_free(&r);
    /* --all: every effective setting of every arm */
    r = RUN("check", reading_club(), "--all");
    ck_assert_msg(r.status == 0, "check --all: exit %d: %s", r.status, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "arm \"baseline\""));
    ck_assert_ptr_nonnull(strstr(r.out, "arm \"checkin21\""));
    ck_assert_ptr_nonnull(strstr(r.out, "leave_rate = 0.01;"));
    res_free(&r);
}
END_TEST

/* ---- run: reproducible output, results database, formats ------------------------ */

static result run_csv(const char *out, const char *seed, const char *threads)
{
    return RUN("run", reading_club(), "--format", "csv", "--no-plot", "--quiet", "--reps", "2", "--days", "14",
               "--seed", seed, "--threads", threads, "--out", out);
}

START_TEST(run_reproducible)
{
    result a = run_csv(sub("r1"), "5", "2");
    ck_assert_msg(a.status == 0, "run: exit %d: %s", a.status, a.err);
    ck_assert_str_eq(a.err, ""); /* --quiet */
    ck_assert_msg(strncmp(a.out, "arm,metric,", 11) == 0, "csv header: %.80s", a.out);
    ck_assert_ptr_nonnull(strstr(a.out, "\nbaseline,retention_1d,"));
    ck_assert_ptr_nonnull(strstr(a.out, "\ncheckin21,retention_1d,"));
    result b = run_csv(sub("r2"), "5", "2");
    ck_assert_int_eq(b.status, 0);
    ck_assert_msg(strcmp(a.out, b.out) == 0, "same seed, different output:\n%s\n---\n%s", a.out, b.out);
    /* the thread count does not change results */
    result t = run_csv(sub("r3"), "5", "1");
    ck_assert_int_eq(t.status, 0);
    ck_assert_msg(strcmp(a.out, t.out) == 0, "--threads 1 and 2 differ:\n%s\n---\n%s", a.out, t.out);
    /* another seed, other numbers */
    result c = run_csv(sub("r4"), "6", "2");
    ck_assert_int_eq(c.status, 0);
    ck_assert(strcmp(a.out, c.out) != 0);
    res_free(&a);
    res_free(&b);
    res_free(&t);
    res_free(&c);

    /* the results database: one runs row per arm x replication, seed 5 */
    char db[700];
    snprintf(db, sizeof db, "%s/results.db", sub("r1"));
    sqlite3 *h = NULL;
    ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(h, "SELECT arm, rep, seed, length(settings) FROM runs ORDER BY arm, rep", -1, &q, NULL),
                     SQLITE_OK);
    const char *want_arm[4] = {"baseline", "baseline", "checkin21", "checkin21"};
    int rows = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        ck_assert_int_lt(rows, 4);
        ck_assert_str_eq((const char *)sqlite3_column_text(q, 0), want_arm[rows]);
        ck_assert_int_eq(sqlite3_column_int(q, 1), rows % 2);
        ck_assert_int_eq(sqlite3_column_int64(q, 2), 5);
        ck_assert_int_gt(sqlite3_column_int(q, 3), 100);
        rows++;
    }
    ck_assert_int_eq(rows, 4);
    sqlite3_finalize(q);
    /* and events were stored for those runs */
    ck_assert_int_eq(sqlite3_prepare_v2(h, "SELECT count(DISTINCT run_id), count(*) FROM events", -1, &q, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
    ck_assert_int_eq(sqlite3_column_int(q, 0), 4);
    ck_assert_int_gt(sqlite3_column_int(q, 1), 1000);
    sqlite3_finalize(q);
    sqlite3_close(h);
}
END_TEST

static int have_python(void)
{
    static int known = -1;
    if (known < 0) known = system("python3 -c 'import json' >/dev/null 2>&1") == 0;
    return known;
}

/* Valid JSON: with python3 if present, else a structural check (balanced
 * brackets outside strings, legal escapes, no control characters). */
static void assert_json(const char *text, const char *name)
{
    const char *p = write_file(name, text);
    if (have_python()) {
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "python3 -c 'import json,sys; json.load(open(sys.argv[1], encoding=\"utf-8\"))' '%s'", p);
        ck_assert_msg(system(cmd) == 0, "invalid JSON:\n%s", text);
        return;
    }
    int depth = 0, in_str = 0;
    for (const unsigned char *s = (const unsigned char *)text; *s; s++) {
        if (in_str) {
            ck_assert_msg(*s >= 0x20, "control character in a JSON string");
            if (*s == '\\') {
                s++;
                ck_assert_msg(*s && strchr("\"\\/bfnrtu", *s), "bad escape in JSON");
            } else if (*s == '"')
                in_str = 0;
        } else if (*s == '"')
            in_str = 1;
        else if (*s == '{' || *s == '[')
            depth++;
        else if (*s == '}' || *s == ']')
            ck_assert_int_ge(--depth, 0);
    }
    ck_assert_msg(!in_str && depth == 0, "unbalanced JSON:\n%s", text);
}

/* Split one CSV record (RFC 4180) into fields; returns the count. */
static int csv_fields(const char *line, char fields[][256], int max)
{
    int n = 0;
    const char *s = line;
    for (;;) {
        ck_assert_int_lt(n, max);
        size_t k = 0;
        if (*s == '"') {
            for (s++; *s; s++) {
                if (*s == '"' && s[1] == '"') { fields[n][k++] = '"'; s++; }
                else if (*s == '"') { s++; break; }
                else fields[n][k++] = *s;
            }
        } else
            while (*s && *s != ',' && *s != '\n') fields[n][k++] = *s++;
        fields[n++][k] = 0;
        if (*s != ',') break;
        s++;
    }
    return n;
}

/* Display columns (metinfo's width rule) where the fields of one line of a
 * terminal table start: fields are separated by two or more spaces. */
static int field_starts(const char *line, int *col, int max)
{
    int n = 0, c = 0;
    const char *eol = strchr(line, '\n');
    size_t len = eol ? (size_t)(eol - line) : strlen(line);
    char *buf = strndup(line, len);
    ck_assert_ptr_nonnull(buf);
    for (size_t i = 0; i < len;) {
        if (n < max && (i == 0 || (i >= 2 && buf[i - 1] == ' ' && buf[i - 2] == ' ')) && buf[i] != ' ') col[n++] = c;
        size_t k = 1;
        while (i + k < len && ((unsigned char)buf[i + k] & 0xC0) == 0x80) k++;
        char ch[8] = {0};
        memcpy(ch, buf + i, k < 7 ? k : 7);
        c += mi_width(ch);
        i += k;
    }
    free(buf);
    return n;
}

START_TEST(formats)
{
    result r = RUN("run", reading_club(), "--format", "json", "--no-plot", "--quiet", "--reps", "2", "--days", "7", "--out",
                   sub("j"));
    ck_assert_msg(r.status == 0, "json run: exit %d: %s", r.status, r.err);
    assert_json(r.out, "out1.json");
    ck_assert_ptr_nonnull(strstr(r.out, "\"checkin21\""));
    res_free(&r);

    /* names that need escaping in JSON and quoting in CSV */
    const char *p = write_file("names.cfg",
                               "scenario = { name = \"club \\\"q\\\", a\\\\b 读书\"; days = 3; reps = 2; };\n"
                               "group = { size = 40; };\n"
                               "arms = ( { name = \"x,\\\"y\\\"\"; }, { name = \"打卡 z\"; checkin = { enabled = true; }; } );\n");
    r = RUN("check", p);
    ck_assert_msg(r.status == 0, "check names.cfg: %s", r.err);
    res_free(&r);
    r = RUN("run", p, "--format", "json", "--no-plot", "--quiet", "--out", sub("n1"));
    ck_assert_msg(r.status == 0, "json run: exit %d: %s", r.status, r.err);
    assert_json(r.out, "out2.json");
    res_free(&r);
    r = RUN("run", p, "--format", "csv", "--no-plot", "--quiet", "--out", sub("n2"));
    ck_assert_msg(r.status == 0, "csv run: exit %d: %s", r.status, r.err);
    /* every record has the header's number of fields; the arm name survives */
    char fields[32][256];
    char *save = NULL;
    int nhead = -1, arm_seen = 0;
    for (char *line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        int n = csv_fields(line, fields, 32);
        if (nhead < 0) {
            nhead = n;
            continue;
        }
        ck_assert_msg(n == nhead, "CSV record with %d fields, header %d: %s", n, nhead, line);
        for (int i = 0; i < n; i++) arm_seen |= !strcmp(fields[i], "x,\"y\"");
    }
    ck_assert(arm_seen);
    res_free(&r);
    /* a plot with such names still renders (titles are quoted for gnuplot) */
    r = RUN("run", p, "--quiet", "--out", sub("n3"));
    ck_assert_msg(r.status == 0, "run with plot: exit %d: %s", r.status, r.err);
    /* the table: columns aligned by display width with a Chinese arm name
     * (two columns a character): every row's fields start where the header's do */
    const char *hd = strstr(r.out, "metric (unit)");
    ck_assert_ptr_nonnull(hd);
    int want[8], nw = field_starts(hd, want, 8);
    ck_assert_int_eq(nw, 4); /* metric, two arms, one difference */
    const char *row = strstr(r.out, "\ndaily speakers (members)");
    ck_assert_ptr_nonnull(row);
    int got[8], ng = field_starts(row + 1, got, 8);
    ck_assert_int_eq(ng, nw);
    for (int i = 0; i < nw; i++) ck_assert_msg(got[i] == want[i], "field %d at column %d, header at %d:\n%.600s", i, got[i], want[i], hd);
    ck_assert_ptr_nonnull(strstr(r.out, "speaks again next day (%)"));
    res_free(&r);
}
END_TEST

START_TEST(out_not_creatable)
{
    const char *f = write_file("plainfile", "x\n");
    char bad[1200];
    snprintf(bad, sizeof bad, "%s/sub", f); /* under a regular file: ENOTDIR even for root */
    result r = RUN("run", reading_club(), "--reps", "1", "--days", "2", "--no-plot", "--out", bad);
    ck_assert_msg(r.status == 1, "exit %d, want 1 (stderr: %s)", r.status, r.err);
    ck_assert_msg(strstr(r.err, bad) != NULL || strstr(r.err, "plainfile") != NULL, "message does not name the path: %s", r.err);
    res_free(&r);
}
END_TEST

static Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("binary");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120); /* valgrind; natively each test takes < 1 s */
    tcase_add_test(tc, help_version);
    tcase_add_test(tc, usage_errors);
    tcase_add_test(tc, broken_scenarios);
    tcase_add_test(tc, check_reading_club);
    tcase_add_test(tc, help_on_stdout);
    tcase_add_test(tc, docs_current);
    tcase_add_test(tc, run_reproducible);
    tcase_add_test(tc, formats);
    tcase_add_test(tc, out_not_creatable);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cli_suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
