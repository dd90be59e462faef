/* import_core.c -- the import driver and the sink every format feeds:
 * group and member ids, memberships, duplicate detection, the question and
 * check-in rules, time parsing, and the writes through store.h.
 *
 * Memory: hash maps keyed by group and member ids/names (grow with members),
 * a fingerprint set of message ids (8 bytes a slot, capped at
 * IMP_DEDUP_MAX); events go straight to the store.  The format readers live
 * in import_csv.c, import_wechat.c, import_wecom.c.
 */
#include "import.h"

#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- small building blocks -------------------------------------------- */

static uint64_t hash_bytes(const void *p, size_t n, uint64_t h)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001b3ull; /* FNV-1a */
    return h;
}

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull; /* splitmix64 finaliser */
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

#define FNV0 0xcbf29ce484222325ull

/* Strings kept for the whole import (keys and names), in big blocks. */
typedef struct spool {
    char **blocks;
    size_t nblocks, used, cap;
} spool;

static const char *spool_dup(spool *p, const char *s)
{
    size_t n = strlen(s) + 1;
    if (!p->nblocks || p->used + n > p->cap) {
        size_t cap = n > 65536 ? n : 65536;
        char **nb = realloc(p->blocks, (p->nblocks + 1) * sizeof *nb);
        if (!nb) return NULL;
        p->blocks = nb;
        if (!(p->blocks[p->nblocks] = malloc(cap))) return NULL;
        p->nblocks++;
        p->used = 0;
        p->cap = cap;
    }
    char *d = p->blocks[p->nblocks - 1] + p->used;
    memcpy(d, s, n);
    p->used += n;
    return d;
}

static void spool_free(spool *p)
{
    for (size_t i = 0; i < p->nblocks; i++) free(p->blocks[i]);
    free(p->blocks);
}

/* String -> int64 map, open addressing; keys live in a spool. */
typedef struct smap {
    struct sent { uint64_t h; const char *k; int64_t v; } *e;
    size_t cap, n;
} smap;

static int64_t *smap_find(smap *m, const char *k, uint64_t h)
{
    if (!m->cap) return NULL;
    for (size_t i = mix64(h) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->e[i].k) return NULL;
        if (m->e[i].h == h && strcmp(m->e[i].k, k) == 0) return &m->e[i].v;
    }
}

/* Insert (k must be a spool copy).  0 or -1 (out of memory). */
static int smap_put(smap *m, const char *k, uint64_t h, int64_t v)
{
    if ((m->n + 1) * 10 > m->cap * 7) {
        size_t ncap = m->cap ? m->cap * 2 : 256;
        struct sent *ne = calloc(ncap, sizeof *ne);
        if (!ne) return -1;
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->e[i].k) continue;
            size_t j = mix64(m->e[i].h) & (ncap - 1);
            while (ne[j].k) j = (j + 1) & (ncap - 1);
            ne[j] = m->e[i];
        }
        free(m->e);
        m->e = ne;
        m->cap = ncap;
    }
    size_t i = mix64(h) & (m->cap - 1);
    while (m->e[i].k) {
        if (m->e[i].h == h && strcmp(m->e[i].k, k) == 0) {
            m->e[i].v = v;
            return 0;
        }
        i = (i + 1) & (m->cap - 1);
    }
    m->e[i] = (struct sent){h, k, v};
    m->n++;
    return 0;
}

/* uint64 -> int64 map (memberships keyed by group and member). */
typedef struct umap {
    struct uent { uint64_t k; int64_t v; } *e; /* k == 0: empty (keys are never 0) */
    size_t cap, n;
} umap;

static int64_t *umap_find(umap *m, uint64_t k)
{
    if (!m->cap) return NULL;
    for (size_t i = mix64(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->e[i].k) return NULL;
        if (m->e[i].k == k) return &m->e[i].v;
    }
}

static int umap_put(umap *m, uint64_t k, int64_t v)
{
    if ((m->n + 1) * 10 > m->cap * 7) {
        size_t ncap = m->cap ? m->cap * 2 : 256;
        struct uent *ne = calloc(ncap, sizeof *ne);
        if (!ne) return -1;
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->e[i].k) continue;
            size_t j = mix64(m->e[i].k) & (ncap - 1);
            while (ne[j].k) j = (j + 1) & (ncap - 1);
            ne[j] = m->e[i];
        }
        free(m->e);
        m->e = ne;
        m->cap = ncap;
    }
    size_t i = mix64(k) & (m->cap - 1);
    while (m->e[i].k && m->e[i].k != k) i = (i + 1) & (m->cap - 1);
    if (!m->e[i].k) m->n++;
    m->e[i] = (struct uent){k, v};
    return 0;
}

/* Fingerprint set for duplicate message ids: 8 bytes a slot. */
typedef struct fpset {
    uint64_t *e;
    size_t cap, n;
    int full;
} fpset;

/* 1 if fp was already there, 0 if added (or the set is full), -1 ENOMEM. */
static int fpset_add(fpset *s, uint64_t fp)
{
    if (!fp) fp = 1;
    if (s->cap) {
        for (size_t i = mix64(fp) & (s->cap - 1); s->e[i]; i = (i + 1) & (s->cap - 1))
            if (s->e[i] == fp) return 1;
    }
    if (s->full) return 0;
    if ((s->n + 1) * 4 > s->cap * 3) {
        if (s->n >= IMP_DEDUP_MAX) {
            s->full = 1;
            return 0;
        }
        size_t ncap = s->cap ? s->cap * 2 : 4096;
        uint64_t *ne = calloc(ncap, sizeof *ne);
        if (!ne) return -1;
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->e[i]) continue;
            size_t j = mix64(s->e[i]) & (ncap - 1);
            while (ne[j]) j = (j + 1) & (ncap - 1);
            ne[j] = s->e[i];
        }
        free(s->e);
        s->e = ne;
        s->cap = ncap;
    }
    size_t i = mix64(fp) & (s->cap - 1);
    while (s->e[i]) i = (i + 1) & (s->cap - 1);
    s->e[i] = fp;
    s->n++;
    return 0;
}

