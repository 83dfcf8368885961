-- Benchmark job: one offset per batch (maxOffsetsPerTrigger = 1) into a
-- word count, so the time per batch is the fixed cost of a micro-batch:
-- planning, the offsets log, a state delta, the sink, the commit.
CREATE SOURCE lines USING kafka OPTIONS (subscribe = 'cycle', startingOffsets = 'earliest', maxOffsetsPerTrigger = 1);
CREATE SINK word_counts USING memory OPTIONS (outputMode = 'update');
INSERT INTO word_counts
SELECT CAST(value AS STRING) AS word, count(*) AS count FROM lines GROUP BY CAST(value AS STRING);
SELECT count(*) AS words, sum(count) AS total FROM word_counts;
