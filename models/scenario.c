/* scenario.c -- loading and validating scenario files. */
/* realpath(3) for absolute @include paths (XSI, beyond _POSIX_C_SOURCE) */
#define _XOPEN_SOURCE 700
#include "scenario.h"

#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfgwrite.h"

#define R(f) offsetof(scen_run, f)

const opt_row scen_opts[] = {
    {"scenario.name", OPT_STRING, R(name), 0, 0, 0, "scenario", NULL, 0, "", "scenario name (reports, results)"},
    {"scenario.start", OPT_STRING, R(start), 0, 0, 0, "2026-03-02", NULL, 0, "date", "local start date YYYY-MM-DD"},
    {"scenario.utc_offset", OPT_STRING, R(utc_offset), 0, 0, 0, "+08:00", NULL, 0, "", "the group's UTC offset (+HH:MM)"},
    {"scenario.days", OPT_INT, R(days), 90, 1, 3650, NULL, NULL, 0, "days", "simulated local days"},
    {"scenario.seed", OPT_INT, R(seed), 1, 0, 2147483647, NULL, NULL, 0, "", "master seed"},
    {"scenario.reps", OPT_INT, R(reps), 20, 1, 1000000, NULL, NULL, 0, "", "replications per arm"},
    {"scenario.events", OPT_BOOL, R(events), 1, 0, 1, NULL, NULL, 0, "", "store the event log of each replication"},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, 0, NULL, NULL},
};

/* Read a whole regular file of at most `limit` bytes into a NUL-terminated
 * buffer (*len its size).  A FIFO, device or directory is refused before a
 * byte is read (opened non-blocking: a FIFO without a writer would block
 * open, one with a writer never end).  NULL with errno set: EFBIG over the
 * limit, EINVAL not a regular file, ENOMEM, or open's error. */
static char *read_file(const char *path, size_t limit, size_t *len)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct stat st;
    int e = fstat(fd, &st) != 0 ? errno : !S_ISREG(st.st_mode) ? EINVAL : 0;
    if (e) {
        close(fd);
        errno = e;
        return NULL;
    }
    if ((uintmax_t)st.st_size > limit) { /* a log given by mistake: not read at all */
        close(fd);
        errno = EFBIG;
        return NULL;
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        ssize_t k = read(fd, buf + n, cap - n - 1);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) { e = errno; free(buf); buf = NULL; errno = e; break; }
        if (k == 0) break;
        n += (size_t)k;
        if (n > limit) { free(buf); buf = NULL; errno = EFBIG; break; } /* grew while read */
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) { free(buf); buf = NULL; errno = ENOMEM; break; }
            buf = nb;
            cap *= 2;
        }
    }
    close(fd);
    if (buf) {
        buf[n] = 0;
        if (len) *len = n;
    }
    return buf;
}

/* ---- the include pre-scan ---------------------------------------------------- */

/* libconfig 1.5 has no hook on @include and no limit but nesting depth (10):
 * ten files of eight includes each are 8^9 includes, and a big string in an
 * included file is parsed in quadratic time.  So before libconfig reads the
 * scenario, its include tree is walked here as libconfig will walk it: every
 * included file must be a regular file, the number of includes is bounded
 * (SCEN_MAX_INCLUDES), and the bytes of all files read, repeats included,
 * bound together (SCEN_MAX_BYTES).  The same walk refuses a \x00 escape in a
 * string (libconfig drops it silently).  Include names resolve as
 * libconfig's do: INCLUDE_DIR/NAME, for nested includes too. */
typedef struct inc_walk {
    const char *dir; /* the include directory (the scenario's) */
    size_t bytes;    /* read so far, every file and repeat */
    int includes;    /* @include directives followed so far */
} inc_walk;

#define INC_MAX_DEPTH 10 /* libconfig's own limit */

static int inc_scan(inc_walk *w, const char *file, const char *text, int depth, char *err, size_t n);

