/* SQL behaviour tables: functions, operators, casts and aggregates with
 * Spark's (non-ANSI) semantics, through real Kafka messages and `weir run`.
 * Empty strings show as '' and NULLs as NULL via SQLite's quote(). */
#include <criterion/criterion.h>
#include <string.h>

#include "sql_harness.h"

#define V "CAST(value AS STRING)"

Test(sql, split_and_explode_edge_cases) {
    static const sql_case cases[] = {
        /* double space -> empty word; empty message -> one empty word; NULL -> no row */
        {{"a b", "a  b", "", NULLMSG},
         4,
         "SELECT explode(split(" V ", ' ')) AS w FROM src",
         "SELECT quote(w) AS w FROM out",
         "w\n'a'\n'b'\n'a'\n''\n'b'\n''\n"},
        {{"x y", NULLMSG},
         2,
         "SELECT word FROM src LATERAL VIEW explode(split(" V ", ' ')) t AS word",
         NULL,
         "word\nx\ny\n"},
        {{"x", NULLMSG},
         2,
         "SELECT word FROM src LATERAL VIEW OUTER explode(split(" V ", ' ')) t AS word",
         "SELECT quote(word) AS w FROM out",
         "w\n'x'\nNULL\n"},
        {{"p,q"},
         1,
         "SELECT explode_outer(split(" V ", ',')) AS c, offset FROM src",
         NULL,
         "c,offset\np,0\nq,0\n"},
        {{"a1b22c", "a,b,,", "a,b,c", "abc"},
         4,
         "SELECT size(split(" V ", '[0-9]+')) AS d, size(split(" V ", ',')) AS c, split(" V
         ", ',', 2)[1] AS lim, "
         "size(split(" V ", '')) AS e FROM src",
         "SELECT d, c, quote(lim) AS lim, e FROM out",
         "d,c,lim,e\n3,1,NULL,6\n1,4,\"'b,,'\",5\n1,3,\"'b,c'\",5\n1,1,NULL,3\n"},
        {{"a b", NULLMSG},
         2,
         "SELECT split(" V ", ' ')[1] AS s1, split(" V ", ' ')[5] AS s5, split(" V
         ", ' ')[-1] AS sm, size(split(" V ", ' ')) AS n FROM src",
         "SELECT quote(s1), quote(s5), quote(sm), n FROM out",
         "quote(s1),quote(s5),quote(sm),n\n'b',NULL,NULL,2\nNULL,NULL,NULL,-1\n"},
        {{"a.b|c"},
         1,
         "SELECT split(" V ", '\\\\.')[1] AS dot, split(" V ", '[|]')[1] AS bar FROM src",
         NULL,
         "dot,bar\nb|c,c\n"},
    };
    run_sql_cases(cases, sizeof cases / sizeof cases[0]);
}

