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
    } else {
        m.length = 0; /* image, voice, file, link, mixed, ...: a message without text */
        m.refine = 0;
    }
    return imp_emit(x, &m);
}

static int record(imp_ctx *x, const char *path, int64_t line, const imp_jval *v)
{
    if (v->type != IMP_JOBJ) return imp_bad(x, path, line, "a record is not an object");
    const imp_jval *gc = imp_json_get(v, "group_chat");
    if (gc && gc->type == IMP_JOBJ) return member_list(x, path, line, gc);
    if (imp_json_get(v, "member_list")) return member_list(x, path, line, v);
    if (imp_json_get(v, "msgid")) return message(x, path, line, v);
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
