/* cmd_backtest.c -- `qunsim backtest`: how far to trust a forecast of this
 * group.  At each origin the model is calibrated on the log before it
 * (models/fit.h), forecast from the group's state there (models/state.h)
 * and compared with what the log shows after it, beside the forecasts an
 * analyst would make from the same history (analysis/baseline.h).  One
 * origin (--at), a list (--origins) or a rolling rule (--every), for one
 * group or all of them; per-origin rows and a summary.  Definitions:
 * docs/calibration.md, "Backtests". */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "baseline.h"
#include "cmd.h"
#include "jsonout.h"
#include "live.h"

/* methods compared: qunsim's median, qunsim's MAPE-optimal point, then the
 * baselines in bl_ order */
enum { M_MODEL = 0, M_MODEL_P = 1, M_BL = 2, M_N = M_BL + BL_N };
enum { S_DAU = 0, S_MSG = 1 };

#define BT_MIN_HIST_MSGS 200   /* an origin needs this many messages of history (the rule) */
#define BT_OUTAGE_DAYS 7       /* more days than this without any row: a logger outage */
#define BT_ALPHA 0.1           /* the bands are central 90% */

typedef struct bt_score {
    double mape, mase, cover, iscore;
} bt_score;

typedef struct bt_row {
    char group[128];
    int64_t at;
    int H, hd;
    int64_t hist_msgs;
    int status;             /* BT_OK, BT_SKIPPED, BT_FAILED */
    char why[512];          /* reason skipped/failed, or the fallbacks the calibration used */
    bt_score s[M_N][2];     /* [method][S_DAU, S_MSG] */
    double ret_obs, ret_model, ret_last; /* 7-day retention: observed, model, the history's last */
    double obs_mean[2], fc_mean[2];      /* observed and the model's median, mean over the horizon */
} bt_row;
enum { BT_OK = 0, BT_SKIPPED, BT_FAILED };

/* The daily series of one origin (for --format json of a single origin). */
typedef struct bt_days {
    double *y[2], *f[M_N][2], *lo[M_N][2], *hi[M_N][2];
} bt_days;

static const char *method_name(int m) { return m == M_MODEL ? "model" : m == M_MODEL_P ? "model_mape_point" : bl_name(m - M_BL); }
static const char *method_title(int m)
{
    return m == M_MODEL ? "qunsim (median of runs)" : m == M_MODEL_P ? "qunsim (MAPE-optimal point)" : bl_title(m - M_BL);
}
static int is_naive(int m) { return m >= M_BL && m - M_BL != BL_HOLT_WINTERS; }

/* The point that minimises the expected MAPE over days with activity: the
 * median of the replications' positive values weighted by 1 / y (the
 * "-1-median", Gneiting 2011, Making and evaluating point forecasts,
 * Theorem 9).  sorted[0..n) ascending; 0 when none is positive. */
static double mape_point(const double *sorted, int n)
{
    double tot = 0, acc = 0;
    for (int i = 0; i < n; i++)
        if (sorted[i] > 0) tot += 1 / sorted[i];
    if (!(tot > 0)) return 0;
    for (int i = 0; i < n; i++)
        if (sorted[i] > 0 && (acc += 1 / sorted[i]) >= tot / 2) return sorted[i];
    return sorted[n - 1];
}

static void score(bt_score *s, const double *f, const double *lo, const double *hi, const double *y, int H, const double *hist, int hd)
{
    s->mape = bl_mape(f, y, H);
    s->mase = bl_mase(f, y, H, hist, hd);
    s->cover = lo ? bl_coverage(lo, hi, y, H) : NAN;
    s->iscore = lo ? bl_interval_score(lo, hi, y, H, BT_ALPHA) : NAN;
}

/* Largest gap in days between rows of the log within [t0, t1), the window's
 * ends included (messages and membership changes: the rows fit_log keeps). */
static double max_gap_days(const fit_log *lg, int64_t t0, int64_t t1)
{
    int64_t last = t0, gap = 0;
    for (int64_t j = 0; j < lg->nmsg; j++) {
        int64_t t = lg->msg[j].ts;
        if (t < t0) continue;
        if (t >= t1) break;
        if (t - last > gap) gap = t - last;
        last = t;
    }
    if (t1 - last > gap) gap = t1 - last;
    return (double)gap / 86400.0;
}

static int64_t hist_messages(const fit_log *lg, int64_t t0, int64_t t1)
{
    int64_t n = 0;
    for (int64_t j = 0; j < lg->nmsg; j++) {
        const fit_msg *x = &lg->msg[j];
        if (x->ts >= t0 && x->ts < t1 && lg->mem[x->mem].role != ROLE_BOT) n++;
    }
    return n;
}

/* Calibrate on [from, at), forecast H days, score against the log.  Fills
 * *row (status BT_FAILED with the reason when a step fails); days: NULL or
 * arrays of H values to keep the series.  Returns -1 only when out of memory. */
