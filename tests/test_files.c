/* The file sources (text, csv, json): exact rows of each format, malformed
 * records in each mode, lines ended by \n, \r\n or \r, a last line without
 * its newline, empty and binary files; files that appear while a query runs;
 * the log in the checkpoint (sources/0/N in Spark's format, N.compact every
 * 10 batches), exactly-once across a crash at each stage of a batch and
 * across SIGKILLs at random moments; maxFilesPerTrigger, maxBytesPerTrigger,
 * latestFirst, maxFileAge, cleanSource; a 20 MB file read by 4 splits gives
 * the word counts computed here from the file; input_file_name(); missing
 * and changed files. No broker: every run reads files. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/wr_core.h"
#include "support.h"

static char dir[64];

static void start(void) {
    wrt_temp_dir(dir, "files");
}

static void stop(void) {
    wrt_remove_tree(dir);
}

TestSuite(files, .init = start, .fini = stop, .timeout = 300);

/* A path under the test's folder (malloc'd). */
static char *at(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *at(const char *fmt, ...) {
    char rel[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rel, sizeof rel, fmt, ap);
    va_end(ap);
    return wr_xasprintf("%s/%s", dir, rel);
}

/* Writes a file under the test's folder (its folders made), as a careful
 * writer does: under a hidden name, then renamed into place. */
static void put(const char *rel, const void *data, size_t n) {
    char *path = at("%s", rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    wr_err err;
    cr_assert(wr_mkdirs(path, &err), "%s", err.msg);
    char *tmp = wr_xasprintf("%s/.%s.tmp", path, slash + 1);
    *slash = '/';
    FILE *f = fopen(tmp, "wb");
    cr_assert_not_null(f, "%s: %s", tmp, strerror(errno));
    cr_assert_eq(fwrite(data, 1, n, f), n);
    cr_assert_eq(fclose(f), 0);
    cr_assert_eq(rename(tmp, path), 0);
    free(tmp);
    free(path);
}

static void put_s(const char *rel, const char *text) {
    put(rel, text, strlen(text));
}

/* Sets a file's modification time (seconds since the epoch). */
static void set_mtime(const char *rel, time_t t) {
    char *path = at("%s", rel);
    struct timeval tv[2] = {{t, 0}, {t, 0}};
    cr_assert_eq(utimes(path, tv), 0);
    free(path);
}

static int64_t mtime_ms(const char *path) {
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "%s", path);
    return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}

static bool exists(const char *rel) {
    char *path = at("%s", rel);
    bool e = access(path, F_OK) == 0;
    free(path);
    return e;
}

/* weir run of a job text with extra arguments (NULL-terminated list). */
static wrt_result run_args(const char *job, const char *const *args) {
    return wrt_run_job(job, args, NULL);
}

/* weir run --trigger availableNow --format csv, and WEIR_FAULT when given. */
static wrt_result run(const char *job, const char *fault) {
    if (fault) setenv("WEIR_FAULT", fault, 1);
    wrt_result r = run_args(job, (const char *const[]){"--trigger", "availableNow", "--format",
                                                       "csv", "--progress", NULL});
    unsetenv("WEIR_FAULT");
    return r;
}

/* A run that must succeed, and its stdout. */
static char *run_ok(const char *job) {
    wrt_result r = run(job, NULL);
    cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    char *out = wr_xstrdup(r.out);
    wrt_result_free(&r);
    return out;
}

static void expect_out(const char *job, const char *want) {
    char *out = run_ok(job);
    cr_assert_str_eq(out, want, "got:\n%s\nwant:\n%s", out, want);
    free(out);
}

/* How many progress lines (batches) a run's stderr has. */
static int batches(const char *err) {
    int n = 0;
    for (const char *p = err; (p = strstr(p, "\"batchId\":")); p++)
        n++;
    return n;
}

/* One integer from a SQLite file under the folder. */
static int64_t one(const char *db, const char *sql) {
    char *path = at("%s", db);
    sqlite3 *h;
    cr_assert_eq(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(h));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    free(path);
    return v;
}

/* ---- text ---- */

Test(files, text_lines_end_at_lf_crlf_or_cr_and_the_last_needs_none) {
    put_s("in/a.txt", "one\ntwo\r\nthree\rfour\n\nsix");
    put_s("in/b.txt", "");                         /* empty: no row */
    put_s("in/c.txt", "\xc3\xa9t\xc3\xa9 \x01\n"); /* bytes as they are */
    char *job = wr_xasprintf("CREATE SOURCE s USING text OPTIONS (path = '%s/in');\n"
                             "CREATE SINK m USING memory;\n"
                             "INSERT INTO m SELECT value FROM s;\n"
                             "SELECT hex(value) AS h, length(value) AS n FROM m ORDER BY h;",
                             dir);
    expect_out(job, "h,n\n"
                    ",0\n"
                    "666F7572,4\n"
                    "6F6E65,3\n"
                    "736978,3\n"
                    "7468726565,5\n"
                    "74776F,3\n"
                    "C3A974C3A92001,5\n");
    free(job);
}

Test(files, wholetext_and_line_separators) {
    put_s("in/a.txt", "x;y\nz;");
    char *job = wr_xasprintf("CREATE SOURCE s USING text OPTIONS (path = '%s/in', wholetext = "
                             "true);\nCREATE SINK m USING memory;\nINSERT INTO m SELECT value "
                             "FROM s;\nSELECT hex(value) AS h FROM m;",
                             dir);
    expect_out(job, "h\n783B790A7A3B\n");
    free(job);
    job = wr_xasprintf("CREATE SOURCE s USING text OPTIONS (path = '%s/in', lineSep = ';');\n"
                       "CREATE SINK m USING memory;\nINSERT INTO m SELECT value FROM s;\n"
                       "SELECT hex(value) AS h FROM m ORDER BY h;",
                       dir);
    expect_out(job, "h\n78\n790A7A\n"); /* "x", "y\nz"; nothing after the last ';' */
    free(job);
    job = wr_xasprintf("CREATE SOURCE s USING text OPTIONS (path = '%s/in', lineSep = 'z;');\n"
                       "CREATE SINK m USING memory;\nINSERT INTO m SELECT value FROM s;\n"
                       "SELECT hex(value) AS h FROM m ORDER BY h;",
                       dir);
    expect_out(job, "h\n783B790A\n");
    free(job);
}

Test(files, a_binary_file_is_lines_of_bytes) {
    unsigned char data[100000];
    uint64_t x = 88172645463325252ULL;
    size_t lines = 0;
    for (size_t i = 0; i < sizeof data; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        data[i] = (unsigned char)x;
    }
    /* the lines Hadoop's LineReader sees: \n, \r\n or \r ends one */
    for (size_t i = 0; i < sizeof data; i++) {
        if (data[i] == '\n' || (data[i] == '\r' && !(i + 1 < sizeof data && data[i + 1] == '\n')))
            lines++;
    }
    bool last_open = data[sizeof data - 1] != '\n' && data[sizeof data - 1] != '\r';
    put("in/blob.bin", data, sizeof data);
    char *job = wr_xasprintf("CREATE SOURCE s USING text OPTIONS (path = '%s/in');\n"
                             "CREATE SINK m USING memory OPTIONS (outputMode = 'complete');\n"
                             "INSERT INTO m SELECT count(*) AS n, sum(length(value)) AS b FROM s;\n"
                             "SELECT n FROM m;",
                             dir);
    char *want = wr_xasprintf("n\n%zu\n", lines + last_open);
    expect_out(job, want);
    free(want);
    free(job);
}

/* ---- csv ---- */

static const char csv_file[] = "id,name,score,ts\n"
                               "1,alice,1.5,2023-11-14 22:13:20\n"
                               "2,\"bob, jr\",2.0,2023-11-14T22:13:21Z\n"
                               "x,carol,3.0,\n"
                               "4,dave\n"
                               "\n"
                               "5,\"e \\\"q\\\"\",-0.25e1,2023-01-01\n";

static char *csv_job(const char *mode) {
    return wr_xasprintf(
        "CREATE SOURCE s USING csv OPTIONS (path = '%s/in', header = true, mode = '%s',\n"
        "  schema = 'id INT, name STRING, score DOUBLE, ts TIMESTAMP');\n"
        "CREATE SINK m USING memory;\nINSERT INTO m SELECT * FROM s;\n"
        "SELECT * FROM m ORDER BY name;",
        dir, mode);
}

Test(files, csv_records_in_each_mode) {
    put_s("in/a.csv", csv_file);
    char *job = csv_job("PERMISSIVE");
    expect_out(job, "id,name,score,ts\n"
                    "1,alice,1.5,2023-11-14 22:13:20\n"
                    "2,\"bob, jr\",2.0,2023-11-14 22:13:21\n"
                    ",carol,3.0,\n"
                    "4,dave,,\n"
                    "5,\"e \"\"q\"\"\",-2.5,2023-01-01 00:00:00\n");
    free(job);
    job = csv_job("DROPMALFORMED");
    expect_out(job, "id,name,score,ts\n"
                    "1,alice,1.5,2023-11-14 22:13:20\n"
                    "2,\"bob, jr\",2.0,2023-11-14 22:13:21\n"
                    "5,\"e \"\"q\"\"\",-2.5,2023-01-01 00:00:00\n");
    free(job);
    job = csv_job("FAILFAST");
    wrt_result r = run(job, NULL);
    cr_assert_eq(r.status, 1, "%s", r.err);
    char *want = wr_xasprintf("source s: file://%s/in/a.csv line 4: malformed CSV record (field "
                              "id: 'x' is not an INT); mode FAILFAST stops the query",
                              dir);
    cr_assert(strstr(r.err, want), "%s\nwant: %s", r.err, want);
    free(want);
    wrt_result_free(&r);
    free(job);
}

Test(files, csv_separator_quote_escape_and_null_value) {
    put_s("in/a.csv", "a;'x;y';-\r\nb;'it''s';7\r\n");
    char *job = wr_xasprintf(
        "CREATE SOURCE s USING csv OPTIONS (path = '%s/in', sep = ';', quote = \"'\",\n"
        "  escape = \"'\", nullValue = '-', schema = 'k STRING, v STRING, n BIGINT');\n"
        "CREATE SINK m USING memory;\nINSERT INTO m SELECT * FROM s;\n"
        "SELECT k, v, coalesce(n, 'null') AS n FROM m ORDER BY k;",
        dir);
    expect_out(job, "k,v,n\na,x;y,null\nb,it's,7\n");
    free(job);
}

/* ---- json ---- */

static const char json_file[] = "{\"id\":1,\"name\":\"a\",\"other\":\"x\"}\n"
                                "{\"id\":\"2\",\"name\":\"b\"}\n"
                                "{\"id\":3,\"name\":{\"k\":[1,2]}}\n"
                                "garbage\n"
                                "[{\"id\":4},{\"id\":5,\"name\":\"e\"}]\n"
                                "\n"
                                "{\"id\":6,\"name\":null}";

static char *json_job(const char *mode) {
    return wr_xasprintf("CREATE SOURCE s USING json OPTIONS (path = '%s/in', mode = '%s',\n"
                        "  schema = 'id INT, name STRING');\n"
                        "CREATE SINK m USING memory;\nINSERT INTO m SELECT * FROM s;\n"
                        "SELECT coalesce(id, 'null') AS id, coalesce(name, 'null') AS name FROM m "
                        "ORDER BY id, name;",
                        dir, mode);
}

Test(files, json_records_in_each_mode) {
    put_s("in/a.json", json_file);
    char *job = json_job("PERMISSIVE");
    expect_out(job, "id,name\n"
                    "1,a\n"
                    "3,\"{\"\"k\"\":[1,2]}\"\n"
                    "4,null\n"
                    "5,e\n"
                    "6,null\n"
                    "null,b\n"
                    "null,null\n");
    free(job);
    job = json_job("DROPMALFORMED");
    expect_out(job, "id,name\n"
                    "1,a\n"
                    "3,\"{\"\"k\"\":[1,2]}\"\n"
                    "4,null\n"
                    "5,e\n"
                    "6,null\n");
    free(job);
    job = json_job("FAILFAST");
    wrt_result r = run(job, NULL);
    cr_assert_eq(r.status, 1, "%s", r.err);
    char *want = wr_xasprintf("file://%s/in/a.json line 2: malformed JSON record (field id: "
                              "\"2\" is not an INT)",
                              dir);
    cr_assert(strstr(r.err, want), "%s\nwant: %s", r.err, want);
    free(want);
    wrt_result_free(&r);
    free(job);
}

Test(files, json_types) {
    put_s("in/a.json",
          "{\"b\":true,\"d\":\"Infinity\",\"l\":9007199254740993,\"t\":1700000000,\"x\":\"aGk=\"}\n"
          "{\"b\":false,\"d\":2,\"l\":-1,\"t\":\"2023-11-14 22:13:20.5\",\"x\":\"!\"}\n");
    char *job = wr_xasprintf(
        "CREATE SOURCE s USING json OPTIONS (path = '%s/in',\n"
        "  schema = 'b BOOLEAN, d DOUBLE, l BIGINT, t TIMESTAMP, x BINARY');\n"
        "CREATE SINK m USING memory;\nINSERT INTO m SELECT b, CAST(d AS STRING) AS d, l, t, x "
        "FROM s;\nSELECT b, d, l, t, hex(x) AS x FROM m ORDER BY l;",
        dir);
    expect_out(job, "b,d,l,t,x\n"
                    "0,2.0,-1,2023-11-14 22:13:20.5,\n"
                    "1,Infinity,9007199254740993,2023-11-14 22:13:20,6869\n");
    free(job);
}

/* ---- input_file_name() ---- */

Test(files, rows_carry_input_file_name) {
    put_s("in/a.txt", "1\n2\n");
    put_s("in/sub/b c.txt", "3\n"); /* subfolders are read; the URI escapes the space */
    put_s("in/.hidden.txt", "no\n");
    put_s("in/_skipped.txt", "no\n");
    char *job = wr_xasprintf("CREATE SOURCE s USING text OPTIONS (path = '%s/in');\n"
                             "CREATE SINK m USING memory;\n"
                             "INSERT INTO m SELECT value, input_file_name() AS f FROM s;\n"
                             "SELECT value, f FROM m ORDER BY value;",
                             dir);
    char *want = wr_xasprintf("value,f\n1,file://%s/in/a.txt\n2,file://%s/in/a.txt\n"
                              "3,file://%s/in/sub/b%%20c.txt\n",
                              dir, dir, dir);
    expect_out(job, want);
    free(want);
    free(job);
    /* rows of no file: '' */
    job = wr_xstrdup("CREATE SOURCE r USING rate OPTIONS (rowsPerSecond = 10);\n"
                     "CREATE SINK m USING memory;\n"
                     "INSERT INTO m SELECT input_file_name() AS f FROM r;\n"
                     "SELECT count(*) AS n FROM m WHERE f <> '';");
    expect_out(job, "n\n0\n");
    free(job);
}

/* ---- the log ---- */

/* The lines of a log file (malloc'd), asserting its version line. */
static json_t *log_entries(const char *rel) {
    char *path = at("%s", rel);
    size_t len;
    char *text = wr_read_file(path, &len);
    cr_assert_not_null(text, "%s: %s", path, strerror(errno));
    cr_assert(!strncmp(text, "v1\n", 3), "%s: %s", path, text);
    cr_assert_neq(text[len - 1], '\n', "%s ends with a newline, Spark's do not", path);
    json_t *a = json_array();
    char *save = NULL;
    for (char *line = strtok_r(text + 3, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_t *j = json_loads(line, 0, NULL);
        cr_assert_not_null(j, "%s: %s", path, line);
        json_array_append_new(a, j);
    }
    free(text);
    free(path);
    return a;
}

static char *lines_job(const char *options) {
    return wr_xasprintf(
        "CREATE SOURCE s USING text OPTIONS (path = '%s/in'%s%s);\n"
        "CREATE SINK m USING memory OPTIONS (path = '%s/m.sqlite', checkpointLocation = "
        "'%s/ck');\n"
        "INSERT INTO m SELECT value, input_file_name() AS f FROM s;\n",
        dir, options ? ", " : "", options ? options : "", dir, dir);
}

Test(files, the_log_is_sparks_and_compacts_every_10_batches) {
    for (int i = 0; i < 11; i++) {
        char rel[64], text[64];
        snprintf(rel, sizeof rel, "in/f%02d.txt", i);
        snprintf(text, sizeof text, "line %d\n", i);
        put_s(rel, text);
        set_mtime(rel, 1700000000 + i);
    }
    char *job = lines_job("maxFilesPerTrigger = 1");
    wrt_result r = run(job, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(batches(r.err), 11, "%s", r.err);
    char *desc = wr_xasprintf("\"description\":\"FileStreamSource[file:%s/in]\"", dir);
    cr_assert(strstr(r.err, desc), "%s", r.err);
    free(desc);
    wrt_result_free(&r);
    /* batch 0: its one file, as Spark writes it */
    json_t *e = log_entries("ck/sources/0/0");
    cr_assert_eq(json_array_size(e), 1);
    char *want = wr_xasprintf("file://%s/in/f00.txt", dir);
    json_t *e0 = json_array_get(e, 0);
    char *text = json_dumps(e0, JSON_COMPACT | JSON_PRESERVE_ORDER);
    char *path0 = at("in/f00.txt");
    char *line = wr_xasprintf("{\"path\":\"%s\",\"timestamp\":%lld,\"batchId\":0}", want,
                              (long long)mtime_ms(path0));
    cr_assert_str_eq(text, line);
    free(line), free(path0), free(text), free(want);
    json_decref(e);
    /* batch 9 is the compaction: every entry of 0..9 */
    cr_assert(exists("ck/sources/0/8") && !exists("ck/sources/0/9"));
    e = log_entries("ck/sources/0/9.compact");
    cr_assert_eq(json_array_size(e), 10);
    for (int i = 0; i < 10; i++) {
        json_t *x = json_array_get(e, (size_t)i);
        cr_assert_eq(json_integer_value(json_object_get(x, "batchId")), i);
        char *p = wr_xasprintf("file://%s/in/f%02d.txt", dir, i);
        cr_assert_str_eq(json_string_value(json_object_get(x, "path")), p);
        free(p);
    }
    json_decref(e);
    e = log_entries("ck/sources/0/10");
    cr_assert_eq(json_array_size(e), 1);
    json_decref(e);
    char *off = at("ck/offsets/10");
    size_t len;
    char *o = wr_read_file(off, &len);
    cr_assert(o && strstr(o, "\n{\"logOffset\":10}"), "%s", o ? o : "");
    free(o), free(off);
    /* a restart reads the compacted log back: only the new file is read */
    put_s("in/g.txt", "new\n");
    r = run(job, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(batches(r.err), 1, "%s", r.err);
    wrt_result_free(&r);
    e = log_entries("ck/sources/0/11");
    cr_assert_eq(json_array_size(e), 1);
    json_decref(e);
    cr_assert_eq(one("m.sqlite", "SELECT count(*) FROM m"), 12);
    cr_assert_eq(one("m.sqlite", "SELECT count(DISTINCT value) FROM m"), 12);
    free(job);
}

/* ---- limits and order ---- */

Test(files, max_files_and_bytes_per_trigger) {
    for (int i = 0; i < 5; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "in/f%d.txt", i);
        put_s(rel, "0123456789\n"); /* 11 bytes */
        set_mtime(rel, 1700000000 + i);
    }
    char *job = lines_job("maxFilesPerTrigger = 2");
    wrt_result r = run(job, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(batches(r.err), 3, "%s", r.err); /* 2 + 2 + 1 */
    wrt_result_free(&r);
    json_t *e = log_entries("ck/sources/0/2");
    cr_assert_eq(json_array_size(e), 1);
    char *want = wr_xasprintf("file://%s/in/f4.txt", dir);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(e, 0), "path")), want);
    free(want);
    json_decref(e);
    free(job);
    /* about 25 bytes a batch: two files (22), then two, then one */
    char *m = at("m.sqlite"), *ck = at("ck");
    unlink(m);
    wrt_remove_tree(ck);
    free(m), free(ck);
    job = lines_job("maxBytesPerTrigger = 25");
    r = run(job, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(batches(r.err), 3, "%s", r.err);
    wrt_result_free(&r);
    cr_assert_eq(one("m.sqlite", "SELECT count(*) FROM m"), 5);
    free(job);
}

Test(files, latest_first_and_max_file_age) {
    put_s("in/old.txt", "old\n");
    set_mtime("in/old.txt", 1700000000);
    put_s("in/mid.txt", "mid\n");
    set_mtime("in/mid.txt", 1700000100);
    put_s("in/new.txt", "new\n");
    set_mtime("in/new.txt", 1700000200);
    char *job = lines_job("maxFilesPerTrigger = 1, latestFirst = true");
    wrt_result r = run(job, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    wrt_result_free(&r);
    const char *order[] = {"new", "mid", "old"};
    for (int b = 0; b < 3; b++) {
        char rel[64];
        snprintf(rel, sizeof rel, "ck/sources/0/%d", b);
        json_t *e = log_entries(rel);
        char *want = wr_xasprintf("file://%s/in/%s.txt", dir, order[b]);
        cr_assert_str_eq(json_string_value(json_object_get(json_array_get(e, 0), "path")), want);
        free(want);
        json_decref(e);
    }
    free(job);
    /* maxFileAge: a file older than the newest seen by more than it is ignored */
    put_s("in/ancient.txt", "ancient\n");
    set_mtime("in/ancient.txt", 1700000200 - 3600);
    put_s("in/recent.txt", "recent\n");
    set_mtime("in/recent.txt", 1700000200 - 60);
    job = lines_job("maxFileAge = '30m'");
    r = run(job, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    wrt_result_free(&r);
    cr_assert_eq(one("m.sqlite", "SELECT count(*) FROM m WHERE value = 'recent'"), 1);
    cr_assert_eq(one("m.sqlite", "SELECT count(*) FROM m WHERE value = 'ancient'"), 0);
    free(job);
}

Test(files, clean_source_deletes_or_archives_after_the_commit) {
    put_s("in/a.txt", "a\n");
    put_s("in/b.txt", "b\n");
    char *job = lines_job("cleanSource = 'delete', maxFilesPerTrigger = 1");
    /* a crash after commits/0, before the files are cleaned: the next run cleans them */
    wrt_result r = run(job, "commit:0");
    cr_assert_eq(r.status, 70, "%s", r.err);
    wrt_result_free(&r);
    cr_assert(exists("in/a.txt") && exists("in/b.txt"));
    r = run(job, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    wrt_result_free(&r);
    cr_assert(!exists("in/a.txt") && !exists("in/b.txt"));
    cr_assert_eq(one("m.sqlite", "SELECT count(*) FROM m"), 2);
    free(job);
    put_s("in2/sub/c.txt", "c\n");
    job = wr_xasprintf(
        "CREATE SOURCE s USING text OPTIONS (path = '%s/in2', cleanSource = 'archive', "
        "sourceArchiveDir = '%s/archive');\n"
        "CREATE SINK m USING memory OPTIONS (path = '%s/m2.sqlite', checkpointLocation = "
        "'%s/ck2');\n"
        "INSERT INTO m SELECT value FROM s;\n",
        dir, dir, dir, dir);
    r = run(job, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    wrt_result_free(&r);
    char *moved = wr_xasprintf("archive%s/in2/sub/c.txt", dir);
    cr_assert(!exists("in2/sub/c.txt") && exists(moved), "%s", moved);
    free(moved);
    free(job);
    /* an archive inside the source's folder would be read again */
    job = wr_xasprintf("CREATE SOURCE s USING text OPTIONS (path = '%s/in2', cleanSource = "
                       "'archive', sourceArchiveDir = '%s/in2/done');\n"
                       "CREATE SINK m USING memory;\nINSERT INTO m SELECT value FROM s;\n",
                       dir, dir);
    r = run(job, NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "lies inside the source's folder"), "%s", r.err);
    wrt_result_free(&r);
    free(job);
}

/* ---- exactly once ---- */

/* Word counts (update mode, state) of files w<i>.txt, each of `words`
 * lines "w<i> common": the sink must hold exactly n files' worth. */
static char *count_job(const char *ck) {
    return wr_xasprintf(
        "CREATE SOURCE s USING text OPTIONS (path = '%s/in', maxFilesPerTrigger = 1, "
        "numPartitions = 3);\n"
        "CREATE SINK m USING memory OPTIONS (path = '%s/%s.sqlite', checkpointLocation = "
        "'%s/%s', outputMode = 'update');\n"
        "INSERT INTO m SELECT word, count(*) AS n FROM (SELECT explode(split(value, ' ')) AS "
        "word FROM s) GROUP BY word;\n",
        dir, dir, ck, dir, ck);
}

static void put_words(int i, int lines) {
    wr_buf b = {0};
    for (int k = 0; k < lines; k++)
        wr_buf_printf(&b, "w%d common\n", i);
    char rel[64];
    snprintf(rel, sizeof rel, "in/w%03d.txt", i);
    put(rel, b.p, b.len);
    set_mtime(rel, 1700000000 + i);
    wr_buf_free(&b);
}

static void expect_counts(const char *db, int files, int lines) {
    char sql[128];
    for (int i = 0; i < files; i++) {
        snprintf(sql, sizeof sql, "SELECT coalesce(max(n), 0) FROM m WHERE word = 'w%d'", i);
        cr_assert_eq(one(db, sql), lines, "%s: file %d", db, i);
    }
    cr_assert_eq(one(db, "SELECT max(n) FROM m WHERE word = 'common'"), (int64_t)files * lines,
                 "%s", db);
    cr_assert_eq(one(db, "SELECT count(*) FROM m"), files + 1, "%s", db);
}

Test(files, a_crash_at_each_stage_loses_and_doubles_nothing) {
    for (int i = 0; i < 3; i++)
        put_words(i, 1000);
    const char *stages[] = {"filelog", "offsets", "sink", "state", "commit"};
    for (int s = 0; s < 5; s++) {
        char ck[32], db[48], fault[32];
        snprintf(ck, sizeof ck, "ck-%s", stages[s]);
        snprintf(db, sizeof db, "%s.sqlite", ck);
        snprintf(fault, sizeof fault, "%s:1", stages[s]);
        char *job = count_job(ck);
        wrt_result r = run(job, fault); /* batch 0, then batch 1 dies at the stage */
        cr_assert_eq(r.status, 70, "stage %s: %s", stages[s], r.err);
        wrt_result_free(&r);
        r = run(job, NULL);
        cr_assert_eq(r.status, 0, "stage %s: %s", stages[s], r.err);
        wrt_result_free(&r);
        expect_counts(db, 3, 1000);
        free(job);
    }
}

Test(files, sigkill_at_random_moments_loses_and_doubles_nothing) {
    enum { FILES = 40, LINES = 20000 };
    for (int i = 0; i < FILES; i++)
        put_words(i, LINES);
    char *job = count_job("ck");
    char *path = wrt_temp_job(job);
    unsigned seed = (unsigned)time(NULL);
    srand(seed);
    int killed = 0;
    for (int k = 0; k < 8; k++) {
        int fd, efd;
        pid_t pid = wrt_spawn_err((const char *const[]){"run", path, NULL}, &fd, &efd);
        usleep((useconds_t)(100000 + rand() % 400000));
        if (kill(pid, SIGKILL) == 0) killed++;
        wrt_wait(pid, 10000);
        close(fd);
        close(efd);
    }
    wrt_result r = run(job, NULL); /* what is left */
    cr_assert_eq(r.status, 0, "%s", r.err);
    wrt_result_free(&r);
    cr_assert_gt(killed, 0);
    expect_counts("ck.sqlite", FILES, LINES);
    unlink(path);
    free(path);
    free(job);
}

/* ---- a running query ---- */

Test(files, new_files_are_read_by_later_batches_of_a_running_query) {
    put_s("in/a.txt", "a1\na2\n");
    char *job = lines_job(NULL);
    char *path = wrt_temp_job(job);
    int fd, efd;
    pid_t pid = wrt_spawn_err((const char *const[]){"run", path, "--progress", NULL}, &fd, &efd);
    char *line = wrt_read_line_containing(efd, "\"batchId\":0", 20000);
    cr_assert_not_null(line);
    cr_assert(strstr(line, "\"numInputRows\":2"), "%s", line);
    free(line);
    put_s("in/b.txt", "b1\nb2\nb3\n");
    line = wrt_read_line_containing(efd, "\"batchId\":1", 20000);
    cr_assert_not_null(line);
    cr_assert(strstr(line, "\"numInputRows\":3"), "%s", line);
    cr_assert(strstr(line, "\"startOffset\":{\"logOffset\":0},\"endOffset\":{\"logOffset\":1}"),
              "%s", line);
    free(line);
    /* files in quick succession (the listing is reused while the folder is unchanged): all read */
    for (int i = 0; i < 30; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "in/q%02d.txt", i);
        put_s(rel, "q\n");
    }
    int64_t rows = 0;
    for (int t = 0; t < 200 && rows < 35; t++) {
        usleep(50000);
        rows = one("m.sqlite", "SELECT count(*) FROM m");
    }
    kill(pid, SIGTERM);
    cr_assert_eq(wrt_wait(pid, 10000), 0);
    close(fd);
    close(efd);
    cr_assert_eq(one("m.sqlite", "SELECT count(*) FROM m"), 35);
    unlink(path);
    free(path);
    free(job);
}

/* ---- splits ---- */

/* A 20 MB file of words from a small vocabulary, lines ended by \n, \r\n
 * or \r, a few empty lines and one line of 3 MB; its word counts computed
 * here, as split(value, ' ') and explode count them (an empty line is one
 * empty word). */
Test(files, a_big_file_read_by_four_splits_counts_like_the_reference) {
    enum { VOCAB = 300 };
    static char vocab[VOCAB][12];
    for (int i = 0; i < VOCAB; i++)
        snprintf(vocab[i], sizeof vocab[i], "w%dx", i * 7919 % 100003);
    int64_t counts[VOCAB + 1] = {0}; /* the last: the empty word */
    int64_t lines = 0;
    wr_buf b = {0};
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    bool after_cr = false;
    while (b.len < 20u << 20) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int words = (int)(x % 40);
        if (lines == 100000) words = 300000;   /* about 3 MB: longer than the read buffer */
        if (after_cr && words == 0) words = 1; /* \r then \n would be one \r\n */
        if (words == 0) counts[VOCAB]++;
        for (int w = 0; w < words; w++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            int v = (int)(x % VOCAB);
            if (w) wr_buf_putc(&b, ' ');
            wr_buf_puts(&b, vocab[v]);
            counts[v]++;
        }
        const char *end = x % 11 == 0 ? "\r\n" : x % 13 == 0 ? "\r" : "\n";
        wr_buf_puts(&b, end);
        after_cr = !strcmp(end, "\r");
        lines++;
    }
    put("in/big.txt", b.p, b.len);
    wr_buf_free(&b);
    char *job = wr_xasprintf(
        "CREATE SOURCE s USING text OPTIONS (path = '%s/in', numPartitions = 4);\n"
        "CREATE SINK m USING memory OPTIONS (path = '%s/m.sqlite', outputMode = 'complete');\n"
        "INSERT INTO m SELECT word, count(*) AS n FROM (SELECT explode(split(value, ' ')) AS "
        "word FROM s) GROUP BY word;\n",
        dir, dir);
    wrt_result r = run_args(job, (const char *const[]){"--trigger", "availableNow", "--progress",
                                                       "--set", "weir.workers=4", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *rows = wr_xasprintf("\"numInputRows\":%lld", (long long)lines);
    cr_assert(strstr(r.err, rows), "want %s: %s", rows, r.err);
    free(rows);
    wrt_result_free(&r);
    char sql[128];
    int64_t total = 0;
    for (int v = 0; v <= VOCAB; v++) {
        snprintf(sql, sizeof sql, "SELECT coalesce(max(n), 0) FROM m WHERE word = '%s'",
                 v < VOCAB ? vocab[v] : "");
        cr_assert_eq(one("m.sqlite", sql), counts[v], "word %s", v < VOCAB ? vocab[v] : "''");
        total += counts[v];
    }
    cr_assert_eq(one("m.sqlite", "SELECT sum(n) FROM m"), total);
    free(job);
}

/* ---- missing and changed files ---- */

Test(files, a_logged_file_that_is_gone_or_changed) {
    put_s("in/a.txt", "a\n");
    char *job = lines_job(NULL);
    wrt_result r = run(job, "offsets:0"); /* logged, not read */
    cr_assert_eq(r.status, 70, "%s", r.err);
    wrt_result_free(&r);
    char *a = at("in/a.txt");
    cr_assert_eq(unlink(a), 0);
    r = run(job, NULL);
    cr_assert_eq(r.status, 1, "%s", r.err);
    char *want = wr_xasprintf("source s: file://%s (logged in %s/ck/sources/0/0) does not exist "
                              "any more",
                              a, dir);
    cr_assert(strstr(r.err, want), "%s\nwant: %s", r.err, want);
    free(want);
    wrt_result_free(&r);
    free(job);
    job = lines_job("ignoreMissingFiles = true");
    r = run(job, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "does not exist any more: skipped (ignoreMissingFiles)"), "%s", r.err);
    wrt_result_free(&r);
    free(job);
    /* changed after it was listed: read as it is now, with a warning */
    put_s("in2/b.txt", "b\n");
    job = wr_xasprintf("CREATE SOURCE s USING text OPTIONS (path = '%s/in2');\n"
                       "CREATE SINK m USING memory OPTIONS (path = '%s/m2.sqlite', "
                       "checkpointLocation = '%s/ck2');\n"
                       "INSERT INTO m SELECT value FROM s;\n",
                       dir, dir, dir);
    r = run(job, "offsets:0");
    cr_assert_eq(r.status, 70, "%s", r.err);
    wrt_result_free(&r);
    put_s("in2/b.txt", "b\nmore\n");
    set_mtime("in2/b.txt", 1700000000);
    r = run(job, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "b.txt changed after it was listed"), "%s", r.err);
    wrt_result_free(&r);
    cr_assert_eq(one("m2.sqlite", "SELECT count(*) FROM m"), 2);
    /* written to after it was read: what came after is never read, and the next run says so */
    char *b = at("in2/b.txt");
    FILE *fb = fopen(b, "a");
    cr_assert_not_null(fb);
    fputs("late\n", fb);
    fclose(fb);
    set_mtime("in2/b.txt", 1700000100);
    r = run(job, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "b.txt changed after it was taken for a batch (modified at ") &&
                  strstr(r.err, " ms then, 1700000100000 ms now): what was written to it after "
                                "it was read is never read"),
              "%s", r.err);
    wrt_result_free(&r);
    cr_assert_eq(one("m2.sqlite", "SELECT count(*) FROM m"), 2);
    free(b);
    free(a);
    free(job);
}

/* ---- paths ---- */

Test(files, paths_that_do_not_exist_globs_and_sink_output) {
    char *job = wr_xasprintf("CREATE SOURCE s USING text OPTIONS (path = '%s/none');\n"
                             "CREATE SINK m USING memory;\nINSERT INTO m SELECT value FROM s;\n",
                             dir);
    wrt_result r = run(job, NULL);
    cr_assert_eq(r.status, 1);
    char *want = wr_xasprintf("source s: path %s/none does not exist", dir);
    cr_assert(strstr(r.err, want), "%s", r.err);
    free(want);
    wrt_result_free(&r);
    free(job);
    /* a glob may match nothing yet */
    job = wr_xasprintf("CREATE SOURCE s USING text OPTIONS (path = '%s/none/*.txt');\n"
                       "CREATE SINK m USING memory;\nINSERT INTO m SELECT value FROM s;\n"
                       "SELECT count(*) AS n FROM m;",
                       dir);
    expect_out(job, "n\n0\n");
    free(job);
    put_s("g/a.txt", "a\n");
    put_s("g/b.csv", "b\n");
    put_s("g/c.txt", "c\n");
    job = wr_xasprintf("CREATE SOURCE s USING text OPTIONS (path = '%s/g/{a,b}.*', "
                       "pathGlobFilter = '*.txt');\n"
                       "CREATE SINK m USING memory;\nINSERT INTO m SELECT value FROM s;\n"
                       "SELECT value FROM m;",
                       dir);
    expect_out(job, "value\na\n");
    free(job);
    job = wr_xasprintf("CREATE SOURCE s USING text OPTIONS (path = '%s/{g,g/}');\n"
                       "CREATE SINK m USING memory;\nINSERT INTO m SELECT value FROM s;\n"
                       "SELECT value FROM m ORDER BY value;",
                       dir);
    expect_out(job, "value\na\nb\nc\n"); /* two matches of one folder: its files once */
    free(job);
    /* a file sink's folder: only the files its log commits */
    put_s("sink/batch-0.csv", "1,x\n");
    put_s("sink/batch-1.csv", "2,never committed\n");
    char *log = wr_xasprintf("v1\n{\"path\":\"file://%s/sink/batch-0.csv\",\"size\":4,"
                             "\"isDir\":false,\"modificationTime\":1,\"blockReplication\":1,"
                             "\"blockSize\":1,\"action\":\"add\"}",
                             dir);
    put_s("sink/_spark_metadata/0", log);
    free(log);
    job = wr_xasprintf("CREATE SOURCE s USING csv OPTIONS (path = '%s/sink', schema = 'id INT, "
                       "v STRING');\nCREATE SINK m USING memory;\nINSERT INTO m SELECT * FROM s;\n"
                       "SELECT * FROM m;",
                       dir);
    expect_out(job, "id,v\n1,x\n");
    free(job);
}

Test(files, file_name_only_knows_a_file_by_its_name) {
    put_s("in/a/x.txt", "first\n");
    set_mtime("in/a/x.txt", 1700000000);
    put_s("in/b/x.txt", "second\n");
    set_mtime("in/b/x.txt", 1700000001);
    put_s("in/b/y.txt", "third\n");
    set_mtime("in/b/y.txt", 1700000002);
    char *job = wr_xasprintf("CREATE SOURCE s USING text OPTIONS (path = '%s/in', fileNameOnly = "
                             "true, maxFilesPerTrigger = 1);\n"
                             "CREATE SINK m USING memory;\nINSERT INTO m SELECT value FROM s;\n"
                             "SELECT value FROM m ORDER BY value;",
                             dir);
    expect_out(job, "value\nfirst\nthird\n"); /* b/x.txt is a/x.txt by name */
    free(job);
}
