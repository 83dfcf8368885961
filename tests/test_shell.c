/* weir shell through a pseudo-terminal: a job runs in the background while a
 * producer keeps adding clicks; SELECTs typed at the prompt see whole
 * committed batches only (every count is a batch boundary from the
 * checkpoint's progress files), the last answer equals the total computed
 * here; writes, ATTACH and writable pragmas are refused with their messages
 * and change nothing; a failing query shows its error and the shell goes
 * on; after .stop and .quit a weir run resumes from the checkpoint exactly.
 * A script on stdin: SELECT right after INSERT, .wait, statements cut as
 * their language cuts them, DESCRIBE / SHOW, the reader's refusals and
 * limits; history keeps a statement of several lines whole; Ctrl-C. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "broker/wr_broker.h"
#include "support.h"
#include "core/wr_core.h"

static wrt_world w;

static void start(void) {
    wrt_world_start(&w, "shell", "sh", 1);
}

static void stop(void) {
    wrt_world_stop(&w);
}

TestSuite(shell, .init = start, .fini = stop, .timeout = 180);

enum { CLICKS = 2000, CHUNK = 100 };

static int spent(int i) {
    return (i * 37) % 600;
}

static void *produce_main(void *arg) {
    atomic_int *done = arg;
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", w.bs, err, sizeof err);
    rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    for (int i = 0; rk && i < CLICKS; i++) {
        char line[128];
        snprintf(line, sizeof line, "%d\ts%d\t/\tGET\t10.0.0.%d\tcurl\t%d\t200", 1700000000 + i, i,
                 i % 7, spent(i));
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("sh"), RD_KAFKA_V_PARTITION(0),
                          RD_KAFKA_V_VALUE(line, strlen(line)),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if ((i + 1) % CHUNK == 0) {
            rd_kafka_flush(rk, 10000);
            struct timespec ts = {0, 40 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    if (rk) {
        rd_kafka_flush(rk, 10000);
        rd_kafka_destroy(rk);
    }
    atomic_store(done, 1);
    return NULL;
}

typedef struct term {
    int fd;
    pid_t pid;
} term;

/* Reads until `until` appears (after what was read before), returns all read. */
static char *read_until(term *t, const char *until, int timeout_ms) {
    wr_buf b = {0};
    int64_t deadline = wr_now_ms() + timeout_ms;
    while (wr_now_ms() < deadline) {
        struct pollfd p = {t->fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) continue;
        char chunk[4096];
        ssize_t n = read(t->fd, chunk, sizeof chunk);
        if (n <= 0) break;
        wr_buf_put(&b, chunk, (size_t)n);
        wr_buf_putc(&b, '\0');
        b.len--;
        if (strstr(b.p, until)) return b.p;
    }
    cr_assert_fail("no '%s' within %d ms; got: %s", until, timeout_ms, b.p ? b.p : "");
    return NULL;
}

/* Types a line and returns the output up to the next prompt. */
static char *say(term *t, const char *line);

/* weir shell JOB --checkpoint CK on a pseudo-terminal, at its first prompt, in csv mode. */
static term shell_on(const char *job, const char *ck) {
    term t;
    t.pid = forkpty(&t.fd, NULL, NULL, NULL);
    cr_assert_geq(t.pid, 0);
    if (t.pid == 0) {
        setenv("TERM", "dumb", 1);
        setenv("HOME", w.dir, 1); /* the history file goes there */
        execl(WEIR_BINARY, "weir", "shell", job, "--bootstrap", w.bs, "--checkpoint", ck,
              (char *)NULL);
        _exit(127);
    }
    free(read_until(&t, "weir> ", 30000));
    free(say(&t, ".mode csv"));
    return t;
}

static char *say(term *t, const char *line) {
    cr_assert_eq(write(t->fd, line, strlen(line)), (ssize_t)strlen(line));
    cr_assert_eq(write(t->fd, "\n", 1), 1);
    return read_until(t, "weir> ", 30000);
}

