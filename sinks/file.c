/* The csv and json file sinks: each batch's rows go to one file under the
 * sink's path (batch-<N>.csv|json, written to a temporary name, fsynced,
 * renamed), then the batch is committed by a metadata log entry
 * _spark_metadata/<N> naming the file, in Spark's format. A batch whose log
 * entry exists is not written again, so a replay after a crash changes
 * nothing; readers that follow the log never see a file of an unfinished
 * batch. Beside the log, _weir_sink ({"queryId": ...}, written durably
 * before the query's first entry) says which query the entries belong to;
 * Spark's readers skip files whose names begin with '_'. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint/wr_ckpt.h"
#include "sinks/sinks_int.h"

/* Until this module speaks wr_err: a durable write with the old error buffer. */
static bool write_file(const char *path, const void *data, size_t len, char *err, size_t errlen) {
    wr_err e;
    if (wr_write_durable(path, data, len, &e)) return true;
    wr_errf(err, errlen, "%s", e.msg);
    return false;
}

static bool mkdirs(const char *path, char *err, size_t errlen) {
    wr_err e;
    if (wr_mkdirs(path, &e)) return true;
    int saved = errno;
    wr_errf(err, errlen, "%s", e.msg);
    errno = saved;
    return false;
}

char *wr_file_sink_log(const wr_sink_def *d, int64_t batch) {
    if (batch < 0) return wr_xasprintf("%s/_spark_metadata", d->path);
    return wr_xasprintf("%s/_spark_metadata/%lld", d->path, (long long)batch);
}

/* Spark's file timestamp format: yyyy-MM-dd'T'HH:mm:ss.SSSXXX (UTC: Z). */
static void put_ts(wr_buf *b, int64_t us) {
    int64_t frac = ((us % 1000000) + 1000000) % 1000000;
    size_t at = b->len;
    wr_ts_format(b, us - frac);
    b->p[at + 10] = 'T';
    wr_buf_printf(b, ".%03dZ", (int)(frac / 1000));
}

