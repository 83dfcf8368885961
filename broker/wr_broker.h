/* The embedded development broker: librdkafka's mock cluster (a real Kafka
 * protocol server, memory only) with topics created up front and, optionally, a
 * fixed loopback port (9092 by default) relayed to it. Used by `weir broker` and
 * by the tests, which start it in-process. */
#ifndef WR_BROKER_H
#define WR_BROKER_H

#include <stddef.h>

typedef struct wr_broker wr_broker;

/* What the mock keeps per partition before deleting the oldest message sets. */
#define WR_BROKER_RETAIN_BYTES (5 * 1024 * 1024)
#define WR_BROKER_RETAIN_BATCHES 100000

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

/* Stops the relay and destroys the cluster (all data is gone). */
void wr_broker_stop(wr_broker *b);

#endif
