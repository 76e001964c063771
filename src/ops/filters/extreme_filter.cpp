// maximum_filter and minimum_filter: the same operation with two reductions.
// Geometry (window and halo per axis) in the node; per tile, one separable
// pass per axis with the sliding kernel (direct up to 8, van Herk/Gil-Werman
// blocks above: a cost per element independent of the window size), in the
// input's own dtype, so results are exact.
#include "engine/copy.hpp"
#include "ops/filters/rank.hpp"
#include "ops/filters/filter_kernels.hpp"
#include "ops/filters/window.hpp"
#include "tessera/filters.hpp"
#include "tessera/operation.hpp"

namespace tessera {

namespace {

class ExtremeFilterNode final : public Node {
 public:
  ExtremeFilterNode(const Image& input, Shape size, Boundary boundary, bool maximum, Shape origin)
      : Node(input.shape(), input.dtype(), {input}),
        size_(std::move(size)),
        boundary_(boundary),
        maximum_(maximum),
        origin_(std::move(origin)) {}

  std::string name() const override { return maximum_ ? "maximum_filter" : "minimum_filter"; }
  Boundary input_boundary(std::size_t) const override { return boundary_; }
  Region input_region(std::size_t, const Region& out) const override {
    return detail::window_input_region(out, size_, origin_);
  }

  void generate(const Region& region, const std::vector<View>& inputs, const View& out, Workspace& workspace) const override {
    const View& padded = inputs[0];
    const std::size_t nd = region.ndim();
    const std::size_t item = itemsize(dtype());
    const detail::FilterKernels& k = detail::filter_kernels();
    const auto pass_kernel = (maximum_ ? k.sliding_max : k.sliding_min)[static_cast<int>(dtype())];
    // The padded input, contiguous; then one pass per filtered axis.
    Shape shape = padded.shape;
    auto* cur = static_cast<std::byte*>(workspace.get(20, static_cast<std::size_t>(element_count(shape)) * item));
    detail::copy_convert(padded, View{cur, dtype(), shape, c_strides(shape, item), nullptr});
    std::size_t slot = 21;
    for (std::size_t a = 0; a < nd; ++a) {
      if (size_[a] == 1) continue;
      Shape next = shape;
      next[a] = region.size[a];
      std::int64_t outer = 1, inner = 1;
      for (std::size_t b = 0; b < a; ++b) outer *= shape[b];
      for (std::size_t b = a + 1; b < nd; ++b) inner *= shape[b];
      auto* nxt = static_cast<std::byte*>(workspace.get(slot, static_cast<std::size_t>(element_count(next)) * item));
      void* scratch = workspace.get(23, static_cast<std::size_t>(2 * shape[a] * inner) * item);
      slot = slot == 21 ? 22 : 21;
      // Blocks aligned where the window starts in the input (any tiling, the same bits).
      const std::int64_t origin = region.offset[a] - origin_[a] - size_[a] / 2;
      for (std::int64_t o = 0; o < outer; ++o)
        pass_kernel(cur + o * shape[a] * inner * static_cast<std::int64_t>(item), inner,
                    nxt + o * next[a] * inner * static_cast<std::int64_t>(item), inner, next[a], inner, size_[a], origin,
                    scratch);
      cur = nxt;
      shape = next;
    }
    detail::copy_convert(View{cur, dtype(), region.size, c_strides(region.size, item), nullptr}, out);
  }

 private:
  Shape size_;
  Boundary boundary_;
  bool maximum_;
  Shape origin_;
};

Image extreme_filter(const Image& input, const Shape& size, const Boundary& boundary, bool maximum,
                     const Shape& origin) {
  const char* name = maximum ? "maximum_filter" : "minimum_filter";
  if (input.ndim() == 0) throw ValueError(std::string(name) + ": the input must have at least one axis");
  const Shape s = detail::window_sizes(size, input.ndim(), name);
  // A constant the dtype cannot hold (cval 3.5 around uint8) would change on
  // padding; scipy then compares in float64, and so does this. (Booleans stay
  // booleans, padded with cval != 0, as in scipy.)
  const Image in = is_bool(input.dtype()) ? input : detail::filter_input(input, boundary);
  const Image result(std::make_shared<ExtremeFilterNode>(in, s, boundary, maximum, detail::origins_of(name, origin, s)));
  // The result keeps the input's dtype (scipy's), compared in float64 when
  // the constant needed it.
  return in.dtype() == input.dtype() ? result : result.astype(input.dtype());
}

}  // namespace

Image maximum_filter(const Image& input, const Shape& size, const Boundary& boundary, const Shape& origin) {
  return extreme_filter(input, size, boundary, true, origin);
}

Image minimum_filter(const Image& input, const Shape& size, const Boundary& boundary, const Shape& origin) {
  return extreme_filter(input, size, boundary, false, origin);
}

namespace {
Operation extreme_operation(bool maximum) {
  const std::string name = maximum ? "maximum" : "minimum";
  return {
      .name = name + "_filter",
      .summary = "The " + name + " over a window, as scipy.ndimage." + name + "_filter, in the input's dtype.",
      .doc = "Van Herk/Gil-Werman blocks over a box: a cost per element that does not grow with the window. A NaN "
             "in the window gives NaN. Any other footprint: the window's values compared (NaN above every "
             "number).",
      .params = param::join({{param::input(), detail::optional_sizes(), param::footprint(),
                              param::output_dtype("the result's dtype (default: the input's)")},
                             param::boundary(),
                             {detail::origin_param(), detail::axes_param()}}),
      .outputs = {},
      .build = [maximum, name](const Arguments& a) -> std::vector<Image> {
        const Image& input = a.image("input");
        const std::string op = name + "_filter";
        const detail::Footprint f = detail::window_footprint_call(a, op.c_str());
        // A box: van Herk/Gil-Werman; any other footprint: the rank filter's selection.
        const Image r = f.full() ? extreme_filter(input, f.shape, a.boundary(), maximum, f.origin)
                                 : detail::rank_filter(input, f, maximum ? f.count() - 1 : 0, a.boundary(), op.c_str());
        return {detail::in_output_dtype(r, a.dtype("output"))};
      },
  };
}
const bool registered = register_operation(extreme_operation(true)) && register_operation(extreme_operation(false));
}  // namespace

}  // namespace tessera
