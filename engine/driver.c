/* The micro-batch driver (wr_stream_run in wr_engine.h), source- and
 * sink-agnostic: each batch takes the latest offsets of every split, limits
 * them (rate limit, availableNow target), logs them (offsets/N), runs one
 * task per split range on the worker pool, merges the partials into the
 * state partitions (the shuffle), emits the sink's rows, writes and
 * commits them to the sink, writes the state files, and logs commits/N.
 * Sources, sinks and operators are reached only through their interfaces. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint/wr_ckpt.h"
#include "engine/operator.h"
#include "engine/pool.h"
#include "engine/progress.h"
#include "engine/sync.h"
#include "engine/wr_engine.h"

typedef struct range {
    int split;
    int64_t start, end;
} range;

typedef struct runner {
    const wr_query *q;
    wr_source *src;
    const wr_source_ops *sops;
    int nsplits;
    wr_pool *pool;
    int workers, nparts;
    wr_task *tasks;              /* one per worker */
    wr_op **partials;            /* each task's stateful operator */
    const wr_op_class *stateful; /* its class, or NULL */
    wr_opstate *state;
    range *ranges;
    int nranges;
    /* state files, written or read by the workers: version, what, where */
    char **dirs;
    int64_t store_version;
    bool store_commit;
    int snapshot_every;
    atomic_bool snapshotted;
    /* event time of the batch: groups closed at `watermark` (µs) take no
     * rows, and are emitted (append) and evicted when `evict` */
    int64_t watermark;
    bool evict;
    int64_t max_event, min_event, dropped, removed; /* the batch's */
    wr_batch out;            /* the rows the sink receives, and their values: kept */
    wr_arena out_arena;      /* for the next batch, so their memory stays mapped */
    struct part_rows *parts; /* each state partition's rows, emitted in parallel */
    int64_t *evicted;        /* each state partition's groups evicted in the batch */
    int64_t last_out;        /* rows the batch before gave the sink */
    atomic_int next;
    atomic_bool failed;
    pthread_mutex_t err_lock;
    wr_err err;
} runner;

static void set_error(runner *r, const wr_err *e) {
    pthread_mutex_lock(&r->err_lock);
    if (!atomic_load(&r->failed)) r->err = *e;
    atomic_store(&r->failed, true);
    pthread_mutex_unlock(&r->err_lock);
}

/* Splits fetched ahead of the tasks: their data arrives while the tasks
 * work, without holding the whole batch in memory. */
#define LOOKAHEAD(r) (2 * (r)->workers)

static void read_worker(void *ctx, int worker) {
    runner *r = ctx;
    wr_task *t = &r->tasks[worker];
    for (;;) {
        int i = atomic_fetch_add(&r->next, 1);
        if (i >= r->nranges || atomic_load(&r->failed)) break;
        const range *rg = &r->ranges[i];
        wr_err err;
        int ahead = i + LOOKAHEAD(r);
        if (ahead < r->nranges && r->sops->prepare &&
            !r->sops->prepare(r->src, r->ranges[ahead].split, r->ranges[ahead].start, &err)) {
            set_error(r, &err);
            break;
        }
        if (!r->sops->read(r->src, rg->split, rg->start, rg->end, wr_task_rows, t, &err)) {
            if (t->ev.failed) { /* a row failed: the task says why, the source where */
                wr_err why;
                wr_fail(&why, WR_ERR_DATA, "%s (%s)", t->ev.err, err.msg);
                set_error(r, &why);
            } else {
                set_error(r, &err);
            }
            break;
        }
    }
    wr_task_finish(t);
}

static void merge_worker(void *ctx, int worker) {
    runner *r = ctx;
    for (int p = worker; p < r->nparts; p += r->workers)
        r->stateful->merge(r->state, p, r->partials, r->workers);
}

/* Restores (or commits) the state partitions of the worker's share. */
static void store_worker(void *ctx, int worker) {
    runner *r = ctx;
    for (int p = worker; p < r->nparts && !atomic_load(&r->failed); p += r->workers) {
        wr_err err;
        bool snap = false,
             ok = r->store_commit
                      ? r->stateful->commit(r->state, p, r->dirs[p], r->store_version,
                                            r->snapshot_every, &snap, &err)
                      : r->stateful->restore(r->state, p, r->dirs[p], r->store_version, &err);
        if (!ok) set_error(r, &err);
        if (snap) atomic_store(&r->snapshotted, true);
    }
}

