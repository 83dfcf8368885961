/* The csv and json file sinks: exact file contents (quoting, NULLs, header,
 * Spark's JSON and timestamp forms), the metadata log in Spark's format,
 * exactly-once across replays (a committed batch is not written again, an
 * uncommitted one is rewritten), trailing SELECTs that read only the
 * files the log commits, and a log that must agree with the checkpoint. */
#include <criterion/criterion.h>
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
    wrt_world_start(&w, "fs", "f", 1);
}

static void stop(void) {
    wrt_world_stop(&w);
}

TestSuite(file_sink, .init = start, .fini = stop, .timeout = 120);

static wrt_result run(const char *text) {
    char *ck = wr_xasprintf("%s/ck", w.dir);
    wrt_result r =
        wrt_run_job(text,
                    (const char *const[]){"--bootstrap", w.bs, "--checkpoint", ck, "--trigger",
                                          "availableNow", "--format", "csv", NULL},
                    NULL);
    free(ck);
    return r;
}

static char *slurp(const char *rel) {
    char *p = wr_xasprintf("%s/%s", w.dir, rel);
    size_t len;
    char *t = wr_read_file(p, &len);
    cr_assert_not_null(t, "no file %s", p);
    free(p);
    return t;
}

static const char *const lines[] = {"hello,world", "plain", "  spaced ",
                                    "quote\"d",    "",      "back\\slash"};

static char *csv_job(void) {
    return wr_xasprintf("CREATE SOURCE s USING kafka OPTIONS (subscribe = 'f', startingOffsets = "
                        "'earliest', maxOffsetsPerTrigger = 4);\n"
                        "CREATE SINK c USING csv OPTIONS (path = '%s/c', header = 'true');\n"
                        "INSERT INTO c SELECT CAST(value AS STRING) AS v, offset, CASE WHEN offset "
                        "%% 2 = 0 THEN NULL ELSE offset / 2 END AS half,\n"
                        "  CAST('2023-11-14 22:13:20.5' AS TIMESTAMP) AS ts FROM s;\n"
                        "SELECT v, offset, half, ts FROM c ORDER BY offset;",
                        w.dir);
}

Test(file_sink, csv_files_log_and_trailing_select) {
    wrt_produce(w.bs, "f", 0, lines, NULL, 6);
    char *job = csv_job();
    wrt_result r = run(job);
    cr_assert_eq(r.status, 0, "%s", r.err);
    /* the SELECT reads the values back as they were */
    cr_assert_str_eq(r.out, "v,offset,half,ts\n"
                            "\"hello,world\",0,,2023-11-14 22:13:20.5\n"
                            "plain,1,0.5,2023-11-14 22:13:20.5\n"
                            "  spaced ,2,,2023-11-14 22:13:20.5\n"
                            "\"quote\"\"d\",3,1.5,2023-11-14 22:13:20.5\n"
                            ",4,,2023-11-14 22:13:20.5\n"
                            "back\\slash,5,2.5,2023-11-14 22:13:20.5\n");
    wrt_result_free(&r);
    /* two batches (4 offsets a batch): two files in Spark's csv form */
    char *t = slurp("c/batch-0.csv");
    cr_assert_str_eq(t, "v,offset,half,ts\n"
                        "\"hello,world\",0,,2023-11-14T22:13:20.500Z\n"
                        "plain,1,0.5,2023-11-14T22:13:20.500Z\n"
                        "\"  spaced \",2,,2023-11-14T22:13:20.500Z\n"
                        "\"quote\\\"d\",3,1.5,2023-11-14T22:13:20.500Z\n");
    free(t);
    t = slurp("c/batch-1.csv");
    const char *batch1 = "v,offset,half,ts\n\"\",4,,2023-11-14T22:13:20.500Z\n\"back\\\\slash\",5,"
                         "2.5,2023-11-14T22:13:20.500Z\n";
    cr_assert_str_eq(t, batch1);
    free(t);
    /* the log: v1, then one JSON line per file */
    t = slurp("c/_spark_metadata/1");
    cr_assert(!strncmp(t, "v1\n", 3), "%s", t);
    cr_assert_null(strchr(t + 3, '\n'), "one file, one line: %s", t);
    json_t *j = json_loads(t + 3, 0, NULL);
    cr_assert_not_null(j);
    char *want = wr_xasprintf("file://%s/c/batch-1.csv", w.dir);
    cr_assert_str_eq(json_string_value(json_object_get(j, "path")), want);
    cr_assert_eq(json_integer_value(json_object_get(j, "size")), (json_int_t)strlen(batch1));
    cr_assert_str_eq(json_string_value(json_object_get(j, "action")), "add");
    cr_assert(json_is_false(json_object_get(j, "isDir")));
    json_decref(j);
    free(want);
    free(t);
    free(job);
}

