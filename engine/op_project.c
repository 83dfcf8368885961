/* The projection operators: project computes a new row from expressions
 * over the input row (SELECT's list); extend appends computed columns to
 * the input row (values that several later expressions share, computed
 * once). */
#include <stdlib.h>
#include <string.h>

#include "engine/operator.h"

typedef struct project {
    wr_op base;
    const wr_step *step;
    wr_val *out; /* the row it passes on */
} project;

static wr_op *open_as(const wr_op_class *cls, wr_task *t, const void *node, wr_op *next) {
    project *p = wr_xcalloc(1, sizeof *p);
    p->base = (wr_op){cls, next, t};
    p->step = node;
    p->out = wr_xcalloc((size_t)p->step->out_width + 1, sizeof *p->out);
    return &p->base;
}

static wr_op *project_open(wr_task *t, const void *node, wr_op *next) {
    return open_as(&wr_op_project, t, node, next);
}

static wr_op *extend_open(wr_task *t, const void *node, wr_op *next) {
    return open_as(&wr_op_extend, t, node, next);
}

static void project_push(wr_op *op, const wr_val *row) {
    project *p = (project *)op;
    const wr_step *st = p->step;
    for (int i = 0; i < st->nexprs; i++)
        p->out[i] = wr_expr_eval(st->exprs[i], row, &op->task->ev);
    wr_op_push(op->task, op->next, p->out);
}

static void extend_push(wr_op *op, const wr_val *row) {
    project *p = (project *)op;
    const wr_step *st = p->step;
    memcpy(p->out, row, sizeof *row * (size_t)st->in_width);
    for (int i = 0; i < st->nexprs; i++)
        p->out[st->in_width + i] = wr_expr_eval(st->exprs[i], row, &op->task->ev);
    wr_op_push(op->task, op->next, p->out);
}

static void project_close(wr_op *op) {
    project *p = (project *)op;
    free(p->out);
    free(p);
}

const wr_op_class wr_op_project = {
    .name = "project", .open = project_open, .push = project_push, .close = project_close};
const wr_op_class wr_op_extend = {
    .name = "extend", .open = extend_open, .push = extend_push, .close = project_close};
