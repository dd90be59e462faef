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

/* Every notice form qunsim reads, in one table (docs/import.md lists it with
 * the same sources).  A template is matched against the notice with its
 * quotes (" “ ” 「 」) taken out of both (names are told apart by the words
 * around them; quotes must pair up), ASCII letters compared
 * case-insensitively; {W} captures the names
 * acted on (a list separated by 、 , ， or " and "), {I} the inviter or the
 * one who acts, {*} anything; text after the template is allowed (WeChat
 * appends links such as 重新编辑 or 修改群名).  A name may be written
 * 昵称(wxid) (chatlog): the core links it by the wxid.  The first row that
 * matches wins, so rows naming "you" come before the general ones. */
enum { A_JOIN, A_LEAVE, A_RECALL, A_PAT };
#define WHO_SELF 1 /* the exporting account joins / leaves / acts (besides any {W}) */
#define INV_SELF 2 /* the exporting account invited */

typedef struct npat {
    const char *tmpl;
    int act, source, flags;
} npat;

static const npat patterns[] = {
    /* Simplified Chinese client (WeChat 3.x/4.x; WeChatMsg, PyWxDump, chatlog exports) */
    {"\"{I}\"邀请你和\"{W}\"加入了群聊", A_JOIN, SRC_INVITE, WHO_SELF},
    {"\"{I}\"邀请你加入了群聊", A_JOIN, SRC_INVITE, WHO_SELF},
    {"你邀请\"{W}\"加入了群聊", A_JOIN, SRC_INVITE, INV_SELF},
    {"\"{I}\"邀请\"{W}\"加入了群聊", A_JOIN, SRC_INVITE, 0},
    {"你通过扫描\"{I}\"分享的二维码加入群聊", A_JOIN, SRC_QR, WHO_SELF},
    {"\"{W}\"通过扫描你分享的二维码加入群聊", A_JOIN, SRC_QR, INV_SELF},
    {"\"{W}\"通过扫描\"{I}\"分享的二维码加入群聊", A_JOIN, SRC_QR, 0},
    {"\"{W}\"通过\"{I}\"的邀请二维码加入群聊", A_JOIN, SRC_QR, 0},
    {"你通过扫描二维码加入群聊", A_JOIN, SRC_QR, WHO_SELF},
    {"\"{W}\"通过扫描二维码加入群聊", A_JOIN, SRC_QR, 0},
    {"你被\"{I}\"移出群聊", A_LEAVE, -1, WHO_SELF},
    {"你将\"{W}\"移出了群聊", A_LEAVE, -1, 0},
    {"\"{I}\"将\"{W}\"移出了群聊", A_LEAVE, -1, 0},
    {"\"{W}\"退出了群聊", A_LEAVE, -1, 0},
    {"你撤回了一条消息", A_RECALL, 0, WHO_SELF},
    {"\"{W}\"撤回了一条消息", A_RECALL, 0, 0},
    {"{W}撤回了一条消息", A_RECALL, 0, 0},
    {"你拍了拍{*}", A_PAT, 0, WHO_SELF},
    {"我拍了拍{*}", A_PAT, 0, WHO_SELF},
    {"\"{W}\"拍了拍{*}", A_PAT, 0, 0},
    /* Traditional Chinese client (zh_TW / zh_HK) */
    {"\"{I}\"邀請你和\"{W}\"加入了群聊", A_JOIN, SRC_INVITE, WHO_SELF},
    {"\"{I}\"邀請你加入了群聊", A_JOIN, SRC_INVITE, WHO_SELF},
    {"你邀請\"{W}\"加入了群聊", A_JOIN, SRC_INVITE, INV_SELF},
    {"\"{I}\"邀請\"{W}\"加入了群聊", A_JOIN, SRC_INVITE, 0},
    {"你通過掃描\"{I}\"分享的二維碼加入群聊", A_JOIN, SRC_QR, WHO_SELF},
    {"\"{W}\"通過掃描你分享的二維碼加入群聊", A_JOIN, SRC_QR, INV_SELF},
    {"\"{W}\"通過掃描\"{I}\"分享的二維碼加入群聊", A_JOIN, SRC_QR, 0},
    {"\"{W}\"通過\"{I}\"的邀請二維碼加入群聊", A_JOIN, SRC_QR, 0},
    {"你通過掃描二維碼加入群聊", A_JOIN, SRC_QR, WHO_SELF},
    {"\"{W}\"通過掃描二維碼加入群聊", A_JOIN, SRC_QR, 0},
    {"你被\"{I}\"移出群聊", A_LEAVE, -1, WHO_SELF},
    {"你將\"{W}\"移出了群聊", A_LEAVE, -1, 0},
    {"\"{I}\"將\"{W}\"移出了群聊", A_LEAVE, -1, 0},
    {"\"{W}\"退出了群聊", A_LEAVE, -1, 0},
    {"你撤回了一則訊息", A_RECALL, 0, WHO_SELF},
    {"\"{W}\"撤回了一則訊息", A_RECALL, 0, 0},
    {"你撤回了一條訊息", A_RECALL, 0, WHO_SELF},
    {"\"{W}\"撤回了一條訊息", A_RECALL, 0, 0},
    {"你撤回了一條消息", A_RECALL, 0, WHO_SELF},
    {"\"{W}\"撤回了一條消息", A_RECALL, 0, 0},
    {"\"{W}\"拍了拍{*}", A_PAT, 0, 0},
    /* English client */
    {"{I} invited you and {W} to the group chat", A_JOIN, SRC_INVITE, WHO_SELF},
    {"{I} invited you to the group chat", A_JOIN, SRC_INVITE, WHO_SELF},
    {"You invited {W} to the group chat", A_JOIN, SRC_INVITE, INV_SELF},
    {"{I} invited {W} to the group chat", A_JOIN, SRC_INVITE, 0},
    {"You joined the group chat via the QR code shared by {I}", A_JOIN, SRC_QR, WHO_SELF},
    {"{W} joined the group chat via the QR code shared by you", A_JOIN, SRC_QR, INV_SELF},
    {"{W} joined the group chat via the QR code shared by {I}", A_JOIN, SRC_QR, 0},
    {"{W} joined the group chat via QR code", A_JOIN, SRC_QR, 0},
    {"You were removed from the group chat by {I}", A_LEAVE, -1, WHO_SELF},
    {"You removed {W} from the group chat", A_LEAVE, -1, 0},
    {"{I} removed {W} from the group chat", A_LEAVE, -1, 0},
    {"{W} left the group chat", A_LEAVE, -1, 0},
    {"You recalled a message", A_RECALL, 0, WHO_SELF},
    {"{W} recalled a message", A_RECALL, 0, 0},
    {"You patted {*}", A_PAT, 0, WHO_SELF},
    {"{W} patted {*}", A_PAT, 0, 0},
    {NULL, 0, 0, 0},
};

