/* test_report.c -- the forecast report (analysis/report.h) and the report
 * charts of plot.h: escaping for HTML and gnuplot with hostile names (quotes,
 * backslashes, newlines, <script>, system("touch PWNED"), backquotes, macros,
 * Chinese) that must neither break nor run anything; known numbers through
 * the headline table, the funnel and the fan-chart data; sweeps, heatmaps,
 * observed history with a forecast, sections left out when their data are
 * missing, errors; the CLI on a real small run; and the notebooks executed
 * headless (tests/run_notebooks.sh).  Files go under $QS_TMP (else /tmp).
 */
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "community.h"
#include "plot.h"
#include "report.h"
#include "store.h"

/* ---- helpers -------------------------------------------------------------- */

static void make_tmpdir(char *dir, size_t n, const char *tag)
{
    const char *base = getenv("QS_TMP") && *getenv("QS_TMP") ? getenv("QS_TMP") : "/tmp";
    snprintf(dir, n, "%s/test_report_%s.XXXXXX", base, tag);
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Remove a test directory (kept, and named on stderr, when QS_KEEP is set). */
static void rm_tree(const char *dir)
{
    char cmd[4200];
    if (getenv("QS_KEEP")) { fprintf(stderr, "kept %s\n", dir); return; }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir); /* our own mkdtemp name: no quotes */
    ck_assert_int_eq(system(cmd), 0);
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Whole file into a malloc'd NUL-terminated buffer. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = 0;
    fclose(f);
    return b;
}

static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0) return 1;
    return 0;
}

/* A PNG file: the signature and an IHDR with plausible dimensions. */
static void check_png(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "missing image %s", path);
    unsigned char h[24];
    ck_assert_int_eq(fread(h, 1, 24, f), 24);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    ck_assert_msg(memcmp(h, "\x89PNG\r\n\x1a\n", 8) == 0 && memcmp(h + 12, "IHDR", 4) == 0, "%s: not a PNG", path);
    uint32_t w = (uint32_t)h[16] << 24 | (uint32_t)h[17] << 16 | (uint32_t)h[18] << 8 | h[19];
    uint32_t ht = (uint32_t)h[20] << 24 | (uint32_t)h[21] << 16 | (uint32_t)h[22] << 8 | h[23];
    ck_assert_msg(w >= 400 && w <= 4000 && ht >= 300 && ht <= 4000, "%s: %ux%u", path, w, ht);
    ck_assert_msg(size > 5000, "%s: only %ld bytes (an empty chart?)", path, size);
}

static void check_svg(const char *path)
{
    char *s = slurp(path);
    ck_assert_msg(strstr(s, "<svg") != NULL, "%s: not an SVG", path);
    ck_assert_msg(!contains_ci(s, "<script"), "%s: a raw <script> in the SVG", path);
    free(s);
}

/* Every src="..." / href="..." of the page that is a file must exist (and be
 * a valid image); no link leaves the directory or goes to the network.
 * Returns the number of images. */
static int check_links(const char *dir, const char *html)
{
    int images = 0;
    for (const char *p = html; (p = strstr(p, "=\"")); p += 2) {
        const char *attr = p - 4 >= html ? p - 4 : html;
        int is_src = strncmp(attr + 1, "src", 3) == 0, is_href = strncmp(attr, "href", 4) == 0;
        if (!is_src && !is_href) continue;
        const char *v = p + 2, *e = strchr(v, '"');
        ck_assert_ptr_nonnull(e);
        if (*v == '#') continue;
        char rel[512], path[4700];
        snprintf(rel, sizeof rel, "%.*s", (int)(e - v), v);
        ck_assert_msg(!strstr(rel, "://") && rel[0] != '/' && !strstr(rel, ".."), "link leaves the report: %s", rel);
        snprintf(path, sizeof path, "%s/%s", dir, rel);
        ck_assert_msg(exists(path), "the page links %s, which is missing", rel);
        size_t l = strlen(rel);
        if (l > 4 && !strcmp(rel + l - 4, ".png")) { check_png(path); images++; }
        if (l > 4 && !strcmp(rel + l - 4, ".svg")) check_svg(path);
    }
    return images;
}

/* ---- synthetic databases ------------------------------------------------- */

#define DAY0_2027 20878 /* 2027-03-01 as days since 1970-01-01 */
#define DAY0_LIVE 20454 /* 2026-01-01 */

static void day_str(char *buf, size_t n, int days_since_epoch)
{
    time_t t = (time_t)days_since_epoch * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%d", &tm);
}

/* Names that try to break or run something: gnuplot quotes and commands,
 * HTML tags, newlines, backslashes, Chinese. */
static const char *const arm_names[] = {
    "baseline",
    "<script>alert('arm')</script>",
    "it's'; system(\"touch PWNED\"); '\\",
    "\xe8\xaf\xbb\xe4\xb9\xa6\xe4\xbc\x9a\n`touch PWNED` @x \"q\"", /* 读书会 */
};
#define NARMS 4
#define REPS 5
#define DAYS 20

static char scen_name[8192], group_name[8192];

static void hostile_names(const char *dir)
{
    snprintf(scen_name, sizeof scen_name,
             "club'\nsystem(\"touch %s/PWNED_ABS\") #<script>x</script> \xe8\xaf\xbb\xe4\xb9\xa6 `touch PWNED` \\' @m",
             dir);
    snprintf(group_name, sizeof group_name, "<script>\xe7\xbe\xa4</script>'`touch PWNED`'; system(\"touch %s/PWNED_G\")", dir);
}

static store_t *open_store(const char *path)
{
    char err[512];
    store_t *st = NULL;
    ck_assert_msg(store_open(&st, path, err, sizeof err) == 0, "%s", err);
    return st;
}

