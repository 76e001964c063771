// Per-pixel reductions over a stack of images of one shape (the 003 seed:
// a weighted average of eleven huge TIFFs). Lazy and fused: the result is an
// expression over its inputs, so it can feed a filter or an expression and be
// saved, streaming, in one pass.
//
// Accumulation is in float32 when every input is 8- or 16-bit (or bool), in
// float64 otherwise; the result has the accumulator's dtype unless `dtype` is
// given (then converted with tessera's rule: round half to even, saturate,
// NaN -> 0). NaN propagates, as in numpy.
#pragma once

#include <optional>
#include <vector>

#include "tessera/image.hpp"

namespace tessera {

Image weighted_sum(const std::vector<Image>& images, const std::vector<double>& weights,
                   std::optional<DType> dtype = std::nullopt);
Image stack_mean(const std::vector<Image>& images, std::optional<DType> dtype = std::nullopt);
Image stack_min(const std::vector<Image>& images, std::optional<DType> dtype = std::nullopt);
Image stack_max(const std::vector<Image>& images, std::optional<DType> dtype = std::nullopt);

}  // namespace tessera
