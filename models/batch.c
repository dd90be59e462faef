/* batch.c -- the task runner: one thread streaming into the store, or
 * worker threads computing into buffers and the calling thread committing
 * them in task order.  Memory: at most `window` buffers (one replication's
 * rows each) plus one scenario copy per worker; nothing grows with the batch.
 */
#include "batch.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "replica.h"

struct batch_worker {
    const batch_opts *o;
    scenario *sc;    /* base with the current point's settings */
    int point;       /* point sc holds, -1 none */
    double *vals;    /* nvalues scratch */
};

static int in_run(const batch_opts *o, int64_t t)
{
    if (o->nshards > 1 && t % o->nshards != o->shard) return 0;
    if (o->skip && (o->skip[t / 8] & (1u << (t % 8)))) return 0;
    return 1;
}

int64_t batch_next(const batch_opts *o, int64_t t)
{
    int64_t n = task_count(o->plan);
    if (t < 0) t = 0;
    if (o->nshards > 1 && t % o->nshards != o->shard) {
        /* jump to the shard's next index */
        int64_t r = t % o->nshards;
        t += (o->shard - r + o->nshards) % o->nshards;
    }
    for (; t < n; t += o->nshards > 1 ? o->nshards : 1)
        if (in_run(o, t)) return t;
    return -1;
}

int64_t batch_todo(const batch_opts *o)
{
    int64_t k = 0;
    for (int64_t t = batch_next(o, 0); t >= 0; t = batch_next(o, t + 1)) k++;
    return k;
}

int batch_worker_new(batch_worker **out, const batch_opts *o)
{
    batch_worker *w = calloc(1, sizeof *w);
    *out = NULL;
    if (!w) return -1;
    w->o = o;
    w->point = -1;
    w->sc = malloc(sizeof *w->sc);
    w->vals = malloc(sizeof(double) * (size_t)(o->nvalues > 0 ? o->nvalues : 1));
    if (!w->sc || !w->vals) {
        batch_worker_free(w);
        return -1;
    }
    *out = w;
    return 0;
}

void batch_worker_free(batch_worker *w)
{
    if (!w) return;
    free(w->sc);
    free(w->vals);
    free(w);
}

/* Name of task t for messages. */
static void task_name(const batch_opts *o, int64_t t, char *buf, size_t n)
{
    int point, k, rep;
    task_decode(o->plan, t, &point, &k, &rep);
    const char *arm = o->sc->arms[task_arm(o->plan, k)].name;
    if (task_npoints(o->plan) > 1)
        snprintf(buf, n, "task %lld (arm %s, point %d, replication %d)", (long long)t, arm, point, rep);
    else
        snprintf(buf, n, "task %lld (arm %s, replication %d)", (long long)t, arm, rep);
}

/* Run task t with rep_opts ro (store or buffer chosen by the caller); the
 * values into w->vals.  0 or -1 with a message. */
static int run_task(batch_worker *w, int64_t t, rep_opts *ro, char *err, size_t errlen)
{
    const batch_opts *o = w->o;
    int point, k, rep;
    char e[1024], name[256];
    task_decode(o->plan, t, &point, &k, &rep);
    if (w->point != point) {
        if (task_apply(o->plan, point, o->sc, w->sc, e, sizeof e)) {
            task_name(o, t, name, sizeof name);
            snprintf(err, errlen, "%s: %s", name, e);
            return -1;
        }
        w->point = point;
    }
    ro->store_events = o->store_events;
    ro->batch_id = o->db.batch_id;
    ro->point = point;
    ro->run_id = o->db.run_base + 1 + t;
    met_t *met = NULL;
    if (rep_run(w->sc, task_arm(o->plan, k), rep, ro, &met, NULL, e, sizeof e) != 0) {
        task_name(o, t, name, sizeof name);
        snprintf(err, errlen, "%s: %s", name, e);
        return -1;
    }
    int rc = 0;
    if (o->values && o->nvalues > 0 && o->values(o->ctx, t, met, w->vals) != 0) {
        task_name(o, t, name, sizeof name);
        snprintf(err, errlen, "%s: reading its metrics failed", name);
        rc = -1;
    }
    met_close(met);
    return rc;
}

