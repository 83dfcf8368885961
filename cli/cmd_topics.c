/* `weir topics list | describe | create | delete`: the everyday kafka-topics
 * operations, through metadata requests and the admin API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "kafka/wr_kafka.h"

static const char help[] =
    "usage: weir topics list     [--bootstrap HOST:PORT] [-X key=value]...\n"
    "       weir topics describe [--topic T]\n"
    "       weir topics create   --topic T [--partitions N] [--replication-factor R]\n"
    "                            [--config key=value]...\n"
    "       weir topics delete   --topic T\n"
    "\n"
    "  --partitions / --replication-factor default to the broker's defaults.\n"
    "  --timeout-ms MS  how long to wait for the cluster (default 10000)\n"
    "The embedded broker supports no CreateTopics/DeleteTopics: give it --topic at start\n"
    "(producing to an unknown topic there creates it with 4 partitions).\n";

static int cmp_topic(const void *a, const void *b) {
    const rd_kafka_metadata_topic_t *x = a, *y = b;
    return strcmp(x->topic, y->topic);
}

static int cmp_part(const void *a, const void *b) {
    const rd_kafka_metadata_partition_t *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static void print_ids(const int32_t *ids, int n) {
    for (int i = 0; i < n; i++)
        printf("%s%d", i ? "," : "", (int)ids[i]);
}

/* Same layout as kafka-topics --describe. */
static void describe_topic(const rd_kafka_metadata_topic_t *t) {
    rd_kafka_metadata_partition_t *parts =
        wr_xmalloc(sizeof *parts * (size_t)(t->partition_cnt + 1));
    memcpy(parts, t->partitions, sizeof *parts * (size_t)t->partition_cnt);
    qsort(parts, (size_t)t->partition_cnt, sizeof *parts, cmp_part);
    printf("Topic: %s\tPartitionCount: %d\tReplicationFactor: %d\n", t->topic, t->partition_cnt,
           t->partition_cnt ? parts[0].replica_cnt : 0);
    for (int i = 0; i < t->partition_cnt; i++) {
        printf("\tTopic: %s\tPartition: %d\tLeader: %d\tReplicas: ", t->topic, (int)parts[i].id,
               (int)parts[i].leader);
        print_ids(parts[i].replicas, parts[i].replica_cnt);
        printf("\tIsr: ");
        print_ids(parts[i].isrs, parts[i].isr_cnt);
        putchar('\n');
    }
    free(parts);
}

static int list_or_describe(rd_kafka_t *rk, bool describe, const char *topic, int timeout_ms) {
    const char *cmd = "topics";
    const rd_kafka_metadata_t *md = NULL;
    char err[512];
    if (!wr_kafka_probe(rk, timeout_ms, &md, err, sizeof err))
        return cli_error(cmd, CLI_FAIL, "%s", err);
    int rc = CLI_OK;
    if (topic) {
        const rd_kafka_metadata_topic_t *t = wr_kafka_md_topic(md, topic);
        if (!t || t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
            rc = cli_error(cmd, CLI_FAIL, "topic '%s' does not exist", topic);
        else
            describe ? describe_topic(t) : (void)printf("%s\n", t->topic);
    } else {
        rd_kafka_metadata_topic_t *ts = wr_xmalloc(sizeof *ts * (size_t)(md->topic_cnt + 1));
        memcpy(ts, md->topics, sizeof *ts * (size_t)md->topic_cnt);
        qsort(ts, (size_t)md->topic_cnt, sizeof *ts, cmp_topic);
        for (int i = 0; i < md->topic_cnt; i++)
            describe ? describe_topic(&ts[i]) : (void)printf("%s\n", ts[i].topic);
        free(ts);
    }
    rd_kafka_metadata_destroy(md);
    return rc;
}

/* Runs one CreateTopics or DeleteTopics request and reports its outcome. */
static int admin_op(rd_kafka_t *rk, bool create, const char *topic, int partitions, int rf,
                    const wr_strlist *configs, int timeout_ms) {
    const char *cmd = "topics";
    char err[512];
    const rd_kafka_metadata_t *md = NULL;
    if (!wr_kafka_probe(rk, timeout_ms, &md, err, sizeof err))
        return cli_error(cmd, CLI_FAIL, "%s", err);
    /* Admin requests go to the controller. A cluster whose controller is not one
     * of its brokers (librdkafka's mock cluster) cannot create or delete topics. */
    int32_t controller = rd_kafka_controllerid(rk, timeout_ms);
    bool has_controller = false;
    for (int i = 0; i < md->broker_cnt; i++)
        has_controller |= md->brokers[i].id == controller;
    rd_kafka_metadata_destroy(md);
    if (!has_controller)
        return cli_error(cmd, CLI_FAIL, "the broker does not support %s (it has no controller)%s",
                         create ? "CreateTopics" : "DeleteTopics",
                         create ? "; with 'weir broker' create topics with --topic NAME:PARTITIONS"
                                : "");
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *opts = rd_kafka_AdminOptions_new(
        rk, create ? RD_KAFKA_ADMIN_OP_CREATETOPICS : RD_KAFKA_ADMIN_OP_DELETETOPICS);
    rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, NULL, 0);
    rd_kafka_AdminOptions_set_operation_timeout(opts, timeout_ms, NULL, 0);
    int rc = CLI_OK;
    if (create) {
        rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, rf, err, sizeof err);
        if (!nt) {
            rc = cli_error(cmd, CLI_USAGE, "%s", err);
            goto done;
        }
        for (int i = 0; configs && i < configs->n; i++) {
            char *k, *v;
            if (!wr_split_kv(configs->items[i], '=', &k, &v)) {
                rd_kafka_NewTopic_destroy(nt);
                rc =
                    cli_error(cmd, CLI_USAGE, "--config %s: expected key=value", configs->items[i]);
                goto done;
            }
            rd_kafka_NewTopic_set_config(nt, k, v);
            free(k);
            free(v);
        }
        rd_kafka_CreateTopics(rk, &nt, 1, opts, q);
        rd_kafka_NewTopic_destroy(nt);
    } else {
        rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(topic);
        rd_kafka_DeleteTopics(rk, &dt, 1, opts, q);
        rd_kafka_DeleteTopic_destroy(dt);
    }
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms + 5000);
    const char *what = create ? "create" : "delete";
    const char *api = create ? "CreateTopics" : "DeleteTopics";
    if (!ev) {
        rc = cli_error(cmd, CLI_FAIL, "%s %s: no answer from the cluster within %d ms", what, topic,
                       timeout_ms);
        goto done;
    }
    rd_kafka_resp_err_t e = rd_kafka_event_error(ev);
    const rd_kafka_topic_result_t **res = NULL;
    size_t n = 0;
    if (!e) {
        res = create
                  ? rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n)
                  : rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
        if (n > 0 && rd_kafka_topic_result_error(res[0])) e = rd_kafka_topic_result_error(res[0]);
    }
    if (e == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE || e == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION ||
        e == RD_KAFKA_RESP_ERR_INVALID_REQUEST)
        rc = cli_error(
            cmd, CLI_FAIL, "the broker does not support %s (%s topic %s)%s", api, what, topic,
            create ? "; with 'weir broker' create topics with --topic NAME:PARTITIONS" : "");
    else if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        rc = cli_error(cmd, CLI_FAIL, "topic '%s' already exists", topic);
    else if (e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        rc = cli_error(cmd, CLI_FAIL, "topic '%s' does not exist", topic);
    else if (e) {
        const char *detail = n > 0 ? rd_kafka_topic_result_error_string(res[0]) : NULL;
        rc = cli_error(cmd, CLI_FAIL, "%s %s: %s", what, topic,
                       detail && *detail ? detail : rd_kafka_event_error_string(ev));
    } else
        printf("%s topic %s.\n", create ? "Created" : "Deleted", topic);
    rd_kafka_event_destroy(ev);
done:
    rd_kafka_AdminOptions_destroy(opts);
    rd_kafka_queue_destroy(q);
    return rc;
}

