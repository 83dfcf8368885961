/* weir run beyond the SQL tables: the console sink's exact layout, the Kafka
 * source options (subscribePattern, assign, startingOffsets JSON), triggers
 * (once, processingTime with a clean stop on SIGINT), output formats, and the
 * data-loss error when retention deleted offsets a query needs, or with
 * failOnDataLoss = false the skipped range, reported; trailing SELECTs cut as
 * SQLite cuts them, tables padded by display width, and a trailing SELECT
 * that runs away stopped by a signal. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/wr_broker.h"
#include "support.h"
#include "core/wr_core.h"

static wr_broker *broker;
static const char *bs;

static void start(void) {
    broker = wrt_mock_start(&bs);
}

static void stop(void) {
    wr_broker_stop(broker);
}

TestSuite(run, .init = start, .fini = stop, .timeout = 120);

static void topic(const char *name, int parts) {
    char err[256];
    cr_assert_eq(wr_broker_create_topic(broker, name, parts, err, sizeof err), 0, "%s", err);
}

static wrt_result run_job(const char *job, const char *const *extra) {
    return wrt_run_job(job, (const char *const[]){"--bootstrap", bs, NULL}, extra);
}

Test(run, console_sink_prints_batches_as_spark_does) {
    topic("c1", 1);
    const char *msgs[] = {"hello", "a much longer value than twenty characters", NULL, "x"};
    wrt_produce(bs, "c1", 0, msgs, NULL, 4);
    wrt_result r = run_job("CREATE SOURCE s USING kafka OPTIONS (subscribe = 'c1', startingOffsets "
                           "= 'earliest', maxOffsetsPerTrigger = 3);\n"
                           "CREATE SINK out USING console OPTIONS (numRows = 2);\n"
                           "INSERT INTO out SELECT CAST(value AS STRING) AS v, offset AS n FROM s;",
                           (const char *const[]){"--trigger", "availableNow", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "-------------------------------------------\n"
                            "Batch: 0\n"
                            "-------------------------------------------\n"
                            "+--------------------+---+\n"
                            "|                   v|  n|\n"
                            "+--------------------+---+\n"
                            "|               hello|  0|\n"
                            "|a much longer val...|  1|\n"
                            "+--------------------+---+\n"
                            "only showing top 2 rows\n"
                            "\n"
                            "-------------------------------------------\n"
                            "Batch: 1\n"
                            "-------------------------------------------\n"
                            "+---+---+\n"
                            "|  v|  n|\n"
                            "+---+---+\n"
                            "|  x|  3|\n"
                            "+---+---+\n"
                            "\n");
    wrt_result_free(&r);
    /* truncate = false: full values, left-aligned; NULL prints as null */
    r = run_job(
        "CREATE SOURCE s USING kafka OPTIONS (subscribe = 'c1', startingOffsets = 'earliest');\n"
        "CREATE SINK out USING console OPTIONS (truncate = false);\n"
        "INSERT INTO out SELECT CAST(value AS STRING) AS v FROM s WHERE offset >= 1 AND offset <= "
        "2;",
        (const char *const[]){"--trigger", "once", NULL});
    cr_assert_str_eq(r.out,
                     "-------------------------------------------\n"
                     "Batch: 0\n"
                     "-------------------------------------------\n"
                     "+------------------------------------------+\n"
                     "|v                                         |\n"
                     "+------------------------------------------+\n"
                     "|a much longer value than twenty characters|\n"
                     "|null                                      |\n"
                     "+------------------------------------------+\n"
                     "\n",
                     "%s", r.out);
    wrt_result_free(&r);
}

static const char *count_job(const char *source_opts) {
    static char buf[1024];
    snprintf(buf, sizeof buf,
             "CREATE SOURCE s USING kafka OPTIONS (%s);\n"
             "CREATE SINK out USING memory OPTIONS (outputMode = 'complete');\n"
             "INSERT INTO out SELECT topic, partition, count(*) AS n, min(offset) AS lo FROM s "
             "GROUP BY topic, partition;\n"
             "SELECT * FROM out ORDER BY topic, partition;",
             source_opts);
    return buf;
}

