/* metrics.c -- the metric catalogue (analysis/METRICS.md) over a stream of events.
 *
 * Per event: two array reads find the membership (the person by member id,
 * then the person's memberships, the last used first), a few counter
 * increments.  Member and group ids are dense in a simulation, so they index
 * arrays; ids far beyond the count seen (an imported log's) go to a hash.  State: per membership and per person one byte per local day
 * (messages sent that day, saturating at 255), per group a row of counters per
 * day.  Everything else (members present, retention, ...) is computed once in
 * met_finish().  Memory grows with members x days (plus 8 bytes per answered
 * question for the response quantiles, and a day of pending questions),
 * never with other events.
 */
#include "metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400

/* ---- the catalogue: names in emission order (METRICS.md has the same order) ---- */

enum daily_metric {
    D_DAU, D_MESSAGES, D_INTERACTIONS, D_MEMBERS, D_JOINS, D_LEAVES, D_MUTES,
    D_RET1, D_RET7, D_RET30, D_NEWRET1, D_NEWRET7, D_HEAVY30,
    D_QUESTIONS, D_INVITES, D_SHARES, D_UGC, D_PURCHASES,
    D_COUNT
};
static const char *const daily_names[D_COUNT] = {
    "dau", "messages", "interactions", "members", "joins", "leaves", "mutes",
    "retention_1d", "retention_7d", "retention_30d", "new_retention_1d", "new_retention_7d",
    "heavy_30d",
    "questions", "invites", "shares", "ugc", "purchases",
};

enum summary_metric {
    S_DAU_MEAN, S_MESSAGES_PER_DAY, S_INTERACTIONS_PER_DAY,
    S_MEMBERS_END, S_MEMBERS_EVER, S_JOINS, S_LEAVES, S_MUTES,
    S_RET1, S_RET7, S_RET30, S_NEWRET1, S_NEWRET7,
    S_HEAVY, S_HEAVY_MEAN, S_ACTIVE_SHARE, S_ANNUAL,
    S_QUESTIONS, S_RESP_MEDIAN, S_RESP_P90, S_UNANSWERED,
    S_ANS_MEDIAN, S_ANS_P90, S_ANS_UNANSWERED,
    S_EXPOSED, S_PARTICIPANTS, S_PARTICIPATION, S_COMPLETION, S_SHARE_RATE,
    S_PURCHASERS, S_PURCHASE_RATE, S_PURCHASES, S_ORDER_VALUE,
    S_SHARES, S_SHARES_PER_ITEM, S_INVITES, S_REFERRAL_SHARE, S_REFF,
    S_UGC, S_UGC_PER_DAY,
    S_COUNT
};
static const char *const summary_names[S_COUNT] = {
    "dau_mean", "messages_per_day", "interactions_per_day",
    "members_end", "members_ever", "joins", "leaves", "mutes",
    "retention_1d", "retention_7d", "retention_30d", "new_retention_1d", "new_retention_7d",
    "heavy_speakers", "heavy_speakers_mean", "active_share", "annual_activity",
    "questions", "response_median", "response_p90", "unanswered_24h",
    "answer_median", "answer_p90", "unanswered_answer_24h",
    "exposed", "participants", "participation", "completion", "share_rate",
    "purchasers", "purchase_rate", "purchases", "order_value",
    "shares", "shares_per_item", "invites", "referral_share", "r_eff",
    "ugc", "ugc_per_day",
};

/* Per group, per day integer counters (streamed, or filled in at finish). */
enum counter {
    C_DAU, C_MESSAGES, C_INTERACTIONS, C_MEMBERS, C_JOINS, C_LEAVES, C_MUTES,
    C_COH, C_R1, C_R7, C_R30,          /* speaker cohort of the day and its returners */
    C_NCOH, C_N1, C_N7,                /* joiner cohort of the day and its speakers */
    C_HELIG, C_HEAVY,                  /* 30-day window ending that day: eligible, heavy */
    C_QUESTIONS, C_INVITES, C_SHARES, C_UGC, C_PURCHASES,
    C_ITEMS,                           /* content items: post, announce, submission */
    C_COUNT
};

/* Retention horizons, in days, for C_R1.. and C_N1.. */
static const int ret_h[3] = {1, 7, 30};
static const int new_h[2] = {1, 7};

#define HEAVY_WINDOW 30   /* days */
#define HEAVY_MIN 50      /* more than this many messages in the window */
#define REFF_DAYS 30      /* invitation follow-up of r_eff */
#define YEAR_DAYS 365     /* annual_activity */
#define RESP_LIMIT DAY    /* a question's follow-up for the response metrics */

/* Distinct-member flags (per membership and per person). */
enum { F_EXPOSED = 1, F_PART = 2, F_COMPLETE = 4, F_SHARED = 8, F_PURCHASED = 16 };

typedef struct question {
    int64_t ts, asker, id;
} question;

/* Questions waiting for their first answer under one rule, and the response
 * times (s) of the eligible questions answered within 24 h.  Pending entries
 * older than 24 h are dropped when the list would grow, so it holds at most
 * a day of questions. */
typedef struct responder {
    question *pend;
    int npend, pendcap;
    int64_t *rt;
    int64_t nrt, rtcap;
    int64_t q_elig;       /* questions whose 24 h follow-up lies inside the window */
} responder;

enum { R_FIRST, R_LINKED, R_COUNT }; /* first message by someone else; linked answer */

typedef struct mgroup {
    int32_t id;        /* 0 = community total */
    int64_t *cnt;      /* ndays x C_COUNT */
    double *daily;     /* ndays x D_COUNT, at finish */
    double sum[S_COUNT];
    double order_value;   /* sum of purchase values */
    responder resp[R_COUNT];
} mgroup;

/* One join-leave interval of a membership (ev_member.spell).  Spells are
 * disjoint and in time order, so their day ranges [lo, hi) are too. */
typedef struct spell_t {
    int64_t inviter_id;
    int64_t joined_ts, left_ts;  /* left_ts -1 while a member */
    int32_t next;                /* index of the next spell in met.xs, -1 none */
    int16_t source;              /* SRC_SEED: a founder, not a join */
} spell_t;

typedef struct mship {
    int64_t member_id;
    spell_t sp;                  /* the first spell; later ones chained in met.xs */
    int32_t nsp;                 /* spells declared */
    int32_t gi;                  /* index into groups (>= 1) */
    int32_t person;              /* index into persons */
    int32_t pnext;               /* the person's next membership, -1 none */
    int16_t role;
    uint8_t declared;            /* seen through met_member (counts as a member) */
    uint8_t counted;             /* not a bot, or count_bots */
    uint8_t flags;               /* F_* */
} mship;

