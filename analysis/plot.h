/* plot.h -- plots through gnuplot, run as an external program.
 * Writes a data file and a gnuplot script next to the image (kept, so a user
 * can restyle and re-run them), then runs `gnuplot SCRIPT` without a shell.
 * Every user string is quoted by plot_quote(): gnuplot can run shell
 * commands, so nothing from a user reaches it unquoted.
 */
#ifndef QS_PLOT_H
#define QS_PLOT_H

#include <stddef.h>

typedef struct plot_series {
    const char *title;  /* legend (user text: quoted) */
    const double *y;    /* n values; NaN = gap */
    const double *lo;   /* optional band: lower edge (NULL: none) */
    const double *hi;   /* optional band: upper edge */
} plot_series;

/* Quote s as a gnuplot single-quoted string into buf ('' doubles a quote;
 * control characters become spaces).  Returns buf, truncated safely. */
char *plot_quote(const char *s, char *buf, size_t n);

/* A line chart: x = 0..n-1 (labelled xlabel), one line per series, with an
 * optional shaded band.  Writes PATH (.png or .svg by extension) plus
 * PATH.dat and PATH.gp.  Returns 0, or -1 with a message in err. */
int plot_lines(const char *path, const char *title, const char *xlabel, const char *ylabel,
               const plot_series *s, int ns, int n, char *err, size_t errlen);

/* Run gnuplot on a script file.  0, or -1 with a message (not installed,
 * failed, killed). */
int plot_run_gnuplot(const char *script, char *err, size_t errlen);

#endif
