/* The lexer: turns a job file into tokens (identifiers, Spark-style string
 * literals with backslash escapes, numbers, operators), skipping comments.
 * A trailing SELECT is SQLite SQL: it becomes one TK_SQL token that ends
 * where SQLite's own sqlite3_complete() says. Also where a statement typed
 * at weir shell ends, and what kind it is (wr_statement_span). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/wr_catalog.h"
#include "planner/lexer.h"
#include "planner/wr_plan.h"

typedef struct lexer {
    const char *src;
    size_t len, pos;
    int line, col;
    wr_arena *arena;
    const char *file;
    char *err;
    size_t errlen;
} lexer;

static int peekc(lexer *L, size_t ahead) {
    return L->pos + ahead < L->len ? (unsigned char)L->src[L->pos + ahead] : -1;
}

static void advance(lexer *L) {
    if (L->src[L->pos] == '\n') {
        L->line++;
        L->col = 1;
    } else {
        L->col++;
    }
    L->pos++;
}

static bool fail(lexer *L, int line, int col, const char *msg) {
    wr_errf(L->err, L->errlen, "%s:%d:%d: %s", L->file, line, col, msg);
    return false;
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static void put_utf8(wr_buf *b, unsigned cp) {
    char u[4];
    int n;
    if (cp < 0x80)
        u[0] = (char)cp, n = 1;
    else if (cp < 0x800)
        u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    else {
        u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    }
    wr_buf_put(b, u, (size_t)n);
}

/* Spark's unescapeSQLString: \0 \b \n \r \t \Z \\ \' \", \% and \_ keep their
 * backslash, \uXXXX, three-digit octal, and any other \c is c. */
static bool lex_string(lexer *L, wr_tok *t) {
    int quote = peekc(L, 0);
    int line = L->line, col = L->col;
    advance(L);
    wr_buf b = {0};
    for (;;) {
        int c = peekc(L, 0);
        if (c < 0) {
            wr_buf_free(&b);
            return fail(L, line, col, "unterminated string literal");
        }
        if (c == quote) {
            advance(L);
            break;
        }
        if (c == '\\' && peekc(L, 1) >= 0) {
            int e = peekc(L, 1);
            advance(L);
            advance(L);
            switch (e) {
            case '0':
                if (peekc(L, 0) >= '0' && peekc(L, 0) <= '7' && peekc(L, 1) >= '0' &&
                    peekc(L, 1) <= '7') {
                    /* octal \0oo */
                    int v = (peekc(L, 0) - '0') * 8 + (peekc(L, 1) - '0');
                    advance(L), advance(L);
                    wr_buf_putc(&b, (char)v);
                } else {
                    wr_buf_putc(&b, '\0');
                }
                break;
            case 'b':
                wr_buf_putc(&b, '\b');
                break;
            case 'n':
                wr_buf_putc(&b, '\n');
                break;
            case 'r':
                wr_buf_putc(&b, '\r');
                break;
            case 't':
                wr_buf_putc(&b, '\t');
                break;
            case 'Z':
                wr_buf_putc(&b, '\032');
                break;
            case '%':
                wr_buf_puts(&b, "\\%");
                break;
            case '_':
                wr_buf_puts(&b, "\\_");
                break;
            case 'u': {
                unsigned cp = 0;
                int k;
                for (k = 0; k < 4 && hexval(peekc(L, 0)) >= 0; k++) {
                    cp = cp * 16 + (unsigned)hexval(peekc(L, 0));
                    advance(L);
                }
                if (k == 4)
                    put_utf8(&b, cp);
                else
                    wr_buf_putc(&b, 'u');
                break;
            }
            default:
                if (e >= '1' && e <= '3' && peekc(L, 0) >= '0' && peekc(L, 0) <= '7' &&
                    peekc(L, 1) >= '0' && peekc(L, 1) <= '7') {
                    int v = (e - '0') * 64 + (peekc(L, 0) - '0') * 8 + (peekc(L, 1) - '0');
                    advance(L), advance(L);
                    wr_buf_putc(&b, (char)v);
                } else {
                    wr_buf_putc(&b, (char)e);
                }
            }
            continue;
        }
        wr_buf_putc(&b, (char)c);
        advance(L);
    }
    t->kind = TK_STRING;
    t->len = b.len;
    t->text = wr_arena_strndup(L->arena, b.p ? b.p : "", b.len);
    wr_buf_free(&b);
    return true;
}

