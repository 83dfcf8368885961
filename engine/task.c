/* Tasks (task.h): Kafka messages become rows [key, value, topic, partition,
 * offset, timestamp, timestampType] whose strings are views into the message
 * payloads; each row is pushed through the steps (filter, project, explode);
 * what comes out is copied (rows) or folded into the partial aggregate (keys
 * copied once per distinct key). A row whose evaluation fails stops the
 * task: its error (with the row's Kafka position) fails the batch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/event_time.h"
#include "engine/task.h"

void wr_task_init(wr_task *t, const wr_query *q, const wr_state_layout *layout, int nparts) {
    memset(t, 0, sizeof *t);
    t->q = q;
    t->layout = layout;
    t->nparts = nparts;
    wr_eval_init(&t->ev, &t->tmp_arena);
    wr_task_start_batch(t, INT64_MIN);
    t->rowbuf = wr_xcalloc((size_t)q->nsteps + 1, sizeof *t->rowbuf);
    for (int i = 0; i < q->nsteps; i++)
        t->rowbuf[i] = wr_xcalloc((size_t)q->steps[i].out_width + 1, sizeof(wr_val));
    if (q->agg) {
        t->keybuf = wr_xcalloc((size_t)q->agg->nkeys + 1, sizeof(wr_val));
        t->inbuf = wr_xcalloc((size_t)q->agg->naggs + 1, sizeof(wr_val));
        wr_table_init(&t->partial, layout, false, &t->out_arena);
        t->buckets = wr_xcalloc((size_t)nparts, sizeof *t->buckets);
        t->nbucket = wr_xcalloc((size_t)nparts, sizeof *t->nbucket);
    }
}

void wr_task_start_batch(wr_task *t, int64_t late_before) {
    t->ev.failed = false;
    t->late_before = late_before;
    t->max_event = INT64_MIN;
    t->min_event = INT64_MAX;
    t->dropped = 0;
}

void wr_task_begin(wr_task *t, const char *topic, int32_t partition) {
    t->topic = topic;
    t->partition = partition;
}

static inline int64_t floor_mod(int64_t a, int64_t m) {
    int64_t r = a % m;
    return r < 0 ? r + m : r;
}

/* Folds the row into the group of window [start, end) unless it is late. */
static void add_windowed(wr_task *t, int64_t start, int64_t end) {
    const wr_aggregate *agg = t->q->agg;
    if (end <= t->late_before) {
        t->dropped++;
        return;
    }
    t->keybuf[agg->win.key] = wr_window_val(&t->tmp_arena, start, end);
    wr_entry *e = wr_table_upsert(&t->partial, t->keybuf, wr_keys_hash(t->layout, t->keybuf));
    wr_aggs_update(agg, wr_entry_states(&t->partial, e), t->inbuf,
                   (wr_agg_copy){false, &t->out_arena});
}

static void aggregate(wr_task *t, const wr_val *row) {
    const wr_aggregate *agg = t->q->agg;
    for (int k = 0; k < agg->nkeys; k++) {
        const wr_expr *ke = agg->keys[k];
        t->keybuf[k] = ke->op == WR_E_COL ? row[ke->col] : wr_expr_eval(ke, row, &t->ev);
    }
    for (int a = 0; a < agg->naggs; a++)
        t->inbuf[a] = agg->aggs[a].arg ? wr_expr_eval(agg->aggs[a].arg, row, &t->ev) : wr_int(1);
    if (agg->wm_expr) {
        wr_val et = wr_expr_eval(agg->wm_expr, row, &t->ev);
        if (!et.null && et.u.i > t->max_event) t->max_event = et.u.i;
        if (!et.null && et.u.i < t->min_event) t->min_event = et.u.i;
    }
    const wr_window *w = &agg->win;
    if (w->kind) {
        wr_val ts = t->keybuf[w->key]; /* the time column: rows without one belong to no window */
        if (ts.null) return;
        int64_t x = ts.u.i;
        if (w->kind == WR_WIN_SESSION) {
            add_windowed(t, x, x + w->gap);
        } else { /* every window of `size` starting at a multiple of `slide` that holds x */
            for (int64_t s = x - floor_mod(x, w->slide); s > x - w->size; s -= w->slide)
                add_windowed(t, s, s + w->size);
        }
        return;
    }
    if (agg->event_key >= 0 && !t->keybuf[agg->event_key].null &&
        t->keybuf[agg->event_key].u.i <= t->late_before) {
        t->dropped++;
        return;
    }
    wr_entry *e = wr_table_upsert(&t->partial, t->keybuf, wr_keys_hash(t->layout, t->keybuf));
    wr_aggs_update(agg, wr_entry_states(&t->partial, e), t->inbuf,
                   (wr_agg_copy){false, &t->out_arena});
}

static void emit(wr_task *t, const wr_val *row) {
    const wr_query *q = t->q;
    if (q->agg) {
        aggregate(t, row);
        return;
    }
    size_t w = (size_t)q->out.n;
    if ((t->nrows + 1) * w > t->cap) {
        t->cap = t->cap ? t->cap * 2 : 1024 * (w ? w : 1);
        t->rows = wr_xrealloc(t->rows, sizeof *t->rows * t->cap);
    }
    wr_val *dst = t->rows + t->nrows * w;
    for (size_t c = 0; c < w; c++)
        dst[c] = wr_val_copy(row[c], q->out.cols[c].type, &t->out_arena);
    t->nrows++;
}

