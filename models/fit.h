/* fit.h -- the community model's baseline estimated from one group's chat
 * log (`qunsim calibrate --live`): posting rates (gamma-Poisson), profiles,
 * reply excitation (Hawkes), leaving, joins, questions, by maximum
 * likelihood with standard errors.  Not the simulation-based `calibrate
 * --fit` (cli/cmd_targets.c).  Estimators and their checks: docs/calibration.md. */
#ifndef QS_FIT_H
#define QS_FIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "event.h"

struct sqlite3;

/* Return code of fit_run when a setting cannot be identified from the log
 * (too short, too sparse, no reply structure); the message names it. */
#define FIT_EIDENT (-2)

/* ---- the log ------------------------------------------------------------ */

typedef struct fit_member {
    int64_t id;        /* member_id in the log */
    int32_t role;      /* ev_role */
    int32_t source;    /* ev_source */
    int64_t joined_ts; /* unix seconds */
    int64_t left_ts;   /* unix seconds, -1 while a member */
    int32_t gap;       /* 1 + index of its first absence in fit_log.gap (0: none) */
    int32_t ngap;      /* absences: a member who left and rejoined (one per spell after the first) */
} fit_member;

/* An absence between two spells of a membership: left at `left`, back at
 * `back` (the next spell's join).  A member's absences are chained by
 * `next` (1 + index, 0: the last) in time order. */
typedef struct fit_gap {
    int64_t left, back;
    int32_t next;
} fit_gap;

/* One message (a message-kind event by a member: ev_kind_is_message). */
typedef struct fit_msg {
    int64_t ts;        /* unix seconds */
    int32_t mem;       /* index into fit_log.mem */
    uint8_t kind;      /* ev_kind */
    uint8_t marked;    /* 1: a reply or answer that names what it answers (ref_id set) */
} fit_msg;

/* A question and its first answer by someone else, when the log links answers. */
typedef struct fit_question {
    int64_t ts;
    int64_t answer_ts; /* -1: no linked answer */
    int32_t mem;
} fit_question;

typedef struct fit_idmap fit_idmap;

typedef struct fit_log {
    int64_t run_id;          /* runs.run_id (0 when fed from a sink) */
    char source[32];         /* runs.source: "sim", "csv", "wechatmsg", ... */
    char name[128];          /* the group's name (or the run's scenario) */
    int32_t group_id;        /* the group read */
    int64_t start_ts;        /* local midnight of the log's day 0 (runs.start_ts) */
    int32_t utc_offset;      /* seconds east of UTC (runs.utc_offset) */
    int32_t days;            /* local days the log covers (runs.days) */
    fit_member *mem;         /* memberships of the group (bots included) */
    int nmem, capmem;
    fit_msg *msg;            /* messages in time order */
    int64_t nmsg, capmsg;
    fit_question *q;         /* questions in time order */
    int64_t nq, capq;
    fit_gap *gap;            /* absences of members who left and rejoined (spells) */
    int32_t ngap, capgap;
    int failed;              /* a sink callback ran out of memory */
    fit_idmap *ids, *qids;   /* member_id -> index, question msg_id -> index */
} fit_log;

/* Read group `group` (its id or its name; NULL: the group with the most
 * events) of run `run_id` (0: the latest imported run, i.e. source other
 * than 'sim', else the latest run with events) from a results database.
 * Events without a membership row make one (joined at their first event,
 * source seed).  Returns 0 and *out, or -1 with a message (no such run or
 * group, no events, out of memory, SQL error).  Free with fit_log_free. */
int fit_log_load(fit_log **out, struct sqlite3 *db, int64_t run_id, const char *group, char *err, size_t errlen);

/* An empty log to be fed through fit_log_sink (e.g. straight from a
 * simulation): span as in the runs table.  0 and *out, or -1 (ENOMEM). */
int fit_log_new(fit_log **out, int64_t start_ts, int32_t utc_offset, int32_t days, int32_t group_id);
/* A sink that records the memberships and messages of log->group_id into
 * the log (events must come in time order).  Check log->failed after. */
ev_sink fit_log_sink(fit_log *log);

/* Free.  Accepts NULL. */
void fit_log_free(fit_log *log);

/* ---- membership spells (models/fit_spells.c) ----------------------------- */

/* 1 if member i is in the group at time t (joined, not left, not between spells). */
int fit_present_at(const fit_log *log, int i, int64_t t);
/* 1 if member i could leave during [d0, d1): present at d0, or a spell of it
 * starts or ends inside (the model's day tick brings members back and lets
 * them leave at midnight itself). */
