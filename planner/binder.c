/* The binder: resolves names against the columns in scope, types every
 * expression (inserting Spark's implicit casts), recognises generators and
 * aggregates, and lays a SELECT out as steps + aggregation (see binder.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "planner/binder.h"

typedef struct scol {
    const char *name;
    const char *rel; /* relation alias qualifying it, or NULL */
    wr_type type;
} scol;

typedef struct scope {
    scol *cols;
    int n, cap;
} scope;

/* The rows flowing through a pipeline under construction. */
typedef struct pipe {
    wr_step *steps;
    int nsteps;
    int width;
    scope sc;
    wr_source_def *source;
} pipe;

typedef struct binder {
    const wr_bind_env *env;
    char *err;
    size_t errlen;
    bool failed;
    int depth; /* view nesting, against cycles */
    /* aggregation context (while binding the select list / HAVING of an
     * aggregating SELECT) */
    bool agg_mode;
    const scope *pre; /* scope of the rows being aggregated */
    wr_ast **key_asts;
    int *key_cols; /* scope column a plain-column key refers to, else -1 */
    wr_type *key_types;
    int nkeys;
    wr_ast **agg_asts;
    wr_agg *aggs;
    int naggs;
    char **owned; /* output names of subqueries and views, alive while binding */
    int nowned;
    /* WATERMARK col DELAY OF delay (one per query) */
    const char *wm_name;
    int64_t wm_delay;
    int win_key; /* the window key of the aggregation being bound, or -1 */
} binder;

/* Keeps the names of a nested SELECT's output until binding ends. */
static void own_names(binder *b, char **names, int n) {
    b->owned = wr_xrealloc(b->owned, sizeof *b->owned * (size_t)(b->nowned + n + 1));
    for (int i = 0; i < n; i++)
        b->owned[b->nowned++] = names[i];
    free(names);
}

static void free_owned(binder *b) {
    for (int i = 0; i < b->nowned; i++)
        free(b->owned[i]);
    free(b->owned);
}

static void *fail(binder *b, const wr_ast *at, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void *fail(binder *b, const wr_ast *at, int line, int col, const char *fmt, ...) {
    if (b->failed) return NULL;
    b->failed = true;
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (at) line = at->line, col = at->col;
    wr_errf(b->err, b->errlen, "%s:%d:%d: %s", b->env->file, line, col, msg);
    return NULL;
}

static bool is_generator_name(const char *n) {
    return !strcasecmp(n, "explode") || !strcasecmp(n, "explode_outer");
}

static bool has_agg(const wr_ast *a) {
    if (!a) return false;
    if (a->kind == AST_CALL && wr_agg_is_name(a->name)) return true;
    for (int i = 0; i < a->nargs; i++)
        if (has_agg(a->args[i])) return true;
    return false;
}

static bool ast_equal(const wr_ast *x, const wr_ast *y) {
    if (x->kind != y->kind || x->nargs != y->nargs || x->flag != y->flag) return false;
    switch (x->kind) {
    case AST_COLUMN:
        if (strcasecmp(x->name, y->name)) return false;
        if (x->qual && y->qual && strcasecmp(x->qual, y->qual)) return false;
        break;
    case AST_CALL:
    case AST_CAST:
    case AST_FIELD:
        if (strcasecmp(x->name, y->name)) return false;
        break;
    case AST_BINARY:
    case AST_UNARY:
        if (strcmp(x->op, y->op)) return false;
        break;
    case AST_INT:
    case AST_BOOL:
    case AST_INTERVAL:
        if (x->ival != y->ival) return false;
        break;
    case AST_DOUBLE:
        if (x->dval != y->dval) return false;
        break;
    case AST_STRING:
        if (x->slen != y->slen || memcmp(x->sval, y->sval, x->slen)) return false;
        break;
    default:
        break;
    }
    for (int i = 0; i < x->nargs; i++)
        if (!ast_equal(x->args[i], y->args[i])) return false;
    return true;
}

/* Lists grow by doubling: a select list of 50,000 items costs linear time
 * (growing by one, each realloc may copy the whole list, as ASan's do). */
static int grown(int n, int cap) {
    return n < cap ? cap : cap ? 2 * cap : 8;
}

static void scope_add(scope *s, const char *name, const char *rel, wr_type t) {
    if (s->n == s->cap) {
        s->cap = grown(s->n, s->cap);
        s->cols = wr_xrealloc(s->cols, sizeof *s->cols * (size_t)s->cap);
    }
    s->cols[s->n++] = (scol){name, rel, t};
}

static void scope_free(scope *s) {
    free(s->cols);
    s->cols = NULL;
    s->n = s->cap = 0;
}

static void scope_list(const scope *s, char *buf, size_t len) {
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < s->n && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", s->cols[i].name);
}

/* Index of a column in scope, or -1 with an error. */
static int resolve(binder *b, const scope *s, const wr_ast *a) {
    int found = -1, hits = 0;
    bool rel_known = false;
    for (int i = 0; i < s->n; i++) {
        if (a->qual) {
            if (!s->cols[i].rel || strcasecmp(s->cols[i].rel, a->qual)) continue;
            rel_known = true;
        }
        if (!strcasecmp(s->cols[i].name, a->name)) {
            if (found < 0) found = i;
            hits++;
        }
    }
    if (hits > 1) {
        fail(b, a, 0, 0, "column '%s' is ambiguous: qualify it with its relation's alias", a->name);
        return -1;
    }
    if (found < 0) {
        char cols[400];
        scope_list(s, cols, sizeof cols);
        if (a->qual && !rel_known)
            fail(b, a, 0, 0, "unknown relation or column '%s' in '%s.%s' (columns in scope: %s)",
                 a->qual, a->qual, a->name, cols);
        else
            fail(b, a, 0, 0, "unknown column '%s%s%s' (columns in scope: %s)",
                 a->qual ? a->qual : "", a->qual ? "." : "", a->name, cols);
    }
    return found;
}

static wr_expr *bind_expr(binder *b, const wr_ast *a, const scope *s);

/* The window key's names in the select list: window, session_window. */
static bool is_window_name(const char *n) {
    return !strcasecmp(n, "window") || !strcasecmp(n, "session_window");
}

static bool is_window_call(const wr_ast *a) {
    return a->kind == AST_CALL &&
           (!strcasecmp(a->name, "window") || !strcasecmp(a->name, "session_window"));
}

/* A constant interval argument: INTERVAL ... or a string such as '10 minutes'. */
static bool interval_arg(binder *b, const wr_ast *a, const char *what, int64_t *us) {
    char why[300];
    if (a->kind == AST_INTERVAL)
        *us = a->ival;
    else if (a->kind != AST_STRING)
        return fail(
                   b, a, 0, 0,
                   "the %s must be a constant interval such as '10 minutes' or INTERVAL 10 MINUTES",
                   what),
               false;
    else if (memchr(a->sval, '\0', a->slen) ||
             !wr_interval_parse(a->sval, a->slen, us, why, sizeof why))
        return fail(b, a, 0, 0,
                    "the %s must be a constant interval such as '10 minutes' or INTERVAL 10 "
                    "MINUTES: %s",
                    what,
                    memchr(a->sval, '\0', a->slen) ? "an interval must not contain a NUL byte"
                                                   : why),
               false;
    if (*us <= 0) return fail(b, a, 0, 0, "the %s must be positive", what), false;
    if (*us > WR_MAX_INTERVAL_US)
        return fail(b, a, 0, 0,
                    "the %s is longer than 10,000 years, the span of timestamps (years 1 to 9999)",
                    what),
               false;
    return true;
}

/* GROUP BY window(ts, size[, slide]) / session_window(ts, gap): binds ts
 * (the key's per-row expression) and fills the window's spec. */
static wr_expr *bind_window(binder *b, const wr_ast *a, const scope *s, wr_window *w) {
    bool session = !strcasecmp(a->name, "session_window");
    if (session ? a->nargs != 2 : (a->nargs < 2 || a->nargs > 3))
        return fail(b, a, 0, 0,
                    session ? "session_window takes 2 arguments (time column, gap), not %d"
                            : "window takes 2 or 3 arguments (time column, size[, slide]), not %d",
                    a->nargs);
    if (session) {
        if (!interval_arg(b, a->args[1], "session gap", &w->gap)) return NULL;
        w->kind = WR_WIN_SESSION;
    } else {
        if (!interval_arg(b, a->args[1], "window size", &w->size)) return NULL;
        w->slide = w->size;
        if (a->nargs == 3 && !interval_arg(b, a->args[2], "window slide", &w->slide)) return NULL;
        if (w->slide > w->size)
            return fail(b, a->args[2], 0, 0, "the window slide must not exceed the window size");
        int64_t per_row = w->size / w->slide + (w->size % w->slide != 0);
        if (per_row > WR_MAX_WINDOWS_PER_ROW)
            return fail(b, a, 0, 0,
                        "this window puts each row into %lld windows (its size divided by its "
                        "slide); at most %d are "
                        "allowed: make the slide longer or the window shorter",
                        (long long)per_row, WR_MAX_WINDOWS_PER_ROW);
        w->kind = w->slide == w->size ? WR_WIN_TUMBLING : WR_WIN_SLIDING;
    }
    wr_expr *ts = bind_expr(b, a->args[0], s);
    if (ts && ts->type.kind != WR_T_TIMESTAMP) {
        fail(
            b, a->args[0], 0, 0,
            "%s needs a TIMESTAMP time column, not %s (use CAST(... AS TIMESTAMP) or to_timestamp)",
            a->name, wr_type_name(ts->type));
        wr_expr_free(ts);
        return NULL;
    }
    return ts;
}

static wr_expr *window_field(binder *b, const wr_ast *a, wr_expr *w, const char *field) {
    int idx = !strcasecmp(field, "start") ? 0 : !strcasecmp(field, "end") ? 1 : -1;
    if (idx < 0) {
        wr_expr_free(w);
        return fail(b, a, 0, 0, "a window has fields start and end, not '%s'", field);
    }
    wr_expr *e = wr_expr_new(WR_E_FIELD, WR_TYPE(WR_T_TIMESTAMP), 1);
    e->args[0] = w;
    e->iarg = idx;
    return e;
}

/* Binds both operands of a binary node; false (nothing to free) on error. */
static bool bind_pair(binder *b, const wr_ast *a, const scope *s, wr_expr **x, wr_expr **y) {
    *x = bind_expr(b, a->args[0], s);
    *y = *x ? bind_expr(b, a->args[1], s) : NULL;
    if (*y) return true;
    wr_expr_free(*x);
    return false;
}

static wr_expr *binop(wr_expr_op op, wr_type t, wr_expr *x, wr_expr *y) {
    wr_expr *e = wr_expr_new(op, t, 2);
    e->args[0] = x;
    e->args[1] = y;
    return e;
}

static bool is_bool_like(wr_type t) {
    return t.kind == WR_T_BOOL || t.kind == WR_T_NULL;
}

/* Converts a SQL LIKE pattern into an anchored regular expression. */
static char *like_to_regex(const char *p, size_t n) {
    wr_buf r = {0};
    wr_buf_puts(&r, "(?s)^");
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '\\' && i + 1 < n) {
            c = p[++i];
            wr_buf_printf(&r, "\\x{%x}", (unsigned char)c);
        } else if (c == '%') {
            wr_buf_puts(&r, ".*");
        } else if (c == '_') {
            wr_buf_putc(&r, '.');
        } else if (strchr("\\^$.|?*+()[]{}", c)) {
            wr_buf_putc(&r, '\\');
            wr_buf_putc(&r, c);
        } else {
            wr_buf_putc(&r, c);
        }
    }
    wr_buf_puts(&r, "$");
    return r.p;
}

