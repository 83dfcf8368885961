/* The run's catalog (wr_catalog.h): one SQLite database (WAL mode, in a
 * temporary folder, in /dev/shm when there is one) holding the memory sinks'
 * tables, and the read-only connections that run SQL over them and over the
 * durable sinks' files: writes, ATTACH and pragmas that change anything are
 * refused with a clear message, the connection is hardened as SQLite advises
 * for untrusted SQL, and REGEXP is PCRE2 (expr/'s regular expressions). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog_int.h"
#include "expr/wr_expr.h"

char *wr_catalog_create(wr_err *err) {
    struct stat st;
    const char *base =
        stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0
            ? "/dev/shm"
            : NULL;
    if (!base) base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char *dir = wr_xasprintf("%s/weir-catalog-XXXXXX", base);
    if (!mkdtemp(dir)) {
        wr_fail(err, WR_ERR_IO, "cannot create a folder for the memory sinks in %s: %s", base,
                strerror(errno));
        free(dir);
        return NULL;
    }
    char *path = wr_xasprintf("%s/catalog.db", dir);
    free(dir);
    sqlite3 *db = wr_catalog_connect(path, false, NULL, err);
    if (!db) {
        free(path);
        return NULL;
    }
    sqlite3_close(db);
    return path;
}

void wr_catalog_remove(const char *path) {
    if (!path) return;
    char *real = realpath(path, NULL); /* the name SQLite knows it by */
    wr_memtable_forget(path, real);
    free(real);
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

sqlite3 *wr_catalog_connect(const char *path, bool durable, int *code, wr_err *err) {
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, NULL);
    if (rc != SQLITE_OK) {
        wr_fail(err, WR_ERR_IO, "cannot open %s: %s", path,
                db ? sqlite3_errmsg(db) : "out of memory");
        if (code) *code = rc;
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 60000); /* sinks of one catalog take turns writing */
    wr_memtable_module(db);
    char *msg = NULL;
    /* durable files survive power loss at each commit; the catalog is scratch */
    const char *sql = durable ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                              : "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;";
    if ((rc = sqlite3_exec(db, sql, NULL, NULL, &msg)) != SQLITE_OK) {
        wr_fail(err, WR_ERR_IO, "cannot use %s: %s", path, msg ? msg : sqlite3_errmsg(db));
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
    bool setup;                 /* while attaching: everything is allowed */
    volatile sig_atomic_t stop; /* wr_reader_interrupt: statements stop */
    char denied[200];           /* why the last statement was refused */
};

/* Pragmas that only read. */
static bool reading_pragma(const char *name) {
    static const char *ok[] = {"table_info",
                               "table_xinfo",
                               "table_list",
                               "index_list",
                               "index_info",
                               "database_list",
                               "function_list",
                               "collation_list",
                               "compile_options",
                               "page_count",
                               "page_size",
                               "encoding",
                               "user_version",
                               "schema_version",
                               "freelist_count",
                               "foreign_key_list",
                               "journal_mode",
                               "data_version",
                               NULL};
    for (int i = 0; ok[i]; i++)
        if (!strcasecmp(name, ok[i])) return true;
    return false;
}

static bool schema_table(const char *t) {
    return t && (!strcasecmp(t, "sqlite_master") || !strcasecmp(t, "sqlite_schema") ||
                 !strcasecmp(t, "sqlite_temp_master") || !strcasecmp(t, "sqlite_temp_schema"));
}

/* What a refused action is called in its message. */
static const char *action_name(int action, const char *a) {
    static const struct {
        int action;
        const char *name;
    } names[] = {
        {SQLITE_INSERT, "INSERT"},
        {SQLITE_UPDATE, "UPDATE"},
        {SQLITE_ATTACH, "ATTACH"},
        {SQLITE_DETACH, "DETACH"},
        {SQLITE_CREATE_TABLE, "CREATE TABLE"},
        {SQLITE_CREATE_TEMP_TABLE, "CREATE TABLE"},
        {SQLITE_CREATE_INDEX, "CREATE INDEX"},
        {SQLITE_CREATE_TEMP_INDEX, "CREATE INDEX"},
        {SQLITE_CREATE_TRIGGER, "CREATE TRIGGER"},
        {SQLITE_CREATE_TEMP_TRIGGER, "CREATE TRIGGER"},
        {SQLITE_CREATE_VIEW, "CREATE VIEW"},
        {SQLITE_CREATE_TEMP_VIEW, "CREATE VIEW"},
        {SQLITE_CREATE_VTABLE, "CREATE VIRTUAL TABLE"},
        {SQLITE_DROP_TABLE, "DROP TABLE"},
        {SQLITE_DROP_TEMP_TABLE, "DROP TABLE"},
        {SQLITE_DROP_INDEX, "DROP INDEX"},
        {SQLITE_DROP_TEMP_INDEX, "DROP INDEX"},
        {SQLITE_DROP_TRIGGER, "DROP TRIGGER"},
        {SQLITE_DROP_TEMP_TRIGGER, "DROP TRIGGER"},
        {SQLITE_DROP_VIEW, "DROP VIEW"},
        {SQLITE_DROP_TEMP_VIEW, "DROP VIEW"},
        {SQLITE_DROP_VTABLE, "DROP TABLE"},
        {SQLITE_ALTER_TABLE, "ALTER TABLE"},
        {SQLITE_REINDEX, "REINDEX"},
        {SQLITE_ANALYZE, "ANALYZE"},
        {SQLITE_TRANSACTION, "a transaction statement"},
        {SQLITE_SAVEPOINT, "SAVEPOINT"},
    };
    if (action == SQLITE_DELETE) return schema_table(a) ? "DROP" : "DELETE";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].action == action) return names[i].name;
    return "a statement that changes the database";
}

