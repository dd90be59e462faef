/* report.c -- `qunsim report`: the sections of the forecast report and the
 * assembly of index.html.  Each section computes its data (report_data.c),
 * draws its charts (plot.h) and writes its HTML into a memory stream; the
 * page (head, navigation to the sections present, body) is written at the
 * end.  A section without data is skipped; a chart gnuplot fails on is a
 * warning.  Data reads: report_data.c; the sweep section: report_sweep.c;
 * escaping: report_html.c.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <gsl/gsl_sort.h>

#include "metinfo.h"
#include "plot.h"
#include "baseline.h"
#include "report_int.h"

/* The daily series drawn as fan charts (and in the history section). */
static const struct {
    const char *metric, *label, *unit;
    int yzero; /* the y axis from 0 (not for members: arms differ by a few percent) */
} daily_rows[] = {
    {"dau", "daily active speakers", "active speakers", 1},
    {"messages", "messages per day", "messages", 1},
    {"interactions", "interactions per day", "interactions", 1},
    {"members", "members", "members", 0},
};
#define NDAILY ((int)(sizeof daily_rows / sizeof daily_rows[0]))

/* Headline metrics (table and comparison chart): analysis/metinfo.c's list,
 * the one the terminal table of `qunsim run` shows. */
#define headline mi_headline
#define NHEAD mi_nheadline

/* Campaign funnel stages, in the order of rd_funnel's columns. */
static const char *const funnel_label[RD_FUNNEL_STAGES] = {"exposed", "took part", "completed", "shared"};
/* the stage each stage's share is of (nested: took part of exposed, the
 * others of took part) */
static const int funnel_parent[RD_FUNNEL_STAGES] = {-1, 0, 1, 1};

/* ---- small helpers ---- */

/* A line on the log stream (if any): fmt with one string. */
static void log_warning(rpt_ctx *c, const char *fmt, const char *a)
{
    if (c->o->log) {
        fprintf(c->o->log, fmt, a);
        fflush(c->o->log);
    }
}

static int mkdirs(const char *path, char *err, size_t errlen)
{
    size_t n = strlen(path);
    char *p = malloc(n + 1);
    if (!p) { snprintf(err, errlen, "out of memory"); return -1; }
    memcpy(p, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != 0) continue;
        char save = p[i];
        p[i] = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create %s: %s", p, strerror(errno));
            free(p);
            return -1;
        }
        p[i] = save;
    }
    struct stat sb;
    int ok = stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
    if (!ok) snprintf(err, errlen, "%s: not a directory", path);
    free(p);
    return ok ? 0 : -1;
}

int rs_met(const rpt_ctx *c, const char *m)
{
    for (int i = 0; i < c->nmet; i++)
        if (strcmp(c->met[i], m) == 0) return i;
    return -1;
}

const char *rs_name(const char *s, const char *dflt) { return s && *s ? s : dflt; }

/* A copy of s (dflt if empty) for a chart: at most maxch characters (then
 * an ellipsis), control characters as spaces.  malloc'd; NULL on ENOMEM. */
char *rs_clip(const char *s, const char *dflt, int maxch)
{
    s = rs_name(s, dflt);
    size_t n = strlen(s);
    char *o = malloc(n + 4);
    if (!o) return NULL;
    size_t k = 0;
    int ch = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p & 0xC0) != 0x80 && ch++ == maxch) {
            memcpy(o + k, "\xe2\x80\xa6", 3); /* … */
            k += 3;
            break;
        }
        o[k++] = *p < 0x20 || *p == 0x7f ? ' ' : (char)*p;
    }
    o[k] = 0;
    return o;
}

static int make_labels(rpt_ctx *c)
{
    if (!(c->sname = rs_clip(c->scenario, "scenario", 60)) || !(c->lname = rs_clip(c->live_label, "observed log", 40)))
        return -1;
    if (!(c->alabel = calloc((size_t)c->narms + 1, sizeof *c->alabel))) return -1;
    for (int a = 0; a < c->narms; a++)
        if (!(c->alabel[a] = rs_clip(c->arm[a], "(unnamed arm)", 32))) return -1;
    return 0;
}

/* After a plot_* call that returned rc: count the chart and put it on the
 * page, or count and log a warning (the chart is left out). */
void rs_figure(rpt_ctx *c, int rc, const char *name, const char *caption, const char *perr)
{
    if (rc == 0) {
        c->info->nplots++;
        rh_figure(c->body, name, caption, c->o->svg);
    } else {
        c->info->nwarnings++;
        log_warning(c, "qunsim report: warning: chart left out: %s\n", perr);
    }
}

void rs_base(rpt_ctx *c, char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", c->plots, name);
}

plot_axes rs_axes(const rpt_ctx *c, const char *title, const char *xl, const char *yl)
{
    plot_axes a = {.title = title, .xlabel = xl, .ylabel = yl, .xmark = NAN, .svg = c->o->svg};
    return a;
}

void rs_open(rpt_ctx *c, unsigned bit, const char *id, const char *title)
{
    if (c->nnav < 16) {
        c->nav[c->nnav].id = id;
        c->nav[c->nnav].title = title;
        c->nnav++;
    }
    c->info->sections |= bit;
    fprintf(c->body, "<section id=\"%s\">\n<h2>%s</h2>\n", id, title);
}

void rs_close(rpt_ctx *c) { fputs("</section>\n", c->body); }

/* ---- headline table ---- */

/* One cell: mean [lo, hi] as metinfo formats the metric (shares in %,
 * differences of shares in percentage points); a difference whose CI
 * excludes 0 is bold, and green or red when the metric has a direction. */
static void stat_cell(FILE *f, const mi_row *r, const sum_stat *s, int diff)
{
    int sig = diff && s->n > 1 && (s->lo > 0 || s->hi < 0);
    int v = diff ? mi_verdict(r, s->mean, s->lo, s->hi) : 0;
    char a[48], b[48], m[48];
    fprintf(f, "<td%s>", v > 0 ? " class=\"sig good\"" : v < 0 ? " class=\"sig bad\"" : sig ? " class=\"sig\"" : "");
    mi_format(r, s->mean, diff, m, sizeof m);
    mi_format(r, s->lo, diff, a, sizeof a);
    mi_format(r, s->hi, diff, b, sizeof b);
    fprintf(f, "%s <span class=\"ci\">[%s, %s]</span></td>", m, a, b);
}

/* Whether the table shows metric m: the window can define it and some arm
 * has a value.  Otherwise why not, into why. */
static int row_shown(const rpt_ctx *c, int m, char *why, size_t n)
{
    const mi_row *r = mi_find(c->met[m]);
    if (!mi_window_ok(r, (int)c->days_manifest)) {
        snprintf(why, n, "needs a window of more than %d days; the runs have %lld", r->follow, (long long)c->days_manifest);
        return 0;
    }
    for (int a = 0; a < c->narms; a++) {
        sum_stat st;
        sum_arm(c->sum, a, m, &st);
        if (st.n > 0) return 1;
    }
    snprintf(why, n, "no run has a value (e.g. no campaign, no questions)");
    return 0;
}

