// Conversions between dtypes by tessera's rule (core/cast.hpp), compiled
// once per ISA (TESSERA_ISA names it): every layer that moves pixels between
// dtypes (the engine's copies, expression programs, filters) uses these.
#include <cstdint>
#include <cstring>
#include <tuple>
#include <utility>
#include <type_traits>

#include "core/cast.hpp"
#include "core/convert_kernels.hpp"
#include "core/simd.hpp"

namespace tessera::detail {
namespace {

// ---- conversions ----
template <typename From, typename To>
void cast_kernel(std::int64_t n, void* dst, const void* a, const void*, const void*) {
  To* d = static_cast<To*>(dst);
  const From* x = static_cast<const From*>(a);
  for (std::int64_t i = 0; i < n; ++i) d[i] = convert<To>(x[i]);
}

// Same-type moves with small constant strides, which compilers vectorise
// with shuffles: a channel of an interleaved image (stride K), or a value
// per row repeated over a short broadcast axis (C columns).
template <typename T, int K> void gather_stride(std::int64_t n, T* d, const T* s) {
  for (std::int64_t i = 0; i < n; ++i) d[i] = s[i * K];
}
template <typename T, int K, int C> void expand_rows(std::int64_t rows, T* d, const T* s) {
  for (std::int64_t r = 0; r < rows; ++r)
    for (int c = 0; c < C; ++c) d[r * C + c] = s[r * K];
}
template <typename T, int C>
bool expand_rows_by(std::int64_t rows, T* d, const std::byte* base, std::int64_t row_stride) {
  if (row_stride % static_cast<std::int64_t>(sizeof(T)) != 0) return false;
  const T* s = reinterpret_cast<const T*>(base);
  switch (row_stride / static_cast<std::int64_t>(sizeof(T))) {
    case 1: expand_rows<T, 1, C>(rows, d, s); return true;
    case 2: expand_rows<T, 2, C>(rows, d, s); return true;
    case 3: expand_rows<T, 3, C>(rows, d, s); return true;
    case 4: expand_rows<T, 4, C>(rows, d, s); return true;
    default: return false;
  }
}
template <typename T>
bool load_same_type(std::int64_t rows, std::int64_t cols, const std::byte* base, std::int64_t row_stride,
                    std::int64_t col_stride, T* d) {
  constexpr auto size = static_cast<std::int64_t>(sizeof(T));
  if (col_stride == 0 && rows > 1 && reinterpret_cast<std::uintptr_t>(base) % alignof(T) == 0) {
    switch (cols) {
      case 2: return expand_rows_by<T, 2>(rows, d, base, row_stride);
      case 3: return expand_rows_by<T, 3>(rows, d, base, row_stride);
      case 4: return expand_rows_by<T, 4>(rows, d, base, row_stride);
      default: return false;
    }
  }
  if (col_stride > size && col_stride % size == 0 && (rows == 1 || row_stride == cols * col_stride) &&
      reinterpret_cast<std::uintptr_t>(base) % alignof(T) == 0) {
    const T* s = reinterpret_cast<const T*>(base);
    switch (col_stride / size) {
      case 2: gather_stride<T, 2>(rows * cols, d, s); return true;
      case 3: gather_stride<T, 3>(rows * cols, d, s); return true;
      case 4: gather_stride<T, 4>(rows * cols, d, s); return true;
      default: return false;
    }
  }
  return false;
}

template <typename From, typename To>
void load_kernel(std::int64_t rows, std::int64_t cols, void* strided, std::int64_t row_stride,
                 std::int64_t col_stride, void* contiguous) {
  To* d = static_cast<To*>(contiguous);
  const std::byte* base = static_cast<const std::byte*>(strided);
  if constexpr (std::is_same_v<From, To>) {
    if (load_same_type<To>(rows, cols, base, row_stride, col_stride, d)) return;
  }
  for (std::int64_t r = 0; r < rows; ++r, base += row_stride, d += cols) {
    if (col_stride == static_cast<std::int64_t>(sizeof(From))) {
      const From* x = reinterpret_cast<const From*>(base);
      for (std::int64_t i = 0; i < cols; ++i) d[i] = convert<To>(x[i]);
    } else if (col_stride == 0) {
      const To v = convert<To>(*reinterpret_cast<const From*>(base));
      for (std::int64_t i = 0; i < cols; ++i) d[i] = v;
    } else {
      for (std::int64_t i = 0; i < cols; ++i) {
        From v;
        std::memcpy(&v, base + i * col_stride, sizeof(From));
        d[i] = convert<To>(v);
      }
    }
  }
}

template <typename From, typename To>
void store_kernel(std::int64_t rows, std::int64_t cols, void* strided, std::int64_t row_stride,
                  std::int64_t col_stride, void* contiguous) {
  const From* s = static_cast<const From*>(contiguous);
  std::byte* base = static_cast<std::byte*>(strided);
  for (std::int64_t r = 0; r < rows; ++r, base += row_stride, s += cols) {
    if (col_stride == static_cast<std::int64_t>(sizeof(To))) {
      To* y = reinterpret_cast<To*>(base);
      for (std::int64_t i = 0; i < cols; ++i) y[i] = convert<To>(s[i]);
    } else {
      for (std::int64_t i = 0; i < cols; ++i) {
        const To v = convert<To>(s[i]);
        std::memcpy(base + i * col_stride, &v, sizeof(To));
      }
    }
  }
}

// Booleans as numpy may hold them: any non-zero byte is True. (An OpenCV
// 0/255 mask viewed as bool holds 255; read as a C++ bool such a byte is
// undefined and arithmetic on it gives 255.) Every read of bool data goes
// through these, so the engine's booleans are 0 or 1 past the first load.
template <typename To>
void cast_from_bool(std::int64_t n, void* dst, const void* a, const void*, const void*) {
  To* d = static_cast<To*>(dst);
  const auto* x = static_cast<const std::uint8_t*>(a);
  for (std::int64_t i = 0; i < n; ++i) d[i] = convert<To>(x[i] != 0);
}

template <typename To>
void load_from_bool(std::int64_t rows, std::int64_t cols, void* strided, std::int64_t row_stride,
                    std::int64_t col_stride, void* contiguous) {
  if constexpr (std::is_same_v<To, bool>) {
    // Bool to bool: the bytes moved as uint8 (the broadcast and channel fast
    // paths included), then made 0 or 1 in one vectorised pass.
    load_kernel<std::uint8_t, std::uint8_t>(rows, cols, strided, row_stride, col_stride, contiguous);
    auto* b = static_cast<std::uint8_t*>(contiguous);
    for (std::int64_t i = 0; i < rows * cols; ++i) b[i] = b[i] != 0;
    return;
  }
  To* d = static_cast<To*>(contiguous);
  const auto* base = static_cast<const std::uint8_t*>(strided);
  for (std::int64_t r = 0; r < rows; ++r, base += row_stride, d += cols) {
    if (col_stride == 1) {
      for (std::int64_t i = 0; i < cols; ++i) d[i] = convert<To>(base[i] != 0);
    } else {
      for (std::int64_t i = 0; i < cols; ++i) d[i] = convert<To>(base[i * col_stride] != 0);
    }
  }
}

ConvertKernels build() {
  ConvertKernels t{};
  t.isa = TESSERA_KERNEL_ISA;
  for_each_dtype_type([&](auto tt) {
    using T = typename decltype(tt)::type;
    for_each_dtype_type([&](auto tu) {
      using U = typename decltype(tu)::type;
      if constexpr (std::is_same_v<T, bool>) {
        t.cast[dtype_index<T>()][dtype_index<U>()] = &cast_from_bool<U>;
        t.load[dtype_index<T>()][dtype_index<U>()] = &load_from_bool<U>;
      } else {
        t.cast[dtype_index<T>()][dtype_index<U>()] = &cast_kernel<T, U>;
        t.load[dtype_index<T>()][dtype_index<U>()] = &load_kernel<T, U>;
      }
      t.store[dtype_index<T>()][dtype_index<U>()] = &store_kernel<T, U>;
    });
  });
  return t;
}

}  // namespace

const ConvertKernels& TESSERA_ISA_TABLE(convert_kernels)() {
  static const ConvertKernels table = build();
  return table;
}

}  // namespace tessera::detail
