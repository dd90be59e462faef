/* redpacket.c -- red-packet lottery: on each campaign day the operator sends
 * red packets at set hours; a reader who sees one in time (redpacket.grab)
 * grabs it if the campaign's participation decision says so (logistic in
 * engagement, reward sensitivity x reward, effort), a reaction: an
 * interaction; grabbing raises engagement. */
#include "com_internal.h"

#include <math.h>

#include <gsl/gsl_randist.h>

#define P_(f) redpacket.f
const opt_row redpacket_opts[] = {
    CAMP_ROWS("redpacket", redpacket.c, 0, 7, 0, 1, 0.0),
    ROW_V("redpacket.hours", P_(hours), "12,21", 0, 0, 23.999, "h", "local hours of the red packets"),
    ROW_D("redpacket.grab", P_(grab), 0.6, 0, 1, "", "probability a reader sees a packet in time to grab it"),
    ROW_D("redpacket.amount", P_(amount), 2, 0, 1e6, "yuan", "mean amount grabbed"),
    ROW_END,
};

static void on_packet(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    const com_params *p = &m->p;
    int g = (int)ev->a;
    (void)s;
    int64_t id = com_message(m, EV_POST, 0, g, CAMP_REDPACKET, CT_GAME, p->content[CT_GAME].response);
    m->st.posts++;
    group *G = &m->grp[g];
    for (int k = 0; k < G->n; k++) {
        int i = G->idx[k];
        if (!camp_eligible(m, i) || m->mem[i].state == ST_MUTED) continue;
        /* each reader's own stream for this packet: the draws do not depend on
         * the order of the group list, and camp_decide/camp_took_part may
         * reseed the scratch generator in between */
        gsl_rng *r = com_scratch(m, FAM_CAMPAIGN(CAMP_REDPACKET), (uint32_t)i, ((uint64_t)ev->b << 1) | 1);
        double u = gsl_rng_uniform(r), a = gsl_ran_exponential(r, p->redpacket.amount);
        if (u >= p->redpacket.grab || !camp_decide(m, &p->redpacket.c, CAMP_REDPACKET, i, (uint64_t)ev->b)) continue;
        com_emit(m, EV_REACTION, i, g, id, a);
        camp_took_part(m, &p->redpacket.c, CAMP_REDPACKET, i, (uint64_t)ev->b);
    }
}

void redpacket_day(com_t *m, int64_t day)
{
    const com_params *p = &m->p;
    const camp_common *c = &p->redpacket.c;
    if (!camp_active(c, day)) return;
    if (day == c->start) camp_expose(m, CAMP_REDPACKET);
    for (int g = 0; g < m->ngrp; g++)
        for (int k = 0; k < p->redpacket.hours.n; k++)
            if (!sim_schedule_at(m->sim, (double)day * DAY + p->redpacket.hours.v[k] * HOUR, PRIO_OPERATOR, on_packet, m, g,
                                 day * 64 + k, 0))
                com_fail(m, "engine: %s", sim_errmsg(m->sim));
}