int fit_at_risk_day(const fit_log *log, int i, int64_t d0, int64_t d1);
/* Seconds of [a, b) that member i spent between two of its spells. */
int64_t fit_absent_s(const fit_log *log, int i, int64_t a, int64_t b);
/* Days d in [lo, hi) of a window starting at local midnight w0 (utc_offset
 * off) that member i spent wholly between two spells (after the day it left,
 * before the day it came back), counted through open[] (open[d] = 1 for a
 * day that counts, NULL: all); the days such a member cannot speak. */
int fit_absent_days(const fit_log *log, int i, int64_t w0, int lo, int hi, const unsigned char *open);

/* Rejoining over the window [from, to): former members (non-bots who left
 * inside the window) come back: rejoins (the spells that start after a leave
 * inside the window), former-member-days at risk (each leave to the rejoin
 * or the window's end).  Pooled: rate = rejoins / days, se = sqrt(rejoins) /
 * days (Poisson MLE).  Members differ (on IRC some reconnect daily, most
 * visitors never come back): each member's rejoins given its days away are
 * Poisson of its own hazard, the hazards Gamma(shape, mean / shape) over
 * members (fit_gamma_poisson); then rate and se are the mixture's mean and
 * shape > 0, else (too few formers, no heterogeneity seen) shape = 0. */
typedef struct fit_rejoin {
    double rejoins, risk_days, rate, se;
    double shape, se_shape; /* gamma shape of the members' hazards (0: one hazard for all) */
    int formers;            /* members with days at risk */
    int formers_end;        /* former members at the window's end (left inside it, not back) */
} fit_rejoin;
/* Are absences visits?  On a WeChat-like group a member away is away for
 * its own reasons and speaks as before when back; on IRC a visitor comes in
 * to speak and goes, so presence is the intent to speak, not a chance.  Over
 * the days of [w0, w0 + nd days) of members who rejoined: the share of the
 * days they came back on that they spoke on, against the share of their
 * other days wholly present.  visits = 1 when the first is higher by a
 * likelihood ratio above 2 log units (two binomials against one), or
 * when they are never present a whole day (10 comebacks or more): then a
 * member's days away count as silent days and nobody is brought back
 * (members.rejoin_rate 0), as for a log without spells. */
typedef struct fit_visits {
    double back_days, back_active; /* days a member came back on, and spoke */
    double days, active;           /* its other days wholly present, and spoke */
    double llr;                    /* log-likelihood ratio, back days apart */
    int visits;
} fit_visits;
int fit_visiting(const fit_log *log, int64_t w0, int nd, fit_visits *out);

/* Member i's rejoins (*k) and completed days away (*t_days) from leaves in
 * [from, to) with the rejoin before to; its absence still open at to, if any,
 * is left out (*open_from: its leave, -1 none). */
void fit_member_rejoins(const fit_log *log, int i, int64_t from, int64_t to, double *k, double *t_days, int64_t *open_from);
void fit_rejoining(const fit_log *log, int64_t from, int64_t to, fit_rejoin *out);

/* ---- the estimators, usable alone ---------------------------------------- */

/* Gamma-Poisson (negative binomial) maximum likelihood with exposures:
 * count k[i] ~ Poisson(lambda_i E[i]), lambda_i ~ Gamma(shape, mean/shape).
 * Counts may be fractional (weighted).  trunc[i] (NULL: none) = 1 for a
 * unit observed only because it has k > 0 (zero-truncated likelihood).
 * Units with E <= 0 are skipped.  Returns 0 with the estimates, their
 * standard errors (observed information) and the log-likelihood; -1 if the
 * fit did not converge or is not identified (fewer than 2 units). */
typedef struct fit_gp {
    double shape, mean;        /* estimates */
    double se_shape, se_mean;  /* standard errors (NaN if the information is singular) */
    double loglik;
    int units;                 /* units used */
    int shape_at_bound;        /* shape ran to FIT_SHAPE_MAX: no detectable heterogeneity */
} fit_gp;
#define FIT_SHAPE_MAX 100.0
int fit_gamma_poisson(const double *k, const double *E, const unsigned char *trunc, size_t n, fit_gp *out);

/* Exponential-kernel Hawkes process on [0, T) by maximum likelihood:
 *   lambda(t) = mu a(t) + sum_{t_j < t} n beta exp(-beta (t - t_j)),
 * with a known baseline shape a(t) > 0.  Input: event times t[] (seconds,
 * nondecreasing), a(t) at each event a[], `count[]` (NULL: all 1) = 0 for an
 * event that excites but is not counted (e.g. a linked answer, modelled
 * apart), `excite[]` (NULL: all 1) = 0 for an event that is counted but
 * starts no replies (the model's questions), `seg[]` (NULL: one segment) the segment of each event
 * (excitation starts afresh in each segment), seg_end[] the end time of
 * each segment and a_int the integral of a(t) over the observed segments.
 * Maximised by damped Newton steps with the analytic Hessian (GSL's BFGS
 * as a fallback).  Output: the estimates, standard errors (observed information) and, if
 * p_immigrant is not NULL, each counted event's probability of being an
 * immigrant, mu a / lambda (0 for events not counted). */
