/* The Kafka source as the planner knows it: Spark's options (the table),
 * the checks the table cannot express (exactly one of subscribe,
 * subscribePattern, assign; offsets JSON; librdkafka's own settings, which
 * librdkafka itself validates), the Kafka row schema, and the source's
 * description in progress reports and checkpoints. */
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sources/kafka_int.h"

static const wr_optspec options[] = {
    {"kafka.", WR_OPT_PREFIX, NULL, "<librdkafka setting>", 0, 0,
     "any librdkafka consumer setting, as Spark passes kafka.* to the consumer", 0},
    {"subscribe", WR_OPT_STRING, NULL, NULL, 0, 0, "topics to read, comma-separated",
     WR_OPT_NONEMPTY},
    {"subscribePattern", WR_OPT_STRING, NULL, NULL, 0, 0,
     "a regular expression the whole topic name matches (PCRE2)", WR_OPT_NONEMPTY},
    {"assign", WR_OPT_STRING, NULL, NULL, 0, 0, "partitions to read, JSON: {\"topic\":[0,1]}",
     WR_OPT_NONEMPTY},
    {"startingOffsets", WR_OPT_STRING, "latest", NULL, 0, 0,
     "earliest, latest, or JSON {\"topic\":{\"0\":23}} (-2 earliest, -1 latest); a new query only",
     0},
    {"maxOffsetsPerTrigger", WR_OPT_INT, NULL, NULL, 1, INT64_MAX,
     "at most this many offsets a batch, shared among partitions", 0},
    {"failOnDataLoss", WR_OPT_BOOL, "true", NULL, 0, 0,
     "offsets deleted before they were read: fail (true) or skip them and report it (false)", 0},
    {"groupIdPrefix", WR_OPT_STRING, "weir", NULL, 0, 0,
     "the consumer group's prefix when kafka.group.id is not set", 0},
    {"kafkaConsumer.pollTimeoutMs", WR_OPT_INT, "120000", NULL, 1, INT64_MAX,
     "how long a read waits for data before it fails", 0},
    {"fetchOffset.numRetries", WR_OPT_INT, "3", NULL, 1, INT64_MAX,
     "how often listing offsets is retried before the query fails", 0},
    {"fetchOffset.retryIntervalMs", WR_OPT_INT, "10", NULL, 1, INT64_MAX,
     "the wait between those retries", 0},
    {"endingOffsets", WR_OPT_STRING, NULL, NULL, 0, 0,
     "is for batch queries; a streaming query runs until stopped (use trigger availableNow to "
     "stop at the current end)",
     WR_OPT_REFUSED},
    {"includeHeaders", WR_OPT_BOOL, NULL, NULL, 0, 0, NULL, WR_OPT_NOT_YET},
    {"startingOffsetsByTimestamp", WR_OPT_STRING, NULL, NULL, 0, 0, NULL, WR_OPT_NOT_YET},
    {"startingTimestamp", WR_OPT_STRING, NULL, NULL, 0, 0, NULL, WR_OPT_NOT_YET},
    {"minOffsetsPerTrigger", WR_OPT_STRING, NULL, NULL, 0, 0, NULL, WR_OPT_NOT_YET},
    {"maxTriggerDelay", WR_OPT_STRING, NULL, NULL, 0, 0, NULL, WR_OPT_NOT_YET},
    {"minPartitions", WR_OPT_STRING, NULL, NULL, 0, 0, NULL, WR_OPT_NOT_YET},
    {NULL},
};

static bool json_offsets(const char *key, const char *value, bool assign, wr_err *err) {
    json_error_t je;
    json_t *j = json_loads(value, 0, &je);
    const char *want =
        assign ? "{\"topic\":[0,1]}" : "{\"topic\":{\"0\":23,\"1\":-2}} (-2 earliest, -1 latest)";
    if (!j || !json_is_object(j)) {
        json_decref(j);
        return wr_fail(err, WR_ERR_USAGE, "option %s must be %sJSON like %s%s%s", key,
                       assign ? "" : "earliest, latest or ", want, j ? "" : ": ", j ? "" : je.text);
    }
    const char *topic;
    json_t *v;
    bool ok = true;
    json_object_foreach(j, topic, v) {
        if (assign) {
            size_t i;
            json_t *p;
            if (!json_is_array(v)) ok = false;
            json_array_foreach(v, i, p) {
                if (!json_is_integer(p) || json_integer_value(p) < 0) ok = false;
            }
        } else if (!json_is_object(v)) {
            ok = false;
        } else {
            const char *part;
            json_t *off;
            json_object_foreach(v, part, off) {
                int64_t pn;
                if (!wr_parse_i64(part, 0, INT32_MAX, &pn) || !json_is_integer(off) ||
                    json_integer_value(off) < -2)
                    ok = false;
            }
        }
    }
    json_decref(j);
    if (!ok) return wr_fail(err, WR_ERR_USAGE, "option %s must be JSON like %s", key, want);
    return true;
}