/* One @include "NAME" at FILE:LINE. */
static int inc_follow(inc_walk *w, const char *file, unsigned line, const char *name, int depth, char *err, size_t n)
{
    if (!name[0]) {
        snprintf(err, n, "%s:%u: @include \"\": no file named", file, line);
        return -1;
    }
    if (++w->includes > SCEN_MAX_INCLUDES) {
        snprintf(err, n, "%s:%u: @include \"%s\": more than %d includes in all (SCEN_MAX_INCLUDES): an include loop or bomb?",
                 file, line, name, SCEN_MAX_INCLUDES);
        return -1;
    }
    if (depth >= INC_MAX_DEPTH) {
        snprintf(err, n, "%s:%u: @include \"%s\": include file nesting too deep (more than %d levels)", file, line, name,
                 INC_MAX_DEPTH);
        return -1;
    }
    char full[1024];
    if (name[0] == '/' || !w->dir || !strcmp(w->dir, ".")) snprintf(full, sizeof full, "%s", name); /* absolute: as it is */
    else snprintf(full, sizeof full, "%s/%s", w->dir, name);
    size_t len = 0;
    char *text = read_file(full, SCEN_MAX_BYTES - w->bytes, &len);
    if (!text) {
        if (errno == EFBIG)
            snprintf(err, n, "%s:%u: @include \"%s\": the scenario and its includes exceed %d bytes (SCEN_MAX_BYTES)", file,
                     line, name, SCEN_MAX_BYTES);
        else if (errno == EINVAL)
            snprintf(err, n, "%s:%u: @include \"%s\": %s is not a regular file (a directory, FIFO or device)", file, line,
                     name, full);
        else
            snprintf(err, n, "%s:%u: @include \"%s\": cannot open %s: %s%s", file, line, name, full, strerror(errno),
                     name[0] == '/' ? "" : " (a relative @include resolves from the scenario file's directory)");
        return -1;
    }
    w->bytes += len;
    int rc = inc_scan(w, full, text, depth + 1, err, n);
    free(text);
    return rc;
}

/* Scan text (the file `file`) the way libconfig's scanner does, as far as
 * includes and string escapes go: comments (#, //, slash-star), strings
 * ("..." with backslash escapes, newlines allowed), and @include "NAME"
 * at the start of a line outside both. */
static int inc_scan(inc_walk *w, const char *file, const char *text, int depth, char *err, size_t n)
{
    unsigned line = 1;
    int bol = 1; /* at the start of a line, blanks aside */
    for (const char *p = text; *p;) {
        if (*p == '\n') { line++; bol = 1; p++; continue; }
        if (*p == ' ' || *p == '\t') { p++; continue; }
        if (bol && !strncmp(p, "@include", 8) && (p[8] == ' ' || p[8] == '\t')) {
            const char *q = p + 8;
            while (*q == ' ' || *q == '\t') q++;
            if (*q == '"') {
                char name[512];
                size_t k = 0;
                for (q++; *q && *q != '"'; q++) {
                    if (*q == '\\' && (q[1] == '\\' || q[1] == '"')) q++;
                    if (*q == '\n') line++;
                    if (k + 1 < sizeof name) name[k++] = *q;
                }
                name[k] = 0;
                if (*q != '"') break; /* unterminated: libconfig reports it */
                if (k + 1 >= sizeof name) {
                    snprintf(err, n, "%s:%u: @include: file name longer than %zu bytes", file, line, sizeof name - 2);
                    return -1;
                }
                if (inc_follow(w, file, line, name, depth, err, n) != 0) return -1;
                p = q + 1;
                bol = 0;
                continue;
            }
        }
        bol = 0;
        if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
            while (*p && *p != '\n') p++;
        }
        else if (p[0] == '/' && p[1] == '*') {
            for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
                if (*p == '\n') line++;
            if (*p) p += 2;
        }
        else if (*p == '"') {
            const char *open = p;
            unsigned open_line = line;
            for (p++; *p && *p != '"'; p++) {
                if (p - open > SCEN_MAX_STRING) {
                    /* libconfig's scanner copies a long token at every buffer
                     * refill: quadratic (a 10 MB string took 40 s) */
                    snprintf(err, n, "%s:%u: syntax error: a string longer than %d bytes (SCEN_MAX_STRING)", file, open_line,
                             SCEN_MAX_STRING);
                    return -1;
                }
                if (*p == '\n') line++;
                if (*p == '\\' && p[1]) {
                    if ((p[1] == 'x' || p[1] == 'X') && p[2] == '0' && p[3] == '0') {
                        snprintf(err, n, "%s:%u: syntax error: a NUL byte (\\x00) in a string", file, line);
                        return -1;
                    }
                    if (p[1] == '\n') line++;
                    p++;
                }
            }
            if (*p) p++;
        }
        else p++;
    }
    return 0;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

