/* cmd_metrics.c -- `qunsim metrics DB`: the metric catalogue of every run (or
 * the chosen ones) of a results database, simulated or imported alike, by
 * the same code the simulator measures itself with. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "jsonout.h"
#include "cmd.h"
#include "cal.h"
#include "measure.h"
#include "store.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: qunsim metrics DB [--run ID | --batch ID] [--group G] [--from YYYY-MM-DD] [--to YYYY-MM-DD]\n"
               "                     [--daily] [--bots] [--format table|csv|json]\n"
               "  the metric catalogue (analysis/METRICS.md) of each run: whole-window values, or with\n"
               "  --daily the daily series; --group takes a group id or name; --bots counts bots as speakers\n");
}

typedef struct pctx { const char *fmt; int64_t run; const char *arm; int rep; int daily; int n; const msr_window *w; } pctx;

static int print_row(void *arg, int32_t group, int64_t day, const char *metric, double v)
{
    pctx *c = arg;
    if ((day >= 0) != (c->daily != 0)) return 0;
    char date[16] = "";
    if (day >= 0) cal_ts_date_str(c->w->start_ts + day * 86400, c->w->utc_offset, date);
    if (!strcmp(c->fmt, "csv")) {
        printf("%" PRId64 ",", c->run);
        csv_str(c->arm);
        printf(",%d,%d,%s%s%s,", c->rep, group, date, c->daily ? "," : "", metric);
        if (isnan(v)) printf("\n");
        else printf("%.10g\n", v);
    } else if (!strcmp(c->fmt, "json")) {
        printf("%s\n {\"run_id\": %" PRId64 ", \"arm\": ", c->n++ ? "," : "", c->run);
        json_str(c->arm);
        printf(", \"rep\": %d, \"group\": %d, ", c->rep, group);
        if (c->daily) printf("\"day\": \"%s\", ", date);
        printf("\"metric\": \"%s\", \"value\": ", metric);
        if (isnan(v)) printf("null}");
        else printf("%.10g}", v);
    } else {
        if (c->daily) printf("  %-10s %-5d %-24s ", date, group, metric);
        else printf("  %-5d %-24s ", group, metric);
        if (isnan(v)) printf("-\n");
        else printf("%.6g\n", v);
    }
    return 0;
}

static int group_in_run(sqlite3 *db, int64_t run, int32_t group)
{
    sqlite3_stmt *q = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM groups WHERE run_id = ?1 AND group_id = ?2 UNION ALL "
                               "SELECT 1 FROM events WHERE run_id = ?1 AND group_id = ?2 LIMIT 1", -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, run);
        sqlite3_bind_int(q, 2, group);
        found = sqlite3_step(q) == SQLITE_ROW;
    }
    sqlite3_finalize(q);
    return found;
}

/* 1 if PATH-wal is absent or empty: the database file alone holds every
 * committed transaction. */
static int no_wal(const char *path)
{
    char w[4096];
    struct stat sb;
    snprintf(w, sizeof w, "%s-wal", path);
    return stat(w, &sb) != 0 || sb.st_size == 0;
}

/* Open a results database read-only and check it is one of this schema
 * version (the other commands refuse another version; so does this one).
 * A WAL database in a directory qunsim cannot write (no -shm can be made)
 * is opened as immutable when no -wal holds transactions: reading needs no
 * write.  0, or -1 with a message. */
