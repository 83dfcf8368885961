/* Values compared, hashed, copied and freed by type: NULL equals NULL (as
 * grouping wants), NaN equals NaN and orders above every number (as Spark),
 * -0.0 hashes as 0.0. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/wr_core.h"

bool wr_val_eq(wr_val a, wr_val b, wr_type t) {
    if (a.null || b.null) return a.null && b.null;
    switch (t.kind) {
    case WR_T_DOUBLE:
        return a.u.d == b.u.d || (isnan(a.u.d) && isnan(b.u.d));
    case WR_T_STRING:
    case WR_T_BINARY:
        return a.len == b.len && !memcmp(a.u.p, b.u.p, a.len);
    case WR_T_WINDOW:
    case WR_T_ARRAY:
        if (a.u.a->n != b.u.a->n) return false;
        for (int32_t i = 0; i < a.u.a->n; i++)
            if (!wr_val_eq(a.u.a->items[i], b.u.a->items[i], WR_TYPE(t.elem))) return false;
        return true;
    default:
        return a.u.i == b.u.i;
    }
}

uint64_t wr_val_hash(wr_val v, wr_type t) {
    if (v.null) return 0x5bd1e995;
    switch (t.kind) {
    case WR_T_DOUBLE: {
        double d = v.u.d == 0 ? 0 : v.u.d; /* -0.0 == 0.0 */
        uint64_t bits;
        memcpy(&bits, &d, 8);
        return wr_hash_u64(bits);
    }
    case WR_T_STRING:
    case WR_T_BINARY:
        return wr_hash_bytes(v.u.p, v.len, WR_HASH_STR_SEED);
    case WR_T_WINDOW:
    case WR_T_ARRAY: {
        uint64_t h = 7;
        for (int32_t i = 0; i < v.u.a->n; i++)
            h = wr_hash_u64(h ^ wr_val_hash(v.u.a->items[i], WR_TYPE(t.elem)));
        return h;
    }
    default:
        return wr_hash_u64((uint64_t)v.u.i);
    }
}

int wr_val_cmp(wr_val a, wr_val b, wr_type t) {
    if (a.null || b.null) return a.null - b.null ? (a.null ? -1 : 1) : 0;
    switch (t.kind) {
    case WR_T_DOUBLE:
        /* Spark orders NaN above everything */
        if (isnan(a.u.d) || isnan(b.u.d)) return isnan(a.u.d) - isnan(b.u.d);
        return (a.u.d > b.u.d) - (a.u.d < b.u.d);
    case WR_T_STRING:
    case WR_T_BINARY: {
        uint32_t n = a.len < b.len ? a.len : b.len;
        int c = memcmp(a.u.p, b.u.p, n);
        if (c) return c < 0 ? -1 : 1;
        return (a.len > b.len) - (a.len < b.len);
    }
    case WR_T_WINDOW:
    case WR_T_ARRAY: {
        int32_t n = a.u.a->n < b.u.a->n ? a.u.a->n : b.u.a->n;
        for (int32_t i = 0; i < n; i++) {
            int c = wr_val_cmp(a.u.a->items[i], b.u.a->items[i], WR_TYPE(t.elem));
            if (c) return c;
        }
        return (a.u.a->n > b.u.a->n) - (a.u.a->n < b.u.a->n);
    }
    default:
        return (a.u.i > b.u.i) - (a.u.i < b.u.i);
    }
}

wr_val wr_val_copy(wr_val v, wr_type t, wr_arena *arena) {
    if (v.null) return v;
    if (t.kind == WR_T_STRING || t.kind == WR_T_BINARY) {
        char *p = arena ? wr_arena_alloc(arena, v.len ? v.len : 1) : wr_xmalloc(v.len ? v.len : 1);
        memcpy(p, v.u.p, v.len);
        v.u.p = p;
    } else if (wr_type_has_items(t)) {
        size_t sz = sizeof(wr_arr) + sizeof(wr_val) * (size_t)v.u.a->n;
        wr_arr *a = arena ? wr_arena_alloc(arena, sz) : wr_xmalloc(sz);
        a->n = v.u.a->n;
        for (int32_t i = 0; i < a->n; i++)
            a->items[i] = wr_val_copy(v.u.a->items[i], WR_TYPE(t.elem), arena);
        v.u.a = a;
    }
    return v;
}

void wr_val_free(wr_val v, wr_type t) {
    if (v.null) return;
    if (t.kind == WR_T_STRING || t.kind == WR_T_BINARY)
        free((void *)v.u.p);
    else if (wr_type_has_items(t)) {
        for (int32_t i = 0; i < v.u.a->n; i++)
            wr_val_free(v.u.a->items[i], WR_TYPE(t.elem));
        free(v.u.a);
    }
}
