/* report_int.h -- internals of the report shared by its files: report.c (the
 * page, most sections, helpers for sections), report_sweep.c (the sweep
 * section), report_data.c (SQL queries and quantiles over replications),
 * report_html.c (escaping, tables, figures).  Not an interface: nothing
 * outside analysis/report*.c includes it.
 */
#ifndef QS_REPORT_INT_H
#define QS_REPORT_INT_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

#include "plot.h"
#include "report.h"
#include "summary.h"

/* A series over x with its median, 50% and 90% bands over replications (or
 * a single observed value: all six equal).  Arrays of n (capacity cap). */
typedef struct rpt_band {
    int n, cap;
    double *x, *med, *lo50, *hi50, *lo90, *hi90, *mean;
} rpt_band;

typedef struct rpt_ctx {
    const rpt_opts *o;
    sqlite3 *db;
    char *err;
    size_t errlen;
    int failed;     /* a read failed (message in err): the report fails */
    rpt_info *info;

    /* the batch's manifest (strings malloc'd, may be NULL) */
    int64_t batch;
    char *kind, *scenario, *scenario_path, *scenario_text, *command, *version, *created_at;
    int64_t seed, reps_manifest, days_manifest;
    int has_seed;

    /* simulated runs of the batch at the focus point */
    int point;      /* focus point */
    int npoints;    /* distinct points of the batch's simulated runs */
    int narms;
    char **arm;     /* names, in order of their first run */
    int ref;        /* reference arm: "baseline" if present, else the first */
    int reps;       /* 1 + the largest replication index */

    /* summary metrics (group 0) of the focus point: arms x nmet x reps */
    int nmet;
    char **met;
    sum_t *sum;

    /* names shortened for charts (clip(): titles and legends have one line's room) */
    char *sname;    /* scenario */
    char **alabel;  /* arms */
    char *lname;    /* observed log */

    /* the observed log (0: none) */
    int64_t live_run;
    char *live_label;

    char *plots;    /* OUT/plots */
    FILE *body;     /* the page's body, assembled into index.html at the end */
    char *bodybuf;
    size_t bodylen;
    struct {
        const char *id, *title;
    } nav[16];      /* the sections written, for the navigation bar */
    int nnav;
} rpt_ctx;

/* ---- report_data.c ---- */
int rd_open(rpt_ctx *c);
int rd_batch(rpt_ctx *c);
int rd_arms(rpt_ctx *c);
/* Choose the observed log (docs/report.md): --live, else a run of the batch
 * with source != 'sim', else the log with the most days in the history
 * window of the forecast.  c->live_run = 0 if none. */
int rd_live(rpt_ctx *c);
/* Days of observed history shown before a forecast of horizon days. */
int rd_history_days(int horizon);
int rd_summary(rpt_ctx *c);
/* Daily series of metric for group 0, per arm (bands[narms], zeroed by the
 * caller, freed with rd_band_free).  Returns the number of arms with data,
 * or -1. */
int rd_daily(rpt_ctx *c, const char *metric, rpt_band *bands);
/* The observed daily series of metric in the live run (all six = value). */
int rd_live_daily(rpt_ctx *c, const char *metric, rpt_band *out);
/* Summary metrics of the live run, group o->live_group: names and values
 * (malloc'd arrays).  Returns the count or -1. */
int rd_live_summary(rpt_ctx *c, char ***names, double **vals);
/* The funnel of each campaign (ref_id of its events), per arm and run, its
 * stages nested: exposed >= took part >= completed, took part >= shared
 * (RD_FUNNEL_STAGES columns).  An arm with no event of a campaign has NaN
 * there (it does not run it); its other runs without anyone count 0.
 * Without an event log, one pooled funnel (id -1) from the summary metrics
 * exposed, participants, completion, share_rate.  *out (free with
 * rd_funnels_free), *n; returns 1 if any, 0 if none, -1 on error. */
#define RD_FUNNEL_STAGES 4
typedef struct rd_funnel_t {
    int id;        /* campaign id, -1 pooled */
    char name[96];
    sum_t *f;      /* arms x RD_FUNNEL_STAGES x reps */
} rd_funnel_t;
int rd_funnel(rpt_ctx *c, rd_funnel_t **out, int *n);
void rd_funnels_free(rd_funnel_t *fs, int n);
/* Sweep: points of the batch with their settings text (malloc'd). */
int rd_points(rpt_ctx *c, int **points, char ***settings);
/* Values of a summary metric over the batch: v[(arm * npt + pi) * reps + rep]
 * (NaN where missing); pt[] maps pi -> point.  Returns 0 or -1. */
int rd_sweep_metric(rpt_ctx *c, const char *metric, const int *pt, int npt, double *v);
/* Effective settings text of each arm's first run at the focus point. */
char *rd_arm_settings(rpt_ctx *c, int arm);
/* A column of text from the query sql with one int64 parameter (malloc'd, NULL if none). */
char *rd_text1(rpt_ctx *c, const char *sql, int64_t p);

int rd_band_push(rpt_band *b, double x, const double *sorted, int n);
void rd_band_free(rpt_band *b);
/* Quantile p of sorted v[0..n) (linear interpolation); NaN if n = 0. */
double rd_quantile(const double *sorted, int n, double p);
/* Days since 1970-01-01 of 'YYYY-MM-DD' times 86400 (UTC midnight), NaN if malformed. */
double rd_date_x(const char *day);
int rd_fail(rpt_ctx *c, const char *what);

/* ---- report.c: helpers for the section files ---- */
/* Index of summary metric m in c->met, or -1. */
int rs_met(const rpt_ctx *c, const char *m);
/* s, or dflt when s is NULL or empty. */
const char *rs_name(const char *s, const char *dflt);
/* A copy for charts: at most maxch characters, then an ellipsis; control
 * characters as spaces.  malloc'd (caller frees); NULL on ENOMEM. */
char *rs_clip(const char *s, const char *dflt, int maxch);
/* After plot_*() returned rc: count the chart and add it to the page as
 * plots/NAME.png, or count a warning and log perr. */
void rs_figure(rpt_ctx *c, int rc, const char *name, const char *caption, const char *perr);
/* The base path OUT/plots/NAME of a chart into buf. */
void rs_base(rpt_ctx *c, char *buf, size_t n, const char *name);
/* Chart settings with these labels (SVG as the options say). */
plot_axes rs_axes(const rpt_ctx *c, const char *title, const char *xl, const char *yl);
/* Open a section (linked from the navigation, bit set in info) / close it. */
void rs_open(rpt_ctx *c, unsigned bit, const char *id, const char *title);
void rs_close(rpt_ctx *c);
/* A fan-chart series of arm a from band b. */
void rs_fan_series(const rpt_ctx *c, rpt_band *b, plot_fan_series *s, int a, int style);

/* ---- report_sweep.c ---- */
/* The sweep section (batches with more than one point). */
void rs_sweep(rpt_ctx *c);

/* ---- report_html.c ---- */
void rh_head(FILE *f, const char *title);
void rh_tail(FILE *f);
/* Write number v like printf "%.4g" (or "n/a" for NaN); sign: always a sign. */
void rh_num(FILE *f, double v, int sign);
/* A figure: the PNG (linking the SVG when svg) and its caption (escaped; a
 * multi-line chart title becomes "line1: line2"). */
void rh_figure(FILE *f, const char *name, const char *caption, int svg);
/* Write a <pre> block of user text. */
void rh_pre(FILE *f, const char *text);

#endif
