/* Internal to the engine: the worker pool of a query. Worker 0 is the
 * calling thread; workers 1.. are threads of their own for the life of the
 * query. Each phase of a batch (reading, merging, state files) runs one
 * function on every worker and waits for all. */
#ifndef WR_ENGINE_POOL_H
#define WR_ENGINE_POOL_H

#include "core/wr_core.h"

typedef struct wr_pool wr_pool;

/* Starts `workers` workers (no cap but the system's: a thread that cannot
 * start fails the query, since each phase counts on every worker's share). */
wr_pool *wr_pool_start(int workers, wr_err *err);
int wr_pool_size(const wr_pool *p);
/* Runs fn(ctx, worker) on every worker and returns when all are done. */
void wr_pool_run(wr_pool *p, void (*fn)(void *ctx, int worker), void *ctx);
void wr_pool_stop(wr_pool *p);

#endif
