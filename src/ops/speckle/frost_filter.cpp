// Frost filter: R = sum(P_i M_i) / sum(M_i) over the window, with
// M_i = exp(-damping Ci^2 T_i) and T_i the distance of pixel i from the
// centre. The weights depend on each pixel's own Ci, so the window is summed
// directly (not separably): geometry in the node, the sum in generate().
#include <cmath>
#include <map>
#include <vector>

#include "ops/speckle/speckle.hpp"

namespace tessera {

namespace {

class FrostNode final : public Node {
 public:
  // inputs: the image as float64 (read with a halo) and Ci^2 (per pixel).
  FrostNode(const Image& x, const Image& ci2, std::int64_t size, double damping, Boundary boundary)
      : Node(x.shape(), DType::Float64, {x, ci2}), half_(size / 2), damping_(damping), boundary_(boundary) {
    // The window's distinct distances: exp() once per distance, not per pixel.
    std::map<std::int64_t, int> index_of;
    for (std::int64_t dy = -half_; dy <= half_; ++dy)
      for (std::int64_t dx = -half_; dx <= half_; ++dx) {
        const std::int64_t d2 = dy * dy + dx * dx;
        if (!index_of.count(d2)) {
          index_of[d2] = static_cast<int>(distances_.size());
          distances_.push_back(std::sqrt(static_cast<double>(d2)));
        }
        offsets_.push_back({dy, dx, index_of[d2]});
      }
  }

  std::string name() const override { return "frost_filter"; }
  Boundary input_boundary(std::size_t) const override { return boundary_; }
  Region input_region(std::size_t i, const Region& out) const override {
    if (i == 1) return out;
    Region r = out;
    r.offset[0] -= half_;
    r.offset[1] -= half_;
    r.size[0] += 2 * half_;
    r.size[1] += 2 * half_;
    return r;
  }

  void generate(const Region& region, const std::vector<View>& in, const View& out, Workspace& workspace) const override {
    const View& x = in[0];
    const View& ci2 = in[1];
    const std::int64_t rows = region.size[0], cols = region.size[1];
    std::vector<double> weight(distances_.size() * static_cast<std::size_t>(cols));
    std::vector<double> num(static_cast<std::size_t>(cols)), den(static_cast<std::size_t>(cols));
    for (std::int64_t r = 0; r < rows; ++r) {
      const auto* c = reinterpret_cast<const double*>(ci2.data + r * ci2.strides[0]);
      const std::int64_t cs = ci2.strides[1] / static_cast<std::int64_t>(sizeof(double));
      for (std::size_t d = 0; d < distances_.size(); ++d)
        for (std::int64_t j = 0; j < cols; ++j) {
          const double k = damping_ * c[j * cs];
          // A flat window (Ci 0) weighs all pixels alike; NaN Ci (zero mean) too.
          weight[d * static_cast<std::size_t>(cols) + static_cast<std::size_t>(j)] =
              std::isfinite(k) ? std::exp(-k * distances_[d]) : 1.0;
        }
      std::fill(num.begin(), num.end(), 0.0);
      std::fill(den.begin(), den.end(), 0.0);
      const std::int64_t xs = x.strides[1] / static_cast<std::int64_t>(sizeof(double));
      for (const auto& o : offsets_) {
        const auto* row =
            reinterpret_cast<const double*>(x.data + (r + half_ + o.dy) * x.strides[0]) + (half_ + o.dx) * xs;
        const double* w = weight.data() + static_cast<std::size_t>(o.distance) * static_cast<std::size_t>(cols);
        for (std::int64_t j = 0; j < cols; ++j) {
          num[static_cast<std::size_t>(j)] += row[j * xs] * w[j];
          den[static_cast<std::size_t>(j)] += w[j];
        }
      }
      auto* o = reinterpret_cast<double*>(out.data + r * out.strides[0]);
      const std::int64_t os = out.strides[1] / static_cast<std::int64_t>(sizeof(double));
      for (std::int64_t j = 0; j < cols; ++j)
        o[j * os] = num[static_cast<std::size_t>(j)] / den[static_cast<std::size_t>(j)];
    }
  }

 private:
  struct Offset {
    std::int64_t dy, dx;
    int distance;
  };
  std::int64_t half_;
  double damping_;
  Boundary boundary_;
  std::vector<double> distances_;
  std::vector<Offset> offsets_;
};

}  // namespace

Image frost_filter(const Image& input, const SpeckleOptions& o) {
  detail::check_speckle("frost_filter", input, o);
  const Image ci2 = detail::window_moments_image(
      input, {o.size, o.size}, o.boundary, [](const detail::Moments& m) { return m.variance / (m.mean * m.mean); },
      "frost_filter",
      DType::Float64);
  // A window whose mean is 0 (all zero, for intensities) has NaN Ci and even
  // weights: its average is the mean, 0, as the other filters give.
  const Image frost(std::make_shared<FrostNode>(input.astype(DType::Float64), ci2, o.size,
                                                       detail::speckle_damping("frost_filter", o), o.boundary));
  return frost.astype(DType::Float32);
}

namespace {
const bool registered = register_operation({
    .name = "frost_filter",
    .summary = "Frost speckle filter (Frost et al. 1982): R = sum(P_i M_i) / sum(M_i) over the window.",
    .doc = "M_i = exp(-damping Ci^2 T_i), T_i the distance of pixel i from the centre. The damping is 2 by "
            "default, as ESA SNAP's Frost operator uses (Frost et al. leave it to the user). A flat or zero-mean window averages evenly; where Im is 0 the result is Im. "
            "float32 result.",
    .params = detail::speckle_params(false, 2.0),
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> { return {frost_filter(a.image("input"), detail::speckle_options(a))}; },
});
}  // namespace

}  // namespace tessera
