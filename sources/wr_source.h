/* The Kafka source: resolves the partitions a query reads (subscribe,
 * subscribePattern, assign), turns startingOffsets into offsets, asks the
 * cluster for the latest offsets, caps a batch with maxOffsetsPerTrigger as
 * Spark does, and reads an explicit offset range [start, end) of one
 * partition for a task. Reading uses one fetch queue per partition, so tasks
 * on different partitions run in parallel; nothing is committed to Kafka. */
#ifndef WR_SOURCE_H
#define WR_SOURCE_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stdint.h>

#include "planner/wr_plan.h"

typedef struct wr_tp {
    char *topic;
    int32_t partition;
} wr_tp;

typedef struct wr_ksrc wr_ksrc;

/* Offsets [start, end) of partition `part` that were lost. */
typedef struct wr_loss {
    int part;
    int64_t start, end;
} wr_loss;

/* Connects and resolves the partitions (sorted by topic, partition). The
 * consumer group is kafka.group.id if given, else `group` if not NULL, else
 * "<groupIdPrefix or weir>-<source name>". */
wr_ksrc *wr_ksrc_open(const wr_source_def *def, const char *group, char *errstr, size_t errlen);

/* Commits next offsets of every partition to the consumer group, in the
 * background, so that Kafka tools show the query's lag. Recovery never reads
 * them (the checkpoint is the truth). */
void wr_ksrc_commit(wr_ksrc *s, const int64_t *next);
void wr_ksrc_close(wr_ksrc *s);

int wr_ksrc_count(const wr_ksrc *s);
const wr_tp *wr_ksrc_tp(const wr_ksrc *s, int i);

/* Offsets per partition from the startingOffsets option. */
bool wr_ksrc_starting(wr_ksrc *s, int64_t *out, char *errstr, size_t errlen);
/* The earliest and latest available offsets per partition (either may be NULL). */
bool wr_ksrc_watermarks(wr_ksrc *s, int64_t *earliest, int64_t *latest, char *errstr,
                        size_t errlen);
/* End offsets for a batch: latest, capped to `limit` offsets in all (limit <=
 * 0: no cap), shared among partitions in proportion to what each has. */
void wr_ksrc_rate_limit(const wr_ksrc *s, const int64_t *from, const int64_t *latest, int64_t limit,
                        int64_t *to);

/* Starts (or keeps) partition i's fetcher so that it delivers `start` next.
 * Calling it for ranges a little ahead of the tasks lets their data arrive
 * while the tasks work (thread-safe). */
bool wr_ksrc_prepare(wr_ksrc *s, int i, int64_t start, char *errstr, size_t errlen);

/* Called with each chunk of messages read; return false to abort. */
typedef bool (*wr_ksrc_chunk_fn)(void *ctx, rd_kafka_message_t **msgs, int n);

/* Reads partition i over [start, end): calls fn with chunks in offset order;
 * the messages are destroyed after fn returns. Thread-safe across partitions.
 * Offsets deleted by retention before they were read stop it with an error
 * naming the lost range, or, with failOnDataLoss = false, are skipped and
 * logged (a warning on stderr, and wr_ksrc_take_losses). */
bool wr_ksrc_read(wr_ksrc *s, int i, int64_t start, int64_t end, wr_ksrc_chunk_fn fn, void *ctx,
                  char *errstr, size_t errlen);

/* The ranges skipped since the last call (malloc'd array; free it). */
int wr_ksrc_take_losses(wr_ksrc *s, wr_loss **out);

#endif