static wr_expr *bind_agg_call(binder *b, const wr_ast *a) {
    if (!b->agg_mode) return fail(b, a, 0, 0, "aggregate function %s is not allowed here", a->name);
    for (int i = 0; i < b->naggs; i++)
        if (ast_equal(b->agg_asts[i], a)) return wr_expr_col(b->nkeys + i, b->aggs[i].out);
    if (a->flag) return fail(b, a, 0, 0, "%s(DISTINCT ...) is not supported yet", a->name);
    const char *n = a->name;
    bool star = !strcasecmp(n, "count") && a->nargs == 1 && a->args[0]->kind == AST_STAR;
    if (!strcasecmp(n, "count") && a->nargs != 1)
        return fail(b, a, 0, 0, "count takes one argument or *, not %d", a->nargs);
    if (a->nargs != 1) return fail(b, a, 0, 0, "%s takes one argument, not %d", n, a->nargs);
    wr_expr *arg = NULL;
    if (!star) {
        if (a->args[0]->kind == AST_STAR)
            return fail(b, a->args[0], 0, 0, "* is only allowed in count(*)");
        bool saved = b->agg_mode;
        b->agg_mode = false; /* no aggregates inside aggregates */
        if (has_agg(a->args[0])) {
            b->agg_mode = saved;
            return fail(b, a->args[0], 0, 0, "aggregate functions cannot be nested");
        }
        arg = bind_expr(b, a->args[0], b->pre);
        b->agg_mode = saved;
        if (!arg) return NULL;
    }
    wr_agg g;
    wr_err why;
    if (!wr_agg_bind(&g, n, arg, &why)) return fail(b, a->args[0], 0, 0, "%s", why.msg);
    b->aggs = wr_xrealloc(b->aggs, sizeof *b->aggs * (size_t)(b->naggs + 1));
    b->agg_asts = wr_xrealloc(b->agg_asts, sizeof *b->agg_asts * (size_t)(b->naggs + 1));
    b->aggs[b->naggs] = g;
    b->agg_asts[b->naggs] = (wr_ast *)a;
    b->naggs++;
    return wr_expr_col(b->nkeys + b->naggs - 1, g.out);
}

