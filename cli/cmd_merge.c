/* cmd_merge.c -- `qunsim merge OUT.db IN.db...`: gather the databases of the
 * shards of a batch (`--shard i/N`) into one, the same as the unsharded
 * run's.  The work is analysis/batchdb.c's bdb_merge. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "batchdb.h"
#include "cmd.h"
#include "store.h"

static void report(void *ctx, const char *line)
{
    if (!*(int *)ctx) fprintf(stderr, "merge: %s\n", line);
}

static void remove_db(const char *path)
{
    static const char *const ext[] = {"", "-wal", "-shm", "-journal"};
    char p[4096];
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", path, ext[i]);
        unlink(p);
    }
}

/* merge copies batches of qunsim run and sweep only: say what else an input
 * held (imported logs, forecasts), rather than drop it silently. */
static void left_out(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT kind, count(*) FROM batches WHERE kind NOT IN ('run', 'sweep') GROUP BY kind ORDER BY kind",
                           -1, &q, NULL) == SQLITE_OK)
        while (sqlite3_step(q) == SQLITE_ROW)
            fprintf(stderr, "qunsim: merge: warning: %s: %d batch(es) of kind '%s' left out (merge copies run and sweep "
                            "batches only; import logs into OUT.db again if it needs them)\n",
                    path, sqlite3_column_int(q, 1), (const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    sqlite3_close(db);
}

int cmd_merge(int argc, char **argv)
{
    const char *out = NULL;
    const char *in[4096];
    int nin = 0, quiet = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: qunsim merge OUT.db IN.db...\n"
                   "  Merge the batches of the IN databases (shards of `qunsim run|sweep --shard I/N`)\n"
                   "  into OUT.db (created if absent).  Shards of one batch become one batch, identical\n"
                   "  to the unsharded run's; tasks already in OUT.db are skipped.  Batches of other\n"
                   "  kinds (imported logs, forecasts) are not merged: a warning names them.  A failed\n"
                   "  merge leaves no OUT.db it created.\n"
                   "  --quiet    no per-batch report on stderr\n");
            return QS_EXIT_OK;
        }
        if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) quiet = 1;
        else if (argv[i][0] == '-') {
            fprintf(stderr, "qunsim: merge: unknown option '%s'\n", argv[i]);
            return QS_EXIT_USAGE;
        } else if (!out) out = argv[i];
        else if (nin < (int)(sizeof in / sizeof in[0])) in[nin++] = argv[i];
        else {
            fprintf(stderr, "qunsim: merge: too many inputs\n");
            return QS_EXIT_USAGE;
        }
    }
    if (!out || nin == 0) {
        fprintf(stderr, "usage: qunsim merge OUT.db IN.db...\n");
        return QS_EXIT_USAGE;
    }
    char err[2048];
    store_t *st = NULL;
    /* OUT.db is created if absent (or empty); a merge that fails removes
     * what it created, so no empty database is left behind */
    struct stat sb;
    int created = stat(out, &sb) != 0 || (S_ISREG(sb.st_mode) && sb.st_size == 0);
    if (store_open(&st, out, err, sizeof err) != 0) {
        fprintf(stderr, "qunsim: %s\n", err);
        if (created) remove_db(out);
        return QS_EXIT_FAIL;
    }
    int rc = bdb_merge(st, in, nin, report, &quiet, err, sizeof err);
    if (rc) fprintf(stderr, "qunsim: %s\n", err);
    store_close(st);
    if (rc && created) remove_db(out);
    if (!rc)
        for (int i = 0; i < nin; i++) left_out(in[i]);
    return rc ? QS_EXIT_FAIL : QS_EXIT_OK;
}
