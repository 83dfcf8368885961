/* Where a statement of SQLite's SQL ends (wr_catalog.h), as SQLite itself
 * says (sqlite3_complete): a string, quoted name, comment or trigger body
 * does not end at the ';' inside it. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/wr_catalog.h"

/* Where the SQLite statement at src[start, len) ends, as sqlite3_complete()
 * says: just past its ';', or len when no ';' ends it but the rest is a
 * statement once one is added (a last statement without ';'); 0 when it
 * does not end (an unterminated string, quoted name, comment or trigger). */
size_t wr_catalog_sql_end(const char *src, size_t len, size_t start, bool open_end) {
    char *t = wr_xmalloc(len - start + 3);
    memcpy(t, src + start, len - start);
    t[len - start] = '\0';
    size_t end = 0;
    for (size_t i = 0; i < len - start && !end; i++) {
        if (t[i] != ';') continue;
        char keep = t[i + 1];
        t[i + 1] = '\0';
        if (sqlite3_complete(t)) end = start + i + 1;
        t[i + 1] = keep;
    }
    if (!end && open_end) {
        memcpy(t + len - start, "\n;", 3);
        if (sqlite3_complete(t)) end = len;
    }
    free(t);
    return end;
}
