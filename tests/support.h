/* Test support: run the real `weir` binary as a child process with given stdin,
 * capture its stdout, stderr and exit status; start the mock cluster in-process. */
#ifndef WR_TEST_SUPPORT_H
#define WR_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct wrt_result {
    int status; /* exit code, or 128+signal */
    char *out;  /* NUL-terminated; outlen excludes the terminator */
    size_t outlen;
    char *err;
} wrt_result;

/* Runs WEIR_BINARY with argv (NULL-terminated, without argv[0]) and `input` on
 * stdin (NULL: empty). Kills the child after timeout_s seconds. */
wrt_result wrt_run(const char *input, size_t inlen, int timeout_s, const char *const *argv);
#define WRT_RUN(input, ...)                                                                        \
    wrt_run((input), wrt_strlen(input), 60, (const char *const[]){__VA_ARGS__, NULL})
size_t wrt_strlen(const char *s); /* 0 for NULL */
void wrt_result_free(wrt_result *r);

/* How wrt_run_as starts the child: in folder `cwd` (NULL: the test's); as
 * user `uid` when the tests run as root, who ignores permission bits (0:
 * as the test); with at most `nproc` processes and threads of that user
 * (0: no limit; only with uid); and with files of at most `fsize` bytes (0:
 * no limit; SIGXFSZ is ignored, so a write past it fails with EFBIG). */
typedef struct wrt_child {
    const char *cwd;
    unsigned uid;
    long nproc;
    long fsize;
} wrt_child;
wrt_result wrt_run_as(const wrt_child *c, const char *const *argv);
/* A user id no process runs as (for wrt_child.uid). */
unsigned wrt_spare_uid(void);

/* Starts WEIR_BINARY in the background with stdout to a pipe; returns its pid and
 * the read end in *out_fd. Its stderr is the test's. */
pid_t wrt_spawn(const char *const *argv, int *out_fd);
/* The same with stderr to a second pipe (read end in *err_fd), so that what the
 * process says there is the test's to check, not noise in the suite's output. */
pid_t wrt_spawn_err(const char *const *argv, int *out_fd, int *err_fd);
/* The same, with stderr to the file err_path. */
pid_t wrt_spawn_err_file(const char *const *argv, int *out_fd, const char *err_path);

/* Reads from fd until a line beginning with `prefix` arrives (or timeout); returns
 * the rest of that line, malloc'd, or NULL. */
char *wrt_read_line_with(int fd, const char *prefix, int timeout_ms);

/* Reads from fd until a line containing `needle` arrives (or timeout); returns
 * that whole line, malloc'd, or NULL. */
char *wrt_read_line_containing(int fd, const char *needle, int timeout_ms);

/* Waits for pid to exit within timeout_ms; returns exit status or -1 on timeout. */
int wrt_wait(pid_t pid, int timeout_ms);

/* Counts lines ('\n'-terminated) in a buffer. */
size_t wrt_count_lines(const char *s, size_t len);

/* Starts a mock cluster in the test process (no relay) and returns it, with
 * its bootstrap address in *bootstrap; asserts on failure. */
struct wr_broker;
struct wr_broker *wrt_mock_start(const char **bootstrap);

/* Produces messages (value NULL: a NULL value) to topic/partition (-1: any)
 * through a real librdkafka producer; asserts every delivery. */
void wrt_produce(const char *bootstrap, const char *topic, int partition, const char *const *values,
                 const size_t *lens, int n);

/* The same with each message's CreateTime (ms) from timestamps (NULL: now). */
void wrt_produce_at(const char *bootstrap, const char *topic, int partition,
                    const char *const *values, const size_t *lens, const int64_t *timestamps,
                    int n);

/* The earliest offset still in topic/partition (asserts on failure). */
int64_t wrt_earliest(const char *bootstrap, const char *topic, int partition);

/* What most suites start with: the mock cluster (with `topic` of
 * `partitions` partitions unless topic is NULL) and a fresh folder
 * /tmp/weir-NAME-XXXXXX; wrt_world_stop removes both. */
typedef struct wrt_world {
    struct wr_broker *broker;
    const char *bs; /* bootstrap address */
    char dir[64];
} wrt_world;
void wrt_world_start(wrt_world *w, const char *name, const char *topic, int partitions);
void wrt_world_stop(wrt_world *w);

/* Writes `text` to a temporary job file and runs `weir run FILE args...
 * extra...` (either list NULL-terminated, or NULL), then removes the file. */
wrt_result wrt_run_job(const char *text, const char *const *args, const char *const *extra);

/* A fresh folder /tmp/weir-NAME-XXXXXX (asserts), and rm -rf of one. */
void wrt_temp_dir(char out[64], const char *name);
void wrt_remove_tree(const char *dir);

/* Writes text to a fresh temporary file ending in .sql and returns its path
 * (malloc'd); unlink it when done. */
char *wrt_temp_job(const char *text);
#endif