/* Open-addressing hash for sparse ids: (ns, key) -> index.  ns 0 = group,
 * 1 = person. */
typedef struct hslot {
    int64_t key;
    int32_t ns;
    int32_t val; /* -1 = empty */
} hslot;

struct met {
    met_opts o;
    int64_t day0;      /* unix day number (of local dates) of day index 0 */
    int64_t s0;        /* unix seconds of local midnight starting day 0 */
    int nd;
    int64_t last_ts;
    int finished;      /* 0 open, 1 finished, 2 met_finish failed */
    int over;          /* MET_MAX_BYTES refused a table: err says so */
    char err[160];

    hslot *tab;
    size_t tcap, tn;
    int32_t *gdir;     /* group id -> index, -1 none (ids below gdircap) */
    int64_t gdircap;
    int32_t *pdir;     /* member id -> person index, -1 none (ids below pdircap) */
    int64_t pdircap;
    int32_t *phead;    /* per person: the membership used last, -1 none */
    int phcap;

    mgroup *groups;    /* [0] = community total */
    int ng, gcap;

    mship *ms;
    int nms, mcap;
    spell_t *xs;       /* second and later spells of rejoining members */
    int nxs, xcap;
    uint8_t *mcount;   /* nms x nd: messages of the membership that day (sat. 255) */

    int np, pcap;
    uint8_t *pcount;   /* np x nd: messages of the person that day, all groups */
    uint8_t *pflags;   /* np: F_* over all groups */
    int pfcap;

    int32_t *gorder;   /* group indices sorted by id (at finish) */
};

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Local day index of ts. */
static int64_t day_of(const met_t *m, int64_t ts)
{
    return floor_div(ts + m->o.utc_offset, DAY) - m->day0;
}

static void seterr(met_t *m, const char *msg)
{
    snprintf(m->err, sizeof m->err, "%s", msg);
}

/* ---- hash ---- */

