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

typedef enum { WR_FMT_TABLE, WR_FMT_CSV, WR_FMT_JSON } wr_format;

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

/* Spark's Dataset.show layout. cells: nrows x ncols strings. truncate: 0 for
 * none, else the characters cells are cut to (Spark: 20). right: cells
 * right-aligned (Spark: when it truncates). more: print the "only showing
 * top N rows" line. Columns are padded by display width. */
void wr_print_table(FILE *out, int ncols, char *const *headers, char *const *cells, size_t nrows,
                    int truncate, bool right, bool more);
/* Columns a UTF-8 string takes on a terminal, as wr_print_table counts them. */
size_t wr_display_width(const char *s);
/* Text rows (a NULL cell is SQL NULL) in a format: a table as the trailing
 * SELECTs print, csv with a header line, or json lines of strings. */
void wr_print_rows(FILE *out, wr_format fmt, int ncols, char *const *headers, char *const *cells,
                   size_t nrows);

/* Loads what a csv or json sink has committed (the files its metadata log
 * names, never others) into a table named after the sink in env->db, for
 * SQL over it. */
bool wr_file_sink_load(const wr_query *q, const wr_sink_env *env, char *errstr, size_t errlen);

/* The run's catalog: a SQLite database in WAL mode in a fresh temporary
 * folder (path malloc'd), where memory sinks keep their tables, each written
 * through its own connection; removed with its folder at the end. */
char *wr_catalog_create(char *errstr, size_t errlen);
void wr_catalog_remove(const char *path);
/* A connection to a catalog or a durable sink's file (WAL; durable: fsync at
 * each commit); busy writers wait their turn. On failure, *code (if not
 * NULL) is SQLite's result code. */
sqlite3 *wr_catalog_connect(const char *path, bool durable, int *code, char *errstr, size_t errlen);

/* A reader: SQL over the sinks on its own connection. Each statement sees
 * whole committed batches only (WAL snapshots) and holds no writer up. Only
 * statements that read run: INSERT, UPDATE, DELETE, CREATE, DROP, ATTACH,
 * transactions and pragmas that change anything are refused, each with its
 * own message, and so is fts3_tokenizer(); table-valued pragmas
 * (pragma_table_info('t')) work. Following SQLite's advice for untrusted SQL
 * the connection is defensive (SQLITE_DBCONFIG_DEFENSIVE, untrusted schema)
 * and limited: values of at most WR_READER_MAX_LENGTH bytes, statements of
 * at most WR_READER_MAX_SQL bytes, expressions at most WR_READER_MAX_DEPTH
 * deep, LIKE / GLOB patterns of at most WR_READER_MAX_PATTERN bytes. REGEXP
 * is PCRE2. Durable memory sinks are attached by wr_reader_attach. */
enum {
    WR_READER_MAX_LENGTH = 100000000,
    WR_READER_MAX_SQL = 1000000,
    WR_READER_MAX_DEPTH = 100,
    WR_READER_MAX_PATTERN = 1000
};
typedef struct wr_reader wr_reader;
wr_reader *wr_reader_open(const char *catalog, char *errstr, size_t errlen);
bool wr_reader_attach(wr_reader *r, const wr_sink_def *sink, char *errstr, size_t errlen);
/* Runs one statement and prints its rows (a table right-aligned as Spark's
 * show() prints, csv or json); an empty statement prints nothing. */
bool wr_reader_query(wr_reader *r, const char *sql, wr_format fmt, FILE *out, char *errstr,
                     size_t errlen);
void wr_reader_close(wr_reader *r);
/* Stops the running statement, and every later one until wr_reader_resume
 * (safe from a signal handler: it only sets a flag a progress handler reads). */
void wr_reader_interrupt(wr_reader *r);
void wr_reader_resume(wr_reader *r);

/* Checks the job's trailing SELECTs before any query runs: each is prepared
 * by a reader over empty tables of the sinks' schemas (memory, csv and json
 * sinks that have a query, and durable memory sinks' files). Errors are
 * "FILE:LINE:COL: message" at the SELECT. */
bool wr_check_selects(const wr_job *job, const char *file, char *errstr, size_t errlen);

/* Steps a prepared statement and prints its rows. */
bool wr_print_statement(sqlite3_stmt *st, wr_format fmt, FILE *out, char *errstr, size_t errlen);

#endif
