#include "tessera/dtype.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <string>

namespace tessera {

namespace {
struct DTypeInfo {
  std::string_view name;
  std::size_t size;
  bool is_signed;
};
// Indexed by DType.
constexpr std::array<DTypeInfo, kDTypeCount> kInfo{{
    {"bool", 1, false},
    {"uint8", 1, false},
    {"int8", 1, true},
    {"uint16", 2, false},
    {"int16", 2, true},
    {"uint32", 4, false},
    {"int32", 4, true},
    {"uint64", 8, false},
    {"int64", 8, true},
    {"float32", 4, true},
    {"float64", 8, true},
}};
const DTypeInfo& info(DType d) { return kInfo.at(static_cast<std::size_t>(d)); }

// Integer dtypes by signedness and size, for promotion.
DType int_of(bool is_signed, std::size_t size) {
  switch (size) {
    case 1: return is_signed ? DType::Int8 : DType::UInt8;
    case 2: return is_signed ? DType::Int16 : DType::UInt16;
    case 4: return is_signed ? DType::Int32 : DType::UInt32;
    default: return is_signed ? DType::Int64 : DType::UInt64;
  }
}
}  // namespace

std::size_t itemsize(DType d) { return info(d).size; }
std::string_view dtype_name(DType d) { return info(d).name; }
bool is_signed(DType d) { return info(d).is_signed; }

DType parse_dtype(std::string_view name) {
  if (name == "bool_" || name == "?") return DType::Bool;
  if (name == "float" || name == "double") return DType::Float64;
  if (name == "single") return DType::Float32;
  for (int i = 0; i < kDTypeCount; ++i)
    if (kInfo[i].name == name) return static_cast<DType>(i);
  throw ValueError("unsupported dtype '" + std::string(name) +
                   "'; tessera supports bool, uint8, int8, uint16, int16, uint32, int32, "
                   "uint64, int64, float32 and float64");
}

Kind kind_of(DType d) {
  if (d == DType::Bool) return Kind::Bool;
  return is_float(d) ? Kind::Float : Kind::Int;
}

DType promote(DType a, DType b) {
  if (a == b) return a;
  if (a == DType::Bool) return b;
  if (b == DType::Bool) return a;
  if (is_float(a) || is_float(b)) {
    if (is_float(a) && is_float(b)) return itemsize(a) >= itemsize(b) ? a : b;
    const DType f = is_float(a) ? a : b;
    const DType i = is_float(a) ? b : a;
    // float32 holds integers of up to 16 bits exactly; wider ones need float64.
    return (f == DType::Float32 && itemsize(i) <= 2) ? DType::Float32 : DType::Float64;
  }
  const bool sa = is_signed(a), sb = is_signed(b);
  if (sa == sb) return int_of(sa, std::max(itemsize(a), itemsize(b)));
  const DType s = sa ? a : b;
  const DType u = sa ? b : a;
  if (itemsize(s) > itemsize(u)) return s;
  if (itemsize(u) == 8) return DType::Float64;  // numpy: uint64 with any signed int
  return int_of(true, itemsize(u) * 2);
}

DType min_scalar_type_int(std::int64_t v) {
  if (v >= 0) {
    if (v <= std::numeric_limits<std::uint8_t>::max()) return DType::UInt8;
    if (v <= std::numeric_limits<std::uint16_t>::max()) return DType::UInt16;
    if (v <= std::numeric_limits<std::uint32_t>::max()) return DType::UInt32;
    return DType::UInt64;
  }
  if (v >= std::numeric_limits<std::int8_t>::min()) return DType::Int8;
  if (v >= std::numeric_limits<std::int16_t>::min()) return DType::Int16;
  if (v >= std::numeric_limits<std::int32_t>::min()) return DType::Int32;
  return DType::Int64;
}

DType min_scalar_type_float(double v) {
  // numpy answers float16 for values a half-float holds; tessera has no float16,
  // and float32 promotes the same way against every array dtype it meets here.
  if (!std::isfinite(v) || std::fabs(v) <= std::numeric_limits<float>::max()) return DType::Float32;
  return DType::Float64;
}

DType float_result_type(DType d) {
  switch (d) {
    case DType::Float32:
    case DType::Float64: return d;
    case DType::Bool:
    case DType::UInt8:
    case DType::Int8:
    case DType::UInt16:
    case DType::Int16: return DType::Float32;
    default: return DType::Float64;
  }
}

}  // namespace tessera
