/* Malformed jobs: each gives one clear line naming file, line and column (or
 * the option), a non-zero exit, and never a crash. No broker is needed: jobs
 * fail while planning, before any connection. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "support.h"
#include "core/wr_core.h"

#define SRC                                                                                        \
    "CREATE SOURCE lines USING kafka OPTIONS ('kafka.bootstrap.servers' = 'localhost:1', "         \
    "subscribe = 't1');\n"
#define SINK  "CREATE SINK out USING console OPTIONS (outputMode = 'complete');\n"
#define ASINK "CREATE SINK out USING memory OPTIONS (outputMode = 'append');\n"

typedef struct bad_job {
    const char *text;
    const char *want; /* expected stderr line after "FILE:" (the temp path) */
} bad_job;

static const bad_job jobs[] = {
    /* syntax */
    {SRC SINK "INSERT INTO out SELECT word, count(*\nFROM lines GROUP BY word;",
     "4:1: expected ')' after function arguments, found 'FROM'"},
    {SRC SINK "INSERT INTO out SELECT FROM lines;",
     "3:24: expected an expression in the select list, found 'FROM'"},
    {SRC SINK "INSERT INTO out SELECT value lines;",
     "3:35: expected FROM after the select list: a streaming query reads a source"},
    {SRC SINK "INSERT out SELECT value FROM lines;",
     "3:8: expected INTO after INSERT, found 'out'"},
    {SRC "CREATE SINK out USING console OPTIONS (outputMode 'complete';",
     "2:61: expected ')' after the options, found ';'"},
    {SRC "DROP TABLE x;", "2:1: expected CREATE, INSERT, SET or SELECT, found 'DROP'"},
    {SRC SINK "INSERT INTO out SELECT 'abc FROM lines;", "3:24: unterminated string literal"},
    {SRC SINK "INSERT INTO out SELECT value FROM lines /* never closed",
     "3:41: unterminated /* comment"},
    {SRC SINK "INSERT INTO out SELECT value # 1 FROM lines;", "3:30: unexpected character '#'"},
    {SRC SINK "INSERT INTO out SELECT CAST(value STRING) FROM lines;",
     "3:35: expected AS in CAST(expr AS type), found 'STRING'"},
    {SRC SINK "INSERT INTO out SELECT value FROM lines ORDER BY value;",
     "3:41: ORDER BY is not supported in a streaming query (sort or limit in a trailing SELECT "
     "over a memory sink)"},
    {SRC SINK "INSERT INTO out SELECT a.value FROM lines a JOIN lines b ON a.key = b.key;",
     "3:45: joins are not supported yet"},
    {SRC SINK "INSERT INTO out SELECT value FROM lines\nWHERE CASE WHEN true THEN 1;",
     "4:28: expected END to close CASE, found ';'"},
    /* names */
    {SRC SINK "INSERT INTO out SELECT word FROM lines;",
     "3:24: unknown column 'word' (columns in scope: key, value, topic, partition, offset, "
     "timestamp, timestampType)"},
    {SRC SINK "INSERT INTO out SELECT value FROM clicks;",
     "3:35: unknown source or view 'clicks' (declared: lines)"},
    {SRC SINK "INSERT INTO out SELECT frobnicate(value) FROM lines;",
     "3:24: unknown function frobnicate"},
    {SRC SINK "INSERT INTO sink2 SELECT value FROM lines;",
     "3:1: unknown sink 'sink2': declare it with CREATE SINK sink2 USING console|memory|csv|json "
     "OPTIONS (...)"},
    {SRC SINK "INSERT INTO out SELECT x.value FROM lines AS l;",
     "3:24: unknown relation or column 'x' in 'x.value'"},
    {SRC SRC, "2:1: 'lines' is already declared"},
    /* types and functions */
    {SRC SINK "INSERT INTO out SELECT split(value) FROM lines;",
     "3:24: split takes 2 to 3 arguments, not 1"},
    {SRC SINK "INSERT INTO out SELECT CAST(value AS DECIMALS) FROM lines;",
     "3:24: unknown type 'DECIMALS' in CAST"},
    {SRC SINK "INSERT INTO out SELECT explode(value) AS w FROM lines;",
     "3:32: explode needs an array, not BINARY"},
    {SRC ASINK "INSERT INTO out SELECT concat('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', "
               "'k', 'l', 'm', 'n', 'o', 'p', 'q') AS c FROM lines;",
     "3:24: concat: too many arguments (17; a function takes at most 16)"},
    {SRC SINK "INSERT INTO out SELECT split(CAST(value AS STRING), '(') FROM lines;",
     "3:24: split: invalid regular expression '('"},
    {SRC SINK "INSERT INTO out SELECT value FROM lines WHERE count(*) > 1;",
     "3:47: aggregate functions are not allowed in WHERE (use HAVING)"},
    {SRC SINK "INSERT INTO out SELECT value, count(*) FROM lines GROUP BY key;",
     "3:24: column 'value' is neither in GROUP BY nor inside an aggregate function"},
    {SRC SINK "INSERT INTO out SELECT sum(split(CAST(value AS STRING), ' ')) FROM lines;",
     "3:28: sum needs a number, not ARRAY<STRING>"},
    {SRC SINK "INSERT INTO out SELECT upper(split(CAST(value AS STRING), ' ')) FROM lines;",
     "3:24: upper: argument 1 must be a STRING, not ARRAY<STRING>"},
    {SRC SINK "INSERT INTO out SELECT value FROM lines WHERE offset;",
     "3:47: WHERE needs a BOOLEAN condition, not BIGINT"},
    {SRC SINK "INSERT INTO out SELECT split(CAST(value AS STRING), ' ') = 1 FROM lines;",
     "3:24: cannot compare ARRAY<STRING> with INT"},
    {SRC SINK "INSERT INTO out SELECT regexp_extract(CAST(value AS STRING), '(a)', 2) FROM lines;",
     "3:24: regexp_extract: group index 2 is out of range: the pattern has 1 group"},
    /* output modes */
    {SRC SINK "INSERT INTO out SELECT value FROM lines;",
     "3:1: outputMode 'complete' needs an aggregation"},
    {SRC ASINK "INSERT INTO out SELECT value, count(*) AS n FROM lines GROUP BY value;",
     "3:1: outputMode 'append' is not allowed for an aggregation without a watermark"},
    {SRC "CREATE SINK out USING memory OPTIONS (outputMode = 'update');\nINSERT INTO out SELECT "
         "count(*) AS n FROM lines GROUP BY value;",
     "3:1: outputMode 'update' on memory sink out upserts rows by their GROUP BY keys"},
    /* options */
    {"CREATE SOURCE lines USING kafka OPTIONS (subscribe = 't1', startingOffset = 'earliest');",
     "1:60: unknown option 'startingOffset' for a kafka source (valid: kafka.<librdkafka setting>, "
     "subscribe,"},
    {"CREATE SOURCE lines USING kafka OPTIONS (subscribe = 't1', startingOffsets = 'first');",
     "1:60: option startingOffsets must be earliest, latest or JSON like"},
    {"CREATE SOURCE lines USING kafka OPTIONS (subscribe = 't1', maxOffsetsPerTrigger = '-5');",
     "1:60: option maxOffsetsPerTrigger must be a positive whole number, not '-5'"},
    {"CREATE SOURCE lines USING kafka OPTIONS (startingOffsets = 'earliest');",
     "1:1: source lines needs exactly one of the options subscribe, subscribePattern or assign"},
    {"CREATE SOURCE lines USING kafka OPTIONS (subscribe = 't1', 'kafka.no.such' = '1');",
     "1:60: option kafka.no.such: No such configuration property"},
    {"CREATE SOURCE lines USING kafka OPTIONS (subscribe = 't1', 'kafka.enable.auto.commit' = "
     "'true');",
     "1:60: option kafka.enable.auto.commit is managed by Weir"},
    {"CREATE SOURCE lines USING files OPTIONS (path = '/tmp');",
     "1:27: source format 'files' is not supported (supported: kafka, rate, text, csv, json)"},
    /* the rate source's options */
    {"CREATE SOURCE r USING rate OPTIONS (rowsPerSecond = 0);",
     "1:37: option rowsPerSecond must be a positive whole number, not '0'"},
    {"CREATE SOURCE r USING rate OPTIONS (rowsPerSecond = - 2.5);",
     "1:37: option rowsPerSecond must be a positive whole number, not '-2.5'"},
    {SRC "CREATE SINK out USING console OPTIONS (numRows = -1);",
     "2:40: option numRows must be a whole number from 1 to 2147483647, not '-1'"},
    {SRC "CREATE SINK out USING console OPTIONS (numRows = -);",
     "2:50: expected a value for the option, found '-'"},
    {"CREATE SOURCE r USING rate OPTIONS (rampUpTime = 'soon');",
     "1:37: option rampUpTime must be a time such as 0s, 10s, 2m or 1h, not 'soon'"},
    {"CREATE SOURCE r USING rate OPTIONS (numPartitions = 5000);",
     "1:37: option numPartitions must be a whole number from 1 to 4096, not '5000'"},
    {"CREATE SOURCE r USING rate OPTIONS (rowsPerSec = 5);",
     "1:37: unknown option 'rowsPerSec' for a rate source (valid: rowsPerSecond, rampUpTime, "
     "numPartitions); did you mean 'rowsPerSecond'?"},
    {"CREATE SOURCE r USING rate OPTIONS (rowsPerSecond = 9223372036854775807, rampUpTime = "
     "'2d');",
     "1:74: option rampUpTime: 172800 seconds at rowsPerSecond 9223372036854775807 overflow the "
     "BIGINT values"},
    {SRC "CREATE SINK out USING console OPTIONS (outputMode = 'replace');",
     "2:40: option outputMode must be append, update or complete, not 'replace'"},
    {SRC "CREATE SINK out USING console OPTIONS (trigger = 'sometimes');",
     "2:40: option trigger 'sometimes' is not valid (accepted: availableNow, once, "
     "processingTime=<interval>"},
    {SRC "CREATE SINK out USING console OPTIONS (colour = 'red');",
     "2:40: unknown option 'colour' for a console sink (valid: outputMode, checkpointLocation, "
     "trigger, queryName, numRows, truncate)"},
    {SRC "CREATE SINK out USING parquet OPTIONS (path = 'x');",
     "2:23: sink format 'parquet' is not supported yet (supported: console, memory, csv, json)"},
    {SRC "SET spark.sql.shuffle.partitions = many;",
     "2:1: setting spark.sql.shuffle.partitions must be a whole number from 1 to 4096, not 'many'"},
    {SRC "SET weir.colour = 1;", "2:1: unknown setting 'weir.colour'"},
    {"CREATE SOURCE lines USING kafka OPTIONS (subscribe = 't1');\n" SINK
     "INSERT INTO out SELECT value, count(*) FROM lines GROUP BY value;",
     "source lines has no option 'kafka.bootstrap.servers' (set it, or give --bootstrap)"},
    {SRC "CREATE VIEW v AS SELECT count(*) AS n FROM lines;",
     "2:18: aggregation in a subquery or view is not supported yet"},
    /* event time */
    {SRC SINK "INSERT INTO out SELECT count(*) AS n FROM lines GROUP BY window(value, '1 minute');",
     "3:65: window needs a TIMESTAMP time column, not BINARY"},
    {SRC SINK "INSERT INTO out SELECT count(*) AS n FROM lines GROUP BY window(timestamp, 'soon');",
     "3:76: the window size must be a constant interval such as '10 minutes' or INTERVAL 10 "
     "MINUTES"},
    {SRC SINK "INSERT INTO out SELECT count(*) AS n FROM lines GROUP BY window(timestamp, '1 "
              "minute', '2 minutes');",
     "3:88: the window slide must not exceed the window size"},
    {SRC SINK "INSERT INTO out SELECT count(*) AS n FROM lines GROUP BY window(timestamp, '1 "
              "minute'), session_window(timestamp, '1 minute');",
     "3:89: GROUP BY takes one window() or session_window()"},
    {SRC ASINK "INSERT INTO out SELECT window(timestamp, '1 minute') AS w FROM lines;",
     "3:24: window is only for GROUP BY (an event-time aggregation)"},
    {SRC ASINK
     "INSERT INTO out SELECT offset FROM lines WATERMARK value DELAY OF INTERVAL 10 SECONDS;",
     "3:36: the WATERMARK column value must be a TIMESTAMP, not BINARY"},
    {SRC ASINK "INSERT INTO out SELECT topic, count(*) AS n FROM lines WATERMARK timestamp DELAY "
               "OF INTERVAL 10 SECONDS GROUP BY topic;",
     "3:1: outputMode 'append' needs the WATERMARK column or a window of it among the GROUP BY "
     "keys"},
    {SRC SINK "INSERT INTO out SELECT window.middle, count(*) AS n FROM lines GROUP BY "
              "window(timestamp, '1 minute');",
     "3:24: a window has fields start and end, not 'middle'"},
    {SRC SINK "INSERT INTO out SELECT count(*) AS n FROM lines GROUP BY window(timestamp, '1 day', "
              "'1 millisecond');",
     "3:58: this window puts each row into 86400000 windows (its size divided by its slide); at "
     "most 10000 are allowed"},
    {SRC SINK "INSERT INTO out SELECT count(*) AS n FROM lines GROUP BY window(timestamp, INTERVAL "
              "1 MINUTE, INTERVAL 0.0000001 MINUTES);",
     "3:58: this window puts each row into 10000000 windows"},
    {SRC SINK
     "INSERT INTO out SELECT count(*) AS n FROM lines GROUP BY window(timestamp, '1000000 weeks');",
     "3:76: the window size is longer than 10,000 years"},
    {SRC SINK
     "INSERT INTO out SELECT count(*) AS n FROM lines GROUP BY window(timestamp, '0x10 minutes');",
     "3:76: the window size must be a constant interval such as '10 minutes' or INTERVAL 10 "
     "MINUTES: malformed interval '0x10 minutes' (expected a decimal number and a unit"},
    {SRC SINK
     "INSERT INTO out SELECT count(*) AS n FROM lines GROUP BY window(timestamp, '1e3 seconds');",
     "3:76: the window size must be a constant interval such as '10 minutes' or INTERVAL 10 "
     "MINUTES: malformed interval '1e3 seconds'"},
    {SRC SINK "INSERT INTO out SELECT count(*) AS n FROM lines GROUP BY window(timestamp, "
              "'99999999999999 days');",
     "3:76: the window size must be a constant interval such as '10 minutes' or INTERVAL 10 "
     "MINUTES: interval '99999999999999 days' is too large (intervals are microseconds in 64 bits"},
    {SRC ASINK "INSERT INTO out SELECT offset FROM lines WATERMARK timestamp DELAY OF INTERVAL "
               "9999999999999 DAYS;",
     "3:80: interval 9999999999999 is too large (intervals are microseconds in 64 bits"},
    {SRC ASINK "INSERT INTO out SELECT offset FROM lines WATERMARK timestamp DELAY OF INTERVAL "
               "'inf' SECONDS;",
     "3:80: malformed interval number 'inf'"},
    {SRC ASINK "INSERT INTO out SELECT INTERVAL 1 HOUR AS h FROM lines;",
     "3:24: an interval is only allowed as an argument of window() or session_window() and after "
     "WATERMARK col DELAY OF"},
    {SRC
     "CREATE SINK out USING console OPTIONS (trigger = 'processingTime=99999999999999999 hours');",
     "2:40: option trigger 'processingTime=99999999999999999 hours': interval '99999999999999999 "
     "hours' is too large"},
    /* what comes out */
    {SRC ASINK "INSERT INTO out SELECT value, CAST(value AS STRING) FROM lines;",
     "3:17: the query's output has two columns named 'value' (columns 1 and 2): give one of them "
     "another name with AS"},
    {SRC ASINK "INSERT INTO out SELECT offset AS n, partition AS N FROM lines;",
     "3:17: the query's output has two columns named 'N'"},
    {SRC SINK "INSERT INTO out SELECT count(*) AS c FROM lines GROUP BY c;",
     "3:58: aggregate functions are not allowed in GROUP BY (this name is the alias of an "
     "aggregate in the select list)"},
    /* NUL bytes never cut a value short */
    {"CREATE SOURCE lines USING kafka OPTIONS ('kafka.bootstrap.servers' = 'localhost:1', "
     "subscribe = 't1\\0t2');",
     "1:97: the value of option subscribe contains a NUL byte"},
    {SRC "SET weir.workers = '2\\0';",
     "2:20: the value of setting weir.workers contains a NUL byte"},
    /* file sinks */
    {SRC "CREATE SINK out USING csv OPTIONS (checkpointLocation = '/tmp/c');",
     "2:1: a csv sink needs option path (the folder its files go to)"},
    {SRC "CREATE SINK out USING csv OPTIONS (path = '/tmp/o', sep = ';;');",
     "2:53: option sep must be one character (not a line break), not ';;'"},
    {SRC "CREATE SINK out USING csv OPTIONS (path = '/tmp/o', quote = ',');",
     "2:1: csv sink out: sep must differ from quote and escape"},
    {SRC "CREATE SINK out USING json OPTIONS (path = '/tmp/o', header = 'true');",
     "2:54: unknown option 'header' for a json sink (valid: path, outputMode, checkpointLocation, "
     "trigger, queryName)"},
    {SRC "CREATE SINK out USING csv OPTIONS (path = '/tmp/o', checkpointLocation = '/tmp/c', "
         "outputMode = 'complete');\n"
         "INSERT INTO out SELECT value, count(*) AS n FROM lines GROUP BY value;",
     "3:1: a csv sink only appends (files are never rewritten): outputMode 'complete' is not "
     "allowed for sink out"},
    {SRC "CREATE SINK out USING json OPTIONS (path = '/tmp/o', checkpointLocation = '/tmp/c');\n"
         "INSERT INTO out SELECT CAST(value AS STRING) AS v, count(*) AS n FROM lines GROUP BY "
         "CAST(value AS STRING);",
     "3:1: a json sink only appends, and an aggregation without a watermark never finishes a row"},
    {SRC "CREATE SINK out USING json OPTIONS (path = '/tmp/o');\nINSERT INTO out SELECT value FROM "
         "lines;",
     "3:1: a json sink is exactly-once through its checkpoint: give sink out option "
     "checkpointLocation (or weir run --checkpoint DIR)"},
    {SRC "CREATE SINK out USING csv OPTIONS (path = '/tmp/o', checkpointLocation = "
         "'/tmp/c');\nINSERT INTO out SELECT value FROM lines;",
     "3:1: a csv sink cannot hold column value of type BINARY: cast it to STRING, or use a json "
     "sink"},
    {SRC "CREATE SINK out USING memory OPTIONS (checkpointLocation = '');\nINSERT INTO out SELECT "
         "value FROM lines;",
     "2:39: option checkpointLocation must name a folder (it is empty)"},
    /* file sources */
    {"CREATE SOURCE s USING csv OPTIONS (path = '/tmp', schema = 'id INT, name STRIN');",
     "1:51: option schema: column name has unknown type 'STRIN' (types: STRING, INT, BIGINT, "
     "DOUBLE, BOOLEAN, TIMESTAMP, BINARY)"},
    {"CREATE SOURCE s USING json OPTIONS (path = '/tmp',\n  schema = 'id INT,');",
     "2:3: option schema ends with ','"},
    {"CREATE SOURCE s USING csv OPTIONS (path = '/tmp', schema = 'id');",
     "1:51: option schema: column id has no type"},
    {"CREATE SOURCE s USING csv OPTIONS (path = '/tmp', schema = 'a INT, A STRING');",
     "1:51: option schema names column A twice"},
    {"CREATE SOURCE s USING csv OPTIONS (path = '/tmp');",
     "1:1: source s needs option schema, its columns such as 'id INT, name STRING'"},
    {"CREATE SOURCE s USING text OPTIONS (maxFilesPerTrigger = 2);",
     "1:1: source s needs option path: a folder, a file or a glob of files"},
    {"CREATE SOURCE s USING text OPTIONS (path = '/tmp', maxFilesPerTriger = 2);",
     "1:52: unknown option 'maxFilesPerTriger' for a text source (valid: path, "
     "maxFilesPerTrigger, maxBytesPerTrigger, latestFirst, maxFileAge, fileNameOnly, cleanSource, "
     "sourceArchiveDir, pathGlobFilter, ignoreMissingFiles, numPartitions, lineSep, wholetext); "
     "did you mean 'maxFilesPerTrigger'?"},
    {"CREATE SOURCE s USING text OPTIONS (path = '/tmp', schema = 'a INT');",
     "1:52: unknown option 'schema' for a text source"},
    {"CREATE SOURCE s USING text OPTIONS (path = '/tmp', cleanSource = 'archive');",
     "1:52: option cleanSource = archive needs option sourceArchiveDir: the folder files are "
     "moved to"},
    {"CREATE SOURCE s USING text OPTIONS (path = '/tmp', cleanSource = 'move');",
     "1:52: option cleanSource must be archive, delete or off, not 'move'"},
    {"CREATE SOURCE s USING text OPTIONS (path = '/tmp', maxFileAge = 'soon');",
     "1:52: option maxFileAge must be a time such as 30s, 10m, 2h or 7d, not 'soon'"},
    {"CREATE SOURCE s USING text OPTIONS (path = '/tmp', maxFilesPerTrigger = 2, "
     "maxBytesPerTrigger = '1m');",
     "1:76: options maxFilesPerTrigger and maxBytesPerTrigger cannot both be set"},
    {"CREATE SOURCE s USING text OPTIONS (path = '/tmp', maxBytesPerTrigger = 'lots');",
     "1:52: option maxBytesPerTrigger must be a positive size such as 1048576, 64m or 1g, not "
     "'lots'"},
    {"CREATE SOURCE s USING json OPTIONS (path = '/tmp', schema = 'a INT', mode = 'LENIENT');",
     "1:70: option mode must be PERMISSIVE, DROPMALFORMED or FAILFAST, not 'LENIENT'"},
    {"CREATE SOURCE s USING json OPTIONS (path = '/tmp', schema = 'a INT', inferSchema = true);",
     "1:70: option inferSchema is not supported yet: a streaming source needs its schema given: "
     "set schema"},
    {"CREATE SOURCE s USING csv OPTIONS (path = '/tmp', schema = 'a INT', sep = '\"');",
     "1:69: csv source s: sep must differ from quote and escape"},
    {"CREATE SOURCE s USING csv OPTIONS (path = '/tmp', schema = 'a INT', lineSep = ';;');",
     "1:69: option lineSep of a csv source must be one character"},
    {"CREATE SOURCE s USING text OPTIONS (path = '/tmp', multiLine = true);",
     "1:52: option multiLine is not supported yet"},
    /* the run's readers attach each memory sink's file: SQLite attaches at most 10 */
    {SRC "CREATE SINK m1 USING memory OPTIONS (path = '/nonexistent/1.sqlite');\n"
         "CREATE SINK m2 USING memory OPTIONS (path = '/nonexistent/2.sqlite');\n"
         "CREATE SINK m3 USING memory OPTIONS (path = '/nonexistent/3.sqlite');\n"
         "CREATE SINK m4 USING memory OPTIONS (path = '/nonexistent/4.sqlite');\n"
         "CREATE SINK m5 USING memory OPTIONS (path = '/nonexistent/5.sqlite');\n"
         "CREATE SINK m6 USING memory OPTIONS (path = '/nonexistent/6.sqlite');\n"
         "CREATE SINK m7 USING memory;\n"
         "CREATE SINK m8 USING memory OPTIONS (path = '/nonexistent/8.sqlite');\n"
         "CREATE SINK m9 USING memory OPTIONS (path = '/nonexistent/9.sqlite');\n"
         "CREATE SINK m10 USING memory OPTIONS (path = '/nonexistent/10.sqlite');\n"
         "CREATE SINK m11 USING memory OPTIONS (path = '/nonexistent/11.sqlite');\n"
         "  CREATE SINK m12 USING memory OPTIONS (path = '/nonexistent/12.sqlite');\n",
     "13:3: at most 10 memory sinks with a path per job: SQLite attaches at most 10 databases"},
    /* trailing SELECTs: SQLite's word on each, at the SELECT, before any query starts */
    {SRC ASINK "INSERT INTO out SELECT value FROM lines;\nSELECT nope FROM out;",
     "4:1: no such column: nope"},
    {SRC ASINK "INSERT INTO out SELECT value FROM lines;\nSELECT * FROM outt;",
     "4:1: no such table: outt"},
    {SRC ASINK "INSERT INTO out SELECT value FROM lines;\nSELECT 1 AS one;\n  SELECT "
               "hex(fts3_tokenizer('simple'));",
     "5:3: function fts3_tokenizer is not allowed in SQL over sinks"},
    {SRC ASINK "INSERT INTO out SELECT value FROM lines;\nSELECT 'a\\'; SELECT nope FROM out;",
     "4:14: no such column: nope"},
    {SRC ASINK "INSERT INTO out SELECT value FROM lines;\nSELECT 'abc FROM out",
     "4:1: this SELECT never ends: a string, quoted name or comment in it is not closed"},
    {SRC SINK
     "INSERT INTO out SELECT value, count(*) AS n FROM lines GROUP BY value;\nSELECT * FROM out;",
     "4:1: no such table: out"},
    {SRC "CREATE SINK f USING csv OPTIONS (path = '/tmp/o', checkpointLocation = '/tmp/c');\n"
         "INSERT INTO f SELECT CAST(value AS STRING) AS v FROM lines;\nSELECT w FROM f;",
     "4:1: no such column: w"},
};

