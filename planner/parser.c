/* The parser: recursive descent over the tokens of a job file, producing the
 * statements of ast.h. Errors name file, line and column, and what was expected. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "planner/ast.h"
#include "planner/lexer.h"

typedef struct parser {
    const char *file;
    const char *src;
    wr_tok *toks;
    int ntoks, pos;
    wr_arena *arena;
    char *err;
    size_t errlen;
    bool failed;
    int nest; /* recursion depth of expressions and subqueries being parsed */
} parser;

/* Words that end an expression or cannot be an implicit alias. */
static const char *reserved[] = {
    "from",  "where", "group", "having", "order", "limit",   "lateral", "watermark",
    "as",    "and",   "or",    "not",    "union", "join",    "on",      "select",
    "when",  "then",  "else",  "end",    "is",    "in",      "like",    "by",
    "inner", "left",  "right", "full",   "cross", "between", NULL};

static wr_tok *cur(parser *p) {
    return &p->toks[p->pos];
}

static wr_tok *peek_at(parser *p, int k) {
    int i = p->pos + k;
    return &p->toks[i < p->ntoks ? i : p->ntoks - 1];
}

static bool is_kw(const wr_tok *t, const char *kw) {
    return t->kind == TK_IDENT && !t->quoted && !strcasecmp(t->text, kw);
}

static bool is_op(const wr_tok *t, const char *op) {
    return t->kind == TK_OP && !strcmp(t->text, op);
}

static bool is_reserved(const wr_tok *t) {
    if (t->kind != TK_IDENT || t->quoted) return false;
    for (int i = 0; reserved[i]; i++)
        if (!strcasecmp(t->text, reserved[i])) return true;
    return false;
}

static const char *describe(const wr_tok *t, char *buf, size_t len) {
    switch (t->kind) {
    case TK_EOF:
        return "end of file";
    case TK_STRING:
        snprintf(buf, len, "string '%.30s'", t->text);
        return buf;
    case TK_OP:
        snprintf(buf, len, "'%s'", t->text);
        return buf;
    default:
        snprintf(buf, len, "'%.40s'", t->text);
        return buf;
    }
}

