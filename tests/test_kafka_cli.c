/* Round trips and error paths of `weir produce`, `weir consume` and `weir topics`
 * against a mock cluster started in the test process (a real Kafka protocol
 * server spoken to by the real binary). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/wr_broker.h"
#include "kafka/wr_kafka.h"
#include "support.h"
#include "core/wr_core.h"

#include <arpa/inet.h>
#include <librdkafka/rdkafka_mock.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

static wr_broker *broker;
static const char *bs;

static void start(void) {
    broker = wrt_mock_start(&bs);
    char err[256];
    cr_assert_eq(wr_broker_create_topic(broker, "one", 1, err, sizeof err), 0, "%s", err);
    cr_assert_eq(wr_broker_create_topic(broker, "four", 4, err, sizeof err), 0, "%s", err);
}

static void stop(void) {
    wr_broker_stop(broker);
}

TestSuite(kafka_cli, .init = start, .fini = stop);

/* Produces `input` to topic and asserts success. */
static void produce(const char *topic, const char *input, size_t len, const char *const *extra) {
    const char *argv[16] = {"produce", "--topic", topic, "--bootstrap", bs};
    int n = 5;
    for (int i = 0; extra && extra[i]; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    wrt_result r = wrt_run(input, len, 60, argv);
    cr_assert_eq(r.status, 0, "produce failed (%d): %s", r.status, r.err);
    cr_assert_str_eq(r.err, "");
    wrt_result_free(&r);
}

Test(kafka_cli, keys_values_and_every_printed_field) {
    const char *in = "k1:v1\nk2:\n:v3\n";
    produce("one", in, strlen(in),
            (const char *const[]){"--property", "parse.key=true", "--property",
                                  "key.separator=:", NULL});
    wrt_result r = WRT_RUN(NULL, "consume", "--topic", "one", "--bootstrap", bs, "--from-beginning",
                           "--max-messages", "3", "--property", "print.key=true", "--property",
                           "print.partition=true", "--property", "print.offset=true");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "Partition:0\tOffset:0\tk1\tv1\n"
                            "Partition:0\tOffset:1\tk2\t\n"
                            "Partition:0\tOffset:2\t\tv3\n");
    wrt_result_free(&r);

    r = WRT_RUN(NULL, "consume", "--topic", "one", "--bootstrap", bs, "--partition", "0",
                "--offset", "1", "--max-messages", "1", "--property", "print.timestamp=true",
                "--property", "print.key=true", "--property", "key.separator=|");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(!strncmp(r.out, "CreateTime:", 11), "%s", r.out);
    long long ts = atoll(r.out + 11);
    cr_assert_gt(ts, 1600000000000LL);
    const char *rest = strchr(r.out, '|');
    cr_assert_str_eq(rest, "|k2|\n");
    wrt_result_free(&r);
}

Test(kafka_cli, unkeyed_messages_print_null_keys) {
    produce("one", "x\n", 2, NULL);
    wrt_result r = WRT_RUN(NULL, "consume", "--topic", "one", "--bootstrap", bs, "--from-beginning",
                           "--max-messages", "1", "--property", "print.key=true");
    cr_assert_str_eq(r.out, "null\tx\n");
    wrt_result_free(&r);
}

Test(kafka_cli, empty_messages_nul_bytes_and_a_last_line_without_newline) {
    static const char in[] = "a\0b\n\n\nend";
    produce("one", in, sizeof in - 1, NULL);
    wrt_result r = WRT_RUN(NULL, "consume", "--topic", "one", "--bootstrap", bs, "--from-beginning",
                           "--max-messages", "4");
    cr_assert_eq(r.status, 0, "%s", r.err);
    static const char want[] = "a\0b\n\n\nend\n";
    cr_assert_eq(r.outlen, sizeof want - 1);
    cr_assert_eq(memcmp(r.out, want, sizeof want - 1), 0);
    wrt_result_free(&r);
}