Test(job_errors, each_malformed_job_gives_one_clear_line) {
    cr_assert_geq(sizeof jobs / sizeof jobs[0], 30);
    for (size_t i = 0; i < sizeof jobs / sizeof jobs[0]; i++) {
        char *path = wrt_temp_job(jobs[i].text);
        wrt_result r = WRT_RUN(NULL, "run", path, "--trigger", "once");
        cr_expect_eq(r.status, 1, "job %zu: exit %d, stderr: %s", i, r.status, r.err);
        cr_expect_eq(wrt_count_lines(r.err, strlen(r.err)), 1, "job %zu: not one line: %s", i,
                     r.err);
        char *want = wr_xasprintf("%s:%s", path, jobs[i].want);
        bool at_start = !strncmp(r.err, want, strlen(want));
        bool anywhere = strstr(r.err, jobs[i].want) != NULL;
        cr_expect(jobs[i].want[0] >= '0' && jobs[i].want[0] <= '9' ? at_start : anywhere,
                  "job %zu:\n  got:  %s  want: %s", i, r.err, want);
        free(want);
        wrt_result_free(&r);
        unlink(path);
        free(path);
    }
}

Test(job_errors, command_line_errors) {
    wrt_result r = WRT_RUN(NULL, "run");
    cr_assert_eq(r.status, 2);
    cr_assert_str_eq(r.err, "weir run: a job file is required (weir run JOB.sql)\n");
    wrt_result_free(&r);
    r = WRT_RUN(NULL, "run", "/nonexistent/job.sql");
    cr_assert_eq(r.status, 1);
    cr_assert_str_eq(r.err,
                     "weir run: cannot read /nonexistent/job.sql: No such file or directory\n");
    wrt_result_free(&r);
    r = WRT_RUN(NULL, "run", "/tmp"); /* a folder is not an empty job */
    cr_assert_eq(r.status, 1);
    cr_assert_str_eq(r.err, "weir run: cannot read /tmp: Is a directory\n");
    wrt_result_free(&r);
    r = WRT_RUN(NULL, "shell", "/tmp");
    cr_assert_eq(r.status, 1);
    cr_assert_str_eq(r.err, "weir shell: cannot read /tmp: Is a directory\n");
    wrt_result_free(&r);
    char *path =
        wrt_temp_job(SRC SINK "INSERT INTO out SELECT value, count(*) FROM lines GROUP BY value;");
    r = WRT_RUN(NULL, "run", path, "--format", "xml");
    cr_assert_eq(r.status, 2);
    cr_assert_str_eq(r.err, "weir run: --format must be table, csv or json, not 'xml'\n");
    wrt_result_free(&r);
    /* usage errors: exit 2, "weir run:", before the job is even read */
    r = WRT_RUN(NULL, "run", path, "--trigger", "whenever");
    cr_assert_eq(r.status, 2);
    cr_assert_str_eq(
        r.err,
        "weir run: --trigger: trigger 'whenever' is not valid (accepted: availableNow, once, "
        "processingTime=<interval> such as 'processingTime=5 seconds')\n");
    wrt_result_free(&r);
    r = WRT_RUN(NULL, "run", path, "--set", "weir.workers=0");
    cr_assert_eq(r.status, 2);
    cr_assert_str_eq(r.err, "weir run: --set weir.workers=0: setting weir.workers must be a whole "
                            "number from 1 to 4096, not '0'\n");
    wrt_result_free(&r);
    r = WRT_RUN(NULL, "run", "/nonexistent/job.sql", "--set", "foo=bar");
    cr_assert_eq(r.status, 2);
    cr_assert_str_eq(
        r.err,
        "weir run: --set foo=bar: unknown setting 'foo' (settings: spark.sql.shuffle.partitions, "
        "weir.shuffle.partitions, weir.workers, spark.sql.streaming.minBatchesToRetain, "
        "spark.sql.streaming.stateStore.minDeltasForSnapshot)\n");
    wrt_result_free(&r);
    r = WRT_RUN(NULL, "run", "/nonexistent/job.sql", "--set", "weir.workers");
    cr_assert_eq(r.status, 2);
    cr_assert_str_eq(r.err, "weir run: --set weir.workers: expected key=value\n");
    wrt_result_free(&r);
    r = WRT_RUN(NULL, "run", "/nonexistent/job.sql", "--trigger", "foo");
    cr_assert_eq(r.status, 2);
    cr_assert(!strncmp(r.err, "weir run: --trigger: trigger 'foo' is not valid", 47), "%s", r.err);
    wrt_result_free(&r);
    r = WRT_RUN(NULL, "shell", "--set", "foo=bar");
    cr_assert_eq(r.status, 2);
    cr_assert(!strncmp(r.err, "weir shell: --set foo=bar: unknown setting 'foo'", 48), "%s", r.err);
    wrt_result_free(&r);
    /* an empty checkpoint folder is an error, not a checkpoint in / */
    char *job = wrt_temp_job(SRC "CREATE SINK weir_empty_checkpoint_test USING console;\n"
                                 "INSERT INTO weir_empty_checkpoint_test SELECT value FROM lines;");
    r = WRT_RUN(NULL, "run", job, "--checkpoint", "", "--trigger", "once");
    cr_assert_eq(r.status, 2, "bad usage");
    cr_assert_str_eq(r.err, "weir run: --checkpoint must name a folder (it is empty)\n");
    wrt_result_free(&r);
    r = WRT_RUN(NULL, "shell", "--checkpoint", "");
    cr_assert_eq(r.status, 2, "bad usage");
    cr_assert_str_eq(r.err, "weir shell: --checkpoint must name a folder (it is empty)\n");
    bool in_root = access("/weir_empty_checkpoint_test", F_OK) == 0;
    if (in_root) wrt_remove_tree("/weir_empty_checkpoint_test");
    cr_assert(!in_root, "a checkpoint was created in /");
    wrt_result_free(&r);
    unlink(job);
    free(job);
    /* a reachable-nowhere broker: a clear error within the timeout, no hang */
    r = WRT_RUN(NULL, "run", path, "--trigger", "once");
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err,
                     "weir run: query out failed: source lines: cannot reach Kafka at localhost:1"),
              "%s", r.err);
    wrt_result_free(&r);
    unlink(path);
    free(path);
}

