// sum_i w_i * x_i, per pixel: one fused expression over the N inputs.
#include "ops/stack/stack_common.hpp"
#include "tessera/error.hpp"
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

}  // namespace tessera
