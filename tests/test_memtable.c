/* Memory tables (catalog/memtable.c), the memory sink's rows read through a
 * virtual table: SQL over one reads exactly as over the SQLite table it
 * replaces (every filter, ORDER BY, joins, on each type, compared row for
 * row with an ordinary table holding the same values); append, complete and
 * update (upsert by keys) keep their meaning; a statement sees whole
 * batches, the same ones in all its cursors, for as long as it runs, while
 * a writer commits; and weir run's trailing SELECTs and weir shell join,
 * filter and sort memory sinks. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/wr_broker.h"
#include "catalog/wr_catalog.h"
#include "support.h"

static char *catalog;

static void setup(void) {
    wr_err err;
    catalog = wr_catalog_create(&err);
    cr_assert(catalog, "%s", err.msg);
}

static void teardown(void) {
    wr_catalog_remove(catalog);
    free(catalog);
}

TestSuite(memtable, .init = setup, .fini = teardown, .timeout = 120);

/* The csv a reader prints for sql (or "error: ..."). */
static char *query(wr_reader *r, const char *sql) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    wr_err err;
    if (!wr_reader_query(r, sql, WR_FMT_CSV, out, &err)) fprintf(out, "error: %s", err.msg);
    fclose(out);
    return text;
}

static wr_schema schema_of(const char *const *names, const wr_type *types, int n) {
    wr_schema sc = {0};
    for (int i = 0; i < n; i++)
        wr_schema_add(&sc, names[i], types[i]);
    return sc;
}

/* Appends a row of `width` values to b. */
static void add(wr_batch *b, const wr_val *vals) {
    memcpy(wr_batch_add(b), vals, sizeof *vals * (size_t)b->width);
}

static const int64_t T0 = 1700000000000000LL; /* 2023-11-14 22:13:20 */

/* Rows of every type the sink writes, and the same rows as an ordinary
 * table `r` would hold them (the SQLite table the sink wrote before). */
