// Element-wise kernels, compiled once per ISA (TESSERA_ISA names it). The
// loops are plain C++ written so that the compiler vectorises them; their
// semantics follow numpy's ufuncs.
#include <algorithm>
#include <cmath>
#include <cstring>
#ifdef __AVX2__
#include <immintrin.h>
#endif
#include <limits>
#include <tuple>
#include <utility>
#include <type_traits>

#include "core/cast.hpp"
#include "core/simd.hpp"
#include "ops/expr/kernels.hpp"


namespace tessera::detail {
namespace {

template <typename T> constexpr bool is_num = !std::is_same_v<T, bool>;
template <typename T> constexpr bool is_flt = std::is_floating_point_v<T>;
template <typename T> constexpr bool is_int = std::is_integral_v<T> && !std::is_same_v<T, bool>;

// Wrapping integer arithmetic (numpy's), without signed-overflow UB.
template <typename T> T wrap_add(T a, T b) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
}
template <typename T> T wrap_sub(T a, T b) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(static_cast<U>(a) - static_cast<U>(b)));
}
template <typename T> T wrap_mul(T a, T b) {
  using U = std::make_unsigned_t<T>;
  // Promote small types through unsigned int to avoid int-promotion overflow UB.
  using W = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, U>;
  return static_cast<T>(static_cast<U>(static_cast<W>(static_cast<U>(a)) * static_cast<W>(static_cast<U>(b))));
}

// numpy's divmod for floats (npy_divmod).
template <typename T> T float_mod(T a, T b) {
  T mod = std::fmod(a, b);
  if (b == T(0)) return mod;
  if (mod != T(0)) {
    if ((b < 0) != (mod < 0)) mod += b;
  } else {
    mod = std::copysign(T(0), b);
  }
  return mod;
}
template <typename T> T float_floordiv(T a, T b) {
  if (b == T(0)) return a / b;
  T mod = std::fmod(a, b);
  T div = (a - mod) / b;
  if (mod != T(0)) {
    if ((b < 0) != (mod < 0)) div -= T(1);
  }
  T floordiv;
  if (div != T(0)) {
    floordiv = std::floor(div);
    if (div - floordiv > T(0.5)) floordiv += T(1);
  } else {
    floordiv = std::copysign(T(0), a / b);
  }
  return floordiv;
}
// Python-style integer division and modulo; x/0 gives 0 as in numpy.
template <typename T> T int_floordiv(T a, T b) {
  if (b == 0) return 0;
  if constexpr (std::is_signed_v<T>) {
    if (b == T(-1)) return wrap_sub(T(0), a);
    T q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
  } else {
    return a / b;
  }
}
template <typename T> T int_mod(T a, T b) {
  if (b == 0) return 0;
  if constexpr (std::is_signed_v<T>) {
    if (b == T(-1)) return 0;
    T r = a % b;
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
  } else {
    return a % b;
  }
}
// Integer power by squaring, wrapping; a negative exponent gives 0 except for
// bases 1 and -1 (numpy raises instead).
template <typename T> T int_pow(T a, T b) {
  if constexpr (std::is_signed_v<T>) {
    if (b < 0) {
      if (a == 1) return 1;
      if (a == -1) return (b % 2) ? T(-1) : T(1);
      return 0;
    }
  }
  T result = 1;
  while (b) {
    if (b & 1) result = wrap_mul(result, a);
    a = wrap_mul(a, a);
    b = static_cast<T>(b >> 1);
  }
  return result;
}

// ---- unary ----
template <UnaryFn F, typename T> constexpr bool unary_ok() {
  switch (F) {
    case UnaryFn::Neg:
    case UnaryFn::Abs:
    case UnaryFn::Square:
    case UnaryFn::Reciprocal: return is_num<T>;
    case UnaryFn::Invert: return !is_flt<T>;
    default: return is_flt<T>;
  }
}

