// convolve1d: scipy.ndimage.convolve1d, correlate1d with the weights
// reversed and the origin mirrored (one more to the left for an even count).
#include <algorithm>

#include "tessera/filters.hpp"
#include "tessera/operation.hpp"

namespace tessera {

namespace {
const bool registered = register_operation({
    .name = "convolve1d",
    .summary = "A 1-D convolution along one axis, as scipy.ndimage.convolve1d, in float64.",
    .doc = "correlate1d with the weights reversed and origin -origin (-origin - 1 for an even number of weights), "
           "as scipy defines it.",
    .params = param::join({{param::input(), param::reals("weights", std::nullopt, "the weights, one per tap"),
                            param::integer("axis", -1, "the axis to convolve along (negative: from the end)"),
                            param::output_dtype("the result's dtype (default: float64 for float64 input, else "
                                                "float32)")},
                           param::boundary(),
                           {param::integer("origin", 0, "shifts the window")}}),
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> {
      std::vector<double> w = a.reals("weights");
      std::reverse(w.begin(), w.end());
      std::int64_t origin = -a.integer("origin");
      if (w.size() % 2 == 0) origin -= 1;
      return {correlate1d(a.image("input"), w, a.integer("axis"), a.boundary(), origin, a.dtype("output"))};
    },
});
}  // namespace

}  // namespace tessera
