#include "core/simd.hpp"

#include <cstdlib>
#include <string_view>

#include "ops/chart/chart_kernels.hpp"
#include "ops/expr/kernels.hpp"
#include "ops/filters/filter_kernels.hpp"

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

const KernelTable& kernels() {
  static const KernelTable& table = select_isa(&kernels_baseline, &kernels_avx2, &kernels_avx512);
  return table;
}

const FilterKernels& filter_kernels() {
  static const FilterKernels& table =
      select_isa(&filter_kernels_baseline, &filter_kernels_avx2, &filter_kernels_avx512);
  return table;
}

const ChartKernels& chart_kernels() {
  static const ChartKernels& table = select_isa(&chart_kernels_baseline, &chart_kernels_avx2, &chart_kernels_avx512);
  return table;
}

}  // namespace tessera::detail