static void *fail_at(parser *p, const wr_tok *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void *fail_at(parser *p, const wr_tok *t, const char *fmt, ...) {
    if (p->failed) return NULL;
    p->failed = true;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    wr_errf(p->err, p->errlen, "%s:%d:%d: %s", p->file, t->line, t->col, msg);
    return NULL;
}

/* "expected X CONTEXT, found Y" */
static void *expected(parser *p, const char *what, const char *context) {
    char buf[80];
    return fail_at(p, cur(p), "expected %s%s%s, found %s", what, context ? " " : "",
                   context ? context : "", describe(cur(p), buf, sizeof buf));
}

static bool accept_kw(parser *p, const char *kw) {
    if (!is_kw(cur(p), kw)) return false;
    p->pos++;
    return true;
}

static bool accept_op(parser *p, const char *op) {
    if (!is_op(cur(p), op)) return false;
    p->pos++;
    return true;
}

static bool expect_kw(parser *p, const char *kw, const char *context) {
    if (accept_kw(p, kw)) return true;
    char what[64];
    snprintf(what, sizeof what, "%s", kw);
    for (char *c = what; *c; c++)
        *c = (char)toupper(*c);
    expected(p, what, context);
    return false;
}

static bool expect_op(parser *p, const char *op, const char *context) {
    if (accept_op(p, op)) return true;
    char what[16];
    snprintf(what, sizeof what, "'%s'", op);
    expected(p, what, context);
    return false;
}

static const char *expect_ident(parser *p, const char *what) {
    wr_tok *t = cur(p);
    if (t->kind != TK_IDENT || (is_reserved(t) && !t->quoted)) return expected(p, what, NULL);
    p->pos++;
    return t->text;
}

static wr_ast *node(parser *p, wr_ast_kind k, const wr_tok *at) {
    wr_ast *a = wr_arena_zalloc(p->arena, sizeof *a);
    a->kind = k;
    a->line = at->line;
    a->col = at->col;
    a->height = 1;
    return a;
}

static const char too_deep[] =
    "the statement nests too deeply: more than 1000 levels of expressions or subqueries "
    "(Weir's limit, as SQLite's); simplify it";

/* Enters one level of recursion (an expression or a subquery); false, with
 * an error at `at`, past WR_MAX_DEPTH. Every enter is paired with leave. */
static bool enter(parser *p, const wr_tok *at) {
    if (++p->nest <= WR_MAX_DEPTH) return true;
    fail_at(p, at, "%s", too_deep);
    return false;
}

static void leave(parser *p) {
    p->nest--;
}

/* Room for item n of an arena array that holds items 0..n-1 and was made
 * by this function: the room doubles at each power of two, so a list of n
 * items (an IN list, a function's arguments) costs O(n) time and memory.
 * (Copying the whole list at each item, as before, made an IN list of
 * 10,000 items take 400 MB and seconds.) */
static void *grow(parser *p, void *items, int n, size_t size) {
    bool full = n == 0 || (n >= 4 && (n & (n - 1)) == 0); /* room: 4, 8, 16, ... */
    if (!full) return items;
    void *bigger = wr_arena_alloc(p->arena, size * (size_t)(n ? 2 * n : 4));
    if (n) memcpy(bigger, items, size * (size_t)n);
    return bigger;
}

/* Arguments grow a node's height: a long chain such as a + a + ... + a is
 * parsed without recursion but is as deep as nested parentheses for
 * whatever walks the tree later, so it has the same limit. */
static void add_arg(parser *p, wr_ast *a, wr_ast *arg) {
    a->args = grow(p, a->args, a->nargs, sizeof *a->args);
    a->args[a->nargs++] = arg;
    if (arg && arg->height + 1 > a->height) a->height = arg->height + 1;
    if (a->height > WR_MAX_DEPTH && !p->failed) {
        p->failed = true;
        wr_errf(p->err, p->errlen, "%s:%d:%d: %s", p->file, a->line, a->col, too_deep);
    }
}

static wr_ast *parse_expr(parser *p);
static wr_select *parse_select(parser *p);

/* Adds one term to an interval being parsed, or fails naming the text. */
static bool interval_add(parser *p, const wr_tok *at, const char *num, size_t nlen, int64_t unit,
                         int64_t *total) {
    int64_t v = 0;
    int rc = wr_interval_term(num, nlen, unit, &v);
    if (rc == WR_INTERVAL_OK && __builtin_add_overflow(*total, v, total)) rc = WR_INTERVAL_OVERFLOW;
    if (rc == WR_INTERVAL_OVERFLOW)
        fail_at(p, at,
                "interval %.*s is too large (intervals are microseconds in 64 bits: at most about "
                "292,000 years)",
                (int)(nlen > 60 ? 60 : nlen), num);
    else if (rc != WR_INTERVAL_OK)
        fail_at(p, at,
                "malformed interval number '%.*s' (expected a decimal number such as 10 or 1.5)",
                (int)(nlen > 60 ? 60 : nlen), num);
    return rc == WR_INTERVAL_OK;
}

/* INTERVAL 10 MINUTES | INTERVAL '10 minutes' | INTERVAL '10' MINUTE [n UNIT]... */
static wr_ast *parse_interval(parser *p, const wr_tok *start) {
    int64_t total = 0;
    bool any = false;
    for (;;) {
        wr_tok *t = cur(p);
        if (t->kind == TK_STRING) {
            p->pos++;
            int64_t unit =
                cur(p)->kind == TK_IDENT ? wr_interval_unit(cur(p)->text, cur(p)->len) : 0;
            if (unit) { /* '10' MINUTE */
                p->pos++;
                if (!interval_add(p, t, t->text, t->len, unit, &total)) return NULL;
            } else {
                int64_t us;
                char why[300];
                if (memchr(t->text, '\0', t->len) ||
                    !wr_interval_parse(t->text, t->len, &us, why, sizeof why))
                    return fail_at(p, t, "%s",
                                   memchr(t->text, '\0', t->len)
                                       ? "an interval must not contain a NUL byte"
                                       : why);
                if (__builtin_add_overflow(total, us, &total))
                    return fail_at(
                        p, t, "the interval is too large (intervals are microseconds in 64 bits)");
            }
            any = true;
        } else if (t->kind == TK_INT || t->kind == TK_FLOAT || is_op(t, "-")) {
            bool neg = accept_op(p, "-");
            t = cur(p);
            if (t->kind != TK_INT && t->kind != TK_FLOAT)
                return expected(p, "a number", "in INTERVAL");
            p->pos++;
            wr_tok *u = cur(p);
            int64_t unit = u->kind == TK_IDENT ? wr_interval_unit(u->text, u->len) : 0;
            if (!unit)
                return expected(p, "a time unit (SECONDS, MINUTES, HOURS, DAYS, ...)",
                                "in INTERVAL");
            p->pos++;
            int64_t v = 0;
            if (!interval_add(p, t, t->text, t->len, unit, &v)) return NULL;
            if (__builtin_add_overflow(total, neg ? -v : v, &total))
                return fail_at(p, t,
                               "the interval is too large (intervals are microseconds in 64 bits)");
            any = true;
        } else {
            break;
        }
    }
    if (!any) return expected(p, "an interval such as 10 MINUTES", "after INTERVAL");
    wr_ast *a = node(p, AST_INTERVAL, start);
    a->ival = total;
    return a;
}

static wr_ast *parse_case(parser *p, const wr_tok *start) {
    wr_ast *a = node(p, AST_CASE, start);
    if (!is_kw(cur(p), "when")) {
        a->has_operand = true;
        add_arg(p, a, parse_expr(p));
    }
    int whens = 0;
    while (!p->failed && accept_kw(p, "when")) {
        add_arg(p, a, parse_expr(p));
        if (!expect_kw(p, "then", "after the WHEN condition")) return NULL;
        add_arg(p, a, parse_expr(p));
        whens++;
    }
    if (p->failed) return NULL;
    if (!whens) return expected(p, "WHEN", "in CASE");
    if (accept_kw(p, "else")) {
        a->has_else = true;
        add_arg(p, a, parse_expr(p));
    }
    if (!expect_kw(p, "end", "to close CASE")) return NULL;
    return a;
}

static wr_ast *parse_primary(parser *p) {
    wr_tok *t = cur(p);
    char buf[80];
    switch (t->kind) {
    case TK_INT: {
        p->pos++;
        wr_ast *a = node(p, AST_INT, t);
        a->ival = t->ival;
        return a;
    }
    case TK_FLOAT: {
        p->pos++;
        wr_ast *a = node(p, AST_DOUBLE, t);
        a->dval = t->fval;
        a->sval = t->text; /* as written: column names show it so */
        a->slen = t->len;
        return a;
    }
    case TK_STRING: {
        p->pos++;
        wr_ast *a = node(p, AST_STRING, t);
        a->sval = t->text;
        a->slen = t->len;
        return a;
    }
    case TK_OP:
        if (accept_op(p, "(")) {
            if (is_kw(cur(p), "select"))
                return fail_at(p, cur(p), "subqueries in expressions are not supported yet");
            wr_ast *e = parse_expr(p);
            if (!e || !expect_op(p, ")", "to close the parenthesis")) return NULL;
            return e;
        }
        if (is_op(t, "*")) {
            p->pos++;
            return node(p, AST_STAR, t);
        }
        return fail_at(p, t, "expected an expression, found %s", describe(t, buf, sizeof buf));
    case TK_EOF:
        return fail_at(p, t, "expected an expression, found end of file");
    case TK_SQL:
        return fail_at(p, t, "expected an expression, found a SELECT");
    case TK_IDENT:
        break;
    }
    if (!t->quoted) {
        if (is_kw(t, "null")) return p->pos++, node(p, AST_NULL, t);
        if (is_kw(t, "true") || is_kw(t, "false")) {
            p->pos++;
            wr_ast *a = node(p, AST_BOOL, t);
            a->ival = is_kw(t, "true");
            return a;
        }
        if (is_kw(t, "interval")) {
            p->pos++;
            return parse_interval(p, t);
        }
        if (is_kw(t, "case")) {
            p->pos++;
            return parse_case(p, t);
        }
        if (is_kw(t, "cast") && is_op(peek_at(p, 1), "(")) {
            p->pos += 2;
            wr_ast *a = node(p, AST_CAST, t);
            add_arg(p, a, parse_expr(p));
            if (p->failed || !expect_kw(p, "as", "in CAST(expr AS type)")) return NULL;
            wr_tok *ty = cur(p);
            if (ty->kind != TK_IDENT) return expected(p, "a type name", "after AS in CAST");
            p->pos++;
            a->name = ty->text;
            if (accept_op(p, "(")) { /* VARCHAR(10), DECIMAL(10,2): sizes are ignored */
                while (!p->failed && !is_op(cur(p), ")") && cur(p)->kind != TK_EOF)
                    p->pos++;
                if (!expect_op(p, ")", "after the type's size")) return NULL;
            }
            if (!expect_op(p, ")", "to close CAST")) return NULL;
            return a;
        }
        if (is_reserved(t))
            return fail_at(p, t, "expected an expression, found %s", describe(t, buf, sizeof buf));
    }
    p->pos++;
    if (is_op(cur(p), "(")) {
        p->pos++;
        wr_ast *a = node(p, AST_CALL, t);
        a->name = t->text;
        if (accept_op(p, ")")) return a;
        if (accept_kw(p, "distinct")) a->flag = true;
        if (is_op(cur(p), "*") && is_op(peek_at(p, 1), ")")) {
            p->pos += 2;
            add_arg(p, a, node(p, AST_STAR, t));
            return a;
        }
        for (;;) {
            wr_ast *arg = parse_expr(p);
            if (!arg) return NULL;
            add_arg(p, a, arg);
            if (accept_op(p, ",")) continue;
            if (!expect_op(p, ")", "after function arguments")) return NULL;
            return a;
        }
    }
    wr_ast *a = node(p, AST_COLUMN, t);
    a->name = t->text;
    if (is_op(cur(p), ".") && peek_at(p, 1)->kind == TK_IDENT) {
        p->pos++;
        a->qual = a->name;
        a->name = cur(p)->text;
        p->pos++;
    } else if (is_op(cur(p), ".") && is_op(peek_at(p, 1), "*")) {
        p->pos += 2;
        a->kind = AST_STAR;
        a->qual = t->text;
    }
    return a;
}

static wr_ast *parse_postfix(parser *p) {
    wr_ast *e = parse_primary(p);
    while (e && !p->failed) {
        wr_tok *t = cur(p);
        if (accept_op(p, "[")) {
            wr_ast *a = node(p, AST_INDEX, t);
            add_arg(p, a, e);
            add_arg(p, a, parse_expr(p));
            if (p->failed || !expect_op(p, "]", "after the array index")) return NULL;
            e = a;
        } else if (is_op(t, ".") && peek_at(p, 1)->kind == TK_IDENT) {
            p->pos++;
            wr_ast *a = node(p, AST_FIELD, t);
            add_arg(p, a, e);
            a->name = cur(p)->text;
            p->pos++;
            e = a;
        } else {
            break;
        }
    }
    return p->failed ? NULL : e;
}

static wr_ast *parse_unary(parser *p) {
    wr_tok *t = cur(p);
    if (accept_op(p, "-")) {
        if (!enter(p, t)) return NULL;
        wr_ast *x = parse_unary(p);
        leave(p);
        if (!x) return NULL;
        if (x->kind == AST_INT) return x->ival = -x->ival, x->line = t->line, x->col = t->col, x;
        if (x->kind == AST_DOUBLE) {
            x->dval = -x->dval, x->line = t->line, x->col = t->col;
            char *text = wr_arena_alloc(p->arena, x->slen + 2);
            text[0] = '-';
            memcpy(text + 1, x->sval, x->slen + 1);
            x->sval = text, x->slen++;
            return x;
        }
        wr_ast *a = node(p, AST_UNARY, t);
        a->op = "-";
        add_arg(p, a, x);
        return a;
    }
    if (accept_op(p, "+")) {
        if (!enter(p, t)) return NULL;
        wr_ast *x = parse_unary(p);
        leave(p);
        return x;
    }
    return parse_postfix(p);
}

static wr_ast *binary(parser *p, const wr_tok *at, const char *op, wr_ast *l, wr_ast *r) {
    if (!l || !r) return NULL;
    wr_ast *a = node(p, AST_BINARY, at);
    a->line = l->line;
    a->col = l->col;
    a->op = op;
    add_arg(p, a, l);
    add_arg(p, a, r);
    return a;
}

static wr_ast *parse_mul(parser *p) {
    wr_ast *l = parse_unary(p);
    while (l && !p->failed) {
        wr_tok *t = cur(p);
        if (is_op(t, "*") || is_op(t, "/") || is_op(t, "%")) {
            p->pos++;
            l = binary(p, t, t->text, l, parse_unary(p));
        } else if (is_kw(t, "div")) {
            p->pos++;
            l = binary(p, t, "div", l, parse_unary(p));
        } else
            break;
    }
    return l;
}

static wr_ast *parse_add(parser *p) {
    wr_ast *l = parse_mul(p);
    while (l && !p->failed) {
        wr_tok *t = cur(p);
        if (!(is_op(t, "+") || is_op(t, "-") || is_op(t, "||"))) break;
        p->pos++;
        l = binary(p, t, t->text, l, parse_mul(p));
    }
    return l;
}

static wr_ast *parse_cmp(parser *p) {
    wr_ast *l = parse_add(p);
    if (!l) return NULL;
    wr_tok *t = cur(p);
    static const char *ops[] = {"=", "==", "!=", "<>", "<", "<=", ">", ">=", "<=>"};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        if (is_op(t, ops[i])) {
            p->pos++;
            const char *op = !strcmp(ops[i], "==") ? "=" : !strcmp(ops[i], "<>") ? "!=" : ops[i];
            return binary(p, t, op, l, parse_add(p));
        }
    }
    if (is_kw(t, "is")) {
        p->pos++;
        wr_ast *a = node(p, AST_IS_NULL, t);
        a->flag = accept_kw(p, "not");
        if (!expect_kw(p, "null", "after IS [NOT]")) return NULL;
        add_arg(p, a, l);
        return a;
    }
    bool neg = false;
    if (is_kw(t, "not") && (is_kw(peek_at(p, 1), "like") || is_kw(peek_at(p, 1), "in") ||
                            is_kw(peek_at(p, 1), "rlike") || is_kw(peek_at(p, 1), "between"))) {
        neg = true;
        p->pos++;
        t = cur(p);
    }
    if (is_kw(t, "like") || is_kw(t, "rlike")) {
        p->pos++;
        wr_ast *a = node(p, AST_LIKE, t);
        a->flag = neg;
        a->op = is_kw(t, "rlike") ? "rlike" : "like";
        add_arg(p, a, l);
        add_arg(p, a, parse_add(p));
        return p->failed ? NULL : a;
    }
    if (is_kw(t, "in")) {
        p->pos++;
        wr_ast *a = node(p, AST_IN, t);
        a->flag = neg;
        add_arg(p, a, l);
        if (!expect_op(p, "(", "after IN")) return NULL;
        do
            add_arg(p, a, parse_expr(p));
        while (!p->failed && accept_op(p, ","));
        if (p->failed || !expect_op(p, ")", "to close the IN list")) return NULL;
        return a;
    }
    if (is_kw(t, "between")) {
        p->pos++;
        wr_ast *lo = parse_add(p);
        if (!lo || !expect_kw(p, "and", "in BETWEEN")) return NULL;
        wr_ast *hi = parse_add(p);
        wr_ast *both = binary(p, t, "AND", binary(p, t, ">=", l, lo), binary(p, t, "<=", l, hi));
        if (!neg || !both) return both;
        wr_ast *n = node(p, AST_UNARY, t);
        n->op = "NOT";
        add_arg(p, n, both);
        return n;
    }
    return l;
}

