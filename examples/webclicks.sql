-- Webclicks time spent: every click's user IP (field 4) and seconds spent
-- (field 6) go to the memory table `mytable`; then SQL over it gives the ten
-- IPs with the most time spent. No checkpoint: each run reads the topic from
-- the start, so each run prints the answer (a memory sink without `path`
-- lives only as long as the run: with a checkpoint, a second run would
-- resume after what the first read and print an empty table).
CREATE SOURCE clicks USING kafka OPTIONS (
  'kafka.bootstrap.servers' = 'localhost:9092',
  subscribe = 't2',
  startingOffsets = 'earliest'
);

CREATE SINK mytable USING memory OPTIONS (
  outputMode = 'append'
);

INSERT INTO mytable
SELECT split(CAST(value AS STRING), '\t')[4] AS userip,
       CAST(split(CAST(value AS STRING), '\t')[6] AS INT) AS timespent
FROM clicks;

-- A plain SELECT reads memory sinks; it is SQLite SQL over the sink's table.
SELECT userip, sum(timespent) AS t_ts
FROM mytable GROUP BY userip ORDER BY t_ts DESC LIMIT 10;
