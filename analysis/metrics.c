/* metrics.c -- the metric catalogue (analysis/METRICS.md) over a stream of events.
 *
 * Per event: one hash lookup of the membership (group, member), a few counter
 * increments.  State: per membership and per person one byte per local day
 * (messages sent that day, saturating at 255), per group a row of counters per
 * day.  Everything else (members present, retention, ...) is computed once in
 * met_finish().  Memory grows with members x days, never with events.
 */
#include "metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400

/* ---- the catalogue: names in emission order (METRICS.md has the same order) ---- */

enum daily_metric {
    D_DAU, D_MESSAGES, D_INTERACTIONS, D_MEMBERS, D_JOINS, D_LEAVES,
    D_RET1, D_RET7, D_RET30, D_NEWRET1, D_NEWRET7,
    D_COUNT
};
static const char *const daily_names[D_COUNT] = {
    "dau", "messages", "interactions", "members", "joins", "leaves",
    "retention_1d", "retention_7d", "retention_30d", "new_retention_1d", "new_retention_7d",
};

enum summary_metric {
    S_DAU_MEAN, S_MESSAGES_PER_DAY, S_INTERACTIONS_PER_DAY, S_MEMBERS_END,
    S_JOINS, S_LEAVES,
    S_RET1, S_RET7, S_RET30, S_NEWRET1, S_NEWRET7,
    S_COUNT
};
static const char *const summary_names[S_COUNT] = {
    "dau_mean", "messages_per_day", "interactions_per_day", "members_end",
    "joins", "leaves",
    "retention_1d", "retention_7d", "retention_30d", "new_retention_1d", "new_retention_7d",
};

/* Per group, per day integer counters (streamed or filled in at finish). */
enum counter {
    C_DAU, C_MESSAGES, C_INTERACTIONS, C_MEMBERS, C_JOINS, C_LEAVES,
    C_COH, C_R1, C_R7, C_R30,          /* speaker cohort of the day and its returners */
    C_NCOH, C_N1, C_N7,                /* joiner cohort of the day and its speakers */
    C_COUNT
};

/* Retention horizons, in days, for C_R1.. and C_N1.. */
static const int ret_h[3] = {1, 7, 30};
static const int new_h[2] = {1, 7};

typedef struct mgroup {
    int32_t id;        /* 0 = community total */
    int64_t *cnt;      /* ndays x C_COUNT */
    double *daily;     /* ndays x D_COUNT, at finish */
    double sum[S_COUNT];
} mgroup;

typedef struct mship {
    int64_t member_id;
    int64_t inviter_id;
    int64_t joined_ts, left_ts;  /* left_ts -1 while a member */
    int32_t gi;                  /* index into groups (>= 1) */
    int32_t person;              /* index into persons */
    int16_t role, source;
    uint8_t declared;            /* seen through met_member (counts as a member) */
    uint8_t counted;             /* not a bot, or count_bots */
} mship;

/* Open-addressing hash: (ns, key) -> index.  ns 0 = group, 1 = person,
 * 2 + group index = membership. */
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
    int finished;
    char err[160];

    hslot *tab;
    size_t tcap, tn;

    mgroup *groups;    /* [0] = community total */
    int ng, gcap;

    mship *ms;
    int nms, mcap;
    uint8_t *mcount;   /* nms x nd: messages of the membership that day (sat. 255) */

    int np, pcap;
    uint8_t *pcount;   /* np x nd: messages of the person that day, all groups */

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

/* ---- groups, persons, memberships ---- */

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
    int gi = h_find(m, 0, id);
    if (gi >= 0) return gi;
    if (m->ng == m->gcap) {
        int ncap = m->gcap * 2;
        mgroup *ng = realloc(m->groups, (size_t)ncap * sizeof *ng);
        if (!ng) return -1;
        m->groups = ng;
        m->gcap = ncap;
    }
    if (group_init(m, &m->groups[m->ng], id) != 0) return -1;
    if (h_put(m, 0, id, m->ng) != 0) { free(m->groups[m->ng].cnt); return -1; }
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
    int p = h_find(m, 1, member_id);
    if (p >= 0) return p;
    if (grow_rows(&m->pcount, &m->pcap, m->np + 1, m->nd) != 0) return -1;
    if (h_put(m, 1, member_id, m->np) != 0) return -1;
    return m->np++;
}

