/* The explode operator (explode, explode_outer in the select list): one
 * row per item of an array, the item appended to the input row; the outer
 * form keeps a row whose array is NULL or empty, with NULL. */
#include <stdlib.h>
#include <string.h>

#include "engine/operator.h"

typedef struct explode {
    wr_op base;
    const wr_step *step;
    wr_val *out;
} explode;

static wr_op *explode_open(wr_task *t, const void *node, wr_op *next) {
    explode *x = wr_xcalloc(1, sizeof *x);
    x->base = (wr_op){&wr_op_explode, next, t};
    x->step = node;
    x->out = wr_xcalloc((size_t)x->step->out_width + 1, sizeof *x->out);
    return &x->base;
}

static void explode_push(wr_op *op, const wr_val *row) {
    explode *x = (explode *)op;
    const wr_step *st = x->step;
    wr_val arr = wr_expr_eval(st->expr, row, &op->task->ev);
    memcpy(x->out, row, sizeof *row * (size_t)st->in_width);
    if (arr.null || arr.u.a->n == 0) {
        if (st->outer) {
            x->out[st->in_width] = wr_null();
            wr_op_push(op->task, op->next, x->out);
        }
        return;
    }
    for (int32_t i = 0; i < arr.u.a->n; i++) {
        x->out[st->in_width] = arr.u.a->items[i];
        wr_op_push(op->task, op->next, x->out);
    }
}

static void explode_close(wr_op *op) {
    explode *x = (explode *)op;
    free(x->out);
    free(x);
}

const wr_op_class wr_op_explode = {
    .name = "explode", .open = explode_open, .push = explode_push, .close = explode_close};