int cmd_topics(int argc, char **argv) {
    static const struct option longopts[] = {{"topic", required_argument, 0, 't'},
                                             {"bootstrap", required_argument, 0, 'b'},
                                             {"partitions", required_argument, 0, 'p'},
                                             {"replication-factor", required_argument, 0, 'r'},
                                             {"config", required_argument, 0, 'c'},
                                             {"timeout-ms", required_argument, 0, 'T'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    const char *cmd = "topics";
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    const char *action = argv[1];
    bool list = !strcmp(action, "list"), describe = !strcmp(action, "describe"),
         create = !strcmp(action, "create"), del = !strcmp(action, "delete");
    if (!list && !describe && !create && !del)
        return cli_error(cmd, CLI_USAGE,
                         "unknown action '%s' (accepted: list, describe, create, delete)", action);

    cli_kafka k = {.timeout_ms = WR_KAFKA_DEFAULT_TIMEOUT_MS};
    wr_strlist configs = {0};
    const char *topic = NULL;
    int64_t partitions = -1, rf = -1, v;
    int rc = CLI_OK, c;
    rd_kafka_t *rk = NULL;
    char err[512];

    opterr = 0;
    optind = 2;
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
        case 'c':
            wr_strlist_push(&configs, optarg);
            break;
        case 'p':
            if (!cli_int_opt(cmd, "--partitions", optarg, 1, 1000000, &partitions)) rc = CLI_USAGE;
            break;
        case 'r':
            if (!cli_int_opt(cmd, "--replication-factor", optarg, 1, 32767, &rf)) rc = CLI_USAGE;
            break;
        case 'T':
            if (!cli_int_opt(cmd, "--timeout-ms", optarg, 1, 86400000, &v)) rc = CLI_USAGE;
            k.timeout_ms = (int)v;
            break;
        case 'h':
            fputs(help, stdout);
            goto out;
        default:
            rc = cli_bad_option(cmd, c, argv);
            break;
        }
        if (rc) goto out;
    }
    if (optind < argc) {
        rc = cli_error(cmd, CLI_USAGE, "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    if ((create || del) && (!topic || !*topic)) {
        rc = cli_error(cmd, CLI_USAGE, "%s needs --topic", action);
        goto out;
    }
    if (!create && (partitions >= 0 || rf >= 0 || configs.n)) {
        rc = cli_error(cmd, CLI_USAGE,
                       "--partitions, --replication-factor and --config apply to create only");
        goto out;
    }
    rd_kafka_conf_t *conf = wr_kafka_conf_new(k.bootstrap, &k.props, err, sizeof err);
    if (!conf) {
        rc = cli_error(cmd, CLI_USAGE, "%s", err);
        goto out;
    }
    rk = wr_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        rc = cli_error(cmd, CLI_FAIL, "%s", err);
        goto out;
    }
    if (list || describe)
        rc = list_or_describe(rk, describe, topic, k.timeout_ms);
    else
        rc = admin_op(rk, create, topic, (int)partitions, (int)rf, &configs, k.timeout_ms);
out:
    wr_kafka_destroy(rk);
    wr_strlist_free(&k.props);
    wr_strlist_free(&configs);
    return rc;
}
