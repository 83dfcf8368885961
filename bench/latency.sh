#!/usr/bin/env bash
# Latency (make bench): bench/latency.c produces LAT_RATE (50,000) events a
# second, steadily (a 1 ms pacing clock), for LAT_SECONDS (30) into a
# one-partition topic of the embedded broker, each value the wall-clock µs
# of its produce call; a running `weir run` with the default trigger
# (processingTime 0: the next batch as soon as the last one ends) copies
# them into a memory sink with a path (an SQLite file; append mode), and
# latency.c polls that file every millisecond. Visible = the row is in a
# committed transaction of the sink's file, readable by any other SQLite
# reader. Reports produce-to-visible p50 / p99 / max, then what bounds it,
# from weir's progress (bench/progress_stats.c: the batch cycle, batches
# that waited for a fetch, idle gaps between batches). Four runs:
#   default              the job as a user would write it, no checkpoint
#   checkpoint           the same with --checkpoint (fsynced offsets, commits)
#   fetchwait100         the source with kafka.fetch.wait.max.ms = 100 (Weir's
#                        default against a real broker; against the embedded
#                        one it asks for 10): what a parked fetch costs here
# LAT_LINGER (5, librdkafka's default linger.ms) is the producer's linger.
#   usage: bench/latency.sh [BUILD]
set -uo pipefail
source "$(dirname "$0")/lib.sh"
rate=${LAT_RATE:-50000}
seconds=${LAT_SECONDS:-30}
linger=${LAT_LINGER:-5}
runs=${LAT_RUNS:-default checkpoint fetchwait100}
tmp=$(mktemp -d)
wpid=
trap '[ -n "$wpid" ] && kill "$wpid" 2>/dev/null; stop_broker; rm -rf "$tmp"' EXIT
failed=0

topics=(); for run in $runs; do topics+=("lat_$run:1"); done
start_broker "$tmp/broker.log" "${topics[@]}" || exit 1
echo "== latency: $rate events/s for $seconds s into one partition, producer linger.ms=$linger; weir run, default trigger, memory sink with path"
for run in $runs; do
  extra=() opts=""
  case "$run" in
    default) ;;
    checkpoint) extra=(--checkpoint "$tmp/ck") ;;
    fetchwait100) opts="kafka.fetch.wait.max.ms = 100, " ;;
    *) echo "latency: unknown run '$run' (default, checkpoint, fetchwait100)" >&2; exit 2 ;;
  esac
  cat >"$tmp/$run.sql" <<EOF
CREATE SOURCE events USING kafka OPTIONS (subscribe = 'lat_$run', ${opts}startingOffsets = 'earliest');
CREATE SINK lat USING memory OPTIONS (outputMode = 'append', path = '$tmp/$run.sqlite');
INSERT INTO lat SELECT CAST(CAST(value AS STRING) AS BIGINT) AS produced_us FROM events;
SELECT count(*) AS events FROM lat;
EOF
  "$weir" run "$tmp/$run.sql" --bootstrap "$bs" --progress --format csv "${extra[@]}" >"$tmp/$run.out" 2>"$tmp/$run.err" &
  wpid=$!
  echo "-- $run${extra[*]:+ (${extra[*]})}${opts:+ (${opts%, })}"
  "$build/latency" "$bs" "lat_$run" "$rate" "$seconds" "$tmp/$run.sqlite" lat "$linger" || failed=1
  kill -INT "$wpid" 2>/dev/null
  wait "$wpid" || { echo "latency: weir run ($run) failed:" >&2; tail -3 "$tmp/$run.err" >&2; failed=1; }
  wpid=
  want=$(awk -v r="$rate" -v s="$seconds" 'BEGIN { printf "%d", r * s + 1 }') # and the warm-up event
  got=$(tail -1 "$tmp/$run.out")
  if [ "$got" != "$want" ]; then
    echo "latency: the sink holds $got events, expected $want" >&2
    failed=1
  else
    echo "latency: totals match ($want events in the sink)"
  fi
  "$build/progress_stats" "$tmp/$run.err" "$rate" 90 || failed=1
done
echo "(visible: committed in the sink's SQLite file, seen by a reader polling every 1 ms. librdkafka's mock cluster — the embedded broker — answers a fetch that finds no data only after its whole fetch.wait.max.ms, even when data arrives meanwhile, so Weir's source asks it for 10 ms (100 against a real broker, which answers as soon as data arrives); fetchwait100 shows what 100 would cost here. Idle gaps: the driver found nothing new and waited before polling again.)"
exit "$failed"
