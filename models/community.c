/* community.c -- members, posting cadence, replies, engagement, churn, joins
 * and the operator's daily posts.  Campaigns live in their own files. */
#include "com_internal.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "rng.h"

#define DAY 86400.0
#define P(f) offsetof(com_params, f)

static const char *const no_choices[] = {NULL};

/* The settings of the community model, one row each.  Rows of one group are
 * contiguous (opt_format relies on it). */
const opt_row com_opts[] = {
    {"group.size", OPT_INT, P(size), 500, 2, 500, NULL, NULL, 0, "members", "initial members, owner included"},
    {"group.cap", OPT_INT, P(cap), 500, 2, 500, NULL, NULL, 0, "members", "platform cap on group size (WeChat: 500)"},
    {"group.admins", OPT_INT, P(admins), 1, 0, 3, NULL, NULL, 0, "members", "admins among the initial members (WeChat allows 3)"},
    {"group.bots", OPT_INT, P(bots), 0, 0, 10, NULL, NULL, 0, "members", "bot accounts (never counted as speakers)"},
    {"members.rate_mean", OPT_DOUBLE, P(rate_mean), 1.0, 0, 1000, NULL, NULL, 0, "1/day", "mean messages per day of a fully engaged member"},
    {"members.rate_shape", OPT_DOUBLE, P(rate_shape), 0.6, 0.01, 100, NULL, NULL, 0, "", "gamma shape of posting rates (small = unequal)"},
    {"members.engagement_a", OPT_DOUBLE, P(eng_a), 2, 0.01, 100, NULL, NULL, 0, "", "Beta a of initial engagement"},
    {"members.engagement_b", OPT_DOUBLE, P(eng_b), 2, 0.01, 100, NULL, NULL, 0, "", "Beta b of initial engagement"},
    {"members.engagement_tau", OPT_DOUBLE, P(eng_tau), 20, 0.1, 10000, NULL, NULL, 0, "days", "time constant of engagement decay without stimulus"},
    {"members.silent_below", OPT_DOUBLE, P(silent_below), 0.05, 0, 1, NULL, NULL, 0, "", "engagement below which a member becomes a lurker"},
    {"members.leave_rate", OPT_DOUBLE, P(leave_rate), 0.01, 0, 10, NULL, NULL, 0, "1/day", "leaving hazard at zero engagement (scaled by (1-e)^2)"},
    {"members.sensitivity_a", OPT_DOUBLE, P(sens_a), 2, 0.01, 100, NULL, NULL, 0, "", "Beta a of reward sensitivity"},
    {"members.sensitivity_b", OPT_DOUBLE, P(sens_b), 2, 0.01, 100, NULL, NULL, 0, "", "Beta b of reward sensitivity"},
    {"cadence.daily", OPT_VEC, P(daily), 0, 0, 1000,
     "0.2,0.1,0.05,0.05,0.05,0.1,0.3,0.8,1.2,1.2,1.1,1.1,1.3,1.2,1.0,1.0,1.0,1.1,1.2,1.4,1.8,2.0,1.6,0.8",
     no_choices, 24, "", "relative activity by local hour 0..23"},
    {"cadence.weekly", OPT_VEC, P(weekly), 0, 0, 1000, "1,1,1,1,1,1.1,1.1", no_choices, 7, "", "relative activity Monday..Sunday"},
    {"replies.prob", OPT_DOUBLE, P(reply_prob), 0.3, 0, 1, NULL, NULL, 0, "", "probability that a message gets a reply"},
    {"replies.delay", OPT_DOUBLE, P(reply_delay), 10, 0.01, 10000, NULL, NULL, 0, "min", "mean delay of a reply"},
    {"replies.boost", OPT_DOUBLE, P(reply_boost), 0.05, 0, 1, NULL, NULL, 0, "", "engagement boost of being answered"},
    {"operator.slots", OPT_VEC, P(op_slots), 0, 0, 23.999, "8,20", no_choices, 0, "h", "local hours of the operator's daily posts"},
    {"operator.boost", OPT_DOUBLE, P(op_boost), 0.0, 0, 1, NULL, NULL, 0, "", "engagement boost of an operator post to every reader"},
    {"joins.rate", OPT_DOUBLE, P(join_rate), 1.0, 0, 500, NULL, NULL, 0, "1/day", "organic joins per day (Poisson)"},
    {"checkin.enabled", OPT_BOOL, P(ck_enabled), 0, 0, 1, NULL, NULL, 0, "", "run a daily check-in challenge"},
    {"checkin.start_day", OPT_INT, P(ck_start), 0, 0, 3650, NULL, NULL, 0, "day", "first day of the challenge (0 = start date)"},
    {"checkin.days", OPT_INT, P(ck_days), 21, 1, 3650, NULL, NULL, 0, "days", "length of the challenge"},
    {"checkin.hour", OPT_DOUBLE, P(ck_hour), 20, 0, 23.999, NULL, NULL, 0, "h", "local hour of the daily reminder"},
    {"checkin.delay", OPT_DOUBLE, P(ck_window), 1.5, 0.01, 24, NULL, NULL, 0, "h", "mean delay from reminder to check-in"},
    {"checkin.points", OPT_INT, P(ck_points), 10, 0, 1000000, NULL, NULL, 0, "points", "points per check-in"},
    {"checkin.threshold", OPT_INT, P(ck_threshold), 150, 0, 100000000, NULL, NULL, 0, "points", "points for the reward (0 = no reward)"},
    {"checkin.makeup", OPT_INT, P(ck_makeup), 1, 0, 100, NULL, NULL, 0, "days", "missed days allowed without breaking the streak"},
    {"checkin.base", OPT_DOUBLE, P(ck_base), -2.0, -50, 50, NULL, NULL, 0, "logit", "participation intercept"},
    {"checkin.w_engagement", OPT_DOUBLE, P(ck_w_eng), 4.0, -50, 50, NULL, NULL, 0, "logit", "participation weight of engagement"},
    {"checkin.w_streak", OPT_DOUBLE, P(ck_w_streak), 1.5, -50, 50, NULL, NULL, 0, "logit", "weight of the streak (per 7 days, capped at 1)"},
    {"checkin.w_reward", OPT_DOUBLE, P(ck_w_reward), 1.0, -50, 50, NULL, NULL, 0, "logit", "weight of reward sensitivity"},
    {"checkin.boost", OPT_DOUBLE, P(ck_boost), 0.03, 0, 1, NULL, NULL, 0, "", "engagement boost of a check-in"},
    {"checkin.reward_boost", OPT_DOUBLE, P(ck_reward_boost), 0.2, 0, 1, NULL, NULL, 0, "", "engagement boost of reaching the reward"},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, 0, NULL, NULL},
};