static int bt_one(const live_args *a, sqlite3 *db, const fit_log *lg, int64_t from, int64_t at, int H, bt_row *row, bt_days *days)
{
    char err[1024], tpath[512] = "";
    fit_result *fr = NULL;
    scenario *sc = NULL;
    met_t *obs = NULL, *hist = NULL;
    com_init *inits[SCEN_MAX_ARMS] = {0};
    fc_job j;
    memset(&j, 0, sizeof j);
    double *buf = NULL;
    int rc = 0;
    row->at = at;
    row->H = H;
    row->hd = (int)((at - from) / 86400);
    row->status = BT_FAILED;
    int hd = row->hd;

    fit_opts o;
    fit_opts_init(&o);
    o.from_ts = from;
    o.to_ts = at;
    o.partial = 1; /* a setting that cannot be identified keeps its documented default, reported below */
    o.classic = a->classic;
    if (a->eng_tau > 0) o.eng_tau = a->eng_tau;
    if (!(fr = malloc(sizeof *fr))) { rc = -1; goto done; }
    int frc = fit_run(lg, &o, fr, err, sizeof err);
    if (frc != 0) { snprintf(row->why, sizeof row->why, "calibration: %.400s", err); goto done; }
    for (int k = 0; k < fr->nval; k++)
        if (fr->val[k].kind == FIT_V_DEFAULT) {
            size_t n = strlen(row->why);
            snprintf(row->why + n, sizeof row->why - n, "%s%s default", n ? "; " : "", fr->val[k].path);
        }
    /* the scenario goes through a file and the loader, as a user's would */
    const char *tdir = getenv("TMPDIR");
    snprintf(tpath, sizeof tpath, "%s/qunsim-backtest-XXXXXX", tdir && tdir[0] ? tdir : "/tmp");
    int fd = mkstemp(tpath);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0) close(fd);
        snprintf(row->why, sizeof row->why, "temporary scenario: %.400s", strerror(errno));
        tpath[0] = 0;
        goto done;
    }
    char origin[512];
    lv_origin_text(a, lg, origin, sizeof origin);
    int wrc = fit_write_scenario(fr, lg, origin, H, f);
    if (fclose(f) != 0 || wrc != 0) { snprintf(row->why, sizeof row->why, "temporary scenario: write error"); goto done; }
    if (scen_load(&sc, tpath, err, sizeof err) != 0) { snprintf(row->why, sizeof row->why, "the calibrated scenario: %.400s", err); goto done; }
    if (a->has_seed) sc->seed = a->seed;
    if (lv_set_calendar(sc, at, lg->utc_offset, H) != 0) { snprintf(row->why, sizeof row->why, "bad date"); goto done; }
    {
        /* lv_apply_state prints its own message; keep the row's reason short */
        live_args a2 = *a;
        a2.hist_from = from;
        if (lv_apply_state("backtest", sc, lg, at, &a2, inits, NULL) != 0) { snprintf(row->why, sizeof row->why, "the group's state at the origin"); goto done; }
    }
    j.sc = sc;
    j.narms = 1;
    j.reps = a->reps;
    j.days = H;
    j.nthreads = lv_threads(a);
    if (fc_run(&j) != 0) { snprintf(row->why, sizeof row->why, "forecast: %.400s", j.err); goto done; }
    if (lv_observed(db, lg, at, H, &obs, err, sizeof err) != 0 || lv_observed(db, lg, from, hd, &hist, err, sizeof err) != 0) {
        snprintf(row->why, sizeof row->why, "observed: %.400s", err);
        goto done;
    }

    /* one block: y, history, and point/lo/hi of every method, for dau and messages */
    size_t per = (size_t)H * (1 + 3 * M_N) + (size_t)hd + (size_t)j.reps * 2;
    if (!(buf = calloc(2 * per, sizeof *buf))) { rc = -1; goto done; }
    for (int s = 0; s < 2; s++) {
        const char *metric = s == S_DAU ? "dau" : "messages";
        double *y = buf + s * per, *h = y + H, *col = h + hd, *tmp = col + j.reps, *F = tmp + j.reps;
        double *pt[M_N], *lo[M_N], *hi[M_N];
        for (int m = 0; m < M_N; m++) { pt[m] = F + (size_t)H * (3 * m); lo[m] = pt[m] + H; hi[m] = lo[m] + H; }
        for (int d = 0; d < H; d++) y[d] = lv_daily(obs, d, metric);
        for (int d = 0; d < hd; d++) h[d] = lv_daily(hist, d, metric);
        const double *src = s == S_DAU ? j.dau : j.msgs;
        for (int d = 0; d < H; d++) {
            for (int r = 0; r < j.reps; r++) col[r] = src[(size_t)r * (size_t)H + (size_t)d];
            pt[M_MODEL][d] = lv_quant(col, j.reps, 0.5, tmp);
            lo[M_MODEL][d] = lv_quant(col, j.reps, 0.05, tmp);
            hi[M_MODEL][d] = lv_quant(col, j.reps, 0.95, tmp);
            pt[M_MODEL_P][d] = mape_point(tmp, j.reps); /* tmp: sorted by lv_quant */
            lo[M_MODEL_P][d] = lo[M_MODEL][d];
            hi[M_MODEL_P][d] = hi[M_MODEL][d];
        }
        for (int m = M_BL; m < M_N; m++) {
            char berr[256];
            if (bl_forecast(m - M_BL, h, hd, H, 1 - BT_ALPHA, pt[m], lo[m], hi[m], berr, sizeof berr) != 0)
                for (int d = 0; d < H; d++) pt[m][d] = lo[m][d] = hi[m][d] = NAN;
        }
        double om = 0, fm = 0;
        for (int d = 0; d < H; d++) { om += y[d] / H; fm += pt[M_MODEL][d] / H; }
        row->obs_mean[s] = om;
        row->fc_mean[s] = fm;
        for (int m = 0; m < M_N; m++) score(&row->s[m][s], pt[m], lo[m], hi[m], y, H, h, hd);
        if (days) {
            memcpy(days->y[s], y, sizeof(double) * (size_t)H);
            for (int m = 0; m < M_N; m++) {
                memcpy(days->f[m][s], pt[m], sizeof(double) * (size_t)H);
                memcpy(days->lo[m][s], lo[m], sizeof(double) * (size_t)H);
                memcpy(days->hi[m][s], hi[m], sizeof(double) * (size_t)H);
            }
        }
    }
    /* 7-day retention: observed over the horizon (needs 8 days), the model's
     * mean over replications; the baseline carries the history's last 7
     * cohorts with a complete week of follow-up (speaker-weighted) */
    row->ret_obs = NAN;
    met_get(obs, 0, "retention_7d", &row->ret_obs);
    double mr = 0, num = 0, den = 0;
    int nr = 0;
    for (int r = 0; r < j.reps; r++)
        if (isfinite(j.ret7[r])) { mr += j.ret7[r]; nr++; }
    row->ret_model = nr ? mr / nr : NAN;
    for (int d = hd - 14; d <= hd - 8; d++) {
        if (d < 0) continue;
        double rr = lv_daily(hist, d, "retention_7d"), c = lv_daily(hist, d, "dau");
        if (isfinite(rr) && c > 0) { num += rr * c; den += c; }
    }
    row->ret_last = den > 0 ? num / den : NAN;
    row->status = BT_OK;
