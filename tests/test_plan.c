/* The plan itself (through wr_plan_job, no broker needed): values several
 * expressions share are computed once by an EXTEND step, in projections and
 * in the aggregation's inputs, and the results are as without sharing (the
 * SQL tables and end-to-end tests run such queries). */
#include <criterion/criterion.h>
#include <string.h>

#include "planner/wr_plan.h"
#include "sinks/wr_sinks.h"
#include "sources/wr_sources.h"

/* The columns of a Kafka row: key, value, topic, partition, offset, ... */
enum { KAFKA_OFFSET = 4, KAFKA_WIDTH = 7 };

static wr_job *plan(const char *text) {
    wr_strlist sets = {0};
    static const wr_kinds kinds = {wr_source_kinds, wr_sink_kinds};
    wr_plan_overrides ov = {.kinds = &kinds, .bootstrap = "localhost:1", .sets = &sets};
    char err[512];
    wr_job *job = wr_plan_job("t.sql", text, strlen(text), &ov, err, sizeof err);
    cr_assert_not_null(job, "%s", err);
    return job;
}

static int count_kind(const wr_query *q, wr_step_kind k) {
    int n = 0;
    for (int i = 0; i < q->nsteps; i++)
        n += q->steps[i].kind == k;
    return n;
}

Test(plan, a_split_used_twice_is_computed_once) {
    wr_job *job =
        plan("CREATE SOURCE clicks USING kafka OPTIONS (subscribe = 't');\n"
             "CREATE SINK m USING memory;\n"
             "INSERT INTO m SELECT split(CAST(value AS STRING), '\\t')[4] AS ip,\n"
             "  CAST(split(CAST(value AS STRING), '\\t')[6] AS INT) AS spent, offset FROM clicks;");
    const wr_query *q = &job->queries[0];
    cr_assert_eq(count_kind(q, WR_STEP_EXTEND), 1);
    const wr_step *ext = &q->steps[0], *proj = &q->steps[1];
    cr_assert_eq(ext->kind, WR_STEP_EXTEND);
    cr_assert_eq(ext->nexprs, 1, "one shared value: the split");
    cr_assert_eq(ext->exprs[0]->op, WR_E_FUNC);
    cr_assert_str_eq(ext->exprs[0]->fname, "split");
    cr_assert_eq(proj->kind, WR_STEP_PROJECT);
    /* ip = column 7 (the split) [4]; spent = CAST(column 7 [6]); offset stays column 4 */
    cr_assert_eq(proj->exprs[0]->op, WR_E_INDEX);
    cr_assert_eq(proj->exprs[0]->args[0]->op, WR_E_COL);
    cr_assert_eq(proj->exprs[0]->args[0]->col, KAFKA_WIDTH);
    cr_assert_eq(proj->exprs[1]->args[0]->args[0]->col, KAFKA_WIDTH);
    cr_assert_eq(proj->exprs[2]->op, WR_E_COL);
    cr_assert_eq(proj->exprs[2]->col, KAFKA_OFFSET);
    wr_job_free(job);
}

Test(plan, the_aggregation_inputs_share_too) {
    wr_job *job = plan("CREATE SOURCE clicks USING kafka OPTIONS (subscribe = 't');\n"
                       "CREATE SINK m USING memory OPTIONS (outputMode = 'complete');\n"
                       "INSERT INTO m SELECT split(CAST(value AS STRING), ',')[0] AS k, "
                       "sum(CAST(split(CAST(value AS STRING), ',')[1] AS INT)) AS s\n"
                       "  FROM clicks GROUP BY split(CAST(value AS STRING), ',')[0];");
    const wr_query *q = &job->queries[0];
    cr_assert_eq(q->nsteps, 1);
    cr_assert_eq(q->steps[0].kind, WR_STEP_EXTEND);
    cr_assert_eq(q->agg->keys[0]->op, WR_E_INDEX);
    cr_assert_eq(q->agg->keys[0]->args[0]->op, WR_E_COL, "the key reads the shared split");
    wr_job_free(job);
}

Test(plan, nothing_to_share_adds_no_step) {
    wr_job *job = plan("CREATE SOURCE clicks USING kafka OPTIONS (subscribe = 't');\n"
                       "CREATE SINK m USING memory;\n"
                       "INSERT INTO m SELECT upper(CAST(value AS STRING)) AS u, lower(CAST(value "
                       "AS STRING)) AS l FROM clicks;");
    const wr_query *q = &job->queries[0];
    /* CAST(value AS STRING) is a free view; the two different calls share nothing */
    cr_assert_eq(count_kind(q, WR_STEP_EXTEND), 0);
    wr_job_free(job);
}

