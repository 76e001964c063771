#include "tessera/boundary.hpp"

#include <algorithm>
#include <array>

#include "tessera/error.hpp"

namespace tessera {

namespace {
// scipy.ndimage's names; its grid- modes differ from the plain ones only
// when interpolating, so for filters and neighbours they are aliases
// (scipy's NI_ExtendLine treats them alike).
constexpr std::array<std::pair<std::string_view, BoundaryMode>, 8> kModes{{
    {"reflect", BoundaryMode::Reflect},
    {"mirror", BoundaryMode::Mirror},
    {"nearest", BoundaryMode::Nearest},
    {"wrap", BoundaryMode::Wrap},
    {"constant", BoundaryMode::Constant},
    {"grid-mirror", BoundaryMode::Reflect},
    {"grid-wrap", BoundaryMode::Wrap},
    {"grid-constant", BoundaryMode::Constant},
}};
}  // namespace

BoundaryMode parse_boundary_mode(std::string_view name) {
  for (const auto& [n, m] : kModes)
    if (n == name) return m;
  throw ValueError("unknown boundary mode '" + std::string(name) +
                   "'; use one of reflect, mirror, nearest, wrap, constant (or grid-mirror, grid-wrap, "
                   "grid-constant, scipy's aliases of reflect, wrap and constant)");
}

Boundary parse_boundary(std::string_view modes, double cval) {
  Boundary b;
  b.cval = cval;
  if (modes.find(',') == std::string_view::npos) {
    b.mode = parse_boundary_mode(modes);
    return b;
  }
  for (std::size_t start = 0;;) {
    const std::size_t end = std::min(modes.find(',', start), modes.size());
    b.per_axis.push_back(parse_boundary_mode(modes.substr(start, end - start)));
    if (end == modes.size()) break;
    start = end + 1;
  }
  b.mode = b.per_axis.front();
  return b;
}

std::string boundary_modes_text(const Boundary& b) {
  if (b.per_axis.empty()) return std::string(boundary_mode_name(b.mode));
  std::string s;
  for (std::size_t a = 0; a < b.per_axis.size(); ++a) s += (a ? "," : "") + std::string(boundary_mode_name(b.per_axis[a]));
  return s;
}

std::string_view boundary_mode_name(BoundaryMode mode) {
  for (const auto& [n, m] : kModes)
    if (m == mode) return n;
  return "?";
}

std::int64_t map_coordinate(std::int64_t i, std::int64_t n, BoundaryMode mode) {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case BoundaryMode::Constant: return -1;
    case BoundaryMode::Nearest: return i < 0 ? 0 : n - 1;
    case BoundaryMode::Wrap: {
      const std::int64_t r = i % n;
      return r < 0 ? r + n : r;
    }
    case BoundaryMode::Reflect: {
      // Period 2n: a b c d | d c b a
      const std::int64_t period = 2 * n;
      std::int64_t r = i % period;
      if (r < 0) r += period;
      return r < n ? r : period - 1 - r;
    }
    case BoundaryMode::Mirror: {
      // Period 2n-2: a b c d | c b; an axis of length 1 maps everything to 0.
      if (n == 1) return 0;
      const std::int64_t period = 2 * n - 2;
      std::int64_t r = i % period;
      if (r < 0) r += period;
      return r < n ? r : period - r;
    }
  }
  return -1;
}

}  // namespace tessera
