/* Unit tests of core/ pieces on their own, table-driven: arenas, Java's
 * double formatting (Spark's CAST(double AS STRING)), option-spec tables
 * (checks, "did you mean", help) and the rate limit (maxOffsetsPerTrigger). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/wr_core.h"

/* ---- arenas ---- */

Test(unit_arena, allocations_are_aligned_distinct_and_survive_growth) {
    wr_arena a = {0};
    enum { N = 5000 };
    unsigned char *p[N];
    size_t sizes[] = {1, 7, 16, 33, 4096, 100000};
    for (int i = 0; i < N; i++) {
        size_t n = sizes[i % 6];
        p[i] = wr_arena_alloc(&a, n);
        cr_assert_eq((uintptr_t)p[i] % 16, 0, "allocation %d of %zu bytes is not 16-aligned", i, n);
        memset(p[i], i & 0xff, n);
    }
    for (int i = 0; i < N; i++) /* nothing overwrote an earlier allocation */
        cr_assert_eq(p[i][sizes[i % 6] - 1], (unsigned char)(i & 0xff), "allocation %d", i);
    wr_arena_free(&a);
}

Test(unit_arena, reset_reuses_memory_and_zalloc_zeroes) {
    wr_arena a = {0};
    char *s = wr_arena_strdup(&a, "hello");
    cr_assert_str_eq(s, "hello");
    cr_assert_str_eq(wr_arena_strndup(&a, "hello world", 5), "hello");
    void *first = wr_arena_alloc(&a, 64);
    memset(first, 0xab, 64);
    wr_arena_reset(&a);
    unsigned char *z = wr_arena_zalloc(&a, 64);
    for (int i = 0; i < 64; i++)
        cr_assert_eq(z[i], 0);
    wr_arena_free(&a);
}

/* ---- Java's Double.toString, as Spark casts a DOUBLE to STRING ---- */

typedef struct dcase {
    double d;
    const char *java;
} dcase;

static const dcase doubles[] = {
    {0.0, "0.0"},
    {1.0, "1.0"},
    {-1.5, "-1.5"},
    {0.1, "0.1"},
    {100.0, "100.0"},
    {0.001, "0.001"},
    {1e-4, "1.0E-4"},
    {9999999.0, "9999999.0"},
    {1e7, "1.0E7"},
    {123456789.0, "1.23456789E8"},
    {1e21, "1.0E21"},
    {2.0 / 3.0, "0.6666666666666666"},
    {1.7976931348623157e308, "1.7976931348623157E308"},
    {4.9e-324, "4.9E-324"},
    {12345.678, "12345.678"},
};

Test(unit_double, formats_as_java_double_to_string) {
    for (size_t i = 0; i < sizeof doubles / sizeof *doubles; i++) {
        wr_buf b = {0};
        wr_double_format(&b, doubles[i].d);
        wr_buf_putc(&b, '\0');
        cr_expect_str_eq(b.p, doubles[i].java, "%.17g", doubles[i].d);
        wr_buf_free(&b);
    }
}

Test(unit_double, special_values) {
    const dcase special[] = {
        {NAN, "NaN"}, {INFINITY, "Infinity"}, {-INFINITY, "-Infinity"}, {-0.0, "-0.0"}};
    for (size_t i = 0; i < 4; i++) {
        wr_buf b = {0};
        wr_double_format(&b, special[i].d);
        wr_buf_putc(&b, '\0');
        cr_expect_str_eq(b.p, special[i].java);
        wr_buf_free(&b);
    }
}

/* ---- option-spec tables ---- */

