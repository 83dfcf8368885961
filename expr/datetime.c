/* Timestamps from text by a Java DateTimeFormatter pattern, as Spark's
 * to_timestamp and unix_timestamp read them (the common subset: y M d H m s
 * S, a h for 12-hour clocks, X/Z/x offsets, 'quoted' literals, other
 * characters literal). A text that does not match is NULL, never an error. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "expr/wr_expr.h"

/* Reads between min and max digits; false if fewer than min. */
static bool num(const char **s, const char *e, int min, int max, int *out) {
    int v = 0, n = 0;
    while (*s < e && n < max && isdigit((unsigned char)**s))
        v = v * 10 + (*(*s)++ - '0'), n++;
    *out = v;
    return n >= min;
}

bool wr_ts_parse_pattern(const char *s, size_t len, const char *pat, size_t plen, int64_t *us) {
    const char *e = s + len, *p = pat, *pe = pat + plen;
    int y = 1970, mo = 1, d = 1, h = 0, mi = 0, se = 0, frac = 0, fdig = 0, offset_s = 0;
    bool pm = false, have_ampm = false, twelve = false;
    while (p < pe) {
        char c = *p;
        size_t n = 1;
        while (p + n < pe && p[n] == c)
            n++;
        if (c == '\'') { /* 'literal', '' is a quote */
            if (n >= 2 && n % 2 == 0) {
                for (size_t i = 0; i < n / 2; i++)
                    if (s >= e || *s++ != '\'') return false;
                p += n;
                continue;
            }
            p++;
            while (p < pe && *p != '\'') {
                if (s >= e || *s++ != *p) return false;
                p++;
            }
            if (p < pe) p++;
            continue;
        }
        if (!isalpha((unsigned char)c)) {
            for (size_t i = 0; i < n; i++)
                if (s >= e || *s++ != c) return false;
            p += n;
            continue;
        }
        /* two-digit fields: one letter takes 1-2 digits, more take exactly that many */
        int *field = c == 'M'               ? &mo
                     : c == 'd'             ? &d
                     : c == 'H' || c == 'h' ? &h
                     : c == 'm'             ? &mi
                     : c == 's'             ? &se
                                            : NULL;
        if (field) {
            if (!num(&s, e, n == 1 ? 1 : (int)n, n == 1 ? 2 : (int)n, field)) return false;
            twelve |= c == 'h';
            p += n;
            continue;
        }
        switch (c) {
        case 'y':
        case 'u':
            if (n == 2) {
                if (!num(&s, e, 2, 2, &y)) return false;
                y += 2000;
            } else if (!num(&s, e, n == 1 ? 1 : (int)n, n == 1 ? 9 : (int)n, &y)) {
                return false;
            }
            break;
        case 'S':
            if (!num(&s, e, (int)n, (int)n, &frac)) return false;
            fdig = (int)n;
            break;
        case 'a':
            if (e - s < 2) return false;
            if (!strncasecmp(s, "AM", 2))
                pm = false;
            else if (!strncasecmp(s, "PM", 2))
                pm = true;
            else
                return false;
            have_ampm = true;
            s += 2;
            break;
        case 'X':
        case 'Z':
        case 'x': {
            if (s < e && *s == 'Z' && c != 'x') {
                s++;
                break;
            }
            if (s >= e || (*s != '+' && *s != '-')) return false;
            int sign = *s++ == '-' ? -1 : 1, oh = 0, om = 0;
            if (!num(&s, e, 2, 2, &oh)) return false;
            if (s < e && *s == ':') s++;
            if (s < e && isdigit((unsigned char)*s) && !num(&s, e, 2, 2, &om)) return false;
            offset_s = sign * (oh * 3600 + om * 60);
            break;
        }
        default:
            return false; /* a pattern letter this reader does not know */
        }
        p += n;
    }
    if (s != e) return false;
    if (twelve) {
        if (h < 1 || h > 12) return false;
        h = h % 12 + (have_ampm && pm ? 12 : 0);
    }
    if (y < 0 || y > 9999) return false;
    while (fdig > 6)
        frac /= 10, fdig--;
    while (fdig < 6)
        frac *= 10, fdig++;
    char buf[64];
    int bl =
        snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%06d", y, mo, d, h, mi, se, frac);
    if (!wr_ts_parse(buf, (size_t)bl, us)) return false;
    *us -= (int64_t)offset_s * 1000000;
    return true;
}
