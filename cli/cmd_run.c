/* cmd_run.c -- `qunsim run` and `qunsim check`: run every arm of a scenario
 * for R replications, store the results, print the key metrics per arm with
 * their 90% intervals and the paired difference to the first arm, and plot
 * daily active speakers per arm. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "plot.h"
#include "replica.h"
#include "scenario.h"
#include "store.h"
#include "summary.h"

/* The headline metrics of the table, in order. */
static const char *const headline[] = {
    "dau_mean", "messages_per_day", "interactions_per_day", "retention_1d", "retention_7d", "members_end",
};
#define NHEAD ((int)(sizeof headline / sizeof headline[0]))

typedef struct run_args {
    const char *scenario;
    const char *arm;
    const char *out;
    const char *format;
    int reps, days;
    int has_seed;
    uint64_t seed;
    int no_events, quiet, no_plot;
    const char *sets[64];
    int nsets;
} run_args;

static void run_usage(FILE *f)
{
    fprintf(f,
            "usage: qunsim run SCENARIO [options]\n"
            "  --arm NAME         run only this arm (default: every arm)\n"
            "  --reps R           replications per arm (default: scenario.reps)\n"
            "  --seed S           master seed (default: scenario.seed)\n"
            "  --days D           simulated days (default: scenario.days)\n"
            "  --set PATH=VALUE   override a setting in every arm (repeatable)\n"
            "  --out DIR          results directory (default: out); writes DIR/results.db and plots\n"
            "  --format F         table (default), csv or json\n"
            "  --no-events        do not store the event log\n"
            "  --no-plot          do not run gnuplot\n"
            "  --quiet            no progress or file messages on stderr\n");
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, run_args *a, int check_only)
{
    memset(a, 0, sizeof *a);
    a->out = "out";
    a->format = "table";
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long x;
#define NEEDV() do { if (!v) { fprintf(stderr, "qunsim: option %s needs a value\n", o); return -1; } i++; } while (0)
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) { run_usage(stdout); return 1; }
        else if (!strcmp(o, "--set")) {
            NEEDV();
            if (a->nsets == 64 || !strchr(v, '=')) { fprintf(stderr, "qunsim: --set wants PATH=VALUE (at most 64)\n"); return -1; }
            a->sets[a->nsets++] = v;
        }
        else if (check_only && o[0] != '-' && !a->scenario) a->scenario = o;
        else if (check_only) { fprintf(stderr, "qunsim check: unexpected argument '%s'\n", o); return -1; }
        else if (!strcmp(o, "--arm")) { NEEDV(); a->arm = v; }
        else if (!strcmp(o, "--out")) { NEEDV(); a->out = v; }
        else if (!strcmp(o, "--format")) {
            NEEDV();
            if (strcmp(v, "table") && strcmp(v, "csv") && strcmp(v, "json")) { fprintf(stderr, "qunsim: --format must be table, csv or json\n"); return -1; }
            a->format = v;
        }
        else if (!strcmp(o, "--reps")) { NEEDV(); if (parse_int(v, 1, 1000000, &x)) { fprintf(stderr, "qunsim: --reps must be an integer 1..1000000\n"); return -1; } a->reps = (int)x; }
        else if (!strcmp(o, "--days")) { NEEDV(); if (parse_int(v, 1, 3650, &x)) { fprintf(stderr, "qunsim: --days must be an integer 1..3650\n"); return -1; } a->days = (int)x; }
        else if (!strcmp(o, "--seed")) {
            NEEDV();
            char *end;
            errno = 0;
            unsigned long long s = strtoull(v, &end, 10);
            if (end == v || *end || errno || v[0] == '-') { fprintf(stderr, "qunsim: --seed must be a non-negative integer\n"); return -1; }
            a->seed = s;
            a->has_seed = 1;
        }
        else if (!strcmp(o, "--no-events")) a->no_events = 1;
        else if (!strcmp(o, "--no-plot")) a->no_plot = 1;
        else if (!strcmp(o, "--quiet") || !strcmp(o, "-q")) a->quiet = 1;
        else if (o[0] == '-') { fprintf(stderr, "qunsim: unknown option '%s' (see qunsim run --help)\n", o); return -1; }
        else if (!a->scenario) a->scenario = o;
        else { fprintf(stderr, "qunsim: unexpected argument '%s'\n", o); return -1; }
#undef NEEDV
    }
    if (!a->scenario) {
        fprintf(stderr, "qunsim: missing SCENARIO\n");
        if (!check_only) run_usage(stderr);
        return -1;
    }
    return 0;
}

/* Load the scenario and apply command-line overrides.  Exit status or 0. */
static int load(const run_args *a, scenario **out)
{
    char err[1024];
    if (scen_load(out, a->scenario, err, sizeof err) != 0) {
        fprintf(stderr, "qunsim: %s\n", err);
        return QS_EXIT_USAGE;
    }
    scenario *s = *out;
    for (int i = 0; i < a->nsets; i++) {
        char path[256];
        const char *eq = strchr(a->sets[i], '=');
        snprintf(path, sizeof path, "%.*s", (int)(eq - a->sets[i]), a->sets[i]);
        if (scen_set(s, path, eq + 1, err, sizeof err) != 0) {
            fprintf(stderr, "qunsim: --set: %s\n", err);
            return QS_EXIT_USAGE;
        }
    }
    char v[32];
    if (a->days) { snprintf(v, sizeof v, "%d", a->days); scen_set(s, "scenario.days", v, err, sizeof err); }
    if (a->reps) s->run.reps = a->reps;
    if (a->has_seed) s->seed = a->seed;
    if (a->no_events) s->run.events = 0;
    return 0;
}