static bool lex_number(lexer *L, wr_tok *t) {
    size_t start = L->pos;
    bool is_float = false;
    while (isdigit(peekc(L, 0)))
        advance(L);
    if (peekc(L, 0) == '.' && isdigit(peekc(L, 1) < 0 ? 0 : peekc(L, 1))) {
        is_float = true;
        advance(L);
        while (isdigit(peekc(L, 0)))
            advance(L);
    } else if (peekc(L, 0) == '.' && start != L->pos) {
        is_float = true; /* "1." */
        advance(L);
    }
    if ((peekc(L, 0) == 'e' || peekc(L, 0) == 'E') &&
        (isdigit(peekc(L, 1)) ||
         ((peekc(L, 1) == '-' || peekc(L, 1) == '+') && isdigit(peekc(L, 2))))) {
        is_float = true;
        advance(L);
        if (!isdigit(peekc(L, 0))) advance(L);
        while (isdigit(peekc(L, 0)))
            advance(L);
    }
    char *text = wr_arena_strndup(L->arena, L->src + start, L->pos - start);
    if (isalpha(peekc(L, 0)) || peekc(L, 0) == '_') {
        int c = peekc(L, 0);
        if ((c == 'L' || c == 'l') && !isalnum(peekc(L, 1)) && peekc(L, 1) != '_' && !is_float) {
            advance(L); /* 10L: BIGINT literal */
        } else if ((c == 'D' || c == 'd') && !isalnum(peekc(L, 1)) && peekc(L, 1) != '_') {
            advance(L);
            is_float = true;
        } else {
            return fail(L, t->line, t->col, "malformed number");
        }
    }
    t->text = text;
    t->len = strlen(text);
    if (is_float) {
        t->kind = TK_FLOAT;
        t->fval = strtod(text, NULL);
    } else {
        t->kind = TK_INT;
        errno = 0;
        long long v = strtoll(text, NULL, 10);
        if (errno) { /* too large for BIGINT: Spark makes it a decimal; we use DOUBLE */
            t->kind = TK_FLOAT;
            t->fval = strtod(text, NULL);
        }
        t->ival = v;
    }
    return true;
}

/* Blanks and comments; false at an unterminated comment. */
static bool skip_blank(lexer *L) {
    for (;;) {
        int c = peekc(L, 0);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f')
            advance(L);
        else if (c == '-' && peekc(L, 1) == '-') {
            while (peekc(L, 0) >= 0 && peekc(L, 0) != '\n')
                advance(L);
        } else if (c == '/' && peekc(L, 1) == '*') {
            int line = L->line, col = L->col;
            advance(L), advance(L);
            while (peekc(L, 0) >= 0 && !(peekc(L, 0) == '*' && peekc(L, 1) == '/'))
                advance(L);
            if (peekc(L, 0) < 0) return fail(L, line, col, "unterminated /* comment");
            advance(L), advance(L);
        } else
            return true;
    }
}

/* A bare word or a `quoted identifier` (`` is a backquote inside one). */
static bool lex_ident(lexer *L, wr_tok *t) {
    if (peekc(L, 0) != '`') {
        size_t s = L->pos;
        while (isalnum(peekc(L, 0)) || peekc(L, 0) == '_')
            advance(L);
        t->kind = TK_IDENT;
        t->len = L->pos - s;
        t->text = wr_arena_strndup(L->arena, L->src + s, t->len);
        return true;
    }
    advance(L);
    wr_buf b = {0};
    for (;;) {
        int d = peekc(L, 0);
        if (d < 0) {
            wr_buf_free(&b);
            return fail(L, t->line, t->col, "unterminated `identifier`");
        }
        advance(L);
        if (d == '`') {
            if (peekc(L, 0) != '`') break;
            advance(L);
        }
        wr_buf_putc(&b, (char)d);
    }
    if (memchr(b.p ? b.p : "", '\0', b.len)) {
        wr_buf_free(&b);
        return fail(L, t->line, t->col, "a `quoted identifier` must not contain a NUL byte");
    }
    t->kind = TK_IDENT;
    t->quoted = true;
    t->len = b.len;
    t->text = wr_arena_strndup(L->arena, b.p ? b.p : "", b.len);
    wr_buf_free(&b);
    return true;
}