done:
    if (tpath[0]) unlink(tpath);
    free(buf);
    fc_free(&j);
    free(fr);
    met_close(obs);
    met_close(hist);
    for (int k = 0; k < SCEN_MAX_ARMS; k++) state_free(inits[k]);
    scen_free(sc);
    return rc;
}

/* ---- output --------------------------------------------------------------- */

static void pct(char *b, size_t n, double v)
{
    if (isfinite(v)) snprintf(b, n, "%.1f%%", 100 * v);
    else snprintf(b, n, "n/a");
}

static void json_num(const char *key, double v, int comma)
{
    if (isfinite(v)) printf("\"%s\": %.6g%s", key, v, comma ? ", " : "");
    else printf("\"%s\": null%s", key, comma ? ", " : "");
}

static void csv_num(double v)
{
    if (isfinite(v)) printf(",%.6g", v);
    else printf(",");
}

/* the best naive forecast of a row in hindsight (least dau MAPE), or -1 */
static int best_naive(const bt_row *r)
{
    int b = -1;
    for (int m = M_BL; m < M_N; m++)
        if (is_naive(m) && isfinite(r->s[m][S_DAU].mape) && (b < 0 || r->s[m][S_DAU].mape < r->s[b][S_DAU].mape)) b = m;
    return b;
}

static double median_of(double *x, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(x[i])) x[k++] = x[i];
    if (!k) return NAN;
    gsl_sort(x, 1, (size_t)k);
    return gsl_stats_median_from_sorted_data(x, 1, (size_t)k);
}

typedef struct bt_sum {
    int ok, skipped, failed, fallback;
    double mape[M_N][2], mape_med[M_N], mase[M_N], cover[M_N], iscore[M_N]; /* dau unless [2] */
    double ratio_hw[2], ratio_naive[2]; /* medians over origins of the model's dau MAPE (median, MAPE-optimal point) over HW's / the best naive's */
    int beats_naive[2], beats_hw[2], nratio;
    double ret_model, ret_last;   /* mean absolute 7-day retention error */
} bt_sum;

