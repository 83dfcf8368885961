/* End to end through a real Kafka protocol server: word count and webclicks
 * over a few hundred thousand messages on several partitions, compared with
 * answers computed here, independently of Weir; and every shipped example
 * gives its answer on every run. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/wr_broker.h"
#include "support.h"
#include "core/wr_core.h"

#define NWORDS 500

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lines of up to 8 words "w<id>"; some with a double space (an empty word) and
 * some empty (one empty word), as Spark's split counts them. */
static char **make_lines(int n, long counts[NWORDS + 1], unsigned seed) {
    char **lines = malloc(sizeof *lines * (size_t)n);
    memset(counts, 0, sizeof(long) * (NWORDS + 1));
    srand(seed);
    for (int i = 0; i < n; i++) {
        char buf[128];
        size_t len = 0;
        if (i % 1000 == 7) { /* empty line */
            counts[NWORDS]++;
            lines[i] = wr_xstrdup("");
            continue;
        }
        for (int w = 0; w < 8; w++) {
            int id = (rand() % NWORDS) * (rand() % 2) + rand() % 7; /* skewed */
            if (id >= NWORDS) id = NWORDS - 1;
            if (w) buf[len++] = ' ';
            if (w == 4 && i % 97 == 0) { /* double space: an empty word */
                buf[len++] = ' ';
                counts[NWORDS]++;
            }
            len += (size_t)sprintf(buf + len, "w%d", id);
            counts[id]++;
        }
        lines[i] = wr_xstrndup(buf, len);
    }
    return lines;
}

static char *expected_counts_csv(const long counts[NWORDS + 1]) {
    char *names[NWORDS];
    for (int i = 0; i < NWORDS; i++)
        names[i] = wr_xasprintf("w%d", i);
    qsort(names, NWORDS, sizeof *names, cmp_str);
    wr_buf b = {0};
    wr_buf_puts(&b, "word,count\n");
    if (counts[NWORDS]) wr_buf_printf(&b, ",%ld\n", counts[NWORDS]);
    for (int i = 0; i < NWORDS; i++) {
        int id = atoi(names[i] + 1);
        if (counts[id]) wr_buf_printf(&b, "%s,%ld\n", names[i], counts[id]);
        free(names[i]);
    }
    return b.p;
}

static void wordcount_case(const char *mode, const char *extra_opts) {
    char err[256];
    const char *bs;
    wr_broker *b = wrt_mock_start(&bs);
    cr_assert_eq(wr_broker_create_topic(b, "t1", 4, err, sizeof err), 0);
    enum { N = 200000 };
    long counts[NWORDS + 1];
    char **lines = make_lines(N, counts, 1234);
    wrt_produce(bs, "t1", -1, (const char *const *)lines, NULL, N);
    char *job = wr_xasprintf("CREATE SOURCE lines USING kafka OPTIONS ('kafka.bootstrap.servers' = "
                             "'%s', subscribe = 't1', "
                             "startingOffsets = 'earliest'%s);\n"
                             "CREATE SINK word_counts USING memory OPTIONS (outputMode = '%s');\n"
                             "INSERT INTO word_counts SELECT word, count(*) AS count\n"
                             "FROM (SELECT explode(split(CAST(value AS STRING), ' ')) AS word FROM "
                             "lines) GROUP BY word;\n"
                             "SELECT word, count FROM word_counts ORDER BY word;\n",
                             bs, extra_opts, mode);
    char *path = wrt_temp_job(job);
    wrt_result r = WRT_RUN(NULL, "run", path, "--trigger", "availableNow", "--format", "csv");
    cr_assert_eq(r.status, 0, "weir run failed: %s", r.err);
    char *want = expected_counts_csv(counts);
    cr_assert(!strcmp(r.out, want), "word counts differ (got %zu bytes, want %zu)", strlen(r.out),
              strlen(want));
    free(want);
    wrt_result_free(&r);
    unlink(path);
    free(path);
    free(job);
    for (int i = 0; i < N; i++)
        free(lines[i]);
    free(lines);
    wr_broker_stop(b);
}

Test(e2e, wordcount_200k_lines_in_one_batch, .timeout = 300) {
    wordcount_case("complete", "");
}

/* The same answer whatever the batches: 37 batches, update mode upserts. */
Test(e2e, wordcount_in_many_batches_gives_the_same_answer, .timeout = 300) {
    wordcount_case("update", ", maxOffsetsPerTrigger = 5500");
}

