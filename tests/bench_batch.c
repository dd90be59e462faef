/* bench_batch.c -- the experiment driver's speed, one figure a line
 * (`name value unit`); never fails on speed.
 *   batch_rep_500x90           one reading-club replication, 500 members, 90 days (ms, median of 5)
 *   batch_rep_500x90_stored    the same written to a results database with its event log
 *   batch_RxA_T_*              R replications x A arms of the reading club into a database,
 *                              1 and 2 threads: wall time, rate and the speed-up; and from CPU
 *                              times (which other load on the machine does not change) the
 *                              speed-up two idle cores would give the 2-thread run: its CPU
 *                              time over max(CPU time / 2, the writer thread's CPU time)
 * QS_BENCH_REPS sets R (default 200; 1000 is the figure, ~1 min);
 * runs with the event log use R/4.  Files under $QS_TMP (else /tmp), removed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "batch.h"
#include "replica.h"

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }

static void rm_db(const char *path)
{
    char b[1100];
    unlink(path);
    snprintf(b, sizeof b, "%s-wal", path);
    unlink(b);
    snprintf(b, sizeof b, "%s-shm", path);
    unlink(b);
}

static scenario *load(const char *size, const char *days, int reps)
{
    char path[1024], err[1024];
    const char *root = getenv("QS_ROOT");
    snprintf(path, sizeof path, "%s/scenarios/reading_club.cfg", root && root[0] ? root : ".");
    scenario *s = NULL;
    if (scen_load(&s, path, err, sizeof err) != 0 || (size && scen_set(s, "group.size", size, err, sizeof err)) ||
        (days && scen_set(s, "scenario.days", days, err, sizeof err))) {
        fprintf(stderr, "bench_batch: %s\n", err);
        scen_free(s);
        return NULL;
    }
    if (reps) s->run.reps = reps;
    return s;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median wall time (s) of n replications (rep 0..n-1 of arm 1) of s, into
 * store st (may be NULL).  -1 on failure. */
static double rep_median(const scenario *s, store_t *st, int n)
{
    double t[16];
    char err[1024];
    for (int i = 0; i < n; i++) {
        met_t *met = NULL;
        rep_opts o;
        memset(&o, 0, sizeof o);
        o.store = st;
        o.store_events = 1;
        double t0 = now_s();
        if (rep_run(s, s->narms > 1 ? 1 : 0, i, st ? &o : NULL, &met, NULL, err, sizeof err) != 0) {
            fprintf(stderr, "bench_batch: %s\n", err);
            return -1;
        }
        t[i] = now_s() - t0;
        met_close(met);
    }
    qsort(t, (size_t)n, sizeof t[0], cmp_d);
    return t[n / 2];
}

static char *empty_point(void *ctx, int point)
{
    (void)ctx;
    (void)point;
    char *s = malloc(1);
    if (s) s[0] = '\0';
    return s;
}

typedef struct timing { double wall, cpu, writer; } timing; /* s: wall, all threads, calling thread */

/* Time the whole batch of s (every arm) into a fresh database with
 * `threads` threads.  0, or -1 on failure. */
static int batch_time(scenario *s, int threads, int events, const char *path, timing *tm)
{
    int arms[SCEN_MAX_ARMS];
    for (int k = 0; k < s->narms; k++) arms[k] = k;
    task_plan *p = NULL;
    store_t *st = NULL;
    char err[1024];
    double t = -1;
    rm_db(path);
    if (task_plan_new(&p, s, TASK_RUN, arms, s->narms, NULL, 0, 0, err, sizeof err) != 0 ||
        store_open(&st, path, err, sizeof err) != 0)
        goto out;
    char *key = task_plan_key(p, s, "run");
    store_batch b = {"run", s->run.name, "bench", s->text, (int64_t)s->seed, task_reps(p), s->run.days, "bench"};
    batch_opts o;
    memset(&o, 0, sizeof o);
    int rc = key ? bdb_create(st, &b, 1, empty_point, NULL, task_count(p), key, &o.db, err, sizeof err) : -1;
    free(key);
    if (rc) goto out;
    o.sc = s;
    o.plan = p;
    o.store = st;
    o.threads = threads;
    o.store_events = events;
    batch_result res;
    double t0 = now_s(), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), w0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    if (batch_run(&o, &res, err, sizeof err) == 0) {
        t = tm->wall = now_s() - t0;
        tm->cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
        tm->writer = clock_s(CLOCK_THREAD_CPUTIME_ID) - w0;
    }
out:
    if (t < 0) fprintf(stderr, "bench_batch: %s\n", err);
    store_close(st);
    task_plan_free(p);
    rm_db(path);
    return t < 0 ? -1 : 0;
}

int main(void)
{
    gsl_set_error_handler_off();
    const char *dir = getenv("QS_TMP");
    if (!dir || !*dir) dir = "/tmp";
    char path[1024];
    snprintf(path, sizeof path, "%s/bench_batch_%ld.db", dir, (long)getpid());
    int reps = getenv("QS_BENCH_REPS") ? atoi(getenv("QS_BENCH_REPS")) : 200;
    if (reps < 4) reps = 4;

    scenario *s = load("500", "90", 0);
    if (!s) return 1;
    double m = rep_median(s, NULL, 5);
    if (m < 0) return 1;
    printf("batch_rep_500x90 %.1f ms\n", m * 1e3);
    store_t *st = NULL;
    char err[1024];
    rm_db(path);
    if (store_open(&st, path, err, sizeof err) != 0) {
        fprintf(stderr, "bench_batch: %s\n", err);
        return 1;
    }
    m = rep_median(s, st, 3);
    store_close(st);
    rm_db(path);
    if (m < 0) return 1;
    printf("batch_rep_500x90_stored %.1f ms\n", m * 1e3);
    scen_free(s);

    /* the reading club as the scenario has it, every arm */
    for (int events = 0; events <= 1; events++) {
        int r = events ? reps / 4 : reps;
        s = load(NULL, NULL, r);
        if (!s) return 1;
        timing a, b;
        if (batch_time(s, 1, events, path, &a) || batch_time(s, 2, events, path, &b)) return 1;
        char name[64];
        snprintf(name, sizeof name, "batch_%dx%d%s", r, s->narms, events ? "_events" : "");
        int tasks = r * s->narms;
        double t2 = b.cpu / 2 > b.writer ? b.cpu / 2 : b.writer;
        printf("%s_1t %.2f s\n", name, a.wall);
        printf("%s_2t %.2f s\n", name, b.wall);
        printf("%s_1t_rate %.1f reps/s\n", name, tasks / a.wall);
        printf("%s_2t_rate %.1f reps/s\n", name, tasks / b.wall);
        printf("%s_speedup %.2f x\n", name, a.wall / b.wall);
        printf("%s_1t_cpu %.2f s\n", name, a.cpu);
        printf("%s_2t_cpu %.2f s\n", name, b.cpu);
        printf("%s_2t_writer_cpu %.2f s\n", name, b.writer);
        printf("%s_speedup_idle_est %.2f x\n", name, b.cpu / t2);
        scen_free(s);
    }
    return 0;
}
