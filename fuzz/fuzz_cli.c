/* fuzz_cli.c -- fuzz target: the command line.  An input is argv (arguments
 * separated by NUL bytes; the first is the command).  Commands that only
 * read or write files named on the command line run whole (import, merge,
 * metrics, check, doc, --help/--version); run and sweep are parsed and
 * loaded (options, scenario, --set overrides, the task plan and its key)
 * but not run, and replay, calibrate and report (they simulate or spawn
 * gnuplot) are left out.  Every argument has '/' replaced, and the target
 * works in a scratch directory holding a tiny scenario (s.cfg), a log
 * (a.csv) and a results database (r.db), restored after each input, so any
 * file an input names is one of these or a new one that is removed.
 * Checked: exit statuses are 0, 1 or 2; a plan's task count is points x reps
 * x arms and task_index/task_decode are inverse.
 * Seeds: fuzz/corpus/cli/ (one command line per file, NUL-separated). */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "cmd.h"
#include "exp.h"
#include "fuzz_common.h"
#include "import.h"
#include "store.h"

static const char fzc_scenario[] =
    "scenario = { name = \"tiny\"; days = 2; reps = 2; seed = 7; };\n"
    "group = { size = 6; admins = 1; };\n"
    "arms = ( { name = \"baseline\"; }, { name = \"b\"; members = { rate_mean = 2.0; }; } );\n";
static const char fzc_log[] =
    "ts,group,sender,name,kind,inviter,text\n"
    "2024-05-01 09:00,g1,u1,owner,,,hello\n"
    "2024-05-01 09:01,g1,u2,,join,u1,\n"
    "2024-05-02 10:00,g1,u2,new,,,what time?\n";

typedef struct fzc_fixture {
    const char *name;
    char *bytes;
    size_t n;
    struct stat st;
} fzc_fixture;

static fzc_fixture fzc_fix[3] = {{"s.cfg", NULL, 0, {0}}, {"a.csv", NULL, 0, {0}}, {"r.db", NULL, 0, {0}}};

static void fzc_put(fzc_fixture *f)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", fz_scratch(), f->name);
    unlink(path);
    fz_write(f->name, (const uint8_t *)f->bytes, f->n);
    stat(path, &f->st);
}

static void fzc_setup(void)
{
    if (fzc_fix[0].bytes) return;
    char path[700], err[1024];
    fzc_fix[0].n = strlen(fzc_scenario);
    fzc_fix[0].bytes = malloc(fzc_fix[0].n);
    memcpy(fzc_fix[0].bytes, fzc_scenario, fzc_fix[0].n);
    fzc_fix[1].n = strlen(fzc_log);
    fzc_fix[1].bytes = malloc(fzc_fix[1].n);
    memcpy(fzc_fix[1].bytes, fzc_log, fzc_fix[1].n);
    fzc_put(&fzc_fix[1]);
    /* r.db: the log imported, closed (WAL checkpointed), then kept as bytes */
    snprintf(path, sizeof path, "%s/r.db", fz_scratch());
    store_t *st;
    FZ_CHECK(store_open(&st, path, err, sizeof err) == 0, "%s", err);
    imp_opts o;
    imp_opts_init(&o);
    o.format = "csv";
    imp_stats s;
    char lp[700];
    snprintf(lp, sizeof lp, "%s/a.csv", fz_scratch());
    const char *files[1] = {lp};
    FZ_CHECK(imp_import(st, &o, files, 1, &s, err, sizeof err) == 0, "%s", err);
    store_close(st);
    FILE *f = fopen(path, "rb");
    FZ_CHECK(f != NULL, "r.db");
    fseek(f, 0, SEEK_END);
    fzc_fix[2].n = (size_t)ftell(f);
    rewind(f);
    fzc_fix[2].bytes = malloc(fzc_fix[2].n);
    FZ_CHECK(fread(fzc_fix[2].bytes, 1, fzc_fix[2].n, f) == fzc_fix[2].n, "r.db");
    fclose(f);
    for (int i = 0; i < 3; i++) fzc_put(&fzc_fix[i]);
}

