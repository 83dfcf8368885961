/* The Kafka source's run time (wr_source_ops), on librdkafka's
 * per-partition consumer API (consume_start / consume_batch): each partition
 * has its own fetch queue, read by the task that owns its range. A partition's
 * fetcher starts at the first range's start and runs on; a later range that
 * does not begin where the last one ended restarts it there. Messages become
 * rows [key, value, topic, partition, offset, timestamp, timestampType]
 * whose strings are views into the message payloads. */
#include <pthread.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "kafka/wr_kafka.h"
#include "sources/kafka_int.h"

typedef struct wr_tp {
    char *topic;
    int32_t partition;
    char *name; /* "topic partition N" */
} wr_tp;

/* Offsets [start, end) of partition `part` that were lost. */
typedef struct wr_loss {
    int part;
    int64_t start, end;
} wr_loss;

typedef struct kpart {
    wr_tp tp;
    rd_kafka_topic_t *rkt;
    bool started;
    int64_t next; /* offset the fetcher delivers next */
    /* messages fetched beyond the last range's end, kept for the next range */
    rd_kafka_message_t **stash;
    int nstash;
} kpart;

typedef struct wr_ksrc {
    wr_source base;
    const wr_source_def *def;
    bool timestamps;       /* a query reads timestamp or timestampType */
    int retries, retry_ms; /* fetchOffset.numRetries, fetchOffset.retryIntervalMs */
    int64_t limit;         /* maxOffsetsPerTrigger (0: none) */
    rd_kafka_t *rk;        /* fetches, and commits to the group */
    rd_kafka_t *meta;      /* lists offsets on its own connections: a request behind
                              a fetch that waits for data would wait fetch.wait.max.ms */
    kpart *parts;
    int nparts;
    int poll_timeout_ms;
    bool fail_on_data_loss;
    pthread_mutex_t lock; /* fetcher starts and stops, the loss log */
    wr_loss *losses;      /* skipped ranges not yet taken (failOnDataLoss = false) */
    int nlosses;
} wr_ksrc;

static int cmp_tp(const void *a, const void *b) {
    const kpart *x = a, *y = b;
    int c = strcmp(x->tp.topic, y->tp.topic);
    return c ? c : (x->tp.partition > y->tp.partition) - (x->tp.partition < y->tp.partition);
}

static void add_part(wr_ksrc *s, const char *topic, int32_t p) {
    for (int i = 0; i < s->nparts; i++)
        if (s->parts[i].tp.partition == p && !strcmp(s->parts[i].tp.topic, topic)) return;
    s->parts = wr_xrealloc(s->parts, sizeof *s->parts * (size_t)(s->nparts + 1));
    memset(&s->parts[s->nparts], 0, sizeof *s->parts);
    s->parts[s->nparts].tp.topic = wr_xstrdup(topic);
    s->parts[s->nparts].tp.partition = p;
    s->parts[s->nparts].tp.name = wr_xasprintf("%s partition %d", topic, (int)p);
    s->nparts++;
}

