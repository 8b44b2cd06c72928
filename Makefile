# Thin wrapper over CMake. `make run` brings svl up with the bundled example;
# `make test` runs every test (unit, integration against a real dockerd, ASan+UBSan unit build,
# then each libFuzzer target for FUZZ_SECONDS). `make fuzz` runs only the fuzz targets.
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60
export SVL_BUILD_DIR := $(CURDIR)/build
# ccache: hash paths relative to the checkout, so any clone (CI's included) reuses the cache.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1
# cmake's own makefiles, started from this one, would otherwise count as sub-makes and print
# "Entering/Leaving directory" around every step.
CMAKE_BUILD := env -u MAKELEVEL -u MAKEFLAGS cmake --build

.PHONY: run test deps docker build build-asan unit integration test-asan fuzz bench clean

run: deps build docker
	bash deploy/run.sh

test: deps build docker
	ctest --preset default -j $(JOBS)
	$(MAKE) test-asan
	$(MAKE) fuzz

deps:
	bash deploy/install-deps.sh

docker:
	bash deploy/ensure-dockerd.sh

build:
	cmake --preset default >/dev/null
	$(CMAKE_BUILD) --preset default -j $(JOBS)

build-asan:
	cmake --preset asan >/dev/null
	$(CMAKE_BUILD) --preset asan -j $(JOBS)

test-asan: build-asan
	ctest --preset asan -j $(JOBS)

fuzz: deps
	bash fuzz/run.sh $(FUZZ_SECONDS)

unit: build
	ctest --preset default -L unit -j $(JOBS)

integration: build docker
	ctest --preset default -L integration

bench: deps build docker
	SVL_DEPS_EXTRA=1 bash deploy/install-deps.sh
	bash bench/run-all.sh

clean:
	rm -rf build build-asan build-fuzz
