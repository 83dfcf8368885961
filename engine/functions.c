/* Scalar functions (split, size, lower, upper, trim, length, substring, concat,
 * concat_ws, regexp_extract, regexp_replace, coalesce): binding (argument
 * checks, result types, constant patterns compiled once) and evaluation; and
 * the limits every regex match runs with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/wr_engine.h"

pcre2_code *wr_regex_compile(const char *pat, size_t len, char *errstr, size_t errlen) {
    int code;
    PCRE2_SIZE off;
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)pat, len, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &off, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        wr_errf(errstr, errlen, "invalid regular expression '%.*s': %s at offset %zu", (int)len,
                pat, (char *)msg, (size_t)off);
        return NULL;
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    return re;
}

struct wr_regex_ctx {
    pcre2_match_context *mc;
    pcre2_jit_stack *jit; /* made on the first JIT match */
};

/* PCRE2 asks for the JIT stack at each JIT match. */
static pcre2_jit_stack *jit_stack(void *arg) {
    wr_regex_ctx *rx = arg;
    if (!rx->jit) rx->jit = pcre2_jit_stack_create(32 * 1024, WR_REGEX_JIT_STACK, NULL);
    return rx->jit; /* NULL (no memory): PCRE2 uses 32 KiB of the machine stack */
}

wr_regex_ctx *wr_regex_ctx_new(void) {
    wr_regex_ctx *rx = wr_xcalloc(1, sizeof *rx);
    rx->mc = pcre2_match_context_create(NULL);
    if (!rx->mc) {
        fputs("weir: out of memory\n", stderr);
        abort();
    }
    pcre2_set_match_limit(rx->mc, WR_REGEX_MATCH_LIMIT);
    pcre2_set_depth_limit(rx->mc, WR_REGEX_DEPTH_LIMIT);
    pcre2_set_heap_limit(rx->mc, WR_REGEX_HEAP_LIMIT_KIB);
    pcre2_jit_stack_assign(rx->mc, jit_stack, rx);
    return rx;
}

void wr_regex_ctx_free(wr_regex_ctx *rx) {
    if (!rx) return;
    pcre2_match_context_free(rx->mc);
    if (rx->jit) pcre2_jit_stack_free(rx->jit);
    free(rx);
}

int wr_regex_exec(wr_regex_ctx *rx, const pcre2_code *re, const char *s, size_t n, size_t start,
                  uint32_t options, pcre2_match_data *md) {
    return pcre2_match(re, (PCRE2_SPTR)s, n, start, options, md, rx->mc);
}

void wr_regex_strerror(int rc, char *buf, size_t len) {
    PCRE2_UCHAR msg[160];
    if (pcre2_get_error_message(rc, msg, sizeof msg) < 0)
        snprintf((char *)msg, sizeof msg, "error %d", rc);
    snprintf(buf, len, "%s", (char *)msg);
}

static wr_arr *arr_new(wr_arena *a, int n) {
    wr_arr *r = wr_arena_alloc(a, sizeof *r + sizeof(wr_val) * (size_t)(n ? n : 1));
    r->n = 0;
    return r;
}

/* ---- split: Java's String.split(regex, limit) as Spark uses it (limit <= 0:
 * no limit, trailing empty strings kept) ---- */

