/* The session window operator: GROUP BY session_window(ts, gap) and other
 * keys. Each row opens a session [ts, ts + gap) in its task's partial; all
 * sessions of one key go to one state partition (by the hash of the keys
 * beside the window), where the partials' and the state's sessions of each
 * key that overlap merge into one, their aggregates combined; the state
 * finds a key's sessions by that hash (its entries are hashed without the
 * window), so a batch costs what it touches. A session
 * closes when the watermark passes its end. The rest is the aggregate
 * operator's (aggregate.h). */
#include <stdlib.h>
#include <string.h>

#include "engine/aggregate.h"

/* One session, from the state (idx) or from a task's partial (entry). */
typedef struct sess {
    uint64_t khash; /* of the keys other than the window */
    int64_t start, end;
    wr_entry *e;
    int64_t idx; /* state entry index, or -1 for a partial */
} sess;

static uint64_t session_hash(const wr_aggregate *agg, const wr_val *k) {
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < agg->nkeys; i++)
        if (i != agg->win.key)
            h = wr_hash_u64(h ^ wr_val_hash(k[i], agg->key_types[i])) + (uint64_t)i;
    return h;
}

static int cmp_other_keys(const wr_aggregate *agg, const wr_val *a, const wr_val *b) {
    for (int i = 0; i < agg->nkeys; i++) {
        if (i == agg->win.key) continue;
        int c = wr_val_cmp(a[i], b[i], agg->key_types[i]);
        if (c) return c;
    }
    return 0;
}

static int cmp_sess(const void *pa, const void *pb, void *agg) {
    const sess *a = pa, *b = pb;
    if (a->khash != b->khash) return a->khash < b->khash ? -1 : 1;
    int c = cmp_other_keys(agg, wr_entry_keys(a->e), wr_entry_keys(b->e));
    if (c) return c;
    return (a->start > b->start) - (a->start < b->start);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_idx_desc(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x < y) - (x > y);
}

static sess make(const wr_aggregate *agg, wr_entry *e, int64_t idx) {
    const wr_val *k = wr_entry_keys(e);
    wr_arr *w = k[agg->win.key].u.a;
    return (sess){session_hash(agg, k), w->items[0].u.i, w->items[1].u.i, e, idx};
}

