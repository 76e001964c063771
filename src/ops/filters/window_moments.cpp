#include "ops/filters/window_moments.hpp"

#include "ops/expr/expr_tree.hpp"
#include "ops/filters/filter_kernels.hpp"
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
                    std::vector<const Node*> placeholders, std::vector<Image> keep, std::string name,
                    DType moments_dtype)
      : Node(input.shape(), formula->dtype, {input}),
        size_(std::move(size)),
        boundary_(boundary),
        moments_dtype_(moments_dtype),
        programs_(compile_programs(formula, placeholders, input.shape())),
        keep_(std::move(keep)),
        name_(std::move(name)) {}

  std::string name() const override { return name_; }
  Boundary input_boundary(std::size_t) const override { return boundary_; }
  Region input_region(std::size_t, const Region& out) const override { return window_input_region(out, size_); }

  void generate(const Region& region, const std::vector<View>& inputs, const View& out) const override {
    const View& padded = inputs[0];
    window_sums(padded, region, size_, 0, false, 10);  // sums of x into slot 0, of x^2 into slot 10
    const std::size_t n = static_cast<std::size_t>(region.count());
    const std::size_t item = itemsize(moments_dtype_);
    thread_local std::vector<std::byte> moments;
    if (moments.size() < 2 * n * item) moments.resize(2 * n * item);
    std::byte* mean = moments.data();
    std::byte* variance = moments.data() + n * item;
    double inv_count = 1;
    for (auto s : size_) inv_count /= static_cast<double>(s);
    const FilterKernels& k = filter_kernels();
    if (moments_dtype_ == DType::Float32)
      k.moments_f32(window_sums_result(0, n), window_sums_result(10, n), region.count(), inv_count,
                    reinterpret_cast<float*>(mean), reinterpret_cast<float*>(variance));
    else
      k.moments_f64(window_sums_result(0, n), window_sums_result(10, n), region.count(), inv_count,
                    reinterpret_cast<double*>(mean), reinterpret_cast<double*>(variance));
    auto view = [&](std::byte* p) {
      return View{p, moments_dtype_, region.size, c_strides(region.size, item), nullptr};
    };
    Region centre{Shape(region.ndim()), region.size};
    for (std::size_t a = 0; a < region.ndim(); ++a) centre.offset[a] = size_[a] / 2;
    run_programs(programs_, out, {padded.sub(centre), view(mean), view(variance)});
  }

 private:
  Shape size_;
  Boundary boundary_;
  DType moments_dtype_;
  Programs programs_;
  std::vector<Image> keep_;  // the placeholders the programs refer to
  std::string name_;
};

}  // namespace

Image window_moments_image(const Image& input, const Shape& size_arg, const Boundary& boundary,
                           const MomentsFormula& formula, const char* name, DType moments_dtype) {
  if (input.ndim() == 0) throw ValueError(std::string(name) + ": the input must have at least one axis");
  const Shape size = window_sizes(size_arg, input.ndim(), name);
  const Image centre(std::make_shared<Placeholder>(input.shape(), filter_input(input, boundary).dtype()));
  const Image mean(std::make_shared<Placeholder>(input.shape(), moments_dtype));
  const Image variance(std::make_shared<Placeholder>(input.shape(), moments_dtype));
  const Image result = formula(Moments{centre, mean, variance});
  std::vector<const Node*> placeholders{centre.node().get(), mean.node().get(), variance.node().get()};
  return Image(std::make_shared<WindowMomentsNode>(filter_input(input, boundary), size, boundary, make_leaf(result),
                                                   placeholders, std::vector<Image>{centre, mean, variance}, name,
                                                   moments_dtype));
}

}  // namespace tessera::detail
