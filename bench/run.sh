#!/usr/bin/env bash
# Benchmarks (make bench).
# 1. Word count: loads LINES lines of 8 words over 32 partitions of the
#    embedded broker, then times in the same run the raw librdkafka consumer
#    (the floor), `weir run bench/wordcount.sql --trigger availableNow`, and
#    the same with a checkpoint (fsynced offsets, commits, state), each ROUNDS
#    times, with peak memory.
# 2. Micro-batch cycle: CYCLES batches of one offset each (bench/cycle.sql),
#    with and without a checkpoint: the fixed cost of a batch.
# 3. State store (bench/state_store.c): delta and snapshot writes at 100k
#    keys, restore of 1M keys.
# 4. Sliding windows: CLICKS (1M) webclicks in 32 partitions; the raw consume
#    floor and bench/window.sql (1-minute windows sliding by 10 s, watermark
#    30 s, append), with the peak state rows and memory from the progress.
# 5. Memory sink (bench/memory_sink.c): rows a second its write and commit
#    take, 3M rows of the window job's columns in batches of 300k, in each
#    output mode and with a path (SQLite file); a trailing SELECT over them.
set -euo pipefail
build=${1:-build}
lines=${LINES:-1000000}
rounds=${ROUNDS:-3}
cd "$(dirname "$0")/.."
weir="$build/weir"
tmp=$(mktemp -d)
trap 'kill $broker 2>/dev/null; wait $broker 2>/dev/null; rm -rf "$tmp"' EXIT

"$weir" broker --port 0 --topic bench:32 --topic cycle:1 --topic clicks:32 >"$tmp/broker.log" 2>&1 &
broker=$!
for _ in $(seq 100); do grep -q '^bootstrap: ' "$tmp/broker.log" && break; sleep 0.05; done
bs=$(sed -n 's/^bootstrap: //p' "$tmp/broker.log")

awk -v n="$lines" 'BEGIN { srand(7); for (i = 0; i < n; i++) { l = ""; for (w = 0; w < 8; w++) l = l (w ? " " : "") "w" int(rand() * rand() * 5000); print l } }' >"$tmp/lines.txt"
echo "== loading $lines lines ($(du -h "$tmp/lines.txt" | cut -f1)) into 32 partitions"
# sticky partitioning off: every partition gets its share (the broker keeps 5 MB each)
"$weir" produce --topic bench --bootstrap "$bs" --file "$tmp/lines.txt" -X linger.ms=50 -X batch.num.messages=10000 -X sticky.partitioning.linger.ms=0
echo "== expected total words: $((lines * 8))"

peak() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
raw_ms=(); weir_ms=(); ck_ms=()
for r in $(seq "$rounds"); do
  start=$(date +%s%N)
  /usr/bin/time -v "$build/raw_consume" "$bs" bench 2>"$tmp/raw.time" >"$tmp/raw.out"
  end=$(date +%s%N)
  raw_ms+=($(( (end - start) / 1000000 )))
  echo "round $r: raw consume    $(( (end - start) / 1000000 )) ms ($(cat "$tmp/raw.out")), peak RSS $(peak "$tmp/raw.time") KB"
  start=$(date +%s%N)
  /usr/bin/time -v "$weir" run bench/wordcount.sql --bootstrap "$bs" --trigger availableNow --format csv >"$tmp/out.csv" 2>"$tmp/weir.time"
  end=$(date +%s%N)
  weir_ms+=($(( (end - start) / 1000000 )))
  echo "round $r: weir wordcount $(( (end - start) / 1000000 )) ms, result $(tail -1 "$tmp/out.csv"), peak RSS $(peak "$tmp/weir.time") KB"
  start=$(date +%s%N)
  /usr/bin/time -v "$weir" run bench/wordcount.sql --bootstrap "$bs" --trigger availableNow --format csv --checkpoint "$tmp/ck$r" >"$tmp/out.csv" 2>"$tmp/weir.time"
  end=$(date +%s%N)
  ck_ms+=($(( (end - start) / 1000000 )))
  echo "round $r: ... checkpointed $(( (end - start) / 1000000 )) ms, result $(tail -1 "$tmp/out.csv"), peak RSS $(peak "$tmp/weir.time") KB"
