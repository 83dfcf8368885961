/* The planner's public face: a job file compiled into streaming queries (a
 * Kafka source, a chain of stateless steps, an optional aggregation, a sink),
 * plus settings and the trailing SELECTs over memory sinks.
 *
 * job file -> lexer -> parser (AST) -> binder (names, types, functions)
 *          -> plan checks (output modes) -> wr_job
 * The plan is read-only at run time; operators keep their state beside it. */
#ifndef WR_PLAN_H
#define WR_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "expr/wr_expr.h"

/* FILTER keeps rows; PROJECT computes a new row; EXPLODE appends one column
 * per array item; EXTEND appends computed columns (values several
 * expressions after it share, computed once). */
typedef enum { WR_STEP_FILTER, WR_STEP_PROJECT, WR_STEP_EXPLODE, WR_STEP_EXTEND } wr_step_kind;

/* One stateless step over rows. EXPLODE appends the generated element column
 * to the input row (OUTER keeps rows whose array is NULL or empty, with NULL). */
typedef struct wr_step {
    wr_step_kind kind;
    wr_expr *expr; /* FILTER predicate; EXPLODE array */
    bool outer;
    wr_expr **exprs; /* PROJECT outputs */
    int nexprs;
    int in_width, out_width;
} wr_step;

typedef enum { WR_WIN_NONE, WR_WIN_TUMBLING, WR_WIN_SLIDING, WR_WIN_SESSION } wr_window_kind;

/* GROUP BY window(ts, size[, slide]) or session_window(ts, gap): key `key`
 * is evaluated to the event time ts, and the task turns it into the row's
 * window(s) [start, end), aligned to the epoch (microseconds). */
typedef struct wr_window {
    wr_window_kind kind;
    int key;
    int64_t size, slide, gap;
} wr_window;

/* GROUP BY: keys and aggregate inputs are evaluated per pipeline row; the
 * result row is [keys..., aggregates...], from which `outs` compute the sink's
 * columns (and `having` filters). */
typedef struct wr_aggregate {
    wr_expr **keys;
    wr_type *key_types;
    int nkeys;
    wr_agg *aggs;
    int naggs;
    wr_expr **outs;
    int nouts;
    wr_expr *having;
    int *out_key_cols; /* for update mode: which output columns hold each key, -1 if none */
    wr_window win;
    /* Event time: with a WATERMARK, wm_expr gives the watermark column over
     * the aggregated row; event_key is the key whose value ends a group's
     * event time (the window key: its end; or the watermark column itself),
     * -1 if none: then groups never close. */
    wr_expr *wm_expr;
    int64_t wm_delay;
    int event_key;
} wr_aggregate;

typedef enum { WR_MODE_APPEND, WR_MODE_UPDATE, WR_MODE_COMPLETE } wr_output_mode;
typedef struct wr_sink_def wr_sink_def;
typedef enum {
    WR_TRIGGER_DEFAULT,
    WR_TRIGGER_INTERVAL,
    WR_TRIGGER_ONCE,
    WR_TRIGGER_AVAILABLE_NOW
} wr_trigger_kind;

typedef struct wr_trigger {
    wr_trigger_kind kind;
    int64_t interval_ms;
} wr_trigger;

/* ---- kinds of sources and sinks ---- */

/* A kind's run-time operations are the engine's (engine/wr_engine.h); the
 * planner only carries them from the registry to the plan. */
typedef struct wr_source_ops wr_source_ops;
typedef struct wr_sink_ops wr_sink_ops;
typedef struct wr_query wr_query;

/* A kind of source, as USING names it: its option table, the checks the
 * table cannot express (which option is at fault: *at, an index into opts,
 * or -1 for the statement) and the columns of its rows. sources/ registers
 * each kind in one table. */
typedef struct wr_source_kind {
    const char *name;
    const wr_optspec *options;
    bool (*check)(const char *name, const wr_kv *opts, int nopts, int *at, wr_err *err);
    void (*schema)(const wr_kv *opts, int nopts, wr_schema *out);
    const wr_source_ops *ops;
} wr_source_kind;

typedef struct wr_source_def {
    char *name;
    const wr_source_kind *kind;
    wr_kv *opts; /* validated */
    int nopts;
    wr_schema schema; /* the columns of its rows */
} wr_source_def;

/* The options every sink takes (Spark's DataStreamWriter), for the kinds'
 * tables: outputMode, checkpointLocation, trigger, queryName. */
#define WR_SINK_COMMON_OPTIONS                                                                     \
    {"outputMode",                                                                                 \
     WR_OPT_ENUM,                                                                                  \
     "append",                                                                                     \
     "append|update|complete",                                                                     \
     0,                                                                                            \
     0,                                                                                            \
     "which rows each batch writes: the new ones, the changed ones, or the whole result",          \
     0},                                                                                           \
        {"checkpointLocation",                                                                     \
         WR_OPT_STRING,                                                                            \
         NULL,                                                                                     \
         "a folder",                                                                               \
         0,                                                                                        \
         0,                                                                                        \
         "the folder of the query's checkpoint (exactly-once progress)",                           \
         WR_OPT_NONEMPTY},                                                                         \
        {"trigger",                                                                                \
         WR_OPT_STRING,                                                                            \
         NULL,                                                                                     \
         NULL,                                                                                     \
         0,                                                                                        \
         0,                                                                                        \
         "availableNow, once, or processingTime=<interval>; default: the next batch at once",      \
         0},                                                                                       \
    {                                                                                              \
        "queryName", WR_OPT_STRING, NULL, NULL, 0, 0,                                              \
            "accepted for Spark's sake; the query is named after its sink", WR_OPT_NONEMPTY        \
    }

