/* Vector evaluation: an expression over a whole chunk per call. Column
 * references are views of the chunk's columns, literals are broadcast, and
 * the common operators (comparisons and arithmetic on integers and
 * doubles, IS NULL, NOT) run as tight loops over typed arrays. Every other
 * node evaluates its arguments as vectors, then applies its own row-level
 * semantics (expr.c, the function table) element by element, so the results
 * are those of row-at-a-time evaluation by construction. AND, OR and CASE
 * evaluate their branches lazily row by row when a branch could fail (a
 * regular expression), as the row evaluator does; otherwise eagerly. */
#include <string.h>

#include "expr/wr_expr.h"

#define MAX_ARGS 16

/* Whether evaluating e can fail (only matching a regular expression can). */
static bool can_fail(const wr_expr *e) {
    if (e->re && !e->sep_fast) return true;
    for (int i = 0; i < e->nargs; i++)
        if (can_fail(e->args[i])) return true;
    return false;
}

static void fail_at(const wr_chunk *c, size_t r, wr_eval *ev) {
    ev->fail_row = wr_chunk_origin(c, r);
}

/* Row by row with the row evaluator over the chunk's rows (AND/OR/CASE
 * whose branches could fail). */
static void eval_rows(const wr_expr *e, const wr_chunk *c, wr_vec *out, wr_eval *ev) {
    wr_val *row = wr_arena_alloc(ev->arena, sizeof *row * (size_t)(c->width + 1));
    size_t rows = wr_chunk_rows(c);
    for (size_t k = 0; k < rows; k++) {
        size_t r = wr_chunk_row(c, k);
        wr_chunk_get_row(c, r, row);
        wr_val v = wr_expr_eval(e, row, ev);
        if (ev->failed) {
            fail_at(c, r, ev);
            return;
        }
        wr_vec_put(out, r, v, c->n, ev->arena);
    }
}

/* Applies e's own operation to argument vectors, element by element: a
 * shadow of e whose arguments are columns 0..nargs-1 of a row of the
 * arguments' values. */
static void apply_rows(const wr_expr *e, const wr_chunk *c, const wr_vec *args, wr_vec *out,
                       wr_eval *ev) {
    wr_expr cols[MAX_ARGS], *cargs[MAX_ARGS], shadow = *e;
    wr_val argv[MAX_ARGS];
    int na = e->nargs < MAX_ARGS ? e->nargs : MAX_ARGS;
    for (int j = 0; j < na; j++) {
        cols[j] = (wr_expr){.op = WR_E_COL, .type = e->args[j]->type, .col = j};
        cargs[j] = &cols[j];
    }
    shadow.args = cargs;
    bool fn = e->op == WR_E_FUNC;
    size_t rows = wr_chunk_rows(c);
    for (size_t k = 0; k < rows; k++) {
        size_t r = wr_chunk_row(c, k);
        for (int j = 0; j < na; j++)
            argv[j] = wr_vec_get(&args[j], r);
        wr_val v = fn ? e->fn(e, argv, ev) : wr_expr_eval(&shadow, argv, ev);
        if (ev->failed) {
            fail_at(c, r, ev);
            return;
        }
        wr_vec_put(out, r, v, c->n, ev->arena);
    }
}

/* The null bitmap of a result that is NULL where either input is. */
static uint64_t *nulls_of(const wr_vec *a, const wr_vec *b, size_t n, wr_arena *arena) {
    if (!a->nulls && !b->nulls) return NULL;
    size_t words = (n + 63) / 64 + 1;
    uint64_t *m = wr_arena_alloc(arena, sizeof *m * words);
    for (size_t w = 0; w < words; w++)
        m[w] = (a->nulls ? a->nulls[w] : 0) | (b->nulls ? b->nulls[w] : 0);
    return m;
}

#define EACH_ROW(c, r, body)                                                                       \
    do {                                                                                           \
        if ((c)->sel) {                                                                            \
            for (size_t k_ = 0; k_ < (c)->nsel; k_++) {                                            \
                size_t r = (c)->sel[k_];                                                           \
                body;                                                                              \
            }                                                                                      \
        } else {                                                                                   \
            for (size_t r = 0; r < (c)->n; r++) {                                                  \
                body;                                                                              \
            }                                                                                      \
        }                                                                                          \
    } while (0)

/* Comparisons and + - * of two BIGINT/INT/TIMESTAMP/BOOL or two DOUBLE
 * vectors, NULL where either side is: the common case, as typed loops.
 * false when e is not such a node (then the generic path runs). */
