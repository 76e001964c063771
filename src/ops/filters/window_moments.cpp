#include "ops/filters/window_moments.hpp"

#include <algorithm>

#include "engine/copy.hpp"
#include "ops/expr/expr_tree.hpp"
#include "ops/filters/filter_kernels.hpp"
#include "ops/filters/window.hpp"

namespace tessera::detail {

namespace {

// Elements per band of rows (see generate): the float64 sums of x and x^2,
// the two moments and the formula's blocks of one band stay in a 256 KiB L2.
constexpr std::int64_t kBandElements = 8192;

// Per-thread scratch slots of a band (window sums use 0 to 19, the rank
// filters 20 to 30).
constexpr std::size_t kMomentsSlot = 40, kCentreSlot = 41, kOutSlot = 42;

// Stands for a tile buffer in a formula; never computed by the engine.
class Placeholder final : public Node {
 public:
  Placeholder(Shape shape, DType dtype) : Node(std::move(shape), dtype, {}) {}
  std::string name() const override { return "placeholder"; }
  void generate(const Region&, const std::vector<View>&, const View&, Workspace&) const override {
    throw InternalError("a formula placeholder was computed");
  }
};

class WindowMomentsNode final : public Node {
 public:
  // The formula as an expression of the Moments placeholders.
  WindowMomentsNode(const Image& input, Shape size, Boundary boundary, const ExprPtr& formula,
                    std::vector<LeafRef> placeholders, std::vector<Image> keep, std::string name,
                    DType moments_dtype)
      : Node(input.shape(), formula->dtype, {input}),
        size_(std::move(size)),
        boundary_(boundary),
        moments_dtype_(moments_dtype),
        programs_(compile_programs(formula, placeholders, input.shape())),
        keep_(std::move(keep)),
        name_(std::move(name)) {}

  // The formula as a fused float32 row kernel.
  WindowMomentsNode(const Image& input, Shape size, Boundary boundary, MomentsRowKernel row_kernel, std::string name)
      : Node(input.shape(), DType::Float32, {input}),
        size_(std::move(size)),
        boundary_(boundary),
        moments_dtype_(DType::Float32),
        row_kernel_(std::move(row_kernel)),
        name_(std::move(name)) {}

  std::string name() const override { return name_; }
  Boundary input_boundary(std::size_t) const override { return boundary_; }
  Region input_region(std::size_t, const Region& out) const override { return window_input_region(out, size_); }
  Shape block_grid() const override { return window_block_grid(size_); }

  // In bands of rows, so that the float64 sums, the moments and the
  // formula's registers of one band stay in cache (a whole tile's sums do
  // not: each pass would go to memory and back). Window sums never depend
  // on where a band starts, so the bands change no result.
  void generate(const Region& region, const std::vector<View>& inputs, const View& out, Workspace& workspace) const override {
    const std::int64_t rows = region.size[0];
    if (region.count() == 0) return;
    const std::int64_t per_row = region.count() / rows;
    const std::int64_t band = std::clamp<std::int64_t>(kBandElements / per_row, 1, rows);
    for (std::int64_t r = 0; r < rows; r += band) {
      const std::int64_t n = std::min(band, rows - r);
      Region part = region, local{Shape(region.ndim()), region.size};
      Region padded_part{Shape(region.ndim()), inputs[0].shape};
      part.offset[0] += r;
      part.size[0] = n;
      padded_part.offset[0] = r;
      padded_part.size[0] = n + size_[0] - 1;
      local.offset[0] = r;
      local.size[0] = n;
      generate_band(part, inputs[0].sub(padded_part), out.sub(local), workspace);
    }
  }

