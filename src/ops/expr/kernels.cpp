// The element-wise kernel table for this CPU (core/simd.hpp picks the ISA).
#include "core/simd.hpp"
#include "ops/expr/kernels.hpp"

namespace tessera::detail {

const KernelTable& kernels() {
  static const KernelTable& table = select_isa(&kernels_baseline, &kernels_avx2, &kernels_avx512);
  return table;
}

}  // namespace tessera::detail
