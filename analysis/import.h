/* import.h -- real chat logs into the results schema (qunsim import).
 *
 * One import = one run (arm 'live', source = the format) written in one
 * transaction through store.h: a failed import leaves the database as it was.
 * Input is streamed: memory grows with members and groups (and 8 bytes per
 * message id for duplicate detection, capped), never with the file size.
 * Formats, columns and every rule (questions, joins, kinds): docs/import.md.
 *
 * Layers, each usable alone (tests and fuzz targets drive them directly):
 *   imp_import       the whole import of a list of files;
 *   imp_csv_*        a streaming RFC-4180 CSV reader;
 *   imp_json_*       a streaming JSON reader (JSON lines or one big array);
 *   imp_is_question, imp_parse_time   the shared rules;
 *   imp_ctx/imp_emit the sink a format handler feeds (import_core.c).
 */
#ifndef QS_IMPORT_H
#define QS_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "event.h"
#include "store.h"

/* ---- the whole import ------------------------------------------------- */

#define IMP_MAX_REPORT 5           /* malformed rows listed in imp_stats */
#define IMP_MAX_RECORD (64u << 20) /* bytes in one CSV record / JSON value */
#define IMP_DEDUP_MAX (24u << 20)  /* message ids remembered for duplicates */
/* Resource guards: an input beyond these fails (bad input, nothing written)
 * instead of growing memory without bound (about 200 bytes a member). */
#define IMP_MAX_MEMBERS 5000000u      /* distinct members (ids or names) of one import */
#define IMP_MAX_GROUPS 100000u        /* distinct groups of one import */
#define IMP_MAX_MEMBERSHIPS 10000000u /* distinct (group, member) pairs of one import */

/* Return codes of imp_import beyond 0. */
#define IMP_EFAIL (-1)  /* database or system failure */
#define IMP_EINPUT (-2) /* bad input: unreadable file, --strict, no messages */

typedef struct imp_opts {
    const char *format;  /* "csv", "wechatmsg", "chatlog", "wecom" */
    int strict;          /* 1: the first malformed row fails the import */
    const char *group;   /* import only this group (its id or its name); NULL all */
    int32_t utc_offset;  /* seconds east of UTC: the group's day (the run's day boundary), and times without a zone unless log_tz is set */
    int has_log_tz;      /* 1: times written without a zone are at log_tz (e.g. chatlog in Docker: UTC) */
    int32_t log_tz;      /* seconds east of UTC of those times */
    const char *command; /* the command line, for the batch row (may be NULL) */
} imp_opts;

/* Defaults: no format, not strict, all groups, UTC+08:00, no log_tz. */
void imp_opts_init(imp_opts *o);
/* The offset of times written without a zone: log_tz if set, else utc_offset. */
int32_t imp_log_offset(const imp_opts *o);

typedef struct imp_stats {
    int64_t run_id;                    /* the run written */
    int64_t rows;                      /* records read (data rows, JSON records) */
    int64_t events;                    /* events written */
    int64_t messages;                  /* of which member messages (speaking) */
    int64_t questions, joins, leaves;  /* of which ... */
    int64_t groups, members;           /* groups and distinct members written */
    int64_t malformed;                 /* rows rejected as malformed */
    int64_t duplicates;                /* rows skipped as a repeated message id */
    int64_t skipped;                   /* rows skipped by design (other group, not a group chat, ...) */
    int64_t out_of_order;              /* rows older than an earlier row (kept) */
    int64_t first_ts, last_ts;         /* span of the events, unix seconds */
    int dedup_full;                    /* 1: more ids than IMP_DEDUP_MAX, detection stopped */
    int group_is_file;                 /* 1: the log names no group (numeric TalkerId): each file is one */
    int converted;                     /* files read as GB18030 (not UTF-8), converted */
    int nbad;                          /* entries used in bad[] */
    char bad[IMP_MAX_REPORT][256];     /* "file:line: reason" of the first malformed rows */
} imp_stats;

/* Import files (format o->format) into st as one new run, in one
 * transaction.  Returns 0 and fills *stats; or IMP_EINPUT / IMP_EFAIL with a
 * message in err (stats then describe what was read before the failure) and
 * the database unchanged.  st must have no run in progress. */
int imp_import(store_t *st, const imp_opts *o, const char *const *files, int nfiles, imp_stats *stats,
               char *err, size_t errlen);

/* The formats, for --help: NULL-terminated names and one-line descriptions. */
typedef struct imp_format_info {
    const char *name;
    const char *help;
} imp_format_info;
const imp_format_info *imp_formats(void);

/* ---- the shared rules ------------------------------------------------- */

/* 1 if the UTF-8 text reads as a question, else 0.  The rule (docs/import.md,
 * mirrored by the simulator's question events): the text contains '?' outside
 * a URL or the full-width '？', or one of the interrogative words 吗 嗎 请问
 * 請問 怎么 怎麼 怎样 如何 为什么 為什麼 为啥 咋 哪里 哪儿 哪個 哪个 有没有
 * 能不能 可不可以 是不是 多少 几点 什么时候.  NULL or "" is not a question. */
