/* The file sources' run time (wr_source_ops), Spark's FileStreamSource:
 *
 * - Each trigger lists the path's files. Those not seen before (and not
 *   older than maxFileAge behind the newest seen, Spark's SeenFilesMap),
 *   oldest first (newest with latestFirst), are the new files; the first
 *   maxFilesPerTrigger of them (or about maxBytesPerTrigger, or all) are
 *   logged as the next batch of the source's log (sources/0/N, file_log.c)
 *   before the batch's offsets are: an offset is a log batch id,
 *   {"logOffset": N}, and a query batch (from, to] reads the files of log
 *   batches from + 1 .. to. One log batch is logged at a time: the next only
 *   once a query batch has taken it, so that every batch obeys the limit;
 *   latest() counts the batches the files left over would make, so that
 *   trigger availableNow reads them all.
 * - A batch is read by numPartitions splits (default: cores), each carrying
 *   the same offsets: the batch's files are planned once (stat'ed, a file
 *   of 4 MB or more split into one byte share per split, smaller ones dealt
 *   whole to the least loaded split), and split i reads its pieces
 *   (file_read.c).
 * - A logged file that is gone when its batch reads it fails the batch
 *   (Spark's FileNotFoundException), or with ignoreMissingFiles is skipped
 *   with a warning; one whose modification time changed is read as it is,
 *   with a warning.
 * - Once a batch is committed, cleanSource deletes its files or moves them
 *   under sourceArchiveDir. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sources/file_int.h"

#define SPLIT_MIN ((int64_t)4 << 20) /* files at least this big are read by every split */

/* Spark's SeenFilesMap: a file (its URI, or name with fileNameOnly) and
 * its modification time; open addressing, purged by rebuilding. */
typedef struct seen_e {
    char *key;
    int64_t ts, batch; /* its modification time (ms) when logged, and its log batch */
} seen_e;

typedef struct seenmap {
    seen_e *e;
    size_t cap, n;
} seenmap;

/* The pieces of a planned batch, per split. */
typedef struct plan {
    bool valid, ok;
    int64_t start, end;
    wr_err err;
    wr_fpiece **pieces;
    int *npieces;
    wr_strlist strings; /* the paths the pieces point to */
} plan;

typedef struct fsrc {
    wr_source base;
    wr_fopts o;
    wr_schema schema;
    bool *needed;
    char *abs, *archive;
    int nsplits;
    char **names;
    wr_flog *log;
    seenmap seen;
    int64_t latest_ts, purge_ts;
    int64_t handed;    /* the newest log batch a query batch took */
    int64_t cleaned;   /* cleanSource: log batches up to here are cleaned */
    bool heard;        /* the first offsets are known */
    int64_t read_upto; /* the files of log batches up to here have been read */
    seenmap warned;    /* files a change was told of */
    /* the sizes the entries of log batch listed_batch had when listed */
    int64_t listed_batch, *listed_size;
    /* the last listing, reused while its folders stay unchanged: not when
     * one changed within 100 ms of it (a file made within the same tick of
     * the file system's clock leaves a folder's time as it was), and not
     * for more than 5 s (a listing also tells of files written to) */
    wr_flisted *listed;
    int nlisted;
    wr_fdirs dirs;
    int64_t listed_ms;
    pthread_mutex_t lock; /* the plan, the readers, the warnings */
    plan pl;
    wr_freader **readers;
    int nreaders;
} fsrc;

/* ---- seen files ---- */

static const char *file_key(const fsrc *f, const char *uri) {
    if (!f->o.file_name_only) return uri;
    const char *s = strrchr(uri, '/');
    return s ? s + 1 : uri;
}

static size_t slot(const seenmap *m, const char *k) {
    size_t mask = m->cap - 1, i = (size_t)wr_hash_bytes(k, strlen(k), 0) & mask;
    while (m->e[i].key && strcmp(m->e[i].key, k))
        i = (i + 1) & mask;
    return i;
}

static void seen_rehash(seenmap *m, size_t cap, int64_t keep_from) {
    seenmap old = *m;
    m->cap = cap;
    m->n = 0;
    m->e = wr_xcalloc(cap, sizeof *m->e);
    for (size_t i = 0; i < old.cap; i++) {
        if (!old.e[i].key) continue;
        if (old.e[i].ts >= keep_from) {
            size_t s = slot(m, old.e[i].key);
            m->e[s] = old.e[i];
            m->n++;
        } else {
            free(old.e[i].key);
        }
    }
    free(old.e);
}

