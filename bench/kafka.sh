#!/usr/bin/env bash
# Kafka benchmarks (make bench), against the embedded broker:
# 1. Word count: LINES (1M) lines of 8 words over 32 partitions; times in the
#    same run the raw librdkafka consumer (bench/raw_consume.c, the floor),
#    `weir run bench/wordcount.sql --trigger availableNow`, and the same with
#    a checkpoint (fsynced offsets, commits, state), each ROUNDS (5) times,
#    with peak memory; checks the totals.
# 2. Micro-batch cycle: CYCLES (300) batches of one offset each
#    (bench/cycle.sql), with and without a checkpoint: the fixed cost of a
#    batch.
# 3. State store (bench/state_store.c): delta and snapshot writes at 100k
#    keys, restore of 1M keys (STATE_KEYS sets the larger size).
#   usage: bench/kafka.sh [BUILD]
set -uo pipefail
source "$(dirname "$0")/lib.sh"
lines=${LINES:-1000000}
cycles=${CYCLES:-300}
state_keys=${STATE_KEYS:-1000000}
tmp=$(mktemp -d)
trap 'stop_broker; rm -rf "$tmp"' EXIT
failed=0
check() { # check WHAT GOT WANT
  if [ "$2" != "$3" ]; then
    echo "kafka: $1: got '$2', expected '$3'" >&2
    failed=1
  fi
}

start_broker "$tmp/broker.log" bench:32 cycle:1 || exit 1
awk -v n="$lines" 'BEGIN { srand(7); for (i = 0; i < n; i++) { l = ""; for (w = 0; w < 8; w++) l = l (w ? " " : "") "w" int(rand() * rand() * 5000); print l } }' >"$tmp/lines.txt"
distinct=$(tr ' ' '\n' <"$tmp/lines.txt" | sort -u | wc -l)
echo "== kafka word count: loading $lines lines ($(du -h "$tmp/lines.txt" | cut -f1)) into 32 partitions"
# sticky partitioning off: every partition gets its share (the broker keeps 5 MB each)
"$weir" produce --topic bench --bootstrap "$bs" --file "$tmp/lines.txt" -X linger.ms=50 -X batch.num.messages=10000 -X sticky.partitioning.linger.ms=0
echo "== expected: $distinct distinct words, $((lines * 8)) in all"

raw_ms=(); weir_ms=(); ck_ms=()
for r in $(seq "$rounds"); do
  timed "$tmp/raw.out" "$tmp/raw.err" "$build/raw_consume" "$bs" bench
  raw_ms+=("$t_wall_ms")
  check "raw consume" "$(sed -n 's/^raw_consume: \([0-9]*\) messages.*/\1/p' "$tmp/raw.out")" "$lines"
  echo "round $r: raw consume    $t_wall_ms ms, cpu $t_cpu_ms ms ($(cat "$tmp/raw.out")), peak RSS $t_rss_kb KB"
  timed "$tmp/out.csv" "$tmp/weir.err" "$weir" run bench/wordcount.sql --bootstrap "$bs" --trigger availableNow --format csv
  weir_ms+=("$t_wall_ms")
  check "weir word count" "$(tail -1 "$tmp/out.csv")" "$distinct,$((lines * 8))"
  echo "round $r: weir wordcount $t_wall_ms ms, cpu $t_cpu_ms ms, result $(tail -1 "$tmp/out.csv"), peak RSS $t_rss_kb KB"
  timed "$tmp/out.csv" "$tmp/weir.err" "$weir" run bench/wordcount.sql --bootstrap "$bs" --trigger availableNow --format csv --checkpoint "$tmp/ck$r"
  ck_ms+=("$t_wall_ms")
  check "weir word count with a checkpoint" "$(tail -1 "$tmp/out.csv")" "$distinct,$((lines * 8))"
  echo "round $r: ... checkpointed $t_wall_ms ms, cpu $t_cpu_ms ms, result $(tail -1 "$tmp/out.csv"), peak RSS $t_rss_kb KB"
done
raw=$(printf '%s\n' "${raw_ms[@]}" | median)
wc=$(printf '%s\n' "${weir_ms[@]}" | median)
ck=$(printf '%s\n' "${ck_ms[@]}" | median)
echo "== kafka word count, median of $rounds rounds: raw consume $raw ms, weir $wc ms: ratio $(ratio "$wc" "$raw")× the floor"
echo "== with a checkpoint: $ck ms, $(awk -v a="$ck" -v b="$wc" 'BEGIN { if (b > 0) printf "%+.1f", (a / b - 1) * 100 }')% over no checkpoint"

seq "$cycles" | sed 's/^/w/' >"$tmp/cycle.txt"
"$weir" produce --topic cycle --bootstrap "$bs" --file "$tmp/cycle.txt" >/dev/null
for mode in plain checkpointed; do
  extra=(); [ "$mode" = checkpointed ] && extra=(--checkpoint "$tmp/cycle-ck")
  timed "$tmp/cycle.out" "$tmp/cycle.err" "$weir" run bench/cycle.sql --bootstrap "$bs" --trigger availableNow --format csv "${extra[@]}"
  check "cycle ($mode)" "$(tail -1 "$tmp/cycle.out")" "$cycles,$cycles"
  echo "== micro-batch cycle ($mode): $cycles batches in $t_wall_ms ms = $(awk -v t="$t_wall_ms" -v n="$cycles" 'BEGIN { printf "%.2f", t / n }') ms a batch, result $(tail -1 "$tmp/cycle.out")"
done

echo "== state store"
"$build/state_store" 100000 1000 9 || failed=1
[ "$state_keys" != 100000 ] && { "$build/state_store" "$state_keys" 1000 9 || failed=1; }

echo "== memory sink (bench/memory_sink.c: rows a second of write + commit, 3M rows in batches of 300k)"
"$build/memory_sink" "${SINK_ROWS:-3000000}" "${SINK_BATCH:-300000}" || failed=1
exit "$failed"