Test(sql, string_functions) {
    static const sql_case cases[] = {
        {{"  Hello W\xc3\xb6rld  "},
         1,
         "SELECT trim(" V ") AS t, length(trim(" V ")) AS n, upper(trim(" V ")) AS u, lower(trim(" V
         ")) AS l, "
         "ltrim(" V ") AS lt, length(value) AS bytes FROM src",
         "SELECT quote(t), n, u, l, quote(lt), bytes FROM out",
         "quote(t),n,u,l,quote(lt),bytes\n'Hello W\xc3\xb6rld',11,HELLO W\xc3\xb6RLD,hello "
         "w\xc3\xb6rld,'Hello W\xc3\xb6rld  ',16\n"},
        {{"Spark SQL"},
         1,
         "SELECT substring(" V ", 5) AS a, substring(" V ", -3) AS b, substring(" V
         ", 5, 1) AS c, substr(" V ", 0, 2) AS d, "
         "substring(" V ", 20) AS e FROM src",
         "SELECT a, b, c, d, quote(e) FROM out",
         "a,b,c,d,quote(e)\nk SQL,SQL,k,Sp,''\n"},
        {{"x y"},
         1,
         "SELECT concat('a', " V
         ", 'b') AS c1, concat('a', NULL) AS c2, concat_ws('-', 'a', NULL, 'b') AS c3, "
         "concat_ws(',', split(" V
         ", ' ')) AS c4, 'p' || 'q' AS c5, coalesce(NULL, 'z') AS c6 FROM src",
         "SELECT c1, quote(c2), c3, c4, c5, c6 FROM out",
         "c1,quote(c2),c3,c4,c5,c6\nax yb,NULL,a-b,\"x,y\",pq,z\n"},
        {{"100-200", "none"},
         2,
         "SELECT regexp_extract(" V ", '(\\\\d+)-(\\\\d+)', 2) AS g2, regexp_extract(" V
         ", '(\\\\d+)', 0) AS g0, "
         "regexp_replace(" V ", '[0-9]', 'X') AS r1, regexp_replace('john smith', '(\\\\w+) "
         "(\\\\w+)', '$2 $1') AS r2 FROM src",
         "SELECT quote(g2), quote(g0), r1, r2 FROM out",
         "quote(g2),quote(g0),r1,r2\n'200','100',XXX-XXX,smith john\n'','',none,smith john\n"},
        {{"x"},
         1,
         "SELECT 'a\\tb' AS t, length('a\\tb') AS n, 'it\\'s' AS q, \"dq\" AS d, 'back\\\\slash' "
         "AS s, '\\u00e9' AS u FROM src",
         NULL,
         "t,n,q,d,s,u\na\tb,3,it's,dq,back\\slash,\xc3\xa9\n"},
        {{"abc", "xbz", NULLMSG},
         3,
         "SELECT " V " AS v, " V " LIKE 'a%' AS l1, " V " LIKE '_b_' AS l2, " V
         " NOT LIKE '%z' AS l3, " V " RLIKE 'b.$' AS l4 FROM src",
         "SELECT quote(v), quote(l1), quote(l2), quote(l3), quote(l4) FROM out",
         "quote(v),quote(l1),quote(l2),quote(l3),quote(l4)\n'abc',1,1,1,1\n'xbz',0,1,0,1\nNULL,"
         "NULL,NULL,NULL,NULL\n"},
    };
    run_sql_cases(cases, sizeof cases / sizeof cases[0]);
}

Test(sql, timestamp_functions) {
    static const sql_case cases[] = {
        {{"2023-11-14 22:13:20", "14/11/2023 10:13 PM", "junk", NULLMSG},
         4,
         "SELECT to_timestamp(" V ") AS a, to_timestamp(" V
         ", 'dd/MM/yyyy hh:mm a') AS b, unix_timestamp(" V ") AS c, "
         "unix_timestamp(" V ", 'dd/MM/yyyy hh:mm a') AS d, offset FROM src",
         "SELECT quote(a), quote(b), quote(c), quote(d) FROM out ORDER BY offset",
         "quote(a),quote(b),quote(c),quote(d)\n'2023-11-14 22:13:20',NULL,1700000000,NULL\n"
         "NULL,'2023-11-14 22:13:00',NULL,1699999980\nNULL,NULL,NULL,NULL\nNULL,NULL,NULL,NULL\n"},
        {{"2023-11-14T22:13:20.123+01:00", "20231114 221320"},
         2,
         "SELECT to_timestamp(" V ", 'yyyy-MM-dd\\'T\\'HH:mm:ss.SSSXXX') AS a, to_timestamp(" V
         ", 'yyyyMMdd HHmmss') AS b, "
         "unix_timestamp(CAST(1700000000 AS TIMESTAMP)) AS c, unix_timestamp() > 1700000000 AS "
         "now_ok, "
         "offset FROM src",
         "SELECT quote(a), quote(b), c, now_ok FROM out ORDER BY offset",
         "quote(a),quote(b),c,now_ok\n'2023-11-14 "
         "21:13:20.123',NULL,1700000000,1\nNULL,'2023-11-14 22:13:20',1700000000,1\n"},
    };
    run_sql_cases(cases, sizeof cases / sizeof cases[0]);
}

