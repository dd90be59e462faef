/* runbuf.c -- one run's rows in growable arrays, replayed into the store or
 * packed to bytes.  Strings of the rows live in one arena addressed by
 * offsets (so growing it never invalidates a row); the header's strings in a
 * second small arena.  Memory grows with the run's rows, nothing else.
 */
#include "runbuf.h"

#include <stdlib.h>
#include <string.h>

#define NOSTR UINT32_MAX

typedef struct rgroup { int32_t gid; uint32_t name; } rgroup;
typedef struct rmop { ev_member m; int32_t left_only; } rmop;
typedef struct rmetric { int32_t gid, daily; uint32_t day, metric; double v; } rmetric;

struct rb {
    store_run hdr;          /* strings point into hs after rb_set_run */
    char *hs; size_t hs_cap;
    char *str; size_t slen, scap;   /* row string arena */
    rgroup *g; size_t ng, gcap;
    rmop *mo; size_t nmo, mocap;
    ev_rec *ev; size_t nev, evcap;
    rmetric *mt; size_t nmt, mtcap;
    double *val; int nval, valcap;
    int64_t tag;
    int failed;             /* a row was lost to ENOMEM */
};

int rb_new(rb_t **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : -1;
}

void rb_free(rb_t *b)
{
    if (!b) return;
    free(b->hs);
    free(b->str);
    free(b->g);
    free(b->mo);
    free(b->ev);
    free(b->mt);
    free(b->val);
    free(b);
}

void rb_reset(rb_t *b)
{
    memset(&b->hdr, 0, sizeof b->hdr);
    b->slen = b->ng = b->nmo = b->nev = b->nmt = 0;
    b->nval = 0;
    b->tag = 0;
    b->failed = 0;
}

/* Make room for need elements of size sz in *p (capacity *cap).  0 or -1. */
static int grow(void **p, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 64;
    while (nc < need) nc *= 2;
    void *np = realloc(*p, nc * sz);
    if (!np) return -1;
    *p = np;
    *cap = nc;
    return 0;
}

static int fail(rb_t *b)
{
    b->failed = 1;
    return -1;
}

/* Copy s into the row arena; its offset, or NOSTR for NULL; -2 on ENOMEM. */
static int64_t intern(rb_t *b, const char *s)
{
    if (!s) return NOSTR;
    size_t n = strlen(s) + 1;
    if (b->slen + n >= NOSTR) return -2;
    if (grow((void **)&b->str, &b->scap, b->slen + n, 1)) return -2;
    memcpy(b->str + b->slen, s, n);
    int64_t off = (int64_t)b->slen;
    b->slen += n;
    return off;
}

static const char *sat(const rb_t *b, uint32_t off) { return off == NOSTR ? NULL : b->str + off; }

int rb_set_run(rb_t *b, const store_run *r)
{
    const char *s[4] = {r->scenario, r->arm, r->settings, r->source};
    size_t need = 0, len[4];
    for (int i = 0; i < 4; i++) need += (len[i] = s[i] ? strlen(s[i]) + 1 : 0);
    if (grow((void **)&b->hs, &b->hs_cap, need ? need : 1, 1)) return fail(b);
    b->hdr = *r;
    const char **dst[4] = {&b->hdr.scenario, &b->hdr.arm, &b->hdr.settings, &b->hdr.source};
    size_t at = 0;
    for (int i = 0; i < 4; i++) {
        if (!s[i]) { *dst[i] = NULL; continue; }
        memcpy(b->hs + at, s[i], len[i]);
        *dst[i] = b->hs + at;
        at += len[i];
    }
    return 0;
}

const store_run *rb_run(const rb_t *b) { return &b->hdr; }

int rb_group(rb_t *b, int32_t group_id, const char *name)
{
    int64_t off = intern(b, name);
    if (off == -2 || grow((void **)&b->g, &b->gcap, b->ng + 1, sizeof *b->g)) return fail(b);
    b->g[b->ng++] = (rgroup){group_id, (uint32_t)off};
    return 0;
}

static int add_mop(rb_t *b, const ev_member *m, int left_only)
{
    if (grow((void **)&b->mo, &b->mocap, b->nmo + 1, sizeof *b->mo)) return fail(b);
    rmop *o = &b->mo[b->nmo++];
    memset(o, 0, sizeof *o); /* padding too: the buffer may be packed */
    o->m = *m;
    o->left_only = left_only;
    return 0;
}

