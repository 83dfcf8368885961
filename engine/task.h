/* Internal to the engine: a task runs one partition's offset range of a batch
 * through the query's stateless steps into either output rows (no
 * aggregation) or a partial aggregate bucketed by state partition. */
#ifndef WR_ENGINE_TASK_H
#define WR_ENGINE_TASK_H

#include <librdkafka/rdkafka.h>

#include "planner/wr_plan.h"
#include "engine/agg_state.h"

typedef struct wr_task {
    const wr_query *q;
    const wr_state_layout *layout; /* of the partial aggregate */
    int nparts;                    /* state partitions */
    wr_arena out_arena;            /* output rows, partial keys: live for the batch */
    wr_arena tmp_arena;            /* per chunk of messages */
    wr_eval ev;
    wr_val **rowbuf; /* one scratch row per step */
    wr_val *keybuf, *inbuf;
    /* results */
    wr_val *rows;
    size_t nrows, cap;
    wr_table partial;
    uint32_t **buckets; /* entry indices per state partition */
    uint32_t *nbucket;
    int64_t input_rows;
    const char *topic;
    int32_t partition;
    /* event time: groups whose event time (window end) is at or before
     * `late_before` take no more rows (INT64_MIN: no such check) */
    int64_t late_before;
    int64_t max_event, min_event; /* of the watermark column (INT64_MIN / MAX: none) */
    int64_t dropped;              /* (row, window) pairs dropped as late */
} wr_task;

void wr_task_init(wr_task *t, const wr_query *q, const wr_state_layout *layout, int nparts);
/* Starts a batch whose late rows are those at or before late_before (µs). */
void wr_task_start_batch(wr_task *t, int64_t late_before);
/* Prepares for a new range of `topic`/`partition`. */
void wr_task_begin(wr_task *t, const char *topic, int32_t partition);
/* wr_ksrc_chunk_fn: processes a chunk of messages; false when a row's
 * evaluation failed (t->ev.failed, t->ev.err says why and where). */
bool wr_task_chunk(void *ctx, rd_kafka_message_t **msgs, int n);
/* Splits the partial aggregate into per-state-partition buckets. */
void wr_task_finish(wr_task *t);
/* Releases the batch's results (keeps buffers for reuse). */
void wr_task_clear(wr_task *t);
void wr_task_free(wr_task *t);

#endif
