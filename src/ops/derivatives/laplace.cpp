// laplace: scipy.ndimage.laplace, the sum over the axes of the second
// difference [1, -2, 1] along each (scipy's generic_laplace: each term in
// the result's dtype, added in axis order).
#include "ops/derivatives/derivative.hpp"
#include "tessera/operation.hpp"

namespace tessera {

Image laplace(const Image& input, const Boundary& boundary, std::optional<DType> output) {
  const std::size_t nd = input.ndim();
  detail::derivative_axis("laplace", 0, nd);
  const DType out = filter_result_dtype(input.dtype(), output);
  const DType pass = detail::pass_dtype(out);
  const Image sum = detail::sum_over_axes(nd, [&](std::size_t k) {
    return correlate1d(input, {1.0, -2.0, 1.0}, static_cast<std::int64_t>(k), boundary, 0, pass);
  });
  return sum.dtype() == out ? sum : sum.astype(out);
}

namespace {
const bool registered = register_operation({
    .name = "laplace",
    .summary = "The Laplace filter, as scipy.ndimage.laplace.",
    .doc = "The sum over every axis of the second difference [1, -2, 1] along it, each term in the result's dtype "
           "and added in axis order as scipy does (float results are scipy's bits). Integer input gives float32 "
           "unless output says (scipy: the input's integer dtype).",
    .params = param::join({{param::input(),
                            param::output_dtype("the result's dtype (default: float64 for float64 input, else "
                                                "float32)")},
                           param::boundary()}),
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> {
      return {laplace(a.image("input"), a.boundary(), a.dtype("output"))};
    },
});
}  // namespace

}  // namespace tessera
