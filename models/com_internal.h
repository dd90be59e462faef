/* com_internal.h -- the community model's state, shared by its mechanism
 * files.  Not a public API: only models/ includes it. */
#ifndef QS_COM_INTERNAL_H
#define QS_COM_INTERNAL_H

#include <stddef.h>

#include "community.h"

#define DAY 86400.0
#define HOUR 3600.0

enum { ST_ACTIVE = 0, ST_SILENT, ST_MUTED, ST_LEFT };

/* Campaign ids (ref_id of participate/complete/reward/exposure events):
 * CAMP_<UPPER> of each campaign type from the registry (campaigns.def), and
 * the ids of two rewards of mechanisms that are not campaigns: the invite
 * coupon (invite.c) and the offline meetup (culture.c). */
enum {
#define CAMPAIGN(UPPER, name, id, title, label, ...) CAMP_##UPPER = id,
#include "campaigns.def"
#undef CAMPAIGN
    CAMP_COUPON = 2, CAMP_MAX = 16, CAMP_MEETUP = 100
};
#define FAM_CAMPAIGN(id) (32u + (uint32_t)(id)) /* stream family of a campaign */
enum { MK_NORMAL = 0, MK_SPAMMER };

/* Priorities at equal times (part of the documented event order): the day
 * tick first, then the operator, then members. */
enum { PRIO_DAY = -10, PRIO_OPERATOR = -5, PRIO_MEMBER = 0 };

/* One member: fixed size: 184 bytes here (its posting stream's state
 * inline), 4 bytes of speaker bookkeeping, 4 in its group list and 32 in its
 * group's responder sampler (two bounds, two tree nodes): about 225 bytes a
 * member, no allocation of its own (docs/model.md; what a campaign keeps per
 * member is the campaign's: camp_members).  The fields a candidate
 * post and a responder draw (com_weight) read come first, in the first 128
 * bytes (at a million members every event's first touch of its member is a
 * cache miss). */
typedef struct member {
    double rate;      /* messages/day at full engagement */
    double eng;       /* engagement in [0,1] at time t_eng */
    double bel;       /* belonging: the level engagement decays towards */
    double t_eng;     /* simulated time of the last engagement update */
    double post_factor; /* posting multiplier (warnings, muting) */
    unsigned long post_st[3]; /* posting stream: gsl_rng_taus2 state, reseeded each
                                 local day; used through com_post_rng() */
    sim_id next_post; /* pending candidate post (or its search's wake-up) */
    int64_t post_day; /* day the posting stream was last seeded for */
    int32_t group;    /* index into com.grp */
    int32_t gpos;     /* position in the group's member list (while present) */
    int32_t role, source, state, kind;
    double reply_w;   /* reply propensity (mean 1) */
    int32_t muted_by_admin;
    int32_t sent_today;
    double sens;      /* reward sensitivity in [0,1] */
    double invite_p;  /* invitations/day at full engagement */
    double tol;       /* overload tolerance, messages/day */
    double fit;       /* fit with the group (screening), in [0,1] */
    double joined;    /* simulated time of joining */
    int32_t inviter;  /* member index of the inviter, -1 */
    int32_t violations, invited_joins, coupon;
    double drop_p;        /* probability of going quiet for good after a day of speaking */
    int32_t spell;        /* its spells so far minus 1 (rejoins); -1: a former member of a
                             forecast's start, not yet in the run's records */
    /* coming back (members.rejoin_shape): its hazard is the gamma posterior
     * (shape + rj_k) / (shape / rejoin_rate + rj_t + days away since left_t) */
    double rj_k, rj_t;    /* rejoins and days away, completed absences */
    double left_t;        /* simulated time of its latest leave */
    double leave_w;       /* its multiple of members.leave_rate (members.leave_shape) */
} member;

