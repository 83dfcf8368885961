/* `weir shell [JOB.sql]`: an interactive prompt (libedit: line editing and
 * history, a statement of several lines recalled whole) over a running job.
 * Streaming queries run in the background; statements typed at the prompt
 * add sources, sinks, views and queries (the job text grows and is planned
 * again; new queries start, each back once its sink is open), SELECTs read
 * the sinks at any moment on a reader connection (whole batches only: a
 * memory sink writes each in one transaction), DESCRIBE and SHOW tell what there is, and dot
 * commands show, wait for and stop queries, through the query manager weir run uses too. Input is
 * cut into statements as the planner says (wr_statement_span, with the job language's lexer):
 * SQLite SQL as SQLite does. */
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <editline/readline.h>
#include <jansson.h>

#include "catalog/wr_catalog.h"
#include "cli/cli.h"

static const char help[] =
    "usage: weir shell [JOB.sql] [--bootstrap HOST:PORT] [--checkpoint DIR] [--set key=value]...\n"
    "\n"
    "Starts JOB.sql's streaming queries in the background and reads statements\n"
    "ending in ';': CREATE SOURCE / SINK / VIEW, SET and INSERT INTO sink SELECT\n"
    "add to the job (new queries start at once); SELECT reads the sinks;\n"
    "DESCRIBE name, SHOW TABLES and SHOW QUERIES tell what there is.\n"
    "\n"
    "  --bootstrap   replaces kafka.bootstrap.servers in every source\n"
    "  --checkpoint  the query writing sink S checkpoints at DIR/S\n"
    "  --set         a setting, as SET key = value in the job\n"
    "\n"
    "Commands at the prompt:\n";

static const char dot_help[] =
    ".queries          each query: state, batch, input and processing rates, last error\n"
    ".progress NAME    the last progress of query NAME\n"
    ".wait NAME [SECONDS]  until query NAME has processed what its source holds now\n"
    "                  (at most SECONDS, default 60; Ctrl-C stops waiting)\n"
    ".stop NAME        stops query NAME after its current batch\n"
    ".mode table|csv|json   how results print\n"
    ".help             this text\n"
    ".quit             stops every query cleanly and leaves\n"
    "Statements end with ';': SELECT / WITH ... (SQLite SQL over the memory sinks,\n"
    "read-only; REGEXP uses PCRE2), DESCRIBE name, SHOW TABLES, SHOW QUERIES, and\n"
    "the job's CREATE SOURCE / SINK / VIEW, SET, INSERT INTO sink SELECT.\n";

enum { OPEN_WAIT_MS = 30000, WAIT_DEFAULT_S = 60 };

typedef struct shell {
    wr_plan_overrides ov;
    char *text;    /* the job so far: every statement that planned */
    wr_job **jobs; /* every plan made (running queries point into them) */
    int njobs;
    wr_manager *mgr;
    char *catalog;
    wr_sink_env env;
    pthread_mutex_t out_lock;
    wr_reader *reader;
    wr_format fmt;
    char **attached; /* durable sinks the reader has */
    int nattached;
} shell;

static volatile sig_atomic_t interrupted; /* Ctrl-C: stops a wait */

/* Starts the queries of the newest plan that do not run yet, and gives the
 * reader the durable sinks it lacks. */
static void start_new(shell *sh) {
    wr_job *job = sh->jobs[sh->njobs - 1];
    for (int i = 0; i < job->nsinks; i++) {
        const wr_sink_def *d = &job->sinks[i];
        const char *file; /* a table in a file of its own */
        bool have = !(d->kind->ops->sql(d, &file) == WR_SQL_TABLE && file);
        for (int k = 0; k < sh->nattached && !have; k++)
            have = !strcasecmp(sh->attached[k], d->name);
        if (have) continue;
        wr_err why;
        if (!wr_reader_attach(sh->reader, d->name, file, &why))
            fprintf(stderr, "weir shell: %s\n", why.msg);
        sh->attached =
            wr_xrealloc(sh->attached, sizeof *sh->attached * (size_t)(sh->nattached + 1));
        sh->attached[sh->nattached++] = wr_xstrdup(d->name);
    }
    for (int i = 0; i < job->nqueries; i++) {
        const wr_query *q = &job->queries[i];
        if (wr_manager_find(sh->mgr, q->name) >= 0) continue;
        wr_err why;
        if (!wr_manager_start(sh->mgr, job, q, &why)) continue; /* shown as a failed query */
        printf("query %s started\n", q->name);
        fflush(stdout);
        /* back once its sink is open: a SELECT right after the INSERT finds the table */
        interrupted = 0;
        if (!wr_manager_await_open(sh->mgr, wr_manager_find(sh->mgr, q->name), OPEN_WAIT_MS,
                                   &interrupted))
            fprintf(stderr,
                    "query %s is still starting: its sink opens once it has reached its "
                    "source\n",
                    q->name);
    }
}

