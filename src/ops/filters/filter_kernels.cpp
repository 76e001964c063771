// The filter kernel table for this CPU (core/simd.hpp picks the ISA).
#include "core/simd.hpp"
#include "ops/filters/filter_kernels.hpp"

namespace tessera::detail {

const FilterKernels& filter_kernels() {
  static const FilterKernels& table =
      select_isa(&filter_kernels_baseline, &filter_kernels_avx2, &filter_kernels_avx512);
  return table;
}

}  // namespace tessera::detail
