// Correlation lines (correlate1d, and the separable filters built on it) and
// the N-D correlation's blocks of rows (correlate, convolve).
// Compiled once per ISA (TESSERA_ISA names it), as every *kernels_impl.cpp.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

#include <immintrin.h>

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

// A vector D of doubles loaded from float (converted) or double input, and
// stored back as float or double; F is D's float vector of as many lanes.
template <typename D, typename F, typename In> inline D load_as(const In* p) {
  if constexpr (std::is_same_v<In, float>) {
#if defined(__AVX512F__)
    // One vcvtps2pd zmm (GCC's __builtin_convertvector makes two halves and
    // an insert of it).
    if constexpr (sizeof(D) == 64) return reinterpret_cast<D>(_mm512_cvtps_pd(_mm256_loadu_ps(p)));
#endif
    F f;
    __builtin_memcpy(&f, p, sizeof f);
    return __builtin_convertvector(f, D);
  } else {
    D d;
    __builtin_memcpy(&d, p, sizeof d);
    return d;
  }
}

template <typename D, typename F, typename Out> inline void store_as(Out* p, D v) {
  if constexpr (std::is_same_v<Out, float>) {
    const F f = __builtin_convertvector(v, F);
    __builtin_memcpy(p, &f, sizeof f);
  } else {
    __builtin_memcpy(p, &v, sizeof v);
  }
}

template <typename In> inline Vec8d load8(const In* p) { return load_as<Vec8d, Vec8f>(p); }
template <typename Out> inline void store8(Out* p, Vec8d v) { store_as<Vec8d, Vec8f>(p, v); }

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

// The N-D correlation's blocks of rows, on the ISA's own vector width (GCC
// keeps a wider generic vector's accumulators in memory): as many lanes and
// rows as keep every accumulator in a register (4 rows x 4 zmm with
// AVX-512, 4 x 2 ymm with AVX2, 4 x 2 xmm on baseline).
#if defined(__AVX512F__)
constexpr int kNativeDoubles = 8, kRowVectors = 4;
#elif defined(__AVX2__)
constexpr int kNativeDoubles = 4, kRowVectors = 2;
#else
constexpr int kNativeDoubles = 2, kRowVectors = 2;
#endif
constexpr int kBlockRows = 4;
static_assert(kBlockRows <= kCorrelateRows);
constexpr std::int64_t kRowLanes = kNativeDoubles * kRowVectors;
using VecD = double __attribute__((vector_size(8 * kNativeDoubles)));
using VecF = float __attribute__((vector_size(4 * kNativeDoubles)));

template <typename In> inline VecD load_native(const In* p) { return load_as<VecD, VecF>(p); }
template <typename Out> inline void store_native(Out* p, VecD v) { store_as<VecD, VecF>(p, v); }

// acc + v * w, fused when the product is exact (then the same bits).
template <bool Fused> inline VecD multiply_add(VecD v, double w, VecD acc) {
  if constexpr (Fused) {
#if defined(__AVX512F__)
    return reinterpret_cast<VecD>(_mm512_fmadd_pd(reinterpret_cast<__m512d>(v), _mm512_set1_pd(w),
                                                  reinterpret_cast<__m512d>(acc)));
#elif defined(__FMA__)
    return reinterpret_cast<VecD>(_mm256_fmadd_pd(reinterpret_cast<__m256d>(v), _mm256_set1_pd(w),
                                                  reinterpret_cast<__m256d>(acc)));
#endif
  }
  return acc + v * w;
}

template <typename In, typename Out, int Rows, bool Fused>
void correlate_row_block(const CorrelateStep* steps, std::int64_t n_steps, const std::byte* in, std::int64_t lanes,
                         void* out_any, std::int64_t out_row_stride) {
  auto out_row = [&](int j) { return reinterpret_cast<Out*>(static_cast<std::byte*>(out_any) + j * out_row_stride); };
  std::int64_t l = 0;
  for (; l + kRowLanes <= lanes; l += kRowLanes) {
    VecD acc[Rows][kRowVectors] = {};
    for (std::int64_t s = 0; s < n_steps; ++s) {
      const CorrelateStep& st = steps[s];
      const In* p = reinterpret_cast<const In*>(in + st.offset) + l;
      VecD v[kRowVectors];
      for (int q = 0; q < kRowVectors; ++q) v[q] = load_native(p + kNativeDoubles * q);
      for (int j = 0; j < Rows; ++j)
        if (st.mask >> j & 1u)
          for (int q = 0; q < kRowVectors; ++q) acc[j][q] = multiply_add<Fused>(v[q], st.w[j], acc[j][q]);
    }
    for (int j = 0; j < Rows; ++j)
      for (int q = 0; q < kRowVectors; ++q) store_native(out_row(j) + l + kNativeDoubles * q, acc[j][q]);
  }
  for (; l < lanes; ++l) {
    double acc[Rows] = {};
    for (std::int64_t s = 0; s < n_steps; ++s) {
      const double x = static_cast<double>(reinterpret_cast<const In*>(in + steps[s].offset)[l]);
      for (int j = 0; j < Rows; ++j)
        if (steps[s].mask >> j & 1u) acc[j] += x * steps[s].w[j];
    }
    for (int j = 0; j < Rows; ++j) out_row(j)[l] = static_cast<Out>(acc[j]);
  }
}

template <typename In, typename Out, bool Fused>
void correlate_rows_fused(const CorrelateStep* steps, std::int64_t n_steps, const std::byte* in, int rows,
                          std::int64_t lanes, void* out, std::int64_t out_row_stride) {
  switch (rows) {
    case 1: return correlate_row_block<In, Out, 1, Fused>(steps, n_steps, in, lanes, out, out_row_stride);
    case 2: return correlate_row_block<In, Out, 2, Fused>(steps, n_steps, in, lanes, out, out_row_stride);
    case 3: return correlate_row_block<In, Out, 3, Fused>(steps, n_steps, in, lanes, out, out_row_stride);
    case 4: return correlate_row_block<In, Out, 4, Fused>(steps, n_steps, in, lanes, out, out_row_stride);
    default: break;
  }
}

template <typename In, typename Out>
void correlate_rows(const CorrelateStep* steps, std::int64_t n_steps, const std::byte* in, int rows,
                    std::int64_t lanes, void* out, std::int64_t out_row_stride, bool exact_products) {
  if (exact_products) correlate_rows_fused<In, Out, true>(steps, n_steps, in, rows, lanes, out, out_row_stride);
  else correlate_rows_fused<In, Out, false>(steps, n_steps, in, rows, lanes, out, out_row_stride);
}

}  // namespace

void TESSERA_ISA_TABLE(add_correlate_kernels)(FilterKernels& t) {
  t.correlate_rows[0][0] = &correlate_rows<double, double>;
  t.correlate_rows[0][1] = &correlate_rows<double, float>;
  t.correlate_rows[1][0] = &correlate_rows<float, double>;
  t.correlate_rows[1][1] = &correlate_rows<float, float>;
  t.correlate_block_rows = kBlockRows;
  t.correlate_f32_f64 = &correlate<float, double>;
  t.correlate_f64_f64 = &correlate<double, double>;
  t.correlate_f32_f32 = &correlate<float, float>;
  t.correlate_f64_f32 = &correlate<double, float>;
}

}  // namespace tessera::detail
