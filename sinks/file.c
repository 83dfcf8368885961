/* The csv and json file sinks: each batch's rows go to one file under the
 * sink's path (batch-<N>.csv|json, written to a temporary name, fsynced,
 * renamed), then the batch is committed by a metadata log entry
 * _spark_metadata/<N> naming the file, in Spark's format (write, then
 * commit). The driver never writes a batch the log holds, so a replay after
 * a crash changes nothing; readers that follow the log never see a file of
 * an unfinished batch. Beside the log, _weir_sink ({"queryId": ...}, written durably
 * before the query's first entry) says which query the entries belong to;
 * Spark's readers skip files whose names begin with '_'. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sinks/sinks_int.h"

static const wr_optspec csv_options[] = {
    {"path", WR_OPT_STRING, NULL, "a folder", 0, 0, "the folder its files go to", WR_OPT_NONEMPTY},
    WR_SINK_COMMON_OPTIONS,
    {"header", WR_OPT_BOOL, "false", NULL, 0, 0, "a line of column names at the top of each file",
     0},
    {"sep", WR_OPT_CHAR, ",", NULL, 0, 0, "the field separator (\\t: a tab)", 0},
    {"delimiter", WR_OPT_CHAR, ",", NULL, 0, 0, "the same as sep (Spark's other name for it)", 0},
    {"quote", WR_OPT_CHAR, "\"", NULL, 0, 0, "encloses fields that hold sep, quote or line breaks",
     0},
    {"escape", WR_OPT_CHAR, "\\", NULL, 0, 0, "goes before a quote inside a quoted field", 0},
    {NULL},
};

static const wr_optspec json_options[] = {
    {"path", WR_OPT_STRING, NULL, "a folder", 0, 0, "the folder its files go to", WR_OPT_NONEMPTY},
    WR_SINK_COMMON_OPTIONS,
    {NULL},
};

static char option_char(const char *v, char dflt) {
    if (!v) return dflt;
    return !strcmp(v, "\\t") ? '\t' : v[0];
}

void wr_file_fmt_of(const wr_sink_def *d, wr_file_fmt *f) {
    f->csv = d->kind == &wr_csv_sink;
    f->path = wr_sink_opt(d, "path");
    const char *h = wr_sink_opt(d, "header");
    f->header = h && !strcasecmp(h, "true");
    const char *sep = NULL; /* sep or delimiter, whichever came last */
    for (int i = 0; i < d->nopts; i++)
        if (!strcasecmp(d->opts[i].key, "sep") || !strcasecmp(d->opts[i].key, "delimiter"))
            sep = d->opts[i].value;
    f->sep = option_char(sep, ',');
    f->quote = option_char(wr_sink_opt(d, "quote"), '"');
    f->escape = option_char(wr_sink_opt(d, "escape"), '\\');
}

char *wr_file_sink_log(const wr_file_fmt *f, int64_t batch) {
    if (batch < 0) return wr_xasprintf("%s/_spark_metadata", f->path);
    return wr_xasprintf("%s/_spark_metadata/%lld", f->path, (long long)batch);
}

/* Spark's file timestamp format: yyyy-MM-dd'T'HH:mm:ss.SSSXXX (UTC: Z). */
static void put_ts(wr_buf *b, int64_t us) {
    int64_t frac = ((us % 1000000) + 1000000) % 1000000;
    size_t at = b->len;
    wr_ts_format(b, us - frac);
    b->p[at + 10] = 'T';
    wr_buf_printf(b, ".%03dZ", (int)(frac / 1000));
}

static bool needs_quotes(const wr_file_fmt *d, const char *s, size_t n) {
    if (!n || s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t') return true;
    for (size_t i = 0; i < n; i++)
        if (s[i] == d->sep || s[i] == d->quote || s[i] == d->escape || s[i] == '\n' || s[i] == '\r')
            return true;
    return false;
}

/* A csv field: NULL is empty, the empty string is "" (Spark's defaults);
 * quoted when it holds sep, quote, escape, a line break or edge spaces. */
static void csv_field(wr_buf *b, const wr_file_fmt *d, const char *s, size_t n) {
    if (!needs_quotes(d, s, n)) {
        wr_buf_put(b, s, n);
        return;
    }
    wr_buf_putc(b, d->quote);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == d->quote || s[i] == d->escape) wr_buf_putc(b, d->escape);
        wr_buf_putc(b, s[i]);
    }
    wr_buf_putc(b, d->quote);
}

static void csv_value(wr_buf *b, const wr_file_fmt *d, wr_val v, wr_type t, wr_buf *tmp) {
    if (v.null) return;
    tmp->len = 0;
    if (t.kind == WR_T_TIMESTAMP)
        put_ts(tmp, v.u.i);
    else if (t.kind == WR_T_STRING)
        wr_buf_put(tmp, v.u.p, v.len);
    else
        wr_val_format(tmp, v, t, false);
    csv_field(b, d, tmp->p ? tmp->p : "", tmp->len);
}

