/* The memory sink: a SQLite table named after the sink, in the run's catalog
 * database (catalog.c), written through the sink's own connection, so SQL
 * over it runs on other connections while the stream runs. append inserts
 * the new rows, complete replaces the table's contents, update upserts by
 * the GROUP BY keys; each batch is one transaction, and the databases are in
 * WAL mode: a reader sees whole batches and never holds a writer up. With
 * `path` the table lives in that SQLite file together with the id of the
 * last batch it holds, written in the batch's own transaction: a batch
 * replayed after a crash changes nothing (exactly-once).
 * Also the printer of SQL results over memory sinks (table, csv, json). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "sinks/sinks_int.h"

typedef struct mem {
    sqlite3 *db; /* this sink's connection */
    sqlite3_stmt *insert;
    sqlite3_stmt *insert_many; /* MANY rows a statement: fewer steps for big batches */
    int many;
    wr_buf scratch;                      /* text of the value being bound */
    sqlite3_stmt *del_keys;              /* update mode */
    char *table;                         /* quoted, schema-qualified with path */
    char *schema;                        /* "main" of the sink's own file (path), else NULL */
    sqlite3_stmt *get_batch, *set_batch; /* the last batch the file holds */
} mem;

/* The file a sink's table lives in: its own (path) or the run's catalog. */
static const char *db_file(const wr_sink *s) {
    return s->def->path ? s->def->path : s->env->db_path;
}

/* An SQLite error (code, message) of sink s, naming its file; a damaged
 * durable file says how to start over. */
static bool sql_fail(const wr_sink *s, int code, const char *msg, char *err, size_t errlen) {
    code &= 0xff;
    if (s->def->path && (code == SQLITE_CORRUPT || code == SQLITE_NOTADB))
        wr_errf(
            err, errlen,
            "memory sink %s: %s is damaged (%s): restore it, or remove it and %s to start fresh",
            s->def->name, s->def->path, msg,
            s->def->checkpoint ? s->def->checkpoint : "the query's checkpoint");
    else
        wr_errf(err, errlen, "memory sink %s: %s: %s", s->def->name, db_file(s), msg);
    return false;
}

/* The same for the last error on db. */
static bool db_fail(const wr_sink *s, sqlite3 *db, char *err, size_t errlen) {
    return sql_fail(s, sqlite3_errcode(db), sqlite3_errmsg(db), err, errlen);
}

/* A durable table must have this query's columns. */
static bool same_columns(sqlite3 *db, const mem *m, const wr_sink *s, char *err, size_t errlen) {
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
        wr_errf(err, errlen,
                "memory sink %s: the file %s holds a table %s with other columns than this "
                "query's; remove the file "
                "(and the checkpoint) to start fresh",
                s->def->name, s->def->path, s->def->name);
    return ok;
}

static bool exec(const wr_sink *s, sqlite3 *db, const char *sql, char *err, size_t errlen) {
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        sql_fail(s, sqlite3_errcode(db), msg ? msg : sqlite3_errmsg(db), err, errlen);
        sqlite3_free(msg);
        return false;
    }
    return true;
}

static void memory_close(wr_sink *s);

