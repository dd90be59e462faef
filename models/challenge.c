/* challenge.c -- the weekly challenge and the monthly award ceremony (the
 * fitness group, seed section 三: daily check-in + weekly challenge + monthly
 * awards; combine with checkin.*).  Each week members decide to join the
 * week's challenge and post their results daily; every award_every days the
 * top scorers are awarded at a ceremony that raises everyone's belonging. */
#include "com_internal.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>

#define H(f) challenge.f
const opt_row challenge_opts[] = {
    CAMP_ROWS("challenge", challenge.c, 0, 90, -1.5, 1, 0.05),
    ROW_I("challenge.weekday", H(weekday), 0, 0, 6, "", "weekday the weekly challenge starts (0 = Monday)"),
    ROW_D("challenge.posts", H(posts), 1.0, 0, 100, "1/day", "challenge posts per day of a participant"),
    ROW_I("challenge.award_every", H(award_every), 30, 1, 3650, "days", "days between award ceremonies"),
    ROW_I("challenge.awards", H(awards), 5, 0, 500, "", "members awarded at each ceremony"),
    ROW_D("challenge.award_boost", H(award_boost), 0.3, 0, 1, "", "engagement boost of an award"),
    ROW_D("challenge.ceremony_belonging", H(ceremony_belonging), 0.05, 0, 1, "", "belonging every member gains at a ceremony"),
    ROW_END,
};

static void on_challenge_post(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    int i = (int)ev->a;
    (void)s;
    if (m->mem[i].state == ST_LEFT) return;
    double *score = camp_score(m, CAMP_CHALLENGE);
    if (!score) return;
    score[i] += 1;
    com_message(m, EV_SUBMISSION, i, -1, CAMP_CHALLENGE, 0, 1.0);
}

static void ceremony(com_t *m, int64_t day)
{
    const com_params *p = &m->p;
    double *score = camp_score(m, CAMP_CHALLENGE);
    if (!score) return;
    for (int g = 0; g < m->ngrp; g++) {
        com_message(m, EV_POST, 0, g, CAMP_CHALLENGE, CT_ANNOUNCE, 1.0);
        m->st.posts++;
    }
    for (int a = 0; a < p->challenge.awards; a++) { /* the top scorers, ties by index */
        int best = -1;
        for (int i = 0; i < m->n; i++)
            if (m->mem[i].state != ST_LEFT && score[i] > 0 && (best < 0 || score[i] > score[best])) best = i;
        if (best < 0) break;
        com_emit(m, EV_REWARD, best, m->mem[best].group, CAMP_CHALLENGE, a + 1);
        com_boost(m, best, p->challenge.award_boost);
        score[best] = -score[best]; /* out of this ceremony */
    }
    for (int i = 0; i < m->n; i++) {
        score[i] = 0; /* a new period */
        if (m->mem[i].state != ST_LEFT && m->mem[i].state != ST_MUTED && p->challenge.ceremony_belonging > 0)
            com_belong(m, i, p->challenge.ceremony_belonging);
    }
    (void)day;
}

void challenge_day(com_t *m, int64_t day)
{
    const com_params *p = &m->p;
    const camp_common *c = &p->challenge.c;
    if (!camp_active(c, day)) return;
    int64_t k = day - c->start;
    if (k == 0) camp_expose(m, CAMP_CHALLENGE);
    if (k > 0 && k % p->challenge.award_every == 0) ceremony(m, day);
    int wd = cal_weekday(m->cal, (double)day * DAY);
    int64_t week = (day - c->start + 7 - ((wd - p->challenge.weekday + 7) % 7)) / 7; /* week index */
    for (int i = 0; i < m->n; i++) {
        if (!camp_eligible(m, i)) continue;
        /* the decision is taken per week: the same draw all week */
        if (!camp_decide(m, c, CAMP_CHALLENGE, i, (uint64_t)week)) continue;
        gsl_rng *r = com_scratch(m, FAM_CAMPAIGN(CAMP_CHALLENGE), (uint32_t)i, ((uint64_t)day << 1) | 1);
        unsigned n = gsl_ran_poisson(r, p->challenge.posts);
        if (n > 0) camp_took_part(m, c, CAMP_CHALLENGE, i, (uint64_t)day);
        for (unsigned j = 0; j < n; j++)
            if (!sim_schedule_at(m->sim, camp_time(m, day, r), PRIO_MEMBER, on_challenge_post, m, i, 0, 0))
                com_fail(m, "engine: %s", sim_errmsg(m->sim));
    }
}
