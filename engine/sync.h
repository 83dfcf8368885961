/* Internal to the engine: the driver's side of wr_stream_sync. */
#ifndef WR_ENGINE_SYNC_H
#define WR_ENGINE_SYNC_H

#include "engine/wr_engine.h"

/* Marks the sink open, the query ended, or catch-up request `done` met
 * (s may be NULL: nobody waits). */
void wr_sync_set(wr_stream_sync *s, bool opened, bool ended, int64_t done);
/* The newest catch-up request (0: none, or s is NULL). */
int64_t wr_sync_asked(wr_stream_sync *s);

#endif
