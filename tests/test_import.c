/* test_import.c -- the importers (analysis/import.h): the CSV and JSON
 * readers on hostile input, the question/time rules, and each format end to
 * end into a results database (counts, joins and inviters, questions,
 * duplicates, malformed rows with line numbers, --strict and failed imports
 * leaving the database unchanged), plus the `qunsim import` command.
 * Sample files are written under $QS_TMP (else /tmp) and removed.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "import.h"
#include "store.h"

/* ---- helpers ---------------------------------------------------------- */

static void tmp_path(char *buf, size_t n, const char *name)
{
    const char *dir = getenv("QS_TMP");
    if (!dir || !*dir) dir = "/tmp";
    snprintf(buf, n, "%s/test_import_%ld_%s", dir, (long)getpid(), name);
}

static void rm_db(const char *path)
{
    char b[1100];
    unlink(path);
    snprintf(b, sizeof b, "%s-wal", path);
    unlink(b);
    snprintf(b, sizeof b, "%s-shm", path);
    unlink(b);
}

/* Write bytes (len, or strlen if len < 0) to a new sample file. */
static void write_file(char *path, size_t n, const char *name, const char *data, long len)
{
    tmp_path(path, n, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    size_t k = len < 0 ? strlen(data) : (size_t)len;
    ck_assert_uint_eq(fwrite(data, 1, k, f), k);
    fclose(f);
}

static FILE *mem_file(const char *data, long len)
{
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    size_t k = len < 0 ? strlen(data) : (size_t)len;
    ck_assert_uint_eq(fwrite(data, 1, k, f), k);
    rewind(f);
    return f;
}

static store_t *open_db(char *path, size_t n, const char *name)
{
    char err[512];
    store_t *st;
    tmp_path(path, n, name);
    rm_db(path);
    ck_assert_msg(store_open(&st, path, err, sizeof err) == 0, "%s", err);
    return st;
}

static int64_t q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    ck_assert_msg(sqlite3_step(s) == SQLITE_ROW, "%s: no row", sql);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* A fingerprint of every row of every table: equal iff the data is equal. */
static uint64_t db_digest(sqlite3 *db)
{
    static const char *const tables[] = {"batches", "points", "runs", "groups", "members", "events", "daily",
                                         "summary"};
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        char sql[100];
        snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY rowid", tables[t]);
        sqlite3_stmt *s;
        ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
        while (sqlite3_step(s) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(s); c++) {
                const unsigned char *v = sqlite3_column_text(s, c);
                for (const unsigned char *p = v ? v : (const unsigned char *)"\x01NULL"; *p; p++)
                    h = (h ^ *p) * 0x100000001b3ull;
                h = (h ^ 0xff) * 0x100000001b3ull;
            }
        }
        sqlite3_finalize(s);
        h = (h ^ 0xfe) * 0x100000001b3ull;
    }
    return h;
}

static int import1(store_t *st, const char *format, const char *file, int strict, imp_stats *s, char *err,
                   size_t errlen)
{
    imp_opts o;
    imp_opts_init(&o);
    o.format = format;
    o.strict = strict;
    const char *files[1] = {file};
    return imp_import(st, &o, files, 1, s, err, errlen);
}

/* Count of events of a kind in run r. */
static int64_t n_kind(sqlite3 *db, int64_t r, const char *kind)
{
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM events WHERE run_id = %lld AND kind = '%s'", (long long)r, kind);
    return q_int(db, sql);
}

/* ---- rules -------------------------------------------------------------- */

