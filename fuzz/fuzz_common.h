/* fuzz_common.h -- what the fuzz targets share: a private scratch directory,
 * writing an input to a file there, and splitting an input into argv.
 * Header-only (static functions) so that a target is one .c file that both
 * the libFuzzer build (make fuzz) and tests/test_fuzz_corpus.c compile.
 * Harness state (the scratch directory, a cached store) is process-global:
 * a fuzz target is a single-threaded driver, not library code.
 */
#ifndef QS_FUZZ_COMMON_H
#define QS_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* Every target aborts on a broken invariant (libFuzzer reports it as a
 * crash, with the input saved), never on bad input. */
#define FZ_CHECK(cond, ...)                                                                           \
    do {                                                                                              \
        if (!(cond)) {                                                                                \
            fprintf(stderr, "fuzz invariant failed at %s:%d: %s: ", __FILE__, __LINE__, #cond);      \
            fprintf(stderr, __VA_ARGS__);                                                             \
            fputc('\n', stderr);                                                                      \
            abort();                                                                                  \
        }                                                                                             \
    } while (0)

static char fz_dir[600], fz_top[512];
static pid_t fz_owner;

/* Remove the scratch tree, in the process that made it only (a forked
 * Check child exits too). */
static inline void fz_cleanup(void)
{
    if (!fz_top[0] || getpid() != fz_owner) return;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fz_top);
    if (system(cmd) != 0) { /* best effort */ }
    fz_top[0] = fz_dir[0] = '\0';
}

/* The scratch directory (created on first use under $QS_TMP or /tmp,
 * removed at exit).  Two levels deep: a '..' in an argument stays inside. */
static inline const char *fz_scratch(void)
{
    if (fz_dir[0]) return fz_dir;
    const char *base = getenv("QS_TMP");
    if (!base || !*base) base = "/tmp";
    char tmpl[480];
    snprintf(tmpl, sizeof tmpl, "%.400s/qs-fuzz-XXXXXX", base);
    if (!mkdtemp(tmpl)) {
        perror("fuzz: mkdtemp");
        abort();
    }
    char sub[500];
    snprintf(sub, sizeof sub, "%s/a", tmpl);
    mkdir(sub, 0700);
    snprintf(fz_dir, sizeof fz_dir, "%s/b", sub);
    mkdir(fz_dir, 0700);
    snprintf(fz_top, sizeof fz_top, "%s", tmpl);
    fz_owner = getpid();
    atexit(fz_cleanup);
    return fz_dir;
}

/* Write data to scratch/name; returns the path (static buffer). */
static inline const char *fz_write(const char *name, const uint8_t *data, size_t size)
{
    static char path[900];
    snprintf(path, sizeof path, "%s/%s", fz_scratch(), name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        abort();
    }
    if (size && fwrite(data, 1, size, f) != size) {
        perror(path);
        abort();
    }
    fclose(f);
    return path;
}

#define FZ_MAX_ARGS 48

/* Split data at NUL bytes into at most FZ_MAX_ARGS arguments after argv[0]
 * (copied into buf, which the caller frees); '/' is replaced by '_' so that
 * every path an argument names stays in the scratch directory. */
static inline int fz_argv(const uint8_t *data, size_t size, const char *argv0, char **argv, char **buf)
{
    *buf = malloc(size + 1);
    if (!*buf) abort();
    memcpy(*buf, data, size);
    (*buf)[size] = '\0';
    int argc = 0;
    argv[argc++] = (char *)argv0;
    char *p = *buf, *end = *buf + size;
    while (p < end && argc < FZ_MAX_ARGS + 1) {
        argv[argc++] = p;
        size_t n = strlen(p);
        for (size_t i = 0; i < n; i++)
            if (p[i] == '/') p[i] = '_';
        p += n + 1;
    }
    argv[argc] = NULL;
    return argc;
}

#endif
