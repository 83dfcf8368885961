/* The filter operator (WHERE, HAVING over a view): passes on the rows its
 * predicate holds for (NULL counts as false), by narrowing the chunk's
 * selection vector; the columns are not copied. */
#include <stdlib.h>

#include "engine/operator.h"

typedef struct filter {
    wr_op base;
    const wr_expr *pred;
} filter;

static wr_op *filter_open(wr_task *t, const void *node, wr_op *next) {
    filter *f = wr_xcalloc(1, sizeof *f);
    f->base = (wr_op){&wr_op_filter, next, t, NULL};
    f->pred = ((const wr_step *)node)->expr;
    return &f->base;
}

static void filter_push(wr_op *op, const wr_chunk *c) {
    filter *f = (filter *)op;
    wr_eval *ev = &op->task->ev;
    wr_vec p;
    wr_expr_eval_vec(f->pred, c, &p, ev);
    if (ev->failed) return;
    size_t rows = wr_chunk_rows(c), n = 0;
    uint32_t *sel = wr_arena_alloc(ev->arena, sizeof *sel * (rows ? rows : 1));
    for (size_t k = 0; k < rows; k++) {
        size_t r = wr_chunk_row(c, k);
        sel[n] = (uint32_t)r;
        n += !wr_vec_is_null(&p, r) && p.u.i[r] != 0;
    }
    wr_chunk out = *c;
    out.sel = sel;
    out.nsel = n;
    wr_op_push(op->task, op->next, &out);
}

static void filter_close(wr_op *op) {
    free(op);
}

const wr_op_class wr_op_filter = {
    .name = "filter", .open = filter_open, .push = filter_push, .close = filter_close};
