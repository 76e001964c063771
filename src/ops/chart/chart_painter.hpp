// What a chart draws, apart from when: the checked options, the colours as
// row patterns, and paint(), which turns a run of samples into columns of
// pixels. StreamChart (incremental, one frame) and render_windows (many
// frames on many threads) both draw through it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tessera/chart.hpp"

namespace tessera::detail {

class ChartPainter {
 public:
  explicit ChartPainter(const ChartOptions& checked);

  // Draws `count` columns. values[0] is the sample before the first column
  // (NaN: none), values[1 .. count] the columns' samples (NaN: an empty
  // column); lo/hi the range. dst is the first column's top display row;
  // row_stride in bytes. `spans` is the caller's scratch, span_count(count)
  // int16 values. Safe to call from several threads at once.
  void paint(const double* values, std::int64_t count, double lo, double hi, std::byte* dst,
             std::int64_t row_stride, std::int16_t* spans) const;
  std::size_t span_count(std::int64_t count) const { return static_cast<std::size_t>(3 * count * o_.channels); }
  // Fills `count` columns with the background.
  void clear(std::int64_t count, std::byte* dst, std::int64_t row_stride) const;

  std::int64_t pixel_bytes() const { return pixel_bytes_; }

 private:
  const std::byte* pattern(const std::vector<std::byte>& patterns, std::int64_t level) const;
  static constexpr std::int64_t kSmallRow = 48;  // elements (columns x channels)
  template <typename T>
  void paint_small(std::int64_t n, const std::int16_t* fill_top, const std::int16_t* line_lo,
                   const std::int16_t* line_hi, std::byte* dst, std::int64_t row_stride) const;

  ChartOptions o_;
  std::int64_t pixel_bytes_;
  bool per_row_colour_;
  // Each colour repeated across the width (width x channels elements): one
  // row, or one per level when the colour depends on the height.
  std::vector<std::byte> fg_, fill_, bg_;
};

}  // namespace tessera::detail