static void metric_table(rpt_ctx *c, const int *mi, int nm)
{
    FILE *f = c->body;
    fputs("<table>\n<thead><tr><th>metric</th>", f);
    for (int a = 0; a < c->narms; a++) {
        fputs("<th>", f);
        rpt_html_write(f, rs_name(c->arm[a], "(unnamed arm)"));
        fputs("</th>", f);
    }
    for (int a = 0; a < c->narms; a++) {
        if (a == c->ref) continue;
        fputs("<th>", f);
        rpt_html_write(f, rs_name(c->arm[a], "(unnamed arm)"));
        fputs(" &minus; ", f);
        rpt_html_write(f, rs_name(c->arm[c->ref], "(unnamed arm)"));
        fputs("</th>", f);
    }
    fputs("<th class=\"def\">definition</th></tr></thead>\n<tbody>\n", f);
    int nout = 0;
    char why[160];
    for (int k = 0; k < nm; k++) {
        int m = mi[k];
        if (!row_shown(c, m, why, sizeof why)) { nout++; continue; }
        const mi_row *r = mi_find(c->met[m]);
        char t[256];
        fputs("<tr><td>", f);
        rpt_html_write(f, mi_title(r, c->met[m], t, sizeof t));
        fputs("</td>", f);
        sum_stat st;
        for (int a = 0; a < c->narms; a++) {
            sum_arm(c->sum, a, m, &st);
            stat_cell(f, r, &st, 0);
        }
        for (int a = 0; a < c->narms; a++) {
            if (a == c->ref) continue;
            sum_diff(c->sum, a, c->ref, m, &st);
            stat_cell(f, r, &st, 1);
        }
        fputs("<td class=\"def\">", f);
        if (r) {
            rpt_html_write(f, r->def);
            fputs(r->dir > 0 ? ". Higher is better." : r->dir < 0 ? ". Lower is better." : ".", f);
        }
        fputs(" <code>", f);
        rpt_html_write(f, c->met[m]);
        fputs("</code></td></tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
    if (nout) {
        fputs("<p class=\"note\">Left out: ", f);
        for (int k = 0, j = 0; k < nm; k++) {
            int m = mi[k];
            if (row_shown(c, m, why, sizeof why)) continue;
            const mi_row *r = mi_find(c->met[m]);
            fputs(j++ ? "; " : "", f);
            rpt_html_write(f, r ? r->label : c->met[m]);
            fputs(" (<code>", f);
            rpt_html_write(f, c->met[m]);
            fputs("</code>): ", f);
            rpt_html_write(f, why);
        }
        fputs(".</p>\n", f);
    }
}

/* Indices of the headline metrics present (or the first 12 metrics). */
static int headline_idx(const rpt_ctx *c, int *mi)
{
    int n = 0;
    for (int k = 0; k < NHEAD; k++) {
        int m = rs_met(c, headline[k]);
        if (m >= 0) mi[n++] = m;
    }
    if (n == 0)
        for (int m = 0; m < c->nmet && m < 12; m++) mi[n++] = m;
    return n;
}

/* After-effects: an arm clearly worse than the reference on a headline
 * metric (its CI excludes 0 on the bad side) gets a paragraph saying so,
 * with the overload mechanism's own metrics (mutes, leaves) beside it. */
/* Mean of the last (up to) 7 daily medians of band b; NaN if none. */
static double last_week(const rpt_band *b)
{
    double s = 0;
    int k = 0;
    for (int i = b->n - 1; i >= 0 && i >= b->n - 7; i--)
        if (isfinite(b->med[i])) { s += b->med[i]; k++; }
    return k ? s / k : NAN;
}

static void after_effects(rpt_ctx *c, const int *mi, int nm)
{
    int mm = rs_met(c, "mutes"), ml = rs_met(c, "leaves");
    /* the speakers of the last week: a campaign's after-effect shows at the
     * end of the run even when its weeks lift the whole-run mean */
    rpt_band *dau = calloc((size_t)c->narms, sizeof *dau);
    if (dau && rd_daily(c, "dau", dau) < 0) { /* a read error: failed is set, the report fails */
        for (int a = 0; a < c->narms; a++) rd_band_free(&dau[a]);
        free(dau);
        dau = NULL;
    }
    for (int a = 0; a < c->narms; a++) {
        if (a == c->ref) continue;
        int nbad = 0;
        double wa = dau ? last_week(&dau[a]) : NAN, wr = dau ? last_week(&dau[c->ref]) : NAN;
        if (isfinite(wa) && isfinite(wr) && wa < wr) {
            nbad++;
            fputs("<p class=\"note after\"><b>After-effects:</b> ", c->body);
            rpt_html_write(c->body, rs_name(c->arm[a], "(unnamed arm)"));
            fprintf(c->body, " ends with fewer daily speakers than ");
            rpt_html_write(c->body, rs_name(c->arm[c->ref], "the reference"));
            fprintf(c->body, " (last 7 days, median of the replications: %.4g against %.4g)", wa, wr);
        }
        for (int k = 0; k < nm; k++) {
            sum_stat d;
            sum_diff(c->sum, a, c->ref, mi[k], &d);
            const mi_row *r = mi_find(c->met[mi[k]]);
            if (mi_verdict(r, d.mean, d.lo, d.hi) >= 0 || !mi_window_ok(r, (int)c->days_manifest)) continue;
            if (!nbad) {
                fputs("<p class=\"note after\"><b>After-effects:</b> ", c->body);
                rpt_html_write(c->body, rs_name(c->arm[a], "(unnamed arm)"));
                fputs(" ends worse than ", c->body);
                rpt_html_write(c->body, rs_name(c->arm[c->ref], "the reference"));
                fputs(" on ", c->body);
            } else
                fputs(nbad == 1 && isfinite(wa) && wa < wr ? "; worse on " : ", ", c->body);
            nbad++;
            char v[48];
            rpt_html_write(c->body, r ? r->label : c->met[mi[k]]);
            fprintf(c->body, " (%s)", mi_format(r, d.mean, 1, v, sizeof v));
        }
        if (!nbad) continue;
        fputs(". In the model a member whose group is busier than their tolerance mutes it (stops reading, "
              "never unmutes) or leaves: a campaign that adds many messages can leave fewer readers and speakers "
              "after it ends. The mechanism's own metrics", c->body);
        sum_stat d;
        char v[48];
        if (mm >= 0) {
            sum_diff(c->sum, a, c->ref, mm, &d);
            fprintf(c->body, ": mutes %s", mi_format(mi_find("mutes"), d.mean, 1, v, sizeof v));
        }
        if (ml >= 0) {
            sum_diff(c->sum, a, c->ref, ml, &d);
            fprintf(c->body, "%s leaves %s", mm >= 0 ? "," : ":", mi_format(mi_find("leaves"), d.mean, 1, v, sizeof v));
        }
        fputs(" against the reference; the daily charts show when the gap opens. Settings that govern it: "
              "<code>members.tolerance_median</code>, <code>members.mute_rate</code>, "
              "<code>members.overload_leave</code> (docs/model.md).</p>\n", c->body);
    }
    if (dau) {
        for (int a = 0; a < c->narms; a++) rd_band_free(&dau[a]);
        free(dau);
    }
}

static void sec_headline(rpt_ctx *c)
{
    if (!c->sum || c->narms == 0) return;
    int *mi = malloc(sizeof(int) * (size_t)(c->nmet + NHEAD));
    if (!mi) return;
    int n = headline_idx(c, mi);
    rs_open(c, RPT_HEADLINE, "headline", "Headline metrics");
    fprintf(c->body, "<p class=\"note\">Per arm: mean over %d replication%s [5%% and 95%% of the replications]; "
            "shares in %%. ", c->reps, c->reps == 1 ? "" : "s");
    if (c->narms > 1)
        fputs("Difference: paired by replication (the arms share their random numbers), mean [90% confidence "
              "interval of the mean], differences of shares in percentage points (pp); bold where that interval "
              "excludes 0, <span class=\"good\">green</span> when that is better for the group, "
              "<span class=\"bad\">red</span> when worse.", c->body);
    fputs("</p>\n", c->body);
    metric_table(c, mi, n);
    if (c->narms > 1) after_effects(c, mi, n);
    if (c->nmet > n) {
        for (int m = 0; m < c->nmet; m++) mi[m] = m;
        fprintf(c->body, "<details><summary>All %d summary metrics</summary>\n", c->nmet);
        metric_table(c, mi, c->nmet);
        fputs("</details>\n", c->body);
    }
    rs_close(c);
    free(mi);
}

/* ---- daily fan charts ---- */

void rs_fan_series(const rpt_ctx *c, rpt_band *b, plot_fan_series *s, int a, int style)
{
    s->title = c->alabel[a];
    s->n = b->n;
    s->x = b->x;
    s->y = b->med;
    s->lo50 = b->lo50;
    s->hi50 = b->hi50;
    s->lo90 = b->lo90;
    s->hi90 = b->hi90;
    s->colour = a;
    s->style = style;
}

static void sec_daily(rpt_ctx *c, rpt_band **bands)
{
    if (c->narms == 0) return;
    int opened = 0;
    plot_fan_series *ser = calloc((size_t)c->narms, sizeof *ser);
    if (!ser) return;
    for (int k = 0; k < NDAILY; k++) {
        int have = rd_daily(c, daily_rows[k].metric, bands[k]);
        if (have <= 0) continue;
        if (!opened) {
            rs_open(c, RPT_DAILY, "daily", "Daily activity");
            fprintf(c->body, "<p class=\"note\">Median over %d replication%s per arm (line) with the bands holding "
                             "the middle 50%% and 90%% of the replications, day by day.</p>\n", c->reps, c->reps == 1 ? "" : "s");
            opened = 1;
        }
        int ns = 0;
        for (int a = 0; a < c->narms; a++)
            if (bands[k][a].n > 0) rs_fan_series(c, &bands[k][a], &ser[ns++], a, PLOT_LINE);
        char title[1024], base[4200], name[64], perr[1024];
        snprintf(title, sizeof title, "%s\n%s: median, 50%% and 90%% bands of %d replications",
                 c->sname, daily_rows[k].label, c->reps);
        snprintf(name, sizeof name, "fan_%s", daily_rows[k].metric);
        rs_base(c, base, sizeof base, name);
        plot_axes ax = rs_axes(c, title, "", daily_rows[k].unit);
        ax.xdate = 1;
        ax.yzero = daily_rows[k].yzero;
        rs_figure(c, plot_fan(base, &ax, ser, ns, perr, sizeof perr), name, title, perr);
    }
    if (opened) rs_close(c);
    free(ser);
}

/* ---- retention curves ---- */

/* N of "retention_Nd" after prefix, or -1. */
static int retention_n(const char *m, const char *prefix)
{
    size_t l = strlen(prefix);
    if (strncmp(m, prefix, l) != 0) return -1;
    char *end;
    long n = strtol(m + l, &end, 10);
    return end != m + l && strcmp(end, "d") == 0 && n > 0 && n <= 3650 ? (int)n : -1;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Bands of retention over N for arm a from metrics "<prefix>Nd"; returns points. */
static int retention_band(rpt_ctx *c, int a, const char *prefix, rpt_band *b, double *tmp)
{
    int *ns = malloc(sizeof(int) * (size_t)c->nmet), *mi = malloc(sizeof(int) * (size_t)c->nmet), k = 0;
    if (!ns || !mi) { free(ns); free(mi); return 0; }
    for (int m = 0; m < c->nmet; m++) {
        int n = retention_n(c->met[m], prefix);
        if (n > 0 && m < 100000) { ns[k] = n * 100000 + m; k++; } /* sort by N (<= 3650), keep m */
    }
    qsort(ns, (size_t)k, sizeof *ns, cmp_int);
    for (int i = 0; i < k; i++) {
        int m = ns[i] % 100000, n = 0;
        mi[i] = m;
        for (int r = 0; r < c->reps; r++) {
            double v = sum_get(c->sum, a, m, r);
            if (isfinite(v)) tmp[n++] = v;
        }
        gsl_sort(tmp, 1, (size_t)n);
        if (n > 0 && rd_band_push(b, ns[i] / 100000, tmp, n) != 0) break;
    }
    free(ns);
    free(mi);
    return b->n;
}

static void sec_retention(rpt_ctx *c)
{
    if (!c->sum || c->narms == 0) return;
    rpt_band *b = calloc((size_t)(2 * c->narms), sizeof *b);
    plot_fan_series *ser = calloc((size_t)(2 * c->narms), sizeof *ser);
    double *tmp = malloc(sizeof(double) * (size_t)c->reps);
    char **titles = calloc((size_t)(2 * c->narms), sizeof *titles);
    int ns = 0, maxpts = 0;
    if (!b || !ser || !tmp || !titles) goto out;
    for (int fam = 0; fam < 2; fam++)
        for (int a = 0; a < c->narms; a++) {
            rpt_band *bb = &b[fam * c->narms + a];
            int n = retention_band(c, a, fam ? "new_retention_" : "retention_", bb, tmp);
            if (n == 0) continue;
            if (n > maxpts) maxpts = n;
            size_t tl = strlen(c->alabel[a]) + 32;
            if (!(titles[ns] = malloc(tl))) continue;
            snprintf(titles[ns], tl, "%s%s", c->alabel[a], fam ? " (new members)" : "");
            rs_fan_series(c, bb, &ser[ns], a, fam ? PLOT_DASHED : PLOT_MARKS);
            ser[ns].title = titles[ns];
            ns++;
        }
    if (ns == 0 || maxpts < 2) goto out; /* a curve needs two horizons */
    rs_open(c, RPT_RETENTION, "retention", "Retention");
    fputs("<p class=\"note\">N-day retention against N (the retention_Nd summary metrics): median over the "
          "replications with 50% and 90% bands; dashed: members who joined during the run (new_retention_Nd).</p>\n",
          c->body);
    char title[1024], base[4200], perr[1024];
    snprintf(title, sizeof title, "%s\nN-day retention: median, 50%% and 90%% bands of %d replications",
             c->sname, c->reps);
    rs_base(c, base, sizeof base, "retention");
    plot_axes ax = rs_axes(c, title, "N (days)", "N-day retention");
    ax.xlog = 1;
    ax.yzero = 1;
    rs_figure(c, plot_fan(base, &ax, ser, ns, perr, sizeof perr), "retention", title, perr);
    rs_close(c);
out:
    if (b)
        for (int i = 0; i < 2 * c->narms; i++) rd_band_free(&b[i]);
    if (titles)
        for (int i = 0; i < 2 * c->narms; i++) free(titles[i]);
    free(titles);
    free(b);
    free(ser);
    free(tmp);
}

/* ---- arm comparison ---- */

/* Bar colours of the comparison: clearly better / worse for the group, not clear. */
#define RGB_GOOD 0x2ca02cu
#define RGB_BAD 0xd62728u
#define RGB_UNCLEAR 0xb0b0b0u

static void sec_comparison(rpt_ctx *c)
{
    if (!c->sum || c->narms < 2) return;
    int mi[64], all[64];
    int na = headline_idx(c, all), nm = 0;
    char why[160];
    for (int k = 0; k < na && k < 64; k++)
        if (row_shown(c, all[k], why, sizeof why)) mi[nm++] = all[k];
    const char **cats = calloc((size_t)nm + 1, sizeof *cats);
    char (*lab)[96] = calloc((size_t)nm + 1, sizeof *lab);
    plot_bar_series *ser = calloc((size_t)c->narms, sizeof *ser);
    double *v = malloc(sizeof(double) * (size_t)(3 * (nm + 1) * c->narms));
    unsigned *rgb = malloc(sizeof(unsigned) * (size_t)((nm + 1) * c->narms));
    int ns = 0, any = 0;
    if (!cats || !lab || !ser || !v || !rgb || nm == 0) goto out;
    for (int k = 0; k < nm; k++) {
        const mi_row *r = mi_find(c->met[mi[k]]);
        /* category labels are user text only in name; the label has room for one line */
        snprintf(lab[k], sizeof lab[k], "%s", r ? r->label : c->met[mi[k]]);
        cats[k] = lab[k];
    }
    for (int a = 0; a < c->narms; a++) {
        if (a == c->ref) continue;
        double *y = v + (size_t)(3 * nm * ns), *lo = y + nm, *hi = lo + nm;
        unsigned *col = rgb + (size_t)(nm * ns);
        for (int k = 0; k < nm; k++) {
            sum_stat r, d;
            sum_arm(c->sum, c->ref, mi[k], &r);
            sum_diff(c->sum, a, c->ref, mi[k], &d);
            double sc = isfinite(r.mean) && r.mean != 0 ? 100.0 / fabs(r.mean) : NAN;
            y[k] = d.mean * sc;
            lo[k] = d.lo * sc;
            hi[k] = d.hi * sc;
            int vd = mi_verdict(mi_find(c->met[mi[k]]), d.mean, d.lo, d.hi);
            col[k] = vd > 0 ? RGB_GOOD : vd < 0 ? RGB_BAD : RGB_UNCLEAR;
            any |= isfinite(y[k]);
        }
        ser[ns] = (plot_bar_series){c->alabel[a], y, lo, hi, a, col};
        ns++;
    }
    if (!any) goto out;
    rs_open(c, RPT_COMPARISON, "comparison", "Arm comparison");
    fputs("<p class=\"note\">Paired difference of each arm to ", c->body);
    rpt_html_write(c->body, rs_name(c->arm[c->ref], "the reference arm"));
    fputs(", as a percentage of its mean, with the 90% confidence interval of the mean difference (the reference "
          "mean taken as fixed). <span class=\"good\">Green</span>: better for the group (more speakers, fewer "
          "leaves and mutes, ...) with the interval excluding 0; <span class=\"bad\">red</span>: worse; grey: no "
          "clear difference, or a metric with no better side. With several arms, each has its own fill pattern. The "
          "absolute differences are in the headline table.</p>\n", c->body);
    char title[1024], base[4200], perr[1024], yl[512];
    snprintf(title, sizeof title, "%s\ndifference to %s, %% of its mean, with 90%% CI", c->sname,
             c->alabel[c->ref]);
    snprintf(yl, sizeof yl, "difference to %s (%% of its mean)", c->alabel[c->ref]);
    rs_base(c, base, sizeof base, "comparison");
    plot_axes ax = rs_axes(c, title, "", yl);
    static const char *const kt[] = {"better for the group", "worse for the group", "no clear difference"};
    static const unsigned kc[] = {RGB_GOOD, RGB_BAD, RGB_UNCLEAR};
    ax.nkey = 3;
    ax.key_title = kt;
    ax.key_rgb = kc;
    rs_figure(c, plot_bars(base, &ax, cats, nm, ser, ns, perr, sizeof perr), "comparison", title, perr);
    rs_close(c);
out:
    free(cats);
    free(lab);
    free(ser);
    free(v);
    free(rgb);
}

/* ---- campaign funnel ---- */

/* One campaign's table and chart; chart name funnel_ID (funnel_all pooled). */
static void funnel_one(rpt_ctx *c, const rd_funnel_t *fu, int *arms, double *v, plot_bar_series *ser)
{
    sum_t *f = fu->f;
    int na = 0;
    /* every arm that runs the campaign (a value in some run), the reference too */
    for (int a = 0; a < c->narms; a++) {
        sum_stat st;
        sum_arm(f, a, 0, &st);
        if (st.n > 0 && st.mean > 0) arms[na++] = a;
    }
    if (na == 0) return;
    FILE *h = c->body;
    fputs("<h3>", h);
    rpt_html_write(h, fu->name);
    if (fu->id >= 0) fprintf(h, " <span class=\"ci\">(campaign id %d)</span>", fu->id);
    fputs("</h3>\n<table>\n<thead><tr><th>arm</th>", h);
    for (int k = 0; k < RD_FUNNEL_STAGES; k++) fprintf(h, "<th>%s</th>", funnel_label[k]);
    fputs("</tr></thead>\n<tbody>\n", h);
    const char *cats[RD_FUNNEL_STAGES];
    for (int k = 0; k < RD_FUNNEL_STAGES; k++) cats[k] = funnel_label[k];
    for (int i = 0; i < na; i++) {
        int a = arms[i];
        double *y = v + (size_t)(3 * RD_FUNNEL_STAGES * i), *lo = y + RD_FUNNEL_STAGES, *hi = lo + RD_FUNNEL_STAGES;
        fputs("<tr><td>", h);
        rpt_html_write(h, rs_name(c->arm[a], "(unnamed arm)"));
        fputs("</td>", h);
        for (int k = 0; k < RD_FUNNEL_STAGES; k++) {
            sum_stat st;
            sum_arm(f, a, k, &st);
            y[k] = st.mean;
            lo[k] = st.lo;
            hi[k] = st.hi;
            fputs("<td>", h);
            rh_num(h, st.mean, 0);
            fputs(" <span class=\"ci\">[", h);
            rh_num(h, st.lo, 0);
            fputs(", ", h);
            rh_num(h, st.hi, 0);
            fputs("]</span>", h);
            int p = funnel_parent[k];
            if (p >= 0 && y[p] > 0 && isfinite(y[k]))
                fprintf(h, " <span class=\"ci\">(%.0f%%)</span>", 100.0 * y[k] / y[p]);
            fputs("</td>", h);
        }
        fputs("</tr>\n", h);
        ser[i] = (plot_bar_series){c->alabel[a], y, lo, hi, a, NULL};
    }
    fputs("</tbody></table>\n", h);
    char title[1024], base[4200], perr[1024], name[64], cname[128];
    if (fu->id >= 0) snprintf(name, sizeof name, "funnel_%d", fu->id);
    else snprintf(name, sizeof name, "funnel_all");
    snprintf(cname, sizeof cname, "%s", fu->id >= 0 ? fu->name : "all campaigns");
    snprintf(title, sizeof title, "%s\n%s funnel: mean members per replication, 90%% interval", c->sname, cname);
    rs_base(c, base, sizeof base, name);
    plot_axes ax = rs_axes(c, title, "", "members");
    ax.value_labels = 1;
    rs_figure(c, plot_bars(base, &ax, cats, RD_FUNNEL_STAGES, ser, na, perr, sizeof perr), name, title, perr);
}

static void sec_funnel(rpt_ctx *c)
{
    rd_funnel_t *fs = NULL;
    int nf = 0;
    if (rd_funnel(c, &fs, &nf) <= 0) return;
    int *arms = malloc(sizeof(int) * (size_t)c->narms);
    double *v = malloc(sizeof(double) * (size_t)(3 * RD_FUNNEL_STAGES * c->narms));
    plot_bar_series *ser = calloc((size_t)c->narms, sizeof *ser);
    if (!arms || !v || !ser) goto out;
    rs_open(c, RPT_FUNNEL, "funnel", "Campaign funnels");
    fputs("<p class=\"note\">One funnel per campaign, for every arm that runs it; members per replication, mean "
          "[5% and 95% of the replications]. The stages are nested: <i>exposed</i>, reached by the campaign (an "
          "exposure or taking part); <i>took part</i>, a participate event (a subset of exposed); "
          "<i>completed</i> and <i>shared</i>: those who took part and also completed / shared it (subsets of took "
          "part). In parentheses the share of the stage it is a subset of. Invitations are not a stage: the event "
          "log does not tie them to a campaign (see invitations in the summary metrics).</p>\n", c->body);
    for (int k = 0; k < nf; k++) funnel_one(c, &fs[k], arms, v, ser);
    rs_close(c);
out:
    rd_funnels_free(fs, nf);
    free(arms);
    free(v);
    free(ser);
}

/* ---- observed log, then the forecast ---- */

/* One row of the backtest table into h; returns 1, or 0 if the series do not overlap. */
static int backtest_row(FILE *h, const rpt_ctx *c, const rpt_band *obs, const rpt_band *fc, int a, const char *label)
{
    int n = 0, in50 = 0, in90 = 0, nape = 0;
    double ape = 0;
    for (int i = 0, j = 0; i < obs->n; i++) {
        while (j < fc->n && fc->x[j] < obs->x[i]) j++;
        if (j >= fc->n || fc->x[j] != obs->x[i]) continue;
        double y = obs->med[i];
        n++;
        in50 += y >= fc->lo50[j] && y <= fc->hi50[j];
        in90 += y >= fc->lo90[j] && y <= fc->hi90[j];
        if (y != 0) { ape += fabs(fc->med[j] - y) / fabs(y); nape++; }
    }
    if (n == 0) return 0;
    fputs("<tr><td>", h);
    rpt_html_write(h, label);
    fputs("</td><td>", h);
    rpt_html_write(h, rs_name(c->arm[a], "(unnamed arm)"));
    fprintf(h, "</td><td>%d</td><td>", n);
    rh_num(h, nape ? 100.0 * ape / nape : NAN, 0);
    fprintf(h, "</td><td>%.0f%%</td><td>%.0f%%</td></tr>\n", 100.0 * in50 / n, 100.0 * in90 / n);
    return 1;
}

/* The forecasts an analyst would make from the observed days before the
 * forecast's start xs (analysis/baseline.h), H days from xs, into pt/lo/hi
 * (BL_N x H each).  Returns the kinds made (0: too little history). */
static int analyst_forecasts(const rpt_band *obs, double xs, int H, double *pt, double *lo, double *hi, int *ok)
{
    int n = 0, made = 0;
    for (int i = 0; i < obs->n; i++) n += obs->x[i] < xs;
    if (n < BL_MIN_HISTORY || H < 1) return 0;
    int from = n > 63 ? n - 63 : 0; /* the history a backtest calibrates on */
    for (int k = 0; k < BL_N; k++) {
        ok[k] = bl_forecast(k, obs->med + from, n - from, H, 0.9, pt + k * H, lo + k * H, hi + k * H, NULL, 0) == 0;
        made += ok[k];
    }
    return made;
}

/* One row of the backtest table for an analyst's forecast (no 50% band). */
static int baseline_row(FILE *h, const rpt_band *obs, double xs, const double *pt, const double *lo, const double *hi, int H, const char *label,
                        const char *method)
{
    double *y = malloc(sizeof(double) * (size_t)H);
    if (!y) return 0;
    for (int d = 0; d < H; d++) y[d] = NAN;
    for (int i = 0; i < obs->n; i++) {
        double d = (obs->x[i] - xs) / 86400.0;
        int di = (int)floor(d + 0.5);
        if (di >= 0 && di < H && fabs(d - di) < 0.01) y[di] = obs->med[i];
    }
    int n = 0;
    for (int d = 0; d < H; d++) n += isfinite(y[d]);
    if (n) {
        fputs("<tr><td>", h);
        rpt_html_write(h, label);
        fputs("</td><td>", h);
        rpt_html_write(h, method);
        fprintf(h, "</td><td>%d</td><td>", n);
        rh_num(h, 100.0 * bl_mape(pt, y, H), 0);
        fprintf(h, "</td><td>-</td><td>%.0f%%</td></tr>\n", 100.0 * bl_coverage(lo, hi, y, H));
    }
    free(y);
    return n > 0;
}

static void sec_history(rpt_ctx *c, rpt_band **bands)
{
    if (c->live_run <= 0) return;
    int opened = 0, nbt = 0;
    char *btbuf = NULL;
    size_t btlen = 0;
    FILE *bt = open_memstream(&btbuf, &btlen); /* the table goes after the charts */
    plot_fan_series *ser = calloc((size_t)c->narms + 3, sizeof *ser);
    if (!ser || !bt) {
        free(ser);
        if (bt) fclose(bt);
        free(btbuf);
        return;
    }
    char obs_title[512];
    snprintf(obs_title, sizeof obs_title, "observed: %s", c->lname);
    for (int k = 0; k < NDAILY; k++) {
        rpt_band obs = {0}, win = {0};
        if (rd_live_daily(c, daily_rows[k].metric, &obs) <= 0) { rd_band_free(&obs); continue; }
        /* the forecast's span */
        double xs = INFINITY, xe = -INFINITY;
        for (int a = 0; a < c->narms; a++)
            if (bands[k][a].n > 0) {
                if (bands[k][a].x[0] < xs) xs = bands[k][a].x[0];
                if (bands[k][a].x[bands[k][a].n - 1] > xe) xe = bands[k][a].x[bands[k][a].n - 1];
            }
        int fc = isfinite(xs);
        double keep = fc ? rd_history_days((int)((xe - xs) / 86400.0) + 1) * 86400.0 : 0;
        for (int i = 0; i < obs.n; i++) {
            if (fc && (obs.x[i] < xs - keep || obs.x[i] > xe)) continue;
            double y = obs.med[i];
            if (rd_band_push(&win, obs.x[i], &y, 1) != 0) break;
        }
        if (win.n == 0) { rd_band_free(&obs); rd_band_free(&win); continue; }
        if (!opened) {
            rs_open(c, RPT_HISTORY, "history", fc ? "Observed history and forecast" : "Observed log");
            fputs("<p class=\"note\">Observed: ", c->body);
            rpt_html_write(c->body, rs_name(c->live_label, "live log"));
            fprintf(c->body, " (run %lld%s", (long long)c->live_run, c->o->live_group ? ", group " : "");
            if (c->o->live_group) fprintf(c->body, "%d", c->o->live_group);
            fputs(").", c->body);
            if (fc)
                fputs(" Black: the observed daily series (up to four weeks, or twice the horizon, before the forecast "
                      "starts); coloured: the forecast per arm, median with 50% and 90% bands. Where the log goes on "
                      "past the forecast's start the two can be compared day by day (table below).", c->body);
            fputs("</p>\n", c->body);
            opened = 1;
        }
        int ns = 0;
        ser[ns++] = (plot_fan_series){obs_title, win.n, win.x, win.med, NULL, NULL, NULL, NULL, PLOT_BLACK, PLOT_OBSERVED};
        for (int a = 0; a < c->narms; a++)
            if (bands[k][a].n > 0) rs_fan_series(c, &bands[k][a], &ser[ns++], a, PLOT_LINE);
        /* beside it, the forecasts an analyst would make from the same history:
         * Holt-Winters and last week repeated as dashed lines (all five in the table) */
        int H = fc ? (int)((xe - xs) / 86400.0 + 0.5) + 1 : 0, bok[BL_N] = {0}, nb = 0;
        double *bp = H > 0 ? malloc(sizeof(double) * (size_t)(4 * BL_N * H)) : NULL, *bx = bp ? bp + 3 * BL_N * H : NULL;
        if (bp) {
            for (int d = 0; d < H; d++) bx[d] = xs + d * 86400.0;
            nb = analyst_forecasts(&obs, xs, H, bp, bp + BL_N * H, bp + 2 * BL_N * H, bok);
        }
        static const int shown[2] = {BL_HOLT_WINTERS, BL_LAST_WEEK};
        for (int s2 = 0; nb && s2 < 2 && ns < c->narms + 3; s2++)
            if (bok[shown[s2]])
                ser[ns++] = (plot_fan_series){bl_title(shown[s2]), H, bx, bp + shown[s2] * H, NULL, NULL, NULL, NULL, c->narms + s2, PLOT_DASHED};
        char title[1024], base[4200], name[64], perr[1024];
        snprintf(title, sizeof title, "%s\n%s, observed%s", c->lname, daily_rows[k].label,
                 fc ? " then forecast" : "");
        snprintf(name, sizeof name, "history_%s", daily_rows[k].metric);
        rs_base(c, base, sizeof base, name);
        plot_axes ax = rs_axes(c, title, "", daily_rows[k].unit);
        ax.xdate = 1;
        ax.yzero = daily_rows[k].yzero;
        if (fc) { ax.xmark = xs - 43200; ax.xmark_label = "forecast"; }
        rs_figure(c, plot_fan(base, &ax, ser, ns, perr, sizeof perr), name, title, perr);
        /* observed against forecast where they overlap */
        for (int a = 0; fc && a < c->narms; a++)
            if (bands[k][a].n > 0) nbt += backtest_row(bt, c, &win, &bands[k][a], a, daily_rows[k].label);
        for (int b = 0; nb && nbt && b < BL_N; b++)
            if (bok[b]) baseline_row(bt, &obs, xs, bp + b * H, bp + (BL_N + b) * H, bp + (2 * BL_N + b) * H, H, daily_rows[k].label, bl_title(b));
        free(bp);
        rd_band_free(&obs);
        rd_band_free(&win);
    }
    fclose(bt);
    if (nbt && btbuf) {
        fputs("<h3>Observed against forecast</h3>\n<table id=\"backtest\">\n<thead><tr><th>series</th><th>arm</th>"
              "<th>days compared</th><th>MAPE of the median (%)</th><th>inside 50% band</th><th>inside 90% band</th>"
              "</tr></thead>\n<tbody>\n", c->body);
        fwrite(btbuf, 1, btlen, c->body);
        fputs("</tbody></table>\n<p class=\"note\">A well calibrated forecast has about half of the observed days "
              "inside its 50% band and nine in ten inside its 90% band. Beside the arms, the forecasts an analyst "
              "would make from the same history (up to 63 days before the forecast's start; `qunsim backtest` and "
              "docs/calibration.md): a forecast worth running should beat them.</p>\n", c->body);
    }
    free(btbuf);
    if (c->narms == 0) {
        char **names;
        double *vals;
        int n = rd_live_summary(c, &names, &vals);
        if (n > 0) {
            if (!opened) {
                rs_open(c, RPT_HISTORY, "history", "Observed log");
                opened = 1;
            }
            fputs("<table>\n<thead><tr><th>metric</th><th>observed</th></tr></thead>\n<tbody>\n", c->body);
            for (int i = 0; i < n; i++) {
                fputs("<tr><td>", c->body);
                rpt_html_write(c->body, names[i]);
                fputs("</td><td>", c->body);
                rh_num(c->body, vals[i], 0);
                fputs("</td></tr>\n", c->body);
            }
            fputs("</tbody></table>\n", c->body);
        }
        for (int i = 0; i < n; i++) free(names[i]);
        if (n > 0) { free(names); free(vals); }
    }
    if (opened) rs_close(c);
    free(ser);
}

/* ---- settings and provenance ---- */

/* Settings text as opt_format writes it ("key = {" ... "};", "key = value;"
 * lines) flattened to "group.key" paths and values: n pairs, malloc'd into
 * *path / *val (one block each, freed by the caller with free_flat). */
typedef struct flat_t {
    int n;
    char **path, **val;
} flat_t;

static void free_flat(flat_t *f)
{
    for (int i = 0; i < f->n; i++) {
        free(f->path[i]);
        free(f->val[i]);
    }
    free(f->path);
    free(f->val);
    memset(f, 0, sizeof *f);
}

static int flatten(const char *text, flat_t *out)
{
    memset(out, 0, sizeof *out);
    char prefix[512] = "";
    int cap = 0;
    for (const char *p = text; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        while (len && (*p == ' ')) { p++; len--; }
        char line[2048];
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), p);
        size_t l = strlen(line);
        if (line[0] == '#' || !l) { /* comment or blank */ }
        else if (!strcmp(line, "};")) {
            char *dot = strrchr(prefix, '.');
            if (dot) *dot = 0;
            else prefix[0] = 0;
        } else if (l > 4 && !strcmp(line + l - 4, " = {")) {
            line[l - 4] = 0;
            size_t k = strlen(prefix);
            if (k + strlen(line) + 2 < sizeof prefix) snprintf(prefix + k, sizeof prefix - k, "%s%.200s", k ? "." : "", line);
            else snprintf(prefix + k, sizeof prefix - k, "%s?", k ? "." : ""); /* too deep: a placeholder the "};" pops */
        } else {
            char *eq = strstr(line, " = ");
            if (eq) {
                if (out->n == cap) {
                    cap = cap ? 2 * cap : 64;
                    char **np = realloc(out->path, sizeof *np * (size_t)cap), **nv = np ? realloc(out->val, sizeof *nv * (size_t)cap) : NULL;
                    if (np) out->path = np;
                    if (nv) out->val = nv;
                    if (!np || !nv) return -1;
                }
                *eq = 0;
                char full[2600];
                snprintf(full, sizeof full, "%s%s%s", prefix, *prefix ? "." : "", line);
                size_t vl = strlen(eq + 3);
                if (vl && eq[3 + vl - 1] == ';') eq[3 + vl - 1] = 0;
                out->path[out->n] = strdup(full);
                out->val[out->n] = strdup(eq + 3);
                if (!out->path[out->n] || !out->val[out->n]) { out->n++; return -1; }
                out->n++;
            }
        }
        if (!eol) break;
        p = eol + 1;
    }
    return 0;
}

static const char *flat_get(const flat_t *f, const char *path)
{
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->path[i], path)) return f->val[i];
    return NULL;
}

