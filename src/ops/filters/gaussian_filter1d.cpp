// gaussian_filter1d: scipy.ndimage.gaussian_filter1d, the Gaussian (or a
// derivative) along one axis: gaussian_filter with sigma 0 on the others.
#include "ops/derivatives/derivative.hpp"
#include "ops/filters/gaussian.hpp"
#include "tessera/operation.hpp"

namespace tessera {

namespace {
ParamSpec scalar_sigma() {
  ParamSpec p = param::real("sigma", 1.0, "the standard deviation of the Gaussian");
  p.required = true;
  p.min = 0;
  return p;
}
ParamSpec scalar_order() {
  ParamSpec p = param::integer("order", 0, "0 for the Gaussian, 1, 2, ... for its derivatives");
  p.min = 0;
  return p;
}

const bool registered = register_operation({
    .name = "gaussian_filter1d",
    .summary = "The Gaussian filter along one axis, as scipy.ndimage.gaussian_filter1d.",
    .doc = "gaussian_filter with sigma on `axis` and 0 on the others: one 1-D correlation with scipy's kernel.",
    .params = param::join({{param::input(), scalar_sigma(), param::integer("axis", -1, "the axis (negative: from "
                                                                                        "the end)"),
                            scalar_order(),
                            param::output_dtype("the result's dtype (default: float64 for float64 input, else "
                                                "float32)")},
                           param::boundary(),
                           {detail::gaussian_truncate_param()}}),
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> {
      const Image& input = a.image("input");
      const std::size_t k = detail::derivative_axis("gaussian_filter1d", a.integer("axis"), input.ndim());
      std::vector<double> sigma(input.ndim(), 0.0);
      std::vector<std::int64_t> order(input.ndim(), 0);
      sigma[k] = a.real("sigma");
      order[k] = a.integer("order");
      return {gaussian_filter(input, sigma, order, a.boundary(), a.real("truncate"), a.dtype("output"))};
    },
});
}  // namespace

}  // namespace tessera