/* ---- the context -------------------------------------------------------- */

typedef struct member {
    const char *name; /* display name, spool; NULL if unknown */
    int has_id;       /* known by a source id (not only by a name in a notice) */
} member;

typedef struct gentry {
    const char *key;  /* group id in the source */
    const char *name; /* display name or NULL */
} gentry;

typedef struct mship {
    int32_t gid;
    int64_t mid;
    int32_t role;
} mship;

/* A join or leave of a membership, as read (files may come in any order):
 * sorted at the end into spells (finish). */
typedef struct mchange {
    int64_t ms;       /* index in ms */
    int64_t ts;
    int64_t seq;      /* order read: ties at one second keep it */
    int64_t inviter;  /* joins: member id or -1 */
    int32_t leave;    /* 1 leave, 0 join */
    int32_t source;   /* joins: ev_source */
} mchange;

struct imp_ctx {
    store_t *st;
    const imp_opts *o;
    imp_stats *s;
    spool pool;
    smap ids, names, groups;
    member *mem;
    int64_t nmem, memcap;
    gentry *grp;
    int32_t ngrp, grpcap;
    umap mshipx;  /* (gid, mid) -> index in ms */
    mship *ms;
    int64_t nms, mscap;
    mchange *chg;       /* joins and leaves, for the spells */
    int64_t nchg, chgcap;
    fpset joins_seen;   /* (membership, second) of the joins: a repeated notice */
    fpset seen;
    int64_t self_mid;   /* the exporting account, -1 until seen */
    int64_t max_ts;     /* for out-of-order counting */
    int have_ts;
    int64_t log_events; /* events of the log itself (not from member lists) */
    int failed;         /* IMP_EFAIL / IMP_EINPUT once something went wrong */
    const char *default_group_name;
    char err[1024];
};

void imp_opts_init(imp_opts *o)
{
    memset(o, 0, sizeof *o);
    o->utc_offset = 8 * 3600;
}

void imp_msg_init(imp_msg *m)
{
    memset(m, 0, sizeof *m);
    m->kind = EV_MESSAGE;
    m->refine = 1;
    m->length = -1;
    m->question = -1;
}

const imp_opts *imp_options(const imp_ctx *x) { return x->o; }
int32_t imp_log_offset(const imp_opts *o) { return o->has_log_tz ? o->log_tz : o->utc_offset; }
void imp_skip(imp_ctx *x) { x->s->skipped++; }
void imp_group_is_file(imp_ctx *x) { x->s->group_is_file = 1; }
void imp_row(imp_ctx *x) { x->s->rows++; }

static int set_fail(imp_ctx *x, int kind, const char *fmt, va_list ap)
{
    if (!x->failed) {
        vsnprintf(x->err, sizeof x->err, fmt, ap);
        x->failed = kind;
    }
    return -1;
}

int imp_fail(imp_ctx *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_fail(x, IMP_EINPUT, fmt, ap);
    va_end(ap);
    return -1;
}

