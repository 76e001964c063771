// The operation registry from C++: every operation is listed once with its
// parameters; call_operation checks arguments with the messages every face
// shows; the typed C++ functions called with their default options give the
// registry's defaults (Frost's damping is one number, not two).
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "tessera/tessera.hpp"

using namespace tessera;

namespace {

Image random_image(std::int64_t rows, std::int64_t cols) {
  Buffer b(DType::Float32, {rows, cols});
  std::mt19937 gen(3);
  std::uniform_real_distribution<float> u(0.1f, 1.0f);
  for (std::int64_t i = 0; i < rows * cols; ++i) b.data_as<float>()[i] = u(gen);
  return Image::wrap(b.view());
}

bool same_bits(const Image& a, const Image& b) {
  const Buffer x = a.compute(), y = b.compute();
  return x.shape() == y.shape() && x.dtype() == y.dtype() &&
         std::memcmp(x.data(), y.data(), static_cast<std::size_t>(x.view().count()) * itemsize(x.dtype())) == 0;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Registry, ListsEachOperationOnceSortedWithAnImageInput) {
  // Every filter and stack reduction of the Python, Dask and CLI faces.
  const auto& ops = operations();
  ASSERT_GE(ops.size(), 11u);
  for (std::size_t i = 1; i < ops.size(); ++i) EXPECT_LT(ops[i - 1]->name, ops[i]->name);
  for (const Operation* op : ops) {
    EXPECT_FALSE(op->summary.empty()) << op->name;
    const ParamKind input = op->main_input().kind;
    EXPECT_TRUE(input == ParamKind::Image || input == ParamKind::Images) << op->name;
    EXPECT_FALSE(op->outputs.empty()) << op->name;
  }
  EXPECT_EQ(&operation("frost_filter"), &operation("frost_filter"));
  EXPECT_NE(message_of([] { operation("nope"); }).find("unknown operation 'nope'; the operations are"),
            std::string::npos);
}

TEST(Registry, TypedSpeckleDefaultsAreTheRegistrysDefaults) {
  const Image img = random_image(31, 23);
  // Frost: SpeckleOptions{} leaves damping to the registry, which says 2.
  EXPECT_EQ(std::get<double>(operation("frost_filter").param("damping").default_value), 2.0);
  EXPECT_TRUE(same_bits(frost_filter(img), call_operation("frost_filter", {{"input", img}})[0]));
  SpeckleOptions two;
  two.damping = 2.0;
  EXPECT_TRUE(same_bits(frost_filter(img), frost_filter(img, two)));
  EXPECT_TRUE(same_bits(enhanced_lee_filter(img), call_operation("enhanced_lee_filter", {{"input", img}})[0]));
  EXPECT_TRUE(same_bits(lee_filter(img), call_operation("lee_filter", {{"input", img}})[0]));
  EXPECT_TRUE(same_bits(steepest_neighbor(img), call_operation("steepest_neighbor", {{"input", img}})[0]));
  EXPECT_TRUE(same_bits(uniform_filter(img, {3}),
                        call_operation("uniform_filter", {{"input", img}, {"size", std::int64_t{3}}})[0]));
}

TEST(Registry, ChecksNameTheOperationTheParameterAndWhatIsAllowed) {
  const Image img = random_image(9, 9);
  EXPECT_EQ(message_of([&] { call_operation("frost_filter", {{"input", img}, {"damping", -1.0}}); }),
            "frost_filter: damping must be >= 0, got -1");
  // The typed C++ function checks by the same registry entry.
  SpeckleOptions bad;
  bad.damping = -1.0;
  EXPECT_EQ(message_of([&] { frost_filter(img, bad); }), "frost_filter: damping must be >= 0, got -1");
  bad = {};
  bad.size = 4;
  EXPECT_EQ(message_of([&] { lee_filter(img, bad); }), "lee_filter: size must be odd and between 1 and 255, got 4");
  EXPECT_EQ(message_of([&] { call_operation("uniform_filter", {{"input", img}}); }),
            "uniform_filter: missing the required argument 'size'");
  EXPECT_EQ(message_of([&] { call_operation("uniform_filter", {{"input", img}, {"size", 3.5}}); }),
            "uniform_filter: size must be an integer or a sequence of integers, got 3.5");
  EXPECT_EQ(message_of([&] { call_operation("lee_filter", {{"input", img}, {"damping", 1.0}}); }),
            "lee_filter: no parameter 'damping'; it takes input, size, looks, mode, cval");
  EXPECT_EQ(message_of([&] {
              call_operation("uniform_filter", {{"input", img}, {"size", std::int64_t{3}}, {"mode", std::string("x")}});
            }),
            "uniform_filter: unknown boundary mode 'x' for mode; it must be one of reflect, mirror, nearest, wrap, "
            "constant, grid-mirror, grid-wrap, grid-constant, or one per axis");
}

TEST(Registry, ParsesCommandLineWords) {
  const Operation& uniform = operation("uniform_filter");
  EXPECT_EQ(std::get<Shape>(parse_argument(uniform, uniform.param("size"), "7")), (Shape{7}));
  EXPECT_EQ(std::get<Shape>(parse_argument(uniform, uniform.param("size"), "7,5")), (Shape{7, 5}));
  EXPECT_EQ(std::get<double>(parse_argument(uniform, uniform.param("cval"), "2.5")), 2.5);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(parse_argument(uniform, uniform.param("output"), "none")));
  EXPECT_EQ(std::get<DType>(parse_argument(uniform, uniform.param("output"), "float64")), DType::Float64);
  EXPECT_NE(message_of([&] { parse_argument(uniform, uniform.param("size"), "7,a"); }).find("uniform_filter: size"),
            std::string::npos);
}
