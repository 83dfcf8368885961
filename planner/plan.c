/* Compiles a job file into a wr_job: validates source and sink options (with
 * the accepted names and values in every error), applies command-line
 * overrides, binds each INSERT's query and enforces Spark's output-mode rules. */
#include <ctype.h>
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

const char *wr_sink_opt(const wr_sink_def *s, const char *key) {
    return wr_opt_value(s->opts, s->nopts, key);
}

/* Kinds named after USING that Weir knows of but does not have yet. */
static const char *const sources_not_yet[] = {"text",   "csv",  "json", "parquet",
                                              "socket", "file", NULL};
static const char *const sinks_not_yet[] = {"parquet", "kafka", "foreach", "foreachBatch", NULL};

static bool in_list(const char *const *names, const char *name) {
    for (int i = 0; names[i]; i++)
        if (!strcasecmp(names[i], name)) return true;
    return false;
}

/* The kind called name (kinds: a NULL-terminated table of pointers to
 * structs that begin with their name), or NULL with an error at USING. */
static const void *find_kind(planctx *c, const wr_stmt *st, const void *const *kinds, bool source) {
    for (int i = 0; kinds && kinds[i]; i++)
        if (!strcasecmp(*(const char *const *)kinds[i], st->using_)) return kinds[i];
    wr_buf names = {0};
    for (int i = 0; kinds && kinds[i]; i++)
        wr_buf_printf(&names, "%s%s", i ? ", " : "", *(const char *const *)kinds[i]);
    if (in_list(source ? sources_not_yet : sinks_not_yet, st->using_))
        failf(c, st->using_line, st->using_col,
              "%s format '%s' is not supported yet (supported: %s)", source ? "source" : "sink",
              st->using_, names.p ? names.p : "none");
    else
        failf(c, st->using_line, st->using_col, "%s format '%s' is %s (supported: %s)",
              source ? "source" : "sink", st->using_, source ? "not supported" : "unknown",
              names.p ? names.p : "none");
    wr_buf_free(&names);
    return NULL;
}

/* Checks every option of st against a kind's table and keeps them in opts. */
static bool plan_options(planctx *c, const wr_stmt *st, const wr_optspec *table, const char *what,
                         wr_kv **opts, int *nopts) {
    for (int i = 0; i < st->nopts && !c->failed; i++) {
        const wr_option *o = &st->opts[i];
        wr_err why;
        if (!wr_opt_check(table, what, o->key, o->value, &why))
            return failf(c, o->line, o->col, "%s", why.msg);
        wr_kv_set(opts, nopts, o->key, o->value);
    }
    return !c->failed;
}

static bool plan_source(planctx *c, const wr_stmt *st, const wr_plan_overrides *ov,
                        wr_source_def *src) {
    const wr_source_kind *kind =
        find_kind(c, st, (const void *const *)(ov->kinds ? ov->kinds->sources : NULL), true);
    if (!kind) return false;
    src->name = wr_xstrdup(st->name);
    src->kind = kind;
    char what[80];
    snprintf(what, sizeof what, "a %s source", kind->name);
    if (!plan_options(c, st, kind->options, what, &src->opts, &src->nopts)) return false;
    /* --bootstrap replaces kafka.bootstrap.servers in every source that takes it */
    if (ov->bootstrap && wr_opt_lookup(kind->options, "kafka.bootstrap.servers"))
        wr_kv_set(&src->opts, &src->nopts, "kafka.bootstrap.servers", ov->bootstrap);
    int at = -1;
    wr_err why;
    if (kind->check && !kind->check(src->name, src->opts, src->nopts, &at, &why)) {
        /* the option at fault, by its key, else the statement */
        const wr_option *o = NULL;
        for (int i = 0; at >= 0 && i < st->nopts; i++)
            if (!strcasecmp(st->opts[i].key, src->opts[at].key)) o = &st->opts[i];
        return failf(c, o ? o->line : st->line, o ? o->col : st->col, "%s", why.msg);
    }
    kind->schema(src->opts, src->nopts, &src->schema);
    return true;
}

