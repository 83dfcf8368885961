#!/usr/bin/env bash
# Sliding windows (make bench): CLICKS (1M) webclicks
# (scripts/gen-webclicks.sh) in 32 partitions of the embedded broker; in the
# same run, ROUNDS (5) times each: the raw consume floor
# (bench/raw_consume.c) and `weir run bench/window.sql` (time spent per user
# IP in 1-minute windows sliding by 10 s, watermark 30 s, append mode into a
# memory sink, 100k offsets a batch), with the peak state rows and memory
# from the progress. Prints the median ratio to the floor (the issue's goal:
# at most 3×) and checks the result against an awk oracle: every click lies
# in 6 windows, and the windows whose end the final watermark (the latest
# click less 30 s) has passed are the ones emitted.
#   usage: bench/windows.sh [BUILD]
set -uo pipefail
source "$(dirname "$0")/lib.sh"
clicks=${CLICKS:-1000000}
tmp=$(mktemp -d)
trap 'stop_broker; rm -rf "$tmp"' EXIT
failed=0

start_broker "$tmp/broker.log" clicks:32 || exit 1
echo "== sliding windows: loading $clicks clicks into 32 partitions"
scripts/gen-webclicks.sh "$clicks" >"$tmp/clicks.tsv"
"$weir" produce --topic clicks --bootstrap "$bs" --file "$tmp/clicks.tsv" -X linger.ms=50 -X batch.num.messages=10000 -X sticky.partitioning.linger.ms=0
# The oracle: windows [s, s + 60) with s a multiple of 10 holding a click at
# t (seconds); emitted when s + 60 <= max(t) - 30. A line without an IP
# field groups under NULL, as split(...)[4] gives NULL.
expect=$(awk -F'\t' '{ t[NR] = $1; ip[NR] = (NF >= 5 ? "=" $5 : "NULL"); if ($1 > max) max = $1 }
  END {
    wm = max - 30
    for (i = 1; i <= NR; i++)
      for (s = t[i] - t[i] % 10 - 50; s <= t[i]; s += 10)
        if (s + 60 <= wm) { n++; g[s, ip[i]] = 1 }
    for (k in g) windows++
    print windows "," n
  }' "$tmp/clicks.tsv")

raw_ms=(); win_ms=()
for r in $(seq "$rounds"); do
  timed "$tmp/raw.out" "$tmp/raw.err" "$build/raw_consume" "$bs" clicks
  raw_ms+=("$t_wall_ms")
  timed "$tmp/win.csv" "$tmp/win.err" "$weir" run bench/window.sql --bootstrap "$bs" --trigger availableNow --format csv --progress
  win_ms+=("$t_wall_ms")
  got=$(tail -1 "$tmp/win.csv")
  if [ "$t_status" != 0 ] || [ "$got" != "$expect" ]; then
    echo "windows: weir gave '$got' (status $t_status), expected '$expect' (windows,clicks)" >&2
    tail -3 "$tmp/win.err" >&2
    failed=1
  fi
  rows=$(grep -o '"numRowsTotal":[0-9]*' "$tmp/win.err" | cut -d: -f2 | sort -n | tail -1)
  mem=$(grep -o '"memoryUsedBytes":[0-9]*' "$tmp/win.err" | cut -d: -f2 | sort -n | tail -1)
  echo "round $r: raw consume ${raw_ms[-1]} ms, weir windows ${win_ms[-1]} ms (cpu $t_cpu_ms ms), result $got, $(grep -c batchId "$tmp/win.err") batches, peak state ${rows:-0} rows / $((${mem:-0} / 1024)) KB, peak RSS $t_rss_kb KB"
done
raw=$(printf '%s\n' "${raw_ms[@]}" | median)
win=$(printf '%s\n' "${win_ms[@]}" | median)
[ "$failed" = 0 ] && echo "windows: totals match ($expect windows,clicks-in-windows)"
echo "== sliding windows, median of $rounds rounds: raw consume $raw ms, weir $win ms: ratio $(ratio "$win" "$raw")× the floor (goal ≤ 3×), $(awk -v n="$clicks" -v t="$win" 'BEGIN { if (t > 0) printf "%.0f", n / t * 1000 }') clicks/s"
exit "$failed"
