#!/usr/bin/env bash
# Startup (make bench): how long `weir run` takes before it does useful
# work, without a checkpoint (the issue's goal: ≤ 50 ms), ROUNDS (5) times
# each, medians:
#   1. `weir run --trigger once` on an empty topic, whole process: start,
#      connect, plan, one trigger that finds nothing (so no batch runs, as
#      in Spark), the trailing SELECT, exit;
#   2. `weir run --progress` (default trigger) on a topic holding one event:
#      from exec to the first progress line, which weir writes once batch 0
#      has committed (bench/first_line.c), then SIGINT; without and with a
#      fresh --checkpoint;
#   3. for scale, `weir run --help` (the process and its libraries alone).
#   usage: bench/startup.sh [BUILD]
set -uo pipefail
source "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'stop_broker; rm -rf "$tmp"' EXIT
failed=0

start_broker "$tmp/broker.log" empty:1 one:1 || exit 1
echo x | "$weir" produce --topic one --bootstrap "$bs" || exit 1
for t in empty one; do
  cat >"$tmp/$t.sql" <<EOF
CREATE SOURCE s USING kafka OPTIONS (subscribe = '$t', startingOffsets = 'earliest');
CREATE SINK k USING memory OPTIONS (outputMode = 'append');
INSERT INTO k SELECT CAST(value AS STRING) AS v FROM s;
SELECT count(*) AS events FROM k;
EOF
done

help=(); once=(); first=(); first_ck=()
for r in $(seq "$rounds"); do
  timed "$tmp/help.out" "$tmp/help.err" "$weir" run --help
  help+=("$t_wall_ms")
  timed "$tmp/once.out" "$tmp/once.err" "$weir" run "$tmp/empty.sql" --bootstrap "$bs" --trigger once --format csv
  once+=("$t_wall_ms")
  if [ "$t_status" != 0 ] || [ "$(tail -1 "$tmp/once.out")" != 0 ]; then
    echo "startup: --trigger once on an empty topic: status $t_status, result '$(tail -1 "$tmp/once.out")', expected 0" >&2
    tail -3 "$tmp/once.err" >&2
    failed=1
  fi
  for ck in no yes; do
    extra=(); [ "$ck" = yes ] && extra=(--checkpoint "$tmp/ck$r")
    if ! "$build/first_line" '"batchId":0' 10000 "$weir" run "$tmp/one.sql" --bootstrap "$bs" --progress --format csv "${extra[@]}" >"$tmp/first.out" 2>"$tmp/first.err"; then
      echo "startup: no first progress line:" >&2
      tail -3 "$tmp/first.err" >&2
      failed=1
      continue
    fi
    ms=$(sed -n 's/^first .* line after \([0-9.]*\) ms.*/\1/p' "$tmp/first.out")
    if [ "$(sed -n '2p' "$tmp/first.out")" != 1 ]; then
      echo "startup: the first batch gave '$(sed -n '2p' "$tmp/first.out")' events, expected 1" >&2
      failed=1
    fi
    if [ "$ck" = yes ]; then first_ck+=("$ms"); else first+=("$ms"); fi
  done
  echo "round $r: --help ${help[-1]} ms; --trigger once on an empty topic ${once[-1]} ms; first batch committed ${first[-1]:-?} ms, with a checkpoint ${first_ck[-1]:-?} ms"
done
[ "$failed" = 0 ] && echo "startup: totals match (0 events from the empty topic, 1 from the first batch)"
echo "== startup, median of $rounds rounds: weir run --trigger once on an empty topic $(printf '%s\n' "${once[@]}" | median) ms (whole process; goal ≤ 50 ms); first batch committed (first progress line) $(printf '%s\n' "${first[@]}" | median) ms, with a fresh checkpoint $(printf '%s\n' "${first_ck[@]}" | median) ms; weir run --help $(printf '%s\n' "${help[@]}" | median) ms"
exit "$failed"