template <UnaryFn F, typename T> inline T unary_op(T x) {
  if constexpr (F == UnaryFn::Neg) {
    if constexpr (is_int<T>) return wrap_sub(T(0), x);
    else return -x;
  } else if constexpr (F == UnaryFn::Abs) {
    if constexpr (is_int<T> && std::is_signed_v<T>) return x < 0 ? wrap_sub(T(0), x) : x;
    else if constexpr (is_int<T>) return x;
    else return std::fabs(x);
  } else if constexpr (F == UnaryFn::Invert) {
    if constexpr (std::is_same_v<T, bool>) return !x;
    else return static_cast<T>(~x);
  } else if constexpr (F == UnaryFn::Square) {
    if constexpr (is_int<T>) return wrap_mul(x, x);
    else return x * x;
  } else if constexpr (F == UnaryFn::Reciprocal) {
    if constexpr (is_int<T>) return int_floordiv(T(1), x);
    else return T(1) / x;
  } else if constexpr (F == UnaryFn::Sqrt) return std::sqrt(x);
  else if constexpr (F == UnaryFn::Exp) return std::exp(x);
  else if constexpr (F == UnaryFn::Log) return std::log(x);
  else if constexpr (F == UnaryFn::Log10) return std::log10(x);
  else if constexpr (F == UnaryFn::Log1p) return std::log1p(x);
  else if constexpr (F == UnaryFn::Expm1) return std::expm1(x);
  else if constexpr (F == UnaryFn::Sin) return std::sin(x);
  else if constexpr (F == UnaryFn::Cos) return std::cos(x);
  else if constexpr (F == UnaryFn::Tan) return std::tan(x);
  else if constexpr (F == UnaryFn::Arcsin) return std::asin(x);
  else if constexpr (F == UnaryFn::Arccos) return std::acos(x);
  else if constexpr (F == UnaryFn::Arctan) return std::atan(x);
  else if constexpr (F == UnaryFn::Sinh) return std::sinh(x);
  else if constexpr (F == UnaryFn::Cosh) return std::cosh(x);
  else if constexpr (F == UnaryFn::Tanh) return std::tanh(x);
  else if constexpr (F == UnaryFn::Floor) return std::floor(x);
  else if constexpr (F == UnaryFn::Ceil) return std::ceil(x);
  else if constexpr (F == UnaryFn::Arcsinh) return std::asinh(x);
  else if constexpr (F == UnaryFn::Arccosh) return std::acosh(x);
  else if constexpr (F == UnaryFn::Arctanh) return std::atanh(x);
  else return x;
}

template <UnaryFn F, typename T>
void unary_kernel(std::int64_t n, void* dst, const void* a, const void*, const void*) {
  T* d = static_cast<T*>(dst);
  const T* x = static_cast<const T*>(a);
  for (std::int64_t i = 0; i < n; ++i) d[i] = unary_op<F, T>(x[i]);
}

#ifdef __AVX2__
// Transcendental functions, four doubles or eight floats at a time, from
// glibc's libmvec (accurate to 4 ulp; the baseline table calls libm). Written
// by hand only to name libmvec's entry points, which compilers reach only
// under -ffast-math, and that would break NaN semantics everywhere else.
#define TESSERA_MVEC(fn) \
  __m256d _ZGVdN4v_##fn(__m256d); \
  __m256 _ZGVdN8v_##fn##f(__m256);
extern "C" {
TESSERA_MVEC(exp) TESSERA_MVEC(log) TESSERA_MVEC(log10) TESSERA_MVEC(log1p) TESSERA_MVEC(expm1)
TESSERA_MVEC(sin) TESSERA_MVEC(cos) TESSERA_MVEC(tan) TESSERA_MVEC(asin) TESSERA_MVEC(acos)
TESSERA_MVEC(atan) TESSERA_MVEC(sinh) TESSERA_MVEC(cosh) TESSERA_MVEC(tanh)
}
#undef TESSERA_MVEC

struct VectorFn {
  __m256d (*d4)(__m256d);
  __m256 (*f8)(__m256);
};
// Whether libmvec has F, asked without comparing addresses to null (not a
// constant expression under GCC's sanitizers).
template <UnaryFn F> constexpr bool has_vector_fn() {
  switch (F) {
    case UnaryFn::Exp: case UnaryFn::Log: case UnaryFn::Log10: case UnaryFn::Log1p: case UnaryFn::Expm1:
    case UnaryFn::Sin: case UnaryFn::Cos: case UnaryFn::Tan: case UnaryFn::Arcsin: case UnaryFn::Arccos:
    case UnaryFn::Arctan: case UnaryFn::Sinh: case UnaryFn::Cosh: case UnaryFn::Tanh: return true;
    default: return false;
  }
}
template <UnaryFn F> constexpr VectorFn vector_fn() {
  static_assert(has_vector_fn<F>());
  switch (F) {
    case UnaryFn::Exp: return {&_ZGVdN4v_exp, &_ZGVdN8v_expf};
    case UnaryFn::Log: return {&_ZGVdN4v_log, &_ZGVdN8v_logf};
    case UnaryFn::Log10: return {&_ZGVdN4v_log10, &_ZGVdN8v_log10f};
    case UnaryFn::Log1p: return {&_ZGVdN4v_log1p, &_ZGVdN8v_log1pf};
    case UnaryFn::Expm1: return {&_ZGVdN4v_expm1, &_ZGVdN8v_expm1f};
    case UnaryFn::Sin: return {&_ZGVdN4v_sin, &_ZGVdN8v_sinf};
    case UnaryFn::Cos: return {&_ZGVdN4v_cos, &_ZGVdN8v_cosf};
    case UnaryFn::Tan: return {&_ZGVdN4v_tan, &_ZGVdN8v_tanf};
    case UnaryFn::Arcsin: return {&_ZGVdN4v_asin, &_ZGVdN8v_asinf};
    case UnaryFn::Arccos: return {&_ZGVdN4v_acos, &_ZGVdN8v_acosf};
    case UnaryFn::Arctan: return {&_ZGVdN4v_atan, &_ZGVdN8v_atanf};
    case UnaryFn::Sinh: return {&_ZGVdN4v_sinh, &_ZGVdN8v_sinhf};
    case UnaryFn::Cosh: return {&_ZGVdN4v_cosh, &_ZGVdN8v_coshf};
    case UnaryFn::Tanh: return {&_ZGVdN4v_tanh, &_ZGVdN8v_tanhf};
    default: return {nullptr, nullptr};  // unreachable (has_vector_fn)
  }
}

