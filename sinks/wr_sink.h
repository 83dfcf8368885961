/* Sinks: where a query's batches go, behind one small interface (a table of
 * function pointers). */
#ifndef WR_SINK_H
#define WR_SINK_H

#include <pthread.h>
#include <stdio.h>

#include "catalog/wr_catalog.h"
#include "planner/wr_plan.h"

typedef struct wr_sink wr_sink;

/* What a durable sink holds, as it records it (wr_sink_ops.last_committed). */
typedef struct wr_sink_held {
    const char *where;   /* the file or folder holding the batches (NULL: the sink keeps nothing
                            across runs) */
    const char *id_file; /* the file recording the query id */
    char query_id[64];   /* the query whose batches it holds ("": none recorded) */
    int64_t last_batch;  /* the newest batch it holds (-1: none) */
} wr_sink_held;

typedef struct wr_sink_ops {
    /* Receives batch `batch_id`: nrows rows of schema->n values, row-major. In
     * complete mode the rows are the whole result; in update mode the changed
     * rows; in append mode the new rows. A durable sink records s->query_id
     * with its batches, and skips a batch it already holds (a replay). */
    bool (*add_batch)(wr_sink *s, int64_t batch_id, const wr_val *rows, size_t nrows, char *errstr,
                      size_t errlen);
    /* What the sink holds before the first batch, for the driver to check
     * against the checkpoint; false (errstr naming the file) when its record
     * is damaged. NULL for sinks that keep nothing across runs. */
    bool (*last_committed)(wr_sink *s, wr_sink_held *held, char *errstr, size_t errlen);
    void (*close)(wr_sink *s);
} wr_sink_ops;

/* Where the sinks of one run write: stdout for console sinks, the run's
 * catalog database (wr_catalog_create) for memory sinks. */
typedef struct wr_sink_env {
    FILE *out;
    pthread_mutex_t *out_lock;
    const char *db_path;
} wr_sink_env;

struct wr_sink {
    const wr_sink_ops *ops;
    const wr_sink_def *def;
    const wr_query *query;
    const wr_sink_env *env;
    char query_id[64]; /* the query writing it (the checkpoint's id), set before the first batch */
    void *impl;
};

wr_sink *wr_sink_open(const wr_query *q, const wr_sink_env *env, char *errstr, size_t errlen);
void wr_sink_close(wr_sink *s);

/* Loads what a csv or json sink has committed (the files its metadata log
 * names, never others) into a table named after the sink in env->db, for
 * SQL over it. */
bool wr_file_sink_load(const wr_query *q, const wr_sink_env *env, char *errstr, size_t errlen);

#endif
