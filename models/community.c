/* community.c -- the core of the community model: groups and members,
 * engagement, posting cadence (thinning), lurking, muting and leaving under
 * overload, organic joins and the day tick that drives the mechanisms. */
#include "com_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "rng.h"

const opt_row com_core_opts[] = {
    ROW_I("group.size", group.size, 500, 2, 500, "members", "initial members, owner included"),
    ROW_I("group.cap", group.cap, 500, 2, 500, "members", "platform cap on a group's members (WeChat: 500)"),
    ROW_I("group.admins", group.admins, 1, 0, 3, "members", "admins among the initial members (WeChat: up to 3)"),
    ROW_I("group.kols", group.kols, 0, 0, 100, "members", "KOLs / monitors / tutors among the initial members"),
    ROW_I("group.helpers", group.helpers, 0, 0, 200, "members", "helpers (study committee, top students): members who answer more"),
    ROW_I("group.bots", group.bots, 0, 0, 10, "members", "bot accounts (never counted as speakers)"),
    ROW_I("group.count", group.count, 1, 1, 100000, "groups",
          "groups at the start, each of group.size members: the first with the staff, the others ordinary members (like groups the live code opened)"),
    ROW_D("members.rate_mean", members.rate_mean, 1.0, 0, 1000, "1/day", "mean messages/day of a fully engaged member"),
    ROW_D("members.rate_shape", members.rate_shape, 0.6, 0.01, 100, "", "gamma shape of posting rates (small: a few write most)"),
    ROW_D("members.engagement_a", members.eng_a, 2, 0.01, 1e6, "", "Beta a of initial engagement"),
    ROW_D("members.engagement_b", members.eng_b, 2, 0.01, 1e6, "", "Beta b of initial engagement"),
    ROW_D("members.engagement_tau", members.eng_tau, 20, 0.1, 1e9, "days", "time constant of engagement decay towards belonging"),
    ROW_D("members.belonging_tau", members.bel_tau, 90, 0.1, 1e9, "days", "time constant of belonging decay (persistent effects)"),
    ROW_D("members.belonging_init", members.bel_init, 0, 0, 1, "", "initial belonging as a share of initial engagement (1: engagement relaxes back to where it started)"),
    ROW_D("members.silent_below", members.silent_below, 0.05, 0, 1, "", "engagement below which a member becomes a lurker"),
    ROW_D("members.leave_rate", members.leave_rate, 0.01, 0, 10, "1/day", "leaving hazard at zero engagement (x (1-e)^2)"),
    ROW_D("members.sensitivity_a", members.sens_a, 2, 0.01, 100, "", "Beta a of reward sensitivity"),
    ROW_D("members.sensitivity_b", members.sens_b, 2, 0.01, 100, "", "Beta b of reward sensitivity"),
    ROW_D("members.reply_shape", members.reply_shape, 1.0, 0.01, 100, "", "gamma shape of reply propensity (mean 1)"),
    ROW_D("members.question_share", members.question_share, 0.1, 0, 1, "", "share of a member's own messages that are questions"),
    ROW_D("members.ugc_share", members.ugc_share, 0.05, 0, 1, "", "share of the other messages that are original content (UGC: photos, stories)"),
    ROW_D("members.tolerance_median", members.tol_median, 300, 1, 1e6, "msgs/day", "median overload tolerance (messages read per day)"),
    ROW_D("members.tolerance_sigma", members.tol_sigma, 0.5, 0, 5, "", "lognormal sigma of overload tolerance"),
    ROW_D("members.mute_rate", members.mute_rate, 0.2, 0, 100, "1/day", "muting hazard per unit of relative overload"),
    ROW_D("members.overload_leave", members.overload_leave, 0.02, 0, 100, "1/day", "extra leaving hazard per unit of relative overload"),
    ROW_D("members.muted_post", members.muted_post, 0.2, 0, 1, "", "posting factor of a member who muted the group"),
    ROW_D("members.activity_a", members.act_a, 0, 0, 1e6, "", "Beta a of the probability p of speaking on an open day (BG/BB); > 0: a member posts at the rate that makes it speak on a share p of open days, over its engagement (rate_mean and rate_shape unused)"),
    ROW_D("members.activity_b", members.act_b, 1, 1e-6, 1e6, "", "Beta b of that probability"),
    ROW_D("members.dropout_a", members.drop_a, 0, 0, 1e6, "", "silent attrition: Beta a of the daily probability of going quiet for good (0: off)"),
    ROW_D("members.dropout_b", members.drop_b, 1, 1e-6, 1e6, "", "silent attrition: Beta b of that probability"),
    ROW_D("members.history_activity_a", members.hact_a, 0, 0, 1e6, "", "forecasts from a log: activity_a for the members present at the start (BG/BB over the history; 0: activity_a)"),
    ROW_D("members.history_activity_b", members.hact_b, 1, 1e-6, 1e6, "", "forecasts from a log: activity_b for the members present at the start"),
    ROW_D("members.history_dropout_a", members.hdrop_a, 0, 0, 1e6, "", "forecasts from a log: dropout_a for the members present at the start (0: dropout_a)"),
    ROW_D("members.history_dropout_b", members.hdrop_b, 1, 1e-6, 1e6, "", "forecasts from a log: dropout_b for the members present at the start"),
    ROW_D("members.first_post", members.first_post, 0, 0, 1, "", "probability a newcomer speaks on joining (a greeting)"),
    ROW_D("members.silent_speak", members.silent_speak, 0, 0, 1, "", "forecasts from a log (second model): per open day, the probability that a member silent through the whole history speaks (0: as the activity Beta says)"),
    ROW_D("members.rejoin_rate", members.rejoin_rate, 0, 0, 1, "/day", "hazard per day of a member who left coming back as a member again (a new spell; 0: nobody does)"),
    ROW_D("members.leave_shape", members.leave_shape, 0, 0, 1000, "", "members differ in how often they leave: each one's hazard is leave_rate times its own multiple, gamma of this shape and mean 1 (a forecast's members: their posterior from their own leaves; 0: one hazard for all)"),
    ROW_D("members.rejoin_shape", members.rejoin_shape, 0, 0, 1000, "", "members differ in how soon they come back: their hazards are gamma of this shape and mean rejoin_rate, each updated by its own absences (one long away comes back less; 0: one hazard for all)"),
    ROW_V("cadence.daily", cadence.daily,
          "0.2,0.1,0.05,0.05,0.05,0.1,0.3,0.8,1.2,1.2,1.1,1.1,1.3,1.2,1.0,1.0,1.0,1.1,1.2,1.4,1.8,2.0,1.6,0.8",
          24, 0, 1000, "", "relative activity by local hour 0..23"),
    ROW_V("cadence.weekly", cadence.weekly, "1,1,1,1,1,1.1,1.1", 7, 0, 1000, "", "relative activity Monday..Sunday"),
    ROW_D("cadence.day_cv", cadence.day_cv, 0, 0, 10, "", "day-to-day variation of a group's activity: coefficient of variation of a gamma daily level of mean 1 (0: none)"),
    ROW_D("cadence.level_sd", cadence.level_sd, 0, 0, 5, "", "how far a group's level over a whole run may lie from its expected one: sd of a lognormal factor of mean 1, one per group and replication (0: none)"),
    ROW_D("joins.rate", joins.rate, 1.0, 0, 10000, "1/day", "organic joins per day (Poisson)"),
    ROW_D("joins.qr_share", joins.qr_share, 0.5, 0, 1, "", "share of organic joiners who come by QR code (the rest: search/links)"),
    ROW_I("joins.profile", joins.profile, 0, 0, 1, "", "1: joins follow the activity profile by hour and weekday (0: uniform in time)"),
    ROW_END,
};

