/* metinfo.h -- the summary metrics for people: a label, a unit, a direction
 * (is more better for the group?), the follow-up a window must hold, and a
 * one-line definition.  One table, read by the report (analysis/report.c),
 * the terminal table of `qunsim run` / `sweep` (cli/exp.c) and the docs
 * (`qunsim doc metrics`, docs/report.md), so the three say the same thing.
 * The full definitions are analysis/METRICS.md; the names stay the machine
 * names everywhere a program reads (CSV, JSON, the database).
 *
 * Also the display width of UTF-8 text for aligned terminal tables
 * (mi_width, mi_pad): a small East Asian Width rule, no locale needed.
 */
#ifndef QS_METINFO_H
#define QS_METINFO_H

#include <stddef.h>
#include <stdio.h>

enum { MI_PLAIN = 0, MI_SHARE = 1, MI_MINUTES = 2 };

typedef struct mi_row {
    const char *name;   /* summary metric (METRICS.md) */
    const char *label;  /* for people, short */
    const char *unit;   /* shown after the label: "members", "%", "min", ... */
    int kind;           /* MI_PLAIN; MI_SHARE: a fraction shown in % (differences in
                         * percentage points); MI_MINUTES: seconds shown in minutes */
    int dir;            /* +1 more is better for the group, -1 less is better, 0 neither */
    int follow;         /* days of follow-up inside the window the metric needs (tail
                         * rule): defined only if the window has more than this many days */
    const char *def;    /* one line */
} mi_row;

/* The row of a metric, or NULL (a metric this table does not know). */
const mi_row *mi_find(const char *name);
/* All rows, in the order of METRICS.md's summary table; *n gets the count. */
const mi_row *mi_rows(int *n);

/* The headline metrics, in order (report and terminal). */
extern const char *const mi_headline[];
extern const int mi_nheadline;

/* Whether a window of ndays days can define the metric (ndays <= 0: unknown, yes). */
int mi_window_ok(const mi_row *r, int ndays);

/* A value for people into buf: shares as "61.2%", minutes as "12.5", others
 * like "%.4g"; sign = 1 writes a difference ("+3.1 pp" for shares, "+12" for
 * others).  NaN as "n/a".  r NULL: plain.  Returns buf. */
char *mi_format(const mi_row *r, double v, int sign, char *buf, size_t n);

/* The label with its unit, "speaks again next day (%)", into buf. */
char *mi_title(const mi_row *r, const char *name, char *buf, size_t n);

/* Whether a difference d with 90% CI [lo, hi] is clearly good (+1) or
 * bad (-1) for the group, or neither (0: no direction, or the CI holds 0). */
int mi_verdict(const mi_row *r, double d, double lo, double hi);

/* The reference as a Markdown table (name, label, unit, direction, definition). */
void mi_print_doc(FILE *f);

/* Display width of UTF-8 text in a terminal: 2 per East Asian wide or
 * fullwidth character (CJK, Hangul, fullwidth forms, emoji), 0 per
 * combining mark or zero-width character, 1 otherwise (also per invalid
 * byte).  A fixed rule rather than wcwidth(3), which depends on the locale
 * (none is set in the C locale, where it would count bytes). */
int mi_width(const char *s);
/* Write s padded with spaces to width columns (left-aligned); text wider
 * than width is written whole. */
void mi_pad(FILE *f, const char *s, int width);

#endif