/* Arms side by side where they differ from the reference: what the
 * experiment varies, in a few rows instead of every setting. */
static void settings_diff(rpt_ctx *c, char **s)
{
    if (c->narms < 2 || !s[c->ref]) return;
    flat_t *f = calloc((size_t)c->narms, sizeof *f);
    if (!f) return;
    int ok = 1, rows = 0;
    for (int a = 0; a < c->narms && ok; a++)
        if (s[a] && flatten(s[a], &f[a]) != 0) ok = 0;
    if (ok) {
        FILE *h = c->body;
        for (int i = 0; i < f[c->ref].n; i++) {
            const char *path = f[c->ref].path[i], *rv = f[c->ref].val[i];
            int differ = 0;
            for (int a = 0; a < c->narms; a++)
                if (a != c->ref && s[a]) {
                    const char *v = flat_get(&f[a], path);
                    differ |= !v || strcmp(v, rv) != 0;
                }
            if (!differ) continue;
            if (!rows++) {
                fputs("<h3>Where the arms differ</h3>\n<p class=\"note\">Effective settings (as the runs recorded them) that "
                      "some arm sets differently from the reference; every setting of each arm is in the folded "
                      "blocks below, and <code>qunsim check SCENARIO</code> also lists what differs from the defaults.</p>\n"
                      "<table class=\"kv\">\n<thead><tr><th>setting</th>", h);
                for (int a = 0; a < c->narms; a++) {
                    fputs("<th>", h);
                    rpt_html_write(h, rs_name(c->arm[a], "(unnamed arm)"));
                    fputs("</th>", h);
                }
                fputs("</tr></thead>\n<tbody>\n", h);
            }
            fputs("<tr><td><code>", h);
            rpt_html_write(h, path);
            fputs("</code></td>", h);
            for (int a = 0; a < c->narms; a++) {
                const char *v = s[a] ? flat_get(&f[a], path) : NULL;
                fputs("<td>", h);
                rpt_html_write(h, v ? v : "(not set)");
                fputs("</td>", h);
            }
            fputs("</tr>\n", h);
        }
        if (rows) fputs("</tbody></table>\n", h);
    }
    for (int a = 0; a < c->narms; a++) free_flat(&f[a]);
    free(f);
}

