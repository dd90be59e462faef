/* cmd_live.c -- from a group's live log to a forecast: `qunsim calibrate
 * --live` (models/fit.h), `qunsim forecast` (every arm from the observed
 * state at a date, models/state.h, stored as a batch of kind 'forecast'
 * with a copy of the history) and `qunsim backtest` (calibrate before a
 * date, forecast, compare with the log, beside two naive baselines). */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <sqlite3.h>

#include "jsonout.h"
#include "cmd.h"
#include "fit.h"
#include "metrics.h"
#include "replica.h"
#include "runbuf.h"
#include "scenario.h"
#include "state.h"
#include "store.h"

/* ---- options shared by the three commands ------------------------------ */

typedef struct live_args {
    const char *cmd;        /* "calibrate", "forecast", "backtest" */
    const char *scenario;   /* forecast: SCENARIO */
    const char *db, *group, *from, *to, *at, *out, *format;
    int64_t run;
    int days, reps, threads, partial, has_seed, quiet;
    unsigned long long seed;
    double eng_tau, memory;
} live_args;

static void usage(FILE *f, const char *cmd)
{
    if (!strcmp(cmd, "calibrate"))
        fprintf(f, "usage: qunsim calibrate --live LIVE.db [--run ID] [--group G] [--from D --to D] [--out SCENARIO.cfg]\n"
                   "                        [--days H] [--partial] [--eng-tau DAYS]\n"
                   "  estimates the baseline model from a live log (maximum likelihood: posting rates, daily and weekly\n"
                   "  profiles, reply excitation, leaving, joins, questions) and writes a scenario with the fitted values\n"
                   "  and their standard errors as comments (stdout without --out).  Exit 2 when the log is too short or\n"
                   "  too sparse to identify a setting (--partial: keep the model's default for it instead).\n");
    else if (!strcmp(cmd, "forecast"))
        fprintf(f, "usage: qunsim forecast SCENARIO --live LIVE.db --at DATE --days H [--run ID] [--group G] [--reps R]\n"
                   "                       [--seed S] [--threads N] [--out DIR] [--quiet]\n"
                   "  runs every arm of SCENARIO H days from the group's observed state at DATE (members present with\n"
                   "  their roles, rates from their history, engagement from how recently and how much they spoke) and\n"
                   "  stores the runs as a batch of kind 'forecast' with a copy of the observed history (arm 'live') in\n"
                   "  DIR/results.db, or in LIVE.db without --out; `qunsim report` shows history then the forecast fan.\n");
    else
        fprintf(f, "usage: qunsim backtest --live LIVE.db --at DATE --days H [--run ID] [--group G] [--reps R] [--seed S]\n"
                   "                       [--threads N] [--format table|json] [--partial]\n"
                   "  calibrates on the log before DATE, forecasts H days, and compares with the log after DATE: MAPE of\n"
                   "  daily active speakers and messages, 7-day retention error, share of days inside the 90%% band,\n"
                   "  beside two naive baselines (last week repeated; exponential decay of active members).\n");
}

/* Parse argv into *a.  Returns 0, 1 after --help, or an exit status. */
static int parse(int argc, char **argv, live_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end;
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) { usage(stdout, a->cmd); return 1; }
        else if (!strcmp(o, "--partial")) a->partial = 1;
        else if (!strcmp(o, "--quiet")) a->quiet = 1;
        else if (!strcmp(o, "--live") && v) { a->db = v; i++; }
        else if (!strcmp(o, "--group") && v) { a->group = v; i++; }
        else if (!strcmp(o, "--from") && v) { a->from = v; i++; }
        else if (!strcmp(o, "--to") && v) { a->to = v; i++; }
        else if (!strcmp(o, "--at") && v) { a->at = v; i++; }
        else if (!strcmp(o, "--out") && v) { a->out = v; i++; }
        else if (!strcmp(o, "--format") && v) {
            a->format = v;
            i++;
            if (strcmp(v, "table") && strcmp(v, "json")) { fprintf(stderr, "qunsim %s: --format must be table or json\n", a->cmd); return QS_EXIT_USAGE; }
        } else if (!strcmp(o, "--run") && v) {
            a->run = strtoll(v, &end, 10);
            i++;
            if (*end || a->run < 1) { fprintf(stderr, "qunsim %s: bad --run\n", a->cmd); return QS_EXIT_USAGE; }
        } else if (!strcmp(o, "--days") && v) {
            a->days = (int)strtol(v, &end, 10);
            i++;
            if (*end || a->days < 1 || a->days > 3650) { fprintf(stderr, "qunsim %s: --days must be 1..3650\n", a->cmd); return QS_EXIT_USAGE; }
        } else if (!strcmp(o, "--reps") && v) {
            a->reps = (int)strtol(v, &end, 10);
            i++;
            if (*end || a->reps < 2 || a->reps > 100000) { fprintf(stderr, "qunsim %s: --reps must be 2..100000\n", a->cmd); return QS_EXIT_USAGE; }
        } else if (!strcmp(o, "--threads") && v) {
            a->threads = (int)strtol(v, &end, 10);
            i++;
            if (*end || a->threads < 1 || a->threads > 64) { fprintf(stderr, "qunsim %s: --threads must be 1..64\n", a->cmd); return QS_EXIT_USAGE; }
        } else if (!strcmp(o, "--seed") && v) {
            errno = 0;
            a->seed = strtoull(v, &end, 10);
            i++;
            a->has_seed = 1;
            if (*end || errno || v[0] == '-') { fprintf(stderr, "qunsim %s: bad --seed\n", a->cmd); return QS_EXIT_USAGE; }
        } else if ((!strcmp(o, "--eng-tau") || !strcmp(o, "--memory")) && v) {
            double x = strtod(v, &end);
            i++;
            if (*end || !(x >= 0) || x > 1e6 || (o[2] == 'e' && !(x > 0))) { fprintf(stderr, "qunsim %s: bad %s\n", a->cmd, o); return QS_EXIT_USAGE; }
            if (o[2] == 'e') a->eng_tau = x;
            else a->memory = x;
        } else if (o[0] == '-') {
            fprintf(stderr, "qunsim %s: unknown option or missing value '%s'\n", a->cmd, o);
            usage(stderr, a->cmd);
            return QS_EXIT_USAGE;
        } else if (!a->scenario && !strcmp(a->cmd, "forecast")) a->scenario = o;
        else {
            fprintf(stderr, "qunsim %s: unexpected argument '%s'\n", a->cmd, o);
            return QS_EXIT_USAGE;
        }
    }
    if (!a->db) { fprintf(stderr, "qunsim %s: --live LIVE.db is required\n", a->cmd); usage(stderr, a->cmd); return QS_EXIT_USAGE; }
    return 0;
}

