/* roles.c -- what the staff do: admins welcome newcomers (and moderate, in
 * rules.c), KOLs start topics and answer questions, helpers (study
 * committee, top students) answer more, bots post statistics and answer FAQs.
 * The education case's three tiers: group.kols tutors, group.admins study
 * committee, group.helpers top students, each with an answer multiplier. */
#include "com_internal.h"

#include <math.h>

#include <gsl/gsl_randist.h>

const opt_row roles_opts[] = {
    ROW_D("roles.welcome_prob", roles.welcome_prob, 0.8, 0, 1, "", "probability an admin welcomes a newcomer"),
    ROW_D("roles.welcome_delay", roles.welcome_delay, 30, 0.01, 10000, "min", "mean delay of the welcome"),
    ROW_D("roles.welcome_boost", roles.welcome_boost, 0.15, 0, 1, "", "engagement boost of being welcomed"),
    ROW_D("roles.admin_answer", roles.admin_answer, 3, 0, 1000, "x", "answer-rate multiplier of admins"),
    ROW_D("roles.kol_answer", roles.kol_answer, 5, 0, 1000, "x", "answer-rate multiplier of KOLs / tutors"),
    ROW_D("roles.helper_answer", roles.helper_answer, 3, 0, 1000, "x", "answer-rate multiplier of helpers (top students)"),
    ROW_D("roles.kol_topics", roles.kol_topics, 0.5, 0, 100, "1/day", "topics a KOL starts per day"),
    ROW_D("roles.kol_topic_response", roles.kol_topic_response, 2.0, 0, 100, "x", "reply-burst multiplier of a KOL topic"),
    ROW_D("roles.bot_faq", roles.bot_faq, 0, 0, 1, "", "share of questions a bot answers automatically"),
    ROW_D("roles.bot_delay", roles.bot_delay, 5, 0, 86400, "s", "delay of the bot's answer"),
    ROW_D("roles.bot_stats_hour", roles.bot_stats_hour, 22, -1, 23.999, "h", "local hour of the bot's daily statistics post (-1 off)"),
    ROW_END,
};

static int is_helper(const com_t *m, int i)
{
    const com_params *p = &m->p;
    int lo = p->group.admins + p->group.kols + p->group.bots;
    return m->mem[i].role == ROLE_MEMBER && i > lo && i <= lo + p->group.helpers;
}

double roles_answer_mult(const com_t *m, int i)
{
    switch (m->mem[i].role) {
    case ROLE_ADMIN: return m->p.roles.admin_answer;
    case ROLE_KOL: return m->p.roles.kol_answer;
    case ROLE_OWNER: return 1.0;
    case ROLE_BOT: return 0.0;
    default: return is_helper(m, i) ? m->p.roles.helper_answer : 1.0;
    }
}

int roles_bot(const com_t *m)
{
    if (m->p.group.bots <= 0) return -1;
    return 1 + m->p.group.admins + m->p.group.kols;
}

static void on_welcome(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    int i = (int)ev->a, admin = (int)ev->b;
    (void)s;
    if (m->mem[i].state == ST_LEFT || m->mem[admin].state == ST_LEFT) return;
    com_message(m, EV_REPLY, admin, m->mem[i].group, -1, (double)(i + 1), 1.0);
    com_boost(m, i, m->p.roles.welcome_boost);
}

void roles_start(com_t *m) { (void)m; }

void roles_on_join(com_t *m, int i)
{
    const com_params *p = &m->p;
    if (p->group.admins <= 0 || p->roles.welcome_prob <= 0) return;
    gsl_rng *r = com_scratch(m, FAM_ROLES, (uint32_t)i, 0);
    if (gsl_rng_uniform(r) >= p->roles.welcome_prob) return;
    int admin = 1 + (int)gsl_rng_uniform_int(r, (unsigned long)p->group.admins);
    double d = gsl_ran_exponential(r, p->roles.welcome_delay * 60.0);
    if (!sim_schedule(m->sim, d, PRIO_MEMBER, on_welcome, m, i, admin, 0)) com_fail(m, "engine: %s", sim_errmsg(m->sim));
}

static void on_topic(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    int k = (int)ev->a;
    (void)s;
    if (m->mem[k].state == ST_LEFT) return;
    com_message(m, EV_POST, k, (int)ev->b, -1, CT_PROMPT, m->p.roles.kol_topic_response);
    m->st.posts++;
}

static void on_stats(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    int bot = (int)ev->a, g = (int)ev->b;
    (void)s;
    com_message(m, EV_POST, bot, g, -1, (double)m->grp[g].msgs_prev, 0.0);
    m->st.posts++;
}

void roles_day(com_t *m, int64_t day)
{
    const com_params *p = &m->p;
    double t0 = (double)day * DAY;
    /* KOLs start topics in their group at times following the activity profile */
    for (int k = 1 + p->group.admins; k <= p->group.admins + p->group.kols; k++) {
        if (m->mem[k].state == ST_LEFT || p->roles.kol_topics <= 0) continue;
        gsl_rng *r = com_scratch(m, FAM_ROLES, (uint32_t)k, (uint64_t)day + 1);
        unsigned n = gsl_ran_poisson(r, p->roles.kol_topics);
        double amax = m->act_max;
        for (unsigned c = 0; c < n; c++) {
            double t;
            int tries = 0;
            do t = t0 + gsl_rng_uniform(r) * DAY;
            while (gsl_rng_uniform(r) * amax > com_activity(m, t) && ++tries < 100);
            if (!sim_schedule_at(m->sim, t, PRIO_MEMBER, on_topic, m, k, m->mem[k].group, 0)) com_fail(m, "engine: %s", sim_errmsg(m->sim));
        }
    }
    int bot = roles_bot(m);
    if (bot >= 0 && p->roles.bot_stats_hour >= 0)
        for (int g = 0; g < m->ngrp; g++)
            if (!sim_schedule_at(m->sim, t0 + p->roles.bot_stats_hour * HOUR, PRIO_OPERATOR, on_stats, m, bot, g, 0))
                com_fail(m, "engine: %s", sim_errmsg(m->sim));
}