static int64_t add_batch(store_t *st, const char *kind, const char *name, int reps, int days)
{
    store_batch b = {kind, name, "scenarios/<b>x</b>.cfg", "# scenario text\nscenario = { name = \"<script>s</script>\"; };\n",
                     20260302, reps, days, "qunsim run 'x' \"y\" <z>"};
    int64_t id = 0;
    ck_assert_msg(store_batch_add(st, &b, &id) == 0, "%s", store_errmsg(st));
    return id;
}

static int64_t begin_run(store_t *st, int64_t batch, const char *arm, int point, int rep, const char *source, int days)
{
    store_run r = {0};
    r.batch_id = batch;
    r.scenario = scen_name;
    r.arm = arm;
    r.point = point;
    r.rep = rep;
    r.seed = 20260302;
    r.settings = "members = { rate_mean = 1.5; };\n# <script>alert(1)</script>\n";
    r.source = source;
    r.start_ts = 1800000000;
    r.utc_offset = 28800;
    r.days = days;
    int64_t id = 0;
    ck_assert_msg(store_run_begin(st, &r, &id) == 0, "%s", store_errmsg(st));
    return id;
}

static void ev(store_t *st, int64_t ts, int kind, int64_t member)
{
    ev_rec e = {.id = -1, .ts = ts, .group_id = 1, .kind = kind, .member_id = member, .ref_id = 1, .value = 0};
    ck_assert_msg(store_event(st, &e) == 0, "%s", store_errmsg(st));
}

/* Batch of a plain run: NARMS arms x REPS replications x DAYS days with
 * values known in closed form (see the checks in test_hostile_run). */
static int64_t write_run_batch(store_t *st, int narms, int with_events, int with_retention)
{
    int64_t b = add_batch(st, "run", scen_name, REPS, DAYS);
    ck_assert_int_eq(store_point_add(st, b, 0, ""), 0);
    for (int a = 0; a < narms; a++)
        for (int r = 0; r < REPS; r++) {
            begin_run(st, b, arm_names[a], 0, r, "sim", DAYS);
            ck_assert_int_eq(store_group(st, 1, group_name), 0);
            for (int d = 0; d < DAYS; d++) {
                char day[16];
                day_str(day, sizeof day, DAY0_2027 + d);
                double dau = 100 + 10 * a + r + d;
                ck_assert_int_eq(store_daily(st, 0, day, "dau", dau), 0);
                ck_assert_int_eq(store_daily(st, 0, day, "messages", 2 * dau), 0);
                ck_assert_int_eq(store_daily(st, 0, day, "interactions", 3 * dau), 0);
                ck_assert_int_eq(store_daily(st, 0, day, "members", 300 + d - r), 0);
                ck_assert_int_eq(store_daily(st, 1, day, "dau", dau), 0); /* a group: not drawn */
            }
            ck_assert_int_eq(store_summary(st, 0, "dau_mean", 100 + 10 * a + r), 0);
            ck_assert_int_eq(store_summary(st, 0, "messages_per_day", 200 + 20 * a + 2 * r), 0);
            ck_assert_int_eq(store_summary(st, 0, "members_end", 300 + a - r), 0);
            ck_assert_int_eq(store_summary(st, 0, "<img src=x onerror=alert(1)>", 1), 0);
            if (with_retention) {
                ck_assert_int_eq(store_summary(st, 0, "retention_1d", 0.5 + 0.05 * a + 0.01 * r), 0);
                ck_assert_int_eq(store_summary(st, 0, "retention_7d", 0.6 + 0.05 * a + 0.01 * r), 0);
                ck_assert_int_eq(store_summary(st, 0, "retention_30d", 0.7 + 0.05 * a + 0.01 * r), 0);
                ck_assert_int_eq(store_summary(st, 0, "new_retention_1d", 0.4 + 0.05 * a + 0.01 * r), 0);
                ck_assert_int_eq(store_summary(st, 0, "new_retention_7d", 0.45 + 0.05 * a + 0.01 * r), 0);
            }
            if (with_events && a > 0) {
                /* members 1..10 exposed, 1..6 take part, 1..3 complete, 1..2 share, 1 invites;
                 * member 50 completes without taking part (not counted) */
                int64_t t = 1800000000 + 3600;
                for (int m = 1; m <= 10; m++) ev(st, t + m, EV_EXPOSURE, m);
                for (int m = 1; m <= 6; m++) { ev(st, t + 100 + m, EV_PARTICIPATE, m); ev(st, t + 200 + m, EV_PARTICIPATE, m); }
                for (int m = 1; m <= 3; m++) ev(st, t + 300 + m, EV_COMPLETE, m);
                for (int m = 1; m <= 2; m++) ev(st, t + 400 + m, EV_SHARE, m);
                ev(st, t + 500, EV_INVITE, 1);
                ev(st, t + 600, EV_COMPLETE, 50);
            }
            ck_assert_msg(store_run_commit(st) == 0, "%s", store_errmsg(st));
        }
    return b;
}

/* A 3 x 2 grid sweep over a plain and a hostile setting path, 2 arms x 3 reps. */
static int64_t write_sweep_batch(store_t *st)
{
    int64_t b = add_batch(st, "sweep", scen_name, 3, 5);
    const double rate[3] = {1, 2, 3}, pts[2] = {10, 20};
    for (int p = 0; p < 6; p++) {
        char set[256];
        snprintf(set, sizeof set, "members.rate_mean=%g\ncheckin.points'`touch PWNED`<b>=%g\n", rate[p / 2], pts[p % 2]);
        ck_assert_int_eq(store_point_add(st, b, p, set), 0);
        for (int a = 0; a < 2; a++)
            for (int r = 0; r < 3; r++) {
                begin_run(st, b, arm_names[a ? 1 : 0], p, r, "sim", 5);
                for (int d = 0; d < 5; d++) {
                    char day[16];
                    day_str(day, sizeof day, DAY0_2027 + d);
                    ck_assert_int_eq(store_daily(st, 0, day, "dau", 10 * rate[p / 2] + a + r + d), 0);
                }
                ck_assert_int_eq(store_summary(st, 0, "dau_mean", 10 * rate[p / 2] + pts[p % 2] + 5 * a + r), 0);
                ck_assert_int_eq(store_summary(st, 0, "retention_7d", 0.1 * rate[p / 2] + 0.001 * pts[p % 2] + 0.01 * r), 0);
                ck_assert_msg(store_run_commit(st) == 0, "%s", store_errmsg(st));
            }
    }
    return b;
}

