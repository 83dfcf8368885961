/* Reading one piece of a file into rows (file_int.h): the lines that start
 * in (start, end] of the file, as Hadoop's LineRecordReader splits a file
 * (a piece that does not begin at 0 skips the line it begins in, and every
 * piece reads through the line that crosses its end), each line a row of
 * text, or parsed as a csv or json record.
 *
 * Lines end at \n, \r or \r\n (Hadoop's LineReader), or at lineSep. The
 * file is read with large pread calls into one buffer that grows only for a
 * line longer than it; rows are views into the buffer (csv fields that need
 * unescaping, and json strings, are copied into an arena) and are handed on
 * in chunks, each before the buffer moves. A line may be at most
 * 2147483647 bytes (as in Spark: a Java array). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "sources/file_int.h"

enum { CHUNK = 4096 };
#define BUF_INITIAL    ((size_t)1 << 20) /* stays in the cache between the copy and the scan */
#define SLACK          64 /* bytes allocated past the buffer: whole blocks are scanned */
#define LINE_MAX_BYTES ((size_t)INT32_MAX)

struct wr_freader {
    const wr_fopts *o;
    const wr_schema *sc;
    const bool *needed;
    char *buf;
    size_t cap;
    wr_batch rows;
    int64_t *row_off; /* where each row's line starts in the file */
    wr_arena arena;   /* per chunk */
    /* csv fields of the current line */
    const char **fp;
    size_t *flen;
    bool *fesc;
    int fcap;
};

/* The state of reading one piece. */
typedef struct scan {
    wr_freader *r;
    const wr_fpiece *p;
    int fd;
    int64_t base;    /* the file offset of buf[0] */
    size_t len;      /* bytes held */
    bool eof;        /* nothing after base + len (the file's end, or the size it was planned at) */
    const char *blk; /* the 64 bytes whose terminators `mask` marks (NULL: none yet) */
    uint64_t mask;
    wr_rows_fn fn;
    void *ctx;
    wr_err *err;
    bool failed;
    bool header_left; /* csv: the header line is still to skip */
} scan;

wr_freader *wr_freader_new(const wr_fopts *o, const wr_schema *sc, const bool *needed) {
    wr_freader *r = wr_xcalloc(1, sizeof *r);
    r->o = o;
    r->sc = sc;
    r->needed = needed;
    r->rows.width = sc->n;
    wr_batch_reserve(&r->rows, CHUNK);
    r->row_off = wr_xmalloc(sizeof *r->row_off * CHUNK);
    return r;
}

void wr_freader_free(wr_freader *r) {
    if (!r) return;
    free(r->buf);
    wr_batch_free(&r->rows);
    free(r->row_off);
    wr_arena_free(&r->arena);
    free(r->fp);
    free(r->flen);
    free(r->fesc);
    free(r);
}

/* ---- positions for messages ---- */

/* The line number (from 1) of the line starting at file offset `off`:
 * counted from the file's start (only when a message needs it). */
static int64_t line_number(const scan *s, int64_t off) {
    const wr_fopts *o = s->r->o;
    char tmp[65536];
    int64_t line = 1, pos = 0;
    char prev = 0;
    while (pos < off) {
        size_t want = off - pos < (int64_t)sizeof tmp ? (size_t)(off - pos) : sizeof tmp;
        ssize_t n = pread(s->fd, tmp, want, pos);
        if (n <= 0) break;
        for (ssize_t i = 0; i < n; i++) {
            char c = tmp[i];
            if (o->line_sep)
                line += c == o->line_sep[o->line_sep_len - 1]; /* close enough for messages */
            else
                line += c == '\n' ? prev != '\r' : c == '\r';
            prev = c;
        }
        pos += n;
    }
    return line;
}

