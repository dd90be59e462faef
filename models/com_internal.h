/* com_internal.h -- the community model's state, shared by its mechanism
 * files (community.c, checkin.c, ...).  Not a public API. */
#ifndef QS_COM_INTERNAL_H
#define QS_COM_INTERNAL_H

#include "community.h"

enum { ST_ACTIVE = 0, ST_SILENT = 1, ST_LEFT = 2 };

/* One member: fixed size (see docs/model.md for the memory budget). */
typedef struct member {
    double rate;      /* messages/day at full engagement */
    double eng;       /* engagement at time t_eng */
    double t_eng;     /* simulated time of the last engagement update */
    double sens;      /* reward sensitivity in [0,1] */
    double joined;    /* simulated time of joining */
    gsl_rng *post;    /* posting stream, reseeded each local day */
    sim_id next_post; /* pending candidate post */
    int64_t post_day; /* day the posting stream was last seeded for */
    int32_t role;     /* ev_role */
    int32_t source;   /* ev_source */
    int32_t state;    /* ST_* */
    int32_t ck_streak, ck_points, ck_missed, ck_done_day, ck_rewarded, ck_count;
} member;

struct com {
    com_params p;
    sim_t *sim;
    const cal *cal;
    uint64_t seed, rep;
    ev_sink sink;
    int failed;          /* the sink asked to stop */
    member *mem;
    int n, cap;          /* members so far (including those who left), capacity */
    int present;         /* members not left */
    gsl_rng *scratch;    /* reseeded per (family, index, counter) */
    gsl_rng *joins;      /* arrival stream */
    gsl_rng *replies;    /* responder choice stream */
    double daily_max, weekly_max, daily_mean, weekly_mean;
    int64_t next_msg_id;
    com_stats st;
};

/* engagement of member i now (decayed since its last update) */
double com_eng(com_t *m, int i);
/* raise engagement: e += b * (1 - e) */
void com_boost(com_t *m, int i, double b);
/* emit an event by member i (-1: none) at the current time; returns its id */
int64_t com_emit(com_t *m, ev_kind k, int i, int64_t ref, double value);
/* reseed the scratch stream for (family, index, counter) and return it */
gsl_rng *com_scratch(com_t *m, uint32_t family, uint32_t index, uint64_t counter);

/* check-in campaign (checkin.c) */
void ck_day(com_t *m, int64_t day);

#endif
