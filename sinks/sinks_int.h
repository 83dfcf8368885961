/* Internal to the sinks module: the implementations' operation tables. */
#ifndef WR_SINKS_INT_H
#define WR_SINKS_INT_H

#include "sinks/wr_sink.h"

extern const wr_sink_ops wr_console_ops;
extern const wr_sink_ops wr_memory_ops;
bool wr_memory_open(wr_sink *s, char *errstr, size_t errlen);

#endif
