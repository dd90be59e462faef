/* live.c -- a group live stream with a questionnaire and a lottery (the
 * enterprise case, seed section 七: 92% completion).  Members who decide to
 * attend join at the start; each stays to the end with a probability that
 * grows with engagement and, when there is a lottery, with reward
 * sensitivity (completion); finishers may fill the questionnaire; lottery
 * winners are drawn among finishers. */
#include "com_internal.h"

#include <math.h>

#include <gsl/gsl_randist.h>

#define L(f) live.f
const opt_row live_opts[] = {
    CAMP_ROWS("live", live.c, 0, 1, -1, 1, 0.1),
    ROW_D("live.hour", L(hour), 19.5, 0, 23.999, "h", "local hour of the stream"),
    ROW_D("live.length", L(length), 60, 1, 1440, "min", "length of the stream"),
    ROW_D("live.stay", L(stay), 0.9, 0, 1, "", "probability an attendee stays to the end (x (0.5 + e/2))"),
    ROW_D("live.survey", L(survey), 0.8, 0, 1, "", "probability a finisher fills the questionnaire"),
    ROW_I("live.winners", L(winners), 5, 0, 10000, "", "lottery winners among finishers (0: no lottery)"),
    ROW_D("live.lottery_pull", L(lottery_pull), 0.3, 0, 1, "", "extra stay probability x reward sensitivity when there is a lottery"),
    ROW_END,
};

static void on_start(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    (void)s;
    com_message(m, EV_ANNOUNCE, 0, (int)ev->a, CAMP_LIVE, CT_ANNOUNCE, 0.3);
    m->st.posts++;
}

static void on_finish(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    const com_params *p = &m->p;
    int i = (int)ev->a;
    (void)s;
    if (m->mem[i].state == ST_LEFT) return;
    double *score = camp_score(m, CAMP_LIVE);
    if (!score) return;
    score[i] = (double)ev->b + 1; /* finished on this day */
    com_emit(m, EV_COMPLETE, i, m->mem[i].group, CAMP_LIVE, 0);
    if (ev->x < p->live.survey) com_emit(m, EV_PARTICIPATE, i, m->mem[i].group, CAMP_LIVE, 2); /* questionnaire */
}

static void on_lottery(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    const com_params *p = &m->p;
    (void)s;
    double *score = camp_score(m, CAMP_LIVE);
    if (!score) return;
    int n = 0;
    for (int i = 0; i < m->n; i++) if (score[i] == (double)ev->a + 1 && m->mem[i].state != ST_LEFT) n++;
    gsl_rng *r = com_scratch(m, FAM_CAMPAIGN(CAMP_LIVE), 0xFFFFFFFFu, (uint64_t)ev->a);
    int want = p->live.winners < n ? p->live.winners : n;
    for (int w = 0; w < want; w++) { /* selection sampling over the finishers, in index order */
        int k = (int)gsl_rng_uniform_int(r, (unsigned long)(n - w)), seen = 0;
        for (int i = 0; i < m->n; i++)
            if (score[i] == (double)ev->a + 1 && m->mem[i].state != ST_LEFT && seen++ == k) {
                com_emit(m, EV_REWARD, i, m->mem[i].group, CAMP_LIVE, w + 1);
                score[i] = -1;
                break;
            }
    }
}

void live_day(com_t *m, int64_t day)
{
    const com_params *p = &m->p;
    const camp_common *c = &p->live.c;
    if (!camp_active(c, day)) return;
    if (day == c->start) camp_expose(m, CAMP_LIVE);
    double t0 = (double)day * DAY + p->live.hour * HOUR, t1 = t0 + p->live.length * 60;
    for (int g = 0; g < m->ngrp; g++)
        if (!sim_schedule_at(m->sim, t0, PRIO_OPERATOR, on_start, m, g, 0, 0)) com_fail(m, "engine: %s", sim_errmsg(m->sim));
    for (int i = 0; i < m->n; i++) {
        if (!camp_eligible(m, i) || m->mem[i].state == ST_MUTED || !camp_decide(m, c, CAMP_LIVE, i, (uint64_t)day)) continue;
        camp_took_part(m, c, CAMP_LIVE, i, (uint64_t)day);
        gsl_rng *r = com_scratch(m, FAM_CAMPAIGN(CAMP_LIVE), (uint32_t)i, ((uint64_t)day << 1) | 1);
        double u = gsl_rng_uniform(r), us = gsl_rng_uniform(r);
        double stay = p->live.stay * (0.5 + 0.5 * com_eng(m, i));
        if (p->live.winners > 0) stay += (1 - stay) * p->live.lottery_pull * m->mem[i].sens;
        if (u < stay &&
            !sim_schedule_at(m->sim, t1, PRIO_MEMBER, on_finish, m, i, day, us))
            com_fail(m, "engine: %s", sim_errmsg(m->sim));
    }
    if (!sim_schedule_at(m->sim, t1 + 60, PRIO_MEMBER, on_lottery, m, day, 0, 0)) com_fail(m, "engine: %s", sim_errmsg(m->sim));
}