/* The number on the line after a csv header "n". */
static long count_of(const char *out) {
    const char *h = strstr(out, "\nn\r\n");
    cr_assert_not_null(h, "no count in: %s", out);
    return strtol(h + 4, NULL, 10);
}

/* The end offsets of the checkpoint's batches (one partition). */
static int boundaries(const char *ck, long *out, int max) {
    char *pd = wr_xasprintf("%s/mytable/progress", ck);
    DIR *d = opendir(pd);
    cr_assert_not_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        if (e->d_name[0] == '.' || strchr(e->d_name, '.')) continue;
        char *p = wr_xasprintf("%s/%s", pd, e->d_name);
        size_t len;
        char *text = wr_read_file(p, &len);
        json_t *j = text ? json_loads(text, 0, NULL) : NULL;
        json_t *end = json_object_get(
            json_object_get(
                json_object_get(json_array_get(json_object_get(j, "sources"), 0), "endOffset"),
                "sh"),
            "0");
        if (json_is_integer(end)) out[n++] = (long)json_integer_value(end);
        json_decref(j);
        free(text);
        free(p);
    }
    closedir(d);
    free(pd);
    return n;
}

Test(shell, selects_see_whole_batches_while_the_stream_runs) {
    char *db = wr_xasprintf("%s/clicks.sqlite", w.dir), *ck = wr_xasprintf("%s/ck", w.dir);
    char *job = wr_xasprintf(
        "CREATE SOURCE clicks USING kafka OPTIONS (subscribe = 'sh', startingOffsets = 'earliest', "
        "maxOffsetsPerTrigger = 70);\n"
        "CREATE SINK mytable USING memory OPTIONS (outputMode = 'append', path = '%s');\n"
        "INSERT INTO mytable SELECT offset AS o, split(CAST(value AS STRING), '\\t')[4] AS "
        "userip,\n"
        "  CAST(split(CAST(value AS STRING), '\\t')[6] AS INT) AS timespent FROM clicks;\n"
        "SELECT count(*) AS n, count(DISTINCT o) AS d, sum(timespent) AS t FROM mytable;\n",
        db);
    char *path = wrt_temp_job(job);
    atomic_int done = 0;
    pthread_t th;
    pthread_create(&th, NULL, produce_main, &done);

    term t = shell_on(path, ck);
    long seen[400];
    int nseen = 0;
    long n = 0;
    int64_t deadline = wr_now_ms() + 60000;
    /* while the producer runs, and until the stream has caught up */
    while ((!atomic_load(&done) || n < CLICKS) && wr_now_ms() < deadline) {
        char *out = say(&t, "SELECT count(*) AS n FROM mytable;");
        if (!strstr(out, "no such table")) {
            n = count_of(out);
            if (nseen < 400) seen[nseen++] = n;
        }
        free(out);
        usleep(20000);
    }
    pthread_join(th, NULL);
    cr_assert_eq(n, CLICKS, "the stream did not catch up: %ld", n);
    cr_assert_geq(nseen, 5, "too few answers while the stream ran");
    /* every answer is a whole number of committed batches */
    long ends[400];
    int nends = boundaries(ck, ends, 400);
    int distinct = 0;
    for (int i = 0; i < nseen; i++) {
        bool at_boundary = seen[i] == 0;
        for (int k = 0; k < nends && !at_boundary; k++)
            at_boundary = ends[k] == seen[i];
        cr_assert(at_boundary, "answer %ld is not at a batch boundary (half a batch seen)",
                  seen[i]);
        distinct += i == 0 || seen[i] != seen[i - 1];
    }
    cr_assert_geq(distinct, 3, "the answers did not move while the stream ran");
    long total = 0;
    for (int i = 0; i < CLICKS; i++)
        total += spent(i);
    char *out = say(
        &t, "SELECT sum(timespent) AS n FROM mytable WHERE userip REGEXP '^10\\.0\\.0\\.[0-9]$';");
    cr_assert_eq(count_of(out), total, "%s", out);
    free(out);

    /* refused, with their messages, and nothing changes */
    static const char *const refused[][2] = {
        {"INSERT INTO mytable VALUES (1, 'x', 2);",
         "INSERT is not allowed: SQL over sinks is read-only"},
        {"DELETE FROM mytable;", "DELETE is not allowed: SQL over sinks is read-only"},
        {"ATTACH DATABASE '/tmp/weir-shell-x.db' AS x;",
         "ATTACH is not allowed: SQL over sinks is read-only"},
        {"PRAGMA writable_schema=1;",
         "PRAGMA writable_schema = 1 is not allowed: SQL over sinks is read-only"},
    };
    for (int i = 0; i < 4; i++) {
        out = say(&t, refused[i][0]);
        cr_assert(strstr(out, refused[i][1]), "%s: %s", refused[i][0], out);
        free(out);
    }
    out = say(&t, "SELECT count(*) AS n FROM mytable;");
    cr_assert_eq(count_of(out), CLICKS);
    free(out);
    out = say(&t, ".queries");
    cr_assert(strstr(out, "|mytable|running|"), "%s", out);
    free(out);

    /* a query that fails shows its error; the shell and the other query go on */
    free(say(&t, "CREATE SOURCE bad USING kafka OPTIONS (assign = '{\"sh\":[7]}');"));
    free(say(&t, "CREATE SINK b2 USING memory;"));
    out = say(&t, "INSERT INTO b2\n  SELECT offset FROM bad;");
    cr_assert(strstr(out, "query b2 started"), "%s", out);
    for (int i = 0;
         i < 100 &&
         !(out &&
           strstr(
               out,
               "query b2 failed: source bad: assign names sh partition 7, which does not exist"));
         i++) {
        free(out);
        usleep(50000);
        out = say(&t, "SELECT 1 AS n;");
    }
    cr_assert(out && strstr(out, "query b2 failed: source bad: assign names sh partition 7"), "%s",
              out);
    free(out);
    out = say(&t, "INSERT INTO mytable SELECT offset AS o FROM clicks;");
    cr_assert(strstr(out, "error: that sink already has a query"), "%s", out);
    free(out);
    out = say(&t, ".stop mytable");
    cr_assert(strstr(out, "query mytable stopped"), "%s", out);
    free(out);
    out = say(&t, ".queries");
    cr_assert(strstr(out, "|     b2| failed|") && strstr(out, "|mytable|stopped|"), "%s", out);

    free(out);

    cr_assert_eq(write(t.fd, ".quit\n", 6), 6);
    int status;
    cr_assert_eq(waitpid(t.pid, &status, 0), t.pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "weir shell did not leave cleanly");
    close(t.fd);

    /* the checkpoint is consistent: a run resumes with nothing to do, the file holds each click
     * once */
    wrt_result r = WRT_RUN(NULL, "run", path, "--bootstrap", w.bs, "--checkpoint", ck, "--trigger",
                           "availableNow", "--format", "csv");
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *want = wr_xasprintf("n,d,t\n%d,%d,%ld\n", CLICKS, CLICKS, total);
    cr_assert_str_eq(r.out, want);
    free(want);
    wrt_result_free(&r);
    unlink(path);
    free(path), free(job), free(db), free(ck);
}

