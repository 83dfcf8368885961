/* The rate source (Spark's "rate" format): rowsPerSecond rows every second,
 * columns timestamp TIMESTAMP and value BIGINT, the values counting up from
 * 0 and dealt round-robin over numPartitions splits (split p has p, p + P,
 * p + 2P, ...). For trying queries and measuring the engine without Kafka.
 *
 * As in Spark (RateStreamMicroBatchStream), an offset is a number of whole
 * seconds since the query started, and a batch of seconds [s, e) holds the
 * values [value_at(s), value_at(e)), value v stamped start + s seconds +
 * round((v - value_at(s)) * ms per value). With rampUpTime the rate rises
 * linearly to rowsPerSecond over that time. The query's start time is part
 * of its offsets' JSON ({"startTimeMs": T, "seconds": S}), so a query that
 * resumes from its checkpoint goes on with the same sequence: no value
 * lost, none repeated. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sources/wr_sources.h"

static const wr_optspec options[] = {
    {"rowsPerSecond", WR_OPT_INT, "1", NULL, 1, INT64_MAX, "rows generated every second", 0},
    {"rampUpTime", WR_OPT_STRING, "0s", NULL, 0, 0,
     "time to reach rowsPerSecond, rising linearly from 0: 10s, 2m, 1h (whole seconds)", 0},
    {"numPartitions", WR_OPT_INT, "cores", NULL, 1, 4096,
     "splits the values are dealt over (read in parallel)", 0},
    {NULL},
};

/* Spark's time strings (JavaUtils.timeStringAsSec): a whole number with an
 * optional unit us, ms, s, m, min, h or d (seconds when none), truncated to
 * whole seconds. */
static bool parse_seconds(const char *s, int64_t *out) {
    static const char *const units[] = {"us", "ms", "s", "m", "min", "h", "d", "", NULL};
    static const int64_t num[] = {1, 1, 1, 60, 60, 3600, 86400, 1},
                         den[] = {1000000, 1000, 1, 1, 1, 1, 1, 1}; /* seconds = n * num / den */
    int64_t n;
    int i;
    if (!wr_parse_with_unit(s, units, &n, &i) || n > INT64_MAX / num[i]) return false;
    *out = n * num[i] / den[i];
    return true;
}

/* The first value of second `s` (Spark's valueAtSecond): the ramp's
 * triangle, then rowsPerSecond a second; -1 when it does not fit a BIGINT. */
static int64_t value_at(int64_t s, int64_t rate, int64_t ramp) {
    int64_t delta = rate / (ramp + 1); /* the speed gained each second of the ramp */
    int64_t r = s < ramp ? s : ramp, v;
    /* delta * r * (r + 1) / 2, halving the even factor first */
    int64_t a = r % 2 ? (r + 1) / 2 : r / 2, b = r % 2 ? r : r + 1;
    if (__builtin_mul_overflow(a, b, &v) || __builtin_mul_overflow(v, delta, &v)) return -1;
    if (s <= ramp) return v;
    int64_t rest;
    if (__builtin_mul_overflow(s - ramp, rate, &rest) || __builtin_add_overflow(v, rest, &v))
        return -1;
    return v;
}

typedef struct rate_opts {
    int64_t rows_per_sec, ramp_s;
    int nparts;
} rate_opts;

static void opts_of(const wr_kv *opts, int n, rate_opts *o) {
    const char *r = wr_opt_value(opts, n, "rowsPerSecond"),
               *u = wr_opt_value(opts, n, "rampUpTime"),
               *p = wr_opt_value(opts, n, "numPartitions");
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    o->rows_per_sec = r ? strtoll(r, NULL, 10) : 1;
    o->ramp_s = 0;
    if (u) parse_seconds(u, &o->ramp_s);
    o->nparts = p ? atoi(p) : (int)(cores > 0 ? cores : 1);
}

