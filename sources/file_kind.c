/* The file sources as the planner knows them: text, csv and json, Spark's
 * file stream sources. Their option tables (the options every file source
 * takes, then each format's own), the checks the tables cannot express
 * (path, the schema DDL, maxFileAge, maxBytesPerTrigger, cleanSource), the
 * rows' schema (text: value STRING; csv, json: the given schema), and the
 * description in progress reports and checkpoints. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sources/file_int.h"

/* The rows of the options every file source takes. */
#define FILE_OPTIONS                                                                               \
    {"path",                                                                                       \
     WR_OPT_STRING,                                                                                \
     NULL,                                                                                         \
     "a folder, a file or a glob of files",                                                        \
     0,                                                                                            \
     0,                                                                                            \
     "what to read: a folder's files (and its subfolders'), one file, or a glob such as "          \
     "'in/*.txt'",                                                                                 \
     WR_OPT_NONEMPTY},                                                                             \
        {"maxFilesPerTrigger",                                                                     \
         WR_OPT_INT,                                                                               \
         NULL,                                                                                     \
         NULL,                                                                                     \
         1,                                                                                        \
         INT64_MAX,                                                                                \
         "at most this many new files a batch",                                                    \
         0},                                                                                       \
        {"maxBytesPerTrigger",                                                                     \
         WR_OPT_STRING,                                                                            \
         NULL,                                                                                     \
         "a size such as 1048576, 64m or 1g",                                                      \
         0,                                                                                        \
         0,                                                                                        \
         "about this many bytes of new files a batch (at least one file)",                         \
         WR_OPT_NONEMPTY},                                                                         \
        {"latestFirst",                                                                            \
         WR_OPT_BOOL,                                                                              \
         "false",                                                                                  \
         NULL,                                                                                     \
         0,                                                                                        \
         0,                                                                                        \
         "take the newest files first (by modification time)",                                     \
         0},                                                                                       \
        {"maxFileAge",                                                                             \
         WR_OPT_STRING,                                                                            \
         "7d",                                                                                     \
         NULL,                                                                                     \
         0,                                                                                        \
         0,                                                                                        \
         "files older than the newest seen by more than this are ignored: 10s, 2h, 7d",            \
         0},                                                                                       \
        {"fileNameOnly",                                                                           \
         WR_OPT_BOOL,                                                                              \
         "false",                                                                                  \
         NULL,                                                                                     \
         0,                                                                                        \
         0,                                                                                        \
         "a file is known by its name alone, not its whole path",                                  \
         0},                                                                                       \
        {"cleanSource",                                                                            \
         WR_OPT_ENUM,                                                                              \
         "off",                                                                                    \
         "archive|delete|off",                                                                     \
         0,                                                                                        \
         0,                                                                                        \
         "what becomes of a file once its batch is committed",                                     \
         0},                                                                                       \
        {"sourceArchiveDir",                                                                       \
         WR_OPT_STRING,                                                                            \
         NULL,                                                                                     \
         "a folder",                                                                               \
         0,                                                                                        \
         0,                                                                                        \
         "where cleanSource = archive moves files (their absolute path under it)",                 \
         WR_OPT_NONEMPTY},                                                                         \
        {"pathGlobFilter",                                                                         \
         WR_OPT_STRING,                                                                            \
         NULL,                                                                                     \
         "a glob",                                                                                 \
         0,                                                                                        \
         0,                                                                                        \
         "only files whose name matches this glob, such as *.csv",                                 \
         WR_OPT_NONEMPTY},                                                                         \
        {"ignoreMissingFiles",                                                                     \
         WR_OPT_BOOL,                                                                              \
         "false",                                                                                  \
         NULL,                                                                                     \
         0,                                                                                        \
         0,                                                                                        \
         "a logged file gone when its batch reads it: skip it with a warning (else fail)",         \
         0},                                                                                       \
        {"numPartitions",                                                                          \
         WR_OPT_INT,                                                                               \
         "cores",                                                                                  \
         NULL,                                                                                     \
         1,                                                                                        \
         4096,                                                                                     \
         "splits a batch is read in, in parallel (big files are split too)",                       \
         0},                                                                                       \
        {"lineSep",                                                                                \
         WR_OPT_STRING,                                                                            \
         NULL,                                                                                     \
         "a separator",                                                                            \
         0,                                                                                        \
         0,                                                                                        \
         "what ends a line (default: \\n, \\r or \\r\\n)",                                         \
         WR_OPT_NONEMPTY},                                                                         \
        {"multiLine", WR_OPT_BOOL, NULL, NULL, 0, 0, "records are one per line", WR_OPT_NOT_YET},  \
        {"encoding", WR_OPT_STRING, NULL, NULL, 0, 0, "files are read as UTF-8", WR_OPT_NOT_YET},  \
        {"charset", WR_OPT_STRING, NULL, NULL, 0, 0, "files are read as UTF-8", WR_OPT_NOT_YET}, { \
        "compression", WR_OPT_STRING, NULL, NULL, 0, 0, "files are read as they are",              \
            WR_OPT_NOT_YET                                                                         \
    }

