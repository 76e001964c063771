// correlate: scipy.ndimage.correlate, an N-D correlation with any weights,
// in float64 with scipy's order of terms (the non-zero weights in C order),
// so float64 results are its bits. Geometry here (the weights' box around
// each element, moved by origin); per tile, generate() runs the taps kernel
// (filter_kernels) line by line along the last axis, every tap a contiguous
// line of the padded tile: read in place when it is float32 or float64 with
// contiguous rows, else converted to float64 once.
#include <cfloat>
#include <cmath>

#include "engine/copy.hpp"
#include "ops/filters/correlate.hpp"
#include "ops/filters/filter_kernels.hpp"
#include "ops/filters/window.hpp"
#include "tessera/filters.hpp"
#include "tessera/operation.hpp"

namespace tessera {

namespace {

class CorrelateNode final : public Node {
 public:
  CorrelateNode(const Image& input, detail::Weights weights, Shape origin, Boundary boundary, DType out)
      : Node(input.shape(), out, {input}), w_(std::move(weights)), origin_(std::move(origin)), boundary_(boundary) {
    // The taps: scipy's footprint, the weights whose magnitude passes DBL_EPSILON, in C order.
    const std::size_t nd = w_.shape.size();
    Shape at(nd, 0);
    for (std::size_t k = 0; k < w_.values.size(); ++k) {
      if (std::fabs(w_.values[k]) > DBL_EPSILON) {
        tap_at_.push_back(at);
        tap_w_.push_back(w_.values[k]);
      }
      for (std::size_t a = nd; a-- > 0;) {
        if (++at[a] < w_.shape[a]) break;
        at[a] = 0;
      }
    }
  }

  std::string name() const override { return "correlate"; }
  Boundary input_boundary(std::size_t) const override { return boundary_; }
  Region input_region(std::size_t, const Region& out) const override {
    Region r = out;
    for (std::size_t a = 0; a < r.ndim(); ++a) {
      r.offset[a] -= w_.shape[a] / 2 + origin_[a];
      r.size[a] += w_.shape[a] - 1;
    }
    return r;
  }

  void generate(const Region& region, const std::vector<View>& inputs, const View& out, Workspace& workspace) const override {
    const std::size_t nd = region.ndim();
    // The padded input read in place when it is float32 or float64 with
    // contiguous rows (a numpy array's tile); else converted to float64.
    View in = inputs[0];
    const auto item = [](DType d) { return static_cast<std::int64_t>(itemsize(d)); };
    const auto typed = [](DType d) { return d == DType::Float32 || d == DType::Float64; };
    if (!typed(in.dtype) || in.strides[nd - 1] != item(in.dtype)) {
      const Shape& ps = in.shape;
      auto* dense = static_cast<std::byte*>(workspace.get(30, static_cast<std::size_t>(element_count(ps)) * 8));
      const View d{dense, DType::Float64, ps, c_strides(ps, 8), nullptr};
      detail::copy_convert(in, d);
      in = d;
    }
    std::vector<std::int64_t> tap_offset(tap_w_.size(), 0);  // bytes
    for (std::size_t t = 0; t < tap_w_.size(); ++t)
      for (std::size_t a = 0; a < nd; ++a) tap_offset[t] += tap_at_[t][a] * in.strides[a];
    const std::int64_t lanes = region.size[nd - 1];
    const bool direct_out = typed(out.dtype) && out.strides[nd - 1] == item(out.dtype);
    auto* row = static_cast<double*>(workspace.get(31, static_cast<std::size_t>(lanes) * sizeof(double)));
    auto* taps = static_cast<const void**>(workspace.get(32, tap_w_.size() * sizeof(void*) + 8));
    const auto kernel = detail::filter_kernels()
                            .correlate_taps[in.dtype == DType::Float32][direct_out && out.dtype == DType::Float32];
    Shape idx(nd - 1, 0);
    const std::int64_t rows = region.count() / std::max<std::int64_t>(lanes, 1);
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::byte* base = in.data;
      std::byte* dst = out.data;
      for (std::size_t a = 0; a + 1 < nd; ++a) base += idx[a] * in.strides[a], dst += idx[a] * out.strides[a];
      for (std::size_t t = 0; t < tap_w_.size(); ++t) taps[t] = base + tap_offset[t];
      void* target = direct_out ? static_cast<void*>(dst) : static_cast<void*>(row);
      if (tap_w_.empty()) {
        std::fill(row, row + lanes, 0.0);
        target = row;
      } else {
        kernel(taps, tap_w_.data(), static_cast<std::int64_t>(tap_w_.size()), lanes, target);
      }
      if (target == row)
        detail::copy_convert(View{reinterpret_cast<std::byte*>(row), DType::Float64, {lanes}, {8}, nullptr},
                             View{dst, dtype(), {lanes}, {out.strides[nd - 1]}, nullptr});
      for (std::size_t a = nd - 1; a-- > 0;) {
        if (++idx[a] < region.size[a]) break;
        idx[a] = 0;
      }
    }
  }

