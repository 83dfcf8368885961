/* The checkpoint folder of a streaming query, in Spark's layout:
 *   metadata            {"id": "<uuid>", "weirQuery": "<what the query reads and keeps>"}
 *   sources/0/0         v1 / the source's first offsets
 *   offsets/<N>         v1 / batch metadata JSON / the batch's end offsets per source
 *   commits/<N>         v1 / {"nextBatchWatermarkMs":W}, once the sink has batch N
 *   state/0/<p>/<N>.delta      what batch N changed in state partition p
 *   state/0/<p>/<N>.snapshot   all of partition p after batch N, every few batches
 *                              (formats in state/wr_state.h)
 *   progress/<N>        the StreamingQueryProgress JSON of batch N
 * Every file is written to a temporary name, fsynced, renamed, and its folder
 * fsynced. One running query owns a folder (an exclusive lock). */
#ifndef WR_CKPT_H
#define WR_CKPT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/wr_core.h"

typedef struct wr_ckpt wr_ckpt;

/* Opens (creating) the folder and takes its lock. `signature` describes the
 * query: a folder written by a different query is refused, naming both; so
 * are a read-only folder, one locked by a running query, and commits/N
 * without offsets/N. */
wr_ckpt *wr_ckpt_open(const char *dir, const char *signature, wr_err *err);
void wr_ckpt_close(wr_ckpt *c);
/* A checkpoint this open created and nothing has used (no sources/0/0, no
 * offsets, no commits: the query never reached its first batch) is removed,
 * with the folders of its path the open made; true if so. For a start that
 * failed: it leaves no new checkpoint behind (with a new query id a durable
 * sink would then disagree with). Close it after. */
bool wr_ckpt_discard_unused(wr_ckpt *c);
/* The query id kept in `metadata`. */
const char *wr_ckpt_id(const wr_ckpt *c);
/* Whether this open created the checkpoint (wrote its `metadata`). */
bool wr_ckpt_created(const wr_ckpt *c);

/* The folder. */
const char *wr_ckpt_dir(const wr_ckpt *c);

/* The newest batch with an offsets file (-1: none) and whether it is committed. */
int64_t wr_ckpt_last_batch(wr_ckpt *c, bool *committed);
/* The newest batch with a commits file (-1: none). */
int64_t wr_ckpt_last_commit(wr_ckpt *c);

/* Offsets: JSON objects {"topic": {"partition": offset}}. */
/* offsets/N also records the batch's watermark (ms) and the state partition
 * count; either out-parameter of the reader may be NULL. */
bool wr_ckpt_write_offsets(wr_ckpt *c, int64_t batch, int state_partitions, int64_t watermark_ms,
                           const json_t *offsets, wr_err *err);
json_t *wr_ckpt_read_offsets(wr_ckpt *c, int64_t batch, int *state_partitions,
                             int64_t *watermark_ms, wr_err *err);
bool wr_ckpt_write_sources(wr_ckpt *c, const json_t *offsets, wr_err *err);
/* Whether sources/0/0 (the offsets the query started at) exists. */
bool wr_ckpt_has_sources(const wr_ckpt *c);
json_t *wr_ckpt_read_sources(wr_ckpt *c, wr_err *err);
/* commits/N records the watermark the next batch uses (ms). */
bool wr_ckpt_write_commit(wr_ckpt *c, int64_t batch, int64_t next_watermark_ms, wr_err *err);
bool wr_ckpt_read_commit(wr_ckpt *c, int64_t batch, int64_t *next_watermark_ms, wr_err *err);

/* Writes progress/<N> (one JSON line; renamed into place, not fsynced: it
 * is a report, not part of recovery). */
bool wr_ckpt_write_progress(wr_ckpt *c, int64_t batch, const char *text, wr_err *err);
/* The folder of state partition p (created; malloc'd path). */
char *wr_ckpt_state_dir(const wr_ckpt *c, int partition);
/* Removes offsets/, commits/ and progress/ files of batches before `oldest`
 * (state files are the state store's: wr_store_retain). */
void wr_ckpt_cleanup(wr_ckpt *c, int64_t oldest);

#endif