static bool resolve_partitions(wr_ksrc *s, const rd_kafka_metadata_t *md, wr_err *err) {
    const char *sub = wr_source_opt(s->def, "subscribe"),
               *pat = wr_source_opt(s->def, "subscribePattern"),
               *assign = wr_source_opt(s->def, "assign");
    if (sub) {
        char *list = wr_xstrdup(sub), *save = NULL;
        for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            while (*t == ' ')
                t++;
            char *e = t + strlen(t);
            while (e > t && e[-1] == ' ')
                *--e = '\0';
            if (!*t) continue;
            const rd_kafka_metadata_topic_t *mt = wr_kafka_md_topic(md, t);
            if (!mt || mt->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
                mt->partition_cnt == 0) {
                wr_fail(err, WR_ERR_KAFKA, "source %s: topic '%s' does not exist", s->def->name, t);
                free(list);
                return false;
            }
            for (int i = 0; i < mt->partition_cnt; i++)
                add_part(s, t, mt->partitions[i].id);
        }
        free(list);
    } else if (pat) {
        wr_err why;
        wr_regex *re = wr_regex_new(pat, strlen(pat), &why);
        if (!re) {
            wr_fail(err, WR_ERR_KAFKA, "source %s: subscribePattern: %s", s->def->name, why.msg);
            return false;
        }
        wr_matcher *m = wr_matcher_new();
        bool matched = true;
        for (int i = 0; i < md->topic_cnt && matched; i++) {
            const char *t = md->topics[i].topic;
            /* Java's Pattern.matcher(topic).matches(): the whole name */
            char fail[160];
            int rc = wr_match(m, re, t, strlen(t), 0, WR_MATCH_WHOLE, fail, sizeof fail);
            if (rc < 0) {
                wr_fail(err, WR_ERR_KAFKA,
                        "source %s: subscribePattern '%s' failed on topic '%s': %s", s->def->name,
                        pat, t, fail);
                matched = false;
            } else if (rc > 0 && strncmp(t, "__", 2)) {
                for (int k = 0; k < md->topics[i].partition_cnt; k++)
                    add_part(s, t, md->topics[i].partitions[k].id);
            }
        }
        wr_matcher_free(m);
        wr_regex_free(re);
        if (!matched) return false;
        if (!s->nparts) {
            wr_fail(err, WR_ERR_KAFKA, "source %s: no topic matches subscribePattern '%s'",
                    s->def->name, pat);
            return false;
        }
    } else {
        json_t *j = json_loads(assign, 0, NULL);
        const char *topic;
        json_t *v;
        json_object_foreach(j, topic, v) {
            const rd_kafka_metadata_topic_t *mt = wr_kafka_md_topic(md, topic);
            size_t i;
            json_t *pn;
            json_array_foreach(v, i, pn) {
                int32_t p = (int32_t)json_integer_value(pn);
                bool exists = false;
                for (int k = 0; mt && k < mt->partition_cnt; k++)
                    exists |= mt->partitions[k].id == p;
                if (!exists) {
                    wr_fail(err, WR_ERR_KAFKA,
                            "source %s: assign names %s partition %d, which does not exist",
                            s->def->name, topic, (int)p);
                    json_decref(j);
                    return false;
                }
                add_part(s, topic, p);
            }
        }
        json_decref(j);
    }
    qsort(s->parts, (size_t)s->nparts, sizeof *s->parts, cmp_tp);
    return true;
}

static void kafka_close(wr_source *src);

