/* `weir consume`: prints a topic's messages the way kafka-console-consumer
 * does for the same options. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "kafka/wr_kafka.h"

static const char help[] =
    "usage: weir consume --topic T [--from-beginning] [--group G] [--partition P]\n"
    "                    [--offset earliest|latest|N] [--max-messages N] [--timeout-ms MS]\n"
    "                    [--property NAME=VALUE]... [--bootstrap HOST:PORT] [-X key=value]...\n"
    "\n"
    "  --from-beginning   start at the earliest offset when there is no committed offset\n"
    "  --group G          consumer group (offsets are committed); default: a fresh group,\n"
    "                     nothing committed\n"
    "  --partition P      read only partition P (with --offset: where to start)\n"
    "  --max-messages N   exit after N messages\n"
    "  --timeout-ms MS    exit when no message arrives for MS milliseconds (also bounds\n"
    "                     the wait for the cluster, default 10000); a group that gives\n"
    "                     no partitions within 2 x session.timeout.ms + 10 s is an error\n"
    "  --property         print.key, print.value, print.timestamp, print.partition,\n"
    "                     print.offset (true|false), key.separator, line.separator\n";

typedef struct print_opts {
    bool key, value, timestamp, partition, offset;
    char *key_sep;
    char *line_sep;
} print_opts;

static volatile sig_atomic_t stop_requested;
static void on_stop(int sig) {
    (void)sig;
    stop_requested = 1;
}

/* Set once the group has answered our join with an assignment (possibly empty:
 * a group with more members than partitions). */
static bool group_answered;

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
    (void)opaque;
    bool coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    rd_kafka_error_t *e = NULL;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        group_answered = true;
        if (coop)
            e = rd_kafka_incremental_assign(rk, parts);
        else
            rd_kafka_assign(rk, parts);
    } else if (coop) {
        e = rd_kafka_incremental_unassign(rk, parts);
    } else {
        rd_kafka_assign(rk, NULL);
    }
    if (e) rd_kafka_error_destroy(e);
}

/* How long a consumer with --timeout-ms waits for its group to answer: twice
 * its session.timeout.ms and 10 s (the coordinator may first wait for a vanished
 * member's session to end, then for the others to rejoin), 20 s on the
 * embedded broker, 100 s with librdkafka's default 45 s session. */
static int join_wait_ms(rd_kafka_t *rk) {
    char v[32];
    size_t n = sizeof v;
    int64_t session = 45000;
    if (rd_kafka_conf_get(rd_kafka_conf(rk), "session.timeout.ms", v, &n) == RD_KAFKA_CONF_OK)
        wr_parse_i64(v, 1, 3600000, &session);
    return (int)(2 * session + 10000);
}

static void sep(FILE *out, const print_opts *p, bool more) {
    fputs(more ? p->key_sep : p->line_sep, out);
}

/* Field order and separators follow Kafka's DefaultMessageFormatter. */
static void print_message(FILE *out, const print_opts *p, const rd_kafka_message_t *m) {
    if (p->timestamp) {
        rd_kafka_timestamp_type_t tt;
        int64_t ts = rd_kafka_message_timestamp(m, &tt);
        if (tt == RD_KAFKA_TIMESTAMP_CREATE_TIME)
            fprintf(out, "CreateTime:%lld", (long long)ts);
        else if (tt == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME)
            fprintf(out, "LogAppendTime:%lld", (long long)ts);
        else
            fputs("NO_TIMESTAMP", out);
        sep(out, p, p->partition || p->offset || p->key || p->value);
    }
    if (p->partition) {
        fprintf(out, "Partition:%d", (int)m->partition);
        sep(out, p, p->offset || p->key || p->value);
    }
    if (p->offset) {
        fprintf(out, "Offset:%lld", (long long)m->offset);
        sep(out, p, p->key || p->value);
    }
    if (p->key) {
        if (m->key)
            fwrite(m->key, 1, m->key_len, out);
        else
            fputs("null", out);
        sep(out, p, p->value);
    }
    if (p->value) {
        if (m->payload)
            fwrite(m->payload, 1, m->len, out);
        else
            fputs("null", out);
        fputs(p->line_sep, out);
    }
}

