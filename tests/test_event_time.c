/* Event time, deterministically: events carry their own times (seconds since
 * the epoch, in the message), each case feeds them in runs of `weir run
 * --trigger availableNow` on one checkpoint (so every run is also a restart:
 * state and watermark come back from the checkpoint), and compares what the
 * console sink emitted per batch, rows sorted, with the expected text. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/wr_broker.h"
#include "support.h"
#include "core/wr_core.h"

static wrt_world w;

static void start(void) {
    wrt_world_start(&w, "et", NULL, 0);
}

static void stop(void) {
    wrt_world_stop(&w);
}

TestSuite(event_time, .init = start, .fini = stop, .timeout = 180);

typedef struct et_case {
    const char *name;
    const char *mode;
    const char *select;  /* over view ev(t TIMESTAMP, k STRING, v INT) */
    const char *runs[6]; /* events "seconds,key,value" separated by ';', one string per run */
    const char *want;    /* "batch N: row | row" per batch, rows sorted */
} et_case;

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Console output -> "batch N: a,b | c,d" lines (cells trimmed, rows sorted). */
static void canonical(const char *out, wr_buf *b) {
    char *text = wr_xstrdup(out), *save = NULL, *rows[256];
    int nrows = 0, batch = -1, lineno = 0;
    for (char *l = strtok_r(text, "\n", &save);; l = strtok_r(NULL, "\n", &save)) {
        if (!l || !strncmp(l, "Batch: ", 7)) {
            if (batch >= 0) {
                qsort(rows, (size_t)nrows, sizeof *rows, cmp_str);
                wr_buf_printf(b, "batch %d:", batch);
                for (int i = 0; i < nrows; i++) {
                    wr_buf_printf(b, "%s %s", i ? " |" : "", rows[i]);
                    free(rows[i]);
                }
                wr_buf_putc(b, '\n');
            }
            if (!l) break;
            batch = atoi(l + 7), nrows = 0, lineno = 0;
            continue;
        }
        if (l[0] != '|') continue;
        if (lineno++ == 0) continue; /* the header */
        wr_buf row = {0};
        for (char *c = l + 1; *c;) {
            char *bar = strchr(c, '|');
            if (!bar) break;
            char *s = c, *e = bar;
            while (s < e && *s == ' ')
                s++;
            while (e > s && e[-1] == ' ')
                e--;
            wr_buf_printf(&row, "%s%.*s", row.len ? "," : "", (int)(e - s), s);
            c = bar + 1;
        }
        if (nrows < 256) rows[nrows++] = row.p ? row.p : wr_xstrdup("");
    }
    free(text);
}

static void run_case(const et_case *c, int idx) {
    char topic[32];
    snprintf(topic, sizeof topic, "et%d", idx);
    char err[256];
    cr_assert_eq(wr_broker_create_topic(w.broker, topic, 1, err, sizeof err), 0, "%s", err);
    char *job = wr_xasprintf(
        "CREATE SOURCE s USING kafka OPTIONS (subscribe = '%s', startingOffsets = 'earliest');\n"
        "CREATE VIEW ev AS SELECT CAST(CAST(split(CAST(value AS STRING), ',')[0] AS BIGINT) AS "
        "TIMESTAMP) AS t,\n"
        "  split(CAST(value AS STRING), ',')[1] AS k, CAST(split(CAST(value AS STRING), ',')[2] AS "
        "INT) AS v FROM s;\n"
        "CREATE SINK out USING console OPTIONS (outputMode = '%s', truncate = 'false', numRows = "
        "100);\n"
        "INSERT INTO out %s;",
        topic, c->mode, c->select);
    char *ck = wr_xasprintf("%s/ck%d", w.dir, idx);
    wr_buf got = {0};
    for (int r = 0; r < 6 && c->runs[r]; r++) {
        char *ev = wr_xstrdup(c->runs[r]), *save = NULL;
        const char *msgs[64];
        int n = 0;
        for (char *m = strtok_r(ev, ";", &save); m && n < 64; m = strtok_r(NULL, ";", &save))
            msgs[n++] = m;
        wrt_produce(w.bs, topic, 0, msgs, NULL, n);
        free(ev);
        wrt_result res = wrt_run_job(job,
                                     (const char *const[]){"--bootstrap", w.bs, "--checkpoint", ck,
                                                           "--trigger", "availableNow", NULL},
                                     NULL);
        cr_assert_eq(res.status, 0, "%s, run %d: %s", c->name, r, res.err);
        canonical(res.out, &got);
        wrt_result_free(&res);
    }
    cr_assert_str_eq(got.p ? got.p : "", c->want, "case %s:\n%s", c->name, got.p ? got.p : "");
    wr_buf_free(&got);
    free(job);
    free(ck);
}

