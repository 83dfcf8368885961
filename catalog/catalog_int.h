/* Internal to catalog/: SQLite itself, and printing a prepared statement. */
#ifndef WR_CATALOG_INT_H
#define WR_CATALOG_INT_H

#include <sqlite3.h>

#include "catalog/wr_catalog.h"

/* Steps a prepared statement and prints its rows. */
bool wr_print_statement(sqlite3_stmt *st, wr_format fmt, FILE *out, wr_err *err);

#endif
