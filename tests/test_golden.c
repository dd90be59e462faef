/* test_golden.c -- golden outputs (issue 12, step 1): the CLI run as a user
 * would, its output compared byte for byte with files under tests/golden/,
 * so a refactor that claims "results bit-identical" can show it:
 *  a. `qunsim run` on every reference scenario (the .cfg files of scenarios/ but
 *     large.cfg), 2 replications of 7 days: the summary it prints and the
 *     results database (tests/dbdump.c); --threads 1 gives the same as 2;
 *  b. `qunsim import` of a fixture log, then `metrics` (table, --daily, json);
 *  c. `qunsim replay` of the seed's case table at 10 replications;
 *  d. `qunsim backtest` (json and table, and --classic) on the synthetic log
 *     generated from tests/golden/backtest_log.cfg; --threads 1 = 2.
 *
 * Updating on purpose: `make golden-update` (QS_GOLDEN_UPDATE=1) rewrites the
 * files from the current build; commit them with the change that explains
 * them.  QS_GOLDEN_DIR=DIR reads / writes DIR instead of tests/golden, and
 * QS_GOLDEN_FULL=1 stores every table in full (no digests), so two builds'
 * complete outputs can be diffed:
 *   QS_GOLDEN_UPDATE=1 QS_GOLDEN_FULL=1 QS_GOLDEN_DIR=/tmp/a make golden-update
 *   (again with /tmp/b on the other build), diff -r /tmp/a /tmp/b
 *
 * Normalised before comparing (the outputs are otherwise taken as they are):
 * the temporary directory is written $TMP (`import` and `backtest` print the
 * database path) and the version string QS_VERSION is written VERSION (the
 * batches and runs tables record it; a release is not a change of results).
 * dbdump already leaves out the created_at and command columns.  The
 * commands run from the repository root with relative paths (scenarios/...,
 * tests/...), which the databases record as given.
 *
 * Size: a dump table of more than GOLDEN_MAX_LINES lines or GOLDEN_MAX_BYTES
 * bytes (events, members, spells, daily, the runs' settings texts) is stored
 * as its line count, a 64-bit FNV-1a digest of its text and its first
 * GOLDEN_HEAD lines; the rest in full.  Every byte still counts.
 *
 * The binary: $QS_BIN (set by scripts/run_tests.sh), else build/qunsim.
 * Temporary files under $QS_TMP (else /tmp). */
#include <check.h>
#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dbdump.h"

#define GOLDEN_MAX_LINES 400
#define GOLDEN_MAX_BYTES 32768
#define GOLDEN_HEAD 3

/* ---- helpers -------------------------------------------------------------- */

static char tmpdir[512];

static void setup(void)
{
    const char *base = getenv("QS_TMP") ? getenv("QS_TMP") : "/tmp";
    snprintf(tmpdir, sizeof tmpdir, "%s/test_golden.XXXXXX", base);
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "test_golden: could not remove %s\n", tmpdir);
}

static const char *qs_bin(void)
{
    const char *b = getenv("QS_BIN");
    return b && b[0] ? b : "build/qunsim";
}

static int env_on(const char *name)
{
    const char *v = getenv(name);
    return v && v[0] && strcmp(v, "0") != 0;
}

static const char *golden_dir(void)
{
    const char *d = getenv("QS_GOLDEN_DIR");
    return d && d[0] ? d : "tests/golden";
}

/* The whole file (malloc'd), or NULL if it cannot be read. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)(n < 0 ? 0 : n) + 1);
    ck_assert_ptr_nonnull(b);
    size_t k = n > 0 ? fread(b, 1, (size_t)n, f) : 0;
    b[k] = 0;
    fclose(f);
    return b;
}

/* A growing string. */
typedef struct sbuf { char *p; size_t n, cap; } sbuf;

static void sb_add(sbuf *b, const char *s, size_t k)
{
    if (b->n + k + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 4096;
        while (nc < b->n + k + 1) nc *= 2;
        b->p = realloc(b->p, nc);
        ck_assert_ptr_nonnull(b->p);
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, k);
    b->n += k;
    b->p[b->n] = 0;
}

static void sb_puts(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    ck_assert(k >= 0 && (size_t)k < sizeof tmp);
    sb_add(b, tmp, (size_t)k);
}

/* Every occurrence of `from` in s replaced by `to`; with `bounded`, only
 * where the neighbours are neither digits nor dots (a version string inside
 * a longer number is left alone).  Returns a new string; frees s. */
