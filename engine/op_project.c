/* The projection operators: project computes a new chunk from expressions
 * over the input (SELECT's list); extend appends computed columns to the
 * input's (values that several later expressions share, computed once).
 * Each expression is evaluated over the whole chunk; an output column no
 * later operator reads is not computed, and a column reference is passed
 * on as a view, never copied. */
#include <stdlib.h>
#include <string.h>

#include "engine/operator.h"

typedef struct project {
    wr_op base;
    const wr_step *step;
} project;

static wr_op *open_as(const wr_op_class *cls, wr_task *t, const void *node, wr_op *next) {
    project *p = wr_xcalloc(1, sizeof *p);
    p->base = (wr_op){cls, next, t, NULL};
    p->step = node;
    return &p->base;
}

static wr_op *project_open(wr_task *t, const void *node, wr_op *next) {
    return open_as(&wr_op_project, t, node, next);
}

static wr_op *extend_open(wr_task *t, const void *node, wr_op *next) {
    return open_as(&wr_op_extend, t, node, next);
}

/* Evaluates the step's expressions into cols[first..], the live ones. */
static bool compute(wr_op *op, const wr_chunk *c, wr_vec *cols, int first) {
    const wr_step *st = ((project *)op)->step;
    wr_eval *ev = &op->task->ev;
    for (int i = 0; i < st->nexprs; i++) {
        if (!op->live[first + i]) {
            cols[first + i] = (wr_vec){.type = st->exprs[i]->type};
            continue;
        }
        wr_expr_eval_vec(st->exprs[i], c, &cols[first + i], ev);
        if (ev->failed) return false;
    }
    return true;
}

static void push_as(wr_op *op, const wr_chunk *c, int first) {
    const wr_step *st = ((project *)op)->step;
    wr_chunk out = *c;
    out.width = st->out_width;
    out.cols = wr_arena_alloc(op->task->ev.arena, sizeof *out.cols * (size_t)(st->out_width + 1));
    if (first) memcpy(out.cols, c->cols, sizeof *out.cols * (size_t)first);
    if (compute(op, c, out.cols, first)) wr_op_push(op->task, op->next, &out);
}

static void project_push(wr_op *op, const wr_chunk *c) {
    push_as(op, c, 0);
}

static void extend_push(wr_op *op, const wr_chunk *c) {
    push_as(op, c, ((project *)op)->step->in_width);
}

static void project_close(wr_op *op) {
    free(op);
}

const wr_op_class wr_op_project = {
    .name = "project", .open = project_open, .push = project_push, .close = project_close};
const wr_op_class wr_op_extend = {
    .name = "extend", .open = extend_open, .push = extend_push, .close = project_close};