static int sys_fail(imp_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sys_fail(imp_ctx *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_fail(x, IMP_EFAIL, fmt, ap);
    va_end(ap);
    return -1;
}

static int oom(imp_ctx *x) { return sys_fail(x, "import: out of memory"); }

int imp_bad(imp_ctx *x, const char *file, int64_t line, const char *fmt, ...)
{
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    x->s->malformed++;
    if (x->s->nbad < IMP_MAX_REPORT)
        snprintf(x->s->bad[x->s->nbad++], sizeof x->s->bad[0], "%s:%lld: %s", file, (long long)line, why);
    if (x->o->strict) return imp_fail(x, "%s:%lld: %s (--strict: nothing imported)", file, (long long)line, why);
    return 0;
}

/* ---- groups and members ----------------------------------------------- */

/* 1 if the group passes the --group filter. */
static int group_wanted(imp_ctx *x, const char *key, const char *name)
{
    const char *g = x->o->group;
    if (!g || !*g) return 1;
    if (strcmp(g, key) == 0 || (name && strcmp(g, name) == 0)) return 1;
    /* a group first named by a row with its name and later rows without it */
    int64_t *gid = smap_find(&x->groups, key, hash_bytes(key, strlen(key), FNV0));
    return gid && x->grp[*gid - 1].name && strcmp(x->grp[*gid - 1].name, g) == 0;
}

/* The group id of key (assigned 1.. in order of appearance), or -1 on ENOMEM. */
static int32_t group_id(imp_ctx *x, const char *key, const char *name)
{
    uint64_t h = hash_bytes(key, strlen(key), FNV0);
    int64_t *v = smap_find(&x->groups, key, h);
    if (v) {
        gentry *g = &x->grp[*v - 1];
        if (name && *name && !g->name && !(g->name = spool_dup(&x->pool, name))) return -1;
        return (int32_t)*v;
    }
    if ((uint32_t)x->ngrp >= IMP_MAX_GROUPS)
        return imp_fail(x, "import: more than %u groups (IMP_MAX_GROUPS): not a group chat log?", IMP_MAX_GROUPS);
    if (x->ngrp == x->grpcap) {
        int32_t ncap = x->grpcap ? x->grpcap * 2 : 16;
        gentry *ng = realloc(x->grp, (size_t)ncap * sizeof *ng);
        if (!ng) return -1;
        x->grp = ng;
        x->grpcap = ncap;
    }
    const char *k = spool_dup(&x->pool, key);
    const char *n = name && *name ? spool_dup(&x->pool, name) : NULL;
    if (!k || (name && *name && !n)) return -1;
    x->grp[x->ngrp] = (gentry){k, n};
    x->ngrp++;
    if (smap_put(&x->groups, k, h, x->ngrp)) return -1;
    return x->ngrp;
}

static int64_t new_member(imp_ctx *x, const char *name, int has_id)
{
    if (x->nmem >= (int64_t)IMP_MAX_MEMBERS)
        return imp_fail(x, "import: more than %u distinct members (IMP_MAX_MEMBERS): not a group chat log?",
                        IMP_MAX_MEMBERS);
    if (x->nmem == x->memcap) {
        int64_t ncap = x->memcap ? x->memcap * 2 : 256;
        member *nm = realloc(x->mem, (size_t)ncap * sizeof *nm);
        if (!nm) return -1;
        x->mem = nm;
        x->memcap = ncap;
    }
    const char *n = name && *name ? spool_dup(&x->pool, name) : NULL;
    if (name && *name && !n) return -1;
    x->mem[x->nmem] = (member){n, has_id};
    return x->nmem++;
}

/* Remember name -> mid (the latest holder of a display name wins). */
static int name_bind(imp_ctx *x, const char *name, int64_t mid)
{
    if (!name || !*name) return 0;
    uint64_t h = hash_bytes(name, strlen(name), FNV0);
    int64_t *v = smap_find(&x->names, name, h);
    if (v) {
        *v = mid;
        return 0;
    }
    const char *k = spool_dup(&x->pool, name);
    return k ? smap_put(&x->names, k, h, mid) : -1;
}

/* The member id for a sender known by id (and maybe a name), or -1 ENOMEM.
 * A member first met by name only (in a join notice) is adopted by the
 * first id that comes with that name. */
static int64_t member_by_id(imp_ctx *x, const char *id, const char *name, const char *alias, int is_self)
{
    int64_t mid = -1;
    if (is_self && x->self_mid >= 0) mid = x->self_mid;
    uint64_t h = hash_bytes(id, strlen(id), FNV0);
    int64_t *v = smap_find(&x->ids, id, h);
    if (v) {
        mid = *v;
    } else {
        const char *try[2] = {name, alias};
        for (int i = 0; i < 2 && mid < 0; i++) {
            if (!try[i] || !*try[i]) continue;
            int64_t *nv = smap_find(&x->names, try[i], hash_bytes(try[i], strlen(try[i]), FNV0));
            if (nv && !x->mem[*nv].has_id) mid = *nv;
        }
        if (mid < 0 && (mid = new_member(x, name, 1)) < 0) return -1;
        x->mem[mid].has_id = 1;
        const char *k = spool_dup(&x->pool, id);
        if (!k || smap_put(&x->ids, k, h, mid)) return -1;
    }
    if (is_self) x->self_mid = mid;
    if (name && *name) {
        if (!x->mem[mid].name || strcmp(x->mem[mid].name, name) != 0) {
            const char *n = spool_dup(&x->pool, name);
            if (!n) return -1;
            x->mem[mid].name = n;
        }
        if (name_bind(x, name, mid)) return -1;
    }
    if (alias && *alias && name_bind(x, alias, mid)) return -1;
    return mid;
}

/* The member id for a display name from a notice (IMP_SELF-free: "你" is
 * resolved by the caller), or -1 on ENOMEM. */
static int64_t member_by_name(imp_ctx *x, const char *name)
{
    int64_t *v = smap_find(&x->names, name, hash_bytes(name, strlen(name), FNV0));
    if (v) return *v;
    int64_t mid = new_member(x, name, 0);
    if (mid < 0 || name_bind(x, name, mid)) return -1;
    return mid;
}

/* A notice's name written 昵称(wxid) (chatlog renders them so, and qunsim
 * rewrites 10002 sysmsg members so): 1 and the two parts in buf, else 0.
 * The id must look like a WeChat id: 6 to 64 of [A-Za-z0-9_-], starting
 * with a letter ("Tom(2)" stays a name). */
static int split_nick_id(const char *s, char *buf, size_t n, const char **nick, const char **id)
{
    size_t len = strlen(s);
    if (len < 9 || len >= n || s[len - 1] != ')') return 0;
    const char *open = NULL;
    for (const char *p = s + len - 2; p > s; p--)
        if (*p == '(') { open = p; break; }
    if (!open || open == s) return 0;
    size_t il = (size_t)(s + len - 1 - (open + 1));
    if (il < 6 || il > 64) return 0;
    const char *q = open + 1;
    if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z'))) return 0;
    for (size_t i = 0; i < il; i++) {
        char c = q[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return 0;
    }
    memcpy(buf, s, len + 1);
    buf[open - s] = '\0';
    buf[len - 1] = '\0';
    *nick = buf;
    *id = buf + (open - s) + 1;
    return 1;
}

/* The member named in a notice: by its wxid if written 昵称(wxid), else by
 * display name.  -1 on ENOMEM. */
static int64_t member_by_notice_name(imp_ctx *x, const char *name)
{
    char buf[512];
    const char *nick, *id;
    if (split_nick_id(name, buf, sizeof buf, &nick, &id)) return member_by_id(x, id, *nick ? nick : NULL, NULL, 0);
    return member_by_name(x, name);
}

static int64_t self_member(imp_ctx *x)
{
    if (x->self_mid < 0) x->self_mid = new_member(x, NULL, 0);
    return x->self_mid;
}

/* The membership of (gid, mid), created on first sight; NULL on ENOMEM. */
static mship *membership(imp_ctx *x, int32_t gid, int64_t mid)
{
    uint64_t k = ((uint64_t)(uint32_t)gid << 40) ^ (uint64_t)(mid + 1);
    int64_t *v = umap_find(&x->mshipx, k);
    if (v) return &x->ms[*v];
    if (x->nms >= (int64_t)IMP_MAX_MEMBERSHIPS) {
        imp_fail(x, "import: more than %u memberships (IMP_MAX_MEMBERSHIPS): not a group chat log?", IMP_MAX_MEMBERSHIPS);
        return NULL;
    }
    if (x->nms == x->mscap) {
        int64_t ncap = x->mscap ? x->mscap * 2 : 256;
        mship *nm = realloc(x->ms, (size_t)ncap * sizeof *nm);
        if (!nm) return NULL;
        x->ms = nm;
        x->mscap = ncap;
    }
    x->ms[x->nms] = (mship){gid, mid, ROLE_MEMBER};
    if (umap_put(&x->mshipx, k, x->nms)) return NULL;
    return &x->ms[x->nms++];
}

static int add_change(imp_ctx *x, int64_t msi, int64_t ts, int leave, int source, int64_t inviter)
{
    if (x->nchg == x->chgcap) {
        int64_t ncap = x->chgcap ? x->chgcap * 2 : 256;
        mchange *nc = realloc(x->chg, (size_t)ncap * sizeof *nc);
        if (!nc) return -1;
        x->chg = nc;
        x->chgcap = ncap;
    }
    x->chg[x->nchg] = (mchange){msi, ts, x->nchg, inviter, leave, source};
    x->nchg++;
    return 0;
}

/* Record a join of the membership.  1 if new (an event worth writing), 0 if
 * the same membership joined at the same second already (the same notice
 * twice), -1 ENOMEM. */
static int note_join(imp_ctx *x, int32_t gid, int64_t mid, int64_t ts, int source, int64_t inviter)
{
    mship *ms = membership(x, gid, mid);
    if (!ms) return -1;
    int64_t msi = ms - x->ms;
    int r = fpset_add(&x->joins_seen, mix64((uint64_t)msi * 0x9E3779B97F4A7C15ull ^ (uint64_t)ts) | 1);
    if (r) return r < 0 ? -1 : 0;
    return add_change(x, msi, ts, 0, source, inviter) ? -1 : 1;
}

/* ---- the rules ---------------------------------------------------------- */

static const char *const question_words[] = {
    "吗", "嗎", "请问", "請問", "怎么", "怎麼", "怎样", "如何", "为什么", "為什麼", "为啥", "咋",
    "哪里", "哪儿", "哪個", "哪个", "有没有", "能不能", "可不可以", "是不是", "多少", "几点",
    "什么时候", NULL,
};

/* 1 if the '?' at p (in s) is not inside a URL token. */
static int plain_qmark(const char *s, const char *p)
{
    const char *t = p;
    while (t > s && t[-1] != ' ' && t[-1] != '\n' && t[-1] != '\t') t--;
    for (; t < p; t++)
        if (!strncmp(t, "http://", 7) || !strncmp(t, "https://", 8)) return 0;
    return 1;
}

int imp_is_question(const char *s)
{
    if (!s) return 0;
    /* one pass: every word starts with a 3-byte character, so only those
     * positions are compared with the list */
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '?') {
            if (plain_qmark(s, p)) return 1;
        } else if (c >= 0xE0 && c < 0xF0) {
            if (!strncmp(p, "\xEF\xBC\x9F", 3)) return 1; /* ？ U+FF1F */
            for (int i = 0; question_words[i]; i++)
                if (p[0] == question_words[i][0] && p[1] == question_words[i][1] && p[2] == question_words[i][2] &&
                    !strncmp(p, question_words[i], strlen(question_words[i])))
                    return 1;
            p += 2; /* *p[1], p[2] are continuation bytes unless the text is broken */
            if (!p[-1] || !p[0]) break;
        }
    }
    return 0;
}

