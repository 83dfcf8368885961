/* Unit tests of vector evaluation (expr/vector.c) against the row evaluator:
 * random chunks (with NULLs, and with and without a selection vector) and a
 * table of expressions covering the typed loops, the element-wise path
 * (functions, casts, INT arithmetic that wraps at 32 bits, DOUBLE
 * comparisons with NaN), the lazy AND/OR/CASE over a regular expression, and
 * the one-character split iterator. Every live row must give exactly the
 * value wr_expr_eval gives for it. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "expr/wr_expr.h"

/* Columns of the test chunks: 0 a BIGINT, 1 b BIGINT, 2 i INT, 3 d DOUBLE,
 * 4 e DOUBLE, 5 s STRING, 6 t TIMESTAMP. */
enum { A, B, I, D, E, S, T, WIDTH };
static const wr_kind kinds[WIDTH] = {WR_T_BIGINT, WR_T_BIGINT, WR_T_INT,      WR_T_DOUBLE,
                                     WR_T_DOUBLE, WR_T_STRING, WR_T_TIMESTAMP};

static wr_expr *col(int c) {
    return wr_expr_col(c, WR_TYPE(kinds[c]));
}
static wr_expr *lit_i(int64_t v) {
    return wr_expr_lit(wr_int(v), WR_TYPE(WR_T_BIGINT));
}
static wr_expr *lit_s(const char *s) {
    return wr_expr_lit(wr_str(s, strlen(s)), WR_TYPE(WR_T_STRING));
}
static wr_expr *op2(wr_expr_op op, wr_kind type, wr_expr *x, wr_expr *y) {
    wr_expr *e = wr_expr_new(op, WR_TYPE(type), 2);
    e->args[0] = x, e->args[1] = y;
    return e;
}
static wr_expr *op1(wr_expr_op op, wr_kind type, wr_expr *x) {
    wr_expr *e = wr_expr_new(op, WR_TYPE(type), 1);
    e->args[0] = x;
    return e;
}
static wr_expr *fn(const char *name, int n, wr_expr *x, wr_expr *y, wr_expr *z) {
    wr_expr *e = wr_expr_new(WR_E_FUNC, WR_TYPE(WR_T_NULL), n);
    wr_expr *args[3] = {x, y, z};
    for (int i = 0; i < n; i++)
        e->args[i] = args[i];
    wr_err err;
    cr_assert(wr_func_bind(e, name, &err), "binding %s: %s", name, err.msg);
    return e;
}
static wr_expr *rlike(wr_expr *x, const char *pat) {
    wr_expr *e = op1(WR_E_RLIKE, WR_T_BOOL, x);
    wr_err err;
    e->re = wr_regex_new(pat, strlen(pat), &err);
    cr_assert(e->re, "%s", err.msg);
    e->pattern = wr_xstrdup(pat);
    return e;
}

static const char *words[] = {"", "a", "abc", "x,y", "1", "-7", "12abc", "a,b,,c", "ABC,d", "9"};

/* A random chunk of n rows; about one value in six is NULL. */
static void make_chunk(wr_chunk *c, size_t n, wr_arena *ar, unsigned *seed) {
    c->width = WIDTH;
    c->n = n;
    c->sel = NULL;
    c->origin = NULL;
    c->cols = wr_arena_alloc(ar, sizeof *c->cols * WIDTH);
    for (int j = 0; j < WIDTH; j++) {
        wr_vec *v = &c->cols[j];
        wr_vec_alloc(v, WR_TYPE(kinds[j]), n, ar);
        for (size_t r = 0; r < n; r++) {
            int x = rand_r(seed);
            wr_val val = wr_null();
            if (x % 6) {
                switch (kinds[j]) {
                case WR_T_DOUBLE:
                    val = wr_dbl(x % 17 == 1 ? NAN : (double)(x % 200 - 100) / 4);
                    break;
                case WR_T_STRING:
                    val = wr_str(words[x % 10], strlen(words[x % 10]));
                    break;
                case WR_T_INT:
                    val = wr_int((int32_t)(x % 3 ? x % 100 : INT32_MAX - x % 5));
                    break;
                default:
                    val = wr_int(x % 3 ? x % 1000 - 500 : INT64_MAX - x % 7);
                }
            }
            wr_vec_put(v, r, val, n, ar);
        }
    }
}

