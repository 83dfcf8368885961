/* Implementation of the test support helpers (support.h). */
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/wr_core.h"

extern char **environ;

static int temp_file(char *path, size_t len) {
    snprintf(path, len, "/tmp/weir-test-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) abort();
    return fd;
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) abort();
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = wr_xmalloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = '\0';
    fclose(f);
    if (len) *len = got;
    return buf;
}

static const char **full_argv(const char *const *argv) {
    int n = 0;
    while (argv[n])
        n++;
    const char **v = wr_xcalloc((size_t)n + 2, sizeof *v);
    v[0] = WEIR_BINARY;
    for (int i = 0; i < n; i++)
        v[i + 1] = argv[i];
    return v;
}

int wrt_wait(pid_t pid, int timeout_ms) {
    int64_t deadline = wr_now_ms() + timeout_ms;
    for (;;) {
        int st;
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (w < 0 && errno != EINTR) return -1;
        if (wr_now_ms() > deadline) return -1;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* Starts WEIR_BINARY with argv and the given descriptors as its stdin,
 * stdout, stderr (-1: the test's own), as c says. The child dies with the
 * test (PR_SET_PDEATHSIG): a test killed by its timeout leaves no weir
 * running (a trailing SELECT that never ends kept a core busy for hours). */
static pid_t launch(const char *const *argv, int fd0, int fd1, int fd2, const wrt_child *c) {
    const char **v = full_argv(argv);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) abort();
    if (pid == 0) { /* only async-signal-safe calls until exec */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent) _exit(126);
        if (fd0 >= 0) dup2(fd0, 0);
        if (fd1 >= 0) dup2(fd1, 1);
        if (fd2 >= 0) dup2(fd2, 2);
        if (c->cwd && chdir(c->cwd) < 0) _exit(126);
        if (c->fsize) {
            struct rlimit rl = {(rlim_t)c->fsize, (rlim_t)c->fsize};
            signal(SIGXFSZ, SIG_IGN);
            if (setrlimit(RLIMIT_FSIZE, &rl) < 0) _exit(126);
        }
        if (c->uid && geteuid() == 0) {
            if (c->nproc) {
                struct rlimit rl = {(rlim_t)c->nproc, (rlim_t)c->nproc};
                if (setrlimit(RLIMIT_NPROC, &rl) < 0) _exit(126);
            }
            if (setgroups(0, NULL) < 0 || setgid(c->uid) < 0 || setuid(c->uid) < 0) _exit(126);
        }
        execve(WEIR_BINARY, (char *const *)v, environ);
        _exit(127);
    }
    free(v);
    return pid;
}

wrt_result wrt_run(const char *input, size_t inlen, int timeout_s, const char *const *argv) {
    char in_path[64], out_path[64], err_path[64];
    int in_fd = temp_file(in_path, sizeof in_path);
    if (input && inlen && write(in_fd, input, inlen) != (ssize_t)inlen) abort();
    close(in_fd);
    close(temp_file(out_path, sizeof out_path));
    close(temp_file(err_path, sizeof err_path));

    int fd0 = open(in_path, O_RDONLY), fd1 = open(out_path, O_WRONLY | O_TRUNC),
        fd2 = open(err_path, O_WRONLY | O_TRUNC);
    if (fd0 < 0 || fd1 < 0 || fd2 < 0) abort();
    static const wrt_child plain = {0};
    pid_t pid = launch(argv, fd0, fd1, fd2, &plain);
    close(fd0), close(fd1), close(fd2);

    wrt_result r = {0};
    r.status = wrt_wait(pid, timeout_s * 1000);
    if (r.status < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        r.status = -1; /* timed out */
    }
    r.out = slurp(out_path, &r.outlen);
    r.err = slurp(err_path, NULL);
    unlink(in_path);
    unlink(out_path);
    unlink(err_path);
    return r;
}

wrt_result wrt_run_as(const wrt_child *c, const char *const *argv) {
    char out_path[64], err_path[64];
    int out_fd = temp_file(out_path, sizeof out_path),
        err_fd = temp_file(err_path, sizeof err_path);
    int in_fd = open("/dev/null", O_RDONLY);
    pid_t pid = launch(argv, in_fd, out_fd, err_fd, c);
    close(in_fd);
    close(out_fd);
    close(err_fd);
    wrt_result r = {0};
    r.status = wrt_wait(pid, 60000);
    if (r.status < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        r.status = -1; /* timed out */
    }
    r.out = slurp(out_path, &r.outlen);
    r.err = slurp(err_path, NULL);
    unlink(out_path);
    unlink(err_path);
    return r;
}

unsigned wrt_spare_uid(void) {
    return 40000 + (unsigned)getpid() % 20000; /* concurrent suites differ */
}

void wrt_result_free(wrt_result *r) {
    free(r->out);
    free(r->err);
}

/* stdout to a pipe; stderr to a second pipe (err_fd), a file (err_path) or the test's. */
static pid_t spawn(const char *const *argv, int *out_fd, int *err_fd, const char *err_path) {
    int p[2], e[2] = {-1, -1};
    if (pipe2(p, O_CLOEXEC) < 0 || (err_fd && pipe2(e, O_CLOEXEC) < 0)) abort();
    int fd2 = err_fd ? e[1] : -1;
    if (err_path && (fd2 = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0) abort();
    static const wrt_child plain = {0};
    pid_t pid = launch(argv, -1, p[1], fd2, &plain);
    if (err_path) close(fd2);
    close(p[1]);
    *out_fd = p[0];
    if (err_fd) {
        close(e[1]);
        *err_fd = e[0];
    }
    return pid;
}

pid_t wrt_spawn(const char *const *argv, int *out_fd) {
    return spawn(argv, out_fd, NULL, NULL);
}

pid_t wrt_spawn_err(const char *const *argv, int *out_fd, int *err_fd) {
    return spawn(argv, out_fd, err_fd, NULL);
}

pid_t wrt_spawn_err_file(const char *const *argv, int *out_fd, const char *err_path) {
    return spawn(argv, out_fd, NULL, err_path);
}

/* Reads lines from fd until `match` accepts one or the time is up. */
static char *read_line_until(int fd, bool (*match)(const char *line, const char *arg),
                             const char *arg, int timeout_ms) {
    char buf[4096];
    size_t len = 0;
    int64_t deadline = wr_now_ms() + timeout_ms;
    while (wr_now_ms() < deadline) {
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, 100) <= 0) continue;
        char c;
        ssize_t n = read(fd, &c, 1);
        if (n <= 0) return NULL;
        if (c != '\n') {
            if (len < sizeof buf - 1) buf[len++] = c; /* a longer line is cut */
            continue;
        }
        buf[len] = '\0';
        len = 0;
        if (match(buf, arg)) return wr_xstrdup(buf);
    }
    return NULL;
}

