#!/usr/bin/env bash
# Installs the peers `make bench` compares Weir with, none of which Weir itself
# needs: mawk and ClickHouse (`clickhouse local`) from Debian, and DuckDB's
# shared library from its npm package @duckdb/node-bindings-linux-x64, which
# ships libduckdb.so (bench/duckdb_wc.c dlopen()s it). The npm package goes
# into a cache folder, never into the repository:
#   ${WEIR_BENCH_CACHE:-${XDG_CACHE_HOME:-~/.cache}/weir-bench}/duckdb-VERSION
# Prints, last, one line `duckdb: PATH/libduckdb.so` (or `duckdb: none`).
# A peer that cannot be installed is reported and skipped, never fatal: the
# bench times the rest. DUCKDB_VERSION picks the npm version (default below).
set -uo pipefail
cache=${WEIR_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/weir-bench}
duckdb_version=${DUCKDB_VERSION:-1.5.6-r.1}

have_pkg() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]; }
missing=()
for p in mawk clickhouse-server; do have_pkg "$p" || missing+=("$p"); done
if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    echo "bench-deps: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    # Debian's clickhouse-server starts no daemon without systemd; `clickhouse
    # local` needs none.
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/dev/null 2>&1 ||
      echo "bench-deps: apt-get could not install ${missing[*]}; the bench skips them" >&2
  else
    echo "bench-deps: not root; to compare with ${missing[*]}: sudo apt-get install -y ${missing[*]}" >&2
  fi
fi

dir="$cache/duckdb-$duckdb_version"
lib="$dir/node_modules/@duckdb/node-bindings-linux-x64/libduckdb.so"
if [[ ! -f "$lib" ]]; then
  if command -v npm >/dev/null; then
    echo "bench-deps: npm install @duckdb/node-bindings-linux-x64@$duckdb_version into $dir" >&2
    mkdir -p "$dir"
    # --force: the package declares os/cpu; --ignore-scripts: only its files are wanted.
    npm install --silent --no-save --no-audit --no-fund --ignore-scripts --prefix "$dir" \
      "@duckdb/node-bindings-linux-x64@$duckdb_version" >/dev/null 2>"$dir/npm.log" ||
      echo "bench-deps: npm could not install DuckDB (see $dir/npm.log); the bench skips it" >&2
  else
    echo "bench-deps: no npm; the bench skips DuckDB (apt-get install npm)" >&2
  fi
fi
if [[ -f "$lib" ]]; then echo "duckdb: $lib"; else echo "duckdb: none"; fi
