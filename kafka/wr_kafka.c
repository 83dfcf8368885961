/* Implementation of the librdkafka plumbing declared in wr_kafka.h. */
#include "kafka/wr_kafka.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Per-client diagnostics, attached as the client's opaque pointer. */
typedef struct wr_kafka_diag {
    pthread_mutex_t lock;
    char last_error[512];
    rd_kafka_resp_err_t last_err;
    bool connect_failed; /* a connection failed or dropped: worth a connect_check */
    bool verbose;        /* `-X debug=...` given: let librdkafka's logs through */
} wr_kafka_diag;

static void diag_record(wr_kafka_diag *d, rd_kafka_resp_err_t err, const char *reason) {
    pthread_mutex_lock(&d->lock);
    /* "all brokers down" carries no detail; keep the transport error that caused it. */
    if (err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || !d->last_error[0])
        snprintf(d->last_error, sizeof d->last_error, "%s", reason);
    d->last_err = err;
    if (err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        d->connect_failed = true;
    pthread_mutex_unlock(&d->lock);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    (void)rk;
    diag_record(opaque, (rd_kafka_resp_err_t)err, reason);
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    wr_kafka_diag *d = rd_kafka_opaque(rk);
    if (d && d->verbose) fprintf(stderr, "rdkafka %d %s: %s\n", level, fac, buf);
}

bool wr_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, char *errstr,
                       size_t errlen) {
    char why[256];
    if (rd_kafka_conf_set(conf, key, value, why, sizeof why) != RD_KAFKA_CONF_OK) {
        wr_errf(errstr, errlen, "Kafka setting %s=%s: %s", key, value, why);
        return false;
    }
    return true;
}

bool wr_kafka_conf_apply(rd_kafka_conf_t *conf, const wr_strlist *props, char *errstr,
                         size_t errlen) {
    for (int i = 0; props && i < props->n; i++) {
        char *k, *v;
        if (!wr_split_kv(props->items[i], '=', &k, &v)) {
            wr_errf(errstr, errlen, "-X %s: expected key=value", props->items[i]);
            return false;
        }
        bool ok = wr_kafka_conf_set(conf, k, v, errstr, errlen);
        free(k);
        free(v);
        if (!ok) return false;
    }
    return true;
}

rd_kafka_conf_t *wr_kafka_conf_new(const char *bootstrap, const wr_strlist *props, char *errstr,
                                   size_t errlen) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_log_cb(conf, on_log);

    if (!wr_kafka_conf_set(conf, "bootstrap.servers",
                           bootstrap && *bootstrap ? bootstrap : WR_KAFKA_DEFAULT_BOOTSTRAP, errstr,
                           errlen) ||
        !wr_kafka_conf_set(conf, "client.id", "weir", errstr, errlen))
        goto fail;

    if (!wr_kafka_conf_apply(conf, props, errstr, errlen)) goto fail;
    return conf;

fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

rd_kafka_t *wr_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf, char *errstr, size_t errlen) {
    wr_kafka_diag *d = wr_xcalloc(1, sizeof *d);
    pthread_mutex_init(&d->lock, NULL);
    char dbg[256];
    size_t n = sizeof dbg;
    d->verbose = rd_kafka_conf_get(conf, "debug", dbg, &n) == RD_KAFKA_CONF_OK && dbg[0];
    rd_kafka_conf_set_opaque(conf, d);

    char why[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, why, sizeof why); /* owns conf on success */
    if (!rk) {
        wr_errf(errstr, errlen, "cannot create Kafka client: %s", why);
        rd_kafka_conf_destroy(conf);
        pthread_mutex_destroy(&d->lock);
        free(d);
        return NULL;
    }
    return rk;
}

void wr_kafka_destroy(rd_kafka_t *rk) {
    if (!rk) return;
    wr_kafka_diag *d = rd_kafka_opaque(rk);
    rd_kafka_destroy(rk);
    if (d) {
        pthread_mutex_destroy(&d->lock);
        free(d);
    }
}

void wr_kafka_last_error(rd_kafka_t *rk, char *buf, size_t len) {
    wr_kafka_diag *d = rd_kafka_opaque(rk);
    if (!len) return;
    buf[0] = '\0';
    if (!d) return;
    pthread_mutex_lock(&d->lock);
    snprintf(buf, len, "%s", d->last_error);
    pthread_mutex_unlock(&d->lock);
}

/* Errors after which waiting longer cannot help. Refused connections are not
 * among them: librdkafka reports "all brokers down" as soon as the one address
 * it tried refused (the next one, say 127.0.0.1 after [::1], may answer), and
 * once only, so a later error hides it. connect_check decides those instead.
 * *connect_failed tells whether a connection failed since the last call. */
