/* import_wecom.c -- WeCom (企业微信) exports: archived messages (会话内容存档,
 * one JSON object per message: msgid, action, from, tolist, roomid, msgtime,
 * msgtype, text.content) and group member lists (the groupchat/get answer:
 * group_chat.member_list[] with userid, join_time, join_scene, invitor).
 * Each record of each file is recognised by its fields, so messages and
 * member lists may come in any files and any order.  Rules: docs/import.md.
 */
#include "import.h"

#include <stdlib.h>
#include <string.h>

/* join_scene: 1 invited directly, 2 by an invitation link, 3 by QR code. */
static int scene_source(const imp_jval *v)
{
    if (!v || v->type != IMP_JNUM) return SRC_ORGANIC;
    switch (v->num > -1e9 && v->num < 1e9 ? (int)v->num : 0) { /* a cast out of range is undefined */
    case 1:
    case 2: return SRC_INVITE;
    case 3: return SRC_QR;
    default: return SRC_ORGANIC;
    }
}

static int64_t num_or(const imp_jval *v, int64_t dflt)
{
    if (v && v->type == IMP_JNUM) return v->num > -9.2e18 && v->num < 9.2e18 ? (int64_t)v->num : dflt; /* 1e300, NaN */
    if (v && v->type == IMP_JSTR && *v->str) return strtoll(v->str, NULL, 10);
    return dflt;
}

static int is_admin(const imp_jval *admins, const char *id)
{
    if (!admins || admins->type != IMP_JARR) return 0;
    for (const imp_jval *a = admins->child; a; a = a->next) {
        const char *u = imp_json_text(a, "userid");
        if (u && !strcmp(u, id)) return 1;
    }
    return 0;
}

/* One member object of a member list. */
static int one_member(imp_ctx *x, const char *path, int64_t line, const imp_jval *mem, const char *chat,
                      const char *chat_name, const char *owner, const imp_jval *admins)
{
    const char *id = imp_json_text(mem, "userid");
    if (!id || !*id) return imp_bad(x, path, line, "a member without userid");
    const char *name = imp_json_text(mem, "group_nickname");
    if (!name || !*name) name = imp_json_text(mem, "name");
    int role = owner && !strcmp(owner, id) ? ROLE_OWNER : is_admin(admins, id) ? ROLE_ADMIN : ROLE_MEMBER;
    int64_t joined = num_or(imp_json_get(mem, "join_time"), -1);
    if (joined > 100000000000ll) joined /= 1000;
    const imp_jval *inv = imp_json_get(mem, "invitor");
    const char *inviter = inv ? imp_json_text(inv, "userid") : NULL;
    return imp_member(x, chat, chat_name, id, name, role, joined, scene_source(imp_json_get(mem, "join_scene")),
                      inviter);
}

/* A member list: {group_chat: {...}} or the group_chat object itself. */
static int member_list(imp_ctx *x, const char *path, int64_t line, const imp_jval *gc)
{
    const char *chat = imp_json_text(gc, "chat_id");
    if (!chat) chat = imp_json_text(gc, "roomid");
    if (!chat) chat = imp_options(x)->group;
    const char *chat_name = imp_json_text(gc, "name");
    const char *owner = imp_json_text(gc, "owner");
    const imp_jval *admins = imp_json_get(gc, "admin_list");
    const imp_jval *list = imp_json_get(gc, "member_list");
    if (!list || list->type != IMP_JARR) return imp_bad(x, path, line, "member_list is not an array");
    for (const imp_jval *mem = list->child; mem; mem = mem->next) {
        if (mem->type != IMP_JOBJ) {
            if (imp_bad(x, path, line, "a member_list entry is not an object")) return -1;
            continue;
        }
        if (one_member(x, path, line, mem, chat, chat_name, owner, admins)) return -1;
    }
    return 0;
}

/* The text of a {"content":"..."} JSON string (a mixed message's text
 * item), unescaped into b; NULL if there is none. */
static const char *inner_content(const char *js, char *b, size_t n)
{
    const char *p = js ? strstr(js, "\"content\"") : NULL;
    if (!p) return NULL;
    p = strchr(p + 9, ':');
    if (!p) return NULL;
    p++;
    while (*p == ' ') p++;
    if (*p != '"') return NULL;
    p++;
    size_t k = 0;
    for (; *p && *p != '"' && k + 1 < n; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            b[k++] = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
        } else {
            b[k++] = *p;
        }
    }
    b[k] = '\0';
    return b;
}

