/* Internal to the sinks module: the implementations' operation tables. */
#ifndef WR_SINKS_INT_H
#define WR_SINKS_INT_H

#include "sinks/wr_sink.h"

extern const wr_sink_ops wr_console_ops;
extern const wr_sink_ops wr_memory_ops;
bool wr_memory_open(wr_sink *s, char *errstr, size_t errlen);
/* "CREATE TABLE name (...)" of a memory sink's table for query q's rows. */
void wr_memory_table_sql(wr_buf *b, const char *quoted_name, const wr_query *q);
extern const wr_sink_ops wr_file_ops;
bool wr_file_open(wr_sink *s, char *errstr, size_t errlen);
/* The metadata log of a file sink: the folder (batch < 0) or batch's entry. */
char *wr_file_sink_log(const wr_sink_def *d, int64_t batch);

#endif