/* What csv and json share: the schema, malformed records, timestamps. */
#define PARSED_OPTIONS                                                                             \
    {"schema",                                                                                     \
     WR_OPT_STRING,                                                                                \
     NULL,                                                                                         \
     "a schema such as 'id INT, name STRING'",                                                     \
     0,                                                                                            \
     0,                                                                                            \
     "the columns of the rows, in Spark's DDL (required, as for Spark's streaming sources)",       \
     WR_OPT_NONEMPTY},                                                                             \
        {"mode",                                                                                   \
         WR_OPT_ENUM,                                                                              \
         "PERMISSIVE",                                                                             \
         "PERMISSIVE|DROPMALFORMED|FAILFAST",                                                      \
         0,                                                                                        \
         0,                                                                                        \
         "a malformed record: NULLs where it fails, dropped, or the batch fails",                  \
         0},                                                                                       \
        {"timestampFormat",                                                                        \
         WR_OPT_STRING,                                                                            \
         NULL,                                                                                     \
         "a pattern",                                                                              \
         0,                                                                                        \
         0,                                                                                        \
         "how TIMESTAMP fields are written (Java DateTimeFormatter; default: as CAST reads them)", \
         WR_OPT_NONEMPTY},                                                                         \
    {                                                                                              \
        "inferSchema", WR_OPT_BOOL, NULL, NULL, 0, 0,                                              \
            "a streaming source needs its schema given: set schema", WR_OPT_NOT_YET                \
    }

static const wr_optspec text_options[] = {
    FILE_OPTIONS,
    {"wholetext", WR_OPT_BOOL, "false", NULL, 0, 0, "one row per file instead of per line", 0},
    {NULL},
};

static const wr_optspec csv_options[] = {
    FILE_OPTIONS,
    PARSED_OPTIONS,
    {"header", WR_OPT_BOOL, "false", NULL, 0, 0,
     "the first line of each file names the columns (it is skipped)", 0},
    {"sep", WR_OPT_CHAR, ",", NULL, 0, 0, "field separator (\\t for a tab)", 0},
    {"delimiter", WR_OPT_CHAR, ",", NULL, 0, 0, "the same as sep", 0},
    {"quote", WR_OPT_CHAR, "\"", NULL, 0, 0, "quote character", 0},
    {"escape", WR_OPT_CHAR, "\\", NULL, 0, 0, "escapes a quote inside quotes", 0},
    {"nullValue", WR_OPT_STRING, "", NULL, 0, 0, "the text of a NULL field", 0},
    {NULL},
};

static const wr_optspec json_options[] = {
    FILE_OPTIONS,
    PARSED_OPTIONS,
    {NULL},
};

wr_file_format wr_file_format_of(const wr_source_def *def) {
    return def->kind == &wr_csv_source    ? WR_FMT_CSV
           : def->kind == &wr_json_source ? WR_FMT_JSON
                                          : WR_FMT_TEXT;
}

/* Spark's JavaUtils suffixes: a whole number, then a unit (mult[i] each). */
static bool parse_units(const char *s, const char *const *units, const int64_t *mult,
                        int64_t *out) {
    int64_t n;
    int i;
    if (!wr_parse_with_unit(s, units, &n, &i) || n > INT64_MAX / mult[i]) return false;
    *out = n * mult[i];
    return true;
}

