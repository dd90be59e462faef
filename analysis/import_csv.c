/* import_csv.c -- a streaming RFC-4180 CSV reader (imp_csv_*) and the
 * generic `csv` import format (imp_read_csv), documented in docs/import.md.
 *
 * The reader holds one record at a time (bounded by max_record), so files
 * of any size stream through.  It knows nothing about what the columns mean.
 */
#include "import.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CSV_BUF (256u << 10)

struct imp_csv {
    FILE *f;
    unsigned char *buf;  /* read buffer */
    size_t pos, len;     /* next byte, bytes in buf */
    int eof, ioerr;
    int started;         /* BOM checked */
    int done;            /* no more records */
    int64_t line;        /* physical line of the next byte */
    size_t max;          /* bound on one record's bytes */
    char *rec;           /* the record's fields, NUL-terminated one after another */
    size_t rlen, rcap;
    size_t *start;       /* field offsets in rec */
    size_t *flen;        /* field lengths */
    char **field;        /* pointers handed out */
    int nf, fcap;
    char err[256];
};

int imp_csv_open(imp_csv **out, FILE *f, size_t max_record)
{
    *out = NULL;
    imp_csv *c = calloc(1, sizeof *c);
    if (!c) return -1;
    c->buf = malloc(CSV_BUF);
    c->rcap = 4096;
    c->rec = malloc(c->rcap);
    c->fcap = 32;
    c->start = malloc(c->fcap * sizeof *c->start);
    c->flen = malloc(c->fcap * sizeof *c->flen);
    c->field = malloc(c->fcap * sizeof *c->field);
    if (!c->buf || !c->rec || !c->start || !c->flen || !c->field) {
        imp_csv_close(c);
        return -1;
    }
    c->f = f;
    c->line = 1;
    c->max = max_record ? max_record : IMP_MAX_RECORD;
    *out = c;
    return 0;
}

void imp_csv_close(imp_csv *c)
{
    if (!c) return;
    free(c->buf);
    free(c->rec);
    free(c->start);
    free(c->flen);
    free(c->field);
    free(c);
}

const char *imp_csv_error(const imp_csv *c) { return c->err; }

static int fill(imp_csv *c)
{
    if (c->eof) return 0;
    c->len = fread(c->buf, 1, CSV_BUF, c->f);
    c->pos = 0;
    if (c->len == 0) {
        c->eof = 1;
        if (ferror(c->f)) c->ioerr = errno ? errno : EIO;
        return 0;
    }
    return 1;
}

/* Next byte or -1 at end of input. */
static inline int getb(imp_csv *c)
{
    if (c->pos == c->len && !fill(c)) return -1;
    return c->buf[c->pos++];
}

static inline int peekb(imp_csv *c)
{
    if (c->pos == c->len && !fill(c)) return -1;
    return c->buf[c->pos];
}

/* Append a byte to the record; -1 if it grows past the bound. */
static inline int put(imp_csv *c, int ch)
{
    if (c->rlen >= c->max) return -1;
    if (c->rlen + 1 >= c->rcap) {
        size_t ncap = c->rcap * 2 > c->max + 1 ? c->max + 1 : c->rcap * 2;
        char *n = realloc(c->rec, ncap);
        if (!n) return -1;
        c->rec = n;
        c->rcap = ncap;
    }
    c->rec[c->rlen++] = (char)ch;
    return 0;
}

static int end_field(imp_csv *c, size_t fstart)
{
    if (c->nf == c->fcap) {
        int ncap = c->fcap * 2;
        size_t *ns = realloc(c->start, ncap * sizeof *ns);
        if (ns) c->start = ns;
        size_t *nl = realloc(c->flen, ncap * sizeof *nl);
        if (nl) c->flen = nl;
        char **nfp = realloc(c->field, ncap * sizeof *nfp);
        if (nfp) c->field = nfp;
        if (!ns || !nl || !nfp) return -1;
        c->fcap = ncap;
    }
    c->start[c->nf] = fstart;
    c->flen[c->nf] = c->rlen - fstart;
    c->nf++;
    return put(c, '\0');
}

static int too_long(imp_csv *c, int64_t line)
{
    snprintf(c->err, sizeof c->err,
             "line %lld: record longer than %zu bytes (an unbalanced quote?), or out of memory",
             (long long)line, c->max);
    c->done = 1;
    return -2;
}

