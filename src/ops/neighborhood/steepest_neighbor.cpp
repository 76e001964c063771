// steepest_neighbor: for each element, the direction of steepest descent
// among its 8 (2-D) or 26 (3-D) neighbours, as a uint8 label numbering the
// 3x3(x3) window in C order (centre 4 or 13). Geometry: a halo of 1, padded
// with NaN so that outside neighbours are never candidates; the rule per row
// in generate(), vectorised along the row.
#include <cmath>
#include <limits>
#include <vector>

#include "tessera/filters.hpp"

namespace tessera {

namespace {

class SteepestNeighborNode final : public Node {
 public:
  SteepestNeighborNode(const Image& input, bool edges_zero)
      : Node(input.shape(), DType::UInt8, {input.astype(DType::Float64)}), edges_zero_(edges_zero) {
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
      double d2 = 0;
      for (std::size_t a = 0; a < nd; ++a) d2 += static_cast<double>(o.d[a] * o.d[a]);
      o.distance = std::sqrt(d2);
      offsets_.push_back(o);
    }
  }

  std::string name() const override { return "steepest_neighbor"; }

  // One neighbour's turn over a contiguous row: NaN (and outside) neighbours
  // are not candidates; the score is (c - n) / d, divided as the rule states,
  // so that ties break exactly as it says (the first k wins).
  static void update_row(const double* __restrict c, const double* __restrict n, double dist, std::size_t k,
                         std::int64_t cols, double* __restrict best, std::uint8_t* __restrict label,
                         std::uint8_t* __restrict all_greater) {
    for (std::int64_t j = 0; j < cols; ++j) {
      const double cv = c[j], nv = n[j];
      const bool candidate = nv == nv;
      all_greater[j] &= static_cast<std::uint8_t>(!candidate | (nv > cv));
      const double score = (cv - nv) / dist;
      const bool better = candidate & (score > best[j]);
      best[j] = better ? score : best[j];
      label[j] = better ? static_cast<std::uint8_t>(k) : label[j];
    }
  }
  Boundary input_boundary(std::size_t) const override {
    return Boundary{BoundaryMode::Constant, std::numeric_limits<double>::quiet_NaN()};
  }
  Region input_region(std::size_t, const Region& out) const override {
    Region r = out;
    for (std::size_t a = 0; a < r.ndim(); ++a) {
      r.offset[a] -= 1;
      r.size[a] += 2;
    }
    return r;
  }

  void generate(const Region& region, const std::vector<View>& inputs, const View& out) const override {
    const View& in = inputs[0];
    const std::size_t nd = region.ndim();
    const std::int64_t cols = region.size[nd - 1];
    std::vector<double> best(static_cast<std::size_t>(cols));
    std::vector<std::uint8_t> label(static_cast<std::size_t>(cols)), all_greater(static_cast<std::size_t>(cols));
    const std::int64_t rows = region.count() / std::max<std::int64_t>(cols, 1);
    Shape idx(nd - 1, 0);
    auto update = [&](const double* c, const double* n, double dist, std::size_t k, std::int64_t count) {
      update_row(c, n, dist, k, count, best.data(), label.data(), all_greater.data());
    };
    for (std::int64_t r = 0; r < rows; ++r) {
      // The centre row and, per neighbour, its row, in the padded input.
      auto row_at = [&](const Offset& o) {
        const std::byte* p = in.data + (1 + o.d[nd - 1]) * in.strides[nd - 1];
        for (std::size_t a = 0; a + 1 < nd; ++a) p += (idx[a] + 1 + o.d[a]) * in.strides[a];
        return p;
      };
      const std::int64_t step = in.strides[nd - 1] / static_cast<std::int64_t>(sizeof(double));
      const auto* c = reinterpret_cast<const double*>(row_at(offsets_[static_cast<std::size_t>(centre_)]));
      std::fill(best.begin(), best.end(), -std::numeric_limits<double>::infinity());
      std::fill(label.begin(), label.end(), static_cast<std::uint8_t>(centre_));
      std::fill(all_greater.begin(), all_greater.end(), 1);
      for (std::size_t k = 0; k < offsets_.size(); ++k) {
        if (static_cast<int>(k) == centre_) continue;
        const auto* n = reinterpret_cast<const double*>(row_at(offsets_[k]));
        const double dist = offsets_[k].distance;
        if (step == 1) {
          update(c, n, dist, k, cols);  // contiguous: vectorised
        } else {
          for (std::int64_t j = 0; j < cols; ++j) {
            const double cv = c[j * step], nv = n[j * step];
            const bool candidate = nv == nv;
            all_greater[j] &= static_cast<std::uint8_t>(!candidate || nv > cv);
            const double score = (cv - nv) / dist;
            const bool better = candidate && score > best[j];
            best[j] = better ? score : best[j];
            label[j] = better ? static_cast<std::uint8_t>(k) : label[j];
          }
        }
      }
      auto* o = reinterpret_cast<std::uint8_t*>(out.data);
      for (std::size_t a = 0; a + 1 < nd; ++a) o += idx[a] * out.strides[a];
      bool border_row = false;
      for (std::size_t a = 0; a + 1 < nd; ++a) {
        const std::int64_t g = region.offset[a] + idx[a];
        border_row = border_row || g == 0 || g == shape()[a] - 1;
      }
      for (std::int64_t j = 0; j < cols; ++j) {
        const double cv = c[j * step];
        std::uint8_t v = (cv != cv || all_greater[j]) ? static_cast<std::uint8_t>(centre_) : label[j];
        if (edges_zero_) {
          const std::int64_t g = region.offset[nd - 1] + j;
          if (border_row || g == 0 || g == shape()[nd - 1] - 1) v = 0;
        }
        o[j * out.strides[nd - 1]] = v;
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
    double distance = 0;
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

}  // namespace tessera
