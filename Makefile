# tessera: the four commands. Each installs what is missing (Debian packages,
# via scripts/install-deps.sh), configures and builds incrementally, so a
# second run is quick.
SHELL := /bin/bash
BUILD := build
VENV := .venv
PY := $(VENV)/bin/python
JOBS ?= $(shell nproc)

.PHONY: all deps build test test-cpp test-python demo bench clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/CMakeCache.txt: CMakeLists.txt | deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DPYTHON_EXECUTABLE=/usr/bin/python3 >/dev/null

$(VENV)/bin/activate:
	@/usr/bin/python3 -m venv --system-site-packages $(VENV)

build: deps $(BUILD)/CMakeCache.txt $(VENV)/bin/activate
	@cmake --build $(BUILD) -j $(JOBS) 2>&1 | grep -Ev '^\[|^g?make\[|Consolidate compiler|Built target' || true
	@test -f $(BUILD)/tessera || (echo "build failed" >&2; exit 1)
	@ls python/tessera/_core*.so >/dev/null 2>&1 || (echo "build failed: no Python extension" >&2; exit 1)
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

clean:
	rm -rf $(BUILD) $(VENV) python/tessera/_core*.so demo-out
