// convolve: scipy.ndimage.convolve, correlate with the weights reversed on
// every axis and the origin mirrored (one more to the left on an axis of
// even size), as scipy defines it.
#include <algorithm>

#include "ops/filters/correlate.hpp"
#include "ops/filters/window.hpp"
#include "tessera/filters.hpp"
#include "tessera/operation.hpp"

namespace tessera {

Image convolve(const Image& input, const Image& weights, const Shape& origin, const Boundary& boundary,
               std::optional<DType> out) {
  detail::Weights w = detail::weights_of("convolve", weights, input.ndim());
  Shape o = detail::origins_of("convolve", origin, w.shape);
  std::reverse(w.values.begin(), w.values.end());  // C order reversed = every axis reversed
  for (std::size_t a = 0; a < o.size(); ++a) {
    o[a] = -o[a];
    if (w.shape[a] % 2 == 0) o[a] -= 1;
  }
  return detail::correlate_weights(input, w, o, boundary, out);
}

namespace {
const bool registered = register_operation({
    .name = "convolve",
    .summary = "An N-D convolution with any weights, as scipy.ndimage.convolve, in float64.",
    .doc = "correlate with the weights reversed on every axis and origin -origin (-origin - 1 on an axis of even "
           "size), as scipy defines it; float64 results are scipy's bits.",
    .params = param::join({{param::input(), detail::weights_param(),
                            param::output_dtype("the result's dtype (default: float64 for float64 input, else "
                                                "float32)")},
                           param::boundary(),
                           {detail::origin_param()}}),
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> {
      return {convolve(a.image("input"), *a.optional_image("weights"), a.ints("origin"), a.boundary(),
                       a.dtype("output"))};
    },
});
}  // namespace

}  // namespace tessera
