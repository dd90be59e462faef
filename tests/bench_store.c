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

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 2000000;
    const char *dir = getenv("QS_TMP");
    if (!dir || !*dir) dir = "/tmp";
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/bench_store_%ld.db", dir, (long)getpid());
    rm_db(path);
    store_t *st;
    if (store_open(&st, path, err, sizeof err)) {
        fprintf(stderr, "bench_store: %s\n", err);
        return 1;
    }
    store_run r = {.scenario = "bench", .arm = "a", .seed = 1, .source = "sim", .start_ts = 1700000000,
                   .utc_offset = 28800, .days = 30};
    int64_t id;
    int rc = 0;
    double t0 = now_s();
    if (store_run_begin(st, &r, &id)) goto fail;
    /* A plausible mix: 500 members, 2 groups, mostly messages, a few with a
     * reference and a value; ts nondecreasing as a run writes them. */
    for (long i = 0; i < n; i++) {
        ev_rec e = {.ts = 1700000000 + i / 4, .group_id = 1 + (int)(i & 1),
                    .kind = (i % 10 == 0) ? EV_REPLY : (i % 17 == 0) ? EV_CHECKIN : EV_MESSAGE,
                    .member_id = (i * 7919) % 500, .ref_id = (i % 10 == 0) ? i - 3 : -1,
                    .value = (i % 17 == 0) ? 10.0 : 0.0};
        if (store_event(st, &e)) goto fail;
    }
    if (store_run_commit(st)) goto fail;
    double dt = now_s() - t0;
    printf("store_events_insert %.3g rows/s\n", n / dt);
    goto done;
fail:
    fprintf(stderr, "bench_store: %s\n", store_errmsg(st));
    rc = 1;
done:
    store_close(st);
    rm_db(path);
    return rc;
}
