/* bench_model.c -- how long one replication of the community model takes:
 * a 500-member group for 90 days with the default settings (engine + model
 * + metrics, no store), the median of 7 replications, and the same with
 * every mechanism of scenarios/community.cfg's first arm when the file is
 * found ($QS_ROOT or the working directory).  Then the large community of
 * scenarios/large.cfg, one replication in a child process (its peak RSS is
 * the child's alone): with QS_BENCH_LARGE=1 as written (2,000 groups of 500,
 * a million members, 365 days: minutes), else a tenth of the groups for 90
 * days (100,000 members, joins scaled alike: seconds).
 * Prints one figure a line, `name value unit`; never fails on speed.
 * The scenario file goes under $QS_TMP (else /tmp) and is removed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "replica.h"
#include "scenario.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median wall time of n replications of arm 0, in ms; messages per
 * replication in *msgs.  -1 on error. */
static double time_reps(const scenario *sc, int n, double *msgs)
{
    double t[16];
    char err[512];
    *msgs = 0;
    for (int r = 0; r < n && r < 16; r++) {
        met_t *met = NULL;
        com_stats st;
        double t0 = now_s();
        if (rep_run(sc, 0, r, NULL, &met, &st, err, sizeof err) != 0) {
            fprintf(stderr, "bench_model: %s\n", err);
            return -1;
        }
        t[r] = (now_s() - t0) * 1e3;
        met_close(met);
        *msgs += (double)st.messages / n;
    }
    qsort(t, (size_t)n, sizeof t[0], cmp);
    return t[n / 2];
}

/* One replication of scenarios/large.cfg (full, or the tenth), in a child
 * process: the child prints the time and messages, the parent the child's
 * peak resident memory.  0, or -1 on error. */
static int bench_large(const char *path)
{
    const char *env = getenv("QS_BENCH_LARGE");
    int full = env && strcmp(env, "1") == 0;
    char err[1024], name[64];
    scenario *sc = NULL;
    if (scen_load(&sc, path, err, sizeof err) != 0) { fprintf(stderr, "bench_model: %s\n", err); return -1; }
    if (!full) {
        /* a tenth of the groups, joins scaled alike, 90 days */
        char v[64];
        snprintf(v, sizeof v, "%d", sc->arms[0].com.group.count / 10);
        int rc = scen_set(sc, "group.count", v, err, sizeof err);
        if (!rc) rc = scen_set(sc, "rules.max_groups", v, err, sizeof err);
        snprintf(v, sizeof v, "%.17g", sc->arms[0].com.joins.rate / 10);
        if (!rc) rc = scen_set(sc, "joins.rate", v, err, sizeof err);
        if (!rc) rc = scen_set(sc, "scenario.days", "90", err, sizeof err);
        if (rc) { fprintf(stderr, "bench_model: %s\n", err); scen_free(sc); return -1; }
    }
    const com_params *p = &sc->arms[0].com;
    long members = (long)p->group.count * p->group.size;
    /* the name: large_1e6x365 (950,000 seed members), large_1e5x90 */
    snprintf(name, sizeof name, "large_1e%ldx%d", lround(log10((double)members)), sc->run.days);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); scen_free(sc); return -1; }
    if (pid == 0) {
        met_t *met = NULL;
        com_stats st;
        double t0 = now_s();
        if (rep_run(sc, 0, 0, NULL, &met, &st, err, sizeof err) != 0) {
            fprintf(stderr, "bench_model: %s\n", err);
            _exit(1);
        }
        double s = now_s() - t0;
        printf("%s %.1f s\n", name, s);
        printf("%s_messages %.0f msgs\n", name, (double)st.messages);
        fflush(stdout);
        met_close(met);
        _exit(0);
    }
    scen_free(sc);
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
    struct rusage ru;
    if (getrusage(RUSAGE_CHILDREN, &ru) != 0) return -1;
    printf("%s_rss %.0f MiB\n", name, ru.ru_maxrss / 1024.0); /* Linux: kB */
    return 0;
}

int main(void)
{
    gsl_set_error_handler_off();
    const char *dir = getenv("QS_TMP");
    char path[512], err[1024];
    snprintf(path, sizeof path, "%s/bench_model_%ld.cfg", dir && *dir ? dir : "/tmp", (long)getpid());
    FILE *f = fopen(path, "w");
    if (!f) { perror(path); return 1; }
    /* the defaults: group.size 500, one admin, base posting, bursts,
     * questions, churn, organic joins, two operator posts a day */
    fputs("scenario = { name = \"bench\"; days = 90; seed = 7; reps = 7; };\n", f);
    fclose(f);
    scenario *sc = NULL;
    int rc = scen_load(&sc, path, err, sizeof err);
    unlink(path);
    if (rc != 0) { fprintf(stderr, "bench_model: %s\n", err); return 1; }
    double msgs, ms = time_reps(sc, 7, &msgs);
    scen_free(sc);
    if (ms < 0) return 1;
    printf("replica_500x90 %.1f ms\n", ms);
    printf("replica_500x90_messages %.0f msgs\n", msgs);

    const char *root = getenv("QS_ROOT");
    snprintf(path, sizeof path, "%s/scenarios/community.cfg", root && *root ? root : ".");
    if (access(path, R_OK) == 0) {
        if (scen_load(&sc, path, err, sizeof err) != 0) { fprintf(stderr, "bench_model: %s\n", err); return 1; }
        ms = time_reps(sc, 5, &msgs);
        int days = sc->run.days;
        scen_free(sc);
        if (ms < 0) return 1;
        printf("replica_community_%dd %.1f ms\n", days, ms);
    }
    snprintf(path, sizeof path, "%s/scenarios/large.cfg", root && *root ? root : ".");
    if (access(path, R_OK) == 0 && bench_large(path) != 0) return 1;
    return 0;
}
