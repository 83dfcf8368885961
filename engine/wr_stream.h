/* The micro-batch loop of one streaming query: plans each batch as explicit
 * offset ranges, runs one task per Kafka partition on a worker pool (stateless
 * steps, then partial aggregation), shuffles partials by key hash into the
 * state partitions, and hands the batch's rows to the sink. */
#ifndef WR_STREAM_H
#define WR_STREAM_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "planner/wr_plan.h"
#include "sinks/wr_sink.h"

typedef struct wr_stream_opts {
    int workers;          /* task threads (default: cores) */
    int state_partitions; /* shuffle partitions (default: cores) */
    bool state_partitions_set; /* set explicitly: a checkpoint with another count is an error */
    volatile sig_atomic_t *stop; /* set by SIGINT/SIGTERM: stop after the batch */
    int min_batches_to_retain;   /* batches the checkpoint can still recover (0: 100) */
    int snapshot_every;          /* a state snapshot every N batches (0: 10) */
    FILE *progress;              /* when set: each batch's progress JSON, one line */
    /* when set: called after each batch with its progress JSON (one line) */
    void (*on_progress)(void *ctx, int64_t batch, const char *json);
    void *progress_ctx;
} wr_stream_opts;

typedef struct wr_stream_stats {
    int64_t batches;
    int64_t input_rows;
    int64_t output_rows;
} wr_stream_stats;

/* Runs the query until its trigger is done (once, availableNow) or *stop is
 * set. Returns false with errstr on failure. */
bool wr_stream_run(const wr_query *q, const wr_sink_env *env, const wr_stream_opts *opts, wr_stream_stats *stats,
                   char *errstr, size_t errlen);

#endif
