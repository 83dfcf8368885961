/* The latency benchmark's producer and reader (make bench, bench/latency.sh).
 * One thread produces RATE events a second for SECONDS seconds to TOPIC,
 * paced by a 1 ms clock: at each tick it sends the events due by then, each
 * value the wall-clock microseconds (CLOCK_REALTIME) of its own produce call.
 * Another thread polls the SQLite file a running `weir run` writes (a memory
 * sink with `path`, append mode, table TABLE of one BIGINT column holding
 * that value) every millisecond for rows it has not seen (by rowid). An
 * event is *visible* when a poll sees its row: weir's batch transaction has
 * committed in the file. Its latency is the time of the poll (taken before
 * the poll's read transaction begins, so the row was there by then) minus
 * its produce time: producer linger, broker, weir's wait for the next batch,
 * the batch, the sink's commit, and at most the 1 ms poll interval.
 * First one warm-up event is produced and waited for, so weir's start is
 * not counted; only events stamped after that are measured.
 * Prints the pacing's steadiness and p50 / p99 / max latency; exits 1 unless
 * exactly every measured event became visible within 30 s of the last.
 *   usage: latency BOOTSTRAP TOPIC RATE SECONDS SQLITE_FILE TABLE [LINGER_MS]
 * LINGER_MS: the producer's linger.ms (default 0: send at once). */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "kafka/wr_kafka.h"

static int64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

typedef struct reader {
    const char *path, *table;
    _Atomic int64_t from_us;  /* events stamped at or after this are measured */
    _Atomic int64_t expected; /* measured events produced (final once done) */
    _Atomic int done;         /* the producer has finished */
    _Atomic int64_t seen_any; /* rows seen, warm-up included */
    int64_t *lat;             /* latencies (µs) of measured events */
    int64_t nlat, caplat;
    int64_t polls;
    char err[256];
} reader;

static void msleep_until(struct timespec *t, long step_ns) {
    t->tv_nsec += step_ns;
    while (t->tv_nsec >= 1000000000L) {
        t->tv_nsec -= 1000000000L;
        t->tv_sec++;
    }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, t, NULL) == EINTR) {
    }
}

static void *read_loop(void *arg) {
    reader *r = arg;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int64_t last_rowid = 0, give_up = 0;
    struct timespec tick;
    clock_gettime(CLOCK_MONOTONIC, &tick);
    for (;;) {
        msleep_until(&tick, 1000000L);
        if (!st) { /* the file and table appear once weir has opened its sink */
            if (!db && sqlite3_open_v2(r->path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
                sqlite3_close(db);
                db = NULL;
                continue;
            }
            char sql[256];
            snprintf(sql, sizeof sql, "SELECT rowid, * FROM \"%s\" WHERE rowid > ?1", r->table);
            if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
                st = NULL;
                continue;
            }
        }
        int64_t t = now_us();
        r->polls++;
        sqlite3_bind_int64(st, 1, last_rowid);
        int rc;
        int64_t from = atomic_load(&r->from_us);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            last_rowid = sqlite3_column_int64(st, 0);
            int64_t stamp = sqlite3_column_int64(st, 1);
            atomic_fetch_add(&r->seen_any, 1);
            if (!from || stamp < from) continue;
            if (r->nlat == r->caplat) {
                r->caplat = r->caplat ? r->caplat * 2 : 1 << 16;
                int64_t *grown = realloc(r->lat, sizeof *r->lat * (size_t)r->caplat);
                if (!grown) {
                    fprintf(stderr, "latency: out of memory\n");
                    exit(1);
                }
                r->lat = grown;
            }
            r->lat[r->nlat++] = t - stamp;
        }
        sqlite3_reset(st);
        if (rc != SQLITE_DONE && rc != SQLITE_BUSY) {
            snprintf(r->err, sizeof r->err, "%s: %s", r->path, sqlite3_errmsg(db));
            break;
        }
        if (atomic_load(&r->done)) {
            if (r->nlat >= atomic_load(&r->expected)) break;
            if (!give_up) give_up = t + 30000000;
            if (t > give_up) break;
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return NULL;
}

static int cmp64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double pct(const int64_t *v, int64_t n, double p) { /* nearest rank, in ms */
    int64_t i = (int64_t)(p / 100.0 * (double)n + 0.999999) - 1;
    return v[i < 0 ? 0 : i >= n ? n - 1 : i] / 1000.0;
}

static bool produce_now(rd_kafka_t *rk, const char *topic) {
    char v[32];
    int n = snprintf(v, sizeof v, "%lld", (long long)now_us());
    for (;;) {
        rd_kafka_resp_err_t e =
            rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_VALUE(v, (size_t)n),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (!e) return true;
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            fprintf(stderr, "latency: produce: %s\n", rd_kafka_err2str(e));
            return false;
        }
        rd_kafka_poll(rk, 1);
    }
}