Test(kafka_cli, one_megabyte_message_from_a_file) {
    size_t len = 1024 * 1024;
    char *big = malloc(len + 2);
    for (size_t i = 0; i < len; i++)
        big[i] = (char)('a' + (i * 7919) % 26);
    big[len] = '\n';
    big[len + 1] = '\0';
    char path[] = "/tmp/weir-big-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_eq(write(fd, big, len + 1), (ssize_t)(len + 1));
    close(fd);
    produce("one", NULL, 0, (const char *const[]){"--file", path, NULL});
    unlink(path);
    wrt_result r = WRT_RUN(NULL, "consume", "--topic", "one", "--bootstrap", bs, "--from-beginning",
                           "--max-messages", "1");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(r.outlen, len + 1);
    cr_assert_eq(memcmp(r.out, big, len + 1), 0);
    wrt_result_free(&r);
    free(big);
}

Test(kafka_cli, several_partitions_keep_every_message_and_key_placement) {
    /* 2000 keyed lines over 4 partitions: all come back, and a key always lands
     * on the same partition (murmur2, as Java clients place keys). */
    size_t cap = 64 * 2000, len = 0;
    char *in = malloc(cap);
    for (int i = 0; i < 2000; i++)
        len += (size_t)sprintf(in + len, "key%d\tvalue-%d\n", i % 50, i);
    produce("four", in, len, (const char *const[]){"--property", "parse.key=true", NULL});
    wrt_result r = WRT_RUN(NULL, "consume", "--topic", "four", "--bootstrap", bs,
                           "--from-beginning", "--max-messages", "2000", "--property",
                           "print.partition=true", "--property", "print.key=true");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(wrt_count_lines(r.out, r.outlen), 2000);
    int seen[2000] = {0}, part_of_key[50], used[4] = {0};
    memset(part_of_key, -1, sizeof part_of_key);
    for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
        int p, k, v;
        cr_assert_eq(sscanf(line, "Partition:%d\tkey%d\tvalue-%d", &p, &k, &v), 3, "%s", line);
        cr_assert_eq(k, v % 50);
        seen[v]++;
        used[p] = 1;
        if (part_of_key[k] < 0) part_of_key[k] = p;
        cr_assert_eq(part_of_key[k], p, "key%d on two partitions", k);
    }
    for (int i = 0; i < 2000; i++)
        cr_assert_eq(seen[i], 1, "value-%d seen %d times", i, seen[i]);
    cr_assert_eq(used[0] + used[1] + used[2] + used[3], 4, "not every partition was used");
    wrt_result_free(&r);
    free(in);
}

Test(kafka_cli, group_offsets_carry_over_between_runs) {
    produce("one", "m1\nm2\nm3\nm4\nm5\n", 15, NULL);
    wrt_result r = WRT_RUN(NULL, "consume", "--topic", "one", "--bootstrap", bs, "--group", "g1",
                           "--from-beginning", "--max-messages", "2");
    cr_assert_str_eq(r.out, "m1\nm2\n", "%s", r.err);
    wrt_result_free(&r);
    r = WRT_RUN(NULL, "consume", "--topic", "one", "--bootstrap", bs, "--group", "g1",
                "--from-beginning", "--max-messages", "3");
    cr_assert_str_eq(r.out, "m3\nm4\nm5\n", "%s", r.err);
    wrt_result_free(&r);
    /* A group of its own starts over; without a group nothing is committed. */
    r = WRT_RUN(NULL, "consume", "--topic", "one", "--bootstrap", bs, "--from-beginning",
                "--max-messages", "1");
    cr_assert_str_eq(r.out, "m1\n");
    wrt_result_free(&r);
}

Test(kafka_cli, timeout_ends_a_quiet_consumer_and_latest_skips_old_messages) {
    produce("one", "old\n", 4, NULL);
    wrt_result r =
        WRT_RUN(NULL, "consume", "--topic", "one", "--bootstrap", bs, "--timeout-ms", "1500");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "");
    cr_assert_str_eq(r.err, "Processed a total of 0 messages\n");
    wrt_result_free(&r);
    r = WRT_RUN(NULL, "consume", "--topic", "one", "--bootstrap", bs, "--partition", "0",
                "--offset", "latest", "--timeout-ms", "1000");
    cr_assert_str_eq(r.out, "");
    wrt_result_free(&r);
    r = WRT_RUN(NULL, "consume", "--topic", "one", "--bootstrap", bs, "--partition", "0",
                "--offset", "earliest", "--timeout-ms", "1000");
    cr_assert_str_eq(r.out, "old\n");
    wrt_result_free(&r);
}

