/* Checkpoints: a query resumes from its checkpoint (offsets and aggregation
 * state) with exact results; an uncommitted batch runs again over exactly its
 * logged ranges; damaged or lost files, another query's checkpoint, a changed
 * state partition count, a second running process and a read-only folder are
 * errors naming the cause; a durable memory sink must agree with its
 * checkpoint, and sink errors name the sink's file. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/wr_broker.h"
#include "support.h"
#include "core/wr_core.h"

static wrt_world w;

static void start(void) {
    wrt_world_start(&w, "ck", "w", 2);
}

static void stop(void) {
    wrt_world_stop(&w);
}

TestSuite(checkpoint, .init = start, .fini = stop, .timeout = 120);

#define JOB(select_list, group)                                                                    \
    "CREATE SOURCE s USING kafka OPTIONS (subscribe = 'w', startingOffsets = 'earliest', "         \
    "maxOffsetsPerTrigger = 2);\n"                                                                 \
    "CREATE SINK counts USING memory OPTIONS (outputMode = 'complete');\n"                         \
    "INSERT INTO counts SELECT " select_list " FROM s GROUP BY " group ";\n"                       \
    "SELECT * FROM counts ORDER BY 1;"

static wrt_result run(const char *job, const char *const *extra) {
    return wrt_run_job(job,
                       (const char *const[]){"--bootstrap", w.bs, "--checkpoint", w.dir,
                                             "--trigger", "availableNow", "--format", "csv", NULL},
                       extra);
}

static void produce(const char *const *m, int n) {
    wrt_produce(w.bs, "w", -1, m, NULL, n);
}

static char *path_in(const char *rel) {
    return wr_xasprintf("%s/counts/%s", w.dir, rel);
}

static const char *job = JOB("CAST(value AS STRING) AS k, count(*) AS n", "CAST(value AS STRING)");

Test(checkpoint, resumes_offsets_and_state_across_runs) {
    const char *m1[] = {"a", "b", "a", "c", "a"};
    produce(m1, 5);
    wrt_result r = run(job, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "k,n\na,3\nb,1\nc,1\n");
    wrt_result_free(&r);
    const char *m2[] = {"b", "d"};
    produce(m2, 2);
    r = run(job, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "k,n\na,3\nb,2\nc,1\nd,1\n", "state was not restored: %s", r.out);
    wrt_result_free(&r);
    /* nothing new: no batch runs, and the new process's memory table is empty */
    r = run(job, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "k,n\n");
    wrt_result_free(&r);
}

Test(checkpoint, an_uncommitted_batch_runs_again_exactly) {
    const char *m1[] = {"a", "b", "a", "c", "a", "b"};
    produce(m1, 6);
    wrt_result r = run(job, NULL);
    cr_assert_str_eq(r.out, "k,n\na,3\nb,2\nc,1\n", "%s", r.err);
    wrt_result_free(&r);
    /* the last batch (2 offsets a batch: batch 2) lost its commit and state:
     * as if the process died after the sink, before commits/2 */
    char *c = path_in("commits/2");
    cr_assert_eq(unlink(c), 0, "no commits/2");
    free(c);
    const char *m2[] = {"c"};
    produce(m2, 1);
    r = run(job, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "k,n\na,3\nb,2\nc,2\n", "batch 2 counted twice or lost: %s", r.out);
    wrt_result_free(&r);
}

Test(checkpoint, damaged_files_are_errors_naming_them) {
    const char *m1[] = {"a", "b", "c"};
    produce(m1, 3);
    wrt_result r = run(job, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    wrt_result_free(&r);
    char *off = path_in("offsets/1");
    FILE *f = fopen(off, "w");
    fputs("v1\n{\"batchWat", f);
    fclose(f);
    r = run(job, NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "checkpoint file ") && strstr(r.err, "/counts/offsets/1 is damaged"),
              "%s", r.err);
    wrt_result_free(&r);
    cr_assert_eq(unlink(off), 0);
    free(off);
    /* now batch 0 is the newest; damage its state delta */
    char *st = path_in("state/0/0/0.delta");
    f = fopen(st, "r+b");
    cr_assert_not_null(f);
    fseek(f, 20, SEEK_SET);
    fputc('X', f);
    fclose(f);
    char *c1 = path_in("commits/1");
    unlink(c1);
    free(c1);
    r = run(job, NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "state file ") && strstr(r.err, "/counts/state/0/0/0.delta is damaged"),
              "%s", r.err);
    wrt_result_free(&r);
    free(st);
}