static wr_memtable *typed_table(wr_reader **reader, wr_arena *arena) {
    const char *names[] = {"i", "d", "s", "b", "ts", "w", "flag"};
    wr_type types[] = {WR_TYPE(WR_T_BIGINT), WR_TYPE(WR_T_DOUBLE),    WR_TYPE(WR_T_STRING),
                       WR_TYPE(WR_T_BINARY), WR_TYPE(WR_T_TIMESTAMP), WR_TYPE_WINDOW,
                       WR_TYPE(WR_T_BOOL)};
    wr_schema sc = schema_of(names, types, 7);
    wr_err err;
    wr_memtable *t = wr_memtable_create(catalog, "t", &sc, WR_MEMTABLE_APPEND, NULL, 0, &err);
    cr_assert(t, "%s", err.msg);
    wr_batch b = {.width = 7};
    double nan = __builtin_nan("");
    wr_val rows[][7] = {
        {wr_int(1), wr_dbl(1.5), wr_str("a", 1), wr_str("\0\xff", 2), wr_int(T0),
         wr_window_val(arena, T0, T0 + 60000000), wr_int(1)},
        {wr_null(), wr_null(), wr_null(), wr_null(), wr_null(), wr_null(), wr_null()},
        {wr_int(2), wr_dbl(nan), wr_str("", 0), wr_str("", 0), wr_int(T0 + 500000),
         wr_window_val(arena, T0 - 10000000, T0 + 50000000), wr_int(0)},
        {wr_int(-3), wr_dbl(-0.0), wr_str("A", 1), wr_str("a", 1), wr_int(T0 + 1),
         wr_window_val(arena, T0, T0 + 60000000), wr_int(1)},
        {wr_int(1), wr_dbl(1), wr_str("a", 1), wr_str("\0\xff", 2), wr_int(T0 + 60000000),
         wr_window_val(arena, T0, T0 + 60000000), wr_int(0)},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        add(&b, rows[i]);
    wr_memtable_write(t, &b);
    wr_memtable_commit(t);
    wr_batch_free(&b);
    wr_schema_free(&sc);
    *reader = wr_reader_open(catalog, &err);
    cr_assert(*reader, "%s", err.msg);
    cr_assert(wr_reader_setup(
                  *reader,
                  "CREATE TEMP TABLE r (i INTEGER, d REAL, s TEXT, b BLOB, ts TEXT, w TEXT, flag "
                  "INTEGER);"
                  "INSERT INTO r VALUES (1, 1.5, 'a', x'00ff', '2023-11-14 22:13:20', "
                  "'{2023-11-14 22:13:20, 2023-11-14 22:14:20}', 1),"
                  "(NULL, NULL, NULL, NULL, NULL, NULL, NULL),"
                  "(2, NULL, '', x'', '2023-11-14 22:13:20.5', "
                  "'{2023-11-14 22:13:10, 2023-11-14 22:14:10}', 0),"
                  "(-3, -0.0, 'A', x'61', '2023-11-14 22:13:20.000001', "
                  "'{2023-11-14 22:13:20, 2023-11-14 22:14:20}', 1),"
                  "(1, 1.0, 'a', x'00ff', '2023-11-14 22:14:20', "
                  "'{2023-11-14 22:13:20, 2023-11-14 22:14:20}', 0);",
                  &err),
              "%s", err.msg);
    return t;
}

/* Replaces every "@" (a table) in sql with `name`. */
static char *with_table(const char *sql, const char *name) {
    wr_buf b = {0};
    for (const char *p = sql; *p; p++)
        if (*p == '@')
            wr_buf_puts(&b, name);
        else
            wr_buf_putc(&b, *p);
    return b.p;
}

Test(memtable, reads_every_type_and_filter_as_the_sqlite_table_did) {
    wr_arena arena = {0};
    wr_reader *r;
    wr_memtable *t = typed_table(&r, &arena);
    /* @: the table under test; each statement also runs over r */
    static const char *const sqls[] = {
        "SELECT * FROM @",
        "SELECT typeof(i), typeof(d), typeof(s), typeof(b), typeof(ts), typeof(w), typeof(flag), "
        "hex(b), quote(d) FROM @",
        "SELECT i, s FROM @ WHERE i = 1",
        "SELECT i, s FROM @ WHERE i = 1.0",
        "SELECT i, s FROM @ WHERE i = 1.5",
        "SELECT i, s FROM @ WHERE i = '1'",
        "SELECT i, s FROM @ WHERE i = NULL",
        "SELECT i, s FROM @ WHERE i IS NULL",
        "SELECT i, s FROM @ WHERE i = 9223372036854775807",
        "SELECT i, s FROM @ WHERE i = 1e300",
        "SELECT i, d FROM @ WHERE d = 1.5",
        "SELECT i, d FROM @ WHERE d = 1",
        "SELECT i, d FROM @ WHERE d = 0",
        "SELECT i, d FROM @ WHERE d = '1.5'",
        "SELECT i, s FROM @ WHERE s = 'a'",
        "SELECT i, s FROM @ WHERE s = 'a' COLLATE NOCASE",
        "SELECT i, s FROM @ WHERE s = ''",
        "SELECT i, s FROM @ WHERE s = 1",
        "SELECT i, s FROM @ WHERE s LIKE 'A%'",
        "SELECT i, s FROM @ WHERE s IN ('a', 'A')",
        "SELECT i, hex(b) FROM @ WHERE b = x'00ff'",
        "SELECT i, hex(b) FROM @ WHERE b = 'a'",
        "SELECT i, ts FROM @ WHERE ts = '2023-11-14 22:13:20'",
        "SELECT i, ts FROM @ WHERE ts = '2023-11-14 22:13:20.5'",
        "SELECT i, ts FROM @ WHERE ts = '2023-11-14T22:13:20'",
        "SELECT i, ts FROM @ WHERE ts = '2023-11-14 22:13:20.500'",
        "SELECT i, ts FROM @ WHERE ts = 'x'",
        "SELECT i, ts FROM @ WHERE ts > '2023-11-14 22:13:20' ORDER BY ts",
        "SELECT i, w FROM @ WHERE w = '{2023-11-14 22:13:20, 2023-11-14 22:14:20}'",
        "SELECT i, flag FROM @ WHERE flag = 1",
        "SELECT i, s FROM @ WHERE rowid = 2",
        "SELECT i, s FROM @ WHERE rowid = '4'",
        "SELECT i, s FROM @ WHERE rowid = 99",
        "SELECT i, s FROM @ ORDER BY s DESC, i",
        "SELECT s, count(*), sum(i), min(ts), max(d) FROM @ GROUP BY s ORDER BY s",
        "SELECT a.i, b.i, a.s FROM @ AS a JOIN @ AS b ON a.s = b.s ORDER BY a.rowid, b.rowid",
        "SELECT a.i, b.ts FROM @ AS a JOIN @ AS b ON a.i = b.i ORDER BY 1, 2",
        "SELECT a.ts, b.i FROM @ AS a JOIN @ AS b ON a.ts = b.ts ORDER BY 1, 2",
        "SELECT a.i, b.i FROM @ AS a LEFT JOIN @ AS b ON b.d = a.d ORDER BY a.rowid, b.rowid",
        "SELECT i FROM @ WHERE s IN (SELECT s FROM @ WHERE i < 0)",
        "SELECT i, (SELECT count(*) FROM @ AS x WHERE x.s = @.s) AS n FROM @",
        "SELECT DISTINCT s FROM @ ORDER BY 1",
        "SELECT count(*) FROM @",
    };
    for (size_t i = 0; i < sizeof sqls / sizeof sqls[0]; i++) {
        char *on_t = with_table(sqls[i], "t"), *on_r = with_table(sqls[i], "r");
        char *got = query(r, on_t), *want = query(r, on_r);
        cr_assert_str_eq(got, want, "%s:\n%s\nwanted\n%s", on_t, got, want);
        cr_assert(strncmp(got, "error", 5), "%s: %s", on_t, got);
        free(got), free(want), free(on_t), free(on_r);
    }
    char *all = query(r, "SELECT * FROM t"); /* -0.0 reads 0.0, as from a REAL column */
    cr_assert_str_eq(all, "i,d,s,b,ts,w,flag\n"
                          "1,1.5,a,[00 FF],2023-11-14 22:13:20,"
                          "\"{2023-11-14 22:13:20, 2023-11-14 22:14:20}\",1\n"
                          ",,,,,,\n"
                          "2,,,[],2023-11-14 22:13:20.5,\"{2023-11-14 22:13:10, 2023-11-14 "
                          "22:14:10}\",0\n"
                          "-3,0.0,A,[61],2023-11-14 22:13:20.000001,"
                          "\"{2023-11-14 22:13:20, 2023-11-14 22:14:20}\",1\n"
                          "1,1.0,a,[00 FF],2023-11-14 22:14:20,"
                          "\"{2023-11-14 22:13:20, 2023-11-14 22:14:20}\",0\n");
    free(all);
    wr_reader_close(r);
    wr_memtable_close(t);
    wr_arena_free(&arena);
}

/* The rows of a one-column BIGINT table, by batch. */
static wr_memtable *int_table(const char *name, wr_memtable_mode mode, int nkeys) {
    const char *names[] = {"k", "s", "v"};
    wr_type types[] = {WR_TYPE(WR_T_BIGINT), WR_TYPE(WR_T_STRING), WR_TYPE(WR_T_BIGINT)};
    wr_schema sc = schema_of(names, types, 3);
    wr_err err;
    int keys[] = {0, 1};
    wr_memtable *t = wr_memtable_create(catalog, name, &sc, mode, keys, nkeys, &err);
    cr_assert(t, "%s", err.msg);
    wr_schema_free(&sc);
    return t;
}

/* Writes rows "k,s,v;k,s,v" (an empty field: NULL) as one batch. */
static void write_rows(wr_memtable *t, const char *rows) {
    wr_batch b = {.width = 3};
    char *copy = wr_xstrdup(rows), *save = NULL;
    for (char *row = strtok_r(copy, ";", &save); row; row = strtok_r(NULL, ";", &save)) {
        wr_val *v = wr_batch_add(&b);
        char *f[3] = {row, strchr(row, ',') + 1, NULL};
        f[1][-1] = '\0';
        f[2] = strchr(f[1], ',') + 1;
        f[2][-1] = '\0';
        v[0] = *f[0] ? wr_int(atoll(f[0])) : wr_null();
        v[1] = *f[1] ? wr_str(f[1], strlen(f[1])) : wr_null();
        v[2] = *f[2] ? wr_int(atoll(f[2])) : wr_null();
    }
    wr_memtable_write(t, &b);
    wr_batch_free(&b);
    free(copy);
}

Test(memtable, a_batch_is_visible_at_commit_and_abort_forgets_it) {
    wr_err err;
    wr_reader *r = wr_reader_open(catalog, &err);
    wr_memtable *t = int_table("t", WR_MEMTABLE_APPEND, 0);
    write_rows(t, "1,a,10;2,b,20");
    char *out = query(r, "SELECT count(*) AS n FROM t");
    cr_assert_str_eq(out, "n\n0\n");
    free(out);
    wr_memtable_commit(t);
    write_rows(t, "3,c,30");
    wr_memtable_abort(t);
    write_rows(t, "4,d,40");
    wr_memtable_commit(t);
    out = query(r, "SELECT * FROM t");
    cr_assert_str_eq(out, "k,s,v\n1,a,10\n2,b,20\n4,d,40\n");
    free(out);
    /* complete: each batch replaces the rows; an aborted one leaves them */
    wr_memtable *c = int_table("c", WR_MEMTABLE_COMPLETE, 0);
    write_rows(c, "1,a,1;2,b,2");
    wr_memtable_commit(c);
    write_rows(c, "9,z,9");
    wr_memtable_abort(c);
    out = query(r, "SELECT * FROM c");
    cr_assert_str_eq(out, "k,s,v\n1,a,1\n2,b,2\n");
    free(out);
    write_rows(c, "3,c,3");
    wr_memtable_commit(c);
    out = query(r, "SELECT * FROM c");
    cr_assert_str_eq(out, "k,s,v\n3,c,3\n");
    free(out);
    /* a table of the same name replaces it, for readers too */
    wr_memtable_close(t);
    t = int_table("t", WR_MEMTABLE_APPEND, 0);
    write_rows(t, "7,g,70");
    wr_memtable_commit(t);
    out = query(r, "SELECT * FROM t");
    cr_assert_str_eq(out, "k,s,v\n7,g,70\n");
    free(out);
    /* the writer gone, the rows stay */
    wr_memtable_close(t);
    wr_memtable_close(c);
    out = query(r, "SELECT (SELECT count(*) FROM t) AS t, (SELECT count(*) FROM c) AS c");
    cr_assert_str_eq(out, "t,c\n1,1\n");
    free(out);
    wr_reader_close(r);
}

Test(memtable, update_replaces_the_row_of_each_key_null_matching_null) {
    wr_err err;
    wr_reader *r = wr_reader_open(catalog, &err);
    wr_memtable *t = int_table("u", WR_MEMTABLE_UPSERT, 2);
    write_rows(t, "1,a,10;1,,11;,,12;2,b,20");
    wr_memtable_commit(t);
    write_rows(t, "1,a,13;,,14;3,c,30;3,c,31"); /* a key twice in a batch: the last row */
    wr_memtable_commit(t);
    write_rows(t, "2,b,99");
    wr_memtable_abort(t);
    char *out = query(r, "SELECT * FROM u");
    cr_assert_str_eq(out, "k,s,v\n1,,11\n2,b,20\n1,a,13\n,,14\n3,c,31\n");
    free(out);
    write_rows(t, "2,b,21");
    wr_memtable_commit(t);
    out = query(r, "SELECT * FROM u WHERE k = 2");
    cr_assert_str_eq(out, "k,s,v\n2,b,21\n");
    free(out);
    wr_memtable_close(t);
    wr_reader_close(r);
}

/* Many updates of few keys: the dead rows are dropped (the table is copied
 * when they outnumber the live), and a statement that began before still
 * reads what it began with, to its end. */
Test(memtable, compaction_keeps_order_and_running_statements_keep_their_rows) {
    wr_memtable *t = int_table("u", WR_MEMTABLE_UPSERT, 1);
    wr_err err;
    sqlite3 *db = wr_catalog_connect(catalog, false, NULL, &err);
    cr_assert(db, "%s", err.msg);
    wr_buf b = {0};
    for (int k = 0; k < 100; k++)
        wr_buf_printf(&b, "%d,x,0;", k);
    write_rows(t, b.p);
    wr_memtable_commit(t);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT k, v FROM u", -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW); /* begun: it reads version 1 */
    for (int v = 1; v <= 100; v++) {            /* 10000 replaced rows: copied more than once */
        b.len = 0;
        for (int k = 99; k >= 0; k--)
            wr_buf_printf(&b, "%d,x,%d;", k, v);
        write_rows(t, b.p);
        wr_memtable_commit(t);
    }
    int n = 1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        cr_assert_eq(sqlite3_column_int64(st, 0), n);
        cr_assert_eq(sqlite3_column_int64(st, 1), 0);
        n++;
    }
    cr_assert_eq(n, 100);
    sqlite3_finalize(st);
    wr_reader *r = wr_reader_open(catalog, &err);
    char *out = query(r, "SELECT count(*) AS n, min(v) AS lo, max(v) AS hi, (SELECT k FROM u "
                         "LIMIT 1) AS k0, (SELECT group_concat(k) FROM (SELECT k FROM u LIMIT 3)) "
                         "AS ks FROM u");
    cr_assert_str_eq(out, "n,lo,hi,k0,ks\n100,100,100,99,\"99,98,97\"\n");
    free(out);
    wr_reader_close(r);
    sqlite3_close(db);
    wr_buf_free(&b);
    wr_memtable_close(t);
}