int scen_arm_index(const scenario *s, const char *name)
{
    for (int i = 0; i < s->narms; i++)
        if (strcmp(s->arms[i].name, name) == 0) return i;
    return -1;
}

/* "FILE:LINE" of setting `path` in cfg (relative to grp if not NULL), or
 * just deffile when cfg is NULL or the setting is not in the file. */
static void where(const config_t *cfg, const config_setting_t *grp, const char *path,
                  const char *deffile, char *buf, size_t n)
{
    const config_setting_t *st = !cfg ? NULL : grp ? config_setting_lookup((config_setting_t *)grp, path)
                                                   : config_lookup(cfg, path);
    if (st && config_setting_source_line(st) > 0)
        snprintf(buf, n, "%s:%u", config_setting_source_file(st) ? config_setting_source_file(st) : deffile,
                 config_setting_source_line(st));
    else
        snprintf(buf, n, "%s", deffile);
}

/* A message `setting "PATH": why` from com_validate, prefixed with the file
 * and line of PATH: in the arm group grp if there, else the arm's own line;
 * at the top level when grp is NULL (just the file if PATH is not set). */
static void place_msg(const config_t *cfg, const config_setting_t *grp, const char *file,
                      const char *msg, char *err, size_t n)
{
    char path[128] = "-", at[600];
    const char *q = strstr(msg, "setting \"");
    if (q) {
        q += 9;
        size_t k = strcspn(q, "\"");
        if (k < sizeof path) { memcpy(path, q, k); path[k] = 0; }
    }
    where(cfg, grp, path, file, at, sizeof at);
    if (grp && strcmp(at, file) == 0) {
        const char *gf = config_setting_source_file(grp);
        snprintf(at, sizeof at, "%s:%u", gf ? gf : file, config_setting_source_line(grp));
    }
    snprintf(err, n, "%s: %s", at, msg);
}

/* libconfig names a file pulled in by @include as the directive wrote it,
 * relative to the include directory: make a message's FILE relative to the
 * working directory, like the scenario's own path, so FILE:LINE opens. */
static void fix_include_name(char *err, size_t n, const char *path, const char *dir)
{
    size_t k = strcspn(err, ":");
    if (!dir || !strcmp(dir, ".") || err[0] == '/' || !err[k] || (strlen(path) == k && !strncmp(err, path, k))) return;
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s/%s", dir, err);
    snprintf(err, n, "%s", tmp);
}

/* Names go into JSON, HTML, CSV and file names: each must be valid UTF-8
 * (printing raw bytes would make the JSON invalid).  1 (with the message)
 * when `v` of setting `what` is not; grp: the arm group holding it. */
static int bad_utf8(const char *v, const char *what, const config_t *cfg, const config_setting_t *grp, const char *file,
                    char *err, size_t n)
{
    size_t off = 0;
    if (cw_utf8_valid(v, &off)) return 0;
    char at[600];
    if (grp) snprintf(at, sizeof at, "%s:%u", file, config_setting_source_line(grp));
    else where(cfg, NULL, what, file, at, sizeof at);
    snprintf(err, n, "%s: setting \"%s\": not valid UTF-8 (byte %zu, 0x%02X)", at, what, off + 1, (unsigned char)v[off]);
    return 1;
}

static int finish_run(scenario *s, const char *file, const config_t *cfg, char *err, size_t n)
{
    if (cal_init(&s->cal, s->run.start, s->run.utc_offset) != 0) {
        int32_t off;
        int bad_off = cal_parse_offset(s->run.utc_offset, &off) != 0;
        const char *what = bad_off ? "scenario.utc_offset" : "scenario.start";
        char at[600];
        where(cfg, NULL, what, file, at, sizeof at);
        if (bad_off)
            snprintf(err, n, "%s: setting \"%s\": bad UTC offset \"%s\" (want +HH:MM or -HH:MM, at most 14 hours)",
                     at, what, s->run.utc_offset);
        else
            snprintf(err, n, "%s: setting \"%s\": bad date \"%s\" (want an existing date YYYY-MM-DD, 1970 or later)",
                     at, what, s->run.start);
        return -1;
    }
    return 0;
}