static void on_post(sim_t *s, const sim_event *ev);
static void on_reply(sim_t *s, const sim_event *ev);
static void on_day(sim_t *s, const sim_event *ev);
static void on_operator(sim_t *s, const sim_event *ev);
static void on_join(sim_t *s, const sim_event *ev);

/* Event priorities at equal times: the day tick first, then the operator,
 * then members.  Part of the documented order. */
enum { PRIO_DAY = -10, PRIO_OPERATOR = -5, PRIO_MEMBER = 0 };

gsl_rng *com_scratch(com_t *m, uint32_t family, uint32_t index, uint64_t counter)
{
    uint64_t base = rng_seed(m->seed, m->rep, RNG_STREAM(family, index));
    rng_reseed(m->scratch, base, counter, 0);
    return m->scratch;
}

double com_eng(com_t *m, int i)
{
    member *x = &m->mem[i];
    double now = sim_now(m->sim);
    if (now > x->t_eng) {
        x->eng *= exp(-(now - x->t_eng) / (m->p.eng_tau * DAY));
        x->t_eng = now;
    }
    return x->eng;
}

void com_boost(com_t *m, int i, double b)
{
    double e = com_eng(m, i);
    m->mem[i].eng = e + b * (1.0 - e);
    if (m->mem[i].state == ST_SILENT && m->mem[i].eng >= m->p.silent_below) m->mem[i].state = ST_ACTIVE;
}