typedef struct writer {
    wr_memtable *t;
    int batches, rows;
    bool upsert;
} writer;

static void *write_batches(void *arg) {
    writer *w = arg;
    wr_buf b = {0};
    for (int i = 0; i < w->batches; i++) {
        b.len = 0;
        for (int k = 0; k < w->rows; k++)
            wr_buf_printf(&b, "%d,s%d,%d;", w->upsert ? k : i * w->rows + k, k, i);
        write_rows(w->t, b.p);
        if (i % 7 == 3) {
            wr_memtable_abort(w->t); /* never seen */
            write_rows(w->t, b.p);
        }
        wr_memtable_commit(w->t);
        usleep(1000);
    }
    wr_buf_free(&b);
    return NULL;
}

/* While a writer commits, every statement sees whole batches, the same in
 * all its cursors (a subquery, a join), never an aborted one; in update
 * mode (replaced rows, copies of the table) too. */
Test(memtable, statements_see_whole_batches_while_a_writer_commits) {
    for (int upsert = 0; upsert < 2; upsert++) {
        const char *name = upsert ? "u" : "a";
        wr_memtable *t = int_table(name, upsert ? WR_MEMTABLE_UPSERT : WR_MEMTABLE_APPEND, upsert);
        writer w = {t, upsert ? 400 : 300, 50, upsert};
        wr_err err;
        wr_reader *r = wr_reader_open(catalog, &err);
        pthread_t th;
        pthread_create(&th, NULL, write_batches, &w);
        char *sql = wr_xasprintf("SELECT count(*) AS n, min(v) AS lo, max(v) AS hi, (SELECT "
                                 "count(*) FROM %s) AS n2, (SELECT count(*) FROM %s AS x JOIN %s "
                                 "AS y ON x.%s = y.%s) AS j FROM %s",
                                 name, name, name, upsert ? "s" : "k", upsert ? "s" : "k", name);
        int moves = 0;
        long last = -1;
        for (;;) {
            char *out = query(r, sql);
            long n, lo, hi, n2, j;
            if (sscanf(out, "n,lo,hi,n2,j\n%ld,%ld,%ld,%ld,%ld", &n, &lo, &hi, &n2, &j) != 5) {
                cr_assert_str_eq(out, "n,lo,hi,n2,j\n0,,,0,0\n"); /* nothing yet */
                free(out);
                continue;
            }
            free(out);
            cr_assert_eq(n % 50, 0, "%ld rows: not whole batches", n);
            cr_assert_eq(n2, n, "a subquery saw %ld rows, its statement %ld", n2, n);
            cr_assert_eq(j, n, "a join saw %ld rows, its statement %ld", j, n);
            if (upsert)
                cr_assert(n == 50 && lo == hi, "%ld rows, values %ld..%ld", n, lo, hi);
            else
                cr_assert(lo == 0 && hi == n / 50 - 1, "%ld rows, values %ld..%ld", n, lo, hi);
            moves += hi != last;
            last = hi;
            if (hi == w.batches - 1) break;
        }
        pthread_join(th, NULL);
        cr_assert_geq(moves, 3, "the readers did not see the table move");
        free(sql);
        sql = wr_xasprintf("SELECT count(*) AS n, sum(v) AS s FROM %s", name);
        char *out = query(r, sql);
        char *want =
            wr_xasprintf("n,s\n%d,%ld\n", upsert ? 50 : w.batches * 50,
                         upsert ? 50L * (w.batches - 1) : 50L * w.batches * (w.batches - 1) / 2);
        cr_assert_str_eq(out, want);
        free(out), free(want), free(sql);
        wr_reader_close(r);
        wr_memtable_close(t);
    }
}