typedef struct group {
    int32_t *idx;          /* present members (member indices) */
    int n, cap;
    int msgs_today, msgs_prev;   /* messages sent in the group today / yesterday */
    int load_today, load_prev;   /* overload units received today / yesterday */
    int speakers_prev;           /* distinct speakers yesterday (operator's quiet rule) */
    double qr_valid_until;       /* simulated time the current QR code expires */
    int64_t open_questions;
    /* Responder sampler (community.c, "the responder sampler"): for each list
     * position an upper bound on that member's reply weight and answer
     * weight, valid until the member's next jump, and two Fenwick trees of
     * these bounds, so a responder is drawn in O(log n) by rejection. */
    double *ub;                  /* 2 per position: reply bound, answer bound */
    double *fw;                  /* 2 trees of cap + 1 (1-based): reply, answer */
    int dirty;                   /* 1: ub is exact but the trees are stale (bulk update) */
    /* the conversation: the last TALK_RECENT distinct speakers, newest first
     * (replies.conversation draws from them), and when each spoke */
#define TALK_RECENT 4
    int32_t recent[TALK_RECENT];
    double recent_t[TALK_RECENT];
    int nrecent;
    int32_t *today;              /* members who spoke today (replies.today), ntoday of captoday */
    int ntoday, captoday;
    double lvl;                  /* the daily level of day lvl_day (cadence.day_cv) */
    int64_t lvl_day;             /* -1: none yet */
    double run_lvl;              /* the level over the run (cadence.level_sd); 0: not drawn yet */
} group;

struct com {
    com_params p;
    sim_t *sim;
    const cal *cal;
    uint64_t seed, rep;
    ev_sink sink;
    int failed;          /* the sink asked to stop, or a limit was hit */
    char err[200];
    member *mem;
    int n, cap;          /* members so far (including those who left), capacity */
    int present;         /* members not left, all groups */
    group *grp;
    int ngrp, capgrp;
    gsl_rng *scratch;    /* reseeded per (family, index, counter) */
    gsl_rng *joins;      /* organic arrivals */
    gsl_rng *talk;       /* reply bursts and answers (group-level stream) */
    gsl_rng *level;      /* daily levels of the groups (cadence.day_cv > 0 only) */
    double daily_max, weekly_max, daily_mean, weekly_mean;
    double act_max;      /* max of com_activity(): the thinning bound of time-of-day draws */
    /* activity profile by weekday (0 = Monday) and local hour: the factor
     * D(h)/mean(D) x W(wd)/mean(W), and its integral from midnight to each
     * hour in seconds (act_cum[wd][24]: the whole day), for drawing candidate
     * posts by inversion (community.c, schedule_post) */
    double act[7][24], act_cum[7][25];
    int64_t next_msg_id;
    int64_t day;         /* current local day (set by the day tick) */
    int op_count;        /* operator posts today (stream counter) */
    uint32_t *spoke_day; /* per member: last day + 1 it spoke (speaker counts) */
    /* campaign state (campaign.c), per campaign id, grown lazily to cap
     * members: what a campaign keeps per member lives here, not in member */
    void *cstate[CAMP_MAX];  /* camp_members(): a campaign's per-member records */
    int cstate_cap[CAMP_MAX];
    uint32_t *seen;          /* per member, bit id: took part in campaign id (camp_took_part) */
    int seen_cap;
    com_stats st;
};

/* --- community.c: the core used by every mechanism --- */
double com_eng(com_t *m, int i);                /* engagement now (decayed) */
void com_boost(com_t *m, int i, double b);      /* e += b (1 - e) */
void com_hurt(com_t *m, int i, double b);       /* e -= b e */
void com_belong(com_t *m, int i, double b);     /* belonging += b (1 - belonging) */
/* emit an event by member i (-1: none) at the current time in group g; returns its id */
int64_t com_emit(com_t *m, ev_kind k, int i, int g, int64_t ref, double value);
/* a message by member i (kind EV_MESSAGE, EV_REPLY, EV_QUESTION, EV_ANSWER,
 * EV_POST, EV_CHECKIN, ...) in group g (-1: the member's own group): emits
 * it, counts load and triggers the reply burst with branching multiplier
 * `response`; returns its id */
int64_t com_message(com_t *m, ev_kind k, int i, int g, int64_t ref, double value, double response);
/* The one scratch generator, reseeded: a later com_scratch (also inside
 * camp_decide, camp_took_part, ...) reseeds it again, so draw what you need
 * from it before calling those. */
