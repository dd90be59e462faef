/* cmd_import.c -- `qunsim import FORMAT FILE... --db LIVE.db`: real chat logs
 * into the results schema, one run (arm 'live') per invocation, through
 * analysis/import.h.  Prints a summary on stdout, malformed rows on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cal.h"
#include "cmd.h"
#include "import.h"
#include "store.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: qunsim import FORMAT FILE... --db LIVE.db [--strict] [--group G] [--utc-offset +08:00]"
               " [--log-tz UTC] [--quiet]\n\n"
               "Imports chat logs into LIVE.db (created if needed) as one run with arm 'live'.\n"
               "The whole import is one transaction: on any error the database is left as it was.\n\n"
               "formats:\n");
    for (const imp_format_info *fi = imp_formats(); fi->name; fi++) fprintf(f, "  %-10s %s\n", fi->name, fi->help);
    fprintf(f, "\noptions:\n"
               "  --db FILE          the results database (required)\n"
               "  --strict           fail on the first malformed row (default: count, report, skip)\n"
               "  --group G          import only group G (its id or name in the log)\n"
               "  --utc-offset OFF   the group's local time, e.g. +08:00 (default): the local day\n"
               "                     boundary of the metrics, and times written without a zone\n"
               "  --log-tz OFF       the zone the log's times are written in, when not the group's\n"
               "                     (chatlog in Docker writes UTC: --log-tz UTC --utc-offset +08:00)\n"
               "  --quiet            print nothing on success\n"
               "See docs/import.md for columns, rules (questions, joins) and examples.\n");
}

/* YYYY-MM-DD of a day number (days since 1970-01-01). */
static void civil(int64_t z, char *buf, size_t n)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    snprintf(buf, n, "%04lld-%02lld-%02lld", (long long)(y + (m <= 2)), (long long)m, (long long)d);
}

static int64_t local_day(int64_t ts, int32_t off)
{
    int64_t t = ts + off;
    return t / 86400 - (t % 86400 < 0);
}

