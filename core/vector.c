/* Column batches (wr_core.h): typed vectors with a null bitmap, allocated in
 * an arena that lives for the chunk, and the conversions between a vector's
 * rows and single values that the row-at-a-time parts of the engine use. */
#include <string.h>

#include "core/wr_core.h"

static size_t rep_size(wr_rep r) {
    switch (r) {
    case WR_REP_F64:
        return sizeof(double);
    case WR_REP_STR:
        return sizeof(wr_sv);
    case WR_REP_ARR:
        return sizeof(wr_arr *);
    default:
        return sizeof(int64_t);
    }
}

void wr_vec_alloc(wr_vec *v, wr_type t, size_t n, wr_arena *arena) {
    v->type = t;
    v->u.p = wr_arena_alloc(arena, rep_size(wr_rep_of(t)) * (n ? n : 1));
    v->nulls = NULL;
}

void wr_vec_set_null(wr_vec *v, size_t r, size_t n, wr_arena *arena) {
    if (!v->nulls) v->nulls = wr_arena_zalloc(arena, sizeof(uint64_t) * ((n + 63) / 64 + 1));
    v->nulls[r >> 6] |= (uint64_t)1 << (r & 63);
}

wr_val wr_vec_get(const wr_vec *v, size_t r) {
    if (!v->u.p || wr_vec_is_null(v, r)) return wr_null();
    switch (wr_rep_of(v->type)) {
    case WR_REP_F64:
        return wr_dbl(v->u.d[r]);
    case WR_REP_STR:
        return wr_str(v->u.s[r].p, v->u.s[r].len);
    case WR_REP_ARR:
        return (wr_val){.u.a = v->u.a[r]};
    default:
        return wr_int(v->u.i[r]);
    }
}

void wr_vec_put(wr_vec *v, size_t r, wr_val x, size_t n, wr_arena *arena) {
    if (x.null) {
        wr_vec_set_null(v, r, n, arena);
        return;
    }
    if (v->nulls) v->nulls[r >> 6] &= ~((uint64_t)1 << (r & 63));
    switch (wr_rep_of(v->type)) {
    case WR_REP_F64:
        v->u.d[r] = x.u.d;
        break;
    case WR_REP_STR:
        v->u.s[r] = (wr_sv){x.u.p, x.len};
        break;
    case WR_REP_ARR:
        v->u.a[r] = x.u.a;
        break;
    default:
        v->u.i[r] = x.u.i;
    }
}

void wr_chunk_get_row(const wr_chunk *c, size_t r, wr_val *row) {
    for (int i = 0; i < c->width; i++)
        row[i] = wr_vec_get(&c->cols[i], r);
}