static int authorize(void *ctx, int action, const char *a, const char *b, const char *db,
                     const char *trigger) {
    (void)db, (void)trigger;
    wr_reader *r = ctx;
    if (r->setup) return SQLITE_OK;
    switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_RECURSIVE:
        return SQLITE_OK;
    case SQLITE_FUNCTION:
        /* fts3_tokenizer('x') gives a process address and can install a tokenizer */
        if (b && (!strcasecmp(b, "fts3_tokenizer") || !strcasecmp(b, "load_extension"))) {
            snprintf(r->denied, sizeof r->denied, "function %s is not allowed in SQL over sinks",
                     b);
            return SQLITE_DENY;
        }
        return SQLITE_OK;
    case SQLITE_PRAGMA:
        /* PRAGMA x reads; PRAGMA x(table) reads for the table pragmas; PRAGMA x = v writes */
        if (reading_pragma(a) &&
            (!b || !strncasecmp(a, "table_", 6) || !strncasecmp(a, "index_", 6) ||
             !strcasecmp(a, "foreign_key_list")))
            return SQLITE_OK;
        snprintf(
            r->denied, sizeof r->denied,
            "PRAGMA %s%s%s is not allowed: SQL over sinks is read-only (pragmas that only read, "
            "such as table_info, are)",
            a, b ? " = " : "", b ? b : "");
        return SQLITE_DENY;
    case SQLITE_UPDATE:
        /* a table-valued pragma (pragma_table_info('t')) declares itself
         * through the schema table; SQLite itself never lets a statement
         * change that table (writable_schema is refused and defensive) */
        if (schema_table(a)) return SQLITE_IGNORE;
        break;
    default:
        break;
    }
    snprintf(
        r->denied, sizeof r->denied,
        "%s is not allowed: SQL over sinks is read-only (a sink changes only through its query)",
        action_name(action, a));
    return SQLITE_DENY;
}

/* A REGEXP pattern compiled once per statement, with what matching needs. */
typedef struct regexp_aux {
    wr_regex *re;
    wr_matcher *m; /* the engine's match limits and JIT stack */
    char *pattern;
} regexp_aux;

static void regexp_aux_free(void *p) {
    regexp_aux *a = p;
    wr_regex_free(a->re);
    wr_matcher_free(a->m);
    free(a->pattern);
    free(a);
}

/* x REGEXP y: regexp(y, x), PCRE2 with Java-like options; the compiled
 * pattern is kept between rows. A match that fails (a limit) is an error of
 * the statement naming the pattern, never "no match". */
static void regexp_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
        return;
    regexp_aux *a = sqlite3_get_auxdata(ctx, 0);
    if (!a) {
        wr_err why;
        const char *pat = (const char *)sqlite3_value_text(argv[0]);
        size_t plen = (size_t)sqlite3_value_bytes(argv[0]);
        wr_regex *re = wr_regex_new(pat, plen, &why);
        if (!re) {
            sqlite3_result_error(ctx, why.msg, -1);
            return;
        }
        a = wr_xcalloc(1, sizeof *a);
        a->re = re;
        a->m = wr_matcher_new();
        a->pattern = wr_xstrndup(pat, plen);
        sqlite3_set_auxdata(ctx, 0, a, regexp_aux_free);
        a = sqlite3_get_auxdata(ctx, 0);
        if (!a) return; /* out of memory: set_auxdata freed it */
    }
    const char *s = (const char *)sqlite3_value_text(argv[1]);
    size_t n = (size_t)sqlite3_value_bytes(argv[1]);
    char why[160];
    int rc = wr_match(a->m, a->re, s, n, 0, 0, why, sizeof why);
    if (rc < 0) {
        char *msg =
            wr_xasprintf("REGEXP: the regular expression '%.200s%s' failed on a %zu-byte value: %s",
                         a->pattern, strlen(a->pattern) > 200 ? "..." : "", n, why);
        sqlite3_result_error(ctx, msg, -1);
        free(msg);
        return;
    }
    sqlite3_result_int(ctx, rc);
}

/* Every thousand steps of a statement: stop when interrupted (Ctrl-C). */
static int progress(void *ctx) {
    return ((wr_reader *)ctx)->stop != 0;
}