static wr_source *kafka_open(const wr_source_def *def, const wr_source_env *env, wr_err *err) {
    wr_strlist props = {0};
    for (int i = 0; i < def->nopts; i++)
        if (!strncasecmp(def->opts[i].key, "kafka.", 6) &&
            strcasecmp(def->opts[i].key, "kafka.bootstrap.servers")) {
            char *kv = wr_xasprintf("%s=%s", def->opts[i].key + 6, def->opts[i].value);
            wr_strlist_push(&props, kv);
            free(kv);
        }
    char why[512];
    rd_kafka_conf_t *conf =
        wr_kafka_conf_new(wr_source_opt(def, "kafka.bootstrap.servers"), NULL, why, sizeof why);
    const char *prefix = wr_source_opt(def, "groupIdPrefix");
    char *group = env->group ? wr_xstrdup(env->group)
                             : wr_xasprintf("%s-%s", prefix ? prefix : "weir", def->name);
    /* Deep per-partition prefetch: librdkafka 2.0.2 backs its fetcher off for a
     * whole second once a partition queue passes these thresholds. */
    bool ok =
        conf && wr_kafka_conf_set(conf, "group.id", group, why, sizeof why) &&
        wr_kafka_conf_set(conf, "enable.auto.commit", "false", why, sizeof why) &&
        wr_kafka_conf_set(conf, "enable.auto.offset.store", "false", why, sizeof why) &&
        wr_kafka_conf_set(conf, "queued.min.messages", "1000000", why, sizeof why) &&
        wr_kafka_conf_set(conf, "queued.max.messages.kbytes", "65536", why, sizeof why) &&
        wr_kafka_conf_set(conf, "fetch.wait.max.ms", WR_KAFKA_FETCH_WAIT_MS, why, sizeof why) &&
        wr_kafka_conf_set(conf, "fetch.message.max.bytes", "4194304", why, sizeof why) &&
        wr_kafka_conf_apply(conf, &props, why, sizeof why);
    free(group);
    wr_strlist_free(&props);
    if (!ok) {
        if (conf) rd_kafka_conf_destroy(conf);
        wr_fail(err, WR_ERR_USAGE, "%s", why);
        return NULL;
    }
    rd_kafka_topic_conf_t *tconf = rd_kafka_topic_conf_new();
    rd_kafka_topic_conf_set(tconf, "auto.offset.reset", "error", NULL, 0);
    rd_kafka_topic_conf_set(tconf, "auto.commit.enable", "false", NULL, 0);
    rd_kafka_conf_set_default_topic_conf(conf, tconf);

    wr_ksrc *s = wr_xcalloc(1, sizeof *s);
    s->base.def = def;
    s->def = def;
    s->timestamps =
        !env->needed || env->needed[WR_KCOL_TIMESTAMP] || env->needed[WR_KCOL_TIMESTAMP_TYPE];
    pthread_mutex_init(&s->lock, NULL);
    const char *v = wr_source_opt(def, "kafkaConsumer.pollTimeoutMs");
    s->poll_timeout_ms = v ? atoi(v) : 120000;
    v = wr_source_opt(def, "failOnDataLoss");
    s->fail_on_data_loss = !v || strcasecmp(v, "false");
    v = wr_source_opt(def, "fetchOffset.numRetries");
    s->retries = v ? atoi(v) : 3;
    v = wr_source_opt(def, "fetchOffset.retryIntervalMs");
    s->retry_ms = v ? atoi(v) : 10;
    v = wr_source_opt(def, "maxOffsetsPerTrigger");
    s->limit = v ? atoll(v) : 0;
    /* The listing client first: its probe says whether the cluster is the
     * embedded broker, which the fetching client's settings depend on. */
    s->meta = wr_kafka_new(RD_KAFKA_CONSUMER, rd_kafka_conf_dup(conf), why, sizeof why);
    const rd_kafka_metadata_t *md = NULL;
    if (!s->meta || !wr_kafka_probe(s->meta, WR_KAFKA_DEFAULT_TIMEOUT_MS, &md, why, sizeof why)) {
        rd_kafka_conf_destroy(conf);
        if (s->meta)
            wr_fail(err, WR_ERR_KAFKA, "source %s: %s", def->name, why);
        else
            wr_fail(err, WR_ERR_KAFKA, "%s", why);
        kafka_close(&s->base);
        return NULL;
    }
    /* The embedded broker (librdkafka's mock) answers a fetch that found no
     * data only when fetch.wait.max.ms has passed, even when data arrives
     * meanwhile (a real broker answers at once): a short wait bounds the
     * latency of the next rows. */
    if (wr_kafka_is_embedded(s->meta) && !wr_source_opt(def, "kafka.fetch.wait.max.ms"))
        wr_kafka_conf_set(conf, "fetch.wait.max.ms", WR_KAFKA_EMBEDDED_FETCH_WAIT_MS, NULL, 0);
    s->rk = wr_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof why);
    if (!s->rk) {
        rd_kafka_metadata_destroy(md);
        wr_fail(err, WR_ERR_KAFKA, "%s", why);
        kafka_close(&s->base);
        return NULL;
    }
    ok = resolve_partitions(s, md, err);
    rd_kafka_metadata_destroy(md);
    if (!ok) {
        kafka_close(&s->base);
        return NULL;
    }
    for (int i = 0; i < s->nparts; i++)
        s->parts[i].rkt = rd_kafka_topic_new(s->rk, s->parts[i].tp.topic, NULL);
    return &s->base;
}

