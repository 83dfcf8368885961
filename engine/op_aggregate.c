/* The aggregate operator: GROUP BY keys, optionally a tumbling or sliding
 * window of an event time, with count/sum/avg/min/max. Each task folds its
 * rows into a partial table (keys copied once per distinct group); after
 * the tasks, each state partition merges the partials of its groups, then
 * emits the sink's rows (complete: every group; update: the groups the batch
 * changed; append: the groups the watermark closed) through HAVING and the
 * select list, and evicts closed groups. Also the parts op_session.c shares
 * (aggregate.h). */
#include <stdlib.h>
#include <string.h>

#include "engine/aggregate.h"

wr_op *wr_agg_task_open(const wr_op_class *cls, wr_task *t, const void *node, wr_op *next) {
    wr_agg_task *a = wr_xcalloc(1, sizeof *a);
    a->base = (wr_op){cls, next, t, NULL};
    a->agg = node;
    wr_agg_layout(&a->layout, a->agg);
    wr_table_init(&a->partial, &a->layout, false, &t->out_arena);
    a->keybuf = wr_xcalloc((size_t)a->agg->nkeys + 1, sizeof(wr_val));
    a->inbuf = wr_xcalloc((size_t)a->agg->naggs + 1, sizeof(wr_val));
    a->kv = wr_xcalloc((size_t)a->agg->nkeys + 1, sizeof(wr_vec));
    a->iv = wr_xcalloc((size_t)a->agg->naggs + 1, sizeof(wr_vec));
    a->buckets = wr_xcalloc((size_t)t->nparts, sizeof *a->buckets);
    a->nbucket = wr_xcalloc((size_t)t->nparts, sizeof *a->nbucket);
    return &a->base;
}

bool wr_agg_task_eval(wr_agg_task *a, const wr_chunk *c) {
    const wr_aggregate *agg = a->agg;
    wr_task *t = a->base.task;
    wr_eval *ev = &t->ev;
    for (int k = 0; k < agg->nkeys && !ev->failed; k++)
        wr_expr_eval_vec(agg->keys[k], c, &a->kv[k], ev);
    for (int i = 0; i < agg->naggs && !ev->failed; i++)
        if (agg->aggs[i].arg) wr_expr_eval_vec(agg->aggs[i].arg, c, &a->iv[i], ev);
    if (ev->failed) return false;
    if (agg->wm_expr) {
        wr_vec et;
        wr_expr_eval_vec(agg->wm_expr, c, &et, ev);
        if (ev->failed) return false;
        size_t rows = wr_chunk_rows(c);
        for (size_t k = 0; k < rows; k++) {
            size_t r = wr_chunk_row(c, k);
            if (wr_vec_is_null(&et, r)) continue;
            if (et.u.i[r] > t->max_event) t->max_event = et.u.i[r];
            if (et.u.i[r] < t->min_event) t->min_event = et.u.i[r];
        }
    }
    return true;
}

bool wr_agg_task_load(wr_agg_task *a, size_t r) {
    const wr_aggregate *agg = a->agg;
    for (int k = 0; k < agg->nkeys; k++)
        a->keybuf[k] = wr_vec_get(&a->kv[k], r);
    for (int i = 0; i < agg->naggs; i++)
        a->inbuf[i] = agg->aggs[i].arg ? wr_vec_get(&a->iv[i], r) : wr_int(1);
    /* the time column: rows without one belong to no window */
    return !agg->win.kind || !a->keybuf[agg->win.key].null;
}

static void fold(wr_agg_task *a, uint64_t hash) {
    wr_task *t = a->base.task;
    wr_entry *e = wr_table_upsert(&a->partial, a->keybuf, hash);
    wr_aggs_update(a->agg, wr_entry_states(&a->partial, e), a->inbuf,
                   (wr_agg_copy){false, &t->out_arena});
}

