/* What another thread can wait for while a query runs (wr_stream_sync in
 * wr_engine.h): the driver marks the sink open and each catch-up request
 * met; waiters sleep on a monotonic-clock condition. */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "engine/sync.h"

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

void wr_sync_set(wr_stream_sync *s, bool opened, bool ended, int64_t done) {
    if (!s) return;
    pthread_mutex_lock(&s->lock);
    s->opened |= opened;
    s->ended |= ended;
    if (done > s->done) s->done = done;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

void wr_stream_sync_end(wr_stream_sync *s) {
    wr_sync_set(s, false, true, 0);
}

int64_t wr_sync_asked(wr_stream_sync *s) {
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
