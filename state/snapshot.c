/* Saving and loading state files, snapshots and deltas (format in
 * wr_state.h), written durably; a damaged file is an error naming it, never
 * a silent fresh start. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/wr_state.h"

#define SNAP_MAGIC  "WRSNAP1"
#define DELTA_MAGIC "WRDELT1"
#define OP_PUT      1
#define OP_DEL      2
#define SEED        0x5eedULL
#define MAX_KEYS    64

static void put_entry(wr_buf *b, const wr_table *t, wr_entry *e) {
    const wr_state_layout *l = t->layout;
    wr_val *k = wr_entry_keys(e);
    for (int j = 0; j < l->nkeys; j++)
        wr_val_encode(b, k[j], l->key_types[j]);
    if (l->value_encode) l->value_encode(l->ctx, wr_entry_value(t, e), b);
}

bool wr_table_save(const wr_table *t, const char *path, bool delta, wr_err *err) {
    const wr_state_layout *l = t->layout;
    wr_buf b = {0};
    wr_buf_put(&b, delta ? DELTA_MAGIC : SNAP_MAGIC, 8);
    wr_put_u32(&b, (uint32_t)l->nkeys);
    wr_put_u32(&b, l->tag);
    size_t count_at = b.len;
    wr_put_u64(&b, 0);
    uint64_t count = 0;
    /* a delta: the removals first (a key removed and added again in the
     * batch is there after it), then the changed entries of the list */
    for (uint32_t i = 0; delta && i < t->nremoved; i++, count++) {
        wr_buf_putc(&b, OP_DEL);
        for (int j = 0; j < l->nkeys; j++)
            wr_val_encode(&b, t->removed[(size_t)i * (size_t)l->nkeys + (size_t)j],
                          l->key_types[j]);
    }
    uint32_t n = delta && t->owned ? t->nchanged : t->n;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t at = delta && t->owned ? t->changed[i] : i;
        if (at == UINT32_MAX) continue; /* removed since */
        wr_entry *e = wr_table_at(t, at);
        if (delta && !e->updated) continue;
        if (delta) wr_buf_putc(&b, OP_PUT);
        put_entry(&b, t, e);
        count++;
    }
    memcpy(b.p + count_at, &count, 8);
    wr_put_u64(&b, wr_hash_bytes(b.p, b.len, SEED));
    bool ok = wr_write_durable(path, b.p, b.len, err);
    wr_buf_free(&b);
    return ok;
}

/* The header and checksum of a state file; r is left on its first entry. */
static bool open_file(const wr_table *t, const wr_buf *b, bool *delta, uint64_t *count,
                      wr_bytes *r) {
    const wr_state_layout *l = t->layout;
    *delta = b->len >= 8 && !memcmp(b->p, DELTA_MAGIC, 8);
    if (b->len < 8 + 16 + 8 || (!*delta && memcmp(b->p, SNAP_MAGIC, 8))) return false;
    uint64_t sum;
    memcpy(&sum, b->p + b->len - 8, 8);
    if (sum != wr_hash_bytes(b->p, b->len - 8, SEED)) return false;
    *r = (wr_bytes){(const unsigned char *)b->p + 8, (const unsigned char *)b->p + b->len - 8,
                    false};
    uint32_t nk = 0, tag = 0;
    if (!wr_bytes_take(r, &nk, 4) || !wr_bytes_take(r, &tag, 4) || !wr_bytes_take(r, count, 8))
        return false;
    return nk == (uint32_t)l->nkeys && tag == l->tag && l->nkeys <= MAX_KEYS;
}

bool wr_table_load(wr_table *t, const char *path, wr_err *err) {
    wr_buf b = {0};
    b.p = wr_read_file(path, &b.len);
    if (!b.p)
        return wr_fail(err, WR_ERR_CORRUPT,
                       "state file %s is missing; it is needed to restore the query's state", path);
    const wr_state_layout *l = t->layout;
    bool delta;
    uint64_t count = 0;
    wr_bytes r = {0};
    if (!open_file(t, &b, &delta, &count, &r)) r.bad = true;
    if (!r.bad && count <= (uint64_t)(r.end - r.p))
        wr_table_reserve(t, t->n + (uint32_t)count); /* no regrowth while loading */
    wr_val keys[MAX_KEYS];
    wr_arena scratch = {0};
    for (uint64_t i = 0; i < count && !r.bad; i++) {
        wr_arena_reset(&scratch);
        uint8_t op = OP_PUT;
        if (delta && (!wr_bytes_take(&r, &op, 1) || (op != OP_PUT && op != OP_DEL))) r.bad = true;
        for (int j = 0; j < l->nkeys; j++)
            keys[j] = wr_val_decode(&r, l->key_types[j], &scratch);
        if (r.bad) break;
        if (op == OP_DEL) {
            wr_entry *gone = wr_table_find(t, keys, wr_keys_hash(l, keys));
            if (gone) wr_table_remove(t, wr_table_index(t, gone));
            continue;
        }
        wr_entry *e = wr_table_upsert(t, keys, wr_keys_hash(l, keys)); /* copies the keys */
        if (l->value_decode && !l->value_decode(l->ctx, wr_entry_value(t, e), &r, &scratch))
            r.bad = true;
    }
    if (!r.bad && r.p != r.end) r.bad = true;
    wr_arena_free(&scratch);
    wr_buf_free(&b);
    if (r.bad)
        return wr_fail(err, WR_ERR_CORRUPT,
                       "state file %s is damaged (bad header, checksum or entries); it is not "
                       "replaced: restore it or remove the checkpoint to start fresh",
                       path);
    return true;
}
