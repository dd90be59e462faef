/* plot.c -- gnuplot scripts and data files; gnuplot is spawned, not linked. */
#include "plot.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define QBUF 8192 /* quoted paths and texts; longer paths are refused */

char *plot_quote(const char *s, char *buf, size_t n)
{
    size_t k = 0;
    if (n < 3) { if (n) buf[0] = 0; return buf; }
    buf[k++] = '\'';
    for (; s && *s && k + 3 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\'') {
            /* gnuplot's scanner takes '' as a quote only after a non-quote
             * character: a leading quote or a run of quotes would end the
             * string early and split it into tokens (the command fails).
             * A zero-width space (U+200B) keeps the pairs apart. */
            if (buf[k - 1] == '\'') {
                if (k + 7 > n) break;
                memcpy(buf + k, "\xe2\x80\x8b", 3);
                k += 3;
            }
            buf[k++] = '\'';
            buf[k++] = '\'';
        }
        else buf[k++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
    }
    /* Truncated inside a multi-byte UTF-8 character: drop its lead bytes. */
    if (s && *s && ((unsigned char)*s & 0xC0) == 0x80)
        while (k > 1 && ((unsigned char)buf[k - 1] & 0x80)) {
            unsigned char c = (unsigned char)buf[--k];
            if (c & 0x40) break; /* the lead byte: dropped, stop */
        }
    buf[k++] = '\'';
    buf[k] = 0;
    return buf;
}

char *plot_qpath(const char *s, char *buf, size_t n)
{
    size_t k = 0;
    if (n < 3) return NULL;
    buf[k++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        /* in a double-quoted string gnuplot reads \ooo as a byte, and
         * expands backquotes (a shell command) and macros: those, quotes,
         * backslashes and control bytes are written in octal */
        int esc = *p < 0x20 || *p == 0x7f || strchr("\"\\`$@'", *p);
        if (k + (esc ? 4 : 1) + 2 > n) return NULL;
        if (esc) k += (size_t)snprintf(buf + k, n - k, "\\%03o", *p);
        else buf[k++] = (char)*p;
    }
    buf[k++] = '"';
    buf[k] = 0;
    return buf;
}

FILE *plot_create(const char *path, char *err, size_t errlen)
{
    /* never write through what is there: a planted symbolic link (or a hard
     * link to another file) is removed, and the new file must be new; a
     * link planted again in between makes O_EXCL fail, not follow it */
    if (unlink(path) != 0 && errno != ENOENT) {
        snprintf(err, errlen, "%s: cannot replace: %s", path, strerror(errno));
        return NULL;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
    }
    return f;
}

/* Before gnuplot writes an image: a fresh empty regular file in its place
 * (gnuplot's own fopen would follow a planted link). */
static int fresh_output(const char *path, char *err, size_t errlen)
{
    FILE *f = plot_create(path, err, errlen);
    if (!f) return -1;
    fclose(f);
    return 0;
}

/* After gnuplot: the image is there, a regular file, not empty. */
static int output_made(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
        snprintf(err, errlen, "gnuplot wrote no image at %s", path);
        return -1;
    }
    return 0;
}

int plot_run_gnuplot(const char *script, char *err, size_t errlen)
{
    pid_t pid;
    /* a path starting with '-' would be read as an option */
    size_t sl = strlen(script);
    char *arg = malloc(sl + 3);
    if (!arg) { snprintf(err, errlen, "out of memory"); return -1; }
    snprintf(arg, sl + 3, "%s%s", script[0] == '-' ? "./" : "", script);
    char *argv[] = {"gnuplot", arg, NULL};
    int rc = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ);
    free(arg);
    if (rc != 0) {
        snprintf(err, errlen, "cannot run gnuplot: %s (install gnuplot-nox)", strerror(rc));
        return -1;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) { snprintf(err, errlen, "waiting for gnuplot: %s", strerror(errno)); return -1; }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "gnuplot failed on %s (status %d)", script, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return -1;
    }
    return 0;
}

static const char *const colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};

