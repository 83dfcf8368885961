/* SQL types and values: names, Spark's non-ANSI casts, printing as Spark
 * prints, equality, hashing, ordering and copying. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "engine/wr_engine.h"

const char *wr_type_name(wr_type t) {
    static const char *names[] = {"VOID",   "BOOLEAN", "INT",       "BIGINT", "DOUBLE",
                                  "STRING", "BINARY",  "TIMESTAMP", "ARRAY"};
    if (t.kind == WR_T_WINDOW) return "STRUCT<start: TIMESTAMP, end: TIMESTAMP>";
    if (t.kind == WR_T_ARRAY) {
        static const char *arr[] = {"ARRAY<VOID>",   "ARRAY<BOOLEAN>",   "ARRAY<INT>",
                                    "ARRAY<BIGINT>", "ARRAY<DOUBLE>",    "ARRAY<STRING>",
                                    "ARRAY<BINARY>", "ARRAY<TIMESTAMP>", "ARRAY<ARRAY>"};
        return arr[t.elem];
    }
    return names[t.kind];
}

bool wr_type_parse(const char *name, wr_type *out) {
    static const struct {
        const char *n;
        wr_kind k;
    } map[] = {{"string", WR_T_STRING}, {"varchar", WR_T_STRING}, {"char", WR_T_STRING},
               {"int", WR_T_INT},       {"integer", WR_T_INT},    {"smallint", WR_T_INT},
               {"tinyint", WR_T_INT},   {"short", WR_T_INT},      {"byte", WR_T_INT},
               {"bigint", WR_T_BIGINT}, {"long", WR_T_BIGINT},    {"double", WR_T_DOUBLE},
               {"float", WR_T_DOUBLE},  {"real", WR_T_DOUBLE},    {"boolean", WR_T_BOOL},
               {"bool", WR_T_BOOL},     {"binary", WR_T_BINARY},  {"timestamp", WR_T_TIMESTAMP}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcasecmp(name, map[i].n)) {
            *out = WR_TYPE(map[i].k);
            return true;
        }
    return false;
}

bool wr_type_is_numeric(wr_type t) {
    return t.kind == WR_T_INT || t.kind == WR_T_BIGINT || t.kind == WR_T_DOUBLE;
}

/* ---- timestamps ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

void wr_ts_format(wr_buf *b, int64_t us) {
    int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
    int64_t frac = us - secs * 1000000;
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t sod = secs - days * 86400;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) {
        wr_buf_printf(b, "%04lld-%02u-%02u %02d:%02d:%02d", (long long)y, m, d, (int)(sod / 3600),
                      (int)(sod / 60 % 60), (int)(sod % 60));
    } else { /* the common case without printf: this runs for every timestamp a sink writes */
        char s[19] = "0000-00-00 00:00:00";
        int f[6] = {(int)y,         (int)m, (int)d, (int)(sod / 3600), (int)(sod / 60 % 60),
                    (int)(sod % 60)},
            at[6] = {3, 6, 9, 12, 15, 18};
        for (int i = 0; i < 6; i++)
            for (int k = at[i], v = f[i]; v; v /= 10, k--)
                s[k] = (char)('0' + v % 10);
        wr_buf_put(b, s, sizeof s);
    }
    if (frac) {
        char f[24];
        snprintf(f, sizeof f, "%06lld", (long long)frac);
        int n = 6;
        while (n > 0 && f[n - 1] == '0')
            n--;
        wr_buf_putc(b, '.');
        wr_buf_put(b, f, (size_t)n);
    }
}

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
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
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

/* Java's Double.toString: the shortest digits that round-trip; plain notation
 * for 1e-3 <= |d| < 1e7, else d.dddE[-]n; always a fraction digit. */
