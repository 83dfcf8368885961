/* The engine's public face: SQL types and values, rows and batches, bound
 * expressions and their evaluation with Spark's (non-ANSI) semantics. The
 * planner builds these; operators, sources and sinks consume them.
 *
 * Values are 16 bytes: strings and binaries are views (pointer, length) into
 * Kafka payloads or a per-batch arena; nothing is copied until the state store
 * keeps a key. */
#ifndef WR_ENGINE_H
#define WR_ENGINE_H

#include <pcre2.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/wr_core.h"

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
    bool has_else;  /* WR_E_CASE */
    pcre2_code *re; /* constant pattern compiled once (split, regexp_*, LIKE) */
    char *pattern;  /* that pattern as written (a LIKE pattern for LIKE), for messages */
    char sep;       /* split fast path: a one-character literal pattern */
    bool sep_fast;
    int64_t iarg; /* constant integer argument where useful */
};

typedef struct wr_regex_ctx wr_regex_ctx;

/* Per-thread evaluation context: the arena for results, PCRE2 match data and
 * match context, and the first error evaluation met. A value whose
 * evaluation failed (a regex that hit a limit) is NULL, and `failed` is set:
 * whoever evaluates checks it and fails the batch with `err`. */
struct wr_eval {
    wr_arena *arena;
    pcre2_match_data *md;
    wr_regex_ctx *rx;
    bool failed;
    char err[512];
};

void wr_eval_init(wr_eval *ev, wr_arena *arena);
void wr_eval_destroy(wr_eval *ev);
/* Records an evaluation error; the first one is kept. */
void wr_eval_fail(wr_eval *ev, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Matches e->re (e->pattern as written) against s[0, n) from `start`:
 * pcre2_match's result. A failure other than "no match" (a match limit, the
 * JIT stack) is recorded in ev naming `what` (the function), the pattern and
 * the value's size; the caller then returns NULL. */
int wr_eval_match(const wr_expr *e, const char *what, const char *s, size_t n, size_t start,
                  wr_eval *ev);

wr_val wr_expr_eval(const wr_expr *e, const wr_val *row, wr_eval *ev);
bool wr_expr_is_true(const wr_expr *e, const wr_val *row, wr_eval *ev);
void wr_expr_free(wr_expr *e);

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

/* Looks up a scalar function by name; fills the result type and may compile
 * constant patterns. Returns false with errstr (no position) when the name is
 * unknown or the arguments do not fit. */
bool wr_func_bind(wr_expr *e, const char *name, char *errstr, size_t errlen);
/* Names of the scalar functions, NULL-terminated (for "did you mean"). */
extern const char *const wr_func_names[];

/* Compiles a regex with Java-compatible options; NULL + errstr on error. */
pcre2_code *wr_regex_compile(const char *pat, size_t len, char *errstr, size_t errlen);

/* Limits every regex match runs with (wr_regex_ctx): a runaway pattern
 * fails with "match limit exceeded" instead of running for hours, and the
 * JIT's stack (made on first use, reserved, not committed) is large enough
 * for ^(a|b)*$ over about a megabyte. */
#define WR_REGEX_MATCH_LIMIT    10000000u    /* pcre2_set_match_limit */
#define WR_REGEX_DEPTH_LIMIT    10000000u    /* pcre2_set_depth_limit (interpreter) */
#define WR_REGEX_HEAP_LIMIT_KIB (64u * 1024) /* pcre2_set_heap_limit (interpreter) */
#define WR_REGEX_JIT_STACK      ((size_t)64 << 20)

/* A match context with those limits and a JIT stack of its own: one per
 * thread (not thread-safe). */
wr_regex_ctx *wr_regex_ctx_new(void);
void wr_regex_ctx_free(wr_regex_ctx *rx);
/* pcre2_match of re over s[0, n) from start with rx's limits. */
int wr_regex_exec(wr_regex_ctx *rx, const pcre2_code *re, const char *s, size_t n, size_t start,
                  uint32_t options, pcre2_match_data *md);
/* The text of a PCRE2 error code ("match limit exceeded"). */
void wr_regex_strerror(int rc, char *buf, size_t len);

#endif
