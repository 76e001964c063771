// The kernels of sobel's and prewitt's float32 passes (separable_derivative_2d,
// derivative_magnitude_2d). Compiled once per ISA (TESSERA_ISA names it), as
// every *kernels_impl.cpp.
#include <cmath>
#include <cstdint>
#include <limits>

#include <immintrin.h>

#include "core/simd.hpp"
#include "ops/filters/filter_kernel_families.hpp"

namespace tessera::detail {
namespace {

// scipy's correlate1d with the weights [-1, 0, 1] on float32 lines, in
// float32. scipy sums centre * 0 + (lo - hi) * -1 in float64 and rounds to
// float32. The difference of two floats is exact in float64 unless their
// exponents are over 28 apart, and then the smaller is under 2^-28 of the
// larger, which the difference (in float64 too) stays nearer than any
// float32 midpoint: rounding once to float32 gives the same bits. centre * 0
// keeps scipy's NaN for an infinite centre and its sign of zero.
inline float central_difference(const float* c, std::int64_t i, std::int64_t step) {
  return c[i] * 0.0f + (c[i - step] - c[i + step]) * -1.0f;
}

void central_difference_f32(const float* __restrict c, std::int64_t step, std::int64_t lanes,
                            float* __restrict out) {
  for (std::int64_t i = 0; i < lanes; ++i) out[i] = central_difference(c, i, step);
}

void central_difference_f32_f64(const float* __restrict c, std::int64_t step, std::int64_t lanes,
                                double* __restrict out) {
  for (std::int64_t i = 0; i < lanes; ++i) out[i] = static_cast<double>(central_difference(c, i, step));
}

// scipy's symmetric 3-tap line (correlate1d's: centre * w0, then plus the
// sum of the neighbours times w1, in float64) rounded to float32, the pass
// dtype; returned in float64. Sides of weight 1 (sobel's, prewitt's) skip
// the product, which is exact.
template <bool UnitSides> inline double smoothed(double centre, double lo, double hi, double w0, double w1) {
  double acc = centre * w0;
  if constexpr (UnitSides) acc += lo + hi;
  else acc += (lo + hi) * w1;
  return static_cast<double>(static_cast<float>(acc));
}

// Two smoothings and numpy's float32 hypot (glibc's hypotf: the squares,
// exact in float64, summed and rooted there; infinite if either is, even
// beside a NaN), per element, so that nothing between them leaves registers.
template <bool UnitSides>
void smoothed_magnitude_lanes(const double* __restrict a, const double* __restrict above, const double* __restrict b,
                              const double* __restrict below, std::int64_t n, double w0, double w1,
                              float* __restrict out) {
  for (std::int64_t x = 0; x < n; ++x) {
    const double p = smoothed<UnitSides>(a[x], a[x - 1], a[x + 1], w0, w1);
    const double q = smoothed<UnitSides>(b[x], above[x], below[x], w0, w1);
    const bool infinite = std::isinf(p) || std::isinf(q);
    const float r = static_cast<float>(std::sqrt(p * p + q * q));
    out[x] = infinite ? std::numeric_limits<float>::infinity() : r;
  }
}

#if defined(__AVX512F__) && defined(__AVX512DQ__)
// The same, 16 lanes at a time. Written out because the float64 square
// root is this kernel's floor and GCC's vectorisation adds to the rest: the
// smoothings' float32 roundings are tested for infinity once per 16 lanes
// (vfpclassps) rather than as two halves of doubles, masked, combined and
// blended. 15% faster than GCC's loop in isolation; the same bits.
template <bool UnitSides> inline __m512d smoothed8(__m512d centre, __m512d lo, __m512d hi, __m512d w0, __m512d w1) {
  const __m512d sides = _mm512_add_pd(lo, hi);
  return _mm512_add_pd(_mm512_mul_pd(centre, w0), UnitSides ? sides : _mm512_mul_pd(sides, w1));
}

inline __m512 join(__m256 lo, __m256 hi) { return _mm512_insertf32x8(_mm512_castps256_ps512(lo), hi, 1); }

template <bool UnitSides>
void smoothed_magnitude(const double* __restrict a, const double* __restrict above, const double* __restrict b,
                        const double* __restrict below, std::int64_t n, double w0, double w1, float* __restrict out,
                        const float* ahead) {
  const __m512d v0 = _mm512_set1_pd(w0), v1 = _mm512_set1_pd(w1);
  const __m512 infinity = _mm512_set1_ps(std::numeric_limits<float>::infinity());
  constexpr int kInfinite = 0x08 | 0x10;  // vfpclass: +inf, -inf
  std::int64_t x = 0;
  for (; x + 16 <= n; x += 16) {
    if (ahead) _mm_prefetch(reinterpret_cast<const char*>(ahead + x), _MM_HINT_T0);
    __m256 p[2], q[2];
    for (int h = 0; h < 2; ++h) {
      const std::int64_t i = x + 8 * h;
      p[h] = _mm512_cvtpd_ps(smoothed8<UnitSides>(_mm512_loadu_pd(a + i), _mm512_loadu_pd(a + i - 1),
                                                  _mm512_loadu_pd(a + i + 1), v0, v1));
      q[h] = _mm512_cvtpd_ps(smoothed8<UnitSides>(_mm512_loadu_pd(b + i), _mm512_loadu_pd(above + i),
                                                  _mm512_loadu_pd(below + i), v0, v1));
    }
    const __mmask16 infinite =
        _mm512_fpclass_ps_mask(join(p[0], p[1]), kInfinite) | _mm512_fpclass_ps_mask(join(q[0], q[1]), kInfinite);
    __m256 r[2];
    for (int h = 0; h < 2; ++h) {
      const __m512d pd = _mm512_cvtps_pd(p[h]), qd = _mm512_cvtps_pd(q[h]);
      r[h] = _mm512_cvtpd_ps(_mm512_sqrt_pd(_mm512_add_pd(_mm512_mul_pd(pd, pd), _mm512_mul_pd(qd, qd))));
    }
    _mm512_storeu_ps(out + x, _mm512_mask_mov_ps(join(r[0], r[1]), infinite, infinity));
  }
  smoothed_magnitude_lanes<UnitSides>(a + x, above + x, b + x, below + x, n - x, w0, w1, out + x);
}
#else
template <bool UnitSides>
void smoothed_magnitude(const double* a, const double* above, const double* b, const double* below, std::int64_t n,
                        double w0, double w1, float* out, const float* ahead) {
  constexpr std::int64_t kLanes = 64;  // four cache lines of `ahead`
  std::int64_t x = 0;
  for (; x + kLanes <= n; x += kLanes) {
    if (ahead)
      for (std::int64_t l = 0; l < kLanes; l += 16) __builtin_prefetch(ahead + x + l);
    smoothed_magnitude_lanes<UnitSides>(a + x, above + x, b + x, below + x, kLanes, w0, w1, out + x);
  }
  smoothed_magnitude_lanes<UnitSides>(a + x, above + x, b + x, below + x, n - x, w0, w1, out + x);
}
#endif

void smoothed_magnitude_f32(const double* a, const double* above, const double* b, const double* below,
                            std::int64_t n, double w0, double w1, float* out, const float* ahead) {
  if (w1 == 1.0) smoothed_magnitude<true>(a, above, b, below, n, w0, w1, out, ahead);
  else smoothed_magnitude<false>(a, above, b, below, n, w0, w1, out, ahead);
}

}  // namespace

void TESSERA_ISA_TABLE(add_derivative_kernels)(FilterKernels& t) {
  t.central_difference_f32 = &central_difference_f32;
  t.central_difference_f32_f64 = &central_difference_f32_f64;
  t.smoothed_magnitude_f32 = &smoothed_magnitude_f32;
}

}  // namespace tessera::detail