static char *replace_all(char *s, const char *from, const char *to, int bounded)
{
    sbuf b = {0};
    size_t k = strlen(from);
    const char *p = s, *q;
    sb_add(&b, "", 0);
    while (k && (q = strstr(p, from))) {
        int ok = 1;
        if (bounded) {
            char before = q > s ? q[-1] : ' ', after = q[k];
            ok = !(before == '.' || (before >= '0' && before <= '9') || after == '.' || (after >= '0' && after <= '9'));
        }
        sb_add(&b, p, (size_t)(q - p));
        sb_puts(&b, ok ? to : from);
        p = q + k;
    }
    sb_puts(&b, p);
    free(s);
    return b.p;
}

/* The normalisation described at the top: temporary directory, version. */
static char *normalise(char *s)
{
    s = replace_all(s, tmpdir, "$TMP", 0);
    return replace_all(s, QS_VERSION, "VERSION", 1);
}

/* Run `qunsim ARGS` from the repository root, stdout to a file: the
 * normalised stdout (malloc'd).  Fails the test (with stderr) unless the
 * exit status is 0. */
static char *qs(const char *args)
{
    char cmd[4096], out[700], err[700];
    snprintf(out, sizeof out, "%s/stdout", tmpdir);
    snprintf(err, sizeof err, "%s/stderr", tmpdir);
    int n = snprintf(cmd, sizeof cmd, "'%s' %s > '%s' 2> '%s'", qs_bin(), args, out, err);
    ck_assert(n > 0 && (size_t)n < sizeof cmd);
    int rc = system(cmd);
    int status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    if (status != 0) {
        char *e = slurp(err);
        ck_abort_msg("exit %d: %s\n%s", status, cmd, e ? e : "");
    }
    char *s = slurp(out);
    ck_assert_ptr_nonnull(s);
    return normalise(s);
}

/* 64-bit FNV-1a of n bytes. */
static uint64_t fnv1a64(const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 0x100000001b3u;
    }
    return h;
}

/* The dump of DIR/results.db, normalised (malloc'd). */
static char *dump_db(const char *db)
{
    char err[512];
    char *d = dbdump(db, err, sizeof err);
    ck_assert_msg(d != NULL, "dbdump: %s", err);
    return normalise(d);
}

/* A dump in the golden form: tables over the limits as count + digest +
 * head (see the top), unless QS_GOLDEN_FULL.  Tables start at lines
 * "== NAME". */
static void add_dump(sbuf *b, const char *dump)
{
    if (env_on("QS_GOLDEN_FULL")) { sb_puts(b, dump); return; }
    const char *p = dump;
    while (*p) {
        /* this table: from p to the next line starting "== " (or the end) */
        const char *end = p, *body = strchr(p, '\n');
        body = body ? body + 1 : p + strlen(p);
        end = body;
        size_t lines = 0;
        while (*end && strncmp(end, "== ", 3) != 0) {
            const char *nl = strchr(end, '\n');
            end = nl ? nl + 1 : end + strlen(end);
            lines++;
        }
        size_t bytes = (size_t)(end - body);
        if (lines <= GOLDEN_MAX_LINES && bytes <= GOLDEN_MAX_BYTES) {
            sb_add(b, p, (size_t)(end - p));
        } else {
            sb_add(b, p, (size_t)(body - p - 1));
            sb_printf(b, ": %zu lines, %zu bytes, fnv1a64 %016" PRIx64 "; the first %d:\n", lines, bytes, fnv1a64(body, bytes),
                      GOLDEN_HEAD);
            const char *h = body;
            for (int i = 0; i < GOLDEN_HEAD && h < end; i++) {
                const char *nl = strchr(h, '\n');
                size_t k = nl ? (size_t)(nl - h) : strlen(h);
                sb_add(b, h, k > 200 ? 200 : k); /* a line of settings text can be long */
                sb_puts(b, "\n");
                h += k + (nl ? 1 : 0);
            }
        }
        p = end;
    }
}

/* Compare text with the golden file NAME, or write it under
 * QS_GOLDEN_UPDATE.  The failure names the first differing line. */
