#!/usr/bin/env bash
# File word count (make bench): the same word count over the same text file,
# each system as a whole process, ROUNDS (5) rounds interleaved, medians.
#   - the floor: bench/wc_floor.c (mmap, open-addressing hash, 1 thread);
#   - weir: `weir run` of bench/wordcount_text.sql (the text file source,
#     explode(split(value, ' ')) GROUP BY word into a memory sink, a trailing
#     SELECT of count and sum), --trigger availableNow;
#   - DuckDB through its C API (bench/duckdb_wc.c dlopen()s libduckdb.so,
#     installed by scripts/bench-deps.sh), 2 threads;
#   - ClickHouse (Debian's 18.16 has no `clickhouse local`: a clickhouse-server
#     started before the rounds, untimed, with a config of its own on a free
#     loopback port; each round is one clickhouse-client query over file();
#     wall is the client's, CPU the client's plus the server's during it);
#   - mawk; Python's collections.Counter.
# Each prints its number of distinct words and total, checked against the
# generator's. A peer that is not installed (or fails) is reported and the
# rest are timed. The data (bench/gen_words.c: 1.98M lines, 15.5M words,
# 4,302 distinct, 88 MiB, Zipf) is cached under BUILD/bench-data.
#   usage: bench/files.sh [BUILD]
#   env: ROUNDS, PEERS (default "duckdb clickhouse mawk python"), DUCKDB_LIB,
#        FILE_LINES, FILE_WORDS, FILE_VOCAB, FILE_BYTES, FILE_SEED
set -uo pipefail
source "$(dirname "$0")/lib.sh"
lines=${FILE_LINES:-1980000}
words=${FILE_WORDS:-15500000}
vocab=${FILE_VOCAB:-4302}
bytes=${FILE_BYTES:-92274688}
seed=${FILE_SEED:-12}
peers=${PEERS:-duckdb clickhouse mawk python}
tmp=$(mktemp -d)
chpid=
trap '[ -n "$chpid" ] && kill "$chpid" 2>/dev/null && wait "$chpid" 2>/dev/null; rm -rf "$tmp"' EXIT
failed=0

# The data, generated once per parameters and generator source.
gen_id=$(sha1sum bench/gen_words.c | cut -c1-8)
data="$build/bench-data/words-$lines-$words-$vocab-$bytes-$seed-$gen_id"
if [ ! -s "$data/meta" ]; then
  echo "== files: generating $lines lines, $words words ($vocab-word vocabulary) into $data"
  rm -rf "$data" && mkdir -p "$data/words"
  "$build/gen_words" "$data/words/words.txt" "$lines" "$words" "$vocab" "$bytes" "$seed" >"$data/meta.new" &&
    mv "$data/meta.new" "$data/meta" || { echo "files: gen_words failed" >&2; exit 1; }
fi
file="$data/words/words.txt"
read -r _ n_lines _ n_words _ n_distinct _ n_bytes <"$data/meta"
expect="$n_distinct $n_words"
cat "$file" >/dev/null # into the page cache: every system reads it warm
echo "== files: word count over $file: $(awk -v b="$n_bytes" 'BEGIN { printf "%.1f MiB", b / 1048576 }'), $n_lines lines, $n_words words, $n_distinct distinct"

# The systems: name, label, and how each runs (run_NAME OUT ERR) and what it
# printed (result_NAME OUT -> "DISTINCT TOTAL").
systems=(floor weir)
declare -A label=([floor]="C floor, 1 thread (bench/wc_floor.c)" [weir]="Weir, text source")
declare -A skip=()

run_floor() { timed "$1" "$2" "$build/wc_floor" "$file"; }
result_floor() { awk '{ print $2, $4 }' "$1"; }

job="$tmp/wordcount_text.sql"
esc=$(printf '%s' "$data/words" | sed 's/[\\&|]/\\&/g; s/'"'"'/\\\\'"'"'/g')
sed "s|'DATA_DIR'|'$esc'|" bench/wordcount_text.sql >"$job"
run_weir() { timed "$1" "$2" "$weir" run "$job" --trigger availableNow --format csv; }
result_weir() { tail -1 "$1" | tr ',' ' '; }

