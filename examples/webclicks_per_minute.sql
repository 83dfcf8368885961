-- Webclicks per minute, by event time: the seconds each user IP spent in
-- every one-minute window, sliding every 30 seconds, from the click's own
-- time (field 0, seconds since the epoch). Clicks may arrive up to 30 seconds
-- late; a window is appended to the csv files once the watermark passes its
-- end, and never changes after that. The files and the checkpoint together
-- keep the answer: a second run resumes and prints the same windows (plus
-- any new ones); to start over, remove both out/webclicks_per_minute and
-- checkpoints/webclicks_per_minute.
CREATE SOURCE clicks USING kafka OPTIONS (
  'kafka.bootstrap.servers' = 'localhost:9092',
  subscribe = 't2',
  startingOffsets = 'earliest'
);

CREATE VIEW visits AS
SELECT split(CAST(value AS STRING), '\t')[4] AS userip,
       CAST(CAST(split(CAST(value AS STRING), '\t')[0] AS BIGINT) AS TIMESTAMP) AS event_time,
       CAST(split(CAST(value AS STRING), '\t')[6] AS INT) AS timespent
FROM clicks;

CREATE SINK per_minute USING csv OPTIONS (
  path = 'out/webclicks_per_minute',
  header = 'true',
  checkpointLocation = 'checkpoints/webclicks_per_minute'
);

INSERT INTO per_minute
SELECT window.start, window.end, userip, sum(timespent) AS t_ts, count(*) AS clicks
FROM visits WATERMARK event_time DELAY OF INTERVAL 30 SECONDS
GROUP BY window(event_time, '1 minute', '30 seconds'), userip;

-- The windows committed so far with the most time spent.
SELECT start, userip, t_ts, clicks FROM per_minute ORDER BY t_ts DESC, start, userip LIMIT 10;