Test(kafka_cli, topics_list_and_describe) {
    wrt_result r = WRT_RUN(NULL, "topics", "list", "--bootstrap", bs);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "four\none\n");
    wrt_result_free(&r);
    r = WRT_RUN(NULL, "topics", "describe", "--bootstrap", bs);
    cr_assert_eq(r.status, 0);
    cr_assert_eq(wrt_count_lines(r.out, r.outlen), 2 + 1 + 4);
    cr_assert(strstr(r.out, "\tTopic: four\tPartition: 3\tLeader: 1\tReplicas: 1\tIsr: 1\n"), "%s",
              r.out);
    wrt_result_free(&r);
}

/* Every error path: exit status, and exactly one line on stderr containing `want`. */
static void expect_error(int status, const char *want, const char *const *argv) {
    wrt_result r = wrt_run(NULL, 0, 60, argv);
    cr_assert_eq(r.status, status, "%s: status %d, stderr: %s", argv[0], r.status, r.err);
    cr_assert(strstr(r.err, want), "expected '%s' in: %s", want, r.err);
    cr_assert_eq(wrt_count_lines(r.err, strlen(r.err)), 1, "more than one line: %s", r.err);
    wrt_result_free(&r);
}
#define EXPECT_ERROR(status, want, ...)                                                            \
    expect_error(status, want, (const char *const[]){__VA_ARGS__, NULL})

Test(kafka_cli, unreachable_broker_fails_fast_and_clearly) {
    int64_t t0 = wr_now_ms();
    EXPECT_ERROR(1, "cannot reach Kafka at localhost:1: ", "consume", "--topic", "x", "--bootstrap",
                 "localhost:1");
    EXPECT_ERROR(1, "cannot reach Kafka at localhost:1: ", "produce", "--topic", "x", "--bootstrap",
                 "localhost:1");
    EXPECT_ERROR(1, "cannot reach Kafka at localhost:1: ", "topics", "list", "--bootstrap",
                 "localhost:1");
    cr_assert_lt(wr_now_ms() - t0, 20000, "refused connections took too long to report");
}

