#include "engine/sink.hpp"

#include <algorithm>
#include <future>

#include "core/thread_pool.hpp"
#include "engine/scheduler.hpp"

namespace tessera::detail {

std::vector<Region> plan_bands(const Shape& shape, std::size_t itemsize, std::size_t row_axis,
                               std::int64_t granularity, std::int64_t band_bytes) {
  const std::size_t nd = shape.size();
  std::vector<Region> bands;
  if (element_count(shape) == 0) return bands;
  if (nd == 0) return {Region{}};
  row_axis = std::min(row_axis, nd - 1);
  // Cut along the first axis whose slices fit the target (never deeper than
  // row_axis); bands hold whole slices of it.
  std::size_t axis = 0;
  auto slice_bytes = [&](std::size_t a) {
    std::int64_t b = static_cast<std::int64_t>(itemsize);
    for (std::size_t k = a + 1; k < nd; ++k) b *= shape[k];
    return b;
  };
  while (axis < row_axis && slice_bytes(axis) > band_bytes) ++axis;
  std::int64_t per_band = std::max<std::int64_t>(1, band_bytes / std::max<std::int64_t>(1, slice_bytes(axis)));
  if (axis == row_axis && granularity > 1)
    per_band = std::max<std::int64_t>(granularity, per_band / granularity * granularity);
  per_band = std::min(per_band, shape[axis]);

  Shape idx(axis, 0);  // the index over the axes before `axis`
  for (;;) {
    for (std::int64_t start = 0; start < shape[axis]; start += per_band) {
      Region r = Region::whole(shape);
      for (std::size_t a = 0; a < axis; ++a) {
        r.offset[a] = idx[a];
        r.size[a] = 1;
      }
      r.offset[axis] = start;
      r.size[axis] = std::min(per_band, shape[axis] - start);
      bands.push_back(std::move(r));
    }
    std::size_t a = axis;
    while (a > 0 && ++idx[a - 1] == shape[a - 1]) idx[--a] = 0;
    if (a == 0) break;
  }
  return bands;
}

void stream_to_sink(const Image& image, Sink& sink, const StreamOptions& options) {
  try {
    const Node& root = *image.node();
    const std::vector<Region> bands = plan_bands(image.shape(), itemsize(image.dtype()), sink.row_axis(),
                                                 sink.row_granularity(), options.band_bytes);
    GraphRunner runner(root, options.threads);
    // Two band buffers: the sink writes one while the workers fill the other.
    std::int64_t largest = 0;
    for (const auto& b : bands) largest = std::max(largest, b.count());
    Buffer buffers[2] = {Buffer(image.dtype(), {largest}), Buffer(image.dtype(), {largest})};
    auto band_view = [&](int which, const Region& band) {
      View v = buffers[which].view();
      v.shape = band.size;
      v.strides = c_strides(band.size, itemsize(image.dtype()));
      return v;
    };
    // A band being written reads its buffer and the sink: whatever ends the
    // loop (an error, Ctrl-C) waits for it before either goes away.
    std::future<void> writing;
    struct WaitForWrite {
      std::future<void>& f;
      ~WaitForWrite() {
        if (f.valid()) f.wait();
      }
    } wait_for_write{writing};
    const double total = static_cast<double>(std::max<std::int64_t>(1, element_count(image.shape())));
    std::int64_t done = 0;
    for (std::size_t k = 0; k < bands.size(); ++k) {
      const View v = band_view(static_cast<int>(k % 2), bands[k]);
      runner.run(bands[k], v);
      if (writing.valid()) writing.get();
      if (options.progress && k > 0) options.progress(static_cast<double>(done) / total);
      done += bands[k].count();
      writing = run_in_background([&sink, v, band = bands[k]] { sink.write(band, v); });
    }
    if (writing.valid()) writing.get();
    sink.commit();
    if (options.progress) options.progress(1.0);
  } catch (...) {
    sink.abort();
    throw;
  }
}

}  // namespace tessera::detail
