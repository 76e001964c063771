// The filter kernel table is filled by one file per op family, each
// compiled once per instruction set: window reductions, steepest_neighbor,
// the enhanced Lee formula, correlation lines, sobel's and prewitt's passes. Declared here with the ISA's
// suffix (TESSERA_ISA_TABLE), for the table of the same ISA
// (filter_kernels_impl.cpp) to call.
#pragma once

#include "core/simd.hpp"
#include "ops/filters/filter_kernels.hpp"

namespace tessera::detail {

void TESSERA_ISA_TABLE(add_window_kernels)(FilterKernels& t);
void TESSERA_ISA_TABLE(add_steepest_kernels)(FilterKernels& t);
void TESSERA_ISA_TABLE(add_enhanced_lee_kernels)(FilterKernels& t);
void TESSERA_ISA_TABLE(add_correlate_kernels)(FilterKernels& t);
void TESSERA_ISA_TABLE(add_derivative_kernels)(FilterKernels& t);  // ops/derivatives

}  // namespace tessera::detail