#define CHECKIN "\xE6\x89\x93\xE5\x8D\xA1" /* 打卡 */

int imp_is_checkin(const char *s)
{
    if (!s) return 0;
    if (strstr(s, "#" CHECKIN) || strstr(s, "\xEF\xBC\x83" CHECKIN)) return 1; /* # or ＃ */
    for (;;) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '#' || *s == '[') s++;
        else if (!strncmp(s, "\xE3\x80\x90", 3)) s += 3; /* 【 */
        else break;
    }
    return strncmp(s, CHECKIN, 6) == 0;
}

int64_t imp_utf8_len(const char *s)
{
    int64_t n = 0;
    if (!s) return 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) n++;
    return n;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9') return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

int imp_parse_offset(const char *s, int32_t *out)
{
    while (*s == ' ') s++;
    if (!strcmp(s, "Z") || !strcmp(s, "UTC") || !strcmp(s, "GMT")) {
        *out = 0;
        return 0;
    }
    if (!strncmp(s, "UTC", 3) || !strncmp(s, "GMT", 3)) s += 3;
    int sign = *s == '+' ? 1 : *s == '-' ? -1 : 0;
    if (!sign) return -1;
    s++;
    int h = 0, m = 0;
    size_t n = strspn(s, "0123456789");
    if (n == 1 || n == 2) {
        digits(&s, (int)n, &h);
        if (*s == ':') {
            s++;
            if (digits(&s, 2, &m)) return -1;
        }
    } else if (n == 4) {
        digits(&s, 2, &h);
        digits(&s, 2, &m);
    } else {
        return -1;
    }
    if (*s || h > 14 || m > 59 || (h == 14 && m > 0)) return -1; /* |offset| <= 14:00, as cal_parse_offset */
    *out = sign * (h * 3600 + m * 60);
    return 0;
}