int plot_lines(const char *path, const char *title, const char *xlabel, const char *ylabel,
               const plot_series *s, int ns, int n, char *err, size_t errlen)
{
    size_t pl = strlen(path);
    char *dat = malloc(pl + 5), *gp = malloc(pl + 4);
    FILE *f = NULL;
    int rc = -1;
    if (!dat || !gp) { snprintf(err, errlen, "out of memory"); goto out; }
    snprintf(dat, pl + 5, "%s.dat", path);
    snprintf(gp, pl + 4, "%s.gp", path);
    int svg = pl > 4 && strcmp(path + pl - 4, ".svg") == 0;

    char q[QBUF], q2[QBUF], qd[QBUF];
    if (!plot_qpath(gp, q, sizeof q) || !plot_qpath(dat, qd, sizeof qd)) { snprintf(err, errlen, "path too long: %.64s...", path); goto out; }
    if (!(f = plot_create(dat, err, errlen))) goto out;
    fprintf(f, "# x");
    for (int j = 0; j < ns; j++) fprintf(f, " y%d lo%d hi%d", j, j, j);
    fprintf(f, "\n");
    for (int i = 0; i < n; i++) {
        fprintf(f, "%d", i);
        for (int j = 0; j < ns; j++) {
            double y = s[j].y[i], lo = s[j].lo ? s[j].lo[i] : NAN, hi = s[j].hi ? s[j].hi[i] : NAN;
            fprintf(f, isnan(y) ? " NaN" : " %.10g", y);
            fprintf(f, isnan(lo) ? " NaN" : " %.10g", lo);
            fprintf(f, isnan(hi) ? " NaN" : " %.10g", hi);
        }
        fprintf(f, "\n");
    }
    if (fclose(f) != 0) { f = NULL; snprintf(err, errlen, "%s: write failed", dat); goto out; }
    f = NULL;

    if (!(f = plot_create(gp, err, errlen))) goto out;
    fprintf(f, "# generated by qunsim; run: gnuplot %s\n", q);
    if (svg) fprintf(f, "set terminal svg size 960,540 dynamic enhanced font '" PLOT_FONT ",11'\n");
    else fprintf(f, "set terminal pngcairo size 960,540 enhanced font '" PLOT_FONT ",11'\n");
    fprintf(f, "set encoding utf8\n");
    fprintf(f, "set output %s\n", plot_qpath(path, q, sizeof q));
    fprintf(f, "set title %s noenhanced\n", plot_quote(title, q, sizeof q));
    fprintf(f, "set xlabel %s noenhanced\nset ylabel %s noenhanced\n",
            plot_quote(xlabel, q, sizeof q), plot_quote(ylabel, q2, sizeof q2));
    fprintf(f, "set key outside right top\nset grid\nset datafile missing 'NaN'\nset style fill transparent solid 0.2 noborder\n");
    fprintf(f, "plot ");
    int first = 1;
    for (int j = 0; j < ns; j++) {
        const char *c = colours[j % 8];
        if (s[j].lo && s[j].hi) {
            fprintf(f, "%s%s using 1:%d:%d with filledcurves lc rgb '%s' notitle",
                    first ? "" : ", \\\n     ", qd, 3 * j + 3, 3 * j + 4, c);
            first = 0;
        }
        fprintf(f, "%s%s using 1:%d with lines lw 2 lc rgb '%s' title %s noenhanced",
                first ? "" : ", \\\n     ", qd, 3 * j + 2, c,
                plot_quote(s[j].title, q2, sizeof q2));
        first = 0;
    }
    fprintf(f, "\n");
    if (fclose(f) != 0) { f = NULL; snprintf(err, errlen, "%s: write failed", gp); goto out; }
    f = NULL;
    if (fresh_output(path, err, errlen) != 0) goto out;
    rc = plot_run_gnuplot(gp, err, errlen);
    if (rc == 0) rc = output_made(path, err, errlen);
out:
    if (f) fclose(f);
    free(dat);
    free(gp);
    return rc;
}

/* ---- report charts ---- */


static const char *colour_of(int c) { return c < 0 ? "#000000" : colours[c % 8]; }

/* The file names of one chart.  Returns 0, or -1 (path too long / ENOMEM). */
typedef struct chart_files {
    char *png, *svg, *dat, *gp;
} chart_files;

static void files_free(chart_files *f)
{
    free(f->png);
    free(f->svg);
    free(f->dat);
    free(f->gp);
}