/* How weir shell cuts its input: SQLite SQL where sqlite3_complete() says,
 * the job's own statements under its lexer's rules, each with its kind. */
Test(plan, statements_end_where_their_language_says) {
    static const struct {
        const char *text;
        wr_stmt_class cls;
        const char *stmt; /* what the statement takes, NULL: not ended yet */
        const char *name;
        bool extra;
    } cases[] = {
        {"SELECT 1; SELECT 2;", WR_STMT_SQL, "SELECT 1;"},
        {"SELECT 'a\\'; SELECT 1;", WR_STMT_SQL, "SELECT 'a\\';"},
        {"CREATE TRIGGER t AFTER INSERT ON m BEGIN SELECT 1; END; SELECT 2;", WR_STMT_SQL,
         "CREATE TRIGGER t AFTER INSERT ON m BEGIN SELECT 1; END;"},
        {"CREATE TRIGGER t AFTER INSERT ON m BEGIN SELECT 1;", WR_STMT_SQL, NULL},
        {"SELECT 'it''s;' AS s; x", WR_STMT_SQL, "SELECT 'it''s;' AS s;"},
        {"SELECT \"a;b\" FROM [c;d] -- e;\n;", WR_STMT_SQL, "SELECT \"a;b\" FROM [c;d] -- e;\n;"},
        {"WITH x AS (SELECT 1) SELECT * FROM x; y", WR_STMT_SQL,
         "WITH x AS (SELECT 1) SELECT * FROM x;"},
        {"SELECT 'abc", WR_STMT_SQL, NULL},
        {"CREATE TABLE t(a); x", WR_STMT_SQL, "CREATE TABLE t(a);"},
        {"INSERT INTO m VALUES (1); x", WR_STMT_SQL, "INSERT INTO m VALUES (1);"},
        {"CREATE SINK q USING memory OPTIONS (queryName = 'it\\'s; x'); rest", WR_STMT_JOB,
         "CREATE SINK q USING memory OPTIONS (queryName = 'it\\'s; x');"},
        {"create or replace temp view v as select 1 from s; x", WR_STMT_JOB,
         "create or replace temp view v as select 1 from s;"},
        {"CREATE STREAM s USING kafka OPTIONS (subscribe = 'a;b')", WR_STMT_JOB, NULL},
        {"SET a = 'x;y'; more", WR_STMT_JOB, "SET a = 'x;y';"},
        {"INSERT INTO `my sink` SELECT `a;` FROM s; x", WR_STMT_JOB,
         "INSERT INTO `my sink` SELECT `a;` FROM s;", "my sink"},
        {"insert\ninto m -- the sink\n select 1 from s;", WR_STMT_JOB,
         "insert\ninto m -- the sink\n select 1 from s;", "m"},
        {"describe table m;", WR_STMT_DESCRIBE, "describe table m;", "m"},
        {"DESC m x;", WR_STMT_DESCRIBE, "DESC m x;", "m", true},
        {"DESCRIBE table;", WR_STMT_DESCRIBE, "DESCRIBE table;", "table"},
        {"SHOW TABLES;", WR_STMT_SHOW, "SHOW TABLES;", "TABLES"},
        {"SHOW QUERIES now;", WR_STMT_SHOW, "SHOW QUERIES now;", "QUERIES", true},
        {"  -- c\n /* d */ \n", WR_STMT_BLANK, "  -- c\n /* d */ \n"},
        {"/* open", WR_STMT_BLANK, NULL},
        {";", WR_STMT_SQL, ";"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wr_stmt_span sp;
        wr_statement_span(cases[i].text, strlen(cases[i].text), &sp);
        cr_expect_eq(sp.cls, cases[i].cls, "%s: class %d", cases[i].text, (int)sp.cls);
        size_t want = cases[i].stmt ? strlen(cases[i].stmt) : 0;
        cr_expect_eq(sp.len, want, "%s: takes %zu bytes, not %zu", cases[i].text, sp.len, want);
        cr_expect_str_eq(sp.name, cases[i].name ? cases[i].name : "", "%s", cases[i].text);
        cr_expect_eq(sp.extra, cases[i].extra, "%s", cases[i].text);
    }
}
