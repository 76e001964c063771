// gaussian_laplace: scipy.ndimage.gaussian_laplace, the sum over the axes of
// the Gaussian's second derivative along each (gaussian_filter with order 2
// on that axis), each term in the result's dtype, added in axis order.
#include "ops/derivatives/derivative.hpp"
#include "ops/filters/gaussian.hpp"
#include "tessera/operation.hpp"

namespace tessera {

Image gaussian_laplace(const Image& input, const std::vector<double>& sigma, const Boundary& boundary, double truncate,
                       std::optional<DType> output) {
  const std::size_t nd = input.ndim();
  detail::derivative_axis("gaussian_laplace", 0, nd);
  const DType out = filter_result_dtype(input.dtype(), output);
  const DType pass = detail::pass_dtype(out);
  const Image sum = detail::sum_over_axes(nd, [&](std::size_t k) {
    std::vector<std::int64_t> order(nd, 0);
    order[k] = 2;
    return gaussian_filter(input, sigma, order, detail::term_boundary(boundary, k), truncate, pass);
  });
  return sum.dtype() == out ? sum : sum.astype(out);
}

namespace {
const bool registered = register_operation({
    .name = "gaussian_laplace",
    .summary = "The Laplacian of a Gaussian, as scipy.ndimage.gaussian_laplace.",
    .doc = "The sum over every axis of gaussian_filter with order 2 along that axis, each term in the result's "
           "dtype, added in axis order as scipy does. Integer input gives float32 unless output says.",
    .params = param::join({{param::input(), detail::gaussian_sigma_param(),
                            param::output_dtype("the result's dtype (default: float64 for float64 input, else "
                                                "float32)")},
                           param::boundary(),
                           {detail::gaussian_truncate_param()}}),
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> {
      return {gaussian_laplace(a.image("input"), a.reals("sigma"), a.boundary(), a.real("truncate"), a.dtype("output"))};
    },
});
}  // namespace

}  // namespace tessera