/* Length of a quote character at s (" “ ” 「 」), or 0. */
static int quote_len(const char *s)
{
    if (*s == '"') return 1;
    if (!strncmp(s, "\xE2\x80\x9C", 3) || !strncmp(s, "\xE2\x80\x9D", 3) || !strncmp(s, "\xE3\x80\x8C", 3) ||
        !strncmp(s, "\xE3\x80\x8D", 3))
        return 3;
    return 0;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* The notice in a new buffer (caller frees), or NULL (ENOMEM): trimmed,
 * every quote " “ ” 「 」 written as " (keep 1) or dropped (keep 0).
 * *nquotes = the number of quotes. */
static char *normalise(const char *text, int keep, int *nquotes)
{
    size_t n = strlen(text);
    char *out = malloc(n + 1), *o = out;
    if (!out) return NULL;
    int nq = 0;
    const char *p = text;
    while (is_space(*p)) p++;
    while (*p) {
        int ql = quote_len(p);
        if (ql) {
            if (keep) *o++ = '"';
            nq++;
            p += ql;
        } else {
            *o++ = *p++;
        }
    }
    while (o > out && is_space(o[-1])) o--;
    *o = '\0';
    *nquotes = nq;
    return out;
}

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* n bytes of t equal lit (ASCII case-insensitive)? */
static int lit_eq(const char *t, const char *lit, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!t[i] || lower((unsigned char)t[i]) != lower((unsigned char)lit[i])) return 0;
    return 1;
}

typedef struct ncap {
    char *buf;         /* scratch of strlen(text) + 2 bytes for the captures */
    const char *w, *i; /* captures in buf, or NULL */
} ncap;

/* Match template p against the normalised text t; captures are copied
 * (trimmed) into c->buf.  1 on a match. */
static int tmatch(const char *t, const char *tp, ncap *c)
{
    /* the template without its quotes (the text lost them too) */
    char p0[160];
    size_t k = 0;
    for (const char *q = tp; *q && k + 1 < sizeof p0; q++)
        if (*q != '"') p0[k++] = *q;
    p0[k] = '\0';
    const char *p = p0;
    char *o = c->buf;
    c->w = c->i = NULL;
    while (*p) {
        if (*p == '{' && (p[1] == 'W' || p[1] == 'I' || p[1] == '*') && p[2] == '}') {
            char which = p[1];
            p += 3;
            size_t ln = strcspn(p, "{"); /* the literal after the placeholder */
            const char *end = NULL;
            if (!*t) return 0; /* nothing left to capture */
            if (ln == 0) {
                end = t + strlen(t);
            } else {
                for (const char *q = t + 1; *q; q++) /* a capture is never empty */
                    if (lit_eq(q, p, ln)) { end = q; break; }
                if (!end) return 0;
            }
            if (end == t) return 0;
            if (which != '*') {
                const char *a = t, *b = end;
                while (a < b && is_space(*a)) a++;
                while (b > a && is_space(b[-1])) b--;
                if (a == b) return 0;
                memcpy(o, a, (size_t)(b - a));
                o[b - a] = '\0';
                if (which == 'W') c->w = o; else c->i = o;
                o += b - a + 1;
            }
            t = end;
            continue;
        }
        size_t ln = strcspn(p, "{");
        if (ln == 0) ln = 1; /* a lone '{' */
        if (!lit_eq(t, p, ln)) return 0;
        t += ln;
        p += ln;
    }
    return 1;
}

typedef void (*notice_fn)(void *ctx, const char *who, const char *inviter, int source);

/* Call fn for each name of a list ("A、B", "A, B and C", "\"A\"、\"B\"");
 * returns how many.  list is modified. */
static int each_name(char *list, const char *inviter, int source, notice_fn fn, void *ctx)
{
    static const char *const seps[] = {"\xE3\x80\x81", "\xEF\xBC\x8C", ", ", " and ", NULL}; /* 、 ， */
    int n = 0;
    char *p = list;
    for (;;) {
        char *sep = NULL;
        size_t sl = 0;
        for (int k = 0; seps[k]; k++) {
            char *q = strstr(p, seps[k]);
            if (q && (!sep || q < sep)) { sep = q; sl = strlen(seps[k]); }
        }
        if (sep) *sep = '\0';
        char *name = p;
        while (is_space(*name) || *name == '"') name++;
        size_t k = strlen(name);
        while (k && (is_space(name[k - 1]) || name[k - 1] == '"')) name[--k] = '\0';
        if (*name) {
            if (fn) fn(ctx, name, inviter, source);
            n++;
        }
        if (!sep) return n;
        p = sep + sl;
    }
}

/* The first row of patterns[] matching text (among acts a0..a1), or NULL;
 * captures in c (c->buf allocated, caller frees). */
