/* live.h -- what the live-log commands share (cli/cmd_live.c: calibrate
 * --live, forecast; cli/cmd_backtest.c: backtest): their options, reading
 * the log and its observed metrics, and the forecast runner (every arm x
 * replication of a scenario started from the log's state at a date). */
#ifndef QS_LIVE_H
#define QS_LIVE_H

#include <stdint.h>
#include <stdio.h>
#include <pthread.h>

#include <sqlite3.h>

#include "fit.h"
#include "metrics.h"
#include "runbuf.h"
#include "scenario.h"
#include "state.h"
#include "store.h"

typedef struct live_args {
    const char *cmd;        /* "calibrate", "forecast", "backtest" */
    const char *scenario;   /* forecast: SCENARIO */
    const char *db, *group, *from, *to, *at, *out, *format;
    const char *origins;    /* backtest: D1,D2,... */
    int every, history;     /* backtest: origins every N days after `history` days (0: off / all before) */
    int64_t run;
    int days, reps, threads, partial, has_seed, quiet;
    int classic;            /* the forecast of qunsim 0.1 (no attrition, no conversation replies, no day dispersion) */
    unsigned long long seed;
    double eng_tau, memory;
    int64_t hist_from;      /* backtest: the history's start at the current origin (state_opts.from_ts) */
} live_args;

void lv_usage(FILE *f, const char *cmd);
/* Parse argv into *a.  Returns 0, 1 after --help, or an exit status. */
int lv_parse(int argc, char **argv, live_args *a);
/* Local midnight (unix seconds) of date "YYYY-MM-DD" at offset off: 0, or -1. */
int lv_parse_date(const char *s, int32_t off, int64_t *ts);
void lv_date_str(int64_t ts, int32_t off, char *buf);
/* Open a->db and read its log: 0, or an exit status (message printed). */
int lv_open_log(const live_args *a, store_t **st, fit_log **lg);
/* The observed metrics of the log over [start_ts, start_ts + ndays days)
 * (group remapped to 1): 0 and *out (met_close), or -1 with err. */
int lv_observed(sqlite3 *db, const fit_log *lg, int64_t start_ts, int ndays, met_t **out, char *err, size_t errlen);
/* Day d's value of a daily metric of group 0, NaN if undefined. */
double lv_daily(const met_t *m, int64_t d, const char *metric);
/* The p-quantile of x[0..n) without NaNs (tmp: n doubles of scratch); NaN if none. */
double lv_quant(const double *x, int n, double p, double *tmp);

/* The forecast runner: every arm x replication on nthreads threads. */
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
int fc_run(fc_job *j);
void fc_free(fc_job *j);

/* Start every arm of sc from the log's state at at_ts (inits[k] freed by the
 * caller with state_free; info0 NULL or the first arm's state).  0 or an exit status. */
int lv_apply_state(const char *cmd, scenario *sc, const fit_log *lg, int64_t at_ts, const live_args *a, com_init **inits,
                   state_info *info0);
int lv_set_calendar(scenario *sc, int64_t at_ts, int32_t off, int days);
int lv_threads(const live_args *a);
/* Calibrate on [from, to): 0, or an exit status (message printed unless quiet_ident
 * and the setting could not be identified: then FIT_EIDENT's message is in err). */
int lv_calibrate(const char *cmd, const live_args *a, const fit_log *lg, int64_t from, int64_t to, fit_result *r);
void lv_origin_text(const live_args *a, const fit_log *lg, char *buf, size_t n);

#endif
