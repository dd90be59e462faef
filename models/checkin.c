/* checkin.c -- the daily check-in challenge: a reminder each day of the
 * campaign, a participation decision per member (logistic in engagement,
 * streak and reward sensitivity), check-in posts, points, streaks with a
 * make-up allowance, and a reward at a points threshold.
 * Campaign id 1 in ref_id of its participate/complete/reward events. */
#include "com_internal.h"

#include <math.h>

#include <gsl/gsl_randist.h>

#define DAY 86400.0
#define CAMPAIGN_ID 1

static void on_checkin(sim_t *s, const sim_event *ev);

static double logistic(double x) { return 1.0 / (1.0 + exp(-x)); }

void ck_day(com_t *m, int64_t day)
{
    const com_params *p = &m->p;
    if (day < p->ck_start || day >= (int64_t)p->ck_start + p->ck_days) {
        if (day == (int64_t)p->ck_start + p->ck_days) { /* the day after: completions */
            for (int i = 0; i < m->n; i++)
                if (m->mem[i].state != ST_LEFT && m->mem[i].ck_count >= p->ck_days - p->ck_makeup && m->mem[i].ck_count > 0)
                    com_emit(m, EV_COMPLETE, i, CAMPAIGN_ID, m->mem[i].ck_count);
        }
        return;
    }
    if (day == p->ck_start)
        for (int i = 0; i < m->n; i++)
            if (m->mem[i].state != ST_LEFT && m->mem[i].role == ROLE_MEMBER) com_emit(m, EV_EXPOSURE, i, CAMPAIGN_ID, 0);
    for (int i = 0; i < m->n; i++) {
        member *x = &m->mem[i];
        if (x->state == ST_LEFT || x->role != ROLE_MEMBER) continue;
        /* yesterday missed? */
        if (day > p->ck_start && x->ck_done_day != day - 1 && x->ck_streak > 0) {
            if (++x->ck_missed > p->ck_makeup) {
                x->ck_streak = 0;
                x->ck_missed = 0;
            }
        }
        gsl_rng *r = com_scratch(m, FAM_CHECKIN, (uint32_t)i, (uint64_t)day);
        double u = gsl_rng_uniform(r);
        double delay = gsl_ran_exponential(r, p->ck_window * 3600.0);
        double streak = x->ck_streak / 7.0;
        if (streak > 1) streak = 1;
        double pr = logistic(p->ck_base + p->ck_w_eng * com_eng(m, i) + p->ck_w_streak * streak + p->ck_w_reward * x->sens);
        double t = (double)day * DAY + p->ck_hour * 3600.0 + delay;
        if (u < pr && t < (double)(day + 1) * DAY)
            sim_schedule_at(m->sim, t, 0, on_checkin, m, i, day, 0);
    }
}

static void on_checkin(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    int i = (int)ev->a;
    member *x = &m->mem[i];
    (void)s;
    if (x->state == ST_LEFT) return;
    if (x->ck_count == 0) com_emit(m, EV_PARTICIPATE, i, CAMPAIGN_ID, 0);
    com_emit(m, EV_CHECKIN, i, CAMPAIGN_ID, x->ck_streak + 1);
    m->st.checkins++;
    x->ck_count++;
    x->ck_streak++;
    x->ck_done_day = (int32_t)ev->b;
    x->ck_points += m->p.ck_points;
    com_boost(m, i, m->p.ck_boost);
    if (m->p.ck_threshold > 0 && !x->ck_rewarded && x->ck_points >= m->p.ck_threshold) {
        x->ck_rewarded = 1;
        m->st.rewards++;
        com_emit(m, EV_REWARD, i, CAMPAIGN_ID, x->ck_points);
        com_boost(m, i, m->p.ck_reward_boost);
    }
}
