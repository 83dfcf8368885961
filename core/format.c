/* Values printed as Spark prints them (show(), CAST AS STRING): doubles as
 * Java's Double.toString, timestamps as 2023-11-14 22:13:20.5 (UTC),
 * binary as [68 69], arrays as [a, b], windows as {start, end}. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/wr_core.h"

int64_t wr_days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void wr_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
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
    wr_civil_from_days(days, &y, &m, &d);
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

/* Java's Double.toString (as specified since JDK 19): the shortest digits
 * that round-trip, but at least two (when one digit would do, the two-digit
 * decimal closest to d: 4.9E-324, not 5.0E-324); plain notation for
 * 1e-3 <= |d| < 1e7, else d.dddE[-]n; always a fraction digit. */
void wr_double_format(wr_buf *b, double d) {
    if (isnan(d)) return wr_buf_puts(b, "NaN");
    if (isinf(d)) return wr_buf_puts(b, d > 0 ? "Infinity" : "-Infinity");
    if (d == 0) return wr_buf_puts(b, signbit(d) ? "-0.0" : "0.0");
    char digs[40];
    int prec;
    for (prec = 2; prec <= 17; prec++) {
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
        wr_double_format(b, v.u.d);
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
