/* The kinds of sinks Weir has: a registry the command line hands to the
 * planner (which checks options against each kind's table and each query
 * against its kind) and through the plan to the engine (which writes
 * through each kind's operations). */
#ifndef WR_SINKS_H
#define WR_SINKS_H

#include "engine/wr_engine.h"

/* NULL-terminated. */
extern const wr_sink_kind *const wr_sink_kinds[];

#endif
