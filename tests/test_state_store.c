/* The state store on disk and the progress reports: deltas every batch,
 * snapshots every minDeltasForSnapshot batches, retention of
 * minBatchesToRetain batches (offsets, commits, progress and state files),
 * restore from a snapshot plus the deltas after it; and each batch's
 * StreamingQueryProgress JSON, on stderr with --progress and in progress/N. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/wr_broker.h"
#include "support.h"
#include "core/wr_core.h"

static wrt_world w;

static void start(void) {
    wrt_world_start(&w, "st", "w", 2);
}

static void stop(void) {
    wrt_world_stop(&w);
}

TestSuite(state_store, .init = start, .fini = stop, .timeout = 120);

/* One offset of each partition per batch: batch N reads offset N of both. */
static const char *job = "SET spark.sql.streaming.stateStore.minDeltasForSnapshot = 2;\n"
                         "SET spark.sql.streaming.minBatchesToRetain = 3;\n"
                         "SET weir.shuffle.partitions = 2;\n"
                         "CREATE SOURCE s USING kafka OPTIONS (subscribe = 'w', startingOffsets = "
                         "'earliest', maxOffsetsPerTrigger = 2);\n"
                         "CREATE SINK counts USING memory OPTIONS (outputMode = 'complete');\n"
                         "INSERT INTO counts SELECT CAST(value AS STRING) AS k, count(*) AS n FROM "
                         "s GROUP BY CAST(value AS STRING);\n"
                         "SELECT * FROM counts ORDER BY 1;";

static wrt_result run(const char *text, const char *const *extra) {
    return wrt_run_job(text,
                       (const char *const[]){"--bootstrap", w.bs, "--checkpoint", w.dir,
                                             "--trigger", "availableNow", "--format", "csv", NULL},
                       extra);
}

/* Produces values[i] to partition i % 2, in order. */
static void produce(const char *const *values, int n) {
    for (int i = 0; i < n; i++)
        wrt_produce(w.bs, "w", i % 2, &values[i], NULL, 1);
}

static int by_version(const void *a, const void *b) {
    return strverscmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names in a folder of the checkpoint, space-separated. */
static char *listing(const char *rel) {
    char *dir = wr_xasprintf("%s/counts/%s", w.dir, rel);
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "no folder %s", dir);
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256)
        if (e->d_name[0] != '.') names[n++] = wr_xstrdup(e->d_name);
    closedir(d);
    free(dir);
    qsort(names, (size_t)n, sizeof *names, by_version);
    wr_buf b = {0};
    for (int i = 0; i < n; i++) {
        wr_buf_printf(&b, "%s%s", i ? " " : "", names[i]);
        free(names[i]);
    }
    return b.p ? b.p : wr_xstrdup("");
}

static void remove_in(const char *rel) {
    char *p = wr_xasprintf("%s/counts/%s", w.dir, rel);
    cr_assert_eq(unlink(p), 0, "cannot remove %s", p);
    free(p);
}

Test(state_store, deltas_snapshots_retention_and_restore) {
    const char *m1[] = {"a", "b", "a", "c", "a", "b", "d", "a", "b", "b", "c", "e"};
    produce(m1, 12); /* partition 0: a a a d b c; partition 1: b c b a b e */
    wrt_result r = run(job, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "k,n\na,4\nb,4\nc,2\nd,1\ne,1\n");
    wrt_result_free(&r);
    /* batches 0..5; snapshots after batches 1, 3, 5; keep 3 batches (3..5):
     * restoring 3 starts at snapshot 3, so everything before it goes */
    char *l = listing("offsets");
    cr_assert_str_eq(l, "3 4 5");
    free(l);
    l = listing("commits");
    cr_assert_str_eq(l, "3 4 5");
    free(l);
    l = listing("progress");
    cr_assert_str_eq(l, "3 4 5");
    free(l);
    for (int p = 0; p < 2; p++) {
        char rel[32];
        snprintf(rel, sizeof rel, "state/0/%d", p);
        l = listing(rel);
        cr_assert_str_eq(l, "3.delta 3.snapshot 4.delta 5.delta 5.snapshot", "partition %d: %s", p,
                         l);
        free(l);
    }
    /* restore through deltas only: without snapshot 5, snapshot 3 + deltas 4, 5 */
    remove_in("state/0/0/5.snapshot");
    remove_in("state/0/1/5.snapshot");
    const char *m2[] = {"e", "f"};
    produce(m2, 2);
    r = run(job, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "k,n\na,4\nb,4\nc,2\nd,1\ne,2\nf,1\n", "state restored wrong: %s",
                     r.out);
    wrt_result_free(&r);
    /* a delta the restore needs is missing: an error naming it */
    remove_in("state/0/1/4.delta");
    const char *m3[] = {"g", "h"};
    produce(m3, 2);
    r = run(job, NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "/counts/state/0/1/4.delta is missing"), "%s", r.err);
    wrt_result_free(&r);
}

static json_t *parse_line(const char *line) {
    json_error_t je;
    json_t *j = json_loads(line, 0, &je);
    cr_assert_not_null(j, "not JSON: %s (%s)", line, je.text);
    return j;
}

