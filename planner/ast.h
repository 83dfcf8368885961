/* Internal to the planner: tokens, the syntax tree of a job file, and the lexer
 * and parser entry points. Every node carries the line and column it starts at,
 * so later stages can point at the text in their errors. */
#ifndef WR_PLANNER_AST_H
#define WR_PLANNER_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "core/wr_core.h"

typedef enum {
    TK_EOF,
    TK_IDENT,  /* bare or `quoted` identifier (quoted has tok.quoted) */
    TK_STRING, /* '...' or "..." with escapes decoded */
    TK_INT,
    TK_FLOAT,
    TK_OP,  /* punctuation and operators: text in tok.text */
    TK_SQL, /* a trailing SELECT: its SQLite text, up to (not with) its ';' */
} wr_tok_kind;

typedef struct wr_tok {
    wr_tok_kind kind;
    const char *text; /* identifier / operator text, decoded string (arena) */
    size_t len;       /* length of text (strings may hold NUL) */
    bool quoted;
    int64_t ival;
    double fval;
    int line, col;
    int offset; /* byte offset of the token in the source */
} wr_tok;

typedef enum {
    AST_NULL,
    AST_BOOL,
    AST_INT,
    AST_DOUBLE,
    AST_STRING,
    AST_INTERVAL, /* ival = microseconds */
    AST_COLUMN,   /* name, optional qual */
    AST_STAR,     /* * or qual.* */
    AST_CALL,     /* name(args); flag = count(*) / DISTINCT */
    AST_UNARY,    /* op: "-", "NOT" */
    AST_BINARY,   /* op: + - * / % || = != < <= > >= AND OR */
    AST_IS_NULL,  /* flag = IS NOT NULL */
    AST_CAST,     /* args[0], type_name */
    AST_CASE,     /* args: [operand?] when, then pairs, [else]; see fields */
    AST_INDEX,    /* args[0][args[1]] */
    AST_FIELD,    /* args[0].name (struct field) */
    AST_LIKE,     /* args[0] LIKE args[1]; flag = NOT */
    AST_IN,       /* args[0] IN (args[1..]); flag = NOT */
} wr_ast_kind;

typedef struct wr_ast {
    wr_ast_kind kind;
    int line, col;
    int height;       /* 1 + the tallest argument's height (the parser bounds it) */
    const char *name; /* column / function / type / field name */
    const char *qual; /* table qualifier of a column */
    const char *op;
    int64_t ival;
    double dval;
    const char *sval;
    size_t slen;
    bool flag;
    bool has_operand; /* CASE x WHEN ... */
    bool has_else;
    struct wr_ast **args;
    int nargs;
} wr_ast;

typedef struct wr_select_item {
    wr_ast *expr;
    const char *alias;    /* NULL: derived */
    const char **aliases; /* explode(...) AS (a, b) */
    int naliases;
} wr_select_item;

typedef struct wr_lateral {
    wr_ast *gen; /* explode(...) */
    bool outer;
    const char *table_alias;
    const char **cols;
    int ncols;
    int line, col;
} wr_lateral;

typedef struct wr_select wr_select;

typedef struct wr_from {
    const char *name; /* a source or view, or NULL for a subquery */
    wr_select *sub;
    const char *alias;
    wr_lateral *laterals;
    int nlaterals;
    const char *wm_col; /* WATERMARK col DELAY OF INTERVAL ... */
    int64_t wm_delay_us;
    int line, col;
} wr_from;

struct wr_select {
    wr_select_item *items;
    int nitems;
    wr_from *from;
    wr_ast *where;
    wr_ast **group_by;
    int ngroup;
    wr_ast *having;
    int line, col;
};

typedef struct wr_option {
    const char *key;
    const char *value;
    int line, col;
} wr_option;

typedef enum { STMT_SOURCE, STMT_SINK, STMT_VIEW, STMT_INSERT, STMT_SET, STMT_QUERY } wr_stmt_kind;

typedef struct wr_stmt {
    wr_stmt_kind kind;
    int line, col;
    const char *name;   /* source / sink / view / target sink; SET key */
    const char *using_; /* USING format */
    int using_line, using_col;
    wr_option *opts;
    int nopts;
    wr_select *select;
    const char *value; /* SET value */
    const char *text;  /* the statement's source text (for STMT_QUERY) */
} wr_stmt;

typedef struct wr_script {
    wr_stmt *stmts;
    int nstmts;
} wr_script;

/* Parses a whole job file into `out`, allocating in `arena`. On error fills
 * errstr with "FILE:LINE:COL: message" and returns false. */
bool wr_parse_script(const char *file, const char *src, size_t len, wr_arena *arena, wr_script *out,
                     char *errstr, size_t errlen);

/* How deeply expressions and subqueries may nest (SQLite's expression depth
 * limit): deeper input is an error, never a stack overflow. */
#define WR_MAX_DEPTH 1000

/* How many sliding windows one row may fall into (size / slide): beyond
 * this a typo such as a 1-millisecond slide of a 1-day window would put each
 * row into millions of windows. */
#define WR_MAX_WINDOWS_PER_ROW 10000

/* Intervals (interval.c). A unit word's microseconds ("minute", "MINUTES",
 * "ms"; 0 if unknown); one term, a decimal number text times a unit; a whole
 * interval text such as "10 minutes" or "1 hour 30 seconds" (false with a
 * message saying malformed or too large). */
enum { WR_INTERVAL_OK, WR_INTERVAL_MALFORMED, WR_INTERVAL_OVERFLOW };
int64_t wr_interval_unit(const char *word, size_t len);
int wr_interval_term(const char *num, size_t len, int64_t unit, int64_t *out);
bool wr_interval_parse(const char *s, size_t len, int64_t *us, char *why, size_t whylen);

#endif
