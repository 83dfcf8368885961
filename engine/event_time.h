/* Internal to the engine: what event time does to aggregation state. A group
 * closes when the watermark reaches its event time (a window's end); closed
 * groups are emitted (append mode) and evicted. Session windows merge when
 * a batch's events bridge them. */
#ifndef WR_ENGINE_EVENT_TIME_H
#define WR_ENGINE_EVENT_TIME_H

#include "engine/task.h"
#include "state/wr_state.h"

/* Whether the group of entry e is closed at watermark wm (µs). */
static inline bool wr_et_closed(const wr_aggregate *agg, wr_entry *e, int64_t wm) {
    if (agg->event_key < 0) return false;
    wr_val k = wr_entry_keys(e)[agg->event_key];
    if (k.null) return false;
    return (agg->win.kind ? k.u.a->items[1].u.i : k.u.i) <= wm;
}

/* The hash of a group's keys other than its session window: all sessions
 * of a key go to one state partition, where they can merge. */
uint64_t wr_et_session_hash(const wr_aggregate *agg, const wr_val *keys);

/* The watermark (ms) after a batch: the latest event time seen (µs;
 * INT64_MIN: none) less the delay (µs), never below the current one. */
static inline int64_t wr_et_next_watermark(int64_t wm_ms, int64_t max_event, int64_t delay) {
    if (max_event == INT64_MIN) return wm_ms;
    int64_t max_ms = max_event >= 0 ? max_event / 1000 : -((-max_event + 999) / 1000);
    return max_ms - delay / 1000 > wm_ms ? max_ms - delay / 1000 : wm_ms;
}

/* Removes the closed groups; returns how many. */
int64_t wr_et_evict(const wr_aggregate *agg, wr_table *st, int64_t wm);

/* Merges the tasks' partial session windows of state partition p into st:
 * each run of overlapping sessions of one key (state and new) becomes one
 * session whose aggregates combine them all. */
void wr_et_merge_sessions(const wr_aggregate *agg, wr_table *st, wr_task *tasks, int ntasks, int p);

#endif