/* Index of the membership (gi, member_id), created (undeclared, role member)
 * if new; -1 on ENOMEM. */
static int mship_get(met_t *m, int gi, int64_t member_id)
{
    int i = h_find(m, 2 + gi, member_id);
    if (i >= 0) return i;
    int p = person_get(m, member_id);
    if (p < 0) return -1;
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
    s->inviter_id = -1;
    s->joined_ts = INT64_MIN;
    s->left_ts = -1;
    s->gi = gi;
    s->person = p;
    s->role = ROLE_MEMBER;
    s->source = SRC_SEED;
    s->counted = 1;
    if (h_put(m, 2 + gi, member_id, m->nms) != 0) return -1;
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
    if (h_put(m, 0, 0, 0) != 0) { free(m->groups[0].cnt); goto fail; }
    *out = m;
    return 0;
fail:
    free(m->tab);
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
    }
    free(m->groups);
    free(m->tab);
    free(m->ms);
    free(m->mcount);
    free(m->pcount);
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
    if (mem->member_id == -1) { seterr(m, "membership without a member id"); return -1; }
    int gi = group_get(m, mem->group_id);
    if (gi < 0) { seterr(m, "out of memory"); return -1; }
    int i = mship_get(m, gi, mem->member_id);
    if (i < 0) { seterr(m, "out of memory"); return -1; }
    mship *s = &m->ms[i];
    s->declared = 1;
    s->role = (int16_t)mem->role;
    s->source = (int16_t)mem->source;
    s->inviter_id = mem->inviter_id;
    s->joined_ts = mem->joined_ts;
    s->left_ts = mem->left_ts;
    s->counted = m->o.count_bots || mem->role != ROLE_BOT;
    return 0;
}

