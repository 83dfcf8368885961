/* Internal to the engine: the StreamingQueryProgress object of one batch, with
 * Spark's keys, built from what the micro-batch loop measured. */
#ifndef WR_ENGINE_PROGRESS_H
#define WR_ENGINE_PROGRESS_H

#include <jansson.h>

#include "engine/wr_engine.h"

typedef struct wr_progress {
    const char *id, *run_id;
    int64_t batch_id;
    int64_t wall_start_ms; /* when the trigger started (wall clock) */
    int64_t since_last_ms; /* from the previous batch's trigger start (-1: first) */
    int64_t input_rows, output_rows;
    /* durationMs */
    int64_t latest_offset_ms, wal_commit_ms, add_batch_ms, commit_ms, total_ms;
    json_t *start, *end, *latest; /* offsets, borrowed */
    json_t *source_extra;         /* the source's report (lostOffsets), borrowed, or NULL */
    /* state (when the query aggregates) */
    int64_t state_rows, state_updated, state_removed, state_memory, state_commit_ms;
    int state_partitions;
    /* event time (with a WATERMARK) */
    bool event_time;
    int64_t watermark_ms;
    int64_t max_event, min_event; /* µs; INT64_MIN / INT64_MAX: no rows */
    int64_t dropped;              /* (row, window) pairs behind the watermark */
} wr_progress;

/* A new JSON object (caller decrefs). */
json_t *wr_progress_json(const wr_query *q, const wr_progress *p);

#endif
