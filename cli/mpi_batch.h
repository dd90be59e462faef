/* mpi_batch.h -- qunsim-mpi: the tasks of a batch spread over MPI ranks.
 * Rank 0 opens the database and is the only writer; ranks 1.. compute the
 * tasks rank 0 hands out one at a time (dynamically: a rank asks again when
 * it sends a result) and send each buffer back as packed bytes (MPI_Send).
 * Rank 0 commits them in task order, holding at most a window of finished
 * buffers, so the database equals the single-process run's.
 * Compiled only in the MPI build (QS_MPI); the plain build has no MPI.
 */
#ifndef QS_MPI_BATCH_H
#define QS_MPI_BATCH_H

#include "batch.h"

/* MPI_Init (threads funneled) from main; ranks > 0 get stdout and stderr
 * on /dev/null (rank 0 prints; a rank's task errors are sent to it).
 * Returns 0 or -1. */
int qs_mpi_init(int *argc, char ***argv);
void qs_mpi_finalize(void);
int qs_mpi_rank(void);
int qs_mpi_size(void);

/* Rank 0: run the batch as batch_run() does, the computing done by ranks
 * 1..size-1; releases them at the end.  0 (res->stopped on a signal) or -1
 * with a message. */
int qs_mpi_writer(const batch_opts *o, batch_result *res, char *err, size_t errlen);
/* Ranks > 0: ask rank 0 for tasks and compute them until told to stop.
 * o->keep_rows must be set.  0, or -1 if this rank could not start. */
int qs_mpi_worker(const batch_opts *o);
/* Rank 0 on a failure before qs_mpi_writer: tell every rank to stop. */
void qs_mpi_release(void);

#endif
