// uniform_filter1d: scipy.ndimage.uniform_filter1d, the window mean along
// one axis: uniform_filter with a window of 1 on every other axis.
#include "ops/derivatives/derivative.hpp"
#include "tessera/operation.hpp"

namespace tessera {

namespace {
const bool registered = register_operation({
    .name = "uniform_filter1d",
    .summary = "The mean over a window along one axis, as scipy.ndimage.uniform_filter1d.",
    .doc = "uniform_filter with the window on `axis` and 1 on the others: float64 sums, a cost per element that "
           "does not grow with the window.",
    .params = param::join({{param::input(), detail::window_length_param(),
                            param::integer("axis", -1, "the axis (negative: from the end)"),
                            param::output_dtype("the result's dtype (default: float64 for float64 input, else "
                                                "float32)")},
                           param::boundary(),
                           {param::integer("origin", 0, "moves the window: output i reads from i - size // 2 - origin")}}),
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> {
      const Image& input = a.image("input");
      Shape size(input.ndim(), 1), origin(input.ndim(), 0);
      const std::size_t axis = detail::derivative_axis("uniform_filter1d", a.integer("axis"), input.ndim());
      size[axis] = a.integer("size");
      origin[axis] = a.integer("origin");
      return {uniform_filter(input, size, a.boundary(), a.dtype("output"), origin)};
    },
});
}  // namespace

}  // namespace tessera