static void sec_settings(rpt_ctx *c)
{
    int any = c->scenario_text != NULL;
    char **s = calloc((size_t)c->narms + 1, sizeof *s);
    if (!s) return;
    for (int a = 0; a < c->narms; a++) any |= (s[a] = rd_arm_settings(c, a)) != NULL;
    if (any) {
        rs_open(c, RPT_SETTINGS, "settings", "Scenario and settings");
        if (c->scenario_text) {
            fputs("<details open><summary>Scenario file", c->body);
            if (c->scenario_path) {
                fputs(" <code>", c->body);
                rpt_html_write(c->body, c->scenario_path);
                fputs("</code>", c->body);
            }
            fputs("</summary>\n", c->body);
            rh_pre(c->body, c->scenario_text);
            fputs("</details>\n", c->body);
        }
        settings_diff(c, s);
        for (int a = 0; a < c->narms; a++) {
            if (!s[a]) continue;
            fputs("<details><summary>Effective settings of arm ", c->body);
            rpt_html_write(c->body, rs_name(c->arm[a], "(unnamed arm)"));
            if (c->npoints > 1) fprintf(c->body, " at point %d", c->point);
            fputs("</summary>\n", c->body);
            rh_pre(c->body, s[a]);
            fputs("</details>\n", c->body);
        }
        rs_close(c);
    }
    for (int a = 0; a < c->narms; a++) free(s[a]);
    free(s);
}

