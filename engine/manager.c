/* The query manager (wr_engine.h): each query runs wr_stream_run on a
 * thread of its own; the manager keeps its state, last progress and error
 * for whoever asks (weir run's exit, weir shell's .queries), and the
 * wr_stream_sync that waits for its sink to open or its source to be
 * caught up. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "engine/wr_engine.h"

typedef struct mquery {
    wr_manager *m;
    const wr_query *q;
    wr_stream_opts opts;
    volatile sig_atomic_t stop;
    pthread_t th;
    bool started, joined;
    wr_stream_sync sync;
    pthread_mutex_t lock; /* what follows */
    wr_query_state state;
    bool reported;
    char err[1024];
    char *progress; /* last progress JSON */
    int64_t batch;
} mquery;

struct wr_manager {
    wr_manager_opts o;
    pthread_mutex_t lock; /* the list */
    mquery **q;
    int n;
};

const char *wr_query_state_name(wr_query_state s) {
    static const char *names[] = {"running", "finished", "stopped", "failed"};
    return names[s];
}

wr_manager *wr_manager_new(const wr_manager_opts *o) {
    wr_manager *m = wr_xcalloc(1, sizeof *m);
    m->o = *o;
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

/* A query's stream options from its job's settings. */
static wr_stream_opts opts_of(const wr_job *job) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    const char *wk = wr_job_setting(job, "weir.workers"),
               *sp = wr_job_setting(job, "weir.shuffle.partitions"),
               *keep = wr_job_setting(job, "spark.sql.streaming.minBatchesToRetain"),
               *snap = wr_job_setting(job, "spark.sql.streaming.stateStore.minDeltasForSnapshot");
    return (wr_stream_opts){.workers = wk ? atoi(wk) : (int)(cores > 0 ? cores : 1),
                            .state_partitions = sp ? atoi(sp) : (int)(cores > 0 ? cores : 1),
                            .state_partitions_set = sp != NULL,
                            .min_batches_to_retain = keep ? atoi(keep) : 0,
                            .snapshot_every = snap ? atoi(snap) : 0};
}

/* After each batch: its progress is kept as text (read back, parsed, only
 * when someone asks for the query's status). */
static void on_progress(void *ctx, int64_t batch, const char *text) {
    mquery *mq = ctx;
    size_t n = strlen(text);
    pthread_mutex_lock(&mq->lock);
    if (!mq->progress || strlen(mq->progress) < n) {
        free(mq->progress);
        mq->progress = wr_xmalloc(n + 1);
    }
    memcpy(mq->progress, text, n + 1);
    mq->batch = batch;
    pthread_mutex_unlock(&mq->lock);
    const wr_manager_opts *o = &mq->m->o;
    if (o->on_progress) o->on_progress(o->progress_ctx, mq->q, batch, text);
}

/* Stops every query of the manager after its batch (a failure in weir run). */
static void stop_all(wr_manager *m) {
    pthread_mutex_lock(&m->lock);
    for (int i = 0; i < m->n; i++)
        m->q[i]->stop = 1;
    pthread_mutex_unlock(&m->lock);
}

static void *query_main(void *arg) {
    mquery *mq = arg;
    wr_err err;
    bool ok = wr_stream_run(mq->q, mq->m->o.env, &mq->opts, &err);
    pthread_mutex_lock(&mq->lock);
    mq->state = !ok ? WR_QUERY_FAILED : mq->stop ? WR_QUERY_STOPPED : WR_QUERY_FINISHED;
    if (!ok) snprintf(mq->err, sizeof mq->err, "%s", err.msg);
    pthread_mutex_unlock(&mq->lock);
    wr_stream_sync_end(&mq->sync);
    if (!ok && mq->m->o.failure_stops_all) stop_all(mq->m);
    return NULL;
}

bool wr_manager_start(wr_manager *m, const wr_job *job, const wr_query *q, wr_err *err) {
    mquery *mq = wr_xcalloc(1, sizeof *mq);
    mq->m = m;
    mq->q = q;
    mq->batch = -1;
    pthread_mutex_init(&mq->lock, NULL);
    wr_stream_sync_init(&mq->sync);
    mq->opts = opts_of(job);
    mq->opts.stop = &mq->stop;
    mq->opts.stop_all = m->o.stop_all;
    mq->opts.progress = m->o.progress;
    mq->opts.on_progress = on_progress;
    mq->opts.progress_ctx = mq;
    mq->opts.sync = &mq->sync;
    pthread_mutex_lock(&m->lock);
    m->q = wr_xrealloc(m->q, sizeof *m->q * (size_t)(m->n + 1));
    m->q[m->n++] = mq;
    pthread_mutex_unlock(&m->lock);
    int e = pthread_create(&mq->th, NULL, query_main, mq);
    if (e) { /* shown as a failed query */
        mq->state = WR_QUERY_FAILED;
        snprintf(mq->err, sizeof mq->err, "cannot start its thread: %s", strerror(e));
        wr_stream_sync_end(&mq->sync);
        if (m->o.failure_stops_all) stop_all(m);
        return wr_fail(err, WR_ERR_LIMIT, "query %s: %s", q->name, mq->err);
    }
    mq->started = true;
    return true;
}

