/* Unit tests of the state store on its own: the keyed hash table against a
 * plain reference (inserts, finds, removals one by one and in a pass,
 * NULL keys, growth), and the snapshot/delta codec (a table saved and
 * loaded back is the same; a damaged byte is an error naming the file). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state/wr_state.h"

/* A layout of (STRING, BIGINT) keys and an int64 value encoded as 8 bytes. */
static const wr_type key_types[] = {{WR_T_STRING}, {WR_T_BIGINT}};

static void value_encode(const void *ctx, const void *value, wr_buf *b) {
    (void)ctx;
    wr_buf_put(b, value, sizeof(int64_t));
}

static bool value_decode(const void *ctx, void *value, wr_bytes *r, wr_arena *scratch) {
    (void)ctx, (void)scratch;
    return wr_bytes_take(r, value, sizeof(int64_t));
}

static const wr_state_layout layout = {.nkeys = 2,
                                       .key_types = key_types,
                                       .value_size = sizeof(int64_t),
                                       .tag = 7,
                                       .value_encode = value_encode,
                                       .value_decode = value_decode};

/* Key i: ("k<i mod 1000>", i / 1000), the string NULL when i mod 1000 is 999. */
static void key_of(int i, wr_val *k, char *buf, size_t len) {
    snprintf(buf, len, "k%d", i % 1000);
    k[0] = i % 1000 == 999 ? wr_null() : wr_str(buf, strlen(buf));
    k[1] = wr_int(i / 1000);
}

static int64_t *value_of(wr_table *t, int i) {
    wr_val k[2];
    char buf[32];
    key_of(i, k, buf, sizeof buf);
    wr_entry *e = wr_table_find(t, k, wr_keys_hash(&layout, k));
    return e ? wr_entry_value(t, e) : NULL;
}

static void put(wr_table *t, int i, int64_t v) {
    wr_val k[2];
    char buf[32];
    key_of(i, k, buf, sizeof buf);
    wr_entry *e = wr_table_upsert(t, k, wr_keys_hash(&layout, k));
    *(int64_t *)wr_entry_value(t, e) = v;
    wr_table_touch(t, e);
}

enum { N = 20000 };

Test(unit_table, upserts_finds_and_removals_agree_with_a_reference) {
    wr_table t;
    wr_table_init(&t, &layout, true, NULL);
    static int64_t ref[N]; /* 0: absent, else the value */
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < N; i++) {
            int64_t v = (int64_t)i * 31 + round + 1;
            put(&t, i, v);
            ref[i] = v;
        }
    cr_assert_eq(t.n, (uint32_t)N, "a key inserted again is the same entry");
    /* remove every third, one at a time */
    for (int i = 0; i < N; i += 3) {
        wr_val k[2];
        char buf[32];
        key_of(i, k, buf, sizeof buf);
        wr_entry *e = wr_table_find(&t, k, wr_keys_hash(&layout, k));
        cr_assert_not_null(e);
        wr_table_remove(&t, wr_table_index(&t, e));
        ref[i] = 0;
    }
    for (int i = 0; i < N; i++) {
        int64_t *v = value_of(&t, i);
        if (ref[i])
            cr_assert(v && *v == ref[i], "key %d: %lld, want %lld", i, v ? (long long)*v : -1LL,
                      (long long)ref[i]);
        else
            cr_assert_null(v, "key %d was removed", i);
    }
    wr_table_free(&t);
}

static bool odd_value(const void *ctx, wr_entry *e) {
    const wr_table *t = ctx;
    return *(int64_t *)wr_entry_value(t, e) % 2;
}

Test(unit_table, drop_where_removes_in_one_pass_and_keeps_the_index) {
    wr_table t;
    wr_table_init(&t, &layout, true, NULL);
    for (int i = 0; i < N; i++)
        put(&t, i, i);
    cr_assert_eq(wr_table_drop_where(&t, odd_value, &t), (uint32_t)N / 2);
    for (int i = 0; i < N; i++) {
        int64_t *v = value_of(&t, i);
        if (i % 2)
            cr_assert_null(v, "key %d", i);
        else
            cr_assert(v && *v == i, "key %d", i);
    }
    wr_table_free(&t);
}

/* A layout whose groups close at their BIGINT key (never with a NULL string). */
static int64_t closes_at(const void *ctx, const wr_val *keys) {
    (void)ctx;
    return keys[0].null ? INT64_MAX : keys[1].u.i;
}

static const wr_state_layout timed = {.nkeys = 2,
                                      .key_types = key_types,
                                      .value_size = sizeof(int64_t),
                                      .tag = 7,
                                      .value_encode = value_encode,
                                      .value_decode = value_decode,
                                      .closes_at = closes_at};

