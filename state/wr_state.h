/* The state store's building block: a hash table from grouping keys (tuples of
 * values) to aggregate states. Tasks use one per batch for partial
 * aggregation (keys are views into the batch); the query keeps one per state
 * partition across batches (keys and string states are owned copies). */
#ifndef WR_STATE_H
#define WR_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/wr_engine.h"
#include "planner/wr_plan.h"

/* One aggregate's running state. */
typedef struct wr_aggst {
    wr_val v;  /* sum (i or d), min/max value */
    int64_t n; /* rows counted / non-null inputs seen */
} wr_aggst;

typedef struct wr_entry {
    uint64_t hash;
    uint32_t updated; /* batch-local flag: changed in the current batch */
    uint32_t pad;
    /* wr_val keys[nkeys]; wr_aggst states[naggs]; follow */
} wr_entry;

typedef struct wr_table {
    const wr_aggregate *agg;
    bool owned;      /* copy keys and string states to the heap */
    wr_arena *arena; /* else, when set: copy them into this arena */
    size_t entry_size;
    unsigned char *entries;
    uint32_t n, cap; /* entries used / allocated */
    uint64_t *slots; /* open addressing: hash tag | entry index + 1; 0 = empty */
    uint32_t nslots; /* power of two */
    /* keys removed since the last wr_table_clear_updated (owned tables): the
     * next delta records them */
    wr_val *removed;
    uint32_t nremoved, removed_cap;
} wr_table;

/* owned: keys live on the heap (state partitions); else keys are copied into
 * arena when given (task partials), or kept as views when arena is NULL. */
void wr_table_init(wr_table *t, const wr_aggregate *agg, bool owned, wr_arena *arena);
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

/* Makes room for n entries without regrowing. */
void wr_table_reserve(wr_table *t, uint32_t n);
/* Clears the entries' updated flags (and forgets removed keys); returns how
 * many were set. */
int64_t wr_table_clear_updated(wr_table *t);

static inline wr_entry *wr_table_at(const wr_table *t, uint32_t i) {
    return (wr_entry *)(t->entries + (size_t)i * t->entry_size);
}
static inline wr_val *wr_entry_keys(wr_entry *e) {
    return (wr_val *)(e + 1);
}
static inline wr_aggst *wr_entry_states(wr_entry *e, int nkeys) {
    return (wr_aggst *)(wr_entry_keys(e) + nkeys);
}

uint64_t wr_keys_hash(const wr_aggregate *agg, const wr_val *keys);

/* Finds the entry for keys (hash precomputed), inserting a fresh one (keys
 * copied when the table owns them) if absent. */
wr_entry *wr_table_upsert(wr_table *t, const wr_val *keys, uint64_t hash);

/* Folds one input row's aggregate inputs into an entry. */
void wr_agg_update(const wr_table *t, wr_aggst *st, const wr_val *inputs);
/* Merges partial states into an entry's states. */
void wr_agg_merge(const wr_table *t, wr_aggst *into, const wr_aggst *from);
/* The final value of aggregate i. */
wr_val wr_agg_final(const wr_agg *a, const wr_aggst *st);

/* State files, one per state partition and version (batch id):
 *   <v>.snapshot  every entry after batch v
 *   <v>.delta     the entries batch v changed
 * Layout (little-endian):
 *   magic "WRSNAP1\0" or "WRDELT1\0" | u32 nkeys | u32 naggs | u64 entries |
 *   entries | u64 checksum
 * A snapshot entry: its keys, then per aggregate its state: count: i64 n;
 * sum/avg: the running sum (8 bytes, int64 or double) and i64 n; min/max: the
 * value and i64 n. A delta entry is an op byte, then: 1 (put) the entry's
 * keys and states as above; 2 (remove) the removed entry's keys. A value: u8 null, then (if not
 * null) 8 bytes for numbers, booleans and timestamps, u32 length + bytes for strings and binaries,
 * u32 count + values for arrays. The checksum is wr_hash_bytes of all that precedes it. */
bool wr_table_save(const wr_table *t, const char *path, bool delta, char *errstr, size_t errlen);
/* Loads a snapshot into an empty owned table, or applies a delta to a
 * table; a damaged file is an error naming it. */
bool wr_table_load(wr_table *t, const char *path, char *errstr, size_t errlen);

/* The store of one state partition in its folder: restore a version from
 * the newest snapshot at or before it plus the deltas after that; commit a
 * version as a delta (and a snapshot every `snapshot_every` versions); drop
 * the files no version >= `oldest` needs. */
bool wr_store_restore(wr_table *t, const char *dir, int64_t version, char *errstr, size_t errlen);
bool wr_store_commit(const wr_table *t, const char *dir, int64_t version, int snapshot_every,
                     bool *snapshotted, char *errstr, size_t errlen);
void wr_store_retain(const char *dir, int64_t oldest);

#endif
