/* cmd_targets.c -- `qunsim replay` and `qunsim calibrate`: run scenarios that declare targets
 * (reported outcomes, e.g. the seed's case table) and print the model's
 * figure, its 90% interval over replications and the reported figure side by
 * side.  Replications run on all cores; results do not depend on the thread
 * count (each replication's numbers land in its own slot). */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "jsonout.h"
#include "cmd.h"
#include "replica.h"
#include "scenario.h"
#include "summary.h"

typedef struct job {
    const scenario *sc;
    int reps, nthreads;
    int narms, arms[SCEN_MAX_ARMS];     /* arms the targets need */
    int nmet;
    const char *met[SCEN_MAX_TARGETS];  /* metrics the targets need */
    double *val;                        /* [arm slot][metric][rep] */
    int failed;
    char err[1024];
    pthread_mutex_t lock;
} job;

typedef struct worker { job *j; int id; } worker;

static double *slot(job *j, int a, int m, int r) { return &j->val[((size_t)a * (size_t)j->nmet + (size_t)m) * (size_t)j->reps + (size_t)r]; }

static void *work(void *arg)
{
    worker *w = arg;
    job *j = w->j;
    for (int a = 0; a < j->narms; a++)
        for (int r = w->id; r < j->reps; r += j->nthreads) {
            if (j->failed) return NULL;
            met_t *met = NULL;
            char err[512];
            if (rep_run(j->sc, j->arms[a], r, NULL, &met, NULL, err, sizeof err) != 0) {
                pthread_mutex_lock(&j->lock);
                if (!j->failed) snprintf(j->err, sizeof j->err, "arm %s, replication %d: %s", j->sc->arms[j->arms[a]].name, r, err);
                j->failed = 1;
                pthread_mutex_unlock(&j->lock);
                return NULL;
            }
            for (int m = 0; m < j->nmet; m++) {
                double v = NAN;
                met_get(met, 0, j->met[m], &v);
                *slot(j, a, m, r) = v;
            }
            met_close(met);
        }
    return NULL;
}

static int index_of(const char *const *v, int n, const char *s)
{
    for (int i = 0; i < n; i++) if (!strcmp(v[i], s)) return i;
    return -1;
}

static int arm_slot(const job *j, int arm)
{
    for (int i = 0; i < j->narms; i++) if (j->arms[i] == arm) return i;
    return -1;
}

/* Run every arm a scenario's targets need, R replications each. */
static int run_job(job *j, int nthreads)
{
    const scenario *sc = j->sc;
    for (int t = 0; t < sc->ntargets; t++) {
        const scen_target *x = &sc->targets[t];
        int a = scen_arm_index(sc, x->arm), b = x->is_ratio ? scen_arm_index(sc, x->ratio_to) : -1;
        if (arm_slot(j, a) < 0) j->arms[j->narms++] = a;
        if (b >= 0 && arm_slot(j, b) < 0) j->arms[j->narms++] = b;
        if (index_of(j->met, j->nmet, x->metric) < 0) j->met[j->nmet++] = x->metric;
    }
    j->val = malloc(sizeof(double) * (size_t)j->narms * (size_t)j->nmet * (size_t)j->reps);
    if (!j->val) { snprintf(j->err, sizeof j->err, "out of memory"); return -1; }
    if (nthreads < 1) nthreads = 1;
    if (nthreads > 64) nthreads = 64;
    j->nthreads = nthreads < j->reps ? nthreads : j->reps;
    pthread_mutex_init(&j->lock, NULL);
    pthread_t th[64];
    worker w[64];
    for (int k = 0; k < j->nthreads; k++) {
        w[k].j = j;
        w[k].id = k;
    }
    int started = 0;
    for (int k = 0; k < j->nthreads; k++) {
        if (pthread_create(&th[k], NULL, work, &w[k]) != 0) break;
        started++;
    }
    if (started < j->nthreads) { /* run the rest here: results are the same */
        for (int k = started; k < j->nthreads; k++) work(&w[k]);
    }
    for (int k = 0; k < started; k++) pthread_join(th[k], NULL);
    pthread_mutex_destroy(&j->lock);
    return j->failed ? -1 : 0;
}

typedef struct figure { double model, lo, hi; int ok; } figure;