static bool needs_quotes(const wr_sink_def *d, const char *s, size_t n) {
    if (!n || s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t') return true;
    for (size_t i = 0; i < n; i++)
        if (s[i] == d->sep || s[i] == d->quote || s[i] == d->escape || s[i] == '\n' || s[i] == '\r')
            return true;
    return false;
}

/* A csv field: NULL is empty, the empty string is "" (Spark's defaults);
 * quoted when it holds sep, quote, escape, a line break or edge spaces. */
static void csv_field(wr_buf *b, const wr_sink_def *d, const char *s, size_t n) {
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

static void csv_value(wr_buf *b, const wr_sink_def *d, wr_val v, wr_type t, wr_buf *tmp) {
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

static void format_rows(const wr_sink *s, const wr_val *rows, size_t nrows, wr_buf *b) {
    const wr_schema *sc = &s->query->out;
    const wr_sink_def *d = s->def;
    size_t nc = (size_t)sc->n;
    wr_buf tmp = {0};
    if (d->kind == WR_SINK_CSV && d->header) {
        for (size_t c = 0; c < nc; c++) {
            if (c) wr_buf_putc(b, d->sep);
            csv_field(b, d, sc->cols[c].name, strlen(sc->cols[c].name));
        }
        wr_buf_putc(b, '\n');
    }
    for (size_t r = 0; r < nrows; r++) {
        const wr_val *row = rows + r * nc;
        if (d->kind == WR_SINK_CSV) {
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

typedef struct fsink {
    char *log;     /* path/_spark_metadata */
    char *id_file; /* path/_weir_sink */
    bool bound;    /* id_file names s->query_id */
    bool log_made; /* the log's folder exists */
} fsink;

static bool file_add(wr_sink *s, int64_t batch_id, const wr_val *rows, size_t nrows, char *err,
                     size_t errlen) {
    const wr_sink_def *d = s->def;
    fsink *f = s->impl;
    char *log = wr_file_sink_log(d, batch_id);
    if (access(log, F_OK) == 0) { /* committed before a crash: replayed */
        free(log);
        return true;
    }
    bool ok = f->log_made || (f->log_made = mkdirs(f->log, err, errlen));
    if (ok && !f->bound) { /* the query's first entry here: say whose entries these are */
        json_t *j = json_pack("{s:s}", "queryId", s->query_id);
        char *text = json_dumps(j, JSON_COMPACT);
        ok = f->bound = write_file(f->id_file, text, strlen(text), err, errlen);
        free(text);
        json_decref(j);
    }
    wr_buf entry = {0};
    wr_buf_puts(&entry, "v1");
    if (ok && nrows) {
        wr_buf data = {0};
        format_rows(s, rows, nrows, &data);
        char *file = wr_xasprintf("%s/batch-%lld.%s", d->path, (long long)batch_id,
                                  d->kind == WR_SINK_CSV ? "csv" : "json");
        ok = write_file(file, data.p, data.len, err, errlen);
        char *abs = ok ? realpath(file, NULL) : NULL;
        if (ok) {
            json_t *j = json_pack("{s:s+, s:I, s:b, s:I, s:i, s:I, s:s}", "path", "file://",
                                  abs ? abs : file, "size", (json_int_t)data.len, "isDir", 0,
                                  "modificationTime", (json_int_t)wr_wall_ms(), "blockReplication",
                                  1, "blockSize", (json_int_t)33554432, "action", "add");
            char *line = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
            wr_buf_printf(&entry, "\n%s", line);
            free(line);
            json_decref(j);
        }
        free(abs);
        free(file);
        wr_buf_free(&data);
    }
    if (ok) ok = write_file(log, entry.p, entry.len, err, errlen);
    wr_buf_free(&entry);
    free(log);
    return ok;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The query id in _weir_sink and the newest entry of the log; entries are
 * never compacted, so 0..newest must all be there. */
static bool file_last_committed(wr_sink *s, wr_sink_held *h, char *err, size_t errlen) {
    fsink *f = s->impl;
    const wr_sink_def *d = s->def;
    const char *ck = d->checkpoint ? d->checkpoint : "its checkpoint";
    h->where = f->log;
    h->id_file = f->id_file;
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
            wr_errf(err, errlen,
                    "file sink %s: %s is damaged (expected {\"queryId\": \"...\"}); restore it, or "
                    "remove %s and %s to "
                    "start fresh",
                    d->name, f->id_file, d->path, ck);
        json_decref(j);
        free(text);
        if (!valid) return false;
    } else if (errno != ENOENT) {
        wr_errf(err, errlen, "file sink %s: cannot read %s: %s", d->name, f->id_file,
                strerror(errno));
        return false;
    }
    DIR *dh = opendir(f->log);
    if (!dh) {
        if (errno == ENOENT) return true;
        wr_errf(err, errlen, "file sink %s: cannot read %s: %s", d->name, f->log, strerror(errno));
        return false;
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
    qsort(b, n, sizeof *b, cmp_i64);
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++)
        if (b[i] != (int64_t)i) {
            wr_errf(err, errlen,
                    "file sink %s: its log %s has entries up to %lld but no %s/%lld: restore that "
                    "file, or remove %s and %s "
                    "to start fresh",
                    d->name, f->log, (long long)b[n - 1], f->log, (long long)i, d->path, ck);
            ok = false;
        }
    if (ok && n) h->last_batch = b[n - 1];
    f->bound = ok && !strcmp(h->query_id, s->query_id);
    free(b);
    return ok;
}

static void file_close(wr_sink *s) {
    fsink *f = s->impl;
    free(f->log);
    free(f->id_file);
    free(f);
}

bool wr_file_open(wr_sink *s, char *err, size_t errlen) {
    fsink *f = wr_xcalloc(1, sizeof *f);
    f->log = wr_file_sink_log(s->def, -1);
    f->id_file = wr_xasprintf("%s/_weir_sink", s->def->path);
    s->impl = f;
    if (!mkdirs(s->def->path, err, errlen)) { /* the log's folder comes with the first batch */
        file_close(s);
        return false;
    }
    return true;
}

const wr_sink_ops wr_file_ops = {file_add, file_last_committed, file_close};
