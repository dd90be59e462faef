/* plot.h -- plots through gnuplot, run as an external program.
 * Writes a data file and a gnuplot script next to the image (kept, so a user
 * can restyle and re-run them), then runs `gnuplot SCRIPT` without a shell.
 * Every user string is quoted by plot_quote(): gnuplot can run shell
 * commands, so nothing from a user reaches it unquoted (and no user string
 * is ever written into a data file or a file name).
 */
#ifndef QS_PLOT_H
#define QS_PLOT_H

#include <stddef.h>
#include <stdio.h>

/* The font of every chart: a family list, first match per glyph (pango for
 * PNG, the browser for SVG).  Latin text in Liberation Sans (installed by
 * scripts/deps.sh, metric-compatible with Arial), Chinese in WenQuanYi Micro
 * Hei (fonts-wqy-microhei, deps.sh: 1.6 MB against Noto CJK's 57 MB), then
 * Noto CJK if present, then whatever fontconfig calls sans.  Without a CJK
 * font a Chinese scenario or arm name renders as boxes or garbage. */
#define PLOT_FONT "Liberation Sans,WenQuanYi Micro Hei,Noto Sans CJK SC,sans"

typedef struct plot_series {
    const char *title;  /* legend (user text: quoted) */
    const double *y;    /* n values; NaN = gap */
    const double *lo;   /* optional band: lower edge (NULL: none) */
    const double *hi;   /* optional band: upper edge */
} plot_series;

/* Quote s as a gnuplot single-quoted string into buf ('' doubles a quote;
 * control characters become spaces; inside single quotes gnuplot expands no
 * backquote, macro or escape).  Returns buf, truncated safely (never inside
 * a UTF-8 character).  s NULL quotes as ''. */
char *plot_quote(const char *s, char *buf, size_t n);

/* Quote a file name for gnuplot as a double-quoted string into buf: bytes
 * gnuplot would expand or that end a line (backquote, $, @, quotes,
 * backslash, control bytes) as \ooo, so any name (a newline in it, Chinese)
 * reaches the file system unchanged.  Returns buf, or NULL when it does not
 * fit in n (a truncated path would name another file). */
char *plot_qpath(const char *s, char *buf, size_t n);

/* Create path for writing as a new regular file: what was there is removed
 * first (a planted symlink is not followed, a hard link not written
 * through).  Returns the stream, or NULL with a message in err. */
FILE *plot_create(const char *path, char *err, size_t errlen);

/* A line chart: x = 0..n-1 (labelled xlabel), one line per series, with an
 * optional shaded band.  Writes PATH (.png or .svg by extension) plus
 * PATH.dat and PATH.gp.  Returns 0, or -1 with a message in err. */
int plot_lines(const char *path, const char *title, const char *xlabel, const char *ylabel,
               const plot_series *s, int ns, int n, char *err, size_t errlen);

/* Run gnuplot on a script file.  0, or -1 with a message (not installed,
 * failed, killed). */
int plot_run_gnuplot(const char *script, char *err, size_t errlen);

/* ---- charts for reports: plot_fan, plot_bars, plot_heatmap ----
 * Each takes a BASE path without extension and writes BASE.png (and
 * BASE.svg when ax->svg), plus BASE.dat and BASE.gp; all user text is
 * quoted and rendered with enhanced text mode off (an underscore stays an
 * underscore).  Each returns 0, or -1 with a message in err (a chart with no
 * finite value at all is refused rather than handed to gnuplot). */

#define PLOT_BLACK (-1) /* plot_fan_series.colour / plot_bar_series.colour */

typedef struct plot_axes {
    const char *title, *xlabel, *ylabel; /* user text: quoted; the title may have several lines */
    int xdate;        /* 1: x are unix seconds of UTC midnights, shown as MM-DD */
    int xlog;         /* 1: logarithmic x, tics at the data's x values */
    double xmark;     /* a dashed vertical line at this x (NaN: none) */
    const char *xmark_label; /* text beside the line (NULL: none) */
    int yzero;        /* 1: the y axis includes 0 */
    int svg;          /* 1: also BASE.svg */
    int width, height; /* pixels of the PNG (0: 960 x 540) */
    int value_labels; /* plot_bars: print each bar's value above it */
    int nkey;         /* plot_bars: extra legend entries (a colour swatch each) */
    const char *const *key_title; /* their texts (user text) */
    const unsigned *key_rgb;      /* their colours, 0xRRGGBB */
} plot_axes;

enum { PLOT_LINE = 0, PLOT_DASHED = 1, PLOT_MARKS = 2, PLOT_OBSERVED = 3 };

typedef struct plot_fan_series {
    const char *title;        /* legend (user text) */
    int n;                    /* points */
    const double *x;          /* n x values, increasing */
    const double *y;          /* central line (e.g. median); NaN = gap */
    const double *lo50, *hi50; /* inner band (NULL: none) */
    const double *lo90, *hi90; /* outer band (NULL: none) */
    int colour;               /* palette index (>= 0) or PLOT_BLACK */
    int style;                /* PLOT_LINE, _DASHED, _MARKS (line + points), _OBSERVED (thin line + dots) */
} plot_fan_series;

/* Lines with 50% and 90% bands (a fan chart), one per series, overlaid. */
int plot_fan(const char *base, const plot_axes *ax, const plot_fan_series *s, int ns,
             char *err, size_t errlen);

typedef struct plot_bar_series {
    const char *title;          /* legend (user text) */
    const double *y;            /* ncat bar heights; NaN = no bar */
    const double *lo, *hi;      /* error bar ends (NULL: no error bars) */
    int colour;                 /* palette index (>= 0) */
    const unsigned *rgb;        /* optional: a colour per bar, 0xRRGGBB (e.g. by verdict);
                                 * the series is then told apart by fill pattern and its
                                 * legend entry is a grey swatch of that pattern */
} plot_bar_series;

/* Grouped bars: one group per category (labels: user text), one bar per
 * series in each group, with error bars. */
int plot_bars(const char *base, const plot_axes *ax, const char *const *cats, int ncat,
              const plot_bar_series *s, int ns, char *err, size_t errlen);

/* A heatmap of z over np points (x[i], y[i]).  When the points form a full
 * grid (every pair of distinct x and y present at most once), the cells are
 * drawn as a categorical grid with the values printed in them; otherwise
 * (e.g. a Latin hypercube) as points coloured by z.  diverging = 1 uses a
 * blue-white-red palette symmetric around 0 (for differences).  NaN z are
 * left blank. */
int plot_heatmap(const char *base, const plot_axes *ax, const double *x, const double *y,
                 const double *z, int np, const char *zlabel, int diverging,
                 char *err, size_t errlen);

#endif
