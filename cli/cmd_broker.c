/* `weir broker`: runs the embedded development broker in the foreground until
 * SIGINT or SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "broker/wr_broker.h"
#include "cli/cli.h"

static const char help[] =
    "usage: weir broker [--port N] [--topic NAME[:PARTITIONS]]...\n"
    "\n"
    "Runs librdkafka's mock cluster, a real Kafka protocol server, in this process.\n"
    "  --port N       loopback port clients bootstrap from (default 9092; 0 picks one)\n"
    "  --topic T[:P]  create topic T with P partitions (default 1); repeatable\n"
    "Memory only: everything is gone when it stops. Each partition keeps only its\n"
    "most recent 5 MB (and 100000 batches); older messages are deleted, and each\n"
    "deletion is reported on stderr (topic, partition, offsets).\n";

int cmd_broker(int argc, char **argv) {
    static const struct option longopts[] = {{"port", required_argument, 0, 'p'},
                                             {"topic", required_argument, 0, 't'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    int64_t port = 9092;
    char **names = NULL;
    int *parts = NULL, ntopics = 0, rc = CLI_OK;
    char err[512];
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (!cli_int_opt("broker", "--port", optarg, 0, 65535, &port)) rc = CLI_USAGE;
            break;
        case 't':
            names = wr_xrealloc(names, (size_t)(ntopics + 1) * sizeof *names);
            parts = wr_xrealloc(parts, (size_t)(ntopics + 1) * sizeof *parts);
            if (wr_broker_parse_topic(optarg, &names[ntopics], &parts[ntopics], err, sizeof err)) {
                rc = cli_error("broker", CLI_USAGE, "%s", err);
                break;
            }
            ntopics++;
            break;
        case 'h':
            fputs(help, stdout);
            goto out;
        default:
            rc = cli_bad_option("broker", c, argv);
            break;
        }
        if (rc) goto out;
    }
    if (optind < argc) {
        rc = cli_error("broker", CLI_USAGE, "unexpected argument '%s'", argv[optind]);
        goto out;
    }

    /* Block the stop signals before any thread starts, then wait for them here. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    wr_broker *b = wr_broker_start((int)port, err, sizeof err);
    if (!b) {
        rc = cli_error("broker", CLI_FAIL, "%s", err);
        goto out;
    }
    for (int i = 0; i < ntopics; i++) {
        if (wr_broker_create_topic(b, names[i], parts[i], err, sizeof err)) {
            wr_broker_stop(b);
            rc = cli_error("broker", CLI_FAIL, "%s", err);
            goto out;
        }
    }
    printf("weir broker: librdkafka %s mock cluster, memory only\n", rd_kafka_version_str());
    printf("bootstrap: %s\n", wr_broker_bootstrap(b));
    for (int i = 0; i < ntopics; i++)
        printf("topic: %s (%d partition%s)\n", names[i], parts[i], parts[i] == 1 ? "" : "s");
    printf("each partition keeps its most recent 5 MB; Ctrl-C stops\n");
    fflush(stdout);

    /* Until a stop signal, report each second what retention deleted. */
    int sig;
    for (;;) {
        struct timespec tick = {1, 0};
        sig = sigtimedwait(&stop, NULL, &tick);
        if (sig == SIGINT || sig == SIGTERM) break;
        wr_broker_report_retention(b, stderr);
    }
    fprintf(stderr, "weir broker: %s received, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    wr_broker_stop(b);

out:
    for (int i = 0; i < ntopics; i++)
        free(names[i]);
    free(names);
    free(parts);
    return rc;
}