static bool has_prefix(const char *line, const char *prefix) {
    return !strncmp(line, prefix, strlen(prefix));
}

static bool contains(const char *line, const char *needle) {
    return strstr(line, needle) != NULL;
}

char *wrt_read_line_with(int fd, const char *prefix, int timeout_ms) {
    char *line = read_line_until(fd, has_prefix, prefix, timeout_ms);
    if (!line) return NULL;
    char *rest = wr_xstrdup(line + strlen(prefix));
    free(line);
    return rest;
}

char *wrt_read_line_containing(int fd, const char *needle, int timeout_ms) {
    return read_line_until(fd, contains, needle, timeout_ms);
}

size_t wrt_count_lines(const char *s, size_t len) {
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += s[i] == '\n';
    return n;
}

size_t wrt_strlen(const char *s) {
    return s ? strlen(s) : 0;
}

#include <criterion/criterion.h>
#include <librdkafka/rdkafka.h>

#include "broker/wr_broker.h"

static void count_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    int *failed = opaque;
    if (m->err) (*failed)++;
}

void wrt_produce(const char *bootstrap, const char *topic, int partition, const char *const *values,
                 const size_t *lens, int n) {
    wrt_produce_at(bootstrap, topic, partition, values, lens, NULL, n);
}

void wrt_produce_at(const char *bootstrap, const char *topic, int partition,
                    const char *const *values, const size_t *lens, const int64_t *timestamps,
                    int n) {
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof err);
    rd_kafka_conf_set(conf, "linger.ms", "20", err, sizeof err);
    /* spread unkeyed messages evenly: the mock keeps only 5 MB per partition */
    rd_kafka_conf_set(conf, "sticky.partitioning.linger.ms", "0", err, sizeof err);
    rd_kafka_conf_set(conf, "queue.buffering.max.messages", "1000000", err, sizeof err);
    int failed = 0;
    rd_kafka_conf_set_opaque(conf, &failed);
    rd_kafka_conf_set_dr_msg_cb(conf, count_delivery);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    cr_assert_not_null(rk, "%s", err);
    for (int i = 0; i < n; i++) {
        size_t len = values[i] ? (lens ? lens[i] : strlen(values[i])) : 0;
        for (;;) {
            rd_kafka_resp_err_t e = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(topic),
                RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
                RD_KAFKA_V_VALUE((void *)values[i], len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_TIMESTAMP(timestamps ? timestamps[i] : 0), RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(rk, 10);
                continue;
            }
            cr_assert_eq(e, 0, "produce: %s", rd_kafka_err2str(e));
            break;
        }
    }
    rd_kafka_flush(rk, 60000);
    cr_assert_eq(rd_kafka_outq_len(rk), 0, "messages left undelivered");
    cr_assert_eq(failed, 0, "%d messages failed", failed);
    rd_kafka_destroy(rk);
}

