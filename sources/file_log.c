/* The log of the files each batch of a file source takes, in Spark's format
 * (FileStreamSourceLog, a CompactibleFileStreamLog) in the checkpoint's
 * sources/0 folder:
 *
 *   sources/0/N          v1, then one line per file:
 *                        {"path":"file:///...","timestamp":<mtime ms>,"batchId":N}
 *   sources/0/N.compact  every 10th batch (N + 1 a multiple of the compact
 *                        interval, spark.sql.streaming.fileSource.log.compactInterval,
 *                        10): the entries of every batch so far and of N
 *
 * Files are written durably (temporary name, fsync, rename). Once 100
 * batches (spark.sql.streaming.minBatchesToRetain) lie beyond a compaction,
 * the files before it are removed, as Spark's log deletion does (without its
 * ten-minute delay, which is for eventually consistent stores). On open the
 * whole log is read back: the newest compact file and the batches after it.
 * Without a folder the log lives in memory only. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sources/file_int.h"

enum { DEFAULT_INTERVAL = 10, MIN_BATCHES_TO_RETAIN = 100 };

typedef struct fbatch {
    wr_flog_entry *e;
    int n;
} fbatch;

struct wr_flog {
    char *dir;
    int interval;
    fbatch *batches; /* by batch id, from 0 */
    int64_t n;       /* batches held: 0..n-1 */
};

static bool is_compaction(int64_t b, int interval) {
    return (b + 1) % interval == 0;
}

static char *batch_path(const wr_flog *l, int64_t b) {
    return wr_xasprintf("%s/%lld%s", l->dir, (long long)b,
                        is_compaction(b, l->interval) ? ".compact" : "");
}

char *wr_flog_where(const wr_flog *l, int64_t b) {
    return l->dir ? batch_path(l, b) : wr_xasprintf("batch %lld of the log", (long long)b);
}

/* A log file's batch id: "N" or "N.compact"; -1 for any other name. */
static int64_t name_batch(const char *name, bool *compact) {
    const char *p = name;
    int64_t v = 0;
    if (!*p) return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (INT64_MAX - 9) / 10) return -1;
        v = v * 10 + (*p - '0');
    }
    if (p == name) return -1;
    *compact = !strcmp(p, ".compact");
    return *p && !*compact ? -1 : v;
}

/* Spark's deriveCompactInterval: one compact file, at batch c, and the
 * interval wanted: the smallest divisor of c + 1 at least that large. */
static int derive_interval(int dflt, int64_t c) {
    int64_t n = c + 1;
    if (n <= dflt) return (int)n;
    if (dflt < n / 2)
        for (int64_t i = dflt; i <= n / 2; i++)
            if (n % i == 0) return (int)i;
    return (int)(n > INT32_MAX ? INT32_MAX : n);
}

/* Room for batches 0..n-1. */
static void grow(wr_flog *l, int64_t n) {
    if (n <= l->n) return;
    l->batches = wr_xrealloc(l->batches, sizeof *l->batches * (size_t)n);
    memset(l->batches + l->n, 0, sizeof *l->batches * (size_t)(n - l->n));
    l->n = n;
}

static void put_entry(wr_flog *l, int64_t b, const char *uri, int64_t ts) {
    grow(l, b + 1);
    fbatch *fb = &l->batches[b];
    fb->e = wr_xrealloc(fb->e, sizeof *fb->e * (size_t)(fb->n + 1));
    fb->e[fb->n++] = (wr_flog_entry){wr_xstrdup(uri), ts, b};
}

/* Reads one log file into l: "v1" then entries. */
static bool read_log_file(wr_flog *l, int64_t id, wr_err *err) {
    char *path = batch_path(l, id);
    size_t len;
    char *text = wr_read_file(path, &len);
    bool ok = true;
    if (!text) {
        ok = wr_fail(err, WR_ERR_CORRUPT,
                     "file source log: cannot read %s (%s): the checkpoint is damaged; remove it "
                     "to start fresh",
                     path, strerror(errno));
        free(path);
        return false;
    }
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    if (!line || line[0] != 'v' || !line[1] || strspn(line + 1, "0123456789") != strlen(line + 1))
        ok = wr_fail(err, WR_ERR_CORRUPT,
                     "file source log %s is damaged (no version line): remove the checkpoint to "
                     "start fresh",
                     path);
    else if (strcmp(line, "v1"))
        ok = wr_fail(err, WR_ERR_CORRUPT,
                     "file source log %s is version %s; this Weir reads v1 (written by a newer "
                     "version?)",
                     path, line);
    int lineno = 1;
    while (ok && (line = strtok_r(NULL, "\n", &save))) {
        lineno++;
        if (!*line || !strcmp(line, "\r")) continue;
        json_t *j = json_loads(line, 0, NULL);
        json_t *p = json_object_get(j, "path"), *t = json_object_get(j, "timestamp"),
               *b = json_object_get(j, "batchId");
        if (!json_is_string(p) || !json_is_integer(t) || !json_is_integer(b) ||
            json_integer_value(b) < 0 || json_integer_value(b) > id)
            ok = wr_fail(err, WR_ERR_CORRUPT,
                         "file source log %s line %d is damaged (expected "
                         "{\"path\":...,\"timestamp\":...,\"batchId\":...}): remove the checkpoint "
                         "to start fresh",
                         path, lineno);
        else
            put_entry(l, json_integer_value(b), json_string_value(p), json_integer_value(t));
        json_decref(j);
    }
    free(text);
    free(path);
    return ok;
}

