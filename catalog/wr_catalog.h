/* The SQLite catalog: the run's database of memory-sink tables, connections
 * to it and to durable sinks' files, the read-only reader that runs SQL over
 * sinks (the shell, trailing SELECTs), and the printing of results as
 * Spark's show() prints tables, or as csv or json. SQLite stays inside
 * catalog/ and the memory sink. */
#ifndef WR_CATALOG_H
#define WR_CATALOG_H

#include <stdbool.h>
#include <stdio.h>

#include "core/wr_core.h"

typedef struct sqlite3 sqlite3; /* as sqlite3.h declares it: callers need no SQLite header */

typedef enum { WR_FMT_TABLE, WR_FMT_CSV, WR_FMT_JSON } wr_format;

/* ---- printing ---- */

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

/* ---- the catalog and connections ---- */

/* The run's catalog: a SQLite database in WAL mode in a fresh temporary
 * folder (path malloc'd), where memory sinks keep their tables, each written
 * through its own connection; removed with its folder at the end. */
char *wr_catalog_create(wr_err *err);
void wr_catalog_remove(const char *path);
/* A connection to a catalog or a durable sink's file (WAL; durable: fsync at
 * each commit); busy writers wait their turn. On failure, *code (if not
 * NULL) is SQLite's result code. */
sqlite3 *wr_catalog_connect(const char *path, bool durable, int *code, wr_err *err);
/* "name (col TYPE, ...)": the table a memory sink keeps rows of `schema` in
 * (quoted_name already quoted). */
void wr_catalog_table_sql(wr_buf *b, const char *quoted_name, const wr_schema *schema);
/* s as a quoted SQL identifier: "a""b". */
void wr_catalog_quote(wr_buf *b, const char *s);

/* Where the SQLite statement at src[start, len) ends, as sqlite3_complete()
 * says: just past its ';', or len when no ';' ends it but the rest is a
 * statement once one is added (open_end: a last statement without ';'); 0
 * when it does not end (an unterminated string, quoted name, comment or
 * trigger). */
size_t wr_catalog_sql_end(const char *src, size_t len, size_t start, bool open_end);

/* ---- memory tables ---- */

/* A memory sink's table: rows kept in columns in this process, read by SQL
 * on every catalog connection as a read-only virtual table named after the
 * sink (memtable.c). One writer adds a batch with write, and commit makes it
 * visible in one step: a statement sees the batches committed when it began
 * reading the table, whole, for as long as it runs, and never holds the
 * writer up. The table stays readable after close, until the catalog is
 * removed; creating a table of the same name replaces it. */
typedef struct wr_memtable wr_memtable;
typedef enum {
    WR_MEMTABLE_APPEND,   /* each batch adds its rows */
    WR_MEMTABLE_COMPLETE, /* each batch replaces every row */
    WR_MEMTABLE_UPSERT,   /* each row replaces the row with the same key columns (NULL matching
                             NULL, as IS does); appends when there are no keys */
} wr_memtable_mode;
/* keys: the key columns (upsert). */
wr_memtable *wr_memtable_create(const char *catalog, const char *name, const wr_schema *schema,
                                wr_memtable_mode mode, const int *keys, int nkeys, wr_err *err);
/* Rows of the schema (strings and bytes are copied); not visible until commit. */
void wr_memtable_write(wr_memtable *t, const wr_batch *rows);
void wr_memtable_commit(wr_memtable *t);
/* Forgets what was written since the last commit. */
void wr_memtable_abort(wr_memtable *t);
/* The writer is done (what it has not committed is forgotten). */
void wr_memtable_close(wr_memtable *t);

/* ---- the reader ---- */

/* SQL over the sinks on its own connection. Each statement sees whole
 * committed batches only (WAL snapshots) and holds no writer up. Only
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
wr_reader *wr_reader_open(const char *catalog, wr_err *err);
/* Makes sink `name`'s durable file readable as "weir_sink_NAME". */
bool wr_reader_attach(wr_reader *r, const char *name, const char *path, wr_err *err);
/* Runs setup SQL the reader would refuse (creating tables to check
 * statements against). */
bool wr_reader_setup(wr_reader *r, const char *sql, wr_err *err);
/* Whether sql would run: prepares and discards it. */
bool wr_reader_check(wr_reader *r, const char *sql, wr_err *err);
/* Runs one statement and prints its rows (a table right-aligned as Spark's
 * show() prints, csv or json); an empty statement prints nothing. */
bool wr_reader_query(wr_reader *r, const char *sql, wr_format fmt, FILE *out, wr_err *err);
void wr_reader_close(wr_reader *r);
/* Stops the running statement, and every later one until wr_reader_resume
 * (safe from a signal handler: it only sets a flag a progress handler reads). */
void wr_reader_interrupt(wr_reader *r);
void wr_reader_resume(wr_reader *r);

#endif
