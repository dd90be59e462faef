/* exp.c -- `qunsim run` and `qunsim sweep`: parse, load, open or resume the
 * batch, run its tasks (threads, or MPI ranks in qunsim-mpi), keep per-task
 * scalars for the summary, print it, plot daily active speakers (run).
 * Exit status: 0 done, 2 usage/scenario error, 1 failure, 130/143 stopped
 * by SIGINT/SIGTERM (finished tasks are kept; --resume continues).
 */
#include "jsonout.h"
#include "exp.h"
#include "metinfo.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "batch.h"
#include "batchdb.h"
#include "cmd.h"
#include "plot.h"
#include "store.h"
#include "summary.h"
#ifdef QS_MPI
#include "mpi_batch.h"
#endif

/* The headline metrics of the summary table, in order: one list with the
 * report's (analysis/metinfo.c), labelled for people in the table. */
#define headline mi_headline
#define NHEAD mi_nheadline

/* ---- options ------------------------------------------------------------ */

static void usage(FILE *f, exp_mode mode)
{
    if (mode == EXP_CHECK) {
        fprintf(f, "usage: qunsim check SCENARIO [--all] [--set PATH=VALUE]...\n"
                   "Validate a scenario (errors name FILE:LINE and the setting; exit 2) and print\n"
                   "its run settings, then the settings away from their defaults with each arm\n"
                   "side by side (< marks what the arms set differently).\n"
                   "  --all              instead, every effective setting of every arm, as libconfig\n"
                   "                     text (what `run` stores in runs.settings)\n"
                   "  --set PATH=VALUE   override a setting in every arm first (repeatable)\n"
                   "numbers are printed in the shortest form that reads back exactly; settings,\n"
                   "units and defaults: docs/settings.md (qunsim doc settings)\n"
                   "exit status: 0 valid, 2 usage or scenario error\n");
        return;
    }
    if (mode == EXP_SWEEP)
        fprintf(f, "usage: qunsim sweep SCENARIO --set PATH=V1,V2,... [--set ...] [options]\n"
                   "       qunsim sweep SCENARIO --design lhs --samples N --set PATH=LO:HI [--set ...] [options]\n"
                   "  --set PATH=V1,V2   grid: every combination (the first --set varies slowest);\n"
                   "                     one value is a fixed override; [a,b] is one vector value\n"
                   "  --design grid|lhs  full grid (default) or Latin hypercube\n"
                   "  --samples N        LHS points\n");
    else
        fprintf(f, "usage: qunsim run SCENARIO [options]\n"
                   "  --set PATH=VALUE   override a setting in every arm (repeatable)\n");
    fprintf(f,
            "  --arm NAME         run only this arm (repeatable; the first is the reference)\n"
            "  --reps R           replications per arm%s (default: scenario.reps)\n"
            "  --seed S           master seed (default: scenario.seed)\n"
            "  --days D           simulated days (default: scenario.days)\n"
            "  --out DIR          results directory (default: out): DIR/results.db and plots\n"
            "  --db FILE          results database (default: DIR/results.db)\n"
            "  --format F         table (default), csv or json\n"
            "  --threads N        worker threads (default: all cores); results do not depend on N\n"
            "  --resume           continue the last batch of the database with the same scenario\n"
            "                     and settings, skipping its finished tasks\n"
            "  --batch ID         continue batch ID (implies --resume)\n"
            "  --shard I/N        run only tasks whose index %% N == I (merge shards with qunsim merge)\n"
            "  --no-events        do not store the event log\n"
            "  --no-plot          do not run gnuplot\n"
            "  --quiet            no progress or file messages on stderr\n"
            "exit status: 0 done, 2 usage or scenario error, 1 failure, 130/143 stopped by\n"
            "SIGINT/SIGTERM (finished tasks are kept: run again with --resume)\n",
            mode == EXP_SWEEP ? " and point" : "");
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

void exp_args_free(exp_args *a)
{
    if (!a) return;
    free((void *)a->sets);
    a->sets = NULL;
}

int exp_parse(int argc, char **argv, exp_mode mode, exp_args *a)
{
    memset(a, 0, sizeof *a);
    a->mode = mode;
    a->out = "out";
    a->format = "table";
    a->design = mode == EXP_SWEEP ? TASK_GRID : TASK_RUN;
    a->sets = calloc((size_t)argc + 1, sizeof *a->sets);
    if (!a->sets) {
        fprintf(stderr, "qunsim: out of memory\n");
        return -1;
    }
    const char *cmd = mode == EXP_SWEEP ? "sweep" : mode == EXP_RUN ? "run" : "check";
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long x;
#define NEEDV() do { if (!v) { fprintf(stderr, "qunsim: option %s needs a value\n", o); return -1; } i++; } while (0)
#define BAD(...) do { fprintf(stderr, "qunsim: " __VA_ARGS__); fputc('\n', stderr); return -1; } while (0)
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) { usage(stdout, mode); return 1; }
        else if (!strcmp(o, "--set")) {
            NEEDV();
            if (!strchr(v, '=') || v[0] == '=') BAD("--set wants PATH=VALUE, got \"%s\"", v);
            a->sets[a->nsets++] = v;
        }
        else if (mode == EXP_CHECK && !strcmp(o, "--all")) a->all = 1;
        else if (mode == EXP_CHECK && o[0] != '-' && !a->scenario) a->scenario = o;
        else if (mode == EXP_CHECK) BAD("check: unexpected argument '%s'", o);
        else if (!strcmp(o, "--arm")) {
            NEEDV();
            if (a->narms == SCEN_MAX_ARMS) BAD("at most %d --arm", SCEN_MAX_ARMS);
            a->arms[a->narms++] = v;
        }
        else if (!strcmp(o, "--out")) { NEEDV(); a->out = v; }
        else if (!strcmp(o, "--db")) { NEEDV(); a->db = v; }
        else if (!strcmp(o, "--format")) {
            NEEDV();
            if (strcmp(v, "table") && strcmp(v, "csv") && strcmp(v, "json")) BAD("--format must be table, csv or json");
            a->format = v;
        }
        else if (!strcmp(o, "--reps")) { NEEDV(); if (parse_long(v, 1, 1000000, &x)) BAD("--reps must be an integer 1..1000000"); a->reps = (int)x; }
        else if (!strcmp(o, "--days")) { NEEDV(); if (parse_long(v, 1, 3650, &x)) BAD("--days must be an integer 1..3650"); a->days = (int)x; }
        else if (!strcmp(o, "--threads") || !strcmp(o, "-j")) { NEEDV(); if (parse_long(v, 0, 1024, &x)) BAD("--threads must be an integer 0..1024 (0: all cores)"); a->threads = (int)x; }
        else if (!strcmp(o, "--samples")) { NEEDV(); if (parse_long(v, 1, 10000000, &x)) BAD("--samples must be an integer 1..10000000"); a->samples = (int)x; }
        else if (!strcmp(o, "--seed")) {
            NEEDV();
            char *end;
            errno = 0;
            unsigned long long s = strtoull(v, &end, 10);
            /* the results database stores a seed as a signed 64-bit integer:
             * a larger one would come back negative and not be accepted again */
            if (end == v || *end || errno || v[0] == '-' || s > INT64_MAX)
                BAD("--seed must be an integer 0..9223372036854775807");
            a->seed = s;
            a->has_seed = 1;
        }
        else if (!strcmp(o, "--batch")) {
            NEEDV();
            if (parse_long(v, 1, 2147483647L, &x)) BAD("--batch must be a batch id (a positive integer)");
            a->batch = x;
            a->resume = 1;
        }
        else if (!strcmp(o, "--shard")) {
            NEEDV();
            int i0, n0, used = 0;
            if (sscanf(v, "%d/%d%n", &i0, &n0, &used) != 2 || v[used] || n0 < 1 || i0 < 0 || i0 >= n0)
                BAD("--shard wants I/N with 0 <= I < N, got \"%s\"", v);
            a->shard = i0;
            a->nshards = n0;
        }
        else if (mode == EXP_SWEEP && !strcmp(o, "--design")) {
            NEEDV();
            if (!strcmp(v, "grid")) a->design = TASK_GRID;
            else if (!strcmp(v, "lhs")) a->design = TASK_LHS;
            else BAD("--design must be grid or lhs");
        }
        else if (!strcmp(o, "--resume")) a->resume = 1;
        else if (!strcmp(o, "--no-events")) a->no_events = 1;
        else if (!strcmp(o, "--no-plot")) a->no_plot = 1;
        else if (!strcmp(o, "--quiet") || !strcmp(o, "-q")) a->quiet = 1;
        else if (o[0] == '-') BAD("unknown option '%s' (see qunsim %s --help)", o, cmd);
        else if (!a->scenario) a->scenario = o;
        else BAD("unexpected argument '%s'", o);
#undef NEEDV
#undef BAD
    }
    if (!a->scenario) {
        fprintf(stderr, "qunsim: missing SCENARIO\n");
        usage(stderr, mode);
        return -1;
    }
    if (mode == EXP_SWEEP) {
        if (a->design == TASK_LHS && !a->samples) {
            fprintf(stderr, "qunsim: --design lhs needs --samples N\n");
            return -1;
        }
        if (a->design == TASK_GRID && a->samples) {
            fprintf(stderr, "qunsim: --samples goes with --design lhs\n");
            return -1;
        }
        if (a->nsets == 0) {
            fprintf(stderr, "qunsim: a sweep needs at least one --set PATH=...\n");
            return -1;
        }
    }
    return 0;
}

