/* The names Spark 3.5 gives select-list items without an alias: a column
 * keeps its name (t.word is `word`, window.start is `start`), a CAST of a
 * column keeps the column's name, and anything else is its "pretty SQL":
 * the expression as written, with string literals bare, arithmetic and
 * comparisons parenthesized, functions lower-cased with their default
 * arguments shown (split(s, ,, -1)), count(*) as count(1). Spark strips
 * the casts it adds itself, so the names come from the syntax tree, not
 * from the bound expression. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expr/wr_expr.h"
#include "planner/binder.h"

static void pretty(wr_buf *o, const wr_ast *a);

/* Spark's SQL name of a type as written in CAST(x AS type). */
static const char *cast_type_name(const char *written) {
    static const struct {
        const char *in, *out;
    } names[] = {{"string", "STRING"},  {"varchar", "STRING"},  {"char", "STRING"},
                 {"int", "INT"},        {"integer", "INT"},     {"smallint", "SMALLINT"},
                 {"short", "SMALLINT"}, {"tinyint", "TINYINT"}, {"byte", "TINYINT"},
                 {"bigint", "BIGINT"},  {"long", "BIGINT"},     {"double", "DOUBLE"},
                 {"float", "FLOAT"},    {"real", "FLOAT"},      {"boolean", "BOOLEAN"},
                 {"bool", "BOOLEAN"},   {"binary", "BINARY"},   {"timestamp", "TIMESTAMP"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcasecmp(written, names[i].in)) return names[i].out;
    return written;
}

/* A decimal literal as Spark's BigDecimal prints it (leading zeros of the
 * whole part dropped, the fraction as written); with an exponent it is a
 * DOUBLE, printed as Java does. */
static void number(wr_buf *o, const wr_ast *a) {
    const char *s = a->sval;
    size_t n = a->slen;
    if (!s || memchr(s, 'e', n) || memchr(s, 'E', n)) {
        wr_val_format(o, wr_dbl(a->dval), WR_TYPE(WR_T_DOUBLE), false);
        return;
    }
    if (n && *s == '-') wr_buf_putc(o, '-'), s++, n--;
    while (n > 1 && *s == '0' && s[1] != '.')
        s++, n--;
    if (n && *s == '.') wr_buf_putc(o, '0');
    if (n && s[n - 1] == '.') n--; /* 1. is 1 */
    wr_buf_put(o, s, n);
}

static void args(wr_buf *o, const wr_ast *a, int from) {
    for (int i = from; i < a->nargs; i++) {
        if (i > from) wr_buf_puts(o, ", ");
        pretty(o, a->args[i]);
    }
}

/* name(args) with Spark's default arguments made visible. */
static void call(wr_buf *o, const wr_ast *a) {
    for (const char *c = a->name; *c; c++)
        wr_buf_putc(o, (char)tolower((unsigned char)*c));
    const char *n = a->name;
    if (!strcasecmp(n, "unix_timestamp") && a->nargs == 0) {
        wr_buf_puts(o, "(current_timestamp(), yyyy-MM-dd HH:mm:ss)");
        return;
    }
    wr_buf_putc(o, '(');
    if (a->flag) wr_buf_puts(o, "DISTINCT ");
    if (a->nargs == 1 && a->args[0]->kind == AST_STAR)
        wr_buf_putc(o, '1'); /* count(*) is count(1) */
    else
        args(o, a, 0);
    static const struct {
        const char *fn;
        int nargs;
        const char *dflt;
    } defaults[] = {{"split", 2, ", -1"},          {"substring", 2, ", 2147483647"},
                    {"substr", 2, ", 2147483647"}, {"regexp_extract", 2, ", 1"},
                    {"regexp_replace", 3, ", 1"},  {"unix_timestamp", 1, ", yyyy-MM-dd HH:mm:ss"}};
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        if (a->nargs == defaults[i].nargs && !strcasecmp(n, defaults[i].fn))
            wr_buf_puts(o, defaults[i].dflt);
    wr_buf_putc(o, ')');
}

static void pretty(wr_buf *o, const wr_ast *a) {
    switch (a->kind) {
    case AST_NULL:
        wr_buf_puts(o, "NULL");
        break;
    case AST_BOOL:
        wr_buf_puts(o, a->ival ? "true" : "false");
        break;
    case AST_INT:
        wr_buf_printf(o, "%lld", (long long)a->ival);
        break;
    case AST_DOUBLE:
        number(o, a);
        break;
    case AST_STRING:
        wr_buf_put(o, a->sval, a->slen);
        break;
    case AST_INTERVAL:
        wr_buf_printf(o, "INTERVAL '%lld' MICROSECOND", (long long)a->ival);
        break;
    case AST_COLUMN:
        wr_buf_puts(o, a->name);
        break;
    case AST_STAR:
        wr_buf_puts(o, "*");
        break;
    case AST_CALL:
        call(o, a);
        break;
    case AST_UNARY:
        wr_buf_puts(o, !strcmp(a->op, "NOT") ? "(NOT " : "(- ");
        pretty(o, a->args[0]);
        wr_buf_putc(o, ')');
        break;
    case AST_BINARY:
        if (!strcmp(a->op, "||")) { /* a || b is concat(a, b) */
            wr_buf_puts(o, "concat(");
            args(o, a, 0);
            wr_buf_putc(o, ')');
        } else if (!strcmp(a->op, "!=")) { /* Not(EqualTo) */
            wr_buf_puts(o, "(NOT (");
            pretty(o, a->args[0]);
            wr_buf_puts(o, " = ");
            pretty(o, a->args[1]);
            wr_buf_puts(o, "))");
        } else {
            wr_buf_putc(o, '(');
            pretty(o, a->args[0]);
            wr_buf_printf(o, " %s ", a->op);
            pretty(o, a->args[1]);
            wr_buf_putc(o, ')');
        }
        break;
    case AST_IS_NULL:
        wr_buf_putc(o, '(');
        pretty(o, a->args[0]);
        wr_buf_puts(o, a->flag ? " IS NOT NULL)" : " IS NULL)");
        break;
    case AST_CAST:
        wr_buf_puts(o, "CAST(");
        pretty(o, a->args[0]);
        wr_buf_printf(o, " AS %s)", cast_type_name(a->name));
        break;
    case AST_CASE: { /* CASE x WHEN v is CASE WHEN (x = v) */
        int i = a->has_operand ? 1 : 0, pairs = (a->nargs - i - a->has_else) / 2;
        wr_buf_puts(o, "CASE");
        for (int p = 0; p < pairs; p++) {
            wr_buf_puts(o, " WHEN ");
            if (a->has_operand) {
                wr_buf_putc(o, '(');
                pretty(o, a->args[0]);
                wr_buf_puts(o, " = ");
                pretty(o, a->args[i + 2 * p]);
                wr_buf_putc(o, ')');
            } else {
                pretty(o, a->args[i + 2 * p]);
            }
            wr_buf_puts(o, " THEN ");
            pretty(o, a->args[i + 2 * p + 1]);
        }
        if (a->has_else) {
            wr_buf_puts(o, " ELSE ");
            pretty(o, a->args[a->nargs - 1]);
        }
        wr_buf_puts(o, " END");
        break;
    }
    case AST_INDEX:
        pretty(o, a->args[0]);
        wr_buf_putc(o, '[');
        pretty(o, a->args[1]);
        wr_buf_putc(o, ']');
        break;
    case AST_FIELD:
        pretty(o, a->args[0]);
        wr_buf_printf(o, ".%s", a->name);
        break;
    case AST_LIKE:
        if (a->flag) wr_buf_puts(o, "(NOT ");
        pretty(o, a->args[0]);
        wr_buf_puts(o, !strcmp(a->op, "rlike") ? " RLIKE " : " LIKE ");
        pretty(o, a->args[1]);
        if (a->flag) wr_buf_putc(o, ')');
        break;
    case AST_IN:
        wr_buf_puts(o, a->flag ? "(NOT (" : "(");
        pretty(o, a->args[0]);
        wr_buf_puts(o, " IN (");
        args(o, a, 1);
        wr_buf_puts(o, a->flag ? ")))" : "))");
        break;
    }
}

/* A column, or a path into a struct column (window.start): Spark names
 * it by its last part. */
static const char *column_path_name(const wr_ast *a) {
    if (a->kind == AST_COLUMN) return a->name;
    if (a->kind == AST_FIELD && column_path_name(a->args[0])) return a->name;
    return NULL;
}

char *wr_ast_column_name(const wr_ast *a) {
    const char *n = column_path_name(a);
    if (!n && a->kind == AST_CAST)
        n = column_path_name(a->args[0]); /* CAST(key AS STRING) is `key` */
    if (n) return wr_xstrdup(n);
    wr_buf o = {0};
    pretty(&o, a);
    return o.p ? o.p : wr_xstrdup("");
}
