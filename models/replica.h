/* replica.h -- one replication of one arm: engine + community model +
 * metrics, optionally written to the results store in one transaction.
 * The unit of work that `qunsim run`, sweeps, threads and MPI ranks hand out.
 */
#ifndef QS_REPLICA_H
#define QS_REPLICA_H

#include <stdint.h>

#include "community.h"
#include "metrics.h"
#include "runbuf.h"
#include "scenario.h"
#include "store.h"

typedef struct rep_opts {
    store_t *store;     /* NULL: nothing is stored */
    int store_events;   /* also write the event log */
    int64_t batch_id;   /* batches row of this replication */
    int point;          /* sweep point (0 for a plain run) */
    int64_t run_id;     /* runs.run_id to use; 0 = next free */
    const char *settings; /* effective settings text for runs.settings (NULL: computed) */
    rb_t *buf;          /* non-NULL (and store NULL): the run's rows go to this
                           buffer instead (reset first), for a writer to
                           rb_commit later; the same rows the store would get */
} rep_opts;

/* Run replication `rep` of arm `arm` of scenario sc.  On success returns 0,
 * gives the finished metrics in *met (caller frees with met_close) and the
 * model's counters in *stats (may be NULL).  On failure returns -1 with a
 * message in err; nothing of this replication stays in the store. */
int rep_run(const scenario *sc, int arm, int rep, const rep_opts *o,
            met_t **met, com_stats *stats, char *err, size_t errlen);

#endif
