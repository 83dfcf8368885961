/* `weir produce`: one message per line of stdin or a file, as
 * kafka-console-producer does, with delivery failures reported. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/wr_broker.h"
#include "cli/cli.h"
#include "kafka/wr_kafka.h"

static const char help[] =
    "usage: weir produce --topic T [--file F] [--bootstrap HOST:PORT] [-X key=value]...\n"
    "                    [--property parse.key=true] [--property key.separator=SEP]\n"
    "                    [--timeout-ms MS]\n"
    "\n"
    "Sends one message per line (the newline removed; an empty line is an empty message).\n"
    "Keyed lines are placed by murmur2 of the key (as Java clients do), unkeyed ones go\n"
    "to the topic's partitions in turn. To the embedded broker (weir broker) a message\n"
    "over 5241856 bytes is refused: a partition there keeps only its newest 5 MB.\n"
    "  --property parse.key=true     split each line into key and value at key.separator\n"
    "  --property key.separator=SEP  default: a tab (\\t)\n"
    "  --timeout-ms MS               how long to try to reach the cluster and deliver (10000)\n"
    "  -X key=value                  any librdkafka producer setting\n";

typedef struct delivery {
    long delivered;
    long failed;
    char first_error[256];
    int64_t *first; /* per partition: the lowest offset delivered, -1 none */
    int nfirst;
} delivery;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)opaque;
    delivery *d = m->_private;
    (void)rk;
    if (m->err) {
        if (!d->failed++)
            snprintf(d->first_error, sizeof d->first_error, "%s", rd_kafka_err2str(m->err));
        return;
    }
    d->delivered++;
    if (m->partition < 0) return;
    if (m->partition >= d->nfirst) {
        int n = m->partition + 1;
        d->first = wr_xrealloc(d->first, sizeof *d->first * (size_t)n);
        for (int i = d->nfirst; i < n; i++)
            d->first[i] = -1;
        d->nfirst = n;
    }
    if (d->first[m->partition] < 0 || m->offset < d->first[m->partition])
        d->first[m->partition] = m->offset;
}

/* What a stop at line `lineno` leaves sent. */
static const char *sent_before(long lineno, char *buf, size_t len) {
    if (lineno <= 1) return "nothing was sent";
    snprintf(buf, len, "nothing after line %ld was sent", lineno - 1);
    return buf;
}

/* Keyed messages go where Java clients put them (murmur2 of the key); unkeyed
 * ones go to the partitions in turn, from a random one. librdkafka's default
 * "sticky" placement sends a burst of unkeyed lines to one partition. */
static unsigned next_partition;
static int32_t place(const rd_kafka_topic_t *rkt, const void *key, size_t keylen, int32_t cnt,
                     void *rkt_opaque, void *msg_opaque) {
    if (key) return rd_kafka_msg_partitioner_murmur2(rkt, key, keylen, cnt, rkt_opaque, msg_opaque);
    return (int32_t)(__atomic_fetch_add(&next_partition, 1, __ATOMIC_RELAXED) % (unsigned)cnt);
}

/* The embedded broker deletes the oldest messages of a partition past 5 MB:
 * say so when some that this run delivered are already gone. */
static void warn_deleted(rd_kafka_t *rk, const char *topic, const delivery *d) {
    wr_buf gone = {0};
    for (int p = 0; p < d->nfirst; p++) {
        int64_t lo = -1, hi = -1;
        if (d->first[p] < 0 || rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 5000) ||
            lo <= d->first[p])
            continue;
        wr_buf_printf(&gone, "%s%s partition %d offsets %lld..%lld", gone.len ? ", " : "", topic, p,
                      (long long)d->first[p], (long long)lo - 1);
    }
    if (gone.len)
        fprintf(stderr,
                "weir produce: warning: the embedded broker keeps only the newest 5 MB of each "
                "partition and has already deleted messages of this run: %s\n",
                gone.p);
    wr_buf_free(&gone);
}