static void drop_stash(kpart *p) {
    for (int i = 0; i < p->nstash; i++)
        rd_kafka_message_destroy(p->stash[i]);
    free(p->stash);
    p->stash = NULL;
    p->nstash = 0;
}

static void kafka_close(wr_source *src) {
    wr_ksrc *s = (wr_ksrc *)src;
    if (!s) return;
    for (int i = 0; i < s->nparts; i++) {
        kpart *p = &s->parts[i];
        drop_stash(p);
        if (p->started) rd_kafka_consume_stop(p->rkt, p->tp.partition);
        if (p->rkt) rd_kafka_topic_destroy(p->rkt);
        free(p->tp.topic);
        free(p->tp.name);
    }
    free(s->parts);
    free(s->losses);
    if (s->rk) rd_kafka_consumer_close(s->rk); /* waits for the last offset commit */
    wr_kafka_destroy(s->rk);
    wr_kafka_destroy(s->meta);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static int kafka_splits(wr_source *src) {
    return ((wr_ksrc *)src)->nparts;
}

static const char *kafka_split_name(wr_source *src, int i) {
    return ((wr_ksrc *)src)->parts[i].tp.name;
}

static void kafka_processed(wr_source *src, const int64_t *next) {
    wr_ksrc *s = (wr_ksrc *)src;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(s->nparts);
    for (int i = 0; i < s->nparts; i++)
        rd_kafka_topic_partition_list_add(l, s->parts[i].tp.topic, s->parts[i].tp.partition)
            ->offset = next[i];
    rd_kafka_commit(s->rk, l, 1); /* async: failures only cost lag visibility */
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_poll(s->rk, 0);
}

/* ListOffsets for every partition at once: ts -2 earliest, -1 latest;
 * retried fetchOffset.numRetries times, fetchOffset.retryIntervalMs apart. */
static bool list_offsets_once(wr_ksrc *s, int64_t ts, int64_t *out, wr_err *err) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(s->nparts);
    for (int i = 0; i < s->nparts; i++)
        rd_kafka_topic_partition_list_add(l, s->parts[i].tp.topic, s->parts[i].tp.partition)
            ->offset = ts;
    rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(s->meta, l, WR_KAFKA_DEFAULT_TIMEOUT_MS);
    bool ok = !e;
    if (e)
        wr_fail(err, WR_ERR_KAFKA, "source %s: cannot list offsets: %s", s->def->name,
                rd_kafka_err2str(e));
    for (int i = 0; ok && i < s->nparts; i++) {
        rd_kafka_topic_partition_t *tp =
            rd_kafka_topic_partition_list_find(l, s->parts[i].tp.topic, s->parts[i].tp.partition);
        if (!tp || tp->err || tp->offset < 0) {
            wr_fail(err, WR_ERR_KAFKA, "source %s: cannot list offsets of %s: %s", s->def->name,
                    s->parts[i].tp.name, tp && tp->err ? rd_kafka_err2str(tp->err) : "no offset");
            ok = false;
        } else {
            out[i] = tp->offset;
        }
    }
    rd_kafka_topic_partition_list_destroy(l);
    return ok;
}

static bool list_offsets(wr_ksrc *s, int64_t ts, int64_t *out, wr_err *err) {
    for (int attempt = 0;; attempt++) {
        if (list_offsets_once(s, ts, out, err)) return true;
        if (attempt >= s->retries) return false;
        struct timespec pause = {s->retry_ms / 1000, (long)(s->retry_ms % 1000) * 1000000L};
        nanosleep(&pause, NULL);
    }
}

static bool kafka_latest(wr_source *src, int64_t *off, wr_err *err) {
    return list_offsets((wr_ksrc *)src, -1, off, err);
}

