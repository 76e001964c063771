// A source whose rows a decoder can only give in order, from the top (PNG,
// JPEG): the engine's requests are served from a window of the most recent
// rows (4 MB, or twice the tallest request), decoded on demand, so a file
// larger than memory streams through a pipeline (file to file, or into a
// reduction) in the window's memory. A
// request behind the window starts the decoder again from the top (reading
// such a file backwards decodes it once per band: compute it first).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "tessera/image.hpp"
#include "tessera/node.hpp"

namespace tessera::detail {

class RowDecoder {
 public:
  virtual ~RowDecoder() = default;
  // Decodes the next row into `dst` (a row's bytes: the shape's trailing
  // axes, C order); IOError naming the file and the row where data is corrupt.
  virtual void read_row(std::byte* dst) = 0;
};

class RowStreamSource final : public Node {
 public:
  using Opener = std::function<std::unique_ptr<RowDecoder>()>;
  // The window holds at least this many bytes of rows, and twice the
  // tallest request (so that workers a band apart both find their rows).
  static constexpr std::int64_t kWindowBytes = std::int64_t{4} << 20;
  // A window doubles (to this) each time a request falls behind it.
  static constexpr std::int64_t kMaxWindowBytes = std::int64_t{256} << 20;

  RowStreamSource(Shape shape, DType dtype, std::string file, Metadata metadata, Opener open);

  std::string name() const override { return "rows of " + file_; }
  std::string file() const override { return file_; }
  Metadata metadata() const override { return metadata_; }
  bool serial() const override { return true; }
  void generate(const Region& region, const std::vector<View>& inputs, const View& out, Workspace& workspace) const override;

 private:
  // Makes rows [first, end) present in the window (the caller holds mutex_).
  void decode_through(std::int64_t first, std::int64_t end) const;
  std::byte* slot(std::int64_t row) const { return ring_.data() + (row % window_rows_) * row_bytes_; }

  std::string file_;
  Metadata metadata_;
  Opener open_;
  std::int64_t row_bytes_;
  mutable std::mutex mutex_;
  mutable std::unique_ptr<RowDecoder> decoder_;
  mutable std::vector<std::byte> ring_;  // window_rows_ rows; row r in slot r % window_rows_
  mutable std::int64_t window_rows_ = 0;
  mutable std::int64_t lo_ = 0, hi_ = 0;  // the rows the window holds: [lo_, hi_); hi_ is the decoder's next row
};

}  // namespace tessera::detail
