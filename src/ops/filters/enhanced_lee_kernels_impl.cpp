// The enhanced Lee filter's fused row kernel.
// Compiled once per ISA (TESSERA_ISA names it), as every *kernels_impl.cpp.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

#include "core/simd.hpp"
#include "ops/filters/filter_kernel_families.hpp"
#include "ops/expr/kernels.hpp"

namespace tessera::detail {
namespace {

// The enhanced Lee rule in float32: R = mean where Ci <= Cu, the centre
// where Ci >= Cmax, else mean W + centre (1 - W) with
// W = exp(-damping (Ci - Cu) / (Cmax - Ci)); R = mean (0) where mean is 0.
// With s = sqrt(var) and a = |mean|, Ci = sqrt(var / mean^2) = s / a, so the
// tests are s <= Cu a and s >= Cmax a and the exponent is
// -damping (s - Cu a) / (Cmax a - s): one square root and one division per
// pixel, not two divisions (the divider is this kernel's bottleneck).
// In chunks that stay in L1: one pass to the exponent, the expression
// kernels' own exp of this ISA over the chunk (so a value's result does not
// depend on the path), one pass to the result.
void enhanced_lee_row(const float* __restrict centre, const float* __restrict mean, const float* __restrict variance,
                      std::int64_t n, const EnhancedLeeConstants& c, float* __restrict out) {
  constexpr std::int64_t kChunk = 256;
  alignas(64) float deviation[kChunk], w[kChunk];
  const Kernel exp_f32 =
      TESSERA_ISA_TABLE(kernels)().unary[static_cast<int>(UnaryFn::Exp)][static_cast<int>(DType::Float32)];
  const float cu = c.cu, cmax = c.cmax, neg_damping = c.neg_damping;
  for (std::int64_t start = 0; start < n; start += kChunk) {
    const std::int64_t m = std::min(kChunk, n - start);
    const float* __restrict im = mean + start;
    const float* __restrict var = variance + start;
    const float* __restrict ic = centre + start;
    float* __restrict r = out + start;
    for (std::int64_t i = 0; i < m; ++i) {
      const float s = std::sqrt(var[i]), a = std::fabs(im[i]);
      deviation[i] = s;
      w[i] = neg_damping * (s - cu * a) / (cmax * a - s);
    }
    exp_f32(m, w, w, nullptr, nullptr);
    for (std::int64_t i = 0; i < m; ++i) {
      const float s = deviation[i], a = std::fabs(im[i]);
      const float between = im[i] * w[i] + ic[i] * (1.0f - w[i]);
      const float upper = s >= cmax * a ? ic[i] : between;
      const float result = s <= cu * a ? im[i] : upper;
      r[i] = im[i] == 0.0f ? im[i] : result;
    }
  }
}

}  // namespace

void TESSERA_ISA_TABLE(add_enhanced_lee_kernels)(FilterKernels& t) {
  t.enhanced_lee_row = &enhanced_lee_row;
}

}  // namespace tessera::detail
