/* test_hostile.c -- the binary against the hostile inputs of issue 15 (second
 * hardening round), driven as a user would: a calibrated scenario from a
 * group named to inject settings, or too long, loads back; output
 * directories starting with '-' or holding a newline get their charts;
 * planted symlinks in output directories are not written through and a
 * report counts only charts that exist; seeds the database cannot hold
 * back are refused; import's offset rule is the scenarios'; metrics checks
 * the schema version and the group and reads a WAL database in a read-only
 * directory; commands that need an existing database do not create one; a
 * failed merge leaves nothing; FIFOs are refused.  docs/hardening.md lists
 * each case.  The binary: $QS_BIN (scripts/run_tests.sh sets it), else
 * build/qunsim; temporary files under $QS_TMP (else /tmp). */
#define _DEFAULT_SOURCE /* realpath */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* ---- helpers -------------------------------------------------------------- */

static char tmpdir[512], root[PATH_MAX - 64];

static void setup(void)
{
    const char *base = getenv("QS_TMP") ? getenv("QS_TMP") : "/tmp";
    snprintf(tmpdir, sizeof tmpdir, "%s/test_hostile.XXXXXX", base);
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    const char *r = getenv("QS_ROOT");
    ck_assert_ptr_nonnull(realpath(r && r[0] ? r : ".", root));
}

static void teardown(void)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "chmod -R u+w '%s' 2>/dev/null; rm -rf '%s'", tmpdir, tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "test_hostile: could not remove %s\n", tmpdir);
}

static const char *qs_bin(void)
{
    static char abs[PATH_MAX + 64];
    const char *b = getenv("QS_BIN");
    if (b && b[0]) return b;
    snprintf(abs, sizeof abs, "%s/build/qunsim", root);
    return abs;
}

static const char *sub(const char *name)
{
    static char paths[8][1024];
    static int slot;
    char *p = paths[slot++ & 7];
    snprintf(p, 1024, "%s/%s", tmpdir, name);
    return p;
}

static const char *scenario(void)
{
    static char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/scenarios/reading_club.cfg", root);
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

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

typedef struct result {
    int status; /* exit status, or 128 + signal */
    double secs;
    char *out, *err;
} result;

static void res_free(result *r)
{
    free(r->out);
    free(r->err);
}

/* Run qunsim with args (NULL-terminated) in directory cwd (NULL: here),
 * as user uid (< 0: ourselves). */
static result run_in(const char *cwd, int uid, const char *const *args)
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
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0666), fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (fo < 0 || fe < 0) _exit(126);
        dup2(fo, 1);
        dup2(fe, 2);
        if (cwd && chdir(cwd) != 0) _exit(126);
        if (uid >= 0 && (setgid((gid_t)uid) != 0 || setuid((uid_t)uid) != 0)) _exit(126);
        execve(argv[0], (char *const *)argv, environ);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0) ck_assert_int_eq(errno, EINTR);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    result r;
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
}

#define RUN(...) run_in(NULL, -1, (const char *const[]){__VA_ARGS__, NULL})
#define RUN_IN(dir, ...) run_in(dir, -1, (const char *const[]){__VA_ARGS__, NULL})

static void expect(result r, int status, const char *in_err, const char *what)
{
    ck_assert_msg(r.status == status, "%s: exit %d, want %d (stderr: %s)", what, r.status, status, r.err);
    if (in_err) ck_assert_msg(strstr(r.err, in_err), "%s: stderr lacks \"%s\": %s", what, in_err, r.err);
    res_free(&r);
}

