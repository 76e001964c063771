// Kuan filter: W = (1 - Cu^2 / Ci^2) / (1 + Cu^2) clamped to [0, 1];
// R = Ic W + Im (1 - W).
#include "ops/speckle/speckle.hpp"

namespace tessera {

Image kuan_filter(const Image& input, const SpeckleOptions& o) {
  detail::check_speckle("kuan_filter", input, o, true);
  return detail::speckle_image("kuan_filter", input, o, [&](const detail::SpeckleTerms& s) {
    const Image w = clip((1.0 - s.cu2 * s.mean * s.mean / s.variance) / (1.0 + s.cu2), 0.0, 1.0);
    return s.centre * w + s.mean * (1.0 - w);
  });
}

}  // namespace tessera
