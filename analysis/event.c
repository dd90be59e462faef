/* event.c -- names of event kinds, roles and sources (the stored vocabulary). */
#include "event.h"

#include <string.h>

static const char *const kind_names[EV_KIND_COUNT] = {
    "message", "reply", "question", "answer", "checkin", "announce", "post",
    "vote", "reaction", "share", "invite", "join", "leave", "mute", "silent",
    "violation", "participate", "complete", "reward", "purchase", "exposure",
    "submission", "system", "recall",
};

static const char *const role_names[ROLE_COUNT] = {"member", "owner", "admin", "kol", "bot"};
static const char *const source_names[SRC_COUNT] = {"seed", "organic", "invite", "qr"};

static int lookup(const char *const *names, int n, const char *name)
{
    if (!name) return -1;
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0) return i;
    return -1;
}

const char *ev_kind_name(ev_kind k) { return (unsigned)k < EV_KIND_COUNT ? kind_names[k] : "?"; }
int ev_kind_from_name(const char *name) { return lookup(kind_names, EV_KIND_COUNT, name); }
const char *ev_role_name(ev_role r) { return (unsigned)r < ROLE_COUNT ? role_names[r] : "?"; }
int ev_role_from_name(const char *name) { return lookup(role_names, ROLE_COUNT, name); }
const char *ev_source_name(ev_source s) { return (unsigned)s < SRC_COUNT ? source_names[s] : "?"; }
int ev_source_from_name(const char *name) { return lookup(source_names, SRC_COUNT, name); }

int ev_kind_is_message(ev_kind k)
{
    switch (k) {
    case EV_MESSAGE: case EV_REPLY: case EV_QUESTION: case EV_ANSWER:
    case EV_CHECKIN: case EV_ANNOUNCE: case EV_POST: case EV_SUBMISSION:
        return 1;
    default:
        return 0;
    }
}

int ev_kind_is_interaction(ev_kind k)
{
    return ev_kind_is_message(k) || k == EV_VOTE || k == EV_REACTION || k == EV_SHARE;
}