/* Plans the job with `stmt` added; on success the new queries start. A
 * planning error names the line and column within the statement. */
static bool add_to_job(shell *sh, const char *stmt, const char *file) {
    size_t base_lines = 0;
    for (const char *p = sh->text; *p; p++)
        base_lines += *p == '\n';
    char *text = wr_xasprintf("%s%s\n", sh->text, stmt);
    char err[1024];
    wr_job *job = wr_plan_job(file, text, strlen(text), &sh->ov, err, sizeof err);
    if (!job) {
        /* "FILE:LINE:COL: msg" with LINE counted in the whole job: make it the statement's */
        size_t fl = strlen(file);
        long line = 0;
        char *rest = NULL;
        if (!strncmp(err, file, fl) && err[fl] == ':') line = strtol(err + fl + 1, &rest, 10);
        if (line > (long)base_lines && rest && *rest == ':')
            fprintf(stderr, "error: line %ld:%s\n", line - (long)base_lines, rest + 1);
        else
            fprintf(stderr, "error: %s\n", err);
        free(text);
        return false;
    }
    free(sh->text);
    sh->text = text;
    sh->jobs = wr_xrealloc(sh->jobs, sizeof *sh->jobs * (size_t)(sh->njobs + 1));
    sh->jobs[sh->njobs++] = job;
    start_new(sh);
    return true;
}

static const char *const query_headers[] = {
    "query", "state", "batch", "input rows/s", "processed rows/s", "last error"};

/* One row per query, as .queries and SHOW QUERIES print them. */
static char **query_rows(shell *sh, int n) {
    char **cells = wr_xcalloc((size_t)n * 6 + 1, sizeof *cells);
    for (int i = 0; i < n; i++) {
        wr_query_status qs;
        wr_manager_status(sh->mgr, i, &qs);
        char **c = cells + i * 6;
        c[0] = wr_xstrdup(qs.query->name);
        c[1] = wr_xstrdup(wr_query_state_name(qs.state));
        c[2] = qs.batch >= 0 ? wr_xasprintf("%lld", (long long)qs.batch) : wr_xstrdup("-");
        c[3] = wr_xasprintf("%.1f", qs.in_rate);
        c[4] = wr_xasprintf("%.1f", qs.proc_rate);
        c[5] = wr_xstrdup(qs.err);
    }
    return cells;
}

static void free_cells(char **cells, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(cells[i]);
    free(cells);
}

/* SHOW QUERIES prints in the .mode of the moment; .queries, for a person,
 * always as a table, the same table SHOW QUERIES prints in table mode (and
 * says how to start a query when there is none). */
static void show_queries(shell *sh, bool dot) {
    int n = wr_manager_count(sh->mgr);
    if (!n && dot) {
        printf("no queries (start one with INSERT INTO sink SELECT ...)\n");
        return;
    }
    char **cells = query_rows(sh, n);
    wr_print_rows(stdout, dot ? WR_FMT_TABLE : sh->fmt, 6, (char *const *)query_headers, cells,
                  (size_t)n);
    free_cells(cells, (size_t)n * 6);
}

/* SHOW TABLES: the memory sinks, what SELECT reads (Spark's columns but the
 * namespace; temporary: gone when the shell leaves). */