/* An imported log: 40 days from 2026-01-01, group 1 with a hostile name. */
static int64_t write_live(store_t *st, int64_t batch, const char *label, int day0, int ndays)
{
    store_run r = {0};
    r.batch_id = batch;
    r.scenario = label;
    r.arm = "live";
    r.source = "wechat";
    r.start_ts = 1767196800;
    r.utc_offset = 28800;
    r.days = ndays;
    int64_t id = 0;
    ck_assert_msg(store_run_begin(st, &r, &id) == 0, "%s", store_errmsg(st));
    ck_assert_int_eq(store_group(st, 1, group_name), 0);
    for (int d = 0; d < ndays; d++) {
        char day[16];
        day_str(day, sizeof day, day0 + d);
        for (int g = 0; g < 2; g++) {
            ck_assert_int_eq(store_daily(st, g, day, "dau", 50 + d % 7 + g), 0);
            ck_assert_int_eq(store_daily(st, g, day, "messages", 120 + 3 * (d % 7)), 0);
            ck_assert_int_eq(store_daily(st, g, day, "members", 200 + d / 4), 0);
        }
    }
    ck_assert_int_eq(store_summary(st, 0, "dau_mean", 53), 0);
    ck_assert_int_eq(store_summary(st, 0, "<b>x</b>", 1), 0);
    ck_assert_msg(store_run_commit(st) == 0, "%s", store_errmsg(st));
    return id;
}

/* A forecast: 2 arms x 4 reps, 14 days from day0 (no observed run of its own
 * unless own_live). */
static int64_t write_forecast(store_t *st, int day0, int own_live)
{
    int64_t b = add_batch(st, "forecast", scen_name, 4, 14);
    ck_assert_int_eq(store_point_add(st, b, 0, ""), 0);
    if (own_live) write_live(st, b, "own-live-log", day0 - 20, 20);
    for (int a = 0; a < 2; a++)
        for (int r = 0; r < 4; r++) {
            begin_run(st, b, arm_names[a ? 3 : 0], 0, r, "sim", 14);
            for (int d = 0; d < 14; d++) {
                char day[16];
                day_str(day, sizeof day, day0 + d);
                ck_assert_int_eq(store_daily(st, 0, day, "dau", 52 + 5 * a + 2 * r - 3 + 0.3 * d), 0);
                ck_assert_int_eq(store_daily(st, 0, day, "messages", 125 + 10 * a + 4 * r - 6), 0);
                ck_assert_int_eq(store_daily(st, 0, day, "members", 209 + d / 4 + a - r), 0);
            }
            ck_assert_int_eq(store_summary(st, 0, "dau_mean", 55 + 5 * a + r), 0);
            ck_assert_msg(store_run_commit(st) == 0, "%s", store_errmsg(st));
        }
    return b;
}

/* A report into dir/NAME; checks what every report must hold and returns its info. */
static rpt_info build(const char *dir, const char *db, const char *name, int64_t batch, int64_t live)
{
    char out[4200], err[1024];
    snprintf(out, sizeof out, "%s/%s", dir, name);
    rpt_opts o = {0};
    o.db_path = db;
    o.out_dir = out;
    o.batch_id = batch;
    o.point = -1;
    o.live_run = live;
    o.svg = 1;
    o.command = "test_report 'x' <y>";
    o.log = stderr;
    o.campaign_label = com_campaign_label;
    rpt_info info;
    ck_assert_msg(rpt_build(&o, &info, err, sizeof err) == 0, "report %s: %s", name, err);
    ck_assert_msg(info.nwarnings == 0, "report %s: %d chart(s) failed", name, info.nwarnings);
    char *html = slurp(info.index);
    ck_assert_msg(!contains_ci(html, "<script"), "%s: raw <script> in the page", name);
    ck_assert_msg(!contains_ci(html, "<img src=x"), "%s: a user string became a tag", name);
    ck_assert_msg(!contains_ci(html, "http://") && !contains_ci(html, "https://"), "%s: a network reference", name);
    int images = check_links(out, html);
    ck_assert_int_eq(images, info.nplots);
    free(html);
    return info;
}

static void check_not_pwned(const char *dir)
{
    char p[4200];
    ck_assert_msg(!exists("PWNED"), "a user string ran a command (PWNED in the working directory)");
    snprintf(p, sizeof p, "%s/PWNED_ABS", dir);
    ck_assert_msg(!exists(p), "a user string ran a command (%s)", p);
    snprintf(p, sizeof p, "%s/PWNED_G", dir);
    ck_assert_msg(!exists(p), "a user string ran a command (%s)", p);
}

static int have_gnuplot(void)
{
    return system("command -v gnuplot >/dev/null 2>&1") == 0;
}

/* ---- escaping ------------------------------------------------------------- */

static char *html_of(const char *s)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(rpt_html_write(f, s), 0);
    fclose(f);
    return buf;
}

