/* The state store: a generic keyed table (tuples of typed keys to a value of
 * fixed size whose meaning belongs to its user, described by a layout), its
 * snapshot and delta files, and the store of one state partition on disk.
 * It knows nothing of queries: the aggregate operator supplies a layout
 * whose value is its aggregates' states; a join or a dedup would supply
 * theirs. Tasks use tables for partial results (keys are views, or copies in
 * an arena); a query keeps one per state partition across batches (keys and
 * what values hold are owned heap copies). */
#ifndef WR_STATE_H
#define WR_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/wr_core.h"

/* What each entry of a table holds, and how its value is freed and written. */
typedef struct wr_state_layout {
    int nkeys;
    const wr_type *key_types;
    size_t value_size; /* bytes of value after the keys */
    /* written in every state file's header (the number of aggregates, say): a
     * file with another tag belongs to another layout and is refused */
    uint32_t tag;
    const void *ctx; /* handed to the functions below */
    /* frees what an owned value holds (a string a min keeps, say) */
    void (*value_free)(const void *ctx, void *value);
    void (*value_encode)(const void *ctx, const void *value, wr_buf *b);
    /* replaces *value (freeing what it held) with owned copies; false when
     * the bytes run short or make no sense */
    bool (*value_decode)(const void *ctx, void *value, wr_bytes *r, wr_arena *scratch);
    /* Keys left out of an entry's hash (bit i: key i): entries that differ
     * only in those share a hash, so wr_table_with_hash finds them all (the
     * sessions of a key). Few may share one: each lookup compares them all. */
    uint64_t hash_skip;
    /* Optional: when the group of these keys closes (µs; INT64_MAX: never).
     * An owned table keeps its entries ordered by it (a heap), so that what
     * a watermark closes is found without looking at the others. */
    int64_t (*closes_at)(const void *ctx, const wr_val *keys);
} wr_state_layout;

typedef struct wr_entry {
    uint64_t hash;
    /* changed in the current batch (wr_table_touch): nonzero; in an owned
     * table, its place in the table's list of changed entries + 1 */
    uint32_t updated;
    uint32_t heap; /* its place in the table's time heap + 1 (0: not there) */
    /* wr_val keys[nkeys]; then value_size bytes of value (8-byte aligned) */
} wr_entry;

/* An entry of the time heap: when entry idx closes. */
typedef struct wr_timed {
    int64_t at;
    uint32_t idx;
} wr_timed;

typedef struct wr_keypool wr_keypool;

typedef struct wr_table {
    const wr_state_layout *layout;
    bool owned;      /* keys and values own heap copies */
    wr_arena *arena; /* else, when set: keys are copied into this arena */
    size_t entry_size, value_at;
    unsigned char *entries;
    uint32_t n, cap; /* entries used / allocated */
    uint64_t *slots; /* open addressing: hash tag | entry index + 1; 0 = empty */
    uint32_t nslots; /* power of two */
    /* keys removed since the last wr_table_clear_updated (owned tables): the
     * next delta records them */
    wr_val *removed;
    uint32_t nremoved, removed_cap;
    /* owned tables: the entries changed since the last
     * wr_table_clear_updated (their indices; UINT32_MAX: removed since), and
     * with a layout's closes_at, a min-heap of when entries close: the work
     * of a batch is in proportion to what it changes and closes */
    uint32_t *changed;
    uint32_t nchanged, changed_cap;
    wr_timed *heap, *spare; /* spare: where a rebuilt heap goes */
    uint32_t nheap, heap_cap, spare_cap;
    uint32_t *found; /* what wr_table_closed and wr_table_changed return */
    uint32_t found_cap;
    wr_keypool *pool; /* owned tables: where their keys' bytes live */
} wr_table;

/* owned: keys live on the heap (state partitions); else keys are copied into
 * arena when given (task partials), or kept as views when arena is NULL. */
void wr_table_init(wr_table *t, const wr_state_layout *layout, bool owned, wr_arena *arena);
void wr_table_free(wr_table *t);
/* Empties the table and keeps its memory for the next batch. */
void wr_table_reset(wr_table *t);
/* Removes entry i (the last entry moves into its place). An owned table
 * keeps the removed keys for the next delta. */
void wr_table_remove(wr_table *t, uint32_t i);
/* Removes every entry `drop` says so of, in one pass that rebuilds the index
 * (cheaper than wr_table_remove when many go); returns how many. */
uint32_t wr_table_drop_where(wr_table *t, bool (*drop)(const void *ctx, wr_entry *e),
                             const void *ctx);
