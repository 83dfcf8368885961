/* Sinks: where a query's batches go, behind one small interface (a table of
 * function pointers), plus the table printer shared by the console sink and
 * the trailing SELECTs, and SQL over memory sinks. */
#ifndef WR_SINK_H
#define WR_SINK_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>

#include "planner/wr_plan.h"

typedef struct wr_sink wr_sink;

typedef struct wr_sink_ops {
    /* Receives batch `batch_id`: nrows rows of schema->n values, row-major. In
     * complete mode the rows are the whole result; in update mode the changed
     * rows; in append mode the new rows. */
    bool (*add_batch)(wr_sink *s, int64_t batch_id, const wr_val *rows, size_t nrows, char *errstr, size_t errlen);
    void (*close)(wr_sink *s);
} wr_sink_ops;

/* Where the sinks of one `weir run` write: stdout for console sinks, one
 * SQLite database for memory sinks (guarded by db_lock). */
typedef struct wr_sink_env {
    FILE *out;
    pthread_mutex_t *out_lock;
    sqlite3 *db;
    pthread_mutex_t *db_lock;
} wr_sink_env;

struct wr_sink {
    const wr_sink_ops *ops;
    const wr_sink_def *def;
    const wr_query *query;
    const wr_sink_env *env;
    void *impl;
};

wr_sink *wr_sink_open(const wr_query *q, const wr_sink_env *env, char *errstr, size_t errlen);
void wr_sink_close(wr_sink *s);

/* Spark's Dataset.show layout. cells: nrows x ncols strings. truncate: 0 for
 * none, else the width cells are cut to (Spark: 20). more: print the "only
 * showing top N rows" line. */
void wr_print_table(FILE *out, int ncols, char *const *headers, char *const *cells, size_t nrows, int truncate, bool more);

typedef enum { WR_FMT_TABLE, WR_FMT_CSV, WR_FMT_JSON } wr_format;

/* Loads what a csv or json sink has committed (the files its metadata log
 * names, never others) into a table named after the sink in env->db, for
 * SQL over it. */
bool wr_file_sink_load(const wr_query *q, const wr_sink_env *env, char *errstr, size_t errlen);

/* Runs one SQL statement over the memory sinks and prints its rows. */
bool wr_memory_query(sqlite3 *db, const char *sql, wr_format fmt, FILE *out, char *errstr, size_t errlen);

#endif