START_TEST(test_html_escape)
{
    struct {
        const char *in, *out;
    } cases[] = {
        {"<script>alert('x')</script>", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"},
        {"a & b \"c\"", "a &amp; b &quot;c&quot;"},
        {"line1\nline2\r\n\ttab", "line1\nline2\n\ttab"},
        {"bell\x07 del\x7f", "bell  del "},
        {"\xe8\xaf\xbb\xe4\xb9\xa6\xe4\xbc\x9a", "\xe8\xaf\xbb\xe4\xb9\xa6\xe4\xbc\x9a"},           /* 读书会 kept */
        {"\xf0\x9f\x93\x9a ok", "\xf0\x9f\x93\x9a ok"},                                           /* 4-byte kept */
        {"bad \xff\xfe end", "bad \xef\xbf\xbd\xef\xbf\xbd end"},                                 /* invalid -> U+FFFD */
        {"cut \xe8\xaf", "cut \xef\xbf\xbd\xef\xbf\xbd"},                                         /* truncated sequence */
        {"overlong \xc0\xbc", "overlong \xef\xbf\xbd\xef\xbf\xbd"},                               /* '<' in 2 bytes */
        {"surrogate \xed\xa0\x80", "surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *h = html_of(cases[i].in);
        ck_assert_msg(strcmp(h, cases[i].out) == 0, "case %zu: got '%s'", i, h);
        free(h);
    }
    char *h = html_of(NULL);
    ck_assert_str_eq(h, "");
    free(h);
}
END_TEST

START_TEST(test_plot_quote_hostile)
{
    char q[256];
    /* inside gnuplot single quotes only '' is special: everything else stays literal */
    ck_assert_str_eq(plot_quote("system(\"touch PWNED\")", q, sizeof q), "'system(\"touch PWNED\")'");
    ck_assert_str_eq(plot_quote("a'b", q, sizeof q), "'a''b'");
    ck_assert_str_eq(plot_quote("x\ny\rz", q, sizeof q), "'x y z'");
    ck_assert_str_eq(plot_quote("\\`touch PWNED` @m", q, sizeof q), "'\\`touch PWNED` @m'");
    ck_assert_str_eq(plot_quote(NULL, q, sizeof q), "''");
    /* truncation never splits a UTF-8 character: 读 is 3 bytes */
    char small[8];
    plot_quote("ab\xe8\xaf\xbb\xe4\xb9\xa6", small, sizeof small);
    ck_assert_str_eq(small, "'ab'");
    ck_assert_int_eq(small[strlen(small) - 1], '\'');
}
END_TEST

/* ---- reports over synthetic databases ------------------------------------ */

START_TEST(test_hostile_run)
{
    if (!have_gnuplot()) { fprintf(stderr, "test_hostile_run: gnuplot not installed, skipped\n"); return; }
    char dir[4096], db[4200], cwd[4096];
    make_tmpdir(dir, sizeof dir, "run");
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(dir), 0); /* a relative "touch PWNED" would land here */
    hostile_names(dir);
    snprintf(db, sizeof db, "%s/results.db", dir);
    store_t *st = open_store(db);
    int64_t b = write_run_batch(st, NARMS, 1, 1);
    store_close(st);

    rpt_info info = build(dir, db, "rep", 0, 0);
    ck_assert_int_eq(info.batch_id, b);
    unsigned want = RPT_HEADLINE | RPT_DAILY | RPT_RETENTION | RPT_COMPARISON | RPT_FUNNEL | RPT_SETTINGS | RPT_PROVENANCE;
    ck_assert_msg(info.sections == want, "sections %#x, want %#x", info.sections, want);
    ck_assert_int_eq(info.nplots, 4 + 1 + 1 + 1); /* four fans, retention, comparison, funnel */
    check_not_pwned(dir);

    char path[4400];
    snprintf(path, sizeof path, "%s/rep/index.html", dir);
    char *html = slurp(path);
    /* user strings arrive escaped and whole */
    ck_assert_ptr_nonnull(strstr(html, "&lt;script&gt;alert(&#39;arm&#39;)&lt;/script&gt;"));
    ck_assert_ptr_nonnull(strstr(html, "it&#39;s&#39;; system(&quot;touch PWNED&quot;); &#39;\\"));
    ck_assert_ptr_nonnull(strstr(html, "\xe8\xaf\xbb\xe4\xb9\xa6\xe4\xbc\x9a")); /* 读书会 */
    ck_assert_ptr_nonnull(strstr(html, "&lt;img src=x onerror=alert(1)&gt;"));
    /* dau_mean: arm a, rep r = 100 + 10a + r: arm means 102 + 10a, paired differences exactly 10a (sd 0) */
    ck_assert_ptr_nonnull(strstr(html, "<td>102 <span class=\"ci\">[100.2, 103.8]</span></td>"));
    ck_assert_ptr_nonnull(strstr(html, "+10 <span class=\"ci\">[+10, +10]</span>"));
    ck_assert_ptr_nonnull(strstr(html, "+30 <span class=\"ci\">[+30, +30]</span>"));
    /* labels for people, shares in %, differences of shares in pp, coloured by direction */
    ck_assert_ptr_nonnull(strstr(html, "<td>daily speakers (members)</td>"));
    ck_assert_ptr_nonnull(strstr(html, "<td>speaks again next day (%)</td><td>52.0% <span class=\"ci\">"));
    ck_assert_ptr_nonnull(strstr(html, "<td class=\"sig good\">+5.0 pp <span class=\"ci\">[+5.0 pp, +5.0 pp]</span></td>"));
    ck_assert_ptr_nonnull(strstr(html, "Higher is better."));
    /* a 20-day window cannot define 30-day retention: left out, with a note */
    ck_assert_ptr_null(strstr(html, "<td>speaks again within 30 days (%)</td>"));
    ck_assert_ptr_nonnull(strstr(html, "Left out: speaks again within 30 days (<code>retention_30d</code>): needs a window of more than 30 days; the runs have 20"));
    /* funnel of campaign 1: 10 exposed, 6 took part (60% of exposed), 3 completed (50%) and 2 shared (33%) of those who took part */
    const char *fun = strstr(html, "id=\"funnel\"");
    ck_assert_ptr_nonnull(fun);
    ck_assert_ptr_nonnull(strstr(fun, "<td>6 <span class=\"ci\">[6, 6]</span> <span class=\"ci\">(60%)</span></td>"));
    ck_assert_ptr_nonnull(strstr(fun, "(50%)"));
    ck_assert_ptr_nonnull(strstr(fun, "<td>2 <span class=\"ci\">[2, 2]</span> <span class=\"ci\">(33%)</span></td>")); /* shared, of took part */
    ck_assert_ptr_nonnull(strstr(fun, "<h3>check-in <span class=\"ci\">(campaign id 1)</span></h3>"));
    ck_assert_ptr_null(strstr(fun, "<th>invited</th>")); /* not tied to a campaign: no stage */
    free(html);

    /* the fan chart's data: day 0 of the baseline = 100 + r over r = 0..4:
     * median 102, quartiles 101 and 103, 5% and 95% 100.2 and 103.8 (GSL's interpolation) */
    snprintf(path, sizeof path, "%s/rep/plots/fan_dau.dat", dir);
    char *dat = slurp(path);
    ck_assert_msg(strstr(dat, "\n1803859200 102 101 103 100.2 103.8\n") != NULL, "fan_dau.dat: %.300s", dat);
    free(dat);
    /* the comparison's bars coloured by verdict: dau_mean +10 = 9.8% of 102 (better: green
     * 0x2ca02c), members_end +1 of ~300 also better; never the arm's colour */
    snprintf(path, sizeof path, "%s/rep/plots/comparison.dat", dir);
    dat = slurp(path);
    ck_assert_msg(strstr(dat, "\n-0.2666666667 9.803921569 9.803921569 9.803921569 2924588\n") != NULL, "comparison.dat: %.400s", dat);
    free(dat);
    /* the scripts carry the names only inside single quotes */
    snprintf(path, sizeof path, "%s/rep/plots/fan_dau.gp", dir);
    char *gp = slurp(path);
    ck_assert_ptr_nonnull(strstr(gp, "title 'it''s''; system(\"touch PWNED\"); ''\\'"));
    free(gp);

    ck_assert_int_eq(chdir(cwd), 0);
    rm_tree(dir);
}
END_TEST

START_TEST(test_sweep_heatmap)
{
    if (!have_gnuplot()) { fprintf(stderr, "test_sweep_heatmap: gnuplot not installed, skipped\n"); return; }
    char dir[4096], db[4200], cwd[4096], path[4400];
    make_tmpdir(dir, sizeof dir, "sweep");
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(dir), 0);
    hostile_names(dir);
    snprintf(db, sizeof db, "%s/results.db", dir);
    store_t *st = open_store(db);
    int64_t b = write_sweep_batch(st);
    store_close(st);

    rpt_info info = build(dir, db, "sw", b, 0);
    ck_assert_msg(info.sections & RPT_SWEEP, "no sweep section");
    ck_assert_msg(info.sections & RPT_HEATMAP, "no heatmaps");
    ck_assert_msg(!(info.sections & (RPT_FUNNEL | RPT_HISTORY | RPT_RETENTION)), "sections %#x", info.sections);
    /* response curves: 2 metrics x 2 settings; heatmaps: 2 metrics x (2 arms + 1 difference) */
    ck_assert_int_eq(info.nplots, 1 + 1 + 4 + 6); /* fan dau, comparison, curves, heatmaps */
    check_not_pwned(dir);

    /* dau_mean = 10 rate + points + 5 arm + rep: the difference map is 5 in every cell */
    snprintf(path, sizeof path, "%s/sw/plots/heatdiff_dau_mean_1.dat", dir);
    char *dat = slurp(path), *line = strchr(dat, '\n');
    int cells = 0;
    for (; line && line[1]; line = strchr(line + 1, '\n')) {
        int cx, cy;
        double z;
        ck_assert_int_eq(sscanf(line + 1, "%d %d %lf", &cx, &cy, &z), 3);
        ck_assert_msg(fabs(z - 5) < 1e-9, "cell %d,%d: %g", cx, cy, z);
        cells++;
    }
    ck_assert_int_eq(cells, 6);
    free(dat);
    /* the response curve against rate for the baseline: rate 1 pools points 10 and 20 and reps 0..2:
     * {20,21,22,30,31,32}: median 26 */
    snprintf(path, sizeof path, "%s/sw/plots/sweep_dau_mean_0.dat", dir);
    dat = slurp(path);
    ck_assert_msg(strstr(dat, "\n1 26 ") != NULL, "%.200s", dat);
    free(dat);
    snprintf(path, sizeof path, "%s/sw/index.html", dir);
    char *html = slurp(path);
    ck_assert_ptr_nonnull(strstr(html, "checkin.points&#39;`touch PWNED`&lt;b&gt;"));
    free(html);
    ck_assert_int_eq(chdir(cwd), 0);
    rm_tree(dir);
}
END_TEST