static mquery *at(wr_manager *m, int i) {
    pthread_mutex_lock(&m->lock);
    mquery *mq = i >= 0 && i < m->n ? m->q[i] : NULL;
    pthread_mutex_unlock(&m->lock);
    return mq;
}

int wr_manager_count(wr_manager *m) {
    pthread_mutex_lock(&m->lock);
    int n = m->n;
    pthread_mutex_unlock(&m->lock);
    return n;
}

int wr_manager_find(wr_manager *m, const char *name) {
    int found = -1;
    pthread_mutex_lock(&m->lock);
    for (int i = 0; i < m->n && found < 0; i++)
        if (!strcasecmp(m->q[i]->q->name, name)) found = i;
    pthread_mutex_unlock(&m->lock);
    return found;
}

void wr_manager_status(wr_manager *m, int i, wr_query_status *out) {
    mquery *mq = at(m, i);
    memset(out, 0, sizeof *out);
    if (!mq) return;
    pthread_mutex_lock(&mq->sync.lock);
    out->opened = mq->sync.opened;
    pthread_mutex_unlock(&mq->sync.lock);
    pthread_mutex_lock(&mq->lock);
    out->query = mq->q;
    out->state = mq->state;
    out->reported = mq->reported;
    out->batch = mq->batch;
    json_t *j = mq->progress ? json_loads(mq->progress, 0, NULL) : NULL;
    out->in_rate = json_number_value(json_object_get(j, "inputRowsPerSecond"));
    out->proc_rate = json_number_value(json_object_get(j, "processedRowsPerSecond"));
    json_decref(j);
    snprintf(out->err, sizeof out->err, "%s", mq->err);
    pthread_mutex_unlock(&mq->lock);
}

char *wr_manager_progress(wr_manager *m, int i) {
    mquery *mq = at(m, i);
    if (!mq) return NULL;
    pthread_mutex_lock(&mq->lock);
    char *p = mq->progress ? wr_xstrdup(mq->progress) : NULL;
    pthread_mutex_unlock(&mq->lock);
    return p;
}

bool wr_manager_take_failure(wr_manager *m, int i, char *err, size_t errlen) {
    mquery *mq = at(m, i);
    if (!mq) return false;
    pthread_mutex_lock(&mq->lock);
    bool fresh = mq->state == WR_QUERY_FAILED && !mq->reported;
    if (fresh) {
        mq->reported = true;
        snprintf(err, errlen, "%s", mq->err);
    }
    pthread_mutex_unlock(&mq->lock);
    return fresh;
}

bool wr_manager_await_open(wr_manager *m, int i, int timeout_ms, volatile sig_atomic_t *cancel) {
    mquery *mq = at(m, i);
    return mq && wr_stream_await_open(&mq->sync, timeout_ms, cancel);
}

int wr_manager_await_caught_up(wr_manager *m, int i, int timeout_ms,
                               volatile sig_atomic_t *cancel) {
    mquery *mq = at(m, i);
    return mq ? wr_stream_await_caught_up(&mq->sync, timeout_ms, cancel) : -1;
}

static void join(mquery *mq) {
    if (mq->started && !mq->joined) pthread_join(mq->th, NULL);
    mq->joined = true;
}

void wr_manager_stop(wr_manager *m, int i) {
    mquery *mq = at(m, i);
    if (!mq) return;
    mq->stop = 1;
    join(mq);
}

void wr_manager_join(wr_manager *m) {
    for (int i = 0; i < wr_manager_count(m); i++)
        join(at(m, i));
}

void wr_manager_free(wr_manager *m) {
    if (!m) return;
    stop_all(m);
    wr_manager_join(m);
    for (int i = 0; i < m->n; i++) {
        mquery *mq = m->q[i];
        pthread_mutex_destroy(&mq->lock);
        wr_stream_sync_destroy(&mq->sync);
        free(mq->progress);
        free(mq);
    }
    free(m->q);
    pthread_mutex_destroy(&m->lock);
    free(m);
}