static void kv(FILE *h, const char *k, const char *v)
{
    if (!v) return;
    fprintf(h, "<tr><th>%s</th><td>", k);
    rpt_html_write(h, v);
    fputs("</td></tr>\n", h);
}

static void sec_provenance(rpt_ctx *c)
{
    FILE *h = c->body;
    char buf[256];
    rs_open(c, RPT_PROVENANCE, "provenance", "Provenance");
    fputs("<table class=\"kv\">\n", h);
    kv(h, "results database", c->o->db_path);
    snprintf(buf, sizeof buf, "%lld (%s)", (long long)c->batch, c->kind ? c->kind : "no manifest");
    kv(h, "batch", buf);
    kv(h, "scenario", c->scenario);
    kv(h, "scenario file", c->scenario_path);
    if (c->has_seed) { snprintf(buf, sizeof buf, "%lld", (long long)c->seed); kv(h, "master seed", buf); }
    if (c->reps_manifest) { snprintf(buf, sizeof buf, "%lld per arm and point", (long long)c->reps_manifest); kv(h, "replications", buf); }
    if (c->days_manifest) { snprintf(buf, sizeof buf, "%lld", (long long)c->days_manifest); kv(h, "days simulated", buf); }
    if (c->npoints > 1) { snprintf(buf, sizeof buf, "%d (per-arm sections: point %d)", c->npoints, c->point); kv(h, "sweep points", buf); }
    kv(h, "command", c->command);
    kv(h, "qunsim version (batch)", c->version);
    kv(h, "batch created (UTC)", c->created_at);
    if (c->live_run > 0) { snprintf(buf, sizeof buf, "run %lld, group %d", (long long)c->live_run, c->o->live_group); kv(h, "observed log", buf); }
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm)) { strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm); kv(h, "report written (UTC)", buf); }
    kv(h, "report by", "qunsim " QS_VERSION);
    kv(h, "report command", c->o->command);
    fputs("</table>\n", h);
    rs_close(c);
}