int exp_load(const exp_args *a, scenario **out, task_plan **plan)
{
    char err[1024];
    scenario *s = NULL;
    *out = NULL;
    *plan = NULL;
    if (scen_load(&s, a->scenario, err, sizeof err) != 0) {
        fprintf(stderr, "qunsim: %s\n", err);
        return QS_EXIT_USAGE;
    }
    char v[32];
    if (a->days) {
        snprintf(v, sizeof v, "%d", a->days);
        scen_set(s, "scenario.days", v, err, sizeof err);
    }
    if (a->reps) s->run.reps = a->reps;
    if (a->has_seed) s->seed = a->seed;
    if (a->no_events) s->run.events = 0;
    int arms[SCEN_MAX_ARMS], na = 0;
    for (int i = 0; i < a->narms; i++) {
        int k = scen_arm_index(s, a->arms[i]);
        if (k < 0) {
            fprintf(stderr, "qunsim: %s: no arm named \"%s\"\n", a->scenario, a->arms[i]);
            scen_free(s);
            return QS_EXIT_USAGE;
        }
        arms[na++] = k;
    }
    if (!a->narms)
        for (int k = 0; k < s->narms; k++) arms[na++] = k;
    /* the plan applies the fixed --set overrides to s; --set scenario.seed
     * sets the master seed unless --seed was given */
    uint64_t seed = s->seed;
    if (task_plan_new(plan, s, a->design, arms, na, a->sets, a->nsets, a->samples, err, sizeof err) != 0) {
        fprintf(stderr, "qunsim: %s\n", err);
        scen_free(s);
        return QS_EXIT_USAGE;
    }
    if (a->has_seed) s->seed = seed;
    *out = s;
    return 0;
}

