// Picks the kernel table of the widest instruction set this CPU runs.
#include <cstdlib>
#include <string_view>

#include "ops/expr/kernels.hpp"
#include "tessera/error.hpp"

namespace tessera::detail {

namespace {
const KernelTable& pick() {
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                    __builtin_cpu_supports("bmi2");
  const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") &&
                      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
                      __builtin_cpu_supports("avx512dq");
  if (const char* env = std::getenv("TESSERA_SIMD")) {
    const std::string_view want(env);
    if (want == "baseline") return kernels_baseline();
    if (want == "avx2" && avx2) return kernels_avx2();
    if (want == "avx512" && avx512) return kernels_avx512();
  }
  if (avx512) return kernels_avx512();
  if (avx2) return kernels_avx2();
  return kernels_baseline();
}
}  // namespace

const KernelTable& kernels() {
  static const KernelTable& table = pick();
  return table;
}

}  // namespace tessera::detail
