/* The kinds of sources Weir has: a registry the command line hands to the
 * planner (which checks options against each kind's table) and through the
 * plan to the engine (which runs each kind's operations). */
#ifndef WR_SOURCES_H
#define WR_SOURCES_H

#include "engine/wr_engine.h"

/* NULL-terminated. */
extern const wr_source_kind *const wr_source_kinds[];

#endif
