// uniform_filter: geometry (window and halo per axis) in the node, the
// separable float64 window sums in generate(), one axis pass at a time.
#include <cmath>
#include <algorithm>
#include <vector>

#include "core/cast.hpp"
#include "engine/copy.hpp"
#include "ops/filters/filter_kernels.hpp"
#include "ops/filters/window.hpp"
#include "tessera/filters.hpp"
#include "tessera/operation.hpp"

namespace tessera {

namespace detail {

Image filter_input(const Image& input, const Boundary& boundary) {
  if (!boundary.uses(BoundaryMode::Constant, input.ndim()) || input.dtype() == DType::Float64 ||
      (input.dtype() == DType::Float32 && std::isnan(boundary.cval)))
    return input;
  const bool exact = dispatch(input.dtype(), [&](auto t) {
    using T = typename decltype(t)::type;
    return static_cast<double>(convert<T>(boundary.cval)) == boundary.cval;
  });
  return exact ? input : input.astype(DType::Float64);
}

Shape window_sizes(const Shape& size, std::size_t ndim, const char* what) {
  Shape s = size;
  if (s.size() == 1 && ndim > 1) s.assign(ndim, size[0]);
  if (s.size() != ndim)
    throw ValueError(std::string(what) + ": size " + shape_to_string(size) + " must have one entry per axis (" +
                     std::to_string(ndim) + ") or be a single number");
  for (auto& v : s) {
    if (v < 0 || v > kMaxWindow)
      throw ValueError(std::string(what) + ": window sizes must be between 0 and " + std::to_string(kMaxWindow) +
                       ", got " + shape_to_string(size));
    if (v == 0) v = 1;  // 0 leaves the axis alone, as 1 does (scipy)
  }
  return s;
}

ParamSpec axes_param() {
  ParamSpec p = param::ints("axes", 0, "the axes filtered (None: every axis); size and the like then give one value "
                                       "or one per listed axis");
  p.required = false;
  p.default_value = std::monostate{};
  return p;
}

std::vector<std::size_t> checked_axes(const char* op, const Shape& axes, std::size_t ndim) {
  std::vector<std::size_t> out;
  const auto n = static_cast<std::int64_t>(ndim);
  for (std::int64_t a : axes) {
    if (a < -n || a >= n)
      throw ValueError(std::string(op) + ": axis " + std::to_string(a) + " is out of range for a " +
                       std::to_string(ndim) + "-D input");
    const auto k = static_cast<std::size_t>(a < 0 ? a + n : a);
    if (std::find(out.begin(), out.end(), k) != out.end())
      throw ValueError(std::string(op) + ": axis " + std::to_string(a) + " is repeated in axes");
    out.push_back(k);
  }
  return out;
}

namespace {
template <typename T>
std::vector<T> spread(const char* op, const std::vector<T>& values, const std::optional<Shape>& axes, std::size_t ndim,
                      T fill) {
  if (!axes) return values;
  const std::vector<std::size_t> ax = checked_axes(op, *axes, ndim);
  if (values.size() != 1 && values.size() != ax.size())
    throw ValueError(std::string(op) + ": with axes, give one value or one per listed axis (" +
                     std::to_string(ax.size()) + "), not " + std::to_string(values.size()));
  std::vector<T> out(ndim, fill);
  for (std::size_t k = 0; k < ax.size(); ++k) out[ax[k]] = values.size() == 1 ? values[0] : values[k];
  return out;
}
}  // namespace

Shape on_axes(const char* op, const Shape& values, const std::optional<Shape>& axes, std::size_t ndim,
              std::int64_t fill) {
  return spread<std::int64_t>(op, values, axes, ndim, fill);
}
std::vector<double> on_axes(const char* op, const std::vector<double>& values, const std::optional<Shape>& axes,
                            std::size_t ndim, double fill) {
  return spread<double>(op, values, axes, ndim, fill);
}

ParamSpec window_length_param() {
  ParamSpec p = param::integer("size", 1, "the window along the axis");
  p.required = true;
  p.min = 1;
  return p;
}

Region window_input_region(const Region& out, const Shape& size, const Shape& origin) {
  Region r = origin_shifted(out, origin);
  for (std::size_t a = 0; a < size.size(); ++a) {
    r.offset[a] -= size[a] / 2;  // scipy's origin 0: the left half is the larger for even sizes
    r.size[a] += size[a] - 1;
  }
  return r;
}

Region origin_shifted(const Region& region, const Shape& origin) {
  Region r = region;
  for (std::size_t a = 0; a < origin.size() && a < r.ndim(); ++a) r.offset[a] -= origin[a];
  return r;
}

Shape origins_of(const char* op, const Shape& origin, const Shape& wshape) {
  if (origin.empty()) return Shape(wshape.size(), 0);
  Shape o = origin.size() == 1 ? Shape(wshape.size(), origin[0]) : origin;
  if (o.size() != wshape.size())
    throw ValueError(std::string(op) + ": origin must be one number or one per axis (" +
                     std::to_string(wshape.size()) + ")");
  for (std::size_t a = 0; a < o.size(); ++a)
    if (o[a] < -(wshape[a] / 2) || o[a] > (wshape[a] - 1) / 2)
      throw ValueError(std::string(op) + ": origin " + std::to_string(o[a]) + " on axis " + std::to_string(a) +
                       " must be between " + std::to_string(-(wshape[a] / 2)) + " and " +
                       std::to_string((wshape[a] - 1) / 2) + " for a window of size " + std::to_string(wshape[a]));
  return o;
}

ParamSpec origin_param() {
  return param::ints("origin", 0, "moves the window: output i reads from i - size // 2 - origin (scipy's origin), "
                                  "one or one per axis");
}

Shape window_block_grid(const Shape& size) {
  Shape grid(size.size(), 1);
  for (std::size_t a = 0; a < size.size(); ++a)
    if (size[a] > kSlidingDirectMax) grid[a] = size[a];
  return grid;
}

namespace {

double* scratch_doubles(Workspace& workspace, std::size_t slot, std::size_t count) {
  return workspace.get<double>(slot, count);
}

// Writes sums / count into `out` (shape region.size), converting to its dtype.
void finish_window_means(Workspace& workspace, const double* sums, const Region& region, double count,
                         const View& out) {
  const FilterKernels& k = filter_kernels();
  if (rows_contiguous(out) && (out.dtype == DType::Float32 || out.dtype == DType::Float64)) {
    // Row by row straight into the output: scale and convert in one pass.
    const std::int64_t cols = region.ndim() ? region.size[region.ndim() - 1] : 1;
    for_each_row(out, [&](std::int64_t r, std::byte* dst) {
      if (out.dtype == DType::Float32) k.finish_f32(sums + r * cols, reinterpret_cast<float*>(dst), cols, 1.0 / count);
      else k.finish_f64(sums + r * cols, reinterpret_cast<double*>(dst), cols, count);
    });
    return;
  }
  // Any other output: means in float64, then tessera's conversion.
  double* means = scratch_doubles(workspace, 9, static_cast<std::size_t>(region.count()));
  k.finish_f64(sums, means, region.count(), count);
  copy_convert(View{reinterpret_cast<std::byte*>(means), DType::Float64, region.size,
                    c_strides(region.size, sizeof(double)), nullptr},
               out);
}

class UniformFilterNode final : public Node {
 public:
  UniformFilterNode(const Image& input, Shape size, Boundary boundary, DType out, Shape origin)
      : Node(input.shape(), out, {input}), size_(std::move(size)), boundary_(boundary), origin_(std::move(origin)) {}

