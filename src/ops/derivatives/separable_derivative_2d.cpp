// sobel and prewitt on 2-D input as one node: the 3-tap derivative along one
// axis, then the 3-tap smoothing along the other, per tile, through a buffer
// of derivatives that stays in cache, rather than two correlate1d nodes and
// a tile between them. The passes, their order and their rounding are the
// chain's (scipy's: each pass stored in the pass dtype), so the bits are too.
// Geometry here (a halo of one on both axes); the rows are
// derivative_2d_rows.cpp's.
#include "engine/copy.hpp"
#include "ops/derivatives/derivative.hpp"
#include "ops/derivatives/derivative_2d_rows.hpp"

namespace tessera::detail {

namespace {

class SeparableDerivative2dNode final : public Node {
 public:
  SeparableDerivative2dNode(const Image& input, const Derivative2dSpec& spec)
      : Node(input.shape(), spec.out, {input}), rows_(spec, input.shape()) {}

  const Derivative2dSpec& spec() const { return rows_.spec(); }

  std::string name() const override { return rows_.spec().op; }
  Boundary input_boundary(std::size_t) const override { return rows_.spec().boundary; }
  Region input_region(std::size_t, const Region& out) const override { return derivative_2d_input_region(out); }

  void generate(const Region& region, const std::vector<View>& inputs, const View& out,
                Workspace& workspace) const override {
    const std::int64_t rows = region.size[0], cols = region.size[1];
    const View in = Derivative2dRows::readable_input(inputs[0], workspace);
    // The result's rows, written in place when float with contiguous rows;
    // else in float64, converted at the end.
    View dst = out;
    if (!is_float(out.dtype) || (cols > 1 && out.strides[1] != static_cast<std::int64_t>(itemsize(out.dtype)))) {
      auto* buf = static_cast<std::byte*>(workspace.get(31, static_cast<std::size_t>(region.count()) * 8));
      dst = View{buf, DType::Float64, region.size, c_strides(region.size, 8), nullptr};
    }
    const auto pass_item = static_cast<std::int64_t>(itemsize(rows_.pass()));
    if (rows_.spec().axis == 0) {
      auto* d = static_cast<std::byte*>(workspace.get(32, static_cast<std::size_t>((cols + 2) * pass_item)));
      for (std::int64_t i = 0; i < rows; ++i) {
        rows_.differences_along0(in, region, i, d);
        rows_.smooth(d + pass_item, 1, cols, dst.dtype, dst.data + i * dst.strides[0]);
      }
    } else {
      auto* d = static_cast<std::byte*>(workspace.get(32, static_cast<std::size_t>((rows + 2) * cols * pass_item)));
      rows_.differences_along1(in, region, 0, rows + 2, d);
      for (std::int64_t i = 0; i < rows; ++i)
        rows_.smooth(d + (i + 1) * cols * pass_item, cols, cols, dst.dtype, dst.data + i * dst.strides[0]);
    }
    if (dst.data != out.data) copy_convert(dst, out);
  }

 private:
  Derivative2dRows rows_;
};

}  // namespace

const Derivative2dSpec* derivative_2d_spec(const Node& node) {
  const auto* d = dynamic_cast<const SeparableDerivative2dNode*>(&node);
  return d ? &d->spec() : nullptr;
}

Image separable_derivative_2d(const Image& input, std::size_t axis, const std::vector<double>& diff,
                              const std::vector<double>& smooth, const Boundary& boundary, DType out,
                              const char* op) {
  return Image(std::make_shared<SeparableDerivative2dNode>(filter_input(input, boundary),
                                                           Derivative2dSpec{axis, diff, smooth, boundary, out, op}));
}

}  // namespace tessera::detail
