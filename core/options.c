/* Option-spec tables (wr_core.h): every source, sink and setting describes
 * its options in one table (name, type, default, accepted values, a line of
 * doc), and this file checks values against it, finds the nearest name for
 * "did you mean", and prints the table for --help. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/wr_core.h"

static bool is_prefix_entry(const wr_optspec *o) {
    return o->type == WR_OPT_PREFIX;
}

const wr_optspec *wr_opt_lookup(const wr_optspec *table, const char *name) {
    for (const wr_optspec *o = table; o && o->name; o++) {
        if (is_prefix_entry(o)) {
            size_t n = strlen(o->name);
            if (!strncasecmp(name, o->name, n) && name[n]) return o;
        } else if (!strcasecmp(name, o->name)) {
            return o;
        }
    }
    return NULL;
}

/* Edit distance (insertions, deletions, substitutions, adjacent
 * transpositions), without case; names are short. */
static int distance(const char *a, const char *b) {
    size_t n = strlen(a), m = strlen(b);
    if (n > 64 || m > 64) return 99;
    int d[65][65];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            int v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v) v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 &&
                tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[n][m];
}

const char *wr_opt_nearest(const wr_optspec *table, const char *name) {
    const char *best = NULL;
    int best_d = 99, limit = (int)strlen(name) / 3 + 1; /* about one typo in three letters */
    if (limit > 3) limit = 3;
    for (const wr_optspec *o = table; o && o->name; o++) {
        if (is_prefix_entry(o) || (o->flags & WR_OPT_HIDDEN)) continue;
        int d = distance(name, o->name);
        if (d < best_d) best_d = d, best = o->name;
    }
    return best_d <= limit ? best : NULL;
}

/* "a, b, c" of the names a user may set. */
static void names(wr_buf *b, const wr_optspec *table) {
    bool first = true;
    for (const wr_optspec *o = table; o && o->name; o++) {
        if (o->flags & (WR_OPT_HIDDEN | WR_OPT_NOT_YET | WR_OPT_REFUSED)) continue;
        wr_buf_printf(b, "%s%s%s", first ? "" : ", ", o->name,
                      is_prefix_entry(o) ? (o->values ? o->values : "<setting>") : "");
        first = false;
    }
}

/* Whether v is one of the |-separated words of list (without case). */
static bool in_list(const char *list, const char *v) {
    size_t n = strlen(v);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, '|');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == n && !strncasecmp(p, v, n)) return true;
        if (!e) break;
        p = e + 1;
    }
    return false;
}

static void list_or(wr_buf *b, const char *list) {
    int count = 1;
    for (const char *p = list; *p; p++)
        count += *p == '|';
    int i = 0;
    for (const char *p = list; *p; i++) {
        const char *e = strchr(p, '|');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        wr_buf_printf(b, "%s%.*s", i == 0 ? "" : i == count - 1 ? " or " : ", ", (int)l, p);
        p = e ? e + 1 : p + l;
    }
}

bool wr_opt_check_value(const wr_optspec *o, const char *name, const char *value, wr_err *err) {
    int64_t v;
    wr_buf b = {0};
    bool ok = true;
    switch (o->type) {
    case WR_OPT_STRING:
    case WR_OPT_PREFIX:
        if ((o->flags & WR_OPT_NONEMPTY) && !*value) {
            if (o->type == WR_OPT_STRING && o->values) /* what it names: "a folder" */
                wr_fail(err, WR_ERR_USAGE, "option %s must name %s (it is empty)", name, o->values);
            else
                wr_fail(err, WR_ERR_USAGE, "option %s must not be empty", name);
            ok = false;
        }
        break;
    case WR_OPT_BOOL:
        if (strcasecmp(value, "true") && strcasecmp(value, "false")) {
            wr_fail(err, WR_ERR_USAGE, "option %s must be true or false, not '%s'", name, value);
            ok = false;
        }
        break;
    case WR_OPT_INT:
        if (!wr_parse_i64(value, o->min, o->max, &v)) {
            if (o->min == 1 && o->max == INT64_MAX)
                wr_fail(err, WR_ERR_USAGE, "option %s must be a positive whole number, not '%s'",
                        name, value);
            else
                wr_fail(err, WR_ERR_USAGE,
                        "option %s must be a whole number from %lld to %lld, not '%s'", name,
                        (long long)o->min, (long long)o->max, value);
            ok = false;
        }
        break;
    case WR_OPT_ENUM:
        if (!in_list(o->values, value)) {
            list_or(&b, o->values);
            wr_fail(err, WR_ERR_USAGE, "option %s must be %s, not '%s'", name, b.p, value);
            ok = false;
        }
        break;
    case WR_OPT_CHAR: {
        const char *c = !strcmp(value, "\\t") ? "\t" : value;
        if (strlen(c) != 1 || *c == '\n' || *c == '\r') {
            wr_fail(err, WR_ERR_USAGE,
                    "option %s must be one character (not a line break), not '%s'", name, value);
            ok = false;
        }
        break;
    }
    }
    wr_buf_free(&b);
    return ok;
}

