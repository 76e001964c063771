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

// SNAP's (and Lee's) MMSE weight from a window's mean and sample variance
// under multiplicative noise of variance s2: var_x = max(0, (var - mean^2
// s2) / (1 + s2)), b = var_x / var (0 for a flat window); the estimate is
// mean + b (z - mean).
inline double mmse_weight(double mean, double var, double s2) {
  if (!(var > 0)) return 0.0;
  const double var_x = (var - mean * mean * s2) / (1.0 + s2);
  return var_x > 0 ? var_x / var : 0.0;
}
// The sample variance (n - 1) from a sum and a sum of squares.
inline double sample_variance(double sum, double sum_sq, double n) {
  if (n <= 1) return 0.0;
  const double v = (sum_sq - sum * sum / n) / (n - 1);
  return v > 0 ? v : 0.0;
}

// The padded input region of a 2-D tile as contiguous float64 in the
// worker's workspace (slot 30): the SAR filters' per-pixel rules read it.
struct Plane {
  const double* data;
  std::int64_t rows, cols;  // its size
  double at(std::int64_t r, std::int64_t c) const { return data[r * cols + c]; }
};
Plane float64_plane(const View& padded, Workspace& workspace, int slot = 30);

// The 2-D float32 output row r's element c.
inline float& out_at(const View& out, std::int64_t r, std::int64_t c) {
  return *reinterpret_cast<float*>(out.data + r * out.strides[0] + c * out.strides[1]);
}

}  // namespace tessera::detail
