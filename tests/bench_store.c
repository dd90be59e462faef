/* bench_store.c -- how fast the results database takes events: N events in
 * one run (one transaction, prepared statement), timed through the commit.
 * Prints one figure a line, `name value unit`; never fails on speed.
 * The file goes under $QS_TMP (else /tmp) and is removed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
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

/* Insert n events in one run of a fresh database; rows/s, or -1. */
static double insert_rate(const char *path, long n, int drop_index)
{
    char err[512];
    store_t *st;
    rm_db(path);
    if (store_open(&st, path, err, sizeof err)) {
        fprintf(stderr, "bench_store: %s\n", err);
        return -1;
    }
    if (drop_index) sqlite3_exec(store_db(st), "DROP INDEX events_run_ts", NULL, NULL, NULL);
    store_run r = {.scenario = "bench", .arm = "a", .seed = 1, .source = "sim", .start_ts = 1700000000,
                   .utc_offset = 28800, .days = 30};
    int64_t id;
    double rate = -1, t0 = now_s();
    if (store_run_begin(st, &r, &id)) goto done;
    /* A plausible mix: 500 members, 2 groups, mostly messages, a few with a
     * reference and a value; ts nondecreasing as a run writes them. */
    for (long i = 0; i < n; i++) {
        ev_rec e = {.ts = 1700000000 + i / 4, .group_id = 1 + (int)(i & 1),
                    .kind = (i % 10 == 0) ? EV_REPLY : (i % 17 == 0) ? EV_CHECKIN : EV_MESSAGE,
                    .member_id = (i * 7919) % 500, .ref_id = (i % 10 == 0) ? i - 3 : -1,
                    .value = (i % 17 == 0) ? 10.0 : 0.0};
        if (store_event(st, &e)) goto done;
    }
    if (store_run_commit(st)) goto done;
    rate = n / (now_s() - t0);
done:
    if (rate < 0) fprintf(stderr, "bench_store: %s\n", store_errmsg(st));
    store_close(st);
    rm_db(path);
    return rate;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 2000000;
    const char *dir = getenv("QS_TMP");
    if (!dir || !*dir) dir = "/tmp";
    char path[1024];
    snprintf(path, sizeof path, "%s/bench_store_%ld.db", dir, (long)getpid());
    double r = insert_rate(path, n, 0);
    if (r < 0) return 1;
    printf("store_events_insert %.3g rows/s\n", r);
    /* The same without the events(run_id, group_id, ts) index: what the
     * index costs (it dominates the insert). */
    r = insert_rate(path, n, 1);
    if (r < 0) return 1;
    printf("store_events_insert_noindex %.3g rows/s\n", r);
    return 0;
}
