// Enhanced Lee filter (Lopes, Touzi and Nezry 1990), with Cu = sqrt(1/L) and
// Cmax = sqrt(1 + 2/L): R = Im where Ci <= Cu; Ic where Ci >= Cmax; between,
// R = Im W + Ic (1 - W) with W = exp(-damping (Ci - Cu) / (Cmax - Ci)).
// (The 002 seed's sqrt(1 + 2 * nlooks) is a typo for 2 / L.)
// Geometry and constants here; the per-pixel rule is a fused row kernel
// (enhanced_lee_row in ops/filters/filter_kernels_impl.cpp): the 002 seed's
// filter is the one users run on whole satellite scenes and clusters.
#include <cmath>

#include "ops/filters/filter_kernels.hpp"
#include "ops/speckle/speckle.hpp"

namespace tessera {

Image enhanced_lee_filter(const Image& input, const SpeckleOptions& o) {
  detail::check_speckle("enhanced_lee_filter", input, o);
  const detail::EnhancedLeeConstants c{static_cast<float>(std::sqrt(1.0 / o.looks)),
                                       static_cast<float>(std::sqrt(1.0 + 2.0 / o.looks)),
                                       static_cast<float>(-detail::speckle_damping("enhanced_lee_filter", o))};
  return detail::window_moments_rows_image(
      input, {o.size, o.size}, o.boundary,
      [c](const float* centre, const float* mean, const float* variance, std::int64_t n, float* out) {
        detail::filter_kernels().enhanced_lee_row(centre, mean, variance, n, c, out);
      },
      "enhanced_lee_filter");
}

namespace {
const bool registered = register_operation({
    .name = "enhanced_lee_filter",
    .summary = "Enhanced Lee speckle filter (Lopes, Touzi and Nezry 1990).",
    .doc = "R = Im where Ci <= Cu; Ic where Ci >= Cmax = sqrt(1 + 2/looks); otherwise Im W + Ic (1 - W) with "
            "W = exp(-damping (Ci - Cu) / (Cmax - Ci)). (The 002 seed's sqrt(1 + 2*nlooks) is a typo for 2/looks.) "
            "Damping 1 by default, as ENVI's Enhanced Lee uses. Where Im is 0 the result is Im. float32 result.",
    .params = detail::speckle_params(true, 1.0),
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> { return {enhanced_lee_filter(a.image("input"), detail::speckle_options(a))}; },
});
}  // namespace

}  // namespace tessera
