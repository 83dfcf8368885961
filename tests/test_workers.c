/* The worker pool: weir.workers above 256 (one thread per worker, every
 * worker's share of the merge and of the state commits done) gives exact
 * counts across a restart; a worker thread that cannot start fails the
 * query with a message saying so, never a crash or a silent loss. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/wr_broker.h"
#include "support.h"
#include "core/wr_core.h"

static wrt_world w;

static void start(void) {
    wrt_world_start(&w, "workers", "ww", 4);
}

static void stop(void) {
    wrt_world_stop(&w);
}

TestSuite(workers, .init = start, .fini = stop, .timeout = 240);

enum { NWORDS = 1000 };

/* Lines "w<a> w<b> w<c>" for lines [from, to), counted into counts. */
static void produce_lines(int from, int to, long counts[NWORDS]) {
    int n = to - from;
    char **lines = wr_xcalloc((size_t)n, sizeof *lines);
    for (int i = 0; i < n; i++) {
        int k = from + i, a = k % NWORDS, b = (k * 7 + 3) % NWORDS, c = (k * 13 + 5) % NWORDS;
        lines[i] = wr_xasprintf("w%d w%d w%d", a, b, c);
        counts[a]++, counts[b]++, counts[c]++;
    }
    wrt_produce(w.bs, "ww", -1, (const char *const *)lines, NULL, n);
    for (int i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The trailing SELECT's CSV the counts give, in word order. */
static char *expected(const long counts[NWORDS]) {
    char *names[NWORDS];
    for (int i = 0; i < NWORDS; i++)
        names[i] = wr_xasprintf("w%d", i);
    qsort(names, NWORDS, sizeof *names, cmp_str);
    wr_buf b = {0};
    wr_buf_puts(&b, "word,n\n");
    for (int i = 0; i < NWORDS; i++) {
        long c = counts[atoi(names[i] + 1)];
        if (c) wr_buf_printf(&b, "%s,%ld\n", names[i], c);
        free(names[i]);
    }
    return b.p;
}

static const char *job =
    "SET weir.workers = 300;\n"
    "SET weir.shuffle.partitions = 300;\n"
    "CREATE SOURCE s USING kafka OPTIONS (subscribe = 'ww', startingOffsets = 'earliest');\n"
    "CREATE SINK counts USING memory OPTIONS (outputMode = 'complete');\n"
    "INSERT INTO counts SELECT word, count(*) AS n\n"
    "  FROM (SELECT explode(split(CAST(value AS STRING), ' ')) AS word FROM s) GROUP BY word;\n"
    "SELECT word, n FROM counts ORDER BY word;";

/* 300 workers, 300 state partitions: partitions 256..299 are merged and
 * committed by workers 256..299; the second run restores every partition. */
Test(workers, more_than_256_workers_count_every_group_exactly) {
    long counts[NWORDS] = {0};
    produce_lines(0, 3000, counts);
    const char *const args[] = {"--bootstrap",  w.bs,       "--checkpoint", w.dir, "--trigger",
                                "availableNow", "--format", "csv",          NULL};
    wrt_result r = wrt_run_job(job, args, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *want = expected(counts);
    cr_assert_str_eq(r.out, want, "groups lost or miscounted");
    free(want);
    wrt_result_free(&r);
    produce_lines(3000, 4000, counts);
    r = wrt_run_job(job, args, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    want = expected(counts);
    cr_assert_str_eq(r.out, want, "state partitions lost across the restart");
    free(want);
    wrt_result_free(&r);
}

/* With the user's processes and threads capped (RLIMIT_NPROC, which root
 * ignores: the run is another user's), 300 worker threads cannot all start. */
Test(workers, a_worker_thread_that_cannot_start_fails_the_query_clearly) {
    if (geteuid() != 0)
        cr_skip_test("needs root, to run weir as a user of its own with a thread limit");
    long counts[NWORDS] = {0};
    produce_lines(0, 100, counts);
    char *path = wrt_temp_job(job);
    cr_assert_eq(chmod(path, 0644), 0);
    wrt_child c = {.cwd = "/", .uid = wrt_spare_uid(), .nproc = 120};
    wrt_result r = wrt_run_as(&c, (const char *const[]){"run", path, "--bootstrap", w.bs,
                                                        "--trigger", "availableNow", NULL});
    cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
    cr_assert(!strncmp(r.err, "weir run: query counts failed: cannot start worker thread ", 58),
              "%s", r.err);
    cr_assert(strstr(r.err, " of 300: Resource temporarily unavailable (the system's limit on "
                            "threads? lower SET weir.workers)\n"),
              "%s", r.err);
    wrt_result_free(&r);
    unlink(path);
    free(path);
}

/* A wide batch (thousands of input rows) has its state partitions emit and
 * evict in parallel: sliding windows closed by the watermark come out as
 * with one worker and one partition, and a group's result row that fails
 * fails the query as it does there. */
Test(workers, wide_batches_emit_and_evict_in_parallel_as_one_worker_does) {
    enum { N = 20000 };
    static const char *const runaway = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab";
    char **lines = wr_xcalloc(N, sizeof *lines);
    for (int i = 0; i < N; i++) /* one ip that a runaway regular expression fails on */
        lines[i] = i == 100
                       ? wr_xasprintf("%d %s 1", 1700000000 + i, runaway)
                       : wr_xasprintf("%d 10.0.0.%d %d", 1700000000 + i, (i * 7) % 13, i % 600);
    wrt_produce(w.bs, "ww", -1, (const char *const *)lines, NULL, N);
    for (int i = 0; i < N; i++)
        free(lines[i]);
    free(lines);
    static const char *body =
        "CREATE SOURCE s USING kafka OPTIONS (subscribe = 'ww', startingOffsets = 'earliest', "
        "maxOffsetsPerTrigger = 5000);\n"
        "CREATE VIEW v AS SELECT CAST(CAST(split(CAST(value AS STRING), ' ')[0] AS BIGINT) AS "
        "TIMESTAMP) AS t, split(CAST(value AS STRING), ' ')[1] AS ip, "
        "CAST(split(CAST(value AS STRING), ' ')[2] AS INT) AS spent FROM s;\n"
        "CREATE SINK win USING memory OPTIONS (outputMode = 'append');\n"
        "INSERT INTO win SELECT window.start AS start, ip, sum(spent) AS total, count(*) AS n "
        "FROM v WATERMARK t DELAY OF INTERVAL 30 SECONDS "
        "GROUP BY window(t, '1 minute', '10 seconds'), ip%s;\n"
        "SELECT count(*) AS windows, sum(n) AS rows, sum(total) AS total, "
        "group_concat(ip || start || total, '') AS every FROM (SELECT * FROM win ORDER BY start, "
        "ip);";
    const char *const args[] = {"--bootstrap", w.bs,  "--trigger", "availableNow",
                                "--format",    "csv", NULL};
    char *serial =
        wr_xasprintf("SET weir.workers = 1;\nSET weir.shuffle.partitions = 1;\n%s", body);
    char *wide = wr_xasprintf("SET weir.workers = 4;\nSET weir.shuffle.partitions = 8;\n%s", body);
    char *one_job = wr_xasprintf(serial, ""), *wide_job = wr_xasprintf(wide, "");
    wrt_result one = wrt_run_job(one_job, args, NULL), many = wrt_run_job(wide_job, args, NULL);
    cr_assert_eq(one.status, 0, "%s", one.err);
    cr_assert_eq(many.status, 0, "%s", many.err);
    long windows = 0, rows = 0;
    cr_assert_eq(sscanf(one.out, "windows,rows,total,every\n%ld,%ld,", &windows, &rows), 2, "%s",
                 one.out);
    cr_assert_gt(windows, 10000, "%s", one.out); /* the windows closed before the end */
    cr_assert_str_eq(many.out, one.out, "parallel emit or evict changed the windows");
    wrt_result_free(&one);
    wrt_result_free(&many);
    free(one_job), free(wide_job);
    /* a HAVING that fails on one group of a wide batch */
    char *fail = wr_xasprintf(wide, " HAVING ip RLIKE '(a+)+$'");
    wrt_result r = wrt_run_job(fail, args, NULL);
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert_str_eq(r.err, "weir run: query win failed: RLIKE: the regular expression '(a+)+$' "
                            "failed on a 41-byte value: match limit exceeded (computing a "
                            "group's result row)\n");
    wrt_result_free(&r);
    free(fail), free(serial), free(wide);
}