START_TEST(test_question_rule)
{
    static const struct { const char *text; int q; } cases[] = {
        {"今天几点开始？", 1},
        {"明天还有活动吗", 1},
        {"请问怎么报名", 1},
        {"这本书如何购买", 1},
        {"why?", 1},
        {"what ? ", 1},
        {"为什么没有打卡积分", 1},
        {"有没有人一起读", 1},
        {"大家好", 0},
        {"打卡第3天", 0},
        {"看这个 https://example.com/a?b=1 不错", 0},
        {"https://x.cn/?q=1 这个怎么用", 1}, /* 怎么 outside the URL */
        {"link http://a.b/c?d and ok?", 1},
        {"", 0},
        {"收到，谢谢！", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(imp_is_question(cases[i].text) == cases[i].q, "'%s' should be %d", cases[i].text,
                      cases[i].q);
    ck_assert_int_eq(imp_is_question(NULL), 0);
    ck_assert_int_eq(imp_is_checkin("打卡 Day 5"), 1);
    ck_assert_int_eq(imp_is_checkin("#打卡 读完第二章"), 1);
    ck_assert_int_eq(imp_is_checkin("【打卡】第5天"), 1);
    ck_assert_int_eq(imp_is_checkin("今天读完了 #打卡"), 1);
    ck_assert_int_eq(imp_is_checkin("我忘了打卡"), 0);
    ck_assert_int_eq(imp_utf8_len("读书会ab"), 5);
}
END_TEST

START_TEST(test_parse_time)
{
    int64_t t;
    const int32_t cst = 8 * 3600;
    ck_assert_int_eq(imp_parse_time("1714525200", cst, &t), 0);
    ck_assert_int_eq(t, 1714525200);
    ck_assert_int_eq(imp_parse_time("1714525200123", cst, &t), 0); /* milliseconds */
    ck_assert_int_eq(t, 1714525200);
    ck_assert_int_eq(imp_parse_time("2024-05-01 09:00:00", cst, &t), 0); /* local +08:00 */
    ck_assert_int_eq(t, 1714525200);
    ck_assert_int_eq(imp_parse_time("2024-05-01 09:00", cst, &t), 0);
    ck_assert_int_eq(t, 1714525200);
    ck_assert_int_eq(imp_parse_time("2024/5/1 9:00:00", cst, &t), 0);
    ck_assert_int_eq(t, 1714525200);
    ck_assert_int_eq(imp_parse_time("2024-05-01T01:00:00Z", cst, &t), 0);
    ck_assert_int_eq(t, 1714525200);
    ck_assert_int_eq(imp_parse_time("2024-05-01T09:00:00.123456789+08:00", 0, &t), 0);
    ck_assert_int_eq(t, 1714525200);
    ck_assert_int_eq(imp_parse_time("2024-04-30T20:00:00-0500", cst, &t), 0);
    ck_assert_int_eq(t, 1714525200);
    ck_assert_int_eq(imp_parse_time("2024-05-01", cst, &t), 0);
    ck_assert_int_eq(t, 1714492800);
    ck_assert_int_eq(imp_parse_time("2000-02-29 00:00:00", 0, &t), 0);
    ck_assert_int_eq(t, 951782400);
    ck_assert_int_eq(imp_parse_time("", cst, &t), -1);
    ck_assert_int_eq(imp_parse_time("yesterday", cst, &t), -1);
    ck_assert_int_eq(imp_parse_time("2024-13-01 00:00", cst, &t), -1);
    ck_assert_int_eq(imp_parse_time("2024-05-01 25:00", cst, &t), -1);
    ck_assert_int_eq(imp_parse_time("2024-05-01 09:00 +99:00", cst, &t), -1);
    int32_t off;
    ck_assert_int_eq(imp_parse_offset("+08:00", &off), 0);
    ck_assert_int_eq(off, 28800);
    ck_assert_int_eq(imp_parse_offset("-0530", &off), 0);
    ck_assert_int_eq(off, -19800);
    ck_assert_int_eq(imp_parse_offset("UTC", &off), 0);
    ck_assert_int_eq(off, 0);
    ck_assert_int_eq(imp_parse_offset("+8", &off), 0);
    ck_assert_int_eq(off, 28800);
    ck_assert_int_eq(imp_parse_offset("8", &off), -1);
    ck_assert_int_eq(imp_parse_offset("+08:0x", &off), -1);
}
END_TEST

/* ---- the CSV reader ------------------------------------------------------ */

START_TEST(test_csv_reader)
{
    /* BOM, CRLF, a quoted field with a comma, a newline and "" quotes,
     * Chinese text, a blank line, LF-only lines, an empty last field */
    const char *data = "\xEF\xBB\xBF" "a,b,c\r\n"
                       "1,\"x, \"\"y\"\"\r\nz\",小王\r\n"
                       "\r\n"
                       "2,plain,\n"
                       "3,a\"b,\"\"\n"
                       "4,\"q\"tail,last";
    FILE *f = mem_file(data, -1);
    imp_csv *c;
    ck_assert_int_eq(imp_csv_open(&c, f, 0), 0);
    imp_csv_rec r;
    ck_assert_int_eq(imp_csv_next(c, &r), 1);
    ck_assert_int_eq(r.nfields, 3);
    ck_assert_str_eq(r.field[0], "a"); /* the BOM is gone */
    ck_assert_int_eq(r.line, 1);
    ck_assert_int_eq(imp_csv_next(c, &r), 1);
    ck_assert_int_eq(r.nfields, 3);
    ck_assert_str_eq(r.field[1], "x, \"y\"\r\nz");
    ck_assert_str_eq(r.field[2], "小王");
    ck_assert_int_eq(r.line, 2);
    ck_assert_int_eq(r.lines, 2);
    ck_assert_int_eq(imp_csv_next(c, &r), 1); /* the blank line is skipped */
    ck_assert_int_eq(r.line, 5);
    ck_assert_int_eq(r.nfields, 3);
    ck_assert_str_eq(r.field[2], "");
    ck_assert_int_eq(imp_csv_next(c, &r), 1);
    ck_assert_str_eq(r.field[1], "a\"b"); /* a quote inside an unquoted field is text */
    ck_assert_str_eq(r.field[2], "");
    ck_assert_int_eq(imp_csv_next(c, &r), 1); /* no newline at the end */
    ck_assert_str_eq(r.field[1], "qtail");
    ck_assert_str_eq(r.field[2], "last");
    ck_assert_int_eq(r.line, 7);
    ck_assert_int_eq(imp_csv_next(c, &r), 0);
    ck_assert_int_eq(imp_csv_next(c, &r), 0);
    imp_csv_close(c);
    fclose(f);

    /* a quote never closed: one malformed record, then the end */
    f = mem_file("h1,h2\n1,ok\n2,\"never closed\nmore\n", -1);
    ck_assert_int_eq(imp_csv_open(&c, f, 0), 0);
    ck_assert_int_eq(imp_csv_next(c, &r), 1);
    ck_assert_int_eq(imp_csv_next(c, &r), 1);
    ck_assert_int_eq(imp_csv_next(c, &r), -1);
    ck_assert_int_eq(r.line, 3);
    ck_assert_msg(strstr(imp_csv_error(c), "line 3") && strstr(imp_csv_error(c), "never closed"), "%s",
                  imp_csv_error(c));
    ck_assert_int_eq(imp_csv_next(c, &r), 0);
    imp_csv_close(c);
    fclose(f);

    /* a record over the bound is fatal, not a memory blow-up */
    f = mem_file("a,b\n\"0123456789012345678901234567890123456789\n", -1);
    ck_assert_int_eq(imp_csv_open(&c, f, 16), 0);
    ck_assert_int_eq(imp_csv_next(c, &r), 1);
    ck_assert_int_eq(imp_csv_next(c, &r), -2);
    ck_assert_msg(strstr(imp_csv_error(c), "longer than 16"), "%s", imp_csv_error(c));
    imp_csv_close(c);
    fclose(f);

    /* empty input, and NUL bytes inside a field */
    f = mem_file("", 0);
    ck_assert_int_eq(imp_csv_open(&c, f, 0), 0);
    ck_assert_int_eq(imp_csv_next(c, &r), 0);
    imp_csv_close(c);
    fclose(f);
    f = mem_file("a\0b,c\n", 6);
    ck_assert_int_eq(imp_csv_open(&c, f, 0), 0);
    ck_assert_int_eq(imp_csv_next(c, &r), 1);
    ck_assert_int_eq(r.len[0], 3);
    imp_csv_close(c);
    fclose(f);
}
END_TEST

/* ---- the JSON reader ----------------------------------------------------- */

START_TEST(test_json_reader)
{
    const imp_jval *v;
    int64_t line;
    imp_json *j;
    /* one top-level array, pretty-printed, with escapes and nesting */
    FILE *f = mem_file("\xEF\xBB\xBF[\n {\"a\": 1, \"s\": \"\\u4e2d\\\"x\\n\", \"emoji\": \"\\ud83d\\ude00\",\n"
                       "  \"n\": null, \"t\": true, \"arr\": [1, -2.5e3, {\"k\": \"v\"}]},\n"
                       " {\"a\": 12345678901234}\n]\n", -1);
    ck_assert_int_eq(imp_json_open(&j, f, 0), 0);
    ck_assert_int_eq(imp_json_next(j, &v, &line), 1);
    ck_assert_int_eq(v->type, IMP_JOBJ);
    ck_assert_int_eq(line, 2);
    ck_assert_str_eq(imp_json_text(v, "s"), "中\"x\n");
    ck_assert_str_eq(imp_json_text(v, "emoji"), "\xF0\x9F\x98\x80");
    ck_assert_str_eq(imp_json_text(v, "a"), "1");
    ck_assert_ptr_null(imp_json_text(v, "n"));
    ck_assert_int_eq(imp_json_get(v, "t")->type, IMP_JBOOL);
    const imp_jval *arr = imp_json_get(v, "arr");
    ck_assert_int_eq(arr->type, IMP_JARR);
    ck_assert(arr->child->next->num == -2500.0);
    ck_assert_str_eq(imp_json_text(arr->child->next->next, "k"), "v");
    ck_assert_ptr_null(imp_json_get(v, "missing"));
    ck_assert_int_eq(imp_json_next(j, &v, &line), 1);
    ck_assert_str_eq(imp_json_text(v, "a"), "12345678901234");
    ck_assert_int_eq(imp_json_next(j, &v, &line), 0);
    imp_json_close(j);
    fclose(f);

    /* JSON lines with a broken line in the middle: reported, then resumed */
    f = mem_file("{\"i\":1}\n{\"i\":2, oops}\n{\"i\":3}\r\n\n{\"i\":\"4\"}", -1);
    ck_assert_int_eq(imp_json_open(&j, f, 0), 0);
    ck_assert_int_eq(imp_json_next(j, &v, &line), 1);
    ck_assert_int_eq(imp_json_next(j, &v, &line), -1);
    ck_assert_int_eq(line, 2);
    ck_assert_msg(strstr(imp_json_error(j), "line 2"), "%s", imp_json_error(j));
    ck_assert_int_eq(imp_json_next(j, &v, &line), 1);
    ck_assert_str_eq(imp_json_text(v, "i"), "3");
    ck_assert_int_eq(imp_json_next(j, &v, &line), 1);
    ck_assert_str_eq(imp_json_text(v, "i"), "4");
    ck_assert_int_eq(line, 5);
    ck_assert_int_eq(imp_json_next(j, &v, &line), 0);
    imp_json_close(j);
    fclose(f);

    /* a truncated array: the last record is malformed, then the end */
    f = mem_file("[{\"i\":1},{\"i\":2},{\"i\":3,\"s\":\"cut he", -1);
    ck_assert_int_eq(imp_json_open(&j, f, 0), 0);
    ck_assert_int_eq(imp_json_next(j, &v, &line), 1);
    ck_assert_int_eq(imp_json_next(j, &v, &line), 1);
    ck_assert_int_eq(imp_json_next(j, &v, &line), -1);
    ck_assert_int_eq(imp_json_next(j, &v, &line), 0);
    imp_json_close(j);
    fclose(f);

    /* garbage inside an array: fatal (no line to resume on) */
    f = mem_file("[{\"i\":1} {\"i\":2}]", -1);
    ck_assert_int_eq(imp_json_open(&j, f, 0), 0);
    ck_assert_int_eq(imp_json_next(j, &v, &line), 1);
    ck_assert_int_eq(imp_json_next(j, &v, &line), -2);
    ck_assert_msg(strstr(imp_json_error(j), "expected ','"), "%s", imp_json_error(j));
    imp_json_close(j);
    fclose(f);

    /* nesting bombs and oversized records are refused, not followed */
    char deep[2100];
    memset(deep, '[', 2000);
    deep[2000] = '\0';
    f = mem_file(deep, -1);
    ck_assert_int_eq(imp_json_open(&j, f, 0), 0);
    ck_assert_int_lt(imp_json_next(j, &v, &line), 0);
    ck_assert_msg(strstr(imp_json_error(j), "nesting"), "%s", imp_json_error(j));
    imp_json_close(j);
    fclose(f);
    f = mem_file("{\"s\": \"0123456789012345678901234567890123456789\"}\n{\"s\":1}\n", -1);
    ck_assert_int_eq(imp_json_open(&j, f, 16), 0);
    ck_assert_int_eq(imp_json_next(j, &v, &line), -1);
    ck_assert_int_eq(imp_json_next(j, &v, &line), 1);
    imp_json_close(j);
    fclose(f);
    /* empty and whitespace-only input */
    f = mem_file(" \n\t ", -1);
    ck_assert_int_eq(imp_json_open(&j, f, 0), 0);
    ck_assert_int_eq(imp_json_next(j, &v, &line), 0);
    imp_json_close(j);
    fclose(f);
}
END_TEST

/* ---- WeChat notices ------------------------------------------------------ */

typedef struct seen_join {
    char who[8][64], inviter[8][64];
    int source[8], n;
} seen_join;

static void on_join(void *ctx, const char *who, const char *inviter, int source)
{
    seen_join *s = ctx;
    if (s->n == 8) return;
    snprintf(s->who[s->n], 64, "%s", who);
    snprintf(s->inviter[s->n], 64, "%s", inviter ? inviter : "-");
    s->source[s->n++] = source;
}

START_TEST(test_wechat_notices)
{
    seen_join s = {0};
    ck_assert_int_eq(imp_wechat_notice("\"小王\"邀请\"老李、阿May\"加入了群聊", on_join, &s), 2);
    ck_assert_str_eq(s.who[0], "老李");
    ck_assert_str_eq(s.inviter[0], "小王");
    ck_assert_str_eq(s.who[1], "阿May");
    ck_assert_int_eq(s.source[1], SRC_INVITE);
    memset(&s, 0, sizeof s);
    ck_assert_int_eq(imp_wechat_notice("\"B\"通过扫描\"A\"分享的二维码加入群聊", on_join, &s), 1);
    ck_assert_str_eq(s.who[0], "B");
    ck_assert_str_eq(s.inviter[0], "A");
    ck_assert_int_eq(s.source[0], SRC_QR);
    memset(&s, 0, sizeof s);
    ck_assert_int_eq(imp_wechat_notice("“B”通过扫描你分享的二维码加入群聊", on_join, &s), 1); /* curly quotes */
    ck_assert_str_eq(s.inviter[0], IMP_SELF);
    memset(&s, 0, sizeof s);
    ck_assert_int_eq(imp_wechat_notice("你邀请\"C\"加入了群聊", on_join, &s), 1);
    ck_assert_str_eq(s.inviter[0], IMP_SELF);
    memset(&s, 0, sizeof s);
    ck_assert_int_eq(imp_wechat_notice("\"A\"邀请你和\"D\"加入了群聊", on_join, &s), 2);
    ck_assert_str_eq(s.who[0], IMP_SELF);
    ck_assert_str_eq(s.who[1], "D");
    memset(&s, 0, sizeof s);
    ck_assert_int_eq(imp_wechat_notice("你将\"E\"移出了群聊", on_join, &s), 1);
    ck_assert_int_eq(s.source[0], -1);
    memset(&s, 0, sizeof s);
    ck_assert_int_eq(imp_wechat_notice("\"F\"修改群名为“读书会”", on_join, &s), 0);
    ck_assert_int_eq(imp_wechat_notice("\"F\" 撤回了一条消息", on_join, &s), 0);
    ck_assert_int_eq(imp_wechat_notice("\"unbalanced 邀请\"x\"加入了群聊", on_join, &s), 0);
    ck_assert_int_eq(imp_wechat_notice("", on_join, &s), 0);
    ck_assert_int_eq(s.n, 0);
}
END_TEST

/* ---- formats end to end -------------------------------------------------- */

/* WeChatMsg CSV as Python's csv module writes it (utf-8-sig: a BOM; CRLF
 * rows; quotes only where needed), hostile: a quoted newline, Chinese
 * nicknames, notices, a duplicate row, out-of-order times, a bad Type, a
 * truncated last row. */
static const char *const wechatmsg_csv =
    "\xEF\xBB\xBF" "localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime,Remark,NickName,Sender\r\n"
    "1,123@chatroom,1,0,0,1714525200,2,大家好,2024-05-01 09:00:00,,小王,wxid_a\r\n"
    "2,123@chatroom,10000,0,0,1714525260,4,\"\"\"小王\"\"邀请\"\"老李、阿May\"\"加入了群聊\",2024-05-01 09:01:00,,,\r\n"
    "3,123@chatroom,1,0,0,1714525300,2,\"今天几点开始？\r\n有人知道吗\",2024-05-01 09:01:40,,老李,wxid_b\r\n"
    "4,123@chatroom,10000,0,0,1714525400,4,\"\"\"C\"\"通过扫描\"\"阿May\"\"分享的二维码加入群聊\",2024-05-01 09:03:20,,,\r\n"
    "5,123@chatroom,3,0,0,1714525500,2,,2024-05-01 09:05:00,May姐,阿May,wxid_m\r\n"
    "5,123@chatroom,3,0,0,1714525500,2,,2024-05-01 09:05:00,May姐,阿May,wxid_m\r\n"
    "6,123@chatroom,1,0,1,1714525000,2,打卡 第1天,2024-05-01 08:56:40,,我,wxid_self\r\n"
    "7,123@chatroom,1,0,0,1714525600,2,\"\"\"引号\"\", 逗号\",2024-05-01 09:06:40,,C,wxid_c\r\n"
    "8,123@chatroom,x,0,0,1714525700,2,bad type,2024-05-01 09:08:20,,C,wxid_c\r\n"
    "9,123@chatroom,10000,0,0,1714525800,4,\"\"\"C\"\" 撤回了一条消息\",2024-05-01 09:10:00,,,\r\n"
    "10,123@chatroom,1,0,0,1714612000,2,第二天好,2024-05-02 09:06:40,,老李,wxid_b\r\n"
    "11,123@chatroom,1,0,0,1714612100,2,truncated";

START_TEST(test_wechatmsg)
{
    char db_path[1024], csv[1024], err[1024];
    store_t *st = open_db(db_path, sizeof db_path, "wechat.db");
    write_file(csv, sizeof csv, "wechat.csv", wechatmsg_csv, -1);
    imp_stats s;
    int rc = import1(st, "wechatmsg", csv, 0, &s, err, sizeof err);
    ck_assert_msg(rc == 0, "import: %s", err);
    sqlite3 *db = store_db(st);
    int64_t r = s.run_id;
    ck_assert_int_eq(r, 1);
    ck_assert_int_eq(s.rows, 12);
    ck_assert_int_eq(s.duplicates, 1);
    ck_assert_int_eq(s.malformed, 2);
    ck_assert_int_eq(s.nbad, 2);
    /* line numbers are physical lines: row 3 spans lines 4-5 */
    ck_assert_msg(strstr(s.bad[0], ":11: bad Type"), "%s", s.bad[0]);
    ck_assert_msg(strstr(s.bad[1], ":14: ") && strstr(s.bad[1], "fields"), "%s", s.bad[1]);
    ck_assert_int_eq(s.out_of_order, 1); /* the self message at 08:56 */
    /* events: 6 messages (1 question, 1 checkin), 3 joins, 1 recall */
    ck_assert_int_eq(s.joins, 3);
    ck_assert_int_eq(n_kind(db, r, "join"), 3);
    ck_assert_int_eq(n_kind(db, r, "question"), 1);
    ck_assert_int_eq(n_kind(db, r, "checkin"), 1);
    ck_assert_int_eq(n_kind(db, r, "recall"), 1);
    ck_assert_int_eq(n_kind(db, r, "message"), 4);
    ck_assert_int_eq(s.messages, 6);
    ck_assert_int_eq(s.questions, 1);
    /* members: 小王 (a), 老李 (b), 阿May (m, adopted from the notice name),
     * C (joined by QR, then spoke), self: 5 */
    ck_assert_int_eq(s.members, 5);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM members WHERE run_id = 1"), 5);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM members m JOIN members i ON i.run_id = m.run_id AND "
                               "i.member_id = m.inviter_id WHERE m.name = '老李' AND m.source = 'invite' AND "
                               "i.name = '小王' AND m.joined_ts = 1714525260"),
                     1);
    /* 阿May: invited by 小王, later spoke as wxid_m with remark May姐: one member */
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM members m JOIN members i ON i.member_id = m.inviter_id "
                               "WHERE m.name = 'May姐' AND m.source = 'invite' AND i.name = '小王'"),
                     1);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM members m JOIN members i ON i.member_id = m.inviter_id "
                               "WHERE m.name = 'C' AND m.source = 'qr' AND i.name = 'May姐'"),
                     1);
    /* the join event carries the inviter and the source code */
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM events e JOIN members m ON m.member_id = e.member_id "
                               "JOIN members i ON i.member_id = e.ref_id WHERE e.kind = 'join' AND m.name = 'C' "
                               "AND i.name = 'May姐' AND e.value = 3"),
                     1);
    /* no join notice: a member since the start of the log, source seed */
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM members WHERE name = '小王' AND source = 'seed' AND "
                               "inviter_id IS NULL AND joined_ts = 1714525000"),
                     1);
    /* the recall is attributed to C by name */
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM events e JOIN members m ON m.member_id = e.member_id "
                               "WHERE e.kind = 'recall' AND m.name = 'C'"),
                     1);
    /* text length in characters as value; the quoted CRLF kept */
    ck_assert_int_eq(q_int(db, "SELECT value FROM events WHERE kind = 'question'"), 14);
    /* the run: live arm, source wechatmsg, local days of +08:00 */
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM runs WHERE run_id = 1 AND arm = 'live' AND "
                               "source = 'wechatmsg' AND start_ts = 1714492800 AND days = 2 AND "
                               "utc_offset = 28800 AND batch_id = 1"),
                     1);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM batches WHERE kind = 'import' AND scenario = 'wechatmsg'"), 1);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM groups WHERE run_id = 1 AND name = '123@chatroom'"), 1);
    ck_assert_int_eq(s.events, q_int(db, "SELECT count(*) FROM events WHERE run_id = 1"));

    /* --strict: the bad Type fails the whole import; the database is as it was */
    uint64_t before = db_digest(db);
    rc = import1(st, "wechatmsg", csv, 1, &s, err, sizeof err);
    ck_assert_int_eq(rc, IMP_EINPUT);
    ck_assert_msg(strstr(err, csv) && strstr(err, ":11: bad Type") && strstr(err, "--strict"), "%s", err);
    ck_assert_uint_eq(db_digest(db), before);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM runs"), 1);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM batches"), 1);
    store_close(st);
    rm_db(db_path);
    unlink(csv);
}
END_TEST

