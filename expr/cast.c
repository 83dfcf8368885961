/* Casts with Spark's non-ANSI rules (a failed cast is NULL, strings are
 * trimmed, numbers saturate or wrap as Spark's do), and the timestamp text
 * CAST(str AS TIMESTAMP) reads. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "expr/wr_expr.h"

static bool digits(const char **s, const char *end, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (*s >= end || !isdigit((unsigned char)**s)) return false;
        v = v * 10 + (**s - '0');
        (*s)++;
    }
    *out = v;
    return true;
}

/* yyyy-MM-dd[( |T)HH:mm[:ss[.ffffff]]][Z], surrounding spaces allowed. */
bool wr_ts_parse(const char *s, size_t len, int64_t *us) {
    const char *e = s + len;
    while (s < e && isspace((unsigned char)*s))
        s++;
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    int y, mo, d, h = 0, mi = 0, se = 0;
    int64_t frac = 0;
    if (!digits(&s, e, 4, &y) || s >= e || *s++ != '-') return false;
    if (!digits(&s, e, 2, &mo) || s >= e || *s++ != '-' || !digits(&s, e, 2, &d)) return false;
    if (s < e && (*s == ' ' || *s == 'T')) {
        s++;
        if (!digits(&s, e, 2, &h) || s >= e || *s++ != ':' || !digits(&s, e, 2, &mi)) return false;
        if (s < e && *s == ':') {
            s++;
            if (!digits(&s, e, 2, &se)) return false;
            if (s < e && *s == '.') {
                s++;
                int n = 0;
                while (s < e && isdigit((unsigned char)*s)) {
                    if (n < 6) frac = frac * 10 + (*s - '0');
                    n++;
                    s++;
                }
                if (!n) return false;
                for (; n < 6; n++)
                    frac *= 10;
            }
        }
    }
    if (s < e && *s == 'Z') s++;
    if (s != e) return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59) return false;
    int64_t days = wr_days_from_civil(y, (unsigned)mo, (unsigned)d);
    *us = ((days * 86400 + h * 3600 + mi * 60 + se) * 1000000) + frac;
    return wr_ts_in_range(*us); /* year 0000 is not a TIMESTAMP */
}

/* ---- casts ---- */

/* Spark trims whitespace (<= ' ') around numbers and booleans in casts. */
static void trim(const char **p, size_t *len) {
    while (*len && (unsigned char)**p <= ' ')
        (*p)++, (*len)--;
    while (*len && (unsigned char)(*p)[*len - 1] <= ' ')
        (*len)--;
}

/* String to integer: optional sign, digits, and an optional fraction that is
 * truncated ('12.5' -> 12). Out of [min, max] is NULL. */
static bool str_to_i64(const char *p, size_t len, int64_t min, int64_t max, int64_t *out) {
    trim(&p, &len);
    if (!len) return false;
    size_t i = 0;
    bool neg = false;
    if (p[i] == '-' || p[i] == '+') neg = p[i++] == '-';
    if (i == len) return false;
    uint64_t v = 0;
    bool any = false;
    for (; i < len && isdigit((unsigned char)p[i]); i++) {
        any = true;
        if (v > (UINT64_MAX - 9) / 10) return false;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    if (i < len && p[i] == '.') {
        i++;
        for (; i < len && isdigit((unsigned char)p[i]); i++)
            any = true;
    }
    if (i != len || !any) return false;
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1) return false;
        int64_t r = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
        if (r < min) return false;
        *out = r;
    } else {
        if (v > (uint64_t)max) return false;
        *out = (int64_t)v;
    }
    return true;
}

static bool str_to_double(const char *p, size_t len, double *out) {
    trim(&p, &len);
    if (!len || len > 400) return false;
    char buf[401];
    memcpy(buf, p, len);
    buf[len] = '\0';
    /* Java's Double.parseDouble accepts a trailing d/D/f/F; "NaN", "Infinity". */
    if (len > 1 && strchr("dDfF", buf[len - 1]) && isdigit((unsigned char)buf[len - 2]))
        buf[len - 1] = '\0';
    const char *s = buf;
    if (!strcmp(s, "NaN")) return *out = NAN, true;
    if (!strcmp(s, "Infinity") || !strcmp(s, "+Infinity")) return *out = INFINITY, true;
    if (!strcmp(s, "-Infinity")) return *out = -INFINITY, true;
    for (const char *c = s; *c; c++)
        if (!(isdigit((unsigned char)*c) || strchr("+-.eE", *c)))
            return false; /* no hex, no "inf" */
    char *end;
    double d = strtod(s, &end);
    if (*end || end == s) return false;
    *out = d;
    return true;
}

static int64_t double_to_i64(double d, int64_t min, int64_t max) {
    if (isnan(d)) return 0;
    if (d >= (double)max) return max;
    if (d <= (double)min) return min;
    return (int64_t)d;
}

bool wr_cast_allowed(wr_type from, wr_type to) {
    if (from.kind == WR_T_NULL || to.kind == WR_T_STRING) return true;
    if (from.kind == WR_T_WINDOW || to.kind == WR_T_WINDOW) return from.kind == to.kind;
    if (from.kind == WR_T_ARRAY || to.kind == WR_T_ARRAY)
        return from.kind == to.kind && wr_cast_allowed(WR_TYPE(from.elem), WR_TYPE(to.elem));
    if (to.kind == WR_T_BINARY)
        return from.kind == WR_T_STRING || from.kind == WR_T_BINARY || from.kind == WR_T_INT ||
               from.kind == WR_T_BIGINT;
    if (from.kind == WR_T_BINARY) return to.kind == WR_T_BINARY;
    return true;
}