static wr_expr *bind_expr(binder *b, const wr_ast *a, const scope *s) {
    if (b->failed || !a) return NULL;
    if (b->agg_mode) {
        for (int i = 0; i < b->nkeys; i++)
            if (ast_equal(b->key_asts[i], a)) return wr_expr_col(i, b->key_types[i]);
        if (a->kind == AST_CALL && wr_agg_is_name(a->name)) return bind_agg_call(b, a);
        if (a->kind == AST_COLUMN && b->win_key >= 0 && !a->qual && is_window_name(a->name))
            return wr_expr_col(b->win_key, WR_TYPE_WINDOW);
        if (a->kind == AST_COLUMN && b->win_key >= 0 && a->qual && is_window_name(a->qual))
            return window_field(b, a, wr_expr_col(b->win_key, WR_TYPE_WINDOW), a->name);
        if (a->kind == AST_COLUMN) {
            int c = resolve(b, b->pre, a);
            if (c < 0) return NULL;
            for (int i = 0; i < b->nkeys; i++)
                if (b->key_cols[i] == c) return wr_expr_col(i, b->key_types[i]);
            return fail(b, a, 0, 0,
                        "column '%s' is neither in GROUP BY nor inside an aggregate function such "
                        "as count, sum or max",
                        a->name);
        }
    }
    wr_expr *e = NULL;
    switch (a->kind) {
    case AST_NULL:
        return wr_expr_lit(wr_null(), WR_TYPE(WR_T_NULL));
    case AST_BOOL:
        return wr_expr_lit(wr_int(a->ival), WR_TYPE(WR_T_BOOL));
    case AST_INT:
        return wr_expr_lit(
            wr_int(a->ival),
            WR_TYPE(a->ival >= INT32_MIN && a->ival <= INT32_MAX ? WR_T_INT : WR_T_BIGINT));
    case AST_DOUBLE:
        return wr_expr_lit(wr_dbl(a->dval), WR_TYPE(WR_T_DOUBLE));
    case AST_STRING:
        return wr_expr_lit(wr_str(a->sval, a->slen), WR_TYPE(WR_T_STRING));
    case AST_INTERVAL:
        return fail(
            b, a, 0, 0,
            "an interval is only allowed as an argument of window() or session_window() and after "
            "WATERMARK "
            "col DELAY OF (interval arithmetic such as ts + INTERVAL 1 HOUR is not supported yet)");
    case AST_COLUMN: {
        int c = resolve(b, s, a);
        return c < 0 ? NULL : wr_expr_col(c, s->cols[c].type);
    }
    case AST_STAR:
        return fail(b, a, 0, 0, "* is only allowed in the select list and in count(*)");
    case AST_FIELD: {
        wr_expr *x = bind_expr(b, a->args[0], s);
        if (!x) return NULL;
        if (x->type.kind == WR_T_WINDOW) return window_field(b, a, x, a->name);
        const char *tn = wr_type_name(x->type);
        wr_expr_free(x);
        return fail(b, a, 0, 0, "%s has no field '%s'", tn, a->name);
    }
    case AST_CALL: {
        if (wr_agg_is_name(a->name))
            return fail(b, a, 0, 0, "aggregate function %s is not allowed here", a->name);
        if (is_window_call(a))
            return fail(b, a, 0, 0, "%s is only for GROUP BY (an event-time aggregation)", a->name);
        if (is_generator_name(a->name))
            return fail(b, a, 0, 0,
                        "%s must be the whole expression of a select-list item or a LATERAL VIEW",
                        a->name);
        if (a->nargs > WR_FUNC_MAX_ARGS)
            return fail(b, a, 0, 0, "%s: too many arguments (%d; a function takes at most %d)",
                        a->name, a->nargs, WR_FUNC_MAX_ARGS);
        e = wr_expr_new(WR_E_FUNC, WR_TYPE(WR_T_NULL), a->nargs);
        for (int i = 0; i < a->nargs; i++) {
            if (a->args[i]->kind == AST_STAR) {
                wr_expr_free(e);
                return fail(b, a->args[i], 0, 0, "* is only allowed in count(*)");
            }
            e->args[i] = bind_expr(b, a->args[i], s);
            if (!e->args[i]) {
                wr_expr_free(e);
                return NULL;
            }
        }
        wr_err why;
        if (!wr_func_bind(e, a->name, &why)) {
            wr_expr_free(e);
            return fail(b, a, 0, 0, "%s", why.msg);
        }
        return e;
    }
    case AST_UNARY: {
        wr_expr *x = bind_expr(b, a->args[0], s);
        if (!x) return NULL;
        if (!strcmp(a->op, "NOT")) {
            if (x->type.kind == WR_T_STRING) x = wr_expr_cast(x, WR_TYPE(WR_T_BOOL));
            if (!is_bool_like(x->type)) {
                const char *tn = wr_type_name(x->type);
                wr_expr_free(x);
                return fail(b, a, 0, 0, "NOT needs a BOOLEAN, not %s", tn);
            }
            e = wr_expr_new(WR_E_NOT, WR_TYPE(WR_T_BOOL), 1);
        } else {
            if (x->type.kind == WR_T_STRING || x->type.kind == WR_T_NULL)
                x = wr_expr_cast(x, WR_TYPE(WR_T_DOUBLE));
            if (!wr_type_is_numeric(x->type)) {
                const char *tn = wr_type_name(x->type);
                wr_expr_free(x);
                return fail(b, a, 0, 0, "unary minus needs a number, not %s", tn);
            }
            e = wr_expr_new(WR_E_NEG, x->type, 1);
        }
        e->args[0] = x;
        return e;
    }
    case AST_BINARY: {
        wr_expr *x, *y;
        if (!bind_pair(b, a, s, &x, &y)) return NULL;
        const char *op = a->op;
        wr_type t;
        if (!strcmp(op, "AND") || !strcmp(op, "OR")) {
            if (x->type.kind == WR_T_STRING) x = wr_expr_cast(x, WR_TYPE(WR_T_BOOL));
            if (y->type.kind == WR_T_STRING) y = wr_expr_cast(y, WR_TYPE(WR_T_BOOL));
            if (!is_bool_like(x->type) || !is_bool_like(y->type)) {
                fail(b, a, 0, 0, "%s needs BOOLEAN operands, not %s and %s", op,
                     wr_type_name(x->type), wr_type_name(y->type));
                wr_expr_free(x), wr_expr_free(y);
                return NULL;
            }
            return binop(op[0] == 'A' ? WR_E_AND : WR_E_OR, WR_TYPE(WR_T_BOOL),
                         wr_expr_cast(x, WR_TYPE(WR_T_BOOL)), wr_expr_cast(y, WR_TYPE(WR_T_BOOL)));
        }
        if (!strcmp(op, "||")) {
            e = wr_expr_new(WR_E_FUNC, WR_TYPE(WR_T_STRING), 2);
            e->args[0] = x, e->args[1] = y;
            wr_err why;
            if (!wr_func_bind(e, "concat", &why)) {
                wr_expr_free(e);
                return fail(b, a, 0, 0, "%s", why.msg);
            }
            return e;
        }
        static const struct {
            const char *op;
            wr_expr_op code;
        } cmp[] = {{"=", WR_E_EQ}, {"!=", WR_E_NE}, {"<", WR_E_LT},     {"<=", WR_E_LE},
                   {">", WR_E_GT}, {">=", WR_E_GE}, {"<=>", WR_E_EQ_NS}};
        for (size_t i = 0; i < sizeof cmp / sizeof cmp[0]; i++) {
            if (strcmp(op, cmp[i].op)) continue;
            if (!wr_type_common(x->type, y->type, &t)) {
                fail(b, a, 0, 0, "cannot compare %s with %s", wr_type_name(x->type),
                     wr_type_name(y->type));
                wr_expr_free(x), wr_expr_free(y);
                return NULL;
            }
            return binop(cmp[i].code, WR_TYPE(WR_T_BOOL), wr_expr_cast(x, t), wr_expr_cast(y, t));
        }
        /* arithmetic: strings count as DOUBLE, as in Spark */
        if (x->type.kind == WR_T_STRING) x = wr_expr_cast(x, WR_TYPE(WR_T_DOUBLE));
        if (y->type.kind == WR_T_STRING) y = wr_expr_cast(y, WR_TYPE(WR_T_DOUBLE));
        if (x->type.kind == WR_T_NULL)
            x = wr_expr_cast(x, y->type.kind == WR_T_NULL ? WR_TYPE(WR_T_DOUBLE) : y->type);
        if (y->type.kind == WR_T_NULL) y = wr_expr_cast(y, x->type);
        if (!wr_type_is_numeric(x->type) || !wr_type_is_numeric(y->type)) {
            fail(b, a, 0, 0, "'%s' needs numbers, not %s and %s", op, wr_type_name(x->type),
                 wr_type_name(y->type));
            wr_expr_free(x), wr_expr_free(y);
            return NULL;
        }
        wr_type_common(x->type, y->type, &t);
        wr_expr_op code = WR_E_ADD;
        switch (op[0]) {
        case '+':
            code = WR_E_ADD;
            break;
        case '-':
            code = WR_E_SUB;
            break;
        case '*':
            code = WR_E_MUL;
            break;
        case '%':
            code = WR_E_MOD;
            break;
        case '/':
            code = WR_E_DIV, t = WR_TYPE(WR_T_DOUBLE);
            break;
        case 'd':
            code = WR_E_IDIV, t = WR_TYPE(WR_T_BIGINT);
            break;
        }
        return binop(code, t, wr_expr_cast(x, t), wr_expr_cast(y, t));
    }
    case AST_IS_NULL: {
        wr_expr *x = bind_expr(b, a->args[0], s);
        if (!x) return NULL;
        e = wr_expr_new(a->flag ? WR_E_IS_NOT_NULL : WR_E_IS_NULL, WR_TYPE(WR_T_BOOL), 1);
        e->args[0] = x;
        return e;
    }
    case AST_CAST: {
        wr_type t;
        if (!wr_type_parse(a->name, &t))
            return fail(b, a, 0, 0,
                        "unknown type '%s' in CAST (types: STRING, BINARY, INT, BIGINT, DOUBLE, "
                        "BOOLEAN, TIMESTAMP)",
                        a->name);
        wr_expr *x = bind_expr(b, a->args[0], s);
        if (!x) return NULL;
        if (!wr_cast_allowed(x->type, t)) {
            fail(b, a, 0, 0, "cannot cast %s to %s", wr_type_name(x->type), wr_type_name(t));
            wr_expr_free(x);
            return NULL;
        }
        if (x->type.kind == t.kind && x->type.elem == t.elem) return x;
        e = wr_expr_new(WR_E_CAST, t, 1);
        e->args[0] = x;
        return e;
    }
    case AST_CASE: {
        int i = 0;
        wr_expr *operand = NULL;
        if (a->has_operand && !(operand = bind_expr(b, a->args[i++], s))) return NULL;
        int pairs = (a->nargs - i - a->has_else) / 2;
        e = wr_expr_new(WR_E_CASE, WR_TYPE(WR_T_NULL), pairs * 2 + a->has_else);
        e->has_else = a->has_else;
        wr_type rt = WR_TYPE(WR_T_NULL);
        for (int p = 0; p < pairs && !b->failed; p++) {
            const wr_ast *wa = a->args[i + 2 * p], *ta = a->args[i + 2 * p + 1];
            wr_expr *w = bind_expr(b, wa, s);
            if (!w) break;
            if (operand) { /* CASE x WHEN v: x = v */
                wr_type ct;
                if (!wr_type_common(operand->type, w->type, &ct)) {
                    fail(b, wa, 0, 0, "cannot compare %s with %s", wr_type_name(operand->type),
                         wr_type_name(w->type));
                    wr_expr_free(w);
                    break;
                }
                wr_expr *opnd = bind_expr(b, a->args[0], s);
                w = binop(WR_E_EQ, WR_TYPE(WR_T_BOOL), wr_expr_cast(opnd, ct), wr_expr_cast(w, ct));
            }
            if (w->type.kind == WR_T_STRING) w = wr_expr_cast(w, WR_TYPE(WR_T_BOOL));
            if (!is_bool_like(w->type)) {
                fail(b, wa, 0, 0, "WHEN needs a BOOLEAN condition, not %s", wr_type_name(w->type));
                wr_expr_free(w);
                break;
            }
            e->args[2 * p] = wr_expr_cast(w, WR_TYPE(WR_T_BOOL));
            e->args[2 * p + 1] = bind_expr(b, ta, s);
            if (!e->args[2 * p + 1]) break;
            if (!wr_type_common(rt, e->args[2 * p + 1]->type, &rt)) {
                fail(b, ta, 0, 0, "CASE branches have no common type (%s and %s)", wr_type_name(rt),
                     wr_type_name(e->args[2 * p + 1]->type));
                break;
            }
        }
        if (!b->failed && a->has_else) {
            e->args[e->nargs - 1] = bind_expr(b, a->args[a->nargs - 1], s);
            if (e->args[e->nargs - 1] && !wr_type_common(rt, e->args[e->nargs - 1]->type, &rt))
                fail(b, a->args[a->nargs - 1], 0, 0,
                     "CASE branches have no common type (%s and %s)", wr_type_name(rt),
                     wr_type_name(e->args[e->nargs - 1]->type));
        }
        wr_expr_free(operand);
        if (b->failed) {
            wr_expr_free(e);
            return NULL;
        }
        for (int p = 0; p < pairs; p++)
            e->args[2 * p + 1] = wr_expr_cast(e->args[2 * p + 1], rt);
        if (a->has_else) e->args[e->nargs - 1] = wr_expr_cast(e->args[e->nargs - 1], rt);
        e->type = rt;
        return e;
    }
    case AST_INDEX: {
        wr_expr *x, *i;
        if (!bind_pair(b, a, s, &x, &i)) return NULL;
        if (x->type.kind != WR_T_ARRAY ||
            !(i->type.kind == WR_T_INT || i->type.kind == WR_T_BIGINT ||
              i->type.kind == WR_T_NULL)) {
            fail(b, a, 0, 0, "[] needs an array and an integer index, not %s[%s]",
                 wr_type_name(x->type), wr_type_name(i->type));
            wr_expr_free(x), wr_expr_free(i);
            return NULL;
        }
        return binop(WR_E_INDEX, WR_TYPE(x->type.elem), x, wr_expr_cast(i, WR_TYPE(WR_T_BIGINT)));
    }
    case AST_LIKE: {
        wr_expr *x, *pat;
        if (!bind_pair(b, a, s, &x, &pat)) return NULL;
        if (pat->op != WR_E_LIT || pat->type.kind != WR_T_STRING) {
            wr_expr_free(x), wr_expr_free(pat);
            return fail(b, a->args[1], 0, 0,
                        "%s needs a constant string pattern (patterns computed per row are not "
                        "supported yet)",
                        a->op);
        }
        bool rlike = !strcmp(a->op, "rlike");
        char *re = rlike ? wr_xstrndup(pat->lit.u.p, pat->lit.len)
                         : like_to_regex(pat->lit.u.p, pat->lit.len);
        wr_err why;
        e = wr_expr_new(rlike ? WR_E_RLIKE : WR_E_LIKE, WR_TYPE(WR_T_BOOL), 1);
        e->args[0] = wr_expr_cast(x, WR_TYPE(WR_T_STRING));
        e->pattern = wr_xstrndup(pat->lit.u.p, pat->lit.len);
        wr_expr_free(pat);
        e->re = wr_regex_new(re, strlen(re), &why);
        free(re);
        if (!e->re) {
            wr_expr_free(e);
            return fail(b, a->args[1], 0, 0, "%s", why.msg);
        }
        if (!a->flag) return e;
        wr_expr *n = wr_expr_new(WR_E_NOT, WR_TYPE(WR_T_BOOL), 1);
        n->args[0] = e;
        return n;
    }
    case AST_IN: {
        e = wr_expr_new(WR_E_IN, WR_TYPE(WR_T_BOOL), a->nargs);
        wr_type t = WR_TYPE(WR_T_NULL);
        for (int i = 0; i < a->nargs; i++) {
            e->args[i] = bind_expr(b, a->args[i], s);
            if (!e->args[i]) {
                wr_expr_free(e);
                return NULL;
            }
            if (!wr_type_common(t, e->args[i]->type, &t)) {
                fail(b, a->args[i], 0, 0, "IN list values have no common type (%s and %s)",
                     wr_type_name(t), wr_type_name(e->args[i]->type));
                wr_expr_free(e);
                return NULL;
            }
        }
        for (int i = 0; i < a->nargs; i++)
            e->args[i] = wr_expr_cast(e->args[i], t);
        if (!a->flag) return e;
        wr_expr *n = wr_expr_new(WR_E_NOT, WR_TYPE(WR_T_BOOL), 1);
        n->args[0] = e;
        return n;
    }
    }
    return fail(b, a, 0, 0, "unsupported expression");
}