static bool fail_at(scan *s, int64_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool fail_at(scan *s, int64_t off, const char *fmt, ...) {
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->failed = true;
    return wr_fail(s->err, WR_ERR_DATA, "source %s: %s line %lld: %s", s->r->o->name, s->p->uri,
                   (long long)line_number(s, off), msg);
}

/* ---- handing rows on ---- */

static bool flush(scan *s) {
    wr_freader *r = s->r;
    if (!r->rows.n || s->failed) return !s->failed;
    size_t bad = 0;
    wr_input_file_set(s->p->uri, strlen(s->p->uri));
    bool ok = s->fn(s->ctx, &r->rows, &bad);
    wr_input_file_set(NULL, 0);
    if (!ok) {
        s->failed = true;
        wr_fail(s->err, WR_ERR_DATA, "%s line %lld", s->p->uri,
                (long long)line_number(s, r->row_off[bad < r->rows.n ? bad : 0]));
    }
    r->rows.n = 0;
    wr_arena_reset(&r->arena);
    return ok;
}

static bool flush_full(scan *s) __attribute__((noinline));
static bool flush_full(scan *s) {
    return flush(s);
}

/* Room for one more row (the chunk handed on first when full; rows hold
 * CHUNK without growing). */
static inline wr_val *new_row(scan *s, int64_t off) {
    wr_freader *r = s->r;
    if (r->rows.n == CHUNK && !flush_full(s)) return NULL;
    r->row_off[r->rows.n] = off;
    return r->rows.rows + r->rows.n++ * (size_t)r->rows.width;
}

/* ---- csv ---- */

/* Java's Integer/Long.parseInt: an optional sign, digits, in range. */
static bool parse_int(const char *p, size_t n, int64_t lo, int64_t hi, int64_t *out) {
    size_t i = 0;
    bool neg = false;
    if (i < n && (p[i] == '+' || p[i] == '-')) neg = p[i++] == '-';
    if (i == n) return false;
    uint64_t v = 0, lim = neg ? (uint64_t)(-(lo + 1)) + 1 : (uint64_t)hi;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return false;
        v = v * 10 + (uint64_t)(p[i] - '0');
        if (v > lim) return false;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* Java's Double.parseDouble (surrounding blanks, an f/d suffix, NaN and
 * Infinity spelled so), and Spark's csv NaN, Inf and -Inf. */
static bool parse_double(const char *p, size_t n, double *out) {
    while (n && (unsigned char)*p <= ' ')
        p++, n--;
    while (n && (unsigned char)p[n - 1] <= ' ')
        n--;
    if (n == 0 || n > 400) return false;
    char tmp[401];
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    const char *t = tmp + (tmp[0] == '+' || tmp[0] == '-');
    if (!strcmp(tmp, "NaN") || !strcmp(t, "NaN")) return *out = NAN, true;
    if (!strcmp(tmp, "Inf") || !strcmp(t, "Infinity"))
        return *out = tmp[0] == '-' ? -INFINITY : INFINITY, true;
    if (!strcmp(tmp, "-Inf")) return *out = -INFINITY, true;
    if (n > 1 && strchr("dDfF", tmp[n - 1])) tmp[--n] = '\0';
    for (const char *c = t; *c; c++)
        if (!isdigit((unsigned char)*c) && *c != '.' && *c != 'e' && *c != 'E' && *c != '+' &&
            *c != '-')
            return false;
    char *end;
    errno = 0;
    *out = strtod(tmp, &end);
    return end != tmp && !*end;
}

static bool parse_bool(const char *p, size_t n, int64_t *out) {
    if (n == 4 && !strncasecmp(p, "true", 4)) return *out = 1, true;
    if (n == 5 && !strncasecmp(p, "false", 5)) return *out = 0, true;
    return false;
}

static bool parse_ts(const wr_fopts *o, const char *p, size_t n, int64_t *us) {
    bool ok = o->ts_format ? wr_ts_parse_pattern(p, n, o->ts_format, strlen(o->ts_format), us)
                           : wr_ts_parse(p, n, us);
    return ok && wr_ts_in_range(*us);
}

/* A text field as a value of type t; false when it is not one. */
static bool from_text(const wr_fopts *o, const char *p, size_t n, wr_type t, wr_val *v) {
    int64_t i;
    double d;
    switch (t.kind) {
    case WR_T_STRING:
    case WR_T_BINARY:
        *v = wr_str(p, n);
        return true;
    case WR_T_INT:
        if (!parse_int(p, n, INT32_MIN, INT32_MAX, &i)) return false;
        *v = wr_int(i);
        return true;
    case WR_T_BIGINT:
        if (!parse_int(p, n, INT64_MIN, INT64_MAX, &i)) return false;
        *v = wr_int(i);
        return true;
    case WR_T_DOUBLE:
        if (!parse_double(p, n, &d)) return false;
        *v = wr_dbl(d);
        return true;
    case WR_T_BOOL:
        if (!parse_bool(p, n, &i)) return false;
        *v = wr_int(i);
        return true;
    case WR_T_TIMESTAMP:
        if (!parse_ts(o, p, n, &i)) return false;
        *v = wr_int(i);
        return true;
    default:
        return false;
    }
}

/* Splits a csv line into fields (Spark's univocity settings: quote, escape,
 * unescaped quotes STOP_AT_DELIMITER); fesc marks a quoted field holding
 * escapes. Returns the field count. */
static int csv_split(wr_freader *r, const char *a, const char *b) {
    const wr_fopts *o = r->o;
    int n = 0;
    const char *x = a;
    for (;;) {
        if (n == r->fcap) {
            r->fcap = r->fcap ? r->fcap * 2 : 16;
            r->fp = wr_xrealloc(r->fp, sizeof *r->fp * (size_t)r->fcap);
            r->flen = wr_xrealloc(r->flen, sizeof *r->flen * (size_t)r->fcap);
            r->fesc = wr_xrealloc(r->fesc, sizeof *r->fesc * (size_t)r->fcap);
        }
        const char *next = NULL;
        r->fesc[n] = false;
        if (x < b && *x == o->quote) {
            const char *y = x + 1;
            bool esc = false;
            while (y < b) {
                if (*y == o->escape && o->escape != o->quote && y + 1 < b &&
                    (y[1] == o->quote || y[1] == o->escape)) {
                    esc = true;
                    y += 2;
                } else if (*y == o->quote && o->escape == o->quote && y + 1 < b &&
                           y[1] == o->quote) {
                    esc = true;
                    y += 2;
                } else if (*y == o->quote) {
                    break;
                } else {
                    y++;
                }
            }
            if (y >= b) { /* no closing quote: the rest of the line */
                r->fp[n] = x + 1, r->flen[n] = (size_t)(b - x - 1), r->fesc[n] = esc;
            } else if (y + 1 == b || y[1] == o->sep) {
                r->fp[n] = x + 1, r->flen[n] = (size_t)(y - x - 1), r->fesc[n] = esc;
                next = y + 1 < b ? y + 2 : NULL;
            } else { /* text after the closing quote: the field is unquoted, to the separator */
                const char *s = memchr(y, o->sep, (size_t)(b - y));
                r->fp[n] = x, r->flen[n] = (size_t)((s ? s : b) - x);
                next = s ? s + 1 : NULL;
            }
        } else {
            const char *s = memchr(x, o->sep, (size_t)(b - x));
            r->fp[n] = x, r->flen[n] = (size_t)((s ? s : b) - x);
            next = s ? s + 1 : NULL;
        }
        n++;
        if (!next) break;
        x = next;
    }
    return n;
}

/* A quoted field's text without its escapes, in the chunk's arena. */
static const char *csv_unescape(wr_freader *r, const char *p, size_t *n) {
    const wr_fopts *o = r->o;
    char *out = wr_arena_alloc(&r->arena, *n + 1);
    size_t k = 0;
    for (size_t i = 0; i < *n; i++) {
        if ((p[i] == o->escape || p[i] == o->quote) && i + 1 < *n &&
            (p[i + 1] == o->quote || (p[i] == o->escape && p[i + 1] == o->escape)))
            i++;
        out[k++] = p[i];
    }
    *n = k;
    return out;
}

static const char *type_word(wr_type t) {
    return wr_type_name(t);
}

static bool csv_line(scan *s, const char *a, const char *b, int64_t off) {
    wr_freader *r = s->r;
    const wr_fopts *o = r->o;
    const char *c = a;
    while (c < b && (unsigned char)*c <= ' ')
        c++;
    if (c == b) return true; /* blank lines are skipped, as in Spark */
    if (s->header_left) {
        s->header_left = false;
        return true;
    }
    int n = csv_split(r, a, b), ncols = r->sc->n;
    wr_val *row = new_row(s, off);
    if (!row) return false;
    char why[300] = "";
    if (n != ncols)
        snprintf(why, sizeof why, "%d field%s where the schema has %d column%s", n,
                 n == 1 ? "" : "s", ncols, ncols == 1 ? "" : "s");
    size_t nulllen = strlen(o->null_value);
    for (int c2 = 0; c2 < ncols; c2++) {
        row[c2] = wr_null();
        if (c2 >= n || (r->needed && !r->needed[c2])) continue;
        const char *p = r->fp[c2];
        size_t len = r->flen[c2];
        if (r->fesc[c2]) p = csv_unescape(r, p, &len);
        if (len == nulllen && !memcmp(p, o->null_value, len)) continue;
        wr_type t = r->sc->cols[c2].type;
        if (!from_text(o, p, len, t, &row[c2]) && !why[0])
            snprintf(why, sizeof why, "field %s: '%.*s' is not a%s %s", r->sc->cols[c2].name,
                     len > 40 ? 40 : (int)len, p, strchr("AEIOU", type_word(t)[0]) ? "n" : "",
                     type_word(t));
    }
    if (!why[0]) return true;
    if (o->mode == WR_PARSE_DROP) {
        r->rows.n--;
        return true;
    }
    if (o->mode == WR_PARSE_FAILFAST)
        return fail_at(s, off,
                       "malformed CSV record (%s); mode FAILFAST stops the query (PERMISSIVE "
                       "makes such fields NULL, DROPMALFORMED drops the record)",
                       why);
    return true;
}

/* ---- json ---- */

static wr_val json_text(wr_freader *r, json_t *j) {
    char *t = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    size_t n = t ? strlen(t) : 0;
    wr_val v = wr_str(wr_arena_strndup(&r->arena, t ? t : "", n), n);
    free(t);
    return v;
}

/* A json value as type t (Spark's JacksonParser): false when it cannot be. */
static bool from_json(wr_freader *r, json_t *j, wr_type t, wr_val *v) {
    const wr_fopts *o = r->o;
    if (json_is_null(j)) {
        *v = wr_null();
        return true;
    }
    double d;
    int64_t i;
    switch (t.kind) {
    case WR_T_STRING:
        if (json_is_string(j)) {
            size_t n = json_string_length(j);
            *v = wr_str(wr_arena_strndup(&r->arena, json_string_value(j), n), n);
        } else {
            *v = json_text(r, j); /* other values as their JSON text */
        }
        return true;
    case WR_T_INT:
    case WR_T_BIGINT:
        if (!json_is_integer(j)) return false;
        i = json_integer_value(j);
        if (t.kind == WR_T_INT && (i < INT32_MIN || i > INT32_MAX)) return false;
        *v = wr_int(i);
        return true;
    case WR_T_DOUBLE:
        if (json_is_number(j)) {
            *v = wr_dbl(json_number_value(j));
            return true;
        }
        if (!json_is_string(j)) return false;
        {
            const char *s = json_string_value(j);
            static const char *const pos[] = {"NaN", "Infinity", "+Infinity", "INF", "+INF"};
            for (size_t k = 0; k < 5; k++)
                if (!strcmp(s, pos[k])) return *v = wr_dbl(k ? INFINITY : NAN), true;
            if (!strcmp(s, "-Infinity") || !strcmp(s, "-INF")) return *v = wr_dbl(-INFINITY), true;
            if (!parse_double(s, strlen(s), &d)) return false;
            *v = wr_dbl(d);
        }
        return true;
    case WR_T_BOOL:
        if (!json_is_boolean(j)) return false;
        *v = wr_int(json_is_true(j));
        return true;
    case WR_T_TIMESTAMP:
        if (json_is_integer(j)) { /* seconds since the epoch */
            i = json_integer_value(j);
            if (i > WR_TS_MAX_US / 1000000 || i < WR_TS_MIN_US / 1000000) return false;
            *v = wr_int(i * 1000000);
            return true;
        }
        if (json_is_real(j)) {
            d = json_real_value(j) * 1e6;
            if (!(d >= (double)WR_TS_MIN_US && d <= (double)WR_TS_MAX_US)) return false;
            *v = wr_int((int64_t)d);
            return true;
        }
        if (!json_is_string(j)) return false;
        if (!parse_ts(o, json_string_value(j), json_string_length(j), &i)) return false;
        *v = wr_int(i);
        return true;
    case WR_T_BINARY: {
        if (!json_is_string(j)) return false;
        wr_buf b = {0};
        bool ok = wr_base64_decode(&b, json_string_value(j), json_string_length(j));
        if (ok) *v = wr_str(wr_arena_strndup(&r->arena, b.p ? b.p : "", b.len), b.len);
        wr_buf_free(&b);
        return ok;
    }
    default:
        return false;
    }
}

/* One record (an object) as a row; false when the row could not be added
 * (a flush failed) or FAILFAST stops. */
static bool json_record(scan *s, json_t *obj, const char *bad_json, int64_t off) {
    wr_freader *r = s->r;
    const wr_fopts *o = r->o;
    wr_val *row = new_row(s, off);
    if (!row) return false;
    char why[300] = "";
    if (bad_json) snprintf(why, sizeof why, "%s", bad_json);
    for (int c = 0; c < r->sc->n; c++) {
        row[c] = wr_null();
        if (!obj || (r->needed && !r->needed[c])) continue;
        json_t *f = json_object_get(obj, r->sc->cols[c].name);
        if (f && !from_json(r, f, r->sc->cols[c].type, &row[c]) && !why[0]) {
            json_t *txt = f;
            char *t = json_dumps(txt, JSON_COMPACT | JSON_ENCODE_ANY);
            snprintf(why, sizeof why, "field %s: %.40s is not a%s %s", r->sc->cols[c].name,
                     t ? t : "?", strchr("AEIOU", type_word(r->sc->cols[c].type)[0]) ? "n" : "",
                     type_word(r->sc->cols[c].type));
            free(t);
        }
    }
    if (!why[0]) return true;
    if (o->mode == WR_PARSE_DROP) {
        r->rows.n--;
        return true;
    }
    if (o->mode == WR_PARSE_FAILFAST)
        return fail_at(s, off,
                       "malformed JSON record (%s); mode FAILFAST stops the query (PERMISSIVE "
                       "makes such fields NULL, DROPMALFORMED drops the record)",
                       why);
    return true;
}

static bool json_line(scan *s, const char *a, const char *b, int64_t off) {
    const char *c = a;
    while (c < b && isspace((unsigned char)*c))
        c++;
    if (c == b) return true; /* blank lines give no record */
    json_error_t je;
    json_t *j = json_loadb(a, (size_t)(b - a), JSON_ALLOW_NUL, &je);
    bool ok = true;
    if (json_is_object(j)) {
        ok = json_record(s, j, NULL, off);
    } else if (json_is_array(j)) { /* an array of objects: a record each, as Spark */
        size_t i;
        json_t *e;
        bool all = true;
        json_array_foreach(j, i, e) all &= json_is_object(e);
        if (!all)
            ok = json_record(s, NULL, "an array of something other than objects", off);
        else
            json_array_foreach(j, i, e) {
                if (ok) ok = json_record(s, e, NULL, off);
            }
    } else {
        char why[200];
        snprintf(why, sizeof why, "not a JSON object: %s", j ? "a single value" : je.text);
        ok = json_record(s, NULL, why, off);
    }
    json_decref(j);
    return ok;
}

/* ---- lines ---- */

static bool text_line(scan *s, const char *a, const char *b, int64_t off) {
    wr_val *row = new_row(s, off);
    if (!row) return false;
    row[0] = wr_str(a, (size_t)(b - a));
    return true;
}

static bool one_line(scan *s, const char *a, const char *b, int64_t off) {
    switch (s->r->o->fmt) {
    case WR_FMT_CSV:
        return csv_line(s, a, b, off);
    case WR_FMT_JSON:
        return json_line(s, a, b, off);
    default:
        return text_line(s, a, b, off);
    }
}

/* Keeps the bytes from file offset `from` on, and reads more after them
 * (the buffer grows when they fill it). The rows held are handed on first:
 * they point into the buffer. */
static bool refill(scan *s, int64_t from) {
    wr_freader *r = s->r;
    if (!flush(s)) return false;
    size_t keep = (size_t)(s->base + (int64_t)s->len - from);
    if (keep && from != s->base) memmove(r->buf, r->buf + (from - s->base), keep);
    s->base = from;
    s->len = keep;
    if (keep == r->cap) { /* one line fills the buffer */
        if (r->cap >= LINE_MAX_BYTES)
            return fail_at(s, from, "the line is longer than %zu bytes, the most a line may hold",
                           LINE_MAX_BYTES);
        r->cap = r->cap * 2 > LINE_MAX_BYTES ? LINE_MAX_BYTES + 1 : r->cap * 2;
        r->buf = wr_xrealloc(r->buf, r->cap + SLACK);
    }
    int64_t want = s->p->size - (s->base + (int64_t)s->len);
    if ((int64_t)(r->cap - s->len) < want) want = (int64_t)(r->cap - s->len);
    while (want > 0) {
        ssize_t n = pread(s->fd, r->buf + s->len, (size_t)want, s->base + (int64_t)s->len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            s->failed = true;
            return wr_fail(s->err, WR_ERR_IO, "cannot read %s: %s", s->p->uri, strerror(errno));
        }
        if (n == 0) { /* shorter than when it was planned */
            s->eof = true;
            break;
        }
        s->len += (size_t)n;
        break;
    }
    if (s->base + (int64_t)s->len >= s->p->size) s->eof = true;
    s->blk = NULL;
    return true;
}

/* Which of the 64 bytes at p (those before end) are c1 or c2: a bit each. */
static inline uint64_t block_mask(const char *p, const char *end, char c1, char c2) {
    uint64_t m = 0;
#ifdef __SSE2__
    const __m128i a = _mm_set1_epi8(c1), b = _mm_set1_epi8(c2);
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        __m128i eq = _mm_or_si128(_mm_cmpeq_epi8(v, a), _mm_cmpeq_epi8(v, b));
        m |= (uint64_t)(uint32_t)_mm_movemask_epi8(eq) << (16 * k);
    }
#else
    for (int k = 0; k < 64; k++)
        m |= (uint64_t)(p[k] == c1 || p[k] == c2) << k;
#endif
    if (end - p < 64) m &= (1ULL << (end - p)) - 1;
    return m;
}

