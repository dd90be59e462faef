/* bench_hardening.c -- memory stays bounded on a big import: a generated
 * generic CSV log (2,000 members in 20 groups, a message id per row) of
 * QS_BENCH_IMPORT_MB megabytes (default 256; e.g. 3072 for the multi-GB
 * check of docs/hardening.md) and one a quarter of that size are each
 * imported in a child process, which reports its own peak memory: the peak
 * grows with members, groups and the duplicate-id fingerprints (capped at
 * IMP_DEDUP_MAX), not with the file.  One figure a line, `name value unit`.
 * Files under $QS_TMP (else /tmp), removed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "import.h"
#include "store.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void rm_db(const char *path)
{
    char b[1100];
    unlink(path);
    snprintf(b, sizeof b, "%s-wal", path);
    unlink(b);
    snprintf(b, sizeof b, "%s-shm", path);
    unlink(b);
}

static const char *const texts[] = {"大家好", "今天的章节读完了，收获很多", "请问明天几点开始？", "\"书名\"，很好看",
                                    "哈哈哈", "收到", "打卡 第3天", "ok"};

/* Write about mb megabytes of log; the number of rows. */
static long gen(const char *path, long mb)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fputs("ts,group,sender,name,text,id\n", f);
    unsigned long long s = 7;
    long i = 0;
    long long want = (long long)mb << 20;
    while (ftell(f) < want) {
        for (int k = 0; k < 10000; k++, i++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            unsigned r = (unsigned)(s >> 33);
            const char *t = texts[r % 8];
            if (strchr(t, '"'))
                fprintf(f, "%ld,g%u,u%u,成员%u,\"\"\"书名\"\"，很好看\",%ld\n", 1714525200L + i / 20, r % 20, r % 2000,
                        r % 2000, i);
            else
                fprintf(f, "%ld,g%u,u%u,成员%u,%s,%ld\n", 1714525200L + i / 20, r % 20, r % 2000, r % 2000, t, i);
        }
    }
    fclose(f);
    return i;
}

/* In a child: import log into db, print the figures with its own peak RSS. */
static int import_child(const char *log, const char *db, const char *tag, long rows)
{
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        char err[1024];
        store_t *st;
        rm_db(db);
        if (store_open(&st, db, err, sizeof err)) {
            fprintf(stderr, "bench_hardening: %s\n", err);
            _exit(1);
        }
        imp_opts o;
        imp_opts_init(&o);
        o.format = "csv";
        imp_stats s;
        const char *files[1] = {log};
        double t0 = now_s();
        int rc = imp_import(st, &o, files, 1, &s, err, sizeof err);
        double t = now_s() - t0;
        store_close(st);
        if (rc) {
            fprintf(stderr, "bench_hardening: %s\n", err);
            _exit(1);
        }
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        printf("import_%s_rows %ld rows\n", tag, rows);
        printf("import_%s_rate %.0f rows/s\n", tag, (double)s.rows / t);
        printf("import_%s_peak_rss %ld MB\n", tag, ru.ru_maxrss / 1024);
        printf("import_%s_dedup_full %d flag\n", tag, s.dedup_full);
        fflush(stdout);
        _exit(0);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) return -1;
    return 0;
}

int main(void)
{
    const char *dir = getenv("QS_TMP");
    if (!dir || !*dir) dir = "/tmp";
    long mb = getenv("QS_BENCH_IMPORT_MB") ? atol(getenv("QS_BENCH_IMPORT_MB")) : 256;
    if (mb < 4) mb = 4;
    char log[1024], db[1024];
    snprintf(log, sizeof log, "%s/bench_hardening_%ld.csv", dir, (long)getpid());
    snprintf(db, sizeof db, "%s/bench_hardening_%ld.db", dir, (long)getpid());
    int rc = 0;
    long sizes[2] = {mb / 4, mb};
    for (int k = 0; k < 2 && !rc; k++) {
        long rows = gen(log, sizes[k]);
        char tag[32];
        snprintf(tag, sizeof tag, "%ldMB", sizes[k]);
        fflush(stdout);
        rc = rows < 0 || import_child(log, db, tag, rows) != 0;
        unlink(log);
        rm_db(db);
    }
    return rc;
}