Test(run, subscribe_pattern_assign_and_starting_offsets) {
    topic("p1", 2);
    topic("p2", 1);
    topic("q1", 1);
    const char *m[] = {"a", "b", "c", "d"};
    wrt_produce(bs, "p1", 0, m, NULL, 4);
    wrt_produce(bs, "p1", 1, m, NULL, 2);
    wrt_produce(bs, "p2", 0, m, NULL, 3);
    wrt_produce(bs, "q1", 0, m, NULL, 1);
    const char *const csv[] = {"--trigger", "availableNow", "--format", "csv", NULL};
    wrt_result r =
        run_job(count_job("subscribePattern = 'p[0-9]', startingOffsets = 'earliest'"), csv);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "topic,partition,n,lo\np1,0,4,0\np1,1,2,0\np2,0,3,0\n");
    wrt_result_free(&r);
    r = run_job(count_job("assign = '{\"p1\":[1], \"q1\":[0]}', startingOffsets = 'earliest'"),
                csv);
    cr_assert_str_eq(r.out, "topic,partition,n,lo\np1,1,2,0\nq1,0,1,0\n", "%s", r.err);
    wrt_result_free(&r);
    r = run_job(count_job("subscribe = 'p1,p2', startingOffsets = "
                          "'{\"p1\":{\"0\":2,\"1\":-1},\"p2\":{\"0\":-2}}'"),
                csv);
    cr_assert_str_eq(r.out, "topic,partition,n,lo\np1,0,2,2\np2,0,3,0\n", "%s", r.err);
    wrt_result_free(&r);
    /* latest (the default): nothing that is already there */
    r = run_job(count_job("subscribe = 'p1'"), csv);
    cr_assert_str_eq(r.out, "topic,partition,n,lo\n", "%s", r.err);
    wrt_result_free(&r);
    r = run_job(count_job("subscribe = 'p1', startingOffsets = '{\"p1\":{\"0\":1}}'"), csv);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "startingOffsets gives no offset for p1 partition 1"), "%s", r.err);
    wrt_result_free(&r);
    r = run_job(count_job("subscribe = 'nope'"), csv);
    cr_assert_eq(r.status, 1);
    cr_assert_str_eq(r.err, "weir run: query out failed: source s: topic 'nope' does not exist\n");
    wrt_result_free(&r);
    r = run_job(count_job("subscribePattern = 'zz.*'"), csv);
    cr_assert(strstr(r.err, "no topic matches subscribePattern 'zz.*'"), "%s", r.err);
    wrt_result_free(&r);
}

/* A subscribePattern whose match over a topic name hits the match limit is
 * an error naming the pattern and the topic, not "no match". */
Test(run, a_subscribe_pattern_that_fails_is_an_error) {
    topic("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", 1);
    const char *const csv[] = {"--trigger", "availableNow", "--format", "csv", NULL};
    wrt_result r = run_job(count_job("subscribePattern = '(a+)+'"), csv);
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert_str_eq(
        r.err, "weir run: query out failed: source s: subscribePattern '(a+)+' failed on topic "
               "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab': match limit exceeded\n");
    wrt_result_free(&r);
}

