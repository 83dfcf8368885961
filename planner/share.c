/* Sharing repeated work: a value several expressions of one step compute
 * (split(CAST(value AS STRING), '\t') feeding [4] and [6], say) is computed
 * once by an EXTEND step placed before them, and the expressions read its
 * column instead. Applied to every projection and to the aggregation's
 * inputs (keys, aggregate arguments, watermark column). */
#include <stdlib.h>
#include <string.h>

#include "planner/binder.h"

static int size_of(const wr_expr *e) {
    int n = 1;
    for (int i = 0; i < e->nargs; i++)
        n += size_of(e->args[i]);
    return n;
}

static bool is_bytes(wr_type t) {
    return t.kind == WR_T_STRING || t.kind == WR_T_BINARY;
}

/* Worth computing once: not a column, a constant, or a column seen as
 * STRING instead of BINARY (a view, free). */
static bool costly(const wr_expr *e) {
    if (e->op == WR_E_COL || e->op == WR_E_LIT) return false;
    return !(e->op == WR_E_CAST && e->args[0]->op == WR_E_COL && is_bytes(e->type) &&
             is_bytes(e->args[0]->type));
}

static int occurrences(const wr_expr *e, const wr_expr *x) {
    if (wr_expr_equal(e, x)) return 1;
    int n = 0;
    for (int i = 0; i < e->nargs; i++)
        n += occurrences(e->args[i], x);
    return n;
}

/* The largest costly subtree of `roots` found at least twice, or NULL. */
static const wr_expr *best_in(const wr_expr *e, wr_expr **roots, int nroots, const wr_expr *best) {
    if (costly(e) && (!best || size_of(e) > size_of(best))) {
        int n = 0;
        for (int r = 0; r < nroots && n < 2; r++)
            if (roots[r]) n += occurrences(roots[r], e);
        if (n >= 2) best = e;
    }
    for (int i = 0; i < e->nargs; i++)
        best = best_in(e->args[i], roots, nroots, best);
    return best;
}

/* Replaces every subtree equal to x by a column reference. */
static wr_expr *replace(wr_expr *e, const wr_expr *x, int col) {
    if (wr_expr_equal(e, x)) {
        wr_type t = e->type;
        wr_expr_free(e);
        return wr_expr_col(col, t);
    }
    for (int i = 0; i < e->nargs; i++)
        e->args[i] = replace(e->args[i], x, col);
    return e;
}

/* Shares the common subtrees of `roots` (expressions over rows of `width`
 * columns): returns the EXTEND expressions (appended columns width, width+1,
 * ...) and rewrites the roots to read them. */
static wr_expr **share(wr_expr **roots, int nroots, int width, int *nshared) {
    wr_expr **ext = NULL;
    int n = 0;
    for (;;) {
        const wr_expr *best = NULL;
        for (int r = 0; r < nroots; r++)
            if (roots[r]) best = best_in(roots[r], roots, nroots, best);
        if (!best) break;
        wr_expr *copy = wr_expr_substitute(best, NULL);
        for (int r = 0; r < nroots; r++)
            if (roots[r]) roots[r] = replace(roots[r], copy, width + n);
        ext = wr_xrealloc(ext, sizeof *ext * (size_t)(n + 1));
        ext[n++] = copy;
    }
    *nshared = n;
    return ext;
}

static void insert_extend(wr_query *q, int at, int width, wr_expr **ext, int n) {
    q->steps = wr_xrealloc(q->steps, sizeof *q->steps * (size_t)(q->nsteps + 1));
    memmove(q->steps + at + 1, q->steps + at, sizeof *q->steps * (size_t)(q->nsteps - at));
    q->nsteps++;
    wr_step *st = &q->steps[at];
    memset(st, 0, sizeof *st);
    st->kind = WR_STEP_EXTEND;
    st->exprs = ext;
    st->nexprs = n;
    st->in_width = width;
    st->out_width = width + n;
}

void wr_plan_share(wr_query *q) {
    int width = q->source->schema.n;
    for (int i = 0; i < q->nsteps; i++) {
        wr_step *st = &q->steps[i];
        if (st->kind == WR_STEP_PROJECT && st->nexprs > 1) {
            int n;
            wr_expr **ext = share(st->exprs, st->nexprs, width, &n);
            if (n) {
                insert_extend(q, i, width, ext, n);
                q->steps[i + 1].in_width = width + n;
                i++; /* the projection, now after its EXTEND */
            }
        }
        width = q->steps[i].out_width;
    }
    wr_aggregate *agg = q->agg;
    if (!agg) return;
    int nroots = agg->nkeys + agg->naggs + 1;
    wr_expr **roots = wr_xcalloc((size_t)nroots, sizeof *roots);
    for (int k = 0; k < agg->nkeys; k++)
        roots[k] = agg->keys[k];
    for (int a = 0; a < agg->naggs; a++)
        roots[agg->nkeys + a] = agg->aggs[a].arg;
    roots[nroots - 1] = agg->wm_expr;
    int n;
    wr_expr **ext = share(roots, nroots, width, &n);
    if (n) {
        for (int k = 0; k < agg->nkeys; k++)
            agg->keys[k] = roots[k];
        for (int a = 0; a < agg->naggs; a++)
            agg->aggs[a].arg = roots[agg->nkeys + a];
        agg->wm_expr = roots[nroots - 1];
        insert_extend(q, q->nsteps, width, ext, n);
    }
    free(roots);
}
