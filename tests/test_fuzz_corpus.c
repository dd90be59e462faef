/* test_fuzz_corpus.c -- every seed input (fuzz/corpus/TARGET/) and every
 * crash ever found (fuzz/crashes/TARGET/) run through the fuzz targets' entry
 * points in the normal build, so they stay regression tests without clang.
 * A target aborts on a broken invariant (see each fuzz/fuzz_*.c), which
 * fails the test; sanitizer and valgrind runs of the suite check memory.
 * The targets are compiled into this file (each fuzz target source, without
 * QS_LIBFUZZER).
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "../fuzz/fuzz_cfgwrite.c"
#include "../fuzz/fuzz_cli.c"
#include "../fuzz/fuzz_import_chatlog.c"
#include "../fuzz/fuzz_import_csv.c"
#include "../fuzz/fuzz_import_wechatmsg.c"
#include "../fuzz/fuzz_import_wecom.c"
#include "../fuzz/fuzz_scenario.c"

/* Under ASan (the sanitizer build of the suite): libconfig 1.5's own leak of
 * a discarded token on a syntax error is not qunsim's (replayed crash inputs
 * trigger it; fuzz/lsan.supp, tests/valgrind.supp). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libconfig.so\n"; }

typedef struct target {
    const char *name; /* directory under fuzz/corpus and fuzz/crashes */
    int (*fn)(const uint8_t *data, size_t size);
} target;

static const target targets[] = {
    {"scenario", qs_fuzz_scenario},
    {"import_csv", qs_fuzz_import_csv},
    {"import_wechatmsg", qs_fuzz_import_wechatmsg},
    {"import_chatlog", qs_fuzz_import_chatlog},
    {"import_wecom", qs_fuzz_import_wecom},
    {"cli", qs_fuzz_cli},
    {"cfgwrite", qs_fuzz_cfgwrite},
    {NULL, NULL},
};

static const char *root(void)
{
    const char *r = getenv("QS_ROOT");
    return r && *r ? r : ".";
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        ck_assert_ptr_nonnull(buf);
        size_t k = fread(buf + len, 1, cap - len, f);
        len += k;
        if (len < cap) break;
        cap *= 2;
        buf = realloc(buf, cap);
    }
    fclose(f);
    *n = len;
    return buf;
}

/* Run every file of dir (may be absent) through fn; returns how many. */
static int replay_dir(const char *dir, int (*fn)(const uint8_t *, size_t))
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    /* sorted, so a failure names the same file every time */
    char **names = NULL;
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "README")) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            names = realloc(names, (size_t)cap * sizeof *names);
            ck_assert_ptr_nonnull(names);
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (strcmp(names[j], names[i]) < 0) {
                char *t = names[i];
                names[i] = names[j];
                names[j] = t;
            }
    for (int i = 0; i < n; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t len;
        uint8_t *data = slurp(path, &len);
        fprintf(stderr, "%s\n", path); /* the last line before a crash names it */
        fn(data, len);
        free(data);
        free(names[i]);
    }
    free(names);
    return n;
}

START_TEST(test_replay)
{
    const target *t = &targets[_i];
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/fuzz/corpus/%s", root(), t->name);
    int seeds = replay_dir(dir, t->fn);
    snprintf(dir, sizeof dir, "%s/fuzz/crashes/%s", root(), t->name);
    replay_dir(dir, t->fn);
    /* a target without seeds would test nothing */
    ck_assert_msg(seeds > 0, "no seed inputs in fuzz/corpus/%s", t->name);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    int ntargets = 0;
    while (targets[ntargets].name) ntargets++;
    Suite *s = suite_create("fuzz_corpus");
    TCase *tc = tcase_create("replay");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_replay, 0, ntargets);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
