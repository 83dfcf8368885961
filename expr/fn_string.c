/* String functions: split, lower/upper, trim/ltrim/rtrim, length,
 * substring, concat, concat_ws, with Spark's results on NULL and on invalid
 * UTF-8. */
#include <stdlib.h>
#include <string.h>

#include "expr/expr_int.h"

static wr_arr *arr_new(wr_arena *a, int n) {
    wr_arr *r = wr_arena_alloc(a, sizeof *r + sizeof(wr_val) * (size_t)(n ? n : 1));
    r->n = 0;
    return r;
}

/* split: Java's String.split(regex, limit) as Spark uses it (limit <= 0: no
 * limit, trailing empty strings kept); a one-character literal pattern (or a
 * backslash and a non-alphanumeric) takes Java's fast path without the regex. */
static wr_val fn_split(const wr_expr *e, const wr_val *args, wr_eval *ev) {
    wr_val s = args[0];
    if (s.null || args[1].null || (e->nargs > 2 && args[2].null)) return wr_null();
    int64_t limit = e->nargs > 2 ? args[2].u.i : -1;
    if (limit <= 0) limit = INT64_MAX;
    const char *p = s.u.p;
    size_t n = s.len;
    if (e->sep_fast) {
        int64_t count = 1;
        for (size_t i = 0; i < n; i++)
            count += p[i] == e->sep;
        if (count > limit) count = limit;
        wr_arr *a = arr_new(ev->arena, (int)count);
        wr_split_iter it;
        wr_sv piece;
        wr_split_begin(&it, e, p, n, limit);
        while (wr_split_next(&it, &piece))
            a->items[a->n++] = wr_str(piece.p, piece.len);
        wr_val r = {.u.a = a};
        return r;
    }
    /* General regex path. */
    int cap = 16, cnt = 0;
    wr_val *items = wr_xmalloc(sizeof *items * (size_t)cap);
    size_t index = 0, pos = 0;
    while (pos <= n && cnt < limit - 1) {
        int rc = wr_eval_match(e, e->fname, p, n, pos, ev);
        if (rc == 0) break;
        if (rc < 0) { /* failed: ev says why */
            free(items);
            return wr_null();
        }
        size_t ms, me;
        wr_match_group(ev->mx, 0, &ms, &me);
        if (me == ms) { /* zero-width match */
            if (ms >= n) break;
            if (ms == 0) { /* never an empty leading piece */
                pos = 1;
                continue;
            }
        }
        if (cnt == cap) items = wr_xrealloc(items, sizeof *items * (size_t)(cap *= 2));
        items[cnt++] = wr_str(p + index, ms - index);
        index = me;
        pos = me > ms ? me : me + 1;
    }
    if (cnt == cap) items = wr_xrealloc(items, sizeof *items * (size_t)(cap + 1));
    items[cnt++] = wr_str(p + index, n - index);
    wr_arr *a = arr_new(ev->arena, cnt);
    memcpy(a->items, items, sizeof *items * (size_t)cnt);
    a->n = cnt;
    free(items);
    wr_val r = {.u.a = a};
    return r;
}

bool wr_expr_is_fast_split(const wr_expr *e) {
    return e->op == WR_E_FUNC && e->fn == fn_split && e->sep_fast;
}

static wr_val fn_case(const wr_expr *e, const wr_val *args, wr_eval *ev) {
    if (args[0].null) return args[0];
    char *p = wr_arena_alloc(ev->arena, args[0].len ? args[0].len : 1);
    bool up = e->iarg;
    for (uint32_t i = 0; i < args[0].len; i++) {
        char c = args[0].u.p[i];
        p[i] = up ? (c >= 'a' && c <= 'z' ? (char)(c - 32) : c)
                  : (c >= 'A' && c <= 'Z' ? (char)(c + 32) : c);
    }
    return wr_str(p, args[0].len);
}

static wr_val fn_trim(const wr_expr *e, const wr_val *args, wr_eval *ev) {
    (void)ev;
    wr_val s = args[0];
    if (s.null) return s;
    const char *p = s.u.p;
    size_t n = s.len;
    if (e->iarg != 2) /* trim / ltrim */
        while (n && *p == ' ')
            p++, n--;
    if (e->iarg != 1) /* trim / rtrim */
        while (n && p[n - 1] == ' ')
            n--;
    return wr_str(p, n);
}