static int regular_nonempty(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

static off_t size_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

static int gnuplot_here(void)
{
    return system("command -v gnuplot >/dev/null 2>&1") == 0;
}

/* ---- 1, 2: calibrated scenarios from hostile group names ---------------------- */

/* A simulated run whose group carries the scenario's name, calibrated with
 * calibrate --live: the scenario written must load (check exits 0) and hold
 * no setting the name tried to inject. */
static void calibrate_name(const char *name, const char *tag)
{
    char db[64], cfg[64];
    snprintf(db, sizeof db, "%s.db", tag);
    snprintf(cfg, sizeof cfg, "%s.cfg", tag);
    char set[512];
    snprintf(set, sizeof set, "scenario.name=%s", name);
    expect(RUN("run", scenario(), "--reps", "1", "--days", "35", "--no-plot", "--quiet", "--db", sub(db), "--set", set), 0, NULL,
           "run");
    expect(RUN("calibrate", "--live", sub(db), "--run", "1", "--out", sub(cfg), "--quiet"), 0, NULL, "calibrate --live");
    result r = RUN("check", sub(cfg));
    ck_assert_msg(r.status == 0, "%s: the calibrated scenario does not load: %s", tag, r.err);
    res_free(&r);
    char *text = slurp(sub(cfg));
    for (char *line = text; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        ck_assert_msg(strncmp(line, "invites", 7) && strncmp(line, "@include", 8), "%s: injected line in:\n%s", tag, text);
    free(text);
}

START_TEST(calibrate_hostile_names)
{
    calibrate_name("BC\ninvites={mean=50.0;accept=1.0;};\n#", "inject");
    calibrate_name("x\n@include \"/etc/passwd\"\n#\"\\", "include");
    /* 21 Chinese characters: 63 bytes, scenario.name's limit with no room for " (calibrated)" */
    calibrate_name("一二三四五六七八九十一二三四五六七八九十一", "long");
    char *text = slurp(sub("long.cfg"));
    ck_assert_msg(strstr(text, "name = \"一二三四五六七八九十一二三四五六 (calibrated)\";"), "%s", text);
    free(text);
    /* --out through a planted symlink: the link is replaced, its target untouched */
    char victim[1024];
    snprintf(victim, sizeof victim, "%s", sub("victim_cal"));
    put(victim, "victim\n");
    ck_assert_int_eq(symlink(victim, sub("linked.cfg")), 0);
    expect(RUN("calibrate", "--live", sub("long.db"), "--run", "1", "--out", sub("linked.cfg"), "--quiet"), 0, NULL, "calibrate --out link");
    text = slurp(victim);
    ck_assert_str_eq(text, "victim\n");
    free(text);
    ck_assert_msg(regular_nonempty(sub("linked.cfg")), "linked.cfg is not a new regular file");
    /* the live commands' --seed: 0..INT64_MAX, as run's */
    expect(RUN("backtest", "--live", sub("long.db"), "--at", "2026-02-02", "--days", "7", "--seed", "18446744073709551615"), 2,
           "--seed wants a whole number 0..9223372036854775807", "backtest --seed 2^64-1");
}
END_TEST

/* ---- 4: output paths gnuplot must not misread ---------------------------------- */

START_TEST(out_dirs_that_look_like_options)
{
    if (!gnuplot_here()) return;
    expect(RUN_IN(tmpdir, "run", scenario(), "--reps", "1", "--days", "3", "--quiet", "--out", "-r1"), 0, NULL, "run --out -r1");
    ck_assert_msg(regular_nonempty(sub("-r1/reading_club_dau.png")), "no PNG in -r1/");
    /* a newline (and a backquote) in --out and in the scenario name */
    char out[600];
    snprintf(out, sizeof out, "%s/o\nut`touch PWNED`", tmpdir);
    expect(RUN_IN(tmpdir, "run", scenario(), "--reps", "1", "--days", "3", "--quiet", "--out", out, "--set",
                  "scenario.name=a\nb $x @y"),
           0, NULL, "run with a newline in --out and the name");
    char png[700];
    snprintf(png, sizeof png, "%s/a\nb $x @y_dau.png", out);
    ck_assert_msg(regular_nonempty(png), "no PNG under a name with a newline");
    ck_assert_msg(size_of(sub("PWNED")) < 0, "a backquote in a path ran a command");
    /* report --out -r2: every chart counted has its image */
    result r = RUN_IN(tmpdir, "report", sub("-r1/results.db"), "--out", "-r2");
    ck_assert_msg(r.status == 0, "report --out -r2: %d %s", r.status, r.err);
    int n = -1;
    for (const char *c = r.err; (c = strstr(c, "report: ")); c += 8)
        if (sscanf(c, "report: %d chart(s)", &n) == 1) break;
    ck_assert_msg(n > 0, "no chart count: %s", r.err);
    res_free(&r);
    char *html = slurp(sub("-r2/index.html"));
    int imgs = 0;
    for (const char *p = html; (p = strstr(p, "<img src=\"")); p += 10) {
        imgs++;
        char rel[256], path[1024];
        ck_assert_int_eq(sscanf(p + 10, "%255[^\"]", rel), 1);
        snprintf(path, sizeof path, "%s/-r2/%s", tmpdir, rel);
        ck_assert_msg(regular_nonempty(path), "index.html links a missing image %s", rel);
    }
    ck_assert_int_eq(imgs, n);
    free(html);
}
END_TEST

/* ---- 5: planted symlinks in output directories ---------------------------------- */

START_TEST(planted_symlinks_not_followed)
{
    if (!gnuplot_here()) return;
    char victim[1024]; /* sub()'s buffers are reused */
    snprintf(victim, sizeof victim, "%s", sub("victim"));
    put(victim, "victim\n");
    mkdir(sub("o"), 0777);
    const char *names[] = {"o/reading_club_dau.dat", "o/reading_club_dau.gp", "o/reading_club_dau.png"};
    for (int i = 0; i < 3; i++) ck_assert_int_eq(symlink(victim, sub(names[i])), 0);
    expect(RUN("run", scenario(), "--reps", "2", "--days", "3", "--quiet", "--out", sub("o")), 0, NULL, "run");
    for (int i = 0; i < 3; i++) ck_assert_msg(regular_nonempty(sub(names[i])), "%s is not a new regular file", names[i]);
    /* a hard link is replaced, not written through */
    ck_assert_int_eq(unlink(sub(names[1])), 0);
    ck_assert_int_eq(link(victim, sub(names[1])), 0);
    expect(RUN("run", scenario(), "--reps", "1", "--days", "3", "--quiet", "--out", sub("o"), "--db", sub("o/r2.db")), 0, NULL,
           "run again");
    char *v = slurp(victim);
    ck_assert_str_eq(v, "victim\n");
    free(v);

    mkdir(sub("rep"), 0777);
    mkdir(sub("rep/plots"), 0777);
    const char *rnames[] = {"rep/plots/fan_dau.gp", "rep/plots/fan_dau.dat", "rep/plots/fan_dau.png", "rep/plots/fan_dau.svg",
                            "rep/index.html.tmp", "rep/index.html"};
    for (int i = 0; i < 6; i++) ck_assert_int_eq(symlink(victim, sub(rnames[i])), 0);
    expect(RUN("report", sub("o/results.db"), "--out", sub("rep"), "--quiet"), 0, NULL, "report");
    v = slurp(victim);
    ck_assert_str_eq(v, "victim\n");
    free(v);
    for (int i = 0; i < 6; i++)
        if (i != 4) ck_assert_msg(regular_nonempty(sub(rnames[i])), "%s is not a new regular file", rnames[i]);
    ck_assert_msg(size_of(sub("rep/index.html.tmp")) < 0, "index.html.tmp left behind");
}
END_TEST

/* ---- 7: numbers --------------------------------------------------------------- */

START_TEST(seeds_and_offsets)
{
    /* 2^64-1 was stored as -1, 2^63 as INT64_MIN: neither accepted back */
    expect(RUN("run", scenario(), "--reps", "1", "--days", "2", "--no-plot", "--seed", "18446744073709551615", "--db", sub("s.db")),
           2, "--seed must be an integer 0..9223372036854775807", "--seed 2^64-1");
    expect(RUN("run", scenario(), "--reps", "1", "--days", "2", "--no-plot", "--seed", "9223372036854775808", "--db", sub("s.db")),
           2, "--seed", "--seed 2^63");
    expect(RUN("replay", scenario(), "--seed", "9223372036854775808"), 2, "--seed", "replay --seed 2^63");
    expect(RUN("run", scenario(), "--reps", "1", "--days", "2", "--no-plot", "--quiet", "--seed", "9223372036854775807", "--db",
               sub("s.db")),
           0, NULL, "--seed INT64_MAX");
    /* what is stored is what --seed takes back */
    result r = RUN("run", scenario(), "--reps", "1", "--days", "2", "--no-plot", "--seed", "9223372036854775807", "--format", "json",
                   "--db", sub("s2.db"));
    ck_assert_msg(r.status == 0 && strstr(r.out, "\"seed\": 9223372036854775807"), "%s", r.out);
    res_free(&r);

    /* one offset rule: import takes what scenarios take */
    const char *csv = sub("a.csv");
    put(csv, "ts,sender\n1714525200,u1\n1714525300,u2\n");
    expect(RUN("import", "csv", csv, "--db", sub("i.db"), "--utc-offset", "+14:59"), 2, "--utc-offset '+14:59'", "+14:59");
    expect(RUN("import", "csv", csv, "--db", sub("i.db"), "--utc-offset", "+14:30"), 2, NULL, "+14:30");
    put(sub("off.cfg"), "scenario = { utc_offset = \"+14:30\"; };\n");
    expect(RUN("check", sub("off.cfg")), 2, "bad UTC offset", "scenario +14:30");
    expect(RUN("import", "csv", csv, "--db", sub("i.db"), "--utc-offset", "+14:00", "--quiet"), 0, NULL, "+14:00");
    expect(RUN("import", "csv", csv, "--db", sub("i2.db"), "--utc-offset", "-05:30", "--quiet"), 0, NULL, "-05:30");
}
END_TEST

/* ---- 8: consistency ------------------------------------------------------------ */

static void sql(const char *db, const char *q)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "sqlite3 '%s' '%s' >/dev/null", db, q);
    ck_assert_msg(system(cmd) == 0, "sqlite3 %s", q);
}