START_TEST(test_history_forecast)
{
    if (!have_gnuplot()) { fprintf(stderr, "test_history_forecast: gnuplot not installed, skipped\n"); return; }
    char dir[4096], db[4200], cwd[4096], path[4400];
    make_tmpdir(dir, sizeof dir, "live");
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(dir), 0);
    hostile_names(dir);
    snprintf(db, sizeof db, "%s/results.db", dir);
    store_t *st = open_store(db);
    int64_t run_b = write_run_batch(st, 2, 0, 0); /* in 2027: far from the log */
    int64_t imp = add_batch(st, "import", "wechat", 0, 40);
    int64_t live = write_live(st, imp, "\xe5\xaf\xbc\xe5\x85\xa5 <script>", DAY0_LIVE, 40);
    int64_t fc = write_forecast(st, DAY0_LIVE + 30, 0);    /* overlaps the log's last 10 days */
    int64_t fc2 = write_forecast(st, DAY0_LIVE + 60, 1);   /* carries its own observed run */
    store_close(st);

    /* the forecast batch without a log of its own takes the latest import */
    rpt_info info = build(dir, db, "fc", fc, 0);
    ck_assert_msg(info.sections & RPT_HISTORY, "no history section (%#x)", info.sections);
    ck_assert_int_eq(info.nplots, 3 + 3 + 1); /* fans: dau, messages, members; history: the same; comparison */
    snprintf(path, sizeof path, "%s/fc/index.html", dir);
    char *html = slurp(path);
    ck_assert_ptr_nonnull(strstr(html, "id=\"backtest\""));
    /* days 30..39 of the log: observed 52..56,50..54; baseline forecast median 52 + 0.3 d with
     * quartiles -/+ 1.5 and 5%/95% at -2.7/+2.7: 5 days inside the 50% band, 7 inside the 90%
     * band, mean absolute percentage error 3.32% (worked by hand) */
    ck_assert_ptr_nonnull(strstr(html, "<tr><td>daily active speakers</td><td>baseline</td><td>10</td><td>3.32</td>"
                                       "<td>50%</td><td>70%</td></tr>"));
    ck_assert_ptr_nonnull(strstr(html, "\xe5\xaf\xbc\xe5\x85\xa5 &lt;script&gt;"));
    free(html);
    /* observed: the 28 days before the forecast (twice the horizon is less) plus 10 overlapping days */
    snprintf(path, sizeof path, "%s/fc/plots/history_dau.dat", dir);
    char *dat = slurp(path);
    int obs = 0;
    for (char *l = strstr(dat, "# series 0\n"); l && (l = strchr(l, '\n')) && l[1] && l[1] != '\n'; l++) obs++;
    ck_assert_int_eq(obs, 38);
    free(dat);

    /* the group of an imported log by --group: its (hostile) name is the label */
    {
        char out[4200], err[1024];
        snprintf(out, sizeof out, "%s/grp", dir);
        rpt_opts o = {.db_path = db, .out_dir = out, .batch_id = fc, .point = -1, .live_run = live, .live_group = 1, .svg = 0,
                     .campaign_label = com_campaign_label};
        rpt_info gi;
        ck_assert_msg(rpt_build(&o, &gi, err, sizeof err) == 0, "%s", err);
        ck_assert_int_eq(gi.nwarnings, 0);
        char *h = slurp(gi.index);
        ck_assert_ptr_nonnull(strstr(h, "&lt;script&gt;\xe7\xbe\xa4&lt;/script&gt;&#39;`touch PWNED`"));
        ck_assert_msg(!contains_ci(h, "<script"), "raw <script>");
        free(h);
    }

    /* a forecast batch with its own observed run uses it */
    info = build(dir, db, "fc2", fc2, 0);
    ck_assert_msg(info.sections & RPT_HISTORY, "no history section");
    snprintf(path, sizeof path, "%s/fc2/index.html", dir);
    html = slurp(path);
    ck_assert_ptr_nonnull(strstr(html, "own-live-log"));
    ck_assert_ptr_null(strstr(html, "id=\"backtest\"")); /* no overlap: nothing to compare */
    free(html);

    /* the import batch alone: the observed log and its summary table */
    info = build(dir, db, "imp", imp, 0);
    ck_assert_msg(info.sections == (RPT_HISTORY | RPT_SETTINGS | RPT_PROVENANCE), "sections %#x", info.sections);
    ck_assert_int_eq(info.nplots, 3);

    /* the plain run of 2027: the log is far away, so no history section */
    info = build(dir, db, "run", run_b, 0);
    ck_assert_msg(!(info.sections & RPT_HISTORY), "history drawn for a far-away log");
    ck_assert_msg(!(info.sections & RPT_FUNNEL), "a funnel without campaign events");

    /* the default batch is the latest with simulated runs */
    info = build(dir, db, "default", 0, 0);
    ck_assert_int_eq(info.batch_id, fc2);
    check_not_pwned(dir);
    ck_assert_int_eq(chdir(cwd), 0);
    rm_tree(dir);
}
END_TEST

