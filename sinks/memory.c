/* The memory sink: a table named after the sink that SQL over sinks reads
 * while the stream runs. append adds the new rows, complete replaces the
 * table's contents, update upserts by the GROUP BY keys; a reader sees whole
 * batches and never holds a writer up.
 * Without `path` the table is a memory table of the run's catalog
 * (catalog/memtable.c): rows in columns in this process, a batch made
 * visible in one step at commit, read through a virtual table; no SQL runs
 * per row.
 * With `path` the table lives in that SQLite file, written through the
 * sink's own connection (WAL mode, one transaction per batch: write opens
 * it, commit ends it), together with the id of the last batch it holds and
 * of the query, written in the batch's own transaction: the driver never
 * writes a batch the file already holds (exactly-once). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

#include "sinks/sinks_int.h"

typedef struct mem {
    wr_sink base;
    const char *path; /* the durable file (option path), or NULL */
    wr_memtable *mt;  /* without path: the catalog's memory table */
    sqlite3 *db;      /* with path: this sink's connection */
    sqlite3_stmt *insert;
    sqlite3_stmt *insert_many; /* MANY rows a statement: fewer steps for big batches */
    int many;
    wr_buf scratch;                      /* text of the value being bound */
    sqlite3_stmt *del_keys;              /* update mode */
    char *table;                         /* quoted, "main."-qualified with path */
    sqlite3_stmt *get_batch, *set_batch; /* the last batch the file holds */
} mem;

/* The file a sink's table lives in: its own (path) or the run's catalog. */
static const char *db_file(const mem *m) {
    return m->path ? m->path : m->base.env->db_path;
}

/* An SQLite error (code, message) of sink s, naming its file; a damaged
 * durable file says how to start over. */
static bool sql_fail(const mem *m, int code, const char *msg, wr_err *err) {
    const wr_sink_def *d = m->base.def;
    code &= 0xff;
    if (m->path && (code == SQLITE_CORRUPT || code == SQLITE_NOTADB))
        return wr_fail(
            err, WR_ERR_CORRUPT,
            "memory sink %s: %s is damaged (%s): restore it, or remove it and %s to start fresh",
            d->name, m->path, msg, d->checkpoint ? d->checkpoint : "the query's checkpoint");
    return wr_fail(err, WR_ERR_IO, "memory sink %s: %s: %s", d->name, db_file(m), msg);
}

/* The same for the last error on the sink's connection. */
static bool db_fail(const mem *m, wr_err *err) {
    return sql_fail(m, sqlite3_errcode(m->db), sqlite3_errmsg(m->db), err);
}

/* A durable table must have this query's columns. */
static bool same_columns(const mem *m, wr_err *err) {
    sqlite3 *db = m->db;
    const wr_sink *s = &m->base;
    char *sql = wr_xasprintf("SELECT * FROM %s LIMIT 0", m->table);
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK;
    const wr_schema *sc = &s->query->out;
    ok = ok && sqlite3_column_count(st) == sc->n;
    for (int c = 0; ok && c < sc->n; c++)
        ok = !strcmp(sqlite3_column_name(st, c), sc->cols[c].name);
    sqlite3_finalize(st);
    free(sql);
    if (!ok)
        wr_fail(err, WR_ERR_CORRUPT,
                "memory sink %s: the file %s holds a table %s with other columns than this "
                "query's; remove the file "
                "(and the checkpoint) to start fresh",
                s->def->name, m->path, s->def->name);
    return ok;
}

static bool exec(const mem *m, const char *sql, wr_err *err) {
    sqlite3 *db = m->db;
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        sql_fail(m, sqlite3_errcode(db), msg ? msg : sqlite3_errmsg(db), err);
        sqlite3_free(msg);
        return false;
    }
    return true;
}

static const wr_optspec options[] = {
    WR_SINK_COMMON_OPTIONS,
    {"path", WR_OPT_STRING, NULL, "a file", 0, 0,
     "a SQLite file that keeps the table across runs (exactly-once with a checkpoint)",
     WR_OPT_NONEMPTY},
    {NULL},
};

static void memory_close(wr_sink *s) {
    mem *m = (mem *)s;
    wr_memtable_close(m->mt);
    sqlite3_finalize(m->insert);
    sqlite3_finalize(m->insert_many);
    wr_buf_free(&m->scratch);
    sqlite3_finalize(m->del_keys);
    sqlite3_finalize(m->get_batch);
    sqlite3_finalize(m->set_batch);
    sqlite3_close(m->db);
    free(m->table);
    free(m);
}