/* ---- pipelines ---- */

static wr_step *add_step(pipe *p, wr_step_kind k) {
    p->steps = wr_xrealloc(p->steps, sizeof *p->steps * (size_t)(p->nsteps + 1));
    wr_step *st = &p->steps[p->nsteps++];
    memset(st, 0, sizeof *st);
    st->kind = k;
    st->in_width = st->out_width = p->width;
    return st;
}

static bool bind_select(binder *b, wr_select *sel, pipe *p, wr_aggregate **agg_out,
                        char ***names_out);

static bool bind_from(binder *b, wr_from *f, pipe *p) {
    const char *rel = f->alias;
    if (f->sub) {
        char **names = NULL;
        if (!bind_select(b, f->sub, p, NULL, &names)) return false;
        own_names(b, names, p->sc.n);
    } else {
        wr_source_def *src = NULL;
        for (int i = 0; i < b->env->nsources; i++)
            if (!strcasecmp(b->env->sources[i].name, f->name)) src = &b->env->sources[i];
        const wr_view_def *view = NULL;
        for (int i = 0; i < b->env->nviews; i++)
            if (!strcasecmp(b->env->views[i].name, f->name)) view = &b->env->views[i];
        if (src) {
            if (p->source && p->source != src)
                return fail(b, NULL, f->line, f->col,
                            "a query reads one source; joins and unions are not supported yet"),
                       false;
            p->source = src;
            p->width = src->schema.n;
            scope_free(&p->sc);
            for (int i = 0; i < src->schema.n; i++)
                scope_add(&p->sc, src->schema.cols[i].name, rel ? rel : src->name,
                          src->schema.cols[i].type);
        } else if (view) {
            if (b->depth > 32)
                return fail(b, NULL, f->line, f->col, "views nest too deeply (a cycle?)"), false;
            b->depth++;
            char **names = NULL;
            bool ok = bind_select(b, view->select, p, NULL, &names);
            if (ok) own_names(b, names, p->sc.n);
            b->depth--;
            if (!ok) return false;
            if (!rel) rel = view->name;
        } else {
            char known[400];
            size_t o = 0;
            known[0] = '\0';
            for (int i = 0; i < b->env->nsources && o < sizeof known; i++)
                o += (size_t)snprintf(known + o, sizeof known - o, "%s%s", o ? ", " : "",
                                      b->env->sources[i].name);
            for (int i = 0; i < b->env->nviews && o < sizeof known; i++)
                o += (size_t)snprintf(known + o, sizeof known - o, "%s%s", o ? ", " : "",
                                      b->env->views[i].name);
            return fail(b, NULL, f->line, f->col, "unknown source or view '%s' (declared: %s)",
                        f->name, o ? known : "none"),
                   false;
        }
    }
    if (rel)
        for (int i = 0; i < p->sc.n; i++)
            p->sc.cols[i].rel = rel;
    if (f->wm_col) {
        if (b->wm_name)
            return fail(b, NULL, f->line, f->col, "a query takes one WATERMARK clause"), false;
        wr_ast at = {.kind = AST_COLUMN, .name = f->wm_col, .line = f->line, .col = f->col};
        int c = resolve(b, &p->sc, &at);
        if (c < 0) return false;
        if (p->sc.cols[c].type.kind != WR_T_TIMESTAMP)
            return fail(b, NULL, f->line, f->col,
                        "the WATERMARK column %s must be a TIMESTAMP, not %s (use CAST(... AS "
                        "TIMESTAMP) or to_timestamp)",
                        f->wm_col, wr_type_name(p->sc.cols[c].type)),
                   false;
        if (f->wm_delay_us < 0)
            return fail(b, NULL, f->line, f->col, "the WATERMARK delay must not be negative"),
                   false;
        if (f->wm_delay_us > WR_MAX_INTERVAL_US)
            return fail(b, NULL, f->line, f->col,
                        "the WATERMARK delay is longer than 10,000 years, the span of timestamps"),
                   false;
        b->wm_name = f->wm_col;
        b->wm_delay = f->wm_delay_us;
    }
    for (int l = 0; l < f->nlaterals; l++) {
        wr_lateral *lv = &f->laterals[l];
        const wr_ast *g = lv->gen;
        if (!is_generator_name(g->name))
            return fail(b, g, 0, 0, "LATERAL VIEW needs a generator such as explode(...), not %s",
                        g->name),
                   false;
        if (g->nargs != 1)
            return fail(b, g, 0, 0, "%s takes one argument, not %d", g->name, g->nargs), false;
        wr_expr *arr = bind_expr(b, g->args[0], &p->sc);
        if (!arr) return false;
        if (arr->type.kind != WR_T_ARRAY) {
            fail(b, g->args[0], 0, 0, "%s needs an array, not %s", g->name,
                 wr_type_name(arr->type));
            wr_expr_free(arr);
            return false;
        }
        if (lv->ncols > 1) {
            wr_expr_free(arr);
            return fail(b, g, 0, 0,
                        "explode of an array yields one column, but %d aliases are given",
                        lv->ncols),
                   false;
        }
        wr_step *st = add_step(p, WR_STEP_EXPLODE);
        st->expr = arr;
        st->outer = lv->outer || !strcasecmp(g->name, "explode_outer");
        st->out_width = ++p->width;
        scope_add(&p->sc, lv->ncols ? lv->cols[0] : "col", lv->table_alias,
                  WR_TYPE(arr->type.elem));
    }
    return true;
}