/* A long SELECT at the prompt holds no stream up: batches go on committing
 * while it runs. */
Test(shell, a_long_select_does_not_stall_the_streams) {
    const char *lines[200];
    for (int i = 0; i < 200; i++)
        lines[i] = "x";
    wrt_produce(w.bs, "sh", 0, lines, NULL, 200);
    char *ck = wr_xasprintf("%s/ck2", w.dir);
    char *path = wrt_temp_job(
        "CREATE SOURCE s USING kafka OPTIONS (subscribe = 'sh', startingOffsets = 'earliest', "
        "maxOffsetsPerTrigger = 2);\n"
        "CREATE SINK slow USING memory OPTIONS (trigger = 'processingTime=20 milliseconds');\n"
        "INSERT INTO slow SELECT offset AS o FROM s;\n");
    term t = shell_on(path, ck);
    long before = -1;
    for (int i = 0; i < 200 && before <= 0; i++) { /* until the first batches are in */
        char *out = say(&t, "SELECT count(*) AS n FROM slow;");
        if (!strstr(out, "no such table")) before = count_of(out);
        free(out);
        usleep(20000);
    }
    int64_t t0 = wr_now_ms();
    char *out = say(&t, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < "
                        "3000000) SELECT count(*) AS n FROM c;");
    int64_t took = wr_now_ms() - t0;
    cr_assert_eq(count_of(out), 3000000, "%s", out);
    free(out);
    out = say(&t, "SELECT count(*) AS n FROM slow;");
    long after = count_of(out);
    free(out);
    cr_assert_gt(took, 300, "the long SELECT was not long (%lld ms)", (long long)took);
    cr_assert_gt(after, before + 20,
                 "the stream stalled behind a %lld ms SELECT: %ld rows before, %ld after",
                 (long long)took, before, after);
    cr_assert_eq(write(t.fd, ".quit\n", 6), 6);
    int status;
    cr_assert_eq(waitpid(t.pid, &status, 0), t.pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(t.fd);
    unlink(path);
    free(path), free(ck);
}

/* A script on stdin: the sink's table exists as soon as its INSERT returns,
 * .wait returns once the query has processed what Kafka held, statements
 * are cut as SQLite cuts SQLite SQL (a string ending in a backslash, a
 * trigger's BEGIN ... END) and as the job language cuts its own (a
 * backslash-escaped quote); DESCRIBE and SHOW TABLES; table-valued pragmas
 * read, fts3_tokenizer and writes are refused, the reader's limits hold; a
 * statement the input leaves open is reported, never dropped. */
Test(shell, a_script_reads_right_after_insert_and_waits_for_the_query) {
    const char *vals[50];
    char buf[50][8];
    for (int i = 0; i < 50; i++)
        snprintf(buf[i], sizeof buf[i], "v%02d", i), vals[i] = buf[i];
    wrt_produce(w.bs, "sh", 0, vals, NULL, 50);
    const char *script =
        ".mode csv\n"
        "CREATE SOURCE s USING kafka OPTIONS (subscribe = 'sh', startingOffsets = 'earliest', "
        "maxOffsetsPerTrigger = 7);\n"
        "CREATE SINK m USING memory OPTIONS (trigger = 'processingTime=100 milliseconds');\n"
        "INSERT INTO m SELECT CAST(value AS STRING) AS v, offset AS o FROM s;\n"
        "SELECT count(*) AS n FROM m WHERE o < 0;\n"
        ".wait m\n"
        "SELECT count(*) AS n, sum(o) AS s, min(v) AS lo, max(v) AS hi FROM m;\n"
        "SELECT 'a\\'; SELECT 1 AS one;\n"
        "CREATE TRIGGER t AFTER INSERT ON m BEGIN\n"
        "  SELECT 1;\n"
        "END;\n"
        "CREATE SINK q USING memory OPTIONS (queryName = 'it\\'s; one statement');\n"
        "SHOW TABLES;\n"
        "DESCRIBE m;\n"
        "DESCRIBE q;\n"
        "SHOW VIEWS;\n"
        "SELECT name, type FROM pragma_table_info('m');\n"
        "SELECT hex(fts3_tokenizer('simple'));\n"
        "SELECT length(zeroblob(200000000));\n"
        "VACUUM;\n"
        ".stop m\n"
        "SHOW QUERIES;\n"
        ".wait nope\n"
        ".wait m 0\n";
    wr_buf in = {0};
    wr_buf_printf(&in, "%sSELECT 1", script); /* an expression 150 deep: over the reader's limit */
    for (int i = 0; i < 149; i++)
        wr_buf_puts(&in, " + 1");
    wr_buf_puts(&in, ";\nSELECT 2 AS two\n"); /* no ';': left open */
    wrt_result r = WRT_RUN(in.p, "shell", "--bootstrap", w.bs);
    wr_buf_free(&in);
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *head = "query m started\n"
                       "n\n0\n"
                       "query m has processed what its source held (last batch 7)\n"
                       "n,s,lo,hi\n50,1225,v00,v49\n"
                       "'a\\'\na\\\n"
                       "one\n1\n"
                       "tableName,isTemporary\nm,true\nq,true\n"
                       "col_name,data_type,comment\nv,string,\no,bigint,\n"
                       "name,type\nv,TEXT\no,INTEGER\n"
                       "length(zeroblob(200000000))\n"
                       "query m stopped\n"
                       "query,state,batch,input rows/s,processed rows/s,last error\n"
                       "m,stopped,7,";
    cr_assert(!strncmp(r.out, head, strlen(head)), "%s", r.out);
    double in_rate, proc_rate;
    int end = -1;
    cr_assert_eq(sscanf(r.out + strlen(head), "%lf,%lf,\n%n", &in_rate, &proc_rate, &end), 2, "%s",
                 r.out);
    cr_assert(end > 0 && !r.out[strlen(head) + (size_t)end], "%s",
              r.out); /* the rates, then nothing */
    cr_assert_str_eq(
        r.err, "error: CREATE TRIGGER is not allowed: SQL over sinks is read-only (a sink changes "
               "only through its query)\n"
               "error: sink q has no query yet: its columns are those of INSERT INTO q SELECT ...\n"
               "error: SHOW TABLES or SHOW QUERIES, not SHOW VIEWS\n"
               "error: function fts3_tokenizer is not allowed in SQL over sinks\n"
               "error: SELECT failed: string or blob too big\n"
               "error: only statements that read are allowed: SQL over sinks is read-only\n"
               "error: no query named 'nope' (see .queries)\n"
               "error: .wait m SECONDS: a whole number from 1 to 86400, not '0'\n"
               "error: SELECT failed: Expression tree is too large (maximum depth 100)\n"
               "error: the input ended inside a statement (no ';' ends it, or a string, comment or "
               "BEGIN ... END "
               "is still open): SELECT 2 AS two\n");
    wrt_result_free(&r);
}

/* A statement typed over several lines comes back whole from the history
 * (Ctrl-P), and is kept whole in ~/.weir_history; Ctrl-C stops a SELECT
 * that never ends, and at the prompt drops what is typed; UTF-8 typed at
 * the prompt arrives whole. */
Test(shell, history_recalls_whole_statements_and_ctrl_c_stops_a_select) {
    char *ck = wr_xasprintf("%s/ck3", w.dir);
    char *path = wrt_temp_job("SET weir.workers = 1;\n");
    term t = shell_on(path, ck);
    cr_assert_eq(write(t.fd, "SELECT 6\n", 9), 9);
    char *out = say(&t, "  * 7 AS n;");
    cr_assert_eq(count_of(out), 42, "%s", out);
    free(out);
    cr_assert_eq(write(t.fd, "\x10\n", 2), 2); /* Ctrl-P: the previous entry, then Enter */
    free(read_until(&t, "\nn\r\n42\r\nweir> ", 30000));
    /* Ctrl-C stops a SELECT that never ends; the shell goes on (and one at
     * the prompt only drops what is typed) */
    const char *forever = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT "
                          "count(*) AS n FROM c;\n";
    cr_assert_eq(write(t.fd, forever, strlen(forever)), (ssize_t)strlen(forever));
    free(read_until(&t, "FROM c;\r\nn\r\n", 30000)); /* the csv header: it runs */
    wr_buf b = {0};
    for (int i = 0; i < 100 && !(b.p && strstr(b.p, "error: SELECT failed: interrupted\r\nweir> "));
         i++) {
        cr_assert_eq(write(t.fd, "\x03", 1), 1); /* again every 100 ms until it stops */
        for (int64_t until = wr_now_ms() + 100; wr_now_ms() < until;) {
            struct pollfd p = {t.fd, POLLIN, 0};
            char chunk[4096];
            ssize_t n = poll(&p, 1, 20) > 0 ? read(t.fd, chunk, sizeof chunk) : 0;
            if (n > 0) wr_buf_put(&b, chunk, (size_t)n), wr_buf_putc(&b, '\0'), b.len--;
        }
    }
    cr_assert(b.p && strstr(b.p, "error: SELECT failed: interrupted\r\nweir> "), "%s",
              b.p ? b.p : "");
    wr_buf_free(&b);
    cr_assert_eq(write(t.fd, "SELECT 1\n", 9), 9); /* unfinished: Ctrl-C drops it */
    free(read_until(&t, "...> ", 30000));
    b = (wr_buf){0};
    /* again every 300 ms: one that comes between the prompt and libedit's read is not seen */
    for (int i = 0; i < 30 && !(b.p && strstr(b.p, "\nweir> ")); i++) {
        cr_assert_eq(write(t.fd, "\x03", 1), 1);
        for (int64_t until = wr_now_ms() + 300; wr_now_ms() < until;) {
            struct pollfd p = {t.fd, POLLIN, 0};
            char chunk[4096];
            ssize_t n = poll(&p, 1, 20) > 0 ? read(t.fd, chunk, sizeof chunk) : 0;
            if (n > 0) wr_buf_put(&b, chunk, (size_t)n), wr_buf_putc(&b, '\0'), b.len--;
        }
    }
    cr_assert(b.p && strstr(b.p, "\nweir> "), "%s", b.p ? b.p : "");
    wr_buf_free(&b);
    /* the shell is there, "SELECT 1" is gone, and what is typed may be UTF-8 */
    const char *utf8 = "SELECT 5 AS n, hex('\xc3\xa9\xe6\x97\xa5') AS h;\n";
    cr_assert_eq(write(t.fd, utf8, strlen(utf8)), (ssize_t)strlen(utf8));
    free(read_until(&t, "\nn,h\r\n5,C3A9E697A5\r\nweir> ", 30000));
    cr_assert_eq(write(t.fd, ".quit\n", 6), 6);
    int status;
    cr_assert_eq(waitpid(t.pid, &status, 0), t.pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(t.fd);
    char *hist = wr_xasprintf("%s/.weir_history", w.dir);
    size_t len;
    char *text = wr_read_file(hist, &len);
    cr_assert_not_null(text);
    cr_assert(strstr(text, "SELECT\\0406\\012\\040\\040*\\0407\\040AS\\040n;\n"), "%s",
              text); /* libedit's encoding of the two lines */
    free(text);
    free(hist);
    unlink(path);
    free(path), free(ck);
}

/* A new user's first natural query, typed into the shell: GROUP BY the alias
 * of split(...)[4], then of CASE and of arithmetic. It used to crash the
 * planner and take the shell and every running query down with it. */
Test(shell, group_by_an_alias_of_any_expression) {
    const char *clicks[] = {"1\ts1\t/a\tGET\t10.0.0.1\tM\t5", "2\ts2\t/b\tGET\t10.0.0.2\tM\t7",
                            "3\ts3\t/c\tGET\t10.0.0.1\tM\t1"};
    wrt_produce(w.bs, "sh", 0, clicks, NULL, 3);
    const char *script = ".mode csv\n"
                         "CREATE SOURCE clicks USING kafka OPTIONS (subscribe = 'sh', "
                         "startingOffsets = 'earliest');\n"
                         "CREATE SINK per_ip USING memory OPTIONS (outputMode = 'complete');\n"
                         "INSERT INTO per_ip SELECT split(CAST(value AS STRING), '\\t')[4] AS "
                         "userip, count(*) AS c FROM clicks GROUP BY userip;\n"
                         "CREATE SINK sizes USING memory OPTIONS (outputMode = 'complete');\n"
                         "INSERT INTO sizes SELECT CASE WHEN offset < 1 THEN 'first' ELSE 'later' "
                         "END AS k, offset % 2 + 1 AS p, count(*) AS c\n"
                         "  FROM clicks GROUP BY k, p;\n"
                         ".wait per_ip\n"
                         ".wait sizes\n"
                         "SELECT * FROM per_ip ORDER BY userip;\n"
                         "SELECT * FROM sizes ORDER BY k, p;\n";
    wrt_result r = WRT_RUN(script, "shell", "--bootstrap", w.bs);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.err, "", "%s", r.err);
    cr_assert(strstr(r.out, "userip,c\n10.0.0.1,2\n10.0.0.2,1\n"), "%s", r.out);
    cr_assert(strstr(r.out, "k,p,c\nfirst,1,1\nlater,1,1\nlater,2,1\n"), "%s", r.out);
    wrt_result_free(&r);
}

/* .mode json writes infinities as strings, as the json sink and weir run
 * --format json do (they were left out). */
Test(shell, json_mode_keeps_infinities) {
    wrt_result r = WRT_RUN(".mode json\nSELECT 1e999 AS inf, -1e999 AS ninf, 2 AS two;\n", "shell");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "{\"inf\":\"Infinity\",\"ninf\":\"-Infinity\",\"two\":2}\n");
    wrt_result_free(&r);
}