/* Local midnight (unix seconds) of date "YYYY-MM-DD" at offset off. */
static int parse_date(const char *s, int32_t off, int64_t *ts)
{
    int y, m, d;
    char tail;
    if (!s || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 || d > 31) return -1;
    int64_t z = cal_days_from_civil(y, (unsigned)m, (unsigned)d);
    int64_t yy;
    unsigned mm, dd;
    cal_civil_from_days(z, &yy, &mm, &dd);
    if (yy != y || (int)mm != m || (int)dd != d) return -1;
    *ts = z * 86400 - off;
    return 0;
}

static void date_str(int64_t ts, int32_t off, char *buf) { cal_ts_date_str(ts, off, buf); }


static int open_log(const live_args *a, store_t **st, fit_log **lg)
{
    char err[1024];
    if (access(a->db, R_OK) != 0) { fprintf(stderr, "qunsim %s: %s: %s\n", a->cmd, a->db, strerror(errno)); return QS_EXIT_USAGE; }
    if (store_open(st, a->db, err, sizeof err) != 0) { fprintf(stderr, "qunsim %s: %s\n", a->cmd, err); return QS_EXIT_USAGE; }
    if (fit_log_load(lg, store_db(*st), a->run, a->group, err, sizeof err) != 0) {
        fprintf(stderr, "qunsim %s: %s: %s\n", a->cmd, a->db, err);
        store_close(*st);
        *st = NULL;
        return QS_EXIT_USAGE;
    }
    return 0;
}

/* Stream the observed log (group remapped to 1) into a metrics handle over
 * [start_ts, start_ts + ndays days).  From the database when the log has a
 * run (every event kind), else from the messages the log holds. */
static int observed(sqlite3 *db, const fit_log *lg, int64_t start_ts, int ndays, met_t **out, char *err, size_t errlen)
{
    met_opts mo;
    memset(&mo, 0, sizeof mo);
    mo.start_ts = start_ts;
    mo.utc_offset = lg->utc_offset;
    mo.ndays = ndays;
    met_t *m = NULL;
    sqlite3_stmt *st = NULL;
    if (met_open(&m, &mo) != 0) { snprintf(err, errlen, "metrics: bad window or out of memory"); return -1; }
    for (int i = 0; i < lg->nmem; i++) {
        const fit_member *x = &lg->mem[i];
        ev_member em = {1, x->role, x->source, x->id, -1, x->joined_ts, x->left_ts, 0};
        if (met_member(m, &em) != 0) goto met_fail;
    }
    if (db && lg->run_id > 0) {
        if (sqlite3_prepare_v2(db, "SELECT IFNULL(msg_id, -1), ts, kind, member_id, IFNULL(ref_id, -1), IFNULL(value, 0) FROM events"
                                   " WHERE run_id = ?1 AND group_id = ?2 AND ts >= ?3 AND ts < ?4 AND member_id IS NOT NULL ORDER BY ts",
                               -1, &st, NULL) != SQLITE_OK) {
            snprintf(err, errlen, "events: %s", sqlite3_errmsg(db));
            met_close(m);
            return -1;
        }
        sqlite3_bind_int64(st, 1, lg->run_id);
        sqlite3_bind_int(st, 2, lg->group_id);
        sqlite3_bind_int64(st, 3, start_ts);
        sqlite3_bind_int64(st, 4, start_ts + (int64_t)ndays * 86400);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            int kind = ev_kind_from_name((const char *)sqlite3_column_text(st, 2));
            if (kind < 0) continue;
            ev_rec e = {sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), 1, kind, sqlite3_column_int64(st, 3),
                        sqlite3_column_int64(st, 4), sqlite3_column_double(st, 5)};
            if (met_event(m, &e) != 0) { sqlite3_finalize(st); goto met_fail; }
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) { snprintf(err, errlen, "events: %s", sqlite3_errmsg(db)); met_close(m); return -1; }
    } else {
        for (int64_t j = 0; j < lg->nmsg; j++) {
            const fit_msg *x = &lg->msg[j];
            ev_rec e = {j, x->ts, 1, x->kind, lg->mem[x->mem].id, -1, 0};
            if (met_event(m, &e) != 0) goto met_fail;
        }
    }
    if (met_finish(m) != 0) goto met_fail;
    *out = m;
    return 0;
met_fail:
    snprintf(err, errlen, "metrics: %s", met_errmsg(m));
    met_close(m);
    return -1;
}

static double daily(const met_t *m, int64_t d, const char *metric)
{
    double v = NAN;
    if (met_get_daily(m, 0, d, metric, &v) != 0) return NAN;
    return v;
}

/* ---- the forecast runner ------------------------------------------------- */

typedef struct fc_job {
    const scenario *sc;
    int narms, reps, days, nthreads, store_events;
    double *dau, *msgs, *members;  /* [(arm * reps + rep) * days + day] */
    double *ret7;                  /* [arm * reps + rep] */
    rb_t **buf;                    /* per task, or NULL (nothing kept) */
    int next, failed;
    char err[1024];
    pthread_mutex_t lock;
} fc_job;

