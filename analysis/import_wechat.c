/* import_wechat.c -- WeChat exports: the WeChatMsg/MemoTrace CSV
 * (`wechatmsg`) and the chatlog HTTP export (`chatlog`, CSV or JSON), plus
 * the parser of WeChat's system notices (joins by invitation or QR code,
 * removals).  Column meanings and rules: docs/import.md.
 */
#include "import.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- system notices ------------------------------------------------------ */

#define NQ 8 /* quoted names a notice may hold */

typedef struct notice {
    char buf[4096];
    const char *lit[NQ + 1]; /* literal text around the quoted names, trimmed */
    const char *q[NQ];       /* the quoted names */
    int nq;
} notice;

/* Length of a quote character at s (" “ ” 「 」), or 0. */
static int quote_len(const char *s)
{
    if (*s == '"') return 1;
    if (!strncmp(s, "\xE2\x80\x9C", 3) || !strncmp(s, "\xE2\x80\x9D", 3) || !strncmp(s, "\xE3\x80\x8C", 3) ||
        !strncmp(s, "\xE3\x80\x8D", 3))
        return 3;
    return 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = '\0';
    return s;
}

/* Split text into literals and quoted names; -1 if it does not fit. */
static int notice_split(notice *n, const char *text)
{
    size_t len = strlen(text);
    if (len >= sizeof n->buf) return -1;
    memcpy(n->buf, text, len + 1);
    n->nq = 0;
    char *p = n->buf, *seg = n->buf;
    int inq = 0;
    while (*p) {
        int ql = quote_len(p);
        if (!ql) {
            p++;
            continue;
        }
        *p = '\0';
        if (inq) {
            if (n->nq == NQ) return -1;
            n->q[n->nq++] = trim(seg);
        } else {
            n->lit[n->nq] = trim(seg);
        }
        inq = !inq;
        p += ql;
        seg = p;
    }
    if (inq) return -1; /* unbalanced quotes */
    n->lit[n->nq] = trim(seg);
    return 0;
}