/* The bare word `w` (any case) at the lexer's position. */
static bool is_word(lexer *L, const char *w) {
    size_t n = strlen(w);
    return L->pos + n <= L->len && !strncasecmp(L->src + L->pos, w, n) &&
           !(isalnum(peekc(L, n)) || peekc(L, n) == '_');
}

static bool at_statement_start(const wr_tok *toks, int n) {
    return n == 0 || (toks[n - 1].kind == TK_OP && !strcmp(toks[n - 1].text, ";"));
}

/* A trailing SELECT (or WITH ... SELECT): SQLite's text up to the ';' that
 * ends it (TK_SQL). */
static bool lex_sql(lexer *L, wr_tok *t) {
    size_t end = wr_catalog_sql_end(L->src, L->len, L->pos, true);
    if (!end)
        return fail(L, t->line, t->col,
                    "this SELECT never ends: a string, quoted name or comment in it is not closed");
    if (L->src[end - 1] == ';') end--;
    t->kind = TK_SQL;
    t->len = end - L->pos;
    t->text = wr_arena_strndup(L->arena, L->src + L->pos, t->len);
    while (L->pos < end)
        advance(L);
    return true;
}

bool wr_lex(const char *file, const char *src, size_t len, wr_arena *arena, wr_tok **toks,
            int *ntoks, char *errstr, size_t errlen) {
    /* a UTF-8 byte order mark (what some editors put first) is no text:
     * skipped, the next character is still 1:1 */
    size_t bom = len >= 3 && !memcmp(src, "\xef\xbb\xbf", 3) ? 3 : 0;
    lexer L = {src, len, bom, 1, 1, arena, file, errstr, errlen};
    int cap = 256, n = 0;
    wr_tok *out = wr_xmalloc(sizeof *out * (size_t)cap);
    for (;;) {
        if (!skip_blank(&L)) {
            free(out);
            return false;
        }
        if (n + 1 >= cap) {
            cap *= 2;
            out = wr_xrealloc(out, sizeof *out * (size_t)cap);
        }
        wr_tok *t = &out[n];
        memset(t, 0, sizeof *t);
        t->line = L.line;
        t->col = L.col;
        t->offset = (int)L.pos;
        int c = peekc(&L, 0);
        if (c < 0) {
            t->kind = TK_EOF;
            t->text = "end of file";
            n++;
            break;
        }
        bool ok = true;
        if (at_statement_start(out, n) && (is_word(&L, "select") || is_word(&L, "with"))) {
            ok = lex_sql(&L, t);
        } else if (isalpha(c) || c == '_' || c == '`') {
            ok = lex_ident(&L, t);
        } else if (c == '\'' || c == '"') {
            ok = lex_string(&L, t);
        } else if (isdigit(c) || (c == '.' && isdigit(peekc(&L, 1) < 0 ? 0 : peekc(&L, 1)))) {
            ok = lex_number(&L, t);
        } else {
            static const char *two[] = {"<=", ">=", "<>", "!=", "==", "||", "<=>"};
            size_t oplen = 1;
            for (size_t i = 0; i < sizeof two / sizeof two[0]; i++) {
                size_t l = strlen(two[i]);
                if (L.pos + l <= len && !memcmp(src + L.pos, two[i], l) && l > oplen) oplen = l;
            }
            if (oplen == 1 && !strchr("(),;.[]*+-/%=<>", c)) {
                char msg[64];
                snprintf(msg, sizeof msg,
                         isprint(c) ? "unexpected character '%c'" : "unexpected byte 0x%02x", c);
                fail(&L, t->line, t->col, msg);
                free(out);
                return false;
            }
            t->kind = TK_OP;
            t->len = oplen;
            t->text = wr_arena_strndup(arena, src + L.pos, oplen);
            for (size_t i = 0; i < oplen; i++)
                advance(&L);
        }
        if (!ok) {
            free(out);
            return false;
        }
        n++;
    }
    *toks = out;
    *ntoks = n;
    return true;
}