static void *fc_work(void *arg)
{
    fc_job *j = arg;
    int ntask = j->narms * j->reps;
    for (;;) {
        pthread_mutex_lock(&j->lock);
        int t = j->failed ? ntask : j->next++;
        pthread_mutex_unlock(&j->lock);
        if (t >= ntask) return NULL;
        int arm = t / j->reps, rep = t % j->reps;
        rep_opts o;
        memset(&o, 0, sizeof o);
        o.buf = j->buf ? j->buf[t] : NULL;
        o.store_events = j->store_events;
        met_t *met = NULL;
        char err[512];
        if (rep_run(j->sc, arm, rep, j->buf ? &o : NULL, &met, NULL, err, sizeof err) != 0) {
            pthread_mutex_lock(&j->lock);
            if (!j->failed) snprintf(j->err, sizeof j->err, "arm %s, replication %d: %s", j->sc->arms[arm].name, rep, err);
            j->failed = 1;
            pthread_mutex_unlock(&j->lock);
            return NULL;
        }
        for (int d = 0; d < j->days; d++) {
            size_t at = (size_t)t * (size_t)j->days + (size_t)d;
            j->dau[at] = daily(met, d, "dau");
            j->msgs[at] = daily(met, d, "messages");
            j->members[at] = daily(met, d, "members");
        }
        double r = NAN;
        met_get(met, 0, "retention_7d", &r);
        j->ret7[t] = r;
        met_close(met);
    }
}

static int fc_run(fc_job *j)
{
    size_t n = (size_t)j->narms * (size_t)j->reps;
    j->dau = malloc(n * (size_t)j->days * sizeof(double));
    j->msgs = malloc(n * (size_t)j->days * sizeof(double));
    j->members = malloc(n * (size_t)j->days * sizeof(double));
    j->ret7 = malloc(n * sizeof(double));
    if (!j->dau || !j->msgs || !j->members || !j->ret7) { snprintf(j->err, sizeof j->err, "out of memory"); return -1; }
    pthread_mutex_init(&j->lock, NULL);
    int nt = j->nthreads < (int)n ? j->nthreads : (int)n, started = 0;
    pthread_t th[64];
    for (int k = 0; k < nt && k < 64; k++)
        if (pthread_create(&th[k], NULL, fc_work, j) == 0) started++;
    if (started == 0) fc_work(j);
    for (int k = 0; k < started; k++) pthread_join(th[k], NULL);
    pthread_mutex_destroy(&j->lock);
    return j->failed ? -1 : 0;
}

static void fc_free(fc_job *j)
{
    free(j->dau);
    free(j->msgs);
    free(j->members);
    free(j->ret7);
}

/* Quantiles of x[0..n) (NaNs left out) at p (sorted copy in tmp). */
static double quant(const double *x, int n, double p, double *tmp)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(x[i])) tmp[m++] = x[i];
    if (m == 0) return NAN;
    gsl_sort(tmp, 1, (size_t)m);
    return gsl_stats_quantile_from_sorted_data(tmp, 1, (size_t)m, p);
}

/* Set every arm of sc to start from the observed state at at_ts (one
 * com_init per arm, its prior from the arm's settings).  inits[] gets the
 * states (caller frees them).  Returns 0 or an exit status. */
static int apply_state(const char *cmd, scenario *sc, const fit_log *lg, int64_t at_ts, const live_args *a, com_init **inits,
                       state_info *info0)
{
    state_opts so;
    state_opts_init(&so);
    if (a->eng_tau > 0) so.eng_tau = a->eng_tau;
    if (a->memory >= 0) so.memory = a->memory;
    for (int k = 0; k < sc->narms; k++) {
        com_params *p = &sc->arms[k].com;
        state_prior pr;
        state_info info;
        char err[512];
        state_prior_from(p, &pr);
        if (state_build(lg, at_ts, &pr, &so, &inits[k], &info, err, sizeof err) != 0) {
            fprintf(stderr, "qunsim %s: %s\n", cmd, err);
            return QS_EXIT_USAGE;
        }
        if (k == 0 && info0) *info0 = info;
        p->init = inits[k];
        p->group.size = info.members < 2 ? 2 : info.members;
        if (p->group.cap < p->group.size) p->group.cap = p->group.size;
        p->group.admins = info.admins;
        p->group.kols = info.kols;
        p->group.bots = info.bots;
        p->group.helpers = 0;
        if (1 + info.admins + info.kols + info.bots > p->group.size) p->group.size = 1 + info.admins + info.kols + info.bots;
        char verr[512];
        if (com_validate(p, verr, sizeof verr) != 0) { fprintf(stderr, "qunsim %s: arm %s: %s\n", cmd, sc->arms[k].name, verr); return QS_EXIT_USAGE; }
    }
    return 0;
}

static int set_calendar(scenario *sc, int64_t at_ts, int32_t off, int days)
{
    char d[16], o[16];
    date_str(at_ts, off, d);
    cal_offset_str(off, o, sizeof o);
    snprintf(sc->run.start, sizeof sc->run.start, "%s", d);
    snprintf(sc->run.utc_offset, sizeof sc->run.utc_offset, "%s", o);
    sc->run.days = days;
    return cal_init(&sc->cal, d, o);
}

static int default_threads(const live_args *a)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return a->threads > 0 ? a->threads : n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

/* ---- qunsim calibrate --live ------------------------------------------- */