Test(checkpoint, another_query_or_partition_count_is_refused) {
    const char *m1[] = {"a"};
    produce(m1, 1);
    wrt_result r = run(job, (const char *const[]){"--set", "weir.shuffle.partitions=3", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    wrt_result_free(&r);
    r = run(job, (const char *const[]){"--set", "weir.shuffle.partitions=4", NULL});
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "has 3 state partitions but weir.shuffle.partitions is 4 now"), "%s",
              r.err);
    wrt_result_free(&r);
    r = run(JOB("partition, count(*) AS n", "partition"), NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "was written by a different query (it has: source s subscribe=w; "
                            "columns k STRING, n BIGINT"),
              "%s", r.err);
    cr_assert(strstr(r.err, "this query: source s subscribe=w; columns partition INT, n BIGINT"),
              "%s", r.err);
    wrt_result_free(&r);
}

Test(checkpoint, a_second_process_cannot_take_a_running_querys_checkpoint) {
    char *path =
        wrt_temp_job("CREATE SOURCE s USING kafka OPTIONS (subscribe = 'w');\n"
                     "CREATE SINK counts USING console OPTIONS (outputMode = 'complete');\n"
                     "INSERT INTO counts SELECT count(*) AS n FROM s;");
    int fd;
    pid_t pid = wrt_spawn(
        (const char *const[]){"run", path, "--bootstrap", w.bs, "--checkpoint", w.dir, NULL}, &fd);
    /* wait until the first process holds the checkpoint */
    char *meta = path_in("metadata");
    for (int i = 0; i < 200 && access(meta, F_OK) != 0; i++)
        usleep(25000);
    free(meta);
    wrt_result r =
        WRT_RUN(NULL, "run", path, "--bootstrap", w.bs, "--checkpoint", w.dir, "--trigger", "once");
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "is in use by another running query"), "%s", r.err);
    wrt_result_free(&r);
    kill(pid, SIGTERM);
    cr_assert_eq(wrt_wait(pid, 10000), 0);
    close(fd);
    unlink(path);
    free(path);
}

Test(checkpoint, a_checkpoint_ahead_of_the_log_is_an_error) {
    const char *m1[] = {"a", "b", "c"};
    produce(m1, 3);
    wrt_result r = run(job, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    wrt_result_free(&r);
    /* the same topic, recreated empty on another cluster */
    char err[256];
    wr_broker *other = wr_broker_start(-1, err, sizeof err);
    cr_assert_eq(wr_broker_create_topic(other, "w", 2, err, sizeof err), 0);
    const char *saved = w.bs;
    w.bs = wr_broker_bootstrap(other);
    r = run(job, NULL);
    w.bs = saved;
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "ends at offset 0, before offset") &&
                  strstr(r.err, "the topic was recreated"),
              "%s", r.err);
    wrt_result_free(&r);
    wr_broker_stop(other);
}

/* A durable memory sink: its SQLite file keeps the rows and the last batch id
 * in one transaction, so a batch replayed after a crash changes nothing. */
Test(checkpoint, a_durable_memory_sink_is_exactly_once_across_replays) {
    char *db = wr_xasprintf("%s/out.sqlite", w.dir);
    char *job_text = wr_xasprintf(
        "CREATE SOURCE s USING kafka OPTIONS (subscribe = 'w', startingOffsets = 'earliest', "
        "maxOffsetsPerTrigger = 2);\n"
        "CREATE SINK counts USING memory OPTIONS (outputMode = 'append', path = '%s');\n"
        "INSERT INTO counts SELECT CAST(value AS STRING) AS v FROM s;\n"
        "SELECT v, count(*) AS n FROM counts GROUP BY v ORDER BY v;",
        db);
    const char *m1[] = {"a", "b", "c", "d", "e"};
    produce(m1, 5);
    wrt_result r = run(job_text, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "v,n\na,1\nb,1\nc,1\nd,1\ne,1\n");
    wrt_result_free(&r);
    /* the sink committed batch 2 but the process died before commits/2 */
    char *c = path_in("commits/2");
    cr_assert_eq(unlink(c), 0);
    free(c);
    const char *m2[] = {"f"};
    produce(m2, 1);
    r = run(job_text, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "v,n\na,1\nb,1\nc,1\nd,1\ne,1\nf,1\n",
                     "a replayed batch was written twice: %s", r.out);
    wrt_result_free(&r);
    free(job_text);
    /* the same file under another query's columns is refused */
    job_text = wr_xasprintf(
        "CREATE SOURCE s USING kafka OPTIONS (subscribe = 'w', startingOffsets = 'earliest');\n"
        "CREATE SINK counts USING memory OPTIONS (path = '%s');\n"
        "INSERT INTO counts SELECT offset FROM s;",
        db);
    char *path = wrt_temp_job(job_text);
    r = WRT_RUN(NULL, "run", path, "--bootstrap", w.bs, "--trigger", "once");
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "holds a table counts with other columns"), "%s", r.err);
    wrt_result_free(&r);
    unlink(path);
    free(path);
    free(job_text);
    free(db);
}

