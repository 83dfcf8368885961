/* Expressions: bound expression trees and their evaluation with Spark's
 * (non-ANSI) semantics, casts, timestamps from text, regular expressions
 * (PCRE2 stays inside expr/), the scalar function table and the aggregate
 * function table. The planner builds expressions; operators evaluate them. */
#ifndef WR_EXPR_H
#define WR_EXPR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/wr_core.h"

/* ---- regular expressions ---- */

/* A compiled pattern (Java-like: UTF-8, invalid UTF-8 in a subject is
 * matched, not an error). */
typedef struct wr_regex wr_regex;
/* One thread's matching state: match data, limits, a JIT stack. */
typedef struct wr_matcher wr_matcher;

wr_regex *wr_regex_new(const char *pat, size_t len, wr_err *err);
wr_regex *wr_regex_copy(const wr_regex *re);
void wr_regex_free(wr_regex *re);
unsigned wr_regex_groups(const wr_regex *re); /* capturing groups */

/* Limits every match runs with: a runaway pattern fails with "match limit
 * exceeded" instead of running for hours, and the JIT's stack (made on first
 * use, reserved, not committed) is large enough for ^(a|b)*$ over about a
 * megabyte. */
#define WR_REGEX_MATCH_LIMIT    10000000u
#define WR_REGEX_DEPTH_LIMIT    10000000u
#define WR_REGEX_HEAP_LIMIT_KIB (64u * 1024)
#define WR_REGEX_JIT_STACK      ((size_t)64 << 20)

wr_matcher *wr_matcher_new(void);
void wr_matcher_free(wr_matcher *m);
enum { WR_MATCH_WHOLE = 1 }; /* the whole subject must match (Java's matches()) */
/* 1: a match, 0: none, -1: the match failed (a limit), with why. */
int wr_match(wr_matcher *m, const wr_regex *re, const char *s, size_t n, size_t start,
             unsigned flags, char *why, size_t whylen);
/* Where group g (0: the whole match) of the last match lies; false if it did
 * not take part. */
bool wr_match_group(const wr_matcher *m, unsigned g, size_t *start, size_t *end);

/* Casts v from one type to another with Spark's non-ANSI rules: a failed cast
 * is NULL. Strings made by the cast live in `arena`. */
wr_val wr_cast(wr_val v, wr_type from, wr_type to, wr_arena *arena);
bool wr_cast_allowed(wr_type from, wr_type to);

/* Timestamps. */
bool wr_ts_parse(const char *s, size_t len, int64_t *us);
/* Parses s with a Java DateTimeFormatter pattern such as 'dd/MM/yyyy HH:mm'
 * (engine/datetime.c lists the letters); false when s does not match. */
bool wr_ts_parse_pattern(const char *s, size_t len, const char *pat, size_t plen, int64_t *us);

/* ---- Bound expressions ---- */

typedef enum {
    WR_E_LIT,
    WR_E_COL,
    WR_E_NEG,
    WR_E_NOT,
    WR_E_AND,
    WR_E_OR,
    WR_E_ADD,
    WR_E_SUB,
    WR_E_MUL,
    WR_E_DIV,
    WR_E_MOD,
    WR_E_IDIV,
    WR_E_EQ,
    WR_E_NE,
    WR_E_LT,
    WR_E_LE,
    WR_E_GT,
    WR_E_GE,
    WR_E_EQ_NS, /* <=> */
    WR_E_IS_NULL,
    WR_E_IS_NOT_NULL,
    WR_E_CAST,
    WR_E_CASE, /* args: when, then, when, then, ..., [else] */
    WR_E_IN,   /* args[0] IN args[1..] */
    WR_E_LIKE, /* args[0] LIKE pattern (compiled into re) */
    WR_E_RLIKE,
    WR_E_INDEX, /* array[i] */
    WR_E_FUNC,  /* scalar function: fn */
    WR_E_FIELD, /* window.start (iarg 0) or window.end (iarg 1) */
} wr_expr_op;

typedef struct wr_expr wr_expr;
typedef struct wr_eval wr_eval;

/* A scalar function's implementation: args already evaluated. */
typedef wr_val (*wr_scalar_fn)(const wr_expr *e, const wr_val *args, wr_eval *ev);

