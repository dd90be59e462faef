/* sim.h -- the discrete-event engine: simulated clock, event queue, run loop.
 *
 * The engine knows no model.  A model schedules events that carry a handler
 * (a function pointer), a context pointer and a small inline payload; the run
 * loop pops them in a total order and calls the handler.
 *
 * Event order is total and documented, so that a run reproduces bit for bit:
 *   1. earlier time first;
 *   2. at equal time, smaller priority value first;
 *   3. at equal time and priority, earlier insertion (schedule call) first.
 *
 * Memory: events live in a pool that grows geometrically and is reused through
 * a free list, so the steady state does no malloc per event.  Cancelled events
 * are removed lazily (the queue entry is skipped when it surfaces); when dead
 * entries outnumber live ones (and exceed 1024) they are all purged at once,
 * so memory stays O(peak pending).  Nothing shrinks before sim_close.
 * Limits: 2^31 simultaneous events; 2^48 schedule calls per engine (the
 * insertion counter is 48 bits; beyond, sim_schedule fails); an id's
 * generation is 32 bits, so an id could alias only after 2^32 reuses of one
 * slot while the id is still held.
 * An engine is single-threaded; two engines are independent (no globals).
 * See docs/engine.md.
 */
#ifndef QS_SIM_H
#define QS_SIM_H

#include <stddef.h>
#include <stdint.h>

typedef struct sim sim_t;

/* An event id: nonzero for a scheduled event; 0 means "none" / error. */
typedef uint64_t sim_id;

/* What a handler sees of the event that fired. */
typedef struct sim_event {
    double t;      /* firing time, seconds since the scenario start */
    sim_id id;     /* id returned by sim_schedule */
    void *ctx;     /* context given at scheduling */
    int64_t a, b;  /* inline payload, meaning chosen by the model */
    double x;      /* inline payload */
} sim_event;

typedef void (*sim_handler)(sim_t *s, const sim_event *ev);

/* Queue implementations behind the same interface.  All give exactly the
 * same order, so the choice changes speed and memory, never results. */
typedef enum sim_queue_kind {
    SIM_QUEUE_AUTO = 0,     /* default: the heap, switching once for good to the
                               ladder when more than 16384 events are queued
                               (or from the start if initial_events says so) */
    SIM_QUEUE_HEAP = 1,     /* implicit 4-ary min-heap */
    SIM_QUEUE_CALENDAR = 2  /* ladder queue (a self-tuning calendar queue) */
} sim_queue_kind;

typedef struct sim_opts {
    sim_queue_kind queue;  /* which queue implementation (0: SIM_QUEUE_AUTO) */
    size_t initial_events; /* capacity hint for the event pool (0: default) */
    size_t max_pending;    /* resource guard: scheduling beyond this many pending
                              events fails (sim_errmsg says so); 0: no limit */
} sim_opts;

/* Create an engine at time 0.  opts may be NULL (defaults: auto, 1024).
 * Returns 0 and writes *out, or -1 on allocation failure or an unknown
 * queue kind (*out = NULL).
 * The caller owns the engine and frees it with sim_close(). */
int sim_open(sim_t **out, const sim_opts *opts);

/* Set the resource guard of sim_opts.max_pending (0: no limit) on an open
 * engine, keeping the default queue. */
void sim_set_max_pending(sim_t *s, size_t n);

/* Free the engine and every pending event.  Accepts NULL. */
void sim_close(sim_t *s);

/* Schedule handler h to fire at now + delay with the given priority
 * (-32768..32767, smaller fires first at equal time).  The payload (ctx, a,
 * b, x) is copied into the event.  Returns the event id, or 0 if delay is
 * negative or not finite, priority is out of range, memory ran out, or
 * opts.max_pending events are already pending (see sim_errmsg). */
sim_id sim_schedule(sim_t *s, double delay, int prio, sim_handler h,
                    void *ctx, int64_t a, int64_t b, double x);

/* Same, at an absolute time t >= now. */
sim_id sim_schedule_at(sim_t *s, double t, int prio, sim_handler h,
                       void *ctx, int64_t a, int64_t b, double x);

/* Cancel a pending event.  Returns 0 if it was pending and is now cancelled,
 * -1 if the id is 0, unknown, already fired (including the event whose
 * handler is running) or already cancelled.  An id names one scheduling:
 * it stays dead after its event fired or was cancelled, even when its pool
 * slot serves a later event. */
int sim_cancel(sim_t *s, sim_id id);

/* Run events in order while their time is <= t_end (events at exactly t_end
 * do fire), then set the clock to t_end if t_end is finite and later than
 * now (t_end <= now or NaN fires nothing and leaves the clock alone).
 * If a handler calls sim_stop(), returns after that handler with the clock
 * at its event's time.  Not reentrant: called from a handler it returns 0
 * and sets the error message.  Returns the number of events fired. */
uint64_t sim_run_until(sim_t *s, double t_end);

/* Ask the running loop to return after the current handler.  Outside a run
 * it has no effect (each sim_run_until starts afresh). */
void sim_stop(sim_t *s);

/* Current simulated time (seconds since start). */
double sim_now(const sim_t *s);

/* Number of pending (scheduled, not fired, not cancelled) events. */
size_t sim_pending(const sim_t *s);

/* Total events fired since sim_open. */
uint64_t sim_fired(const sim_t *s);

/* Last error message ("" if none).  Owned by the engine. */
const char *sim_errmsg(const sim_t *s);

/* The queue implementation the engine uses now: SIM_QUEUE_HEAP or
 * SIM_QUEUE_CALENDAR (an auto engine reports the one it is on). */
sim_queue_kind sim_queue(const sim_t *s);

/* "auto", "heap" or "calendar" (static string; "unknown" for other values). */
const char *sim_queue_name(sim_queue_kind k);

/* Parse "auto", "heap", "calendar" or "ladder" (= calendar).  Returns 0 and
 * writes *out, or -1 on NULL or an unknown name. */
int sim_queue_parse(const char *name, sim_queue_kind *out);

/* Memory and queue counters (for tests, benchmarks and run reports). */
typedef struct sim_stats {
    size_t pending;     /* live events (== sim_pending) */
    size_t queued;      /* queue entries, including cancelled ones not yet purged */
    size_t pool_slots;  /* event records ever in use (high-water mark) */
    size_t bytes;       /* heap memory held by the engine */
    uint64_t purges;    /* purges of cancelled entries so far */
} sim_stats;

/* Fill *out.  Never fails. */
void sim_get_stats(const sim_t *s, sim_stats *out);

#endif