Test(kafka_cli, a_silent_server_times_out_within_the_timeout) {
    /* A loopback listener that never answers: connections succeed, requests hang. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, len), 0);
    cr_assert_eq(listen(fd, 16), 0);
    getsockname(fd, (struct sockaddr *)&a, &len);
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", ntohs(a.sin_port));
    int64_t t0 = wr_now_ms();
    EXPECT_ERROR(1, "cannot reach Kafka at 127.0.0.1:", "topics", "list", "--bootstrap", addr,
                 "--timeout-ms", "1500");
    EXPECT_ERROR(1, "cannot reach Kafka at 127.0.0.1:", "consume", "--topic", "one", "--bootstrap",
                 addr, "--timeout-ms", "1500");
    cr_assert_lt(wr_now_ms() - t0, 10000);
    close(fd);
}

Test(kafka_cli, unknown_topics_are_errors) {
    EXPECT_ERROR(1, "topic 'nope' does not exist", "consume", "--topic", "nope", "--bootstrap", bs);
    EXPECT_ERROR(1, "topic 'nope' does not exist", "topics", "describe", "--topic", "nope",
                 "--bootstrap", bs);
    EXPECT_ERROR(1, "topic 'one' has no partition 5 (it has 1)", "consume", "--topic", "one",
                 "--partition", "5", "--bootstrap", bs);
}

Test(kafka_cli, unsupported_admin_operations_say_so) {
    EXPECT_ERROR(1, "the broker does not support CreateTopics", "topics", "create", "--topic", "t9",
                 "--partitions", "2", "--bootstrap", bs);
    EXPECT_ERROR(1, "the broker does not support DeleteTopics", "topics", "delete", "--topic",
                 "one", "--bootstrap", bs);
}

Test(kafka_cli, missing_topic_and_bad_option_values) {
    EXPECT_ERROR(2, "weir produce: --topic is required", "produce", "--bootstrap", bs);
    EXPECT_ERROR(2, "weir consume: --topic is required", "consume");
    EXPECT_ERROR(2, "create needs --topic", "topics", "create");
    EXPECT_ERROR(2, "--max-messages must be a whole number from 1 to", "consume", "--topic", "one",
                 "--max-messages", "ten");
    EXPECT_ERROR(2, "--offset must be earliest, latest or a non-negative number, got 'first'",
                 "consume", "--topic", "one", "--partition", "0", "--offset", "first");
    EXPECT_ERROR(2, "--offset needs --partition", "consume", "--topic", "one", "--offset", "3");
    EXPECT_ERROR(2, "--from-beginning and --offset cannot be used together", "consume", "--topic",
                 "one", "--partition", "0", "--offset", "3", "--from-beginning");
    EXPECT_ERROR(2, "unknown property 'print.colour'", "consume", "--topic", "one", "--property",
                 "print.colour=true");
    EXPECT_ERROR(2, "property print.key must be true or false, got 'yes'", "consume", "--topic",
                 "one", "--property", "print.key=yes");
    EXPECT_ERROR(2, "unknown property 'acks'", "produce", "--topic", "one", "--property",
                 "acks=all");
    EXPECT_ERROR(2, "No such configuration property: \"no.such\"", "produce", "--topic", "one",
                 "-X", "no.such=1");
    EXPECT_ERROR(2, "-X nonsense: expected key=value", "consume", "--topic", "one", "-X",
                 "nonsense");
    EXPECT_ERROR(2, "unknown option '--colour'", "consume", "--topic", "one", "--colour");
    EXPECT_ERROR(2, "option --topic needs a value", "consume", "--topic");
    EXPECT_ERROR(2, "unknown action 'rename'", "topics", "rename");
    EXPECT_ERROR(2, "unknown command 'frobnicate'", "frobnicate");
    EXPECT_ERROR(1, "cannot open /nonexistent/lines.txt", "produce", "--topic", "one", "--file",
                 "/nonexistent/lines.txt");
}

Test(kafka_cli, a_line_without_key_separator_stops_the_producer) {
    wrt_result r =
        WRT_RUN("k:v\nno separator here\nk2:v2\n", "produce", "--topic", "one", "--bootstrap", bs,
                "--property", "parse.key=true", "--property", "key.separator=:");
    cr_assert_eq(r.status, 1);
    cr_assert_str_eq(r.err,
                     "weir produce: line 2 has no key separator; nothing after line 1 was sent\n");
    wrt_result_free(&r);
    r = WRT_RUN(NULL, "consume", "--topic", "one", "--bootstrap", bs, "--from-beginning",
                "--timeout-ms", "1500", "--property", "print.key=true");
    cr_assert_str_eq(r.out, "k\tv\n", "line 1 must have been delivered: %s", r.out);
    wrt_result_free(&r);
}

/* Writes `len` bytes to a fresh temporary file; returns its path (malloc'd). */
static char *temp_file_with(const char *data, size_t len) {
    char *path = wr_xstrdup("/tmp/weir-lines-XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, data + off, len - off);
        cr_assert_gt(w, 0);
        off += (size_t)w;
    }
    close(fd);
    return path;
}

Test(kafka_cli, unkeyed_lines_take_the_partitions_in_turn) {
    /* librdkafka's sticky default sent a burst of unkeyed lines to one partition */
    const char *in = "l0\nl1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\nl9\nl10\nl11\n";
    produce("four", in, strlen(in), NULL);
    wrt_result r =
        WRT_RUN(NULL, "consume", "--topic", "four", "--bootstrap", bs, "--from-beginning",
                "--max-messages", "12", "--property", "print.partition=true");
    cr_assert_eq(r.status, 0, "%s", r.err);
    int part_of[12], count[4] = {0};
    memset(part_of, -1, sizeof part_of);
    for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
        int p, i;
        cr_assert_eq(sscanf(line, "Partition:%d\tl%d", &p, &i), 2, "%s", line);
        part_of[i] = p;
        count[p]++;
    }
    for (int i = 0; i < 12; i++)
        cr_assert_eq(part_of[i], (part_of[0] + i) % 4, "line l%d went to partition %d, l0 to %d", i,
                     part_of[i], part_of[0]);
    for (int p = 0; p < 4; p++)
        cr_assert_eq(count[p], 3, "partition %d has %d lines", p, count[p]);
    wrt_result_free(&r);
}

