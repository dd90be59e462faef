/* bench_metrics.c -- speed of the metric catalogue over an event stream.
 *
 * A synthetic community (3 groups, 20000 memberships, 90 days, 1e6 events
 * with the kind mix of a chatty group, questions included) is generated in
 * memory first; then the stream is fed to fresh handles a few times.
 * Prints `name value unit` lines; never fails on speed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "event.h"
#include "metrics.h"

#define NEV 1000000
#define NMEM 20000
#define NDAYS 90
#define PASSES 3

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int main(void)
{
    const int64_t start = 1709222400 - 8 * 3600; /* 2024-03-01 00:00 +08:00 */
    uint64_t r = 12345;
    ev_member *mem = malloc(NMEM * sizeof *mem);
    ev_rec *ev = malloc((size_t)NEV * sizeof *ev);
    if (!mem || !ev) { fprintf(stderr, "bench_metrics: out of memory\n"); return 1; }
    for (int i = 0; i < NMEM; i++) {
        uint64_t x = rnd(&r);
        mem[i] = (ev_member){.group_id = 1 + (int32_t)(x % 3), .role = x % 97 == 0 ? ROLE_BOT : ROLE_MEMBER,
                             .source = SRC_SEED, .member_id = 1000003LL * (i / 2) + 17, .inviter_id = -1,
                             .joined_ts = start - 86400 + (int64_t)(x % 86400) * 60,
                             .left_ts = x % 7 == 0 ? start + (int64_t)((x >> 20) % (NDAYS * 86400)) : -1};
    }
    /* kinds: mostly messages, some replies, questions, reactions, votes, ... */
    static const ev_kind mix[16] = {EV_MESSAGE, EV_MESSAGE, EV_MESSAGE, EV_MESSAGE, EV_MESSAGE,
                                    EV_MESSAGE, EV_REPLY, EV_REPLY, EV_QUESTION, EV_ANSWER,
                                    EV_REACTION, EV_REACTION, EV_VOTE, EV_CHECKIN, EV_SHARE,
                                    EV_PURCHASE};
    int64_t lastq[4] = {-1, -1, -1, -1};  /* answers and replies refer to the group's last question */
    for (int i = 0; i < NEV; i++) {
        uint64_t x = rnd(&r);
        const ev_member *m = &mem[x % NMEM];
        ev_kind k = mix[(x >> 32) % 16];
        ev[i] = (ev_rec){.id = i, .ts = start + (int64_t)((double)i / NEV * NDAYS * 86400),
                         .group_id = m->group_id, .kind = k, .member_id = m->member_id,
                         .ref_id = k == EV_ANSWER || k == EV_REPLY ? lastq[m->group_id] : -1,
                         .value = 10.0};
        if (k == EV_QUESTION) lastq[m->group_id] = i;
    }

    double t_ev = 0, t_fin = 0;
    for (int pass = 0; pass < PASSES; pass++) {
        met_opts o = {.start_ts = start, .utc_offset = 8 * 3600, .ndays = NDAYS, .count_bots = 0};
        met_t *m = NULL;
        if (met_open(&m, &o) != 0) { fprintf(stderr, "bench_metrics: met_open failed\n"); return 1; }
        for (int i = 0; i < NMEM; i++)
            if (met_member(m, &mem[i]) != 0) { fprintf(stderr, "bench_metrics: %s\n", met_errmsg(m)); return 1; }
        double t0 = now();
        for (int i = 0; i < NEV; i++)
            if (met_event(m, &ev[i]) != 0) { fprintf(stderr, "bench_metrics: %s\n", met_errmsg(m)); return 1; }
        double t1 = now();
        if (met_finish(m) != 0) { fprintf(stderr, "bench_metrics: %s\n", met_errmsg(m)); return 1; }
        double t2 = now();
        t_ev += t1 - t0;
        t_fin += t2 - t1;
        met_close(m);
    }
    printf("metrics_events %.3g events/s\n", (double)NEV * PASSES / t_ev);
    printf("metrics_finish_%dk_members_%dd %.3g s\n", NMEM / 1000, NDAYS, t_fin / PASSES);
    free(mem);
    free(ev);
    return 0;
}