START_TEST(test_generic_csv)
{
    char db_path[1024], csv[1024], csv2[1024], err[1024];
    store_t *st = open_db(db_path, sizeof db_path, "generic.db");
    write_file(csv, sizeof csv, "generic.csv",
               "timestamp,group,sender,name,kind,length,inviter,question,text,id\n"
               "2024-05-01 09:00,g1,u1,群主,,,,,\"欢迎,大家\",m1\n"
               "2024-05-01 09:01,g1,u2,,join,,u1,,,m2\n"
               "2024-05-01 09:02,g1,u2,新人,,12,,1,,m3\n"      /* question by flag, length given */
               "2024-05-01 09:03,g1,u3,,,,,0,这是问题吗,m4\n"  /* flag 0 wins over the rule */
               "2024-05-01 09:04,g2,u1,,,,,,在吗,m5\n"         /* a second group, same person */
               "2024-05-01 09:04,g2,u1,,,,,,在吗,m5\n"         /* duplicate id */
               "2024-05-01 09:05,g1,u3,,leave,,,,,m6\n"
               "2024-05-01 09:06,g1,u4,,vote,,,,,m7\n"
               "2024-05-01 09:07,g1,,,system,,,,群公告,m8\n"
               "yesterday,g1,u1,,,,,,,m9\n"
               "2024-05-01 09:08,g1,u1,,dance,,,,,m10\n"
               "2024-05-01 09:09,g1,u1\n", -1);
    imp_stats s;
    int rc = import1(st, "csv", csv, 0, &s, err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    sqlite3 *db = store_db(st);
    ck_assert_int_eq(s.rows, 12);
    ck_assert_int_eq(s.malformed, 3);
    ck_assert_msg(strstr(s.bad[0], ":11: bad time"), "%s", s.bad[0]);
    ck_assert_msg(strstr(s.bad[1], ":12: unknown kind 'dance'"), "%s", s.bad[1]);
    ck_assert_msg(strstr(s.bad[2], ":13: 3 fields"), "%s", s.bad[2]);
    ck_assert_int_eq(s.duplicates, 1);
    ck_assert_int_eq(s.groups, 2);
    ck_assert_int_eq(s.members, 4);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM members"), 5); /* u1 in g1 and g2 */
    ck_assert_int_eq(q_int(db, "SELECT count(DISTINCT member_id) FROM members"), 4);
    ck_assert_int_eq(n_kind(db, 1, "question"), 2);
    ck_assert_int_eq(q_int(db, "SELECT value FROM events WHERE kind = 'question' AND group_id = 1"), 12);
    ck_assert_int_eq(n_kind(db, 1, "vote"), 1);
    ck_assert_int_eq(n_kind(db, 1, "system"), 1);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM events WHERE kind = 'system' AND member_id IS NULL"), 1);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM members m JOIN members i ON i.member_id = m.inviter_id AND "
                               "i.group_id = m.group_id WHERE m.name = '新人' AND i.name = '群主' AND "
                               "m.source = 'invite'"),
                     1);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM members WHERE left_ts IS NOT NULL"), 1);

    /* --group keeps one group; a second file in the same import */
    write_file(csv2, sizeof csv2, "generic2.csv", "ts,group,sender\n1714525200,g2,u9\n1714525300,g3,u9\n", -1);
    imp_opts o;
    imp_opts_init(&o);
    o.format = "csv";
    o.group = "g2";
    const char *files[2] = {csv, csv2};
    rc = imp_import(st, &o, files, 2, &s, err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_int_eq(s.run_id, 2);
    ck_assert_int_eq(s.groups, 1);
    ck_assert_int_eq(s.events, 2); /* u1's 在吗 and u9 */
    ck_assert_int_eq(s.skipped, 8);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM groups WHERE run_id = 2 AND name = 'g2'"), 1);
    /* a group that is not there: nothing to import, nothing written */
    uint64_t before = db_digest(db);
    o.group = "nope";
    rc = imp_import(st, &o, files, 2, &s, err, sizeof err);
    ck_assert_int_eq(rc, IMP_EINPUT);
    ck_assert_msg(strstr(err, "no messages found"), "%s", err);
    ck_assert_uint_eq(db_digest(db), before);
    /* a header without a time column */
    unlink(csv2);
    write_file(csv2, sizeof csv2, "generic3.csv", "when,who\n1,2\n", -1);
    rc = import1(st, "csv", csv2, 0, &s, err, sizeof err);
    ck_assert_int_eq(rc, IMP_EINPUT);
    ck_assert_msg(strstr(err, "no time column"), "%s", err);
    ck_assert_uint_eq(db_digest(db), before);
    store_close(st);
    rm_db(db_path);
    unlink(csv);
    unlink(csv2);
}
END_TEST