/* ---- per-task scalars, progress ---------------------------------------- */

typedef struct exp_ctx {
    const exp_args *a;
    const scenario *sc;
    const task_plan *plan;
    sum_t *sum;      /* (point * narms + k) x NHEAD x reps */
    sum_t *daily;    /* narms x days x reps; run only */
    int ndays;       /* daily values per task (0 for a sweep) */
    int progress;    /* print a progress line */
    double t0, last;
    int64_t todo, done;
} exp_ctx;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int values_fn(void *vctx, int64_t task, const met_t *met, double *out)
{
    const exp_ctx *c = vctx;
    (void)task;
    for (int m = 0; m < NHEAD; m++) {
        out[m] = NAN;
        met_get(met, 0, headline[m], &out[m]);
    }
    for (int d = 0; d < c->ndays; d++) {
        out[NHEAD + d] = NAN;
        met_get_daily(met, 0, d, "dau", &out[NHEAD + d]);
    }
    return 0;
}

static void put_value(exp_ctx *c, int64_t t, int m, double v)
{
    int point, k, rep;
    task_decode(c->plan, t, &point, &k, &rep);
    sum_set(c->sum, point * task_narms(c->plan) + k, m, rep, v);
}

static void put_daily(exp_ctx *c, int64_t t, int d, double v)
{
    int point, k, rep;
    task_decode(c->plan, t, &point, &k, &rep);
    if (c->daily && d >= 0 && d < c->ndays) sum_set(c->daily, k, d, rep, v);
}

static void load_summary_cb(void *vctx, int64_t t, int m, double v) { put_value(vctx, t, m, v); }
static void load_daily_cb(void *vctx, int64_t t, int d, double v) { put_daily(vctx, t, d, v); }

