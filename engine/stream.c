/* The micro-batch loop (wr_stream.h). Each batch: latest offsets -> end
 * offsets (rate limit, availableNow target) -> tasks on the worker pool ->
 * shuffle of partial aggregates into the state partitions -> sink. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint/wr_ckpt.h"
#include "engine/event_time.h"
#include "engine/progress.h"
#include "engine/task.h"
#include "engine/wr_stream.h"
#include "sources/wr_source.h"
#include "state/wr_state.h"

typedef struct range {
    int part;
    int64_t start, end;
} range;

typedef struct worker_arg worker_arg;

typedef struct runner {
    const wr_query *q;
    wr_ksrc *src;
    int workers, nparts;
    wr_task *tasks;         /* one per worker */
    wr_table *state;        /* one per state partition */
    wr_state_layout layout; /* of the aggregation's state */
    range *ranges;
    int nranges;
    /* state store work spread over the workers: restore or commit a version */
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
    atomic_int next;
    atomic_bool failed;
    pthread_mutex_t err_lock;
    char err[512];
    /* the pool: workers 1.. on threads of their own for the life of the
     * query, worker 0 on the query's thread; each phase runs `fn` on all */
    pthread_t *threads;
    worker_arg *args;
    int nthreads; /* started */
    pthread_mutex_t pool_lock;
    pthread_cond_t go, done;
    void *(*fn)(void *);
    int64_t phase;
    int pending;
    bool quit;
} runner;

struct worker_arg {
    runner *r;
    int id;
};

static void set_error(runner *r, const char *msg) {
    pthread_mutex_lock(&r->err_lock);
    if (!atomic_load(&r->failed)) snprintf(r->err, sizeof r->err, "%s", msg);
    atomic_store(&r->failed, true);
    pthread_mutex_unlock(&r->err_lock);
}

#define LOOKAHEAD(r) (2 * (r)->workers)

static void *read_worker(void *arg) {
    worker_arg *wa = arg;
    runner *r = wa->r;
    wr_task *t = &r->tasks[wa->id];
    for (;;) {
        int i = atomic_fetch_add(&r->next, 1);
        if (i >= r->nranges || atomic_load(&r->failed)) break;
        const range *rg = &r->ranges[i];
        const wr_tp *tp = wr_ksrc_tp(r->src, rg->part);
        wr_task_begin(t, tp->topic, tp->partition);
        char err[512];
        int ahead = i + LOOKAHEAD(r);
        if (ahead < r->nranges && !wr_ksrc_prepare(r->src, r->ranges[ahead].part,
                                                   r->ranges[ahead].start, err, sizeof err)) {
            set_error(r, err);
            break;
        }
        if (!wr_ksrc_read(r->src, rg->part, rg->start, rg->end, wr_task_chunk, t, err,
                          sizeof err)) {
            set_error(r, t->ev.failed ? t->ev.err : err);
            break;
        }
    }
    wr_task_finish(t);
    return NULL;
}

static void *merge_worker(void *arg) {
    worker_arg *wa = arg;
    runner *r = wa->r;
    const wr_aggregate *agg = r->q->agg;
    for (int p = wa->id; p < r->nparts; p += r->workers) {
        wr_table *st = &r->state[p];
        if (agg->win.kind == WR_WIN_SESSION) {
            wr_et_merge_sessions(agg, st, r->tasks, r->workers, p);
            continue;
        }
        for (int w = 0; w < r->workers; w++) {
            wr_task *t = &r->tasks[w];
            for (uint32_t k = 0; k < t->nbucket[p]; k++) {
                wr_entry *pe = wr_table_at(&t->partial, t->buckets[p][k]);
                wr_entry *se = wr_table_upsert(st, wr_entry_keys(pe), pe->hash);
                wr_aggs_merge(agg, wr_entry_states(st, se), wr_entry_states(&t->partial, pe),
                              (wr_agg_copy){true, NULL});
                se->updated = 1;
            }
        }
    }
    return NULL;
}

/* A pool thread: runs each phase's fn with its worker id. */
static void *pool_main(void *arg) {
    worker_arg *wa = arg;
    runner *r = wa->r;
    int64_t seen = 0;
    pthread_mutex_lock(&r->pool_lock);
    for (;;) {
        while (r->phase == seen && !r->quit)
            pthread_cond_wait(&r->go, &r->pool_lock);
        if (r->quit) break;
        seen = r->phase;
        void *(*fn)(void *) = r->fn;
        pthread_mutex_unlock(&r->pool_lock);
        fn(wa);
        pthread_mutex_lock(&r->pool_lock);
        if (--r->pending == 0) pthread_cond_signal(&r->done);
    }
    pthread_mutex_unlock(&r->pool_lock);
    return NULL;
}

