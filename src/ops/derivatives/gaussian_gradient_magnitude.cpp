// gaussian_gradient_magnitude: scipy.ndimage.gaussian_gradient_magnitude,
// sqrt of the sum over the axes of the squared Gaussian first derivative
// along each (scipy's generic_gradient_magnitude: squares added in axis
// order in the result's dtype, then the square root), fused tile by tile.
#include "ops/derivatives/derivative.hpp"
#include "ops/filters/gaussian.hpp"
#include "tessera/operation.hpp"

namespace tessera {

Image gaussian_gradient_magnitude(const Image& input, const std::vector<double>& sigma, const Boundary& boundary,
                                  double truncate, std::optional<DType> output) {
  const std::size_t nd = input.ndim();
  detail::derivative_axis("gaussian_gradient_magnitude", 0, nd);
  const DType out = filter_result_dtype(input.dtype(), output);
  const DType pass = detail::pass_dtype(out);
  const Image sum = detail::sum_over_axes(nd, [&](std::size_t k) {
    std::vector<std::int64_t> order(nd, 0);
    order[k] = 1;
    const Image d = gaussian_filter(input, sigma, order, detail::term_boundary(boundary, k), truncate, pass);
    return d * d;
  });
  const Image magnitude = apply("sqrt", {sum});
  return magnitude.dtype() == out ? magnitude : magnitude.astype(out);
}

namespace {
const bool registered = register_operation({
    .name = "gaussian_gradient_magnitude",
    .summary = "The gradient magnitude of a Gaussian, as scipy.ndimage.gaussian_gradient_magnitude.",
    .doc = "sqrt(sum over the axes of gaussian_filter(order 1 along that axis) squared), the squares added in axis "
           "order in the result's dtype as scipy does. Integer input gives float32 unless output says.",
    .params = param::join({{param::input(), detail::gaussian_sigma_param(),
                            param::output_dtype("the result's dtype (default: float64 for float64 input, else "
                                                "float32)")},
                           param::boundary(),
                           {detail::gaussian_truncate_param()}}),
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> {
      return {gaussian_gradient_magnitude(a.image("input"), a.reals("sigma"), a.boundary(), a.real("truncate"),
                                          a.dtype("output"))};
    },
});
}  // namespace

}  // namespace tessera
