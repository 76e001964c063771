// window_frames and render_windows: every sliding-window frame of a whole
// series, as a lazy image the engine computes a tile of whole frames at a
// time on its workers (each frame drawn straight into the output); the
// window's range is a scan of its samples, small beside drawing its pixels.
#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/copy.hpp"
#include "ops/chart/chart_painter.hpp"
#include "tessera/chart.hpp"
#include "tessera/error.hpp"

namespace tessera {

std::int64_t window_frame_count(std::int64_t n, std::int64_t width, std::int64_t step) {
  if (step < 1) throw ValueError("render_windows: step must be at least 1, got " + std::to_string(step));
  if (n < 1) return 0;
  return (n - std::min(width, n)) / step + 1;
}

namespace {

// Every frame of a series as an image: the geometry (frames, height,
// width[, channels]); per tile of frames, the window's samples and range,
// then the painter, straight into the output where whole frames are asked
// for, else into the workspace and copied.
class WindowFramesNode final : public Node {
 public:
  WindowFramesNode(const View& series, const ChartOptions& checked, std::int64_t step, std::int64_t frames)
      : Node(frame_shape(checked, frames), checked.dtype, {}),
        series_(series),
        o_(checked),
        painter_(checked),
        step_(step) {}

  std::string name() const override { return "window_frames"; }
  // A tile is whole frames, 16 at a time: a frame is drawn whole anyway.
  std::optional<Shape> preferred_tile() const override { return Shape{kFramesPerTile}; }

  void generate(const Region& region, const std::vector<View>&, const View& out, Workspace& workspace) const override {
    const std::int64_t w = o_.width, n = series_.shape[0], px = painter_.pixel_bytes();
    const std::size_t nd = shape().size();
    bool whole = true;  // whole frames, each row's pixels contiguous in `out`
    for (std::size_t a = 1; a < nd; ++a) whole = whole && region.offset[a] == 0 && region.size[a] == shape()[a];
    whole = whole && out.strides[2] == px && (nd == 3 || out.strides[3] == px / o_.channels);
    auto* values = workspace.get<double>(kValuesSlot, static_cast<std::size_t>(w + 1));
    auto* spans = workspace.get<std::int16_t>(kSpansSlot, painter_.span_count(w));
    const Shape frame{o_.height, o_.width, o_.channels};
    std::byte* scratch = whole ? nullptr
                               : static_cast<std::byte*>(workspace.get(kFrameSlot, static_cast<std::size_t>(
                                                                                       o_.height * w * px)));
    const auto* s = reinterpret_cast<const double*>(series_.data);
    const std::int64_t stride = series_.strides[0] / static_cast<std::int64_t>(sizeof(double));
    constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
    for (std::int64_t k = 0; k < region.size[0]; ++k) {
      const std::int64_t end = std::min(w, n) + (region.offset[0] + k) * step_;  // the window is [end - w, end)
      double lo = kNaN, hi = kNaN;
      for (std::int64_t j = 0; j <= w; ++j) {
        const std::int64_t at = end - w - 1 + j;
        const double v = at >= 0 ? s[at * stride] : kNaN;
        values[j] = v;
        if (j == 0 || std::isnan(v)) continue;
        if (!(v >= lo)) lo = std::isnan(lo) ? v : std::min(lo, v);
        if (!(v <= hi)) hi = std::isnan(hi) ? v : std::max(hi, v);
      }
      if (o_.vmin) lo = *o_.vmin;
      if (o_.vmax) hi = *o_.vmax;
      if (whole) {
        painter_.paint(values, w, lo, hi, out.data + k * out.strides[0], out.strides[1], spans);
        continue;
      }
      painter_.paint(values, w, lo, hi, scratch, w * px, spans);
      View drawn{scratch, o_.dtype, frame, c_strides(frame, itemsize(o_.dtype)), nullptr};
      if (nd == 3) {
        drawn.shape.pop_back();
        drawn.strides.pop_back();
      }
      Region part{Shape(region.offset.begin() + 1, region.offset.end()), Shape(region.size.begin() + 1, region.size.end())};
      View dst = out;
      dst.data += k * out.strides[0];
      dst.shape.erase(dst.shape.begin());
      dst.strides.erase(dst.strides.begin());
      detail::copy_convert(drawn.sub(part), dst);
    }
  }

 private:
  static constexpr std::int64_t kFramesPerTile = 16;
  static constexpr std::size_t kValuesSlot = 0, kSpansSlot = 1, kFrameSlot = 2;

  static Shape frame_shape(const ChartOptions& o, std::int64_t frames) {
    Shape s{frames, o.height, o.width};
    if (o.channels > 1) s.push_back(o.channels);
    return s;
  }

  View series_;
  ChartOptions o_;
  detail::ChartPainter painter_;
  std::int64_t step_;
};

}  // namespace

Image window_frames(const View& series, const ChartOptions& options, std::int64_t step) {
  const ChartOptions o = checked_chart_options(options);
  if (series.ndim() != 1 || series.dtype != DType::Float64)
    throw ValueError("render_windows: the series must be 1-D float64, got shape " + shape_to_string(series.shape) +
                     " " + std::string(dtype_name(series.dtype)));
  const std::int64_t frames = window_frame_count(series.shape[0], o.width, step);
  return Image(std::make_shared<WindowFramesNode>(series, o, step, frames));
}

void render_windows(const double* series, std::int64_t n, const ChartOptions& options, std::int64_t step,
                    std::int64_t first_frame, std::int64_t frame_count, void* out, int threads) {
  const Image all = window_frames(View{reinterpret_cast<std::byte*>(const_cast<double*>(series)), DType::Float64, {n},
                                       {sizeof(double)}, nullptr},
                                  options, step);
  const std::int64_t total = all.shape()[0];
  if (first_frame < 0 || frame_count < 0 || first_frame + frame_count > total)
    throw ValueError("render_windows: frames [" + std::to_string(first_frame) + ", " +
                     std::to_string(first_frame + frame_count) + ") outside the " + std::to_string(total) +
                     " frames of the series");
  std::vector<AxisIndex> pick(all.ndim());
  for (std::size_t a = 0; a < pick.size(); ++a) pick[a] = AxisIndex{AxisIndex::Kind::Slice, 0, 1, all.shape()[a]};
  pick[0] = AxisIndex{AxisIndex::Kind::Slice, first_frame, 1, frame_count};
  Shape shape = all.shape();
  shape[0] = frame_count;
  const View dst{static_cast<std::byte*>(out), all.dtype(), shape, c_strides(shape, itemsize(all.dtype())), nullptr};
  all.index(pick).compute_into(dst, {threads});
}

}  // namespace tessera
