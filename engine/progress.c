/* Builds a batch's progress object with Spark's StreamingQueryProgress keys
 * (progress.h). Rates are rows per second: input over the time since the
 * previous trigger started (0 for a run's first), processed over this
 * trigger's duration; a time under 1 ms counts as 1 ms, as Spark's
 * ProgressReporter takes max(1 ms, duration) (a batch that took 0 ms
 * processed its rows at rows / 1 ms, not at 0 rows a second). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/progress.h"

static json_t *iso_time(int64_t ms) {
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000); /* floor, for times before 1970 */
    time_t s = (time_t)secs;
    struct tm tm;
    gmtime_r(&s, &tm);
    char buf[64], out[80];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, sizeof out, "%s.%03dZ", buf, (int)(ms - secs * 1000));
    return json_string(out);
}

static json_t *rate(int64_t rows, int64_t ms) {
    return json_real(ms < 0 ? 0.0 : (double)rows * 1000.0 / (double)(ms > 1 ? ms : 1));
}

/* A kind's description (malloc'd by it) as a JSON string. */
static json_t *described(char *text) {
    json_t *j = json_string(text ? text : "");
    free(text);
    return j;
}

json_t *wr_progress_json(const wr_query *q, const wr_progress *p) {
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(p->id));
    json_object_set_new(o, "runId", json_string(p->run_id));
    json_object_set_new(o, "name", json_string(q->name));
    json_object_set_new(o, "timestamp", iso_time(p->wall_start_ms));
    json_object_set_new(o, "batchId", json_integer(p->batch_id));
    json_object_set_new(o, "numInputRows", json_integer(p->input_rows));
    json_object_set_new(o, "inputRowsPerSecond", rate(p->input_rows, p->since_last_ms));
    json_object_set_new(o, "processedRowsPerSecond", rate(p->input_rows, p->total_ms));
    json_object_set_new(
        o, "durationMs",
        json_pack("{s:I, s:I, s:I, s:I, s:I}", "addBatch", (json_int_t)p->add_batch_ms,
                  "commitOffsets", (json_int_t)p->commit_ms, "latestOffset",
                  (json_int_t)p->latest_offset_ms, "triggerExecution", (json_int_t)p->total_ms,
                  "walCommit", (json_int_t)p->wal_commit_ms));
    json_t *ops = json_array();
    if (q->agg)
        json_array_append_new(
            ops, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:i}", "operatorName",
                           "stateStoreSave", "numRowsTotal", (json_int_t)p->state_rows,
                           "numRowsUpdated", (json_int_t)p->state_updated, "numRowsRemoved",
                           (json_int_t)p->state_removed, "numRowsDroppedByWatermark",
                           (json_int_t)p->dropped, "commitTimeMs", (json_int_t)p->state_commit_ms,
                           "memoryUsedBytes", (json_int_t)p->state_memory, "numShufflePartitions",
                           p->state_partitions, "numStateStoreInstances", p->state_partitions));
    if (p->event_time) { /* Spark's eventTime: the batch's watermark, the min and max event times it
                            saw */
        json_t *et = json_object();
        if (p->max_event != INT64_MIN) {
            json_object_set_new(et, "max", iso_time(p->max_event / 1000));
            json_object_set_new(et, "min", iso_time(p->min_event / 1000));
        }
        json_object_set_new(et, "watermark", iso_time(p->watermark_ms));
        json_object_set_new(o, "eventTime", et);
    }
    json_object_set_new(o, "stateOperators", ops);
    json_t *so = json_object();
    json_object_set_new(so, "description", described(q->source->kind->ops->describe(q->source)));
    json_object_set(so, "startOffset", p->start ? p->start : json_null());
    json_object_set(so, "endOffset", p->end ? p->end : json_null());
    json_object_set(so, "latestOffset", p->latest ? p->latest : json_null());
    json_object_set_new(so, "numInputRows", json_integer(p->input_rows));
    json_object_set_new(so, "inputRowsPerSecond", rate(p->input_rows, p->since_last_ms));
    json_object_set_new(so, "processedRowsPerSecond", rate(p->input_rows, p->total_ms));
    if (p->source_extra) json_object_update(so, p->source_extra);
    json_object_set_new(o, "sources", json_pack("[o]", so));
    json_object_set_new(o, "sink",
                        json_pack("{s:o, s:I}", "description",
                                  described(q->sink->kind->ops->describe(q->sink)), "numOutputRows",
                                  (json_int_t)p->output_rows));
    return o;
}