static int open_readonly(const char *path, sqlite3 **out, char *err, size_t n)
{
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0) { snprintf(err, n, "%s: %s", path, strerror(errno)); return -1; }
    if (!S_ISREG(sb.st_mode)) { snprintf(err, n, "%s: not a regular file: not a results database", path); return -1; }
    sqlite3 *db = NULL;
    sqlite3_int64 ver = -1;
    for (int attempt = 0; attempt < 2; attempt++) {
        char uri[8192];
        size_t k = (size_t)snprintf(uri, sizeof uri, "file:");
        for (const unsigned char *p = (const unsigned char *)path; *p && k + 4 < sizeof uri; p++) {
            if (*p == '%' || *p == '?' || *p == '#' || *p < 0x20) k += (size_t)snprintf(uri + k, sizeof uri - k, "%%%02X", *p);
            else uri[k++] = (char)*p;
        }
        snprintf(uri + k, sizeof uri - k, "%s", attempt ? "?immutable=1" : "?mode=ro");
        int rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
        sqlite3_stmt *q = NULL;
        if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL);
        if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
            ver = sqlite3_column_int64(q, 0);
            rc = SQLITE_OK;
        }
        sqlite3_finalize(q);
        if (rc == SQLITE_OK) break;
        int code = sqlite3_extended_errcode(db) & 0xff;
        if (attempt == 0 && (code == SQLITE_CANTOPEN || code == SQLITE_READONLY) && no_wal(path)) {
            sqlite3_close(db);
            db = NULL;
            continue; /* a WAL database in a read-only directory */
        }
        snprintf(err, n, "%s: %s%s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc),
                 code == SQLITE_CANTOPEN && !no_wal(path) ? " (a WAL database with transactions in its -wal file, "
                                                            "in a directory qunsim cannot write)" : "");
        sqlite3_close(db);
        return -1;
    }
    if (ver != STORE_SCHEMA_VERSION) {
        if (ver == 0) snprintf(err, n, "%s: not a qunsim results database (no schema version)", path);
        else snprintf(err, n, "%s: schema version %lld, but this qunsim (%s) reads version %d; use the matching qunsim",
                      path, (long long)ver, QS_VERSION, STORE_SCHEMA_VERSION);
        sqlite3_close(db);
        return -1;
    }
    *out = db;
    return 0;
}

