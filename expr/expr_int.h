/* Internal to expr/: the function definitions the table lists, and the
 * argument checks their bind steps share. */
#ifndef WR_EXPR_INT_H
#define WR_EXPR_INT_H

#include "expr/wr_expr.h"

/* Casts argument i to STRING (numbers, booleans, timestamps, binary and
 * strings may be); else an error naming the function. */
bool wr_fn_want_string(wr_expr *e, int i, wr_err *err);
/* Casts argument i to INT (integers and strings may be). */
bool wr_fn_want_int(wr_expr *e, int i, wr_err *err);
/* Compiles argument i, a constant string, as the function's pattern. */
bool wr_fn_want_pattern(wr_expr *e, int i, wr_err *err);

extern const wr_func_def wr_fn_split, wr_fn_lower, wr_fn_lcase, wr_fn_upper, wr_fn_ucase,
    wr_fn_trim, wr_fn_ltrim, wr_fn_rtrim, wr_fn_length, wr_fn_char_length, wr_fn_substring,
    wr_fn_substr, wr_fn_concat, wr_fn_concat_ws, wr_fn_regexp_extract, wr_fn_regexp_replace,
    wr_fn_size, wr_fn_cardinality, wr_fn_coalesce, wr_fn_abs, wr_fn_to_timestamp,
    wr_fn_unix_timestamp, wr_fn_input_file_name;

#endif