START_TEST(test_chatlog)
{
    char db_path[1024], csv[1024], json[1024], err[1024];
    store_t *st = open_db(db_path, sizeof db_path, "chatlog.db");
    write_file(csv, sizeof csv, "chatlog.csv",
               "Time,SenderName,Sender,TalkerName,Talker,Content\r\n"
               "2024-05-01 09:00:00,小王,wxid_a,读书会,123@chatroom,大家好\r\n"
               "2024-05-01 09:01:00,,系统消息,读书会,123@chatroom,\"\"\"小王\"\"邀请\"\"老李\"\"加入了群聊\"\r\n"
               "2024-05-01 09:02:00,老李,wxid_b,读书会,123@chatroom,\"请问\n几点开始\"\r\n"
               "2024-05-01 09:02:00,老李,wxid_b,读书会,123@chatroom,\"请问\n几点开始\"\r\n"
               "2024-05-01 09:03:00,小王,wxid_a,读书会\r\n", -1);
    imp_stats s;
    int rc = import1(st, "chatlog", csv, 0, &s, err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    sqlite3 *db = store_db(st);
    ck_assert_int_eq(s.rows, 5);
    ck_assert_int_eq(s.duplicates, 1);
    ck_assert_int_eq(s.malformed, 1);
    ck_assert_int_eq(s.joins, 1);
    ck_assert_int_eq(s.questions, 1);
    ck_assert_int_eq(s.members, 2);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM members m JOIN members i ON i.member_id = m.inviter_id "
                               "WHERE m.name = '老李' AND i.name = '小王' AND m.run_id = 1 AND i.run_id = 1"),
                     1);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM groups WHERE run_id = 1 AND name = '读书会'"), 1);

    /* JSON: one array as the HTTP API returns it, RFC 3339 times, a one-to-one
     * chat skipped, a quote reply, a pat, a system notice, a truncated end */
    write_file(json, sizeof json, "chatlog.json",
               "[{\"seq\":1714525200000,\"time\":\"2024-05-01T09:00:00+08:00\",\"talker\":\"123@chatroom\","
               "\"talkerName\":\"读书会\",\"isChatRoom\":true,\"sender\":\"wxid_a\",\"senderName\":\"小王\","
               "\"isSelf\":false,\"type\":1,\"subType\":0,\"content\":\"怎么加入打卡?\"},"
               "{\"seq\":1714525260000,\"time\":\"2024-05-01T01:01:00Z\",\"talker\":\"123@chatroom\",\"isChatRoom\":true,"
               "\"sender\":\"系统消息\",\"senderName\":\"\",\"type\":10000,\"subType\":0,"
               "\"content\":\"\\\"B\\\"通过扫描\\\"小王\\\"分享的二维码加入群聊\"},"
               "{\"seq\":1714525300000,\"time\":\"2024-05-01T09:01:40+08:00\",\"talker\":\"123@chatroom\",\"isChatRoom\":true,"
               "\"sender\":\"wxid_b\",\"senderName\":\"B\",\"type\":49,\"subType\":57,\"content\":\"回复：扫码进群\"},"
               "{\"seq\":1714525300001,\"time\":\"2024-05-01T09:01:41+08:00\",\"talker\":\"wxid_x\",\"isChatRoom\":false,"
               "\"sender\":\"wxid_x\",\"type\":1,\"content\":\"私聊\"},"
               "{\"seq\":1714525300000,\"time\":\"2024-05-01T09:01:40+08:00\",\"talker\":\"123@chatroom\",\"isChatRoom\":true,"
               "\"sender\":\"wxid_b\",\"senderName\":\"B\",\"type\":49,\"subType\":57,\"content\":\"回复：扫码进群\"},"
               "{\"seq\":1714525400000,\"time\":\"2024-05-01T09:03:20+08:00\",\"talker\":\"123@chatroom\",\"isChatRoom\":true,"
               "\"sender\":\"wxid_a\",\"senderName\":\"小王\",\"type\":49,\"subType\":62,\"content\":\"\\\"小王\\\" 拍了拍 \\\"B\\\"\"},"
               "{\"seq\":1714525500000,\"time\":\"2024-05-01T09:05:00+08:00\",\"talker\":\"123@cha",
               -1);
    rc = import1(st, "chatlog", json, 0, &s, err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    int64_t r = s.run_id;
    ck_assert_int_eq(r, 2);
    ck_assert_int_eq(s.rows, 7);
    ck_assert_int_eq(s.skipped, 1);
    ck_assert_int_eq(s.duplicates, 1);
    ck_assert_int_eq(s.malformed, 1);
    ck_assert_msg(strstr(s.bad[0], "truncated"), "%s", s.bad[0]);
    ck_assert_int_eq(n_kind(db, r, "question"), 1);
    ck_assert_int_eq(n_kind(db, r, "reply"), 1);
    ck_assert_int_eq(n_kind(db, r, "reaction"), 1);
    ck_assert_int_eq(n_kind(db, r, "join"), 1);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM members m JOIN members i ON i.member_id = m.inviter_id AND "
                               "i.run_id = m.run_id WHERE m.run_id = 2 AND m.name = 'B' AND m.source = 'qr' AND "
                               "i.name = '小王'"),
                     1);
    /* the Z time and the +08:00 times are one clock */
    ck_assert_int_eq(q_int(db, "SELECT min(ts) FROM events WHERE run_id = 2"), 1714525200);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM events WHERE run_id = 2 AND kind = 'join' AND ts = 1714525260"),
                     1);
    store_close(st);
    rm_db(db_path);
    unlink(csv);
    unlink(json);
}
END_TEST

START_TEST(test_wecom)
{
    char db_path[1024], msgs[1024], members[1024], err[1024];
    store_t *st = open_db(db_path, sizeof db_path, "wecom.db");
    write_file(msgs, sizeof msgs, "wecom.jsonl",
               "{\"msgid\":\"m1\",\"action\":\"send\",\"from\":\"owner1\",\"tolist\":[\"u2\"],\"roomid\":\"wrA\","
               "\"msgtime\":1714525200000,\"msgtype\":\"text\",\"text\":{\"content\":\"欢迎新朋友\"}}\n"
               "{\"msgid\":\"m2\",\"action\":\"send\",\"from\":\"wmX\",\"tolist\":[],\"roomid\":\"wrA\","
               "\"msgtime\":1714525300000,\"msgtype\":\"text\",\"text\":{\"content\":\"请问课程在哪里看\"}}\n"
               "{\"msgid\":\"m3\",\"action\":\"send\",\"from\":\"wmX\",\"roomid\":\"wrA\",\"msgtime\":1714525400000,"
               "\"msgtype\":\"image\",\"image\":{\"md5sum\":\"x\"}}\n"
               "{\"msgid\":\"m3\",\"action\":\"send\",\"from\":\"wmX\",\"roomid\":\"wrA\",\"msgtime\":1714525400000,"
               "\"msgtype\":\"image\",\"image\":{\"md5sum\":\"x\"}}\n"
               "{\"msgid\":\"m4\",\"action\":\"recall\",\"from\":\"wmX\",\"roomid\":\"wrA\",\"msgtime\":1714525500000,"
               "\"msgtype\":\"revoke\"}\n"
               "{\"msgid\":\"m5\",\"action\":\"switch\",\"time\":1714525600000,\"user\":\"owner1\"}\n"
               "{\"msgid\":\"m6\",\"action\":\"send\",\"from\":\"u2\",\"roomid\":\"\",\"msgtime\":1714525700000,"
               "\"msgtype\":\"text\",\"text\":{\"content\":\"私聊\"}}\n"
               "{\"msgid\":\"m7\",\"action\":\"send\",\"from\":\"u2\",\"roomid\":\"wrA\",\"msgtime\":1714525800000,"
               "\"msgtype\":\"text\",\"text\":{\"content\":\"broken\"\n"
               "{\"msgid\":\"m8\",\"action\":\"send\",\"from\":\"u2\",\"roomid\":\"wrA\",\"msgtime\":1714612200000,"
               "\"msgtype\":\"text\",\"text\":{\"content\":\"第二天\"}}\n", -1);
    write_file(members, sizeof members, "wecom_members.json",
               "{\n  \"errcode\": 0,\n  \"errmsg\": \"ok\",\n  \"group_chat\": {\n"
               "    \"chat_id\": \"wrA\", \"name\": \"客户群\", \"owner\": \"owner1\", \"create_time\": 1700000000,\n"
               "    \"member_list\": [\n"
               "      {\"userid\": \"owner1\", \"type\": 1, \"join_time\": 1700000000, \"join_scene\": 1},\n"
               "      {\"userid\": \"u2\", \"type\": 1, \"join_time\": 1714000000, \"join_scene\": 1,\n"
               "       \"invitor\": {\"userid\": \"owner1\"}, \"group_nickname\": \"助教\"},\n"
               "      {\"userid\": \"wmX\", \"type\": 2, \"join_time\": 1714525250, \"join_scene\": 3,\n"
               "       \"invitor\": {\"userid\": \"u2\"}, \"name\": \"张三\"}\n"
               "    ],\n    \"admin_list\": [{\"userid\": \"u2\"}]\n  }\n}\n", -1);
    imp_opts o;
    imp_opts_init(&o);
    o.format = "wecom";
    const char *files[2] = {msgs, members};
    imp_stats s;
    int rc = imp_import(st, &o, files, 2, &s, err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    sqlite3 *db = store_db(st);
    ck_assert_int_eq(s.rows, 10);
    ck_assert_int_eq(s.malformed, 1);
    ck_assert_msg(strstr(s.bad[0], "wecom.jsonl:8:"), "%s", s.bad[0]);
    ck_assert_int_eq(s.duplicates, 1);
    ck_assert_int_eq(s.skipped, 2); /* the switch record and the one-to-one chat */
    ck_assert_int_eq(s.questions, 1);
    ck_assert_int_eq(n_kind(db, 1, "recall"), 1);
    ck_assert_int_eq(n_kind(db, 1, "join"), 3);
    ck_assert_int_eq(s.members, 3);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM members WHERE role = 'owner' AND source = 'invite'"), 1);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM members m JOIN members i ON i.member_id = m.inviter_id "
                               "WHERE m.name = '助教' AND m.role = 'admin' AND i.role = 'owner'"),
                     1);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM members m JOIN members i ON i.member_id = m.inviter_id "
                               "WHERE m.name = '张三' AND m.source = 'qr' AND m.joined_ts = 1714525250 AND "
                               "i.name = '助教'"),
                     1);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM groups WHERE name = '客户群'"), 1);
    /* the span is the log's (messages), not the member list's old joins */
    ck_assert_int_eq(q_int(db, "SELECT days FROM runs WHERE run_id = 1"), 2);
    ck_assert_int_eq(q_int(db, "SELECT start_ts FROM runs WHERE run_id = 1"), 1714492800);
    store_close(st);
    rm_db(db_path);
    unlink(msgs);
    unlink(members);
}
END_TEST

