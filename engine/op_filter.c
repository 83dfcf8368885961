/* The filter operator (WHERE, HAVING over a view): passes on the rows its
 * predicate holds for (NULL counts as false). */
#include <stdlib.h>

#include "engine/operator.h"

typedef struct filter {
    wr_op base;
    const wr_expr *pred;
} filter;

static wr_op *filter_open(wr_task *t, const void *node, wr_op *next) {
    filter *f = wr_xcalloc(1, sizeof *f);
    f->base = (wr_op){&wr_op_filter, next, t};
    f->pred = ((const wr_step *)node)->expr;
    return &f->base;
}

static void filter_push(wr_op *op, const wr_val *row) {
    filter *f = (filter *)op;
    if (wr_expr_is_true(f->pred, row, &op->task->ev)) wr_op_push(op->task, op->next, row);
}

static void filter_close(wr_op *op) {
    free(op);
}

const wr_op_class wr_op_filter = {
    .name = "filter", .open = filter_open, .push = filter_push, .close = filter_close};