int cmd_produce(int argc, char **argv) {
    static const struct option longopts[] = {{"topic", required_argument, 0, 't'},
                                             {"file", required_argument, 0, 'f'},
                                             {"bootstrap", required_argument, 0, 'b'},
                                             {"property", required_argument, 0, 'P'},
                                             {"timeout-ms", required_argument, 0, 'T'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    cli_kafka k = {.timeout_ms = WR_KAFKA_DEFAULT_TIMEOUT_MS};
    const char *topic = NULL, *file = NULL;
    bool parse_key = false;
    char *key_sep = wr_xstrdup("\t");
    int rc = CLI_OK, c;
    int64_t v;
    FILE *in = NULL;
    rd_kafka_t *rk = NULL;
    char *line = NULL;
    char err[512];

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hX:", longopts, NULL)) != -1) {
        switch (c) {
        case 't':
            topic = optarg;
            break;
        case 'f':
            file = optarg;
            break;
        case 'b':
            k.bootstrap = optarg;
            break;
        case 'X':
            wr_strlist_push(&k.props, optarg);
            break;
        case 'T':
            if (!cli_int_opt("produce", "--timeout-ms", optarg, 1, 86400000, &v)) rc = CLI_USAGE;
            k.timeout_ms = (int)v;
            break;
        case 'P': {
            char *key, *val;
            if (!wr_split_kv(optarg, '=', &key, &val)) {
                rc = cli_error("produce", CLI_USAGE, "--property %s: expected key=value", optarg);
                break;
            }
            if (!strcmp(key, "parse.key")) {
                if (!cli_bool_value("produce", key, val, &parse_key)) rc = CLI_USAGE;
            } else if (!strcmp(key, "key.separator")) {
                free(key_sep);
                key_sep = cli_unescape(val);
                if (!*key_sep)
                    rc = cli_error("produce", CLI_USAGE, "key.separator must not be empty");
            } else {
                rc = cli_error("produce", CLI_USAGE,
                               "unknown property '%s' (accepted: parse.key, key.separator)", key);
            }
            free(key);
            free(val);
            break;
        }
        case 'h':
            fputs(help, stdout);
            goto out;
        default:
            rc = cli_bad_option("produce", c, argv);
            break;
        }
        if (rc) goto out;
    }
    if (optind < argc) {
        rc = cli_error("produce", CLI_USAGE, "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    if (!topic || !*topic) {
        rc = cli_error("produce", CLI_USAGE, "--topic is required");
        goto out;
    }
    in = file ? fopen(file, "rb") : stdin;
    if (!in) {
        rc = cli_error("produce", CLI_FAIL, "cannot open %s: %s", file, strerror(errno));
        goto out;
    }

    rd_kafka_conf_t *conf = wr_kafka_conf_new(k.bootstrap, NULL, err, sizeof err);
    /* Big lines (up to 64 MB) are allowed; the broker still applies its own limit.
     * Without sticky placement every message goes through `place`. */
    if (!conf || !wr_kafka_conf_set(conf, "message.max.bytes", "67108864", err, sizeof err) ||
        !wr_kafka_conf_set(conf, "linger.ms", "5", err, sizeof err) ||
        !wr_kafka_conf_set(conf, "sticky.partitioning.linger.ms", "0", err, sizeof err)) {
        rc = cli_error("produce", CLI_USAGE, "%s", err);
        if (conf) rd_kafka_conf_destroy(conf);
        goto out;
    }
    bool own_partitioner = false; /* -X partitioner=...: librdkafka's, as asked */
    for (int i = 0; i < k.props.n; i++)
        own_partitioner |= !strncmp(k.props.items[i], "partitioner=", 12);
    if (!own_partitioner) {
        rd_kafka_topic_conf_t *tconf = rd_kafka_topic_conf_new();
        rd_kafka_topic_conf_set_partitioner_cb(tconf, place);
        rd_kafka_conf_set_default_topic_conf(conf, tconf);
    }
    next_partition = (unsigned)(wr_wall_ms() ^ getpid());
    char tmo[32];
    snprintf(tmo, sizeof tmo, "%d", k.timeout_ms);
    wr_kafka_conf_set(conf, "message.timeout.ms", tmo, NULL, 0);
    if (!wr_kafka_conf_apply(conf, &k.props, err, sizeof err)) {
        rd_kafka_conf_destroy(conf);
        rc = cli_error("produce", CLI_USAGE, "%s", err);
        goto out;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rk = wr_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        rc = cli_error("produce", CLI_FAIL, "%s", err);
        goto out;
    }
    if (!wr_kafka_probe(rk, k.timeout_ms, NULL, err, sizeof err)) {
        rc = cli_error("produce", CLI_FAIL, "%s", err);
        goto out;
    }
    /* A real cluster applies its own message.max.bytes (and reports a bigger
     * message as not delivered); the embedded broker would take it and lose it. */
    bool embedded = wr_kafka_is_embedded(rk);

    delivery d = {0};
    size_t cap = 0, seplen = strlen(key_sep);
    ssize_t n;
    long lineno = 0;
    char sent[64];
    while ((n = getline(&line, &cap, in)) >= 0) {
        lineno++;
        size_t len = (size_t)n;
        if (len && line[len - 1] == '\n') len--;
        const char *val = line, *key = NULL;
        size_t vlen = len, klen = 0;
        if (parse_key) {
            const char *s = memmem(line, len, key_sep, seplen);
            if (!s) {
                rc = cli_error("produce", CLI_FAIL, "line %ld has no key separator; %s", lineno,
                               sent_before(lineno, sent, sizeof sent));
                break;
            }
            key = line;
            klen = (size_t)(s - line);
            val = s + seplen;
            vlen = len - klen - seplen;
        }
        if (embedded && klen + vlen > WR_BROKER_MAX_MESSAGE) {
            rc = cli_error("produce", CLI_FAIL,
                           "line %ld is a message of %zu bytes; the embedded broker keeps at most "
                           "%d bytes a message (5 MB a partition); %s",
                           lineno, klen + vlen, WR_BROKER_MAX_MESSAGE,
                           sent_before(lineno, sent, sizeof sent));
            break;
        }
        for (;;) {
            rd_kafka_resp_err_t e = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_VALUE((void *)val, vlen),
                RD_KAFKA_V_KEY((void *)key, klen), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_OPAQUE(&d), RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(rk, 10);
                continue;
            }
            if (e) {
                rc = cli_error("produce", CLI_FAIL, "line %ld: %s", lineno, rd_kafka_err2str(e));
                goto flush;
            }
            break;
        }
        rd_kafka_poll(rk, 0);
    }
    if (ferror(in)) rc = cli_error("produce", CLI_FAIL, "read error: %s", strerror(errno));
flush:
    rd_kafka_flush(rk, k.timeout_ms + 5000);
    if (rd_kafka_outq_len(rk) > 0 && !d.failed)
        snprintf(d.first_error, sizeof d.first_error, "timed out waiting for delivery");
    long undelivered = d.failed + rd_kafka_outq_len(rk);
    if (undelivered > 0)
        rc = cli_error("produce", CLI_FAIL, "%ld of %ld messages were not delivered to %s: %s",
                       undelivered, d.delivered + undelivered, topic, d.first_error);
    if (embedded) warn_deleted(rk, topic, &d);
    free(d.first);

out:
    free(line);
    if (in && in != stdin) fclose(in);
    wr_kafka_destroy(rk);
    wr_strlist_free(&k.props);
    free(key_sep);
    return rc;
}