typedef struct fit_hawkes_in {
    const double *start;       /* (mu, n, beta) to start from, or NULL: a scan of delays */
    const double *t, *a;
    const unsigned char *count;
    const unsigned char *excite;
    const int32_t *seg;
    const double *seg_end;
    int nseg;
    size_t n;
    double a_int;
    int max_iter;              /* Newton iterations at most (0: until converged) */
} fit_hawkes_in;

typedef struct fit_hawkes {
    double mu, n, beta;            /* estimates (beta in 1/s) */
    double se_mu, se_n, se_beta;
    double loglik;
    int iterations;                /* likelihood passes used */
} fit_hawkes;
/* Returns 0, or -1 if the optimiser failed (message in err). */
int fit_hawkes_mle(const fit_hawkes_in *in, fit_hawkes *out, double *p_immigrant, char *err, size_t errlen);

/* The engagement proxy: S is a member's exponentially weighted message
 * count (time constant tau), scale the mean member's S; returns
 * 1 - exp(-S / scale) in [0, 1). */
double fit_engagement(double S, double scale);

/* Leaving against the engagement proxy over the window [from, to): members
 * (role member) at risk at each local midnight, their proxy from their
 * messages since the log's start (time constant eng_tau days, scale the
 * window's messages per member-day x eng_tau), leaves that day.  Compares
 * the model's hazard c (1 - e)^2 with a constant hazard by likelihood;
 * npres (NULL, or one slot per day of the window, zeroed) gets the members
 * present (not bots) at each midnight.  gaps = 0: a member's absences
 * between two spells count as days present, their leaves as none (absences
 * that are visits, fit_visiting).  Members differ: each one's leaves
 * given its days at risk are Poisson of its own multiple w of the hazard, w
 * ~ Gamma(shape, 1 / shape) over members (fit_gamma_poisson on the days or
 * the proxy's weights, as by_proxy chooses): shape, or 0 (no difference
 * seen, fewer than 10 members at risk or 5 leaves).  mk (NULL, or 2 slots per
 * member, zeroed) gets each member's leaves and exposure (days or weights);
 * fit_leave_weight turns them into its w.  Returns 0, or -1 (ENOMEM, empty
 * window). */
typedef struct fit_leave {
    double leaves;       /* leaves of members at risk */
    double risk_days;    /* member-days at risk */
    double risk_weight;  /* sum over them of (1 - e)^2 */
    double eng_mean;     /* mean proxy over them (at least 0.02) */
    double eng_scale;    /* the proxy's scale */
    double gain;         /* log-likelihood of c (1 - e)^2 minus that of a constant */
    int by_proxy;        /* gain > 2: quiet members leave more */
    double shape, se_shape; /* gamma shape of the members' multiples of the hazard (0: one hazard for all) */
    double rate;         /* leaves per unit of exposure (the mixture's mean when shape > 0) */
} fit_leave;
int fit_leaving(const fit_log *log, int64_t from, int64_t to, double eng_tau, int gaps, double *npres, double *mk, fit_leave *out);
/* Member i's multiple of the leaving hazard: the gamma posterior mean
 * (shape + leaves) / (shape + rate x exposure) from mk of fit_leaving; 1
 * when shape is 0. */
double fit_leave_weight(const fit_leave *lv, const double *mk, int i);

/* BG/BB (Fader, Hardie and Shang 2010), the discrete-time sibling of the
 * BG/NBD model (Fader, Hardie and Lee 2005), on active days: member i is
 * observed for n[i] days after its first active day, active on x[i] of them,
 * the last on day tx[i] (0: none).  While "alive" it is active on a day with
 * probability p ~ Beta(alpha, beta); at the start of each day it goes quiet
 * for good with probability theta ~ Beta(gamma, delta).  Maximum likelihood
 * (GSL nmsimplex2 over log parameters, restarted; one term per distinct
 * record), standard errors from the observed information by central
 * differences (NaN if singular).  Returns 0, or -1 (fewer than 5 members, no
 * finite likelihood, ENOMEM). */
typedef struct fit_bg {
    double alpha, beta, gamma, delta;
    double se_alpha, se_beta, se_gamma, se_delta;
    double loglik;
    int units;
} fit_bg;
int fit_bgbb(const int *x, const int *tx, const int *n, size_t units, fit_bg *out);
/* P(still alive on the day after the record) under the fitted model. */
double fit_bg_alive(const fit_bg *b, int x, int tx, int n);