/* "INSERT INTO table VALUES (?, ...)" with `rows` rows of parameters. */
static bool prepare_insert(mem *m, int rows, sqlite3_stmt **st, wr_err *err) {
    int nc = m->base.query->out.n;
    wr_buf b = {0};
    wr_buf_printf(&b, "INSERT INTO %s VALUES ", m->table);
    for (int r = 0; r < rows; r++) {
        wr_buf_puts(&b, r ? ", (" : "(");
        for (int c = 0; c < nc; c++)
            wr_buf_puts(&b, c ? ", ?" : "?");
        wr_buf_puts(&b, ")");
    }
    bool ok = sqlite3_prepare_v2(m->db, b.p, -1, st, NULL) == SQLITE_OK || db_fail(m, err);
    wr_buf_free(&b);
    return ok;
}

/* The table (and with path, the weir_batches record) and the statements. */
static bool memory_setup(mem *m, wr_err *err) {
    const wr_sink_def *d = m->base.def;
    const wr_schema *sc = &m->base.query->out;
    const wr_aggregate *agg = m->base.query->agg;
    wr_buf b = {0};
    if (m->path) /* durable: keep what the file holds */
        wr_buf_puts(&b, "CREATE TABLE IF NOT EXISTS main.weir_batches (sink TEXT PRIMARY KEY, "
                        "batch INTEGER NOT NULL, query TEXT); CREATE TABLE IF NOT EXISTS ");
    else
        wr_buf_printf(&b, "DROP TABLE IF EXISTS %s; CREATE TABLE ", m->table);
    wr_catalog_table_sql(&b, m->table, sc);
    wr_buf_puts(&b, ";");
    bool upsert = d->mode == WR_MODE_UPDATE && agg && agg->nkeys > 0;
    if (upsert) { /* the index name carries the schema; its table must not */
        wr_buf_puts(&b, "CREATE INDEX IF NOT EXISTS ");
        char *idx = wr_xasprintf("%s_keys", d->name);
        wr_catalog_quote(&b, idx);
        free(idx);
        wr_buf_puts(&b, " ON ");
        wr_catalog_quote(&b, d->name);
        wr_buf_puts(&b, " (");
        for (int k = 0; k < agg->nkeys; k++) {
            if (k) wr_buf_puts(&b, ", ");
            wr_catalog_quote(&b, sc->cols[agg->out_key_cols[k]].name);
        }
        wr_buf_puts(&b, ");");
    }
    bool ok = exec(m, b.p, err);
    if (ok && m->path) {
        sqlite3_stmt *probe = NULL; /* a file of an earlier Weir has no query column */
        if (sqlite3_prepare_v2(m->db, "SELECT query FROM main.weir_batches", -1, &probe, NULL) !=
            SQLITE_OK)
            ok = exec(m, "ALTER TABLE main.weir_batches ADD COLUMN query TEXT", err);
        sqlite3_finalize(probe);
        ok = ok && same_columns(m, err);
        ok = ok && (sqlite3_prepare_v2(m->db,
                                       "SELECT batch, query FROM main.weir_batches WHERE sink = ?1",
                                       -1, &m->get_batch, NULL) == SQLITE_OK ||
                    db_fail(m, err));
        ok = ok && (sqlite3_prepare_v2(m->db,
                                       "INSERT OR REPLACE INTO main.weir_batches (sink, batch, "
                                       "query) VALUES (?1, ?2, ?3)",
                                       -1, &m->set_batch, NULL) == SQLITE_OK ||
                    db_fail(m, err));
    }
    ok = ok && prepare_insert(m, 1, &m->insert, err);
    m->many = sc->n > 0 ? 500 / sc->n : 0; /* under SQLite's 999 host parameters */
    if (m->many > 64) m->many = 64;
    if (ok && m->many > 1) ok = prepare_insert(m, m->many, &m->insert_many, err);
    if (ok && upsert) {
        b.len = 0;
        wr_buf_printf(&b, "DELETE FROM %s WHERE ", m->table);
        for (int k = 0; k < agg->nkeys; k++) {
            if (k) wr_buf_puts(&b, " AND ");
            wr_catalog_quote(&b, sc->cols[agg->out_key_cols[k]].name);
            wr_buf_printf(&b, " IS ?%d", k + 1);
        }
        ok = sqlite3_prepare_v2(m->db, b.p, -1, &m->del_keys, NULL) == SQLITE_OK || db_fail(m, err);
    }
    wr_buf_free(&b);
    return ok;
}

