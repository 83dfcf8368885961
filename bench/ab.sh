#!/usr/bin/env bash
# A/B comparison of two builds (before and after a change), interleaved so
# that both see the same machine: one embedded broker, the same data, and
# rounds that alternate A, B, A, B... Prints each benchmark's median for A and
# B and the change. Usage: bench/ab.sh BUILD_A BUILD_B (folders with weir and
# state_store), with ROUNDS (default 7), LINES, CYCLES, CLICKS as bench/run.sh.
# The job files are this checkout's bench/*.sql for both builds.
set -euo pipefail
a=${1:?usage: bench/ab.sh BUILD_A BUILD_B}
b=${2:?usage: bench/ab.sh BUILD_A BUILD_B}
rounds=${ROUNDS:-7}
lines=${LINES:-1000000}
cycles=${CYCLES:-300}
clicks=${CLICKS:-1000000}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'kill $broker 2>/dev/null; wait $broker 2>/dev/null; rm -rf "$tmp"' EXIT

"$b/weir" broker --port 0 --topic bench:32 --topic cycle:1 --topic clicks:32 >"$tmp/broker.log" 2>&1 &
broker=$!
for _ in $(seq 100); do grep -q '^bootstrap: ' "$tmp/broker.log" && break; sleep 0.05; done
bs=$(sed -n 's/^bootstrap: //p' "$tmp/broker.log")

awk -v n="$lines" 'BEGIN { srand(7); for (i = 0; i < n; i++) { l = ""; for (w = 0; w < 8; w++) l = l (w ? " " : "") "w" int(rand() * rand() * 5000); print l } }' >"$tmp/lines.txt"
"$b/weir" produce --topic bench --bootstrap "$bs" --file "$tmp/lines.txt" -X linger.ms=50 -X batch.num.messages=10000 -X sticky.partitioning.linger.ms=0 >/dev/null
seq "$cycles" | sed 's/^/w/' >"$tmp/cycle.txt"
"$b/weir" produce --topic cycle --bootstrap "$bs" --file "$tmp/cycle.txt" >/dev/null
scripts/gen-webclicks.sh "$clicks" >"$tmp/clicks.tsv"
"$b/weir" produce --topic clicks --bootstrap "$bs" --file "$tmp/clicks.tsv" -X linger.ms=50 -X batch.num.messages=10000 -X sticky.partitioning.linger.ms=0 >/dev/null

ms() { local s e; s=$(date +%s%N); "$@" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
declare -A times
n=0
for r in $(seq "$rounds"); do
  for side in A B; do
    build=$a; [ "$side" = B ] && build=$b
    w="$build/weir"
    times[$side.wordcount]+=" $(ms "$w" run bench/wordcount.sql --bootstrap "$bs" --trigger availableNow --format csv)"
    n=$((n + 1))
    times[$side.wordcount_ck]+=" $(ms "$w" run bench/wordcount.sql --bootstrap "$bs" --trigger availableNow --format csv --checkpoint "$tmp/wc$n")"
    times[$side.cycle]+=" $(ms "$w" run bench/cycle.sql --bootstrap "$bs" --trigger availableNow --format csv)"
    times[$side.cycle_ck]+=" $(ms "$w" run bench/cycle.sql --bootstrap "$bs" --trigger availableNow --format csv --checkpoint "$tmp/cy$n")"
    times[$side.windows]+=" $(ms "$w" run bench/window.sql --bootstrap "$bs" --trigger availableNow --format csv)"
    "$build/state_store" 1000000 1000 9 >"$tmp/state"
    times[$side.restore_1m]+=" $(sed -n 's/.*restore (snapshot + 9 deltas) \([0-9]*\) ms.*/\1/p' "$tmp/state")"
    times[$side.snapshot_1m]+=" $(sed -n 's/.*snapshot write \([0-9]*\) ms.*/\1/p' "$tmp/state")"
  done
  echo "round $r of $rounds done" >&2
done
printf '%-14s %10s %10s %8s\n' benchmark "A ms" "B ms" change
for k in wordcount wordcount_ck cycle cycle_ck windows snapshot_1m restore_1m; do
  ma=$(tr ' ' '\n' <<<"${times[A.$k]}" | grep . | median)
  mb=$(tr ' ' '\n' <<<"${times[B.$k]}" | grep . | median)
  printf '%-14s %10s %10s %7s%%\n' "$k" "$ma" "$mb" "$(awk -v x="$ma" -v y="$mb" 'BEGIN { printf "%+.1f", (y / x - 1) * 100 }')"
done
for k in windows restore_1m; do echo "$k A:${times[A.$k]}  B:${times[B.$k]}"; done
echo "(cycle: $cycles batches of one offset; windows: $clicks clicks; medians of $rounds rounds)"
