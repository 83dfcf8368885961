/* `weir run JOB.sql`: plans the job and checks its trailing SELECTs, runs
 * each streaming query on its own thread until its trigger is done or
 * SIGINT/SIGTERM, then runs the trailing SELECTs over the memory sinks and
 * prints them (a signal stops one that runs away). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "catalog/wr_catalog.h"
#include "cli/cli.h"

static const char help[] =
    "usage: weir run JOB.sql [--bootstrap HOST:PORT] [--checkpoint DIR]\n"
    "                [--trigger availableNow|once|'processingTime=5 seconds']\n"
    "                [--set key=value]... [--format table|csv|json] [--progress]\n"
    "\n"
    "  --bootstrap   replaces kafka.bootstrap.servers in every source\n"
    "  --checkpoint  the query writing sink S checkpoints at DIR/S\n"
    "  --trigger     replaces every sink's trigger\n"
    "  --set         a setting, as SET key = value in the job\n"
    "  --format      how the trailing SELECTs print (default table)\n"
    "  --progress    each batch's progress (JSON, one line) on stderr\n"
    "With availableNow or once, weir run processes what its sources hold when it starts,\n"
    "prints the trailing SELECTs and exits 0; otherwise it runs until SIGINT/SIGTERM.\n"
    "Exit status: 0 done, 1 an error in the job or a failed query, 2 bad usage,\n"
    "130/143 a trailing SELECT stopped by SIGINT/SIGTERM.\n";

/* A sink kind's options as its table describes them, outputMode with the
 * modes this kind takes (the common entry lists all three). */
static void sink_help(wr_buf *b, const wr_sink_kind *k) {
    size_t n = 0;
    while (k->options[n].name)
        n++;
    wr_optspec *t = wr_xcalloc(n + 1, sizeof *t);
    memcpy(t, k->options, sizeof *t * n);
    static const char *const modes[] = {"append", "update", "complete"};
    wr_buf took = {0};
    for (unsigned m = 0; m < 3; m++)
        if (k->modes & (1u << m)) wr_buf_printf(&took, "%s%s", took.len ? "|" : "", modes[m]);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(t[i].name, "outputMode")) t[i].values = took.p;
    wr_opt_help(b, t);
    wr_buf_free(&took);
    free(t);
}

/* The options of every kind of source and sink, and the settings, as
 * their tables describe them (--help). */
static void print_kinds(void) {
    wr_buf b = {0};
    for (int i = 0; cli_kinds.sources[i]; i++) {
        wr_buf_printf(&b, "\nCREATE SOURCE name USING %s OPTIONS (...):\n",
                      cli_kinds.sources[i]->name);
        wr_opt_help(&b, cli_kinds.sources[i]->options);
    }
    for (int i = 0; cli_kinds.sinks[i]; i++) {
        wr_buf_printf(&b, "\nCREATE SINK name USING %s OPTIONS (...):\n", cli_kinds.sinks[i]->name);
        sink_help(&b, cli_kinds.sinks[i]);
    }
    wr_buf_puts(&b, "\nSET key = value (or --set key=value):\n");
    wr_opt_help(&b, wr_settings_table());
    fwrite(b.p, 1, b.len, stdout);
    wr_buf_free(&b);
}

/* The first SIGINT/SIGTERM stops the streams after their batch; one that
 * comes while a trailing SELECT runs stops that SELECT, and the run. */
static volatile sig_atomic_t stop_flag, select_signal;
static wr_reader *volatile select_reader; /* while the trailing SELECTs run */
static void on_signal(int sig) {
    stop_flag = 1;
    wr_reader *r = select_reader;
    if (r) {
        select_signal = sig;
        wr_reader_interrupt(r);
    }
}

/* The live status line on a terminal: after each batch, the query's batch,
 * offsets done of the offsets Kafka had, rows/s and the time left. */
typedef struct status {
    pthread_mutex_t lock;
    bool shown;
} status;