static bool kafka_initial(wr_source *src, int64_t *out, wr_err *err) {
    wr_ksrc *s = (wr_ksrc *)src;
    const char *so = wr_source_opt(s->def, "startingOffsets");
    if (!so || !strcasecmp(so, "latest")) return list_offsets(s, -1, out, err);
    if (!strcasecmp(so, "earliest")) return list_offsets(s, -2, out, err);
    int64_t *lo = wr_xmalloc(sizeof *lo * (size_t)(s->nparts + 1)),
            *hi = wr_xmalloc(sizeof *hi * (size_t)(s->nparts + 1));
    bool ok = list_offsets(s, -2, lo, err) && list_offsets(s, -1, hi, err);
    json_t *j = ok ? json_loads(so, 0, NULL) : NULL;
    for (int i = 0; ok && i < s->nparts; i++) {
        char pn[16];
        snprintf(pn, sizeof pn, "%d", (int)s->parts[i].tp.partition);
        json_t *off = json_object_get(json_object_get(j, s->parts[i].tp.topic), pn);
        if (!off) {
            wr_fail(err, WR_ERR_USAGE,
                    "source %s: startingOffsets gives no offset for %s (give every "
                    "partition; -2 is earliest, -1 latest)",
                    s->def->name, s->parts[i].tp.name);
            ok = false;
            break;
        }
        int64_t v = json_integer_value(off);
        out[i] = v == -2 ? lo[i] : v == -1 ? hi[i] : v;
    }
    json_decref(j);
    free(lo);
    free(hi);
    return ok;
}

/* {"topic": {"partition": offset}} for the source's partitions. */
static json_t *kafka_offsets_json(wr_source *src, const int64_t *off) {
    wr_ksrc *s = (wr_ksrc *)src;
    json_t *o = json_object();
    for (int i = 0; i < s->nparts; i++) {
        const wr_tp *tp = &s->parts[i].tp;
        json_t *t = json_object_get(o, tp->topic);
        if (!t) json_object_set_new(o, tp->topic, t = json_object());
        char pn[16];
        snprintf(pn, sizeof pn, "%d", (int)tp->partition);
        json_object_set_new(t, pn, json_integer(off[i]));
    }
    return o;
}

/* Offsets from a checkpoint file; partitions it does not name (new ones)
 * start at the earliest offset, as in Spark. */
static bool kafka_offsets_from_json(wr_source *src, const json_t *j, int64_t *out, wr_err *err) {
    wr_ksrc *s = (wr_ksrc *)src;
    int64_t *lo = NULL;
    bool ok = true;
    for (int i = 0; i < s->nparts && ok; i++) {
        const wr_tp *tp = &s->parts[i].tp;
        char pn[16];
        snprintf(pn, sizeof pn, "%d", (int)tp->partition);
        json_t *v = json_object_get(json_object_get(j, tp->topic), pn);
        if (json_is_integer(v)) {
            out[i] = json_integer_value(v);
        } else {
            if (!lo) {
                lo = wr_xcalloc((size_t)s->nparts + 1, sizeof *lo);
                ok = list_offsets(s, -2, lo, err);
            }
            out[i] = lo[i];
        }
    }
    free(lo);
    return ok;
}

/* Spark's KafkaMicroBatchStream.rateLimit, with maxOffsetsPerTrigger. */
static void kafka_limit(wr_source *src, const int64_t *from, const int64_t *latest, bool once,
                        int64_t *to) {
    wr_ksrc *s = (wr_ksrc *)src;
    wr_rate_limit(s->nparts, from, latest, once ? 0 : s->limit, to);
}

/* Messages as rows of the Kafka schema, views into their payloads; false
 * (with err) when a timestamp lies beyond the TIMESTAMP range. */