bool wr_file_parse_ms(const char *s, int64_t *ms) {
    static const char *const units[] = {"", "us", "ms", "s", "m", "min", "h", "d", NULL};
    static const int64_t us[] = {1000,       1,          1000,         1000000,
                                 60000000LL, 60000000LL, 3600000000LL, 86400000000LL};
    int64_t v;
    if (!parse_units(s, units, us, &v)) return false;
    *ms = v / 1000;
    return true;
}

bool wr_file_parse_bytes(const char *s, int64_t *bytes) {
    static const char *const units[] = {"", "b", "k", "kb", "m", "mb", "g", "gb", "t", "tb", NULL};
    static const int64_t mult[] = {1,       1,       1024,    1024,        1048576,
                                   1048576, 1 << 30, 1 << 30, 1LL << 40LL, 1LL << 40LL};
    return parse_units(s, units, mult, bytes) && *bytes > 0;
}

/* ---- the schema DDL ---- */

static void skip_space(const char **p) {
    while (isspace((unsigned char)**p))
        (*p)++;
}

/* An identifier or a `quoted` one (`` is a backquote), into name. */
static bool ddl_name(const char **p, wr_buf *name) {
    const char *s = *p;
    name->len = 0;
    if (*s == '`') {
        for (s++;; s++) {
            if (!*s) return false;
            if (*s == '`' && s[1] == '`')
                wr_buf_putc(name, *s++);
            else if (*s == '`')
                break;
            else
                wr_buf_putc(name, *s);
        }
        *p = s + 1;
        return name->len > 0;
    }
    while (isalnum((unsigned char)*s) || *s == '_')
        wr_buf_putc(name, *s++);
    *p = s;
    return name->len > 0;
}

static bool ddl_word(const char **p, const char *w) {
    size_t n = strlen(w);
    if (strncasecmp(*p, w, n) || isalnum((unsigned char)(*p)[n]) || (*p)[n] == '_') return false;
    *p += n;
    return true;
}

bool wr_file_schema_parse(const char *ddl, wr_schema *out, wr_err *err) {
    const char *p = ddl;
    wr_buf name = {0}, type = {0};
    bool ok = true;
    skip_space(&p);
    if (!*p) ok = wr_fail(err, WR_ERR_USAGE, "option schema is empty: give its columns");
    while (ok && *p) {
        int col = out->n + 1;
        if (!ddl_name(&p, &name)) {
            ok = wr_fail(err, WR_ERR_USAGE,
                         "option schema: expected a column name at '%.20s' (column %d; the form "
                         "is 'id INT, name STRING')",
                         p, col);
            break;
        }
        skip_space(&p);
        if (*p == ':') { /* "name: type" is Spark's too */
            p++;
            skip_space(&p);
        }
        if (!ddl_name(&p, &type) || name.p[0] == '`') {
            ok = wr_fail(err, WR_ERR_USAGE, "option schema: column %s has no type", name.p);
            break;
        }
        wr_type t;
        bool known = wr_type_parse(type.p, &t);
        skip_space(&p);
        if (*p == '(') { /* VARCHAR(10), CHAR(3): lengths are not checked */
            const char *close = strchr(p, ')');
            if (!close || !known || t.kind != WR_T_STRING) {
                ok = wr_fail(err, WR_ERR_USAGE, "option schema: column %s: unknown type '%s%.*s'",
                             name.p, type.p, close ? (int)(close - p + 1) : 1, p);
                break;
            }
            p = close + 1;
            skip_space(&p);
        }
        if (!known) {
            ok = wr_fail(err, WR_ERR_USAGE,
                         "option schema: column %s has unknown type '%s' (types: STRING, INT, "
                         "BIGINT, DOUBLE, BOOLEAN, TIMESTAMP, BINARY)",
                         name.p, type.p);
            break;
        }
        if (ddl_word(&p, "NOT")) { /* NOT NULL: accepted (Spark reads such columns as nullable) */
            skip_space(&p);
            if (!ddl_word(&p, "NULL")) {
                ok = wr_fail(err, WR_ERR_USAGE, "option schema: expected NULL after NOT");
                break;
            }
            skip_space(&p);
        }
        if (ddl_word(&p, "COMMENT")) {
            skip_space(&p);
            char q = *p;
            const char *close = (q == '\'' || q == '"') ? strchr(p + 1, q) : NULL;
            if (!close) {
                ok = wr_fail(err, WR_ERR_USAGE, "option schema: expected a quoted comment");
                break;
            }
            p = close + 1;
            skip_space(&p);
        }
        if (wr_schema_find(out, name.p) >= 0) {
            ok = wr_fail(err, WR_ERR_USAGE, "option schema names column %s twice", name.p);
            break;
        }
        wr_schema_add(out, name.p, t);
        if (*p == ',') {
            p++;
            skip_space(&p);
            if (!*p) ok = wr_fail(err, WR_ERR_USAGE, "option schema ends with ','");
        } else if (*p) {
            ok = wr_fail(err, WR_ERR_USAGE,
                         "option schema: expected ',' after column %s, found '%.20s'", name.p, p);
        }
    }
    wr_buf_free(&name);
    wr_buf_free(&type);
    return ok;
}