int rb_member(rb_t *b, const ev_member *m) { return add_mop(b, m, 0); }

int rb_member_left(rb_t *b, int32_t group_id, int64_t member_id, int64_t left_ts)
{
    ev_member m;
    memset(&m, 0, sizeof m);
    m.group_id = group_id;
    m.member_id = member_id;
    m.left_ts = left_ts;
    m.inviter_id = -1;
    return add_mop(b, &m, 1);
}

int rb_event(rb_t *b, const ev_rec *e)
{
    if (b->nev == b->evcap && grow((void **)&b->ev, &b->evcap, b->nev + 1, sizeof *b->ev)) return fail(b);
    b->ev[b->nev++] = *e;
    return 0;
}

static int add_metric(rb_t *b, int daily, int32_t gid, const char *day, const char *metric, double v)
{
    int64_t d = intern(b, day), m = intern(b, metric);
    if (d == -2 || m == -2 || grow((void **)&b->mt, &b->mtcap, b->nmt + 1, sizeof *b->mt)) return fail(b);
    b->mt[b->nmt++] = (rmetric){gid, daily, (uint32_t)d, (uint32_t)m, v};
    return 0;
}

int rb_daily(rb_t *b, int32_t group_id, const char *day, const char *metric, double v)
{
    return add_metric(b, 1, group_id, day, metric, v);
}

int rb_summary(rb_t *b, int32_t group_id, const char *metric, double v)
{
    return add_metric(b, 0, group_id, NULL, metric, v);
}

int rb_set_values(rb_t *b, const double *v, int n)
{
    if (n < 0) return -1;
    if (n > b->valcap) {
        double *nv = realloc(b->val, (size_t)n * sizeof *nv);
        if (!nv) return fail(b);
        b->val = nv;
        b->valcap = n;
    }
    if (n) memcpy(b->val, v, (size_t)n * sizeof *v);
    b->nval = n;
    return 0;
}

const double *rb_values(const rb_t *b, int *n)
{
    *n = b->nval;
    return b->val;
}

void rb_set_tag(rb_t *b, int64_t tag) { b->tag = tag; }
int64_t rb_tag(const rb_t *b) { return b->tag; }

size_t rb_rows(const rb_t *b) { return b->ng + b->nmo + b->nev + b->nmt; }

size_t rb_bytes(const rb_t *b)
{
    return sizeof *b + b->hs_cap + b->scap + b->gcap * sizeof *b->g + b->mocap * sizeof *b->mo +
           b->evcap * sizeof *b->ev + b->mtcap * sizeof *b->mt + (size_t)b->valcap * sizeof *b->val;
}

int rb_commit(const rb_t *b, store_t *st, int64_t run_id, int64_t batch_id)
{
    if (b->failed) return -2; /* rows were lost: never store half a run */
    store_run r = b->hdr;
    r.run_id = run_id;
    r.batch_id = batch_id;
    if (store_run_begin(st, &r, NULL)) return -1;
    for (size_t i = 0; i < b->ng; i++)
        if (store_group(st, b->g[i].gid, sat(b, b->g[i].name))) return -1;
    for (size_t i = 0; i < b->nmo; i++) {
        const ev_member *m = &b->mo[i].m;
        int rc = b->mo[i].left_only ? store_member_left(st, m->group_id, m->member_id, m->left_ts)
                                    : store_member(st, m, NULL);
        if (rc) return -1;
    }
    for (size_t i = 0; i < b->nev; i++)
        if (store_event(st, &b->ev[i])) return -1;
    for (size_t i = 0; i < b->nmt; i++) {
        const rmetric *m = &b->mt[i];
        int rc = m->daily ? store_daily(st, m->gid, sat(b, m->day), sat(b, m->metric), m->v)
                          : store_summary(st, m->gid, sat(b, m->metric), m->v);
        if (rc) return -1;
    }
    return store_run_commit(st);
}

/* ---- bytes ----------------------------------------------------------- */

typedef struct wbuf { unsigned char *p; size_t n, cap; int oom; } wbuf;

static void put(wbuf *w, const void *x, size_t n)
{
    if (w->oom) return;
    if (grow((void **)&w->p, &w->cap, w->n + n, 1)) { w->oom = 1; return; }
    memcpy(w->p + w->n, x, n);
    w->n += n;
}
static void put_i32(wbuf *w, int32_t v) { put(w, &v, sizeof v); }
static void put_i64(wbuf *w, int64_t v) { put(w, &v, sizeof v); }
static void put_f64(wbuf *w, double v) { put(w, &v, sizeof v); }
static void put_str(wbuf *w, const char *s)
{
    if (!s) { put_i64(w, -1); return; }
    size_t n = strlen(s);
    put_i64(w, (int64_t)n);
    put(w, s, n);
}

