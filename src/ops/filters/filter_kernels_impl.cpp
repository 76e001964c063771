// The filter kernel table of one ISA (TESSERA_ISA names it), filled by each
// op family's kernels (filter_kernel_families.hpp).
#include "ops/filters/filter_kernel_families.hpp"

namespace tessera::detail {

const FilterKernels& TESSERA_ISA_TABLE(filter_kernels)() {
  static const FilterKernels table = [] {
    FilterKernels t{};
    TESSERA_ISA_TABLE(add_window_kernels)(t);
    TESSERA_ISA_TABLE(add_steepest_kernels)(t);
    TESSERA_ISA_TABLE(add_enhanced_lee_kernels)(t);
    TESSERA_ISA_TABLE(add_correlate_kernels)(t);
    TESSERA_ISA_TABLE(add_derivative_kernels)(t);
    return t;
  }();
  return table;
}

}  // namespace tessera::detail