static void print_fit(FILE *f, const fit_result *r)
{
    for (int i = 0; i < r->nval; i++) {
        const fit_value *v = &r->val[i];
        if (v->kind == FIT_V_FIXED) continue;
        fprintf(f, "  %-24s %12.5g", v->path, v->v);
        if (isfinite(v->se)) fprintf(f, " +/- %-9.2g", v->se);
        else fprintf(f, "     %-9s", "");
        fprintf(f, " %s\n", v->kind == FIT_V_DEFAULT ? "(default: not identified)" : v->kind == FIT_V_DERIVED ? "(derived)" : "");
    }
}

static int calibrate_window(const char *cmd, const live_args *a, const fit_log *lg, int64_t from, int64_t to, fit_result *r)
{
    fit_opts o;
    fit_opts_init(&o);
    o.from_ts = from;
    o.to_ts = to;
    o.partial = a->partial;
    if (a->eng_tau > 0) o.eng_tau = a->eng_tau;
    char err[1024];
    int rc = fit_run(lg, &o, r, err, sizeof err);
    if (rc == FIT_EIDENT) {
        fprintf(stderr, "qunsim %s: %s: %s\n", cmd, a->db, err);
        return QS_EXIT_USAGE;
    }
    if (rc != 0) { fprintf(stderr, "qunsim %s: %s\n", cmd, err); return QS_EXIT_FAIL; }
    return 0;
}

static void origin_text(const live_args *a, const fit_log *lg, char *buf, size_t n)
{
    snprintf(buf, n, "%s, run %lld (source %s), group %d \"%s\"", a->db, (long long)lg->run_id, lg->source, lg->group_id, lg->name);
}

int cmd_calibrate_live(int argc, char **argv)
{
    live_args a;
    memset(&a, 0, sizeof a);
    a.cmd = "calibrate";
    a.memory = -1;
    a.days = 28;
    int rc = parse(argc, argv, &a);
    if (rc) return rc == 1 ? QS_EXIT_OK : rc;
    store_t *st = NULL;
    fit_log *lg = NULL;
    if ((rc = open_log(&a, &st, &lg)) != 0) return rc;
    int64_t from = 0, to = 0;
    if ((a.from && parse_date(a.from, lg->utc_offset, &from) != 0) || (a.to && parse_date(a.to, lg->utc_offset, &to) != 0)) {
        fprintf(stderr, "qunsim calibrate: --from/--to want a date YYYY-MM-DD\n");
        rc = QS_EXIT_USAGE;
        goto out;
    }
    if (to) to += 86400; /* --to is inclusive */
    fit_result *r = malloc(sizeof *r);
    if (!r) { rc = QS_EXIT_FAIL; goto out; }
    if ((rc = calibrate_window("calibrate", &a, lg, from, to, r)) != 0) { free(r); goto out; }
    char origin[512];
    origin_text(&a, lg, origin, sizeof origin);
    FILE *f = a.out ? fopen(a.out, "w") : stdout;
    if (!f) {
        fprintf(stderr, "qunsim calibrate: %s: %s\n", a.out, strerror(errno));
        free(r);
        rc = QS_EXIT_FAIL;
        goto out;
    }
    int wrc = fit_write_scenario(r, lg, origin, a.days, f);
    if (a.out && fclose(f) != 0) wrc = -1;
    if (wrc != 0) {
        fprintf(stderr, "qunsim calibrate: %s: write error\n", a.out ? a.out : "stdout");
        free(r);
        rc = QS_EXIT_FAIL;
        goto out;
    }
    if (!a.quiet) {
        char d0[16], d1[16];
        date_str(r->from_ts, lg->utc_offset, d0);
        date_str(r->to_ts - 1, lg->utc_offset, d1);
        fprintf(stderr, "calibrated on %s .. %s (%d days, %lld messages, %d members)%s%s\n", d0, d1, r->days, (long long)r->messages,
                r->members_used, a.out ? ": " : "", a.out ? a.out : "");
        if (r->hawkes_days < r->days)
            fprintf(stderr, "note: the reply process was fitted on %d of %d days (whole weeks, above %d messages)\n", r->hawkes_days, r->days,
                    2000000);
        print_fit(stderr, r);
    }
    free(r);
    rc = QS_EXIT_OK;
out:
    fit_log_free(lg);
    store_close(st);
    return rc;
}

/* ---- qunsim forecast ---------------------------------------------------- */

static int emit_row(void *ctx, int32_t group_id, int64_t day, const char *metric, double value)
{
    void **c = ctx;
    store_t *st = c[0];
    const cal *cl = c[1];
    if (day < 0) return store_summary(st, group_id, metric, value);
    char date[16];
    cal_date_str(cl, day, date);
    return store_daily(st, group_id, date, metric, value);
}

/* The observed history as a run of the batch: arm 'live', the log's
 * source ('log' if the log is itself a simulated run), its memberships,
 * daily and summary metrics over the whole log (no events). */
static int store_history(store_t *out, int64_t batch, sqlite3 *src, const fit_log *lg, const live_args *a, int64_t *run_id)
{
    char err[512], settings[1024];
    met_t *m = NULL;
    if (observed(src, lg, lg->start_ts, lg->days, &m, err, sizeof err) != 0) {
        fprintf(stderr, "qunsim forecast: observed history: %s\n", err);
        return -1;
    }
    snprintf(settings, sizeof settings, "# observed history copied by qunsim forecast\n# from %s, run %lld, group %d (events stay there)\n",
             a->db, (long long)lg->run_id, lg->group_id);
    store_run r = {0, batch, lg->name, "live", 0, 0, 0, settings, strcmp(lg->source, "sim") ? lg->source : "log",
                   lg->start_ts, lg->utc_offset, lg->days};
    int rc = -1;
    if (store_run_begin(out, &r, run_id) != 0 || store_group(out, 1, lg->name) != 0) goto fail;
    for (int i = 0; i < lg->nmem; i++) {
        const fit_member *x = &lg->mem[i];
        ev_member em = {1, x->role, x->source, x->id, -1, x->joined_ts, x->left_ts, 0};
        if (store_member(out, &em, NULL) != 0) goto fail;
    }
    cal c = {lg->start_ts, lg->utc_offset, 0};
    void *ctx[2] = {out, &c};
    if (met_emit(m, emit_row, ctx) != 0 || store_run_commit(out) != 0) goto fail;
    rc = 0;
    met_close(m);
    return rc;
fail:
    fprintf(stderr, "qunsim forecast: %s\n", store_errmsg(out));
    store_run_rollback(out);
    met_close(m);
    return -1;
}