int cmd_check(int argc, char **argv)
{
    run_args a;
    int rc = parse_args(argc, argv, &a, 1);
    if (rc != 0) return rc > 0 ? QS_EXIT_OK : QS_EXIT_USAGE;
    scenario *s = NULL;
    if ((rc = load(&a, &s)) != 0) { scen_free(s); return rc; }
    printf("# %s: valid; %d arm(s), %d days from %s (UTC%s), %d replications, seed %" PRIu64 "\n",
           a.scenario, s->narms, s->run.days, s->run.start, s->run.utc_offset, s->run.reps, s->seed);
    for (int i = 0; i < s->narms; i++) {
        char *t = scen_settings_text(s, i);
        if (!t) { scen_free(s); fprintf(stderr, "qunsim: out of memory\n"); return QS_EXIT_FAIL; }
        printf("\n# arm \"%s\": effective settings\n%s", s->arms[i].name, t);
        free(t);
    }
    scen_free(s);
    return QS_EXIT_OK;
}

static void print_num(FILE *f, double v)
{
    if (isnan(v)) fprintf(f, "null");
    else fprintf(f, "%.6g", v);
}

static void print_results(const run_args *a, const scenario *s, const int *arms, int na, sum_t *sum)
{
    if (!strcmp(a->format, "csv")) {
        printf("arm,metric,mean,lo90,hi90,n,diff,diff_lo90,diff_hi90\n");
        for (int k = 0; k < na; k++)
            for (int m = 0; m < NHEAD; m++) {
                sum_stat st, d;
                sum_arm(sum, k, m, &st);
                printf("%s,%s,%.6g,%.6g,%.6g,%d", s->arms[arms[k]].name, headline[m], st.mean, st.lo, st.hi, st.n);
                if (k > 0) { sum_diff(sum, k, 0, m, &d); printf(",%.6g,%.6g,%.6g\n", d.mean, d.lo, d.hi); }
                else printf(",,,\n");
            }
        return;
    }
    if (!strcmp(a->format, "json")) {
        printf("{\"scenario\": \"%s\", \"seed\": %" PRIu64 ", \"reps\": %d, \"days\": %d, \"arms\": [", s->run.name, s->seed, s->run.reps, s->run.days);
        for (int k = 0; k < na; k++) {
            printf("%s\n  {\"name\": \"%s\", \"metrics\": {", k ? "," : "", s->arms[arms[k]].name);
            for (int m = 0; m < NHEAD; m++) {
                sum_stat st, d;
                sum_arm(sum, k, m, &st);
                printf("%s\n    \"%s\": {\"mean\": ", m ? "," : "", headline[m]);
                print_num(stdout, st.mean); printf(", \"lo90\": "); print_num(stdout, st.lo);
                printf(", \"hi90\": "); print_num(stdout, st.hi); printf(", \"n\": %d", st.n);
                if (k > 0) {
                    sum_diff(sum, k, 0, m, &d);
                    printf(", \"diff\": "); print_num(stdout, d.mean);
                    printf(", \"diff_lo90\": "); print_num(stdout, d.lo);
                    printf(", \"diff_hi90\": "); print_num(stdout, d.hi);
                }
                printf("}");
            }
            printf("}}");
        }
        printf("\n]}\n");
        return;
    }
    printf("%s: %d arm(s) x %d replications, %d days from %s, seed %" PRIu64 "\n",
           s->run.name, na, s->run.reps, s->run.days, s->run.start, s->seed);
    printf("mean [90%% interval of replications]; diff = paired difference to %s [90%% CI]\n\n", s->arms[arms[0]].name);
    printf("%-22s", "metric");
    for (int k = 0; k < na; k++) printf("  %-26s", s->arms[arms[k]].name);
    for (int k = 1; k < na; k++) printf("  diff %-21.21s", s->arms[arms[k]].name);
    printf("\n");
    for (int m = 0; m < NHEAD; m++) {
        printf("%-22s", headline[m]);
        char cell[64];
        for (int k = 0; k < na; k++) {
            sum_stat st;
            sum_arm(sum, k, m, &st);
            snprintf(cell, sizeof cell, "%.4g [%.4g, %.4g]", st.mean, st.lo, st.hi);
            printf("  %-26s", cell);
        }
        for (int k = 1; k < na; k++) {
            sum_stat d;
            sum_diff(sum, k, 0, m, &d);
            snprintf(cell, sizeof cell, "%+.4g [%+.4g, %+.4g]", d.mean, d.lo, d.hi);
            printf("  %-26s", cell);
        }
        printf("\n");
    }
}

