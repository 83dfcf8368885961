-- Benchmark job: time spent per user IP in 1-minute windows sliding every
-- 10 seconds, by event time, with a 30-second watermark, appended as windows
-- close (into a memory sink). 100k offsets a batch, so closed windows leave
-- the state between batches.
CREATE SOURCE clicks USING kafka OPTIONS (subscribe = 'clicks', startingOffsets = 'earliest', maxOffsetsPerTrigger = 100000);
CREATE VIEW visits AS
SELECT split(CAST(value AS STRING), '\t')[4] AS userip,
       CAST(CAST(split(CAST(value AS STRING), '\t')[0] AS BIGINT) AS TIMESTAMP) AS event_time,
       CAST(split(CAST(value AS STRING), '\t')[6] AS INT) AS timespent
FROM clicks;
CREATE SINK per_window USING memory OPTIONS (outputMode = 'append');
INSERT INTO per_window
SELECT window.start AS start, userip, sum(timespent) AS t_ts, count(*) AS n
FROM visits WATERMARK event_time DELAY OF INTERVAL 30 SECONDS
GROUP BY window(event_time, '1 minute', '10 seconds'), userip;
SELECT count(*) AS windows, sum(n) AS clicks FROM per_window;
