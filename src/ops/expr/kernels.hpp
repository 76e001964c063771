// The element-wise kernels of the expression machine, as tables of function
// pointers indexed by operation and dtype. kernels_impl.cpp is compiled once
// per instruction set (baseline x86-64, AVX2, AVX-512); core/simd.cpp picks
// the table the CPU runs (TESSERA_SIMD=baseline|avx2|avx512 forces one).
#pragma once

#include <cstdint>
#include <string_view>

#include "core/convert_kernels.hpp"
#include "tessera/dtype.hpp"

namespace tessera::detail {

enum class UnaryFn : std::uint8_t {
  Neg, Abs, Invert, Square, Reciprocal,
  Sqrt, Exp, Log, Log10, Log1p, Expm1, Sin, Cos, Tan, Arcsin, Arccos, Arctan,
  Sinh, Cosh, Tanh, Floor, Ceil, Arcsinh, Arccosh, Arctanh,
  Count
};
enum class BinaryFn : std::uint8_t {
  Add, Sub, Mul, Div, FloorDiv, Mod, Pow, Minimum, Maximum, And, Or, Xor, Arctan2, Fmod, LeftShift, RightShift, Hypot,
  Count
};
enum class CompareFn : std::uint8_t { Lt, Le, Gt, Ge, Eq, Ne, Count };

inline constexpr int kUnaryCount = static_cast<int>(UnaryFn::Count);
inline constexpr int kBinaryCount = static_cast<int>(BinaryFn::Count);
inline constexpr int kCompareCount = static_cast<int>(CompareFn::Count);

// Kernel (n contiguous elements) and the conversions' tables: core/convert_kernels.hpp.

struct KernelTable {
  Kernel unary[kUnaryCount][kDTypeCount];
  Kernel binary[kBinaryCount][kDTypeCount];
  Kernel compare[kCompareCount][kDTypeCount];  // T x T -> bool
  Kernel where[kDTypeCount];                   // bool x T x T -> T
  Kernel lookup[kDTypeCount];                  // dst[i] = table(b)[index(a)[i]], 8-bit indices
  Kernel lookup_pairs;                         // two bytes at a time through a 65536-entry table(b)
  Kernel lookup_bytes;                         // bytes to bytes through a 256-entry table(b), vectorised; may be null
};

// The table for this CPU (or TESSERA_SIMD), chosen once.
const KernelTable& kernels();

// Per-ISA tables (defined by each compilation of kernels_impl.cpp).
const KernelTable& kernels_baseline();
const KernelTable& kernels_avx2();
const KernelTable& kernels_avx512();

}  // namespace tessera::detail
