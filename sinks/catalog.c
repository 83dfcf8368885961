/* The run's catalog: one SQLite database (WAL mode, in a temporary folder,
 * in /dev/shm when there is one) holding the memory sinks' tables, and the
 * read-only connections that run SQL over them and over the durable sinks'
 * files: writes, ATTACH and pragmas that change anything are refused with a
 * clear message, and REGEXP is PCRE2 (see wr_sink.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/wr_engine.h"
#include "sinks/sinks_int.h"

char *wr_catalog_create(char *err, size_t errlen) {
    struct stat st;
    const char *base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NULL;
    if (!base) base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char *dir = wr_xasprintf("%s/weir-catalog-XXXXXX", base);
    if (!mkdtemp(dir)) {
        wr_errf(err, errlen, "cannot create a folder for the memory sinks in %s: %s", base, strerror(errno));
        free(dir);
        return NULL;
    }
    char *path = wr_xasprintf("%s/catalog.db", dir);
    free(dir);
    sqlite3 *db = wr_catalog_connect(path, false, NULL, err, errlen);
    if (!db) {
        free(path);
        return NULL;
    }
    sqlite3_close(db);
    return path;
}

void wr_catalog_remove(const char *path) {
    if (!path) return;
    static const char *sfx[] = {"", "-wal", "-shm", "-journal"};
    for (int i = 0; i < 4; i++) {
        char *p = wr_xasprintf("%s%s", path, sfx[i]);
        unlink(p);
        free(p);
    }
    char *dir = wr_xstrdup(path), *slash = strrchr(dir, '/');
    if (slash) *slash = '\0', rmdir(dir);
    free(dir);
}

sqlite3 *wr_catalog_connect(const char *path, bool durable, int *code, char *err, size_t errlen) {
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, NULL);
    if (rc != SQLITE_OK) {
        wr_errf(err, errlen, "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        if (code) *code = rc;
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 60000); /* sinks of one catalog take turns writing */
    char *msg = NULL;
    /* durable files survive power loss at each commit; the catalog is scratch */
    const char *sql = durable ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;" : "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;";
    if ((rc = sqlite3_exec(db, sql, NULL, NULL, &msg)) != SQLITE_OK) {
        wr_errf(err, errlen, "cannot use %s: %s", path, msg ? msg : sqlite3_errmsg(db));
        if (code) *code = rc;
        sqlite3_free(msg);
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

/* ---- readers ---- */

struct wr_reader {
    sqlite3 *db;
    bool setup;        /* while attaching: everything is allowed */
    char denied[200];  /* why the last statement was refused */
};

/* Pragmas that only read. */
static bool reading_pragma(const char *name) {
    static const char *ok[] = {"table_info", "table_xinfo", "table_list", "index_list", "index_info", "database_list",
                               "function_list", "collation_list", "compile_options", "page_count", "page_size",
                               "encoding", "user_version", "schema_version", "freelist_count", "foreign_key_list",
                               "journal_mode", "data_version", NULL};
    for (int i = 0; ok[i]; i++)
        if (!strcasecmp(name, ok[i])) return true;
    return false;
}

static int authorize(void *ctx, int action, const char *a, const char *b, const char *db, const char *trigger) {
    (void)db, (void)trigger;
    wr_reader *r = ctx;
    if (r->setup) return SQLITE_OK;
    const char *what = NULL;
    switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_FUNCTION:
    case SQLITE_RECURSIVE: return SQLITE_OK;
    case SQLITE_PRAGMA:
        /* PRAGMA x reads; PRAGMA x(table) reads for the table pragmas; PRAGMA x = v writes */
        if (reading_pragma(a) && (!b || !strncasecmp(a, "table_", 6) || !strncasecmp(a, "index_", 6) || !strcasecmp(a, "foreign_key_list")))
            return SQLITE_OK;
        snprintf(r->denied, sizeof r->denied, "PRAGMA %s%s%s is not allowed: SQL over sinks is read-only (pragmas that only read, "
                 "such as table_info, are)", a, b ? " = " : "", b ? b : "");
        return SQLITE_DENY;
    case SQLITE_ATTACH:
    case SQLITE_DETACH: what = action == SQLITE_ATTACH ? "ATTACH" : "DETACH"; break;
    case SQLITE_INSERT: what = "INSERT"; break;
    case SQLITE_UPDATE: what = "UPDATE"; break;
    case SQLITE_DELETE: what = !strcasecmp(a, "sqlite_master") || !strcasecmp(a, "sqlite_schema") ? "DROP" : "DELETE"; break;
    case SQLITE_TRANSACTION: what = "a transaction statement"; break;
    default: what = "a statement that changes the database"; break;
    }
    snprintf(r->denied, sizeof r->denied, "%s is not allowed: SQL over sinks is read-only (a sink changes only through its query)", what);
    return SQLITE_DENY;
}

