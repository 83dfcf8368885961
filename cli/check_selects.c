/* weir run's check of a job's trailing SELECTs before any query starts:
 * each is prepared by a reader over empty tables of the sinks' schemas
 * (memory, csv and json sinks that have a query, and durable memory sinks'
 * files), so a mistake is FILE:LINE:COL at the SELECT, not an error after
 * the streaming work is done. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "catalog/wr_catalog.h"
#include "cli/cli.h"

bool cli_check_selects(const wr_job *job, const char *file, char *errstr, size_t errlen) {
    if (!job->nselects) return true;
    wr_err err;
    wr_reader *r = wr_reader_open(":memory:", &err);
    if (!r) {
        wr_errf(errstr, errlen, "%s: cannot check the trailing SELECTs: %s", file, err.msg);
        return false;
    }
    /* empty tables of every sink a SELECT can read when the streams are done */
    wr_buf b = {0};
    for (int i = 0; i < job->nqueries; i++) {
        const wr_query *q = &job->queries[i];
        const char *own; /* the table's own file */
        wr_sql_kind how = q->sink->kind->ops->sql(q->sink, &own);
        if (how == WR_SQL_NONE) continue;
        if (q->out.n > WR_SQL_MAX_COLUMNS) { /* a csv or json sink: its files hold them */
            wr_errf(errstr, errlen,
                    "%s:%d:%d: SQL over sinks reads at most %d columns (SQLite's limit on a "
                    "table's columns), and %s sink %s has %d",
                    file, job->selects[0].line, job->selects[0].col, WR_SQL_MAX_COLUMNS,
                    q->sink->kind->name, q->sink->name, q->out.n);
            wr_buf_free(&b);
            wr_reader_close(r);
            return false;
        }
        wr_buf name = {0};
        wr_catalog_quote(&name, q->sink->name);
        wr_buf_puts(&b, "CREATE TABLE ");
        wr_catalog_table_sql(&b, name.p, &q->out);
        wr_buf_puts(&b, ";");
        wr_buf_free(&name);
        if (how == WR_SQL_TABLE && own) /* a durable table's file also records its batches */
            wr_buf_puts(&b, "CREATE TABLE IF NOT EXISTS weir_batches (sink TEXT PRIMARY KEY, batch "
                            "INTEGER NOT NULL);");
    }
    bool ok = !b.p || wr_reader_setup(r, b.p, &err);
    wr_buf_free(&b);
    for (int i = 0; ok && i < job->nsinks; i++) { /* a durable sink without a query: its file */
        const wr_sink_def *d = &job->sinks[i];
        bool has_query = false;
        for (int k = 0; k < job->nqueries; k++)
            has_query |= job->queries[k].sink == d;
        const char *own;
        if (!has_query && d->kind->ops->sql(d, &own) == WR_SQL_TABLE && own &&
            access(own, R_OK) == 0)
            ok = wr_reader_attach(r, d->name, own, &err);
    }
    if (!ok) wr_errf(errstr, errlen, "%s: cannot check the trailing SELECTs: %s", file, err.msg);
    for (int i = 0; ok && i < job->nselects; i++) {
        const wr_trailing_select *s = &job->selects[i];
        ok = wr_reader_check(r, s->sql, &err);
        if (!ok) wr_errf(errstr, errlen, "%s:%d:%d: %s", file, s->line, s->col, err.msg);
    }
    wr_reader_close(r);
    return ok;
}