/* weir run --help lists each kind's options from the tables that check
 * them: the csv sink's delimiter (sep's other name), and each sink's own
 * output modes (csv and json only append). */
Test(job_errors, help_lists_what_each_kind_takes) {
    wrt_result r = WRT_RUN(NULL, "run", "--help");
    cr_assert_eq(r.status, 0, "%s", r.err);
    /* the sinks' sections (csv and json are source kinds too) */
    const char *csv = strstr(r.out, "SINK name USING csv OPTIONS"),
               *json = strstr(r.out, "SINK name USING json OPTIONS"),
               *memory = strstr(r.out, "SINK name USING memory OPTIONS");
    cr_assert(csv && json && memory, "%s", r.out);
    cr_assert(strstr(csv, "\n  delimiter = one character (default ,)\n"), "%s", csv);
    const char *in_csv = strstr(csv, "\n  outputMode = append (default append)\n"),
               *in_memory =
                   strstr(memory, "\n  outputMode = append|update|complete (default append)\n");
    cr_assert(in_csv && in_csv < json, "%s", csv);
    cr_assert(strstr(json, "\n  outputMode = append (default append)\n"), "%s", json);
    cr_assert(in_memory && in_memory < csv, "%s", memory);
    wrt_result_free(&r);
}

/* Raw NUL bytes in a job file (inside a quoted identifier or a string):
 * refused where they would cut a name or value short. A UTF-8 byte order
 * mark at the start is skipped, as Spark and most SQL tools do. */
