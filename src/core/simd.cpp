#include "core/simd.hpp"

#include <cstdlib>
#include <string_view>

#include "core/convert_kernels.hpp"

namespace tessera::detail {

Isa pick_isa() {
  static const Isa isa = [] {
    __builtin_cpu_init();
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                      __builtin_cpu_supports("bmi2");
    const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
    if (const char* env = std::getenv("TESSERA_SIMD")) {
      const std::string_view want(env);
      if (want == "baseline") return Isa::Baseline;
      if (want == "avx2" && avx2) return Isa::Avx2;
      if (want == "avx512" && avx512) return Isa::Avx512;
    }
    if (avx512) return Isa::Avx512;
    if (avx2) return Isa::Avx2;
    return Isa::Baseline;
  }();
  return isa;
}

const ConvertKernels& convert_kernels() {
  static const ConvertKernels& table =
      select_isa(&convert_kernels_baseline, &convert_kernels_avx2, &convert_kernels_avx512);
  return table;
}

}  // namespace tessera::detail
