/* Other functions: size/cardinality, coalesce, abs, time: to_timestamp,
 * unix_timestamp (Java DateTimeFormatter patterns, expr/datetime.c), and
 * input_file_name. */
#include <stdlib.h>
#include <string.h>

#include "expr/expr_int.h"

static wr_val fn_size(const wr_expr *e, const wr_val *args, wr_eval *ev) {
    (void)e, (void)ev;
    return args[0].null ? wr_int(-1) : wr_int(args[0].u.a->n);
}

static wr_val fn_coalesce(const wr_expr *e, const wr_val *args, wr_eval *ev) {
    (void)ev;
    for (int i = 0; i < e->nargs; i++)
        if (!args[i].null) return args[i];
    return wr_null();
}

static wr_val fn_abs(const wr_expr *e, const wr_val *args, wr_eval *ev) {
    (void)ev;
    if (args[0].null) return args[0];
    if (e->type.kind == WR_T_DOUBLE) return wr_dbl(args[0].u.d < 0 ? -args[0].u.d : args[0].u.d);
    return wr_int(args[0].u.i < 0 ? (int64_t)(0 - (uint64_t)args[0].u.i) : args[0].u.i);
}

/* to_timestamp(str[, fmt]): NULL when str does not match. */
static wr_val fn_to_timestamp(const wr_expr *e, const wr_val *args, wr_eval *ev) {
    (void)ev;
    if (args[0].null || (e->nargs > 1 && args[1].null)) return wr_null();
    int64_t us;
    bool ok = e->nargs > 1
                  ? wr_ts_parse_pattern(args[0].u.p, args[0].len, args[1].u.p, args[1].len, &us)
                  : wr_ts_parse(args[0].u.p, args[0].len, &us);
    return ok ? wr_int(us) : wr_null();
}

static int64_t floor_seconds(int64_t us) {
    return us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
}

/* unix_timestamp(): now; unix_timestamp(ts); unix_timestamp(str[, fmt]) with
 * fmt defaulting to yyyy-MM-dd HH:mm:ss: seconds since the epoch. */
static wr_val fn_unix_timestamp(const wr_expr *e, const wr_val *args, wr_eval *ev) {
    (void)ev;
    if (e->nargs == 0) return wr_int(wr_wall_ms() / 1000);
    if (args[0].null) return wr_null();
    if (e->args[0]->type.kind == WR_T_TIMESTAMP) return wr_int(floor_seconds(args[0].u.i));
    static const char dflt[] = "yyyy-MM-dd HH:mm:ss";
    if (e->nargs > 1 && args[1].null) return wr_null();
    int64_t us;
    bool ok = e->nargs > 1
                  ? wr_ts_parse_pattern(args[0].u.p, args[0].len, args[1].u.p, args[1].len, &us)
                  : wr_ts_parse_pattern(args[0].u.p, args[0].len, dflt, sizeof dflt - 1, &us);
    return ok ? wr_int(floor_seconds(us)) : wr_null();
}

/* The file the rows this thread evaluates come from: a file source sets it
 * around each chunk of rows it hands on (Spark's InputFileBlockHolder). */
static _Thread_local const char *input_file;
static _Thread_local size_t input_file_len;

void wr_input_file_set(const char *uri, size_t len) {
    input_file = uri;
    input_file_len = uri ? len : 0;
}

/* input_file_name(): that file's URI, '' for rows of no file (Kafka, rate,
 * or a result computed after the shuffle), as in Spark. */
static wr_val fn_input_file_name(const wr_expr *e, const wr_val *args, wr_eval *ev) {
    (void)e, (void)args, (void)ev;
    return input_file ? wr_str(input_file, input_file_len) : wr_str("", 0);
}

static bool bind_input_file_name(wr_expr *e, wr_err *err) {
    (void)err;
    e->type = WR_TYPE(WR_T_STRING);
    return true;
}

static bool bind_size(wr_expr *e, wr_err *err) {
    if (e->args[0]->type.kind != WR_T_ARRAY && e->args[0]->type.kind != WR_T_NULL)
        return wr_fail(err, WR_ERR_USAGE, "%s needs an array, not %s", e->fname,
                       wr_type_name(e->args[0]->type));
    e->type = WR_TYPE(WR_T_INT);
    return true;
}

static bool bind_coalesce(wr_expr *e, wr_err *err) {
    wr_type t = e->args[0]->type;
    for (int i = 1; i < e->nargs; i++)
        if (!wr_type_common(t, e->args[i]->type, &t))
            return wr_fail(err, WR_ERR_USAGE,
                           "coalesce: arguments of types %s and %s have no common type",
                           wr_type_name(t), wr_type_name(e->args[i]->type));
    for (int i = 0; i < e->nargs; i++)
        e->args[i] = wr_expr_cast(e->args[i], t);
    e->type = t;
    return true;
}

static bool bind_abs(wr_expr *e, wr_err *err) {
    wr_type t = e->args[0]->type;
    if (t.kind == WR_T_STRING) t = WR_TYPE(WR_T_DOUBLE);
    if (!wr_type_is_numeric(t))
        return wr_fail(err, WR_ERR_USAGE, "abs needs a number, not %s",
                       wr_type_name(e->args[0]->type));
    e->args[0] = wr_expr_cast(e->args[0], t);
    e->type = t;
    return true;
}

/* to_timestamp(str[, fmt]), unix_timestamp([str[, fmt]]), or of a TIMESTAMP. */
static bool bind_time(wr_expr *e, wr_err *err) {
    bool ts_arg = e->nargs > 0 && e->args[0]->type.kind == WR_T_TIMESTAMP;
    if (ts_arg && e->nargs > 1)
        return wr_fail(err, WR_ERR_USAGE, "%s of a TIMESTAMP takes no format", e->fname);
    if (e->nargs > 0 && !ts_arg && !wr_fn_want_string(e, 0, err)) return false;
    if (e->nargs > 1 && !wr_fn_want_string(e, 1, err)) return false;
    bool to_ts = e->fname[0] == 't';
    e->type = WR_TYPE(to_ts ? WR_T_TIMESTAMP : WR_T_BIGINT);
    if (to_ts && ts_arg) { /* to_timestamp of a timestamp is itself */
        e->op = WR_E_CAST;
        e->fn = NULL;
    }
    return true;
}

const wr_func_def wr_fn_size = {"size", 1, 1, bind_size, fn_size};
const wr_func_def wr_fn_cardinality = {"cardinality", 1, 1, bind_size, fn_size};
const wr_func_def wr_fn_coalesce = {"coalesce", 1, 16, bind_coalesce, fn_coalesce};
const wr_func_def wr_fn_abs = {"abs", 1, 1, bind_abs, fn_abs};
const wr_func_def wr_fn_to_timestamp = {"to_timestamp", 1, 2, bind_time, fn_to_timestamp};
const wr_func_def wr_fn_unix_timestamp = {"unix_timestamp", 0, 2, bind_time, fn_unix_timestamp};
const wr_func_def wr_fn_input_file_name = {"input_file_name", 0, 0, bind_input_file_name,
                                           fn_input_file_name};
