/* The csv and json file sinks: each batch's rows go to one file under the
 * sink's path (batch-<N>.csv|json, written to a temporary name, fsynced,
 * renamed), then the batch is committed by a metadata log entry
 * _spark_metadata/<N> naming the file, in Spark's format. A batch whose log
 * entry exists is not written again, so a replay after a crash changes
 * nothing; readers that follow the log never see a file of an unfinished
 * batch. */
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
        if (s[i] == d->sep || s[i] == d->quote || s[i] == d->escape || s[i] == '\n' || s[i] == '\r') return true;
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
    if (t.kind == WR_T_TIMESTAMP) put_ts(tmp, v.u.i);
    else if (t.kind == WR_T_STRING) wr_buf_put(tmp, v.u.p, v.len);
    else wr_val_format(tmp, v, t, false);
    csv_field(b, d, tmp->p ? tmp->p : "", tmp->len);
}

static void json_string_put(wr_buf *b, const char *s, size_t n) {
    wr_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') wr_buf_putc(b, '\\'), wr_buf_putc(b, (char)c);
        else if (c == '\n') wr_buf_puts(b, "\\n");
        else if (c == '\r') wr_buf_puts(b, "\\r");
        else if (c == '\t') wr_buf_puts(b, "\\t");
        else if (c < 0x20) wr_buf_printf(b, "\\u%04x", c);
        else wr_buf_putc(b, (char)c);
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
    case WR_T_STRING: json_string_put(b, v.u.p, v.len); break;
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
    default: wr_val_format(b, v, t, false); break;
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

static bool file_add(wr_sink *s, int64_t batch_id, const wr_val *rows, size_t nrows, char *err, size_t errlen) {
    const wr_sink_def *d = s->def;
    char *log = wr_file_sink_log(d, batch_id);
    if (access(log, F_OK) == 0) { /* committed before a crash: replayed */
        free(log);
        return true;
    }
    wr_buf entry = {0};
    wr_buf_puts(&entry, "v1");
    bool ok = true;
    if (nrows) {
        wr_buf data = {0};
        format_rows(s, rows, nrows, &data);
        char *file = wr_xasprintf("%s/batch-%lld.%s", d->path, (long long)batch_id, d->kind == WR_SINK_CSV ? "csv" : "json");
        ok = wr_ckpt_write_file(file, data.p, data.len, err, errlen);
        char *abs = ok ? realpath(file, NULL) : NULL;
        if (ok) {
            json_t *j = json_pack("{s:s+, s:I, s:b, s:I, s:i, s:I, s:s}", "path", "file://", abs ? abs : file, "size", (json_int_t)data.len,
                                  "isDir", 0, "modificationTime", (json_int_t)wr_wall_ms(), "blockReplication", 1, "blockSize",
                                  (json_int_t)33554432, "action", "add");
            char *line = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
            wr_buf_printf(&entry, "\n%s", line);
            free(line);
            json_decref(j);
        }
        free(abs);
        free(file);
        wr_buf_free(&data);
    }
    if (ok) ok = wr_ckpt_write_file(log, entry.p, entry.len, err, errlen);
    wr_buf_free(&entry);
    free(log);
    return ok;
}

static void file_close(wr_sink *s) {
    (void)s;
}

bool wr_file_open(wr_sink *s, char *err, size_t errlen) {
    char *log = wr_file_sink_log(s->def, -1);
    bool ok = wr_mkdirs(log, err, errlen);
    free(log);
    return ok;
}

const wr_sink_ops wr_file_ops = {file_add, file_close};