/* Who carries a conversation, over the messages of [from, to) that follow
 * another within window_s seconds: *self the share by the previous
 * message's author, *conv the share of the others written by one of the 3
 * other latest distinct speakers beyond what chance (members drawn by their
 * share of messages) gives, and *today the share of the rest by a member who
 * already spoke that day beyond chance: replies.self, .conversation, .today.
 * Returns 0, or -1 (ENOMEM). */
int fit_talk_shares(const fit_log *lg, int64_t from, int64_t to, double window_s, double *self, double *conv, double *today);

/* Coefficient of variation of a gamma daily level over a count series
 * y[0..nd) with relative weekday factors wk[d] (moments; 0 when the counts
 * vary no more than Poisson). */
double fit_day_cv(const double *y, const double *wk, int nd);

/* ---- the whole calibration ---------------------------------------------- */

typedef struct fit_opts {
    int64_t from_ts, to_ts;  /* window [from, to) in unix seconds (local midnights); 0: the log's span */
    double eng_tau;          /* time constant of the engagement proxy, days (default 14) */
    int64_t hawkes_max;      /* fit the Hawkes process on a subsample of whole weeks above this many messages (default 2e6) */
    int partial;             /* 1: a setting that cannot be identified keeps the model's default (noted) instead of failing */
    int classic;             /* 1: the first forecast model (no silent attrition, conversations, daily level) */
} fit_opts;
void fit_opts_init(fit_opts *o);

/* One fitted setting. */
typedef struct fit_value {
    const char *path;   /* setting path, e.g. "replies.branching" */
    double v, se;       /* value written, its standard error (NaN: none) */
    int kind;           /* FIT_V_* */
    int integer;        /* written as an integer */
    char note[240];     /* comment written beside it */
} fit_value;
enum { FIT_V_FITTED = 0, FIT_V_DERIVED, FIT_V_DEFAULT, FIT_V_FIXED };
#define FIT_MAX_VALUES 64

typedef struct fit_result {
    int64_t from_ts, to_ts;   /* the window used */
    int days;                 /* local days in it */
    int64_t messages;         /* messages by members (not bots) in the window */
    double own_posts;         /* of which own posts (not replies): counted or (1 - n) x messages */
    int replies_marked;       /* 1: replies/answers are linked in the log */
    int answers_marked;       /* 1: answers to questions are linked */
    int members_used;         /* members in the rate fit */
    int truncated;            /* 1: seed members seen only when speaking (zero-truncated fit) */
    fit_gp rates;             /* observed own-post rate distribution */
    fit_hawkes hawkes;
    int hawkes_days;          /* days the Hawkes fit used (subsample: fewer than days) */
    double daily[24], daily_se[24];  /* relative activity by hour (mean 1) */
    double weekly[7], weekly_se[7];  /* relative activity by weekday, Monday first (mean 1) */
    double eng_mean;          /* mean engagement proxy over member-days at risk */
    double eng_scale;         /* the proxy's scale: mean messages per member-day x eng_tau */
    double eng_tau;           /* days */
    double leaves, risk_days, risk_weight; /* leaves, member-days at risk, sum of (1 - e)^2 */
    fit_leave leave;          /* the leaving fit */
    double joins;
    int present_end, admins, kols, bots, has_owner;
    fit_bg bg;                /* silent attrition (not classic): BG/BB over the members who spoke */
    fit_bg bg_new;            /* the same over those first seen after the window's first third (newcomers; bg if too few) */
    fit_rejoin rejoin;        /* members who left inside the window and came back (not classic) */
    fit_visits visits;        /* whether absences are visits (not classic) */
    double talk_self, talk_conv, talk_today, day_cv, new_speakers;
    double level_step;        /* sd of the weekly step of the level's random walk (log scale); the scenario's
                                 cadence.level_sd is its average over a horizon of H days: step x sqrt((H/7 + 1) / 2) */ /* not classic: replies.self/.conversation, cadence.day_cv, joins/day */
    int nval;
    fit_value val[FIT_MAX_VALUES]; /* settings in the order written */
} fit_result;

/* Calibrate the baseline model on the log's window.  Returns 0 and *r;
 * FIT_EIDENT with `setting "x": why` in err when a setting cannot be
 * identified (and o->partial is 0); -1 on other failures (ENOMEM). */
int fit_run(const fit_log *log, const fit_opts *o, fit_result *r, char *err, size_t errlen);

/* The fitted value of a setting, or NULL. */
const fit_value *fit_get(const fit_result *r, const char *path);

/* Write a scenario file (libconfig) with the fitted settings, standard
 * errors as comments, the settings the calibrated baseline fixes, and one
 * arm "baseline".  `origin` (may be NULL) is written in the header comment.
 * The scenario starts on the day after the window, for `days` days.
 * Returns 0, or -1 on a write error. */
int fit_write_scenario(const fit_result *r, const fit_log *log, const char *origin, int days, FILE *f);

#endif