/* Starts the pool's threads, one per worker but the first; every merge and
 * state commit counts on each worker's share being done, so a thread that
 * cannot start fails the query. */
static bool pool_start(runner *r, char *err, size_t errlen) {
    pthread_mutex_init(&r->pool_lock, NULL);
    pthread_cond_init(&r->go, NULL);
    pthread_cond_init(&r->done, NULL);
    r->threads = wr_xcalloc((size_t)r->workers, sizeof *r->threads);
    r->args = wr_xcalloc((size_t)r->workers, sizeof *r->args);
    for (int i = 0; i < r->workers; i++)
        r->args[i] = (worker_arg){r, i};
    for (int i = 1; i < r->workers; i++) {
        int e = pthread_create(&r->threads[i], NULL, pool_main, &r->args[i]);
        if (e) {
            wr_errf(err, errlen,
                    "cannot start worker thread %d of %d: %s (the system's limit on threads? lower "
                    "SET weir.workers)",
                    i + 1, r->workers, strerror(e));
            return false;
        }
        r->nthreads++;
    }
    return true;
}

static void pool_stop(runner *r) {
    if (!r->threads) return;
    pthread_mutex_lock(&r->pool_lock);
    r->quit = true;
    pthread_cond_broadcast(&r->go);
    pthread_mutex_unlock(&r->pool_lock);
    for (int i = 1; i <= r->nthreads; i++)
        pthread_join(r->threads[i], NULL);
    free(r->threads);
    free(r->args);
    pthread_mutex_destroy(&r->pool_lock);
    pthread_cond_destroy(&r->go);
    pthread_cond_destroy(&r->done);
}

/* Runs fn for every worker id and returns when all are done. */
static void run_parallel(runner *r, void *(*fn)(void *)) {
    pthread_mutex_lock(&r->pool_lock);
    r->fn = fn;
    r->phase++;
    r->pending = r->nthreads;
    pthread_cond_broadcast(&r->go);
    pthread_mutex_unlock(&r->pool_lock);
    fn(&r->args[0]);
    pthread_mutex_lock(&r->pool_lock);
    while (r->pending > 0)
        pthread_cond_wait(&r->done, &r->pool_lock);
    pthread_mutex_unlock(&r->pool_lock);
}

/* Builds the sink rows of an aggregating query (complete: all groups; update:
 * the groups this batch changed; append: the groups the watermark closed)
 * into `arena`; NULL when evaluating HAVING or the select list failed. */
static wr_val *agg_rows(runner *r, wr_arena *arena, size_t *nrows, char *err, size_t errlen) {
    const wr_query *q = r->q;
    const wr_aggregate *agg = q->agg;
    wr_output_mode mode = q->sink->mode;
    size_t total = 0;
    for (int p = 0; p < r->nparts; p++)
        total += r->state[p].n;
    size_t w = (size_t)q->out.n;
    wr_val *rows = wr_arena_alloc(arena, sizeof *rows * (total * w + 1));
    wr_val *arow = wr_arena_alloc(arena, sizeof *arow * (size_t)(agg->nkeys + agg->naggs + 1));
    wr_eval ev;
    wr_eval_init(&ev, arena);
    size_t n = 0;
    for (int p = 0; p < r->nparts; p++) {
        wr_table *st = &r->state[p];
        for (uint32_t i = 0; i < st->n; i++) {
            wr_entry *e = wr_table_at(st, i);
            if (mode == WR_MODE_UPDATE && !e->updated) continue;
            if (mode == WR_MODE_APPEND && !wr_et_closed(agg, e, r->watermark)) continue;
            memcpy(arow, wr_entry_keys(e), sizeof *arow * (size_t)agg->nkeys);
            wr_aggst *s = wr_entry_states(st, e);
            for (int a = 0; a < agg->naggs; a++)
                arow[agg->nkeys + a] = wr_agg_final(&agg->aggs[a], &s[a]);
            if (agg->having && !wr_expr_is_true(agg->having, arow, &ev)) continue;
            for (size_t c = 0; c < w; c++)
                rows[n * w + c] = wr_expr_eval(agg->outs[c], arow, &ev);
            n++;
        }
    }
    bool failed = ev.failed;
    if (failed) wr_errf(err, errlen, "%s (computing a group's result row)", ev.err);
    wr_eval_destroy(&ev);
    *nrows = n;
    return failed ? NULL : rows;
}

