/* Implementation of the checkpoint folder (wr_ckpt.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint/wr_ckpt.h"
#include "core/wr_core.h"

struct wr_ckpt {
    char *dir;
    char *id;
    int lock_fd;
    bool created;  /* this open wrote `metadata`: a new checkpoint */
    char *made_at; /* the outermost folder of dir's path this open made, or NULL */
};

/* The outermost folder of path's that does not exist yet (malloc'd), or NULL. */
static char *first_missing(const char *path) {
    char *p = wr_xstrdup(path);
    for (char *s = p + 1;; s++) {
        if (*s && *s != '/') continue;
        char c = *s;
        *s = '\0';
        struct stat st;
        if (stat(p, &st) < 0 && errno == ENOENT) return p;
        if (!c) break;
        *s = c;
    }
    free(p);
    return NULL;
}

/* Why a checkpoint folder cannot be written: read-only for this process
 * (a read-only file system, or no permission) or another cause. */
static bool read_only(int e) {
    return e == EROFS || e == EACCES || e == EPERM;
}

/* The newest batch N with a file `sub`/N (-1: none). */
static int64_t max_batch(const char *dir, const char *sub);

wr_ckpt *wr_ckpt_open(const char *dir, const char *signature, wr_err *err) {
    wr_err why;
    char *made_at = first_missing(dir);
    bool made = wr_mkdirs(dir, &why);
    char *sub[] = {"offsets", "commits", "sources/0", "state/0", "progress"};
    for (int i = 0; made && i < 5; i++) {
        char *p = wr_xasprintf("%s/%s", dir, sub[i]);
        made = wr_mkdirs(p, &why);
        free(p);
    }
    if (!made) {
        if (read_only(errno))
            wr_fail(err, WR_ERR_IO,
                    "checkpoint %s is read-only (%s); a query must write its checkpoint: make it "
                    "writable or choose another checkpointLocation",
                    dir, why.msg);
        else
            wr_fail(err, WR_ERR_IO, "checkpoint %s: %s", dir, why.msg);
        free(made_at);
        return NULL;
    }
    char *lock = wr_xasprintf("%s/.lock", dir);
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        if (read_only(e))
            wr_fail(err, WR_ERR_IO,
                    "checkpoint %s is read-only (cannot open %s for writing: %s); a query must "
                    "write its checkpoint: make it writable or choose another checkpointLocation",
                    dir, lock, strerror(e));
        else
            wr_fail(err, WR_ERR_IO, "checkpoint %s: cannot open %s: %s", dir, lock, strerror(e));
        free(lock);
        free(made_at);
        return NULL;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno == EWOULDBLOCK)
            wr_fail(err, WR_ERR_USAGE,
                    "checkpoint %s is in use by another running query (only one query may own a "
                    "checkpoint)",
                    dir);
        else
            wr_fail(err, WR_ERR_IO, "checkpoint %s: cannot lock %s: %s", dir, lock,
                    strerror(errno));
        close(fd);
        free(lock);
        free(made_at);
        return NULL;
    }
    free(lock);
    wr_ckpt *c = wr_xcalloc(1, sizeof *c);
    c->dir = wr_xstrdup(dir);
    c->lock_fd = fd;
    c->made_at = made_at;
    char *mpath = wr_xasprintf("%s/metadata", dir);
    size_t len;
    char *text = wr_read_file(mpath, &len);
    bool ok = true;
    if (text) {
        json_error_t je;
        json_t *m = json_loads(text, 0, &je);
        const char *id = m ? json_string_value(json_object_get(m, "id")) : NULL;
        const char *sig = m ? json_string_value(json_object_get(m, "weirQuery")) : NULL;
        if (!id || !sig) {
            wr_fail(err, WR_ERR_CORRUPT,
                    "checkpoint file %s is damaged (expected {\"id\": ..., \"weirQuery\": ...}); "
                    "remove %s to start fresh",
                    mpath, dir);
            ok = false;
        } else if (!strcmp(sig, signature)) {
            c->id = wr_xstrdup(id);
        } else {
            wr_fail(err, WR_ERR_CORRUPT,
                    "checkpoint %s was written by a different query (it has: %s; this query: %s); "
                    "remove %s or choose another checkpointLocation to start fresh",
                    dir, sig, signature, dir);
            ok = false;
        }
        json_decref(m);
        free(text);
    } else if (errno != ENOENT) {
        wr_fail(err, WR_ERR_IO, "cannot read checkpoint file %s: %s", mpath, strerror(errno));
        ok = false;
    } else if (max_batch(dir, "offsets") >= 0 || max_batch(dir, "commits") >= 0) {
        /* written before any batch: its loss would make a new query id and skip the check of the
         * query */
        wr_fail(err, WR_ERR_CORRUPT,
                "checkpoint file %s is missing but %s holds batches: restore it, or remove %s (and "
                "the output of a durable "
                "sink it writes) to start fresh",
                mpath, dir, dir);
        ok = false;
    } else {
        char id[37];
        wr_uuid4(id);
        c->id = wr_xstrdup(id);
        json_t *m = json_pack("{s:s, s:s}", "id", id, "weirQuery", signature);
        char *s = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
        ok = c->created = wr_write_durable(mpath, s, strlen(s), err);
        free(s);
        json_decref(m);
    }
    free(mpath);
    /* commits/N without offsets/N: the log lost its newest entry, and the
     * next batch would reuse N over other offsets */
    int64_t lo = ok ? max_batch(dir, "offsets") : -1, lc = ok ? max_batch(dir, "commits") : -1;
    if (ok && lc > lo) {
        wr_fail(err, WR_ERR_CORRUPT,
                "checkpoint %s has %s/commits/%lld but no %s/offsets/%lld (%s): restore that file, "
                "or remove %s (and the "
                "output of a durable sink it writes) to start fresh",
                dir, dir, (long long)lc, dir, (long long)lc,
                lo < 0 ? "no offsets file at all"
                       : "the newest offsets file is of an earlier batch",
                dir);
        ok = false;
    }
    if (!ok) {
        wr_ckpt_close(c);
        return NULL;
    }
    return c;
}

