# tessera: the four commands. Each installs what is missing (Debian packages,
# via scripts/install-deps.sh), configures and builds incrementally, so a
# second run is quick.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
BUILD := build
VENV := .venv
PY := $(VENV)/bin/python
JOBS ?= $(shell nproc)

.PHONY: all deps build test test-cpp test-python demo bench fuzz sanitize clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/CMakeCache.txt: CMakeLists.txt | deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DPYTHON_EXECUTABLE=/usr/bin/python3 >/dev/null

$(VENV)/bin/activate:
	@/usr/bin/python3 -m venv --system-site-packages $(VENV)

build: deps $(BUILD)/CMakeCache.txt $(VENV)/bin/activate
	@cmake --build $(BUILD) -j $(JOBS) > $(BUILD)/build.log 2>&1 || \
	  { grep -E 'error|Error' -A5 $(BUILD)/build.log | head -60; echo "build failed (full log: $(BUILD)/build.log)" >&2; exit 1; }
	@site=$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'); \
	  echo "$(CURDIR)/python" > "$$site/tessera.pth"
	@ln -sf "$(CURDIR)/$(BUILD)/tessera" $(VENV)/bin/tessera
	@$(PY) -c "import tessera" && echo "tessera built (kernels: $$($(PY) -c 'import tessera; print(tessera.simd())'))"

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) | tail -n 3
	@$(BUILD)/example_cpp
	@$(PY) -m pytest -q -p no:cacheprovider tests/python

demo: build
	@$(PY) examples/demo.py

bench: build
	@$(PY) bench/run.py

# Checking targets, not part of `make test` (README, "Reliability").
fuzz:
	@bash scripts/fuzz.sh

sanitize:
	@bash scripts/sanitize.sh

clean:
	rm -rf $(BUILD) build-fuzz build-asan build-tsan $(VENV) python/tessera/_core*.so demo-out
