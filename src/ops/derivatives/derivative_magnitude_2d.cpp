// hypot(sobel(a, 0), sobel(a, 1)) (or prewitt's) as one node: the gradient
// magnitude row by row, both derivatives' rows and their hypot in cache,
// where the chain computed two derivative tiles and read them back. Built
// when make_op("hypot") meets two such derivatives (expr_tree.cpp).
// The rows are derivative_2d_rows.cpp's, so the bits are the chain's
// (scipy's, then numpy's hypot). float32 runs its passes in float64 lines
// (the pass values, rounded to float32) through one fused kernel, the
// smoothings and the hypot per element (smoothed_magnitude_f32); other
// dtypes smooth each row and call the expression machine's hypot.
#include <algorithm>

#include "engine/copy.hpp"
#include "ops/derivatives/derivative.hpp"
#include "ops/derivatives/derivative_2d_rows.hpp"
#include "ops/expr/kernels.hpp"
#include "ops/filters/filter_kernels.hpp"

namespace tessera::detail {

namespace {

// separate_rows' strips of derivatives along axis 1 (two rows more than
// the strip's output): they and the strip's input stay in L2 until the
// smoothing and the other derivative have read them.
constexpr std::int64_t kStripBytes = std::int64_t{256} << 10;

class DerivativeMagnitude2dNode final : public Node {
 public:
  // hypot(first, second): their axes differ, all else is the same.
  DerivativeMagnitude2dNode(const Image& input, const Derivative2dSpec& first, const Derivative2dSpec& second)
      : Node(input.shape(), first.out, {input}),
        along0_(first.axis == 0 ? first : second, input.shape()),
        along1_(first.axis == 0 ? second : first, input.shape()),
        along0_first_(first.axis == 0) {}

  std::string name() const override { return std::string(along0_.spec().op) + " magnitude"; }
  Boundary input_boundary(std::size_t) const override { return along0_.spec().boundary; }
  Region input_region(std::size_t, const Region& out) const override { return derivative_2d_input_region(out); }

  void generate(const Region& region, const std::vector<View>& inputs, const View& out,
                Workspace& workspace) const override {
    const std::int64_t cols = region.size[1];
    const View in = Derivative2dRows::readable_input(inputs[0], workspace);
    const DType dt = dtype();  // float: the passes' dtype too
    const auto item = static_cast<std::int64_t>(itemsize(dt));
    auto* result = static_cast<std::byte*>(workspace.get(34, static_cast<std::size_t>(cols * item)));
    // Each output row, where out's rows are one run of its dtype, else
    // through `result`.
    const bool direct = out.dtype == dt && (cols == 1 || out.strides[1] == item);
    auto emit = [&](std::int64_t i, auto&& compute) {
      std::byte* const o = out.data + i * out.strides[0];
      compute(direct ? o : result);
      if (!direct)
        copy_convert(View{result, dt, {1, cols}, {cols * item, item}, nullptr},
                     View{o, out.dtype, {1, cols}, {out.strides[0], out.strides[1]}, nullptr});
    };
    // float32 central differences (sobel's, prewitt's) of float32 input
    // with symmetric smoothing: the fused kernel, on float64 lines.
    const std::vector<double>& w = along0_.spec().smooth;
    const bool fused = along0_.float32_central_difference(in) && along1_.float32_central_difference(in) && w[0] == w[2];
    if (fused) fused_rows(in, region, workspace, emit);
    else separate_rows(in, region, workspace, emit);
  }

