/* Saving and loading state files, snapshots and deltas (format in
 * wr_state.h), written durably through the checkpoint module. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint/wr_ckpt.h"
#include "state/wr_state.h"

/* Until this module speaks wr_err: a durable write with the old error buffer. */
static bool write_file(const char *path, const void *data, size_t len, char *err, size_t errlen) {
    wr_err e;
    if (wr_write_durable(path, data, len, &e)) return true;
    wr_errf(err, errlen, "%s", e.msg);
    return false;
}

#define SNAP_MAGIC  "WRSNAP1"
#define DELTA_MAGIC "WRDELT1"
#define OP_PUT      1
#define OP_DEL      2
#define SEED        0x5eedULL

static void put64(wr_buf *b, uint64_t v) {
    wr_buf_put(b, &v, 8);
}

static void put32(wr_buf *b, uint32_t v) {
    wr_buf_put(b, &v, 4);
}

static void put_val(wr_buf *b, wr_val v, wr_type t) {
    wr_buf_putc(b, (char)v.null);
    if (v.null) return;
    switch (t.kind) {
    case WR_T_STRING:
    case WR_T_BINARY:
        put32(b, v.len);
        wr_buf_put(b, v.u.p, v.len);
        break;
    case WR_T_ARRAY:
    case WR_T_WINDOW:
        put32(b, (uint32_t)v.u.a->n);
        for (int32_t i = 0; i < v.u.a->n; i++)
            put_val(b, v.u.a->items[i], WR_TYPE(t.elem));
        break;
    default:
        put64(b, (uint64_t)v.u.i);
        break; /* doubles: the same 8 bytes */
    }
}

static wr_type state_type(const wr_agg *a) {
    return a->kind == WR_AGG_MIN || a->kind == WR_AGG_MAX ? a->out : a->in;
}

typedef struct reader {
    const unsigned char *p, *end;
    bool bad;
} reader;

static bool take(reader *r, void *out, size_t n) {
    if ((size_t)(r->end - r->p) < n) return !(r->bad = true);
    memcpy(out, r->p, n);
    r->p += n;
    return true;
}

static wr_val get_val(reader *r, wr_type t) {
    uint8_t null = 1;
    wr_val v = wr_null();
    if (!take(r, &null, 1) || null) return v;
    v.null = 0;
    uint32_t n;
    switch (t.kind) {
    case WR_T_STRING:
    case WR_T_BINARY:
        if (!take(r, &n, 4) || (size_t)(r->end - r->p) < n) {
            r->bad = true;
            return wr_null();
        }
        v = wr_str((const char *)r->p, n);
        r->p += n;
        return v;
    case WR_T_ARRAY:
    case WR_T_WINDOW: {
        if (!take(r, &n, 4) || n > (size_t)(r->end - r->p)) {
            r->bad = true;
            return wr_null();
        }
        wr_arr *a = wr_xmalloc(sizeof *a + sizeof(wr_val) * n);
        a->n = (int32_t)n;
        for (uint32_t i = 0; i < n; i++)
            a->items[i] = get_val(r, WR_TYPE(t.elem));
        wr_val arr = {.u.a = a};
        wr_val c = wr_val_copy(arr, t, NULL); /* owned deep copy of strings */
        free(a);
        return c;
    }
    default:
        take(r, &v.u.i, 8);
        return v;
    }
}

static void put_entry(wr_buf *b, const wr_aggregate *agg, wr_entry *e) {
    wr_val *k = wr_entry_keys(e);
    for (int j = 0; j < agg->nkeys; j++)
        put_val(b, k[j], agg->key_types[j]);
    wr_aggst *st = wr_entry_states(e, agg->nkeys);
    for (int a = 0; a < agg->naggs; a++) {
        const wr_agg *g = &agg->aggs[a];
        if (g->kind == WR_AGG_SUM || g->kind == WR_AGG_AVG)
            put64(b, (uint64_t)st[a].v.u.i);
        else if (g->kind == WR_AGG_MIN || g->kind == WR_AGG_MAX)
            put_val(b, st[a].n ? st[a].v : wr_null(), state_type(g));
        put64(b, (uint64_t)st[a].n);
    }
}

bool wr_table_save(const wr_table *t, const char *path, bool delta, char *err, size_t errlen) {
    const wr_aggregate *agg = t->agg;
    wr_buf b = {0};
    wr_buf_put(&b, delta ? DELTA_MAGIC : SNAP_MAGIC, 8);
    put32(&b, (uint32_t)agg->nkeys);
    put32(&b, (uint32_t)agg->naggs);
    size_t count_at = b.len;
    put64(&b, 0);
    uint64_t count = 0;
    for (uint32_t i = 0; i < t->n; i++) {
        wr_entry *e = wr_table_at(t, i);
        if (delta && !e->updated) continue;
        if (delta) wr_buf_putc(&b, OP_PUT);
        put_entry(&b, agg, e);
        count++;
    }
    for (uint32_t i = 0; delta && i < t->nremoved; i++, count++) {
        wr_buf_putc(&b, OP_DEL);
        for (int j = 0; j < agg->nkeys; j++)
            put_val(&b, t->removed[(size_t)i * (size_t)agg->nkeys + (size_t)j], agg->key_types[j]);
    }
    memcpy(b.p + count_at, &count, 8);
    put64(&b, wr_hash_bytes(b.p, b.len, SEED));
    bool ok = write_file(path, b.p, b.len, err, errlen);
    wr_buf_free(&b);
    return ok;
}

