/* Implementation of the Kafka source (wr_source.h) on librdkafka's
 * per-partition consumer API (consume_start / consume_batch): each partition
 * has its own fetch queue, read by the task that owns its range. A partition's
 * fetcher starts at the first range's start and runs on; a later range that
 * does not begin where the last one ended restarts it there. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "kafka/wr_kafka.h"
#include "sources/wr_source.h"

typedef struct kpart {
    wr_tp tp;
    rd_kafka_topic_t *rkt;
    bool started;
    int64_t next; /* offset the fetcher delivers next */
    /* messages fetched beyond the last range's end, kept for the next range */
    rd_kafka_message_t **stash;
    int nstash;
} kpart;

struct wr_ksrc {
    const wr_source_def *def;
    rd_kafka_t *rk;   /* fetches, and commits to the group */
    rd_kafka_t *meta; /* lists offsets on its own connections: a request behind
                         a fetch that waits for data would wait fetch.wait.max.ms */
    kpart *parts;
    int nparts;
    int poll_timeout_ms;
    bool fail_on_data_loss;
    pthread_mutex_t lock; /* fetcher starts and stops, the loss log */
    wr_loss *losses;      /* skipped ranges not yet taken (failOnDataLoss = false) */
    int nlosses;
};

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
    s->nparts++;
}

