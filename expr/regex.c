/* Regular expressions (wr_expr.h), the only place PCRE2 is used: patterns
 * compiled with Java-like options (UTF-8, and invalid UTF-8 in the subject
 * matches instead of failing), JIT-compiled; a matcher per thread holds the
 * match data, the limits every match runs with and a JIT stack of its own.
 * A match that hits a limit is an error the caller reports, never a "no". */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/wr_expr.h"

struct wr_regex {
    pcre2_code *code;
    uint32_t groups; /* capturing groups */
};

struct wr_matcher {
    pcre2_match_context *mc;
    pcre2_jit_stack *jit; /* made on the first JIT match */
    pcre2_match_data *md; /* ovector of `pairs` pairs: grows to the largest pattern */
    uint32_t pairs;
    int rc; /* of the last match */
};

static void oom(void) {
    fputs("weir: out of memory\n", stderr);
    abort();
}

wr_regex *wr_regex_new(const char *pat, size_t len, wr_err *err) {
    int code;
    PCRE2_SIZE off;
    pcre2_code *c =
        pcre2_compile((PCRE2_SPTR)pat, len, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &off, NULL);
    if (!c) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        wr_fail(err, WR_ERR_USAGE, "invalid regular expression '%.*s': %s at offset %zu",
                (int)(len > 200 ? 200 : len), pat, (char *)msg, (size_t)off);
        return NULL;
    }
    pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);
    wr_regex *re = wr_xcalloc(1, sizeof *re);
    re->code = c;
    pcre2_pattern_info(c, PCRE2_INFO_CAPTURECOUNT, &re->groups);
    return re;
}

wr_regex *wr_regex_copy(const wr_regex *re) {
    wr_regex *c = wr_xcalloc(1, sizeof *c);
    c->code = pcre2_code_copy(re->code);
    if (!c->code) oom();
    pcre2_jit_compile(c->code, PCRE2_JIT_COMPLETE);
    c->groups = re->groups;
    return c;
}

void wr_regex_free(wr_regex *re) {
    if (!re) return;
    pcre2_code_free(re->code);
    free(re);
}

unsigned wr_regex_groups(const wr_regex *re) {
    return re->groups;
}

/* PCRE2 asks for the JIT stack at each JIT match. */
static pcre2_jit_stack *jit_stack(void *arg) {
    wr_matcher *m = arg;
    if (!m->jit) m->jit = pcre2_jit_stack_create(32 * 1024, WR_REGEX_JIT_STACK, NULL);
    return m->jit; /* NULL (no memory): PCRE2 uses 32 KiB of the machine stack */
}

wr_matcher *wr_matcher_new(void) {
    wr_matcher *m = wr_xcalloc(1, sizeof *m);
    m->mc = pcre2_match_context_create(NULL);
    if (!m->mc) oom();
    pcre2_set_match_limit(m->mc, WR_REGEX_MATCH_LIMIT);
    pcre2_set_depth_limit(m->mc, WR_REGEX_DEPTH_LIMIT);
    pcre2_set_heap_limit(m->mc, WR_REGEX_HEAP_LIMIT_KIB);
    pcre2_jit_stack_assign(m->mc, jit_stack, m);
    return m;
}

void wr_matcher_free(wr_matcher *m) {
    if (!m) return;
    pcre2_match_context_free(m->mc);
    if (m->jit) pcre2_jit_stack_free(m->jit);
    pcre2_match_data_free(m->md);
    free(m);
}

int wr_match(wr_matcher *m, const wr_regex *re, const char *s, size_t n, size_t start,
             unsigned flags, char *why, size_t whylen) {
    if (!m->md || m->pairs < re->groups + 1) { /* room for every group of this pattern */
        pcre2_match_data_free(m->md);
        m->pairs = re->groups + 1 > 32 ? re->groups + 1 : 32;
        m->md = pcre2_match_data_create(m->pairs, NULL);
        if (!m->md) oom();
    }
    uint32_t options = flags & WR_MATCH_WHOLE ? PCRE2_ANCHORED | PCRE2_ENDANCHORED : 0;
    int rc = pcre2_match(re->code, (PCRE2_SPTR)s, n, start, options, m->md, m->mc);
    m->rc = rc;
    if (rc >= 0) return 1;
    if (rc == PCRE2_ERROR_NOMATCH) return 0;
    PCRE2_UCHAR msg[160];
    if (pcre2_get_error_message(rc, msg, sizeof msg) < 0)
        snprintf((char *)msg, sizeof msg, "error %d", rc);
    wr_errf(why, whylen, "%s", (char *)msg);
    return -1;
}

bool wr_match_group(const wr_matcher *m, unsigned g, size_t *start, size_t *end) {
    if (m->rc <= 0 || g >= (unsigned)m->rc) return false; /* no such group in this match */
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
    if (ov[2 * g] == PCRE2_UNSET) return false;
    *start = ov[2 * g];
    *end = ov[2 * g + 1];
    return true;
}