static void agg_ctx_reset(binder *b) {
    for (int i = 0; i < b->naggs; i++)
        wr_expr_free(b->aggs[i].arg);
    free(b->aggs);
    free(b->agg_asts);
    free(b->key_asts);
    free(b->key_cols);
    free(b->key_types);
    b->aggs = NULL, b->agg_asts = NULL, b->key_asts = NULL, b->key_cols = NULL, b->key_types = NULL;
    b->naggs = b->nkeys = 0;
    b->agg_mode = false;
    b->win_key = -1;
}

/* Binds a SELECT onto pipeline p. With agg_out NULL an aggregation is refused
 * (subqueries and views are stateless); names_out gets the output names. */
static bool bind_select(binder *b, wr_select *sel, pipe *p, wr_aggregate **agg_out,
                        char ***names_out) {
    if (!bind_from(b, sel->from, p)) return false;
    if (sel->where) {
        if (has_agg(sel->where))
            return fail(b, sel->where, 0, 0,
                        "aggregate functions are not allowed in WHERE (use HAVING)"),
                   false;
        wr_expr *pred = bind_expr(b, sel->where, &p->sc);
        if (!pred) return false;
        if (pred->type.kind == WR_T_STRING) pred = wr_expr_cast(pred, WR_TYPE(WR_T_BOOL));
        if (!is_bool_like(pred->type)) {
            fail(b, sel->where, 0, 0, "WHERE needs a BOOLEAN condition, not %s",
                 wr_type_name(pred->type));
            wr_expr_free(pred);
            return false;
        }
        add_step(p, WR_STEP_FILTER)->expr = pred;
    }
    bool aggregating = sel->ngroup > 0 || sel->having;
    for (int i = 0; i < sel->nitems; i++)
        aggregating |= has_agg(sel->items[i].expr);
    if (aggregating && !agg_out)
        return fail(b, NULL, sel->line, sel->col,
                    "aggregation in a subquery or view is not supported yet: aggregate in the "
                    "INSERT's SELECT"),
               false;

    /* Expand * and find the generator. */
    int gen = -1;
    for (int i = 0; i < sel->nitems; i++) {
        const wr_ast *x = sel->items[i].expr;
        if (x->kind == AST_CALL && is_generator_name(x->name)) {
            if (gen >= 0)
                return fail(b, x, 0, 0, "only one generator (explode) is allowed per SELECT"),
                       false;
            if (aggregating)
                return fail(b, x, 0, 0,
                            "explode cannot be used together with aggregation in one SELECT: "
                            "explode in a subquery"),
                       false;
            gen = i;
        }
    }
    scope out = {0};
    int nout = 0, cap_out = 0;
    wr_expr **outs = NULL;
    char **names = NULL;
#define PUSH_OUT(ex, nm, tp)                                                                       \
    do {                                                                                           \
        if (nout == cap_out) {                                                                     \
            cap_out = grown(nout, cap_out);                                                        \
            outs = wr_xrealloc(outs, sizeof *outs * (size_t)cap_out);                              \
            names = wr_xrealloc(names, sizeof *names * (size_t)cap_out);                           \
        }                                                                                          \
        outs[nout] = (ex);                                                                         \
        names[nout] = (nm);                                                                        \
        nout++;                                                                                    \
        (void)(tp);                                                                                \
    } while (0)

    int gen_col = -1;
    if (gen >= 0) {
        const wr_ast *g = sel->items[gen].expr;
        if (g->nargs != 1)
            return fail(b, g, 0, 0, "%s takes one argument, not %d", g->name, g->nargs), false;
        if (sel->items[gen].naliases > 1)
            return fail(b, g, 0, 0,
                        "explode of an array yields one column, but %d aliases are given",
                        sel->items[gen].naliases),
                   false;
        wr_expr *arr = bind_expr(b, g->args[0], &p->sc);
        if (!arr) return false;
        if (arr->type.kind != WR_T_ARRAY) {
            fail(b, g->args[0], 0, 0, "%s needs an array, not %s", g->name,
                 wr_type_name(arr->type));
            wr_expr_free(arr);
            return false;
        }
        wr_step *st = add_step(p, WR_STEP_EXPLODE);
        st->expr = arr;
        st->outer = !strcasecmp(g->name, "explode_outer");
        gen_col = p->width;
        st->out_width = ++p->width;
        scope_add(&p->sc, "col", NULL, WR_TYPE(arr->type.elem));
    }

    wr_aggregate *agg = NULL;
    if (aggregating) {
        b->pre = &p->sc;
        for (int i = 0; i < sel->ngroup; i++) {
            wr_ast *k = sel->group_by[i];
            /* GROUP BY a select-list alias (Spark's groupByAliases) */
            if (k->kind == AST_COLUMN &&
                !k->qual) { /* an input column of that name wins, as in Spark */
                bool in_scope = false;
                for (int c = 0; c < p->sc.n; c++)
                    in_scope |= !strcasecmp(p->sc.cols[c].name, k->name);
                const char *name = k->name;
                for (int j = 0; !in_scope && j < sel->nitems; j++)
                    if (sel->items[j].alias && !strcasecmp(sel->items[j].alias, name)) {
                        k = sel->items[j].expr;
                        break;
                    }
            }
            if (has_agg(k)) {
                fail(b, sel->group_by[i], 0, 0, "aggregate functions are not allowed in GROUP BY%s",
                     k != sel->group_by[i]
                         ? " (this name is the alias of an aggregate in the select list)"
                         : "");
                break;
            }
            if (k->kind == AST_INT) {
                fail(b, k, 0, 0, "GROUP BY position is not supported: name the column");
                break;
            }
            wr_window win = {0};
            wr_expr *ke =
                is_window_call(k) ? bind_window(b, k, &p->sc, &win) : bind_expr(b, k, &p->sc);
            if (!ke) break;
            if (win.kind) {
                if (b->win_key >= 0) {
                    wr_expr_free(ke);
                    fail(b, k, 0, 0, "GROUP BY takes one window() or session_window()");
                    break;
                }
                win.key = b->win_key = b->nkeys;
                agg = agg ? agg : wr_xcalloc(1, sizeof *agg);
                agg->win = win;
            }
            b->key_asts = wr_xrealloc(b->key_asts, sizeof *b->key_asts * (size_t)(b->nkeys + 1));
            b->key_cols = wr_xrealloc(b->key_cols, sizeof *b->key_cols * (size_t)(b->nkeys + 1));
            b->key_types = wr_xrealloc(b->key_types, sizeof *b->key_types * (size_t)(b->nkeys + 1));
            b->key_asts[b->nkeys] = k;
            b->key_cols[b->nkeys] = ke->op == WR_E_COL && !win.kind ? ke->col : -1;
            b->key_types[b->nkeys] = win.kind ? WR_TYPE_WINDOW : ke->type;
            agg = agg ? agg : wr_xcalloc(1, sizeof *agg);
            agg->keys = wr_xrealloc(agg->keys, sizeof *agg->keys * (size_t)(b->nkeys + 1));
            agg->keys[b->nkeys] = ke;
            b->nkeys++;
        }
        if (b->failed) { /* the keys bound so far go */
            for (int i = 0; agg && i < b->nkeys; i++)
                wr_expr_free(agg->keys[i]);
            if (agg) free(agg->keys);
            free(agg);
            agg_ctx_reset(b);
            return false;
        }
        if (!agg) agg = wr_xcalloc(1, sizeof *agg);
        agg->nkeys = b->nkeys;
        b->agg_mode = true;
    }

    for (int i = 0; i < sel->nitems && !b->failed; i++) {
        wr_select_item *it = &sel->items[i];
        if (i == gen) {
            PUSH_OUT(wr_expr_col(gen_col, p->sc.cols[gen_col].type),
                     wr_xstrdup(it->naliases ? it->aliases[0]
                                : it->alias  ? it->alias
                                             : "col"),
                     0);
            continue;
        }
        if (it->expr->kind == AST_STAR) {
            if (aggregating) {
                fail(b, it->expr, 0, 0,
                     "* cannot be used in an aggregating SELECT: list the grouped columns");
                break;
            }
            bool any = false;
            for (int c = 0; c < p->sc.n; c++) {
                if (c == gen_col) continue;
                if (it->expr->qual &&
                    (!p->sc.cols[c].rel || strcasecmp(p->sc.cols[c].rel, it->expr->qual)))
                    continue;
                PUSH_OUT(wr_expr_col(c, p->sc.cols[c].type), wr_xstrdup(p->sc.cols[c].name), 0);
                any = true;
            }
            if (!any)
                fail(b, it->expr, 0, 0, "'%s.*' matches no relation in scope",
                     it->expr->qual ? it->expr->qual : "");
            continue;
        }
        if (it->naliases) {
            fail(b, it->expr, 0, 0, "AS (...) with several names is only for generators");
            break;
        }
        wr_expr *x = bind_expr(b, it->expr, &p->sc);
        if (!x) break;
        PUSH_OUT(x, it->alias ? wr_xstrdup(it->alias) : wr_ast_column_name(it->expr), 0);
    }
    if (!b->failed && aggregating && sel->having) {
        wr_expr *h = bind_expr(b, sel->having, &p->sc);
        if (h && !is_bool_like(h->type)) {
            fail(b, sel->having, 0, 0, "HAVING needs a BOOLEAN condition, not %s",
                 wr_type_name(h->type));
            wr_expr_free(h);
        } else if (h) {
            agg->having = h;
        }
    }
    if (b->failed) {
        for (int i = 0; i < nout; i++)
            wr_expr_free(outs[i]), free(names[i]);
        free(outs);
        free(names);
        if (agg) {
            for (int i = 0; i < agg->nkeys; i++)
                wr_expr_free(agg->keys[i]);
            free(agg->keys);
            wr_expr_free(agg->having);
            free(agg);
        }
        agg_ctx_reset(b);
        return false;
    }
    for (int i = 0; i < nout; i++)
        scope_add(&out, names[i], NULL, outs[i]->type);
    if (aggregating) {
        agg->aggs = b->aggs;
        agg->naggs = b->naggs;
        b->aggs = NULL;
        b->naggs = 0;
        agg->key_types = b->key_types;
        b->key_types = NULL;
        agg->outs = outs;
        agg->nouts = nout;
        agg->out_key_cols = wr_xmalloc(sizeof(int) * (size_t)(agg->nkeys ? agg->nkeys : 1));
        for (int k = 0; k < agg->nkeys; k++) {
            agg->out_key_cols[k] = -1;
            for (int o = 0; o < nout; o++)
                if (outs[o]->op == WR_E_COL && outs[o]->col == k) agg->out_key_cols[k] = o;
            /* a window is also identified by its start */
            for (int o = 0;
                 o < nout && agg->out_key_cols[k] < 0 && k == agg->win.key && agg->win.kind; o++)
                if (outs[o]->op == WR_E_FIELD && outs[o]->iarg == 0 &&
                    outs[o]->args[0]->op == WR_E_COL && outs[o]->args[0]->col == k)
                    agg->out_key_cols[k] = o;
        }
        agg->event_key = agg->win.kind ? agg->win.key : -1;
        if (b->wm_name) { /* the watermark column where the query aggregates */
            wr_ast at = {
                .kind = AST_COLUMN, .name = b->wm_name, .line = sel->line, .col = sel->col};
            int c = resolve(b, b->pre, &at);
            if (c < 0) {
                b->failed = false;
                fail(b, NULL, sel->line, sel->col,
                     "the WATERMARK column %s must be in scope where the query aggregates",
                     b->wm_name);
                return false;
            }
            agg->wm_expr = wr_expr_col(c, WR_TYPE(WR_T_TIMESTAMP));
            agg->wm_delay = b->wm_delay;
            for (int k = 0; k < agg->nkeys && agg->event_key < 0; k++)
                if (b->key_cols[k] == c) agg->event_key = k;
        }
        agg_ctx_reset(b);
        *agg_out = agg;
        p->width = nout;
    } else {
        wr_step *st = add_step(p, WR_STEP_PROJECT);
        st->exprs = outs;
        st->nexprs = nout;
        st->out_width = p->width = nout;
    }
    scope_free(&p->sc);
    p->sc = out;
    *names_out = names;
    return true;
}

