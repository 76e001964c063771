// idan_filter: the intensity-driven adaptive-neighbourhood filter of G.
// Vasile, E. Trouve, J.-S. Lee and V. Buzuloiu, "Intensity-driven
// adaptive-neighborhood technique for polarimetric and interferometric SAR
// parameters estimation", IEEE TGRS 44(6):1609-1621, 2006, single-band, as
// ESA SNAP's Speckle-Filter implements it (IDAN.java): per pixel, a region
// grown breadth-first (8-connected) from the pixel over the pixels within
// (2/3)/sqrt(L) of the 3x3 median (relative), up to about `size` pixels;
// then the rejected pixels within 2/sqrt(L) of the region's mean join it;
// the LLMMSE estimate over the region. A region reaches at most `size`
// pixels away, the node's halo, so tiles give the same result as the whole.
#include <algorithm>
#include <cmath>
#include <vector>

#include "ops/speckle/speckle.hpp"

namespace tessera {

namespace {

constexpr int kNeighbours[8][2] = {{-1, -1}, {-1, 0}, {-1, 1}, {0, -1}, {0, 1}, {1, -1}, {1, 0}, {1, 1}};

class IdanNode final : public Node {
 public:
  IdanNode(const Image& input, int looks, std::int64_t size, bool amplitude, Boundary boundary)
      : Node(input.shape(), DType::Float32, {input}),
        size_(size),
        amplitude_(amplitude),
        boundary_(boundary),
        s2_(1.0 / looks),
        near_(2.0 / 3.0 / std::sqrt(static_cast<double>(looks))),
        far_(2.0 / std::sqrt(static_cast<double>(looks))) {}

  std::string name() const override { return "idan_filter"; }
  Boundary input_boundary(std::size_t) const override { return boundary_; }
  Region input_region(std::size_t, const Region& out) const override {
    Region r = out;
    for (std::size_t a = 0; a < 2; ++a) r.offset[a] -= size_, r.size[a] += 2 * size_;
    return r;
  }

  void generate(const Region& region, const std::vector<View>& inputs, const View& out, Workspace& workspace) const override {
    detail::Plane in = detail::float64_plane(inputs[0], workspace);
    auto* intensity = const_cast<double*>(in.data);
    if (amplitude_)
      for (std::int64_t k = 0; k < in.rows * in.cols; ++k) intensity[k] *= intensity[k];
    // Visit stamps: a pixel is visited for centre k when its stamp is k.
    const std::int64_t side = 2 * size_ + 1;
    auto* stamp = static_cast<std::int64_t*>(workspace.get(31, static_cast<std::size_t>(side * side) * sizeof(std::int64_t)));
    std::fill(stamp, stamp + side * side, -1);
    std::vector<std::int32_t> region_px, background, front, next;
    std::int64_t centre_id = 0;
    for (std::int64_t y = 0; y < region.size[0]; ++y)
      for (std::int64_t x = 0; x < region.size[1]; ++x, ++centre_id) {
        const std::int64_t cy = y + size_, cx = x + size_;
        // Local coordinates: (dy + size, dx + size) in the side x side square.
        auto value = [&](std::int32_t local) {
          const std::int64_t ly = local / side - size_, lx = local % side - size_;
          return in.at(cy + ly, cx + lx);
        };
        double around[9];
        for (int k = 0, dy = -1; dy <= 1; ++dy)
          for (int dx = -1; dx <= 1; ++dx) around[k++] = in.at(cy + dy, cx + dx);
        std::nth_element(around, around + 4, around + 9);
        const double seed = around[4];
        auto close = [](double v, double s, double limit) { return s != 0.0 && std::fabs((v - s) / s) < limit; };
        region_px.clear();
        background.clear();
        front.clear();
        const auto centre = static_cast<std::int32_t>(size_ * side + size_);
        stamp[centre] = centre_id;
        (close(value(centre), seed, near_) ? region_px : background).push_back(centre);
        front.push_back(centre);
        while (static_cast<std::int64_t>(region_px.size()) < size_ && !front.empty()) {
          next.clear();
          for (std::int32_t p : front) {
            const std::int64_t py = p / side, px = p % side;
            for (const auto& d : kNeighbours) {
              const std::int64_t ny = py + d[0], nx = px + d[1];
              if (ny < 0 || ny >= side || nx < 0 || nx >= side) continue;
              const auto q = static_cast<std::int32_t>(ny * side + nx);
              if (stamp[q] == centre_id) continue;
              stamp[q] = centre_id;
              if (close(value(q), seed, near_)) {
                region_px.push_back(q);
                next.push_back(q);
              } else {
                background.push_back(q);
              }
            }
            if (static_cast<std::int64_t>(region_px.size()) > size_) break;
          }
          std::swap(front, next);
        }
        double sum = 0;
        for (std::int32_t q : region_px) sum += value(q);
        const double new_seed = region_px.empty() ? seed : sum / static_cast<double>(region_px.size());
        for (std::int32_t q : background)
          if (close(value(q), new_seed, far_)) region_px.push_back(q);
        if (region_px.empty()) region_px.push_back(centre);
        // LLMMSE over the region's intensities (amplitudes: b from the
        // intensities, applied to the amplitudes, as SNAP does).
        double s = 0, sq = 0, amp = 0;
        for (std::int32_t q : region_px) {
          const double v = value(q);
          s += v;
          sq += v * v;
          if (amplitude_) amp += std::sqrt(v);
        }
        const auto n = static_cast<double>(region_px.size());
        const double mean = s / n;
        // The two-pass variance: a region's intensities can be large and alike.
        double var = 0;
        for (std::int32_t q : region_px) var += (value(q) - mean) * (value(q) - mean);
        var = n > 1 ? var / (n - 1) : 0.0;
        const double b = detail::mmse_weight(mean, var, s2_);
        const double z = value(centre);
        const double result = amplitude_ ? amp / n + b * (std::sqrt(z) - amp / n) : mean + b * (z - mean);
        detail::out_at(out, y, x) = static_cast<float>(result);
      }
  }