static void show_tables(shell *sh) {
    const wr_job *job = sh->njobs ? sh->jobs[sh->njobs - 1] : NULL;
    int n = 0;
    char **cells = wr_xcalloc((size_t)(job ? job->nsinks : 0) * 2 + 1, sizeof *cells);
    for (int i = 0; job && i < job->nsinks; i++) {
        const wr_sink_def *d = &job->sinks[i];
        const char *file;
        if (d->kind->ops->sql(d, &file) != WR_SQL_TABLE) continue;
        cells[n * 2] = wr_xstrdup(d->name);
        cells[n * 2 + 1] = wr_xstrdup(file ? "false" : "true");
        n++;
    }
    const char *hdr[] = {"tableName", "isTemporary"};
    wr_print_rows(stdout, sh->fmt, 2, (char *const *)hdr, cells, (size_t)n);
    free_cells(cells, (size_t)n * 2);
}

/* A type as Spark's DESCRIBE writes it: struct<start:timestamp,end:timestamp>. */
static char *spark_type(wr_type t) {
    const char *name = wr_type_name(t);
    char *out = wr_xmalloc(strlen(name) + 1), *o = out;
    for (; *name; name++)
        if (*name != ' ') *o++ = (char)(*name >= 'A' && *name <= 'Z' ? *name | 0x20 : *name);
    *o = '\0';
    return out;
}

/* DESCRIBE name: the columns of a sink (those of its query) or a source. */
static void describe(shell *sh, const char *name) {
    const wr_job *job = sh->njobs ? sh->jobs[sh->njobs - 1] : NULL;
    const wr_query *q = NULL;
    const wr_sink_def *sink = NULL;
    const wr_source_def *source = NULL;
    for (int i = 0; job && i < job->nsinks; i++)
        if (!strcasecmp(job->sinks[i].name, name)) sink = &job->sinks[i];
    for (int i = 0; job && i < job->nqueries; i++)
        if (job->queries[i].sink == sink) q = &job->queries[i];
    for (int i = 0; job && i < job->nsources; i++)
        if (!strcasecmp(job->sources[i].name, name)) source = &job->sources[i];
    if (sink && !q) {
        fprintf(
            stderr,
            "error: sink %s has no query yet: its columns are those of INSERT INTO %s SELECT ...\n",
            sink->name, sink->name);
        return;
    }
    if (!q && !source) {
        fprintf(stderr,
                "error: no sink or source named '%s' (SHOW TABLES lists the memory sinks)\n", name);
        return;
    }
    const wr_schema *sc = q ? &q->out : &source->schema;
    int n = sc->n;
    char **cells = wr_xcalloc((size_t)n * 3 + 1, sizeof *cells);
    for (int i = 0; i < n; i++) {
        cells[i * 3] = wr_xstrdup(sc->cols[i].name);
        cells[i * 3 + 1] = spark_type(sc->cols[i].type);
    }
    const char *hdr[] = {"col_name", "data_type", "comment"};
    wr_print_rows(stdout, sh->fmt, 3, (char *const *)hdr, cells, (size_t)n);
    free_cells(cells, (size_t)n * 3);
}

static void show_progress(shell *sh, const char *name) {
    int i = wr_manager_find(sh->mgr, name);
    if (i < 0) {
        fprintf(stderr, "error: no query named '%s' (see .queries)\n", name);
        return;
    }
    char *text = wr_manager_progress(sh->mgr, i);
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    if (!j) {
        printf("query %s has not finished a batch yet\n", name);
        return;
    }
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    printf("%s\n", s);
    free(s);
    json_decref(j);
}

/* Failures of background queries since the last prompt. */
static void report_failures(shell *sh) {
    char err[1024];
    for (int i = 0; i < wr_manager_count(sh->mgr); i++)
        if (wr_manager_take_failure(sh->mgr, i, err, sizeof err)) {
            wr_query_status qs;
            wr_manager_status(sh->mgr, i, &qs);
            fprintf(stderr, "query %s failed: %s\n", qs.query->name, err);
        }
}

/* .wait NAME [SECONDS]: until query NAME has processed every offset its
 * source held when asked (Spark's processAllAvailable), or is over. */
