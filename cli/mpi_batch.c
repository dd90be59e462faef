/* mpi_batch.c -- rank 0 writes, ranks 1.. compute (see mpi_batch.h).
 * Messages: a rank sends REQ once, then RESULT (packed runbuf) or FAIL (a
 * message) per task, each of which also asks for the next task; rank 0
 * answers with TASK (an int64 task index, -1 = stop).  Byte order: native,
 * as the ranks of one job share an architecture.
 */
#ifdef QS_MPI
#include "mpi_batch.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

enum { TAG_REQ = 1, TAG_TASK = 2, TAG_RESULT = 3, TAG_FAIL = 4 };

int qs_mpi_init(int *argc, char ***argv)
{
    int provided;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) return -1;
    if (qs_mpi_rank() > 0) {
        if (!freopen("/dev/null", "w", stdout)) return -1;
        if (!freopen("/dev/null", "w", stderr)) return -1;
    }
    return 0;
}

void qs_mpi_finalize(void) { MPI_Finalize(); }

int qs_mpi_rank(void)
{
    int r = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
}

int qs_mpi_size(void)
{
    int n = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    return n;
}

static void send_task(int rank, int64_t t)
{
    MPI_Send(&t, 1, MPI_INT64_T, rank, TAG_TASK, MPI_COMM_WORLD);
}

void qs_mpi_release(void)
{
    int n = qs_mpi_size();
    for (int i = 1; i < n; i++) {
        MPI_Status stt;
        MPI_Recv(NULL, 0, MPI_BYTE, MPI_ANY_SOURCE, TAG_REQ, MPI_COMM_WORLD, &stt);
        send_task(stt.MPI_SOURCE, -1);
    }
}

int qs_mpi_worker(const batch_opts *o)
{
    batch_worker *w = NULL;
    rb_t *buf = NULL;
    int ok = batch_worker_new(&w, o) == 0 && rb_new(&buf) == 0;
    char err[1024];
    MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_REQ, MPI_COMM_WORLD);
    for (;;) {
        int64_t t;
        MPI_Recv(&t, 1, MPI_INT64_T, 0, TAG_TASK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (t < 0) break;
        unsigned char *bytes = NULL;
        size_t n = 0;
        if (!ok) snprintf(err, sizeof err, "rank %d: out of memory", qs_mpi_rank());
        else if (batch_compute(w, t, buf, err, sizeof err) == 0) {
            if (rb_pack(buf, &bytes, &n)) snprintf(err, sizeof err, "task %lld: out of memory", (long long)t);
            else if (n > INT_MAX) snprintf(err, sizeof err, "task %lld: %zu bytes is too large a message", (long long)t, n);
            else {
                MPI_Send(bytes, (int)n, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
                free(bytes);
                continue;
            }
        }
        free(bytes);
        MPI_Send(err, (int)strlen(err) + 1, MPI_CHAR, 0, TAG_FAIL, MPI_COMM_WORLD);
    }
    rb_free(buf);
    batch_worker_free(w);
    return ok ? 0 : -1;
}

enum { SLOT_FREE, SLOT_BUSY, SLOT_READY, SLOT_FAILED };

typedef struct mslot {
    rb_t *buf;
    int state;
    char err[1024];
} mslot;

int qs_mpi_writer(const batch_opts *o, batch_result *res, char *err, size_t errlen)
{
    int size = qs_mpi_size(), nw = size - 1, rc = 0, halt = 0;
    memset(res, 0, sizeof *res);
    err[0] = '\0';
    res->todo = batch_todo(o);
    int window = o->window > 0 ? o->window : 2 * nw + 2;
    if (window < nw) window = nw;
    mslot *slots = calloc((size_t)window, sizeof *slots);
    int64_t *assigned = calloc((size_t)size, sizeof *assigned);
    int *idle = calloc((size_t)size, sizeof *idle);
    int nidle = 0, active = nw;
    int64_t next_t = batch_next(o, 0), dispatched = 0, committed = 0;
    if (!slots || !assigned || !idle) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
        halt = 1;
    }
    for (int i = 0; !halt && i < window; i++)
        if (rb_new(&slots[i].buf)) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
            halt = 1;
        }
    while (active > 0) {
        MPI_Status stt;
        MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &stt);
        int src = stt.MPI_SOURCE, n = 0;
        if (stt.MPI_TAG == TAG_REQ) {
            MPI_Recv(NULL, 0, MPI_BYTE, src, TAG_REQ, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else if (stt.MPI_TAG == TAG_RESULT || stt.MPI_TAG == TAG_FAIL) {
            MPI_Get_count(&stt, MPI_BYTE, &n);
            unsigned char *bytes = malloc((size_t)n + 1);
            if (!bytes) {
                /* cannot even receive: take it into nothing and fail */
                MPI_Recv(NULL, 0, MPI_BYTE, src, stt.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                if (!halt) snprintf(err, errlen, "out of memory receiving a result");
                rc = -1;
                halt = 1;
            } else {
                MPI_Recv(bytes, n, MPI_BYTE, src, stt.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                if (!halt) {
                    mslot *s = &slots[assigned[src] % window];
                    if (stt.MPI_TAG == TAG_FAIL) {
                        bytes[n] = '\0';
                        snprintf(s->err, sizeof s->err, "rank %d: %s", src, (char *)bytes);
                        s->state = SLOT_FAILED;
                    } else if (rb_unpack(s->buf, bytes, (size_t)n)) {
                        snprintf(s->err, sizeof s->err, "rank %d: a malformed result (%d bytes)", src, n);
                        s->state = SLOT_FAILED;
                    } else
                        s->state = SLOT_READY;
                }
                free(bytes);
            }
        } else {
            MPI_Recv(NULL, 0, MPI_BYTE, src, stt.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            continue;
        }
        idle[nidle++] = src;
        /* commit what is ready, in task order */
        while (!halt && committed < dispatched) {
            mslot *s = &slots[committed % window];
            if (s->state == SLOT_BUSY) break;
            if (s->state == SLOT_FAILED) {
                snprintf(err, errlen, "%s", s->err);
                rc = -1;
                halt = 1;
                break;
            }
            if (batch_commit(o, s->buf, err, errlen)) {
                rc = -1;
                halt = 1;
                break;
            }
            s->state = SLOT_FREE;
            committed++;
            res->done++;
        }
        int stop = halt || (o->stop && *o->stop);
        while (nidle > 0) {
            if (stop || next_t < 0) {
                send_task(idle[--nidle], -1);
                active--;
                continue;
            }
            if (dispatched - committed >= window) break;
            int w = idle[--nidle];
            int64_t j = dispatched++;
            slots[j % window].state = SLOT_BUSY;
            assigned[w] = j;
            send_task(w, next_t);
            next_t = batch_next(o, next_t + 1);
        }
    }
    if (rc == 0 && o->stop && *o->stop && res->done < res->todo) res->stopped = 1;
    if (slots)
        for (int i = 0; i < window; i++) rb_free(slots[i].buf);
    free(slots);
    free(assigned);
    free(idle);
    return rc;
}
#else
/* The plain build has no MPI: this file is empty there. */
typedef int qs_mpi_batch_unused;
#endif
