/* quiz.c -- a knowledge quiz (seed section 五: education groups, participation
 * > 60%, share rate > 20%): on each quiz day the operator posts rounds; a
 * member who takes part answers every round (submissions), scores by
 * correctness, and may share the result. */
#include "com_internal.h"

#include <math.h>

#include <gsl/gsl_randist.h>

#define Q(f) quiz.f
const opt_row quiz_opts[] = {
    CAMP_ROWS("quiz", quiz.c, 0, 1, -0.5, 1, 0.3),
    ROW_I("quiz.rounds", Q(rounds), 10, 1, 1000, "", "rounds (questions) per quiz day"),
    ROW_D("quiz.hour", Q(hour), 20, 0, 23.999, "h", "local hour of the first round; rounds are 3 minutes apart"),
    ROW_D("quiz.correct", Q(correct), 0.6, 0, 1, "", "probability an answer is correct"),
    ROW_END,
};

static void on_round(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    (void)s;
    com_message(m, EV_POST, 0, (int)ev->a, CAMP_QUIZ, CT_GAME, 0.5);
    m->st.posts++;
}

static void on_quiz_answer(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    int i = (int)ev->a;
    (void)s;
    if (m->mem[i].state == ST_LEFT) return;
    double *score = camp_score(m, CAMP_QUIZ);
    if (!score) return;
    score[i] += ev->x;
    com_message(m, EV_SUBMISSION, i, -1, CAMP_QUIZ, ev->x, 0.0);
}

static void on_quiz_done(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    int i = (int)ev->a;
    (void)s;
    if (m->mem[i].state == ST_LEFT) return;
    com_emit(m, EV_COMPLETE, i, m->mem[i].group, CAMP_QUIZ, camp_score(m, CAMP_QUIZ)[i]);
    camp_took_part(m, &m->p.quiz.c, CAMP_QUIZ, i, (uint64_t)ev->b);
}

void quiz_day(com_t *m, int64_t day)
{
    const com_params *p = &m->p;
    const camp_common *c = &p->quiz.c;
    if (!camp_active(c, day)) return;
    if (day == c->start) camp_expose(m, CAMP_QUIZ);
    double t0 = (double)day * DAY + p->quiz.hour * HOUR;
    for (int g = 0; g < m->ngrp; g++)
        for (int k = 0; k < p->quiz.rounds; k++)
            if (!sim_schedule_at(m->sim, t0 + k * 180.0, PRIO_OPERATOR, on_round, m, g, k, 0)) com_fail(m, "engine: %s", sim_errmsg(m->sim));
    for (int i = 0; i < m->n; i++) {
        if (!camp_eligible(m, i) || m->mem[i].state == ST_MUTED) continue;
        if (!camp_decide(m, c, CAMP_QUIZ, i, (uint64_t)day)) continue;
        gsl_rng *r = com_scratch(m, FAM_CAMPAIGN(CAMP_QUIZ), (uint32_t)i, ((uint64_t)day << 1) | 1);
        for (int k = 0; k < p->quiz.rounds; k++) {
            double ok = gsl_rng_uniform(r) < p->quiz.correct;
            if (!sim_schedule_at(m->sim, t0 + k * 180.0 + 5 + gsl_rng_uniform(r) * 120, PRIO_MEMBER, on_quiz_answer, m, i, k, ok))
                com_fail(m, "engine: %s", sim_errmsg(m->sim));
        }
        if (!sim_schedule_at(m->sim, t0 + p->quiz.rounds * 180.0 + 60, PRIO_MEMBER, on_quiz_done, m, i, day, 0))
            com_fail(m, "engine: %s", sim_errmsg(m->sim));
    }
}
