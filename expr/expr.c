/* Evaluation of bound expressions, one row at a time, with Spark's non-ANSI
 * semantics: NULL propagates, integer overflow wraps, division by zero is NULL.
 * What cannot be computed at all (a regex that hits a match limit) is an
 * error recorded in the evaluation context, never a wrong value. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/wr_expr.h"

void wr_eval_init(wr_eval *ev, wr_arena *arena) {
    ev->arena = arena;
    ev->mx = wr_matcher_new();
    ev->failed = false;
    ev->err[0] = '\0';
}

void wr_eval_destroy(wr_eval *ev) {
    wr_matcher_free(ev->mx);
    ev->mx = NULL;
}

void wr_eval_fail(wr_eval *ev, const char *fmt, ...) {
    if (ev->failed) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev->err, sizeof ev->err, fmt, ap);
    va_end(ap);
    ev->failed = true;
}

int wr_eval_match(const wr_expr *e, const char *what, const char *s, size_t n, size_t start,
                  wr_eval *ev) {
    char why[160];
    int rc = wr_match(ev->mx, e->re, s, n, start, 0, why, sizeof why);
    if (rc >= 0) return rc;
    const char *pat = e->pattern ? e->pattern : "?";
    wr_eval_fail(ev, "%s: the %s '%.200s%s' failed on a %zu-byte value: %s", what,
                 e->op == WR_E_LIKE ? "pattern" : "regular expression", pat,
                 strlen(pat) > 200 ? "..." : "", n, why);
    return rc;
}

void wr_expr_free(wr_expr *e) {
    if (!e) return;
    for (int i = 0; i < e->nargs; i++)
        wr_expr_free(e->args[i]);
    free(e->args);
    wr_regex_free(e->re);
    free(e->pattern);
    if (e->op == WR_E_LIT && !e->lit.null) wr_val_free(e->lit, e->type);
    free(e);
}

static inline int64_t wrap(int64_t v, wr_kind k) {
    return k == WR_T_INT ? (int64_t)(int32_t)(uint32_t)(uint64_t)v : v;
}

static wr_val arith(const wr_expr *e, wr_val a, wr_val b) {
    if (a.null || b.null) return wr_null();
    wr_kind k = (wr_kind)e->type.kind;
    if (k == WR_T_DOUBLE) {
        switch (e->op) {
        case WR_E_ADD:
            return wr_dbl(a.u.d + b.u.d);
        case WR_E_SUB:
            return wr_dbl(a.u.d - b.u.d);
        case WR_E_MUL:
            return wr_dbl(a.u.d * b.u.d);
        case WR_E_DIV:
            return b.u.d == 0 ? wr_null() : wr_dbl(a.u.d / b.u.d);
        case WR_E_MOD:
            return b.u.d == 0 ? wr_null() : wr_dbl(fmod(a.u.d, b.u.d));
        default:
            return wr_null();
        }
    }
    uint64_t x = (uint64_t)a.u.i, y = (uint64_t)b.u.i;
    switch (e->op) {
    case WR_E_ADD:
        return wr_int(wrap((int64_t)(x + y), k));
    case WR_E_SUB:
        return wr_int(wrap((int64_t)(x - y), k));
    case WR_E_MUL:
        return wr_int(wrap((int64_t)(x * y), k));
    case WR_E_MOD:
    case WR_E_IDIV:
        if (b.u.i == 0) return wr_null();
        if (b.u.i == -1) return wr_int(e->op == WR_E_MOD ? 0 : wrap((int64_t)(0 - x), k));
        return wr_int(e->op == WR_E_MOD ? a.u.i % b.u.i : a.u.i / b.u.i);
    default:
        return wr_null();
    }
}

static wr_val like_match(const wr_expr *e, wr_val s, wr_eval *ev) {
    if (s.null || !e->re) return wr_null();
    int rc = wr_eval_match(e, e->op == WR_E_LIKE ? "LIKE" : "RLIKE", s.u.p, s.len, 0, ev);
    if (rc < 0) return wr_null(); /* failed: ev says why */
    return wr_int(rc);
}

