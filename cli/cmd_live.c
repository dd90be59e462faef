/* cmd_live.c -- from a group's live log to a forecast: `qunsim calibrate
 * --live` (models/fit.h), `qunsim forecast` (every arm from the observed
 * state at a date, models/state.h, stored as a batch of kind 'forecast'
 * with a copy of the history) and `qunsim backtest` (calibrate before a
 * date, forecast, compare with the log, beside two naive baselines). */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
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
#include "live.h"
#include "plot.h"
#include "fit.h"
#include "metrics.h"
#include "replica.h"
#include "runbuf.h"
#include "scenario.h"
#include "state.h"
#include "store.h"

/* ---- options shared by the three commands ------------------------------ */


void lv_usage(FILE *f, const char *cmd)
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
                   "                       [--seed S] [--threads N] [--out DIR] [--format table|csv|json] [--quiet]\n"
                   "  runs every arm of SCENARIO H days from the group's observed state at DATE (members present with\n"
                   "  their roles, rates from their history, engagement from how recently and how much they spoke) and\n"
                   "  stores the runs as a batch of kind 'forecast' with a copy of the observed history (arm 'live') in\n"
                   "  DIR/results.db, or in LIVE.db without --out; `qunsim report` shows history then the forecast fan.\n");
    else
        fprintf(f, "usage: qunsim backtest --live LIVE.db (--at DATE | --origins D1,D2,... | --every Nd) --days H\n"
                   "                       [--history Nd] [--from D] [--to D] [--run ID] [--group G|all] [--reps R] [--seed S]\n"
                   "                       [--threads N] [--format table|csv|json] [--classic]\n"
                   "  calibrates on the log before each origin (the last --history days, default all of it), forecasts H\n"
                   "  days, and compares with the log after it, beside the forecasts an analyst would make (last week\n"
                   "  repeated, same weekday over 4 weeks, flat 28-day mean, exponential decay, Holt-Winters): MAPE and\n"
                   "  MASE of daily active speakers and messages, 90%% band coverage and interval score, 7-day retention\n"
                   "  error.  --every 28d: rolling origins every 28 days from day --history of each group's log, skipping\n"
                   "  origins with fewer than 200 messages of history or a logger outage (> 7 days without a row).\n"
                   "  --group all: every group of the run.  --to D: the log's last day (later quiet days count as zero).\n"
                   "  --classic: the forecast model of qunsim 0.1, for comparison.\n");
}

/* Parse argv into *a.  Returns 0, 1 after --help, or an exit status. */
int lv_parse(int argc, char **argv, live_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end;
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) { lv_usage(stdout, a->cmd); return 1; }
        else if (!strcmp(o, "--partial")) a->partial = 1;
        else if (!strcmp(o, "--quiet")) a->quiet = 1;
        else if (!strcmp(o, "--classic")) a->classic = 1;
        else if (!strcmp(o, "--origins") && v) { a->origins = v; i++; }
        else if ((!strcmp(o, "--every") || !strcmp(o, "--history")) && v) {
            /* N or Nd: days */
            long x = strtol(v, &end, 10);
            i++;
            if (end == v || (*end && strcmp(end, "d")) || x < 1 || x > 3650) { fprintf(stderr, "qunsim %s: %s wants a number of days (e.g. 28d)\n", a->cmd, o); return QS_EXIT_USAGE; }
            if (o[2] == 'e') a->every = (int)x;
            else a->history = (int)x;
        }
        else if (!strcmp(o, "--live") && v) { a->db = v; i++; }
        else if (!strcmp(o, "--group") && v) { a->group = v; i++; }
        else if (!strcmp(o, "--from") && v) { a->from = v; i++; }
        else if (!strcmp(o, "--to") && v) { a->to = v; i++; }
        else if (!strcmp(o, "--at") && v) { a->at = v; i++; }
        else if (!strcmp(o, "--out") && v) { a->out = v; i++; }
        else if (!strcmp(o, "--format") && v) {
            a->format = v;
            i++;
            if (strcmp(v, "table") && strcmp(v, "json") && (strcmp(v, "csv") || !strcmp(a->cmd, "calibrate"))) { fprintf(stderr, "qunsim %s: --format must be table%s or json\n", a->cmd, strcmp(a->cmd, "calibrate") ? ", csv" : ""); return QS_EXIT_USAGE; }
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
            /* the results database stores a signed 64-bit seed */
            if (end == v || *end || errno || v[0] == '-' || a->seed > INT64_MAX) {
                fprintf(stderr, "qunsim %s: --seed wants a whole number 0..%lld\n", a->cmd, (long long)INT64_MAX);
                return QS_EXIT_USAGE;
            }
        } else if ((!strcmp(o, "--eng-tau") || !strcmp(o, "--memory")) && v) {
            double x = strtod(v, &end);
            i++;
            if (*end || !(x >= 0) || x > 1e6 || (o[2] == 'e' && !(x > 0))) { fprintf(stderr, "qunsim %s: bad %s\n", a->cmd, o); return QS_EXIT_USAGE; }
            if (o[2] == 'e') a->eng_tau = x;
            else a->memory = x;
        } else if (o[0] == '-') {
            fprintf(stderr, "qunsim %s: unknown option or missing value '%s'\n", a->cmd, o);
            lv_usage(stderr, a->cmd);
            return QS_EXIT_USAGE;
        } else if (!a->scenario && !strcmp(a->cmd, "forecast")) a->scenario = o;
        else {
            fprintf(stderr, "qunsim %s: unexpected argument '%s'\n", a->cmd, o);
            return QS_EXIT_USAGE;
        }
    }
    if (!a->db) { fprintf(stderr, "qunsim %s: --live LIVE.db is required\n", a->cmd); lv_usage(stderr, a->cmd); return QS_EXIT_USAGE; }
    return 0;
}

