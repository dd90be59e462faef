/* cmd_merge.c -- `qunsim merge OUT.db IN.db...`: gather the databases of the
 * shards of a batch (`--shard i/N`) into one, the same as the unsharded
 * run's.  The work is analysis/batchdb.c's bdb_merge. */
#include <stdio.h>
#include <string.h>

#include "batchdb.h"
#include "cmd.h"
#include "store.h"

static void report(void *ctx, const char *line)
{
    if (!*(int *)ctx) fprintf(stderr, "merge: %s\n", line);
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
                   "  to the unsharded run's; tasks already in OUT.db are skipped.\n"
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
    if (store_open(&st, out, err, sizeof err) != 0) {
        fprintf(stderr, "qunsim: %s\n", err);
        return QS_EXIT_FAIL;
    }
    int rc = bdb_merge(st, in, nin, report, &quiet, err, sizeof err);
    if (rc) fprintf(stderr, "qunsim: %s\n", err);
    store_close(st);
    return rc ? QS_EXIT_FAIL : QS_EXIT_OK;
}