bool wr_memory_open(wr_sink *s, char *err, size_t errlen) {
    const wr_schema *sc = &s->query->out;
    mem *m = wr_xcalloc(1, sizeof *m);
    wr_buf t = {0}, b = {0};
    int code = 0;
    wr_err why;
    m->db = wr_catalog_connect(db_file(s), s->def->path != NULL, &code, &why);
    if (!m->db) {
        wr_errf(err, errlen, "%s", why.msg);
        free(m);
        size_t n = strlen(err); /* the message names the file */
        if (s->def->path && (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) && n < errlen)
            wr_errf(err + n, errlen - n,
                    "; the file of memory sink %s is damaged: restore it, or remove it and %s to "
                    "start fresh",
                    s->def->name,
                    s->def->checkpoint ? s->def->checkpoint : "the query's checkpoint");
        return false;
    }
    sqlite3 *db = m->db;
    if (s->def->path) {
        m->schema = wr_xstrdup("main");
        wr_buf_puts(&t, "main.");
    }
    wr_catalog_quote(&t, s->def->name);
    m->table = t.p;
    if (m->schema) /* durable: keep what the file holds */
        wr_buf_printf(&b,
                      "CREATE TABLE IF NOT EXISTS %s.weir_batches (sink TEXT PRIMARY KEY, batch "
                      "INTEGER NOT NULL, query TEXT); "
                      "CREATE TABLE IF NOT EXISTS ",
                      m->schema);
    else
        wr_buf_printf(&b, "DROP TABLE IF EXISTS %s; CREATE TABLE ", m->table);
    wr_catalog_table_sql(&b, m->table, &s->query->out);
    wr_buf_puts(&b, ";");
    const wr_aggregate *agg = s->query->agg;
    bool upsert = s->def->mode == WR_MODE_UPDATE && agg && agg->nkeys > 0;
    if (upsert) {
        /* the index name carries the schema; its table must not */
        wr_buf_printf(&b, "CREATE INDEX IF NOT EXISTS \"%s_keys\" ON \"%s\" (", s->def->name,
                      s->def->name);
        for (int k = 0; k < agg->nkeys; k++) {
            if (k) wr_buf_puts(&b, ", ");
            wr_catalog_quote(&b, sc->cols[agg->out_key_cols[k]].name);
        }
        wr_buf_puts(&b, ");");
    }
    bool ok = exec(s, db, b.p, err, errlen);
    if (ok && m->schema &&
        sqlite3_prepare_v2(db, "SELECT query FROM main.weir_batches", -1, &m->get_batch, NULL) !=
            SQLITE_OK)
        ok = exec(s, db, "ALTER TABLE main.weir_batches ADD COLUMN query TEXT", err,
                  errlen); /* a file of an earlier Weir */
    sqlite3_finalize(m->get_batch);
    m->get_batch = NULL;
    b.len = 0;
    wr_buf_printf(&b, "INSERT INTO %s VALUES (", m->table);
    for (int c = 0; c < sc->n; c++)
        wr_buf_puts(&b, c ? ", ?" : "?");
    wr_buf_puts(&b, ")");
    if (ok && sqlite3_prepare_v2(db, b.p, -1, &m->insert, NULL) != SQLITE_OK) {
        ok = db_fail(s, db, err, errlen);
    }
    m->many = sc->n > 0 ? 500 / sc->n : 0; /* under SQLite's 999 host parameters */
    if (m->many > 64) m->many = 64;
    for (int r = 1; ok && r < m->many; r++) {
        wr_buf_puts(&b, ", (");
        for (int c = 0; c < sc->n; c++)
            wr_buf_puts(&b, c ? ", ?" : "?");
        wr_buf_puts(&b, ")");
    }
    if (ok && m->many > 1 && sqlite3_prepare_v2(db, b.p, -1, &m->insert_many, NULL) != SQLITE_OK) {
        ok = db_fail(s, db, err, errlen);
    }
    if (ok && m->schema) {
        ok = same_columns(db, m, s, err, errlen);
        char *g =
            wr_xasprintf("SELECT batch, query FROM %s.weir_batches WHERE sink = ?1", m->schema);
        char *w = wr_xasprintf(
            "INSERT OR REPLACE INTO %s.weir_batches (sink, batch, query) VALUES (?1, ?2, ?3)",
            m->schema);
        if (ok && (sqlite3_prepare_v2(db, g, -1, &m->get_batch, NULL) != SQLITE_OK ||
                   sqlite3_prepare_v2(db, w, -1, &m->set_batch, NULL) != SQLITE_OK))
            ok = db_fail(s, db, err, errlen);
        free(g);
        free(w);
    }
    if (ok && upsert) {
        b.len = 0;
        wr_buf_printf(&b, "DELETE FROM %s WHERE ", m->table);
        for (int k = 0; k < agg->nkeys; k++) {
            if (k) wr_buf_puts(&b, " AND ");
            wr_catalog_quote(&b, sc->cols[agg->out_key_cols[k]].name);
            wr_buf_printf(&b, " IS ?%d", k + 1);
        }
        if (sqlite3_prepare_v2(db, b.p, -1, &m->del_keys, NULL) != SQLITE_OK) {
            ok = db_fail(s, db, err, errlen);
        }
    }
    wr_buf_free(&b);
    s->impl = m;
    if (!ok) memory_close(s);
    return ok;
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

static bool step_done(const wr_sink *s, sqlite3 *db, sqlite3_stmt *st, char *err, size_t errlen) {
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) {
        db_fail(s, db, err, errlen);
        sqlite3_reset(st);
        return false;
    }
    sqlite3_reset(st);
    return true;
}