 private:
  void generate_band(const Region& region, const View& padded, const View& out, Workspace& workspace) const {
    const std::size_t n = static_cast<std::size_t>(region.count());
    const std::size_t item = itemsize(moments_dtype_);
    auto* moments = static_cast<std::byte*>(workspace.get(kMomentsSlot, 2 * n * item));
    std::byte* mean = moments;
    std::byte* variance = moments + n * item;
    double inv_count = 1;
    for (auto s : size_) inv_count /= static_cast<double>(s);
    const FilterKernels& k = filter_kernels();
    const std::size_t nd = region.ndim();
    const std::int64_t last = size_[nd - 1], cols = region.size[nd - 1];
    if (moments_dtype_ == DType::Float32 && last > 1 && last <= kRowMomentsMax) {
      // Every axis but the last through window_sums; the last pass along
      // each row fused with the moments (row_moments_f32).
      Shape sizes = size_;
      sizes[nd - 1] = 1;
      Region partial = region;
      partial.size[nd - 1] += last - 1;
      partial.offset[nd - 1] -= last / 2;
      window_sums(workspace, padded, partial, sizes, 0, false, 10);
      const std::size_t partial_count = static_cast<std::size_t>(partial.count());
      const double* s1 = window_sums_result(workspace, 0, partial_count);
      const double* s2 = window_sums_result(workspace, 10, partial_count);
      const std::int64_t in_cols = partial.size[nd - 1], rows = region.count() / cols;
      for (std::int64_t r = 0; r < rows; ++r)
        if (!k.row_moments_f32(s1 + r * in_cols, s2 + r * in_cols, cols, last, inv_count,
                               reinterpret_cast<float*>(mean) + r * cols, reinterpret_cast<float*>(variance) + r * cols))
          throw InternalError(name_ + ": no fused row pass for a window of " + std::to_string(last));
    } else {
      window_sums(workspace, padded, region, size_, 0, false, 10);  // sums of x into slot 0, of x^2 into slot 10
      if (moments_dtype_ == DType::Float32)
        k.moments_f32(window_sums_result(workspace, 0, n), window_sums_result(workspace, 10, n), region.count(), inv_count,
                      reinterpret_cast<float*>(mean), reinterpret_cast<float*>(variance));
      else
        k.moments_f64(window_sums_result(workspace, 0, n), window_sums_result(workspace, 10, n), region.count(), inv_count,
                      reinterpret_cast<double*>(mean), reinterpret_cast<double*>(variance));
    }
    auto contiguous = [&](std::byte* p, DType dtype) {
      return View{p, dtype, region.size, c_strides(region.size, itemsize(dtype)), nullptr};
    };
    Region centre_region{Shape(region.ndim()), region.size};
    for (std::size_t a = 0; a < region.ndim(); ++a) centre_region.offset[a] = size_[a] / 2;
    const View centre = padded.sub(centre_region);
    if (programs_) {
      run_programs(*programs_, out, {centre, contiguous(mean, moments_dtype_), contiguous(variance, moments_dtype_)},
                   workspace);
      return;
    }
    // The row kernel reads float32 rows and writes contiguous float32 rows;
    // anything else goes through scratch.
    View centre32 = centre;
    if (centre.dtype != DType::Float32 || !rows_contiguous(centre)) {
      centre32 = contiguous(static_cast<std::byte*>(workspace.get(kCentreSlot, n * sizeof(float))), DType::Float32);
      copy_convert(centre, centre32);
    }
    const bool direct = rows_contiguous(out);
    const View dst = direct ? out : contiguous(static_cast<std::byte*>(workspace.get(kOutSlot, n * sizeof(float))),
                                               DType::Float32);
    std::vector<const float*> centre_rows;
    for_each_row(centre32,
                 [&](std::int64_t, std::byte* p) { centre_rows.push_back(reinterpret_cast<const float*>(p)); });
    for_each_row(dst, [&](std::int64_t r, std::byte* p) {
      row_kernel_(centre_rows[static_cast<std::size_t>(r)], reinterpret_cast<const float*>(mean) + r * cols,
                  reinterpret_cast<const float*>(variance) + r * cols, cols, reinterpret_cast<float*>(p));
    });
    if (!direct) copy_convert(dst, out);
  }

  Shape size_;
  Boundary boundary_;
  DType moments_dtype_;
  std::optional<Programs> programs_;
  MomentsRowKernel row_kernel_;
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
  std::vector<LeafRef> placeholders;
  for (const Image* p : {&centre, &mean, &variance}) placeholders.push_back(LeafRef{p->node().get(), {}, {}});
  return Image(std::make_shared<WindowMomentsNode>(filter_input(input, boundary), size, boundary, make_leaf(result),
                                                   placeholders, std::vector<Image>{centre, mean, variance}, name,
                                                   moments_dtype));
}

Image window_moments_rows_image(const Image& input, const Shape& size_arg, const Boundary& boundary,
                                MomentsRowKernel row_kernel, const char* name) {
  if (input.ndim() == 0) throw ValueError(std::string(name) + ": the input must have at least one axis");
  const Shape size = window_sizes(size_arg, input.ndim(), name);
  return Image(
      std::make_shared<WindowMomentsNode>(filter_input(input, boundary), size, boundary, std::move(row_kernel), name));
}

}  // namespace tessera::detail
