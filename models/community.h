/* community.h -- the community model: one or several WeChat-style groups of
 * members with heterogeneous propensities, posting cadence, self-exciting
 * reply bursts, questions and answers, engagement and its decay, lurking,
 * muting and leaving under information overload, roles (owner, admins, KOLs,
 * helpers, bots), the operator's content schedule, group rules and platform
 * limits, invite virality, rituals and conflicts, and campaigns.
 *
 * Each mechanism is a file of its own (talk.c, roles.c, operator.c, rules.c,
 * invite.c, culture.c, checkin.c) with its settings as rows of a table; all
 * can be switched off, and with everything off but base posting the model is
 * a set of independent Poisson posters.  The model plugs into the engine
 * through handlers only and reports through an ev_sink.  Random numbers come
 * from streams keyed by (seed, rep, family, member, day), so arms of an
 * experiment share their dice wherever the design does not differ.
 * Settings reference: docs/model.md (generated from the tables).
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
    FAM_ATTR = 1,     /* member attributes, by member index */
    FAM_POST = 2,     /* member posting, by member index, reseeded daily */
    FAM_CHURN = 3,    /* daily state draws, by member index and day */
    FAM_JOIN = 4,     /* arrivals of organic joiners */
    FAM_REPLY = 5,    /* reply bursts, by group, reseeded daily */
    FAM_CHECKIN = 6,  /* check-in decisions, by member index and day */
    FAM_ANSWER = 7,   /* answers to questions, by group */
    FAM_OPERATOR = 8, /* operator content reactions, by group and day */
    FAM_RULES = 9,    /* moderation, by member and counter */
    FAM_INVITE = 10,  /* invitations, by member and day */
    FAM_CULTURE = 11, /* rituals and conflicts, by group and day */
    FAM_ROLES = 12,   /* role behaviour, by member and day */
    FAM_ATTRITION = 13, /* silent attrition, by member and day */
    FAM_LEVEL = 14,   /* a group's daily level (cadence.day_cv), by group and day */
    FAM_REJOIN = 15   /* former members coming back (members.rejoin_rate), by member and day */
};

/* Content types of posts (operator.*, content.*). */
enum { CT_TEXT = 0, CT_POLL, CT_PROMPT, CT_MEDIA, CT_LINK, CT_GAME, CT_ANNOUNCE, CT_COUNT };
extern const char *const com_content_names[]; /* "text", "poll", ... NULL-terminated */

typedef struct content_p {
    double reach;    /* share of present, non-muted members who read it */
    double response; /* reply-burst branching multiplier of the post */
    double act;      /* probability a reader acts (vote, grab, click) x engagement */
    double boost;    /* engagement boost to each reader */
    double load;     /* messages of overload it counts for each reader (@all > 1) */
} content_p;

/* What every campaign has: a window, a participation decision (logistic in
 * engagement, reward sensitivity and effort), an engagement effect, sharing. */
typedef struct camp_common {
    int enabled;
    int start, days;       /* first day, length in days */
    double base;           /* participation logit intercept */
    double w_eng;          /* logit weight of engagement */
    double w_reward;       /* logit weight of reward sensitivity x reward */
    double reward;         /* size of the reward (prize, discount, points), relative */
    double effort;         /* logit penalty of the effort asked */
    double boost;          /* engagement boost of taking part */
    double share;          /* probability a participant shares it outside */
    double share_invite;   /* invitations a share brings (mean) */
} camp_common;

/* Members to start with instead of group.size fresh ones (a forecast from
 * a group's observed state, models/state.h).  Not a setting: a pointer the
 * caller owns, kept in com_params so every arm and replication sees it.
 * Members are added to group 0 in this order; the model assumes its usual
 * layout (owner, admins, KOLs, bots, then members), so the caller sets
 * group.admins/kols/bots to match. */