static void check(const char *what, wr_expr *e) {
    unsigned seed = 42;
    wr_arena ar = {0};
    wr_eval ev;
    wr_eval_init(&ev, &ar);
    for (int round = 0; round < 40; round++) {
        wr_chunk c;
        size_t n = (size_t)(1 + rand_r(&seed) % 300);
        make_chunk(&c, n, &ar, &seed);
        uint32_t *sel = wr_arena_alloc(&ar, sizeof *sel * n);
        size_t nsel = 0;
        if (round % 2) { /* every other round: a selection of about half the rows */
            for (size_t r = 0; r < n; r++)
                if (rand_r(&seed) % 2) sel[nsel++] = (uint32_t)r;
            c.sel = sel, c.nsel = nsel;
        }
        wr_vec out;
        wr_expr_eval_vec(e, &c, &out, &ev);
        cr_assert(!ev.failed, "%s: %s", what, ev.err);
        wr_val row[WIDTH];
        for (size_t k = 0; k < wr_chunk_rows(&c); k++) {
            size_t r = wr_chunk_row(&c, k);
            wr_chunk_get_row(&c, r, row);
            wr_val want = wr_expr_eval(e, row, &ev), got = wr_vec_get(&out, r);
            cr_assert_eq(got.null, want.null, "%s: row %zu: NULL %d, want %d", what, r, got.null,
                         want.null);
            if (!want.null)
                cr_assert(wr_val_eq(got, want, e->type) ||
                              (e->type.kind == WR_T_DOUBLE && isnan(got.u.d) && isnan(want.u.d)),
                          "%s: row %zu differs", what, r);
        }
        wr_arena_reset(&ar);
    }
    wr_eval_destroy(&ev);
    wr_arena_free(&ar);
    wr_expr_free(e);
}

Test(unit_vector, typed_loops_match_the_row_evaluator) {
    check("a + b", op2(WR_E_ADD, WR_T_BIGINT, col(A), col(B)));
    check("a - b", op2(WR_E_SUB, WR_T_BIGINT, col(A), col(B)));
    check("a * b", op2(WR_E_MUL, WR_T_BIGINT, col(A), col(B)));
    check("d + e", op2(WR_E_ADD, WR_T_DOUBLE, col(D), col(E)));
    check("d * e", op2(WR_E_MUL, WR_T_DOUBLE, col(D), col(E)));
    check("a = b", op2(WR_E_EQ, WR_T_BOOL, col(A), col(B)));
    check("a <> b", op2(WR_E_NE, WR_T_BOOL, col(A), col(B)));
    check("a < 0", op2(WR_E_LT, WR_T_BOOL, col(A), lit_i(0)));
    check("a <= b", op2(WR_E_LE, WR_T_BOOL, col(A), col(B)));
    check("a > b", op2(WR_E_GT, WR_T_BOOL, col(A), col(B)));
    check("t >= t", op2(WR_E_GE, WR_T_BOOL, col(T), col(T)));
    check("s IS NULL", op1(WR_E_IS_NULL, WR_T_BOOL, col(S)));
    check("d IS NOT NULL", op1(WR_E_IS_NOT_NULL, WR_T_BOOL, col(D)));
    check("a (a column)", col(A));
    check("'x' (a literal)", lit_s("x"));
}

Test(unit_vector, element_wise_nodes_match_the_row_evaluator) {
    check("i + i (INT wraps at 32 bits)", op2(WR_E_ADD, WR_T_INT, col(I), col(I)));
    check("a / b", op2(WR_E_DIV, WR_T_DOUBLE, wr_expr_cast(col(A), WR_TYPE(WR_T_DOUBLE)),
                       wr_expr_cast(col(B), WR_TYPE(WR_T_DOUBLE))));
    check("a % b", op2(WR_E_MOD, WR_T_BIGINT, col(A), col(B)));
    check("d < e (NaN orders last)", op2(WR_E_LT, WR_T_BOOL, col(D), col(E)));
    check("d = e (NaN equals NaN)", op2(WR_E_EQ, WR_T_BOOL, col(D), col(E)));
    check("a <=> b", op2(WR_E_EQ_NS, WR_T_BOOL, col(A), col(B)));
    check("-a", op1(WR_E_NEG, WR_T_BIGINT, col(A)));
    check("NOT a = b", op1(WR_E_NOT, WR_T_BOOL, op2(WR_E_EQ, WR_T_BOOL, col(A), col(B))));
    check("CAST(s AS INT)", wr_expr_cast(col(S), WR_TYPE(WR_T_INT)));
    check("CAST(d AS STRING)", wr_expr_cast(col(D), WR_TYPE(WR_T_STRING)));
    check("lower(s)", fn("lower", 1, col(S), NULL, NULL));
    check("length(s)", fn("length", 1, col(S), NULL, NULL));
    check("substring(s, 2, 2)", fn("substring", 3, col(S), lit_i(2), lit_i(2)));
    check("split(s, ',')[1]", op2(WR_E_INDEX, WR_T_STRING, fn("split", 2, col(S), lit_s(","), NULL),
                                  wr_expr_cast(lit_i(1), WR_TYPE(WR_T_INT))));
    check("coalesce(s, 'none')", fn("coalesce", 2, col(S), lit_s("none"), NULL));
}