static wr_sink *memory_open(const wr_sink_def *def, const wr_query *q, const wr_sink_env *env,
                            const char *query_id, wr_err *err) {
    mem *m = wr_xcalloc(1, sizeof *m);
    m->base = (wr_sink){.def = def, .query = q, .env = env};
    snprintf(m->base.query_id, sizeof m->base.query_id, "%s", query_id);
    m->path = wr_sink_opt(def, "path");
    if (!m->path) { /* a memory table of the catalog */
        const wr_aggregate *agg = q->agg;
        bool upsert = def->mode == WR_MODE_UPDATE && agg && agg->nkeys > 0;
        wr_memtable_mode mode = upsert                          ? WR_MEMTABLE_UPSERT
                                : def->mode == WR_MODE_COMPLETE ? WR_MEMTABLE_COMPLETE
                                                                : WR_MEMTABLE_APPEND;
        m->mt = wr_memtable_create(env->db_path, def->name, &q->out, mode,
                                   upsert ? agg->out_key_cols : NULL, upsert ? agg->nkeys : 0, err);
        if (!m->mt) {
            free(m);
            return NULL;
        }
        return &m->base;
    }
    int code = 0, ro = m->path ? wr_file_read_only(m->path) : 0;
    if (ro) { /* SQLite would say only "unable to open database file" */
        wr_fail(err, WR_ERR_IO,
                "memory sink %s: %s is read-only (%s): the sink writes its table there, and "
                "SQLite's -wal and -shm files beside it; make it writable or choose another path",
                def->name, m->path, strerror(ro));
        free(m);
        return NULL;
    }
    m->db = wr_catalog_connect(db_file(m), m->path != NULL, &code, err);
    if (!m->db) {
        if (m->path && (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)) {
            size_t n = strlen(err->msg); /* the message names the file */
            snprintf(err->msg + n, sizeof err->msg - n,
                     "; the file of memory sink %s is damaged: restore it, or remove it and %s to "
                     "start fresh",
                     def->name, def->checkpoint ? def->checkpoint : "the query's checkpoint");
            err->code = WR_ERR_CORRUPT;
        }
        free(m);
        return NULL;
    }
    wr_buf t = {0};
    if (m->path) wr_buf_puts(&t, "main.");
    wr_catalog_quote(&t, def->name);
    m->table = t.p;
    if (!memory_setup(m, err)) {
        memory_close(&m->base);
        return NULL;
    }
    return &m->base;
}

/* Binds a value; strings are the batch's own (alive until the statement
 * has run), other text goes through `scratch` and is copied. */
static void bind_val(sqlite3_stmt *st, int i, wr_val v, wr_type t, wr_buf *scratch) {
    if (v.null) {
        sqlite3_bind_null(st, i);
        return;
    }
    switch (t.kind) {
    case WR_T_BOOL:
    case WR_T_INT:
    case WR_T_BIGINT:
        sqlite3_bind_int64(st, i, v.u.i);
        break;
    case WR_T_DOUBLE:
        sqlite3_bind_double(st, i, v.u.d);
        break;
    case WR_T_STRING:
        sqlite3_bind_text(st, i, v.len ? v.u.p : "", (int)v.len, SQLITE_STATIC);
        break;
    case WR_T_BINARY:
        sqlite3_bind_blob(st, i, v.len ? v.u.p : "", (int)v.len, SQLITE_STATIC);
        break;
    default:
        scratch->len = 0;
        wr_val_format(scratch, v, t, false);
        sqlite3_bind_text(st, i, scratch->p ? scratch->p : "", (int)scratch->len, SQLITE_TRANSIENT);
    }
}

static bool step_done(const mem *m, sqlite3_stmt *st, wr_err *err) {
    int rc = sqlite3_step(st);
    bool ok = rc == SQLITE_DONE || db_fail(m, err);
    sqlite3_reset(st);
    return ok;
}

/* A batch opens a transaction that commit ends: append inserts, complete
 * replaces the table's rows, update deletes each row's keys first. */
static bool memory_write(wr_sink *s, int64_t batch, const wr_batch *rows, wr_err *err) {
    (void)batch;
    mem *m = (mem *)s;
    if (m->mt) {
        wr_memtable_write(m->mt, rows);
        return true;
    }
    const wr_schema *sc = &s->query->out;
    const wr_aggregate *agg = s->query->agg;
    size_t nc = (size_t)sc->n, nrows = rows->n;
    bool ok = exec(m, "BEGIN IMMEDIATE", err);
    if (ok && s->def->mode == WR_MODE_COMPLETE) {
        char *sql = wr_xasprintf("DELETE FROM %s", m->table);
        ok = exec(m, sql, err);
        free(sql);
    }
    size_t r = 0;
    /* appends go MANY rows a statement; upserts row by row (delete, insert) */
    for (size_t many = (size_t)m->many; ok && !m->del_keys && m->insert_many && r + many <= nrows;
         r += many) {
        for (size_t k = 0; k < many; k++) {
            const wr_val *row = wr_batch_row(rows, r + k);
            for (size_t c = 0; c < nc; c++)
                bind_val(m->insert_many, (int)(k * nc + c) + 1, row[c], sc->cols[c].type,
                         &m->scratch);
        }
        ok = step_done(m, m->insert_many, err);
    }
    for (; ok && r < nrows; r++) {
        const wr_val *row = wr_batch_row(rows, r);
        if (m->del_keys) {
            for (int k = 0; k < agg->nkeys; k++) {
                int c = agg->out_key_cols[k];
                bind_val(m->del_keys, k + 1, row[c], sc->cols[c].type, &m->scratch);
            }
            ok = step_done(m, m->del_keys, err);
        }
        for (size_t c = 0; ok && c < nc; c++)
            bind_val(m->insert, (int)c + 1, row[c], sc->cols[c].type, &m->scratch);
        ok = ok && step_done(m, m->insert, err);
    }
    if (!ok) exec(m, "ROLLBACK", NULL);
    return ok;
}