static bool check(const char *name, const wr_kv *opts, int n, int *at, wr_err *err) {
    (void)name;
    for (int i = 0; i < n; i++) {
        int64_t s;
        *at = i;
        if (!strcasecmp(opts[i].key, "rampUpTime") && !parse_seconds(opts[i].value, &s))
            return wr_fail(err, WR_ERR_USAGE,
                           "option rampUpTime must be a time such as 0s, 10s, 2m or 1h, not '%s'",
                           opts[i].value);
    }
    *at = -1;
    for (int i = 0; i < n; i++) /* an overflow is the ramp's */
        if (!strcasecmp(opts[i].key, "rampUpTime")) *at = i;
    rate_opts o;
    opts_of(opts, n, &o);
    if (value_at(o.ramp_s, o.rows_per_sec, o.ramp_s) < 0)
        return wr_fail(err, WR_ERR_USAGE,
                       "option rampUpTime: %lld seconds at rowsPerSecond %lld overflow the BIGINT "
                       "values",
                       (long long)o.ramp_s, (long long)o.rows_per_sec);
    return true;
}

static void schema(const wr_kv *opts, int n, wr_schema *out) {
    (void)opts, (void)n;
    wr_schema_add(out, "timestamp", WR_TYPE(WR_T_TIMESTAMP));
    wr_schema_add(out, "value", WR_TYPE(WR_T_BIGINT));
}

typedef struct rate {
    wr_source base;
    rate_opts o;
    int64_t start_ms; /* when the query started (wall clock); -1 until known */
    int64_t last_ms;  /* the latest time the offsets have reached */
    char **names;     /* "rate partition N" */
} rate;

static wr_source *rate_open(const wr_source_def *def, const wr_source_env *env, wr_err *err) {
    (void)env, (void)err;
    rate *r = wr_xcalloc(1, sizeof *r);
    r->base.def = def;
    opts_of(def->opts, def->nopts, &r->o);
    r->start_ms = r->last_ms = -1;
    r->names = wr_xcalloc((size_t)r->o.nparts, sizeof *r->names);
    for (int i = 0; i < r->o.nparts; i++)
        r->names[i] = wr_xasprintf("rate partition %d", i);
    return &r->base;
}

static void rate_close(wr_source *s) {
    rate *r = (rate *)s;
    for (int i = 0; i < r->o.nparts; i++)
        free(r->names[i]);
    free(r->names);
    free(r);
}

static int rate_splits(wr_source *s) {
    return ((rate *)s)->o.nparts;
}

static const char *rate_split_name(wr_source *s, int i) {
    return ((rate *)s)->names[i];
}

static void fill(rate *r, int64_t *off, int64_t seconds) {
    for (int i = 0; i < r->o.nparts; i++)
        off[i] = seconds;
}

static bool rate_initial(wr_source *s, int64_t *off, wr_err *err) {
    (void)err;
    rate *r = (rate *)s;
    r->start_ms = r->last_ms = wr_wall_ms();
    fill(r, off, 0);
    return true;
}

/* Whole seconds since the start; never back (the clock may be). */
static bool rate_latest(wr_source *s, int64_t *off, wr_err *err) {
    rate *r = (rate *)s;
    if (r->start_ms < 0) r->start_ms = r->last_ms = wr_wall_ms();
    int64_t now = wr_wall_ms();
    if (now > r->last_ms) r->last_ms = now;
    int64_t seconds = (r->last_ms - r->start_ms) / 1000;
    if (value_at(seconds, r->o.rows_per_sec, r->o.ramp_s) < 0)
        return wr_fail(err, WR_ERR_LIMIT,
                       "rate source %s: %lld seconds at rowsPerSecond %lld overflow the BIGINT "
                       "values",
                       s->def->name, (long long)seconds, (long long)r->o.rows_per_sec);
    fill(r, off, seconds);
    return true;
}

static void rate_limit(wr_source *s, const int64_t *from, const int64_t *latest, bool once,
                       int64_t *to) {
    (void)from, (void)once;
    memcpy(to, latest, sizeof *to * (size_t)((rate *)s)->o.nparts);
}

enum { CHUNK = 4096 };