Test(job_errors, raw_nul_bytes_and_a_byte_order_mark) {
    static const struct {
        const char *text;
        size_t len;
        const char *want;
    } cases[] = {
        {SRC SINK "INSERT INTO out SELECT `a\0b` FROM lines;",
         sizeof(SRC SINK "INSERT INTO out SELECT `a\0b` FROM lines;") - 1,
         "3:24: a `quoted identifier` must not contain a NUL byte"},
        {SRC "CREATE SINK m USING memory OPTIONS (path = 'a\0b');",
         sizeof(SRC "CREATE SINK m USING memory OPTIONS (path = 'a\0b');") - 1,
         "2:44: the value of option path contains a NUL byte"},
        /* a UTF-8 byte order mark first is skipped: positions as without it */
        {"\xef\xbb\xbf" SRC SINK "INSERT INTO out SELECT nope FROM lines;",
         sizeof("\xef\xbb\xbf" SRC SINK "INSERT INTO out SELECT nope FROM lines;") - 1,
         "3:24: unknown column 'nope'"},
        {"\xef\xbb\xbf# x", 6, "1:1: unexpected character '#'"},
        {"\xef\xbb\xbf\xef\xbb\xbf", 6, "1:1: unexpected byte 0xef"}, /* only one */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[] = "/tmp/weir-nul-XXXXXX.sql";
        int fd = mkstemps(path, 4);
        cr_assert_geq(fd, 0);
        cr_assert_eq(write(fd, cases[i].text, cases[i].len), (ssize_t)cases[i].len);
        close(fd);
        wrt_result r = WRT_RUN(NULL, "run", path, "--trigger", "once");
        char *want = wr_xasprintf("%s:%s", path, cases[i].want);
        cr_expect_eq(r.status, 1, "case %zu: %s", i, r.err);
        cr_expect(!strncmp(r.err, want, strlen(want)), "case %zu:\n  got:  %s  want: %s", i, r.err,
                  want);
        free(want);
        wrt_result_free(&r);
        unlink(path);
    }
}

