// Conversions between dtypes by tessera's rule, as tables of kernels indexed
// by [from][to], compiled once per instruction set (convert_kernels_impl.cpp)
// and chosen at run time (core/simd.cpp). The engine's copies, the
// expression programs and the filters all convert through them.
#pragma once

#include <cstdint>

#include "tessera/dtype.hpp"

namespace tessera::detail {

// n elements, contiguous: dst[i] = f(a[i], b[i], c[i]); dst may equal an input.
using Kernel = void (*)(std::int64_t n, void* dst, const void* a, const void* b, const void* c);
// A block of rows x cols elements converted (tessera's rule) between a strided
// place and a contiguous one: load reads strided and writes contiguous, store
// the reverse. Strides in bytes; an inner stride of 0 broadcasts.
using MoveKernel = void (*)(std::int64_t rows, std::int64_t cols, void* strided,
                            std::int64_t row_stride, std::int64_t col_stride, void* contiguous);

struct ConvertKernels {
  const char* isa;                             // "baseline", "avx2" or "avx512"
  Kernel cast[kDTypeCount][kDTypeCount];       // [from][to], contiguous
  MoveKernel load[kDTypeCount][kDTypeCount];   // [from][to]
  MoveKernel store[kDTypeCount][kDTypeCount];  // [from][to]
};

// The table for this CPU (or TESSERA_SIMD), chosen once.
const ConvertKernels& convert_kernels();
const ConvertKernels& convert_kernels_baseline();
const ConvertKernels& convert_kernels_avx2();
const ConvertKernels& convert_kernels_avx512();

}  // namespace tessera::detail
