// The per-pixel minimum or maximum of a stack (numpy's minimum/maximum: NaN
// propagates), in the accumulator's type.
#include "ops/stack/stack_common.hpp"
#include "tessera/operation.hpp"
#include "tessera/stacks.hpp"

namespace tessera {

namespace {
Image stack_extreme(const std::vector<Image>& images, std::optional<DType> dtype, const char* what,
                    const char* function) {
  detail::check_stack(images, what);
  const DType acc = detail::stack_accumulator(images);
  Image r = images[0].astype(acc);
  for (std::size_t i = 1; i < images.size(); ++i) r = apply(function, {r, images[i].astype(acc)});
  return detail::stack_result(r, dtype);
}
}  // namespace

Image stack_min(const std::vector<Image>& images, std::optional<DType> dtype) {
  return stack_extreme(images, dtype, "stack_min", "minimum");
}
Image stack_max(const std::vector<Image>& images, std::optional<DType> dtype) {
  return stack_extreme(images, dtype, "stack_max", "maximum");
}

namespace {
Operation extreme_operation(bool maximum) {
  const std::string name = maximum ? "stack_max" : "stack_min";
  return {
      .name = name,
      .summary = std::string("The per-pixel ") + (maximum ? "maximum" : "minimum") +
                 " of a stack of images of one shape, lazily (NaN propagates, as numpy's).",
      .doc = "In the accumulator's dtype (float32 for 8- and 16-bit inputs, else float64) unless dtype says; lazy "
             "whatever the inputs.",
      .params = {param::inputs(), param::dtype("dtype", "the result's dtype (default: the accumulator's, float32 for 8- and 16-bit inputs, "
                                          "else float64), converted by tessera's rounding rule")},
      .outputs = {},
      .build = [maximum](const Arguments& a) -> std::vector<Image> {
        return {maximum ? stack_max(a.images("images"), a.dtype("dtype")) : stack_min(a.images("images"), a.dtype("dtype"))};
      },
      .lazy_result = true,
  };
}
const bool registered = register_operation(extreme_operation(true)) && register_operation(extreme_operation(false));
}  // namespace

}  // namespace tessera
