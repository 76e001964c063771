// The rank filters' shared machinery (rank_filter, percentile_filter,
// median_filter, and minimum/maximum_filter with a footprint): the window
// as a footprint, and the node that selects the rank-th value of it.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "tessera/boundary.hpp"
#include "tessera/image.hpp"
#include "tessera/operation.hpp"

namespace tessera::detail {

struct Footprint {
  Shape shape;                   // per axis of the input
  std::vector<std::uint8_t> on;  // C order over shape
  Shape origin;                  // per axis: scipy's origin (empty: 0)
  std::int64_t count() const;
  bool full() const;             // a box: every element on
};

// The window from `footprint` (any array of the input's rank whose values
// are 0/1 or booleans; it takes precedence) or else from `size` (one per
// axis or one for all; 0 and 1 leave an axis alone). ValueError naming `op`
// for a footprint of another rank, an empty one, or values other than 0/1.
// With `axes`, size and footprint describe only those axes (a footprint of
// their count's rank, the axes increasing); other axes are left alone.
Footprint window_footprint(const char* op, std::size_t ndim, const Shape& size, const std::optional<Image>& footprint,
                           const std::optional<Shape>& axes = std::nullopt);

// The rank-th smallest value (0-based, NaN above every number) of the
// footprint's elements around each element, in the input's dtype, as
// scipy.ndimage.rank_filter (the window moved by footprint.origin). 8- and
// 16-bit integers over a box spanning at most two axes use a sliding
// histogram (Huang's, with a coarse level: a cost per element that grows
// with the window's height, not its area), floats over such a box of 25 or
// more the same over their top 16 bits and a select within the answer's
// bin; everything else gathers the footprint and selects.
Image rank_filter(const Image& input, const Footprint& footprint, std::int64_t rank, const Boundary& boundary,
                  const char* op);

// scipy's rank for a percentile of `count` elements (percentile in
// [-100, 100]; negative from the end), and a rank's check (negative from
// the end): ValueError naming `op`.
std::int64_t percentile_rank(const char* op, double percentile, std::int64_t count);
std::int64_t checked_rank(const char* op, std::int64_t rank, std::int64_t count);

// The window of a registered window filter's call: size, footprint and axes
// (window_footprint), moved by its origin (one, or one per axis or listed
// axis, each in range for the window).
Footprint window_footprint_call(const Arguments& a, const char* op);

// A registered rank filter's call (median, rank, percentile): the window
// from size, footprint and axes, the rank from the window's element count,
// the result in the output dtype if one is given.
Image rank_filter_call(const Arguments& a, const char* op,
                       const std::function<std::int64_t(std::int64_t count)>& rank_of);

// The registry's "size" of a rank filter: optional when a footprint is
// given (None); and the size an Arguments holds (empty for None).
ParamSpec optional_sizes();
Shape size_argument(const Arguments& a);

}  // namespace tessera::detail
