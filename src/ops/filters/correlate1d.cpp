// correlate1d: a 1-D correlation along one axis, as scipy.ndimage's
// correlate1d, in float64 with scipy's order of terms (so float64 results are
// its bits). Geometry here (the window along the axis, shifted by origin);
// per tile, generate() runs the correlation kernel (filter_kernels_impl.cpp)
// line by line: along the last axis each output row is one line, along any
// other axis each output position is a line of every lane behind it, so
// every memory access is contiguous. Separable filters (gaussian_filter)
// chain it, one node per axis, float64 between them.
#include <vector>

#include "engine/copy.hpp"
#include "ops/filters/correlate_line.hpp"
#include "ops/filters/window.hpp"
#include "tessera/filters.hpp"
#include "tessera/operation.hpp"

namespace tessera {

namespace {

// Whether the axes after `axis` (and `axis` itself with `with_axis`) of v are
// one C-contiguous run of elements.
bool lanes_contiguous(const View& v, std::size_t axis, bool with_axis) {
  std::int64_t expect = static_cast<std::int64_t>(itemsize(v.dtype));
  for (std::size_t b = v.ndim(); b-- > axis + (with_axis ? 0 : 1);) {
    if (v.shape[b] != 1 && v.strides[b] != expect) return false;
    expect *= v.shape[b];
  }
  return true;
}

class Correlate1dNode final : public Node {
 public:
  Correlate1dNode(const Image& input, std::vector<double> weights, std::size_t axis, Boundary boundary,
                  std::int64_t origin, DType out)
      : Node(input.shape(), out, {input}),
        weights_(std::move(weights)),
        axis_(axis),
        boundary_(boundary),
        origin_(origin),
        before_(static_cast<std::int64_t>(weights_.size()) / 2),
        after_(static_cast<std::int64_t>(weights_.size()) - before_ - 1),
        symmetry_(detail::weight_symmetry(weights_)) {}

  std::string name() const override { return "correlate1d"; }
  Boundary input_boundary(std::size_t) const override { return boundary_; }
  Region input_region(std::size_t, const Region& out) const override {
    Region r = out;
    r.offset[axis_] -= before_ + origin_;
    r.size[axis_] += before_ + after_;
    return r;
  }

  void generate(const Region& region, const std::vector<View>& inputs, const View& out, Workspace& workspace) const override {
    const std::size_t a = axis_, nd = region.ndim();
    const bool last = a + 1 == nd;
    // The padded input, read in place when its lanes are contiguous float32
    // or float64; else converted to contiguous float64 (integers, views).
    View in = inputs[0];
    const bool direct_in = (in.dtype == DType::Float32 || in.dtype == DType::Float64) &&
                           lanes_contiguous(in, a, last) && in.strides[a] % static_cast<std::int64_t>(itemsize(in.dtype)) == 0;
    if (!direct_in) {
      auto* copy = static_cast<std::byte*>(workspace.get(30, static_cast<std::size_t>(in.count()) * 8));
      const View dense{copy, DType::Float64, in.shape, c_strides(in.shape, 8), nullptr};
      detail::copy_convert(in, dense);
      in = dense;
    }
    // The output, written in place when float32 or float64 with contiguous lanes.
    const bool direct_out = (out.dtype == DType::Float32 || out.dtype == DType::Float64) && lanes_contiguous(out, a, last);
    View dst = out;
    if (!direct_out) {
      auto* buf = static_cast<std::byte*>(workspace.get(31, static_cast<std::size_t>(region.count()) * 8));
      dst = View{buf, DType::Float64, region.size, c_strides(region.size, 8), nullptr};
    }
    const std::int64_t in_item = static_cast<std::int64_t>(itemsize(in.dtype));
    const std::int64_t step = in.strides[a] / in_item;  // elements between positions along the axis
    std::int64_t inner = 1;
    for (std::size_t b = a + 1; b < nd; ++b) inner *= region.size[b];
    const std::int64_t n = region.size[a];
    const double* w = weights_.data() + before_;
    auto line = [&](const std::byte* centre, std::int64_t line_step, std::int64_t lanes, std::byte* o) {
      detail::correlate_line(in.dtype, dst.dtype, centre, line_step, lanes, w, before_, after_, symmetry_, o);
    };
    // Walk the axes before `a` (any strides); per position, the lines.
    Shape idx(a, 0);
    std::int64_t outer = 1;
    for (std::size_t b = 0; b < a; ++b) outer *= region.size[b];
    for (std::int64_t o = 0; o < outer; ++o) {
      const std::byte* src = in.data;
      std::byte* out_base = dst.data;
      for (std::size_t b = 0; b < a; ++b) {
        src += idx[b] * in.strides[b];
        out_base += idx[b] * dst.strides[b];
      }
      if (last) {
        // One line along the row: the lanes are the row's positions.
        line(src + before_ * in_item, 1, n, out_base);
      } else {
        // A line per position along the axis: the lanes are every element behind it.
        for (std::int64_t i = 0; i < n; ++i)
          line(src + (i + before_) * in.strides[a], step, inner, out_base + i * dst.strides[a]);
      }
      for (std::size_t b = a; b-- > 0;) {
        if (++idx[b] < region.size[b]) break;
        idx[b] = 0;
      }
    }
    if (!direct_out) detail::copy_convert(dst, out);
  }