void wr_agg_task_fold_window(wr_agg_task *a, int64_t start, int64_t end) {
    wr_task *t = a->base.task;
    if (end <= t->late_before) {
        t->dropped++;
        return;
    }
    a->keybuf[a->agg->win.key] = wr_window_val(&t->tmp_arena, start, end);
    fold(a, wr_keys_hash(&a->layout, a->keybuf));
}

static inline int64_t floor_mod(int64_t x, int64_t m) {
    int64_t r = x % m;
    return r < 0 ? r + m : r;
}

/* The hashes of the live rows' keys (wr_keys_hash's values), with typed
 * loops for one STRING or one fixed-width key. */
#define BLOCK 256
static void hash_keys(wr_agg_task *a, const wr_chunk *c, size_t k0, size_t nk, uint64_t *h) {
    const wr_vec *kv = &a->kv[0];
    if (a->agg->nkeys == 1 && wr_rep_of(kv->type) != WR_REP_ARR) {
        wr_rep rep = wr_rep_of(kv->type);
        for (size_t k = 0; k < nk; k++) {
            size_t r = wr_chunk_row(c, k0 + k);
            if (wr_vec_is_null(kv, r))
                h[k] = wr_val_hash(wr_null(), kv->type);
            else if (rep == WR_REP_STR)
                h[k] = wr_hash_bytes(kv->u.s[r].p, kv->u.s[r].len, WR_HASH_STR_SEED);
            else
                h[k] = wr_val_hash(wr_vec_get(kv, r), kv->type);
        }
        return;
    }
    for (size_t k = 0; k < nk; k++) {
        size_t r = wr_chunk_row(c, k0 + k);
        for (int j = 0; j < a->agg->nkeys; j++)
            a->keybuf[j] = wr_vec_get(&a->kv[j], r);
        h[k] = wr_keys_hash(&a->layout, a->keybuf);
    }
}

/* Folds rows k0..k0+nk of a chunk grouped by one STRING key (hashes h). */
static void fold_one_str(wr_agg_task *a, const wr_chunk *c, size_t k0, size_t nk,
                         const uint64_t *h) {
    const wr_aggregate *agg = a->agg;
    const wr_vec *kv = &a->kv[0];
    wr_agg_copy copy = {false, &a->base.task->out_arena};
    for (size_t k = 0; k < nk; k++) {
        size_t r = wr_chunk_row(c, k0 + k);
        a->keybuf[0] = wr_vec_is_null(kv, r) ? wr_null() : wr_str(kv->u.s[r].p, kv->u.s[r].len);
        wr_entry *e = wr_table_upsert(&a->partial, a->keybuf, h[k]);
        wr_aggst *st = wr_entry_states(&a->partial, e);
        for (int i = 0; i < agg->naggs; i++) {
            const wr_agg *g = &agg->aggs[i];
            if (g->kind == WR_AGG_COUNT_STAR)
                st[i].n++;
            else
                wr_agg_update(g, &st[i], wr_vec_get(&a->iv[i], r), copy);
        }
    }
}

static void aggregate_push(wr_op *op, const wr_chunk *c) {
    wr_agg_task *a = (wr_agg_task *)op;
    const wr_aggregate *agg = a->agg;
    wr_task *t = op->task;
    if (!wr_agg_task_eval(a, c)) return;
    size_t rows = wr_chunk_rows(c);
    const wr_window *w = &agg->win;
    if (w->kind) { /* every window of `size` starting at a multiple of `slide` that holds x */
        for (size_t k = 0; k < rows; k++) {
            if (!wr_agg_task_load(a, wr_chunk_row(c, k))) continue;
            int64_t x = a->keybuf[w->key].u.i;
            for (int64_t s = x - floor_mod(x, w->slide); s > x - w->size; s -= w->slide)
                wr_agg_task_fold_window(a, s, s + w->size);
        }
        return;
    }
    /* hashes a block at a time, their slots fetched ahead of the probes */
    uint64_t h[BLOCK];
    bool one_str = agg->nkeys == 1 && wr_rep_of(a->kv[0].type) == WR_REP_STR && agg->event_key < 0;
    for (size_t k0 = 0; k0 < rows; k0 += BLOCK) {
        size_t nk = rows - k0 < BLOCK ? rows - k0 : BLOCK;
        hash_keys(a, c, k0, nk, h);
        for (size_t k = 0; k < nk; k++)
            wr_table_prefetch_slot(&a->partial, h[k]);
        for (size_t k = 0; k < nk; k++)
            wr_table_prefetch_entry(&a->partial, h[k]);
        if (one_str) { /* one STRING key (word count, top IPs): no generic row load */
            fold_one_str(a, c, k0, nk, h);
            continue;
        }
        for (size_t k = 0; k < nk; k++) {
            wr_agg_task_load(a, wr_chunk_row(c, k0 + k));
            if (agg->event_key >= 0 && !a->keybuf[agg->event_key].null &&
                a->keybuf[agg->event_key].u.i <= t->late_before) {
                t->dropped++;
                continue;
            }
            fold(a, h[k]);
        }
    }
}

