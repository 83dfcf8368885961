/* Schemas (named, typed columns) and the row batch operators pass around. */
#include <stdlib.h>
#include <strings.h>

#include "core/wr_core.h"

void wr_schema_add(wr_schema *s, const char *name, wr_type type) {
    s->cols = wr_xrealloc(s->cols, sizeof *s->cols * (size_t)(s->n + 1));
    s->cols[s->n++] = (wr_column){wr_xstrdup(name), type};
}

int wr_schema_find(const wr_schema *s, const char *name) {
    for (int i = 0; i < s->n; i++)
        if (!strcasecmp(s->cols[i].name, name)) return i;
    return -1;
}

void wr_schema_free(wr_schema *s) {
    for (int i = 0; i < s->n; i++)
        free(s->cols[i].name);
    free(s->cols);
    s->cols = NULL;
    s->n = 0;
}

void wr_batch_free(wr_batch *b) {
    free(b->rows);
    b->rows = NULL;
    b->n = b->cap = 0;
}
