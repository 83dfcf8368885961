/* Listing the files a file source's path names now (file_int.h), as
 * Spark's InMemoryFileIndex lists them: a glob is expanded (with {a,b}),
 * folders are walked with their subfolders, and names starting with '.' or
 * '_' (but _metadata and _common_metadata) or ending in ._COPYING_ are
 * left out — so a writer may write `.name` and rename it into place. A
 * folder (not a glob) holding a file sink's _spark_metadata log gives the
 * files that log commits, as Spark's file source reads a file sink's
 * output: never a file of a batch that did not commit. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sources/file_int.h"

typedef struct listing {
    const char *filter;
    wr_flisted *v;
    int n, cap;
    wr_fdirs *dirs;
} listing;

static int64_t mtime_ns(const struct stat *st) {
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static void note_dir(listing *l, const char *dir, const struct stat *st) {
    wr_fdirs *d = l->dirs;
    d->path = wr_xrealloc(d->path, sizeof *d->path * (size_t)(d->n + 1));
    d->mtime_ns = wr_xrealloc(d->mtime_ns, sizeof *d->mtime_ns * (size_t)(d->n + 1));
    d->path[d->n] = wr_xstrdup(dir);
    d->mtime_ns[d->n++] = mtime_ns(st);
}

bool wr_fdirs_unchanged(const wr_fdirs *d) {
    if (!d->valid) return false;
    for (int i = 0; i < d->n; i++) {
        struct stat st;
        if (stat(d->path[i], &st) != 0 || mtime_ns(&st) != d->mtime_ns[i]) return false;
    }
    return true;
}

void wr_fdirs_free(wr_fdirs *d) {
    for (int i = 0; i < d->n; i++)
        free(d->path[i]);
    free(d->path);
    free(d->mtime_ns);
    memset(d, 0, sizeof *d);
}

static bool hidden(const char *name) {
    size_t n = strlen(name);
    bool exclude = (name[0] == '_' && !strchr(name, '=')) || name[0] == '.' ||
                   (n >= 10 && !strcmp(name + n - 10, "._COPYING_"));
    bool include = !strncmp(name, "_common_metadata", 16) || !strncmp(name, "_metadata", 9);
    return exclude && !include;
}

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static void add(listing *l, const char *path, const struct stat *st) {
    if (l->filter && fnmatch(l->filter, base_name(path), FNM_PERIOD)) return;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = wr_xrealloc(l->v, sizeof *l->v * (size_t)l->cap);
    }
    wr_flisted *f = &l->v[l->n++];
    f->path = wr_xstrdup(path);
    f->uri = wr_file_uri(path);
    f->mtime_ms = (int64_t)st->st_mtim.tv_sec * 1000 + st->st_mtim.tv_nsec / 1000000;
    f->size = (int64_t)st->st_size;
}

/* A folder's files and its subfolders' (not through more than 64 levels:
 * a link loop ends there). */
static void walk(listing *l, const char *dir, const struct stat *dst, int depth) {
    if (depth > 64) return;
    note_dir(l, dir, dst); /* before reading it: a file added meanwhile changes it */
    DIR *d = opendir(dir);
    if (!d) return; /* gone or unreadable meanwhile: listed again next trigger */
    struct dirent *de;
    while ((de = readdir(d))) {
        if (hidden(de->d_name)) continue;
        char *p = wr_xasprintf("%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", de->d_name);
        struct stat st;
        if (stat(p, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                walk(l, p, &st, depth + 1);
            else if (S_ISREG(st.st_mode))
                add(l, p, &st);
        }
        free(p);
    }
    closedir(d);
}

static void take(listing *l, const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode))
        walk(l, path, &st, 0);
    else if (S_ISREG(st.st_mode))
        add(l, path, &st);
}

static int cmp_path(const void *a, const void *b) {
    return strcmp(((const wr_flisted *)a)->path, ((const wr_flisted *)b)->path);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files a file sink's log (_spark_metadata: N and N.compact, "v1" then
 * one JSON object a file) commits: "add" entries less "delete" ones. */
