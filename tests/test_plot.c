/* test_plot.c -- gnuplot output (analysis/plot.h): plot_quote against a
 * model of gnuplot's own string scanner and against gnuplot itself (quotes,
 * runs of quotes, backslashes, newlines, backquotes, macros, Chinese text,
 * truncation), Chinese names in a chart read back by OCR, and plot_lines: a real PNG / SVG, titles that try to run
 * commands, write errors, gnuplot missing.  Tests that need gnuplot pass
 * with a note when it is not installed.  Files go under $QS_TMP (else /tmp). */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plot.h"

#define ZWSP "\xe2\x80\x8b"

/* ---- helpers -------------------------------------------------------------- */

static int have_gnuplot(void)
{
    const char *path = getenv("PATH");
    if (!path) return 0;
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        char exe[4200];
        snprintf(exe, sizeof exe, "%s/gnuplot", d);
        if (access(exe, X_OK) == 0) return 1;
    }
    return 0;
}

static void make_tmpdir(char *dir, size_t n)
{
    const char *base = getenv("QS_TMP") ? getenv("QS_TMP") : "/tmp";
    snprintf(dir, n, "%s/test_plot.XXXXXX", base);
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void rm_tree(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir); /* our own mkdtemp name: no quotes */
    ck_assert_int_eq(system(cmd), 0);
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* What gnuplot's scanner makes of a single-quoted token starting at q[0]
 * (gnuplot 5 scanner.c: inside '...', a character followed by '' takes both
 * quotes in; any other quote ends the string).  Writes the string's value
 * ('' -> ', zero-width spaces removed) into out and returns the token's
 * length, or -1 if q does not start a token. */
static int gp_scan_sq(const char *q, char *out, size_t n)
{
    if (q[0] != '\'') return -1;
    int cur = 0;
    while (q[++cur] != '\'') {
        if (!q[cur]) return -1; /* unterminated */
        if (q[cur + 1] == '\'' && q[cur + 2] == '\'') cur += 2;
    }
    /* the value: inner text with '' -> ' */
    size_t k = 0;
    for (int i = 1; i < cur; i++) {
        if (q[i] == '\'' && q[i + 1] == '\'') i++;
        if (k + 1 < n) out[k++] = q[i];
    }
    out[k] = 0;
    /* drop zero-width spaces */
    char *z;
    while ((z = strstr(out, ZWSP))) memmove(z, z + 3, strlen(z + 3) + 1);
    return cur + 1;
}

/* The text gnuplot should show for user text s: control characters as spaces. */
static void expected_text(const char *s, char *out, size_t n)
{
    size_t k = 0;
    for (; s && *s && k + 1 < n; s++) {
        unsigned char c = (unsigned char)*s;
        out[k++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
    }
    out[k] = 0;
}

static int valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int len = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 0;
        if (!len) return 0;
        for (int i = 1; i < len; i++)
            if ((p[i] & 0xC0) != 0x80) return 0;
        p += len;
    }
    return 1;
}

/* ---- plot_quote: exact outputs -------------------------------------------- */

static void quote_is(const char *s, const char *want)
{
    char buf[256];
    ck_assert_ptr_eq(plot_quote(s, buf, sizeof buf), buf);
    ck_assert_msg(strcmp(buf, want) == 0, "quote(%s) = [%s], want [%s]", s ? s : "NULL", buf, want);
    /* and gnuplot reads it back as one token with the intended text */
    char val[256], exp[256];
    int len = gp_scan_sq(buf, val, sizeof val);
    ck_assert_msg(len == (int)strlen(buf), "quote(%s) = [%s] is not one gnuplot token (%d)", s ? s : "NULL", buf, len);
    expected_text(s, exp, sizeof exp);
    ck_assert_str_eq(val, exp);
}

START_TEST(quote_exact)
{
    quote_is("abc", "'abc'");
    quote_is("", "''");
    quote_is(NULL, "''");
    quote_is("it's", "'it''s'");
    quote_is("end'", "'end'''");
    quote_is("'lead", "'" ZWSP "''lead'");
    quote_is("'", "'" ZWSP "'''");
    quote_is("a''b", "'a''" ZWSP "''b'");
    quote_is("a'''b", "'a''" ZWSP "''" ZWSP "''b'");
    quote_is("back\\slash\\", "'back\\slash\\'");
    quote_is("l1\nl2\r\t\x7f.", "'l1 l2   .'");
    quote_is("system(\"rm -rf /\")", "'system(\"rm -rf /\")'");
    quote_is("`touch x` @x $0 #c ;", "'`touch x` @x $0 #c ;'");
    quote_is("中文标题：打卡", "'中文标题：打卡'");
    quote_is("'; system(\"touch PWNED\")'", "'" ZWSP "''; system(\"touch PWNED\")'''");
}
END_TEST

/* Every buffer size: the result fits, is one gnuplot token, and shows a
 * prefix of the text that never ends inside a UTF-8 character. */
START_TEST(quote_truncation)
{
    const char *texts[] = {
        "it's a ''test'' 中文''' \\ end", "'''''", "中'文'", "abc", "'; system(\"touch PWNED\")'",
    };
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        char exp[256];
        expected_text(texts[t], exp, sizeof exp);
        for (size_t n = 0; n < 80; n++) {
            char buf[96];
            memset(buf, 'X', sizeof buf);
            plot_quote(texts[t], buf, n);
            for (size_t i = n; i < sizeof buf; i++) ck_assert_msg(buf[i] == 'X', "wrote past n = %zu", n);
            if (n == 0) continue;
            if (n < 3) { ck_assert_str_eq(buf, ""); continue; }
            ck_assert_uint_lt(strlen(buf), n);
            char val[256];
            int len = gp_scan_sq(buf, val, sizeof val);
            ck_assert_msg(len == (int)strlen(buf), "n=%zu: [%s] is not one token", n, buf);
            ck_assert_msg(strncmp(val, exp, strlen(val)) == 0, "n=%zu: [%s] not a prefix of [%s]", n, val, exp);
            ck_assert_msg(valid_utf8(val), "n=%zu: [%s] cut inside a character", n, val);
        }
        /* a large buffer holds it all */
        char buf[256], val[256];
        plot_quote(texts[t], buf, sizeof buf);
        gp_scan_sq(buf, val, sizeof val);
        ck_assert_str_eq(val, exp);
    }
}
END_TEST

