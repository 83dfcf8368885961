/* Interval literals ('10 minutes', INTERVAL 1 HOUR 30 SECONDS, trigger
 * intervals, window sizes, watermark delays) in microseconds: decimal numbers
 * only (no hex, exponents or infinities), units from microseconds to weeks,
 * and checked arithmetic, so an interval that does not fit says so instead of
 * wrapping. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "planner/ast.h"

static const struct {
    const char *unit;
    int64_t us;
} units[] = {{"microsecond", 1},
             {"millisecond", 1000},
             {"second", 1000000},
             {"minute", 60000000LL},
             {"hour", 3600000000LL},
             {"day", 86400000000LL},
             {"week", 7 * 86400000000LL},
             {"sec", 1000000},
             {"min", 60000000LL},
             {"ms", 1000},
             {"us", 1}};

static int64_t unit_lookup(const char *word, size_t len) {
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strlen(units[i].unit) == len && !strncasecmp(word, units[i].unit, len))
            return units[i].us;
    return 0;
}

int64_t wr_interval_unit(const char *word, size_t len) {
    int64_t us = unit_lookup(word, len);
    if (!us && len > 1 && (word[len - 1] == 's' || word[len - 1] == 'S'))
        us = unit_lookup(word, len - 1); /* plural */
    return us;
}

int wr_interval_term(const char *num, size_t len, int64_t unit, int64_t *out) {
    size_t i = 0;
    bool neg = false;
    if (i < len && (num[i] == '-' || num[i] == '+')) neg = num[i++] == '-';
    int64_t whole = 0;
    size_t digits = 0;
    for (; i < len && isdigit((unsigned char)num[i]); i++, digits++)
        if (__builtin_mul_overflow(whole, 10, &whole) ||
            __builtin_add_overflow(whole, num[i] - '0', &whole))
            return WR_INTERVAL_OVERFLOW;
    int64_t frac = 0, scale = 1; /* the fraction's first 12 digits: frac / scale */
    if (i < len && num[i] == '.') {
        for (i++; i < len && isdigit((unsigned char)num[i]); i++, digits++)
            if (scale < 1000000000000LL) frac = frac * 10 + (num[i] - '0'), scale *= 10;
    }
    if (i != len || !digits) return WR_INTERVAL_MALFORMED;
    int64_t v;
    if (__builtin_mul_overflow(whole, unit, &v)) return WR_INTERVAL_OVERFLOW;
    /* frac / scale of a unit, in whole microseconds (unit <= 6.048e11, frac < 1e12: the
     * product fits in 128 bits) */
    int64_t part = (int64_t)((__int128)frac * unit / scale);
    if (__builtin_add_overflow(v, part, &v)) return WR_INTERVAL_OVERFLOW;
    *out = neg ? -v : v;
    return WR_INTERVAL_OK;
}

bool wr_interval_parse(const char *s, size_t len, int64_t *us, char *why, size_t whylen) {
    const char *c = s, *e = s + len;
    int64_t total = 0;
    bool any = false;
    while (c < e) {
        while (c < e && isspace((unsigned char)*c))
            c++;
        if (c == e) break;
        if (e - c > 8 && !strncasecmp(c, "interval", 8) && isspace((unsigned char)c[8])) {
            c += 8;
            continue;
        }
        const char *n = c;
        while (c < e && !isspace((unsigned char)*c) && !isalpha((unsigned char)*c))
            c++;
        size_t nlen = (size_t)(c - n);
        while (c < e && isspace((unsigned char)*c))
            c++;
        const char *w = c;
        while (c < e && isalpha((unsigned char)*c))
            c++;
        int64_t unit = wr_interval_unit(w, (size_t)(c - w)), v = 0;
        int rc = unit ? wr_interval_term(n, nlen, unit, &v) : WR_INTERVAL_MALFORMED;
        if (rc == WR_INTERVAL_OK && __builtin_add_overflow(total, v, &total))
            rc = WR_INTERVAL_OVERFLOW;
        if (rc != WR_INTERVAL_OK) {
            snprintf(why, whylen,
                     rc == WR_INTERVAL_OVERFLOW
                         ? "interval '%.*s' is too large (intervals are microseconds in 64 bits: "
                           "at most about 292,000 years)"
                         : "malformed interval '%.*s' (expected a decimal number and a unit, such "
                           "as '10 minutes' or '1.5 seconds')",
                     (int)(len > 100 ? 100 : len), s);
            return false;
        }
        any = true;
    }
    if (!any) {
        snprintf(why, whylen,
                 "malformed interval '%.*s' (expected a decimal number and a unit, such as '10 "
                 "minutes')",
                 (int)(len > 100 ? 100 : len), s);
        return false;
    }
    *us = total;
    return true;
}