/* The first terminator character (\n or \r, or lineSep's one byte) at or
 * after cur, or NULL: scanned 64 bytes at a time, the block's bits kept for
 * the next lines. */
static inline const char *next_term(scan *s, const char *cur, const char *end) {
    const wr_fopts *o = s->r->o;
    char c1 = o->line_sep ? o->line_sep[0] : '\n', c2 = o->line_sep ? c1 : '\r';
    if (!s->blk || cur < s->blk || cur >= s->blk + 64) {
        if (cur >= end) return NULL;
        s->blk = cur;
        s->mask = block_mask(cur, end, c1, c2);
    }
    uint64_t m = s->mask & (~0ULL << (cur - s->blk));
    while (!m) {
        s->blk += 64;
        if (s->blk >= end) {
            s->blk = NULL;
            return NULL;
        }
        m = s->mask = block_mask(s->blk, end, c1, c2);
    }
    return s->blk + __builtin_ctzll(m);
}

/* The end of the line starting at *cur: its terminator at *term (length
 * *tlen, 0 at the end of the file). Returns 0 when more bytes are needed. */
static int find_end(scan *s, const char *cur, const char **term, size_t *tlen) {
    const char *end = s->r->buf + s->len;
    const wr_fopts *o = s->r->o;
    if (o->line_sep && o->line_sep_len > 1) {
        const char *t = memmem(cur, (size_t)(end - cur), o->line_sep, o->line_sep_len);
        if (t) {
            *term = t, *tlen = o->line_sep_len;
            return 1;
        }
    } else {
        const char *t = next_term(s, cur, end);
        if (t) {
            if (o->line_sep || *t == '\n') {
                *term = t, *tlen = 1;
                return 1;
            }
            if (t + 1 < end) { /* \r, or \r\n */
                *term = t, *tlen = t[1] == '\n' ? 2 : 1;
                return 1;
            }
            if (s->eof) {
                *term = t, *tlen = 1;
                return 1;
            }
            return 0; /* a \r last: is a \n next? */
        }
    }
    if (!s->eof) return 0;
    *term = end, *tlen = 0;
    return 1;
}

