// Window reductions: sliding sums, maxima and minima (direct, or van Herk /
// Gil-Werman blocks), their last passes fused with means and moments.
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

struct Sum {
  static constexpr bool extreme = false;
  template <typename T> static T apply(T a, T b) { return a + b; }
};
// NaN-propagating maximum and minimum (associative, as the blocks need); on
// bool and integers the plain ones.
// Written as two selects: the first is maxps/minps (b when unordered), the
// second a blend, so that loops of them vectorise.
struct Max {
  static constexpr bool extreme = true;
  template <typename T> static T plain(T a, T b) { return a > b ? a : b; }
  template <typename T> static T apply(T a, T b) {
    const T m = a > b ? a : b;
    if constexpr (std::is_floating_point_v<T>) return a != a ? a : m;
    else return m;
  }
};
struct Min {
  static constexpr bool extreme = true;
  template <typename T> static T plain(T a, T b) { return a < b ? a : b; }
  template <typename T> static T apply(T a, T b) {
    const T m = a < b ? a : b;
    if constexpr (std::is_floating_point_v<T>) return a != a ? a : m;
    else return m;
  }
};

// What a pass applies to each input value as it reads it.
struct Identity {
  template <typename T, typename In> static T map(In x) { return static_cast<T>(x); }
};
struct Square {
  template <typename T, typename In> static T map(In x) { return static_cast<T>(x) * static_cast<T>(x); }
};

// Windows up to this size: a direct reduction in a fixed order, vectorised
// (along contiguous rows up to kDirectRowMax); longer ones use van Herk /
// Gil-Werman blocks, whose cost per element does not grow with the size.
constexpr std::int64_t kDirectMax = kSlidingDirectMax;
constexpr std::int64_t kDirectRowMax = kRowMomentsMax;

// out[j] = in[j] op in[j + st] op ... (S terms), in a fixed order, for j in
// [0, n): loads only, accumulated in registers, vectorised over j.
// The input and output never overlap (separate scratch buffers): __restrict
// lets the compiler vectorise without a run-time overlap check it cannot
// form for a run-time stride.
template <typename In, typename T, typename Op, typename Map, int S>
void direct_terms(const In* __restrict in, std::int64_t st, T* __restrict out, std::int64_t n) {
  if constexpr (Op::extreme && std::is_floating_point_v<T>) {
    // A plain max/min chain and a NaN flag beside it: fewer operations per
    // term than a NaN-propagating select; NaN anywhere gives NaN.
    for (std::int64_t j = 0; j < n; ++j) {
      T acc = Map::template map<T>(in[j]);
      bool nan = acc != acc;
      for (int k = 1; k < S; ++k) {
        const T x = Map::template map<T>(in[j + k * st]);
        acc = Op::plain(acc, x);
        nan = nan | (x != x);
      }
      out[j] = nan ? std::numeric_limits<T>::quiet_NaN() : acc;
    }
    return;
  }
  for (std::int64_t j = 0; j < n; ++j) {
    T acc = Map::template map<T>(in[j]);
    for (int k = 1; k < S; ++k) acc = Op::apply(acc, Map::template map<T>(in[j + k * st]));
    out[j] = acc;
  }
}