static bool set_property(print_opts *p, const char *arg) {
    char *key, *val;
    if (!wr_split_kv(arg, '=', &key, &val)) {
        cli_error("consume", CLI_USAGE, "--property %s: expected NAME=VALUE", arg);
        return false;
    }
    bool ok = true;
    struct {
        const char *name;
        bool *flag;
    } flags[] = {{"print.key", &p->key},
                 {"print.value", &p->value},
                 {"print.timestamp", &p->timestamp},
                 {"print.partition", &p->partition},
                 {"print.offset", &p->offset}};
    size_t i;
    for (i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (!strcmp(key, flags[i].name)) break;
    if (i < sizeof flags / sizeof flags[0]) {
        ok = cli_bool_value("consume", key, val, flags[i].flag);
    } else if (!strcmp(key, "key.separator")) {
        free(p->key_sep);
        p->key_sep = cli_unescape(val);
    } else if (!strcmp(key, "line.separator")) {
        free(p->line_sep);
        p->line_sep = cli_unescape(val);
    } else {
        cli_error("consume", CLI_USAGE,
                  "unknown property '%s' (accepted: print.key, print.value, print.timestamp, "
                  "print.partition, print.offset, key.separator, line.separator)",
                  key);
        ok = false;
    }
    free(key);
    free(val);
    return ok;
}

int cmd_consume(int argc, char **argv) {
    static const struct option longopts[] = {{"topic", required_argument, 0, 't'},
                                             {"bootstrap", required_argument, 0, 'b'},
                                             {"from-beginning", no_argument, 0, 'B'},
                                             {"group", required_argument, 0, 'g'},
                                             {"partition", required_argument, 0, 'p'},
                                             {"offset", required_argument, 0, 'o'},
                                             {"max-messages", required_argument, 0, 'm'},
                                             {"timeout-ms", required_argument, 0, 'T'},
                                             {"property", required_argument, 0, 'P'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    cli_kafka k = {0};
    print_opts p = {.value = true, .key_sep = wr_xstrdup("\t"), .line_sep = wr_xstrdup("\n")};
    const char *topic = NULL, *group = NULL, *offset_arg = NULL;
    bool from_beginning = false;
    int64_t partition = -1, max_messages = -1, timeout_ms = -1;
    int64_t start_offset = RD_KAFKA_OFFSET_END;
    int rc = CLI_OK, c;
    rd_kafka_t *rk = NULL;
    const rd_kafka_metadata_t *md = NULL;
    char err[512];

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hX:", longopts, NULL)) != -1) {
        switch (c) {
        case 't':
            topic = optarg;
            break;
        case 'b':
            k.bootstrap = optarg;
            break;
        case 'X':
            wr_strlist_push(&k.props, optarg);
            break;
        case 'B':
            from_beginning = true;
            break;
        case 'g':
            group = optarg;
            break;
        case 'o':
            offset_arg = optarg;
            break;
        case 'p':
            if (!cli_int_opt("consume", "--partition", optarg, 0, INT32_MAX, &partition))
                rc = CLI_USAGE;
            break;
        case 'm':
            if (!cli_int_opt("consume", "--max-messages", optarg, 1, INT64_MAX, &max_messages))
                rc = CLI_USAGE;
            break;
        case 'T':
            if (!cli_int_opt("consume", "--timeout-ms", optarg, 1, 86400000, &timeout_ms))
                rc = CLI_USAGE;
            break;
        case 'P':
            if (!set_property(&p, optarg)) rc = CLI_USAGE;
            break;
        case 'h':
            fputs(help, stdout);
            goto out;
        default:
            rc = cli_bad_option("consume", c, argv);
            break;
        }
        if (rc) goto out;
    }
    if (optind < argc) {
        rc = cli_error("consume", CLI_USAGE, "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    if (!topic || !*topic) {
        rc = cli_error("consume", CLI_USAGE, "--topic is required");
        goto out;
    }
    if (offset_arg) {
        if (partition < 0) {
            rc = cli_error("consume", CLI_USAGE, "--offset needs --partition");
            goto out;
        }
        if (from_beginning) {
            rc = cli_error("consume", CLI_USAGE,
                           "--from-beginning and --offset cannot be used together");
            goto out;
        }
        if (!strcmp(offset_arg, "earliest"))
            start_offset = RD_KAFKA_OFFSET_BEGINNING;
        else if (!strcmp(offset_arg, "latest"))
            start_offset = RD_KAFKA_OFFSET_END;
        else if (!wr_parse_i64(offset_arg, 0, INT64_MAX, &start_offset)) {
            rc = cli_error("consume", CLI_USAGE,
                           "--offset must be earliest, latest or a non-negative number, got '%s'",
                           offset_arg);
            goto out;
        }
    } else if (from_beginning) {
        start_offset = RD_KAFKA_OFFSET_BEGINNING;
    }

    rd_kafka_conf_t *conf = wr_kafka_conf_new(k.bootstrap, NULL, err, sizeof err);
    char *gen_group = NULL;
    if (!group) gen_group = wr_xasprintf("weir-console-consumer-%d", (int)(wr_wall_ms() % 100000));
    bool ok =
        conf && wr_kafka_conf_set(conf, "group.id", group ? group : gen_group, err, sizeof err) &&
        wr_kafka_conf_set(conf, "auto.offset.reset", from_beginning ? "earliest" : "latest", err,
                          sizeof err) &&
        /* Only a named group keeps offsets, as kafka-console-consumer does. */
        wr_kafka_conf_set(conf, "enable.auto.commit", group ? "true" : "false", err, sizeof err) &&
        wr_kafka_conf_apply(conf, &k.props, err, sizeof err);
    free(gen_group);
    if (!ok) {
        if (conf) rd_kafka_conf_destroy(conf);
        rc = cli_error("consume", CLI_USAGE, "%s", err);
        goto out;
    }
    bool subscribe = partition < 0;
    if (subscribe) rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    /* A second client with the embedded broker's group timing, if it is one. */
    rd_kafka_conf_t *embedded_conf = subscribe ? rd_kafka_conf_dup(conf) : NULL;
    rk = wr_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) {
        if (embedded_conf) rd_kafka_conf_destroy(embedded_conf);
        rc = cli_error("consume", CLI_FAIL, "%s", err);
        goto out;
    }
    if (!wr_kafka_probe(rk, timeout_ms > 0 ? (int)timeout_ms : WR_KAFKA_DEFAULT_TIMEOUT_MS, &md,
                        err, sizeof err)) {
        if (embedded_conf) rd_kafka_conf_destroy(embedded_conf);
        rc = cli_error("consume", CLI_FAIL, "%s", err);
        goto out;
    }
    if (embedded_conf && wr_kafka_is_embedded(rk)) {
        /* Nothing was joined yet: replacing the client costs a connection. */
        wr_kafka_conf_embedded_group(embedded_conf, &k.props);
        wr_kafka_destroy(rk);
        rk = wr_kafka_new(RD_KAFKA_CONSUMER, embedded_conf, err, sizeof err);
        if (!rk) {
            rc = cli_error("consume", CLI_FAIL, "%s", err);
            goto out;
        }
    } else if (embedded_conf) {
        rd_kafka_conf_destroy(embedded_conf);
    }
    const rd_kafka_metadata_topic_t *mt = wr_kafka_md_topic(md, topic);
    if (!mt || mt->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
        rc = cli_error("consume", CLI_FAIL,
                       "topic '%s' does not exist ('weir topics list' shows "
                       "the topics)",
                       topic);
        goto out;
    }
    if (partition >= mt->partition_cnt) {
        rc = cli_error("consume", CLI_FAIL, "topic '%s' has no partition %lld (it has %d)", topic,
                       (long long)partition, mt->partition_cnt);
        goto out;
    }
    rd_kafka_poll_set_consumer(rk);

    /* From here on a stop request ends the loop below, which closes the consumer:
     * it leaves its group at once instead of holding it for a session timeout. */
    struct sigaction sa = {.sa_handler = on_stop};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    rd_kafka_topic_partition_list_t *tl = rd_kafka_topic_partition_list_new(1);
    rd_kafka_resp_err_t e;
    if (!subscribe) {
        rd_kafka_topic_partition_list_add(tl, topic, (int32_t)partition)->offset =
            offset_arg || !group ? start_offset : RD_KAFKA_OFFSET_STORED;
        e = rd_kafka_assign(rk, tl);
    } else {
        rd_kafka_topic_partition_list_add(tl, topic, RD_KAFKA_PARTITION_UA);
        e = rd_kafka_subscribe(rk, tl);
    }
    rd_kafka_topic_partition_list_destroy(tl);
    if (e) {
        rc = cli_error("consume", CLI_FAIL, "cannot read %s: %s", topic, rd_kafka_err2str(e));
        goto out;
    }

    long count = 0;
    int64_t last = wr_now_ms();
    /* --timeout-ms counts idle time once the group has answered: joining takes
     * a few seconds, and is bounded separately. */
    int join_wait = join_wait_ms(rk);
    int64_t join_deadline = last + join_wait;
    while (!stop_requested && (max_messages < 0 || count < max_messages)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m) {
            fflush(stdout);
            bool joined = !subscribe || group_answered;
            if (!joined && timeout_ms > 0 && wr_now_ms() >= join_deadline) {
                char who[300] = "its fresh group";
                if (group) snprintf(who, sizeof who, "group '%s'", group);
                rc = cli_error("consume", CLI_FAIL,
                               "%s gave this consumer no partitions within %d s (its coordinator "
                               "did not answer, or it is still rebalancing)",
                               who, join_wait / 1000);
                break;
            }
            if (!joined) last = wr_now_ms();
            if (timeout_ms > 0 && wr_now_ms() - last >= timeout_ms) break;
            continue;
        }
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                rc = cli_error("consume", CLI_FAIL, "%s", rd_kafka_message_errstr(m));
                rd_kafka_message_destroy(m);
                break;
            }
            rd_kafka_message_destroy(m);
            continue;
        }
        print_message(stdout, &p, m);
        rd_kafka_message_destroy(m);
        count++;
        last = wr_now_ms();
    }
    fflush(stdout);
    fprintf(stderr, "Processed a total of %ld messages\n", count);
    rd_kafka_consumer_close(rk);

out:
    if (md) rd_kafka_metadata_destroy(md);
    wr_kafka_destroy(rk);
    wr_strlist_free(&k.props);
    free(p.key_sep);
    free(p.line_sep);
    return rc;
}
