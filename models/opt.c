/* opt.c -- validation, defaults, text I/O of settings tables. */
#include "opt.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void *field(const opt_table *t, const opt_row *r) { return (char *)t->base + r->offset; }

static int parse_vec(const char *s, opt_vec *v)
{
    v->n = 0;
    const char *p = s;
    while (*p) {
        char *end;
        errno = 0;
        double x = strtod(p, &end);
        if (end == p || errno) return -1;
        if (v->n == OPT_VEC_MAX) return -1;
        v->v[v->n++] = x;
        while (*end == ' ') end++;
        if (*end == ',') end++;
        else if (*end) return -1;
        p = end;
        while (*p == ' ') p++;
    }
    return 0;
}

static int len_ok(const opt_row *r, int n)
{
    if (r->len > 0) return n == r->len;
    if (r->len == 0) return n >= 1 && n <= OPT_VEC_MAX;
    return n >= 0 && n <= OPT_VEC_MAX;
}

static int choice_index(const opt_row *r, const char *v)
{
    for (int i = 0; r->choices[i]; i++)
        if (strcmp(r->choices[i], v) == 0) return i;
    return -1;
}

/* "a,b,c" of choice names into indices */
static int parse_evec(const opt_row *r, const char *s, opt_vec *v)
{
    v->n = 0;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        int k = choice_index(r, tok);
        if (k < 0 || v->n == OPT_VEC_MAX) return -1;
        v->v[v->n++] = k;
    }
    return 0;
}

void opt_defaults(const opt_table *tabs, int ntabs)
{
    for (int i = 0; i < ntabs; i++)
        for (const opt_row *r = tabs[i].rows; r->path; r++) {
            void *f = field(&tabs[i], r);
            switch (r->type) {
            case OPT_BOOL: case OPT_INT: case OPT_ENUM: *(int *)f = (int)r->def; break;
            case OPT_DOUBLE: *(double *)f = r->def; break;
            case OPT_STRING:
                snprintf((char *)f, OPT_STR_MAX, "%s", r->sdef ? r->sdef : "");
                break;
            case OPT_VEC:
                if (!r->sdef || parse_vec(r->sdef, (opt_vec *)f) != 0) ((opt_vec *)f)->n = 0;
                break;
            case OPT_EVEC:
                if (!r->sdef || parse_evec(r, r->sdef, (opt_vec *)f) != 0) ((opt_vec *)f)->n = 0;
                break;
            }
        }
}

const opt_row *opt_find(const opt_table *tabs, int ntabs, const char *path, int *tab)
{
    for (int i = 0; i < ntabs; i++)
        for (const opt_row *r = tabs[i].rows; r->path; r++)
            if (strcmp(r->path, path) == 0) {
                if (tab) *tab = i;
                return r;
            }
    return NULL;
}

/* 1 if some row's path starts with prefix followed by '.' */
static int is_prefix(const opt_table *tabs, int ntabs, const char *prefix)
{
    size_t n = strlen(prefix);
    for (int i = 0; i < ntabs; i++)
        for (const opt_row *r = tabs[i].rows; r->path; r++)
            if (strncmp(r->path, prefix, n) == 0 && r->path[n] == '.') return 1;
    return 0;
}

static const char *type_name(opt_type t)
{
    static const char *const n[] = {"boolean", "integer", "number", "string", "choice", "list of numbers", "list of choices"};
    return n[t];
}

static int in_bounds(const opt_row *r, double x)
{
    return isfinite(x) && x >= r->min && x <= r->max;
}

static void bounds_msg(const opt_row *r, char *buf, size_t n)
{
    snprintf(buf, n, "must be between %g and %g", r->min, r->max);
}