START_TEST(metrics_consistency)
{
    char db[1024];
    snprintf(db, sizeof db, "%s", sub("r.db"));
    expect(RUN("run", scenario(), "--reps", "1", "--days", "2", "--no-plot", "--quiet", "--db", db), 0, NULL, "run");
    expect(RUN("metrics", db, "--group", "1"), 0, NULL, "metrics --group 1");
    expect(RUN("metrics", db, "--group", "99"), 2, "no group \"99\"", "metrics --group 99");
    expect(RUN("metrics", db, "--group", "nosuch"), 2, "no group", "metrics --group nosuch");
    /* another schema version: refused as store_open refuses it */
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", db, sub("v99.db"));
    ck_assert_int_eq(system(cmd), 0);
    sql(sub("v99.db"), "PRAGMA user_version = 99");
    expect(RUN("metrics", sub("v99.db")), 2, "schema version 99", "metrics on version 99");
    expect(RUN("run", scenario(), "--reps", "1", "--days", "2", "--no-plot", "--db", sub("v99.db")), 1, "schema version 99",
           "run on version 99");
    /* a 0-byte file: an error, and still 0 bytes */
    put(sub("zero.db"), "");
    expect(RUN("metrics", sub("zero.db")), 2, "not a qunsim results database", "metrics on 0 bytes");
    ck_assert_int_eq(size_of(sub("zero.db")), 0);

    /* a WAL database in a directory qunsim cannot write: metrics only reads.
     * Root writes anywhere, so as root the reader runs as nobody, in a
     * directory of its own under /tmp that nobody can reach. */
    char ro[64] = "/tmp/qs-hostile-ro.XXXXXX", wdb[128];
    ck_assert_ptr_nonnull(mkdtemp(ro));
    snprintf(wdb, sizeof wdb, "%s/w.db", ro);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", db, wdb);
    ck_assert_int_eq(system(cmd), 0);
    sql(wdb, "PRAGMA journal_mode");
    chmod(wdb, 0444);
    chmod(ro, 0555);
    int uid = geteuid() == 0 ? 65534 : -1;
    result r = run_in(NULL, uid, (const char *const[]){"metrics", wdb, NULL});
    chmod(ro, 0755);
    unlink(wdb);
    rmdir(ro);
    if (r.status == 127 || r.status == 126)
        fprintf(stderr, "test_hostile: metrics in a read-only directory not tested (cannot run %s as uid %d)\n", qs_bin(), uid);
    else
        ck_assert_msg(r.status == 0 && strstr(r.out, "dau_mean"), "metrics, read-only WAL: exit %d: %s", r.status, r.err);
    res_free(&r);
}
END_TEST