/* After commits/N the processed offsets go to the consumer group, so Kafka
 * tools (here weir consume --group) see the query's position and lag. */
Test(checkpoint, processed_offsets_are_committed_to_the_consumer_group) {
    const char *m1[] = {"a", "b", "c"};
    produce(m1, 3);
    wrt_result r = run("CREATE SOURCE s USING kafka OPTIONS (subscribe = 'w', startingOffsets = "
                       "'earliest', 'kafka.group.id' = 'lagtest');\n"
                       "CREATE SINK counts USING memory;\n"
                       "INSERT INTO counts SELECT CAST(value AS STRING) AS v FROM s;",
                       NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    wrt_result_free(&r);
    const char *m2[] = {"late"};
    produce(m2, 1);
    r = WRT_RUN(NULL, "consume", "--topic", "w", "--group", "lagtest", "--from-beginning",
                "--timeout-ms", "2000", "--bootstrap", w.bs);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "late\n", "the group did not start after the processed offsets: %s",
                     r.out);
    wrt_result_free(&r);
}

/* A crash at each stage of batch 1 (WEIR_FAULT ends the process there, as a
 * kill would): after its offsets entry, after the sink has it, after the state
 * files, after commits/1. The restarted run ends with exactly the rows of an
 * uninterrupted one, in a durable memory sink (update mode) and a csv sink. */
Test(checkpoint, a_crash_at_each_stage_of_a_batch_recovers_exactly) {
    const char *p0[] = {"a", "b", "a"}, *p1[] = {"c", "a", "b"};
    wrt_produce(w.bs, "w", 0, p0, NULL, 3);
    wrt_produce(w.bs, "w", 1, p1, NULL, 3);
    const char *stages[] = {"offsets", "sink", "state", "commit"};
    for (int s = 0; s < 4; s++) {
        char *stage_job = wr_xasprintf(
            "CREATE SOURCE s USING kafka OPTIONS (subscribe = 'w', startingOffsets = 'earliest', "
            "maxOffsetsPerTrigger = 2);\n"
            "CREATE SINK counts USING memory OPTIONS (outputMode = 'update', path = "
            "'%s/%s.sqlite');\n"
            "CREATE SINK lines USING csv OPTIONS (path = '%s/%s-lines');\n"
            "INSERT INTO counts SELECT CAST(value AS STRING) AS k, count(*) AS n FROM s GROUP BY "
            "CAST(value AS STRING);\n"
            "INSERT INTO lines SELECT partition, offset, CAST(value AS STRING) AS v FROM s;\n"
            "SELECT * FROM counts ORDER BY k;\n"
            "SELECT * FROM lines ORDER BY partition, offset;",
            w.dir, stages[s], w.dir, stages[s]);
        char *ck = wr_xasprintf("%s/ck-%s", w.dir, stages[s]),
             *fault = wr_xasprintf("%s:1", stages[s]);
        const char *const args[] = {"--bootstrap",  w.bs,       "--checkpoint", ck,  "--trigger",
                                    "availableNow", "--format", "csv",          NULL};
        setenv("WEIR_FAULT", fault, 1);
        wrt_result r = wrt_run_job(stage_job, args, NULL);
        unsetenv("WEIR_FAULT");
        cr_assert_eq(r.status, 70, "%s: %s", stages[s], r.err);
        char *msg = wr_xasprintf("stopping at %s of batch 1", stages[s]);
        cr_assert(strstr(r.err, msg), "%s", r.err);
        free(msg);
        wrt_result_free(&r);
        r = wrt_run_job(stage_job, args, NULL);
        cr_assert_eq(r.status, 0, "%s: %s", stages[s], r.err);
        cr_assert_str_eq(
            r.out,
            "k,n\na,3\nb,2\nc,1\n\npartition,offset,v\n0,0,a\n0,1,b\n0,2,a\n1,0,c\n1,1,a\n1,2,b\n",
            "after a crash at %s: %s", stages[s], r.out);
        wrt_result_free(&r);
        free(stage_job), free(ck), free(fault);
    }
}