static const wr_optspec table[] = {
    {"kafka.", WR_OPT_PREFIX, NULL, "<setting>", 0, 0, "passed on", 0},
    {"subscribe", WR_OPT_STRING, NULL, NULL, 0, 0, "topics", WR_OPT_NONEMPTY},
    {"path", WR_OPT_STRING, NULL, "a folder", 0, 0, "where", WR_OPT_NONEMPTY},
    {"header", WR_OPT_BOOL, "false", NULL, 0, 0, "a header line", 0},
    {"numRows", WR_OPT_INT, "20", NULL, 1, 100, "rows shown", 0},
    {"maxOffsetsPerTrigger", WR_OPT_INT, NULL, NULL, 1, INT64_MAX, "a limit", 0},
    {"outputMode", WR_OPT_ENUM, "append", "append|update|complete", 0, 0, "which rows", 0},
    {"sep", WR_OPT_CHAR, ",", NULL, 0, 0, "separator", 0},
    {"secret", WR_OPT_STRING, NULL, NULL, 0, 0, NULL, WR_OPT_HIDDEN},
    {"later", WR_OPT_STRING, NULL, NULL, 0, 0, "use this instead", WR_OPT_NOT_YET},
    {"never", WR_OPT_STRING, NULL, NULL, 0, 0, "is for batch queries", WR_OPT_REFUSED},
    {NULL},
};

typedef struct ocase {
    const char *name, *value;
    const char *error; /* NULL: accepted */
} ocase;

static const ocase option_cases[] = {
    {"subscribe", "t1", NULL},
    {"SUBSCRIBE", "t1", NULL}, /* names are matched without case */
    {"kafka.fetch.max.bytes", "5", NULL},
    {"subscribe", "", "option subscribe must not be empty"},
    {"path", "", "option path must name a folder (it is empty)"},
    {"header", "TRUE", NULL},
    {"header", "yes", "option header must be true or false, not 'yes'"},
    {"numRows", "100", NULL},
    {"numRows", "101", "option numRows must be a whole number from 1 to 100, not '101'"},
    {"numRows", "1x", "option numRows must be a whole number from 1 to 100, not '1x'"},
    {"maxOffsetsPerTrigger", "-5",
     "option maxOffsetsPerTrigger must be a positive whole number, not '-5'"},
    {"outputMode", "Update", NULL},
    {"outputMode", "replace",
     "option outputMode must be append, update or complete, not 'replace'"},
    {"sep", "\\t", NULL},
    {"sep", ";;", "option sep must be one character (not a line break), not ';;'"},
    {"secret", "x", NULL},
    {"later", "x", "option later is not supported yet: use this instead"},
    {"never", "x", "option never is for batch queries"},
    {"subscrbe", "t",
     "unknown option 'subscrbe' for a test source (valid: kafka.<setting>, "
     "subscribe, path, header, numRows, maxOffsetsPerTrigger, outputMode, sep); "
     "did you mean 'subscribe'?"},
    {"colour", "red",
     "unknown option 'colour' for a test source (valid: kafka.<setting>, "
     "subscribe, path, header, numRows, maxOffsetsPerTrigger, outputMode, sep)"},
};

Test(unit_options, values_are_checked_against_the_table) {
    for (size_t i = 0; i < sizeof option_cases / sizeof *option_cases; i++) {
        const ocase *c = &option_cases[i];
        wr_err err = {0};
        const wr_optspec *o = wr_opt_check(table, "a test source", c->name, c->value, &err);
        if (!c->error) {
            cr_expect_not_null(o, "%s = '%s': %s", c->name, c->value, err.msg);
        } else {
            cr_expect_null(o, "%s = '%s' was accepted", c->name, c->value);
            cr_expect_str_eq(err.msg, c->error, "%s = '%s'", c->name, c->value);
            cr_expect_eq(err.code, WR_ERR_USAGE);
        }
    }
}

Test(unit_options, nearest_name_allows_about_one_typo_in_three_letters) {
    cr_expect_str_eq(wr_opt_nearest(table, "numrow"), "numRows");
    cr_expect_str_eq(wr_opt_nearest(table, "ouputMode"), "outputMode");
    cr_expect_str_eq(wr_opt_nearest(table, "hedaer"), "header"); /* a transposition */
    cr_expect_null(wr_opt_nearest(table, "xyz"));
    cr_expect_null(wr_opt_nearest(table, "secrt"), "hidden options are never suggested");
}

