/* Files: reading a whole file, mkdir -p, and the durable write every
 * checkpoint, state and sink file goes through (temporary name, fsync,
 * rename, fsync of the folder), so no reader ever sees half a file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/wr_core.h"

char *wr_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    wr_buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        wr_buf_put(&b, chunk, n);
    if (ferror(f)) { /* a folder (EISDIR), an I/O error: not an empty file */
        int e = errno;
        fclose(f);
        wr_buf_free(&b);
        errno = e;
        return NULL;
    }
    fclose(f);
    if (len) *len = b.len;
    return b.p ? b.p : wr_xstrdup("");
}

int wr_file_read_only(const char *path) {
    char *dir = wr_xstrdup(path), *slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else
        slash[slash == dir] = '\0'; /* "/f" is in "/" */
    int e = access(dir, W_OK | X_OK) < 0 ? errno : 0;
    if (!e && access(path, F_OK) == 0 && access(path, W_OK) < 0) e = errno;
    free(dir);
    return e == EROFS || e == EACCES || e == EPERM ? e : 0;
}

bool wr_mkdirs(const char *path, wr_err *err) {
    if (!*path) {
        wr_fail(err, WR_ERR_USAGE, "cannot create a folder with an empty name");
        errno = EINVAL;
        return false;
    }
    char *p = wr_xstrdup(path);
    int e = 0;
    for (char *s = p + 1; *s && !e; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
            e = errno;
        else
            *s = '/';
    }
    if (!e && mkdir(p, 0755) < 0 && errno != EEXIST) e = errno;
    if (e) wr_fail(err, WR_ERR_IO, "cannot create %s: %s", p, strerror(e));
    free(p);
    errno = e;
    return !e;
}

static void fsync_dir(const char *path) {
    char *d = wr_xstrdup(path);
    char *slash = strrchr(d, '/');
    if (slash) *slash = '\0';
    int fd = open(slash ? d : ".", O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(d);
}

bool wr_write_durable(const char *path, const void *data, size_t len, wr_err *err) {
    char *tmp = wr_xasprintf("%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int e = fd < 0 ? errno : 0; /* the first failure's cause */
    const char *p = data;
    for (size_t off = 0; !e && off < len;) {
        ssize_t w = write(fd, p + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0)
            e = errno;
        else if (w == 0)
            e = ENOSPC;
        else
            off += (size_t)w;
    }
    if (!e && fsync(fd) < 0) e = errno;
    if (fd >= 0 && close(fd) < 0 && !e) e = errno;
    if (!e && rename(tmp, path) < 0) e = errno;
    if (e) {
        wr_fail(err, WR_ERR_IO, "cannot write %s: %s", path, strerror(e));
        unlink(tmp);
    } else {
        fsync_dir(path);
    }
    free(tmp);
    errno = e;
    return !e;
}