static void summarise(const bt_row *rows, int n, bt_sum *S)
{
    memset(S, 0, sizeof *S);
    double *tmp = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1) * 5);
    if (!tmp) return;
    double *rh[2] = {tmp + n, tmp + 3 * n}, *rn[2] = {tmp + 2 * n, tmp + 4 * n};
    int nrh[2] = {0, 0}, nrn[2] = {0, 0}, nret = 0;
    for (int i = 0; i < n; i++) {
        if (rows[i].status == BT_SKIPPED) S->skipped++;
        if (rows[i].status == BT_FAILED) S->failed++;
    }
    for (int m = 0; m < M_N; m++) {
        int k = 0, kc = 0;
        double c[2] = {0, 0}, ms = 0, cv = 0, is = 0;
        for (int i = 0; i < n; i++) {
            const bt_row *r = &rows[i];
            if (r->status != BT_OK) continue;
            if (!isfinite(r->s[m][S_DAU].mape) || !isfinite(r->s[m][S_MSG].mape)) continue;
            c[0] += r->s[m][S_DAU].mape;
            c[1] += r->s[m][S_MSG].mape;
            ms += r->s[m][S_DAU].mase;
            tmp[k++] = r->s[m][S_DAU].mape;
            if (isfinite(r->s[m][S_DAU].cover)) { cv += r->s[m][S_DAU].cover; is += r->s[m][S_DAU].iscore; kc++; }
        }
        S->mape[m][0] = k ? c[0] / k : NAN;
        S->mape[m][1] = k ? c[1] / k : NAN;
        S->mase[m] = k ? ms / k : NAN;
        S->cover[m] = kc ? cv / kc : NAN;
        S->iscore[m] = kc ? is / kc : NAN;
        S->mape_med[m] = median_of(tmp, k);
    }
    double sm = 0, sl = 0;
    for (int i = 0; i < n; i++) {
        const bt_row *r = &rows[i];
        if (r->status != BT_OK) continue;
        S->ok++;
        if (r->why[0]) S->fallback++;
        double hw = r->s[M_BL + BL_HOLT_WINTERS][S_DAU].mape;
        int b = best_naive(r);
        for (int v = 0; v < 2; v++) {
            double q = r->s[v][S_DAU].mape;
            if (isfinite(q) && isfinite(hw) && hw > 0) { rh[v][nrh[v]++] = q / hw; S->beats_hw[v] += q < hw; }
            if (isfinite(q) && b >= 0 && r->s[b][S_DAU].mape > 0) {
                rn[v][nrn[v]++] = q / r->s[b][S_DAU].mape;
                S->beats_naive[v] += q < r->s[b][S_DAU].mape;
            }
        }
        if (isfinite(r->ret_obs) && isfinite(r->ret_model) && isfinite(r->ret_last)) {
            sm += fabs(r->ret_model - r->ret_obs);
            sl += fabs(r->ret_last - r->ret_obs);
            nret++;
        }
    }
    S->nratio = nrn[0];
    for (int v = 0; v < 2; v++) {
        S->ratio_hw[v] = median_of(rh[v], nrh[v]);
        S->ratio_naive[v] = median_of(rn[v], nrn[v]);
    }
    S->ret_model = nret ? sm / nret : NAN;
    S->ret_last = nret ? sl / nret : NAN;
    free(tmp);
}

static void print_table(const bt_row *rows, int n, const bt_sum *S, const live_args *a, int32_t off)
{
    printf("%-20s %-10s %6s %8s %8s %8s %8s %8s %7s  %s\n", "group", "origin", "hist", "obs dau", "qunsim", "H-W", "naive*", "cover90",
           "IS", "notes");
    for (int i = 0; i < n; i++) {
        const bt_row *r = &rows[i];
        char d[16];
        lv_date_str(r->at, off, d);
        if (r->status != BT_OK) {
            printf("%-20.20s %-10s %6lld %s: %s\n", r->group, d, (long long)r->hist_msgs, r->status == BT_SKIPPED ? "skipped" : "FAILED", r->why);
            continue;
        }
        int b = best_naive(r);
        char q[16], h[16], nv[16], cv[16];
        pct(q, sizeof q, r->s[M_MODEL][S_DAU].mape);
        pct(h, sizeof h, r->s[M_BL + BL_HOLT_WINTERS][S_DAU].mape);
        pct(nv, sizeof nv, b >= 0 ? r->s[b][S_DAU].mape : NAN);
        pct(cv, sizeof cv, r->s[M_MODEL][S_DAU].cover);
        printf("%-20.20s %-10s %6lld %8.1f %8s %8s %8s %8s %7.1f  %s\n", r->group, d, (long long)r->hist_msgs, r->obs_mean[S_DAU], q, h, nv, cv,
               r->s[M_MODEL][S_DAU].iscore, r->why);
    }
    printf("\n%d origin(s) scored, %d skipped, %d failed; %d used a default for a setting the history could not identify\n", S->ok,
           S->skipped, S->failed, S->fallback);
    printf("daily active speakers, %d-day horizon (MAPE over days with activity; naive*: the best naive in hindsight)\n", a->days);
    printf("%-34s %10s %10s %8s %10s %8s %14s\n", "method", "MAPE mean", "median", "MASE", "coverage90", "IS", "messages MAPE");
    for (int m = 0; m < M_N; m++) {
        char c1[16], c2[16], c3[16], c4[16], c5[16];
        pct(c1, sizeof c1, S->mape[m][0]);
        pct(c2, sizeof c2, S->mape_med[m]);
        pct(c4, sizeof c4, S->cover[m]);
        pct(c5, sizeof c5, S->mape[m][1]);
        snprintf(c3, sizeof c3, "%.2f", S->mase[m]);
        printf("%-34s %10s %10s %8s %10s %8.1f %14s\n", method_title(m), c1, c2, c3, c4, S->iscore[m], c5);
    }
    for (int v = 0; v < 2; v++) {
        const char *w = v ? "MAPE-optimal point" : "median";
        printf("qunsim (%s) / Holt-Winters dau MAPE, median over origins: %.2f (qunsim better at %d of %d)\n", w, S->ratio_hw[v], S->beats_hw[v],
               S->ok);
        printf("qunsim (%s) / best naive dau MAPE, median over origins:   %.2f (qunsim better at %d of %d)\n", w, S->ratio_naive[v],
               S->beats_naive[v], S->nratio);
    }
    printf("7-day retention, mean absolute error: qunsim %.1f pp, last week repeated %.1f pp\n", 100 * S->ret_model, 100 * S->ret_last);
}

