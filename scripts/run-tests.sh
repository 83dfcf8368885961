#!/usr/bin/env bash
# Runs the Criterion suite of one build directory; sanitizer reports fail the run.
set -euo pipefail
build=${1:-build}
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
echo "== tests: $build"
"$build/weir_tests" --jobs "$(nproc)" --timeout 120 "${@:2}"
