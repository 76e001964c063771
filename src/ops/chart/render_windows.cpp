// render_windows: every sliding-window frame of a whole series. Frames are
// independent, so each is drawn whole, straight into the output, by the
// engine's workers (a block of frames per task); the window's range is a
// scan of its samples, small beside drawing its pixels.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/thread_pool.hpp"
#include "ops/chart/chart_painter.hpp"
#include "tessera/chart.hpp"
#include "tessera/error.hpp"

namespace tessera {

std::int64_t window_frame_count(std::int64_t n, std::int64_t width, std::int64_t step) {
  if (step < 1) throw ValueError("render_windows: step must be at least 1, got " + std::to_string(step));
  if (n < 1) return 0;
  return (n - std::min(width, n)) / step + 1;
}

void render_windows(const double* series, std::int64_t n, const ChartOptions& options_in, std::int64_t step,
                    std::int64_t first_frame, std::int64_t frame_count, void* out, int threads) {
  const ChartOptions o = checked_chart_options(options_in);
  const std::int64_t total = window_frame_count(n, o.width, step);
  if (first_frame < 0 || frame_count < 0 || first_frame + frame_count > total)
    throw ValueError("render_windows: frames [" + std::to_string(first_frame) + ", " +
                     std::to_string(first_frame + frame_count) + ") outside the " + std::to_string(total) +
                     " frames of the series");
  const detail::ChartPainter painter(o);
  const std::int64_t w = o.width, px = painter.pixel_bytes(), frame_bytes = o.height * w * px;
  constexpr std::int64_t kFramesPerTask = 16;
  const std::int64_t tasks = (frame_count + kFramesPerTask - 1) / kFramesPerTask;
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  detail::parallel_for(tasks, threads, [&](std::int64_t task, int) {
    std::vector<double> values(static_cast<std::size_t>(w + 1));
    const std::int64_t end_frame = std::min(frame_count, (task + 1) * kFramesPerTask);
    for (std::int64_t f = task * kFramesPerTask; f < end_frame; ++f) {
      const std::int64_t end = std::min(w, n) + (first_frame + f) * step;  // the window is [end - w, end)
      double lo = kNaN, hi = kNaN;
      for (std::int64_t j = 0; j <= w; ++j) {
        const std::int64_t s = end - w - 1 + j;
        const double v = s >= 0 ? series[s] : kNaN;
        values[static_cast<std::size_t>(j)] = v;
        if (j == 0 || std::isnan(v)) continue;
        if (!(v >= lo)) lo = std::isnan(lo) ? v : std::min(lo, v);
        if (!(v <= hi)) hi = std::isnan(hi) ? v : std::max(hi, v);
      }
      if (o.vmin) lo = *o.vmin;
      if (o.vmax) hi = *o.vmax;
      painter.paint(values.data(), w, lo, hi, static_cast<std::byte*>(out) + f * frame_bytes, w * px);
    }
  });
}

}  // namespace tessera