for p in $peers; do
  case "$p" in
    duckdb)
      lib=${DUCKDB_LIB:-}
      if [ -z "$lib" ]; then
        cache=${WEIR_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/weir-bench}
        lib=$(ls -d "$cache"/duckdb-*/node_modules/@duckdb/node-bindings-linux-x64/libduckdb.so 2>/dev/null | sort -V | tail -1)
      fi
      if [ -z "$lib" ] || [ ! -f "$lib" ]; then
        echo "files: DuckDB skipped: no libduckdb.so (scripts/bench-deps.sh installs it)"
        continue
      fi
      v=$(DUCKDB_WC_VERSION=1 ASAN_OPTIONS=detect_leaks=0 "$build/duckdb_wc" "$lib" /dev/null 1 2>&1 >/dev/null | sed -n 's/^duckdb //p')
      label[duckdb]="DuckDB ${v:-?} C API, 2 threads"
      systems+=(duckdb)
      ;;
    clickhouse)
      if ! command -v clickhouse-server >/dev/null && [ ! -x /usr/sbin/clickhouse-server ] || ! command -v clickhouse-client >/dev/null; then
        echo "files: ClickHouse skipped: no clickhouse-server / clickhouse-client (scripts/bench-deps.sh installs them)"
        continue
      fi
      srv=$(command -v clickhouse-server || echo /usr/sbin/clickhouse-server)
      mkdir -p "$tmp/ch"
      for _ in 1 2 3 4 5; do
        port=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue # taken
        cat >"$tmp/ch/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$tmp/ch/server.log</log><errorlog>$tmp/ch/server.err.log</errorlog></logger>
  <tcp_port>$port</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>$tmp/ch/data/</path>
  <tmp_path>$tmp/ch/tmp/</tmp_path>
  <user_files_path>$data/words/</user_files_path>
  <mark_cache_size>536870912</mark_cache_size>
  <users_config>$tmp/ch/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
</yandex>
EOF
        cat >"$tmp/ch/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_threads>2</max_threads></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
EOF
        "$srv" --config-file="$tmp/ch/config.xml" >"$tmp/ch/stdout" 2>&1 &
        chpid=$!
        for _ in $(seq 200); do
          kill -0 "$chpid" 2>/dev/null || break
          clickhouse-client --port "$port" --query 'SELECT 1' >/dev/null 2>&1 && break
          sleep 0.1
        done
        if kill -0 "$chpid" 2>/dev/null && clickhouse-client --port "$port" --query 'SELECT 1' >/dev/null 2>&1; then break; fi
        kill "$chpid" 2>/dev/null; wait "$chpid" 2>/dev/null; chpid=
      done
      if [ -z "$chpid" ]; then
        echo "files: ClickHouse skipped: the server did not start ($(tail -3 "$tmp/ch/server.err.log" "$tmp/ch/stdout" 2>/dev/null | tr '\n' ' '))"
        continue
      fi
      label[clickhouse]="ClickHouse $(clickhouse-client --port "$port" --query 'SELECT version()') file(), server + client"
      systems+=(clickhouse)
      ;;
    mawk)
      if ! command -v mawk >/dev/null; then echo "files: mawk skipped: not installed"; continue; fi
      label[mawk]="mawk $(mawk -W version 2>&1 | head -1 | awk '{ print $2 }')"
      systems+=(mawk)
      ;;
    python)
      py=$(command -v python3 >/dev/null && python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
      if [ -z "$py" ]; then echo "files: Python skipped: no python3"; continue; fi
      label[python]="Python $("$py" -c 'import platform; print(platform.python_version())') Counter"
      systems+=(python)
      ;;
    *) echo "files: unknown peer '$p' (duckdb, clickhouse, mawk, python)" >&2; exit 2 ;;
  esac
done

run_duckdb() { ASAN_OPTIONS=detect_leaks=0 timed "$1" "$2" "$build/duckdb_wc" "$lib" "$file" 2; }
result_duckdb() { awk '{ print $2, $4 }' "$1"; }

ch_query="SELECT count(), sum(c) FROM (SELECT arrayJoin(splitByChar(' ', line)) AS word, count() AS c FROM file('words.txt', 'TabSeparated', 'line String') GROUP BY word)"
ch_cpu() { awk '{ print $14 + $15 }' "/proc/$chpid/stat"; }
run_clickhouse() {
  local c0 c1
  c0=$(ch_cpu)
  timed "$1" "$2" clickhouse-client --port "$port" --query "$ch_query"
  c1=$(ch_cpu)
  t_cpu_ms=$((t_cpu_ms + (c1 - c0) * 1000 / $(getconf CLK_TCK)))
  t_rss_kb=
}
result_clickhouse() { awk '{ print $1, $2 }' "$1"; }