enum { WR_MODES_APPEND = 1, WR_MODES_UPDATE = 2, WR_MODES_COMPLETE = 4 };

/* SQLite attaches at most this many databases to a connection (the
 * default, which Debian's libsqlite3 keeps): so at most this many sinks of
 * a job may keep their table in a file of their own (a memory sink with a
 * path), each attached to the run's readers. */
#define WR_MAX_ATTACHED_SINKS 10

/* SQLite's limit on a table's columns (the default, which Debian keeps):
 * the most a memory sink holds, and SQL over sinks reads. */
#define WR_SQL_MAX_COLUMNS 2000

/* A kind of sink: its option table (the common options included), the
 * output modes it takes, the checks of its options the table cannot express
 * (an error about CREATE SINK), and whether a query fits it (an error about
 * the INSERT); either check may be NULL. */
typedef struct wr_sink_kind {
    const char *name;
    const wr_optspec *options;
    unsigned modes;
    bool (*check_options)(const wr_sink_def *def, wr_err *err);
    bool (*check_query)(const wr_sink_def *def, const wr_query *q, wr_err *err);
    const wr_sink_ops *ops;
    /* Whether a sink of these options keeps its table in a database file of
     * its own, attached to the run's readers (WR_MAX_ATTACHED_SINKS a job);
     * NULL: never. */
    bool (*own_file)(const wr_sink_def *def);
} wr_sink_kind;

struct wr_sink_def {
    char *name;
    const wr_sink_kind *kind;
    wr_output_mode mode;
    wr_trigger trigger;
    char *checkpoint;
    wr_kv *opts; /* every option as validated (the kind reads its own) */
    int nopts;
};

/* The kinds a job may use: NULL-terminated tables (sources/, sinks/). */
typedef struct wr_kinds {
    const wr_source_kind *const *sources;
    const wr_sink_kind *const *sinks;
} wr_kinds;

/* One streaming query, a chain of plan nodes: scan the source, the
 * stateless steps, the aggregation (if any), write to the sink. */
struct wr_query {
    char *name; /* the sink's name */
    wr_source_def *source;
    bool *scan_needed; /* per column of the source's rows: whether the query reads it */
    wr_step *steps;
    int nsteps;
    wr_aggregate *agg;
    wr_schema out; /* the rows the sink receives */
    wr_sink_def *sink;
};

/* A trailing SELECT: SQLite SQL over the sinks, run after the streams. */
typedef struct wr_trailing_select {
    char *sql;
    int line, col; /* where it starts in the job file */
} wr_trailing_select;

typedef struct wr_job {
    wr_source_def *sources;
    int nsources;
    wr_sink_def *sinks;
    int nsinks;
    wr_query *queries;
    int nqueries;
    wr_trailing_select *selects;
    int nselects;
    wr_kv *settings;
    int nsettings;
} wr_job;

/* What planning needs besides the text: the kinds of sources and sinks,
 * and overrides from the command line (weir run). */
typedef struct wr_plan_overrides {
    const wr_kinds *kinds;
    const char *bootstrap;  /* replaces kafka.bootstrap.servers everywhere */
    const char *checkpoint; /* DIR: the query of sink S checkpoints at DIR/S */
    const char *trigger;    /* replaces every sink's trigger */
    const wr_strlist *sets; /* key=value, as SET */
    bool allow_empty;       /* a job without queries is fine (weir shell) */
} wr_plan_overrides;

/* Compiles a job file. Errors: "FILE:LINE:COL: message", one line. */
wr_job *wr_plan_job(const char *file, const char *src, size_t len, const wr_plan_overrides *ov,
                    char *errstr, size_t errlen);
void wr_job_free(wr_job *job);

/* A setting of the job (SET or --set), or NULL. */
const char *wr_job_setting(const wr_job *job, const char *key);
/* A source's or a sink's option value (the last set), or NULL. */
const char *wr_source_opt(const wr_source_def *s, const char *key);
const char *wr_sink_opt(const wr_sink_def *s, const char *key);

/* The settings a job may SET, as an option table (for --help). */
const wr_optspec *wr_settings_table(void);

/* Checks a setting as SET key = value or --set key=value take it. */
bool wr_setting_check(const char *key, const char *value, char *errstr, size_t errlen);

/* How weir shell reads its input: the statement at the start of src, what
 * kind it is (by its leading words, read with the job language's lexer) and
 * where it ends. The job language's statements end under its own rules
 * (strings with backslash escapes, `names`, comments); SQLite SQL ends where
 * SQLite's sqlite3_complete() says (a trigger's BEGIN ... END included). */
typedef enum {
    WR_STMT_BLANK,    /* only blanks and comments */
    WR_STMT_JOB,      /* CREATE SOURCE / STREAM / SINK / VIEW, SET, INSERT INTO sink SELECT */
    WR_STMT_DESCRIBE, /* DESCRIBE [TABLE] name (also DESC) */
    WR_STMT_SHOW,     /* SHOW word */
    WR_STMT_SQL,      /* anything else: SQLite SQL */
} wr_stmt_class;

typedef struct wr_stmt_span {
    wr_stmt_class cls;
    size_t
        len; /* bytes through the ';' that ends it (blank: all of src); 0 if nothing ends it yet */
    char name[128]; /* INSERT INTO's sink, DESCRIBE's name, SHOW's word ("" if none) */
    bool extra;     /* DESCRIBE, SHOW: more words than that before the ';' */
} wr_stmt_span;

void wr_statement_span(const char *src, size_t len, wr_stmt_span *out);

/* Parses a trigger text: "availableNow", "once", "processingTime=5 seconds",
 * "5 seconds". */
bool wr_trigger_parse(const char *s, wr_trigger *t, char *errstr, size_t errlen);

#endif
