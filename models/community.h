/* community.h -- the community model: members who post, reply, drift in and
 * out of engagement and leave; the operator's daily posts; joins; and the
 * campaign modules (check-in, ...) plugged in as rows of a handler table.
 *
 * Plugs into the engine through handlers only; reports what happens through
 * an ev_sink (analysis/event.h), so the same stream feeds the store and the
 * metrics.  Random numbers: per-member streams reseeded from (seed, rep,
 * family, member, day), so arms of an experiment share their dice (common
 * random numbers) wherever the design does not differ.
 */
#ifndef QS_COMMUNITY_H
#define QS_COMMUNITY_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "cal.h"
#include "event.h"
#include "opt.h"
#include "sim.h"

/* Stream families (high 32 bits of a stream id). */
enum {
    FAM_ATTR = 1,   /* member attributes, by member index */
    FAM_POST = 2,   /* member posting, by member index, reseeded daily */
    FAM_CHURN = 3,  /* daily churn draws, by member index and day */
    FAM_JOIN = 4,   /* arrivals of new members */
    FAM_REPLY = 5,  /* choice of responders */
    FAM_CHECKIN = 6 /* check-in decisions, by member index and day */
};

typedef struct com_params {
    /* group */
    int size;            /* initial members, owner included */
    int cap;             /* platform cap on members */
    int admins;          /* admins among the initial members */
    int bots;            /* bot accounts (excluded from speaker metrics) */
    /* members */
    double rate_mean;    /* messages/day of a fully engaged member, population mean */
    double rate_shape;   /* gamma shape of the posting-rate distribution */
    double eng_a, eng_b; /* Beta(a, b) initial engagement */
    double eng_tau;      /* engagement decay time constant, days */
    double silent_below; /* engagement below which a member turns lurker */
    double leave_rate;   /* leaving hazard per day at zero engagement */
    double sens_a, sens_b; /* Beta(a, b) reward sensitivity */
    /* cadence */
    opt_vec daily;       /* relative activity by local hour, 24 values */
    opt_vec weekly;      /* relative activity by weekday Mon..Sun, 7 values */
    /* replies */
    double reply_prob;   /* probability that a message gets a reply */
    double reply_delay;  /* mean delay of a reply, minutes */
    double reply_boost;  /* engagement boost of being answered */
    /* operator */
    opt_vec op_slots;    /* local hours of the operator's daily posts */
    double op_boost;     /* engagement boost of an operator post to readers */
    /* joins */
    double join_rate;    /* organic joins per day */
    /* check-in campaign */
    int ck_enabled;
    int ck_start;        /* first day (0 = scenario start) */
    int ck_days;         /* length in days */
    double ck_hour;      /* local hour of the daily reminder */
    double ck_window;    /* mean delay from reminder to check-in, hours */
    int ck_points;       /* points per check-in */
    int ck_threshold;    /* points for the reward (a book) */
    int ck_makeup;       /* missed days allowed without breaking the streak */
    double ck_base;      /* participation logit intercept */
    double ck_w_eng;     /* logit weight of engagement */
    double ck_w_streak;  /* logit weight of the streak (per 7 days, capped at 1) */
    double ck_w_reward;  /* logit weight of reward sensitivity */
    double ck_boost;     /* engagement boost of a check-in */
    double ck_reward_boost; /* engagement boost of the reward */
} com_params;

/* The settings table (paths relative to the scenario root). */
extern const opt_row com_opts[];

typedef struct com com_t;

/* Create the model on engine `sim`, calendar `c`, streams (seed, rep),
 * reporting to `sink`.  Schedules nothing yet.  Returns 0 and *out, or -1
 * with a message in err.  Free with com_free(). */
int com_new(com_t **out, const com_params *p, sim_t *sim, const cal *c,
            uint64_t seed, uint64_t rep, const ev_sink *sink, char *err, size_t errlen);

/* Emit the initial members and schedule the first events.  Returns 0 or -1. */
int com_start(com_t *m);

/* After the run: emit final member records.  Returns 0, or -1 if the sink
 * failed at any point during the run (then the run is void). */
int com_finish(com_t *m);

/* Free.  Accepts NULL. */
void com_free(com_t *m);

/* Counters for tests and benchmarks. */
typedef struct com_stats {
    uint64_t messages, replies, checkins, rewards, joins, leaves, candidates;
} com_stats;
void com_get_stats(const com_t *m, com_stats *out);

#endif
