/* Implementation of the small shared helpers declared in wr_util.h. */
#include "util/wr_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    for (int i = 0; i < l->n; i++) free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = l->cap = 0;
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

int64_t wr_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t wr_wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void wr_errf(char *errstr, size_t errlen, const char *fmt, ...) {
    if (!errstr || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errstr, errlen, fmt, ap);
    va_end(ap);
}