template <typename In, typename T, typename Op, typename Map>
void direct(const In* in, std::int64_t st, T* out, std::int64_t n, std::int64_t size) {
  switch (size) {
    case 1: return direct_terms<In, T, Op, Map, 1>(in, st, out, n);
    case 2: return direct_terms<In, T, Op, Map, 2>(in, st, out, n);
    case 3: return direct_terms<In, T, Op, Map, 3>(in, st, out, n);
    case 4: return direct_terms<In, T, Op, Map, 4>(in, st, out, n);
    case 5: return direct_terms<In, T, Op, Map, 5>(in, st, out, n);
    case 6: return direct_terms<In, T, Op, Map, 6>(in, st, out, n);
    case 7: return direct_terms<In, T, Op, Map, 7>(in, st, out, n);
    case 8: return direct_terms<In, T, Op, Map, 8>(in, st, out, n);
    case 9: return direct_terms<In, T, Op, Map, 9>(in, st, out, n);
    case 10: return direct_terms<In, T, Op, Map, 10>(in, st, out, n);
    case 11: return direct_terms<In, T, Op, Map, 11>(in, st, out, n);
    case 12: return direct_terms<In, T, Op, Map, 12>(in, st, out, n);
    case 13: return direct_terms<In, T, Op, Map, 13>(in, st, out, n);
    case 14: return direct_terms<In, T, Op, Map, 14>(in, st, out, n);
    case 15: return direct_terms<In, T, Op, Map, 15>(in, st, out, n);
    default: return direct_terms<In, T, Op, Map, 16>(in, st, out, n);
  }
}

template <typename In, typename T, typename Op, typename Map = Identity>
void sliding(const In* in, std::int64_t is, T* out, std::int64_t os, std::int64_t n, std::int64_t inner,
             std::int64_t size, std::int64_t origin, T* scratch) {
  if (n <= 0) return;
  // Along a contiguous row, the block method is a scalar dependency chain;
  // a direct reduction vectorises, and up to 16 terms it is the faster.
  if (inner == 1 && is == 1 && os == 1 && size <= kDirectRowMax) return direct<In, T, Op, Map>(in, 1, out, n, size);
  if (size <= kDirectMax) {
    if (inner == 1) {
      for (std::int64_t i = 0; i < n; ++i) {
        T acc = Map::template map<T>(in[i * is]);
        for (std::int64_t k = 1; k < size; ++k) acc = Op::apply(acc, Map::template map<T>(in[(i + k) * is]));
        out[i * os] = acc;
      }
      return;
    }
    for (std::int64_t i = 0; i < n; ++i) direct<In, T, Op, Map>(in + i * is, is, out + i * os, inner, size);  // across rows
    return;
  }
  // van Herk / Gil-Werman: blocks of `size` positions aligned to absolute
  // coordinates; S = reduction from a position to its block's end, P = from
  // its block's start. A window starting at w is S[w] (+ P[w + size - 1] when
  // w is not a block start): only the window's own data, in a fixed order.
  const std::int64_t m = n + size - 1;
  T* S = scratch;
  T* P = scratch + m * inner;
  // The first block start at or after local position 0.
  const std::int64_t first_start = ((-origin) % size + size) % size;
  // Suffix reductions over [0, n) and what their blocks need, backwards by block.
  std::int64_t block_end = first_start == 0 ? 0 : first_start;  // exclusive end of the block holding 0
  if (first_start == 0) block_end = size;
  while (block_end < n) block_end += size;  // the block holding n - 1 ends at block_end - 1 <= m - 1
  for (std::int64_t end = block_end; end > 0; end -= size) {
    const std::int64_t begin = std::max<std::int64_t>(0, end - size);
    for (std::int64_t u = end - 1; u >= begin; --u) {
      T* s = S + u * inner;
      const In* x = in + u * is;
      if (u == end - 1) {
        for (std::int64_t l = 0; l < inner; ++l) s[l] = Map::template map<T>(x[l]);
      } else {
        const T* next = S + (u + 1) * inner;
        for (std::int64_t l = 0; l < inner; ++l) s[l] = Op::apply(Map::template map<T>(x[l]), next[l]);
      }
    }
  }
  // Prefix reductions forwards, restarting at every block start.
  for (std::int64_t u = 0; u < m; ++u) {
    T* p = P + u * inner;
    const In* x = in + u * is;
    const bool starts = u == 0 || ((u - first_start) % size == 0 && u >= first_start);
    if (starts) {
      for (std::int64_t l = 0; l < inner; ++l) p[l] = Map::template map<T>(x[l]);
    } else {
      const T* prev = P + (u - 1) * inner;
      for (std::int64_t l = 0; l < inner; ++l) p[l] = Op::apply(prev[l], Map::template map<T>(x[l]));
    }
  }
  for (std::int64_t w = 0; w < n; ++w) {
    T* o = out + w * os;
    const T* s = S + w * inner;
    if (w >= first_start && (w - first_start) % size == 0) {
      for (std::int64_t l = 0; l < inner; ++l) o[l] = s[l];
    } else {
      const T* p = P + (w + size - 1) * inner;
      for (std::int64_t l = 0; l < inner; ++l) o[l] = Op::apply(s[l], p[l]);
    }
  }
}