static bool hopeless(rd_kafka_t *rk, bool *connect_failed) {
    wr_kafka_diag *d = rd_kafka_opaque(rk);
    pthread_mutex_lock(&d->lock);
    bool down = d->last_err == RD_KAFKA_RESP_ERR__RESOLVE ||
                d->last_err == RD_KAFKA_RESP_ERR__AUTHENTICATION ||
                d->last_err == RD_KAFKA_RESP_ERR__SSL;
    *connect_failed = d->connect_failed;
    d->connect_failed = false;
    pthread_mutex_unlock(&d->lock);
    return down;
}

/* Splits one bootstrap.servers item ("[proto://]host[:port]", "[v6]:port") as
 * librdkafka does: a bare name with several colons is an IPv6 address. */
static void split_server(const char *item, char *host, size_t hostlen, char *port, size_t portlen) {
    const char *s = strstr(item, "://");
    s = s ? s + 3 : item;
    const char *p = NULL;
    size_t n;
    if (*s == '[') {
        const char *close = strchr(s, ']');
        n = close ? (size_t)(close - s - 1) : strlen(s + 1);
        s++;
        if (close && close[1] == ':') p = close + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (colon && strchr(s, ':') == colon) {
            n = (size_t)(colon - s);
            p = colon + 1;
        } else {
            n = strlen(s);
        }
    }
    snprintf(host, hostlen, "%.*s", (int)n, s);
    snprintf(port, portlen, "%s", p && *p ? p : "9092");
}

enum { REACHABLE = 1, UNREACHABLE = 0, UNDECIDED = -1 };
#define MAX_ATTEMPTS 32

/* Connects to every address of every bootstrap server at once and waits at most
 * wait_ms: REACHABLE when one accepts, UNREACHABLE when every one failed (the
 * reasons in why), UNDECIDED when some are still pending (a filtering firewall:
 * librdkafka's own timeout decides then). The connections are closed at once. */
static int connect_check(const char *servers, const char *family, int wait_ms, char *why,
                         size_t whylen) {
    struct pollfd fds[MAX_ATTEMPTS];
    char names[MAX_ATTEMPTS][INET6_ADDRSTRLEN + 16];
    int n = 0, result = UNREACHABLE;
    bool skipped = false; /* more addresses than we try: never UNREACHABLE */
    wr_buf reasons = {0};
    char *list = wr_xstrdup(servers), *save = NULL;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
    hints.ai_family = !strcmp(family, "v4")   ? AF_INET
                      : !strcmp(family, "v6") ? AF_INET6
                                              : AF_UNSPEC;
    for (char *item = strtok_r(list, ", \t", &save); item && result != REACHABLE;
         item = strtok_r(NULL, ", \t", &save)) {
        char host[256], port[32];
        split_server(item, host, sizeof host, port, sizeof port);
        struct addrinfo *ai = NULL;
        int gerr = getaddrinfo(host, port, &hints, &ai);
        if (gerr) {
            wr_buf_printf(&reasons, "%scannot resolve %s: %s", reasons.len ? "; " : "", host,
                          gai_strerror(gerr));
            continue;
        }
        for (struct addrinfo *a = ai; a; a = a->ai_next) {
            if (n == MAX_ATTEMPTS) {
                skipped = true;
                break;
            }
            char ip[INET6_ADDRSTRLEN] = "?";
            const void *in = a->ai_family == AF_INET6
                                 ? (const void *)&((struct sockaddr_in6 *)a->ai_addr)->sin6_addr
                                 : (const void *)&((struct sockaddr_in *)a->ai_addr)->sin_addr;
            inet_ntop(a->ai_family, in, ip, sizeof ip);
            snprintf(names[n], sizeof names[n], a->ai_family == AF_INET6 ? "[%s]:%s" : "%s:%s", ip,
                     port);
            int fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            int e = fd < 0 ? errno : 0;
            if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
                close(fd);
                result = REACHABLE;
                break;
            }
            if (fd >= 0) e = errno;
            if (fd >= 0 && e == EINPROGRESS) {
                fds[n++] = (struct pollfd){fd, POLLOUT, 0};
                continue;
            }
            if (fd >= 0) close(fd);
            wr_buf_printf(&reasons, "%sconnect to %s: %s", reasons.len ? "; " : "", names[n],
                          strerror(e));
        }
        freeaddrinfo(ai);
    }
    free(list);

    int64_t deadline = wr_now_ms() + wait_ms;
    int pending = n;
    while (result != REACHABLE && pending > 0) {
        int64_t left = deadline - wr_now_ms();
        if (left <= 0) {
            result = UNDECIDED;
            break;
        }
        int r = poll(fds, (nfds_t)n, (int)left);
        if (r < 0 && errno != EINTR) {
            result = UNDECIDED;
            break;
        }
        for (int i = 0; r > 0 && i < n; i++) {
            if (fds[i].fd < 0 || !fds[i].revents) continue;
            int e = 0;
            socklen_t elen = sizeof e;
            getsockopt(fds[i].fd, SOL_SOCKET, SO_ERROR, &e, &elen);
            close(fds[i].fd);
            fds[i].fd = -1; /* poll skips it from now on */
            pending--;
            if (!e) {
                result = REACHABLE;
                break;
            }
            wr_buf_printf(&reasons, "%sconnect to %s: %s", reasons.len ? "; " : "", names[i],
                          strerror(e));
        }
    }
    for (int i = 0; i < n; i++)
        if (fds[i].fd >= 0) close(fds[i].fd);
    if (result == UNREACHABLE && skipped) result = UNDECIDED;
    if (result == UNREACHABLE)
        wr_errf(why, whylen, "%s", reasons.len ? reasons.p : "no address to connect to");
    wr_buf_free(&reasons);
    return result;
}

