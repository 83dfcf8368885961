/* The aggregate functions (wr_expr.h): count(*), count, sum, avg/mean, min,
 * max, with Spark's types and NULL rules: how each binds, folds a row in,
 * merges partials, gives its result, and is written to a state file. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expr/wr_expr.h"

bool wr_agg_is_name(const char *n) {
    return !strcasecmp(n, "count") || !strcasecmp(n, "sum") || !strcasecmp(n, "avg") ||
           !strcasecmp(n, "mean") || !strcasecmp(n, "min") || !strcasecmp(n, "max");
}

bool wr_agg_bind(wr_agg *g, const char *n, wr_expr *arg, wr_err *err) {
    memset(g, 0, sizeof *g);
    g->arg = arg;
    if (!strcasecmp(n, "count")) {
        g->kind = arg ? WR_AGG_COUNT : WR_AGG_COUNT_STAR;
        g->in = arg ? arg->type : WR_TYPE(WR_T_NULL);
        g->out = WR_TYPE(WR_T_BIGINT);
        return true;
    }
    wr_type t = arg->type;
    if (!strcasecmp(n, "min") || !strcasecmp(n, "max")) {
        if (t.kind == WR_T_ARRAY) {
            wr_expr_free(arg);
            g->arg = NULL;
            return wr_fail(err, WR_ERR_USAGE, "%s of an array is not supported", n);
        }
        g->kind = !strcasecmp(n, "min") ? WR_AGG_MIN : WR_AGG_MAX;
        g->in = g->out = t;
        return true;
    }
    /* sum, avg, mean: strings are summed as DOUBLE */
    if (t.kind == WR_T_STRING || t.kind == WR_T_NULL) {
        arg = wr_expr_cast(arg, WR_TYPE(WR_T_DOUBLE));
        t = WR_TYPE(WR_T_DOUBLE);
    }
    if (!wr_type_is_numeric(t)) {
        wr_expr_free(arg);
        g->arg = NULL;
        return wr_fail(err, WR_ERR_USAGE, "%s needs a number, not %s", n, wr_type_name(t));
    }
    g->kind = !strcasecmp(n, "sum") ? WR_AGG_SUM : WR_AGG_AVG;
    /* Spark: sum of integers is a BIGINT (wrapping), avg sums in DOUBLE */
    wr_type sum_t = g->kind == WR_AGG_AVG ? WR_TYPE(WR_T_DOUBLE)
                    : t.kind == WR_T_INT  ? WR_TYPE(WR_T_BIGINT)
                                          : t;
    g->int_avg = g->kind == WR_AGG_AVG && t.kind != WR_T_DOUBLE;
    g->arg = wr_expr_cast(arg, sum_t);
    g->in = sum_t;
    g->out = g->kind == WR_AGG_AVG ? WR_TYPE(WR_T_DOUBLE) : g->in;
    return true;
}

const char *wr_agg_signature(const wr_agg *g) {
    switch (g->kind) {
    case WR_AGG_COUNT_STAR:
        return "count(*)";
    case WR_AGG_COUNT:
        return "count";
    case WR_AGG_SUM:
        return "sum";
    case WR_AGG_AVG:
        return g->int_avg ? "avg(DOUBLE sum)" : "avg";
    case WR_AGG_MIN:
        return "min";
    case WR_AGG_MAX:
        return "max";
    }
    return "?";
}

static bool is_extreme(const wr_agg *g) {
    return g->kind == WR_AGG_MIN || g->kind == WR_AGG_MAX;
}

/* min/max: keeps v when it beats the state, copied as `copy` says. */
static void set_extreme(const wr_agg *g, wr_aggst *st, wr_val v, wr_agg_copy copy) {
    wr_type t = g->out;
    bool want_min = g->kind == WR_AGG_MIN;
    if (st->n && !(want_min ? wr_val_cmp(v, st->v, t) < 0 : wr_val_cmp(v, st->v, t) > 0)) return;
    if (copy.heap) {
        if (st->n) wr_val_free(st->v, t);
        st->v = wr_val_copy(v, t, NULL);
    } else {
        st->v = copy.arena ? wr_val_copy(v, t, copy.arena) : v;
    }
    st->n = 1;
}