static wr_ast *parse_not(parser *p) {
    wr_tok *t = cur(p);
    if (accept_kw(p, "not") || accept_op(p, "!")) {
        if (!enter(p, t)) return NULL;
        wr_ast *x = parse_not(p);
        leave(p);
        if (!x) return NULL;
        wr_ast *a = node(p, AST_UNARY, t);
        a->op = "NOT";
        add_arg(p, a, x);
        return a;
    }
    return parse_cmp(p);
}

static wr_ast *parse_and(parser *p) {
    wr_ast *l = parse_not(p);
    while (l && !p->failed && is_kw(cur(p), "and")) {
        wr_tok *t = cur(p);
        p->pos++;
        l = binary(p, t, "AND", l, parse_not(p));
    }
    return l;
}

static wr_ast *parse_expr(parser *p) {
    if (p->failed || !enter(p, cur(p))) return NULL;
    wr_ast *l = parse_and(p);
    while (l && !p->failed && is_kw(cur(p), "or")) {
        wr_tok *t = cur(p);
        p->pos++;
        l = binary(p, t, "OR", l, parse_and(p));
    }
    leave(p);
    return p->failed ? NULL : l;
}

/* An alias after an expression or relation: [AS] name, where a bare name must
 * not be a reserved word. */
static const char *parse_alias(parser *p, bool *found) {
    *found = false;
    if (accept_kw(p, "as")) {
        *found = true;
        return expect_ident(p, "an alias after AS");
    }
    wr_tok *t = cur(p);
    if (t->kind == TK_IDENT && (t->quoted || !is_reserved(t))) {
        p->pos++;
        *found = true;
        return t->text;
    }
    return NULL;
}