Test(kafka_cli, a_partitioner_given_with_X_is_used) {
    /* librdkafka's "consistent" hashes the missing key: one partition for all */
    const char *in = "a\nb\nc\nd\ne\nf\ng\nh\n";
    produce("four", in, strlen(in), (const char *const[]){"-X", "partitioner=consistent", NULL});
    wrt_result r =
        WRT_RUN(NULL, "consume", "--topic", "four", "--bootstrap", bs, "--from-beginning",
                "--max-messages", "8", "--property", "print.partition=true");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(wrt_count_lines(r.out, r.outlen), 8);
    int first = -1;
    for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
        int p;
        cr_assert_eq(sscanf(line, "Partition:%d", &p), 1, "%s", line);
        if (first < 0) first = p;
        cr_assert_eq(p, first, "lines on partitions %d and %d", first, p);
    }
    wrt_result_free(&r);
}

Test(kafka_cli, eleven_megabytes_of_unkeyed_lines_all_come_back) {
    /* 11 MB over 4 partitions: each keeps its share, none passes the 5 MB the
     * embedded broker keeps, nothing is deleted. */
    const int n = 11 * 1024;
    size_t len = (size_t)n * 1024;
    char *in = malloc(len + 1);
    for (int i = 0; i < n; i++) {
        char *line = in + (size_t)i * 1024;
        memset(line, 'a' + i % 26, 1023);
        sprintf(line, "%06d", i);
        line[6] = '-';
        line[1023] = '\n';
    }
    char *path = temp_file_with(in, len);
    produce("four", NULL, 0, (const char *const[]){"--file", path, NULL});
    unlink(path);
    free(path);
    for (int p = 0; p < 4; p++)
        cr_assert_eq(wrt_earliest(bs, "four", p), 0, "partition %d lost messages", p);
    char max[16];
    snprintf(max, sizeof max, "%d", n);
    wrt_result r = WRT_RUN(NULL, "consume", "--topic", "four", "--bootstrap", bs,
                           "--from-beginning", "--max-messages", max);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(r.outlen, len);
    char *seen = calloc((size_t)n, 1);
    for (size_t off = 0; off < r.outlen; off += 1024) {
        int i = atoi(r.out + off);
        cr_assert(i >= 0 && i < n && !seen[i], "line %d twice or out of range", i);
        seen[i] = 1;
        cr_assert_eq(memcmp(r.out + off, in + (size_t)i * 1024, 1024), 0, "line %d differs", i);
    }
    free(seen);
    wrt_result_free(&r);
    free(in);
}

Test(kafka_cli, a_message_bigger_than_the_embedded_broker_keeps_is_refused) {
    /* The largest message it keeps is sent and kept (with the line before it);
     * one byte more is refused before it could wipe its partition. */
    const size_t max = WR_BROKER_MAX_MESSAGE;
    size_t len = 6 + (max + 1) + (max + 2) + 6;
    char *in = malloc(len);
    char *w = in;
    w += sprintf(w, "small\n");
    memset(w, 'x', max);
    w[max] = '\n';
    w += max + 1;
    memset(w, 'y', max + 1);
    w[max + 1] = '\n';
    w += max + 2;
    memcpy(w, "after\n", 6);
    char *path = temp_file_with(in, len);
    wrt_result r = WRT_RUN(NULL, "produce", "--topic", "one", "--bootstrap", bs, "--file", path);
    cr_assert_eq(r.status, 1, "%s", r.err);
    char want[256];
    snprintf(
        want, sizeof want,
        "weir produce: line 3 is a message of %zu bytes; the embedded broker keeps at most %zu "
        "bytes a message (5 MB a partition); nothing after line 2 was sent\n",
        max + 1, max);
    cr_assert_str_eq(r.err, want);
    wrt_result_free(&r);
    unlink(path);
    free(path);

    r = WRT_RUN(NULL, "consume", "--topic", "one", "--bootstrap", bs, "--partition", "0",
                "--offset", "earliest", "--timeout-ms", "1500");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(r.outlen, 6 + max + 1);
    cr_assert_eq(memcmp(r.out, in, 6 + max + 1), 0);
    cr_assert_eq(wrt_earliest(bs, "one", 0), 0);
    wrt_result_free(&r);

    /* A key counts: 2 key bytes and max - 1 value bytes are one byte too many. */
    memcpy(in, "kk\t", 3);
    memset(in + 3, 'z', max - 1);
    in[max + 2] = '\n';
    r = wrt_run(in, max + 3, 60,
                (const char *const[]){"produce", "--topic", "one", "--bootstrap", bs, "--property",
                                      "parse.key=true", NULL});
    cr_assert_eq(r.status, 1);
    snprintf(
        want, sizeof want,
        "weir produce: line 1 is a message of %zu bytes; the embedded broker keeps at most %zu "
        "bytes a message (5 MB a partition); nothing was sent\n",
        max + 1, max);
    cr_assert_str_eq(r.err, want);
    wrt_result_free(&r);
    free(in);
}

