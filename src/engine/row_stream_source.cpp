#include "engine/row_stream_source.hpp"

#include <algorithm>
#include <cstring>

#include "engine/copy.hpp"
#include "tessera/error.hpp"

namespace tessera::detail {

RowStreamSource::RowStreamSource(Shape shape, DType dtype, std::string file, Metadata metadata, Opener open)
    : Node(shape, dtype, {}), file_(std::move(file)), metadata_(std::move(metadata)), open_(std::move(open)) {
  if (shape.empty()) throw InternalError("a row stream has at least one axis");
  row_bytes_ = static_cast<std::int64_t>(itemsize(dtype));
  for (std::size_t a = 1; a < shape.size(); ++a) row_bytes_ *= shape[a];
  window_rows_ = std::clamp<std::int64_t>(kWindowBytes / std::max<std::int64_t>(row_bytes_, 1), 1, shape[0]);
}

void RowStreamSource::decode_through(std::int64_t first, std::int64_t end) const {
  std::int64_t need = std::min(2 * (end - first), shape()[0]);
  if (decoder_ && first < lo_) {
    // Behind the window: a worker fell behind the others (preempted). The
    // decoder starts again; a window twice as tall (to kMaxWindowBytes)
    // keeps the next such lag from costing another start.
    const std::int64_t cap = std::max<std::int64_t>(1, kMaxWindowBytes / std::max<std::int64_t>(row_bytes_, 1));
    need = std::max(need, std::min({2 * window_rows_, shape()[0], std::max(cap, window_rows_)}));
  }
  if (need > window_rows_) {
    // A request taller than half the window: a larger ring, keeping the rows held.
    std::vector<std::byte> wider(static_cast<std::size_t>(need * row_bytes_));
    const std::int64_t keep_from = std::max(lo_, hi_ - need);
    for (std::int64_t r = keep_from; r < hi_; ++r)
      std::memcpy(wider.data() + (r % need) * row_bytes_, slot(r), static_cast<std::size_t>(row_bytes_));
    ring_ = std::move(wider);
    window_rows_ = need;
    lo_ = keep_from;
  }
  if (ring_.empty()) ring_.resize(static_cast<std::size_t>(window_rows_ * row_bytes_));
  if (!decoder_ || first < lo_) {  // behind the window (or the first request): from the top
    decoder_.reset();
    decoder_ = open_();
    lo_ = hi_ = 0;
  }
  while (hi_ < end) {
    decoder_->read_row(slot(hi_));
    ++hi_;
    lo_ = std::max(lo_, hi_ - window_rows_);
  }
}

void RowStreamSource::generate(const Region& region, const std::vector<View>&, const View& out, Workspace&) const {
  if (region.count() == 0) return;
  const std::int64_t first = region.offset[0], end = first + region.size[0];
  const Shape row_shape(shape().begin() + 1, shape().end());
  Region across{Shape(region.offset.begin() + 1, region.offset.end()), Shape(region.size.begin() + 1, region.size.end())};
  std::lock_guard lock(mutex_);
  decode_through(first, end);
  for (std::int64_t r = first; r < end; ++r) {
    const View row{slot(r), dtype(), row_shape, c_strides(row_shape, itemsize(dtype())), nullptr};
    Region one = Region::whole(out.shape);
    one.offset[0] = r - first;
    one.size[0] = 1;
    View dst = out.sub(one);
    // The output row without its leading axis of 1.
    dst.shape.erase(dst.shape.begin());
    dst.strides.erase(dst.strides.begin());
    copy_convert(row.sub(across), dst);
  }
}

}  // namespace tessera::detail