/* Characters as Spark's UTF8String counts them (numChars, substring): a
 * character is as long as its first byte says (numBytesForFirstByte): 2 for
 * C2..DF, 3 for E0..EF, 4 for F0..F4, else 1 (ASCII, and bytes no character
 * starts with: stray continuation bytes 80..BF, C0, C1, F5..FF). The bytes
 * that follow are not checked, so invalid UTF-8 counts as Spark 3.5 counts
 * it, with no replacement characters: "\xE2ab" is one character. */
static inline size_t utf8_step(unsigned char c) {
    return c < 0xC2 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 1;
}

static size_t utf8_chars(const char *p, size_t n) {
    size_t c = 0;
    for (size_t i = 0; i < n; i += utf8_step((unsigned char)p[i]))
        c++;
    return c;
}

/* Byte offset of character index ci; n when the string has fewer characters
 * (a last character cut short ends at n: Spark would read past the end). */
static size_t utf8_offset(const char *p, size_t n, int64_t ci) {
    size_t i = 0;
    for (int64_t c = 0; i < n && c < ci; c++)
        i += utf8_step((unsigned char)p[i]);
    return i < n ? i : n;
}

static wr_val fn_length(const wr_expr *e, const wr_val *args, wr_eval *ev) {
    (void)ev;
    if (args[0].null) return args[0];
    return wr_int(e->args[0]->type.kind == WR_T_BINARY
                      ? args[0].len
                      : (int64_t)utf8_chars(args[0].u.p, args[0].len));
}

/* Spark's substringSQL: 1-based pos, 0 means 1, negative counts from the end.
 * A STRING counts characters; a BINARY counts bytes and stays BINARY, as
 * Spark's ByteArray.subStringSQL. */
static wr_val fn_substring(const wr_expr *e, const wr_val *args, wr_eval *ev) {
    (void)ev;
    if (args[0].null || args[1].null || (e->nargs > 2 && args[2].null)) return wr_null();
    int64_t pos = args[1].u.i, length = e->nargs > 2 ? args[2].u.i : INT32_MAX;
    const char *p = args[0].u.p;
    size_t n = args[0].len;
    bool bytes = e->type.kind == WR_T_BINARY;
    int64_t chars = bytes ? (int64_t)n : (int64_t)utf8_chars(p, n);
    int64_t start = pos > 0 ? pos - 1 : (pos < 0 ? chars + pos : 0);
    int64_t end;
    if (__builtin_add_overflow(start, length, &end)) end = length > 0 ? INT64_MAX : INT64_MIN;
    if (start < 0) start = 0;
    if (start >= end) return wr_str(p, 0);
    size_t bs = bytes ? (size_t)(start < chars ? start : chars) : utf8_offset(p, n, start);
    size_t be = bytes ? (size_t)(end < chars ? end : chars) : utf8_offset(p, n, end);
    return wr_str(p + bs, be - bs);
}

static wr_val fn_concat(const wr_expr *e, const wr_val *args, wr_eval *ev) {
    size_t total = 0;
    for (int i = 0; i < e->nargs; i++) {
        if (args[i].null) return wr_null();
        total += args[i].len;
    }
    char *p = wr_arena_alloc(ev->arena, total ? total : 1), *o = p;
    for (int i = 0; i < e->nargs; i++)
        memcpy(o, args[i].u.p, args[i].len), o += args[i].len;
    return wr_str(p, total);
}

static wr_val fn_concat_ws(const wr_expr *e, const wr_val *args, wr_eval *ev) {
    if (args[0].null) return wr_null();
    wr_buf b = {0};
    bool first = true;
    for (int i = 1; i < e->nargs; i++) {
        if (args[i].null) continue;
        if (e->args[i]->type.kind == WR_T_ARRAY) {
            for (int32_t k = 0; k < args[i].u.a->n; k++) {
                wr_val x = args[i].u.a->items[k];
                if (x.null) continue;
                if (!first) wr_buf_put(&b, args[0].u.p, args[0].len);
                wr_buf_put(&b, x.u.p, x.len);
                first = false;
            }
        } else {
            if (!first) wr_buf_put(&b, args[0].u.p, args[0].len);
            wr_buf_put(&b, args[i].u.p, args[i].len);
            first = false;
        }
    }
    wr_val r = wr_str(wr_arena_strndup(ev->arena, b.p ? b.p : "", b.len), b.len);
    wr_buf_free(&b);
    return r;
}

