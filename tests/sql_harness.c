/* Implementation of the SQL behaviour-table harness (sql_harness.h). */
#include "sql_harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/wr_broker.h"
#include "support.h"
#include "core/wr_core.h"

void run_sql_cases(const sql_case *cases, int n) {
    char err[256];
    const char *bs;
    wr_broker *b = wrt_mock_start(&bs);
    for (int i = 0; i < n; i++) {
        const sql_case *c = &cases[i];
        char topic[32];
        snprintf(topic, sizeof topic, "case%d", i);
        cr_assert_eq(wr_broker_create_topic(b, topic, 1, err, sizeof err), 0);
        if (c->nmsgs) wrt_produce(bs, topic, 0, c->msgs, NULL, c->nmsgs);
        char *job =
            wr_xasprintf("CREATE SOURCE src USING kafka OPTIONS (subscribe = '%s', startingOffsets "
                         "= 'earliest'%s);\n"
                         "CREATE SINK out USING memory OPTIONS (outputMode = '%s');\n"
                         "INSERT INTO out %s;\n%s;\n",
                         topic, c->source_opts ? c->source_opts : "", c->mode ? c->mode : "append",
                         c->insert, c->query ? c->query : "SELECT * FROM out");
        char *path = wrt_temp_job(job);
        wrt_result r = WRT_RUN(NULL, "run", path, "--bootstrap", bs, "--trigger", "availableNow",
                               "--format", "csv");
        if (c->want_err) {
            cr_assert_eq(r.status, 1, "case %d (%s): weir run should fail, exited %d: %s", i,
                         c->insert, r.status, r.err);
            cr_assert_str_eq(r.err, c->want_err, "case %d: %s\n  got:\n%s\n  want:\n%s", i,
                             c->insert, r.err, c->want_err);
        } else {
            cr_assert_eq(r.status, 0, "case %d (%s): weir run failed (%d): %s", i, c->insert,
                         r.status, r.err);
        }
        if (c->want)
            cr_assert_str_eq(r.out, c->want, "case %d: %s\n  got:\n%s\n  want:\n%s", i, c->insert,
                             r.out, c->want);
        wrt_result_free(&r);
        unlink(path);
        free(path);
        free(job);
    }
    wr_broker_stop(b);
}
