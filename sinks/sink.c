/* Opening and closing sinks: picks the implementation for a sink's format. */
#include <stdlib.h>

#include "sinks/sinks_int.h"

wr_sink *wr_sink_open(const wr_query *q, const wr_sink_env *env, char *err, size_t errlen) {
    wr_sink *s = wr_xcalloc(1, sizeof *s);
    s->def = q->sink;
    s->query = q;
    s->env = env;
    switch (q->sink->kind) {
    case WR_SINK_CONSOLE:
        s->ops = &wr_console_ops;
        break;
    case WR_SINK_MEMORY:
        s->ops = &wr_memory_ops;
        if (!wr_memory_open(s, err, errlen)) {
            free(s);
            return NULL;
        }
        break;
    case WR_SINK_CSV:
    case WR_SINK_JSON:
        s->ops = &wr_file_ops;
        if (!wr_file_open(s, err, errlen)) {
            free(s);
            return NULL;
        }
        break;
    }
    return s;
}

void wr_sink_close(wr_sink *s) {
    if (!s) return;
    s->ops->close(s);
    free(s);
}