int cmd_metrics(int argc, char **argv)
{
    const char *dbpath = NULL, *format = "table", *gname = NULL;
    msr_opts o = {0, NULL, NULL, 0};
    int64_t run = 0, batch = 0;
    int daily = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return QS_EXIT_OK; }
        else if (!strcmp(a, "--daily")) daily = 1;
        else if (!strcmp(a, "--bots")) o.count_bots = 1;
        else if (!strcmp(a, "--run") && v) { errno = 0; run = strtoll(v, &end, 10); i++; if (*end || errno || run <= 0) { fprintf(stderr, "qunsim metrics: bad --run\n"); return QS_EXIT_USAGE; } }
        else if (!strcmp(a, "--batch") && v) { errno = 0; batch = strtoll(v, &end, 10); i++; if (*end || errno || batch <= 0) { fprintf(stderr, "qunsim metrics: bad --batch\n"); return QS_EXIT_USAGE; } }
        else if (!strcmp(a, "--group") && v) { gname = v; i++; }
        else if (!strcmp(a, "--from") && v) { o.from = v; i++; }
        else if (!strcmp(a, "--to") && v) { o.to = v; i++; }
        else if (!strcmp(a, "--format") && v) {
            format = v; i++;
            if (strcmp(format, "table") && strcmp(format, "csv") && strcmp(format, "json")) { fprintf(stderr, "qunsim metrics: --format must be table, csv or json\n"); return QS_EXIT_USAGE; }
        }
        else if (a[0] == '-') { fprintf(stderr, "qunsim metrics: unknown option or missing value '%s'\n", a); usage(stderr); return QS_EXIT_USAGE; }
        else if (!dbpath) dbpath = a;
        else { fprintf(stderr, "qunsim metrics: unexpected argument '%s'\n", a); return QS_EXIT_USAGE; }
    }
    if (!dbpath) { usage(stderr); return QS_EXIT_USAGE; }
    sqlite3 *db = NULL;
    char oerr[1024];
    if (open_readonly(dbpath, &db, oerr, sizeof oerr) != 0) {
        fprintf(stderr, "qunsim metrics: %s\n", oerr);
        return QS_EXIT_USAGE;
    }
    int rc = QS_EXIT_FAIL;
    sqlite3_stmt *st = NULL;
    int gseen = 0; /* runs holding --group */
    const char *q = "SELECT run_id, COALESCE(arm, ''), rep FROM runs WHERE (?1 = 0 OR run_id = ?1) AND (?2 = 0 OR batch_id = ?2) ORDER BY run_id";
    if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "qunsim metrics: %s: not a qunsim database (%s)\n", dbpath, sqlite3_errmsg(db));
        rc = QS_EXIT_USAGE;
        goto out;
    }
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_int64(st, 2, batch);
    if (!strcmp(format, "csv")) printf(daily ? "run_id,arm,rep,group,day,metric,value\n" : "run_id,arm,rep,group,metric,value\n");
    if (!strcmp(format, "json")) printf("[");
    int nruns = 0, s, nrow = 0;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t rid = sqlite3_column_int64(st, 0);
        char arm[256];
        snprintf(arm, sizeof arm, "%s", (const char *)sqlite3_column_text(st, 1));
        int rep = sqlite3_column_int(st, 2);
        o.group = 0;
        if (gname) { /* a group id, or a name from the groups table */
            char *end;
            long gv = strtol(gname, &end, 10);
            if (!*end && gv > 0 && gv <= INT32_MAX) {
                o.group = (int32_t)gv;
                if (!group_in_run(db, rid, o.group)) continue; /* not in this run: no row of zeros */
            } else {
                sqlite3_stmt *gs = NULL;
                if (sqlite3_prepare_v2(db, "SELECT group_id FROM groups WHERE run_id = ? AND name = ?", -1, &gs, NULL) == SQLITE_OK) {
                    sqlite3_bind_int64(gs, 1, rid);
                    sqlite3_bind_text(gs, 2, gname, -1, SQLITE_STATIC);
                    if (sqlite3_step(gs) == SQLITE_ROW) o.group = sqlite3_column_int(gs, 0);
                }
                sqlite3_finalize(gs);
                if (!o.group) continue; /* not in this run */
            }
        }
        gseen += gname != NULL;
        met_t *m = NULL;
        msr_window w;
        char err[512];
        if (msr_run(db, rid, &o, &m, &w, err, sizeof err) != 0) {
            fprintf(stderr, "qunsim metrics: run %" PRId64 ": %s\n", rid, err);
            rc = strstr(err, "--from") || strstr(err, "--to") || strstr(err, "window") ? QS_EXIT_USAGE : QS_EXIT_FAIL;
            goto out;
        }
        if (!strcmp(format, "table")) {
            char d0[16], d1[16];
            cal_ts_date_str(w.start_ts, w.utc_offset, d0);
            cal_ts_date_str(w.start_ts + (int64_t)(w.ndays - 1) * 86400, w.utc_offset, d1);
            printf("%srun %" PRId64 " (arm %s, replication %d): %s .. %s, %d days\n", nruns ? "\n" : "", rid, arm, rep, d0, d1, w.ndays);
        }
        pctx c = {format, rid, arm, rep, daily, nrow, &w};
        met_emit(m, print_row, &c);
        nrow = c.n;
        met_close(m);
        nruns++;
    }
    if (s != SQLITE_DONE) { fprintf(stderr, "qunsim metrics: %s\n", sqlite3_errmsg(db)); goto out; }
    if (!strcmp(format, "json")) printf("\n]\n");
    if (nruns == 0 && gname && !gseen) {
        fprintf(stderr, "qunsim metrics: %s: no group \"%s\" (id or name) in the matching runs\n", dbpath, gname);
        rc = QS_EXIT_USAGE;
        goto out;
    }
    if (nruns == 0) { fprintf(stderr, "qunsim metrics: %s: no matching run\n", dbpath); rc = QS_EXIT_USAGE; goto out; }
    rc = QS_EXIT_OK;
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}
