#include "ops/filters/window_moments.hpp"

#include "ops/expr/expr_tree.hpp"
#include "ops/filters/window.hpp"

namespace tessera::detail {

namespace {

// Stands for a tile buffer in a formula; never computed by the engine.
class Placeholder final : public Node {
 public:
  Placeholder(Shape shape, DType dtype) : Node(std::move(shape), dtype, {}) {}
  std::string name() const override { return "placeholder"; }
  void generate(const Region&, const std::vector<View>&, const View&) const override {
    throw InternalError("a formula placeholder was computed");
  }
};

class WindowMomentsNode final : public Node {
 public:
  WindowMomentsNode(const Image& input, Shape size, Boundary boundary, const ExprPtr& formula,
                    std::vector<const Node*> placeholders, std::vector<Image> keep, std::string name)
      : Node(input.shape(), formula->dtype, {input}),
        size_(std::move(size)),
        boundary_(boundary),
        programs_(compile_programs(formula, placeholders, input.shape())),
        keep_(std::move(keep)),
        name_(std::move(name)) {}

  std::string name() const override { return name_; }
  Boundary input_boundary(std::size_t) const override { return boundary_; }
  Region input_region(std::size_t, const Region& out) const override { return window_input_region(out, size_); }

  void generate(const Region& region, const std::vector<View>& inputs, const View& out) const override {
    const View& padded = inputs[0];
    window_sums(padded, region, size_, 0, false);
    window_sums(padded, region, size_, 10, true);
    const std::size_t n = static_cast<std::size_t>(region.count());
    auto sums_view = [&](double* p) {
      return View{reinterpret_cast<std::byte*>(p), DType::Float64, region.size, c_strides(region.size, sizeof(double)),
                  nullptr};
    };
    Region centre{Shape(region.ndim()), region.size};
    for (std::size_t a = 0; a < region.ndim(); ++a) centre.offset[a] = size_[a] / 2;
    run_programs(programs_, out,
                 {padded.sub(centre), sums_view(window_sums_result(0, n)), sums_view(window_sums_result(10, n))});
  }

 private:
  Shape size_;
  Boundary boundary_;
  Programs programs_;
  std::vector<Image> keep_;  // the placeholders the programs refer to
  std::string name_;
};

}  // namespace

Image window_moments_image(const Image& input, const Shape& size_arg, const Boundary& boundary,
                           const MomentsFormula& formula, const char* name) {
  if (input.ndim() == 0) throw ValueError(std::string(name) + ": the input must have at least one axis");
  const Shape size = window_sizes(size_arg, input.ndim(), name);
  double count = 1;
  for (auto s : size) count *= static_cast<double>(s);
  const Image centre(std::make_shared<Placeholder>(input.shape(), filter_input(input, boundary).dtype()));
  const Image sum(std::make_shared<Placeholder>(input.shape(), DType::Float64));
  const Image sum_sq(std::make_shared<Placeholder>(input.shape(), DType::Float64));
  // Multiplications by 1/count, not divisions: a division per pixel costs more
  // than the rest of a moment, and one ulp does not matter to a filter.
  const Image mean = sum * (1.0 / count);
  const Image variance = apply("maximum", {sum_sq * (1.0 / count) - mean * mean, 0.0});
  const Image result = formula(Moments{centre, mean, variance});
  std::vector<const Node*> placeholders{centre.node().get(), sum.node().get(), sum_sq.node().get()};
  return Image(std::make_shared<WindowMomentsNode>(filter_input(input, boundary), size, boundary, make_leaf(result),
                                                   placeholders,
                                                   std::vector<Image>{centre, sum, sum_sq}, name));
}

}  // namespace tessera::detail
