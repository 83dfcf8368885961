/* The engine's public face: the interfaces sources and sinks implement (the
 * engine reaches them only through these), the micro-batch driver that runs
 * one query, and the query manager that weir run and weir shell share.
 *
 * Each batch of a query: latest offsets of every split -> rate limit ->
 * offsets/N (the write-ahead log) -> one task per split range on the worker
 * pool (source read -> stateless operators -> partial aggregate) -> shuffle
 * of partials into state partitions -> stateful operators merge, emit and
 * evict -> sink write + commit -> state files -> commits/N. */
#ifndef WR_ENGINE_H
#define WR_ENGINE_H

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "planner/wr_plan.h"

/* ---- sources ---- */

/* An open source: each kind's own struct, which begins with this. */
typedef struct wr_source {
    const wr_source_def *def;
} wr_source;

/* What a source reads into: rows of its schema (the columns a query does
 * not read may be NULL). It returns false when row *failed could not be
 * processed: the read stops, failing with the row's position ("topic t,
 * partition 0, offset 7") as its error. */
typedef bool (*wr_rows_fn)(void *ctx, const wr_batch *rows, size_t *failed);

/* What opening a source needs besides its definition. */
typedef struct wr_source_env {
    const char *group;  /* where to report progress (a consumer group), or NULL */
    const bool *needed; /* per column of its schema: whether a query reads it */
    const char *dir;    /* the checkpoint's folder for it (sources/0), or NULL: none */
} wr_source_env;

/* A source's splits (Kafka partitions, rate partitions) each have offsets:
 * a batch reads [from, to) of each split. */
struct wr_source_ops {
    wr_source *(*open)(const wr_source_def *def, const wr_source_env *env, wr_err *err);
    void (*close)(wr_source *s);
    int (*splits)(wr_source *s);
    /* A split as errors name it: "t1 partition 0". */
    const char *(*split_name)(wr_source *s, int i);
    /* The offsets a fresh query starts at (Kafka: startingOffsets). */
    bool (*initial)(wr_source *s, int64_t *off, wr_err *err);
    /* The offsets available now (the end of each split). */
    bool (*latest)(wr_source *s, int64_t *off, wr_err *err);
    /* The end offsets of a batch from `from`, given what is available: the
     * source's rate limit (maxOffsetsPerTrigger, rowsPerSecond); once: no limit. */
    void (*limit)(wr_source *s, const int64_t *from, const int64_t *latest, bool once, int64_t *to);
    /* Optional: start fetching split i from `start`, ahead of its read. */
    bool (*prepare)(wr_source *s, int i, int64_t start, wr_err *err);
    /* Reads [start, end) of split i into fn, in chunks; thread-safe across splits. */
    bool (*read)(wr_source *s, int i, int64_t start, int64_t end, wr_rows_fn fn, void *ctx,
                 wr_err *err);
    /* Offsets to and from a checkpoint's JSON; splits the JSON does not name
     * (new Kafka partitions) start at their earliest offset. */
    json_t *(*offsets_json)(wr_source *s, const int64_t *off);
    bool (*offsets_from_json)(wr_source *s, const json_t *j, int64_t *off, wr_err *err);
    /* Optional: everything before `next` is processed (Kafka: commit to the group). */
    void (*processed)(wr_source *s, const int64_t *next);
    /* Its description in progress reports ("KafkaV2[Subscribe[t1]]"), and what
     * a checkpoint must have been written with ("subscribe=t1"); malloc'd. */
    char *(*describe)(const wr_source_def *def);
    char *(*identity)(const wr_source_def *def);
    /* Optional: what to add to the batch's source progress (lostOffsets), or NULL. */
    json_t *(*report)(wr_source *s);
    /* Why a split can end before the offset a checkpoint has reached. */
    const char *behind;
    /* Set when the source keeps its own log in env->dir (the file source's
     * sources/0/N, as Spark's): the driver writes no first offsets there, and
     * initial() gives where every run of the query began. */
    bool own_dir;
};

/* ---- sinks ---- */

/* Where the sinks of one run write: stdout for console sinks, the run's
 * catalog database for memory sinks. */