static void push(wr_task *t, int si, const wr_val *row) {
    const wr_query *q = t->q;
    if (si == q->nsteps) {
        emit(t, row);
        return;
    }
    const wr_step *st = &q->steps[si];
    wr_val *out = t->rowbuf[si];
    switch (st->kind) {
    case WR_STEP_FILTER:
        if (wr_expr_is_true(st->expr, row, &t->ev)) push(t, si + 1, row);
        return;
    case WR_STEP_PROJECT:
        for (int i = 0; i < st->nexprs; i++)
            out[i] = wr_expr_eval(st->exprs[i], row, &t->ev);
        push(t, si + 1, out);
        return;
    case WR_STEP_EXTEND:
        memcpy(out, row, sizeof *row * (size_t)st->in_width);
        for (int i = 0; i < st->nexprs; i++)
            out[st->in_width + i] = wr_expr_eval(st->exprs[i], row, &t->ev);
        push(t, si + 1, out);
        return;
    case WR_STEP_EXPLODE: {
        wr_val arr = wr_expr_eval(st->expr, row, &t->ev);
        memcpy(out, row, sizeof *row * (size_t)st->in_width);
        if (arr.null || arr.u.a->n == 0) {
            if (st->outer) {
                out[st->in_width] = wr_null();
                push(t, si + 1, out);
            }
            return;
        }
        for (int32_t i = 0; i < arr.u.a->n; i++) {
            out[st->in_width] = arr.u.a->items[i];
            push(t, si + 1, out);
        }
        return;
    }
    }
}

bool wr_task_chunk(void *ctx, rd_kafka_message_t **msgs, int n) {
    wr_task *t = ctx;
    wr_val row[WR_KCOL_COUNT];
    size_t tlen = strlen(t->topic);
    for (int i = 0; i < n; i++) {
        rd_kafka_message_t *m = msgs[i];
        row[WR_KCOL_KEY] = m->key ? wr_str(m->key, m->key_len) : wr_null();
        row[WR_KCOL_VALUE] = m->payload ? wr_str(m->payload, m->len) : wr_null();
        row[WR_KCOL_TOPIC] = wr_str(t->topic, tlen);
        row[WR_KCOL_PARTITION] = wr_int(m->partition);
        row[WR_KCOL_OFFSET] = wr_int(m->offset);
        if (t->q->uses_timestamp) {
            rd_kafka_timestamp_type_t tt;
            int64_t ts = rd_kafka_message_timestamp(m, &tt);
            if (ts >
                WR_TS_MAX_US / 1000) { /* Spark's exact conversion to microseconds fails here too */
                t->ev.failed = true;
                snprintf(t->ev.err, sizeof t->ev.err,
                         "%s partition %d offset %lld has timestamp %lld ms, after 9999-12-31, the "
                         "end of "
                         "the TIMESTAMP range: fix the producer's timestamps, or do not read the "
                         "timestamp column",
                         t->topic, (int)t->partition, (long long)m->offset, (long long)ts);
                return false;
            }
            row[WR_KCOL_TIMESTAMP] = ts >= 0 ? wr_int(ts * 1000) : wr_null();
            row[WR_KCOL_TIMESTAMP_TYPE] = wr_int(tt == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? 1 : 0);
        } else {
            row[WR_KCOL_TIMESTAMP] = row[WR_KCOL_TIMESTAMP_TYPE] = wr_null();
        }
        push(t, 0, row);
        if (t->ev.failed) { /* the batch fails: say where */
            size_t l = strlen(t->ev.err);
            snprintf(t->ev.err + l, sizeof t->ev.err - l, " (topic %s, partition %d, offset %lld)",
                     t->topic, (int)m->partition, (long long)m->offset);
            wr_arena_reset(&t->tmp_arena);
            return false;
        }
    }
    t->input_rows += n;
    wr_arena_reset(&t->tmp_arena);
    return true;
}

/* The state partition of a group: by its keys' hash, or for session windows
 * by the hash of the keys beside the window. */
static int part_of(const wr_task *t, wr_entry *e) {
    const wr_aggregate *agg = t->q->agg;
    uint64_t h =
        agg->win.kind == WR_WIN_SESSION ? wr_et_session_hash(agg, wr_entry_keys(e)) : e->hash;
    return (int)(h % (uint64_t)t->nparts);
}

void wr_task_finish(wr_task *t) {
    if (!t->q->agg) return;
    for (int p = 0; p < t->nparts; p++)
        t->nbucket[p] = 0;
    /* two passes: count, then fill */
    uint32_t *counts = wr_xcalloc((size_t)t->nparts, sizeof *counts);
    for (uint32_t i = 0; i < t->partial.n; i++)
        counts[part_of(t, wr_table_at(&t->partial, i))]++;
    for (int p = 0; p < t->nparts; p++)
        t->buckets[p] = wr_xrealloc(t->buckets[p], sizeof(uint32_t) * (counts[p] + 1));
    for (uint32_t i = 0; i < t->partial.n; i++) {
        int p = part_of(t, wr_table_at(&t->partial, i));
        t->buckets[p][t->nbucket[p]++] = i;
    }
    free(counts);
}

void wr_task_clear(wr_task *t) {
    t->nrows = 0;
    t->input_rows = 0;
    if (t->q->agg) wr_table_reset(&t->partial); /* its memory serves the next batch */
    wr_arena_reset(&t->out_arena);
    wr_arena_reset(&t->tmp_arena);
}

void wr_task_free(wr_task *t) {
    for (int i = 0; i < t->q->nsteps; i++)
        free(t->rowbuf[i]);
    free(t->rowbuf);
    free(t->keybuf);
    free(t->inbuf);
    free(t->rows);
    if (t->q->agg) {
        wr_table_free(&t->partial);
        for (int p = 0; p < t->nparts; p++)
            free(t->buckets[p]);
        free(t->buckets);
        free(t->nbucket);
    }
    wr_eval_destroy(&t->ev);
    wr_arena_free(&t->out_arena);
    wr_arena_free(&t->tmp_arena);
}