int imp_is_question(const char *utf8);

/* 1 if a text message is a check-in post: it starts (after spaces, '#', '【'
 * or '[') with 打卡, or contains #打卡. */
int imp_is_checkin(const char *utf8);

/* Parse a time: unix seconds (or milliseconds if > 1e11), or
 * YYYY-MM-DD[ T]HH:MM[:SS[.fff]] (also with '/'), optionally followed by Z or
 * +HH:MM / +HHMM; a time without a zone is local at utc_offset.  Returns 0 and
 * *out (unix seconds), or -1. */
int imp_parse_time(const char *s, int32_t utc_offset, int64_t *out);

/* Parse a UTC offset "+08:00", "-0530", "+8", "UTC", "Z".  0 and *out
 * (seconds east), or -1. */
int imp_parse_offset(const char *s, int32_t *out);

/* Number of UTF-8 code points in s (a malformed byte counts as one). */
int64_t imp_utf8_len(const char *s);

/* ---- streaming CSV (RFC 4180) ----------------------------------------- */

/* Reads records from a FILE it does not own: fields separated by ',',
 * optionally quoted with '"' ("" inside quotes is one quote), quoted fields
 * may hold commas and newlines; lines end in LF or CRLF; a UTF-8 BOM at the
 * start is skipped.  Lenient like Python's csv: a quote inside an unquoted
 * field, or text after a closing quote, is kept as text.  Blank lines are
 * skipped. */
typedef struct imp_csv imp_csv;

typedef struct imp_csv_rec {
    int nfields;
    char **field;    /* NUL-terminated, valid until the next imp_csv_next */
    size_t *len;     /* byte lengths (a field may contain NUL bytes) */
    int64_t line;    /* line number where the record starts (1-based) */
    int64_t lines;   /* physical lines it spans */
} imp_csv_rec;

/* Create a reader.  max_record bounds one record's bytes (0: IMP_MAX_RECORD).
 * Returns 0 and *out, or -1 (out of memory).  Free with imp_csv_close. */
int imp_csv_open(imp_csv **out, FILE *f, size_t max_record);
void imp_csv_close(imp_csv *c);
/* Next record: 1 (filled *rec), 0 at end of input, -1 malformed record
 * (unterminated quote at end of file; rec->line is where it starts,
 * imp_csv_error says why; the next call returns 0), -2 fatal (read error, record longer than max_record, out of
 * memory: stop). */
int imp_csv_next(imp_csv *c, imp_csv_rec *rec);
const char *imp_csv_error(const imp_csv *c);

/* ---- streaming JSON ---------------------------------------------------- */

/* Reads a file holding either one top-level array (each element is a
 * record) or any number of top-level values (JSON lines, or values one after
 * another; each is a record).  A record is parsed into a small tree that
 * lives until the next call, so memory is bounded by the largest record. */
typedef struct imp_json imp_json;

typedef enum imp_jtype { IMP_JNULL, IMP_JBOOL, IMP_JNUM, IMP_JSTR, IMP_JARR, IMP_JOBJ } imp_jtype;

typedef struct imp_jval {
    imp_jtype type;
    const char *str;             /* JSTR: decoded UTF-8, NUL-terminated; JNUM: the literal */
    size_t len;                  /* bytes in str */
    double num;                  /* JNUM value; JBOOL 0/1 */
    const char *key;             /* member of an object: its key, else NULL */
    struct imp_jval *child;      /* JARR/JOBJ: first element or member */
    struct imp_jval *next;       /* next sibling */
} imp_jval;

/* Create a reader; max_record as for imp_csv_open.  0 and *out, or -1. */
int imp_json_open(imp_json **out, FILE *f, size_t max_record);
void imp_json_close(imp_json *j);
/* Next record: 1 (*out, *line = its first line), 0 at end, -1 malformed
 * record (skipped to the next line when the file is JSON lines; at the end of
 * a truncated array the next call returns 0), -2 fatal (read error, too
 * large, out of memory, or garbage inside a top-level array). */
int imp_json_next(imp_json *j, const imp_jval **out, int64_t *line);
const char *imp_json_error(const imp_json *j);
/* Member of an object by key (first match), or NULL. */
const imp_jval *imp_json_get(const imp_jval *obj, const char *key);
/* The member as text: a string's text or a number's literal; NULL if absent,
 * null, or an array/object. */
const char *imp_json_text(const imp_jval *obj, const char *key);

/* ---- the sink that format handlers feed (import_core.c) --------------- */

typedef struct imp_ctx imp_ctx;