/* The shell refuses an 11th memory sink with a path, as weir run does: its
 * reader attaches each one's file, and SQLite attaches at most 10. */
Test(shell, an_eleventh_memory_sink_with_a_path_is_refused) {
    wr_buf in = {0};
    for (int i = 1; i <= 11; i++)
        wr_buf_printf(&in, "CREATE SINK s%d USING memory OPTIONS (path = '%s/s%d.sqlite');\n", i,
                      w.dir, i);
    wr_buf_puts(&in, "CREATE SINK plain USING memory;\n.mode csv\nSHOW TABLES;\n");
    wrt_result r = WRT_RUN(in.p, "shell");
    wr_buf_free(&in);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.err, "error: line 1:1: at most 10 memory sinks with a path per job: SQLite "
                            "attaches at most 10 databases\n");
    cr_assert(strstr(r.out, "s10,false\nplain,true\n") && !strstr(r.out, "s11"), "%s", r.out);
    wrt_result_free(&r);
}

/* .queries prints the table SHOW QUERIES prints in table mode (right-aligned,
 * as Spark's show()), whatever .mode says; .wait right after a query starts,
 * with nothing new in its source, says there is no batch yet. */
Test(shell, queries_and_wait_say_the_same_things_as_everything_else) {
    const char *script = "CREATE SOURCE s USING kafka OPTIONS (subscribe = 'sh');\n"
                         "CREATE SINK quiet USING memory;\n"
                         "INSERT INTO quiet SELECT offset AS o FROM s;\n"
                         ".wait quiet\n"
                         ".stop quiet\n"
                         ".queries\n"
                         "SHOW QUERIES;\n"
                         ".mode csv\n"
                         ".queries\n";
    wrt_result r = WRT_RUN(script, "shell", "--bootstrap", w.bs);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.err, "");
    const char *table = "+-----+-------+-----+------------+----------------+----------+\n"
                        "|query|  state|batch|input rows/s|processed rows/s|last error|\n"
                        "+-----+-------+-----+------------+----------------+----------+\n"
                        "|quiet|stopped|    -|         0.0|             0.0|          |\n"
                        "+-----+-------+-----+------------+----------------+----------+\n";
    char *want = wr_xasprintf("query quiet started\n"
                              "query quiet has processed what its source held (no batch yet)\n"
                              "query quiet stopped\n%s%s%s",
                              table, table, table);
    cr_assert_str_eq(r.out, want);
    free(want);
    wrt_result_free(&r);
    r = WRT_RUN(NULL, "shell", "--help");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\nCommands at the prompt:\n.queries ") &&
                  strstr(r.out, "\n.wait NAME") && strstr(r.out, "\n.quit "),
              "%s", r.out);
    wrt_result_free(&r);
}