  std::string name() const override { return "uniform_filter"; }
  Boundary input_boundary(std::size_t) const override { return boundary_; }
  Region input_region(std::size_t, const Region& out) const override {
    return window_input_region(out, size_, origin_);
  }
  Shape block_grid() const override { return window_block_grid(size_); }

  void generate(const Region& out_region, const std::vector<View>& inputs, const View& out, Workspace& workspace) const override {
    // The sums align their blocks where a window with origin 0 would read.
    const Region region = origin_shifted(out_region, origin_);
    double count = 1;
    for (auto v : size_) count *= static_cast<double>(v);
    // A float32 result whose last axis is filtered: the row pass writes it.
    const std::size_t nd = region.ndim();
    const std::int64_t last = size_[nd - 1];
    if (out.dtype == DType::Float32 && nd >= 1 && last > 1 && last <= 8 &&
        out.strides[nd - 1] == static_cast<std::int64_t>(sizeof(float))) {
      Shape sizes = size_;
      sizes[nd - 1] = 1;
      Region partial = region;
      partial.size[nd - 1] += last - 1;
      partial.offset[nd - 1] -= last / 2;
      View padded = inputs[0];
      window_sums(workspace, padded, partial, sizes, 0, false, -1);  // every axis but the last
      const double* sums = window_sums_result(workspace, 0, static_cast<std::size_t>(partial.count()));
      const std::int64_t in_cols = partial.size[nd - 1], cols = region.size[nd - 1];
      for_each_row(out, [&](std::int64_t r, std::byte* dst) {
        filter_kernels().row_mean_f32(sums + r * in_cols, reinterpret_cast<float*>(dst), cols, last, 1.0 / count);
      });
      return;
    }
    window_sums(workspace, inputs[0], region, size_, 0, false, -1);
    const double* sums = window_sums_result(workspace, 0, static_cast<std::size_t>(region.count()));
    finish_window_means(workspace, sums, region, count, out);
  }

