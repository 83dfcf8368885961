/* The registry of sink kinds (wr_sinks.h): one line per kind. */
#include "sinks/sinks_int.h"

const wr_sink_kind *const wr_sink_kinds[] = {
    &wr_console_sink, &wr_memory_sink, &wr_csv_sink, &wr_json_sink, NULL,
};
