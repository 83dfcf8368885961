/* Harness for SQL behaviour tables: each case produces its messages to a topic
 * of its own on an in-process mock cluster, runs a one-query job through the
 * real `weir run` (memory sink, availableNow) and compares the CSV of a
 * trailing SELECT with the expected text exactly. */
#ifndef WR_TEST_SQL_HARNESS_H
#define WR_TEST_SQL_HARNESS_H

#define NULLMSG ((const char *)0)

typedef struct sql_case {
    const char *msgs[12];
    int nmsgs;
    const char *insert;      /* "SELECT ... FROM src ..." */
    const char *query;       /* trailing SELECT; default: SELECT * FROM out */
    const char *want;        /* CSV with header */
    const char *mode;        /* default append */
    const char *source_opts; /* extra source options, e.g. ", maxOffsetsPerTrigger = 2" */
    const char *want_err;    /* when set: weir run exits 1 with exactly this on stderr */
} sql_case;

/* Runs every case; fails the test at the first mismatch, naming the case. */
void run_sql_cases(const sql_case *cases, int n);

#endif
