// sobel: scipy.ndimage.sobel, the derivative [-1, 0, 1] along one axis
// smoothed by [1, 2, 1] along the others; a chain of correlate1d nodes.
#include "ops/derivatives/derivative.hpp"
#include "tessera/operation.hpp"

namespace tessera {

Image sobel(const Image& input, std::int64_t axis, const Boundary& boundary, std::optional<DType> out) {
  return detail::separable_derivative(input, axis, {-1.0, 0.0, 1.0}, {1.0, 2.0, 1.0}, boundary, out, "sobel");
}

namespace {
const bool registered = register_operation({
    .name = "sobel",
    .summary = "The Sobel derivative along one axis, as scipy.ndimage.sobel.",
    .doc = "[-1, 0, 1] along axis, then [1, 2, 1] along every other axis, each pass a 1-D correlation in float64 "
           "stored in the result's dtype as scipy stores it (float results are scipy's bits). Integer input gives "
           "float32 unless output says (scipy: the input's integer dtype, truncated). The gradient magnitude "
           "hypot(sobel(a, 0), sobel(a, 1)) of a 2-D input is one node, row by row, with the chain's bits.",
    .params = param::join({{param::input(), param::integer("axis", -1, "the axis of the derivative (negative: from "
                                                                       "the end)"),
                            param::output_dtype("the result's dtype (default: float64 for float64 input, else "
                                                "float32)")},
                           param::boundary()}),
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> {
      return {sobel(a.image("input"), a.integer("axis"), a.boundary(), a.dtype("output"))};
    },
});
}  // namespace

}  // namespace tessera