/* Restores or commits every state partition at `version`, in parallel (their
 * reads, writes and fsyncs overlap); after a snapshot, retention. */
static bool store_all(runner *r, int64_t version, bool commit, const wr_stream_opts *o,
                      wr_err *err) {
    r->store_version = version;
    r->store_commit = commit;
    r->snapshot_every = o->snapshot_every;
    atomic_store(&r->snapshotted, false);
    wr_pool_run(r->pool, store_worker, r);
    if (atomic_load(&r->failed)) {
        *err = r->err;
        return false;
    }
    if (commit && atomic_load(&r->snapshotted))
        for (int p = 0; p < r->nparts; p++)
            wr_store_retain(r->dirs[p], version - o->min_batches_to_retain + 1);
    return true;
}

/* A state partition's rows for the sink, and their values (kept for the
 * next batch, as the sink's rows are). */
typedef struct part_rows {
    wr_batch rows;
    wr_arena arena;
    bool failed;
    char err[512];
} part_rows;

static void emit_worker(void *ctx, int worker) {
    runner *r = ctx;
    for (int p = worker; p < r->nparts; p += r->workers) {
        part_rows *pr = &r->parts[p];
        wr_arena_reset(&pr->arena);
        pr->rows.width = r->q->out.n;
        pr->rows.n = 0;
        wr_eval ev;
        wr_eval_init(&ev, &pr->arena);
        pr->failed =
            !r->stateful->emit(r->state, p, r->q->sink->mode, r->watermark, &pr->rows, &ev);
        if (pr->failed) snprintf(pr->err, sizeof pr->err, "%s", ev.err);
        wr_eval_destroy(&ev);
    }
}

static void evict_worker(void *ctx, int worker) {
    runner *r = ctx;
    for (int p = worker; p < r->nparts; p += r->workers)
        r->evicted[p] = r->stateful->evict(r->state, p, r->watermark);
}

/* Whether a batch's state work is worth the worker pool: many input rows or
 * many rows emitted the batch before (a batch of one row, say, is not). */
static bool wide(const runner *r, int64_t in) {
    return r->workers > 1 && r->nparts > 1 && (in >= 4096 || r->last_out >= 4096);
}

/* The rows the sink receives from a stateful operator, into out (values in
 * arena, or in the partitions' arenas): for a wide batch the partitions emit
 * in parallel, and their rows follow one another in partition order. False
 * when evaluating HAVING or the select list failed (the first partition's
 * error). */
static bool state_rows(runner *r, bool parallel, wr_batch *out, wr_arena *arena, wr_err *err) {
    if (!parallel) {
        wr_eval ev;
        wr_eval_init(&ev, arena);
        bool ok = true;
        for (int p = 0; p < r->nparts && ok; p++)
            ok = r->stateful->emit(r->state, p, r->q->sink->mode, r->watermark, out, &ev);
        if (!ok) wr_fail(err, WR_ERR_DATA, "%s (computing a group's result row)", ev.err);
        wr_eval_destroy(&ev);
        return ok;
    }
    if (!r->parts) r->parts = wr_xcalloc((size_t)r->nparts, sizeof *r->parts);
    wr_pool_run(r->pool, emit_worker, r);
    size_t total = 0, w = (size_t)out->width;
    for (int p = 0; p < r->nparts; p++) {
        if (r->parts[p].failed)
            return wr_fail(err, WR_ERR_DATA, "%s (computing a group's result row)",
                           r->parts[p].err);
        total += r->parts[p].rows.n;
    }
    wr_batch_reserve(out, total + 1);
    for (int p = 0; p < r->nparts; p++) {
        const wr_batch *b = &r->parts[p].rows;
        if (b->n) memcpy(out->rows + out->n * w, b->rows, sizeof *b->rows * b->n * w);
        out->n += b->n;
    }
    return true;
}

static void fault_point(const char *stage, int64_t batch);

/* Writes and commits the batch's rows to the sink, unless the sink holds
 * the batch already (a replay after a crash: sink_has). */
static bool to_sink(wr_sink *sink, int64_t batch, int64_t sink_has, const wr_batch *rows,
                    wr_err *err) {
    const wr_sink_ops *k = sink->def->kind->ops;
    if (batch <= sink_has) return true;
    if (k->write(sink, batch, rows, err) && k->commit(sink, batch, err)) return true;
    k->abort(sink, batch);
    return false;
}

