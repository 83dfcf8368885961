/* SQL types: names as Spark writes them, parsing a type name, and which
 * types are numbers. */
#include <strings.h>

#include "core/wr_core.h"

const char *wr_type_name(wr_type t) {
    static const char *names[] = {"VOID",   "BOOLEAN", "INT",       "BIGINT", "DOUBLE",
                                  "STRING", "BINARY",  "TIMESTAMP", "ARRAY"};
    if (t.kind == WR_T_WINDOW) return "STRUCT<start: TIMESTAMP, end: TIMESTAMP>";
    if (t.kind == WR_T_ARRAY) {
        static const char *arr[] = {"ARRAY<VOID>",   "ARRAY<BOOLEAN>",   "ARRAY<INT>",
                                    "ARRAY<BIGINT>", "ARRAY<DOUBLE>",    "ARRAY<STRING>",
                                    "ARRAY<BINARY>", "ARRAY<TIMESTAMP>", "ARRAY<ARRAY>"};
        return arr[t.elem];
    }
    return names[t.kind];
}

bool wr_type_parse(const char *name, wr_type *out) {
    static const struct {
        const char *n;
        wr_kind k;
    } map[] = {{"string", WR_T_STRING}, {"varchar", WR_T_STRING}, {"char", WR_T_STRING},
               {"int", WR_T_INT},       {"integer", WR_T_INT},    {"smallint", WR_T_INT},
               {"tinyint", WR_T_INT},   {"short", WR_T_INT},      {"byte", WR_T_INT},
               {"bigint", WR_T_BIGINT}, {"long", WR_T_BIGINT},    {"double", WR_T_DOUBLE},
               {"float", WR_T_DOUBLE},  {"real", WR_T_DOUBLE},    {"boolean", WR_T_BOOL},
               {"bool", WR_T_BOOL},     {"binary", WR_T_BINARY},  {"timestamp", WR_T_TIMESTAMP}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcasecmp(name, map[i].n)) {
            *out = WR_TYPE(map[i].k);
            return true;
        }
    return false;
}

bool wr_type_is_numeric(wr_type t) {
    return t.kind == WR_T_INT || t.kind == WR_T_BIGINT || t.kind == WR_T_DOUBLE;
}