static void wait_for(shell *sh, const char *name, const char *secs) {
    int i = wr_manager_find(sh->mgr, name);
    int64_t s = WAIT_DEFAULT_S;
    if (i < 0) {
        fprintf(stderr, "error: no query named '%s' (see .queries)\n", name);
        return;
    }
    if (secs && !wr_parse_i64(secs, 1, 86400, &s)) {
        fprintf(stderr, "error: .wait %s SECONDS: a whole number from 1 to 86400, not '%s'\n", name,
                secs);
        return;
    }
    interrupted = 0;
    int r = wr_manager_await_caught_up(sh->mgr, i, (int)s * 1000, &interrupted);
    wr_query_status qs;
    wr_manager_status(sh->mgr, i, &qs);
    char err[1024];
    if (r < 0 && qs.state == WR_QUERY_FAILED) {
        if (wr_manager_take_failure(sh->mgr, i, err, sizeof err) || qs.reported)
            fprintf(stderr, "error: query %s failed: %s\n", name, qs.err);
        return; /* its failure is said */
    }
    if (r > 0 && qs.batch < 0) /* its source held nothing new */
        printf("query %s has processed what its source held (no batch yet)\n", name);
    else if (r > 0)
        printf("query %s has processed what its source held (last batch %lld)\n", name,
               (long long)qs.batch);
    else if (r < 0)
        printf("query %s is %s: nothing to wait for\n", name, wr_query_state_name(qs.state));
    else if (interrupted)
        fprintf(stderr, "error: .wait %s interrupted\n", name);
    else
        fprintf(stderr,
                "error: query %s has not processed what its source holds within %lld s (.progress "
                "%s shows where it is)\n",
                name, (long long)s, name);
}

/* A dot command; false for .quit. */
static bool dot_command(shell *sh, char *line) {
    char *save = NULL, *cmd = strtok_r(line, " \t\r\n", &save),
         *arg = strtok_r(NULL, " \t\r\n", &save), *arg2 = strtok_r(NULL, " \t\r\n", &save);
    if (!strcmp(cmd, ".quit") || !strcmp(cmd, ".exit")) return false;
    if (!strcmp(cmd, ".help"))
        fputs(dot_help, stdout);
    else if (!strcmp(cmd, ".queries"))
        show_queries(sh, true);
    else if (!strcmp(cmd, ".progress") && arg)
        show_progress(sh, arg);
    else if (!strcmp(cmd, ".wait") && arg)
        wait_for(sh, arg, arg2);
    else if (!strcmp(cmd, ".stop") && arg) {
        int i = wr_manager_find(sh->mgr, arg);
        if (i < 0) {
            fprintf(stderr, "error: no query named '%s' (see .queries)\n", arg);
        } else {
            wr_manager_stop(sh->mgr, i);
            wr_query_status qs;
            wr_manager_status(sh->mgr, i, &qs);
            printf("query %s %s\n", arg, wr_query_state_name(qs.state));
        }
    } else if (!strcmp(cmd, ".mode") && arg &&
               (!strcmp(arg, "table") || !strcmp(arg, "csv") || !strcmp(arg, "json")))
        sh->fmt = arg[0] == 't' ? WR_FMT_TABLE : arg[0] == 'c' ? WR_FMT_CSV : WR_FMT_JSON;
    else
        fprintf(stderr, "error: unknown or incomplete command '%s%s%s' (.help lists them)\n", cmd,
                arg ? " " : "", arg ? arg : "");
    return true;
}

