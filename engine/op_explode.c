/* The explode operator (explode, explode_outer in the select list): one
 * row per item of an array, the item appended to the input row; the outer
 * form keeps a row whose array is NULL or empty, with NULL. Output rows
 * are gathered into vectors of its own, reused from chunk to chunk, and
 * passed on every OUT_ROWS rows; only the input columns read after it are
 * copied. explode(split(s, 'c')) with a one-character separator cuts the
 * pieces straight into the output vector, without building arrays. */
#include <stdlib.h>
#include <string.h>

#include "engine/operator.h"

#define OUT_ROWS 2048

typedef struct explode {
    wr_op base;
    const wr_step *step;
    bool fast;        /* explode(split(s, 'c')) */
    bool ready;       /* its vectors are made */
    int *copy, ncopy; /* the input columns read after it: copied to each output row */
    wr_vec *cols;
    uint32_t origin[OUT_ROWS];
    size_t n;
    bool nulls; /* some bitmap has a bit set */
} explode;

static size_t rep_bytes(wr_rep r) {
    return r == WR_REP_STR ? sizeof(wr_sv) : r == WR_REP_ARR ? sizeof(wr_arr *) : 8;
}

static wr_op *explode_open(wr_task *t, const void *node, wr_op *next) {
    explode *x = wr_xcalloc(1, sizeof *x);
    x->base = (wr_op){&wr_op_explode, next, t, NULL};
    x->step = node;
    x->fast = wr_expr_is_fast_split(x->step->expr);
    x->cols = wr_xcalloc((size_t)x->step->out_width + 1, sizeof *x->cols);
    x->copy = wr_xcalloc((size_t)x->step->in_width + 1, sizeof *x->copy);
    return &x->base;
}

/* Vectors for the live columns, on first use (the task marks them after open). */
static void make_vectors(explode *x, const wr_chunk *c) {
    const wr_step *st = x->step;
    for (int j = 0; j < st->out_width; j++) {
        wr_vec *v = &x->cols[j];
        v->type = j < st->in_width ? c->cols[j].type : WR_TYPE(st->expr->type.elem);
        if (!x->base.live[j]) continue;
        if (j < st->in_width) x->copy[x->ncopy++] = j;
        v->u.p = wr_xmalloc(rep_bytes(wr_rep_of(v->type)) * OUT_ROWS);
        v->nulls = wr_xcalloc(OUT_ROWS / 64 + 1, sizeof(uint64_t));
    }
}

static void flush(explode *x) {
    if (!x->n) return;
    wr_chunk out = {x->cols, x->step->out_width, x->n, NULL, 0, x->origin};
    wr_op_push(x->base.task, x->base.next, &out);
    if (x->nulls)
        for (int j = 0; j < x->step->out_width; j++)
            if (x->cols[j].nulls) memset(x->cols[j].nulls, 0, (OUT_ROWS / 64 + 1) * 8);
    x->nulls = false;
    x->n = 0;
}

static void set_null(explode *x, wr_vec *v, size_t i) {
    v->nulls[i >> 6] |= (uint64_t)1 << (i & 63);
    x->nulls = true;
}

/* Room for one more output row from input row r: its live input columns
 * copied; returns its index. */
static inline size_t add_row(explode *x, const wr_chunk *c, size_t r) {
    if (x->n == OUT_ROWS) flush(x);
    size_t i = x->n++;
    x->origin[i] = (uint32_t)wr_chunk_origin(c, r);
    for (int m = 0; m < x->ncopy; m++) {
        int j = x->copy[m];
        const wr_vec *in = &c->cols[j];
        wr_vec *o = &x->cols[j];
        size_t b = rep_bytes(wr_rep_of(o->type));
        memcpy((char *)o->u.p + i * b, (const char *)in->u.p + r * b, b);
        if (wr_vec_is_null(in, r)) set_null(x, o, i);
    }
    return i;
}

static void item(explode *x, size_t i, wr_val v) {
    wr_vec *o = &x->cols[x->step->in_width];
    if (!x->base.live[x->step->in_width]) return;
    if (v.null)
        set_null(x, o, i);
    else
        wr_vec_put(o, i, v, OUT_ROWS, NULL);
}

/* explode(split(s, 'c'[, limit])): the pieces of each row's s. */
static void push_split(explode *x, const wr_chunk *c, wr_eval *ev) {
    const wr_expr *sp = x->step->expr;
    wr_vec s, lim;
    wr_expr_eval_vec(sp->args[0], c, &s, ev);
    if (ev->failed) return;
    if (sp->nargs > 2) {
        wr_expr_eval_vec(sp->args[2], c, &lim, ev);
        if (ev->failed) return;
    }
    int w = x->step->in_width;
    bool keep = x->base.live[w];
    wr_sv *out = x->cols[w].u.s;
    size_t rows = wr_chunk_rows(c);
    for (size_t k = 0; k < rows && !ev->failed; k++) {
        size_t r = wr_chunk_row(c, k);
        if (wr_vec_is_null(&s, r) || (sp->nargs > 2 && wr_vec_is_null(&lim, r))) {
            if (x->step->outer) item(x, add_row(x, c, r), wr_null());
            continue;
        }
        wr_split_iter it;
        wr_sv piece;
        wr_split_begin(&it, sp, s.u.s[r].p, s.u.s[r].len, sp->nargs > 2 ? lim.u.i[r] : -1);
        while (!ev->failed && wr_split_next(&it, &piece)) {
            size_t i = add_row(x, c, r);
            if (keep) out[i] = piece;
        }
    }
}

static void explode_push(wr_op *op, const wr_chunk *c) {
    explode *x = (explode *)op;
    wr_eval *ev = &op->task->ev;
    if (!x->ready) make_vectors(x, c), x->ready = true;
    if (x->fast) {
        push_split(x, c, ev);
    } else {
        wr_vec arr;
        wr_expr_eval_vec(x->step->expr, c, &arr, ev);
        if (ev->failed) return;
        size_t rows = wr_chunk_rows(c);
        for (size_t k = 0; k < rows && !ev->failed; k++) {
            size_t r = wr_chunk_row(c, k);
            const wr_arr *a = wr_vec_is_null(&arr, r) ? NULL : arr.u.a[r];
            if (!a || a->n == 0) {
                if (x->step->outer) item(x, add_row(x, c, r), wr_null());
                continue;
            }
            for (int32_t j = 0; j < a->n && !ev->failed; j++)
                item(x, add_row(x, c, r), a->items[j]);
        }
    }
    if (!ev->failed) flush(x);
    x->n = 0;
}

static void explode_close(wr_op *op) {
    explode *x = (explode *)op;
    for (int j = 0; j < x->step->out_width; j++) {
        free(x->cols[j].u.p);
        free(x->cols[j].nulls);
    }
    free(x->cols);
    free(x->copy);
    free(x);
}

const wr_op_class wr_op_explode = {
    .name = "explode", .open = explode_open, .push = explode_push, .close = explode_close};
