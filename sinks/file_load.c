/* Reading a csv or json file sink back (sinks_int.h): only the files its
 * metadata log commits, batch by batch, parsed with the sink's own options
 * into a SQLite table named after the sink, for the trailing SELECTs. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sinks/sinks_int.h"

typedef struct loader {
    const wr_query *q;
    const wr_file_fmt *d;
    wr_arena arena;
    wr_batch rows;
    const char *file;
    int line;
    wr_err *err;
} loader;

static wr_val *new_row(loader *l) {
    return wr_batch_add(&l->rows);
}

/* A text field to a column's type, as CAST(... AS type) does. */
static wr_val from_text(loader *l, const char *s, size_t n, wr_type t) {
    wr_val v = wr_str(wr_arena_strndup(&l->arena, s, n), n);
    return t.kind == WR_T_STRING ? v : wr_cast(v, WR_TYPE(WR_T_STRING), t, &l->arena);
}

/* ---- csv ---- */

/* Parses one record at *p; fields go to cells (NULL for an empty unquoted
 * field). Returns the field count, -1 on an unterminated quote. */
static int csv_record(loader *l, const char **p, const char *end, wr_buf *cells, size_t *starts,
                      size_t *lens, bool *nulls, int max) {
    const wr_file_fmt *d = l->d;
    const char *s = *p;
    int n = 0;
    cells->len = 0;
    for (;;) {
        size_t start = cells->len;
        bool quoted = s < end && *s == d->quote;
        if (quoted) {
            s++;
            for (;;) {
                if (s >= end) return -1;
                if (*s == d->quote && d->escape == d->quote && s + 1 < end && s[1] == d->quote) {
                    wr_buf_putc(cells, d->quote);
                    s += 2;
                } else if (*s == d->quote) {
                    s++;
                    break;
                } else if (*s == d->escape && d->escape != d->quote && s + 1 < end) {
                    wr_buf_putc(cells, s[1]);
                    s += 2;
                } else {
                    if (*s == '\n') l->line++;
                    wr_buf_putc(cells, *s++);
                }
            }
        }
        while (s < end && *s != d->sep && *s != '\n')
            wr_buf_putc(cells, *s++);
        if (!quoted && cells->len > start && cells->p[cells->len - 1] == '\r' &&
            (s >= end || *s == '\n'))
            cells->len--;
        if (n < max) {
            starts[n] = start;
            lens[n] = cells->len - start;
            nulls[n] = !quoted && cells->len == start;
        }
        n++;
        if (s < end && *s == d->sep) {
            s++;
            continue;
        }
        if (s < end) s++; /* the newline */
        break;
    }
    *p = s;
    return n;
}

static bool load_csv(loader *l, const char *text, size_t len) {
    const wr_schema *sc = &l->q->out;
    int nc = sc->n;
    wr_buf cells = {0};
    size_t *starts = wr_xcalloc((size_t)nc + 1, sizeof *starts),
           *lens = wr_xcalloc((size_t)nc + 1, sizeof *lens);
    bool *nulls = wr_xcalloc((size_t)nc + 1, sizeof *nulls), ok = true;
    const char *p = text, *end = text + len;
    for (l->line = 1; p < end && ok; l->line++) {
        int n = csv_record(l, &p, end, &cells, starts, lens, nulls, nc);
        if (n != nc) {
            wr_fail(l->err, WR_ERR_CORRUPT, "%s:%d: %s (expected %d fields)", l->file, l->line,
                    n < 0 ? "a quoted field does not end" : "wrong number of fields", nc);
            ok = false;
        } else if (!(l->d->header && l->line == 1)) {
            wr_val *row = new_row(l);
            for (int c = 0; c < nc; c++)
                row[c] = nulls[c] ? wr_null()
                                  : from_text(l, cells.p + starts[c], lens[c], sc->cols[c].type);
        }
    }
    wr_buf_free(&cells);
    free(starts), free(lens), free(nulls);
    return ok;
}

/* ---- json ---- */

static wr_val from_json(loader *l, json_t *j, wr_type t) {
    if (!j || json_is_null(j)) return wr_null();
    switch (t.kind) {
    case WR_T_BOOL:
        return json_is_boolean(j) ? wr_int(json_is_true(j)) : wr_null();
    case WR_T_INT:
    case WR_T_BIGINT:
        return json_is_integer(j) ? wr_int(json_integer_value(j)) : wr_null();
    case WR_T_DOUBLE:
        if (json_is_number(j)) return wr_dbl(json_number_value(j));
        return json_is_string(j) ? from_text(l, json_string_value(j), json_string_length(j), t)
                                 : wr_null();
    case WR_T_STRING:
    case WR_T_TIMESTAMP:
        return json_is_string(j) ? from_text(l, json_string_value(j), json_string_length(j), t)
                                 : wr_null();
    case WR_T_BINARY: {
        wr_buf b = {0};
        if (!json_is_string(j) ||
            !wr_base64_decode(&b, json_string_value(j), json_string_length(j))) {
            wr_buf_free(&b);
            return wr_null();
        }
        wr_val v = wr_str(wr_arena_strndup(&l->arena, b.p ? b.p : "", b.len), b.len);
        wr_buf_free(&b);
        return v;
    }
    case WR_T_WINDOW: {
        wr_val s = from_json(l, json_object_get(j, "start"), WR_TYPE(WR_T_TIMESTAMP)),
               e = from_json(l, json_object_get(j, "end"), WR_TYPE(WR_T_TIMESTAMP));
        if (s.null || e.null) return wr_null();
        wr_arr *a = wr_arena_alloc(&l->arena, sizeof *a + sizeof(wr_val) * 2);
        a->n = 2;
        a->items[0] = s, a->items[1] = e;
        wr_val v = {.u.a = a};
        return v;
    }
    case WR_T_ARRAY: {
        if (!json_is_array(j)) return wr_null();
        size_t n = json_array_size(j);
        wr_arr *a = wr_arena_alloc(&l->arena, sizeof *a + sizeof(wr_val) * n);
        a->n = (int32_t)n;
        for (size_t i = 0; i < n; i++)
            a->items[i] = from_json(l, json_array_get(j, i), WR_TYPE(t.elem));
        wr_val v = {.u.a = a};
        return v;
    }
    default:
        return wr_null();
    }
}