static void target_figure(job *j, const scen_target *x, figure *f)
{
    int a = arm_slot(j, scen_arm_index(j->sc, x->arm)), m = index_of(j->met, j->nmet, x->metric);
    double *v = malloc(sizeof(double) * (size_t)j->reps);
    int n = 0;
    double sa = 0, sb = 0;
    int na = 0, nb = 0;
    int b = x->is_ratio ? arm_slot(j, scen_arm_index(j->sc, x->ratio_to)) : -1;
    for (int r = 0; r < j->reps; r++) {
        double va = *slot(j, a, m, r), vb = b >= 0 ? *slot(j, b, m, r) : NAN;
        if (!isnan(va)) { sa += va; na++; }
        if (!isnan(vb)) { sb += vb; nb++; }
        if (!v) continue;
        if (!x->is_ratio && !isnan(va)) v[n++] = va;
        if (x->is_ratio && !isnan(va) && !isnan(vb) && vb != 0) v[n++] = va / vb; /* paired ratio */
    }
    f->model = x->is_ratio ? (na && nb && sb != 0 ? (sa / na) / (sb / nb) : NAN) : (na ? sa / na : NAN);
    f->lo = f->hi = NAN;
    if (v && n > 0) {
        gsl_sort(v, 1, (size_t)n);
        f->lo = gsl_stats_quantile_from_sorted_data(v, 1, (size_t)n, 0.05);
        f->hi = gsl_stats_quantile_from_sorted_data(v, 1, (size_t)n, 0.95);
    }
    free(v);
    f->ok = !isnan(f->model) && (x->is_ratio ? fabs(f->model / x->reported - 1) <= x->tolerance
                                              : fabs(f->model - x->reported) <= x->tolerance);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: qunsim replay SCENARIO... [--reps R] [--threads N] [--seed S] [--format table|csv|json] [--check]\n"
               "  runs the arms each scenario's targets name and compares the model with the reported figures;\n"
               "  --check: exit 1 if any figure is outside its tolerance\n");
}