static int str_field(const config_setting_t *g, const char *name, char *dst, size_t n, int required,
                     const char *file, int k, char *err, size_t errlen)
{
    const config_setting_t *f = config_setting_get_member(g, name);
    if (!f) {
        if (!required) return 0;
        snprintf(err, errlen, "%s:%u: setting \"targets.[%d].%s\": missing", file, config_setting_source_line(g), k, name);
        return -1;
    }
    if (config_setting_type(f) != CONFIG_TYPE_STRING || strlen(config_setting_get_string(f)) >= n) {
        snprintf(err, errlen, "%s:%u: setting \"targets.[%d].%s\": expected a string shorter than %zu bytes", file,
                 config_setting_source_line(f), k, name, n);
        return -1;
    }
    snprintf(dst, n, "%s", config_setting_get_string(f));
    return 0;
}

/* targets = ( { arm; metric; reported; [ratio_to]; [tolerance]; [source]; }, ... ) */
static int load_targets(scenario *s, const config_t *cfg, const char *path, char *err, size_t errlen)
{
    config_setting_t *t = config_lookup(cfg, "targets");
    if (!t) return 0;
    const char *tf = config_setting_source_file(t) ? config_setting_source_file(t) : path;
    if (config_setting_type(t) != CONFIG_TYPE_LIST || config_setting_length(t) > SCEN_MAX_TARGETS) {
        snprintf(err, errlen, "%s:%u: setting \"targets\": expected a list of at most %d groups", tf,
                 config_setting_source_line(t), SCEN_MAX_TARGETS);
        return -1;
    }
    for (int k = 0; k < config_setting_length(t); k++) {
        config_setting_t *g = config_setting_get_elem(t, (unsigned)k);
        const char *file = config_setting_source_file(g) ? config_setting_source_file(g) : path;
        scen_target *x = &s->targets[k];
        memset(x, 0, sizeof *x);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            snprintf(err, errlen, "%s:%u: setting \"targets.[%d]\": expected a group { ... }", file, config_setting_source_line(g), k);
            return -1;
        }
        for (int c = 0; c < config_setting_length(g); c++) {
            const char *nm = config_setting_name(config_setting_get_elem(g, (unsigned)c));
            static const char *const known[] = {"arm", "metric", "reported", "ratio_to", "tolerance", "source", NULL};
            int ok = 0;
            for (int q = 0; known[q]; q++) ok |= !strcmp(known[q], nm);
            if (!ok) {
                snprintf(err, errlen, "%s:%u: setting \"targets.[%d].%s\": unknown setting", file,
                         config_setting_source_line(config_setting_get_elem(g, (unsigned)c)), k, nm);
                return -1;
            }
        }
        if (str_field(g, "arm", x->arm, sizeof x->arm, 1, file, k, err, errlen) ||
            str_field(g, "metric", x->metric, sizeof x->metric, 1, file, k, err, errlen) ||
            str_field(g, "ratio_to", x->ratio_to, sizeof x->ratio_to, 0, file, k, err, errlen) ||
            str_field(g, "source", x->source, sizeof x->source, 0, file, k, err, errlen))
            return -1;
        const char *bad = scen_arm_index(s, x->arm) < 0 ? "arm" : (x->ratio_to[0] && scen_arm_index(s, x->ratio_to) < 0) ? "ratio_to" : NULL;
        if (bad) {
            snprintf(err, errlen, "%s:%u: setting \"targets.[%d].%s\": no arm named \"%s\"", file, config_setting_source_line(g), k,
                     bad, !strcmp(bad, "arm") ? x->arm : x->ratio_to);
            return -1;
        }
        int known_metric = 0;
        for (int q = 0; met_summary_name(q); q++) known_metric |= !strcmp(met_summary_name(q), x->metric);
        if (!known_metric) {
            snprintf(err, errlen, "%s:%u: setting \"targets.[%d].metric\": unknown metric \"%s\" (see analysis/METRICS.md)", file,
                     config_setting_source_line(g), k, x->metric);
            return -1;
        }
        x->is_ratio = x->ratio_to[0] != 0;
        x->tolerance = x->is_ratio ? 0.10 : 0.03;
        double v;
        if (!config_setting_lookup_float(g, "reported", &v)) {
            int iv;
            if (!config_setting_lookup_int(g, "reported", &iv)) {
                snprintf(err, errlen, "%s:%u: setting \"targets.[%d].reported\": missing or not a number", file, config_setting_source_line(g), k);
                return -1;
            }
            v = iv;
        }
        x->reported = v;
        const config_setting_t *tol = config_setting_get_member(g, "tolerance");
        if (tol) {
            int tt = config_setting_type(tol);
            if (tt != CONFIG_TYPE_FLOAT && tt != CONFIG_TYPE_INT && tt != CONFIG_TYPE_INT64) {
                snprintf(err, errlen, "%s:%u: setting \"targets.[%d].tolerance\": expected a number", file, config_setting_source_line(tol), k);
                return -1;
            }
            v = tt == CONFIG_TYPE_FLOAT ? config_setting_get_float(tol) : (double)config_setting_get_int64(tol);
            if (!(v > 0 && v < 10)) {
                snprintf(err, errlen, "%s:%u: setting \"targets.[%d].tolerance\": must be a positive number", file, config_setting_source_line(g), k);
                return -1;
            }
            x->tolerance = v;
        }
        s->ntargets++;
    }
    return 0;
}