static void format_double(wr_buf *b, double d) {
    if (isnan(d)) return wr_buf_puts(b, "NaN");
    if (isinf(d)) return wr_buf_puts(b, d > 0 ? "Infinity" : "-Infinity");
    if (d == 0) return wr_buf_puts(b, signbit(d) ? "-0.0" : "0.0");
    char digs[40];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(digs, sizeof digs, "%.*e", prec - 1, d);
        if (strtod(digs, NULL) == d) break;
    }
    /* digs = [-]D.DDDDe[+-]XX */
    const char *s = digs;
    bool neg = *s == '-';
    if (neg) s++;
    char mant[24];
    int nm = 0;
    for (; *s && *s != 'e'; s++)
        if (*s != '.') mant[nm++] = *s;
    int exp = atoi(s + 1);
    while (nm > 1 && mant[nm - 1] == '0')
        nm--;
    if (neg) wr_buf_putc(b, '-');
    double ad = fabs(d);
    if (ad >= 1e-3 && ad < 1e7) {
        if (exp >= 0) {
            for (int i = 0; i <= exp; i++)
                wr_buf_putc(b, i < nm ? mant[i] : '0');
            wr_buf_putc(b, '.');
            if (nm > exp + 1)
                wr_buf_put(b, mant + exp + 1, (size_t)(nm - exp - 1));
            else
                wr_buf_putc(b, '0');
        } else {
            wr_buf_puts(b, "0.");
            for (int i = 0; i < -exp - 1; i++)
                wr_buf_putc(b, '0');
            wr_buf_put(b, mant, (size_t)nm);
        }
    } else {
        wr_buf_putc(b, mant[0]);
        wr_buf_putc(b, '.');
        if (nm > 1)
            wr_buf_put(b, mant + 1, (size_t)(nm - 1));
        else
            wr_buf_putc(b, '0');
        wr_buf_printf(b, "E%d", exp);
    }
}