static bool parse_lateral(parser *p, wr_from *f) {
    wr_tok *t = cur(p);
    p->pos++; /* LATERAL */
    if (!expect_kw(p, "view", "after LATERAL")) return false;
    wr_lateral l = {.line = t->line, .col = t->col};
    l.outer = accept_kw(p, "outer");
    wr_tok *g = cur(p);
    l.gen = parse_postfix(p);
    if (!l.gen) return false;
    if (l.gen->kind != AST_CALL)
        return fail_at(p, g, "expected a generator such as explode(...) after LATERAL VIEW"), false;
    l.table_alias = expect_ident(p, "a table alias after the LATERAL VIEW generator");
    if (!l.table_alias) return false;
    if (accept_kw(p, "as") || (cur(p)->kind == TK_IDENT && !is_reserved(cur(p)))) {
        const char **cols = NULL;
        int n = 0;
        do {
            const char *c = expect_ident(p, "a column alias");
            if (!c) return false;
            cols = grow(p, cols, n, sizeof *cols);
            cols[n++] = c;
        } while (accept_op(p, ","));
        l.cols = cols;
        l.ncols = n;
    }
    f->laterals = grow(p, f->laterals, f->nlaterals, sizeof *f->laterals);
    f->laterals[f->nlaterals++] = l;
    return true;
}

