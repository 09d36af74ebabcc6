# The two commands a new user needs: `make run` and `make test`. Everything else is optional.
.PHONY: all setup configure build run test test-asan package format format-check clean

JOBS ?= $(shell nproc)
# CI sets CI=true: warnings become errors there.
WERROR := $(if $(filter true 1 yes,$(CI)),ON,OFF)
CMAKE_FLAGS ?=

all: build

setup:
	@scripts/setup.sh

build/release/build.ninja: CMakeLists.txt CMakePresets.json | setup
	cmake --preset release -DFLINT_WERROR=$(WERROR) $(CMAKE_FLAGS)

configure: setup
	cmake --preset release -DFLINT_WERROR=$(WERROR) $(CMAKE_FLAGS)

build: setup build/release/build.ninja
	cmake --build build/release -j $(JOBS)

run: build
	@if [ -z "$$DISPLAY$$WAYLAND_DISPLAY" ] && [ -z "$$QT_QPA_PLATFORM" ]; then \
	  echo "make run: no display here (DISPLAY and WAYLAND_DISPLAY are unset); run it in a desktop session,"; \
	  echo "or take a picture instead: QT_QPA_PLATFORM=offscreen ./build/release/bin/flint --screenshot flint.png"; \
	  exit 1; fi
	./build/release/bin/flint

test: build
	@scripts/fetch_test_data.sh
	ctest --preset release -j $(JOBS)

# The installers: build/release/packages/flint_*.deb (and flint-cuda_*.deb with CUDA), a
# self-extracting flint-*.sh for one user without root, and flint-*.tar.gz. File times come
# from the last commit, so the same checkout gives the same packages byte for byte.
package: build
	cd build/release && SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct 2>/dev/null || echo 0) cpack -B packages

test-asan: setup
	cmake --preset asan -DFLINT_WERROR=$(WERROR) $(CMAKE_FLAGS)
	cmake --build build/asan -j $(JOBS)
	ctest --preset asan -j $(JOBS)

format:
	cmake --build build/release --target format

format-check:
	cmake --build build/release --target format-check

clean:
	rm -rf build