void wr_agg_task_split(wr_agg_task *a, int (*part)(const wr_agg_task *a, wr_entry *e)) {
    int nparts = a->base.task->nparts;
    /* two passes: count, then fill */
    for (int p = 0; p < nparts; p++)
        a->nbucket[p] = 0;
    for (uint32_t i = 0; i < a->partial.n; i++)
        a->nbucket[part(a, wr_table_at(&a->partial, i))]++;
    for (int p = 0; p < nparts; p++) {
        a->buckets[p] = wr_xrealloc(a->buckets[p], sizeof(uint32_t) * (a->nbucket[p] + 1));
        a->nbucket[p] = 0;
    }
    for (uint32_t i = 0; i < a->partial.n; i++) {
        int p = part(a, wr_table_at(&a->partial, i));
        a->buckets[p][a->nbucket[p]++] = i;
    }
}

static int part_by_keys(const wr_agg_task *a, wr_entry *e) {
    return (int)(e->hash % (uint64_t)a->base.task->nparts);
}

static void aggregate_finish(wr_op *op) {
    wr_agg_task_split((wr_agg_task *)op, part_by_keys);
}

void wr_agg_task_clear(wr_op *op) {
    wr_table_reset(&((wr_agg_task *)op)->partial); /* its memory serves the next batch */
}

void wr_agg_task_close(wr_op *op) {
    wr_agg_task *a = (wr_agg_task *)op;
    wr_table_free(&a->partial);
    for (int p = 0; p < op->task->nparts; p++)
        free(a->buckets[p]);
    free(a->buckets);
    free(a->nbucket);
    free(a->keybuf);
    free(a->inbuf);
    free(a->kv);
    free(a->iv);
    free(a);
}

/* ---- the query's state ---- */

wr_opstate *wr_agg_state_open(const wr_query *q, int nparts) {
    wr_opstate *s = wr_xcalloc(1, sizeof *s);
    s->agg = q->agg;
    wr_agg_layout(&s->layout, q->agg);
    s->nparts = nparts;
    s->parts = wr_xcalloc((size_t)nparts, sizeof *s->parts);
    for (int p = 0; p < nparts; p++)
        wr_table_init(&s->parts[p], &s->layout, true, NULL);
    return s;
}

static void aggregate_merge(wr_opstate *s, int part, wr_op *const *ops, int nops) {
    wr_table *st = &s->parts[part];
    for (int w = 0; w < nops; w++) {
        wr_agg_task *a = (wr_agg_task *)ops[w];
        const uint32_t *b = a->buckets[part], nb = a->nbucket[part];
        for (uint32_t k = 0; k < nb; k++) {
            /* the state's slot of the entry 16 ahead, the entry of the one 8 ahead */
            if (k + 16 < nb) wr_table_prefetch_slot(st, wr_table_at(&a->partial, b[k + 16])->hash);
            if (k + 8 < nb) wr_table_prefetch_entry(st, wr_table_at(&a->partial, b[k + 8])->hash);
            wr_entry *pe = wr_table_at(&a->partial, b[k]);
            wr_entry *se = wr_table_upsert(st, wr_entry_keys(pe), pe->hash);
            wr_aggs_merge(s->agg, wr_entry_states(st, se), wr_entry_states(&a->partial, pe),
                          (wr_agg_copy){true, NULL});
            wr_table_touch(st, se);
        }
    }
}

