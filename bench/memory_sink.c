/* Memory sink benchmark (make bench): the rows a second a memory sink takes,
 * write and commit of its own, as the driver calls them, for ROWS rows of
 * the sliding-window job's output (start TIMESTAMP, userip STRING, t_ts
 * BIGINT, n BIGINT) in batches of BATCH rows: in each output mode, and for
 * a durable sink (path: a SQLite file). Then the time of a trailing SELECT
 * over the appended table (count and sum).
 *   usage: memory_sink [ROWS [BATCH]]   (default 3000000 300000) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog/wr_catalog.h"
#include "sinks/wr_sinks.h"
#include "sources/wr_sources.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static const wr_kinds kinds = {wr_source_kinds, wr_sink_kinds};

/* A job whose one query writes the window job's columns into sink `m`
 * (append: windows closed by a watermark; else groups of those columns, the
 * keys of an update). */
static wr_job *plan(const char *options) {
    char *text =
        strstr(options, "append")
            ? wr_xasprintf("CREATE SOURCE r USING rate;\n"
                           "CREATE SINK m USING memory OPTIONS (%s);\n"
                           "INSERT INTO m SELECT window.start AS start, CAST(value AS STRING) AS "
                           "userip, sum(value) AS t_ts, count(*) AS n FROM r WATERMARK timestamp "
                           "DELAY OF INTERVAL 30 SECONDS GROUP BY window(timestamp, '1 minute', "
                           "'10 seconds'), CAST(value AS STRING);\n",
                           options)
            : wr_xasprintf("CREATE SOURCE r USING rate;\n"
                           "CREATE SINK m USING memory OPTIONS (%s);\n"
                           "INSERT INTO m SELECT timestamp AS start, CAST(value AS STRING) AS "
                           "userip, value AS t_ts, count(*) AS n FROM r GROUP BY timestamp, "
                           "CAST(value AS STRING), value;\n",
                           options);
    char err[512];
    wr_strlist sets = {0};
    wr_plan_overrides ov = {.kinds = &kinds, .sets = &sets};
    wr_job *job = wr_plan_job("bench", text, strlen(text), &ov, err, sizeof err);
    if (!job) fprintf(stderr, "memory_sink: %s\n", err);
    free(text);
    return job;
}

/* Writes rows batch by batch; returns the median ms of a batch of 5 runs'
 * totals, or -1. */
static double run(const char *label, const char *options, const wr_sink_env *env, long rows,
                  long batch) {
    wr_job *job = plan(options);
    if (!job) return -1;
    const wr_query *q = &job->queries[0];
    const wr_sink_ops *ops = q->sink->kind->ops;
    /* the rows: ips of 11-15 characters, as the webclicks' */
    wr_batch b = {.width = 4};
    char(*ips)[16] = malloc(sizeof *ips * 64);
    for (int i = 0; i < 64; i++)
        snprintf(ips[i], sizeof ips[i], "10.%d.%d.%d", 10 + i * 3, (i * 37) % 256, 1 + i);
    double total[5];
    for (int r = 0; r < 5; r++) {
        wr_err err;
        wr_sink *s = ops->open(q->sink, q, env, "bench", &err);
        if (!s) {
            fprintf(stderr, "memory_sink: %s\n", err.msg);
            return -1;
        }
        double t0 = now_ms();
        for (long at = 0, id = 0; at < rows; at += batch, id++) {
            b.n = 0;
            for (long i = at; i < at + batch && i < rows; i++) {
                wr_val *v = wr_batch_add(&b);
                v[0] = wr_int(1700000000000000LL + i / 35 * 10000000LL);
                v[1] = wr_str(ips[i % 64], strlen(ips[i % 64]));
                v[2] = wr_int(i * 7 % 600);
                v[3] = wr_int(1 + i % 5);
            }
            if (!ops->write(s, id, &b, &err) || !ops->commit(s, id, &err)) {
                fprintf(stderr, "memory_sink: %s\n", err.msg);
                return -1;
            }
        }
        total[r] = now_ms() - t0;
        ops->close(s);
    }
    qsort(total, 5, sizeof *total, cmp_d);
    printf("memory sink %-22s %ld rows in batches of %ld: %.0f ms, %.2f M rows/s (median of 5)\n",
           label, rows, batch, total[2], (double)rows / total[2] / 1e3);
    free(ips);
    wr_batch_free(&b);
    wr_job_free(job);
    return total[2];
}

int main(int argc, char **argv) {
    long rows = argc > 1 ? atol(argv[1]) : 3000000, batch = argc > 2 ? atol(argv[2]) : 300000;
    if (rows <= 0 || batch <= 0) {
        fprintf(stderr, "usage: memory_sink [ROWS [BATCH]]\n");
        return 2;
    }
    wr_err err;
    char *catalog = wr_catalog_create(&err);
    if (!catalog) return fprintf(stderr, "memory_sink: %s\n", err.msg), 1;
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    wr_sink_env env = {stdout, &lock, catalog};
    char dir[] = "/tmp/weir-bench-sink-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char *durable = wr_xasprintf("outputMode = 'append', path = '%s/m.db'", dir);
    bool ok = run("append", "outputMode = 'append'", &env, rows, batch) >= 0 &&
              run("complete", "outputMode = 'complete'", &env, rows, batch) >= 0 &&
              run("update", "outputMode = 'update'", &env, rows, batch) >= 0;
    /* a durable file keeps every run's rows: one run's worth, then remove it */
    ok = ok && run("durable append (path)", durable, &env, rows / 5, batch) >= 0;
    /* what a trailing SELECT over the appended table takes */
    if (ok) {
        wr_job *job = plan("outputMode = 'append'");
        const wr_query *q = &job->queries[0];
        wr_sink *s = q->sink->kind->ops->open(q->sink, q, &env, "bench", &err);
        wr_batch b = {.width = 4};
        for (long i = 0; i < rows; i++) {
            wr_val *v = wr_batch_add(&b);
            v[0] = wr_int(i), v[1] = wr_str("10.0.0.1", 8), v[2] = wr_int(i), v[3] = wr_int(1);
        }
        q->sink->kind->ops->write(s, 0, &b, &err);
        q->sink->kind->ops->commit(s, 0, &err);
        wr_reader *r = wr_reader_open(catalog, &err);
        FILE *devnull = fopen("/dev/null", "w");
        double t0 = now_ms();
        wr_reader_query(r, "SELECT count(*) AS windows, sum(n) AS clicks FROM m", WR_FMT_CSV,
                        devnull, &err);
        printf("trailing SELECT count(*), sum(n) over %ld rows: %.0f ms\n", rows, now_ms() - t0);
        fclose(devnull);
        wr_reader_close(r);
        q->sink->kind->ops->close(s);
        wr_batch_free(&b);
        wr_job_free(job);
    }
    char *db = wr_xasprintf("%s/m.db", dir);
    unlink(db);
    char *wal = wr_xasprintf("%s-wal", db), *shm = wr_xasprintf("%s-shm", db);
    unlink(wal), unlink(shm);
    rmdir(dir);
    free(db), free(wal), free(shm), free(durable);
    wr_catalog_remove(catalog);
    free(catalog);
    return ok ? 0 : 1;
}