wr_val wr_expr_eval(const wr_expr *e, const wr_val *row, wr_eval *ev) {
    switch (e->op) {
    case WR_E_LIT:
        return e->lit;
    case WR_E_COL:
        return row[e->col];
    case WR_E_NEG: {
        wr_val a = wr_expr_eval(e->args[0], row, ev);
        if (a.null) return a;
        if (e->type.kind == WR_T_DOUBLE) return wr_dbl(-a.u.d);
        return wr_int(wrap((int64_t)(0 - (uint64_t)a.u.i), (wr_kind)e->type.kind));
    }
    case WR_E_NOT: {
        wr_val a = wr_expr_eval(e->args[0], row, ev);
        return a.null ? a : wr_int(!a.u.i);
    }
    case WR_E_AND: {
        wr_val a = wr_expr_eval(e->args[0], row, ev);
        if (!a.null && !a.u.i) return wr_int(0);
        wr_val b = wr_expr_eval(e->args[1], row, ev);
        if (!b.null && !b.u.i) return wr_int(0);
        return a.null || b.null ? wr_null() : wr_int(1);
    }
    case WR_E_OR: {
        wr_val a = wr_expr_eval(e->args[0], row, ev);
        if (!a.null && a.u.i) return wr_int(1);
        wr_val b = wr_expr_eval(e->args[1], row, ev);
        if (!b.null && b.u.i) return wr_int(1);
        return a.null || b.null ? wr_null() : wr_int(0);
    }
    case WR_E_ADD:
    case WR_E_SUB:
    case WR_E_MUL:
    case WR_E_DIV:
    case WR_E_MOD:
    case WR_E_IDIV:
        return arith(e, wr_expr_eval(e->args[0], row, ev), wr_expr_eval(e->args[1], row, ev));
    case WR_E_EQ:
    case WR_E_NE:
    case WR_E_LT:
    case WR_E_LE:
    case WR_E_GT:
    case WR_E_GE:
    case WR_E_EQ_NS: {
        wr_val a = wr_expr_eval(e->args[0], row, ev), b = wr_expr_eval(e->args[1], row, ev);
        wr_type t = e->args[0]->type;
        if (e->op == WR_E_EQ_NS) return wr_int(wr_val_eq(a, b, t));
        if (a.null || b.null) return wr_null();
        if (e->op == WR_E_EQ) return wr_int(wr_val_eq(a, b, t));
        if (e->op == WR_E_NE) return wr_int(!wr_val_eq(a, b, t));
        int c = wr_val_cmp(a, b, t);
        switch (e->op) {
        case WR_E_LT:
            return wr_int(c < 0);
        case WR_E_LE:
            return wr_int(c <= 0);
        case WR_E_GT:
            return wr_int(c > 0);
        default:
            return wr_int(c >= 0);
        }
    }
    case WR_E_IS_NULL:
        return wr_int(wr_expr_eval(e->args[0], row, ev).null);
    case WR_E_IS_NOT_NULL:
        return wr_int(!wr_expr_eval(e->args[0], row, ev).null);
    case WR_E_CAST:
        return wr_cast(wr_expr_eval(e->args[0], row, ev), e->args[0]->type, e->type, ev->arena);
    case WR_E_CASE: {
        int pairs = (e->nargs - e->has_else) / 2;
        for (int i = 0; i < pairs; i++) {
            wr_val c = wr_expr_eval(e->args[2 * i], row, ev);
            if (!c.null && c.u.i) return wr_expr_eval(e->args[2 * i + 1], row, ev);
        }
        return e->has_else ? wr_expr_eval(e->args[e->nargs - 1], row, ev) : wr_null();
    }
    case WR_E_IN: {
        wr_val a = wr_expr_eval(e->args[0], row, ev);
        if (a.null) return a;
        bool saw_null = false;
        for (int i = 1; i < e->nargs; i++) {
            wr_val b = wr_expr_eval(e->args[i], row, ev);
            if (b.null)
                saw_null = true;
            else if (wr_val_eq(a, b, e->args[0]->type))
                return wr_int(1);
        }
        return saw_null ? wr_null() : wr_int(0);
    }
    case WR_E_LIKE:
    case WR_E_RLIKE:
        return like_match(e, wr_expr_eval(e->args[0], row, ev), ev);
    case WR_E_INDEX: {
        wr_val a = wr_expr_eval(e->args[0], row, ev), i = wr_expr_eval(e->args[1], row, ev);
        if (a.null || i.null || i.u.i < 0 || i.u.i >= a.u.a->n) return wr_null();
        return a.u.a->items[i.u.i];
    }
    case WR_E_FIELD: {
        wr_val w = wr_expr_eval(e->args[0], row, ev);
        return w.null ? w : w.u.a->items[e->iarg];
    }
    case WR_E_FUNC: {
        wr_val args[WR_FUNC_MAX_ARGS];
        for (int i = 0; i < e->nargs && i < WR_FUNC_MAX_ARGS; i++)
            args[i] = wr_expr_eval(e->args[i], row, ev);
        return e->fn(e, args, ev);
    }
    }
    return wr_null();
}

bool wr_expr_is_true(const wr_expr *e, const wr_val *row, wr_eval *ev) {
    wr_val v = wr_expr_eval(e, row, ev);
    return !v.null && v.u.i;
}

