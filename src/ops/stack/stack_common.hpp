// What the stack reductions share: the shape check and the accumulator type.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tessera/image.hpp"

namespace tessera::detail {

// Throws ValueError naming the first image whose shape differs from the first
// one's (or an empty stack). `what` names the operation.
void check_stack(const std::vector<Image>& images, const std::string& what);

// float32 when every input is 8- or 16-bit (or bool), else float64.
DType stack_accumulator(const std::vector<Image>& images);

// `result` converted to `dtype` when given.
Image stack_result(const Image& result, std::optional<DType> dtype);

}  // namespace tessera::detail
