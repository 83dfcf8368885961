/* The console sink: prints each batch as Spark's console sink does, a
 * "Batch: N" banner and a bordered table of at most numRows rows. It is
 * at-least-once: a batch replayed after a crash prints again. */
#include <stdlib.h>

#include "sinks/sinks_int.h"

static bool console_add(wr_sink *s, int64_t batch_id, const wr_val *rows, size_t nrows, char *err,
                        size_t errlen) {
    (void)err, (void)errlen;
    const wr_schema *sc = &s->query->out;
    int nc = sc->n;
    size_t shown = nrows < (size_t)s->def->num_rows ? nrows : (size_t)s->def->num_rows;
    char **headers = wr_xmalloc(sizeof *headers * (size_t)(nc ? nc : 1));
    for (int c = 0; c < nc; c++)
        headers[c] = sc->cols[c].name;
    char **cells = wr_xmalloc(sizeof *cells * (shown * (size_t)nc + 1));
    wr_buf b = {0};
    for (size_t r = 0; r < shown; r++)
        for (int c = 0; c < nc; c++) {
            b.len = 0;
            wr_val_format(&b, rows[r * (size_t)nc + (size_t)c], sc->cols[c].type, true);
            cells[r * (size_t)nc + (size_t)c] = wr_xstrndup(b.p ? b.p : "", b.len);
        }
    wr_buf_free(&b);
    pthread_mutex_lock(s->env->out_lock);
    FILE *out = s->env->out;
    fprintf(out,
            "-------------------------------------------\nBatch: "
            "%lld\n-------------------------------------------\n",
            (long long)batch_id);
    wr_print_table(out, nc, headers, cells, shown, s->def->truncate ? 20 : 0, s->def->truncate,
                   nrows > shown);
    fputc('\n', out);
    fflush(out);
    pthread_mutex_unlock(s->env->out_lock);
    for (size_t i = 0; i < shown * (size_t)nc; i++)
        free(cells[i]);
    free(cells);
    free(headers);
    return true;
}

static void console_close(wr_sink *s) {
    (void)s;
}

const wr_sink_ops wr_console_ops = {console_add, NULL, console_close};
