/* The registry of source kinds (wr_sources.h): one line per kind. */
#include "sources/wr_sources.h"

extern const wr_source_kind wr_kafka_source, wr_rate_source, wr_text_source, wr_csv_source,
    wr_json_source;

const wr_source_kind *const wr_source_kinds[] = {
    &wr_kafka_source, &wr_rate_source, &wr_text_source, &wr_csv_source, &wr_json_source, NULL,
};