/* Runs batch `batch` over [from, to) into the state and the sink; counts its
 * input and output rows. */
static bool run_batch(runner *r, wr_sink *sink, int64_t sink_has, int64_t batch,
                      const int64_t *from, const int64_t *to, int64_t *in_rows, int64_t *out_rows,
                      wr_err *err) {
    r->nranges = 0;
    for (int i = 0; i < r->nsplits; i++)
        if (to[i] > from[i]) r->ranges[r->nranges++] = (range){i, from[i], to[i]};
    for (int k = 0; k < r->nranges && k < LOOKAHEAD(r) && r->sops->prepare; k++)
        if (!r->sops->prepare(r->src, r->ranges[k].split, r->ranges[k].start, err)) return false;
    for (int w = 0; w < r->workers; w++)
        wr_task_start_batch(&r->tasks[w], r->evict ? r->watermark : INT64_MIN);
    atomic_store(&r->next, 0);
    wr_pool_run(r->pool, read_worker, r);
    bool ok = !atomic_load(&r->failed);
    int64_t in = 0;
    *out_rows = 0;
    r->max_event = INT64_MIN, r->min_event = INT64_MAX, r->dropped = r->removed = 0;
    for (int w = 0; w < r->workers; w++) {
        wr_task *t = &r->tasks[w];
        in += t->input_rows;
        r->dropped += t->dropped;
        if (t->max_event > r->max_event) r->max_event = t->max_event;
        if (t->min_event < r->min_event) r->min_event = t->min_event;
    }
    /* the sink's rows: memory of the batch before (no fresh pages each batch) */
    wr_arena *arena = &r->out_arena;
    wr_arena_reset(arena);
    wr_batch *rows = &r->out;
    rows->width = r->q->out.n;
    rows->n = 0;
    if (ok) {
        if (r->stateful) {
            wr_pool_run(r->pool, merge_worker, r);
            ok = state_rows(r, wide(r, in), rows, arena, err);
        } else { /* the tasks' rows, one after the other */
            size_t total = 0, w = (size_t)r->q->out.n;
            for (int k = 0; k < r->workers; k++)
                total += r->tasks[k].out.n;
            wr_batch_reserve(rows, total + 1);
            for (int k = 0; k < r->workers; k++) {
                const wr_batch *o = &r->tasks[k].out;
                if (o->n) memcpy(rows->rows + rows->n * w, o->rows, sizeof *o->rows * o->n * w);
                rows->n += o->n;
            }
        }
        ok = ok && to_sink(sink, batch, sink_has, rows, err);
        *out_rows = (int64_t)rows->n;
        if (ok && r->evict) { /* after the sink: the rows point into the state */
            if (!r->evicted) r->evicted = wr_xcalloc((size_t)r->nparts, sizeof *r->evicted);
            if (wide(r, in))
                wr_pool_run(r->pool, evict_worker, r); /* partitions in parallel */
            else
                for (int w = 0; w < r->workers; w++)
                    evict_worker(r, w);
            for (int p = 0; p < r->nparts; p++)
                r->removed += r->evicted[p];
        }
        r->last_out = (int64_t)rows->n;
    } else {
        *err = r->err;
    }
    for (int w = 0; w < r->workers; w++)
        wr_task_clear(&r->tasks[w]);
    *in_rows = in;
    return ok;
}

static bool stopped(const wr_stream_opts *o) {
    return (o->stop && *o->stop) || (o->stop_all && *o->stop_all);
}

/* How long the default trigger waits before it asks the source again when
 * a batch found nothing new (Spark's spark.sql.streaming.pollingDelay). */
#define POLL_MS 10