Test(sql, casts_follow_spark) {
    static const sql_case cases[] = {
        {{" 12 ", "12.5", "abc", "99999999999", "", "-7", "+3"},
         7,
         "SELECT CAST(" V " AS INT) AS i, CAST(" V " AS BIGINT) AS b FROM src",
         "SELECT quote(i), quote(b) FROM out",
         "quote(i),quote(b)\n12,12\n12,12\nNULL,NULL\nNULL,99999999999\nNULL,NULL\n-7,-7\n3,3\n"},
        {{"1e3", "-0.5", "NaN", "x", "Infinity", "1.5d"},
         6,
         "SELECT CAST(CAST(" V " AS DOUBLE) AS STRING) AS d FROM src",
         "SELECT quote(d) FROM out",
         "quote(d)\n'1000.0'\n'-0.5'\n'NaN'\nNULL\n'Infinity'\n'1.5'\n"},
        {{"true", " YES ", "0", "maybe", "f"},
         5,
         "SELECT CAST(" V " AS BOOLEAN) AS b FROM src",
         "SELECT quote(b) FROM out",
         "quote(b)\n1\n1\n0\nNULL\n0\n"},
        {{"2023-11-14 22:13:20", "2023-11-14T22:13:20.5Z", "2023-11-14", "yesterday"},
         4,
         "SELECT CAST(" V " AS TIMESTAMP) AS t FROM src",
         "SELECT quote(t) FROM out",
         "quote(t)\n'2023-11-14 22:13:20'\n'2023-11-14 22:13:20.5'\n'2023-11-14 00:00:00'\nNULL\n"},
        {{"x"},
         1,
         "SELECT CAST(1700000000 AS TIMESTAMP) AS t, CAST(3.7 AS INT) AS a, CAST(-3.7 AS INT) AS "
         "b, CAST(2147483648 AS INT) AS c, "
         "CAST(1.5 AS STRING) AS d, CAST(1e20 AS STRING) AS e, CAST(true AS INT) AS f, CAST(0.001 "
         "AS STRING) AS g, "
         "CAST(CAST(1700000000 AS TIMESTAMP) AS BIGINT) AS h, CAST(100.0 AS STRING) AS i FROM src",
         NULL,
         "t,a,b,c,d,e,f,g,h,i\n2023-11-14 "
         "22:13:20,3,-3,-2147483648,1.5,1.0E20,1,0.001,1700000000,100.0\n"},
        {{"x"},
         1,
         "SELECT CAST(value AS STRING) AS s, CAST(key AS STRING) AS k, topic, partition, offset, "
         "timestampType, timestamp IS NOT NULL AS ts FROM src",
         "SELECT s, quote(k), topic, partition, offset, timestampType, ts FROM out",
         "s,quote(k),topic,partition,offset,timestampType,ts\nx,NULL,case5,0,0,0,1\n"},
    };
    run_sql_cases(cases, sizeof cases / sizeof cases[0]);
}

Test(sql, arithmetic_logic_and_conditionals) {
    static const sql_case cases[] = {
        {{"x"},
         1,
         "SELECT 7 / 2 AS a, 7 % 3 AS b, 1 / 0 AS c, 7 div 2 AS d, 2147483647 + 1 AS e, '3' + 1 AS "
         "f, -(5) AS g, "
         "2 * 3 - 1 AS h, 5 % 0 AS i, 1.5 * 2 AS j FROM src",
         "SELECT a, b, quote(c), d, e, f, g, h, quote(i), j FROM out",
         "a,b,quote(c),d,e,f,g,h,quote(i),j\n3.5,1,NULL,3,-2147483648,4.0,-5,5,NULL,3.0\n"},
        {{"x"},
         1,
         "SELECT NULL AND false AS a, NULL OR true AS b, NULL AND true AS c, NOT NULL AS d, 1 = "
         "NULL AS e, NULL <=> NULL AS f, "
         "1 IS NULL AS g, NULL IS NULL AS h, 2 BETWEEN 1 AND 3 AS i, 5 NOT BETWEEN 1 AND 3 AS j "
         "FROM src",
         "SELECT quote(a), quote(b), quote(c), quote(d), quote(e), f, g, h, i, j FROM out",
         "quote(a),quote(b),quote(c),quote(d),quote(e),f,g,h,i,j\n0,1,NULL,NULL,NULL,1,0,1,1,1\n"},
        {{"1", "2", "3", NULLMSG},
         4,
         "SELECT CASE WHEN CAST(" V " AS INT) = 1 THEN 'one' WHEN CAST(" V
         " AS INT) = 2 THEN 'two' ELSE 'many' END AS a, "
         "CASE CAST(" V " AS INT) WHEN 3 THEN 30 END AS b, CAST(" V
         " AS INT) IN (1, 3) AS c, CAST(" V " AS INT) NOT IN (1, NULL) AS d FROM src",
         "SELECT a, quote(b), quote(c), quote(d) FROM out",
         "a,quote(b),quote(c),quote(d)\none,NULL,1,0\ntwo,NULL,0,NULL\nmany,30,1,NULL\nmany,NULL,"
         "NULL,NULL\n"},
        {{"a", "b", "c", NULLMSG},
         4,
         "SELECT " V " AS v FROM src WHERE value != 'b' AND " V " IS NOT NULL",
         NULL,
         "v\na\nc\n"},
        {{"3", "4"},
         2,
         "SELECT n, n * n AS sq FROM (SELECT CAST(" V " AS INT) AS n FROM src) AS t WHERE t.n > 3",
         NULL,
         "n,sq\n4,16\n"},
    };
    run_sql_cases(cases, sizeof cases / sizeof cases[0]);
}

