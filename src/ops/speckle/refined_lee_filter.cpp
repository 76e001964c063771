// refined_lee_filter: Lee's refined filter (J.-S. Lee, "Refined filtering of
// image noise using local statistics", Computer Graphics and Image
// Processing 15(4):380-389, 1981), as ESA SNAP's Speckle-Filter implements
// it (RefinedLee.java): a 7x7 window; the means of its nine overlapping 3x3
// sub-windows give the edge direction (the largest of four differences of
// opposite sub-means) and the side of the edge the centre lies on; the local
// statistics of that side's 28-pixel directional window give the MMSE
// estimate. Geometry (a halo of 3) in the node; the per-pixel rule in
// generate(), in float64 from the padded tile.
#include <algorithm>
#include <array>
#include <cmath>

#include "ops/speckle/speckle.hpp"

namespace tessera {

namespace {

// The eight directional (non-edge) windows of the 7x7 window, (row, col)
// conditions as Lee's figure and SNAP: 0 right half, 1 upper-right triangle,
// 2 top half, 3 upper-left, 4 left half, 5 lower-left, 6 bottom half, 7
// lower-right; each 28 pixels, the dividing line included.
bool in_direction(int d, int r, int c) {
  switch (d) {
    case 0: return c >= 3;
    case 1: return c >= r;
    case 2: return r <= 3;
    case 3: return c <= 6 - r;
    case 4: return c <= 3;
    case 5: return c <= r;
    case 6: return r >= 3;
    default: return c >= 6 - r;
  }
}

struct Offsets {
  int n = 0;
  int r[28], c[28];
};
const std::array<Offsets, 8>& directional_windows() {
  static const std::array<Offsets, 8> windows = [] {
    std::array<Offsets, 8> w{};
    for (int d = 0; d < 8; ++d)
      for (int r = 0; r < 7; ++r)
        for (int c = 0; c < 7; ++c)
          if (in_direction(d, r, c)) w[d].r[w[d].n] = r, w[d].c[w[d].n] = c, ++w[d].n;
    return w;
  }();
  return windows;
}

class RefinedLeeNode final : public Node {
 public:
  RefinedLeeNode(const Image& input, double looks, Boundary boundary)
      : Node(input.shape(), DType::Float32, {input}), looks_(looks), boundary_(boundary) {}

  std::string name() const override { return "refined_lee_filter"; }
  Boundary input_boundary(std::size_t) const override { return boundary_; }
  Region input_region(std::size_t, const Region& out) const override {
    Region r = out;
    for (std::size_t a = 0; a < 2; ++a) r.offset[a] -= 3, r.size[a] += 6;
    return r;
  }