const wr_optspec *wr_opt_check(const wr_optspec *table, const char *what, const char *name,
                               const char *value, wr_err *err) {
    const wr_optspec *o = wr_opt_lookup(table, name);
    if (!o) {
        wr_buf b = {0};
        const char *near = wr_opt_nearest(table, name);
        names(&b, table);
        if (near)
            wr_fail(err, WR_ERR_USAGE, "unknown option '%s' for %s (valid: %s); did you mean '%s'?",
                    name, what, b.p ? b.p : "none", near);
        else
            wr_fail(err, WR_ERR_USAGE, "unknown option '%s' for %s (valid: %s)", name, what,
                    b.p ? b.p : "none");
        wr_buf_free(&b);
        return NULL;
    }
    if (o->flags & WR_OPT_NOT_YET) {
        wr_fail(err, WR_ERR_USAGE, "option %s is not supported yet%s%s", name, o->doc ? ": " : "",
                o->doc ? o->doc : "");
        return NULL;
    }
    if (o->flags & WR_OPT_REFUSED) {
        wr_fail(err, WR_ERR_USAGE, "option %s %s", name, o->doc);
        return NULL;
    }
    return wr_opt_check_value(o, name, value, err) ? o : NULL;
}

const char *wr_opt_value(const wr_kv *opts, int n, const char *name) {
    const char *v = NULL;
    for (int i = 0; i < n; i++)
        if (!strcasecmp(opts[i].key, name)) v = opts[i].value;
    return v;
}

void wr_opt_help(wr_buf *out, const wr_optspec *table) {
    for (const wr_optspec *o = table; o && o->name; o++) {
        if (o->flags & WR_OPT_HIDDEN) continue;
        wr_buf_printf(out, "  %s%s", o->name,
                      is_prefix_entry(o) ? (o->values ? o->values : "<setting>") : "");
        if (o->flags & WR_OPT_NOT_YET) {
            wr_buf_puts(out, "  (not supported yet)\n");
            continue;
        }
        if (o->flags & WR_OPT_REFUSED) {
            wr_buf_printf(out, "  (refused: %s)\n", o->doc);
            continue;
        }
        switch (o->type) {
        case WR_OPT_BOOL:
            wr_buf_puts(out, " = true|false");
            break;
        case WR_OPT_INT:
            if (o->max == INT64_MAX)
                wr_buf_printf(out, " = N (>= %lld)", (long long)o->min);
            else
                wr_buf_printf(out, " = N (%lld..%lld)", (long long)o->min, (long long)o->max);
            break;
        case WR_OPT_ENUM:
            wr_buf_printf(out, " = %s", o->values);
            break;
        case WR_OPT_CHAR:
            wr_buf_puts(out, " = one character");
            break;
        default:
            break;
        }
        if (o->dflt) wr_buf_printf(out, " (default %s)", o->dflt);
        if (o->doc) wr_buf_printf(out, "\n      %s", o->doc);
        wr_buf_putc(out, '\n');
    }
}

bool wr_parse_with_unit(const char *s, const char *const *units, int64_t *n, int *unit) {
    while (isspace((unsigned char)*s))
        s++;
    const char *p = s;
    while (isdigit((unsigned char)*p))
        p++;
    if (p == s || p - s > 18) return false;
    *n = strtoll(s, NULL, 10);
    const char *u = p;
    while (isalpha((unsigned char)*p))
        p++;
    size_t ulen = (size_t)(p - u);
    while (isspace((unsigned char)*p))
        p++;
    if (*p) return false;
    for (int i = 0; units[i]; i++)
        if (strlen(units[i]) == ulen && !strncasecmp(u, units[i], ulen)) {
            *unit = i;
            return true;
        }
    return false;
}
