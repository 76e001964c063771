#!/usr/bin/env bash
# make fuzz: builds the libFuzzer harnesses of fuzz/ (clang, ASan+UBSan) in
# build-fuzz/, makes the seed corpora once (fuzz/make_seeds.py), and runs each
# harness for FUZZ_SECONDS (default 60) on one core. What a run finds is kept
# in build-fuzz/corpus/<harness>/ for the next; crashes are saved under
# fuzz/crashes/ and fail the target. FUZZERS picks harnesses (default: all).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
bash scripts/install-deps.sh fuzz

if [ ! -f build-fuzz/CMakeCache.txt ]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTESSERA_FUZZ=ON \
    -DTESSERA_BUILD_PYTHON=OFF -DTESSERA_BUILD_TESTS=OFF -DTESSERA_BUILD_EXTRAS=OFF >/dev/null
fi
cmake --build build-fuzz -j "$(nproc)" > build-fuzz/build.log 2>&1 || {
  grep -E 'error' -A5 build-fuzz/build.log | head -40; echo "fuzz build failed (build-fuzz/build.log)" >&2; exit 1; }
[ -d fuzz/seeds/jpeg ] || /usr/bin/python3 fuzz/make_seeds.py fuzz/seeds

mkdir -p fuzz/crashes
status=0
for harness in ${FUZZERS:-tiff npy expr png jpeg}; do
  corpus=build-fuzz/corpus/$harness
  mkdir -p "$corpus"
  dict=()
  [ "$harness" = expr ] && dict=(-dict=fuzz/seeds/expr.dict)
  echo "== ${harness}_fuzzer, ${seconds} s"
  # -rss_limit_mb: tessera may allocate up to 1 GiB for a chunk a file
  # really holds; more than 3 GiB for one input is a finding.
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
  build-fuzz/${harness}_fuzzer "$corpus" "fuzz/seeds/$harness" "${dict[@]}" -max_total_time="$seconds" \
    -rss_limit_mb=3072 -timeout=20 -print_final_stats=1 -artifact_prefix="fuzz/crashes/${harness}-" \
    > "build-fuzz/${harness}.log" 2>&1 || status=1
  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY)' \
    "build-fuzz/${harness}.log" | tail -5
  tail -n 1 "build-fuzz/${harness}.log" | grep -q "Done" || grep -E "cov:" "build-fuzz/${harness}.log" | tail -1
done
if [ "$status" -ne 0 ]; then
  echo "fuzz: findings saved under fuzz/crashes/ (logs in build-fuzz/*.log)" >&2
fi
rm -f /dev/shm/tessera-fuzz-* /tmp/tessera-fuzz-*  # the harnesses' input files
exit "$status"