static char *command_line(int argc, char **argv)
{
    size_t n = 16;
    for (int i = 0; i < argc; i++) n += strlen(argv[i]) + 3;
    char *s = malloc(n);
    if (!s) return NULL;
    strcpy(s, "qunsim");
    for (int i = 0; i < argc; i++) {
        strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

int cmd_forecast(int argc, char **argv)
{
    live_args a;
    memset(&a, 0, sizeof a);
    a.cmd = "forecast";
    a.memory = -1;
    int rc = parse(argc, argv, &a);
    if (rc) return rc == 1 ? QS_EXIT_OK : rc;
    if (!a.scenario || !a.at || !a.days) {
        fprintf(stderr, "qunsim forecast: SCENARIO, --at DATE and --days H are required\n");
        usage(stderr, a.cmd);
        return QS_EXIT_USAGE;
    }
    scenario *sc = NULL;
    char err[1024];
    if (scen_load(&sc, a.scenario, err, sizeof err) != 0) { fprintf(stderr, "qunsim: %s\n", err); return QS_EXIT_USAGE; }
    store_t *src = NULL, *out = NULL;
    fit_log *lg = NULL;
    com_init *inits[SCEN_MAX_ARMS] = {0};
    fc_job j;
    memset(&j, 0, sizeof j);
    char *cmdline = NULL;
    if ((rc = open_log(&a, &src, &lg)) != 0) goto done;
    int64_t at;
    if (parse_date(a.at, lg->utc_offset, &at) != 0) { fprintf(stderr, "qunsim forecast: --at wants a date YYYY-MM-DD\n"); rc = QS_EXIT_USAGE; goto done; }
    if (at <= lg->start_ts || at > lg->start_ts + (int64_t)lg->days * 86400) {
        char d0[16], d1[16];
        date_str(lg->start_ts + 86400, lg->utc_offset, d0);
        date_str(lg->start_ts + (int64_t)lg->days * 86400, lg->utc_offset, d1);
        fprintf(stderr, "qunsim forecast: --at %s is outside the log (%s .. %s)\n", a.at, d0, d1);
        rc = QS_EXIT_USAGE;
        goto done;
    }
    if (a.has_seed) sc->seed = a.seed;
    if (a.reps) sc->run.reps = a.reps;
    if (sc->run.reps < 2) sc->run.reps = 2;
    if (set_calendar(sc, at, lg->utc_offset, a.days) != 0) { fprintf(stderr, "qunsim forecast: bad date\n"); rc = QS_EXIT_USAGE; goto done; }
    state_info info;
    if ((rc = apply_state("forecast", sc, lg, at, &a, inits, &info)) != 0) goto done;

    /* the results database: DIR/results.db, or the live database itself */
    char path[4200];
    if (a.out) {
        if (mkdir(a.out, 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "qunsim forecast: %s: %s\n", a.out, strerror(errno));
            rc = QS_EXIT_FAIL;
            goto done;
        }
        snprintf(path, sizeof path, "%s/results.db", a.out);
        if (store_open(&out, path, err, sizeof err) != 0) { fprintf(stderr, "qunsim forecast: %s\n", err); rc = QS_EXIT_FAIL; goto done; }
    } else {
        snprintf(path, sizeof path, "%s", a.db);
        out = src;
    }
    j.sc = sc;
    j.narms = sc->narms;
    j.reps = sc->run.reps;
    j.days = a.days;
    j.nthreads = default_threads(&a);
    j.store_events = sc->run.events;
    j.buf = calloc((size_t)j.narms * (size_t)j.reps, sizeof *j.buf);
    if (!j.buf) { rc = QS_EXIT_FAIL; goto done; }
    for (int t = 0; t < j.narms * j.reps; t++)
        if (rb_new(&j.buf[t]) != 0) { fprintf(stderr, "qunsim forecast: out of memory\n"); rc = QS_EXIT_FAIL; goto done; }
    if (fc_run(&j) != 0) { fprintf(stderr, "qunsim forecast: %s\n", j.err); rc = QS_EXIT_FAIL; goto done; }

    cmdline = command_line(argc, argv);
    store_batch b = {"forecast", sc->run.name, a.scenario, sc->text, (int64_t)sc->seed, j.reps, a.days, cmdline};
    int64_t batch = 0, live_run = 0;
    if (store_batch_add(out, &b, &batch) != 0 || store_point_add(out, batch, 0, "") != 0) {
        fprintf(stderr, "qunsim forecast: %s\n", store_errmsg(out));
        rc = QS_EXIT_FAIL;
        goto done;
    }
    if (store_history(out, batch, store_db(src), lg, &a, &live_run) != 0) { rc = QS_EXIT_FAIL; goto done; }
    for (int t = 0; t < j.narms * j.reps; t++) {
        int c = rb_commit(j.buf[t], out, 0, batch);
        if (c != 0) {
            fprintf(stderr, "qunsim forecast: %s\n", c == -2 ? "out of memory" : store_errmsg(out));
            rc = QS_EXIT_FAIL;
            goto done;
        }
    }
    if (!a.quiet) {
        double *tmp = malloc(sizeof(double) * (size_t)j.reps), *mean = malloc(sizeof(double) * 3 * (size_t)j.reps);
        if (tmp && mean) {
            char d0[16];
            date_str(at, lg->utc_offset, d0);
            printf("forecast of %s (run %lld, group %d): %d members at %s, %d arm(s) x %d replications, %d days\n", lg->name,
                   (long long)lg->run_id, lg->group_id, info.members, d0, j.narms, j.reps, j.days);
            printf("%-20s %-28s %-28s %s\n", "arm", "speakers/day: median [90%]", "messages/day: median [90%]", "members at the end");
            for (int k = 0; k < j.narms; k++) {
                for (int r = 0; r < j.reps; r++) {
                    double sd = 0, sm = 0;
                    size_t base = ((size_t)k * (size_t)j.reps + (size_t)r) * (size_t)j.days;
                    for (int d = 0; d < j.days; d++) { sd += j.dau[base + (size_t)d]; sm += j.msgs[base + (size_t)d]; }
                    mean[r] = sd / j.days;
                    mean[j.reps + r] = sm / j.days;
                    mean[2 * j.reps + r] = j.members[base + (size_t)j.days - 1];
                }
                char c1[64], c2[64], c3[64];
                snprintf(c1, sizeof c1, "%.1f [%.1f, %.1f]", quant(mean, j.reps, 0.5, tmp), quant(mean, j.reps, 0.05, tmp), quant(mean, j.reps, 0.95, tmp));
                snprintf(c2, sizeof c2, "%.1f [%.1f, %.1f]", quant(mean + j.reps, j.reps, 0.5, tmp), quant(mean + j.reps, j.reps, 0.05, tmp),
                         quant(mean + j.reps, j.reps, 0.95, tmp));
                snprintf(c3, sizeof c3, "%.0f [%.0f, %.0f]", quant(mean + 2 * j.reps, j.reps, 0.5, tmp), quant(mean + 2 * j.reps, j.reps, 0.05, tmp),
                         quant(mean + 2 * j.reps, j.reps, 0.95, tmp));
                printf("%-20.20s %-28s %-28s %s\n", sc->arms[k].name, c1, c2, c3);
            }
            printf("stored in %s: batch %lld (kind 'forecast'), observed history as run %lld (arm 'live')\n", path, (long long)batch,
                   (long long)live_run);
        }
        free(tmp);
        free(mean);
    }
    rc = QS_EXIT_OK;
done:
    if (j.buf)
        for (int t = 0; t < j.narms * j.reps; t++) rb_free(j.buf[t]);
    free(j.buf);
    fc_free(&j);
    free(cmdline);
    if (out && out != src) store_close(out);
    store_close(src);
    fit_log_free(lg);
    for (int k = 0; k < SCEN_MAX_ARMS; k++) state_free(inits[k]);
    scen_free(sc);
    return rc;
}

/* ---- qunsim backtest ---------------------------------------------------- */

typedef struct score {
    double mape_dau, mape_msgs, ret_err, cover, cover_dau, cover_msgs;
} score;

static double mape(const double *f, const double *y, int n)
{
    double s = 0;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (y[i] > 0 && isfinite(f[i])) { s += fabs(f[i] - y[i]) / y[i]; k++; }
    return k ? s / k : NAN;
}

static void json_num(const char *key, double v, int comma)
{
    if (isfinite(v)) printf("\"%s\": %.6g%s", key, v, comma ? ", " : "");
    else printf("\"%s\": null%s", key, comma ? ", " : "");
}

static void json_score(const char *name, const score *s, int bands)
{
    printf("  \"%s\": {", name);
    json_num("dau_mape", s->mape_dau, 1);
    json_num("messages_mape", s->mape_msgs, 1);
    json_num("retention_7d_error", s->ret_err, bands);
    if (bands) {
        json_num("coverage90", s->cover, 1);
        json_num("coverage90_dau", s->cover_dau, 1);
        json_num("coverage90_messages", s->cover_msgs, 0);
    }
    printf("}");
}

static void pct(char *b, size_t n, double v)
{
    if (isfinite(v)) snprintf(b, n, "%.1f%%", 100 * v);
    else snprintf(b, n, "n/a");
}

int cmd_backtest(int argc, char **argv)
{
    live_args a;
    memset(&a, 0, sizeof a);
    a.cmd = "backtest";
    a.memory = -1;
    a.format = "table";
    a.reps = 100;
    int rc = parse(argc, argv, &a);
    if (rc) return rc == 1 ? QS_EXIT_OK : rc;
    if (!a.at || !a.days) { fprintf(stderr, "qunsim backtest: --at DATE and --days H are required\n"); usage(stderr, a.cmd); return QS_EXIT_USAGE; }
    store_t *src = NULL;
    fit_log *lg = NULL;
    scenario *sc = NULL;
    fit_result *fr = NULL;
    met_t *obs = NULL, *hist = NULL;
    com_init *inits[SCEN_MAX_ARMS] = {0};
    fc_job j;
    memset(&j, 0, sizeof j);
    double *tmp = NULL, *med = NULL;
    char err[1024], tpath[512] = "";
    if ((rc = open_log(&a, &src, &lg)) != 0) goto done;
    int64_t at, end = lg->start_ts + (int64_t)lg->days * 86400;
    if (parse_date(a.at, lg->utc_offset, &at) != 0) { fprintf(stderr, "qunsim backtest: --at wants a date YYYY-MM-DD\n"); rc = QS_EXIT_USAGE; goto done; }
    if (at <= lg->start_ts || at >= end) {
        fprintf(stderr, "qunsim backtest: --at %s leaves no log before or after it\n", a.at);
        rc = QS_EXIT_USAGE;
        goto done;
    }
    int H = a.days, Hobs = (int)((end - at) / 86400);
    if (Hobs < H) {
        fprintf(stderr, "qunsim backtest: note: the log has %d day(s) after %s; comparing those\n", Hobs, a.at);
        H = Hobs;
    }
    int64_t from = 0;
    if (a.from && parse_date(a.from, lg->utc_offset, &from) != 0) { fprintf(stderr, "qunsim backtest: bad --from\n"); rc = QS_EXIT_USAGE; goto done; }

    /* calibrate on the log before the date; the scenario goes through a file, as a user's would */
    if (!(fr = malloc(sizeof *fr))) { rc = QS_EXIT_FAIL; goto done; }
    if ((rc = calibrate_window("backtest", &a, lg, from, at, fr)) != 0) goto done;
    const char *tdir = getenv("TMPDIR");
    snprintf(tpath, sizeof tpath, "%s/qunsim-backtest-XXXXXX", tdir && tdir[0] ? tdir : "/tmp");
    int fd = mkstemp(tpath);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) { fprintf(stderr, "qunsim backtest: temporary scenario: %s\n", strerror(errno)); tpath[0] = 0; rc = QS_EXIT_FAIL; goto done; }
    char origin[512];
    origin_text(&a, lg, origin, sizeof origin);
    int wrc = fit_write_scenario(fr, lg, origin, H, f);
    if (fclose(f) != 0 || wrc != 0) { fprintf(stderr, "qunsim backtest: temporary scenario: write error\n"); rc = QS_EXIT_FAIL; goto done; }
    if (scen_load(&sc, tpath, err, sizeof err) != 0) { fprintf(stderr, "qunsim backtest: the calibrated scenario: %s\n", err); rc = QS_EXIT_FAIL; goto done; }
    if (a.has_seed) sc->seed = a.seed;
    if (set_calendar(sc, at, lg->utc_offset, H) != 0) { rc = QS_EXIT_FAIL; goto done; }
    if ((rc = apply_state("backtest", sc, lg, at, &a, inits, NULL)) != 0) goto done;
    j.sc = sc;
    j.narms = 1;
    j.reps = a.reps;
    j.days = H;
    j.nthreads = default_threads(&a);
    if (fc_run(&j) != 0) { fprintf(stderr, "qunsim backtest: %s\n", j.err); rc = QS_EXIT_FAIL; goto done; }

    /* what the log shows after the date, and before it */
    int hd = (int)((at - (from ? from : lg->start_ts)) / 86400);
    if (observed(store_db(src), lg, at, H, &obs, err, sizeof err) != 0 ||
        observed(store_db(src), lg, from ? from : lg->start_ts, hd, &hist, err, sizeof err) != 0) {
        fprintf(stderr, "qunsim backtest: %s\n", err);
        rc = QS_EXIT_FAIL;
        goto done;
    }
    tmp = malloc(sizeof(double) * (size_t)(j.reps > 8 ? j.reps : 8));
    med = calloc((size_t)H * 12, sizeof(double));
    if (!tmp || !med) { rc = QS_EXIT_FAIL; goto done; }
    double *y_dau = med, *y_msg = med + H, *m_dau = med + 2 * H, *m_msg = med + 3 * H, *lw_dau = med + 4 * H, *lw_msg = med + 5 * H;
    double *ed_dau = med + 6 * H, *ed_msg = med + 7 * H, *lo = med + 8 * H, *hi = med + 9 * H, *mlo = med + 10 * H, *mhi = med + 11 * H;
    double *col = malloc(sizeof(double) * (size_t)j.reps);
    if (!col) { rc = QS_EXIT_FAIL; goto done; }
    int in_dau = 0, in_msg = 0, nd_dau = 0, nd_msg = 0;
    for (int d = 0; d < H; d++) {
        y_dau[d] = daily(obs, d, "dau");
        y_msg[d] = daily(obs, d, "messages");
        for (int pass = 0; pass < 2; pass++) {
            const double *src_v = pass ? j.msgs : j.dau;
            for (int r = 0; r < j.reps; r++) col[r] = src_v[(size_t)r * (size_t)H + (size_t)d];
            double q05 = quant(col, j.reps, 0.05, tmp), q50 = quant(col, j.reps, 0.5, tmp), q95 = quant(col, j.reps, 0.95, tmp);
            double y = pass ? y_msg[d] : y_dau[d];
            (pass ? m_msg : m_dau)[d] = q50;
            if (!pass) { lo[d] = q05; hi[d] = q95; }
            else { mlo[d] = q05; mhi[d] = q95; }
            if (isfinite(y)) {
                int in = y >= q05 && y <= q95;
                if (pass) { in_msg += in; nd_msg++; } else { in_dau += in; nd_dau++; }
            }
        }
    }
    /* baselines on the same split */
    double h_dau[7], h_msg[7];
    for (int k = 0; k < 7; k++) {
        int d = hd - 7 + k;
        h_dau[k] = d >= 0 ? daily(hist, d, "dau") : NAN;
        h_msg[k] = d >= 0 ? daily(hist, d, "messages") : NAN;
    }
    for (int d = 0; d < H; d++) { lw_dau[d] = h_dau[d % 7]; lw_msg[d] = h_msg[d % 7]; }
    /* exponential decay of active members: log(dau) on day, least squares over the last 28 history days */
    double sx = 0, sy = 0, sxx = 0, sxy = 0, n = 0;
    for (int d = hd - 28 < 0 ? 0 : hd - 28; d < hd; d++) {
        double v = daily(hist, d, "dau");
        if (!(v > 0)) continue;
        sx += d; sy += log(v); sxx += (double)d * d; sxy += d * log(v); n++;
    }
    double slope = n > 1 && n * sxx - sx * sx > 0 ? (n * sxy - sx * sy) / (n * sxx - sx * sx) : 0, icpt = n > 0 ? (sy - slope * sx) / n : NAN;
    double per = 0, pd = 0;
    for (int k = 0; k < 7; k++)
        if (isfinite(h_dau[k]) && isfinite(h_msg[k])) { per += h_msg[k]; pd += h_dau[k]; }
    per = pd > 0 ? per / pd : NAN;
    for (int d = 0; d < H; d++) {
        ed_dau[d] = exp(icpt + slope * (hd + d));
        ed_msg[d] = ed_dau[d] * per;
    }
    /* retention: observed over the horizon (needs 8 days), the model's mean over replications,
     * the baselines the history's last 7 cohorts with a complete week of follow-up */
    double y_ret = NAN, m_ret = 0, b_ret = NAN, num = 0, den = 0;
    met_get(obs, 0, "retention_7d", &y_ret);
    int nr = 0;
    for (int r = 0; r < j.reps; r++)
        if (isfinite(j.ret7[r])) { m_ret += j.ret7[r]; nr++; }
    m_ret = nr ? m_ret / nr : NAN;
    for (int d = hd - 14; d <= hd - 8; d++) {
        if (d < 0) continue;
        double rr = daily(hist, d, "retention_7d"), c = daily(hist, d, "dau");
        if (isfinite(rr) && c > 0) { num += rr * c; den += c; }
    }
    b_ret = den > 0 ? num / den : NAN;
    score sm = {mape(m_dau, y_dau, H), mape(m_msg, y_msg, H), m_ret - y_ret, (double)(in_dau + in_msg) / (nd_dau + nd_msg),
                nd_dau ? (double)in_dau / nd_dau : NAN, nd_msg ? (double)in_msg / nd_msg : NAN};
    score slw = {mape(lw_dau, y_dau, H), mape(lw_msg, y_msg, H), b_ret - y_ret, NAN, NAN, NAN};
    score sed = {mape(ed_dau, y_dau, H), mape(ed_msg, y_msg, H), b_ret - y_ret, NAN, NAN, NAN};
    char d0[16], d1[16], ds[16];
    date_str(from ? from : lg->start_ts, lg->utc_offset, d0);
    date_str(at - 1, lg->utc_offset, d1);
    date_str(at, lg->utc_offset, ds);
    double oy_dau = 0, oy_msg = 0;
    for (int d = 0; d < H; d++) { oy_dau += y_dau[d] / H; oy_msg += y_msg[d] / H; }
    if (!strcmp(a.format, "json")) {
        printf("{\n  \"live\": ");
        json_str(a.db);
        printf(", \"run\": %lld, \"group\": %d, \"group_name\": ", (long long)lg->run_id, lg->group_id);
        json_str(lg->name);
        printf(",\n  \"calibrated_from\": \"%s\", \"calibrated_to\": \"%s\", \"at\": \"%s\", \"days\": %d, \"reps\": %d,\n", d0, d1, ds, H, j.reps);
        json_score("model", &sm, 1);
        printf(",\n");
        json_score("last_week", &slw, 0);
        printf(",\n");
        json_score("exp_decay", &sed, 0);
        printf(",\n  \"observed\": {");
        json_num("dau_mean", oy_dau, 1);
        json_num("messages_per_day", oy_msg, 1);
        json_num("retention_7d", y_ret, 0);
        printf("},\n  \"daily\": [");
        cal c;
        char o[16];
        cal_offset_str(lg->utc_offset, o, sizeof o);
        cal_init(&c, ds, o);
        for (int d = 0; d < H; d++) {
            char day[16];
            cal_date_str(&c, d, day);
            printf("%s\n    {\"day\": \"%s\", ", d ? "," : "", day);
            json_num("dau", y_dau[d], 1);
            json_num("dau_median", m_dau[d], 1);
            json_num("dau_lo90", lo[d], 1);
            json_num("dau_hi90", hi[d], 1);
            json_num("messages", y_msg[d], 1);
            json_num("messages_median", m_msg[d], 1);
            json_num("messages_lo90", mlo[d], 1);
            json_num("messages_hi90", mhi[d], 0);
            printf("}");
        }
        printf("\n  ]\n}\n");
    } else {
        printf("backtest of %s (run %lld, group %d): calibrated on %s .. %s (%d days), forecast %d days from %s, %d replications\n",
               lg->name, (long long)lg->run_id, lg->group_id, d0, d1, hd, H, ds, j.reps);
        printf("%-26s %10s %14s %19s  %s\n", "", "dau MAPE", "messages MAPE", "retention_7d error", "in 90% band (dau, messages)");
        const score *s3[3] = {&sm, &slw, &sed};
        const char *nm[3] = {"model (median of runs)", "last week repeated", "exp. decay of speakers"};
        for (int k = 0; k < 3; k++) {
            char a1[32], a2[32], a3[32], a4[64];
            pct(a1, sizeof a1, s3[k]->mape_dau);
            pct(a2, sizeof a2, s3[k]->mape_msgs);
            if (isfinite(s3[k]->ret_err)) snprintf(a3, sizeof a3, "%+.1f pp", 100 * s3[k]->ret_err);
            else snprintf(a3, sizeof a3, "n/a");
            if (k == 0) snprintf(a4, sizeof a4, "%.0f%% (%.0f%%, %.0f%%)", 100 * sm.cover, 100 * sm.cover_dau, 100 * sm.cover_msgs);
            else snprintf(a4, sizeof a4, "-");
            printf("%-26s %10s %14s %19s  %s\n", nm[k], a1, a2, a3, a4);
        }
        printf("observed after %s: %.1f speakers/day, %.1f messages/day, retention_7d ", ds, oy_dau, oy_msg);
        if (isfinite(y_ret)) printf("%.3f\n", y_ret);
        else printf("n/a (needs 8 days after the date)\n");
    }
    free(col);
    rc = QS_EXIT_OK;
done:
    if (tpath[0]) unlink(tpath);
    fc_free(&j);
    free(tmp);
    free(med);
    free(fr);
    met_close(obs);
    met_close(hist);
    for (int k = 0; k < SCEN_MAX_ARMS; k++) state_free(inits[k]);
    scen_free(sc);
    fit_log_free(lg);
    store_close(src);
    return rc;
}