/* Validate and store one value given as a libconfig setting. */
static int apply_setting(const opt_table *t, const opt_row *r, const config_setting_t *s,
                         char *why, size_t n)
{
    int ty = config_setting_type(s);
    void *f = field(t, r);
    int isnum = ty == CONFIG_TYPE_INT || ty == CONFIG_TYPE_INT64 || ty == CONFIG_TYPE_FLOAT;
    switch (r->type) {
    case OPT_BOOL:
        if (ty != CONFIG_TYPE_BOOL) { snprintf(why, n, "expected a boolean (true/false)"); return -1; }
        *(int *)f = config_setting_get_bool(s);
        return 0;
    case OPT_INT: {
        if (ty != CONFIG_TYPE_INT && ty != CONFIG_TYPE_INT64) {
            snprintf(why, n, "expected an integer, got %s", ty == CONFIG_TYPE_FLOAT ? "a number with a fraction" : "another type");
            return -1;
        }
        long long v = config_setting_get_int64(s);
        if (!in_bounds(r, (double)v)) { bounds_msg(r, why, n); return -1; }
        *(int *)f = (int)v;
        return 0;
    }
    case OPT_DOUBLE: {
        if (!isnum) { snprintf(why, n, "expected a number"); return -1; }
        double v = ty == CONFIG_TYPE_FLOAT ? config_setting_get_float(s) : (double)config_setting_get_int64(s);
        if (!in_bounds(r, v)) { bounds_msg(r, why, n); return -1; }
        *(double *)f = v;
        return 0;
    }
    case OPT_STRING: {
        if (ty != CONFIG_TYPE_STRING) { snprintf(why, n, "expected a string"); return -1; }
        const char *v = config_setting_get_string(s);
        if (strlen(v) >= OPT_STR_MAX) { snprintf(why, n, "longer than %d bytes", OPT_STR_MAX - 1); return -1; }
        snprintf((char *)f, OPT_STR_MAX, "%s", v);
        return 0;
    }
    case OPT_ENUM: {
        if (ty != CONFIG_TYPE_STRING) { snprintf(why, n, "expected a string"); return -1; }
        const char *v = config_setting_get_string(s);
        for (int i = 0; r->choices[i]; i++)
            if (strcmp(r->choices[i], v) == 0) { *(int *)f = i; return 0; }
        int k = snprintf(why, n, "unknown value \"%.40s\" (one of:", v);
        for (int i = 0; r->choices[i] && k > 0 && (size_t)k < n; i++)
            k += snprintf(why + k, n - (size_t)k, " %s", r->choices[i]);
        if (k > 0 && (size_t)k < n) snprintf(why + k, n - (size_t)k, ")");
        return -1;
    }
    case OPT_VEC: {
        if (ty != CONFIG_TYPE_ARRAY && ty != CONFIG_TYPE_LIST) { snprintf(why, n, "expected a list of numbers [a, b, ...]"); return -1; }
        int len = config_setting_length(s);
        if (!len_ok(r, len)) {
            if (r->len > 0) snprintf(why, n, "expected exactly %d numbers, got %d", r->len, len);
            else snprintf(why, n, "expected %d to %d numbers, got %d", r->len == 0 ? 1 : 0, OPT_VEC_MAX, len);
            return -1;
        }
        opt_vec tmp = {0, {0}};
        for (int i = 0; i < len; i++) {
            const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
            int et = config_setting_type(e);
            if (et != CONFIG_TYPE_INT && et != CONFIG_TYPE_INT64 && et != CONFIG_TYPE_FLOAT) {
                snprintf(why, n, "element %d is not a number", i + 1);
                return -1;
            }
            double v = et == CONFIG_TYPE_FLOAT ? config_setting_get_float(e) : (double)config_setting_get_int64(e);
            if (!in_bounds(r, v)) {
                snprintf(why, n, "element %d (%g) must be between %g and %g", i + 1, v, r->min, r->max);
                return -1;
            }
            tmp.v[tmp.n++] = v;
        }
        *(opt_vec *)f = tmp;
        return 0;
    }
    case OPT_EVEC: {
        if (ty != CONFIG_TYPE_ARRAY && ty != CONFIG_TYPE_LIST) { snprintf(why, n, "expected a list of names [\"a\", \"b\", ...]"); return -1; }
        int len = config_setting_length(s);
        if (!len_ok(r, len)) { snprintf(why, n, "wrong number of names (%d)", len); return -1; }
        opt_vec tmp = {0, {0}};
        for (int i = 0; i < len; i++) {
            const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
            const char *v = config_setting_type(e) == CONFIG_TYPE_STRING ? config_setting_get_string(e) : NULL;
            int k = v ? choice_index(r, v) : -1;
            if (k < 0) {
                int w = snprintf(why, n, "element %d is not one of:", i + 1);
                for (int c = 0; r->choices[c] && w > 0 && (size_t)w < n; c++) w += snprintf(why + w, n - (size_t)w, " %s", r->choices[c]);
                return -1;
            }
            tmp.v[tmp.n++] = k;
        }
        *(opt_vec *)f = tmp;
        return 0;
    }
    }
    snprintf(why, n, "internal: bad row type");
    return -1;
}