static void session_merge(wr_opstate *s, int p, wr_op *const *ops, int nops) {
    const wr_aggregate *agg = s->agg;
    wr_table *st = &s->parts[p];
    size_t np = 0;
    for (int w = 0; w < nops; w++)
        np += ((wr_agg_task *)ops[w])->nbucket[p];
    if (!np) return;
    /* the new sessions, and the state's sessions of the same keys */
    size_t cap = np * 2;
    sess *all = wr_xmalloc(sizeof *all * cap);
    uint64_t *hashes = wr_xmalloc(sizeof *hashes * np);
    size_t n = 0;
    for (int w = 0; w < nops; w++) {
        const wr_agg_task *a = (const wr_agg_task *)ops[w];
        for (uint32_t k = 0; k < a->nbucket[p]; k++) {
            all[n] = make(agg, wr_table_at(&a->partial, a->buckets[p][k]), -1);
            hashes[n] = all[n].khash;
            n++;
        }
    }
    /* the state's sessions of those keys: a key's sessions share their hash
     * (the state's layout leaves the window out of it), so the index finds
     * them without a walk over every session */
    qsort(hashes, np, sizeof *hashes, cmp_u64);
    uint32_t *idx = NULL;
    size_t ni = 0, icap = 0;
    for (size_t i = 0; i < np; i++)
        if (!i || hashes[i] != hashes[i - 1]) wr_table_with_hash(st, hashes[i], &idx, &ni, &icap);
    for (size_t i = 0; i < ni; i++) {
        if (n == cap) all = wr_xrealloc(all, sizeof *all * (cap *= 2));
        all[n++] = make(agg, wr_table_at(st, idx[i]), idx[i]);
    }
    free(idx);
    free(hashes);
    qsort_r(all, n, sizeof *all, cmp_sess, (void *)agg);
    /* sweep each key's sessions in start order, merging overlaps */
    wr_arena tmp = {0};
    int64_t *gone = wr_xmalloc(sizeof *gone * (n + 1));
    size_t ngone = 0;
    typedef struct merged {
        wr_val *keys;
        wr_aggst *states;
    } merged;
    merged *out = wr_xmalloc(sizeof *out * (n + 1));
    size_t nout = 0;
    size_t ssz = sizeof(wr_aggst) * (size_t)agg->naggs;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        int64_t end = all[i].end;
        bool fresh = all[i].idx < 0;
        while (j < n && all[j].khash == all[i].khash &&
               !cmp_other_keys(agg, wr_entry_keys(all[j].e), wr_entry_keys(all[i].e)) &&
               all[j].start < end) { /* overlapping: [start, end) intervals */
            if (all[j].end > end) end = all[j].end;
            fresh |= all[j].idx < 0;
            j++;
        }
        if (fresh) { /* untouched state sessions stay as they are */
            /* one session [all[i].start, end) out of all[i..j) */
            merged m = {wr_arena_alloc(&tmp, sizeof(wr_val) * (size_t)agg->nkeys),
                        wr_xcalloc(1, ssz ? ssz : 1)};
            /* the keys of a partial (fresh: there is one): they outlive the removals */
            const wr_val *src = wr_entry_keys(all[i].e);
            for (size_t x = i; x < j; x++) {
                wr_aggs_merge(agg, m.states, (wr_aggst *)((unsigned char *)all[x].e + st->value_at),
                              (wr_agg_copy){true, NULL});
                if (all[x].idx >= 0)
                    gone[ngone++] = all[x].idx;
                else
                    src = wr_entry_keys(all[x].e);
            }
            memcpy(m.keys, src, sizeof(wr_val) * (size_t)agg->nkeys);
            m.keys[agg->win.key] = wr_window_val(&tmp, all[i].start, end);
            out[nout++] = m;
        }
        i = j;
    }
    qsort(gone, ngone, sizeof *gone, cmp_idx_desc);
    for (size_t i = 0; i < ngone; i++)
        wr_table_remove(st, (uint32_t)gone[i]);
    for (size_t i = 0; i < nout; i++) {
        wr_entry *e = wr_table_upsert(st, out[i].keys, wr_keys_hash(st->layout, out[i].keys));
        memcpy(wr_entry_states(st, e), out[i].states, ssz); /* the states' copies move in */
        wr_table_touch(st, e);
        free(out[i].states);
    }
    free(out);
    free(gone);
    free(all);
    wr_arena_free(&tmp);
}

static void session_push(wr_op *op, const wr_chunk *c) {
    wr_agg_task *a = (wr_agg_task *)op;
    if (!wr_agg_task_eval(a, c)) return;
    size_t rows = wr_chunk_rows(c);
    for (size_t k = 0; k < rows; k++) {
        if (!wr_agg_task_load(a, wr_chunk_row(c, k))) continue;
        int64_t x = a->keybuf[a->agg->win.key].u.i;
        wr_agg_task_fold_window(a, x, x + a->agg->win.gap);
    }
}

static int part_by_other_keys(const wr_agg_task *a, wr_entry *e) {
    return (int)(session_hash(a->agg, wr_entry_keys(e)) % (uint64_t)a->base.task->nparts);
}

static void session_finish(wr_op *op) {
    wr_agg_task_split((wr_agg_task *)op, part_by_other_keys);
}

/* The state: the aggregate's, its entries hashed without the window (a
 * key's sessions share a hash; session_hash gives it). */
static wr_opstate *session_state_open(const wr_query *q, int nparts) {
    wr_opstate *s = wr_agg_state_open(q, nparts);
    s->layout.hash_skip = 1ULL << q->agg->win.key;
    return s;
}

static wr_op *session_open(wr_task *t, const void *node, wr_op *next) {
    return wr_agg_task_open(&wr_op_session, t, node, next);
}

const wr_op_class wr_op_session = {
    .name = "session",
    .open = session_open,
    .push = session_push,
    .finish = session_finish,
    .clear = wr_agg_task_clear,
    .close = wr_agg_task_close,
    .state_open = session_state_open,
    .merge = session_merge,
    .emit = wr_agg_state_emit,
    .evict = wr_agg_state_evict,
    .commit = wr_agg_state_commit,
    .restore = wr_agg_state_restore,
    .stats = wr_agg_state_stats,
    .state_close = wr_agg_state_close,
};