Test(run, once_ignores_the_rate_limit_and_formats_print) {
    topic("o1", 2);
    const char *m[] = {"a", "b", "c", "d", "e"};
    wrt_produce(bs, "o1", -1, m, NULL, 5);
    const char *job =
        "CREATE SOURCE s USING kafka OPTIONS (subscribe = 'o1', startingOffsets = 'earliest', "
        "maxOffsetsPerTrigger = 1);\n"
        "CREATE SINK out USING console OPTIONS (outputMode = 'complete');\n"
        "CREATE SINK mem USING memory OPTIONS (outputMode = 'complete');\n"
        "INSERT INTO out SELECT count(*) AS n FROM s;\n"
        "INSERT INTO mem SELECT count(*) AS n, 'x,y' AS s, 1.5 AS d, NULL AS z FROM s;\n"
        "SELECT n, s, d, z FROM mem;";
    wrt_result r =
        run_job(job, (const char *const[]){"--trigger", "once", "--format", "json", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "Batch: 0\n") && !strstr(r.out, "Batch: 1"), "%s", r.out);
    cr_assert(strstr(r.out, "|  5|\n"), "%s", r.out);
    cr_assert(strstr(r.out, "\n{\"n\":5,\"s\":\"x,y\",\"d\":1.5}\n"), "%s", r.out);
    wrt_result_free(&r);
    r = run_job(job, (const char *const[]){"--trigger", "once", "--format", "table", NULL});
    /* right-aligned, as Spark's show() prints */
    cr_assert(strstr(r.out, "+---+---+---+----+\n|  n|  s|  d|   z|\n+---+---+---+----+\n|  "
                            "5|x,y|1.5|null|\n+---+---+---+----+\n"),
              "%s", r.out);
    wrt_result_free(&r);
}

/* Infinities print in every format: in json as strings, as the json sink
 * writes them (jansson has no number for them, and they were left out). */
Test(run, json_output_writes_infinities_as_strings) {
    const char *job = "CREATE SOURCE r USING rate;\nCREATE SINK m USING memory;\n"
                      "INSERT INTO m SELECT value FROM r;\n"
                      "SELECT 1e999 AS inf, -1e999 AS ninf, 2 AS two, 0.5 AS half;";
    wrt_result r = wrt_run_job(
        job, (const char *const[]){"--trigger", "once", "--format", "json", NULL}, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out,
                     "{\"inf\":\"Infinity\",\"ninf\":\"-Infinity\",\"two\":2,\"half\":0.5}\n");
    wrt_result_free(&r);
    r = wrt_run_job(job, (const char *const[]){"--trigger", "once", "--format", "csv", NULL}, NULL);
    cr_assert_str_eq(r.out, "inf,ninf,two,half\nInfinity,-Infinity,2,0.5\n");
    wrt_result_free(&r);
}

Test(run, processing_time_trigger_runs_until_sigint_then_stops_cleanly) {
    topic("s1", 1);
    const char *m[] = {"a", "b"};
    wrt_produce(bs, "s1", 0, m, NULL, 2);
    char *path = wrt_temp_job(
        "CREATE SOURCE s USING kafka OPTIONS (subscribe = 's1', startingOffsets = 'earliest');\n"
        "CREATE SINK out USING console OPTIONS (trigger = 'processingTime=200 milliseconds');\n"
        "CREATE SINK mem USING memory;\n"
        "INSERT INTO out SELECT CAST(value AS STRING) AS v FROM s;\n"
        "INSERT INTO mem SELECT CAST(value AS STRING) AS v FROM s;\n"
        "SELECT count(*) AS rows FROM mem;");
    int fd;
    pid_t pid = wrt_spawn(
        (const char *const[]){"run", path, "--bootstrap", bs, "--format", "csv", NULL}, &fd);
    char *line = wrt_read_line_with(fd, "Batch: 0", 20000);
    cr_assert_not_null(line, "no first batch");
    free(line);
    /* more data arrives while it runs: a later batch picks it up */
    const char *more[] = {"c"};
    wrt_produce(bs, "s1", 0, more, NULL, 1);
    line = wrt_read_line_with(fd, "Batch: 1", 20000);
    cr_assert_not_null(line, "no second batch");
    free(line);
    /* the memory query polls every 100 ms and shows no output: give it time
     * to take "c" too (a stop ends each query after its current batch) */
    usleep(500000);
    kill(pid, SIGINT);
    char *rows = wrt_read_line_with(fd, "3", 10000); /* the trailing SELECT's row */
    cr_assert_not_null(rows, "trailing SELECT did not print 3 rows");
    cr_assert_eq(wrt_wait(pid, 10000), 0, "weir run did not stop cleanly");
    free(rows);
    close(fd);
    unlink(path);
    free(path);
}

/* ~8 MB into one partition: the broker keeps the last 5 MB. Returns the
 * earliest offset left. */
