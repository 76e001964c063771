// Live stream to image (the 000 seed): the last `width` samples of a stream
// drawn as an height x width bar, line or area chart, redrawn at every push.
//
// The rule, per column (one sample v; lo/hi the range):
//   t = floor(height * ((v - lo) / (hi - lo)))        (the seed's order of operations)
//   bars: rows [0, clamp(t, 0, height)) from the baseline are filled;
//   line: the row clamp(t, 0, height - 1), joined by a vertical run to the
//         previous sample's row (the one before it in the stream, even when
//         that one has scrolled out), so scrolling never changes a column;
//   area: the bars in the fill colour (foreground and background averaged)
//         with the line on top.
// A NaN sample, a column before the stream's first sample, and every column
// of a flat window (hi <= lo, or no finite range) are empty. lo/hi are vmin
// and vmax when given, else the window's own min/max (NaN ignored).
// origin Lower puts row 0 at the bottom of the image; Upper at the top (the
// seed's final_image). Colours are 0-255 per channel; float32 frames hold
// colour / 255.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tessera/dtype.hpp"
#include "tessera/image.hpp"
#include "tessera/view.hpp"

namespace tessera {

enum class ChartStyle { Bars, Line, Area };
enum class ChartOrigin { Lower, Upper };

struct ChartOptions {
  std::int64_t height = 0, width = 0;
  ChartStyle style = ChartStyle::Bars;
  int channels = 1;               // 1, 3 or 4
  DType dtype = DType::UInt8;     // UInt8 or Float32
  std::optional<double> vmin = 0.0, vmax;
  ChartOrigin origin = ChartOrigin::Lower;
  // Empty, or 256 x channels entries: the colour of a filled pixel by its
  // height, entry (row * 255) / (height - 1) for row 0 at the baseline.
  std::vector<std::uint8_t> colormap;
  std::vector<std::uint8_t> foreground;  // channels entries; empty: 255 (alpha 255)
  std::vector<std::uint8_t> background;  // channels entries; empty: 0 (alpha 255)
};

// "bars" | "line" | "area" and "lower" | "upper"; ValueError naming the choices.
ChartStyle parse_chart_style(const std::string& name);
ChartOrigin parse_chart_origin(const std::string& name);

// ValueError naming the first bad option; fills the default colours.
ChartOptions checked_chart_options(ChartOptions options);

// The seed answer's palette as a lookup table: low rows blue, middle green,
// high red (channels 3 or 4, alpha 255); a grey ramp for channels 1.
std::vector<std::uint8_t> height_colormap(int channels);

namespace detail {
class ChartPainter;
}

// A chart fed sample by sample. Thread-safe: push() from one thread while
// others call latest(). The frame buffer is reused: frame() is valid until
// the next push.
class StreamChart {
 public:
  explicit StreamChart(ChartOptions options);
  ~StreamChart();
  StreamChart(const StreamChart&) = delete;
  StreamChart& operator=(const StreamChart&) = delete;

  // Appends n samples (any n) and draws them. When the range is unchanged,
  // only the new columns are drawn and the rest scrolls; else all redraw.
  void push(const double* values, std::int64_t n);
  // The newest frame, (height, width[, channels]), a view into the chart's
  // buffer (rows are strided: the buffer is wider than the frame so that
  // scrolling moves an offset, not the pixels).
  View frame() const;
  // Copies the newest frame, C order, into dst (frame_bytes() bytes) and
  // returns the number of samples seen, both under one lock.
  std::int64_t copy_latest(void* dst) const;
  std::int64_t frame_bytes() const;
  std::int64_t samples_seen() const;
  // Full redraws so far (for tests of the incremental path).
  std::int64_t redraws() const;
  const ChartOptions& options() const { return options_; }
  Shape frame_shape() const;

 private:
  void draw(std::int64_t first_column, std::int64_t count, double lo, double hi);

  ChartOptions options_;
  std::unique_ptr<detail::ChartPainter> painter_;
  mutable std::mutex mutex_;
  std::vector<double> history_;     // the last width + 1 samples, a ring
  std::int64_t seen_ = 0;
  std::deque<std::pair<std::int64_t, double>> min_queue_, max_queue_;  // monotone, over the window
  std::vector<std::byte> pixels_;   // height x buffer_columns_ x channels
  std::int64_t buffer_columns_ = 0, offset_ = 0;
  double drawn_lo_ = 0, drawn_hi_ = 0;
  bool drawn_ = false;
  std::int64_t redraws_ = 0;
  std::vector<double> column_values_;
  std::vector<std::int16_t> spans_;  // the painter's scratch
};

// Frames of series[e - width, e) for e = min(width, n), then every `step`
// samples up to n: frame k equals a StreamChart's after pushing
// series[0 : e_k]. window_frames is every frame as a lazy image (frames,
// height, width[, channels]): it slices, chains, and streams into a file with
// save() (.gif, .apng), frames drawn by the engine's workers a tile of
// frames at a time. `series` is 1-D float64 (its owner keeps it alive).
// render_windows draws frames [first_frame, first_frame + frame_count) into
// `out` (C order) on `threads` (0: all cores).
std::int64_t window_frame_count(std::int64_t n, std::int64_t width, std::int64_t step);
Image window_frames(const View& series, const ChartOptions& options, std::int64_t step = 1);
void render_windows(const double* series, std::int64_t n, const ChartOptions& options, std::int64_t step,
                    std::int64_t first_frame, std::int64_t frame_count, void* out, int threads = 0);

}  // namespace tessera
