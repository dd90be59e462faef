/* operator.c -- content types and the operator's schedule as data: daily
 * slots (e.g. 08:00 morning brief, 20:00 evening offer), campaign-period
 * cadence (countdown reminders every N hours), and quiet-period cadence
 * (posts on given weekdays while yesterday's speakers were few), as in the
 * seed's table for shopping, learning and interest groups.
 * A post reaches a share of the present, non-muted members; readers get an
 * engagement boost and act (vote, grab a red packet, click) with a
 * probability; @all counts as several messages of overload. */
#include "com_internal.h"

#include <math.h>
#include <stdio.h>

#include <gsl/gsl_randist.h>

const char *const com_content_names[] = {"text", "poll", "prompt", "media", "link", "game", "announce", NULL};

#define CT_ROWS(name, k, v_reach, v_resp, v_act, v_boost, v_load)                                                 \
    ROW_D("content." name ".reach", content[k].reach, v_reach, 0, 1, "", "share of readers a " name " post reaches"), \
    ROW_D("content." name ".response", content[k].response, v_resp, 0, 100, "x", "reply-burst multiplier"),          \
    ROW_D("content." name ".act", content[k].act, v_act, 0, 1, "", "probability a reader acts (x engagement)"),      \
    ROW_D("content." name ".boost", content[k].boost, v_boost, 0, 1, "", "engagement boost to each reader"),         \
    ROW_D("content." name ".load", content[k].load, v_load, 0, 1000, "msgs", "overload it adds for each reader")

const opt_row content_opts[] = {
    CT_ROWS("text", CT_TEXT, 0.6, 1.0, 0.0, 0.01, 1),
    CT_ROWS("poll", CT_POLL, 0.6, 0.5, 0.3, 0.02, 1),
    CT_ROWS("prompt", CT_PROMPT, 0.6, 2.0, 0.0, 0.02, 1),
    CT_ROWS("media", CT_MEDIA, 0.7, 1.2, 0.0, 0.02, 1),
    CT_ROWS("link", CT_LINK, 0.5, 0.3, 0.1, 0.0, 1),
    CT_ROWS("game", CT_GAME, 0.8, 1.5, 0.5, 0.05, 1),
    CT_ROWS("announce", CT_ANNOUNCE, 1.0, 0.3, 0.0, 0.0, 5),
    ROW_END,
};

#define OP(f) CP(operator_.f)
const opt_row op_opts[] = {
    ROW_V("operator.hours", operator_.hours, "8,20", -1, 0, 23.999, "h", "local hours of the daily posts"),
    {"operator.types", OPT_EVEC, OP(types), 0, 0, 0, "text,text", com_content_names, -1, "", "content type of each daily post"},
    ROW_V("operator.campaign_days", operator_.campaign_days, "", -1, 0, 3650, "day", "[first, last] day of a campaign period (empty: none)"),
    ROW_D("operator.campaign_every", operator_.campaign_every, 0, 0, 240, "h", "hours between countdown reminders in the campaign period (0 off)"),
    ROW_V("operator.campaign_window", operator_.campaign_window, "9,22", 2, 0, 24, "h", "[from, to) local hours of the reminders"),
    ROW_E("operator.campaign_type", operator_.campaign_type, CT_ANNOUNCE, com_content_names, "content type of the reminders"),
    ROW_D("operator.quiet_below", operator_.quiet_below, 0, 0, 1, "", "quiet period: yesterday's speakers below this share of members (0 off)"),
    ROW_V("operator.quiet_weekdays", operator_.quiet_weekdays, "0,2,4", -1, 0, 6, "", "weekdays (0 = Monday) of quiet-period posts"),
    ROW_D("operator.quiet_hour", operator_.quiet_hour, 20, 0, 23.999, "h", "local hour of quiet-period posts"),
    ROW_E("operator.quiet_type", operator_.quiet_type, CT_PROMPT, com_content_names, "content type of quiet-period posts (UGC prompts)"),
    ROW_END,
};

static void on_op_post(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    (void)s;
    op_post(m, (int)ev->a, (int)ev->b, 0);
}

void op_post(com_t *m, int g, int type, int author)
{
    const content_p *c = &m->p.content[type];
    ev_kind k = type == CT_ANNOUNCE ? EV_ANNOUNCE : EV_POST;
    int64_t id = com_message(m, k, author, g, -1, type, c->response);
    m->st.posts++;
    group *G = &m->grp[g];
    G->load_today += (int)lround(c->load) - 1;
    gsl_rng *r = com_scratch(m, FAM_OPERATOR, (uint32_t)g, (uint64_t)m->day * 256 + (uint64_t)(m->op_count++ & 255));
    ev_kind act = type == CT_POLL ? EV_VOTE : type == CT_LINK ? EV_EXPOSURE : EV_REACTION;
    if (c->boost > 0) com_group_dirty(m, g); /* most readers' bounds change: one O(n) rebuild */
    for (int q = 0; q < G->n; q++) {
        int j = G->idx[q];
        member *y = &m->mem[j];
        double u1 = gsl_rng_uniform(r), u2 = gsl_rng_uniform(r);
        if (j == author || y->state == ST_MUTED || y->role == ROLE_BOT || u1 >= c->reach) continue;
        if (c->boost > 0) com_boost(m, j, c->boost);
        if (c->act > 0 && u2 < c->act * com_eng(m, j)) com_emit(m, act, j, g, id, type);
    }
}

static int in_vec(const opt_vec *v, double x)
{
    for (int i = 0; i < v->n; i++) if (v->v[i] == x) return 1;
    return 0;
}

static void at(com_t *m, double t, int g, int type)
{
    if (!sim_schedule_at(m->sim, t, PRIO_OPERATOR, on_op_post, m, g, type, 0)) com_fail(m, "engine: %s", sim_errmsg(m->sim));
}

void op_day(com_t *m, int64_t day)
{
    const com_params *p = &m->p;
    double t0 = (double)day * DAY;
    int wd = cal_weekday(m->cal, t0);
    int campaign = p->operator_.campaign_days.n == 2 && day >= p->operator_.campaign_days.v[0] && day <= p->operator_.campaign_days.v[1];
    for (int g = 0; g < m->ngrp; g++) {
        for (int k = 0; k < p->operator_.hours.n; k++) at(m, t0 + p->operator_.hours.v[k] * HOUR, g, (int)p->operator_.types.v[k]);
        if (campaign && p->operator_.campaign_every > 0)
            for (double h = p->operator_.campaign_window.v[0]; h < p->operator_.campaign_window.v[1]; h += p->operator_.campaign_every)
                at(m, t0 + h * HOUR, g, p->operator_.campaign_type);
        group *G = &m->grp[g];
        if (!campaign && p->operator_.quiet_below > 0 && day > 0 && G->speakers_prev < p->operator_.quiet_below * G->n &&
            in_vec(&p->operator_.quiet_weekdays, wd))
            at(m, t0 + p->operator_.quiet_hour * HOUR, g, p->operator_.quiet_type);
    }
}