static bool check(const char *name, const wr_kv *opts, int n, int *at, wr_err *err) {
    int subs = 0;
    bool bootstrap = false;
    for (int i = 0; i < n; i++) {
        const char *k = opts[i].key, *v = opts[i].value;
        *at = i;
        if (!strncasecmp(k, "kafka.", 6)) {
            const char *rk = k + 6;
            bootstrap |= !strcasecmp(rk, "bootstrap.servers");
            if (!strcasecmp(rk, "enable.auto.commit") || !strcasecmp(rk, "auto.offset.reset"))
                return wr_fail(err, WR_ERR_USAGE,
                               "option %s is managed by Weir (offsets are tracked per batch in the "
                               "checkpoint; use startingOffsets)",
                               k);
            /* Checked against librdkafka's own table, except plugin.library.paths: setting it
             * loads the libraries, which must not happen while a job is only being planned (it
             * happens when the query starts). */
            if (strcasecmp(rk, "plugin.library.paths")) {
                char msg[256];
                rd_kafka_conf_t *probe = rd_kafka_conf_new();
                rd_kafka_conf_res_t r = rd_kafka_conf_set(probe, rk, v, msg, sizeof msg);
                rd_kafka_conf_destroy(probe);
                if (r != RD_KAFKA_CONF_OK)
                    return wr_fail(err, WR_ERR_USAGE, "option %s: %s", k, msg);
            }
        } else if (!strcasecmp(k, "subscribe") || !strcasecmp(k, "subscribePattern") ||
                   !strcasecmp(k, "assign")) {
            subs++;
            if (!strcasecmp(k, "assign") && !json_offsets(k, v, true, err)) return false;
            if (!strcasecmp(k, "subscribePattern")) {
                wr_regex *re = wr_regex_new(v, strlen(v), err);
                if (!re) {
                    wr_err_prefix(err, "option subscribePattern");
                    return false;
                }
                wr_regex_free(re);
            }
        } else if (!strcasecmp(k, "startingOffsets") && strcasecmp(v, "earliest") &&
                   strcasecmp(v, "latest") && !json_offsets(k, v, false, err)) {
            return false;
        }
    }
    *at = -1;
    if (subs != 1)
        return wr_fail(err, WR_ERR_USAGE,
                       "source %s needs exactly one of the options subscribe, subscribePattern or "
                       "assign%s",
                       name, subs ? " (several are given)" : "");
    if (!bootstrap)
        return wr_fail(err, WR_ERR_USAGE,
                       "source %s has no option 'kafka.bootstrap.servers' (set it, or give "
                       "--bootstrap)",
                       name);
    return true;
}

/* Spark's Kafka rows (KafkaRecordToRowConverter); headers are not yet. */
static void schema(const wr_kv *opts, int n, wr_schema *out) {
    (void)opts, (void)n;
    static const char *names[] = {"key",    "value",     "topic",        "partition",
                                  "offset", "timestamp", "timestampType"};
    static const wr_kind kinds[] = {WR_T_BINARY, WR_T_BINARY,    WR_T_STRING, WR_T_INT,
                                    WR_T_BIGINT, WR_T_TIMESTAMP, WR_T_INT};
    for (int i = 0; i < WR_KCOL_COUNT; i++)
        wr_schema_add(out, names[i], WR_TYPE(kinds[i]));
}

char *wr_kafka_describe(const wr_source_def *def) {
    static const char *keys[] = {"subscribe", "subscribePattern", "assign"},
                      *names[] = {"Subscribe", "SubscribePattern", "Assign"};
    for (int i = 0; i < 3; i++) {
        const char *v = wr_source_opt(def, keys[i]);
        if (v) return wr_xasprintf("KafkaV2[%s[%s]]", names[i], v);
    }
    return wr_xstrdup("KafkaV2");
}

char *wr_kafka_identity(const wr_source_def *def) {
    static const char *keys[] = {"subscribe", "subscribePattern", "assign"};
    wr_buf b = {0};
    for (int i = 0; i < 3; i++) {
        const char *v = wr_source_opt(def, keys[i]);
        if (v) wr_buf_printf(&b, "%s%s=%s", b.len ? " " : "", keys[i], v);
    }
    return b.p ? b.p : wr_xstrdup("");
}

const wr_source_kind wr_kafka_source = {"kafka", options, check, schema, &wr_kafka_source_ops};