static bool read_lines(scan *s) {
    wr_freader *r = s->r;
    const wr_fpiece *p = s->p;
    int64_t pos = p->start; /* the next line's start */
    bool skip = p->start > 0;
    if (!refill(s, pos)) return false;
    for (;;) {
        if (!skip &&
            (pos > p->end || pos >= p->size || (s->eof && pos >= s->base + (int64_t)s->len)))
            break;
        const char *cur = r->buf + (pos - s->base), *term;
        size_t tlen;
        int got = find_end(s, cur, &term, &tlen);
        if (!got) {
            if (!refill(s, pos)) return false;
            continue;
        }
        if ((size_t)(term - cur) > LINE_MAX_BYTES)
            return fail_at(s, pos, "the line is longer than %zu bytes, the most a line may hold",
                           LINE_MAX_BYTES);
        if (!skip && !one_line(s, cur, term, pos)) return false;
        skip = false;
        pos += (term - cur) + (int64_t)tlen;
        if (tlen == 0) break; /* the file's end */
    }
    return flush(s);
}

/* wholetext: the file is one row. */
static bool read_whole(scan *s) {
    wr_freader *r = s->r;
    if (s->p->size > (int64_t)LINE_MAX_BYTES)
        return fail_at(s, 0, "the file is longer than %zu bytes, the most a row may hold",
                       LINE_MAX_BYTES);
    if (r->cap <= (size_t)s->p->size) {
        r->cap = (size_t)s->p->size + 1;
        r->buf = wr_xrealloc(r->buf, r->cap + SLACK);
    }
    while (!s->eof)
        if (!refill(s, 0)) return false;
    wr_val *row = new_row(s, 0);
    if (!row) return false;
    row[0] = wr_str(r->buf, s->len);
    return flush(s);
}

bool wr_freader_read(wr_freader *r, const wr_fpiece *p, wr_rows_fn fn, void *ctx, wr_err *err) {
    if (!r->buf) {
        r->cap = BUF_INITIAL;
        r->buf = wr_xmalloc(r->cap + SLACK);
    }
    scan s = {.r = r, .p = p, .fn = fn, .ctx = ctx, .err = err, .base = p->start};
    s.header_left = r->o->fmt == WR_FMT_CSV && r->o->header && p->start == 0;
    r->rows.n = 0;
    wr_arena_reset(&r->arena);
    if (p->size == 0) return true;
    s.fd = open(p->path, O_RDONLY | O_CLOEXEC);
    if (s.fd < 0)
        return wr_fail(err, errno == ENOENT ? WR_ERR_DATA : WR_ERR_IO, "cannot open %s: %s", p->uri,
                       strerror(errno));
    posix_fadvise(s.fd, p->start, 0, POSIX_FADV_SEQUENTIAL);
    bool ok = r->o->wholetext ? read_whole(&s) : read_lines(&s);
    close(s.fd);
    r->rows.n = 0;
    wr_arena_reset(&r->arena);
    return ok && !s.failed;
}