START_TEST(test_empty_and_missing)
{
    char db_path[1024], f[1024], err[1024];
    store_t *st = open_db(db_path, sizeof db_path, "empty.db");
    sqlite3 *db = store_db(st);
    uint64_t before = db_digest(db);
    static const char *const formats[] = {"csv", "wechatmsg", "chatlog", "wecom"};
    imp_stats s;
    for (int i = 0; i < 4; i++) {
        write_file(f, sizeof f, "empty.txt", "", 0);
        ck_assert_int_eq(import1(st, formats[i], f, 0, &s, err, sizeof err), IMP_EINPUT);
        ck_assert_msg(strstr(err, "no messages found"), "%s: %s", formats[i], err);
        unlink(f);
        write_file(f, sizeof f, "bom.txt", "\xEF\xBB\xBF", -1);
        ck_assert_int_eq(import1(st, formats[i], f, 0, &s, err, sizeof err), IMP_EINPUT);
    }
    /* header only */
    unlink(f);
    write_file(f, sizeof f, "header.csv",
               "localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime,Remark,NickName,"
               "Sender\r\n", -1);
    ck_assert_int_eq(import1(st, "wechatmsg", f, 0, &s, err, sizeof err), IMP_EINPUT);
    ck_assert_int_eq(s.rows, 0);
    /* a missing file, an unknown format, a file of another format */
    ck_assert_int_eq(import1(st, "csv", "/nonexistent/x.csv", 0, &s, err, sizeof err), IMP_EINPUT);
    ck_assert_msg(strstr(err, "/nonexistent/x.csv: cannot open"), "%s", err);
    ck_assert_int_eq(import1(st, "whatsapp", f, 0, &s, err, sizeof err), IMP_EINPUT);
    ck_assert_msg(strstr(err, "unknown format"), "%s", err);
    unlink(f);
    write_file(f, sizeof f, "notwechat.csv", "a,b\n1,2\n", -1);
    ck_assert_int_eq(import1(st, "wechatmsg", f, 0, &s, err, sizeof err), IMP_EINPUT);
    ck_assert_msg(strstr(err, "not a WeChatMsg CSV"), "%s", err);
    unlink(f);
    write_file(f, sizeof f, "binary.json", "\x00\x01\x02garbage\xff", 11);
    ck_assert_int_eq(import1(st, "wecom", f, 0, &s, err, sizeof err), IMP_EINPUT);
    ck_assert_uint_eq(db_digest(db), before);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM runs"), 0);
    /* a file cut inside a quoted field: the rows before it are imported */
    unlink(f);
    write_file(f, sizeof f, "cut.csv", "ts,sender,text\n1714525200,u1,ok\n1714525201,u2,\"never closed\n", -1);
    ck_assert_int_eq(import1(st, "csv", f, 0, &s, err, sizeof err), 0);
    ck_assert_int_eq(s.events, 1);
    ck_assert_int_eq(s.malformed, 1);
    ck_assert_msg(strstr(s.bad[0], ":3: ") && strstr(s.bad[0], "never closed"), "%s", s.bad[0]);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM runs WHERE settings LIKE '%files = [\"%cut.csv\"];%'"), 1);
    store_close(st);
    rm_db(db_path);
    unlink(f);
}
END_TEST

/* The database fails in the middle of an import (a page limit standing in
 * for a full disk): an error, and nothing of the import is left. */
START_TEST(test_import_db_full)
{
    char db_path[1024], csv[1024], err[1024];
    store_t *st = open_db(db_path, sizeof db_path, "full.db");
    size_t cap = 64 << 10, n = 0;
    char *data = malloc(cap);
    ck_assert_ptr_nonnull(data);
    n += (size_t)snprintf(data, cap, "ts,sender,text\n");
    for (int i = 0; i < 1000; i++)
        n += (size_t)snprintf(data + n, cap - n, "%d,u%d,message number %d\n", 1714525200 + i, i % 50, i);
    write_file(csv, sizeof csv, "full.csv", data, (long)n);
    free(data);
    imp_stats s;
    ck_assert_int_eq(import1(st, "csv", csv, 0, &s, err, sizeof err), 0);
    sqlite3 *db = store_db(st);
    uint64_t before = db_digest(db);
    char sql[100];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)q_int(db, "PRAGMA page_count") + 3);
    q_int(db, sql);
    ck_assert_int_eq(import1(st, "csv", csv, 0, &s, err, sizeof err), IMP_EFAIL);
    ck_assert_msg(strstr(err, db_path) && strstr(err, "disk full"), "%s", err);
    ck_assert_uint_eq(db_digest(db), before);
    store_close(st);
    rm_db(db_path);
    unlink(csv);
}
END_TEST

/* The command: exit codes and the summary (needs QS_BIN, set by make test). */
START_TEST(test_cli)
{
    const char *bin = getenv("QS_BIN");
    if (!bin || access(bin, X_OK) != 0) {
        fprintf(stderr, "test_cli: QS_BIN not set, skipped\n");
        return;
    }
    char db_path[1024], csv[1024], cmd[4096], out[1024];
    tmp_path(db_path, sizeof db_path, "cli.db");
    rm_db(db_path);
    write_file(csv, sizeof csv, "cli.csv", wechatmsg_csv, -1);
    tmp_path(out, sizeof out, "cli.out");
    snprintf(cmd, sizeof cmd, "'%s' import wechatmsg '%s' --db '%s' --utc-offset +08:00 >'%s' 2>&1", bin, csv,
             db_path, out);
    int st = system(cmd);
    ck_assert_int_eq(WEXITSTATUS(st), 0);
    FILE *f = fopen(out, "r");
    ck_assert_ptr_nonnull(f);
    char text[4096];
    size_t k = fread(text, 1, sizeof text - 1, f);
    text[k] = '\0';
    fclose(f);
    ck_assert_msg(strstr(text, "as run 1") && strstr(text, "3 joins") && strstr(text, "2 malformed rows") &&
                      strstr(text, ":11: bad Type"),
                  "%s", text);
    snprintf(cmd, sizeof cmd, "'%s' import wechatmsg '%s' --db '%s' --strict >'%s' 2>&1", bin, csv, db_path, out);
    ck_assert_int_eq(WEXITSTATUS(system(cmd)), 2);
    snprintf(cmd, sizeof cmd, "'%s' import nosuch '%s' --db '%s' >'%s' 2>&1", bin, csv, db_path, out);
    ck_assert_int_eq(WEXITSTATUS(system(cmd)), 2);
    snprintf(cmd, sizeof cmd, "'%s' import csv '%s' >'%s' 2>&1", bin, csv, out);
    ck_assert_int_eq(WEXITSTATUS(system(cmd)), 2);
    snprintf(cmd, sizeof cmd, "'%s' import csv '%s' --db /nonexistent/dir/x.db >'%s' 2>&1", bin, csv, out);
    ck_assert_int_eq(WEXITSTATUS(system(cmd)), 1);
    snprintf(cmd, sizeof cmd, "'%s' import --help >'%s' 2>&1", bin, out);
    ck_assert_int_eq(WEXITSTATUS(system(cmd)), 0);
    /* the strict failure left one run */
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM runs"), 1);
    sqlite3_close(db);
    rm_db(db_path);
    unlink(csv);
    unlink(out);
}
END_TEST


/* ---- fixtures written the way the exporters write (tests/fixtures/import) */

#define FIX "tests/fixtures/import/"
#define T0 1714525200 /* 2024-05-01 09:00 +08:00, the fixtures' first row */

static char *q_str(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    ck_assert_msg(sqlite3_step(s) == SQLITE_ROW, "%s: no row", sql);
    const unsigned char *t = sqlite3_column_text(s, 0);
    char *r = strdup(t ? (const char *)t : "");
    sqlite3_finalize(s);
    return r;
}

/* Every spell of run r, in member order: name:spell:source:inviter's name:
 * join day:leave day (days from T0, '-' while in the group). */
static char *spells_of(sqlite3 *db, int64_t r)
{
    char sql[900];
    snprintf(sql, sizeof sql,
             "SELECT group_concat(x, ' ') FROM (SELECT COALESCE(m.name, '?') || ':' || p.spell || ':' || p.source"
             " || ':' || COALESCE(i.name, CASE WHEN p.inviter_id IS NULL THEN '-' ELSE '#' || p.inviter_id END)"
             " || ':' || ((p.joined_ts - %d) / 86400) || ':' || COALESCE((p.left_ts - %d) / 86400, '-') AS x"
             " FROM spells p JOIN members m USING (run_id, group_id, member_id)"
             " LEFT JOIN members i ON i.run_id = p.run_id AND i.group_id = p.group_id AND i.member_id = p.inviter_id"
             " WHERE p.run_id = %lld ORDER BY p.group_id, p.member_id, p.spell)",
             T0, T0, (long long)r);
    return q_str(db, sql);
}

static void expect_spells(sqlite3 *db, int64_t r, const char *want)
{
    char *got = spells_of(db, r);
    ck_assert_msg(!strcmp(got, want), "spells of run %lld:\n got  %s\n want %s", (long long)r, got, want);
    free(got);
}

static int64_t q_intf(sqlite3 *db, const char *fmt, long long a)
{
    char sql[600];
    snprintf(sql, sizeof sql, fmt, a);
    return q_int(db, sql);
}