void wr_val_format(wr_buf *b, wr_val v, wr_type t, bool show) {
    if (v.null) return wr_buf_puts(b, "null");
    switch (t.kind) {
    case WR_T_NULL:
        wr_buf_puts(b, "null");
        break;
    case WR_T_BOOL:
        wr_buf_puts(b, v.u.i ? "true" : "false");
        break;
    case WR_T_INT:
    case WR_T_BIGINT:
        wr_buf_printf(b, "%lld", (long long)v.u.i);
        break;
    case WR_T_DOUBLE:
        format_double(b, v.u.d);
        break;
    case WR_T_STRING:
        wr_buf_put(b, v.u.p, v.len);
        break;
    case WR_T_BINARY:
        if (!show) {
            wr_buf_put(b, v.u.p, v.len);
            break;
        }
        wr_buf_putc(b, '[');
        for (uint32_t i = 0; i < v.len; i++)
            wr_buf_printf(b, i ? " %02X" : "%02X", (unsigned char)v.u.p[i]);
        wr_buf_putc(b, ']');
        break;
    case WR_T_TIMESTAMP:
        wr_ts_format(b, v.u.i);
        break;
    case WR_T_ARRAY:
    case WR_T_WINDOW: /* Spark prints a struct as {a, b} */
        wr_buf_putc(b, t.kind == WR_T_ARRAY ? '[' : '{');
        for (int32_t i = 0; i < v.u.a->n; i++) {
            if (i) wr_buf_puts(b, ", ");
            wr_val_format(b, v.u.a->items[i], WR_TYPE(t.elem), show);
        }
        wr_buf_putc(b, t.kind == WR_T_ARRAY ? ']' : '}');
        break;
    }
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

/* ---- comparing, hashing, copying ---- */

bool wr_val_eq(wr_val a, wr_val b, wr_type t) {
    if (a.null || b.null) return a.null && b.null;
    switch (t.kind) {
    case WR_T_DOUBLE:
        return a.u.d == b.u.d || (isnan(a.u.d) && isnan(b.u.d));
    case WR_T_STRING:
    case WR_T_BINARY:
        return a.len == b.len && !memcmp(a.u.p, b.u.p, a.len);
    case WR_T_WINDOW:
    case WR_T_ARRAY:
        if (a.u.a->n != b.u.a->n) return false;
        for (int32_t i = 0; i < a.u.a->n; i++)
            if (!wr_val_eq(a.u.a->items[i], b.u.a->items[i], WR_TYPE(t.elem))) return false;
        return true;
    default:
        return a.u.i == b.u.i;
    }
}

uint64_t wr_val_hash(wr_val v, wr_type t) {
    if (v.null) return 0x5bd1e995;
    switch (t.kind) {
    case WR_T_DOUBLE: {
        double d = v.u.d == 0 ? 0 : v.u.d; /* -0.0 == 0.0 */
        uint64_t bits;
        memcpy(&bits, &d, 8);
        return wr_hash_u64(bits);
    }
    case WR_T_STRING:
    case WR_T_BINARY:
        return wr_hash_bytes(v.u.p, v.len, 0x1234);
    case WR_T_WINDOW:
    case WR_T_ARRAY: {
        uint64_t h = 7;
        for (int32_t i = 0; i < v.u.a->n; i++)
            h = wr_hash_u64(h ^ wr_val_hash(v.u.a->items[i], WR_TYPE(t.elem)));
        return h;
    }
    default:
        return wr_hash_u64((uint64_t)v.u.i);
    }
}

int wr_val_cmp(wr_val a, wr_val b, wr_type t) {
    if (a.null || b.null) return a.null - b.null ? (a.null ? -1 : 1) : 0;
    switch (t.kind) {
    case WR_T_DOUBLE:
        /* Spark orders NaN above everything */
        if (isnan(a.u.d) || isnan(b.u.d)) return isnan(a.u.d) - isnan(b.u.d);
        return (a.u.d > b.u.d) - (a.u.d < b.u.d);
    case WR_T_STRING:
    case WR_T_BINARY: {
        uint32_t n = a.len < b.len ? a.len : b.len;
        int c = memcmp(a.u.p, b.u.p, n);
        if (c) return c < 0 ? -1 : 1;
        return (a.len > b.len) - (a.len < b.len);
    }
    case WR_T_WINDOW:
    case WR_T_ARRAY: {
        int32_t n = a.u.a->n < b.u.a->n ? a.u.a->n : b.u.a->n;
        for (int32_t i = 0; i < n; i++) {
            int c = wr_val_cmp(a.u.a->items[i], b.u.a->items[i], WR_TYPE(t.elem));
            if (c) return c;
        }
        return (a.u.a->n > b.u.a->n) - (a.u.a->n < b.u.a->n);
    }
    default:
        return (a.u.i > b.u.i) - (a.u.i < b.u.i);
    }
}

wr_val wr_val_copy(wr_val v, wr_type t, wr_arena *arena) {
    if (v.null) return v;
    if (t.kind == WR_T_STRING || t.kind == WR_T_BINARY) {
        char *p = arena ? wr_arena_alloc(arena, v.len ? v.len : 1) : wr_xmalloc(v.len ? v.len : 1);
        memcpy(p, v.u.p, v.len);
        v.u.p = p;
    } else if (wr_type_has_items(t)) {
        size_t sz = sizeof(wr_arr) + sizeof(wr_val) * (size_t)v.u.a->n;
        wr_arr *a = arena ? wr_arena_alloc(arena, sz) : wr_xmalloc(sz);
        a->n = v.u.a->n;
        for (int32_t i = 0; i < a->n; i++)
            a->items[i] = wr_val_copy(v.u.a->items[i], WR_TYPE(t.elem), arena);
        v.u.a = a;
    }
    return v;
}

void wr_val_free(wr_val v, wr_type t) {
    if (v.null) return;
    if (t.kind == WR_T_STRING || t.kind == WR_T_BINARY)
        free((void *)v.u.p);
    else if (wr_type_has_items(t)) {
        for (int32_t i = 0; i < v.u.a->n; i++)
            wr_val_free(v.u.a->items[i], WR_TYPE(t.elem));
        free(v.u.a);
    }
}
