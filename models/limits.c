/* limits.c -- resource guards of the community model: documented limits
 * (settings limits.*) that stop a runaway scenario with a clear message
 * instead of letting it exhaust memory or run for days: members ever added
 * (members stay in memory after they leave), events per replication (a
 * threaded batch buffers a replication's rows), pending engine events, and
 * invitations per day (a branching process with a mean above one explodes).
 * The checks sit where the model adds members, emits events and sends
 * invitations; the engine enforces the pending cap (sim_opts.max_pending).
 * docs/hardening.md lists them with the hostile inputs they answer. */
#include "com_internal.h"

#include <math.h>

const opt_row limits_opts[] = {
    ROW_I("limits.members", limits.members, COM_LIMIT_MEMBERS, 10, 100000000, "members",
          "most members a replication may add (initial, joined and invited; those who left count too): more stops the run"),
    ROW_D("limits.events", limits.events, COM_LIMIT_EVENTS, 1000, 1e13, "events",
          "most events a replication may emit: more stops the run"),
    ROW_I("limits.pending", limits.pending, COM_LIMIT_PENDING, 1000, 2000000000, "events",
          "most events the engine may hold pending at once (about 130 bytes each): more stops the run"),
    ROW_D("limits.invites_per_day", limits.invites_day, COM_LIMIT_INVITES_DAY, 1, 1e12, "invitations",
          "most invitations the community may send in one day: more stops the run"),
    ROW_END,
};

int com_limit_member(com_t *m)
{
    int max = m->p.limits.members > 0 ? m->p.limits.members : COM_LIMIT_MEMBERS;
    if (m->n < max) return 0;
    return com_fail(m, "limit: %d members reached on day %lld (limits.members): the community grows without "
                       "bound? (joins.rate, invites.*); raise the limit if this is meant",
                    m->n, (long long)m->day);
}

int com_limit_events(com_t *m)
{
    double max = m->p.limits.events > 0 ? m->p.limits.events : COM_LIMIT_EVENTS;
    if ((double)m->next_msg_id <= max) return 0;
    return com_fail(m, "limit: %.0f events emitted by day %lld (limits.events): a runaway scenario? (rates, "
                       "replies.branching, days); raise the limit if this is meant",
                    max, (long long)m->day);
}

int com_limit_invites(com_t *m, double sent_today)
{
    double max = m->p.limits.invites_day > 0 ? m->p.limits.invites_day : COM_LIMIT_INVITES_DAY;
    if (sent_today <= max) return 0;
    return com_fail(m, "limit: more than %.0f invitations on day %lld (limits.invites_per_day): runaway "
                       "invitations (invites.mean x incentive x accept)?; raise the limit if this is meant",
                    max, (long long)m->day);
}