static int plot_daily(const run_args *a, const scenario *s, const int *arms, int na, sum_t *daily, char *path)
{
    int n = s->run.days;
    double *buf = malloc(sizeof(double) * (size_t)(3 * n * na));
    plot_series *ser = calloc((size_t)na, sizeof *ser);
    int rc = -1;
    char err[512];
    if (!buf || !ser) goto out;
    for (int k = 0; k < na; k++) {
        double *y = buf + (size_t)(3 * k) * (size_t)n, *lo = y + n, *hi = lo + n;
        for (int d = 0; d < n; d++) {
            sum_stat st;
            sum_arm(daily, k, d, &st);
            y[d] = st.mean;
            lo[d] = st.lo;
            hi[d] = st.hi;
        }
        ser[k].title = s->arms[arms[k]].name;
        ser[k].y = y;
        ser[k].lo = lo;
        ser[k].hi = hi;
    }
    char title[256];
    snprintf(title, sizeof title, "%s: daily active speakers (mean, 90%% band of %d replications)", s->run.name, s->run.reps);
    if (plot_lines(path, title, "day", "active speakers", ser, na, n, err, sizeof err) != 0) {
        fprintf(stderr, "qunsim: plot: %s\n", err);
        goto out;
    }
    rc = 0;
out:
    free(buf);
    free(ser);
    (void)a;
    return rc;
}

int cmd_run(int argc, char **argv)
{
    run_args a;
    int rc = parse_args(argc, argv, &a, 0);
    if (rc != 0) return rc > 0 ? QS_EXIT_OK : QS_EXIT_USAGE;
    scenario *s = NULL;
    store_t *st = NULL;
    sum_t *sum = NULL, *daily = NULL;
    char err[1024], path[4096];
    int arms[SCEN_MAX_ARMS], na = 0;
    if ((rc = load(&a, &s)) != 0) goto out;
    rc = QS_EXIT_USAGE;
    if (a.arm) {
        int k = scen_arm_index(s, a.arm);
        if (k < 0) { fprintf(stderr, "qunsim: %s: no arm named \"%s\"\n", a.scenario, a.arm); goto out; }
        arms[na++] = k;
    } else
        for (int k = 0; k < s->narms; k++) arms[na++] = k;

    rc = QS_EXIT_FAIL;
    if (mkdir(a.out, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "qunsim: cannot create %s: %s\n", a.out, strerror(errno));
        goto out;
    }
    snprintf(path, sizeof path, "%s/results.db", a.out);
    if (store_open(&st, path, err, sizeof err) != 0) { fprintf(stderr, "qunsim: %s\n", err); goto out; }
    char cmdline[2048];
    size_t k = 0;
    for (int i = 0; i < argc && k < sizeof cmdline - 1; i++)
        k += (size_t)snprintf(cmdline + k, sizeof cmdline - k, "%s%s", i ? " " : "qunsim ", argv[i]);
    store_batch b = {"run", s->run.name, a.scenario, s->text, (int64_t)s->seed, s->run.reps, s->run.days, cmdline};
    int64_t batch_id;
    if (store_batch_add(st, &b, &batch_id) != 0 || store_point_add(st, batch_id, 0, "") != 0) {
        fprintf(stderr, "qunsim: %s\n", store_errmsg(st));
        goto out;
    }
    if (sum_open(&sum, na, NHEAD, s->run.reps) != 0 || sum_open(&daily, na, s->run.days, s->run.reps) != 0) {
        fprintf(stderr, "qunsim: out of memory\n");
        goto out;
    }
    for (int ai = 0; ai < na; ai++) {
        for (int r = 0; r < s->run.reps; r++) {
            rep_opts o = {st, s->run.events, batch_id, 0, 0, NULL};
            met_t *met = NULL;
            if (rep_run(s, arms[ai], r, &o, &met, NULL, err, sizeof err) != 0) {
                fprintf(stderr, "qunsim: arm %s, replication %d: %s\n", s->arms[arms[ai]].name, r, err);
                goto out;
            }
            for (int m = 0; m < NHEAD; m++) {
                double v = NAN;
                met_get(met, 0, headline[m], &v);
                sum_set(sum, ai, m, r, v);
            }
            for (int d = 0; d < s->run.days; d++) {
                double v = NAN;
                met_get_daily(met, 0, d, "dau", &v);
                sum_set(daily, ai, d, r, v);
            }
            met_close(met);
        }
    }
    print_results(&a, s, arms, na, sum);
    fflush(stdout);
    if (!a.quiet) fprintf(stderr, "results: %s (batch %" PRId64 ")\n", path, batch_id);
    if (!a.no_plot) {
        snprintf(path, sizeof path, "%s/%s_dau.png", a.out, s->run.name);
        for (char *p = path + strlen(a.out) + 1; *p; p++)
            if (*p == '/' || *p == '\\') *p = '_';
        if (plot_daily(&a, s, arms, na, daily, path) != 0) goto out;
        if (!a.quiet) fprintf(stderr, "plot: %s\n", path);
    }
    rc = QS_EXIT_OK;
out:
    sum_close(sum);
    sum_close(daily);
    store_close(st);
    scen_free(s);
    return rc;
}