int64_t com_emit(com_t *m, ev_kind k, int i, int64_t ref, double value)
{
    int64_t id = ++m->next_msg_id;
    if (m->failed || !m->sink.event) return id;
    ev_rec e = {id, m->cal->start_ts + (int64_t)floor(sim_now(m->sim)), 1, (int32_t)k,
                i >= 0 ? (int64_t)i + 1 : -1, ref, value};
    if (m->sink.event(m->sink.ctx, &e) != 0) {
        m->failed = 1;
        sim_stop(m->sim);
    }
    return id;
}

static void emit_member(com_t *m, int i, int64_t left_ts)
{
    if (m->failed || !m->sink.member) return;
    member *x = &m->mem[i];
    ev_member r = {1, x->role, x->source, (int64_t)i + 1, -1,
                   m->cal->start_ts + (int64_t)floor(x->joined), left_ts};
    if (m->sink.member(m->sink.ctx, &r) != 0) {
        m->failed = 1;
        sim_stop(m->sim);
    }
}

/* Intensity bound and shape of the posting process: rate * e(t) * d(h) * w(wd)
 * with d, w normalised to mean 1; thinning against rate * dmax * wmax. */
static double post_bound(const com_t *m, const member *x)
{
    return x->rate * (m->daily_max / m->daily_mean) * (m->weekly_max / m->weekly_mean) / DAY;
}

/* Schedule member i's next candidate post after time t0, restarting the
 * stream at each local midnight (exact for a Poisson process, and it keeps
 * the arms' dice aligned day by day). */
static void schedule_post(com_t *m, int i, double t0)
{
    member *x = &m->mem[i];
    x->next_post = 0;
    if (x->rate <= 0 || x->role == ROLE_BOT) return;
    double bound = post_bound(m, x);
    double t = t0;
    for (;;) {
        int64_t day = (int64_t)floor(t / DAY);
        if (day != x->post_day) {
            rng_reseed(x->post, rng_seed(m->seed, m->rep, RNG_STREAM(FAM_POST, (uint32_t)i)), (uint64_t)day, 0);
            x->post_day = day;
        }
        double next = t + gsl_ran_exponential(x->post, 1.0 / bound);
        double end = (double)(day + 1) * DAY;
        if (next < end) {
            x->next_post = sim_schedule_at(m->sim, next, PRIO_MEMBER, on_post, m, i, 0, 0);
            return;
        }
        t = end; /* memoryless: restart at midnight with that day's stream */
    }
}

static void on_post(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    int i = (int)ev->a;
    member *x = &m->mem[i];
    m->st.candidates++;
    if (x->state == ST_LEFT) return;
    double t = ev->t;
    double h = cal_hour(m->cal, t);
    int wd = cal_weekday(m->cal, t);
    double e = com_eng(m, i);
    double accept = e * (m->p.daily.v[(int)h] / m->daily_max) * (m->p.weekly.v[wd] / m->weekly_max);
    double u = gsl_rng_uniform(x->post);
    double ur = gsl_rng_uniform(x->post);
    double ud = gsl_rng_uniform_pos(x->post);
    if (u < accept && x->state == ST_ACTIVE) {
        int64_t id = com_emit(m, EV_MESSAGE, i, -1, 0);
        m->st.messages++;
        if (ur < m->p.reply_prob) {
            double delay = -log(ud) * m->p.reply_delay * 60.0;
            sim_schedule(s, delay, PRIO_MEMBER, on_reply, m, i, id, 0);
        }
    }
    schedule_post(m, i, t);
}

/* A reply to member a's message b: the responder is drawn among present
 * members, accepted with probability equal to its engagement (up to 8 tries). */
