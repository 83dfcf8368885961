# Thin front over CMake (as Neovim does): `make demo` and `make test` are the two
# commands of the README; each installs missing packages, configures and builds.
MAKEFLAGS += --no-print-directory
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)

.PHONY: all deps build build-asan lint test test-fast test-asan demo bench bench-deps format clean install

all: build

deps:
	@scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DWEIR_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

# Layering, formatting and cppcheck (scripts/lint.sh).
lint: deps
	@scripts/lint.sh

# The whole suite: the lint, then the tests once on the optimised build and
# once under ASan + UBSan.
test: lint build build-asan
	@scripts/run-tests.sh $(BUILD)
	@scripts/run-tests.sh $(ASAN_BUILD)

test-fast: build
	@scripts/run-tests.sh $(BUILD)

demo: build
	@scripts/demo.sh $(BUILD)

# Benchmarks (bench/run.sh; docs/bench.md). The peers they compare with
# (DuckDB from npm into a cache folder, ClickHouse and mawk from Debian) are
# installed by scripts/bench-deps.sh, which bench/run.sh calls.
bench: build
	@bench/run.sh $(BUILD)

bench-deps:
	@scripts/bench-deps.sh

# weir on the PATH: PREFIX/bin/weir (PREFIX=/usr/local unless given).
PREFIX ?= /usr/local
install: build
	@cmake --install $(BUILD) --prefix $(PREFIX) >/dev/null
	@echo "installed $(PREFIX)/bin/weir"

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