static void json_string_put(wr_buf *b, const char *s, size_t n) {
    wr_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            wr_buf_putc(b, '\\'), wr_buf_putc(b, (char)c);
        else if (c == '\n')
            wr_buf_puts(b, "\\n");
        else if (c == '\r')
            wr_buf_puts(b, "\\r");
        else if (c == '\t')
            wr_buf_puts(b, "\\t");
        else if (c < 0x20)
            wr_buf_printf(b, "\\u%04x", c);
        else
            wr_buf_putc(b, (char)c);
    }
    wr_buf_putc(b, '"');
}

/* A JSON value as Spark writes it: numbers bare (NaN and infinities as
 * strings), binary as base64, timestamps as strings, arrays as arrays. */
static void json_value(wr_buf *b, wr_val v, wr_type t) {
    if (v.null) {
        wr_buf_puts(b, "null");
        return;
    }
    switch (t.kind) {
    case WR_T_STRING:
        json_string_put(b, v.u.p, v.len);
        break;
    case WR_T_BINARY:
        wr_buf_putc(b, '"');
        wr_base64_encode(b, v.u.p, v.len);
        wr_buf_putc(b, '"');
        break;
    case WR_T_TIMESTAMP:
        wr_buf_putc(b, '"');
        put_ts(b, v.u.i);
        wr_buf_putc(b, '"');
        break;
    case WR_T_DOUBLE:
        if (!isfinite(v.u.d)) wr_buf_putc(b, '"');
        wr_val_format(b, v, t, false);
        if (!isfinite(v.u.d)) wr_buf_putc(b, '"');
        break;
    case WR_T_WINDOW:
        wr_buf_puts(b, "{\"start\":");
        json_value(b, v.u.a->items[0], WR_TYPE(WR_T_TIMESTAMP));
        wr_buf_puts(b, ",\"end\":");
        json_value(b, v.u.a->items[1], WR_TYPE(WR_T_TIMESTAMP));
        wr_buf_putc(b, '}');
        break;
    case WR_T_ARRAY:
        wr_buf_putc(b, '[');
        for (int32_t i = 0; i < v.u.a->n; i++) {
            if (i) wr_buf_putc(b, ',');
            json_value(b, v.u.a->items[i], WR_TYPE(t.elem));
        }
        wr_buf_putc(b, ']');
        break;
    default:
        wr_val_format(b, v, t, false);
        break;
    }
}

typedef struct fsink {
    wr_sink base;
    wr_file_fmt fmt;
    char *log;     /* path/_spark_metadata */
    char *id_file; /* path/_weir_sink */
    bool bound;    /* id_file names the query's id */
    bool log_made; /* the log's folder exists */
    char *pending; /* the batch's data file, written, not yet in the log */
    int64_t pending_size;
} fsink;

static void format_rows(const fsink *f, const wr_batch *rows, wr_buf *b) {
    const wr_schema *sc = &f->base.query->out;
    const wr_file_fmt *d = &f->fmt;
    size_t nc = (size_t)sc->n;
    wr_buf tmp = {0};
    if (d->csv && d->header) {
        for (size_t c = 0; c < nc; c++) {
            if (c) wr_buf_putc(b, d->sep);
            csv_field(b, d, sc->cols[c].name, strlen(sc->cols[c].name));
        }
        wr_buf_putc(b, '\n');
    }
    for (size_t r = 0; r < rows->n; r++) {
        const wr_val *row = wr_batch_row(rows, r);
        if (d->csv) {
            for (size_t c = 0; c < nc; c++) {
                if (c) wr_buf_putc(b, d->sep);
                csv_value(b, d, row[c], sc->cols[c].type, &tmp);
            }
        } else { /* Spark leaves NULL fields out (ignoreNullFields) */
            wr_buf_putc(b, '{');
            bool first = true;
            for (size_t c = 0; c < nc; c++) {
                if (row[c].null) continue;
                if (!first) wr_buf_putc(b, ',');
                first = false;
                json_string_put(b, sc->cols[c].name, strlen(sc->cols[c].name));
                wr_buf_putc(b, ':');
                json_value(b, row[c], sc->cols[c].type);
            }
            wr_buf_putc(b, '}');
        }
        wr_buf_putc(b, '\n');
    }
    wr_buf_free(&tmp);
}

static void file_close(wr_sink *s) {
    fsink *f = (fsink *)s;
    free(f->log);
    free(f->id_file);
    free(f->pending);
    free(f);
}

