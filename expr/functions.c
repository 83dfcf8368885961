/* The scalar function table: every function Weir knows, one line each
 * (the definitions live in fn_*.c), with lookup, "did you mean" and the
 * argument checks the functions' bind steps share. A new function is its
 * definition in a fn_*.c file plus one line here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expr/expr_int.h"

static const wr_func_def *const registry[] = {
    &wr_fn_split,          &wr_fn_size,           &wr_fn_cardinality,     &wr_fn_lower,
    &wr_fn_lcase,          &wr_fn_upper,          &wr_fn_ucase,           &wr_fn_trim,
    &wr_fn_ltrim,          &wr_fn_rtrim,          &wr_fn_length,          &wr_fn_char_length,
    &wr_fn_substring,      &wr_fn_substr,         &wr_fn_concat,          &wr_fn_concat_ws,
    &wr_fn_regexp_extract, &wr_fn_regexp_replace, &wr_fn_coalesce,        &wr_fn_abs,
    &wr_fn_to_timestamp,   &wr_fn_unix_timestamp, &wr_fn_input_file_name, NULL,
};

const wr_func_def *wr_func_lookup(const char *name) {
    for (int i = 0; registry[i]; i++)
        if (!strcasecmp(name, registry[i]->name)) return registry[i];
    return NULL;
}

/* The known name nearest to `name`, one or two typos away, or NULL. */
static const char *nearest(const char *name) {
    wr_optspec names[64] = {{0}};
    int n = 0;
    for (int i = 0; registry[i] && n < 63; i++)
        names[n++] = (wr_optspec){.name = registry[i]->name};
    return wr_opt_nearest(names, name);
}

bool wr_func_bind(wr_expr *e, const char *name, wr_err *err) {
    const wr_func_def *f = wr_func_lookup(name);
    if (!f) {
        const char *near = nearest(name);
        if (near)
            return wr_fail(err, WR_ERR_USAGE, "unknown function %s (did you mean %s?)", name, near);
        return wr_fail(err, WR_ERR_USAGE, "unknown function %s", name);
    }
    if (e->nargs < f->min || e->nargs > f->max) {
        if (f->min == f->max)
            return wr_fail(err, WR_ERR_USAGE, "%s takes %d argument%s, not %d", f->name, f->min,
                           f->min == 1 ? "" : "s", e->nargs);
        return wr_fail(err, WR_ERR_USAGE, "%s takes %d to %d arguments, not %d", f->name, f->min,
                       f->max, e->nargs);
    }
    e->op = WR_E_FUNC;
    e->fn = f->eval;
    e->fname = f->name;
    return f->bind(e, err);
}

static bool is_string_like(wr_type t) {
    return t.kind == WR_T_STRING || t.kind == WR_T_BINARY || t.kind == WR_T_NULL;
}

bool wr_fn_want_string(wr_expr *e, int i, wr_err *err) {
    wr_type t = e->args[i]->type;
    if (!is_string_like(t) && t.kind != WR_T_INT && t.kind != WR_T_BIGINT &&
        t.kind != WR_T_DOUBLE && t.kind != WR_T_BOOL && t.kind != WR_T_TIMESTAMP)
        return wr_fail(err, WR_ERR_USAGE, "%s: argument %d must be a STRING, not %s", e->fname,
                       i + 1, wr_type_name(t));
    e->args[i] = wr_expr_cast(e->args[i], WR_TYPE(WR_T_STRING));
    return true;
}

bool wr_fn_want_int(wr_expr *e, int i, wr_err *err) {
    wr_type t = e->args[i]->type;
    if (t.kind != WR_T_INT && t.kind != WR_T_BIGINT && t.kind != WR_T_NULL && t.kind != WR_T_STRING)
        return wr_fail(err, WR_ERR_USAGE, "%s: argument %d must be an INT, not %s", e->fname, i + 1,
                       wr_type_name(t));
    e->args[i] = wr_expr_cast(e->args[i], WR_TYPE(WR_T_INT));
    return true;
}

bool wr_fn_want_pattern(wr_expr *e, int i, wr_err *err) {
    wr_expr *a = e->args[i];
    if (a->op != WR_E_LIT || a->type.kind != WR_T_STRING)
        return wr_fail(err, WR_ERR_USAGE,
                       "%s: the pattern must be a constant string (patterns computed per row are "
                       "not supported yet)",
                       e->fname);
    e->re = wr_regex_new(a->lit.u.p, a->lit.len, err);
    if (!e->re) {
        wr_err_prefix(err, "%s", e->fname);
        return false;
    }
    e->pattern = wr_xstrndup(a->lit.u.p, a->lit.len);
    return true;
}
