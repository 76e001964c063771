// local_mean_std: the window mean and population standard deviation, each a
// fused window-moments node (float64 sums of x and x^2 in one pass).
#include "ops/filters/window.hpp"
#include "ops/filters/window_moments.hpp"
#include "tessera/filters.hpp"

namespace tessera {

std::pair<Image, Image> local_mean_std(const Image& input, const Shape& size, const Boundary& boundary,
                                       std::optional<DType> out) {
  const DType dt = filter_result_dtype(input.dtype(), out);
  // The moments in the result's precision (float64 unless it is narrower).
  const DType moments = dt == DType::Float32 ? DType::Float32 : DType::Float64;
  const Image mean = detail::window_moments_image(
      input, size, boundary, [&](const detail::Moments& m) { return m.mean.astype(dt); }, "local_mean_std", moments);
  const Image std = detail::window_moments_image(
      input, size, boundary, [&](const detail::Moments& m) { return apply("sqrt", {m.variance}).astype(dt); },
      "local_mean_std", moments);
  return {mean, std};
}

}  // namespace tessera
