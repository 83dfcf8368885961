/* `weir shell [JOB.sql]`: an interactive prompt (libedit: line editing and
 * history) over a running job. Streaming queries run in the background;
 * statements typed at the prompt add sources, sinks, views and queries (the
 * job text grows and is planned again; new queries start), SELECTs read the
 * sinks at any moment on a reader connection (whole batches only, see
 * wr_sink.h), and dot commands show and stop queries. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <editline/readline.h>
#include <jansson.h>

#include "cli/cli.h"
#include "engine/wr_stream.h"
#include "planner/wr_plan.h"
#include "sinks/wr_sink.h"

static const char help[] =
    "usage: weir shell [JOB.sql] [--bootstrap HOST:PORT] [--checkpoint DIR] [--set key=value]...\n"
    "\n"
    "Starts JOB.sql's streaming queries in the background and reads statements\n"
    "ending in ';': CREATE SOURCE / SINK / VIEW, SET and INSERT INTO sink SELECT\n"
    "add to the job (new queries start at once); SELECT reads the sinks.\n";

static const char dot_help[] =
    ".queries          each query: state, batch, input and processing rates, last error\n"
    ".progress NAME    the last progress of query NAME\n"
    ".stop NAME        stops query NAME after its current batch\n"
    ".mode table|csv|json   how SELECT results print\n"
    ".help             this text\n"
    ".quit             stops every query cleanly and leaves\n"
    "SQL over sinks is read-only; REGEXP uses PCRE2.\n";

typedef enum { Q_RUNNING, Q_FINISHED, Q_STOPPED, Q_FAILED } qstate;
static const char *state_names[] = {"running", "finished", "stopped", "failed"};

typedef struct squery {
    const wr_query *q;
    wr_stream_opts opts;
    const wr_sink_env *env;
    volatile sig_atomic_t stop;
    pthread_t th;
    bool joined, reported;
    pthread_mutex_t lock; /* what follows */
    qstate state;
    char err[1024];
    char *progress; /* last progress JSON */
    int64_t batch;
    double in_rate, proc_rate;
    wr_stream_stats stats;
} squery;

typedef struct shell {
    wr_plan_overrides ov;
    char *text;      /* the job so far: every statement that planned */
    wr_job **jobs;   /* every plan made (running queries point into them) */
    int njobs;
    squery **queries;
    int nqueries;
    char *catalog;
    wr_sink_env env;
    pthread_mutex_t out_lock;
    wr_reader *reader;
    wr_format fmt;
    char **attached; /* durable sinks the reader has */
    int nattached;
} shell;

static void on_progress(void *ctx, int64_t batch, const char *text) {
    squery *sq = ctx;
    json_t *j = json_loads(text, 0, NULL);
    pthread_mutex_lock(&sq->lock);
    free(sq->progress);
    sq->progress = wr_xstrdup(text);
    sq->batch = batch;
    sq->in_rate = json_number_value(json_object_get(j, "inputRowsPerSecond"));
    sq->proc_rate = json_number_value(json_object_get(j, "processedRowsPerSecond"));
    pthread_mutex_unlock(&sq->lock);
    json_decref(j);
}

static void *query_main(void *arg) {
    squery *sq = arg;
    char err[1024];
    bool ok = wr_stream_run(sq->q, sq->env, &sq->opts, &sq->stats, err, sizeof err);
    pthread_mutex_lock(&sq->lock);
    sq->state = !ok ? Q_FAILED : sq->stop ? Q_STOPPED : Q_FINISHED;
    if (!ok) snprintf(sq->err, sizeof sq->err, "%s", err);
    pthread_mutex_unlock(&sq->lock);
    return NULL;
}

static squery *find_query(shell *sh, const char *name) {
    for (int i = 0; i < sh->nqueries; i++)
        if (!strcasecmp(sh->queries[i]->q->name, name)) return sh->queries[i];
    return NULL;
}

static void stop_query(squery *sq) {
    sq->stop = 1;
    if (!sq->joined) pthread_join(sq->th, NULL);
    sq->joined = true;
}

/* Starts the queries of the newest plan that do not run yet, and gives the
 * reader the durable sinks it lacks. */
