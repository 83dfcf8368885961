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
    e->updated = 1;
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
