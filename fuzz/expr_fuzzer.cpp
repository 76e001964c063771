// The expression language under fuzzing: the bytes are an expression over
// a few arrays of different dtypes and shapes (broadcasting to 5x7) and a
// scalar; it is parsed, checked and computed on one thread. A tessera::Error
// (SyntaxError, NameError, TypeError, ...) is the expected answer to a bad
// expression.
#include <type_traits>

#include "fuzz_input.hpp"

namespace {

tessera::Buffer filled(tessera::DType dtype, const tessera::Shape& shape, double first, double step) {
  tessera::Buffer b(dtype, shape);
  tessera::dispatch(dtype, [&](auto t) {
    using T = typename decltype(t)::type;
    T* p = b.data_as<T>();
    for (std::int64_t i = 0; i < tessera::element_count(shape); ++i) {
      const double v = first + step * static_cast<double>(i % 11);
      // Integers wrap, as numpy's astype does (a double out of range would be UB).
      if constexpr (std::is_floating_point_v<T>) p[i] = static_cast<T>(v);
      else p[i] = static_cast<T>(static_cast<std::int64_t>(v));
    }
  });
  return b;
}

const tessera::Variables& variables() {
  static const tessera::Buffer a = filled(tessera::DType::Float32, {5, 7}, -2.5, 0.75);
  static const tessera::Buffer b = filled(tessera::DType::UInt8, {5, 7}, 0, 37);
  static const tessera::Buffer c = filled(tessera::DType::Int64, {7}, -3, 1);
  static const tessera::Buffer d = filled(tessera::DType::Bool, {5, 1}, 0, 1);
  static const tessera::Buffer e = filled(tessera::DType::Int16, {5, 7, 3}, -300, 97);
  static const tessera::Variables v{{"a", tessera::Image::wrap(a.view())}, {"b", tessera::Image::wrap(b.view())},
                                    {"c", tessera::Image::wrap(c.view())}, {"d", tessera::Image::wrap(d.view())},
                                    {"e", tessera::Image::wrap(e.view())}, {"s", 3.5}, {"n", 7}};
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string source(reinterpret_cast<const char*>(data), size);
  try {
    (void)tessera::expression_names(source);
    (void)tessera::expression(source, variables()).compute({1});
  } catch (const tessera::Error&) {
  }
  return 0;
}
