// Correlation lines (correlate1d, and the separable filters built on it) and
// the N-D correlation's taps (correlate, convolve).
// Compiled once per ISA (TESSERA_ISA names it), as every *kernels_impl.cpp.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

#include "core/simd.hpp"
#include "ops/filters/filter_kernel_families.hpp"

namespace tessera::detail {
namespace {

// Correlation lines. Whole blocks of kCorrelateBlock lanes run on GCC vector
// types, four accumulators of eight doubles that stay in registers while
// every tap is added (the compiler's own vectoriser unrolls the 16-lane loop
// and then fails to pack it); the rest runs lane by lane. Each lane's terms
// are added in the same order either way, so the results are the same bits.
constexpr std::int64_t kCorrelateBlock = 32;
using Vec8d = double __attribute__((vector_size(64)));
using Vec8f = float __attribute__((vector_size(32)));

template <typename In> inline Vec8d load8(const In* p) {
  if constexpr (std::is_same_v<In, float>) {
    Vec8f f;
    __builtin_memcpy(&f, p, sizeof f);
    return __builtin_convertvector(f, Vec8d);
  } else {
    Vec8d d;
    __builtin_memcpy(&d, p, sizeof d);
    return d;
  }
}

template <typename Out> inline void store8(Out* p, Vec8d v) {
  if constexpr (std::is_same_v<Out, float>) {
    const Vec8f f = __builtin_convertvector(v, Vec8f);
    __builtin_memcpy(p, &f, sizeof f);
  } else {
    __builtin_memcpy(p, &v, sizeof v);
  }
}

template <typename In, typename Out>
void correlate_lanes(const In* c, std::int64_t step, std::int64_t m, const double* w, std::int64_t before,
                     std::int64_t after, int symmetry, Out* out) {
  for (std::int64_t i = 0; i < m; ++i) {
    double acc;
    if (symmetry > 0) {
      acc = static_cast<double>(c[i]) * w[0];
      for (std::int64_t k = -before; k < 0; ++k)
        acc += (static_cast<double>(c[i + k * step]) + static_cast<double>(c[i - k * step])) * w[k];
    } else if (symmetry < 0) {
      acc = static_cast<double>(c[i]) * w[0];
      for (std::int64_t k = -before; k < 0; ++k)
        acc += (static_cast<double>(c[i + k * step]) - static_cast<double>(c[i - k * step])) * w[k];
    } else {
      acc = static_cast<double>(c[i + after * step]) * w[after];
      for (std::int64_t k = -before; k < after; ++k) acc += static_cast<double>(c[i + k * step]) * w[k];
    }
    out[i] = static_cast<Out>(acc);
  }
}

template <typename In, typename Out, int Symmetry>
void correlate_blocks(const In* c, std::int64_t step, std::int64_t blocks, const double* w, std::int64_t before,
                      std::int64_t after, Out* out) {
  for (std::int64_t b = 0; b < blocks; ++b, c += kCorrelateBlock, out += kCorrelateBlock) {
    Vec8d acc[4];
    if constexpr (Symmetry != 0) {
      for (int j = 0; j < 4; ++j) acc[j] = load8(c + 8 * j) * w[0];
      for (std::int64_t k = -before; k < 0; ++k) {
        const double wk = w[k];
        const In* lo = c + k * step;
        const In* hi = c - k * step;
        for (int j = 0; j < 4; ++j) {
          if constexpr (Symmetry > 0) acc[j] += (load8(lo + 8 * j) + load8(hi + 8 * j)) * wk;
          else acc[j] += (load8(lo + 8 * j) - load8(hi + 8 * j)) * wk;
        }
      }
    } else {
      for (int j = 0; j < 4; ++j) acc[j] = load8(c + after * step + 8 * j) * w[after];
      for (std::int64_t k = -before; k < after; ++k) {
        const double wk = w[k];
        for (int j = 0; j < 4; ++j) acc[j] += load8(c + k * step + 8 * j) * wk;
      }
    }
    for (int j = 0; j < 4; ++j) store8(out + 8 * j, acc[j]);
  }
}

template <typename In, typename Out>
void correlate(const In* centre, std::int64_t step, std::int64_t lanes, const double* w, std::int64_t before,
               std::int64_t after, int symmetry, Out* out) {
  const std::int64_t blocks = lanes / kCorrelateBlock;
  if (symmetry > 0) correlate_blocks<In, Out, 1>(centre, step, blocks, w, before, after, out);
  else if (symmetry < 0) correlate_blocks<In, Out, -1>(centre, step, blocks, w, before, after, out);
  else correlate_blocks<In, Out, 0>(centre, step, blocks, w, before, after, out);
  const std::int64_t done = blocks * kCorrelateBlock;
  correlate_lanes(centre + done, step, lanes - done, w, before, after, symmetry, out + done);
}

template <typename In, typename Out>
void correlate_taps(const void* const* taps_any, const double* w, std::int64_t n_taps, std::int64_t lanes,
                    void* out_any) {
  const auto* const* taps = reinterpret_cast<const In* const*>(taps_any);
  Out* out = static_cast<Out*>(out_any);
  // Four accumulators of eight lanes stay in registers while every tap is
  // added (no fused multiply-add: scipy's bits).
  std::int64_t l = 0;
  for (; l + kCorrelateBlock <= lanes; l += kCorrelateBlock) {
    Vec8d a0{}, a1{}, a2{}, a3{};
    for (std::int64_t t = 0; t < n_taps; ++t) {
      const In* p = taps[t] + l;
      const double wt = w[t];
      a0 += load8(p) * wt;
      a1 += load8(p + 8) * wt;
      a2 += load8(p + 16) * wt;
      a3 += load8(p + 24) * wt;
    }
    store8(out + l, a0);
    store8(out + l + 8, a1);
    store8(out + l + 16, a2);
    store8(out + l + 24, a3);
  }
  for (; l < lanes; ++l) {
    double acc = 0.0;
    for (std::int64_t t = 0; t < n_taps; ++t) acc += static_cast<double>(taps[t][l]) * w[t];
    out[l] = static_cast<Out>(acc);
  }
}

}  // namespace

void TESSERA_ISA_TABLE(add_correlate_kernels)(FilterKernels& t) {
  t.correlate_taps[0][0] = &correlate_taps<double, double>;
  t.correlate_taps[0][1] = &correlate_taps<double, float>;
  t.correlate_taps[1][0] = &correlate_taps<float, double>;
  t.correlate_taps[1][1] = &correlate_taps<float, float>;
  t.correlate_f32_f64 = &correlate<float, double>;
  t.correlate_f64_f64 = &correlate<double, double>;
  t.correlate_f32_f32 = &correlate<float, float>;
  t.correlate_f64_f32 = &correlate<double, float>;
}

}  // namespace tessera::detail
