/* import_json.c -- a small streaming JSON reader for the importers.
 *
 * Reads one record (a top-level value, or one element of a top-level array)
 * at a time into a tree allocated from an arena that is reset per record, so
 * a multi-GB array streams in bounded memory.  Recursive descent with a depth
 * limit; lenient only where exporters are sloppy (raw control characters in
 * strings, lone surrogates become U+FFFD).  Not a general JSON library: no
 * writer, no random access beyond imp_json_get.
 */
#include "import.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define JSON_BUF (256u << 10)
#define JSON_DEPTH 128
#define ARENA_BLOCK (64u << 10)

typedef struct ablock {
    struct ablock *next;
    size_t used, cap;
    char data[];
} ablock;

enum { M_UNKNOWN, M_ARRAY, M_VALUES };

struct imp_json {
    FILE *f;
    unsigned char *buf;
    size_t pos, len;
    int eof, ioerr;
    int64_t line;
    int mode;          /* M_* */
    int in_array;      /* inside a top-level array */
    int need_comma;    /* an element was read: ',' or ']' next */
    int done;
    size_t max, used;  /* bound on one record; bytes consumed by it */
    ablock *arena;     /* first block kept across records */
    char *sb;          /* string scratch */
    size_t slen, scap;
    char err[256];
};

int imp_json_open(imp_json **out, FILE *f, size_t max_record)
{
    *out = NULL;
    imp_json *j = calloc(1, sizeof *j);
    if (!j) return -1;
    j->buf = malloc(JSON_BUF);
    j->scap = 256;
    j->sb = malloc(j->scap);
    j->arena = malloc(sizeof(ablock) + ARENA_BLOCK);
    if (!j->buf || !j->sb || !j->arena) {
        free(j->arena);
        j->arena = NULL;
        imp_json_close(j);
        return -1;
    }
    j->arena->next = NULL;
    j->arena->used = 0;
    j->arena->cap = ARENA_BLOCK;
    j->f = f;
    j->line = 1;
    j->max = max_record ? max_record : IMP_MAX_RECORD;
    *out = j;
    return 0;
}

static void arena_reset(imp_json *j)
{
    ablock *b = j->arena->next;
    while (b) {
        ablock *n = b->next;
        free(b);
        b = n;
    }
    j->arena->next = NULL;
    j->arena->used = 0;
}

void imp_json_close(imp_json *j)
{
    if (!j) return;
    if (j->arena) {
        arena_reset(j);
        free(j->arena);
    }
    free(j->buf);
    free(j->sb);
    free(j);
}

const char *imp_json_error(const imp_json *j) { return j->err; }

