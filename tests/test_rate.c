/* The rate source: Spark's sequence (the values of each second, the ramp
 * up, the timestamps), checked against a reference computed here from
 * Spark's formula; exactly-once across restarts and crashes at each stage of
 * a batch (the values in a durable sink are 0..n-1, each once); a checkpoint
 * is refused by a query with another rate. No broker: the runs use
 * availableNow, which reads the seconds that have passed since the query
 * first started. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "core/wr_core.h"
#include "support.h"

static char dir[64];

static void start(void) {
    wrt_temp_dir(dir, "rate");
}

static void stop(void) {
    wrt_remove_tree(dir);
}

TestSuite(rate, .init = start, .fini = stop, .timeout = 120);

/* Spark's RateStreamProvider.valueAtSecond, written out plainly. */
static int64_t ref_value_at(int64_t s, int64_t rate, int64_t ramp) {
    int64_t delta = rate / (ramp + 1);
    if (s <= ramp) return delta * s * (s + 1) / 2;
    return delta * ramp * (ramp + 1) / 2 + (s - ramp) * rate;
}

static void nap_ms(int ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static char *job(const char *options, const char *db) {
    return wr_xasprintf("CREATE SOURCE r USING rate OPTIONS (%s);\n"
                        "CREATE SINK m USING memory OPTIONS (path = '%s/%s');\n"
                        "INSERT INTO m SELECT timestamp, value FROM r;\n",
                        options, dir, db);
}

static wrt_result run(const char *text, const char *ck, const char *fault) {
    char *path = wrt_temp_job(text);
    if (fault) setenv("WEIR_FAULT", fault, 1);
    wrt_result r =
        WRT_RUN(NULL, "run", path, "--checkpoint", ck, "--trigger", "availableNow", "--progress");
    unsetenv("WEIR_FAULT");
    unlink(path);
    free(path);
    return r;
}

/* A query of the sink's SQLite file: one integer. */
static int64_t one(const char *db, const char *sql) {
    char *path = wr_xasprintf("%s/%s", dir, db);
    sqlite3 *h;
    cr_assert_eq(sqlite3_open(path, &h), SQLITE_OK);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(h));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    free(path);
    return v;
}

/* The seconds and start time a batch's progress line says it ended at. */
static void batch_end(const char *progress_line, int64_t *start_ms, int64_t *seconds) {
    json_t *j = json_loads(progress_line, 0, NULL);
    cr_assert_not_null(j, "not JSON: %s", progress_line);
    json_t *end = json_object_get(json_array_get(json_object_get(j, "sources"), 0), "endOffset");
    *start_ms = json_integer_value(json_object_get(end, "startTimeMs"));
    *seconds = json_integer_value(json_object_get(end, "seconds"));
    json_decref(j);
}