static void print_csv(const bt_row *rows, int n, int32_t off)
{
    printf("group,origin,status,history_days,history_messages,observed_dau,observed_messages,forecast_dau,forecast_messages");
    for (int m = 0; m < M_N; m++)
        printf(",%s_dau_mape,%s_dau_mase,%s_dau_cover90,%s_dau_is,%s_messages_mape", method_name(m), method_name(m), method_name(m),
               method_name(m), method_name(m));
    printf(",retention_7d,model_retention_7d,last_week_retention_7d,notes\n");
    for (int i = 0; i < n; i++) {
        const bt_row *r = &rows[i];
        char d[16];
        lv_date_str(r->at, off, d);
        csv_str(r->group);
        printf(",%s,%s,%d,%lld", d, r->status == BT_OK ? "ok" : r->status == BT_SKIPPED ? "skipped" : "failed", r->hd, (long long)r->hist_msgs);
        int ok = r->status == BT_OK;
        csv_num(ok ? r->obs_mean[0] : NAN);
        csv_num(ok ? r->obs_mean[1] : NAN);
        csv_num(ok ? r->fc_mean[0] : NAN);
        csv_num(ok ? r->fc_mean[1] : NAN);
        for (int m = 0; m < M_N; m++) {
            csv_num(ok ? r->s[m][0].mape : NAN);
            csv_num(ok ? r->s[m][0].mase : NAN);
            csv_num(ok ? r->s[m][0].cover : NAN);
            csv_num(ok ? r->s[m][0].iscore : NAN);
            csv_num(ok ? r->s[m][1].mape : NAN);
        }
        csv_num(ok ? r->ret_obs : NAN);
        csv_num(ok ? r->ret_model : NAN);
        csv_num(ok ? r->ret_last : NAN);
        printf(",");
        csv_str(r->why);
        printf("\n");
    }
}

static void json_row(const bt_row *r, int32_t off)
{
    char d[16];
    lv_date_str(r->at, off, d);
    printf("{\"group\": ");
    json_str(r->group);
    printf(", \"at\": \"%s\", \"status\": \"%s\", \"history_days\": %d, \"history_messages\": %lld, \"days\": %d, \"notes\": ", d,
           r->status == BT_OK ? "ok" : r->status == BT_SKIPPED ? "skipped" : "failed", r->hd, (long long)r->hist_msgs, r->H);
    json_str(r->why);
    if (r->status == BT_OK) {
        for (int m = 0; m < M_N; m++) {
            printf(",\n  \"%s\": {", method_name(m));
            json_num("dau_mape", r->s[m][0].mape, 1);
            json_num("dau_mase", r->s[m][0].mase, 1);
            json_num("messages_mape", r->s[m][1].mape, 1);
            json_num("messages_mase", r->s[m][1].mase, 1);
            json_num("coverage90", isfinite(r->s[m][0].cover) ? (r->s[m][0].cover + r->s[m][1].cover) / 2 : NAN, 1);
            json_num("coverage90_dau", r->s[m][0].cover, 1);
            json_num("coverage90_messages", r->s[m][1].cover, 1);
            json_num("interval_score_dau", r->s[m][0].iscore, 1);
            json_num("interval_score_messages", r->s[m][1].iscore, 1);
            json_num("retention_7d_error", (m <= M_MODEL_P ? r->ret_model : r->ret_last) - r->ret_obs, 0);
            printf("}");
        }
        printf(",\n  \"observed\": {");
        json_num("dau_mean", r->obs_mean[0], 1);
        json_num("messages_per_day", r->obs_mean[1], 1);
        json_num("retention_7d", r->ret_obs, 0);
        printf("}");
    }
    printf("}");
}