template <UnaryFn F, typename T>
void unary_vector_kernel(std::int64_t n, void* dst, const void* a, const void*, const void*) {
  T* d = static_cast<T*>(dst);
  const T* x = static_cast<const T*>(a);
  std::int64_t i = 0;
  // The tail goes through the vector function too, in a padded register:
  // an element's result then depends on its value only, never on where a
  // tile or a block happens to end (libmvec and libm differ in the last ulps).
  if constexpr (std::is_same_v<T, double>) {
    for (; i + 4 <= n; i += 4) _mm256_storeu_pd(d + i, vector_fn<F>().d4(_mm256_loadu_pd(x + i)));
    if (i < n) {
      alignas(32) double lane[4] = {0, 0, 0, 0};
      std::copy(x + i, x + n, lane);
      _mm256_store_pd(lane, vector_fn<F>().d4(_mm256_load_pd(lane)));
      std::copy(lane, lane + (n - i), d + i);
    }
  } else {
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(d + i, vector_fn<F>().f8(_mm256_loadu_ps(x + i)));
    if (i < n) {
      alignas(32) float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      std::copy(x + i, x + n, lane);
      _mm256_store_ps(lane, vector_fn<F>().f8(_mm256_load_ps(lane)));
      std::copy(lane, lane + (n - i), d + i);
    }
  }
}
#endif

// ---- binary ----
template <BinaryFn F, typename T> constexpr bool binary_ok() {
  switch (F) {
    case BinaryFn::Add:
    case BinaryFn::Sub:
    case BinaryFn::Mul:
    case BinaryFn::FloorDiv:
    case BinaryFn::Mod:
    case BinaryFn::Pow:
    case BinaryFn::Minimum:
    case BinaryFn::Maximum: return is_num<T>;
    case BinaryFn::Fmod: return is_num<T>;
    case BinaryFn::Div:
    case BinaryFn::Hypot:
    case BinaryFn::Arctan2: return is_flt<T>;
    case BinaryFn::And:
    case BinaryFn::Or:
    case BinaryFn::Xor: return !is_flt<T>;
    case BinaryFn::LeftShift:
    case BinaryFn::RightShift: return is_int<T>;
    default: return false;
  }
}