START_TEST(test_missing_pieces)
{
    if (!have_gnuplot()) { fprintf(stderr, "test_missing_pieces: gnuplot not installed, skipped\n"); return; }
    char dir[4096], db[4200], path[4400];
    make_tmpdir(dir, sizeof dir, "min");
    hostile_names(dir);
    snprintf(db, sizeof db, "%s/results.db", dir);
    store_t *st = open_store(db);
    write_run_batch(st, 1, 0, 0); /* one arm, no events, no retention metrics */
    store_close(st);
    rpt_info info = build(dir, db, "min", 0, 0);
    ck_assert_msg(info.sections == (RPT_HEADLINE | RPT_DAILY | RPT_SETTINGS | RPT_PROVENANCE), "sections %#x", info.sections);
    ck_assert_int_eq(info.nplots, 4);
    snprintf(path, sizeof path, "%s/min/index.html", dir);
    char *html = slurp(path);
    const char *absent[] = {"id=\"retention\"", "id=\"comparison\"", "id=\"funnel\"", "id=\"sweep\"", "id=\"history\""};
    for (int i = 0; i < 5; i++) ck_assert_msg(!strstr(html, absent[i]), "%s present", absent[i]);
    free(html);

    /* a database with a batch and no runs at all: provenance only, still a page */
    snprintf(db, sizeof db, "%s/empty.db", dir);
    st = open_store(db);
    add_batch(st, "run", "nothing yet", 1, 1);
    store_close(st);
    info = build(dir, db, "empty", 0, 0);
    ck_assert_int_eq(info.nplots, 0);
    ck_assert_msg(info.sections == (RPT_SETTINGS | RPT_PROVENANCE), "sections %#x", info.sections);
    rm_tree(dir);
}
END_TEST

