// sobel and prewitt on 2-D input as one node: the 3-tap derivative along one
// axis, then the 3-tap smoothing along the other, per tile, through a buffer
// of derivatives that stays in cache, rather than two correlate1d nodes and
// a tile between them. The passes, their order and their rounding are the
// chain's (scipy's: each pass stored in the pass dtype), so the bits are too.
// Geometry here (a halo of one on both axes); the lines are correlate1d's
// kernels, and float32's [-1, 0, 1] runs in float32 (central_difference_f32).
#include <algorithm>
#include <vector>

#include "engine/copy.hpp"
#include "ops/derivatives/derivative.hpp"
#include "ops/filters/correlate_line.hpp"

namespace tessera::detail {

namespace {

bool rows_contiguous(const View& v) {
  const auto item = static_cast<std::int64_t>(itemsize(v.dtype));
  return v.shape[1] == 1 || v.strides[1] == item;
}

class SeparableDerivative2dNode final : public Node {
 public:
  SeparableDerivative2dNode(const Image& input, std::size_t axis, std::vector<double> diff,
                            std::vector<double> smooth, const Boundary& boundary, DType out, const char* op)
      : Node(input.shape(), out, {input}),
        axis_(axis),
        diff_(std::move(diff)),
        smooth_(std::move(smooth)),
        boundary_(boundary),
        pass_(pass_dtype(out)),
        diff_symmetry_(weight_symmetry(diff_)),
        smooth_symmetry_(weight_symmetry(smooth_)),
        central_difference_(diff_ == std::vector<double>{-1.0, 0.0, 1.0}),
        op_(op) {}

  std::string name() const override { return op_; }
  Boundary input_boundary(std::size_t) const override { return boundary_; }
  Region input_region(std::size_t, const Region& out) const override {
    Region r = out;
    for (std::size_t a = 0; a < 2; ++a) {
      r.offset[a] -= 1;
      r.size[a] += 2;
    }
    return r;
  }

  void generate(const Region& region, const std::vector<View>& inputs, const View& out,
                Workspace& workspace) const override {
    const std::int64_t rows = region.size[0], cols = region.size[1];
    // The padded input ((rows + 2) x (cols + 2)), read in place when its rows
    // are contiguous float32 or float64; else converted to float64.
    View in = inputs[0];
    auto in_item = static_cast<std::int64_t>(itemsize(in.dtype));
    if (!is_float(in.dtype) || !rows_contiguous(in) || in.strides[0] % in_item != 0) {
      auto* copy = static_cast<std::byte*>(workspace.get(30, static_cast<std::size_t>(in.count()) * 8));
      const View dense{copy, DType::Float64, in.shape, c_strides(in.shape, 8), nullptr};
      copy_convert(in, dense);
      in = dense;
      in_item = 8;
    }
    // The result's rows, written in place when float with contiguous rows;
    // else in float64, converted at the end.
    View dst = out;
    if (!is_float(out.dtype) || !rows_contiguous(out)) {
      auto* buf = static_cast<std::byte*>(workspace.get(31, static_cast<std::size_t>(region.count()) * 8));
      dst = View{buf, DType::Float64, region.size, c_strides(region.size, 8), nullptr};
    }
    const auto pass_item = static_cast<std::int64_t>(itemsize(pass_));
    const std::int64_t in_row = in.strides[0] / in_item;  // elements between input rows
    const bool f32_difference = central_difference_ && in.dtype == DType::Float32 && pass_ == DType::Float32;
    auto difference = [&](const std::byte* centre, std::int64_t step, std::int64_t lanes, std::byte* o) {
      if (f32_difference)
        filter_kernels().central_difference_f32(reinterpret_cast<const float*>(centre), step, lanes,
                                                reinterpret_cast<float*>(o));
      else
        correlate_line(in.dtype, pass_, centre, step, lanes, diff_.data() + 1, 1, 1, diff_symmetry_, o);
    };
    auto smooth = [&](const std::byte* centre, std::int64_t step, std::int64_t i) {
      correlate_line(pass_, dst.dtype, centre, step, cols, smooth_.data() + 1, 1, 1, smooth_symmetry_,
                     dst.data + i * dst.strides[0]);
    };
    // In constant mode scipy pads each pass's own input with cval: the
    // derivatives beyond the image along the smoothing axis are cval, not
    // the derivative of the padded input (the other modes remap indices, so
    // there the two agree).
    const std::size_t across = 1 - axis_;
    const bool constant = boundary_.on_axis(across) == BoundaryMode::Constant;
    const std::int64_t first = region.offset[across] - 1, extent = shape()[across];
    const double cval = boundary_.cval;
    auto outside = [&](std::int64_t k) { return constant && (first + k < 0 || first + k >= extent); };
    auto fill = [&](std::byte* p, std::int64_t n) {
      if (pass_ == DType::Float32) std::fill_n(reinterpret_cast<float*>(p), n, static_cast<float>(cval));
      else std::fill_n(reinterpret_cast<double*>(p), n, cval);
    };
    if (axis_ == 0) {
      // Per output row: the derivative down the columns over cols + 2 lanes,
      // then smoothed along that row.
      auto* d = static_cast<std::byte*>(workspace.get(32, static_cast<std::size_t>((cols + 2) * pass_item)));
      for (std::int64_t i = 0; i < rows; ++i) {
        difference(in.data + (i + 1) * in.strides[0], in_row, cols + 2, d);
        if (outside(0)) fill(d, 1);
        if (outside(cols + 1)) fill(d + (cols + 1) * pass_item, 1);
        smooth(d + pass_item, 1, i);
      }
    } else {
      // The derivative along each of the rows + 2 input rows, then smoothed
      // down the columns.
      auto* d = static_cast<std::byte*>(workspace.get(32, static_cast<std::size_t>((rows + 2) * cols * pass_item)));
      for (std::int64_t r = 0; r < rows + 2; ++r) {
        if (outside(r)) fill(d + r * cols * pass_item, cols);
        else difference(in.data + r * in.strides[0] + in_item, 1, cols, d + r * cols * pass_item);
      }
      for (std::int64_t i = 0; i < rows; ++i) smooth(d + (i + 1) * cols * pass_item, cols, i);
    }
    if (dst.data != out.data) copy_convert(dst, out);
  }

 private:
  std::size_t axis_;
  std::vector<double> diff_, smooth_;
  Boundary boundary_;
  DType pass_;
  int diff_symmetry_, smooth_symmetry_;
  bool central_difference_;
  const char* op_;
};

}  // namespace

Image separable_derivative_2d(const Image& input, std::size_t axis, const std::vector<double>& diff,
                              const std::vector<double>& smooth, const Boundary& boundary, DType out,
                              const char* op) {
  return Image(std::make_shared<SeparableDerivative2dNode>(filter_input(input, boundary), axis, diff, smooth,
                                                           boundary, out, op));
}

}  // namespace tessera::detail