int imp_parse_time(const char *s, int32_t utc_offset, int64_t *out)
{
    if (!s) return -1;
    while (*s == ' ') s++;
    size_t n = strspn(s, "0123456789");
    if (n > 0 && s[n] == '\0' && n <= 16) {
        /* unix seconds, or milliseconds (WeCom msgtime) */
        int64_t v = strtoll(s, NULL, 10);
        *out = v > 100000000000ll ? v / 1000 : v;
        return 0;
    }
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, se = 0;
    if (n != 4 || digits(&p, 4, &y)) return -1;
    char sep = *p;
    if (sep != '-' && sep != '/') return -1;
    p++;
    size_t k = strspn(p, "0123456789");
    if ((k != 1 && k != 2) || digits(&p, (int)k, &mo) || *p++ != sep) return -1;
    k = strspn(p, "0123456789");
    if ((k != 1 && k != 2) || digits(&p, (int)k, &d)) return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31) return -1;
    if (*p == ' ' || *p == 'T') {
        p++;
        k = strspn(p, "0123456789");
        if ((k != 1 && k != 2) || digits(&p, (int)k, &h) || *p++ != ':' || digits(&p, 2, &mi)) return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &se)) return -1;
            if (*p == '.' || *p == ',') {
                p++;
                p += strspn(p, "0123456789");
            }
        }
        if (h > 23 || mi > 59 || se > 60) return -1;
    }
    int32_t off = utc_offset;
    while (*p == ' ') p++;
    if (*p && imp_parse_offset(p, &off)) return -1;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
    return 0;
}

/* ---- the sink ------------------------------------------------------------ */

/* Write one event; span: it belongs to the log (a member list's old joins
 * do not stretch the run's days). */
static int write_event(imp_ctx *x, int64_t ts, int32_t gid, int kind, int64_t mid, int64_t ref, double v,
                       int span)
{
    ev_rec e = {.ts = ts, .group_id = gid, .kind = kind, .member_id = mid, .ref_id = ref, .value = v};
    if (store_event(x->st, &e)) return sys_fail(x, "%s", store_errmsg(x->st));
    imp_stats *s = x->s;
    s->events++;
    if (ev_kind_is_message((ev_kind)kind)) s->messages++;
    if (kind == EV_QUESTION) s->questions++;
    if (kind == EV_JOIN) s->joins++;
    if (kind == EV_LEAVE) s->leaves++;
    if (span) {
        if (!x->log_events || ts < s->first_ts) s->first_ts = ts;
        if (!x->log_events || ts > s->last_ts) s->last_ts = ts;
        x->log_events++;
    }
    return 0;
}

static const char *group_key(const imp_msg *m) { return m->group ? m->group : ""; }

int imp_emit(imp_ctx *x, const imp_msg *m)
{
    if (x->failed) return -1;
    const char *gkey = group_key(m);
    if (!group_wanted(x, gkey, m->group_name)) {
        x->s->skipped++;
        return 0;
    }
    if (m->msgid) {
        int r = imp_seen(x, gkey, &m->msgid, 1);
        if (r) return r < 0 ? -1 : 0;
    }
    int32_t gid = group_id(x, gkey, m->group_name);
    if (gid < 0) return oom(x);
    if (x->have_ts && m->ts < x->max_ts) x->s->out_of_order++;
    if (!x->have_ts || m->ts > x->max_ts) x->max_ts = m->ts;
    x->have_ts = 1;

    int kind = m->kind;
    int64_t mid = -1, ref = -1;
    const char *sender = m->sender && *m->sender ? m->sender : NULL;
    const char *sname = m->sender_name && *m->sender_name ? m->sender_name : NULL;
    if (m->is_self && !sender && !sname) {
        if ((mid = self_member(x)) < 0) return oom(x);
    } else if (m->by_name && sname) {
        if ((mid = member_by_notice_name(x, sname)) < 0) return oom(x);
    } else if (sender) {
        if ((mid = member_by_id(x, sender, sname, m->sender_alias, m->is_self)) < 0) return oom(x);
    } else if (sname) {
        /* no id in the source: the display name is the id */
        if ((mid = member_by_id(x, sname, sname, m->sender_alias, m->is_self)) < 0) return oom(x);
    }
    if (mid < 0 && kind != EV_SYSTEM) kind = EV_SYSTEM; /* nobody to attribute it to */

    double value = m->value;
    if (ev_kind_is_message((ev_kind)kind)) {
        if (m->question == 1 || (m->question < 0 && m->refine && imp_is_question(m->text)))
            kind = EV_QUESTION;
        else if (m->refine && kind == EV_MESSAGE && m->text) {
            if (imp_is_checkin(m->text))
                kind = EV_CHECKIN;
            else if (strstr(m->text, "@\xE6\x89\x80\xE6\x9C\x89\xE4\xBA\xBA")) /* @所有人 */
                kind = EV_ANNOUNCE;
        }
        value = (double)(m->length >= 0 ? m->length : imp_utf8_len(m->text));
    }
    if (mid >= 0) {
        mship *ms = membership(x, gid, mid);
        if (!ms) return oom(x);
        if (kind == EV_JOIN) {
            if (m->inviter && *m->inviter) {
                ref = !strcmp(m->inviter, IMP_SELF) ? self_member(x)
                    : m->by_name ? member_by_notice_name(x, m->inviter) : member_by_id(x, m->inviter, NULL, NULL, 0);
                if (ref < 0 || !membership(x, gid, ref)) return oom(x);
            }
            int src = m->source;
            if ((unsigned)src >= SRC_COUNT) src = ref >= 0 ? SRC_INVITE : SRC_ORGANIC;
            int r = note_join(x, gid, mid, m->ts, src, ref);
            if (r < 0) return oom(x);
            if (r == 0) {
                x->s->duplicates++;
                return 0;
            }
            value = src;
        } else if (kind == EV_LEAVE) {
            if (add_change(x, ms - x->ms, m->ts, 1, SRC_SEED, -1)) return oom(x);
        }
    }
    return write_event(x, m->ts, gid, kind, mid, ref, value, 1);
}