int batch_compute(batch_worker *w, int64_t t, rb_t *buf, char *err, size_t errlen)
{
    rep_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.buf = w->o->store || w->o->keep_rows ? buf : NULL;
    rb_reset(buf);
    if (run_task(w, t, &ro, err, errlen)) return -1;
    if (rb_set_values(buf, w->vals, w->o->values ? w->o->nvalues : 0)) {
        snprintf(err, errlen, "task %lld: out of memory", (long long)t);
        return -1;
    }
    rb_set_tag(buf, t);
    return 0;
}

int batch_commit(const batch_opts *o, const rb_t *buf, char *err, size_t errlen)
{
    int64_t t = rb_tag(buf);
    if (o->store) {
        int rc = rb_commit(buf, o->store, o->db.run_base + 1 + t, o->db.batch_id);
        if (rc) {
            char name[256];
            task_name(o, t, name, sizeof name);
            if (rc == -2) snprintf(err, errlen, "%s: out of memory while buffering its rows", name);
            else snprintf(err, errlen, "%s", store_errmsg(o->store));
            return -1;
        }
    }
    int n;
    const double *v = rb_values(buf, &n);
    if (o->done) o->done(o->ctx, t, v);
    return 0;
}

/* ---- one thread: stream each replication straight into the store ------ */

