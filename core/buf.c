/* Growable byte buffers and base64 (RFC 4648). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/wr_core.h"

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
    if (n < 0) {
        fputs("weir: out of memory\n", stderr);
        abort();
    }
    wr_buf_put(b, s, (size_t)n);
    free(s);
}

void wr_buf_free(wr_buf *b) {
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
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
