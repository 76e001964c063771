#include <cmath>

#include "ops/speckle/speckle.hpp"

namespace tessera::detail {

void check_speckle(const char* name, const Image& input, const SpeckleOptions& o, bool uses_looks) {
  if (input.ndim() != 2)
    throw ValueError(std::string(name) + ": the input must be a 2-D single-band image, got shape " +
                     shape_to_string(input.shape()));
  if (o.size < 1 || o.size % 2 == 0 || o.size > 255)
    throw ValueError(std::string(name) + ": size must be an odd number from 1 to 255, got " + std::to_string(o.size));
  if (uses_looks && !(o.looks > 0 && std::isfinite(o.looks)))
    throw ValueError(std::string(name) + ": looks must be a positive number, got " + std::to_string(o.looks));
  if (!std::isfinite(o.damping) || o.damping < 0)
    throw ValueError(std::string(name) + ": damping must be a finite non-negative number");
}

Image speckle_image(const char* name, const Image& input, const SpeckleOptions& o,
                    const std::function<Image(const SpeckleTerms&)>& formula) {
  const double cu2 = 1.0 / o.looks;
  return window_moments_image(
      input, {o.size, o.size}, o.boundary,
      [&](const Moments& m) {
        // The moments come from float64 sums (the variance needs them); the
        // formula runs in float32, the result's precision, at twice the SIMD
        // width. Python-style constants keep it float32.
        const SpeckleTerms t{m.centre.astype(DType::Float32), m.mean, m.variance, m.variance / (m.mean * m.mean), cu2};
        return where(m.mean == 0.0, m.mean, formula(t)).astype(DType::Float32);
      },
      name, DType::Float32);
}

}  // namespace tessera::detail
