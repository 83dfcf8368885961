/* weir shell through a pseudo-terminal: a job runs in the background while a
 * producer keeps adding clicks; SELECTs typed at the prompt see whole
 * committed batches only (every count is a batch boundary from the
 * checkpoint's progress files), the last answer equals the total computed
 * here; writes, ATTACH and writable pragmas are refused with their messages
 * and change nothing; a failing query shows its error and the shell goes
 * on; after .stop and .quit a weir run resumes from the checkpoint exactly. */
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
#include "util/wr_util.h"

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
        snprintf(line, sizeof line, "%d\ts%d\t/\tGET\t10.0.0.%d\tcurl\t%d\t200", 1700000000 + i, i, i % 7, spent(i));
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("sh"), RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_VALUE(line, strlen(line)),
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
        execl(WEIR_BINARY, "weir", "shell", job, "--bootstrap", w.bs, "--checkpoint", ck, (char *)NULL);
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
        json_t *end = json_object_get(json_object_get(json_object_get(json_array_get(json_object_get(j, "sources"), 0), "endOffset"), "sh"), "0");
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
        "CREATE SOURCE clicks USING kafka OPTIONS (subscribe = 'sh', startingOffsets = 'earliest', maxOffsetsPerTrigger = 70);\n"
        "CREATE SINK mytable USING memory OPTIONS (outputMode = 'append', path = '%s');\n"
        "INSERT INTO mytable SELECT offset AS o, split(CAST(value AS STRING), '\\t')[4] AS userip,\n"
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
        for (int k = 0; k < nends && !at_boundary; k++) at_boundary = ends[k] == seen[i];
        cr_assert(at_boundary, "answer %ld is not at a batch boundary (half a batch seen)", seen[i]);
        distinct += i == 0 || seen[i] != seen[i - 1];
    }
    cr_assert_geq(distinct, 3, "the answers did not move while the stream ran");
    long total = 0;
    for (int i = 0; i < CLICKS; i++) total += spent(i);
    char *out = say(&t, "SELECT sum(timespent) AS n FROM mytable WHERE userip REGEXP '^10\\.0\\.0\\.[0-9]$';");
    cr_assert_eq(count_of(out), total, "%s", out);
    free(out);

    /* refused, with their messages, and nothing changes */
    static const char *const refused[][2] = {
        {"INSERT INTO mytable VALUES (1, 'x', 2);", "INSERT is not allowed: SQL over sinks is read-only"},
        {"DELETE FROM mytable;", "DELETE is not allowed: SQL over sinks is read-only"},
        {"ATTACH DATABASE '/tmp/weir-shell-x.db' AS x;", "ATTACH is not allowed: SQL over sinks is read-only"},
        {"PRAGMA writable_schema=1;", "PRAGMA writable_schema = 1 is not allowed: SQL over sinks is read-only"},
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
    free(out);
    out = NULL;
    for (int i = 0; i < 100 && !(out && strstr(out, "query b2 failed: source bad: assign names sh partition 7, which does not exist")); i++) {
        free(out);
        usleep(50000);
        out = say(&t, "SELECT 1 AS n;");
    }
    cr_assert(out && strstr(out, "query b2 failed: source bad: assign names sh partition 7"), "%s", out);
    free(out);
    out = say(&t, "INSERT INTO mytable SELECT offset AS o FROM clicks;");
    cr_assert(strstr(out, "error: that sink already has a query"), "%s", out);
    free(out);
    out = say(&t, ".stop mytable");
    cr_assert(strstr(out, "query mytable stopped"), "%s", out);
    free(out);
    out = say(&t, ".queries");
    cr_assert(strstr(out, "|b2     |failed |") && strstr(out, "|mytable|stopped|"), "%s", out);
    free(out);

    cr_assert_eq(write(t.fd, ".quit\n", 6), 6);
    int status;
    cr_assert_eq(waitpid(t.pid, &status, 0), t.pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "weir shell did not leave cleanly");
    close(t.fd);

    /* the checkpoint is consistent: a run resumes with nothing to do, the file holds each click once */
    wrt_result r = WRT_RUN(NULL, "run", path, "--bootstrap", w.bs, "--checkpoint", ck, "--trigger", "availableNow", "--format", "csv");
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
    for (int i = 0; i < 200; i++) lines[i] = "x";
    wrt_produce(w.bs, "sh", 0, lines, NULL, 200);
    char *ck = wr_xasprintf("%s/ck2", w.dir);
    char *path = wrt_temp_job("CREATE SOURCE s USING kafka OPTIONS (subscribe = 'sh', startingOffsets = 'earliest', maxOffsetsPerTrigger = 2);\n"
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
    char *out = say(&t, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT count(*) AS n FROM c;");
    int64_t took = wr_now_ms() - t0;
    cr_assert_eq(count_of(out), 3000000, "%s", out);
    free(out);
    out = say(&t, "SELECT count(*) AS n FROM slow;");
    long after = count_of(out);
    free(out);
    cr_assert_gt(took, 300, "the long SELECT was not long (%lld ms)", (long long)took);
    cr_assert_gt(after, before + 20, "the stream stalled behind a %lld ms SELECT: %ld rows before, %ld after", (long long)took, before, after);
    cr_assert_eq(write(t.fd, ".quit\n", 6), 6);
    int status;
    cr_assert_eq(waitpid(t.pid, &status, 0), t.pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(t.fd);
    unlink(path);
    free(path), free(ck);
}