int cmd_import(int argc, char **argv)
{
    imp_opts o;
    imp_opts_init(&o);
    const char *db = NULL;
    int quiet = 0;
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    int nfiles = 0;
    if (!files) {
        fprintf(stderr, "qunsim import: out of memory\n");
        return QS_EXIT_FAIL;
    }
    /* the command line, for the batch row */
    size_t clen = 16;
    for (int i = 0; i < argc; i++) clen += strlen(argv[i]) + 1;
    char *command = malloc(clen);
    if (!command) {
        free(files);
        fprintf(stderr, "qunsim import: out of memory\n");
        return QS_EXIT_FAIL;
    }
    size_t cn = (size_t)snprintf(command, clen, "qunsim");
    for (int i = 0; i < argc; i++) cn += (size_t)snprintf(command + cn, clen - cn, " %s", argv[i]);
    o.command = command;

    int rc = QS_EXIT_USAGE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            rc = QS_EXIT_OK;
            goto out;
        } else if (!strcmp(a, "--strict")) {
            o.strict = 1;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            quiet = 1;
        } else if (!strcmp(a, "--db") || !strcmp(a, "--group") || !strcmp(a, "--utc-offset") ||
                   !strcmp(a, "--log-tz")) {
            if (!val) {
                fprintf(stderr, "qunsim import: %s needs a value\n", a);
                goto out;
            }
            i++;
            if (!strcmp(a, "--db")) {
                db = val;
            } else if (!strcmp(a, "--group")) {
                o.group = val;
            } else if (!strcmp(a, "--log-tz")) {
                if (cal_parse_offset(val, &o.log_tz)) {
                    fprintf(stderr, "qunsim import: --log-tz '%s': expected e.g. UTC, +08:00 or -05:30\n", val);
                    goto out;
                }
                o.has_log_tz = 1;
            } else if (cal_parse_offset(val, &o.utc_offset)) { /* the one offset rule: scenarios take what import takes */
                fprintf(stderr, "qunsim import: --utc-offset '%s': expected e.g. +08:00, -05:30 or UTC\n", val);
                goto out;
            }
        } else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "qunsim import: unknown option '%s' (see qunsim import --help)\n", a);
            goto out;
        } else if (!o.format) {
            o.format = a;
        } else {
            files[nfiles++] = a;
        }
    }
    if (!o.format || !nfiles || !db) {
        fprintf(stderr, "qunsim import: %s (see qunsim import --help)\n",
                !o.format ? "missing FORMAT" : !nfiles ? "missing FILE" : "missing --db FILE");
        goto out;
    }
    const imp_format_info *fi = imp_formats();
    while (fi->name && strcmp(fi->name, o.format)) fi++;
    if (!fi->name) {
        fprintf(stderr, "qunsim import: unknown format '%s' (csv, wechatmsg, chatlog, wecom, pywxdump)\n", o.format);
        goto out;
    }

    for (int i = 0; i < nfiles; i++) { /* a FIFO would block, a device never end: before the database is touched */
        struct stat sb;
        if (stat(files[i], &sb) == 0 && !S_ISREG(sb.st_mode)) {
            fprintf(stderr, "qunsim import: %s: not a regular file (a directory, FIFO or device): not a log\n", files[i]);
            goto out;
        }
    }
    char err[1024];
    store_t *st;
    if (store_open(&st, db, err, sizeof err)) {
        fprintf(stderr, "qunsim import: %s\n", err);
        rc = QS_EXIT_FAIL;
        goto out;
    }
    imp_stats s;
    int r = imp_import(st, &o, files, nfiles, &s, err, sizeof err);
    store_close(st);
    if (s.malformed && (r || !quiet)) {
        fprintf(stderr, "qunsim import: %lld malformed row%s%s\n", (long long)s.malformed,
                s.malformed == 1 ? "" : "s", r ? "" : " skipped");
        for (int i = 0; i < s.nbad; i++) fprintf(stderr, "  %s\n", s.bad[i]);
        if (s.malformed > s.nbad) fprintf(stderr, "  ... and %lld more\n", (long long)(s.malformed - s.nbad));
    }
    if (r) {
        fprintf(stderr, "qunsim import: %s\nqunsim import: nothing imported; %s is unchanged\n", err, db);
        rc = r == IMP_EINPUT ? QS_EXIT_USAGE : QS_EXIT_FAIL;
        goto out;
    }
    if (s.dedup_full)
        fprintf(stderr, "qunsim import: more than %u message ids: duplicate detection stopped after that many\n",
                (unsigned)IMP_DEDUP_MAX);
    if (local_day(s.last_ts, o.utc_offset) - local_day(s.first_ts, o.utc_offset) > 3660)
        fprintf(stderr, "qunsim import: warning: the log spans more than ten years: a stray timestamp (0, 1, a "
                        "seconds/milliseconds mix-up)?\n");
    if (!quiet) {
        char d0[48], d1[48];
        int64_t a = local_day(s.first_ts, o.utc_offset), b = local_day(s.last_ts, o.utc_offset);
        civil(a, d0, sizeof d0);
        civil(b, d1, sizeof d1);
        printf("imported %s into %s as run %lld: %lld events (%lld messages, %lld questions, %lld joins, "
               "%lld leaves), %lld groups%s, %lld members, %s .. %s (%lld days)\n",
               o.format, db, (long long)s.run_id, (long long)s.events, (long long)s.messages,
               (long long)s.questions, (long long)s.joins, (long long)s.leaves, (long long)s.groups,
               s.group_is_file ? " (group = file: the log has no group id)" : "",
               (long long)s.members, d0, d1, (long long)(b - a + 1));
        printf("rows %lld, malformed %lld, duplicates %lld, skipped %lld, out of order %lld\n", (long long)s.rows,
               (long long)s.malformed, (long long)s.duplicates, (long long)s.skipped, (long long)s.out_of_order);
        if (s.converted) printf("%d file(s) read as GB18030 (not UTF-8) and converted\n", s.converted);
    }
    rc = QS_EXIT_OK;
out:
    free(files);
    free(command);
    return rc;
}
