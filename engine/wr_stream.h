/* The micro-batch loop of one streaming query: plans each batch as explicit
 * offset ranges, runs one task per Kafka partition on a worker pool (stateless
 * steps, then partial aggregation), shuffles partials by key hash into the
 * state partitions, and hands the batch's rows to the sink. */
#ifndef WR_STREAM_H
#define WR_STREAM_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "planner/wr_plan.h"
#include "sinks/wr_sink.h"

/* What another thread can wait for while a query runs (weir shell): its
 * sink open (a memory sink's table exists), and everything its source held
 * at some moment processed (Spark's processAllAvailable). */
typedef struct wr_stream_sync {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool opened;         /* the sink is open */
    bool ended;          /* wr_stream_sync_end: the query is over */
    int64_t asked, done; /* catch-up requests made; the last one met */
} wr_stream_sync;

void wr_stream_sync_init(wr_stream_sync *s);
void wr_stream_sync_destroy(wr_stream_sync *s);
/* Tells the waiters the query is over (its runner calls it after wr_stream_run). */
void wr_stream_sync_end(wr_stream_sync *s);
/* Waits until the sink is open or the query is over: false after timeout_ms
 * or when *cancel is set (checked every 100 ms). */
bool wr_stream_await_open(wr_stream_sync *s, int timeout_ms, volatile sig_atomic_t *cancel);
/* Waits until the query has processed every offset its source held when
 * this was called: 1 done, 0 after timeout_ms or when *cancel is set, -1
 * the query ended first. */
int wr_stream_await_caught_up(wr_stream_sync *s, int timeout_ms, volatile sig_atomic_t *cancel);

typedef struct wr_stream_opts {
    int workers;                 /* task threads (default: cores) */
    int state_partitions;        /* shuffle partitions (default: cores) */
    bool state_partitions_set;   /* set explicitly: a checkpoint with another count is an error */
    volatile sig_atomic_t *stop; /* set by SIGINT/SIGTERM: stop after the batch */
    int min_batches_to_retain;   /* batches the checkpoint can still recover (0: 100) */
    int snapshot_every;          /* a state snapshot every N batches (0: 10) */
    FILE *progress;              /* when set: each batch's progress JSON, one line */
    /* when set: called after each batch with its progress JSON (one line) */
    void (*on_progress)(void *ctx, int64_t batch, const char *json);
    void *progress_ctx;
    wr_stream_sync *sync; /* when set: see wr_stream_sync */
} wr_stream_opts;

typedef struct wr_stream_stats {
    int64_t batches;
    int64_t input_rows;
    int64_t output_rows;
} wr_stream_stats;

/* Runs the query until its trigger is done (once, availableNow) or *stop is
 * set. Returns false with errstr on failure. */
bool wr_stream_run(const wr_query *q, const wr_sink_env *env, const wr_stream_opts *opts,
                   wr_stream_stats *stats, char *errstr, size_t errlen);

#endif
