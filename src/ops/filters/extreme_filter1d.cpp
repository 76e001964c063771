// minimum_filter1d and maximum_filter1d: scipy.ndimage's, the window
// extreme along one axis: minimum_filter / maximum_filter with a window of
// 1 on every other axis.
#include "ops/derivatives/derivative.hpp"
#include "tessera/operation.hpp"

namespace tessera {

namespace {
Operation extreme_operation_1d(bool maximum) {
  const std::string name = maximum ? "maximum" : "minimum";
  return {
      .name = name + "_filter1d",
      .summary = "The " + name + " over a window along one axis, as scipy.ndimage." + name + "_filter1d.",
      .doc = name + "_filter with the window on `axis` and 1 on the others, in the input's dtype.",
      .params = param::join({{param::input(), detail::window_length_param(),
                              param::integer("axis", -1, "the axis (negative: from the end)"),
                              param::output_dtype("the result's dtype (default: the input's)")},
                             param::boundary(),
                             {param::integer("origin", 0, "moves the window: output i reads from i - size // 2 - origin")}}),
      .outputs = {},
      .build = [maximum, name](const Arguments& a) -> std::vector<Image> {
        const Image& input = a.image("input");
        Shape size(input.ndim(), 1), origin(input.ndim(), 0);
        const std::size_t axis = detail::derivative_axis((name + "_filter1d").c_str(), a.integer("axis"), input.ndim());
        size[axis] = a.integer("size");
        origin[axis] = a.integer("origin");
        const Image r = maximum ? maximum_filter(input, size, a.boundary(), origin)
                                : minimum_filter(input, size, a.boundary(), origin);
        return {detail::in_output_dtype(r, a.dtype("output"))};
      },
  };
}
const bool registered =
    register_operation(extreme_operation_1d(true)) && register_operation(extreme_operation_1d(false));
}  // namespace

}  // namespace tessera