START_TEST(test_errors)
{
    char dir[4096], db[4200], out[4300], err[1024];
    make_tmpdir(dir, sizeof dir, "err");
    snprintf(out, sizeof out, "%s/out", dir);
    rpt_opts o = {.out_dir = out, .point = -1, .svg = 1, .campaign_label = com_campaign_label};
    rpt_info info;
    /* no such database */
    snprintf(db, sizeof db, "%s/none.db", dir);
    o.db_path = db;
    ck_assert_int_eq(rpt_build(&o, &info, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "none.db") != NULL, "%s", err);
    ck_assert_msg(!exists(out), "output made for a failed report");
    /* not a qunsim database */
    snprintf(db, sizeof db, "%s/other.db", dir);
    sqlite3 *x = NULL;
    ck_assert_int_eq(sqlite3_open(db, &x), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(x, "CREATE TABLE t(a); PRAGMA user_version = 7;", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(x);
    ck_assert_int_eq(rpt_build(&o, &info, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "schema version") != NULL, "%s", err);
    /* an empty qunsim database; a batch that does not exist; an output path that is a file */
    snprintf(db, sizeof db, "%s/results.db", dir);
    store_t *st = open_store(db);
    store_close(st);
    ck_assert_int_eq(rpt_build(&o, &info, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "no batch") != NULL, "%s", err);
    st = open_store(db);
    hostile_names(dir);
    write_run_batch(st, 1, 0, 0);
    store_close(st);
    o.batch_id = 99;
    ck_assert_int_eq(rpt_build(&o, &info, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "no batch 99") != NULL, "%s", err);
    o.batch_id = 0;
    o.point = 3;
    ck_assert_int_eq(rpt_build(&o, &info, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "no point 3") != NULL, "%s", err);
    o.point = -1;
    FILE *f = fopen(out, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_assert_int_eq(rpt_build(&o, &info, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "not a directory") != NULL || strstr(err, "cannot create") != NULL, "%s", err);
    /* missing arguments */
    ck_assert_int_eq(rpt_build(NULL, &info, err, sizeof err), -1);
    rm_tree(dir);
}
END_TEST

/* ---- the command line on a real run, and the notebooks -------------------- */

static void qunsim_bin(char *buf, size_t n)
{
    const char *b = getenv("QS_BIN");
    if (b && *b) { snprintf(buf, n, "%s", b); return; }
    char self[2048];
    ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
    ck_assert(k > 0);
    self[k] = 0;
    char *s = strrchr(self, '/');
    *s = 0;
    s = strrchr(self, '/'); /* BUILD/tests -> BUILD */
    *s = 0;
    snprintf(buf, n, "%s/qunsim", self);
}

/* Run a shell command line; returns its exit status. */
static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(test_cli_real_run)
{
    if (!have_gnuplot()) { fprintf(stderr, "test_cli_real_run: gnuplot not installed, skipped\n"); return; }
    char dir[4096], bin[4096], cmd[20000], path[4400];
    make_tmpdir(dir, sizeof dir, "cli");
    qunsim_bin(bin, sizeof bin);
    ck_assert_msg(access(bin, X_OK) == 0, "no qunsim binary at %s", bin);
    ck_assert_msg(access("scenarios/reading_club.cfg", R_OK) == 0, "run the tests from the source tree");
    snprintf(cmd, sizeof cmd, "'%s' run scenarios/reading_club.cfg --reps 3 --days 14 --out '%s/run' --quiet --no-plot > /dev/null",
             bin, dir);
    ck_assert_int_eq(sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "'%s' report '%s/run/results.db' --out '%s/rep' --quiet > '%s/stdout'", bin, dir, dir, dir);
    ck_assert_int_eq(sh(cmd), 0);
    snprintf(path, sizeof path, "%s/stdout", dir);
    char *out = slurp(path), want[4400];
    snprintf(want, sizeof want, "%s/rep/index.html\n", dir);
    ck_assert_str_eq(out, want); /* the path of the page is the last (only) line */
    free(out);
    snprintf(path, sizeof path, "%s/rep/index.html", dir);
    char *html = slurp(path), repdir[4400];
    snprintf(repdir, sizeof repdir, "%s/rep", dir);
    ck_assert_int_ge(check_links(repdir, html), 7); /* four fans, retention, comparison, funnel */
    ck_assert_ptr_nonnull(strstr(html, "id=\"funnel\""));
    ck_assert_ptr_nonnull(strstr(html, "seed 20260302"));
    /* the arms side by side where they differ: the check-in, nothing else */
    const char *diff = strstr(html, "<h3>Where the arms differ</h3>");
    ck_assert_ptr_nonnull(diff);
    ck_assert_ptr_nonnull(strstr(diff, "<tr><td><code>checkin.enabled</code></td><td>false</td><td>true</td></tr>\n</tbody>"));
    ck_assert_ptr_nonnull(strstr(html, "<td>speaks again next day (%)</td>"));
    free(html);
    /* usage errors */
    snprintf(cmd, sizeof cmd, "'%s' report 2>/dev/null", bin);
    ck_assert_int_eq(sh(cmd), 2);
    snprintf(cmd, sizeof cmd, "'%s' report '%s/none.db' 2>/dev/null", bin, dir);
    ck_assert_int_eq(sh(cmd), 2);
    snprintf(cmd, sizeof cmd, "'%s' report '%s/run/results.db' --batch x 2>/dev/null", bin, dir);
    ck_assert_int_eq(sh(cmd), 2);
    rm_tree(dir);
}
END_TEST

/* The demo's report in a real browser: headless Chromium (Debian's chromium,
 * installed by scripts/deps.sh) takes a screenshot of the page, and OCR
 * (tesseract) must find the sections' titles in it: the page renders, its
 * style sheet and charts load from the file system, nothing needs the
 * network.  QS_SCREENSHOT=FILE keeps the screenshot. */
START_TEST(test_screenshot)
{
    if (!have_gnuplot()) { fprintf(stderr, "test_screenshot: gnuplot not installed, skipped\n"); return; }
    if (sh("command -v chromium >/dev/null 2>&1") != 0) {
        fprintf(stderr, "test_screenshot: chromium not installed (scripts/deps.sh installs it), skipped\n");
        return;
    }
    ck_assert_msg(sh("command -v tesseract >/dev/null 2>&1") == 0, "tesseract missing: scripts/deps.sh installs it");
    char dir[4096], bin[4096], cmd[20000], path[4400];
    make_tmpdir(dir, sizeof dir, "shot");
    qunsim_bin(bin, sizeof bin);
    snprintf(cmd, sizeof cmd, "'%s' run scenarios/reading_club.cfg --reps 3 --out '%s/run' --quiet --no-plot > /dev/null", bin, dir);
    ck_assert_int_eq(sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "'%s' report '%s/run/results.db' --out '%s/rep' --quiet > /dev/null", bin, dir, dir);
    ck_assert_int_eq(sh(cmd), 0);
    /* a fresh profile, no network, no first-run or update machinery; a
     * window tall enough for the funnel (the sections are in page order) */
    snprintf(cmd, sizeof cmd,
             "timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
             "--disable-background-networking --disable-component-update --disable-sync --hide-scrollbars "
             "--user-data-dir='%s/profile' --window-size=1100,9000 --screenshot='%s/shot.png' 'file://%s/rep/index.html' "
             ">'%s/chromium.log' 2>&1", dir, dir, dir, dir);
    ck_assert_msg(sh(cmd) == 0, "chromium failed (see %s/chromium.log)", dir);
    snprintf(path, sizeof path, "%s/shot.png", dir);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    unsigned char h[24];
    ck_assert_int_eq((int)fread(h, 1, sizeof h, f), (int)sizeof h);
    fclose(f);
    ck_assert(memcmp(h, "\x89PNG\r\n\x1a\n", 8) == 0);
    unsigned w = (unsigned)h[16] << 24 | (unsigned)h[17] << 16 | (unsigned)h[18] << 8 | h[19];
    unsigned ht = (unsigned)h[20] << 24 | (unsigned)h[21] << 16 | (unsigned)h[22] << 8 | h[23];
    ck_assert_msg(w == 1100 && ht == 9000, "screenshot %ux%u", w, ht);
    snprintf(cmd, sizeof cmd, "tesseract '%s/shot.png' '%s/shot' -l eng >/dev/null 2>&1", dir, dir);
    ck_assert_int_eq(sh(cmd), 0);
    snprintf(path, sizeof path, "%s/shot.txt", dir);
    char *text = slurp(path);
    static const char *const want[] = {"Headline metrics", "daily speakers (members)", "After-effects",
                                       "Daily activity", "Retention", "Arm comparison", "Campaign funnels",
                                       "better for the group"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(text, want[i]) != NULL, "\"%s\" not read in the screenshot; OCR gave:\n%.3000s", want[i], text);
    free(text);
    if (getenv("QS_SCREENSHOT")) {
        snprintf(cmd, sizeof cmd, "cp '%s/shot.png' '%s'", dir, getenv("QS_SCREENSHOT"));
        ck_assert_int_eq(sh(cmd), 0);
    }
    rm_tree(dir);
}
END_TEST

START_TEST(test_notebooks)
{
    if (getenv("QS_SKIP_NOTEBOOKS")) { fprintf(stderr, "test_notebooks: QS_SKIP_NOTEBOOKS set, skipped\n"); return; }
    char dir[4096], bin[4096], cmd[32768], db[4200];
    make_tmpdir(dir, sizeof dir, "nb");
    qunsim_bin(bin, sizeof bin);
    /* a small real run, and a synthetic database with a sweep, a log and a forecast */
    snprintf(cmd, sizeof cmd, "'%s' run scenarios/reading_club.cfg --reps 3 --days 14 --out '%s/run' --quiet --no-plot > /dev/null",
             bin, dir);
    ck_assert_int_eq(sh(cmd), 0);
    hostile_names(dir);
    snprintf(db, sizeof db, "%s/synthetic.db", dir);
    store_t *st = open_store(db);
    write_sweep_batch(st);
    int64_t imp = add_batch(st, "import", "wechat", 0, 40);
    write_live(st, imp, "imported", DAY0_LIVE, 40);
    write_forecast(st, DAY0_LIVE + 30, 0);
    store_close(st);
    /* a log with events and a rolling backtest of it, for notebook 04's backtest part */
    snprintf(cmd, sizeof cmd,
             "'%s' run scenarios/reading_club.cfg --arm baseline --reps 1 --days 70 --set scenario.events=true --out '%s/log' --quiet --no-plot"
             " > /dev/null && '%s' backtest --live '%s/log/results.db' --every 14d --history 28d --days 14 --reps 10 --format csv > '%s/bt.csv'",
             bin, dir, bin, dir, dir);
    ck_assert_int_eq(sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "QS_BACKTEST='%s/bt.csv' sh tests/run_notebooks.sh '%s/run/results.db' '%s' '%s/out'", dir, dir, db, dir);
    int rc = sh(cmd);
    ck_assert_msg(rc == 0, "tests/run_notebooks.sh failed (exit %d); outputs in %s/out", rc, dir);
    rm_tree(dir);
}
END_TEST

static Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("escaping");
    tcase_add_test(tc, test_html_escape);
    tcase_add_test(tc, test_plot_quote_hostile);
    suite_add_tcase(s, tc);
    tc = tcase_create("report");
    tcase_set_timeout(tc, 120); /* valgrind; natively about a second each (gnuplot runs) */
    tcase_add_test(tc, test_hostile_run);
    tcase_add_test(tc, test_sweep_heatmap);
    tcase_add_test(tc, test_history_forecast);
    tcase_add_test(tc, test_missing_pieces);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_cli_real_run);
    suite_add_tcase(s, tc);
    tc = tcase_create("notebooks");
    tcase_set_timeout(tc, 300); /* four kernels start: about 15 s natively */
    tcase_add_test(tc, test_screenshot);
    tcase_add_test(tc, test_notebooks);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(report_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
