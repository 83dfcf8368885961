/* Checked allocation (an exhausted heap aborts with a message, so callers
 * never check for NULL), string lists, key/value pairs and strict number
 * parsing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/wr_core.h"

static void oom(void) {
    fputs("weir: out of memory\n", stderr);
    abort();
}

void *wr_xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) oom();
    return p;
}

void *wr_xcalloc(size_t count, size_t size) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) oom();
    return p;
}

void *wr_xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) oom();
    return q;
}

char *wr_xstrdup(const char *s) {
    return wr_xstrndup(s, strlen(s));
}

char *wr_xstrndup(const char *s, size_t n) {
    char *p = wr_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *wr_xasprintf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    int rc = vasprintf(&out, fmt, ap);
    va_end(ap);
    if (rc < 0) oom();
    return out;
}

void wr_strlist_push(wr_strlist *l, const char *s) {
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->items = wr_xrealloc(l->items, (size_t)l->cap * sizeof(char *));
    }
    l->items[l->n++] = wr_xstrdup(s);
}

void wr_strlist_free(wr_strlist *l) {
    for (int i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = l->cap = 0;
}

void wr_kv_set(wr_kv **kvs, int *n, const char *key, const char *value) {
    for (int i = 0; i < *n; i++)
        if (!strcasecmp((*kvs)[i].key, key)) {
            free((*kvs)[i].value);
            (*kvs)[i].value = wr_xstrdup(value);
            return;
        }
    *kvs = wr_xrealloc(*kvs, sizeof **kvs * (size_t)(*n + 1));
    (*kvs)[*n] = (wr_kv){wr_xstrdup(key), wr_xstrdup(value)};
    (*n)++;
}

void wr_kv_free(wr_kv *kvs, int n) {
    for (int i = 0; i < n; i++)
        free(kvs[i].key), free(kvs[i].value);
    free(kvs);
}

bool wr_split_kv(const char *s, char sep, char **key, char **value) {
    const char *eq = strchr(s, sep);
    if (!eq || eq == s) return false;
    *key = wr_xstrndup(s, (size_t)(eq - s));
    *value = wr_xstrdup(eq + 1);
    return true;
}

bool wr_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out) {
    if (!s || !*s) return false;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s) return false;
    if (v < min || v > max) return false;
    *out = v;
    return true;
}
