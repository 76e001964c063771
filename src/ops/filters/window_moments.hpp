// A window-statistics pipeline fused into one node: per tile, the window sums
// of x and of x^2 from one fetch of the input, then a per-pixel formula of
// (centre, sum, sum of squares), compiled once as an expression program.
// local_mean_std and the speckle filters are formulas on it.
#pragma once

#include <functional>

#include "ops/expr/program.hpp"
#include "tessera/image.hpp"

namespace tessera::detail {

// The formula's operands, as images that stand for the tile's values: the
// centre pixel (input dtype), and the window mean and variance
// (E[x^2] - E[x]^2 clamped at 0), computed from float64 sums and stored as
// `moments_dtype` (float32 or float64).
struct Moments {
  Image centre, mean, variance;
};
using MomentsFormula = std::function<Image(const Moments&)>;

Image window_moments_image(const Image& input, const Shape& size, const Boundary& boundary,
                           const MomentsFormula& formula, const char* name, DType moments_dtype);

// The same node with the formula fused by hand into one float32 row kernel:
// out[i] = f(centre[i], mean[i], variance[i]) for i < n, every operand read
// once and every step in registers (an expression program makes one pass
// over a block per operation). The moments are float32, as are the centre
// values (converted) and the result.
using MomentsRowKernel = std::function<void(const float* centre, const float* mean, const float* variance,
                                            std::int64_t n, float* out)>;
Image window_moments_rows_image(const Image& input, const Shape& size, const Boundary& boundary,
                                MomentsRowKernel row_kernel, const char* name);

}  // namespace tessera::detail