static wr_val fn_split(const wr_expr *e, const wr_val *args, wr_eval *ev) {
    wr_val s = args[0];
    if (s.null || args[1].null || (e->nargs > 2 && args[2].null)) return wr_null();
    int64_t limit = e->nargs > 2 ? args[2].u.i : -1;
    if (limit <= 0) limit = INT64_MAX;
    const char *p = s.u.p;
    size_t n = s.len;
    if (e->sep_fast) {
        int count = 1;
        for (size_t i = 0; i < n; i++)
            count += p[i] == e->sep;
        if (count > limit) count = (int)limit;
        wr_arr *a = arr_new(ev->arena, count);
        size_t start = 0;
        for (size_t i = 0; i < n && a->n < count - 1; i++) {
            if (p[i] == e->sep) {
                a->items[a->n++] = wr_str(p + start, i - start);
                start = i + 1;
            }
        }
        a->items[a->n++] = wr_str(p + start, n - start);
        wr_val r = {.u.a = a};
        return r;
    }
    /* General regex path. */
    int cap = 16, cnt = 0;
    wr_val *items = wr_xmalloc(sizeof *items * (size_t)cap);
    size_t index = 0, pos = 0;
    while (pos <= n && cnt < limit - 1) {
        int rc = wr_eval_match(e, e->fname, p, n, pos, ev);
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc < 0) { /* failed: ev says why */
            free(items);
            return wr_null();
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(ev->md);
        size_t ms = ov[0], me = ov[1];
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

static wr_val fn_size(const wr_expr *e, const wr_val *args, wr_eval *ev) {
    (void)e, (void)ev;
    return args[0].null ? wr_int(-1) : wr_int(args[0].u.a->n);
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

/* Spark's substringSQL: 1-based pos, 0 means 1, negative counts from the end. */
static wr_val fn_substring(const wr_expr *e, const wr_val *args, wr_eval *ev) {
    (void)ev;
    if (args[0].null || args[1].null || (e->nargs > 2 && args[2].null)) return wr_null();
    int64_t pos = args[1].u.i, length = e->nargs > 2 ? args[2].u.i : INT32_MAX;
    const char *p = args[0].u.p;
    size_t n = args[0].len;
    int64_t chars = (int64_t)utf8_chars(p, n);
    int64_t start = pos > 0 ? pos - 1 : (pos < 0 ? chars + pos : 0);
    int64_t end = start + length;
    if (start < 0) start = 0;
    if (start >= end) return wr_str(p, 0);
    size_t bs = utf8_offset(p, n, start), be = utf8_offset(p, n, end);
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

static wr_val fn_regexp_extract(const wr_expr *e, const wr_val *args, wr_eval *ev) {
    if (args[0].null || args[1].null || (e->nargs > 2 && args[2].null)) return wr_null();
    int64_t idx = e->nargs > 2 ? args[2].u.i : 1;
    int rc = wr_eval_match(e, e->fname, args[0].u.p, args[0].len, 0, ev);
    if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) return wr_null(); /* failed: ev says why */
    if (rc < 0 || idx >= rc) return wr_str("", 0);
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(ev->md);
    if (ov[2 * idx] == PCRE2_UNSET) return wr_str("", 0);
    return wr_str(args[0].u.p + ov[2 * idx], ov[2 * idx + 1] - ov[2 * idx]);
}

/* Java's Matcher.replaceAll: $n and ${n} refer to groups, \x is x. */
static wr_val fn_regexp_replace(const wr_expr *e, const wr_val *args, wr_eval *ev) {
    if (args[0].null || args[1].null || args[2].null) return wr_null();
    const char *s = args[0].u.p, *rep = args[2].u.p;
    size_t n = args[0].len, rn = args[2].len, pos = 0, last = 0;
    wr_buf b = {0};
    while (pos <= n) {
        int rc = wr_eval_match(e, e->fname, s, n, pos, ev);
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc < 0) { /* failed: ev says why */
            wr_buf_free(&b);
            return wr_null();
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(ev->md);
        wr_buf_put(&b, s + last, ov[0] - last);
        for (size_t i = 0; i < rn; i++) {
            if (rep[i] == '\\' && i + 1 < rn) {
                wr_buf_putc(&b, rep[++i]);
            } else if (rep[i] == '$' && i + 1 < rn) {
                size_t j = i + 1;
                bool brace = rep[j] == '{';
                if (brace) j++;
                int g = 0;
                size_t d = j;
                while (j < rn && rep[j] >= '0' && rep[j] <= '9' && (g * 10 + (rep[j] - '0')) < rc)
                    g = g * 10 + (rep[j++] - '0');
                if (j == d) {
                    wr_buf_putc(&b, rep[i]);
                    continue;
                }
                if (brace && j < rn && rep[j] == '}') j++;
                if (ov[2 * g] != PCRE2_UNSET)
                    wr_buf_put(&b, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
                i = j - 1;
            } else {
                wr_buf_putc(&b, rep[i]);
            }
        }
        last = ov[1];
        if (ov[1] == ov[0]) {
            if (ov[0] >= n) break;
            wr_buf_putc(&b, s[ov[0]]);
            last = ov[0] + 1;
            pos = last;
        } else {
            pos = ov[1];
        }
    }
    if (last < n) wr_buf_put(&b, s + last, n - last);
    wr_val r = wr_str(wr_arena_strndup(ev->arena, b.p ? b.p : "", b.len), b.len);
    wr_buf_free(&b);
    return r;
}

static wr_val fn_coalesce(const wr_expr *e, const wr_val *args, wr_eval *ev) {
    (void)ev;
    for (int i = 0; i < e->nargs; i++)
        if (!args[i].null) return args[i];
    return wr_null();
}

static wr_val fn_abs(const wr_expr *e, const wr_val *args, wr_eval *ev) {
    (void)ev;
    if (args[0].null) return args[0];
    if (e->type.kind == WR_T_DOUBLE) return wr_dbl(args[0].u.d < 0 ? -args[0].u.d : args[0].u.d);
    return wr_int(args[0].u.i < 0 ? (int64_t)(0 - (uint64_t)args[0].u.i) : args[0].u.i);
}

/* ---- binding ---- */

static bool is_string_like(wr_type t) {
    return t.kind == WR_T_STRING || t.kind == WR_T_BINARY || t.kind == WR_T_NULL;
}

/* Casts argument i to STRING when it is a string-like value; else an error. */
static bool want_string(wr_expr *e, int i, const char *name, char *err, size_t len) {
    wr_type t = e->args[i]->type;
    if (!is_string_like(t) && t.kind != WR_T_INT && t.kind != WR_T_BIGINT &&
        t.kind != WR_T_DOUBLE && t.kind != WR_T_BOOL && t.kind != WR_T_TIMESTAMP) {
        wr_errf(err, len, "%s: argument %d must be a STRING, not %s", name, i + 1, wr_type_name(t));
        return false;
    }
    e->args[i] = wr_expr_cast(e->args[i], WR_TYPE(WR_T_STRING));
    return true;
}

static bool want_int(wr_expr *e, int i, const char *name, char *err, size_t len) {
    wr_type t = e->args[i]->type;
    if (t.kind != WR_T_INT && t.kind != WR_T_BIGINT && t.kind != WR_T_NULL &&
        t.kind != WR_T_STRING) {
        wr_errf(err, len, "%s: argument %d must be an INT, not %s", name, i + 1, wr_type_name(t));
        return false;
    }
    e->args[i] = wr_expr_cast(e->args[i], WR_TYPE(WR_T_INT));
    return true;
}

/* Compiles argument i as a constant pattern. */
static bool want_pattern(wr_expr *e, int i, const char *name, char *err, size_t len) {
    wr_expr *a = e->args[i];
    if (a->op != WR_E_LIT || a->type.kind != WR_T_STRING) {
        wr_errf(err, len,
                "%s: the pattern must be a constant string (patterns computed per row are not "
                "supported yet)",
                name);
        return false;
    }
    char why[300];
    e->re = wr_regex_compile(a->lit.u.p, a->lit.len, why, sizeof why);
    if (!e->re) {
        wr_errf(err, len, "%s: %s", name, why);
        return false;
    }
    e->pattern = wr_xstrndup(a->lit.u.p, a->lit.len);
    return true;
}

/* to_timestamp(str[, fmt]): NULL when str does not match. */
static wr_val fn_to_timestamp(const wr_expr *e, const wr_val *args, wr_eval *ev) {
    (void)ev;
    if (args[0].null || (e->nargs > 1 && args[1].null)) return wr_null();
    int64_t us;
    bool ok = e->nargs > 1
                  ? wr_ts_parse_pattern(args[0].u.p, args[0].len, args[1].u.p, args[1].len, &us)
                  : wr_ts_parse(args[0].u.p, args[0].len, &us);
    return ok ? wr_int(us) : wr_null();
}

static int64_t floor_seconds(int64_t us) {
    return us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
}

/* unix_timestamp(): now; unix_timestamp(ts); unix_timestamp(str[, fmt]) with
 * fmt defaulting to yyyy-MM-dd HH:mm:ss: seconds since the epoch. */
static wr_val fn_unix_timestamp(const wr_expr *e, const wr_val *args, wr_eval *ev) {
    (void)ev;
    if (e->nargs == 0) return wr_int(wr_wall_ms() / 1000);
    if (args[0].null) return wr_null();
    if (e->args[0]->type.kind == WR_T_TIMESTAMP) return wr_int(floor_seconds(args[0].u.i));
    static const char dflt[] = "yyyy-MM-dd HH:mm:ss";
    if (e->nargs > 1 && args[1].null) return wr_null();
    int64_t us;
    bool ok = e->nargs > 1
                  ? wr_ts_parse_pattern(args[0].u.p, args[0].len, args[1].u.p, args[1].len, &us)
                  : wr_ts_parse_pattern(args[0].u.p, args[0].len, dflt, sizeof dflt - 1, &us);
    return ok ? wr_int(floor_seconds(us)) : wr_null();
}

typedef struct fdef {
    const char *name;
    int min, max;
    wr_scalar_fn fn;
} fdef;

static const fdef funcs[] = {
    {"split", 2, 3, fn_split},
    {"size", 1, 1, fn_size},
    {"cardinality", 1, 1, fn_size},
    {"lower", 1, 1, fn_case},
    {"lcase", 1, 1, fn_case},
    {"upper", 1, 1, fn_case},
    {"ucase", 1, 1, fn_case},
    {"trim", 1, 1, fn_trim},
    {"ltrim", 1, 1, fn_trim},
    {"rtrim", 1, 1, fn_trim},
    {"length", 1, 1, fn_length},
    {"char_length", 1, 1, fn_length},
    {"substring", 2, 3, fn_substring},
    {"substr", 2, 3, fn_substring},
    {"concat", 1, 16, fn_concat},
    {"concat_ws", 1, 16, fn_concat_ws},
    {"regexp_extract", 2, 3, fn_regexp_extract},
    {"regexp_replace", 3, 3, fn_regexp_replace},
    {"coalesce", 1, 16, fn_coalesce},
    {"abs", 1, 1, fn_abs},
    {"to_timestamp", 1, 2, fn_to_timestamp},
    {"unix_timestamp", 0, 2, fn_unix_timestamp},
};

const char *const wr_func_names[] = {"split",
                                     "size",
                                     "cardinality",
                                     "lower",
                                     "lcase",
                                     "upper",
                                     "ucase",
                                     "trim",
                                     "ltrim",
                                     "rtrim",
                                     "length",
                                     "char_length",
                                     "substring",
                                     "substr",
                                     "concat",
                                     "concat_ws",
                                     "regexp_extract",
                                     "regexp_replace",
                                     "coalesce",
                                     "abs",
                                     "to_timestamp",
                                     "unix_timestamp",
                                     "explode",
                                     "explode_outer",
                                     "count",
                                     "sum",
                                     "avg",
                                     "mean",
                                     "min",
                                     "max",
                                     NULL};

bool wr_func_bind(wr_expr *e, const char *name, char *err, size_t len) {
    const fdef *f = NULL;
    for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++)
        if (!strcasecmp(name, funcs[i].name)) f = &funcs[i];
    if (!f) {
        wr_errf(err, len, "unknown function %s", name);
        return false;
    }
    if (e->nargs < f->min || e->nargs > f->max) {
        if (f->min == f->max)
            wr_errf(err, len, "%s takes %d argument%s, not %d", f->name, f->min,
                    f->min == 1 ? "" : "s", e->nargs);
        else
            wr_errf(err, len, "%s takes %d to %d arguments, not %d", f->name, f->min, f->max,
                    e->nargs);
        return false;
    }
    e->op = WR_E_FUNC;
    e->fn = f->fn;
    e->fname = f->name;
    const char *n = f->name;
    wr_type str = WR_TYPE(WR_T_STRING);
    if (!strcmp(n, "split")) {
        if (!want_string(e, 0, n, err, len)) return false;
        if (e->nargs > 2 && !want_int(e, 2, n, err, len)) return false;
        if (!want_pattern(e, 1, n, err, len)) return false;
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
    } else if (!strcmp(n, "size") || !strcmp(n, "cardinality")) {
        if (e->args[0]->type.kind != WR_T_ARRAY && e->args[0]->type.kind != WR_T_NULL) {
            wr_errf(err, len, "%s needs an array, not %s", n, wr_type_name(e->args[0]->type));
            return false;
        }
        e->type = WR_TYPE(WR_T_INT);
    } else if (!strcmp(n, "lower") || !strcmp(n, "lcase") || !strcmp(n, "upper") ||
               !strcmp(n, "ucase")) {
        if (!want_string(e, 0, n, err, len)) return false;
        e->iarg = n[0] == 'u';
        e->type = str;
    } else if (!strcmp(n, "trim") || !strcmp(n, "ltrim") || !strcmp(n, "rtrim")) {
        if (!want_string(e, 0, n, err, len)) return false;
        e->iarg = n[0] == 'l' ? 1 : n[0] == 'r' ? 2 : 0;
        e->type = str;
    } else if (!strcmp(n, "length") || !strcmp(n, "char_length")) {
        if (e->args[0]->type.kind != WR_T_BINARY && !want_string(e, 0, n, err, len)) return false;
        e->type = WR_TYPE(WR_T_INT);
    } else if (!strcmp(n, "substring") || !strcmp(n, "substr")) {
        if (!want_string(e, 0, n, err, len) || !want_int(e, 1, n, err, len)) return false;
        if (e->nargs > 2 && !want_int(e, 2, n, err, len)) return false;
        e->type = str;
    } else if (!strcmp(n, "concat")) {
        for (int i = 0; i < e->nargs; i++)
            if (!want_string(e, i, n, err, len)) return false;
        e->type = str;
    } else if (!strcmp(n, "concat_ws")) {
        if (!want_string(e, 0, n, err, len)) return false;
        for (int i = 1; i < e->nargs; i++) {
            wr_type t = e->args[i]->type;
            if (t.kind == WR_T_ARRAY) {
                if (t.elem != WR_T_STRING) {
                    wr_errf(err, len,
                            "concat_ws: argument %d must be a STRING or ARRAY<STRING>, not %s",
                            i + 1, wr_type_name(t));
                    return false;
                }
            } else if (!want_string(e, i, n, err, len))
                return false;
        }
        e->type = str;
    } else if (!strcmp(n, "regexp_extract")) {
        if (!want_string(e, 0, n, err, len) || !want_pattern(e, 1, n, err, len)) return false;
        if (e->nargs > 2 && !want_int(e, 2, n, err, len)) return false;
        uint32_t groups = 0;
        pcre2_pattern_info(e->re, PCRE2_INFO_CAPTURECOUNT, &groups);
        int64_t idx = 1;
        if (e->nargs > 2 && e->args[2]->op == WR_E_LIT && !e->args[2]->lit.null)
            idx = e->args[2]->lit.u.i;
        if (idx < 0 || idx > (int64_t)groups) {
            wr_errf(err, len,
                    "regexp_extract: group index %lld is out of range: the pattern has %u group%s",
                    (long long)idx, groups, groups == 1 ? "" : "s");
            return false;
        }
        e->type = str;
    } else if (!strcmp(n, "regexp_replace")) {
        if (!want_string(e, 0, n, err, len) || !want_pattern(e, 1, n, err, len) ||
            !want_string(e, 2, n, err, len))
            return false;
        e->type = str;
    } else if (!strcmp(n, "coalesce")) {
        wr_type t = e->args[0]->type;
        for (int i = 1; i < e->nargs; i++)
            if (!wr_type_common(t, e->args[i]->type, &t)) {
                wr_errf(err, len, "coalesce: arguments of types %s and %s have no common type",
                        wr_type_name(t), wr_type_name(e->args[i]->type));
                return false;
            }
        for (int i = 0; i < e->nargs; i++)
            e->args[i] = wr_expr_cast(e->args[i], t);
        e->type = t;
    } else if (!strcmp(n, "to_timestamp") || !strcmp(n, "unix_timestamp")) {
        bool ts_arg = e->nargs > 0 && e->args[0]->type.kind == WR_T_TIMESTAMP;
        if (ts_arg && e->nargs > 1) {
            wr_errf(err, len, "%s of a TIMESTAMP takes no format", n);
            return false;
        }
        if (e->nargs > 0 && !ts_arg && !want_string(e, 0, n, err, len)) return false;
        if (e->nargs > 1 && !want_string(e, 1, n, err, len)) return false;
        e->type = WR_TYPE(n[0] == 't' ? WR_T_TIMESTAMP : WR_T_BIGINT);
        if (n[0] == 't' && ts_arg) { /* to_timestamp of a timestamp is itself */
            e->op = WR_E_CAST;
            e->fn = NULL;
        }
    } else if (!strcmp(n, "abs")) {
        wr_type t = e->args[0]->type;
        if (t.kind == WR_T_STRING) t = WR_TYPE(WR_T_DOUBLE);
        if (!wr_type_is_numeric(t)) {
            wr_errf(err, len, "abs needs a number, not %s", wr_type_name(e->args[0]->type));
            return false;
        }
        e->args[0] = wr_expr_cast(e->args[0], t);
        e->type = t;
    }
    return true;
}
