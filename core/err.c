/* The one error type (wr_core.h): a code, a message, an optional position
 * in a job's text. */
#include <stdio.h>
#include <string.h>

#include "core/wr_core.h"

static bool vfail(wr_err *e, wr_errcode code, int line, int col, const char *fmt, va_list ap) {
    if (!e) return false;
    char msg[sizeof e->msg]; /* the arguments may point into e->msg */
    vsnprintf(msg, sizeof msg, fmt, ap);
    memcpy(e->msg, msg, sizeof msg);
    e->code = code;
    e->line = line;
    e->col = col;
    return false;
}

bool wr_fail(wr_err *e, wr_errcode code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfail(e, code, 0, 0, fmt, ap);
    va_end(ap);
    return false;
}

bool wr_fail_at(wr_err *e, wr_errcode code, int line, int col, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfail(e, code, line, col, fmt, ap);
    va_end(ap);
    return false;
}

void wr_err_prefix(wr_err *e, const char *fmt, ...) {
    if (!e) return;
    char prefix[512], old[sizeof e->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    size_t n = strlen(prefix);
    if (n > sizeof e->msg - 3) n = sizeof e->msg - 3;
    memcpy(e->msg, prefix, n);
    memcpy(e->msg + n, ": ", 2);
    size_t rest = sizeof e->msg - n - 3, m = strnlen(old, rest);
    memcpy(e->msg + n + 2, old, m);
    e->msg[n + 2 + m] = '\0';
}

void wr_err_text(const wr_err *e, const char *file, char *out, size_t len) {
    if (e->line > 0)
        snprintf(out, len, "%s:%d:%d: %s", file ? file : "", e->line, e->col, e->msg);
    else
        snprintf(out, len, "%s", e->msg);
}

void wr_errf(char *errstr, size_t errlen, const char *fmt, ...) {
    if (!errstr || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errstr, errlen, fmt, ap);
    va_end(ap);
}
