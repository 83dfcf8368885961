#!/usr/bin/env bash
# The README's demo: starts the embedded broker, sends examples/lines.txt through
# it and reads it back, then runs the example jobs (word count on the console, from
# Kafka and from the file itself,
# webclicks time spent with SQL over a memory sink, webclicks per minute into
# csv files), and stops the broker. Set WEIR_DEMO_PORT to use another port than 9092. Every example
# gives its answer on every run (see the README, "Checkpoints and restart").
set -euo pipefail
build=${1:-build}
weir="$build/weir"
port=${WEIR_DEMO_PORT:-9092}
cd "$(dirname "$0")/.."

log=$(mktemp)
ck=$(mktemp -d) # fresh checkpoints, so the demo can run again and again
"$weir" broker --port "$port" --topic t1:4 --topic t2:4 >"$log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null; wait $broker 2>/dev/null; rm -rf "$log" "$ck"' EXIT
for _ in $(seq 100); do
  grep -q '^bootstrap: ' "$log" && break
  kill -0 $broker 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.05
done
bootstrap=$(sed -n 's/^bootstrap: //p' "$log")
echo "== weir broker is up at $bootstrap"
cat "$log"

echo "== weir topics describe --bootstrap $bootstrap"
"$weir" topics describe --bootstrap "$bootstrap"

lines=$(wc -l < examples/lines.txt)
echo "== weir produce --topic t1 --file examples/lines.txt   ($lines lines)"
"$weir" produce --topic t1 --bootstrap "$bootstrap" --file examples/lines.txt

echo "== weir consume --topic t1 --from-beginning --max-messages $lines"
"$weir" consume --topic t1 --bootstrap "$bootstrap" --from-beginning --max-messages "$lines" \
  --property print.partition=true --property print.offset=true

echo
echo "== weir produce --topic t2 --file examples/webclicks.tsv   ($(wc -l < examples/webclicks.tsv) clicks)"
"$weir" produce --topic t2 --bootstrap "$bootstrap" --file examples/webclicks.tsv

echo "== weir run examples/wordcount.sql --trigger availableNow --checkpoint $ck"
"$weir" run examples/wordcount.sql --bootstrap "$bootstrap" --trigger availableNow --checkpoint "$ck"

echo "== two more lines, then the same command again: it resumes from its checkpoint (Batch: 1)"
printf 'the weir again\nand again\n' | "$weir" produce --topic t1 --bootstrap "$bootstrap"
"$weir" run examples/wordcount.sql --bootstrap "$bootstrap" --trigger availableNow --checkpoint "$ck"

echo "== weir run examples/wordcount_file.sql --trigger availableNow   (the same count over the file itself: a text file source, no Kafka)"
"$weir" run examples/wordcount_file.sql --trigger availableNow

echo "== weir run examples/webclicks.sql --trigger availableNow   (top 10 IPs by time spent)"
"$weir" run examples/webclicks.sql --bootstrap "$bootstrap" --trigger availableNow

echo "== weir run examples/webclicks_per_minute.sql --trigger availableNow   (event time: 1-minute windows sliding by 30 s, appended to csv files as they close)"
# the csv files and their checkpoint go together: a fresh start removes both
rm -rf out/webclicks_per_minute checkpoints/webclicks_per_minute
"$weir" run examples/webclicks_per_minute.sql --bootstrap "$bootstrap" --trigger availableNow
echo "== committed files: $(ls out/webclicks_per_minute | grep -c '^batch-') in out/webclicks_per_minute (log: out/webclicks_per_minute/_spark_metadata)"
echo "== the same command again: it resumes from checkpoints/webclicks_per_minute and prints the same windows"
"$weir" run examples/webclicks_per_minute.sql --bootstrap "$bootstrap" --trigger availableNow