/* The scenario's own @include lines, checked before libconfig reads them
 * (its error is only "cannot open include file"): a path that cannot be
 * opened is an error naming the line, the directive and the path tried.
 * libconfig 1.5 joins every include to the include directory, so an
 * absolute path could never open: *rewritten gets a copy of text with each
 * absolute path written relative to dir ("../" up to the root, then the
 * path), or stays NULL when there is none.  Returns 0, or -1 with err.
 * Includes inside included files are left to libconfig. */
static int check_includes(const char *path, const char *text, const char *dir, char **rewritten, char *up, size_t upn,
                          char *err, size_t n)
{
    up[0] = 0;
    *rewritten = NULL;
    int line = 1, nabs = 0;
    for (const char *p = text; *p; line++) {
        const char *eol = strchr(p, '\n'), *q = p;
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        while (q < p + len && (*q == ' ' || *q == '\t')) q++;
        if ((size_t)(p + len - q) > 9 && !strncmp(q, "@include", 8)) {
            const char *a = memchr(q + 8, '"', (size_t)(p + len - q - 8)), *b = a ? memchr(a + 1, '"', (size_t)(p + len - a - 1)) : NULL;
            if (a && b && b > a + 1) {
                /* every include was opened by inc_scan already (comments skipped there) */
                nabs += a[1] == '/';
            }
        }
        if (!eol) break;
        p = eol + 1;
    }
    if (!nabs) return 0;
    char real[4096];
    if (!realpath(dir, real)) { snprintf(err, n, "%s: cannot resolve its directory %s: %s", path, dir, strerror(errno)); return -1; }
    for (const char *c = real; *c; c++)
        if (*c == '/' && c[1] && strlen(up) + 4 < upn) strcat(up, "../");
    size_t cap = strlen(text) + (size_t)nabs * strlen(up) + 1;
    char *out = malloc(cap), *w = out;
    if (!out) { snprintf(err, n, "%s: out of memory", path); return -1; }
    for (const char *p = text; *p;) {
        const char *eol = strchr(p, '\n'), *q = p;
        size_t len = eol ? (size_t)(eol - p + 1) : strlen(p);
        while (q < p + len && (*q == ' ' || *q == '\t')) q++;
        const char *a = !strncmp(q, "@include", 8) ? memchr(q + 8, '"', (size_t)(p + len - q - 8)) : NULL;
        if (a && a[1] == '/') {
            memcpy(w, p, (size_t)(a + 1 - p));
            w += a + 1 - p;
            memcpy(w, up, strlen(up));
            w += strlen(up);
            memcpy(w, a + 2, (size_t)(p + len - a - 2));
            w += p + len - a - 2;
        } else {
            memcpy(w, p, len);
            w += len;
        }
        p += len;
    }
    *w = 0;
    *rewritten = out;
    return 0;
}

