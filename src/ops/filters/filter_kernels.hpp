// Kernels of the neighbourhood filters, compiled once per instruction set
// like the expression kernels (see core/simd.hpp).
#pragma once

#include <cstddef>
#include <cstdint>

#include "tessera/dtype.hpp"

namespace tessera::detail {

// One pass of a separable window reduction along one axis. `in` holds
// n + size - 1 positions along the axis (stride in_stride elements), each a
// row of `inner` contiguous lanes; out[i] reduces in[i .. i + size - 1].
// `origin` is the absolute coordinate of in[0]: long windows use van Herk /
// Gil-Werman blocks aligned to absolute multiples of `size`, so a result
// never depends on where a tile starts, and costs O(1) per element for any
// size. `scratch` holds 2 * (n + size - 1) * inner values.
template <typename In, typename T>
using SlidingKernel = void (*)(const In* in, std::int64_t in_stride, T* out, std::int64_t out_stride,
                               std::int64_t n, std::int64_t inner, std::int64_t size, std::int64_t origin,
                               T* scratch);

// The longest window a sliding pass sums directly; longer ones use van Herk /
// Gil-Werman blocks at absolute multiples of the window (their float64 sums
// then depend on the grid: Node::block_grid).
inline constexpr std::int64_t kSlidingDirectMax = 8;

// The longest window along a contiguous row that is summed directly (in a
// fixed order, vectorised); row_moments_f32 takes windows up to it.
inline constexpr std::int64_t kRowMomentsMax = 16;

// One line of a 1-D correlation in float64, term by term in
// scipy.ndimage's order (so float64 results match its correlate1d bit for
// bit): for l < lanes,
//   out[l] = sum over k in [-before, after] of w[k] * centre[l + k * step]
// with `w` pointing at the weight of offset 0. symmetry 1: w[-k] == w[k]
// (pairs added before the multiply), -1: w[-k] == -w[k], 0: neither.
template <typename In, typename Out>
using CorrelateKernel = void (*)(const In* centre, std::int64_t step, std::int64_t lanes, const double* w,
                                 std::int64_t before, std::int64_t after, int symmetry, Out* out);

// The enhanced Lee filter's constants, as the float32 formula uses them.
struct EnhancedLeeConstants {
  float cu, cmax, neg_damping;
};

// One step of correlate_rows: an input line and its weight into each row of
// the block (bit j of mask: row j takes w[j] times it).
constexpr int kCorrelateRows = 4;
struct CorrelateStep {
  std::int64_t offset;  // bytes from the block's first input row
  std::uint32_t mask;
  double w[kCorrelateRows];
};

struct FilterKernels {
  SlidingKernel<double, double> sliding_sum;
  SlidingKernel<float, double> sliding_sum_f32;  // a first pass straight from float32 input
  SlidingKernel<double, double> sliding_sumsq;   // sums of squares (a first pass)
  SlidingKernel<float, double> sliding_sumsq_f32;
  // Window sums to results: float32 multiplies by 1/count; float64 divides
  // (exact where the window is constant).
  void (*finish_f32)(const double* sums, float* out, std::int64_t n, double factor);
  void (*finish_f64)(const double* sums, double* out, std::int64_t n, double divisor);
  // A last pass along a row fused with finish_f32, for windows up to 8;
  // returns false (doing nothing) for other sizes.
  bool (*row_mean_f32)(const double* in, float* out, std::int64_t n, std::int64_t size, double factor);
  // Window mean and variance (E[x^2] - E[x]^2, clamped at 0) from the sums of
  // x and x^2, computed in float64 and stored as float32 or float64.
  void (*moments_f32)(const double* s1, const double* s2, std::int64_t n, double inv_count, float* mean,
                      float* variance);
  void (*moments_f64)(const double* s1, const double* s2, std::int64_t n, double inv_count, double* mean,
                      double* variance);
  // The last pass of both sums along a row fused with moments_f32: s1 and s2
  // hold n + size - 1 partial sums; windows from 2 to kRowMomentsMax; false
  // (nothing done) for other sizes.
  bool (*row_moments_f32)(const double* s1, const double* s2, std::int64_t n, std::int64_t size, double inv_count,
                          float* mean, float* variance);
  // A first pass of both sums (x and x^2) reading the input once, across
  // rows of `inner` > 1 lanes, for windows up to 8; false if it does not apply.
  bool (*sum_and_squares_f32)(const float* in, std::int64_t in_stride, double* s1, double* s2, std::int64_t out_stride,
                              std::int64_t n, std::int64_t inner, std::int64_t size);
  bool (*sum_and_squares_f64)(const double* in, std::int64_t in_stride, double* s1, double* s2,
                              std::int64_t out_stride, std::int64_t n, std::int64_t inner, std::int64_t size);
  // steepest_neighbor, one output row from the rows of its 9 (2-D) or 27
  // (3-D) neighbours in C order of offset, on float32 [0] or float64 [1]
  // data (see there).
  void (*steepest_row[2])(const void* const* rows, int ndim, std::int64_t cols, std::uint8_t* labels);
  // Sliding maximum and minimum, per dtype (indexed by DType), as
  // SlidingKernel<T, T> with the pointers type-erased; NaN propagates.
  using SlidingAny = void (*)(const void* in, std::int64_t in_stride, void* out, std::int64_t out_stride,
                              std::int64_t n, std::int64_t inner, std::int64_t size, std::int64_t origin, void* scratch);
  SlidingAny sliding_max[kDTypeCount];
  SlidingAny sliding_min[kDTypeCount];
  // The enhanced Lee formula over a row, fused (see
  // ops/speckle/enhanced_lee_filter.cpp for the rule).
  // 1-D correlation lines from float32 or float64 input to float64 or float32.
  CorrelateKernel<float, double> correlate_f32_f64;
  CorrelateKernel<double, double> correlate_f64_f64;
  CorrelateKernel<float, float> correlate_f32_f32;
  CorrelateKernel<double, float> correlate_f64_f32;
  // correlate1d with the weights [-1, 0, 1] from float32 to float32, the
  // same bits in float32 arithmetic (sobel's and prewitt's derivative);
  // and the same values held in float64 lines, for a kernel that reads them
  // several times (ops/derivatives/derivative_kernels_impl.cpp).
  void (*central_difference_f32)(const float* centre, std::int64_t step, std::int64_t lanes, float* out);
  void (*central_difference_f32_f64)(const float* centre, std::int64_t step, std::int64_t lanes, double* out);
  // The gradient magnitude of such derivative lines, for x < n: hypot(p, q)
  // as numpy's float32 hypot, with p = a[x] w0 + (a[x - 1] + a[x + 1]) w1
  // (along the line) and q = b[x] w0 + (above[x] + below[x]) w1 (across
  // three lines) each summed in float64 and rounded to float32 (scipy's
  // symmetric 3-tap smoothing). `ahead`: float32 lanes read next (a later
  // input row), fetched into cache alongside, or null.
  void (*smoothed_magnitude_f32)(const double* a, const double* above, const double* b, const double* below,
                                 std::int64_t n, double w0, double w1, float* out, const float* ahead);
  // N-D correlation (ops/filters/correlate.cpp), a block of `rows` output
  // rows of `lanes` elements at once, so that each input line loaded serves
  // every row of the block it reaches: out row j (at out + j * out_row_stride
  // bytes) = sum over the steps, in order, of steps[s].w[j] * the input line
  // at in + steps[s].offset bytes, for the steps whose mask has bit j; in
  // float64, from float32 or float64 input to float64 or float32 output
  // ([input is float32][output is float32]). The steps list each row's terms
  // in scipy.ndimage.correlate's order, so float64 results are its bits.
  // exact_products: every weight times every input value is exact in float64
  // (float32 weights, input of at most 24 significant bits), so a fused
  // multiply-add gives the same bits as scipy's multiply then add, faster.
  void (*correlate_rows[2][2])(const CorrelateStep* steps, std::int64_t n_steps, const std::byte* in, int rows,
                               std::int64_t lanes, void* out, std::int64_t out_row_stride, bool exact_products);
  int correlate_block_rows;  // the most rows correlate_rows takes at once (at most kCorrelateRows)
  void (*enhanced_lee_row)(const float* centre, const float* mean, const float* variance, std::int64_t n,
                           const EnhancedLeeConstants& c, float* out);
};

const FilterKernels& filter_kernels();
const FilterKernels& filter_kernels_baseline();
const FilterKernels& filter_kernels_avx2();
const FilterKernels& filter_kernels_avx512();

}  // namespace tessera::detail