static bool plan_sink(planctx *c, const wr_stmt *st, const wr_plan_overrides *ov, wr_sink_def *sk) {
    const wr_sink_kind *kind =
        find_kind(c, st, (const void *const *)(ov->kinds ? ov->kinds->sinks : NULL), false);
    if (!kind) return false;
    sk->name = wr_xstrdup(st->name);
    sk->kind = kind;
    sk->mode = WR_MODE_APPEND;
    char what[80];
    snprintf(what, sizeof what, "a %s sink", kind->name);
    if (!plan_options(c, st, kind->options, what, &sk->opts, &sk->nopts)) return false;
    for (int i = 0; i < st->nopts; i++) {
        const wr_option *o = &st->opts[i];
        if (!strcasecmp(o->key, "outputMode")) {
            sk->mode = !strcasecmp(o->value, "append")   ? WR_MODE_APPEND
                       : !strcasecmp(o->value, "update") ? WR_MODE_UPDATE
                                                         : WR_MODE_COMPLETE;
        } else if (!strcasecmp(o->key, "checkpointLocation")) {
            free(sk->checkpoint);
            sk->checkpoint = wr_xstrdup(o->value);
        } else if (!strcasecmp(o->key, "trigger")) {
            char why[300];
            if (!wr_trigger_parse(o->value, &sk->trigger, why, sizeof why))
                return failf(c, o->line, o->col, "option %s", why);
        }
    }
    wr_err why;
    if (kind->check_options && !kind->check_options(sk, &why))
        return failf(c, st->line, st->col, "%s", why.msg);
    return true;
}

/* The settings a job may SET (or --set), with their ranges and docs. */
static const wr_optspec settings[] = {
    {"spark.sql.shuffle.partitions", WR_OPT_INT, "cores", NULL, 1, 4096,
     "state partitions aggregates are hashed into (as weir.shuffle.partitions)", 0},
    {"weir.shuffle.partitions", WR_OPT_INT, "cores", NULL, 1, 4096,
     "state partitions aggregates are hashed into; fixed for the life of a checkpoint", 0},
    {"weir.workers", WR_OPT_INT, "cores", NULL, 1, 4096, "task threads of each query", 0},
    {"spark.sql.streaming.minBatchesToRetain", WR_OPT_INT, "100", NULL, 1, 1000000,
     "batches a checkpoint can still recover; older files are removed", 0},
    {"spark.sql.streaming.stateStore.minDeltasForSnapshot", WR_OPT_INT, "10", NULL, 1, 1000000,
     "a full state snapshot every N batches; the others write deltas", 0},
    {NULL},
};

const wr_optspec *wr_settings_table(void) {
    return settings;
}

/* The known setting and its value, or NULL with errstr. */
static const wr_optspec *check_setting(const char *k, const char *v, char *errstr, size_t errlen) {
    const wr_optspec *o = wr_opt_lookup(settings, k);
    if (!o) {
        wr_buf names = {0};
        for (int j = 0; settings[j].name; j++)
            wr_buf_printf(&names, "%s%s", j ? ", " : "", settings[j].name);
        const char *near = wr_opt_nearest(settings, k);
        if (near)
            wr_errf(errstr, errlen, "unknown setting '%s': did you mean '%s'? (settings: %s)", k,
                    near, names.p);
        else
            wr_errf(errstr, errlen, "unknown setting '%s' (settings: %s)", k, names.p);
        wr_buf_free(&names);
        return NULL;
    }
    int64_t x;
    if (!wr_parse_i64(v, o->min, o->max, &x)) {
        wr_errf(errstr, errlen, "setting %s must be a whole number from %lld to %lld, not '%s'", k,
                (long long)o->min, (long long)o->max, v);
        return NULL;
    }
    return o;
}