Test(sql, aggregates_with_nulls_and_modes) {
    static const sql_case cases[] = {
        {{"a 1", "a 2", "b x", "b 5", "c"},
         5,
         "SELECT w, count(*) AS c, count(n) AS cn, sum(n) AS s, avg(n) AS a, min(n) AS mn, max(n) "
         "AS mx FROM "
         "(SELECT split(v, ' ')[0] AS w, CAST(split(v, ' ')[1] AS INT) AS n FROM (SELECT " V
         " AS v FROM src)) GROUP BY w",
         "SELECT w, c, cn, quote(s), quote(a), quote(mn), quote(mx) FROM out ORDER BY w",
         "w,c,cn,quote(s),quote(a),quote(mn),quote(mx)\na,2,2,3,1.5,1,2\nb,2,1,5,5.0,5,5\nc,1,0,"
         "NULL,NULL,NULL,NULL\n",
         "complete"},
        /* several batches (2 offsets each) in update mode: one row per key, upserted */
        {{"k1", "k2", "k1", "k1", "k3", "k2"},
         6,
         "SELECT " V " AS k, count(*) AS n FROM src GROUP BY " V,
         "SELECT k, n FROM out ORDER BY k",
         "k,n\nk1,3\nk2,2\nk3,1\n",
         "update",
         ", maxOffsetsPerTrigger = 2"},
        {{"x", "y", "x", "Z", "z"},
         5,
         "SELECT lower(" V ") AS l, count(*) AS n, min(" V ") AS lo, max(" V
         ") AS hi FROM src GROUP BY lower(" V ") HAVING count(*) > 1",
         "SELECT * FROM out ORDER BY l",
         "l,n,lo,hi\nx,2,x,x\nz,2,Z,z\n",
         "complete"},
        {{"1.5", "2.5", "bad"},
         3,
         "SELECT count(*) AS n, sum(CAST(" V " AS DOUBLE)) AS s, sum(" V ") AS s2, avg(length(" V
         ")) AS al FROM src",
         NULL,
         "n,s,s2,al\n3,4.0,4.0,3.0\n",
         "complete"},
        {{"a", "b"},
         2,
         "SELECT w AS word, count(*) AS n FROM (SELECT " V " AS w FROM src) GROUP BY word",
         "SELECT * FROM out ORDER BY word",
         "word,n\na,1\nb,1\n",
         "complete"},
    };
    run_sql_cases(cases, sizeof cases / sizeof cases[0]);
}

/* A 100 KB value that ^(a|b)*$ matches needs a deep backtracking stack: the
 * JIT's default 32 KiB gave "JIT stack limit reached", which read as "no
 * match" (rows vanished, extracts were ''). */
Test(sql, regex_functions_match_long_values) {
    static char big[102401];
    for (size_t i = 0; i < sizeof big - 1; i++)
        big[i] = i % 3 == 2 ? 'b' : 'a';
    big[sizeof big - 2] = 'b';
    const sql_case cases[] = {
        {{big, "abc"},
         2,
         "SELECT length(v) AS n, v RLIKE '^(a|b)*$' AS m, regexp_extract(v, '^(a|b)*$', 1) AS g, "
         "size(split(v, '^(a|b)*$')) AS s, regexp_replace(v, '^(a|b)*$', 'Z') AS r, v "
         "FROM (SELECT " V " AS v FROM src)",
         "SELECT n, m, quote(g), s, substr(r, 1, 5) AS r5, length(r) AS rn, v REGEXP '^(a|b)*$' AS "
         "re FROM out",
         "n,m,quote(g),s,r5,rn,re\n102400,1,'b',2,Z,1,1\n3,0,'',1,abc,3,0\n"},
        {{big, "abc"},
         2,
         "SELECT length(" V ") AS n FROM src WHERE " V " RLIKE '^(a|b)*$'",
         NULL,
         "n\n102400\n"},
    };
    run_sql_cases(cases, sizeof cases / sizeof cases[0]);
}