#define TUMBLE                                                                                     \
    "SELECT unix_timestamp(window.start) AS s, k, count(*) AS n, sum(v) AS total FROM ev "         \
    "WATERMARK t DELAY OF INTERVAL 10 SECONDS GROUP BY window(t, '1 minute'), k"
/* run 1: nothing late; run 2: a@5 late but allowed (its window is open), the
 * watermark reaches 60; run 3: a@1 behind the watermark (dropped), 130 moves it to 120 */
#define TUMBLE_RUNS                                                                                \
    { "0,a,1;10,b,2", "70,a,3;5,a,4", "1,a,6;130,b,5" }

Test(event_time, tumbling_windows_in_each_output_mode) {
    static const et_case cases[] = {
        {"append", "append", TUMBLE, TUMBLE_RUNS,
         /* a window is emitted once, in the batch without data that runs when the watermark passes
            its end */
         "batch 0:\nbatch 1:\nbatch 2: 0,a,2,5 | 0,b,1,2\nbatch 3:\nbatch 4: 60,a,1,3\n"},
        {"update", "update", TUMBLE, TUMBLE_RUNS,
         "batch 0: 0,a,1,1 | 0,b,1,2\nbatch 1: 0,a,2,5 | 60,a,1,3\nbatch 2:\nbatch 3: "
         "120,b,1,5\nbatch 4:\n"},
        {"complete", "complete", TUMBLE,
         TUMBLE_RUNS, /* complete mode keeps everything: nothing dropped, nothing evicted */
         "batch 0: 0,a,1,1 | 0,b,1,2\nbatch 1: 0,a,2,5 | 0,b,1,2 | 60,a,1,3\nbatch 2: 0,a,3,11 | "
         "0,b,1,2 | 120,b,1,5 | 60,a,1,3\n"},
    };
    for (int i = 0; i < 3; i++)
        run_case(&cases[i], i);
}

Test(event_time, sliding_windows_keep_exact_min_and_max) {
    static const et_case c = {
        "sliding",
        "complete",
        "SELECT unix_timestamp(window.start) AS s, unix_timestamp(window.end) AS e, count(*) AS n, "
        "min(v) AS lo, max(v) AS hi, avg(v) AS mean "
        "FROM ev GROUP BY window(t, '60 seconds', '30 seconds')",
        {"10,a,5;40,a,1;80,a,9"},
        /* 5 leaves at 60, 1 at 90: no window shows a value it does not hold */
        "batch 0: -30,30,1,5,5,5.0 | 0,60,2,1,5,3.0 | 30,90,2,1,9,5.0 | 60,120,1,9,9,9.0\n"};
    run_case(&c, 10);
}

Test(event_time, session_windows_merge_when_a_late_event_bridges_them) {
    static const et_case c = {
        "session",
        "append",
        "SELECT unix_timestamp(session_window.start) AS s, unix_timestamp(session_window.end) AS "
        "e, k, count(*) AS n, sum(v) AS total "
        "FROM ev WATERMARK t DELAY OF INTERVAL 60 SECONDS GROUP BY session_window(t, '30 "
        "seconds'), k",
        /* run 1: two sessions of a; run 2: a@25 bridges them, b@200 moves the
         * watermark to 140: the merged session closes; run 3: a@100 is behind
         * the watermark, b@210 extends b's session */
        {"0,a,1;50,a,2", "25,a,3;200,b,4", "100,a,5;210,b,6", "400,c,7"},
        "batch 0:\nbatch 1:\nbatch 2: 0,80,a,3,6\nbatch 3:\nbatch 4:\nbatch 5:\nbatch 6: "
        "200,240,b,2,10\n"};
    run_case(&c, 20);
}

/* Append mode into a json file sink, with the process ending at each stage
 * of the batch that closes the first windows: after the restart every
 * window is in the files exactly once; the progress counts late rows and
 * evicted groups. */
