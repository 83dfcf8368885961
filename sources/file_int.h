/* Internal to the file sources (Spark's text, csv and json stream
 * sources): their options as read at run time, the schema DDL, the log of
 * the files each batch takes (sources/0/N, file_log.c), listing the files
 * (file_list.c) and reading a byte range of one into rows (file_read.c).
 * The run time is file.c, the planner's view file_kind.c. */
#ifndef WR_SOURCES_FILE_INT_H
#define WR_SOURCES_FILE_INT_H

#include <stdio.h>

#include "engine/wr_engine.h"

typedef enum { WR_FMT_TEXT, WR_FMT_CSV, WR_FMT_JSON } wr_file_format;
/* What a malformed csv or json record becomes (Spark's mode option). */
typedef enum { WR_PARSE_PERMISSIVE, WR_PARSE_DROP, WR_PARSE_FAILFAST } wr_parse_mode;
typedef enum { WR_CLEAN_OFF, WR_CLEAN_DELETE, WR_CLEAN_ARCHIVE } wr_clean_mode;

/* A source's options, validated (pointers into the definition's options). */
typedef struct wr_fopts {
    const char *name; /* the source's */
    wr_file_format fmt;
    const char *path; /* as given: a folder, a file or a glob */
    int nparts;
    int64_t max_files, max_bytes; /* a batch's limit (0: none) */
    bool latest_first, file_name_only, ignore_missing;
    int64_t max_age_ms;
    wr_clean_mode clean;
    const char *archive_dir;
    const char *glob_filter; /* pathGlobFilter, or NULL */
    bool wholetext, header;
    const char *line_sep; /* NULL: \n, \r or \r\n, as Hadoop's LineReader */
    size_t line_sep_len;
    char sep, quote, escape;
    const char *null_value;
    const char *ts_format; /* timestampFormat, or NULL: as CAST reads them */
    wr_parse_mode mode;
} wr_fopts;

void wr_fopts_of(const wr_source_def *def, wr_file_format fmt, wr_fopts *o);

/* Spark's time strings (maxFileAge): a whole number with an optional unit
 * us, ms, s, m, min, h or d (milliseconds when none). */
bool wr_file_parse_ms(const char *s, int64_t *ms);
/* Byte sizes (maxBytesPerTrigger): a whole number with an optional unit
 * b, k/kb, m/mb, g/gb, t/tb (powers of 1024, as Spark's byte strings). */
bool wr_file_parse_bytes(const char *s, int64_t *bytes);
/* A schema in Spark's DDL: "id INT, name STRING, ts TIMESTAMP". */
bool wr_file_schema_parse(const char *ddl, wr_schema *out, wr_err *err);

/* The absolute form of a path (made from the working folder; "." and ".."
 * resolved by text, globs kept); malloc'd. */
char *wr_file_abs(const char *path);
/* A file's URI as Spark logs it: "file://" and the absolute path with the
 * characters a URI cannot hold percent-encoded; malloc'd. And back. */
char *wr_file_uri(const char *abs_path);
char *wr_file_uri_path(const char *uri);

/* ---- listing (file_list.c) ---- */

typedef struct wr_flisted {
    char *path; /* absolute */
    char *uri;
    int64_t mtime_ms, size;
} wr_flisted;

/* Every file the pattern names now: the files of the folders it matches
 * (and of their subfolders), or the files it matches; names starting with
 * '.' or '_' (and ending in ._COPYING_) are left out, as Spark's listing
 * does, and a name must match pathGlobFilter when given. A folder holding a
 * file sink's _spark_metadata log gives the files the log commits instead.
 * exists: whether the pattern, when it has no glob characters, names
 * anything. */
/* The folders a listing of a folder read, and their modification times:
 * while none has changed, no file can have appeared in them (a file is
 * created or renamed into a folder by changing it). */
typedef struct wr_fdirs {
    char **path;
    int64_t *mtime_ns;
    int n;
    bool valid; /* false: the listing cannot be checked so (a glob, a file) */
} wr_fdirs;

bool wr_file_list(const char *abs_pattern, const char *glob_filter, wr_flisted **out, int *n,
                  bool *exists, wr_fdirs *dirs, wr_err *err);
void wr_flisted_free(wr_flisted *l, int n);
/* Whether every folder of a listing still has its modification time. */
bool wr_fdirs_unchanged(const wr_fdirs *d);
void wr_fdirs_free(wr_fdirs *d);

/* ---- the log of the files each batch takes (file_log.c) ---- */

typedef struct wr_flog_entry {
    char *uri;
    int64_t ts; /* the file's modification time (ms) when it was logged */
    int64_t batch;
} wr_flog_entry;

typedef struct wr_flog wr_flog;

/* Opens the log in dir (Spark's FileStreamSourceLog: N, and every 10th
 * batch N.compact holding every entry so far), restoring every entry; dir
 * NULL: a log in memory. */
wr_flog *wr_flog_open(const char *dir, wr_err *err);
void wr_flog_free(wr_flog *l);
/* The newest batch logged (-1: none). */
int64_t wr_flog_latest(const wr_flog *l);
/* The entries of batch b (NULL, *n 0: none). */
const wr_flog_entry *wr_flog_batch(const wr_flog *l, int64_t b, int *n);
/* Logs batch latest + 1 (durably when the log has a folder): its entries'
 * uri and ts; takes the uris. */
bool wr_flog_add(wr_flog *l, wr_flog_entry *e, int n, wr_err *err);
/* Where batch b is (its file, malloc'd), for messages. */
char *wr_flog_where(const wr_flog *l, int64_t b);

/* ---- reading (file_read.c) ---- */

/* One reader per split: its buffer, its rows, its scratch. */
typedef struct wr_freader wr_freader;

wr_freader *wr_freader_new(const wr_fopts *o, const wr_schema *sc, const bool *needed);
void wr_freader_free(wr_freader *r);

/* What to read of one file: the lines that start in (start, end] (from 0
 * when start is 0), as Hadoop's LineRecordReader splits a file; the whole
 * file when start is 0 and end its size. */
typedef struct wr_fpiece {
    const char *path, *uri;
    int64_t size, start, end;
} wr_fpiece;

/* Reads a piece into fn in chunks of rows (their strings valid during the
 * call), setting input_file_name() around each. A row fn refuses, a line
 * too long, or a FAILFAST record fails it, naming the file and line. */
bool wr_freader_read(wr_freader *r, const wr_fpiece *p, wr_rows_fn fn, void *ctx, wr_err *err);

/* Source kinds (file_kind.c) and their run time (file.c). */
extern const wr_source_ops wr_file_source_ops;
extern const wr_source_kind wr_text_source, wr_csv_source, wr_json_source;
/* Which format a definition reads. */
wr_file_format wr_file_format_of(const wr_source_def *def);
/* Progress's "FileStreamSource[file:/path]", and what a checkpoint must
 * have been written by (the format and the absolute path); malloc'd. */
char *wr_file_describe(const wr_source_def *def);
char *wr_file_identity(const wr_source_def *def);

#endif