static bool load_json(loader *l, char *text, size_t len) {
    const wr_schema *sc = &l->q->out;
    char *p = text, *end = text + len;
    for (l->line = 1; p < end; l->line++) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        json_error_t je;
        json_t *o = json_loadb(p, n, 0, &je);
        if (!json_is_object(o)) {
            wr_fail(l->err, WR_ERR_CORRUPT, "%s:%d: not a JSON object: %s", l->file, l->line,
                    o ? "another JSON value" : je.text);
            json_decref(o);
            return false;
        }
        wr_val *row = new_row(l);
        for (int c = 0; c < sc->n; c++)
            row[c] = from_json(l, json_object_get(o, sc->cols[c].name), sc->cols[c].type);
        json_decref(o);
        p += n + 1;
    }
    return true;
}

/* ---- the log ---- */

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Loads the files one log entry commits into l->rows. */
static bool load_entry(loader *l, const char *entry) {
    size_t len;
    char *text = wr_read_file(entry, &len);
    if (!text || strncmp(text, "v1", 2) || (len > 2 && text[2] != '\n')) {
        wr_fail(l->err, WR_ERR_CORRUPT, "file sink log entry %s is %s", entry,
                text ? "damaged (it must begin with v1)" : "unreadable");
        free(text);
        return false;
    }
    bool ok = true;
    for (char *save = NULL, *line = strtok_r(text + 2, "\n", &save); line && ok;
         line = strtok_r(NULL, "\n", &save)) {
        json_t *j = json_loads(line, 0, NULL);
        const char *path = json_string_value(json_object_get(j, "path"));
        if (!path) {
            wr_fail(l->err, WR_ERR_CORRUPT,
                    "file sink log entry %s is damaged (a line without a path)", entry);
            ok = false;
        } else {
            /* the file's name within the sink folder (the folder may have moved) */
            const char *base = strrchr(path, '/');
            char *file = wr_xasprintf("%s/%s", l->d->path, base ? base + 1 : path);
            size_t flen;
            char *data = wr_read_file(file, &flen);
            if (!data) {
                wr_fail(l->err, WR_ERR_IO, "file %s, committed by %s, cannot be read: %s", file,
                        entry, strerror(errno));
                ok = false;
            } else {
                l->file = file;
                ok = l->d->csv ? load_csv(l, data, flen) : load_json(l, data, flen);
            }
            free(data);
            free(file);
        }
        json_decref(j);
    }
    free(text);
    return ok;
}

bool wr_file_sink_load(const wr_sink_def *def, const wr_query *q, const wr_sink_env *env,
                       wr_err *err) {
    wr_file_fmt fmt;
    wr_file_fmt_of(def, &fmt);
    char *dir = wr_file_sink_log(&fmt, -1);
    DIR *dh = opendir(dir);
    int64_t *batches = NULL;
    size_t nb = 0;
    struct dirent *e;
    while (dh && (e = readdir(dh))) {
        int64_t v;
        if (!wr_parse_i64(e->d_name, 0, INT64_MAX, &v)) continue;
        batches = wr_xrealloc(batches, sizeof *batches * (nb + 1));
        batches[nb++] = v;
    }
    if (dh) closedir(dh);
    free(dir);
    qsort(batches, nb, sizeof *batches, cmp_i64);
    /* a plain table named after the sink, filled as a memory sink in append mode */
    wr_sink_def d = {.name = def->name, .kind = &wr_memory_sink, .mode = WR_MODE_APPEND};
    wr_query tq = *q;
    tq.sink = &d;
    tq.agg = NULL;
    const wr_sink_ops *mops = wr_memory_sink.ops;
    wr_sink *table = mops->open(&d, &tq, env, "", err);
    bool ok = table != NULL;
    loader l = {.q = q, .d = &fmt, .err = err, .rows = {.width = q->out.n}};
    for (size_t i = 0; i < nb && ok; i++) {
        char *entry = wr_file_sink_log(&fmt, batches[i]);
        l.rows.n = 0;
        wr_arena_reset(&l.arena);
        ok = load_entry(&l, entry) && mops->write(table, batches[i], &l.rows, err) &&
             mops->commit(table, batches[i], err);
        free(entry);
    }
    if (table) mops->close(table);
    wr_arena_free(&l.arena);
    wr_batch_free(&l.rows);
    free(batches);
    return ok;
}