/* gnuplot itself prints back what plot_quote wrote, for fixed nasty strings
 * and for random strings over an alphabet of quote-like characters; none of
 * the backquotes, macros or system() calls runs. */
START_TEST(quote_gnuplot_roundtrip)
{
    if (!have_gnuplot()) { fprintf(stderr, "test_plot: gnuplot not installed, skipped\n"); return; }
    char dir[512], script[600], out[600], pwn[600], q[1024], eq[4096];
    make_tmpdir(dir, sizeof dir);
    snprintf(script, sizeof script, "%s/rt.gp", dir);
    snprintf(out, sizeof out, "%s/rt.txt", dir);
    snprintf(pwn, sizeof pwn, "%s/PWNED", dir);

    enum { NFIX = 8, NRAND = 300 };
    static char cases[NFIX + NRAND][64];
    char fix[NFIX][700];
    snprintf(fix[0], sizeof fix[0], "'; system(\"touch %s\")'", pwn);
    snprintf(fix[1], sizeof fix[1], "`touch %s`", pwn);
    snprintf(fix[2], sizeof fix[2], "a''; system(\"touch %s\"); b='", pwn);
    snprintf(fix[3], sizeof fix[3], "@cmd");
    snprintf(fix[4], sizeof fix[4], "x\nsystem(\"touch %s\")", pwn);
    snprintf(fix[5], sizeof fix[5], "back\\slash \\' \\n");
    snprintf(fix[6], sizeof fix[6], "中文标题 ''' 打卡");
    snprintf(fix[7], sizeof fix[7], "''''''");
    /* random strings: a fixed splitmix64 sequence */
    uint64_t st = 20260302;
    const char *alpha[] = {"a", "'", "'", "`", "@", "\"", "\\", ";", " ", "#", "中", "\n", "$"};
    const int na = (int)(sizeof alpha / sizeof alpha[0]);
    for (int c = 0; c < NRAND; c++) {
        st += 0x9E3779B97F4A7C15ull;
        uint64_t z = st;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        int len = (int)(z % 12);
        cases[NFIX + c][0] = 0;
        for (int i = 0; i < len; i++) {
            z = z * 6364136223846793005ull + 1442695040888963407ull;
            strcat(cases[NFIX + c], alpha[(z >> 33) % (uint64_t)na]);
        }
    }
    FILE *f = fopen(script, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "cmd = \"system('touch %s')\"\n", pwn);
    fprintf(f, "set print %s\n", plot_quote(out, q, sizeof q));
    for (int c = 0; c < NFIX + NRAND; c++) {
        const char *s = c < NFIX ? fix[c] : cases[c];
        /* a marker line so that a missing line points at its case */
        fprintf(f, "print %s\n", plot_quote(s, q, sizeof q));
    }
    fclose(f);
    char err[512];
    ck_assert_msg(plot_run_gnuplot(script, err, sizeof err) == 0, "gnuplot: %s", err);
    ck_assert_msg(!exists(pwn), "a quoted string ran a command");

    FILE *r = fopen(out, "r");
    ck_assert_ptr_nonnull(r);
    char line[4096];
    for (int c = 0; c < NFIX + NRAND; c++) {
        const char *s = c < NFIX ? fix[c] : cases[c];
        expected_text(s, eq, sizeof eq);
        /* gnuplot prints the value and a newline; our newlines became spaces */
        ck_assert_msg(fgets(line, sizeof line, r) != NULL, "case %d: no output", c);
        line[strcspn(line, "\n")] = 0;
        char *z;
        while ((z = strstr(line, ZWSP))) memmove(z, z + 3, strlen(z + 3) + 1);
        ck_assert_msg(strcmp(line, eq) == 0, "case %d: gnuplot printed [%s] for [%s]", c, line, eq);
    }
    fclose(r);
    rm_tree(dir);
}
END_TEST