/* Finds the entry for keys, or NULL. */
wr_entry *wr_table_find(const wr_table *t, const wr_val *keys, uint64_t hash);
/* Appends the indices of the entries whose hash is `hash` to (*idx, *n,
 * *cap), a growable array. */
void wr_table_with_hash(const wr_table *t, uint64_t hash, uint32_t **idx, size_t *n, size_t *cap);

/* Makes room for n entries without regrowing. */
void wr_table_reserve(wr_table *t, uint32_t n);
/* Marks entry e as changed in the current batch (its updated field). */
void wr_table_touch(wr_table *t, wr_entry *e);
/* Clears the entries' updated flags (and forgets removed keys); returns how
 * many were set. */
int64_t wr_table_clear_updated(wr_table *t);
/* The indices of the entries changed in the current batch (owned tables),
 * in table order; *n of them. Valid until the table changes. */
const uint32_t *wr_table_changed(wr_table *t, uint32_t *n);
/* The indices of the entries that close at watermark wm (closes_at <= wm),
 * in table order; *n of them. Valid until the table changes. */
const uint32_t *wr_table_closed(wr_table *t, int64_t wm, uint32_t *n);
/* Removes the entries that close at watermark wm; returns how many. */
uint32_t wr_table_evict(wr_table *t, int64_t wm);
/* Bytes the table takes (entries, index). */
size_t wr_table_memory(const wr_table *t);

static inline wr_entry *wr_table_at(const wr_table *t, uint32_t i) {
    return (wr_entry *)(t->entries + (size_t)i * t->entry_size);
}
static inline wr_val *wr_entry_keys(wr_entry *e) {
    return (wr_val *)(e + 1);
}
static inline void *wr_entry_value(const wr_table *t, wr_entry *e) {
    return (unsigned char *)e + t->value_at;
}
/* The index of an entry of t. */
static inline uint32_t wr_table_index(const wr_table *t, const wr_entry *e) {
    return (uint32_t)(((const unsigned char *)e - t->entries) / t->entry_size);
}

/* Hints that keys of this hash are looked up soon: first their index slot,
 * a little later the entry that slot holds (a merge of many partial entries
 * waits for memory less). */
static inline void wr_table_prefetch_slot(const wr_table *t, uint64_t hash) {
    if (t->nslots) __builtin_prefetch(&t->slots[(uint32_t)hash & (t->nslots - 1)]);
}
static inline void wr_table_prefetch_entry(const wr_table *t, uint64_t hash) {
    if (!t->nslots) return;
    uint64_t s = t->slots[(uint32_t)hash & (t->nslots - 1)];
    if (s) __builtin_prefetch(wr_table_at(t, (uint32_t)s - 1));
}

/* The hash of a tuple of keys of the layout's types (but hash_skip's). */
uint64_t wr_keys_hash(const wr_state_layout *l, const wr_val *keys);

/* Finds the entry for keys (hash precomputed), inserting a fresh one (keys
 * copied as the table says, value zeroed) if absent. */
wr_entry *wr_table_upsert(wr_table *t, const wr_val *keys, uint64_t hash);

/* State files, one per state partition and version (batch id):
 *   <v>.snapshot  every entry after batch v
 *   <v>.delta     the entries batch v changed
 * Layout (little-endian):
 *   magic "WRSNAP1\0" or "WRDELT1\0" | u32 nkeys | u32 tag | u64 entries |
 *   entries | u64 checksum
 * A snapshot entry: its keys (wr_val_encode), then its value (the layout's
 * value_encode; for aggregates per aggregate: count: i64 n; sum/avg: the
 * running sum's 8 bytes and i64 n; min/max: the value and i64 n). A delta
 * entry is an op byte, then: 1 (put) the entry's keys and value as above; 2
 * (remove) the removed entry's keys; the removals come first (a key removed
 * and added again in one batch is there after it). The checksum is
 * wr_hash_bytes of all that precedes it. */
bool wr_table_save(const wr_table *t, const char *path, bool delta, wr_err *err);
/* Loads a snapshot into an empty owned table, or applies a delta to a
 * table; a damaged file is an error naming it. */
bool wr_table_load(wr_table *t, const char *path, wr_err *err);

/* The store of one state partition in its folder: restore a version from
 * the newest snapshot at or before it plus the deltas after that; commit a
 * version as a delta (and a snapshot every `snapshot_every` versions); drop
 * the files no version >= `oldest` needs. */
bool wr_store_restore(wr_table *t, const char *dir, int64_t version, wr_err *err);
bool wr_store_commit(const wr_table *t, const char *dir, int64_t version, int snapshot_every,
                     bool *snapshotted, wr_err *err);
void wr_store_retain(const char *dir, int64_t oldest);

#endif