/* A match that cannot finish (the match limit: (a+)+$ backtracks without
 * end on a's followed by a b) is an error of the batch naming the function,
 * the pattern and the row's Kafka position, never "no match". */
Test(sql, a_regex_that_fails_fails_the_batch) {
    static const char *const runaway = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab";
    static char poly[2012]; /* 2000 a's, b, 10 a's: the b lets the match start */
    memset(poly, 'a', sizeof poly - 1);
    poly[2000] = 'b';
#define RUNAWAY_ERR(fn, what, pat, n)                                                              \
    "weir run: query out failed: " fn ": the " what " '" pat "' failed on a " n                    \
    "-byte value: match limit exceeded (topic "
    const sql_case cases[] = {
        {{"ok", runaway},
         2,
         "SELECT " V " AS v FROM src WHERE " V " RLIKE '(a+)+$'",
         NULL,
         NULL,
         NULL,
         NULL,
         RUNAWAY_ERR("RLIKE", "regular expression", "(a+)+$",
                     "41") "case0, partition 0, offset 1)\n"},
        {{runaway},
         1,
         "SELECT regexp_extract(" V ", '(a+)+$', 1) AS g FROM src",
         NULL,
         NULL,
         NULL,
         NULL,
         RUNAWAY_ERR("regexp_extract", "regular expression", "(a+)+$",
                     "41") "case1, partition 0, offset 0)\n"},
        {{"x", "y", runaway},
         3,
         "SELECT regexp_replace(" V ", '(a+)+$', '') AS r FROM src",
         NULL,
         NULL,
         NULL,
         NULL,
         RUNAWAY_ERR("regexp_replace", "regular expression", "(a+)+$",
                     "41") "case2, partition 0, offset 2)\n"},
        {{runaway},
         1,
         "SELECT split(" V ", '(a+)+$') AS p FROM src",
         NULL,
         NULL,
         NULL,
         NULL,
         RUNAWAY_ERR("split", "regular expression", "(a+)+$",
                     "41") "case3, partition 0, offset 0)\n"},
        /* LIKE: polynomial backtracking */
        {{poly},
         1,
         "SELECT " V " LIKE '%a%a%a%a%a%a%b' AS l FROM src",
         NULL,
         NULL,
         NULL,
         NULL,
         RUNAWAY_ERR("LIKE", "pattern", "%a%a%a%a%a%a%b",
                     "2011") "case4, partition 0, offset 0)\n"},
        /* HAVING over the aggregated groups */
        {{runaway},
         1,
         "SELECT " V " AS k, count(*) AS n FROM src GROUP BY " V " HAVING " V " RLIKE '(a+)+$'",
         NULL,
         NULL,
         "complete",
         NULL,
         "weir run: query out failed: RLIKE: the regular expression '(a+)+$' failed on a 41-byte "
         "value: match limit exceeded "
         "(computing a group's result row)\n"},
        /* REGEXP in SQL over the sink */
        {{runaway},
         1,
         "SELECT " V " AS v FROM src",
         "SELECT v FROM out WHERE v REGEXP '(a+)+$'",
         NULL,
         NULL,
         NULL,
         "weir run: SELECT failed: REGEXP: the regular expression '(a+)+$' failed on a 41-byte "
         "value: match limit exceeded\n"},
    };
#undef RUNAWAY_ERR
    run_sql_cases(cases, sizeof cases / sizeof cases[0]);
}

/* Spark 3.5: sum of INT or BIGINT is a BIGINT that wraps on overflow; avg
 * sums the values as DOUBLE (Average.sumDataType) and divides. The expected
 * values were computed apart in Python (IEEE doubles, 64-bit wrapping) and
 * are shown shortest, as Java prints them (each names one double). */