/* Deep nesting: parentheses, unary minus, NOT, CASE, long chains and
 * subqueries, 50,000 deep, are refused with a position (they used to
 * overflow the stack); 900 levels, under the limit, plan fine (the job then
 * fails only because no broker answers). */
static char *nested(const char *open, const char *mid, const char *close, int n) {
    wr_buf b = {0};
    for (int i = 0; i < n; i++)
        wr_buf_puts(&b, open);
    wr_buf_puts(&b, mid);
    for (int i = 0; close && i < n; i++)
        wr_buf_puts(&b, close);
    return b.p;
}

Test(job_errors, nesting_depth_is_limited) {
    struct {
        char *expr; /* the select list item (or, for subqueries, the FROM) */
        bool from;
    } cases[] = {
        {nested("(", "offset", ")", 50000), false},
        {nested("- ", "offset", NULL, 50000), false},
        {nested("NOT ", "true", NULL, 50000), false},
        {nested("CASE WHEN true THEN ", "1", " END", 50000), false},
        {nested("offset + ", "1", NULL, 50000), false},
        {nested("true AND ", "true", NULL, 50000), false},
        {nested("(SELECT * FROM ", "lines", ")", 50000), true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *job =
            cases[i].from
                ? wr_xasprintf(SRC ASINK "INSERT INTO out SELECT offset FROM %s;", cases[i].expr)
                : wr_xasprintf(SRC ASINK "INSERT INTO out SELECT %s AS x FROM lines;",
                               cases[i].expr);
        char *path = wrt_temp_job(job);
        wrt_result r = WRT_RUN(NULL, "run", path, "--trigger", "once");
        cr_expect_eq(r.status, 1, "case %zu: exit %d: %.300s", i, r.status, r.err);
        cr_expect(
            strstr(r.err, "nests too deeply: more than 1000 levels of expressions or subqueries"),
            "case %zu: %.300s", i, r.err);
        cr_expect(!strncmp(r.err, path, strlen(path)) && r.err[strlen(path)] == ':' &&
                      strstr(r.err, ":3:"),
                  "case %zu: no position: %.200s", i, r.err);
        wrt_result_free(&r);
        unlink(path);
        free(path);
        free(job);
        free(cases[i].expr);
    }
    char *ok[] = {nested("(", "offset", ")", 900), nested("- ", "offset", NULL, 900),
                  nested("offset + ", "1", NULL, 900)};
    for (size_t i = 0; i < 3; i++) {
        char *job = wr_xasprintf(SRC ASINK "INSERT INTO out SELECT %s AS x FROM lines;", ok[i]);
        char *path = wrt_temp_job(job);
        wrt_result r = WRT_RUN(NULL, "run", path, "--trigger", "once");
        cr_expect(strstr(r.err, "cannot reach Kafka at localhost:1"), "deep but legal %zu: %.300s",
                  i, r.err);
        wrt_result_free(&r);
        unlink(path);
        free(path);
        free(job);
        free(ok[i]);
    }
}

/* Long lists cost linear time and memory: an IN list of 100,000 items, in a
 * WHERE, in the select list and in GROUP BY (where the projection's sharing of
 * repeated work sees it twice), plans and runs in a second or two. (The
 * parser copied the whole list at every item, 10,000 items took 430 MB, and
 * the sharing compared every subtree with every other: minutes.) */
Test(job_errors, long_in_lists_plan_in_linear_time, .timeout = 120) {
    enum { N = 100000 };
    wr_buf list = {0};
    for (int i = 0; i < N; i++)
        wr_buf_printf(&list, "%s%d", i ? ", " : "", i);
    char *job = wr_xasprintf(
        "CREATE SOURCE r USING rate;\nCREATE SINK s USING memory OPTIONS (outputMode = "
        "'complete');\nINSERT INTO s SELECT value IN (%s) AS b, count(*) AS n FROM r WHERE value "
        "NOT IN (%s) GROUP BY value IN (%s);\nSELECT count(*) AS rows FROM s;",
        list.p, list.p, list.p);
    char *path = wrt_temp_job(job);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    wrt_result r =
        wrt_run(NULL, 0, 100,
                (const char *const[]){"run", path, "--trigger", "once", "--format", "csv", NULL});
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    cr_expect_eq(r.status, 0, "exit %d: %.300s", r.status, r.err);
    cr_expect_str_eq(r.out, "rows\n0\n");
    /* about 1 s and 150 MB optimised; a few times that under ASan */
    cr_expect_lt(secs, 30.0, "%d-item IN lists took %.1f s", N, secs);
    cr_expect_lt(ru.ru_maxrss, 1024L * 1024, "%d-item IN lists took %ld KB", N, ru.ru_maxrss);
    wrt_result_free(&r);
    unlink(path);
    free(path);
    free(job);
    free(list.p);
}

/* A select list wider than the sink can hold is refused when planned, at
 * the INSERT: a memory sink is a SQLite table (at most 2000 columns); csv
 * and json files hold any number, but SQL over sinks reads at most 2000,
 * so a trailing SELECT over such a sink is refused before the streams start.
 * 2000 columns are fine; 50,000 are refused at once (the check of duplicate
 * names compared each with every other). */
Test(job_errors, select_lists_wider_than_the_sink_are_refused_when_planned) {
    static const struct {
        int n;
        const char *sink, *tail, *want;
    } cases[] = {
        {2000, "memory", "SELECT count(*) AS n FROM s;", NULL},
        {2001, "memory", "",
         "2:1: memory sink s holds at most 2000 columns (SQLite's limit on a table's columns): "
         "this query gives it 2001"},
        {50000, "memory", "",
         "2:1: memory sink s holds at most 2000 columns (SQLite's limit on a table's columns): "
         "this query gives it 50000"},
        {2001, "csv", "", NULL},
        {2001, "json", "\n  SELECT count(*) AS n FROM s;",
         "4:3: SQL over sinks reads at most 2000 columns (SQLite's limit on a table's columns), "
         "and json sink s has 2001"},
    };
    char dir[64];
    wrt_temp_dir(dir, "wide");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wr_buf job = {0};
        wr_buf_printf(&job,
                      "CREATE SOURCE r USING rate; CREATE SINK s USING %s OPTIONS (path = "
                      "'%s/%zu', checkpointLocation = '%s/ck%zu');\nINSERT INTO s SELECT",
                      cases[i].sink, dir, i, dir, i);
        for (int c = 0; c < cases[i].n; c++)
            wr_buf_printf(&job, "%s value AS c%d", c ? "," : "", c);
        wr_buf_printf(&job, " FROM r;\n%s", cases[i].tail);
        char *path = wrt_temp_job(job.p);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        wrt_result r = WRT_RUN(NULL, "run", path, "--trigger", "once", "--format", "csv");
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (cases[i].want) {
            char *want = wr_xasprintf("%s:%s\n", path, cases[i].want);
            cr_expect_eq(r.status, 1, "case %zu: %s", i, r.err);
            cr_expect_str_eq(r.err, want, "case %zu", i);
            free(want);
        } else {
            cr_expect_eq(r.status, 0, "case %zu: %s", i, r.err);
            cr_expect_str_eq(r.out, cases[i].tail[0] ? "n\n0\n" : "", "case %zu", i);
        }
        cr_expect_lt(t1.tv_sec - t0.tv_sec, 20, "case %zu took %ld s", i,
                     (long)(t1.tv_sec - t0.tv_sec));
        wrt_result_free(&r);
        unlink(path);
        free(path);
        wr_buf_free(&job);
    }
    wrt_remove_tree(dir);
}