mawk_prog='{ for (i = 1; i <= NF; i++) c[$i]++ } END { n = 0; t = 0; for (w in c) { n++; t += c[w] } print "words", n, "total", t }'
run_mawk() { timed "$1" "$2" mawk "$mawk_prog" "$file"; }
result_mawk() { awk '{ print $2, $4 }' "$1"; }

# Counter over the words of 1 MB of lines at a time: the fastest of the
# plain ways tried (per line, or the whole file at once, are slower).
py_prog='import sys
from collections import Counter
c = Counter()
with open(sys.argv[1], "rb") as f:
    while True:
        b = f.readlines(1 << 20)
        if not b:
            break
        c.update(b"".join(b).split())
print("words", len(c), "total", sum(c.values()))'
run_python() { timed "$1" "$2" "$py" -c "$py_prog" "$file"; }
result_python() { awk '{ print $2, $4 }' "$1"; }

declare -A walls cpus rss bad
for r in $(seq "$rounds"); do
  line="round $r:"
  for s in "${systems[@]}"; do
    [ -n "${skip[$s]:-}" ] && continue
    "run_$s" "$tmp/$s.out" "$tmp/$s.err"
    got=$("result_$s" "$tmp/$s.out" 2>/dev/null)
    if [ "$t_status" != 0 ] || [ "$got" != "$expect" ]; then
      if [ "$s" = weir ] && grep -q 'not supported yet' "$tmp/weir.err"; then
        skip[weir]="not run: $(grep -m1 'not supported yet' "$tmp/weir.err")"
        echo "files: Weir skipped: this build has no text file source yet: $(grep -m1 'not supported yet' "$tmp/weir.err")"
        continue
      fi
      echo "files: $s failed (status $t_status, result '${got}', expected '$expect'):" >&2
      tail -5 "$tmp/$s.err" >&2
      skip[$s]="FAILED (status $t_status, result '$got', expected '$expect')"
      bad[$s]=1
      failed=1
      continue
    fi
    walls[$s]+=" $t_wall_ms"
    cpus[$s]+=" $t_cpu_ms"
    rss[$s]+=" ${t_rss_kb:-0}"
    line+=" $s ${t_wall_ms} ms (cpu ${t_cpu_ms})"
  done
  echo "$line"
done

med() { tr ' ' '\n' <<<"$1" | grep . | median; }
wm=$(med "${walls[weir]:-}")
wc=$(med "${cpus[weir]:-}")
echo "== files: word count of $n_words words, median of $rounds rounds (whole process; CPU = user + sys)"
printf '| %-52s | %8s | %8s | %14s | %9s | %12s | %12s |\n' system "wall s" "CPU s" "M words/CPU-s" "peak MB" "weir÷ wall" "weir÷ CPU"
printf '| %-52s | %8s | %8s | %14s | %9s | %12s | %12s |\n' --- ---: ---: ---: ---: ---: ---:
for s in "${systems[@]}"; do
  if [ -z "${walls[$s]:-}" ]; then
    printf '| %-52s | %s |\n' "${label[$s]}" "${skip[$s]:-not run}"
    continue
  fi
  w=$(med "${walls[$s]}")
  c=$(med "${cpus[$s]}")
  m=$(med "${rss[$s]}")
  printf '| %-52s | %8s | %8s | %14s | %9s | %12s | %12s |\n' "${label[$s]}" \
    "$(awk -v x="$w" 'BEGIN { printf "%.2f", x / 1000 }')" \
    "$(awk -v x="$c" 'BEGIN { printf "%.2f", x / 1000 }')" \
    "$(awk -v n="$n_words" -v x="$c" 'BEGIN { if (x > 0) printf "%.1f", n / x / 1000; else print "n/a" }')" \
    "$([ "$m" -gt 0 ] 2>/dev/null && awk -v x="$m" 'BEGIN { printf "%.0f", x / 1024 }' || echo n/a)" \
    "$([ -n "$wm" ] && echo "$(ratio "$wm" "$w")×" || echo n/a)" \
    "$([ -n "$wc" ] && echo "$(ratio "$wc" "$c")×" || echo n/a)"
done
if [ -n "$wm" ]; then
  echo "files: weir: totals match ($expect)"
fi
echo "(weir÷: Weir's wall or CPU time divided by the system's; below 1 means Weir is faster. ClickHouse: server started before the rounds, untimed.)"
exit "$failed"