START_TEST(no_database_from_nothing)
{
    /* run --batch 999 on a missing or 0-byte file */
    expect(RUN("run", scenario(), "--reps", "1", "--days", "2", "--no-plot", "--batch", "999", "--db", sub("none.db")), 2,
           "no such results database", "--batch on a missing file");
    ck_assert_int_eq(size_of(sub("none.db")), -1);
    put(sub("zero.db"), "");
    expect(RUN("run", scenario(), "--reps", "1", "--days", "2", "--no-plot", "--batch", "999", "--db", sub("zero.db")), 2,
           "empty file (0 bytes)", "--batch on 0 bytes");
    ck_assert_int_eq(size_of(sub("zero.db")), 0);
    /* calibrate, forecast, backtest --live on a 0-byte log */
    expect(RUN("calibrate", "--live", sub("zero.db")), 2, "empty file", "calibrate --live 0 bytes");
    expect(RUN("backtest", "--live", sub("zero.db"), "--at", "2026-03-03", "--days", "2"), 2, "empty file", "backtest 0 bytes");
    expect(RUN("forecast", scenario(), "--live", sub("zero.db"), "--at", "2026-03-03", "--days", "2"), 2, "empty file",
           "forecast 0 bytes");
    ck_assert_int_eq(size_of(sub("zero.db")), 0);
    /* a failed merge leaves no OUT.db */
    expect(RUN("merge", sub("m.db"), sub("none.db")), 1, "none.db", "merge of a missing input");
    ck_assert_int_eq(size_of(sub("m.db")), -1);
    expect(RUN("merge", sub("m.db"), sub("zero.db")), 1, "zero.db", "merge of a 0-byte input");
    ck_assert_int_eq(size_of(sub("m.db")), -1);
    ck_assert_int_eq(size_of(sub("zero.db")), 0);
    /* merge says what it leaves out */
    char db[1024];
    snprintf(db, sizeof db, "%s", sub("r.db"));
    expect(RUN("run", scenario(), "--reps", "1", "--days", "2", "--no-plot", "--quiet", "--db", db), 0, NULL, "run");
    put(sub("a.csv"), "ts,sender\n1714525200,u1\n1714525300,u2\n");
    expect(RUN("import", "csv", sub("a.csv"), "--db", db, "--quiet"), 0, NULL, "import");
    expect(RUN("merge", sub("m.db"), db), 0, "1 batch(es) of kind 'import' left out", "merge with an import batch");
}
END_TEST