/* Replaces an entry's states (a delta's entry may already be in the table). */
static void clear_states(wr_table *t, wr_aggst *st) {
    const wr_aggregate *agg = t->agg;
    for (int a = 0; a < agg->naggs; a++) {
        const wr_agg *g = &agg->aggs[a];
        if ((g->kind == WR_AGG_MIN || g->kind == WR_AGG_MAX) && st[a].n)
            wr_val_free(st[a].v, state_type(g));
        memset(&st[a], 0, sizeof st[a]);
    }
}

bool wr_table_load(wr_table *t, const char *path, char *err, size_t errlen) {
    wr_buf b = {0};
    b.p = wr_read_file(path, &b.len);
    if (!b.p) {
        wr_errf(err, errlen, "state file %s is missing; it is needed to restore the query's state",
                path);
        return false;
    }
    const wr_aggregate *agg = t->agg;
    bool delta = b.len >= 8 && !memcmp(b.p, DELTA_MAGIC, 8);
    bool ok = b.len >= 8 + 16 + 8 && (delta || !memcmp(b.p, SNAP_MAGIC, 8));
    uint64_t sum = 0;
    if (ok) {
        memcpy(&sum, b.p + b.len - 8, 8);
        ok = sum == wr_hash_bytes(b.p, b.len - 8, SEED);
    }
    reader r = {(const unsigned char *)b.p + 8, (const unsigned char *)b.p + (ok ? b.len - 8 : 0),
                !ok};
    uint32_t nk = 0, na = 0;
    uint64_t count = 0;
    if (ok && (!take(&r, &nk, 4) || !take(&r, &na, 4) || !take(&r, &count, 8) ||
               nk != (uint32_t)agg->nkeys || na != (uint32_t)agg->naggs))
        r.bad = true;
    wr_val keys[64];
    if (agg->nkeys > 64) r.bad = true;
    if (!r.bad && count <= (uint64_t)(r.end - r.p))
        wr_table_reserve(t, t->n + (uint32_t)count); /* no regrowth while loading */
    for (uint64_t i = 0; i < count && !r.bad; i++) {
        uint8_t op = OP_PUT;
        if (delta && (!take(&r, &op, 1) || (op != OP_PUT && op != OP_DEL))) r.bad = true;
        for (int j = 0; j < agg->nkeys; j++)
            keys[j] = get_val(&r, agg->key_types[j]);
        if (r.bad) break;
        if (op == OP_DEL) {
            wr_entry *gone = wr_table_find(t, keys, wr_keys_hash(agg, keys));
            if (gone)
                wr_table_remove(t,
                                (uint32_t)(((unsigned char *)gone - t->entries) / t->entry_size));
            for (int j = 0; j < agg->nkeys; j++)
                if (wr_type_has_items(agg->key_types[j])) wr_val_free(keys[j], agg->key_types[j]);
            continue;
        }
        uint32_t before = t->n;
        wr_entry *e = wr_table_upsert(t, keys, wr_keys_hash(agg, keys));
        for (int j = 0; j < agg->nkeys; j++)
            if (wr_type_has_items(agg->key_types[j])) wr_val_free(keys[j], agg->key_types[j]);
        wr_aggst *st = wr_entry_states(e, agg->nkeys);
        if (t->n == before) clear_states(t, st);
        for (int a = 0; a < agg->naggs && !r.bad; a++) {
            const wr_agg *g = &agg->aggs[a];
            if (g->kind == WR_AGG_SUM || g->kind == WR_AGG_AVG)
                take(&r, &st[a].v.u.i, 8);
            else if (g->kind == WR_AGG_MIN || g->kind == WR_AGG_MAX) {
                wr_val v = get_val(&r, state_type(g));
                if (!v.null) st[a].v = wr_val_copy(v, state_type(g), NULL);
                if (wr_type_has_items(state_type(g))) wr_val_free(v, state_type(g));
            }
            take(&r, &st[a].n, 8);
        }
    }
    if (!r.bad && r.p != r.end) r.bad = true;
    wr_buf_free(&b);
    if (r.bad) {
        wr_errf(err, errlen,
                "state file %s is damaged (bad header, checksum or entries); it is not replaced: "
                "restore it or remove the checkpoint to start fresh",
                path);
        return false;
    }
    return true;
}
