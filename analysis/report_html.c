/* report_html.c -- the report's HTML: escaping (every byte of user text goes
 * through rpt_html_write), the page's head with its inline style sheet,
 * numbers, figures.  A page that opens from the file system: no script, no
 * network, images by relative path.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static int utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF; /* no overlong, no surrogates */
        return s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        return s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80 ? 4 : 0;
    }
    return 0;
}

int rpt_html_write(FILE *f, const char *s)
{
    if (!s) return 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned char c = *p;
        int n = utf8_len(p);
        if (n == 0) { fputs("\xEF\xBF\xBD", f); p++; continue; } /* U+FFFD */
        if (n > 1) { fwrite(p, 1, (size_t)n, f); p += n; continue; }
        switch (c) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        case '\n': case '\t': fputc(c, f); break;
        case '\r': break;
        default: fputc(c < 0x20 || c == 0x7f ? ' ' : c, f); break;
        }
        p++;
    }
    return ferror(f) ? -1 : 0;
}

static const char css[] =
    /* the charts' fonts first (scripts/deps.sh installs them), then the
     * usual Chinese system fonts of macOS and Windows */
    "body{font-family:'Liberation Sans','WenQuanYi Micro Hei','Noto Sans CJK SC',system-ui,-apple-system,'Segoe UI',"
    "'PingFang SC','Hiragino Sans GB','Microsoft YaHei',sans-serif;"
    "max-width:1060px;margin:1.5em auto;padding:0 1em;color:#222;line-height:1.45}\n"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #dde3ea;padding-bottom:.15em;margin-top:2em}\n"
    "h3{font-size:1.05em;margin:1.4em 0 .4em}\n"
    "table{border-collapse:collapse;margin:.5em 0 1.2em;font-size:.9em}\n"
    "th,td{border:1px solid #cfd6de;padding:.25em .6em;text-align:right;vertical-align:top}\n"
    "th:first-child,td:first-child{text-align:left}thead th{background:#eef2f6}\n"
    "td.sig{font-weight:bold}.ci{color:#666}td.good,span.good{background:#dcf1d8}td.bad,span.bad{background:#f8dcd9}.after{color:#222;background:#fff8e5;padding:.5em}\n"
    "td.def{font-size:.85em;color:#555;text-align:left;max-width:22em}th.def{text-align:left}\n"
    "table.kv td,table.kv th{text-align:left}table.kv th{background:#f5f7f9;white-space:nowrap}\n"
    "figure{margin:.8em 0 1.8em}figure img{max-width:100%;height:auto;border:1px solid #e3e3e3}\n"
    "figcaption{font-size:.88em;color:#555}\n"
    "pre{background:#f6f8fa;padding:.7em;overflow-x:auto;font-size:.82em;white-space:pre-wrap;word-break:break-all}\n"
    "nav{margin:.8em 0 1.2em;font-size:.95em}nav a{margin-right:1.1em}\n"
    ".note{color:#555;font-size:.9em}.meta{color:#444}\n"
    "details{margin:.4em 0}summary{cursor:pointer}\n";

void rh_head(FILE *f, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          f);
    rpt_html_write(f, title);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", css);
}

void rh_tail(FILE *f) { fputs("</body>\n</html>\n", f); }

void rh_num(FILE *f, double v, int sign)
{
    if (!isfinite(v)) fputs("n/a", f);
    else if (sign) fprintf(f, "%+.4g", v);
    else fprintf(f, "%.4g", v);
}

/* A chart title of several lines as one line of text: "line1: line2". */
static void one_line(FILE *f, const char *s)
{
    for (const char *p = s; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        char *piece = strndup(p, l);
        if (!piece) return;
        rpt_html_write(f, piece);
        free(piece);
        if (!nl) break;
        fputs(": ", f);
        p = nl + 1;
    }
}

void rh_figure(FILE *f, const char *name, const char *caption, int svg)
{
    fprintf(f, "<figure>");
    if (svg) fprintf(f, "<a href=\"plots/%s.svg\">", name);
    fprintf(f, "<img src=\"plots/%s.png\" alt=\"", name);
    one_line(f, caption);
    fprintf(f, "\">%s<figcaption>", svg ? "</a>" : "");
    one_line(f, caption);
    if (svg) fprintf(f, " &middot; <a href=\"plots/%s.svg\">SVG</a>", name);
    fprintf(f, " &middot; <a href=\"plots/%s.gp\">gnuplot script</a></figcaption></figure>\n", name);
}

void rh_pre(FILE *f, const char *text)
{
    fputs("<pre>", f);
    rpt_html_write(f, text);
    fputs("</pre>\n", f);
}
