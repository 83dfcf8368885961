/* Startup benchmark helper (make bench, bench/startup.sh): runs a command
 * with its stderr on a pipe and measures, from just before exec, the time
 * until a stderr line containing NEEDLE arrives (for `weir run --progress`:
 * the first batch's progress, written once the batch has committed). It then
 * sends the command SIGINT and times its exit too. Every stderr line goes
 * on to this program's stderr, so nothing is hidden.
 * Prints `first NEEDLE line after A ms, exit after B ms (status S)`;
 * exits 1 if no such line came within TIMEOUT_MS (the command is then
 * killed).
 *   usage: first_line NEEDLE TIMEOUT_MS COMMAND [ARGS...] */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: first_line NEEDLE TIMEOUT_MS COMMAND [ARGS...]\n");
        return 2;
    }
    const char *needle = argv[1];
    int timeout = atoi(argv[2]);
    int fds[2];
    if (pipe(fds)) {
        perror("first_line: pipe");
        return 1;
    }
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid < 0) {
        perror("first_line: fork");
        return 1;
    }
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[3], argv + 3);
        fprintf(stderr, "first_line: cannot run %s: %s\n", argv[3], strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    char buf[65536];
    size_t have = 0;
    double first = -1;
    for (;;) {
        int left = first < 0 ? timeout - (int)(now_ms() - t0) : 10000;
        if (left <= 0) break;
        struct pollfd p = {fds[0], POLLIN, 0};
        int r = poll(&p, 1, left);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        ssize_t n = read(fds[0], buf + have, sizeof buf - 1 - have);
        if (n <= 0) break;
        fwrite(buf + have, 1, (size_t)n, stderr);
        have += (size_t)n;
        buf[have] = 0;
        if (first < 0) {
            char *nl = memchr(buf, '\n', have), *line = buf;
            while (nl) {
                *nl = 0;
                if (strstr(line, needle)) {
                    first = now_ms() - t0;
                    kill(pid, SIGINT);
                    break;
                }
                line = nl + 1;
                nl = memchr(line, '\n', have - (size_t)(line - buf));
            }
            /* keep only the unfinished line */
            size_t used = (size_t)(line - buf);
            if (first >= 0) used = have;
            memmove(buf, buf + used, have - used);
            have -= used;
            if (have == sizeof buf - 1) have = 0; /* a huge line: drop it */
        } else {
            have = 0;
        }
    }
    if (first < 0) kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    double done = now_ms() - t0;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (first < 0) {
        fprintf(stderr, "first_line: no line with '%s' within %d ms\n", needle, timeout);
        return 1;
    }
    printf("first %s line after %.1f ms, exit after %.1f ms (status %d)\n", needle, first, done,
           code);
    return 0;
}
