# Thin wrapper over CMake + CTest. The two commands of the README:
#   make run    build, load the bundled real data and the demo city into zhinao.db, serve the cockpit
#   make check  every test, in a warnings-as-errors build and in an ASan+UBSan build
BUILD   ?= build
ASAN    ?= build-asan
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
DB      ?= zhinao.db
ZHINAO   = $(BUILD)/zhinao

.PHONY: all deps build build-asan run check check-fast check-asan bench clean

all: build

deps:
	@scripts/install-deps -q

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZN_WERROR=ON

$(ASAN)/CMakeCache.txt:
	cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DZN_WERROR=ON -DZN_SANITIZE=ON

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps $(ASAN)/CMakeCache.txt
	cmake --build $(ASAN) -j $(JOBS)

run: build
	scripts/run-demo $(ZHINAO) $(DB)

check-fast: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

check-asan: build-asan
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS)

check: check-fast check-asan

bench: build
	cmake --build $(BUILD) -j $(JOBS) --target $$(ls bench/bench_*.c 2>/dev/null | xargs -rn1 basename | sed 's/\.c$$//')
	bench/run-ingest.sh $(BUILD)
	bench/run-load.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN)
