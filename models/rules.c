/* rules.c -- group rules and platform limits: admission (open, or a
 * questionnaire that screens out low-fit joiners), spammers and the ban on
 * ads (detection probability and delay), a per-member daily message cap,
 * the violation ladder (warn, mute, remove), QR codes (joining only below
 * 200 members, a code valid 7 days, refreshed by the operator), recalls
 * within the 2-minute window, and overflow into a new group ("live code"). */
#include "com_internal.h"

#include <math.h>

#include <gsl/gsl_randist.h>

static const char *const admission_names[] = {"open", "questionnaire", NULL};

const opt_row rules_opts[] = {
    ROW_E("rules.admission", rules.admission, 0, admission_names, "open (invite / QR) or questionnaire screening"),
    ROW_D("rules.screen_below", rules.screen_below, 0.3, 0, 1, "", "screening rejects joiners whose fit is below this"),
    ROW_D("rules.spam_share", rules.spam_share, 0.0, 0, 1, "", "share of joiners who are spammers"),
    ROW_D("rules.spam_rate", rules.spam_rate, 5, 0, 1000, "1/day", "ads per day of a spammer"),
    ROW_D("rules.ad_annoyance", rules.ad_annoyance, 0.02, 0, 1, "", "engagement lost by each reader of an ad"),
    ROW_B("rules.ad_ban", rules.ad_ban, 1, "admins enforce the ban on ads"),
    ROW_D("rules.detect_prob", rules.detect_prob, 0.7, 0, 1, "", "probability a violation is detected"),
    ROW_D("rules.detect_delay", rules.detect_delay, 60, 0.01, 100000, "min", "mean delay of detection"),
    ROW_I("rules.cap_per_day", rules.cap_per_day, 0, 0, 100000, "msgs", "per-member daily message cap (0 off)"),
    ROW_V("rules.actions", rules.actions, "0,1,2", 0, 0, 2, "", "action per violation count: 0 warn, 1 mute, 2 remove"),
    ROW_D("rules.warn_effect", rules.warn_effect, 0.5, 0, 1, "", "posting factor of a violator after a warning"),
    ROW_I("rules.qr_max_members", rules.qr_max_members, 200, 0, 500, "members", "QR joining only below this size (WeChat: 200)"),
    ROW_D("rules.qr_valid_days", rules.qr_valid_days, 7, 0, 3650, "days", "a QR code is valid this long (WeChat: 7)"),
    ROW_D("rules.qr_refresh_days", rules.qr_refresh_days, 7, 0, 3650, "days", "the operator posts a new code every N days (0 never)"),
    ROW_B("rules.invite_confirm", rules.invite_confirm, 0, "ordinary members' invitations need an admin's approval"),
    ROW_D("rules.approve_prob", rules.approve_prob, 0.9, 0, 1, "", "probability an invitation is approved"),
    ROW_D("rules.approve_delay", rules.approve_delay, 2, 0, 1000, "h", "mean delay of the approval"),
    ROW_D("rules.recall_prob", rules.recall_prob, 0.0, 0, 1, "", "share of messages recalled by their author"),
    ROW_D("rules.recall_window", rules.recall_window, 120, 0, 86400, "s", "recall window (WeChat: 2 minutes)"),
    ROW_B("rules.overflow", rules.overflow, 0, "a full group opens a new one (live code); community of several groups"),
    ROW_I("rules.max_groups", rules.max_groups, 20, 1, 100000, "groups", "limit on the community's groups"),
    ROW_END,
};

int rules_admit(com_t *m, gsl_rng *r, int *kind, double *fit)
{
    const com_params *p = &m->p;
    double u = gsl_rng_uniform(r), f = gsl_rng_uniform(r);
    *kind = u < p->rules.spam_share ? MK_SPAMMER : MK_NORMAL;
    /* spammers fit badly: their answers to a questionnaire give them away */
    *fit = *kind == MK_SPAMMER ? 0.3 * f : f;
    if (p->rules.admission == 1 && *fit < p->rules.screen_below) return -1;
    return 0;
}

static void violation(com_t *m, int i)
{
    member *x = &m->mem[i];
    if (x->state == ST_LEFT) return;
    const opt_vec *a = &m->p.rules.actions;
    int k = x->violations < a->n ? x->violations : a->n - 1;
    int action = (int)a->v[k];
    x->violations++;
    m->st.violations++;
    com_emit(m, EV_VIOLATION, i, x->group, -1, action);
    if (action == 0) x->post_factor *= m->p.rules.warn_effect;
    else if (action == 1) { x->post_factor = 0; x->muted_by_admin = 1; com_touch(m, i); /* no longer a responder */ }
    else { m->st.removals++; com_leave(m, i, 1); }
}

static void on_detect(sim_t *s, const sim_event *ev)
{
    (void)s;
    violation(ev->ctx, (int)ev->a);
}

static void on_recall(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    int i = (int)ev->a;
    (void)s;
    if (m->mem[i].state != ST_LEFT) com_emit(m, EV_RECALL, i, m->mem[i].group, ev->b, 0);
}

void rules_on_message(com_t *m, int i, int64_t id)
{
    const com_params *p = &m->p;
    member *x = &m->mem[i];
    gsl_rng *r = NULL;
    if (x->kind == MK_SPAMMER) {
        m->st.spam++;
        group *G = &m->grp[x->group];
        if (p->rules.ad_annoyance > 0) com_group_dirty(m, x->group); /* every reader: one O(n) rebuild */
        if (p->rules.ad_annoyance > 0)
            for (int k = 0; k < G->n; k++)
                if (G->idx[k] != i && m->mem[G->idx[k]].state != ST_MUTED) com_hurt(m, G->idx[k], p->rules.ad_annoyance);
        if (p->rules.ad_ban) {
            r = com_scratch(m, FAM_RULES, (uint32_t)i, (uint64_t)id);
            if (gsl_rng_uniform(r) < p->rules.detect_prob &&
                !sim_schedule(m->sim, gsl_ran_exponential(r, p->rules.detect_delay * 60.0), PRIO_MEMBER, on_detect, m, i, 0, 0))
                com_fail(m, "engine: %s", sim_errmsg(m->sim));
        }
        return;
    }
    if (p->rules.cap_per_day > 0 && x->role == ROLE_MEMBER && x->sent_today == p->rules.cap_per_day + 1) violation(m, i);
    if (p->rules.recall_prob > 0 && x->role == ROLE_MEMBER) {
        r = com_scratch(m, FAM_RULES, (uint32_t)i, (uint64_t)id);
        if (gsl_rng_uniform(r) < p->rules.recall_prob &&
            !sim_schedule(m->sim, gsl_rng_uniform(r) * p->rules.recall_window, PRIO_MEMBER, on_recall, m, i, id, 0))
            com_fail(m, "engine: %s", sim_errmsg(m->sim));
    }
}


void rules_day(com_t *m, int64_t day)
{
    const com_params *p = &m->p;
    if (p->rules.qr_refresh_days > 0 && day > 0 && fmod((double)day, p->rules.qr_refresh_days) == 0)
        for (int g = 0; g < m->ngrp; g++) m->grp[g].qr_valid_until = sim_now(m->sim) + p->rules.qr_valid_days * DAY;
}
