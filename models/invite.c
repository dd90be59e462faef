/* invite.c -- invite virality: members invite friends (propensity x
 * engagement x incentive) during a window after they join; invitees accept
 * with a probability, pass the group's admission and, in confirmation mode,
 * an admin's approval; joined invitees inherit part of their inviter's
 * engagement and invite in turn (a branching process).  "Invite k friends
 * who join to unlock a coupon" raises the incentive until unlocked. */
#include "com_internal.h"

#include <math.h>

#include <gsl/gsl_randist.h>

const opt_row invite_opts[] = {
    ROW_D("invites.mean", invites.mean, 0.0, 0, 100, "1/day", "mean invitations per day of a fully engaged member (0 off)"),
    ROW_D("invites.shape", invites.shape, 1.0, 0.01, 100, "", "gamma shape of invite propensity"),
    ROW_D("invites.incentive", invites.incentive, 1.0, 0, 100, "x", "multiplier from an incentive (1 = none)"),
    ROW_D("invites.accept", invites.accept, 0.3, 0, 1, "", "probability an invitee accepts"),
    ROW_D("invites.inherit", invites.inherit, 0.3, 0, 1, "", "share of the inviter's engagement an invitee inherits"),
    ROW_D("invites.window", invites.window, 0, 0, 3650, "days", "members invite only within this many days of joining (0: always)"),
    ROW_I("invites.unlock_k", invites.unlock_k, 0, 0, 1000, "joins", "invite k friends who join to unlock a coupon (0 off)"),
    ROW_D("invites.coupon_boost", invites.coupon_boost, 0.2, 0, 1, "", "engagement boost of unlocking the coupon"),
    ROW_D("invites.unlock_incentive", invites.unlock_incentive, 3.0, 0, 100, "x", "incentive multiplier while the coupon is locked"),
    ROW_END,
};

static void on_invite(sim_t *s, const sim_event *ev);
static void on_invite_join(sim_t *s, const sim_event *ev);

void invite_day(com_t *m, int64_t day)
{
    const com_params *p = &m->p;
    if (p->invites.mean <= 0) return;
    double now = sim_now(m->sim);
    int n = m->n; /* members who join today invite from tomorrow */
    double sent = 0; /* invitations scheduled today (limits.invites_per_day) */
    for (int i = 0; i < n; i++) {
        member *x = &m->mem[i];
        if (x->state == ST_LEFT || x->invite_p <= 0 || x->role == ROLE_BOT) continue;
        if (p->invites.window > 0 && now - x->joined >= p->invites.window * DAY) continue;
        double inc = p->invites.incentive;
        if (p->invites.unlock_k > 0 && !x->coupon) inc *= p->invites.unlock_incentive;
        gsl_rng *r = com_scratch(m, FAM_INVITE, (uint32_t)i, (uint64_t)day);
        unsigned k = gsl_ran_poisson(r, x->invite_p * com_eng(m, i) * inc);
        if (com_limit_invites(m, sent + k)) return;
        sent += k;
        for (unsigned c = 0; c < k; c++)
            if (!sim_schedule(m->sim, gsl_rng_uniform(r) * DAY, PRIO_MEMBER, on_invite, m, i, (int64_t)(day * 4096 + c), 0))
                com_fail(m, "engine: %s", sim_errmsg(m->sim));
    }
}

void invite_send(com_t *m, int i, uint64_t salt)
{
    const com_params *p = &m->p;
    if (m->mem[i].state == ST_LEFT) return;
    m->st.invites++;
    com_emit(m, EV_INVITE, i, m->mem[i].group, -1, 0);
    gsl_rng *r = com_scratch(m, FAM_INVITE, (uint32_t)i, salt + (1ull << 40));
    if (gsl_rng_uniform(r) >= p->invites.accept) return;
    double delay = 0;
    if (p->rules.invite_confirm && m->mem[i].role == ROLE_MEMBER) {
        if (gsl_rng_uniform(r) >= p->rules.approve_prob) return;
        delay = gsl_ran_exponential(r, p->rules.approve_delay * HOUR);
    }
    if (!sim_schedule(m->sim, delay, PRIO_MEMBER, on_invite_join, m, i, (int64_t)salt, 0)) com_fail(m, "engine: %s", sim_errmsg(m->sim));
}

static void on_invite(sim_t *s, const sim_event *ev)
{
    (void)s;
    invite_send(ev->ctx, (int)ev->a, (uint64_t)ev->b);
}

static void on_invite_join(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    const com_params *p = &m->p;
    int inv = (int)ev->a;
    (void)s;
    gsl_rng *r = com_scratch(m, FAM_INVITE, (uint32_t)inv, (uint64_t)ev->b + (2ull << 40));
    int kind;
    double fit;
    if (rules_admit(m, r, &kind, &fit) != 0) return;
    int g = com_join_target(m, m->mem[inv].group);
    if (g < 0) return;
    int i = com_add_member(m, g, ROLE_MEMBER, SRC_INVITE, inv, kind);
    if (i < 0) return;
    member *x = &m->mem[i];
    x->fit = fit;
    if (kind == MK_NORMAL) {
        double ei = m->mem[inv].state != ST_LEFT ? com_eng(m, inv) : 0;
        x->eng = (1 - p->invites.inherit) * x->eng + p->invites.inherit * ei;
        com_touch(m, i); /* its responder bound follows the new engagement */
    }
    m->st.joins++;
    m->st.invite_joins++;
    com_emit(m, EV_JOIN, i, g, inv + 1, SRC_INVITE);
    roles_on_join(m, i);
    culture_on_join(m, i);
    com_start_posting(m, i);
    member *y = &m->mem[inv];
    y->invited_joins++;
    if (p->invites.unlock_k > 0 && !y->coupon && y->invited_joins >= p->invites.unlock_k && y->state != ST_LEFT) {
        y->coupon = 1;
        m->st.rewards++;
        com_emit(m, EV_REWARD, inv, y->group, CAMP_COUPON, y->invited_joins);
        com_boost(m, inv, p->invites.coupon_boost);
    }
}