static bool bind_split(wr_expr *e, wr_err *err) {
    if (!wr_fn_want_string(e, 0, err)) return false;
    if (e->nargs > 2 && !wr_fn_want_int(e, 2, err)) return false;
    if (!wr_fn_want_pattern(e, 1, err)) return false;
    /* Java's fast path: one character that is not a regex metacharacter, or a
     * backslash-escaped non-alphanumeric character. */
    const char *pat = e->args[1]->lit.u.p;
    uint32_t pl = e->args[1]->lit.len;
    if (pl == 1 && !strchr(".$|()[{^?*+\\", pat[0]))
        e->sep_fast = true, e->sep = pat[0];
    else if (pl == 2 && pat[0] == '\\' &&
             !((pat[1] >= '0' && pat[1] <= '9') || (pat[1] >= 'a' && pat[1] <= 'z') ||
               (pat[1] >= 'A' && pat[1] <= 'Z')))
        e->sep_fast = true, e->sep = pat[1];
    e->type = (wr_type){WR_T_ARRAY, WR_T_STRING};
    return true;
}

static bool bind_string_to_string(wr_expr *e, wr_err *err) {
    for (int i = 0; i < e->nargs; i++)
        if (!wr_fn_want_string(e, i, err)) return false;
    e->type = WR_TYPE(WR_T_STRING);
    return true;
}

static bool bind_upper(wr_expr *e, wr_err *err) {
    e->iarg = 1;
    return bind_string_to_string(e, err);
}

static bool bind_ltrim(wr_expr *e, wr_err *err) {
    e->iarg = 1;
    return bind_string_to_string(e, err);
}

static bool bind_rtrim(wr_expr *e, wr_err *err) {
    e->iarg = 2;
    return bind_string_to_string(e, err);
}

static bool bind_length(wr_expr *e, wr_err *err) {
    if (e->args[0]->type.kind != WR_T_BINARY && !wr_fn_want_string(e, 0, err)) return false;
    e->type = WR_TYPE(WR_T_INT);
    return true;
}

static bool bind_substring(wr_expr *e, wr_err *err) {
    bool bytes = e->args[0]->type.kind == WR_T_BINARY;
    if (!bytes && !wr_fn_want_string(e, 0, err)) return false;
    if (!wr_fn_want_int(e, 1, err)) return false;
    if (e->nargs > 2 && !wr_fn_want_int(e, 2, err)) return false;
    e->type = WR_TYPE(bytes ? WR_T_BINARY : WR_T_STRING);
    return true;
}

static bool bind_concat_ws(wr_expr *e, wr_err *err) {
    if (!wr_fn_want_string(e, 0, err)) return false;
    for (int i = 1; i < e->nargs; i++) {
        wr_type t = e->args[i]->type;
        if (t.kind == WR_T_ARRAY) {
            if (t.elem != WR_T_STRING)
                return wr_fail(err, WR_ERR_USAGE,
                               "concat_ws: argument %d must be a STRING or ARRAY<STRING>, not %s",
                               i + 1, wr_type_name(t));
        } else if (!wr_fn_want_string(e, i, err)) {
            return false;
        }
    }
    e->type = WR_TYPE(WR_T_STRING);
    return true;
}

const wr_func_def wr_fn_split = {"split", 2, 3, bind_split, fn_split};
const wr_func_def wr_fn_lower = {"lower", 1, 1, bind_string_to_string, fn_case};
const wr_func_def wr_fn_lcase = {"lcase", 1, 1, bind_string_to_string, fn_case};
const wr_func_def wr_fn_upper = {"upper", 1, 1, bind_upper, fn_case};
const wr_func_def wr_fn_ucase = {"ucase", 1, 1, bind_upper, fn_case};
const wr_func_def wr_fn_trim = {"trim", 1, 1, bind_string_to_string, fn_trim};
const wr_func_def wr_fn_ltrim = {"ltrim", 1, 1, bind_ltrim, fn_trim};
const wr_func_def wr_fn_rtrim = {"rtrim", 1, 1, bind_rtrim, fn_trim};
const wr_func_def wr_fn_length = {"length", 1, 1, bind_length, fn_length};
const wr_func_def wr_fn_char_length = {"char_length", 1, 1, bind_length, fn_length};
const wr_func_def wr_fn_substring = {"substring", 2, 3, bind_substring, fn_substring};
const wr_func_def wr_fn_substr = {"substr", 2, 3, bind_substring, fn_substring};
const wr_func_def wr_fn_concat = {"concat", 1, 16, bind_string_to_string, fn_concat};
const wr_func_def wr_fn_concat_ws = {"concat_ws", 1, 16, bind_concat_ws, fn_concat_ws};