wr_expr *wr_expr_new(wr_expr_op op, wr_type type, int nargs) {
    wr_expr *e = wr_xcalloc(1, sizeof *e);
    e->op = op;
    e->type = type;
    e->nargs = nargs;
    e->args = nargs ? wr_xcalloc((size_t)nargs, sizeof *e->args) : NULL;
    return e;
}

wr_expr *wr_expr_lit(wr_val v, wr_type t) {
    wr_expr *e = wr_expr_new(WR_E_LIT, t, 0);
    e->lit = wr_val_copy(v, t, NULL);
    return e;
}

wr_expr *wr_expr_col(int col, wr_type t) {
    wr_expr *e = wr_expr_new(WR_E_COL, t, 0);
    e->col = col;
    return e;
}

wr_expr *wr_expr_cast(wr_expr *x, wr_type t) {
    if (x->type.kind == t.kind && x->type.elem == t.elem) return x;
    if (x->op == WR_E_LIT && x->lit.null) { /* NULL literal: just retype */
        x->type = t;
        return x;
    }
    wr_expr *e = wr_expr_new(WR_E_CAST, t, 1);
    e->args[0] = x;
    return e;
}

static int numeric_rank(wr_kind k) {
    switch (k) {
    case WR_T_BOOL:
        return 0;
    case WR_T_INT:
        return 1;
    case WR_T_BIGINT:
        return 2;
    case WR_T_DOUBLE:
        return 3;
    default:
        return -1;
    }
}

bool wr_type_common(wr_type a, wr_type b, wr_type *out) {
    if (a.kind == b.kind && a.elem == b.elem) return *out = a, true;
    if (a.kind == WR_T_NULL) return *out = b, true;
    if (b.kind == WR_T_NULL) return *out = a, true;
    int ra = numeric_rank((wr_kind)a.kind), rb = numeric_rank((wr_kind)b.kind);
    if (ra > 0 && rb > 0) return *out = ra > rb ? a : b, true;
    /* Spark compares a string with a number as numbers (DOUBLE), with a
     * timestamp as timestamps. */
    if ((a.kind == WR_T_STRING && rb > 0) || (b.kind == WR_T_STRING && ra > 0))
        return *out = WR_TYPE(WR_T_DOUBLE), true;
    if ((a.kind == WR_T_STRING && b.kind == WR_T_TIMESTAMP) ||
        (b.kind == WR_T_STRING && a.kind == WR_T_TIMESTAMP))
        return *out = WR_TYPE(WR_T_TIMESTAMP), true;
    if ((a.kind == WR_T_STRING && b.kind == WR_T_BINARY) ||
        (b.kind == WR_T_STRING && a.kind == WR_T_BINARY))
        return *out = WR_TYPE(WR_T_STRING), true;
    if ((a.kind == WR_T_STRING && b.kind == WR_T_BOOL) ||
        (b.kind == WR_T_STRING && a.kind == WR_T_BOOL))
        return *out = WR_TYPE(WR_T_BOOL), true;
    return false;
}

wr_expr *wr_expr_substitute(const wr_expr *e, wr_expr *const *cols) {
    if (e->op == WR_E_COL && cols) return wr_expr_substitute(cols[e->col], NULL);
    wr_expr *c = wr_xmalloc(sizeof *c);
    *c = *e;
    if (e->op == WR_E_LIT) c->lit = wr_val_copy(e->lit, e->type, NULL);
    if (e->re) {
        c->re = wr_regex_copy(e->re);
    }
    if (e->pattern) c->pattern = wr_xstrdup(e->pattern);
    c->args = e->nargs ? wr_xcalloc((size_t)e->nargs, sizeof *c->args) : NULL;
    for (int i = 0; i < e->nargs; i++)
        c->args[i] = wr_expr_substitute(e->args[i], cols);
    return c;
}

bool wr_expr_equal(const wr_expr *a, const wr_expr *b) {
    if (a->op != b->op || a->type.kind != b->type.kind || a->type.elem != b->type.elem ||
        a->nargs != b->nargs || a->has_else != b->has_else || a->iarg != b->iarg || a->fn != b->fn)
        return false;
    if (a->op == WR_E_COL && a->col != b->col) return false;
    if (a->op == WR_E_LIT && !(a->lit.null == b->lit.null && wr_val_eq(a->lit, b->lit, a->type)))
        return false;
    if ((a->op == WR_E_LIKE || a->op == WR_E_RLIKE) && a->re != b->re)
        return false; /* patterns: only the same node */
    for (int i = 0; i < a->nargs; i++)
        if (!wr_expr_equal(a->args[i], b->args[i])) return false;
    return true;
}
