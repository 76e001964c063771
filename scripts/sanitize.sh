#!/usr/bin/env bash
# make sanitize: the C++ tests and the Python tests under AddressSanitizer and
# UndefinedBehaviorSanitizer (GCC; build-asan/), then the C++ tests under
# ThreadSanitizer (build-tsan/). Any report fails the target (UBSan does not
# recover). The Python module of the ASan build lives in build-asan/ beside a
# mirror of the package, so the normal build is left alone; Python itself is
# not instrumented, so the ASan runtime is preloaded and leak checking is off
# (the interpreter keeps its own allocations for good).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs=$(nproc)
[ -x .venv/bin/python ] || /usr/bin/python3 -m venv --system-site-packages .venv

build() {  # build DIR SANITIZERS [cmake options...]
  local dir=$1 sanitizers=$2
  shift 2
  [ -f "$dir/CMakeCache.txt" ] || cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTESSERA_SANITIZE="$sanitizers" -DTESSERA_BUILD_EXTRAS=OFF -DPYTHON_EXECUTABLE=/usr/bin/python3 "$@" >/dev/null
  cmake --build "$dir" -j "$jobs" > "$dir/build.log" 2>&1 || {
    grep -E 'error' -A5 "$dir/build.log" | head -40; echo "build failed ($dir/build.log)" >&2; exit 1; }
}

start=$SECONDS
echo "== ASan+UBSan build (build-asan)"
build build-asan address,undefined -DTESSERA_PYTHON_DIR="$PWD/build-asan/python/tessera"
for entry in python/tessera/*; do  # the package, with the instrumented module
  case "$entry" in *.so) continue ;; esac
  ln -sfn "$PWD/$entry" "build-asan/python/tessera/$(basename "$entry")"
done
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "== C++ tests, ASan+UBSan"
ASAN_OPTIONS=detect_leaks=1 build-asan/tessera_tests --gtest_brief=1 | tail -n 3
echo "== Python tests, ASan+UBSan"
# libstdc++ too: Python does not link it, and ASan's throw interceptor must
# find it at start-up. An allocation too large for memory returns null, as
# malloc does, so that the tests of MemoryError check what users get (ASan
# would abort instead).
LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libstdc++.so)" \
  ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
  TESSERA_SANITIZED=1 PYTHONPATH="$PWD/build-asan/python" TESSERA_CLI="$PWD/build-asan/tessera" \
  .venv/bin/python -m pytest -q -p no:cacheprovider -x tests/python | tail -n 3

echo "== TSan build (build-tsan)"
build build-tsan thread -DTESSERA_BUILD_PYTHON=OFF
echo "== C++ tests, TSan"
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 build-tsan/tessera_tests --gtest_brief=1 | tail -n 3
echo "sanitize: clean ($((SECONDS - start)) s)"