/* Append s to b[0..n) at *k (truncating). */
static void put(char *b, size_t n, size_t *k, const char *s)
{
    if (!s) return;
    size_t l = strlen(s);
    if (*k + l + 1 > n) l = n - *k - 1;
    memcpy(b + *k, s, l);
    *k += l;
    b[*k] = '\0';
}

/* The readable text of markdown, news and mixed archived messages:
 * markdown info.content; news info.item[].title and description; mixed
 * item[] of type text, each a JSON string {"content": ...}.  NULL if none. */
static const char *rich_text(const imp_jval *v, const char *type, char *b, size_t n)
{
    size_t k = 0;
    b[0] = '\0';
    if (!strcmp(type, "markdown")) {
        const imp_jval *info = imp_json_get(v, "info");
        if (!info) info = imp_json_get(v, "markdown");
        put(b, n, &k, imp_json_text(info, "content"));
    } else if (!strcmp(type, "news")) {
        const imp_jval *info = imp_json_get(v, "info");
        if (!info) info = imp_json_get(v, "news");
        const imp_jval *items = imp_json_get(info, "item");
        for (const imp_jval *it = items && items->type == IMP_JARR ? items->child : NULL; it; it = it->next) {
            if (k) put(b, n, &k, "\n");
            put(b, n, &k, imp_json_text(it, "title"));
            const char *d = imp_json_text(it, "description");
            if (d && *d) { put(b, n, &k, "\n"); put(b, n, &k, d); }
        }
    } else if (!strcmp(type, "mixed")) {
        const imp_jval *mx = imp_json_get(v, "mixed");
        const imp_jval *items = imp_json_get(mx, "item");
        char one[2048];
        for (const imp_jval *it = items && items->type == IMP_JARR ? items->child : NULL; it; it = it->next) {
            const char *t = imp_json_text(it, "type");
            if (!t || strcmp(t, "text")) continue;
            const char *c = inner_content(imp_json_text(it, "content"), one, sizeof one);
            if (!c) continue;
            if (k) put(b, n, &k, "\n");
            put(b, n, &k, c);
        }
    } else {
        return NULL;
    }
    return k ? b : NULL;
}

/* One archived message. */
static int message(imp_ctx *x, const char *path, int64_t line, const imp_jval *v)
{
    const char *action = imp_json_text(v, "action");
    if (action && !strcmp(action, "switch")) { /* an account switch record, no message */
        imp_skip(x);
        return 0;
    }
    const char *room = imp_json_text(v, "roomid");
    if (!room || !*room) { /* a one-to-one chat */
        imp_skip(x);
        return 0;
    }
    imp_msg m;
    imp_msg_init(&m);
    const imp_jval *tv = imp_json_get(v, "msgtime");
    if (!tv) tv = imp_json_get(v, "time");
    int64_t t = num_or(tv, -1);
    if (t <= 0) return imp_bad(x, path, line, "bad or missing msgtime");
    m.ts = t > 100000000000ll ? t / 1000 : t; /* msgtime is in milliseconds */
    m.group = room;
    m.sender = imp_json_text(v, "from");
    m.msgid = imp_json_text(v, "msgid");
    if (!m.sender || !*m.sender) return imp_bad(x, path, line, "a message without 'from'");
    const char *type = imp_json_text(v, "msgtype");
    char rich[8192];
    if ((action && !strcmp(action, "recall")) || (type && !strcmp(type, "revoke"))) {
        m.kind = EV_RECALL;
        m.refine = 0;
    } else if (type && (!strcmp(type, "agree") || !strcmp(type, "disagree"))) {
        imp_skip(x); /* consent to archiving, not a chat message */
        return 0;
    } else if (type && !strcmp(type, "text")) {
        const imp_jval *text = imp_json_get(v, "text");
        m.text = imp_json_text(text, "content");
        if (!m.text) m.text = "";
    } else if (type && (m.text = rich_text(v, type, rich, sizeof rich)) != NULL) {
        /* markdown, news, mixed: their text is read like a text message's */
    } else {
        m.length = 0; /* image, voice, file, link, ...: a message without text */
        m.refine = 0;
    }
    return imp_emit(x, &m);
}

/* An internal group's msgaudit/groupchat/get answer (会话存档 内部群信息):
 * {roomname, creator, room_create_time, notice, members: [{memberid,
 * jointime}]}.  The answer does not repeat the roomid: it is taken from a
 * "roomid" field if the file adds one, else --group. */