/* ---- assembly ---- */

static void ctx_free(rpt_ctx *c)
{
    if (c->body) fclose(c->body);
    free(c->bodybuf);
    free(c->plots);
    for (int a = 0; a < c->narms; a++) free(c->arm[a]);
    free(c->arm);
    for (int m = 0; m < c->nmet; m++) free(c->met[m]);
    free(c->met);
    sum_close(c->sum);
    free(c->kind);
    free(c->scenario);
    free(c->scenario_path);
    free(c->scenario_text);
    free(c->command);
    free(c->version);
    free(c->created_at);
    free(c->live_label);
    free(c->sname);
    free(c->lname);
    for (int a = 0; c->alabel && a < c->narms; a++) free(c->alabel[a]);
    free(c->alabel);
    if (c->db) sqlite3_close(c->db);
}

static void write_page(rpt_ctx *c, FILE *f)
{
    char title[1024];
    snprintf(title, sizeof title, "qunsim report: %s", rs_name(c->scenario, "results"));
    rh_head(f, title);
    fputs("<h1>", f);
    rpt_html_write(f, rs_name(c->scenario, "qunsim results"));
    fputs("</h1>\n<p class=\"meta\">", f);
    fprintf(f, "Batch %lld", (long long)c->batch);
    if (c->kind) {
        fputs(" (", f);
        rpt_html_write(f, c->kind);
        fputs(")", f);
    }
    if (c->narms > 0) {
        fprintf(f, " &middot; %d arm%s: ", c->narms, c->narms == 1 ? "" : "s");
        for (int a = 0; a < c->narms; a++) {
            fputs(a ? ", " : "", f);
            fputs("<b>", f);
            rpt_html_write(f, rs_name(c->arm[a], "(unnamed arm)"));
            fputs("</b>", f);
        }
        fprintf(f, " &middot; %d replication%s per arm", c->reps, c->reps == 1 ? "" : "s");
    }
    if (c->days_manifest > 0) fprintf(f, " &middot; %lld days", (long long)c->days_manifest);
    if (c->has_seed) fprintf(f, " &middot; seed %lld", (long long)c->seed);
    if (c->npoints > 1) fprintf(f, " &middot; sweep of %d points (per-arm sections at point %d)", c->npoints, c->point);
    fputs("</p>\n<nav>", f);
    for (int i = 0; i < c->nnav; i++) fprintf(f, "<a href=\"#%s\">%s</a>", c->nav[i].id, c->nav[i].title);
    fputs("</nav>\n", f);
    if (c->bodylen) fwrite(c->bodybuf, 1, c->bodylen, f);
    fputs("<p class=\"note\">Written by qunsim " QS_VERSION ". Every chart is in <code>plots/</code> as PNG", f);
    fputs(c->o->svg ? ", SVG" : "", f);
    fputs(" and the gnuplot script and data that drew it.</p>\n", f);
    rh_tail(f);
}