int cmd_replay(int argc, char **argv)
{
    int reps = 100, check = 0, has_seed = 0;
    long nthreads = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned long long seed = 0;
    const char *format = "table";
    const char *files[256];
    int nfiles = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end;
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) { usage(stdout); return QS_EXIT_OK; }
        else if (!strcmp(o, "--check")) check = 1;
        else if (!strcmp(o, "--reps") && v) { reps = (int)strtol(v, &end, 10); i++; if (*end || reps < 2 || reps > 1000000) { fprintf(stderr, "qunsim replay: --reps must be 2..1000000\n"); return QS_EXIT_USAGE; } }
        else if (!strcmp(o, "--threads") && v) { nthreads = strtol(v, &end, 10); i++; if (*end || nthreads < 1 || nthreads > 64) { fprintf(stderr, "qunsim replay: --threads must be 1..64\n"); return QS_EXIT_USAGE; } }
        else if (!strcmp(o, "--seed") && v) { errno = 0; seed = strtoull(v, &end, 10); i++; has_seed = 1; if (*end || errno || v[0] == '-' || seed > INT64_MAX) { fprintf(stderr, "qunsim replay: --seed must be an integer 0..9223372036854775807\n"); return QS_EXIT_USAGE; } }
        else if (!strcmp(o, "--format") && v) { format = v; i++; if (strcmp(format, "table") && strcmp(format, "csv") && strcmp(format, "json")) { fprintf(stderr, "qunsim replay: --format must be table, csv or json\n"); return QS_EXIT_USAGE; } }
        else if (o[0] == '-') { fprintf(stderr, "qunsim replay: unknown option or missing value '%s'\n", o); usage(stderr); return QS_EXIT_USAGE; }
        else if (nfiles < 256) files[nfiles++] = o;
    }
    if (nfiles == 0) { usage(stderr); return QS_EXIT_USAGE; }
    if (nthreads < 1) nthreads = 1;
    if (nthreads > 64) nthreads = 64;
    int table = !strcmp(format, "table"), csv = !strcmp(format, "csv"), nrow = 0, off = 0, rc = QS_EXIT_OK;
    if (table) printf("%-16s %-44s %9s %9s %-21s %s\n", "case", "figure", "reported", "model", "90% of replications", "within");
    if (csv) printf("scenario,arm,metric,ratio_to,reported,model,lo90,hi90,tolerance,within,source\n");
    if (!strcmp(format, "json")) printf("[");
    for (int fi = 0; fi < nfiles; fi++) {
        scenario *sc = NULL;
        char err[1024];
        if (scen_load(&sc, files[fi], err, sizeof err) != 0) { fprintf(stderr, "qunsim: %s\n", err); rc = QS_EXIT_USAGE; break; }
        if (has_seed) sc->seed = seed;
        if (sc->ntargets == 0) { fprintf(stderr, "qunsim replay: %s declares no targets; skipped\n", files[fi]); scen_free(sc); continue; }
        job j;
        memset(&j, 0, sizeof j);
        j.sc = sc;
        j.reps = reps;
        if (run_job(&j, (int)nthreads) != 0) {
            fprintf(stderr, "qunsim replay: %s: %s\n", files[fi], j.err);
            free(j.val);
            scen_free(sc);
            rc = QS_EXIT_FAIL;
            break;
        }
        for (int t = 0; t < sc->ntargets; t++) {
            const scen_target *x = &sc->targets[t];
            figure f;
            target_figure(&j, x, &f);
            off += !f.ok;
            char what[160], iv[64];
            if (x->is_ratio) snprintf(what, sizeof what, "%s %s / %s", x->metric, x->arm, x->ratio_to);
            else snprintf(what, sizeof what, "%s %s", x->metric, x->arm);
            snprintf(iv, sizeof iv, "[%.4g, %.4g]", f.lo, f.hi);
            if (table)
                printf("%-16.16s %-44.44s %9.4g %9.4g %-21s %s (%s%g%s)\n", sc->run.name, what, x->reported, f.model, iv,
                       f.ok ? "yes" : "NO", x->is_ratio ? "+/-" : "+/-", x->is_ratio ? x->tolerance * 100 : x->tolerance * 100,
                       x->is_ratio ? "%" : "pp");
            else if (csv)
            {
                csv_str(sc->run.name); putchar(',');
                csv_str(x->arm); putchar(',');
                csv_str(x->metric); putchar(',');
                csv_str(x->ratio_to);
                printf(",%.6g,%.6g,%.6g,%.6g,%.6g,%s,", x->reported, f.model, f.lo, f.hi, x->tolerance, f.ok ? "yes" : "no");
                csv_str(x->source);
                putchar('\n');
            }
            else {
                printf("%s\n {\"scenario\": ", nrow ? "," : "");
                json_str(sc->run.name);
                printf(", \"arm\": "); json_str(x->arm);
                printf(", \"metric\": "); json_str(x->metric);
                printf(", \"ratio_to\": "); json_str(x->ratio_to);
                printf(", \"reported\": %.6g, \"model\": %.6g, \"lo90\": %.6g, \"hi90\": %.6g, \"tolerance\": %.6g, \"within\": %s, \"source\": ",
                       x->reported, isnan(f.model) ? 0 : f.model, isnan(f.lo) ? 0 : f.lo, isnan(f.hi) ? 0 : f.hi, x->tolerance,
                       f.ok ? "true" : "false");
                json_str(x->source);
                printf("}");
            }
            nrow++;
        }
        fflush(stdout);
        free(j.val);
        scen_free(sc);
    }
    if (!strcmp(format, "json")) printf("\n]\n");
    if (table && rc == QS_EXIT_OK) printf("\n%d figure(s), %d outside tolerance; %d replications per arm\n", nrow, off, reps);
    if (rc == QS_EXIT_OK && check && off) rc = QS_EXIT_FAIL;
    return rc;
}

/* ---- qunsim calibrate SCENARIO --fit PATH[,PATH...] ---- */

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>

#include "opt.h"

typedef struct fit_ctx {
    const scenario *base;
    const char *paths[8];
    int npaths, reps, nthreads, evals;
    double lo[8], hi[8];
    int integer[8];     /* an integer setting: candidates are rounded */
    double last_resid;
    char err[1024];
    int failed;
} fit_ctx;

/* Parameters are fitted on [0,1] through a logistic map onto [lo, hi], so
 * the unconstrained simplex never leaves the settings' ranges. */
static double to_value(const fit_ctx *c, int k, double z)
{
    double v = c->lo[k] + (c->hi[k] - c->lo[k]) / (1 + exp(-z));
    return c->integer[k] ? round(v) : v;
}
static double to_z(const fit_ctx *c, int k, double v)
{
    double u = (v - c->lo[k]) / (c->hi[k] - c->lo[k]);
    if (u < 1e-6) u = 1e-6;
    if (u > 1 - 1e-6) u = 1 - 1e-6;
    return log(u / (1 - u));
}

