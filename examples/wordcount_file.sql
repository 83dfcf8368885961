-- Word count over text files, printed to the console after every batch
-- (complete mode): every file examples/*.txt matches is read once, and a
-- file that appears while the query runs is read by the next batch (write it
-- elsewhere and move it in, so that it is complete when it appears). No
-- checkpoint: each run reads the files again (weir run --checkpoint DIR
-- makes a run go on where the last one stopped, reading only new files).
CREATE SOURCE lines USING text OPTIONS (path = 'examples/*.txt');

CREATE SINK word_counts USING console OPTIONS (
  outputMode = 'complete',
  numRows = 100
);

INSERT INTO word_counts
SELECT word, count(*) AS count
FROM (SELECT explode(split(value, ' ')) AS word FROM lines)
GROUP BY word;
