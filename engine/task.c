/* Tasks (operator.h): a task builds its instances of the query's operators
 * (one per plan node, chained), works out which columns each passes on are
 * read after it (so explode copies, and projections compute, only those),
 * turns each chunk of the source's rows into a column batch of the source
 * columns someone reads, pushes it through the operators, and keeps what
 * comes out of the last one: rows for the sink (copied out of the chunk),
 * or a stateful operator's partial. A row whose evaluation fails stops the
 * task: its error fails the batch, and the source names the row's
 * position. */
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

/* The columns a step reads of its input, given which of its outputs are
 * read after it (live_out) — into live_in (in_width, zeroed). */
static void step_reads(const wr_step *st, const bool *live_out, bool *live_in) {
    switch (st->kind) {
    case WR_STEP_FILTER:
        memcpy(live_in, live_out, sizeof *live_in * (size_t)st->in_width);
        wr_expr_mark_cols(st->expr, live_in);
        break;
    case WR_STEP_EXPLODE:
        memcpy(live_in, live_out, sizeof *live_in * (size_t)st->in_width);
        wr_expr_mark_cols(st->expr, live_in);
        break;
    case WR_STEP_PROJECT:
        for (int i = 0; i < st->nexprs; i++)
            if (live_out[i]) wr_expr_mark_cols(st->exprs[i], live_in);
        break;
    case WR_STEP_EXTEND:
        memcpy(live_in, live_out, sizeof *live_in * (size_t)st->in_width);
        for (int i = 0; i < st->nexprs; i++)
            if (live_out[st->in_width + i]) wr_expr_mark_cols(st->exprs[i], live_in);
        break;
    }
}

/* What the aggregation reads of its input rows. */
static void agg_reads(const wr_aggregate *agg, bool *live_in) {
    for (int k = 0; k < agg->nkeys; k++)
        wr_expr_mark_cols(agg->keys[k], live_in);
    for (int i = 0; i < agg->naggs; i++)
        if (agg->aggs[i].arg) wr_expr_mark_cols(agg->aggs[i].arg, live_in);
    if (agg->wm_expr) wr_expr_mark_cols(agg->wm_expr, live_in);
}

static bool *live_alloc(int width) {
    return wr_xcalloc((size_t)width + 1, sizeof(bool));
}

/* From the last operator back: each one's live outputs are what the next
 * reads; the first one's input is what the task takes of the source. */
static void mark_live(wr_task *t) {
    const wr_query *q = t->q;
    int width = q->nsteps ? q->steps[q->nsteps - 1].out_width : q->source->schema.n;
    bool *live = live_alloc(width); /* what the last step passes on must hold */
    if (q->agg) {
        agg_reads(q->agg, live);
    } else {
        for (int c = 0; c < width; c++)
            live[c] = true;
    }
    for (int i = q->nsteps - 1; i >= 0; i--) {
        t->ops[i]->live = live;
        bool *in = live_alloc(q->steps[i].in_width);
        step_reads(&q->steps[i], live, in);
        live = in;
    }
    t->live_in = live;
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
    mark_live(t);
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

void wr_task_output(wr_task *t, const wr_chunk *c) {
    const wr_schema *sc = &t->q->out;
    size_t rows = wr_chunk_rows(c);
    wr_batch_reserve(&t->out, t->out.n + rows);
    for (size_t k = 0; k < rows; k++) {
        size_t r = wr_chunk_row(c, k);
        wr_val *dst = wr_batch_add(&t->out);
        for (int i = 0; i < sc->n; i++)
            dst[i] = wr_val_copy(wr_vec_get(&c->cols[i], r), sc->cols[i].type, &t->out_arena);
    }
}

/* The source's rows (row-major) as a chunk of the columns someone reads. */
static void to_chunk(wr_task *t, const wr_batch *rows, wr_chunk *c) {
    const wr_schema *sc = &t->q->source->schema;
    c->width = sc->n;
    c->n = rows->n;
    c->sel = NULL;
    c->origin = NULL;
    c->cols = wr_arena_alloc(&t->tmp_arena, sizeof *c->cols * (size_t)(sc->n + 1));
    for (int i = 0; i < sc->n; i++) {
        wr_vec *v = &c->cols[i];
        if (!t->live_in[i]) {
            *v = (wr_vec){.type = sc->cols[i].type};
            continue;
        }
        wr_vec_alloc(v, sc->cols[i].type, rows->n, &t->tmp_arena);
        for (size_t r = 0; r < rows->n; r++)
            wr_vec_put(v, r, wr_batch_row(rows, r)[i], rows->n, &t->tmp_arena);
    }
}

bool wr_task_rows(void *ctx, const wr_batch *rows, size_t *failed) {
    wr_task *t = ctx;
    if (rows->n) {
        wr_chunk c;
        to_chunk(t, rows, &c);
        wr_op_push(t, t->nops ? t->ops[0] : NULL, &c);
    }
    wr_arena_reset(&t->tmp_arena);
    if (t->ev.failed) { /* the batch fails */
        *failed = t->ev.fail_row;
        return false;
    }
    t->input_rows += (int64_t)rows->n;
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
    for (int i = 0; i < t->nops; i++) {
        if (i < t->q->nsteps) free(t->ops[i]->live);
        t->ops[i]->cls->close(t->ops[i]);
    }
    free(t->live_in);
    free(t->ops);
    wr_batch_free(&t->out);
    wr_eval_destroy(&t->ev);
    wr_arena_free(&t->out_arena);
    wr_arena_free(&t->tmp_arena);
}