int com_open_day(const double *w, int wd)
{
    double m = 0;
    for (int k = 0; k < 7; k++) m += w[k] / 7;
    return m > 0 && w[wd] / m >= COM_OPEN_DAY;
}

double com_own_rate(double p, const double *w)
{
    double m = 0, r[7];
    int n = 0;
    for (int k = 0; k < 7; k++) m += w[k] / 7;
    if (!(p > 0) || !(m > 0)) return 0;
    for (int k = 0; k < 7; k++)
        if (w[k] / m >= COM_OPEN_DAY) r[n++] = w[k] / m;
    if (p > 0.99) p = 0.99;
    /* the share reached at rate x: increasing and concave in x; bisection on
     * x in (0, hi] with hi doubled until it is passed */
    double lo = 0, hi = -log1p(-p);
    for (;;) {
        double s = 0;
        for (int k = 0; k < n; k++) s += -expm1(-hi * r[k]) / n;
        if (s >= p || hi > 1e6) break;
        lo = hi;
        hi *= 2;
    }
    for (int it = 0; it < 60; it++) {
        double mid = 0.5 * (lo + hi), s = 0;
        for (int k = 0; k < n; k++) s += -expm1(-mid * r[k]) / n;
        if (s < p) lo = mid;
        else hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* The tables: the core mechanisms', every campaign's from the registry,
 * then the resource limits'. */
static const opt_row *const core_rows[] = {com_core_opts, talk_opts, roles_opts, content_opts,
                                           op_opts, rules_opts, invite_opts, culture_opts};
static const char *const core_titles[] = {"Group, members, cadence, joins", "Replies and questions", "Roles",
                                          "Content types", "Operator schedule", "Rules and platform limits",
                                          "Invites", "Culture"};
#define NCORE ((int)(sizeof core_rows / sizeof core_rows[0]))
_Static_assert(sizeof core_titles / sizeof core_titles[0] == sizeof core_rows / sizeof core_rows[0], "a title per core table");

int com_tables(com_params *p, opt_table *out, int max)
{
    int n = 0;
    for (int i = 0; i < NCORE + camp_ntypes + 1 && n < max; i++, n++) {
        out[n].rows = i < NCORE ? core_rows[i] : i < NCORE + camp_ntypes ? camp_types[i - NCORE].opts : limits_opts;
        out[n].base = p;
    }
    return n;
}

const char *com_table_title(int i)
{
    if (i < 0 || i > NCORE + camp_ntypes) return NULL;
    return i < NCORE ? core_titles[i] : i < NCORE + camp_ntypes ? camp_types[i - NCORE].title
                                                                : "Resource limits (docs/hardening.md)";
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

int com_validate(const com_params *p, char *err, size_t n)
{
    if (vec_max(&p->cadence.daily) <= 0) { snprintf(err, n, "setting \"cadence.daily\": all zero"); return -1; }
    if (vec_max(&p->cadence.weekly) <= 0) { snprintf(err, n, "setting \"cadence.weekly\": all zero"); return -1; }
    if (p->group.size > p->group.cap) {
        snprintf(err, n, "setting \"group.size\": %d exceeds group.cap (%d)", p->group.size, p->group.cap);
        return -1;
    }
    if (1 + p->group.admins + p->group.kols + p->group.helpers + p->group.bots > p->group.size) {
        snprintf(err, n, "setting \"group.size\": %d is too small for the owner, admins, KOLs, helpers and bots", p->group.size);
        return -1;
    }
    if (p->group.count > 1 && p->group.count > p->rules.max_groups) {
        snprintf(err, n, "setting \"group.count\": %d groups exceed rules.max_groups (%d)", p->group.count, p->rules.max_groups);
        return -1;
    }
    if (p->replies.branching >= 1.0) {
        snprintf(err, n, "setting \"replies.branching\": %g >= 1 makes reply bursts explosive (must be < 1)", p->replies.branching);
        return -1;
    }
    /* A post's response multiplies only its own first generation of replies
     * (replies spawn with the plain branching), so its cluster stays finite,
     * 1 + branching x response / (1 - branching), whatever the response. */
    if (p->operator_.hours.n != p->operator_.types.n) {
        snprintf(err, n, "setting \"operator.types\": %d types for %d hours in operator.hours", p->operator_.types.n, p->operator_.hours.n);
        return -1;
    }
    if (p->operator_.campaign_days.n != 0 && p->operator_.campaign_days.n != 2) {
        snprintf(err, n, "setting \"operator.campaign_days\": want [] or [first, last]");
        return -1;
    }
    if (p->operator_.campaign_window.n != 2 || p->operator_.campaign_window.v[0] >= p->operator_.campaign_window.v[1]) {
        snprintf(err, n, "setting \"operator.campaign_window\": want [from, to) hours with from < to");
        return -1;
    }
    return 0;
}

int com_fail(com_t *m, const char *fmt, ...)
{
    if (!m->failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(m->err, sizeof m->err, fmt, ap);
        va_end(ap);
    }
    m->failed = 1;
    sim_stop(m->sim);
    return -1;
}

gsl_rng *com_scratch(com_t *m, uint32_t family, uint32_t index, uint64_t counter)
{
    rng_reseed(m->scratch, rng_seed(m->seed, m->rep, RNG_STREAM(family, index)), counter, 0);
    return m->scratch;
}

/* Engagement e relaxes towards belonging b with eng_tau; belonging itself
 * decays with bel_tau: de/dt = (b - e) / eng_tau, db/dt = -b / bel_tau.
 * Updated lazily at each use with the exact solution over dt, with
 * a = 1/eng_tau, c = 1/bel_tau:
 *   b(dt) = b0 exp(-c dt),
 *   e(dt) = e0 exp(-a dt) + b0 a (exp(-c dt) - exp(-a dt)) / (a - c),
 * (the second term is b0 exp(-c dt) a dt phi((a-c) dt), phi(x) = (1-exp(-x))/x,
 * for a close to c), so a member's engagement does not depend on how often
 * it is read.  (Until the responder sampler, the update re-anchored at each
 * read, "belonging first, then engagement towards the updated belonging",
 * which converges to this solution when reads are frequent, as they were:
 * every reply scanned the whole group.)  Two facts the responder sampler
 * relies on: if e >= b, e never rises again; if e < b, e stays below b0.
 * So max(e, b) now bounds e at every later time until the next jump. */
double com_eng(com_t *m, int i)
{
    member *x = &m->mem[i];
    double now = sim_now(m->sim);
    if (now > x->t_eng) {
        double dt = (now - x->t_eng) / DAY;
        double a = 1.0 / m->p.members.eng_tau, ea = exp(-a * dt);
        double e = x->eng * ea;
        if (x->bel != 0) { /* one exp only in the common case of no belonging */
            double c = 1.0 / m->p.members.bel_tau, eb = exp(-c * dt), d = (a - c) * dt;
            if (fabs(d) < 1e-3) { /* a ~ c: the difference of exps would cancel */
                double phi = d != 0 ? -expm1(-d) / d : 1.0;
                e += x->bel * eb * a * dt * phi;
            } else {
                e += x->bel * a * (eb - ea) / (a - c);
            }
            x->bel *= eb;
        }
        x->eng = e;
        x->t_eng = now;
    }
    return x->eng;
}

void com_boost(com_t *m, int i, double b)
{
    double e = com_eng(m, i);
    m->mem[i].eng = e + b * (1.0 - e);
    if (m->mem[i].state == ST_SILENT && m->mem[i].eng >= m->p.members.silent_below) m->mem[i].state = ST_ACTIVE;
    com_touch(m, i);
}

void com_hurt(com_t *m, int i, double b)
{
    double e = com_eng(m, i);
    m->mem[i].eng = e * (1.0 - b);
    com_touch(m, i); /* not needed for the bound (it only falls), keeps it tight */
}

void com_belong(com_t *m, int i, double b)
{
    com_eng(m, i);
    member *x = &m->mem[i];
    x->bel += b * (1.0 - x->bel);
    if (x->eng < x->bel) x->eng = x->bel;
    if (x->state == ST_SILENT && x->eng >= m->p.members.silent_below) x->state = ST_ACTIVE;
    com_touch(m, i);
}

double com_activity(const com_t *m, double t)
{
    double h = cal_hour(m->cal, t);
    int wd = cal_weekday(m->cal, t);
    return (m->p.cadence.daily.v[(int)h] / m->daily_mean) * (m->p.cadence.weekly.v[wd] / m->weekly_mean);
}

int64_t com_emit(com_t *m, ev_kind k, int i, int g, int64_t ref, double value)
{
    int64_t id = ++m->next_msg_id;
    if (m->failed || com_limit_events(m) || !m->sink.event) return id;
    ev_rec e = {id, m->cal->start_ts + (int64_t)floor(sim_now(m->sim)), g + 1, (int32_t)k,
                i >= 0 ? (int64_t)i + 1 : -1, ref, value};
    if (m->sink.event(m->sink.ctx, &e) != 0) com_fail(m, "the results sink refused an event");
    return id;
}

int64_t com_message(com_t *m, ev_kind k, int i, int g, int64_t ref, double value, double response)
{
    member *x = &m->mem[i];
    if (g < 0) g = x->group;
    int64_t id = com_emit(m, k, i, g, ref, value);
    m->st.messages++;
    m->grp[g].msgs_today++;
    m->grp[g].load_today++;
    x->sent_today++;
    if (x->role != ROLE_BOT && m->spoke_day[i] != (uint32_t)(m->day + 1)) {
        m->spoke_day[i] = (uint32_t)(m->day + 1);
        group *G = &m->grp[g];
        if (m->p.replies.today > 0) { /* today's speakers of the group */
            if (G->ntoday == G->captoday) {
                int nc = G->captoday ? 2 * G->captoday : 64;
                int32_t *t = realloc(G->today, (size_t)nc * sizeof *t);
                if (!t) { com_fail(m, "out of memory"); return id; }
                G->today = t;
                G->captoday = nc;
            }
            G->today[G->ntoday++] = i;
        }
    }
    if (x->role != ROLE_BOT) { /* the conversation's recent speakers: i to the front */
        group *G = &m->grp[g];
        int q = 0;
        while (q < G->nrecent && G->recent[q] != i) q++;
        if (q == G->nrecent && G->nrecent < TALK_RECENT) G->nrecent++;
        if (q == TALK_RECENT) q = TALK_RECENT - 1;
        for (; q > 0; q--) { G->recent[q] = G->recent[q - 1]; G->recent_t[q] = G->recent_t[q - 1]; }
        G->recent[0] = i;
        G->recent_t[0] = sim_now(m->sim);
    }
    rules_on_message(m, i, id);
    if (x->state != ST_LEFT) talk_burst(m, i, g, id, response);
    return id;
}

static void emit_member(com_t *m, int i, int64_t left_ts)
{
    if (m->failed || !m->sink.member) return;
    member *x = &m->mem[i];
    ev_member r = {x->group + 1, x->role, x->source, (int64_t)i + 1,
                   x->inviter >= 0 ? (int64_t)x->inviter + 1 : -1,
                   m->cal->start_ts + (int64_t)floor(x->joined), left_ts, x->spell};
    if (m->sink.member(m->sink.ctx, &r) != 0) com_fail(m, "the results sink refused a member");
}

/* --- posting: a non-homogeneous Poisson process per member ---
 *
 * Intensity rate x engagement(t) x post_factor x activity(t).  Candidates
 * come at rate x activity(t), drawn exactly by inverting the profile's
 * integral (piecewise constant by local hour), and each is accepted with
 * probability engagement x post_factor.  (Until the responder sampler's
 * change, candidates came at the profile's peak, rate x max D/mean D x max
 * W/mean W, and were also thinned by activity: 2.4 times more candidate
 * events with the default profile for the same process.) */

static void on_post(sim_t *s, const sim_event *ev);
static void schedule_post(com_t *m, int i, double t0);

/* The member's posting stream: its taus2 state lives in the member record
 * (no allocation, one cache line with the fields on_post reads); a gsl_rng
 * is just {type, state}, so this handle is built on the stack per use. */
static gsl_rng com_post_rng(member *x)
{
    gsl_rng r = {gsl_rng_taus2, x->post_st};
    return r;
}

/* Days searched for a member's next candidate post in one go; beyond them a
 * wake-up event at midnight continues the search.  Before, the search ran up
 * to 100000 days ahead at once: a rare poster (rates are gamma with shape
 * < 1, so many are tiny) cost thousands of reseeds beyond the run's end
 * (a fifth of a reading-club replication).  Same days, same draws, same
 * candidates: only the time the search is done differs. */
#define POST_LOOKAHEAD 7

static void on_post_wake(sim_t *s, const sim_event *ev)
{
    (void)s;
    schedule_post(ev->ctx, (int)ev->a, ev->t);
}

/* Schedule member i's next candidate post after t0.  The stream restarts at
 * each local midnight from (seed, rep, member, day): exact for a Poisson
 * process (memoryless), and it realigns the arms' dice every day. */
static void schedule_post(com_t *m, int i, double t0)
{
    member *x = &m->mem[i];
    x->next_post = 0;
    if (x->rate <= 0 || x->role == ROLE_BOT || x->state == ST_LEFT) return;
    gsl_rng r = com_post_rng(x);
    double mean = DAY / x->rate; /* activity-seconds between candidates */
    double t = t0;
    for (int look = 0; look < POST_LOOKAHEAD; look++) {
        int64_t day = (int64_t)floor(t / DAY);
        if (m->level) mean = DAY / (x->rate * com_level(m, x->group, day)); /* the group's level that day */
        if (day != x->post_day) {
            rng_reseed(&r, rng_seed(m->seed, m->rep, RNG_STREAM(FAM_POST, (uint32_t)i)), (uint64_t)day, 0);
            x->post_day = day;
        }
        double d0 = (double)day * DAY, end = d0 + DAY;
        int wd = (int)(((day + m->cal->start_wday) % 7 + 7) % 7); /* cal_weekday(m->cal, d0) */
        const double *act = m->act[wd], *cum = m->act_cum[wd];
        /* the profile's integral from midnight to t, plus an Exp(mean) gap */
        double s = t - d0;
        int h = (int)(s / HOUR);
        h = h < 0 ? 0 : h > 23 ? 23 : h;
        double a = cum[h] + act[h] * (s - h * HOUR) + gsl_ran_exponential(&r, mean);
        if (a < cum[24]) { /* lands today: in hour k with cum[k] <= a < cum[k+1] (act[k] > 0) */
            int k = h;
            while (k < 23 && cum[k + 1] <= a) k++;
            double next = d0 + k * HOUR + (act[k] > 0 ? (a - cum[k]) / act[k] : 0);
            if (next < t) next = t;  /* rounding */
            if (next < end) {
                x->next_post = sim_schedule_at(m->sim, next, PRIO_MEMBER, on_post, m, i, 0, 0);
                if (!x->next_post) com_fail(m, "engine: %s", sim_errmsg(m->sim));
                return;
            }
        }
        t = end;
    }
    /* nothing in the look-ahead: search on from midnight t when it comes
     * (x->next_post holds the wake-up, so leaving cancels it) */
    x->next_post = sim_schedule_at(m->sim, t, PRIO_MEMBER, on_post_wake, m, i, 0, 0);
    if (!x->next_post) com_fail(m, "engine: %s", sim_errmsg(m->sim));
}

static void on_post(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    int i = (int)ev->a;
    member *x = &m->mem[i];
    (void)s;
    m->st.candidates++;
    if (x->state == ST_LEFT) return;
    double e = com_eng(m, i);
    double accept = e * x->post_factor; /* the activity profile is in the candidates' times */
    gsl_rng r = com_post_rng(x);
    double u = gsl_rng_uniform(&r);
    double uq = gsl_rng_uniform(&r);
    double uu = gsl_rng_uniform(&r);
    if (u < accept && x->state != ST_SILENT) {
        if (x->kind == MK_SPAMMER) {
            /* spammers post ads at their own rate (rules.c reacts) */
            com_message(m, EV_MESSAGE, i, -1, -1, 1.0, 0.0);
        } else if (uq < m->p.members.question_share) {
            /* a question's follow-up is the answer process (talk.c), not a generic burst */
            int64_t q = com_message(m, EV_QUESTION, i, -1, -1, 0, 0.0);
            m->st.questions++;
            talk_question(m, i, x->group, q);
        } else {
            com_message(m, uu < m->p.members.ugc_share ? EV_SUBMISSION : EV_MESSAGE, i, -1, -1, 0, 1.0);
        }
    }
    schedule_post(m, i, ev->t);
}

/* --- membership --- */

static void sam_rebuild(group *G);
static void sam_set(group *G, int pos, double ur, double ua);

/* The new member's bounds start at 0; the caller sets them (com_touch) once
 * the member's state is final.  The list capacity stays a power of two
 * (64, 128, ...): the sampler's trees need it. */
static int group_add(com_t *m, int g, int i)
{
    group *G = &m->grp[g];
    if (G->n == G->cap) {
        int ncap = G->cap ? G->cap * 2 : 64;
        int32_t *ni = realloc(G->idx, (size_t)ncap * sizeof *ni);
        if (!ni) return -1;
        G->idx = ni;
        double *nu = realloc(G->ub, (size_t)ncap * 2 * sizeof *nu);
        if (!nu) return -1;
        G->ub = nu;
        double *nf = realloc(G->fw, (size_t)(ncap + 1) * 2 * sizeof *nf);
        if (!nf) return -1;
        G->fw = nf;
        memset(G->ub + 2 * G->cap, 0, (size_t)(ncap - G->cap) * 2 * sizeof *nu);
        G->cap = ncap;
        sam_rebuild(G);
    }
    m->mem[i].gpos = G->n;
    G->idx[G->n++] = i;
    return 0;
}

/* The last member moves into the leaver's position, bounds included. */
static void group_remove(com_t *m, int i)
{
    group *G = &m->grp[m->mem[i].group];
    int pos = m->mem[i].gpos, lastpos = --G->n, last = G->idx[lastpos];
    G->idx[pos] = last;
    m->mem[last].gpos = pos;
    if (pos != lastpos) sam_set(G, pos, G->ub[2 * lastpos], G->ub[2 * lastpos + 1]);
    sam_set(G, lastpos, 0, 0);
}

static int new_group(com_t *m)
{
    if (m->ngrp == m->capgrp) {
        int ncap = m->capgrp ? m->capgrp * 2 : 4;
        group *ng = realloc(m->grp, (size_t)ncap * sizeof *ng);
        if (!ng) return -1;
        m->grp = ng;
        m->capgrp = ncap;
    }
    group *G = &m->grp[m->ngrp];
    memset(G, 0, sizeof *G);
    G->lvl_day = -1;
    G->qr_valid_until = sim_now(m->sim) + m->p.rules.qr_valid_days * DAY;
    m->st.groups++;
    return m->ngrp++;
}

int com_join_target(com_t *m, int g)
{
    if (m->grp[g].n < m->p.group.cap) return g;
    if (!m->p.rules.overflow) return -1;
    /* the live code sends joiners to the newest group with room, opening one if needed */
    int last = m->ngrp - 1;
    if (m->grp[last].n < m->p.group.cap) return last;
    if (m->ngrp >= m->p.rules.max_groups) return -1;
    int ng = new_group(m);
    if (ng < 0) com_fail(m, "out of memory");
    return ng;
}

/* Add a member; s (may be NULL) gives an observed member's state (forecasts),
 * applied before the membership is reported so it carries the real join time. */
static int add_member(com_t *m, int g, ev_role role, ev_source src, int inviter, int kind, const com_init_member *s)
{
    if (com_limit_member(m)) return -1;
    if (m->n == m->cap) {
        int ncap = m->cap * 2;
        member *nm = realloc(m->mem, (size_t)ncap * sizeof *nm);
        uint32_t *ns = nm ? realloc(m->spoke_day, (size_t)ncap * sizeof *ns) : NULL;
        if (nm) m->mem = nm;
        if (!nm || !ns) { com_fail(m, "out of memory at %d members", m->n); return -1; }
        m->spoke_day = ns;
        m->cap = ncap;
    }
    int i = m->n;
    member *x = &m->mem[i];
    memset(x, 0, sizeof *x);
    m->spoke_day[i] = 0;
    m->n++;
    const com_params *p = &m->p;
    gsl_rng *r = com_scratch(m, FAM_ATTR, (uint32_t)i, 0);
    if (p->members.act_a > 0) { /* speaks on a share q of the open days, at the mean engagement */
        double q = gsl_ran_beta(r, p->members.act_a, p->members.act_b), em = p->members.eng_a / (p->members.eng_a + p->members.eng_b);
        x->rate = com_own_rate(q, p->cadence.weekly.v) / (em > 1e-6 ? em : 1e-6);
    } else
        x->rate = gsl_ran_gamma(r, p->members.rate_shape, p->members.rate_mean / p->members.rate_shape);
    x->eng = gsl_ran_beta(r, p->members.eng_a, p->members.eng_b);
    x->sens = gsl_ran_beta(r, p->members.sens_a, p->members.sens_b);
    x->reply_w = gsl_ran_gamma(r, p->members.reply_shape, 1.0 / p->members.reply_shape);
    x->invite_p = p->invites.mean > 0 ? gsl_ran_gamma(r, p->invites.shape, p->invites.mean / p->invites.shape) : 0;
    x->tol = p->members.tol_median * exp(p->members.tol_sigma * gsl_ran_ugaussian(r));
    x->fit = gsl_rng_uniform(r);
    x->bel = p->members.bel_init * x->eng;
    x->t_eng = x->joined = sim_now(m->sim);
    x->post_factor = 1.0;
    x->role = role;
    x->source = src;
    x->kind = kind;
    x->inviter = inviter;
    x->state = ST_ACTIVE;
    x->post_day = -1;
    x->group = g;
    if (role == ROLE_OWNER || role == ROLE_ADMIN || role == ROLE_KOL) x->eng = x->bel = 1.0;
    if (kind == MK_SPAMMER) {
        x->rate = p->rules.spam_rate;
        x->eng = x->bel = 1.0;
        x->reply_w = 0;
        x->invite_p = 0;
    }
    if (s ? s->drop_a > 0 : p->members.drop_a > 0) /* silent attrition: counter 2 of the attribute stream */
        x->drop_p = gsl_ran_beta(com_scratch(m, FAM_ATTR, (uint32_t)i, 2), s && s->drop_a > 0 ? s->drop_a : p->members.drop_a,
                                 s && s->drop_a > 0 ? s->drop_b : p->members.drop_b);
    if (s) {
        /* posting rate at this engagement from the member's own posterior
         * (counter 1 of its attribute stream: shared by the arms) */
        double e = s->eng > 1 ? 1 : s->eng > 1e-6 ? s->eng : 1e-6;
        double lam = s->rate_a > 0 ? gsl_ran_gamma(com_scratch(m, FAM_ATTR, (uint32_t)i, 1), s->rate_a, 1.0 / s->rate_b)
                                   : s->rate_b;
        x->rate = role == ROLE_BOT ? 0 : lam / e;
        if (s->reply > 0) x->reply_w = s->reply / e;
        x->eng = x->bel = e;
        if (s->joined < x->joined) x->joined = s->joined;
        /* already gone quiet for good (counter 3: shared by the arms) */
        if (s->gone > 0 && gsl_rng_uniform(com_scratch(m, FAM_ATTR, (uint32_t)i, 3)) < s->gone) x->rate = x->reply_w = x->post_factor = 0;
    }
    if (s) {
        x->rj_k = s->rejoin_k;
        x->rj_t = s->rejoin_t;
    }
    /* its multiple of the leaving hazard (counter 4 of the attribute stream):
     * a forecast's member its posterior, a newcomer a draw */
    x->leave_w = 1;
    if (p->members.leave_shape > 0)
        x->leave_w = s && s->leave_w > 0 ? s->leave_w
                                          : gsl_ran_gamma(com_scratch(m, FAM_ATTR, (uint32_t)i, 4), p->members.leave_shape, 1 / p->members.leave_shape);
    if (s && s->former) { /* gone before the start: may come back (rejoin) */
        x->state = ST_LEFT;
        x->spell = -1;
        x->left_t = s->left;
        return i;
    }
    if (group_add(m, g, i) != 0) { com_fail(m, "out of memory"); return -1; }
    m->present++;
    com_touch(m, i);
    emit_member(m, i, -1);
    return i;
}

/* A member who left comes back (members.rejoin_rate): a new spell, with the
 * rates, engagement and record it had; a full group turns it away. */
static void rejoin(com_t *m, int i)
{
    member *x = &m->mem[i];
    if (m->grp[x->group].n >= m->p.group.cap) return;
    if (group_add(m, x->group, i) != 0) { com_fail(m, "out of memory"); return; }
    x->state = ST_ACTIVE;
    x->joined = sim_now(m->sim);
    x->rj_k += 1;
    x->rj_t += (x->joined - x->left_t) / 86400;
    x->spell++;
    m->present++;
    m->st.joins++;
    com_touch(m, i);
    emit_member(m, i, -1);
    com_emit(m, EV_JOIN, i, x->group, -1, x->source);
    schedule_post(m, i, x->joined);
}

int com_add_member(com_t *m, int g, ev_role role, ev_source src, int inviter, int kind)
{
    return add_member(m, g, role, src, inviter, kind, NULL);
}

void com_leave(com_t *m, int i, int removed)
{
    member *x = &m->mem[i];
    if (x->state == ST_LEFT) return;
    x->state = ST_LEFT;
    m->present--;
    m->st.leaves++;
    x->left_t = sim_now(m->sim);
    group_remove(m, i);
    if (x->next_post) sim_cancel(m->sim, x->next_post);
    x->next_post = 0;
    com_emit(m, EV_LEAVE, i, x->group, -1, removed ? 1 : 0);
    emit_member(m, i, m->cal->start_ts + (int64_t)floor(sim_now(m->sim)));
}

void com_mute(com_t *m, int i)
{
    member *x = &m->mem[i];
    if (x->state == ST_MUTED || x->state == ST_LEFT) return;
    x->state = ST_MUTED;
    x->post_factor *= m->p.members.muted_post;
    com_touch(m, i); /* no longer a responder */
    m->st.mutes++;
    com_emit(m, EV_MUTE, i, x->group, -1, 0);
}

double com_weight(com_t *m, int j, int by_answer)
{
    member *y = &m->mem[j];
    if (y->state == ST_MUTED || y->state == ST_LEFT || y->role == ROLE_BOT || y->kind == MK_SPAMMER || y->muted_by_admin) return 0;
    double w = y->reply_w * com_eng(m, j);
    return by_answer ? w * roles_answer_mult(m, j) : w;
}

/* --- the responder sampler ---
 *
 * A responder is drawn with probability weight_j(t) / sum of weights, where
 * weight = reply propensity x engagement(t) (x the role's answer multiplier
 * for answers) and 0 for members who cannot respond (com_weight).  Instead
 * of scanning the group (two passes, an exp per member, at every reply), each
 * group keeps for every present member an upper bound on its weight,
 *   bound_j = reply_w x max(eng_j, bel_j) (x multiplier) at its last update,
 * which holds until the member's next jump (com_eng: engagement above
 * belonging only falls; below, it stays under belonging), and Fenwick trees
 * of the bounds.  Drawing j with probability bound_j / sum of bounds
 * (O(log n)) and accepting it with probability weight_j(t) / bound_j gives
 * exactly the distribution of the scan: no approximation, whatever the
 * time since the bounds were set.  A rejected member's bound is tightened
 * to its value now (so stale bounds cost a trial once), jumps update the
 * bound at once (com_touch), and after COM_SAM_TRIES rejections in a row
 * the exact scan (as before) draws instead and refreshes every bound: the
 * output of a rejection sampler does not depend on how many trials it
 * took, so the fallback keeps the distribution exact.  Expected trials per
 * draw: sum of bounds / sum of weights; measured 1.01 to 1.02 (the default
 * group, scenarios/community.cfg, reading_club.cfg, large.cfg), no fallback.
 * Draws come from the caller's stream (m->talk); the numbers drawn differ
 * from the old scan's (one uniform per trial), so realisations differ. */

static void sam_rebuild(group *G)
{
    G->dirty = 0;
    if (G->cap == 0) return; /* no member yet: no trees */
    int N = G->cap;
    double *fr = G->fw, *fa = G->fw + N + 1;
    fr[0] = fa[0] = 0;
    for (int k = 1; k <= N; k++) {
        fr[k] = G->ub[2 * (k - 1)];
        fa[k] = G->ub[2 * (k - 1) + 1];
    }
    for (int k = 1; k <= N; k++) {
        int up = k + (k & -k);
        if (up <= N) { fr[up] += fr[k]; fa[up] += fa[k]; }
    }
}

static void sam_set(group *G, int pos, double ur, double ua)
{
    double dr = ur - G->ub[2 * pos], da = ua - G->ub[2 * pos + 1];
    G->ub[2 * pos] = ur;
    G->ub[2 * pos + 1] = ua;
    if (G->dirty || (dr == 0 && da == 0)) return;
    int N = G->cap;
    double *fr = G->fw, *fa = G->fw + N + 1;
    for (int k = pos + 1; k <= N; k += k & -k) {
        fr[k] += dr;
        fa[k] += da;
    }
}

/* Bounds from the state now; the factor 1 + 1e-12 absorbs the rounding of
 * the closed form (engagement computed a hair above its start). */
void com_touch(com_t *m, int i)
{
    member *x = &m->mem[i];
    if (x->state == ST_LEFT) return; /* not in a list */
    double ur = 0, ua = 0;
    if (!(x->state == ST_MUTED || x->role == ROLE_BOT || x->kind == MK_SPAMMER || x->muted_by_admin)) {
        double e = com_eng(m, i);
        ur = x->reply_w * (e > x->bel ? e : x->bel) * (1 + 1e-12);
        ua = ur * roles_answer_mult(m, i);
    }
    sam_set(&m->grp[x->group], x->gpos, ur, ua);
}

void com_group_dirty(com_t *m, int g) { m->grp[g].dirty = 1; }

double com_bound_total(com_t *m, int g, int by_answer)
{
    group *G = &m->grp[g];
    if (G->cap == 0) return 0;
    if (G->dirty) sam_rebuild(G);
    return G->fw[(by_answer ? G->cap + 1 : 0) + G->cap]; /* cap is a power of two: the root */
}

int com_propose(com_t *m, int g, int not, int by_answer, gsl_rng *r)
{
    group *G = &m->grp[g];
    double tot = com_bound_total(m, g, by_answer);
    if (!(tot > 0)) return -1;
    /* descend the tree: the leftover of u is uniform on [0, bound_j), so it
     * also serves as the acceptance draw */
    const double *f = G->fw + (by_answer ? G->cap + 1 : 0);
    double u = gsl_rng_uniform(r) * tot;
    int pos = 0;
    for (int step = G->cap; step > 0; step >>= 1)
        if (pos + step <= G->cap && f[pos + step] <= u) {
            pos += step;
            u -= f[pos];
        }
    if (pos >= G->n) return -1; /* rounding at the top end */
    int j = G->idx[pos];
    if (j == not) return -1;
    if (u < com_weight(m, j, by_answer)) return j;
    com_touch(m, j); /* rejected: tighten its bound to now */
    return -1;
}

double com_weight_total(com_t *m, int g, int not, int by_answer)
{
    group *G = &m->grp[g];
    G->dirty = 1; /* the touches below only write the bounds */
    double total = 0;
    for (int k = 0; k < G->n; k++) {
        com_touch(m, G->idx[k]);
        if (G->idx[k] != not) total += com_weight(m, G->idx[k], by_answer);
    }
    sam_rebuild(G);
    return total;
}

int com_pick(com_t *m, int g, int not, int by_answer, gsl_rng *r)
{
    for (int t = 0; t < COM_SAM_TRIES; t++) {
        if (!(com_bound_total(m, g, by_answer) > 0)) break;
        int j = com_propose(m, g, not, by_answer, r);
        if (j >= 0) return j;
    }
    /* the exact scan (also when the bounds sum to nothing) */
    group *G = &m->grp[g];
    double total = com_weight_total(m, g, not, by_answer);
    if (total <= 0) return -1;
    double u = gsl_rng_uniform(r) * total, acc = 0;
    int lastok = -1;
    for (int k = 0; k < G->n; k++) {
        int j = G->idx[k];
        if (j == not) continue;
        double w = com_weight(m, j, by_answer);
        if (w <= 0) continue;
        lastok = j;
        acc += w;
        if (u < acc) return j;
    }
    return lastok; /* rounding at the top end */
}

/* --- arrivals --- */

/* Time to the next join candidate: Poisson at joins.rate, or with
 * joins.profile at rate x the activity's maximum, thinned in on_join by
 * the activity then (a Poisson process following the profile). */
static double join_gap(com_t *m)
{
    const com_params *p = &m->p;
    return gsl_ran_exponential(m->joins, DAY / (p->joins.profile ? p->joins.rate * m->act_max : p->joins.rate));
}

static void on_join(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    const com_params *p = &m->p;
    if (p->joins.profile && gsl_rng_uniform(m->joins) * m->act_max >= com_activity(m, ev->t)) {
        if (!sim_schedule(s, join_gap(m), PRIO_MEMBER, on_join, m, 0, 0, 0)) com_fail(m, "engine: %s", sim_errmsg(s));
        return;
    }
    int g = com_join_target(m, m->ngrp - 1);
    double uqr = gsl_rng_uniform(m->joins);
    int kind;
    double fit;
    if (g >= 0 && rules_admit(m, m->joins, &kind, &fit) == 0) {
        ev_source src = uqr < p->joins.qr_share ? SRC_QR : SRC_ORGANIC;
        /* QR codes: only below the platform's size limit and while valid */
        if (src == SRC_QR && (m->grp[g].n >= p->rules.qr_max_members || ev->t > m->grp[g].qr_valid_until)) {
            /* the joiner cannot scan in: lost */
        } else {
            int i = com_add_member(m, g, ROLE_MEMBER, src, -1, kind);
            if (i < 0) return;
            m->mem[i].fit = fit;
            if (kind == MK_NORMAL) { /* fit shapes the newcomer's engagement */
                double e = m->mem[i].eng * (0.5 + fit);
                m->mem[i].eng = e > 1 ? 1 : e;
                com_touch(m, i);
            }
            m->st.joins++;
            com_emit(m, EV_JOIN, i, g, -1, src);
            roles_on_join(m, i);
            culture_on_join(m, i);
            schedule_post(m, i, ev->t);
            if (p->members.first_post > 0 && gsl_rng_uniform(m->joins) < p->members.first_post && m->mem[i].state != ST_LEFT)
                com_message(m, EV_MESSAGE, i, -1, -1, 0, 1.0); /* says hello */
        }
    }
    if (!sim_schedule(s, join_gap(m), PRIO_MEMBER, on_join, m, 0, 0, 0))
        com_fail(m, "engine: %s", sim_errmsg(s));
}

void com_start_posting(com_t *m, int i) { schedule_post(m, i, sim_now(m->sim)); }

/* --- silent attrition ---
 *
 * Real groups rarely record leaves: members go quiet.  As in the BG/BB
 * model (Fader, Hardie and Shang 2010), at the start of each day a member
 * goes quiet for good with its own probability drop_p (Beta across
 * members); a quiet member stays a member, reads, and no longer posts or
 * replies.  Forecasts start members that may already have gone quiet
 * (com_init_member.gone, models/state.c). */

void com_go_quiet(com_t *m, int i)
{
    member *x = &m->mem[i];
    x->rate = x->reply_w = x->post_factor = 0;
    if (x->next_post) sim_cancel(m->sim, x->next_post);
    x->next_post = 0;
    if (x->state != ST_LEFT) com_touch(m, i);
}

static void attrition_day(com_t *m, int64_t day)
{
    if (!com_open_day(m->p.cadence.weekly.v, (int)(((day + m->cal->start_wday) % 7 + 7) % 7))) return; /* a day the group rests */
    for (int i = 0; i < m->n; i++) {
        member *x = &m->mem[i];
        if (x->drop_p <= 0 || x->state == ST_LEFT || x->rate <= 0) continue;
        if (gsl_rng_uniform(com_scratch(m, FAM_ATTRITION, (uint32_t)i, (uint64_t)day)) < x->drop_p) com_go_quiet(m, i);
    }
}

/* A group's level on a day: Gamma(1/cv^2, cv^2), mean 1, from (group, day),
 * times its level over the run, lognormal of mean 1 and sd level_sd on the
 * log scale, drawn once from (group, counter 2^40); both shared by the arms
 * and kept for the day's later posts. */
double com_level(com_t *m, int g, int64_t day)
{
    group *G = &m->grp[g];
    if (!m->level) return 1;
    if (G->lvl_day != day) {
        const com_params *p = &m->p;
        uint64_t st = rng_seed(m->seed, m->rep, RNG_STREAM(FAM_LEVEL, (uint32_t)g));
        double f = 1;
        if (p->cadence.day_cv > 0) {
            double cv = p->cadence.day_cv, k = 1 / (cv * cv);
            rng_reseed(m->level, st, (uint64_t)(day < 0 ? 0 : day), 0);
            f = gsl_ran_gamma(m->level, k, 1 / k);
        }
        if (p->cadence.level_sd > 0) {
            if (!(G->run_lvl > 0)) {
                double sd = p->cadence.level_sd;
                rng_reseed(m->level, st, (uint64_t)1 << 40, 0);
                G->run_lvl = exp(sd * gsl_ran_ugaussian(m->level) - sd * sd / 2);
            }
            f *= G->run_lvl;
        }
        G->lvl = f;
        G->lvl_day = day;
    }
    return G->lvl;
}

/* --- the day tick --- */

static void on_day(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    const com_params *p = &m->p;
    int64_t day = ev->a;
    m->day = day;
    m->op_count = 0;
    /* realign the burst stream every day (common random numbers across arms) */
    rng_reseed(m->talk, rng_seed(m->seed, m->rep, RNG_STREAM(FAM_REPLY, 0)), (uint64_t)day, 0);
    for (int g = 0; g < m->ngrp; g++) {
        group *G = &m->grp[g];
        G->msgs_prev = G->msgs_today;
        G->ntoday = 0;
        G->load_prev = G->load_today;
        G->msgs_today = G->load_today = 0;
        int sp = 0;
        for (int k = 0; k < G->n; k++)
            if (m->spoke_day[G->idx[k]] == (uint32_t)day) sp++; /* spoke on day-1 */
        G->speakers_prev = sp;
    }
    if (p->members.rejoin_rate > 0) { /* former members come back at the day's start */
        double a = p->members.rejoin_shape, b = a / p->members.rejoin_rate, h = -expm1(-p->members.rejoin_rate), now = sim_now(m->sim);
        for (int i = 0; i < m->n; i++) {
            member *x = &m->mem[i];
            if (x->state != ST_LEFT || x->role != ROLE_MEMBER || x->kind == MK_SPAMMER) continue;
            /* with differing hazards, a member's is its gamma posterior given
             * its own absences, this one's days so far included */
            if (a > 0) h = -expm1(-(a + x->rj_k) / (b + x->rj_t + (now - x->left_t) / 86400));
            if (gsl_rng_uniform(com_scratch(m, FAM_REJOIN, (uint32_t)i, (uint64_t)day)) < h) rejoin(m, i);
        }
    }
    for (int i = 0; i < m->n; i++) {
        member *x = &m->mem[i];
        x->sent_today = 0;
        if (x->state == ST_LEFT || x->role != ROLE_MEMBER || x->kind == MK_SPAMMER) continue;
        double e = com_eng(m, i);
        gsl_rng *r = com_scratch(m, FAM_CHURN, (uint32_t)i, (uint64_t)day);
        double u_leave = gsl_rng_uniform(r), u_mute = gsl_rng_uniform(r);
        /* relative overload of yesterday: what was read beyond tolerance */
        double over = 0;
        if (x->state != ST_MUTED && day > 0) {
            double load = m->grp[x->group].load_prev;
            over = load > x->tol ? (load - x->tol) / x->tol : 0;
        }
        double h = p->members.leave_rate * (1 - e) * (1 - e) * x->leave_w + p->members.overload_leave * over;
        if (u_leave < -expm1(-h)) {
            com_leave(m, i, 0);
            continue;
        }
        if (over > 0 && u_mute < -expm1(-p->members.mute_rate * over)) com_mute(m, i);
        if (x->state == ST_ACTIVE && e < p->members.silent_below) {
            x->state = ST_SILENT;
            com_emit(m, EV_SILENT, i, x->group, -1, e);
        }
    }
    if (p->members.drop_a > 0 || m->p.init) attrition_day(m, day);
    rules_day(m, day);
    invite_day(m, day);
    culture_day(m, day);
    roles_day(m, day);
    op_day(m, day);
    campaigns_day(m, day);
    if (!sim_schedule(s, DAY, PRIO_DAY, on_day, m, day + 1, 0, 0)) com_fail(m, "engine: %s", sim_errmsg(s));
}

/* --- lifecycle --- */

int com_new(com_t **out, const com_params *p, sim_t *sim, const cal *c,
            uint64_t seed, uint64_t rep, const ev_sink *sink, char *err, size_t errlen)
{
    *out = NULL;
    if (com_validate(p, err, errlen) != 0) return -1;
    com_t *m = calloc(1, sizeof *m);
    if (!m) { snprintf(err, errlen, "out of memory"); return -1; }
    m->p = *p;
    m->sim = sim;
    m->cal = c;
    m->seed = seed;
    m->rep = rep;
    if (sink) m->sink = *sink;
    m->cap = p->group.cap + 16;
    if (p->group.count > 1 && !p->init) /* room for every starting member (<= 5e7): no doubling of a large array */
        m->cap = p->group.count * p->group.size + 16;
    m->mem = malloc((size_t)m->cap * sizeof *m->mem);
    m->spoke_day = malloc((size_t)m->cap * sizeof *m->spoke_day);
    m->scratch = gsl_rng_alloc(gsl_rng_taus2);
    if (p->cadence.day_cv > 0 || p->cadence.level_sd > 0) m->level = gsl_rng_alloc(gsl_rng_taus2);
    m->joins = rng_new(NULL, seed, rep, RNG_STREAM(FAM_JOIN, 0));
    m->talk = rng_new(NULL, seed, rep, RNG_STREAM(FAM_REPLY, 0));
    if (!m->mem || !m->spoke_day || !m->scratch || !m->joins || !m->talk || ((p->cadence.day_cv > 0 || p->cadence.level_sd > 0) && !m->level) || new_group(m) < 0) {
        com_free(m);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    m->daily_max = vec_max(&p->cadence.daily);
    m->daily_mean = vec_mean(&p->cadence.daily);
    m->weekly_max = vec_max(&p->cadence.weekly);
    m->weekly_mean = vec_mean(&p->cadence.weekly);
    m->act_max = (m->daily_max / m->daily_mean) * (m->weekly_max / m->weekly_mean);
    for (int wd = 0; wd < 7; wd++) {
        m->act_cum[wd][0] = 0;
        for (int h = 0; h < 24; h++) {
            m->act[wd][h] = (p->cadence.daily.v[h] / m->daily_mean) * (p->cadence.weekly.v[wd] / m->weekly_mean);
            m->act_cum[wd][h + 1] = m->act_cum[wd][h] + m->act[wd][h] * HOUR;
        }
    }
    if (gsl_rng_taus2->size > sizeof m->mem[0].post_st) { /* the inline posting streams (com_post_rng) */
        com_free(m);
        snprintf(err, errlen, "internal: this GSL's taus2 state (%zu bytes) does not fit a member record", gsl_rng_taus2->size);
        return -1;
    }
    *out = m;
    return 0;
}

static int schedule_first(com_t *m)
{
    const com_params *p = &m->p;
    for (int i = 0; i < m->n; i++) schedule_post(m, i, 0.0);
    if (!sim_schedule_at(m->sim, 0.0, PRIO_DAY, on_day, m, 0, 0, 0)) return com_fail(m, "engine: %s", sim_errmsg(m->sim));
    if (p->joins.rate > 0 &&
        !sim_schedule(m->sim, join_gap(m), PRIO_MEMBER, on_join, m, 0, 0, 0))
        return com_fail(m, "engine: %s", sim_errmsg(m->sim));
    return m->failed ? -1 : 0;
}

/* The members of an observed state (forecasts): each with its role, join
 * time, engagement (belonging the same, so it relaxes back there) and a
 * posting rate drawn from its own posterior. */
static int start_from(com_t *m, const com_init *in)
{
    for (int j = 0; j < in->n; j++)
        if (add_member(m, 0, (ev_role)in->m[j].role, (ev_source)in->m[j].source, -1, MK_NORMAL, &in->m[j]) < 0) return -1;
    roles_start(m);
    return schedule_first(m);
}

int com_start(com_t *m)
{
    const com_params *p = &m->p;
    int a = p->group.admins, k = p->group.kols, b = p->group.bots;
    if (p->init) return start_from(m, p->init);
    for (int i = 0; i < p->group.size; i++) {
        ev_role role = i == 0 ? ROLE_OWNER : i <= a ? ROLE_ADMIN : i <= a + k ? ROLE_KOL
                     : i <= a + k + b ? ROLE_BOT : ROLE_MEMBER;
        if (com_add_member(m, 0, role, SRC_SEED, -1, MK_NORMAL) < 0) return -1;
    }
    /* helpers are ordinary members who answer more: the first group.helpers
     * after the staff (roles.c) */
    /* group.count > 1: more groups at the start, filled with ordinary seed
     * members.  They have no staff of their own, as the groups the live code
     * opens: group 0's owner posts the operator's content and its admins
     * welcome and moderate everywhere (roles.c, operator.c). */
    for (int g = 1; g < p->group.count; g++) {
        if (new_group(m) != g) return com_fail(m, "out of memory");
        for (int i = 0; i < p->group.size; i++)
            if (com_add_member(m, g, ROLE_MEMBER, SRC_SEED, -1, MK_NORMAL) < 0) return -1;
    }
    roles_start(m);
    return schedule_first(m);
}

int com_finish(com_t *m) { return m->failed ? -1 : 0; }
const char *com_errmsg(const com_t *m) { return m->err; }

void com_free(com_t *m)
{
    if (!m) return;
    for (int g = 0; g < m->ngrp; g++) {
        free(m->grp[g].idx);
        free(m->grp[g].ub);
        free(m->grp[g].fw);
        free(m->grp[g].today);
    }
    for (int c = 0; c < CAMP_MAX; c++) free(m->cstate[c]);
    free(m->seen);
    free(m->grp);
    free(m->mem);
    free(m->spoke_day);
    gsl_rng_free(m->scratch);
    if (m->level) gsl_rng_free(m->level);
    gsl_rng_free(m->joins);
    gsl_rng_free(m->talk);
    free(m);
}

void com_get_stats(const com_t *m, com_stats *out) { *out = m->st; }
