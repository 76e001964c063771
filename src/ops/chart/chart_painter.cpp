#include "ops/chart/chart_painter.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "ops/chart/chart_kernels.hpp"
#include "tessera/error.hpp"

namespace tessera {

ChartStyle parse_chart_style(const std::string& name) {
  if (name == "bars") return ChartStyle::Bars;
  if (name == "line") return ChartStyle::Line;
  if (name == "area") return ChartStyle::Area;
  throw ValueError("chart: style must be 'bars', 'line' or 'area', got '" + name + "'");
}

ChartOrigin parse_chart_origin(const std::string& name) {
  if (name == "lower") return ChartOrigin::Lower;
  if (name == "upper") return ChartOrigin::Upper;
  throw ValueError("chart: origin must be 'lower' or 'upper', got '" + name + "'");
}

ChartOptions checked_chart_options(ChartOptions o) {
  // int16 spans in the row kernel bound the height.
  if (o.height < 1 || o.height > 32767)
    throw ValueError("chart: height must be from 1 to 32767, got " + std::to_string(o.height));
  if (o.width < 1 || o.width > (std::int64_t{1} << 24))
    throw ValueError("chart: width must be from 1 to 16777216, got " + std::to_string(o.width));
  if (o.channels != 1 && o.channels != 3 && o.channels != 4)
    throw ValueError("chart: channels must be 1, 3 or 4, got " + std::to_string(o.channels));
  if (o.dtype != DType::UInt8 && o.dtype != DType::Float32)
    throw ValueError("chart: dtype must be uint8 or float32, got " + std::string(dtype_name(o.dtype)));
  for (const auto& [name, v] : {std::pair{"vmin", o.vmin}, std::pair{"vmax", o.vmax}})
    if (v && !std::isfinite(*v)) throw ValueError(std::string("chart: ") + name + " must be finite or None");
  if (o.vmin && o.vmax && *o.vmin > *o.vmax)
    throw ValueError("chart: vmin (" + std::to_string(*o.vmin) + ") is above vmax (" + std::to_string(*o.vmax) + ")");
  const std::size_t c = static_cast<std::size_t>(o.channels);
  if (!o.colormap.empty() && o.colormap.size() != 256 * c)
    throw ValueError("chart: a colormap must be a (256, " + std::to_string(c) + ") uint8 table, got " +
                     std::to_string(o.colormap.size()) + " entries");
  auto colour = [&](std::vector<std::uint8_t>& v, std::uint8_t grey, const char* name) {
    if (v.empty()) {
      v.assign(c, grey);
      if (c == 4) v[3] = 255;
    } else if (v.size() == 1 && c > 1) {
      v.assign(c, v[0]);
      if (c == 4) v[3] = 255;
    } else if (v.size() != c) {
      throw ValueError(std::string("chart: ") + name + " needs 1 or " + std::to_string(c) + " values, got " +
                       std::to_string(v.size()));
    }
  };
  colour(o.foreground, 255, "foreground");
  colour(o.background, 0, "background");
  return o;
}

std::vector<std::uint8_t> height_colormap(int channels) {
  if (channels != 1 && channels != 3 && channels != 4)
    throw ValueError("height_colormap: channels must be 1, 3 or 4, got " + std::to_string(channels));
  std::vector<std::uint8_t> lut(256 * static_cast<std::size_t>(channels));
  for (int i = 0; i < 256; ++i) {
    std::uint8_t* p = &lut[static_cast<std::size_t>(i * channels)];
    if (channels == 1) {
      p[0] = static_cast<std::uint8_t>(i);
      continue;
    }
    // Blue at the baseline, green halfway, red at the top, linear between.
    const int up = std::max(0, 2 * i - 255), down = std::max(0, 255 - 2 * i);
    p[0] = static_cast<std::uint8_t>(up);
    p[1] = static_cast<std::uint8_t>(255 - up - down);
    p[2] = static_cast<std::uint8_t>(down);
    if (channels == 4) p[3] = 255;
  }
  return lut;
}

namespace detail {

namespace {

template <typename T> T from_byte(std::uint8_t v) {
  if constexpr (std::is_same_v<T, float>) return static_cast<float>(v) / 255.0f;
  else return v;
}

template <typename T> void repeat_colour(const std::uint8_t* colour, std::int64_t c, std::int64_t width, std::byte* dst) {
  T* out = reinterpret_cast<T*>(dst);
  for (std::int64_t x = 0; x < width; ++x)
    for (std::int64_t k = 0; k < c; ++k) out[x * c + k] = from_byte<T>(colour[k]);
}

}  // namespace

ChartPainter::ChartPainter(const ChartOptions& checked)
    : o_(checked),
      pixel_bytes_(checked.channels * static_cast<std::int64_t>(itemsize(checked.dtype))),
      per_row_colour_(!checked.colormap.empty()) {
  const std::int64_t c = o_.channels, row_bytes = o_.width * pixel_bytes_;
  const std::int64_t levels = per_row_colour_ ? o_.height : 1;
  fg_.resize(static_cast<std::size_t>(levels * row_bytes));
  fill_.resize(fg_.size());
  bg_.resize(static_cast<std::size_t>(row_bytes));
  const bool f32 = o_.dtype == DType::Float32;
  auto put = [&](const std::uint8_t* colour, std::byte* dst) {
    f32 ? repeat_colour<float>(colour, c, o_.width, dst) : repeat_colour<std::uint8_t>(colour, c, o_.width, dst);
  };
  put(o_.background.data(), bg_.data());
  std::vector<std::uint8_t> fill(static_cast<std::size_t>(c));
  for (std::int64_t level = 0; level < levels; ++level) {
    const std::uint8_t* colour = o_.foreground.data();
    if (per_row_colour_) {
      const std::int64_t entry = o_.height > 1 ? level * 255 / (o_.height - 1) : 255;
      colour = &o_.colormap[static_cast<std::size_t>(entry * c)];
    }
    // Bars fill with the foreground; an area with it averaged with the background.
    for (std::int64_t k = 0; k < c; ++k)
      fill[static_cast<std::size_t>(k)] =
          o_.style == ChartStyle::Area ? static_cast<std::uint8_t>((colour[k] + o_.background[static_cast<std::size_t>(k)]) / 2)
                                       : colour[k];
    put(colour, fg_.data() + level * row_bytes);
    put(fill.data(), fill_.data() + level * row_bytes);
  }
}

template <typename T>
void ChartPainter::paint_small(std::int64_t n, const std::int16_t* fill_top, const std::int16_t* line_lo,
                               const std::int16_t* line_hi, std::byte* dst, std::int64_t row_stride) const {
  const std::int64_t h = o_.height;
  const T* bg = reinterpret_cast<const T*>(bg_.data());
  for (std::int64_t row = 0; row < h; ++row) {
    const std::int64_t r = o_.origin == ChartOrigin::Lower ? h - 1 - row : row;
    const T* fg = reinterpret_cast<const T*>(pattern(fg_, r));
    const T* fill = reinterpret_cast<const T*>(pattern(fill_, r));
    T* out = reinterpret_cast<T*>(dst + row * row_stride);
    for (std::int64_t i = 0; i < n; ++i)
      out[i] = (line_lo[i] <= r && r <= line_hi[i]) ? fg[i] : r < fill_top[i] ? fill[i] : bg[i];
  }
}

const std::byte* ChartPainter::pattern(const std::vector<std::byte>& patterns, std::int64_t level) const {
  return per_row_colour_ ? patterns.data() + level * o_.width * pixel_bytes_ : patterns.data();
}

void ChartPainter::clear(std::int64_t count, std::byte* dst, std::int64_t row_stride) const {
  for (std::int64_t row = 0; row < o_.height; ++row)
    std::memcpy(dst + row * row_stride, bg_.data(), static_cast<std::size_t>(count * pixel_bytes_));
}

void ChartPainter::paint(const double* values, std::int64_t count, double lo, double hi, std::byte* dst,
                         std::int64_t row_stride, std::int16_t* spans) const {
  const std::int64_t h = o_.height, c = o_.channels, n = count * c;
  const bool flat = !(hi > lo);  // equal, inverted, or NaN: nothing to scale by
  // The level of a sample, floor(height * ((v - lo) / (hi - lo))) as the
  // seed computes it, or NaN for an empty column.
  auto level = [&](double v) {
    if (flat || std::isnan(v)) return std::numeric_limits<double>::quiet_NaN();
    return std::floor(static_cast<double>(h) * ((v - lo) / (hi - lo)));
  };
  const bool bars = o_.style != ChartStyle::Line, line = o_.style != ChartStyle::Bars;
  std::int16_t* fill_top = spans;  // then line_lo, line_hi: one per element
  std::int16_t* line_lo = fill_top + n;
  std::int16_t* line_hi = line_lo + n;
  double previous = level(values[0]);
  for (std::int64_t x = 0; x < count; ++x) {
    const double t = level(values[x + 1]);
    std::int16_t top = 0, a = 1, b = 0;  // a > b: no line pixel
    if (!std::isnan(t)) {
      if (bars) top = static_cast<std::int16_t>(std::clamp(t, 0.0, static_cast<double>(h)));
      if (line) {
        const auto y = static_cast<std::int16_t>(std::clamp(t, 0.0, static_cast<double>(h - 1)));
        const auto yp = std::isnan(previous) ? y : static_cast<std::int16_t>(std::clamp(previous, 0.0, static_cast<double>(h - 1)));
        a = std::min(y, yp);
        b = std::max(y, yp);
      }
    }
    previous = t;
    for (std::int64_t k = 0; k < c; ++k) {
      fill_top[x * c + k] = top;
      line_lo[x * c + k] = a;
      line_hi[x * c + k] = b;
    }
  }
  if (n <= kSmallRow) {
    // A push of a few samples: a kernel call per row would cost more than its work.
    if (o_.dtype == DType::Float32) paint_small<float>(n, fill_top, line_lo, line_hi, dst, row_stride);
    else paint_small<std::uint8_t>(n, fill_top, line_lo, line_hi, dst, row_stride);
    return;
  }
  const ChartKernels& kern = chart_kernels();
  for (std::int64_t row = 0; row < h; ++row) {
    const std::int64_t r = o_.origin == ChartOrigin::Lower ? h - 1 - row : row;
    std::byte* out = dst + row * row_stride;
    const std::byte* fg = pattern(fg_, r);
    const std::byte* fill = pattern(fill_, r);
    if (o_.dtype == DType::Float32)
      kern.row_f32(reinterpret_cast<float*>(out), fill_top, line_lo, line_hi, static_cast<std::int16_t>(r),
                   reinterpret_cast<const float*>(fg), reinterpret_cast<const float*>(fill),
                   reinterpret_cast<const float*>(bg_.data()), n);
    else
      kern.row_u8(reinterpret_cast<std::uint8_t*>(out), fill_top, line_lo, line_hi, static_cast<std::int16_t>(r),
                  reinterpret_cast<const std::uint8_t*>(fg), reinterpret_cast<const std::uint8_t*>(fill),
                  reinterpret_cast<const std::uint8_t*>(bg_.data()), n);
  }
}

}  // namespace detail
}  // namespace tessera
