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

typedef struct wr_source_def {
    char *name;
    wr_kv *opts; /* validated Kafka options */
    int nopts;
} wr_source_def;

typedef enum { WR_SINK_CONSOLE, WR_SINK_MEMORY, WR_SINK_CSV, WR_SINK_JSON } wr_sink_kind;

typedef struct wr_sink_def {
    char *name;
    wr_sink_kind kind;
    wr_output_mode mode;
    wr_trigger trigger;
    char *checkpoint;
    char *path;              /* memory: a SQLite file that keeps the table (durable);
                                csv, json: the folder of the files */
    int num_rows;            /* console */
    int truncate;            /* console: 0 = no, else width 20 */
    bool header;             /* csv: a header line in each file */
    char sep, quote, escape; /* csv */
} wr_sink_def;

typedef struct wr_query {
    char *name; /* the sink's name */
    wr_source_def *source;
    wr_step *steps;
    int nsteps;
    int scan_width;      /* columns of a Kafka row */
    bool uses_timestamp; /* some expression reads timestamp / timestampType */
    wr_aggregate *agg;
    wr_schema out; /* the rows the sink receives */
    wr_sink_def *sink;
} wr_query;

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

/* Overrides from the command line (weir run). */
typedef struct wr_plan_overrides {
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
/* A source option's value, or NULL. */
const char *wr_source_opt(const wr_source_def *s, const char *key);

/* The Kafka row layout every source produces. */
enum {
    WR_KCOL_KEY,
    WR_KCOL_VALUE,
    WR_KCOL_TOPIC,
    WR_KCOL_PARTITION,
    WR_KCOL_OFFSET,
    WR_KCOL_TIMESTAMP,
    WR_KCOL_TIMESTAMP_TYPE,
    WR_KCOL_COUNT
};
/* The name and type of column i of a Kafka row. */
void wr_kafka_column(int i, const char **name, wr_type *type);

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
