/* checkin.c -- the daily check-in challenge: an exposure at the start, a
 * reminder each day of the campaign, a participation decision per member
 * (logistic in engagement, streak and reward sensitivity), check-in posts,
 * points, streaks with a make-up allowance, and a reward at a threshold.
 * Registered as a campaign (campaigns.def): its window, exposure and first
 * participation are the common ones (campaign.c); its decision is its own
 * (streak term, FAM_CHECKIN stream drawn as before: a common camp_decide
 * would change every check-in draw), and so is its boost (given also when
 * checkin.boost is 0, as before; camp_took_part skips a zero boost, which
 * is not the same: com_boost re-bases the engagement). */
#include "com_internal.h"

#include <math.h>

#include <gsl/gsl_randist.h>

/* a member's check-in record (camp_members of CAMP_CHECKIN) */
typedef struct ck_member {
    int64_t points;       /* points x days can pass 2^31 */
    int32_t streak, missed;
    int32_t done_day1;    /* last day it checked in, + 1 (0: never) */
    int32_t rewarded, count;
} ck_member;

#define K(f) checkin.f
const opt_row checkin_opts[] = {
    ROW_B("checkin.enabled", K(c.enabled), 0, "run a daily check-in challenge"),
    ROW_I("checkin.start_day", K(c.start), 0, 0, 3650, "day", "first day of the challenge (0 = start date)"),
    ROW_I("checkin.days", K(c.days), 21, 1, 3650, "days", "length of the challenge"),
    ROW_D("checkin.hour", K(hour), 20, 0, 23.999, "h", "local hour of the daily reminder"),
    ROW_D("checkin.delay", K(delay), 1.5, 0.01, 24, "h", "mean delay from reminder to check-in"),
    ROW_I("checkin.points", K(points), 10, 0, 1000000, "points", "points per check-in"),
    ROW_I("checkin.threshold", K(threshold), 150, 0, 100000000, "points", "points for the reward (0 = no reward)"),
    ROW_I("checkin.makeup", K(makeup), 1, 0, 100, "days", "missed days allowed over the whole challenge without breaking the streak"),
    ROW_D("checkin.base", K(c.base), -2.0, -50, 50, "logit", "participation intercept"),
    ROW_D("checkin.w_engagement", K(c.w_eng), 4.0, -50, 50, "logit", "participation weight of engagement"),
    ROW_D("checkin.w_streak", K(w_streak), 1.5, -50, 50, "logit", "weight of the streak (per 7 days, capped at 1)"),
    ROW_D("checkin.w_reward", K(c.w_reward), 1.0, -50, 50, "logit", "weight of reward sensitivity"),
    ROW_D("checkin.boost", K(c.boost), 0.03, 0, 1, "", "engagement boost of a check-in"),
    ROW_D("checkin.reward_boost", K(reward_boost), 0.2, 0, 1, "", "engagement boost of reaching the reward"),
    ROW_END,
};

static void on_checkin(sim_t *s, const sim_event *ev);

static double logistic(double x) { return 1.0 / (1.0 + exp(-x)); }

void checkin_day(com_t *m, int64_t day)
{
    const com_params *p = &m->p;
    const camp_common *c = &p->checkin.c;
    ck_member *ck = camp_members(m, CAMP_CHECKIN, sizeof *ck);
    if (!ck) return;
    if (day == (int64_t)c->start + c->days) { /* the day after: completions */
        for (int i = 0; i < m->n; i++)
            if (m->mem[i].state != ST_LEFT && ck[i].count > 0 && ck[i].count >= c->days - p->checkin.makeup)
                com_emit(m, EV_COMPLETE, i, m->mem[i].group, CAMP_CHECKIN, ck[i].count);
    }
    if (!camp_active(c, day)) return;
    if (day == c->start) camp_expose(m, CAMP_CHECKIN);
    for (int i = 0; i < m->n; i++) {
        ck_member *x = &ck[i];
        if (!camp_eligible(m, i)) continue;
        if (day > c->start && x->done_day1 != day && x->streak > 0 && ++x->missed > p->checkin.makeup) {
            x->streak = 0;
            x->missed = 0;
        }
        gsl_rng *r = com_scratch(m, FAM_CHECKIN, (uint32_t)i, (uint64_t)day);
        double u = gsl_rng_uniform(r);
        double delay = gsl_ran_exponential(r, p->checkin.delay * HOUR);
        double streak = x->streak / 7.0;
        if (streak > 1) streak = 1;
        double pr = logistic(c->base + c->w_eng * com_eng(m, i) + p->checkin.w_streak * streak +
                             c->w_reward * m->mem[i].sens);
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
    (void)s;
    if (m->mem[i].state == ST_LEFT) return;
    ck_member *ck = camp_members(m, CAMP_CHECKIN, sizeof *ck);
    if (!ck || camp_first_part(m, CAMP_CHECKIN, i) != 0) return;
    ck_member *x = &ck[i];
    m->st.checkins++;
    x->count++;
    x->streak++;
    x->done_day1 = (int32_t)ev->b + 1;
    x->points += m->p.checkin.points;
    com_boost(m, i, m->p.checkin.c.boost);
    com_message(m, EV_CHECKIN, i, -1, CAMP_CHECKIN, x->streak, 0.0);
    if (m->p.checkin.threshold > 0 && !x->rewarded && x->points >= m->p.checkin.threshold) {
        x->rewarded = 1;
        m->st.rewards++;
        com_emit(m, EV_REWARD, i, m->mem[i].group, CAMP_CHECKIN, x->points);
        com_boost(m, i, m->p.checkin.reward_boost);
    }
}