static void run_statement(shell *sh, const char *stmt, const wr_stmt_span *sp) {
    switch (sp->cls) {
    case WR_STMT_BLANK:
        return;
    case WR_STMT_JOB:
        if (sp->name[0] && wr_manager_find(sh->mgr, sp->name) >= 0) /* its sink has a query */
            fprintf(stderr, "error: that sink already has a query (one INSERT INTO per sink; "
                            ".queries lists them)\n");
        else
            add_to_job(sh, stmt, "shell");
        return;
    case WR_STMT_DESCRIBE:
        if (!sp->name[0] || sp->extra)
            fprintf(stderr, "error: DESCRIBE takes one name: DESCRIBE sink; or DESCRIBE source;\n");
        else
            describe(sh, sp->name);
        return;
    case WR_STMT_SHOW:
        if (!strcasecmp(sp->name, "tables") && !sp->extra)
            show_tables(sh);
        else if (!strcasecmp(sp->name, "queries") && !sp->extra)
            show_queries(sh, false);
        else
            fprintf(stderr, "error: SHOW TABLES or SHOW QUERIES, not SHOW %s\n", sp->name);
        return;
    case WR_STMT_SQL:
        break;
    }
    wr_err why;
    const char *err = why.msg;
    wr_reader_resume(sh->reader);
    if (!wr_reader_query(sh->reader, stmt, sh->fmt, stdout, &why)) {
        const char *t = strstr(err, "no such table: ");
        int qi = t ? wr_manager_find(sh->mgr, t + 15) : -1;
        wr_query_status qs = {0};
        if (qi >= 0) wr_manager_status(sh->mgr, qi, &qs);
        /* its query has not reached its source yet: the sink makes its table when it opens */
        if (qi >= 0 && !qs.opened && qs.state == WR_QUERY_RUNNING)
            fprintf(stderr,
                    "error: %s (query %s has not opened its sink yet: try again in a moment)\n",
                    err, qs.query->name);
        else
            fprintf(stderr, "error: %s\n", err);
    }
    fflush(stdout);
}

static shell *g_shell; /* for the SIGINT handler */
static void on_sigint(int sig) {
    (void)sig;
    interrupted = 1;
    if (g_shell && g_shell->reader)
        wr_reader_interrupt(g_shell->reader); /* a long SELECT stops, the shell stays */
}

/* The statement without the blanks around it, for the history. */
static void remember(const char *stmt) {
    while (*stmt == ' ' || *stmt == '\t' || *stmt == '\n' || *stmt == '\r')
        stmt++;
    size_t n = strlen(stmt);
    while (n && (stmt[n - 1] == ' ' || stmt[n - 1] == '\t' || stmt[n - 1] == '\n' ||
                 stmt[n - 1] == '\r'))
        n--;
    if (!n) return;
    char *h = wr_xstrndup(stmt, n);
    add_history(h);
    free(h);
}

static char *next_line(bool tty, const char *prompt) {
    if (tty) return readline(prompt);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (n < 0) {
        free(line);
        return NULL;
    }
    if (n && line[n - 1] == '\n') line[n - 1] = '\0';
    return line;
}

