// lee_sigma_filter: the improved sigma filter of J.-S. Lee, J.-H. Wen, T. L.
// Ainsworth, K.-S. Chen and A. J. Chen, "Improved Sigma Filter for Speckle
// Filtering of SAR Imagery", IEEE TGRS 47(1):202-213, 2009, with ESA SNAP's
// parameters, defaults and sigma-range table (LeeSigma.java):
//  1. point targets: a pixel above Z98 (the image's 98th percentile) is kept
//     when it, or a pixel of its target window, is above Z98 with more than
//     5 pixels of its own target window above Z98 (SNAP's threshold; the
//     paper's symmetric rule, so the result does not depend on tiling);
//  2. the a-priori mean: the MMSE estimate over the target window (3x3);
//  3. the pixels of the window (7x7) inside the sigma range [I1, I2] times
//     that mean; their MMSE estimate with the range's revised noise level.
// Geometry (the halo) in the node; the rule per pixel in generate().
#include <algorithm>
#include <cmath>

#include "ops/speckle/speckle.hpp"
#include "tessera/reduce.hpp"

namespace tessera {

namespace {

// (I1, I2, eta') for looks 1..4 and sigma 0.5..0.9 (Lee et al. 2009, table I,
// as SNAP's LeeSigma.setSigmaRange holds it): intensity, then amplitude.
constexpr double kIntensityTable[4][5][3] = {
    {{0.436, 1.920, 0.4057}, {0.343, 2.210, 0.4954}, {0.254, 2.582, 0.5911}, {0.168, 3.094, 0.6966},
     {0.084, 3.941, 0.8191}},
    {{0.582, 1.584, 0.2763}, {0.501, 1.755, 0.3388}, {0.418, 1.972, 0.4062}, {0.327, 2.260, 0.4810},
     {0.221, 2.744, 0.5699}},
    {{0.652, 1.458, 0.2222}, {0.580, 1.586, 0.2736}, {0.505, 1.751, 0.3280}, {0.419, 1.965, 0.3892},
     {0.313, 2.320, 0.4624}},
    {{0.694, 1.385, 0.1921}, {0.630, 1.495, 0.2348}, {0.560, 1.627, 0.2825}, {0.480, 1.804, 0.3354},
     {0.378, 2.094, 0.3991}},
};
constexpr double kAmplitudeTable[4][5][3] = {
    {{0.653997, 1.40002, 0.208349}, {0.578998, 1.50601, 0.255358}, {0.496999, 1.63201, 0.305303},
     {0.403999, 1.79501, 0.361078}, {0.286, 2.04301, 0.426375}},
    {{0.76, 1.263, 0.139021}, {0.705, 1.332, 0.169777}, {0.643, 1.412, 0.206675}, {0.568, 1.515, 0.244576},
     {0.467, 1.673, 0.29107}},
    {{0.806, 1.21, 0.109732}, {0.76, 1.263, 0.138001}, {0.708, 1.327, 0.163686}, {0.645, 1.408, 0.19597},
     {0.557, 1.531, 0.234219}},
    {{0.832, 1.179, 0.0894192}, {0.793, 1.226, 0.112018}, {0.747, 1.279, 0.139243}, {0.691, 1.347, 0.167771},
     {0.613, 1.452, 0.201036}},
};

class LeeSigmaNode final : public Node {
 public:
  LeeSigmaNode(const Image& input, const LeeSigmaOptions& o, double z98)
      : Node(input.shape(), DType::Float32, {input}), o_(o), z98_(z98) {
    const int s = static_cast<int>(std::lround(o.sigma * 10)) - 5;
    const auto& row = (o.amplitude ? kAmplitudeTable : kIntensityTable)[o.looks - 1][s];
    i1_ = row[0], i2_ = row[1];
    const double eta = (o.amplitude ? 0.5227 : 1.0) / std::sqrt(static_cast<double>(o.looks));
    eta2_ = eta * eta;
    eta2_range_ = row[2] * row[2];
    halo_ = std::max(o.size / 2, 2 * (o.target / 2));
  }

  std::string name() const override { return "lee_sigma_filter"; }
  Boundary input_boundary(std::size_t) const override { return o_.boundary; }
  Region input_region(std::size_t, const Region& out) const override {
    Region r = out;
    for (std::size_t a = 0; a < 2; ++a) r.offset[a] -= halo_, r.size[a] += 2 * halo_;
    return r;
  }