static void start_new(shell *sh) {
    wr_job *job = sh->jobs[sh->njobs - 1];
    char err[1024];
    for (int i = 0; i < job->nsinks; i++) {
        const wr_sink_def *d = &job->sinks[i];
        bool have = !(d->kind == WR_SINK_MEMORY && d->path);
        for (int k = 0; k < sh->nattached && !have; k++) have = !strcasecmp(sh->attached[k], d->name);
        if (have) continue;
        if (!wr_reader_attach(sh->reader, d, err, sizeof err)) fprintf(stderr, "weir shell: %s\n", err);
        sh->attached = wr_xrealloc(sh->attached, sizeof *sh->attached * (size_t)(sh->nattached + 1));
        sh->attached[sh->nattached++] = wr_xstrdup(d->name);
    }
    for (int i = 0; i < job->nqueries; i++) {
        const wr_query *q = &job->queries[i];
        if (find_query(sh, q->name)) continue;
        squery *sq = wr_xcalloc(1, sizeof *sq);
        sq->q = q;
        sq->env = &sh->env;
        sq->batch = -1;
        pthread_mutex_init(&sq->lock, NULL);
        sq->opts = cli_stream_opts(job, &sq->stop);
        sq->opts.on_progress = on_progress;
        sq->opts.progress_ctx = sq;
        sh->queries = wr_xrealloc(sh->queries, sizeof *sh->queries * (size_t)(sh->nqueries + 1));
        sh->queries[sh->nqueries++] = sq;
        pthread_create(&sq->th, NULL, query_main, sq);
        printf("query %s started\n", q->name);
    }
}

/* Plans the job with `stmt` added; on success the new queries start. A
 * planning error names the line and column within the statement. */
static bool add_to_job(shell *sh, const char *stmt, const char *file) {
    size_t base_lines = 0;
    for (const char *p = sh->text; *p; p++) base_lines += *p == '\n';
    char *text = wr_xasprintf("%s%s\n", sh->text, stmt);
    char err[1024];
    wr_job *job = wr_plan_job(file, text, strlen(text), &sh->ov, err, sizeof err);
    if (!job) {
        /* "FILE:LINE:COL: msg" with LINE counted in the whole job: make it the statement's */
        size_t fl = strlen(file);
        long line = 0;
        char *rest = NULL;
        if (!strncmp(err, file, fl) && err[fl] == ':') line = strtol(err + fl + 1, &rest, 10);
        if (line > (long)base_lines && rest && *rest == ':') fprintf(stderr, "error: line %ld:%s\n", line - (long)base_lines, rest + 1);
        else fprintf(stderr, "error: %s\n", err);
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

static void show_queries(shell *sh) {
    if (!sh->nqueries) {
        printf("no queries (start one with INSERT INTO sink SELECT ...)\n");
        return;
    }
    const char *hdr[] = {"query", "state", "batch", "input rows/s", "processed rows/s", "last error"};
    char **cells = wr_xcalloc((size_t)sh->nqueries * 6, sizeof *cells);
    for (int i = 0; i < sh->nqueries; i++) {
        squery *sq = sh->queries[i];
        pthread_mutex_lock(&sq->lock);
        char **c = cells + i * 6;
        c[0] = wr_xstrdup(sq->q->name);
        c[1] = wr_xstrdup(state_names[sq->state]);
        c[2] = sq->batch >= 0 ? wr_xasprintf("%lld", (long long)sq->batch) : wr_xstrdup("-");
        c[3] = wr_xasprintf("%.1f", sq->in_rate);
        c[4] = wr_xasprintf("%.1f", sq->proc_rate);
        c[5] = wr_xstrdup(sq->err[0] ? sq->err : "");
        pthread_mutex_unlock(&sq->lock);
    }
    wr_print_table(stdout, 6, (char *const *)hdr, cells, (size_t)sh->nqueries, 0, false, false);
    for (int i = 0; i < sh->nqueries * 6; i++) free(cells[i]);
    free(cells);
}

static void show_progress(shell *sh, const char *name) {
    squery *sq = find_query(sh, name);
    if (!sq) {
        fprintf(stderr, "error: no query named '%s' (see .queries)\n", name);
        return;
    }
    pthread_mutex_lock(&sq->lock);
    json_t *j = sq->progress ? json_loads(sq->progress, 0, NULL) : NULL;
    pthread_mutex_unlock(&sq->lock);
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
    for (int i = 0; i < sh->nqueries; i++) {
        squery *sq = sh->queries[i];
        pthread_mutex_lock(&sq->lock);
        if (sq->state == Q_FAILED && !sq->reported) {
            fprintf(stderr, "query %s failed: %s\n", sq->q->name, sq->err);
            sq->reported = true;
        }
        pthread_mutex_unlock(&sq->lock);
    }
}

/* A dot command; false for .quit. */
static bool dot_command(shell *sh, char *line) {
    char *save = NULL, *cmd = strtok_r(line, " \t\r\n", &save), *arg = strtok_r(NULL, " \t\r\n", &save);
    if (!strcmp(cmd, ".quit") || !strcmp(cmd, ".exit")) return false;
    if (!strcmp(cmd, ".help")) fputs(dot_help, stdout);
    else if (!strcmp(cmd, ".queries")) show_queries(sh);
    else if (!strcmp(cmd, ".progress") && arg) show_progress(sh, arg);
    else if (!strcmp(cmd, ".stop") && arg) {
        squery *sq = find_query(sh, arg);
        if (!sq) fprintf(stderr, "error: no query named '%s' (see .queries)\n", arg);
        else {
            stop_query(sq);
            printf("query %s %s\n", arg, state_names[sq->state]);
        }
    } else if (!strcmp(cmd, ".mode") && arg && (!strcmp(arg, "table") || !strcmp(arg, "csv") || !strcmp(arg, "json")))
        sh->fmt = arg[0] == 't' ? WR_FMT_TABLE : arg[0] == 'c' ? WR_FMT_CSV : WR_FMT_JSON;
    else fprintf(stderr, "error: unknown or incomplete command '%s%s%s' (.help lists them)\n", cmd, arg ? " " : "", arg ? arg : "");
    return true;
}

/* The statement's first word, lower-cased, after spaces and comments. */
static void first_word(const char *s, char *out, size_t n) {
    for (;;) {
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
        if (s[0] == '-' && s[1] == '-') {
            while (*s && *s != '\n') s++;
        } else if (s[0] == '/' && s[1] == '*') {
            const char *e = strstr(s + 2, "*/");
            s = e ? e + 2 : s + strlen(s);
        } else {
            break;
        }
    }
    size_t i = 0;
    while (i + 1 < n && ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))) out[i++] = (char)(*s++ | 0x20);
    out[i] = '\0';
}