static void golden(const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", golden_dir(), name);
    if (env_on("QS_GOLDEN_UPDATE")) {
        if (mkdir(golden_dir(), 0777) != 0 && errno != EEXIST) ck_abort_msg("cannot create %s", golden_dir());
        FILE *f = fopen(path, "wb");
        ck_assert_msg(f != NULL, "cannot write %s", path);
        ck_assert(fwrite(text, 1, strlen(text), f) == strlen(text));
        ck_assert(fclose(f) == 0);
        fprintf(stderr, "test_golden: wrote %s (%zu bytes)\n", path, strlen(text));
        return;
    }
    char *g = slurp(path);
    ck_assert_msg(g != NULL, "%s is missing (make golden-update writes it)", path);
    char msg[600];
    ck_assert_msg(strcmp(g, text) == 0, "%s differs from the output (%zu vs %zu bytes), %s; if the change is meant, make golden-update", path,
                  strlen(g), strlen(text), dbdump_diff(g, text, msg, sizeof msg));
    free(g);
}

/* Two outputs that must be equal (a thread count must not matter). */
static void same(const char *what, const char *a, const char *b)
{
    char msg[600];
    ck_assert_msg(strcmp(a, b) == 0, "%s: --threads 1 and --threads 2 differ, %s", what, dbdump_diff(a, b, msg, sizeof msg));
}

/* ---- a. the reference scenarios --------------------------------------------- */

typedef struct run_case {
    const char *golden;   /* file under tests/golden */
    const char *scenario; /* scenarios/NAME.cfg */
    const char *extra;    /* more options */
} run_case;

/* Every scenario of scenarios/ but large.cfg (minutes per replication);
 * alumni.cfg stores no events by default, so they are switched on; the
 * red-packet campaign is in no scenario, so habit runs once more with it. */
static const run_case runs[] = {
    {"run_alumni.txt", "alumni", "--set scenario.events=true"},
    {"run_beauty.txt", "beauty", ""},
    {"run_cadence.txt", "cadence", ""},
    {"run_community.txt", "community", ""},
    {"run_education.txt", "education", ""},
    {"run_enterprise.txt", "enterprise", ""},
    {"run_fitness.txt", "fitness", ""},
    {"run_groupbuy.txt", "groupbuy", ""},
    {"run_habit.txt", "habit", ""},
    {"run_habit_redpacket.txt", "habit", "--set redpacket.enabled=true"},
    {"run_parenting.txt", "parenting", ""},
    {"run_quiz.txt", "quiz", ""},
    {"run_reading_club.txt", "reading_club", ""},
    {"run_story.txt", "story", ""},
};
#define NRUNS ((int)(sizeof runs / sizeof runs[0]))

START_TEST(test_every_scenario_has_a_golden)
{
    glob_t g;
    ck_assert_int_eq(glob("scenarios/*.cfg", 0, NULL, &g), 0);
    ck_assert(g.gl_pathc >= 13);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *base = g.gl_pathv[i] + strlen("scenarios/");
        if (!strcmp(base, "large.cfg")) continue;
        int found = 0;
        for (int k = 0; k < NRUNS; k++)
            if (!strncmp(base, runs[k].scenario, strlen(runs[k].scenario)) && !strcmp(base + strlen(runs[k].scenario), ".cfg")) found = 1;
        ck_assert_msg(found, "%s has no golden output in test_golden.c's runs[]", g.gl_pathv[i]);
    }
    globfree(&g);
}
END_TEST

START_TEST(test_run)
{
    const run_case *c = &runs[_i];
    char args[2048];
    const char *common = "--reps 2 --days 7 --no-plot --quiet";
    char *out[2], *dump[2];
    for (int t = 0; t < 2; t++) {
        snprintf(args, sizeof args, "run scenarios/%s.cfg %s --threads %d --out '%s/t%d' %s", c->scenario, common, t + 1, tmpdir, t + 1, c->extra);
        out[t] = qs(args);
        char db[700];
        snprintf(db, sizeof db, "%s/t%d/results.db", tmpdir, t + 1);
        dump[t] = dump_db(db);
    }
    same(c->golden, out[0], out[1]);
    same(c->golden, dump[0], dump[1]);
    sbuf b = {0};
    sb_printf(&b, "# qunsim run scenarios/%s.cfg %s --threads 2 --out DIR%s%s\n", c->scenario, common, c->extra[0] ? " " : "", c->extra);
    sb_puts(&b, "# stdout:\n");
    sb_puts(&b, out[1]);
    sb_printf(&b, "# DIR/results.db (tests/dbdump.c; tables over %d lines or %d bytes: count, digest, head):\n", GOLDEN_MAX_LINES,
              GOLDEN_MAX_BYTES);
    add_dump(&b, dump[1]);
    golden(c->golden, b.p);
    for (int t = 0; t < 2; t++) { free(out[t]); free(dump[t]); }
    free(b.p);
}
END_TEST