static int fail_at(const config_setting_t *s, const char *path, const char *why, char *err, size_t n)
{
    const char *file = config_setting_source_file(s);
    unsigned line = config_setting_source_line(s);
    snprintf(err, n, "%s:%u: setting \"%s\": %s", file ? file : "<scenario>", line, path, why);
    return -1;
}

static int walk(const opt_table *tabs, int ntabs, const config_setting_t *grp, const char *prefix,
                const char *const *skip, char *err, size_t errlen)
{
    int n = config_setting_length(grp);
    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(grp, (unsigned)i);
        const char *name = config_setting_name(s);
        if (!name) continue;
        if (!prefix[0] && skip) {
            int skipped = 0;
            for (int k = 0; skip[k]; k++) if (strcmp(skip[k], name) == 0) skipped = 1;
            if (skipped) continue;
        }
        char path[256];
        snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "." : "", name);
        int tab;
        const opt_row *r = opt_find(tabs, ntabs, path, &tab);
        if (config_setting_type(s) == CONFIG_TYPE_GROUP && !r) {
            if (!is_prefix(tabs, ntabs, path)) return fail_at(s, path, "unknown setting group", err, errlen);
            if (walk(tabs, ntabs, s, path, NULL, err, errlen) != 0) return -1;
            continue;
        }
        if (!r) return fail_at(s, path, "unknown setting", err, errlen);
        char why[200];
        if (apply_setting(&tabs[tab], r, s, why, sizeof why) != 0) return fail_at(s, path, why, err, errlen);
    }
    return 0;
}

int opt_apply(const opt_table *tabs, int ntabs, const config_setting_t *grp,
              const char *const *skip, char *err, size_t errlen)
{
    err[0] = 0;
    return walk(tabs, ntabs, grp, "", skip, err, errlen);
}

int opt_set(const opt_table *tabs, int ntabs, const char *path, const char *value,
            char *err, size_t n)
{
    int tab;
    const opt_row *r = opt_find(tabs, ntabs, path, &tab);
    if (!r) { snprintf(err, n, "setting \"%s\": unknown setting", path); return -1; }
    void *f = field(&tabs[tab], r);
    char *end;
    switch (r->type) {
    case OPT_BOOL:
        if (!strcmp(value, "true") || !strcmp(value, "1")) *(int *)f = 1;
        else if (!strcmp(value, "false") || !strcmp(value, "0")) *(int *)f = 0;
        else { snprintf(err, n, "setting \"%s\": expected true or false", path); return -1; }
        return 0;
    case OPT_INT: {
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (end == value || *end || errno) { snprintf(err, n, "setting \"%s\": expected an integer, got \"%.40s\"", path, value); return -1; }
        if (!in_bounds(r, (double)v)) { snprintf(err, n, "setting \"%s\": must be between %g and %g", path, r->min, r->max); return -1; }
        *(int *)f = (int)v;
        return 0;
    }
    case OPT_DOUBLE: {
        errno = 0;
        double v = strtod(value, &end);
        if (end == value || *end || errno) { snprintf(err, n, "setting \"%s\": expected a number, got \"%.40s\"", path, value); return -1; }
        if (!in_bounds(r, v)) { snprintf(err, n, "setting \"%s\": must be between %g and %g", path, r->min, r->max); return -1; }
        *(double *)f = v;
        return 0;
    }
    case OPT_STRING:
        if (strlen(value) >= OPT_STR_MAX) { snprintf(err, n, "setting \"%s\": too long", path); return -1; }
        snprintf((char *)f, OPT_STR_MAX, "%s", value);
        return 0;
    case OPT_ENUM:
        for (int i = 0; r->choices[i]; i++)
            if (!strcmp(r->choices[i], value)) { *(int *)f = i; return 0; }
        snprintf(err, n, "setting \"%s\": unknown value \"%.40s\"", path, value);
        return -1;
    case OPT_VEC: {
        opt_vec v;
        if (parse_vec(value, &v) != 0 || !len_ok(r, v.n)) {
            if (r->len > 0) snprintf(err, n, "setting \"%s\": expected %d comma-separated numbers", path, r->len);
            else snprintf(err, n, "setting \"%s\": expected %d to %d comma-separated numbers", path, r->len == 0 ? 1 : 0, OPT_VEC_MAX);
            return -1;
        }
        for (int i = 0; i < v.n; i++)
            if (!in_bounds(r, v.v[i])) { snprintf(err, n, "setting \"%s\": element %d must be between %g and %g", path, i + 1, r->min, r->max); return -1; }
        *(opt_vec *)f = v;
        return 0;
    }
    case OPT_EVEC: {
        opt_vec v;
        if (parse_evec(r, value, &v) != 0 || !len_ok(r, v.n)) {
            snprintf(err, n, "setting \"%s\": expected comma-separated names of choices", path);
            return -1;
        }
        *(opt_vec *)f = v;
        return 0;
    }
    }
    return -1;
}