static const npat *notice_match(const char *text, int a0, int a1, ncap *c)
{
    c->buf = NULL;
    if (!text || !*text) return NULL;
    int nq;
    char *t = normalise(text, 1, &nq), *u = normalise(text, 0, &nq);
    if (!t || !u || nq % 2) { /* unbalanced quotes: not a notice we can read */
        free(t);
        free(u);
        return NULL;
    }
    c->buf = malloc(strlen(t) + 2);
    const npat *hit = NULL;
    for (int k = 0; c->buf && patterns[k].tmpl && !hit; k++)
        if (patterns[k].act >= a0 && patterns[k].act <= a1 && tmatch(u, patterns[k].tmpl, c)) hit = &patterns[k];
    free(u);
    /* any other notice of one quoted name joining (加入群聊 / 加入了群聊): organic */
    static npat organic = {"\"{W}\"{*}加入群聊", A_JOIN, SRC_ORGANIC, 0};
    if (!hit && c->buf && a0 <= A_JOIN && t[0] == '"' &&
        (strstr(t, "\xE5\x8A\xA0\xE5\x85\xA5\xE7\xBE\xA4\xE8\x81\x8A") ||
         strstr(t, "\xE5\x8A\xA0\xE5\x85\xA5\xE4\xBA\x86\xE7\xBE\xA4\xE8\x81\x8A"))) {
        char *q = strchr(t + 1, '"');
        if (q && q > t + 1) {
            memcpy(c->buf, t + 1, (size_t)(q - t - 1));
            c->buf[q - t - 1] = '\0';
            c->w = c->buf;
            c->i = NULL;
            hit = &organic;
        }
    }
    free(t);
    return hit;
}

int imp_wechat_notice(const char *text, notice_fn fn, void *ctx)
{
    ncap c;
    const npat *p = notice_match(text, A_JOIN, A_LEAVE, &c);
    int n = 0;
    if (p) {
        int src = p->act == A_LEAVE ? -1 : p->source;
        const char *inv = p->act == A_LEAVE ? NULL : (p->flags & INV_SELF) ? IMP_SELF : c.i;
        if (p->flags & WHO_SELF) {
            if (fn) fn(ctx, IMP_SELF, inv, src);
            n++;
        }
        if (c.w) n += each_name((char *)c.w, inv, src, fn, ctx);
    }
    free(c.buf);
    return n;
}

int imp_wechat_action(const char *text, char *actor, size_t n)
{
    ncap c;
    const npat *p = notice_match(text, A_RECALL, A_PAT, &c);
    int kind = -1;
    if (p && ((p->flags & WHO_SELF) || c.w)) {
        kind = p->act == A_RECALL ? EV_RECALL : EV_REACTION;
        snprintf(actor, n, "%s", (p->flags & WHO_SELF) ? IMP_SELF : c.w);
    }
    free(c.buf);
    return kind;
}

/* ---- notices wrapped in XML (type 10002, revokemsg, sysmsgtemplate) ------ */

/* The text between <tag ...> and </tag> in xml, or NULL; *len its length. */
static const char *xml_inner(const char *xml, const char *tag, size_t *len)
{
    char open[64], close[64];
    snprintf(open, sizeof open, "<%s", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *a = xml;
    for (;;) {
        a = strstr(a, open);
        if (!a) return NULL;
        char ch = a[strlen(open)];
        if (ch == '>' || ch == ' ' || ch == '/') break;
        a++;
    }
    a = strchr(a, '>');
    if (!a || a[-1] == '/') return NULL;
    a++;
    const char *b = strstr(a, close);
    if (!b) return NULL;
    *len = (size_t)(b - a);
    return a;
}

/* Append s[0..n) to a growable buffer, unwrapping CDATA, dropping tags and
 * decoding the five XML entities.  0 or -1 (ENOMEM). */
typedef struct sbuf { char *p; size_t n, cap; } sbuf;
static int sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t nc = (b->n + n + 1) * 2;
        char *np = realloc(b->p, nc);
        if (!np) return -1;
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
    return 0;
}
static int sb_text(sbuf *b, const char *s, size_t n)
{
    const char *e = s + n;
    while (s < e) {
        if (!strncmp(s, "<![CDATA[", 9)) {
            const char *q = strstr(s + 9, "]]>");
            if (!q || q > e) q = e;
            if (sb_put(b, s + 9, (size_t)(q - s - 9))) return -1;
            s = q + (q < e ? 3 : 0);
        } else if (*s == '<') {
            const char *q = memchr(s, '>', (size_t)(e - s));
            s = q ? q + 1 : e;
        } else if (*s == '&') {
            static const struct { const char *e; const char *c; } ent[] = {
                {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}, {"&quot;", "\""}, {"&apos;", "'"}};
            size_t k = 0;
            while (k < 5 && strncmp(s, ent[k].e, strlen(ent[k].e))) k++;
            if (k < 5) {
                if (sb_put(b, ent[k].c, 1)) return -1;
                s += strlen(ent[k].e);
            } else {
                if (sb_put(b, s, 1)) return -1;
                s++;
            }
        } else {
            if (sb_put(b, s, 1)) return -1;
            s++;
        }
    }
    return 0;
}

/* A sysmsgtemplate's text: the <template> with each $name$ replaced by the
 * members of <link name="name">, written 昵称(wxid) so that the core links
 * them by wxid.  0 (b filled) or -1. */