static int internal_group(imp_ctx *x, const char *path, int64_t line, const imp_jval *v)
{
    const char *chat = imp_json_text(v, "roomid");
    if (!chat) chat = imp_options(x)->group;
    const char *name = imp_json_text(v, "roomname");
    const char *creator = imp_json_text(v, "creator");
    const imp_jval *list = imp_json_get(v, "members");
    if (!list || list->type != IMP_JARR) return imp_bad(x, path, line, "members is not an array");
    for (const imp_jval *mem = list->child; mem; mem = mem->next) {
        const char *id = mem->type == IMP_JOBJ ? imp_json_text(mem, "memberid") : NULL;
        if (!id || !*id) {
            if (imp_bad(x, path, line, "a members entry without memberid")) return -1;
            continue;
        }
        int64_t joined = num_or(imp_json_get(mem, "jointime"), -1);
        if (joined > 100000000000ll) joined /= 1000;
        int role = creator && !strcmp(creator, id) ? ROLE_OWNER : ROLE_MEMBER;
        if (imp_member(x, chat, name, id, NULL, role, joined, -1, NULL)) return -1;
    }
    return 0;
}

/* A change_external_chat callback (客户群变更事件), as JSON with the
 * push's fields: ChangeType update, UpdateDetail add_member / del_member,
 * ChatId, CreateTime, JoinScene (0 invited, 3 QR) / QuitScene, and the
 * members in MemChangeList (an array of userids, or {Item: [...]}).
 * Leaves and joins become leave / join events of those members. */
static int chat_change(imp_ctx *x, const char *path, int64_t line, const imp_jval *v)
{
    const char *detail = imp_json_text(v, "UpdateDetail");
    const char *chat = imp_json_text(v, "ChatId");
    int add = detail && !strcmp(detail, "add_member"), del = detail && !strcmp(detail, "del_member");
    if (!add && !del) {
        imp_skip(x); /* a rename, an owner change, ...: no membership change */
        return 0;
    }
    int64_t t = num_or(imp_json_get(v, "CreateTime"), -1);
    if (t <= 0) return imp_bad(x, path, line, "bad or missing CreateTime");
    if (t > 100000000000ll) t /= 1000;
    const imp_jval *list = imp_json_get(v, "MemChangeList");
    if (list && list->type == IMP_JOBJ) list = imp_json_get(list, "Item");
    if (!list || (list->type != IMP_JARR && list->type != IMP_JSTR))
        return imp_bad(x, path, line, "%s without MemChangeList: who changed is unknown", detail);
    int scene = (int)num_or(imp_json_get(v, "JoinScene"), 0);
    const imp_jval *one = list->type == IMP_JSTR ? list : list->child;
    for (; one; one = list->type == IMP_JSTR ? NULL : one->next) {
        if (one->type != IMP_JSTR || !*one->str) continue;
        imp_msg m;
        imp_msg_init(&m);
        m.ts = t;
        m.group = chat;
        m.sender = one->str;
        m.refine = 0;
        m.kind = add ? EV_JOIN : EV_LEAVE;
        m.source = add ? (scene == 3 ? SRC_QR : SRC_INVITE) : -1;
        if (imp_emit(x, &m)) return -1;
    }
    return 0;
}

static int record(imp_ctx *x, const char *path, int64_t line, const imp_jval *v)
{
    if (v->type != IMP_JOBJ) return imp_bad(x, path, line, "a record is not an object");
    const imp_jval *gc = imp_json_get(v, "group_chat");
    if (gc && gc->type == IMP_JOBJ) return member_list(x, path, line, gc);
    if (imp_json_get(v, "member_list")) return member_list(x, path, line, v);
    if (imp_json_get(v, "msgid")) return message(x, path, line, v);
    if (imp_json_get(v, "members") && (imp_json_get(v, "roomname") || imp_json_get(v, "creator")))
        return internal_group(x, path, line, v);
    if (imp_json_get(v, "ChangeType") && imp_json_get(v, "UpdateDetail")) return chat_change(x, path, line, v);
    if (imp_json_get(v, "userid") && (imp_json_get(v, "join_time") || imp_json_get(v, "join_scene"))) {
        const char *chat = imp_json_text(v, "chat_id");
        if (!chat) chat = imp_options(x)->group;
        return one_member(x, path, line, v, chat, NULL, NULL, NULL);
    }
    return imp_bad(x, path, line, "neither a WeCom message (msgid) nor a member list (member_list, userid)");
}

int imp_read_wecom(imp_ctx *x, const char *path, FILE *f)
{
    return imp_json_each(x, path, f, record);
}