Test(file_sink, replays_write_nothing_twice_and_readers_see_only_committed_files) {
    wrt_produce(w.bs, "f", 0, lines, NULL, 6);
    char *job = csv_job();
    wrt_result r = run(job);
    cr_assert_eq(r.status, 0, "%s", r.err);
    wrt_result_free(&r);
    char *before = slurp("c/batch-1.csv");
    /* died after the sink's log entry, before commits/1: batch 1 runs again, writes nothing */
    char *p = wr_xasprintf("%s/ck/c/commits/1", w.dir);
    cr_assert_eq(unlink(p), 0);
    free(p);
    /* a file no log entry names (an attempt that died before its entry) */
    p = wr_xasprintf("%s/c/batch-9.csv", w.dir);
    FILE *f = fopen(p, "w");
    fputs("v,offset,half,ts\nstray,99,,\n", f);
    fclose(f);
    free(p);
    r = run(job);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(wrt_count_lines(r.out, r.outlen), 7, "rows doubled or a stray file read: %s",
                 r.out);
    cr_assert_null(strstr(r.out, "stray"));
    wrt_result_free(&r);
    char *after = slurp("c/batch-1.csv");
    cr_assert_str_eq(after, before);
    free(after);
    /* died after writing the file, before the log entry and commits/1: the
     * batch runs again and its file is written anew, once */
    p = wr_xasprintf("%s/ck/c/commits/1", w.dir);
    cr_assert_eq(unlink(p), 0);
    free(p);
    p = wr_xasprintf("%s/c/_spark_metadata/1", w.dir);
    cr_assert_eq(unlink(p), 0);
    free(p);
    p = wr_xasprintf("%s/c/batch-1.csv", w.dir);
    f = fopen(p, "w");
    fputs("v,offset\nhalf-written", f);
    fclose(f);
    free(p);
    const char *more[] = {"late"};
    wrt_produce(w.bs, "f", 0, more, NULL, 1);
    r = run(job);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(wrt_count_lines(r.out, r.outlen), 8, "%s", r.out);
    cr_assert(strstr(r.out, "back\\slash,5,2.5,") && strstr(r.out, "late,6,,"), "%s", r.out);
    wrt_result_free(&r);
    after = slurp("c/batch-1.csv");
    cr_assert_str_eq(after, before);
    free(after);
    free(before);
    free(job);
}

Test(file_sink, json_lines_as_spark_writes_them) {
    wrt_produce(w.bs, "f", 0, lines, NULL, 3);
    char *job = wr_xasprintf(
        "CREATE SOURCE s USING kafka OPTIONS (subscribe = 'f', startingOffsets = 'earliest');\n"
        "CREATE SINK j USING json OPTIONS (path = '%s/j');\n"
        "INSERT INTO j SELECT CAST(value AS STRING) AS v, split(CAST(value AS STRING), 'l') AS "
        "parts, value AS raw,\n"
        "  CASE WHEN offset = 1 THEN NULL ELSE offset END AS o, offset > 0 AS later, CAST(offset "
        "AS DOUBLE) / 4 AS q,\n"
        "  CAST('2023-11-14 22:13:20' AS TIMESTAMP) AS ts FROM s;\n"
        "SELECT v, parts, hex(raw), o, later, q, ts FROM j ORDER BY v;",
        w.dir);
    wrt_result r = run(job);
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *t = slurp("j/batch-0.json");
    cr_assert_str_eq(
        t,
        "{\"v\":\"hello,world\",\"parts\":[\"he\",\"\",\"o,wor\",\"d\"],\"raw\":\"aGVsbG8sd29ybGQ="
        "\",\"o\":0,\"later\":false,\"q\":0.0,\"ts\":\"2023-11-14T22:13:20.000Z\"}\n"
        "{\"v\":\"plain\",\"parts\":[\"p\",\"ain\"],\"raw\":\"cGxhaW4=\",\"later\":true,\"q\":0.25,"
        "\"ts\":\"2023-11-14T22:13:20.000Z\"}\n"
        "{\"v\":\"  spaced \",\"parts\":[\"  spaced "
        "\"],\"raw\":\"ICBzcGFjZWQg\",\"o\":2,\"later\":true,\"q\":0.5,\"ts\":\"2023-11-14T22:13:"
        "20.000Z\"}\n");
    free(t);
    /* read back through the log with the query's types */
    cr_assert_str_eq(
        r.out,
        "v,parts,hex(raw),o,later,q,ts\n"
        "  spaced ,[  spaced ],202073706163656420,2,1,0.5,2023-11-14 22:13:20\n"
        "\"hello,world\",\"[he, , o,wor, d]\",68656C6C6F2C776F726C64,0,0,0.0,2023-11-14 22:13:20\n"
        "plain,\"[p, ain]\",706C61696E,,1,0.25,2023-11-14 22:13:20\n");
    wrt_result_free(&r);
    free(job);
}

static void move(const char *from_rel, const char *to_rel) {
    char *a = wr_xasprintf("%s/%s", w.dir, from_rel), *b = wr_xasprintf("%s/%s", w.dir, to_rel);
    cr_assert_eq(rename(a, b), 0, "rename %s %s", a, b);
    free(a);
    free(b);
}