int met_event(met_t *m, const ev_rec *e)
{
    if (m->finished) { seterr(m, "met_event after met_finish"); return -1; }
    if (e->ts < m->last_ts) { seterr(m, "events out of time order"); return -1; }
    m->last_ts = e->ts;
    if (e->kind < 0 || e->kind >= EV_KIND_COUNT) { seterr(m, "unknown event kind"); return -1; }
    int64_t day = day_of(m, e->ts);
    if (day < 0 || day >= m->nd || e->member_id == -1 || e->kind == EV_SYSTEM) return 0;
    if (e->group_id < 1) { seterr(m, "group_id must be >= 1 (0 means all groups)"); return -1; }
    int gi = group_get(m, e->group_id);
    int i = gi < 0 ? -1 : mship_get(m, gi, e->member_id);
    if (i < 0) { seterr(m, "out of memory"); return -1; }
    const mship *s = &m->ms[i];
    if (!s->counted) return 0;
    int64_t *c = m->groups[gi].cnt + day * C_COUNT;
    ev_kind k = (ev_kind)e->kind;
    if (ev_kind_is_message(k)) {
        uint8_t *mc = m->mcount + (size_t)i * m->nd + day;
        uint8_t *pc = m->pcount + (size_t)s->person * m->nd + day;
        if (*mc == 0) c[C_DAU]++;
        if (*pc == 0) m->groups[0].cnt[day * C_COUNT + C_DAU]++;
        if (*mc < 255) (*mc)++;
        if (*pc < 255) (*pc)++;
        c[C_MESSAGES]++;
    }
    if (ev_kind_is_interaction(k)) c[C_INTERACTIONS]++;
    return 0;
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
static void presence(const met_t *m, const mship *s, int64_t *lo, int64_t *hi)
{
    *lo = s->joined_ts == INT64_MIN ? INT64_MIN / 2 : day_of(m, s->joined_ts);
    *hi = s->left_ts == -1 ? INT64_MAX / 2 : day_of(m, s->left_ts);
}

static double ratio(int64_t num, int64_t den)
{
    return den > 0 ? (double)num / (double)den : NAN;
}

typedef struct gkey { int32_t id, gi; } gkey;
static int cmp_gkey(const void *a, const void *b)
{
    int32_t x = ((const gkey *)a)->id, y = ((const gkey *)b)->id;
    return (x > y) - (x < y);
}

int met_finish(met_t *m)
{
    if (m->finished) { seterr(m, "met_finish called twice"); return -1; }
    const int nd = m->nd;
    mgroup *g0 = &m->groups[0];

    /* membership-based counters per group: members present, joins, leaves,
     * speaker and joiner cohorts */
    for (int i = 0; i < m->nms; i++) {
        const mship *s = &m->ms[i];
        if (!s->counted) continue;
        int64_t *cnt = m->groups[s->gi].cnt;
        const uint8_t *row = m->mcount + (size_t)i * nd;
        scan_retention(row, nd, cnt);
        if (!s->declared) continue;
        int64_t lo, hi;
        presence(m, s, &lo, &hi);
        for (int64_t d = lo < 0 ? 0 : lo; d < hi && d < nd; d++) cnt[d * C_COUNT + C_MEMBERS]++;
        if (lo >= 0 && lo < nd) {
            cnt[lo * C_COUNT + C_JOINS]++;
            scan_new(row, nd, (int)lo, cnt);
        }
        if (s->left_ts != -1 && hi >= 0 && hi < nd) cnt[hi * C_COUNT + C_LEAVES]++;
    }

    /* community (group 0): each person once.  Memberships grouped by person. */
    int *start = calloc((size_t)m->np + 1, sizeof *start);
    int *byp = malloc(((size_t)m->nms + 1) * sizeof *byp);
    uint8_t *mark = malloc((size_t)nd * 3 + 1);
    if (!start || !byp || !mark) {
        free(start); free(byp); free(mark);
        seterr(m, "out of memory");
        return -1;
    }
    for (int i = 0; i < m->nms; i++) start[m->ms[i].person + 1]++;
    for (int p = 0; p < m->np; p++) start[p + 1] += start[p];
    {
        int *fill = malloc(((size_t)m->np + 1) * sizeof *fill);
        if (!fill) { free(start); free(byp); free(mark); seterr(m, "out of memory"); return -1; }
        memcpy(fill, start, ((size_t)m->np + 1) * sizeof *fill);
        for (int i = 0; i < m->nms; i++) byp[fill[m->ms[i].person]++] = i;
        free(fill);
    }
    uint8_t *present = mark, *joined = mark + nd, *left = mark + 2 * nd;
    for (int p = 0; p < m->np; p++) {
        const uint8_t *row = m->pcount + (size_t)p * nd;
        int any = 0;
        memset(mark, 0, (size_t)nd * 3);
        for (int k = start[p]; k < start[p + 1]; k++) {
            const mship *s = &m->ms[byp[k]];
            if (!s->counted) continue;
            any = 1;
            if (!s->declared) continue;
            int64_t lo, hi;
            presence(m, s, &lo, &hi);
            for (int64_t d = lo < 0 ? 0 : lo; d < hi && d < nd; d++) present[d] = 1;
            if (lo >= 0 && lo < nd) joined[lo] = 1;
            if (s->left_ts != -1 && hi >= 0 && hi < nd) left[hi] = 1;
        }
        if (!any) continue;
        scan_retention(row, nd, g0->cnt);
        for (int d = 0; d < nd; d++) {
            int64_t *c = g0->cnt + (size_t)d * C_COUNT;
            c[C_MEMBERS] += present[d];
            c[C_LEAVES] += left[d];
            if (joined[d]) {
                c[C_JOINS]++;
                scan_new(row, nd, d, g0->cnt);
            }
        }
    }
    free(start);
    free(byp);
    free(mark);

    /* community sums of event counters */
    for (int gi = 1; gi < m->ng; gi++)
        for (int d = 0; d < nd; d++) {
            const int64_t *c = m->groups[gi].cnt + (size_t)d * C_COUNT;
            int64_t *t = g0->cnt + (size_t)d * C_COUNT;
            t[C_MESSAGES] += c[C_MESSAGES];
            t[C_INTERACTIONS] += c[C_INTERACTIONS];
        }

    /* daily values and summaries */
    for (int gi = 0; gi < m->ng; gi++) {
        mgroup *g = &m->groups[gi];
        g->daily = malloc((size_t)nd * D_COUNT * sizeof *g->daily);
        if (!g->daily) { seterr(m, "out of memory"); return -1; }
        int64_t tot_dau = 0, tot_msg = 0, tot_int = 0, tot_join = 0, tot_leave = 0;
        int64_t rn[3] = {0}, rd[3] = {0}, nn[2] = {0}, ndn[2] = {0};
        for (int d = 0; d < nd; d++) {
            const int64_t *c = g->cnt + (size_t)d * C_COUNT;
            double *v = g->daily + (size_t)d * D_COUNT;
            v[D_DAU] = (double)c[C_DAU];
            v[D_MESSAGES] = (double)c[C_MESSAGES];
            v[D_INTERACTIONS] = (double)c[C_INTERACTIONS];
            v[D_MEMBERS] = (double)c[C_MEMBERS];
            v[D_JOINS] = (double)c[C_JOINS];
            v[D_LEAVES] = (double)c[C_LEAVES];
            tot_dau += c[C_DAU];
            tot_msg += c[C_MESSAGES];
            tot_int += c[C_INTERACTIONS];
            tot_join += c[C_JOINS];
            tot_leave += c[C_LEAVES];
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
        }
        g->sum[S_DAU_MEAN] = (double)tot_dau / nd;
        g->sum[S_MESSAGES_PER_DAY] = (double)tot_msg / nd;
        g->sum[S_INTERACTIONS_PER_DAY] = (double)tot_int / nd;
        g->sum[S_MEMBERS_END] = (double)g->cnt[(size_t)(nd - 1) * C_COUNT + C_MEMBERS];
        g->sum[S_JOINS] = (double)tot_join;
        g->sum[S_LEAVES] = (double)tot_leave;
        for (int h = 0; h < 3; h++) g->sum[S_RET1 + h] = ratio(rn[h], rd[h]);
        for (int h = 0; h < 2; h++) g->sum[S_NEWRET1 + h] = ratio(nn[h], ndn[h]);
    }

    /* emission order: groups by id (0 first) */
    m->gorder = malloc((size_t)m->ng * sizeof *m->gorder);
    gkey *keys = malloc((size_t)m->ng * sizeof *keys);
    if (!m->gorder || !keys) { free(keys); seterr(m, "out of memory"); return -1; }
    for (int gi = 0; gi < m->ng; gi++) keys[gi] = (gkey){m->groups[gi].id, gi};
    qsort(keys, (size_t)m->ng, sizeof *keys, cmp_gkey);
    for (int gi = 0; gi < m->ng; gi++) m->gorder[gi] = keys[gi].gi;
    free(keys);
    m->finished = 1;
    return 0;
}

/* ---- results ---- */

int met_emit(const met_t *m, met_emit_fn fn, void *ctx)
{
    if (!m->finished) return -1;
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
    int gi = h_find(m, 0, group_id);
    return gi >= 0 ? &m->groups[gi] : NULL;
}

int met_get(const met_t *m, int32_t group_id, const char *metric, double *out)
{
    int s = name_index(summary_names, S_COUNT, metric);
    const mgroup *g = group_of(m, group_id);
    if (!m->finished || s < 0 || !g) return -1;
    *out = g->sum[s];
    return 0;
}

int met_get_daily(const met_t *m, int32_t group_id, int64_t day, const char *metric, double *out)
{
    int j = name_index(daily_names, D_COUNT, metric);
    const mgroup *g = group_of(m, group_id);
    if (!m->finished || j < 0 || !g || day < 0 || day >= m->nd) return -1;
    *out = g->daily[day * D_COUNT + j];
    return 0;
}

int met_ndays(const met_t *m) { return m->nd; }

const char *met_daily_name(int i) { return i >= 0 && i < D_COUNT ? daily_names[i] : NULL; }

const char *met_summary_name(int i) { return i >= 0 && i < S_COUNT ? summary_names[i] : NULL; }
