/* Tests of the embedded broker: the `weir broker` process (port relay, topics,
 * clean stop on SIGTERM/SIGINT) seen through our commands and a third-party client. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/wr_broker.h"
#include "support.h"

static pid_t broker_pid;
static int broker_fd, broker_err; /* its stdout and stderr */
static char *bootstrap;

static void start_broker(void) {
    broker_pid = wrt_spawn_err(
        (const char *const[]){"broker", "--port", "0", "--topic", "t1:3", "--topic", "solo", NULL},
        &broker_fd, &broker_err);
    bootstrap = wrt_read_line_with(broker_fd, "bootstrap: ", 10000);
    cr_assert_not_null(bootstrap, "weir broker printed no bootstrap address");
    cr_assert(!strncmp(bootstrap, "localhost:", 10), "bootstrap was %s", bootstrap);
}

static void stop_broker(void) {
    if (broker_pid > 0) {
        kill(broker_pid, SIGKILL);
        wrt_wait(broker_pid, 5000);
    }
    close(broker_fd);
    close(broker_err);
    free(bootstrap);
}

TestSuite(broker, .init = start_broker, .fini = stop_broker);

Test(broker, lines_round_trip_through_the_relayed_port) {
    const char *lines = "alpha\nbeta gamma\n\ndelta\n";
    wrt_result p = WRT_RUN(lines, "produce", "--topic", "solo", "--bootstrap", bootstrap);
    cr_assert_eq(p.status, 0, "produce failed: %s", p.err);
    wrt_result c = WRT_RUN(NULL, "consume", "--topic", "solo", "--bootstrap", bootstrap,
                           "--from-beginning", "--max-messages", "4");
    cr_assert_eq(c.status, 0, "consume failed: %s", c.err);
    cr_assert_str_eq(c.out, lines);
    cr_assert(strstr(c.err, "Processed a total of 4 messages"), "stderr: %s", c.err);
    wrt_result_free(&p);
    wrt_result_free(&c);
}

Test(broker, topics_created_at_start_are_described) {
    wrt_result r = WRT_RUN(NULL, "topics", "describe", "--topic", "t1", "--bootstrap", bootstrap);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "Topic: t1\tPartitionCount: 3\tReplicationFactor: 1\n"), "%s", r.out);
    cr_assert_eq(wrt_count_lines(r.out, r.outlen), 4);
    wrt_result_free(&r);
    r = WRT_RUN(NULL, "topics", "list", "--bootstrap", bootstrap);
    cr_assert_str_eq(r.out, "solo\nt1\n");
    wrt_result_free(&r);
}

Test(broker, third_party_client_lists_the_topics) {
    if (access("/usr/bin/kcat", X_OK) != 0)
        cr_skip_test("kcat is not installed (scripts/deps.sh installs it)");
    char cmd[256];
    snprintf(cmd, sizeof cmd, "kcat -b %s -L -m 10 2>&1", bootstrap);
    FILE *f = popen(cmd, "r");
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    cr_assert_eq(pclose(f), 0, "kcat failed: %s", buf);
    cr_assert(strstr(buf, "topic \"t1\" with 3 partitions"), "%s", buf);
    cr_assert(strstr(buf, "topic \"solo\" with 1 partitions"), "%s", buf);
}

Test(broker, stops_cleanly_on_sigterm) {
    kill(broker_pid, SIGTERM);
    int st = wrt_wait(broker_pid, 5000);
    broker_pid = 0;
    cr_assert_eq(st, 0, "weir broker exited with %d after SIGTERM", st);
    char *said = wrt_read_line_containing(broker_err, "received", 1000);
    cr_assert_str_eq(said ? said : "(nothing)", "weir broker: SIGTERM received, stopping");
    free(said);
}

Test(broker, stops_cleanly_on_sigint) {
    kill(broker_pid, SIGINT);
    int st = wrt_wait(broker_pid, 5000);
    broker_pid = 0;
    cr_assert_eq(st, 0, "weir broker exited with %d after SIGINT", st);
    char *said = wrt_read_line_containing(broker_err, "received", 1000);
    cr_assert_str_eq(said ? said : "(nothing)", "weir broker: SIGINT received, stopping");
    free(said);
}

Test(broker, retention_deletions_are_reported_on_stderr) {
    /* Six 1 MiB lines on one partition: it keeps the newest 5 MB, so offsets 0
     * and 1 are deleted; the report comes within about a second (possibly in
     * two lines). */
    size_t line = 1024 * 1024, len = 6 * (line + 1);
    char *in = malloc(len);
    for (int i = 0; i < 6; i++) {
        memset(in + (size_t)i * (line + 1), 'a' + i, line);
        in[(size_t)i * (line + 1) + line] = '\n';
    }
    wrt_result p = wrt_run(
        in, len, 60,
        (const char *const[]){"produce", "--topic", "solo", "--bootstrap", bootstrap, NULL});
    free(in);
    cr_assert_eq(p.status, 0, "produce failed: %s", p.err);
    wrt_result_free(&p);
    const char *prefix = "weir broker: retention deleted solo partition 0 offsets ";
    long long next = 0;
    while (next < 2) {
        char *said = wrt_read_line_with(broker_err, prefix, 10000);
        cr_assert_not_null(said, "no report of offsets from %lld on", next);
        long long from, to;
        int used = 0;
        cr_assert_eq(sscanf(said, "%lld..%lld%n", &from, &to, &used), 2, "%s", said);
        cr_assert_eq(from, next, "%s", said);
        cr_assert_str_eq(said + used,
                         " (each partition keeps its newest 5 MB, at most 100000 batches)");
        next = to + 1;
        free(said);
    }
    cr_assert_eq(next, 2, "deleted up to offset %lld", next - 1);
}

Test(broker_cli, port_in_use_is_a_clear_error) {
    wr_broker *b = wr_broker_start(0, NULL, 0);
    cr_assert_not_null(b);
    const char *port = strchr(wr_broker_bootstrap(b), ':') + 1;
    wrt_result r = WRT_RUN(NULL, "broker", "--port", port);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "cannot listen on 127.0.0.1:") && strstr(r.err, "--port"), "%s", r.err);
    cr_assert_eq(wrt_count_lines(r.err, strlen(r.err)), 1);
    wrt_result_free(&r);
    wr_broker_stop(b);
}

Test(broker_cli, bad_topic_spec_is_refused) {
    wrt_result r = WRT_RUN(NULL, "broker", "--port", "0", "--topic", "t1:zero");
    cr_assert_eq(r.status, 2);
    cr_assert_str_eq(
        r.err, "weir broker: --topic t1:zero: partitions must be a number from 1 to 100000\n");
    wrt_result_free(&r);
    r = WRT_RUN(NULL, "broker", "--port", "70000");
    cr_assert_eq(r.status, 2);
    cr_assert_str_eq(r.err,
                     "weir broker: --port must be a whole number from 0 to 65535, got '70000'\n");
    wrt_result_free(&r);
}