template <BinaryFn F, typename T> inline T binary_op(T a, T b) {
  if constexpr (F == BinaryFn::Add) {
    if constexpr (is_int<T>) return wrap_add(a, b);
    else return a + b;
  } else if constexpr (F == BinaryFn::Sub) {
    if constexpr (is_int<T>) return wrap_sub(a, b);
    else return a - b;
  } else if constexpr (F == BinaryFn::Mul) {
    if constexpr (is_int<T>) return wrap_mul(a, b);
    else return a * b;
  } else if constexpr (F == BinaryFn::Div) {
    return a / b;
  } else if constexpr (F == BinaryFn::FloorDiv) {
    if constexpr (is_int<T>) return int_floordiv(a, b);
    else return float_floordiv(a, b);
  } else if constexpr (F == BinaryFn::Mod) {
    if constexpr (is_int<T>) return int_mod(a, b);
    else return float_mod(a, b);
  } else if constexpr (F == BinaryFn::Pow) {
    if constexpr (is_int<T>) return int_pow(a, b);
    else return std::pow(a, b);
  } else if constexpr (F == BinaryFn::Minimum) {
    if constexpr (is_flt<T>) return ((a <= b) | (a != a)) ? a : b;  // NaN propagates; no branch
    else return a < b ? a : b;
  } else if constexpr (F == BinaryFn::Maximum) {
    if constexpr (is_flt<T>) return ((a >= b) | (a != a)) ? a : b;
    else return a > b ? a : b;
  } else if constexpr (F == BinaryFn::And) {
    return static_cast<T>(a & b);
  } else if constexpr (F == BinaryFn::Or) {
    return static_cast<T>(a | b);
  } else if constexpr (F == BinaryFn::Xor) {
    return static_cast<T>(a ^ b);
  } else if constexpr (F == BinaryFn::Arctan2) {
    return std::atan2(a, b);
  } else if constexpr (F == BinaryFn::Hypot) {
    // float32: exactly glibc's hypotf (the squares summed in float64, then
    // the root), written out so that it vectorises; float64: hypot itself.
    if constexpr (std::is_same_v<T, float>) {
      if (std::isinf(a) || std::isinf(b)) return std::numeric_limits<float>::infinity();
      return static_cast<float>(std::sqrt(static_cast<double>(a) * a + static_cast<double>(b) * b));
    } else {
      return std::hypot(a, b);
    }
  } else if constexpr (F == BinaryFn::Fmod) {
    // C's remainder, the sign of the dividend (numpy.fmod); by zero: 0 for integers, as numpy gives.
    if constexpr (is_int<T>) {
      if (b == 0) return T(0);
      if constexpr (std::is_signed_v<T>)
        if (b == T(-1)) return T(0);  // INT_MIN % -1 overflows in C
      return static_cast<T>(a % b);
    } else {
      return std::fmod(a, b);
    }
  } else if constexpr (F == BinaryFn::LeftShift || F == BinaryFn::RightShift) {
    // numpy's npy_lshift/npy_rshift: a shift by the width or more (or by a
    // negative amount) gives 0, or -1 for a negative value shifted right.
    using U = std::make_unsigned_t<T>;
    constexpr U bits = sizeof(T) * 8;
    if (static_cast<U>(b) >= bits) {
      if constexpr (F == BinaryFn::RightShift && std::is_signed_v<T>) return a < 0 ? T(-1) : T(0);
      return T(0);
    }
    if constexpr (F == BinaryFn::LeftShift) return static_cast<T>(static_cast<U>(a) << static_cast<U>(b));
    else return static_cast<T>(a >> b);
  } else {
    return a;
  }
}

template <BinaryFn F, typename T>
void binary_kernel(std::int64_t n, void* dst, const void* a, const void* b, const void*) {
  T* d = static_cast<T*>(dst);
  const T* x = static_cast<const T*>(a);
  const T* y = static_cast<const T*>(b);
  for (std::int64_t i = 0; i < n; ++i) d[i] = binary_op<F, T>(x[i], y[i]);
}

// ---- compare, where ----
template <CompareFn F, typename T>
void compare_kernel(std::int64_t n, void* dst, const void* a, const void* b, const void*) {
  bool* d = static_cast<bool*>(dst);
  const T* x = static_cast<const T*>(a);
  const T* y = static_cast<const T*>(b);
  for (std::int64_t i = 0; i < n; ++i) {
    if constexpr (F == CompareFn::Lt) d[i] = x[i] < y[i];
    else if constexpr (F == CompareFn::Le) d[i] = x[i] <= y[i];
    else if constexpr (F == CompareFn::Gt) d[i] = x[i] > y[i];
    else if constexpr (F == CompareFn::Ge) d[i] = x[i] >= y[i];
    else if constexpr (F == CompareFn::Eq) d[i] = x[i] == y[i];
    else d[i] = x[i] != y[i];
  }
}

template <typename T>
void where_kernel(std::int64_t n, void* dst, const void* c, const void* a, const void* b) {
  T* d = static_cast<T*>(dst);
  // Read the condition as bytes: a bool is 0 or 1, and byte selects vectorise.
  const std::uint8_t* m = static_cast<const std::uint8_t*>(c);
  const T* x = static_cast<const T*>(a);
  const T* y = static_cast<const T*>(b);
  for (std::int64_t i = 0; i < n; ++i) {
    // Both loads unconditional, so the select vectorises as a blend.
    const T a = x[i], b = y[i];
    d[i] = m[i] ? a : b;
  }
}

