/* The embedded development broker: librdkafka's mock cluster (a real Kafka
 * protocol server, memory only) with topics created up front and, optionally, a
 * fixed loopback port (9092 by default) relayed to it. Used by `weir broker` and
 * by the tests, which start it in-process. */
#ifndef WR_BROKER_H
#define WR_BROKER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct wr_broker wr_broker;

/* What the mock keeps per partition before deleting the oldest message sets. */
#define WR_BROKER_RETAIN_BYTES   (5 * 1024 * 1024)
#define WR_BROKER_RETAIN_BATCHES 100000
/* The largest message (key and value bytes) that weir produce sends to the
 * embedded broker: with its record framing (under 100 bytes for one message)
 * it still fits in what a partition keeps. A bigger one would be kept alone,
 * deleting every older message of its partition, then be deleted itself. */
#define WR_BROKER_MAX_MESSAGE (WR_BROKER_RETAIN_BYTES - 1024)

/* Parses "NAME[:PARTITIONS]" (partitions default 1). Returns 0 or -1 with errstr. */
int wr_broker_parse_topic(const char *spec, char **name, int *partitions, char *errstr,
                          size_t errlen);

/* Starts a one-broker mock cluster. port < 0: no relay (clients use the mock's
 * own address); port 0: relay on a free port; else relay on that port. */
wr_broker *wr_broker_start(int port, char *errstr, size_t errlen);

/* Creates a topic with the given partition count (replication factor 1). */
int wr_broker_create_topic(wr_broker *b, const char *name, int partitions, char *errstr,
                           size_t errlen);

/* The address clients should bootstrap from: "localhost:PORT" through the relay,
 * else the mock's own listener. Valid until wr_broker_stop. */
const char *wr_broker_bootstrap(const wr_broker *b);

/* Prints to `out` one line for each partition whose oldest offsets the mock's
 * retention deleted since the last call ("weir broker: retention deleted T
 * partition P offsets A..B (...)"), by asking the cluster for the partitions'
 * earliest offsets. Meant to be called about once a second. */
void wr_broker_report_retention(wr_broker *b, FILE *out);

/* The mock cluster itself, for rdkafka_mock.h's fault injection (tests). */
struct rd_kafka_mock_cluster_s *wr_broker_mock(wr_broker *b);

/* Stops the relay and destroys the cluster (all data is gone). */
void wr_broker_stop(wr_broker *b);

#endif