typedef struct wr_sink_env {
    FILE *out;
    pthread_mutex_t *out_lock;
    const char *db_path;
} wr_sink_env;

/* An open sink: each kind's own struct, which begins with this. */
typedef struct wr_sink {
    const wr_sink_def *def;
    const wr_query *query;
    const wr_sink_env *env;
    char query_id[64]; /* the query writing it (the checkpoint's id) */
} wr_sink;

/* What a durable sink holds from earlier runs, as it records it. */
typedef struct wr_sink_held {
    const char *where;   /* the file or folder holding the batches (NULL: nothing kept) */
    const char *output;  /* what to remove to start fresh (its file or folder) */
    const char *id_file; /* the file recording the query id */
    char query_id[64];   /* the query whose batches it holds ("": none recorded) */
    int64_t last_batch;  /* the newest batch it holds (-1: none) */
} wr_sink_held;

/* How SQL over sinks (trailing SELECTs, the shell) reads a sink. */
typedef enum {
    WR_SQL_NONE,  /* it keeps no rows to read (console) */
    WR_SQL_TABLE, /* a table of the catalog, or of its own SQLite file (`file`) */
    WR_SQL_LOAD,  /* its committed output, loaded into the catalog when the streams end */
} wr_sql_kind;

/* Exactly-once is the contract: the driver never writes a batch at or below
 * what last_committed reports; a batch is write, then commit (a
 * transactional sink commits there), or abort. */
struct wr_sink_ops {
    wr_sink *(*open)(const wr_sink_def *def, const wr_query *q, const wr_sink_env *env,
                     const char *query_id, wr_err *err);
    /* Optional (sinks that keep nothing across runs have none): what it holds. */
    bool (*last_committed)(wr_sink *s, wr_sink_held *held, wr_err *err);
    /* The batch's rows (of the query's output schema). In complete mode the
     * whole result; in update mode the changed rows; in append mode the new. */
    bool (*write)(wr_sink *s, int64_t batch, const wr_batch *rows, wr_err *err);
    bool (*commit)(wr_sink *s, int64_t batch, wr_err *err);
    void (*abort)(wr_sink *s, int64_t batch);
    void (*close)(wr_sink *s);
    char *(*describe)(const wr_sink_def *def); /* "MemorySink[m]", malloc'd */
    /* SQL over the sink: how, the SQLite file of a durable table, and (LOAD)
     * loading what it committed into env's catalog as a table named after it. */
    wr_sql_kind (*sql)(const wr_sink_def *def, const char **file);
    bool (*load)(const wr_sink_def *def, const wr_query *q, const wr_sink_env *env, wr_err *err);
    /* Whether it prints to the terminal (weir run keeps its status line off it). */
    bool prints;
};

/* ---- running one query ---- */

/* What another thread can wait for while a query runs (weir shell): its
 * sink open (a memory sink's table exists), and everything its source held
 * at some moment processed (Spark's processAllAvailable). */
typedef struct wr_stream_sync {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool opened;         /* the sink is open */
    bool ended;          /* wr_stream_sync_end: the query is over */
    int64_t asked, done; /* catch-up requests made; the last one met */
} wr_stream_sync;

void wr_stream_sync_init(wr_stream_sync *s);
void wr_stream_sync_destroy(wr_stream_sync *s);
/* Tells the waiters the query is over (its runner calls it after wr_stream_run). */
void wr_stream_sync_end(wr_stream_sync *s);
/* Waits until the sink is open or the query is over: false after timeout_ms
 * or when *cancel is set (checked every 100 ms). */
bool wr_stream_await_open(wr_stream_sync *s, int timeout_ms, volatile sig_atomic_t *cancel);
/* Waits until the query has processed every offset its source held when
 * this was called: 1 done, 0 after timeout_ms or when *cancel is set, -1
 * the query ended first. */
int wr_stream_await_caught_up(wr_stream_sync *s, int timeout_ms, volatile sig_atomic_t *cancel);

