/* culture.c -- rituals and conflicts.  Rituals (welcome ceremony, weekly
 * themed night, anniversary, offline meetups) raise belonging, the slow
 * level engagement decays towards, so their effect persists.  Conflicts
 * lower the engagement of those involved (and a little of bystanders) unless
 * a resolution mechanism (suggestion box, tea party) repairs part of it. */
#include "com_internal.h"

#include <math.h>

#include <gsl/gsl_randist.h>

const opt_row culture_opts[] = {
    ROW_D("culture.welcome_belonging", culture.welcome_bel, 0.0, 0, 1, "", "belonging from a welcome ceremony for each newcomer"),
    ROW_I("culture.night_weekday", culture.night_weekday, -1, -1, 6, "", "weekday of the weekly themed night (0 = Monday, -1 off)"),
    ROW_D("culture.night_hour", culture.night_hour, 20.5, 0, 23.999, "h", "local hour of the themed night"),
    ROW_D("culture.night_response", culture.night_response, 2.0, 0, 100, "x", "reply-burst multiplier of the themed night's prompt"),
    ROW_D("culture.night_belonging", culture.night_bel, 0.03, 0, 1, "", "belonging gained by each reader"),
    ROW_I("culture.anniversary_day", culture.anniversary_day, -1, -1, 3650, "day", "day of the anniversary event (-1 off)"),
    ROW_D("culture.anniversary_belonging", culture.anniversary_bel, 0.2, 0, 1, "", "belonging gained by each member"),
    ROW_D("culture.meetup_every", culture.meetup_every, 0, 0, 3650, "days", "days between offline meetups (0 off)"),
    ROW_D("culture.meetup_attend", culture.meetup_attend, 0.2, 0, 1, "", "attendance probability (x engagement)"),
    ROW_D("culture.meetup_belonging", culture.meetup_bel, 0.3, 0, 1, "", "belonging gained by an attendee"),
    ROW_D("culture.conflict_rate", culture.conflict_rate, 0, 0, 100, "1/day", "conflicts per day per 100 present members"),
    ROW_D("culture.conflict_hurt", culture.conflict_hurt, 0.3, 0, 1, "", "engagement lost by each of those involved"),
    ROW_B("culture.resolution", culture.resolution, 0, "a resolution mechanism (suggestion box, tea party) is present"),
    ROW_D("culture.resolution_effect", culture.resolution_effect, 0.7, 0, 1, "", "share of the hurt the mechanism repairs"),
    ROW_END,
};

void culture_on_join(com_t *m, int i)
{
    if (m->p.culture.welcome_bel > 0) com_belong(m, i, m->p.culture.welcome_bel);
}

static void on_night(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    int g = (int)ev->a;
    (void)s;
    com_message(m, EV_POST, 0, g, -1, CT_PROMPT, m->p.culture.night_response);
    m->st.posts++;
    group *G = &m->grp[g];
    com_group_dirty(m, g); /* every reader's bound changes: one O(n) rebuild */
    for (int k = 0; k < G->n; k++)
        if (m->mem[G->idx[k]].state != ST_MUTED) com_belong(m, G->idx[k], m->p.culture.night_bel);
}

void culture_day(com_t *m, int64_t day)
{
    const com_params *p = &m->p;
    double t0 = (double)day * DAY;
    if (p->culture.night_weekday >= 0 && cal_weekday(m->cal, t0) == p->culture.night_weekday)
        for (int g = 0; g < m->ngrp; g++)
            if (!sim_schedule_at(m->sim, t0 + p->culture.night_hour * HOUR, PRIO_OPERATOR, on_night, m, g, 0, 0))
                com_fail(m, "engine: %s", sim_errmsg(m->sim));
    if (day == p->culture.anniversary_day)
        for (int g = 0; g < m->ngrp; g++) com_group_dirty(m, g); /* everyone: rebuilds, not point updates */
    if (day == p->culture.anniversary_day)
        for (int i = 0; i < m->n; i++)
            if (m->mem[i].state != ST_LEFT) com_belong(m, i, p->culture.anniversary_bel);
    if (p->culture.meetup_every > 0 && day > 0 && fmod((double)day, p->culture.meetup_every) == 0)
        for (int i = 0; i < m->n; i++) {
            member *x = &m->mem[i];
            if (x->state == ST_LEFT || x->role == ROLE_BOT || x->kind != MK_NORMAL) continue;
            gsl_rng *r = com_scratch(m, FAM_CULTURE, (uint32_t)i, (uint64_t)day);
            if (gsl_rng_uniform(r) < p->culture.meetup_attend * com_eng(m, i)) {
                com_emit(m, EV_PARTICIPATE, i, x->group, CAMP_MEETUP, day);
                com_belong(m, i, p->culture.meetup_bel);
            }
        }
    if (p->culture.conflict_rate > 0)
        for (int g = 0; g < m->ngrp; g++) {
            group *G = &m->grp[g];
            if (G->n < 3) continue;
            gsl_rng *r = com_scratch(m, FAM_CULTURE, 0x80000000u | (uint32_t)g, (uint64_t)day);
            unsigned n = gsl_ran_poisson(r, p->culture.conflict_rate * G->n / 100.0);
            double hurt = p->culture.conflict_hurt * (p->culture.resolution ? 1 - p->culture.resolution_effect : 1);
            if (n > 0) com_group_dirty(m, g); /* bystanders: one O(n) rebuild */
            for (unsigned c = 0; c < n; c++) {
                int parties = 2 + (int)gsl_rng_uniform_int(r, 3);
                for (int k = 0; k < parties; k++) com_hurt(m, G->idx[gsl_rng_uniform_int(r, (unsigned long)G->n)], hurt);
                for (int k = 0; k < G->n; k++) com_hurt(m, G->idx[k], hurt / 10);
            }
        }
}
