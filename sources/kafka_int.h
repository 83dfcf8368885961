/* Internal to the Kafka source: its row layout, its run-time operations
 * (kafka.c) and its description (kafka_kind.c). */
#ifndef WR_SOURCES_KAFKA_INT_H
#define WR_SOURCES_KAFKA_INT_H

#include "engine/wr_engine.h"

/* The columns of a Kafka row, as Spark's Kafka source has them. */
enum {
    WR_KCOL_KEY,
    WR_KCOL_VALUE,
    WR_KCOL_TOPIC,
    WR_KCOL_PARTITION,
    WR_KCOL_OFFSET,
    WR_KCOL_TIMESTAMP,
    WR_KCOL_TIMESTAMP_TYPE,
    WR_KCOL_COUNT
};

extern const wr_source_ops wr_kafka_source_ops;
char *wr_kafka_describe(const wr_source_def *def);
char *wr_kafka_identity(const wr_source_def *def);

#endif