  void generate(const Region& region, const std::vector<View>& inputs, const View& out, Workspace& workspace) const override {
    const detail::Plane in = detail::float64_plane(inputs[0], workspace);
    const std::int64_t t = o_.target / 2, n = o_.size / 2;
    // Per padded pixel: above Z98, and a point-target centre (above, with
    // more than 5 of its target window above). Centres are needed t beyond
    // the output, their counts t beyond that: the halo covers both.
    auto* mark = static_cast<std::uint8_t*>(workspace.get(31, static_cast<std::size_t>(in.rows * in.cols)));
    for (std::int64_t k = 0; k < in.rows * in.cols; ++k) mark[k] = in.data[k] > z98_ ? 1 : 0;
    for (std::int64_t r = t; r < in.rows - t; ++r)
      for (std::int64_t c = t; c < in.cols - t; ++c) {
        if (!(mark[r * in.cols + c] & 1)) continue;
        int above = 0;
        for (std::int64_t dr = -t; dr <= t; ++dr)
          for (std::int64_t dc = -t; dc <= t; ++dc) above += mark[(r + dr) * in.cols + c + dc] & 1;
        if (above > 5) mark[r * in.cols + c] |= 2;
      }
    const double nt = static_cast<double>(o_.target * o_.target);
    for (std::int64_t y = 0; y < region.size[0]; ++y)
      for (std::int64_t x = 0; x < region.size[1]; ++x) {
        const std::int64_t r = y + halo_, c = x + halo_;
        const double z = in.at(r, c);
        if (mark[r * in.cols + c] & 1) {
          bool kept = false;
          for (std::int64_t dr = -t; dr <= t && !kept; ++dr)
            for (std::int64_t dc = -t; dc <= t; ++dc)
              if (mark[(r + dr) * in.cols + c + dc] & 2) {
                kept = true;
                break;
              }
          if (kept) {
            detail::out_at(out, y, x) = static_cast<float>(z);
            continue;
          }
        }
        // The a-priori mean: MMSE over the target window.
        double sum = 0, sq = 0;
        for (std::int64_t dr = -t; dr <= t; ++dr)
          for (std::int64_t dc = -t; dc <= t; ++dc) {
            const double v = in.at(r + dr, c + dc);
            sum += v;
            sq += v * v;
          }
        const double tmean = sum / nt;
        const double tb = detail::mmse_weight(tmean, detail::sample_variance(sum, sq, nt), eta2_);
        const double prior = (1 - tb) * tmean + tb * z;
        // The window's pixels inside the sigma range, and their MMSE.
        const double lo = i1_ * prior, hi = i2_ * prior;
        double s = 0, q = 0, count = 0;
        for (std::int64_t dr = -n; dr <= n; ++dr) {
          const double* row = in.data + (r + dr) * in.cols + c;
          for (std::int64_t dc = -n; dc <= n; ++dc) {
            const double v = row[dc];
            const double inside = (v >= lo && v <= hi) ? 1.0 : 0.0;
            s += inside * v;
            q += inside * v * v;
            count += inside;
          }
        }
        if (count == 0) {
          detail::out_at(out, y, x) = static_cast<float>(z);
          continue;
        }
        const double mean = s / count;
        const double b = detail::mmse_weight(mean, detail::sample_variance(s, q, count), eta2_range_);
        detail::out_at(out, y, x) = static_cast<float>((1 - b) * mean + b * z);
      }
  }

