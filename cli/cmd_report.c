/* cmd_report.c -- `qunsim report RESULTS.db --out DIR`: the HTML report with
 * PNG/SVG charts of one batch (analysis/report.h).  Prints the path of
 * index.html as the last line of stdout. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "community.h"
#include "report.h"

static void report_usage(FILE *f)
{
    fprintf(f,
            "usage: qunsim report RESULTS.db [options]\n"
            "  --out DIR        output directory (default: DIR/report beside RESULTS.db)\n"
            "  --batch ID       batch to report (default: the latest with simulated runs)\n"
            "  --point P        sweep point for the per-arm sections (default: the lowest)\n"
            "  --live RUN       run_id of the observed log (default: one in the batch, else the\n"
            "                   imported log with the most days just before the forecast)\n"
            "  --group G        group of the observed log (default: 0, all groups)\n"
            "  --no-svg         PNG only\n"
            "  --quiet          no progress or warnings on stderr\n"
            "Writes DIR/index.html (opens from the file system) and DIR/plots/; see docs/report.md.\n");
}

static int parse_i64(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

int cmd_report(int argc, char **argv)
{
    rpt_opts o = {0};
    o.point = -1;
    o.svg = 1;
    o.log = stderr;
    o.campaign_label = com_campaign_label;
    char defout[PATH_MAX + 16], cmdline[4096];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long long x;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { report_usage(stdout); return QS_EXIT_OK; }
        if (!strcmp(a, "--no-svg")) { o.svg = 0; continue; }
        if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) { o.log = NULL; continue; }
        if (a[0] == '-' && strcmp(a, "--out") && strcmp(a, "--batch") && strcmp(a, "--point") && strcmp(a, "--live") &&
            strcmp(a, "--group")) {
            fprintf(stderr, "qunsim report: unknown option '%s' (see qunsim report --help)\n", a);
            return QS_EXIT_USAGE;
        }
        if (a[0] != '-') {
            if (o.db_path) { fprintf(stderr, "qunsim report: unexpected argument '%s'\n", a); return QS_EXIT_USAGE; }
            o.db_path = a;
            continue;
        }
        if (!v) { fprintf(stderr, "qunsim report: option %s needs a value\n", a); return QS_EXIT_USAGE; }
        i++;
        if (!strcmp(a, "--out")) o.out_dir = v;
        else if (!strcmp(a, "--batch") && !parse_i64(v, 1, LLONG_MAX, &x)) o.batch_id = x;
        else if (!strcmp(a, "--point") && !parse_i64(v, 0, INT_MAX, &x)) o.point = (int)x;
        else if (!strcmp(a, "--live") && !parse_i64(v, 1, LLONG_MAX, &x)) o.live_run = x;
        else if (!strcmp(a, "--group") && !parse_i64(v, 0, INT_MAX, &x)) o.live_group = (int32_t)x;
        else { fprintf(stderr, "qunsim report: %s wants a non-negative integer, not '%s'\n", a, v); return QS_EXIT_USAGE; }
    }
    if (!o.db_path) {
        fprintf(stderr, "qunsim report: missing RESULTS.db\n");
        report_usage(stderr);
        return QS_EXIT_USAGE;
    }
    if (access(o.db_path, R_OK) != 0) {
        fprintf(stderr, "qunsim report: %s: %s\n", o.db_path, strerror(errno));
        return QS_EXIT_USAGE;
    }
    if (!o.out_dir) {
        const char *slash = strrchr(o.db_path, '/');
        if (slash) snprintf(defout, sizeof defout, "%.*s/report", (int)(slash - o.db_path), o.db_path);
        else snprintf(defout, sizeof defout, "report");
        o.out_dir = defout;
    }
    size_t k = 0;
    for (int i = 0; i < argc && k < sizeof cmdline - 1; i++)
        k += (size_t)snprintf(cmdline + k, sizeof cmdline - k, "%s%s", i ? " " : "qunsim ", argv[i]);
    o.command = cmdline;

    rpt_info info;
    char err[2048];
    if (rpt_build(&o, &info, err, sizeof err) != 0) {
        fprintf(stderr, "qunsim report: %s\n", err);
        return QS_EXIT_FAIL;
    }
    if (o.log)
        fprintf(stderr, "qunsim report: %d chart(s)%s%d warning(s)\n", info.nplots, o.svg ? " (PNG + SVG), " : ", ", info.nwarnings);
    printf("%s\n", info.index);
    return QS_EXIT_OK;
}
