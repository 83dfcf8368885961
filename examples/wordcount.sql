-- Word count over the lines of topic t1, printed to the console after every
-- batch (complete mode: the whole table of counts each time).
CREATE SOURCE lines USING kafka OPTIONS (
  'kafka.bootstrap.servers' = 'localhost:9092',
  subscribe = 't1',
  startingOffsets = 'earliest'
);

CREATE SINK word_counts USING console OPTIONS (
  outputMode = 'complete',
  checkpointLocation = 'checkpoints/wordcount'
);

INSERT INTO word_counts
SELECT word, count(*) AS count
FROM (SELECT explode(split(CAST(value AS STRING), ' ')) AS word FROM lines)
GROUP BY word;