/* ---- 9: FIFOs --------------------------------------------------------------------- */

START_TEST(fifos_refused)
{
    ck_assert_int_eq(mkfifo(sub("s.fifo"), 0600), 0);
    result r = RUN("check", sub("s.fifo"));
    ck_assert_msg(r.status == 2 && strstr(r.err, "not a regular file") && r.secs < 5, "check FIFO: %d %.1fs %s", r.status, r.secs,
                  r.err);
    res_free(&r);
    r = RUN("run", sub("s.fifo"), "--no-plot", "--db", sub("f.db"));
    ck_assert_msg(r.status == 2 && strstr(r.err, "not a regular file"), "run FIFO: %d %s", r.status, r.err);
    res_free(&r);
    r = RUN("import", "csv", sub("s.fifo"), "--db", sub("f.db"));
    ck_assert_msg(r.status == 2 && strstr(r.err, "not a regular file") && r.secs < 5, "import FIFO: %d %s", r.status, r.err);
    res_free(&r);
    ck_assert_int_eq(size_of(sub("f.db")), -1); /* refused before the database is made */
    expect(RUN("import", "csv", "/dev/zero", "--db", sub("f.db")), 2, "not a regular file", "import /dev/zero");
    /* an @include of a FIFO */
    ck_assert_int_eq(mkfifo(sub("i.fifo"), 0600), 0);
    put(sub("inc.cfg"), "@include \"i.fifo\"\n");
    expect(RUN("check", sub("inc.cfg")), 2, "is not a regular file", "include FIFO");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("hostile");
    TCase *tc = tcase_create("binary");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300); /* valgrind; natively each test takes a few seconds */
    tcase_add_test(tc, calibrate_hostile_names);
    tcase_add_test(tc, out_dirs_that_look_like_options);
    tcase_add_test(tc, planted_symlinks_not_followed);
    tcase_add_test(tc, seeds_and_offsets);
    tcase_add_test(tc, metrics_consistency);
    tcase_add_test(tc, no_database_from_nothing);
    tcase_add_test(tc, fifos_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
