// Kuan filter: W = (1 - Cu^2 / Ci^2) / (1 + Cu^2) clamped to [0, 1];
// R = Ic W + Im (1 - W).
#include "ops/speckle/speckle.hpp"

namespace tessera {

Image kuan_filter(const Image& input, const SpeckleOptions& o) {
  detail::check_speckle("kuan_filter", input, o);
  return detail::speckle_image("kuan_filter", input, o, [&](const detail::SpeckleTerms& s) {
    const Image w = clip((1.0 - s.cu2 * s.mean * s.mean / s.variance) / (1.0 + s.cu2), 0.0, 1.0);
    return s.centre * w + s.mean * (1.0 - w);
  });
}

namespace {
const bool registered = register_operation({
    .name = "kuan_filter",
    .summary = "Kuan speckle filter: R = Ic W + Im (1 - W), W = (1 - Cu^2/Ci^2) / (1 + Cu^2) clamped to [0, 1].",
    .doc = "Im, S: the window mean and standard deviation; Ic the centre; Ci = S/Im; Cu = sqrt(1/looks). "
            "Where Im is 0 the result is Im. float32 result.",
    .params = detail::speckle_params(true, std::nullopt),
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> { return {kuan_filter(a.image("input"), detail::speckle_options(a))}; },
});
}  // namespace

}  // namespace tessera
