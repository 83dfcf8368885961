/* Small shared helpers: checked allocation, growable string lists, strict number
 * parsing, monotonic time and error-buffer formatting. */
#ifndef WR_UTIL_H
#define WR_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* Allocation that aborts on exhaustion: callers never check for NULL. */
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

/* Reads a whole file (malloc'd, NUL-terminated; *len without the NUL); NULL
 * with errno set when it cannot be opened. */
char *wr_read_file(const char *path, size_t *len);

/* snprintf into an error buffer; safe with errstr == NULL or errlen == 0. */
void wr_errf(char *errstr, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

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

/* A growable byte buffer. */
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

/* Base64 (RFC 4648, padded): append the encoding of data to b; decode s
 * into b (false if s is not base64). */
void wr_base64_encode(wr_buf *b, const void *data, size_t len);
bool wr_base64_decode(wr_buf *b, const char *s, size_t len);

/* mkdir -p; false with errstr naming the folder that could not be made
 * (errno tells why; an empty path is refused). */
bool wr_mkdirs(const char *path, char *errstr, size_t errlen);

#endif