 private:
  std::int64_t size_;
  bool amplitude_;
  Boundary boundary_;
  double s2_, near_, far_;
};

}  // namespace

Image idan_filter(const Image& input, int looks, std::int64_t size, bool amplitude, const Boundary& boundary) {
  if (input.ndim() != 2)
    throw ValueError("idan_filter: the input must be a 2-D single-band image, got shape " +
                     shape_to_string(input.shape()));
  if (is_bool(input.dtype())) throw TypeError("idan_filter: the input must be numbers, not booleans");
  if (looks < 1) throw ValueError("idan_filter: looks must be >= 1, got " + std::to_string(looks));
  if (size < 2 || size > 200) throw ValueError("idan_filter: size must be between 2 and 200, got " + std::to_string(size));
  return Image(std::make_shared<IdanNode>(input, looks, size, amplitude, boundary));
}

namespace {
const bool registered = register_operation({
    .name = "idan_filter",
    .summary = "IDAN speckle filter (Vasile et al. 2006): an adaptive neighbourhood grown per pixel, as SNAP's.",
    .doc = "G. Vasile, E. Trouve, J.-S. Lee, V. Buzuloiu, Intensity-driven adaptive-neighborhood technique for "
           "polarimetric and interferometric SAR parameters estimation, IEEE TGRS 44(6):1609-1621, 2006, as "
           "SNAP's IDAN: seed the 3x3 median; grow 8-connected, breadth-first, over |I - seed| / seed < "
           "(2/3)/sqrt(L) while the region holds fewer than size pixels (it may end up to 8 over); reseed with "
           "its mean; add the rejected pixels with |I - seed| / seed < 2/sqrt(L); LLMMSE over the region with "
           "noise variance 1/L. Amplitude data: grown on intensities, the estimate in amplitude. The region "
           "stays within size pixels, the filter's halo. Difference from SNAP: the border is padded by mode "
           "(SNAP stops the growth at the image's edge). float32 result.",
    .params = param::join({{param::input("the 2-D single-band image (intensity, or amplitude with data='amplitude')"),
                            [] {
                              ParamSpec p = param::integer("looks", 1, "the number of looks L");
                              p.min = 1;
                              return p;
                            }(),
                            [] {
                              ParamSpec p = param::integer("size", 50, "the adaptive neighbourhood's size in pixels "
                                                                       "(SNAP's anSize)");
                              p.min = 2;
                              p.max = 200;
                              return p;
                            }(),
                            param::choice("data", {"intensity", "amplitude"}, "intensity", "what the samples are")},
                           param::boundary()}),
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> {
      return {idan_filter(a.image("input"), static_cast<int>(a.integer("looks")), a.integer("size"),
                          a.word("data") == "amplitude", a.boundary())};
    },
});
}  // namespace

}  // namespace tessera
