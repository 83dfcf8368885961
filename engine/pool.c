/* The worker pool (pool.h): threads wait on a condition for the next
 * phase, run its function with their worker id, and count down. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/pool.h"

typedef struct slot {
    wr_pool *pool;
    int id;
} slot;

struct wr_pool {
    int workers;
    int started; /* threads running (workers 1..started) */
    pthread_t *threads;
    slot *slots;
    pthread_mutex_t lock;
    pthread_cond_t go, done;
    void (*fn)(void *ctx, int worker);
    void *ctx;
    int64_t phase;
    int pending;
    bool quit;
};

static void *worker_main(void *arg) {
    slot *s = arg;
    wr_pool *p = s->pool;
    int64_t seen = 0;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (p->phase == seen && !p->quit)
            pthread_cond_wait(&p->go, &p->lock);
        if (p->quit) break;
        seen = p->phase;
        void (*fn)(void *, int) = p->fn;
        void *ctx = p->ctx;
        pthread_mutex_unlock(&p->lock);
        fn(ctx, s->id);
        pthread_mutex_lock(&p->lock);
        if (--p->pending == 0) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

wr_pool *wr_pool_start(int workers, wr_err *err) {
    wr_pool *p = wr_xcalloc(1, sizeof *p);
    p->workers = workers > 0 ? workers : 1;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    p->threads = wr_xcalloc((size_t)p->workers, sizeof *p->threads);
    p->slots = wr_xcalloc((size_t)p->workers, sizeof *p->slots);
    for (int i = 0; i < p->workers; i++)
        p->slots[i] = (slot){p, i};
    for (int i = 1; i < p->workers; i++) {
        int e = pthread_create(&p->threads[i], NULL, worker_main, &p->slots[i]);
        if (e) {
            wr_fail(err, WR_ERR_LIMIT,
                    "cannot start worker thread %d of %d: %s (the system's limit on threads? "
                    "lower SET weir.workers)",
                    i + 1, p->workers, strerror(e));
            wr_pool_stop(p);
            return NULL;
        }
        p->started++;
    }
    return p;
}

int wr_pool_size(const wr_pool *p) {
    return p->workers;
}

void wr_pool_run(wr_pool *p, void (*fn)(void *ctx, int worker), void *ctx) {
    pthread_mutex_lock(&p->lock);
    p->fn = fn;
    p->ctx = ctx;
    p->phase++;
    p->pending = p->started;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->lock);
    fn(ctx, 0);
    pthread_mutex_lock(&p->lock);
    while (p->pending > 0)
        pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
}

void wr_pool_stop(wr_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->quit = true;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->lock);
    for (int i = 1; i <= p->started; i++)
        pthread_join(p->threads[i], NULL);
    free(p->threads);
    free(p->slots);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    free(p);
}
