# Shared helpers of the benchmark scripts (sourced by bench/*.sh, not run).
# Each script takes the build folder as $1 (default build) and runs from the
# repository's root.

weir_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$weir_root"
build=$(cd "${1:-build}" && pwd)
weir="$build/weir"
rounds=${ROUNDS:-5}

trap 'exit 143' TERM
trap 'exit 130' INT

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
now_ns() { date +%s%N; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# timed OUT ERR CMD...: runs CMD with stdout to OUT and stderr to ERR under
# /usr/bin/time; sets t_wall_ms (own clock, ns resolution), t_cpu_ms
# (user + sys of CMD and its children), t_rss_kb (peak RSS) and t_status.
timed() {
  local out=$1 err=$2 s e
  shift 2
  s=$(now_ns)
  t_status=0
  /usr/bin/time -f '%U %S %M' -o "$err.time" "$@" >"$out" 2>"$err" || t_status=$?
  e=$(now_ns)
  t_wall_ms=$(((e - s) / 1000000))
  read -r u sy t_rss_kb < <(tail -1 "$err.time")
  t_cpu_ms=$(awk -v u="$u" -v s="$sy" 'BEGIN { printf "%d", (u + s) * 1000 + 0.5 }')
}

# start_broker LOG TOPIC[:N]...: the embedded broker on a free port; sets
# $bs (bootstrap) and $broker (pid). The caller's EXIT trap stops it.
start_broker() {
  local log=$1 args=()
  shift
  for t in "$@"; do args+=(--topic "$t"); done
  "$weir" broker --port 0 "${args[@]}" >"$log" 2>&1 &
  broker=$!
  for _ in $(seq 200); do grep -q '^bootstrap: ' "$log" && break; sleep 0.05; done
  bs=$(sed -n 's/^bootstrap: //p' "$log")
  [ -n "$bs" ] || { echo "bench: the embedded broker did not start:" >&2; cat "$log" >&2; return 1; }
}

stop_broker() {
  if [ -n "${broker:-}" ]; then
    kill "$broker" 2>/dev/null
    wait "$broker" 2>/dev/null
    broker=
  fi
  return 0
}