static wr_from *parse_from(parser *p) {
    wr_tok *t = cur(p);
    wr_from *f = wr_arena_zalloc(p->arena, sizeof *f);
    f->line = t->line;
    f->col = t->col;
    if (accept_op(p, "(")) {
        if (!is_kw(cur(p), "select")) return expected(p, "SELECT", "in the subquery");
        f->sub = parse_select(p);
        if (!f->sub || !expect_op(p, ")", "to close the subquery")) return NULL;
    } else {
        f->name = expect_ident(p, "a source, view or subquery");
        if (!f->name) return NULL;
    }
    bool found;
    f->alias = parse_alias(p, &found);
    if (p->failed) return NULL;
    for (;;) {
        if (is_kw(cur(p), "lateral")) {
            if (!parse_lateral(p, f)) return NULL;
        } else if (is_kw(cur(p), "watermark")) {
            p->pos++;
            f->wm_col = expect_ident(p, "the event-time column after WATERMARK");
            if (!f->wm_col || !expect_kw(p, "delay", "after the WATERMARK column") ||
                !expect_kw(p, "of", "after DELAY"))
                return NULL;
            wr_tok *it = cur(p);
            wr_ast *iv;
            if (accept_kw(p, "interval"))
                iv = parse_interval(p, it);
            else if (it->kind == TK_STRING)
                iv = parse_interval(p, it);
            else
                return expected(p, "INTERVAL", "after DELAY OF");
            if (!iv) return NULL;
            f->wm_delay_us = iv->ival;
        } else if (is_op(cur(p), ",") || is_kw(cur(p), "join") || is_kw(cur(p), "inner") ||
                   is_kw(cur(p), "left") || is_kw(cur(p), "cross") || is_kw(cur(p), "full") ||
                   is_kw(cur(p), "right")) {
            return fail_at(p, cur(p), "joins are not supported yet");
        } else {
            break;
        }
    }
    return f;
}