static bool memory_add(wr_sink *s, int64_t batch_id, const wr_val *rows, size_t nrows, char *err,
                       size_t errlen) {
    mem *m = s->impl;
    sqlite3 *db = m->db;
    const wr_schema *sc = &s->query->out;
    const wr_aggregate *agg = s->query->agg;
    size_t nc = (size_t)sc->n;
    bool ok = exec(s, db, "BEGIN IMMEDIATE", err, errlen);
    if (ok && m->get_batch) { /* a batch the file already holds: replayed after a crash */
        sqlite3_bind_text(m->get_batch, 1, s->def->name, -1, SQLITE_TRANSIENT);
        int rc = sqlite3_step(m->get_batch);
        bool held = rc == SQLITE_ROW && sqlite3_column_int64(m->get_batch, 0) >= batch_id;
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) ok = db_fail(s, db, err, errlen);
        sqlite3_reset(m->get_batch);
        if (held || !ok) {
            exec(s, db, "ROLLBACK", NULL, 0);
            return ok;
        }
    }
    if (ok && s->def->mode == WR_MODE_COMPLETE) {
        char *sql = wr_xasprintf("DELETE FROM %s", m->table);
        ok = exec(s, db, sql, err, errlen);
        free(sql);
    }
    size_t r = 0;
    /* appends go MANY rows a statement; upserts row by row (delete, insert) */
    for (size_t many = (size_t)m->many; ok && !m->del_keys && m->insert_many && r + many <= nrows;
         r += many) {
        for (size_t k = 0; k < many; k++)
            for (size_t c = 0; c < nc; c++)
                bind_val(m->insert_many, (int)(k * nc + c) + 1, rows[(r + k) * nc + c],
                         sc->cols[c].type, &m->scratch);
        ok = step_done(s, db, m->insert_many, err, errlen);
    }
    for (; ok && r < nrows; r++) {
        const wr_val *row = rows + r * nc;
        if (m->del_keys) {
            for (int k = 0; k < agg->nkeys; k++) {
                int c = agg->out_key_cols[k];
                bind_val(m->del_keys, k + 1, row[c], sc->cols[c].type, &m->scratch);
            }
            ok = step_done(s, db, m->del_keys, err, errlen);
        }
        for (size_t c = 0; ok && c < nc; c++)
            bind_val(m->insert, (int)c + 1, row[c], sc->cols[c].type, &m->scratch);
        ok = ok && step_done(s, db, m->insert, err, errlen);
    }
    if (ok && m->set_batch) {
        sqlite3_bind_text(m->set_batch, 1, s->def->name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(m->set_batch, 2, batch_id);
        sqlite3_bind_text(m->set_batch, 3, s->query_id, -1, SQLITE_TRANSIENT);
        ok = step_done(s, db, m->set_batch, err, errlen);
    }
    if (ok)
        ok = exec(s, db, "COMMIT", err, errlen);
    else
        exec(s, db, "ROLLBACK", NULL, 0);
    return ok;
}

/* A durable sink: the last batch and query its weir_batches row records. */
static bool memory_last_committed(wr_sink *s, wr_sink_held *h, char *err, size_t errlen) {
    mem *m = s->impl;
    h->where = h->id_file = s->def->path;
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
    bool ok = rc == SQLITE_ROW || rc == SQLITE_DONE || db_fail(s, m->db, err, errlen);
    sqlite3_reset(m->get_batch);
    return ok;
}

static void memory_close(wr_sink *s) {
    mem *m = s->impl;
    sqlite3_finalize(m->insert);
    sqlite3_finalize(m->insert_many);
    wr_buf_free(&m->scratch);
    sqlite3_finalize(m->del_keys);
    sqlite3_finalize(m->get_batch);
    sqlite3_finalize(m->set_batch);
    sqlite3_close(m->db);
    free(m->table);
    free(m->schema);
    free(m);
}

const wr_sink_ops wr_memory_ops = {memory_add, memory_last_committed, memory_close};
