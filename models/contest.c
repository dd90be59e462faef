/* contest.c -- a contest with submissions, public voting, ranking and prizes
 * (the parenting group's outfit contest, seed section 二).  Submissions in
 * the first days, then every member votes daily; votes are interactions;
 * contestants canvass for votes, which brings invitations; at the end the
 * top contestants win prizes. */
#include "com_internal.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>

#define C(f) contest.f
const opt_row contest_opts[] = {
    CAMP_ROWS("contest", contest.c, 0, 14, -2.5, 1, 0.1),
    ROW_I("contest.submit_days", C(submit_days), 5, 1, 3650, "days", "submissions accepted in the first days, then voting"),
    ROW_D("contest.votes", C(votes), 3, 0, 1000, "1/day", "votes per day of a fully engaged voter"),
    ROW_D("contest.canvass", C(canvass), 0.3, 0, 100, "1/day", "invitations per day a contestant sends to canvass votes"),
    ROW_I("contest.prizes", C(prizes), 3, 0, 500, "", "prizes for the top contestants"),
    ROW_D("contest.prize_boost", C(prize_boost), 0.3, 0, 1, "", "engagement boost of a prize"),
    ROW_END,
};

static void on_submit(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    int i = (int)ev->a;
    (void)s;
    if (m->mem[i].state == ST_LEFT) return;
    double *score = camp_score(m, CAMP_CONTEST);
    if (!score) return;
    score[i] = score[i] > 0 ? score[i] : 1e-9; /* a contestant: score > 0 */
    com_message(m, EV_SUBMISSION, i, -1, CAMP_CONTEST, 0, 1.5);
    camp_took_part(m, &m->p.contest.c, CAMP_CONTEST, i, (uint64_t)ev->b);
}

static void on_vote(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    int voter = (int)ev->a, target = (int)ev->b;
    (void)s;
    if (m->mem[voter].state == ST_LEFT || m->mem[target].state == ST_LEFT) return;
    double *score = camp_score(m, CAMP_CONTEST);
    if (!score) return;
    score[target] += 1;
    com_emit(m, EV_VOTE, voter, m->mem[voter].group, target + 1, CAMP_CONTEST);
}

static int cmp_desc(const void *a, const void *b)
{
    double x = ((const double *)a)[0], y = ((const double *)b)[0];
    return x < y ? 1 : x > y ? -1 : (((const double *)a)[1] > ((const double *)b)[1]) - (((const double *)a)[1] < ((const double *)b)[1]);
}

void contest_day(com_t *m, int64_t day)
{
    const com_params *p = &m->p;
    const camp_common *c = &p->contest.c;
    int64_t first = c->start, end = first + c->days;
    double *score = camp_score(m, CAMP_CONTEST);
    if (!score) return;
    if (day == end) { /* ranking and prizes; ties broken by member index */
        int n = 0;
        double *rank = malloc(sizeof(double) * 2 * (size_t)m->n);
        if (!rank) { com_fail(m, "out of memory"); return; }
        for (int i = 0; i < m->n; i++)
            if (score[i] > 0 && m->mem[i].state != ST_LEFT) { rank[2 * n] = score[i]; rank[2 * n + 1] = i; n++; }
        qsort(rank, (size_t)n, 2 * sizeof(double), cmp_desc);
        for (int k = 0; k < n; k++) {
            int i = (int)rank[2 * k + 1];
            com_emit(m, EV_COMPLETE, i, m->mem[i].group, CAMP_CONTEST, rank[2 * k]);
            if (k < p->contest.prizes) {
                com_emit(m, EV_REWARD, i, m->mem[i].group, CAMP_CONTEST, k + 1);
                com_boost(m, i, p->contest.prize_boost);
            }
        }
        free(rank);
        return;
    }
    if (!camp_active(c, day)) return;
    if (day == first) camp_expose(m, CAMP_CONTEST);
    int submitting = day < first + p->contest.submit_days;
    /* contestants so far and their cumulative vote weights (for voting);
     * votes cast today land later, so the day's weights are fixed here */
    int ncont = 0;
    int *who = NULL;
    double *cum = NULL;
    if (!submitting) {
        who = malloc(sizeof *who * (size_t)(m->n ? m->n : 1));
        cum = malloc(sizeof *cum * (size_t)(m->n ? m->n : 1));
        if (!who || !cum) { free(who); free(cum); com_fail(m, "out of memory"); return; }
        double acc = 0;
        for (int i = 0; i < m->n; i++)
            if (score[i] > 0 && m->mem[i].state != ST_LEFT) {
                acc += score[i] + 1;
                who[ncont] = i;
                cum[ncont++] = acc;
            }
    }
    for (int i = 0; i < m->n; i++) {
        member *x = &m->mem[i];
        if (x->state == ST_LEFT || x->role == ROLE_BOT || x->kind != MK_NORMAL) continue;
        gsl_rng *r = com_scratch(m, FAM_CAMPAIGN(CAMP_CONTEST), (uint32_t)i, (uint64_t)day << 1);
        if (submitting) {
            if (score[i] == 0 && camp_eligible(m, i) && camp_decide(m, c, CAMP_CONTEST, i, (uint64_t)day))
                if (!sim_schedule_at(m->sim, camp_time(m, day, r), PRIO_MEMBER, on_submit, m, i, day, 0))
                    com_fail(m, "engine: %s", sim_errmsg(m->sim));
            continue;
        }
        if (ncont == 0 || x->state == ST_MUTED) continue;
        unsigned v = gsl_ran_poisson(r, p->contest.votes * com_eng(m, i));
        for (unsigned k = 0; k < v; k++) {
            /* votes go to contestants in proportion to their votes so far + 1
             * (rich get richer), as they stood at the start of the day */
            double u = gsl_rng_uniform(r) * (ncont ? cum[ncont - 1] : 0);
            int lo = 0, hi = ncont; /* first k with cum[k] > u */
            while (lo < hi) {
                int mid = (lo + hi) / 2;
                if (cum[mid] > u) hi = mid;
                else lo = mid + 1;
            }
            if (lo >= ncont) continue;
            int target = who[lo];
            if (!sim_schedule_at(m->sim, camp_time(m, day, r), PRIO_MEMBER, on_vote, m, i, target, 0))
                com_fail(m, "engine: %s", sim_errmsg(m->sim));
        }
        if (score[i] > 0 && p->contest.canvass > 0) {
            unsigned k = gsl_ran_poisson(r, p->contest.canvass);
            for (unsigned j = 0; j < k; j++) invite_send(m, i, ((uint64_t)day << 20) ^ ((uint64_t)CAMP_CONTEST << 56) ^ j);
        }
    }
    free(who);
    free(cum);
}
