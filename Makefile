# Thin front for CMake: `make` builds build/lmz, `make test` runs the tests.
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

PREFIX ?= /usr/local

.PHONY: all test clean configure asan fuzz bench install

all: configure
	cmake --build $(BUILD) -j $(JOBS)

configure:
	@test -f $(BUILD)/CMakeCache.txt || cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

# The whole suite: the release build (gcc), then the sanitizer build (clang,
# AddressSanitizer + UndefinedBehaviorSanitizer) running the tests labelled asan.
test: all
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) asan

asan:
	@test -f build-asan/CMakeCache.txt || CC=clang cmake -S . -B build-asan -DLMZ_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS) -L asan

# libFuzzer (clang): ASan + UBSan build in $(FUZZ_BUILD), each target for
# FUZZ_SECONDS; prints executions and crashes (tests/fuzz/README.md).
FUZZ_SECONDS ?= 60
FUZZ_BUILD ?= build-fuzz
fuzz:
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DLMZ_FUZZ=ON -DLMZ_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_all
	bash tests/fuzz/run_fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: all
	bench/run

# Installs lmz, liblmz.so (SONAME liblmz.so.0.3) and liblmz.a, the headers,
# lmz.pc and the man page under $(PREFIX); DESTDIR (staged installs) is
# honoured: make install PREFIX=/usr DESTDIR=/tmp/pkg
install: all
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) build-asan
