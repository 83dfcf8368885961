/* Loopback TCP relay for the embedded broker (see relay.h): one accept thread,
 * one thread per relayed connection, woken for shutdown through a pipe. */
#include "broker/relay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/wr_core.h"

struct wr_relay {
    int listeners[2];
    int nlisteners;
    int port;
    int target_port;
    int wake[2]; /* written once at stop; stays readable so every thread sees it */
    pthread_t acceptor;
    pthread_mutex_t lock;
    pthread_cond_t idle;
    int active; /* relayed connections still running */
};

typedef struct relay_conn {
    wr_relay *relay;
    int client;
    int upstream;
} relay_conn;

static int listen_on(int family, int port, int *bound_port) {
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        a->sin6_addr = in6addr_loopback;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        len = sizeof *a;
    }
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 64) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    len = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &len);
    *bound_port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                          : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return fd;
}

static int connect_upstream(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Moves what is readable from `from` to `to`; false when the stream ended. */
static bool pump(int from, int to) {
    char buf[64 * 1024];
    ssize_t n = read(from, buf, sizeof buf);
    if (n <= 0) return n < 0 && (errno == EINTR || errno == EAGAIN);
    for (ssize_t off = 0; off < n;) {
        ssize_t w = write(to, buf + off, (size_t)(n - off));
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        off += w;
    }
    return true;
}

static void *conn_main(void *arg) {
    relay_conn *c = arg;
    wr_relay *r = c->relay;
    for (;;) {
        struct pollfd p[3] = {
            {c->client, POLLIN, 0}, {c->upstream, POLLIN, 0}, {r->wake[0], POLLIN, 0}};
        if (poll(p, 3, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (p[2].revents) break;
        if (p[0].revents && !pump(c->client, c->upstream)) break;
        if (p[1].revents && !pump(c->upstream, c->client)) break;
    }
    close(c->client);
    close(c->upstream);
    free(c);
    pthread_mutex_lock(&r->lock);
    if (--r->active == 0) pthread_cond_broadcast(&r->idle);
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

static void *accept_main(void *arg) {
    wr_relay *r = arg;
    for (;;) {
        struct pollfd p[3];
        int n = 0;
        for (int i = 0; i < r->nlisteners; i++)
            p[n++] = (struct pollfd){r->listeners[i], POLLIN, 0};
        p[n++] = (struct pollfd){r->wake[0], POLLIN, 0};
        if (poll(p, (nfds_t)n, -1) < 0) {
            if (errno == EINTR) continue;
            return NULL;
        }
        if (p[n - 1].revents) return NULL;
        for (int i = 0; i < r->nlisteners; i++) {
            if (!p[i].revents) continue;
            int client = accept4(r->listeners[i], NULL, NULL, SOCK_CLOEXEC);
            if (client < 0) continue;
            int upstream = connect_upstream(r->target_port);
            if (upstream < 0) {
                close(client);
                continue;
            }
            int one = 1;
            setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            relay_conn *c = wr_xmalloc(sizeof *c);
            *c = (relay_conn){r, client, upstream};
            pthread_mutex_lock(&r->lock);
            r->active++;
            pthread_mutex_unlock(&r->lock);
            pthread_t t;
            pthread_attr_t attr;
            pthread_attr_init(&attr);
            pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
            if (pthread_create(&t, &attr, conn_main, c) != 0) {
                close(client);
                close(upstream);
                free(c);
                pthread_mutex_lock(&r->lock);
                r->active--;
                pthread_mutex_unlock(&r->lock);
            }
            pthread_attr_destroy(&attr);
        }
    }
}

wr_relay *wr_relay_start(int port, int target_port, char *errstr, size_t errlen) {
    wr_relay *r = wr_xcalloc(1, sizeof *r);
    r->target_port = target_port;
    int bound = 0;
    r->listeners[0] = listen_on(AF_INET, port, &bound);
    if (r->listeners[0] < 0) {
        wr_errf(errstr, errlen, "cannot listen on 127.0.0.1:%d: %s%s", port, strerror(errno),
                errno == EADDRINUSE ? " (is another broker running? choose one with --port)" : "");
        free(r);
        return NULL;
    }
    r->nlisteners = 1;
    r->port = bound;
    /* Also [::1], since "localhost" may resolve there first; optional. */
    int bound6 = 0;
    int fd6 = listen_on(AF_INET6, bound, &bound6);
    if (fd6 >= 0) r->listeners[r->nlisteners++] = fd6;

    if (pipe2(r->wake, O_CLOEXEC) < 0) {
        wr_errf(errstr, errlen, "pipe: %s", strerror(errno));
        for (int i = 0; i < r->nlisteners; i++)
            close(r->listeners[i]);
        free(r);
        return NULL;
    }
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->idle, NULL);
    int e = pthread_create(&r->acceptor, NULL, accept_main, r);
    if (e) {
        wr_errf(errstr, errlen, "cannot start the relay's thread: %s", strerror(e));
        for (int i = 0; i < r->nlisteners; i++)
            close(r->listeners[i]);
        close(r->wake[0]);
        close(r->wake[1]);
        pthread_mutex_destroy(&r->lock);
        pthread_cond_destroy(&r->idle);
        free(r);
        return NULL;
    }
    return r;
}

int wr_relay_port(const wr_relay *r) {
    return r->port;
}

void wr_relay_stop(wr_relay *r) {
    if (!r) return;
    ssize_t w = write(r->wake[1], "x", 1);
    (void)w;
    pthread_join(r->acceptor, NULL);
    pthread_mutex_lock(&r->lock);
    while (r->active > 0)
        pthread_cond_wait(&r->idle, &r->lock);
    pthread_mutex_unlock(&r->lock);
    for (int i = 0; i < r->nlisteners; i++)
        close(r->listeners[i]);
    close(r->wake[0]);
    close(r->wake[1]);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->idle);
    free(r);
}