/* A configuration value of the client (malloc'd; "" when unset). */
static char *conf_value(rd_kafka_t *rk, const char *key) {
    size_t n = 0;
    const rd_kafka_conf_t *c = rd_kafka_conf(rk);
    if (rd_kafka_conf_get(c, key, NULL, &n) != RD_KAFKA_CONF_OK || n == 0) return wr_xstrdup("");
    char *v = wr_xmalloc(n);
    rd_kafka_conf_get(c, key, v, &n);
    return v;
}

bool wr_kafka_probe(rd_kafka_t *rk, int timeout_ms, const rd_kafka_metadata_t **md, char *errstr,
                    size_t errlen) {
    int64_t deadline = wr_now_ms() + (timeout_ms > 0 ? timeout_ms : WR_KAFKA_DEFAULT_TIMEOUT_MS);
    char *servers = conf_value(rk, "bootstrap.servers");
    char last[512] = "";
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
    bool checked = false, unreachable = false;
    for (;;) {
        int64_t left = deadline - wr_now_ms();
        if (left <= 0) break;
        const rd_kafka_metadata_t *m = NULL;
        err = rd_kafka_metadata(rk, 1, NULL, &m, (int)(left < 100 ? left : 100));
        if (!err) {
            if (md)
                *md = m;
            else
                rd_kafka_metadata_destroy(m);
            free(servers);
            return true;
        }
        rd_kafka_poll(rk, 0); /* serves error_cb */
        bool connect_failed;
        if (hopeless(rk, &connect_failed)) break;
        /* Once a connection failed, see for ourselves whether every address
         * refuses (a reachable cluster costs no extra connection). */
        if (connect_failed && !checked) {
            char *family = conf_value(rk, "broker.address.family");
            left = deadline - wr_now_ms();
            int check =
                connect_check(servers, family, (int)(left < 3000 ? left : 3000), last, sizeof last);
            free(family);
            checked = true;
            if ((unreachable = check == UNREACHABLE)) break;
        }
    }
    if (!unreachable) wr_kafka_last_error(rk, last, sizeof last);
    wr_errf(errstr, errlen, "cannot reach Kafka at %s: %s", servers,
            last[0] ? last : rd_kafka_err2str(err));
    free(servers);
    return false;
}

bool wr_kafka_is_embedded(rd_kafka_t *rk) {
    char *id = rd_kafka_clusterid(rk, 0); /* set by the probe's metadata answer */
    bool mock = id && !strncmp(id, "mockCluster", 11);
    if (id) rd_kafka_mem_free(rk, id);
    return mock;
}

static bool props_set(const wr_strlist *props, const char *key) {
    size_t n = strlen(key);
    for (int i = 0; props && i < props->n; i++)
        if (!strncmp(props->items[i], key, n) && props->items[i][n] == '=') return true;
    return false;
}

void wr_kafka_conf_embedded_group(rd_kafka_conf_t *conf, const wr_strlist *props) {
    char v[32];
    if (!props_set(props, "session.timeout.ms")) {
        snprintf(v, sizeof v, "%d", WR_KAFKA_EMBEDDED_SESSION_MS);
        wr_kafka_conf_set(conf, "session.timeout.ms", v, NULL, 0);
    }
    if (!props_set(props, "heartbeat.interval.ms")) {
        snprintf(v, sizeof v, "%d", WR_KAFKA_EMBEDDED_HEARTBEAT_MS);
        wr_kafka_conf_set(conf, "heartbeat.interval.ms", v, NULL, 0);
    }
}

const rd_kafka_metadata_topic_t *wr_kafka_md_topic(const rd_kafka_metadata_t *md,
                                                   const char *topic) {
    for (int i = 0; i < md->topic_cnt; i++)
        if (!strcmp(md->topics[i].topic, topic)) return &md->topics[i];
    return NULL;
}