// Type-erased sliding min/max over one dtype, for the per-dtype tables.
template <typename T, typename Op>
void sliding_any(const void* in, std::int64_t is, void* out, std::int64_t os, std::int64_t n, std::int64_t inner,
                 std::int64_t size, std::int64_t origin, void* scratch) {
  sliding<T, T, Op>(static_cast<const T*>(in), is, static_cast<T*>(out), os, n, inner, size, origin,
                    static_cast<T*>(scratch));
}

// The last pass of a window mean along a row, fused with its scaling and
// conversion: out[j] = float((in[j] + ... + in[j + size - 1]) * factor).
template <int S> void row_mean_terms(const double* in, float* out, std::int64_t n, double factor) {
  for (std::int64_t j = 0; j < n; ++j) {
    double acc = in[j];
    for (int k = 1; k < S; ++k) acc += in[j + k];
    out[j] = static_cast<float>(acc * factor);
  }
}
bool row_mean_f32(const double* in, float* out, std::int64_t n, std::int64_t size, double factor) {
  switch (size) {
    case 2: row_mean_terms<2>(in, out, n, factor); return true;
    case 3: row_mean_terms<3>(in, out, n, factor); return true;
    case 4: row_mean_terms<4>(in, out, n, factor); return true;
    case 5: row_mean_terms<5>(in, out, n, factor); return true;
    case 6: row_mean_terms<6>(in, out, n, factor); return true;
    case 7: row_mean_terms<7>(in, out, n, factor); return true;
    case 8: row_mean_terms<8>(in, out, n, factor); return true;
    default: return false;
  }
}

// A first pass that reads each input value once for both window sums, of x
// and of x^2 (the speckle filters need both). Windows up to 8 along `inner`
// contiguous lanes; false (nothing done) otherwise.
template <typename In, int S>
void sum_and_squares_terms(const In* in, std::int64_t is, double* s1, double* s2, std::int64_t os, std::int64_t n,
                           std::int64_t inner) {
  for (std::int64_t i = 0; i < n; ++i) {
    const In* p = in + i * is;
    double* a = s1 + i * os;
    double* b = s2 + i * os;
    for (std::int64_t l = 0; l < inner; ++l) {
      double x = static_cast<double>(p[l]);
      double sum = x, sq = x * x;
      for (int k = 1; k < S; ++k) {
        x = static_cast<double>(p[l + k * is]);
        sum += x;
        sq += x * x;
      }
      a[l] = sum;
      b[l] = sq;
    }
  }
}
template <typename In>
bool sum_and_squares(const In* in, std::int64_t is, double* s1, double* s2, std::int64_t os, std::int64_t n,
                     std::int64_t inner, std::int64_t size) {
  if (inner == 1) return false;
  switch (size) {
    case 2: sum_and_squares_terms<In, 2>(in, is, s1, s2, os, n, inner); return true;
    case 3: sum_and_squares_terms<In, 3>(in, is, s1, s2, os, n, inner); return true;
    case 4: sum_and_squares_terms<In, 4>(in, is, s1, s2, os, n, inner); return true;
    case 5: sum_and_squares_terms<In, 5>(in, is, s1, s2, os, n, inner); return true;
    case 6: sum_and_squares_terms<In, 6>(in, is, s1, s2, os, n, inner); return true;
    case 7: sum_and_squares_terms<In, 7>(in, is, s1, s2, os, n, inner); return true;
    case 8: sum_and_squares_terms<In, 8>(in, is, s1, s2, os, n, inner); return true;
    default: return false;
  }
}