static wr_select *parse_select_body(parser *p);

/* A SELECT, one level deeper (subqueries nest through here). */
static wr_select *parse_select(parser *p) {
    if (!enter(p, cur(p))) return NULL;
    wr_select *s = parse_select_body(p);
    leave(p);
    return s;
}

static wr_select *parse_select_body(parser *p) {
    wr_tok *t = cur(p);
    if (!expect_kw(p, "select", NULL)) return NULL;
    wr_select *s = wr_arena_zalloc(p->arena, sizeof *s);
    s->line = t->line;
    s->col = t->col;
    if (is_kw(cur(p), "distinct"))
        return fail_at(p, cur(p), "SELECT DISTINCT is not supported yet");
    int cap = 0;
    do {
        if (s->nitems == cap) {
            cap = cap ? cap * 2 : 8;
            wr_select_item *items = wr_arena_alloc(p->arena, sizeof *items * (size_t)cap);
            if (s->nitems) memcpy(items, s->items, sizeof *items * (size_t)s->nitems);
            s->items = items;
        }
        wr_select_item *it = &s->items[s->nitems];
        memset(it, 0, sizeof *it);
        if (is_kw(cur(p), "from")) return expected(p, "an expression", "in the select list");
        it->expr = parse_expr(p);
        if (!it->expr) return NULL;
        if (is_kw(cur(p), "as") && is_op(peek_at(p, 1), "(")) {
            p->pos += 2;
            do {
                const char *c = expect_ident(p, "a column alias");
                if (!c) return NULL;
                it->aliases = grow(p, it->aliases, it->naliases, sizeof *it->aliases);
                it->aliases[it->naliases++] = c;
            } while (accept_op(p, ","));
            if (!expect_op(p, ")", "after the column aliases")) return NULL;
        } else if (it->expr->kind != AST_STAR) {
            bool found;
            it->alias = parse_alias(p, &found);
            if (p->failed) return NULL;
        }
        s->nitems++;
    } while (accept_op(p, ","));
    if (!is_kw(cur(p), "from")) {
        char buf[80];
        if (cur(p)->kind == TK_EOF || is_op(cur(p), ";") || is_op(cur(p), ")"))
            return fail_at(p, cur(p),
                           "expected FROM after the select list: a streaming query reads a source");
        return fail_at(p, cur(p), "expected ',' or FROM after the select list, found %s",
                       describe(cur(p), buf, sizeof buf));
    }
    p->pos++;
    s->from = parse_from(p);
    if (!s->from) return NULL;
    if (accept_kw(p, "where")) {
        s->where = parse_expr(p);
        if (!s->where) return NULL;
    }
    if (accept_kw(p, "group")) {
        if (!expect_kw(p, "by", "after GROUP")) return NULL;
        int gcap = 0;
        do {
            if (s->ngroup == gcap) {
                gcap = gcap ? gcap * 2 : 4;
                wr_ast **g = wr_arena_alloc(p->arena, sizeof *g * (size_t)gcap);
                if (s->ngroup) memcpy(g, s->group_by, sizeof *g * (size_t)s->ngroup);
                s->group_by = g;
            }
            s->group_by[s->ngroup] = parse_expr(p);
            if (!s->group_by[s->ngroup]) return NULL;
            s->ngroup++;
        } while (accept_op(p, ","));
    }
    if (accept_kw(p, "having")) {
        s->having = parse_expr(p);
        if (!s->having) return NULL;
    }
    if (is_kw(cur(p), "order") || is_kw(cur(p), "limit"))
        return fail_at(p, cur(p),
                       "%s is not supported in a streaming query (sort or limit in a trailing "
                       "SELECT over a memory sink)",
                       is_kw(cur(p), "order") ? "ORDER BY" : "LIMIT");
    if (is_kw(cur(p), "union")) return fail_at(p, cur(p), "UNION is not supported yet");
    return s;
}

