/* The arena: a bump allocator for the many small allocations of a batch,
 * freed together; reset keeps the chunks, so a per-batch arena stops
 * touching malloc once it has grown. */
#include <stdlib.h>
#include <string.h>

#include "core/wr_core.h"

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
