/* The state store of one partition on disk (wr_state.h): which snapshot and
 * deltas restore a version, when to write a snapshot, which files retention
 * may remove. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state/wr_state.h"

/* The newest version <= at_most with a file "<v><suffix>" in dir (-1: none). */
static int64_t newest(const char *dir, const char *suffix, int64_t at_most) {
    DIR *d = opendir(dir);
    int64_t best = -1;
    if (!d) return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        long long v = strtoll(e->d_name, &end, 10);
        if (end != e->d_name && !strcmp(end, suffix) && v <= at_most && v > best) best = v;
    }
    closedir(d);
    return best;
}

static char *file(const char *dir, int64_t v, const char *suffix) {
    return wr_xasprintf("%s/%lld%s", dir, (long long)v, suffix);
}

bool wr_store_restore(wr_table *t, const char *dir, int64_t version, wr_err *err) {
    int64_t base = newest(dir, ".snapshot", version);
    bool ok = true;
    if (base >= 0) {
        char *p = file(dir, base, ".snapshot");
        ok = wr_table_load(t, p, err);
        free(p);
    }
    for (int64_t v = base + 1; v <= version && ok; v++) {
        char *p = file(dir, v, ".delta");
        ok = wr_table_load(t, p, err);
        free(p);
    }
    wr_table_clear_updated(t); /* what loading removed is no news to the next delta */
    return ok;
}

bool wr_store_commit(const wr_table *t, const char *dir, int64_t version, int snapshot_every,
                     bool *snapshotted, wr_err *err) {
    char *p = file(dir, version, ".delta");
    bool ok = wr_table_save(t, p, true, err);
    free(p);
    *snapshotted = ok && snapshot_every > 0 && (version + 1) % snapshot_every == 0;
    if (*snapshotted) {
        p = file(dir, version, ".snapshot");
        ok = wr_table_save(t, p, false, err);
        free(p);
    }
    return ok;
}

void wr_store_retain(const char *dir, int64_t oldest) {
    /* Restoring any version >= oldest starts at the newest snapshot <= oldest. */
    int64_t base = newest(dir, ".snapshot", oldest);
    if (base < 0) return;
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        long long v = strtoll(e->d_name, &end, 10);
        if (end == e->d_name || v >= base || (strcmp(end, ".snapshot") && strcmp(end, ".delta")))
            continue;
        char *p = wr_xasprintf("%s/%s", dir, e->d_name);
        unlink(p);
        free(p);
    }
    closedir(d);
}
