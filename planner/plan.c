/* Compiles a job file into a wr_job: validates source and sink options (with
 * the accepted names and values in every error), applies command-line
 * overrides, binds each INSERT's query and enforces Spark's output-mode rules. */
#include <ctype.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "planner/ast.h"
#include "planner/binder.h"
#include "planner/wr_plan.h"

typedef struct planctx {
    const char *file;
    char *err;
    size_t errlen;
    bool failed;
} planctx;

static bool failf(planctx *c, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static bool failf(planctx *c, int line, int col, const char *fmt, ...) {
    if (c->failed) return false;
    c->failed = true;
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    wr_errf(c->err, c->errlen, "%s:%d:%d: %s", c->file, line, col, msg);
    return false;
}

bool wr_trigger_parse(const char *s, wr_trigger *t, char *errstr, size_t errlen) {
    while (isspace((unsigned char)*s))
        s++;
    if (!strcasecmp(s, "availableNow") || !strcasecmp(s, "available-now"))
        return t->kind = WR_TRIGGER_AVAILABLE_NOW, true;
    if (!strcasecmp(s, "once")) return t->kind = WR_TRIGGER_ONCE, true;
    if (!strcasecmp(s, "default")) return t->kind = WR_TRIGGER_DEFAULT, true;
    const char *iv = s;
    if (!strncasecmp(s, "processingTime", 14)) {
        iv = s + 14;
        while (isspace((unsigned char)*iv))
            iv++;
        if (*iv == '=') iv++;
    } else if (!strncasecmp(s, "continuous", 10)) {
        wr_errf(errstr, errlen, "trigger '%s': continuous processing is not supported", s);
        return false;
    }
    char buf[128];
    snprintf(buf, sizeof buf, "%s", iv);
    char *b = buf;
    while (isspace((unsigned char)*b) || *b == '\'' || *b == '"')
        b++;
    size_t n = strlen(b);
    while (n && (isspace((unsigned char)b[n - 1]) || b[n - 1] == '\'' || b[n - 1] == '"'))
        b[--n] = '\0';
    int64_t us;
    char why[300];
    if (!wr_interval_parse(b, strlen(b), &us, why, sizeof why) || us < 0) {
        if (strstr(why, "too large"))
            wr_errf(errstr, errlen, "trigger '%s': %s", s, why);
        else
            wr_errf(errstr, errlen,
                    "trigger '%s' is not valid (accepted: availableNow, once, "
                    "processingTime=<interval> such as "
                    "'processingTime=5 seconds')",
                    s);
        return false;
    }
    t->kind = us ? WR_TRIGGER_INTERVAL : WR_TRIGGER_DEFAULT;
    t->interval_ms = us / 1000;
    return true;
}

const char *wr_source_opt(const wr_source_def *s, const char *key) {
    for (int i = 0; i < s->nopts; i++)
        if (!strcasecmp(s->opts[i].key, key)) return s->opts[i].value;
    return NULL;
}

const char *wr_job_setting(const wr_job *job, const char *key) {
    const char *v = NULL;
    for (int i = 0; i < job->nsettings; i++)
        if (!strcasecmp(job->settings[i].key, key)) v = job->settings[i].value;
    return v;
}

static const char *source_options = "kafka.<librdkafka setting>, subscribe, subscribePattern, "
                                    "assign, startingOffsets, maxOffsetsPerTrigger, "
                                    "failOnDataLoss, groupIdPrefix, kafkaConsumer.pollTimeoutMs, "
                                    "fetchOffset.numRetries, fetchOffset.retryIntervalMs";

static bool check_bool(planctx *c, const wr_option *o) {
    if (!strcasecmp(o->value, "true") || !strcasecmp(o->value, "false")) return true;
    return failf(c, o->line, o->col, "option %s must be true or false, not '%s'", o->key, o->value);
}

static bool check_posint(planctx *c, const wr_option *o) {
    int64_t v;
    if (wr_parse_i64(o->value, 1, INT64_MAX, &v)) return true;
    return failf(c, o->line, o->col, "option %s must be a positive whole number, not '%s'", o->key,
                 o->value);
}

static bool check_json_offsets(planctx *c, const wr_option *o, bool assign) {
    json_error_t je;
    json_t *j = json_loads(o->value, 0, &je);
    const char *want =
        assign ? "{\"topic\":[0,1]}" : "{\"topic\":{\"0\":23,\"1\":-2}} (-2 earliest, -1 latest)";
    if (!j || !json_is_object(j)) {
        json_decref(j);
        return failf(c, o->line, o->col, "option %s must be %sJSON like %s%s%s", o->key,
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
            json_array_foreach(v, i, p) if (!json_is_integer(p) || json_integer_value(p) < 0) ok =
                false;
        } else {
            const char *part;
            json_t *off;
            if (!json_is_object(v))
                ok = false;
            else
                json_object_foreach(v, part, off) {
                    int64_t pn;
                    if (!wr_parse_i64(part, 0, INT32_MAX, &pn) || !json_is_integer(off) ||
                        json_integer_value(off) < -2)
                        ok = false;
                }
        }
    }
    json_decref(j);
    if (!ok) return failf(c, o->line, o->col, "option %s must be JSON like %s", o->key, want);
    return true;
}

static bool plan_source(planctx *c, const wr_stmt *st, wr_source_def *src) {
    if (strcasecmp(st->using_, "kafka"))
        return failf(c, st->using_line, st->using_col,
                     "source format '%s' is not supported (supported: kafka)", st->using_);
    src->name = wr_xstrdup(st->name);
    int subs = 0;
    for (int i = 0; i < st->nopts && !c->failed; i++) {
        const wr_option *o = &st->opts[i];
        const char *k = o->key;
        if (!strncasecmp(k, "kafka.", 6)) {
            const char *rk = k + 6;
            if (!strcasecmp(rk, "enable.auto.commit") || !strcasecmp(rk, "auto.offset.reset"))
                return failf(c, o->line, o->col,
                             "option %s is managed by Weir (offsets are tracked per batch in the "
                             "checkpoint; use startingOffsets)",
                             k);
            /* Checked against librdkafka's own table, except plugin.library.paths: setting it loads
             * the libraries, which must not happen while a job is only being planned (it happens
             * when the query starts). */
            char msg[256];
            if (strcasecmp(rk, "plugin.library.paths")) {
                rd_kafka_conf_t *probe = rd_kafka_conf_new();
                rd_kafka_conf_res_t r = rd_kafka_conf_set(probe, rk, o->value, msg, sizeof msg);
                rd_kafka_conf_destroy(probe);
                if (r != RD_KAFKA_CONF_OK)
                    return failf(c, o->line, o->col, "option %s: %s", k, msg);
            }
            char *kk = wr_xasprintf("kafka.%s", rk);
            wr_kv_set(&src->opts, &src->nopts, kk, o->value);
            free(kk);
            continue;
        }
        if (!strcasecmp(k, "subscribe") || !strcasecmp(k, "subscribePattern") ||
            !strcasecmp(k, "assign")) {
            subs++;
            if (!*o->value) return failf(c, o->line, o->col, "option %s must not be empty", k);
            if (!strcasecmp(k, "assign") && !check_json_offsets(c, o, true)) return false;
            if (!strcasecmp(k, "subscribePattern")) {
                wr_err why;
                wr_regex *re = wr_regex_new(o->value, strlen(o->value), &why);
                if (!re) return failf(c, o->line, o->col, "option subscribePattern: %s", why.msg);
                wr_regex_free(re);
            }
        } else if (!strcasecmp(k, "startingOffsets")) {
            if (strcasecmp(o->value, "earliest") && strcasecmp(o->value, "latest") &&
                !check_json_offsets(c, o, false))
                return false;
        } else if (!strcasecmp(k, "maxOffsetsPerTrigger") ||
                   !strcasecmp(k, "kafkaConsumer.pollTimeoutMs") ||
                   !strcasecmp(k, "fetchOffset.numRetries") ||
                   !strcasecmp(k, "fetchOffset.retryIntervalMs")) {
            if (!check_posint(c, o)) return false;
        } else if (!strcasecmp(k, "failOnDataLoss")) {
            if (!check_bool(c, o)) return false;
        } else if (!strcasecmp(k, "groupIdPrefix")) {
        } else if (!strcasecmp(k, "endingOffsets")) {
            return failf(c, o->line, o->col,
                         "option endingOffsets is for batch queries; a streaming query runs until "
                         "stopped (use trigger availableNow to stop at the current end)");
        } else if (!strcasecmp(k, "includeHeaders") ||
                   !strcasecmp(k, "startingOffsetsByTimestamp") ||
                   !strcasecmp(k, "startingTimestamp") || !strcasecmp(k, "minOffsetsPerTrigger") ||
                   !strcasecmp(k, "maxTriggerDelay") || !strcasecmp(k, "minPartitions")) {
            return failf(c, o->line, o->col, "option %s is not supported yet", k);
        } else {
            return failf(c, o->line, o->col, "unknown option '%s' for a kafka source (valid: %s)",
                         k, source_options);
        }
        wr_kv_set(&src->opts, &src->nopts, k, o->value);
    }
    if (c->failed) return false;
    if (subs != 1)
        return failf(
            c, st->line, st->col,
            "source %s needs exactly one of the options subscribe, subscribePattern or assign%s",
            st->name, subs ? " (several are given)" : "");
    return true;
}

static const char *sink_options =
    "outputMode, checkpointLocation, trigger, queryName, numRows, truncate";

/* A one-character option (csv sep, quote, escape). */
static bool check_char(planctx *c, const wr_option *o, char *out) {
    const char *v = o->value;
    if (!strcmp(v, "\\t")) v = "\t";
    if (strlen(v) != 1 || v[0] == '\n' || v[0] == '\r')
        return failf(c, o->line, o->col,
                     "option %s must be one character (not a line break), not '%s'", o->key,
                     o->value);
    *out = v[0];
    return true;
}

static bool plan_sink(planctx *c, const wr_stmt *st, wr_sink_def *sk) {
    if (!strcasecmp(st->using_, "console"))
        sk->kind = WR_SINK_CONSOLE;
    else if (!strcasecmp(st->using_, "memory"))
        sk->kind = WR_SINK_MEMORY;
    else if (!strcasecmp(st->using_, "csv"))
        sk->kind = WR_SINK_CSV;
    else if (!strcasecmp(st->using_, "json"))
        sk->kind = WR_SINK_JSON;
    else if (!strcasecmp(st->using_, "parquet") || !strcasecmp(st->using_, "kafka") ||
             !strcasecmp(st->using_, "foreach"))
        return failf(
            c, st->using_line, st->using_col,
            "sink format '%s' is not supported yet (supported: console, memory, csv, json)",
            st->using_);
    else
        return failf(c, st->using_line, st->using_col,
                     "unknown sink format '%s' (supported: console, memory, csv, json)",
                     st->using_);
    bool files = sk->kind == WR_SINK_CSV || sk->kind == WR_SINK_JSON;
    sk->sep = ',';
    sk->quote = '"';
    sk->escape = '\\';
    sk->name = wr_xstrdup(st->name);
    sk->mode = WR_MODE_APPEND;
    sk->num_rows = 20;
    sk->truncate = 1;
    for (int i = 0; i < st->nopts; i++) {
        const wr_option *o = &st->opts[i];
        const char *k = o->key;
        if (!strcasecmp(k, "outputMode")) {
            if (!strcasecmp(o->value, "append"))
                sk->mode = WR_MODE_APPEND;
            else if (!strcasecmp(o->value, "update"))
                sk->mode = WR_MODE_UPDATE;
            else if (!strcasecmp(o->value, "complete"))
                sk->mode = WR_MODE_COMPLETE;
            else
                return failf(c, o->line, o->col,
                             "option outputMode must be append, update or complete, not '%s'",
                             o->value);
        } else if (!strcasecmp(k, "checkpointLocation")) {
            if (!*o->value)
                return failf(c, o->line, o->col,
                             "option checkpointLocation must name a folder (it is empty)");
            free(sk->checkpoint);
            sk->checkpoint = wr_xstrdup(o->value);
        } else if (!strcasecmp(k, "trigger")) {
            char why[300];
            if (!wr_trigger_parse(o->value, &sk->trigger, why, sizeof why))
                return failf(c, o->line, o->col, "option %s", why);
        } else if (!strcasecmp(k, "queryName")) {
        } else if (!strcasecmp(k, "numRows") && sk->kind == WR_SINK_CONSOLE) {
            int64_t v;
            if (!wr_parse_i64(o->value, 1, INT32_MAX, &v))
                return failf(c, o->line, o->col,
                             "option numRows must be a positive whole number, not '%s'", o->value);
            sk->num_rows = (int)v;
        } else if (!strcasecmp(k, "truncate") && sk->kind == WR_SINK_CONSOLE) {
            if (!check_bool(c, o)) return false;
            sk->truncate = !strcasecmp(o->value, "true");
        } else if (!strcasecmp(k, "path") && sk->kind != WR_SINK_CONSOLE) {
            if (!*o->value)
                return failf(c, o->line, o->col, "option path must name a %s",
                             files ? "folder" : "file");
            free(sk->path);
            sk->path = wr_xstrdup(o->value);
        } else if (!strcasecmp(k, "header") && sk->kind == WR_SINK_CSV) {
            if (!check_bool(c, o)) return false;
            sk->header = !strcasecmp(o->value, "true");
        } else if ((!strcasecmp(k, "sep") || !strcasecmp(k, "delimiter")) &&
                   sk->kind == WR_SINK_CSV) {
            if (!check_char(c, o, &sk->sep)) return false;
        } else if (!strcasecmp(k, "quote") && sk->kind == WR_SINK_CSV) {
            if (!check_char(c, o, &sk->quote)) return false;
        } else if (!strcasecmp(k, "escape") && sk->kind == WR_SINK_CSV) {
            if (!check_char(c, o, &sk->escape)) return false;
        } else {
            return failf(c, o->line, o->col, "unknown option '%s' for a %s sink (valid: %s)", k,
                         st->using_,
                         sk->kind == WR_SINK_CONSOLE ? sink_options
                         : sk->kind == WR_SINK_MEMORY
                             ? "outputMode, checkpointLocation, trigger, queryName, path"
                         : sk->kind == WR_SINK_CSV
                             ? "path, outputMode, checkpointLocation, trigger, queryName, header, "
                               "sep, quote, escape"
                             : "path, outputMode, checkpointLocation, trigger, queryName");
        }
    }
    if (files && !sk->path)
        return failf(c, st->line, st->col,
                     "a %s sink needs option path (the folder its files go to)", st->using_);
    if (sk->kind == WR_SINK_CSV && (sk->sep == sk->quote || sk->sep == sk->escape))
        return failf(c, st->line, st->col, "csv sink %s: sep must differ from quote and escape",
                     st->name);
    return true;
}

/* The settings a job may SET, with their ranges. */
static const struct {
    const char *name;
    int64_t min, max;
} known_settings[] = {
    {"spark.sql.shuffle.partitions", 1, 4096},
    {"weir.shuffle.partitions", 1, 4096},
    {"weir.workers", 1, 4096},
    {"spark.sql.streaming.minBatchesToRetain", 1, 1000000},
    {"spark.sql.streaming.stateStore.minDeltasForSnapshot", 1, 1000000},
};

/* The index of a known setting and its value, or -1 with errstr. */
static int check_setting(const char *k, const char *v, char *errstr, size_t errlen) {
    int n = (int)(sizeof known_settings / sizeof known_settings[0]), i = 0;
    while (i < n && strcasecmp(k, known_settings[i].name))
        i++;
    if (i == n) {
        wr_buf names = {0};
        for (int j = 0; j < n; j++)
            wr_buf_printf(&names, "%s%s", j ? ", " : "", known_settings[j].name);
        wr_errf(errstr, errlen, "unknown setting '%s' (settings: %s)", k, names.p);
        wr_buf_free(&names);
        return -1;
    }
    int64_t x;
    if (!wr_parse_i64(v, known_settings[i].min, known_settings[i].max, &x)) {
        wr_errf(errstr, errlen, "setting %s must be a whole number from %lld to %lld, not '%s'", k,
                (long long)known_settings[i].min, (long long)known_settings[i].max, v);
        return -1;
    }
    return i;
}

bool wr_setting_check(const char *key, const char *value, char *errstr, size_t errlen) {
    return check_setting(key, value, errstr, errlen) >= 0;
}

static bool plan_setting(planctx *c, wr_job *job, const char *k, const char *v, int line, int col) {
    char why[700];
    int i = check_setting(k, v, why, sizeof why);
    if (i < 0) return failf(c, line, col, "%s", why);
    wr_kv_set(&job->settings, &job->nsettings,
              !strcasecmp(k, "spark.sql.shuffle.partitions") ? "weir.shuffle.partitions"
                                                             : known_settings[i].name,
              v);
    return true;
}

static void free_source(wr_source_def *s) {
    free(s->name);
    for (int i = 0; i < s->nopts; i++)
        free(s->opts[i].key), free(s->opts[i].value);
    free(s->opts);
}

void wr_job_free(wr_job *job) {
    if (!job) return;
    for (int i = 0; i < job->nqueries; i++)
        wr_query_free_parts(&job->queries[i]);
    free(job->queries);
    for (int i = 0; i < job->nsources; i++)
        free_source(&job->sources[i]);
    free(job->sources);
    for (int i = 0; i < job->nsinks; i++)
        free(job->sinks[i].name), free(job->sinks[i].checkpoint), free(job->sinks[i].path);
    free(job->sinks);
    for (int i = 0; i < job->nselects; i++)
        free(job->selects[i].sql);
    free(job->selects);
    for (int i = 0; i < job->nsettings; i++)
        free(job->settings[i].key), free(job->settings[i].value);
    free(job->settings);
    free(job);
}

static bool check_modes(planctx *c, const wr_stmt *st, wr_query *q) {
    wr_sink_def *sk = q->sink;
    bool files = sk->kind == WR_SINK_CSV || sk->kind == WR_SINK_JSON;
    const char *fmt = sk->kind == WR_SINK_CSV ? "csv" : "json";
    if (files && sk->mode != WR_MODE_APPEND)
        return failf(c, st->line, st->col,
                     "a %s sink only appends (files are never rewritten): outputMode '%s' is not "
                     "allowed for sink %s",
                     fmt, sk->mode == WR_MODE_UPDATE ? "update" : "complete", sk->name);
    bool closes = q->agg && q->agg->wm_expr &&
                  q->agg->event_key >= 0; /* groups end when the watermark passes */
    if (files && q->agg && !closes)
        return failf(
            c, st->line, st->col,
            "a %s sink only appends, and an aggregation without a watermark never finishes a row: "
            "aggregate by an event-time window with a WATERMARK, or write to a memory sink "
            "(outputMode 'complete' or "
            "'update') for sink %s",
            fmt, sk->name);
    if (files && !sk->checkpoint)
        return failf(c, st->line, st->col,
                     "a %s sink is exactly-once through its checkpoint: give sink %s option "
                     "checkpointLocation "
                     "(or weir run --checkpoint DIR)",
                     fmt, sk->name);
    for (int i = 0; sk->kind == WR_SINK_CSV && i < q->out.n; i++) {
        wr_kind k = (wr_kind)q->out.cols[i].type.kind;
        if (k == WR_T_BINARY || k == WR_T_ARRAY || k == WR_T_WINDOW)
            return failf(c, st->line, st->col,
                         "a csv sink cannot hold column %s of type %s: cast it to STRING, or use a "
                         "json sink",
                         q->out.cols[i].name, wr_type_name(q->out.cols[i].type));
    }
    if (!q->agg && sk->mode == WR_MODE_COMPLETE)
        return failf(c, st->line, st->col,
                     "outputMode 'complete' needs an aggregation: complete mode rewrites the whole "
                     "result every batch, "
                     "which only an aggregated result allows; use outputMode 'append' for sink %s",
                     sk->name);
    if (q->agg && sk->mode == WR_MODE_APPEND && !q->agg->wm_expr)
        return failf(c, st->line, st->col,
                     "outputMode 'append' is not allowed for an aggregation without a watermark: "
                     "an aggregated row can still "
                     "change, so it can never be appended just once; use outputMode 'complete' or "
                     "'update', or group by a window "
                     "with a WATERMARK, for sink %s",
                     sk->name);
    if (q->agg && sk->mode == WR_MODE_APPEND && !closes)
        return failf(c, st->line, st->col,
                     "outputMode 'append' needs the WATERMARK column or a window of it among the "
                     "GROUP BY keys, so that groups "
                     "close as the watermark passes them (sink %s)",
                     sk->name);
    if (q->agg && sk->kind == WR_SINK_MEMORY && sk->mode == WR_MODE_UPDATE)
        for (int k = 0; k < q->agg->nkeys; k++)
            if (q->agg->out_key_cols[k] < 0)
                return failf(c, st->line, st->col,
                             "outputMode 'update' on memory sink %s upserts rows by their GROUP BY "
                             "keys, so every key must be "
                             "in the select list (key %d is missing)",
                             sk->name, k + 1);
    return true;
}

wr_job *wr_plan_job(const char *file, const char *src, size_t len, const wr_plan_overrides *ov,
                    char *errstr, size_t errlen) {
    wr_arena arena = {0};
    wr_script script;
    if (!wr_parse_script(file, src, len, &arena, &script, errstr, errlen)) {
        wr_arena_free(&arena);
        return NULL;
    }
    planctx c = {file, errstr, errlen, false};
    wr_job *job = wr_xcalloc(1, sizeof *job);
    job->sources = wr_xcalloc((size_t)script.nstmts + 1, sizeof *job->sources);
    job->sinks = wr_xcalloc((size_t)script.nstmts + 1, sizeof *job->sinks);
    job->queries = wr_xcalloc((size_t)script.nstmts + 1, sizeof *job->queries);
    wr_view_def *views = wr_xcalloc((size_t)script.nstmts + 1, sizeof *views);
    int nviews = 0;
    const wr_stmt **inserts = wr_xcalloc((size_t)script.nstmts + 1, sizeof *inserts);

    for (int i = 0; i < ov->sets->n && !c.failed; i++) {
        char *k, *v;
        if (!wr_split_kv(ov->sets->items[i], '=', &k, &v)) {
            wr_errf(errstr, errlen, "--set %s: expected key=value", ov->sets->items[i]);
            c.failed = true;
            break;
        }
        char *msg = NULL;
        if (!plan_setting(&c, job, k, v, 0, 0)) msg = wr_xstrdup(errstr);
        if (msg) { /* not a file position: say --set */
            const char *m = strstr(msg, ": ");
            wr_errf(errstr, errlen, "--set %s", m ? m + 2 : msg);
            free(msg);
        }
        free(k), free(v);
    }

    for (int i = 0; i < script.nstmts && !c.failed; i++) {
        const wr_stmt *st = &script.stmts[i];
        bool dup = false;
        switch (st->kind) {
        case STMT_SOURCE:
            for (int j = 0; j < job->nsources; j++)
                dup |= !strcasecmp(job->sources[j].name, st->name);
            for (int j = 0; j < nviews; j++)
                dup |= !strcasecmp(views[j].name, st->name);
            if (dup) {
                failf(&c, st->line, st->col, "'%s' is already declared", st->name);
                break;
            }
            if (plan_source(&c, st, &job->sources[job->nsources]))
                job->nsources++;
            else
                free_source(&job->sources[job->nsources]),
                    memset(&job->sources[job->nsources], 0, sizeof job->sources[0]);
            break;
        case STMT_SINK:
            for (int j = 0; j < job->nsinks; j++)
                dup |= !strcasecmp(job->sinks[j].name, st->name);
            if (dup) {
                failf(&c, st->line, st->col, "sink '%s' is already declared", st->name);
                break;
            }
            if (plan_sink(&c, st, &job->sinks[job->nsinks]))
                job->nsinks++;
            else
                free(job->sinks[job->nsinks].name), free(job->sinks[job->nsinks].checkpoint),
                    free(job->sinks[job->nsinks].path);
            break;
        case STMT_VIEW: {
            for (int j = 0; j < job->nsources; j++)
                dup |= !strcasecmp(job->sources[j].name, st->name);
            for (int j = 0; j < nviews; j++)
                dup |= !strcasecmp(views[j].name, st->name);
            if (dup) {
                failf(&c, st->line, st->col, "'%s' is already declared", st->name);
                break;
            }
            wr_bind_env env = {file, job->sources, job->nsources, views, nviews};
            if (!wr_bind_view_check(&env, st->select, errstr, errlen)) {
                c.failed = true;
                break;
            }
            views[nviews++] = (wr_view_def){st->name, st->select};
            break;
        }
        case STMT_INSERT: {
            wr_sink_def *sk = NULL;
            for (int j = 0; j < job->nsinks; j++)
                if (!strcasecmp(job->sinks[j].name, st->name)) sk = &job->sinks[j];
            if (!sk) {
                failf(&c, st->line, st->col,
                      "unknown sink '%s': declare it with CREATE SINK %s USING "
                      "console|memory|csv|json OPTIONS (...)",
                      st->name, st->name);
                break;
            }
            for (int j = 0; j < job->nqueries; j++)
                if (job->queries[j].sink == sk) {
                    failf(&c, st->line, st->col,
                          "sink '%s' already has a query (one INSERT INTO per sink)", st->name);
                    break;
                }
            if (c.failed) break;
            wr_query *q = &job->queries[job->nqueries];
            wr_bind_env env = {file, job->sources, job->nsources, views, nviews};
            if (!wr_bind_query(&env, st->select, q, errstr, errlen)) {
                c.failed = true;
                break;
            }
            q->sink = sk;
            q->name = wr_xstrdup(sk->name);
            inserts[job->nqueries] = st;
            job->nqueries++;
            break;
        }
        case STMT_SET:
            plan_setting(&c, job, st->name, st->value, st->line, st->col);
            break;
        case STMT_QUERY:
            job->selects =
                wr_xrealloc(job->selects, sizeof *job->selects * (size_t)(job->nselects + 1));
            job->selects[job->nselects++] =
                (wr_trailing_select){wr_xstrdup(st->text), st->line, st->col};
            break;
        }
    }

    /* Command-line overrides, then checks that need them. */
    for (int i = 0; i < job->nsources && !c.failed; i++) {
        wr_source_def *s = &job->sources[i];
        if (ov->bootstrap) wr_kv_set(&s->opts, &s->nopts, "kafka.bootstrap.servers", ov->bootstrap);
        if (!wr_source_opt(s, "kafka.bootstrap.servers")) {
            wr_errf(errstr, errlen,
                    "%s: source %s has no option 'kafka.bootstrap.servers' (set it, or give "
                    "--bootstrap)",
                    file, s->name);
            c.failed = true;
        }
    }
    if (ov->checkpoint && !*ov->checkpoint) {
        wr_errf(errstr, errlen, "--checkpoint must name a folder (it is empty)");
        c.failed = true;
    }
    for (int i = 0; i < job->nsinks && !c.failed; i++) {
        wr_sink_def *sk = &job->sinks[i];
        if (ov->checkpoint) {
            free(sk->checkpoint);
            sk->checkpoint = wr_xasprintf("%s/%s", ov->checkpoint, sk->name);
        }
        if (ov->trigger) {
            char why[300];
            if (!wr_trigger_parse(ov->trigger, &sk->trigger, why, sizeof why)) {
                wr_errf(errstr, errlen, "--trigger: %s", why);
                c.failed = true;
            }
        }
    }
    for (int i = 0; i < job->nqueries && !c.failed; i++)
        check_modes(&c, inserts[i], &job->queries[i]);
    if (!c.failed && !job->nqueries && !job->nselects && !ov->allow_empty) {
        wr_errf(errstr, errlen,
                "%s: the job has no INSERT INTO ... SELECT and no SELECT: nothing to run", file);
        c.failed = true;
    }
    free(views);
    free(inserts);
    wr_arena_free(&arena);
    if (c.failed) {
        wr_job_free(job);
        return NULL;
    }
    return job;
}