/* One normalised record.  Strings may be NULL; they are copied if kept. */
typedef struct imp_msg {
    int64_t ts;                   /* unix seconds */
    const char *group;            /* group id in the source ("" or NULL: one default group) */
    const char *group_name;       /* its display name, if known */
    const char *sender;           /* sender id; NULL/"" with no sender_name: a system notice */
    const char *sender_name;      /* display name (nickname) */
    const char *sender_alias;     /* another name notices may use (e.g. the nickname behind a remark) */
    int is_self;                  /* the exporting account sent it */
    int kind;                     /* ev_kind */
    int refine;                   /* 1: an EV_MESSAGE with text becomes question/checkin/announce by the rules */
    const char *text;             /* message text (for the rules and the length) */
    int64_t length;               /* text length in characters; -1: from text; stored as value */
    int question;                 /* -1 by the rule on text, 0 no, 1 yes */
    const char *msgid;            /* id for duplicate detection, NULL if none */
    /* joins (EV_JOIN) */
    const char *inviter;          /* inviter id (or display name, see by_name), or IMP_SELF */
    int source;                   /* ev_source of a join */
    int by_name;                  /* sender and inviter are display names (from a notice) */
    double value;                 /* value of kinds other than messages */
} imp_msg;

/* As imp_msg.inviter: the exporting account ("你" in a WeChat notice). */
#define IMP_SELF "\001self"

/* Initialise m to an empty EV_MESSAGE with refine on, length -1, question -1. */
void imp_msg_init(imp_msg *m);

/* Feed one record.  0, or -1 to stop (database failure; message set). */
int imp_emit(imp_ctx *x, const imp_msg *m);

/* Duplicate detection for a record that yields several events (or whose
 * identity is several fields): 1 if (group, parts...) was seen before (it is
 * counted as a duplicate; skip the record), 0 if new, -1 out of memory. */
int imp_seen(imp_ctx *x, const char *group, const char *const *parts, int nparts);

/* Declare a membership from a member list (e.g. WeCom): joined_ts < 0 if
 * unknown, role ev_role, source ev_source, inviter id or NULL.  0 or -1. */
int imp_member(imp_ctx *x, const char *group, const char *group_name, const char *id, const char *name,
               int role, int64_t joined_ts, int source, const char *inviter);

/* A person known from a contact list (PyWxDump users.json): binds the
 * display names to the id, so that notices naming them and later rows link
 * to one member; no membership.  0 or -1. */
int imp_person(imp_ctx *x, const char *id, const char *name, const char *alias);

/* A malformed row at file:line.  Returns 0 to go on, or -1 to stop (--strict:
 * the import fails with this row as its message). */
int imp_bad(imp_ctx *x, const char *file, int64_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A row skipped by design (not malformed). */
void imp_skip(imp_ctx *x);
/* One record read (for imp_stats.rows). */
void imp_row(imp_ctx *x);
/* A fatal problem with the input (I/O error, unreadable structure): sets
 * the import's message and returns -1. */
int imp_fail(imp_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The options of this import. */
const imp_opts *imp_options(const imp_ctx *x);
/* The format found no group id in the log: each file is taken as one group
 * (said so in the summary line). */
void imp_group_is_file(imp_ctx *x);

/* A format handler reads one open file (path for messages) and feeds x.
 * Returns 0, or -1 (message set through imp_fail/imp_bad/imp_emit). */
typedef int (*imp_handler)(imp_ctx *x, const char *path, FILE *f);

/* Read a JSON file (one top-level array or JSON lines) record by record,
 * counting rows, reporting malformed records through imp_bad and passing
 * each parsed record to rec.  Returns 0, or -1 as a handler does. */
typedef int (*imp_json_record_fn)(imp_ctx *x, const char *path, int64_t line, const imp_jval *v);
int imp_json_each(imp_ctx *x, const char *path, FILE *f, imp_json_record_fn rec);

/* The handlers (import_csv.c, import_wechat.c, import_wecom.c). */
int imp_read_csv(imp_ctx *x, const char *path, FILE *f);
int imp_read_wechatmsg(imp_ctx *x, const char *path, FILE *f);
int imp_read_chatlog(imp_ctx *x, const char *path, FILE *f);
int imp_read_wecom(imp_ctx *x, const char *path, FILE *f);
int imp_read_pywxdump(imp_ctx *x, const char *path, FILE *f);

/* Parse a WeChat system notice (UTF-8).  If it announces joins, calls
 * fn(ctx, invitee, inviter, source) for each invitee (names; "你" is the
 * exporting account, passed as IMP_SELF; inviter NULL if none) and returns
 * the number of joins;
 * a removal/leave notice calls fn with source -1 and returns 1; otherwise 0. */
int imp_wechat_notice(const char *text, void (*fn)(void *ctx, const char *who, const char *inviter, int source),
                      void *ctx);

/* Parse a recall or pat notice (UTF-8, the same table of patterns): the
 * actor's name (or IMP_SELF) into actor[0..n) and EV_RECALL / EV_REACTION,
 * or -1 if the text is neither. */
int imp_wechat_action(const char *text, char *actor, size_t n);

#endif
