/* An aggregation's state layout and folds (agg_state.h): the value of each
 * entry is one wr_aggst per aggregate, freed, encoded and decoded by the
 * aggregate function table. */
#include "engine/agg_state.h"

static void value_free(const void *ctx, void *value) {
    const wr_aggregate *agg = ctx;
    wr_aggst *st = value;
    for (int a = 0; a < agg->naggs; a++)
        wr_agg_clear(&agg->aggs[a], &st[a]);
}

static void value_encode(const void *ctx, const void *value, wr_buf *b) {
    const wr_aggregate *agg = ctx;
    const wr_aggst *st = value;
    for (int a = 0; a < agg->naggs; a++)
        wr_agg_encode(&agg->aggs[a], &st[a], b);
}

static bool value_decode(const void *ctx, void *value, wr_bytes *r, wr_arena *scratch) {
    const wr_aggregate *agg = ctx;
    wr_aggst *st = value;
    for (int a = 0; a < agg->naggs; a++)
        if (!wr_agg_decode(&agg->aggs[a], &st[a], r, scratch)) return false;
    return true;
}

/* When a group closes: at its window's end or its event time (the event-time
 * key); never without one, or when it is NULL. */
static int64_t closes_at(const void *ctx, const wr_val *keys) {
    const wr_aggregate *agg = ctx;
    wr_val k = keys[agg->event_key];
    if (k.null) return INT64_MAX;
    return agg->win.kind ? k.u.a->items[1].u.i : k.u.i;
}

void wr_agg_layout(wr_state_layout *l, const wr_aggregate *agg) {
    *l = (wr_state_layout){.nkeys = agg->nkeys,
                           .key_types = agg->key_types,
                           .value_size = sizeof(wr_aggst) * (size_t)agg->naggs,
                           .tag = (uint32_t)agg->naggs,
                           .ctx = agg,
                           .value_free = value_free,
                           .value_encode = value_encode,
                           .value_decode = value_decode,
                           .closes_at = agg->event_key >= 0 ? closes_at : NULL};
}

void wr_aggs_update(const wr_aggregate *agg, wr_aggst *st, const wr_val *in, wr_agg_copy copy) {
    for (int a = 0; a < agg->naggs; a++)
        wr_agg_update(&agg->aggs[a], &st[a], in[a], copy);
}

void wr_aggs_merge(const wr_aggregate *agg, wr_aggst *into, const wr_aggst *from,
                   wr_agg_copy copy) {
    for (int a = 0; a < agg->naggs; a++)
        wr_agg_merge(&agg->aggs[a], &into[a], &from[a], copy);
}
