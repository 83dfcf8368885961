-- Word count over the lines of topic t1, printed to the console after every
-- batch (complete mode: the whole table of counts each time). No checkpoint:
-- each run counts the topic from the start (weir run --checkpoint DIR makes
-- a run resume where the last one stopped, as scripts/demo.sh shows).
CREATE SOURCE lines USING kafka OPTIONS (
  'kafka.bootstrap.servers' = 'localhost:9092',
  subscribe = 't1',
  startingOffsets = 'earliest'
);

CREATE SINK word_counts USING console OPTIONS (
  outputMode = 'complete',
  numRows = 100 -- the whole table (Spark's console sink shows 20 rows by default)
);

INSERT INTO word_counts
SELECT word, count(*) AS count
FROM (SELECT explode(split(CAST(value AS STRING), ' ')) AS word FROM lines)
GROUP BY word;