static char *with_ext(const char *base, const char *ext)
{
    size_t n = strlen(base) + strlen(ext) + 1;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s%s", base, ext);
    return p;
}

static int files_make(chart_files *f, const char *base, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    char q[QBUF];
    if (strlen(base) > QBUF / 2 - 16 || !plot_qpath(base, q, sizeof q - 8)) {
        snprintf(err, errlen, "path too long: %.64s...", base);
        return -1;
    }
    f->png = with_ext(base, ".png");
    f->svg = with_ext(base, ".svg");
    f->dat = with_ext(base, ".dat");
    f->gp = with_ext(base, ".gp");
    if (!f->png || !f->svg || !f->dat || !f->gp) { files_free(f); snprintf(err, errlen, "out of memory"); return -1; }
    return 0;
}

static void put_num(FILE *f, double v)
{
    if (isfinite(v)) fprintf(f, " %.10g", v);
    else fprintf(f, " NaN");
}

static double at_or_nan(const double *a, int i) { return a ? a[i] : NAN; }

/* A title of several lines: each line quoted, joined by gnuplot's "\n". */
static void put_lines(FILE *f, const char *s)
{
    char q[QBUF], *line = NULL;
    size_t n = s ? strlen(s) : 0;
    if (!s || !(line = malloc(n + 1))) { fputs(plot_quote(s, q, sizeof q), f); return; }
    for (const char *p = s;;) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        memcpy(line, p, l);
        line[l] = 0;
        fputs(plot_quote(line, q, sizeof q), f);
        if (!nl) break;
        fputs(".\"\\n\".", f);
        p = nl + 1;
    }
    free(line);
}

/* Terminal, output, title, labels: the part common to every chart. */
static void chart_head(FILE *f, const chart_files *cf, const plot_axes *ax)
{
    char q[QBUF];
    int w = ax->width > 0 ? ax->width : 960, h = ax->height > 0 ? ax->height : 540;
    fprintf(f, "# generated by qunsim; re-run with: gnuplot %s\n", plot_qpath(cf->gp, q, sizeof q));
    fprintf(f, "set terminal pngcairo size %d,%d noenhanced font '" PLOT_FONT ",11'\n", w, h);
    fprintf(f, "set output %s\n", plot_qpath(cf->png, q, sizeof q));
    fprintf(f, "set encoding utf8\n");
    fputs("set title ", f);
    put_lines(f, ax->title);
    fputs("\n", f);
    fprintf(f, "set xlabel %s\n", plot_quote(ax->xlabel, q, sizeof q));
    fprintf(f, "set ylabel %s\n", plot_quote(ax->ylabel, q, sizeof q));
    fprintf(f, "set datafile missing 'NaN'\nset grid lc rgb '#dddddd'\nset border lc rgb '#444444'\n");
}

/* Render the same chart again as SVG, close the output, and run gnuplot. */
static int chart_finish(FILE *f, const chart_files *cf, const plot_axes *ax, char *err, size_t errlen)
{
    char q[QBUF];
    int w = ax->width > 0 ? ax->width : 960, h = ax->height > 0 ? ax->height : 540;
    if (ax->svg) {
        fprintf(f, "set terminal svg size %d,%d dynamic noenhanced font '" PLOT_FONT ",11' background '#ffffff'\n", w, h);
        fprintf(f, "set output %s\nreplot\n", plot_qpath(cf->svg, q, sizeof q));
    }
    fprintf(f, "unset output\n");
    if (fclose(f) != 0) { snprintf(err, errlen, "%s: write failed", cf->gp); return -1; }
    if (fresh_output(cf->png, err, errlen) != 0 || (ax->svg && fresh_output(cf->svg, err, errlen) != 0)) return -1;
    if (plot_run_gnuplot(cf->gp, err, errlen) != 0) return -1;
    /* a chart counts only when its images exist */
    return output_made(cf->png, err, errlen) != 0 || (ax->svg && output_made(cf->svg, err, errlen) != 0) ? -1 : 0;
}

static FILE *open_w(const char *path, char *err, size_t errlen) { return plot_create(path, err, errlen); }

static int close_w(FILE *f, const char *path, char *err, size_t errlen)
{
    if (fclose(f) != 0) { snprintf(err, errlen, "%s: write failed", path); return -1; }
    return 0;
}