int main(int argc, char **argv) {
    if (argc < 7 || argc > 8) {
        fprintf(stderr,
                "usage: latency BOOTSTRAP TOPIC RATE SECONDS SQLITE_FILE TABLE [LINGER_MS]\n");
        return 2;
    }
    const char *topic = argv[2], *linger = argc > 7 ? argv[7] : "0";
    long rate = atol(argv[3]);
    double seconds = atof(argv[4]);
    if (rate < 1 || seconds <= 0) {
        fprintf(stderr, "latency: RATE and SECONDS must be positive\n");
        return 2;
    }
    char err[512];
    rd_kafka_conf_t *conf = wr_kafka_conf_new(argv[1], NULL, err, sizeof err);
    if (!conf || !wr_kafka_conf_set(conf, "linger.ms", linger, err, sizeof err)) {
        fprintf(stderr, "latency: %s\n", err);
        return 1;
    }
    rd_kafka_t *rk = wr_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "latency: %s\n", err);
        return 1;
    }
    reader r = {.path = argv[5], .table = argv[6]};
    pthread_t th;
    pthread_create(&th, NULL, read_loop, &r);

    /* Warm-up: one event, waited for (weir's start is not what is measured). */
    if (!produce_now(rk, topic)) return 1;
    rd_kafka_flush(rk, 10000);
    int64_t w0 = now_us();
    while (atomic_load(&r.seen_any) == 0) {
        if (now_us() - w0 > 60000000) {
            fprintf(stderr, "latency: the warm-up event was not visible in %s within 60 s\n",
                    r.path);
            return 1;
        }
        usleep(1000);
    }
    int64_t start = now_us();
    atomic_store(&r.from_us, start);

    /* Paced production: the events due at each 1 ms tick. */
    int64_t total = (int64_t)((double)rate * seconds), sent = 0, worst_late_us = 0;
    int nsec = (int)seconds + 1;
    int64_t *per_sec = calloc((size_t)nsec + 1, sizeof *per_sec);
    struct timespec tick, t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    tick = t0;
    while (sent < total) {
        msleep_until(&tick, 1000000L);
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t late = (now.tv_sec - tick.tv_sec) * 1000000 + (now.tv_nsec - tick.tv_nsec) / 1000;
        if (late > worst_late_us) worst_late_us = late;
        int64_t el = (now.tv_sec - t0.tv_sec) * 1000000 + (now.tv_nsec - t0.tv_nsec) / 1000;
        int64_t due = (int64_t)((double)el * (double)rate / 1e6);
        if (due > total) due = total;
        int sec = (int)(el / 1000000);
        for (; sent < due; sent++) {
            if (!produce_now(rk, topic)) return 1;
            per_sec[sec < nsec ? sec : nsec]++;
        }
        rd_kafka_poll(rk, 0);
    }
    struct timespec tend;
    clock_gettime(CLOCK_MONOTONIC, &tend);
    double took = (double)(tend.tv_sec - t0.tv_sec) + (double)(tend.tv_nsec - t0.tv_nsec) / 1e9;
    if (rd_kafka_flush(rk, 30000)) {
        fprintf(stderr, "latency: %d events not delivered within 30 s\n", rd_kafka_outq_len(rk));
        return 1;
    }
    atomic_store(&r.expected, total);
    atomic_store(&r.done, 1);
    pthread_join(th, NULL);
    wr_kafka_destroy(rk);

    int64_t lo = INT64_MAX, hi = 0;
    for (int s = 0; s < (int)seconds; s++) { /* whole seconds only */
        if (per_sec[s] < lo) lo = per_sec[s];
        if (per_sec[s] > hi) hi = per_sec[s];
    }
    printf("produced %lld events in %.2f s (%.0f/s; whole seconds %lld..%lld events; the 1 ms "
           "pacing tick ran at most %.1f ms late), linger.ms=%s\n",
           (long long)total, took, (double)total / took, (long long)(lo == INT64_MAX ? 0 : lo),
           (long long)hi, (double)worst_late_us / 1000.0, linger);
    if (r.err[0]) {
        fprintf(stderr, "latency: reading %s\n", r.err);
        return 1;
    }
    if (r.nlat != total) {
        fprintf(stderr, "latency: %lld of %lld events visible in %s within 30 s of the last\n",
                (long long)r.nlat, (long long)total, r.path);
        return 1;
    }
    qsort(r.lat, (size_t)r.nlat, sizeof *r.lat, cmp64);
    printf("visible %lld of %lld events (%lld polls); produce-to-visible latency: p50 %.1f ms, "
           "p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
           (long long)r.nlat, (long long)total, (long long)r.polls, pct(r.lat, r.nlat, 50),
           pct(r.lat, r.nlat, 90), pct(r.lat, r.nlat, 99), (double)r.lat[r.nlat - 1] / 1000.0);
    free(r.lat);
    free(per_sec);
    return 0;
}
