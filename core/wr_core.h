/* Weir's core, below everything and depending on nothing of Weir: checked
 * allocation, the one error type, arenas, buffers and hashing, durable file
 * I/O, SQL types and values (with Spark's printing, equality, hashing and
 * ordering), schemas, the row batch operators pass to each other, and the
 * option-spec tables that sources, sinks and settings are described by.
 *
 * Values are 16 bytes: strings and binaries are views (pointer, length) into
 * a source's buffers or a per-batch arena; nothing is copied until the state
 * store keeps a key. */
#ifndef WR_CORE_H
#define WR_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- allocation: aborts on exhaustion, callers never check for NULL ---- */

void *wr_xmalloc(size_t n);
void *wr_xcalloc(size_t count, size_t size);
void *wr_xrealloc(void *p, size_t n);
char *wr_xstrdup(const char *s);
char *wr_xstrndup(const char *s, size_t n);
char *wr_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable array of owned C strings. */
typedef struct wr_strlist {
    char **items;
    int n;
    int cap;
} wr_strlist;

void wr_strlist_push(wr_strlist *l, const char *s);
void wr_strlist_free(wr_strlist *l);

/* A key and its value (options, settings), both owned. */
typedef struct wr_kv {
    char *key;
    char *value;
} wr_kv;

/* Sets key (without case) to value in a growable array of pairs. */
void wr_kv_set(wr_kv **kvs, int *n, const char *key, const char *value);
void wr_kv_free(wr_kv *kvs, int n);

/* Splits "key=value" (or "key:value" when sep is ':') into two fresh strings.
 * Returns false when the separator is missing or the key is empty. */
bool wr_split_kv(const char *s, char sep, char **key, char **value);

/* Strict decimal parsing: the whole string must be a number within [min, max]. */
bool wr_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

/* Milliseconds from a monotonic clock. */
int64_t wr_now_ms(void);
/* Milliseconds since the Unix epoch (wall clock). */
int64_t wr_wall_ms(void);
/* A random (version 4) UUID, 36 characters and a NUL. */
void wr_uuid4(char out[37]);

/* ---- errors ---- */

/* What kind of failure: lets a caller tell what to retry from what to report. */
typedef enum {
    WR_OK = 0,
    WR_ERR_USAGE,    /* a job, option or command is wrong: the user fixes the input */
    WR_ERR_IO,       /* a file or folder could not be read or written */
    WR_ERR_CORRUPT,  /* a file Weir wrote is damaged, or files disagree */
    WR_ERR_KAFKA,    /* the cluster failed or refused a request */
    WR_ERR_DATA,     /* an input row cannot be processed (a regex limit, a timestamp) */
    WR_ERR_LIMIT,    /* a resource limit: threads, memory */
    WR_ERR_INTERNAL, /* a bug */
} wr_errcode;

/* The one error type: a code, a message that says what, where and what to
 * do, and the position in a job's text when the job is at fault (line 0: none). */
typedef struct wr_err {
    wr_errcode code;
    int line, col;
    char msg[1024];
} wr_err;

