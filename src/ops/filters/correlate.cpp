// correlate: scipy.ndimage.correlate, an N-D correlation with any weights,
// in float64 with scipy's order of terms (the non-zero weights in C order),
// so float64 results are its bits. Geometry here (the weights' box around
// each element, moved by origin); per tile, generate() runs the taps kernel
// (filter_kernels) line by line along the last axis, every tap a contiguous
// line of the padded tile: read in place when it is float32 or float64 with
// contiguous rows, else converted to float64 once.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <optional>

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
    exact_products_ = exact_products(input.dtype(), tap_w_);
  }

  std::string name() const override { return "correlate"; }

  // Every product of a weight and an input value is exact in float64 when the
  // weights are float32 numbers and the input has at most 24 significant
  // bits (float32, or integers of up to 16 bits): the kernel may then fuse
  // multiply and add and still give scipy's bits.
  static bool exact_products(DType input, const std::vector<double>& weights) {
    const bool narrow = input == DType::Float32 || input == DType::Bool || input == DType::UInt8 ||
                        input == DType::Int8 || input == DType::UInt16 || input == DType::Int16;
    return narrow && std::all_of(weights.begin(), weights.end(),
                                 [](double w) { return static_cast<double>(static_cast<float>(w)) == w; });
  }
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
    const std::int64_t lanes = region.size[nd - 1];
    if (lanes == 0 || region.count() == 0) return;
    // Rows are the axis before the last (a 1-D input is one row); blocks of
    // up to `block` rows share each input line loaded.
    const bool has_rows = nd >= 2;
    const std::int64_t n_rows = has_rows ? region.size[nd - 2] : 1;
    const std::int64_t in_row_stride = has_rows ? in.strides[nd - 2] : 0;
    const std::int64_t out_row_stride = has_rows ? out.strides[nd - 2] : 0;
    const auto& kernels = detail::filter_kernels();
    const int block = std::max(1, kernels.correlate_block_rows);
    const bool direct_out = typed(out.dtype) && out.strides[nd - 1] == item(out.dtype);
    const auto kernel = kernels.correlate_rows[in.dtype == DType::Float32][direct_out && out.dtype == DType::Float32];
    // Steps for a full block and for the last, shorter one.
    const std::vector<detail::CorrelateStep> full = steps(in, block);
    const int last_rows = static_cast<int>(n_rows % block);
    const std::vector<detail::CorrelateStep> last = last_rows ? steps(in, last_rows) : std::vector<detail::CorrelateStep>{};
    auto* rows_buffer = static_cast<double*>(workspace.get(31, static_cast<std::size_t>(lanes * block) * sizeof(double)));
    Shape idx(nd >= 2 ? nd - 2 : 0, 0);  // the index on the axes before the rows
    const std::int64_t planes = region.count() / (lanes * n_rows);
    for (std::int64_t p = 0; p < planes; ++p) {
      const std::byte* in_plane = in.data;
      std::byte* out_plane = out.data;
      for (std::size_t a = 0; a < idx.size(); ++a) in_plane += idx[a] * in.strides[a], out_plane += idx[a] * out.strides[a];
      for (std::int64_t r = 0; r < n_rows; r += block) {
        const int rows = static_cast<int>(std::min<std::int64_t>(block, n_rows - r));
        const auto& st = rows == block ? full : last;
        std::byte* dst = out_plane + r * out_row_stride;
        if (st.empty()) {  // no weight above DBL_EPSILON: zeros, as scipy
          std::fill(rows_buffer, rows_buffer + lanes * rows, 0.0);
        } else if (direct_out) {
          kernel(st.data(), static_cast<std::int64_t>(st.size()), in_plane + r * in_row_stride, rows, lanes, dst,
                 out_row_stride, exact_products_);
          continue;
        } else {
          kernel(st.data(), static_cast<std::int64_t>(st.size()), in_plane + r * in_row_stride, rows, lanes,
                 rows_buffer, lanes * 8, exact_products_);
        }
        for (int j = 0; j < rows; ++j)
          detail::copy_convert(
              View{reinterpret_cast<std::byte*>(rows_buffer + j * lanes), DType::Float64, {lanes}, {8}, nullptr},
              View{dst + j * out_row_stride, dtype(), {lanes}, {out.strides[nd - 1]}, nullptr});
      }
      for (std::size_t a = idx.size(); a-- > 0;) {
        if (++idx[a] < region.size[a]) break;
        idx[a] = 0;
      }
    }
  }

 private:
  // The steps of a block of `rows` output rows over the padded input `in`:
  // per group of taps sharing their place on the axes before the rows (in C
  // order), each input row the block reaches, in order, and each column
  // offset of the group, in order; row j of the block takes the tap whose
  // row offset puts it on that input row. So each output row receives its
  // taps in C order: scipy's order of terms.
  std::vector<detail::CorrelateStep> steps(const View& in, int rows) const {
    const std::size_t nd = in.shape.size();
    const std::int64_t kh = nd >= 2 ? w_.shape[nd - 2] : 1;
    std::vector<detail::CorrelateStep> out;
    for (std::size_t t0 = 0; t0 < tap_at_.size();) {
      // One group: the taps equal to tap t0 on the axes before the rows.
      std::size_t t1 = t0;
      const auto same_group = [&](std::size_t t) {
        for (std::size_t a = 0; a + 2 < nd; ++a)
          if (tap_at_[t][a] != tap_at_[t0][a]) return false;
        return true;
      };
      while (t1 < tap_at_.size() && same_group(t1)) ++t1;
      std::int64_t group_offset = 0;
      for (std::size_t a = 0; a + 2 < nd; ++a) group_offset += tap_at_[t0][a] * in.strides[a];
      const auto row_of = [&](std::size_t t) { return nd >= 2 ? tap_at_[t][nd - 2] : std::int64_t{0}; };
      std::vector<std::int64_t> columns;
      for (std::size_t t = t0; t < t1; ++t) columns.push_back(tap_at_[t][nd - 1]);
      std::sort(columns.begin(), columns.end());
      columns.erase(std::unique(columns.begin(), columns.end()), columns.end());
      for (std::int64_t y = 0; y < rows + kh - 1; ++y) {
        for (std::int64_t x : columns) {
          detail::CorrelateStep st{};
          st.offset = group_offset + (nd >= 2 ? y * in.strides[nd - 2] : 0) + x * in.strides[nd - 1];
          for (int j = 0; j < rows; ++j)
            for (std::size_t t = t0; t < t1; ++t)
              if (row_of(t) == y - j && tap_at_[t][nd - 1] == x) {
                st.mask |= 1u << j;
                st.w[j] = tap_w_[t];
              }
          if (st.mask) out.push_back(st);
        }
      }
      t0 = t1;
    }
    return out;
  }

  detail::Weights w_;
  Shape origin_;
  Boundary boundary_;
  std::vector<Shape> tap_at_;
  std::vector<double> tap_w_;
  bool exact_products_ = false;
};

}  // namespace