Test(unit_options, the_last_value_set_wins) {
    wr_kv *kv = NULL;
    int n = 0;
    wr_kv_set(&kv, &n, "a", "1");
    wr_kv_set(&kv, &n, "b", "2");
    wr_kv_set(&kv, &n, "A", "3");
    cr_expect_str_eq(wr_opt_value(kv, n, "a"), "3");
    cr_expect_str_eq(wr_opt_value(kv, n, "B"), "2");
    cr_expect_null(wr_opt_value(kv, n, "c"));
    wr_kv_free(kv, n);
}

Test(unit_options, help_lists_every_visible_option_with_its_type_and_default) {
    wr_buf b = {0};
    wr_opt_help(&b, table);
    wr_buf_putc(&b, '\0');
    const char *want[] = {"  kafka.<setting>\n      passed on\n",
                          "  header = true|false (default false)\n      a header line\n",
                          "  numRows = N (1..100) (default 20)\n",
                          "  maxOffsetsPerTrigger = N (>= 1)\n",
                          "  outputMode = append|update|complete (default append)\n",
                          "  sep = one character (default ,)\n",
                          "  later  (not supported yet)\n",
                          "  never  (refused: is for batch queries)\n"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        cr_expect(strstr(b.p, want[i]), "help lacks \"%s\" in:\n%s", want[i], b.p);
    cr_expect(!strstr(b.p, "secret"), "hidden options are not listed");
    wr_buf_free(&b);
}

/* ---- the rate limit ---- */

typedef struct lcase {
    int n;
    int64_t from[3], latest[3], limit, want[3];
} lcase;

static const lcase limits[] = {
    /* no limit: everything available */
    {2, {0, 5}, {10, 20}, 0, {10, 20}},
    /* shares in proportion to what waits: 10 and 30 of 40, limit 20 -> 5 and 15 */
    {2, {0, 0}, {10, 30}, 20, {5, 15}},
    /* a limit above what waits takes it all */
    {2, {0, 0}, {10, 30}, 1000, {10, 30}},
    /* shares round down, but a share below one offset rounds up */
    {3, {0, 0, 0}, {1, 1, 98}, 10, {1, 1, 9}},
    /* a split with nothing waiting stays */
    {2, {7, 0}, {7, 100}, 10, {7, 10}},
    /* near INT64_MAX the end is clamped, never wraps */
    {1, {INT64_MAX - 5}, {INT64_MAX}, 3, {INT64_MAX - 2}},
};

Test(unit_rate_limit, max_offsets_per_trigger_is_prorated_as_in_spark) {
    for (size_t i = 0; i < sizeof limits / sizeof *limits; i++) {
        const lcase *c = &limits[i];
        int64_t to[3] = {0};
        wr_rate_limit(c->n, c->from, c->latest, c->limit, to);
        for (int k = 0; k < c->n; k++)
            cr_expect_eq(to[k], c->want[k], "case %zu split %d: %lld, want %lld", i, k,
                         (long long)to[k], (long long)c->want[k]);
    }
}

/* ---- a number with a unit, as Spark's JavaUtils reads "10s" or "64m" ---- */

Test(unit_options, a_number_with_a_unit) {
    static const char *const units[] = {"", "ms", "s", "min", NULL};
    static const struct {
        const char *s;
        bool ok;
        int64_t n;
        int unit;
    } cases[] = {
        {"10", true, 10, 0},   {" 10s ", true, 10, 2},
        {"5MIN", true, 5, 3},  {"250ms", true, 250, 1},
        {"10 s", false, 0, 0}, {"s", false, 0, 0},
        {"10x", false, 0, 0},  {"-1s", false, 0, 0},
        {"1.5s", false, 0, 0}, {"1234567890123456789", false, 0, 0},
        {"", false, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t n = -1;
        int u = -1;
        bool ok = wr_parse_with_unit(cases[i].s, units, &n, &u);
        cr_assert_eq(ok, cases[i].ok, "'%s'", cases[i].s);
        if (ok)
            cr_assert(n == cases[i].n && u == cases[i].unit, "'%s': %lld, unit %d", cases[i].s,
                      (long long)n, u);
    }
}
