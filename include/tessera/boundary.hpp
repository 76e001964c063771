// The one boundary-mode table of tessera: how a coordinate outside an axis maps
// back into it, exactly as scipy.ndimage defines the modes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tessera {

enum class BoundaryMode : std::uint8_t {
  Reflect,   // d c b a | a b c d | d c b a   (scipy's default)
  Mirror,    //   d c b | a b c d | c b a
  Nearest,   // a a a a | a b c d | d d d d
  Wrap,      // a b c d | a b c d | a b c d
  Constant,  // k k k k | a b c d | k k k k   (k = cval)
};

BoundaryMode parse_boundary_mode(std::string_view name);  // throws ValueError naming the modes
std::string_view boundary_mode_name(BoundaryMode mode);

// Maps coordinate `i` of an axis of length `n` (n >= 1) into [0, n), or returns
// -1 for Constant when `i` lies outside (the caller writes cval there).
std::int64_t map_coordinate(std::int64_t i, std::int64_t n, BoundaryMode mode);

// A mode with its constant value, as consumers of a halo declare it; a mode
// per axis where per_axis is given (scipy's sequence of modes), `mode` on
// the axes beyond it.
struct Boundary {
  BoundaryMode mode = BoundaryMode::Reflect;
  double cval = 0.0;
  std::vector<BoundaryMode> per_axis;

  BoundaryMode on_axis(std::size_t axis) const { return axis < per_axis.size() ? per_axis[axis] : mode; }
  // Whether any axis (of `ndim`) uses `m`.
  bool uses(BoundaryMode m, std::size_t ndim) const {
    for (std::size_t a = 0; a < ndim; ++a)
      if (on_axis(a) == m) return true;
    return false;
  }
  bool operator==(const Boundary& o) const { return mode == o.mode && cval == o.cval && per_axis == o.per_axis; }
};

// "reflect" or a mode per axis, "reflect,constant" (scipy's names and
// aliases); ValueError naming the modes.
Boundary parse_boundary(std::string_view modes, double cval);
// The modes as parse_boundary reads them.
std::string boundary_modes_text(const Boundary& b);

}  // namespace tessera