bool wr_setting_check(const char *key, const char *value, char *errstr, size_t errlen) {
    return check_setting(key, value, errstr, errlen) != NULL;
}

static bool plan_setting(planctx *c, wr_job *job, const char *k, const char *v, int line, int col) {
    char why[700];
    const wr_optspec *o = check_setting(k, v, why, sizeof why);
    if (!o) return failf(c, line, col, "%s", why);
    wr_kv_set(&job->settings, &job->nsettings,
              !strcasecmp(k, "spark.sql.shuffle.partitions") ? "weir.shuffle.partitions" : o->name,
              v);
    return true;
}

static void free_source(wr_source_def *s) {
    free(s->name);
    wr_kv_free(s->opts, s->nopts);
    wr_schema_free(&s->schema);
}

static void free_sink(wr_sink_def *s) {
    free(s->name);
    free(s->checkpoint);
    wr_kv_free(s->opts, s->nopts);
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
        free_sink(&job->sinks[i]);
    free(job->sinks);
    for (int i = 0; i < job->nselects; i++)
        free(job->selects[i].sql);
    free(job->selects);
    wr_kv_free(job->settings, job->nsettings);
    free(job);
}

static const char *mode_name(wr_output_mode m) {
    return m == WR_MODE_APPEND ? "append" : m == WR_MODE_UPDATE ? "update" : "complete";
}

/* Spark's rules on output modes, then the sink's own (its modes, its check). */
static bool check_modes(planctx *c, const wr_stmt *st, wr_query *q) {
    wr_sink_def *sk = q->sink;
    wr_err why;
    if (sk->kind->check_query && !sk->kind->check_query(sk, q, &why))
        return failf(c, st->line, st->col, "%s", why.msg);
    if (!(sk->kind->modes & (1u << sk->mode))) {
        wr_buf ok = {0};
        for (int m = 0; m < 3; m++)
            if (sk->kind->modes & (1u << m))
                wr_buf_printf(&ok, "%s%s", ok.len ? ", " : "", mode_name((wr_output_mode)m));
        bool r = failf(c, st->line, st->col,
                       "a %s sink takes outputMode %s: outputMode '%s' is not allowed for sink %s",
                       sk->kind->name, ok.p, mode_name(sk->mode), sk->name);
        wr_buf_free(&ok);
        return r;
    }
    bool closes = q->agg && q->agg->wm_expr &&
                  q->agg->event_key >= 0; /* groups end when the watermark passes */
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

    int own_files = 0; /* sinks whose table is in a file of its own */
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
            if (plan_source(&c, st, ov, &job->sources[job->nsources]))
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
            if (plan_sink(&c, st, ov, &job->sinks[job->nsinks])) {
                const wr_sink_def *sk = &job->sinks[job->nsinks++];
                if (sk->kind->own_file && sk->kind->own_file(sk) &&
                    ++own_files > WR_MAX_ATTACHED_SINKS)
                    failf(&c, st->line, st->col,
                          "at most %d memory sinks with a path per job: SQLite attaches at most "
                          "%d databases",
                          WR_MAX_ATTACHED_SINKS, WR_MAX_ATTACHED_SINKS);
            } else
                free_sink(&job->sinks[job->nsinks]),
                    memset(&job->sinks[job->nsinks], 0, sizeof job->sinks[0]);
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
                wr_buf kinds = {0};
                for (int k = 0; ov->kinds && ov->kinds->sinks && ov->kinds->sinks[k]; k++)
                    wr_buf_printf(&kinds, "%s%s", k ? "|" : "", ov->kinds->sinks[k]->name);
                failf(&c, st->line, st->col,
                      "unknown sink '%s': declare it with CREATE SINK %s USING %s OPTIONS (...)",
                      st->name, st->name, kinds.p ? kinds.p : "...");
                wr_buf_free(&kinds);
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