static uint64_t mix(int64_t key, int32_t ns)
{
    uint64_t z = (uint64_t)key + 0x9e3779b97f4a7c15ULL * (uint64_t)(ns + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int h_find(const met_t *m, int32_t ns, int64_t key)
{
    size_t mask = m->tcap - 1, i = (size_t)mix(key, ns) & mask;
    for (;;) {
        const hslot *s = &m->tab[i];
        if (s->val < 0) return -1;
        if (s->key == key && s->ns == ns) return s->val;
        i = (i + 1) & mask;
    }
}

static void h_put_raw(hslot *tab, size_t cap, int32_t ns, int64_t key, int32_t val)
{
    size_t mask = cap - 1, i = (size_t)mix(key, ns) & mask;
    while (tab[i].val >= 0) i = (i + 1) & mask;
    tab[i].key = key;
    tab[i].ns = ns;
    tab[i].val = val;
}

static int h_put(met_t *m, int32_t ns, int64_t key, int32_t val)
{
    if ((m->tn + 1) * 2 > m->tcap) {
        size_t ncap = m->tcap * 2;
        hslot *nt = malloc(ncap * sizeof *nt);
        if (!nt) return -1;
        for (size_t i = 0; i < ncap; i++) nt[i].val = -1;
        for (size_t i = 0; i < m->tcap; i++)
            if (m->tab[i].val >= 0) h_put_raw(nt, ncap, m->tab[i].ns, m->tab[i].key, m->tab[i].val);
        free(m->tab);
        m->tab = nt;
        m->tcap = ncap;
    }
    h_put_raw(m->tab, m->tcap, ns, key, val);
    m->tn++;
    return 0;
}

/* ---- direct tables ---- */

/* Index of key in dir (then in the hash namespace ns), or -1. */
static int dir_find(const met_t *m, const int32_t *dir, int64_t cap, int32_t ns, int64_t key)
{
    if (key >= 0 && key < cap && dir[key] >= 0) return dir[key];
    return m->tn ? h_find(m, ns, key) : -1;
}

/* Record key -> val: in dir if key is below its capacity or near enough the
 * count n to grow it (dense ids), else in the hash.  -1 on ENOMEM. */
static int dir_put(met_t *m, int32_t **dir, int64_t *cap, int64_t n, int32_t ns, int64_t key,
                   int32_t val)
{
    if (key >= 0 && key >= *cap && key < 2 * n + 65536 && key < INT32_MAX) {
        int64_t nc = *cap ? *cap : 1024;
        while (nc <= key) nc *= 2;
        int32_t *nd = realloc(*dir, (size_t)nc * sizeof *nd);
        if (!nd) return -1;
        for (int64_t i = *cap; i < nc; i++) nd[i] = -1;
        *dir = nd;
        *cap = nc;
    }
    if (key >= 0 && key < *cap) { (*dir)[key] = val; return 0; }
    return h_put(m, ns, key, val);
}

static int group_find(const met_t *m, int32_t id)
{
    return dir_find(m, m->gdir, m->gdircap, 0, id);
}

static int person_find(const met_t *m, int64_t member_id)
{
    return dir_find(m, m->pdir, m->pdircap, 1, member_id);
}

/* Membership of person p in group gi, or -1.  Moves it to the front of the
 * person's list when mtf (a member speaks in one group at a time). */
static int mship_find(met_t *m, int p, int gi, int mtf)
{
    int prev = -1;
    for (int i = m->phead[p]; i >= 0; prev = i, i = m->ms[i].pnext) {
        if (m->ms[i].gi != gi) continue;
        if (mtf && prev >= 0) {
            m->ms[prev].pnext = m->ms[i].pnext;
            m->ms[i].pnext = m->phead[p];
            m->phead[p] = i;
        }
        return i;
    }
    return -1;
}

/* ---- groups, persons, memberships ---- */

/* The resource guard: 1 (message set) if new_groups more groups or
 * new_rows more person/membership rows would take the per-day tables past
 * MET_MAX_BYTES, else 0. */
static int over_budget(met_t *m, int new_groups, int64_t new_rows)
{
    int64_t nd = m->nd;
    int64_t bytes = ((int64_t)m->ng + new_groups) * nd * C_COUNT * (int64_t)sizeof(int64_t) +
                    ((int64_t)m->pcap + m->mcap + new_rows) * nd;
    int64_t max = m->o.max_bytes > 0 ? m->o.max_bytes : MET_MAX_BYTES;
    if (bytes <= max) return 0;
    snprintf(m->err, sizeof m->err, "memory limit: %d groups and %d members over %d days would need more than %lld MiB "
             "(MET_MAX_BYTES)", m->ng + new_groups, m->np, m->nd, (long long)(max >> 20));
    m->over = 1;
    return 1;
}

static int group_init(met_t *m, mgroup *g, int32_t id)
{
    memset(g, 0, sizeof *g);
    g->id = id;
    g->cnt = calloc((size_t)m->nd * C_COUNT, sizeof *g->cnt);
    return g->cnt ? 0 : -1;
}

/* Index of group id, created if new; -1 on ENOMEM. */
static int group_get(met_t *m, int32_t id)
{
    int gi = group_find(m, id);
    if (gi >= 0) return gi;
    if (over_budget(m, 1, 0)) return -1;
    if (m->ng == m->gcap) {
        int ncap = m->gcap * 2;
        mgroup *ng = realloc(m->groups, (size_t)ncap * sizeof *ng);
        if (!ng) return -1;
        m->groups = ng;
        m->gcap = ncap;
    }
    if (group_init(m, &m->groups[m->ng], id) != 0) return -1;
    if (dir_put(m, &m->gdir, &m->gdircap, m->ng, 0, id, m->ng) != 0) {
        free(m->groups[m->ng].cnt);
        return -1;
    }
    return m->ng++;
}

static int grow_rows(uint8_t **rows, int *cap, int need, int nd)
{
    if (need <= *cap) return 0;
    int ncap = *cap ? *cap * 2 : 64;
    while (ncap < need) ncap *= 2;
    uint8_t *nr = realloc(*rows, (size_t)ncap * (size_t)nd);
    if (!nr) return -1;
    memset(nr + (size_t)*cap * (size_t)nd, 0, (size_t)(ncap - *cap) * (size_t)nd);
    *rows = nr;
    *cap = ncap;
    return 0;
}

static int person_get(met_t *m, int64_t member_id)
{
    int p = person_find(m, member_id);
    if (p >= 0) return p;
    if (m->np == m->pcap && over_budget(m, 0, m->pcap ? m->pcap : 64)) return -1;
    if (grow_rows(&m->pcount, &m->pcap, m->np + 1, m->nd) != 0) return -1;
    if (grow_rows(&m->pflags, &m->pfcap, m->np + 1, 1) != 0) return -1;
    if (m->np == m->phcap) {
        int nc = m->phcap ? 2 * m->phcap : 64;
        int32_t *nh = realloc(m->phead, (size_t)nc * sizeof *nh);
        if (!nh) return -1;
        m->phead = nh;
        m->phcap = nc;
    }
    if (dir_put(m, &m->pdir, &m->pdircap, m->np, 1, member_id, m->np) != 0) return -1;
    m->phead[m->np] = -1;
    return m->np++;
}

/* Index of the membership (gi, member_id), created (undeclared, role member)
 * if new; -1 on ENOMEM. */
static int mship_get(met_t *m, int gi, int64_t member_id)
{
    int p = person_get(m, member_id); /* a new person has no membership yet */
    if (p < 0) return -1;
    int i = mship_find(m, p, gi, 1);
    if (i >= 0) return i;
    if (m->nms == m->mcap && over_budget(m, 0, m->mcap ? m->mcap : 64)) return -1;
    if (m->nms == m->mcap) {
        int oldcap = m->mcap;
        if (grow_rows(&m->mcount, &m->mcap, m->nms + 1, m->nd) != 0) return -1;
        mship *nm = realloc(m->ms, (size_t)m->mcap * sizeof *nm);
        if (!nm) { m->mcap = oldcap; return -1; }
        m->ms = nm;
    }
    mship *s = &m->ms[m->nms];
    memset(s, 0, sizeof *s);
    s->member_id = member_id;
    s->sp.inviter_id = -1;
    s->sp.joined_ts = INT64_MIN;
    s->sp.left_ts = -1;
    s->sp.next = -1;
    s->sp.source = SRC_SEED;
    s->gi = gi;
    s->person = p;
    s->role = ROLE_MEMBER;
    s->counted = 1;
    s->pnext = m->phead[p];
    m->phead[p] = m->nms;
    return m->nms++;
}

/* ---- public API ---- */

int met_open(met_t **out, const met_opts *o)
{
    *out = NULL;
    if (!o || o->ndays < 1 || o->ndays > 100000 || o->utc_offset < -14 * 3600 ||
        o->utc_offset > 14 * 3600)
        return -1;
    met_t *m = calloc(1, sizeof *m);
    if (!m) return -1;
    m->o = *o;
    m->nd = o->ndays;
    m->day0 = floor_div(o->start_ts + o->utc_offset, DAY);
    m->s0 = m->day0 * DAY - o->utc_offset;
    m->last_ts = INT64_MIN;
    m->tcap = 256;
    m->tab = malloc(m->tcap * sizeof *m->tab);
    m->gcap = 4;
    m->groups = malloc((size_t)m->gcap * sizeof *m->groups);
    if (!m->tab || !m->groups) goto fail;
    for (size_t i = 0; i < m->tcap; i++) m->tab[i].val = -1;
    if (group_init(m, &m->groups[0], 0) != 0) goto fail;
    m->ng = 1;
    if (dir_put(m, &m->gdir, &m->gdircap, 0, 0, 0, 0) != 0) { free(m->groups[0].cnt); goto fail; }
    *out = m;
    return 0;
fail:
    free(m->tab);
    free(m->gdir);
    free(m->groups);
    free(m);
    return -1;
}

void met_close(met_t *m)
{
    if (!m) return;
    for (int i = 0; i < m->ng; i++) {
        free(m->groups[i].cnt);
        free(m->groups[i].daily);
        for (int r = 0; r < R_COUNT; r++) {
            free(m->groups[i].resp[r].pend);
            free(m->groups[i].resp[r].rt);
        }
    }
    free(m->groups);
    free(m->tab);
    free(m->gdir);
    free(m->pdir);
    free(m->phead);
    free(m->ms);
    free(m->xs);
    free(m->mcount);
    free(m->pcount);
    free(m->pflags);
    free(m->gorder);
    free(m);
}

const char *met_errmsg(const met_t *m)
{
    return m ? m->err : "no metrics handle";
}

int met_member(met_t *m, const ev_member *mem)
{
    if (m->finished) { seterr(m, "met_member after met_finish"); return -1; }
    if (mem->group_id < 1) { seterr(m, "group_id must be >= 1 (0 means all groups)"); return -1; }
    if (mem->member_id < 0) { seterr(m, "membership without a member id (ids are >= 0)"); return -1; }
    int gi = group_get(m, mem->group_id);
    if (gi < 0) { if (!m->over) seterr(m, "out of memory"); return -1; }
    int i = mship_get(m, gi, mem->member_id);
    if (i < 0) { if (!m->over) seterr(m, "out of memory"); return -1; }
    mship *s = &m->ms[i];
    if (mem->spell < 0 || mem->spell > s->nsp || (mem->spell > 0 && !s->declared)) {
        snprintf(m->err, sizeof m->err, "member %lld of group %d: spell %d declared before spell %d",
                 (long long)mem->member_id, (int)mem->group_id, (int)mem->spell, (int)s->nsp);
        return -1;
    }
    spell_t *p = &s->sp, *prev = NULL;
    for (int k = 0; k < mem->spell && k < s->nsp; k++) {
        prev = p;
        p = p->next >= 0 ? &m->xs[p->next] : NULL;
    }
    if (mem->spell == s->nsp && s->declared) { /* a new spell: a rejoin */
        if (prev == NULL || prev->next != -1) { seterr(m, "spell chain broken"); return -1; }
        if (prev->left_ts == -1 || mem->joined_ts < prev->left_ts) {
            snprintf(m->err, sizeof m->err, "member %lld of group %d: spell %d joins before spell %d left",
                     (long long)mem->member_id, (int)mem->group_id, (int)mem->spell, (int)mem->spell - 1);
            return -1;
        }
        if (m->nxs == m->xcap) {
            int nc = m->xcap ? 2 * m->xcap : 16;
            spell_t *nx = realloc(m->xs, (size_t)nc * sizeof *nx);
            if (!nx) { seterr(m, "out of memory"); return -1; }
            m->xs = nx;
            m->xcap = nc;
            p = NULL; /* re-found below: xs moved */
        }
        int xi = m->nxs++;
        /* prev may point into xs, which may have moved */
        spell_t *pv = &s->sp;
        while (pv->next >= 0) pv = &m->xs[pv->next];
        pv->next = xi;
        p = &m->xs[xi];
        p->next = -1;
        s->nsp++;
        p->source = (int16_t)mem->source;
        p->inviter_id = mem->inviter_id;
        p->joined_ts = mem->joined_ts;
    } else if (!s->declared) {
        /* an update of a spell keeps its join, as the store's upsert does */
        s->declared = 1;
        s->nsp = 1;
        p->source = (int16_t)mem->source;
        p->inviter_id = mem->inviter_id;
        p->joined_ts = mem->joined_ts;
    }
    s->role = (int16_t)mem->role;
    p->left_ts = mem->left_ts < 0 ? -1 : mem->left_ts;
    s->counted = m->o.count_bots || mem->role != ROLE_BOT;
    return 0;
}

static int add_rt(responder *r, int64_t dt)
{
    if (r->nrt == r->rtcap) {
        int64_t ncap = r->rtcap ? r->rtcap * 2 : 64;
        int64_t *nr = realloc(r->rt, (size_t)ncap * sizeof *nr);
        if (!nr) return -1;
        r->rt = nr;
        r->rtcap = ncap;
    }
    r->rt[r->nrt++] = dt;
    return 0;
}

/* Rule R_FIRST: a counted message by `who` at ts is the first answer to
 * every pending question of someone else asked at an earlier second.
 * Questions more than 24 h old are dropped (unanswered in 24 h). */
static int answer_first(responder *r, int64_t ts, int64_t who)
{
    int keep = 0, rc = 0;
    for (int j = 0; j < r->npend; j++) {
        question q = r->pend[j];
        int64_t dt = ts - q.ts;
        if (dt > RESP_LIMIT) continue;                /* expired, unanswered */
        if (q.asker == who || dt == 0 || rc != 0) { r->pend[keep++] = q; continue; }
        rc = add_rt(r, dt);
        if (rc != 0) r->pend[keep++] = q;
    }
    r->npend = keep;
    return rc;
}

/* Rule R_LINKED: an answer or reply by `who` at ts with ref_id = a pending
 * question's id answers that question, if `who` is not the asker. */
static int answer_linked(responder *r, int64_t ts, int64_t who, int64_t ref)
{
    for (int j = 0; j < r->npend; j++) {
        question q = r->pend[j];
        if (q.id != ref) continue;
        if (q.asker == who || ts - q.ts > RESP_LIMIT) return 0;
        if (add_rt(r, ts - q.ts) != 0) return -1;
        r->pend[j] = r->pend[--r->npend];             /* order does not matter */
        return 0;
    }
    return 0;
}

static int add_question(responder *r, int64_t ts, int64_t who, int64_t id)
{
    if (r->npend == r->pendcap) {
        int keep = 0;                                 /* drop questions > 24 h old */
        for (int j = 0; j < r->npend; j++)
            if (ts - r->pend[j].ts <= RESP_LIMIT) r->pend[keep++] = r->pend[j];
        r->npend = keep;
        if (r->npend * 2 > r->pendcap || r->pendcap == 0) { /* still over half full: grow */
            int ncap = r->pendcap ? r->pendcap * 2 : 16;
            question *np = realloc(r->pend, (size_t)ncap * sizeof *np);
            if (!np) return -1;
            r->pend = np;
            r->pendcap = ncap;
        }
    }
    r->pend[r->npend++] = (question){ts, who, id};
    r->q_elig++;
    return 0;
}

int met_event(met_t *m, const ev_rec *e)
{
    if (m->finished) { seterr(m, "met_event after met_finish"); return -1; }
    if (e->ts < m->last_ts) { seterr(m, "events out of time order"); return -1; }
    m->last_ts = e->ts;
    if (e->kind < 0 || e->kind >= EV_KIND_COUNT) { seterr(m, "unknown event kind"); return -1; }
    if (e->group_id < 1) { seterr(m, "group_id must be >= 1 (0 means all groups)"); return -1; }
    int64_t day = day_of(m, e->ts);
    if (day < 0 || day >= m->nd) return 0;
    int gi = group_get(m, e->group_id); /* any event in the window makes its group known */
    if (gi < 0) goto nomem;
    if (e->member_id < 0 || e->kind == EV_SYSTEM) return 0; /* no actor (-1; the store's NULL) */
    int i = mship_get(m, gi, e->member_id);
    if (i < 0) goto nomem;
    mship *s = &m->ms[i];
    if (!s->counted) return 0;
    mgroup *g = &m->groups[gi];
    int64_t *c = g->cnt + day * C_COUNT;
    uint8_t *pf = &m->pflags[s->person];
    ev_kind k = (ev_kind)e->kind;
    if (ev_kind_is_message(k)) {
        uint8_t *mc = m->mcount + (size_t)i * m->nd + day;
        uint8_t *pc = m->pcount + (size_t)s->person * m->nd + day;
        if (*mc == 0) c[C_DAU]++;
        if (*pc == 0) m->groups[0].cnt[day * C_COUNT + C_DAU]++;
        if (*mc < 255) (*mc)++;
        if (*pc < 255) (*pc)++;
        c[C_MESSAGES]++;
        responder *r = &g->resp[R_FIRST];
        if (r->npend && answer_first(r, e->ts, e->member_id) != 0) goto nomem;
    }
    if (ev_kind_is_interaction(k)) c[C_INTERACTIONS]++;
    switch (k) {
    case EV_QUESTION:
        c[C_QUESTIONS]++;
        /* only questions whose whole 24 h follow-up lies in the window */
        if (e->ts + RESP_LIMIT < m->s0 + (int64_t)m->nd * DAY) {
            if (add_question(&g->resp[R_FIRST], e->ts, e->member_id, e->id) != 0) goto nomem;
            if (e->id >= 0 && add_question(&g->resp[R_LINKED], e->ts, e->member_id, e->id) != 0)
                goto nomem;
        }
        break;
    case EV_ANSWER: case EV_REPLY:
        if (e->ref_id >= 0 && g->resp[R_LINKED].npend &&
            answer_linked(&g->resp[R_LINKED], e->ts, e->member_id, e->ref_id) != 0)
            goto nomem;
        break;
    case EV_POST: case EV_ANNOUNCE: c[C_ITEMS]++; break;
    case EV_SUBMISSION: c[C_ITEMS]++; c[C_UGC]++; break;
    case EV_MUTE: c[C_MUTES]++; break;
    case EV_INVITE: c[C_INVITES]++; break;
    case EV_SHARE: c[C_SHARES]++; s->flags |= F_SHARED; *pf |= F_SHARED; break;
    case EV_EXPOSURE: s->flags |= F_EXPOSED; *pf |= F_EXPOSED; break;
    case EV_PARTICIPATE:
        s->flags |= F_PART | F_EXPOSED;
        *pf |= F_PART | F_EXPOSED;
        break;
    case EV_COMPLETE: s->flags |= F_COMPLETE; *pf |= F_COMPLETE; break;
    case EV_PURCHASE:
        c[C_PURCHASES]++;
        g->order_value += e->value;
        s->flags |= F_PURCHASED;
        *pf |= F_PURCHASED;
        break;
    default: break;
    }
    return 0;
nomem:
    if (!m->over) seterr(m, "out of memory");
    return -1;
}

/* ---- finish ---- */

/* Speaker cohorts of one row of daily message counts: for every active day a,
 * cohort[a]++ and, per horizon h, returned[a]++ if the next active day is
 * within a+1..a+h. */
static void scan_retention(const uint8_t *row, int nd, int64_t *cnt)
{
    int prev = -1;
    for (int d = 0; d <= nd; d++) {
        if (d < nd && !row[d]) continue;
        if (prev >= 0) {
            int64_t *c = cnt + (size_t)prev * C_COUNT;
            c[C_COH]++;
            if (d < nd) {
                int gap = d - prev;
                for (int h = 0; h < 3; h++) c[C_R1 + h] += gap <= ret_h[h];
            }
        }
        prev = d;
    }
}

/* Joiner cohort of day dj: does the row show a message on dj..dj+h? */
static void scan_new(const uint8_t *row, int nd, int dj, int64_t *cnt)
{
    int64_t *c = cnt + (size_t)dj * C_COUNT;
    c[C_NCOH]++;
    int first = -1;
    for (int d = dj; d < nd && d <= dj + new_h[1]; d++)
        if (row[d]) { first = d; break; }
    if (first >= 0)
        for (int h = 0; h < 2; h++) c[C_N1 + h] += first - dj <= new_h[h];
}

/* Presence interval of a membership on the day grid: present at the end of
 * day d iff lo <= d < hi (lo = day of joining, hi = day of leaving). */
static void presence(const met_t *m, const spell_t *s, int64_t *lo, int64_t *hi)
{
    *lo = s->joined_ts == INT64_MIN ? INT64_MIN / 2 : day_of(m, s->joined_ts);
    *hi = s->left_ts == -1 ? INT64_MAX / 2 : day_of(m, s->left_ts);
}

/* Days d (last day of a 30-day window d-29..d) for which the membership is
 * present for the whole window: joined_ts <= start of day d-29 and
 * (not left or left_ts >= end of day d).  Writes [*a, *b] (empty if a > b). */
static void heavy_range(const met_t *m, const spell_t *s, int64_t *a, int64_t *b)
{
    int64_t wlo = s->joined_ts == INT64_MIN ? 0 : -floor_div(m->s0 - s->joined_ts, DAY);
    int64_t dhi = s->left_ts == -1 ? INT64_MAX / 2 : floor_div(s->left_ts - m->s0, DAY) - 1;
    *a = wlo + HEAVY_WINDOW - 1;
    if (*a < HEAVY_WINDOW - 1) *a = HEAVY_WINDOW - 1;
    *b = dhi < m->nd - 1 ? dhi : m->nd - 1;
}

/* For every day d in [a, b]: eligible[d]++ and heavy[d]++ if the row has
 * more than HEAVY_MIN messages on days d-29..d.  Counts saturate at 255 a
 * day, which cannot change a "> 50" verdict. */
static void scan_heavy(const uint8_t *row, int64_t a, int64_t b, int64_t *cnt)
{
    if (a > b) return;
    int64_t sum = 0;
    for (int64_t d = a - HEAVY_WINDOW + 1; d < a; d++) sum += row[d];
    for (int64_t d = a; d <= b; d++) {
        sum += row[d];
        int64_t *c = cnt + d * C_COUNT;
        c[C_HELIG]++;
        c[C_HEAVY] += sum > HEAVY_MIN;
        sum -= row[d - HEAVY_WINDOW + 1];
    }
}

static int any_msg(const uint8_t *row, int from, int to)
{
    for (int d = from < 0 ? 0 : from; d < to; d++)
        if (row[d]) return 1;
    return 0;
}

static int is_referral(const spell_t *s)
{
    return s->source == SRC_INVITE || s->source == SRC_QR;
}

static double ratio(int64_t num, int64_t den)
{
    return den > 0 ? (double)num / (double)den : NAN;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank quantile of sorted x[0..n): x[ceil(p n) - 1] with p = num/den. */
static double nearest_rank(const int64_t *x, int64_t n, int64_t num, int64_t den)
{
    if (n == 0) return NAN;
    int64_t r = (num * n + den - 1) / den;
    return (double)x[(r < 1 ? 1 : r) - 1];
}

typedef struct gkey { int32_t id, gi; } gkey;
static int cmp_gkey(const void *a, const void *b)
{
    int32_t x = ((const gkey *)a)->id, y = ((const gkey *)b)->id;
    return (x > y) - (x < y);
}

/* Whole-window tallies of distinct members, per group. */
enum tally {
    T_EVER, T_END, T_ACTIVE, T_ACTIVE_YEAR, T_EXPOSED, T_PART, T_COMPLETE, T_SHARED,
    T_PURCHASERS, T_JOINERS, T_REF_JOINERS, T_REFF_CASES, T_REFF_SECONDARY, T_COUNT
};

static void tally_flags(int64_t *t, uint8_t f)
{
    t[T_EXPOSED] += (f & F_EXPOSED) != 0;
    t[T_PART] += (f & F_PART) != 0;
    t[T_COMPLETE] += (f & F_PART) && (f & F_COMPLETE);
    t[T_SHARED] += (f & F_PART) && (f & F_SHARED);
    t[T_PURCHASERS] += (f & F_PURCHASED) != 0;
}

/* Presence-based tallies of one member (membership or person) present at
 * the end of days [lo, hi) with message row `row`. */
static void tally_presence(const met_t *m, int64_t *t, int ever, int at_end, const uint8_t *row)
{
    int nd = m->nd;
    t[T_EVER] += ever;
    if (!at_end) return;
    t[T_END]++;
    t[T_ACTIVE] += any_msg(row, 0, nd);
    if (nd >= YEAR_DAYS) t[T_ACTIVE_YEAR] += any_msg(row, nd - YEAR_DAYS, nd);
}

/* Membership pass: members present, joins, leaves, cohorts, heavy windows,
 * distinct-member tallies, r_eff. */
static void finish_memberships(met_t *m, int64_t (*tl)[T_COUNT])
{
    const int nd = m->nd;
    for (int i = 0; i < m->nms; i++) {
        const mship *s = &m->ms[i];
        if (!s->counted) continue;
        int64_t *cnt = m->groups[s->gi].cnt, *t = tl[s->gi];
        const uint8_t *row = m->mcount + (size_t)i * nd;
        scan_retention(row, nd, cnt);
        tally_flags(t, s->flags);
        if (!s->declared) continue;
        int ever = 0, at_end = 0, joined = 0, referred = 0;
        int64_t last_join = INT64_MIN;
        for (const spell_t *p = &s->sp; p; p = p->next >= 0 ? &m->xs[p->next] : NULL) {
            int64_t lo, hi, a, b;
            presence(m, p, &lo, &hi);
            for (int64_t d = lo < 0 ? 0 : lo; d < hi && d < nd; d++) cnt[d * C_COUNT + C_MEMBERS]++;
            ever |= (lo < 0 ? 0 : lo) < (hi < nd ? hi : nd);
            at_end |= lo <= nd - 1 && nd - 1 < hi;
            if (lo >= 0 && lo < nd) {
                /* r_eff cases: every spell starting in the window, founders too
                 * (they invite); a founder's spell is not a join */
                if (lo <= nd - 1 - REFF_DAYS) t[T_REFF_CASES]++;
            }
            if (lo >= 0 && lo < nd && p->source != SRC_SEED) {
                cnt[lo * C_COUNT + C_JOINS]++;
                /* the cohort is per membership and join day, as v_new_retention_days */
                if (lo != last_join) scan_new(row, nd, (int)lo, cnt);
                last_join = lo;
                joined = 1;
                if (is_referral(p)) {
                    referred = 1;
                    /* r_eff: a spell of the inviter starting on day j must
                     * leave 30 days of follow-up in the window, and this join
                     * fall in j..j+30 (counted once) */
                    int ip = p->inviter_id == -1 ? -1 : person_find(m, p->inviter_id);
                    int k = ip < 0 ? -1 : mship_find(m, ip, s->gi, 0);
                    if (k >= 0 && m->ms[k].counted && m->ms[k].declared) {
                        for (const spell_t *q = &m->ms[k].sp; q; q = q->next >= 0 ? &m->xs[q->next] : NULL) {
                            int64_t jl, jh;
                            presence(m, q, &jl, &jh);
                            if (jl >= 0 && jl <= nd - 1 - REFF_DAYS && lo >= jl && lo <= jl + REFF_DAYS) {
                                t[T_REFF_SECONDARY]++;
                                break;
                            }
                        }
                    }
                }
            }
            if (p->left_ts != -1 && hi >= 0 && hi < nd) cnt[hi * C_COUNT + C_LEAVES]++;
            if (nd >= HEAVY_WINDOW) {
                heavy_range(m, p, &a, &b);
                scan_heavy(row, a, b, cnt);
            }
        }
        tally_presence(m, t, ever, at_end, row);
        t[T_JOINERS] += joined;
        t[T_REF_JOINERS] += referred;
    }
}

/* Person pass for the community total (group 0): each person once. */
static int finish_persons(met_t *m, int64_t *t)
{
    const int nd = m->nd;
    int64_t *cnt = m->groups[0].cnt;
    int *start = calloc((size_t)m->np + 1, sizeof *start);
    int *byp = malloc(((size_t)m->nms + 1) * sizeof *byp);
    int *fill = malloc(((size_t)m->np + 1) * sizeof *fill);
    uint8_t *mark = malloc((size_t)nd * 5 + 1);
    if (!start || !byp || !fill || !mark) {
        free(start); free(byp); free(fill); free(mark);
        return -1;
    }
    for (int i = 0; i < m->nms; i++) start[m->ms[i].person + 1]++;
    for (int p = 0; p < m->np; p++) start[p + 1] += start[p];
    memcpy(fill, start, ((size_t)m->np + 1) * sizeof *fill);
    for (int i = 0; i < m->nms; i++) byp[fill[m->ms[i].person]++] = i;
    uint8_t *present = mark, *joined = mark + nd, *left = mark + 2 * nd;
    uint8_t *refj = mark + 3 * nd, *heavy = mark + 4 * nd;
    for (int p = 0; p < m->np; p++) {
        const uint8_t *row = m->pcount + (size_t)p * nd;
        int any = 0, ever = 0;
        memset(mark, 0, (size_t)nd * 5);
        for (int k = start[p]; k < start[p + 1]; k++) {
            const mship *s = &m->ms[byp[k]];
            if (!s->counted) continue;
            any = 1;
            if (!s->declared) continue;
            for (const spell_t *q = &s->sp; q; q = q->next >= 0 ? &m->xs[q->next] : NULL) {
                int64_t lo, hi, a, b;
                presence(m, q, &lo, &hi);
                for (int64_t d = lo < 0 ? 0 : lo; d < hi && d < nd; d++) present[d] = ever = 1;
                if (lo >= 0 && lo < nd && q->source != SRC_SEED) {
                    joined[lo] = 1;
                    if (is_referral(q)) refj[lo] = 1;
                }
                if (q->left_ts != -1 && hi >= 0 && hi < nd) left[hi] = 1;
                if (nd >= HEAVY_WINDOW) {
                    heavy_range(m, q, &a, &b);
                    for (int64_t d = a; d <= b; d++) heavy[d] = 1;
                }
            }
        }
        if (!any) continue;
        scan_retention(row, nd, cnt);
        tally_flags(t, m->pflags[p]);
        tally_presence(m, t, ever, present[nd - 1], row);
        int jn = 0, rj = 0;
        for (int d = 0; d < nd; d++) {
            int64_t *c = cnt + (size_t)d * C_COUNT;
            c[C_MEMBERS] += present[d];
            c[C_LEAVES] += left[d];
            if (joined[d]) {
                c[C_JOINS]++;
                scan_new(row, nd, d, cnt);
                jn = 1;
                rj |= refj[d];
            }
        }
        t[T_JOINERS] += jn;
        t[T_REF_JOINERS] += rj;
        /* heavy windows of the person: union of the memberships' ranges */
        for (int d = HEAVY_WINDOW - 1; d < nd; d++) {
            if (!heavy[d]) continue;
            int64_t a = d, b = d;
            while (b + 1 < nd && heavy[b + 1]) b++;
            scan_heavy(row, a, b, cnt);
            d = (int)b;
        }
    }
    free(start);
    free(byp);
    free(fill);
    free(mark);
    return 0;
}

/* Response metrics of group g under rule `rule`.  Group 0 pools the
 * response times of groups 1.. (all of m's groups). */
static int finish_response(const met_t *m, mgroup *g, int rule, int pooled)
{
    int64_t n = 0, q_elig = 0;
    for (int gi = pooled ? 1 : 0; gi < (pooled ? m->ng : 1); gi++) {
        const responder *r = pooled ? &m->groups[gi].resp[rule] : &g->resp[rule];
        n += r->nrt;
        q_elig += r->q_elig;
    }
    int64_t *x = malloc(((size_t)n + 1) * sizeof *x);
    if (!x) return -1;
    n = 0;
    for (int gi = pooled ? 1 : 0; gi < (pooled ? m->ng : 1); gi++) {
        const responder *r = pooled ? &m->groups[gi].resp[rule] : &g->resp[rule];
        if (r->nrt) memcpy(x + n, r->rt, (size_t)r->nrt * sizeof *x);
        n += r->nrt;
    }
    qsort(x, (size_t)n, sizeof *x, cmp_i64);
    int base = rule == R_FIRST ? S_RESP_MEDIAN : S_ANS_MEDIAN;
    g->sum[base] = nearest_rank(x, n, 1, 2);
    g->sum[base + 1] = nearest_rank(x, n, 9, 10);
    g->sum[base + 2] = ratio(q_elig - n, q_elig);
    free(x);
    return 0;
}

static void finish_values(met_t *m, mgroup *g, const int64_t *t)
{
    const int nd = m->nd;
    int64_t tot[C_COUNT] = {0};
    int64_t rn[3] = {0}, rd[3] = {0}, nn[2] = {0}, ndn[2] = {0};
    double heavy_sum = 0;
    int heavy_n = 0;
    for (int d = 0; d < nd; d++) {
        const int64_t *c = g->cnt + (size_t)d * C_COUNT;
        double *v = g->daily + (size_t)d * D_COUNT;
        for (int j = 0; j < C_COUNT; j++) tot[j] += c[j];
        v[D_DAU] = (double)c[C_DAU];
        v[D_MESSAGES] = (double)c[C_MESSAGES];
        v[D_INTERACTIONS] = (double)c[C_INTERACTIONS];
        v[D_MEMBERS] = (double)c[C_MEMBERS];
        v[D_JOINS] = (double)c[C_JOINS];
        v[D_LEAVES] = (double)c[C_LEAVES];
        v[D_MUTES] = (double)c[C_MUTES];
        for (int h = 0; h < 3; h++) {
            int inside = d + ret_h[h] <= nd - 1;
            v[D_RET1 + h] = inside ? ratio(c[C_R1 + h], c[C_COH]) : NAN;
            if (inside) { rn[h] += c[C_R1 + h]; rd[h] += c[C_COH]; }
        }
        for (int h = 0; h < 2; h++) {
            int inside = d + new_h[h] <= nd - 1;
            v[D_NEWRET1 + h] = inside ? ratio(c[C_N1 + h], c[C_NCOH]) : NAN;
            if (inside) { nn[h] += c[C_N1 + h]; ndn[h] += c[C_NCOH]; }
        }
        v[D_HEAVY30] = ratio(c[C_HEAVY], c[C_HELIG]);
        if (c[C_HELIG] > 0) { heavy_sum += v[D_HEAVY30]; heavy_n++; }
        v[D_QUESTIONS] = (double)c[C_QUESTIONS];
        v[D_INVITES] = (double)c[C_INVITES];
        v[D_SHARES] = (double)c[C_SHARES];
        v[D_UGC] = (double)c[C_UGC];
        v[D_PURCHASES] = (double)c[C_PURCHASES];
    }
    double *S = g->sum;
    S[S_DAU_MEAN] = (double)tot[C_DAU] / nd;
    S[S_MESSAGES_PER_DAY] = (double)tot[C_MESSAGES] / nd;
    S[S_INTERACTIONS_PER_DAY] = (double)tot[C_INTERACTIONS] / nd;
    S[S_MEMBERS_END] = (double)g->cnt[(size_t)(nd - 1) * C_COUNT + C_MEMBERS];
    S[S_MEMBERS_EVER] = (double)t[T_EVER];
    S[S_JOINS] = (double)tot[C_JOINS];
    S[S_LEAVES] = (double)tot[C_LEAVES];
    S[S_MUTES] = (double)tot[C_MUTES];
    for (int h = 0; h < 3; h++) S[S_RET1 + h] = ratio(rn[h], rd[h]);
    for (int h = 0; h < 2; h++) S[S_NEWRET1 + h] = ratio(nn[h], ndn[h]);
    S[S_HEAVY] = g->daily[(size_t)(nd - 1) * D_COUNT + D_HEAVY30];
    S[S_HEAVY_MEAN] = heavy_n ? heavy_sum / heavy_n : NAN;
    S[S_ACTIVE_SHARE] = ratio(t[T_ACTIVE], t[T_END]);
    S[S_ANNUAL] = nd >= YEAR_DAYS ? ratio(t[T_ACTIVE_YEAR], t[T_END]) : NAN;
    S[S_QUESTIONS] = (double)tot[C_QUESTIONS];
    S[S_EXPOSED] = (double)t[T_EXPOSED];
    S[S_PARTICIPANTS] = (double)t[T_PART];
    S[S_PARTICIPATION] = ratio(t[T_PART], t[T_EXPOSED]);
    S[S_COMPLETION] = ratio(t[T_COMPLETE], t[T_PART]);
    S[S_SHARE_RATE] = ratio(t[T_SHARED], t[T_PART]);
    S[S_PURCHASERS] = (double)t[T_PURCHASERS];
    S[S_PURCHASE_RATE] = ratio(t[T_PURCHASERS], t[T_EVER]);
    S[S_PURCHASES] = (double)tot[C_PURCHASES];
    S[S_ORDER_VALUE] = tot[C_PURCHASES] > 0 ? g->order_value / (double)tot[C_PURCHASES] : NAN;
    S[S_SHARES] = (double)tot[C_SHARES];
    S[S_SHARES_PER_ITEM] = ratio(tot[C_SHARES], tot[C_ITEMS]);
    S[S_INVITES] = (double)tot[C_INVITES];
    S[S_REFERRAL_SHARE] = ratio(t[T_REF_JOINERS], t[T_JOINERS]);
    S[S_REFF] = ratio(t[T_REFF_SECONDARY], t[T_REFF_CASES]);
    S[S_UGC] = (double)tot[C_UGC];
    S[S_UGC_PER_DAY] = (double)tot[C_UGC] / nd;
}

int met_finish(met_t *m)
{
    if (m->finished) { seterr(m, "met_finish called twice or after a failure"); return -1; }
    const int nd = m->nd;
    mgroup *g0 = &m->groups[0];
    int64_t (*tl)[T_COUNT] = calloc((size_t)m->ng, sizeof *tl);
    if (!tl) goto nomem;

    finish_memberships(m, tl);
    if (finish_persons(m, tl[0]) != 0) goto nomem;

    /* community sums of event counters and of the pooled ones */
    static const int summed[] = {C_MESSAGES, C_INTERACTIONS, C_MUTES, C_QUESTIONS, C_INVITES,
                                 C_SHARES, C_UGC, C_PURCHASES, C_ITEMS};
    for (int gi = 1; gi < m->ng; gi++) {
        const mgroup *g = &m->groups[gi];
        for (int d = 0; d < nd; d++)
            for (size_t j = 0; j < sizeof summed / sizeof *summed; j++)
                g0->cnt[(size_t)d * C_COUNT + summed[j]] += g->cnt[(size_t)d * C_COUNT + summed[j]];
        g0->order_value += g->order_value;
        tl[0][T_REFF_CASES] += tl[gi][T_REFF_CASES];
        tl[0][T_REFF_SECONDARY] += tl[gi][T_REFF_SECONDARY];
    }

    for (int gi = 0; gi < m->ng; gi++) {
        mgroup *g = &m->groups[gi];
        g->daily = malloc((size_t)nd * D_COUNT * sizeof *g->daily);
        if (!g->daily) goto nomem;
        finish_values(m, g, tl[gi]);
        for (int r = 0; r < R_COUNT; r++)
            if (finish_response(m, g, r, gi == 0) != 0) goto nomem;
    }

    /* emission order: groups by id (0 first) */
    m->gorder = malloc((size_t)m->ng * sizeof *m->gorder);
    gkey *keys = malloc((size_t)m->ng * sizeof *keys);
    if (!m->gorder || !keys) { free(keys); goto nomem; }
    for (int gi = 0; gi < m->ng; gi++) keys[gi] = (gkey){m->groups[gi].id, gi};
    qsort(keys, (size_t)m->ng, sizeof *keys, cmp_gkey);
    for (int gi = 0; gi < m->ng; gi++) m->gorder[gi] = keys[gi].gi;
    free(keys);
    free(tl);
    m->finished = 1;
    return 0;
nomem:
    free(tl);
    m->finished = 2; /* failed: the handle is only good for met_close */
    seterr(m, "out of memory");
    return -1;
}

/* ---- results ---- */

int met_emit(const met_t *m, met_emit_fn fn, void *ctx)
{
    if (m->finished != 1) return -1;
    for (int k = 0; k < m->ng; k++) {
        const mgroup *g = &m->groups[m->gorder[k]];
        for (int s = 0; s < S_COUNT; s++) {
            int rc = fn(ctx, g->id, -1, summary_names[s], g->sum[s]);
            if (rc) return rc;
        }
        for (int64_t d = 0; d < m->nd; d++)
            for (int j = 0; j < D_COUNT; j++) {
                int rc = fn(ctx, g->id, d, daily_names[j], g->daily[d * D_COUNT + j]);
                if (rc) return rc;
            }
    }
    return 0;
}

static int name_index(const char *const *names, int n, const char *name)
{
    if (!name) return -1;
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0) return i;
    return -1;
}

static const mgroup *group_of(const met_t *m, int32_t group_id)
{
    int gi = group_find(m, group_id);
    return gi >= 0 ? &m->groups[gi] : NULL;
}

int met_get(const met_t *m, int32_t group_id, const char *metric, double *out)
{
    int s = name_index(summary_names, S_COUNT, metric);
    const mgroup *g = group_of(m, group_id);
    if (m->finished != 1 || s < 0 || !g) return -1;
    *out = g->sum[s];
    return 0;
}

int met_get_daily(const met_t *m, int32_t group_id, int64_t day, const char *metric, double *out)
{
    int j = name_index(daily_names, D_COUNT, metric);
    const mgroup *g = group_of(m, group_id);
    if (m->finished != 1 || j < 0 || !g || day < 0 || day >= m->nd) return -1;
    *out = g->daily[day * D_COUNT + j];
    return 0;
}

int met_ndays(const met_t *m) { return m->nd; }

const char *met_daily_name(int i) { return i >= 0 && i < D_COUNT ? daily_names[i] : NULL; }

const char *met_summary_name(int i) { return i >= 0 && i < S_COUNT ? summary_names[i] : NULL; }

/* Mean of daily metric j of g over days [a, b], NaN days skipped. */
static double daily_mean(const met_t *m, const mgroup *g, int j, int64_t a, int64_t b)
{
    double sum = 0;
    int64_t n = 0;
    for (int64_t d = a; d <= b; d++) {
        double v = g->daily[d * D_COUNT + j];
        if (!isnan(v)) { sum += v; n++; }
    }
    (void)m;
    return n ? sum / (double)n : NAN;
}

int met_growth(const met_t *m, int32_t group_id, const char *metric, int64_t base_from,
               int64_t base_to, int64_t from, int64_t to, double *out)
{
    int j = name_index(daily_names, D_COUNT, metric);
    const mgroup *g = group_of(m, group_id);
    if (m->finished != 1 || j < 0 || !g || base_from < 0 || base_from > base_to ||
        base_to >= m->nd || from < 0 || from > to || to >= m->nd)
        return -1;
    double base = daily_mean(m, g, j, base_from, base_to), v = daily_mean(m, g, j, from, to);
    *out = base != 0 && !isnan(base) ? v / base - 1 : NAN;
    return 0;
}
