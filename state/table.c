/* The keyed table of the state store (wr_state.h): open addressing over an
 * index array, entries (hash, keys, value) stored contiguously. An owned
 * table also lists the entries a batch changed, and (when its layout says
 * when groups close) keeps a min-heap of entries by that time; each entry
 * knows its place in both, so a removal (the last entry moves into the
 * hole) fixes them in constant time. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "state/wr_state.h"

/* ---- big arrays ----
 * A state partition's arrays (entries, index slots, heap) and key blocks run
 * to tens of MB; filling fresh memory is then mostly page faults, one per
 * 4 KB. Arrays of 2 MB and more are aligned to 2 MB and ask for transparent
 * huge pages (where the system gives them on request: one fault per 2 MB). */
enum { HUGE_PAGE = 2 << 20 };

static void *big_alloc(size_t n) {
    if (n < HUGE_PAGE) return wr_xmalloc(n);
    size_t size = (n + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
    void *p = NULL;
    if (posix_memalign(&p, HUGE_PAGE, size)) return wr_xmalloc(n);
    madvise(p, size, MADV_HUGEPAGE);
    return p;
}

/* realloc for arrays that grow: old bytes kept; big ones move to a big_alloc. */
static void *big_realloc(void *p, size_t old, size_t n) {
    if (n < HUGE_PAGE) return wr_xrealloc(p, n);
    void *q = big_alloc(n);
    if (p) memcpy(q, p, old < n ? old : n);
    free(p);
    return q;
}

static void *big_calloc(size_t count, size_t size) {
    if (count * size < HUGE_PAGE) return wr_xcalloc(count, size);
    void *p = big_alloc(count * size);
    memset(p, 0, count * size);
    return p;
}

void wr_table_init(wr_table *t, const wr_state_layout *layout, bool owned, wr_arena *arena) {
    memset(t, 0, sizeof *t);
    t->layout = layout;
    t->owned = owned;
    t->arena = owned ? NULL : arena;
    t->value_at = sizeof(wr_entry) + sizeof(wr_val) * (size_t)layout->nkeys;
    /* 8-byte alignment is all a value needs (int64, double, pointers): no padding */
    t->entry_size = t->value_at + ((layout->value_size + 7) & ~(size_t)7);
}

/* ---- owned keys' bytes ----
 * A state partition's groups come and go by the hundred thousand a batch
 * (sliding windows): their keys' bytes come from the table's own free lists
 * by size (16-byte classes up to 256 bytes, carved from 2 MB blocks),
 * bigger ones from malloc. No lock, no trimming, freed with the table. */
enum { POOL_CLASSES = 16, POOL_BLOCK = 2 << 20 };

struct wr_keypool {
    void *free[POOL_CLASSES];
    void *blocks; /* each begins with the next's address */
    char *at;     /* the rest of the newest block */
    size_t left;
};

#ifdef __SANITIZE_ADDRESS__
#define POOLED(n) false /* AddressSanitizer sees every key as its own block */
#else
#define POOLED(n) ((n) <= 16 * POOL_CLASSES)
#endif

static void *key_alloc(wr_table *t, size_t n) {
    if (!POOLED(n)) return wr_xmalloc(n);
    if (!t->pool) t->pool = wr_xcalloc(1, sizeof *t->pool);
    wr_keypool *p = t->pool;
    size_t c = (n + 15) / 16 - 1, size = (c + 1) * 16;
    void *x = p->free[c];
    if (x) {
        memcpy(&p->free[c], x, sizeof(void *));
        return x;
    }
    if (p->left < size) {
        char *b = big_alloc(POOL_BLOCK);
        memcpy(b, &p->blocks, sizeof p->blocks);
        p->blocks = b;
        p->at = b + 16;
        p->left = POOL_BLOCK - 16;
    }
    x = p->at;
    p->at += size, p->left -= size;
    return x;
}

static void key_release(wr_table *t, void *x, size_t n) {
    if (!POOLED(n)) {
        free(x);
        return;
    }
    wr_keypool *p = t->pool;
    size_t c = (n + 15) / 16 - 1;
    memcpy(x, &p->free[c], sizeof(void *));
    p->free[c] = x;
}

/* wr_val_copy and wr_val_free of an owned table's keys. */
static wr_val key_copy(wr_table *t, wr_val v, wr_type ty) {
    if (v.null) return v;
    if (ty.kind == WR_T_STRING || ty.kind == WR_T_BINARY) {
        char *p = key_alloc(t, v.len ? v.len : 1);
        memcpy(p, v.u.p, v.len);
        v.u.p = p;
    } else if (wr_type_has_items(ty)) {
        wr_arr *a = key_alloc(t, sizeof(wr_arr) + sizeof(wr_val) * (size_t)v.u.a->n);
        a->n = v.u.a->n;
        for (int32_t i = 0; i < a->n; i++)
            a->items[i] = key_copy(t, v.u.a->items[i], WR_TYPE(ty.elem));
        v.u.a = a;
    }
    return v;
}

static void key_free(wr_table *t, wr_val v, wr_type ty) {
    if (v.null) return;
    if (ty.kind == WR_T_STRING || ty.kind == WR_T_BINARY) {
        key_release(t, (void *)v.u.p, v.len ? v.len : 1);
    } else if (wr_type_has_items(ty)) {
        for (int32_t i = 0; i < v.u.a->n; i++)
            key_free(t, v.u.a->items[i], WR_TYPE(ty.elem));
        key_release(t, v.u.a, sizeof(wr_arr) + sizeof(wr_val) * (size_t)v.u.a->n);
    }
}

static void pool_free(wr_table *t) {
    if (!t->pool) return;
    for (void *b = t->pool->blocks; b;) {
        void *next;
        memcpy(&next, b, sizeof next);
        free(b);
        b = next;
    }
    free(t->pool);
    t->pool = NULL;
}

static void free_entry_values(wr_table *t, wr_entry *e) {
    const wr_state_layout *l = t->layout;
    wr_val *k = wr_entry_keys(e);
    for (int i = 0; i < l->nkeys; i++)
        key_free(t, k[i], l->key_types[i]);
    if (l->value_free) l->value_free(l->ctx, wr_entry_value(t, e));
}

void wr_table_reset(wr_table *t) {
    if (t->owned)
        for (uint32_t i = 0; i < t->n; i++)
            free_entry_values(t, wr_table_at(t, i));
    if (t->nslots) memset(t->slots, 0, sizeof *t->slots * t->nslots);
    t->n = t->nchanged = t->nheap = 0;
}

static void forget_removed(wr_table *t) {
    const wr_state_layout *l = t->layout;
    for (uint32_t i = 0; i < t->nremoved * (uint32_t)l->nkeys; i++)
        key_free(t, t->removed[i], l->key_types[i % (uint32_t)l->nkeys]);
    t->nremoved = 0;
}

void wr_table_free(wr_table *t) {
    if (t->owned)
        for (uint32_t i = 0; i < t->n; i++)
            free_entry_values(t, wr_table_at(t, i));
    forget_removed(t);
    free(t->removed);
    t->removed = NULL;
    t->removed_cap = 0;
    free(t->entries);
    free(t->slots);
    pool_free(t);
    free(t->changed);
    free(t->heap);
    free(t->spare);
    free(t->found);
    t->entries = NULL;
    t->slots = NULL;
    t->changed = t->found = NULL;
    t->heap = t->spare = NULL;
    t->n = t->cap = t->nslots = t->nchanged = t->changed_cap = t->nheap = t->heap_cap =
        t->spare_cap = t->found_cap = 0;
}

void wr_table_touch(wr_table *t, wr_entry *e) {
    if (e->updated) return;
    if (!t->owned) {
        e->updated = 1;
        return;
    }
    if (t->nchanged == t->changed_cap) {
        t->changed_cap = t->changed_cap ? t->changed_cap * 2 : 256;
        t->changed = wr_xrealloc(t->changed, sizeof *t->changed * t->changed_cap);
    }
    t->changed[t->nchanged++] = wr_table_index(t, e);
    e->updated = t->nchanged;
}

int64_t wr_table_clear_updated(wr_table *t) {
    forget_removed(t);
    int64_t n = 0;
    if (t->owned) {
        for (uint32_t i = 0; i < t->nchanged; i++)
            if (t->changed[i] != UINT32_MAX) {
                wr_table_at(t, t->changed[i])->updated = 0;
                n++;
            }
        t->nchanged = 0;
        return n;
    }
    for (uint32_t i = 0; i < t->n; i++) {
        wr_entry *e = wr_table_at(t, i);
        n += e->updated != 0;
        e->updated = 0;
    }
    return n;
}

/* ---- the time heap (owned tables whose layout has closes_at) ---- */

static inline void heap_set(wr_table *t, uint32_t pos, wr_timed x) {
    t->heap[pos] = x;
    wr_table_at(t, x.idx)->heap = pos + 1;
}

static void heap_up(wr_table *t, uint32_t pos) {
    wr_timed x = t->heap[pos];
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (t->heap[parent].at <= x.at) break;
        heap_set(t, pos, t->heap[parent]);
        pos = parent;
    }
    heap_set(t, pos, x);
}