static bool from_sink_log(listing *l, const char *meta, wr_err *err) {
    DIR *d = opendir(meta);
    if (!d) return wr_fail(err, WR_ERR_IO, "cannot list %s: %s", meta, strerror(errno));
    wr_strlist add_paths = {0}, del_paths = {0};
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *n = de->d_name;
        size_t digits = strspn(n, "0123456789");
        if (!digits || (n[digits] && strcmp(n + digits, ".compact"))) continue;
        char *p = wr_xasprintf("%s/%s", meta, n);
        size_t len;
        char *text = wr_read_file(p, &len);
        free(p);
        if (!text) continue;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            json_t *j = json_loads(line, 0, NULL);
            const char *path = json_string_value(json_object_get(j, "path")),
                       *action = json_string_value(json_object_get(j, "action"));
            if (path)
                wr_strlist_push(action && !strcmp(action, "delete") ? &del_paths : &add_paths,
                                path);
            json_decref(j);
        }
        free(text);
    }
    closedir(d);
    if (add_paths.n > 1)
        qsort(add_paths.items, (size_t)add_paths.n, sizeof *add_paths.items, cmp_str);
    if (del_paths.n > 1)
        qsort(del_paths.items, (size_t)del_paths.n, sizeof *del_paths.items, cmp_str);
    for (int i = 0; i < add_paths.n; i++) {
        const char *u = add_paths.items[i];
        if ((i > 0 && !strcmp(add_paths.items[i - 1], u)) ||
            (del_paths.n &&
             bsearch(&u, del_paths.items, (size_t)del_paths.n, sizeof *del_paths.items, cmp_str)))
            continue;
        char *path = wr_file_uri_path(u);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) add(l, path, &st);
        free(path);
    }
    wr_strlist_free(&add_paths);
    wr_strlist_free(&del_paths);
    return true;
}

bool wr_file_list(const char *abs_pattern, const char *glob_filter, wr_flisted **out, int *n,
                  bool *exists, wr_fdirs *dirs, wr_err *err) {
    listing l = {.filter = glob_filter, .dirs = dirs};
    bool ok = true;
    *exists = true;
    wr_fdirs_free(dirs);
    if (!strpbrk(abs_pattern, "*?[]{}\\")) {
        struct stat st;
        if (stat(abs_pattern, &st) != 0) {
            *exists = false;
        } else {
            char *meta = wr_xasprintf("%s/_spark_metadata", abs_pattern);
            struct stat ms;
            dirs->valid = S_ISDIR(st.st_mode);
            if (S_ISDIR(st.st_mode) && stat(meta, &ms) == 0 && S_ISDIR(ms.st_mode)) {
                note_dir(&l, abs_pattern, &st);
                note_dir(&l, meta, &ms);
                ok = from_sink_log(&l, meta, err);
            } else {
                take(&l, abs_pattern);
            }
            free(meta);
        }
    } else {
        glob_t g;
        int rc = glob(abs_pattern, GLOB_BRACE | GLOB_NOSORT, NULL, &g);
        if (rc == 0)
            for (size_t i = 0; i < g.gl_pathc; i++)
                if (!hidden(base_name(g.gl_pathv[i]))) take(&l, g.gl_pathv[i]);
        if (rc != GLOB_NOMATCH) globfree(&g);
        /* a file two matches reach ({in,in/sub}) is listed once */
        if (l.n > 1) qsort(l.v, (size_t)l.n, sizeof *l.v, cmp_path);
        int k = 0;
        for (int i = 0; i < l.n; i++) {
            if (k > 0 && !strcmp(l.v[k - 1].path, l.v[i].path)) {
                free(l.v[i].path);
                free(l.v[i].uri);
                continue;
            }
            l.v[k++] = l.v[i];
        }
        l.n = k;
    }
    *out = l.v;
    *n = l.n;
    return ok;
}

void wr_flisted_free(wr_flisted *l, int n) {
    for (int i = 0; i < n; i++) {
        free(l[i].path);
        free(l[i].uri);
    }
    free(l);
}