static bool to_rows(wr_ksrc *s, const kpart *p, rd_kafka_message_t **msgs, int n, wr_batch *rows,
                    wr_err *err) {
    rows->n = 0;
    rows->width = WR_KCOL_COUNT;
    size_t tlen = strlen(p->tp.topic);
    for (int i = 0; i < n; i++) {
        rd_kafka_message_t *m = msgs[i];
        wr_val *row = wr_batch_add(rows);
        row[WR_KCOL_KEY] = m->key ? wr_str(m->key, m->key_len) : wr_null();
        row[WR_KCOL_VALUE] = m->payload ? wr_str(m->payload, m->len) : wr_null();
        row[WR_KCOL_TOPIC] = wr_str(p->tp.topic, tlen);
        row[WR_KCOL_PARTITION] = wr_int(m->partition);
        row[WR_KCOL_OFFSET] = wr_int(m->offset);
        if (!s->timestamps) {
            row[WR_KCOL_TIMESTAMP] = row[WR_KCOL_TIMESTAMP_TYPE] = wr_null();
            continue;
        }
        rd_kafka_timestamp_type_t tt;
        int64_t ts = rd_kafka_message_timestamp(m, &tt);
        if (ts > WR_TS_MAX_US / 1000) /* Spark's exact conversion to microseconds fails here too */
            return wr_fail(err, WR_ERR_DATA,
                           "%s partition %d offset %lld has timestamp %lld ms, after 9999-12-31, "
                           "the end of the TIMESTAMP range: fix the producer's timestamps, or do "
                           "not read the timestamp column",
                           p->tp.topic, (int)p->tp.partition, (long long)m->offset, (long long)ts);
        row[WR_KCOL_TIMESTAMP] = ts >= 0 ? wr_int(ts * 1000) : wr_null();
        row[WR_KCOL_TIMESTAMP_TYPE] = wr_int(tt == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? 1 : 0);
    }
    return true;
}

/* What a read hands its chunks to. */
typedef struct reading {
    wr_ksrc *s;
    wr_rows_fn fn;
    void *ctx;
    wr_batch rows;
    bool aborted;
    wr_err *err;
} reading;

/* Hands messages [want, end) to the reader's fn as rows; keeps later ones in
 * the stash. Returns the next offset wanted. */
static int64_t deliver(reading *rd, kpart *p, rd_kafka_message_t **msgs, int n, int64_t want,
                       int64_t end) {
    int first = 0, k = 0;
    while (first < n && msgs[first]->offset < want)
        rd_kafka_message_destroy(msgs[first++]);
    for (k = first; k < n && msgs[k]->offset < end; k++) {
    }
    if (k > first) {
        if (!rd->aborted) {
            if (!to_rows(rd->s, p, msgs + first, k - first, &rd->rows, rd->err))
                rd->aborted = true;
            else {
                size_t bad = 0;
                if (!rd->fn(rd->ctx, &rd->rows, &bad)) { /* the row's position */
                    rd->aborted = true;
                    rd_kafka_message_t *m = msgs[first + (bad < (size_t)(k - first) ? bad : 0)];
                    wr_fail(rd->err, WR_ERR_DATA, "topic %s, partition %d, offset %lld",
                            p->tp.topic, (int)p->tp.partition, (long long)m->offset);
                }
            }
        }
        want = msgs[k - 1]->offset + 1;
        for (int i = first; i < k; i++)
            rd_kafka_message_destroy(msgs[i]);
    }
    if (k < n) { /* beyond end: keep for the next range */
        p->stash = wr_xrealloc(p->stash, sizeof *p->stash * (size_t)(p->nstash + n - k));
        for (int i = k; i < n; i++)
            p->stash[p->nstash++] = msgs[i];
        want = end;
    }
    return want;
}