static int64_t overflow(const char *name, int n) {
    topic(name, 1);
    static char big[1024];
    memset(big, 'x', sizeof big - 1);
    const char **msgs = wr_xcalloc((size_t)n, sizeof *msgs);
    for (int i = 0; i < n; i++)
        msgs[i] = big;
    wrt_produce(bs, name, 0, msgs, NULL, n);
    free(msgs);
    int64_t lo = wrt_earliest(bs, name, 0);
    cr_assert(lo > 0 && lo < n, "retention did not delete part of %s: earliest %lld", name,
              (long long)lo);
    return lo;
}

Test(run, offsets_deleted_by_retention_stop_the_query) {
    int64_t lo = overflow("d1", 8000);
    wrt_result r = run_job("CREATE SOURCE s USING kafka OPTIONS (subscribe = 'd1', startingOffsets "
                           "= '{\"d1\":{\"0\":0}}');\n"
                           "CREATE SINK out USING memory;\n"
                           "INSERT INTO out SELECT offset FROM s;",
                           (const char *const[]){"--trigger", "availableNow", NULL});
    cr_assert_eq(r.status, 1, "%s", r.err);
    char *want = wr_xasprintf("weir run: query out failed: offsets 0..%lld of d1 partition 0 are "
                              "no longer available in Kafka "
                              "(deleted by retention before the query read them); set "
                              "failOnDataLoss = false to skip lost offsets\n",
                              (long long)lo - 1);
    cr_assert_str_eq(r.err, want);
    free(want);
    wrt_result_free(&r);
}