typedef struct wr_stream_opts {
    int workers;                 /* task threads (default: cores) */
    int state_partitions;        /* shuffle partitions (default: cores) */
    bool state_partitions_set;   /* set explicitly: a checkpoint with another count is an error */
    volatile sig_atomic_t *stop; /* set: stop after the batch (this query) */
    volatile sig_atomic_t *stop_all; /* set by SIGINT/SIGTERM: the same, for every query */
    int min_batches_to_retain;       /* batches the checkpoint can still recover (0: 100) */
    int snapshot_every;              /* a state snapshot every N batches (0: 10) */
    FILE *progress;                  /* when set: each batch's progress JSON, one line */
    /* when set: called after each batch with its progress JSON (one line) */
    void (*on_progress)(void *ctx, int64_t batch, const char *json);
    void *progress_ctx;
    wr_stream_sync *sync; /* when set: see wr_stream_sync */
} wr_stream_opts;

/* Runs the query until its trigger is done (once, availableNow) or *stop is
 * set. Returns false with err on failure. */
bool wr_stream_run(const wr_query *q, const wr_sink_env *env, const wr_stream_opts *opts,
                   wr_err *err);

/* ---- the query manager: a job's queries, each on its own thread ---- */

/* weir run and weir shell (and next, an HTTP server) run queries through
 * it: start, status, progress, wait, stop. Queries are numbered from 0 in
 * the order they started. */
typedef struct wr_manager wr_manager;

typedef enum {
    WR_QUERY_RUNNING,
    WR_QUERY_FINISHED, /* its trigger is done (once, availableNow) */
    WR_QUERY_STOPPED,
    WR_QUERY_FAILED
} wr_query_state;

/* "running", "finished", "stopped", "failed". */
const char *wr_query_state_name(wr_query_state s);

typedef struct wr_query_status {
    const wr_query *query;
    wr_query_state state;
    bool opened;               /* its sink is open */
    bool reported;             /* its failure was taken (wr_manager_take_failure) */
    int64_t batch;             /* the last batch done (-1: none yet) */
    double in_rate, proc_rate; /* rows per second, as its last progress says */
    char err[1024];            /* why it failed */
} wr_query_status;

typedef struct wr_manager_opts {
    const wr_sink_env *env;
    volatile sig_atomic_t *stop_all; /* set (by a signal): every query stops after its batch */
    bool failure_stops_all;          /* one failed query stops the others (weir run) */
    FILE *progress;                  /* each batch's progress JSON, one line */
    /* called after each batch of any query with its progress JSON */
    void (*on_progress)(void *ctx, const wr_query *q, int64_t batch, const char *json);
    void *progress_ctx;
} wr_manager_opts;

wr_manager *wr_manager_new(const wr_manager_opts *o);
/* Starts query q of job (both outlive the manager's use of them), with the
 * job's settings (workers, state partitions, retention, snapshots); false
 * with err when its thread cannot start (it shows as failed). */
bool wr_manager_start(wr_manager *m, const wr_job *job, const wr_query *q, wr_err *err);
int wr_manager_count(wr_manager *m);
/* The query named `name` (without case), or -1. */
int wr_manager_find(wr_manager *m, const char *name);
void wr_manager_status(wr_manager *m, int i, wr_query_status *out);
/* The last progress JSON of query i (malloc'd), or NULL before its first batch. */
char *wr_manager_progress(wr_manager *m, int i);
/* Marks a failure as told; true when query i failed and was not yet told. */
bool wr_manager_take_failure(wr_manager *m, int i, char *err, size_t errlen);
/* Waits until query i's sink is open or the query is over: false after
 * timeout_ms or when *cancel is set. */
bool wr_manager_await_open(wr_manager *m, int i, int timeout_ms, volatile sig_atomic_t *cancel);
/* Waits until query i has processed what its source holds now: 1 done, 0
 * timed out or cancelled, -1 the query ended first. */
int wr_manager_await_caught_up(wr_manager *m, int i, int timeout_ms, volatile sig_atomic_t *cancel);
/* Stops query i after its batch and waits for it. */
void wr_manager_stop(wr_manager *m, int i);
/* Waits for every query to end (their triggers, a stop, a failure). */
void wr_manager_join(wr_manager *m);
/* Stops every query, waits for them, frees the manager. */
void wr_manager_free(wr_manager *m);

#endif