static void progress(exp_ctx *c, int final)
{
    if (!c->progress) return;
    double now = now_s();
    if (!final && now - c->last < 0.25) return;
    c->last = now;
    double el = now - c->t0, rate = el > 0 ? c->done / el : 0;
    char eta[32] = "--:--";
    if (rate > 0) {
        long s = (long)((c->todo - c->done) / rate + 0.5);
        if (s >= 3600) snprintf(eta, sizeof eta, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
        else snprintf(eta, sizeof eta, "%ld:%02ld", s / 60, s % 60);
    }
    if (final) fprintf(stderr, "\r\033[K");
    else fprintf(stderr, "\r\033[K%lld/%lld tasks  %.1f/s  ETA %s", (long long)c->done, (long long)c->todo, rate, eta);
    fflush(stderr);
}

static void done_fn(void *vctx, int64_t t, const double *v)
{
    exp_ctx *c = vctx;
    for (int m = 0; m < NHEAD; m++) put_value(c, t, m, v[m]);
    for (int d = 0; d < c->ndays; d++) put_daily(c, t, d, v[NHEAD + d]);
    c->done++;
    progress(c, 0);
}

/* ---- output -------------------------------------------------------------- */

static void json_num(double v)
{
    if (isnan(v) || isinf(v)) printf("null");
    else printf("%.6g", v);
}

/* The paths named by the plan, once each (the last --set of a path wins). */
static int var_listed(const task_plan *p, int i)
{
    for (int j = i + 1; j < task_nvars(p); j++)
        if (!strcmp(task_var_path(p, j), task_var_path(p, i))) return 0;
    return 1;
}

static void print_json_arms(const exp_ctx *c, int point)
{
    int na = task_narms(c->plan);
    printf("[");
    for (int k = 0; k < na; k++) {
        int g = point * na + k;
        printf("%s\n  {\"name\": ", k ? "," : "");
        json_str(c->sc->arms[task_arm(c->plan, k)].name);
        printf(", \"metrics\": {");
        for (int m = 0; m < NHEAD; m++) {
            sum_stat st, d;
            sum_arm(c->sum, g, m, &st);
            printf("%s\n    \"%s\": {\"mean\": ", m ? "," : "", headline[m]);
            json_num(st.mean); printf(", \"lo90\": "); json_num(st.lo);
            printf(", \"hi90\": "); json_num(st.hi); printf(", \"n\": %d", st.n);
            if (k > 0) {
                sum_diff(c->sum, g, point * na, m, &d);
                printf(", \"diff\": "); json_num(d.mean);
                printf(", \"diff_lo90\": "); json_num(d.lo);
                printf(", \"diff_hi90\": "); json_num(d.hi);
            }
            printf("}");
        }
        printf("}}");
    }
    printf("\n]");
}

/* The summary table for people: labels with units, shares in %, cells
 * aligned by display width (Chinese arm names take two columns a
 * character), a verdict by the metric's direction where the difference's
 * CI excludes 0, rows the window cannot define left out (and said so), the
 * definitions below. */
static void print_table(const exp_ctx *c, int point)
{
    int na = task_narms(c->plan), ncol = 2 * na;
    const scenario *s = c->sc;
    enum { CELL = 96 };
    char(*cell)[CELL] = calloc((size_t)(NHEAD + 1) * (size_t)ncol, CELL);
    char(*label)[CELL] = calloc((size_t)(NHEAD + 1), CELL);
    int *row = calloc((size_t)NHEAD, sizeof *row), *w = calloc((size_t)ncol, sizeof *w), nr = 0, wl = 0;
    if (!cell || !label || !row || !w) { fprintf(stderr, "qunsim: out of memory\n"); goto out; }
    snprintf(label[0], CELL, "metric (unit)");
    for (int k = 0; k < na; k++) snprintf(cell[k], CELL, "%s", s->arms[task_arm(c->plan, k)].name);
    for (int k = 1; k < na; k++)
        snprintf(cell[na + k], CELL, "%s - %s", s->arms[task_arm(c->plan, k)].name, s->arms[task_arm(c->plan, 0)].name);
    int left_out = 0;
    for (int m = 0; m < NHEAD; m++) {
        const mi_row *r = mi_find(headline[m]);
        if (!mi_window_ok(r, s->run.days)) { left_out |= 1 << m; continue; }
        row[nr++] = m;
        char (*cl)[CELL] = cell + (size_t)nr * (size_t)ncol, a[32], b[32], d[32];
        mi_title(r, headline[m], label[nr], CELL);
        for (int k = 0; k < na; k++) {
            sum_stat st;
            sum_arm(c->sum, point * na + k, m, &st);
            snprintf(cl[k], CELL, "%s [%s, %s]", mi_format(r, st.mean, 0, d, sizeof d), mi_format(r, st.lo, 0, a, sizeof a),
                     mi_format(r, st.hi, 0, b, sizeof b));
        }
        for (int k = 1; k < na; k++) {
            sum_stat st;
            sum_diff(c->sum, point * na + k, point * na, m, &st);
            int v = mi_verdict(r, st.mean, st.lo, st.hi);
            snprintf(cl[na + k], CELL, "%s [%s, %s]%s", mi_format(r, st.mean, 1, d, sizeof d), mi_format(r, st.lo, 1, a, sizeof a),
                     mi_format(r, st.hi, 1, b, sizeof b), v > 0 ? " better" : v < 0 ? " worse" : "");
        }
    }
    for (int i = 0; i <= nr; i++) {
        if (mi_width(label[i]) > wl) wl = mi_width(label[i]);
        for (int k = 0; k < ncol; k++)
            if (mi_width(cell[(size_t)i * (size_t)ncol + k]) > w[k]) w[k] = mi_width(cell[(size_t)i * (size_t)ncol + k]);
    }
    for (int i = 0; i <= nr; i++) {
        mi_pad(stdout, label[i], wl);
        for (int k = 0; k < ncol; k++) {
            if (k == na) continue; /* no difference of the reference to itself */
            fputs("  ", stdout);
            mi_pad(stdout, cell[(size_t)i * (size_t)ncol + k], k == ncol - 1 ? 0 : w[k]);
        }
        fputs("\n", stdout);
    }
    for (int m = 0; m < NHEAD; m++)
        if (left_out & 1 << m) {
            const mi_row *r = mi_find(headline[m]);
            printf("(left out: %s needs a window of more than %d days; this run has %d)\n", r->label, r->follow, s->run.days);
        }
    printf("where:\n");
    for (int i = 0; i < nr; i++) {
        const mi_row *r = mi_find(headline[row[i]]);
        if (r) printf("  %s [%s]: %s\n", r->label, r->name, r->def);
    }
out:
    free(cell);
    free(label);
    free(row);
    free(w);
}

static void print_results(const exp_ctx *c)
{
    const exp_args *a = c->a;
    const scenario *s = c->sc;
    const task_plan *p = c->plan;
    int na = task_narms(p), np = task_npoints(p), sweep = a->mode == EXP_SWEEP;
    if (!strcmp(a->format, "csv")) {
        if (sweep) {
            printf("point,");
            for (int i = 0; i < task_nvars(p); i++)
                if (var_listed(p, i)) { csv_str(task_var_path(p, i)); putchar(','); }
        }
        printf("arm,metric,mean,lo90,hi90,n,diff,diff_lo90,diff_hi90\n");
        for (int pt = 0; pt < np; pt++)
            for (int k = 0; k < na; k++)
                for (int m = 0; m < NHEAD; m++) {
                    sum_stat st, d;
                    int g = pt * na + k;
                    sum_arm(c->sum, g, m, &st);
                    if (sweep) {
                        printf("%d,", pt);
                        for (int i = 0; i < task_nvars(p); i++)
                            if (var_listed(p, i)) { csv_str(task_value(p, pt, i)); putchar(','); }
                    }
                    csv_str(s->arms[task_arm(p, k)].name);
                    printf(",%s,%.6g,%.6g,%.6g,%d", headline[m], st.mean, st.lo, st.hi, st.n);
                    if (k > 0) {
                        sum_diff(c->sum, g, pt * na, m, &d);
                        printf(",%.6g,%.6g,%.6g\n", d.mean, d.lo, d.hi);
                    } else
                        printf(",,,\n");
                }
        return;
    }
    if (!strcmp(a->format, "json")) {
        printf("{\"scenario\": ");
        json_str(s->run.name);
        printf(", \"seed\": %" PRIu64 ", \"reps\": %d, \"days\": %d, ", s->seed, task_reps(p), s->run.days);
        if (!sweep) {
            printf("\"arms\": ");
            print_json_arms(c, 0);
            printf("}\n");
            return;
        }
        printf("\"design\": \"%s\", \"points\": [", task_plan_design(p) == TASK_LHS ? "lhs" : "grid");
        for (int pt = 0; pt < np; pt++) {
            printf("%s\n {\"point\": %d, \"settings\": {", pt ? "," : "", pt);
            int first = 1;
            for (int i = 0; i < task_nvars(p); i++) {
                if (!var_listed(p, i)) continue;
                printf("%s", first ? "" : ", ");
                first = 0;
                json_str(task_var_path(p, i));
                printf(": ");
                json_str(task_value(p, pt, i));
            }
            printf("}, \"arms\": ");
            print_json_arms(c, pt);
            printf("}");
        }
        printf("\n]}\n");
        return;
    }
    if (sweep)
        printf("%s: sweep (%s) of %d point(s) x %d arm(s) x %d replications, %d days from %s, seed %" PRIu64 "\n",
               s->run.name, task_plan_design(p) == TASK_LHS ? "Latin hypercube" : "grid", np, na, task_reps(p),
               s->run.days, s->run.start, s->seed);
    else
        printf("%s: %d arm(s) x %d replications, %d days from %s, seed %" PRIu64 "\n", s->run.name, na,
               task_reps(p), s->run.days, s->run.start, s->seed);
    printf("per arm: mean [5%% and 95%% of the replications]; ARM - %s: paired difference [90%% CI of its mean],\n"
           "\"better\"/\"worse\" for the group where that interval excludes 0; shares in %%, their differences in\n"
           "percentage points (pp)\n",
           s->arms[task_arm(p, 0)].name);
    for (int pt = 0; pt < np; pt++) {
        if (sweep) {
            printf("\npoint %d:", pt);
            for (int i = 0; i < task_nvars(p); i++)
                if (var_listed(p, i)) printf(" %s=%s", task_var_path(p, i), task_value(p, pt, i));
        }
        printf("\n");
        print_table(c, pt);
    }
}

/* The run's chart of daily speakers, drawn like the report's: local dates on
 * the x axis ending at the last day, the median of the replications with
 * their 50% and 90% bands (GSL quantiles, as analysis/summary.c). */
static int plot_daily(const exp_ctx *c, const char *path)
{
    int n = c->ndays, na = task_narms(c->plan), reps = task_reps(c->plan), rc = -1;
    double *buf = malloc(sizeof(double) * (size_t)(6 * n * na + n + reps));
    plot_fan_series *ser = calloc((size_t)na, sizeof *ser);
    char err[512], base[4096];
    if (!buf || !ser) { fprintf(stderr, "qunsim: out of memory\n"); goto out; }
    unsigned y, m, d;
    double day0 = 0;
    if (sscanf(c->sc->run.start, "%4u-%2u-%2u", &y, &m, &d) == 3) day0 = (double)cal_days_from_civil(y, m, d) * 86400.0;
    double *x = buf + (size_t)(6 * n * na), *tmp = x + n;
    for (int k = 0; k < n; k++) x[k] = day0 + 86400.0 * k;
    for (int k = 0; k < na; k++) {
        double *q = buf + (size_t)(6 * k) * (size_t)n;
        for (int t = 0; t < n; t++) {
            int nv = 0;
            for (int r = 0; r < reps; r++) {
                double v = sum_get(c->daily, k, t, r);
                if (!isnan(v)) tmp[nv++] = v;
            }
            gsl_sort(tmp, 1, (size_t)nv);
            static const double ps[5] = {0.5, 0.25, 0.75, 0.05, 0.95};
            for (int j = 0; j < 5; j++)
                q[(size_t)j * (size_t)n + (size_t)t] = nv ? gsl_stats_quantile_from_sorted_data(tmp, 1, (size_t)nv, ps[j]) : NAN;
        }
        ser[k] = (plot_fan_series){c->sc->arms[task_arm(c->plan, k)].name, n, x, q, q + n, q + 2 * n, q + 3 * n, q + 4 * n, k, PLOT_LINE};
    }
    char title[512];
    snprintf(title, sizeof title, "%s\ndaily active speakers: median, 50%% and 90%% bands of %d replications", c->sc->run.name, reps);
    size_t pl = strlen(path);
    snprintf(base, sizeof base, "%.*s", (int)(pl > 4 && !strcmp(path + pl - 4, ".png") ? pl - 4 : pl), path);
    plot_axes ax = {.title = title, .xlabel = "local date", .ylabel = "active speakers", .xdate = day0 > 0,
                    .xmark = NAN, .yzero = 1};
    if (plot_fan(base, &ax, ser, na, err, sizeof err) != 0) {
        fprintf(stderr, "qunsim: plot: %s\n", err);
        goto out;
    }
    rc = 0;
out:
    free(buf);
    free(ser);
    return rc;
}

/* ---- signals ---------------------------------------------------------------- */

/* The one piece of global state: a signal handler can reach nothing else.
 * The runner only reads it (through batch_opts.stop). */
static volatile sig_atomic_t got_signal;

static void on_signal(int sig) { got_signal = sig; }

typedef struct sigsave { struct sigaction intr, term; } sigsave;

/* First SIGINT/SIGTERM: finish the tasks under way, commit, stop.  The
 * handler is reset after one delivery (SA_RESETHAND), so a second one kills
 * the process at once: still safe, as after SIGKILL (--resume). */
static void signals_on(sigsave *save)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    got_signal = 0;
    sigaction(SIGINT, &sa, &save->intr);
    sigaction(SIGTERM, &sa, &save->term);
}