static double objective(const gsl_vector *z, void *arg)
{
    fit_ctx *c = arg;
    if (c->failed) return GSL_POSINF;
    scenario sc = *c->base;
    char err[512], val[64];
    for (int k = 0; k < c->npaths; k++) {
        snprintf(val, sizeof val, "%.10g", to_value(c, k, gsl_vector_get(z, (size_t)k)));
        if (scen_set(&sc, c->paths[k], val, err, sizeof err) != 0) return 1e12; /* e.g. cross-setting limits */
    }
    job j;
    memset(&j, 0, sizeof j);
    j.sc = &sc;
    j.reps = c->reps;
    double s = 0;
    if (run_job(&j, c->nthreads) != 0) {
        snprintf(c->err, sizeof c->err, "%s", j.err);
        c->failed = 1;
        free(j.val);
        return GSL_POSINF;
    }
    for (int t = 0; t < sc.ntargets; t++) {
        figure f;
        target_figure(&j, &sc.targets[t], &f);
        const scen_target *x = &sc.targets[t];
        double e = x->is_ratio ? (f.model / x->reported - 1) / x->tolerance : (f.model - x->reported) / x->tolerance;
        s += isnan(e) ? 1e6 : e * e;
    }
    free(j.val);
    c->evals++;
    c->last_resid = s;
    return s;
}