Test(kafka_cli, messages_of_a_run_deleted_by_retention_are_reported) {
    /* Six 1 MiB lines on one partition: the embedded broker keeps the newest 5 MB,
     * so the first two are gone once the sixth is in. */
    size_t line = 1024 * 1024, len = 6 * (line + 1);
    char *in = malloc(len);
    for (int i = 0; i < 6; i++) {
        memset(in + (size_t)i * (line + 1), '0' + i, line);
        in[(size_t)i * (line + 1) + line] = '\n';
    }
    char *path = temp_file_with(in, len);
    wrt_result r = WRT_RUN(NULL, "produce", "--topic", "one", "--bootstrap", bs, "--file", path);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.err,
                     "weir produce: warning: the embedded broker keeps only the newest 5 MB of "
                     "each partition and has already deleted messages of this run: one "
                     "partition 0 offsets 0..1\n");
    cr_assert_eq(wrt_earliest(bs, "one", 0), 2);
    wrt_result_free(&r);
    unlink(path);
    free(path);
    free(in);
}

/* A loopback port nobody listens on (bound, then closed). */
static int closed_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, len), 0);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

Test(kafka_cli, refused_connections_fail_at_once_every_time) {
    char addr[64];
    snprintf(addr, sizeof addr, "localhost:%d", closed_port());
    for (int i = 0; i < 4; i++) {
        int64_t t0 = wr_now_ms();
        EXPECT_ERROR(1, "Connection refused", "consume", "--topic", "x", "--bootstrap", addr);
        EXPECT_ERROR(1, "Connection refused", "produce", "--topic", "x", "--bootstrap", addr);
        EXPECT_ERROR(1, "Connection refused", "topics", "list", "--bootstrap", addr);
        cr_assert_lt(wr_now_ms() - t0, 6000, "round %d: three refused connections took %lld ms", i,
                     (long long)(wr_now_ms() - t0));
    }
}

Test(kafka_cli, a_client_that_already_saw_refusals_still_fails_at_once) {
    /* librdkafka reports "all brokers down" once; a refusal reported after it
     * (a retry, or the next address of the name) used to hide it, and the probe
     * waited for its whole timeout. */
    char addr[64], err[512];
    snprintf(addr, sizeof addr, "localhost:%d", closed_port());
    rd_kafka_conf_t *conf = wr_kafka_conf_new(addr, NULL, err, sizeof err);
    cr_assert_not_null(conf, "%s", err);
    rd_kafka_t *rk = wr_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    cr_assert_not_null(rk, "%s", err);
    const rd_kafka_metadata_t *md = NULL;
    cr_assert_neq(rd_kafka_metadata(rk, 1, NULL, &md, 1000), 0);
    int64_t t0 = wr_now_ms();
    cr_assert(!wr_kafka_probe(rk, 10000, NULL, err, sizeof err));
    int64_t took = wr_now_ms() - t0;
    cr_assert_lt(took, 2000, "the probe took %lld ms: %s", (long long)took, err);
    char want[128];
    snprintf(want, sizeof want, "cannot reach Kafka at %s: connect to 127.0.0.1:", addr);
    cr_assert(!strncmp(err, want, strlen(want)) && strstr(err, ": Connection refused"), "%s", err);
    wr_kafka_destroy(rk);
}

Test(kafka_cli, one_refusing_bootstrap_server_does_not_hide_the_others) {
    char list[256];
    snprintf(list, sizeof list, "127.0.0.1:%d,%s", closed_port(), bs);
    wrt_result r = WRT_RUN(NULL, "topics", "list", "--bootstrap", list);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "four\none\n");
    wrt_result_free(&r);
}

/* Runs `weir consume --group G --from-beginning --max-messages N` and returns
 * how long it took; asserts it printed `want`. */
static int64_t timed_group_run(const char *group, const char *max, const char *want) {
    int64_t t0 = wr_now_ms();
    wrt_result r = WRT_RUN(NULL, "consume", "--topic", "one", "--bootstrap", bs, "--group", group,
                           "--from-beginning", "--max-messages", max);
    int64_t took = wr_now_ms() - t0;
    cr_assert_eq(r.status, 0, "status %d after %lld ms: %s", r.status, (long long)took, r.err);
    cr_assert_str_eq(r.out, want);
    wrt_result_free(&r);
    return took;
}