static int run_serial(const batch_opts *o, batch_result *res, char *err, size_t errlen)
{
    batch_worker *w = NULL;
    if (batch_worker_new(&w, o)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    for (int64_t t = batch_next(o, 0); t >= 0; t = batch_next(o, t + 1)) {
        if (o->stop && *o->stop) {
            res->stopped = 1;
            break;
        }
        rep_opts ro;
        memset(&ro, 0, sizeof ro);
        ro.store = o->store;
        if (run_task(w, t, &ro, err, errlen)) {
            rc = -1;
            break;
        }
        res->done++;
        if (o->done) o->done(o->ctx, t, w->vals);
    }
    batch_worker_free(w);
    return rc;
}

/* ---- N threads: workers compute, the caller commits in order ---------- */

enum { SLOT_FREE, SLOT_BUSY, SLOT_READY, SLOT_FAILED };

typedef struct slot {
    rb_t *buf;
    int state;
    char err[1024];
} slot;

typedef struct pool {
    const batch_opts *o;
    pthread_mutex_t mu;
    pthread_cond_t cv_work;  /* a worker may take a task (window space, or halt) */
    pthread_cond_t cv_ready; /* a slot changed state */
    int64_t next_t;          /* next task to hand out, -1 none */
    int64_t dispatched;      /* tasks handed out (their positions 0..dispatched-1) */
    int64_t committed;       /* positions committed */
    int window;
    slot *slots;
    int halt;                /* an error: hand out nothing more */
} pool;

typedef struct wctx {
    pool *p;
    batch_worker *w;
} wctx;

static int stopping(const pool *p) { return p->halt || (p->o->stop && *p->o->stop); }

static void *worker_main(void *arg)
{
    wctx *c = arg;
    pool *p = c->p;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!stopping(p) && p->next_t >= 0 && p->dispatched - p->committed >= p->window)
            pthread_cond_wait(&p->cv_work, &p->mu);
        if (stopping(p) || p->next_t < 0) break;
        int64_t t = p->next_t, j = p->dispatched++;
        p->next_t = batch_next(p->o, t + 1);
        slot *s = &p->slots[j % p->window];
        s->state = SLOT_BUSY;
        pthread_mutex_unlock(&p->mu);
        char err[1024];
        int rc = batch_compute(c->w, t, s->buf, err, sizeof err);
        pthread_mutex_lock(&p->mu);
        if (rc) snprintf(s->err, sizeof s->err, "%s", err);
        s->state = rc ? SLOT_FAILED : SLOT_READY;
        pthread_cond_broadcast(&p->cv_ready);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static int run_threads(const batch_opts *o, batch_result *res, char *err, size_t errlen)
{
    pool p;
    memset(&p, 0, sizeof p);
    p.o = o;
    p.next_t = batch_next(o, 0);
    int nw = o->threads;
    if ((int64_t)nw > res->todo) nw = (int)res->todo;
    p.window = o->window > 0 ? o->window : 2 * o->threads + 2;
    if (p.window < nw) p.window = nw;
    pthread_t *tid = calloc((size_t)nw, sizeof *tid);
    wctx *wc = calloc((size_t)nw, sizeof *wc);
    p.slots = calloc((size_t)p.window, sizeof *p.slots);
    int started = 0, rc = -1;
    if (!tid || !wc || !p.slots) goto oom;
    for (int i = 0; i < p.window; i++)
        if (rb_new(&p.slots[i].buf)) goto oom;
    for (int i = 0; i < nw; i++) {
        wc[i].p = &p;
        if (batch_worker_new(&wc[i].w, o)) goto oom;
    }
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv_work, NULL);
    pthread_cond_init(&p.cv_ready, NULL);
    for (; started < nw; started++) {
        int e = pthread_create(&tid[started], NULL, worker_main, &wc[started]);
        if (e) {
            snprintf(err, errlen, "cannot start thread %d: %s", started + 1, strerror(e));
            pthread_mutex_lock(&p.mu);
            p.halt = 1;
            pthread_cond_broadcast(&p.cv_work); /* wake workers waiting for room */
            pthread_mutex_unlock(&p.mu);
            goto join;
        }
    }
    rc = 0;
    pthread_mutex_lock(&p.mu);
    for (;;) {
        if (p.committed == p.dispatched && (stopping(&p) || p.next_t < 0)) break;
        slot *s = &p.slots[p.committed % p.window];
        if (p.committed < p.dispatched && s->state == SLOT_READY) {
            pthread_mutex_unlock(&p.mu);
            int crc = batch_commit(o, s->buf, err, errlen);
            pthread_mutex_lock(&p.mu);
            if (crc) {
                rc = -1;
                p.halt = 1;
                break;
            }
            s->state = SLOT_FREE;
            p.committed++;
            res->done++;
            pthread_cond_broadcast(&p.cv_work);
            continue;
        }
        if (p.committed < p.dispatched && s->state == SLOT_FAILED) {
            snprintf(err, errlen, "%s", s->err);
            rc = -1;
            p.halt = 1;
            break;
        }
        /* wait for the next slot; wake now and then to pass a stop on */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&p.cv_ready, &p.mu, &ts);
        if (stopping(&p)) pthread_cond_broadcast(&p.cv_work);
    }
    if (o->stop && *o->stop && res->done < res->todo) res->stopped = 1;
    p.halt = 1;
    pthread_cond_broadcast(&p.cv_work);
    pthread_mutex_unlock(&p.mu);
join:
    for (int i = 0; i < started; i++) pthread_join(tid[i], NULL);
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.cv_work);
    pthread_cond_destroy(&p.cv_ready);
    goto out;
oom:
    snprintf(err, errlen, "out of memory");
out:
    if (p.slots)
        for (int i = 0; i < p.window; i++) rb_free(p.slots[i].buf);
    if (wc)
        for (int i = 0; i < nw; i++) batch_worker_free(wc[i].w);
    free(p.slots);
    free(wc);
    free(tid);
    return rc;
}

int batch_run(const batch_opts *o, batch_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    err[0] = '\0';
    if (o->nvalues < 0 || o->nvalues > BATCH_MAX_VALUES || (o->nvalues > 0 && !o->values)) {
        snprintf(err, errlen, "batch: bad number of values %d", o->nvalues);
        return -1;
    }
    if (o->nshards > 1 && (o->shard < 0 || o->shard >= o->nshards)) {
        snprintf(err, errlen, "batch: shard %d of %d", o->shard, o->nshards);
        return -1;
    }
    res->todo = batch_todo(o);
    if (res->todo == 0) return 0;
    if (o->threads <= 1) return run_serial(o, res, err, errlen);
    return run_threads(o, res, err, errlen);
}