static void free_steps(wr_step *steps, int n) {
    for (int i = 0; i < n; i++) {
        wr_expr_free(steps[i].expr);
        for (int j = 0; j < steps[i].nexprs; j++)
            wr_expr_free(steps[i].exprs[j]);
        free(steps[i].exprs);
    }
    free(steps);
}

static bool reads_cols(const wr_expr *e, int lo, int hi) {
    if (!e) return false;
    if (e->op == WR_E_COL && e->col >= lo && e->col <= hi) return true;
    for (int i = 0; i < e->nargs; i++)
        if (reads_cols(e->args[i], lo, hi)) return true;
    return false;
}

/* Whether scan column c is read: by any step up to the first projection
 * (which renumbers columns), or by the aggregation when no step projects,
 * or by the sink when rows go there as they are. Sources skip computing the
 * columns nobody reads (the Kafka timestamp, say). */
static bool reads_scan_column(const wr_query *q, int c) {
    for (int i = 0; i < q->nsteps; i++) {
        const wr_step *st = &q->steps[i];
        if (reads_cols(st->expr, c, c)) return true;
        for (int j = 0; j < st->nexprs; j++)
            if (reads_cols(st->exprs[j], c, c)) return true;
        if (st->kind == WR_STEP_PROJECT) return false;
    }
    if (!q->agg) return true; /* rows go to the sink as they are */
    for (int k = 0; k < q->agg->nkeys; k++)
        if (reads_cols(q->agg->keys[k], c, c)) return true;
    for (int a = 0; a < q->agg->naggs; a++)
        if (reads_cols(q->agg->aggs[a].arg, c, c)) return true;
    return reads_cols(q->agg->wm_expr, c, c);
}