static void heap_down(wr_table *t, uint32_t pos) {
    wr_timed x = t->heap[pos];
    for (;;) {
        uint32_t c = 2 * pos + 1;
        if (c >= t->nheap) break;
        if (c + 1 < t->nheap && t->heap[c + 1].at < t->heap[c].at) c++;
        if (t->heap[c].at >= x.at) break;
        heap_set(t, pos, t->heap[c]);
        pos = c;
    }
    heap_set(t, pos, x);
}

static void heap_push(wr_table *t, uint32_t idx, int64_t at) {
    if (t->nheap == t->heap_cap) {
        uint32_t cap = t->heap_cap ? t->heap_cap * 2 : 256;
        t->heap = big_realloc(t->heap, sizeof *t->heap * t->heap_cap, sizeof *t->heap * cap);
        t->heap_cap = cap;
    }
    t->heap[t->nheap++] = (wr_timed){at, idx};
    heap_up(t, t->nheap - 1);
}

/* Takes the element at pos out of the heap. */
static void heap_delete(wr_table *t, uint32_t pos) {
    wr_table_at(t, t->heap[pos].idx)->heap = 0;
    wr_timed last = t->heap[--t->nheap];
    if (pos == t->nheap) return;
    t->heap[pos] = last;
    if (pos > 0 && t->heap[(pos - 1) / 2].at > last.at)
        heap_up(t, pos);
    else
        heap_down(t, pos);
}

