/* Kafka client plumbing shared by every command and the Kafka source: building a
 * librdkafka configuration from a bootstrap address and `-X key=value` settings,
 * capturing librdkafka's errors so we can print one clear line instead of its logs,
 * and a bounded "is the cluster reachable" probe that fails fast. */
#ifndef WR_KAFKA_H
#define WR_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/wr_core.h"

#define WR_KAFKA_DEFAULT_BOOTSTRAP  "localhost:9092"
#define WR_KAFKA_DEFAULT_TIMEOUT_MS 10000

/* Creates a configuration with bootstrap.servers (NULL: localhost:9092), our
 * error capture, and the `key=value` items of `props` applied in order (they win
 * over our defaults). Returns NULL and fills errstr when a setting is refused. */
rd_kafka_conf_t *wr_kafka_conf_new(const char *bootstrap, const wr_strlist *props, char *errstr,
                                   size_t errlen);

/* Applies `key=value` items in order; false with an error naming the bad one. */
bool wr_kafka_conf_apply(rd_kafka_conf_t *conf, const wr_strlist *props, char *errstr,
                         size_t errlen);

/* Sets one property, with an error naming it. */
bool wr_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, char *errstr,
                       size_t errlen);

/* Creates the client (takes ownership of conf, even on failure). */
rd_kafka_t *wr_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf, char *errstr, size_t errlen);

/* Destroys a client made by wr_kafka_new (closing a consumer first). */
void wr_kafka_destroy(rd_kafka_t *rk);

/* Waits until the cluster answers a metadata request for all topics. Fails at
 * once when every address of every bootstrap server refuses connections (or does
 * not resolve), checked by connecting to each after librdkafka reports a failed
 * connection; otherwise after timeout_ms. On success
 * *md (if not NULL) holds the metadata: free it with rd_kafka_metadata_destroy. */
bool wr_kafka_probe(rd_kafka_t *rk, int timeout_ms, const rd_kafka_metadata_t **md, char *errstr,
                    size_t errlen);

/* True when the cluster is librdkafka's mock cluster (`weir broker`, or one a
 * test started), which names itself "mockCluster...". Call after wr_kafka_probe. */
bool wr_kafka_is_embedded(rd_kafka_t *rk);

/* Consumer group timing for the embedded broker. Its group coordinator waits
 * session.timeout.ms - 1 s after a member leaves before the next one may join,
 * and keeps a member that vanished while joining for session.timeout.ms (see
 * README "Everyday Kafka commands"). Sets session.timeout.ms and
 * heartbeat.interval.ms unless `props` (-X items) sets them. */
#define WR_KAFKA_EMBEDDED_SESSION_MS   5000
#define WR_KAFKA_EMBEDDED_HEARTBEAT_MS 1000
void wr_kafka_conf_embedded_group(rd_kafka_conf_t *conf, const wr_strlist *props);
/* How long a fetch may wait for data (fetch.wait.max.ms): against a real
 * broker it answers as soon as data arrives; the embedded broker answers only
 * when the wait is over, so against it the wait is short (it bounds latency). */
#define WR_KAFKA_FETCH_WAIT_MS          "100"
#define WR_KAFKA_EMBEDDED_FETCH_WAIT_MS "10"

/* The most recent error librdkafka reported on this client ("" if none). */
void wr_kafka_last_error(rd_kafka_t *rk, char *buf, size_t len);

/* Finds a topic in metadata; NULL if absent. */
const rd_kafka_metadata_topic_t *wr_kafka_md_topic(const rd_kafka_metadata_t *md,
                                                   const char *topic);

#endif
