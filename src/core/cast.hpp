// tessera's element conversion rule, in one place:
//  - float -> integer: round to nearest, ties to even; saturate at the target's
//    limits; NaN becomes 0 (numpy's astype truncates and wraps instead);
//  - integer -> narrower integer: saturate;
//  - anything -> bool: non-zero is true (NaN is true, as in numpy);
//  - widening conversions are exact, as in numpy.
// Written so that compilers vectorise loops of it.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

#include "tessera/dtype.hpp"

namespace tessera::detail {

template <typename F> inline F round_half_even(F x) {
  // Adding and removing 2^(mantissa bits) rounds to an integer in the current
  // (nearest-even) mode, for |x| below it; larger |x| are integers already.
  constexpr F big = F(1) / std::numeric_limits<F>::epsilon();
  const F s = std::copysign(big, x);
  const F r = (x + s) - s;
  return std::fabs(x) < big ? r : x;
}

template <typename To, typename From> inline To convert(From v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (std::is_same_v<From, bool>) {
    return static_cast<To>(v ? 1 : 0);
  } else if constexpr (std::is_floating_point_v<To>) {
    return static_cast<To>(v);
  } else if constexpr (std::is_floating_point_v<From>) {
    using L = std::numeric_limits<To>;
    constexpr From lo = static_cast<From>(L::lowest());
    constexpr From hi = static_cast<From>(L::max());
    const From r = round_half_even(v);
    if constexpr (static_cast<long double>(hi) == static_cast<long double>(L::max())) {
      // Both limits exact in From: clamp with selects (vectorises).
      From c = r < lo ? lo : r;
      c = c > hi ? hi : c;
      c = (v == v) ? c : From(0);
      return static_cast<To>(c);
    } else {
      // L::max() rounded up to 2^k in From: every r below it fits. Selects,
      // not branches, so that loops of it vectorise.
      const bool nan = v != v, below = r < lo, above = r >= hi;
      const From safe = (nan | below | above) ? From(0) : r;
      To out = static_cast<To>(safe);
      out = below ? L::lowest() : out;
      out = above ? L::max() : out;
      return out;
    }
  } else {
    using L = std::numeric_limits<To>;
    if constexpr (std::in_range<To>(std::numeric_limits<From>::lowest()) &&
                  std::in_range<To>(std::numeric_limits<From>::max())) {
      return static_cast<To>(v);
    } else {
      const bool below = std::cmp_less(v, L::lowest()), above = std::cmp_greater(v, L::max());
      To out = static_cast<To>(v);
      out = below ? L::lowest() : out;
      out = above ? L::max() : out;
      return out;
    }
  }
}

// Writes `value` converted to `dtype` at `dst`.
inline void store_scalar(double value, DType dtype, void* dst) {
  dispatch(dtype, [&](auto t) {
    using T = typename decltype(t)::type;
    *static_cast<T*>(dst) = convert<T>(value);
  });
}

}  // namespace tessera::detail
