// median_filter: scipy.ndimage.median_filter, the rank size // 2 (the upper
// middle value for an even count) of any window or footprint; rank_filter's
// kernels (ops/filters/rank.hpp).
#include "ops/filters/rank.hpp"
#include "ops/filters/window.hpp"
#include "tessera/filters.hpp"
#include "tessera/operation.hpp"

namespace tessera {

Image median_filter(const Image& input, const Shape& size, const Boundary& boundary,
                    const std::optional<Image>& footprint) {
  const detail::Footprint f = detail::window_footprint("median_filter", input.ndim(), size, footprint);
  return detail::rank_filter(input, f, f.count() / 2, boundary, "median_filter");
}

namespace {
const bool registered = register_operation({
    .name = "median_filter",
    .summary = "The median over a window, as scipy.ndimage.median_filter, in the input's dtype.",
    .doc = "The upper middle value for an even count (scipy's rank count // 2); NaN sorts above every number. Any "
           "size or boolean footprint; 8- and 16-bit integers over a box on at most two axes use a sliding "
           "histogram, a cost per element that grows with the window's height, not its area; floats over such a "
           "box of 25 or more, the histogram of their top 16 bits, then a select within one bin.",
    .params = param::join({{param::input(), detail::optional_sizes(), param::footprint(),
                            param::output_dtype("the result's dtype (default: the input's)")},
                           param::boundary(),
                           {detail::origin_param(), detail::axes_param()}}),
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> {
      return {detail::rank_filter_call(a, "median_filter", [](std::int64_t count) { return count / 2; })};
    },
});
}  // namespace

}  // namespace tessera
