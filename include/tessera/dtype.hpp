// Element types and the one dtype-dispatch mechanism of tessera.
//
// Every place that needs the C++ type behind a runtime DType goes through
// `dispatch` (one type) or `dispatch2` (a pair, for casts); no other switch
// over DType picks kernels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "tessera/error.hpp"

namespace tessera {

enum class DType : std::uint8_t {
  Bool,
  UInt8,
  Int8,
  UInt16,
  Int16,
  UInt32,
  Int32,
  UInt64,
  Int64,
  Float32,
  Float64,
};

inline constexpr int kDTypeCount = 11;

// The C++ type of each DType.
template <DType D> struct dtype_type;
template <> struct dtype_type<DType::Bool> { using type = bool; };
template <> struct dtype_type<DType::UInt8> { using type = std::uint8_t; };
template <> struct dtype_type<DType::Int8> { using type = std::int8_t; };
template <> struct dtype_type<DType::UInt16> { using type = std::uint16_t; };
template <> struct dtype_type<DType::Int16> { using type = std::int16_t; };
template <> struct dtype_type<DType::UInt32> { using type = std::uint32_t; };
template <> struct dtype_type<DType::Int32> { using type = std::int32_t; };
template <> struct dtype_type<DType::UInt64> { using type = std::uint64_t; };
template <> struct dtype_type<DType::Int64> { using type = std::int64_t; };
template <> struct dtype_type<DType::Float32> { using type = float; };
template <> struct dtype_type<DType::Float64> { using type = double; };

// The DType of each C++ type.
template <typename T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<bool>() { return DType::Bool; }
template <> constexpr DType dtype_of<std::uint8_t>() { return DType::UInt8; }
template <> constexpr DType dtype_of<std::int8_t>() { return DType::Int8; }
template <> constexpr DType dtype_of<std::uint16_t>() { return DType::UInt16; }
template <> constexpr DType dtype_of<std::int16_t>() { return DType::Int16; }
template <> constexpr DType dtype_of<std::uint32_t>() { return DType::UInt32; }
template <> constexpr DType dtype_of<std::int32_t>() { return DType::Int32; }
template <> constexpr DType dtype_of<std::uint64_t>() { return DType::UInt64; }
template <> constexpr DType dtype_of<std::int64_t>() { return DType::Int64; }
template <> constexpr DType dtype_of<float>() { return DType::Float32; }
template <> constexpr DType dtype_of<double>() { return DType::Float64; }

// A value-less carrier of a C++ type, handed to dispatch callbacks.
template <typename T> struct type_tag { using type = T; };

// Calls f(type_tag<T>{}) with the C++ type T of `d`.
template <typename F> decltype(auto) dispatch(DType d, F&& f) {
  switch (d) {
    case DType::Bool: return f(type_tag<bool>{});
    case DType::UInt8: return f(type_tag<std::uint8_t>{});
    case DType::Int8: return f(type_tag<std::int8_t>{});
    case DType::UInt16: return f(type_tag<std::uint16_t>{});
    case DType::Int16: return f(type_tag<std::int16_t>{});
    case DType::UInt32: return f(type_tag<std::uint32_t>{});
    case DType::Int32: return f(type_tag<std::int32_t>{});
    case DType::UInt64: return f(type_tag<std::uint64_t>{});
    case DType::Int64: return f(type_tag<std::int64_t>{});
    case DType::Float32: return f(type_tag<float>{});
    case DType::Float64: return f(type_tag<double>{});
  }
  throw InternalError("dispatch: invalid dtype");
}

// Calls f(type_tag<T>{}) for the C++ type of every dtype, in DType order
// (kernel tables are filled this way); dtype_index<T>() is T's place.
template <typename F> void for_each_dtype_type(F&& f) {
  for (int d = 0; d < kDTypeCount; ++d) dispatch(static_cast<DType>(d), f);
}
template <typename T> constexpr int dtype_index() { return static_cast<int>(dtype_of<T>()); }

// Calls f(type_tag<A>{}, type_tag<B>{}) for a pair of dtypes.
template <typename F> decltype(auto) dispatch2(DType a, DType b, F&& f) {
  return dispatch(a, [&](auto ta) -> decltype(auto) {
    return dispatch(b, [&](auto tb) -> decltype(auto) { return f(ta, tb); });
  });
}

// Properties.
std::size_t itemsize(DType d);
std::string_view dtype_name(DType d);  // numpy's name: "uint8", "float32", ...
DType parse_dtype(std::string_view name);  // accepts numpy names; throws ValueError
inline bool is_float(DType d) { return d == DType::Float32 || d == DType::Float64; }
inline bool is_bool(DType d) { return d == DType::Bool; }
inline bool is_integer(DType d) { return !is_float(d) && !is_bool(d); }
bool is_signed(DType d);

// numpy's kinds, ordered: bool < integer < float.
enum class Kind : std::uint8_t { Bool = 0, Int = 1, Float = 2 };
Kind kind_of(DType d);

// numpy's promotion of two array dtypes (np.promote_types), restricted to the
// dtypes above; uint64 with a signed integer promotes to float64 as in numpy.
DType promote(DType a, DType b);

// numpy's np.min_scalar_type for a value of the given kind.
DType min_scalar_type_int(std::int64_t v);
DType min_scalar_type_float(double v);

// The float dtype numpy's ufuncs such as sqrt use for an input dtype. numpy
// picks float16 for bool and 8-bit integers; tessera has no float16 and picks
// float32 there (documented).
DType float_result_type(DType d);

}  // namespace tessera