typedef struct com_init_member {
    int32_t role, source;   /* ev_role, ev_source */
    double joined;          /* simulated time of joining (<= 0: before the start) */
    double eng;             /* engagement in (0,1]; its belonging starts equal */
    double rate_a, rate_b;  /* posting rate at this engagement (messages/day) ~
                               Gamma(shape rate_a, rate rate_b), drawn per
                               replication from the member's attribute stream;
                               rate_a <= 0: exactly rate_b */
    double reply;           /* its weight as a responder, reply propensity x
                               engagement (newcomers average the mean
                               engagement); <= 0: drawn as for newcomers */
    double gone;            /* probability it has already gone quiet for good (silent attrition) */
    double drop_a, drop_b;  /* Beta of its daily probability of going quiet for good
                               (drop_a <= 0: the arm's members.dropout_a/b) */
    int former;             /* 1: left before the start; a member again only if it comes
                               back (members.rejoin_rate), not in the run's records until then */
    double left;            /* a former member: simulated time it left (<= 0) */
    double rejoin_k, rejoin_t; /* its rejoins and days away before the start (members.rejoin_shape) */
    double leave_w;         /* its multiple of the leaving hazard (members.leave_shape; <= 0: drawn) */
} com_init_member;

typedef struct com_init {
    int n;
    const com_init_member *m;
} com_init;

