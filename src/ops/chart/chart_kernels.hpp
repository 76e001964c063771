// The one loop a chart spends its time in: a display row of interleaved
// channel elements, each the line colour, the fill colour or the background
// by where the row falls in its column's spans. chart_kernels_impl.cpp is
// compiled once per instruction set (see core/simd.hpp).
#pragma once

#include <cstdint>

namespace tessera::detail {

struct ChartKernels {
  // out[i] = fg[i] if line_lo[i] <= r <= line_hi[i], else fill[i] if r < fill_top[i], else bg[i].
  void (*row_u8)(std::uint8_t* out, const std::int16_t* fill_top, const std::int16_t* line_lo,
                 const std::int16_t* line_hi, std::int16_t r, const std::uint8_t* fg, const std::uint8_t* fill,
                 const std::uint8_t* bg, std::int64_t n);
  void (*row_f32)(float* out, const std::int16_t* fill_top, const std::int16_t* line_lo, const std::int16_t* line_hi,
                  std::int16_t r, const float* fg, const float* fill, const float* bg, std::int64_t n);
};

const ChartKernels& chart_kernels();
const ChartKernels& chart_kernels_baseline();
const ChartKernels& chart_kernels_avx2();
const ChartKernels& chart_kernels_avx512();

}  // namespace tessera::detail