/* ---- plot_lines ------------------------------------------------------------- */

START_TEST(lines_png)
{
    if (!have_gnuplot()) { fprintf(stderr, "test_plot: gnuplot not installed, skipped\n"); return; }
    char dir[512], path[600], dat[620], gp[620], pwn[600], pwn2[600];
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/it's a plot.png", dir); /* a quote and a space in the path */
    snprintf(dat, sizeof dat, "%s.dat", path);
    snprintf(gp, sizeof gp, "%s.gp", path);
    snprintf(pwn, sizeof pwn, "%s/PWNED", dir);
    snprintf(pwn2, sizeof pwn2, "%s/PWNED2", dir);

    enum { N = 30 };
    double y1[N], y2[N], lo[N], hi[N];
    for (int i = 0; i < N; i++) {
        y1[i] = 100 + 10 * sin(i / 3.0);
        y2[i] = 150 + 5 * cos(i / 4.0);
        lo[i] = y2[i] - 8;
        hi[i] = y2[i] + 8;
    }
    y1[7] = NAN; /* a gap */
    char t1[700], t2[700], title[700];
    snprintf(t1, sizeof t1, "'; system(\"touch %s\")'", pwn);
    snprintf(t2, sizeof t2, "打卡21天 `touch %s` ''x''", pwn2);
    snprintf(title, sizeof title, "reading_club: 中文 a''b\nsystem(\"touch %s\")", pwn);
    plot_series s[2] = {{t1, y1, NULL, NULL}, {t2, y2, lo, hi}};
    char err[512];
    ck_assert_msg(plot_lines(path, title, "day", "active\\speakers", s, 2, N, err, sizeof err) == 0, "plot_lines: %s", err);
    ck_assert_msg(!exists(pwn) && !exists(pwn2), "a title ran a command");

    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    unsigned char sig[8];
    ck_assert_int_eq((int)fread(sig, 1, 8, f), 8);
    fclose(f);
    ck_assert(memcmp(sig, "\x89PNG\r\n\x1a\n", 8) == 0);
    /* a 960x540 chart with two lines, a band and a legend is tens of kB;
     * 5 kB rules out an empty or error image */
    ck_assert_int_gt(file_size(path), 5000);
    ck_assert_int_gt(file_size(dat), 0);
    ck_assert_int_gt(file_size(gp), 0);
    /* the data file: a header and one line per x, the gap written as NaN */
    FILE *d = fopen(dat, "r");
    ck_assert_ptr_nonnull(d);
    char line[512];
    int lines = 0, nan_lines = 0;
    while (fgets(line, sizeof line, d)) {
        lines++;
        if (strstr(line, "NaN")) nan_lines++;
    }
    fclose(d);
    ck_assert_int_eq(lines, 1 + N);
    ck_assert_int_ge(nan_lines, N); /* series 1 has no band: NaN lo/hi on every line */
    rm_tree(dir);
}
END_TEST