int cmd_calibrate(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--live")) return cmd_calibrate_live(argc, argv); /* from a live log: cli/cmd_live.c */
    fit_ctx c;
    memset(&c, 0, sizeof c);
    c.reps = 30;
    c.nthreads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    int maxit = 60;
    const char *file = NULL;
    char fitbuf[512] = "";
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end;
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            printf("usage: qunsim calibrate SCENARIO --fit PATH[:LO:HI][,PATH...] [--reps R] [--iter N] [--threads N]\n"
                   "  fits the named numeric settings so that the scenario's targets are met (simulation-based,\n"
                   "  common random numbers, GSL's Nelder-Mead simplex); prints the fitted values as --set\n"
                   "  options, the achieved figures and the residual\n"
                   "  --fit PATH[:LO:HI]  settings to fit, with optional bounds (comma-separated)\n"
                   "  --reps R            replications per evaluation (default 30)\n"
                   "  --iter N            simplex iterations (default 60)\n"
                   "  --threads N         worker threads (default: all cores)\n"
                   "       qunsim calibrate --live LIVE.db [--run ID] [--group G] [--from D --to D] [--out SCENARIO.cfg]\n"
                   "  fits a scenario to an imported log instead (see qunsim calibrate --live X --help and\n"
                   "  docs/calibration.md)\n"
                   "exit status: 0 done, 2 usage or scenario error, 1 failure\n");
            return QS_EXIT_OK;
        }
        else if (!strcmp(o, "--fit") && v) { snprintf(fitbuf, sizeof fitbuf, "%s", v); i++; }
        else if (!strcmp(o, "--reps") && v) { c.reps = (int)strtol(v, &end, 10); i++; if (*end || c.reps < 2) { fprintf(stderr, "qunsim calibrate: bad --reps\n"); return QS_EXIT_USAGE; } }
        else if (!strcmp(o, "--iter") && v) { maxit = (int)strtol(v, &end, 10); i++; if (*end || maxit < 1) { fprintf(stderr, "qunsim calibrate: bad --iter\n"); return QS_EXIT_USAGE; } }
        else if (!strcmp(o, "--threads") && v) { c.nthreads = (int)strtol(v, &end, 10); i++; if (*end || c.nthreads < 1 || c.nthreads > 64) { fprintf(stderr, "qunsim calibrate: bad --threads\n"); return QS_EXIT_USAGE; } }
        else if (o[0] == '-') { fprintf(stderr, "qunsim calibrate: unknown option or missing value '%s'\n", o); return QS_EXIT_USAGE; }
        else file = o;
    }
    if (!file || !fitbuf[0]) { fprintf(stderr, "usage: qunsim calibrate SCENARIO --fit PATH[,PATH...]\n"); return QS_EXIT_USAGE; }
    scenario *sc = NULL;
    char err[1024];
    if (scen_load(&sc, file, err, sizeof err) != 0) { fprintf(stderr, "qunsim: %s\n", err); return QS_EXIT_USAGE; }
    if (sc->ntargets == 0) { fprintf(stderr, "qunsim calibrate: %s declares no targets\n", file); scen_free(sc); return QS_EXIT_USAGE; }
    c.base = sc;
    com_params tmp;
    opt_table tabs[COM_MAX_TABLES];
    int nt = com_tables(&tmp, tabs, COM_MAX_TABLES);
    for (char *save = NULL, *p = strtok_r(fitbuf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        /* PATH or PATH:LO:HI (a search range inside the setting's bounds) */
        char *colon = strchr(p, ':');
        double lo = NAN, hi = NAN;
        if (colon) {
            *colon = 0;
            if (sscanf(colon + 1, "%lf:%lf", &lo, &hi) != 2 || !(lo < hi)) {
                fprintf(stderr, "qunsim calibrate: --fit %s: want PATH:LO:HI with LO < HI\n", p);
                scen_free(sc);
                return QS_EXIT_USAGE;
            }
        }
        const opt_row *r = opt_find(tabs, nt, p, NULL);
        if (!r || (r->type != OPT_DOUBLE && r->type != OPT_INT) || c.npaths == 8) {
            fprintf(stderr, "qunsim calibrate: --fit: \"%s\" is not a numeric model setting (at most 8)\n", p);
            scen_free(sc);
            return QS_EXIT_USAGE;
        }
        c.paths[c.npaths] = p;
        c.integer[c.npaths] = r->type == OPT_INT;
        c.lo[c.npaths] = colon && lo > r->min ? lo : r->min;
        c.hi[c.npaths] = colon && hi < r->max ? hi : r->max;
        c.npaths++;
    }
    gsl_vector *z = gsl_vector_alloc((size_t)c.npaths), *step = gsl_vector_alloc((size_t)c.npaths);
    gsl_multimin_fminimizer *mm = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, (size_t)c.npaths);
    int rc = QS_EXIT_FAIL;
    if (!z || !step || !mm) { fprintf(stderr, "qunsim calibrate: out of memory\n"); goto out; }
    for (int k = 0; k < c.npaths; k++) {
        double v;
        opt_table at[COM_MAX_TABLES];
        int n2 = com_tables((com_params *)&sc->arms[0].com, at, COM_MAX_TABLES);
        if (opt_get_number(at, n2, c.paths[k], &v) != 0) v = (c.lo[k] + c.hi[k]) / 2;
        gsl_vector_set(z, (size_t)k, to_z(&c, k, v));
        gsl_vector_set(step, (size_t)k, 0.5);
    }
    gsl_multimin_function fn = {objective, (size_t)c.npaths, &c};
    if (gsl_multimin_fminimizer_set(mm, &fn, z, step) != GSL_SUCCESS || c.failed) {
        fprintf(stderr, "qunsim calibrate: %s\n", c.failed ? c.err : "cannot start the minimiser");
        goto out;
    }
    for (int it = 0; it < maxit; it++) {
        if (gsl_multimin_fminimizer_iterate(mm) != GSL_SUCCESS || c.failed) break;
        double size = gsl_multimin_fminimizer_size(mm);
        fprintf(stderr, "calibrate: iteration %d, residual %.4g, simplex size %.3g\n", it + 1, mm->fval, size);
        if (gsl_multimin_test_size(size, 1e-3) == GSL_SUCCESS || mm->fval < 1e-4) break;
    }
    if (c.failed) { fprintf(stderr, "qunsim calibrate: %s\n", c.err); goto out; }
    printf("# fitted to %d target(s) of %s with %d replications per evaluation, %d evaluations\n", sc->ntargets, file, c.reps, c.evals);
    printf("# residual (sum of squared errors in units of tolerance): %.4g\n", mm->fval);
    for (int k = 0; k < c.npaths; k++)
        printf("--set %s=%.6g\n", c.paths[k], to_value(&c, k, gsl_vector_get(mm->x, (size_t)k)));
    {
        scenario best = *sc;
        char val[64];
        for (int k = 0; k < c.npaths; k++) {
            snprintf(val, sizeof val, "%.6g", to_value(&c, k, gsl_vector_get(mm->x, (size_t)k)));
            scen_set(&best, c.paths[k], val, err, sizeof err);
        }
        job j;
        memset(&j, 0, sizeof j);
        j.sc = &best;
        j.reps = c.reps;
        if (run_job(&j, c.nthreads) == 0)
            for (int t = 0; t < best.ntargets; t++) {
                figure f;
                target_figure(&j, &best.targets[t], &f);
                printf("# %s %s%s%s: model %.4g, reported %.4g\n", best.targets[t].metric, best.targets[t].arm,
                       best.targets[t].is_ratio ? " / " : "", best.targets[t].ratio_to, f.model, best.targets[t].reported);
            }
        free(j.val);
    }
    rc = QS_EXIT_OK;
out:
    gsl_multimin_fminimizer_free(mm);
    gsl_vector_free(z);
    gsl_vector_free(step);
    scen_free(sc);
    return rc;
}