static void signals_off(const sigsave *save)
{
    sigaction(SIGINT, &save->intr, NULL);
    sigaction(SIGTERM, &save->term, NULL);
}

/* ---- the command ---------------------------------------------------------- */

static int64_t ncores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 1 ? n : 1;
}

typedef struct point_ctx { const task_plan *plan; } point_ctx;

static char *point_text_cb(void *ctx, int point) { return task_point_text(((point_ctx *)ctx)->plan, point); }

/* The command line as one string (for the manifest and messages). */
static void join_args(int argc, char **argv, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = '\0';
    for (int i = 0; i < argc && k + 1 < n; i++) {
        int w = snprintf(buf + k, n - k, "%s%s", i ? " " : "qunsim ", argv[i]);
        if (w < 0) break;
        k += (size_t)w;
    }
}

int exp_main(int argc, char **argv, exp_mode mode)
{
    exp_args a;
    int rc = exp_parse(argc, argv, mode, &a);
    if (rc != 0) {
        exp_args_free(&a);
        return rc > 0 ? QS_EXIT_OK : QS_EXIT_USAGE;
    }
    int mpi_size = 1, rank = 0, workers_released = 1;
#ifdef QS_MPI
    mpi_size = qs_mpi_size();
    rank = qs_mpi_rank();
#endif
    scenario *s = NULL;
    task_plan *plan = NULL;
    store_t *st = NULL;
    exp_ctx c;
    memset(&c, 0, sizeof c);
    char err[2048], path[4096], cmdline[4096];
    uint8_t *skip = NULL;
    if ((rc = exp_load(&a, &s, &plan)) != 0) goto out;
    c.a = &a;
    c.sc = s;
    c.plan = plan;
    c.ndays = mode == EXP_RUN ? s->run.days : 0;
    if (NHEAD + c.ndays > BATCH_MAX_VALUES) c.ndays = 0;

    batch_opts bo;
    memset(&bo, 0, sizeof bo);
    bo.sc = s;
    bo.plan = plan;
    bo.store_events = s->run.events;
    bo.nvalues = NHEAD + c.ndays;
    bo.values = values_fn;
    bo.done = done_fn;
    bo.ctx = &c;
    bo.shard = a.shard;
    bo.nshards = a.nshards;
    bo.threads = a.threads > 0 ? a.threads : (int)ncores();
    bo.stop = &got_signal;
#ifdef QS_MPI
    if (mpi_size > 1 && rank > 0) {
        /* a compute rank: tasks come from rank 0, rows go back to it */
        bo.keep_rows = 1;
        bo.done = NULL;
        rc = qs_mpi_worker(&bo) ? QS_EXIT_FAIL : QS_EXIT_OK;
        goto out;
    }
    if (mpi_size > 1) workers_released = 0;
#endif

    rc = QS_EXIT_FAIL;
    int64_t T = task_count(plan);
    const char *dbpath = a.db;
    if (!dbpath) {
        if (mkdir(a.out, 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "qunsim: cannot create %s: %s\n", a.out, strerror(errno));
            goto out;
        }
        snprintf(path, sizeof path, "%s/results.db", a.out);
        dbpath = path;
    }
    /* --batch continues a batch: the database must exist (a missing or
     * empty file would become a new database, then "has no batch") */
    if ((a.batch ? store_open_existing : store_open)(&st, dbpath, err, sizeof err) != 0) {
        fprintf(stderr, "qunsim: %s\n", err);
        if (a.batch) rc = QS_EXIT_USAGE;
        goto out;
    }
    bo.store = st;
    join_args(argc, argv, cmdline, sizeof cmdline);
    char *key = task_plan_key(plan, s, mode == EXP_SWEEP ? "sweep" : "run");
    if (!key) {
        fprintf(stderr, "qunsim: out of memory\n");
        goto out;
    }
    int found = 0;
    if (a.batch) {
        char *bkey = NULL, *btext = NULL;
        found = bdb_get(st, a.batch, &bo.db, &bkey, &btext, err, sizeof err);
        if (found == 1 && (strcmp(bkey, key) || strcmp(btext, s->text))) {
            fprintf(stderr, "qunsim: batch %" PRId64 " in %s was made from another scenario text or other "
                            "settings, arms, seed or replications; give the same arguments as the batch's "
                            "command, or leave out --batch\n", a.batch, dbpath);
            found = -2;
        } else if (found == 0) {
            fprintf(stderr, "qunsim: %s has no batch %" PRId64 " of qunsim run or sweep\n", dbpath, a.batch);
            found = -2;
        }
        free(bkey);
        free(btext);
    } else if (a.resume) {
        found = bdb_find(st, s->text, key, &bo.db, err, sizeof err);
        if (found == 0 && !a.quiet) fprintf(stderr, "qunsim: no batch to resume in %s: starting a new one\n", dbpath);
    }
    if (found == 0) {
        store_batch b = {mode == EXP_SWEEP ? "sweep" : "run", s->run.name, a.scenario, s->text, (int64_t)s->seed,
                         task_reps(plan), s->run.days, cmdline};
        point_ctx pc = {plan};
        if (bdb_create(st, &b, task_npoints(plan), point_text_cb, &pc, T, key, &bo.db, err, sizeof err) != 0)
            found = -1;
    }
    free(key);
    if (found < 0) {
        if (found == -1) fprintf(stderr, "qunsim: %s\n", err);
        if (found == -2) rc = QS_EXIT_USAGE;
        goto out;
    }

    /* the summary's per-replication scalars; finished tasks from the database */
    int na = task_narms(plan), np = task_npoints(plan);
    if (sum_open(&c.sum, np * na, NHEAD, task_reps(plan)) != 0 ||
        (c.ndays && sum_open(&c.daily, na, c.ndays, task_reps(plan)) != 0) ||
        !(skip = calloc((size_t)(T / 8 + 1), 1))) {
        fprintf(stderr, "qunsim: out of memory\n");
        goto out;
    }
    int64_t ndone = 0;
    if (found == 1) {
        if (bdb_done(st, &bo.db, skip, &ndone, err, sizeof err) ||
            bdb_summary_values(st, &bo.db, headline, NHEAD, load_summary_cb, &c, err, sizeof err) ||
            (c.ndays && bdb_daily_values(st, &bo.db, "dau", load_daily_cb, &c, err, sizeof err))) {
            fprintf(stderr, "qunsim: %s\n", err);
            goto out;
        }
        if (!a.quiet)
            fprintf(stderr, "qunsim: resuming batch %" PRId64 " in %s: %" PRId64 " of %" PRId64 " tasks done\n",
                    bo.db.batch_id, dbpath, ndone, T);
    }
    bo.skip = skip;

    c.todo = batch_todo(&bo);
    c.progress = !a.quiet && isatty(STDERR_FILENO);
    c.t0 = now_s();
    c.last = c.t0 - 1.0; /* the first finished task shows the line */
    sigsave save;
    signals_on(&save);
    batch_result res;
    int brc;
#ifdef QS_MPI
    if (mpi_size > 1) {
        brc = qs_mpi_writer(&bo, &res, err, sizeof err);
        workers_released = 1;
    } else
#endif
        brc = batch_run(&bo, &res, err, sizeof err);
    progress(&c, 1);
    signals_off(&save);
    int sig = got_signal;
    if (brc != 0 || res.stopped) {
        if (brc != 0) fprintf(stderr, "qunsim: %s\n", err);
        else fprintf(stderr, "qunsim: stopped by %s\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        fprintf(stderr, "qunsim: %" PRId64 " of %" PRId64 " tasks of batch %" PRId64 " are stored in %s; "
                        "to finish, run the same command with --resume\n",
                ndone + res.done, a.nshards > 1 ? ndone + res.todo : T, bo.db.batch_id, dbpath);
        rc = brc != 0 ? QS_EXIT_FAIL : sig == SIGTERM ? 143 : 130;
        goto out;
    }
    print_results(&c);
    fflush(stdout);
    if (!a.quiet) fprintf(stderr, "results: %s (batch %" PRId64 ")\n", dbpath, bo.db.batch_id);
    if (c.daily && !a.no_plot) {
        char dir[3584];
        snprintf(dir, sizeof dir, "%s", a.db ? "." : a.out);
        if (a.db) {
            const char *sl = strrchr(a.db, '/');
            if (sl) snprintf(dir, sizeof dir, "%.*s", (int)(sl - a.db), a.db);
        }
        char name[256];
        snprintf(name, sizeof name, "%s_dau.png", s->run.name);
        for (char *p = name; *p; p++)
            if (*p == '/' || *p == '\\') *p = '_';
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (plot_daily(&c, path) != 0) goto out;
        if (!a.quiet) fprintf(stderr, "plot: %s\n", path);
    }
    rc = QS_EXIT_OK;
out:
#ifdef QS_MPI
    if (!workers_released) qs_mpi_release();
#else
    (void)workers_released;
    (void)mpi_size;
    (void)rank;
#endif
    free(skip);
    sum_close(c.sum);
    sum_close(c.daily);
    store_close(st);
    task_plan_free(plan);
    scen_free(s);
    exp_args_free(&a);
    return rc;
}