static void seen_put(seenmap *m, const char *k, int64_t ts, int64_t batch) {
    if ((m->n + 1) * 2 > m->cap) seen_rehash(m, m->cap ? m->cap * 2 : 64, INT64_MIN);
    size_t s = slot(m, k);
    if (!m->e[s].key) {
        m->e[s].key = wr_xstrdup(k);
        m->n++;
    }
    m->e[s].ts = ts;
    m->e[s].batch = batch;
}

static const seen_e *seen_get(const seenmap *m, const char *k) {
    if (!m->cap) return NULL;
    const seen_e *e = &m->e[slot(m, k)];
    return e->key ? e : NULL;
}

static bool seen_has(const seenmap *m, const char *k) {
    return seen_get(m, k) != NULL;
}

static void seen_add(fsrc *f, const char *uri, int64_t ts, int64_t batch) {
    seen_put(&f->seen, file_key(f, uri), ts, batch);
    if (ts > f->latest_ts) f->latest_ts = ts;
}

static bool is_new(const fsrc *f, const char *uri, int64_t ts) {
    return ts >= f->purge_ts && !seen_has(&f->seen, file_key(f, uri));
}

/* Files older than maxFileAge behind the newest are forgotten. */
static void seen_purge(fsrc *f) {
    int64_t age = f->o.max_age_ms;
    f->purge_ts = f->latest_ts > INT64_MIN + age ? f->latest_ts - age : INT64_MIN;
    size_t stale = 0;
    for (size_t i = 0; i < f->seen.cap; i++)
        stale += f->seen.e[i].key && f->seen.e[i].ts < f->purge_ts;
    if (stale) seen_rehash(&f->seen, f->seen.cap, f->purge_ts);
}

/* ---- open, close ---- */

static void warn(fsrc *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(fsrc *f, const char *fmt, ...) {
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "weir: warning: source %s: %s\n", f->base.def->name, msg);
}

