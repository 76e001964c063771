// Enhanced Lee filter (Lopes, Touzi and Nezry 1990), with Cu = sqrt(1/L) and
// Cmax = sqrt(1 + 2/L): R = Im where Ci <= Cu; Ic where Ci >= Cmax; between,
// R = Im W + Ic (1 - W) with W = exp(-damping (Ci - Cu) / (Cmax - Ci)).
// (The 002 seed's sqrt(1 + 2 * nlooks) is a typo for 2 / L.)
#include <cmath>

#include "ops/speckle/speckle.hpp"

namespace tessera {

Image enhanced_lee_filter(const Image& input, const SpeckleOptions& o) {
  detail::check_speckle("enhanced_lee_filter", input, o, true);
  return detail::speckle_image("enhanced_lee_filter", input, o, [&](const detail::SpeckleTerms& s) {
    const double cu = std::sqrt(s.cu2), cmax = std::sqrt(1.0 + 2.0 / o.looks);
    const Image ci = apply("sqrt", {s.ci2});
    const Image w = apply("exp", {-o.damping * (ci - cu) / (cmax - ci)});
    const Image between = s.mean * w + s.centre * (1.0 - w);
    return where(ci <= cu, s.mean, where(ci >= cmax, s.centre, between));
  });
}

}  // namespace tessera
