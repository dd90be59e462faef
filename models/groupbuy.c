/* groupbuy.c -- a group-buy flash sale (seed section 五: conversion > 15%,
 * order value +30%).  On each sale day the operator posts the offer (a link:
 * exposure); members decide to buy (logistic); once `threshold` buyers have
 * bought that day the group price unlocks: later buyers pay the discounted
 * price and add items to reach the deal (basket).  Countdown reminders come
 * from operator.campaign_* settings. */
#include "com_internal.h"

#include <math.h>

#include <gsl/gsl_randist.h>

#define B(f) groupbuy.f
const opt_row groupbuy_opts[] = {
    CAMP_ROWS("groupbuy", groupbuy.c, 0, 3, -3, 1, 0.1),
    ROW_D("groupbuy.price", B(price), 100, 0, 1e9, "yuan", "list price of one item"),
    ROW_D("groupbuy.discount", B(discount), 0.2, 0, 1, "", "discount of the group price"),
    ROW_I("groupbuy.threshold", B(threshold), 10, 0, 100000, "buyers", "buyers needed to unlock the group price (0: no group price)"),
    ROW_D("groupbuy.basket", B(basket), 0.6, 0, 100, "items", "mean extra items per order at the group price"),
    ROW_D("groupbuy.hour", B(hour), 20, 0, 23.999, "h", "local hour of the sale"),
    ROW_END,
};

static void on_offer(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    int g = (int)ev->a;
    (void)s;
    com_message(m, EV_POST, 0, g, CAMP_GROUPBUY, CT_LINK, m->p.content[CT_LINK].response);
    m->st.posts++;
    group *G = &m->grp[g];
    for (int k = 0; k < G->n; k++) {
        int i = G->idx[k];
        if (camp_eligible(m, i) && m->mem[i].state != ST_MUTED) com_emit(m, EV_EXPOSURE, i, g, CAMP_GROUPBUY, 0);
    }
}

static void on_buy(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    const com_params *p = &m->p;
    int i = (int)ev->a;
    (void)s;
    if (m->mem[i].state == ST_LEFT) return;
    double *buyers = camp_score(m, CAMP_GROUPBUY); /* slot of group g: buyers today, reset daily */
    if (!buyers) return;
    int g = m->mem[i].group;
    int unlocked = p->groupbuy.threshold > 0 && buyers[g] >= p->groupbuy.threshold;
    gsl_rng *r = com_scratch(m, FAM_CAMPAIGN(CAMP_GROUPBUY), (uint32_t)i, ((uint64_t)ev->b << 2) | 3);
    double items = 1 + (unlocked ? gsl_ran_poisson(r, p->groupbuy.basket) : 0);
    double value = items * p->groupbuy.price * (unlocked ? 1 - p->groupbuy.discount : 1);
    buyers[g] += 1;
    com_emit(m, EV_PURCHASE, i, g, CAMP_GROUPBUY, value);
    camp_took_part(m, &p->groupbuy.c, CAMP_GROUPBUY, i, (uint64_t)ev->b);
}

void groupbuy_day(com_t *m, int64_t day)
{
    const com_params *p = &m->p;
    const camp_common *c = &p->groupbuy.c;
    if (!camp_active(c, day)) return;
    double *buyers = camp_score(m, CAMP_GROUPBUY);
    if (!buyers) return;
    for (int g = 0; g < m->ngrp && g < m->cap; g++) buyers[g] = 0;
    double t0 = (double)day * DAY + p->groupbuy.hour * HOUR;
    for (int g = 0; g < m->ngrp; g++)
        if (!sim_schedule_at(m->sim, t0, PRIO_OPERATOR, on_offer, m, g, 0, 0)) com_fail(m, "engine: %s", sim_errmsg(m->sim));
    for (int i = 0; i < m->n; i++) {
        if (!camp_eligible(m, i) || m->mem[i].state == ST_MUTED) continue;
        if (!camp_decide(m, c, CAMP_GROUPBUY, i, (uint64_t)day)) continue;
        gsl_rng *r = com_scratch(m, FAM_CAMPAIGN(CAMP_GROUPBUY), (uint32_t)i, ((uint64_t)day << 2) | 1);
        double t = t0 + 1 + gsl_ran_exponential(r, 2 * HOUR);
        if (t < (double)(day + 1) * DAY && !sim_schedule_at(m->sim, t, PRIO_MEMBER, on_buy, m, i, day, 0))
            com_fail(m, "engine: %s", sim_errmsg(m->sim));
    }
}