/* ---- statements as weir shell reads them ---- */

/* Just past the ';' that ends the statement at L's position under the job
 * language's rules (strings with backslash escapes, `names`, comments); 0
 * when none does yet. */
static size_t job_end(lexer *L) {
    for (;;) {
        if (!skip_blank(L)) return 0;
        int c = peekc(L, 0);
        wr_tok t = {0};
        if (c < 0) return 0;
        if (c == ';') return L->pos + 1;
        if (c == '\'' || c == '"') {
            if (!lex_string(L, &t)) return 0;
        } else if (c == '`') {
            if (!lex_ident(L, &t)) return 0;
        } else {
            advance(L);
        }
    }
}

void wr_statement_span(const char *src, size_t len, wr_stmt_span *out) {
    memset(out, 0, sizeof *out);
    wr_arena arena = {0};
    lexer L = {src, len, 0, 1, 1, &arena, "", NULL, 0};
    bool closed = skip_blank(&L);
    if (!closed || L.pos == len) { /* blanks and comments, or a comment still open */
        out->cls = WR_STMT_BLANK;
        out->len = closed ? len : 0;
        wr_arena_free(&arena);
        return;
    }
    /* the leading words: bare ones are keywords, quoted ones only names */
    enum { MAXW = 5 };
    wr_tok w[MAXW];
    int nw = 0;
    lexer W = L;
    while (nw < MAXW && skip_blank(&W) &&
           (isalpha(peekc(&W, 0)) || peekc(&W, 0) == '_' || peekc(&W, 0) == '`')) {
        memset(&w[nw], 0, sizeof w[nw]);
        if (!lex_ident(&W, &w[nw])) break;
        nw++;
    }
#define KW(i, s) ((i) < nw && !w[i].quoted && !strcasecmp(w[i].text, s))
    int k = 0;
    if (KW(0, "create")) {
        k = 1;
        if (KW(k, "or") && KW(k + 1, "replace")) k += 2;
        if (KW(k, "temp") || KW(k, "temporary")) k++;
        out->cls = KW(k, "source") || KW(k, "stream") || KW(k, "sink") || KW(k, "view")
                       ? WR_STMT_JOB
                       : WR_STMT_SQL;
    } else if (KW(0, "set")) {
        out->cls = WR_STMT_JOB;
    } else if (KW(0, "insert") && KW(1, "overwrite")) {
        out->cls = WR_STMT_JOB; /* which the planner refuses, saying why */
    } else if (KW(0, "insert") && KW(1, "into") && KW(3, "select")) {
        out->cls = WR_STMT_JOB;
        snprintf(out->name, sizeof out->name, "%s", w[2].text);
    } else if (KW(0, "describe") || KW(0, "desc")) {
        out->cls = WR_STMT_DESCRIBE;
        k = KW(1, "table") && nw > 2 ? 2 : 1;
    } else if (KW(0, "show")) {
        out->cls = WR_STMT_SHOW;
        k = 1;
    } else {
        out->cls = WR_STMT_SQL;
    }
#undef KW
    if (out->cls == WR_STMT_DESCRIBE || out->cls == WR_STMT_SHOW) {
        if (k < nw) snprintf(out->name, sizeof out->name, "%s", w[k].text);
        out->extra = nw > k + 1 || !skip_blank(&W) || (peekc(&W, 0) >= 0 && peekc(&W, 0) != ';');
    }
    out->len = out->cls == WR_STMT_SQL ? wr_catalog_sql_end(src, len, L.pos, false) : job_end(&L);
    wr_arena_free(&arena);
}