/* What the table's lists say against a scan of every entry. */
static void check_lists(wr_table *t, int64_t wm) {
    uint32_t *want = malloc(sizeof *want * (t->n + 1)), nw = 0, n;
    for (uint32_t i = 0; i < t->n; i++)
        if (wr_table_at(t, i)->updated) want[nw++] = i;
    const uint32_t *got = wr_table_changed(t, &n);
    cr_assert_eq(n, nw, "changed: %u entries listed, %u changed", n, nw);
    cr_assert(!memcmp(got, want, sizeof *want * n), "changed: other entries");
    nw = 0;
    for (uint32_t i = 0; i < t->n; i++)
        if (closes_at(NULL, wr_entry_keys(wr_table_at(t, i))) <= wm) want[nw++] = i;
    got = wr_table_closed(t, wm, &n);
    cr_assert_eq(n, nw, "closed at %lld: %u entries found, %u close", (long long)wm, n, nw);
    cr_assert(!memcmp(got, want, sizeof *want * n), "closed: other entries");
    /* every timed entry in the heap once, at its place, the heap ordered */
    uint32_t timed_entries = 0;
    for (uint32_t i = 0; i < t->n; i++) {
        wr_entry *e = wr_table_at(t, i);
        bool never = closes_at(NULL, wr_entry_keys(e)) == INT64_MAX;
        cr_assert_eq(e->heap == 0, never, "entry %u: heap place %u", i, e->heap);
        if (never) continue;
        timed_entries++;
        cr_assert_eq(t->heap[e->heap - 1].idx, i);
    }
    cr_assert_eq(t->nheap, timed_entries);
    for (uint32_t p = 1; p < t->nheap; p++)
        cr_assert_leq(t->heap[(p - 1) / 2].at, t->heap[p].at, "heap order at %u", p);
    free(want);
}

/* Removals one at a time, in a pass, by a watermark, clears and reinserts,
 * in random order: the changed list and the heap always say what a scan
 * says, and evict removes exactly what closes. */
Test(unit_table, changed_and_closed_entries_are_listed_without_a_scan) {
    wr_table t;
    wr_table_init(&t, &timed, true, NULL);
    static int64_t ref[N];
    memset(ref, 0, sizeof ref);
    srand(11);
    int64_t wm = -1;
    for (int step = 0; step < 400; step++) {
        int op = rand() % 10;
        if (op < 5) { /* upserts, some touched */
            for (int k = 0; k < 300; k++) {
                int i = rand() % N;
                if (i / 1000 <= wm) continue; /* closed groups take no rows */
                wr_val key[2];
                char buf[32];
                key_of(i, key, buf, sizeof buf);
                wr_entry *e = wr_table_upsert(&t, key, wr_keys_hash(&timed, key));
                *(int64_t *)wr_entry_value(&t, e) = ref[i] = i + 1;
                if (rand() % 3) wr_table_touch(&t, e);
            }
        } else if (op < 7 && t.n) { /* removals one at a time */
            for (int k = 0; k < 20 && t.n; k++) {
                uint32_t at = (uint32_t)rand() % t.n;
                wr_val *key = wr_entry_keys(wr_table_at(&t, at));
                char num[16] = {0};
                if (!key[0].null) memcpy(num, key[0].u.p + 1, key[0].len - 1);
                int i = (key[0].null ? 999 : atoi(num)) + 1000 * (int)key[1].u.i;
                wr_table_remove(&t, at);
                ref[i] = 0;
            }
        } else if (op == 7) {
            uint32_t odd = 0;
            for (int i = 0; i < N; i++)
                odd += ref[i] % 2 != 0;
            cr_assert_eq(wr_table_drop_where(&t, odd_value, &t), odd);
            for (int i = 0; i < N; i++)
                if (ref[i] % 2) ref[i] = 0;
        } else if (op == 8) {
            wm += rand() % 3;
            uint32_t closing = 0;
            for (int i = 0; i < N; i++)
                closing += ref[i] && i % 1000 != 999 && i / 1000 <= wm;
            cr_assert_eq(wr_table_evict(&t, wm), closing);
            for (int i = 0; i < N; i++)
                if (i % 1000 != 999 && i / 1000 <= wm) ref[i] = 0;
        } else {
            wr_table_clear_updated(&t);
        }
        check_lists(&t, wm + rand() % 4);
        for (int i = 0; i < N; i += 7) {
            int64_t *v = value_of(&t, i);
            cr_assert(ref[i] ? v && *v == ref[i] : !v, "key %d", i);
        }
    }
    wr_table_free(&t);
}

/* A layout that leaves key 1 out of the hash: the entries of one key 0 share
 * a hash, and wr_table_with_hash finds them all, and only them (but for
 * other keys whose hash collides). */