static void on_reply(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    int poster = (int)ev->a;
    if (m->present < 2) return;
    for (int tries = 0; tries < 8; tries++) {
        int j = (int)gsl_rng_uniform_int(m->replies, (unsigned long)m->n);
        double u = gsl_rng_uniform(m->replies);
        member *y = &m->mem[j];
        if (j == poster || y->state != ST_ACTIVE || y->role == ROLE_BOT) continue;
        if (u >= com_eng(m, j)) continue;
        com_emit(m, EV_REPLY, j, ev->b, 0);
        m->st.replies++;
        if (m->mem[poster].state != ST_LEFT) com_boost(m, poster, m->p.reply_boost);
        return;
    }
    (void)s;
}

static void leave(com_t *m, int i)
{
    member *x = &m->mem[i];
    if (x->state == ST_LEFT) return;
    x->state = ST_LEFT;
    m->present--;
    m->st.leaves++;
    if (x->next_post) sim_cancel(m->sim, x->next_post);
    x->next_post = 0;
    com_emit(m, EV_LEAVE, i, -1, 0);
    emit_member(m, i, m->cal->start_ts + (int64_t)floor(sim_now(m->sim)));
}

/* Local midnight: churn and lurking, then the day's campaign work. */
static void on_day(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    int64_t day = ev->a;
    for (int i = 0; i < m->n; i++) {
        member *x = &m->mem[i];
        if (x->state == ST_LEFT || x->role != ROLE_MEMBER) continue;
        double e = com_eng(m, i);
        gsl_rng *r = com_scratch(m, FAM_CHURN, (uint32_t)i, (uint64_t)day);
        double h = m->p.leave_rate * (1 - e) * (1 - e);
        if (gsl_rng_uniform(r) < -expm1(-h)) {
            leave(m, i);
            continue;
        }
        if (x->state == ST_ACTIVE && e < m->p.silent_below) {
            x->state = ST_SILENT;
            com_emit(m, EV_SILENT, i, -1, e);
        }
    }
    if (m->p.ck_enabled) ck_day(m, day);
    for (int k = 0; k < m->p.op_slots.n; k++)
        sim_schedule(s, m->p.op_slots.v[k] * 3600.0, PRIO_OPERATOR, on_operator, m, day, k, 0);
    sim_schedule(s, DAY, PRIO_DAY, on_day, m, day + 1, 0, 0);
}

/* The operator (the owner, member 0) posts the day's content. */
static void on_operator(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    (void)s;
    com_emit(m, EV_POST, 0, -1, (double)ev->b);
    if (m->p.op_boost > 0)
        for (int i = 1; i < m->n; i++)
            if (m->mem[i].state != ST_LEFT) com_boost(m, i, m->p.op_boost);
}

/* Draw member i's attributes from its own stream (same in every arm). */
static int add_member(com_t *m, ev_role role, ev_source src)
{
    if (m->n == m->cap) {
        int ncap = m->cap * 2;
        member *nm = realloc(m->mem, (size_t)ncap * sizeof *nm);
        if (!nm) return -1;
        m->mem = nm;
        m->cap = ncap;
    }
    int i = m->n;
    member *x = &m->mem[i];
    memset(x, 0, sizeof *x);
    x->post = gsl_rng_alloc(gsl_rng_taus2);
    if (!x->post) return -1;
    m->n++;
    gsl_rng *r = com_scratch(m, FAM_ATTR, (uint32_t)i, 0);
    x->rate = gsl_ran_gamma(r, m->p.rate_shape, m->p.rate_mean / m->p.rate_shape);
    x->eng = gsl_ran_beta(r, m->p.eng_a, m->p.eng_b);
    x->sens = gsl_ran_beta(r, m->p.sens_a, m->p.sens_b);
    x->t_eng = x->joined = sim_now(m->sim);
    x->role = role;
    x->source = src;
    x->state = ST_ACTIVE;
    x->post_day = -1;
    x->ck_done_day = -1;
    if (role == ROLE_OWNER || role == ROLE_ADMIN) x->eng = 1.0;
    m->present++;
    return i;
}