static int starts(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

#define YOU "\xE4\xBD\xA0"                      /* 你 */
#define INVITE "\xE9\x82\x80\xE8\xAF\xB7"       /* 邀请 */
#define JOINED "\xE5\x8A\xA0\xE5\x85\xA5\xE4\xBA\x86\xE7\xBE\xA4\xE8\x81\x8A" /* 加入了群聊 */
#define JOIN "\xE5\x8A\xA0\xE5\x85\xA5\xE7\xBE\xA4\xE8\x81\x8A"               /* 加入群聊 */
#define AND "\xE5\x92\x8C"                      /* 和 */
#define BY_SCAN "\xE9\x80\x9A\xE8\xBF\x87\xE6\x89\xAB\xE6\x8F\x8F"            /* 通过扫描 */
#define SHARED_QR "\xE5\x88\x86\xE4\xBA\xAB\xE7\x9A\x84\xE4\xBA\x8C\xE7\xBB\xB4\xE7\xA0\x81" JOIN /* 分享的二维码加入群聊 */
#define WILL "\xE5\xB0\x86"                     /* 将 */
#define REMOVED "\xE7\xA7\xBB\xE5\x87\xBA\xE4\xBA\x86\xE7\xBE\xA4\xE8\x81\x8A" /* 移出了群聊 */
#define QUIT "\xE9\x80\x80\xE5\x87\xBA\xE4\xBA\x86\xE7\xBE\xA4\xE8\x81\x8A"    /* 退出了群聊 */
#define LIST_SEP "\xE3\x80\x81"                 /* 、 */

typedef void (*notice_fn)(void *ctx, const char *who, const char *inviter, int source);

/* Call fn for each name of a 、-separated list; returns how many. */
static int each_name(char *list, const char *inviter, int source, notice_fn fn, void *ctx)
{
    int n = 0;
    char *p = list;
    for (;;) {
        char *sep = strstr(p, LIST_SEP);
        if (sep) *sep = '\0';
        char *name = trim(p);
        if (*name) {
            fn(ctx, name, inviter, source);
            n++;
        }
        if (!sep) return n;
        p = sep + 3;
    }
}

int imp_wechat_notice(const char *text, notice_fn fn, void *ctx)
{
    if (!text || !*text) return 0;
    notice n;
    if (notice_split(&n, text)) return 0;
    const char **L = n.lit;
    char **Q = (char **)n.q;
    if (n.nq == 2 && !*L[0] && !strcmp(L[1], INVITE) && starts(L[2], JOINED))
        return each_name(Q[1], Q[0], SRC_INVITE, fn, ctx); /* "A"邀请"B、C"加入了群聊 */
    if (n.nq == 1 && !strcmp(L[0], YOU INVITE) && starts(L[1], JOINED))
        return each_name(Q[0], IMP_SELF, SRC_INVITE, fn, ctx); /* 你邀请"B"加入了群聊 */
    if (n.nq == 1 && !*L[0] && starts(L[1], INVITE YOU JOINED)) {
        fn(ctx, IMP_SELF, Q[0], SRC_INVITE); /* "A"邀请你加入了群聊 */
        return 1;
    }
    if (n.nq == 2 && !*L[0] && !strcmp(L[1], INVITE YOU AND) && starts(L[2], JOINED)) {
        fn(ctx, IMP_SELF, Q[0], SRC_INVITE); /* "A"邀请你和"B"加入了群聊 */
        return 1 + each_name(Q[1], Q[0], SRC_INVITE, fn, ctx);
    }
    if (n.nq == 2 && !*L[0] && !strcmp(L[1], BY_SCAN) && starts(L[2], SHARED_QR)) {
        fn(ctx, Q[0], Q[1], SRC_QR); /* "B"通过扫描"A"分享的二维码加入群聊 */
        return 1;
    }
    if (n.nq == 1 && !*L[0] && starts(L[1], BY_SCAN YOU SHARED_QR)) {
        fn(ctx, Q[0], IMP_SELF, SRC_QR); /* "B"通过扫描你分享的二维码加入群聊 */
        return 1;
    }
    if (n.nq == 1 && !strcmp(L[0], YOU BY_SCAN) && starts(L[1], SHARED_QR)) {
        fn(ctx, IMP_SELF, Q[0], SRC_QR); /* 你通过扫描"A"分享的二维码加入群聊 */
        return 1;
    }
    if (n.nq == 1 && !strcmp(L[0], YOU WILL) && starts(L[1], REMOVED))
        return each_name(Q[0], NULL, -1, fn, ctx); /* 你将"B"移出了群聊 */
    if (n.nq == 2 && !*L[0] && !strcmp(L[1], WILL) && starts(L[2], REMOVED))
        return each_name(Q[1], NULL, -1, fn, ctx); /* "A"将"B"移出了群聊 */
    if (n.nq == 1 && !*L[0] && starts(L[1], QUIT)) {
        fn(ctx, Q[0], NULL, -1); /* "B"退出了群聊 */
        return 1;
    }
    /* any other notice of someone joining: the first name joined, source unknown */
    if (n.nq >= 1 && !*L[0] && (strstr(L[n.nq], JOINED) || strstr(L[n.nq], JOIN))) {
        fn(ctx, Q[0], NULL, SRC_ORGANIC);
        return 1;
    }
    return 0;
}

/* ---- shared between the WeChat formats ---------------------------------- */

#define RECALLED "\xE6\x92\xA4\xE5\x9B\x9E\xE4\xBA\x86\xE4\xB8\x80\xE6\x9D\xA1\xE6\xB6\x88\xE6\x81\xAF" /* 撤回了一条消息 */
#define PATTED "\xE6\x8B\x8D\xE4\xBA\x86\xE6\x8B\x8D"     /* 拍了拍 */
#define SYSTEM_SENDER "\xE7\xB3\xBB\xE7\xBB\x9F\xE6\xB6\x88\xE6\x81\xAF" /* 系统消息 (chatlog) */

typedef struct notice_ctx {
    imp_ctx *x;
    const imp_msg *base; /* ts and group of the notice */
    int rc;
} notice_ctx;

static void on_notice(void *ctx, const char *who, const char *inviter, int source)
{
    notice_ctx *c = ctx;
    if (c->rc) return;
    imp_msg m = *c->base;
    m.msgid = NULL;
    m.refine = 0;
    m.text = NULL;
    m.by_name = 1;
    m.is_self = !strcmp(who, IMP_SELF);
    m.sender = NULL;
    m.sender_alias = NULL;
    m.sender_name = m.is_self ? NULL : who;
    m.kind = source < 0 ? EV_LEAVE : EV_JOIN;
    m.source = source;
    m.inviter = inviter;
    c->rc = imp_emit(c->x, &m);
}

/* A system notice (already checked for duplicates): joins, leaves, a
 * recall, a pat, or a plain system event. */
static int system_notice(imp_ctx *x, const imp_msg *base, const char *text)
{
    notice_ctx c = {x, base, 0};
    if (imp_wechat_notice(text, on_notice, &c) > 0) return c.rc;
    imp_msg m = *base;
    m.msgid = NULL;
    m.refine = 0;
    m.kind = EV_SYSTEM;
    m.sender = NULL;
    m.sender_name = NULL;
    m.sender_alias = NULL;
    m.is_self = 0;
    m.text = NULL;
    notice n; /* m may point into it until imp_emit */
    if (text && (strstr(text, RECALLED) || strstr(text, PATTED))) {
        /* "X" 撤回了一条消息 / 你撤回了一条消息; "X" 拍了拍 "Y": the actor is the first name */
        if (!notice_split(&n, text)) {
            m.kind = strstr(text, RECALLED) ? EV_RECALL : EV_REACTION;
            m.by_name = 1;
            if (starts(n.lit[0], YOU))
                m.is_self = 1;
            else if (n.nq >= 1 && !*n.lit[0])
                m.sender_name = n.q[0];
            else
                m.kind = EV_SYSTEM;
        }
    }
    return imp_emit(x, &m);
}

/* The text of a quote message's XML: <title>...</title>, unescaped into buf. */
static const char *xml_title(const char *xml, char *buf, size_t n)
{
    const char *a = xml ? strstr(xml, "<title>") : NULL;
    if (!a) return NULL;
    a += 7;
    const char *b = strstr(a, "</title>");
    if (!b) return NULL;
    size_t k = 0;
    for (const char *p = a; p < b && k + 1 < n; p++) {
        static const struct { const char *e; char c; } ent[] = {
            {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
        int done = 0;
        if (*p == '&')
            for (size_t i = 0; i < sizeof ent / sizeof ent[0] && !done; i++)
                if (!strncmp(p, ent[i].e, strlen(ent[i].e))) {
                    buf[k++] = ent[i].c;
                    p += strlen(ent[i].e) - 1;
                    done = 1;
                }
        if (!done) buf[k++] = *p;
    }
    buf[k] = '\0';
    return buf;
}

/* Kind and text of a WeChat message by Type/SubType (both exports share the
 * numbering).  Returns 1 for a system notice. */
static int classify(imp_msg *m, long type, long sub, const char *content, char *tbuf, size_t tn)
{
    switch (type) {
    case 10000:
    case 10002:
        return 1;
    case 1:
        m->text = content;
        return 0;
    case 49:
        if (sub == 57) { /* a quote: a reply; its text is the title */
            m->kind = EV_REPLY;
            m->text = content && strstr(content, "<title>") ? xml_title(content, tbuf, tn) : content;
        } else if (sub == 62) { /* a pat */
            m->kind = EV_REACTION;
            m->refine = 0;
        }
        m->length = m->text ? -1 : 0;
        return 0;
    default: /* image, voice, video, sticker, link, file, card, location, ... */
        m->length = 0;
        m->refine = 0;
        return 0;
    }
}

/* Find the columns named in names[] (case-insensitive) in a header. */
static void map_columns(const imp_csv_rec *r, const char *const *names, int n, int *col)
{
    for (int k = 0; k < n; k++) col[k] = -1;
    for (int i = 0; i < r->nfields; i++) {
        const char *f = r->field[i];
        while (*f == ' ') f++;
        for (int k = 0; k < n; k++)
            if (col[k] < 0 && !strcasecmp(f, names[k])) col[k] = i;
    }
}

static int parse_long(const char *s, long *out)
{
    char *end;
    if (!*s) return -1;
    long v = strtol(s, &end, 10);
    if (*end) return -1;
    *out = v;
    return 0;
}

/* ---- wechatmsg (WeChatMsg / MemoTrace CSV) ------------------------------- */

enum { W_LOCALID, W_TALKER, W_TYPE, W_SUBTYPE, W_ISSENDER, W_CREATETIME, W_STATUS, W_CONTENT, W_STRTIME,
       W_REMARK, W_NICKNAME, W_SENDER, W_N };
static const char *const w_names[W_N] = {"localId", "TalkerId", "Type", "SubType", "IsSender", "CreateTime",
                                         "Status", "StrContent", "StrTime", "Remark", "NickName", "Sender"};

int imp_read_wechatmsg(imp_ctx *x, const char *path, FILE *f)
{
    const imp_opts *o = imp_options(x);
    imp_csv *c;
    if (imp_csv_open(&c, f, 0)) return imp_fail(x, "%s: out of memory", path);
    imp_csv_rec r;
    int col[W_N], rc = 0, ncols;
    char tbuf[2048];
    int got = imp_csv_next(c, &r);
    if (got == 0) goto done;
    if (got < 0) {
        rc = imp_fail(x, "%s: %s", path, imp_csv_error(c));
        goto done;
    }
    ncols = r.nfields;
    map_columns(&r, w_names, W_N, col);
    if (col[W_TYPE] < 0 || col[W_CONTENT] < 0 || (col[W_CREATETIME] < 0 && col[W_STRTIME] < 0)) {
        rc = imp_fail(x, "%s:%lld: not a WeChatMsg CSV: the header needs Type, StrContent and CreateTime "
                         "(or StrTime)", path, (long long)r.line);
        goto done;
    }
    while ((got = imp_csv_next(c, &r)) != 0) {
        if (got == -2) {
            rc = imp_fail(x, "%s: %s", path, imp_csv_error(c));
            break;
        }
        imp_row(x);
        const char *why = NULL;
        char whybuf[120];
        if (got == -1) {
            why = imp_csv_error(c);
        } else if (r.nfields != ncols) {
            snprintf(whybuf, sizeof whybuf, "%d fields, the header has %d (truncated row?)", r.nfields, ncols);
            why = whybuf;
        }
#define F(k) (col[k] >= 0 && !why ? r.field[col[k]] : "")
        imp_msg m;
        imp_msg_init(&m);
        long type = 0, sub = 0;
        if (!why) {
            const char *t = *F(W_CREATETIME) ? F(W_CREATETIME) : F(W_STRTIME);
            if (imp_parse_time(t, o->utc_offset, &m.ts)) {
                snprintf(whybuf, sizeof whybuf, "bad CreateTime '%.40s'", t);
                why = whybuf;
            } else if (parse_long(F(W_TYPE), &type)) {
                snprintf(whybuf, sizeof whybuf, "bad Type '%.20s'", F(W_TYPE));
                why = whybuf;
            } else if (*F(W_SUBTYPE) && parse_long(F(W_SUBTYPE), &sub)) {
                snprintf(whybuf, sizeof whybuf, "bad SubType '%.20s'", F(W_SUBTYPE));
                why = whybuf;
            }
        }
        if (why) {
            if (imp_bad(x, path, r.line, "%s", why)) {
                rc = -1;
                break;
            }
            if (got == -1) break;
            continue;
        }
        m.group = F(W_TALKER);
        m.is_self = !strcmp(F(W_ISSENDER), "1");
        m.sender = F(W_SENDER);
        m.sender_name = *F(W_REMARK) ? F(W_REMARK) : F(W_NICKNAME);
        m.sender_alias = *F(W_REMARK) ? F(W_NICKNAME) : NULL;
        const char *content = F(W_CONTENT);
        /* localId restarts in each of WeChat's MSGn.db shards, so a row is a
         * duplicate only if it repeats localId, CreateTime, Sender and Type */
        if (*F(W_LOCALID)) {
            const char *parts[5] = {F(W_LOCALID), F(W_CREATETIME), F(W_SENDER), F(W_TYPE), F(W_ISSENDER)};
            int s = imp_seen(x, m.group, parts, 5);
            if (s < 0) {
                rc = -1;
                break;
            }
            if (s) continue;
        }
        if (classify(&m, type, sub, content, tbuf, sizeof tbuf)) {
            if (system_notice(x, &m, content)) {
                rc = -1;
                break;
            }
            continue;
        }
        if (!m.is_self && !*m.sender && !*m.sender_name) {
            if (imp_bad(x, path, r.line, "no Sender or NickName for a message of Type %ld", type)) {
                rc = -1;
                break;
            }
            continue;
        }
#undef F
        if (imp_emit(x, &m)) {
            rc = -1;
            break;
        }
    }
done:
    imp_csv_close(c);
    return rc;
}

/* ---- chatlog (HTTP export, CSV or JSON) ---------------------------------- */

enum { L_TIME, L_SENDERNAME, L_SENDER, L_TALKERNAME, L_TALKER, L_CONTENT, L_N };
static const char *const l_names[L_N] = {"Time", "SenderName", "Sender", "TalkerName", "Talker", "Content"};

static int chatlog_csv(imp_ctx *x, const char *path, FILE *f)
{
    const imp_opts *o = imp_options(x);
    imp_csv *c;
    if (imp_csv_open(&c, f, 0)) return imp_fail(x, "%s: out of memory", path);
    imp_csv_rec r;
    int col[L_N], rc = 0, ncols;
    int got = imp_csv_next(c, &r);
    if (got == 0) goto done;
    if (got < 0) {
        rc = imp_fail(x, "%s: %s", path, imp_csv_error(c));
        goto done;
    }
    ncols = r.nfields;
    map_columns(&r, l_names, L_N, col);
    if (col[L_TIME] < 0 || col[L_CONTENT] < 0 || (col[L_SENDER] < 0 && col[L_SENDERNAME] < 0)) {
        rc = imp_fail(x, "%s:%lld: not a chatlog CSV: the header needs Time, Sender (or SenderName) and Content",
                      path, (long long)r.line);
        goto done;
    }
    while ((got = imp_csv_next(c, &r)) != 0) {
        if (got == -2) {
            rc = imp_fail(x, "%s: %s", path, imp_csv_error(c));
            break;
        }
        imp_row(x);
        if (got == -1 || r.nfields != ncols) {
            int e = got == -1 ? imp_bad(x, path, r.line, "%s", imp_csv_error(c))
                              : imp_bad(x, path, r.line, "%d fields, the header has %d (truncated row?)",
                                        r.nfields, ncols);
            if (e) rc = -1;
            if (e || got == -1) break;
            continue;
        }
#define F(k) (col[k] >= 0 ? r.field[col[k]] : "")
        imp_msg m;
        imp_msg_init(&m);
        if (imp_parse_time(F(L_TIME), o->utc_offset, &m.ts)) {
            if (imp_bad(x, path, r.line, "bad Time '%.40s'", F(L_TIME))) {
                rc = -1;
                break;
            }
            continue;
        }
        m.group = F(L_TALKER);
        m.group_name = *F(L_TALKERNAME) ? F(L_TALKERNAME) : NULL;
        m.sender = F(L_SENDER);
        m.sender_name = F(L_SENDERNAME);
        m.text = F(L_CONTENT);
        const char *parts[3] = {F(L_TIME), F(L_SENDER), F(L_CONTENT)};
        int s = imp_seen(x, m.group, parts, 3);
        if (s < 0) {
            rc = -1;
            break;
        }
        if (s) continue;
        int sys = !strcmp(m.sender, SYSTEM_SENDER) || (!*m.sender && !*m.sender_name);
        if (sys ? system_notice(x, &m, m.text) : imp_emit(x, &m)) {
            rc = -1;
            break;
        }
#undef F
    }
done:
    imp_csv_close(c);
    return rc;
}

static int chatlog_record(imp_ctx *x, const char *path, int64_t line, const imp_jval *v)
{
    const imp_opts *o = imp_options(x);
    if (v->type != IMP_JOBJ) return imp_bad(x, path, line, "a record is not an object");
    const imp_jval *room = imp_json_get(v, "isChatRoom");
    if (room && room->type == IMP_JBOOL && !room->num) {
        imp_skip(x); /* a one-to-one chat */
        return 0;
    }
    imp_msg m;
    imp_msg_init(&m);
    const char *t = imp_json_text(v, "time");
    if (!t || imp_parse_time(t, o->utc_offset, &m.ts)) return imp_bad(x, path, line, "bad or missing time");
    const imp_jval *tv = imp_json_get(v, "type"), *sv = imp_json_get(v, "subType");
    /* a number out of long's range (1e300) would make the cast undefined: -1, an unknown type */
    long type = tv && tv->type == IMP_JNUM ? (fabs(tv->num) < 1e9 ? (long)tv->num : -1) : 1;
    long sub = sv && sv->type == IMP_JNUM ? (fabs(sv->num) < 1e9 ? (long)sv->num : -1) : 0;
    m.group = imp_json_text(v, "talker");
    m.group_name = imp_json_text(v, "talkerName");
    m.sender = imp_json_text(v, "sender");
    m.sender_name = imp_json_text(v, "senderName");
    const imp_jval *self = imp_json_get(v, "isSelf");
    m.is_self = self && self->type == IMP_JBOOL && self->num;
    const char *content = imp_json_text(v, "content");
    const char *seq = imp_json_text(v, "seq");
    const char *parts[3] = {seq ? seq : t, seq ? "" : m.sender, seq ? "" : content};
    int s = imp_seen(x, m.group, parts, 3);
    if (s) return s < 0 ? -1 : 0;
    char tbuf[2048];
    int sys = classify(&m, type, sub, content, tbuf, sizeof tbuf) || (m.sender && !strcmp(m.sender, SYSTEM_SENDER));
    if (sys) return system_notice(x, &m, content);
    if (!m.is_self && (!m.sender || !*m.sender) && (!m.sender_name || !*m.sender_name))
        return imp_bad(x, path, line, "no sender for a message of type %ld", type);
    return imp_emit(x, &m);
}

/* Skip a BOM and white space; put the first other byte back.  Returns it. */
static int sniff(FILE *f)
{
    int ch;
    while ((ch = getc(f)) == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
    }
    if (ch == 0xEF) {
        int b = getc(f), c2 = getc(f);
        if (b != 0xBB || c2 != 0xBF) return -2; /* not a BOM: cannot put three bytes back */
        while ((ch = getc(f)) == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
        }
    }
    if (ch != EOF) ungetc(ch, f);
    return ch;
}

int imp_read_chatlog(imp_ctx *x, const char *path, FILE *f)
{
    int ch = sniff(f);
    if (ch == -2) return imp_fail(x, "%s: unexpected bytes at the start (not UTF-8 CSV or JSON)", path);
    if (ch == EOF) return 0;
    if (ch != '[' && ch != '{') return chatlog_csv(x, path, f);
    return imp_json_each(x, path, f, chatlog_record);
}