Test(kafka_cli, a_group_run_right_after_another_joins_quickly) {
    /* The mock holds a group for session.timeout.ms - 1 s after a member leaves
     * (44 s with librdkafka's default): consumers of the embedded broker use 5 s. */
    produce("one", "m1\nm2\nm3\nm4\n", 12, NULL);
    timed_group_run("quick", "2", "m1\nm2\n");
    int64_t second = timed_group_run("quick", "2", "m3\nm4\n");
    cr_assert_lt(second, 15000, "the second run took %lld ms", (long long)second);
}

Test(kafka_cli, a_consumer_killed_while_joining_holds_its_group_briefly) {
    /* The mock keeps a member that vanished while joining for its session
     * timeout, and makes it the leader nobody hears from. */
    produce("one", "m1\nm2\n", 6, NULL);
    int out, err;
    pid_t pid =
        wrt_spawn_err((const char *const[]){"consume", "--topic", "one", "--bootstrap", bs,
                                            "--group", "killed", "-X", "debug=protocol", NULL},
                      &out, &err);
    char *line = wrt_read_line_containing(err, "Sent JoinGroupRequest", 30000);
    kill(pid, SIGKILL);
    wrt_wait(pid, 10000);
    close(out);
    close(err);
    cr_assert_not_null(line, "the consumer never sent JoinGroup");
    free(line);
    int64_t took = timed_group_run("killed", "2", "m1\nm2\n");
    cr_assert_lt(took, 25000, "the run after the killed consumer took %lld ms", (long long)took);
}

Test(kafka_cli, a_group_that_never_answers_is_an_error_not_zero_messages) {
    /* No coordinator is ever found: no join can complete. */
    produce("one", "m1\n", 3, NULL);
    rd_kafka_resp_err_t errs[1000];
    for (int i = 0; i < 1000; i++)
        errs[i] = RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE;
    rd_kafka_mock_push_request_errors_array(wr_broker_mock(broker), 10 /* FindCoordinator */, 1000,
                                            errs);
    wrt_result r =
        WRT_RUN(NULL, "consume", "--topic", "one", "--bootstrap", bs, "--group", "lost",
                "--from-beginning", "--timeout-ms", "1000", "-X", "session.timeout.ms=2000");
    cr_assert_eq(r.status, 1, "status %d: %s", r.status, r.err);
    cr_assert_str_eq(r.out, "");
    cr_assert_str_eq(r.err,
                     "weir consume: group 'lost' gave this consumer no partitions within 14 s (its "
                     "coordinator did not answer, or it is still rebalancing)\n"
                     "Processed a total of 0 messages\n");
    wrt_result_free(&r);
}

Test(kafka_cli, ctrl_c_closes_the_group_consumer_cleanly) {
    /* Closing commits the position and leaves the group: the next run of the
     * group continues after the message already printed, without a stall. */
    produce("one", "m1\nm2\n", 6, NULL);
    int out, err;
    pid_t pid = wrt_spawn_err((const char *const[]){"consume", "--topic", "one", "--bootstrap", bs,
                                                    "--group", "ctrlc", "--from-beginning",
                                                    "--max-messages", "1000", NULL},
                              &out, &err);
    char *first = wrt_read_line_with(out, "m", 30000);
    char *second = first ? wrt_read_line_with(out, "m", 30000) : NULL;
    kill(pid, SIGINT);
    int st = wrt_wait(pid, 20000);
    char *said = wrt_read_line_containing(err, "Processed", 5000);
    close(out);
    close(err);
    cr_assert_str_eq(first ? first : "(nothing)", "1");
    cr_assert_str_eq(second ? second : "(nothing)", "2");
    cr_assert_eq(st, 0, "exit status %d after SIGINT", st);
    cr_assert_str_eq(said ? said : "(nothing)", "Processed a total of 2 messages");
    free(first), free(second), free(said);
    produce("one", "m3\n", 3, NULL);
    int64_t took = timed_group_run("ctrlc", "1", "m3\n");
    cr_assert_lt(took, 15000, "the run after Ctrl-C took %lld ms", (long long)took);
}