static bool rate_read(wr_source *s, int i, int64_t start, int64_t end, wr_rows_fn fn, void *ctx,
                      wr_err *err) {
    rate *r = (rate *)s;
    int64_t first = value_at(start, r->o.rows_per_sec, r->o.ramp_s),
            last = value_at(end, r->o.rows_per_sec, r->o.ramp_s);
    if (first < 0 || last < 0)
        return wr_fail(err, WR_ERR_LIMIT, "rate source %s: seconds %lld..%lld overflow the values",
                       s->def->name, (long long)start, (long long)end);
    if (last <= first) return true;
    int64_t base_ms = r->start_ms + start * 1000;
    double ms_per_value = (double)(end - start) * 1000.0 / (double)(last - first);
    wr_batch rows = {.width = 2};
    bool ok = true;
    for (int64_t v = first + i; v < last && ok; v += r->o.nparts) {
        wr_val *row = wr_batch_add(&rows);
        row[0] = wr_int((base_ms + llround((double)(v - first) * ms_per_value)) * 1000);
        row[1] = wr_int(v);
        if (rows.n == CHUNK || v + r->o.nparts >= last) {
            size_t bad = 0;
            if (!fn(ctx, &rows, &bad)) {
                ok = wr_fail(err, WR_ERR_DATA, "rate partition %d, value %lld", i,
                             (long long)wr_batch_row(&rows, bad < rows.n ? bad : 0)[1].u.i);
            }
            rows.n = 0;
        }
    }
    wr_batch_free(&rows);
    return ok;
}

static json_t *rate_offsets_json(wr_source *s, const int64_t *off) {
    rate *r = (rate *)s;
    return json_pack("{s:I, s:I}", "startTimeMs", (json_int_t)r->start_ms, "seconds",
                     (json_int_t)off[0]);
}

static bool rate_offsets_from_json(wr_source *s, const json_t *j, int64_t *off, wr_err *err) {
    rate *r = (rate *)s;
    json_t *t = json_object_get(j, "startTimeMs"), *sec = json_object_get(j, "seconds");
    const int64_t max_ms = WR_TS_MAX_US / 1000; /* timestamps stay within TIMESTAMP's range */
    if (!json_is_integer(t) || !json_is_integer(sec) || json_integer_value(t) < 0 ||
        json_integer_value(t) > max_ms || json_integer_value(sec) < 0 ||
        json_integer_value(sec) > (max_ms - json_integer_value(t)) / 1000)
        return wr_fail(err, WR_ERR_CORRUPT,
                       "rate source %s: the checkpoint's offsets are damaged (expected "
                       "{\"startTimeMs\": ..., \"seconds\": ...})",
                       s->def->name);
    r->start_ms = json_integer_value(t);
    int64_t seconds = json_integer_value(sec), reached = r->start_ms + seconds * 1000;
    if (reached > r->last_ms) r->last_ms = reached; /* where a resumed query is */
    fill(r, off, seconds);
    return true;
}

static char *rate_describe(const wr_source_def *def) {
    rate_opts o;
    opts_of(def->opts, def->nopts, &o);
    return wr_xasprintf("RateStreamV2[rowsPerSecond=%lld, rampUpTimeSeconds=%lld, "
                        "numPartitions=%d]",
                        (long long)o.rows_per_sec, (long long)o.ramp_s, o.nparts);
}

/* The values of a second depend on these two: a checkpoint written with
 * others would repeat or skip values. */
static char *rate_identity(const wr_source_def *def) {
    rate_opts o;
    opts_of(def->opts, def->nopts, &o);
    return wr_xasprintf("rate rowsPerSecond=%lld rampUpTime=%llds", (long long)o.rows_per_sec,
                        (long long)o.ramp_s);
}

static const wr_source_ops ops = {
    .open = rate_open,
    .close = rate_close,
    .splits = rate_splits,
    .split_name = rate_split_name,
    .initial = rate_initial,
    .latest = rate_latest,
    .limit = rate_limit,
    .read = rate_read,
    .offsets_json = rate_offsets_json,
    .offsets_from_json = rate_offsets_from_json,
    .describe = rate_describe,
    .identity = rate_identity,
    .behind = "the checkpoint belongs to another query",
};

const wr_source_kind wr_rate_source = {"rate", options, check, schema, &ops};