/* Remove what the input created; rewrite a fixture it changed. */
static void fzc_restore(void)
{
    DIR *d = opendir(fz_scratch());
    FZ_CHECK(d != NULL, "scratch");
    struct dirent *e;
    char path[1200];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        int fixture = 0;
        for (int i = 0; i < 3; i++) fixture |= !strcmp(e->d_name, fzc_fix[i].name);
        if (fixture) continue;
        snprintf(path, sizeof path, "%s/%s", fz_scratch(), e->d_name);
        if (unlink(path) != 0) rmdir(path);
    }
    closedir(d);
    for (int i = 0; i < 3; i++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", fz_scratch(), fzc_fix[i].name);
        if (stat(path, &st) != 0 || st.st_size != fzc_fix[i].st.st_size ||
            st.st_mtim.tv_sec != fzc_fix[i].st.st_mtim.tv_sec || st.st_mtim.tv_nsec != fzc_fix[i].st.st_mtim.tv_nsec ||
            !S_ISREG(st.st_mode))
            fzc_put(&fzc_fix[i]);
    }
}

/* run / sweep / check: parse, load, plan; nothing is run. */
static int fzc_experiment(int argc, char **argv, exp_mode mode)
{
    exp_args a;
    int rc = exp_parse(argc, argv, mode, &a);
    if (rc != 0) {
        exp_args_free(&a);
        return rc > 0 ? QS_EXIT_OK : QS_EXIT_USAGE;
    }
    scenario *s = NULL;
    task_plan *p = NULL;
    rc = exp_load(&a, &s, &p);
    if (rc == 0) {
        int64_t n = task_count(p);
        FZ_CHECK(n == (int64_t)task_npoints(p) * task_reps(p) * task_narms(p), "task count");
        int64_t probe[3] = {0, n / 2, n - 1};
        for (int i = 0; i < 3; i++) {
            int pt, k, rep;
            task_decode(p, probe[i], &pt, &k, &rep);
            FZ_CHECK(pt >= 0 && pt < task_npoints(p) && k >= 0 && k < task_narms(p) && rep >= 0 && rep < task_reps(p),
                     "decode %lld", (long long)probe[i]);
            FZ_CHECK(task_index(p, pt, k, rep) == probe[i], "task_index(task_decode(t)) != t");
        }
        char *key = task_plan_key(p, s, mode == EXP_SWEEP ? "sweep" : "run");
        FZ_CHECK(key != NULL, "plan key");
        free(key);
        int np = task_npoints(p);
        for (int pt = 0; pt < np && pt < 8; pt++) {
            char *t = task_point_text(p, pt);
            FZ_CHECK(t != NULL, "point text");
            free(t);
            scenario tmp;
            char err[1024];
            if (task_apply(p, pt, s, &tmp, err, sizeof err) != 0) FZ_CHECK(err[0], "apply without a message");
        }
    }
    task_plan_free(p);
    scen_free(s);
    exp_args_free(&a);
    return rc;
}

int qs_fuzz_cli(const uint8_t *data, size_t size);
int qs_fuzz_cli(const uint8_t *data, size_t size)
{
    fzc_setup();
    char *argv[FZ_MAX_ARGS + 2], *buf;
    int argc = fz_argv(data, size, "qunsim", argv, &buf);
    int cwd = open(".", O_RDONLY | O_DIRECTORY);
    FZ_CHECK(cwd >= 0 && chdir(fz_scratch()) == 0, "chdir");
    int rc = QS_EXIT_USAGE;
    const char *c = argc > 1 ? argv[1] : "";
    if (!strcmp(c, "run")) rc = fzc_experiment(argc - 1, argv + 1, EXP_RUN);
    else if (!strcmp(c, "sweep")) rc = fzc_experiment(argc - 1, argv + 1, EXP_SWEEP);
    else if (!strcmp(c, "check")) rc = cmd_check(argc - 1, argv + 1);
    else if (!strcmp(c, "import")) rc = cmd_import(argc - 1, argv + 1);
    else if (!strcmp(c, "merge")) rc = cmd_merge(argc - 1, argv + 1);
    else if (!strcmp(c, "metrics")) rc = cmd_metrics(argc - 1, argv + 1);
    else if (!strcmp(c, "doc")) rc = cmd_doc(argc - 1, argv + 1);
    else if (!strcmp(c, "--help") || !strcmp(c, "--version")) rc = QS_EXIT_OK;
    fflush(stdout);
    FZ_CHECK(rc == QS_EXIT_OK || rc == QS_EXIT_FAIL || rc == QS_EXIT_USAGE, "exit status %d", rc);
    FZ_CHECK(fchdir(cwd) == 0, "fchdir");
    close(cwd);
    fzc_restore();
    free(buf);
    return 0;
}

#ifdef QS_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return qs_fuzz_cli(data, size); }
#endif