int opt_get_number(const opt_table *tabs, int ntabs, const char *path, double *out)
{
    int tab;
    const opt_row *r = opt_find(tabs, ntabs, path, &tab);
    if (!r) return -1;
    void *f = field(&tabs[tab], r);
    switch (r->type) {
    case OPT_BOOL: case OPT_INT: case OPT_ENUM: *out = *(int *)f; return 0;
    case OPT_DOUBLE: *out = *(double *)f; return 0;
    default: return -1;
    }
}

/* A growable string buffer for opt_format. */
typedef struct sbuf { char *p; size_t n, cap; int oom; } sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
        va_end(ap);
        if (k < 0) { b->oom = 1; return; }
        if ((size_t)k < b->cap - b->n) { b->n += (size_t)k; return; }
        size_t ncap = (b->cap + (size_t)k + 1) * 2;
        char *np = realloc(b->p, ncap);
        if (!np) { b->oom = 1; return; }
        b->p = np;
        b->cap = ncap;
    }
}

/* The shortest %g that reads back as the same double (0.6, not
 * 0.59999999999999998): 17 digits always round-trip, fewer usually do. */
static void sb_double(sbuf *b, double v)
{
    char tmp[40];
    int p = 1;
    for (; p <= 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*g", p, v);
        if (!isfinite(v) || strtod(tmp, NULL) == v) break;
    }
    /* %g writes 20 as 2e+01 at one digit: whole numbers get their digits */
    if (strchr(tmp, 'e') && fabs(v) >= 1 && fabs(v) < 1e15) {
        int whole = (int)floor(log10(fabs(v))) + 1;
        if (whole > p) snprintf(tmp, sizeof tmp, "%.*g", whole, v);
    }
    if (!strpbrk(tmp, ".eEn")) strcat(tmp, ".0"); /* libconfig reads 1 as int, 1.0 as float */
    sb_printf(b, "%s", tmp);
}

static void sb_string(sbuf *b, const char *s)
{
    sb_printf(b, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') sb_printf(b, "\\%c", *s);
        else if (*s == '\n') sb_printf(b, "\\n");
        else if ((unsigned char)*s < 0x20) sb_printf(b, "\\x%02x", (unsigned char)*s);
        else sb_printf(b, "%c", *s);
    }
    sb_printf(b, "\"");
}