static int64_t offsets_sum(json_t *o) {
    int64_t n = 0;
    const char *k, *p;
    json_t *t, *v;
    json_object_foreach(o, k, t) json_object_foreach(t, p, v) n += json_integer_value(v);
    return n;
}

static void on_status(void *ctx, const wr_query *q, int64_t batch, const char *text) {
    (void)q;
    status *st = ctx;
    json_t *j = json_loads(text, 0, NULL), *src = json_array_get(json_object_get(j, "sources"), 0);
    int64_t end = offsets_sum(json_object_get(src, "endOffset")),
            latest = offsets_sum(json_object_get(src, "latestOffset"));
    double rate = json_number_value(json_object_get(j, "processedRowsPerSecond"));
    char eta[32] = "-";
    if (rate > 0 && latest > end)
        snprintf(eta, sizeof eta, "%.0f s", (double)(latest - end) / rate);
    pthread_mutex_lock(&st->lock);
    fprintf(stderr, "\r\033[K%s: batch %lld, offsets %lld of %lld, %.0f rows/s, ETA %s",
            json_string_value(json_object_get(j, "name")), (long long)batch, (long long)end,
            (long long)(latest > end ? latest : end), rate, eta);
    fflush(stderr);
    st->shown = true;
    pthread_mutex_unlock(&st->lock);
    json_decref(j);
}