/* A projection right before the aggregation only feeds its keys and inputs:
 * inline it there and drop the step (one row copy less per row). */
static void inline_last_projection(wr_query *q) {
    if (!q->agg || q->nsteps == 0 || q->steps[q->nsteps - 1].kind != WR_STEP_PROJECT) return;
    wr_step *st = &q->steps[q->nsteps - 1];
    wr_aggregate *agg = q->agg;
    for (int k = 0; k < agg->nkeys; k++) {
        wr_expr *old = agg->keys[k];
        agg->keys[k] = wr_expr_substitute(old, st->exprs);
        wr_expr_free(old);
    }
    for (int a = 0; a < agg->naggs; a++) {
        wr_expr *old = agg->aggs[a].arg;
        if (!old) continue;
        agg->aggs[a].arg = wr_expr_substitute(old, st->exprs);
        wr_expr_free(old);
    }
    if (agg->wm_expr) {
        wr_expr *old = agg->wm_expr;
        agg->wm_expr = wr_expr_substitute(old, st->exprs);
        wr_expr_free(old);
    }
    for (int j = 0; j < st->nexprs; j++)
        wr_expr_free(st->exprs[j]);
    free(st->exprs);
    q->nsteps--;
}

typedef struct named {
    const char *name;
    int i;
} named;