static void on_join(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    if (m->present < m->p.cap) {
        int i = add_member(m, ROLE_MEMBER, SRC_ORGANIC);
        if (i < 0) {
            m->failed = 1;
            sim_stop(s);
            return;
        }
        m->st.joins++;
        emit_member(m, i, -1);
        com_emit(m, EV_JOIN, i, -1, SRC_ORGANIC);
        schedule_post(m, i, ev->t);
    }
    sim_schedule(s, gsl_ran_exponential(m->joins, DAY / m->p.join_rate), PRIO_MEMBER, on_join, m, 0, 0, 0);
}

static double vec_max(const opt_vec *v)
{
    double x = 0;
    for (int i = 0; i < v->n; i++) x = v->v[i] > x ? v->v[i] : x;
    return x;
}

static double vec_mean(const opt_vec *v)
{
    double x = 0;
    for (int i = 0; i < v->n; i++) x += v->v[i];
    return v->n ? x / v->n : 0;
}

int com_new(com_t **out, const com_params *p, sim_t *sim, const cal *c,
            uint64_t seed, uint64_t rep, const ev_sink *sink, char *err, size_t errlen)
{
    *out = NULL;
    if (p->daily.n != 24 || p->weekly.n != 7 || vec_max(&p->daily) <= 0 || vec_max(&p->weekly) <= 0) {
        snprintf(err, errlen, "cadence.daily needs 24 and cadence.weekly 7 values, not all zero");
        return -1;
    }
    if (p->size > p->cap) {
        snprintf(err, errlen, "group.size (%d) exceeds group.cap (%d)", p->size, p->cap);
        return -1;
    }
    if (p->admins + p->bots + 1 > p->size) {
        snprintf(err, errlen, "group.size (%d) too small for the owner, %d admins and %d bots", p->size, p->admins, p->bots);
        return -1;
    }
    com_t *m = calloc(1, sizeof *m);
    if (!m) { snprintf(err, errlen, "out of memory"); return -1; }
    m->p = *p;
    m->sim = sim;
    m->cal = c;
    m->seed = seed;
    m->rep = rep;
    if (sink) m->sink = *sink;
    m->cap = p->cap + 16;
    m->mem = malloc((size_t)m->cap * sizeof *m->mem);
    m->scratch = gsl_rng_alloc(gsl_rng_taus2);
    m->joins = rng_new(NULL, seed, rep, RNG_STREAM(FAM_JOIN, 0));
    m->replies = rng_new(NULL, seed, rep, RNG_STREAM(FAM_REPLY, 0));
    if (!m->mem || !m->scratch || !m->joins || !m->replies) {
        com_free(m);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    m->daily_max = vec_max(&p->daily);
    m->daily_mean = vec_mean(&p->daily);
    m->weekly_max = vec_max(&p->weekly);
    m->weekly_mean = vec_mean(&p->weekly);
    *out = m;
    return 0;
}

int com_start(com_t *m)
{
    for (int i = 0; i < m->p.size; i++) {
        ev_role role = i == 0 ? ROLE_OWNER : i <= m->p.admins ? ROLE_ADMIN
                     : i <= m->p.admins + m->p.bots ? ROLE_BOT : ROLE_MEMBER;
        if (add_member(m, role, SRC_SEED) < 0) return -1;
        emit_member(m, i, -1);
    }
    for (int i = 0; i < m->n; i++) schedule_post(m, i, 0.0);
    if (!sim_schedule_at(m->sim, 0.0, PRIO_DAY, on_day, m, 0, 0, 0)) return -1;
    if (m->p.join_rate > 0 &&
        !sim_schedule(m->sim, gsl_ran_exponential(m->joins, DAY / m->p.join_rate), PRIO_MEMBER, on_join, m, 0, 0, 0))
        return -1;
    return m->failed ? -1 : 0;
}

int com_finish(com_t *m)
{
    return m->failed ? -1 : 0;
}

void com_free(com_t *m)
{
    if (!m) return;
    for (int i = 0; i < m->n; i++) gsl_rng_free(m->mem[i].post);
    free(m->mem);
    gsl_rng_free(m->scratch);
    gsl_rng_free(m->joins);
    gsl_rng_free(m->replies);
    free(m);
}

void com_get_stats(const com_t *m, com_stats *out) { *out = m->st; }
