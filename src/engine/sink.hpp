// Sinks: where a streamed image goes (a TIFF, a .npy file). The engine
// computes the image band by band, in order, each band on all workers, and
// hands every band to the sink while it computes the next; memory is two
// bands plus the graph's tiles, whatever the image's size.
#pragma once

#include <cstdint>
#include <functional>

#include "tessera/image.hpp"

namespace tessera::detail {

class Sink {
 public:
  virtual ~Sink() = default;
  // The deepest axis a band may be cut along (the rows of a TIFF page: a
  // band never splits a row), and the multiple of rows a band holds along it
  // (a strip or a tile row), except at the end of the axis.
  virtual std::size_t row_axis() const = 0;
  virtual std::int64_t row_granularity() const { return 1; }
  // Receives the bands in C order, one at a time, from one thread. `data` is
  // C-contiguous, of shape band.size.
  virtual void write(const Region& band, const View& data) = 0;
  // Makes the output appear (a rename into place). Not called after an error.
  virtual void commit() = 0;
  // Removes every trace of the output; called on any error. Never throws.
  virtual void abort() noexcept = 0;
};

struct StreamOptions {
  int threads = 0;
  std::function<void(double)> progress;  // the fraction done, after each band
  std::int64_t band_bytes = 8 << 20;     // the target size of one band
};

// The bands of `shape` for `sink`, in order (exposed for tests).
std::vector<Region> plan_bands(const Shape& shape, std::size_t itemsize, std::size_t row_axis,
                               std::int64_t granularity, std::int64_t band_bytes);

// Computes `image` band by band into `sink`; on any error aborts the sink and
// rethrows.
void stream_to_sink(const Image& image, Sink& sink, const StreamOptions& options);

}  // namespace tessera::detail
