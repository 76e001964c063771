// A still PNG's image data (IDAT), filtered and deflated on all cores:
// rows filtered per the PNG specification (the filter of least absolute
// sum per row, libpng's heuristic), the filtered bytes cut into pieces of
// about 1 MB, each deflated with the previous 32 KB as its dictionary and
// ended on a byte boundary (Z_SYNC_FLUSH), so the pieces, in order, are one
// zlib stream (pigz's scheme). Written by hand because neither libpng nor
// libspng compresses in parallel, and deflate is nearly all of a PNG's
// writing time; libpng still writes the container (signature, header,
// metadata chunks) and each chunk's CRC.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace tessera::io {

class PngDeflater {
 public:
  // `row_bytes` of samples per row (16-bit samples little-endian, as in
  // memory: swapped here), `pixel_bytes` per pixel, `rows` in all.
  PngDeflater(std::int64_t row_bytes, int pixel_bytes, bool sixteen_bit, std::int64_t rows, int level, int threads);

  // Filters and deflates the next `n` rows (`stride` bytes apart) and hands
  // the compressed bytes, in order, to `emit` (each call one IDAT chunk's
  // data); the last rows also end the stream (its checksum included).
  void rows(const std::byte* data, std::int64_t n, std::int64_t stride,
            const std::function<void(const std::uint8_t*, std::size_t)>& emit);

 private:
  std::int64_t row_bytes_;
  int pixel_bytes_;
  bool sixteen_bit_;
  std::int64_t rows_left_;
  int level_, threads_;
  bool started_ = false;
  std::uint32_t adler_ = 1;
  std::vector<std::uint8_t> previous_;  // the last raw row (big-endian samples), for the filters
  std::vector<std::uint8_t> window_;    // the last 32 KB of filtered bytes: the next piece's dictionary
};

}  // namespace tessera::io