Test(sql, sums_and_averages_near_the_bigint_limits) {
    static const sql_case cases[] = {
        {{"9223372036854775807 1", "1 1", "-9223372036854775808 2", "-1 2", "9223372036854775807 3",
          "9223372036854775807 3", "9223372036854775807 3", "9007199254740993 4", "1 4",
          "2147483647 5", "2147483647 5"},
         11,
         "SELECT g, sum(n) AS s, avg(n) AS a, sum(i) AS si, avg(i) AS ai FROM (SELECT split(v, ' "
         "')[1] AS g, "
         "CAST(split(v, ' ')[0] AS BIGINT) AS n, CAST(split(v, ' ')[0] AS INT) AS i FROM (SELECT " V
         " AS v FROM src)) GROUP BY g",
         "SELECT g, s, a, quote(si) AS si, ai FROM out ORDER BY g",
         "g,s,a,si,ai\n"
         "1,-9223372036854775808,4.611686018427388E18,1,1.0\n"
         "2,9223372036854775807,-4.611686018427388E18,-1,-1.0\n"
         "3,9223372036854775805,9.223372036854776E18,NULL,\n"
         "4,9007199254740994,4.503599627370496E15,1,1.0\n"
         "5,4294967294,2.147483647E9,4294967294,2.147483647E9\n",
         "complete"},
    };
    run_sql_cases(cases, sizeof cases / sizeof cases[0]);
}

/* Spark 3.5 counts characters by their first byte alone
 * (UTF8String.numBytesForFirstByte): no replacement characters, and
 * continuation bytes are not checked. Values are raw bytes; hex() shows the
 * substrings exactly. */
Test(sql, length_and_substring_of_invalid_utf8) {
    static const sql_case cases[] = {
        {{"\x80\x80",
          "\xe2"
          "ab",
          "\xc0\xaf", "\xf5\xff", "\xf0\x9f\x98\x80", "\xed\xa0\x80", "\xf8\x88\x80\x80\x80",
          "\x80\x80"
          "abc",
          "ab\xe2", "x\xc3\xa9y"},
         10,
         "SELECT offset, length(" V ") AS n, length(value) AS b, substring(" V
         ", 2) AS s2, substring(" V ", 2, 2) AS s22, "
         "substring(" V ", -1) AS sm1 FROM src",
         "SELECT offset, n, b, hex(s2), hex(s22), hex(sm1) FROM out ORDER BY offset",
         "offset,n,b,hex(s2),hex(s22),hex(sm1)\n"
         "0,2,2,80,80,80\n"         /* stray continuation bytes: one character each */
         "1,1,3,,,E26162\n"         /* E2 takes the next two bytes, whatever they are */
         "2,2,2,AF,AF,AF\n"         /* overlong C0 AF: C0 starts no character */
         "3,2,2,FF,FF,FF\n"         /* F5..FF */
         "4,1,4,,,F09F9880\n"       /* a valid 4-byte character */
         "5,1,3,,,EDA080\n"         /* a surrogate's encoding counts as one */
         "6,5,5,88808080,8880,80\n" /* a 5-byte form: F8 and four continuations */
         "7,5,5,80616263,8061,63\n"
         "8,3,3,62E2,62E2,E2\n" /* cut short at the end: stops at the end */
         "9,3,4,C3A979,C3A979,79\n"},
    };
    run_sql_cases(cases, sizeof cases / sizeof cases[0]);
}

/* substring of a BINARY counts bytes and gives a BINARY (Spark's
 * ByteArray.subStringSQL); of a STRING, characters. */
Test(sql, substring_of_binary_counts_bytes) {
    static const sql_case cases[] = {
        {{"abc\xe2\x82\xac"
          "d",
          "\xff\xfe"},
         2,
         "SELECT offset, substring(value, 2, 3) AS b, substring(" V ", 2, 3) AS s, "
         "length(substring(value, -2)) AS n, substring(value, 0) AS whole, "
         "substring(value, 9) AS past FROM src",
         "SELECT offset, hex(b), typeof(b), hex(s), n, hex(whole), hex(past) FROM out "
         "ORDER BY offset",
         "offset,hex(b),typeof(b),hex(s),n,hex(whole),hex(past)\n"
         "0,6263E2,blob,6263E282AC,2,616263E282AC64,\n"
         "1,FE,blob,FE,2,FFFE,\n"},
    };
    run_sql_cases(cases, sizeof cases / sizeof cases[0]);
}