static void json_days(const bt_row *r, const bt_days *D, int32_t off)
{
    char ds[16], o[16];
    lv_date_str(r->at, off, ds);
    cal_offset_str(off, o, sizeof o);
    cal c;
    cal_init(&c, ds, o);
    printf(",\n  \"daily\": [");
    for (int d = 0; d < r->H; d++) {
        char day[16];
        cal_date_str(&c, d, day);
        printf("%s\n    {\"day\": \"%s\", ", d ? "," : "", day);
        for (int s = 0; s < 2; s++) {
            const char *k = s ? "messages" : "dau";
            char key[64];
            json_num(k, D->y[s][d], 1);
            snprintf(key, sizeof key, "%s_median", k);
            json_num(key, D->f[M_MODEL][s][d], 1);
            snprintf(key, sizeof key, "%s_lo90", k);
            json_num(key, D->lo[M_MODEL][s][d], 1);
            snprintf(key, sizeof key, "%s_hi90", k);
            json_num(key, D->hi[M_MODEL][s][d], 1);
            for (int m = 1; m < M_N; m++) {
                snprintf(key, sizeof key, "%s_%s", k, method_name(m));
                json_num(key, D->f[m][s][d], s == 0 || m < M_N - 1);
            }
        }
        printf("}");
    }
    printf("\n  ]");
}

/* ---- the command ------------------------------------------------------------ */

typedef struct bt_group {
    int64_t id;
    char name[128];
} bt_group;

/* The groups of the log's run (for --group all). */
static int list_groups(sqlite3 *db, int64_t run, bt_group **out, int *n)
{
    sqlite3_stmt *st = NULL;
    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(db, "SELECT group_id, IFNULL(name, group_id) FROM groups WHERE run_id = ?1 ORDER BY group_id", -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, run);
    int cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 8;
            bt_group *g = realloc(*out, (size_t)cap * sizeof *g);
            if (!g) { sqlite3_finalize(st); return -1; }
            *out = g;
        }
        (*out)[*n].id = sqlite3_column_int64(st, 0);
        snprintf((*out)[*n].name, sizeof (*out)[*n].name, "%s", (const char *)sqlite3_column_text(st, 1));
        (*n)++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int add_row(bt_row **rows, int *n, int *cap)
{
    if (*n == *cap) {
        int nc = *cap ? 2 * *cap : 16;
        bt_row *r = realloc(*rows, (size_t)nc * sizeof *r);
        if (!r) return -1;
        *rows = r;
        *cap = nc;
    }
    memset(&(*rows)[*n], 0, sizeof **rows);
    return (*n)++;
}