/* ---- Chinese names: the glyphs are in the chart (OCR) ---- */

/* Render a report chart (plot_fan) with a Chinese scenario and arm name into
 * dir/NAME.png, with FONTCONFIG_FILE = fc (NULL: the system's), and OCR it
 * with tesseract's chi_sim model into text.  0, or -1 with the reason. */
static int render_and_read(const char *dir, const char *name, const char *fc, char *text, size_t n)
{
    enum { N = 21 };
    double x[N], y[N], lo[N], hi[N], y2[N];
    for (int i = 0; i < N; i++) {
        x[i] = i;
        y[i] = 0.6 + 0.2 * sin(i / 4.0);
        lo[i] = y[i] - 0.05;
        hi[i] = y[i] + 0.05;
        y2[i] = 0.4 + 0.1 * cos(i / 5.0);
    }
    char base[700], err[512], png[720], out[720], cmd[2400];
    snprintf(base, sizeof base, "%s/%s", dir, name);
    plot_axes ax = {.title = "读书会打卡\n次日留存 retention_1d", .xlabel = "天 day", .ylabel = "留存",
                    .xmark = NAN, .yzero = 1};
    plot_fan_series s[2] = {{"打卡二十一天", N, x, y, lo, hi, lo, hi, 0, PLOT_LINE},
                            {"baseline", N, x, y2, NULL, NULL, NULL, NULL, 1, PLOT_DASHED}};
    const char *old = getenv("FONTCONFIG_FILE");
    char *saved = old ? strdup(old) : NULL;
    if (fc) setenv("FONTCONFIG_FILE", fc, 1);
    int rc = plot_fan(base, &ax, s, 2, err, sizeof err);
    if (saved) setenv("FONTCONFIG_FILE", saved, 1);
    else unsetenv("FONTCONFIG_FILE");
    free(saved);
    if (rc != 0) { snprintf(text, n, "plot_fan: %s", err); return -1; }
    snprintf(png, sizeof png, "%s.png", base);
    snprintf(out, sizeof out, "%s.ocr", base);
    snprintf(cmd, sizeof cmd, "tesseract '%s' '%s' -l chi_sim >/dev/null 2>&1", png, out); /* mkdtemp names: no quotes */
    if (system(cmd) != 0) { snprintf(text, n, "tesseract failed: %s", cmd); return -1; }
    snprintf(out, sizeof out, "%s.ocr.txt", base);
    FILE *f = fopen(out, "r");
    if (!f) { snprintf(text, n, "no OCR output %s", out); return -1; }
    size_t k = fread(text, 1, n - 1, f);
    text[k] = 0;
    fclose(f);
    return 0;
}

/* OCR ignores spaces between CJK characters inconsistently: compare without them. */
static void squeeze(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++)
        if (*r != ' ') *w++ = *r;
    *w = 0;
}

START_TEST(chinese_names_render)
{
    if (!have_gnuplot()) { fprintf(stderr, "test_plot: gnuplot not installed, skipped\n"); return; }
    ck_assert_msg(system("command -v tesseract >/dev/null && tesseract --list-langs 2>/dev/null | grep -qx chi_sim") == 0,
                  "tesseract with chi_sim missing: install tesseract-ocr tesseract-ocr-chi-sim (scripts/deps.sh)");
    char dir[512], text[8192], fc[600];
    make_tmpdir(dir, sizeof dir);
    ck_assert_msg(render_and_read(dir, "cjk", NULL, text, sizeof text) == 0, "%s", text);
    squeeze(text);
    ck_assert_msg(strstr(text, "读书会打卡") != NULL, "scenario name not read back from the chart; OCR gave:\n%s", text);
    ck_assert_msg(strstr(text, "打卡二十一天") != NULL, "arm name not read back from the chart; OCR gave:\n%s", text);

    /* control: the same chart with a fontconfig that knows only DejaVu (no
     * CJK glyphs) must not read back, or the check above proves nothing */
    snprintf(fc, sizeof fc, "%s/fonts.conf", dir);
    FILE *f = fopen(fc, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "<?xml version=\"1.0\"?>\n<!DOCTYPE fontconfig SYSTEM \"fonts.dtd\">\n<fontconfig>\n"
               "<dir>/usr/share/fonts/truetype/dejavu</dir>\n<cachedir>%s/fc-cache</cachedir>\n</fontconfig>\n", dir);
    fclose(f);
    ck_assert_msg(render_and_read(dir, "nocjk", fc, text, sizeof text) == 0, "%s", text);
    squeeze(text);
    ck_assert_msg(strstr(text, "读书会打卡") == NULL, "OCR read the name from a chart without a CJK font:\n%s", text);
    if (getenv("QS_KEEP")) fprintf(stderr, "test_plot: charts kept in %s\n", dir); /* to look at them */
    else rm_tree(dir);
}
END_TEST