/* ---- checks ---- */

static int find_opt(const wr_kv *opts, int n, const char *key) {
    int at = -1;
    for (int i = 0; i < n; i++)
        if (!strcasecmp(opts[i].key, key)) at = i;
    return at;
}

static bool check(wr_file_format fmt, const char *name, const wr_kv *opts, int n, int *at,
                  wr_err *err) {
    *at = -1;
    if (find_opt(opts, n, "path") < 0)
        return wr_fail(err, WR_ERR_USAGE,
                       "source %s needs option path: a folder, a file or a glob of files", name);
    int i;
    int64_t v;
    if ((i = find_opt(opts, n, "maxFileAge")) >= 0 && !wr_file_parse_ms(opts[i].value, &v)) {
        *at = i;
        return wr_fail(err, WR_ERR_USAGE,
                       "option maxFileAge must be a time such as 30s, 10m, 2h or 7d, not '%s'",
                       opts[i].value);
    }
    if ((i = find_opt(opts, n, "maxBytesPerTrigger")) >= 0) {
        *at = i;
        if (!wr_file_parse_bytes(opts[i].value, &v))
            return wr_fail(err, WR_ERR_USAGE,
                           "option maxBytesPerTrigger must be a positive size such as 1048576, "
                           "64m or 1g, not '%s'",
                           opts[i].value);
        if (find_opt(opts, n, "maxFilesPerTrigger") >= 0)
            return wr_fail(err, WR_ERR_USAGE,
                           "options maxFilesPerTrigger and maxBytesPerTrigger cannot both be set "
                           "(a batch has one limit, as in Spark)");
    }
    const char *clean = wr_opt_value(opts, n, "cleanSource");
    if (clean && !strcasecmp(clean, "archive") && find_opt(opts, n, "sourceArchiveDir") < 0) {
        *at = find_opt(opts, n, "cleanSource");
        return wr_fail(err, WR_ERR_USAGE,
                       "option cleanSource = archive needs option sourceArchiveDir: the folder "
                       "files are moved to");
    }
    if ((i = find_opt(opts, n, "lineSep")) >= 0 && fmt == WR_FMT_CSV &&
        strlen(opts[i].value) != 1 && strcmp(opts[i].value, "\\t")) {
        *at = i;
        return wr_fail(err, WR_ERR_USAGE, "option lineSep of a csv source must be one character");
    }
    if (fmt == WR_FMT_CSV) {
        const char *sep = wr_opt_value(opts, n, "sep"), *q = wr_opt_value(opts, n, "quote"),
                   *e = wr_opt_value(opts, n, "escape");
        if (!sep) sep = wr_opt_value(opts, n, "delimiter");
        char cs = sep ? (strcmp(sep, "\\t") ? sep[0] : '\t') : ',', cq = q ? q[0] : '"',
             ce = e ? e[0] : '\\';
        *at = find_opt(opts, n, wr_opt_value(opts, n, "sep") ? "sep" : "delimiter");
        if (cs == cq || cs == ce)
            return wr_fail(err, WR_ERR_USAGE,
                           "csv source %s: sep must differ from quote and escape", name);
        *at = -1;
    }
    if (fmt != WR_FMT_TEXT) {
        if ((i = find_opt(opts, n, "schema")) < 0)
            return wr_fail(err, WR_ERR_USAGE,
                           "source %s needs option schema, its columns such as 'id INT, name "
                           "STRING' (a streaming source's schema is given, as in Spark)",
                           name);
        wr_schema sc = {0};
        bool ok = wr_file_schema_parse(opts[i].value, &sc, err);
        wr_schema_free(&sc);
        if (!ok) {
            *at = i;
            return false;
        }
    }
    return true;
}

