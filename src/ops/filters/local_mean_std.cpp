// local_mean_std: the window mean and population standard deviation, each a
// fused window-moments node (float64 sums of x and x^2 in one pass).
#include "ops/filters/window.hpp"
#include "ops/filters/window_moments.hpp"
#include "tessera/filters.hpp"
#include "tessera/operation.hpp"

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

namespace {
const bool registered = register_operation({
    .name = "local_mean_std",
    .summary = "The window mean and population standard deviation sqrt(E[x^2] - E[x]^2), from float64 sums.",
    .doc = "The standard deviation is clamped at 0 (never negative). Returns (mean, std).",
    .params = param::join({{param::input(), param::sizes("the window: an int, or one per axis")},
                           param::boundary(),
                           {param::output_dtype("the results' dtype (default: float64 for float64 input, else "
                                                "float32)")}}),
    .outputs = {"mean", "std"},
    .build = [](const Arguments& a) -> std::vector<Image> {
      auto [mean, std] = local_mean_std(a.image("input"), a.ints("size"), a.boundary(), a.dtype("output"));
      return {mean, std};
    },
});
}  // namespace

}  // namespace tessera