wr_reader *wr_reader_open(const char *catalog, wr_err *err) {
    wr_reader *r = wr_xcalloc(1, sizeof *r);
    r->db = wr_catalog_connect(catalog, false, NULL, err);
    if (!r->db) {
        free(r);
        return NULL;
    }
    sqlite3 *db = r->db;
    /* https://www.sqlite.org/security.html: SQL from outside */
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0, NULL);
    sqlite3_limit(db, SQLITE_LIMIT_LENGTH, WR_READER_MAX_LENGTH);
    sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, WR_READER_MAX_SQL);
    sqlite3_limit(db, SQLITE_LIMIT_EXPR_DEPTH, WR_READER_MAX_DEPTH);
    sqlite3_limit(db, SQLITE_LIMIT_LIKE_PATTERN_LENGTH, WR_READER_MAX_PATTERN);
    sqlite3_progress_handler(db, 1000, progress, r);
    sqlite3_create_function(db, "regexp", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, regexp_fn,
                            NULL, NULL);
    sqlite3_set_authorizer(db, authorize, r);
    return r;
}

bool wr_reader_setup(wr_reader *r, const char *sql, wr_err *err) {
    r->setup = true;
    char *msg = NULL;
    bool ok = sqlite3_exec(r->db, sql, NULL, NULL, &msg) == SQLITE_OK;
    r->setup = false;
    if (!ok) wr_fail(err, WR_ERR_USAGE, "%s", msg ? msg : "error");
    sqlite3_free(msg);
    return ok;
}

bool wr_reader_attach(wr_reader *r, const char *name, const char *path, wr_err *err) {
    char *sql = sqlite3_mprintf("ATTACH DATABASE %Q AS \"weir_sink_%w\"", path, name);
    bool ok = wr_reader_setup(r, sql, err);
    if (!ok) wr_err_prefix(err, "cannot read sink %s's file %s", name, path);
    sqlite3_free(sql);
    return ok;
}

/* What SQLite refuses on a memory table (a virtual table) before asking
 * the authorizer: refused as the authorizer would refuse it on a table. */
static bool vtab_refusal(wr_reader *r, const char *msg) {
    static const struct {
        const char *msg, *action;
    } refusals[] = {
        {"cannot create triggers on virtual tables", "CREATE TRIGGER"},
        {"virtual tables may not be indexed", "CREATE INDEX"},
        {"virtual tables may not be altered", "ALTER TABLE"},
    };
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++)
        if (!strcmp(msg, refusals[i].msg)) {
            snprintf(r->denied, sizeof r->denied,
                     "%s is not allowed: SQL over sinks is read-only (a sink changes only through "
                     "its query)",
                     refusals[i].action);
            return true;
        }
    return false;
}

/* Prepares the one statement of sql (NULL: none); false with err. */
static bool reader_prepare(wr_reader *r, const char *sql, sqlite3_stmt **st, wr_err *err) {
    r->denied[0] = '\0';
    const char *tail = NULL;
    *st = NULL;
    if (sqlite3_prepare_v2(r->db, sql, -1, st, &tail) != SQLITE_OK) {
        if (!r->denied[0]) vtab_refusal(r, sqlite3_errmsg(r->db));
        return wr_fail(err, WR_ERR_USAGE, "%s", r->denied[0] ? r->denied : sqlite3_errmsg(r->db));
    }
    sqlite3_stmt *more = NULL;
    if (*st && tail &&
        (sqlite3_prepare_v2(r->db, tail, -1, &more, NULL) != SQLITE_OK ||
         more)) { /* text after it */
        snprintf(r->denied, sizeof r->denied, "one statement at a time");
    } else if (*st && !sqlite3_stmt_readonly(*st)) { /* what the authorizer does not see (VACUUM) */
        snprintf(r->denied, sizeof r->denied,
                 "only statements that read are allowed: SQL over sinks is read-only");
    } else {
        return true;
    }
    wr_fail(err, WR_ERR_USAGE, "%s", r->denied);
    sqlite3_finalize(more);
    sqlite3_finalize(*st);
    *st = NULL;
    return false;
}

bool wr_reader_query(wr_reader *r, const char *sql, wr_format fmt, FILE *out, wr_err *err) {
    sqlite3_stmt *st;
    if (!reader_prepare(r, sql, &st, err)) {
        if (!r->denied[0]) wr_err_prefix(err, "SELECT failed");
        return false;
    }
    if (!st) return true; /* blanks and comments */
    bool ok = wr_print_statement(st, fmt, out, err);
    if (!ok && r->denied[0]) wr_fail(err, WR_ERR_USAGE, "%s", r->denied);
    sqlite3_finalize(st);
    return ok;
}

bool wr_reader_check(wr_reader *r, const char *sql, wr_err *err) {
    sqlite3_stmt *st;
    bool ok = reader_prepare(r, sql, &st, err);
    sqlite3_finalize(st);
    return ok;
}

void wr_reader_close(wr_reader *r) {
    if (!r) return;
    sqlite3_close(r->db);
    free(r);
}

void wr_reader_interrupt(wr_reader *r) {
    r->stop = 1;
}

void wr_reader_resume(wr_reader *r) {
    r->stop = 0;
}