int imp_seen(imp_ctx *x, const char *group, const char *const *parts, int nparts)
{
    const char *gkey = group ? group : "";
    uint64_t fp = hash_bytes(gkey, strlen(gkey) + 1, FNV0);
    for (int i = 0; i < nparts; i++) {
        const char *p = parts[i] ? parts[i] : "";
        fp = hash_bytes(p, strlen(p) + 1, fp); /* the NUL separates the parts */
    }
    int r = fpset_add(&x->seen, fp);
    if (r < 0) return oom(x);
    x->s->dedup_full = x->seen.full;
    if (r == 1) x->s->duplicates++;
    return r;
}

int imp_person(imp_ctx *x, const char *id, const char *name, const char *alias)
{
    if (x->failed) return -1;
    if (!id || !*id) return 0;
    return member_by_id(x, id, name && *name ? name : NULL, alias && *alias ? alias : NULL, 0) < 0 ? oom(x) : 0;
}

int imp_member(imp_ctx *x, const char *group, const char *group_name, const char *id, const char *name,
               int role, int64_t joined_ts, int source, const char *inviter)
{
    if (x->failed) return -1;
    const char *gkey = group ? group : "";
    if (!id || !*id) return 0;
    if (!group_wanted(x, gkey, group_name)) {
        x->s->skipped++;
        return 0;
    }
    int32_t gid = group_id(x, gkey, group_name);
    if (gid < 0) return oom(x);
    int64_t mid = member_by_id(x, id, name, NULL, 0);
    if (mid < 0) return oom(x);
    mship *ms = membership(x, gid, mid);
    if (!ms) return oom(x);
    if ((unsigned)role < ROLE_COUNT && role != ROLE_MEMBER) ms->role = role;
    if (joined_ts < 0) return 0;
    int64_t ref = -1;
    if (inviter && *inviter) {
        if ((ref = member_by_id(x, inviter, NULL, NULL, 0)) < 0 || !membership(x, gid, ref)) return oom(x);
    }
    if ((unsigned)source >= SRC_COUNT) source = ref >= 0 ? SRC_INVITE : SRC_ORGANIC;
    int r = note_join(x, gid, mid, joined_ts, source, ref);
    if (r < 0) return oom(x);
    if (r == 0) return 0;
    return write_event(x, joined_ts, gid, EV_JOIN, mid, ref, source, 0);
}

/* ---- the driver ---------------------------------------------------------- */

/* The formats: one row each (name and help for --help), handlers in step. */
static const imp_format_info format_info[] = {
    {"csv", "generic CSV: ts, group, sender, kind, length, inviter, question, ... (docs/import.md)"},
    {"wechatmsg", "WeChatMsg/MemoTrace CSV: per chat (localId, TalkerId, Type, ..., Sender), v1.0/0.2.6, messages.csv, MemoTrace 2025"},
    {"chatlog", "chatlog HTTP export: CSV (Time, SenderName, Sender, TalkerName, Talker, Content) or JSON"},
    {"wecom", "WeCom archive messages (JSON lines) and group member lists (JSON)"},
    {"pywxdump", "PyWxDump CSV (id, MsgSvrID, type_name, is_sender, talker, room_name, msg, src, CreateTime) + users.json"},
    {NULL, NULL},
};
static const imp_handler format_fn[] = {imp_read_csv, imp_read_wechatmsg, imp_read_chatlog, imp_read_wecom,
                                        imp_read_pywxdump};

const imp_format_info *imp_formats(void) { return format_info; }

static void ctx_free(imp_ctx *x)
{
    spool_free(&x->pool);
    free(x->ids.e);
    free(x->names.e);
    free(x->groups.e);
    free(x->mem);
    free(x->grp);
    free(x->mshipx.e);
    free(x->ms);
    free(x->chg);
    free(x->joins_seen.e);
    free(x->seen.e);
}

static const char *base_name(const char *path, char *buf, size_t n)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(buf, n, "%s", b);
    char *dot = strrchr(buf, '.');
    if (dot && dot != buf) *dot = '\0';
    return buf;
}

static int cmp_change(const void *a, const void *b)
{
    const mchange *p = a, *q = b;
    if (p->ms != q->ms) return p->ms < q->ms ? -1 : 1;
    if (p->ts != q->ts) return p->ts < q->ts ? -1 : 1;
    return (p->seq > q->seq) - (p->seq < q->seq);
}

/* The spells of one membership from its joins and leaves in time order:
 * a join while out opens a spell (its source and inviter), a leave while in
 * closes it; a join while in or a leave while out adds nothing (a repeated
 * or missed notice).  A member whose first record is a leave, or who has
 * none, was there from the start of the log: a founder's spell (seed),
 * which is not a join.  0 or -1. */