 private:
  detail::Weights w_;
  Shape origin_;
  Boundary boundary_;
  std::vector<Shape> tap_at_;
  std::vector<double> tap_w_;
};

}  // namespace

namespace detail {

Weights weights_of(const char* op, const Image& weights, std::size_t ndim) {
  if (weights.ndim() != ndim)
    throw ValueError(std::string(op) + ": weights have " + std::to_string(weights.ndim()) + " dimension" +
                     (weights.ndim() == 1 ? "" : "s") + ", the input " + std::to_string(ndim) +
                     "; they must have the input's rank");
  for (auto s : weights.shape())
    if (s < 1 || s > kMaxWindow)
      throw ValueError(std::string(op) + ": weights of shape " + shape_to_string(weights.shape()) +
                       " (each axis from 1 to " + std::to_string(kMaxWindow) + ")");
  if (is_bool(weights.dtype())) throw TypeError(std::string(op) + ": weights must be numbers, not booleans");
  Weights w;
  w.shape = weights.shape();
  const Buffer b = weights.astype(DType::Float64).compute();
  w.values.assign(b.data_as<double>(), b.data_as<double>() + element_count(w.shape));
  for (double v : w.values)
    if (!std::isfinite(v)) throw ValueError(std::string(op) + ": weights must be finite");
  return w;
}

Shape origins_of(const char* op, const Shape& origin, const Shape& wshape) {
  Shape o = origin.size() == 1 ? Shape(wshape.size(), origin[0]) : origin;
  if (o.size() != wshape.size())
    throw ValueError(std::string(op) + ": origin must be one number or one per axis (" +
                     std::to_string(wshape.size()) + ")");
  for (std::size_t a = 0; a < o.size(); ++a)
    if (o[a] < -(wshape[a] / 2) || o[a] > (wshape[a] - 1) / 2)
      throw ValueError(std::string(op) + ": origin " + std::to_string(o[a]) + " on axis " + std::to_string(a) +
                       " must be between " + std::to_string(-(wshape[a] / 2)) + " and " +
                       std::to_string((wshape[a] - 1) / 2) + " for weights of size " + std::to_string(wshape[a]));
  return o;
}

Image correlate_weights(const Image& input, const Weights& w, const Shape& origin, const Boundary& boundary,
                        std::optional<DType> out) {
  if (input.ndim() == 0) throw ValueError("correlate: the input must have at least one axis");
  return Image(std::make_shared<CorrelateNode>(filter_input(input, boundary), w, origin, boundary,
                                               filter_result_dtype(input.dtype(), out)));
}

}  // namespace detail

Image correlate(const Image& input, const Image& weights, const Shape& origin, const Boundary& boundary,
                std::optional<DType> out) {
  const detail::Weights w = detail::weights_of("correlate", weights, input.ndim());
  return detail::correlate_weights(input, w, detail::origins_of("correlate", origin, w.shape), boundary, out);
}

namespace {
const bool registered = register_operation({
    .name = "correlate",
    .summary = "An N-D correlation with any weights, as scipy.ndimage.correlate, in float64.",
    .doc = "out[i] = sum_j weights[j] * input[i + j - shape // 2 - origin], the input extended by mode; the weights "
           "whose magnitude passes DBL_EPSILON, in C order, summed in float64 as scipy does (float64 results are "
           "its bits). Float input keeps its precision; integer input gives float32 unless output says.",
    .params = param::join({{param::input(), detail::weights_param(),
                            param::output_dtype("the result's dtype (default: float64 for float64 input, else "
                                                "float32)")},
                           param::boundary(),
                           {param::ints("origin", 0, "shifts the window, one or one per axis")}}),
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> {
      return {correlate(a.image("input"), *a.optional_image("weights"), a.ints("origin"), a.boundary(),
                        a.dtype("output"))};
    },
});
}  // namespace

}  // namespace tessera
