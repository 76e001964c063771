// steepest_neighbor: for each element, the direction of steepest descent
// among its 8 (2-D) or 26 (3-D) neighbours, as a uint8 label numbering the
// 3x3(x3) window in C order (centre 4 or 13). Geometry: a halo of 1, padded
// with NaN so that outside neighbours are never candidates; the rule row by
// row in generate().
//
// The rule maximises (c - n) / d. Within one distance class d and c are
// fixed and the correctly rounded quotient is monotone in n, so the kernel
// (filter_kernels_impl.cpp, one pass per row over every neighbour row) keeps
// each class's first smallest n, comparisons only, in the input's dtype; it
// divides just the class minima, as the rule does, to choose between classes
// (first k on equal quotients). For integer data this equals dividing
// every candidate; for real data it can differ only where two candidates of
// one class lie within one rounding of each other.
#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <vector>

#include "ops/filters/filter_kernels.hpp"
#include "tessera/filters.hpp"
#include "tessera/operation.hpp"

namespace tessera {

namespace {

class SteepestNeighborNode final : public Node {
 public:
  // Float input is read as it is; integers as float64 (exact), so that NaN
  // can mark the outside.
  SteepestNeighborNode(const Image& input, bool edges_zero)
      : Node(input.shape(), DType::UInt8, {is_float(input.dtype()) ? input : input.astype(DType::Float64)}),
        edges_zero_(edges_zero) {
    const std::size_t nd = input.ndim();
    const int count = nd == 2 ? 9 : 27;
    centre_ = count / 2;
    for (int k = 0; k < count; ++k) {
      Offset o;
      int rest = k;
      for (std::size_t a = nd; a-- > 0;) {
        o.d[a] = rest % 3 - 1;
        rest /= 3;
      }
      offsets_.push_back(o);
    }
  }

  std::string name() const override { return "steepest_neighbor"; }
  Boundary input_boundary(std::size_t) const override {
    return Boundary{BoundaryMode::Constant, std::numeric_limits<double>::quiet_NaN()};
  }
  // Deep tiles of whole rows: the halo of 1 (read and NaN-padded with each
  // tile) then adds ~17% to the input read, where the engine's default
  // blocks for a halo would add ~50%; a tile's planes still fit in L2.
  std::optional<Shape> preferred_tile() const override {
    return shape().size() == 2 ? Shape{64, shape()[1]} : Shape{16, 64, shape()[2]};
  }

  Region input_region(std::size_t, const Region& out) const override {
    Region r = out;
    for (std::size_t a = 0; a < r.ndim(); ++a) {
      r.offset[a] -= 1;
      r.size[a] += 2;
    }
    return r;
  }

  void generate(const Region& region, const std::vector<View>& inputs, const View& out, Workspace& workspace) const override {
    const View& in = inputs[0];
    const std::size_t nd = region.ndim();
    const std::int64_t cols = region.size[nd - 1];
    const std::size_t n = static_cast<std::size_t>(cols);
    const std::size_t item = itemsize(in.dtype);
    const int t = in.dtype == DType::Float32 ? 0 : 1;
    const bool contiguous = in.strides[nd - 1] == static_cast<std::int64_t>(item);
    std::vector<std::byte> copies(contiguous ? 0 : offsets_.size() * n * item);
    std::vector<std::uint8_t> labels(n);
    const detail::FilterKernels& kern = detail::filter_kernels();
    const std::int64_t n_rows = region.count() / std::max<std::int64_t>(cols, 1);
    Shape idx(nd - 1, 0);
    for (std::int64_t r = 0; r < n_rows; ++r) {
      // Neighbour k's row in the padded input, contiguous (copied when the
      // input is a strided view).
      auto row_of = [&](std::size_t k) -> const void* {
        const Offset& o = offsets_[k];
        const std::byte* p = in.data + (1 + o.d[nd - 1]) * in.strides[nd - 1];
        for (std::size_t a = 0; a + 1 < nd; ++a) p += (idx[a] + 1 + o.d[a]) * in.strides[a];
        if (contiguous) return p;
        std::byte* copy = copies.data() + k * n * item;
        for (std::int64_t j = 0; j < cols; ++j)
          std::memcpy(copy + j * static_cast<std::int64_t>(item), p + j * in.strides[nd - 1], item);
        return copy;
      };
      const void* rows[27];
      for (std::size_t k = 0; k < offsets_.size(); ++k) rows[k] = row_of(k);
      kern.steepest_row[t](rows, static_cast<int>(nd), cols, labels.data());
      auto* o = reinterpret_cast<std::uint8_t*>(out.data);
      for (std::size_t a = 0; a + 1 < nd; ++a) o += idx[a] * out.strides[a];
      bool border_row = false;
      for (std::size_t a = 0; a + 1 < nd; ++a) {
        const std::int64_t g = region.offset[a] + idx[a];
        border_row = border_row || g == 0 || g == shape()[a] - 1;
      }
      if (edges_zero_) {  // the seed's border: 0
        if (border_row) {
          std::fill(labels.begin(), labels.end(), std::uint8_t{0});
        } else {
          if (region.offset[nd - 1] == 0) labels.front() = 0;
          if (region.offset[nd - 1] + cols == shape()[nd - 1]) labels.back() = 0;
        }
      }
      const std::int64_t step = out.strides[nd - 1];
      if (step == 1) {
        std::memcpy(o, labels.data(), n);
      } else {
        for (std::int64_t j = 0; j < cols; ++j) o[j * step] = labels[static_cast<std::size_t>(j)];
      }
      for (std::size_t a = nd - 1; a-- > 0;) {
        if (++idx[a] < region.size[a]) break;
        idx[a] = 0;
      }
    }
  }

 private:
  struct Offset {
    std::int64_t d[3] = {0, 0, 0};
  };
  bool edges_zero_;
  int centre_ = 0;
  std::vector<Offset> offsets_;
};

}  // namespace

Image steepest_neighbor(const Image& input, const std::string& edges) {
  if (input.ndim() != 2 && input.ndim() != 3)
    throw ValueError("steepest_neighbor: the input must be 2-D or 3-D, got shape " + shape_to_string(input.shape()));
  if (is_bool(input.dtype())) throw TypeError("steepest_neighbor: the input must be numeric, got bool");
  if (edges != "ignore" && edges != "zero")
    throw ValueError("steepest_neighbor: edges must be 'ignore' or 'zero', got '" + edges + "'");
  return Image(std::make_shared<SteepestNeighborNode>(input, edges == "zero"));
}

namespace {
const bool registered = register_operation({
    .name = "steepest_neighbor",
    .summary = "The 004 seed's rule: each element's direction of steepest descent, as uint8 labels.",
    .doc = "On a 2-D or 3-D array, for each element c, the label of the first neighbour (C order over the 3x3 or "
           "3x3x3 window: labels 0..8 with centre 4, or 0..26 with centre 13) maximising (c - n) / distance, or "
           "the centre when every neighbour is strictly greater than c. (The seed's own code compares the centre "
           "with itself, so its local-minimum branch never fires; this is the rule it meant.) NaN elements get the "
           "centre; NaN neighbours are never candidates.",
    .params = {param::input("a 2-D or 3-D numeric array"),
               param::choice("edges", {"ignore", "zero"}, "ignore",
                             "'ignore': neighbours outside the array are not candidates; 'zero': border elements "
                             "get 0, as the seed leaves them",
                             "edge rule")},
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> {
      return {steepest_neighbor(a.image("input"), a.word("edges"))};
    },
});
}  // namespace

}  // namespace tessera
