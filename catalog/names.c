/* SQL text for sink tables (wr_catalog.h): quoted identifiers, and the
 * CREATE TABLE body of a memory sink's rows (INTEGER, REAL, BLOB, TEXT by
 * the column's type). */
#include "catalog/catalog_int.h"

void wr_catalog_quote(wr_buf *b, const char *s) {
    wr_buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"') wr_buf_putc(b, '"');
        wr_buf_putc(b, *s);
    }
    wr_buf_putc(b, '"');
}

static const char *sql_type(wr_type t) {
    switch (t.kind) {
    case WR_T_BOOL:
    case WR_T_INT:
    case WR_T_BIGINT:
        return "INTEGER";
    case WR_T_DOUBLE:
        return "REAL";
    case WR_T_BINARY:
        return "BLOB";
    default:
        return "TEXT";
    }
}

void wr_catalog_table_sql(wr_buf *b, const char *quoted_name, const wr_schema *sc) {
    wr_buf_printf(b, "%s (", quoted_name);
    for (int c = 0; c < sc->n; c++) {
        if (c) wr_buf_puts(b, ", ");
        wr_catalog_quote(b, sc->cols[c].name);
        wr_buf_printf(b, " %s", sql_type(sc->cols[c].type));
    }
    wr_buf_puts(b, ")");
}
