// The chart kernel table for this CPU (core/simd.hpp picks the ISA).
#include "core/simd.hpp"
#include "ops/chart/chart_kernels.hpp"

namespace tessera::detail {

const ChartKernels& chart_kernels() {
  static const ChartKernels& table = select_isa(&chart_kernels_baseline, &chart_kernels_avx2, &chart_kernels_avx512);
  return table;
}

}  // namespace tessera::detail
