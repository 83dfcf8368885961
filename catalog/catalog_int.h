/* Internal to catalog/: SQLite itself, and printing a prepared statement. */
#ifndef WR_CATALOG_INT_H
#define WR_CATALOG_INT_H

#include <sqlite3.h>

#include "catalog/wr_catalog.h"

/* The virtual table module of memory tables, on a connection. */
int wr_memtable_module(sqlite3 *db);
/* Drops the memory tables of a catalog file (named as SQLite names it, or
 * alias when not NULL). */
void wr_memtable_forget(const char *file, const char *alias);

/* Steps a prepared statement and prints its rows. */
bool wr_print_statement(sqlite3_stmt *st, wr_format fmt, FILE *out, wr_err *err);

#endif
