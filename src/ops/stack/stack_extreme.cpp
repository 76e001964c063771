// The per-pixel minimum or maximum of a stack (numpy's minimum/maximum: NaN
// propagates), in the accumulator's type.
#include "ops/stack/stack_common.hpp"
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

}  // namespace tessera