static int write_spells(imp_ctx *x, const mship *ms, const mchange *c, int64_t n)
{
    const char *name = x->mem[ms->mid].name;
    ev_member m = {.group_id = ms->gid, .role = ms->role, .source = SRC_SEED, .member_id = ms->mid,
                   .inviter_id = -1, .joined_ts = x->s->first_ts, .left_ts = -1, .spell = 0};
    int in = n == 0 || c[0].leave;
    if (in && n > 0 && c[0].ts < m.joined_ts) m.joined_ts = c[0].ts; /* left before the first message */
    int open = in; /* m holds a spell not yet written */
    for (int64_t k = 0; k < n; k++) {
        if (c[k].leave && in) {
            m.left_ts = c[k].ts;
            if (store_member(x->st, &m, name)) return sys_fail(x, "%s", store_errmsg(x->st));
            m.spell++;
            in = open = 0;
        } else if (!c[k].leave && !in) {
            m.source = c[k].source;
            m.inviter_id = c[k].inviter;
            m.joined_ts = c[k].ts;
            m.left_ts = -1;
            in = open = 1;
        }
    }
    if (open && store_member(x->st, &m, name)) return sys_fail(x, "%s", store_errmsg(x->st));
    /* a membership with a leave but never a spell cannot happen: the first
     * change is a join (opens) or a leave (a founder's spell) */
    return 0;
}

/* 1 if the whole stream is valid UTF-8 (rewound after), 0 if not, -1 on a
 * read error.  One pass at memory speed: small beside parsing the rows. */
static int is_utf8(FILE *f)
{
    unsigned char buf[65536];
    int need = 0; /* continuation bytes still expected */
    unsigned lo = 0x80, hi = 0xBF; /* range of the next continuation byte */
    size_t n;
    int ok = 1;
    while (ok && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        for (size_t i = 0; i < n; i++) {
            unsigned c = buf[i];
            if (need) {
                if (c < lo || c > hi) { ok = 0; break; }
                lo = 0x80, hi = 0xBF;
                need--;
            } else if (c < 0x80) {
            } else if (c >= 0xC2 && c <= 0xDF) {
                need = 1;
            } else if (c >= 0xE0 && c <= 0xEF) {
                need = 2;
                if (c == 0xE0) lo = 0xA0;
                if (c == 0xED) hi = 0x9F; /* no surrogates */
            } else if (c >= 0xF0 && c <= 0xF4) {
                need = 3;
                if (c == 0xF0) lo = 0x90;
                if (c == 0xF4) hi = 0x8F;
            } else {
                ok = 0;
                break;
            }
        }
    }
    if (ferror(f)) return -1;
    if (need) ok = 0; /* cut in the middle of a character */
    rewind(f);
    return ok;
}

/* The file as UTF-8: f itself if it is UTF-8, else its conversion from
 * GB18030 (which contains GBK and GB2312, what Excel on a Chinese Windows
 * saves) in a temporary file; NULL and the import's message if it is
 * neither.  *converted = 1 when converted.  Closes f when it returns
 * another stream. */
static FILE *as_utf8(imp_ctx *x, const char *path, FILE *f, int *converted)
{
    *converted = 0;
    int u = is_utf8(f);
    if (u < 0) { imp_fail(x, "%s: read error", path); fclose(f); return NULL; }
    if (u) return f;
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (cd == (iconv_t)-1) {
        imp_fail(x, "%s: not UTF-8, and this system cannot convert GB18030 (iconv)", path);
        fclose(f);
        return NULL;
    }
    FILE *out = tmpfile();
    char in[65536], ob[4 * 65536 + 16];
    size_t have = 0, n;
    int bad = !out;
    int64_t offset = 0;
    while (!bad && (n = fread(in + have, 1, sizeof in - have, f)) > 0) {
        have += n;
        char *ip = in, *op = ob;
        size_t il = have, ol = sizeof ob;
        size_t r = iconv(cd, &ip, &il, &op, &ol);
        if (r == (size_t)-1 && errno != EINVAL) bad = 1; /* EILSEQ: not GB18030 either */
        if (fwrite(ob, 1, (size_t)(op - ob), out) != (size_t)(op - ob)) bad = 1;
        offset += ip - in;
        memmove(in, ip, il);
        have = il;
    }
    if (have) bad = 1; /* a character cut at the end */
    iconv_close(cd);
    fclose(f);
    if (bad) {
        if (out) fclose(out);
        imp_fail(x, "%s: neither UTF-8 nor GB18030 (invalid bytes near byte %lld): save the file as UTF-8", path,
                 (long long)offset);
        return NULL;
    }
    rewind(out);
    *converted = 1;
    return out;
}

/* Write groups and memberships, the run's span; 0 or -1. */
static int finish(imp_ctx *x)
{
    imp_stats *s = x->s;
    for (int32_t g = 0; g < x->ngrp; g++) {
        const char *name = x->grp[g].name ? x->grp[g].name
                         : *x->grp[g].key ? x->grp[g].key : x->default_group_name;
        if (store_group(x->st, g + 1, name)) return sys_fail(x, "%s", store_errmsg(x->st));
    }
    char *counted = calloc((size_t)(x->nmem ? x->nmem : 1), 1);
    if (!counted) return oom(x);
    /* each membership's joins and leaves in time order (ties as read) */
    if (x->nchg) qsort(x->chg, (size_t)x->nchg, sizeof *x->chg, cmp_change);
    int64_t c = 0;
    for (int64_t i = 0; i < x->nms; i++) {
        const mship *ms = &x->ms[i];
        int64_t c1 = c;
        while (c1 < x->nchg && x->chg[c1].ms == i) c1++;
        if (write_spells(x, ms, x->chg + c, c1 - c)) {
            free(counted);
            return -1;
        }
        c = c1;
        if (!counted[ms->mid]) {
            counted[ms->mid] = 1;
            s->members++;
        }
    }
    free(counted);
    s->groups = x->ngrp;
    int32_t off = x->o->utc_offset;
    int64_t d0 = (s->first_ts + off) / 86400 - ((s->first_ts + off) % 86400 < 0);
    int64_t d1 = (s->last_ts + off) / 86400 - ((s->last_ts + off) % 86400 < 0);
    if (store_run_span(x->st, d0 * 86400 - off, off, (int32_t)(d1 - d0 + 1)))
        return sys_fail(x, "%s", store_errmsg(x->st));
    return 0;
}

