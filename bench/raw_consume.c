/* The physical floor for the benchmarks: a plain librdkafka consumer that reads
 * every partition of a topic from the beginning to its current end and counts
 * the messages and bytes, with the same fetch settings as Weir's source.
 * usage: raw_consume BOOTSTRAP TOPIC */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/wr_kafka.h"

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: raw_consume BOOTSTRAP TOPIC\n");
        return 2;
    }
    char err[512];
    rd_kafka_conf_t *conf = wr_kafka_conf_new(argv[1], NULL, err, sizeof err);
    wr_kafka_conf_set(conf, "group.id", "weir-bench-raw", err, sizeof err);
    wr_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
    wr_kafka_conf_set(conf, "queued.min.messages", "1000000", err, sizeof err);
    wr_kafka_conf_set(conf, "queued.max.messages.kbytes", "65536", err, sizeof err);
    wr_kafka_conf_set(conf, "fetch.wait.max.ms", "100", err, sizeof err);
    wr_kafka_conf_set(conf, "fetch.message.max.bytes", "4194304", err, sizeof err);
    rd_kafka_t *rk = wr_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    const rd_kafka_metadata_t *md;
    if (!rk || !wr_kafka_probe(rk, 10000, &md, err, sizeof err)) {
        fprintf(stderr, "raw_consume: %s\n", err);
        return 1;
    }
    const rd_kafka_metadata_topic_t *t = wr_kafka_md_topic(md, argv[2]);
    if (!t) {
        fprintf(stderr, "raw_consume: no topic %s\n", argv[2]);
        return 1;
    }
    int np = t->partition_cnt;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(np);
    int64_t *hi = calloc((size_t)np, sizeof *hi), remaining = 0;
    for (int i = 0; i < np; i++) {
        int64_t lo;
        rd_kafka_query_watermark_offsets(rk, argv[2], i, &lo, &hi[i], 10000);
        rd_kafka_topic_partition_list_add(l, argv[2], i)->offset = lo;
        remaining += hi[i] - lo;
    }
    rd_kafka_metadata_destroy(md);
    int64_t t0 = wr_now_ms(), msgs = 0, bytes = 0;
    rd_kafka_assign(rk, l);
    rd_kafka_poll_set_consumer(rk);
    while (remaining > 0) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);
        if (!m) continue;
        if (!m->err && m->offset < hi[m->partition]) {
            msgs++;
            bytes += (int64_t)m->len;
            remaining--;
        }
        rd_kafka_message_destroy(m);
    }
    int64_t ms = wr_now_ms() - t0;
    printf("raw_consume: %lld messages, %lld bytes in %lld ms (%.0f msg/s)\n", (long long)msgs,
           (long long)bytes, (long long)ms, ms ? (double)msgs * 1000.0 / (double)ms : 0.0);
    rd_kafka_topic_partition_list_destroy(l);
    free(hi);
    rd_kafka_consumer_close(rk);
    wr_kafka_destroy(rk);
    return 0;
}
