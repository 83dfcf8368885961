/* Implementation of the embedded development broker (wr_broker.h). */
#include "broker/wr_broker.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/relay.h"
#include "util/wr_util.h"

struct wr_broker {
    rd_kafka_t *rk; /* the handle that owns the mock cluster */
    rd_kafka_mock_cluster_t *mcluster;
    wr_relay *relay;
    char bootstrap[128];
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

const char *wr_broker_bootstrap(const wr_broker *b) {
    return b->bootstrap;
}

void wr_broker_stop(wr_broker *b) {
    if (!b) return;
    wr_relay_stop(b->relay);
    rd_kafka_mock_cluster_destroy(b->mcluster);
    rd_kafka_destroy(b->rk);
    free(b);
}