/* GROUP BY a select-list alias of any expression (Spark's groupByAliases):
 * an index into split(...), CASE, arithmetic; the first matching alias wins. */
Test(sql, group_by_aliases) {
    static const sql_case cases[] = {
        {{"1\ts\t/a\tGET\t10.0.0.1\tM\t5", "2\ts\t/b\tGET\t10.0.0.2\tM\t7",
          "3\ts\t/c\tGET\t10.0.0.1\tM\t1"},
         3,
         "SELECT split(" V ", '\\t')[4] AS userip, count(*) AS c, sum(CAST(split(" V
         ", '\\t')[6] AS INT)) AS t FROM src GROUP BY userip",
         "SELECT * FROM out ORDER BY userip",
         "userip,c,t\n10.0.0.1,2,6\n10.0.0.2,1,7\n",
         "complete"},
        {{"1", "5", "12", "x"},
         4,
         "SELECT CASE WHEN CAST(" V
         " AS INT) < 10 THEN 'small' ELSE 'big' END AS size, count(*) AS n FROM src GROUP BY size",
         "SELECT * FROM out ORDER BY size",
         "size,n\nbig,2\nsmall,2\n",
         "complete"},
        {{"1", "2", "3", "4"},
         4,
         "SELECT CAST(" V " AS INT) % 2 + 10 AS parity, count(*) AS n FROM src GROUP BY parity",
         "SELECT * FROM out ORDER BY parity",
         "parity,n\n10,2\n11,2\n",
         "complete"},
        /* the alias `lower` of count(*) must not be taken for w's alias lookup */
        {{"A", "a", "b"},
         3,
         "SELECT lower(" V ") AS w, count(*) AS lower FROM src GROUP BY w",
         "SELECT * FROM out ORDER BY w",
         "w,lower\na,2\nb,1\n",
         "complete"},
    };
    run_sql_cases(cases, sizeof cases / sizeof cases[0]);
}

/* Columns without an alias are named as Spark 3.5 names them (ResolveAliases:
 * a column or a CAST of a column keeps the column's name, a field its last
 * part; anything else is its pretty SQL, with the casts Spark adds itself
 * left out and defaults shown). The header of the csv output is the sink's
 * column names, quoted where they hold a comma or a quote. */
Test(sql, column_names_as_spark) {
    static const sql_case cases[] = {
        {{"x"},
         1,
         "SELECT CAST(key AS STRING), CAST(value AS STRING), topic, src.partition, offset + 1 FROM "
         "src",
         "SELECT * FROM out LIMIT 0",
         "key,value,topic,partition,(offset + 1)\n"},
        {{"x"},
         1,
         "SELECT CAST(offset AS INT), CAST(CAST(value AS STRING) AS INT), upper(CAST(value AS "
         "STRING)), lcase(" V "), "
         "length(value) FROM src",
         "SELECT * FROM out LIMIT 0",
         "offset,CAST(CAST(value AS STRING) AS INT),upper(CAST(value AS STRING)),lcase(CAST(value "
         "AS STRING)),"
         "length(value)\n"},
        {{"x"},
         1,
         "SELECT split(" V ", ' ')[1], size(split(" V ", ',')), substring(" V ", 2), substr(" V
         ", 1, 2) FROM src",
         "SELECT * FROM out LIMIT 0",
         "\"split(CAST(value AS STRING),  , -1)[1]\",\"size(split(CAST(value AS STRING), ,, -1))\","
         "\"substring(CAST(value AS STRING), 2, 2147483647)\",\"substr(CAST(value AS STRING), 1, "
         "2)\"\n"},
        {{"x"},
         1,
         "SELECT 1 + 2, 7 / 2, 3 div 2, 'a' || 'b', 1 = 1, 1 != 2, NOT true, -offset, 1.50, 2.5e3, "
         "NULL, 'lit' FROM src",
         "SELECT * FROM out LIMIT 0",
         "(1 + 2),(7 / 2),(3 div 2),\"concat(a, b)\",(1 = 1),(NOT (1 = 2)),(NOT true),(- "
         "offset),1.50,2500.0,NULL,lit\n"},
        {{"x"},
         1,
         "SELECT offset IS NULL, offset BETWEEN 1 AND 2, offset IN (1, 2), " V " LIKE 'a%', " V
         " NOT RLIKE 'b', "
         "CASE offset WHEN 0 THEN 'z' ELSE 'nz' END, coalesce(NULL, 'd'), regexp_extract(" V
         ", '(x)'), unix_timestamp(" V ") FROM src",
         "SELECT * FROM out LIMIT 0",
         "(offset IS NULL),((offset >= 1) AND (offset <= 2)),\"(offset IN (1, 2))\",CAST(value AS "
         "STRING) LIKE a%,"
         "(NOT CAST(value AS STRING) RLIKE b),CASE WHEN (offset = 0) THEN z ELSE nz "
         "END,\"coalesce(NULL, d)\","
         "\"regexp_extract(CAST(value AS STRING), (x), 1)\",\"unix_timestamp(CAST(value AS "
         "STRING), yyyy-MM-dd HH:mm:ss)\"\n"},
        {{"a"},
         1,
         "SELECT " V ", count(*), count(value), sum(offset), avg(offset), min(offset), max(offset) "
         "FROM src GROUP BY " V,
         "SELECT * FROM out LIMIT 0",
         "value,count(1),count(value),sum(offset),avg(offset),min(offset),max(offset)\n",
         "complete"},
        {{"a"},
         1,
         "SELECT window.start, window.end, window, count(*) FROM src GROUP BY window(timestamp, '1 "
         "minute')",
         "SELECT * FROM out LIMIT 0",
         "start,end,window,count(1)\n",
         "complete"},
    };
    run_sql_cases(cases, sizeof cases / sizeof cases[0]);
}

