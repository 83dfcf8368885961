/* DuckDB's side of the file word-count benchmark (make bench): the same
 * query as Weir's, through DuckDB's C API in this process. libduckdb.so is
 * loaded with dlopen() at run time (scripts/bench-deps.sh fetches it from
 * npm), so building Weir never needs DuckDB; the few C API declarations
 * used are below. Prints `words D total T` as the bench's trailing SELECT.
 *   usage: duckdb_wc LIBDUCKDB FILE [THREADS]   (THREADS: default 2)
 * The query is the fastest of those tried on the bench's file with DuckDB
 * 1.5.6 (2 threads): read_csv of the file as one VARCHAR column (no
 * delimiter, quote or escape, so a line is a row), then
 * unnest(string_split(line, ' ')) in the select list: 0.9 s, 1.3 CPU-s.
 * The same with regexp_split_to_array took 1.6 s; unnest as a lateral join
 * (FROM t, unnest(...)) 19 s and 2.2 GB; read_text (the file as one value,
 * string_split at newlines, then at spaces) minutes. */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* From duckdb.h (C API, stable since 1.0): handles are pointers to a struct
 * with one pointer; duckdb_result is six words, kept in a bigger buffer. */
typedef struct {
    void *internal_ptr;
} * duckdb_handle;
typedef struct {
    uint64_t opaque[16];
} duckdb_result;
typedef int duckdb_state; /* DuckDBSuccess = 0 */

typedef struct api {
    duckdb_state (*open)(const char *path, duckdb_handle *db);
    duckdb_state (*connect)(duckdb_handle db, duckdb_handle *con);
    duckdb_state (*query)(duckdb_handle con, const char *sql, duckdb_result *res);
    const char *(*result_error)(duckdb_result *res);
    int64_t (*value_int64)(duckdb_result *res, uint64_t col, uint64_t row);
    void (*destroy_result)(duckdb_result *res);
    void (*disconnect)(duckdb_handle *con);
    void (*close)(duckdb_handle *db);
    const char *(*library_version)(void);
} api;

static void *sym(void *lib, const char *name) {
    void *f = dlsym(lib, name);
    if (!f) {
        fprintf(stderr, "duckdb_wc: %s has no %s\n", "libduckdb.so", name);
        exit(1);
    }
    return f;
}

/* Runs sql; with out, keeps the first row's two BIGINTs. */
static void run(const api *a, duckdb_handle con, const char *sql, int64_t out[2]) {
    duckdb_result res;
    memset(&res, 0, sizeof res);
    if (a->query(con, sql, &res) != 0) {
        fprintf(stderr, "duckdb_wc: %s\n  in: %s\n", a->result_error(&res), sql);
        exit(1);
    }
    if (out) {
        out[0] = a->value_int64(&res, 0, 0);
        out[1] = a->value_int64(&res, 1, 0);
    }
    a->destroy_result(&res);
}

int main(int argc, char **argv) {
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: duckdb_wc LIBDUCKDB FILE [THREADS]\n");
        return 2;
    }
    int threads = argc > 3 ? atoi(argv[3]) : 2;
    if (threads < 1) {
        fprintf(stderr, "duckdb_wc: THREADS is a count of at least 1\n");
        return 2;
    }
    for (const char *c = argv[2]; *c; c++)
        if (*c == '\'') {
            fprintf(stderr, "duckdb_wc: a file name with a quote is not supported\n");
            return 2;
        }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "duckdb_wc: %s\n", dlerror());
        return 1;
    }
    api a = {0};
    *(void **)&a.open = sym(lib, "duckdb_open");
    *(void **)&a.connect = sym(lib, "duckdb_connect");
    *(void **)&a.query = sym(lib, "duckdb_query");
    *(void **)&a.result_error = sym(lib, "duckdb_result_error");
    *(void **)&a.value_int64 = sym(lib, "duckdb_value_int64");
    *(void **)&a.destroy_result = sym(lib, "duckdb_destroy_result");
    *(void **)&a.disconnect = sym(lib, "duckdb_disconnect");
    *(void **)&a.close = sym(lib, "duckdb_close");
    *(void **)&a.library_version = sym(lib, "duckdb_library_version");
    if (getenv("DUCKDB_WC_VERSION")) fprintf(stderr, "duckdb %s\n", a.library_version());
    duckdb_handle db, con;
    if (a.open(NULL, &db) != 0 || a.connect(db, &con) != 0) {
        fprintf(stderr, "duckdb_wc: cannot open an in-memory database\n");
        return 1;
    }
    char sql[4096];
    snprintf(sql, sizeof sql, "SET threads = %d", threads);
    run(&a, con, sql, NULL);
    snprintf(sql, sizeof sql,
             "SELECT count(*), sum(c)::BIGINT FROM (SELECT word, count(*) AS c FROM "
             "(SELECT unnest(string_split(line, ' ')) AS word FROM read_csv('%s', "
             "columns = {'line': 'VARCHAR'}, header = false, delim = '\\0', quote = '', "
             "escape = '', auto_detect = false)) GROUP BY word)",
             argv[2]);
    int64_t r[2];
    run(&a, con, sql, r);
    printf("words %lld total %lld\n", (long long)r[0], (long long)r[1]);
    a.disconnect(&con);
    a.close(&db);
    return 0;
}