static int sysmsg_template(const char *xml, sbuf *b)
{
    size_t tl;
    const char *t = xml_inner(xml, "template", &tl);
    if (!t) return -1;
    sbuf tt = {0};
    if (sb_text(&tt, t, tl)) { free(tt.p); return -1; }
    const char *p = tt.p ? tt.p : "";
    while (*p) {
        const char *d = strchr(p, '$');
        const char *d2 = d ? strchr(d + 1, '$') : NULL;
        if (!d || !d2) { if (sb_put(b, p, strlen(p))) goto oom; break; }
        if (sb_put(b, p, (size_t)(d - p))) goto oom;
        /* the link named like the placeholder */
        char key[96];
        snprintf(key, sizeof key, "name=\"%.*s\"", (int)(d2 - d - 1), d + 1);
        const char *l = strstr(xml, key);
        int nm = 0;
        if (l) {
            const char *le = strstr(l, "</link>");
            const char *m = l;
            size_t ml;
            while ((m = strstr(m, "<member>")) && (!le || m < le)) {
                const char *mi = xml_inner(m, "member", &ml);
                if (!mi) break;
                size_t ul = 0, nl = 0;
                const char *u = xml_inner(mi, "username", &ul), *nk = xml_inner(mi, "nickname", &nl);
                if (u && u > mi + ml) u = NULL;
                if (nk && nk > mi + ml) nk = NULL;
                if (nm && sb_put(b, "\xE3\x80\x81", 3)) goto oom; /* 、 */
                sbuf one = {0};
                if (nk && sb_text(&one, nk, nl)) { free(one.p); goto oom; }
                if (u) {
                    if (sb_put(&one, "(", 1) || sb_text(&one, u, ul) || sb_put(&one, ")", 1)) { free(one.p); goto oom; }
                }
                if (one.p && sb_put(b, one.p, one.n)) { free(one.p); goto oom; }
                free(one.p);
                nm++;
                m = mi + ml;
            }
            if (!nm) { /* a plain link: its text */
                size_t pl;
                const char *pt = xml_inner(l, "plain", &pl);
                if (pt && sb_text(b, pt, pl)) goto oom;
            }
        }
        p = d2 + 1;
    }
    free(tt.p);
    return 0;
oom:
    free(tt.p);
    return -1;
}

/* The plain text of a notice: content itself, or (if it is XML) the text
 * of <revokemsg>, a <sysmsgtemplate>, <plain> or <content>, unwrapped.
 * Returns content, or a new buffer in *owned (caller frees). */
static const char *notice_text(const char *content, char **owned)
{
    *owned = NULL;
    if (!content) return NULL;
    const char *c = content;
    while (is_space(*c)) c++;
    if (*c != '<') return content;
    sbuf b = {0};
    size_t n;
    const char *in;
    int ok = -1;
    if ((in = xml_inner(c, "revokemsg", &n))) ok = sb_text(&b, in, n);
    else if (strstr(c, "<sysmsgtemplate")) ok = sysmsg_template(c, &b);
    else if ((in = xml_inner(c, "plain", &n))) ok = sb_text(&b, in, n);
    else if ((in = xml_inner(c, "content", &n))) ok = sb_text(&b, in, n);
    else ok = sb_text(&b, c, strlen(c)); /* <![CDATA[你撤回了一条消息 <a ...>重新编辑</a>]]> and the like */
    if (ok != 0 || !b.p) {
        free(b.p);
        return content;
    }
    *owned = b.p;
    return b.p;
}

/* ---- shared between the WeChat formats ---------------------------------- */

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
 * recall, a pat, or a plain system event.  XML-wrapped notices (10002
 * sysmsg, revokemsg, CDATA) are unwrapped first. */