static int import_files(store_t *st, const char *format, const char *const *files, int n, imp_stats *s)
{
    char err[512];
    imp_opts o;
    imp_opts_init(&o);
    o.format = format;
    int rc = imp_import(st, &o, files, n, s, err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    return rc;
}

/* WeChatMsg exporter_csv.py: numeric TalkerId (group = file), a member out
 * of the exporter's contacts (Remark = NickName = Sender = wxid) linked by
 * the 10002 sysmsgtemplate that names her wxid, invitations, a QR join, a
 * removal and a rejoin (two spells), wrapped recalls, a pat, a quote. */
START_TEST(test_fixture_wechatmsg)
{
    char db[1024];
    store_t *st = open_db(db, sizeof db, "fx_wechatmsg.db");
    imp_stats s;
    const char *f[1] = {FIX "wechatmsg_group_utf8.csv"};
    import_files(st, "wechatmsg", f, 1, &s);
    ck_assert_int_eq(s.group_is_file, 1);
    ck_assert_int_eq(s.groups, 1);
    ck_assert_int_eq(s.members, 7); /* Alice, you (Lin), Bob, Carol, Dave, Erin, Frank */
    ck_assert_int_eq(s.duplicates, 1);
    ck_assert_int_eq(s.joins, 5);
    ck_assert_int_eq(s.leaves, 2);
    sqlite3 *d = store_db(st);
    int64_t r = s.run_id;
    expect_spells(d, r,
                  "Alice:0:seed:-:0:- Lin:0:seed:-:0:- Bob:0:seed:-:0:- Carol:0:invite:Alice:1:- "
                  "Dave:0:invite:Alice:1:7 Erin:0:invite:Bob:1:- Frank:0:qr:Dave:2:3 Frank:1:qr:Alice:5:-");
    ck_assert_int_eq(n_kind(d, r, "recall"), 2);
    ck_assert_int_eq(n_kind(d, r, "reaction"), 1);
    ck_assert_int_eq(n_kind(d, r, "reply"), 1);
    ck_assert_int_eq(n_kind(d, r, "question"), 1);
    ck_assert_int_eq(n_kind(d, r, "system"), 0);
    /* your own messages and your own recall are one member, Lin */
    ck_assert_int_eq(q_intf(d, "SELECT count(DISTINCT e.member_id) FROM events e JOIN members m USING (run_id, group_id,"
                               " member_id) WHERE e.run_id = %lld AND m.name = 'Lin'", (long long)r), 1);
    ck_assert_int_eq(q_intf(d, "SELECT count(*) FROM events e JOIN members m USING (run_id, group_id, member_id)"
                               " WHERE e.run_id = %lld AND m.name = 'Lin'", (long long)r), 2);
    /* Erin's wxid-only message is Erin's */
    ck_assert_int_eq(q_intf(d, "SELECT count(*) FROM events e JOIN members m USING (run_id, group_id, member_id)"
                               " WHERE e.run_id = %lld AND m.name = 'Erin' AND e.kind = 'message'", (long long)r), 1);
    /* presence per spell, founders not joins: members at each day's end, in the views */
    static const int members[9] = {3, 6, 7, 6, 6, 7, 7, 6, 6};
    for (int day = 0; day < 9; day++)
        ck_assert_int_eq(q_intf(d, "SELECT value FROM v_daily WHERE run_id = 1 AND group_id = 1 AND metric = 'members'"
                                   " AND day = %lld", (long long)day), members[day]);
    ck_assert_int_eq(q_int(d, "SELECT value FROM v_summary WHERE run_id = 1 AND group_id = 1 AND metric = 'joins'"), 5);
    ck_assert_int_eq(q_int(d, "SELECT value FROM v_summary WHERE run_id = 1 AND group_id = 1 AND metric = 'leaves'"), 2);
    /* joiners Carol, Dave, Erin, Frank: all by referral */
    ck_assert_int_eq(q_int(d, "SELECT value FROM v_summary WHERE run_id = 1 AND group_id = 1"
                              " AND metric = 'referral_share'"), 1);
    store_close(st);
    rm_db(db);
}
END_TEST

/* MemoTrace 2025 (WeChat 4.x): 消息ID,类型,发送人,时间,内容,备注,昵称,更多信息.
 * No chat id (group = file), no wxid: members are display names, linked to
 * the nickname a notice uses (Bob, shown as his remark 老鲍); type names. */
START_TEST(test_fixture_memotrace2025)
{
    char db[1024];
    store_t *st = open_db(db, sizeof db, "fx_memotrace.db");
    imp_stats s;
    const char *f[1] = {FIX "memotrace2025_group.csv"};
    import_files(st, "wechatmsg", f, 1, &s);
    ck_assert_int_eq(s.group_is_file, 1);
    ck_assert_int_eq(s.groups, 1);
    ck_assert_int_eq(s.members, 6); /* Alice, you, 老鲍 (Bob), Carol, Dave, Erin */
    ck_assert_int_eq(s.duplicates, 1);
    ck_assert_int_eq(s.joins, 3);
    ck_assert_int_eq(s.leaves, 1);
    ck_assert_int_eq(s.malformed, 0);
    sqlite3 *d = store_db(st);
    int64_t r = s.run_id;
    /* Erin joined by Bob's QR code: the notice's "Bob" is 老鲍 */
    expect_spells(d, r, "Alice:0:seed:-:0:- ?:0:seed:-:0:- \xE8\x80\x81\xE9\xB2\x8D:0:seed:-:0:- "
                        "Carol:0:invite:Alice:1:- Dave:0:invite:Alice:1:- "
                        "Erin:0:qr:\xE8\x80\x81\xE9\xB2\x8D:2:3");
    ck_assert_int_eq(n_kind(d, r, "message"), 4); /* Alice, you, Dave, Erin's image */
    ck_assert_int_eq(n_kind(d, r, "question"), 1);
    ck_assert_int_eq(n_kind(d, r, "reply"), 1);
    ck_assert_int_eq(n_kind(d, r, "reaction"), 1);
    ck_assert_int_eq(n_kind(d, r, "recall"), 1);
    ck_assert_int_eq(n_kind(d, r, "system"), 0);
    /* the pat is Alice's, the recall Dave's, the image has length 0 */
    ck_assert_int_eq(q_intf(d, "SELECT count(*) FROM events e JOIN members m USING (run_id, group_id, member_id)"
                               " WHERE e.run_id = %lld AND m.name = 'Alice' AND e.kind = 'reaction'", (long long)r), 1);
    ck_assert_int_eq(q_intf(d, "SELECT count(*) FROM events e JOIN members m USING (run_id, group_id, member_id)"
                               " WHERE e.run_id = %lld AND m.name = 'Dave' AND e.kind = 'recall'", (long long)r), 1);
    ck_assert_int_eq(q_intf(d, "SELECT value FROM events e JOIN members m USING (run_id, group_id, member_id)"
                               " WHERE e.run_id = %lld AND m.name = 'Erin' AND e.kind = 'message'", (long long)r), 0);
    /* 我 is you: one member for both of your rows' names (发送人, 备注, 昵称 all 我) */
    ck_assert_int_eq(q_intf(d, "SELECT count(*) FROM members WHERE run_id = %lld AND name = '\xE6\x88\x91'",
                            (long long)r), 0);
    store_close(st);
    rm_db(db);
}
END_TEST

/* WeChatMsg 0.2.6 (9-column header, 10-field rows) and v1.0 (pandas: the
 * same 9 columns after an unnamed index column): no sender column, so only
 * your own messages and the notices can be attributed; others' messages
 * are skipped and counted. */
START_TEST(test_fixture_wechatmsg_old)
{
    static const char *const files[2] = {FIX "wechatmsg_v026.csv", FIX "wechatmsg_v10.csv"};
    for (int k = 0; k < 2; k++) {
        char db[1024];
        store_t *st = open_db(db, sizeof db, k ? "fx_v10.db" : "fx_v026.db");
        imp_stats s;
        import_files(st, "wechatmsg", &files[k], 1, &s);
        ck_assert_int_eq(s.group_is_file, 1);
        ck_assert_int_eq(s.groups, 1);
        ck_assert_int_eq(s.rows, 7);
        ck_assert_int_eq(s.malformed, 0);
        ck_assert_int_eq(s.skipped, 2); /* Alice's text, an image: no sender */
        ck_assert_int_eq(s.members, 4); /* you, Carol, Alice, Dave */
        ck_assert_int_eq(s.joins, 2);
        ck_assert_int_eq(s.leaves, 1);
        sqlite3 *d = store_db(st);
        int64_t r = s.run_id;
        /* the log starts at your first message (the skipped rows carry no member) */
        /* Dave invited by you (member 0, unnamed: #0) */
        expect_spells(d, r, "?:0:seed:-:0:- Carol:0:invite:Alice:1:3 Alice:0:seed:-:0:- Dave:0:invite:#0:2:-");
        ck_assert_int_eq(n_kind(d, r, "message"), 2);
        ck_assert_int_eq(q_intf(d, "SELECT count(*) FROM events e JOIN members m USING (run_id, group_id, member_id)"
                                   " WHERE e.run_id = %lld AND e.kind = 'message' AND m.name IS NOT NULL",
                                (long long)r), 0);
        store_close(st);
        rm_db(db);
    }
}
END_TEST

/* The "export all chats" messages.csv (output_pc.py to_csv_all,
 * package_msg.py): the per-chat header over rows of 11-14 fields; groups are
 * TalkerId, named by the chat's Remark or NickName; Sender a display name or
 * 我; one-to-one chats (11 or 13 fields) skipped and counted. */
START_TEST(test_fixture_messages_all)
{
    char db[1024];
    store_t *st = open_db(db, sizeof db, "fx_all.db");
    imp_stats s;
    const char *f[1] = {FIX "wechatmsg_messages_all.csv"};
    import_files(st, "wechatmsg", f, 1, &s);
    ck_assert_int_eq(s.group_is_file, 0);
    ck_assert_int_eq(s.groups, 3);  /* 读书会 (5), 跑步群 (9), an unnamed group not in the contacts (11) */
    ck_assert_int_eq(s.rows, 11);
    ck_assert_int_eq(s.skipped, 3); /* two rows of the chat with Alice, one with a non-contact */
    ck_assert_int_eq(s.malformed, 0);
    ck_assert_int_eq(s.joins, 1);
    sqlite3 *d = store_db(st);
    int64_t r = s.run_id;
    expect_spells(d, r, "Alice:0:seed:-:0:- ?:0:seed:-:0:- Carol:0:invite:Alice:1:- "
                        "\xE8\x80\x81\xE9\xB2\x8D:0:seed:-:0:- ?:0:seed:-:0:- Tom:0:seed:-:0:- Zed:0:seed:-:0:-");
    ck_assert_int_eq(q_int(d, "SELECT count(*) FROM groups WHERE name = '\xE8\xAF\xBB\xE4\xB9\xA6\xE4\xBC\x9A'"), 1);
    ck_assert_int_eq(q_int(d, "SELECT count(*) FROM groups WHERE name = '\xE8\xB7\x91\xE6\xAD\xA5\xE7\xBE\xA4'"), 1);
    /* no one-to-one text got in, and 我 is you, not a member named 我 */
    ck_assert_int_eq(q_int(d, "SELECT count(*) FROM members WHERE name IN ('\xE6\x88\x91', 'Run club')"), 0);
    ck_assert_int_eq(q_intf(d, "SELECT count(*) FROM events WHERE run_id = %lld AND kind IN ('message', 'question')",
                            (long long)r), 7);
    store_close(st);
    rm_db(db);
}
END_TEST

/* Layouts told apart unambiguously: a messages.csv row that fits no export-all
 * shape, and a header of no known layout, are reported with file and line. */
START_TEST(test_wechatmsg_layouts)
{
    char path[1100], err[512];
    write_file(path, sizeof path, "all_bad.csv", "localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime,Remark,NickName,"
                     "Sender\r\n"
                     "1,5,1,0,0,1714525200,2,hi,2024-05-01 09:00:00,7100000000000000001,,,G,Alice\r\n"
                     "2,5,1,0,0,1714525260,2,hi,2024-05-01 09:01:00,7100000000000000002\r\n", -1);
    char db[1024];
    store_t *st = open_db(db, sizeof db, "fx_layouts.db");
    imp_opts o;
    imp_opts_init(&o);
    o.format = "wechatmsg";
    o.strict = 1;
    imp_stats s;
    const char *f[1] = {path};
    ck_assert_int_ne(imp_import(st, &o, f, 1, &s, err, sizeof err), 0);
    ck_assert_msg(strstr(err, "all_bad.csv:3") && strstr(err, "export-all"), "%s", err);
    write_file(path, sizeof path, "unknown.csv", "\xE6\xB6\x88\xE6\x81\xAF" "ID,\xE6\x97\xB6\xE9\x97\xB4,text\n1,2024-05-01 09:00:00,hi\n", -1);
    o.strict = 0;
    ck_assert_int_ne(imp_import(st, &o, f, 1, &s, err, sizeof err), 0);
    ck_assert_msg(strstr(err, "unknown.csv:1") && strstr(err, "MemoTrace"), "%s", err);
    store_close(st);
    rm_db(db);
}
END_TEST

/* A bulk invitation: one notice of 400 Chinese names, over 4 KB. */
START_TEST(test_fixture_bulk_invite)
{
    char db[1024];
    store_t *st = open_db(db, sizeof db, "fx_bulk.db");
    imp_stats s;
    const char *f[1] = {FIX "wechatmsg_bulk_invite_utf8.csv"};
    import_files(st, "wechatmsg", f, 1, &s);
    ck_assert_int_eq(s.joins, 400);
    ck_assert_int_eq(s.members, 401);
    sqlite3 *d = store_db(st);
    ck_assert_int_eq(q_int(d, "SELECT count(*) FROM spells p JOIN members i ON i.run_id = p.run_id AND"
                              " i.member_id = p.inviter_id WHERE i.name = 'Alice' AND p.source = 'invite'"), 400);
    ck_assert_int_eq(q_int(d, "SELECT count(*) FROM members WHERE name = '新成员400'"), 1);
    ck_assert_int_eq(n_kind(d, s.run_id, "system"), 0);
    store_close(st);
    rm_db(db);
}
END_TEST

/* chatlog CSV (internal/model/message.go): notice names 昵称(wxid), your own
 * messages with an empty Sender, an image, a quote, a pat. */
START_TEST(test_fixture_chatlog)
{
    char db[1024];
    store_t *st = open_db(db, sizeof db, "fx_chatlog.db");
    imp_stats s;
    const char *f[1] = {FIX "chatlog_group.csv"};
    import_files(st, "chatlog", f, 1, &s);
    ck_assert_int_eq(s.groups, 1);
    ck_assert_int_eq(s.members, 5); /* Alice, you, Carol, Dave, Erin: no phantoms */
    sqlite3 *d = store_db(st);
    int64_t r = s.run_id;
    expect_spells(d, r, "Alice:0:seed:-:0:- ?:0:seed:-:0:- Carol:0:invite:Alice:0:- Dave:0:invite:Alice:0:1 "
                        "Erin:0:invite:#1:0:-");
    /* Erin was invited by you: the member who wrote 早上好 */
    ck_assert_int_eq(q_int(d, "SELECT count(*) FROM spells p JOIN events e ON e.run_id = p.run_id AND"
                              " e.member_id = p.inviter_id AND e.kind = 'message' AND e.value = 3"
                              " WHERE p.run_id = 1 AND p.member_id = 4"), 1);
    ck_assert_int_eq(n_kind(d, r, "reply"), 1);    /* the quote, not a question for its quoted ？ */
    ck_assert_int_eq(n_kind(d, r, "question"), 0);
    ck_assert_int_eq(n_kind(d, r, "reaction"), 1); /* the pat */
    ck_assert_int_eq(n_kind(d, r, "system"), 0);
    ck_assert_int_eq(q_int(d, "SELECT value FROM events WHERE run_id = 1 AND kind = 'message' AND member_id = 2"), 0);
    ck_assert_int_eq(q_int(d, "SELECT value FROM events WHERE run_id = 1 AND kind = 'reply'"), 2); /* 好的 */
    ck_assert_int_eq(q_int(d, "SELECT min(ts) FROM events WHERE run_id = 1"), T0); /* local at +08:00 */
    /* the same file from chatlog in Docker (times in UTC), for a group on +08:00 */
    char err[512];
    imp_opts o;
    imp_opts_init(&o);
    o.format = "chatlog";
    o.has_log_tz = 1;
    o.log_tz = 0;
    ck_assert_msg(imp_import(st, &o, f, 1, &s, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(q_int(d, "SELECT min(ts) FROM events WHERE run_id = 2"), T0 + 8 * 3600);
    ck_assert_int_eq(q_int(d, "SELECT utc_offset FROM runs WHERE run_id = 2"), 8 * 3600);
    /* the API's empty answer, JSON null: no messages (not "not a chatlog CSV") */
    char path[1024];
    write_file(path, sizeof path, "null.json", "null\n", -1);
    ck_assert_int_eq(import1(st, "chatlog", path, 0, &s, err, sizeof err), IMP_EINPUT);
    ck_assert_msg(strstr(err, "no messages found") != NULL, "%s", err);
    unlink(path);
    store_close(st);
    rm_db(db);
}
END_TEST

/* PyWxDump exportCSV.py + users.json: talker 我 for yours, 未知 for notices,
 * type_name names, a repeated MsgSvrID. */
START_TEST(test_fixture_pywxdump)
{
    char db[1024];
    store_t *st = open_db(db, sizeof db, "fx_pyw.db");
    imp_stats s;
    const char *f[2] = {FIX "pywxdump/users.json", FIX "pywxdump/20001234@chatroom_0_10.csv"};
    import_files(st, "pywxdump", f, 2, &s);
    ck_assert_int_eq(s.groups, 1);
    ck_assert_int_eq(s.members, 4); /* Alice, you, Bob (remark 老鲍), Dave */
    ck_assert_int_eq(s.duplicates, 1);
    sqlite3 *d = store_db(st);
    int64_t r = s.run_id;
    expect_spells(d, r, "Alice:0:seed:-:0:- 老鲍:0:seed:-:0:- Dave:0:invite:老鲍:0:- ?:0:seed:-:0:-");
    ck_assert_int_eq(n_kind(d, r, "reply"), 1);
    ck_assert_int_eq(n_kind(d, r, "reaction"), 1);
    ck_assert_int_eq(n_kind(d, r, "recall"), 1);
    ck_assert_int_eq(n_kind(d, r, "question"), 1);
    ck_assert_int_eq(n_kind(d, r, "system"), 0);
    ck_assert_int_eq(q_int(d, "SELECT value FROM events WHERE run_id = 1 AND kind = 'reply'"), 2); /* 谢谢 */
    store_close(st);
    rm_db(db);
}
END_TEST

/* The notice table: the forms of the issue in every client language. */
START_TEST(test_notice_table)
{
    static const struct { const char *text; int n; const char *who, *inviter; int source; } rows[] = {
        {"\"B\"通过\"A\"的邀请二维码加入群聊", 1, "B", "A", SRC_QR},
        {"\"X\"通过扫描二维码加入群聊", 1, "X", "-", SRC_QR},
        {"你通过扫描二维码加入群聊", 1, IMP_SELF, "-", SRC_QR},
        {"你被\"A\"移出群聊", 1, IMP_SELF, "-", -1},
        {"Tom Li invited Dave to the group chat", 1, "Dave", "Tom Li", SRC_INVITE},
        {"\"Tom\" invited \"Dave\" and \"Ann\" to the group chat", 2, "Dave", "Tom", SRC_INVITE},
        {"You removed \"Eve\" from the group chat", 1, "Eve", "-", -1},
        {"You invited \"Eve\" to the group chat", 1, "Eve", IMP_SELF, SRC_INVITE},
        {"\"Eve\" joined the group chat via the QR Code shared by \"Tom\"", 1, "Eve", "Tom", SRC_QR},
        {"「小明」邀請「阿華、小美」加入了群聊", 2, "阿華", "小明", SRC_INVITE},
        {"\"阿華\"通過掃描\"小明\"分享的二維碼加入群聊", 1, "阿華", "小明", SRC_QR},
        {"你將\"阿華\"移出了群聊", 1, "阿華", "-", -1},
        {"\"Alice(wxid_alice)\"邀请\"Carol(wxid_carol)\"加入了群聊", 1, "Carol(wxid_carol)", "Alice(wxid_alice)",
         SRC_INVITE},
        {"\"Z\"加入了群聊", 1, "Z", "-", SRC_ORGANIC},
        {"Hello world", 0, NULL, NULL, 0},
    };
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
        seen_join s = {0};
        ck_assert_msg(imp_wechat_notice(rows[k].text, on_join, &s) == rows[k].n, "%s", rows[k].text);
        if (!rows[k].n) continue;
        ck_assert_msg(!strcmp(s.who[0], rows[k].who), "%s: who %s", rows[k].text, s.who[0]);
        ck_assert_msg(!strcmp(s.inviter[0], rows[k].inviter), "%s: inviter %s", rows[k].text, s.inviter[0]);
        ck_assert_msg(s.source[0] == rows[k].source, "%s: source %d", rows[k].text, s.source[0]);
    }
    char actor[64];
    ck_assert_int_eq(imp_wechat_action("\"X\" 撤回了一条消息", actor, sizeof actor), EV_RECALL);
    ck_assert_str_eq(actor, "X");
    ck_assert_int_eq(imp_wechat_action("You recalled a message", actor, sizeof actor), EV_RECALL);
    ck_assert_str_eq(actor, IMP_SELF);
    ck_assert_int_eq(imp_wechat_action("\"小明\"撤回了一則訊息", actor, sizeof actor), EV_RECALL);
    ck_assert_int_eq(imp_wechat_action("\"A\" 拍了拍 \"B\"", actor, sizeof actor), EV_REACTION);
    ck_assert_str_eq(actor, "A");
    ck_assert_int_eq(imp_wechat_action("大家好", actor, sizeof actor), -1);
}
END_TEST


/* Encodings: a GBK re-save imports as the UTF-8 original; other bytes fail
 * clearly, nothing written. */
START_TEST(test_fixture_encoding)
{
    char db[1024], err[512];
    store_t *st = open_db(db, sizeof db, "fx_enc.db");
    imp_stats s;
    const char *f[1] = {FIX "wechatmsg_group_gbk.csv"};
    import_files(st, "wechatmsg", f, 1, &s);
    ck_assert_int_eq(s.converted, 1);
    ck_assert_int_eq(s.joins, 5);
    ck_assert_int_eq(s.members, 7);
    expect_spells(store_db(st), s.run_id,
                  "Alice:0:seed:-:0:- Lin:0:seed:-:0:- Bob:0:seed:-:0:- Carol:0:invite:Alice:1:- "
                  "Dave:0:invite:Alice:1:7 Erin:0:invite:Bob:1:- Frank:0:qr:Dave:2:3 Frank:1:qr:Alice:5:-");
    ck_assert_int_eq(q_int(store_db(st), "SELECT count(*) FROM events WHERE kind = 'question'"), 1);
    ck_assert_int_eq(import1(st, "wechatmsg", FIX "not_text.csv", 0, &s, err, sizeof err), IMP_EINPUT);
    ck_assert_msg(strstr(err, "not_text.csv: neither UTF-8 nor GB18030") != NULL, "%s", err);
    ck_assert_int_eq(q_int(store_db(st), "SELECT count(*) FROM runs"), 1);
    store_close(st);
    rm_db(db);
}
END_TEST

/* Generic CSV: values that are no finite numbers are malformed; a header
 * naming a column twice (or two aliases of it) is refused. */
START_TEST(test_generic_csv_values)
{
    char db[1024], path[1024], err[512];
    store_t *st = open_db(db, sizeof db, "csv_values.db");
    imp_stats s;
    write_file(path, sizeof path, "values.csv",
               "ts,sender,kind,value\n"
               "2024-05-01 09:00,u1,purchase,12.5\n"
               "2024-05-01 09:01,u1,purchase,inf\n"
               "2024-05-01 09:02,u1,purchase,nan\n"
               "2024-05-01 09:03,u1,purchase,1e400\n"
               "2024-05-01 09:04,u1,purchase,-infinity\n"
               "2024-05-01 09:05,u1,purchase,\n", -1);
    ck_assert_int_eq(import1(st, "csv", path, 0, &s, err, sizeof err), 0);
    ck_assert_int_eq(s.malformed, 4);
    ck_assert_int_eq(s.events, 2);
    ck_assert_msg(strstr(s.bad[0], "values.csv:3: bad value") != NULL, "%s", s.bad[0]);
    ck_assert_int_eq(q_int(store_db(st), "SELECT count(*) FROM events WHERE value IS NOT NULL AND abs(value) > 1e300"), 0);
    unlink(path);
    /* a bot column (the corpus format: ts,group,sender,kind,text,bot): bots are members of role bot */
    write_file(path, sizeof path, "bots.csv",
               "ts,group,sender,kind,text,bot\n"
               "2024-05-01T09:00:00Z,#g,logbot,message,logging,1\n"
               "2024-05-01T09:01:00Z,#g,alice,message,hi,0\n"
               "2024-05-01T09:02:00Z,#g,logbot,message,still logging,1\n"
               "2024-05-01T09:03:00Z,#g,bob,message,hello,\n"
               "2024-05-01T09:04:00Z,#g,carol,message,x,maybe\n", -1);
    ck_assert_int_eq(import1(st, "csv", path, 0, &s, err, sizeof err), 0);
    ck_assert_int_eq(s.malformed, 1);
    ck_assert_int_eq(q_int(store_db(st), "SELECT count(*) FROM members m JOIN runs r USING (run_id) WHERE r.run_id = (SELECT MAX(run_id) FROM runs)"
                                         " AND m.role = 'bot'"), 1);
    ck_assert_int_eq(q_int(store_db(st), "SELECT count(*) FROM members m WHERE m.run_id = (SELECT MAX(run_id) FROM runs) AND m.role = 'member'"), 2);
    unlink(path);
    write_file(path, sizeof path, "dup.csv", "ts,sender,time,text\n2024-05-01 09:00,u1,2024-05-02 09:00,hi\n", -1);
    ck_assert_int_eq(import1(st, "csv", path, 0, &s, err, sizeof err), IMP_EINPUT);
    ck_assert_msg(strstr(err, "dup.csv:1: the header names column 'time' twice") != NULL, "%s", err);
    unlink(path);
    store_close(st);
    rm_db(db);
}
END_TEST


/* WeCom: an internal group's msgaudit/groupchat/get answer, markdown, news
 * and mixed messages with their text read, change_external_chat leaves and
 * joins (a rejoin: two spells). */
START_TEST(test_wecom_more)
{
    char db[1024], path[1024];
    store_t *st = open_db(db, sizeof db, "wecom_more.db");
    imp_stats s;
    write_file(path, sizeof path, "wecom_more.jsonl",
               "{\"roomid\":\"wr1\",\"roomname\":\"产品群\",\"creator\":\"zhang\",\"members\":[{\"memberid\":\"zhang\","
               "\"jointime\":1714000000},{\"memberid\":\"li\",\"jointime\":1714525200}]}\n"
               "{\"msgid\":\"m1\",\"action\":\"send\",\"from\":\"zhang\",\"roomid\":\"wr1\",\"msgtime\":1714525260000,"
               "\"msgtype\":\"markdown\",\"info\":{\"content\":\"**周会** 几点开始？\"}}\n"
               "{\"msgid\":\"m2\",\"action\":\"send\",\"from\":\"li\",\"roomid\":\"wr1\",\"msgtime\":1714525320000,"
               "\"msgtype\":\"news\",\"info\":{\"item\":[{\"title\":\"新品\",\"description\":\"上线了\"}]}}\n"
               "{\"msgid\":\"m3\",\"action\":\"send\",\"from\":\"li\",\"roomid\":\"wr1\",\"msgtime\":1714525380000,"
               "\"msgtype\":\"mixed\",\"mixed\":{\"item\":[{\"type\":\"text\",\"content\":\"{\\\"content\\\":\\\"你好呀\\\"}\"},"
               "{\"type\":\"image\",\"content\":\"{\\\"md5sum\\\":\\\"x\\\"}\"}]}}\n"
               "{\"ChangeType\":\"update\",\"UpdateDetail\":\"del_member\",\"ChatId\":\"wr1\",\"CreateTime\":1714611600,"
               "\"QuitScene\":0,\"MemChangeList\":[\"li\"]}\n"
               "{\"ChangeType\":\"update\",\"UpdateDetail\":\"add_member\",\"ChatId\":\"wr1\",\"CreateTime\":1714784400,"
               "\"JoinScene\":3,\"MemChangeList\":[\"li\"]}\n", -1);
    char err[512];
    ck_assert_msg(import1(st, "wecom", path, 0, &s, err, sizeof err) == 0, "%s", err);
    sqlite3 *d = store_db(st);
    /* zhang joined long before the archive (a join outside the window), li on day 0,
     * left on day 1, back by QR on day 3 */
    expect_spells(d, s.run_id, "?:0:organic:-:-6:- ?:0:organic:-:0:1 ?:1:qr:-:3:-");
    ck_assert_int_eq(q_int(d, "SELECT count(*) FROM members WHERE role = 'owner' AND member_id = 0"), 1);
    ck_assert_int_eq(q_int(d, "SELECT count(*) FROM events WHERE kind = 'question'"), 1); /* the markdown */
    ck_assert_int_eq(q_int(d, "SELECT value FROM events WHERE kind = 'message' AND ts = 1714525320"), 6); /* 新品\n上线了 */
    ck_assert_int_eq(q_int(d, "SELECT value FROM events WHERE kind = 'message' AND ts = 1714525380"), 3); /* 你好呀 */
    ck_assert_int_eq(s.leaves, 1);
    unlink(path);
    store_close(st);
    rm_db(db);
}
END_TEST

static Suite *import_suite(void)
{
    Suite *s = suite_create("import");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_question_rule);
    tcase_add_test(tc, test_parse_time);
    tcase_add_test(tc, test_csv_reader);
    tcase_add_test(tc, test_json_reader);
    tcase_add_test(tc, test_wechat_notices);
    tcase_add_test(tc, test_wechatmsg);
    tcase_add_test(tc, test_generic_csv);
    tcase_add_test(tc, test_chatlog);
    tcase_add_test(tc, test_wecom);
    tcase_add_test(tc, test_empty_and_missing);
    tcase_add_test(tc, test_import_db_full);
    tcase_add_test(tc, test_cli);
    tcase_add_test(tc, test_fixture_wechatmsg);
    tcase_add_test(tc, test_fixture_bulk_invite);
    tcase_add_test(tc, test_fixture_memotrace2025);
    tcase_add_test(tc, test_fixture_wechatmsg_old);
    tcase_add_test(tc, test_fixture_messages_all);
    tcase_add_test(tc, test_wechatmsg_layouts);
    tcase_add_test(tc, test_fixture_chatlog);
    tcase_add_test(tc, test_fixture_pywxdump);
    tcase_add_test(tc, test_notice_table);
    tcase_add_test(tc, test_fixture_encoding);
    tcase_add_test(tc, test_generic_csv_values);
    tcase_add_test(tc, test_wecom_more);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(import_suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