static bool restore(wr_flog *l, wr_err *err) {
    DIR *d = opendir(l->dir);
    if (!d)
        return wr_fail(err, WR_ERR_IO, "file source log: cannot open %s: %s", l->dir,
                       strerror(errno));
    int64_t *ids = NULL, top = -1, c1 = -1, c2 = -1; /* the two newest compactions */
    int nids = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        bool compact = false;
        int64_t b = name_batch(de->d_name, &compact);
        if (b < 0) continue;
        ids = wr_xrealloc(ids, sizeof *ids * (size_t)(nids + 1));
        ids[nids++] = b;
        if (compact && b > c1)
            c2 = c1, c1 = b;
        else if (compact && b > c2)
            c2 = b;
    }
    closedir(d);
    /* Spark's compactInterval: from the compact files there are */
    l->interval = c2 >= 0   ? (int)(c1 - c2)
                  : c1 >= 0 ? derive_interval(DEFAULT_INTERVAL, c1)
                            : DEFAULT_INTERVAL;
    if (l->interval <= 0) l->interval = DEFAULT_INTERVAL;
    /* the newest batch whose file (by the interval) exists */
    for (int i = 0; i < nids; i++) {
        char *p = batch_path(l, ids[i]);
        if (ids[i] > top && access(p, F_OK) == 0) top = ids[i];
        free(p);
    }
    free(ids);
    if (top < 0) return true;
    int64_t start = (top + 1) / l->interval * l->interval - 1;
    if (start < 0) start = 0;
    for (int64_t b = start; b <= top; b++)
        if (!read_log_file(l, b, err)) return false;
    grow(l, top + 1);
    return true;
}

wr_flog *wr_flog_open(const char *dir, wr_err *err) {
    wr_flog *l = wr_xcalloc(1, sizeof *l);
    l->interval = DEFAULT_INTERVAL;
    if (!dir) return l;
    l->dir = wr_xstrdup(dir);
    if (!wr_mkdirs(dir, err) || !restore(l, err)) {
        wr_flog_free(l);
        return NULL;
    }
    return l;
}

void wr_flog_free(wr_flog *l) {
    if (!l) return;
    for (int64_t b = 0; b < l->n; b++) {
        for (int i = 0; i < l->batches[b].n; i++)
            free(l->batches[b].e[i].uri);
        free(l->batches[b].e);
    }
    free(l->batches);
    free(l->dir);
    free(l);
}

int64_t wr_flog_latest(const wr_flog *l) {
    return l->n - 1;
}

const wr_flog_entry *wr_flog_batch(const wr_flog *l, int64_t b, int *n) {
    if (b < 0 || b >= l->n) {
        *n = 0;
        return NULL;
    }
    *n = l->batches[b].n;
    return l->batches[b].e;
}

static void put_line(wr_buf *b, const wr_flog_entry *e) {
    json_t *j = json_pack("{s:s, s:I, s:I}", "path", e->uri, "timestamp", (json_int_t)e->ts,
                          "batchId", (json_int_t)e->batch);
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    wr_buf_putc(b, '\n');
    wr_buf_puts(b, s);
    free(s);
    json_decref(j);
}

/* Spark's deleteExpiredLog: files before the compaction that keeps
 * minBatchesToRetain batches go. */
static void delete_expired(wr_flog *l, int64_t current) {
    if (l->interval > current + 1 - MIN_BATCHES_TO_RETAIN) return;
    int64_t min_batch = current + 1 - MIN_BATCHES_TO_RETAIN;
    int64_t min_compaction = min_batch - min_batch % l->interval - 1;
    DIR *d = opendir(l->dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        bool compact = false;
        int64_t b = name_batch(de->d_name, &compact);
        if (b < 0 || b >= min_compaction) continue;
        char *p = wr_xasprintf("%s/%s", l->dir, de->d_name);
        unlink(p);
        free(p);
    }
    closedir(d);
}

bool wr_flog_add(wr_flog *l, wr_flog_entry *e, int n, wr_err *err) {
    int64_t b = l->n;
    if (l->dir) {
        wr_buf text = {0};
        wr_buf_puts(&text, "v1");
        if (is_compaction(b, l->interval)) /* everything so far, then this batch */
            for (int64_t k = 0; k < b; k++)
                for (int i = 0; i < l->batches[k].n; i++)
                    put_line(&text, &l->batches[k].e[i]);
        for (int i = 0; i < n; i++) {
            e[i].batch = b;
            put_line(&text, &e[i]);
        }
        char *path = batch_path(l, b);
        bool ok = wr_write_durable(path, text.p, text.len, err);
        free(path);
        wr_buf_free(&text);
        if (!ok) {
            wr_err_prefix(err, "file source log");
            return false;
        }
    }
    grow(l, b + 1);
    l->batches[b].e = wr_xmalloc(sizeof *e * (size_t)(n ? n : 1));
    l->batches[b].n = n;
    for (int i = 0; i < n; i++) {
        e[i].batch = b;
        l->batches[b].e[i] = e[i];
    }
    if (l->dir) delete_expired(l, b);
    return true;
}