static int by_name(const void *a, const void *b) {
    const named *x = a, *y = b;
    int c = strcasecmp(x->name, y->name);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* The first output column (*second) whose name (without case) an earlier
 * one (*first) has, sorting the names: comparing each with those before it
 * took seconds for 50,000 columns. */
static bool first_duplicate(char *const *names, int n, int *first, int *second) {
    named *v = wr_xmalloc(sizeof *v * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++)
        v[i] = (named){names[i], i};
    qsort(v, (size_t)n, sizeof *v, by_name);
    bool found = false;
    for (int k = 1; k < n; k++) /* a name's first two columns, in order */
        if (!strcasecmp(v[k - 1].name, v[k].name) &&
            (k < 2 || strcasecmp(v[k - 2].name, v[k].name)) && (!found || v[k].i < *second)) {
            *first = v[k - 1].i;
            *second = v[k].i;
            found = true;
        }
    free(v);
    return found;
}

bool wr_bind_query(const wr_bind_env *env, wr_select *sel, wr_query *q, char *errstr,
                   size_t errlen) {
    binder b = {.env = env, .err = errstr, .errlen = errlen, .win_key = -1};
    pipe p = {0};
    wr_aggregate *agg = NULL;
    char **names = NULL;
    if (!bind_select(&b, sel, &p, &agg, &names)) {
        free_steps(p.steps, p.nsteps);
        scope_free(&p.sc);
        free_owned(&b);
        return false;
    }
    free_owned(&b);
    int d1, d2; /* a sink's columns are told apart by name, as Spark's sinks require */
    if (first_duplicate(names, p.sc.n, &d1, &d2))
        fail(&b, NULL, sel->line, sel->col,
             "the query's output has two columns named '%s' (columns %d and %d): give one of them "
             "another name with AS",
             names[d2], d1 + 1, d2 + 1);
    if (b.failed) {
        for (int i = 0; i < p.sc.n; i++)
            free(names[i]);
        free(names);
        free_steps(p.steps, p.nsteps);
        scope_free(&p.sc);
        if (agg) {
            wr_query tmp = {.agg = agg};
            wr_query_free_parts(&tmp);
        }
        return false;
    }
    q->source = p.source;
    q->steps = p.steps;
    q->nsteps = p.nsteps;
    q->agg = agg;
    q->out.n = p.sc.n;
    q->out.cols = wr_xcalloc((size_t)(p.sc.n ? p.sc.n : 1), sizeof *q->out.cols);
    for (int i = 0; i < p.sc.n; i++)
        q->out.cols[i] = (wr_column){names[i], p.sc.cols[i].type};
    free(names);
    inline_last_projection(q);
    wr_plan_share(q);
    int width = q->source->schema.n;
    q->scan_needed = wr_xcalloc((size_t)width + 1, sizeof *q->scan_needed);
    for (int c = 0; c < width; c++)
        q->scan_needed[c] = reads_scan_column(q, c);
    scope_free(&p.sc);
    return true;
}

bool wr_bind_view_check(const wr_bind_env *env, wr_select *sel, char *errstr, size_t errlen) {
    binder b = {.env = env, .err = errstr, .errlen = errlen, .win_key = -1};
    pipe p = {0};
    char **names = NULL;
    bool ok = bind_select(&b, sel, &p, NULL, &names);
    if (ok)
        for (int i = 0; i < p.sc.n; i++)
            free(names[i]);
    free(names);
    free_steps(p.steps, p.nsteps);
    scope_free(&p.sc);
    free_owned(&b);
    return ok;
}

void wr_query_free_parts(wr_query *q) {
    free_steps(q->steps, q->nsteps);
    if (q->agg) {
        wr_aggregate *a = q->agg;
        for (int i = 0; i < a->nkeys; i++)
            wr_expr_free(a->keys[i]);
        for (int i = 0; i < a->naggs; i++)
            wr_expr_free(a->aggs[i].arg);
        for (int i = 0; i < a->nouts; i++)
            wr_expr_free(a->outs[i]);
        wr_expr_free(a->having);
        wr_expr_free(a->wm_expr);
        free(a->keys);
        free(a->key_types);
        free(a->aggs);
        free(a->outs);
        free(a->out_key_cols);
        free(a);
    }
    wr_schema_free(&q->out);
    free(q->scan_needed);
    free(q->name);
}
