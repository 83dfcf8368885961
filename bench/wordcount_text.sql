-- Benchmark job (bench/files.sh): word count over the text file source into
-- a memory sink, then the number of distinct words and their total. The
-- bench replaces 'DATA_DIR' with the folder holding the generated file.
CREATE SOURCE lines USING text OPTIONS (path = 'DATA_DIR');
CREATE SINK word_counts USING memory OPTIONS (outputMode = 'complete');
INSERT INTO word_counts
SELECT word, count(*) AS count
FROM (SELECT explode(split(value, ' ')) AS word FROM lines)
GROUP BY word;
SELECT count(*) AS words, sum(count) AS total FROM word_counts;
