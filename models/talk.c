/* talk.c -- conversation: reply bursts as a self-exciting (Hawkes) process in
 * its cluster form, and questions with a time to first answer.
 *
 * Bursts: every message spawns K ~ Poisson(branching x response) replies,
 * each after an Exp(decay) delay, by a responder drawn with weight reply
 * propensity x engagement; each reply is itself a message and spawns its
 * own.  With branching n < 1 the mean message rate is base / (1 - n).
 *
 * Questions: every present member j competes to answer first with hazard
 * answer_rate x weight_j x activity(t) (weight: reply propensity x engagement
 * x role multiplier), so more or better-suited members present and awake
 * answer sooner; a question still open after `patience` hours stays
 * unanswered.  A bot may answer a share of questions automatically. */
#include "com_internal.h"

#include <math.h>

#include <gsl/gsl_randist.h>

const opt_row talk_opts[] = {
    ROW_D("replies.branching", replies.branching, 0.3, 0, 0.99, "", "mean replies one message triggers (Hawkes branching ratio, < 1)"),
    ROW_D("replies.decay", replies.decay, 10, 0.01, 10000, "min", "mean delay of a reply (exponential kernel)"),
    ROW_D("replies.boost", replies.boost, 0.05, 0, 1, "", "engagement boost to the author of a message that gets a reply"),
    ROW_D("replies.responder_boost", replies.join_boost, 0.01, 0, 1, "", "engagement boost to the member who replies"),
    ROW_D("replies.self", replies.self, 0, 0, 1, "", "share of replies the author of the message writes itself (a continuation)"),
    ROW_D("replies.conversation", replies.conversation, 0, 0, 1, "", "share of the other replies written by the conversation's recent speakers (the rest: anyone, by reply propensity)"),
    ROW_D("replies.today", replies.today, 0, 0, 1, "", "share of the remaining replies written by a member who already spoke that day (uniformly; the rest: anyone)"),
    ROW_D("questions.answer_rate", questions.answer_rate, 0.01, 0, 1000, "1/h", "answer hazard of one engaged member (weight 1) for an open question"),
    ROW_D("questions.patience", questions.patience, 24, 0.01, 10000, "h", "a question not answered within this stays unanswered"),
    ROW_D("questions.boost", questions.boost, 0.08, 0, 1, "", "engagement boost to the asker when answered"),
    ROW_END,
};

static void on_reply(sim_t *s, const sim_event *ev);
static void on_answer(sim_t *s, const sim_event *ev);

/* (asker, group) in the event's double payload: exact below 2^53 */
static double pack(int asker, int g) { return (double)g * 4294967296.0 + (double)asker; }
static void unpack(double x, int *asker, int *g)
{
    *g = (int)(x / 4294967296.0);
    *asker = (int)(x - (double)*g * 4294967296.0);
}

void talk_burst(com_t *m, int author, int g, int64_t msg, double response)
{
    double mu = m->p.replies.branching * response;
    if (mu <= 0) return;
    unsigned k = gsl_ran_poisson(m->talk, mu);
    for (unsigned c = 0; c < k; c++) {
        double d = gsl_ran_exponential(m->talk, m->p.replies.decay * 60.0);
        if (!sim_schedule(m->sim, d, PRIO_MEMBER, on_reply, m, author, msg, (double)g))
            com_fail(m, "engine: %s", sim_errmsg(m->sim));
    }
}

/* Who replies.  Real conversations are carried by few people: with
 * probability replies.self the author goes on (a second line, a
 * correction), else with probability replies.conversation one of the
 * group's last TALK_RECENT distinct speakers who spoke within three mean
 * reply delays (uniformly), else with probability replies.today someone who
 * already spoke that day, else anyone present by reply propensity x
 * engagement.  All shares 0: the draw of the first model, untouched. */