/* Makes a heap of t->heap[0, nheap) (Floyd), setting every entry's place. */
static void heap_build(wr_table *t) {
    for (uint32_t i = 0; i < t->nheap; i++)
        wr_table_at(t, t->heap[i].idx)->heap = i + 1;
    for (uint32_t i = t->nheap / 2; i-- > 0;)
        heap_down(t, i);
}

static uint32_t *found_room(wr_table *t, uint32_t n) {
    if (n > t->found_cap) {
        free(t->found); /* nothing in it is kept */
        t->found = big_alloc(sizeof *t->found * n);
        t->found_cap = n;
    }
    return t->found;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Sorts v[0, n) ascending; tmp has room for n. Few: qsort; many: three
 * passes of a radix sort (11 bits each), in time linear in n. */
static void sort_idx(uint32_t *v, uint32_t *tmp, uint32_t n) {
    if (n < 2048) {
        if (n) qsort(v, n, sizeof *v, cmp_u32);
        return;
    }
    uint32_t count[2048];
    for (int pass = 0; pass < 3; pass++) {
        int shift = pass * 11;
        memset(count, 0, sizeof count);
        for (uint32_t i = 0; i < n; i++)
            count[(v[i] >> shift) & 2047]++;
        for (uint32_t d = 0, sum = 0; d < 2048; d++) {
            uint32_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (uint32_t i = 0; i < n; i++)
            tmp[count[(v[i] >> shift) & 2047]++] = v[i];
        uint32_t *x = v;
        v = tmp, tmp = x;
    }
    memcpy(tmp, v, sizeof *v * n); /* three passes: the result is in the other buffer */
}

const uint32_t *wr_table_changed(wr_table *t, uint32_t *n) {
    uint32_t *f = found_room(t, t->nchanged * 2 + 1), k = 0;
    for (uint32_t i = 0; i < t->nchanged; i++)
        if (t->changed[i] != UINT32_MAX) f[k++] = t->changed[i];
    sort_idx(f, f + t->nchanged, k);
    *n = k;
    return f;
}

/* The entries of the heap that close at wm, unordered: the top of the heap. */
static uint32_t heap_closed(wr_table *t, int64_t wm) {
    uint32_t k = 0;
    if (!t->nheap || t->heap[0].at > wm) return 0;
    /* a walk down from the root, stopping below every element past wm; the
     * positions wait in found's upper part, the indices fill it from 0 */
    uint32_t *f = found_room(t, t->nheap * 2 + 1), *stack = f + t->nheap, top = 0;
    stack[top++] = 0;
    while (top) {
        uint32_t pos = stack[--top];
        f[k++] = t->heap[pos].idx;
        for (uint32_t c = 2 * pos + 1; c <= 2 * pos + 2 && c < t->nheap; c++)
            if (t->heap[c].at <= wm) stack[top++] = c;
    }
    return k;
}

const uint32_t *wr_table_closed(wr_table *t, int64_t wm, uint32_t *n) {
    *n = heap_closed(t, wm); /* found has room for 2 * nheap + 1 */
    uint32_t *f = found_room(t, 1);
    sort_idx(f, f + *n, *n);
    return f;
}

uint64_t wr_keys_hash(const wr_state_layout *l, const wr_val *keys) {
    if (l->nkeys == 1 && !l->hash_skip) return wr_val_hash(keys[0], l->key_types[0]);
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < l->nkeys; i++)
        if (!(l->hash_skip >> i & 1))
            h = wr_hash_u64(h ^ wr_val_hash(keys[i], l->key_types[i])) + (uint64_t)i;
    return h;
}

size_t wr_table_memory(const wr_table *t) {
    return (size_t)t->cap * t->entry_size + (size_t)t->nslots * sizeof *t->slots;
}

/* A slot holds the entry index + 1 in its low half and the hash's high half
 * as a tag, so most mismatching probes never touch the entry. */
#define SLOT(idx, hash) (((hash)&0xffffffff00000000ULL) | (uint64_t)((idx) + 1))

static void rehash(wr_table *t, uint32_t ns) {
    uint64_t *slots;
    if (ns == t->nslots) { /* the same size: the same memory, no fresh pages */
        slots = t->slots;
        memset(slots, 0, sizeof *slots * ns);
        t->slots = NULL;
    } else {
        slots = big_calloc(ns, sizeof *slots);
    }
    for (uint32_t i = 0; i < t->n; i++) {
        uint64_t h = wr_table_at(t, i)->hash;
        uint32_t s = (uint32_t)h & (ns - 1);
        while (slots[s])
            s = (s + 1) & (ns - 1);
        slots[s] = SLOT(i, h);
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = ns;
}

static void grow_slots(wr_table *t) {
    rehash(t, t->nslots ? t->nslots * 2 : 1024);
}

void wr_table_reserve(wr_table *t, uint32_t n) {
    if (n > t->cap) {
        t->entries = big_realloc(t->entries, t->entry_size * t->n, t->entry_size * n);
        t->cap = n;
    }
    uint32_t ns = t->nslots ? t->nslots : 1024;
    while ((uint64_t)n * 2 > ns)
        ns *= 2;
    if (ns != t->nslots) rehash(t, ns);
}

/* Short strings compared without a call to memcmp: this is the hot path of
 * every aggregation. */
static inline bool short_bytes_eq(const char *a, const char *b, uint32_t n) {
    if (n >= 4 && n <= 8) {
        uint32_t a0, a1, b0, b1;
        memcpy(&a0, a, 4), memcpy(&b0, b, 4), memcpy(&a1, a + n - 4, 4), memcpy(&b1, b + n - 4, 4);
        return a0 == b0 && a1 == b1;
    }
    if (n < 4) {
        for (uint32_t i = 0; i < n; i++)
            if (a[i] != b[i]) return false;
        return true;
    }
    return !memcmp(a, b, n);
}

static inline bool keys_eq(const wr_state_layout *l, const wr_val *k, const wr_val *keys) {
    for (int i = 0; i < l->nkeys; i++) {
        wr_kind kind = (wr_kind)l->key_types[i].kind;
        if (kind == WR_T_STRING || kind == WR_T_BINARY) {
            if (k[i].null != keys[i].null) return false;
            if (k[i].null) continue;
            if (k[i].len != keys[i].len || !short_bytes_eq(k[i].u.p, keys[i].u.p, k[i].len))
                return false;
        } else if (kind == WR_T_WINDOW) { /* [start, end): two timestamps, never NULL */
            if (k[i].null != keys[i].null) return false;
            if (k[i].null) continue;
            const wr_val *a = k[i].u.a->items, *b = keys[i].u.a->items;
            if (a[0].u.i != b[0].u.i || a[1].u.i != b[1].u.i || a[0].null != b[0].null ||
                a[1].null != b[1].null)
                return false;
        } else if (!wr_val_eq(k[i], keys[i], l->key_types[i])) {
            return false;
        }
    }
    return true;
}

wr_entry *wr_table_upsert(wr_table *t, const wr_val *keys, uint64_t hash) {
    if ((uint64_t)(t->n + 1) * 2 > (uint64_t)t->nslots) grow_slots(t); /* load <= 1/2 */
    const wr_state_layout *l = t->layout;
    uint32_t mask = t->nslots - 1, s = (uint32_t)hash & mask;
    uint64_t tag = hash & 0xffffffff00000000ULL;
    while (t->slots[s]) {
        if ((t->slots[s] & 0xffffffff00000000ULL) != tag) {
            s = (s + 1) & mask;
            continue;
        }
        wr_entry *e = wr_table_at(t, (uint32_t)t->slots[s] - 1);
        if (e->hash == hash && keys_eq(l, wr_entry_keys(e), keys)) return e;
        s = (s + 1) & mask;
    }
    if (t->n == t->cap) {
        uint32_t cap = t->cap ? t->cap * 2 : 256;
        t->entries = big_realloc(t->entries, t->entry_size * t->n, t->entry_size * cap);
        t->cap = cap;
    }
    wr_entry *e = wr_table_at(t, t->n);
    memset(e, 0, t->entry_size);
    e->hash = hash;
    wr_val *k = wr_entry_keys(e);
    for (int i = 0; i < l->nkeys; i++)
        k[i] = t->owned   ? key_copy(t, keys[i], l->key_types[i])
               : t->arena ? wr_val_copy(keys[i], l->key_types[i], t->arena)
                          : keys[i];
    t->slots[s] = SLOT(t->n, hash);
    t->n++;
    if (t->owned && l->closes_at) {
        int64_t at = l->closes_at(l->ctx, k);
        if (at != INT64_MAX) heap_push(t, t->n - 1, at);
    }
    return e;
}

/* Keeps a removed entry's keys for the next delta and frees its value. */
static void retire(wr_table *t, wr_entry *e) {
    const wr_state_layout *l = t->layout;
    if (!t->owned) return;
    if (e->updated) t->changed[e->updated - 1] = UINT32_MAX;
    if (t->nremoved == t->removed_cap) {
        size_t per = sizeof *t->removed * (size_t)(l->nkeys ? l->nkeys : 1);
        uint32_t cap = t->removed_cap ? t->removed_cap * 2 : 64;
        t->removed = big_realloc(t->removed, per * t->nremoved, per * cap);
        t->removed_cap = cap;
    }
    memcpy(t->removed + (size_t)t->nremoved++ * (size_t)l->nkeys, wr_entry_keys(e),
           sizeof(wr_val) * (size_t)l->nkeys);
    if (l->value_free) l->value_free(l->ctx, wr_entry_value(t, e));
}

/* The slot that holds entry idx. */
static uint32_t slot_of(const wr_table *t, uint32_t idx) {
    uint64_t hash = wr_table_at(t, idx)->hash;
    uint32_t mask = t->nslots - 1, s = (uint32_t)hash & mask;
    while ((uint32_t)t->slots[s] != idx + 1)
        s = (s + 1) & mask;
    return s;
}

wr_entry *wr_table_find(const wr_table *t, const wr_val *keys, uint64_t hash) {
    if (!t->nslots) return NULL;
    uint32_t mask = t->nslots - 1, s = (uint32_t)hash & mask;
    for (; t->slots[s]; s = (s + 1) & mask) {
        wr_entry *e = wr_table_at(t, (uint32_t)t->slots[s] - 1);
        if (e->hash == hash && keys_eq(t->layout, wr_entry_keys(e), keys)) return e;
    }
    return NULL;
}

void wr_table_with_hash(const wr_table *t, uint64_t hash, uint32_t **idx, size_t *n, size_t *cap) {
    if (!t->nslots) return;
    uint32_t mask = t->nslots - 1, s = (uint32_t)hash & mask;
    for (; t->slots[s]; s = (s + 1) & mask) {
        if ((t->slots[s] & 0xffffffff00000000ULL) != (hash & 0xffffffff00000000ULL)) continue;
        uint32_t i = (uint32_t)t->slots[s] - 1;
        if (wr_table_at(t, i)->hash != hash) continue;
        if (*n == *cap) *idx = wr_xrealloc(*idx, sizeof **idx * (*cap = *cap * 2 + 16));
        (*idx)[(*n)++] = i;
    }
}

void wr_table_remove(wr_table *t, uint32_t idx) {
    uint32_t mask = t->nslots - 1, s = slot_of(t, idx);
    /* backward-shift deletion keeps every probe chain unbroken */
    for (uint32_t next = (s + 1) & mask; t->slots[next]; next = (next + 1) & mask) {
        uint32_t home = (uint32_t)wr_table_at(t, (uint32_t)t->slots[next] - 1)->hash & mask;
        if (((next - home) & mask) >=
            ((next - s) & mask)) { /* home not in (s, next]: may move to s */
            t->slots[s] = t->slots[next];
            s = next;
        }
    }
    t->slots[s] = 0;
    wr_entry *e = wr_table_at(t, idx);
    if (e->heap) heap_delete(t, e->heap - 1);
    retire(t, e);
    uint32_t last = t->n - 1;
    if (idx != last) { /* the last entry moves into the hole */
        uint32_t ls = slot_of(t, last);
        memcpy(e, wr_table_at(t, last), t->entry_size);
        t->slots[ls] = (t->slots[ls] & 0xffffffff00000000ULL) | (uint64_t)(idx + 1);
        if (e->heap) t->heap[e->heap - 1].idx = idx;
        if (t->owned && e->updated) t->changed[e->updated - 1] = idx;
    }
    t->n--;
}

/* After a pass that moved entries: the changed list and the heap again, from
 * what the entries kept (their heap place still points into the old heap). */
static void relist(wr_table *t) {
    if (!t->owned) return;
    uint32_t nh = 0;
    t->nchanged = 0;
    wr_timed *old = t->heap; /* the new heap goes into the spare, the old becomes it */
    if (t->spare_cap < t->heap_cap) {
        free(t->spare);
        t->spare = big_alloc(sizeof *t->spare * (t->spare_cap = t->heap_cap));
    }
    t->heap = t->spare;
    for (uint32_t i = 0; i < t->n; i++) {
        wr_entry *e = wr_table_at(t, i);
        if (e->updated) {
            t->changed[t->nchanged++] = i;
            e->updated = t->nchanged;
        }
        if (e->heap) t->heap[nh++] = (wr_timed){old[e->heap - 1].at, i};
    }
    t->spare = old;
    uint32_t cap = t->heap_cap;
    t->heap_cap = t->spare_cap;
    t->spare_cap = cap;
    t->nheap = nh;
    heap_build(t);
}

uint32_t wr_table_drop_where(wr_table *t, bool (*drop)(const void *ctx, wr_entry *e),
                             const void *ctx) {
    uint32_t w = 0;
    for (uint32_t i = 0; i < t->n; i++) {
        wr_entry *e = wr_table_at(t, i);
        if (drop(ctx, e)) {
            retire(t, e);
            continue;
        }
        if (w != i) memcpy(wr_table_at(t, w), e, t->entry_size);
        w++;
    }
    uint32_t gone = t->n - w;
    t->n = w;
    if (gone && t->nslots) rehash(t, t->nslots);
    if (gone) relist(t);
    return gone;
}

typedef struct closing {
    const wr_table *t;
    int64_t wm;
} closing;

static bool closes(const void *ctx, wr_entry *e) {
    const closing *c = ctx;
    return e->heap && c->t->heap[e->heap - 1].at <= c->wm;
}

uint32_t wr_table_evict(wr_table *t, int64_t wm) {
    uint32_t n = heap_closed(t, wm);
    if (!n) return 0;
    if ((uint64_t)n * 8 >= t->n) { /* many: one pass and a new index */
        closing c = {t, wm};
        return wr_table_drop_where(t, closes, &c);
    }
    /* few: from the highest index down, as a removal moves the last entry
     * into its place (never one of those still to go) */
    uint32_t *f = found_room(t, 1);
    sort_idx(f, f + n, n);
    for (uint32_t i = n; i-- > 0;)
        wr_table_remove(t, f[i]);
    return n;
}
