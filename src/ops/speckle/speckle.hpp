// What the speckle filters share: argument checks and the fused node that
// computes the window moments and a filter's per-pixel formula.
#pragma once

#include "ops/filters/window_moments.hpp"
#include "tessera/filters.hpp"

namespace tessera::detail {

// Validates a speckle filter's input and options (2-D, odd size, looks > 0).
void check_speckle(const char* name, const Image& input, const SpeckleOptions& o, bool uses_looks);

// The operands of a speckle formula (float32, from float64 window sums): Ic,
// Im, the variance, and the squared coefficients of variation
// Ci^2 = var / Im^2 and Cu^2 = 1 / looks.
struct SpeckleTerms {
  Image centre, mean, variance, ci2;
  double cu2;
};

// One fused node: window moments, then `formula`; where the window mean is 0
// (a dark, flat window) the result is the mean, 0; float32 result.
Image speckle_image(const char* name, const Image& input, const SpeckleOptions& o,
                    const std::function<Image(const SpeckleTerms&)>& formula);

}  // namespace tessera::detail