 private:
  LeeSigmaOptions o_;
  double z98_, i1_, i2_, eta2_, eta2_range_;
  std::int64_t halo_;
};

}  // namespace

Image lee_sigma_filter(const Image& input, const LeeSigmaOptions& o) {
  const char* name = "lee_sigma_filter: ";
  if (input.ndim() != 2)
    throw ValueError(std::string(name) + "the input must be a 2-D single-band image, got shape " +
                     shape_to_string(input.shape()));
  if (is_bool(input.dtype())) throw TypeError(std::string(name) + "the input must be numbers, not booleans");
  if (o.looks < 1 || o.looks > 4) throw ValueError(std::string(name) + "looks must be 1, 2, 3 or 4 (the sigma-range table's), got " + std::to_string(o.looks));
  const double s10 = o.sigma * 10;
  if (!(std::fabs(s10 - std::round(s10)) < 1e-9 && s10 >= 4.999 && s10 <= 9.001))
    throw ValueError(std::string(name) + "sigma must be 0.5, 0.6, 0.7, 0.8 or 0.9, got " + std::to_string(o.sigma));
  if (o.size < 3 || o.size % 2 == 0 || o.size > 255)
    throw ValueError(std::string(name) + "size must be odd and between 3 and 255, got " + std::to_string(o.size));
  if (o.target != 3 && o.target != 5)
    throw ValueError(std::string(name) + "target must be 3 or 5, got " + std::to_string(o.target));
  if (o.z98 && !std::isfinite(*o.z98)) throw ValueError(std::string(name) + "z98 must be finite");
  // Z98 as SNAP takes it, sorted[int(0.98 N) - 1], over the whole image
  // (streamed, exact) rather than per tile, so that tiling does not matter.
  const std::int64_t count = element_count(input.shape());
  double z98 = 0;
  if (o.z98) z98 = *o.z98;
  else if (count > 0) z98 = kth_smallest(input, std::max<std::int64_t>(0, static_cast<std::int64_t>(0.98 * static_cast<double>(count)) - 1));
  return Image(std::make_shared<LeeSigmaNode>(input, o, z98));
}

namespace {
ParamSpec integer_in(const char* name, std::int64_t def, double lo, double hi, const char* doc) {
  ParamSpec p = param::integer(name, def, doc);
  p.min = lo;
  p.max = hi;
  return p;
}

const bool registered = register_operation({
    .name = "lee_sigma_filter",
    .summary = "Improved Lee Sigma speckle filter (Lee et al. 2009), SNAP's default speckle filter.",
    .doc = "J.-S. Lee, J.-H. Wen, T. L. Ainsworth, K.-S. Chen, A. J. Chen, Improved Sigma Filter for Speckle "
           "Filtering of SAR Imagery, IEEE TGRS 47(1):202-213, 2009, with SNAP's table and defaults: point "
           "targets (above Z98, the image's 98th percentile, with more than 5 target-window pixels above it, and "
           "the pixels above Z98 around them) are kept; elsewhere the target window's MMSE mean sets the sigma "
           "range [I1, I2] x mean, and the window's pixels inside it give the MMSE estimate with the range's "
           "noise level. Z98 (when not given) is found exactly by streaming the input before filtering. "
           "Differences from SNAP: the border is padded by mode (SNAP: a plain MMSE near the edge); Z98 over the "
           "image (SNAP: per tile); point targets marked symmetrically (SNAP: in scan order). float32 result.",
    .params = param::join({{param::input("the 2-D single-band image (intensity, or amplitude with amplitude=True)"),
                            [] {
                              ParamSpec p = param::integer("size", 7, "the window's side (SNAP: 5 to 17)");
                              p.min = 3;
                              p.max = 255;
                              p.odd = true;
                              return p;
                            }(),
                            integer_in("looks", 1, 1, 4, "the number of looks"),
                            [] {
                              ParamSpec p = param::real("sigma", 0.9, "the sigma range: 0.5, 0.6, 0.7, 0.8 or 0.9");
                              p.min = 0.5;
                              p.max = 0.9;
                              return p;
                            }(),
                            [] {
                              ParamSpec p = param::integer("target", 3, "the point-target window: 3 or 5");
                              p.min = 3;
                              p.max = 5;
                              p.odd = true;
                              return p;
                            }(),
                            [] {
                              ParamSpec p = param::real("z98", 0.0, "the point-target threshold (None: the image's "
                                                                     "98th percentile)");
                              p.default_value = std::monostate{};
                              p.whole_image_default = true;
                              return p;
                            }(),
                            param::choice("data", {"intensity", "amplitude"}, "intensity",
                                          "what the samples are: the table and speckle level differ")},
                           param::boundary()}),
    .outputs = {},
    .build = [](const Arguments& a) -> std::vector<Image> {
      LeeSigmaOptions o;
      o.size = a.integer("size");
      o.looks = static_cast<int>(a.integer("looks"));
      o.sigma = a.real("sigma");
      o.target = a.integer("target");
      o.z98 = a.optional_real("z98");
      o.amplitude = a.word("data") == "amplitude";
      o.boundary = a.boundary();
      return {lee_sigma_filter(a.image("input"), o)};
    },
});
}  // namespace

}  // namespace tessera