int cmd_shell(int argc, char **argv) {
    static const struct option longopts[] = {{"bootstrap", required_argument, 0, 'b'},
                                             {"checkpoint", required_argument, 0, 'c'},
                                             {"set", required_argument, 0, 's'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    shell sh = {.fmt = WR_FMT_TABLE};
    wr_strlist sets = {0};
    sh.ov.sets = &sets;
    sh.ov.allow_empty = true;
    sh.ov.kinds = &cli_kinds;
    int rc = CLI_OK, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            sh.ov.bootstrap = optarg;
            break;
        case 'c':
            sh.ov.checkpoint = optarg;
            if (!*optarg) {
                rc = cli_error("shell", CLI_USAGE, "--checkpoint must name a folder (it is empty)");
                goto done;
            }
            break;
        case 's':
            if (!cli_setting_opt("shell", optarg)) {
                rc = CLI_USAGE;
                goto done;
            }
            wr_strlist_push(&sets, optarg);
            break;
        case 'h':
            fputs(help, stdout);
            fputs(dot_help, stdout);
            goto done;
        default:
            rc = cli_bad_option("shell", c, argv);
            goto done;
        }
    }
    if (optind + 1 < argc) {
        rc = cli_error("shell", CLI_USAGE, "unexpected argument '%s'", argv[optind + 1]);
        goto done;
    }
    char err[1024];
    wr_err why;
    sh.catalog = wr_catalog_create(&why);
    if (!sh.catalog || !(sh.reader = wr_reader_open(sh.catalog, &why))) {
        rc = cli_error("shell", CLI_FAIL, "%s", why.msg);
        goto done;
    }
    pthread_mutex_init(&sh.out_lock, NULL);
    sh.env = (wr_sink_env){stdout, &sh.out_lock, sh.catalog};
    wr_manager_opts mo = {.env = &sh.env};
    sh.mgr = wr_manager_new(&mo);
    sh.text = wr_xstrdup("");
    if (optind < argc) { /* the job file: its queries start, its trailing SELECTs run once */
        const char *path = argv[optind];
        size_t len;
        char *src = wr_read_file(path, &len);
        if (!src) {
            rc = cli_error("shell", CLI_FAIL, "cannot read %s: %s", path, strerror(errno));
            goto done;
        }
        wr_job *job = wr_plan_job(path, src, len, &sh.ov, err, sizeof err);
        if (!job) {
            fprintf(stderr, "%s\n", err);
            free(src);
            rc = CLI_FAIL;
            goto done;
        }
        free(sh.text);
        sh.text = src;
        sh.jobs = wr_xcalloc(1, sizeof *sh.jobs);
        sh.jobs[sh.njobs++] = job;
        start_new(&sh);
    }
    g_shell = &sh;
    struct sigaction sa = {.sa_handler = on_sigint};
    sigaction(SIGINT, &sa, NULL);
    bool tty = isatty(0);
    /* libedit reads multibyte keys only in a UTF-8 LC_CTYPE (in "C" it drops
     * them); Weir's text is UTF-8 whatever the environment says */
    if (tty && (!setlocale(LC_CTYPE, "") || strcmp(nl_langinfo(CODESET), "UTF-8")))
        setlocale(LC_CTYPE, "C.UTF-8");
    if (tty) printf("weir shell: statements end with ';', .help for commands, .quit to leave\n");
    char *hist = getenv("HOME") ? wr_xasprintf("%s/.weir_history", getenv("HOME")) : NULL;
    if (tty && hist) read_history(hist);
    wr_buf buf = {0};
    for (;;) {
        report_failures(&sh);
        fflush(stdout);
        interrupted = 0;
        char *line = next_line(tty, buf.len ? "  ...> " : "weir> ");
        if (!line && tty &&
            interrupted) { /* Ctrl-C at the prompt: drop what is typed, not the shell */
            buf.len = 0;
            if (buf.p) buf.p[0] = '\0';
            fputc('\n', stdout);
            continue;
        }
        if (!line) break; /* end of input: as .quit */
        if (!buf.len && line[0] == '.') {
            if (tty) remember(line);
            bool go_on = dot_command(&sh, line);
            free(line);
            if (!go_on) break;
            continue;
        }
        wr_buf_puts(&buf, line);
        wr_buf_putc(&buf, '\n');
        free(line);
        wr_stmt_span sp;
        for (wr_statement_span(buf.p, buf.len, &sp); buf.len && sp.len;
             wr_statement_span(buf.p, buf.len, &sp)) {
            char *stmt = wr_xstrndup(buf.p, sp.len);
            memmove(buf.p, buf.p + sp.len, buf.len - sp.len + 1);
            buf.len -= sp.len;
            if (tty && sp.cls != WR_STMT_BLANK)
                remember(stmt); /* the whole statement, however many lines */
            run_statement(&sh, stmt, &sp);
            free(stmt);
        }
    }
    if (buf.len) { /* what no ';' ended: say so, never drop it silently */
        const char *first = buf.p + strspn(buf.p, " \t\r\n");
        int n = (int)strcspn(first, "\n");
        const char *after = first[n] ? first + n + 1 : first + n;
        bool more = n > 60 || after[strspn(after, " \t\r\n")];
        fprintf(stderr,
                "error: the input ended inside a statement (no ';' ends it, or a string, comment "
                "or BEGIN ... END is "
                "still open): %.*s%s\n",
                n > 60 ? 60 : n, first, more ? " ..." : "");
    }
    if (tty && hist) write_history(hist);
    free(hist);
    wr_buf_free(&buf);
    for (int i = 0; i < wr_manager_count(sh.mgr); i++)
        wr_manager_stop(sh.mgr, i); /* each stops after its batch */
    report_failures(&sh);
done:
    wr_manager_free(sh.mgr);
    for (int i = 0; i < sh.njobs; i++)
        wr_job_free(sh.jobs[i]);
    free(sh.jobs);
    for (int i = 0; i < sh.nattached; i++)
        free(sh.attached[i]);
    free(sh.attached);
    free(sh.text);
    wr_reader_close(sh.reader);
    wr_catalog_remove(sh.catalog);
    free(sh.catalog);
    wr_strlist_free(&sets);
    return rc;
}