/* An INSERT: 1 a streaming query for a sink without one, -1 for a sink that
 * has one, 0 other (VALUES, unknown targets: the reader refuses them). */
static int streaming_insert(shell *sh, const char *stmt) {
    char into[8], name[128];
    if (sscanf(stmt, " %*s %7s %127[A-Za-z0-9_]", into, name) != 2 || strcasecmp(into, "into")) return 0;
    const char *v = strcasestr(stmt, "values");
    if (v && (v == stmt || !((v[-1] >= 'a' && v[-1] <= 'z') || (v[-1] >= 'A' && v[-1] <= 'Z')))) return 0;
    return find_query(sh, name) ? -1 : 1;
}

static void run_statement(shell *sh, const char *stmt) {
    char w[16];
    first_word(stmt, w, sizeof w);
    if (!w[0]) return;
    int ins = strcmp(w, "insert") ? 0 : streaming_insert(sh, stmt);
    if (ins < 0) {
        fprintf(stderr, "error: that sink already has a query (one INSERT INTO per sink; .queries lists them)\n");
        return;
    }
    if (!strcmp(w, "create") || !strcmp(w, "set") || ins > 0) {
        add_to_job(sh, stmt, "shell");
        return;
    }
    char err[1024];
    if (!wr_reader_query(sh->reader, stmt, sh->fmt, stdout, err, sizeof err)) {
        const char *t = strstr(err, "no such table: ");
        squery *sq = t ? find_query(sh, t + 15) : NULL;
        bool starting = false;
        if (sq) {
            pthread_mutex_lock(&sq->lock);
            starting = !sq->progress && sq->state == Q_RUNNING;
            pthread_mutex_unlock(&sq->lock);
        }
        if (starting) /* its query is still starting: the sink makes its table when it opens */
            fprintf(stderr, "error: %s (query %s has not opened its sink yet: try again in a moment)\n", err, sq->q->name);
        else
            fprintf(stderr, "error: %s\n", err);
    }
    fflush(stdout);
}