Test(event_time, append_windows_reach_a_file_sink_once_across_crashes) {
    const char *stages[] = {"offsets", "sink", "state", "commit"};
    for (int s = 0; s < 4; s++) {
        char topic[32];
        snprintf(topic, sizeof topic, "ef%d", s);
        char err[256];
        cr_assert_eq(wr_broker_create_topic(w.broker, topic, 1, err, sizeof err), 0, "%s", err);
        char *job = wr_xasprintf("CREATE SOURCE s USING kafka OPTIONS (subscribe = '%s', "
                                 "startingOffsets = 'earliest');\n"
                                 "CREATE VIEW ev AS SELECT CAST(CAST(split(CAST(value AS STRING), "
                                 "',')[0] AS BIGINT) AS TIMESTAMP) AS t,\n"
                                 "  split(CAST(value AS STRING), ',')[1] AS k FROM s;\n"
                                 "CREATE SINK out USING json OPTIONS (path = '%s/files-%s');\n"
                                 "INSERT INTO out SELECT window, k, count(*) AS n FROM ev "
                                 "WATERMARK t DELAY OF INTERVAL 10 SECONDS\n"
                                 "  GROUP BY window(t, '1 minute'), k;\n"
                                 "SELECT window, k, n FROM out ORDER BY window, k;",
                                 topic, w.dir, stages[s]);
        char *ck = wr_xasprintf("%s/ckf-%s", w.dir, stages[s]),
             *fault = wr_xasprintf("%s:1", stages[s]);
        const char *const args[] = {
            "--bootstrap",  w.bs,       "--checkpoint", ck,           "--trigger",
            "availableNow", "--format", "csv",          "--progress", NULL};
        const char *m1[] = {"0,a", "10,b", "5,a", "75,a"};
        wrt_produce(w.bs, topic, 0, m1, NULL, 4);
        /* batch 0 takes all four; the watermark moves to 65: batch 1, without data, closes [0, 60)
         */
        setenv("WEIR_FAULT", fault, 1);
        wrt_result r = wrt_run_job(job, args, NULL);
        unsetenv("WEIR_FAULT");
        cr_assert_eq(r.status, 70, "%s: %s", stages[s], r.err);
        wrt_result_free(&r);
        const char *m2[] = {"3,a", "190,b"}; /* a@3 is late; 190 closes [60, 120) */
        wrt_produce(w.bs, topic, 0, m2, NULL, 2);
        r = wrt_run_job(job, args, NULL);
        cr_assert_eq(r.status, 0, "%s: %s", stages[s], r.err);
        cr_assert_str_eq(r.out,
                         "window,k,n\n"
                         "\"{1970-01-01 00:00:00, 1970-01-01 00:01:00}\",a,2\n"
                         "\"{1970-01-01 00:00:00, 1970-01-01 00:01:00}\",b,1\n"
                         "\"{1970-01-01 00:01:00, 1970-01-01 00:02:00}\",a,1\n",
                         "after a crash at %s: %s", stages[s], r.out);
        /* the batch with a@3: one row dropped; the batch after it evicts [60, 120) */
        cr_assert(strstr(r.err, "\"numRowsDroppedByWatermark\":1"), "%s", r.err);
        cr_assert(strstr(r.err, "\"eventTime\":{\"max\":\"1970-01-01T00:03:10.000Z\",\"min\":"
                                "\"1970-01-01T00:00:03.000Z\","
                                "\"watermark\":\"1970-01-01T00:01:05.000Z\"}"),
                  "%s", r.err);
        wrt_result_free(&r);
        free(job), free(ck), free(fault);
    }
}

/* A Kafka timestamp beyond year 9999 (here 9.3e15 ms, which overflowed when
 * turned into microseconds) fails the batch with an error naming topic,
 * partition and offset, as Spark's exact conversion fails; a query that does
 * not read the timestamp column reads the same messages fine. */
Test(event_time, kafka_timestamp_out_of_range) {
    char err[256];
    cr_assert_eq(wr_broker_create_topic(w.broker, "tsrange", 1, err, sizeof err), 0, "%s", err);
    const char *msgs[] = {"a", "b"};
    const int64_t ts[] = {1700000000000LL, 9300000000000000LL};
    wrt_produce_at(w.bs, "tsrange", 0, msgs, NULL, ts, 2);
    const char *const args[] = {"--bootstrap", w.bs,  "--trigger", "availableNow",
                                "--format",    "csv", NULL};
    wrt_result r =
        wrt_run_job("CREATE SOURCE s USING kafka OPTIONS (subscribe = 'tsrange', startingOffsets = "
                    "'earliest');\n"
                    "CREATE SINK out USING memory;\n"
                    "INSERT INTO out SELECT CAST(value AS STRING) AS v, timestamp FROM s;\n"
                    "SELECT * FROM out;",
                    args, NULL);
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert_str_eq(r.err, "weir run: query out failed: tsrange partition 0 offset 1 has "
                            "timestamp 9300000000000000 ms, after "
                            "9999-12-31, the end of the TIMESTAMP range: fix the producer's "
                            "timestamps, or do not read the timestamp "
                            "column\n");
    wrt_result_free(&r);
    r = wrt_run_job("CREATE SOURCE s USING kafka OPTIONS (subscribe = 'tsrange', startingOffsets = "
                    "'earliest');\n"
                    "CREATE SINK out USING memory;\n"
                    "INSERT INTO out SELECT CAST(value AS STRING) AS v, offset FROM s;\n"
                    "SELECT * FROM out ORDER BY offset;",
                    args, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "v,offset\na,0\nb,1\n");
    wrt_result_free(&r);
}