static wr_sink *file_open(const wr_sink_def *def, const wr_query *q, const wr_sink_env *env,
                          const char *query_id, wr_err *err) {
    fsink *f = wr_xcalloc(1, sizeof *f);
    f->base = (wr_sink){.def = def, .query = q, .env = env};
    snprintf(f->base.query_id, sizeof f->base.query_id, "%s", query_id);
    wr_file_fmt_of(def, &f->fmt);
    f->log = wr_file_sink_log(&f->fmt, -1);
    f->id_file = wr_xasprintf("%s/_weir_sink", f->fmt.path);
    if (!wr_mkdirs(f->fmt.path, err)) { /* the log's folder comes with the first batch */
        file_close(&f->base);
        return NULL;
    }
    return &f->base;
}

/* The batch's rows go to their own file (durably, under its final name:
 * nothing reads it before the log names it). */
static bool file_write(wr_sink *s, int64_t batch, const wr_batch *rows, wr_err *err) {
    fsink *f = (fsink *)s;
    free(f->pending);
    f->pending = NULL;
    if (!rows->n) return true;
    wr_buf data = {0};
    format_rows(f, rows, &data);
    char *file = wr_xasprintf("%s/batch-%lld.%s", f->fmt.path, (long long)batch,
                              f->fmt.csv ? "csv" : "json");
    bool ok = wr_write_durable(file, data.p, data.len, err);
    if (ok) {
        f->pending = file;
        f->pending_size = (int64_t)data.len;
    } else {
        free(file);
    }
    wr_buf_free(&data);
    return ok;
}

/* The batch is committed by its log entry, which names its file. */
static bool file_commit(wr_sink *s, int64_t batch, wr_err *err) {
    fsink *f = (fsink *)s;
    bool ok = f->log_made || (f->log_made = wr_mkdirs(f->log, err));
    if (ok && !f->bound) { /* the query's first entry here: say whose entries these are */
        json_t *j = json_pack("{s:s}", "queryId", s->query_id);
        char *text = json_dumps(j, JSON_COMPACT);
        ok = f->bound = wr_write_durable(f->id_file, text, strlen(text), err);
        free(text);
        json_decref(j);
    }
    wr_buf entry = {0};
    wr_buf_puts(&entry, "v1");
    if (ok && f->pending) {
        char *abs = realpath(f->pending, NULL);
        json_t *j = json_pack("{s:s+, s:I, s:b, s:I, s:i, s:I, s:s}", "path", "file://",
                              abs ? abs : f->pending, "size", (json_int_t)f->pending_size, "isDir",
                              0, "modificationTime", (json_int_t)wr_wall_ms(), "blockReplication",
                              1, "blockSize", (json_int_t)33554432, "action", "add");
        char *line = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        wr_buf_printf(&entry, "\n%s", line);
        free(line);
        json_decref(j);
        free(abs);
    }
    char *log = wr_file_sink_log(&f->fmt, batch);
    if (ok) ok = wr_write_durable(log, entry.p, entry.len, err);
    free(log);
    wr_buf_free(&entry);
    free(f->pending);
    f->pending = NULL;
    return ok;
}

/* A file no log entry names is never read; the next try rewrites it. */
static void file_abort(wr_sink *s, int64_t batch) {
    (void)batch;
    fsink *f = (fsink *)s;
    free(f->pending);
    f->pending = NULL;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The query id in _weir_sink and the newest entry of the log; entries are
 * never compacted, so 0..newest must all be there. */
static bool file_last_committed(wr_sink *s, wr_sink_held *h, wr_err *err) {
    fsink *f = (fsink *)s;
    const wr_sink_def *d = s->def;
    const char *ck = d->checkpoint ? d->checkpoint : "its checkpoint";
    h->where = f->log;
    h->id_file = f->id_file;
    h->output = f->fmt.path;
    h->query_id[0] = '\0';
    h->last_batch = -1;
    size_t len;
    char *text = wr_read_file(f->id_file, &len);
    if (text) {
        json_t *j = json_loads(text, 0, NULL);
        const char *id = json_string_value(json_object_get(j, "queryId"));
        bool valid = id && *id && strlen(id) < sizeof h->query_id;
        if (valid)
            snprintf(h->query_id, sizeof h->query_id, "%s", id);
        else
            wr_fail(err, WR_ERR_CORRUPT,
                    "file sink %s: %s is damaged (expected {\"queryId\": \"...\"}); restore it, or "
                    "remove %s and %s to start fresh",
                    d->name, f->id_file, f->fmt.path, ck);
        json_decref(j);
        free(text);
        if (!valid) return false;
    } else if (errno != ENOENT) {
        return wr_fail(err, WR_ERR_IO, "file sink %s: cannot read %s: %s", d->name, f->id_file,
                       strerror(errno));
    }
    DIR *dh = opendir(f->log);
    if (!dh) {
        if (errno == ENOENT) return true;
        return wr_fail(err, WR_ERR_IO, "file sink %s: cannot read %s: %s", d->name, f->log,
                       strerror(errno));
    }
    int64_t *b = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(dh))) {
        int64_t v;
        if (!wr_parse_i64(e->d_name, 0, INT64_MAX, &v)) continue;
        if (n == cap) b = wr_xrealloc(b, sizeof *b * (cap = cap ? cap * 2 : 64));
        b[n++] = v;
    }
    closedir(dh);
    if (n) qsort(b, n, sizeof *b, cmp_i64);
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++)
        if (b[i] != (int64_t)i)
            ok = wr_fail(err, WR_ERR_CORRUPT,
                         "file sink %s: its log %s has entries up to %lld but no %s/%lld: restore "
                         "that file, or remove %s and %s to start fresh",
                         d->name, f->log, (long long)b[n - 1], f->log, (long long)i, f->fmt.path,
                         ck);
    if (ok && n) h->last_batch = b[n - 1];
    f->log_made = n > 0;
    f->bound = ok && !strcmp(h->query_id, s->query_id);
    free(b);
    return ok;
}