int imp_csv_next(imp_csv *c, imp_csv_rec *rec)
{
    c->err[0] = '\0';
    if (c->done) return 0;
    if (!c->started) {
        c->started = 1;
        /* UTF-8 BOM (Excel, Python's utf-8-sig) */
        if (peekb(c) == 0xEF && c->pos + 3 <= c->len && c->buf[c->pos + 1] == 0xBB &&
            c->buf[c->pos + 2] == 0xBF)
            c->pos += 3;
    }
    for (;;) {
        c->rlen = 0;
        c->nf = 0;
        int64_t first = c->line;
        size_t fstart = 0;
        int quoted_any = 0;
        int ch = getb(c);
        if (ch < 0) {
            c->done = 1;
            if (c->ioerr) {
                snprintf(c->err, sizeof c->err, "line %lld: read error: %s", (long long)c->line,
                         strerror(c->ioerr));
                return -2;
            }
            return 0;
        }
        for (;;) {
            if (ch == '"' && c->rlen == fstart) {
                /* a quoted field; a quote later in a field is text (lenient) */
                quoted_any = 1;
                int64_t qline = c->line;
                for (;;) {
                    ch = getb(c);
                    if (ch < 0) {
                        c->done = 1;
                        if (c->ioerr) {
                            snprintf(c->err, sizeof c->err, "line %lld: read error: %s",
                                     (long long)c->line, strerror(c->ioerr));
                            return -2;
                        }
                        snprintf(c->err, sizeof c->err,
                                 "quoted field opened on line %lld never closed (truncated file?)",
                                 (long long)qline);
                        rec->nfields = 0;
                        rec->line = first;
                        rec->lines = c->line - first + 1;
                        return -1;
                    }
                    if (ch == '"') {
                        if (peekb(c) == '"') {
                            c->pos++;
                        } else {
                            break;
                        }
                    } else if (ch == '\n') {
                        c->line++;
                    }
                    if (put(c, ch)) return too_long(c, first);
                }
                ch = getb(c);
                continue; /* text after the closing quote: kept (lenient) */
            }
            if (ch == ',') {
                if (end_field(c, fstart)) return too_long(c, first);
                fstart = c->rlen;
                ch = getb(c);
                continue;
            }
            if (ch < 0 || ch == '\n' || ch == '\r') {
                if (ch == '\r' && peekb(c) == '\n') c->pos++;
                if (ch >= 0) c->line++;
                if (end_field(c, fstart)) return too_long(c, first);
                break;
            }
            if (put(c, ch)) return too_long(c, first);
            ch = getb(c);
        }
        if (c->nf == 1 && c->flen[0] == 0 && !quoted_any) continue; /* blank line */
        for (int i = 0; i < c->nf; i++) c->field[i] = c->rec + c->start[i];
        rec->nfields = c->nf;
        rec->field = c->field;
        rec->len = c->flen;
        rec->line = first;
        rec->lines = c->line - first;
        return 1;
    }
}

/* ---- the generic csv format ------------------------------------------- */

enum { C_TS, C_GROUP, C_GROUP_NAME, C_SENDER, C_NAME, C_KIND, C_LENGTH, C_INVITER, C_QUESTION,
       C_TEXT, C_ID, C_SOURCE, C_VALUE, C_BOT, C_NCOLS };

/* Column names accepted (case-insensitive), first one canonical. */
static const char *const col_names[C_NCOLS][5] = {
    [C_TS] = {"ts", "timestamp", "time", NULL},
    [C_GROUP] = {"group", "group_id", "room", "chat", NULL},
    [C_GROUP_NAME] = {"group_name", NULL},
    [C_SENDER] = {"sender", "sender_id", "member", "member_id", "from"},
    [C_NAME] = {"name", "sender_name", "nickname", NULL},
    [C_KIND] = {"kind", NULL},
    [C_LENGTH] = {"length", "text_length", "len", NULL},
    [C_INVITER] = {"inviter", "inviter_id", NULL},
    [C_QUESTION] = {"question", "is_question", NULL},
    [C_TEXT] = {"text", "content", NULL},
    [C_ID] = {"id", "msgid", "message_id", NULL},
    [C_SOURCE] = {"source", NULL},
    [C_VALUE] = {"value", NULL},
    [C_BOT] = {"bot", "is_bot", NULL},
};

static int col_of(const char *name)
{
    while (*name == ' ') name++;
    size_t n = strlen(name);
    while (n && name[n - 1] == ' ') n--;
    for (int c = 0; c < C_NCOLS; c++)
        for (int k = 0; k < 5 && col_names[c][k]; k++)
            if (strlen(col_names[c][k]) == n && strncasecmp(col_names[c][k], name, n) == 0) return c;
    return -1;
}

/* -1 empty, 0/1, or -2 invalid. */
static int parse_flag(const char *s)
{
    if (!*s) return -1;
    if (!strcmp(s, "1") || !strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "y")) return 1;
    if (!strcmp(s, "0") || !strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "n")) return 0;
    return -2;
}

static int parse_i64(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end) return -1;
    *out = v;
    return 0;
}