static bool fast_binary(const wr_expr *e, const wr_chunk *c, const wr_vec *a, const wr_vec *b,
                        wr_vec *out, wr_eval *ev) {
    wr_type ta = e->args[0]->type, tb = e->args[1]->type;
    if (!wr_type_eq(ta, tb)) return false;
    bool cmp = e->op >= WR_E_EQ && e->op <= WR_E_GE && wr_rep_of(ta) == WR_REP_I64;
    bool arith = (e->op == WR_E_ADD || e->op == WR_E_SUB || e->op == WR_E_MUL) &&
                 (e->type.kind == WR_T_BIGINT || e->type.kind == WR_T_DOUBLE) &&
                 e->type.kind == ta.kind;
    if (!cmp && !arith) return false; /* DOUBLE comparisons: NaN rules, the generic path */
    wr_rep ra = wr_rep_of(ta);
    wr_vec_alloc(out, e->type, c->n, ev->arena);
    out->nulls = nulls_of(a, b, c->n, ev->arena);
    if (ra == WR_REP_I64) {
        const int64_t *x = a->u.i, *y = b->u.i;
        int64_t *o = out->u.i;
        switch (e->op) {
        case WR_E_EQ:
            EACH_ROW(c, r, o[r] = x[r] == y[r]);
            break;
        case WR_E_NE:
            EACH_ROW(c, r, o[r] = x[r] != y[r]);
            break;
        case WR_E_LT:
            EACH_ROW(c, r, o[r] = x[r] < y[r]);
            break;
        case WR_E_LE:
            EACH_ROW(c, r, o[r] = x[r] <= y[r]);
            break;
        case WR_E_GT:
            EACH_ROW(c, r, o[r] = x[r] > y[r]);
            break;
        case WR_E_GE:
            EACH_ROW(c, r, o[r] = x[r] >= y[r]);
            break;
        case WR_E_ADD: /* BIGINT wraps, as Spark's non-ANSI long arithmetic */
            EACH_ROW(c, r, o[r] = (int64_t)((uint64_t)x[r] + (uint64_t)y[r]));
            break;
        case WR_E_SUB:
            EACH_ROW(c, r, o[r] = (int64_t)((uint64_t)x[r] - (uint64_t)y[r]));
            break;
        default:
            EACH_ROW(c, r, o[r] = (int64_t)((uint64_t)x[r] * (uint64_t)y[r]));
        }
        return true;
    }
    const double *x = a->u.d, *y = b->u.d;
    double *o = out->u.d;
    switch (e->op) {
    case WR_E_ADD:
        EACH_ROW(c, r, o[r] = x[r] + y[r]);
        break;
    case WR_E_SUB:
        EACH_ROW(c, r, o[r] = x[r] - y[r]);
        break;
    default:
        EACH_ROW(c, r, o[r] = x[r] * y[r]);
    }
    return true;
}

static void broadcast(const wr_expr *e, const wr_chunk *c, wr_vec *out, wr_eval *ev) {
    wr_vec_alloc(out, e->type, c->n, ev->arena);
    if (e->lit.null) {
        size_t words = (c->n + 63) / 64 + 1;
        out->nulls = wr_arena_alloc(ev->arena, sizeof(uint64_t) * words);
        memset(out->nulls, 0xff, sizeof(uint64_t) * words);
        return;
    }
    EACH_ROW(c, r, wr_vec_put(out, r, e->lit, c->n, ev->arena));
}

void wr_expr_eval_vec(const wr_expr *e, const wr_chunk *c, wr_vec *out, wr_eval *ev) {
    switch (e->op) {
    case WR_E_COL:
        *out = c->cols[e->col];
        return;
    case WR_E_LIT:
        broadcast(e, c, out, ev);
        return;
    case WR_E_AND:
    case WR_E_OR:
    case WR_E_CASE:
        if (can_fail(e)) {
            wr_vec_alloc(out, e->type, c->n, ev->arena);
            eval_rows(e, c, out, ev);
            return;
        }
        break;
    case WR_E_IS_NULL:
    case WR_E_IS_NOT_NULL: {
        wr_vec a;
        wr_expr_eval_vec(e->args[0], c, &a, ev);
        if (ev->failed) return;
        wr_vec_alloc(out, e->type, c->n, ev->arena);
        bool want = e->op == WR_E_IS_NULL;
        EACH_ROW(c, r, out->u.i[r] = wr_vec_is_null(&a, r) == want);
        return;
    }
    default:
        break;
    }
    wr_vec args[MAX_ARGS];
    int na = e->nargs < MAX_ARGS ? e->nargs : MAX_ARGS;
    for (int j = 0; j < na; j++) {
        wr_expr_eval_vec(e->args[j], c, &args[j], ev);
        if (ev->failed) return;
    }
    if (na == 2 && fast_binary(e, c, &args[0], &args[1], out, ev)) return;
    wr_vec_alloc(out, e->type, c->n, ev->arena);
    apply_rows(e, c, args, out, ev);
}

void wr_expr_mark_cols(const wr_expr *e, bool *used) {
    if (e->op == WR_E_COL) used[e->col] = true;
    for (int i = 0; i < e->nargs; i++)
        wr_expr_mark_cols(e->args[i], used);
}