/* Sets *e (when e is not NULL) and returns false, for `return wr_fail(...)`. */
bool wr_fail(wr_err *e, wr_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool wr_fail_at(wr_err *e, wr_errcode code, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Puts "prefix: " before the message. */
void wr_err_prefix(wr_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "FILE:LINE:COL: message" when the error has a position, else the message. */
void wr_err_text(const wr_err *e, const char *file, char *out, size_t len);

/* snprintf into a plain buffer; safe with errstr == NULL or errlen == 0. */
void wr_errf(char *errstr, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- memory: arenas and buffers ---- */

/* A bump allocator: many small allocations, freed together by reset/free. */
typedef struct wr_arena_chunk wr_arena_chunk;
typedef struct wr_arena {
    wr_arena_chunk *head; /* first chunk */
    wr_arena_chunk *cur;  /* chunk being filled */
    size_t used;          /* bytes used in cur */
    size_t cap;           /* bytes available in cur */
} wr_arena;

void *wr_arena_alloc(wr_arena *a, size_t n);  /* 16-byte aligned, uninitialised */
void *wr_arena_zalloc(wr_arena *a, size_t n); /* zeroed */
char *wr_arena_strndup(wr_arena *a, const char *s, size_t n);
char *wr_arena_strdup(wr_arena *a, const char *s);
void wr_arena_reset(wr_arena *a); /* keeps every chunk for reuse */
void wr_arena_free(wr_arena *a);

/* A growable byte buffer, always NUL-terminated after its bytes. */
typedef struct wr_buf {
    char *p;
    size_t len;
    size_t cap;
} wr_buf;

void wr_buf_put(wr_buf *b, const void *data, size_t n);
void wr_buf_puts(wr_buf *b, const char *s);
void wr_buf_putc(wr_buf *b, char c);
void wr_buf_printf(wr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void wr_buf_free(wr_buf *b);

/* Base64 (RFC 4648, padded): append the encoding of data to b; decode s
 * into b (false if s is not base64). */
void wr_base64_encode(wr_buf *b, const void *data, size_t len);
bool wr_base64_decode(wr_buf *b, const char *s, size_t len);

/* ---- hashing ---- */

/* 64-bit hash of bytes (wyhash-style mixing); fast and good enough for tables. */
uint64_t wr_hash_bytes(const void *p, size_t n, uint64_t seed);
static inline uint64_t wr_hash_u64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* ---- files ---- */

/* Reads a whole file (malloc'd, NUL-terminated; *len without the NUL); NULL
 * with errno set when it cannot be opened or read (EISDIR: a folder). */
char *wr_read_file(const char *path, size_t *len);

/* Whether this process may not write file `path` where it is (the file
 * when it exists, and its folder, where SQLite puts its -wal and -shm files
 * too): EROFS (a read-only file system), EACCES or EPERM; 0 if it may, or if
 * the cause is another (which the write itself will tell). */
int wr_file_read_only(const char *path);
/* mkdir -p; false with an error naming the folder that could not be made
 * (an empty path is an error too). */
bool wr_mkdirs(const char *path, wr_err *err);
/* Writes bytes to path durably: a temporary name, write, fsync, rename, and
 * an fsync of the folder. A reader never sees a partly written file. */
bool wr_write_durable(const char *path, const void *data, size_t len, wr_err *err);

/* ---- SQL types and values ---- */

typedef enum {
    WR_T_NULL, /* the type of a bare NULL literal */
    WR_T_BOOL,
    WR_T_INT,
    WR_T_BIGINT,
    WR_T_DOUBLE,
    WR_T_STRING,
    WR_T_BINARY,
    WR_T_TIMESTAMP, /* microseconds since the epoch, UTC */
    WR_T_ARRAY,     /* elements of type `elem` */
    WR_T_WINDOW,    /* an event-time window: STRUCT<start, end> of TIMESTAMPs,
                       held as a two-item array (elem TIMESTAMP) */
} wr_kind;

typedef struct wr_type {
    uint8_t kind;
    uint8_t elem; /* element kind of an array */
} wr_type;

#define WR_TYPE(k)     ((wr_type){(k), 0})
#define WR_TYPE_WINDOW ((wr_type){WR_T_WINDOW, WR_T_TIMESTAMP})

/* TIMESTAMP values lie in Spark's documented range, 0001-01-01 00:00:00 to
 * 9999-12-31 23:59:59.999999 UTC (microseconds since the epoch): casts and
 * parsers that would leave it give NULL, a Kafka timestamp outside it fails
 * its batch, and so window bounds and watermarks never overflow. Intervals
 * (window sizes, slides, gaps, watermark delays) are at most 10,000 years. */
#define WR_TS_MIN_US       (-62135596800000000LL)
#define WR_TS_MAX_US       253402300799999999LL
#define WR_MAX_INTERVAL_US (10000LL * 366 * 86400000000LL)
static inline bool wr_ts_in_range(int64_t us) {
    return us >= WR_TS_MIN_US && us <= WR_TS_MAX_US;
}

/* Arrays and windows share their representation (a wr_arr of items). */
static inline bool wr_type_has_items(wr_type t) {
    return t.kind == WR_T_ARRAY || t.kind == WR_T_WINDOW;
}
static inline bool wr_type_eq(wr_type a, wr_type b) {
    return a.kind == b.kind && a.elem == b.elem;
}

typedef struct wr_arr wr_arr;

typedef struct wr_val {
    union {
        int64_t i; /* BOOL, INT, BIGINT, TIMESTAMP */
        double d;
        const char *p; /* STRING, BINARY */
        wr_arr *a;
    } u;
    uint32_t len; /* STRING, BINARY length */
    uint8_t null;
} wr_val;

struct wr_arr {
    int32_t n;
    wr_val items[];
};

static inline wr_val wr_null(void) {
    wr_val v = {.null = 1};
    return v;
}
static inline wr_val wr_int(int64_t i) {
    wr_val v = {.u.i = i};
    return v;
}
static inline wr_val wr_dbl(double d) {
    wr_val v = {.u.d = d};
    return v;
}
static inline wr_val wr_str(const char *p, size_t len) {
    wr_val v = {.u.p = p, .len = (uint32_t)len};
    return v;
}
/* A window value [start, end) (µs) in arena. */
static inline wr_val wr_window_val(wr_arena *arena, int64_t start, int64_t end) {
    wr_arr *w = wr_arena_alloc(arena, sizeof *w + 2 * sizeof(wr_val));
    w->n = 2;
    w->items[0] = wr_int(start), w->items[1] = wr_int(end);
    return (wr_val){.u.a = w};
}

const char *wr_type_name(wr_type t); /* "STRING", "ARRAY<STRING>", ... */
/* Parses a SQL type name (STRING, INT, INTEGER, BIGINT, LONG, DOUBLE, FLOAT,
 * BOOLEAN, BINARY, TIMESTAMP, ...); false if unknown. */
bool wr_type_parse(const char *name, wr_type *out);
bool wr_type_is_numeric(wr_type t);

/* Appends v as Spark prints it (show(), CAST AS STRING): 1.0, true, null,
 * 2023-11-14 22:13:20, [a, b]. Binary prints as [68 69] when `show` is set. */
void wr_val_format(wr_buf *b, wr_val v, wr_type t, bool show);
/* A double as Java's Double.toString: 1.0, 1.0E20, NaN, -Infinity. */
void wr_double_format(wr_buf *b, double d);
/* A timestamp as Spark prints it: 2023-11-14 22:13:20.5 (UTC). */
void wr_ts_format(wr_buf *b, int64_t us);
/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t wr_days_from_civil(int64_t y, unsigned m, unsigned d);
void wr_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* Equality and hashing of values of one type (NULL equals NULL, as grouping
 * wants); ordering for min/max. */
bool wr_val_eq(wr_val a, wr_val b, wr_type t);
uint64_t wr_val_hash(wr_val v, wr_type t);
/* The seed wr_val_hash hashes a STRING's or BINARY's bytes with (vector
 * code hashing strings itself must give the same hashes: they place groups
 * in state partitions). */
#define WR_HASH_STR_SEED 0x1234
int wr_val_cmp(wr_val a, wr_val b, wr_type t);

/* Copies the bytes a value points to into arena (or malloc when arena is NULL). */
wr_val wr_val_copy(wr_val v, wr_type t, wr_arena *arena);
void wr_val_free(wr_val v, wr_type t); /* frees a malloc'd copy */

/* ---- binary encoding of values (state files) ---- */

/* Little-endian; a value is a null byte, then (if not null) 8 bytes for
 * numbers, booleans and timestamps, u32 length + bytes for strings and
 * binaries, u32 count + values for arrays and windows. */
void wr_put_u32(wr_buf *b, uint32_t v);
void wr_put_u64(wr_buf *b, uint64_t v);
void wr_val_encode(wr_buf *b, wr_val v, wr_type t);

/* Reads such bytes; `bad` is set (and stays) when they run short. */
typedef struct wr_bytes {
    const unsigned char *p, *end;
    bool bad;
} wr_bytes;
bool wr_bytes_take(wr_bytes *r, void *out, size_t n);
/* Strings are views into r's bytes; arrays are allocated in arena. */
wr_val wr_val_decode(wr_bytes *r, wr_type t, wr_arena *arena);

/* ---- schemas and batches ---- */

typedef struct wr_column {
    char *name;
    wr_type type;
} wr_column;

/* Named, typed columns (names owned). */
typedef struct wr_schema {
    wr_column *cols;
    int n;
} wr_schema;

void wr_schema_add(wr_schema *s, const char *name, wr_type type);
/* The column called `name` (without case), or -1. */
int wr_schema_find(const wr_schema *s, const char *name);
void wr_schema_free(wr_schema *s);

/* What operators pass to each other: n rows of `width` values, row-major.
 * Strings point into a source's buffers or an arena that outlives the batch. */
typedef struct wr_batch {
    wr_val *rows;
    size_t n, cap; /* rows held / room for */
    int width;
} wr_batch;

/* Room for one more row of `width` values; returns it (uninitialised). */
static inline wr_val *wr_batch_add(wr_batch *b) {
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 256;
        b->rows =
            wr_xrealloc(b->rows, sizeof *b->rows * b->cap * (size_t)(b->width ? b->width : 1));
    }
    return b->rows + b->n++ * (size_t)b->width;
}
/* Room for n rows in all, at once (no regrowth while they are added). */
static inline void wr_batch_reserve(wr_batch *b, size_t n) {
    if (n <= b->cap) return;
    b->cap = n;
    b->rows = wr_xrealloc(b->rows, sizeof *b->rows * b->cap * (size_t)(b->width ? b->width : 1));
}
static inline wr_val *wr_batch_row(const wr_batch *b, size_t i) {
    return b->rows + i * (size_t)b->width;
}
void wr_batch_free(wr_batch *b);

/* ---- column batches: what operators pass to each other ---- */

/* A STRING or BINARY value in a vector: a view of len bytes. */
typedef struct wr_sv {
    const char *p;
    uint32_t len;
} wr_sv;

/* How a vector holds its type's values: 64-bit integers (BOOL, INT, BIGINT,
 * TIMESTAMP), doubles, string views (STRING, BINARY) or arrays (ARRAY,
 * WINDOW). */
typedef enum { WR_REP_I64, WR_REP_F64, WR_REP_STR, WR_REP_ARR } wr_rep;
static inline wr_rep wr_rep_of(wr_type t) {
    switch (t.kind) {
    case WR_T_DOUBLE:
        return WR_REP_F64;
    case WR_T_STRING:
    case WR_T_BINARY:
        return WR_REP_STR;
    case WR_T_ARRAY:
    case WR_T_WINDOW:
        return WR_REP_ARR;
    default:
        return WR_REP_I64;
    }
}

/* One column of a chunk: a typed array of values and a null bitmap (bit r
 * set: row r is NULL; no bitmap: no row is). A vector that no operator
 * reads may have no values at all (u.p NULL). */
typedef struct wr_vec {
    wr_type type;
    union {
        int64_t *i;
        double *d;
        wr_sv *s;
        wr_arr **a;
        void *p;
    } u;
    uint64_t *nulls;
} wr_vec;

/* A chunk of rows, column by column. `sel` lists the rows still alive in
 * ascending order (nsel of them; NULL: all n are): a filter only narrows
 * it. `origin` maps each row to the row of the task's input it came from
 * (NULL: row r came from input row r), so an error names the source row. */
typedef struct wr_chunk {
    wr_vec *cols;
    int width;
    size_t n;
    const uint32_t *sel;
    size_t nsel;
    const uint32_t *origin;
} wr_chunk;

/* The rows alive, and the k-th of them. */
static inline size_t wr_chunk_rows(const wr_chunk *c) {
    return c->sel ? c->nsel : c->n;
}
static inline size_t wr_chunk_row(const wr_chunk *c, size_t k) {
    return c->sel ? c->sel[k] : k;
}
static inline size_t wr_chunk_origin(const wr_chunk *c, size_t r) {
    return c->origin ? c->origin[r] : r;
}

static inline bool wr_vec_is_null(const wr_vec *v, size_t r) {
    return v->nulls && (v->nulls[r >> 6] >> (r & 63) & 1);
}
/* Room for n values of type t (uninitialised, no NULLs), in arena. */
void wr_vec_alloc(wr_vec *v, wr_type t, size_t n, wr_arena *arena);
/* Marks row r of a vector of n rows NULL (making its bitmap in arena). */
void wr_vec_set_null(wr_vec *v, size_t r, size_t n, wr_arena *arena);
/* Row r as a value, and a value into row r. */
wr_val wr_vec_get(const wr_vec *v, size_t r);
void wr_vec_put(wr_vec *v, size_t r, wr_val x, size_t n, wr_arena *arena);
/* Row r of every column into row[0..width) (columns without values give NULL). */
void wr_chunk_get_row(const wr_chunk *c, size_t r, wr_val *row);

/* ---- the rate limit of a batch ---- */

/* Spark's maxOffsetsPerTrigger over n splits: each split, having
 * [from, latest) waiting, gets a share of `limit` offsets in proportion to
 * it (rounded down, but up when below one); to = from + share, at most
 * latest. limit <= 0: no limit, to = latest. */
void wr_rate_limit(int n, const int64_t *from, const int64_t *latest, int64_t limit, int64_t *to);

/* ---- option-spec tables ---- */

typedef enum {
    WR_OPT_STRING, /* any text (WR_OPT_NONEMPTY: not empty) */
    WR_OPT_BOOL,   /* true | false */
    WR_OPT_INT,    /* a whole number in [min, max] */
    WR_OPT_ENUM,   /* one of `values` ("a|b|c"), without case */
    WR_OPT_CHAR,   /* one character (\t is a tab), not a line break */
    WR_OPT_PREFIX, /* every option starting with `name` ("kafka."), checked by its owner */
} wr_opt_type;

enum {
    WR_OPT_NONEMPTY = 1, /* a STRING that must not be empty */
    WR_OPT_NOT_YET = 2,  /* known, not supported yet: refused, saying so (doc: what instead) */
    WR_OPT_REFUSED = 4,  /* known, refused: doc says why */
    WR_OPT_HIDDEN = 8,   /* accepted but not listed */
};

/* One option: name (Spark's spelling, matched without case), type, default
 * (as text), accepted values (ENUM: "a|b|c"; PREFIX: what follows the
 * prefix; a NONEMPTY STRING: what it names, "a folder"), a line of doc.
 * Tables end with {NULL}. */
typedef struct wr_optspec {
    const char *name;
    wr_opt_type type;
    const char *dflt;
    const char *values;
    int64_t min, max;
    const char *doc;
    unsigned flags;
} wr_optspec;

/* The spec of option `name` in table, or NULL. */
const wr_optspec *wr_opt_lookup(const wr_optspec *table, const char *name);
/* The listed name nearest to `name` (a typo or two away), or NULL. */
const char *wr_opt_nearest(const wr_optspec *table, const char *name);
/* Checks option name = value against the table: its spec, or NULL with an
 * error that names the option and what it accepts ("unknown option 'x' for
 * `what`: did you mean 'y'? (valid: ...)"). */
const wr_optspec *wr_opt_check(const wr_optspec *table, const char *what, const char *name,
                               const char *value, wr_err *err);
/* Checks a value against one spec. */
bool wr_opt_check_value(const wr_optspec *o, const char *name, const char *value, wr_err *err);
/* The value of option name among opts (the last one set), else NULL. */
const char *wr_opt_value(const wr_kv *opts, int n, const char *name);
/* A whole number followed by one of `units` (matched without case; NULL-
 * terminated, "" for none), blanks around, as Spark's JavaUtils reads "10s"
 * or "64m": the number and the index of its unit; false if s is not that. */
bool wr_parse_with_unit(const char *s, const char *const *units, int64_t *n, int *unit);
/* The table as --help lists it, one option (and its doc) a line. */
void wr_opt_help(wr_buf *out, const wr_optspec *table);

#endif