/* A warning that file `uri` changed, once per file. */
static void warn_change(fsrc *f, const char *uri, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void warn_change(fsrc *f, const char *uri, const char *fmt, ...) {
    if (seen_has(&f->warned, uri)) return;
    seen_put(&f->warned, uri, 0, 0);
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    warn(f,
         "%s; a file must be complete when it appears (write it elsewhere, or under a name "
         "starting with '.', and rename it into place)",
         msg);
}

static void plan_clear(fsrc *f) {
    plan *p = &f->pl;
    for (int i = 0; p->pieces && i < f->nsplits; i++)
        free(p->pieces[i]);
    free(p->pieces);
    free(p->npieces);
    wr_strlist_free(&p->strings);
    memset(p, 0, sizeof *p);
}

static void file_close(wr_source *s) {
    fsrc *f = (fsrc *)s;
    if (!f) return;
    plan_clear(f);
    for (int i = 0; i < f->nreaders; i++)
        wr_freader_free(f->readers[i]);
    free(f->readers);
    for (size_t i = 0; i < f->seen.cap; i++)
        free(f->seen.e[i].key);
    free(f->seen.e);
    for (int i = 0; f->names && i < f->nsplits; i++)
        free(f->names[i]);
    free(f->names);
    wr_flog_free(f->log);
    for (size_t i = 0; i < f->warned.cap; i++)
        free(f->warned.e[i].key);
    free(f->warned.e);
    free(f->listed_size);
    wr_flisted_free(f->listed, f->nlisted);
    wr_fdirs_free(&f->dirs);
    wr_schema_free(&f->schema);
    free(f->needed);
    free(f->abs);
    free(f->archive);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

/* The folder a pattern lists: up to its first glob character. */
static char *base_folder(const char *abs) {
    size_t n = strcspn(abs, "*?[]{}\\");
    if (!abs[n]) return wr_xstrdup(abs);
    while (n > 0 && abs[n - 1] != '/')
        n--;
    return wr_xstrndup(abs, n > 1 ? n - 1 : 1);
}

static wr_source *file_open(const wr_source_def *def, const wr_source_env *env, wr_err *err) {
    fsrc *f = wr_xcalloc(1, sizeof *f);
    f->base.def = def;
    pthread_mutex_init(&f->lock, NULL);
    wr_fopts_of(def, wr_file_format_of(def), &f->o);
    f->nsplits = f->o.nparts;
    for (int i = 0; i < def->schema.n; i++)
        wr_schema_add(&f->schema, def->schema.cols[i].name, def->schema.cols[i].type);
    f->needed = wr_xcalloc((size_t)def->schema.n + 1, sizeof *f->needed);
    for (int i = 0; i < def->schema.n; i++)
        f->needed[i] = !env->needed || env->needed[i];
    f->abs = wr_file_abs(f->o.path);
    f->handed = f->cleaned = f->listed_batch = -1;
    f->names = wr_xcalloc((size_t)f->nsplits, sizeof *f->names);
    for (int i = 0; i < f->nsplits; i++)
        f->names[i] = wr_xasprintf("source %s split %d", def->name, i);
    bool ok = true;
    if (!strpbrk(f->abs, "*?[]{}\\")) {
        struct stat st;
        if (stat(f->abs, &st) != 0)
            ok = wr_fail(err, WR_ERR_USAGE,
                         "source %s: path %s does not exist (%s); give a folder that exists, or "
                         "a glob such as '%s/*', which may match nothing yet",
                         def->name, f->abs, strerror(errno), f->abs);
    }
    if (ok && f->o.clean == WR_CLEAN_ARCHIVE) {
        f->archive = wr_file_abs(f->o.archive_dir);
        char *folder = base_folder(f->abs);
        size_t n = strlen(folder);
        if (!strncmp(f->archive, folder, n) && (f->archive[n] == '/' || !f->archive[n] || n == 1))
            ok = wr_fail(err, WR_ERR_USAGE,
                         "source %s: sourceArchiveDir %s lies inside the source's folder %s: "
                         "archived files would be read again; choose a folder outside it",
                         def->name, f->archive, folder);
        free(folder);
    }
    if (ok) ok = (f->log = wr_flog_open(env->dir, err)) != NULL;
    if (!ok) {
        file_close(&f->base);
        return NULL;
    }
    /* every file the log holds has been seen */
    for (int64_t b = 0; b <= wr_flog_latest(f->log); b++) {
        int n;
        const wr_flog_entry *e = wr_flog_batch(f->log, b, &n);
        for (int i = 0; i < n; i++)
            seen_add(f, e[i].uri, e[i].ts, b);
    }
    seen_purge(f);
    return &f->base;
}

static int file_splits(wr_source *s) {
    return ((fsrc *)s)->nsplits;
}

static const char *file_split_name(wr_source *s, int i) {
    return ((fsrc *)s)->names[i];
}

static void fill(fsrc *f, int64_t *off, int64_t v) {
    for (int i = 0; i < f->nsplits; i++)
        off[i] = v;
}

/* The offsets a run starts from: cleanSource goes on from there. */
static void hear(fsrc *f, int64_t v) {
    if (!f->heard) {
        f->heard = true;
        f->cleaned = v - 1;
        f->read_upto = v;
    }
    if (v > f->handed) f->handed = v;
}

static bool file_initial(wr_source *s, int64_t *off, wr_err *err) {
    (void)err;
    fsrc *f = (fsrc *)s;
    fill(f, off, -1);
    hear(f, -1);
    return true;
}

/* ---- listing and logging ---- */

static int by_time(const void *a, const void *b) {
    const wr_flisted *x = a, *y = b;
    if (x->mtime_ms != y->mtime_ms) return x->mtime_ms < y->mtime_ms ? -1 : 1;
    return strcmp(x->uri, y->uri);
}

static int by_time_desc(const void *a, const void *b) {
    const wr_flisted *x = a, *y = b;
    if (x->mtime_ms != y->mtime_ms) return x->mtime_ms > y->mtime_ms ? -1 : 1;
    return strcmp(x->uri, y->uri);
}

/* How many of files[0..n) the next batch takes (Spark's ReadMaxFiles, or
 * takeFilesUntilMax: the first file, then more while they fit). */
static int batch_take(const fsrc *f, const wr_flisted *files, int n) {
    if (f->o.max_files) return n < f->o.max_files ? n : (int)f->o.max_files;
    if (!f->o.max_bytes || n == 0) return n;
    int k = 1;
    int64_t total = files[0].size;
    while (k < n && files[k].size <= f->o.max_bytes - total)
        total += files[k++].size;
    return k;
}

static bool file_latest(wr_source *s, int64_t *off, wr_err *err) {
    fsrc *f = (fsrc *)s;
    int64_t now = wr_now_ms();
    if (!f->listed_ms || now - f->listed_ms >= 5000 || !wr_fdirs_unchanged(&f->dirs)) {
        wr_flisted_free(f->listed, f->nlisted);
        f->listed = NULL, f->nlisted = 0;
        bool exists;
        int64_t wall_ns = wr_wall_ms() * 1000000;
        if (!wr_file_list(f->abs, f->o.glob_filter, &f->listed, &f->nlisted, &exists, &f->dirs,
                          err))
            return false;
        f->listed_ms = now ? now : 1;
        for (int i = 0; i < f->dirs.n; i++)
            if (f->dirs.mtime_ns[i] > wall_ns - 100000000) f->dirs.valid = false;
    }
    wr_flisted *all = f->listed; /* reordered here: the new files first */
    int n = f->nlisted;
    int k = 0; /* the new files, first */
    for (int i = 0; i < n; i++) {
        if (is_new(f, all[i].uri, all[i].mtime_ms)) {
            wr_flisted t = all[k];
            all[k++] = all[i];
            all[i] = t;
        } else if (!f->o.file_name_only) { /* a file read before: written to since? */
            const seen_e *e = seen_get(&f->seen, all[i].uri);
            if (e && e->batch <= f->read_upto && e->ts != all[i].mtime_ms)
                warn_change(f, all[i].uri,
                            "%s changed after it was taken for a batch (modified at %lld ms "
                            "then, %lld ms now): what was written to it after it was read is "
                            "never read",
                            all[i].uri, (long long)e->ts, (long long)all[i].mtime_ms);
        }
    }
    if (k > 1) qsort(all, (size_t)k, sizeof *all, f->o.latest_first ? by_time_desc : by_time);
    int64_t last = wr_flog_latest(f->log);
    int first = 0;
    if (f->handed >= last && k > 0) { /* no logged batch waits: log the next */
        int take = batch_take(f, all, k);
        wr_flog_entry *e = wr_xmalloc(sizeof *e * (size_t)take);
        for (int i = 0; i < take; i++)
            e[i] = (wr_flog_entry){wr_xstrdup(all[i].uri), all[i].mtime_ms, 0};
        if (!wr_flog_add(f->log, e, take, err)) {
            for (int i = 0; i < take; i++)
                free(e[i].uri);
            free(e);
            wr_err_prefix(err, "source %s", s->def->name);
            return false;
        }
        free(e);
        f->listed_batch = last + 1;
        f->listed_size = wr_xrealloc(f->listed_size, sizeof *f->listed_size * (size_t)(take + 1));
        for (int i = 0; i < take; i++) {
            seen_add(f, all[i].uri, all[i].mtime_ms, last + 1);
            f->listed_size[i] = all[i].size;
        }
        seen_purge(f);
        last++;
        first = take;
        const char *fault = getenv("WEIR_FAULT"); /* tests: a crash after the log entry */
        if (fault && !strncmp(fault, "filelog:", 8) && atoll(fault + 8) == last) {
            fprintf(stderr, "weir: WEIR_FAULT: stopping after log batch %lld\n", (long long)last);
            _exit(70);
        }
    }
    /* the batches the files left would make (views of all[], not owners) */
    int64_t pending = 0;
    int m = 0;
    wr_flisted *left = wr_xmalloc(sizeof *left * (size_t)(k - first + 1));
    for (int i = first; i < k; i++)
        if (is_new(f, all[i].uri, all[i].mtime_ms)) left[m++] = all[i];
    for (int i = 0; i < m; pending++)
        i += batch_take(f, left + i, m - i);
    free(left);
    fill(f, off, last + pending);
    return true;
}

/* One logged batch per query batch (from + 1), within what availableNow
 * aims at. */
static void file_limit(wr_source *s, const int64_t *from, const int64_t *latest, bool once,
                       int64_t *to) {
    (void)once;
    fsrc *f = (fsrc *)s;
    int64_t t = from[0] < wr_flog_latest(f->log) ? from[0] + 1 : from[0];
    if (t > latest[0]) t = latest[0];
    if (t < from[0]) t = from[0];
    if (t > f->handed) f->handed = t;
    fill(f, to, t);
}

/* ---- reading ---- */

static bool plan_batch(fsrc *f, int64_t start, int64_t end, wr_err *err) {
    plan_clear(f);
    plan *p = &f->pl;
    p->start = start, p->end = end, p->valid = true;
    if (end > f->read_upto) f->read_upto = end;
    int P = f->nsplits;
    p->pieces = wr_xcalloc((size_t)P, sizeof *p->pieces);
    p->npieces = wr_xcalloc((size_t)P, sizeof *p->npieces);
    int64_t *load = wr_xcalloc((size_t)P, sizeof *load);
    int *cap = wr_xcalloc((size_t)P, sizeof *cap);
    bool splittable = !f->o.wholetext && f->o.line_sep_len <= 1 && P > 1, ok = true;
    const char *name = f->base.def->name;
    for (int64_t b = start + 1; b <= end && ok; b++) {
        int n;
        const wr_flog_entry *e = wr_flog_batch(f->log, b, &n);
        if (b > wr_flog_latest(f->log)) {
            ok = wr_fail(err, WR_ERR_CORRUPT,
                         "source %s: the checkpoint's offsets name log batch %lld, which the "
                         "source's log does not hold: remove the checkpoint to start fresh",
                         name, (long long)b);
            break;
        }
        for (int i = 0; i < n && ok; i++) {
            char *path = wr_file_uri_path(e[i].uri);
            struct stat st;
            if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
                char *where = wr_flog_where(f->log, b);
                if (f->o.ignore_missing) {
                    warn(f,
                         "%s (logged in %s) does not exist any more: skipped "
                         "(ignoreMissingFiles)",
                         e[i].uri, where);
                } else {
                    ok = wr_fail(err, WR_ERR_DATA,
                                 "source %s: %s (logged in %s) does not exist any more: it was "
                                 "removed or moved before the query read it; put it back, or set "
                                 "ignoreMissingFiles = true to skip such files",
                                 name, e[i].uri, where);
                }
                free(where);
                free(path);
                continue;
            }
            int64_t mtime = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
            int64_t listed = b == f->listed_batch ? f->listed_size[i] : -1;
            if (mtime != e[i].ts || (listed >= 0 && listed != (int64_t)st.st_size))
                warn_change(f, e[i].uri,
                            "%s changed after it was listed (modified at %lld ms then, %lld ms "
                            "now; %lld bytes now): it is read as it is now",
                            e[i].uri, (long long)e[i].ts, (long long)mtime, (long long)st.st_size);
            wr_strlist_push(&p->strings, path);
            wr_strlist_push(&p->strings, e[i].uri);
            free(path);
            const char *sp = p->strings.items[p->strings.n - 2],
                       *su = p->strings.items[p->strings.n - 1];
            int64_t size = (int64_t)st.st_size;
            bool split = splittable && size >= SPLIT_MIN;
            for (int k = 0; k < (split ? P : 1); k++) {
                int to = k;
                if (!split)
                    for (int q = 1; q < P; q++)
                        if (load[q] < load[to]) to = q;
                if (p->npieces[to] == cap[to]) {
                    cap[to] = cap[to] ? cap[to] * 2 : 8;
                    p->pieces[to] =
                        wr_xrealloc(p->pieces[to], sizeof *p->pieces[to] * (size_t)cap[to]);
                }
                int64_t s0 = split ? size / P * k + size % P * k / P : 0,
                        s1 = split ? size / P * (k + 1) + size % P * (k + 1) / P : size;
                p->pieces[to][p->npieces[to]++] = (wr_fpiece){sp, su, size, s0, s1};
                load[to] += s1 - s0;
            }
        }
    }
    free(load);
    free(cap);
    p->ok = ok;
    if (!ok) p->err = *err;
    return ok;
}

static bool file_read(wr_source *s, int i, int64_t start, int64_t end, wr_rows_fn fn, void *ctx,
                      wr_err *err) {
    fsrc *f = (fsrc *)s;
    if (start >= end) return true;
    pthread_mutex_lock(&f->lock);
    bool ok = true;
    if (!f->pl.valid || f->pl.start != start || f->pl.end != end)
        ok = plan_batch(f, start, end, err);
    else if (!f->pl.ok)
        *err = f->pl.err, ok = false;
    wr_freader *r = NULL;
    if (ok)
        r = f->nreaders ? f->readers[--f->nreaders] : wr_freader_new(&f->o, &f->schema, f->needed);
    const wr_fpiece *pieces = f->pl.pieces ? f->pl.pieces[i] : NULL;
    int n = f->pl.npieces ? f->pl.npieces[i] : 0;
    pthread_mutex_unlock(&f->lock);
    if (!ok) return false;
    for (int k = 0; k < n && ok; k++) {
        ok = wr_freader_read(r, &pieces[k], fn, ctx, err);
        if (!ok && err->code == WR_ERR_DATA && !strncmp(err->msg, "cannot open", 11) &&
            f->o.ignore_missing) {
            warn(f, "%s: skipped (ignoreMissingFiles)", err->msg);
            ok = true;
        }
    }
    pthread_mutex_lock(&f->lock);
    f->readers = wr_xrealloc(f->readers, sizeof *f->readers * (size_t)(f->nreaders + 1));
    f->readers[f->nreaders++] = r;
    pthread_mutex_unlock(&f->lock);
    return ok;
}

/* ---- offsets ---- */

static json_t *file_offsets_json(wr_source *s, const int64_t *off) {
    (void)s;
    return json_pack("{s:I}", "logOffset", (json_int_t)off[0]);
}

static bool file_offsets_from_json(wr_source *s, const json_t *j, int64_t *off, wr_err *err) {
    fsrc *f = (fsrc *)s;
    json_t *v = json_object_get(j, "logOffset");
    if (!json_is_integer(v) || json_integer_value(v) < -1)
        return wr_fail(err, WR_ERR_CORRUPT,
                       "source %s: the checkpoint's offsets are damaged (expected "
                       "{\"logOffset\": N}): remove the checkpoint to start fresh",
                       s->def->name);
    int64_t n = json_integer_value(v);
    if (n > wr_flog_latest(f->log))
        return wr_fail(err, WR_ERR_CORRUPT,
                       "source %s: the checkpoint's offsets name log batch %lld but the source's "
                       "log (sources/0) ends at batch %lld: the checkpoint is damaged; remove it "
                       "to start fresh",
                       s->def->name, (long long)n, (long long)wr_flog_latest(f->log));
    fill(f, off, n);
    hear(f, n);
    return true;
}

/* ---- cleanSource ---- */

static void clean_file(fsrc *f, const char *uri) {
    char *path = wr_file_uri_path(uri);
    if (f->o.clean == WR_CLEAN_DELETE) {
        if (unlink(path) != 0 && errno != ENOENT)
            warn(f, "cannot remove %s: %s", path, strerror(errno));
    } else {
        char *dest = wr_xasprintf("%s%s", f->archive, path);
        char *slash = strrchr(dest, '/');
        *slash = '\0';
        wr_err e;
        bool made = wr_mkdirs(dest, &e);
        *slash = '/';
        if (!made)
            warn(f, "cannot archive %s: %s", path, e.msg);
        else if (rename(path, dest) != 0 && errno != ENOENT)
            warn(f, "cannot move %s to %s: %s", path, dest, strerror(errno));
        free(dest);
    }
    free(path);
}

static void file_processed(wr_source *s, const int64_t *next) {
    fsrc *f = (fsrc *)s;
    if (f->o.clean == WR_CLEAN_OFF) return;
    for (int64_t b = f->cleaned + 1 > 0 ? f->cleaned + 1 : 0; b <= next[0]; b++) {
        int n;
        const wr_flog_entry *e = wr_flog_batch(f->log, b, &n);
        for (int i = 0; i < n; i++)
            clean_file(f, e[i].uri);
    }
    if (next[0] > f->cleaned) f->cleaned = next[0];
}

const wr_source_ops wr_file_source_ops = {
    .open = file_open,
    .close = file_close,
    .splits = file_splits,
    .split_name = file_split_name,
    .initial = file_initial,
    .latest = file_latest,
    .limit = file_limit,
    .read = file_read,
    .offsets_json = file_offsets_json,
    .offsets_from_json = file_offsets_from_json,
    .processed = file_processed,
    .describe = wr_file_describe,
    .identity = wr_file_identity,
    .behind = "its log (sources/0) is shorter than the checkpoint's offsets",
    .own_dir = true,
};