int cmd_run(int argc, char **argv) {
    static const struct option longopts[] = {
        {"bootstrap", required_argument, 0, 'b'}, {"checkpoint", required_argument, 0, 'c'},
        {"trigger", required_argument, 0, 't'},   {"set", required_argument, 0, 's'},
        {"format", required_argument, 0, 'f'},    {"help", no_argument, 0, 'h'},
        {"progress", no_argument, 0, 'p'},        {0, 0, 0, 0}};
    wr_plan_overrides ov = {0};
    wr_strlist sets = {0};
    ov.sets = &sets;
    wr_format fmt = WR_FMT_TABLE;
    int rc = CLI_OK, c;
    bool progress = false;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            ov.bootstrap = optarg;
            break;
        case 'c':
            ov.checkpoint = optarg;
            if (!*optarg) /* not a checkpoint in / */
                rc = cli_error("run", CLI_USAGE, "--checkpoint must name a folder (it is empty)");
            break;
        case 't': {
            wr_trigger t;
            char why[300];
            ov.trigger = optarg;
            if (!wr_trigger_parse(optarg, &t, why, sizeof why))
                rc = cli_error("run", CLI_USAGE, "--trigger: %s", why);
            break;
        }
        case 's':
            if (!cli_setting_opt("run", optarg)) rc = CLI_USAGE;
            wr_strlist_push(&sets, optarg);
            break;
        case 'f':
            if (!strcasecmp(optarg, "table"))
                fmt = WR_FMT_TABLE;
            else if (!strcasecmp(optarg, "csv"))
                fmt = WR_FMT_CSV;
            else if (!strcasecmp(optarg, "json"))
                fmt = WR_FMT_JSON;
            else
                rc = cli_error("run", CLI_USAGE, "--format must be table, csv or json, not '%s'",
                               optarg);
            break;
        case 'p':
            progress = true;
            break;
        case 'h':
            fputs(help, stdout);
            print_kinds();
            goto out;
        default:
            rc = cli_bad_option("run", c, argv);
            break;
        }
        if (rc) goto out;
    }
    if (optind >= argc) {
        rc = cli_error("run", CLI_USAGE, "a job file is required (weir run JOB.sql)");
        goto out;
    }
    if (optind + 1 < argc) {
        rc = cli_error("run", CLI_USAGE, "unexpected argument '%s'", argv[optind + 1]);
        goto out;
    }
    const char *path = argv[optind];
    size_t len = 0;
    char *src = wr_read_file(path, &len);
    if (!src) {
        rc = cli_error("run", CLI_FAIL, "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    char err[1024];
    ov.kinds = &cli_kinds;
    wr_job *job = wr_plan_job(path, src, len, &ov, err, sizeof err);
    free(src);
    if (job && !cli_check_selects(job, path, err, sizeof err)) { /* before any query starts */
        wr_job_free(job);
        job = NULL;
    }
    if (!job) {
        fprintf(stderr, "%s\n", err);
        rc = CLI_FAIL;
        goto out;
    }

    status st = {.lock = PTHREAD_MUTEX_INITIALIZER};
    /* a console sink's tables on the same screen would be cut by the line */
    bool console_here = false;
    for (int i = 0; i < job->nsinks; i++)
        console_here |= job->sinks[i].kind->ops->prints && isatty(1);
    bool status_line = !progress && isatty(2) && !console_here; /* for a person; logs stay clean */

    wr_err why;
    char *catalog = wr_catalog_create(&why);
    if (!catalog) {
        rc = cli_error("run", CLI_FAIL, "%s", why.msg);
        wr_job_free(job);
        goto out;
    }
    pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
    wr_sink_env env = {stdout, &out_lock, catalog};

    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    wr_manager_opts mo = {.env = &env,
                          .stop_all = &stop_flag,
                          .failure_stops_all = true, /* one failed query stops the job */
                          .progress = progress ? stderr : NULL,
                          .on_progress = status_line ? on_status : NULL,
                          .progress_ctx = &st};
    wr_manager *mgr = wr_manager_new(&mo);
    for (int i = 0; i < job->nqueries; i++)
        if (!wr_manager_start(mgr, job, &job->queries[i], &why)) break;
    wr_manager_join(mgr);
    if (st.shown) fputs("\r\033[K", stderr);
    for (int i = 0; i < wr_manager_count(mgr); i++) {
        wr_query_status qs;
        wr_manager_status(mgr, i, &qs);
        if (qs.state == WR_QUERY_FAILED)
            rc = cli_error("run", CLI_FAIL, "query %s failed: %s", qs.query->name, qs.err);
    }
    wr_manager_free(mgr);
    /* sinks SQL reads by loading (file sinks): what their logs commit */
    for (int i = 0; rc == CLI_OK && job->nselects && i < job->nqueries; i++) {
        const wr_sink_def *d = job->queries[i].sink;
        const char *file;
        if (d->kind->ops->sql(d, &file) == WR_SQL_LOAD &&
            !d->kind->ops->load(d, &job->queries[i], &env, &why))
            rc = cli_error("run", CLI_FAIL, "%s", why.msg);
    }
    wr_reader *reader = rc == CLI_OK && job->nselects ? wr_reader_open(catalog, &why) : NULL;
    if (rc == CLI_OK && job->nselects && !reader) rc = cli_error("run", CLI_FAIL, "%s", why.msg);
    for (int i = 0; reader && rc == CLI_OK && i < job->nsinks; i++) {
        const wr_sink_def *d = &job->sinks[i];
        const char *file; /* a table in a file of its own */
        if (d->kind->ops->sql(d, &file) == WR_SQL_TABLE && file &&
            !wr_reader_attach(reader, d->name, file, &why))
            rc = cli_error("run", CLI_FAIL, "%s", why.msg);
    }
    select_reader = reader;
    for (int i = 0; reader && rc == CLI_OK && i < job->nselects; i++) {
        if (i) fputc('\n', stdout);
        bool ok = wr_reader_query(reader, job->selects[i].sql, fmt, stdout, &why);
        fflush(stdout); /* each result as soon as it is there */
        if (ok) continue;
        if (select_signal)
            rc = cli_error("run", 128 + select_signal, "%s stopped the trailing SELECT at %s:%d:%d",
                           select_signal == SIGINT ? "SIGINT" : "SIGTERM", path,
                           job->selects[i].line, job->selects[i].col);
        else
            rc = cli_error("run", CLI_FAIL, "%s", why.msg);
    }
    select_reader = NULL;
    fflush(stdout);
    wr_reader_close(reader);
    wr_catalog_remove(catalog);
    free(catalog);
    wr_job_free(job);
out:
    wr_strlist_free(&sets);
    return rc;
}
