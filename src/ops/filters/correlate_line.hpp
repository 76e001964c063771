// What correlate1d and the fused 2-D derivatives (ops/derivatives) share:
// scipy's symmetry test of 1-D weights, and one correlation line run by the
// kernel of its input's and output's dtypes.
#pragma once

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <vector>

#include "ops/filters/filter_kernels.hpp"
#include "tessera/dtype.hpp"

namespace tessera::detail {

// 1 if w is symmetric about its centre, -1 if antisymmetric, 0 otherwise,
// by scipy's test (odd lengths only, within DBL_EPSILON).
inline int weight_symmetry(const std::vector<double>& w) {
  const std::size_t n = w.size(), half = n / 2;
  if (n % 2 == 0) return 0;
  bool symmetric = true, antisymmetric = true;
  for (std::size_t i = 1; i <= half; ++i) {
    symmetric = symmetric && std::fabs(w[half + i] - w[half - i]) <= DBL_EPSILON;
    antisymmetric = antisymmetric && std::fabs(w[half + i] + w[half - i]) <= DBL_EPSILON;
  }
  return symmetric ? 1 : antisymmetric ? -1 : 0;
}

// FilterKernels' correlation line for float32 or float64 `in` and `out`
// (see CorrelateKernel): `centre` and `o` point at elements of those dtypes.
inline void correlate_line(DType in, DType out, const void* centre, std::int64_t step, std::int64_t lanes,
                           const double* w, std::int64_t before, std::int64_t after, int symmetry, void* o) {
  const FilterKernels& k = filter_kernels();
  if (in == DType::Float32 && out == DType::Float32)
    k.correlate_f32_f32(static_cast<const float*>(centre), step, lanes, w, before, after, symmetry,
                        static_cast<float*>(o));
  else if (in == DType::Float32)
    k.correlate_f32_f64(static_cast<const float*>(centre), step, lanes, w, before, after, symmetry,
                        static_cast<double*>(o));
  else if (out == DType::Float32)
    k.correlate_f64_f32(static_cast<const double*>(centre), step, lanes, w, before, after, symmetry,
                        static_cast<float*>(o));
  else
    k.correlate_f64_f64(static_cast<const double*>(centre), step, lanes, w, before, after, symmetry,
                        static_cast<double*>(o));
}

}  // namespace tessera::detail
