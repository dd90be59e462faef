/* event.h -- the event record: what the simulator emits, the importers read
 * from real chat logs, the store writes and the metrics consume.
 *
 * This is the one vocabulary shared by simulated and live groups.  Kinds are
 * stored by name (events.kind) so the database is readable without this file;
 * the list is documented in analysis/schema.sql and analysis/METRICS.md.
 * Times are whole unix seconds, so a simulated log and a real one share one
 * clock and one resolution.
 */
#ifndef QS_EVENT_H
#define QS_EVENT_H

#include <stdint.h>

/* Event kinds.  Keep ev_kind_name() and schema.sql in step with this list. */
typedef enum ev_kind {
    EV_MESSAGE = 0,  /* an ordinary chat message (text, image, voice, ...) */
    EV_REPLY,        /* a message answering/quoting another (ref_id = the message) */
    EV_QUESTION,     /* a message detected as a question */
    EV_ANSWER,       /* a message answering a question (ref_id = question) */
    EV_CHECKIN,      /* a check-in post (a message that completes a daily task) */
    EV_ANNOUNCE,     /* operator announcement / @all (a message) */
    EV_POST,         /* operator/KOL content post: prompt, poll, link, ... (a message) */
    EV_VOTE,         /* a vote in a poll or contest (interaction, not a message) */
    EV_REACTION,     /* a reaction / like / pat (interaction, not a message) */
    EV_SHARE,        /* a member shares group content outside (value = item) */
    EV_INVITE,       /* a member sends an invitation (ref_id = invitee if known) */
    EV_JOIN,         /* a member joins (value: source code, ref_id: inviter) */
    EV_LEAVE,        /* a member leaves or is removed */
    EV_MUTE,         /* a member mutes the group (stops reading) */
    EV_SILENT,       /* a member becomes a lurker (model state change) */
    EV_VIOLATION,    /* a rule violation detected (value: action code) */
    EV_PARTICIPATE,  /* a member takes part in a campaign (ref_id = campaign) */
    EV_COMPLETE,     /* a member completes a campaign (ref_id = campaign) */
    EV_REWARD,       /* a reward is granted (value = points/amount) */
    EV_PURCHASE,     /* a purchase (value = order value) */
    EV_EXPOSURE,     /* a member is exposed to a campaign/offer (ref_id = campaign) */
    EV_SUBMISSION,   /* a contest/story submission (a message; UGC) */
    EV_SYSTEM,       /* a system notice (not a message by a member) */
    EV_RECALL,       /* a message recalled within the platform's window */
    EV_KIND_COUNT
} ev_kind;

/* Stable lowercase name of a kind ("message", "reply", ...). */
const char *ev_kind_name(ev_kind k);
/* Kind from its name; -1 if unknown. */
int ev_kind_from_name(const char *name);
/* 1 if the kind is a chat message sent by a member (counts as speaking). */
int ev_kind_is_message(ev_kind k);
/* 1 if the kind counts as an interaction (messages plus votes, reactions,
 * check-ins, submissions, shares). */
int ev_kind_is_interaction(ev_kind k);

/* Member roles (members.role). */
typedef enum ev_role { ROLE_MEMBER = 0, ROLE_OWNER, ROLE_ADMIN, ROLE_KOL, ROLE_BOT, ROLE_COUNT } ev_role;
const char *ev_role_name(ev_role r);
int ev_role_from_name(const char *name);

/* Join sources (members.source). */
typedef enum ev_source { SRC_SEED = 0, SRC_ORGANIC, SRC_INVITE, SRC_QR, SRC_COUNT } ev_source;
const char *ev_source_name(ev_source s);
int ev_source_from_name(const char *name);

/* One event.  id, member_id and ref_id are -1 when absent. */
typedef struct ev_rec {
    int64_t id;        /* message/event id, unique within a run; -1 if none */
    int64_t ts;        /* unix seconds */
    int32_t group_id;  /* 1.. within a run */
    int32_t kind;      /* ev_kind */
    int64_t member_id; /* sender / actor */
    int64_t ref_id;    /* referenced message, question, campaign or member */
    double value;      /* kind-specific value (order value, points, ...) */
} ev_rec;

/* One spell of a membership (one row of spells; the membership's row of
 * members is kept in step).  A member who leaves and rejoins is reported
 * once per spell: spell 0, 1, ... in time order, spell k+1 joining at or
 * after spell k's left_ts.  source SRC_SEED marks a founder (present at the
 * start), which is not a join. */
typedef struct ev_member {
    int32_t group_id;
    int32_t role;      /* ev_role */
    int32_t source;    /* ev_source */
    int64_t member_id;
    int64_t inviter_id; /* -1 if none */
    int64_t joined_ts;
    int64_t left_ts;    /* -1 while still a member */
    int32_t spell;      /* 0 = the first spell (positional initialisers leave it 0) */
} ev_member;

/* Where a producer (model or importer) sends what it observes.  Either
 * callback may be NULL.  A callback returns 0, or nonzero to ask the producer
 * to stop (e.g. a write failed); producers propagate that as an error. */
typedef struct ev_sink {
    int (*member)(void *ctx, const ev_member *m);  /* a join, or a final update with left_ts */
    int (*event)(void *ctx, const ev_rec *e);
    void *ctx;
} ev_sink;

#endif