Test(unit_table, entries_that_share_a_hash_are_found_together) {
    wr_state_layout skip = layout;
    skip.hash_skip = 1ULL << 1;
    wr_table t;
    wr_table_init(&t, &skip, true, NULL);
    for (int i = 0; i < N; i++) { /* key i: ("k<i % 1000>", i / 1000) */
        wr_val key[2];
        char buf[32];
        key_of(i, key, buf, sizeof buf);
        wr_table_upsert(&t, key, wr_keys_hash(&skip, key));
    }
    cr_assert_eq(t.n, (uint32_t)N);
    uint32_t *idx = NULL;
    size_t n = 0, cap = 0;
    for (int k = 0; k < 1000; k += 37) {
        wr_val key[2];
        char buf[32];
        key_of(k, key, buf, sizeof buf);
        n = 0;
        wr_table_with_hash(&t, wr_keys_hash(&skip, key), &idx, &n, &cap);
        int mine = 0;
        for (size_t i = 0; i < n; i++) {
            wr_val *e = wr_entry_keys(wr_table_at(&t, idx[i]));
            mine += wr_val_eq(e[0], key[0], key_types[0]);
        }
        cr_assert_eq(mine, N / 1000, "key %d: %d of its %d entries found", k, mine, N / 1000);
    }
    free(idx);
    wr_table_free(&t);
}

Test(unit_table, a_partial_table_copies_keys_into_its_arena) {
    wr_arena arena = {0};
    wr_table t;
    wr_table_init(&t, &layout, false, &arena);
    char buf[8] = "abc";
    wr_val k[2] = {wr_str(buf, 3), wr_int(1)};
    wr_table_upsert(&t, k, wr_keys_hash(&layout, k));
    strcpy(buf, "xyz"); /* the caller's bytes change */
    wr_val again[2] = {wr_str("abc", 3), wr_int(1)};
    cr_assert_not_null(wr_table_find(&t, again, wr_keys_hash(&layout, again)));
    wr_table_reset(&t);
    cr_assert_eq(t.n, 0);
    cr_assert_null(wr_table_find(&t, again, wr_keys_hash(&layout, again)));
    wr_table_free(&t);
    wr_arena_free(&arena);
}

static char *tmp_path(const char *name) {
    char dir[] = "/tmp/weir-unit-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    return wr_xasprintf("%s/%s", dir, name);
}

Test(unit_codec, a_snapshot_and_a_delta_load_back_to_the_same_table) {
    wr_table t;
    wr_table_init(&t, &layout, true, NULL);
    for (int i = 0; i < 3000; i++)
        put(&t, i, i * 7);
    char *snap = tmp_path("1.snapshot");
    wr_err err;
    cr_assert(wr_table_save(&t, snap, false, &err), "%s", err.msg);
    wr_table_clear_updated(&t);
    /* batch 2: change some, add some, remove some */
    for (int i = 0; i < 100; i++)
        put(&t, i, -i);
    put(&t, 5000, 1);
    for (int i = 2000; i < 2010; i++) {
        wr_val k[2];
        char buf[32];
        key_of(i, k, buf, sizeof buf);
        wr_table_remove(&t, wr_table_index(&t, wr_table_find(&t, k, wr_keys_hash(&layout, k))));
    }
    char *delta = wr_xasprintf("%.*s/2.delta", (int)(strrchr(snap, '/') - snap), snap);
    cr_assert(wr_table_save(&t, delta, true, &err), "%s", err.msg);

    wr_table back;
    wr_table_init(&back, &layout, true, NULL);
    cr_assert(wr_table_load(&back, snap, &err), "%s", err.msg);
    cr_assert_eq(back.n, 3000u);
    cr_assert(wr_table_load(&back, delta, &err), "%s", err.msg);
    cr_assert_eq(back.n, t.n);
    for (int i = 0; i < 5001; i++) {
        int64_t *want = value_of(&t, i), *got = value_of(&back, i);
        cr_assert_eq(want == NULL, got == NULL, "key %d", i);
        if (want) cr_assert_eq(*got, *want, "key %d", i);
    }
    wr_table_free(&back);
    wr_table_free(&t);
    unlink(snap), unlink(delta);
    free(snap), free(delta);
}

Test(unit_codec, a_damaged_byte_is_an_error_naming_the_file) {
    wr_table t;
    wr_table_init(&t, &layout, true, NULL);
    for (int i = 0; i < 50; i++)
        put(&t, i, i);
    char *snap = tmp_path("3.snapshot");
    wr_err err;
    cr_assert(wr_table_save(&t, snap, false, &err), "%s", err.msg);
    size_t len;
    char *bytes = wr_read_file(snap, &len);
    cr_assert_not_null(bytes);
    for (size_t at = 0; at < len; at += len / 7 + 1) { /* a byte of the header, entries, checksum */
        bytes[at] ^= 0x5a;
        cr_assert(wr_write_durable(snap, bytes, len, &err), "%s", err.msg);
        wr_table back;
        wr_table_init(&back, &layout, true, NULL);
        cr_assert_not(wr_table_load(&back, snap, &err), "byte %zu damaged, yet it loaded", at);
        cr_assert(strstr(err.msg, snap), "the error names the file: %s", err.msg);
        wr_table_free(&back);
        bytes[at] ^= 0x5a;
    }
    free(bytes);
    wr_table_free(&t);
    unlink(snap);
    free(snap);
}
