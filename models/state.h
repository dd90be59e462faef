/* state.h -- a group's observed state at a date as the members a forecast
 * starts from (com_init, models/community.h): who is present, roles, join
 * times, engagement from how recently and how much each spoke, posterior
 * posting rates and responder weights.  Rules: docs/calibration.md. */
#ifndef QS_STATE_H
#define QS_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "community.h"
#include "fit.h"

typedef struct state_opts {
    double eng_tau;   /* time constant of the engagement proxy, days (14, as calibrate) */
    double memory;    /* time constant of the discount of a member's history for its rate, days (56; 0: none) */
    double eng_floor; /* least engagement given to a member (0.05) */
    int engagement;   /* STATE_ENG_AUTO: the proxy if the history shows quiet
                         members leaving more, else the mean; or always one */
    int classic;      /* 1: the first model's state even when the prior has silent attrition */
    int64_t from_ts;  /* the history's start for silent attrition (0: the log's) */
} state_opts;
enum { STATE_ENG_AUTO = 0, STATE_ENG_PROXY, STATE_ENG_MEAN };
void state_opts_init(state_opts *o);

/* What the scenario says about members (from an arm's com_params). */
typedef struct state_prior {
    double shape, mean;          /* gamma prior of a member's own-post rate, messages/day */
    double branching;            /* replies.branching: own share of an unlinked message is 1 - branching */
    double reply_shape;          /* members.reply_shape: gamma prior of reply propensities */
    double eng_mean;             /* mean of the engagement Beta (a newcomer's engagement) */
    double daily[24], weekly[7]; /* activity profile (any positive scale) */
    double act_a, act_b;         /* members.activity_a/b: Beta of the daily probability of speaking */
    double silent_speak;         /* members.silent_speak: a member silent through the history */
    double drop_a, drop_b;       /* members.dropout_a/b: silent attrition (drop_a or act_a 0: the first model) */
    double leave_shape;          /* members.leave_shape: > 0, each member leaves at its own multiple of the hazard */
    double rejoin;               /* members.rejoin_rate: > 0, members who left inside the history start as
                                    former members who may come back (second model) */
} state_prior;

/* The prior of arm settings p: shape = members.rate_shape, mean =
 * members.rate_mean x the mean of the engagement Beta (the observed rate of
 * a newcomer), the branching ratio and the cadence. */
void state_prior_from(const com_params *p, state_prior *out);

typedef struct state_info {
    int64_t at_ts;      /* the date's local midnight */
    int members;        /* members present (all roles) */
    int owner, admins, kols, bots; /* counts in the layout order */
    int owner_promoted; /* 1: the log names no owner; the earliest member plays it */
    double eng_mean;    /* mean engagement of the ordinary members */
    double rate_sum;    /* sum of the posterior mean own-post rates (messages/day) */
    double eng_scale;   /* the proxy's scale (mean messages per member-day x eng_tau) */
    int replies_marked; /* own posts counted without linked replies */
    int by_proxy;       /* 1: engagement from the proxy (quiet members leave more in the
                           history); 0: every member gets prior->eng_mean */
} state_info;

/* The members of log present at at_ts (joined before it, not left by it),
 * ordered owner, admins, KOLs, bots, members (the model's layout).  Each
 * member's engagement is the proxy of fit.h when the history before at_ts
 * shows quiet members leaving more (fit_leaving), else the prior's mean:
 * the same choice calibrate made for members.leave_rate.  Returns
 * 0 and *out (free with state_free), or -1 with a message (no history
 * before at_ts, nobody present, out of memory). */
int state_build(const fit_log *log, int64_t at_ts, const state_prior *prior, const state_opts *o, com_init **out,
                state_info *info, char *err, size_t errlen);

/* Free.  Accepts NULL. */
void state_free(com_init *s);

#endif