void finish_f32(const double* sums, float* out, std::int64_t n, double factor) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(sums[i] * factor);
}
void finish_f64(const double* sums, double* out, std::int64_t n, double divisor) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = sums[i] / divisor;
}

// Window mean and variance from the sums, in float64 (the variance needs it):
// mean = s1 / n, variance = max(s2 / n - mean^2, 0), stored as T.
template <typename T>
void moments(const double* __restrict s1, const double* __restrict s2, std::int64_t n, double inv_count,
             T* __restrict mean, T* __restrict variance) {
  for (std::int64_t i = 0; i < n; ++i) {
    const double m = s1[i] * inv_count;
    const double v = s2[i] * inv_count - m * m;
    mean[i] = static_cast<T>(m);
    variance[i] = static_cast<T>(v > 0 ? v : 0.0);
  }
}

// The last pass of both window sums along a row, fused with moments():
// the same additions in the same order, then the same float64 formula, with
// no float64 row of sums stored between them.
template <int S>
void row_moments_terms(const double* __restrict s1, const double* __restrict s2, std::int64_t n, double inv_count,
                       float* __restrict mean, float* __restrict variance) {
  for (std::int64_t j = 0; j < n; ++j) {
    double a = s1[j], b = s2[j];
    for (int k = 1; k < S; ++k) {
      a += s1[j + k];
      b += s2[j + k];
    }
    const double m = a * inv_count;
    const double v = b * inv_count - m * m;
    mean[j] = static_cast<float>(m);
    variance[j] = static_cast<float>(v > 0.0 ? v : 0.0);
  }
}
bool row_moments_f32(const double* s1, const double* s2, std::int64_t n, std::int64_t size, double inv_count,
                     float* mean, float* variance) {
  bool done = false;
  [&]<int... S>(std::integer_sequence<int, S...>) {
    ((size == S + 2 ? (row_moments_terms<S + 2>(s1, s2, n, inv_count, mean, variance), done = true) : false), ...);
  }(std::make_integer_sequence<int, kDirectRowMax - 1>{});
  return done;
}

template <typename F, std::size_t... I> void for_each_dtype(F&& f, std::index_sequence<I...>) {
  (f(std::integral_constant<int, static_cast<int>(I)>{}), ...);
}

}  // namespace

void TESSERA_ISA_TABLE(add_window_kernels)(FilterKernels& t) {
  t.sliding_sum = &sliding<double, double, Sum>;
  t.sliding_sum_f32 = &sliding<float, double, Sum>;
  t.sliding_sumsq = &sliding<double, double, Sum, Square>;
  t.sliding_sumsq_f32 = &sliding<float, double, Sum, Square>;
  t.finish_f32 = &finish_f32;
  t.finish_f64 = &finish_f64;
  t.row_mean_f32 = &row_mean_f32;
  t.moments_f32 = &moments<float>;
  t.moments_f64 = &moments<double>;
  t.row_moments_f32 = &row_moments_f32;
  t.sum_and_squares_f32 = &sum_and_squares<float>;
  t.sum_and_squares_f64 = &sum_and_squares<double>;
  for_each_dtype(
      [&](auto i) {
        dispatch(static_cast<DType>(decltype(i)::value), [&](auto tag) {
          using T = typename decltype(tag)::type;
          t.sliding_max[decltype(i)::value] = &sliding_any<T, Max>;
          t.sliding_min[decltype(i)::value] = &sliding_any<T, Min>;
        });
      },
      std::make_index_sequence<kDTypeCount>{});
}

}  // namespace tessera::detail