/* With path, the batch and the query are recorded in the batch's own
 * transaction: the file holds a batch's rows exactly when it says so. */
static bool memory_commit(wr_sink *s, int64_t batch, wr_err *err) {
    mem *m = (mem *)s;
    if (m->mt) {
        wr_memtable_commit(m->mt);
        return true;
    }
    bool ok = true;
    if (m->set_batch) {
        sqlite3_bind_text(m->set_batch, 1, s->def->name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(m->set_batch, 2, batch);
        sqlite3_bind_text(m->set_batch, 3, s->query_id, -1, SQLITE_TRANSIENT);
        ok = step_done(m, m->set_batch, err);
    }
    ok = ok && exec(m, "COMMIT", err);
    if (!ok) exec(m, "ROLLBACK", NULL);
    return ok;
}

static void memory_abort(wr_sink *s, int64_t batch) {
    (void)batch;
    mem *m = (mem *)s;
    if (m->mt)
        wr_memtable_abort(m->mt);
    else if (!sqlite3_get_autocommit(m->db))
        exec(m, "ROLLBACK", NULL);
}

/* A durable sink: the last batch and query its weir_batches row records. */
static bool memory_last_committed(wr_sink *s, wr_sink_held *h, wr_err *err) {
    mem *m = (mem *)s;
    h->where = h->id_file = h->output = m->path;
    h->query_id[0] = '\0';
    h->last_batch = -1;
    if (!m->get_batch) return true;
    sqlite3_bind_text(m->get_batch, 1, s->def->name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(m->get_batch);
    if (rc == SQLITE_ROW) {
        h->last_batch = sqlite3_column_int64(m->get_batch, 0);
        const char *id = (const char *)sqlite3_column_text(m->get_batch, 1);
        if (id) snprintf(h->query_id, sizeof h->query_id, "%s", id);
    }
    bool ok = rc == SQLITE_ROW || rc == SQLITE_DONE || db_fail(m, err);
    sqlite3_reset(m->get_batch);
    return ok;
}

static char *memory_describe(const wr_sink_def *def) {
    const char *path = wr_sink_opt(def, "path");
    return path ? wr_xasprintf("MemorySink[%s, path=%s]", def->name, path)
                : wr_xasprintf("MemorySink[%s]", def->name);
}

static wr_sql_kind memory_sql(const wr_sink_def *def, const char **file) {
    *file = wr_sink_opt(def, "path");
    return WR_SQL_TABLE;
}

/* With path, the table is in that file, which the run's readers attach. */
static bool memory_own_file(const wr_sink_def *def) {
    return wr_sink_opt(def, "path") != NULL;
}

/* A SQLite table has at most WR_SQL_MAX_COLUMNS columns; update mode
 * upserts by the GROUP BY keys: the table must have them. */
static bool memory_check(const wr_sink_def *def, const wr_query *q, wr_err *err) {
    if (q->out.n > WR_SQL_MAX_COLUMNS)
        return wr_fail(err, WR_ERR_USAGE,
                       "memory sink %s holds at most %d columns (SQLite's limit on a table's "
                       "columns): this query gives it %d",
                       def->name, WR_SQL_MAX_COLUMNS, q->out.n);
    if (!q->agg || def->mode != WR_MODE_UPDATE) return true;
    for (int k = 0; k < q->agg->nkeys; k++)
        if (q->agg->out_key_cols[k] < 0)
            return wr_fail(err, WR_ERR_USAGE,
                           "outputMode 'update' on memory sink %s upserts rows by their GROUP BY "
                           "keys, so every key must be in the select list (key %d is missing)",
                           def->name, k + 1);
    return true;
}

static const wr_sink_ops ops = {
    .open = memory_open,
    .last_committed = memory_last_committed,
    .write = memory_write,
    .commit = memory_commit,
    .abort = memory_abort,
    .close = memory_close,
    .describe = memory_describe,
    .sql = memory_sql,
};

const wr_sink_kind wr_memory_sink = {
    .name = "memory",
    .options = options,
    .modes = WR_MODES_APPEND | WR_MODES_UPDATE | WR_MODES_COMPLETE,
    .check_query = memory_check,
    .ops = &ops,
    .own_file = memory_own_file,
};
