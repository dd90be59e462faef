/* story.c -- a story collection (seed section 五: culture groups, UGC +200%):
 * a daily prompt, members who take part post stories (user-generated
 * content: submissions), and the operator features a few stories a day. */
#include "com_internal.h"

#include <math.h>

#include <gsl/gsl_randist.h>

#define S_(f) story.f
const opt_row story_opts[] = {
    CAMP_ROWS("story", story.c, 0, 14, -2.5, 1, 0.1),
    ROW_D("story.stories", S_(stories), 1.0, 0, 100, "1/day", "stories per day of a participant"),
    ROW_I("story.featured", S_(featured), 2, 0, 100, "1/day", "stories featured per day"),
    ROW_D("story.featured_boost", S_(featured_boost), 0.2, 0, 1, "", "engagement boost of being featured"),
    ROW_END,
};

static void on_prompt(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    (void)s;
    com_message(m, EV_POST, 0, (int)ev->a, CAMP_STORY, CT_PROMPT, 1.0);
    m->st.posts++;
}

static void on_story(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    int i = (int)ev->a;
    (void)s;
    if (m->mem[i].state == ST_LEFT) return;
    double *score = camp_score(m, CAMP_STORY);
    if (!score) return;
    score[i] += 1;
    com_message(m, EV_SUBMISSION, i, -1, CAMP_STORY, 0, 1.5);
}

void story_day(com_t *m, int64_t day)
{
    const com_params *p = &m->p;
    const camp_common *c = &p->story.c;
    if (!camp_active(c, day)) return;
    if (day == c->start) camp_expose(m, CAMP_STORY);
    double *score = camp_score(m, CAMP_STORY);
    if (!score) return;
    /* feature yesterday's stories: the first authors by index with a story */
    int featured = 0;
    for (int i = 0; i < m->n && featured < p->story.featured && day > c->start; i++)
        if (score[i] > 0 && m->mem[i].state != ST_LEFT) {
            com_emit(m, EV_REWARD, i, m->mem[i].group, CAMP_STORY, 1);
            com_boost(m, i, p->story.featured_boost);
            featured++;
        }
    for (int i = 0; i < m->n; i++) score[i] = 0;
    for (int g = 0; g < m->ngrp; g++)
        if (!sim_schedule_at(m->sim, (double)day * DAY + 9 * HOUR, PRIO_OPERATOR, on_prompt, m, g, 0, 0)) com_fail(m, "engine: %s", sim_errmsg(m->sim));
    for (int i = 0; i < m->n; i++) {
        if (!camp_eligible(m, i) || !camp_decide(m, c, CAMP_STORY, i, (uint64_t)day)) continue;
        gsl_rng *r = com_scratch(m, FAM_CAMPAIGN(CAMP_STORY), (uint32_t)i, ((uint64_t)day << 1) | 1);
        unsigned n = gsl_ran_poisson(r, p->story.stories);
        if (n > 0) camp_took_part(m, c, CAMP_STORY, i, (uint64_t)day);
        for (unsigned j = 0; j < n; j++) {
            double t = camp_time(m, day, r);
            if (!sim_schedule_at(m->sim, t, PRIO_MEMBER, on_story, m, i, 0, 0)) com_fail(m, "engine: %s", sim_errmsg(m->sim));
        }
    }
}
