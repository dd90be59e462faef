/* checkin.c -- the daily check-in challenge: an exposure at the start, a
 * reminder each day of the campaign, a participation decision per member
 * (logistic in engagement, streak and reward sensitivity), check-in posts,
 * points, streaks with a make-up allowance, and a reward at a threshold.
 * Campaign id 1 in ref_id of its participate/complete/reward events. */
#include "com_internal.h"

#include <math.h>

#include <gsl/gsl_randist.h>

#define CAMPAIGN_ID 1

const opt_row checkin_opts[] = {
    ROW_B("checkin.enabled", checkin.enabled, 0, "run a daily check-in challenge"),
    ROW_I("checkin.start_day", checkin.start, 0, 0, 3650, "day", "first day of the challenge (0 = start date)"),
    ROW_I("checkin.days", checkin.days, 21, 1, 3650, "days", "length of the challenge"),
    ROW_D("checkin.hour", checkin.hour, 20, 0, 23.999, "h", "local hour of the daily reminder"),
    ROW_D("checkin.delay", checkin.delay, 1.5, 0.01, 24, "h", "mean delay from reminder to check-in"),
    ROW_I("checkin.points", checkin.points, 10, 0, 1000000, "points", "points per check-in"),
    ROW_I("checkin.threshold", checkin.threshold, 150, 0, 100000000, "points", "points for the reward (0 = no reward)"),
    ROW_I("checkin.makeup", checkin.makeup, 1, 0, 100, "days", "missed days allowed over the whole challenge without breaking the streak"),
    ROW_D("checkin.base", checkin.base, -2.0, -50, 50, "logit", "participation intercept"),
    ROW_D("checkin.w_engagement", checkin.w_eng, 4.0, -50, 50, "logit", "participation weight of engagement"),
    ROW_D("checkin.w_streak", checkin.w_streak, 1.5, -50, 50, "logit", "weight of the streak (per 7 days, capped at 1)"),
    ROW_D("checkin.w_reward", checkin.w_reward, 1.0, -50, 50, "logit", "weight of reward sensitivity"),
    ROW_D("checkin.boost", checkin.boost, 0.03, 0, 1, "", "engagement boost of a check-in"),
    ROW_D("checkin.reward_boost", checkin.reward_boost, 0.2, 0, 1, "", "engagement boost of reaching the reward"),
    ROW_END,
};

static void on_checkin(sim_t *s, const sim_event *ev);

static double logistic(double x) { return 1.0 / (1.0 + exp(-x)); }

void ck_day(com_t *m, int64_t day)
{
    const com_params *p = &m->p;
    int64_t first = p->checkin.start, end = first + p->checkin.days;
    if (day == end) { /* the day after: completions */
        for (int i = 0; i < m->n; i++)
            if (m->mem[i].state != ST_LEFT && m->mem[i].ck_count > 0 && m->mem[i].ck_count >= p->checkin.days - p->checkin.makeup)
                com_emit(m, EV_COMPLETE, i, m->mem[i].group, CAMPAIGN_ID, m->mem[i].ck_count);
    }
    if (day < first || day >= end) return;
    if (day == first)
        for (int i = 0; i < m->n; i++)
            if (m->mem[i].state != ST_LEFT && m->mem[i].role == ROLE_MEMBER && m->mem[i].kind == MK_NORMAL)
                com_emit(m, EV_EXPOSURE, i, m->mem[i].group, CAMPAIGN_ID, 0);
    for (int i = 0; i < m->n; i++) {
        member *x = &m->mem[i];
        if (x->state == ST_LEFT || x->role != ROLE_MEMBER || x->kind != MK_NORMAL) continue;
        if (day > first && x->ck_done_day != day - 1 && x->ck_streak > 0 && ++x->ck_missed > p->checkin.makeup) {
            x->ck_streak = 0;
            x->ck_missed = 0;
        }
        gsl_rng *r = com_scratch(m, FAM_CHECKIN, (uint32_t)i, (uint64_t)day);
        double u = gsl_rng_uniform(r);
        double delay = gsl_ran_exponential(r, p->checkin.delay * HOUR);
        double streak = x->ck_streak / 7.0;
        if (streak > 1) streak = 1;
        double pr = logistic(p->checkin.base + p->checkin.w_eng * com_eng(m, i) + p->checkin.w_streak * streak +
                             p->checkin.w_reward * x->sens);
        double t = (double)day * DAY + p->checkin.hour * HOUR + delay;
        if (u < pr && t < (double)(day + 1) * DAY &&
            !sim_schedule_at(m->sim, t, PRIO_MEMBER, on_checkin, m, i, day, 0))
            com_fail(m, "engine: %s", sim_errmsg(m->sim));
    }
}

static void on_checkin(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    int i = (int)ev->a;
    member *x = &m->mem[i];
    (void)s;
    if (x->state == ST_LEFT) return;
    if (x->ck_count == 0) com_emit(m, EV_PARTICIPATE, i, x->group, CAMPAIGN_ID, 0);
    m->st.checkins++;
    x->ck_count++;
    x->ck_streak++;
    x->ck_done_day = (int32_t)ev->b;
    x->ck_points += m->p.checkin.points;
    com_boost(m, i, m->p.checkin.boost);
    com_message(m, EV_CHECKIN, i, -1, CAMPAIGN_ID, x->ck_streak, 0.0);
    if (m->p.checkin.threshold > 0 && !x->ck_rewarded && x->ck_points >= m->p.checkin.threshold) {
        x->ck_rewarded = 1;
        m->st.rewards++;
        com_emit(m, EV_REWARD, i, x->group, CAMPAIGN_ID, x->ck_points);
        com_boost(m, i, m->p.checkin.reward_boost);
    }
}