namespace {

// Weights that are one vector per axis multiplied together (a box, a
// Gaussian, a Sobel kernel): those vectors, else nothing. Each weight must
// be within 1e-13 of the largest of the product of its factors, and none
// may be zero (scipy leaves zero weights out of the N-D sum, so that inf * 0
// never enters it; a 1-D pass would multiply them).
std::optional<std::vector<std::vector<double>>> separable_factors(const detail::Weights& w) {
  const std::size_t nd = w.shape.size();
  std::size_t peak = 0;
  for (std::size_t k = 0; k < w.values.size(); ++k) {
    if (std::fabs(w.values[k]) <= DBL_EPSILON) return std::nullopt;
    if (std::fabs(w.values[k]) > std::fabs(w.values[peak])) peak = k;
  }
  const Shape strides = c_strides(w.shape, 1);
  Shape at(nd);
  for (std::size_t a = 0; a < nd; ++a) at[a] = static_cast<std::int64_t>(peak) / strides[a] % w.shape[a];
  // The line through the peak along each axis; all but the first divided by the peak.
  std::vector<std::vector<double>> factors(nd);
  for (std::size_t a = 0; a < nd; ++a)
    for (std::int64_t k = 0; k < w.shape[a]; ++k) {
      const double v = w.values[static_cast<std::size_t>(static_cast<std::int64_t>(peak) + (k - at[a]) * strides[a])];
      factors[a].push_back(a == 0 ? v : v / w.values[peak]);
    }
  const double tolerance = 1e-13 * std::fabs(w.values[peak]);
  Shape idx(nd, 0);
  for (double v : w.values) {
    double product = 1.0;
    for (std::size_t a = 0; a < nd; ++a) product *= factors[a][static_cast<std::size_t>(idx[a])];
    if (std::fabs(product - v) > tolerance) return std::nullopt;
    for (std::size_t a = nd; a-- > 0;) {
      if (++idx[a] < w.shape[a]) break;
      idx[a] = 0;
    }
  }
  return factors;
}

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

Image correlate_weights(const Image& input, const Weights& w, const Shape& origin, const Boundary& boundary,
                        std::optional<DType> out) {
  if (input.ndim() == 0) throw ValueError("correlate: the input must have at least one axis");
  const DType result = filter_result_dtype(input.dtype(), out);
  // Separable weights as one 1-D pass per axis (float64 between them): a
  // window's cost becomes its sum of sides, not its area (taken from 9x9 on,
  // where that wins over the row blocks' FMA). Only for results
  // below float64, where the passes' float64 rounding (a few units in the
  // last place of a float64) is far below the result's; float64 results keep
  // scipy's N-D sum, bit for bit. A constant other than 0 is not separable
  // (the N-D window reads it in the corners, a second pass would read the
  // first pass's sums of it).
  std::int64_t taps = 1, sides = 0, axes_used = 0;
  for (auto s : w.shape) taps *= s, sides += s, axes_used += s > 1;
  const bool constant_nonzero = boundary.uses(BoundaryMode::Constant, input.ndim()) && boundary.cval != 0.0;
  if (result != DType::Float64 && axes_used >= 2 && taps > 4 * sides && !constant_nonzero) {
    if (const auto factors = separable_factors(w)) {
      Image r = input;
      const std::size_t nd = w.shape.size();
      std::size_t done = 0;
      for (std::size_t a = 0; a < nd; ++a) {
        if (w.shape[a] == 1 && (*factors)[a][0] == 1.0) {
          if (++done == nd) r = r.astype(result);
          continue;
        }
        r = correlate1d(r, (*factors)[a], static_cast<std::int64_t>(a), boundary, origin[a],
                        ++done == nd ? result : DType::Float64);
      }
      return r;
    }
  }
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
           "its bits). Float input keeps its precision; integer input gives float32 unless output says. Separable "
           "weights (one vector per axis multiplied, 9 or more per axis) run as 1-D passes for results below "
           "float64.",
    .params = param::join({{param::input(), detail::weights_param(),
                            param::output_dtype("the result's dtype (default: float64 for float64 input, else "
                                                "float32)")},
                           param::boundary(),
                           {detail::origin_param()}}),
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> {
      return {correlate(a.image("input"), *a.optional_image("weights"), a.ints("origin"), a.boundary(),
                        a.dtype("output"))};
    },
});
}  // namespace

}  // namespace tessera