  void generate(const Region& region, const std::vector<View>& inputs, const View& out, Workspace& workspace) const override {
    const detail::Plane in = detail::float64_plane(inputs[0], workspace);
    // 3x3 box sums and sums of squares over the padded tile: sub-window k of
    // the window at (y, x) is the box centred at (y + 2j + 1, x + 2i + 1).
    const std::int64_t bh = in.rows - 2, bw = in.cols - 2;
    // Per box: its mean, and (for the noise estimate) var / mean^2 with the
    // sample variance, 0 where the mean is not positive.
    auto* box = static_cast<double*>(workspace.get(31, static_cast<std::size_t>(2 * bh * bw) * sizeof(double)));
    double* box_ratio = box + bh * bw;
    for (std::int64_t r = 0; r < bh; ++r)
      for (std::int64_t c = 0; c < bw; ++c) {
        double s = 0, q = 0;
        for (int dr = 0; dr < 3; ++dr)
          for (int dc = 0; dc < 3; ++dc) {
            const double v = in.at(r + dr, c + dc);
            s += v;
            q += v * v;
          }
        const double m = s / 9.0;
        box[r * bw + c] = m;
        box_ratio[r * bw + c] = m > 0 ? detail::sample_variance(s, q, 9) / (m * m) : 0.0;
      }
    const auto& windows = directional_windows();
    const double fixed_s2 = looks_ > 0 ? 1.0 / looks_ : -1.0;
    for (std::int64_t y = 0; y < region.size[0]; ++y)
      for (std::int64_t x = 0; x < region.size[1]; ++x) {
        // Sub-window means S[j][i], boxes at rows y + 2j, columns x + 2i.
        double S[3][3];
        for (int j = 0; j < 3; ++j)
          for (int i = 0; i < 3; ++i) S[j][i] = box[(y + 2 * j) * bw + x + 2 * i];
        const double g[4] = {std::fabs(S[1][0] - S[1][2]), std::fabs(S[0][2] - S[2][0]), std::fabs(S[0][1] - S[2][1]),
                             std::fabs(S[0][0] - S[2][2])};
        int dir = 0;
        for (int k = 1; k < 4; ++k)
          if (g[k] > g[dir]) dir = k;  // the first largest
        const double c0 = S[1][1];
        int d;
        switch (dir) {
          case 0: d = std::fabs(S[1][0] - c0) < std::fabs(c0 - S[1][2]) ? 4 : 0; break;
          case 1: d = std::fabs(S[0][2] - c0) < std::fabs(c0 - S[2][0]) ? 1 : 5; break;
          case 2: d = std::fabs(S[0][1] - c0) < std::fabs(c0 - S[2][1]) ? 2 : 6; break;
          default: d = std::fabs(S[0][0] - c0) < std::fabs(c0 - S[2][2]) ? 3 : 7; break;
        }
        const detail::Plane w{in.data + y * in.cols + x, 7, in.cols};
        const Offsets& o = windows[static_cast<std::size_t>(d)];
        double sum = 0, sq = 0;
        for (int k = 0; k < o.n; ++k) {
          const double v = w.at(o.r[k], o.c[k]);
          sum += v;
          sq += v * v;
        }
        const double mean = sum / o.n, var = detail::sample_variance(sum, sq, o.n);
        double s2 = fixed_s2;
        if (s2 < 0) {
          // SNAP's estimate: the mean of the five smallest var / mean^2 of the
          // nine sub-windows (sample variances; 0 where the mean is not positive).
          double ratios[9];
          for (int j = 0; j < 3; ++j)
            for (int i = 0; i < 3; ++i) ratios[j * 3 + i] = box_ratio[(y + 2 * j) * bw + x + 2 * i];
          // The sum of the five smallest: the total less the four largest,
          // taken out one by one (branch-free maxima).
          double total = 0;
          for (double v : ratios) total += v;
          for (int k = 0; k < 4; ++k) {
            int at = 0;
            for (int i = 1; i < 9; ++i) at = ratios[i] > ratios[at] ? i : at;
            total -= ratios[at];
            ratios[at] = -1.0;  // ratios are >= 0
          }
          s2 = total / 5.0;
        }
        const double b = detail::mmse_weight(mean, var, s2);
        detail::out_at(out, y, x) = static_cast<float>(mean + b * (w.at(3, 3) - mean));
      }
  }

 private:
  double looks_;
  Boundary boundary_;
};

}  // namespace

Image refined_lee_filter(const Image& input, double looks, const Boundary& boundary) {
  if (input.ndim() != 2)
    throw ValueError("refined_lee_filter: the input must be a 2-D single-band image, got shape " +
                     shape_to_string(input.shape()));
  if (!(looks >= 0) || !std::isfinite(looks))
    throw ValueError("refined_lee_filter: looks must be >= 0 (0: estimated from the image), got " + std::to_string(looks));
  if (is_bool(input.dtype())) throw TypeError("refined_lee_filter: the input must be numbers, not booleans");
  return Image(std::make_shared<RefinedLeeNode>(input, looks, boundary));
}

namespace {
const bool registered = register_operation({
    .name = "refined_lee_filter",
    .summary = "Refined Lee speckle filter (Lee 1981), as ESA SNAP's: 7x7, edge-directed windows.",
    .doc = "J.-S. Lee, Refined filtering of image noise using local statistics, CGIP 15:380-389, 1981, as SNAP's "
           "RefinedLee: the nine 3x3 sub-window means of the 7x7 window give the edge direction and side; the "
           "28-pixel directional window's mean and sample variance give the MMSE estimate mean + b (z - mean), b = "
           "max(0, (var - mean^2 s2) / (1 + s2)) / var. s2: with looks 0 (SNAP, which has no parameter) the mean "
           "of the five smallest var/mean^2 of the nine sub-windows; else 1/looks. Differences from SNAP: the "
           "border is padded by mode (SNAP falls back to a plain Lee estimate within 3 pixels of the edge); a flat "
           "directional window gives its mean (SNAP: 0); the five smallest of all nine sub-windows (SNAP's sort "
           "leaves out the ninth). float32 result.",
    .params = param::join({{param::input("the 2-D single-band image (intensity or amplitude)"),
                            [] {
                              ParamSpec p = param::real("looks", 0.0, "the number of looks L: the noise variance is "
                                                                      "1/L; 0 estimates it per pixel, as SNAP does");
                              p.min = 0;
                              return p;
                            }()},
                           param::boundary()}),
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> {
      return {refined_lee_filter(a.image("input"), a.real("looks"), a.boundary())};
    },
});
}  // namespace

}  // namespace tessera