/* Local midnight (unix seconds) of date "YYYY-MM-DD" at offset off. */
int lv_parse_date(const char *s, int32_t off, int64_t *ts)
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

void lv_date_str(int64_t ts, int32_t off, char *buf) { cal_ts_date_str(ts, off, buf); }


int lv_open_log(const live_args *a, store_t **st, fit_log **lg)
{
    char err[1024];
    if (access(a->db, R_OK) != 0) { fprintf(stderr, "qunsim %s: %s: %s\n", a->cmd, a->db, strerror(errno)); return QS_EXIT_USAGE; }
    if (store_open_existing(st, a->db, err, sizeof err) != 0) { fprintf(stderr, "qunsim %s: %s\n", a->cmd, err); return QS_EXIT_USAGE; }
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
int lv_observed(sqlite3 *db, const fit_log *lg, int64_t start_ts, int ndays, met_t **out, char *err, size_t errlen)
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

double lv_daily(const met_t *m, int64_t d, const char *metric)
{
    double v = NAN;
    if (met_get_daily(m, 0, d, metric, &v) != 0) return NAN;
    return v;
}

/* ---- the forecast runner ------------------------------------------------- */


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
            j->dau[at] = lv_daily(met, d, "dau");
            j->msgs[at] = lv_daily(met, d, "messages");
            j->members[at] = lv_daily(met, d, "members");
        }
        double r = NAN;
        met_get(met, 0, "retention_7d", &r);
        j->ret7[t] = r;
        met_close(met);
    }
}

int fc_run(fc_job *j)
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

void fc_free(fc_job *j)
{
    free(j->dau);
    free(j->msgs);
    free(j->members);
    free(j->ret7);
}

