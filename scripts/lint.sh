#!/usr/bin/env bash
# The checks `make test` (and so .ci/run) runs before the test suite: the
# layering (scripts/check-layers.sh), formatting (clang-format, the
# project's .clang-format) and cppcheck. Exits 1 on the first that fails.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== lint: layers"
scripts/check-layers.sh

echo "== lint: clang-format"
clang-format --dry-run -Werror $(git ls-files '*.c' '*.h')

# cppcheck over the product and the benchmarks (it cannot parse Criterion's
# test macros). readdir is thread-safe per directory stream in glibc, and
# readdir_r is deprecated: that portability note is off.
echo "== lint: cppcheck"
cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --inline-suppr \
  -D_GNU_SOURCE -I . --include=/usr/include/jansson.h --library=posix \
  --suppress=readdirCalled --template='{file}:{line}: {severity}: {message} [{id}]' \
  $(git ls-files '*.c' | grep -v '^tests/')
echo "lint: ok"