/* Option key: identifier(.identifier)* or a string; value: string, number,
 * boolean or identifier. */
static bool parse_options(parser *p, wr_stmt *st) {
    if (!expect_op(p, "(", "after OPTIONS")) return false;
    int cap = 0;
    if (accept_op(p, ")")) return true;
    do {
        wr_tok *kt = cur(p);
        wr_buf key = {0};
        if (kt->kind == TK_STRING) {
            if (memchr(kt->text, '\0', kt->len))
                return fail_at(p, kt, "an option name must not contain a NUL byte"), false;
            wr_buf_put(&key, kt->text, kt->len);
            p->pos++;
        } else if (kt->kind == TK_IDENT) {
            wr_buf_puts(&key, kt->text);
            p->pos++;
            while (is_op(cur(p), ".") && peek_at(p, 1)->kind == TK_IDENT) {
                wr_buf_putc(&key, '.');
                wr_buf_puts(&key, peek_at(p, 1)->text);
                p->pos += 2;
            }
        } else {
            expected(p, "an option name", "in OPTIONS");
            return false;
        }
        wr_option o = {.key = wr_arena_strdup(p->arena, key.p), .line = kt->line, .col = kt->col};
        wr_buf_free(&key);
        accept_op(p, "="); /* Spark allows `key 'value'` as well as `key = 'value'` */
        wr_tok *vt = cur(p);
        if (vt->kind == TK_STRING && memchr(vt->text, '\0', vt->len)) {
            fail_at(p, vt,
                    "the value of option %s contains a NUL byte (\\0), which no option accepts",
                    o.key);
            return false;
        }
        wr_tok *num = peek_at(p, 1);
        if (vt->kind == TK_STRING || vt->kind == TK_INT || vt->kind == TK_FLOAT ||
            (vt->kind == TK_IDENT && !is_reserved(vt))) {
            o.value = vt->text;
            p->pos++;
        } else if ((is_op(vt, "-") || is_op(vt, "+")) &&
                   (num->kind == TK_INT || num->kind == TK_FLOAT)) {
            /* a signed number: the option's own check says what it takes */
            size_t n = strlen(num->text);
            char *v = wr_arena_alloc(p->arena, n + 2);
            v[0] = vt->text[0];
            memcpy(v + 1, num->text, n + 1);
            o.value = v;
            p->pos += 2;
        } else {
            expected(p, "a value", "for the option");
            return false;
        }
        if (st->nopts == cap) {
            cap = cap ? cap * 2 : 8;
            wr_option *opts = wr_arena_alloc(p->arena, sizeof *opts * (size_t)cap);
            if (st->nopts) memcpy(opts, st->opts, sizeof *opts * (size_t)st->nopts);
            st->opts = opts;
        }
        st->opts[st->nopts++] = o;
    } while (accept_op(p, ","));
    return expect_op(p, ")", "after the options");
}