gsl_rng *com_scratch(com_t *m, uint32_t family, uint32_t index, uint64_t counter);
/* add a member to group g (admission already decided); returns index or -1 */
int com_add_member(com_t *m, int g, ev_role role, ev_source src, int inviter, int kind);
/* the group a joiner goes to: g itself, an overflow group, or -1 if full */
int com_join_target(com_t *m, int g);
void com_leave(com_t *m, int i, int removed);
void com_mute(com_t *m, int i);
int com_fail(com_t *m, const char *fmt, ...);
/* pick a present, reading member of group g other than `not`, with weight
 * reply propensity * engagement (* the role's answer multiplier if
 * by_answer); -1 if none */
int com_pick(com_t *m, int g, int not, int by_answer, gsl_rng *r);
/* weight of member j as a responder */
double com_weight(com_t *m, int j, int by_answer);
/* The responder sampler (community.c).  Every change of a present member's
 * engagement trajectory (boost, hurt, belonging) or responder eligibility
 * (mute, admin mute) must be followed by com_touch; com_boost/hurt/belong,
 * com_mute and com_leave do it themselves. */
void com_touch(com_t *m, int i);
/* a bulk update of group g follows (e.g. every reader of a post): touches
 * only write the bounds; the trees are rebuilt, O(n), at the next draw */
void com_group_dirty(com_t *m, int g);
/* sum of the bounds of group g's present members (>= the sum of weights) */
double com_bound_total(com_t *m, int g, int by_answer);
/* one trial of the rejection sampler: a present member of g drawn with
 * probability bound / com_bound_total, accepted with probability
 * weight / bound (never `not`); returns it, or -1 if rejected */
int com_propose(com_t *m, int g, int not, int by_answer, gsl_rng *r);
/* exact sum of the weights of group g's members other than `not`, O(n);
 * also refreshes every bound of the group */
double com_weight_total(com_t *m, int g, int not, int by_answer);
/* trials of com_propose before a caller falls back to the exact O(n) scan */
#define COM_SAM_TRIES 32
/* start the posting process of a member added by a mechanism */
void com_start_posting(com_t *m, int i);
/* member i goes quiet for good (silent attrition): no more posts or replies */
void com_go_quiet(com_t *m, int i);
/* the daily level of group g on day `day` (1 unless cadence.day_cv > 0) */
double com_level(com_t *m, int g, int64_t day);
/* the time-of-day x weekday activity factor at time t, in [0, max] */
double com_activity(const com_t *m, double t);

/* --- mechanisms: called by the core --- */
void talk_burst(com_t *m, int author, int g, int64_t msg, double response);
void talk_question(com_t *m, int asker, int g, int64_t qid);
void roles_start(com_t *m);
void roles_on_join(com_t *m, int i);
double roles_answer_mult(const com_t *m, int i);
int roles_bot(const com_t *m); /* index of the first bot, or -1 */
void roles_day(com_t *m, int64_t day);
void op_day(com_t *m, int64_t day);
void op_post(com_t *m, int g, int type, int author);
int rules_admit(com_t *m, gsl_rng *r, int *kind, double *fit); /* 0 admit, -1 reject */
void rules_on_message(com_t *m, int i, int64_t id);
void rules_day(com_t *m, int64_t day);
void invite_day(com_t *m, int64_t day);
void culture_day(com_t *m, int64_t day);
void culture_on_join(com_t *m, int i);

/* --- campaigns (campaign.c and one file per type) --- */
/* 1 if member i can take part in campaigns (present, ordinary, not a spammer) */
int camp_eligible(const com_t *m, int i);
/* 1 if the campaign runs on this day */
int camp_active(const camp_common *c, int64_t day);
/* exposure events for every eligible member (call on the first day) */
void camp_expose(com_t *m, int id);
/* the participation decision of member i, drawn from (campaign, member, counter) */
int camp_decide(com_t *m, const camp_common *c, int id, int i, uint64_t counter);
/* member i takes part: participate event the first time, boost, maybe a share with invites */
void camp_took_part(com_t *m, const camp_common *c, int id, int i, uint64_t counter);
/* campaign id's per-member records of `size` bytes each (the same size at
 * every call of a run), zero for members not yet seen, valid until the
 * next call (it grows with the members); NULL after com_fail on ENOMEM */
void *camp_members(com_t *m, int id, size_t size);
/* camp_members of doubles: a campaign's per-member scores */
double *camp_score(com_t *m, int id);
/* the first time member i takes part in campaign id: its participate event
 * (camp_took_part does it too); 0, or -1 after com_fail on ENOMEM */
