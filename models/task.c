/* task.c -- batch plans: arms, points (fixed overrides, grids, Latin
 * hypercubes) and the task index.  Values are kept as text, exactly what
 * scen_set() parses, so the value a run used is the value the points table
 * names.
 */
#include "task.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "rng.h"

#define MAX_POINTS 10000000
#define VALIDATE_POINTS 10000 /* points tried at plan time (a few us each) */
/* Stream id of the LHS draws (a family of its own, apart from the model's). */
#define LHS_STREAM RNG_STREAM(0x4c485321u, 0)

typedef struct tvar {
    char *path;
    int n;        /* values: 1 (fixed), grid list length, or npoints (LHS) */
    char **vals;
    int varied;
    int64_t stride; /* grid: points per step of this variable */
} tvar;

struct task_plan {
    task_design design;
    int narms, arms[SCEN_MAX_ARMS];
    int npoints, reps;
    int nvars;
    tvar *vars;
};

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

void task_plan_free(task_plan *p)
{
    if (!p) return;
    for (int i = 0; i < p->nvars; i++) {
        for (int j = 0; j < p->vars[i].n; j++) free(p->vars[i].vals[j]);
        free(p->vars[i].vals);
        free(p->vars[i].path);
    }
    free(p->vars);
    free(p);
}

/* Strip one pair of enclosing brackets ("[8,20]" -> "8,20"), in place. */
static char *unbracket(char *v)
{
    size_t n = strlen(v);
    if (n >= 2 && v[0] == '[' && v[n - 1] == ']') {
        v[n - 1] = '\0';
        return v + 1;
    }
    return v;
}

