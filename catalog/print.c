/* Printing results (wr_catalog.h): a statement's rows as a table (Spark's
 * show() layout, right-aligned), as csv with a header line (NULL an empty
 * field), or as json lines (NULLs left out, as Spark's toJSON). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog_int.h"

static char *cell_text(sqlite3_stmt *st, int c) {
    switch (sqlite3_column_type(st, c)) {
    case SQLITE_NULL:
        return wr_xstrdup("null");
    case SQLITE_FLOAT: {
        wr_buf b = {0};
        wr_val_format(&b, wr_dbl(sqlite3_column_double(st, c)), WR_TYPE(WR_T_DOUBLE), false);
        return b.p;
    }
    case SQLITE_BLOB: {
        wr_buf b = {0};
        wr_val_format(&b, wr_str(sqlite3_column_blob(st, c), (size_t)sqlite3_column_bytes(st, c)),
                      WR_TYPE(WR_T_BINARY), true);
        return b.p;
    }
    default:
        return wr_xstrdup((const char *)sqlite3_column_text(st, c));
    }
}

static void csv_field(FILE *out, const char *s) {
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

bool wr_print_statement(sqlite3_stmt *st, wr_format fmt, FILE *out, wr_err *err) {
    sqlite3 *db = sqlite3_db_handle(st);
    int nc = sqlite3_column_count(st);
    char **headers = wr_xmalloc(sizeof *headers * (size_t)(nc ? nc : 1));
    for (int c = 0; c < nc; c++)
        headers[c] = wr_xstrdup(sqlite3_column_name(st, c));
    char **cells = NULL;
    size_t nrows = 0, cap = 0;
    int rc;
    if (fmt == WR_FMT_CSV) {
        for (int c = 0; c < nc; c++) {
            if (c) fputc(',', out);
            csv_field(out, headers[c]);
        }
        fputc('\n', out);
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (fmt == WR_FMT_TABLE) {
            if ((nrows + 1) * (size_t)nc > cap) {
                cap = cap ? cap * 2 : 64 * (size_t)(nc ? nc : 1);
                while (cap < (nrows + 1) * (size_t)nc)
                    cap *= 2;
                cells = wr_xrealloc(cells, sizeof *cells * cap);
            }
            for (int c = 0; c < nc; c++)
                cells[nrows * (size_t)nc + (size_t)c] = cell_text(st, c);
        } else if (fmt == WR_FMT_CSV) {
            for (int c = 0; c < nc; c++) {
                if (c) fputc(',', out);
                if (sqlite3_column_type(st, c) != SQLITE_NULL) {
                    char *t = cell_text(st, c);
                    csv_field(out, t);
                    free(t);
                }
            }
            fputc('\n', out);
        } else {
            json_t *o = json_object();
            for (int c = 0; c < nc; c++) {
                json_t *v;
                switch (sqlite3_column_type(st, c)) {
                case SQLITE_NULL:
                    v = NULL;
                    break;
                case SQLITE_INTEGER:
                    v = json_integer(sqlite3_column_int64(st, c));
                    break;
                case SQLITE_FLOAT: { /* infinities as strings, as the json sink writes them */
                    double d = sqlite3_column_double(st, c);
                    v = json_real(d); /* NULL for NaN and infinities */
                    if (!v) {
                        char *t = cell_text(st, c);
                        v = json_string(t);
                        free(t);
                    }
                    break;
                }
                default: {
                    char *t = cell_text(st, c);
                    v = json_string(t);
                    if (!v) v = json_stringn_nocheck(t, strlen(t));
                    free(t);
                }
                }
                if (v) json_object_set_new(o, headers[c], v); /* Spark's toJSON leaves out NULLs */
            }
            char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
            fprintf(out, "%s\n", line);
            free(line);
            json_decref(o);
        }
        nrows++;
    }
    bool ok = rc == SQLITE_DONE;
    if (!ok) wr_fail(err, WR_ERR_USAGE, "SELECT failed: %s", sqlite3_errmsg(db));
    if (fmt == WR_FMT_TABLE && ok) wr_print_table(out, nc, headers, cells, nrows, 0, true, false);
    for (size_t i = 0; fmt == WR_FMT_TABLE && i < nrows * (size_t)nc; i++)
        free(cells[i]);
    free(cells);
    for (int c = 0; c < nc; c++)
        free(headers[c]);
    free(headers);
    return ok;
}

void wr_print_rows(FILE *out, wr_format fmt, int ncols, char *const *headers, char *const *cells,
                   size_t nrows) {
    if (fmt == WR_FMT_TABLE) {
        char **shown = wr_xmalloc(sizeof *shown * (nrows * (size_t)ncols + 1));
        for (size_t i = 0; i < nrows * (size_t)ncols; i++)
            shown[i] = cells[i] ? cells[i] : "null";
        wr_print_table(out, ncols, headers, shown, nrows, 0, true, false);
        free(shown);
        return;
    }
    if (fmt == WR_FMT_CSV) {
        for (int c = 0; c < ncols; c++) {
            if (c) fputc(',', out);
            csv_field(out, headers[c]);
        }
        fputc('\n', out);
    }
    for (size_t r = 0; r < nrows; r++) {
        char *const *row = cells + r * (size_t)ncols;
        json_t *o = fmt == WR_FMT_JSON ? json_object() : NULL;
        for (int c = 0; c < ncols; c++) {
            if (o && row[c]) {
                json_t *v = json_string(row[c]);
                json_object_set_new(o, headers[c],
                                    v ? v : json_stringn_nocheck(row[c], strlen(row[c])));
            }
            if (o) continue;
            if (c) fputc(',', out);
            if (row[c]) csv_field(out, row[c]);
        }
        if (o) {
            char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
            fputs(line, out);
            free(line);
            json_decref(o);
        }
        fputc('\n', out);
    }
}
