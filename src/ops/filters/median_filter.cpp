// median_filter for small windows (up to 7 on each axis): per element, the
// window's values gathered and the middle one selected (the upper middle for
// an even count, as scipy.ndimage takes rank size // 2). Geometry in the node;
// the selection per tile in generate(), in the input's dtype, so exact.
#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/copy.hpp"
#include "ops/filters/window.hpp"
#include "tessera/filters.hpp"
#include "tessera/operation.hpp"

namespace tessera {

namespace {

constexpr std::int64_t kMaxMedianWindow = 7;

class MedianFilterNode final : public Node {
 public:
  MedianFilterNode(const Image& input, Shape size, Boundary boundary)
      : Node(input.shape(), input.dtype(), {input}), size_(std::move(size)), boundary_(boundary) {}

  std::string name() const override { return "median_filter"; }
  Boundary input_boundary(std::size_t) const override { return boundary_; }
  Region input_region(std::size_t, const Region& out) const override {
    return detail::window_input_region(out, size_);
  }

  void generate(const Region& region, const std::vector<View>& inputs, const View& out, Workspace& workspace) const override {
    dispatch(dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      run<T>(region, inputs[0], out, workspace);
    });
  }

 private:
  template <typename T>
  void run(const Region& region, const View& padded, const View& out, Workspace& workspace) const {
    const std::size_t nd = region.ndim();
    // The padded input, contiguous, and the window as offsets into it.
    const Shape& shape = padded.shape;
    auto* in = static_cast<T*>(workspace.get(30, static_cast<std::size_t>(element_count(shape)) * sizeof(T)));
    detail::copy_convert(padded, View{reinterpret_cast<std::byte*>(in), dtype(), shape, c_strides(shape, sizeof(T)),
                                      nullptr});
    Shape stride(nd, 1);
    for (std::size_t a = nd - 1; a-- > 0;) stride[a] = stride[a + 1] * shape[a + 1];
    std::vector<std::int64_t> window;
    Shape w(nd, 0);
    for (std::int64_t i = 0; i < element_count(size_); ++i) {
      std::int64_t off = 0;
      for (std::size_t a = 0; a < nd; ++a) off += w[a] * stride[a];
      window.push_back(off);
      for (std::size_t a = nd; a-- > 0;) {
        if (++w[a] < size_[a]) break;
        w[a] = 0;
      }
    }
    const std::size_t rank = window.size() / 2;
    using Value = std::conditional_t<std::is_same_v<T, bool>, std::uint8_t, T>;  // not vector<bool>
    std::vector<Value> values(window.size());
    // NaN sorts above every number, as in numpy.sort.
    auto less = [](Value a, Value b) {
      if constexpr (std::is_floating_point_v<Value>) return (a < b) || (b != b && a == a);
      else return a < b;
    };
    const std::int64_t cols = region.size[nd - 1];
    const std::int64_t rows = region.count() / std::max<std::int64_t>(cols, 1);
    std::vector<Value> row(static_cast<std::size_t>(cols));
    Shape idx(nd - 1, 0);
    for (std::int64_t r = 0; r < rows; ++r) {
      std::int64_t base = 0;
      for (std::size_t a = 0; a + 1 < nd; ++a) base += idx[a] * stride[a];
      for (std::int64_t j = 0; j < cols; ++j) {
        const T* p = in + base + j;
        for (std::size_t k = 0; k < window.size(); ++k) values[k] = static_cast<Value>(p[window[k]]);
        std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(rank), values.end(), less);
        row[static_cast<std::size_t>(j)] = values[rank];
      }
      std::byte* dst = out.data;
      for (std::size_t a = 0; a + 1 < nd; ++a) dst += idx[a] * out.strides[a];
      View dst_row{dst, dtype(), {cols}, {out.strides[nd - 1]}, nullptr};
      detail::copy_convert(View{reinterpret_cast<std::byte*>(row.data()), dtype(), {cols}, {sizeof(T)}, nullptr},
                           dst_row);
      for (std::size_t a = nd - 1; a-- > 0;) {
        if (++idx[a] < region.size[a]) break;
        idx[a] = 0;
      }
    }
  }

  Shape size_;
  Boundary boundary_;
};

}  // namespace

Image median_filter(const Image& input, const Shape& size, const Boundary& boundary) {
  if (input.ndim() == 0) throw ValueError("median_filter: the input must have at least one axis");
  const Shape s = detail::window_sizes(size, input.ndim(), "median_filter");
  for (auto v : s)
    if (v > kMaxMedianWindow)
      throw ValueError("median_filter: windows up to 7 per axis are supported, got " + shape_to_string(size));
  const Image in = is_bool(input.dtype()) ? input : detail::filter_input(input, boundary);
  const Image result(std::make_shared<MedianFilterNode>(in, s, boundary));
  return in.dtype() == input.dtype() ? result : result.astype(input.dtype());
}

namespace {
const bool registered = register_operation({
    .name = "median_filter",
    .summary = "The median over a window of at most 7 per axis, as scipy.ndimage.median_filter.",
    .doc = "The upper middle value for an even count, in the input's dtype; NaN sorts above every number.",
    .params = param::join({{param::input(), param::sizes("the window: an int, or one per axis, each at most 7"),
                            param::output_dtype("the result's dtype (default: the input's)")},
                           param::boundary()}),
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> {
      const Image r = median_filter(a.image("input"), a.ints("size"), a.boundary());
      const auto out = a.dtype("output");
      return {out && *out != r.dtype() ? r.astype(*out) : r};
    },
});
}  // namespace

}  // namespace tessera