Test(e2e, webclicks_example_top10, .timeout = 300) {
    char err[256];
    const char *bs;
    wr_broker *b = wrt_mock_start(&bs);
    cr_assert_eq(wr_broker_create_topic(b, "t2", 8, err, sizeof err), 0);
    enum { N = 200000, NIPS = 305 }; /* ids 0..303 */
    char **lines = malloc(sizeof *lines * N);
    long sums[NIPS] = {0};
    srand(99);
    for (int i = 0; i < N; i++) {
        int ip = (rand() % 300) * (rand() % 3 ? 1 : 0) + rand() % 4;
        int spent = rand() % 600;
        if (i % 101 == 0) { /* a short line: no field 6, no time */
            lines[i] = wr_xasprintf("%d\ts%d\t/cart", 1700000000 + i, i);
            continue;
        }
        if (i % 89 == 0) { /* a time that is not a number: CAST gives NULL, sum skips it */
            lines[i] = wr_xasprintf("%d\ts%d\t/\tGET\t10.0.%d.%d\tcurl\tn/a\t200", 1700000000 + i,
                                    i, ip / 256, ip % 256);
            continue;
        }
        lines[i] = wr_xasprintf("%d\ts%d\t/p\tGET\t10.0.%d.%d\tMozilla/5.0\t%d\t200",
                                1700000000 + i, i, ip / 256, ip % 256, spent);
        sums[ip] += spent;
    }
    wrt_produce(bs, "t2", -1, (const char *const *)lines, NULL, N);
    char ck[] = "/tmp/weir-ck-XXXXXX"; /* not the example's own checkpoints/ folder */
    cr_assert_not_null(mkdtemp(ck));
    wrt_result r = WRT_RUN(NULL, "run", WEIR_SOURCE_DIR "/examples/webclicks.sql", "--bootstrap",
                           bs, "--checkpoint", ck, "--trigger", "availableNow", "--format", "csv");
    char *rm = wr_xasprintf("rm -rf %s", ck);
    cr_assert_eq(system(rm), 0);
    free(rm);
    cr_assert_eq(r.status, 0, "weir run failed: %s", r.err);
    /* expected top-10 sums */
    long sorted[NIPS];
    memcpy(sorted, sums, sizeof sorted);
    for (int i = 0; i < NIPS; i++)
        for (int j = i + 1; j < NIPS; j++)
            if (sorted[j] > sorted[i]) {
                long t = sorted[i];
                sorted[i] = sorted[j];
                sorted[j] = t;
            }
    char *save = NULL;
    char *line = strtok_r(r.out, "\n", &save);
    cr_assert_str_eq(line, "userip,t_ts");
    int k = 0;
    while ((line = strtok_r(NULL, "\n", &save))) {
        int a, c;
        long t;
        cr_assert_eq(sscanf(line, "10.0.%d.%d,%ld", &a, &c, &t), 3, "row: %s", line);
        cr_assert_eq(t, sums[a * 256 + c], "sum of 10.0.%d.%d", a, c);
        cr_assert_eq(t, sorted[k], "rank %d", k + 1);
        k++;
    }
    cr_assert_eq(k, 10);
    wrt_result_free(&r);
    for (int i = 0; i < N; i++)
        free(lines[i]);
    free(lines);
    wr_broker_stop(b);
}

static int cmp_line(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of text, sorted (a console table's rows come in any order). */
static char *sorted_lines(const char *text) {
    char *copy = wr_xstrdup(text), **v = NULL, *save = NULL;
    size_t n = 0;
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        v = wr_xrealloc(v, sizeof *v * (n + 1));
        v[n++] = l;
    }
    qsort(v, n, sizeof *v, cmp_line);
    wr_buf b = {0};
    for (size_t i = 0; i < n; i++)
        wr_buf_printf(&b, "%s\n", v[i]);
    free(v);
    free(copy);
    return b.p ? b.p : wr_xstrdup("");
}

static void produce_file(const char *bs, const char *topic, const char *file) {
    size_t len;
    char *text = wr_read_file(file, &len), *save = NULL;
    cr_assert_not_null(text, "%s", file);
    const char **v = NULL;
    int n = 0;
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        v = wr_xrealloc(v, sizeof *v * (size_t)(n + 1));
        v[n++] = l;
    }
    wrt_produce(bs, topic, -1, v, NULL, n);
    free(v);
    free(text);
}

/* Every shipped example, run twice as the README runs it (from a folder of
 * its own, availableNow), prints its answer both times: the same rows, not
 * an empty table the second time. */
Test(e2e, every_example_gives_its_answer_on_every_run, .timeout = 300) {
    char err[256];
    const char *bs;
    wr_broker *b = wrt_mock_start(&bs);
    cr_assert_eq(wr_broker_create_topic(b, "t1", 4, err, sizeof err), 0);
    cr_assert_eq(wr_broker_create_topic(b, "t2", 4, err, sizeof err), 0);
    produce_file(bs, "t1", WEIR_SOURCE_DIR "/examples/lines.txt");
    produce_file(bs, "t2", WEIR_SOURCE_DIR "/examples/webclicks.tsv");
    DIR *d = opendir(WEIR_SOURCE_DIR "/examples");
    cr_assert_not_null(d);
    struct dirent *e;
    int examples = 0;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".sql")) continue;
        examples++;
        char cwd[64];
        wrt_temp_dir(cwd, "example");
        /* the file examples read the .txt files of examples/ where they run */
        char *link = wr_xasprintf("%s/examples", cwd);
        cr_assert_eq(symlink(WEIR_SOURCE_DIR "/examples", link), 0);
        free(link);
        char *job = wr_xasprintf("%s/examples/%s", WEIR_SOURCE_DIR, e->d_name);
        wrt_child c = {.cwd = cwd};
        const char *const argv[] = {"run",          job,        "--bootstrap", bs,  "--trigger",
                                    "availableNow", "--format", "csv",         NULL};
        wrt_result r1 = wrt_run_as(&c, argv), r2 = wrt_run_as(&c, argv);
        cr_assert_eq(r1.status, 0, "%s: %s", e->d_name, r1.err);
        cr_assert_eq(r2.status, 0, "%s, second run: %s", e->d_name, r2.err);
        cr_assert_geq(wrt_count_lines(r1.out, r1.outlen), 3, "%s printed no answer: %s", e->d_name,
                      r1.out);
        char *s1 = sorted_lines(r1.out), *s2 = sorted_lines(r2.out);
        cr_assert_str_eq(s2, s1, "%s: the second run printed\n%s\nthe first\n%s", e->d_name, r2.out,
                         r1.out);
        free(s1), free(s2);
        wrt_result_free(&r1);
        wrt_result_free(&r2);
        free(job);
        wrt_remove_tree(cwd);
    }
    closedir(d);
    cr_assert_geq(examples, 3);
    wr_broker_stop(b);
}