static bool check_text(const char *name, const wr_kv *opts, int n, int *at, wr_err *err) {
    return check(WR_FMT_TEXT, name, opts, n, at, err);
}
static bool check_csv(const char *name, const wr_kv *opts, int n, int *at, wr_err *err) {
    return check(WR_FMT_CSV, name, opts, n, at, err);
}
static bool check_json(const char *name, const wr_kv *opts, int n, int *at, wr_err *err) {
    return check(WR_FMT_JSON, name, opts, n, at, err);
}

static void schema_text(const wr_kv *opts, int n, wr_schema *out) {
    (void)opts, (void)n;
    wr_schema_add(out, "value", WR_TYPE(WR_T_STRING));
}

static void schema_parsed(const wr_kv *opts, int n, wr_schema *out) {
    wr_err err;
    const char *ddl = wr_opt_value(opts, n, "schema");
    if (ddl) wr_file_schema_parse(ddl, out, &err); /* checked already */
}

/* ---- options at run time ---- */

static char one_char(const char *v, char dflt) {
    if (!v) return dflt;
    return !strcmp(v, "\\t") ? '\t' : v[0];
}

void wr_fopts_of(const wr_source_def *def, wr_file_format fmt, wr_fopts *o) {
    memset(o, 0, sizeof *o);
    o->name = def->name;
    o->fmt = fmt;
    o->path = wr_source_opt(def, "path");
    const char *v = wr_source_opt(def, "numPartitions");
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    o->nparts = v ? atoi(v) : (int)(cores > 0 ? cores : 1);
    if (o->nparts > 4096) o->nparts = 4096;
    if ((v = wr_source_opt(def, "maxFilesPerTrigger"))) o->max_files = atoll(v);
    if ((v = wr_source_opt(def, "maxBytesPerTrigger"))) wr_file_parse_bytes(v, &o->max_bytes);
    o->latest_first = (v = wr_source_opt(def, "latestFirst")) && !strcasecmp(v, "true");
    o->file_name_only = (v = wr_source_opt(def, "fileNameOnly")) && !strcasecmp(v, "true");
    o->ignore_missing = (v = wr_source_opt(def, "ignoreMissingFiles")) && !strcasecmp(v, "true");
    o->max_age_ms = 7 * 86400000LL;
    if ((v = wr_source_opt(def, "maxFileAge"))) wr_file_parse_ms(v, &o->max_age_ms);
    /* Spark: with latestFirst and a limit, old files are still to be read */
    if (o->latest_first && (o->max_files || o->max_bytes)) o->max_age_ms = INT64_MAX;
    v = wr_source_opt(def, "cleanSource");
    o->clean = !v                          ? WR_CLEAN_OFF
               : !strcasecmp(v, "delete")  ? WR_CLEAN_DELETE
               : !strcasecmp(v, "archive") ? WR_CLEAN_ARCHIVE
                                           : WR_CLEAN_OFF;
    o->archive_dir = wr_source_opt(def, "sourceArchiveDir");
    o->glob_filter = wr_source_opt(def, "pathGlobFilter");
    o->wholetext = (v = wr_source_opt(def, "wholetext")) && !strcasecmp(v, "true");
    o->header = (v = wr_source_opt(def, "header")) && !strcasecmp(v, "true");
    if ((v = wr_source_opt(def, "lineSep"))) {
        o->line_sep = !strcmp(v, "\\t") ? "\t" : v;
        o->line_sep_len = strlen(o->line_sep);
    }
    const char *sep = wr_source_opt(def, "sep");
    o->sep = one_char(sep ? sep : wr_source_opt(def, "delimiter"), ',');
    o->quote = one_char(wr_source_opt(def, "quote"), '"');
    o->escape = one_char(wr_source_opt(def, "escape"), '\\');
    o->null_value = (v = wr_source_opt(def, "nullValue")) ? v : "";
    o->ts_format = wr_source_opt(def, "timestampFormat");
    v = wr_source_opt(def, "mode");
    o->mode = !v                                ? WR_PARSE_PERMISSIVE
              : !strcasecmp(v, "DROPMALFORMED") ? WR_PARSE_DROP
              : !strcasecmp(v, "FAILFAST")      ? WR_PARSE_FAILFAST
                                                : WR_PARSE_PERMISSIVE;
}

