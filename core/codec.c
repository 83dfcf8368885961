/* Values as bytes (wr_core.h): the encoding state snapshots and deltas use
 * for keys and aggregate states, and a reader that never reads past its end. */
#include <string.h>

#include "core/wr_core.h"

void wr_put_u32(wr_buf *b, uint32_t v) {
    wr_buf_put(b, &v, 4);
}

void wr_put_u64(wr_buf *b, uint64_t v) {
    wr_buf_put(b, &v, 8);
}

void wr_val_encode(wr_buf *b, wr_val v, wr_type t) {
    wr_buf_putc(b, (char)v.null);
    if (v.null) return;
    switch (t.kind) {
    case WR_T_STRING:
    case WR_T_BINARY:
        wr_put_u32(b, v.len);
        wr_buf_put(b, v.u.p, v.len);
        break;
    case WR_T_ARRAY:
    case WR_T_WINDOW:
        wr_put_u32(b, (uint32_t)v.u.a->n);
        for (int32_t i = 0; i < v.u.a->n; i++)
            wr_val_encode(b, v.u.a->items[i], WR_TYPE(t.elem));
        break;
    default:
        wr_put_u64(b, (uint64_t)v.u.i);
        break; /* doubles: the same 8 bytes */
    }
}

bool wr_bytes_take(wr_bytes *r, void *out, size_t n) {
    if (r->bad || (size_t)(r->end - r->p) < n) return !(r->bad = true);
    memcpy(out, r->p, n);
    r->p += n;
    return true;
}

wr_val wr_val_decode(wr_bytes *r, wr_type t, wr_arena *arena) {
    uint8_t null = 1;
    if (!wr_bytes_take(r, &null, 1) || null) return wr_null();
    wr_val v = wr_null();
    v.null = 0;
    uint32_t n;
    switch (t.kind) {
    case WR_T_STRING:
    case WR_T_BINARY:
        if (!wr_bytes_take(r, &n, 4) || (size_t)(r->end - r->p) < n) {
            r->bad = true;
            return wr_null();
        }
        v = wr_str((const char *)r->p, n);
        r->p += n;
        return v;
    case WR_T_ARRAY:
    case WR_T_WINDOW: {
        if (!wr_bytes_take(r, &n, 4) || n > (size_t)(r->end - r->p)) { /* each item takes a byte */
            r->bad = true;
            return wr_null();
        }
        wr_arr *a = wr_arena_alloc(arena, sizeof *a + sizeof(wr_val) * n);
        a->n = (int32_t)n;
        for (uint32_t i = 0; i < n; i++)
            a->items[i] = wr_val_decode(r, WR_TYPE(t.elem), arena);
        v.u.a = a;
        return v;
    }
    default:
        wr_bytes_take(r, &v.u.i, 8);
        return v;
    }
}