static bool parse_stmt(parser *p, wr_stmt *st) {
    wr_tok *t = cur(p);
    memset(st, 0, sizeof *st);
    st->line = t->line;
    st->col = t->col;
    if (accept_kw(p, "create")) {
        if (accept_kw(p, "or")) {
            if (!expect_kw(p, "replace", "after CREATE OR")) return false;
        }
        if (!accept_kw(p, "temporary")) accept_kw(p, "temp");
        if (accept_kw(p, "view")) {
            st->kind = STMT_VIEW;
            if (!(st->name = expect_ident(p, "a view name"))) return false;
            if (!expect_kw(p, "as", "after the view name")) return false;
            st->select = parse_select(p);
            return st->select != NULL;
        }
        bool source = accept_kw(p, "source") || accept_kw(p, "stream");
        if (!source && !accept_kw(p, "sink"))
            return expected(p, "SOURCE, SINK or VIEW", "after CREATE"), false;
        st->kind = source ? STMT_SOURCE : STMT_SINK;
        if (!(st->name = expect_ident(p, source ? "a source name" : "a sink name"))) return false;
        st->using_line = cur(p)->line;
        st->using_col = cur(p)->col;
        if (!expect_kw(p, "using", source ? "after the source name" : "after the sink name"))
            return false;
        st->using_line = cur(p)->line;
        st->using_col = cur(p)->col;
        if (!(st->using_ = expect_ident(p, "a format after USING"))) return false;
        if (accept_kw(p, "options")) return parse_options(p, st);
        return true;
    }
    if (accept_kw(p, "insert")) {
        st->kind = STMT_INSERT;
        if (!accept_kw(p, "into")) {
            if (is_kw(cur(p), "overwrite"))
                return fail_at(
                           p, cur(p),
                           "INSERT OVERWRITE is not supported: streaming queries use outputMode"),
                       false;
            return expected(p, "INTO", "after INSERT"), false;
        }
        if (!(st->name = expect_ident(p, "a sink name after INSERT INTO"))) return false;
        st->select = parse_select(p);
        return st->select != NULL;
    }
    if (accept_kw(p, "set")) {
        st->kind = STMT_SET;
        wr_buf key = {0};
        while (cur(p)->kind != TK_EOF && !is_op(cur(p), "=") && !is_op(cur(p), ";")) {
            wr_buf_puts(&key, cur(p)->text);
            p->pos++;
        }
        if (!key.len) return expected(p, "a setting name", "after SET"), false;
        st->name = wr_arena_strdup(p->arena, key.p);
        wr_buf_free(&key);
        if (!expect_op(p, "=", "after the setting name")) return false;
        wr_tok *v = cur(p);
        if (v->kind == TK_EOF || is_op(v, ";")) return expected(p, "a value", "after '='"), false;
        if (v->kind == TK_STRING) {
            if (memchr(v->text, '\0', v->len))
                return fail_at(p, v, "the value of setting %s contains a NUL byte (\\0)", st->name),
                       false;
            st->value = v->text;
            p->pos++;
        } else {
            int start = v->offset, end = start;
            while (cur(p)->kind != TK_EOF && !is_op(cur(p), ";")) {
                end = cur(p)->offset + (int)strlen(cur(p)->text);
                p->pos++;
            }
            st->value = wr_arena_strndup(p->arena, p->src + start, (size_t)(end - start));
        }
        return true;
    }
    if (t->kind == TK_SQL) { /* a trailing SELECT: SQLite SQL, kept as written */
        st->kind = STMT_QUERY;
        st->text = t->text;
        p->pos++;
        return true;
    }
    char buf[80];
    fail_at(p, t, "expected CREATE, INSERT, SET or SELECT, found %s", describe(t, buf, sizeof buf));
    return false;
}

bool wr_parse_script(const char *file, const char *src, size_t len, wr_arena *arena, wr_script *out,
                     char *errstr, size_t errlen) {
    parser p = {.file = file, .src = src, .arena = arena, .err = errstr, .errlen = errlen};
    if (!wr_lex(file, src, len, arena, &p.toks, &p.ntoks, errstr, errlen)) return false;
    int cap = 0;
    memset(out, 0, sizeof *out);
    while (!p.failed && cur(&p)->kind != TK_EOF) {
        if (accept_op(&p, ";")) continue;
        if (out->nstmts == cap) {
            cap = cap ? cap * 2 : 8;
            wr_stmt *s = wr_arena_alloc(arena, sizeof *s * (size_t)cap);
            if (out->nstmts) memcpy(s, out->stmts, sizeof *s * (size_t)out->nstmts);
            out->stmts = s;
        }
        if (!parse_stmt(&p, &out->stmts[out->nstmts])) break;
        out->nstmts++;
        if (!is_op(cur(&p), ";") && cur(&p)->kind != TK_EOF) {
            char buf[80];
            fail_at(&p, cur(&p), "expected ';' after the statement, found %s",
                    describe(cur(&p), buf, sizeof buf));
        }
    }
    free(p.toks);
    return !p.failed;
}
