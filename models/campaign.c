/* campaign.c -- what every campaign shares: its window, exposure, the
 * participation decision (logistic in engagement, reward sensitivity x reward
 * and effort), taking part (participate event, engagement boost, sharing
 * that brings invitations), per-member scores, and the daily dispatch. */
#include "com_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

int camp_eligible(const com_t *m, int i)
{
    const member *x = &m->mem[i];
    return x->state != ST_LEFT && x->role == ROLE_MEMBER && x->kind == MK_NORMAL;
}

int camp_active(const camp_common *c, int64_t day)
{
    return c->enabled && day >= c->start && day < (int64_t)c->start + c->days;
}

void camp_expose(com_t *m, int id)
{
    for (int i = 0; i < m->n; i++)
        if (camp_eligible(m, i)) com_emit(m, EV_EXPOSURE, i, m->mem[i].group, id, 0);
}

int camp_decide(com_t *m, const camp_common *c, int id, int i, uint64_t counter)
{
    gsl_rng *r = com_scratch(m, FAM_CAMPAIGN(id), (uint32_t)i, counter);
    double x = c->base + c->w_eng * com_eng(m, i) + c->w_reward * m->mem[i].sens * c->reward - c->effort;
    return gsl_rng_uniform(r) < 1.0 / (1.0 + exp(-x));
}

void camp_took_part(com_t *m, const camp_common *c, int id, int i, uint64_t counter)
{
    member *x = &m->mem[i];
    if (!(x->camp_seen & (1u << id))) {
        x->camp_seen |= 1u << id;
        com_emit(m, EV_PARTICIPATE, i, x->group, id, 0);
    }
    if (c->boost > 0) com_boost(m, i, c->boost);
    if (c->share <= 0) return;
    gsl_rng *r = com_scratch(m, FAM_CAMPAIGN(id), (uint32_t)i, counter ^ 0x5A5A000000000000ull);
    if (gsl_rng_uniform(r) >= c->share) return;
    com_emit(m, EV_SHARE, i, x->group, id, 0);
    unsigned k = c->share_invite > 0 ? gsl_ran_poisson(r, c->share_invite) : 0;
    for (unsigned j = 0; j < k; j++) invite_send(m, i, (counter << 8) ^ ((uint64_t)id << 56) ^ j);
}

double *camp_score(com_t *m, int id)
{
    if (m->score_cap[id] < m->cap) {
        double *ns = realloc(m->score[id], (size_t)m->cap * sizeof *ns);
        if (!ns) { com_fail(m, "out of memory"); return NULL; }
        memset(ns + m->score_cap[id], 0, (size_t)(m->cap - m->score_cap[id]) * sizeof *ns);
        m->score[id] = ns;
        m->score_cap[id] = m->cap;
    }
    return m->score[id];
}

double camp_time(com_t *m, int64_t day, gsl_rng *r)
{
    double amax = m->act_max, t;
    int tries = 0;
    do t = ((double)day + gsl_rng_uniform(r)) * DAY;
    while (gsl_rng_uniform(r) * amax > com_activity(m, t) && ++tries < 200);
    return t;
}

void campaigns_day(com_t *m, int64_t day)
{
    const com_params *p = &m->p;
    if (p->contest.c.enabled) contest_day(m, day);
    if (p->challenge.c.enabled) challenge_day(m, day);
    if (p->quiz.c.enabled) quiz_day(m, day);
    if (p->groupbuy.c.enabled) groupbuy_day(m, day);
    if (p->story.c.enabled) story_day(m, day);
    if (p->live.c.enabled) live_day(m, day);
    if (p->chapters.c.enabled) chapters_day(m, day);
    if (p->redpacket.c.enabled) redpacket_day(m, day);
}