/* Runs the job and expects exit 1 with stderr "weir run: query c failed: " + want. */
static void refused(const char *job, const char *want) {
    wrt_result r = run(job);
    cr_assert_eq(r.status, 1, "not refused (want: %s): %s", want, r.out);
    char *full = wr_xasprintf("weir run: query c failed: %s\n", want);
    cr_assert_str_eq(r.err, full);
    free(full);
    wrt_result_free(&r);
}

/* The sink records which query its log entries belong to (_weir_sink,
 * beside _spark_metadata); at start the log must agree with the
 * checkpoint. A removed checkpoint with the files kept, a removed newest or
 * middle log entry, a removed log and a damaged _weir_sink are refused,
 * naming the file and the way out; a folder of an earlier Weir (no
 * _weir_sink) is taken over. */
Test(file_sink, the_log_and_the_checkpoint_must_agree) {
    wrt_produce(w.bs, "f", 0, lines, NULL, 6);
    char *job = csv_job();
    wrt_result r = run(job);
    cr_assert_eq(r.status, 0, "%s", r.err);
    wrt_result_free(&r);
    char *meta = slurp("ck/c/metadata");
    json_t *m = json_loads(meta, 0, NULL);
    char *id = wr_xstrdup(json_string_value(json_object_get(m, "id")));
    json_decref(m);
    free(meta);
    char *mark = slurp("c/_weir_sink"), *want = wr_xasprintf("{\"queryId\":\"%s\"}", id);
    cr_assert_str_eq(mark, want);
    free(mark), free(want);
    char *ck = wr_xasprintf("%s/ck/c", w.dir), *sink = wr_xasprintf("%s/c", w.dir);
    /* the README's old "start fresh": the checkpoint removed, the files kept */
    move("ck", "ck.kept");
    r = run(job);
    cr_assert_eq(r.status, 1, "a sink kept under a fresh checkpoint was not noticed: %s", r.out);
    want = wr_xasprintf("weir run: query c failed: sink c: %s holds the batches of another query "
                        "(%s/_weir_sink names query %s; checkpoint %s did not exist): restore "
                        "that query's checkpoint, give the sink its own path, or, to start fresh, "
                        "remove %s\n",
                        sink, sink, id, ck, sink);
    cr_assert_str_eq(r.err, want);
    free(want);
    wrt_result_free(&r);
    char *rm = wr_xasprintf("%s/ck", w.dir); /* the refused start made no checkpoint */
    cr_assert_neq(access(rm, F_OK), 0, "the failed start left %s", rm);
    free(rm);
    move("ck.kept", "ck");
    /* the newest log entry removed: the sink is behind the checkpoint */
    move("c/_spark_metadata/1", "entry1");
    want = wr_xasprintf(
        "sink c: %s/_spark_metadata holds batches only up to 0 but checkpoint %s committed batch 1 "
        "(%s/commits/1): the sink's "
        "output was removed or damaged; restore it, or, to start fresh, remove both %s and %s",
        sink, ck, ck, ck, sink);
    refused(job, want);
    free(want);
    move("entry1", "c/_spark_metadata/1");
    /* an older entry removed */
    move("c/_spark_metadata/0", "entry0");
    want = wr_xasprintf("file sink c: its log %s/_spark_metadata has entries up to 1 but no "
                        "%s/_spark_metadata/0: restore that file, or remove "
                        "%s and %s to start fresh",
                        sink, sink, sink, ck);
    refused(job, want);
    free(want);
    move("entry0", "c/_spark_metadata/0");
    /* the whole log removed */
    move("c/_spark_metadata", "log");
    want = wr_xasprintf("sink c: %s/_spark_metadata holds no batch but checkpoint %s committed "
                        "batch 1 (%s/commits/1): the sink's output was "
                        "removed or damaged; restore it, or, to start fresh, remove both %s and %s",
                        sink, ck, ck, ck, sink);
    refused(job, want);
    free(want);
    move("log", "c/_spark_metadata");
    /* a damaged _weir_sink */
    move("c/_weir_sink", "mark");
    char *p = wr_xasprintf("%s/c/_weir_sink", w.dir);
    FILE *f = fopen(p, "w");
    fputs("{\"queryId\":", f);
    fclose(f);
    want = wr_xasprintf("file sink c: %s/_weir_sink is damaged (expected {\"queryId\": \"...\"}); "
                        "restore it, or remove %s and %s to start fresh",
                        sink, sink, ck);
    refused(job, want);
    free(want);
    /* no _weir_sink (a folder of an earlier Weir): taken over at the next batch */
    cr_assert_eq(unlink(p), 0);
    free(p);
    const char *more[] = {"late"};
    wrt_produce(w.bs, "f", 0, more, NULL, 1);
    r = run(job);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(wrt_count_lines(r.out, r.outlen), 8, "%s", r.out);
    cr_assert(strstr(r.out, "\nlate,6,,2023-11-14 22:13:20.5\n"), "%s", r.out);
    wrt_result_free(&r);
    mark = slurp("c/_weir_sink");
    want = wr_xasprintf("{\"queryId\":\"%s\"}", id);
    cr_assert_str_eq(mark, want);
    free(mark), free(want);
    free(id), free(ck), free(sink), free(job);
}