done
raw=$(printf '%s\n' "${raw_ms[@]}" | median)
wc=$(printf '%s\n' "${weir_ms[@]}" | median)
ck=$(printf '%s\n' "${ck_ms[@]}" | median)
echo "== median of $rounds rounds: raw consume $raw ms, weir wordcount $wc ms, ratio $(awk -v a="$wc" -v b="$raw" 'BEGIN { printf "%.2f", a / b }')x"
echo "== with a checkpoint: $ck ms, $(awk -v a="$ck" -v b="$wc" 'BEGIN { printf "%+.1f", (a / b - 1) * 100 }')% over no checkpoint"

cycles=${CYCLES:-300}
seq "$cycles" | sed 's/^/w/' >"$tmp/cycle.txt"
"$weir" produce --topic cycle --bootstrap "$bs" --file "$tmp/cycle.txt" >/dev/null
for mode in plain checkpointed; do
  extra=(); [ "$mode" = checkpointed ] && extra=(--checkpoint "$tmp/cycle-ck")
  start=$(date +%s%N)
  "$weir" run bench/cycle.sql --bootstrap "$bs" --trigger availableNow --format csv "${extra[@]}" >"$tmp/cycle.out"
  end=$(date +%s%N)
  echo "== micro-batch cycle ($mode): $cycles batches in $(( (end - start) / 1000000 )) ms = $(awk -v t="$(( (end - start) / 1000 ))" -v n="$cycles" 'BEGIN { printf "%.2f", t / n / 1000 }') ms a batch, result $(tail -1 "$tmp/cycle.out")"
done

echo "== state store"
"$build/state_store" 100000 1000 9
"$build/state_store" 1000000 1000 9

clicks=${CLICKS:-1000000}
echo "== sliding windows: loading $clicks clicks into 32 partitions"
scripts/gen-webclicks.sh "$clicks" >"$tmp/clicks.tsv"
"$weir" produce --topic clicks --bootstrap "$bs" --file "$tmp/clicks.tsv" -X linger.ms=50 -X batch.num.messages=10000 -X sticky.partitioning.linger.ms=0
raw_ms=(); win_ms=()
for r in $(seq "$rounds"); do
  start=$(date +%s%N)
  "$build/raw_consume" "$bs" clicks >/dev/null
  end=$(date +%s%N)
  raw_ms+=($(( (end - start) / 1000000 )))
  start=$(date +%s%N)
  /usr/bin/time -v "$weir" run bench/window.sql --bootstrap "$bs" --trigger availableNow --format csv --progress >"$tmp/win.csv" 2>"$tmp/win.err"
  end=$(date +%s%N)
  win_ms+=($(( (end - start) / 1000000 )))
  rows=$(grep -o '"numRowsTotal":[0-9]*' "$tmp/win.err" | cut -d: -f2 | sort -n | tail -1)
  mem=$(grep -o '"memoryUsedBytes":[0-9]*' "$tmp/win.err" | cut -d: -f2 | sort -n | tail -1)
  echo "round $r: raw consume ${raw_ms[-1]} ms, weir windows ${win_ms[-1]} ms, result $(tail -1 "$tmp/win.csv"), $(grep -c batchId "$tmp/win.err") batches, peak state $rows rows / $((mem / 1024)) KB, peak RSS $(peak "$tmp/win.err") KB"
done
raw=$(printf '%s\n' "${raw_ms[@]}" | median)
win=$(printf '%s\n' "${win_ms[@]}" | median)
echo "== sliding windows, median of $rounds rounds: raw consume $raw ms, weir $win ms, ratio $(awk -v a="$win" -v b="$raw" 'BEGIN { printf "%.2f", a / b }')x, $(awk -v n="$clicks" -v t="$win" 'BEGIN { printf "%.0f", n / t * 1000 }') clicks/s"

echo "== memory sink"
"$build/memory_sink" 3000000 300000