Test(unit_vector, and_or_case_match_eagerly_and_lazily) {
    /* no regex: evaluated eagerly over the chunk */
    check("a < 0 AND b > 0", op2(WR_E_AND, WR_T_BOOL, op2(WR_E_LT, WR_T_BOOL, col(A), lit_i(0)),
                                 op2(WR_E_GT, WR_T_BOOL, col(B), lit_i(0))));
    check("a < 0 OR s IS NULL", op2(WR_E_OR, WR_T_BOOL, op2(WR_E_LT, WR_T_BOOL, col(A), lit_i(0)),
                                    op1(WR_E_IS_NULL, WR_T_BOOL, col(S))));
    wr_expr *cs = wr_expr_new(WR_E_CASE, WR_TYPE(WR_T_STRING), 3);
    cs->args[0] = op2(WR_E_GT, WR_T_BOOL, col(A), lit_i(0));
    cs->args[1] = col(S);
    cs->args[2] = lit_s("neg");
    cs->has_else = true;
    check("CASE WHEN a > 0 THEN s ELSE 'neg' END", cs);
    /* a regex branch: lazily, row by row */
    check("a > 0 AND s RLIKE '^a'",
          op2(WR_E_AND, WR_T_BOOL, op2(WR_E_GT, WR_T_BOOL, col(A), lit_i(0)), rlike(col(S), "^a")));
}

Test(unit_vector, a_failing_row_is_named_by_its_origin) {
    /* a regex over a long subject that hits the match limit fails; the row
     * that failed is named through the chunk's origin map */
    wr_arena ar = {0};
    wr_eval ev;
    wr_eval_init(&ev, &ar);
    enum { N = 4 };
    char *big = wr_arena_alloc(&ar, 200002);
    memset(big, 'a', 200000);
    big[200000] = 'b', big[200001] = 'c'; /* the b stops every path: maximal backtracking */
    wr_chunk c = {wr_arena_alloc(&ar, sizeof(wr_vec)), 1, N, NULL, 0, NULL};
    wr_vec_alloc(&c.cols[0], WR_TYPE(WR_T_STRING), N, &ar);
    for (size_t r = 0; r < N; r++)
        wr_vec_put(&c.cols[0], r, r == 2 ? wr_str(big, 200002) : wr_str("ab", 2), N, &ar);
    static const uint32_t origin[N] = {10, 11, 12, 13};
    c.origin = origin;
    wr_expr *e = wr_expr_new(WR_E_RLIKE, WR_TYPE(WR_T_BOOL), 1);
    e->args[0] = wr_expr_col(0, WR_TYPE(WR_T_STRING));
    wr_err err;
    const char *pat = "^(a|aa)*c$";
    e->re = wr_regex_new(pat, strlen(pat), &err);
    e->pattern = wr_xstrdup(pat);
    wr_vec out;
    wr_expr_eval_vec(e, &c, &out, &ev);
    cr_assert(ev.failed, "the match should fail on the 200 KB value");
    cr_assert_eq(ev.fail_row, 12, "failed row named %zu, want origin 12", ev.fail_row);
    wr_expr_free(e);
    wr_eval_destroy(&ev);
    wr_arena_free(&ar);
}

Test(unit_vector, split_iterator_cuts_as_javas_fast_path) {
    wr_expr *e = fn("split", 2, col(S), lit_s(","), NULL);
    cr_assert(wr_expr_is_fast_split(e));
    static const struct {
        const char *s;
        int64_t limit;
        const char *want; /* pieces joined by | */
    } cases[] = {
        {"a,b,,c", -1, "a|b||c"}, {"a,b,", -1, "a|b|"},  {"", -1, ""},      {",", -1, "|"},
        {"a,b,c", 2, "a|b,c"},    {"a,b,c", 1, "a,b,c"}, {"abc", 0, "abc"}, {",,", 2, "|,"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wr_split_iter it;
        wr_sv piece;
        char got[64] = "";
        int n = 0;
        wr_split_begin(&it, e, cases[i].s, strlen(cases[i].s), cases[i].limit);
        while (wr_split_next(&it, &piece)) {
            if (n++) strcat(got, "|");
            strncat(got, piece.p, piece.len);
        }
        cr_assert_str_eq(got, cases[i].want, "split('%s', ',', %lld)", cases[i].s,
                         (long long)cases[i].limit);
    }
    wr_expr_free(e);
}