static long long geti(json_t *o, const char *path) {
    json_t *v = json_object_get(o, path);
    cr_assert(json_is_integer(v), "no integer %s", path);
    return (long long)json_integer_value(v);
}

Test(state_store, progress_reports_each_batch) {
    const char *m1[] = {"a", "b", "a", "c"};
    produce(m1, 4); /* partition 0: a a; partition 1: b c */
    wrt_result r = run(job, (const char *const[]){"--progress", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    /* stderr holds the two batches' progress, one JSON line each */
    char *save = NULL, *lines[8];
    int n = 0;
    for (char *t = strtok_r(r.err, "\n", &save); t && n < 8; t = strtok_r(NULL, "\n", &save))
        lines[n++] = t;
    cr_assert_eq(n, 2, "expected 2 progress lines");
    const char *want_start[] = {"{\"w\":{\"0\":0,\"1\":0}}", "{\"w\":{\"0\":1,\"1\":1}}"};
    const char *want_end[] = {"{\"w\":{\"0\":1,\"1\":1}}", "{\"w\":{\"0\":2,\"1\":2}}"};
    const long long want_total[] = {2, 3}, want_out[] = {2, 3};
    char *id = NULL, *run_id = NULL;
    for (int b = 0; b < 2; b++) {
        json_t *j = parse_line(lines[b]);
        cr_assert_eq(geti(j, "batchId"), b);
        cr_assert_eq(geti(j, "numInputRows"), 2);
        cr_assert_str_eq(json_string_value(json_object_get(j, "name")), "counts");
        const char *ts = json_string_value(json_object_get(j, "timestamp"));
        cr_assert(ts && strlen(ts) == 24 && ts[10] == 'T' && ts[23] == 'Z', "timestamp %s", ts);
        cr_assert(json_is_real(json_object_get(j, "inputRowsPerSecond")) &&
                  json_is_real(json_object_get(j, "processedRowsPerSecond")));
        json_t *d = json_object_get(j, "durationMs");
        const char *keys[] = {"addBatch", "commitOffsets", "latestOffset", "triggerExecution",
                              "walCommit"};
        for (int k = 0; k < 5; k++)
            cr_assert(json_is_integer(json_object_get(d, keys[k])), "durationMs.%s", keys[k]);
        json_t *op = json_array_get(json_object_get(j, "stateOperators"), 0);
        cr_assert_eq(geti(op, "numRowsTotal"), want_total[b]);
        cr_assert_eq(geti(op, "numRowsUpdated"), 2); /* batch 0: a, b; batch 1: a, c */
        cr_assert_eq(geti(op, "numShufflePartitions"), 2);
        json_t *src = json_array_get(json_object_get(j, "sources"), 0);
        cr_assert_str_eq(json_string_value(json_object_get(src, "description")),
                         "KafkaV2[Subscribe[w]]");
        char *s = json_dumps(json_object_get(src, "startOffset"), JSON_COMPACT);
        cr_assert_str_eq(s, want_start[b]);
        free(s);
        s = json_dumps(json_object_get(src, "endOffset"), JSON_COMPACT);
        cr_assert_str_eq(s, want_end[b]);
        free(s);
        s = json_dumps(json_object_get(src, "latestOffset"), JSON_COMPACT);
        cr_assert_str_eq(s, "{\"w\":{\"0\":2,\"1\":2}}");
        free(s);
        json_t *sink = json_object_get(j, "sink");
        cr_assert_str_eq(json_string_value(json_object_get(sink, "description")),
                         "MemorySink[counts]");
        cr_assert_eq(geti(sink, "numOutputRows"), want_out[b]); /* complete mode: every group */
        /* the same object is in progress/<batch> */
        char *pf = wr_xasprintf("%s/counts/progress/%d", w.dir, b);
        size_t len;
        char *text = wr_read_file(pf, &len);
        cr_assert_not_null(text, "no %s", pf);
        cr_assert_eq(len, strlen(lines[b]) + 1);
        cr_assert(!strncmp(text, lines[b], len - 1), "progress/%d differs from stderr", b);
        free(text);
        free(pf);
        /* one id for the query (the checkpoint's), one run id for the run */
        const char *i1 = json_string_value(json_object_get(j, "id")),
                   *r1 = json_string_value(json_object_get(j, "runId"));
        cr_assert(i1 && strlen(i1) == 36 && r1 && strlen(r1) == 36);
        if (!id) id = wr_xstrdup(i1), run_id = wr_xstrdup(r1);
        cr_assert_str_eq(i1, id);
        cr_assert_str_eq(r1, run_id);
        json_decref(j);
    }
    char *mp = wr_xasprintf("%s/counts/metadata", w.dir);
    size_t ml;
    char *meta = wr_read_file(mp, &ml);
    cr_assert(meta && strstr(meta, id), "the progress id is not the checkpoint's query id");
    free(meta);
    free(mp);
    free(id);
    free(run_id);
    wrt_result_free(&r);
}