int imp_read_csv(imp_ctx *x, const char *path, FILE *f)
{
    const imp_opts *o = imp_options(x);
    imp_csv *c;
    if (imp_csv_open(&c, f, 0)) return imp_fail(x, "%s: out of memory", path);
    int col[C_NCOLS];
    for (int i = 0; i < C_NCOLS; i++) col[i] = -1;
    int ncols = 0, rc = 0;
    imp_csv_rec r;
    int got = imp_csv_next(c, &r);
    if (got == 0) goto done; /* empty file: nothing to do */
    if (got < 0) {
        rc = imp_fail(x, "%s: %s", path, imp_csv_error(c));
        goto done;
    }
    ncols = r.nfields;
    for (int i = 0; i < r.nfields; i++) {
        int k = col_of(r.field[i]);
        if (k >= 0 && col[k] >= 0) { /* which of the two would be meant cannot be known */
            rc = imp_fail(x, "%s:%lld: the header names column '%.40s' twice (fields %d and %d, or an alias of it)",
                          path, (long long)r.line, r.field[i], col[k] + 1, i + 1);
            goto done;
        }
        if (k >= 0) col[k] = i;
    }
    if (col[C_TS] < 0) {
        rc = imp_fail(x, "%s:%lld: no time column (ts, timestamp or time) in the header", path,
                      (long long)r.line);
        goto done;
    }
    while ((got = imp_csv_next(c, &r)) != 0) {
        if (got == -2) {
            rc = imp_fail(x, "%s: %s", path, imp_csv_error(c));
            break;
        }
        imp_row(x);
        if (got == -1) {
            if (imp_bad(x, path, r.line, "%s", imp_csv_error(c))) rc = -1;
            break;
        }
        if (r.nfields != ncols) {
            if (imp_bad(x, path, r.line, "%d fields, the header has %d", r.nfields, ncols)) {
                rc = -1;
                break;
            }
            continue;
        }
#define F(k) (col[k] >= 0 ? r.field[col[k]] : "")
        imp_msg m;
        imp_msg_init(&m);
        if (imp_parse_time(F(C_TS), imp_log_offset(o), &m.ts)) {
            if (imp_bad(x, path, r.line, "bad time '%.40s'", F(C_TS))) {
                rc = -1;
                break;
            }
            continue;
        }
        const char *kind = F(C_KIND);
        if (*kind) {
            int k = ev_kind_from_name(kind);
            if (k < 0) {
                if (imp_bad(x, path, r.line, "unknown kind '%.40s'", kind)) {
                    rc = -1;
                    break;
                }
                continue;
            }
            m.kind = k;
            m.refine = k == EV_MESSAGE;
        }
        m.group = F(C_GROUP);
        m.group_name = *F(C_GROUP_NAME) ? F(C_GROUP_NAME) : NULL;
        m.sender = F(C_SENDER);
        m.sender_name = *F(C_NAME) ? F(C_NAME) : NULL;
        m.text = col[C_TEXT] >= 0 ? F(C_TEXT) : NULL;
        m.msgid = *F(C_ID) ? F(C_ID) : NULL;
        m.inviter = *F(C_INVITER) ? F(C_INVITER) : NULL;
        const char *bad = NULL;
        if (*F(C_LENGTH) && (parse_i64(F(C_LENGTH), &m.length) || m.length < 0)) bad = "length";
        int q = parse_flag(F(C_QUESTION));
        if (q == -2) bad = "question flag";
        m.question = q;
        if (*F(C_VALUE)) {
            char *end;
            errno = 0;
            m.value = strtod(F(C_VALUE), &end);
            /* inf, nan and out-of-range numbers (1e400) are no event values:
             * they would poison every sum and print as inf in JSON */
            if (*end || end == F(C_VALUE) || !isfinite(m.value) || errno == ERANGE) bad = "value (not a finite number)";
        }
        if (m.kind == EV_JOIN) {
            const char *src = F(C_SOURCE);
            int s = *src ? ev_source_from_name(src) : (m.inviter ? SRC_INVITE : SRC_ORGANIC);
            if (s < 0) bad = "source";
            m.source = s;
        }
        if (!*m.sender && !m.sender_name && m.kind != EV_SYSTEM) bad = "sender (empty)";
        int bot = parse_flag(F(C_BOT));
        if (bot == -2) bad = "bot flag";
        if (bad) {
            if (imp_bad(x, path, r.line, "bad %s", bad)) {
                rc = -1;
                break;
            }
            continue;
        }
#undef F
        /* a bot account (a logger, a notifier): a member of role bot, left out of every metric */
        if (bot == 1 && imp_member(x, m.group, m.group_name, *m.sender ? m.sender : m.sender_name, m.sender_name, ROLE_BOT, -1, SRC_SEED, NULL)) {
            rc = -1;
            break;
        }
        if (imp_emit(x, &m)) {
            rc = -1;
            break;
        }
    }
done:
    imp_csv_close(c);
    return rc;
}
