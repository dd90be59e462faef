/* report_sweep.c -- the sweep section of the report: the points and their
 * settings (points.settings, 'path=value' lines), response curves of the key
 * metrics against each varied numeric setting, pooled over the others, and
 * heatmaps over the first two settings (per arm, and the paired difference
 * to the reference arm).  Values come per metric from report_data.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"
#include "report_int.h"

/* Metrics of the sweep section (response curves; heatmaps for the first MAX_HEAT present). */
static const char *const key_metrics[] = {"dau_mean", "retention_7d", "messages_per_day", "retention_1d", "members_end"};
#define NKEY ((int)(sizeof key_metrics / sizeof key_metrics[0]))
#define MAX_HEAT 3
#define MAX_SWEEP_SETTINGS 6

typedef struct sweep_setting {
    char *path;
    char *label; /* path clipped for charts */
    double *val; /* per point (NaN: absent or not a number) */
    int numeric, varied;
} sweep_setting;

/* Parse 'path=value' lines (also 'path = value;') of every point. */
static int parse_settings(char **text, int npt, sweep_setting **out)
{
    sweep_setting *s = NULL;
    int ns = 0;
    for (int p = 0; p < npt; p++) {
        const char *t = text[p];
        while (t && *t) {
            const char *nl = strpbrk(t, "\n"), *end = nl ? nl : t + strlen(t);
            const char *eq = memchr(t, '=', (size_t)(end - t));
            if (eq) {
                const char *k0 = t, *k1 = eq;
                while (k0 < k1 && (*k0 == ' ' || *k0 == '\t')) k0++;
                while (k1 > k0 && (k1[-1] == ' ' || k1[-1] == '\t')) k1--;
                int idx = -1;
                for (int i = 0; i < ns; i++)
                    if (strlen(s[i].path) == (size_t)(k1 - k0) && strncmp(s[i].path, k0, (size_t)(k1 - k0)) == 0) idx = i;
                if (idx < 0 && k1 > k0 && ns < 64) {
                    sweep_setting *g = realloc(s, sizeof *s * (size_t)(ns + 1));
                    if (!g) break;
                    s = g;
                    s[ns].path = strndup(k0, (size_t)(k1 - k0));
                    s[ns].label = s[ns].path ? rs_clip(s[ns].path, "setting", 40) : NULL;
                    s[ns].val = malloc(sizeof(double) * (size_t)npt);
                    s[ns].numeric = 1;
                    s[ns].varied = 0;
                    if (!s[ns].path || !s[ns].label || !s[ns].val) { free(s[ns].path); free(s[ns].label); free(s[ns].val); break; }
                    for (int i = 0; i < npt; i++) s[ns].val[i] = NAN;
                    idx = ns++;
                }
                if (idx >= 0) {
                    char buf[128], *e;
                    size_t l = (size_t)(end - eq - 1);
                    snprintf(buf, sizeof buf, "%.*s", (int)(l < sizeof buf - 1 ? l : sizeof buf - 1), eq + 1);
                    double x = strtod(buf, &e);
                    while (*e == ' ' || *e == '\t' || *e == ';' || *e == '\r') e++;
                    if (e == buf || *e) {
                        const char *b = buf + strspn(buf, " \t");
                        x = !strncmp(b, "true", 4) ? 1 : !strncmp(b, "false", 5) ? 0 : NAN;
                        if (isnan(x)) s[idx].numeric = 0;
                    }
                    s[idx].val[p] = x;
                }
            }
            t = nl ? nl + 1 : NULL;
        }
    }
    for (int i = 0; i < ns; i++) {
        double first = NAN;
        for (int p = 0; p < npt; p++) {
            if (isnan(s[i].val[p])) { s[i].numeric = 0; continue; }
            if (isnan(first)) first = s[i].val[p];
            else if (s[i].val[p] != first) s[i].varied = 1;
        }
    }
    *out = s;
    return ns;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Response curve of arm a: pooled replications of all points at each distinct x. */
static int response_band(const rpt_ctx *c, const double *v, const double *x, int npt, int a, rpt_band *b, double *tmp)
{
    double *xs = malloc(sizeof(double) * (size_t)npt);
    if (!xs) return -1;
    int nx = 0;
    for (int p = 0; p < npt; p++)
        if (isfinite(x[p])) xs[nx++] = x[p];
    qsort(xs, (size_t)nx, sizeof *xs, cmp_dbl);
    for (int i = 0; i < nx; i++) {
        if (i > 0 && xs[i] == xs[i - 1]) continue;
        int n = 0;
        for (int p = 0; p < npt; p++) {
            if (x[p] != xs[i]) continue;
            for (int r = 0; r < c->reps; r++) {
                double y = v[((size_t)a * (size_t)npt + (size_t)p) * (size_t)c->reps + (size_t)r];
                if (isfinite(y)) tmp[n++] = y;
            }
        }
        if (n == 0) continue;
        qsort(tmp, (size_t)n, sizeof *tmp, cmp_dbl);
        if (rd_band_push(b, xs[i], tmp, n) != 0) { free(xs); return -1; }
    }
    free(xs);
    return b->n;
}

/* Heatmap cells: for each distinct (x0, x1), the mean over points and replications of
 * arm a (ref < 0) or of the paired difference a - ref.  Returns cells. */
static int heat_cells(const rpt_ctx *c, const double *v, const double *x0, const double *x1, int npt, int a, int ref,
                      double *cx, double *cy, double *cz)
{
    int nc = 0;
    for (int p = 0; p < npt; p++) {
        if (!isfinite(x0[p]) || !isfinite(x1[p])) continue;
        int seen = 0;
        for (int q = 0; q < p; q++) seen |= x0[q] == x0[p] && x1[q] == x1[p];
        if (seen) continue;
        double sum = 0;
        int n = 0;
        for (int q = p; q < npt; q++) {
            if (x0[q] != x0[p] || x1[q] != x1[p]) continue;
            for (int r = 0; r < c->reps; r++) {
                double y = v[((size_t)a * (size_t)npt + (size_t)q) * (size_t)c->reps + (size_t)r];
                if (ref >= 0) y -= v[((size_t)ref * (size_t)npt + (size_t)q) * (size_t)c->reps + (size_t)r];
                if (isfinite(y)) { sum += y; n++; }
            }
        }
        cx[nc] = x0[p];
        cy[nc] = x1[p];
        cz[nc] = n ? sum / n : NAN;
        nc++;
    }
    return nc;
}

void rs_sweep(rpt_ctx *c)
{
    if (c->npoints < 2 || c->narms == 0) return;
    int *pt = NULL, npt;
    char **txt = NULL;
    sweep_setting *set = NULL;
    int nset = 0, var[MAX_SWEEP_SETTINGS], nvar = 0;
    double *v = NULL, *tmp = NULL, *cell = NULL, *pidx = NULL;
    rpt_band *b = NULL;
    plot_fan_series *ser = NULL;
    if ((npt = rd_points(c, &pt, &txt)) < 2) goto out;
    nset = parse_settings(txt, npt, &set);
    for (int i = 0; i < nset && nvar < MAX_SWEEP_SETTINGS; i++)
        if (set[i].varied && set[i].numeric) var[nvar++] = i;
    size_t nv = (size_t)c->narms * (size_t)npt * (size_t)c->reps;
    v = malloc(sizeof(double) * nv);
    tmp = malloc(sizeof(double) * (size_t)npt * (size_t)c->reps);
    cell = malloc(sizeof(double) * 3 * (size_t)npt);
    pidx = malloc(sizeof(double) * (size_t)npt);
    b = calloc((size_t)c->narms, sizeof *b);
    ser = calloc((size_t)c->narms, sizeof *ser);
    if (!v || !tmp || !cell || !pidx || !b || !ser) goto out;
    for (int p = 0; p < npt; p++) pidx[p] = pt[p];

    rs_open(c, RPT_SWEEP, "sweep", "Sweep");
    FILE *h = c->body;
    fprintf(h, "<p class=\"note\">%d points", npt);
    if (nvar) {
        fputs(" over ", h);
        for (int k = 0; k < nvar; k++) {
            fputs(k ? ", " : "", h);
            fputs("<code>", h);
            rpt_html_write(h, set[var[k]].path);
            fputs("</code>", h);
        }
    }
    fprintf(h, "; %d replication%s per arm and point. Response curves: median with 50%% and 90%% bands over the "
               "replications%s.</p>\n", c->reps, c->reps == 1 ? "" : "s",
            nvar > 1 ? " (pooled over the other varied settings at each value)" : "");
    /* the points table: settings and the first key metric per arm */
    int first_key = -1;
    for (int k = 0; k < NKEY && first_key < 0; k++)
        if (rs_met(c, key_metrics[k]) >= 0) first_key = k;
    if (first_key >= 0 && rd_sweep_metric(c, key_metrics[first_key], pt, npt, v) != 0) goto out_sec;
    fputs("<details><summary>Points</summary>\n<table>\n<thead><tr><th>point</th>", h);
    for (int k = 0; k < nvar; k++) {
        fputs("<th>", h);
        rpt_html_write(h, set[var[k]].path);
        fputs("</th>", h);
    }
    if (nvar == 0) fputs("<th>settings</th>", h);
    for (int a = 0; first_key >= 0 && a < c->narms; a++) {
        fprintf(h, "<th>%s: ", key_metrics[first_key]);
        rpt_html_write(h, rs_name(c->arm[a], "(unnamed arm)"));
        fputs("</th>", h);
    }
    fputs("</tr></thead>\n<tbody>\n", h);
    for (int p = 0; p < npt; p++) {
        fprintf(h, "<tr><td>%d</td>", pt[p]);
        for (int k = 0; k < nvar; k++) {
            fputs("<td>", h);
            rh_num(h, set[var[k]].val[p], 0);
            fputs("</td>", h);
        }
        if (nvar == 0) {
            fputs("<td><code>", h);
            rpt_html_write(h, txt[p]);
            fputs("</code></td>", h);
        }
        for (int a = 0; first_key >= 0 && a < c->narms; a++) {
            double s = 0;
            int n = 0;
            for (int r = 0; r < c->reps; r++) {
                double y = v[((size_t)a * (size_t)npt + (size_t)p) * (size_t)c->reps + (size_t)r];
                if (isfinite(y)) { s += y; n++; }
            }
            fputs("<td>", h);
            rh_num(h, n ? s / n : NAN, 0);
            fputs("</td>", h);
        }
        fputs("</tr>\n", h);
    }
    fputs("</tbody></table></details>\n", h);

    /* response curves: every key metric against every varied setting (or the point index) */
    int nheat = 0;
    for (int k = 0; k < NKEY; k++) {
        if (rs_met(c, key_metrics[k]) < 0) continue;
        if (rd_sweep_metric(c, key_metrics[k], pt, npt, v) != 0) goto out_sec;
        int nx = nvar ? nvar : 1;
        for (int j = 0; j < nx; j++) {
            const double *x = nvar ? set[var[j]].val : pidx;
            const char *xl = nvar ? set[var[j]].label : "point";
            int ns = 0;
            for (int a = 0; a < c->narms; a++) {
                rd_band_free(&b[a]);
                if (response_band(c, v, x, npt, a, &b[a], tmp) > 0) rs_fan_series(c, &b[a], &ser[ns++], a, PLOT_MARKS);
            }
            if (ns == 0) continue;
            char title[1024], base[4200], name[64], perr[1024];
            snprintf(title, sizeof title, "%s\n%s against %s", c->sname, key_metrics[k], xl);
            snprintf(name, sizeof name, "sweep_%s_%d", key_metrics[k], j);
            rs_base(c, base, sizeof base, name);
            plot_axes ax = rs_axes(c, title, xl, key_metrics[k]);
            rs_figure(c, plot_fan(base, &ax, ser, ns, perr, sizeof perr), name, title, perr);
        }
        /* heatmaps over the first two varied settings */
        if (nvar < 2 || nheat >= MAX_HEAT) continue;
        if (nheat++ == 0) {
            c->info->sections |= RPT_HEATMAP;
            fputs("<h3>Heatmaps</h3>\n<p class=\"note\">Mean over the replications at each pair of values of <code>", h);
            rpt_html_write(h, set[var[0]].path);
            fputs("</code> and <code>", h);
            rpt_html_write(h, set[var[1]].path);
            fputs("</code>; for the other arms also the mean paired difference to ", h);
            rpt_html_write(h, rs_name(c->arm[c->ref], "the reference arm"));
            fputs(".</p>\n", h);
        }
        double *cx = cell, *cy = cell + npt, *cz = cell + 2 * npt;
        for (int a = 0; a < c->narms; a++)
            for (int diff = 0; diff < 2; diff++) {
                if (diff && (a == c->ref || c->narms < 2)) continue;
                int nc = heat_cells(c, v, set[var[0]].val, set[var[1]].val, npt, a, diff ? c->ref : -1, cx, cy, cz);
                char title[1024], base[4200], name[64], perr[1024], zl[512];
                if (diff)
                    snprintf(title, sizeof title, "%s\n%s, %s minus %s", c->sname, key_metrics[k],
                             c->alabel[a], c->alabel[c->ref]);
                else
                    snprintf(title, sizeof title, "%s\n%s, arm %s", c->sname, key_metrics[k],
                             c->alabel[a]);
                snprintf(zl, sizeof zl, "%s%s", key_metrics[k], diff ? " (difference)" : "");
                snprintf(name, sizeof name, "heat%s_%s_%d", diff ? "diff" : "", key_metrics[k], a);
                rs_base(c, base, sizeof base, name);
                plot_axes ax = rs_axes(c, title, set[var[0]].label, set[var[1]].label);
                rs_figure(c, plot_heatmap(base, &ax, cx, cy, cz, nc, zl, diff, perr, sizeof perr), name, title, perr);
            }
    }
out_sec:
    rs_close(c);
out:
    for (int i = 0; i < nset; i++) { free(set[i].path); free(set[i].label); free(set[i].val); }
    free(set);
    for (int i = 0; txt && i < npt; i++) free(txt[i]);
    free(txt);
    free(pt);
    free(v);
    free(tmp);
    free(cell);
    free(pidx);
    if (b)
        for (int a = 0; a < c->narms; a++) rd_band_free(&b[a]);
    free(b);
    free(ser);
}