static const char magic[8] = {'Q', 'S', 'R', 'B', '0', '0', '0', '1'};

int rb_pack(const rb_t *b, unsigned char **out, size_t *n)
{
    wbuf w = {NULL, 0, 0, 0};
    *out = NULL;
    *n = 0;
    put(&w, magic, sizeof magic);
    put_i32(&w, b->failed);
    put_i64(&w, b->tag);
    const store_run *h = &b->hdr;
    put_i64(&w, h->run_id);
    put_i64(&w, h->batch_id);
    put_str(&w, h->scenario);
    put_str(&w, h->arm);
    put_i32(&w, h->point);
    put_i32(&w, h->rep);
    put_i64(&w, h->seed);
    put_str(&w, h->settings);
    put_str(&w, h->source);
    put_i64(&w, h->start_ts);
    put_i32(&w, h->utc_offset);
    put_i32(&w, h->days);
    put_i64(&w, (int64_t)b->ng);
    for (size_t i = 0; i < b->ng; i++) {
        put_i32(&w, b->g[i].gid);
        put_str(&w, sat(b, b->g[i].name));
    }
    put_i64(&w, (int64_t)b->nmo);
    for (size_t i = 0; i < b->nmo; i++) {
        const ev_member *m = &b->mo[i].m;
        put_i32(&w, b->mo[i].left_only);
        put_i32(&w, m->group_id);
        put_i32(&w, m->role);
        put_i32(&w, m->source);
        put_i64(&w, m->member_id);
        put_i64(&w, m->inviter_id);
        put_i64(&w, m->joined_ts);
        put_i64(&w, m->left_ts);
        put_i32(&w, m->spell);
    }
    put_i64(&w, (int64_t)b->nev);
    for (size_t i = 0; i < b->nev; i++) {
        const ev_rec *e = &b->ev[i];
        put_i64(&w, e->id);
        put_i64(&w, e->ts);
        put_i32(&w, e->group_id);
        put_i32(&w, e->kind);
        put_i64(&w, e->member_id);
        put_i64(&w, e->ref_id);
        put_f64(&w, e->value);
    }
    put_i64(&w, (int64_t)b->nmt);
    for (size_t i = 0; i < b->nmt; i++) {
        const rmetric *m = &b->mt[i];
        put_i32(&w, m->gid);
        put_i32(&w, m->daily);
        put_str(&w, sat(b, m->day));
        put_str(&w, sat(b, m->metric));
        put_f64(&w, m->v);
    }
    put_i32(&w, b->nval);
    for (int i = 0; i < b->nval; i++) put_f64(&w, b->val[i]);
    if (w.oom) {
        free(w.p);
        return -1;
    }
    *out = w.p;
    *n = w.n;
    return 0;
}

typedef struct rbuf { const unsigned char *p; size_t n, at; int bad; } rbuf;

static void get(rbuf *r, void *x, size_t n)
{
    if (r->bad || r->n - r->at < n) { r->bad = 1; memset(x, 0, n); return; }
    memcpy(x, r->p + r->at, n);
    r->at += n;
}
static int32_t get_i32(rbuf *r) { int32_t v; get(r, &v, sizeof v); return v; }
static int64_t get_i64(rbuf *r) { int64_t v; get(r, &v, sizeof v); return v; }
static double get_f64(rbuf *r) { double v; get(r, &v, sizeof v); return v; }

/* A string of the byte stream copied to a malloc'd NUL-terminated scratch
 * (*tmp, reused); NULL for an absent string or on error (r->bad set). */
static const char *get_str(rbuf *r, char **tmp, size_t *tcap)
{
    int64_t n = get_i64(r);
    if (r->bad || n < 0) return NULL;
    if ((uint64_t)n > r->n - r->at || grow((void **)tmp, tcap, (size_t)n + 1, 1)) {
        r->bad = 1;
        return NULL;
    }
    memcpy(*tmp, r->p + r->at, (size_t)n);
    (*tmp)[n] = '\0';
    r->at += (size_t)n;
    return *tmp;
}