void wr_ckpt_close(wr_ckpt *c) {
    if (!c) return;
    close(c->lock_fd);
    free(c->dir);
    free(c->id);
    free(c->made_at);
    free(c);
}

/* Removes the empty folders under path, deepest first, and path itself
 * when `self` and it is then empty; a folder that holds a file stays, with
 * the folders on its way. */
static void remove_empty_tree(const char *path, bool self) {
    DIR *d = opendir(path);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            char *sub = wr_xasprintf("%s/%s", path, e->d_name);
            struct stat st;
            if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) remove_empty_tree(sub, true);
            free(sub);
        }
    closedir(d);
    if (self) rmdir(path);
}

bool wr_ckpt_discard_unused(wr_ckpt *c) {
    if (!c || !c->created || wr_ckpt_has_sources(c) || max_batch(c->dir, "offsets") >= 0 ||
        max_batch(c->dir, "commits") >= 0)
        return false;
    char *meta = wr_xasprintf("%s/metadata", c->dir), *lock = wr_xasprintf("%s/.lock", c->dir);
    unlink(meta);
    unlink(lock); /* still held: a second process that opened it meanwhile found it locked */
    free(meta);
    free(lock);
    remove_empty_tree(c->dir, c->made_at != NULL); /* a folder that was there stays */
    /* and the folders on its path this open made, up to the outermost */
    char *p = wr_xstrdup(c->dir);
    size_t stop = c->made_at ? strlen(c->made_at) : strlen(p);
    for (char *slash; strlen(p) > stop && (slash = strrchr(p, '/')) && slash > p;) {
        *slash = '\0';
        if (rmdir(p) < 0) break;
    }
    free(p);
    return true;
}

const char *wr_ckpt_id(const wr_ckpt *c) {
    return c->id;
}

bool wr_ckpt_created(const wr_ckpt *c) {
    return c->created;
}

static int64_t max_batch(const char *dir, const char *sub) {
    char *path = wr_xasprintf("%s/%s", dir, sub);
    DIR *d = opendir(path);
    free(path);
    int64_t best = -1;
    if (!d) return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        int64_t v;
        if (wr_parse_i64(e->d_name, 0, INT64_MAX, &v) && v > best) best = v;
    }
    closedir(d);
    return best;
}

