/* Internal to the aggregation operators (op_aggregate.c, op_session.c):
 * what they share. A task's instance folds rows into a partial table keyed
 * by the GROUP BY keys (a window's [start, end) among them), then splits it
 * by state partition; the query's instance holds one state table per
 * partition. A group closes when the watermark reaches its event time (a
 * window's end, or the watermark column itself): the layout's closes_at
 * (agg_state.c), by which the state finds what a watermark closes. */
#ifndef WR_ENGINE_AGGREGATE_H
#define WR_ENGINE_AGGREGATE_H

#include "engine/agg_state.h"
#include "engine/operator.h"

typedef struct wr_agg_task {
    wr_op base;
    const wr_aggregate *agg;
    wr_state_layout layout;
    wr_table partial;
    wr_val *keybuf, *inbuf; /* one row's keys and aggregate inputs */
    wr_vec *kv, *iv;        /* a chunk's keys and aggregate inputs */
    uint32_t **buckets;     /* entry indices per state partition */
    uint32_t *nbucket;
} wr_agg_task;

struct wr_opstate {
    const wr_aggregate *agg;
    wr_state_layout layout;
    wr_table *parts;
    int nparts;
};

wr_op *wr_agg_task_open(const wr_op_class *cls, wr_task *t, const void *node, wr_op *next);
/* Evaluates a chunk's keys and aggregate inputs into kv and iv, and its
 * event times into the task's bounds; false when a row failed. */
bool wr_agg_task_eval(wr_agg_task *a, const wr_chunk *c);
/* Row r of those into keybuf and inbuf; false when the row belongs to no
 * group (a NULL window time). */
bool wr_agg_task_load(wr_agg_task *a, size_t r);
/* Folds the evaluated row into the group of window [start, end) unless the
 * window is late. */
void wr_agg_task_fold_window(wr_agg_task *a, int64_t start, int64_t end);
/* Splits the partial by state partition: part(a, entry). */
void wr_agg_task_split(wr_agg_task *a, int (*part)(const wr_agg_task *a, wr_entry *e));
void wr_agg_task_clear(wr_op *op);
void wr_agg_task_close(wr_op *op);

wr_opstate *wr_agg_state_open(const wr_query *q, int nparts);
bool wr_agg_state_emit(wr_opstate *s, int part, wr_output_mode mode, int64_t watermark,
                       wr_batch *out, wr_eval *ev);
int64_t wr_agg_state_evict(wr_opstate *s, int part, int64_t watermark);
bool wr_agg_state_commit(wr_opstate *s, int part, const char *dir, int64_t version,
                         int snapshot_every, bool *snapshotted, wr_err *err);
bool wr_agg_state_restore(wr_opstate *s, int part, const char *dir, int64_t version, wr_err *err);
void wr_agg_state_stats(wr_opstate *s, int part, wr_state_stats *out);
void wr_agg_state_close(wr_opstate *s);

#endif