/* Length of the first complete statement in buf (through its ';'), or 0. */
static size_t statement_end(const char *buf) {
    char q = 0;
    for (size_t i = 0; buf[i]; i++) {
        char c = buf[i];
        if (q) {
            if (c == '\\' && q != '`' && buf[i + 1]) i++;
            else if (c == q) q = 0;
        } else if (c == '\'' || c == '"' || c == '`') {
            q = c;
        } else if (c == '-' && buf[i + 1] == '-') {
            while (buf[i + 1] && buf[i + 1] != '\n') i++;
        } else if (c == '/' && buf[i + 1] == '*') {
            const char *e = strstr(buf + i + 2, "*/");
            if (!e) return 0;
            i = (size_t)(e - buf) + 1;
        } else if (c == ';') {
            return i + 1;
        }
    }
    return 0;
}

static shell *g_shell; /* for the SIGINT handler */
static void on_sigint(int sig) {
    (void)sig;
    if (g_shell && g_shell->reader) wr_reader_interrupt(g_shell->reader); /* a long SELECT stops, the shell stays */
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
    static const struct option longopts[] = {{"bootstrap", required_argument, 0, 'b'}, {"checkpoint", required_argument, 0, 'c'},
                                             {"set", required_argument, 0, 's'},       {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    shell sh = {.fmt = WR_FMT_TABLE};
    wr_strlist sets = {0};
    sh.ov.sets = &sets;
    sh.ov.allow_empty = true;
    int rc = CLI_OK, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b': sh.ov.bootstrap = optarg; break;
        case 'c': sh.ov.checkpoint = optarg; break;
        case 's': wr_strlist_push(&sets, optarg); break;
        case 'h': fputs(help, stdout); goto done;
        default: rc = cli_bad_option("shell", c, argv); goto done;
        }
    }
    if (optind + 1 < argc) {
        rc = cli_error("shell", CLI_USAGE, "unexpected argument '%s'", argv[optind + 1]);
        goto done;
    }
    char err[1024];
    sh.catalog = wr_catalog_create(err, sizeof err);
    if (!sh.catalog || !(sh.reader = wr_reader_open(sh.catalog, err, sizeof err))) {
        rc = cli_error("shell", CLI_FAIL, "%s", err);
        goto done;
    }
    pthread_mutex_init(&sh.out_lock, NULL);
    sh.env = (wr_sink_env){stdout, &sh.out_lock, sh.catalog};
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
    if (tty) printf("weir shell: statements end with ';', .help for commands, .quit to leave\n");
    char *hist = getenv("HOME") ? wr_xasprintf("%s/.weir_history", getenv("HOME")) : NULL;
    if (tty && hist) read_history(hist);
    wr_buf buf = {0};
    for (;;) {
        report_failures(&sh);
        fflush(stdout);
        char *line = next_line(tty, buf.len ? "  ...> " : "weir> ");
        if (!line) break; /* end of input: as .quit */
        if (tty && *line) add_history(line);
        if (!buf.len && line[0] == '.') {
            bool go_on = dot_command(&sh, line);
            free(line);
            if (!go_on) break;
            continue;
        }
        wr_buf_puts(&buf, line);
        wr_buf_putc(&buf, '\n');
        free(line);
        size_t n;
        while (buf.len && (n = statement_end(buf.p))) {
            char *stmt = wr_xstrndup(buf.p, n);
            memmove(buf.p, buf.p + n, buf.len - n + 1);
            buf.len -= n;
            run_statement(&sh, stmt);
            free(stmt);
        }
        size_t k = 0;
        while (k < buf.len && (buf.p[k] == ' ' || buf.p[k] == '\n' || buf.p[k] == '\t')) k++;
        if (k == buf.len && buf.p) { /* only blanks left: the next line starts a statement */
            buf.len = 0;
            buf.p[0] = '\0';
        }
    }
    if (tty && hist) write_history(hist);
    free(hist);
    wr_buf_free(&buf);
    for (int i = 0; i < sh.nqueries; i++) stop_query(sh.queries[i]); /* each stops after its batch */
    report_failures(&sh);
done:
    for (int i = 0; i < sh.nqueries; i++) {
        pthread_mutex_destroy(&sh.queries[i]->lock);
        free(sh.queries[i]->progress);
        free(sh.queries[i]);
    }
    free(sh.queries);
    for (int i = 0; i < sh.njobs; i++) wr_job_free(sh.jobs[i]);
    free(sh.jobs);
    for (int i = 0; i < sh.nattached; i++) free(sh.attached[i]);
    free(sh.attached);
    free(sh.text);
    wr_reader_close(sh.reader);
    wr_catalog_remove(sh.catalog);
    free(sh.catalog);
    wr_strlist_free(&sets);
    return rc;
}