/* complete: every group; update: the groups the batch changed; append: the
 * groups the watermark closes (the state's lists of them, in table order). */
bool wr_agg_state_emit(wr_opstate *s, int part, wr_output_mode mode, int64_t watermark,
                       wr_batch *out, wr_eval *ev) {
    const wr_aggregate *agg = s->agg;
    wr_table *st = &s->parts[part];
    uint32_t n = st->n;
    const uint32_t *which = mode == WR_MODE_UPDATE   ? wr_table_changed(st, &n)
                            : mode == WR_MODE_APPEND ? wr_table_closed(st, watermark, &n)
                                                     : NULL;
    wr_batch_reserve(out, out->n + n); /* at most a row a group */
    wr_val *arow = wr_arena_alloc(ev->arena, sizeof *arow * (size_t)(agg->nkeys + agg->naggs + 1));
    for (uint32_t i = 0; i < n && !ev->failed; i++) {
        wr_entry *e = wr_table_at(st, which ? which[i] : i);
        memcpy(arow, wr_entry_keys(e), sizeof *arow * (size_t)agg->nkeys);
        wr_aggst *states = wr_entry_states(st, e);
        for (int a = 0; a < agg->naggs; a++)
            arow[agg->nkeys + a] = wr_agg_final(&agg->aggs[a], &states[a]);
        if (agg->having && !wr_expr_is_true(agg->having, arow, ev)) continue;
        wr_val *row = wr_batch_add(out);
        for (int c = 0; c < agg->nouts; c++)
            row[c] = wr_expr_eval(agg->outs[c], arow, ev);
    }
    return !ev->failed;
}

int64_t wr_agg_state_evict(wr_opstate *s, int part, int64_t watermark) {
    return wr_table_evict(&s->parts[part], watermark); /* the groups it closes, only */
}

bool wr_agg_state_commit(wr_opstate *s, int part, const char *dir, int64_t version,
                         int snapshot_every, bool *snapshotted, wr_err *err) {
    return wr_store_commit(&s->parts[part], dir, version, snapshot_every, snapshotted, err);
}

bool wr_agg_state_restore(wr_opstate *s, int part, const char *dir, int64_t version, wr_err *err) {
    return wr_store_restore(&s->parts[part], dir, version, err);
}

void wr_agg_state_stats(wr_opstate *s, int part, wr_state_stats *out) {
    out->rows = s->parts[part].n;
    out->memory = (int64_t)wr_table_memory(&s->parts[part]);
    out->updated = wr_table_clear_updated(&s->parts[part]);
}

void wr_agg_state_close(wr_opstate *s) {
    if (!s) return;
    for (int p = 0; p < s->nparts; p++)
        wr_table_free(&s->parts[p]);
    free(s->parts);
    free(s);
}

static wr_op *aggregate_open(wr_task *t, const void *node, wr_op *next) {
    return wr_agg_task_open(&wr_op_aggregate, t, node, next);
}

const wr_op_class wr_op_aggregate = {
    .name = "aggregate",
    .open = aggregate_open,
    .push = aggregate_push,
    .finish = aggregate_finish,
    .clear = wr_agg_task_clear,
    .close = wr_agg_task_close,
    .state_open = wr_agg_state_open,
    .merge = aggregate_merge,
    .emit = wr_agg_state_emit,
    .evict = wr_agg_state_evict,
    .commit = wr_agg_state_commit,
    .restore = wr_agg_state_restore,
    .stats = wr_agg_state_stats,
    .state_close = wr_agg_state_close,
};
