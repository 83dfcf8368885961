/* Unit tests of a batch's progress object (engine/progress.c): the rates are
 * Spark's, rows over max(1 ms, the time), so a batch that took 0 ms does not
 * report 0 rows a second; a run's first batch has no input rate (0). */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/progress.h"
#include "planner/wr_plan.h"
#include "sinks/wr_sinks.h"
#include "sources/wr_sources.h"

static double rate_of(const wr_query *q, int64_t rows, int64_t since_last_ms, int64_t total_ms,
                      const char *key) {
    wr_progress p = {.id = "i",
                     .run_id = "r",
                     .input_rows = rows,
                     .since_last_ms = since_last_ms,
                     .total_ms = total_ms};
    json_t *j = wr_progress_json(q, &p);
    double top = json_real_value(json_object_get(j, key));
    double src =
        json_real_value(json_object_get(json_array_get(json_object_get(j, "sources"), 0), key));
    cr_assert_eq(top, src, "%s: %f at the top, %f in sources", key, top, src);
    json_decref(j);
    return top;
}

Test(unit_progress, rates_count_at_least_one_millisecond) {
    static const wr_kinds kinds = {wr_source_kinds, wr_sink_kinds};
    wr_strlist sets = {0};
    wr_plan_overrides ov = {.kinds = &kinds, .sets = &sets};
    const char *text = "CREATE SOURCE r USING rate;\nCREATE SINK m USING memory;\n"
                       "INSERT INTO m SELECT value FROM r;";
    char err[512];
    wr_job *job = wr_plan_job("t.sql", text, strlen(text), &ov, err, sizeof err);
    cr_assert_not_null(job, "%s", err);
    const wr_query *q = &job->queries[0];
    static const struct {
        int64_t rows, since_last_ms, total_ms;
        double input, processed;
    } cases[] = {
        {5, -1, 0, 0.0, 5000.0},   /* the first batch, in 0 ms */
        {5, 0, 0, 5000.0, 5000.0}, /* two triggers in the same millisecond */
        {5, 4, 2, 1250.0, 2500.0}, {0, 3, 0, 0.0, 0.0}, {7, -1, 1000, 0.0, 7.0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_expect_eq(rate_of(q, cases[i].rows, cases[i].since_last_ms, cases[i].total_ms,
                             "inputRowsPerSecond"),
                     cases[i].input, "case %zu", i);
        cr_expect_eq(rate_of(q, cases[i].rows, cases[i].since_last_ms, cases[i].total_ms,
                             "processedRowsPerSecond"),
                     cases[i].processed, "case %zu", i);
    }
    wr_job_free(job);
}