/* Runs batch `batch_id` over [from, to) into the state and the sink; counts
 * its input and output rows. */
static bool run_batch(runner *r, wr_sink *sink, int64_t batch_id, const int64_t *from,
                      const int64_t *to, int64_t *in_rows, int64_t *out_rows, char *err,
                      size_t errlen) {
    int np = wr_ksrc_count(r->src);
    r->nranges = 0;
    for (int i = 0; i < np; i++)
        if (to[i] > from[i]) r->ranges[r->nranges++] = (range){i, from[i], to[i]};
    /* Fetch a few ranges ahead of the tasks: their data arrives while the
     * tasks work, without holding the whole batch in memory. */
    for (int k = 0; k < r->nranges && k < LOOKAHEAD(r); k++)
        if (!wr_ksrc_prepare(r->src, r->ranges[k].part, r->ranges[k].start, err, errlen))
            return false;
    for (int w = 0; w < r->workers; w++)
        wr_task_start_batch(&r->tasks[w], r->evict ? r->watermark : INT64_MIN);
    atomic_store(&r->next, 0);
    run_parallel(r, read_worker);
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
    wr_arena arena = {0};
    if (ok) {
        size_t nrows = 0;
        wr_val *rows;
        if (r->q->agg) {
            run_parallel(r, merge_worker);
            rows = agg_rows(r, &arena, &nrows, err, errlen);
        } else {
            size_t w = (size_t)r->q->out.n, total = 0;
            for (int k = 0; k < r->workers; k++)
                total += r->tasks[k].nrows;
            rows = wr_arena_alloc(&arena, sizeof *rows * (total * w + 1));
            for (int k = 0; k < r->workers; k++) {
                if (!r->tasks[k].nrows) continue;
                memcpy(rows + nrows * w, r->tasks[k].rows, sizeof *rows * r->tasks[k].nrows * w);
                nrows += r->tasks[k].nrows;
            }
        }
        ok = rows && sink->ops->add_batch(sink, batch_id, rows, nrows, err, errlen);
        *out_rows = (int64_t)nrows;
        if (ok && r->evict) /* after the sink: the rows point into the state */
            for (int p = 0; p < r->nparts; p++)
                r->removed += wr_et_evict(r->q->agg, &r->state[p], r->watermark);
    } else {
        snprintf(err, errlen, "%s", r->err);
    }
    for (int w = 0; w < r->workers; w++)
        wr_task_clear(&r->tasks[w]);
    wr_arena_free(&arena);
    *in_rows = in;
    return ok;
}