struct wr_expr {
    wr_expr_op op;
    wr_type type;
    int col;    /* WR_E_COL: index in the input row */
    wr_val lit; /* WR_E_LIT */
    wr_expr **args;
    int nargs;
    wr_scalar_fn fn;
    const char *fname;
    bool has_else; /* WR_E_CASE */
    wr_regex *re;  /* constant pattern compiled once (split, regexp_*, LIKE) */
    char *pattern; /* that pattern as written (a LIKE pattern for LIKE), for messages */
    char sep;      /* split fast path: a one-character literal pattern */
    bool sep_fast;
    int64_t iarg; /* constant integer argument where useful */
};

/* Per-thread evaluation context: the arena for results, a regex matcher,
 * and the first error evaluation met. A value whose
 * evaluation failed (a regex that hit a limit) is NULL, and `failed` is set:
 * whoever evaluates checks it and fails the batch with `err`. */
struct wr_eval {
    wr_arena *arena;
    wr_matcher *mx;
    bool failed;
    size_t fail_row; /* vector evaluation: the input row (a chunk's origin) that failed */
    char err[512];
};

void wr_eval_init(wr_eval *ev, wr_arena *arena);
void wr_eval_destroy(wr_eval *ev);
/* Records an evaluation error; the first one is kept. */
void wr_eval_fail(wr_eval *ev, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Matches e->re (e->pattern as written) against s[0, n) from `start`: 1, 0
 * (no match), or -1 when the match failed (a match limit, the JIT stack),
 * recorded in ev naming `what` (the function), the pattern and the value's
 * size; the caller then returns NULL. Groups: wr_match_group(ev->mx, ...). */
int wr_eval_match(const wr_expr *e, const char *what, const char *s, size_t n, size_t start,
                  wr_eval *ev);

wr_val wr_expr_eval(const wr_expr *e, const wr_val *row, wr_eval *ev);
/* Evaluates e over the live rows of chunk c into out (values in ev->arena;
 * a column reference is a view of c's column). Rows not alive are left
 * undefined. When a row fails, ev->failed is set and ev->fail_row names the
 * input row it came from; evaluation stops there. */
void wr_expr_eval_vec(const wr_expr *e, const wr_chunk *c, wr_vec *out, wr_eval *ev);
/* Marks in used[] the columns e reads. */
void wr_expr_mark_cols(const wr_expr *e, bool *used);
bool wr_expr_is_true(const wr_expr *e, const wr_val *row, wr_eval *ev);
void wr_expr_free(wr_expr *e);

/* How many arguments a scalar function takes at most (concat, coalesce,
 * concat_ws ...): evaluation holds them on the stack. */
#define WR_FUNC_MAX_ARGS 16

/* Constructors used by the binder (they take ownership of their arguments). */
wr_expr *wr_expr_new(wr_expr_op op, wr_type type, int nargs);
wr_expr *wr_expr_lit(wr_val v, wr_type t); /* copies string bytes */
wr_expr *wr_expr_col(int col, wr_type t);
/* A deep copy of e (patterns are copied and compiled again) in which, when
 * cols is not NULL, every column reference i is replaced by a copy of cols[i]
 * (inlining a projection into what reads it). */
wr_expr *wr_expr_substitute(const wr_expr *e, wr_expr *const *cols);
/* Whether two bound expressions compute the same thing. */
bool wr_expr_equal(const wr_expr *a, const wr_expr *b);
/* x cast to t, or x itself when it already has type t. */
wr_expr *wr_expr_cast(wr_expr *x, wr_type t);
/* The common type two operands are widened to for comparison / arithmetic /
 * CASE branches; false if there is none. */
bool wr_type_common(wr_type a, wr_type b, wr_type *out);

/* split(s, sep) with a one-character literal separator (e->sep_fast, Java's
 * fast path): its pieces one at a time, without building the array, so
 * explode(split(...)) cuts them straight into a vector. At most `limit`
 * pieces (<= 0: no limit); the last holds the rest. */
typedef struct wr_split_iter {
    const char *p, *end;
    int64_t left;
    char sep;
    bool done;
} wr_split_iter;
static inline void wr_split_begin(wr_split_iter *it, const wr_expr *e, const char *p, size_t n,
                                  int64_t limit) {
    *it = (wr_split_iter){p, p + n, limit <= 0 ? INT64_MAX : limit, e->sep, false};
}
static inline bool wr_split_next(wr_split_iter *it, wr_sv *out) {
    if (it->done) return false;
    if (it->left > 1) {
        const char *q = memchr(it->p, it->sep, (size_t)(it->end - it->p));
        if (q) {
            *out = (wr_sv){it->p, (uint32_t)(q - it->p)};
            it->p = q + 1;
            it->left--;
            return true;
        }
    }
    *out = (wr_sv){it->p, (uint32_t)(it->end - it->p)};
    it->done = true;
    return true;
}
/* Whether e is split(...) taking that fast path. */
bool wr_expr_is_fast_split(const wr_expr *e);

/* ---- the scalar function table ---- */

/* A scalar function: name, arity, bind (checks and casts the arguments,
 * sets the result type, compiles constant patterns; false with an error)
 * and eval (arguments already evaluated). */
typedef struct wr_func_def {
    const char *name;
    int min, max;
    bool (*bind)(wr_expr *e, wr_err *err);
    wr_scalar_fn eval;
} wr_func_def;

/* input_file_name(): a file source names the file of the rows it hands on,
 * for this thread, around each chunk (uri: "file:///...", valid until the
 * next call; NULL: no file). Rows must be evaluated during that call. */
void wr_input_file_set(const char *uri, size_t len);

/* The function called `name` (without case), or NULL. */
const wr_func_def *wr_func_lookup(const char *name);
/* Binds e (a WR_E_FUNC with its arguments bound) as function `name`: false
 * with an error (no position) when the name is unknown ("did you mean") or
 * the arguments do not fit. */
bool wr_func_bind(wr_expr *e, const char *name, wr_err *err);

/* ---- the aggregate function table ---- */

typedef enum {
    WR_AGG_COUNT_STAR,
    WR_AGG_COUNT,
    WR_AGG_SUM,
    WR_AGG_AVG,
    WR_AGG_MIN,
    WR_AGG_MAX
} wr_agg_kind;

/* An aggregate a query computes. sum of INT or BIGINT: a BIGINT that wraps
 * on overflow (Spark, non-ANSI); of DOUBLE (or a string, cast): a DOUBLE.
 * avg: the sum in DOUBLE of the values cast to DOUBLE (integers too, as
 * Spark's Average), divided by the count. `in` is the type the state sums
 * in, `out` the result's. */
typedef struct wr_agg {
    wr_agg_kind kind;
    wr_expr *arg; /* over the rows aggregated; NULL for count(*) */
    wr_type in, out;
    bool int_avg; /* avg of an integer column (summed in DOUBLE since state format 2) */
} wr_agg;

/* One aggregate's running state: the sum (i or d) or the min/max value, and
 * the rows counted or non-NULL inputs seen. */
typedef struct wr_aggst {
    wr_val v;
    int64_t n;
} wr_aggst;

/* Whether `name` is an aggregate function (count, sum, avg, mean, min, max). */
bool wr_agg_is_name(const char *name);
/* Binds aggregate `name` over arg (bound already; NULL for count(*)), taking
 * ownership of arg: its kind, the casts of its input, its types. */
bool wr_agg_bind(wr_agg *g, const char *name, wr_expr *arg, wr_err *err);
/* Its name in a checkpoint's signature: count(*), count, sum, avg, min, max. */
const char *wr_agg_signature(const wr_agg *g);

/* Where min and max keep the values they hold: on the heap (state kept
 * across batches), copied into an arena (a task's partials), or as views
 * into rows that outlive the state (arena NULL, heap false). */
typedef struct wr_agg_copy {
    bool heap;
    wr_arena *arena;
} wr_agg_copy;

void wr_agg_update(const wr_agg *g, wr_aggst *st, wr_val in, wr_agg_copy copy);
void wr_agg_merge(const wr_agg *g, wr_aggst *into, const wr_aggst *from, wr_agg_copy copy);
wr_val wr_agg_final(const wr_agg *g, const wr_aggst *st);
/* Frees what a heap state holds and zeroes it. */
void wr_agg_clear(const wr_agg *g, wr_aggst *st);
/* A state as bytes: count: i64 n; sum/avg: the sum's 8 bytes and i64 n;
 * min/max: the value (wr_val_encode) and i64 n. Decoding replaces *st with
 * heap copies (false: the bytes ran short). */
void wr_agg_encode(const wr_agg *g, const wr_aggst *st, wr_buf *b);
bool wr_agg_decode(const wr_agg *g, wr_aggst *st, wr_bytes *r, wr_arena *scratch);

#endif