int imp_import(store_t *st, const imp_opts *o, const char *const *files, int nfiles, imp_stats *stats,
               char *err, size_t errlen)
{
    memset(stats, 0, sizeof *stats);
    stats->run_id = -1;
    if (err && errlen) err[0] = '\0';
    int fi = 0;
    while (format_info[fi].name && (!o->format || strcmp(format_info[fi].name, o->format) != 0)) fi++;
    const imp_format_info *fm = &format_info[fi];
    if (!fm->name) {
        if (err) snprintf(err, errlen, "import: unknown format '%s' (csv, wechatmsg, chatlog, wecom, pywxdump)",
                          o->format ? o->format : "");
        return IMP_EINPUT;
    }
    if (nfiles < 1) {
        if (err) snprintf(err, errlen, "import: no input files");
        return IMP_EINPUT;
    }
    imp_ctx x = {0};
    x.st = st;
    x.o = o;
    x.s = stats;
    x.self_mid = -1;
    char gname[256];
    x.default_group_name = base_name(files[0], gname, sizeof gname);

    /* settings: what a reader of the runs table needs to redo the import */
    size_t slen = 200 + (o->group ? strlen(o->group) : 0);
    for (int i = 0; i < nfiles; i++) slen += 2 * strlen(files[i]) + 8;
    char *settings = malloc(slen), *paths = malloc(slen);
    if (!settings || !paths) {
        free(settings);
        free(paths);
        if (err) snprintf(err, errlen, "import: out of memory");
        return IMP_EFAIL;
    }
    size_t n = (size_t)snprintf(settings, slen, "format = \"%s\";\nutc_offset = %d;\nstrict = %d;\n", fm->name,
                                (int)o->utc_offset, o->strict);
    if (o->has_log_tz) n += (size_t)snprintf(settings + n, slen - n, "log_tz = %d;\n", (int)o->log_tz);
    if (o->group) n += (size_t)snprintf(settings + n, slen - n, "group = \"%s\";\n", o->group);
    size_t pn = 0;
    for (int i = 0; i < nfiles; i++)
        pn += (size_t)snprintf(paths + pn, slen - pn, "%s%s", i ? "\n" : "", files[i]);
    /* files = ["a", "b"]; in libconfig syntax, quotes and backslashes escaped */
    n += (size_t)snprintf(settings + n, slen - n, "files = [");
    for (int i = 0; i < nfiles; i++) {
        n += (size_t)snprintf(settings + n, slen - n, "%s\"", i ? ", " : "");
        for (const char *p = files[i]; *p && n + 4 < slen; p++) {
            if (*p == '"' || *p == '\\') settings[n++] = '\\';
            settings[n++] = *p;
        }
        n += (size_t)snprintf(settings + n, slen - n, "\"");
    }
    snprintf(settings + n, slen - n, "];\n");

    store_run r = {.scenario = x.default_group_name, .arm = "live", .settings = settings, .source = fm->name,
                   .utc_offset = o->utc_offset};
    store_batch b = {.kind = "import", .scenario = fm->name, .scenario_path = paths, .command = o->command};
    if (store_run_begin(st, &r, &stats->run_id) || store_batch_add(st, &b, NULL)) {
        sys_fail(&x, "%s", store_errmsg(st));
        goto out;
    }
    for (int i = 0; i < nfiles && !x.failed; i++) {
        FILE *f = fopen(files[i], "rb");
        if (!f) {
            imp_fail(&x, "%s: cannot open: %s", files[i], strerror(errno));
            break;
        }
        int conv = 0;
        if (!(f = as_utf8(&x, files[i], f, &conv))) break;
        stats->converted += conv;
        int rc = format_fn[fi](&x, files[i], f);
        if (ferror(f) && !x.failed) imp_fail(&x, "%s: read error", files[i]);
        fclose(f);
        if (rc && !x.failed) imp_fail(&x, "%s: import failed", files[i]);
    }
    if (!x.failed && x.log_events == 0)
        imp_fail(&x, "%s%s: no messages found (%lld rows read, %lld malformed, %lld skipped)", files[0],
                 nfiles > 1 ? " ..." : "", (long long)stats->rows, (long long)stats->malformed,
                 (long long)stats->skipped);
    if (!x.failed) finish(&x);
    if (!x.failed && store_run_commit(st)) sys_fail(&x, "%s", store_errmsg(st));
out:
    if (x.failed) {
        store_run_rollback(st);
        if (err) snprintf(err, errlen, "%s", x.err);
    }
    int rc = x.failed ? x.failed : 0;
    ctx_free(&x);
    free(settings);
    free(paths);
    return rc;
}

int imp_json_each(imp_ctx *x, const char *path, FILE *f, imp_json_record_fn rec)
{
    imp_json *j;
    if (imp_json_open(&j, f, 0)) return imp_fail(x, "%s: out of memory", path);
    const imp_jval *v;
    int64_t line;
    int got, rc = 0;
    while ((got = imp_json_next(j, &v, &line)) != 0) {
        if (got == -2) { /* the structure itself is broken: stop */
            rc = imp_fail(x, "%s: %s", path, imp_json_error(j));
            break;
        }
        imp_row(x);
        if (got == -1) { /* one malformed record: counted, or fatal with --strict */
            if (imp_bad(x, path, line, "%s", imp_json_error(j))) {
                rc = -1;
                break;
            }
            continue;
        }
        if (rec(x, path, line, v)) {
            rc = -1;
            break;
        }
    }
    imp_json_close(j);
    return rc;
}
