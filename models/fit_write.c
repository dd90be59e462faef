/* fit_write.c -- the scenario file of a calibration (fit_write_scenario): a
 * libconfig scenario of the fitted settings, each with its standard error
 * and how it was found as comments, so that a reader sees what the log
 * said and what was fixed.  Apart from the estimators and the calibration:
 * the file's format changes for reasons of its own. */
#include "fit.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cal.h"
#include "cfgwrite.h"
#include "fit_internal.h"
#include "opt.h"

static void num(FILE *f, double v, int integer)
{
    if (integer) { fprintf(f, "%lld", (long long)llround(v)); return; }
    char b[64];
    snprintf(b, sizeof b, "%.6g", v);
    if (!strpbrk(b, ".eEn")) strcat(b, ".0"); /* libconfig: a float needs a point */
    fputs(b, f);
}

static void date_of(int64_t ts, int32_t off, char *buf)
{
    int64_t y;
    unsigned m, d;
    cal_civil_from_days(epoch_day(ts, off), &y, &m, &d);
    snprintf(buf, 16, "%04lld-%02u-%02u", (long long)y, m, d);
}

static void vec(FILE *f, const char *name, const double *v, const double *se, int n)
{
    fprintf(f, "  %s = [", name);
    for (int i = 0; i < n; i++) {
        if (i) fputs(", ", f);
        num(f, v[i], 0);
    }
    fputs("];\n  # +/- [", f);
    for (int i = 0; i < n; i++) fprintf(f, "%s%.2g", i ? ", " : "", se[i]);
    fputs("]\n", f);
}

int fit_write_scenario(const fit_result *r, const fit_log *log, const char *origin, int days, FILE *f)
{
    char d0[16], d1[16], start[16], off[16];
    date_of(r->from_ts, log->utc_offset, d0);
    date_of(r->to_ts - 1, log->utc_offset, d1);
    date_of(r->to_ts, log->utc_offset, start);
    cal_offset_str(log->utc_offset, off, sizeof off);
    fprintf(f, "# Calibrated from a live log by qunsim calibrate --live (docs/calibration.md).\n");
    if (origin) { /* a group name may hold a newline: it must not end the comment */
        fputs("# Log: ", f);
        cw_put_comment(f, origin);
        fputs("\n", f);
    }
    fprintf(f, "# Window: %s .. %s (%d days), %lld messages, %d members; own posts %.0f (%s).\n", d0, d1, r->days,
            (long long)r->messages, r->members_used, r->own_posts,
            r->replies_marked ? "replies linked in the log, left out" : "replies not linked: (1 - branching) x messages");
    fprintf(f, "# Values: maximum likelihood; \"+/-\" is the standard error from the observed Fisher information.\n");
    fprintf(f, "# The baseline is stationary: each member keeps the engagement it starts with (in a forecast:\n");
    fprintf(f, "# how recently and how much it spoke, time constant %g days, or the mean when leaving does not\n", r->eng_tau);
    fprintf(f, "# follow it; see members.leave_rate); campaigns in arms raise it for a while\n");
    fprintf(f, "# (members.engagement_tau).  Members present at a forecast's start come from the log\n");
    fprintf(f, "# (qunsim forecast --live); the settings below also describe newcomers.\n\n");
    /* scenario.name holds OPT_STR_MAX - 1 bytes: cut the group's name on a
     * character boundary to leave room for the suffix, then escape it */
    static const char suffix[] = " (calibrated)";
    char name[OPT_STR_MAX];
    size_t nl = cw_shorten(name, sizeof name, log->name[0] ? log->name : "live", OPT_STR_MAX - sizeof suffix);
    snprintf(name + nl, sizeof name - nl, "%s", suffix);
    fputs("scenario = {\n  name = ", f);
    cw_put_string(f, name);
    fprintf(f, ";\n  start = \"%s\";\n  utc_offset = \"%s\";\n  days = %d;\n  seed = 1;\n"
               "  reps = 50;\n  events = false;\n};\n",
            start, off, days);
    const char *open = NULL;
    size_t openlen = 0;
    for (int i = 0; i < r->nval; i++) {
        const fit_value *v = &r->val[i];
        const char *dot = strchr(v->path, '.');
        size_t plen = (size_t)(dot - v->path);
        if (!open || plen != openlen || strncmp(open, v->path, plen)) {
            if (open) fputs("};\n", f);
            fprintf(f, "\n%.*s = {\n", (int)plen, v->path);
            open = v->path;
            openlen = plen;
        }
        fprintf(f, "  %s = ", dot + 1);
        num(f, v->v, v->integer);
        fputs(";", f);
        if (isfinite(v->se)) fprintf(f, "  # +/- %.2g", v->se);
        if (v->note[0]) {
            fprintf(f, "%s ", isfinite(v->se) ? ";" : "  #");
            cw_put_comment(f, v->note);
        }
        if (v->kind == FIT_V_FIXED && !v->note[0]) fputs("  # fixed by the calibrated baseline", f);
        fputs("\n", f);
    }
    if (open) fputs("};\n", f);
    fputs("\ncadence = {\n  # relative activity (mean 1) of own posts by local hour and weekday (Monday first),\n"
          "  # from the messages the Hawkes fit takes for immigrants; +/- clustered by day\n", f);
    vec(f, "daily", r->daily, r->daily_se, 24);
    vec(f, "weekly", r->weekly, r->weekly_se, 7);
    if (r->day_cv > 0) {
        fprintf(f, "  day_cv = ");
        num(f, r->day_cv > 10 ? 10 : r->day_cv, 0);
        fprintf(f, ";  # day-to-day variation of the level of active speakers beyond chance (moments)\n");
    }
    if (r->level_step > 0) {
        double ls = r->level_step * sqrt((days / 7.0 + 1) / 2);
        fprintf(f, "  level_sd = ");
        num(f, ls > 5 ? 5 : ls, 0);
        fprintf(f, ";  # the level's drift: %.3g a week (weekly speakers beyond daily noise), over %d days\n", r->level_step, days);
    }
    fputs("};\n\noperator = {\n  hours = [];  # the operator's posts are in the observed rates\n  types = [];\n};\n", f);
    fputs("\narms = (\n  { name = \"baseline\"; }\n);\n", f);
    return ferror(f) ? -1 : 0;
}