/* A count that cannot exceed what is left (each item takes >= min bytes). */
static size_t get_count(rbuf *r, size_t min)
{
    int64_t n = get_i64(r);
    if (r->bad || n < 0 || (uint64_t)n > (r->n - r->at) / min) {
        r->bad = 1;
        return 0;
    }
    return (size_t)n;
}

int rb_unpack(rb_t *b, const unsigned char *p, size_t n)
{
    rbuf r = {p, n, 0, 0};
    char m[sizeof magic];
    char *tmp = NULL;
    size_t tcap = 0;
    rb_reset(b);
    get(&r, m, sizeof m);
    if (r.bad || memcmp(m, magic, sizeof magic)) goto bad;
    int failed = get_i32(&r);
    b->tag = get_i64(&r);
    store_run h;
    memset(&h, 0, sizeof h);
    h.run_id = get_i64(&r);
    h.batch_id = get_i64(&r);
    /* header strings: gather into one scratch, then rb_set_run copies */
    const char *s[4];
    char *copy[4] = {NULL, NULL, NULL, NULL};
    for (int i = 0; i < 4; i++) {
        if (i == 2) {
            h.point = get_i32(&r);
            h.rep = get_i32(&r);
            h.seed = get_i64(&r);
        }
        s[i] = get_str(&r, &tmp, &tcap);
        if (s[i]) {
            copy[i] = strdup(s[i]);
            if (!copy[i]) r.bad = 1;
        }
    }
    h.scenario = copy[0];
    h.arm = copy[1];
    h.settings = copy[2];
    h.source = copy[3];
    h.start_ts = get_i64(&r);
    h.utc_offset = get_i32(&r);
    h.days = get_i32(&r);
    int ok = !r.bad && rb_set_run(b, &h) == 0;
    for (int i = 0; i < 4; i++) free(copy[i]);
    if (!ok) goto bad;
    size_t k = get_count(&r, 12);
    for (size_t i = 0; i < k && !r.bad; i++) {
        int32_t gid = get_i32(&r);
        const char *name = get_str(&r, &tmp, &tcap);
        if (!r.bad && rb_group(b, gid, name)) goto bad;
    }
    k = get_count(&r, 52);
    for (size_t i = 0; i < k && !r.bad; i++) {
        ev_member mm;
        memset(&mm, 0, sizeof mm);
        int32_t left_only = get_i32(&r);
        mm.group_id = get_i32(&r);
        mm.role = get_i32(&r);
        mm.source = get_i32(&r);
        mm.member_id = get_i64(&r);
        mm.inviter_id = get_i64(&r);
        mm.joined_ts = get_i64(&r);
        mm.left_ts = get_i64(&r);
        mm.spell = get_i32(&r);
        if (!r.bad && add_mop(b, &mm, left_only != 0)) goto bad;
    }
    k = get_count(&r, 48);
    if (!r.bad && grow((void **)&b->ev, &b->evcap, k, sizeof *b->ev)) goto bad;
    for (size_t i = 0; i < k && !r.bad; i++) {
        ev_rec e;
        e.id = get_i64(&r);
        e.ts = get_i64(&r);
        e.group_id = get_i32(&r);
        e.kind = get_i32(&r);
        e.member_id = get_i64(&r);
        e.ref_id = get_i64(&r);
        e.value = get_f64(&r);
        b->ev[b->nev++] = e;
    }
    k = get_count(&r, 32);
    for (size_t i = 0; i < k && !r.bad; i++) {
        int32_t gid = get_i32(&r), daily = get_i32(&r);
        const char *day = get_str(&r, &tmp, &tcap);
        char *dcopy = day ? strdup(day) : NULL;
        if (day && !dcopy) goto bad;
        const char *metric = get_str(&r, &tmp, &tcap);
        double v = get_f64(&r);
        int rc = r.bad ? 0 : add_metric(b, daily != 0, gid, dcopy, metric, v);
        free(dcopy);
        if (rc) goto bad;
    }
    int32_t nv = get_i32(&r);
    if (r.bad || nv < 0 || (size_t)nv > (r.n - r.at) / 8) goto bad;
    double *v = malloc((size_t)(nv ? nv : 1) * sizeof *v);
    if (!v) goto bad;
    for (int i = 0; i < nv; i++) v[i] = get_f64(&r);
    ok = !r.bad && rb_set_values(b, v, nv) == 0;
    free(v);
    if (!ok || r.at != r.n) goto bad;
    b->failed = failed != 0;
    free(tmp);
    return 0;
bad:
    free(tmp);
    rb_reset(b);
    return -1;
}