static bool resolve_partitions(wr_ksrc *s, const rd_kafka_metadata_t *md, char *err,
                               size_t errlen) {
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
                wr_errf(err, errlen, "source %s: topic '%s' does not exist", s->def->name, t);
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
            wr_errf(err, errlen, "source %s: subscribePattern: %s", s->def->name, why.msg);
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
                wr_errf(err, errlen, "source %s: subscribePattern '%s' failed on topic '%s': %s",
                        s->def->name, pat, t, fail);
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
            wr_errf(err, errlen, "source %s: no topic matches subscribePattern '%s'", s->def->name,
                    pat);
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
                    wr_errf(err, errlen,
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

wr_ksrc *wr_ksrc_open(const wr_source_def *def, const char *group_id, char *err, size_t errlen) {
    wr_strlist props = {0};
    for (int i = 0; i < def->nopts; i++)
        if (!strncasecmp(def->opts[i].key, "kafka.", 6) &&
            strcasecmp(def->opts[i].key, "kafka.bootstrap.servers")) {
            char *kv = wr_xasprintf("%s=%s", def->opts[i].key + 6, def->opts[i].value);
            wr_strlist_push(&props, kv);
            free(kv);
        }
    rd_kafka_conf_t *conf =
        wr_kafka_conf_new(wr_source_opt(def, "kafka.bootstrap.servers"), NULL, err, errlen);
    const char *prefix = wr_source_opt(def, "groupIdPrefix");
    char *group = group_id ? wr_xstrdup(group_id)
                           : wr_xasprintf("%s-%s", prefix ? prefix : "weir", def->name);
    /* Deep per-partition prefetch: librdkafka 2.0.2 backs its fetcher off for a
     * whole second once a partition queue passes these thresholds. */
    bool ok = conf && wr_kafka_conf_set(conf, "group.id", group, err, errlen) &&
              wr_kafka_conf_set(conf, "enable.auto.commit", "false", err, errlen) &&
              wr_kafka_conf_set(conf, "enable.auto.offset.store", "false", err, errlen) &&
              wr_kafka_conf_set(conf, "queued.min.messages", "1000000", err, errlen) &&
              wr_kafka_conf_set(conf, "queued.max.messages.kbytes", "65536", err, errlen) &&
              wr_kafka_conf_set(conf, "fetch.wait.max.ms", "100", err, errlen) &&
              wr_kafka_conf_set(conf, "fetch.message.max.bytes", "4194304", err, errlen) &&
              wr_kafka_conf_apply(conf, &props, err, errlen);
    free(group);
    wr_strlist_free(&props);
    if (!ok) {
        if (conf) rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_topic_conf_t *tconf = rd_kafka_topic_conf_new();
    rd_kafka_topic_conf_set(tconf, "auto.offset.reset", "error", NULL, 0);
    rd_kafka_topic_conf_set(tconf, "auto.commit.enable", "false", NULL, 0);
    rd_kafka_conf_set_default_topic_conf(conf, tconf);

    wr_ksrc *s = wr_xcalloc(1, sizeof *s);
    s->def = def;
    pthread_mutex_init(&s->lock, NULL);
    const char *pt = wr_source_opt(def, "kafkaConsumer.pollTimeoutMs");
    s->poll_timeout_ms = pt ? atoi(pt) : 120000;
    const char *fl = wr_source_opt(def, "failOnDataLoss");
    s->fail_on_data_loss = !fl || strcasecmp(fl, "false");
    rd_kafka_conf_t *mconf = rd_kafka_conf_dup(conf);
    s->rk = wr_kafka_new(RD_KAFKA_CONSUMER, conf, err, errlen);
    s->meta = s->rk ? wr_kafka_new(RD_KAFKA_CONSUMER, mconf, err, errlen)
                    : (rd_kafka_conf_destroy(mconf), NULL);
    if (!s->meta) {
        wr_kafka_destroy(s->rk);
        free(s);
        return NULL;
    }
    const rd_kafka_metadata_t *md = NULL;
    char why[512];
    if (!wr_kafka_probe(s->rk, WR_KAFKA_DEFAULT_TIMEOUT_MS, &md, why, sizeof why)) {
        wr_errf(err, errlen, "source %s: %s", def->name, why);
        wr_ksrc_close(s);
        return NULL;
    }
    ok = resolve_partitions(s, md, err, errlen);
    rd_kafka_metadata_destroy(md);
    if (!ok) {
        wr_ksrc_close(s);
        return NULL;
    }
    for (int i = 0; i < s->nparts; i++)
        s->parts[i].rkt = rd_kafka_topic_new(s->rk, s->parts[i].tp.topic, NULL);
    return s;
}

static void drop_stash(kpart *p) {
    for (int i = 0; i < p->nstash; i++)
        rd_kafka_message_destroy(p->stash[i]);
    free(p->stash);
    p->stash = NULL;
    p->nstash = 0;
}

void wr_ksrc_close(wr_ksrc *s) {
    if (!s) return;
    for (int i = 0; i < s->nparts; i++) {
        kpart *p = &s->parts[i];
        drop_stash(p);
        if (p->started) rd_kafka_consume_stop(p->rkt, p->tp.partition);
        if (p->rkt) rd_kafka_topic_destroy(p->rkt);
        free(p->tp.topic);
    }
    free(s->parts);
    free(s->losses);
    if (s->rk) rd_kafka_consumer_close(s->rk); /* waits for the last offset commit */
    wr_kafka_destroy(s->rk);
    wr_kafka_destroy(s->meta);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

int wr_ksrc_count(const wr_ksrc *s) {
    return s->nparts;
}

const wr_tp *wr_ksrc_tp(const wr_ksrc *s, int i) {
    return &s->parts[i].tp;
}

void wr_ksrc_commit(wr_ksrc *s, const int64_t *next) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(s->nparts);
    for (int i = 0; i < s->nparts; i++)
        rd_kafka_topic_partition_list_add(l, s->parts[i].tp.topic, s->parts[i].tp.partition)
            ->offset = next[i];
    rd_kafka_commit(s->rk, l, 1); /* async: failures only cost lag visibility */
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_poll(s->rk, 0);
}

/* ListOffsets for every partition at once: ts -2 earliest, -1 latest. */
static bool list_offsets(wr_ksrc *s, int64_t ts, int64_t *out, char *err, size_t errlen) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(s->nparts);
    for (int i = 0; i < s->nparts; i++)
        rd_kafka_topic_partition_list_add(l, s->parts[i].tp.topic, s->parts[i].tp.partition)
            ->offset = ts;
    rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(s->meta, l, WR_KAFKA_DEFAULT_TIMEOUT_MS);
    bool ok = !e;
    if (e)
        wr_errf(err, errlen, "source %s: cannot list offsets: %s", s->def->name,
                rd_kafka_err2str(e));
    for (int i = 0; ok && i < s->nparts; i++) {
        rd_kafka_topic_partition_t *tp =
            rd_kafka_topic_partition_list_find(l, s->parts[i].tp.topic, s->parts[i].tp.partition);
        if (!tp || tp->err || tp->offset < 0) {
            wr_errf(err, errlen, "source %s: cannot list offsets of %s partition %d: %s",
                    s->def->name, s->parts[i].tp.topic, (int)s->parts[i].tp.partition,
                    tp && tp->err ? rd_kafka_err2str(tp->err) : "no offset");
            ok = false;
        } else {
            out[i] = tp->offset;
        }
    }
    rd_kafka_topic_partition_list_destroy(l);
    return ok;
}

bool wr_ksrc_watermarks(wr_ksrc *s, int64_t *earliest, int64_t *latest, char *err, size_t errlen) {
    return (!earliest || list_offsets(s, -2, earliest, err, errlen)) &&
           (!latest || list_offsets(s, -1, latest, err, errlen));
}

bool wr_ksrc_starting(wr_ksrc *s, int64_t *out, char *err, size_t errlen) {
    const char *so = wr_source_opt(s->def, "startingOffsets");
    if (!so || !strcasecmp(so, "latest")) return list_offsets(s, -1, out, err, errlen);
    if (!strcasecmp(so, "earliest")) return list_offsets(s, -2, out, err, errlen);
    int64_t *lo = wr_xmalloc(sizeof *lo * (size_t)(s->nparts + 1)),
            *hi = wr_xmalloc(sizeof *hi * (size_t)(s->nparts + 1));
    bool ok = wr_ksrc_watermarks(s, lo, hi, err, errlen);
    json_t *j = ok ? json_loads(so, 0, NULL) : NULL;
    for (int i = 0; ok && i < s->nparts; i++) {
        char pn[16];
        snprintf(pn, sizeof pn, "%d", (int)s->parts[i].tp.partition);
        json_t *off = json_object_get(json_object_get(j, s->parts[i].tp.topic), pn);
        if (!off) {
            wr_errf(err, errlen,
                    "source %s: startingOffsets gives no offset for %s partition %d (give every "
                    "partition; -2 is earliest, -1 latest)",
                    s->def->name, s->parts[i].tp.topic, (int)s->parts[i].tp.partition);
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

/* Spark's KafkaMicroBatchStream.rateLimit. */
void wr_ksrc_rate_limit(const wr_ksrc *s, const int64_t *from, const int64_t *latest, int64_t limit,
                        int64_t *to) {
    double total = 0;
    for (int i = 0; i < s->nparts; i++)
        total += (double)(latest[i] > from[i] ? latest[i] - from[i] : 0);
    for (int i = 0; i < s->nparts; i++) {
        if (limit <= 0 || total < 1) {
            to[i] = latest[i];
            continue;
        }
        double size = (double)(latest[i] > from[i] ? latest[i] - from[i] : 0);
        double prorate = (double)limit * (size / total);
        int64_t pl = (int64_t)(prorate < 1 ? __builtin_ceil(prorate) : __builtin_floor(prorate));
        int64_t off = pl > INT64_MAX - from[i] ? INT64_MAX : from[i] + pl;
        to[i] = off < latest[i] ? off : latest[i];
    }
}

/* Hands messages [start,end) to fn; keeps later ones in the stash. Returns
 * -1 on abort, else the next offset wanted. */
static int64_t deliver(kpart *p, rd_kafka_message_t **msgs, int n, int64_t want, int64_t end,
                       wr_ksrc_chunk_fn fn, void *ctx, bool *aborted) {
    int first = 0, k = 0;
    while (first < n && msgs[first]->offset < want)
        rd_kafka_message_destroy(msgs[first++]);
    for (k = first; k < n && msgs[k]->offset < end; k++) {
    }
    if (k > first) {
        if (!fn(ctx, msgs + first, k - first)) *aborted = true;
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

bool wr_ksrc_prepare(wr_ksrc *s, int i, int64_t start, char *err, size_t errlen) {
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
            wr_errf(err, errlen, "cannot start reading %s partition %d: %s", p->tp.topic,
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
static int64_t lost(wr_ksrc *s, kpart *p, int64_t want, int64_t end, char *err, size_t errlen) {
    int64_t lo = 0, hi = 0;
    rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(s->meta, p->tp.topic, p->tp.partition,
                                                             &lo, &hi, WR_KAFKA_DEFAULT_TIMEOUT_MS);
    if (e) {
        wr_errf(err, errlen,
                "reading %s partition %d: offset %lld is out of range, and the earliest offset "
                "cannot be listed: %s",
                p->tp.topic, (int)p->tp.partition, (long long)want, rd_kafka_err2str(e));
        return -1;
    }
    int64_t upto = lo < end ? lo : end; /* first offset still there, within the range */
    if (upto <= want) {                 /* not a deletion: the offset lies beyond the log end */
        wr_errf(err, errlen,
                "reading %s partition %d: offset %lld is out of range (the log holds %lld..%lld)",
                p->tp.topic, (int)p->tp.partition, (long long)want, (long long)lo,
                (long long)hi - 1);
        return -1;
    }
    if (s->fail_on_data_loss) {
        wr_errf(err, errlen,
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

int wr_ksrc_take_losses(wr_ksrc *s, wr_loss **out) {
    pthread_mutex_lock(&s->lock);
    int n = s->nlosses;
    *out = s->losses;
    s->losses = NULL;
    s->nlosses = 0;
    pthread_mutex_unlock(&s->lock);
    return n;
}

bool wr_ksrc_read(wr_ksrc *s, int i, int64_t start, int64_t end, wr_ksrc_chunk_fn fn, void *ctx,
                  char *err, size_t errlen) {
    kpart *p = &s->parts[i];
    if (start >= end) return true;
    if (!wr_ksrc_prepare(s, i, start, err, errlen)) return false;
    int64_t want = start;
    bool aborted = false;
    /* First what an earlier range fetched past its end. */
    if (p->nstash > 0) {
        rd_kafka_message_t **held = p->stash;
        int n = p->nstash;
        p->stash = NULL;
        p->nstash = 0;
        want = deliver(p, held, n, want, end, fn, ctx, &aborted);
        free(held);
    }
    rd_kafka_message_t *msgs[1024];
    int64_t idle_since = wr_now_ms();
    while (want < end && !aborted) {
        /* consume_batch waits until it has the count asked for (or the
         * timeout): ask for no more than the range still needs. */
        int64_t need = end - want;
        ssize_t n = rd_kafka_consume_batch(p->rkt, p->tp.partition, 100, msgs,
                                           need < 1024 ? (size_t)need : 1024);
        if (n < 0) {
            wr_errf(err, errlen, "reading %s partition %d: %s", p->tp.topic, (int)p->tp.partition,
                    rd_kafka_err2str(rd_kafka_last_error()));
            return false;
        }
        if (n == 0) {
            if (wr_now_ms() - idle_since > s->poll_timeout_ms) {
                wr_errf(err, errlen,
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
            want = deliver(p, msgs, bad, want, end, fn, ctx, &aborted);
            for (ssize_t x = bad; x < n; x++)
                rd_kafka_message_destroy(msgs[x]);
            p->started = false;
            rd_kafka_consume_stop(p->rkt, p->tp.partition);
            if (aborted || want >= end) continue; /* the range is done before the error */
            if (e != RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET &&
                e != RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
                wr_errf(err, errlen, "reading %s partition %d: %s", p->tp.topic,
                        (int)p->tp.partition, detail);
                return false;
            }
            if ((want = lost(s, p, want, end, err, errlen)) < 0) return false;
            if (want < end && !wr_ksrc_prepare(s, i, want, err, errlen)) return false;
            continue;
        }
        want = deliver(p, msgs, (int)n, want, end, fn, ctx, &aborted);
    }
    p->next = end;
    if (aborted) {
        wr_errf(err, errlen, "reading %s partition %d was stopped", p->tp.topic,
                (int)p->tp.partition);
        return false;
    }
    return true;
}
