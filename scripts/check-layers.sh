#!/usr/bin/env bash
# Checks Weir's layering (docs/architecture.md): no folder includes a header
# from a folder above it, and third-party headers stay where they belong
# (librdkafka in the Kafka code and the command line, SQLite in the catalog
# and the memory sink, PCRE2 in expr/). Prints each violation as
# FILE:LINE: message and exits 1 if there is any.
set -euo pipefail
cd "$(dirname "$0")/.."

# Bottom to top. Folders of one rank may not include each other: a folder
# uses only what lies strictly below it (and itself).
declare -A rank=(
  [core]=1
  [expr]=2 [kafka]=2
  [state]=3 [checkpoint]=3 [catalog]=3 [broker]=3
  [planner]=4
  [engine]=5
  [sources]=6 [sinks]=6
  [cli]=7
)

fail=0
report() { echo "$1: $2"; fail=1; }

for dir in "${!rank[@]}"; do
  [ -d "$dir" ] || continue
  while IFS= read -r file; do
    while IFS=: read -r line text; do
      inc=$(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' <<<"$text")
      sys=$(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*<\([^>]*\)>.*/\1/p' <<<"$text")
      if [ -n "$inc" ]; then
        target=${inc%%/*}
        [ "$target" = "$inc" ] && continue # a header of its own folder, by bare name
        [ "$target" = "$dir" ] && continue
        if [ -z "${rank[$target]:-}" ]; then
          report "$file:$line" "includes $inc from '$target', a folder outside the layers"
        elif [ "${rank[$target]}" -ge "${rank[$dir]}" ]; then
          report "$file:$line" "$dir/ (layer ${rank[$dir]}) includes $inc from $target/ (layer ${rank[$target]}): only lower layers may be included"
        elif [[ "$inc" == */*_int.h ]]; then
          report "$file:$line" "includes $inc, a header private to $target/"
        fi
      elif [ -n "$sys" ]; then
        case "$sys" in
          librdkafka/*)
            case "$file" in sources/kafka*|kafka/*|broker/*|cli/*) ;; *) report "$file:$line" "includes <$sys>: only sources/kafka*, kafka/, broker/ and cli/ may use librdkafka" ;; esac ;;
          sqlite3.h)
            case "$file" in catalog/*|sinks/memory*) ;; *) report "$file:$line" "includes <$sys>: only catalog/ and the memory sink may use SQLite" ;; esac ;;
          pcre2.h)
            case "$file" in expr/*) ;; *) report "$file:$line" "includes <$sys>: PCRE2 is private to expr/" ;; esac ;;
        esac
      fi
    done < <(grep -n '^[[:space:]]*#[[:space:]]*include' "$file" || true)
  done < <(find "$dir" -name '*.[ch]' | sort)
done

# Every folder with C files has a rank.
for d in $(find . -name '*.[ch]' -not -path './build*' -not -path './tests/*' -not -path './bench/*' -printf '%h\n' | sed 's|^\./||' | cut -d/ -f1 | sort -u); do
  [ -n "${rank[$d]:-}" ] || report "$d/" "has C files but no layer in scripts/check-layers.sh"
done

if [ "$fail" = 0 ]; then echo "layers: ok"; fi
exit "$fail"