 private:
  std::vector<double> weights_;
  std::size_t axis_;
  Boundary boundary_;
  std::int64_t origin_, before_, after_;
  int symmetry_;
};

}  // namespace

Image correlate1d(const Image& input, const std::vector<double>& weights, std::int64_t axis, const Boundary& boundary,
                  std::int64_t origin, std::optional<DType> out) {
  const Operation& op = operation("correlate1d");
  check_argument(op, op.param("weights"), weights);
  const std::int64_t nd = static_cast<std::int64_t>(input.ndim());
  if (nd == 0) throw ValueError("correlate1d: the input must have at least one axis");
  if (axis < -nd || axis >= nd)
    throw ValueError("correlate1d: axis " + std::to_string(axis) + " is out of range for a " + std::to_string(nd) +
                     "-D input");
  const std::int64_t size = static_cast<std::int64_t>(weights.size());
  if (origin < -(size / 2) || origin > (size - 1) / 2)
    throw ValueError("correlate1d: origin must be between " + std::to_string(-(size / 2)) + " and " +
                     std::to_string((size - 1) / 2) + " for " + std::to_string(size) + " weights, got " +
                     std::to_string(origin));
  const std::size_t a = static_cast<std::size_t>(axis < 0 ? axis + nd : axis);
  return Image(std::make_shared<Correlate1dNode>(detail::filter_input(input, boundary), weights, a, boundary, origin,
                                                 filter_result_dtype(input.dtype(), out)));
}

namespace {
const bool registered = register_operation({
    .name = "correlate1d",
    .summary = "A 1-D correlation along one axis, as scipy.ndimage.correlate1d, in float64.",
    .doc = "out[i] = sum_j weights[j] * input[i + j - len(weights) // 2 - origin] along axis, the input extended "
           "by mode. Sums in float64 in scipy's order of terms (pairs first where the weights are symmetric), so "
           "a float64 result equals scipy's bit for bit. Float input keeps its precision; integer input gives "
           "float32 unless output says.",
    .params = param::join({{param::input(), param::reals("weights", std::nullopt, "the weights, one per tap"),
                            param::integer("axis", -1, "the axis to correlate along (negative: from the end)"),
                            param::output_dtype("the result's dtype (default: float64 for float64 input, else "
                                                "float32)")},
                           param::boundary(),
                           {param::integer("origin", 0, "shifts the window: positive values to the left")}}),
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> {
      return {correlate1d(a.image("input"), a.reals("weights"), a.integer("axis"), a.boundary(), a.integer("origin"),
                          a.dtype("output"))};
    },
});
}  // namespace

}  // namespace tessera
