#include "core/simd.hpp"
#include "ops/chart/chart_kernels.hpp"

namespace tessera::detail {
namespace {

// Branch-free selects over int16 spans: the compiler vectorises these at
// every ISA's width.
template <typename T>
void row(T* __restrict out, const std::int16_t* __restrict fill_top, const std::int16_t* __restrict line_lo,
         const std::int16_t* __restrict line_hi, std::int16_t r, const T* __restrict fg, const T* __restrict fill,
         const T* __restrict bg, std::int64_t n) {
  // Every operand is loaded unconditionally, so the selects if-convert.
  for (std::int64_t i = 0; i < n; ++i) {
    const T g = fg[i], f = fill[i], b = bg[i];
    const bool in_line = (line_lo[i] <= r) & (r <= line_hi[i]);
    const bool in_fill = r < fill_top[i];
    const T under = in_fill ? f : b;
    out[i] = in_line ? g : under;
  }
}

}  // namespace

const ChartKernels& TESSERA_ISA_TABLE(chart_kernels)() {
  static const ChartKernels table{&row<std::uint8_t>, &row<float>};
  return table;
}

}  // namespace tessera::detail