/* A REGEXP pattern compiled once per statement, with what matching needs. */
typedef struct regexp_aux {
    pcre2_code *re;
    pcre2_match_data *md;
    wr_regex_ctx *rx; /* the engine's match limits and JIT stack */
    char *pattern;
} regexp_aux;

static void regexp_aux_free(void *p) {
    regexp_aux *a = p;
    pcre2_code_free(a->re);
    pcre2_match_data_free(a->md);
    wr_regex_ctx_free(a->rx);
    free(a->pattern);
    free(a);
}

/* x REGEXP y: regexp(y, x), PCRE2 with Java-like options; the compiled
 * pattern is kept between rows. A match that fails (a limit) is an error of
 * the statement naming the pattern, never "no match". */
static void regexp_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL) return;
    regexp_aux *a = sqlite3_get_auxdata(ctx, 0);
    if (!a) {
        char why[300];
        const char *pat = (const char *)sqlite3_value_text(argv[0]);
        size_t plen = (size_t)sqlite3_value_bytes(argv[0]);
        pcre2_code *re = wr_regex_compile(pat, plen, why, sizeof why);
        if (!re) {
            sqlite3_result_error(ctx, why, -1);
            return;
        }
        a = wr_xcalloc(1, sizeof *a);
        a->re = re;
        a->md = pcre2_match_data_create_from_pattern(re, NULL);
        a->rx = wr_regex_ctx_new();
        a->pattern = wr_xstrndup(pat, plen);
        sqlite3_set_auxdata(ctx, 0, a, regexp_aux_free);
        a = sqlite3_get_auxdata(ctx, 0);
        if (!a) return; /* out of memory: set_auxdata freed it */
    }
    const char *s = (const char *)sqlite3_value_text(argv[1]);
    size_t n = (size_t)sqlite3_value_bytes(argv[1]);
    int rc = wr_regex_exec(a->rx, a->re, s, n, 0, 0, a->md);
    if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {
        char why[160];
        wr_regex_strerror(rc, why, sizeof why);
        char *msg = wr_xasprintf("REGEXP: the regular expression '%.200s%s' failed on a %zu-byte value: %s", a->pattern,
                                 strlen(a->pattern) > 200 ? "..." : "", n, why);
        sqlite3_result_error(ctx, msg, -1);
        free(msg);
        return;
    }
    sqlite3_result_int(ctx, rc >= 0);
}

wr_reader *wr_reader_open(const char *catalog, char *err, size_t errlen) {
    wr_reader *r = wr_xcalloc(1, sizeof *r);
    r->db = wr_catalog_connect(catalog, false, NULL, err, errlen);
    if (!r->db) {
        free(r);
        return NULL;
    }
    sqlite3_create_function(r->db, "regexp", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, regexp_fn, NULL, NULL);
    sqlite3_set_authorizer(r->db, authorize, r);
    return r;
}

bool wr_reader_attach(wr_reader *r, const wr_sink_def *d, char *err, size_t errlen) {
    if (d->kind != WR_SINK_MEMORY || !d->path) return true;
    char *sql = sqlite3_mprintf("ATTACH DATABASE %Q AS \"weir_sink_%w\"", d->path, d->name);
    r->setup = true;
    char *msg = NULL;
    bool ok = sqlite3_exec(r->db, sql, NULL, NULL, &msg) == SQLITE_OK;
    r->setup = false;
    if (!ok) wr_errf(err, errlen, "cannot read sink %s's file %s: %s", d->name, d->path, msg ? msg : "error");
    sqlite3_free(msg);
    sqlite3_free(sql);
    return ok;
}

bool wr_reader_query(wr_reader *r, const char *sql, wr_format fmt, FILE *out, char *err, size_t errlen) {
    r->denied[0] = '\0';
    bool ok = wr_memory_query(r->db, sql, fmt, out, err, errlen);
    if (!ok && r->denied[0]) wr_errf(err, errlen, "%s", r->denied);
    return ok;
}

void wr_reader_close(wr_reader *r) {
    if (!r) return;
    sqlite3_close(r->db);
    free(r);
}

void wr_reader_interrupt(wr_reader *r) {
    sqlite3_interrupt(r->db);
}
