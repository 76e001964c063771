// Gamma MAP filter: R = Im where Ci <= Cu; Ic where Ci >= Cmax = sqrt(2) Cu;
// otherwise (B Im + sqrt(D)) / (2A), A = (1 + Cu^2) / (Ci^2 - Cu^2),
// B = A - L - 1, D = Im^2 B^2 + 4 A L Im Ic (clamped at 0: negative only for
// negative intensities, which SAR data does not have).
#include <cmath>

#include "ops/speckle/speckle.hpp"

namespace tessera {

Image gamma_map_filter(const Image& input, const SpeckleOptions& o) {
  detail::check_speckle("gamma_map_filter", input, o);
  return detail::speckle_image("gamma_map_filter", input, o, [&](const detail::SpeckleTerms& s) {
    const double cu = std::sqrt(s.cu2), cmax = std::sqrt(2.0) * cu, looks = o.looks;
    const Image ci = apply("sqrt", {s.ci2});
    const Image a = (1.0 + s.cu2) / (s.ci2 - s.cu2);
    const Image b = a - looks - 1.0;
    const Image d = apply("maximum", {s.mean * s.mean * b * b + 4.0 * a * looks * s.mean * s.centre, 0.0});
    const Image between = (b * s.mean + apply("sqrt", {d})) / (2.0 * a);
    return where(ci <= cu, s.mean, where(ci >= cmax, s.centre, between));
  });
}

namespace {
const bool registered = register_operation({
    .name = "gamma_map_filter",
    .summary = "Gamma MAP speckle filter (Lopes et al. 1990).",
    .doc = "R = Im where Ci <= Cu; Ic where Ci >= sqrt(2) Cu; otherwise (B Im + sqrt(D)) / (2A) with "
            "A = (1 + Cu^2)/(Ci^2 - Cu^2), B = A - looks - 1, D = Im^2 B^2 + 4 A looks Im Ic. Where Im is 0 the "
            "result is Im. float32 result.",
    .params = detail::speckle_params(true, std::nullopt),
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> { return {gamma_map_filter(a.image("input"), detail::speckle_options(a))}; },
});
}  // namespace

}  // namespace tessera