static void *aalloc(imp_json *j, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    ablock *b = j->arena->next ? j->arena->next : j->arena; /* newest block first after the kept one */
    if (b->used + n > b->cap) {
        size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        ablock *nb = malloc(sizeof(ablock) + cap);
        if (!nb) return NULL;
        nb->used = 0;
        nb->cap = cap;
        nb->next = j->arena->next;
        j->arena->next = nb;
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

static int fill(imp_json *j)
{
    if (j->eof) return 0;
    j->len = fread(j->buf, 1, JSON_BUF, j->f);
    j->pos = 0;
    if (j->len == 0) {
        j->eof = 1;
        if (ferror(j->f)) j->ioerr = errno ? errno : EIO;
        return 0;
    }
    return 1;
}

static inline int peek(imp_json *j)
{
    if (j->pos == j->len && !fill(j)) return -1;
    return j->buf[j->pos];
}

static inline int next(imp_json *j)
{
    if (j->pos == j->len && !fill(j)) return -1;
    int ch = j->buf[j->pos++];
    if (ch == '\n') j->line++;
    j->used++;
    return ch;
}

static int skip_ws(imp_json *j)
{
    for (;;) {
        int ch = peek(j);
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
            next(j);
            continue;
        }
        return ch;
    }
}

static int jerr(imp_json *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int jerr(imp_json *j, const char *fmt, ...)
{
    if (j->err[0]) return -1; /* keep the first */
    int n = snprintf(j->err, sizeof j->err, "line %lld: ", (long long)j->line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->err + n, sizeof j->err - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static int unexpected(imp_json *j, int ch, const char *want)
{
    if (ch < 0) return jerr(j, "unexpected end of input, expected %s", want);
    if (ch >= 0x20 && ch < 0x7f) return jerr(j, "unexpected '%c', expected %s", ch, want);
    return jerr(j, "unexpected byte 0x%02x, expected %s", ch, want);
}

static int sput(imp_json *j, int ch)
{
    if (j->slen + 1 >= j->scap) {
        if (j->scap >= j->max) return jerr(j, "string longer than %zu bytes", j->max);
        size_t ncap = j->scap * 2;
        char *n = realloc(j->sb, ncap);
        if (!n) return jerr(j, "out of memory");
        j->sb = n;
        j->scap = ncap;
    }
    j->sb[j->slen++] = (char)ch;
    return 0;
}

static int sput_utf8(imp_json *j, unsigned cp)
{
    if (cp < 0x80) return sput(j, (int)cp);
    if (cp < 0x800) return sput(j, 0xC0 | (cp >> 6)) || sput(j, 0x80 | (cp & 0x3F));
    if (cp < 0x10000)
        return sput(j, 0xE0 | (cp >> 12)) || sput(j, 0x80 | ((cp >> 6) & 0x3F)) || sput(j, 0x80 | (cp & 0x3F));
    return sput(j, 0xF0 | (cp >> 18)) || sput(j, 0x80 | ((cp >> 12) & 0x3F)) ||
           sput(j, 0x80 | ((cp >> 6) & 0x3F)) || sput(j, 0x80 | (cp & 0x3F));
}

static int hex4(imp_json *j, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int ch = next(j);
        int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
              : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
        if (d < 0) return jerr(j, "bad \\u escape");
        v = v * 16 + (unsigned)d;
    }
    *out = v;
    return 0;
}

/* Parse a string (the opening quote is next) into the arena. */
static int parse_string(imp_json *j, const char **out, size_t *outlen)
{
    next(j); /* '"' */
    j->slen = 0;
    for (;;) {
        int ch = next(j);
        if (ch < 0) return jerr(j, "unterminated string");
        if (ch == '"') break;
        if (j->used > j->max) return jerr(j, "record longer than %zu bytes", j->max);
        if (ch == '\\') {
            int e = next(j);
            unsigned cp;
            switch (e) {
            case '"': case '\\': case '/': if (sput(j, e)) return -1; break;
            case 'b': if (sput(j, '\b')) return -1; break;
            case 'f': if (sput(j, '\f')) return -1; break;
            case 'n': if (sput(j, '\n')) return -1; break;
            case 'r': if (sput(j, '\r')) return -1; break;
            case 't': if (sput(j, '\t')) return -1; break;
            case 'u':
                if (hex4(j, &cp)) return -1;
                if (cp >= 0xD800 && cp < 0xDC00) {
                    /* a high surrogate: a low one should follow */
                    unsigned lo = 0;
                    if (peek(j) == '\\') {
                        next(j);
                        if (next(j) != 'u' || hex4(j, &lo)) return jerr(j, "bad surrogate pair");
                    }
                    if (lo >= 0xDC00 && lo < 0xE000)
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    else
                        cp = 0xFFFD;
                } else if (cp >= 0xDC00 && cp < 0xE000) {
                    cp = 0xFFFD;
                }
                if (sput_utf8(j, cp)) return -1;
                break;
            default:
                return unexpected(j, e, "an escape character");
            }
            continue;
        }
        if (sput(j, ch)) return -1;
    }
    char *s = aalloc(j, j->slen + 1);
    if (!s) return jerr(j, "out of memory");
    memcpy(s, j->sb, j->slen);
    s[j->slen] = '\0';
    *out = s;
    *outlen = j->slen;
    return 0;
}

static int parse_value(imp_json *j, imp_jval *v, int depth);

static int parse_number(imp_json *j, imp_jval *v)
{
    j->slen = 0;
    int ch = peek(j), digits = 0;
    if (ch == '-') sput(j, next(j));
    while ((ch = peek(j)) >= 0 && ((ch >= '0' && ch <= '9') || ch == '.' || ch == 'e' || ch == 'E' ||
                                   ch == '+' || ch == '-')) {
        if (ch >= '0' && ch <= '9') digits++;
        if (j->slen > 64) return jerr(j, "number too long");
        sput(j, next(j));
    }
    if (!digits) return unexpected(j, ch, "a value");
    char *s = aalloc(j, j->slen + 1);
    if (!s) return jerr(j, "out of memory");
    memcpy(s, j->sb, j->slen);
    s[j->slen] = '\0';
    char *end;
    v->num = strtod(s, &end);
    if (*end) return jerr(j, "bad number '%s'", s);
    v->type = IMP_JNUM;
    v->str = s;
    v->len = j->slen;
    return 0;
}

static int literal(imp_json *j, const char *word)
{
    for (const char *p = word; *p; p++) {
        int ch = next(j);
        if (ch != *p) return unexpected(j, ch, word);
    }
    return 0;
}

static int parse_container(imp_json *j, imp_jval *v, int depth, int close)
{
    next(j); /* '{' or '[' */
    v->type = close == '}' ? IMP_JOBJ : IMP_JARR;
    imp_jval **tail = &v->child;
    int ch = skip_ws(j);
    if (ch == close) {
        next(j);
        return 0;
    }
    for (;;) {
        imp_jval *c = aalloc(j, sizeof *c);
        if (!c) return jerr(j, "out of memory");
        memset(c, 0, sizeof *c);
        if (close == '}') {
            ch = skip_ws(j);
            if (ch != '"') return unexpected(j, ch, "a key string");
            size_t kl;
            if (parse_string(j, &c->key, &kl)) return -1;
            ch = skip_ws(j);
            if (ch != ':') return unexpected(j, ch, "':'");
            next(j);
        }
        if (parse_value(j, c, depth + 1)) return -1;
        *tail = c;
        tail = &c->next;
        ch = skip_ws(j);
        if (ch == ',') {
            next(j);
            continue;
        }
        if (ch == close) {
            next(j);
            return 0;
        }
        return unexpected(j, ch, close == '}' ? "',' or '}'" : "',' or ']'");
    }
}

static int parse_value(imp_json *j, imp_jval *v, int depth)
{
    if (depth > JSON_DEPTH) return jerr(j, "nesting deeper than %d", JSON_DEPTH);
    if (j->used > j->max) return jerr(j, "record longer than %zu bytes", j->max);
    int ch = skip_ws(j);
    switch (ch) {
    case '{': return parse_container(j, v, depth, '}');
    case '[': return parse_container(j, v, depth, ']');
    case '"':
        v->type = IMP_JSTR;
        return parse_string(j, &v->str, &v->len);
    case 't': v->type = IMP_JBOOL; v->num = 1; return literal(j, "true");
    case 'f': v->type = IMP_JBOOL; v->num = 0; return literal(j, "false");
    case 'n': v->type = IMP_JNULL; return literal(j, "null");
    default:
        if (ch == '-' || (ch >= '0' && ch <= '9')) return parse_number(j, v);
        return unexpected(j, ch, "a value");
    }
}

/* Parse one record into the arena. */
static int parse_record(imp_json *j, const imp_jval **out)
{
    arena_reset(j);
    j->used = 0;
    imp_jval *v = aalloc(j, sizeof *v);
    if (!v) return jerr(j, "out of memory");
    memset(v, 0, sizeof *v);
    if (parse_value(j, v, 0)) return -1;
    *out = v;
    return 0;
}

static int fatal(imp_json *j)
{
    j->done = 1;
    if (j->ioerr) {
        j->err[0] = '\0';
        jerr(j, "read error: %s", strerror(j->ioerr));
    }
    return -2;
}

int imp_json_next(imp_json *j, const imp_jval **out, int64_t *line)
{
    j->err[0] = '\0';
    for (;;) {
        if (j->done) return 0;
        int ch = skip_ws(j);
        if (j->mode == M_UNKNOWN) {
            /* a UTF-8 BOM before the first value */
            if (ch == 0xEF) {
                next(j);
                if (next(j) != 0xBB || next(j) != 0xBF) {
                    jerr(j, "unexpected bytes at the start");
                    return fatal(j);
                }
                ch = skip_ws(j);
            }
            j->mode = ch == '[' ? M_ARRAY : M_VALUES;
        }
        if (ch < 0) {
            j->done = 1;
            if (j->in_array) {
                jerr(j, "unexpected end of input inside the top-level array (truncated file?)");
                *line = j->line;
                return -1;
            }
            return j->ioerr ? fatal(j) : 0;
        }
        if (j->mode == M_ARRAY) {
            if (!j->in_array) {
                /* the array's '[' (a second array after the first is read too) */
                if (ch != '[') {
                    unexpected(j, ch, "'[' or the end of input after the top-level array");
                    return fatal(j);
                }
                next(j);
                j->in_array = 1;
                j->need_comma = 0;
                continue;
            }
            if (ch == ']') {
                next(j);
                j->in_array = 0;
                continue;
            }
            if (j->need_comma) {
                if (ch != ',') {
                    unexpected(j, ch, "',' or ']' between array elements");
                    return fatal(j);
                }
                next(j);
                ch = skip_ws(j);
            }
            *line = j->line;
            if (parse_record(j, out)) {
                if (j->ioerr) return fatal(j);
                if (peek(j) < 0) { /* truncated at the end: one malformed record */
                    size_t n = strlen(j->err);
                    snprintf(j->err + n, sizeof j->err - n, " (truncated file?)");
                    j->done = 1;
                    return -1;
                }
                return fatal(j); /* inside one long line there is nowhere to resume */
            }
            j->need_comma = 1;
            return 1;
        }
        /* JSON lines / concatenated values */
        *line = j->line;
        int64_t start_line = j->line;
        if (parse_record(j, out)) {
            if (j->ioerr) return fatal(j);
            /* resume on the line after the one where the record started */
            while (j->line == start_line) {
                int c = next(j);
                if (c < 0) break;
            }
            return -1;
        }
        return 1;
    }
}

const imp_jval *imp_json_get(const imp_jval *obj, const char *key)
{
    if (!obj || obj->type != IMP_JOBJ) return NULL;
    for (const imp_jval *c = obj->child; c; c = c->next)
        if (strcmp(c->key, key) == 0) return c;
    return NULL;
}

const char *imp_json_text(const imp_jval *obj, const char *key)
{
    const imp_jval *v = imp_json_get(obj, key);
    if (!v || (v->type != IMP_JSTR && v->type != IMP_JNUM)) return NULL;
    return v->str;
}