int scen_load(scenario **out, const char *path, char *err, size_t errlen)
{
    *out = NULL;
    err[0] = 0;
    scenario *s = calloc(1, sizeof *s);
    if (!s) { snprintf(err, errlen, "%s: out of memory", path); return -1; }
    s->path = dup_str(path);
    size_t len = 0;
    s->text = read_file(path, SCEN_MAX_BYTES, &len);
    if (!s->path || !s->text) {
        if (!s->text && errno == EFBIG)
            snprintf(err, errlen, "%s: larger than %d bytes: not a scenario file? (SCEN_MAX_BYTES)", path, SCEN_MAX_BYTES);
        else if (!s->text && errno == EINVAL)
            snprintf(err, errlen, "%s: not a regular file (a directory, FIFO or device): not a scenario file", path);
        else
            snprintf(err, errlen, "%s: cannot read: %s", path, s->text ? "out of memory" : strerror(errno));
        scen_free(s);
        return -1;
    }
    config_t cfg;
    config_init(&cfg);
    /* includes resolve relative to the scenario's directory */
    char *dir = dup_str(path), *text2 = NULL, up[4096];
    const char *d = dir ? dirname(dir) : ".";
    if (dir) config_set_include_dir(&cfg, d);
    int rc = -1;
    inc_walk walk = {dir ? config_get_include_dir(&cfg) : NULL, len, 0};
    int fix = 1; /* libconfig's messages name included files relative to dir */
    /* the include tree first (regular files, bounded in count and bytes),
     * then absolute includes rewritten for libconfig (check_includes) */
    if (inc_scan(&walk, path, s->text, 0, err, errlen) != 0 || check_includes(path, s->text, d, &text2, up, sizeof up, err, errlen) != 0) {
        fix = 0;
        goto done;
    }
    /* a rewritten text (absolute includes) is read from memory: libconfig then
     * names no file for the scenario's own lines, and the messages use path */
    if ((text2 ? config_read_string(&cfg, text2) : config_read_file(&cfg, path)) != CONFIG_TRUE) {
        const char *ef = config_error_file(&cfg);
        snprintf(err, errlen, "%s:%d: syntax error: %s", ef ? ef : path, config_error_line(&cfg), config_error_text(&cfg));
        goto done;
    }
    scen_arm base;
    memset(&base, 0, sizeof base);
    opt_table root[COM_MAX_TABLES + 1] = {{scen_opts, &s->run}};
    int nt = 1 + com_tables(&base.com, root + 1, COM_MAX_TABLES);
    opt_defaults(root, nt);
    static const char *const skip_root[] = {"arms", "targets", NULL};
    if (opt_apply(root, nt, config_root_setting(&cfg), skip_root, err, errlen) != 0) goto done;
    if (com_validate(&base.com, err, errlen) != 0) {
        char e2[512];
        snprintf(e2, sizeof e2, "%s", err);
        place_msg(&cfg, NULL, path, e2, err, errlen);
        goto done;
    }
    s->seed = (uint64_t)s->run.seed;
    if (bad_utf8(s->run.name, "scenario.name", &cfg, NULL, path, err, errlen)) goto done;
    if (finish_run(s, path, &cfg, err, errlen) != 0) goto done;

    config_setting_t *arms = config_lookup(&cfg, "arms");
    if (!arms) {
        s->narms = 1;
        s->arms[0] = base;
        snprintf(s->arms[0].name, OPT_STR_MAX, "baseline");
        rc = load_targets(s, &cfg, path, err, errlen);
        goto done;
    }
    if (config_setting_type(arms) != CONFIG_TYPE_LIST || config_setting_length(arms) < 1) {
        snprintf(err, errlen, "%s:%u: setting \"arms\": expected a list of arm groups ( { name = \"...\"; ... }, ... )",
                 config_setting_source_file(arms) ? config_setting_source_file(arms) : path, config_setting_source_line(arms));
        goto done;
    }
    int na = config_setting_length(arms);
    if (na > SCEN_MAX_ARMS) {
        snprintf(err, errlen, "%s:%u: setting \"arms\": more than %d arms", path, config_setting_source_line(arms), SCEN_MAX_ARMS);
        goto done;
    }
    for (int a = 0; a < na; a++) {
        config_setting_t *g = config_setting_get_elem(arms, (unsigned)a);
        const char *file = config_setting_source_file(g) ? config_setting_source_file(g) : path;
        const char *name = NULL;
        if (config_setting_type(g) != CONFIG_TYPE_GROUP || !config_setting_lookup_string(g, "name", &name) || !name[0]) {
            snprintf(err, errlen, "%s:%u: setting \"arms.[%d].name\": every arm needs a non-empty name string", file, config_setting_source_line(g), a);
            goto done;
        }
        if (strlen(name) >= OPT_STR_MAX) {
            snprintf(err, errlen, "%s:%u: setting \"arms.[%d].name\": longer than %d bytes", file, config_setting_source_line(g), a, OPT_STR_MAX - 1);
            goto done;
        }
        char at[32];
        snprintf(at, sizeof at, "arms.[%d].name", a);
        if (bad_utf8(name, at, &cfg, g, file, err, errlen)) goto done;
        if (scen_arm_index(s, name) >= 0) {
            snprintf(err, errlen, "%s:%u: setting \"arms.[%d].name\": duplicate arm name \"%s\"", file, config_setting_source_line(g), a, name);
            goto done;
        }
        scen_arm *arm = &s->arms[s->narms];
        *arm = base;
        snprintf(arm->name, OPT_STR_MAX, "%s", name);
        opt_table t[COM_MAX_TABLES];
        int na2 = com_tables(&arm->com, t, COM_MAX_TABLES);
        static const char *const skip_arm[] = {"name", "description", NULL};
        char e2[512];
        if (opt_apply(t, na2, g, skip_arm, e2, sizeof e2) != 0) {
            snprintf(err, errlen, "%s (in arm \"%s\")", e2, name);
            goto done;
        }
        if (com_validate(&arm->com, e2, sizeof e2) != 0) {
            char e3[1024];
            place_msg(&cfg, g, path, e2, e3, sizeof e3);
            snprintf(err, errlen, "%s (in arm \"%s\")", e3, name);
            goto done;
        }
        s->narms++;
    }
    rc = load_targets(s, &cfg, path, err, errlen);
done:
    if (rc != 0 && fix && text2 && !strncmp(err, "<scenario>:", 11)) { /* read from memory: no file name of its own */
        char tmp[1024];
        snprintf(tmp, sizeof tmp, "%s%s", path, err + 10);
        snprintf(err, errlen, "%s", tmp);
    }
    if (rc != 0 && fix) fix_include_name(err, errlen, path, config_get_include_dir(&cfg));
    if (rc != 0 && fix && text2) { /* an absolute include's file as rewritten, [DIR/]../../X: back to /X */
        size_t k = strncmp(err, d, strlen(d)) == 0 && err[strlen(d)] == '/' ? strlen(d) + 1 : 0;
        if (up[0] && !strncmp(err + k, up, strlen(up))) memmove(err, err + k + strlen(up) - 1, strlen(err + k + strlen(up) - 1) + 1);
        if (err[0] == '.' && err[1] == '/' && err[2] == '/') memmove(err, err + 2, strlen(err + 2) + 1);
    }
    config_destroy(&cfg);
    free(dir);
    free(text2);
    if (rc != 0) {
        scen_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

void scen_free(scenario *s)
{
    if (!s) return;
    free(s->path);
    free(s->text);
    free(s);
}

int scen_set(scenario *s, const char *path, const char *value, char *err, size_t errlen)
{
    if (strncmp(path, "scenario.", 9) == 0) {
        opt_table t = {scen_opts, &s->run};
        if (opt_set(&t, 1, path, value, err, errlen) != 0) return -1;
        if (bad_utf8(s->run.name, "scenario.name", NULL, NULL, "--set", err, errlen)) return -1;
        s->seed = (uint64_t)s->run.seed;
        return finish_run(s, "--set", NULL, err, errlen);
    }
    for (int a = 0; a < s->narms; a++) {
        opt_table t[COM_MAX_TABLES];
        int nt = com_tables(&s->arms[a].com, t, COM_MAX_TABLES);
        if (opt_set(t, nt, path, value, err, errlen) != 0) return -1;
        if (com_validate(&s->arms[a].com, err, errlen) != 0) return -1;
    }
    return 0;
}

char *scen_settings_text(const scenario *s, int a)
{
    scen_run run = s->run;
    scen_arm arm = s->arms[a];
    /* the seed in effect (--seed may override the file's) */
    int big = s->seed > 2147483647u;
    if (!big) run.seed = (int)s->seed;
    opt_table t[COM_MAX_TABLES + 1] = {{scen_opts, &run}};
    int nt = 1 + com_tables(&arm.com, t + 1, COM_MAX_TABLES);
    char *text = opt_format(t, nt);
    if (text && big) { /* beyond libconfig's int: say so in a comment */
        size_t n = strlen(text);
        char *more = realloc(text, n + 64);
        if (!more) { free(text); return NULL; }
        snprintf(more + n, 64, "# master seed in effect: %llu\n", (unsigned long long)s->seed);
        text = more;
    }
    return text;
}