// Scalar on purpose: AVX2 gathers are slower than plain loads for this.
template <typename T>
__attribute__((optimize("no-tree-vectorize"))) void lookup_kernel(std::int64_t n, void* dst, const void* index,
                                                                  const void* table, const void*) {
  T* d = static_cast<T*>(dst);
  const std::uint8_t* x = static_cast<const std::uint8_t*>(index);
  const T* t = static_cast<const T*>(table);
  std::int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const T a = t[x[i]], b = t[x[i + 1]], c = t[x[i + 2]], e = t[x[i + 3]];
    d[i] = a;
    d[i + 1] = b;
    d[i + 2] = c;
    d[i + 3] = e;
  }
  for (; i < n; ++i) d[i] = t[x[i]];
}

__attribute__((optimize("no-tree-vectorize"))) void lookup_pairs_kernel(std::int64_t n, void* dst,
                                                                         const void* index, const void* table,
                                                                         const void*) {
  auto* d = static_cast<std::byte*>(dst);
  const auto* x = static_cast<const std::byte*>(index);
  const auto* t = static_cast<const std::uint16_t*>(table);
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint16_t v[4];
    std::memcpy(v, x + i, 8);
    for (auto& e : v) e = t[e];
    std::memcpy(d + i, v, 8);
  }
  for (; i + 2 <= n; i += 2) {
    std::uint16_t v;
    std::memcpy(&v, x + i, 2);
    v = t[v];
    std::memcpy(d + i, &v, 2);
  }
  if (i < n) {  // the last odd byte: the pair table's low byte for (x, 0)
    std::uint16_t v = t[static_cast<std::uint8_t>(x[i])];
    std::memcpy(d + i, &v, 1);
  }
}

#ifdef __AVX2__
// A 256-entry byte table with AVX2: the table as 16 rows of 16, each row
// looked up by the low nibble (pshufb) and kept where the high nibble selects
// it. About 4 vector operations per row for 32 bytes: several times faster
// than scalar loads.
void lookup_bytes_avx2(std::int64_t n, void* dst, const void* index, const void* table, const void*) {
  auto* d = static_cast<std::uint8_t*>(dst);
  const auto* x = static_cast<const std::uint8_t*>(index);
  const auto* t = static_cast<const std::uint8_t*>(table);
  __m256i rows[16];
  for (int k = 0; k < 16; ++k)
    rows[k] = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(t + 16 * k)));
  const __m256i nibble = _mm256_set1_epi8(0x0f);
  std::int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i));
    const __m256i lo = _mm256_and_si256(v, nibble);
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble);
    __m256i r = _mm256_setzero_si256();
    for (int k = 0; k < 16; ++k) {
      const __m256i pick = _mm256_cmpeq_epi8(hi, _mm256_set1_epi8(static_cast<char>(k)));
      r = _mm256_or_si256(r, _mm256_and_si256(pick, _mm256_shuffle_epi8(rows[k], lo)));
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + i), r);
  }
  for (; i < n; ++i) d[i] = t[x[i]];
}
#endif

// ---- table ----
template <int... I, typename F> void for_each_index(std::integer_sequence<int, I...>, F&& f) {
  (f(std::integral_constant<int, I>{}), ...);
}

KernelTable build() {
  KernelTable t{};
  t.lookup_pairs = &lookup_pairs_kernel;
#ifdef __AVX2__
  t.lookup_bytes = &lookup_bytes_avx2;
#endif
  for_each_dtype_type([&](auto tt) {
    using T = typename decltype(tt)::type;
    for_each_index(std::make_integer_sequence<int, kUnaryCount>{}, [&](auto f) {
      constexpr auto F = static_cast<UnaryFn>(decltype(f)::value);
      if constexpr (unary_ok<F, T>()) t.unary[f][dtype_index<T>()] = &unary_kernel<F, T>;
#ifdef __AVX2__
      if constexpr (is_flt<T> && has_vector_fn<F>()) t.unary[f][dtype_index<T>()] = &unary_vector_kernel<F, T>;
#endif
    });
    for_each_index(std::make_integer_sequence<int, kBinaryCount>{}, [&](auto f) {
      constexpr auto F = static_cast<BinaryFn>(decltype(f)::value);
      if constexpr (binary_ok<F, T>()) t.binary[f][dtype_index<T>()] = &binary_kernel<F, T>;
    });
    for_each_index(std::make_integer_sequence<int, kCompareCount>{}, [&](auto f) {
      constexpr auto F = static_cast<CompareFn>(decltype(f)::value);
      t.compare[f][dtype_index<T>()] = &compare_kernel<F, T>;
    });
    t.where[dtype_index<T>()] = &where_kernel<T>;
    t.lookup[dtype_index<T>()] = &lookup_kernel<T>;
  });
  return t;
}

}  // namespace

const KernelTable& TESSERA_ISA_TABLE(kernels)() {
  static const KernelTable table = build();
  return table;
}

}  // namespace tessera::detail