static void remove_db(const char *db) {
    static const char *sfx[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char *p = wr_xasprintf("%s%s", db, sfx[i]);
        unlink(p);
        free(p);
    }
}

/* The query id in a checkpoint's metadata (malloc'd). */
static char *checkpoint_id(const char *ck) {
    char *p = wr_xasprintf("%s/metadata", ck);
    json_t *j = json_load_file(p, 0, NULL);
    cr_assert_not_null(j, "no %s", p);
    char *id = wr_xstrdup(json_string_value(json_object_get(j, "id")));
    json_decref(j);
    free(p);
    return id;
}

/* A durable memory sink and its checkpoint must agree: a removed sink file,
 * a removed checkpoint with the file kept (another query's file), and a
 * file that holds batches for a query without a checkpoint are refused,
 * naming the file and the way out; a file of an earlier Weir (no query
 * column) is taken over. */
Test(checkpoint, a_durable_memory_sink_and_its_checkpoint_must_agree) {
    char *db = wr_xasprintf("%s/out.sqlite", w.dir), *ck = wr_xasprintf("%s/counts", w.dir);
    char *job_text = wr_xasprintf("CREATE SOURCE s USING kafka OPTIONS (subscribe = 'w', "
                                  "startingOffsets = 'earliest', maxOffsetsPerTrigger = 2);\n"
                                  "CREATE SINK counts USING memory OPTIONS (path = '%s');\n"
                                  "INSERT INTO counts SELECT CAST(value AS STRING) AS v FROM s;\n"
                                  "SELECT v FROM counts ORDER BY v;",
                                  db);
    const char *m1[] = {"a", "b", "c", "d", "e"};
    produce(m1, 5);
    wrt_result r = run(job_text, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "v\na\nb\nc\nd\ne\n");
    wrt_result_free(&r);
    /* the sink's file removed, the checkpoint kept */
    remove_db(db);
    r = run(job_text, NULL);
    cr_assert_eq(r.status, 1, "a removed sink file was not noticed: %s", r.out);
    char *want = wr_xasprintf("weir run: query counts failed: sink counts: %s holds no batch but "
                              "checkpoint %s committed batch 2 (%s/commits/2): "
                              "the sink's output was removed or damaged; restore it, or, to start "
                              "fresh, remove both %s and %s\n",
                              db, ck, ck, ck, db);
    cr_assert_str_eq(r.err, want);
    free(want);
    wrt_result_free(&r);
    /* both removed: a fresh start */
    remove_db(db);
    wrt_remove_tree(ck);
    r = run(job_text, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "v\na\nb\nc\nd\ne\n");
    wrt_result_free(&r);
    /* only the checkpoint removed: the file holds another query's batches (and
     * the refused start leaves no new checkpoint, with a new query id, behind) */
    char *old_id = checkpoint_id(ck);
    wrt_remove_tree(ck);
    for (int i = 0; i < 2; i++) {
        r = run(job_text, NULL);
        cr_assert_eq(r.status, 1, "a kept sink under a fresh checkpoint was not noticed: %s",
                     r.out);
        want = wr_xasprintf("weir run: query counts failed: sink counts: %s holds the batches of "
                            "another query (%s names query %s; checkpoint %s did not exist): "
                            "restore that query's checkpoint, give the sink its own path, or, to "
                            "start fresh, remove %s\n",
                            db, db, old_id, ck, db);
        cr_assert_str_eq(r.err, want);
        free(want);
        wrt_result_free(&r);
        cr_assert_neq(access(ck, F_OK), 0, "the failed start left checkpoint %s", ck);
    }
    free(old_id);
    /* a file of an earlier Weir, without the query column: taken over */
    remove_db(db);
    wrt_remove_tree(ck);
    r = run(job_text, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    wrt_result_free(&r);
    sqlite3 *h;
    cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(h, "ALTER TABLE weir_batches DROP COLUMN query", NULL, NULL, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(h));
    sqlite3_close(h);
    const char *m2[] = {"f"};
    produce(m2, 1);
    r = run(job_text, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "v\na\nb\nc\nd\ne\nf\n");
    wrt_result_free(&r);
    cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
    sqlite3_stmt *st;
    cr_assert_eq(
        sqlite3_prepare_v2(h, "SELECT sink, batch, query FROM weir_batches", -1, &st, NULL),
        SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    char *id = checkpoint_id(ck);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "counts");
    cr_assert_eq(sqlite3_column_int64(st, 1), 3);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 2), id);
    free(id);
    sqlite3_finalize(st);
    sqlite3_close(h);
    /* no checkpoint: the run would start at batch 0 again, and the file skip it */
    char *path = wrt_temp_job(job_text);
    r = WRT_RUN(NULL, "run", path, "--bootstrap", w.bs, "--trigger", "availableNow");
    cr_assert_eq(r.status, 1, "a durable sink without a checkpoint took batches again: %s", r.out);
    want = wr_xasprintf("weir run: query counts failed: sink counts: %s holds batches of an "
                        "earlier run, and this query has no checkpoint to "
                        "continue from (it would start again at batch 0): give sink counts a "
                        "checkpointLocation (or weir run --checkpoint "
                        "DIR), or remove %s to start fresh\n",
                        db, db);
    cr_assert_str_eq(r.err, want);
    free(want);
    wrt_result_free(&r);
    unlink(path);
    free(path);
    free(job_text);
    free(ck);
    free(db);
}

