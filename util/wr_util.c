/* Implementation of the small shared helpers declared in wr_util.h. */
#include "util/wr_util.h"

#include <errno.h>
#include <sys/stat.h>
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
    for (int i = 0; i < l->n; i++)
        free(l->items[i]);
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

struct wr_arena_chunk {
    wr_arena_chunk *next;
    size_t size;
    _Alignas(16) unsigned char data[];
};

/* Chunks stay in allocation order; reset rewinds to the first and reuses them,
 * so a per-batch arena stops touching malloc once it has grown. */
void *wr_arena_alloc(wr_arena *a, size_t n) {
    n = (n + 15) & ~(size_t)15;
    while (!a->cur || a->used + n > a->cap) {
        wr_arena_chunk *next = a->cur ? a->cur->next : a->head;
        if (next && next->size >= n) {
            a->cur = next;
        } else {
            size_t size = n > 64 * 1024 ? n : 64 * 1024;
            wr_arena_chunk *c = wr_xmalloc(sizeof *c + size);
            c->size = size;
            if (a->cur) { /* insert after cur; a too-small next chunk follows it */
                c->next = a->cur->next;
                a->cur->next = c;
            } else {
                c->next = a->head;
                a->head = c;
            }
            a->cur = c;
        }
        a->used = 0;
        a->cap = a->cur->size;
    }
    void *p = a->cur->data + a->used;
    a->used += n;
    return p;
}

void *wr_arena_zalloc(wr_arena *a, size_t n) {
    void *p = wr_arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *wr_arena_strndup(wr_arena *a, const char *s, size_t n) {
    char *p = wr_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *wr_arena_strdup(wr_arena *a, const char *s) {
    return wr_arena_strndup(a, s, strlen(s));
}

void wr_arena_reset(wr_arena *a) {
    a->cur = NULL;
    a->used = a->cap = 0;
}

void wr_arena_free(wr_arena *a) {
    for (wr_arena_chunk *c = a->head; c;) {
        wr_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = a->cur = NULL;
    a->used = a->cap = 0;
}

void wr_buf_put(wr_buf *b, const void *data, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->p = wr_xrealloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void wr_buf_puts(wr_buf *b, const char *s) {
    wr_buf_put(b, s, strlen(s));
}

void wr_buf_putc(wr_buf *b, char c) {
    wr_buf_put(b, &c, 1);
}

void wr_buf_printf(wr_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) oom();
    wr_buf_put(b, s, (size_t)n);
    free(s);
}

void wr_buf_free(wr_buf *b) {
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

uint64_t wr_hash_bytes(const void *p, size_t n, uint64_t seed) {
    const unsigned char *s = p;
    uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL);
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, s, 8);
        h = wr_hash_u64(h ^ v) + 0x9e3779b97f4a7c15ULL;
        s += 8;
        n -= 8;
    }
    uint64_t v = 0;
    if (n >= 4) { /* two overlapping 4-byte loads cover 4..7 bytes */
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        v = ((uint64_t)a << 32) | b;
    } else if (n > 0) {
        v = ((uint64_t)s[0] << 16) | ((uint64_t)s[n >> 1] << 8) | s[n - 1];
    }
    return wr_hash_u64(h ^ v ^ ((uint64_t)n << 56));
}

char *wr_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    wr_buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        wr_buf_put(&b, chunk, n);
    fclose(f);
    if (len) *len = b.len;
    return b.p ? b.p : wr_xstrdup("");
}

void wr_uuid4(char out[37]) {
    unsigned char r[16];
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(r, 1, 16, f) != 16) {
        for (int i = 0; i < 16; i++)
            r[i] = (unsigned char)(wr_wall_ms() >> (i % 8) ^ (i * 37));
    }
    if (f) fclose(f);
    r[6] = (r[6] & 0x0f) | 0x40;
    r[8] = (r[8] & 0x3f) | 0x80;
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0],
             r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13],
             r[14], r[15]);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void wr_base64_encode(wr_buf *b, const void *data, size_t len) {
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < len ? p[i + 2] : 0);
        char out[4] = {b64[v >> 18 & 63], b64[v >> 12 & 63], i + 1 < len ? b64[v >> 6 & 63] : '=',
                       i + 2 < len ? b64[v & 63] : '='};
        wr_buf_put(b, out, 4);
    }
}

bool wr_base64_decode(wr_buf *b, const char *s, size_t len) {
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '=') break;
        const char *c = memchr(b64, s[i], 64);
        if (!c || !s[i]) return false;
        acc = acc << 6 | (uint32_t)(c - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            wr_buf_putc(b, (char)(acc >> bits & 0xff));
        }
    }
    return true;
}

bool wr_mkdirs(const char *path, char *err, size_t errlen) {
    if (!*path) {
        wr_errf(err, errlen, "cannot create a folder with an empty name");
        errno = EINVAL;
        return false;
    }
    char *p = wr_xstrdup(path);
    int e = 0;
    for (char *s = p + 1; *s && !e; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
            e = errno;
        else
            *s = '/';
    }
    if (!e && mkdir(p, 0755) < 0 && errno != EEXIST) e = errno;
    if (e) wr_errf(err, errlen, "cannot create %s: %s", p, strerror(e));
    free(p);
    errno = e;
    return !e;
}