int rpt_build(const rpt_opts *o, rpt_info *info, char *err, size_t errlen)
{
    rpt_info scratch;
    rpt_ctx c;
    rpt_band *bands[NDAILY] = {0};
    char *tmp = NULL;
    FILE *f = NULL;
    int rc = -1;
    if (!info) info = &scratch;
    memset(info, 0, sizeof *info);
    memset(&c, 0, sizeof c);
    if (errlen) err[0] = 0;
    if (!o || !o->db_path || !o->out_dir) {
        snprintf(err, errlen, "report: a results database and an output directory are required");
        return -1;
    }
    c.o = o;
    c.err = err;
    c.errlen = errlen;
    c.info = info;
    if (rd_open(&c) != 0 || rd_batch(&c) != 0 || rd_arms(&c) != 0 || rd_live(&c) != 0 || rd_summary(&c) != 0) goto out;
    info->batch_id = c.batch;
    if (make_labels(&c) != 0) { snprintf(err, errlen, "out of memory"); goto out; }
    if (mkdirs(o->out_dir, err, errlen) != 0) goto out;
    size_t pl = strlen(o->out_dir) + 8;
    if (!(c.plots = malloc(pl)) || !(tmp = malloc(pl + 16))) { snprintf(err, errlen, "out of memory"); goto out; }
    snprintf(c.plots, pl, "%s/plots", o->out_dir);
    if (mkdirs(c.plots, err, errlen) != 0) goto out;
    for (int k = 0; k < NDAILY; k++)
        if (!(bands[k] = calloc((size_t)c.narms + 1, sizeof *bands[k]))) { snprintf(err, errlen, "out of memory"); goto out; }
    if (!(c.body = open_memstream(&c.bodybuf, &c.bodylen))) { snprintf(err, errlen, "out of memory"); goto out; }
    if (o->log) {
        fprintf(o->log, "qunsim report: batch %lld, %d arm(s), %d replication(s), %d point(s)%s\n", (long long)c.batch,
                c.narms, c.reps, c.npoints, c.live_run > 0 ? ", with an observed log" : "");
        fflush(o->log);
    }

    sec_headline(&c);
    sec_daily(&c, bands);
    sec_retention(&c);
    sec_comparison(&c);
    sec_funnel(&c);
    rs_sweep(&c);
    sec_history(&c, bands);
    sec_settings(&c);
    sec_provenance(&c);
    if (c.failed) goto out;
    int bad = ferror(c.body);
    fclose(c.body);
    c.body = NULL;
    if (bad) { snprintf(err, errlen, "out of memory"); goto out; }

    /* write under a temporary name and rename: a reader never sees half a page */
    snprintf(info->index, sizeof info->index, "%s/index.html", o->out_dir);
    snprintf(tmp, pl + 16, "%s/index.html.tmp", o->out_dir);
    if (!(f = plot_create(tmp, err, errlen))) goto out; /* not through a planted link */
    write_page(&c, f);
    bad = ferror(f);
    if (fclose(f) != 0 || bad) { f = NULL; snprintf(err, errlen, "%s: write failed", tmp); remove(tmp); goto out; }
    f = NULL;
    if (rename(tmp, info->index) != 0) { snprintf(err, errlen, "%s: %s", info->index, strerror(errno)); remove(tmp); goto out; }
    rc = 0;
out:
    if (f) fclose(f);
    for (int k = 0; k < NDAILY; k++) {
        for (int a = 0; bands[k] && a < c.narms; a++) rd_band_free(&bands[k][a]);
        free(bands[k]);
    }
    free(tmp);
    ctx_free(&c);
    return rc;
}