int64_t wr_ckpt_last_batch(wr_ckpt *c, bool *committed) {
    int64_t last = max_batch(c->dir, "offsets");
    *committed = false;
    if (last >= 0) {
        char *cp = wr_xasprintf("%s/commits/%lld", c->dir, (long long)last);
        *committed = access(cp, F_OK) == 0;
        free(cp);
    }
    return last;
}

int64_t wr_ckpt_last_commit(wr_ckpt *c) {
    return max_batch(c->dir, "commits");
}

const char *wr_ckpt_dir(const wr_ckpt *c) {
    return c->dir;
}

static bool write_lines(const char *path, json_t *line2, const json_t *line3, wr_err *err) {
    wr_buf b = {0};
    wr_buf_puts(&b, "v1\n");
    char *s = json_dumps(line2, JSON_COMPACT | JSON_PRESERVE_ORDER);
    wr_buf_puts(&b, s);
    free(s);
    if (line3) {
        wr_buf_putc(&b, '\n');
        s = json_dumps(line3, JSON_COMPACT | JSON_PRESERVE_ORDER);
        wr_buf_puts(&b, s);
        free(s);
    }
    bool ok = wr_write_durable(path, b.p, b.len, err);
    wr_buf_free(&b);
    return ok;
}

/* Reads "v1\n<json>[\n<json>]" and returns line `want` (2 or 3) parsed. */
static json_t *read_line(const char *path, int want, json_t **meta, wr_err *err) {
    size_t len;
    char *text = wr_read_file(path, &len);
    if (!text) {
        wr_fail(err, WR_ERR_CORRUPT, "checkpoint file %s is missing: %s", path, strerror(errno));
        return NULL;
    }
    char *lines[4] = {0};
    int n = 0;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l && n < 4;
         l = strtok_r(NULL, "\n", &save))
        lines[n++] = l;
    json_t *out = NULL, *m = NULL;
    if (n >= want && !strcmp(lines[0], "v1")) {
        m = json_loads(lines[1], 0, NULL);
        out = want == 2 ? json_incref(m) : json_loads(lines[2], 0, NULL);
    }
    if (!m || !out || !json_is_object(out)) {
        wr_fail(err, WR_ERR_CORRUPT,
                "checkpoint file %s is damaged (expected v1 and %d JSON line%s); it is not "
                "replaced: restore it or remove the checkpoint to start fresh",
                path, want - 1, want > 2 ? "s" : "");
        json_decref(out);
        json_decref(m);
        free(text);
        return NULL;
    }
    if (meta)
        *meta = m;
    else
        json_decref(m);
    free(text);
    return out;
}

bool wr_ckpt_write_offsets(wr_ckpt *c, int64_t batch, int state_partitions, int64_t watermark_ms,
                           const json_t *offsets, wr_err *err) {
    char *path = wr_xasprintf("%s/offsets/%lld", c->dir, (long long)batch);
    char parts[16];
    snprintf(parts, sizeof parts, "%d", state_partitions);
    json_t *meta = json_pack("{s:I, s:I, s:{s:s}}", "batchWatermarkMs", (json_int_t)watermark_ms,
                             "batchTimestampMs", (json_int_t)wr_wall_ms(), "conf",
                             "weir.shuffle.partitions", parts);
    bool ok = write_lines(path, meta, offsets, err);
    json_decref(meta);
    free(path);
    return ok;
}