static void nap(int ms, const wr_stream_opts *o) {
    while (ms > 0 && !stopped(o)) {
        int step = ms < 50 ? ms : 50;
        struct timespec ts = {0, step * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

/* What a checkpoint must have been written by: source, output, state. */
static char *query_signature(const wr_query *q) {
    wr_buf b = {0};
    char *id = q->source->kind->ops->identity(q->source);
    wr_buf_printf(&b, "source %s%s%s", q->source->name, *id ? " " : "", id);
    free(id);
    wr_buf_puts(&b, "; columns");
    for (int i = 0; i < q->out.n; i++)
        wr_buf_printf(&b, "%s %s %s", i ? "," : "", q->out.cols[i].name,
                      wr_type_name(q->out.cols[i].type));
    if (q->agg) {
        wr_buf_printf(&b, "; group by %d key%s (", q->agg->nkeys, q->agg->nkeys == 1 ? "" : "s");
        for (int k = 0; k < q->agg->nkeys; k++)
            wr_buf_printf(&b, "%s%s", k ? ", " : "", wr_type_name(q->agg->key_types[k]));
        wr_buf_puts(&b, "), aggregates");
        /* avg of integers sums in DOUBLE now: a checkpoint whose state holds
         * a BIGINT sum (written before) is refused, not misread */
        for (int a = 0; a < q->agg->naggs; a++)
            wr_buf_printf(&b, " %s", wr_agg_signature(&q->agg->aggs[a]));
        const wr_window *w = &q->agg->win;
        if (w->kind == WR_WIN_SESSION)
            wr_buf_printf(&b, "; session window gap %lldus", (long long)w->gap);
        else if (w->kind)
            wr_buf_printf(&b, "; window %lldus slide %lldus", (long long)w->size,
                          (long long)w->slide);
        if (q->agg->wm_expr)
            wr_buf_printf(&b, "; watermark delay %lldus", (long long)q->agg->wm_delay);
    }
    return b.p;
}

/* The watermark (ms) after a batch: the latest event time seen (µs;
 * INT64_MIN: none) less the delay (µs), never below the current one. */
static int64_t next_watermark(int64_t wm_ms, int64_t max_event, int64_t delay) {
    if (max_event == INT64_MIN) return wm_ms;
    int64_t max_ms = max_event >= 0 ? max_event / 1000 : -((-max_event + 999) / 1000);
    return max_ms - delay / 1000 > wm_ms ? max_ms - delay / 1000 : wm_ms;
}

/* After the sink has batch N: its state files, then commits/N with the
 * watermark of the next batch; then the source hears what is processed
 * (Kafka: the consumer group's offsets, lag for Kafka tools) and retention
 * runs. */
static bool commit_batch(runner *r, wr_ckpt *ck, const wr_stream_opts *o, int64_t batch,
                         int64_t next_wm, const int64_t *to, wr_progress *pg, wr_err *err) {
    fault_point("sink", batch);
    int64_t t = wr_now_ms();
    bool ok = !r->stateful || store_all(r, batch, true, o, err);
    pg->state_commit_ms = wr_now_ms() - t;
    if (ok) fault_point("state", batch);
    if (ok) ok = wr_ckpt_write_commit(ck, batch, next_wm, err);
    if (ok) {
        fault_point("commit", batch);
        if (r->sops->processed) r->sops->processed(r->src, to);
        wr_ckpt_cleanup(ck, batch - o->min_batches_to_retain + 1);
    }
    pg->commit_ms = wr_now_ms() - t;
    return ok;
}

/* Fault injection for the tests of recovery: WEIR_FAULT=STAGE:N ends the
 * process (exit 70, no cleanup, like a crash) at STAGE of batch N: after
 * `offsets` (the log entry), `sink` (the sink has the batch), `state` (state
 * files written), `commit` (commits/N written). */
static void fault_point(const char *stage, int64_t batch) {
    const char *f = getenv("WEIR_FAULT");
    size_t n = strlen(stage);
    if (!f || strncmp(f, stage, n) || f[n] != ':' || atoll(f + n + 1) != batch) return;
    fprintf(stderr, "weir: WEIR_FAULT: stopping at %s of batch %lld\n", stage, (long long)batch);
    _exit(70);
}

/* What a durable sink holds must agree with the checkpoint: the batches of
 * this query, up to the last commit or one batch beyond it (the sink took
 * batch N, the process died before commits/N: the replay skips it), never
 * past the last planned batch. Anything else would lose or double rows
 * silently: refused, naming the file and the way out. */
static bool check_sink(const wr_query *q, const wr_sink_held *h, wr_ckpt *ck, wr_err *err) {
    if (!h->where) return true;
    const char *name = q->sink->name, *out = h->output;
    if (!ck) {
        if (h->last_batch < 0 && !h->query_id[0]) return true;
        return wr_fail(err, WR_ERR_CORRUPT,
                       "sink %s: %s holds batches of an earlier run, and this query has no "
                       "checkpoint to continue from (it would start again at batch 0): give sink "
                       "%s a checkpointLocation (or weir run --checkpoint DIR), or remove %s to "
                       "start fresh",
                       name, out, name, out);
    }
    const char *dir = wr_ckpt_dir(ck);
    bool committed;
    int64_t planned = wr_ckpt_last_batch(ck, &committed), done = wr_ckpt_last_commit(ck);
    if (h->query_id[0] && strcmp(h->query_id, wr_ckpt_id(ck)) && wr_ckpt_created(ck))
        return wr_fail(err, WR_ERR_CORRUPT, /* the new checkpoint is removed: name no new id */
                       "sink %s: %s holds the batches of another query (%s names query %s; "
                       "checkpoint %s did not exist): restore that query's checkpoint, give the "
                       "sink its own path, or, to start fresh, remove %s",
                       name, out, h->id_file, h->query_id, dir, out);
    if (h->query_id[0] && strcmp(h->query_id, wr_ckpt_id(ck)))
        return wr_fail(err, WR_ERR_CORRUPT,
                       "sink %s: %s holds the batches of another query (%s names query %s; "
                       "checkpoint %s is query %s): give the sink its own path, or, to start "
                       "fresh, remove both %s and %s",
                       name, out, h->id_file, h->query_id, dir, wr_ckpt_id(ck), out, dir);
    if (h->last_batch > planned) {
        char have[64];
        if (planned < 0)
            snprintf(have, sizeof have, "has no batch yet");
        else
            snprintf(have, sizeof have, "has no batch after %lld", (long long)planned);
        return wr_fail(err, WR_ERR_CORRUPT,
                       "sink %s: %s holds batch %lld but checkpoint %s %s (was the checkpoint "
                       "removed while the sink's output was kept?): restore the checkpoint, or, "
                       "to start fresh, remove %s as well",
                       name, h->where, (long long)h->last_batch, dir, have, out);
    }
    if (h->last_batch < done) {
        char have[64];
        if (h->last_batch < 0)
            snprintf(have, sizeof have, "holds no batch");
        else
            snprintf(have, sizeof have, "holds batches only up to %lld", (long long)h->last_batch);
        return wr_fail(err, WR_ERR_CORRUPT,
                       "sink %s: %s %s but checkpoint %s committed batch %lld (%s/commits/%lld): "
                       "the sink's output was removed or damaged; restore it, or, to start "
                       "fresh, remove both %s and %s",
                       name, h->where, have, dir, (long long)done, dir, (long long)done, dir, out);
    }
    return true;
}

/* Reports a batch: progress/<N> in the checkpoint, a line on opts->progress,
 * the on_progress callback. */
static void report(runner *r, wr_ckpt *ck, const wr_stream_opts *o, wr_progress *pg) {
    pg->source_extra = r->sops->report ? r->sops->report(r->src) : NULL;
    if (r->stateful) pg->state_partitions = r->nparts;
    json_t *j = wr_progress_json(r->q, pg);
    json_decref(pg->source_extra);
    pg->source_extra = NULL;
    char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    json_decref(j);
    wr_err err;
    if (ck && !wr_ckpt_write_progress(ck, pg->batch_id, text, &err))
        fprintf(stderr, "weir: warning: %s\n", err.msg);
    if (o->on_progress) o->on_progress(o->progress_ctx, pg->batch_id, text);
    if (o->progress) {
        flockfile(o->progress);
        fprintf(o->progress, "%s\n", text);
        fflush(o->progress);
        funlockfile(o->progress);
    }
    free(text);
}

/* Everything a run holds, released in one place. */
typedef struct run {
    runner r;
    wr_ckpt *ck;
    wr_sink *sink;
    int64_t *from, *latest, *to, *target, *wait_to;
} run;

static void run_free(run *u) {
    runner *r = &u->r;
    wr_pool_stop(r->pool);
    for (int w = 0; r->tasks && w < r->workers; w++)
        wr_task_free(&r->tasks[w]);
    free(r->tasks);
    free(r->partials);
    if (r->stateful) r->stateful->state_close(r->state);
    for (int p = 0; r->dirs && p < r->nparts; p++)
        free(r->dirs[p]);
    free(r->dirs);
    free(r->ranges);
    wr_batch_free(&r->out);
    wr_arena_free(&r->out_arena);
    for (int p = 0; r->parts && p < r->nparts; p++) {
        wr_batch_free(&r->parts[p].rows);
        wr_arena_free(&r->parts[p].arena);
    }
    free(r->parts);
    free(r->evicted);
    free(u->from), free(u->latest), free(u->to), free(u->target), free(u->wait_to);
    pthread_mutex_destroy(&r->err_lock);
    wr_ckpt_close(u->ck);
    if (u->sink) u->sink->def->kind->ops->close(u->sink);
    if (r->src) r->sops->close(r->src);
}

bool wr_stream_run(const wr_query *q, const wr_sink_env *env, const wr_stream_opts *opts_in,
                   wr_err *err) {
    wr_stream_opts opts = *opts_in;
    if (opts.min_batches_to_retain <= 0) opts.min_batches_to_retain = 100;
    if (opts.snapshot_every <= 0) opts.snapshot_every = 10;
    run u = {0};
    runner *r = &u.r;
    r->q = q;
    r->sops = q->source->kind->ops;
    r->workers = opts.workers > 0 ? opts.workers : 1;
    r->nparts = opts.state_partitions > 0 ? opts.state_partitions : 1;
    pthread_mutex_init(&r->err_lock, NULL);
    const wr_sink_ops *kops = q->sink->kind->ops;
    int64_t last = -1, wm_ms = 0, last_wm_ms = 0; /* the watermark (ms) the next batch runs with */
    bool committed = false, ok = true;
    json_t *ends = NULL;
    if (q->sink->checkpoint) {
        char *sig = query_signature(q);
        u.ck = wr_ckpt_open(q->sink->checkpoint, sig, err);
        free(sig);
        ok = u.ck != NULL;
        if (ok) last = wr_ckpt_last_batch(u.ck, &committed);
        if (ok && last >= 0) {
            int ck_parts = 0;
            ends = wr_ckpt_read_offsets(u.ck, last, &ck_parts, &last_wm_ms, err);
            ok = ends != NULL;
            if (ok && opts.state_partitions_set && ck_parts != r->nparts)
                ok = wr_fail(err, WR_ERR_USAGE,
                             "checkpoint %s has %d state partitions but weir.shuffle.partitions "
                             "is %d now; it cannot change for the life of a checkpoint: remove %s "
                             "to start fresh",
                             q->sink->checkpoint, ck_parts, r->nparts, q->sink->checkpoint);
            r->nparts = ck_parts;
        }
    }
    char run_id[37], query_id[37];
    wr_uuid4(run_id);
    if (u.ck)
        snprintf(query_id, sizeof query_id, "%s", wr_ckpt_id(u.ck));
    else
        wr_uuid4(query_id);
    if (ok) {
        char *group = u.ck ? wr_xasprintf("weir-%s", query_id) : NULL,
             *sdir = u.ck ? wr_xasprintf("%s/sources/0", wr_ckpt_dir(u.ck)) : NULL;
        wr_source_env senv = {group, q->scan_needed, sdir};
        r->src = r->sops->open(q->source, &senv, err);
        free(group);
        free(sdir);
        ok = r->src != NULL;
    }
    if (ok) ok = (u.sink = kops->open(q->sink, q, env, query_id, err)) != NULL;
    wr_sink_held held = {.last_batch = -1};
    if (ok && kops->last_committed) ok = kops->last_committed(u.sink, &held, err);
    ok = ok && check_sink(q, &held, u.ck, err);
    int64_t next = committed ? last + 1 : last; /* the batch this run starts at */
    const char *sql_file;
    if (ok && next > 0 && !held.where && kops->sql(q->sink, &sql_file) == WR_SQL_TABLE)
        fprintf(stderr,
                "weir: warning: query %s resumes checkpoint %s at batch %lld, but %s sink %s "
                "keeps nothing across runs: its table holds only what this run writes; give the "
                "sink a path to keep its rows across runs\n",
                q->name, q->sink->checkpoint, (long long)next, q->sink->kind->name, q->sink->name);
    if (ok) wr_sync_set(opts.sync, true, false, 0);
    if (ok) ok = (r->pool = wr_pool_start(r->workers, err)) != NULL;
    if (!ok) {
        json_decref(ends);
        wr_ckpt_discard_unused(u.ck); /* a failed start leaves no new checkpoint */
        run_free(&u);
        return false;
    }
    int ns = r->nsplits = r->sops->splits(r->src);
    r->tasks = wr_xcalloc((size_t)r->workers, sizeof *r->tasks);
    r->partials = wr_xcalloc((size_t)r->workers, sizeof *r->partials);
    for (int w = 0; w < r->workers; w++) {
        wr_task_init(&r->tasks[w], q, r->nparts);
        r->partials[w] = wr_task_stateful(&r->tasks[w]);
    }
    if (r->partials[0]) {
        r->stateful = r->partials[0]->cls;
        r->state = r->stateful->state_open(q, r->nparts);
        if (u.ck) {
            r->dirs = wr_xcalloc((size_t)r->nparts, sizeof *r->dirs);
            for (int p = 0; p < r->nparts; p++)
                r->dirs[p] = wr_ckpt_state_dir(u.ck, p);
        }
    }
    r->ranges = wr_xcalloc((size_t)ns + 1, sizeof *r->ranges);
    int64_t *from = u.from = wr_xcalloc((size_t)ns + 1, sizeof *from),
            *latest = u.latest = wr_xcalloc((size_t)ns + 1, sizeof *latest),
            *to = u.to = wr_xcalloc((size_t)ns + 1, sizeof *to);
    /* wr_stream_await_caught_up: the latest offsets seen after the newest
     * request (wait_ask), and the newest request met */
    int64_t *wait_to = u.wait_to = wr_xcalloc((size_t)ns + 1, sizeof *wait_to), wait_ask = 0,
            wait_met = 0;
    const wr_aggregate *agg = q->agg;
    bool event_time = agg && agg->wm_expr,
         closes = event_time && agg->event_key >= 0 && q->sink->mode != WR_MODE_COMPLETE;
    wr_trigger trig = q->sink->trigger;
    int64_t batch = 0;
    bool replay = false; /* batch `batch` was planned but not committed: run it again as logged */
    bool own = r->sops->own_dir; /* sources/0 is the source's own, not its first offsets */
    if (last < 0 && u.ck && !own && wr_ckpt_has_sources(u.ck)) {
        /* started before, stopped before its first batch: where it started
         * (Kafka's "latest" is not looked up again, the rate source's clock
         * goes on), as Spark keeps its sources' initial offsets */
        json_t *first = wr_ckpt_read_sources(u.ck, err);
        ok = first && r->sops->offsets_from_json(r->src, first, from, err);
        json_decref(first);
    } else if (last < 0) {
        ok = r->sops->initial(r->src, from, err);
        if (ok && u.ck && !own) {
            json_t *j = r->sops->offsets_json(r->src, from);
            ok = wr_ckpt_write_sources(u.ck, j, err);
            json_decref(j);
        }
    } else if (committed) {
        ok = r->sops->offsets_from_json(r->src, ends, from, err) &&
             wr_ckpt_read_commit(u.ck, last, &wm_ms, err) &&
             (!r->stateful || store_all(r, last, false, &opts, err));
        batch = last + 1;
    } else {
        wm_ms = last_wm_ms;
        json_t *start = last == 0 ? (own ? NULL : wr_ckpt_read_sources(u.ck, err))
                                  : wr_ckpt_read_offsets(u.ck, last - 1, NULL, NULL, err);
        ok = (last == 0 && own ? r->sops->initial(r->src, from, err)
                               : start && r->sops->offsets_from_json(r->src, start, from, err)) &&
             r->sops->offsets_from_json(r->src, ends, to, err) &&
             (!r->stateful || last == 0 || store_all(r, last - 1, false, &opts, err));
        json_decref(start);
        batch = last;
        replay = true;
    }
    json_decref(ends);
    if (ok && trig.kind == WR_TRIGGER_AVAILABLE_NOW) {
        u.target = wr_xcalloc((size_t)ns + 1, sizeof *u.target);
        ok = r->sops->latest(r->src, u.target, err);
    }
    int64_t *target = u.target;
    int64_t prev_trigger = -1;
    /* the watermark moved past groups' ends: run a batch without new data to
     * close them, as Spark does */
    bool close_pending = closes && committed && wm_ms > last_wm_ms;
    r->evict = closes;
    while (ok && !stopped(&opts)) {
        r->watermark = wm_ms * 1000;
        int64_t t0 = wr_now_ms(), wall0 = wr_wall_ms();
        wr_progress pg = {
            .id = query_id, .run_id = run_id, .batch_id = batch, .wall_start_ms = wr_wall_ms()};
        bool any = false;
        json_t *latest_j = NULL;
        if (replay) {
            replay = false;
            any = true;
        } else {
            /* before the offsets: they are at least those of the moment asked */
            int64_t asked = wr_sync_asked(opts.sync);
            if (!(ok = r->sops->latest(r->src, latest, err))) break;
            pg.latest_offset_ms = wr_now_ms() - t0;
            for (int i = 0; i < ns && ok; i++)
                if (latest[i] < from[i])
                    ok = wr_fail(err, WR_ERR_CORRUPT,
                                 "%s ends at offset %lld, before offset %lld where this query is: "
                                 "%s (remove the checkpoint to start fresh)",
                                 r->sops->split_name(r->src, i), (long long)latest[i],
                                 (long long)from[i], r->sops->behind);
            if (!ok) break;
            if (target)
                for (int i = 0; i < ns; i++)
                    latest[i] = latest[i] < target[i] ? latest[i] : target[i];
            if (asked > wait_ask) {
                memcpy(wait_to, latest, sizeof *latest * (size_t)ns);
                wait_ask = asked;
            }
            r->sops->limit(r->src, from, latest, trig.kind == WR_TRIGGER_ONCE, to);
            for (int i = 0; i < ns; i++)
                any |= to[i] > from[i];
            any |= close_pending;
            if (any) latest_j = r->sops->offsets_json(r->src, latest);
            if (any && u.ck) { /* the write-ahead log: the batch's ranges before it runs */
                int64_t t = wr_now_ms();
                json_t *j = r->sops->offsets_json(r->src, to);
                ok = wr_ckpt_write_offsets(u.ck, batch, r->nparts, wm_ms, j, err);
                json_decref(j);
                pg.wal_commit_ms = wr_now_ms() - t;
                if (!ok) break;
                fault_point("offsets", batch);
            }
        }
        if (any) {
            int64_t t = wr_now_ms();
            ok = run_batch(r, u.sink, held.last_batch, batch, from, to, &pg.input_rows,
                           &pg.output_rows, err);
            pg.add_batch_ms = wr_now_ms() - t;
            int64_t next_wm =
                event_time ? next_watermark(wm_ms, r->max_event, agg->wm_delay) : wm_ms;
            pg.event_time = event_time;
            pg.watermark_ms = wm_ms;
            pg.max_event = r->max_event, pg.min_event = r->min_event;
            pg.dropped = r->dropped, pg.state_removed = r->removed;
            if (ok && u.ck) ok = commit_batch(r, u.ck, &opts, batch, next_wm, to, &pg, err);
            for (int p = 0; r->stateful && p < r->nparts; p++) {
                wr_state_stats st;
                r->stateful->stats(r->state, p, &st);
                pg.state_rows += st.rows;
                pg.state_memory += st.memory;
                pg.state_updated += st.updated;
            }
            if (ok) {
                pg.start = r->sops->offsets_json(r->src, from);
                pg.end = r->sops->offsets_json(r->src, to);
                pg.latest = latest_j;
                pg.total_ms = wr_now_ms() - t0;
                pg.since_last_ms = prev_trigger < 0 ? -1 : t0 - prev_trigger;
                report(r, u.ck, &opts, &pg);
                json_decref(pg.start);
                json_decref(pg.end);
            }
            prev_trigger = t0;
            close_pending = closes && next_wm > wm_ms;
            wm_ms = next_wm;
        }
        json_decref(latest_j);
        if (!ok) break;
        if (any) {
            memcpy(from, to, sizeof *from * (size_t)ns);
            batch++;
        }
        if (wait_ask > wait_met) {
            bool reached = true;
            for (int i = 0; i < ns; i++)
                reached &= from[i] >= wait_to[i];
            if (reached) wr_sync_set(opts.sync, false, false, wait_met = wait_ask);
        }
        if (trig.kind == WR_TRIGGER_ONCE) break;
        if (target) {
            bool done = true;
            for (int i = 0; i < ns; i++)
                done &= from[i] >= target[i];
            if (done && !close_pending) break;
            continue;
        }
        if (trig.kind == WR_TRIGGER_INTERVAL && trig.interval_ms > 0) {
            /* as Spark's ProcessingTimeExecutor: the next batch starts at the
             * next multiple of the interval (batches do not drift by their
             * own duration); one that ran over starts at once */
            int64_t due = wall0 - wall0 % trig.interval_ms + trig.interval_ms;
            nap((int)(due - wr_wall_ms()), &opts);
        } else if (!any) {
            nap(POLL_MS, &opts); /* nothing new: poll again shortly */
        }
    }
    if (!ok) wr_ckpt_discard_unused(u.ck); /* failed before its first offsets */
    run_free(&u);
    return ok;
}