static void add_sum(const wr_agg *g, wr_aggst *st, wr_val v) {
    if (g->in.kind == WR_T_DOUBLE)
        st->v.u.d += v.u.d;
    else
        st->v.u.i = (int64_t)((uint64_t)st->v.u.i + (uint64_t)v.u.i); /* wraps, as Spark */
}

void wr_agg_update(const wr_agg *g, wr_aggst *st, wr_val v, wr_agg_copy copy) {
    switch (g->kind) {
    case WR_AGG_COUNT_STAR:
        st->n++;
        break;
    case WR_AGG_COUNT:
        if (!v.null) st->n++;
        break;
    case WR_AGG_SUM:
    case WR_AGG_AVG:
        if (v.null) break;
        add_sum(g, st, v);
        st->n++;
        break;
    case WR_AGG_MIN:
    case WR_AGG_MAX:
        if (!v.null) set_extreme(g, st, v, copy);
        break;
    }
}

void wr_agg_merge(const wr_agg *g, wr_aggst *into, const wr_aggst *from, wr_agg_copy copy) {
    switch (g->kind) {
    case WR_AGG_COUNT_STAR:
    case WR_AGG_COUNT:
        into->n += from->n;
        break;
    case WR_AGG_SUM:
    case WR_AGG_AVG:
        add_sum(g, into, from->v);
        into->n += from->n;
        break;
    case WR_AGG_MIN:
    case WR_AGG_MAX:
        if (from->n) set_extreme(g, into, from->v, copy);
        break;
    }
}

wr_val wr_agg_final(const wr_agg *g, const wr_aggst *st) {
    switch (g->kind) {
    case WR_AGG_COUNT_STAR:
    case WR_AGG_COUNT:
        return wr_int(st->n);
    case WR_AGG_SUM:
        return st->n ? st->v : wr_null();
    case WR_AGG_AVG:
        return st->n ? wr_dbl(st->v.u.d / (double)st->n) : wr_null();
    case WR_AGG_MIN:
    case WR_AGG_MAX:
        return st->n ? st->v : wr_null();
    }
    return wr_null();
}

void wr_agg_clear(const wr_agg *g, wr_aggst *st) {
    if (is_extreme(g) && st->n) wr_val_free(st->v, g->out);
    memset(st, 0, sizeof *st);
}

void wr_agg_encode(const wr_agg *g, const wr_aggst *st, wr_buf *b) {
    if (g->kind == WR_AGG_SUM || g->kind == WR_AGG_AVG)
        wr_put_u64(b, (uint64_t)st->v.u.i);
    else if (is_extreme(g))
        wr_val_encode(b, st->n ? st->v : wr_null(), g->out);
    wr_put_u64(b, (uint64_t)st->n);
}

bool wr_agg_decode(const wr_agg *g, wr_aggst *st, wr_bytes *r, wr_arena *scratch) {
    wr_agg_clear(g, st);
    if (g->kind == WR_AGG_SUM || g->kind == WR_AGG_AVG) {
        wr_bytes_take(r, &st->v.u.i, 8);
    } else if (is_extreme(g)) {
        wr_val v = wr_val_decode(r, g->out, scratch);
        if (!v.null && !r->bad) st->v = wr_val_copy(v, g->out, NULL);
    }
    wr_bytes_take(r, &st->n, 8);
    if (r->bad) {
        wr_agg_clear(g, st);
        return false;
    }
    if (is_extreme(g) && st->n && st->v.null) { /* a count without its value */
        r->bad = true;
        wr_agg_clear(g, st);
        return false;
    }
    return true;
}