/* A checkpoint that lost the offsets file of its newest commit, or its
 * metadata, is refused naming the file. */
Test(checkpoint, commits_without_offsets_or_a_lost_metadata_file_are_refused) {
    const char *m1[] = {"a", "b", "a", "c", "a"};
    produce(m1, 5);
    wrt_result r = run(job, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    wrt_result_free(&r);
    char *ck = wr_xasprintf("%s/counts", w.dir), *off = path_in("offsets/2"),
         *com = path_in("commits/2"), *meta = path_in("metadata");
    cr_assert_eq(unlink(off), 0);
    const char *m2[] = {"b"};
    produce(m2, 1);
    r = run(job, NULL);
    cr_assert_eq(r.status, 1, "commits/2 without offsets/2 was not noticed: %s", r.out);
    char *want = wr_xasprintf("weir run: query counts failed: checkpoint %s has %s/commits/2 but "
                              "no %s/offsets/2 (the newest offsets file is "
                              "of an earlier batch): restore that file, or remove %s (and the "
                              "output of a durable sink it writes) to start fresh\n",
                              ck, ck, ck, ck);
    cr_assert_str_eq(r.err, want);
    free(want);
    wrt_result_free(&r);
    cr_assert_eq(unlink(meta), 0);
    cr_assert_eq(unlink(com), 0);
    r = run(job, NULL);
    cr_assert_eq(r.status, 1, "a lost metadata file was not noticed: %s", r.out);
    want = wr_xasprintf("weir run: query counts failed: checkpoint file %s is missing but %s holds "
                        "batches: restore it, or remove %s (and the "
                        "output of a durable sink it writes) to start fresh\n",
                        meta, ck, ck);
    cr_assert_str_eq(r.err, want);
    free(want);
    wrt_result_free(&r);
    free(ck), free(off), free(com), free(meta);
}

/* A checkpoint the process cannot write says "read-only" (root ignores
 * permission bits: the run is another user's), not "in use". */
Test(checkpoint, a_read_only_checkpoint_says_so) {
    const char *m1[] = {"a"};
    produce(m1, 1);
    wrt_result r = run(job, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    wrt_result_free(&r);
    char *ck = wr_xasprintf("%s/counts", w.dir), *fresh = wr_xasprintf("%s/counts/new", w.dir);
    cr_assert_eq(chmod(w.dir, 0755), 0);
    cr_assert_eq(chmod(ck, 0555), 0);
    char *path = wrt_temp_job(job);
    cr_assert_eq(chmod(path, 0644), 0);
    wrt_child c = {.cwd = "/", .uid = wrt_spare_uid()};
    r = wrt_run_as(&c, (const char *const[]){"run", path, "--bootstrap", w.bs, "--checkpoint",
                                             w.dir, "--trigger", "availableNow", NULL});
    cr_assert_eq(r.status, 1, "%s", r.err);
    char *want = wr_xasprintf("weir run: query counts failed: checkpoint %s is read-only (cannot "
                              "open %s/.lock for writing: Permission denied); "
                              "a query must write its checkpoint: make it writable or choose "
                              "another checkpointLocation\n",
                              ck, ck);
    cr_assert_str_eq(r.err, want);
    free(want);
    wrt_result_free(&r);
    /* a new checkpoint in a folder it cannot write */
    r = wrt_run_as(&c, (const char *const[]){"run", path, "--bootstrap", w.bs, "--checkpoint",
                                             fresh, "--trigger", "availableNow", NULL});
    cr_assert_eq(r.status, 1, "%s", r.err);
    want = wr_xasprintf(
        "weir run: query counts failed: checkpoint %s/counts is read-only (cannot create %s: "
        "Permission denied); a query must "
        "write its checkpoint: make it writable or choose another checkpointLocation\n",
        fresh, fresh);
    cr_assert_str_eq(r.err, want);
    free(want);
    wrt_result_free(&r);
    unlink(path);
    free(path);
    free(ck);
    free(fresh);
}

/* A memory sink's file the process cannot write says "read-only", naming
 * the file (SQLite says only "unable to open database file"): in a folder
 * it cannot write, and a file of another user. */
Test(checkpoint, a_read_only_memory_sink_file_says_so) {
    char *ro = wr_xasprintf("%s/ro", w.dir), *rw = wr_xasprintf("%s/rw", w.dir),
         *ck = wr_xasprintf("%s/ck", w.dir);
    cr_assert_eq(chmod(w.dir, 0755), 0);
    cr_assert_eq(mkdir(ro, 0555), 0);
    cr_assert_eq(mkdir(rw, 0777), 0);
    cr_assert_eq(mkdir(ck, 0777), 0);
    cr_assert_eq(chmod(ro, 0555), 0);
    cr_assert_eq(chmod(rw, 0777), 0);
    cr_assert_eq(chmod(ck, 0777), 0);
    char *theirs = wr_xasprintf("%s/theirs.sqlite", rw);
    FILE *f = fopen(theirs, "w");
    cr_assert_not_null(f);
    fclose(f);
    cr_assert_eq(chmod(theirs, 0644), 0);
    const char *files[] = {"ro/m.sqlite", "rw/theirs.sqlite"};
    for (int i = 0; i < 2; i++) {
        char *text = wr_xasprintf(
            "CREATE SOURCE r USING rate;\nCREATE SINK m USING memory OPTIONS (path = '%s/%s', "
            "checkpointLocation = '%s/%d');\nINSERT INTO m SELECT value FROM r;",
            w.dir, files[i], ck, i);
        char *path = wrt_temp_job(text);
        cr_assert_eq(chmod(path, 0644), 0);
        wrt_child c = {.cwd = "/", .uid = wrt_spare_uid()};
        wrt_result r =
            wrt_run_as(&c, (const char *const[]){"run", path, "--trigger", "once", NULL});
        cr_assert_eq(r.status, 1, "%s", r.err);
        char *want = wr_xasprintf(
            "weir run: query m failed: memory sink m: %s/%s is read-only (Permission denied): "
            "the sink writes its table there, and SQLite's -wal and -shm files beside it; make it "
            "writable or choose another path\n",
            w.dir, files[i]);
        cr_assert_str_eq(r.err, want);
        free(want);
        wrt_result_free(&r);
        char *fresh = wr_xasprintf("%s/%d", ck, i); /* the failed start made no checkpoint */
        cr_assert_neq(access(fresh, F_OK), 0, "the failed start left checkpoint %s", fresh);
        free(fresh);
        unlink(path);
        free(path);
        free(text);
    }
    cr_assert_eq(access(ck, F_OK), 0, "a folder that was there stays");
    free(ro), free(rw), free(ck), free(theirs);
}

/* Sink errors name the sink's file: a write that fails (here past the
 * file size limit, as on a full disk) and a damaged durable file. */
Test(checkpoint, sink_errors_name_the_file) {
    char *db = wr_xasprintf("%s/out.sqlite", w.dir), *ck = wr_xasprintf("%s/counts", w.dir),
         *dir = wr_xasprintf("%s/files", w.dir);
    char *job_text = wr_xasprintf(
        "CREATE SOURCE s USING kafka OPTIONS (subscribe = 'w', startingOffsets = 'earliest');\n"
        "CREATE SINK counts USING memory OPTIONS (path = '%s');\n"
        "INSERT INTO counts SELECT CAST(value AS STRING) AS v, offset FROM s;",
        db);
    enum { N = 2000 };
    const char *big[N];
    static char line[201];
    memset(line, 'x', 200);
    for (int i = 0; i < N; i++)
        big[i] = line;
    produce(big, N); /* 400 KB */
    char *path = wrt_temp_job(job_text);
    wrt_child c = {.fsize = 65536};
    wrt_result r =
        wrt_run_as(&c, (const char *const[]){"run", path, "--bootstrap", w.bs, "--checkpoint",
                                             w.dir, "--trigger", "availableNow", NULL});
    cr_assert_eq(r.status, 1, "%s", r.err);
    char *want = wr_xasprintf("weir run: query counts failed: memory sink counts: %s: ", db);
    cr_assert(!strncmp(r.err, want, strlen(want)) && wrt_count_lines(r.err, strlen(r.err)) == 1,
              "%s", r.err);
    free(want);
    wrt_result_free(&r);
    /* a file that is not a database */
    remove_db(db);
    FILE *f = fopen(db, "w");
    for (int i = 0; i < 100; i++)
        fputs("not a database at all, ", f);
    fclose(f);
    r = wrt_run_job(job_text,
                    (const char *const[]){"--bootstrap", w.bs, "--checkpoint", w.dir, "--trigger",
                                          "availableNow", NULL},
                    NULL);
    cr_assert_eq(r.status, 1, "%s", r.err);
    want = wr_xasprintf("weir run: query counts failed: cannot use %s: file is not a database; the "
                        "file of memory sink counts is damaged: "
                        "restore it, or remove it and %s to start fresh\n",
                        db, ck);
    cr_assert_str_eq(r.err, want);
    free(want);
    wrt_result_free(&r);
    unlink(path);
    free(path);
    free(job_text);
    /* a csv sink's batch file */
    job_text = wr_xasprintf(
        "CREATE SOURCE s USING kafka OPTIONS (subscribe = 'w', startingOffsets = 'earliest');\n"
        "CREATE SINK lines USING csv OPTIONS (path = '%s');\n"
        "INSERT INTO lines SELECT CAST(value AS STRING) AS v FROM s;",
        dir);
    path = wrt_temp_job(job_text);
    r = wrt_run_as(&c, (const char *const[]){"run", path, "--bootstrap", w.bs, "--checkpoint",
                                             w.dir, "--trigger", "availableNow", NULL});
    cr_assert_eq(r.status, 1, "%s", r.err);
    want = wr_xasprintf(
        "weir run: query lines failed: cannot write %s/batch-0.csv: File too large\n", dir);
    cr_assert_str_eq(r.err, want);
    free(want);
    wrt_result_free(&r);
    unlink(path);
    free(path);
    free(job_text);
    free(db), free(ck), free(dir);
}

/* avg of integers sums in DOUBLE (as Spark) since state format 2; a
 * checkpoint whose avg state holds a BIGINT sum (as weir wrote it before) is
 * refused with both signatures, not misread as a double. */
Test(checkpoint, an_avg_state_of_an_older_format_is_refused) {
    const char *m1[] = {"5", "6"};
    wrt_produce(w.bs, "w", 0, m1, NULL, 2);
    const char *avg_job =
        JOB("partition, avg(CAST(CAST(value AS STRING) AS BIGINT)) AS a", "partition");
    wrt_result r = run(avg_job, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "partition,a\n0,5.5\n");
    wrt_result_free(&r);
    /* the metadata as weir wrote it before avg of integers summed in DOUBLE */
    char *meta = path_in("metadata");
    size_t len;
    char *text = wr_read_file(meta, &len);
    cr_assert_not_null(text);
    char *at = strstr(text, " avg(DOUBLE sum)");
    cr_assert_not_null(at, "%s", text);
    memmove(at + 4, at + 16, strlen(at + 16) + 1);
    FILE *f = fopen(meta, "w");
    fputs(text, f);
    fclose(f);
    free(text);
    free(meta);
    r = run(avg_job, NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "was written by a different query (it has: source s subscribe=w; "
                            "columns partition INT, a DOUBLE; "
                            "group by 1 key (INT), aggregates avg; this query: source s "
                            "subscribe=w; columns partition INT, a DOUBLE; "
                            "group by 1 key (INT), aggregates avg(DOUBLE sum))"),
              "%s", r.err);
    wrt_result_free(&r);
    /* avg of a DOUBLE summed in DOUBLE before too: its signature is as it was */
    r = run("CREATE SOURCE s USING kafka OPTIONS (subscribe = 'w', startingOffsets = 'earliest');\n"
            "CREATE SINK davg USING memory OPTIONS (outputMode = 'complete');\n"
            "INSERT INTO davg SELECT avg(CAST(CAST(value AS STRING) AS DOUBLE)) AS a FROM s;",
            NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    wrt_result_free(&r);
    meta = wr_xasprintf("%s/davg/metadata", w.dir);
    text = wr_read_file(meta, &len);
    cr_assert(text && strstr(text, "columns a DOUBLE; group by 0 keys (), aggregates avg\"}"), "%s",
              text);
    free(text);
    free(meta);
}

/* A row whose evaluation fails (a regex over its match limit) fails the
 * batch before the sink: nothing is committed, and the next run replays the
 * batch (and fails the same way) instead of skipping it. */
Test(checkpoint, a_failed_batch_is_not_committed_and_runs_again) {
    const char *m1[] = {"a", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"};
    wrt_produce(w.bs, "w", 0, m1, NULL, 2);
    const char *rx_job =
        "CREATE SOURCE s USING kafka OPTIONS (subscribe = 'w', startingOffsets = 'earliest');\n"
        "CREATE SINK counts USING memory;\n"
        "INSERT INTO counts SELECT CAST(value AS STRING) AS v FROM s WHERE CAST(value AS STRING) "
        "RLIKE '(a+)+$';\n"
        "SELECT * FROM counts;";
    const char *want = "weir run: query counts failed: RLIKE: the regular expression '(a+)+$' "
                       "failed on a 41-byte value: "
                       "match limit exceeded (topic w, partition 0, offset 1)\n";
    for (int i = 0; i < 2; i++) {
        wrt_result r = run(rx_job, NULL);
        cr_assert_eq(r.status, 1, "run %d: %s", i, r.err);
        cr_assert_str_eq(r.err, want, "run %d", i);
        wrt_result_free(&r);
        char *off = path_in("offsets/0"), *commit = path_in("commits/0"),
             *next = path_in("offsets/1");
        cr_assert_eq(access(off, F_OK), 0, "run %d: no offsets/0", i);
        cr_assert_neq(access(commit, F_OK), 0, "run %d: the failed batch was committed", i);
        cr_assert_neq(access(next, F_OK), 0, "run %d: the failed batch was skipped", i);
        free(off), free(commit), free(next);
    }
}

/* A session window that takes in an event without growing is removed and
 * added again with the same keys in one batch: the batch's delta must leave
 * it there (its removal first, then the session), or a restart loses it. */
Test(checkpoint, a_session_that_takes_in_an_event_without_growing_survives_a_restart) {
    const char *sjob =
        "CREATE SOURCE s USING kafka OPTIONS (subscribe = 'w', startingOffsets = 'earliest');\n"
        "CREATE VIEW v AS SELECT split(CAST(value AS STRING), ',')[0] AS u, "
        "CAST(CAST(split(CAST(value AS STRING), ',')[1] AS BIGINT) AS TIMESTAMP) AS t FROM s;\n"
        "CREATE SINK sessions USING memory OPTIONS (outputMode = 'append');\n"
        "INSERT INTO sessions SELECT session_window.start AS st, u, count(*) AS n FROM v "
        "WATERMARK t DELAY OF INTERVAL 5 SECONDS GROUP BY session_window(t, '30 seconds'), u;\n"
        "SELECT * FROM sessions;";
    const char *runs[][2] = {{"a,1000", "a,1010"}, {"a,1005", NULL}, {"a,2000", NULL}};
    wr_buf all = {0};
    for (int i = 0; i < 3; i++) {
        wrt_produce(w.bs, "w", 0, runs[i], NULL, runs[i][1] ? 2 : 1);
        wrt_result r = run(sjob, NULL);
        cr_assert_eq(r.status, 0, "%s", r.err);
        wr_buf_puts(&all, r.out);
        wrt_result_free(&r);
    }
    cr_assert_str_eq(all.p, "st,u,n\nst,u,n\nst,u,n\n1970-01-01 00:16:40,a,3\n");
    wr_buf_free(&all);
}