START_TEST(lines_svg)
{
    if (!have_gnuplot()) { fprintf(stderr, "test_plot: gnuplot not installed, skipped\n"); return; }
    char dir[512], path[600];
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/p.svg", dir);
    double y[3] = {1, 2, 3};
    plot_series s = {"a", y, NULL, NULL};
    char err[512];
    ck_assert_msg(plot_lines(path, "t", "x", "y", &s, 1, 3, err, sizeof err) == 0, "%s", err);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char head[4096];
    size_t k = fread(head, 1, sizeof head - 1, f);
    head[k] = 0;
    fclose(f);
    ck_assert_ptr_nonnull(strstr(head, "<svg"));
    rm_tree(dir);
}
END_TEST

START_TEST(lines_errors)
{
    char dir[512], path[700], err[512];
    make_tmpdir(dir, sizeof dir);
    double y[3] = {1, 2, 3};
    plot_series s = {"a", y, NULL, NULL};
    /* a directory that does not exist: the data file cannot be written */
    snprintf(path, sizeof path, "%s/no/such/dir/p.png", dir);
    err[0] = 0;
    ck_assert_int_eq(plot_lines(path, "t", "x", "y", &s, 1, 3, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "no/such/dir"));
    /* gnuplot not on PATH: a message that says so */
    const char *old = getenv("PATH");
    char *saved = old ? strdup(old) : NULL;
    setenv("PATH", "/nonexistent-qunsim-test", 1);
    snprintf(path, sizeof path, "%s/p.png", dir);
    err[0] = 0;
    int rc = plot_lines(path, "t", "x", "y", &s, 1, 3, err, sizeof err);
    if (saved) { setenv("PATH", saved, 1); free(saved); }
    else unsetenv("PATH");
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(err, "gnuplot") != NULL, "message: %s", err);
    rm_tree(dir);
}
END_TEST

START_TEST(run_gnuplot_failure)
{
    if (!have_gnuplot()) { fprintf(stderr, "test_plot: gnuplot not installed, skipped\n"); return; }
    char dir[512], script[600], err[512];
    make_tmpdir(dir, sizeof dir);
    snprintf(script, sizeof script, "%s/bad.gp", dir);
    FILE *f = fopen(script, "w");
    ck_assert_ptr_nonnull(f);
    fputs("this is not gnuplot\n", f);
    fclose(f);
    /* gnuplot complains on its stderr; keep the test log quiet */
    fflush(stderr);
    int saved = dup(2);
    FILE *devnull = freopen("/dev/null", "w", stderr);
    ck_assert_ptr_nonnull(devnull);
    int rc = plot_run_gnuplot(script, err, sizeof err);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ck_assert_int_eq(rc, -1);
    ck_assert_ptr_nonnull(strstr(err, "gnuplot failed"));
    rm_tree(dir);
}
END_TEST

static Suite *plot_suite(void)
{
    Suite *s = suite_create("plot");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, quote_exact);
    tcase_add_test(tc, quote_truncation);
    tcase_add_test(tc, quote_gnuplot_roundtrip);
    tcase_add_test(tc, lines_png);
    tcase_add_test(tc, lines_svg);
    tcase_add_test(tc, chinese_names_render);
    tcase_add_test(tc, lines_errors);
    tcase_add_test(tc, run_gnuplot_failure);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(plot_suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
