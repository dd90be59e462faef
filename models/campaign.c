/* campaign.c -- what every campaign shares: the registry as a table
 * (campaigns.def), its window, exposure, the participation decision
 * (logistic in engagement, reward sensitivity x reward and effort), taking
 * part (participate event, engagement boost, sharing that brings
 * invitations), per-member state, and the daily dispatch.  Names no
 * campaign type: each comes from the registry. */
#include "com_internal.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

/* Ids in range and unique, checked at compile time: a taken id (another
 * campaign's, or the coupon's 2) declares its enumerator twice. */
#define CAMPAIGN(UPPER, name, id, title, label, ...) \
    _Static_assert((id) > 0 && (id) < CAMP_MAX, #name ": campaign id out of range"); \
    enum { camp_id_taken_##id = id };
#include "campaigns.def"
#undef CAMPAIGN
enum { camp_id_taken_2 = CAMP_COUPON };

const camp_type camp_types[] = {
#define CAMPAIGN(UPPER, name, id, title, label, ...) {id, #name, title, label, name##_opts, offsetof(com_params, name.c), name##_day},
#include "campaigns.def"
#undef CAMPAIGN
};
const int camp_ntypes = (int)(sizeof camp_types / sizeof camp_types[0]);

void campaigns_day(com_t *m, int64_t day)
{
    for (int k = 0; k < camp_ntypes; k++) {
        const camp_common *c = (const camp_common *)((const char *)&m->p + camp_types[k].common);
        if (c->enabled) camp_types[k].day(m, day);
    }
}

const char *com_campaign_label(int id)
{
    for (int k = 0; k < camp_ntypes; k++)
        if (camp_types[k].id == id) return camp_types[k].label;
    return id == CAMP_COUPON ? "coupon" : id == CAMP_MEETUP ? "meetups" : NULL;
}

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
    if (camp_first_part(m, id, i) != 0) return;
    if (c->boost > 0) com_boost(m, i, c->boost);
    if (c->share <= 0) return;
    gsl_rng *r = com_scratch(m, FAM_CAMPAIGN(id), (uint32_t)i, counter ^ 0x5A5A000000000000ull);
    if (gsl_rng_uniform(r) >= c->share) return;
    com_emit(m, EV_SHARE, i, x->group, id, 0);
    unsigned k = c->share_invite > 0 ? gsl_ran_poisson(r, c->share_invite) : 0;
    for (unsigned j = 0; j < k; j++) invite_send(m, i, (counter << 8) ^ ((uint64_t)id << 56) ^ j);
}

/* p (*cap records of size bytes) grown to m->cap records, the new ones
 * zero; NULL after com_fail on ENOMEM (p still valid, *cap unchanged) */
static void *grow(com_t *m, void *p, int *cap, size_t size)
{
    if (*cap >= m->cap) return p;
    char *np = realloc(p, (size_t)m->cap * size);
    if (!np) { com_fail(m, "out of memory"); return NULL; }
    memset(np + (size_t)*cap * size, 0, (size_t)(m->cap - *cap) * size);
    *cap = m->cap;
    return np;
}

void *camp_members(com_t *m, int id, size_t size)
{
    void *p = grow(m, m->cstate[id], &m->cstate_cap[id], size);
    if (p) m->cstate[id] = p;
    return p;
}

double *camp_score(com_t *m, int id) { return camp_members(m, id, sizeof(double)); }

int camp_first_part(com_t *m, int id, int i)
{
    uint32_t *seen = grow(m, m->seen, &m->seen_cap, sizeof *seen);
    if (!seen) return -1;
    m->seen = seen;
    if (!(seen[i] & (1u << id))) {
        seen[i] |= 1u << id;
        com_emit(m, EV_PARTICIPATE, i, m->mem[i].group, id, 0);
    }
    return 0;
}

double camp_time(com_t *m, int64_t day, gsl_rng *r)
{
    double amax = m->act_max, t;
    int tries = 0;
    do t = ((double)day + gsl_rng_uniform(r)) * DAY;
    while (gsl_rng_uniform(r) * amax > com_activity(m, t) && ++tries < 200);
    return t;
}