int camp_first_part(com_t *m, int id, int i);
/* a time in day `day` following the activity profile, drawn from r */
double camp_time(com_t *m, int64_t day, gsl_rng *r);
/* one invitation from member inv (accept, approval, admission, join); invite.c */
void invite_send(com_t *m, int inv, uint64_t salt);
/* the day of every enabled campaign, in registry order */
void campaigns_day(com_t *m, int64_t day);

/* The registry as a table (campaign.c), one row per CAMPAIGN entry. */
typedef struct camp_type {
    int id;                               /* CAMP_<UPPER> */
    const char *name;                     /* settings prefix and com_params member */
    const char *title;                    /* section title in the settings reference */
    const char *label;                    /* its name in reports (com_campaign_label) */
    const opt_row *opts;                  /* its settings table */
    size_t common;                        /* offset of its camp_common in com_params */
    void (*day)(com_t *m, int64_t day);   /* called each day while enabled */
} camp_type;
extern const camp_type camp_types[];
extern const int camp_ntypes;

/* each campaign's module: its day and its settings table */
#define CAMPAIGN(UPPER, name, id, title, label, ...) void name##_day(com_t *m, int64_t day); extern const opt_row name##_opts[];
#include "campaigns.def"
#undef CAMPAIGN

/* setting tables of the mechanisms */
extern const opt_row com_core_opts[], talk_opts[], roles_opts[], content_opts[], op_opts[],
    rules_opts[], invite_opts[], culture_opts[], limits_opts[];

/* --- limits.c: resource guards; each returns 0, or -1 after com_fail --- */
int com_limit_member(com_t *m);                   /* before adding a member */
int com_limit_events(com_t *m);                   /* after emitting an event */
int com_limit_invites(com_t *m, double sent_today); /* before sending more invitations today */

#define CP(f) offsetof(com_params, f)
#define ROW_D(path, f, def, lo, hi, unit, help) {path, OPT_DOUBLE, CP(f), def, lo, hi, NULL, NULL, 0, unit, help}
#define ROW_I(path, f, def, lo, hi, unit, help) {path, OPT_INT, CP(f), def, lo, hi, NULL, NULL, 0, unit, help}
#define ROW_B(path, f, def, help) {path, OPT_BOOL, CP(f), def, 0, 1, NULL, NULL, 0, "", help}
#define ROW_V(path, f, sdef, len, lo, hi, unit, help) {path, OPT_VEC, CP(f), 0, lo, hi, sdef, NULL, len, unit, help}
#define ROW_E(path, f, def, choices, help) {path, OPT_ENUM, CP(f), def, 0, 0, NULL, choices, 0, "", help}
#define ROW_END {NULL, 0, 0, 0, 0, 0, NULL, NULL, 0, NULL, NULL}

/* the settings every campaign has, under prefix pfx ("contest", ...) */
#define CAMP_ROWS(pfx, f, d_start, d_days, d_base, d_reward, d_share)                                             \
    ROW_B(pfx ".enabled", f.enabled, 0, "run this campaign"),                                                     \
    ROW_I(pfx ".start_day", f.start, d_start, 0, 3650, "day", "first day of the campaign"),                      \
    ROW_I(pfx ".days", f.days, d_days, 1, 3650, "days", "length of the campaign"),                               \
    ROW_D(pfx ".base", f.base, d_base, -50, 50, "logit", "participation intercept"),                             \
    ROW_D(pfx ".w_engagement", f.w_eng, 4, -50, 50, "logit", "participation weight of engagement"),             \
    ROW_D(pfx ".w_reward", f.w_reward, 1, -50, 50, "logit", "weight of reward sensitivity x reward"),             \
    ROW_D(pfx ".reward", f.reward, d_reward, 0, 1000, "", "size of the reward, relative (0 none)"),              \
    ROW_D(pfx ".effort", f.effort, 0, 0, 50, "logit", "participation penalty of the effort asked"),               \
    ROW_D(pfx ".boost", f.boost, 0.03, 0, 1, "", "engagement boost of taking part"),                             \
    ROW_D(pfx ".share", f.share, d_share, 0, 1, "", "probability a participant shares it outside the group"),   \
    ROW_D(pfx ".share_invites", f.share_invite, 0.3, 0, 100, "", "invitations a share brings (mean)")

#endif