/* The value of row r at f, as libconfig text. */
static void sb_value(sbuf *b, const opt_row *r, const void *f)
{
    switch (r->type) {
    case OPT_BOOL: sb_printf(b, "%s", *(int *)f ? "true" : "false"); break;
    case OPT_INT: sb_printf(b, "%d", *(int *)f); break;
    case OPT_DOUBLE: sb_double(b, *(double *)f); break;
    case OPT_STRING: sb_string(b, (char *)f); break;
    case OPT_ENUM: sb_string(b, r->choices[*(int *)f]); break;
    case OPT_VEC: {
        const opt_vec *v = f;
        sb_printf(b, "[");
        for (int k = 0; k < v->n; k++) { if (k) sb_printf(b, ", "); sb_double(b, v->v[k]); }
        sb_printf(b, "]");
        break;
    }
    case OPT_EVEC: {
        const opt_vec *v = f;
        sb_printf(b, "[");
        for (int k = 0; k < v->n; k++) { if (k) sb_printf(b, ", "); sb_string(b, r->choices[(int)v->v[k]]); }
        sb_printf(b, "]");
        break;
    }
    }
}

char *opt_value_text(const opt_table *t, const opt_row *r)
{
    sbuf b = {malloc(64), 0, 64, 0};
    if (!b.p) return NULL;
    b.p[0] = 0;
    sb_value(&b, r, field(t, r));
    if (b.oom) { free(b.p); return NULL; }
    return b.p;
}

char *opt_format(const opt_table *tabs, int ntabs)
{
    sbuf b = {malloc(1024), 0, 1024, 0};
    if (!b.p) return NULL;
    b.p[0] = 0;
    for (int i = 0; i < ntabs; i++) {
        /* open/close nested groups as the path prefix changes; rows of one
         * group are contiguous in every table */
        char open[8][64];
        int depth = 0;
        for (const opt_row *r = tabs[i].rows; r->path; r++) {
            char comp[8][64];
            int nc = 0;
            const char *p = r->path;
            while (nc < 8) {
                const char *dot = strchr(p, '.');
                size_t len = dot ? (size_t)(dot - p) : strlen(p);
                if (len > 63) len = 63;
                memcpy(comp[nc], p, len);
                comp[nc][len] = 0;
                nc++;
                if (!dot) break;
                p = dot + 1;
            }
            int common = 0;
            while (common < depth && common < nc - 1 && !strcmp(open[common], comp[common])) common++;
            while (depth > common) { depth--; sb_printf(&b, "%*s};\n", depth * 2, ""); }
            while (depth < nc - 1) {
                sb_printf(&b, "%*s%s = {\n", depth * 2, "", comp[depth]);
                memcpy(open[depth], comp[depth], 64);
                depth++;
            }
            sb_printf(&b, "%*s%s = ", depth * 2, "", comp[nc - 1]);
            sb_value(&b, r, field(&tabs[i], r));
            sb_printf(&b, ";\n");
        }
        while (depth > 0) { depth--; sb_printf(&b, "%*s};\n", depth * 2, ""); }
    }
    if (b.oom) { free(b.p); return NULL; }
    return b.p;
}

void opt_print_doc(const opt_row *rows, FILE *f)
{
    fprintf(f, "| setting | type | default | range | unit | meaning |\n|---|---|---|---|---|---|\n");
    for (const opt_row *r = rows; r->path; r++) {
        fprintf(f, "| `%s` | %s | ", r->path, type_name(r->type));
        switch (r->type) {
        case OPT_BOOL: fprintf(f, "%s", r->def ? "true" : "false"); break;
        case OPT_INT: case OPT_DOUBLE: fprintf(f, "%g", r->def); break;
        case OPT_ENUM: fprintf(f, "%s", r->choices[(int)r->def]); break;
        default: fprintf(f, "%s", r->sdef ? r->sdef : ""); break;
        }
        fprintf(f, " | ");
        if (r->type == OPT_INT || r->type == OPT_DOUBLE || r->type == OPT_VEC) fprintf(f, "%.10g .. %.10g", r->min, r->max);
        else if (r->type == OPT_ENUM || r->type == OPT_EVEC) for (int i = 0; r->choices[i]; i++) fprintf(f, "%s%s", i ? ", " : "", r->choices[i]);
        fprintf(f, " | %s | %s |\n", r->unit ? r->unit : "", r->help ? r->help : "");
    }
}