/* Quantiles of x[0..n) (NaNs left out) at p (sorted copy in tmp). */
double lv_quant(const double *x, int n, double p, double *tmp)
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
int lv_apply_state(const char *cmd, scenario *sc, const fit_log *lg, int64_t at_ts, const live_args *a, com_init **inits,
                       state_info *info0)
{
    state_opts so;
    state_opts_init(&so);
    if (a->eng_tau > 0) so.eng_tau = a->eng_tau;
    if (a->memory >= 0) so.memory = a->memory;
    so.classic = a->classic;
    so.from_ts = a->hist_from;
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
        if (p->group.cap < p->group.size) /* a log beyond the platform's cap (not WeChat): joiners still get in */
            p->group.cap = a->classic ? p->group.size : 2 * p->group.size + 1000;
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

int lv_set_calendar(scenario *sc, int64_t at_ts, int32_t off, int days)
{
    char d[16], o[16];
    lv_date_str(at_ts, off, d);
    cal_offset_str(off, o, sizeof o);
    snprintf(sc->run.start, sizeof sc->run.start, "%s", d);
    snprintf(sc->run.utc_offset, sizeof sc->run.utc_offset, "%s", o);
    sc->run.days = days;
    return cal_init(&sc->cal, d, o);
}

int lv_threads(const live_args *a)
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

int lv_calibrate(const char *cmd, const live_args *a, const fit_log *lg, int64_t from, int64_t to, fit_result *r)
{
    fit_opts o;
    fit_opts_init(&o);
    o.from_ts = from;
    o.to_ts = to;
    o.partial = a->partial;
    o.classic = a->classic;
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

void lv_origin_text(const live_args *a, const fit_log *lg, char *buf, size_t n)
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
    int rc = lv_parse(argc, argv, &a);
    if (rc) return rc == 1 ? QS_EXIT_OK : rc;
    store_t *st = NULL;
    fit_log *lg = NULL;
    if ((rc = lv_open_log(&a, &st, &lg)) != 0) return rc;
    int64_t from = 0, to = 0;
    if ((a.from && lv_parse_date(a.from, lg->utc_offset, &from) != 0) || (a.to && lv_parse_date(a.to, lg->utc_offset, &to) != 0)) {
        fprintf(stderr, "qunsim calibrate: --from/--to want a date YYYY-MM-DD\n");
        rc = QS_EXIT_USAGE;
        goto out;
    }
    if (to) to += 86400; /* --to is inclusive */
    fit_result *r = malloc(sizeof *r);
    if (!r) { rc = QS_EXIT_FAIL; goto out; }
    if ((rc = lv_calibrate("calibrate", &a, lg, from, to, r)) != 0) { free(r); goto out; }
    char origin[512];
    lv_origin_text(&a, lg, origin, sizeof origin);
    /* a fresh file: a planted link is replaced, not written through (plot_create) */
    char cerr[600] = "";
    FILE *f = a.out ? plot_create(a.out, cerr, sizeof cerr) : stdout;
    if (!f) {
        fprintf(stderr, "qunsim calibrate: %s\n", cerr);
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
        lv_date_str(r->from_ts, lg->utc_offset, d0);
        lv_date_str(r->to_ts - 1, lg->utc_offset, d1);
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
    if (lv_observed(src, lg, lg->start_ts, lg->days, &m, err, sizeof err) != 0) {
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
    a.format = "table";
    a.memory = -1;
    int rc = lv_parse(argc, argv, &a);
    if (rc) return rc == 1 ? QS_EXIT_OK : rc;
    if (!a.scenario || !a.at || !a.days) {
        fprintf(stderr, "qunsim forecast: SCENARIO, --at DATE and --days H are required\n");
        lv_usage(stderr, a.cmd);
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
    if ((rc = lv_open_log(&a, &src, &lg)) != 0) goto done;
    int64_t at;
    if (lv_parse_date(a.at, lg->utc_offset, &at) != 0) { fprintf(stderr, "qunsim forecast: --at wants a date YYYY-MM-DD\n"); rc = QS_EXIT_USAGE; goto done; }
    if (at <= lg->start_ts || at > lg->start_ts + (int64_t)lg->days * 86400) {
        /* the log's days as import and metrics print them (first .. last), and the dates a forecast may start */
        char f0[16], f1[16], d0[16], d1[16];
        lv_date_str(lg->start_ts, lg->utc_offset, f0);
        lv_date_str(lg->start_ts + (int64_t)(lg->days - 1) * 86400, lg->utc_offset, f1);
        lv_date_str(lg->start_ts + 86400, lg->utc_offset, d0);
        lv_date_str(lg->start_ts + (int64_t)lg->days * 86400, lg->utc_offset, d1);
        fprintf(stderr, "qunsim forecast: --at %s: the log covers %s .. %s; a forecast starts from %s to %s (the day after its last)\n", a.at, f0,
                f1, d0, d1);
        rc = QS_EXIT_USAGE;
        goto done;
    }
    if (a.has_seed) sc->seed = a.seed;
    if (a.reps) sc->run.reps = a.reps;
    if (sc->run.reps < 2) sc->run.reps = 2;
    if (lv_set_calendar(sc, at, lg->utc_offset, a.days) != 0) { fprintf(stderr, "qunsim forecast: bad date\n"); rc = QS_EXIT_USAGE; goto done; }
    state_info info;
    if ((rc = lv_apply_state("forecast", sc, lg, at, &a, inits, &info)) != 0) goto done;

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
    j.nthreads = lv_threads(&a);
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
            lv_date_str(at, lg->utc_offset, d0);
            int fmt = !strcmp(a.format, "csv") ? 1 : !strcmp(a.format, "json") ? 2 : 0;
            if (fmt == 0) {
                printf("forecast of %s (run %lld, group %d): %d members at %s, %d arm(s) x %d replications, %d days\n", lg->name,
                       (long long)lg->run_id, lg->group_id, info.members, d0, j.narms, j.reps, j.days);
                printf("%-20s %-28s %-28s %s\n", "arm", "speakers/day: median [90%]", "messages/day: median [90%]", "members at the end");
            } else if (fmt == 1)
                printf("arm,speakers_median,speakers_lo90,speakers_hi90,messages_median,messages_lo90,messages_hi90,members_end_median,"
                       "members_end_lo90,members_end_hi90\n");
            else {
                printf("{\"group\": ");
                json_str(lg->name);
                printf(", \"run\": %lld, \"at\": \"%s\", \"days\": %d, \"reps\": %d, \"members\": %d, \"arms\": [", (long long)lg->run_id, d0,
                       j.days, j.reps, info.members);
            }
            for (int k = 0; k < j.narms; k++) {
                for (int r = 0; r < j.reps; r++) {
                    double sd = 0, sm = 0;
                    size_t base = ((size_t)k * (size_t)j.reps + (size_t)r) * (size_t)j.days;
                    for (int d = 0; d < j.days; d++) { sd += j.dau[base + (size_t)d]; sm += j.msgs[base + (size_t)d]; }
                    mean[r] = sd / j.days;
                    mean[j.reps + r] = sm / j.days;
                    mean[2 * j.reps + r] = j.members[base + (size_t)j.days - 1];
                }
                double q[9];
                for (int v = 0; v < 3; v++) {
                    q[3 * v] = lv_quant(mean + v * j.reps, j.reps, 0.5, tmp);
                    q[3 * v + 1] = lv_quant(mean + v * j.reps, j.reps, 0.05, tmp);
                    q[3 * v + 2] = lv_quant(mean + v * j.reps, j.reps, 0.95, tmp);
                }
                if (fmt == 1) {
                    csv_str(sc->arms[k].name);
                    for (int v = 0; v < 9; v++) printf(",%.6g", q[v]);
                    printf("\n");
                    continue;
                }
                if (fmt == 2) {
                    static const char *const key[3] = {"speakers_per_day", "messages_per_day", "members_end"};
                    printf("%s\n  {\"arm\": ", k ? "," : "");
                    json_str(sc->arms[k].name);
                    for (int v = 0; v < 3; v++)
                        printf(", \"%s\": {\"median\": %.6g, \"lo90\": %.6g, \"hi90\": %.6g}", key[v], q[3 * v], q[3 * v + 1], q[3 * v + 2]);
                    printf("}");
                    continue;
                }
                char c1[64], c2[64], c3[64];
                snprintf(c1, sizeof c1, "%.1f [%.1f, %.1f]", lv_quant(mean, j.reps, 0.5, tmp), lv_quant(mean, j.reps, 0.05, tmp), lv_quant(mean, j.reps, 0.95, tmp));
                snprintf(c2, sizeof c2, "%.1f [%.1f, %.1f]", lv_quant(mean + j.reps, j.reps, 0.5, tmp), lv_quant(mean + j.reps, j.reps, 0.05, tmp),
                         lv_quant(mean + j.reps, j.reps, 0.95, tmp));
                snprintf(c3, sizeof c3, "%.0f [%.0f, %.0f]", lv_quant(mean + 2 * j.reps, j.reps, 0.5, tmp), lv_quant(mean + 2 * j.reps, j.reps, 0.05, tmp),
                         lv_quant(mean + 2 * j.reps, j.reps, 0.95, tmp));
                printf("%-20.20s %-28s %-28s %s\n", sc->arms[k].name, c1, c2, c3);
            }
            if (fmt == 2) printf("\n], \"batch\": %lld, \"live_run\": %lld}\n", (long long)batch, (long long)live_run);
            else if (fmt == 0)
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

