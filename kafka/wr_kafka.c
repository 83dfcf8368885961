/* Implementation of the librdkafka plumbing declared in wr_kafka.h. */
#include "kafka/wr_kafka.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Per-client diagnostics, attached as the client's opaque pointer. */
typedef struct wr_kafka_diag {
    pthread_mutex_t lock;
    char last_error[512];
    rd_kafka_resp_err_t last_err;
    bool verbose; /* `-X debug=...` given: let librdkafka's logs through */
} wr_kafka_diag;

static void diag_record(wr_kafka_diag *d, rd_kafka_resp_err_t err, const char *reason) {
    pthread_mutex_lock(&d->lock);
    /* "all brokers down" carries no detail; keep the transport error that caused it. */
    if (err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || !d->last_error[0])
        snprintf(d->last_error, sizeof d->last_error, "%s", reason);
    d->last_err = err;
    pthread_mutex_unlock(&d->lock);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    (void)rk;
    diag_record(opaque, (rd_kafka_resp_err_t)err, reason);
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    wr_kafka_diag *d = rd_kafka_opaque(rk);
    if (d && d->verbose) fprintf(stderr, "rdkafka %d %s: %s\n", level, fac, buf);
}

bool wr_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, char *errstr,
                       size_t errlen) {
    char why[256];
    if (rd_kafka_conf_set(conf, key, value, why, sizeof why) != RD_KAFKA_CONF_OK) {
        wr_errf(errstr, errlen, "Kafka setting %s=%s: %s", key, value, why);
        return false;
    }
    return true;
}

bool wr_kafka_conf_apply(rd_kafka_conf_t *conf, const wr_strlist *props, char *errstr,
                         size_t errlen) {
    for (int i = 0; props && i < props->n; i++) {
        char *k, *v;
        if (!wr_split_kv(props->items[i], '=', &k, &v)) {
            wr_errf(errstr, errlen, "-X %s: expected key=value", props->items[i]);
            return false;
        }
        bool ok = wr_kafka_conf_set(conf, k, v, errstr, errlen);
        free(k);
        free(v);
        if (!ok) return false;
    }
    return true;
}

rd_kafka_conf_t *wr_kafka_conf_new(const char *bootstrap, const wr_strlist *props, char *errstr,
                                   size_t errlen) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_log_cb(conf, on_log);

    if (!wr_kafka_conf_set(conf, "bootstrap.servers",
                           bootstrap && *bootstrap ? bootstrap : WR_KAFKA_DEFAULT_BOOTSTRAP,
                           errstr, errlen) ||
        !wr_kafka_conf_set(conf, "client.id", "weir", errstr, errlen))
        goto fail;

    if (!wr_kafka_conf_apply(conf, props, errstr, errlen)) goto fail;
    return conf;

fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

rd_kafka_t *wr_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf, char *errstr,
                         size_t errlen) {
    wr_kafka_diag *d = wr_xcalloc(1, sizeof *d);
    pthread_mutex_init(&d->lock, NULL);
    char dbg[256];
    size_t n = sizeof dbg;
    d->verbose = rd_kafka_conf_get(conf, "debug", dbg, &n) == RD_KAFKA_CONF_OK && dbg[0];
    rd_kafka_conf_set_opaque(conf, d);

    char why[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, why, sizeof why); /* owns conf on success */
    if (!rk) {
        wr_errf(errstr, errlen, "cannot create Kafka client: %s", why);
        rd_kafka_conf_destroy(conf);
        pthread_mutex_destroy(&d->lock);
        free(d);
        return NULL;
    }
    return rk;
}

void wr_kafka_destroy(rd_kafka_t *rk) {
    if (!rk) return;
    wr_kafka_diag *d = rd_kafka_opaque(rk);
    rd_kafka_destroy(rk);
    if (d) {
        pthread_mutex_destroy(&d->lock);
        free(d);
    }
}

void wr_kafka_last_error(rd_kafka_t *rk, char *buf, size_t len) {
    wr_kafka_diag *d = rd_kafka_opaque(rk);
    if (!len) return;
    buf[0] = '\0';
    if (!d) return;
    pthread_mutex_lock(&d->lock);
    snprintf(buf, len, "%s", d->last_error);
    pthread_mutex_unlock(&d->lock);
}

static bool all_brokers_down(rd_kafka_t *rk) {
    wr_kafka_diag *d = rd_kafka_opaque(rk);
    pthread_mutex_lock(&d->lock);
    bool down = d->last_err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
                d->last_err == RD_KAFKA_RESP_ERR__RESOLVE ||
                d->last_err == RD_KAFKA_RESP_ERR__AUTHENTICATION ||
                d->last_err == RD_KAFKA_RESP_ERR__SSL;
    pthread_mutex_unlock(&d->lock);
    return down;
}

bool wr_kafka_probe(rd_kafka_t *rk, int timeout_ms, const rd_kafka_metadata_t **md, char *errstr,
                    size_t errlen) {
    int64_t deadline = wr_now_ms() + (timeout_ms > 0 ? timeout_ms : WR_KAFKA_DEFAULT_TIMEOUT_MS);
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
    for (;;) {
        int64_t left = deadline - wr_now_ms();
        if (left <= 0) break;
        const rd_kafka_metadata_t *m = NULL;
        err = rd_kafka_metadata(rk, 1, NULL, &m, (int)(left < 250 ? left : 250));
        if (!err) {
            if (md)
                *md = m;
            else
                rd_kafka_metadata_destroy(m);
            return true;
        }
        rd_kafka_poll(rk, 0); /* serves error_cb */
        if (all_brokers_down(rk)) break;
    }
    char last[512];
    wr_kafka_last_error(rk, last, sizeof last);
    char *servers = NULL;
    size_t n = 0;
    const rd_kafka_conf_t *c = rd_kafka_conf(rk);
    if (rd_kafka_conf_get(c, "bootstrap.servers", NULL, &n) == RD_KAFKA_CONF_OK) {
        servers = wr_xmalloc(n);
        rd_kafka_conf_get(c, "bootstrap.servers", servers, &n);
    }
    wr_errf(errstr, errlen, "cannot reach Kafka at %s: %s", servers ? servers : "?",
            last[0] ? last : rd_kafka_err2str(err));
    free(servers);
    return false;
}

const rd_kafka_metadata_topic_t *wr_kafka_md_topic(const rd_kafka_metadata_t *md,
                                                   const char *topic) {
    for (int i = 0; i < md->topic_cnt; i++)
        if (!strcmp(md->topics[i].topic, topic)) return &md->topics[i];
    return NULL;
}
