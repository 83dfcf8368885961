/* Internal to the sinks module: the kinds, and what the file sinks and
 * their reader share (the format options, the metadata log's paths), and
 * the memory sink's table that reading a file sink back fills. */
#ifndef WR_SINKS_INT_H
#define WR_SINKS_INT_H

#include "catalog/wr_catalog.h"
#include "sinks/wr_sinks.h"

extern const wr_sink_kind wr_console_sink, wr_memory_sink, wr_csv_sink, wr_json_sink;

/* A csv or json sink's options. */
typedef struct wr_file_fmt {
    bool csv;
    const char *path; /* the folder of its files */
    bool header;      /* csv: a header line in each file */
    char sep, quote, escape;
} wr_file_fmt;

void wr_file_fmt_of(const wr_sink_def *d, wr_file_fmt *f);
/* The metadata log of a file sink: the folder (batch < 0) or batch's entry. */
char *wr_file_sink_log(const wr_file_fmt *f, int64_t batch);
/* Loads what a csv or json sink committed into env's catalog (wr_sink_ops.load). */
bool wr_file_sink_load(const wr_sink_def *def, const wr_query *q, const wr_sink_env *env,
                       wr_err *err);

#endif
