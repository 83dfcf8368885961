/* Tasks (operator.h): a task builds its instances of the query's operators
 * (one per plan node, chained), pushes each chunk of the source's rows
 * through them, and keeps what comes out of the last one: rows for the sink
 * (copied out of the chunk), or a stateful operator's partial. A row whose
 * evaluation fails stops the task: its error fails the batch, and the
 * source names the row's position. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/operator.h"

/* The operator class of a plan node: one line per kind of node. */
static const wr_op_class *step_class(const wr_step *st) {
    switch (st->kind) {
    case WR_STEP_FILTER:
        return &wr_op_filter;
    case WR_STEP_PROJECT:
        return &wr_op_project;
    case WR_STEP_EXTEND:
        return &wr_op_extend;
    case WR_STEP_EXPLODE:
        return &wr_op_explode;
    }
    return NULL;
}

static const wr_op_class *agg_class(const wr_aggregate *agg) {
    return agg->win.kind == WR_WIN_SESSION ? &wr_op_session : &wr_op_aggregate;
}

void wr_task_init(wr_task *t, const wr_query *q, int nparts) {
    memset(t, 0, sizeof *t);
    t->q = q;
    t->nparts = nparts;
    t->out.width = q->out.n;
    wr_eval_init(&t->ev, &t->tmp_arena);
    wr_task_start_batch(t, INT64_MIN);
    t->nops = q->nsteps + (q->agg ? 1 : 0);
    t->ops = wr_xcalloc((size_t)t->nops + 1, sizeof *t->ops);
    /* from the last, so that each knows the next */
    wr_op *next = NULL;
    if (q->agg) next = t->ops[q->nsteps] = agg_class(q->agg)->open(t, q->agg, NULL);
    for (int i = q->nsteps - 1; i >= 0; i--)
        next = t->ops[i] = step_class(&q->steps[i])->open(t, &q->steps[i], next);
}

wr_op *wr_task_stateful(const wr_task *t) {
    return t->q->agg ? t->ops[t->nops - 1] : NULL;
}

void wr_task_start_batch(wr_task *t, int64_t late_before) {
    t->ev.failed = false;
    t->late_before = late_before;
    t->max_event = INT64_MIN;
    t->min_event = INT64_MAX;
    t->dropped = 0;
}

void wr_task_output(wr_task *t, const wr_val *row) {
    const wr_schema *sc = &t->q->out;
    wr_val *dst = wr_batch_add(&t->out);
    for (int c = 0; c < sc->n; c++)
        dst[c] = wr_val_copy(row[c], sc->cols[c].type, &t->out_arena);
}

bool wr_task_rows(void *ctx, const wr_batch *rows, size_t *failed) {
    wr_task *t = ctx;
    for (size_t i = 0; i < rows->n; i++) {
        wr_op_push(t, t->nops ? t->ops[0] : NULL, wr_batch_row(rows, i));
        if (t->ev.failed) { /* the batch fails */
            *failed = i;
            wr_arena_reset(&t->tmp_arena);
            return false;
        }
    }
    t->input_rows += (int64_t)rows->n;
    wr_arena_reset(&t->tmp_arena);
    return true;
}

void wr_task_finish(wr_task *t) {
    for (int i = 0; i < t->nops; i++)
        if (t->ops[i]->cls->finish) t->ops[i]->cls->finish(t->ops[i]);
}

void wr_task_clear(wr_task *t) {
    t->out.n = 0;
    t->input_rows = 0;
    for (int i = 0; i < t->nops; i++)
        if (t->ops[i]->cls->clear) t->ops[i]->cls->clear(t->ops[i]);
    wr_arena_reset(&t->out_arena);
    wr_arena_reset(&t->tmp_arena);
}

void wr_task_free(wr_task *t) {
    for (int i = 0; i < t->nops; i++)
        t->ops[i]->cls->close(t->ops[i]);
    free(t->ops);
    wr_batch_free(&t->out);
    wr_eval_destroy(&t->ev);
    wr_arena_free(&t->out_arena);
    wr_arena_free(&t->tmp_arena);
}
