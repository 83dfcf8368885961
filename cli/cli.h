/* Internal to the command-line front end: the subcommands and the option
 * handling they share (one-line errors, --bootstrap, -X, --property). */
#ifndef WR_CLI_H
#define WR_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "core/wr_core.h"
#include "engine/wr_engine.h"
#include "planner/wr_plan.h"

/* Exit codes: 0 success, 1 runtime failure, 2 bad usage. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Prints "weir CMD: message" on one line to stderr and returns `code`. */
int cli_error(const char *cmd, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Options every Kafka-talking command takes. */
typedef struct cli_kafka {
    const char *bootstrap; /* --bootstrap, default localhost:9092 */
    wr_strlist props;      /* -X key=value for librdkafka */
    int timeout_ms;        /* --timeout-ms where it applies */
} cli_kafka;

/* Handles getopt's '?' and ':' results with a one-line error; returns CLI_USAGE. */
int cli_bad_option(const char *cmd, int c, char *const argv[]);

/* Parses a non-negative integer option value or prints an error naming it. */
bool cli_int_opt(const char *cmd, const char *opt, const char *val, int64_t min, int64_t max,
                 int64_t *out);

/* Parses "true"/"false" for --property values. */
bool cli_bool_value(const char *cmd, const char *prop, const char *val, bool *out);

/* Checks a --set key=value (a known setting, a valid value) or prints an
 * error naming it. */
bool cli_setting_opt(const char *cmd, const char *kv);

/* Expands \t, \n, \r and \\ in separators given on the command line. */
char *cli_unescape(const char *s);

int cmd_broker(int argc, char **argv);
int cmd_topics(int argc, char **argv);
int cmd_produce(int argc, char **argv);
int cmd_consume(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_shell(int argc, char **argv);

/* The kinds of sources and sinks jobs may use (the registries). */
extern const wr_kinds cli_kinds;

/* Checks the job's trailing SELECTs against empty tables of its sinks
 * before any query starts: "FILE:LINE:COL: message" at the SELECT. */
bool cli_check_selects(const wr_job *job, const char *file, char *errstr, size_t errlen);

#endif
