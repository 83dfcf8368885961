/* Internal to the engine: an aggregation's state in the generic state store
 * (its layout: the GROUP BY keys, then one wr_aggst per aggregate) and the
 * loops that fold rows and partials into it. */
#ifndef WR_ENGINE_AGG_STATE_H
#define WR_ENGINE_AGG_STATE_H

#include "planner/wr_plan.h"
#include "state/wr_state.h"

/* The layout of agg's state tables (agg must outlive it). */
void wr_agg_layout(wr_state_layout *l, const wr_aggregate *agg);

/* Folds one row's aggregate inputs, or a partial's states, into st. */
void wr_aggs_update(const wr_aggregate *agg, wr_aggst *st, const wr_val *in, wr_agg_copy copy);
void wr_aggs_merge(const wr_aggregate *agg, wr_aggst *into, const wr_aggst *from, wr_agg_copy copy);

/* The aggregate states of an entry of a table with that layout. */
static inline wr_aggst *wr_entry_states(const wr_table *t, wr_entry *e) {
    return (wr_aggst *)wr_entry_value(t, e);
}

#endif