/* Tics for a date axis: about ten, in whole days (1, 2, 7, 14 or 28). */
static void date_tics(FILE *f, double xmin, double xmax)
{
    double span = (xmax - xmin) / 86400.0;
    int step = span <= 12 ? 1 : span <= 24 ? 2 : span <= 84 ? 7 : span <= 168 ? 14 : 28;
    fprintf(f, "set format x '%%m-%%d' timedate\nset xtics %.0f, %d\nset mxtics %d\n", xmin, step * 86400,
            step == 7 ? 7 : step >= 14 ? 2 : 1);
}

int plot_fan(const char *base, const plot_axes *ax, const plot_fan_series *s, int ns, char *err, size_t errlen)
{
    chart_files cf;
    FILE *f = NULL;
    char q[QBUF], q2[QBUF];
    if (files_make(&cf, base, err, errlen) != 0) return -1;
    int rc = -1, finite = 0, bands = 0;
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY;
    for (int j = 0; j < ns; j++)
        for (int i = 0; i < s[j].n; i++) {
            if (isfinite(s[j].y[i])) {
                finite++;
                if (s[j].y[i] < ymin) ymin = s[j].y[i];
            }
            double lo = at_or_nan(s[j].lo90, i);
            if (isfinite(lo) && lo < ymin) ymin = lo;
            if (s[j].x[i] < xmin) xmin = s[j].x[i];
            if (s[j].x[i] > xmax) xmax = s[j].x[i];
        }
    if (!finite) { snprintf(err, errlen, "%s: no data to plot", base); goto out; }

    if (!(f = open_w(cf.dat, err, errlen))) goto out;
    fprintf(f, "# x y lo50 hi50 lo90 hi90; one block per series (gnuplot index)\n");
    for (int j = 0; j < ns; j++) {
        fprintf(f, "%s# series %d\n", j ? "\n\n" : "", j);
        for (int i = 0; i < s[j].n; i++) {
            fprintf(f, "%.10g", s[j].x[i]);
            put_num(f, s[j].y[i]);
            put_num(f, at_or_nan(s[j].lo50, i));
            put_num(f, at_or_nan(s[j].hi50, i));
            put_num(f, at_or_nan(s[j].lo90, i));
            put_num(f, at_or_nan(s[j].hi90, i));
            fprintf(f, "\n");
        }
    }
    int c = close_w(f, cf.dat, err, errlen);
    f = NULL;
    if (c) goto out;

    if (!(f = open_w(cf.gp, err, errlen))) goto out;
    chart_head(f, &cf, ax);
    fprintf(f, "set key below height 1\n"); /* room between the x label and the key (CJK glyphs are taller) */
    if (ax->xdate) date_tics(f, xmin, xmax);
    if (ax->xlog && xmin > 0) {
        fprintf(f, "set logscale x\nset xtics (");
        /* tics at the distinct x of the first series (all share them here) */
        for (int i = 0, k = 0; ns > 0 && i < s[0].n && k < 16; i++, k++) fprintf(f, "%s%g", k ? ", " : "", s[0].x[i]);
        fprintf(f, ")\nset xrange [%.10g:%.10g]\n", xmin / 1.25, xmax * 1.25);
    } else if (xmax > xmin) {
        /* dates end at the data; other axes (markers) get a little room */
        double pad = ax->xdate ? 0 : 0.03 * (xmax - xmin);
        fprintf(f, "set xrange [%.10g:%.10g]\n", xmin - pad, xmax + pad);
    }
    if (ax->yzero && ymin >= 0) fprintf(f, "set yrange [0:*]\n");
    if (isfinite(ax->xmark)) {
        fprintf(f, "set arrow from %.10g, graph 0 to %.10g, graph 1 nohead dt 2 lw 1.5 lc rgb '#444444'\n", ax->xmark, ax->xmark);
        if (ax->xmark_label)
            fprintf(f, "set label %s at %.10g, graph 0.96 left offset character 0.6, 0 tc rgb '#444444'\n",
                    plot_quote(ax->xmark_label, q, sizeof q), ax->xmark);
    }
    plot_qpath(cf.dat, q, sizeof q);
    fprintf(f, "plot ");
    int first = 1;
    /* bands first, so every line is drawn above every band */
    for (int pass = 0; pass < 2; pass++)
        for (int j = 0; j < ns; j++) {
            const double *lo = pass ? s[j].lo50 : s[j].lo90, *hi = pass ? s[j].hi50 : s[j].hi90;
            if (!lo || !hi) continue;
            fprintf(f, "%s%s index %d using 1:%d:%d with filledcurves fs transparent solid %.2f noborder lc rgb '%s' notitle",
                    first ? "" : ", \\\n     ", q, j, pass ? 3 : 5, pass ? 4 : 6, pass ? 0.30 : 0.13, colour_of(s[j].colour));
            first = 0;
            bands |= 1 << pass;
        }
    for (int j = 0; j < ns; j++) {
        const char *style;
        switch (s[j].style) {
        case PLOT_DASHED: style = "lines lw 2 dt 2"; break;
        case PLOT_MARKS: style = "linespoints lw 2 pt 7 ps 0.9"; break;
        case PLOT_OBSERVED: style = "linespoints lw 1.5 pt 7 ps 0.5"; break;
        default: style = "lines lw 2"; break;
        }
        fprintf(f, "%s%s index %d using 1:2 with %s lc rgb '%s' title %s", first ? "" : ", \\\n     ", q, j, style,
                colour_of(s[j].colour), plot_quote(s[j].title, q2, sizeof q2));
        first = 0;
    }
    if (bands & 2)
        fprintf(f, ", \\\n     keyentry with filledcurves fs transparent solid 0.45 noborder lc rgb '#888888' title '50%% band'");
    if (bands & 1)
        fprintf(f, ", \\\n     keyentry with filledcurves fs transparent solid 0.18 noborder lc rgb '#888888' title '90%% band'");
    fprintf(f, "\n");
    FILE *g = f;
    f = NULL;
    rc = chart_finish(g, &cf, ax, err, errlen);
out:
    if (f) fclose(f);
    files_free(&cf);
    return rc;
}