/* ---- b. import and metrics ------------------------------------------------------ */

START_TEST(test_import_metrics)
{
    char args[2048], db[700];
    snprintf(db, sizeof db, "%s/live.db", tmpdir);
    snprintf(args, sizeof args, "import wechatmsg tests/fixtures/import/wechatmsg_group_utf8.csv --db '%s'", db);
    char *imp = qs(args), *d = dump_db(db);
    sbuf b = {0};
    sb_puts(&b, "# qunsim import wechatmsg tests/fixtures/import/wechatmsg_group_utf8.csv --db $TMP/live.db\n# stdout:\n");
    sb_puts(&b, imp);
    sb_puts(&b, "# $TMP/live.db (tests/dbdump.c):\n");
    add_dump(&b, d);
    golden("import_wechatmsg.txt", b.p);
    free(b.p);
    free(imp);
    free(d);
    static const struct { const char *opts, *file; } m[] = {
        {"", "metrics.txt"},
        {"--daily", "metrics_daily.txt"},
        {"--format json", "metrics.json"},
    };
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        snprintf(args, sizeof args, "metrics '%s' %s", db, m[i].opts);
        char *o = qs(args);
        golden(m[i].file, o);
        free(o);
    }
}
END_TEST

/* ---- c. replay ------------------------------------------------------------------- */

/* The seed's case table (the Makefile's CASES) at 10 replications per arm
 * instead of 100: about a second. */
#define CASES                                                                                                                   \
    "scenarios/reading_club.cfg scenarios/parenting.cfg scenarios/fitness.cfg scenarios/education.cfg scenarios/beauty.cfg " \
    "scenarios/enterprise.cfg scenarios/alumni.cfg scenarios/quiz.cfg scenarios/groupbuy.cfg scenarios/habit.cfg scenarios/story.cfg"

START_TEST(test_replay)
{
    char *t = qs("replay " CASES " --reps 10 --threads 2");
    golden("replay.txt", t);
    char *j1 = qs("replay " CASES " --reps 10 --threads 1 --format json");
    char *j2 = qs("replay " CASES " --reps 10 --threads 2 --format json");
    same("replay --format json", j1, j2);
    golden("replay.json", j2);
    free(t);
    free(j1);
    free(j2);
}
END_TEST

/* ---- d. backtest ------------------------------------------------------------------ */

/* The log: tests/golden/backtest_log.cfg (test_forecast.c's log, 250
 * members, seed 21, 77 days) run once.  Calibrated on the 56 days before
 * 2026-03-02, 21 days ahead, 10 replications. */
START_TEST(test_backtest)
{
    char args[2048];
    snprintf(args, sizeof args, "run tests/golden/backtest_log.cfg --reps 1 --out '%s/log' --quiet --no-plot", tmpdir);
    free(qs(args));
    static const struct { const char *opts, *file; int threads_too; } bt[] = {
        {"--format json", "backtest.json", 1},
        {"--format json --classic", "backtest_classic.json", 1},
        {"", "backtest.txt", 0},
    };
    for (size_t i = 0; i < sizeof bt / sizeof bt[0]; i++) {
        char *o[2] = {NULL, NULL};
        for (int t = bt[i].threads_too ? 0 : 1; t < 2; t++) {
            snprintf(args, sizeof args, "backtest --live '%s/log/results.db' --at 2026-03-02 --days 21 --reps 10 --threads %d %s", tmpdir, t + 1,
                     bt[i].opts);
            o[t] = qs(args);
        }
        if (o[0]) same(bt[i].file, o[0], o[1]);
        golden(bt[i].file, o[1]);
        free(o[0]);
        free(o[1]);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("golden");
    TCase *tc = tcase_create("golden");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120); /* sanitizer builds; natively about a second per test */
    tcase_add_test(tc, test_every_scenario_has_a_golden);
    tcase_add_loop_test(tc, test_run, 0, NRUNS);
    tcase_add_test(tc, test_import_metrics);
    tcase_add_test(tc, test_replay);
    tcase_add_test(tc, test_backtest);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
