-- Benchmark job: word count over topic `bench` into a memory sink (complete
-- mode), then the number of distinct words and their total.
CREATE SOURCE lines USING kafka OPTIONS (subscribe = 'bench', startingOffsets = 'earliest');
CREATE SINK word_counts USING memory OPTIONS (outputMode = 'complete');
INSERT INTO word_counts
SELECT word, count(*) AS count
FROM (SELECT explode(split(CAST(value AS STRING), ' ')) AS word FROM lines)
GROUP BY word;
SELECT count(*) AS words, sum(count) AS total FROM word_counts;