int plot_bars(const char *base, const plot_axes *ax, const char *const *cats, int ncat,
              const plot_bar_series *s, int ns, char *err, size_t errlen)
{
    chart_files cf;
    FILE *f = NULL;
    char q[QBUF], q2[QBUF];
    if (files_make(&cf, base, err, errlen) != 0) return -1;
    int rc = -1, finite = 0, longest = 0;
    double ymin = 0, ymax = 0;
    for (int j = 0; j < ns; j++)
        for (int i = 0; i < ncat; i++) {
            double v[3] = {s[j].y[i], at_or_nan(s[j].lo, i), at_or_nan(s[j].hi, i)};
            if (!isfinite(v[0])) continue;
            finite++;
            for (int k = 0; k < 3; k++)
                if (isfinite(v[k])) {
                    if (v[k] < ymin) ymin = v[k];
                    if (v[k] > ymax) ymax = v[k];
                }
        }
    if (!finite || ns < 1) { snprintf(err, errlen, "%s: no data to plot", base); goto out; }
    for (int i = 0; i < ncat; i++) {
        int l = (int)strlen(cats[i] ? cats[i] : "");
        if (l > longest) longest = l;
    }
    double pad = (ymax - ymin) * 0.08;
    if (pad <= 0) pad = 1;
    double bw = 0.8 / ns;

    if (!(f = open_w(cf.dat, err, errlen))) goto out;
    fprintf(f, "# x y lo hi; one block per series (gnuplot index); category i at x = i\n");
    for (int j = 0; j < ns; j++) {
        fprintf(f, "%s# series %d\n", j ? "\n\n" : "", j);
        for (int i = 0; i < ncat; i++) {
            if (!isfinite(s[j].y[i])) continue;
            fprintf(f, "%.10g", i + (j - (ns - 1) / 2.0) * bw);
            put_num(f, s[j].y[i]);
            double lo = s[j].lo ? s[j].lo[i] : s[j].y[i], hi = s[j].hi ? s[j].hi[i] : s[j].y[i];
            put_num(f, isfinite(lo) ? lo : s[j].y[i]);
            put_num(f, isfinite(hi) ? hi : s[j].y[i]);
            if (s[j].rgb) fprintf(f, " %u", s[j].rgb[i] & 0xFFFFFFu);
            fprintf(f, "\n");
        }
    }
    int c = close_w(f, cf.dat, err, errlen);
    f = NULL;
    if (c) goto out;

    if (!(f = open_w(cf.gp, err, errlen))) goto out;
    chart_head(f, &cf, ax);
    fprintf(f, "set key below height 1\nset grid noxtics\nset xzeroaxis lt 1 lw 1 lc rgb '#000000'\n");
    fprintf(f, "set xrange [-0.6:%g]\nset yrange [%.10g:%.10g]\n", ncat - 0.4, ymin - (ymin < 0 ? pad : 0), ymax + pad);
    fprintf(f, "set xtics scale 0 (");
    for (int i = 0; i < ncat; i++) fprintf(f, "%s%s %d", i ? ", " : "", plot_quote(cats[i], q, sizeof q), i);
    fprintf(f, ")%s\n", ncat * (longest + 2) > 90 ? " rotate by -30 left" : "");
    plot_qpath(cf.dat, q, sizeof q);
    fprintf(f, "plot ");
    for (int j = 0; j < ns; j++) {
        if (s[j].rgb) {
            /* series by pattern (solid, then hatchings), bars by their own colour */
            char fs[32];
            if (j == 0) snprintf(fs, sizeof fs, "solid 0.8");
            else snprintf(fs, sizeof fs, "pattern %d", 1 + (j - 1) % 7);
            fprintf(f, "%s%s index %d using 1:2:(%g):5 with boxes fs %s noborder lc rgb variable notitle, \\\n"
                    "     keyentry with boxes fs %s noborder lc rgb '#777777' title %s",
                    j ? ", \\\n     " : "", q, j, bw * 0.92, fs, fs, plot_quote(s[j].title, q2, sizeof q2));
        } else
            fprintf(f, "%s%s index %d using 1:2:(%g) with boxes fs solid 0.8 noborder lc rgb '%s' title %s",
                    j ? ", \\\n     " : "", q, j, bw * 0.92, colour_of(s[j].colour), plot_quote(s[j].title, q2, sizeof q2));
    }
    for (int k = 0; k < ax->nkey; k++)
        fprintf(f, ", \\\n     keyentry with boxes fs solid 0.8 noborder lc rgb '#%06x' title %s", ax->key_rgb[k] & 0xFFFFFFu,
                plot_quote(ax->key_title[k], q2, sizeof q2));
    for (int j = 0; j < ns; j++)
        if (s[j].lo && s[j].hi)
            fprintf(f, ", \\\n     %s index %d using 1:2:3:4 with yerrorbars lw 1.5 pt 7 ps 0.3 lc rgb '#222222' notitle", q, j);
    if (ax->value_labels)
        for (int j = 0; j < ns; j++)
            fprintf(f, ", \\\n     %s index %d using 1:($4 > $2 ? $4 : $2):(sprintf('%%.3g', $2)) with labels offset character 0, 0.8 tc rgb '#222222' notitle", q, j);
    fprintf(f, "\n");
    FILE *g = f;
    f = NULL;
    rc = chart_finish(g, &cf, ax, err, errlen);
out:
    if (f) fclose(f);
    files_free(&cf);
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sorted distinct values of v[0..n) into out (n slots); returns how many. */
static int distinct(const double *v, int n, double *out)
{
    memcpy(out, v, sizeof(double) * (size_t)n);
    qsort(out, (size_t)n, sizeof *out, cmp_double);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (k == 0 || out[i] != out[k - 1]) out[k++] = out[i];
    return k;
}

static int index_of(const double *v, int n, double x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x) return i;
    return -1;
}

