// (sum_i x_i) / N, per pixel: one fused expression over the N inputs.
#include "ops/stack/stack_common.hpp"
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

}  // namespace tessera
