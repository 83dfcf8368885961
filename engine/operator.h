/* Internal to the engine: the operator interface and the task that runs
 * operators. A query's plan is a chain of nodes (the planner's steps, then
 * at most one aggregation); each task runs one instance of every node's
 * operator (wr_op), and the source's rows are pushed through them as
 * chunks (column batches: typed vectors, null bitmaps, a selection vector;
 * core/wr_core.h) to the task's output. A stateful operator (aggregate,
 * session window) also has one instance per query (wr_opstate) holding its
 * state partitions: after the tasks, each partition merges the tasks'
 * partial results (the shuffle), emits the rows the sink receives, evicts
 * what the watermark closed, and commits or restores its files.
 *
 * To add an operator: a file op_<name>.c defining a wr_op_class, and one
 * line in wr_op_class_of (task.c) mapping its plan node to it. */
#ifndef WR_ENGINE_OPERATOR_H
#define WR_ENGINE_OPERATOR_H

#include "planner/wr_plan.h"
#include "state/wr_state.h"

typedef struct wr_task wr_task;
typedef struct wr_op wr_op;
typedef struct wr_opstate wr_opstate;

/* What a state partition reports for progress. */
typedef struct wr_state_stats {
    int64_t rows, memory, updated;
} wr_state_stats;

typedef struct wr_op_class {
    const char *name;
    /* ---- a task's instance, for plan node `node` (a wr_step or the
     * wr_aggregate), pushing to `next` (NULL: the task's output) ---- */
    wr_op *(*open)(wr_task *t, const void *node, wr_op *next);
    /* The live rows of chunk c (valid during the call only). */
    void (*push)(wr_op *op, const wr_chunk *c);
    /* Optional: the task's input of the batch is done (partials are split
     * by state partition), and the batch is over (results released). */
    void (*finish)(wr_op *op);
    void (*clear)(wr_op *op);
    void (*close)(wr_op *op);
    /* ---- the query's instance: stateful operators only (else NULL) ---- */
    wr_opstate *(*state_open)(const wr_query *q, int nparts);
    /* Merges the tasks' partials of state partition `part` (ops: each
     * task's instance of this operator). */
    void (*merge)(wr_opstate *s, int part, wr_op *const *ops, int nops);
    /* Appends to out the rows of partition `part` the sink receives in
     * `mode` at `watermark` (µs); false when evaluating one failed (ev). */
    bool (*emit)(wr_opstate *s, int part, wr_output_mode mode, int64_t watermark, wr_batch *out,
                 wr_eval *ev);
    /* Removes the groups the watermark closed; returns how many. */
    int64_t (*evict)(wr_opstate *s, int part, int64_t watermark);
    bool (*commit)(wr_opstate *s, int part, const char *dir, int64_t version, int snapshot_every,
                   bool *snapshotted, wr_err *err);
    bool (*restore)(wr_opstate *s, int part, const char *dir, int64_t version, wr_err *err);
    /* Its size, and how many groups the batch changed (then forgotten). */
    void (*stats)(wr_opstate *s, int part, wr_state_stats *out);
    void (*state_close)(wr_opstate *s);
} wr_op_class;

/* The head of every operator's task instance. */
struct wr_op {
    const wr_op_class *cls;
    wr_op *next;
    wr_task *task;
    /* per column of what it passes on: whether anything after it reads it
     * (set by the task once every operator is open) */
    bool *live;
};

/* A task: one worker's share of a batch, its splits' rows through its
 * instances of the query's operators. */
struct wr_task {
    const wr_query *q;
    int nparts;  /* state partitions */
    wr_op **ops; /* ops[0] takes the source's rows */
    int nops;
    wr_arena out_arena; /* output rows, partial keys: live for the batch */
    wr_arena tmp_arena; /* per chunk of input rows */
    wr_eval ev;         /* the first evaluation error fails the batch */
    wr_batch out;       /* rows for the sink, when no operator keeps state */
    bool *live_in;      /* per source column: whether an operator reads it */
    int64_t input_rows;
    /* event time: groups whose event time is at or before `late_before`
     * take no more rows (INT64_MIN: no such check) */
    int64_t late_before;
    int64_t max_event, min_event; /* of the watermark column (INT64_MIN / MAX: none) */
    int64_t dropped;              /* (row, window) pairs dropped as late */
};

/* Copies the live rows of a chunk into the task's output (rows for the sink). */
void wr_task_output(wr_task *t, const wr_chunk *c);

/* Hands a chunk to `next`, or to the task's output when next is NULL. */
static inline void wr_op_push(wr_task *t, wr_op *next, const wr_chunk *c) {
    if (!wr_chunk_rows(c)) return;
    if (next)
        next->cls->push(next, c);
    else
        wr_task_output(t, c);
}

extern const wr_op_class wr_op_filter, wr_op_project, wr_op_extend, wr_op_explode, wr_op_aggregate,
    wr_op_session;

/* ---- tasks (task.c) ---- */

void wr_task_init(wr_task *t, const wr_query *q, int nparts);
/* Starts a batch whose late rows are those at or before late_before (µs). */
void wr_task_start_batch(wr_task *t, int64_t late_before);
/* wr_rows_fn: pushes the source's rows through the operators as one chunk
 * (the columns someone reads); false when a row's evaluation failed
 * (*failed: which; t->ev.err says why). */
bool wr_task_rows(void *ctx, const wr_batch *rows, size_t *failed);
/* The task's input of the batch is done. */
void wr_task_finish(wr_task *t);
/* Releases the batch's results (keeps buffers for reuse). */
void wr_task_clear(wr_task *t);
void wr_task_free(wr_task *t);
/* The stateful operator (the last one) of the task, or NULL. */
wr_op *wr_task_stateful(const wr_task *t);

#endif