Test(rate, values_follow_sparks_ramp_up_and_timestamps) {
    char *ck = wr_xasprintf("%s/ck", dir);
    char *text = job("rowsPerSecond = 9, rampUpTime = '2s', numPartitions = 2", "ramp.sqlite");
    wrt_result r = run(text, ck, NULL); /* the query starts: its clock begins */
    cr_assert_eq(r.status, 0, "%s", r.err);
    wrt_result_free(&r);
    nap_ms(3300);
    r = run(text, ck, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    /* one batch, from second 0 to the seconds that passed */
    int64_t start_ms, seconds;
    batch_end(r.err, &start_ms, &seconds);
    cr_assert_geq(seconds, 3, "%s", r.err);
    int64_t n = ref_value_at(seconds, 9, 2);
    cr_assert(strstr(r.err, "\"numInputRows\":"), "%s", r.err);
    char *want = wr_xasprintf("\"numInputRows\":%lld", (long long)n);
    cr_assert(strstr(r.err, want), "want %s after %lld s: %s", want, (long long)seconds, r.err);
    free(want);
    cr_assert_eq(one("ramp.sqlite", "SELECT count(*) FROM m"), n);
    cr_assert_eq(one("ramp.sqlite", "SELECT count(DISTINCT value) FROM m"), n);
    cr_assert_eq(one("ramp.sqlite", "SELECT max(value) FROM m"), n - 1);
    /* value v of the batch [0, s): start + round(v * s * 1000 / n) ms (Spark's) */
    for (int64_t v = 0; v < n; v++) {
        char *sql = wr_xasprintf(
            "SELECT CAST(round((julianday(timestamp) - 2440587.5) * 86400000.0) AS INTEGER) FROM "
            "m WHERE value = %lld",
            (long long)v);
        int64_t ms = one("ramp.sqlite", sql),
                want_ms = start_ms + llround((double)v * (double)seconds * 1000.0 / (double)n);
        cr_assert_eq(ms, want_ms, "value %lld: %lld ms, want %lld", (long long)v, (long long)ms,
                     (long long)want_ms);
        free(sql);
    }
    wrt_result_free(&r);
    free(text);
    free(ck);
}

Test(rate, a_crash_at_each_stage_loses_and_doubles_nothing) {
    const char *stages[] = {"offsets", "sink", "state", "commit"};
    for (int s = 0; s < 4; s++) {
        char *ck = wr_xasprintf("%s/ck-%s", dir, stages[s]);
        char *db = wr_xasprintf("%s.sqlite", stages[s]);
        char *text = job("rowsPerSecond = 500, numPartitions = 3", db);
        wrt_result r = run(text, ck, NULL);
        cr_assert_eq(r.status, 0, "%s", r.err);
        wrt_result_free(&r);
        nap_ms(1100);
        r = run(text, ck, NULL); /* batch 0 */
        cr_assert_eq(r.status, 0, "%s", r.err);
        wrt_result_free(&r);
        nap_ms(1100);
        char *fault = wr_xasprintf("%s:1", stages[s]);
        r = run(text, ck, fault); /* batch 1 dies at the stage */
        cr_assert_eq(r.status, 70, "stage %s: exit %d: %s", stages[s], r.status, r.err);
        wrt_result_free(&r);
        nap_ms(1100);
        r = run(text, ck, NULL); /* batch 1 again (or its end), then what has come since */
        cr_assert_eq(r.status, 0, "%s", r.err);
        /* the last batch's end: every value before it, each once */
        const char *last = r.err, *p;
        while ((p = strstr(last + 1, "{\"id\"")))
            last = p;
        int64_t start_ms, seconds;
        batch_end(last, &start_ms, &seconds);
        int64_t n = ref_value_at(seconds, 500, 0);
        cr_assert_geq(seconds, 3);
        cr_assert_eq(one(db, "SELECT count(*) FROM m"), n, "stage %s", stages[s]);
        cr_assert_eq(one(db, "SELECT count(DISTINCT value) FROM m"), n, "stage %s", stages[s]);
        cr_assert_eq(one(db, "SELECT max(value) FROM m"), n - 1, "stage %s", stages[s]);
        wrt_result_free(&r);
        free(fault);
        free(text);
        free(db);
        free(ck);
    }
}

Test(rate, a_checkpoint_of_another_rate_is_refused) {
    char *ck = wr_xasprintf("%s/ck", dir);
    char *a = job("rowsPerSecond = 10", "a.sqlite"), *b = job("rowsPerSecond = 20", "a.sqlite");
    wrt_result r = run(a, ck, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    wrt_result_free(&r);
    r = run(b, ck, NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "was written by a different query") &&
                  strstr(r.err, "rowsPerSecond=10") && strstr(r.err, "rowsPerSecond=20"),
              "%s", r.err);
    wrt_result_free(&r);
    free(a), free(b), free(ck);
}

/* processingTime: as Spark's ProcessingTimeExecutor, batches start at
 * multiples of the interval by the wall clock (they do not drift by their
 * own duration). Each progress line's `timestamp` is its trigger's start. */
Test(rate, processing_time_batches_start_on_multiples_of_the_interval) {
    char *path =
        wrt_temp_job("CREATE SOURCE r USING rate OPTIONS (rowsPerSecond = '50');\n"
                     "CREATE SINK c USING memory OPTIONS (trigger = 'processingTime=1 second');\n"
                     "INSERT INTO c SELECT value FROM r;\n");
    int out, err; /* progress goes to stderr */
    pid_t pid = wrt_spawn_err((const char *const[]){"run", path, "--progress", NULL}, &out, &err);
    int64_t prev = -1;
    int seen = 0;
    for (int i = 0; i < 5; i++) {
        char *line = wrt_read_line_containing(err, "\"timestamp\"", 10000);
        cr_assert(line, "no progress line %d", i);
        json_t *j = json_loads(line, 0, NULL);
        cr_assert(j, "progress is not JSON: %s", line);
        const char *ts = json_string_value(json_object_get(j, "timestamp"));
        int h, m, s, ms;
        cr_assert_eq(sscanf(ts + 11, "%d:%d:%d.%dZ", &h, &m, &s, &ms), 4, "timestamp %s", ts);
        int64_t at = ((int64_t)(h * 60 + m) * 60 + s) * 1000 + ms;
        if (i > 0) { /* the first starts whenever the query does */
            cr_assert_lt(at % 1000, 150, "batch %d started at %s, not near a whole second", i, ts);
            if (prev >= 0)
                cr_assert_lt(llabs(at - prev - 1000), 150, "batches %s apart by %lld ms", ts,
                             (long long)(at - prev));
            prev = at;
            seen++;
        }
        json_decref(j);
        free(line);
    }
    cr_assert_eq(seen, 4);
    kill(pid, SIGINT);
    cr_assert_eq(wrt_wait(pid, 10000), 0);
    close(out);
    close(err);
    unlink(path);
    free(path);
}
