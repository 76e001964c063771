// (sum_i x_i) / N, per pixel: one fused expression over the N inputs.
#include "ops/stack/stack_common.hpp"
#include "tessera/operation.hpp"
#include "tessera/stacks.hpp"

namespace tessera {

Image stack_mean(const std::vector<Image>& images, std::optional<DType> dtype) {
  detail::check_stack(images, "stack_mean");
  const DType acc = detail::stack_accumulator(images);
  Image sum = images[0].astype(acc);
  for (std::size_t i = 1; i < images.size(); ++i) sum = sum + images[i].astype(acc);
  const Image mean = sum / Operand(static_cast<double>(images.size()));
  return detail::stack_result(mean, dtype);
}

namespace {
const bool registered = register_operation({
    .name = "stack_mean",
    .summary = "The per-pixel mean of a stack of images of one shape, lazily.",
    .doc = "As weighted_sum with equal weights: float32 accumulation for 8- and 16-bit inputs, else float64; NaN "
           "propagates; lazy whatever the inputs.",
    .params = {param::inputs(), param::dtype("dtype", "the result's dtype (default: the accumulator's, float32 for 8- and 16-bit inputs, "
                                          "else float64), converted by tessera's rounding rule")},
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> { return {stack_mean(a.images("images"), a.dtype("dtype"))}; },
    .lazy_result = true,
});
}  // namespace

}  // namespace tessera