 private:
  Shape size_;
  Boundary boundary_;
  Shape origin_;
};

}  // namespace

// Window sums of a padded input into workspace slot `slot` (as float64,
// C order, shape region.size). Exposed for the filters built on it.
void window_sums(Workspace& workspace, const View& padded, const Region& region, const Shape& size, int slot_base,
                 bool square, int squares_slot_base) {
  const std::size_t nd = region.ndim();
  const auto slot = [&](int k) { return static_cast<std::size_t>(slot_base + k); };
  std::vector<std::size_t> passes;
  for (std::size_t a = 0; a < nd; ++a)
    if (size[a] > 1) passes.push_back(a);
  const FilterKernels& k = filter_kernels();
  Shape shape = padded.shape;
  const double* cur = nullptr;
  // float32 or float64 input whose axes after the first pass's are
  // contiguous: the first pass reads it in place (no float64 copy of it).
  bool direct_first = false;
  const bool f32 = padded.dtype == DType::Float32;
  if ((f32 || padded.dtype == DType::Float64) && !passes.empty()) {
    const std::int64_t item = static_cast<std::int64_t>(itemsize(padded.dtype));
    std::int64_t expect = item;
    direct_first = true;
    for (std::size_t b = nd; b-- > passes[0] + 1;) {
      direct_first = direct_first && (shape[b] == 1 || padded.strides[b] == expect);
      expect *= shape[b];
    }
    direct_first = direct_first && padded.strides[passes[0]] % item == 0;
  }
  if (!direct_first) {
    double* copy = scratch_doubles(workspace, slot(2), static_cast<std::size_t>(element_count(shape)));
    copy_convert(padded, View{reinterpret_cast<std::byte*>(copy), DType::Float64, shape,
                              c_strides(shape, sizeof(double)), nullptr});
    cur = copy;
    if (square && passes.empty())
      for (std::int64_t i = 0; i < element_count(shape); ++i) copy[i] *= copy[i];
  }
  int ping = 3;
  bool squares_done = false;
  for (std::size_t p = 0; p < passes.size(); ++p) {
    const std::size_t a = passes[p];
    Shape next_shape = shape;
    next_shape[a] = region.size[a];
    std::int64_t outer = 1, inner = 1;
    for (std::size_t b = 0; b < a; ++b) outer *= shape[b];
    for (std::size_t b = a + 1; b < nd; ++b) inner *= shape[b];
    const bool last = p + 1 == passes.size();
    double* nxt = scratch_doubles(workspace, last ? slot(1) : slot(ping), static_cast<std::size_t>(element_count(next_shape)));
    ping = ping == 3 ? 4 : 3;
    double* scratch = scratch_doubles(workspace, slot(5), static_cast<std::size_t>(2 * shape[a] * inner));
    const std::int64_t n_in = shape[a], n_out = next_shape[a];
    const std::int64_t origin = region.offset[a] - size[a] / 2;
    if (p == 0 && direct_first && squares_slot_base >= 0) {
      // Both sums' first pass in one read of the input; the rest per sum.
      // A last pass writes the squares' result slot (+1); otherwise slot +6,
      // as the recursive call below uses +1 to +5 of the same base.
      double* nxt2 = scratch_doubles(workspace, static_cast<std::size_t>(squares_slot_base) + (last ? 1 : 6),
                                    static_cast<std::size_t>(element_count(next_shape)));
      Shape idx(a, 0);
      bool fused = true;
      for (std::int64_t o = 0; o < outer && fused; ++o) {
        const std::byte* base = padded.data;
        for (std::size_t b = 0; b < a; ++b) base += idx[b] * padded.strides[b];
        const std::int64_t step = padded.strides[a] / static_cast<std::int64_t>(itemsize(padded.dtype));
        fused = f32 ? k.sum_and_squares_f32(reinterpret_cast<const float*>(base), step, nxt + o * n_out * inner,
                                            nxt2 + o * n_out * inner, inner, n_out, inner, size[a])
                    : k.sum_and_squares_f64(reinterpret_cast<const double*>(base), step, nxt + o * n_out * inner,
                                            nxt2 + o * n_out * inner, inner, n_out, inner, size[a]);
        for (std::size_t b = a; b-- > 0;) {
          if (++idx[b] < shape[b]) break;
          idx[b] = 0;
        }
      }
      if (fused) {
        // Finish the squares from their first pass, then carry on with the sums.
        if (!last) {
          const View first{reinterpret_cast<std::byte*>(nxt2), DType::Float64, next_shape,
                           c_strides(next_shape, sizeof(double)), nullptr};
          Region rest = region;
          Shape rest_size = size;
          rest_size[a] = 1;
          window_sums(workspace, first, rest, rest_size, squares_slot_base, false, -1);
        }
        squares_done = true;
        cur = nxt;
        shape = next_shape;
        continue;
      }
    }
    if (p == 0 && direct_first) {
      // Outer axes of the view may have any stride: walk them.
      Shape idx(a, 0);
      for (std::int64_t o = 0; o < outer; ++o) {
        const std::byte* base = padded.data;
        for (std::size_t b = 0; b < a; ++b) base += idx[b] * padded.strides[b];
        const std::int64_t step = padded.strides[a] / static_cast<std::int64_t>(itemsize(padded.dtype));
        double* dst = nxt + o * n_out * inner;
        if (f32)
          (square ? k.sliding_sumsq_f32 : k.sliding_sum_f32)(reinterpret_cast<const float*>(base), step, dst, inner,
                                                             n_out, inner, size[a], origin, scratch);
        else
          (square ? k.sliding_sumsq : k.sliding_sum)(reinterpret_cast<const double*>(base), step, dst, inner, n_out,
                                                     inner, size[a], origin, scratch);
        for (std::size_t b = a; b-- > 0;) {
          if (++idx[b] < shape[b]) break;
          idx[b] = 0;
        }
      }
    } else {
      const auto pass = (square && p == 0) ? k.sliding_sumsq : k.sliding_sum;
      for (std::int64_t o = 0; o < outer; ++o)
        pass(cur + o * n_in * inner, inner, nxt + o * n_out * inner, inner, n_out, inner, size[a], origin, scratch);
    }
    cur = nxt;
    shape = next_shape;
  }
  if (passes.empty()) {  // every size 1: the sums are the input itself
    double* dst = scratch_doubles(workspace, slot(1), static_cast<std::size_t>(region.count()));
    std::copy(cur, cur + region.count(), dst);
  }
  if (squares_slot_base >= 0 && !squares_done) window_sums(workspace, padded, region, size, squares_slot_base, true, -1);
}

double* window_sums_result(Workspace& workspace, int slot_base, std::size_t count) {
  return scratch_doubles(workspace, static_cast<std::size_t>(slot_base) + 1, count);
}

}  // namespace detail

DType filter_result_dtype(DType input, std::optional<DType> out) {
  if (out) return *out;
  return input == DType::Float64 ? DType::Float64 : DType::Float32;
}

Image uniform_filter(const Image& input, const Shape& size, const Boundary& boundary, std::optional<DType> out,
                     const Shape& origin) {
  if (input.ndim() == 0) throw ValueError("uniform_filter: the input must have at least one axis");
  const Shape s = detail::window_sizes(size, input.ndim(), "uniform_filter");
  return Image(std::make_shared<detail::UniformFilterNode>(detail::filter_input(input, boundary), s, boundary,
                                                           filter_result_dtype(input.dtype(), out),
                                                           detail::origins_of("uniform_filter", origin, s)));
}

namespace {
const bool registered = register_operation({
    .name = "uniform_filter",
    .summary = "The mean over a window, as scipy.ndimage.uniform_filter, from float64 sums.",
    .doc = "1-D to N-D. Window sums in float64, direct for windows up to 8 and van Herk/Gil-Werman blocks above "
           "(a cost per element that does not grow with the window). Float input keeps its precision; integer "
           "input gives float32 unless output says.",
    .params = param::join({{param::input(),
                            param::sizes("the window: an int, or one per axis (1 leaves an axis alone, so (7, 7, 1) "
                                         "filters an RGB image band by band)"),
                            param::output_dtype("the result's dtype (default: float64 for float64 input, else "
                                                "float32)")},
                           param::boundary(),
                           {detail::origin_param(), detail::axes_param()}}),
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> {
      const Image& input = a.image("input");
      const auto axes = a.optional_ints("axes");
      return {uniform_filter(input, detail::on_axes("uniform_filter", a.ints("size"), axes, input.ndim(), 1),
                             a.boundary(), a.dtype("output"),
                             detail::on_axes("uniform_filter", a.ints("origin"), axes, input.ndim(), 0))};
    },
});
}  // namespace

}  // namespace tessera
