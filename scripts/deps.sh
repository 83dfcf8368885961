#!/usr/bin/env bash
# Installs the Debian packages Weir needs to build, test and run its demo.
# As root it runs apt-get; otherwise it prints the exact apt-get line and fails.
set -euo pipefail

packages=(gcc make cmake pkg-config librdkafka-dev libjansson-dev libpcre2-dev
          libsqlite3-dev sqlite3 libcriterion-dev libedit-dev kcat time clang-format cppcheck)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -eq 0 ]]; then
  echo "deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "deps: missing packages; run as root:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
