/* The csv and json file sinks: exact file contents (quoting, NULLs, header,
 * Spark's JSON and timestamp forms), the metadata log in Spark's format,
 * exactly-once across replays (a committed batch is not written again, an
 * uncommitted one is rewritten), and trailing SELECTs that read only the
 * files the log commits. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/wr_broker.h"
#include "support.h"
#include "util/wr_util.h"

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
    wrt_result r = wrt_run_job(text, (const char *const[]){"--bootstrap", w.bs, "--checkpoint", ck, "--trigger", "availableNow", "--format", "csv", NULL},
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

static const char *const lines[] = {"hello,world", "plain", "  spaced ", "quote\"d", "", "back\\slash"};

static char *csv_job(void) {
    return wr_xasprintf("CREATE SOURCE s USING kafka OPTIONS (subscribe = 'f', startingOffsets = 'earliest', maxOffsetsPerTrigger = 4);\n"
                        "CREATE SINK c USING csv OPTIONS (path = '%s/c', header = 'true');\n"
                        "INSERT INTO c SELECT CAST(value AS STRING) AS v, offset, CASE WHEN offset %% 2 = 0 THEN NULL ELSE offset / 2 END AS half,\n"
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
    const char *batch1 = "v,offset,half,ts\n\"\",4,,2023-11-14T22:13:20.500Z\n\"back\\\\slash\",5,2.5,2023-11-14T22:13:20.500Z\n";
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
    cr_assert_eq(wrt_count_lines(r.out, r.outlen), 7, "rows doubled or a stray file read: %s", r.out);
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
    char *job = wr_xasprintf("CREATE SOURCE s USING kafka OPTIONS (subscribe = 'f', startingOffsets = 'earliest');\n"
                             "CREATE SINK j USING json OPTIONS (path = '%s/j');\n"
                             "INSERT INTO j SELECT CAST(value AS STRING) AS v, split(CAST(value AS STRING), 'l') AS parts, value AS raw,\n"
                             "  CASE WHEN offset = 1 THEN NULL ELSE offset END AS o, offset > 0 AS later, CAST(offset AS DOUBLE) / 4 AS q,\n"
                             "  CAST('2023-11-14 22:13:20' AS TIMESTAMP) AS ts FROM s;\n"
                             "SELECT v, parts, hex(raw), o, later, q, ts FROM j ORDER BY v;",
                             w.dir);
    wrt_result r = run(job);
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *t = slurp("j/batch-0.json");
    cr_assert_str_eq(t, "{\"v\":\"hello,world\",\"parts\":[\"he\",\"\",\"o,wor\",\"d\"],\"raw\":\"aGVsbG8sd29ybGQ=\",\"o\":0,\"later\":false,\"q\":0.0,\"ts\":\"2023-11-14T22:13:20.000Z\"}\n"
                        "{\"v\":\"plain\",\"parts\":[\"p\",\"ain\"],\"raw\":\"cGxhaW4=\",\"later\":true,\"q\":0.25,\"ts\":\"2023-11-14T22:13:20.000Z\"}\n"
                        "{\"v\":\"  spaced \",\"parts\":[\"  spaced \"],\"raw\":\"ICBzcGFjZWQg\",\"o\":2,\"later\":true,\"q\":0.5,\"ts\":\"2023-11-14T22:13:20.000Z\"}\n");
    free(t);
    /* read back through the log with the query's types */
    cr_assert_str_eq(r.out, "v,parts,hex(raw),o,later,q,ts\n"
                            "  spaced ,[  spaced ],202073706163656420,2,1,0.5,2023-11-14 22:13:20\n"
                            "\"hello,world\",\"[he, , o,wor, d]\",68656C6C6F2C776F726C64,0,0,0.0,2023-11-14 22:13:20\n"
                            "plain,\"[p, ain]\",706C61696E,,1,0.25,2023-11-14 22:13:20\n");
    wrt_result_free(&r);
    free(job);
}