json_t *wr_ckpt_read_offsets(wr_ckpt *c, int64_t batch, int *state_partitions,
                             int64_t *watermark_ms, wr_err *err) {
    char *path = wr_xasprintf("%s/offsets/%lld", c->dir, (long long)batch);
    json_t *meta = NULL;
    json_t *o = read_line(path, 3, &meta, err);
    if (o && watermark_ms) {
        json_t *w = json_object_get(meta, "batchWatermarkMs");
        if (!json_is_integer(w)) {
            wr_fail(err, WR_ERR_CORRUPT, "checkpoint file %s is damaged (no batchWatermarkMs)",
                    path);
            json_decref(o);
            o = NULL;
        } else {
            *watermark_ms = json_integer_value(w);
        }
    }
    if (o && state_partitions) {
        const char *p = json_string_value(
            json_object_get(json_object_get(meta, "conf"), "weir.shuffle.partitions"));
        int64_t v;
        if (!p || !wr_parse_i64(p, 1, 4096, &v)) {
            wr_fail(err, WR_ERR_CORRUPT,
                    "checkpoint file %s is damaged (no conf.weir.shuffle.partitions)", path);
            json_decref(o);
            o = NULL;
        } else {
            *state_partitions = (int)v;
        }
    }
    json_decref(meta);
    free(path);
    return o;
}

bool wr_ckpt_write_sources(wr_ckpt *c, const json_t *offsets, wr_err *err) {
    char *path = wr_xasprintf("%s/sources/0/0", c->dir);
    bool ok = write_lines(path, (json_t *)offsets, NULL, err);
    free(path);
    return ok;
}

bool wr_ckpt_has_sources(const wr_ckpt *c) {
    char *path = wr_xasprintf("%s/sources/0/0", c->dir);
    bool has = access(path, F_OK) == 0;
    free(path);
    return has;
}

json_t *wr_ckpt_read_sources(wr_ckpt *c, wr_err *err) {
    char *path = wr_xasprintf("%s/sources/0/0", c->dir);
    json_t *o = read_line(path, 2, NULL, err);
    free(path);
    return o;
}

bool wr_ckpt_read_commit(wr_ckpt *c, int64_t batch, int64_t *next_watermark_ms, wr_err *err) {
    char *path = wr_xasprintf("%s/commits/%lld", c->dir, (long long)batch);
    json_t *m = read_line(path, 2, NULL, err);
    json_t *w = json_object_get(m, "nextBatchWatermarkMs");
    bool ok = json_is_integer(w);
    if (ok)
        *next_watermark_ms = json_integer_value(w);
    else if (m)
        wr_fail(err, WR_ERR_CORRUPT, "checkpoint file %s is damaged (no nextBatchWatermarkMs)",
                path);
    json_decref(m);
    free(path);
    return ok;
}

bool wr_ckpt_write_commit(wr_ckpt *c, int64_t batch, int64_t next_watermark_ms, wr_err *err) {
    char *path = wr_xasprintf("%s/commits/%lld", c->dir, (long long)batch);
    json_t *m = json_pack("{s:I}", "nextBatchWatermarkMs", (json_int_t)next_watermark_ms);
    bool ok = write_lines(path, m, NULL, err);
    json_decref(m);
    free(path);
    return ok;
}

bool wr_ckpt_write_progress(wr_ckpt *c, int64_t batch, const char *text, wr_err *err) {
    char *path = wr_xasprintf("%s/progress/%lld", c->dir, (long long)batch),
         *tmp = wr_xasprintf("%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    bool ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    if (f && fclose(f)) ok = false;
    if (ok) ok = rename(tmp, path) == 0;
    if (!ok) {
        wr_fail(err, WR_ERR_IO, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
    }
    free(path);
    free(tmp);
    return ok;
}

char *wr_ckpt_state_dir(const wr_ckpt *c, int partition) {
    char *d = wr_xasprintf("%s/state/0/%d", c->dir, partition);
    wr_mkdirs(d, NULL); /* a failure shows when the first file is written */
    return d;
}

static void remove_older(const char *dir, int64_t below) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        int64_t v;
        if (!wr_parse_i64(e->d_name, 0, INT64_MAX, &v) || v >= below) continue;
        char *p = wr_xasprintf("%s/%s", dir, e->d_name);
        unlink(p);
        free(p);
    }
    closedir(d);
}

void wr_ckpt_cleanup(wr_ckpt *c, int64_t oldest) {
    static const char *logs[] = {"offsets", "commits", "progress"};
    for (int i = 0; i < 3; i++) {
        char *d = wr_xasprintf("%s/%s", c->dir, logs[i]);
        remove_older(d, oldest);
        free(d);
    }
}