int cmd_backtest(int argc, char **argv)
{
    live_args a;
    memset(&a, 0, sizeof a);
    a.cmd = "backtest";
    a.memory = -1;
    a.format = "table";
    a.reps = 100;
    int rc = lv_parse(argc, argv, &a);
    if (rc) return rc == 1 ? QS_EXIT_OK : rc;
    int modes = !!a.at + !!a.origins + !!a.every;
    if (modes != 1 || !a.days) {
        fprintf(stderr, "qunsim backtest: one of --at DATE, --origins D1,D2,... or --every Nd, and --days H, are required\n");
        lv_usage(stderr, a.cmd);
        return QS_EXIT_USAGE;
    }
    store_t *st = NULL;
    fit_log *lg = NULL;
    bt_group *groups = NULL;
    bt_row *rows = NULL;
    bt_days D;
    double *dbuf = NULL;
    int ngroups = 1, nrows = 0, caprows = 0, single = !!a.at;
    int all = a.group && !strcmp(a.group, "all");
    if (all) a.group = NULL;
    if ((rc = lv_open_log(&a, &st, &lg)) != 0) goto done;
    int32_t off = lg->utc_offset;
    if (all) {
        if (list_groups(store_db(st), lg->run_id, &groups, &ngroups) != 0 || ngroups == 0) {
            fprintf(stderr, "qunsim backtest: %s: cannot list the groups of run %lld\n", a.db, (long long)lg->run_id);
            rc = QS_EXIT_USAGE;
            goto done;
        }
    }
    for (int gi = 0; gi < ngroups; gi++) {
        if (all) {
            char gid[32];
            snprintf(gid, sizeof gid, "%lld", (long long)groups[gi].id);
            fit_log_free(lg);
            lg = NULL;
            char err[1024];
            if (fit_log_load(&lg, store_db(st), a.run, gid, err, sizeof err) != 0) {
                int k = add_row(&rows, &nrows, &caprows);
                if (k < 0) { rc = QS_EXIT_FAIL; goto done; }
                snprintf(rows[k].group, sizeof rows[k].group, "%s", groups[gi].name);
                rows[k].status = BT_SKIPPED;
                snprintf(rows[k].why, sizeof rows[k].why, "%.400s", err);
                continue;
            }
        }
        /* the log's span: --to, else the run's last day */
        int64_t end = lg->start_ts + (int64_t)lg->days * 86400, from0 = lg->start_ts;
        if (a.to) {
            if (lv_parse_date(a.to, off, &end) != 0) { fprintf(stderr, "qunsim backtest: --to wants a date YYYY-MM-DD\n"); rc = QS_EXIT_USAGE; goto done; }
            end += 86400;
        }
        if (a.from && lv_parse_date(a.from, off, &from0) != 0) { fprintf(stderr, "qunsim backtest: bad --from\n"); rc = QS_EXIT_USAGE; goto done; }
        /* the origins */
        int64_t *at = NULL;
        int nat = 0;
        if (a.at || a.origins) {
            const char *s = a.at ? a.at : a.origins;
            nat = 1;
            for (const char *p = s; *p; p++) nat += *p == ',';
            if (!(at = malloc(sizeof *at * (size_t)nat))) { rc = QS_EXIT_FAIL; goto done; }
            char tok[32];
            int k = 0;
            for (const char *p = s;;) {
                const char *e = strchr(p, ',');
                size_t len = e ? (size_t)(e - p) : strlen(p);
                snprintf(tok, sizeof tok, "%.*s", (int)(len < sizeof tok ? len : sizeof tok - 1), p);
                if (lv_parse_date(tok, off, &at[k]) != 0) {
                    fprintf(stderr, "qunsim backtest: origin '%s' is not a date YYYY-MM-DD\n", tok);
                    free(at);
                    rc = QS_EXIT_USAGE;
                    goto done;
                }
                k++;
                if (!e) break;
                p = e + 1;
            }
        } else if (lg->nmsg > 0) {
            /* every N days from day `history` of the group's own log (its first row's local day) */
            int64_t x = lg->msg[0].ts + off, d0 = (x >= 0 ? x / 86400 : -((-x + 86399) / 86400)) * 86400 - off;
            if (d0 < from0) d0 = from0;
            int hist = a.history ? a.history : 63;
            int cap = (int)((end - d0) / 86400 / a.every) + 2;
            if (!(at = malloc(sizeof *at * (size_t)cap))) { rc = QS_EXIT_FAIL; goto done; }
            for (int64_t t = d0 + (int64_t)hist * 86400; t + (int64_t)a.days * 86400 <= end && nat < cap; t += (int64_t)a.every * 86400) at[nat++] = t;
        }
        for (int k = 0; k < nat; k++) {
            int r = add_row(&rows, &nrows, &caprows);
            if (r < 0) { free(at); rc = QS_EXIT_FAIL; goto done; }
            bt_row *row = &rows[r];
            snprintf(row->group, sizeof row->group, "%s", lg->name);
            row->at = at[k];
            row->H = a.days;
            int64_t from = a.history ? at[k] - (int64_t)a.history * 86400 : from0;
            if (from < lg->start_ts) from = lg->start_ts;
            row->hd = (int)((at[k] - from) / 86400);
            if (at[k] <= lg->start_ts || at[k] >= end || row->hd < 28) {
                row->status = single ? BT_FAILED : BT_SKIPPED;
                snprintf(row->why, sizeof row->why, "needs at least 28 days of log before the origin and one after it");
                if (single) {
                    fprintf(stderr, "qunsim backtest: --at %s leaves too little log before or after it (28 days before are needed)\n", a.at);
                    free(at);
                    rc = QS_EXIT_USAGE;
                    goto done;
                }
                continue;
            }
            int H = a.days;
            if (at[k] + (int64_t)H * 86400 > end) {
                H = (int)((end - at[k]) / 86400);
                if (!a.quiet && single) fprintf(stderr, "qunsim backtest: note: the log has %d day(s) after %s; comparing those\n", H, a.at);
            }
            row->H = H;
            row->hist_msgs = hist_messages(lg, from, at[k]);
            if (!single) {
                double gap = max_gap_days(lg, from, at[k] + (int64_t)H * 86400);
                if (row->hist_msgs < BT_MIN_HIST_MSGS) {
                    row->status = BT_SKIPPED;
                    snprintf(row->why, sizeof row->why, "%lld messages of history (fewer than %d)", (long long)row->hist_msgs, BT_MIN_HIST_MSGS);
                    continue;
                }
                if (gap > BT_OUTAGE_DAYS) {
                    row->status = BT_SKIPPED;
                    snprintf(row->why, sizeof row->why, "a logger outage: %.0f days without a row", gap);
                    continue;
                }
            }
            bt_days *keep = NULL;
            if (single && !strcmp(a.format, "json")) {
                dbuf = calloc((size_t)H * 2 * (1 + 3 * M_N), sizeof *dbuf);
                if (!dbuf) { free(at); rc = QS_EXIT_FAIL; goto done; }
                double *p = dbuf;
                for (int s = 0; s < 2; s++) {
                    D.y[s] = p; p += H;
                    for (int m = 0; m < M_N; m++) { D.f[m][s] = p; p += H; D.lo[m][s] = p; p += H; D.hi[m][s] = p; p += H; }
                }
                keep = &D;
            }
            if (bt_one(&a, store_db(st), lg, from, at[k], H, row, keep) != 0) { free(at); fprintf(stderr, "qunsim backtest: out of memory\n"); rc = QS_EXIT_FAIL; goto done; }
            if (single && row->status != BT_OK) {
                fprintf(stderr, "qunsim backtest: %s: %s\n", a.db, row->why);
                free(at);
                rc = QS_EXIT_USAGE;
                goto done;
            }
            if (!a.quiet && !single && !strcmp(a.format, "table") && isatty(2)) {
                char d[16];
                lv_date_str(at[k], off, d);
                fprintf(stderr, "\r%s %s ...", row->group, d);
            }
        }
        free(at);
    }
    if (!a.quiet && !single && !strcmp(a.format, "table") && isatty(2)) fprintf(stderr, "\r\033[K");
    bt_sum S;
    summarise(rows, nrows, &S);
    if (!strcmp(a.format, "csv")) print_csv(rows, nrows, off);
    else if (!strcmp(a.format, "json")) {
        if (single) {
            /* one origin: its figures at the top level, then the daily series */
            const bt_row *r = &rows[0];
            char d0[16], d1[16];
            lv_date_str(r->at - (int64_t)r->hd * 86400, off, d0);
            lv_date_str(r->at - 1, off, d1);
            printf("{\n  \"live\": ");
            json_str(a.db);
            printf(", \"run\": %lld, \"group\": %d, \"group_name\": ", (long long)lg->run_id, lg->group_id);
            json_str(lg->name);
            printf(",\n  \"calibrated_from\": \"%s\", \"calibrated_to\": \"%s\", \"reps\": %d, \"row\": ", d0, d1, a.reps);
            json_row(r, off);
            json_days(r, &D, off);
            printf("\n}\n");
        } else {
            printf("{\n  \"live\": ");
            json_str(a.db);
            printf(", \"days\": %d, \"reps\": %d,\n  \"summary\": {\"scored\": %d, \"skipped\": %d, \"failed\": %d, \"fallback\": %d, ", a.days, a.reps,
                   S.ok, S.skipped, S.failed, S.fallback);
            json_num("dau_mape_ratio_holt_winters", S.ratio_hw[0], 1);
            json_num("dau_mape_ratio_best_naive", S.ratio_naive[0], 1);
            json_num("mape_point_dau_mape_ratio_holt_winters", S.ratio_hw[1], 1);
            json_num("mape_point_dau_mape_ratio_best_naive", S.ratio_naive[1], 1);
            json_num("retention_7d_abs_error_model", S.ret_model, 1);
            json_num("retention_7d_abs_error_last_week", S.ret_last, 1);
            printf("\"methods\": {");
            for (int m = 0; m < M_N; m++) {
                printf("%s\"%s\": {", m ? ", " : "", method_name(m));
                json_num("dau_mape", S.mape[m][0], 1);
                json_num("dau_mape_median", S.mape_med[m], 1);
                json_num("dau_mase", S.mase[m], 1);
                json_num("dau_coverage90", S.cover[m], 1);
                json_num("dau_interval_score", S.iscore[m], 1);
                json_num("messages_mape", S.mape[m][1], 0);
                printf("}");
            }
            printf("}},\n  \"origins\": [");
            for (int i = 0; i < nrows; i++) {
                printf("%s\n  ", i ? "," : "");
                json_row(&rows[i], off);
            }
            printf("\n  ]\n}\n");
        }
    } else if (single) {
        const bt_row *r = &rows[0];
        char d0[16], d1[16], ds[16];
        lv_date_str(r->at - (int64_t)r->hd * 86400, off, d0);
        lv_date_str(r->at - 1, off, d1);
        lv_date_str(r->at, off, ds);
        printf("backtest of %s (run %lld, group %d): calibrated on %s .. %s (%d days), forecast %d days from %s, %d replications\n", lg->name,
               (long long)lg->run_id, lg->group_id, d0, d1, r->hd, r->H, ds, a.reps);
        if (r->why[0]) printf("note: %s (not identified from the history: docs/calibration.md)\n", r->why);
        printf("%-34s %9s %9s %14s %9s %8s %18s\n", "", "dau MAPE", "dau MASE", "messages MAPE", "cover90", "IS", "retention_7d error");
        for (int m = 0; m < M_N; m++) {
            char a1[32], a2[32], a3[32], a4[32];
            pct(a1, sizeof a1, r->s[m][0].mape);
            pct(a2, sizeof a2, r->s[m][1].mape);
            double re = (m == M_MODEL ? r->ret_model : m == M_BL + BL_LAST_WEEK ? r->ret_last : NAN) - r->ret_obs;
            if (isfinite(re)) snprintf(a3, sizeof a3, "%+.1f pp", 100 * re);
            else snprintf(a3, sizeof a3, "-");
            pct(a4, sizeof a4, r->s[m][0].cover);
            printf("%-34s %9s %9.2f %14s %9s %8.1f %18s\n", method_title(m), a1, r->s[m][0].mase, a2, a4, r->s[m][0].iscore, a3);
        }
        printf("observed after %s: %.1f speakers/day, %.1f messages/day, retention_7d ", ds, r->obs_mean[0], r->obs_mean[1]);
        if (isfinite(r->ret_obs)) printf("%.3f\n", r->ret_obs);
        else printf("n/a (needs 8 days after the date)\n");
    } else print_table(rows, nrows, &S, &a, off);
    rc = QS_EXIT_OK;
done:
    free(dbuf);
    free(rows);
    free(groups);
    fit_log_free(lg);
    store_close(st);
    return rc;
}