 private:
  // The derivatives along axis 1 in a ring of three lines (one new per
  // output row), along axis 0 one line per row, and the kernel over them.
  template <typename Emit>
  void fused_rows(const View& in, const Region& region, Workspace& workspace, Emit& emit) const {
    const std::int64_t rows = region.size[0], cols = region.size[1];
    auto* lines = workspace.get<double>(32, static_cast<std::size_t>(4 * cols + 2));
    double* ring[3] = {lines, lines + cols, lines + 2 * cols};
    double* const d0 = lines + 3 * cols;  // cols + 2 lanes
    const std::vector<double>& w = along0_.spec().smooth;
    const auto kernel = filter_kernels().smoothed_magnitude_f32;
    auto line = [](double* p) { return reinterpret_cast<std::byte*>(p); };
    along1_.differences_along1(in, region, 0, 2, line(ring[0]), true);
    for (std::int64_t i = 0; i < rows; ++i) {
      along1_.differences_along1(in, region, i + 2, i + 3, line(ring[(i + 2) % 3]), true);
      along0_.differences_along0(in, region, i, line(d0), true);
      // The next row's new input row (padded row i + 3), fetched while
      // this one computes: the hardware's prefetcher alone left the input's
      // first reads waiting on memory (a quarter of the time).
      const float* ahead =
          i + 3 < rows + 2 ? reinterpret_cast<const float*>(in.data + (i + 3) * in.strides[0]) : nullptr;
      // hypot is symmetric in its arguments for float32 (glibc's hypotf).
      emit(i, [&](std::byte* dst) {
        kernel(d0 + 1, ring[i % 3], ring[(i + 1) % 3], ring[(i + 2) % 3], cols, w[1], w[0],
               reinterpret_cast<float*>(dst), ahead);
      });
    }
  }

  // Any other dtype: each derivative's rows smoothed apart, then the
  // expression machine's hypot; the derivatives along axis 1 in strips of
  // rows that stay in L2.
  template <typename Emit>
  void separate_rows(const View& in, const Region& region, Workspace& workspace, Emit& emit) const {
    const std::int64_t rows = region.size[0], cols = region.size[1];
    const DType dt = dtype();
    const auto item = static_cast<std::int64_t>(itemsize(dt));
    const std::int64_t line = cols * item;
    const std::int64_t strip = std::min(rows, std::max<std::int64_t>(8, kStripBytes / std::max<std::int64_t>(line, 1)));
    auto* d1 = static_cast<std::byte*>(workspace.get(32, static_cast<std::size_t>((strip + 2) * line)));
    auto* d0 = static_cast<std::byte*>(workspace.get(33, static_cast<std::size_t>((cols + 2) * item + 2 * line)));
    std::byte* const row0 = d0 + (cols + 2) * item;  // the derivative along axis 0, smoothed
    std::byte* const row1 = row0 + line;             // along axis 1
    const Kernel hypot = kernels().binary[static_cast<int>(BinaryFn::Hypot)][static_cast<int>(dt)];
    for (std::int64_t s = 0; s < rows; s += strip) {
      const std::int64_t n = std::min(strip, rows - s);
      along1_.differences_along1(in, region, s, s + n + 2, d1);
      for (std::int64_t i = s; i < s + n; ++i) {
        along0_.differences_along0(in, region, i, d0);
        along0_.smooth(d0 + item, 1, cols, dt, row0);
        along1_.smooth(d1 + (i - s + 1) * line, cols, cols, dt, row1);
        emit(i, [&](std::byte* dst) {
          hypot(cols, dst, along0_first_ ? row0 : row1, along0_first_ ? row1 : row0, nullptr);
        });
      }
    }
  }

  Derivative2dRows along0_, along1_;
  bool along0_first_;
};

}  // namespace

std::optional<Image> derivative_magnitude_2d(const Image& x, const Image& y) {
  const Derivative2dSpec* a = derivative_2d_spec(*x.node());
  const Derivative2dSpec* b = derivative_2d_spec(*y.node());
  if (!a || !b || a->axis == b->axis || a->diff != b->diff || a->smooth != b->smooth || !(a->boundary == b->boundary) ||
      a->out != b->out || !is_float(a->out) || x.node()->inputs()[0].node() != y.node()->inputs()[0].node())
    return std::nullopt;
  return Image(std::make_shared<DerivativeMagnitude2dNode>(x.node()->inputs()[0], *a, *b));
}

}  // namespace tessera::detail
