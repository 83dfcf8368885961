/* Exactly-once under SIGKILL: word count (update mode) and the raw lines
 * (append mode) run into durable memory sinks (SQLite files) while a
 * producer keeps adding lines; `weir run` is killed with SIGKILL at random
 * moments 24 times and restarted each time, then drained. The final tables
 * must equal what the produced lines give: every count exact, every line
 * exactly once. */
#include <criterion/criterion.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
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
    wrt_world_start(&w, "crash", "cw", 4);
}

static void stop(void) {
    wrt_world_stop(&w);
}

TestSuite(crash, .init = start, .fini = stop, .timeout = 600);

enum { KILLS = 24, CHUNK = 100 };

typedef struct producer {
    atomic_bool stop;
    int produced; /* lines 0..produced-1 were delivered */
    int failed;
} producer;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    if (m->err) ((producer *)opaque)->failed++;
}

static void line_text(int i, char *buf, size_t len) {
    snprintf(buf, len, "%d w%d w%d w%d", i, i % 97, i % 13, i % 5);
}

/* Produces chunks of lines, unkeyed, every 20 ms until told to stop. */
static void *produce_main(void *arg) {
    producer *p = arg;
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", w.bs, err, sizeof err);
    rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof err);
    rd_kafka_conf_set(conf, "sticky.partitioning.linger.ms", "0", err, sizeof err);
    rd_kafka_conf_set_opaque(conf, p);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        p->failed = -1;
        return NULL;
    }
    while (!atomic_load(&p->stop) && !p->failed) {
        for (int k = 0; k < CHUNK; k++) {
            char buf[64];
            line_text(p->produced + k, buf, sizeof buf);
            if (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("cw"), RD_KAFKA_V_VALUE(buf, strlen(buf)),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END))
                p->failed++;
        }
        rd_kafka_flush(rk, 30000);
        if (rd_kafka_outq_len(rk)) p->failed++;
        p->produced += CHUNK;
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    rd_kafka_destroy(rk);
    return NULL;
}

Test(crash, sigkill_at_random_moments_loses_and_doubles_nothing) {
    char *job_text = wr_xasprintf(
        "SET weir.shuffle.partitions = 3;\n"
        "SET spark.sql.streaming.stateStore.minDeltasForSnapshot = 3;\n"
        "SET spark.sql.streaming.minBatchesToRetain = 4;\n"
        "CREATE SOURCE s USING kafka OPTIONS (subscribe = 'cw', startingOffsets = 'earliest', "
        "maxOffsetsPerTrigger = 300);\n"
        "CREATE SINK counts USING memory OPTIONS (outputMode = 'update', path = "
        "'%s/counts.sqlite');\n"
        "CREATE SINK lines USING memory OPTIONS (outputMode = 'append', path = "
        "'%s/lines.sqlite');\n"
        "INSERT INTO counts SELECT word, count(*) AS n\n"
        "  FROM (SELECT explode(split(CAST(value AS STRING), ' ')) AS word FROM s) GROUP BY word;\n"
        "INSERT INTO lines SELECT CAST(value AS STRING) AS v FROM s;\n",
        w.dir, w.dir);
    char *job = wrt_temp_job(job_text);
    char *ck = wr_xasprintf("%s/ck", w.dir);
    producer prod = {0};
    pthread_t th;
    pthread_create(&th, NULL, produce_main, &prod);
    unsigned seed = (unsigned)time(NULL);
    srand(seed);
    for (int k = 0; k < KILLS; k++) {
        int fd;
        pid_t pid = wrt_spawn(
            (const char *const[]){"run", job, "--bootstrap", w.bs, "--checkpoint", ck, NULL}, &fd);
        usleep((useconds_t)(30 + rand() % 1200) * 1000);
        int status;
        cr_assert_eq(waitpid(pid, &status, WNOHANG), 0,
                     "weir run stopped by itself before kill %d (seed %u)", k, seed);
        kill(pid, SIGKILL);
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        close(fd);
    }
    atomic_store(&prod.stop, true);
    pthread_join(th, NULL);
    cr_assert_eq(prod.failed, 0, "the producer failed");
    int n = prod.produced;
    cr_assert_gt(n, 0);
    wrt_result r = WRT_RUN(NULL, "run", job, "--bootstrap", w.bs, "--checkpoint", ck, "--trigger",
                           "availableNow");
    cr_assert_eq(r.status, 0, "%s", r.err);
    wrt_result_free(&r);

    /* the lines: each exactly once */
    char *path = wr_xasprintf("%s/lines.sqlite", w.dir);
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    unsigned char *seen = wr_xcalloc((size_t)n, 1);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT v FROM lines", -1, &st, NULL), SQLITE_OK);
    int rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        int i = atoi(v);
        char want[64];
        line_text(i, want, sizeof want);
        cr_assert(i >= 0 && i < n && !strcmp(v, want), "unexpected line '%s' (seed %u)", v, seed);
        cr_assert_eq(seen[i], 0, "line %d written twice (seed %u)", i, seed);
        seen[i] = 1;
        rows++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    cr_assert_eq(rows, n, "%d of %d lines in the sink (seed %u)", rows, n, seed);
    free(path);

    /* the counts: the number words once each, wK as the lines give */
    int exp[97] = {0};
    for (int i = 0; i < n; i++)
        exp[i % 97]++, exp[i % 13]++, exp[i % 5]++;
    path = wr_xasprintf("%s/counts.sqlite", w.dir);
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT word, n FROM counts", -1, &st, NULL), SQLITE_OK);
    memset(seen, 0, (size_t)n);
    int nums = 0, ws = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *word = (const char *)sqlite3_column_text(st, 0);
        long long c = sqlite3_column_int64(st, 1);
        if (word[0] == 'w') {
            int k = atoi(word + 1);
            cr_assert(k >= 0 && k < 97, "unexpected word %s", word);
            cr_assert_eq(c, exp[k], "count of %s: %lld, want %d (seed %u)", word, c, exp[k], seed);
            ws++;
        } else {
            int i = atoi(word);
            cr_assert(i >= 0 && i < n && !seen[i], "unexpected or repeated word %s", word);
            cr_assert_eq(c, 1, "count of %s: %lld (seed %u)", word, c, seed);
            seen[i] = 1;
            nums++;
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    int distinct = 0;
    for (int k = 0; k < 97; k++)
        distinct += exp[k] > 0;
    cr_assert_eq(nums, n, "%d of %d line numbers counted", nums, n);
    cr_assert_eq(ws, distinct);
    free(path);
    free(seen);
    unlink(job);
    free(job);
    free(job_text);
    free(ck);
}
