/* Implementation of the embedded development broker (wr_broker.h). */
#include "broker/wr_broker.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/relay.h"
#include "core/wr_core.h"

/* The earliest offset of one partition, as last seen. */
typedef struct low_mark {
    char *topic;
    int32_t partition;
    int64_t low;
} low_mark;

struct wr_broker {
    rd_kafka_t *rk; /* the handle that owns the mock cluster */
    rd_kafka_mock_cluster_t *mcluster;
    wr_relay *relay;
    char bootstrap[128];
    rd_kafka_t *watch; /* a client of the mock asking for earliest offsets */
    low_mark *lows;    /* sorted by topic, partition */
    int nlows;
};

static void quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    (void)rk, (void)level, (void)fac, (void)buf;
}

int wr_broker_parse_topic(const char *spec, char **name, int *partitions, char *errstr,
                          size_t errlen) {
    const char *colon = strrchr(spec, ':');
    int64_t parts = 1;
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    if (colon && !wr_parse_i64(colon + 1, 1, 100000, &parts)) {
        wr_errf(errstr, errlen, "--topic %s: partitions must be a number from 1 to 100000", spec);
        return -1;
    }
    if (len == 0 || len > 249) {
        wr_errf(errstr, errlen, "--topic '%s': a topic name has 1 to 249 characters", spec);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        char c = spec[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-')) {
            wr_errf(errstr, errlen,
                    "--topic '%s': topic names use only letters, digits, '.', '_' and '-'", spec);
            return -1;
        }
    }
    *name = wr_xstrndup(spec, len);
    *partitions = (int)parts;
    return 0;
}

wr_broker *wr_broker_start(int port, char *errstr, size_t errlen) {
    char why[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, quiet_log);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        wr_errf(errstr, errlen, "cannot start the mock cluster: %s", why);
        return NULL;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, 1);
    if (!mc) {
        rd_kafka_destroy(rk);
        wr_errf(errstr, errlen, "cannot start the mock cluster");
        return NULL;
    }
    wr_broker *b = wr_xcalloc(1, sizeof *b);
    b->rk = rk;
    b->mcluster = mc;
    const char *own = rd_kafka_mock_cluster_bootstraps(mc);
    snprintf(b->bootstrap, sizeof b->bootstrap, "%s", own);
    if (port >= 0) {
        const char *colon = strrchr(own, ':');
        int target = colon ? atoi(colon + 1) : 0;
        b->relay = wr_relay_start(port, target, errstr, errlen);
        if (!b->relay) {
            wr_broker_stop(b);
            return NULL;
        }
        snprintf(b->bootstrap, sizeof b->bootstrap, "localhost:%d", wr_relay_port(b->relay));
    }
    return b;
}

int wr_broker_create_topic(wr_broker *b, const char *name, int partitions, char *errstr,
                           size_t errlen) {
    rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(b->mcluster, name, partitions, 1);
    if (err) {
        wr_errf(errstr, errlen, "cannot create topic %s: %s", name, rd_kafka_err2str(err));
        return -1;
    }
    return 0;
}

static int cmp_low(const void *a, const void *b) {
    const low_mark *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

void wr_broker_report_retention(wr_broker *b, FILE *out) {
    char why[512];
    if (!b->watch) {
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_conf_set_log_cb(conf, quiet_log);
        rd_kafka_conf_set(conf, "bootstrap.servers", rd_kafka_mock_cluster_bootstraps(b->mcluster),
                          why, sizeof why);
        b->watch = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
        if (!b->watch) {
            rd_kafka_conf_destroy(conf);
            return;
        }
    }
    const rd_kafka_metadata_t *md = NULL;
    if (rd_kafka_metadata(b->watch, 1, NULL, &md, 2000)) return;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(16);
    for (int t = 0; t < md->topic_cnt; t++)
        for (int p = 0; p < md->topics[t].partition_cnt; p++)
            rd_kafka_topic_partition_list_add(l, md->topics[t].topic,
                                              md->topics[t].partitions[p].id)
                ->offset = RD_KAFKA_OFFSET_BEGINNING; /* as a timestamp: the earliest offset */
    rd_kafka_metadata_destroy(md);
    if (l->cnt && !rd_kafka_offsets_for_times(b->watch, l, 2000)) {
        int known = b->nlows;
        for (int i = 0; i < l->cnt; i++) {
            const rd_kafka_topic_partition_t *tp = &l->elems[i];
            if (tp->err || tp->offset < 0) continue;
            low_mark key = {tp->topic, tp->partition, 0};
            low_mark *m =
                known ? bsearch(&key, b->lows, (size_t)known, sizeof *b->lows, cmp_low) : NULL;
            if (!m) {
                b->lows = wr_xrealloc(b->lows, sizeof *b->lows * (size_t)(b->nlows + 1));
                m = &b->lows[b->nlows++];
                *m = (low_mark){wr_xstrdup(tp->topic), tp->partition, 0};
            }
            if (tp->offset > m->low)
                fprintf(out,
                        "weir broker: retention deleted %s partition %d offsets %lld..%lld (each "
                        "partition keeps its newest 5 MB, at most %d batches)\n",
                        tp->topic, (int)tp->partition, (long long)m->low, (long long)tp->offset - 1,
                        WR_BROKER_RETAIN_BATCHES);
            if (tp->offset > m->low) m->low = tp->offset;
        }
        if (b->nlows > known) qsort(b->lows, (size_t)b->nlows, sizeof *b->lows, cmp_low);
        fflush(out);
    }
    rd_kafka_topic_partition_list_destroy(l);
}

rd_kafka_mock_cluster_t *wr_broker_mock(wr_broker *b) {
    return b->mcluster;
}

const char *wr_broker_bootstrap(const wr_broker *b) {
    return b->bootstrap;
}

void wr_broker_stop(wr_broker *b) {
    if (!b) return;
    wr_relay_stop(b->relay);
    if (b->watch) rd_kafka_destroy(b->watch);
    for (int i = 0; i < b->nlows; i++)
        free(b->lows[i].topic);
    free(b->lows);
    rd_kafka_mock_cluster_destroy(b->mcluster);
    rd_kafka_destroy(b->rk);
    free(b);
}
