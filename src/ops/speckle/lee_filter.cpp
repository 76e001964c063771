// Lee filter: W = 1 - Cu^2 / Ci^2 clamped to [0, 1]; R = Ic W + Im (1 - W).
#include "ops/speckle/speckle.hpp"

namespace tessera {

Image lee_filter(const Image& input, const SpeckleOptions& o) {
  detail::check_speckle("lee_filter", input, o);
  return detail::speckle_image("lee_filter", input, o, [&](const detail::SpeckleTerms& s) {
    // Cu^2 / Ci^2 written as Cu^2 Im^2 / var: a flat window (var 0) gives W = 0.
    const Image w = clip(1.0 - s.cu2 * s.mean * s.mean / s.variance, 0.0, 1.0);
    return s.centre * w + s.mean * (1.0 - w);
  });
}

namespace {
const bool registered = register_operation({
    .name = "lee_filter",
    .summary = "Lee speckle filter (Lee 1980): R = Ic W + Im (1 - W), W = 1 - Cu^2/Ci^2 clamped to [0, 1].",
    .doc = "Im and S are the window mean and standard deviation, Ic the centre, Ci = S/Im, Cu = sqrt(1/looks). "
            "Where Im is 0 (a dark, flat window) the result is Im. float32 result.",
    .params = detail::speckle_params(true, std::nullopt),
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> { return {lee_filter(a.image("input"), detail::speckle_options(a))}; },
});
}  // namespace

}  // namespace tessera