int plot_heatmap(const char *base, const plot_axes *ax, const double *x, const double *y,
                 const double *z, int np, const char *zlabel, int diverging, char *err, size_t errlen)
{
    chart_files cf;
    FILE *f = NULL;
    char q[QBUF];
    if (files_make(&cf, base, err, errlen) != 0) return -1;
    int rc = -1, finite = 0, nx = 0, ny = 0, grid = 1;
    double zmin = INFINITY, zmax = -INFINITY;
    double *xs = malloc(sizeof(double) * (size_t)(np > 0 ? np : 1)), *ys = malloc(sizeof(double) * (size_t)(np > 0 ? np : 1));
    char *seen = NULL;
    if (!xs || !ys) { snprintf(err, errlen, "out of memory"); goto out; }
    for (int i = 0; i < np; i++)
        if (isfinite(z[i])) {
            finite++;
            if (z[i] < zmin) zmin = z[i];
            if (z[i] > zmax) zmax = z[i];
        }
    if (!finite) { snprintf(err, errlen, "%s: no data to plot", base); goto out; }
    nx = distinct(x, np, xs);
    ny = distinct(y, np, ys);
    /* a grid: no pair twice, and at least half of the cells filled */
    if ((size_t)nx * (size_t)ny > (size_t)2 * (size_t)np || nx * ny > 4096) grid = 0;
    else {
        if (!(seen = calloc((size_t)(nx * ny), 1))) { snprintf(err, errlen, "out of memory"); goto out; }
        for (int i = 0; i < np && grid; i++) {
            int c = index_of(ys, ny, y[i]) * nx + index_of(xs, nx, x[i]);
            if (seen[c]++) grid = 0;
        }
    }

    if (!(f = open_w(cf.dat, err, errlen))) goto out;
    fprintf(f, grid ? "# column row z (cells of the grid; tics give the values)\n" : "# x y z\n");
    for (int i = 0; i < np; i++) {
        if (!isfinite(z[i])) continue;
        if (grid) fprintf(f, "%d %d", index_of(xs, nx, x[i]), index_of(ys, ny, y[i]));
        else fprintf(f, "%.10g %.10g", x[i], y[i]);
        put_num(f, z[i]);
        fprintf(f, "\n");
    }
    int c = close_w(f, cf.dat, err, errlen);
    f = NULL;
    if (c) goto out;

    if (!(f = open_w(cf.gp, err, errlen))) goto out;
    chart_head(f, &cf, ax);
    fprintf(f, "set cblabel %s\nunset key\nunset grid\n", plot_quote(zlabel, q, sizeof q));
    if (diverging) {
        double m = fmax(fabs(zmin), fabs(zmax));
        if (!(m > 0)) m = 1;
        fprintf(f, "set palette defined (0 '#4393c3', 1 '#f7f7f7', 2 '#d6604d')\nset cbrange [%.10g:%.10g]\n", -m, m);
    } else {
        fprintf(f, "set palette defined (0 '#ffffe5', 1 '#fee391', 2 '#fe9929', 3 '#cc4c02')\n");
        if (!(zmax > zmin)) fprintf(f, "set cbrange [%.10g:%.10g]\n", zmin - 1, zmax + 1);
    }
    plot_qpath(cf.dat, q, sizeof q);
    if (grid) {
        fprintf(f, "set xrange [-0.5:%g]\nset yrange [-0.5:%g]\nset tics scale 0\n", nx - 0.5, ny - 0.5);
        fprintf(f, "set xtics (");
        for (int i = 0; i < nx; i++) fprintf(f, "%s'%g' %d", i ? ", " : "", xs[i], i);
        fprintf(f, ")\nset ytics (");
        for (int i = 0; i < ny; i++) fprintf(f, "%s'%g' %d", i ? ", " : "", ys[i], i);
        fprintf(f, ")\n");
        fprintf(f, "set object 1 rect from graph 0, graph 0 to graph 1, graph 1 behind fc rgb '#e0e0e0' fs solid\n");
        fprintf(f, "plot %s using 1:2:(0.5):(0.5):3 with boxxyerror fs solid 1.0 noborder lc palette notitle", q);
        if (nx * ny <= 150) fprintf(f, ", \\\n     %s using 1:2:(sprintf('%%.3g', $3)) with labels tc rgb '#000000' notitle", q);
        fprintf(f, "\n");
    } else {
        fprintf(f, "set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05\n");
        fprintf(f, "plot %s using 1:2:3 with points pt 7 ps 2.2 lc palette notitle\n", q);
    }
    FILE *g = f;
    f = NULL;
    rc = chart_finish(g, &cf, ax, err, errlen);
out:
    if (f) fclose(f);
    free(xs);
    free(ys);
    free(seen);
    files_free(&cf);
    return rc;
}
