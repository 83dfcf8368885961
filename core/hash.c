/* Hashing of bytes for hash tables (wyhash-style mixing of 8-byte words). */
#include <string.h>

#include "core/wr_core.h"

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