/* TIMESTAMP values stay in years 1..9999: casts that leave the range are
 * NULL (they used to overflow into windows that end before they start). */
Test(sql, timestamps_stay_in_range) {
    static const sql_case cases[] = {
        {{"x"},
         1,
         "SELECT CAST(9223372036854 AS TIMESTAMP) AS a, CAST(-9223372036854 AS TIMESTAMP) AS b, "
         "CAST(253402300799 AS TIMESTAMP) AS c, "
         "CAST(253402300800 AS TIMESTAMP) AS d, CAST(-62135596800 AS TIMESTAMP) AS e, "
         "CAST(-62135596801 AS TIMESTAMP) AS f, "
         "CAST('0000-12-31 00:00:00' AS TIMESTAMP) AS g, CAST(1e300 AS TIMESTAMP) AS h, "
         "to_timestamp('0000-01-01', 'yyyy-MM-dd') AS i, "
         "CAST(true AS TIMESTAMP) AS j FROM src",
         "SELECT quote(a), quote(b), quote(c), quote(d), quote(e), quote(f), quote(g), quote(h), "
         "quote(i), quote(j) FROM out",
         "quote(a),quote(b),quote(c),quote(d),quote(e),quote(f),quote(g),quote(h),quote(i),quote(j)"
         "\n"
         "NULL,NULL,'9999-12-31 23:59:59',NULL,'0001-01-01 "
         "00:00:00',NULL,NULL,NULL,NULL,'1970-01-01 00:00:00.000001'\n"},
        /* the last window of time: its end is in year 10000, computed without overflow */
        {{"x"},
         1,
         "SELECT window.start AS s, window.end AS e, count(*) AS n FROM src GROUP BY "
         "window(CAST(253402300799 AS TIMESTAMP), '1 day')",
         NULL,
         "s,e,n\n9999-12-31 00:00:00,10000-01-01 00:00:00,1\n",
         "complete"},
        {{"x"},
         1,
         "SELECT window.start AS s, count(*) AS n FROM src GROUP BY window(CAST(9223372036854 AS "
         "TIMESTAMP), '1 day', '1 hour')",
         NULL,
         "s,n\n",
         "complete"},
    };
    run_sql_cases(cases, sizeof cases / sizeof cases[0]);
}

/* A pattern with more than 31 groups: the match data grows to the pattern
 * (group 35 used to come back as '' from a 32-pair match data). */
Test(sql, regexp_extract_of_a_high_group) {
    static const sql_case cases[] = {
        {{"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"},
         1,
         "SELECT regexp_extract(" V
         ", '(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)"
         "(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)', 35) AS g35, "
         "regexp_replace(" V ", '(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)"
         "(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)', '$40$35') AS r FROM src",
         NULL,
         "g35,r\nI,NI\n"},
    };
    run_sql_cases(cases, sizeof cases / sizeof cases[0]);
}
