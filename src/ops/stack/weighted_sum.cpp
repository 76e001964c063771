// sum_i w_i * x_i, per pixel: one fused expression over the N inputs.
#include "ops/stack/stack_common.hpp"
#include "tessera/error.hpp"
#include "tessera/operation.hpp"
#include "tessera/stacks.hpp"

namespace tessera {

Image weighted_sum(const std::vector<Image>& images, const std::vector<double>& weights, std::optional<DType> dtype) {
  detail::check_stack(images, "weighted_sum");
  if (weights.size() != images.size())
    throw ValueError("weighted_sum: " + std::to_string(weights.size()) + " weights for " +
                     std::to_string(images.size()) + " images");
  const DType acc = detail::stack_accumulator(images);
  // The weights are weak scalars: in a float32 accumulator they are float32.
  Image sum = images[0].astype(acc) * Operand(weights[0]);
  for (std::size_t i = 1; i < images.size(); ++i) sum = sum + images[i].astype(acc) * Operand(weights[i]);
  return detail::stack_result(sum, dtype);
}

namespace {
const bool registered = register_operation({
    .name = "weighted_sum",
    .summary = "sum(w_i * image_i) per pixel over a stack of images of one shape, lazily (the 003 seed).",
    .doc = "Any mix of lazy images, arrays and files of one shape (checked before any work; the first mismatch is "
           "named). Accumulates in float32 when every input is 8- or 16-bit, else float64; NaN propagates. The "
           "result is lazy whatever the inputs: it fuses with what follows and streams with save.",
    .params = {param::inputs(), param::reals("weights", std::nullopt, "one weight per image"), param::dtype("dtype", "the result's dtype (default: the accumulator's, float32 for 8- and 16-bit inputs, "
                                          "else float64), converted by tessera's rounding rule")},
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> {
      return {weighted_sum(a.images("images"), a.reals("weights"), a.dtype("dtype"))};
    },
    .lazy_result = true,
});
}  // namespace

}  // namespace tessera