static int responder(com_t *m, int g, int author)
{
    const com_params *p = &m->p;
    if (p->replies.self > 0 || p->replies.conversation > 0) {
        double u = gsl_rng_uniform(m->talk);
        const member *a = &m->mem[author];
        if (u < p->replies.self) {
            if (a->state != ST_LEFT && a->state != ST_MUTED && a->post_factor > 0 && !a->muted_by_admin) return author;
        } else if ((u - p->replies.self) < p->replies.conversation * (1 - p->replies.self)) {
            const group *G = &m->grp[g];
            int cand[TALK_RECENT], nc = 0;
            double since = sim_now(m->sim) - 3 * p->replies.decay * 60.0;
            for (int k = 0; k < G->nrecent; k++) {
                int j = G->recent[k];
                if (j != author && G->recent_t[k] >= since && com_weight(m, j, 0) > 0) cand[nc++] = j;
            }
            if (nc) return cand[nc == 1 ? 0 : (int)gsl_rng_uniform_int(m->talk, (unsigned long)nc)];
        }
    }
    if (p->replies.today > 0 && gsl_rng_uniform(m->talk) < p->replies.today) {
        /* someone already in today's talk: a few uniform tries, else anyone */
        const group *G = &m->grp[g];
        for (int t = 0; t < 8 && G->ntoday > 1; t++) {
            int j = G->today[gsl_rng_uniform_int(m->talk, (unsigned long)G->ntoday)];
            if (j != author && com_weight(m, j, 0) > 0) return j;
        }
    }
    return com_pick(m, g, author, 0, m->talk);
}

static void on_reply(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    int author = (int)ev->a, g = (int)ev->x;
    (void)s;
    int j = responder(m, g, author);
    if (j < 0) return;
    m->st.replies++;
    if (m->mem[author].state != ST_LEFT) com_boost(m, author, m->p.replies.boost);
    com_boost(m, j, m->p.replies.join_boost);
    com_message(m, EV_REPLY, j, g, ev->b, 0, 1.0);
}

/* Time to the first answer by thinning of the total hazard: weights frozen at
 * the time of the question, activity varying by hour and weekday. */
void talk_question(com_t *m, int asker, int g, int64_t qid)
{
    const com_params *p = &m->p;
    int bot = roles_bot(m);
    if (bot >= 0 && p->roles.bot_faq > 0 && gsl_rng_uniform(m->talk) < p->roles.bot_faq) {
        if (!sim_schedule(m->sim, p->roles.bot_delay, PRIO_MEMBER, on_answer, m, bot, qid, pack(asker, g)))
            com_fail(m, "engine: %s", sim_errmsg(m->sim));
        return;
    }
    /* The total hazard is answer_rate x W x activity(t), W the sum of the
     * answer weights of the others at the time of the question.  Instead of
     * summing W over the group, candidates come at the bound rate
     * answer_rate x B x amax (B the sampler's sum of bounds, >= W) and each is
     * kept with probability activity(t)/amax x weight_J/bound_J, J drawn by
     * the sampler (com_propose): kept candidates form exactly the process
     * of rate answer_rate x W x activity(t).  A rejection tightens a bound
     * and the next candidate uses the new B (a valid, adapted bound); after
     * COM_SAM_TRIES rejections W is summed exactly and thinning goes on by
     * activity alone (the Poisson process is memoryless). */
    double amax = m->act_max;
    double t = sim_now(m->sim), end = t + p->questions.patience * HOUR;
    double W = 0;
    int exact = 0, tries = 0;
    for (;;) {
        double tot = exact ? W : com_bound_total(m, g, 1);
        if (!exact && (tries >= COM_SAM_TRIES || !(tot > 0))) {
            tot = W = com_weight_total(m, g, asker, 1);
            exact = 1;
        }
        double rate = p->questions.answer_rate * tot / HOUR; /* per second at activity 1 */
        if (rate <= 0) return;
        t += gsl_ran_exponential(m->talk, 1.0 / (rate * amax));
        if (t >= end) return; /* unanswered */
        if (gsl_rng_uniform(m->talk) * amax >= com_activity(m, t)) continue;
        if (exact || com_propose(m, g, asker, 1, m->talk) >= 0) break;
        tries++;
    }
    if (!sim_schedule_at(m->sim, t, PRIO_MEMBER, on_answer, m, -1, qid, pack(asker, g)))
        com_fail(m, "engine: %s", sim_errmsg(m->sim));
}

static void on_answer(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    int asker, g;
    unpack(ev->x, &asker, &g);
    int j = (int)ev->a;
    (void)s;
    if (j < 0) j = com_pick(m, g, asker, 1, m->talk);
    if (j < 0 || m->mem[j].state == ST_LEFT) return;
    m->st.answers++;
    if (m->mem[asker].state != ST_LEFT) com_boost(m, asker, m->p.questions.boost);
    com_message(m, EV_ANSWER, j, g, ev->b, 0, 1.0);
}