typedef struct com_params {
    const com_init *init; /* NULL: group.size fresh members (not a setting) */
    struct {
        int size, cap, admins, kols, helpers, bots;
        int count; /* groups at the start (group.count; models/community.c) */
    } group;
    struct {
        double rate_mean, rate_shape;  /* posting rate at full engagement, gamma */
        double eng_a, eng_b;           /* Beta initial engagement */
        double eng_tau;                /* decay of engagement towards belonging, days */
        double bel_tau;                /* decay of belonging (persistent effects), days */
        double bel_init;               /* initial belonging as a share of initial engagement (0 none) */
        double silent_below;           /* lurker threshold */
        double leave_rate;             /* leaving hazard/day at zero engagement, x (1-e)^2 */
        double sens_a, sens_b;         /* Beta reward sensitivity */
        double reply_shape;            /* gamma shape of reply propensity (mean 1) */
        double question_share;         /* share of a member's messages that are questions */
        double ugc_share;              /* share of the other messages that are original content (UGC) */
        double tol_median, tol_sigma;  /* overload tolerance: lognormal messages/day */
        double mute_rate;              /* muting hazard/day per unit of relative overload */
        double overload_leave;         /* extra leaving hazard/day per unit of overload */
        double muted_post;             /* posting factor of a member who muted the group */
        double act_a, act_b;           /* > 0: the own-post rate is -log(1 - p) / engagement, p ~ Beta(act_a,
                                          act_b) the probability of speaking on a day (rate_mean/shape unused) */
        double drop_a, drop_b;         /* silent attrition: Beta of the daily probability of going quiet for
                                          good; drop_a 0: off */
        double hact_a, hact_b, hdrop_a, hdrop_b; /* forecasts from a log: the same Betas for the members
                                          present at the start (0: the above) */
        double first_post;             /* probability a newcomer speaks on joining */
        double silent_speak;           /* forecasts from a log: per open day, the probability that a member
                                          silent through the history speaks (models/state.c) */
        double rejoin_rate;            /* hazard/day of a member who left coming back (0: nobody does) */
        double rejoin_shape;           /* gamma shape of the members' rejoin hazards (0: one for all) */
        double leave_shape;            /* gamma shape of the members' multiples of leave_rate (0: one for all) */
    } members;
    struct {
        opt_vec daily, weekly;
        double day_cv;                 /* coefficient of variation of a group's daily level (gamma, mean 1; 0 off) */
        double level_sd;               /* sd of a group's level over a run (lognormal, mean 1; 0 off) */
    } cadence;
    struct {
        double branching;  /* mean replies a message triggers (Hawkes ratio, < 1) */
        double decay;      /* mean reply delay, minutes (exponential kernel) */
        double boost;      /* engagement boost to the author of an answered message */
        double join_boost; /* engagement boost to the responder */
        double self;       /* share of replies the author writes itself (a continuation) */
        double conversation; /* share of the other replies from the conversation's recent speakers */
        double today;      /* share of the rest from the members who spoke that day */
    } replies;
    struct {
        double answer_rate; /* answers/hour an ordinary engaged member gives to an open question, per member */
        double patience;    /* hours after which a question stays unanswered */
        double boost;       /* engagement boost to the asker when answered */
    } questions;
    struct {
        double welcome_prob, welcome_delay, welcome_boost; /* admins welcome newcomers */
        double admin_answer, kol_answer, helper_answer;     /* answer-rate multipliers */
        double kol_topics;        /* topics per day per KOL */
        double kol_topic_response;/* branching multiplier of a KOL topic */
        double bot_faq;           /* share of questions a bot answers automatically */
        double bot_delay;         /* seconds before the bot's answer */
        double bot_stats_hour;    /* local hour of the bot's daily statistics (-1 off) */
    } roles;
    content_p content[CT_COUNT];
    struct {
        opt_vec hours;            /* daily slots: local hours */
        opt_vec types;            /* content type index per slot (names in the file) */
        opt_vec campaign_days;    /* [first, last] day of the campaign period; empty: none */
        double campaign_every;    /* hours between countdown reminders in the campaign period (0 off) */
        opt_vec campaign_window;  /* [from, to) local hours of the reminders */
        int campaign_type;
        double quiet_below;       /* quiet period: yesterday's speakers below this share of members */
        opt_vec quiet_weekdays;   /* weekdays (0 = Mon) of quiet-period posts */
        double quiet_hour;
        int quiet_type;
    } operator_;
    struct {
        double rate;              /* organic joins per day (Poisson) */
        double qr_share;          /* share of organic joiners who come by QR code */
        int profile;              /* 1: joins follow the activity profile (hour x weekday) */
    } joins;
    struct {
        int admission;            /* 0 open (invite/QR), 1 questionnaire screening */
        double screen_below;      /* screening rejects joiners with fit below this */
        double spam_share;        /* share of joiners who are spammers */
        double spam_rate;         /* ads per day of a spammer */
        double ad_annoyance;      /* engagement loss of each reader per ad */
        int ad_ban;               /* admins enforce the ban on ads */
        double detect_prob, detect_delay; /* per violation, mean minutes */
        int cap_per_day;          /* per-member daily message cap (0 off) */
        opt_vec actions;          /* ladder: 0 warn, 1 mute, 2 remove, per violation count */
        double warn_effect;       /* posting factor after a warning (spammers) */
        int qr_max_members;       /* QR joining allowed only below this size (WeChat 200) */
        double qr_valid_days;     /* a QR code stays valid this many days (WeChat 7) */
        double qr_refresh_days;   /* operator refreshes the code every N days (0 never) */
        int invite_confirm;       /* ordinary members' invites need approval */
        double approve_prob, approve_delay; /* hours */
        double recall_prob;       /* share of messages recalled within the window */
        double recall_window;     /* seconds (WeChat 120) */
        int overflow;             /* a full group opens a new one ("live code") */
        int max_groups;           /* limit on groups of the community */
    } rules;
    struct {
        double mean;              /* invitations per day of a fully engaged member (mean) */
        double shape;             /* gamma shape of invite propensity */
        double incentive;         /* multiplier from an incentive (1 = none) */
        double accept;            /* probability an invitee accepts */
        double inherit;           /* share of the inviter's engagement an invitee inherits */
        double window;            /* members invite only within this many days of joining (0: always) */
        int unlock_k;             /* invite k friends who join -> coupon (0 off) */
        double coupon_boost;      /* engagement boost of the coupon */
        double unlock_incentive;  /* incentive multiplier while the coupon is locked */
    } invites;
    struct {
        double welcome_bel;       /* belonging from a welcome ceremony */
        int night_weekday;        /* weekly themed night: weekday (-1 off) */
        double night_hour, night_response, night_bel;
        int anniversary_day;      /* day of the anniversary event (-1 off) */
        double anniversary_bel;
        double meetup_every;      /* days between offline meetups (0 off) */
        double meetup_attend, meetup_bel;
        double conflict_rate;     /* conflicts per day per 100 active members */
        double conflict_hurt;     /* engagement loss of those involved */
        int resolution;           /* suggestion box / tea party present */
        double resolution_effect; /* share of the hurt it repairs */
    } culture;
    /* the campaigns, one member each (name), from the registry: struct {
     * camp_common c; the type's own fields } (models/campaigns.def) */
#define CAMPAIGN(UPPER, name, id, title, label, ...) struct { camp_common c; __VA_ARGS__ } name;
#include "campaigns.def"
#undef CAMPAIGN
    struct {                  /* resource guards (limits.c): exceeding one stops the run; */
        int members;          /* members ever added to a replication      0 or less: */
        double events;        /* events emitted by a replication          the default */
        int pending;          /* engine events pending at once (rep_run sets sim_opts.max_pending) */
        double invites_day;   /* invitations sent in one day */
    } limits;
} com_params;

