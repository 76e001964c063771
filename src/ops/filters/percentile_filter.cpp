// percentile_filter: scipy.ndimage.percentile_filter, a rank filter whose
// rank is scipy's int(count * percentile / 100) (ops/filters/rank.hpp).
#include "ops/filters/rank.hpp"
#include "ops/filters/window.hpp"
#include "tessera/filters.hpp"
#include "tessera/operation.hpp"

namespace tessera {

Image percentile_filter(const Image& input, double percentile, const Shape& size,
                        const std::optional<Image>& footprint, const Boundary& boundary) {
  const detail::Footprint f = detail::window_footprint("percentile_filter", input.ndim(), size, footprint);
  const std::int64_t rank = detail::percentile_rank("percentile_filter", percentile, f.count());
  return detail::rank_filter(input, f, rank, boundary, "percentile_filter");
}

namespace {
ParamSpec percentile_param() {
  ParamSpec p = param::real("percentile", 50.0, "the percentile, from -100 to 100 (negative: 100 + percentile)");
  p.required = true;
  p.min = -100;
  p.max = 100;
  return p;
}

const bool registered = register_operation({
    .name = "percentile_filter",
    .summary = "A percentile over a window, as scipy.ndimage.percentile_filter, in the input's dtype.",
    .doc = "The rank int(count * percentile / 100) of the window's count elements (the largest for 100), as scipy "
           "takes it; rank_filter's kernels (a sliding histogram for 8- and 16-bit integers over a box).",
    .params = param::join({{param::input(), percentile_param(), detail::optional_sizes(), param::footprint(),
                            param::output_dtype("the result's dtype (default: the input's)")},
                           param::boundary(),
                           {detail::origin_param(), detail::axes_param()}}),
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> {
      return {detail::rank_filter_call(a, "percentile_filter", [&](std::int64_t count) {
        return detail::percentile_rank("percentile_filter", a.real("percentile"), count);
      })};
    },
});
}  // namespace

}  // namespace tessera