static int system_notice(imp_ctx *x, const imp_msg *base, const char *content)
{
    char *owned;
    const char *text = notice_text(content, &owned);
    notice_ctx c = {x, base, 0};
    if (imp_wechat_notice(text, on_notice, &c) > 0) {
        free(owned);
        return c.rc;
    }
    imp_msg m = *base;
    m.msgid = NULL;
    m.refine = 0;
    m.kind = EV_SYSTEM;
    m.sender = NULL;
    m.sender_name = NULL;
    m.sender_alias = NULL;
    m.is_self = 0;
    m.text = NULL;
    size_t an = text ? strlen(text) + 1 : 1;
    char *actor = malloc(an);
    if (!actor) {
        free(owned);
        return imp_fail(x, "import: out of memory");
    }
    int k = imp_wechat_action(text, actor, an);
    if (k >= 0) {
        /* "X" 撤回了一条消息 / 你撤回了一条消息; "X" 拍了拍 "Y": the actor */
        m.kind = k;
        m.by_name = 1;
        if (!strcmp(actor, IMP_SELF)) m.is_self = 1;
        else m.sender_name = actor;
    }
    int rc = imp_emit(x, &m);
    free(actor);
    free(owned);
    return rc;
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

/* MemoTrace 2025 (WeChat 4.x): 消息ID,类型,发送人,时间,内容,备注,昵称,更多信息 */
enum { M_ID, M_TYPE, M_SENDER, M_TIME, M_CONTENT, M_REMARK, M_NICKNAME, M_MORE, M_N };
static const char *const m_names[M_N] = {
    "\xE6\xB6\x88\xE6\x81\xAF" "ID",                    /* 消息ID */
    "\xE7\xB1\xBB\xE5\x9E\x8B",                         /* 类型 */
    "\xE5\x8F\x91\xE9\x80\x81\xE4\xBA\xBA",             /* 发送人 */
    "\xE6\x97\xB6\xE9\x97\xB4",                         /* 时间 */
    "\xE5\x86\x85\xE5\xAE\xB9",                         /* 内容 */
    "\xE5\xA4\x87\xE6\xB3\xA8",                         /* 备注 */
    "\xE6\x98\xB5\xE7\xA7\xB0",                         /* 昵称 */
    "\xE6\x9B\xB4\xE5\xA4\x9A\xE4\xBF\xA1\xE6\x81\xAF", /* 更多信息 */
};

#define ME_ZH "\xE6\x88\x91" /* 我: the exporting account, as the export-all and MemoTrace files write it */

/* The layouts one wechatmsg file may have, told apart by the header (and,
 * for the export-all file, whose header is the per-chat one, by its rows). */
enum { LAY_CHAT,   /* per chat: 12 columns, Remark/NickName/Sender the sender's (exporter_csv.py) */
       LAY_OLD9,   /* v1.0 / 0.2.6: the first 9 columns only, rows may carry more (MsgSvrID, ...) */
       LAY_ALL,    /* "export all chats" messages.csv: 12-column header, rows of 11-14 fields */
       LAY_MT2025  /* MemoTrace 2025 */ };

static int all_digits(const char *s, size_t min)
{
    size_t n = strspn(s, "0123456789");
    return n >= min && !s[n];
}

/* A row of the export-all messages.csv (output_pc.py to_csv_all +
 * package_msg.py): the 9 named columns, MsgSvrID, CompressContent (empty, or
 * a Python bytes repr b'...'), then the chat's Remark and NickName when the
 * chat is in the contacts, then, for a group only, the sender's display name
 * (我 for you).  So 11/13 fields: a one-to-one chat; 14: a group; 12: a group
 * not in the contacts.  TalkerId is numeric.  A 12-field per-chat row has a Remark at [9], never a
 * 9+-digit MsgSvrID followed by an empty or b'' CompressContent. */
static int all_row(const imp_csv_rec *r)
{
    /* TalkerId: the chat's index in one database */
    if (r->nfields < 11 || !all_digits(r->field[1], 1) || strlen(r->field[1]) > 18) return 0;
    if (r->nfields == 11 || r->nfields == 13 || r->nfields == 14) return all_digits(r->field[9], 1);
    if (r->nfields == 12)
        return all_digits(r->field[9], 9) &&
               (!*r->field[10] || !strncmp(r->field[10], "b'", 2) || !strncmp(r->field[10], "b\"", 2));
    return 0;
}

/* The next data row of a CSV whose rows must have the header's ncols
 * fields: 1 a row in r; 0 the end of the file, or stop (*rc set to -1 when
 * the import fails: a read error, a --strict row).  Rows of another width
 * are counted as malformed and skipped; an unclosed quote ends the file. */
static int next_row(imp_ctx *x, imp_csv *c, imp_csv_rec *r, const char *path, int ncols, int *rc)
{
    for (;;) {
        int got = imp_csv_next(c, r);
        if (got == 0) return 0;
        if (got == -2) {
            *rc = imp_fail(x, "%s: %s", path, imp_csv_error(c));
            return 0;
        }
        imp_row(x);
        if (got == 1 && r->nfields == ncols) return 1;
        int e = got == -1 ? imp_bad(x, path, r->line, "%s", imp_csv_error(c))
                          : imp_bad(x, path, r->line, "%d fields, the header has %d (truncated row?)", r->nfields, ncols);
        if (e) *rc = -1;
        if (e || got == -1) return 0;
    }
}

/* MemoTrace 2025's type names (类型) to qunsim's kinds: 1 for a system
 * notice, 0 otherwise (kind, text and length set). */
static int mt_classify(imp_msg *m, const char *type, const char *content)
{
    static const char *const text[] = {"\xE6\x96\x87\xE6\x9C\xAC", "\xE6\x96\x87\xE5\xAD\x97", NULL}; /* 文本 文字 */
    static const char *const reply[] = {"\xE5\xBC\x95\xE7\x94\xA8\xE6\xB6\x88\xE6\x81\xAF", /* 引用消息 */
                                        "\xE5\xBC\x95\xE7\x94\xA8", "\xE5\x9B\x9E\xE5\xA4\x8D", NULL}; /* 引用 回复 */
    static const char *const notice[] = {SYSTEM_SENDER, "\xE7\xB3\xBB\xE7\xBB\x9F", /* 系统消息 系统 */
                                         "\xE7\xB3\xBB\xE7\xBB\x9F\xE9\x80\x9A\xE7\x9F\xA5", NULL}; /* 系统通知 */
    static const char *const pat[] = {"\xE6\x8B\x8D\xE4\xB8\x80\xE6\x8B\x8D", NULL}; /* 拍一拍 */
    static const char *const recall[] = {"\xE6\x92\xA4\xE5\x9B\x9E\xE6\xB6\x88\xE6\x81\xAF", /* 撤回消息 */
                                         "\xE6\x92\xA4\xE5\x9B\x9E", NULL};                  /* 撤回 */
    const char *const *lists[5] = {text, reply, notice, pat, recall};
    int which = -1;
    for (int l = 0; l < 5 && which < 0; l++)
        for (int i = 0; lists[l][i]; i++)
            if (!strcmp(type, lists[l][i])) which = l;
    long num;
    if (which < 0 && !parse_long(type, &num)) { /* a numeric type: WeChat's own numbering */
        char dummy[8];
        return classify(m, num, 0, content, dummy, sizeof dummy);
    }
    switch (which) {
    case 0: m->text = content; return 0;
    case 1: m->kind = EV_REPLY; m->text = content; return 0;
    case 2: return 1;
    case 3: /* its text ("X" 拍了拍 "Y") names the actor, as a recall's does */
    case 4: return 1;
    default: /* 图片 语音 视频 表情 文件 链接 名片 位置 ...: media */
        m->length = 0;
        m->refine = 0;
        return 0;
    }
}

static int memotrace_rows(imp_ctx *x, const char *path, imp_csv *c, const int *col, int ncols)
{
    const imp_opts *o = imp_options(x);
    imp_csv_rec r;
    int got, rc = 0;
    /* no chat id in the file (its directory names the chat): group = file */
    imp_group_is_file(x);
    while ((got = imp_csv_next(c, &r)) != 0) {
        if (got == -2) return imp_fail(x, "%s: %s", path, imp_csv_error(c));
        imp_row(x);
        const char *why = NULL;
        char whybuf[120];
        if (got == -1) why = imp_csv_error(c);
        else if (r.nfields != ncols) {
            snprintf(whybuf, sizeof whybuf, "%d fields, the header has %d (truncated row?)", r.nfields, ncols);
            why = whybuf;
        }
#define F(k) (col[k] >= 0 && !why ? r.field[col[k]] : "")
        imp_msg m;
        imp_msg_init(&m);
        if (!why && imp_parse_time(F(M_TIME), imp_log_offset(o), &m.ts)) {
            snprintf(whybuf, sizeof whybuf, "bad 时间 '%.40s'", F(M_TIME));
            why = whybuf;
        }
        if (why) {
            if (imp_bad(x, path, r.line, "%s", why)) return -1;
            if (got == -1) break;
            continue;
        }
        m.group = path;
        const char *who = F(M_SENDER), *remark = F(M_REMARK), *nick = F(M_NICKNAME);
        m.is_self = !strcmp(who, ME_ZH);
        /* no wxid in this layout: the member is its display name (发送人),
         * with the nickname as the name notices may use */
        if (!m.is_self) {
            m.sender_name = who;
            if (*nick && strcmp(nick, who)) m.sender_alias = nick;
            else if (*remark && strcmp(remark, who)) m.sender_alias = remark;
        }
        const char *content = F(M_CONTENT);
        if (*F(M_ID)) {
            const char *parts[3] = {F(M_ID), F(M_TIME), who};
            int s = imp_seen(x, m.group, parts, 3);
            if (s < 0) return -1;
            if (s) continue;
        }
        if (mt_classify(&m, F(M_TYPE), content) || (!m.is_self && !strcmp(who, SYSTEM_SENDER))) {
            if (system_notice(x, &m, content)) return -1;
            continue;
        }
        if (!m.is_self && !*who) {
            if (imp_bad(x, path, r.line, "no 发送人 for a message of 类型 '%.20s'", F(M_TYPE))) return -1;
            continue;
        }
#undef F
        if (imp_emit(x, &m)) return -1;
    }
    return rc;
}

int imp_read_wechatmsg(imp_ctx *x, const char *path, FILE *f)
{
    const imp_opts *o = imp_options(x);
    imp_csv *c;
    if (imp_csv_open(&c, f, 0)) return imp_fail(x, "%s: out of memory", path);
    imp_csv_rec r;
    int col[W_N], rc = 0, ncols, lay = -1;
    char tbuf[2048], gbuf[64];
    int got = imp_csv_next(c, &r);
    if (got == 0) goto done;
    if (got < 0) {
        rc = imp_fail(x, "%s: %s", path, imp_csv_error(c));
        goto done;
    }
    ncols = r.nfields;
    int mcol[M_N];
    map_columns(&r, m_names, M_N, mcol);
    if (mcol[M_TYPE] >= 0 && mcol[M_SENDER] >= 0 && mcol[M_TIME] >= 0 && mcol[M_CONTENT] >= 0) {
        rc = memotrace_rows(x, path, c, mcol, ncols);
        goto done;
    }
    map_columns(&r, w_names, W_N, col);
    if (col[W_TYPE] < 0 || col[W_CONTENT] < 0 || (col[W_CREATETIME] < 0 && col[W_STRTIME] < 0)) {
        rc = imp_fail(x, "%s:%lld: not a WeChatMsg CSV: the header needs Type, StrContent and CreateTime "
                         "(or StrTime), or MemoTrace's 消息ID,类型,发送人,时间,内容,备注,昵称,更多信息",
                      path, (long long)r.line);
        goto done;
    }
    /* v1.0 / 0.2.6 write only the first nine columns in the header (and
     * 0.2.6 more fields in each row): no sender at all */
    if (col[W_SENDER] < 0 && col[W_NICKNAME] < 0 && col[W_REMARK] < 0) lay = LAY_OLD9;
    /* the export-all file is positional: its columns must be the exporter's */
    int positional = ncols == W_N;
    for (int k = 0; k < W_N && positional; k++) positional = col[k] == k;
    while ((got = imp_csv_next(c, &r)) != 0) {
        if (got == -2) {
            rc = imp_fail(x, "%s: %s", path, imp_csv_error(c));
            break;
        }
        imp_row(x);
        const char *why = NULL;
        char whybuf[120];
        /* the first data row tells a per-chat file from messages.csv */
        if (lay < 0 && got == 1) lay = positional && all_row(&r) ? LAY_ALL : LAY_CHAT;
        if (got == -1) {
            why = imp_csv_error(c);
        } else if (lay == LAY_OLD9 ? r.nfields < ncols : lay == LAY_ALL ? !all_row(&r) : r.nfields != ncols) {
            snprintf(whybuf, sizeof whybuf, "%d fields, the header has %d%s", r.nfields, ncols,
                     lay == LAY_ALL ? " (not an export-all messages.csv row: 11-14 fields, MsgSvrID 10th)"
                                    : " (truncated row?)");
            why = whybuf;
        }
#define F(k) (col[k] >= 0 && !why && (lay != LAY_ALL || k < W_REMARK) ? r.field[col[k]] : "")
        imp_msg m;
        imp_msg_init(&m);
        long type = 0, sub = 0;
        if (!why) {
            const char *t = *F(W_CREATETIME) ? F(W_CREATETIME) : F(W_STRTIME);
            if (imp_parse_time(t, imp_log_offset(o), &m.ts)) {
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
        m.is_self = !strcmp(F(W_ISSENDER), "1");
        const char *sender_field = "";
        if (lay == LAY_ALL) {
            /* one-to-one chats carry no sender column: skipped, counted */
            if (r.nfields == 11 || r.nfields == 13) {
                imp_skip(x);
                continue;
            }
            /* the chat is TalkerId within this file (one database's index) */
            snprintf(gbuf, sizeof gbuf, "%s", F(W_TALKER));
            m.group = gbuf;
            if (r.nfields == 14) m.group_name = *r.field[11] ? r.field[11] : r.field[12];
            sender_field = r.field[r.nfields - 1];
            /* Sender is a display name (group nickname, remark or
             * nickname), 我 for you */
            if (!strcmp(sender_field, ME_ZH)) m.is_self = 1;
            else if (!m.is_self) m.sender_name = sender_field;
        } else {
            /* TalkerId is the MSG table's integer index (1 for different
             * groups in different exports), not the chatroom: a numeric one
             * means "this file is one group" */
            m.group = F(W_TALKER);
            if (*m.group && strspn(m.group, "0123456789") == strlen(m.group)) {
                m.group = path;
                imp_group_is_file(x);
            }
            sender_field = F(W_SENDER);
            m.sender = sender_field;
            m.sender_name = *F(W_REMARK) ? F(W_REMARK) : F(W_NICKNAME);
            m.sender_alias = *F(W_REMARK) ? F(W_NICKNAME) : NULL;
            /* a member no longer in the exporter's contacts is written
             * Remark = NickName = Sender = wxid: no display name at all */
            if (*m.sender && !strcmp(m.sender_name, m.sender)) m.sender_name = NULL;
            if (m.sender_alias && !strcmp(m.sender_alias, m.sender)) m.sender_alias = NULL;
        }
        const char *content = F(W_CONTENT);
        /* localId restarts in each of WeChat's MSGn.db shards, so a row is a
         * duplicate only if it repeats localId, CreateTime, Sender and Type */
        if (*F(W_LOCALID)) {
            const char *parts[5] = {F(W_LOCALID), F(W_CREATETIME), sender_field, F(W_TYPE), F(W_ISSENDER)};
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
        if (lay == LAY_OLD9 && !m.is_self) {
            /* the old layouts carry no sender: another member's message
             * cannot be attributed (notices still name people) */
            imp_skip(x);
            continue;
        }
        if (!m.is_self && !(m.sender && *m.sender) && !(m.sender_name && *m.sender_name)) {
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

/* chatlog's CSV carries no message type: PlainTextContent (internal/model/
 * message.go) renders media as ![图片](http://...), [语音], [链接|...](...)
 * and so on, a quote as "> 名(wxid) 时间\n> 原文\n回复", a WeChat 4.x pat as
 * its template ("X" 拍了拍 "Y").  Sets kind, text and length from that. */
static void chatlog_content(imp_msg *m, const char *c)
{
    static const char *const media[] = {"![", "[\xE8\xAF\xAD\xE9\x9F\xB3]", "[\xE8\xAF\xAD\xE9\x9F\xB3](",
                                        "[\xE5\x8A\xA8\xE7\x94\xBB\xE8\xA1\xA8\xE6\x83\x85]",
                                        "[\xE5\x90\x8D\xE7\x89\x87]", "[GIF", "[\xE9\x93\xBE\xE6\x8E\xA5|",
                                        "[\xE6\x96\x87\xE4\xBB\xB6|", "[\xE5\x88\x86\xE4\xBA\xAB",
                                        "[\xE5\xB0\x8F\xE7\xA8\x8B\xE5\xBA\x8F", "[\xE8\xA7\x86\xE9\xA2\x91\xE5\x8F\xB7",
                                        "[\xE8\xBD\xAC\xE8\xB4\xA6|", "[\xE7\xBA\xA2\xE5\x8C\x85",
                                        "[\xE5\x90\x88\xE5\xB9\xB6\xE8\xBD\xAC\xE5\x8F\x91",
                                        "[\xE8\xAF\xAD\xE9\x9F\xB3\xE9\x80\x9A\xE8\xAF\x9D]",
                                        "[\xE7\xBE\xA4\xE5\x85\xAC\xE5\x91\x8A]", "Type: ", NULL};
    /* ![ [语音] [语音]( [动画表情] [名片] [GIF [链接| [文件| [分享 [小程序 [视频号 [转账| [红包 [合并转发 [语音通话] [群公告] */
    if (!c) return;
    for (int k = 0; media[k]; k++)
        if (!strncmp(c, media[k], strlen(media[k]))) {
            m->text = NULL;
            m->length = 0;
            m->refine = 0;
            return;
        }
    if (!strncmp(c, "> ", 2)) { /* a quote: the reply is what follows the quoted lines */
        const char *p = c;
        while (!strncmp(p, "> ", 2)) {
            const char *nl = strchr(p, '\n');
            if (!nl) { p += strlen(p); break; }
            p = nl + 1;
        }
        m->kind = EV_REPLY;
        m->text = p;
        return;
    }
    if (quote_len(c)) {
        char actor[256];
        if (imp_wechat_action(c, actor, sizeof actor) == EV_REACTION) {
            m->kind = EV_REACTION;
            m->refine = 0;
            m->text = NULL;
        }
    }
}

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
    while (next_row(x, c, &r, path, ncols, &rc) > 0) {
#define F(k) (col[k] >= 0 ? r.field[col[k]] : "")
        imp_msg m;
        imp_msg_init(&m);
        if (imp_parse_time(F(L_TIME), imp_log_offset(o), &m.ts)) {
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
        int sys = !strcmp(m.sender, SYSTEM_SENDER);
        if (!sys && !*m.sender) {
            /* chatlog writes your own messages with no Sender: a notice if
             * it reads as one, else yours */
            sys = imp_wechat_notice(m.text, NULL, NULL) > 0;
            if (!sys) m.is_self = 1;
        }
        if (!sys) chatlog_content(&m, m.text);
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
    if (!t || imp_parse_time(t, imp_log_offset(o), &m.ts)) return imp_bad(x, path, line, "bad or missing time");
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
    if (ch == 'n') { /* the HTTP API's empty result is the JSON null: no records */
        char b[8] = {0};
        size_t n = fread(b, 1, 6, f);
        while (n > 4 && (b[n - 1] == '\n' || b[n - 1] == '\r' || b[n - 1] == ' ')) n--;
        if (n == 4 && !memcmp(b, "null", 4) && getc(f) == EOF) return 0;
        rewind(f);
        if (sniff(f) == -2) return imp_fail(x, "%s: unexpected bytes at the start", path);
    }
    if (ch != '[' && ch != '{') return chatlog_csv(x, path, f);
    return imp_json_each(x, path, f, chatlog_record);
}

/* ---- pywxdump (PyWxDump CSV + users.json) -------------------------------- */

/* pywxdump/api/export/exportCSV.py writes 5,000-row files
 * {wxid}_{i}_{i+5000}.csv with the header below (utf-8, csv.QUOTE_MINIMAL)
 * and a users.json {wxid: {nickname, remark, ...}} beside them;
 * pywxdump/db/dbMSG.py fills the rows: talker "我" for your own messages,
 * else the sender's wxid ("系统" / "未知" when unknown), room_name the
 * chat's id (…@chatroom for a group), type_name from type_converter
 * (db/utils/common_utils.py), msg the text or the notice, CreateTime local
 * "YYYY-MM-DD HH:MM:SS" of the exporting machine. */
enum { P_ID, P_SVRID, P_TYPE, P_ISSENDER, P_TALKER, P_ROOM, P_MSG, P_SRC, P_TIME, P_N };
static const char *const p_names[P_N] = {"id", "MsgSvrID", "type_name", "is_sender", "talker", "room_name",
                                         "msg", "src", "CreateTime"};

/* users.json: one object {wxid: {"nickname", "remark", ...}}. */
static int pyw_users(imp_ctx *x, const char *path, int64_t line, const imp_jval *v)
{
    if (v->type != IMP_JOBJ) return imp_bad(x, path, line, "users.json is not an object");
    for (const imp_jval *u = v->child; u; u = u->next) {
        if (u->type != IMP_JOBJ || !u->key) continue;
        const char *nick = imp_json_text(u, "nickname"), *remark = imp_json_text(u, "remark");
        const char *room = imp_json_text(u, "roomNickname");
        const char *name = room && *room ? room : remark && *remark ? remark : nick;
        const char *alias = name == nick ? remark : nick;
        if (imp_person(x, u->key, name, alias)) return -1;
    }
    return 0;
}

#define PYW_SELF "\xE6\x88\x91"                /* 我 */
#define PYW_SYS "\xE7\xB3\xBB\xE7\xBB\x9F"     /* 系统 */
#define PYW_UNKNOWN "\xE6\x9C\xAA\xE7\x9F\xA5" /* 未知 */

int imp_read_pywxdump(imp_ctx *x, const char *path, FILE *f)
{
    int ch = sniff(f);
    if (ch == -2) return imp_fail(x, "%s: unexpected bytes at the start (not UTF-8 CSV or JSON)", path);
    if (ch == EOF) return 0;
    if (ch == '{') return imp_json_each(x, path, f, pyw_users);
    const imp_opts *o = imp_options(x);
    imp_csv *c;
    if (imp_csv_open(&c, f, 0)) return imp_fail(x, "%s: out of memory", path);
    imp_csv_rec r;
    int col[P_N], rc = 0, ncols;
    int got = imp_csv_next(c, &r);
    if (got == 0) goto done;
    if (got < 0) {
        rc = imp_fail(x, "%s: %s", path, imp_csv_error(c));
        goto done;
    }
    ncols = r.nfields;
    map_columns(&r, p_names, P_N, col);
    if (col[P_TYPE] < 0 || col[P_TALKER] < 0 || col[P_ROOM] < 0 || col[P_MSG] < 0 || col[P_TIME] < 0) {
        rc = imp_fail(x, "%s:%lld: not a PyWxDump CSV: the header needs type_name, talker, room_name, msg and "
                         "CreateTime", path, (long long)r.line);
        goto done;
    }
    while (next_row(x, c, &r, path, ncols, &rc) > 0) {
#define F(k) (col[k] >= 0 ? r.field[col[k]] : "")
        imp_msg m;
        imp_msg_init(&m);
        if (imp_parse_time(F(P_TIME), imp_log_offset(o), &m.ts)) {
            if (imp_bad(x, path, r.line, "bad CreateTime '%.40s'", F(P_TIME))) {
                rc = -1;
                break;
            }
            continue;
        }
        const char *room = F(P_ROOM);
        size_t rl = strlen(room);
        if (rl < 9 || strcmp(room + rl - 9, "@chatroom")) { /* a one-to-one chat */
            imp_skip(x);
            continue;
        }
        m.group = room;
        const char *id[2] = {*F(P_SVRID) ? F(P_SVRID) : F(P_ID), F(P_TIME)};
        int sn = imp_seen(x, m.group, id, 2);
        if (sn < 0) {
            rc = -1;
            break;
        }
        if (sn) continue;
        const char *talker = F(P_TALKER), *type = F(P_TYPE), *msg = F(P_MSG);
        m.is_self = !strcmp(F(P_ISSENDER), "1") || !strcmp(talker, PYW_SELF);
        m.sender = m.is_self || !strcmp(talker, PYW_SYS) || !strcmp(talker, PYW_UNKNOWN) ? NULL : talker;
        int notice = !strcmp(type, "\xE7\xB3\xBB\xE7\xBB\x9F\xE9\x80\x9A\xE7\x9F\xA5") ||   /* 系统通知 */
                     !strcmp(type, "\xE6\x8B\x8D\xE4\xB8\x80\xE6\x8B\x8D") ||               /* 拍一拍 */
                     !strcmp(type, "\xE9\x82\x80\xE8\xAF\xB7\xE5\x8A\xA0\xE7\xBE\xA4") ||   /* 邀请加群 */
                     !strncmp(type, "\xE6\xB6\x88\xE6\x81\xAF\xE6\x92\xA4\xE5\x9B\x9E", 12); /* 消息撤回N */
        if (notice) {
            if (system_notice(x, &m, msg)) {
                rc = -1;
                break;
            }
            continue;
        }
        char *cut = NULL;
        if (!strcmp(type, "\xE6\x96\x87\xE6\x9C\xAC")) { /* 文本 */
            m.text = msg;
        } else if (!strcmp(type, "\xE5\xBC\x95\xE7\x94\xA8\xE5\x9B\x9E\xE5\xA4\x8D")) { /* 引用回复 */
            /* msg = title + "\n\n[引用](time)name:quoted": the reply is the title */
            m.kind = EV_REPLY;
            const char *q = strstr(msg, "\n\n[\xE5\xBC\x95\xE7\x94\xA8]");
            if (q && (cut = malloc((size_t)(q - msg) + 1))) {
                memcpy(cut, msg, (size_t)(q - msg));
                cut[q - msg] = '\0';
            }
            m.text = cut ? cut : msg;
        } else { /* image, voice, video, sticker, file, link, ...: no text */
            m.length = 0;
            m.refine = 0;
        }
        if (!m.is_self && !m.sender) m.kind = EV_SYSTEM; /* nobody to attribute it to */
#undef F
        int e = imp_emit(x, &m);
        free(cut);
        if (e) {
            rc = -1;
            break;
        }
    }
done:
    imp_csv_close(c);
    return rc;
}
