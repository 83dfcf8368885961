/* Regular-expression functions: regexp_extract and regexp_replace (Java's
 * Matcher semantics); a match over its limits is an error of the batch. */
#include <stdlib.h>
#include <string.h>

#include "expr/expr_int.h"

static wr_val fn_regexp_extract(const wr_expr *e, const wr_val *args, wr_eval *ev) {
    if (args[0].null || args[1].null || (e->nargs > 2 && args[2].null)) return wr_null();
    int64_t idx = e->nargs > 2 ? args[2].u.i : 1;
    int rc = wr_eval_match(e, e->fname, args[0].u.p, args[0].len, 0, ev);
    if (rc < 0) return wr_null(); /* failed: ev says why */
    size_t gs, ge;
    if (!rc || idx < 0 || !wr_match_group(ev->mx, (unsigned)idx, &gs, &ge)) return wr_str("", 0);
    return wr_str(args[0].u.p + gs, ge - gs);
}

/* Java's Matcher.replaceAll: $n and ${n} refer to groups, \x is x. */
static wr_val fn_regexp_replace(const wr_expr *e, const wr_val *args, wr_eval *ev) {
    if (args[0].null || args[1].null || args[2].null) return wr_null();
    const char *s = args[0].u.p, *rep = args[2].u.p;
    size_t n = args[0].len, rn = args[2].len, pos = 0, last = 0;
    wr_buf b = {0};
    while (pos <= n) {
        int rc = wr_eval_match(e, e->fname, s, n, pos, ev);
        if (rc == 0) break;
        if (rc < 0) { /* failed: ev says why */
            wr_buf_free(&b);
            return wr_null();
        }
        size_t ms, me;
        wr_match_group(ev->mx, 0, &ms, &me);
        wr_buf_put(&b, s + last, ms - last);
        unsigned groups = wr_regex_groups(e->re);
        for (size_t i = 0; i < rn; i++) {
            if (rep[i] == '\\' && i + 1 < rn) {
                wr_buf_putc(&b, rep[++i]);
            } else if (rep[i] == '$' && i + 1 < rn) {
                size_t j = i + 1;
                bool brace = rep[j] == '{';
                if (brace) j++;
                unsigned g = 0;
                size_t d = j;
                while (j < rn && rep[j] >= '0' && rep[j] <= '9' &&
                       g * 10 + (unsigned)(rep[j] - '0') <= groups)
                    g = g * 10 + (unsigned)(rep[j++] - '0');
                if (j == d) {
                    wr_buf_putc(&b, rep[i]);
                    continue;
                }
                if (brace && j < rn && rep[j] == '}') j++;
                size_t gs, ge;
                if (wr_match_group(ev->mx, g, &gs, &ge)) wr_buf_put(&b, s + gs, ge - gs);
                i = j - 1;
            } else {
                wr_buf_putc(&b, rep[i]);
            }
        }
        last = me;
        if (me == ms) {
            if (ms >= n) break;
            wr_buf_putc(&b, s[ms]);
            last = ms + 1;
            pos = last;
        } else {
            pos = me;
        }
    }
    if (last < n) wr_buf_put(&b, s + last, n - last);
    wr_val r = wr_str(wr_arena_strndup(ev->arena, b.p ? b.p : "", b.len), b.len);
    wr_buf_free(&b);
    return r;
}

static bool bind_regexp_extract(wr_expr *e, wr_err *err) {
    if (!wr_fn_want_string(e, 0, err) || !wr_fn_want_pattern(e, 1, err)) return false;
    if (e->nargs > 2 && !wr_fn_want_int(e, 2, err)) return false;
    unsigned groups = wr_regex_groups(e->re);
    int64_t idx = 1;
    if (e->nargs > 2 && e->args[2]->op == WR_E_LIT && !e->args[2]->lit.null)
        idx = e->args[2]->lit.u.i;
    if (idx < 0 || idx > (int64_t)groups)
        return wr_fail(
            err, WR_ERR_USAGE,
            "regexp_extract: group index %lld is out of range: the pattern has %u group%s",
            (long long)idx, groups, groups == 1 ? "" : "s");
    e->type = WR_TYPE(WR_T_STRING);
    return true;
}

static bool bind_regexp_replace(wr_expr *e, wr_err *err) {
    if (!wr_fn_want_string(e, 0, err) || !wr_fn_want_pattern(e, 1, err) ||
        !wr_fn_want_string(e, 2, err))
        return false;
    e->type = WR_TYPE(WR_T_STRING);
    return true;
}

const wr_func_def wr_fn_regexp_extract = {"regexp_extract", 2, 3, bind_regexp_extract,
                                          fn_regexp_extract};
const wr_func_def wr_fn_regexp_replace = {"regexp_replace", 3, 3, bind_regexp_replace,
                                          fn_regexp_replace};