/* weir run and weir shell over memory sinks: WHERE, ORDER BY and a JOIN of
 * two sinks, append and complete. */
Test(memtable, trailing_selects_and_the_shell_join_filter_and_sort_memory_sinks) {
    wrt_world w;
    wrt_world_start(&w, "memtable", "mt", 2);
    const char *vals[] = {"a 1", "b 2", "a 3", "c 4", "b 5", "a 6", "d 7"};
    wrt_produce(w.bs, "mt", -1, vals, NULL, 7);
    const char *job =
        "CREATE SOURCE s USING kafka OPTIONS (subscribe = 'mt', startingOffsets = 'earliest', "
        "maxOffsetsPerTrigger = 3);\n"
        "CREATE VIEW v AS SELECT split(CAST(value AS STRING), ' ')[0] AS k, "
        "CAST(split(CAST(value AS STRING), ' ')[1] AS INT) AS n FROM s;\n"
        "CREATE SINK rows_ USING memory;\n"
        "CREATE SINK counts USING memory OPTIONS (outputMode = 'complete');\n"
        "INSERT INTO rows_ SELECT k, n FROM v;\n"
        "INSERT INTO counts SELECT k, count(*) AS c, sum(n) AS total FROM v GROUP BY k;\n";
    char *text =
        wr_xasprintf("%s"
                     "SELECT r.k, r.n, c.c, c.total FROM rows_ AS r JOIN counts AS c ON c.k = r.k "
                     "WHERE r.n > 1 ORDER BY r.n DESC;\n"
                     "SELECT k FROM counts WHERE c = 1 ORDER BY k;\n",
                     job);
    wrt_result r =
        wrt_run_job(text, (const char *const[]){"--bootstrap", w.bs, NULL},
                    (const char *const[]){"--trigger", "availableNow", "--format", "csv", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "k,n,c,total\n"
                            "d,7,1,7\n"
                            "a,6,3,10\n"
                            "b,5,2,7\n"
                            "c,4,1,4\n"
                            "a,3,3,10\n"
                            "b,2,2,7\n"
                            "\n"
                            "k\nc\nd\n");
    wrt_result_free(&r);
    free(text);
    /* the same at the shell's prompt, once the queries are done */
    char *script = wr_xasprintf(".mode csv\n"
                                "%s"
                                ".wait rows_\n"
                                ".wait counts\n"
                                "SELECT r.k, sum(r.n) AS s, max(c.total) AS t FROM rows_ AS r "
                                "JOIN counts AS c ON r.k = c.k GROUP BY r.k ORDER BY s DESC, r.k;\n"
                                "SELECT count(*) AS n FROM rows_ WHERE k = 'a';\n",
                                job);
    r = WRT_RUN(script, "shell", "--bootstrap", w.bs);
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *tail = "k,s,t\na,10,10\nb,7,7\nd,7,7\nc,4,4\nn\n3\n";
    size_t lo = strlen(r.out), lt = strlen(tail);
    cr_assert(lo >= lt && !strcmp(r.out + lo - lt, tail), "%s", r.out);
    wrt_result_free(&r);
    free(script);
    wrt_world_stop(&w);
}