static char *file_describe(const wr_sink_def *def) {
    return wr_xasprintf("FileSink[%s]", wr_sink_opt(def, "path"));
}

static wr_sql_kind file_sql(const wr_sink_def *def, const char **file) {
    (void)def;
    *file = NULL;
    return WR_SQL_LOAD;
}

static bool check_options(const wr_sink_def *def, wr_err *err) {
    wr_file_fmt f;
    wr_file_fmt_of(def, &f);
    if (!f.path)
        return wr_fail(err, WR_ERR_USAGE,
                       "a %s sink needs option path (the folder its files go to)", def->kind->name);
    if (f.csv && (f.sep == f.quote || f.sep == f.escape))
        return wr_fail(err, WR_ERR_USAGE, "csv sink %s: sep must differ from quote and escape",
                       def->name);
    return true;
}

/* Files are only ever added: each row must be final when written, and the
 * checkpoint is what makes a replay skip what the log holds. */
static bool check_query(const wr_sink_def *def, const wr_query *q, wr_err *err) {
    const char *fmt = def->kind->name;
    if (def->mode != WR_MODE_APPEND)
        return wr_fail(err, WR_ERR_USAGE,
                       "a %s sink only appends (files are never rewritten): outputMode '%s' is not "
                       "allowed for sink %s",
                       fmt, def->mode == WR_MODE_UPDATE ? "update" : "complete", def->name);
    if (q->agg && !(q->agg->wm_expr && q->agg->event_key >= 0))
        return wr_fail(err, WR_ERR_USAGE,
                       "a %s sink only appends, and an aggregation without a watermark never "
                       "finishes a row: aggregate by an event-time window with a WATERMARK, or "
                       "write to a memory sink (outputMode 'complete' or 'update') for sink %s",
                       fmt, def->name);
    if (!def->checkpoint)
        return wr_fail(err, WR_ERR_USAGE,
                       "a %s sink is exactly-once through its checkpoint: give sink %s option "
                       "checkpointLocation (or weir run --checkpoint DIR)",
                       fmt, def->name);
    for (int i = 0; def->kind == &wr_csv_sink && i < q->out.n; i++) {
        wr_kind k = (wr_kind)q->out.cols[i].type.kind;
        if (k == WR_T_BINARY || k == WR_T_ARRAY || k == WR_T_WINDOW)
            return wr_fail(err, WR_ERR_USAGE,
                           "a csv sink cannot hold column %s of type %s: cast it to STRING, or use "
                           "a json sink",
                           q->out.cols[i].name, wr_type_name(q->out.cols[i].type));
    }
    return true;
}

static bool file_load(const wr_sink_def *def, const wr_query *q, const wr_sink_env *env,
                      wr_err *err) {
    return wr_file_sink_load(def, q, env, err);
}

static const wr_sink_ops ops = {
    .open = file_open,
    .last_committed = file_last_committed,
    .write = file_write,
    .commit = file_commit,
    .abort = file_abort,
    .close = file_close,
    .describe = file_describe,
    .sql = file_sql,
    .load = file_load,
};

const wr_sink_kind wr_csv_sink = {.name = "csv",
                                  .options = csv_options,
                                  .modes = WR_MODES_APPEND,
                                  .check_options = check_options,
                                  .check_query = check_query,
                                  .ops = &ops};
const wr_sink_kind wr_json_sink = {.name = "json",
                                   .options = json_options,
                                   .modes = WR_MODES_APPEND,
                                   .check_options = check_options,
                                   .check_query = check_query,
                                   .ops = &ops};
