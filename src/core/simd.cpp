#include "core/simd.hpp"

#include <cstdlib>
#include <string>
#include <string_view>

#include "core/convert_kernels.hpp"
#include "tessera/error.hpp"

namespace tessera::detail {

Isa pick_isa() {
  static const Isa isa = [] {
    __builtin_cpu_init();
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                      __builtin_cpu_supports("bmi2");
    const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
    if (const char* env = std::getenv("TESSERA_SIMD")) {
      // A narrower set than the CPU's is honoured; a wider one falls back to
      // the widest the CPU runs; anything else is a mistake worth saying.
      const std::string_view want(env);
      if (want == "baseline") return Isa::Baseline;
      if (want == "avx2") return avx2 ? Isa::Avx2 : Isa::Baseline;
      if (want == "avx512") return avx512 ? Isa::Avx512 : avx2 ? Isa::Avx2 : Isa::Baseline;
      throw ValueError("TESSERA_SIMD must be baseline, avx2 or avx512, got '" + std::string(want) + "'");
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
