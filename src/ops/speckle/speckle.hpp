// What the speckle filters share: argument checks and the fused node that
// computes the window moments and a filter's per-pixel formula.
#pragma once

#include "ops/filters/window_moments.hpp"
#include "tessera/filters.hpp"
#include "tessera/operation.hpp"

namespace tessera::detail {

// The registered parameters of a speckle filter: input, size (odd, 1 to 255,
// default 7), looks (> 0, default 1) if it uses them, damping (>= 0) if it
// has one, mode and cval.
std::vector<ParamSpec> speckle_params(bool uses_looks, std::optional<double> damping);
// SpeckleOptions from checked arguments (looks and damping where present).
SpeckleOptions speckle_options(const Arguments& a);

// Validates a speckle filter's input (2-D) and options by its registered
// parameters, so C++ callers get the registry's messages.
void check_speckle(const char* name, const Image& input, const SpeckleOptions& o);
// The damping in effect: the caller's, else the filter's registered default.
double speckle_damping(const char* name, const SpeckleOptions& o);

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