/* The settings tables of the model, each row's offset into com_params.
 * Writes up to max tables into out (base = p) and returns their number. */
#define COM_MAX_TABLES 32

/* Defaults of the resource guards (settings limits.*, docs/hardening.md);
 * also in force where a caller leaves a limit at 0. */
#define COM_LIMIT_MEMBERS 2000000
#define COM_LIMIT_EVENTS 1e9
#define COM_LIMIT_PENDING 10000000
#define COM_LIMIT_INVITES_DAY 1e6
/* The pending-event guard of params p in force (for sim_opts.max_pending). */
#define COM_PENDING_LIMIT(p) ((p)->limits.pending > 0 ? (p)->limits.pending : COM_LIMIT_PENDING)
int com_tables(com_params *p, opt_table *out, int max);
/* The name of campaign id id (the ref_id of campaign events) in reports:
 * a campaign type's label from the registry (models/campaigns.def), or
 * the invite coupon's or the offline meetups'; NULL for any other id.
 * Static strings. */
const char *com_campaign_label(int id);
/* The title of table i of com_tables (its section in `qunsim doc
 * settings`), NULL past the last. */
const char *com_table_title(int i);

/* Checks that need several settings at once (e.g. size <= cap).  Returns 0,
 * or -1 with `setting "x": reason` in err. */
int com_validate(const com_params *p, char *err, size_t errlen);

/* Silent attrition and activity (members.activity_*, members.dropout_*)
 * count days on which the group talks at all: weekdays whose relative
 * activity (cadence.weekly over its mean) is at least COM_OPEN_DAY. */
#define COM_OPEN_DAY 0.05
/* 1 if weekday wd (0 = Monday) is such a day under the weekly profile w[7]. */
int com_open_day(const double *w, int wd);
/* The own posts a day (averaged over the week) at which a member speaks on
 * a share p of the open days: with Poisson posts at rate x w[wd] / mean(w),
 * the mean over open weekdays of 1 - exp(-rate w / mean w) is p.  p is
 * capped at 0.99 of what any rate reaches; 0 for p <= 0. */
double com_own_rate(double p, const double *w);

typedef struct com com_t;

/* Create the model on engine `sim`, calendar `c`, streams (seed, rep),
 * reporting to `sink`.  Returns 0 and *out, or -1 with a message in err.
 * Free with com_free(). */
int com_new(com_t **out, const com_params *p, sim_t *sim, const cal *c,
            uint64_t seed, uint64_t rep, const ev_sink *sink, char *err, size_t errlen);

/* Emit the initial members and schedule the first events.  0 or -1. */
int com_start(com_t *m);

/* After the run.  Returns 0, or -1 if the sink failed during the run or a
 * resource limit stopped it (the run is void; see com_errmsg). */
int com_finish(com_t *m);
const char *com_errmsg(const com_t *m);

/* Free.  Accepts NULL. */
void com_free(com_t *m);

/* Counters for tests and benchmarks. */
typedef struct com_stats {
    uint64_t messages, replies, questions, answers, posts, checkins, rewards;
    uint64_t joins, leaves, mutes, invites, invite_joins, violations, removals, spam;
    uint64_t candidates, groups;
} com_stats;
void com_get_stats(const com_t *m, com_stats *out);

#endif