wr_val wr_cast(wr_val v, wr_type from, wr_type to, wr_arena *arena) {
    if (v.null) return v;
    if (from.kind == to.kind && from.elem == to.elem) return v;
    int64_t i;
    double d;
    switch (to.kind) {
    case WR_T_STRING: {
        if (from.kind == WR_T_BINARY) return v; /* bytes as they are */
        wr_buf b = {0};
        wr_val_format(&b, v, from, false);
        wr_val r = wr_str(wr_arena_strndup(arena, b.p ? b.p : "", b.len), b.len);
        wr_buf_free(&b);
        return r;
    }
    case WR_T_BINARY:
        if (from.kind == WR_T_STRING) return v;
        if (from.kind == WR_T_INT || from.kind == WR_T_BIGINT) { /* big-endian bytes, as Spark */
            int n = from.kind == WR_T_INT ? 4 : 8;
            char *p = wr_arena_alloc(arena, (size_t)n);
            for (int k = 0; k < n; k++)
                p[k] = (char)(v.u.i >> (8 * (n - 1 - k)));
            return wr_str(p, (size_t)n);
        }
        return wr_null();
    case WR_T_BOOL:
        switch (from.kind) {
        case WR_T_INT:
        case WR_T_BIGINT:
            return wr_int(v.u.i != 0);
        case WR_T_DOUBLE:
            return wr_int(v.u.d != 0);
        case WR_T_TIMESTAMP:
            return wr_int(v.u.i != 0);
        case WR_T_STRING: {
            const char *p = v.u.p;
            size_t n = v.len;
            trim(&p, &n);
            static const char *yes[] = {"t", "true", "y", "yes", "1"},
                              *no[] = {"f", "false", "n", "no", "0"};
            for (int k = 0; k < 5; k++) {
                if (strlen(yes[k]) == n && !strncasecmp(p, yes[k], n)) return wr_int(1);
                if (strlen(no[k]) == n && !strncasecmp(p, no[k], n)) return wr_int(0);
            }
            return wr_null();
        }
        default:
            return wr_null();
        }
    case WR_T_INT:
    case WR_T_BIGINT: {
        int64_t min = to.kind == WR_T_INT ? INT32_MIN : INT64_MIN;
        int64_t max = to.kind == WR_T_INT ? INT32_MAX : INT64_MAX;
        switch (from.kind) {
        case WR_T_BOOL:
            return wr_int(v.u.i);
        case WR_T_INT:
            return wr_int(v.u.i);
        case WR_T_BIGINT:
            return wr_int(to.kind == WR_T_INT ? (int64_t)(int32_t)(uint32_t)(uint64_t)v.u.i
                                              : v.u.i);
        case WR_T_DOUBLE:
            return wr_int(double_to_i64(v.u.d, min, max));
        case WR_T_TIMESTAMP: {
            int64_t s = v.u.i >= 0 ? v.u.i / 1000000 : -((-v.u.i + 999999) / 1000000);
            return wr_int(to.kind == WR_T_INT ? (int64_t)(int32_t)(uint32_t)(uint64_t)s : s);
        }
        case WR_T_STRING:
            if (str_to_i64(v.u.p, v.len, min, max, &i)) return wr_int(i);
            return wr_null();
        default:
            return wr_null();
        }
    }
    case WR_T_DOUBLE:
        switch (from.kind) {
        case WR_T_BOOL:
        case WR_T_INT:
        case WR_T_BIGINT:
            return wr_dbl((double)v.u.i);
        case WR_T_TIMESTAMP:
            return wr_dbl((double)v.u.i / 1e6);
        case WR_T_STRING:
            if (str_to_double(v.u.p, v.len, &d)) return wr_dbl(d);
            return wr_null();
        default:
            return wr_null();
        }
    case WR_T_TIMESTAMP: /* outside years 1..9999: NULL (wr_engine.h) */
        switch (from.kind) {
        case WR_T_BOOL:
            return wr_int(v.u.i); /* Spark: true is 1 microsecond after the epoch */
        case WR_T_INT:
        case WR_T_BIGINT:
            if (v.u.i > WR_TS_MAX_US / 1000000 || v.u.i < WR_TS_MIN_US / 1000000) return wr_null();
            return wr_int(v.u.i * 1000000);
        case WR_T_DOUBLE: {
            if (isnan(v.u.d) || isinf(v.u.d) || fabs(v.u.d) > 3e11) return wr_null();
            int64_t us = (int64_t)(v.u.d * 1e6);
            return wr_ts_in_range(us) ? wr_int(us) : wr_null();
        }
        case WR_T_STRING:
            if (wr_ts_parse(v.u.p, v.len, &i)) return wr_int(i);
            return wr_null();
        default:
            return wr_null();
        }
    case WR_T_ARRAY: {
        wr_arr *a = wr_arena_alloc(arena, sizeof *a + sizeof(wr_val) * (size_t)v.u.a->n);
        a->n = v.u.a->n;
        for (int32_t k = 0; k < a->n; k++)
            a->items[k] = wr_cast(v.u.a->items[k], WR_TYPE(from.elem), WR_TYPE(to.elem), arena);
        wr_val r = {.u.a = a};
        return r;
    }
    default:
        return wr_null();
    }
}
