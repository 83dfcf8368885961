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

#include "util/wr_util.h"

typedef enum {
    WR_T_NULL, /* the type of a bare NULL literal */
    WR_T_BOOL,
    WR_T_INT,
    WR_T_BIGINT,
    WR_T_DOUBLE,
    WR_T_STRING,
    WR_T_BINARY,
    WR_T_TIMESTAMP, /* microseconds since the epoch, UTC */
    WR_T_ARRAY,     /* elements of type `elem` */
    WR_T_WINDOW,    /* an event-time window: STRUCT<start, end> of TIMESTAMPs,
                       held as a two-item array (elem TIMESTAMP) */
} wr_kind;

typedef struct wr_type {
    uint8_t kind;
    uint8_t elem; /* element kind of an array */
} wr_type;

#define WR_TYPE(k) ((wr_type){(k), 0})

/* TIMESTAMP values lie in Spark's documented range, 0001-01-01 00:00:00 to
 * 9999-12-31 23:59:59.999999 UTC (microseconds since the epoch): casts and
 * parsers that would leave it give NULL, a Kafka timestamp outside it fails
 * its batch, and so window bounds and watermarks never overflow. Intervals
 * (window sizes, slides, gaps, watermark delays) are at most 10,000 years. */
#define WR_TS_MIN_US       (-62135596800000000LL)
#define WR_TS_MAX_US       253402300799999999LL
#define WR_MAX_INTERVAL_US (10000LL * 366 * 86400000000LL)
static inline bool wr_ts_in_range(int64_t us) {
    return us >= WR_TS_MIN_US && us <= WR_TS_MAX_US;
}
#define WR_TYPE_WINDOW ((wr_type){WR_T_WINDOW, WR_T_TIMESTAMP})

/* Arrays and windows share their representation (a wr_arr of items). */
static inline bool wr_type_has_items(wr_type t) {
    return t.kind == WR_T_ARRAY || t.kind == WR_T_WINDOW;
}

typedef struct wr_arr wr_arr;

typedef struct wr_val {
    union {
        int64_t i; /* BOOL, INT, BIGINT, TIMESTAMP */
        double d;
        const char *p; /* STRING, BINARY */
        wr_arr *a;
    } u;
    uint32_t len; /* STRING, BINARY length */
    uint8_t null;
} wr_val;

struct wr_arr {
    int32_t n;
    wr_val items[];
};

static inline wr_val wr_null(void) {
    wr_val v = {.null = 1};
    return v;
}
static inline wr_val wr_int(int64_t i) {
    wr_val v = {.u.i = i};
    return v;
}
static inline wr_val wr_dbl(double d) {
    wr_val v = {.u.d = d};
    return v;
}
static inline wr_val wr_str(const char *p, size_t len) {
    wr_val v = {.u.p = p, .len = (uint32_t)len};
    return v;
}

const char *wr_type_name(wr_type t); /* "STRING", "ARRAY<STRING>", ... */
/* Parses a SQL type name (STRING, INT, INTEGER, BIGINT, LONG, DOUBLE, FLOAT,
 * BOOLEAN, BINARY, TIMESTAMP, ...); false if unknown. */
bool wr_type_parse(const char *name, wr_type *out);
bool wr_type_is_numeric(wr_type t);

/* Casts v from one type to another with Spark's non-ANSI rules: a failed cast
 * is NULL. Strings made by the cast live in `arena`. */
wr_val wr_cast(wr_val v, wr_type from, wr_type to, wr_arena *arena);
bool wr_cast_allowed(wr_type from, wr_type to);

/* Appends v as Spark prints it (show(), CAST AS STRING): 1.0, true, null,
 * 2023-11-14 22:13:20, [a, b]. Binary prints as [68 69] when `show` is set. */
void wr_val_format(wr_buf *b, wr_val v, wr_type t, bool show);

/* Timestamps. */
void wr_ts_format(wr_buf *b, int64_t us);
bool wr_ts_parse(const char *s, size_t len, int64_t *us);
/* Parses s with a Java DateTimeFormatter pattern such as 'dd/MM/yyyy HH:mm'
 * (engine/datetime.c lists the letters); false when s does not match. */
bool wr_ts_parse_pattern(const char *s, size_t len, const char *pat, size_t plen, int64_t *us);

/* Equality and hashing of values of one type (NULL equals NULL, as grouping
 * wants); ordering for min/max. */
bool wr_val_eq(wr_val a, wr_val b, wr_type t);
uint64_t wr_val_hash(wr_val v, wr_type t);
int wr_val_cmp(wr_val a, wr_val b, wr_type t);

/* Copies the bytes a value points to into arena (or malloc when arena is NULL). */
wr_val wr_val_copy(wr_val v, wr_type t, wr_arena *arena);
void wr_val_free(wr_val v, wr_type t); /* frees a malloc'd copy */

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