/* Split "v1,v2,[a,b],..." at top-level commas into var->vals. 0 or -1. */
static int split_list(tvar *var, const char *list, char *err, size_t errlen)
{
    int depth = 0, cap = 0;
    const char *start = list;
    for (const char *c = list;; c++) {
        if (*c == '[') depth++;
        else if (*c == ']') depth--;
        if (depth < 0) {
            snprintf(err, errlen, "--set %s: unbalanced ']'", var->path);
            return -1;
        }
        if ((*c == ',' && depth == 0) || *c == '\0') {
            if (depth != 0) {
                snprintf(err, errlen, "--set %s: unbalanced '['", var->path);
                return -1;
            }
            char *v = dupn(start, (size_t)(c - start));
            if (!v) goto oom;
            char *u = unbracket(v);
            if (!*u) {
                free(v);
                snprintf(err, errlen, "--set %s: empty value in the list \"%s\"", var->path, list);
                return -1;
            }
            if (u != v) memmove(v, u, strlen(u) + 1);
            if (var->n == cap) {
                cap = cap ? 2 * cap : 8;
                char **nv = realloc(var->vals, (size_t)cap * sizeof *nv);
                if (!nv) {
                    free(v);
                    goto oom;
                }
                var->vals = nv;
            }
            var->vals[var->n++] = v;
            if (*c == '\0') break;
            start = c + 1;
        }
    }
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

/* Is v a valid value of path (type and bounds; checks against other
 * settings come with the whole point)?  Tried on a scratch copy of sc.
 * 0 or -1 with a message. */
static int try_value(const scenario *sc, scenario *scratch, const char *path, const char *v, char *err,
                     size_t errlen)
{
    *scratch = *sc;
    char e[512];
    int rc;
    if (!strncmp(path, "scenario.", 9))
        rc = scen_set(scratch, path, v, e, sizeof e);
    else {
        opt_table t[COM_MAX_TABLES];
        int nt = com_tables(&scratch->arms[0].com, t, COM_MAX_TABLES);
        rc = opt_set(t, nt, path, v, e, sizeof e);
    }
    if (rc != 0) {
        snprintf(err, errlen, "--set %s=%s: %s", path, v, e);
        return -1;
    }
    return 0;
}

/* Set n settings in every arm of s, then check the combination once (a
 * setting checked against another, e.g. operator.types against
 * operator.hours, may be invalid between two of the sets).  scenario.*
 * paths go through scen_set.  0, or -1 with `setting "x": reason`. */
static int set_many(scenario *s, const char *const *paths, const char *const *vals, int n, char *err,
                    size_t errlen)
{
    int model = 0;
    for (int i = 0; i < n; i++) {
        if (strncmp(paths[i], "scenario.", 9)) {
            model = 1;
            continue;
        }
        if (scen_set(s, paths[i], vals[i], err, errlen) != 0) return -1;
    }
    if (!model) return 0;
    for (int a = 0; a < s->narms; a++) {
        opt_table t[COM_MAX_TABLES];
        int nt = com_tables(&s->arms[a].com, t, COM_MAX_TABLES);
        for (int i = 0; i < n; i++)
            if (strncmp(paths[i], "scenario.", 9) && opt_set(t, nt, paths[i], vals[i], err, errlen) != 0)
                return -1;
        if (com_validate(&s->arms[a].com, err, errlen) != 0) return -1;
    }
    return 0;
}

/* The row of a setting path (scenario.* or model), or NULL. */
static const opt_row *find_row(const char *path)
{
    for (const opt_row *r = scen_opts; r->path; r++)
        if (!strcmp(r->path, path)) return r;
    com_params dummy;
    opt_table t[COM_MAX_TABLES];
    int n = com_tables(&dummy, t, COM_MAX_TABLES);
    return opt_find(t, n, path, NULL);
}

static int parse_num(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

/* Latin hypercube values for the LHS variable var over [lo, hi]. */
static int lhs_fill(tvar *var, const opt_row *row, double lo, double hi, int n, gsl_rng *r)
{
    int *perm = malloc((size_t)n * sizeof *perm);
    var->vals = calloc((size_t)n, sizeof *var->vals);
    if (!perm || !var->vals) {
        free(perm);
        return -1;
    }
    var->n = n;
    for (int i = 0; i < n; i++) perm[i] = i;
    gsl_ran_shuffle(r, perm, (size_t)n, sizeof *perm);
    for (int i = 0; i < n; i++) {
        double u = (perm[i] + gsl_rng_uniform(r)) / n; /* in stratum perm[i] of n */
        char buf[64];
        if (row->type == OPT_INT) {
            /* integer strata: lo..hi each as likely, stratified as far as n allows */
            double x = lo + floor(u * (hi - lo + 1.0));
            if (x > hi) x = hi;
            snprintf(buf, sizeof buf, "%.0f", x);
        } else {
            double x = lo + u * (hi - lo);
            if (x > hi) x = hi;
            snprintf(buf, sizeof buf, "%.10g", x);
        }
        if (!(var->vals[i] = dupn(buf, strlen(buf)))) {
            free(perm);
            return -1;
        }
    }
    free(perm);
    return 0;
}

int task_plan_new(task_plan **out, scenario *sc, task_design design, const int *arms, int narms,
                  const char *const *sets, int nsets, int samples, char *err, size_t errlen)
{
    *out = NULL;
    task_plan *p = calloc(1, sizeof *p);
    scenario *scratch = malloc(sizeof *scratch);
    gsl_rng *r = NULL;
    if (!p || !scratch || (nsets > 0 && !(p->vars = calloc((size_t)nsets, sizeof *p->vars)))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (narms < 1 || narms > SCEN_MAX_ARMS) {
        snprintf(err, errlen, "a plan needs 1..%d arms", SCEN_MAX_ARMS);
        goto fail;
    }
    for (int k = 0; k < narms; k++) {
        if (arms[k] < 0 || arms[k] >= sc->narms) {
            snprintf(err, errlen, "arm index %d out of range", arms[k]);
            goto fail;
        }
        for (int j = 0; j < k; j++)
            if (arms[j] == arms[k]) {
                snprintf(err, errlen, "arm \"%s\" given twice", sc->arms[arms[k]].name);
                goto fail;
            }
        p->arms[k] = arms[k];
    }
    p->narms = narms;
    p->design = design;
    if (design == TASK_LHS && (samples < 1 || samples > MAX_POINTS)) {
        snprintf(err, errlen, "--samples must be 1..%d", MAX_POINTS);
        goto fail;
    }
    if (design == TASK_LHS) r = gsl_rng_alloc(gsl_rng_mt19937);
    if (design == TASK_LHS && !r) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (r) gsl_rng_set(r, (unsigned long)rng_seed(sc->seed, 0, LHS_STREAM));

    /* Pass 1: parse; apply fixed settings to sc in the order given. */
    for (int i = 0; i < nsets; i++) {
        const char *eq = strchr(sets[i], '=');
        if (!eq || eq == sets[i]) {
            snprintf(err, errlen, "--set wants PATH=VALUE, got \"%s\"", sets[i]);
            goto fail;
        }
        tvar *var = &p->vars[p->nvars];
        if (!(var->path = dupn(sets[i], (size_t)(eq - sets[i])))) goto oom;
        p->nvars++;
        const char *v = eq + 1;
        for (int j = 0; j + 1 < p->nvars; j++)
            if (!strcmp(p->vars[j].path, var->path) && (p->vars[j].varied || design != TASK_RUN)) {
                snprintf(err, errlen, "--set %s: given twice", var->path);
                goto fail;
            }
        if (design == TASK_RUN) {
            var->vals = malloc(sizeof *var->vals);
            if (!var->vals || !(var->vals[0] = dupn(v, strlen(v)))) goto oom;
            var->n = 1;
            char *u = unbracket(var->vals[0]);
            if (u != var->vals[0]) memmove(var->vals[0], u, strlen(u) + 1);
        } else if (design == TASK_LHS && strchr(v, ':')) {
            const opt_row *row = find_row(var->path);
            const char *colon = strchr(v, ':');
            char lo_s[64], hi_s[64];
            double lo, hi;
            snprintf(lo_s, sizeof lo_s, "%.*s", (int)(colon - v), v);
            snprintf(hi_s, sizeof hi_s, "%s", colon + 1);
            if (!row) {
                snprintf(err, errlen, "--set %s: unknown setting", var->path);
                goto fail;
            }
            if (row->type != OPT_INT && row->type != OPT_DOUBLE) {
                snprintf(err, errlen, "--set %s=%s: a range needs a numeric setting", var->path, v);
                goto fail;
            }
            if (parse_num(lo_s, &lo) || parse_num(hi_s, &hi) || !(lo < hi)) {
                snprintf(err, errlen, "--set %s=%s: want lo:hi with numbers lo < hi", var->path, v);
                goto fail;
            }
            if (row->type == OPT_INT && (lo != floor(lo) || hi != floor(hi))) {
                snprintf(err, errlen, "--set %s=%s: an integer setting needs integer ends", var->path, v);
                goto fail;
            }
            if (try_value(sc, scratch, var->path, lo_s, err, errlen) ||
                try_value(sc, scratch, var->path, hi_s, err, errlen))
                goto fail;
            var->varied = 1;
            if (lhs_fill(var, row, lo, hi, samples, r)) goto oom;
        } else {
            if (split_list(var, v, err, errlen)) goto fail;
            if (design == TASK_LHS && var->n > 1) {
                snprintf(err, errlen, "--set %s=%s: an LHS design takes ranges lo:hi or one fixed value",
                         var->path, v);
                goto fail;
            }
            var->varied = var->n > 1;
        }
        if (var->varied && !strncmp(var->path, "scenario.", 9)) {
            snprintf(err, errlen, "--set %s: scenario.* settings hold for the whole batch; they cannot vary",
                     var->path);
            goto fail;
        }
        if (var->varied && design == TASK_GRID)
            for (int j = 0; j < var->n; j++)
                if (try_value(sc, scratch, var->path, var->vals[j], err, errlen)) goto fail;
        if (!var->varied && try_value(sc, scratch, var->path, var->vals[0], err, errlen)) goto fail;
    }
    /* the fixed settings, together, into every arm of sc */
    {
        const char **paths = calloc((size_t)p->nvars + 1, sizeof *paths);
        const char **vals = calloc((size_t)p->nvars + 1, sizeof *vals);
        int nf = 0, rc = -1;
        char e[512];
        if (paths && vals) {
            for (int i = 0; i < p->nvars; i++)
                if (!p->vars[i].varied) {
                    paths[nf] = p->vars[i].path;
                    vals[nf++] = p->vars[i].vals[0];
                }
            rc = set_many(sc, paths, vals, nf, e, sizeof e);
            if (rc) snprintf(err, errlen, "--set: %s", e);
        } else
            snprintf(err, errlen, "out of memory");
        free(paths);
        free(vals);
        if (rc) goto fail;
    }
    /* Pass 2: points and grid strides (the last variable varies fastest). */
    int64_t np = 1;
    if (design == TASK_LHS) np = samples;
    else if (design == TASK_GRID)
        for (int i = p->nvars - 1; i >= 0; i--) {
            p->vars[i].stride = np;
            if (p->vars[i].varied) np *= p->vars[i].n;
            if (np > MAX_POINTS) {
                snprintf(err, errlen, "the grid has more than %d points", MAX_POINTS);
                goto fail;
            }
        }
    p->npoints = (int)np;
    p->reps = sc->run.reps;
    /* settings checked together (e.g. group.size <= group.cap) can fail for
     * a combination only: try the points now rather than fail mid-batch */
    for (int pt = 0; pt < p->npoints && pt < VALIDATE_POINTS; pt++) {
        char e[768];
        if (task_apply(p, pt, sc, scratch, e, sizeof e) != 0) {
            char *t = task_point_text(p, pt);
            for (char *c = t; c && *c; c++)
                if (*c == '\n') *c = ' ';
            snprintf(err, errlen, "%s (settings: %s)", e, t ? t : "?");
            free(t);
            goto fail;
        }
    }
    if (p->reps < 1) {
        snprintf(err, errlen, "reps must be at least 1");
        goto fail;
    }
    free(scratch);
    gsl_rng_free(r);
    *out = p;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    free(scratch);
    gsl_rng_free(r);
    task_plan_free(p);
    return -1;
}

task_design task_plan_design(const task_plan *p) { return p->design; }
int task_npoints(const task_plan *p) { return p->npoints; }
int task_narms(const task_plan *p) { return p->narms; }
int task_reps(const task_plan *p) { return p->reps; }
int64_t task_count(const task_plan *p) { return (int64_t)p->npoints * p->reps * p->narms; }
int task_arm(const task_plan *p, int k) { return p->arms[k]; }

int64_t task_index(const task_plan *p, int point, int k, int rep)
{
    return ((int64_t)point * p->reps + rep) * p->narms + k;
}

void task_decode(const task_plan *p, int64_t t, int *point, int *k, int *rep)
{
    *k = (int)(t % p->narms);
    t /= p->narms;
    *rep = (int)(t % p->reps);
    *point = (int)(t / p->reps);
}

int task_nvars(const task_plan *p) { return p->nvars; }
const char *task_var_path(const task_plan *p, int i) { return p->vars[i].path; }
int task_var_varied(const task_plan *p, int i) { return p->vars[i].varied; }

const char *task_value(const task_plan *p, int point, int i)
{
    const tvar *v = &p->vars[i];
    if (!v->varied) return v->vals[0];
    if (p->design == TASK_LHS) return v->vals[point];
    return v->vals[(point / v->stride) % v->n];
}

char *task_point_text(const task_plan *p, int point)
{
    size_t n = 1;
    for (int i = 0; i < p->nvars; i++) n += strlen(p->vars[i].path) + strlen(task_value(p, point, i)) + 2;
    char *s = malloc(n), *w = s;
    if (!s) return NULL;
    *w = '\0';
    for (int i = 0; i < p->nvars; i++) {
        /* a later fixed --set of the same path overrides an earlier one: name the last */
        int later = 0;
        for (int j = i + 1; j < p->nvars; j++) later |= !strcmp(p->vars[j].path, p->vars[i].path);
        if (later) continue;
        w += sprintf(w, "%s=%s\n", p->vars[i].path, task_value(p, point, i));
    }
    return s;
}

int task_apply(const task_plan *p, int point, const scenario *base, scenario *dst, char *err, size_t errlen)
{
    *dst = *base;
    enum { NV = 64 };
    const char *paths[NV], *vals[NV];
    int n = 0;
    for (int i = 0; i < p->nvars; i++) {
        if (!p->vars[i].varied) continue;
        if (n == NV) {
            /* more varied settings than fit: set the first NV, go on */
            if (set_many(dst, paths, vals, n, err, errlen)) return -1;
            n = 0;
        }
        paths[n] = p->vars[i].path;
        vals[n++] = task_value(p, point, i);
    }
    char e[512];
    if (n && set_many(dst, paths, vals, n, e, sizeof e) != 0) {
        snprintf(err, errlen, "point %d: %s", point, e);
        return -1;
    }
    return 0;
}

/* A growable string. */
typedef struct sb { char *p; size_t n, cap; int oom; } sb;

static void sb_add(sb *b, const char *s)
{
    size_t k = strlen(s);
    if (b->oom) return;
    if (b->n + k + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 1024;
        while (nc < b->n + k + 1) nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np) { b->oom = 1; return; }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, k + 1);
    b->n += k;
}

char *task_plan_key(const task_plan *p, const scenario *sc, const char *kind)
{
    static const char *const dname[] = {"run", "grid", "lhs"};
    sb b = {NULL, 0, 0, 0};
    char line[256];
    snprintf(line, sizeof line, "qunsim batch plan 1\nkind: %s\ndesign: %s\nversion: %s\nseed: %llu\n"
             "reps: %d\npoints: %d\narms: %d\n", kind, dname[p->design],
#ifdef QS_VERSION
             QS_VERSION,
#else
             "unknown",
#endif
             (unsigned long long)sc->seed, p->reps, p->npoints, p->narms);
    sb_add(&b, line);
    for (int k = 0; k < p->narms; k++) {
        char *t = scen_settings_text(sc, p->arms[k]);
        if (!t) b.oom = 1;
        snprintf(line, sizeof line, "arm %d: ", k);
        sb_add(&b, line);
        sb_add(&b, sc->arms[p->arms[k]].name);
        sb_add(&b, "\n");
        if (t) sb_add(&b, t);
        free(t);
    }
    for (int pt = 0; pt < p->npoints && !b.oom; pt++) {
        char *t = task_point_text(p, pt);
        if (!t) b.oom = 1;
        snprintf(line, sizeof line, "point %d:\n", pt);
        sb_add(&b, line);
        if (t) sb_add(&b, t);
        free(t);
    }
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
