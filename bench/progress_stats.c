/* Latency benchmark helper (make bench, bench/latency.sh): reads the
 * progress lines `weir run --progress` wrote (one JSON object a line; other
 * lines are skipped) and says where a running query's time went, to tell
 * what bounds its latency:
 *  - batches, rows a batch, and triggerExecution p50 / p99 / max: the batch
 *    cycle;
 *  - each durationMs part as a share of the time in batches;
 *  - batches whose addBatch took at least WAIT_MS while reading only a few
 *    rows (fewer than RATE events a second would bring in that time): the
 *    read waited for the fetch, i.e. a Fetch the broker parked for
 *    fetch.wait.max.ms (librdkafka's mock cluster answers a Fetch that finds
 *    no data only after the full wait, even if data arrives meanwhile);
 *  - idle gaps between batches (the next batch's start minus the end of the
 *    last) of at least WAIT_MS: the driver found nothing new and slept
 *    before polling again.
 *   usage: progress_stats FILE RATE WAIT_MS */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct batch {
    int64_t rows, start_ms, trigger, add, latest, wal, commit;
} batch;

static int cmp64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t pct(int64_t *v, int n, double p) {
    qsort(v, (size_t)n, sizeof *v, cmp64);
    int i = (int)(p / 100.0 * n + 0.999999) - 1;
    return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

static int64_t dur(json_t *d, const char *key) {
    return json_integer_value(json_object_get(d, key));
}

/* "2026-11-22T00:49:41.717Z" as ms since the epoch (-1 if not that form). */
static int64_t parse_ts(const char *s) {
    struct tm tm = {0};
    int ms = 0;
    if (!s || sscanf(s, "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                     &tm.tm_min, &tm.tm_sec, &ms) != 7)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: progress_stats FILE RATE WAIT_MS\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    double rate = atof(argv[2]);
    int64_t wait = atoll(argv[3]);
    batch *b = NULL;
    int n = 0, cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    while (getline(&line, &lcap, f) > 0) {
        if (line[0] != '{') continue;
        json_t *j = json_loads(line, 0, NULL), *d = j ? json_object_get(j, "durationMs") : NULL;
        if (!d) {
            json_decref(j);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            batch *grown = realloc(b, sizeof *b * (size_t)cap);
            if (!grown) {
                fprintf(stderr, "progress_stats: out of memory\n");
                return 1;
            }
            b = grown;
        }
        b[n++] = (batch){json_integer_value(json_object_get(j, "numInputRows")),
                         parse_ts(json_string_value(json_object_get(j, "timestamp"))),
                         dur(d, "triggerExecution"),
                         dur(d, "addBatch"),
                         dur(d, "latestOffset"),
                         dur(d, "walCommit"),
                         dur(d, "commitOffsets")};
        json_decref(j);
    }
    free(line);
    fclose(f);
    if (n == 0) {
        printf("no progress lines in %s\n", argv[1]);
        return 1;
    }
    int64_t *v = malloc(sizeof *v * (size_t)n), sum_t = 0, sum_add = 0, sum_lat = 0, sum_wal = 0,
            sum_com = 0, waited = 0, waited_ms = 0, gaps = 0, gap_ms = 0;
    for (int i = 0; i < n; i++) {
        v[i] = b[i].rows;
        sum_t += b[i].trigger, sum_add += b[i].add, sum_lat += b[i].latest;
        sum_wal += b[i].wal, sum_com += b[i].commit;
        if (b[i].add >= wait && (double)b[i].rows < rate * (double)b[i].add / 1000.0 / 2)
            waited++, waited_ms += b[i].add;
        if (i + 1 < n && b[i].start_ms >= 0 && b[i + 1].start_ms >= 0) {
            int64_t gap = b[i + 1].start_ms - (b[i].start_ms + b[i].trigger);
            if (gap >= wait) gaps++, gap_ms += gap;
        }
    }
    int64_t rows_med = pct(v, n, 50);
    for (int i = 0; i < n; i++)
        v[i] = b[i].trigger;
    int64_t t50 = pct(v, n, 50), t99 = pct(v, n, 99), tmax = v[n - 1];
    double all = sum_t > 0 ? (double)sum_t : 1;
    int64_t span = n > 1 && b[0].start_ms >= 0 && b[n - 1].start_ms >= 0
                       ? b[n - 1].start_ms + b[n - 1].trigger - b[0].start_ms
                       : sum_t;
    printf("weir: %d batches, median %lld rows a batch; triggerExecution p50 %lld ms, p99 %lld ms, "
           "max %lld ms; in batches %.0f%% of the run, of that addBatch %.0f%%, latestOffset "
           "%.0f%%, walCommit %.0f%%, commitOffsets %.0f%%\n",
           n, (long long)rows_med, (long long)t50, (long long)t99, (long long)tmax,
           span > 0 ? 100.0 * (double)sum_t / (double)span : 0, 100.0 * (double)sum_add / all,
           100.0 * (double)sum_lat / all, 100.0 * (double)sum_wal / all,
           100.0 * (double)sum_com / all);
    printf("weir: %lld batches (%.0f%%) spent >= %lld ms in addBatch on few rows (%lld ms in all): "
           "waiting for a fetch the broker held for fetch.wait.max.ms\n",
           (long long)waited, 100.0 * (double)waited / n, (long long)wait, (long long)waited_ms);
    printf("weir: %lld idle gaps >= %lld ms between batches (%lld ms in all): the driver found "
           "nothing new and slept before the next trigger\n",
           (long long)gaps, (long long)wait, (long long)gap_ms);
    free(v);
    free(b);
    return 0;
}