static void nap(int ms, volatile sig_atomic_t *stop) {
    while (ms > 0 && !(stop && *stop)) {
        int step = ms < 50 ? ms : 50;
        struct timespec ts = {0, step * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

/* {"topic": {"partition": offset}} for the source's partitions. */
/* ---- wr_stream_sync ---- */

void wr_stream_sync_init(wr_stream_sync *s) {
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &a);
    pthread_condattr_destroy(&a);
}

void wr_stream_sync_destroy(wr_stream_sync *s) {
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
}

static void sync_set(wr_stream_sync *s, bool opened, bool ended, int64_t done) {
    if (!s) return;
    pthread_mutex_lock(&s->lock);
    s->opened |= opened;
    s->ended |= ended;
    if (done > s->done) s->done = done;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

void wr_stream_sync_end(wr_stream_sync *s) {
    sync_set(s, false, true, 0);
}

static int64_t sync_asked(wr_stream_sync *s) {
    if (!s) return 0;
    pthread_mutex_lock(&s->lock);
    int64_t n = s->asked;
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* Waits (lock held) until until(s, arg) or the deadline or *cancel. */
static bool sync_wait(wr_stream_sync *s, int timeout_ms, volatile sig_atomic_t *cancel,
                      bool (*until)(wr_stream_sync *, int64_t), int64_t arg) {
    int64_t deadline = wr_now_ms() + timeout_ms;
    while (!until(s, arg)) {
        int64_t left = deadline - wr_now_ms();
        if (left <= 0 || (cancel && *cancel)) return false;
        if (left > 100) left = 100;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += (long)(left % 1000) * 1000000L;
        ts.tv_sec += (time_t)(left / 1000) + ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&s->cond, &s->lock, &ts);
    }
    return true;
}

static bool open_or_ended(wr_stream_sync *s, int64_t arg) {
    (void)arg;
    return s->opened || s->ended;
}

static bool met_or_ended(wr_stream_sync *s, int64_t ticket) {
    return s->done >= ticket || s->ended;
}

bool wr_stream_await_open(wr_stream_sync *s, int timeout_ms, volatile sig_atomic_t *cancel) {
    pthread_mutex_lock(&s->lock);
    bool ok = sync_wait(s, timeout_ms, cancel, open_or_ended, 0);
    pthread_mutex_unlock(&s->lock);
    return ok;
}

int wr_stream_await_caught_up(wr_stream_sync *s, int timeout_ms, volatile sig_atomic_t *cancel) {
    pthread_mutex_lock(&s->lock);
    int64_t ticket = ++s->asked;
    int r = !sync_wait(s, timeout_ms, cancel, met_or_ended, ticket) ? 0
            : s->done >= ticket                                     ? 1
                                                                    : -1;
    pthread_mutex_unlock(&s->lock);
    return r;
}

static json_t *offsets_json(const wr_ksrc *src, const int64_t *off) {
    json_t *o = json_object();
    for (int i = 0; i < wr_ksrc_count(src); i++) {
        const wr_tp *tp = wr_ksrc_tp(src, i);
        json_t *t = json_object_get(o, tp->topic);
        if (!t) json_object_set_new(o, tp->topic, t = json_object());
        char pn[16];
        snprintf(pn, sizeof pn, "%d", (int)tp->partition);
        json_object_set_new(t, pn, json_integer(off[i]));
    }
    return o;
}

/* Offsets from a checkpoint file; partitions it does not name (new ones)
 * start at the earliest offset, as in Spark. */
static bool offsets_from_json(wr_ksrc *src, json_t *j, int64_t *out, char *err, size_t errlen) {
    int np = wr_ksrc_count(src);
    int64_t *lo = wr_xcalloc((size_t)np + 1, sizeof *lo);
    bool have_lo = false, ok = true;
    for (int i = 0; i < np && ok; i++) {
        const wr_tp *tp = wr_ksrc_tp(src, i);
        char pn[16];
        snprintf(pn, sizeof pn, "%d", (int)tp->partition);
        json_t *v = json_object_get(json_object_get(j, tp->topic), pn);
        if (json_is_integer(v)) {
            out[i] = json_integer_value(v);
        } else {
            if (!have_lo) ok = have_lo = wr_ksrc_watermarks(src, lo, NULL, err, errlen);
            out[i] = lo[i];
        }
    }
    free(lo);
    return ok;
}

/* What a checkpoint must have been written by: sources, output, state. */
static char *query_signature(const wr_query *q) {
    wr_buf b = {0};
    const char *keys[] = {"subscribe", "subscribePattern", "assign"};
    wr_buf_printf(&b, "source %s", q->source->name);
    for (int i = 0; i < 3; i++) {
        const char *v = wr_source_opt(q->source, keys[i]);
        if (v) wr_buf_printf(&b, " %s=%s", keys[i], v);
    }
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

/* Restores (or commits) the state partitions of the worker's share. */
static void *store_worker(void *arg) {
    worker_arg *wa = arg;
    runner *r = wa->r;
    for (int p = wa->id; p < r->nparts && !atomic_load(&r->failed); p += r->workers) {
        wr_err err;
        bool snap = false,
             ok = r->store_commit
                      ? wr_store_commit(&r->state[p], r->dirs[p], r->store_version,
                                        r->snapshot_every, &snap, &err)
                      : wr_store_restore(&r->state[p], r->dirs[p], r->store_version, &err);
        if (!ok) set_error(r, err.msg);
        if (snap) atomic_store(&r->snapshotted, true);
    }
    return NULL;
}

/* Restores or commits every state partition at `version`, in parallel (their
 * reads, writes and fsyncs overlap); after a snapshot, retention. */
static bool store_all(runner *r, int64_t version, bool commit, const wr_stream_opts *o, char *err,
                      size_t errlen) {
    r->store_version = version;
    r->store_commit = commit;
    r->snapshot_every = o->snapshot_every;
    atomic_store(&r->snapshotted, false);
    run_parallel(r, store_worker);
    if (atomic_load(&r->failed)) {
        snprintf(err, errlen, "%s", r->err);
        return false;
    }
    if (commit && atomic_load(&r->snapshotted))
        for (int p = 0; p < r->nparts; p++)
            wr_store_retain(r->dirs[p], version - o->min_batches_to_retain + 1);
    return true;
}

static void fault_point(const char *stage, int64_t batch);

/* After the sink has batch N: its state files, then commits/N with the
 * watermark of the next batch; then the processed offsets go to the
 * consumer group (lag for Kafka tools) and retention runs. */
static bool commit_batch(runner *r, wr_ckpt *ck, const wr_stream_opts *o, int64_t batch,
                         int64_t next_wm, const int64_t *to, wr_progress *pg, char *err,
                         size_t errlen) {
    fault_point("sink", batch);
    int64_t t = wr_now_ms();
    bool ok = !r->q->agg || store_all(r, batch, true, o, err, errlen);
    pg->state_commit_ms = wr_now_ms() - t;
    if (ok) fault_point("state", batch);
    if (ok) ok = wr_ckpt_write_commit(ck, batch, next_wm, err, errlen);
    if (ok) {
        fault_point("commit", batch);
        wr_ksrc_commit(r->src, to);
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
static bool check_sink(const wr_query *q, wr_sink *sink, wr_ckpt *ck, char *err, size_t errlen) {
    wr_sink_held h = {0};
    if (!sink->ops->last_committed) return true;
    if (!sink->ops->last_committed(sink, &h, err, errlen)) return false;
    if (!h.where) return true;
    const char *name = q->sink->name, *path = q->sink->path;
    if (!ck) {
        if (h.last_batch < 0 && !h.query_id[0]) return true;
        wr_errf(err, errlen,
                "sink %s: %s holds batches of an earlier run, and this query has no checkpoint to "
                "continue from (it would "
                "start again at batch 0): give sink %s a checkpointLocation (or weir run "
                "--checkpoint DIR), or remove %s to start fresh",
                name, path, name, path);
        return false;
    }
    const char *dir = wr_ckpt_dir(ck);
    bool committed;
    int64_t planned = wr_ckpt_last_batch(ck, &committed), done = wr_ckpt_last_commit(ck);
    if (h.query_id[0] && strcmp(h.query_id, wr_ckpt_id(ck))) {
        wr_errf(err, errlen,
                "sink %s: %s holds the batches of another query (%s names query %s; checkpoint %s "
                "is query %s): give the "
                "sink its own path, or, to start fresh, remove both %s and %s",
                name, path, h.id_file, h.query_id, dir, wr_ckpt_id(ck), path, dir);
        return false;
    }
    if (h.last_batch > planned) {
        char have[64];
        if (planned < 0)
            snprintf(have, sizeof have, "has no batch yet");
        else
            snprintf(have, sizeof have, "has no batch after %lld", (long long)planned);
        wr_errf(err, errlen,
                "sink %s: %s holds batch %lld but checkpoint %s %s (was the checkpoint removed "
                "while the sink's output "
                "was kept?): restore the checkpoint, or, to start fresh, remove %s as well",
                name, h.where, (long long)h.last_batch, dir, have, path);
        return false;
    }
    if (h.last_batch < done) {
        char have[64];
        if (h.last_batch < 0)
            snprintf(have, sizeof have, "holds no batch");
        else
            snprintf(have, sizeof have, "holds batches only up to %lld", (long long)h.last_batch);
        wr_errf(err, errlen,
                "sink %s: %s %s but checkpoint %s committed batch %lld (%s/commits/%lld): the "
                "sink's output was removed or "
                "damaged; restore it, or, to start fresh, remove both %s and %s",
                name, h.where, have, dir, (long long)done, dir, (long long)done, dir, path);
        return false;
    }
    return true;
}

/* Reports a batch: progress/<N> in the checkpoint, a line on opts->progress
 * (with the ranges the source skipped since the last report). */
static void report(runner *r, wr_ckpt *ck, const wr_stream_opts *o, wr_progress *pg) {
    wr_loss *losses = NULL;
    pg->nlosses = wr_ksrc_take_losses(r->src, &losses);
    pg->losses = losses;
    if (r->q->agg) {
        pg->state_partitions = r->nparts;
        for (int p = 0; p < r->nparts; p++) {
            pg->state_rows += r->state[p].n;
            pg->state_memory += (int64_t)wr_table_memory(&r->state[p]);
        }
    }
    json_t *j = wr_progress_json(r->q, r->src, pg);
    free(losses);
    char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    json_decref(j);
    char err[512];
    if (ck && !wr_ckpt_write_progress(ck, pg->batch_id, text, err, sizeof err))
        fprintf(stderr, "weir: warning: %s\n", err);
    if (o->on_progress) o->on_progress(o->progress_ctx, pg->batch_id, text);
    if (o->progress) {
        flockfile(o->progress);
        fprintf(o->progress, "%s\n", text);
        fflush(o->progress);
        funlockfile(o->progress);
    }
    free(text);
}

bool wr_stream_run(const wr_query *q, const wr_sink_env *env, const wr_stream_opts *opts_in,
                   wr_stream_stats *stats, char *err, size_t errlen) {
    memset(stats, 0, sizeof *stats);
    wr_stream_opts opts = *opts_in;
    if (opts.min_batches_to_retain <= 0) opts.min_batches_to_retain = 100;
    if (opts.snapshot_every <= 0) opts.snapshot_every = 10;
    int nparts = opts.state_partitions > 0 ? opts.state_partitions : 1;
    wr_ckpt *ck = NULL;
    int64_t last = -1;
    bool committed = false;
    json_t *ends = NULL;
    bool ok = true;
    wr_ksrc *src = NULL;
    wr_sink *sink = NULL;
    /* event time: the watermark (ms) the next batch runs with */
    const wr_aggregate *agg = q->agg;
    bool event_time = agg && agg->wm_expr,
         closes = event_time && agg->event_key >= 0 && q->sink->mode != WR_MODE_COMPLETE;
    int64_t wm_ms = 0, last_wm_ms = 0;
    if (q->sink->checkpoint) {
        char *sig = query_signature(q);
        ck = wr_ckpt_open(q->sink->checkpoint, sig, err, errlen);
        free(sig);
        ok = ck != NULL;
        if (ok) last = wr_ckpt_last_batch(ck, &committed);
        if (ok && last >= 0) {
            int ck_parts = 0;
            ends = wr_ckpt_read_offsets(ck, last, &ck_parts, &last_wm_ms, err, errlen);
            ok = ends != NULL;
            if (ok && opts.state_partitions_set && ck_parts != nparts) {
                wr_errf(err, errlen,
                        "checkpoint %s has %d state partitions but weir.shuffle.partitions is %d "
                        "now; it cannot change "
                        "for the life of a checkpoint: remove %s to start fresh",
                        q->sink->checkpoint, ck_parts, nparts, q->sink->checkpoint);
                ok = false;
            }
            nparts = ck_parts;
        }
    }
    if (ok) {
        char *group = ck ? wr_xasprintf("weir-%s", wr_ckpt_id(ck)) : NULL;
        src = wr_ksrc_open(q->source, group, err, errlen);
        free(group);
        ok = src != NULL;
    }
    if (ok) ok = (sink = wr_sink_open(q, env, err, errlen)) != NULL;
    char run_id[37], query_id[37];
    wr_uuid4(run_id);
    if (ck)
        snprintf(query_id, sizeof query_id, "%s", wr_ckpt_id(ck));
    else
        wr_uuid4(query_id);
    if (ok) {
        snprintf(sink->query_id, sizeof sink->query_id, "%s", query_id);
        ok = check_sink(q, sink, ck, err, errlen);
    }
    int64_t next = committed ? last + 1 : last; /* the batch this run starts at */
    if (ok && next > 0 && q->sink->kind == WR_SINK_MEMORY && !q->sink->path)
        fprintf(stderr,
                "weir: warning: query %s resumes checkpoint %s at batch %lld, but memory sink %s "
                "has no path: its table holds "
                "only what this run writes; give the sink a path to keep its rows across runs\n",
                q->name, q->sink->checkpoint, (long long)next, q->sink->name);
    if (ok) sync_set(opts.sync, true, false, 0);
    if (!ok) {
        json_decref(ends);
        wr_ckpt_close(ck);
        wr_sink_close(sink);
        wr_ksrc_close(src);
        return false;
    }
    int np = wr_ksrc_count(src);
    runner r = {
        .q = q, .src = src, .workers = opts.workers > 0 ? opts.workers : 1, .nparts = nparts};
    pthread_mutex_init(&r.err_lock, NULL);
    if (q->agg) wr_agg_layout(&r.layout, q->agg); /* before the tasks' tables use it */
    r.tasks = wr_xcalloc((size_t)r.workers, sizeof *r.tasks);
    for (int w = 0; w < r.workers; w++)
        wr_task_init(&r.tasks[w], q, &r.layout, r.nparts);
    if (q->agg) {
        r.state = wr_xcalloc((size_t)r.nparts, sizeof *r.state);
        for (int p = 0; p < r.nparts; p++)
            wr_table_init(&r.state[p], &r.layout, true, NULL);
        if (ck) {
            r.dirs = wr_xcalloc((size_t)r.nparts, sizeof *r.dirs);
            for (int p = 0; p < r.nparts; p++)
                r.dirs[p] = wr_ckpt_state_dir(ck, p);
        }
    }
    r.ranges = wr_xcalloc((size_t)np + 1, sizeof *r.ranges);
    int64_t *from = wr_xcalloc((size_t)np + 1, sizeof *from),
            *latest = wr_xcalloc((size_t)np + 1, sizeof *latest),
            *to = wr_xcalloc((size_t)np + 1, sizeof *to), *target = NULL;
    /* wr_stream_await_caught_up: the latest offsets seen after the newest
     * request (wait_ask), and the newest request met */
    int64_t *wait_to = wr_xcalloc((size_t)np + 1, sizeof *wait_to), wait_ask = 0, wait_met = 0;
    const char *mo = wr_source_opt(q->source, "maxOffsetsPerTrigger");
    int64_t limit = mo ? atoll(mo) : 0;
    wr_trigger trig = q->sink->trigger;
    int64_t batch_id = 0;
    bool replay =
        false; /* batch `batch_id` was planned but not committed: run it again as logged */
    ok = pool_start(&r, err, errlen);
    if (ok && last < 0) {
        ok = wr_ksrc_starting(src, from, err, errlen);
        if (ok && ck) {
            json_t *j = offsets_json(src, from);
            ok = wr_ckpt_write_sources(ck, j, err, errlen);
            json_decref(j);
        }
    } else if (ok && committed) {
        ok = offsets_from_json(src, ends, from, err, errlen) &&
             wr_ckpt_read_commit(ck, last, &wm_ms, err, errlen) &&
             (!q->agg || store_all(&r, last, false, &opts, err, errlen));
        batch_id = last + 1;
    } else if (ok) {
        wm_ms = last_wm_ms;
        json_t *start = last == 0 ? wr_ckpt_read_sources(ck, err, errlen)
                                  : wr_ckpt_read_offsets(ck, last - 1, NULL, NULL, err, errlen);
        ok = start && offsets_from_json(src, start, from, err, errlen) &&
             offsets_from_json(src, ends, to, err, errlen) &&
             (!q->agg || last == 0 || store_all(&r, last - 1, false, &opts, err, errlen));
        json_decref(start);
        batch_id = last;
        replay = true;
    }
    json_decref(ends);
    if (ok && trig.kind == WR_TRIGGER_AVAILABLE_NOW) {
        target = wr_xcalloc((size_t)np + 1, sizeof *target);
        ok = wr_ksrc_watermarks(src, NULL, target, err, errlen);
    }
    int64_t prev_trigger = -1;
    /* the watermark moved past groups' ends: run a batch without new data to
     * close them, as Spark does */
    bool close_pending = closes && committed && wm_ms > last_wm_ms;
    r.evict = closes;
    while (ok && !(opts.stop && *opts.stop)) {
        r.watermark = wm_ms * 1000;
        int64_t t0 = wr_now_ms();
        wr_progress pg = {
            .id = query_id, .run_id = run_id, .batch_id = batch_id, .wall_start_ms = wr_wall_ms()};
        bool any = false;
        json_t *latest_j = NULL;
        if (replay) {
            replay = false;
            any = true;
        } else {
            int64_t asked = sync_asked(
                opts.sync); /* before the offsets: they are at least those of the moment asked */
            if (!(ok = wr_ksrc_watermarks(src, NULL, latest, err, errlen))) break;
            pg.latest_offset_ms = wr_now_ms() - t0;
            for (int i = 0; i < np && ok; i++)
                if (latest[i] < from[i]) {
                    const wr_tp *tp = wr_ksrc_tp(src, i);
                    wr_errf(err, errlen,
                            "%s partition %d ends at offset %lld, before offset %lld where this "
                            "query is: the topic was "
                            "recreated or the checkpoint belongs to another cluster (remove the "
                            "checkpoint to start fresh)",
                            tp->topic, (int)tp->partition, (long long)latest[i],
                            (long long)from[i]);
                    ok = false;
                }
            if (!ok) break;
            if (target)
                for (int i = 0; i < np; i++)
                    latest[i] = latest[i] < target[i] ? latest[i] : target[i];
            if (asked > wait_ask) {
                memcpy(wait_to, latest, sizeof *latest * (size_t)np);
                wait_ask = asked;
            }
            wr_ksrc_rate_limit(src, from, latest, trig.kind == WR_TRIGGER_ONCE ? 0 : limit, to);
            for (int i = 0; i < np; i++)
                any |= to[i] > from[i];
            any |= close_pending;
            if (any) latest_j = offsets_json(src, latest);
            if (any && ck) { /* the write-ahead log: the batch's ranges before it runs */
                int64_t t = wr_now_ms();
                json_t *j = offsets_json(src, to);
                ok = wr_ckpt_write_offsets(ck, batch_id, r.nparts, wm_ms, j, err, errlen);
                json_decref(j);
                pg.wal_commit_ms = wr_now_ms() - t;
                if (!ok) break;
                fault_point("offsets", batch_id);
            }
        }
        if (any) {
            int64_t t = wr_now_ms();
            ok = run_batch(&r, sink, batch_id, from, to, &pg.input_rows, &pg.output_rows, err,
                           errlen);
            pg.add_batch_ms = wr_now_ms() - t;
            int64_t next_wm =
                event_time ? wr_et_next_watermark(wm_ms, r.max_event, agg->wm_delay) : wm_ms;
            pg.event_time = event_time;
            pg.watermark_ms = wm_ms;
            pg.max_event = r.max_event, pg.min_event = r.min_event;
            pg.dropped = r.dropped, pg.state_removed = r.removed;
            if (ok && ck) ok = commit_batch(&r, ck, &opts, batch_id, next_wm, to, &pg, err, errlen);
            if (q->agg)
                for (int p = 0; p < r.nparts; p++)
                    pg.state_updated += wr_table_clear_updated(&r.state[p]);
            if (ok) {
                pg.start = offsets_json(src, from);
                pg.end = offsets_json(src, to);
                pg.latest = latest_j;
                pg.total_ms = wr_now_ms() - t0;
                pg.since_last_ms = prev_trigger < 0 ? 0 : t0 - prev_trigger;
                report(&r, ck, &opts, &pg);
                json_decref(pg.start);
                json_decref(pg.end);
                stats->batches++;
                stats->input_rows += pg.input_rows;
                stats->output_rows += pg.output_rows;
            }
            prev_trigger = t0;
            close_pending = closes && next_wm > wm_ms;
            wm_ms = next_wm;
        }
        json_decref(latest_j);
        if (!ok) break;
        if (any) {
            memcpy(from, to, sizeof *from * (size_t)np);
            batch_id++;
        }
        if (wait_ask > wait_met) {
            bool reached = true;
            for (int i = 0; i < np; i++)
                reached &= from[i] >= wait_to[i];
            if (reached) sync_set(opts.sync, false, false, wait_met = wait_ask);
        }
        if (trig.kind == WR_TRIGGER_ONCE) break;
        if (target) {
            bool done = true;
            for (int i = 0; i < np; i++)
                done &= from[i] >= target[i];
            if (done && !close_pending) break;
            continue;
        }
        int64_t spent = wr_now_ms() - t0;
        if (trig.kind == WR_TRIGGER_INTERVAL)
            nap((int)(trig.interval_ms - spent), opts.stop);
        else if (!any)
            nap(100, opts.stop); /* nothing new: poll again shortly */
    }
    pool_stop(&r);
    for (int w = 0; w < r.workers; w++)
        wr_task_free(&r.tasks[w]);
    free(r.tasks);
    if (q->agg) {
        for (int p = 0; p < r.nparts; p++) {
            wr_table_free(&r.state[p]);
            if (r.dirs) free(r.dirs[p]);
        }
        free(r.state);
        free(r.dirs);
    }
    free(r.ranges);
    free(from), free(latest), free(to), free(target), free(wait_to);
    pthread_mutex_destroy(&r.err_lock);
    wr_ckpt_close(ck);
    wr_sink_close(sink);
    wr_ksrc_close(src);
    return ok;
}
