// StreamChart: when the range holds, a push draws only its new columns; the
// rest scroll by moving an offset into a buffer three frames wide, and the
// pixels move only when the offset reaches the end (once per two widths of
// samples). The window's min and max come from monotone queues: O(1) per
// sample amortised.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "ops/chart/chart_painter.hpp"
#include "tessera/chart.hpp"
#include "tessera/error.hpp"

namespace tessera {

namespace {
bool same_value(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

StreamChart::StreamChart(ChartOptions options)
    : options_(checked_chart_options(std::move(options))),
      painter_(std::make_unique<detail::ChartPainter>(options_)),
      history_(static_cast<std::size_t>(options_.width + 1), kNaN),
      buffer_columns_(3 * options_.width),
      column_values_(static_cast<std::size_t>(options_.width + 1)) {
  pixels_.resize(static_cast<std::size_t>(options_.height * buffer_columns_ * painter_->pixel_bytes()));
  painter_->clear(options_.width, pixels_.data(), buffer_columns_ * painter_->pixel_bytes());
}

StreamChart::~StreamChart() = default;

Shape StreamChart::frame_shape() const {
  if (options_.channels == 1) return {options_.height, options_.width};
  return {options_.height, options_.width, options_.channels};
}

void StreamChart::push(const double* values, std::int64_t n) {
  if (n < 0) throw ValueError("StreamChart.push: a negative sample count");
  std::lock_guard lock(mutex_);
  if (n == 0) return;
  const std::int64_t w = options_.width, ring = w + 1;
  // Only the last width + 1 samples can show (the first of them as a line's
  // previous point); earlier ones are counted and dropped.
  const std::int64_t skip = std::max<std::int64_t>(0, n - ring);
  for (std::int64_t i = skip; i < n; ++i) {
    const std::int64_t s = seen_ + i;
    const double v = values[i];
    history_[static_cast<std::size_t>(s % ring)] = v;
    if (std::isnan(v)) continue;
    while (!min_queue_.empty() && min_queue_.back().second >= v) min_queue_.pop_back();
    while (!max_queue_.empty() && max_queue_.back().second <= v) max_queue_.pop_back();
    min_queue_.emplace_back(s, v);
    max_queue_.emplace_back(s, v);
  }
  seen_ += n;
  const std::int64_t first_in_window = seen_ - w;
  while (!min_queue_.empty() && min_queue_.front().first < first_in_window) min_queue_.pop_front();
  while (!max_queue_.empty() && max_queue_.front().first < first_in_window) max_queue_.pop_front();

  const double lo = options_.vmin ? *options_.vmin : (min_queue_.empty() ? kNaN : min_queue_.front().second);
  const double hi = options_.vmax ? *options_.vmax : (max_queue_.empty() ? kNaN : max_queue_.front().second);
  const std::int64_t fresh = std::min(n, w);
  if (drawn_ && fresh < w && same_value(lo, drawn_lo_) && same_value(hi, drawn_hi_)) {
    const std::int64_t px = painter_->pixel_bytes(), stride = buffer_columns_ * px;
    if (offset_ + w + fresh > buffer_columns_) {
      for (std::int64_t row = 0; row < options_.height; ++row) {
        std::byte* r = pixels_.data() + row * stride;
        std::memmove(r, r + (offset_ + fresh) * px, static_cast<std::size_t>((w - fresh) * px));
      }
      offset_ = 0;
    } else {
      offset_ += fresh;
    }
    draw(w - fresh, fresh, lo, hi);
  } else {
    offset_ = 0;
    draw(0, w, lo, hi);
    ++redraws_;
  }
  drawn_lo_ = lo;
  drawn_hi_ = hi;
  drawn_ = true;
}

void StreamChart::draw(std::int64_t first_column, std::int64_t count, double lo, double hi) {
  const std::int64_t w = options_.width, ring = w + 1;
  // Column j shows sample seen_ - w + j; slot 0 holds the one before the first drawn.
  for (std::int64_t j = 0; j <= count; ++j) {
    const std::int64_t s = seen_ - w + first_column + j - 1;
    column_values_[static_cast<std::size_t>(j)] = s >= 0 ? history_[static_cast<std::size_t>(s % ring)] : kNaN;
  }
  const std::int64_t px = painter_->pixel_bytes();
  spans_.resize(painter_->span_count(count));
  painter_->paint(column_values_.data(), count, lo, hi, pixels_.data() + (offset_ + first_column) * px,
                  buffer_columns_ * px, spans_.data());
}

View StreamChart::frame() const {
  std::lock_guard lock(mutex_);
  const std::int64_t item = static_cast<std::int64_t>(itemsize(options_.dtype)), px = painter_->pixel_bytes();
  View v;
  v.data = const_cast<std::byte*>(pixels_.data()) + offset_ * px;
  v.dtype = options_.dtype;
  v.shape = frame_shape();
  v.strides = options_.channels == 1 ? Strides{buffer_columns_ * px, item} : Strides{buffer_columns_ * px, px, item};
  return v;
}

std::int64_t StreamChart::frame_bytes() const { return options_.height * options_.width * painter_->pixel_bytes(); }

std::int64_t StreamChart::copy_latest(void* dst) const {
  std::lock_guard lock(mutex_);
  const std::int64_t px = painter_->pixel_bytes(), row = options_.width * px;
  auto* out = static_cast<std::byte*>(dst);
  for (std::int64_t r = 0; r < options_.height; ++r)
    std::memcpy(out + r * row, pixels_.data() + (r * buffer_columns_ + offset_) * px, static_cast<std::size_t>(row));
  return seen_;
}

std::int64_t StreamChart::samples_seen() const {
  std::lock_guard lock(mutex_);
  return seen_;
}

std::int64_t StreamChart::redraws() const {
  std::lock_guard lock(mutex_);
  return redraws_;
}

}  // namespace tessera
