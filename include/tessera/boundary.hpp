// The one boundary-mode table of tessera: how a coordinate outside an axis maps
// back into it, exactly as scipy.ndimage defines the modes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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

// A mode with its constant value, as consumers of a halo declare it.
struct Boundary {
  BoundaryMode mode = BoundaryMode::Reflect;
  double cval = 0.0;
};

}  // namespace tessera