char *wrt_temp_job(const char *text) {
    char *path = wr_xstrdup("/tmp/weir-job-XXXXXX.sql");
    int fd = mkstemps(path, 4);
    cr_assert_geq(fd, 0);
    size_t len = strlen(text);
    cr_assert_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

wr_broker *wrt_mock_start(const char **bootstrap) {
    char err[256];
    wr_broker *b = wr_broker_start(-1, err, sizeof err);
    cr_assert_not_null(b, "cannot start the mock cluster: %s", err);
    *bootstrap = wr_broker_bootstrap(b);
    return b;
}

int64_t wrt_earliest(const char *bootstrap, const char *topic, int partition) {
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    cr_assert_not_null(rk, "%s", err);
    int64_t lo = -1, hi = -1;
    rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(rk, topic, partition, &lo, &hi, 10000);
    cr_assert_eq(e, 0, "watermarks of %s [%d]: %s", topic, partition, rd_kafka_err2str(e));
    rd_kafka_destroy(rk);
    return lo;
}

wrt_result wrt_run_job(const char *text, const char *const *args, const char *const *extra) {
    char *path = wrt_temp_job(text);
    const char *argv[64] = {"run", path};
    int n = 2;
    for (int i = 0; args && args[i] && n < 62; i++)
        argv[n++] = args[i];
    for (int i = 0; extra && extra[i] && n < 62; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    wrt_result r = wrt_run(NULL, 0, 60, argv);
    unlink(path);
    free(path);
    return r;
}

void wrt_temp_dir(char out[64], const char *name) {
    snprintf(out, 64, "/tmp/weir-%s-XXXXXX", name);
    cr_assert_not_null(mkdtemp(out), "mkdtemp: %s", strerror(errno));
}

void wrt_remove_tree(const char *dir) {
    char *cmd = wr_xasprintf("rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
    free(cmd);
}

void wrt_world_start(wrt_world *w, const char *name, const char *topic, int partitions) {
    w->broker = wrt_mock_start(&w->bs);
    if (topic) {
        char err[256];
        cr_assert_eq(wr_broker_create_topic(w->broker, topic, partitions, err, sizeof err), 0, "%s",
                     err);
    }
    wrt_temp_dir(w->dir, name);
}

void wrt_world_stop(wrt_world *w) {
    wrt_remove_tree(w->dir);
    wr_broker_stop(w->broker);
}