Test(run, fail_on_data_loss_false_skips_and_reports_the_lost_range) {
    int64_t lo = overflow("d2", 8000);
    wrt_result r = run_job(
        "CREATE SOURCE s USING kafka OPTIONS (subscribe = 'd2', startingOffsets = "
        "'{\"d2\":{\"0\":0}}', failOnDataLoss = false);\n"
        "CREATE SINK out USING memory;\n"
        "INSERT INTO out SELECT offset FROM s;\n"
        "SELECT count(*) AS n, min(offset) AS lo, max(offset) AS hi FROM out;",
        (const char *const[]){"--trigger", "availableNow", "--format", "csv", "--progress", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *want = wr_xasprintf("n,lo,hi\n%lld,%lld,7999\n", 8000 - (long long)lo, (long long)lo);
    cr_assert_str_eq(r.out, want, "not exactly the offsets left were read");
    free(want);
    want = wr_xasprintf("weir: warning: source s: offsets 0..%lld of d2 partition 0 were deleted "
                        "by retention before they were read; "
                        "skipped (failOnDataLoss = false)\n{",
                        (long long)lo - 1);
    cr_assert(!strncmp(r.err, want, strlen(want)), "%s", r.err);
    free(want);
    want = wr_xasprintf(
        "\"lostOffsets\":[{\"topic\":\"d2\",\"partition\":0,\"startOffset\":0,\"endOffset\":%lld}]",
        (long long)lo);
    cr_assert(strstr(r.err, want), "the progress does not report the lost range: %s", r.err);
    free(want);
    wrt_result_free(&r);
}

/* Trailing SELECTs are SQLite SQL, cut where SQLite says: a string that
 * ends in a backslash ends there, and WITH starts one too. */
Test(run, trailing_selects_are_split_as_sqlite_splits_them) {
    wrt_result r = run_job("SELECT 'a\\'; SELECT 1 AS one;\n"
                           "WITH x(two) AS (SELECT 2) SELECT two, 'it''s; fine' AS s FROM x;\n"
                           "SELECT 3 AS three -- the last one may leave out its ';'",
                           (const char *const[]){"--format", "csv", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "'a\\'\na\\\n\none\n1\n\ntwo,s\n2,it's; fine\n\nthree\n3\n");
    wrt_result_free(&r);
}

/* Console sinks and trailing tables pad by display width: CJK and emoji
 * take two columns, a combining accent none; the console cuts at 20
 * characters and right-aligns, the trailing table right-aligns uncut. */
Test(run, tables_pad_by_display_width) {
    topic("w1", 1);
    const char *msgs[] = {"日本語", "e\xcc\x81", "😀!", "ab",
                          "字字字字字字字字字字字字字"
                          "字字字字字字字字字字字字"};
    wrt_produce(bs, "w1", 0, msgs, NULL, 5);
    wrt_result r = run_job(
        "CREATE SOURCE s USING kafka OPTIONS (subscribe = 'w1', startingOffsets = 'earliest');\n"
        "CREATE SINK out USING console;\n"
        "CREATE SINK mem USING memory;\n"
        "INSERT INTO out SELECT CAST(value AS STRING) AS v FROM s;\n"
        "INSERT INTO mem SELECT CAST(value AS STRING) AS v, offset AS o FROM s;\n"
        "SELECT v, o FROM mem WHERE o < 4 ORDER BY o;",
        (const char *const[]){"--trigger", "once", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *console = "+-------------------------------------+\n"
                          "|                                    v|\n"
                          "+-------------------------------------+\n"
                          "|                               日本語|\n"
                          "|                                    e\xcc\x81|\n"
                          "|                                  😀!|\n"
                          "|                                   ab|\n"
                          "|字字字字字字字字字字字字字字字字字...|\n"
                          "+-------------------------------------+\n";
    const char *trailing = "+------+---+\n"
                           "|     v|  o|\n"
                           "+------+---+\n"
                           "|日本語|  0|\n"
                           "|     e\xcc\x81|  1|\n"
                           "|   😀!|  2|\n"
                           "|    ab|  3|\n"
                           "+------+---+\n";
    char *want = wr_xasprintf("-------------------------------------------\nBatch: "
                              "0\n-------------------------------------------\n%s\n%s",
                              console, trailing);
    cr_assert_str_eq(r.out, want);
    free(want);
    wrt_result_free(&r);
}

/* A trailing SELECT that never ends stops on SIGINT or SIGTERM: exit 130
 * or 143, saying which SELECT it stopped. */
Test(run, a_trailing_select_that_runs_away_stops_on_a_signal) {
    topic("r1", 1);
    const char *m[] = {"a"};
    wrt_produce(bs, "r1", 0, m, NULL, 1);
    char *path = wrt_temp_job(
        "CREATE SOURCE s USING kafka OPTIONS (subscribe = 'r1', startingOffsets = 'earliest');\n"
        "CREATE SINK out USING console;\n"
        "INSERT INTO out SELECT CAST(value AS STRING) AS v FROM s;\n"
        "SELECT 1 AS one;\n"
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) AS n FROM "
        "c;\n");
    char err_path[] = "/tmp/weir-run-err-XXXXXX";
    close(mkstemp(err_path));
    const int sigs[] = {SIGINT, SIGTERM};
    for (int k = 0; k < 2; k++) {
        int fd;
        pid_t pid =
            wrt_spawn_err_file((const char *const[]){"run", path, "--bootstrap", bs, "--trigger",
                                                     "availableNow", "--format", "csv", NULL},
                               &fd, err_path);
        char *line =
            wrt_read_line_with(fd, "one", 20000); /* the first SELECT is done: the second runs */
        cr_assert_not_null(line, "the trailing SELECTs did not start");
        free(line);
        int status = -1;
        for (int i = 0; i < 100 && status < 0; i++) { /* until it stops (10 s at most) */
            kill(pid, sigs[k]);
            status = wrt_wait(pid, 100);
        }
        if (status < 0) kill(pid, SIGKILL), wrt_wait(pid, 10000);
        close(fd);
        cr_assert_eq(status, 128 + sigs[k], "exit %d", status);
        size_t len;
        char *err = wr_read_file(err_path, &len);
        char *want = wr_xasprintf("weir run: %s stopped the trailing SELECT at %s:5:1\n",
                                  k ? "SIGTERM" : "SIGINT", path);
        cr_assert_str_eq(err, want);
        free(want);
        free(err);
    }
    unlink(err_path);
    unlink(path);
    free(path);
}
