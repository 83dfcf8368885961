#!/usr/bin/env bash
# Benchmarks (make bench): runs each benchmark script in turn and exits 1 if
# any failed (a wrong total, a crash); the figures are in each one's output.
#   files    bench/files.sh    word count of an 88 MiB text file: the C floor,
#                              Weir's text source, DuckDB, ClickHouse, mawk,
#                              Python (peers installed by scripts/bench-deps.sh)
#   kafka    bench/kafka.sh    word count over Kafka against the raw consume
#                              floor, the micro-batch cycle, the state store
#   windows  bench/windows.sh  sliding windows against the raw consume floor
#   latency  bench/latency.sh  produce-to-visible latency at 50k events/s
#   startup  bench/startup.sh  weir run to its first trigger / first batch
#   usage: bench/run.sh [BUILD]
#   env: BENCHES (default all, in the order above), ROUNDS (5), BENCH_DEPS=0
#        (do not install peers), and each script's own (see its header)
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
benches=${BENCHES:-files kafka windows latency startup}
failed=()
echo "== machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1); load average $(cut -d' ' -f1-3 /proc/loadavg)"
for b in $benches; do
  if [ "$b" = files ] && [ "${BENCH_DEPS:-1}" != 0 ] && [ -z "${DUCKDB_LIB:-}" ]; then
    lib=$(scripts/bench-deps.sh | sed -n 's/^duckdb: //p')
    [ -n "$lib" ] && [ "$lib" != none ] && export DUCKDB_LIB="$lib"
  fi
  if [ ! -x "bench/$b.sh" ]; then
    echo "bench: no benchmark '$b' (files, kafka, windows, latency, startup)" >&2
    exit 2
  fi
  "bench/$b.sh" "$build" || failed+=("$b")
done
echo "== load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (figures taken while other work ran are noisy)"
if [ ${#failed[@]} -gt 0 ]; then
  echo "bench: failed: ${failed[*]}" >&2
  exit 1
fi
