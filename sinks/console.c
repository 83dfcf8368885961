/* The console sink: prints each batch as Spark's console sink does, a
 * "Batch: N" banner and a bordered table of at most numRows rows. It is
 * at-least-once: a batch replayed after a crash prints again. */
#include <stdint.h>
#include <stdlib.h>
#include <strings.h>

#include "sinks/sinks_int.h"

static const wr_optspec options[] = {
    WR_SINK_COMMON_OPTIONS,
    {"numRows", WR_OPT_INT, "20", NULL, 1, INT32_MAX, "rows shown of each batch", 0},
    {"truncate", WR_OPT_BOOL, "true", NULL, 0, 0, "cut values longer than 20 characters", 0},
    {NULL},
};

typedef struct console {
    wr_sink base;
    size_t num_rows;
    bool truncate;
} console;

static wr_sink *console_open(const wr_sink_def *def, const wr_query *q, const wr_sink_env *env,
                             const char *query_id, wr_err *err) {
    (void)query_id, (void)err;
    console *c = wr_xcalloc(1, sizeof *c);
    c->base = (wr_sink){.def = def, .query = q, .env = env};
    const char *n = wr_sink_opt(def, "numRows"), *t = wr_sink_opt(def, "truncate");
    c->num_rows = n ? (size_t)atoll(n) : 20;
    c->truncate = !t || !strcasecmp(t, "true");
    return &c->base;
}

static bool console_write(wr_sink *s, int64_t batch, const wr_batch *rows, wr_err *err) {
    (void)err;
    const console *c = (const console *)s;
    const wr_schema *sc = &s->query->out;
    size_t nc = (size_t)sc->n, nrows = rows->n;
    size_t shown = nrows < c->num_rows ? nrows : c->num_rows;
    char **headers = wr_xmalloc(sizeof *headers * (nc ? nc : 1));
    for (size_t i = 0; i < nc; i++)
        headers[i] = sc->cols[i].name;
    char **cells = wr_xmalloc(sizeof *cells * (shown * nc + 1));
    wr_buf b = {0};
    for (size_t r = 0; r < shown; r++) {
        const wr_val *row = wr_batch_row(rows, r);
        for (size_t i = 0; i < nc; i++) {
            b.len = 0;
            wr_val_format(&b, row[i], sc->cols[i].type, true);
            cells[r * nc + i] = wr_xstrndup(b.p ? b.p : "", b.len);
        }
    }
    wr_buf_free(&b);
    pthread_mutex_lock(s->env->out_lock);
    FILE *out = s->env->out;
    fprintf(out,
            "-------------------------------------------\nBatch: "
            "%lld\n-------------------------------------------\n",
            (long long)batch);
    wr_print_table(out, (int)nc, headers, cells, shown, c->truncate ? 20 : 0, c->truncate,
                   nrows > shown);
    fputc('\n', out);
    fflush(out);
    pthread_mutex_unlock(s->env->out_lock);
    for (size_t i = 0; i < shown * nc; i++)
        free(cells[i]);
    free(cells);
    free(headers);
    return true;
}

static bool console_commit(wr_sink *s, int64_t batch, wr_err *err) {
    (void)s, (void)batch, (void)err;
    return true;
}

static void console_abort(wr_sink *s, int64_t batch) {
    (void)s, (void)batch;
}

static void console_close(wr_sink *s) {
    free(s);
}

static char *console_describe(const wr_sink_def *def) {
    (void)def;
    return wr_xstrdup("ConsoleSink");
}

static wr_sql_kind console_sql(const wr_sink_def *def, const char **file) {
    (void)def;
    *file = NULL;
    return WR_SQL_NONE;
}

static const wr_sink_ops ops = {
    .open = console_open,
    .write = console_write,
    .commit = console_commit,
    .abort = console_abort,
    .close = console_close,
    .describe = console_describe,
    .sql = console_sql,
    .prints = true,
};

const wr_sink_kind wr_console_sink = {
    .name = "console",
    .options = options,
    .modes = WR_MODES_APPEND | WR_MODES_UPDATE | WR_MODES_COMPLETE,
    .ops = &ops,
};