/* ---- paths ---- */

char *wr_file_abs(const char *path) {
    wr_buf in = {0};
    if (path[0] != '/') {
        char cwd[4096];
        wr_buf_puts(&in, getcwd(cwd, sizeof cwd) ? cwd : ".");
        wr_buf_putc(&in, '/');
    }
    wr_buf_puts(&in, path);
    /* resolve ".", ".." and repeated slashes by text */
    char *out = wr_xmalloc(in.len + 2);
    size_t o = 0;
    const char *p = in.p;
    while (*p) {
        while (*p == '/')
            p++;
        const char *seg = p;
        while (*p && *p != '/')
            p++;
        size_t n = (size_t)(p - seg);
        if (n == 0 || (n == 1 && seg[0] == '.')) continue;
        if (n == 2 && seg[0] == '.' && seg[1] == '.') {
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0) o--;
            continue;
        }
        out[o++] = '/';
        memcpy(out + o, seg, n);
        o += n;
    }
    if (o == 0) out[o++] = '/';
    out[o] = '\0';
    wr_buf_free(&in);
    return out;
}

/* RFC 3986 path characters stay; the rest is percent-encoded (as Java's
 * URI does for a path: a space is %20). */
char *wr_file_uri(const char *abs_path) {
    wr_buf b = {0};
    wr_buf_puts(&b, "file://");
    for (const unsigned char *p = (const unsigned char *)abs_path; *p; p++) {
        if (isalnum(*p) || strchr("/-._~!$&'()*+,;=:@", *p))
            wr_buf_putc(&b, (char)*p);
        else
            wr_buf_printf(&b, "%%%02X", *p);
    }
    return b.p;
}

static int hexval(char c) {
    return isdigit((unsigned char)c) ? c - '0'
           : (c >= 'a' && c <= 'f')  ? c - 'a' + 10
           : (c >= 'A' && c <= 'F')  ? c - 'A' + 10
                                     : -1;
}

char *wr_file_uri_path(const char *uri) {
    const char *p = uri;
    if (!strncmp(p, "file://", 7))
        p += 7;
    else if (!strncmp(p, "file:", 5))
        p += 5;
    wr_buf b = {0};
    for (; *p; p++) {
        int h, l;
        if (*p == '%' && (h = hexval(p[1])) >= 0 && (l = hexval(p[2])) >= 0) {
            wr_buf_putc(&b, (char)(h * 16 + l));
            p += 2;
        } else {
            wr_buf_putc(&b, *p);
        }
    }
    return b.p ? b.p : wr_xstrdup("");
}

/* ---- description ---- */

/* Spark's toString: FileStreamSource[file:/abs/path] (Hadoop's qualified
 * path prints one slash). */
char *wr_file_describe(const wr_source_def *def) {
    char *abs = wr_file_abs(wr_source_opt(def, "path"));
    char *d = wr_xasprintf("FileStreamSource[file:%s]", abs);
    free(abs);
    return d;
}

/* A checkpoint's log names files of this path, read as this format. */
char *wr_file_identity(const wr_source_def *def) {
    char *abs = wr_file_abs(wr_source_opt(def, "path"));
    char *d = wr_xasprintf("%s path=%s", def->kind->name, abs);
    free(abs);
    return d;
}

const wr_source_kind wr_text_source = {"text", text_options, check_text, schema_text,
                                       &wr_file_source_ops};
const wr_source_kind wr_csv_source = {"csv", csv_options, check_csv, schema_parsed,
                                      &wr_file_source_ops};
const wr_source_kind wr_json_source = {"json", json_options, check_json, schema_parsed,
                                       &wr_file_source_ops};
