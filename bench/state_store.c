/* State store benchmark (make bench): the cost of checkpointing state,
 * measured on the store itself with real files and fsyncs in a temporary
 * folder. For a table of KEYS string keys with a count (word count's
 * state): writing a batch's delta when UPDATED keys changed, writing a full
 * snapshot, and restoring the table from a snapshot plus DELTAS deltas.
 *   usage: state_store [KEYS [UPDATED [DELTAS]]]   (default 1000000 1000 9) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/agg_state.h"

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return v[n / 2];
}

static void touch(wr_table *t, long i) {
    char key[32];
    int n = snprintf(key, sizeof key, "key-%ld", i);
    wr_val k = wr_str(key, (size_t)n);
    wr_entry *e = wr_table_upsert(t, &k, wr_keys_hash(t->layout, &k));
    wr_entry_states(t, e)[0].n++;
    wr_table_touch(t, e);
}

int main(int argc, char **argv) {
    long keys = argc > 1 ? atol(argv[1]) : 1000000, updated = argc > 2 ? atol(argv[2]) : 1000;
    int deltas = argc > 3 ? atoi(argv[3]) : 9, rounds = 5;
    wr_type kt = WR_TYPE(WR_T_STRING);
    wr_agg count = {
        .kind = WR_AGG_COUNT_STAR, .in = WR_TYPE(WR_T_BIGINT), .out = WR_TYPE(WR_T_BIGINT)};
    wr_aggregate agg = {.key_types = &kt, .nkeys = 1, .aggs = &count, .naggs = 1, .event_key = -1};
    char dir[] = "/tmp/weir-bench-state-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    wr_err err;
    bool snap;
    wr_state_layout layout;
    wr_agg_layout(&layout, &agg);

    wr_table t;
    wr_table_init(&t, &layout, true, NULL);
    for (long i = 0; i < keys; i++)
        touch(&t, i);
    wr_table_clear_updated(&t);
    /* version 0: the snapshot of all keys (and an empty delta) */
    double snap_ms[5], delta_ms[5], restore_ms[5];
    for (int r = 0; r < rounds; r++) {
        int64_t t0 = wr_now_ms();
        if (!wr_store_commit(&t, dir, 0, 1, &snap, &err))
            return fprintf(stderr, "%s\n", err.msg), 1;
        snap_ms[r] = (double)(wr_now_ms() - t0);
    }
    /* versions 1..deltas: UPDATED keys changed each */
    for (int v = 1; v <= deltas; v++) {
        for (long i = 0; i < updated; i++)
            touch(&t, (i * 7919 + v * 104729) % keys);
        int64_t t0 = wr_now_ms();
        if (!wr_store_commit(&t, dir, v, 1000000, &snap, &err))
            return fprintf(stderr, "%s\n", err.msg), 1;
        delta_ms[(v - 1) % rounds] = (double)(wr_now_ms() - t0);
        wr_table_clear_updated(&t);
    }
    for (int r = 0; r < rounds; r++) {
        wr_table back;
        wr_table_init(&back, &layout, true, NULL);
        int64_t t0 = wr_now_ms();
        if (!wr_store_restore(&back, dir, deltas, &err)) return fprintf(stderr, "%s\n", err.msg), 1;
        restore_ms[r] = (double)(wr_now_ms() - t0);
        if (back.n != t.n) return fprintf(stderr, "restored %u keys, want %u\n", back.n, t.n), 1;
        wr_table_free(&back);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "du -sh %s | cut -f1", dir);
    printf("state of %ld keys: snapshot write %.0f ms, delta write (%ld keys changed) %.1f ms, "
           "restore (snapshot + %d deltas) %.0f ms "
           "(medians of %d); folder size: ",
           keys, median(snap_ms, rounds), updated,
           median(delta_ms, deltas < rounds ? deltas : rounds), deltas, median(restore_ms, rounds),
           rounds);
    fflush(stdout);
    if (system(cmd) != 0) return 1;
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) return 1;
    wr_table_free(&t);
    return 0;
}