static bool kafka_prepare(wr_source *src, int i, int64_t start, wr_err *err) {
    wr_ksrc *s = (wr_ksrc *)src;
    kpart *p = &s->parts[i];
    bool ok = true;
    pthread_mutex_lock(&s->lock);
    if (p->started && p->next != start) { /* not contiguous: restart the fetcher there */
        drop_stash(p);
        rd_kafka_consume_stop(p->rkt, p->tp.partition);
        p->started = false;
    }
    if (!p->started) {
        if (rd_kafka_consume_start(p->rkt, p->tp.partition, start) < 0) {
            wr_fail(err, WR_ERR_KAFKA, "cannot start reading %s partition %d: %s", p->tp.topic,
                    (int)p->tp.partition, rd_kafka_err2str(rd_kafka_last_error()));
            ok = false;
        } else {
            p->started = true;
            p->next = start;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return ok;
}

/* Offsets from `want` were deleted before they were read: with
 * failOnDataLoss an error naming the lost range, else the range is logged
 * and reading goes on at the earliest offset left. Returns where to go on
 * (end: nothing left in the range), or -1. */
static int64_t lost(wr_ksrc *s, kpart *p, int64_t want, int64_t end, wr_err *err) {
    int64_t lo = 0, hi = 0;
    rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(s->meta, p->tp.topic, p->tp.partition,
                                                             &lo, &hi, WR_KAFKA_DEFAULT_TIMEOUT_MS);
    if (e) {
        wr_fail(err, WR_ERR_KAFKA,
                "reading %s partition %d: offset %lld is out of range, and the earliest offset "
                "cannot be listed: %s",
                p->tp.topic, (int)p->tp.partition, (long long)want, rd_kafka_err2str(e));
        return -1;
    }
    int64_t upto = lo < end ? lo : end; /* first offset still there, within the range */
    if (upto <= want) {                 /* not a deletion: the offset lies beyond the log end */
        wr_fail(err, WR_ERR_KAFKA,
                "reading %s partition %d: offset %lld is out of range (the log holds %lld..%lld)",
                p->tp.topic, (int)p->tp.partition, (long long)want, (long long)lo,
                (long long)hi - 1);
        return -1;
    }
    if (s->fail_on_data_loss) {
        wr_fail(err, WR_ERR_KAFKA,
                "offsets %lld..%lld of %s partition %d are no longer available in Kafka (deleted "
                "by retention before "
                "the query read them); set failOnDataLoss = false to skip lost offsets",
                (long long)want, (long long)upto - 1, p->tp.topic, (int)p->tp.partition);
        return -1;
    }
    fprintf(stderr,
            "weir: warning: source %s: offsets %lld..%lld of %s partition %d were deleted by "
            "retention before they were "
            "read; skipped (failOnDataLoss = false)\n",
            s->def->name, (long long)want, (long long)upto - 1, p->tp.topic, (int)p->tp.partition);
    pthread_mutex_lock(&s->lock);
    s->losses = wr_xrealloc(s->losses, sizeof *s->losses * (size_t)(s->nlosses + 1));
    s->losses[s->nlosses++] = (wr_loss){(int)(p - s->parts), want, upto};
    pthread_mutex_unlock(&s->lock);
    return upto;
}

/* lostOffsets: the ranges skipped since the last report. */
static json_t *kafka_report(wr_source *src) {
    wr_ksrc *s = (wr_ksrc *)src;
    pthread_mutex_lock(&s->lock);
    json_t *l = NULL;
    if (s->nlosses) {
        l = json_array();
        for (int i = 0; i < s->nlosses; i++) {
            const wr_tp *tp = &s->parts[s->losses[i].part].tp;
            json_array_append_new(l, json_pack("{s:s, s:i, s:I, s:I}", "topic", tp->topic,
                                               "partition", (int)tp->partition, "startOffset",
                                               (json_int_t)s->losses[i].start, "endOffset",
                                               (json_int_t)s->losses[i].end));
        }
    }
    s->nlosses = 0;
    pthread_mutex_unlock(&s->lock);
    if (!l) return NULL;
    json_t *o = json_object();
    json_object_set_new(o, "lostOffsets", l);
    return o;
}

static bool read_range(reading *rd, int i, kpart *p, int64_t want, int64_t end);

static bool kafka_read(wr_source *src, int i, int64_t start, int64_t end, wr_rows_fn fn, void *ctx,
                       wr_err *err) {
    wr_ksrc *s = (wr_ksrc *)src;
    kpart *p = &s->parts[i];
    if (start >= end) return true;
    if (!kafka_prepare(src, i, start, err)) return false;
    int64_t want = start;
    reading rd = {.s = s, .fn = fn, .ctx = ctx, .err = err};
    bool ok = read_range(&rd, i, p, want, end);
    wr_batch_free(&rd.rows);
    return ok;
}

static bool read_range(reading *rd, int i, kpart *p, int64_t want, int64_t end) {
    wr_ksrc *s = rd->s;
    wr_err *err = rd->err;
    /* First what an earlier range fetched past its end. */
    if (p->nstash > 0) {
        rd_kafka_message_t **held = p->stash;
        int n = p->nstash;
        p->stash = NULL;
        p->nstash = 0;
        want = deliver(rd, p, held, n, want, end);
        free(held);
    }
    rd_kafka_message_t *msgs[1024];
    int64_t idle_since = wr_now_ms();
    while (want < end && !rd->aborted) {
        /* consume_batch waits until it has the count asked for (or the
         * timeout): ask for no more than the range still needs. */
        int64_t need = end - want;
        ssize_t n = rd_kafka_consume_batch(p->rkt, p->tp.partition, 100, msgs,
                                           need < 1024 ? (size_t)need : 1024);
        if (n < 0) {
            wr_fail(err, WR_ERR_KAFKA, "reading %s partition %d: %s", p->tp.topic,
                    (int)p->tp.partition, rd_kafka_err2str(rd_kafka_last_error()));
            return false;
        }
        if (n == 0) {
            if (wr_now_ms() - idle_since > s->poll_timeout_ms) {
                wr_fail(err, WR_ERR_KAFKA,
                        "timed out after %d ms reading %s partition %d at offset %lld (wanted up "
                        "to %lld): is the broker reachable?",
                        s->poll_timeout_ms, p->tp.topic, (int)p->tp.partition, (long long)want,
                        (long long)end);
                return false;
            }
            continue;
        }
        idle_since = wr_now_ms();
        int bad = 0;
        while (bad < n && !msgs[bad]->err)
            bad++;
        if (bad < n) {
            rd_kafka_resp_err_t e = msgs[bad]->err;
            char detail[256];
            snprintf(detail, sizeof detail, "%s", rd_kafka_message_errstr(msgs[bad]));
            want = deliver(rd, p, msgs, bad, want, end);
            for (ssize_t x = bad; x < n; x++)
                rd_kafka_message_destroy(msgs[x]);
            p->started = false;
            rd_kafka_consume_stop(p->rkt, p->tp.partition);
            if (rd->aborted || want >= end) continue; /* the range is done before the error */
            if (e != RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET &&
                e != RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
                wr_fail(err, WR_ERR_KAFKA, "reading %s partition %d: %s", p->tp.topic,
                        (int)p->tp.partition, detail);
                return false;
            }
            if ((want = lost(s, p, want, end, err)) < 0) return false;
            if (want < end && !kafka_prepare(&s->base, i, want, err)) return false;
            continue;
        }
        want = deliver(rd, p, msgs, (int)n, want, end);
    }
    p->next = end;
    return !rd->aborted;
}

const wr_source_ops wr_kafka_source_ops = {
    .open = kafka_open,
    .close = kafka_close,
    .splits = kafka_splits,
    .split_name = kafka_split_name,
    .initial = kafka_initial,
    .latest = kafka_latest,
    .limit = kafka_limit,
    .prepare = kafka_prepare,
    .read = kafka_read,
    .offsets_json = kafka_offsets_json,
    .offsets_from_json = kafka_offsets_from_json,
    .processed = kafka_processed,
    .describe = wr_kafka_describe,
    .identity = wr_kafka_identity,
    .report = kafka_report,
    .behind = "the topic was recreated or the checkpoint belongs to another cluster",
};
